/* stub_mlp.c: placeholder for the mlp algorithm until it is written. Its engineer deletes this
 * file when adding the real one (see classify_internal.h). */
#include "classify_internal.h"
#include "core/core_internal.h"

static crm_status stub_fit(const crm__clf_data *train, const crm_classifier_params *p,
                           crm_rng *rng, const crm_progress *progress, void **model,
                           crm_error *err)
{
    (void)train;
    (void)p;
    (void)rng;
    (void)progress;
    *model = NULL;
    return crm__clf_unsupported(err, "mlp");
}

static crm_status stub_predict(const void *model, const crm__clf_data *x, double *proba,
                               crm_error *err)
{
    (void)model;
    (void)x;
    (void)proba;
    return crm__clf_unsupported(err, "mlp");
}

static crm_status stub_save(const void *model, crm_model_writer *w, const char *tag,
                            crm_error *err)
{
    (void)model;
    (void)w;
    (void)tag;
    return crm__clf_unsupported(err, "mlp");
}

static crm_status stub_load(const crm_model_reader *r, const char *tag,
                            const crm__clf_schema *schema, void **model, crm_error *err)
{
    (void)r;
    (void)tag;
    (void)schema;
    *model = NULL;
    return crm__clf_unsupported(err, "mlp");
}

static void stub_free(void *model)
{
    (void)model;
}

const crm__clf_algo crm__clf_mlp = {
    .name = "mlp",
    .needs = CRM__CLF_NEEDS_DESIGN,
    .fit = stub_fit,
    .predict_proba = stub_predict,
    .save = stub_save,
    .load = stub_load,
    .free = stub_free,
    .describe = NULL,
};

crm_mlp_params crm_mlp_params_default(void)
{
    crm_mlp_params p = { 0 };
    return p;
}

crm_status crm_mlp_params_check(const crm_mlp_params *p, crm_error *err)
{
    (void)p;
    (void)err;
    return CRM_OK;
}
