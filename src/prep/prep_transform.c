/* prep_transform.c: applying a fitted crm_prep to a table.
 *
 * The output is row-major while the table is column-major, so writing one feature at a time
 * down the whole matrix would touch a new cache line per value. Instead rows are cleaned in
 * fixed blocks of CRM_BLOCK_ROWS: a block of the output (a few hundred KB) stays in cache
 * while every feature is written into it, and blocks run in parallel (each block writes its
 * own rows only, so the result does not depend on the thread count). The same pass counts
 * unseen and missing cells and looks for infinite values, so the columns are read once.
 * "Neighbours" imputation needs the whole column, so those features are imputed into a
 * column buffer when the table is bound. */
#include <math.h>
#include <string.h>

#include <crmkit/dist.h>
#include <crmkit/prep.h>

#include "core/core_internal.h"
#include "prep_internal.h"
#include "prep_rows.h"

/* Training code of the level called text, or -1. */
static int32_t find_level(const prep_feature *pf, const char *text)
{
    int32_t lo = 0;
    int32_t hi = pf->n_levels - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(pf->levels[pf->sorted[mid]], text);
        if (c == 0) {
            return pf->sorted[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

/* Where each feature's values come from, resolved before the block loop. */
typedef struct feat_src {
    int32_t col;          /* the table's column */
    const double *raw;    /* numeric: the table's values */
    const double *v;      /* numeric: raw, or buf when imputed from neighbours */
    double *buf;          /* numeric: owned neighbours-imputed column, or NULL */
    const int32_t *codes; /* categorical: the table's codes */
    int32_t *map;         /* categorical: table code -> training code (-1 unseen) */
    int32_t n_codes;
    int32_t j; /* first output column */
} feat_src;

struct crm__prep_rows {
    const crm_prep *prep;
    const crm_table *t;
    feat_src *srcs; /* [prep->n_features] */
};

/* Imputed, capped, logged and scaled values of v[0, n) into val[], capping flags into
 * flag[]: one loop of selects that the compiler vectorises. Cloned per instruction set
 * (run-time dispatch); the clones do the same operations in the same order (no contraction,
 * -ffp-contract=off), so they give the same bits. */
CRM__CLONES
static void numeric_kernel(const prep_feature *pf,
                           const double *restrict v,
                           int64_t n,
                           int impute,
                           double *restrict val,
                           double *restrict flag)
{
    const double lo = pf->lo, hi = pf->hi, fill = pf->fill;
    const double center = pf->center, scale = pf->scale;
    if (pf->logged) {
        for (int64_t i = 0; i < n; i++) {
            double x = impute && isnan(v[i]) ? fill : v[i];
            flag[i] = x < lo || x > hi ? 1.0 : 0.0;
            x = x < lo ? lo : (x > hi ? hi : x);
            val[i] = (crm__log1p_sym(x) - center) / scale;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            double x = impute && isnan(v[i]) ? fill : v[i];
            flag[i] = x < lo || x > hi ? 1.0 : 0.0;
            x = x < lo ? lo : (x > hi ? hi : x);
            val[i] = (x - center) / scale;
        }
    }
}

/* Rows [i0, i1) of a numeric feature into out (row i0 first); returns 1 when a value is
 * infinite. With missing NULL the values are not looked at (neither counted nor checked). */
static int numeric_rows(const crm_prep *prep,
                        const prep_feature *pf,
                        const feat_src *src,
                        int64_t i0,
                        int64_t i1,
                        double *out,
                        int64_t ld,
                        int64_t *missing)
{
    enum {
        CHUNK = 512
    };
    int impute = prep->params.impute != CRM_IMPUTE_NONE;
    int flags = prep->params.outlier_flags;
    int identity = !flags && !pf->logged && pf->lo == -HUGE_VAL && pf->hi == HUGE_VAL &&
                   pf->center == 0.0 && !signbit(pf->center) && pf->scale == 1.0;
    int32_t j = src->j;
    int64_t miss = 0;
    int bad = 0;
    double val[CHUNK], flag[CHUNK];
    for (int64_t c0 = i0; c0 < i1; c0 += CHUNK) {
        int64_t n = i1 - c0 < CHUNK ? i1 - c0 : CHUNK;
        for (int64_t i = c0; missing != NULL && i < c0 + n; i++) {
            miss += isnan(src->raw[i]);
            bad |= fabs(src->raw[i]) > CRM__PREP_MAX_ABS; /* Inf too; NaN is missing */
        }
        double *row = out + (c0 - i0) * ld + j;
        if (identity) {
            /* what the kernel gives with nothing to cap, log or scale: the value itself
             * (x - 0.0) / 1.0 == x bit for bit, -0.0 and NaN included), or the fill */
            const double *v = src->v + c0;
            for (int64_t i = 0; i < n; i++) {
                row[i * ld] = impute && isnan(v[i]) ? pf->fill : v[i];
            }
            continue;
        }
        numeric_kernel(pf, src->v + c0, n, impute, val, flag);
        for (int64_t i = 0; i < n; i++) {
            row[i * ld] = val[i];
        }
        if (flags) {
            for (int64_t i = 0; i < n; i++) {
                row[i * ld + 1] = flag[i];
            }
        }
    }
    if (missing != NULL) {
        *missing += miss;
    }
    return bad;
}

static void categorical_rows(const crm_prep *prep,
                             const prep_feature *pf,
                             const feat_src *src,
                             int64_t i0,
                             int64_t i1,
                             double *out,
                             int64_t ld,
                             crm__prep_counts *counts)
{
    int32_t j = src->j;
    int onehot = prep->params.encode == CRM_ENCODE_ONEHOT;
    double missing = prep->params.impute != CRM_IMPUTE_NONE ? pf->fill : (double)NAN;
    int64_t miss = 0;
    int64_t unseen = 0;
    for (int64_t i = i0; i < i1; i++) {
        int32_t code = src->codes[i];
        int32_t c = (code >= 0 && code < src->n_codes) ? src->map[code] : -1;
        double *row = out + (i - i0) * ld;
        miss += code < 0;
        unseen += code >= 0 && code < src->n_codes && c < 0;
        if (onehot) {
            /* The output is not zeroed beforehand: write the row's every level. */
            for (int32_t l = 0; l < pf->n_levels; l++) {
                row[j + l] = 0.0;
            }
            if (c >= 0) {
                row[j + c] = 1.0;
            }
        } else {
            double x = c >= 0 ? (double)c : missing;
            row[j] = (x - pf->center) / pf->scale;
        }
    }
    counts->missing += miss;
    counts->unseen += unseen;
}

/* CRM_EDATA for the first infinite value of the numeric features before n_features, in
 * feature order, or CRM_OK: the error a transform checking each feature in turn gives. */
static crm_status first_infinite(const crm__prep_rows *b, int32_t n_features, crm_error *err)
{
    int64_t n = crm_table_n_rows(b->t);
    for (int32_t f = 0; f < n_features; f++) {
        const feat_src *src = &b->srcs[f];
        if (b->prep->features[f].type == CRM_COL_NUMERIC) {
            crm_status rc = crm__prep_check_finite(b->t, src->col, src->raw, n, err);
            if (rc != CRM_OK) {
                return rc;
            }
        }
    }
    return CRM_OK;
}

static crm_status
find_feature_col(const prep_feature *pf, const crm_table *t, int32_t *col, crm_error *err)
{
    crm_col_type ty;
    *col = crm_table_find_col(t, pf->name);
    if (*col < 0) {
        crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0,
                      "the model needs column \"%s\", which is not in the table", pf->name);
        crm__error_field(err, pf->name);
        return CRM_ENOTFOUND;
    }
    ty = crm_table_col_type(t, *col);
    if ((pf->type == CRM_COL_NUMERIC) != (ty == CRM_COL_NUMERIC)) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "column is %s here but was %s when the model was fitted",
                      ty == CRM_COL_NUMERIC ? "numeric" : "text",
                      pf->type == CRM_COL_NUMERIC ? "numeric" : "categorical");
        crm__error_field(err, pf->name);
        return CRM_EDATA;
    }
    return CRM_OK;
}

