/* gbt_clf.c: gradient-boosted trees as an algorithm of crm_classifier (the vtable of
 * classify_internal.h). Trees work on the raw matrix: numeric values with NaN for missing,
 * categorical features as level codes (each level gets its own bin when there are at most
 * 255 levels), so missing values take the learned direction of every split. */
#include <crmkit/gbt.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_gbt *g = NULL;
    crm_gbt_params gp = p->gbt;
    crm_status rc;
    *model = NULL;
    if (train->raw == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "gbt: no raw matrix");
    }
    if (gp.n_threads == 0) {
        gp.n_threads = p->n_threads;
    }
    gp.seed = crm_rng_next(rng);
    rc = crm_gbt_new(&gp, &g, err);
    if (rc == CRM_OK) {
        rc =
            crm_gbt_fit(g, train->raw, train->y, train->schema->n_classes, train->w, progress, err);
    }
    if (rc != CRM_OK) {
        crm_gbt_free(g);
        return rc;
    }
    *model = g;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    if (x->raw == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "gbt: no raw matrix");
    }
    return crm_gbt_predict_proba(model, x->raw, proba, err);
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_gbt_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_gbt *g = NULL;
    crm_status rc = crm_gbt_load(r, tag, &g, err);
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    int32_t k = crm_gbt_n_classes(g);
    int32_t nf = crm_gbt_n_features(g);
    if (k != schema->n_classes || nf != schema->n_raw) {
        crm_gbt_free(g);
        return crm__error_set(err, CRM_EFORMAT,
                              "%s: section \"%s\": %d classes x %d features "
                              "do not match the model's %d classes x %d features",
                              crm_model_reader_source(r), tag, (int)k, (int)nf,
                              (int)schema->n_classes, (int)schema->n_raw);
    }
    *model = g;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_gbt_free(model);
}

static crm_clf_importance clf_importance(const void *model, double *out, int32_t n)
{
    if (out != NULL && n == crm_gbt_n_features(model)) {
        crm_gbt_feature_splits(model, out);
    }
    return CRM_CLF_IMPORTANCE_SPLITS;
}

const crm__clf_algo crm__clf_gbt = {
    .name = "gbt",
    .needs = CRM__CLF_NEEDS_RAW,
    .rowwise = 1,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = NULL,
    .importance = clf_importance,
};
