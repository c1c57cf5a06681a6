/* logreg_clf.c: logistic regression as an algorithm of crm_classifier (the vtable of
 * classify_internal.h). It works on the design matrix (imputed, scaled, one-hot), which is
 * what scikit-learn's LogisticRegression is given in the comparisons. */
#include <math.h>
#include <stdio.h>

#include <crmkit/alloc.h>
#include <string.h>

#include <crmkit/logreg.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_logreg *lr = NULL;
    crm_logreg_params lp = p->logreg;
    crm_status rc;
    (void)rng;
    *model = NULL;
    if (train->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "logreg: no design matrix");
    }
    if (lp.n_threads == 0) {
        lp.n_threads = p->n_threads;
    }
    rc = crm_logreg_new(&lp, &lr, err);
    if (rc == CRM_OK) {
        rc = crm_logreg_fit(lr, train->design, train->y, train->schema->n_classes, train->w,
                            progress, err);
    }
    if (rc != CRM_OK) {
        crm_logreg_free(lr);
        return rc;
    }
    *model = lr;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    if (x->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "logreg: no design matrix");
    }
    return crm_logreg_predict_proba(model, x->design, proba, err);
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_logreg_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_logreg *lr = NULL;
    crm_status rc = crm_logreg_load(r, tag, &lr, err);
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    int32_t k = crm_logreg_n_classes(lr);
    int32_t nf = crm_logreg_n_features(lr);
    if (k != schema->n_classes || nf != schema->n_design) {
        crm_logreg_free(lr);
        return crm__error_set(err, CRM_EFORMAT,
                              "%s: section \"%s\": %d classes x %d features "
                              "do not match the model's %d classes x %d columns",
                              crm_model_reader_source(r), tag, (int)k, (int)nf,
                              (int)schema->n_classes, (int)schema->n_design);
    }
    *model = lr;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_logreg_free(model);
}

/* Coefficients per class row (scaled design columns), largest magnitude first. */
static crm_status clf_describe(const void *model,
                               const crm__clf_schema *schema,
                               void (*line_fn)(void *ud, const char *line),
                               void *ud,
                               crm_error *err)
{
    const crm_logreg *lr = model;
    int32_t nf = crm_logreg_n_features(lr);
    int32_t rows = crm_logreg_n_coef_rows(lr);
    const double *coef = crm_logreg_coef(lr);
    const double *icpt = crm_logreg_intercept(lr);
    int32_t *order = crm_mallocarray((size_t)(nf > 0 ? nf : 1), sizeof *order);
    char buf[512];
    if (order == NULL) {
        return crm__error_nomem(err);
    }
    snprintf(buf, sizeof buf,
             "logistic regression: %d iterations%s; coefficients on the scaled columns, largest "
             "first",
             (int)crm_logreg_n_iter(lr), crm_logreg_converged(lr) ? ", converged" : "");
    line_fn(ud, buf);
    for (int32_t r = 0; r < rows; r++) {
        const double *c = coef + (int64_t)r * nf;
        snprintf(buf, sizeof buf, "  %s: intercept %+.6g",
                 rows == 1 ? (schema->n_classes > 1 ? schema->class_names[1] : "?")
                           : schema->class_names[r],
                 icpt[r]);
        line_fn(ud, buf);
        for (int32_t j = 0; j < nf; j++) {
            order[j] = j;
        }
        for (int32_t a = 1; a < nf; a++) { /* insertion sort by |coef|, stable */
            int32_t v = order[a];
            int32_t b = a;
            while (b > 0 && fabs(c[order[b - 1]]) < fabs(c[v])) {
                order[b] = order[b - 1];
                b--;
            }
            order[b] = v;
        }
        for (int32_t q = 0; q < nf; q++) {
            int32_t j = order[q];
            snprintf(buf, sizeof buf, "    %-32s %+.6g",
                     j < schema->n_design ? schema->design_names[j] : "?", c[j]);
            line_fn(ud, buf);
        }
    }
    crm_free(order);
    return CRM_OK;
}

static crm_clf_importance clf_importance(const void *model, double *out, int32_t n)
{
    if (crm_logreg_n_coef_rows(model) != 1) {
        return CRM_CLF_IMPORTANCE_NONE;
    }
    if (out != NULL && n == crm_logreg_n_features(model)) {
        memcpy(out, crm_logreg_coef(model), (size_t)n * sizeof *out);
    }
    return CRM_CLF_IMPORTANCE_COEF;
}

const crm__clf_algo crm__clf_logreg = {
    .name = "logreg",
    .needs = CRM__CLF_NEEDS_DESIGN,
    .rowwise = 1,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = clf_describe,
    .importance = clf_importance,
};
