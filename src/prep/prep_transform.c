/* prep_transform.c: applying a fitted crm_prep to a table.
 *
 * The output is row-major while the table is column-major, so writing one feature at a time
 * down the whole matrix would touch a new cache line per value. Instead rows are cleaned in
 * fixed blocks of CRM_BLOCK_ROWS: a block of the output (a few hundred KB) stays in cache
 * while every feature is written into it, and blocks run in parallel (each block writes its
 * own rows only, so the result does not depend on the thread count). "Neighbours" imputation
 * needs the whole column, so those features are imputed into a column buffer first. */
#include <math.h>
#include <string.h>

#include <crmkit/prep.h>

#include "core/core_internal.h"
#include "prep_internal.h"

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
    const double *v;      /* numeric: raw or neighbours-imputed column */
    const int32_t *codes; /* categorical: the table's codes */
    int32_t *map;         /* categorical: table code -> training code (-1 unseen) */
    int32_t n_codes;
    int32_t j; /* first output column */
} feat_src;

static void numeric_rows(const crm_prep *prep,
                         const prep_feature *pf,
                         const feat_src *src,
                         int64_t i0,
                         int64_t i1,
                         crm_matrix *out)
{
    int impute = prep->params.impute != CRM_IMPUTE_NONE;
    int flags = prep->params.outlier_flags;
    int32_t j = src->j;
    for (int64_t i = i0; i < i1; i++) {
        double x = src->v[i];
        double flag;
        double *row = CRM_ROW(out, i);
        if (impute && isnan(x)) {
            x = pf->fill;
        }
        x = crm__prep_clean(pf, x, &flag);
        row[j] = (x - pf->center) / pf->scale;
        if (flags) {
            row[j + 1] = flag;
        }
    }
}

static void categorical_rows(const crm_prep *prep,
                             const prep_feature *pf,
                             const feat_src *src,
                             int64_t i0,
                             int64_t i1,
                             crm_matrix *out)
{
    int32_t j = src->j;
    int onehot = prep->params.encode == CRM_ENCODE_ONEHOT;
    double missing = prep->params.impute != CRM_IMPUTE_NONE ? pf->fill : (double)NAN;
    for (int64_t i = i0; i < i1; i++) {
        int32_t code = src->codes[i];
        int32_t c = (code >= 0 && code < src->n_codes) ? src->map[code] : -1;
        double *row = CRM_ROW(out, i);
        if (onehot) {
            for (int32_t l = 0; l < pf->n_levels; l++) {
                row[j + l] = (l == c) ? 1.0 : 0.0;
            }
        } else {
            double x = c >= 0 ? (double)c : missing;
            row[j] = (x - pf->center) / pf->scale;
        }
    }
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
    if (pf->type == CRM_COL_NUMERIC) {
        return crm__prep_check_finite(t, *col, crm_table_numeric(t, *col), crm_table_n_rows(t),
                                      err);
    }
    return CRM_OK;
}

/* Resolve feature f: its column, its level map (counting unseen cells) or its imputed
 * column (neighbours; *buf is the feature's own buffer). */
static crm_status resolve(const crm_prep *prep,
                          int32_t f,
                          const crm_table *t,
                          feat_src *src,
                          double **buf,
                          int64_t *unseen,
                          crm_error *err)
{
    const prep_feature *pf = &prep->features[f];
    int64_t n = crm_table_n_rows(t);
    int32_t col;
    crm_status rc = find_feature_col(pf, t, &col, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (pf->type == CRM_COL_NUMERIC) {
        src->v = crm_table_numeric(t, col);
        if (prep->params.impute == CRM_IMPUTE_NEIGHBOURS) {
            *buf = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof **buf);
            if (*buf == NULL) {
                return crm__error_nomem(err);
            }
            crm__prep_impute_neighbours(src->v, n, pf->fill, *buf);
            src->v = *buf;
        }
        return CRM_OK;
    }
    src->codes = crm_table_codes(t, col);
    src->n_codes = crm_table_n_levels(t, col);
    src->map = crm_calloc(src->n_codes > 0 ? (size_t)src->n_codes : 1, sizeof *src->map);
    if (src->map == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t l = 0; l < src->n_codes; l++) {
        src->map[l] = find_level(pf, crm_table_level(t, col, l));
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t code = src->codes[i];
        *unseen += (code >= 0 && code < src->n_codes && src->map[code] < 0);
    }
    return CRM_OK;
}

static void fill_blocks(const crm_prep *prep, const feat_src *srcs, int64_t n, crm_matrix *out)
{
    int64_t n_blocks = crm__n_blocks(n);
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t i0 = b * CRM_BLOCK_ROWS;
        int64_t i1 = i0 + CRM_BLOCK_ROWS < n ? i0 + CRM_BLOCK_ROWS : n;
        for (int32_t f = 0; f < prep->n_features; f++) {
            const prep_feature *pf = &prep->features[f];
            if (pf->type == CRM_COL_NUMERIC) {
                numeric_rows(prep, pf, &srcs[f], i0, i1, out);
            } else {
                categorical_rows(prep, pf, &srcs[f], i0, i1, out);
            }
        }
    }
}

crm_status crm_prep_transform(const crm_prep *prep,
                              const crm_table *t,
                              crm_matrix *out,
                              int64_t *n_unseen,
                              crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int64_t unseen = 0;
    feat_src *srcs;
    double **bufs;
    crm_status rc = CRM_OK;
    memset(out, 0, sizeof *out);
    if (n_unseen != NULL) {
        *n_unseen = 0;
    }
    srcs = crm_calloc((size_t)prep->n_features, sizeof *srcs);
    bufs = crm_calloc((size_t)prep->n_features, sizeof *bufs);
    if (srcs == NULL || bufs == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int32_t f = 0, j = 0; f < prep->n_features && rc == CRM_OK; f++) {
        while (j < prep->n_out && prep->out[j].feature != f) {
            j++;
        }
        srcs[f].j = j;
        rc = resolve(prep, f, t, &srcs[f], &bufs[f], &unseen, err);
    }
    if (rc == CRM_OK) {
        rc = crm_matrix_init(out, n, prep->n_out, err);
    }
    if (rc == CRM_OK) {
        fill_blocks(prep, srcs, n, out);
        if (n_unseen != NULL) {
            *n_unseen = unseen;
        }
    }
done:
    for (int32_t f = 0; f < prep->n_features && srcs != NULL && bufs != NULL; f++) {
        crm_free(srcs[f].map);
        crm_free(bufs[f]);
    }
    crm_free(srcs);
    crm_free(bufs);
    return rc;
}
