/* svm_clf.c: the LIBSVM C-SVC as an algorithm of crm_classifier. It takes the design matrix
 * (imputed, scaled, one-hot), as scikit-learn's SVC is given in the comparisons. Its seed is
 * the classifier's unless the SVM params set their own; sample weights are not used (class
 * weights are an SVM parameter). */
#include <crmkit/svm.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_svm *svm = NULL;
    crm_svm_params sp = p->svm;
    crm_status rc;
    (void)rng;
    *model = NULL;
    if (train->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "svm: no design matrix");
    }
    if (sp.seed == 0) {
        sp.seed = p->seed;
    }
    if (sp.n_threads == 0) {
        sp.n_threads = p->n_threads;
    }
    rc = crm_svm_new(&sp, &svm, err);
    if (rc == CRM_OK) {
        rc = crm_svm_fit(svm, train->design, train->y, train->schema->n_classes, progress, err);
    }
    if (rc != CRM_OK) {
        crm_svm_free(svm);
        return rc;
    }
    *model = svm;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    if (x->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "svm: no design matrix");
    }
    return crm_svm_predict_proba(model, x->design, proba, err);
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_svm_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_svm *svm = NULL;
    crm_status rc = crm_svm_load(r, tag, &svm, err);
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (crm_svm_n_classes(svm) != schema->n_classes ||
        crm_svm_n_features(svm) != schema->n_design) {
        crm_svm_free(svm);
        return crm__clf_section_mismatch(r, tag, err);
    }
    *model = svm;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_svm_free(model);
}

const crm__clf_algo crm__clf_svm = {
    .name = "svm",
    .needs = CRM__CLF_NEEDS_DESIGN,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = NULL,
};
