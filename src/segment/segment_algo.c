/* segment_algo.c: the segmenter's algorithms other than k-means: k-modes and k-prototypes
 * (crmkit/kmodes.h) and hierarchical clustering (crmkit/hclust.h).
 *
 * k-modes and k-prototypes see categorical features as their raw levels: the cleaning is
 * fitted with ordinal encoding, and each categorical output column is mapped back from its
 * (possibly scaled) value to the level code. Numeric features stay cleaned and scaled, so
 * k-prototypes' automatic gamma is half the mean standard deviation of the scaled columns.
 * A level never seen in training is counted as missing by the cleaning, and with imputation
 * it becomes the training's most frequent level. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/segment.h>
#include <crmkit/xmeans.h>

#include "core/core_internal.h"
#include "segment_internal.h"

static double crm__sq_dist_rows(const double *a, const double *b, int64_t d)
{
    double s = 0;
    for (int64_t i = 0; i < d; i++) {
        s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return s;
}

/* Split the cleaned matrix x into the numeric and categorical parts k-modes reads. */
crm_status
crm__segment_mixed(const crm_prep *prep, const crm_matrix *x, crm__seg_mixed *m, crm_error *err)
{
    int32_t n_out = crm_prep_n_out(prep);
    int32_t nn = 0;
    int32_t nc = 0;
    memset(m, 0, sizeof *m);
    for (int32_t j = 0; j < n_out; j++) {
        int32_t f = crm_prep_out_feature(prep, j);
        if (crm_prep_feature_type(prep, f) == CRM_COL_NUMERIC) {
            nn++;
        } else {
            nc++;
        }
    }
    m->num = crm_mallocarray((size_t)x->n_rows * (size_t)(nn > 0 ? nn : 1), sizeof *m->num);
    m->cat = crm_mallocarray((size_t)x->n_rows * (size_t)(nc > 0 ? nc : 1), sizeof *m->cat);
    m->levels = crm_mallocarray((size_t)(nc > 0 ? nc : 1), sizeof *m->levels);
    if (m->num == NULL || m->cat == NULL || m->levels == NULL) {
        crm__segment_mixed_fini(m);
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        int32_t a = 0;
        int32_t b = 0;
        for (int32_t j = 0; j < n_out; j++) {
            int32_t f = crm_prep_out_feature(prep, j);
            if (crm_prep_feature_type(prep, f) == CRM_COL_NUMERIC) {
                m->num[i * nn + a++] = row[j];
            } else {
                double code = nearbyint(crm_prep_unscale(prep, j, row[j]));
                int32_t nl = crm_prep_feature_n_levels(prep, f);
                m->levels[b] = nl;
                m->cat[i * nc + b++] = (code >= 0 && code < nl) ? (int32_t)code : 0;
            }
        }
    }
    if (x->n_rows == 0) {
        for (int32_t j = 0, b = 0; j < n_out; j++) {
            int32_t f = crm_prep_out_feature(prep, j);
            if (crm_prep_feature_type(prep, f) != CRM_COL_NUMERIC) {
                m->levels[b++] = crm_prep_feature_n_levels(prep, f);
            }
        }
    }
    m->x.n_rows = x->n_rows;
    m->x.n_num = nn;
    m->x.n_cat = nc;
    m->x.num = nn > 0 ? m->num : NULL;
    m->x.cat = nc > 0 ? m->cat : NULL;
    m->x.n_levels = nc > 0 ? m->levels : NULL;
    return CRM_OK;
}

void crm__segment_mixed_fini(crm__seg_mixed *m)
{
    crm_free(m->num);
    crm_free(m->cat);
    crm_free(m->levels);
    memset(m, 0, sizeof *m);
}

static crm_kmodes_params kmodes_params(const crm_segment_params *p, int32_t k)
{
    crm_kmodes_params kp = p->kmodes;
    kp.k = k;
    kp.seed = p->kmeans.seed;
    kp.n_init = p->kmeans.n_init;
    kp.max_iter = p->kmeans.max_iter;
    kp.n_threads = p->kmeans.n_threads;
    return kp;
}

static crm_status fit_kmodes_k(const crm_segment_params *p,
                               int32_t k,
                               const crm_mixed *x,
                               const crm_progress *progress,
                               crm_kmodes **out,
                               crm_error *err)
{
    crm_kmodes_params kp = kmodes_params(p, k);
    crm_status rc = crm_kmodes_new(&kp, out, err);
    return rc == CRM_OK ? crm_kmodes_fit(*out, x, progress, err) : rc;
}

