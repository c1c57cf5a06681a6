/* knn_clf.c: k nearest neighbours as an algorithm of crm_classifier. It takes the design
 * matrix (imputed, scaled, one-hot), as scikit-learn's KNeighborsClassifier is given in the
 * comparisons. Sample weights are not used. */
#include <crmkit/knn.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_knn *knn = NULL;
    crm_status rc;
    (void)rng;
    *model = NULL;
    if (train->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "knn: no design matrix");
    }
    rc = crm_knn_new(&p->knn, &knn, err);
    if (rc == CRM_OK) {
        rc = crm_knn_fit(knn, train->design, train->y, train->schema->n_classes, err);
    }
    if (rc == CRM_OK && !crm_progress_report(progress, "knn", 1.0)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "KNN cancelled");
    }
    if (rc != CRM_OK) {
        crm_knn_free(knn);
        return rc;
    }
    *model = knn;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    if (x->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "knn: no design matrix");
    }
    return crm_knn_predict_proba(model, x->design, proba, err);
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_knn_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_knn *knn = NULL;
    crm_status rc = crm_knn_load(r, tag, &knn, err);
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (crm_knn_n_classes(knn) != schema->n_classes ||
        crm_knn_n_features(knn) != schema->n_design) {
        crm_knn_free(knn);
        return crm__clf_section_mismatch(r, tag, err);
    }
    *model = knn;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_knn_free(model);
}

const crm__clf_algo crm__clf_knn = {
    .name = "knn",
    .needs = CRM__CLF_NEEDS_DESIGN,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = NULL,
};
