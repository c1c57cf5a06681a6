/* segment.c: the segmentation pipeline (crmkit/segment.h): clean with crm_prep, cluster with
 * crm_kmeans (k given) or crm_xmeans / crm_elbow (k chosen), profile and name the segments.
 *
 * The object only composes the modules; every algorithm lives in its own module. Its own
 * work is the glue that must be right for `crmkit assign` to reproduce the training labels:
 * the same fitted transform (prep), the same centres (kmeans), and clear messages when new
 * data does not fit the model. Persistence is in segment_io.c. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <crmkit/dist.h>
#include <crmkit/minibatch.h>
#include <crmkit/segment.h>
#include <crmkit/xmeans.h>

#include "core/core_internal.h"
#include "prep/prep_rows.h"
#include "segment_internal.h"

crm_segment_params crm_segment_params_default(void)
{
    crm_segment_params p;
    memset(&p, 0, sizeof p);
    p.prep = crm_prep_params_default();
    p.k = 8;
    p.method = CRM_SEGMENT_FIXED;
    p.prep.transform = CRM_TRANSFORM_AUTO;
    p.kmin = 2;
    p.kmax = 12;
    p.kmeans = crm_kmeans_params_default();
    p.algo = CRM_SEGMENT_ALGO_KMEANS;
    p.kmodes = crm_kmodes_params_default();
    p.hclust = crm_hclust_params_default();
    p.cut_height = 0.0;
    p.min_share = 0.01;
    p.birch = crm_birch_params_default();
    p.gmm = crm_gmm_params_default();
    p.dbscan = crm_dbscan_params_default();
    p.optigrid = crm_optigrid_params_default();
    p.denclue = crm_denclue_params_default();
    return p;
}

const char *crm_segment_algo_name(crm_segment_algo a)
{
    static const char *const names[] = { "kmeans", "kmodes", "kprototypes", "hier",   "birch",
                                         "em",     "dbscan", "optigrid",    "denclue" };
    return (unsigned)a <= CRM_SEGMENT_ALGO_DENCLUE ? names[a] : NULL;
}

/* The checks that concern the algorithm field and its own parameters. */
static crm_status check_algo(const crm_segment_params *p, crm_error *err)
{
    crm_status rc = CRM_OK;
    if ((unsigned)p->algo > CRM_SEGMENT_ALGO_DENCLUE) {
        crm__error_set(err, CRM_EINVAL, "unknown segmentation algorithm %d", (int)p->algo);
        crm__error_field(err, "algo");
        return CRM_EINVAL;
    }
    if (p->algo == CRM_SEGMENT_ALGO_KMEANS) {
        if (p->cut_height != 0.0) {
            crm__error_set(err, CRM_EINVAL, "a cut height needs the hierarchical algorithm");
            crm__error_field(err, "cut_height");
            return CRM_EINVAL;
        }
        return CRM_OK;
    }
    if (p->method == CRM_SEGMENT_XMEANS || p->method == CRM_SEGMENT_SWEEP) {
        crm__error_set(err, CRM_EINVAL,
                       "X-means and the k sweep choose k for k-means only; "
                       "use the %s "
                       "algorithm with a fixed k or k chosen automatically",
                       crm_segment_algo_name(p->algo));
        crm__error_field(err, "method");
        return CRM_EINVAL;
    }
    if (p->init_centers != NULL) {
        return crm__error_set(err, CRM_EINVAL, "initial centres are for k-means only");
    }
    if (!(p->cut_height >= 0.0) || isinf(p->cut_height) ||
        (p->cut_height > 0.0 &&
         (p->algo != CRM_SEGMENT_ALGO_HIER || p->method != CRM_SEGMENT_FIXED))) {
        crm__error_set(err, CRM_EINVAL,
                       "a cut height must be a finite number >= 0, and needs "
                       "the hierarchical algorithm with no automatic k");
        crm__error_field(err, "cut_height");
        return CRM_EINVAL;
    }
    if (p->algo == CRM_SEGMENT_ALGO_HIER) {
        rc = crm_hclust_params_check(&p->hclust, err);
    } else if (p->algo == CRM_SEGMENT_ALGO_BIRCH) {
        crm_birch_params bp = p->birch;
        bp.k = 1;
        bp.n_threads = 0;
        rc = crm_birch_params_check(&bp, err);
    } else if (p->algo == CRM_SEGMENT_ALGO_EM) {
        crm_gmm_params gp = p->gmm;
        gp.k = 1;
        gp.n_threads = 0;
        rc = crm_gmm_params_check(&gp, err);
    } else if (p->algo == CRM_SEGMENT_ALGO_DBSCAN) {
        crm_dbscan_params dp = p->dbscan;
        dp.n_threads = 0;
        rc = crm_dbscan_params_check(&dp, err);
    } else if (p->algo == CRM_SEGMENT_ALGO_OPTIGRID) {
        rc = crm_optigrid_params_check(&p->optigrid, err);
    } else if (p->algo == CRM_SEGMENT_ALGO_DENCLUE) {
        crm_denclue_params dp = p->denclue;
        dp.n_threads = 0;
        rc = crm_denclue_params_check(&dp, err);
    } else {
        crm_kmodes_params kp = p->kmodes;
        kp.k = 1;
        kp.n_init = 1;
        kp.max_iter = 1;
        kp.n_threads = 0;
        rc = crm_kmodes_params_check(&kp, err);
    }
    return rc;
}

