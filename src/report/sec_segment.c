/* sec_segment.c: the report's section for a segmentation model: segment sizes, profiles as
 * standardised differences from the population, the k curve, the distinctive features of each
 * segment in words, and with data the PCA scatter and the validity indices. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rng.h>
#include <crmkit/validity.h>
#include <crmkit/xmeans.h>

#include "core/core_internal.h"
#include "report_internal.h"

typedef struct seg_ctx {
    crm_report *r;
    const char *prefix; /* of chart names ("" or e.g. "g2-"), for several segmentations in one
                           section */
    const char *label;  /* put before chart titles ("Group: Segment sizes"); NULL = none */
    const crm_segmenter *seg;
    const crm_profile *pr;
    int32_t k;
    int32_t n_feat;
    int32_t *order;     /* [k] segments in display order */
    const char **names; /* [k] in display order */
    int32_t *num;       /* numeric features */
    int32_t n_num;
    const char **num_names;
} seg_ctx;

/* A chart named prefix + stem, titled label + ": " + base into title[size]. */
static rpt_buf *chart(seg_ctx *c, const char *stem, const char *base, char *title, size_t size)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s", c->prefix, stem);
    if (c->label != NULL) {
        snprintf(title, size, "%.60s: %.190s", c->label, base);
    } else {
        snprintf(title, size, "%.250s", base);
    }
    return crm__rpt_chart_begin(c->r, name);
}

static const char *method_text(crm_segment_method m)
{
    switch (m) {
    case CRM_SEGMENT_XMEANS:
        return "k chosen by X-means (BIC splitting)";
    case CRM_SEGMENT_ELBOW:
        return "k chosen by the elbow method";
    case CRM_SEGMENT_AUTO:
        return "k chosen by the algorithm's own criterion";
    default:
        return "k given";
    }
}

static void summary(seg_ctx *c)
{
    rpt_buf *b = &c->r->body;
    char rows[32];
    char inertia[48];
    crm__rpt_fmt_int(rows, sizeof rows, crm_profile_n_rows(c->pr));
    crm__rpt_fmt_num(inertia, sizeof inertia, crm_segmenter_inertia(c->seg));
    crm__sbuf_printf(b,
                     "<p>%d segments of %s customers over %d features (algorithm %s, %s; "
                     "within-segment cost %s",
                     (int)c->k, rows, (int)c->n_feat,
                     crm_segment_algo_name(crm_segmenter_algo(c->seg))
                         ? crm_segment_algo_name(crm_segmenter_algo(c->seg))
                         : "?",
                     method_text(crm_segmenter_method(c->seg)), inertia);
    if (isfinite(crm_segmenter_bic(c->seg))) {
        char bic[48];
        crm__rpt_fmt_num(bic, sizeof bic, crm_segmenter_bic(c->seg));
        crm__sbuf_printf(b, ", BIC %s", bic);
    }
    crm__sbuf_puts(b, ").");
    if (crm_segmenter_source(c->seg)[0] != '\0') {
        crm__sbuf_puts(b, " Fitted on ");
        crm__rpt_esc(b, crm_segmenter_source(c->seg));
        crm__sbuf_puts(b, ".");
    }
    if (crm_profile_tier_by(c->pr) != NULL) {
        crm__sbuf_puts(b, " Segments are named by tiers of their mean ");
        crm__rpt_esc(b, crm_profile_tier_by(c->pr));
        crm__sbuf_puts(b, ", highest first.");
    }
    crm__sbuf_puts(b, "</p>\n");
}

static void pie(seg_ctx *c)
{
    double *v = crm_mallocarray((size_t)c->k, sizeof *v);
    char title[320];
    rpt_buf *b = chart(c, "sizes", "Segment sizes", title, sizeof title);
    if (v == NULL || b == NULL) {
        crm_free(v);
        c->r->body.failed = 1;
        return;
    }
    for (int32_t i = 0; i < c->k; i++) {
        v[i] = (double)crm_profile_size(c->pr, c->order[i]);
    }
    crm__rpt_svg_pie(b, title, c->k, c->names, v);
    crm__rpt_chart_place(c->r, "Share of the customers in each segment.");
    crm_free(v);
}