/* Resolve feature f: its column, its level map or its imputed column (neighbours). */
static crm_status resolve(crm__prep_rows *b, int32_t f, crm_error *err)
{
    const prep_feature *pf = &b->prep->features[f];
    feat_src *src = &b->srcs[f];
    int64_t n = crm_table_n_rows(b->t);
    crm_status rc = find_feature_col(pf, b->t, &src->col, err);
    if (rc != CRM_OK) {
        /* An earlier feature's infinite value comes first, as in a feature-by-feature check. */
        crm_status inf = first_infinite(b, f, err);
        return inf != CRM_OK ? inf : rc;
    }
    if (pf->type == CRM_COL_NUMERIC) {
        src->raw = crm_table_numeric(b->t, src->col);
        src->v = src->raw;
        if (b->prep->params.impute == CRM_IMPUTE_NEIGHBOURS) {
            src->buf = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *src->buf);
            if (src->buf == NULL) {
                return crm__error_nomem(err);
            }
            crm__prep_impute_neighbours(src->raw, n, pf->fill, src->buf);
            src->v = src->buf;
        }
        return CRM_OK;
    }
    src->codes = crm_table_codes(b->t, src->col);
    src->n_codes = crm_table_n_levels(b->t, src->col);
    src->map = crm_calloc(src->n_codes > 0 ? (size_t)src->n_codes : 1, sizeof *src->map);
    if (src->map == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t l = 0; l < src->n_codes; l++) {
        src->map[l] = find_level(pf, crm_table_level(b->t, src->col, l));
    }
    return CRM_OK;
}

