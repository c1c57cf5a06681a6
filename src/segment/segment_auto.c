/* segment_auto.c: choosing k for marketing use: the k table (SSE, BIC, silhouette,
 * Calinski-Harabasz, Davies-Bouldin for every k in the range), the choice by silhouette, and
 * the minimum segment share (clusters below it are outliers, not segments).
 *
 * For each k in [kmin, kmax]: k-means (k-means++ with the seed, n_init seedings); clusters
 * holding fewer than min_share of the rows are removed and their rows become outliers; the
 * remaining centres are refined by k-means on the other rows (they already are those rows'
 * means, so this settles in an iteration or two); every outlier row takes the segment of its
 * nearest centre. The criteria are computed on the segments' own rows (outliers left out):
 * SSE, the X-means BIC (crm_xmeans_bic), the silhouette on a seeded sample of
 * SEG_AUTO_SAMPLE rows, Calinski-Harabasz and Davies-Bouldin (crm_validity_compute).
 *
 * The rule: the k whose segmentation has the highest silhouette (the mean, over customers, of
 * how much nearer they are to their own segment than to the next one); ties go to the fewer
 * segments. Silhouette is the criterion that does not grow with k by construction (SSE falls,
 * BIC and CH reward more centres on hundreds of thousands of rows) and it is the one a
 * marketing reader can be told in a sentence. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/segment.h>
#include <crmkit/validity.h>
#include <crmkit/xmeans.h>

#include "core/core_internal.h"
#include "segment_internal.h"

/* Rows the silhouette (and Dunn) are computed on beyond which they are sampled. */
#define SEG_AUTO_SAMPLE 4000

/* One segmentation: a fitted k-means on the kept rows, labels of every row, outlier flags. */
typedef struct seg_try {
    crm_kmeans *km;
    int32_t *labels;  /* n_rows */
    uint8_t *outlier; /* n_rows */
    int64_t n_outliers;
} seg_try;

static void try_free(seg_try *t)
{
    crm_kmeans_free(t->km);
    crm_free(t->labels);
    crm_free(t->outlier);
    memset(t, 0, sizeof *t);
}

/* Rows of x whose flag is 0 (n_in of them) into a new matrix. */
static crm_status kept_rows(const crm_matrix *x,
                            const uint8_t *outlier,
                            int64_t n_in,
                            crm_matrix *out,
                            crm_error *err)
{
    int64_t r = 0;
    crm_status rc = crm_matrix_init(out, n_in, x->n_cols, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        if (!outlier[i]) {
            memcpy(CRM_ROW(out, r), CRM_ROW(x, i), (size_t)x->n_cols * sizeof(double));
            r++;
        }
    }
    return CRM_OK;
}