static void profiles(seg_ctx *c)
{
    double *v;
    if (c->n_num == 0) {
        return;
    }
    v = crm_mallocarray((size_t)c->k * (size_t)c->n_num, sizeof *v);
    if (v == NULL) {
        c->r->body.failed = 1;
        return;
    }
    for (int32_t s = 0; s < c->k; s++) {
        for (int32_t j = 0; j < c->n_num; j++) {
            v[(int64_t)s * c->n_num + j] = crm_profile_std_diff(c->pr, c->order[s], c->num[j]);
        }
    }
    crm__sbuf_puts(&c->r->body, "<h3>Profiles against the population</h3>\n");
    {
        char title[320];
        rpt_buf *b =
            chart(c, "profiles", "Segment means against the population", title, sizeof title);
        if (b != NULL) {
            crm__rpt_svg_grouped(b, title, c->n_num, c->num_names, c->k, c->names, v, RPT_SD,
                                 "standardised difference (sd)");
            crm__rpt_chart_place(c->r,
                                 "Each bar is (segment mean - population mean) / population "
                                 "standard deviation, so features on different scales compare; "
                                 "0 is the average customer.");
        }
    }
    for (int32_t s = 0; s < c->k; s++) {
        char stem[32];
        char title[256];
        rpt_buf *b;
        snprintf(stem, sizeof stem, "profile-%d", (int)(s + 1));
        {
            char base[256];
            snprintf(base, sizeof base, "%s against the population", c->names[s]);
            b = chart(c, stem, base, title, sizeof title);
        }
        if (b == NULL) {
            break;
        }
        crm__rpt_svg_hbars(b, title, c->n_num, c->num_names, v + (int64_t)s * c->n_num, RPT_SD, 1,
                           -1, "standardised difference from the population mean (sd)");
        crm__rpt_chart_place(c->r, NULL);
    }
    crm_free(v);
}

static void k_curve(seg_ctx *c)
{
    int32_t kmin = 0;
    int32_t n = 0;
    const double *curve = crm_segmenter_curve(c->seg, &kmin, &n);
    double *x;
    rpt_buf *b;
    char label[48];
    char title[320];
    int em = crm_segmenter_algo(c->seg) == CRM_SEGMENT_ALGO_EM;
    rpt_line line = { em ? "BIC" : "inertia (SSE)", NULL, curve, n, 1, 0, 0 };
    rpt_xy xy = { title,
                  "k (number of segments)",
                  em ? "BIC (lower is better)" : "within-segment sum of squares",
                  RPT_INT,
                  RPT_NUM,
                  &line,
                  1,
                  NAN,
                  NULL,
                  0 };
    if (curve == NULL || n < 1) {
        return;
    }
    x = crm_mallocarray((size_t)n, sizeof *x);
    b = chart(c, "k-curve", "The curve that chose k", title, sizeof title);
    if (x == NULL || b == NULL) {
        crm_free(x);
        c->r->body.failed = 1;
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        x[i] = (double)(kmin + i);
    }
    line.x = x;
    snprintf(label, sizeof label, "k = %d", (int)c->k);
    xy.mark_x = (double)c->k;
    xy.mark_label = label;
    crm__sbuf_puts(&c->r->body, "<h3>Choosing k</h3>\n");
    crm__rpt_svg_lines(b, &xy);
    crm__rpt_chart_place(c->r, em ? "Bayesian information criterion of the Gaussian mixture "
                                    "for each k tried; the lowest is taken."
                                  : "Inertia (k-means sum of squared distances in the scaled "
                                    "space) for each k tried; the elbow method takes the knee "
                                    "of the curve.");
    crm_free(x);
}

/* The dendrogram of a hierarchical model: its last merges, the ones kept by the cut in
 * colour. */