crm_status crm_segment_params_check(const crm_segment_params *p, crm_error *err)
{
    crm_kmeans_params kp = p->kmeans;
    crm_status rc = crm_prep_params_check(&p->prep, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (!(p->min_share >= 0.0 && p->min_share < 0.5)) {
        crm__error_set(err, CRM_EINVAL, "min_share must be in [0, 0.5), got %g", p->min_share);
        crm__error_field(err, "min_share");
        return CRM_EINVAL;
    }
    if ((unsigned)p->method > CRM_SEGMENT_SWEEP) {
        return crm__error_set(err, CRM_EINVAL, "unknown segmentation method %d", (int)p->method);
    }
    rc = check_algo(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (p->method == CRM_SEGMENT_FIXED && p->k < 1 && p->cut_height == 0.0) {
        crm__error_set(err, CRM_EINVAL, "k must be at least 1, got %d", (int)p->k);
        crm__error_field(err, "k");
        return CRM_EINVAL;
    }
    if (p->method != CRM_SEGMENT_FIXED && (p->kmin < 1 || p->kmax < p->kmin)) {
        crm__error_set(err, CRM_EINVAL, "need 1 <= kmin <= kmax, got kmin %d, kmax %d",
                       (int)p->kmin, (int)p->kmax);
        crm__error_field(err, "kmin");
        return CRM_EINVAL;
    }
    if ((p->method == CRM_SEGMENT_ELBOW ||
         (p->method == CRM_SEGMENT_AUTO &&
          (p->algo == CRM_SEGMENT_ALGO_KMODES || p->algo == CRM_SEGMENT_ALGO_KPROTOTYPES))) &&
        p->kmax < p->kmin + 2) {
        crm__error_set(err, CRM_EINVAL, "the elbow method needs kmax >= kmin + 2, got %d..%d",
                       (int)p->kmin, (int)p->kmax);
        crm__error_field(err, "kmax");
        return CRM_EINVAL;
    }
    if (p->init_centers != NULL && p->method != CRM_SEGMENT_FIXED) {
        return crm__error_set(err, CRM_EINVAL, "initial centres need a fixed k");
    }
    if (p->features != NULL && p->n_features < 1) {
        return crm__error_set(err, CRM_EINVAL, "the feature list is empty");
    }
    if (p->float32 &&
        (p->algo != CRM_SEGMENT_ALGO_KMEANS || p->init_centers != NULL || p->minibatch)) {
        crm__error_set(err, CRM_EINVAL,
                       "float32 storage is for k-means without initial centres "
                       "or mini-batches");
        crm__error_field(err, "float32");
        return CRM_EINVAL;
    }
    kp.k = (p->method == CRM_SEGMENT_FIXED && p->k >= 1) ? p->k : 1;
    return crm_kmeans_params_check(&kp, err);
}

/* ---- default features ---- */

static int name_contains(const char *name, const char *word)
{
    size_t n = strlen(name);
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        size_t j = 0;
        while (j < w && tolower((unsigned char)name[i + j]) == word[j]) {
            j++;
        }
        if (j == w) {
            return 1;
        }
    }
    return 0;
}

static int is_id_name(const char *name)
{
    size_t n = strlen(name);
    if (n >= 3 && strcmp(name + n - 3, "_id") == 0) {
        return 1;
    }
    return strcasecmp(name, "id") == 0 || strcasecmp(name, "msisdn") == 0;
}

/* The features algo clusters when none are named: identifiers, the churn flag and "segment"
 * are left out; k-modes takes the categorical columns, k-prototypes the categorical and
 * numeric ones, every other algorithm the numeric ones. A text column with a level for nearly
 * every row (more than half as many levels as rows: a name or an id) is left out too. */
static crm_status default_features(const crm_table *t,
                                   crm_segment_algo algo,
                                   const char ***out,
                                   int32_t *n,
                                   crm_error *err)
{
    int32_t n_cols = crm_table_n_cols(t);
    int64_t n_rows = crm_table_n_rows(t);
    int kmodes = algo == CRM_SEGMENT_ALGO_KMODES;
    int mixed = kmodes || algo == CRM_SEGMENT_ALGO_KPROTOTYPES;
    const char **list = crm_calloc(n_cols > 0 ? (size_t)n_cols : 1, sizeof *list);
    int32_t m = 0;
    *out = NULL;
    *n = 0;
    if (list == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t j = 0; j < n_cols; j++) {
        const char *name = crm_table_col_name(t, j);
        int numeric = crm_table_col_type(t, j) == CRM_COL_NUMERIC;
        if (name_contains(name, "churn") || is_id_name(name) || strcmp(name, "segment") == 0 ||
            (numeric ? kmodes : !mixed || (int64_t)crm_table_n_levels(t, j) * 2 > n_rows)) {
            continue;
        }
        list[m++] = name;
    }
    if (m == 0) {
        crm_free(list);
        return crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                             "no %s columns to segment on; name them with --features",
                             kmodes  ? "categorical"
                             : mixed ? "usable"
                                     : "numeric");
    }
    *out = list;
    *n = m;
    return CRM_OK;
}

crm_status
crm_segment_default_features(const crm_table *t, const char ***out, int32_t *n, crm_error *err)
{
    return default_features(t, CRM_SEGMENT_ALGO_KMEANS, out, n, err);
}

/* ---- object ---- */