crm_status crm__segment_prune(crm_kmeans **km,
                              const crm_matrix *x,
                              double min_share,
                              const crm_kmeans_params *kp,
                              int32_t **labels_out,
                              uint8_t **outlier_out,
                              int64_t *n_outliers,
                              crm_error *err)
{
    int32_t k = crm_kmeans_k(*km);
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    const int32_t *lab = crm_kmeans_labels(*km);
    int64_t *count = crm_calloc((size_t)k, sizeof *count);
    int32_t *labels = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *labels);
    uint8_t *outlier = crm_calloc((size_t)(n > 0 ? n : 1), 1);
    double *kept = NULL;
    crm_kmeans *km2 = NULL;
    crm_matrix xin;
    int32_t k2 = 0;
    int32_t biggest = 0;
    int64_t n_out = 0;
    crm_status rc = CRM_OK;
    memset(&xin, 0, sizeof xin);
    if (count == NULL || labels == NULL || outlier == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    if (lab == NULL || crm_kmeans_n_rows(*km) != n) {
        rc = crm_kmeans_assign(*km, x, labels, NULL, err);
        if (rc != CRM_OK) {
            goto done;
        }
        lab = labels;
    } else {
        memcpy(labels, lab, (size_t)n * sizeof *labels);
    }
    for (int64_t i = 0; i < n; i++) {
        count[labels[i]]++;
    }
    for (int32_t j = 1; j < k; j++) {
        biggest = count[j] > count[biggest] ? j : biggest;
    }
    for (int32_t j = 0; j < k; j++) {
        if (j == biggest || !((double)count[j] < min_share * (double)n)) {
            k2++;
        }
    }
    if (k2 == k) {
        goto done; /* nothing below the share: the model stands */
    }
    kept = crm_mallocarray((size_t)k2 * (size_t)dim, sizeof *kept);
    if (kept == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    k2 = 0;
    for (int32_t j = 0; j < k; j++) {
        if (j == biggest || !((double)count[j] < min_share * (double)n)) {
            memcpy(kept + (size_t)k2 * (size_t)dim,
                   crm_kmeans_centers(*km) + (size_t)j * (size_t)dim, (size_t)dim * sizeof *kept);
            k2++;
        } else {
            n_out += count[j];
            count[j] = -1; /* marks a removed cluster */
        }
    }
    for (int64_t i = 0; i < n; i++) {
        outlier[i] = count[labels[i]] < 0;
    }
    rc = kept_rows(x, outlier, n - n_out, &xin, err);
    if (rc == CRM_OK) {
        crm_kmeans_params p2 = *kp;
        p2.k = k2;
        rc = crm_kmeans_new(&p2, &km2, err);
    }
    if (rc == CRM_OK) {
        rc = crm_kmeans_fit_from(km2, &xin, kept, NULL, err);
    }
    if (rc == CRM_OK) {
        rc = crm_kmeans_assign(km2, x, labels, NULL, err);
    }
    if (rc == CRM_OK) {
        crm_kmeans_free(*km);
        *km = km2;
        km2 = NULL;
    }
done:
    crm_kmeans_free(km2);
    crm_matrix_fini(&xin);
    crm_free(kept);
    crm_free(count);
    if (rc != CRM_OK) {
        crm_free(labels);
        crm_free(outlier);
        return rc;
    }
    *labels_out = labels;
    *outlier_out = outlier;
    *n_outliers = n_out;
    return CRM_OK;
}

/* The criteria of one segmentation, on its segments' own rows. */
static crm_status score(const crm_matrix *x,
                        const seg_try *t,
                        uint64_t seed,
                        int32_t n_threads,
                        crm_segment_kscore *row,
                        crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t n_in = n - t->n_outliers;
    int32_t k = crm_kmeans_k(t->km);
    int32_t *lab = crm_mallocarray((size_t)(n_in > 0 ? n_in : 1), sizeof *lab);
    int64_t *count = crm_calloc((size_t)k, sizeof *count);
    crm_matrix xin;
    const crm_matrix *xs = x;
    crm_status rc = CRM_OK;
    memset(&xin, 0, sizeof xin);
    row->segments = k;
    row->outliers = t->n_outliers;
    row->sse = row->bic = row->silhouette = row->ch = row->db = (double)NAN;
    row->smallest_share = 0.0;
    if (lab == NULL || count == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0, r = 0; i < n; i++) {
        count[t->labels[i]]++;
        if (!t->outlier[i]) {
            lab[r++] = t->labels[i];
        }
    }
    row->smallest_share = 1.0;
    for (int32_t j = 0; j < k; j++) {
        double s = (double)count[j] / (double)n;
        row->smallest_share = s < row->smallest_share ? s : row->smallest_share;
    }
    if (t->n_outliers > 0) {
        rc = kept_rows(x, t->outlier, n_in, &xin, err);
        xs = &xin;
    }
    if (rc == CRM_OK && n_in > k) {
        rc = crm_xmeans_bic(xs, lab, crm_kmeans_centers(t->km), k, &row->bic, err);
    }
    if (rc == CRM_OK && k >= 2 && n_in > k) {
        crm_validity_params vp = crm_validity_params_default();
        crm_validity v;
        vp.exact_max_rows = SEG_AUTO_SAMPLE;
        vp.sample_rows = SEG_AUTO_SAMPLE;
        vp.seed = seed;
        vp.n_threads = n_threads;
        rc = crm_validity_compute(xs, lab, &vp, NULL, &v, err);
        if (rc == CRM_OK) {
            row->sse = v.sse;
            row->silhouette = v.silhouette;
            row->ch = v.ch;
            row->db = v.db;
        }
    } else if (rc == CRM_OK) {
        row->sse = crm_kmeans_inertia(t->km);
    }
done:
    crm_matrix_fini(&xin);
    crm_free(lab);
    crm_free(count);
    return rc;
}

/* Is row a better choice than best (the rule in the file comment)? */
static int better(const crm_segment_kscore *row, const crm_segment_kscore *best)
{
    if (isnan(row->silhouette)) {
        return 0;
    }
    if (best == NULL || isnan(best->silhouette)) {
        return 1;
    }
    if (row->silhouette != best->silhouette) {
        return row->silhouette > best->silhouette;
    }
    return row->segments < best->segments;
}

crm_status crm__segment_sweep(crm_segmenter *seg,
                              const crm_segment_params *p,
                              const crm_matrix *x,
                              const crm_progress *progress,
                              crm_error *err)
{
    int32_t n_k = p->kmax - p->kmin + 1;
    seg_try best;
    int32_t best_row = -1;
    crm_status rc = CRM_OK;
    memset(&best, 0, sizeof best);
    seg->table = crm_calloc((size_t)n_k, sizeof *seg->table);
    if (seg->table == NULL) {
        return crm__error_nomem(err);
    }
    seg->n_table = 0;
    for (int32_t k = p->kmin; k <= p->kmax && rc == CRM_OK; k++) {
        crm_kmeans_params kp = p->kmeans;
        crm_segment_kscore *row = &seg->table[seg->n_table];
        seg_try t;
        memset(&t, 0, sizeof t);
        if ((int64_t)k > x->n_rows) {
            break;
        }
        kp.k = k;
        rc = crm_kmeans_new(&kp, &t.km, err);
        if (rc == CRM_OK) {
            rc = crm_kmeans_fit(t.km, x, NULL, err);
        }
        if (rc == CRM_EDATA && seg->n_table > 0) {
            crm_error_clear(err); /* fewer distinct customers than k: the table ends here */
            try_free(&t);
            rc = CRM_OK;
            break;
        }
        if (rc == CRM_OK) {
            rc = crm__segment_prune(&t.km, x, p->min_share, &kp, &t.labels, &t.outlier,
                                    &t.n_outliers, err);
        }
        if (rc == CRM_OK) {
            row->k = k;
            rc = score(x, &t, p->kmeans.seed, p->kmeans.n_threads, row, err);
        }
        if (rc == CRM_OK) {
            seg->n_table++;
            if (better(row, best_row >= 0 ? &seg->table[best_row] : NULL) || best.km == NULL) {
                try_free(&best);
                best = t;
                best_row = seg->n_table - 1;
                memset(&t, 0, sizeof t);
            }
        }
        try_free(&t);
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "choosing k", (double)(k - p->kmin + 1) / n_k)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "segmentation cancelled");
        }
    }
    if (rc != CRM_OK) {
        try_free(&best);
        return rc;
    }
    seg->chosen_row = best_row;
    seg->km = best.km;
    seg->outlier = best.outlier;
    seg->n_outliers = best.n_outliers;
    seg->labels = best.labels;
    return CRM_OK;
}