/* A point of the cost curve: the cost of k-modes with k clusters. */
static crm_status
kmodes_cost(const crm_segment_params *p, int32_t k, const void *x, double *cost, crm_error *err)
{
    crm_kmodes *km = NULL;
    crm_status rc = fit_kmodes_k(p, k, x, NULL, &km, err);
    *cost = rc == CRM_OK ? crm_kmodes_cost_value(km) : (double)NAN;
    crm_kmodes_free(km);
    return rc;
}

crm_status crm__segment_curve_new(crm_segmenter *seg, int32_t kmin, int32_t kmax, crm_error *err)
{
    seg->curve_kmin = kmin;
    seg->n_curve = kmax - kmin + 1;
    seg->curve = crm_mallocarray((size_t)seg->n_curve, sizeof *seg->curve);
    return seg->curve != NULL ? CRM_OK : crm__error_nomem(err);
}

/* seg->curve over k = kmin..kmax (kmax at most the number of rows, and at least min_points
 * values of k): point() fits and scores one k on x. */
static crm_status fill_curve(crm_segmenter *seg,
                             const crm_segment_params *p,
                             int64_t n_rows,
                             int32_t min_points,
                             crm_status (*point)(const crm_segment_params *p,
                                                 int32_t k,
                                                 const void *x,
                                                 double *value,
                                                 crm_error *err),
                             const void *x,
                             const crm_progress *progress,
                             crm_error *err)
{
    int32_t kmax = p->kmax < n_rows ? p->kmax : (int32_t)n_rows;
    crm_status rc;
    if (kmax - p->kmin + 1 < min_points) {
        return crm__error_set(err, CRM_EDATA, "%lld rows are too few to choose k in %d..%d",
                              (long long)n_rows, (int)p->kmin, (int)p->kmax);
    }
    rc = crm__segment_curve_new(seg, p->kmin, kmax, err);
    for (int32_t c = 0; rc == CRM_OK && c < seg->n_curve; c++) {
        rc = point(p, p->kmin + c, x, &seg->curve[c], err);
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "choosing k", (double)(c + 1) / seg->n_curve)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    return rc;
}

/* k-modes / k-prototypes with k given, or k at the knee of the cost curve over [kmin, kmax]
 * (the knee rule of the elbow method, crm_elbow_knee). */
