/* classify_data.c: from a customer table to what a classifier fits on: the target's classes,
 * the feature columns and row subsets (a held-out split fits its preprocessing on the
 * training rows only, so the subset becomes a table of its own). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_priv.h"
#include "core/core_internal.h"

void crm__clf_free_strings(char **v, int32_t n)
{
    if (v == NULL) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        crm_free(v[i]);
    }
    crm_free(v);
}

void crm__clf_format_value(double v, char *buf, int32_t size)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, (size_t)size, "%.0f", v);
    } else {
        snprintf(buf, (size_t)size, "%.17g", v);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int64_t row_of(const int64_t *rows, int64_t i)
{
    return rows != NULL ? rows[i] : i;
}

static crm_status missing_target(const crm_table *t, int32_t col, int64_t row, crm_error *err)
{
    crm_status rc = crm__error_at(err, CRM_EDATA, crm_table_source(t), crm_table_row_line(t, row),
                                  col + 1, "target value is missing");
    crm__error_field(err, crm_table_col_name(t, col));
    return rc;
}

static crm_status find_target(const crm_table *t, const char *target, int32_t *col, crm_error *err)
{
    *col = target != NULL ? crm_table_find_col(t, target) : -1;
    if (*col < 0) {
        char near[160];
        crm_status rc = crm__error_set(
            err, CRM_ENOTFOUND, "target column \"%s\" not found in %s%s",
            target != NULL ? target : "", crm_table_source(t),
            crm_table_did_you_mean(t, target != NULL ? target : "", near, (int32_t)sizeof near));
        crm__error_field(err, target != NULL ? target : "");
        return rc;
    }
    return CRM_OK;
}

/* Sorted distinct names of the numeric target over the selected rows. */
static crm_status numeric_classes(const crm_table *t,
                                  int32_t col,
                                  const int64_t *rows,
                                  int64_t n_sel,
                                  char ***names_out,
                                  int32_t *n_out,
                                  crm_error *err)
{
    const double *v = crm_table_numeric(t, col);
    double *u = crm_mallocarray((size_t)(n_sel > 0 ? n_sel : 1), sizeof *u);
    char **names = NULL;
    int64_t nu = 0;
    crm_status rc = CRM_OK;
    if (u == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n_sel; i++) {
        double x = v[row_of(rows, i)];
        if (isnan(x)) {
            rc = missing_target(t, col, row_of(rows, i), err);
            goto done;
        }
        u[i] = x;
    }
    qsort(u, (size_t)n_sel, sizeof *u, cmp_double);
    for (int64_t i = 0; i < n_sel; i++) {
        if (i == 0 || u[i] != u[nu - 1]) {
            u[nu++] = u[i];
        }
    }
    if (nu > 100000) {
        rc = crm__error_set(err, CRM_EDATA,
                            "target column has %lld distinct values: a "
                            "classifier needs classes",
                            (long long)nu);
        goto done;
    }
    names = crm_calloc((size_t)(nu > 0 ? nu : 1), sizeof *names);
    if (names == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < nu; i++) {
        char buf[64];
        crm__clf_format_value(u[i], buf, sizeof buf);
        names[i] = crm_strdup(buf);
        if (names[i] == NULL) {
            crm__clf_free_strings(names, (int32_t)nu);
            names = NULL;
            rc = crm__error_nomem(err);
            goto done;
        }
    }
    *names_out = names;
    *n_out = (int32_t)nu;
done:
    crm_free(u);
    return rc;
}