crm_status
crm__prep_rows_bind(const crm_prep *prep, const crm_table *t, crm__prep_rows **out, crm_error *err)
{
    crm__prep_rows *b = crm_calloc(1, sizeof *b);
    crm_status rc = CRM_OK;
    *out = NULL;
    if (b == NULL) {
        return crm__error_nomem(err);
    }
    b->prep = prep;
    b->t = t;
    b->srcs = crm_calloc(prep->n_features > 0 ? (size_t)prep->n_features : 1, sizeof *b->srcs);
    if (b->srcs == NULL) {
        crm_free(b);
        return crm__error_nomem(err);
    }
    for (int32_t f = 0, j = 0; f < prep->n_features && rc == CRM_OK; f++) {
        while (j < prep->n_out && prep->out[j].feature != f) {
            j++;
        }
        b->srcs[f].j = j;
        rc = resolve(b, f, err);
    }
    if (rc != CRM_OK) {
        crm__prep_rows_free(b);
        return rc;
    }
    *out = b;
    return CRM_OK;
}

void crm__prep_rows_free(crm__prep_rows *b)
{
    if (b == NULL) {
        return;
    }
    for (int32_t f = 0; f < b->prep->n_features; f++) {
        crm_free(b->srcs[f].map);
        crm_free(b->srcs[f].buf);
    }
    crm_free(b->srcs);
    crm_free(b);
}

/* Rows [r0, r1) of the binding into dst; returns nonzero when a value was infinite. With
 * look 0 the numeric values are neither counted nor checked. */
static int fill_block(const crm__prep_rows *b,
                      int64_t r0,
                      int64_t r1,
                      double *dst,
                      int64_t ld,
                      int look,
                      crm__prep_counts *c)
{
    enum {
        TILE = 256
    }; /* rows whose output (TILE x ld doubles) stays in the L1/L2 cache
          while every feature is written into it */
    const crm_prep *prep = b->prep;
    int bad = 0;
    for (int64_t t0 = r0; t0 < r1; t0 += TILE) {
        int64_t t1 = t0 + TILE < r1 ? t0 + TILE : r1;
        double *tile = dst + (t0 - r0) * ld;
        for (int32_t f = 0; f < prep->n_features; f++) {
            const prep_feature *pf = &prep->features[f];
            if (pf->type == CRM_COL_NUMERIC) {
                bad |= numeric_rows(prep, pf, &b->srcs[f], t0, t1, tile, ld,
                                    look ? &c->missing : NULL);
            } else {
                categorical_rows(prep, pf, &b->srcs[f], t0, t1, tile, ld, c);
            }
        }
    }
    return bad;
}

