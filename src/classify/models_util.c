/* models_util.c: checks, argmax and seeded stratified splits for the classifier modules. */
#include "models_util.h"

#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"

crm_status crm__mdl_check_train(const crm_matrix *x,
                                const int32_t *y,
                                int32_t n_classes,
                                int allow_nan,
                                crm_error *err)
{
    int32_t seen = 0;
    int64_t *count;
    if (x == NULL || y == NULL || x->data == NULL) {
        return crm__error_set(err, CRM_EINVAL, "training data and labels are required");
    }
    if (x->n_rows < 2 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA, "need at least 2 rows and 1 column, got %lld x %lld",
                              (long long)x->n_rows, (long long)x->n_cols);
    }
    if (n_classes < 2) {
        return crm__error_set(err, CRM_EDATA, "need at least 2 classes, got %d", n_classes);
    }
    if (x->n_cols > INT32_MAX - 1 || x->n_rows > INT32_MAX - 1) {
        return crm__error_set(err, CRM_ELIMIT, "training matrix %lld x %lld is too large",
                              (long long)x->n_rows, (long long)x->n_cols);
    }
    count = crm_calloc((size_t)n_classes, sizeof *count);
    if (count == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        if (y[i] < 0 || y[i] >= n_classes) {
            crm_free(count);
            return crm__error_set(err, CRM_EINVAL, "label %d of row %lld is outside [0, %d)", y[i],
                                  (long long)(i + 1), n_classes);
        }
        count[y[i]]++;
    }
    for (int32_t c = 0; c < n_classes; c++) {
        seen += count[c] > 0;
    }
    crm_free(count);
    if (seen < 2) {
        return crm__error_set(err, CRM_EDATA, "the target has only one class in the training rows");
    }
    if (!allow_nan) {
        return crm_matrix_check_finite(x, err);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            if (isinf(row[j])) {
                return crm__error_set(err, CRM_EDATA, "infinite value at row %lld, column %lld",
                                      (long long)(i + 1), (long long)(j + 1));
            }
        }
    }
    return CRM_OK;
}

/* crm__mdl_train_weights' checks; counts[c] (zeroed) gets the rows of class c. */
static crm_status
check_labels(const char *who, const crm__mdl_labels *l, int64_t *counts, crm_error *err)
{
    int32_t present = 0;
    for (int64_t i = 0; i < l->n; i++) {
        if (l->y[i] < 0 || l->y[i] >= l->k) {
            return crm__error_set(err, CRM_EINVAL, "%s: label %d of row %lld is outside [0, %d)",
                                  who, (int)l->y[i], (long long)(i + 1), (int)l->k);
        }
        if (l->sw != NULL && !(l->sw[i] >= 0 && isfinite(l->sw[i]))) {
            return crm__error_set(err, CRM_EINVAL, "%s: weight of row %lld is %g", who,
                                  (long long)(i + 1), l->sw[i]);
        }
        counts[l->y[i]]++;
    }
    for (int32_t c = 0; c < l->k; c++) {
        present += counts[c] > 0;
    }
    if (present < 2) {
        return crm__error_set(err, CRM_EDATA,
                              "%s: the training labels hold only one class; at least two are "
                              "needed",
                              who);
    }
    return CRM_OK;
}

crm_status crm__mdl_train_weights(const char *who,
                                  const crm__mdl_labels *l,
                                  int balanced,
                                  double **w_out,
                                  crm_error *err)
{
    int32_t present = 0;
    int64_t *counts = crm_calloc((size_t)l->k, sizeof *counts);
    double *w = NULL;
    crm_status rc = counts != NULL ? check_labels(who, l, counts, err) : crm__error_nomem(err);
    if (rc == CRM_OK) {
        w = crm_mallocarray((size_t)l->n, sizeof *w);
        rc = w != NULL ? CRM_OK : crm__error_nomem(err);
    }
    for (int32_t c = 0; rc == CRM_OK && c < l->k; c++) {
        present += counts[c] > 0;
    }
    for (int64_t i = 0; rc == CRM_OK && i < l->n; i++) {
        double v = l->sw != NULL ? l->sw[i] : 1.0;
        if (balanced) {
            v *= (double)l->n / ((double)present * (double)counts[l->y[i]]);
        }
        w[i] = v;
    }
    crm_free(counts);
    *w_out = w;
    return rc;
}

crm_status
crm__mdl_check_predict(const crm_matrix *x, int64_t n_cols, const void *out, crm_error *err)
{
    if (x == NULL || out == NULL || (x->data == NULL && x->n_rows > 0)) {
        return crm__error_set(err, CRM_EINVAL, "data and output buffer are required");
    }
    if (x->n_cols != n_cols) {
        return crm__error_set(err, CRM_EINVAL, "model was fitted on %lld columns, got %lld",
                              (long long)n_cols, (long long)x->n_cols);
    }
    return CRM_OK;
}

crm_status crm__mdl_check_ready(const char *who, const int32_t *fitted, crm_error *err)
{
    if (fitted == NULL) {
        return crm__error_set(err, CRM_EINVAL, "%s: NULL argument", who);
    }
    if (!*fitted) {
        return crm__error_set(err, CRM_ESTATE, "%s: the model is not fitted", who);
    }
    return CRM_OK;
}

crm_status crm__mdl_check_rows(const char *who,
                               const int32_t *fitted,
                               int32_t nf,
                               const crm_matrix *x,
                               crm_error *err)
{
    crm_status rc = crm__mdl_check_ready(who, x != NULL ? fitted : NULL, err);
    if (rc == CRM_OK && x->n_cols != nf) {
        rc = crm__error_set(err, CRM_EINVAL,
                            "%s: the model has %d features, the data has %lld columns", who,
                            (int)nf, (long long)x->n_cols);
    }
    return rc;
}

