/* mlp_clf.c: the multilayer perceptron as an algorithm of crm_classifier. It takes the design
 * matrix (imputed, scaled, one-hot). Its seed is the classifier's seed unless the MLP params
 * set their own; sample weights are not used. */
#include <math.h>
#include <stdio.h>

#include <crmkit/mlp.h>

#include "classify_internal.h"
#include "mlp_net.h"
#include "core/core_internal.h"

static crm_status clf_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **model,
                          crm_error *err)
{
    crm_mlp *m = NULL;
    crm_mlp_params mp = p->mlp;
    crm_status rc;
    (void)rng;
    *model = NULL;
    if (train->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "mlp: no design matrix");
    }
    if (mp.seed == 0) {
        mp.seed = p->seed;
    }
    if (mp.n_threads == 0) {
        mp.n_threads = p->n_threads;
    }
    rc = crm_mlp_new(&mp, &m, err);
    if (rc == CRM_OK) {
        rc = crm_mlp_fit(m, train->design, train->y, train->schema->n_classes, progress, err);
    }
    if (rc != CRM_OK) {
        crm_mlp_free(m);
        return rc;
    }
    *model = m;
    return CRM_OK;
}

static crm_status
clf_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    if (x->design == NULL) {
        return crm__error_set(err, CRM_EINTERNAL, "mlp: no design matrix");
    }
    return crm_mlp_predict_proba(model, x->design, proba, err);
}

static crm_status clf_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    return crm_mlp_save(model, w, tag, err);
}

static crm_status clf_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **model,
                           crm_error *err)
{
    crm_mlp *m = NULL;
    crm_status rc = crm_mlp_load(r, tag, &m, err);
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (crm_mlp_n_classes(m) != schema->n_classes || crm_mlp_n_features(m) != schema->n_design) {
        crm_mlp_free(m);
        return crm__clf_section_mismatch(r, tag, err);
    }
    *model = m;
    return CRM_OK;
}

static void clf_free(void *model)
{
    crm_mlp_free(model);
}

/* Layer sizes, epochs, loss. */
static crm_status clf_describe(const void *model,
                               const crm__clf_schema *schema,
                               void (*line_fn)(void *ud, const char *line),
                               void *ud,
                               crm_error *err)
{
    const crm_mlp *m = model;
    const crm_mlp_params *p = &m->params;
    char buf[512];
    int at;
    (void)schema;
    (void)err;
    at = snprintf(buf, sizeof buf, "multilayer perceptron: layers %lld inputs", (long long)m->d);
    for (int32_t l = 0; l < p->n_hidden && at < (int)sizeof buf; l++) {
        at += snprintf(buf + at, sizeof buf - (size_t)at, " -> %d ReLU", (int)p->hidden[l]);
    }
    if (at < (int)sizeof buf) {
        snprintf(buf + at, sizeof buf - (size_t)at, " -> %d softmax (%lld weights)",
                 (int)m->n_classes, (long long)m->n_theta);
    }
    line_fn(ud, buf);
    snprintf(buf, sizeof buf, "  training: %d epochs, final training loss %.6g%s", (int)m->n_epochs,
             m->loss, isnan(m->best_val) ? "" : ",");
    line_fn(ud, buf);
    if (!isnan(m->best_val)) {
        snprintf(buf, sizeof buf, "  best validation accuracy %.6g (early stopping)", m->best_val);
        line_fn(ud, buf);
    }
    return CRM_OK;
}

const crm__clf_algo crm__clf_mlp = {
    .name = "mlp",
    .needs = CRM__CLF_NEEDS_DESIGN,
    .rowwise = 1,
    .fit = clf_fit,
    .predict_proba = clf_predict,
    .save = clf_save,
    .load = clf_load,
    .free = clf_free,
    .describe = clf_describe,
};