static crm_status text_classes(const crm_table *t,
                               int32_t col,
                               const int64_t *rows,
                               int64_t n_sel,
                               char ***names_out,
                               int32_t *n_out,
                               crm_error *err)
{
    const int32_t *codes = crm_table_codes(t, col);
    int32_t n_levels = crm_table_n_levels(t, col);
    char *used = crm_calloc((size_t)(n_levels > 0 ? n_levels : 1), 1);
    char **names = NULL;
    int32_t nu = 0;
    crm_status rc = CRM_OK;
    if (used == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n_sel; i++) {
        int32_t code = codes[row_of(rows, i)];
        if (code < 0 || code >= n_levels) {
            rc = missing_target(t, col, row_of(rows, i), err);
            goto done;
        }
        nu += !used[code];
        used[code] = 1;
    }
    names = crm_calloc((size_t)(nu > 0 ? nu : 1), sizeof *names);
    if (names == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    nu = 0;
    for (int32_t l = 0; l < n_levels; l++) {
        if (used[l]) {
            names[nu] = crm_strdup(crm_table_level(t, col, l));
            if (names[nu] == NULL) {
                crm__clf_free_strings(names, nu);
                names = NULL;
                rc = crm__error_nomem(err);
                goto done;
            }
            nu++;
        }
    }
    qsort(names, (size_t)nu, sizeof *names, cmp_str);
    *names_out = names;
    *n_out = nu;
done:
    crm_free(used);
    return rc;
}

crm_status crm__clf_target_classes(const crm_table *t,
                                   const char *target,
                                   const int64_t *rows,
                                   int64_t n_sel,
                                   char ***names_out,
                                   int32_t *n_classes_out,
                                   int32_t *y,
                                   crm_error *err)
{
    int32_t col;
    crm_status rc = find_target(t, target, &col, err);
    *names_out = NULL;
    *n_classes_out = 0;
    if (rc != CRM_OK) {
        return rc;
    }
    if (crm_table_col_type(t, col) == CRM_COL_NUMERIC) {
        rc = numeric_classes(t, col, rows, n_sel, names_out, n_classes_out, err);
    } else {
        rc = text_classes(t, col, rows, n_sel, names_out, n_classes_out, err);
    }
    if (rc != CRM_OK || y == NULL) {
        return rc;
    }
    rc = crm__clf_map_target(t, target, *names_out, *n_classes_out, rows, n_sel, y, NULL, err);
    if (rc != CRM_OK) {
        crm__clf_free_strings(*names_out, *n_classes_out);
        *names_out = NULL;
        *n_classes_out = 0;
    }
    return rc;
}

/* Class names in byte order with their indices (numeric classes are sorted by value, so
 * their names are not in byte order). */
typedef struct name_ix {
    const char *name;
    int32_t index;
} name_ix;

static int cmp_name_ix(const void *a, const void *b)
{
    return strcmp(((const name_ix *)a)->name, ((const name_ix *)b)->name);
}

static int32_t name_index(const name_ix *v, int32_t n, const char *s)
{
    int32_t lo = 0;
    int32_t hi = n - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid].name, s);
        if (c == 0) {
            return v[mid].index;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return -1;
}

static crm_status map_rows(const crm_table *t,
                           int32_t col,
                           const name_ix *names,
                           int32_t n,
                           const int64_t *rows,
                           int64_t n_sel,
                           int32_t *y,
                           crm_error *err);

crm_status crm__clf_map_target(const crm_table *t,
                               const char *target,
                               char *const *names,
                               int32_t n,
                               const int64_t *rows,
                               int64_t n_sel,
                               int32_t *y,
                               int64_t *n_unknown,
                               crm_error *err)
{
    int32_t col;
    int64_t unknown = 0;
    name_ix *ix;
    crm_status rc = find_target(t, target, &col, err);
    if (rc != CRM_OK) {
        return rc;
    }
    ix = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *ix);
    if (ix == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n; i++) {
        ix[i].name = names[i];
        ix[i].index = i;
    }
    qsort(ix, (size_t)n, sizeof *ix, cmp_name_ix);
    rc = map_rows(t, col, ix, n, rows, n_sel, y, err);
    crm_free(ix);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; i < n_sel; i++) {
        unknown += y[i] < 0;
    }
    if (n_unknown != NULL) {
        *n_unknown = unknown;
    }
    return CRM_OK;
}