/* crm__prep_rows_fill; made: out's pages are present already (crm__prep_fit_transform's side
 * thread made them), so the blocks are not made again (a call on present pages still walks
 * them: about 10 ms for 128 MB). */
static crm_status rows_fill(const crm__prep_rows *b,
                            int64_t i0,
                            int64_t i1,
                            crm_matrix *out,
                            crm__prep_counts *counts,
                            int made,
                            crm_error *err)
{
    const crm_prep *prep = b->prep;
    int64_t n_blocks = crm__n_blocks(i1 - i0);
    int64_t unseen = 0;
    int64_t missing = 0;
    int look = counts != NULL;
    int bad = 0;
    if (n_blocks <= 1) {
        /* One block (a server's small request): no thread team, whose start and end cost
         * more than the block. */
        crm__prep_counts c = { 0, 0 };
        if (n_blocks == 1) {
            bad = fill_block(b, i0, i1, CRM_ROW(out, 0), out->ld, look, &c);
        }
        unseen = c.unseen;
        missing = c.missing;
    } else {
#pragma omp parallel for schedule(static) reduction(+ : unseen, missing) reduction(| : bad)
        for (int64_t blk = 0; blk < n_blocks; blk++) {
            int64_t r0 = i0 + blk * CRM_BLOCK_ROWS;
            int64_t r1 = r0 + CRM_BLOCK_ROWS < i1 ? r0 + CRM_BLOCK_ROWS : i1;
            crm__prep_counts c = { 0, 0 };
            if (!made) {
                crm__populate(CRM_ROW(out, r0 - i0),
                              (size_t)((r1 - r0) * out->ld) * sizeof(double));
            }
            bad |= fill_block(b, r0, r1, CRM_ROW(out, r0 - i0), out->ld, look, &c);
            unseen += c.unseen;
            missing += c.missing;
        }
    }
    if (bad) {
        return first_infinite(b, prep->n_features, err);
    }
    if (look) {
        counts->unseen += unseen;
        counts->missing += missing;
    }
    return CRM_OK;
}

crm_status crm__prep_rows_fill(const crm__prep_rows *b,
                               int64_t i0,
                               int64_t i1,
                               crm_matrix *out,
                               crm__prep_counts *counts,
                               crm_error *err)
{
    return rows_fill(b, i0, i1, out, counts, 0, err);
}

/* crm_prep_transform into *out, allocated here unless made (n x n_out, its pages made by
 * crm__prep_fit_transform; freed on failure). fitted: t is the table prep was fitted on,
 * whose values the fit checked: the numeric cells are neither counted nor checked again
 * (n_unseen must be NULL). */
static crm_status transform_into(const crm_prep *prep,
                                 const crm_table *t,
                                 crm_matrix *out,
                                 int made,
                                 int fitted,
                                 int64_t *n_unseen,
                                 crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    crm__prep_counts counts = { 0, 0 };
    crm__prep_rows *b = NULL;
    crm_status rc;
    if (!made) {
        memset(out, 0, sizeof *out);
    }
    if (n_unseen != NULL) {
        *n_unseen = 0;
    }
    rc = crm__prep_rows_bind(prep, t, &b, err);
    if (rc == CRM_OK && !made) {
        rc = crm__matrix_alloc(out, n, prep->n_out, err);
    }
    if (crm_dist_local_rows()) {
        /* under mpirun, k-means on local rows: this rank cleans its own run of blocks only
         * (the other rows' pages are never touched); the ranks agree on any failure */
        int64_t r0;
        int64_t r1;
        crm_dist_own_rows(n, &r0, &r1);
        if (rc == CRM_OK) {
            crm_matrix mine = *out;
            mine.data = out->data != NULL ? CRM_ROW(out, r0) : NULL;
            mine.n_rows = r1 - r0;
            rc = r1 > r0 ? rows_fill(b, r0, r1, &mine, &counts, made, err) : CRM_OK;
        }
        rc = crm_dist_agree(rc, err);
        if (rc != CRM_OK) {
            crm_matrix_fini(out);
        }
        crm__prep_rows_free(b);
        return rc; /* n_unseen: this rank's rows only (segment passes NULL) */
    }
    if (rc == CRM_OK) {
        rc = rows_fill(b, 0, n, out, fitted ? NULL : &counts, made, err);
    }
    if (rc != CRM_OK) {
        crm_matrix_fini(out); /* none yet is a no-op */
    }
    if (rc == CRM_OK && n_unseen != NULL) {
        *n_unseen = counts.unseen;
    }
    crm__prep_rows_free(b);
    return rc;
}