static crm_status fit_kmodes(crm_segmenter *seg,
                             const crm_segment_params *p,
                             const crm_matrix *xm,
                             const crm_progress *progress,
                             crm_error *err)
{
    crm__seg_mixed m;
    int32_t k = p->k;
    crm_status rc;
    int32_t n_cat = 0;
    for (int32_t f = 0; f < crm_prep_n_features(seg->prep); f++) {
        int cat = crm_prep_feature_type(seg->prep, f) != CRM_COL_NUMERIC;
        n_cat += cat;
        if (!cat && seg->algo == CRM_SEGMENT_ALGO_KMODES) {
            crm__error_set(err, CRM_EINVAL,
                           "k-modes clusters categorical features, and \"%s\" is numeric; use "
                           "k-prototypes for mixed data",
                           crm_prep_feature_name(seg->prep, f));
            crm__error_field(err, crm_prep_feature_name(seg->prep, f));
            return CRM_EINVAL;
        }
    }
    (void)n_cat;
    rc = crm__segment_mixed(seg->prep, xm, &m, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (seg->method != CRM_SEGMENT_FIXED) {
        /* the knee needs a point on either side */
        rc = fill_curve(seg, p, xm->n_rows, 3, kmodes_cost, &m.x, progress, err);
        if (rc == CRM_OK) {
            rc = crm_elbow_knee(seg->curve, seg->n_curve, p->kmin, &k, err);
        }
    }
    if (rc == CRM_OK) {
        rc = fit_kmodes_k(p, k, &m.x, progress, &seg->kmo, err);
    }
    if (rc == CRM_OK) {
        seg->k = k;
        seg->inertia = crm_kmodes_cost_value(seg->kmo);
        seg->n_iter = crm_kmodes_n_iter(seg->kmo);
    }
    crm__segment_mixed_fini(&m);
    return rc;
}

static crm_status fit_hier(crm_segmenter *seg,
                           const crm_segment_params *p,
                           const crm_matrix *x,
                           const crm_progress *progress,
                           crm_error *err)
{
    crm_hclust_params hp = p->hclust;
    crm_status rc;
    int32_t k = p->k;
    hp.seed = p->kmeans.seed;
    hp.n_threads = p->kmeans.n_threads;
    rc = crm_hclust_fit(&hp, x, progress, &seg->hc, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (p->cut_height > 0.0) {
        rc = crm_hclust_cut_height(seg->hc, x, p->cut_height, err);
    } else {
        if (seg->method != CRM_SEGMENT_FIXED) {
            rc = crm_hclust_auto_k(seg->hc, p->kmin, p->kmax, &k, err);
        } else if (k > crm_hclust_n_leaves(seg->hc)) {
            rc = crm__error_set(err, CRM_EINVAL, "k = %d is more than the %lld %s", (int)k,
                                (long long)crm_hclust_n_leaves(seg->hc),
                                crm_hclust_n_micro(seg->hc) ? "micro-clusters" : "rows");
        }
        if (rc == CRM_OK) {
            rc = crm_hclust_cut_k(seg->hc, x, k, err);
        }
    }
    if (rc == CRM_OK) {
        seg->k = crm_hclust_k(seg->hc);
        seg->inertia = crm_hclust_inertia(seg->hc);
        seg->n_iter = 0;
    }
    return rc;
}

/* Sum of squared distances of the rows to the mean of their segment. */
static double sse_by_label(const crm_matrix *x, const int32_t *labels, int32_t k)
{
    int64_t d = x->n_cols;
    double *mean = crm_calloc((size_t)k * (size_t)d + 1, sizeof *mean);
    int64_t *cnt = crm_calloc((size_t)k + 1, sizeof *cnt);
    double total = 0;
    if (mean == NULL || cnt == NULL) {
        crm_free(mean);
        crm_free(cnt);
        return (double)NAN;
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        cnt[labels[i]]++;
        for (int64_t a = 0; a < d; a++) {
            mean[labels[i] * d + a] += CRM_ROW(x, i)[a];
        }
    }
    for (int32_t j = 0; j < k; j++) {
        for (int64_t a = 0; a < d; a++) {
            mean[j * d + a] /= cnt[j] > 0 ? (double)cnt[j] : 1.0;
        }
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        total += crm__sq_dist_rows(CRM_ROW(x, i), mean + labels[i] * d, d);
    }
    crm_free(mean);
    crm_free(cnt);
    return total;
}

static crm_status fit_birch(crm_segmenter *seg,
                            const crm_segment_params *p,
                            const crm_matrix *x,
                            const crm_progress *progress,
                            crm_error *err)
{
    crm_birch_params bp = p->birch;
    crm_status rc;
    bp.k = seg->method == CRM_SEGMENT_FIXED ? p->k : 0;
    bp.kmin = p->kmin;
    bp.kmax = p->kmax;
    bp.n_threads = p->kmeans.n_threads;
    rc = crm_birch_fit(&bp, x, progress, &seg->bi, err);
    if (rc == CRM_OK) {
        seg->k = crm_birch_k(seg->bi);
        memcpy(seg->labels, crm_birch_labels(seg->bi), (size_t)x->n_rows * sizeof *seg->labels);
    }
    return rc;
}

static crm_status fit_gmm_k(const crm_segment_params *p,
                            int32_t k,
                            const crm_matrix *x,
                            const crm_progress *progress,
                            crm_gmm **out,
                            crm_error *err)
{
    crm_gmm_params gp = p->gmm;
    crm_status rc;
    gp.k = k;
    gp.seed = p->kmeans.seed;
    gp.n_threads = p->kmeans.n_threads;
    rc = crm_gmm_new(&gp, out, err);
    return rc == CRM_OK ? crm_gmm_fit(*out, x, progress, err) : rc;
}

/* A point of the BIC curve: the BIC of EM with k components. */
static crm_status
gmm_bic(const crm_segment_params *p, int32_t k, const void *x, double *bic, crm_error *err)
{
    crm_gmm *g = NULL;
    crm_status rc = fit_gmm_k(p, k, x, NULL, &g, err);
    if (rc == CRM_OK) {
        rc = crm_gmm_bic(g, x, bic, err);
    }
    crm_gmm_free(g);
    return rc;
}

/* EM with k given, or the k in [kmin, kmax] with the lowest BIC (ties: the smallest k). */
static crm_status fit_em(crm_segmenter *seg,
                         const crm_segment_params *p,
                         const crm_matrix *x,
                         const crm_progress *progress,
                         crm_error *err)
{
    crm_status rc = CRM_OK;
    int32_t k = p->k;
    if (seg->method != CRM_SEGMENT_FIXED) {
        double best = HUGE_VAL;
        rc = fill_curve(seg, p, x->n_rows, 1, gmm_bic, x, progress, err);
        for (int32_t c = 0; rc == CRM_OK && c < seg->n_curve; c++) {
            if (seg->curve[c] < best) {
                best = seg->curve[c];
                k = p->kmin + c;
            }
        }
    }
    if (rc == CRM_OK) {
        rc = fit_gmm_k(p, k, x, progress, &seg->gm, err);
    }
    if (rc == CRM_OK) {
        rc = crm_gmm_assign(seg->gm, x, seg->labels, err);
    }
    if (rc == CRM_OK) {
        seg->k = k;
        seg->n_iter = crm_gmm_n_iter(seg->gm);
    }
    return rc;
}

/* DBSCAN: clusters 0..c-1 and the noise segment c. */
static crm_status fit_dbscan(crm_segmenter *seg,
                             const crm_segment_params *p,
                             const crm_matrix *x,
                             const crm_progress *progress,
                             crm_error *err)
{
    crm_dbscan_params dp = p->dbscan;
    crm_status rc;
    dp.n_threads = p->kmeans.n_threads;
    rc = crm_dbscan_fit(&dp, x, progress, &seg->db, err);
    if (rc == CRM_OK) {
        const int32_t *l = crm_dbscan_labels(seg->db);
        int32_t c = crm_dbscan_k(seg->db);
        seg->k = c + 1;
        for (int64_t i = 0; i < x->n_rows; i++) {
            seg->labels[i] = l[i] >= 0 ? l[i] : c;
        }
    }
    return rc;
}

/* OptiGrid or DENCLUE: clusters 0..c-1 and the noise segment c. */
static crm_status fit_grid_or_kde(crm_segmenter *seg,
                                  const crm_segment_params *p,
                                  const crm_matrix *x,
                                  const crm_progress *progress,
                                  crm_error *err)
{
    crm_status rc;
    const int32_t *l;
    int32_t c;
    if (seg->algo == CRM_SEGMENT_ALGO_OPTIGRID) {
        rc = crm_optigrid_fit(&p->optigrid, x, &seg->og, err);
    } else {
        crm_denclue_params dp = p->denclue;
        dp.n_threads = p->kmeans.n_threads;
        dp.seed = p->kmeans.seed;
        if (p->sample != 0) { /* --sample N or all; auto keeps DENCLUE's own default */
            dp.max_climbs = p->sample > 0 ? p->sample : 0;
        }
        rc = crm_denclue_fit(&dp, x, progress, &seg->dc, err);
        if (rc == CRM_OK && dp.max_climbs > 0 && x->n_rows > dp.max_climbs) {
            seg->sample_rows = dp.max_climbs;
        }
    }
    if (rc != CRM_OK) {
        return rc;
    }
    l = seg->og ? crm_optigrid_labels(seg->og) : crm_denclue_labels(seg->dc);
    c = seg->og ? crm_optigrid_k(seg->og) : crm_denclue_k(seg->dc);
    seg->k = c + 1;
    for (int64_t i = 0; i < x->n_rows; i++) {
        seg->labels[i] = l[i] >= 0 ? l[i] : c;
    }
    return CRM_OK;
}

crm_status crm__segment_fit_algo(crm_segmenter *seg,
                                 const crm_segment_params *p,
                                 const crm_matrix *x,
                                 const crm_progress *progress,
                                 crm_error *err)
{
    const int32_t *l;
    crm_status rc;
    if (seg->algo == CRM_SEGMENT_ALGO_BIRCH || seg->algo == CRM_SEGMENT_ALGO_EM ||
        seg->algo == CRM_SEGMENT_ALGO_DBSCAN || seg->algo == CRM_SEGMENT_ALGO_OPTIGRID ||
        seg->algo == CRM_SEGMENT_ALGO_DENCLUE) {
        seg->n_rows = x->n_rows;
        seg->labels = crm_mallocarray((size_t)(x->n_rows > 0 ? x->n_rows : 1), sizeof *seg->labels);
        if (seg->labels == NULL) {
            return crm__error_nomem(err);
        }
        rc = seg->algo == CRM_SEGMENT_ALGO_BIRCH    ? fit_birch(seg, p, x, progress, err)
             : seg->algo == CRM_SEGMENT_ALGO_EM     ? fit_em(seg, p, x, progress, err)
             : seg->algo == CRM_SEGMENT_ALGO_DBSCAN ? fit_dbscan(seg, p, x, progress, err)
                                                    : fit_grid_or_kde(seg, p, x, progress, err);
        if (rc == CRM_OK) {
            seg->inertia = sse_by_label(x, seg->labels, seg->k);
        }
        return rc;
    }
    rc = seg->algo == CRM_SEGMENT_ALGO_HIER ? fit_hier(seg, p, x, progress, err)
                                            : fit_kmodes(seg, p, x, progress, err);
    if (rc != CRM_OK) {
        return rc;
    }
    seg->n_rows = x->n_rows;
    seg->labels = crm_mallocarray((size_t)(x->n_rows > 0 ? x->n_rows : 1), sizeof *seg->labels);
    if (seg->labels == NULL) {
        return crm__error_nomem(err);
    }
    if (seg->hc != NULL) {
        /* Every customer, training ones included, belongs to the segment of the nearest
         * centre of the cut's clusters, so that assign reproduces the training labels (as
         * for every segmentation model); the cut itself stays in crm_segmenter_hclust. */
        double *dist = crm_mallocarray((size_t)(x->n_rows > 0 ? x->n_rows : 1), sizeof *dist);
        double total = 0.0;
        if (dist == NULL) {
            return crm__error_nomem(err);
        }
        rc = crm_hclust_assign(seg->hc, x, seg->labels, dist, err);
        for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
            total += dist[i];
        }
        crm_free(dist);
        seg->inertia = total;
        return rc;
    }
    l = crm_kmodes_labels(seg->kmo);
    memcpy(seg->labels, l, (size_t)x->n_rows * sizeof *l);
    return CRM_OK;
}

crm_status crm__segment_assign_algo(const crm_segmenter *seg,
                                    const crm_matrix *x,
                                    int32_t *labels,
                                    double *dist,
                                    crm_error *err)
{
    crm__seg_mixed m;
    crm_status rc;
    if (seg->algo == CRM_SEGMENT_ALGO_HIER) {
        return crm_hclust_assign(seg->hc, x, labels, dist, err);
    }
    if (seg->bi != NULL) {
        return crm_birch_assign(seg->bi, x, labels, dist, err);
    }
    if (seg->db != NULL) {
        rc = crm_dbscan_assign(seg->db, x, labels, dist, err);
        for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
            if (labels[i] < 0) {
                labels[i] = seg->k - 1; /* the noise segment */
            }
        }
        return rc;
    }
    if (seg->og != NULL || seg->dc != NULL) {
        rc = seg->og ? crm_optigrid_assign(seg->og, x, labels, err)
                     : crm_denclue_assign(seg->dc, x, labels, dist, err);
        for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
            if (labels[i] < 0) {
                labels[i] = seg->k - 1; /* the noise segment */
            }
            if (seg->og != NULL && dist != NULL) {
                dist[i] = (double)NAN; /* a grid cell has no centre */
            }
        }
        return rc;
    }
    if (seg->gm != NULL) {
        /* dist: minus the log of the row's probability under its component is not a
         * distance; the squared distance to the component's mean is */
        rc = crm_gmm_assign(seg->gm, x, labels, err);
        if (rc == CRM_OK && dist != NULL) {
            const double *mu = crm_gmm_means(seg->gm);
            for (int64_t i = 0; i < x->n_rows; i++) {
                dist[i] = crm__sq_dist_rows(CRM_ROW(x, i), mu + labels[i] * x->n_cols, x->n_cols);
            }
        }
        return rc;
    }
    rc = crm__segment_mixed(seg->prep, x, &m, err);
    if (rc == CRM_OK) {
        rc = crm_kmodes_assign(seg->kmo, &m.x, labels, dist, err);
    }
    crm__segment_mixed_fini(&m);
    return rc;
}