static crm_status map_rows(const crm_table *t,
                           int32_t col,
                           const name_ix *names,
                           int32_t n,
                           const int64_t *rows,
                           int64_t n_sel,
                           int32_t *y,
                           crm_error *err)
{
    if (crm_table_col_type(t, col) == CRM_COL_NUMERIC) {
        const double *v = crm_table_numeric(t, col);
        for (int64_t i = 0; i < n_sel; i++) {
            char buf[64];
            if (isnan(v[row_of(rows, i)])) {
                return missing_target(t, col, row_of(rows, i), err);
            }
            crm__clf_format_value(v[row_of(rows, i)], buf, sizeof buf);
            y[i] = name_index(names, n, buf);
        }
    } else {
        const int32_t *codes = crm_table_codes(t, col);
        int32_t n_levels = crm_table_n_levels(t, col);
        int32_t *map = crm_mallocarray((size_t)(n_levels > 0 ? n_levels : 1), sizeof *map);
        if (map == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t l = 0; l < n_levels; l++) {
            map[l] = name_index(names, n, crm_table_level(t, col, l));
        }
        for (int64_t i = 0; i < n_sel; i++) {
            int32_t code = codes[row_of(rows, i)];
            if (code < 0 || code >= n_levels) {
                crm_free(map);
                return missing_target(t, col, row_of(rows, i), err);
            }
            y[i] = map[code];
        }
        crm_free(map);
    }
    return CRM_OK;
}

crm_status crm__clf_table_subset(const crm_table *t,
                                 char *const *cols,
                                 int32_t n_cols,
                                 const int64_t *rows,
                                 int64_t n_sel,
                                 crm_table **out,
                                 crm_error *err)
{
    crm_table *s = NULL;
    double *num = crm_mallocarray((size_t)(n_sel > 0 ? n_sel : 1), sizeof *num);
    const char **txt = crm_mallocarray((size_t)(n_sel > 0 ? n_sel : 1), sizeof *txt);
    crm_status rc;
    *out = NULL;
    if (num == NULL || txt == NULL) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    rc = crm_table_new(n_sel, crm_table_source(t), &s, err);
    if (rc != CRM_OK) {
        goto fail;
    }
    for (int32_t f = 0; f < n_cols; f++) {
        int32_t j = crm_table_find_col(t, cols[f]);
        if (j < 0) {
            char near[160];
            rc = crm__error_set(err, CRM_ENOTFOUND, "column \"%s\" not found in %s%s", cols[f],
                                crm_table_source(t),
                                crm_table_did_you_mean(t, cols[f], near, (int32_t)sizeof near));
            crm__error_field(err, cols[f]);
            goto fail;
        }
        if (crm_table_col_type(t, j) == CRM_COL_NUMERIC) {
            const double *v = crm_table_numeric(t, j);
            for (int64_t i = 0; i < n_sel; i++) {
                num[i] = v[row_of(rows, i)];
            }
            rc = crm_table_add_numeric(s, cols[f], num, err);
        } else {
            const int32_t *codes = crm_table_codes(t, j);
            for (int64_t i = 0; i < n_sel; i++) {
                int32_t code = codes[row_of(rows, i)];
                txt[i] = code >= 0 ? crm_table_level(t, j, code) : NULL;
            }
            rc = crm_table_add_text(s, cols[f], crm_table_col_type(t, j), (const char *const *)txt,
                                    err);
        }
        if (rc != CRM_OK) {
            goto fail;
        }
    }
    crm_free(num);
    crm_free(txt);
    *out = s;
    return CRM_OK;
fail:
    crm_free(num);
    crm_free(txt);
    crm_table_free(s);
    return rc;
}