crm_status crm_prep_transform(const crm_prep *prep,
                              const crm_table *t,
                              crm_matrix *out,
                              int64_t *n_unseen,
                              crm_error *err)
{
    return transform_into(prep, t, out, 0, 0, n_unseen, err);
}

/* 1 when the cleaned matrix of these features has one column each (all numeric, no flags)
 * and its pages are worth making on a thread of their own. */
static int shape_known(const crm_table *t,
                       const char *const *features,
                       int32_t n_features,
                       const crm_prep_params *p)
{
    if (crm__n_threads(0) < 2 || crm_table_n_rows(t) < 100000 || p->outlier_flags ||
        crm_dist_active() || n_features < 1) {
        return 0;
    }
    for (int32_t f = 0; f < n_features; f++) {
        int32_t col = crm_table_find_col(t, features[f]);
        if (col < 0 || crm_table_col_type(t, col) != CRM_COL_NUMERIC) {
            return 0;
        }
    }
    return 1;
}

/* The pages of a fresh block (bytes of data) made by one thread alone, so the faults do not
 * queue behind each other's (on this kind of virtual machine the first touch of memory is
 * costly, more so from two threads at once): in one call (crm__populate), or by a first
 * write to each page where the kernel cannot. */
typedef struct page_job {
    double *data;
    size_t bytes;
} page_job;

static void make_pages(void *ctx)
{
    const page_job *job = ctx;
    volatile char *c = (volatile char *)job->data;
    if (crm__populate(job->data, job->bytes)) {
        return;
    }
    for (size_t i = 0; i < job->bytes; i += 4096) {
        c[i] = 0;
    }
}

crm_status crm__prep_fit_transform(const crm_table *t,
                                   const char *const *features,
                                   int32_t n_features,
                                   const crm_prep_params *p,
                                   crm_prep **prep,
                                   crm_matrix *out,
                                   crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    crm_status rc;
    crm_status fit_rc;
    crm_error fit_err;
    page_job job;
    crm__prep_side side;
    *prep = NULL;
    memset(out, 0, sizeof *out);
    if (!shape_known(t, features, n_features, p)) {
        rc = crm_prep_fit(t, features, n_features, p, prep, err);
        return rc == CRM_OK ? transform_into(*prep, t, out, 0, 1, NULL, err) : rc;
    }
    rc = crm__matrix_alloc(out, n, n_features, err);
    if (rc != CRM_OK) {
        return rc;
    }
    job.data = out->data;
    job.bytes = (size_t)n * (size_t)out->ld * sizeof(double);
    side.fn = make_pages;
    side.ctx = &job;
    fit_rc = crm__prep_fit_side(t, features, n_features, p, &side, prep, &fit_err);
    if (fit_rc != CRM_OK) {
        *err = fit_err;
        crm_matrix_fini(out);
        return fit_rc;
    }
    if (crm_prep_n_out(*prep) != n_features) { /* not expected: the usual way */
        crm_matrix_fini(out);
        return transform_into(*prep, t, out, 0, 1, NULL, err);
    }
    return transform_into(*prep, t, out, 1, 1, NULL, err);
}