static void dendrogram(seg_ctx *c)
{
    const crm_hclust *h = crm_segmenter_hclust(c->seg);
    char title[320];
    rpt_buf *b;
    int64_t nl;
    double cut;
    if (h == NULL || crm_hclust_n_leaves(h) < 2) {
        return;
    }
    nl = crm_hclust_n_leaves(h);
    cut = crm_hclust_cut_at(h);
    if (!isfinite(cut) && crm_hclust_k(h) >= 1 && crm_hclust_k(h) < nl) {
        cut = crm_hclust_merges(h)[(nl - crm_hclust_k(h) - 1) * 4 + 2];
    }
    b = chart(c, "dendrogram", "The dendrogram", title, sizeof title);
    if (b == NULL) {
        c->r->body.failed = 1;
        return;
    }
    crm__sbuf_puts(&c->r->body, "<h3>The tree of merges</h3>\n");
    crm__rpt_svg_dendrogram(b, title, nl, crm_hclust_merges(h), cut, 40);
    crm__rpt_chart_place(c->r, crm_hclust_n_micro(h) > 0
                                   ? "The last merges of the tree over the micro-clusters; "
                                     "the merges kept by the cut are coloured."
                                   : "The last merges of the tree; the merges kept by the cut "
                                     "are coloured, the grey ones were undone to make the "
                                     "segments.");
}

/* ---- distinctive features in words ---- */

typedef struct rank_item {
    double score;
    int32_t f;
} rank_item;

static int cmp_rank(const void *a, const void *b)
{
    const rank_item *x = a;
    const rank_item *y = b;
    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    return (x->f > y->f) - (x->f < y->f);
}

/* "3.1× the average customer's data_mb" / "58% below the average customer's tenure_days". */
static void words(rpt_buf *b, const crm_profile *pr, int32_t s, int32_t f)
{
    const char *name = crm_profile_feature(pr, f);
    double ratio = crm_profile_ratio(pr, s, f);
    double z = crm_profile_std_diff(pr, s, f);
    char num[64];
    char seg_mean[64];
    char pop_mean[64];
    crm__rpt_fmt_num(seg_mean, sizeof seg_mean, crm_profile_mean(pr, s, f));
    crm__rpt_fmt_num(pop_mean, sizeof pop_mean, crm_profile_pop_mean(pr, f));
    if (isfinite(ratio) && ratio > 0 && crm_profile_pop_mean(pr, f) > 0) {
        if (ratio >= 1.1) {
            crm__rpt_fmt_fixed(num, sizeof num, ratio, ratio >= 10 ? 0 : 1);
            crm__sbuf_printf(b, "%s\xC3\x97 the average customer's ", num); /* U+00D7 */
        } else if (ratio <= 0.9) {
            crm__rpt_fmt_fixed(num, sizeof num, (1 - ratio) * 100, 0);
            crm__sbuf_printf(b, "%s%% below the average customer's ", num);
        } else {
            crm__sbuf_puts(b, "about the average customer's ");
        }
        crm__rpt_esc(b, name);
    } else {
        crm__rpt_fmt_fixed(num, sizeof num, fabs(z), 1);
        crm__rpt_esc(b, name);
        crm__sbuf_printf(b, " %s sd %s the average", num, z >= 0 ? "above" : "below");
    }
    crm__sbuf_printf(b, " (mean %s against %s)", seg_mean, pop_mean);
}

