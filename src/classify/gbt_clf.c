/* gbt_clf.c: gradient-boosted trees as an algorithm of crm_classifier (the vtable of
 * classify_internal.h). Trees work on the raw matrix: numeric values with NaN for missing,
 * categorical features as level codes (each level gets its own bin when there are at most
 * 255 levels), so missing values take the learned direction of every split. */
#include <stdio.h>

#include <crmkit/alloc.h>
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

/* Trees, the loss curve and the features by gain (by the number of splits on them for a
 * file without gains). */
static crm_status clf_describe(const void *model,
                               const crm__clf_schema *schema,
                               void (*line_fn)(void *ud, const char *line),
                               void *ud,
                               crm_error *err)
{
    const crm_gbt *g = model;
    int32_t nf = crm_gbt_n_features(g);
    int32_t n_iter = crm_gbt_n_iter(g);
    const double *tl = crm_gbt_train_loss(g);
    const double *vl = crm_gbt_validation_loss(g);
    int64_t *counts = crm_calloc((size_t)(nf > 0 ? nf : 1), sizeof *counts);
    double *gain = crm_calloc((size_t)(nf > 0 ? nf : 1), sizeof *gain);
    int64_t total = 0;
    double total_gain = 0.0;
    int has_gain;
    char buf[512];
    if (counts == NULL || gain == NULL) {
        crm_free(counts);
        crm_free(gain);
        return crm__error_nomem(err);
    }
    snprintf(buf, sizeof buf, "boosted trees: %d iterations, %d trees", (int)n_iter,
             (int)crm_gbt_n_trees(g));
    line_fn(ud, buf);
    line_fn(ud, "training curve (mean log-loss): iteration, training, validation");
    for (int32_t i = 0; tl != NULL && i <= n_iter; i++) {
        if (i < 10 || i % 10 == 0 || i == n_iter) {
            snprintf(buf, sizeof buf, "  %5d %12.6g %12s", (int)i, tl[i], "");
            if (vl != NULL) {
                snprintf(buf + 21, sizeof buf - 21, "%12.6g", vl[i]);
            }
            line_fn(ud, buf);
        }
    }
    crm_gbt_split_counts(g, counts);
    has_gain = crm_gbt_feature_gain(g, gain);
    for (int32_t f = 0; f < nf; f++) {
        total += counts[f];
        total_gain += has_gain ? gain[f] : 0.0;
    }
    line_fn(ud, has_gain ? "feature importance: share of the training-loss reduction (gain) of "
                           "all splits"
                         : "feature importance: share of all splits (this file keeps no gains)");
    for (int32_t q = 0; q < nf; q++) { /* most important first */
        int32_t best = -1;
        for (int32_t f = 0; f < nf; f++) {
            if (counts[f] >= 0 &&
                (best < 0 || (has_gain ? gain[f] > gain[best] : counts[f] > counts[best]))) {
                best = f;
            }
        }
        if (best < 0 || counts[best] == 0) {
            break;
        }
        const char *name = best < schema->n_raw ? schema->raw_names[best] : "?";
        if (has_gain) {
            snprintf(buf, sizeof buf, "  %-32s %6.1f%%  (gain %.6g, %lld splits)", name,
                     total_gain > 0 ? 100.0 * gain[best] / total_gain : 0.0, gain[best],
                     (long long)counts[best]);
        } else {
            snprintf(buf, sizeof buf, "  %-32s %6.1f%%  (%lld splits)", name,
                     100.0 * (double)counts[best] / (double)total, (long long)counts[best]);
        }
        line_fn(ud, buf);
        counts[best] = -1;
    }
    crm_free(gain);
    crm_free(counts);
    return CRM_OK;
}

static crm_clf_importance clf_importance(const void *model, double *out, int32_t n)
{
    if (crm_gbt_feature_gain(model, NULL)) {
        if (out != NULL && n == crm_gbt_n_features(model)) {
            (void)crm_gbt_feature_gain(model, out);
        }
        return CRM_CLF_IMPORTANCE_GAIN;
    }
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
    .describe = clf_describe,
    .importance = clf_importance,
};
