/* validity.c: internal and relative cluster validity indices for a hard labelling.
 *
 * Centroid-based indices (SSE, CP, SP, Davies-Bouldin, Calinski-Harabasz) are O(n dim); they
 * follow scikit-learn 1.2's definitions where it has one. Silhouette and Dunn need every
 * pairwise distance: O(m^2 dim) on m rows, all of them up to exact_max_rows, else a seeded
 * sample without replacement (as silhouette_score(sample_size=m) does). The pairwise pass is
 * parallel over rows; each row's numbers are computed in a fixed order and reduced serially
 * in row order, so the result does not depend on the number of threads.
 * Davies and Bouldin, "A Cluster Separation Measure", IEEE PAMI 1(2), 1979; Dunn, "Well
 * separated clusters and optimal fuzzy partitions", J. Cybernetics 4(1), 1974; Rousseeuw,
 * "Silhouettes", J. Comput. Appl. Math. 20, 1987; Calinski and Harabasz, Comm. Stat. 3(1),
 * 1974. Definitions: docs/algorithms/validity.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>
#include <crmkit/rng.h>
#include <crmkit/validity.h>

#include "core/core_internal.h"
#include "validity/validity_internal.h"

crm_validity_params crm_validity_params_default(void)
{
    return (crm_validity_params){ .exact_max_rows = CRM_VALIDITY_EXACT_MAX_ROWS,
                                  .sample_rows = CRM_VALIDITY_EXACT_MAX_ROWS,
                                  .seed = 0,
                                  .pairwise = 1,
                                  .n_threads = 0 };
}

crm_status crm_validity_params_check(const crm_validity_params *p, crm_error *err)
{
    const char *field = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "validity parameters are NULL");
    }
    if (p->exact_max_rows < 2) {
        field = "exact_max_rows";
    } else if (p->sample_rows < 2) {
        field = "sample_rows";
    } else if (p->n_threads < 0) {
        field = "n_threads";
    }
    if (field != NULL) {
        crm__error_set(err, CRM_EINVAL, "%s is out of range", field);
        crm__error_field(err, field);
        return CRM_EINVAL;
    }
    return CRM_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a;
    int32_t y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64_fn(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Dense cluster ids 0..K-1 (in increasing label order, as LabelEncoder) into ids[n]. */
static crm_status
encode_labels(const int32_t *labels, int64_t n, int32_t *ids, int32_t *k, crm_error *err)
{
    int32_t *u = crm_mallocarray((size_t)n, sizeof(int32_t));
    int64_t nu = 0;
    if (u == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0) {
            crm_free(u);
            return crm__error_set(err, CRM_EINVAL, "label of row %lld is negative (%d)",
                                  (long long)(i + 1), (int)labels[i]);
        }
    }
    memcpy(u, labels, (size_t)n * sizeof(int32_t));
    qsort(u, (size_t)n, sizeof(int32_t), cmp_i32);
    for (int64_t i = 0; i < n; i++) {
        if (nu == 0 || u[nu - 1] != u[i]) {
            u[nu++] = u[i];
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t *hit = bsearch(&labels[i], u, (size_t)nu, sizeof(int32_t), cmp_i32);
        ids[i] = (int32_t)(hit - u);
    }
    crm_free(u);
    *k = (int32_t)nu;
    return CRM_OK;
}

static double euclid(const double *a, const double *b, int64_t dim)
{
    double s = 0.0;
    for (int64_t d = 0; d < dim; d++) {
        double t = a[d] - b[d];
        s += t * t;
    }
    return sqrt(s);
}

/* Centroid indices from dense ids: fills everything but silhouette and Dunn. */
typedef struct cent_ws {
    double *cent;  /* k x dim */
    double *count; /* k */
    double *intra; /* k: mean distance to the centroid */
    double *mean;  /* dim */
} cent_ws;