static void segment_tables(seg_ctx *c)
{
    rpt_buf *b = &c->r->body;
    rank_item *items = crm_mallocarray((size_t)(c->n_feat > 0 ? c->n_feat : 1), sizeof *items);
    if (items == NULL) {
        b->failed = 1;
        return;
    }
    crm__sbuf_puts(b, "<h3>What sets each segment apart</h3>\n");
    for (int32_t i = 0; i < c->k; i++) {
        int32_t s = c->order[i];
        int32_t n_items = 0;
        char size[32];
        char share[32];
        crm__rpt_fmt_int(size, sizeof size, crm_profile_size(c->pr, s));
        crm__rpt_fmt_pct(share, sizeof share, crm_profile_share(c->pr, s), 1);
        crm__sbuf_printf(b,
                         "<table><tr><th colspan=\"3\"><span class=\"swatch\" "
                         "style=\"background:%s\"></span>",
                         crm__rpt_colour(i));
        crm__rpt_esc(b, c->names[i]);
        crm__sbuf_printf(b,
                         ": %s customers (%s)</th></tr>\n"
                         "<tr><th>feature</th><th>in words</th><th>difference</th></tr>\n",
                         size, share);
        for (int32_t f = 0; f < c->n_feat; f++) {
            if (!crm_profile_is_categorical(c->pr, f) &&
                isfinite(crm_profile_std_diff(c->pr, s, f))) {
                items[n_items].score = fabs(crm_profile_std_diff(c->pr, s, f));
                items[n_items].f = f;
                n_items++;
            }
        }
        qsort(items, (size_t)n_items, sizeof *items, cmp_rank);
        for (int32_t j = 0; j < n_items && j < c->r->p.top_features; j++) {
            char z[48];
            int32_t f = items[j].f;
            crm__rpt_fmt_fixed(z, sizeof z, crm_profile_std_diff(c->pr, s, f), 2);
            crm__sbuf_puts(b, "<tr><td>");
            crm__rpt_esc(b, crm_profile_feature(c->pr, f));
            crm__sbuf_puts(b, "</td><td>");
            words(b, c->pr, s, f);
            crm__sbuf_printf(b, "</td><td class=\"n\">%s%s sd</td></tr>\n",
                             crm_profile_std_diff(c->pr, s, f) > 0 ? "+" : "", z);
        }
        for (int32_t f = 0; f < c->n_feat; f++) {
            double sh = 0;
            const char *mode;
            char pct[32];
            if (!crm_profile_is_categorical(c->pr, f)) {
                continue;
            }
            mode = crm_profile_mode(c->pr, s, f, &sh);
            if (mode == NULL) {
                continue;
            }
            crm__rpt_fmt_pct(pct, sizeof pct, sh, 0);
            crm__sbuf_puts(b, "<tr><td>");
            crm__rpt_esc(b, crm_profile_feature(c->pr, f));
            crm__sbuf_puts(b, "</td><td>mostly ");
            crm__rpt_esc(b, mode);
            crm__sbuf_printf(b, " (%s of the segment)</td><td class=\"n\"></td></tr>\n", pct);
        }
        crm__sbuf_puts(b, "</table>\n");
    }
    crm_free(items);
}

/* ---- with data: scatter and validity ---- */