void crm_segmenter_free(crm_segmenter *seg)
{
    if (seg == NULL) {
        return;
    }
    crm_prep_free(seg->prep);
    crm_kmeans_free(seg->km);
    crm_kmodes_free(seg->kmo);
    crm_hclust_free(seg->hc);
    crm_birch_free(seg->bi);
    crm_gmm_free(seg->gm);
    crm_dbscan_free(seg->db);
    crm_optigrid_free(seg->og);
    crm_denclue_free(seg->dc);
    crm_profile_free(seg->profile);
    crm_free(seg->labels);
    crm_free(seg->curve);
    crm_free(seg->source);
    crm_free(seg->table);
    crm_free(seg->outlier);
    crm_drift_ref_free(seg->drift);
    crm_free(seg);
}

/* First missing cell of x (imputation "none"), named by row and feature. */
crm_status crm__segment_check_missing(const crm_prep *prep,
                                      const crm_table *t,
                                      const crm_matrix *x,
                                      crm_error *err)
{
    int64_t r0;
    int64_t r1;
    if (crm_prep_fitted_params(prep).impute != CRM_IMPUTE_NONE) {
        return CRM_OK; /* every missing value was filled */
    }
    if (crm_dist_local_rows()) { /* this rank's rows; the first bad row is the lowest rank's */
        crm_matrix mine = *x;
        crm_dist_own_rows(x->n_rows, &r0, &r1);
        mine.data = r1 > r0 ? CRM_ROW(x, r0) : x->data;
        mine.n_rows = r1 - r0;
        return crm_dist_agree(crm__segment_check_missing_from(prep, t, &mine, r0, err), err);
    }
    return crm__segment_check_missing_from(prep, t, x, 0, err);
}

/* crm__segment_check_missing over x, whose row i is row first + i of the table. */
crm_status crm__segment_check_missing_from(const crm_prep *prep,
                                           const crm_table *t,
                                           const crm_matrix *x,
                                           int64_t first,
                                           crm_error *err)
{
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            if (isnan(row[j])) {
                int32_t f = crm_prep_out_feature(prep, (int32_t)j);
                crm__error_at(err, CRM_EDATA, crm_table_source(t), crm_table_row_line(t, first + i),
                              0,
                              "missing value in row %lld and the model does not impute "
                              "(imputation \"none\"); choose --impute mean, median or neighbours",
                              (long long)(first + i) + 1);
                crm__error_field(err, crm_prep_feature_name(prep, f));
                return CRM_EDATA;
            }
        }
    }
    return CRM_OK;
}

/* What one fit segments: the table, the parameters and the feature columns; rows, when only
 * the first rows of the cleaned matrix are stored (head, clean_rows), cleans the others from
 * the table on demand. */
typedef struct seg_input {
    const crm_table *t;
    const crm_segment_params *p;
    const char *const *features;
    int32_t n_features;
    crm__prep_rows *rows;
    crm_matrix head;
} seg_input;

static crm_status clean(crm_segmenter *seg, const seg_input *in, crm_matrix *x, crm_error *err)
{
    crm_prep_params pp = in->p->prep;
    crm_status rc;
    if (in->p->algo == CRM_SEGMENT_ALGO_KMODES || in->p->algo == CRM_SEGMENT_ALGO_KPROTOTYPES) {
        pp.encode = CRM_ENCODE_ORDINAL; /* raw levels, mapped back in segment_algo.c */
    }
    rc = crm__prep_fit_transform(in->t, in->features, in->n_features, &pp, &seg->prep, x, err);
    if (rc == CRM_OK) {
        rc = crm__segment_check_missing(seg->prep, in->t, x, err);
    }
    return rc;
}

int crm_segment_keeps_half_matrix(const crm_segment_params *p, int64_t n_rows)
{
    return p->algo == CRM_SEGMENT_ALGO_KMEANS && !p->float32 && !p->minibatch && !p->keep_matrix &&
           !crm_dist_active() && crm__segment_sample_size(p, n_rows) > 0;
}

static int rows_on_demand(const seg_input *in)
{
    return crm_segment_keeps_half_matrix(in->p, crm_table_n_rows(in->t));
}

/* float64 storage with the first half of the rows cleaned into in->head (whole blocks of
 * CRM_BLOCK_ROWS), the others cleaned on demand from the table (in->rows): the peak is the
 * table and half the matrix instead of the table and the matrix, and each pass over every
 * row cleans half the rows again. x gets the shape only (no data). With imputation "none" a
 * missing cell would be NaN in the rows, so the matrix is made whole (clean) to find it. */
static crm_status clean_rows(crm_segmenter *seg, seg_input *in, crm_matrix *x, crm_error *err)
{
    int64_t n = crm_table_n_rows(in->t);
    crm_status rc =
        crm_prep_fit(in->t, in->features, in->n_features, &in->p->prep, &seg->prep, err);
    if (rc == CRM_OK && crm_prep_fitted_params(seg->prep).impute == CRM_IMPUTE_NONE) {
        rc = crm_prep_transform(seg->prep, in->t, x, NULL, err);
        return rc == CRM_OK ? crm__segment_check_missing(seg->prep, in->t, x, err) : rc;
    }
    if (rc == CRM_OK) {
        rc = crm__prep_rows_bind(seg->prep, in->t, &in->rows, err);
    }
    if (rc == CRM_OK && n / 2 >= CRM_BLOCK_ROWS) {
        rc = crm__matrix_alloc(&in->head, n / 2 / CRM_BLOCK_ROWS * CRM_BLOCK_ROWS,
                               crm_prep_n_out(seg->prep), err);
        if (rc == CRM_OK) {
            rc = crm__prep_rows_fill(in->rows, 0, in->head.n_rows, &in->head, NULL, err);
        }
    }
    if (rc == CRM_OK) {
        in->head.n_cols = crm_prep_n_out(seg->prep);
        x->n_rows = n;
        x->n_cols = crm_prep_n_out(seg->prep);
        x->ld = x->n_cols;
        x->data = NULL;
    }
    return rc;
}