crm_status
crm__mdl_bad_section(const crm_model_reader *r, const char *tag, const char *what, crm_error *err)
{
    return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\": %s", crm_model_reader_source(r),
                          tag, what);
}

int32_t crm__mdl_argmax(const double *p, int32_t n)
{
    int32_t best = 0;
    for (int32_t c = 1; c < n; c++) {
        if (p[c] > p[best] || (isnan(p[best]) && !isnan(p[c]))) {
            best = c;
        }
    }
    return best;
}

crm_status
crm__mdl_predict_labels(const crm__mdl_scorer *s, const crm_matrix *x, int32_t *y, crm_error *err)
{
    const int32_t k = s->k;
    double *p = crm_mallocarray((size_t)(x->n_rows > 0 ? x->n_rows : 1) * (size_t)k, sizeof *p);
    crm_status rc;
    if (p == NULL) {
        return crm__error_nomem(err);
    }
    rc = s->score(s->model, x, p, err);
    for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
        y[i] = crm__mdl_argmax(p + i * k, k);
    }
    crm_free(p);
    return rc;
}

crm_status
crm__mdl_class_order(const crm__mdl_labels *l, crm_rng *rng, int64_t **start_out, crm_error *err)
{
    const int32_t k = l->k;
    int64_t *start = crm_calloc((size_t)k + 1 + (size_t)l->n, sizeof *start);
    int64_t *fill = crm_calloc((size_t)k + 1, sizeof *fill);
    crm_status rc = start != NULL && fill != NULL ? CRM_OK : crm__error_nomem(err);
    for (int64_t i = 0; rc == CRM_OK && i < l->n; i++) {
        if (l->y[i] < 0 || l->y[i] >= k) {
            rc = crm__error_set(err, CRM_EINVAL, "label %d of row %lld is outside [0, %d)", l->y[i],
                                (long long)i, k);
        } else {
            start[l->y[i] + 1]++;
        }
    }
    if (rc == CRM_OK) {
        int64_t *order = start + k + 1;
        for (int32_t c = 0; c < k; c++) {
            start[c + 1] += start[c];
        }
        for (int64_t i = 0; i < l->n; i++) {
            order[start[l->y[i]] + fill[l->y[i]]++] = i;
        }
        for (int32_t c = 0; c < k; c++) {
            crm_rng_shuffle(rng, order + start[c], start[c + 1] - start[c]);
        }
    }
    crm_free(fill);
    if (rc != CRM_OK) {
        crm_free(start);
        start = NULL;
    }
    *start_out = start;
    return rc;
}

crm_status crm__mdl_stratified_holdout(const crm__mdl_labels *l,
                                       double frac,
                                       crm_rng *rng,
                                       uint8_t *is_val,
                                       crm_error *err)
{
    int64_t *start;
    crm_status rc = crm__mdl_class_order(l, rng, &start, err);
    if (rc != CRM_OK) {
        return rc;
    }
    const int64_t *order = start + l->k + 1;
    memset(is_val, 0, (size_t)l->n);
    for (int32_t c = 0; c < l->k; c++) {
        int64_t n_c = start[c + 1] - start[c];
        int64_t n_val = (int64_t)floor(frac * (double)n_c + 0.5);
        if (n_val >= n_c) {
            n_val = n_c - 1;
        }
        for (int64_t p = 0; p < n_val; p++) {
            is_val[order[start[c] + p]] = 1;
        }
    }
    crm_free(start);
    return CRM_OK;
}

/* The section tag to use: tag when given, else def; NULL (CRM_EINVAL in err) when it is
 * empty or too long. */
static const char *section_tag(const char *tag, const char *def, crm_error *err)
{
    const char *t = tag != NULL ? tag : def;
    if (t[0] == '\0' || strlen(t) > CRM_MODEL_TAG_BYTES - 1) {
        (void)crm__error_set(err, CRM_EINVAL, "section tag \"%s\" must have 1 to %d characters", t,
                             CRM_MODEL_TAG_BYTES - 1);
        return NULL;
    }
    return t;
}

crm_status crm__mdl_begin(crm_model_writer *w, const char *tag, const char *def, crm_error *err)
{
    const char *t = section_tag(tag, def, err);
    return t != NULL ? crm_model_begin(w, t, err) : CRM_EINVAL;
}

crm_status crm__mdl_section(const crm_model_reader *r,
                            const char *tag,
                            const char *def,
                            crm_section *s,
                            crm_error *err)
{
    const char *t = section_tag(tag, def, err);
    return t != NULL ? crm_model_section(r, t, s, err) : CRM_EINVAL;
}

crm_status crm__mdl_load(const crm_model_reader *r,
                         const char *tag,
                         const crm__mdl_loader *ld,
                         void *ctx,
                         crm_error *err)
{
    if (ctx == NULL || r == NULL) {
        return crm__error_set(err, CRM_EINVAL, "reader and out are required");
    }
    crm_section s;
    crm_status rc = ld->make(ctx, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm__mdl_section(r, tag, ld->def, &s, err);
    rc = rc == CRM_OK ? ld->read(ctx, &s, r, err) : rc;
    if (rc != CRM_OK) {
        ld->drop(ctx);
    }
    return rc;
}

crm_status crm__mdl_get_i32_in(crm_section *s, int32_t lo, int32_t hi, int32_t *v)
{
    crm_status rc = crm_section_get_i32(s, v);
    if (rc == CRM_OK && (*v < lo || *v > hi)) {
        s->failed = 1;
        return CRM_EFORMAT;
    }
    return rc;
}