static void centroid_sums(const crm_matrix *x, const int32_t *ids, int32_t k, cent_ws *w)
{
    int64_t dim = x->n_cols;
    memset(w->cent, 0, (size_t)k * (size_t)dim * sizeof(double));
    memset(w->count, 0, (size_t)k * sizeof(double));
    memset(w->mean, 0, (size_t)dim * sizeof(double));
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t d = 0; d < dim; d++) {
            w->cent[ids[i] * dim + d] += row[d];
            w->mean[d] += row[d];
        }
        w->count[ids[i]] += 1.0;
    }
    for (int32_t j = 0; j < k; j++) {
        for (int64_t d = 0; d < dim; d++) {
            w->cent[j * dim + d] /= w->count[j];
        }
    }
    for (int64_t d = 0; d < dim; d++) {
        w->mean[d] /= (double)x->n_rows;
    }
}

static void
centroid_indices(const crm_matrix *x, const int32_t *ids, int32_t k, cent_ws *w, crm_validity *v)
{
    int64_t dim = x->n_cols;
    crm__ksum sse = { 0.0, 0.0 };
    double extra = 0.0;
    double cp = 0.0;
    double sp = 0.0;
    double db = 0.0;
    int intra_zero = 1;
    int cent_zero = 1;
    centroid_sums(x, ids, k, w);
    memset(w->intra, 0, (size_t)k * sizeof(double));
    for (int64_t i = 0; i < x->n_rows; i++) {
        double d = euclid(CRM_ROW(x, i), w->cent + ids[i] * dim, dim);
        crm__ksum_add(&sse, d * d);
        w->intra[ids[i]] += d;
    }
    for (int32_t j = 0; j < k; j++) {
        double e = 0.0;
        w->intra[j] /= w->count[j];
        cp += w->intra[j];
        intra_zero &= fabs(w->intra[j]) <= 1e-8;
        for (int64_t d = 0; d < dim; d++) {
            double t = w->cent[j * dim + d] - w->mean[d];
            e += t * t;
        }
        extra += w->count[j] * e;
    }
    /* Davies-Bouldin as scikit-learn: coincident centroids are infinitely far apart, and
     * all-zero spreads or all-zero separations give 0. */
    for (int32_t j = 0; j < k; j++) {
        double worst = 0.0;
        for (int32_t l = 0; l < k; l++) {
            double dc = euclid(w->cent + j * dim, w->cent + l * dim, dim);
            if (l == j) {
                continue;
            }
            cent_zero &= fabs(dc) <= 1e-8;
            if (l > j) {
                sp += dc;
            }
            if (dc != 0.0 && (w->intra[j] + w->intra[l]) / dc > worst) {
                worst = (w->intra[j] + w->intra[l]) / dc;
            }
        }
        db += worst;
    }
    v->sse = sse.sum;
    v->cp = cp / k;
    v->sp = sp / (0.5 * k * (k - 1));
    v->db = (intra_zero || cent_zero) ? 0.0 : db / k;
    v->ch = sse.sum == 0.0 ? 1.0 : extra * (double)(x->n_rows - k) / (sse.sum * (double)(k - 1));
}