static crm_status scatter(seg_ctx *c, const crm_matrix *x, const int32_t *labels, crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t d = x->n_cols;
    int64_t m = n < c->r->p.scatter_rows ? n : c->r->p.scatter_rows;
    double *axes = crm_mallocarray((size_t)(2 * d), sizeof *axes);
    double *mean = crm_mallocarray((size_t)d, sizeof *mean);
    double *px = crm_mallocarray((size_t)(m > 0 ? m : 1), sizeof *px);
    double *py = crm_mallocarray((size_t)(m > 0 ? m : 1), sizeof *py);
    int32_t *grp = crm_mallocarray((size_t)(m > 0 ? m : 1), sizeof *grp);
    int64_t *idx = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *idx);
    int32_t *rank = crm_mallocarray((size_t)c->k, sizeof *rank);
    double var[2] = { 0, 0 };
    double total = 0;
    crm_status rc = CRM_OK;
    if (axes == NULL || mean == NULL || px == NULL || py == NULL || grp == NULL || idx == NULL ||
        rank == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    rc = crm__rpt_pca2(x, axes, mean, var, &total, err);
    if (rc != CRM_OK) {
        goto done;
    }
    for (int32_t i = 0; i < c->k; i++) {
        rank[c->order[i]] = i; /* colour and legend follow the display order */
    }
    for (int64_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    if (m < n) {
        crm_rng rng;
        crm_rng_seed(&rng, c->r->p.seed);
        crm_rng_shuffle(&rng, idx, n);
    }
    for (int64_t i = 0; i < m; i++) {
        const double *row = CRM_ROW(x, idx[i]);
        double a = 0;
        double b2 = 0;
        for (int64_t j = 0; j < d; j++) {
            a += (row[j] - mean[j]) * axes[j];
            b2 += (row[j] - mean[j]) * axes[d + j];
        }
        px[i] = a;
        py[i] = b2;
        grp[i] = labels[idx[i]] >= 0 && labels[idx[i]] < c->k ? rank[labels[idx[i]]] : 0;
    }
    {
        char xl[96];
        char yl[96];
        char p1[32];
        char p2[32];
        char cnt[32];
        char cap[256];
        char title[320];
        rpt_buf *b =
            chart(c, "pca", "Customers on the first two principal components", title, sizeof title);
        crm__rpt_fmt_pct(p1, sizeof p1, total > 0 ? var[0] / total : 0, 1);
        crm__rpt_fmt_pct(p2, sizeof p2, total > 0 ? var[1] / total : 0, 1);
        crm__rpt_fmt_int(cnt, sizeof cnt, m);
        snprintf(xl, sizeof xl, "first principal component (%s of the variance)", p1);
        snprintf(yl, sizeof yl, "second principal component (%s)", p2);
        snprintf(cap, sizeof cap,
                 "%s customers drawn at random, projected on the two leading principal axes of "
                 "the cleaned, scaled features, coloured by segment.",
                 cnt);
        if (b != NULL) {
            crm__sbuf_puts(&c->r->body, "<h3>The segments in two dimensions</h3>\n");
            rpt_scatter sc = { title, m, px, py, grp, c->k, c->names, xl, yl };
            crm__rpt_svg_scatter(b, &sc);
            crm__rpt_chart_place(c->r, cap);
        }
    }
done:
    CRM__FREE(axes, mean, px, py, grp, idx, rank);
    return rc;
}

static void validity_row(rpt_buf *b, const char *name, double v, const char *better)
{
    char num[64];
    crm__rpt_fmt_fixed(num, sizeof num, v, fabs(v) >= 1000 ? 0 : 4);
    crm__sbuf_printf(b, "<tr><td>%s</td><td class=\"n\">%s</td><td>%s</td></tr>\n", name, num,
                     better);
}

static crm_status validity(seg_ctx *c,
                           const crm_matrix *x,
                           const int32_t *labels,
                           const crm_table *data,
                           crm_error *err)
{
    crm_validity_params vp = crm_validity_params_default();
    crm_validity v;
    crm_error verr;
    rpt_buf *b = &c->r->body;
    char rows[32];
    crm_status rc;
    vp.exact_max_rows = c->r->p.validity_rows;
    vp.sample_rows = c->r->p.validity_rows;
    vp.seed = c->r->p.seed;
    rc = crm_validity_compute(x, labels, &vp, NULL, &v, &verr);
    crm__sbuf_puts(b, "<h3>Validity indices</h3>\n");
    if (rc == CRM_EDATA) {
        crm__sbuf_puts(b, "<p>Not defined for this labelling: ");
        crm__rpt_esc(b, verr.msg);
        crm__sbuf_puts(b, "</p>\n");
        return CRM_OK;
    }
    if (rc != CRM_OK) {
        *err = verr;
        return rc;
    }
    crm__rpt_fmt_int(rows, sizeof rows, v.n_rows);
    crm__sbuf_printf(b, "<p>On %s customers (", rows);
    crm__rpt_esc(b, crm_table_source(data));
    crm__sbuf_printf(b, ") assigned to the %d segments, in the model's scaled space", (int)c->k);
    if (v.sampled) {
        char pr[32];
        crm__rpt_fmt_int(pr, sizeof pr, v.pairwise_rows);
        crm__sbuf_printf(b, " (silhouette and Dunn on a sample of %s)", pr);
    }
    crm__sbuf_puts(b, ".</p>\n<table><tr><th>index</th><th>value</th><th>reading</th></tr>\n");
    validity_row(b, "SSE (inertia)", v.sse, "lower is tighter");
    validity_row(b, "CP (compactness)", v.cp, "lower is better");
    validity_row(b, "SP (separation)", v.sp, "higher is better");
    validity_row(b, "Davies-Bouldin", v.db, "lower is better");
    validity_row(b, "Dunn", v.dunn, "higher is better");
    validity_row(b, "silhouette", v.silhouette, "higher is better, in [-1, 1]");
    validity_row(b, "Calinski-Harabasz", v.ch, "higher is better");
    crm__sbuf_puts(b, "</table>\n");
    return CRM_OK;
}

/* One line chart of a k scan: values v[n] at k = k0 .. k0 + n - 1, the model's k marked. */
static void scan_chart(seg_ctx *c,
                       const char *stem,
                       const char *base,
                       const char *ylabel,
                       const double *kx,
                       const double *v,
                       int32_t n,
                       int32_t colour)
{
    char title[320];
    char mark[48];
    rpt_line line = { NULL, kx, v, n, 1, 0, colour };
    rpt_xy xy = {
        title, "k (number of segments)", ylabel, RPT_INT, RPT_NUM, &line, 1, (double)c->k, mark, 0
    };
    rpt_buf *b = chart(c, stem, base, title, sizeof title);
    snprintf(mark, sizeof mark, "model: k = %d", (int)c->k);
    if (b != NULL) {
        crm__rpt_svg_lines(b, &xy);
        crm__rpt_chart_place(c->r, NULL);
    }
}

/* k-means (k-means++, one start, the report's seed) for every k around the model's, on the
 * data in the model's space: SSE, the X-means paper's BIC and the silhouette over k. Only
 * for k-means models. */
static crm_status k_scan(seg_ctx *c, const crm_matrix *x, crm_error *err)
{
    int32_t k0 = c->k - 4 < 2 ? 2 : c->k - 4;
    int32_t k1 = c->k + 4;
    int32_t n;
    double kx[16];
    double sse[16];
    double bic[16];
    double sil[16];
    int32_t *labels;
    crm_status rc = CRM_OK;
    if (crm_segmenter_kmeans(c->seg) == NULL) {
        return CRM_OK;
    }
    if (k1 > x->n_rows - 1) {
        k1 = (int32_t)(x->n_rows - 1);
    }
    n = k1 - k0 + 1;
    if (n < 2) {
        return CRM_OK;
    }
    labels = crm_mallocarray((size_t)x->n_rows, sizeof *labels);
    if (labels == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n && rc == CRM_OK; i++) {
        crm_kmeans_params kp = crm_kmeans_params_default();
        crm_validity_params vp = crm_validity_params_default();
        crm_kmeans *km = NULL;
        crm_validity v;
        crm_error verr;
        kp.k = k0 + i;
        kp.seed = c->r->p.seed;
        kx[i] = (double)kp.k;
        sse[i] = bic[i] = sil[i] = (double)NAN;
        rc = crm_kmeans_new(&kp, &km, err);
        if (rc == CRM_OK) {
            rc = crm_kmeans_fit(km, x, NULL, err);
        }
        if (rc == CRM_OK) {
            sse[i] = crm_kmeans_inertia(km);
            memcpy(labels, crm_kmeans_labels(km), (size_t)x->n_rows * sizeof *labels);
            if (crm_xmeans_bic(x, labels, crm_kmeans_centers(km), kp.k, &bic[i], &verr) != CRM_OK) {
                bic[i] = (double)NAN;
            }
            vp.exact_max_rows = c->r->p.validity_rows;
            vp.sample_rows = c->r->p.validity_rows;
            vp.seed = c->r->p.seed;
            if (crm_validity_compute(x, labels, &vp, NULL, &v, &verr) == CRM_OK) {
                sil[i] = v.silhouette;
            }
        }
        crm_kmeans_free(km);
    }
    crm_free(labels);
    if (rc != CRM_OK) {
        return rc;
    }
    crm__sbuf_puts(&c->r->body, "<h3>Other choices of k</h3>\n<p>k-means run again on these "
                                "customers for each k around the model's: within-segment sum "
                                "of squares (lower, with diminishing returns), the X-means "
                                "paper's BIC (higher is better) and the mean silhouette (higher "
                                "is better).</p>\n");
    scan_chart(c, "k-sse", "SSE over k", "within-segment sum of squares", kx, sse, n, 0);
    scan_chart(c, "k-bic", "BIC over k", "BIC (higher is better)", kx, bic, n, 1);
    scan_chart(c, "k-silhouette", "Silhouette over k", "mean silhouette", kx, sil, n, 2);
    return CRM_OK;
}

static crm_status with_data(seg_ctx *c, const crm_table *data, crm_error *err)
{
    int64_t n = crm_table_n_rows(data);
    int32_t *labels = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *labels);
    crm_matrix x;
    crm_status rc;
    memset(&x, 0, sizeof x);
    if (labels == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm_segmenter_assign(c->seg, data, labels, NULL, NULL, err);
    if (rc == CRM_OK) {
        rc = crm_prep_transform(crm_segmenter_prep(c->seg), data, &x, NULL, err);
    }
    if (rc == CRM_OK && n >= 2) {
        rc = scatter(c, &x, labels, err);
    }
    if (rc == CRM_OK && n >= 2) {
        rc = validity(c, &x, labels, data, err);
    }
    if (rc == CRM_OK && n >= 2) {
        rc = k_scan(c, &x, err);
    }
    crm_matrix_fini(&x);
    crm_free(labels);
    return rc;
}

crm_status crm__rpt_segmentation_body(crm_report *r,
                                      const crm_segmenter *seg,
                                      const crm_table *data,
                                      const char *prefix,
                                      const char *label,
                                      crm_error *err)
{
    seg_ctx c;
    crm_status rc = CRM_OK;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.prefix = prefix != NULL ? prefix : "";
    c.label = label;
    c.seg = seg;
    c.pr = crm_segmenter_profile(seg);
    c.k = crm_profile_k(c.pr);
    c.n_feat = crm_profile_n_features(c.pr);
    c.order = crm_mallocarray((size_t)c.k, sizeof *c.order);
    c.names = crm_mallocarray((size_t)c.k, sizeof *c.names);
    c.num = crm_mallocarray((size_t)(c.n_feat > 0 ? c.n_feat : 1), sizeof *c.num);
    c.num_names = crm_mallocarray((size_t)(c.n_feat > 0 ? c.n_feat : 1), sizeof *c.num_names);
    if (c.order == NULL || c.names == NULL || c.num == NULL || c.num_names == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int32_t i = 0; i < c.k; i++) {
        c.order[i] = crm_profile_order(c.pr, i);
        c.names[i] = crm_profile_name(c.pr, c.order[i]);
    }
    for (int32_t f = 0; f < c.n_feat; f++) {
        if (!crm_profile_is_categorical(c.pr, f)) {
            c.num_names[c.n_num] = crm_profile_feature(c.pr, f);
            c.num[c.n_num++] = f;
        }
    }
    summary(&c);
    pie(&c);
    k_curve(&c);
    dendrogram(&c);
    if (data != NULL) {
        rc = with_data(&c, data, err);
    }
    if (rc == CRM_OK) {
        profiles(&c);
        segment_tables(&c);
    }
done:
    CRM__FREE(c.order, c.names, c.num, c.num_names);
    return rc;
}

crm_status crm__rpt_section_segmentation(crm_report *r,
                                         const crm_segmenter *seg,
                                         const crm_table *data,
                                         const char *name,
                                         crm_error *err)
{
    crm_status rc;
    crm__rpt_section_begin(r, "Segmentation", name);
    rc = crm__rpt_segmentation_body(r, seg, data, "", NULL, err);
    crm__rpt_section_end(r);
    return rc;
}