/* k-means' rows on demand (crm_kmeans_rows_fn): rows [r0, r1) cleaned from the table, which
 * was checked when prep was fitted on it (nothing counted or checked again). An infinite
 * value, the only failure of the cleaning, was refused then; were it to fail, its rows are
 * NaN, which k-means refuses (CRM_EDATA). */
typedef struct rows_ctx {
    const crm__prep_rows *rows;
    int64_t dim;
} rows_ctx;

static void fill_rows(void *ctx, int64_t r0, int64_t r1, double *out)
{
    const rows_ctx *c = ctx;
    crm_matrix m;
    m.n_rows = r1 - r0;
    m.n_cols = c->dim;
    m.ld = c->dim;
    m.data = out;
    if (crm__prep_rows_fill(c->rows, r0, r1, &m, NULL, NULL) != CRM_OK) {
        for (int64_t q = 0; q < (r1 - r0) * c->dim; q++) {
            out[q] = (double)NAN;
        }
    }
}

#define F32_SLICE_ROWS ((int64_t)1 << 14)

/* float32 storage: the cleaned rows a slice at a time through one double slice, narrowed to
 * float into *xf (n x n_out); x gets the shape only (no data). */
static crm_status
clean_f32(crm_segmenter *seg, const seg_input *in, crm_matrix *x, float **xf, crm_error *err)
{
    int64_t n = crm_table_n_rows(in->t);
    int64_t dim;
    int impute_none;
    crm__prep_rows *b = NULL;
    crm__prep_counts counts = { 0, 0 };
    crm_matrix slice;
    float *out = NULL;
    crm_status rc;
    memset(&slice, 0, sizeof slice);
    *xf = NULL;
    rc = crm_prep_fit(in->t, in->features, in->n_features, &in->p->prep, &seg->prep, err);
    if (rc == CRM_OK) {
        rc = crm__prep_rows_bind(seg->prep, in->t, &b, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    dim = crm_prep_n_out(seg->prep);
    impute_none = crm_prep_fitted_params(seg->prep).impute == CRM_IMPUTE_NONE;
    out = crm_mallocarray((size_t)n * (size_t)dim, sizeof *out);
    rc = out == NULL ? crm__error_nomem(err)
                     : crm_matrix_init(&slice, n < F32_SLICE_ROWS ? n : F32_SLICE_ROWS, dim, err);
    for (int64_t i0 = 0; rc == CRM_OK && i0 < n; i0 += F32_SLICE_ROWS) {
        int64_t i1 = i0 + F32_SLICE_ROWS < n ? i0 + F32_SLICE_ROWS : n;
        rc = crm__prep_rows_fill(b, i0, i1, &slice, &counts, err);
        for (int64_t i = 0; rc == CRM_OK && i < i1 - i0; i++) {
            const double *row = CRM_ROW(&slice, i);
            float *to = out + (i0 + i) * dim;
            for (int64_t j = 0; j < dim; j++) {
                if (isnan(row[j]) && impute_none) {
                    int32_t f = crm_prep_out_feature(seg->prep, (int32_t)j);
                    crm__error_at(err, CRM_EDATA, crm_table_source(in->t),
                                  crm_table_row_line(in->t, i0 + i), 0,
                                  "missing value in row %lld and the model does not impute "
                                  "(imputation \"none\"); choose --impute mean, median or "
                                  "neighbours",
                                  (long long)(i0 + i) + 1);
                    crm__error_field(err, crm_prep_feature_name(seg->prep, f));
                    rc = CRM_EDATA;
                    break;
                }
                if (fabs(row[j]) > 3.0e38) {
                    int32_t f = crm_prep_out_feature(seg->prep, (int32_t)j);
                    crm__error_at(err, CRM_EDATA, crm_table_source(in->t),
                                  crm_table_row_line(in->t, i0 + i), 0,
                                  "cleaned value %g in row %lld is past the float32 range; "
                                  "scale the features or leave out float32 storage",
                                  row[j], (long long)(i0 + i) + 1);
                    crm__error_field(err, crm_prep_feature_name(seg->prep, f));
                    rc = CRM_EDATA;
                    break;
                }
                to[j] = (float)row[j];
            }
        }
    }
    crm_matrix_fini(&slice);
    crm__prep_rows_free(b);
    if (rc != CRM_OK) {
        crm_free(out);
        return rc;
    }
    x->n_rows = n;
    x->n_cols = dim;
    x->ld = dim;
    x->data = NULL;
    *xf = out;
    return CRM_OK;
}

static crm_status fit_fixed(crm_segmenter *seg,
                            const crm_segment_params *p,
                            const crm_matrix *x,
                            const crm_progress *progress,
                            crm_error *err)
{
    crm_kmeans_params kp = p->kmeans;
    crm_matrix c;
    crm_status rc;
    memset(&c, 0, sizeof c);
    kp.k = p->k;
    rc = crm_kmeans_new(&kp, &seg->km, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (p->init_centers == NULL) {
        return crm_kmeans_fit(seg->km, x, progress, err);
    }
    if (crm_table_n_rows(p->init_centers) != p->k) {
        return crm__error_at(err, CRM_EINVAL, crm_table_source(p->init_centers), 0, 0,
                             "%lld initial centres given for k = %d",
                             (long long)crm_table_n_rows(p->init_centers), (int)p->k);
    }
    rc = crm_prep_transform(seg->prep, p->init_centers, &c, NULL, err);
    if (rc == CRM_OK) {
        rc = crm__segment_check_missing(seg->prep, p->init_centers, &c, err);
    }
    if (rc == CRM_OK) {
        rc = crm_kmeans_fit_from(seg->km, x, c.data, progress, err);
    }
    crm_matrix_fini(&c);
    return rc;
}

/* Clusters of a chosen k under the minimum share become outliers (X-means, elbow). */
static crm_status
prune(crm_segmenter *seg, const crm_segment_params *p, const crm_matrix *x, crm_error *err)
{
    crm_kmeans_params kp = p->kmeans;
    if (!(p->min_share > 0.0)) {
        return CRM_OK;
    }
    return crm__segment_prune(&seg->km, x, p->min_share, &kp, &seg->labels, &seg->outlier,
                              &seg->n_outliers, err);
}

static crm_status fit_auto(crm_segmenter *seg,
                           const crm_segment_params *p,
                           const crm_matrix *x,
                           const crm_progress *progress,
                           crm_error *err)
{
    if (seg->method == CRM_SEGMENT_SWEEP) {
        return crm__segment_sweep(seg, p, x, progress, err);
    }
    if (seg->method == CRM_SEGMENT_XMEANS) {
        crm_xmeans_params xp = crm_xmeans_params_default();
        crm_xmeans_result res;
        crm_status rc;
        xp.kmin = p->kmin;
        xp.kmax = p->kmax;
        xp.max_iter = p->kmeans.max_iter;
        xp.tol = p->kmeans.tol;
        xp.seed = p->kmeans.seed;
        xp.n_threads = p->kmeans.n_threads;
        xp.min_share = p->min_share;
        rc = crm_xmeans_fit(&xp, x, progress, &seg->km, &res, err);
        seg->bic = rc == CRM_OK ? res.bic : (double)NAN;
        return rc == CRM_OK ? prune(seg, p, x, err) : rc;
    }
    {
        crm_status rc;
        crm_elbow_params ep = crm_elbow_params_default();
        ep.kmin = p->kmin;
        ep.kmax = p->kmax;
        ep.kmeans = p->kmeans;
        rc = crm__segment_curve_new(seg, p->kmin, p->kmax, err);
        if (rc != CRM_OK) {
            return rc;
        }
        rc = crm_elbow_fit(&ep, x, progress, &seg->km, seg->curve, err);
        return rc == CRM_OK ? prune(seg, p, x, err) : rc;
    }
}

#define SAMPLE_N_INIT 3

/* k (or the centres) chosen on the sample xs, which is released; seedings are cheap on the
 * sample and one alone can settle in a poor local optimum that the passes over every row then
 * keep: at least SAMPLE_N_INIT when more_inits. The sample's labels and outliers are not the
 * table's: dropped. *t_done receives the time it ended. */
static crm_status choose_on_sample(crm_segmenter *seg,
                                   const crm_segment_params *p,
                                   crm_matrix *xs,
                                   int more_inits,
                                   double t0,
                                   double *t_done,
                                   const crm_progress *progress,
                                   crm_error *err)
{
    crm_segment_params ps = *p;
    crm_status rc;
    if (more_inits && ps.kmeans.n_init < SAMPLE_N_INIT) {
        ps.kmeans.n_init = SAMPLE_N_INIT;
    }
    rc = seg->method == CRM_SEGMENT_FIXED ? fit_fixed(seg, &ps, xs, progress, err)
                                          : fit_auto(seg, &ps, xs, progress, err);
    crm_matrix_fini(xs);
    *t_done = crm__now_seconds();
    seg->seconds[SEG_T_CHOOSE] = *t_done - t0;
    if (rc != CRM_OK) {
        return rc;
    }
    crm_free(seg->labels);
    crm_free(seg->outlier);
    seg->labels = NULL;
    seg->outlier = NULL;
    seg->n_outliers = 0;
    return CRM_OK;
}

/* The full model replaces the sample's when rc is CRM_OK; the passes over every row timed
 * from t1. */
static crm_status adopt_full(crm_segmenter *seg, crm_kmeans *full, crm_status rc, double t1)
{
    if (rc == CRM_OK) {
        crm_kmeans_free(seg->km);
        seg->km = full;
    } else {
        crm_kmeans_free(full);
    }
    seg->seconds[SEG_T_FULL] = crm__now_seconds() - t1;
    return rc;
}

/* A large table: k-means (and the choice of k) on a sample of m rows, then Lloyd iterations
 * over every row from the sample's centres: the rows of x, or with in->rows (x then has the
 * shape only) in->head and rows cleaned from the table on demand. */
static crm_status fit_sampled(crm_segmenter *seg,
                              const seg_input *in,
                              const crm_matrix *x,
                              int64_t m,
                              const crm_progress *progress,
                              crm_error *err)
{
    const crm_segment_params *p = in->p;
    crm_kmeans_params kp = p->kmeans;
    crm_kmeans *full = NULL;
    crm_matrix xs;
    rows_ctx rc_rows = { in->rows, x->n_cols };
    double t0 = crm__now_seconds();
    double t1;
    crm_status rc;
    memset(&xs, 0, sizeof xs);
    rc = in->rows != NULL
             ? crm__segment_sample_rows(in->rows, &in->head, x->n_rows, m, p->kmeans.seed, &xs, err)
             : crm__segment_sample(x, m, p->kmeans.seed, &xs, err);
    if (rc != CRM_OK) {
        crm_matrix_fini(&xs);
        return rc;
    }
    rc = choose_on_sample(seg, p, &xs, 1, t0, &t1, progress, err);
    if (rc != CRM_OK) {
        return rc;
    }
    seg->sample_rows = m;
    kp.k = crm_kmeans_k(seg->km);
    rc = crm_kmeans_new(&kp, &full, err);
    if (rc == CRM_OK && p->minibatch) {
        /* Sculley's mini-batches over every row, then Lloyd from where they leave the centres */
        crm_minibatch_params mp = crm_minibatch_params_default();
        size_t cells = (size_t)kp.k * (size_t)x->n_cols;
        double *c = crm_mallocarray(cells, sizeof *c);
        mp.seed = p->kmeans.seed;
        mp.n_threads = p->kmeans.n_threads;
        rc = c == NULL ? crm__error_nomem(err) : CRM_OK;
        if (rc == CRM_OK) {
            memcpy(c, crm_kmeans_centers(seg->km), cells * sizeof *c);
            rc = crm_minibatch_refine(x, kp.k, c, &mp, err);
        }
        if (rc == CRM_OK) {
            rc = crm_kmeans_fit_from(full, x, c, progress, err);
        }
        crm_free(c);
    } else if (rc == CRM_OK && in->rows != NULL) {
        rc = crm_kmeans_fit_from_rows(full, &in->head, x->n_rows, (int32_t)x->n_cols, fill_rows,
                                      &rc_rows, crm_kmeans_centers(seg->km), progress, err);
    } else if (rc == CRM_OK) {
        rc = crm_kmeans_fit_from(full, x, crm_kmeans_centers(seg->km), progress, err);
    }
    return adopt_full(seg, full, rc, t1);
}

/* float32 storage: k (or the centres) from the sample widened to double (every row when the
 * table takes no sample), then Lloyd over every float row, accumulating in double. */
static crm_status fit_f32(crm_segmenter *seg,
                          const crm_segment_params *p,
                          const crm_matrix *x,
                          const float *xf,
                          const crm_progress *progress,
                          crm_error *err)
{
    crm_kmeans_params kp = p->kmeans;
    crm_kmeans *full = NULL;
    crm_matrix xs;
    int64_t n = x->n_rows;
    int64_t m = crm__segment_sample_size(p, n);
    double t0 = crm__now_seconds();
    double t1;
    crm_status rc;
    memset(&xs, 0, sizeof xs);
    if (m <= 0 || m > n) {
        m = n;
    }
    rc = crm__segment_sample_f32(xf, n, x->n_cols, m, p->kmeans.seed, &xs, err);
    if (rc != CRM_OK) {
        crm_matrix_fini(&xs);
        return rc;
    }
    rc = choose_on_sample(seg, p, &xs, m < n, t0, &t1, progress, err);
    if (rc != CRM_OK) {
        return rc;
    }
    seg->sample_rows = m < n ? m : 0;
    kp.k = crm_kmeans_k(seg->km);
    rc = crm_kmeans_new(&kp, &full, err);
    if (rc == CRM_OK) {
        rc = crm_kmeans_fit_from_f32(full, xf, n, (int32_t)x->n_cols, crm_kmeans_centers(seg->km),
                                     progress, err);
    }
    return adopt_full(seg, full, rc, t1);
}

/* Training labels: the k-means labels when it kept them, else an assign pass. */
static crm_status keep_labels(crm_segmenter *seg, const crm_matrix *x, crm_error *err)
{
    const int32_t *l = crm_kmeans_labels(seg->km);
    seg->n_rows = x->n_rows;
    if (seg->labels != NULL) {
        return CRM_OK; /* the outliers' pass labelled every row */
    }
    seg->labels = crm_mallocarray((size_t)x->n_rows, sizeof *seg->labels);
    if (seg->labels == NULL) {
        return crm__error_nomem(err);
    }
    if (l != NULL && crm_kmeans_n_rows(seg->km) == x->n_rows) {
        memcpy(seg->labels, l, (size_t)x->n_rows * sizeof *l);
        return CRM_OK;
    }
    return crm_kmeans_assign(seg->km, x, seg->labels, NULL, err);
}

static crm_status cluster_and_profile(crm_segmenter *seg,
                                      seg_input *in,
                                      crm_matrix *x,
                                      float **xf,
                                      const crm_progress *progress,
                                      crm_error *err)
{
    crm_profile_params pp = crm_profile_params_default();
    double t1 = crm__now_seconds();
    double t2;
    crm_status rc;
    if (in->p->algo != CRM_SEGMENT_ALGO_KMEANS) {
        rc = crm__segment_fit_algo(seg, in->p, x, progress, err);
    } else if (*xf != NULL) {
        rc = fit_f32(seg, in->p, x, *xf, progress, err);
        crm_free(*xf); /* the labels are the k-means' own: no pass over the rows left */
        *xf = NULL;
        if (rc == CRM_OK) {
            rc = keep_labels(seg, x, err);
        }
    } else {
        int64_t m = crm__segment_sample_size(in->p, x->n_rows);
        if (m > 0) {
            rc = fit_sampled(seg, in, x, m, progress, err);
        } else {
            rc = (seg->method == CRM_SEGMENT_FIXED) ? fit_fixed(seg, in->p, x, progress, err)
                                                    : fit_auto(seg, in->p, x, progress, err);
        }
        if (rc == CRM_OK) {
            rc = keep_labels(seg, x, err);
        }
    }
    /* the profile and the drift reference read the table: the cleaned rows go before them */
    crm_matrix_fini(x);
    crm_matrix_fini(&in->head);
    crm__prep_rows_free(in->rows);
    in->rows = NULL;
    crm_free(*xf);
    *xf = NULL;
    t2 = crm__now_seconds();
    seg->seconds[SEG_T_CLUSTER] = t2 - t1;
    if (rc != CRM_OK) {
        if (err != NULL && err->source[0] == '\0') {
            crm__strlcpy(err->source, crm_table_source(in->t), sizeof err->source);
        }
        return rc;
    }
    if (seg->km != NULL) {
        seg->k = crm_kmeans_k(seg->km);
        seg->inertia = crm_kmeans_inertia(seg->km);
        seg->n_iter = crm_kmeans_n_iter(seg->km);
    }
    pp.tier_by = in->p->tier_by;
    pp.names = in->p->names;
    pp.n_names = in->p->n_names;
    if (crm_segmenter_noise_segment(seg) >= 0 && in->p->names == NULL) {
        /* DBSCAN: "Cluster 1".."Cluster c" and "Noise" (tiers would name the noise too) */
        char **nm = crm_calloc((size_t)seg->k, sizeof *nm);
        rc = nm == NULL ? crm__error_nomem(err) : CRM_OK;
        for (int32_t j = 0; rc == CRM_OK && j < seg->k; j++) {
            char buf[32];
            snprintf(buf, sizeof buf, "Cluster %d", (int)j + 1);
            nm[j] = crm_strdup(j == seg->k - 1 ? "Noise" : buf);
            if (nm[j] == NULL) {
                rc = crm__error_nomem(err);
            }
        }
        if (rc == CRM_OK) {
            pp.tier_by = NULL;
            pp.names = (const char *const *)nm;
            pp.n_names = seg->k;
            rc = crm_profile_compute(in->t, in->features, in->n_features, seg->labels, seg->k, &pp,
                                     &seg->profile, err);
        }
        for (int32_t j = 0; nm != NULL && j < seg->k; j++) {
            crm_free(nm[j]);
        }
        crm_free(nm);
        seg->seconds[SEG_T_PROFILE] = crm__now_seconds() - t2;
        return rc;
    }
    rc = crm_profile_compute(in->t, in->features, in->n_features, seg->labels, seg->k, &pp,
                             &seg->profile, err);
    seg->seconds[SEG_T_PROFILE] = crm__now_seconds() - t2;
    return rc;
}

/* k past what the rows allow is refused before any work: every k-means pass costs n * k. */
static crm_status check_k(const crm_table *t, const crm_segment_params *p, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int64_t k = p->method == CRM_SEGMENT_FIXED ? p->k : p->kmax;
    const char *what = p->method == CRM_SEGMENT_FIXED ? "k" : "kmax";
    if (p->cut_height > 0 || (p->method == CRM_SEGMENT_FIXED && p->init_centers != NULL)) {
        return CRM_OK;
    }
    if (p->method == CRM_SEGMENT_FIXED && k > CRM_SEGMENT_K_SMALL && k > n / 2) {
        crm__error_at(err, CRM_EINVAL, crm_table_source(t), 0, 0,
                      "k = %lld segments for %lld customers: segments of one or two customers "
                      "are not segments (at most %lld, half the rows)",
                      (long long)k, (long long)n, (long long)(n / 2));
        crm__error_field(err, what);
        return CRM_EINVAL;
    }
    if (k > CRM_SEGMENT_K_MAX) {
        crm__error_at(err, CRM_EINVAL, crm_table_source(t), 0, 0,
                      "%s = %lld segments is more than a segmentation takes (at most %d): each "
                      "pass over the rows costs rows x k",
                      what, (long long)k, (int)CRM_SEGMENT_K_MAX);
        crm__error_field(err, what);
        return CRM_EINVAL;
    }
    return CRM_OK;
}

crm_status crm_segmenter_fit(const crm_table *t,
                             const crm_segment_params *p,
                             const crm_progress *progress,
                             crm_segmenter **out,
                             crm_error *err)
{
    crm_segmenter *seg = NULL;
    const char **defaults = NULL;
    const char *const *features = p->features;
    int32_t n_features = p->n_features;
    crm_matrix x;
    seg_input in;
    float *xf = NULL;
    double t0 = crm__now_seconds();
    int was_local;
    crm_status rc;
    memset(&x, 0, sizeof x);
    *out = NULL;
    rc = crm_segment_params_check(p, err);
    if (rc == CRM_OK && features == NULL) {
        rc = default_features(t, p->algo, &defaults, &n_features, err);
        features = defaults;
    }
    if (rc != CRM_OK) {
        return rc;
    }
    rc = check_k(t, p, err);
    if (rc != CRM_OK) {
        crm_free(defaults);
        return rc;
    }
    seg = crm_calloc(1, sizeof *seg);
    if (seg == NULL || (seg->source = crm_strdup(crm_table_source(t))) == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    seg->method = p->method;
    seg->algo = p->algo;
    if (p->algo == CRM_SEGMENT_ALGO_KMEANS && p->method == CRM_SEGMENT_AUTO) {
        seg->method = CRM_SEGMENT_XMEANS;
    }
    seg->kmin = p->kmin;
    seg->kmax = p->kmax;
    seg->bic = (double)NAN;
    in.t = t;
    in.p = p;
    in.features = features;
    in.n_features = n_features;
    in.rows = NULL;
    memset(&in.head, 0, sizeof in.head);
    /* under mpirun, k-means of a given k on every row: each rank cleans and reads its own
     * rows only (crm_dist_set_local_rows); other fits read any row, so every rank has all */
    was_local = crm_dist_set_local_rows(
        p->algo == CRM_SEGMENT_ALGO_KMEANS && seg->method == CRM_SEGMENT_FIXED && !p->float32 &&
        p->init_centers == NULL && crm__segment_sample_size(p, crm_table_n_rows(t)) == 0);
    if (p->float32) {
        rc = clean_f32(seg, &in, &x, &xf, err);
    } else {
        rc = rows_on_demand(&in) ? clean_rows(seg, &in, &x, err) : clean(seg, &in, &x, err);
    }
    seg->seconds[SEG_T_PREP] = crm__now_seconds() - t0;
    if (rc == CRM_OK) {
        rc = cluster_and_profile(seg, &in, &x, &xf, progress, err);
    }
    (void)crm_dist_set_local_rows(was_local);
    crm_free(xf);
    crm_matrix_fini(&in.head);
    crm__prep_rows_free(in.rows);
    if (rc == CRM_OK) {
        double t1 = crm__now_seconds();
        rc = crm_drift_ref_fit(t, features, n_features, CRM_DRIFT_BINS, &seg->drift, err);
        seg->seconds[SEG_T_DRIFT] = crm__now_seconds() - t1;
    }
    seg->seconds[SEG_T_TOTAL] = crm__now_seconds() - t0;
done:
    crm_matrix_fini(&x);
    crm_free(defaults);
    if (rc != CRM_OK) {
        crm_segmenter_free(seg);
        return rc;
    }
    *out = seg;
    return CRM_OK;
}

crm_status crm_segmenter_assign(const crm_segmenter *seg,
                                const crm_table *t,
                                int32_t *labels,
                                double *dist,
                                int64_t *n_unseen,
                                crm_error *err)
{
    crm_matrix x;
    crm_status rc = crm_prep_transform(seg->prep, t, &x, n_unseen, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm__segment_check_missing(seg->prep, t, &x, err);
    if (rc == CRM_OK && x.n_rows > 0) {
        rc = seg->km != NULL ? crm_kmeans_assign(seg->km, &x, labels, dist, err)
                             : crm__segment_assign_algo(seg, &x, labels, dist, err);
    }
    crm_matrix_fini(&x);
    return rc;
}

/* ---- accessors ---- */

/* crm_segmenter_NAME(seg): the field of the segmenter that holds it. */
#define SEG_FIELD(type, name, field)                                                               \
    type crm_segmenter_##name(const crm_segmenter *seg)                                            \
    {                                                                                              \
        return seg->field;                                                                         \
    }
SEG_FIELD(int32_t, k, k)
SEG_FIELD(crm_segment_method, method, method)
SEG_FIELD(crm_segment_algo, algo, algo)
SEG_FIELD(const crm_kmodes *, kmodes, kmo)
SEG_FIELD(const crm_hclust *, hclust, hc)
SEG_FIELD(const crm_birch *, birch, bi)
SEG_FIELD(const crm_gmm *, gmm, gm)
SEG_FIELD(const crm_dbscan *, dbscan, db)
SEG_FIELD(const crm_optigrid *, optigrid, og)
SEG_FIELD(const crm_denclue *, denclue, dc)
SEG_FIELD(const crm_prep *, prep, prep)
SEG_FIELD(const crm_kmeans *, kmeans, km)
SEG_FIELD(const crm_profile *, profile, profile)
SEG_FIELD(const int32_t *, labels, labels)
SEG_FIELD(int64_t, n_rows, n_rows)
SEG_FIELD(double, inertia, inertia)
SEG_FIELD(int32_t, n_iter, n_iter)
SEG_FIELD(double, bic, bic)
SEG_FIELD(int64_t, sample_rows, sample_rows)
SEG_FIELD(const crm_drift_ref *, drift_ref, drift)
#undef SEG_FIELD

int32_t crm_segmenter_noise_segment(const crm_segmenter *seg)
{
    return (seg->db != NULL || seg->og != NULL || seg->dc != NULL) ? seg->k - 1 : -1;
}

const double *crm_segmenter_curve(const crm_segmenter *seg, int32_t *kmin, int32_t *n)
{
    if (kmin != NULL) {
        *kmin = seg->curve_kmin;
    }
    if (n != NULL) {
        *n = seg->curve ? seg->n_curve : 0;
    }
    return seg->curve;
}

double crm_segmenter_seconds(const crm_segmenter *seg, const char *stage)
{
    static const char *const names[SEG_T_COUNT] = { "prep",     "cluster",   "profile", "total",
                                                    "choose_k", "full_pass", "drift" };
    for (int i = 0; i < SEG_T_COUNT; i++) {
        if (stage != NULL && strcmp(stage, names[i]) == 0) {
            return seg->seconds[i];
        }
    }
    return (double)NAN;
}

const crm_segment_kscore *
crm_segmenter_k_table(const crm_segmenter *seg, int32_t *n, int32_t *chosen)
{
    if (n != NULL) {
        *n = seg->table ? seg->n_table : 0;
    }
    if (chosen != NULL) {
        *chosen = seg->table ? seg->chosen_row : -1;
    }
    return seg->table;
}

const uint8_t *crm_segmenter_outliers(const crm_segmenter *seg, int64_t *n_outliers)
{
    if (n_outliers != NULL) {
        *n_outliers = seg->outlier ? seg->n_outliers : 0;
    }
    return seg->n_outliers > 0 ? seg->outlier : NULL;
}

const char *crm_segmenter_source(const crm_segmenter *seg)
{
    return seg->source ? seg->source : "";
}