/* Rows for the pairwise indices: all, or a sorted seeded sample. */
static crm_status
pick_rows(int64_t n, const crm_validity_params *p, int64_t **rows, int64_t *m, crm_error *err)
{
    crm_rng rng;
    int64_t *idx = crm_mallocarray((size_t)n, sizeof(int64_t));
    if (idx == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    *m = n;
    if (n > p->exact_max_rows) {
        *m = p->sample_rows < n ? p->sample_rows : n;
        crm_rng_seed(&rng, p->seed);
        for (int64_t i = 0; i < *m; i++) {
            int64_t j = i + (int64_t)crm_rng_below(&rng, (uint64_t)(n - i));
            int64_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        qsort(idx, (size_t)*m, sizeof(int64_t), cmp_i64_fn);
    }
    *rows = idx;
    return CRM_OK;
}

/* Silhouette and Dunn on the picked rows (NaN when the sample has < 2 clusters). */
static crm_status pair_indices(const crm_matrix *x,
                               const int32_t *ids,
                               int32_t k,
                               const crm_validity_params *p,
                               const crm_progress *progress,
                               crm_validity *v,
                               crm_error *err)
{
    int64_t *rows = NULL;
    int32_t *sid = NULL;
    int64_t *freq = NULL;
    int64_t m = 0;
    int32_t present = 0;
    int nt = p->n_threads > 0 ? p->n_threads : 1;
    crm_status st;
#ifdef _OPENMP
    if (p->n_threads == 0) {
        nt = omp_get_max_threads();
    }
#endif
    st = pick_rows(x->n_rows, p, &rows, &m, err);
    if (st != CRM_OK) {
        return st;
    }
    sid = crm_mallocarray((size_t)m, sizeof(int32_t));
    freq = crm_calloc((size_t)k, sizeof(int64_t));
    if (sid == NULL || freq == NULL) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
    for (int64_t t = 0; t < m; t++) {
        sid[t] = ids[rows[t]];
        present += freq[sid[t]] == 0;
        freq[sid[t]]++;
    }
    v->pairwise_rows = m;
    v->sampled = m < x->n_rows;
    if (present >= 2 && present < m) { /* else the indices stay NaN */
        crm__validity_job job = { x, rows, sid, m, k, nt, progress };
        st = crm__validity_pairwise(&job, &v->silhouette, &v->dunn, err);
    }
cleanup:
    crm_free(rows);
    crm_free(sid);
    crm_free(freq);
    return st;
}

crm_status crm_validity_compute(const crm_matrix *x,
                                const int32_t *labels,
                                const crm_validity_params *p,
                                const crm_progress *progress,
                                crm_validity *out,
                                crm_error *err)
{
    crm_validity v;
    cent_ws w;
    int32_t *ids = NULL;
    int32_t k = 0;
    crm_status st = crm_validity_params_check(p, err);
    if (st != CRM_OK) {
        return st;
    }
    if (x == NULL || labels == NULL || out == NULL || x->n_rows < 1 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA, "validity needs a non-empty matrix and labels");
    }
    st = crm_matrix_check_finite(x, err);
    if (st != CRM_OK) {
        return st;
    }
    memset(&v, 0, sizeof v);
    memset(&w, 0, sizeof w);
    v.n_rows = x->n_rows;
    v.silhouette = NAN;
    v.dunn = NAN;
    ids = crm_mallocarray((size_t)x->n_rows, sizeof(int32_t));
    if (ids == NULL) {
        return crm__error_nomem(err);
    }
    st = encode_labels(labels, x->n_rows, ids, &k, err);
    if (st == CRM_OK && (k < 2 || k >= x->n_rows)) {
        st = crm__error_set(err, CRM_EDATA,
                            "validity indices need 2 to n_rows - 1 clusters (%lld rows, %d "
                            "distinct labels)",
                            (long long)x->n_rows, (int)k);
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    v.k = k;
    w.cent = crm_mallocarray((size_t)k * (size_t)x->n_cols, sizeof(double));
    w.count = crm_mallocarray((size_t)k, sizeof(double));
    w.intra = crm_mallocarray((size_t)k, sizeof(double));
    w.mean = crm_mallocarray((size_t)x->n_cols, sizeof(double));
    if (!w.cent || !w.count || !w.intra || !w.mean) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
    centroid_indices(x, ids, k, &w, &v);
    if (p->pairwise) {
        st = pair_indices(x, ids, k, p, progress, &v, err);
    }
    if (st == CRM_OK) {
        *out = v;
    }
cleanup:
    crm_free(ids);
    crm_free(w.cent);
    crm_free(w.count);
    crm_free(w.intra);
    crm_free(w.mean);
    return st;
}