static int in_list(const char *name, const char *const *list, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (list[i] != NULL && strcmp(list[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* True when column j carries information in the selected rows: two distinct present values. */
static int is_informative(const crm_table *t, int32_t j, const int64_t *rows, int64_t n_sel)
{
    if (crm_table_col_type(t, j) == CRM_COL_NUMERIC) {
        const double *v = crm_table_numeric(t, j);
        double first = NAN;
        for (int64_t i = 0; i < n_sel; i++) {
            double x = v[row_of(rows, i)];
            if (isnan(x)) {
                continue;
            }
            if (isnan(first)) {
                first = x;
            } else if (x != first) {
                return 1;
            }
        }
        return 0;
    }
    {
        const int32_t *codes = crm_table_codes(t, j);
        int32_t first = -1;
        for (int64_t i = 0; i < n_sel; i++) {
            int32_t c = codes[row_of(rows, i)];
            if (c < 0) {
                continue;
            }
            if (first < 0) {
                first = c;
            } else if (c != first) {
                return 1;
            }
        }
    }
    return 0;
}

static crm_status
check_named(const crm_table *t, const crm_classifier_params *p, int32_t *cols, crm_error *err)
{
    for (int32_t f = 0; f < p->n_features; f++) {
        int32_t j = crm_table_find_col(t, p->features[f]);
        crm_status rc = CRM_OK;
        if (j < 0) {
            char near[160];
            rc = crm__error_set(
                err, CRM_ENOTFOUND, "feature column \"%s\" not found in %s%s", p->features[f],
                crm_table_source(t),
                crm_table_did_you_mean(t, p->features[f], near, (int32_t)sizeof near));
        } else if (crm_table_col_type(t, j) == CRM_COL_ID) {
            rc = crm__error_set(err, CRM_EINVAL, "column \"%s\" is an identifier, not a feature",
                                p->features[f]);
        } else if (p->target != NULL && strcmp(p->features[f], p->target) == 0) {
            rc =
                crm__error_set(err, CRM_EINVAL, "the target \"%s\" cannot be a feature", p->target);
        }
        if (rc != CRM_OK) {
            crm__error_field(err, p->features[f]);
            return rc;
        }
        cols[f] = j;
    }
    return CRM_OK;
}

crm_status crm__clf_select_features(const crm_table *t,
                                    const crm_classifier_params *p,
                                    const int64_t *rows,
                                    int64_t n_sel,
                                    char ***out,
                                    int32_t *n_out,
                                    crm_error *err)
{
    int32_t n_cols = crm_table_n_cols(t);
    int32_t *cols = crm_mallocarray((size_t)(n_cols > 0 ? n_cols : 1), sizeof *cols);
    int32_t n_cand = 0;
    int32_t n_keep = 0;
    char **names = NULL;
    crm_status rc = CRM_OK;
    *out = NULL;
    *n_out = 0;
    if (cols == NULL) {
        return crm__error_nomem(err);
    }
    if (p->features != NULL) {
        rc = check_named(t, p, cols, err);
        if (rc != CRM_OK) {
            goto done;
        }
        n_cand = p->n_features;
    } else {
        for (int32_t j = 0; j < n_cols; j++) {
            const char *name = crm_table_col_name(t, j);
            if (crm_table_col_type(t, j) == CRM_COL_ID || strcmp(name, p->target) == 0 ||
                in_list(name, p->drop, p->drop != NULL ? p->n_drop : 0)) {
                continue;
            }
            cols[n_cand++] = j;
        }
    }
    names = crm_calloc((size_t)(n_cand > 0 ? n_cand : 1), sizeof *names);
    if (names == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int32_t f = 0; f < n_cand; f++) {
        if (!is_informative(t, cols[f], rows, n_sel)) {
            continue;
        }
        names[n_keep] = crm_strdup(crm_table_col_name(t, cols[f]));
        if (names[n_keep] == NULL) {
            rc = crm__error_nomem(err);
            goto done;
        }
        n_keep++;
    }
    if (n_keep == 0) {
        rc = crm__error_set(err, CRM_EDATA,
                            "no usable feature column in %s (every candidate "
                            "is constant or empty in the training rows)",
                            crm_table_source(t));
        goto done;
    }
    *out = names;
    *n_out = n_keep;
    names = NULL;
done:
    crm__clf_free_strings(names, n_keep);
    crm_free(cols);
    return rc;
}
