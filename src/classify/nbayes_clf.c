/* nbayes_clf.c: naive Bayes as an algorithm of crm_classifier. By default it takes the raw
 * matrix: numeric features as Gaussian columns (NaN = missing, left out of the product) and
 * categorical features as level codes with Laplace-smoothed counts (unseen = NaN, left out).
 * With params.design = 1 it fits Gaussians on the design matrix instead (scikit-learn's
 * GaussianNB behind a one-hot pipeline). Sample weights are not used. */
#include <math.h>
#include <stdio.h>

#include <crmkit/nbayes.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_nbayes *nb = NULL;
    crm_status rc;
    (void)rng;
    *model = NULL;
    if ((p->nb.design ? train->design : train->raw) == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "nb: no input matrix");
    }
    rc = crm_nbayes_new(&p->nb, &nb, err);
    if (rc == CRM_OK && p->nb.design) {
        rc = crm_nbayes_fit(nb, train->design, train->y, train->schema->n_classes, NULL, err);
    } else if (rc == CRM_OK) {
        rc = crm_nbayes_fit(nb, train->raw, train->y, train->schema->n_classes,
                            train->schema->raw_n_levels, err);
    }
    if (rc == CRM_OK && !crm_progress_report(progress, "nb", 1.0)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "naive Bayes cancelled");
    }
    if (rc != CRM_OK) {
        crm_nbayes_free(nb);
        return rc;
    }
    *model = nb;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    const crm_matrix *m = crm_nbayes_uses_design(model) ? x->design : x->raw;
    if (m == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "nb: no input matrix");
    }
    return crm_nbayes_predict_proba(model, m, proba, err);
}

/* Both matrices are needed to fit (params.design chooses), only one to predict. */
static int clf_predict_needs(const void *model)
{
    return crm_nbayes_uses_design(model) ? CRM__CLF_NEEDS_DESIGN : CRM__CLF_NEEDS_RAW;
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_nbayes_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_nbayes *nb = NULL;
    crm_status rc = crm_nbayes_load(r, tag, &nb, err);
    int ok;
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    ok = crm_nbayes_n_classes(nb) == schema->n_classes;
    if (crm_nbayes_uses_design(nb)) {
        ok = ok && crm_nbayes_n_features(nb) == schema->n_design;
    } else {
        ok = ok && crm_nbayes_n_features(nb) == schema->n_raw;
        for (int32_t j = 0; ok && j < schema->n_raw; j++) {
            ok = crm_nbayes_n_levels(nb, j) == schema->raw_n_levels[j];
        }
    }
    if (!ok) {
        crm_nbayes_free(nb);
        return crm__error_set(err, CRM_EFORMAT,
                              "%s: section \"%s\" does not match the model's classes and features",
                              crm_model_reader_source(r), tag);
    }
    *model = nb;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_nbayes_free(model);
}

/* Class priors, then per-class means of the Gaussian columns. */
static crm_status clf_describe(const void *model,
                               const crm__clf_schema *schema,
                               void (*line_fn)(void *ud, const char *line),
                               void *ud,
                               crm_error *err)
{
    const crm_nbayes *nb = model;
    const double *lp = crm_nbayes_log_prior(nb);
    int32_t k = crm_nbayes_n_classes(nb);
    int design = crm_nbayes_uses_design(nb);
    const char *const *names = design ? schema->design_names : schema->raw_names;
    int64_t n_names = design ? schema->n_design : schema->n_raw;
    char buf[1024];
    int at;
    (void)err;
    line_fn(ud, "naive Bayes: class priors");
    for (int32_t c = 0; c < k && lp != NULL; c++) {
        snprintf(buf, sizeof buf, "  %-16s %.6g", schema->class_names[c], exp(lp[c]));
        line_fn(ud, buf);
    }
    at = snprintf(buf, sizeof buf, "per-class means of the Gaussian columns:\n  %-32s", "column");
    for (int32_t c = 0; c < k && at < (int)sizeof buf; c++) {
        at += snprintf(buf + at, sizeof buf - (size_t)at, " %14s", schema->class_names[c]);
    }
    line_fn(ud, buf);
    for (int64_t j = 0; j < crm_nbayes_n_features(nb); j++) {
        const double *th = crm_nbayes_theta(nb, j);
        if (th == NULL) {
            continue; /* categorical: a table of level probabilities */
        }
        at = snprintf(buf, sizeof buf, "  %-32s", j < n_names ? names[j] : "?");
        for (int32_t c = 0; c < k && at < (int)sizeof buf; c++) {
            at += snprintf(buf + at, sizeof buf - (size_t)at, " %14.6g", th[c]);
        }
        line_fn(ud, buf);
    }
    return CRM_OK;
}

const crm__clf_algo crm__clf_nb = {
    .name = "nb",
    .needs = CRM__CLF_NEEDS_RAW | CRM__CLF_NEEDS_DESIGN,
    .rowwise = 1,
    .predict_needs = clf_predict_needs,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = clf_describe,
};
