/* clf_adapter.c: gradient-boosted trees, logistic regression, the multilayer perceptron, the
 * SVM, k nearest neighbours and naive Bayes as algorithms of crm_classifier (the vtable of
 * classify_internal.h). Each of them has a public API of the same form (crm_<a>_new, _fit,
 * _predict_proba, _save, _load, _free, _n_classes, _n_features), so one table serves them: a
 * row per algorithm says which matrix it reads, how its parameters come from the classifier's
 * (its own struct, with the classifier's thread count and seed where it leaves them 0) and
 * which functions to call; one code path does the rest. C4.5 (c45.c) and the vote (vote.c)
 * have vtables of their own.
 *
 * A fitted or loaded model is the algorithm's object together with its row, so the callbacks
 * that get only the model know whose it is. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/gbt.h>
#include <crmkit/knn.h>
#include <crmkit/logreg.h>
#include <crmkit/mlp.h>
#include <crmkit/nbayes.h>
#include <crmkit/svm.h>

#include "classify_internal.h"
#include "core/core_internal.h"
#include "mlp_net.h"

/* Where an algorithm's seed comes from. */
enum {
    SEED_NONE,      /* it has none */
    SEED_DRAW,      /* a draw of the classifier's generator */
    SEED_CLASSIFIER /* the classifier's seed, unless its own params set one */
};

#define NO_FIELD ((size_t)-1)

/* Room for the parameters of any row. */
typedef union adapter_params {
    crm_gbt_params gbt;
    crm_logreg_params logreg;
    crm_mlp_params mlp;
    crm_svm_params svm;
    crm_knn_params knn;
    crm_nbayes_params nb;
} adapter_params;

typedef struct adapter {
    /* What the framework sees: name, needs (the matrix it reads; both when it chooses, below),
     * rowwise, and the generic callbacks. */
    crm__clf_algo vt;
    /* Which of the two matrices a fit with these params reads, and a fitted model reads;
     * NULL: vt.needs. */
    int (*fit_input)(const crm_classifier_params *p);
    int (*model_input)(const void *m);
    /* Its parameters: params_size bytes at params_at in crm_classifier_params; an int32_t
     * n_threads at threads_at (0 there = the classifier's) and a uint64_t seed at seed_at
     * (filled as `seed` says), or NO_FIELD. */
    size_t params_at;
    size_t params_size;
    size_t threads_at;
    size_t seed_at;
    int seed;
    /* Text of the CRM_ECANCELLED error when fit takes no progress: the adapter then reports
     * the whole fit as one step after it. NULL: fit reports its own progress. */
    const char *cancelled;
    crm_status (*create)(const void *params, void **m, crm_error *err);
    crm_status (*fit)(void *m,
                      const crm_matrix *x,
                      const crm__clf_data *train,
                      const crm_progress *progress,
                      crm_error *err);
    crm_status (*predict)(const void *m, const crm_matrix *x, double *proba, crm_error *err);
    crm_status (*save)(const void *m, crm_model_writer *w, const char *tag, crm_error *err);
    crm_status (*load)(const crm_model_reader *r, const char *tag, void **m, crm_error *err);
    void (*free)(void *m);
    int32_t (*n_classes)(const void *m);
    int64_t (*n_inputs)(const void *m);
    /* May be NULL: 0 when a loaded model's categorical levels differ from the schema's. */
    int (*levels_match)(const void *m, const crm__clf_schema *schema);
    /* May be NULL: as the vtable's describe and importance. */
    crm_status (*describe)(const void *m,
                           const crm__clf_schema *schema,
                           void (*line_fn)(void *ud, const char *line),
                           void *ud,
                           crm_error *err);
    crm_clf_importance (*importance)(const void *m, double *out, int32_t n);
} adapter;

/* A fitted or loaded model: the algorithm's object and its row. */
typedef struct adapted {
    const adapter *a;
    void *m;
} adapted;

/* ---- The generic path ------------------------------------------------------------------ */

static int model_input(const adapter *a, const void *m)
{
    return a->model_input != NULL ? a->model_input(m) : a->vt.needs;
}

static const crm_matrix *input_matrix(const crm__clf_data *d, int input)
{
    return input == CRM__CLF_NEEDS_DESIGN ? d->design : d->raw;
}

static crm_status no_matrix(const adapter *a, int input, crm_error *err)
{
    return crm__error_set(err, CRM_EINTERNAL, "%s: no %s matrix", a->vt.name,
                          input == CRM__CLF_NEEDS_DESIGN ? "design" : "raw");
}

/* The row's parameters from the classifier's: its own struct, the classifier's thread count
 * where that says 0, and its seed as the row says. */
static void
take_params(const adapter *a, const crm_classifier_params *p, crm_rng *rng, adapter_params *out)
{
    unsigned char *bytes = (unsigned char *)out;
    memcpy(out, (const unsigned char *)p + a->params_at, a->params_size);
    if (a->threads_at != NO_FIELD) {
        int32_t n_threads;
        memcpy(&n_threads, bytes + a->threads_at, sizeof n_threads);
        if (n_threads == 0) {
            memcpy(bytes + a->threads_at, &p->n_threads, sizeof n_threads);
        }
    }
    if (a->seed != SEED_NONE) {
        uint64_t seed;
        memcpy(&seed, bytes + a->seed_at, sizeof seed);
        if (a->seed == SEED_DRAW) {
            seed = crm_rng_next(rng);
        } else if (seed == 0) {
            seed = p->seed;
        }
        memcpy(bytes + a->seed_at, &seed, sizeof seed);
    }
}

/* *model = m with its row; m is freed on failure. */
static crm_status wrap(const adapter *a, void *m, void **model, crm_error *err)
{
    adapted *w = crm_malloc(sizeof *w);
    if (w == NULL) {
        a->free(m);
        return crm__error_nomem(err);
    }
    w->a = a;
    w->m = m;
    *model = w;
    return CRM_OK;
}

static crm_status adapter_fit(const adapter *a,
                              const crm__clf_data *train,
                              const crm_classifier_params *p,
                              crm_rng *rng,
                              const crm_progress *progress,
                              void **model,
                              crm_error *err)
{
    int input = a->fit_input != NULL ? a->fit_input(p) : a->vt.needs;
    const crm_matrix *x = input_matrix(train, input);
    adapter_params params;
    void *m = NULL;
    crm_status rc;
    *model = NULL;
    if (x == NULL) {
        return no_matrix(a, input, err);
    }
    take_params(a, p, rng, &params);
    rc = a->create(&params, &m, err);
    if (rc == CRM_OK) {
        rc = a->fit(m, x, train, a->cancelled == NULL ? progress : NULL, err);
    }
    if (rc == CRM_OK && a->cancelled != NULL && !crm_progress_report(progress, a->vt.name, 1.0)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "%s cancelled", a->cancelled);
    }
    if (rc != CRM_OK) {
        a->free(m);
        return rc;
    }
    return wrap(a, m, model, err);
}

/* Reads the row's section and checks its classes and inputs against the schema. */
static crm_status adapter_load(const adapter *a,
                               const crm_model_reader *r,
                               const char *tag,
                               const crm__clf_schema *schema,
                               void **model,
                               crm_error *err)
{
    void *m = NULL;
    crm_status rc = a->load(r, tag, &m, err);
    int design;
    int64_t n_in;
    *model = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    design = model_input(a, m) == CRM__CLF_NEEDS_DESIGN;
    n_in = design ? schema->n_design : schema->n_raw;
    if (a->n_classes(m) != schema->n_classes || a->n_inputs(m) != n_in) {
        rc = crm__error_set(err, CRM_EFORMAT,
                            "%s: section \"%s\": %d classes x %lld %s do not match the model's "
                            "%d classes x %lld %s",
                            crm_model_reader_source(r), tag, (int)a->n_classes(m),
                            (long long)a->n_inputs(m), design ? "columns" : "features",
                            (int)schema->n_classes, (long long)n_in,
                            design ? "columns" : "features");
    } else if (a->levels_match != NULL && !a->levels_match(m, schema)) {
        rc = crm__error_set(err, CRM_EFORMAT,
                            "%s: section \"%s\": the levels of its categorical features do not "
                            "match the model's",
                            crm_model_reader_source(r), tag);
    }
    if (rc != CRM_OK) {
        a->free(m);
        return rc;
    }
    return wrap(a, m, model, err);
}

static int adapter_predict_needs(const void *model)
{
    const adapted *w = model;
    return model_input(w->a, w->m);
}

static crm_status
adapter_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    const adapted *w = model;
    int input = model_input(w->a, w->m);
    const crm_matrix *m = input_matrix(x, input);
    if (m == NULL) {
        return no_matrix(w->a, input, err);
    }
    return w->a->predict(w->m, m, proba, err);
}

static crm_status
adapter_save(const void *model, crm_model_writer *wr, const char *tag, crm_error *err)
{
    const adapted *w = model;
    return w->a->save(w->m, wr, tag, err);
}

static void adapter_free(void *model)
{
    adapted *w = model;
    if (w != NULL) {
        w->a->free(w->m);
        crm_free(w);
    }
}

static crm_status adapter_describe(const void *model,
                                   const crm__clf_schema *schema,
                                   void (*line_fn)(void *ud, const char *line),
                                   void *ud,
                                   crm_error *err)
{
    const adapted *w = model;
    if (w->a->describe == NULL) {
        return CRM_OK;
    }
    return w->a->describe(w->m, schema, line_fn, ud, err);
}

static crm_clf_importance adapter_importance(const void *model, double *out, int32_t n)
{
    const adapted *w = model;
    if (w->a->importance == NULL) {
        return CRM_CLF_IMPORTANCE_NONE;
    }
    return w->a->importance(w->m, out, n);
}

/* ---- What differs between the algorithms ------------------------------------------------ */

static const adapter adapters[CRM_CLF_N_ALGOS];

/* For the algorithm `api` (row `id`, model type T, params type P): the calls of its public API
 * whose form is the same for all, with the model as a void pointer (crm_<api>_new,
 * _predict_proba, _save, _load, _free, _n_classes, _n_features), and the vtable's fit and
 * load, which know their row (the other callbacks find it in the model). */
#define TYPED_CALLS(api, id, T, P)                                                                 \
    static crm_status api##_create(const void *params, void **out, crm_error *err)                 \
    {                                                                                              \
        T *m = NULL;                                                                               \
        crm_status rc = crm_##api##_new((const P *)params, &m, err);                               \
        *out = m;                                                                                  \
        return rc;                                                                                 \
    }                                                                                              \
    static crm_status api##_predict(const void *m, const crm_matrix *x, double *proba,             \
                                    crm_error *err)                                                \
    {                                                                                              \
        return crm_##api##_predict_proba(m, x, proba, err);                                        \
    }                                                                                              \
    static crm_status api##_save(const void *m, crm_model_writer *w, const char *tag,              \
                                 crm_error *err)                                                   \
    {                                                                                              \
        return crm_##api##_save(m, w, tag, err);                                                   \
    }                                                                                              \
    static crm_status api##_load(const crm_model_reader *r, const char *tag, void **out,           \
                                 crm_error *err)                                                   \
    {                                                                                              \
        T *m = NULL;                                                                               \
        crm_status rc = crm_##api##_load(r, tag, &m, err);                                         \
        *out = m;                                                                                  \
        return rc;                                                                                 \
    }                                                                                              \
    static void api##_free(void *m)                                                                \
    {                                                                                              \
        crm_##api##_free(m);                                                                       \
    }                                                                                              \
    static int32_t api##_n_classes(const void *m)                                                  \
    {                                                                                              \
        return crm_##api##_n_classes(m);                                                           \
    }                                                                                              \
    static int64_t api##_n_inputs(const void *m)                                                   \
    {                                                                                              \
        return crm_##api##_n_features(m);                                                          \
    }                                                                                              \
    static crm_status api##_vt_fit(const crm__clf_data *train, const crm_classifier_params *p,     \
                                   crm_rng *rng, const crm_progress *progress, void **model,       \
                                   crm_error *err)                                                 \
    {                                                                                              \
        return adapter_fit(&adapters[id], train, p, rng, progress, model, err);                    \
    }                                                                                              \
    static crm_status api##_vt_load(const crm_model_reader *r, const char *tag,                    \
                                    const crm__clf_schema *schema, void **model, crm_error *err)   \
    {                                                                                              \
        return adapter_load(&adapters[id], r, tag, schema, model, err);                            \
    }

/* The row's vtable: its name, needs, rowwise, fit and load, and the generic callbacks;
 * describe and importance are the generic ones (adapter_describe, adapter_importance) where
 * the row has its own, NULL where it has none (a vote then lists no text for that member). */
#define VT(algo_name, NEEDS, ROWWISE, api, DESCRIBE, IMPORTANCE)                                   \
    .vt = { .name = algo_name,                                                                     \
            .needs = NEEDS,                                                                        \
            .rowwise = ROWWISE,                                                                    \
            .predict_needs = adapter_predict_needs,                                                \
            .fit = api##_vt_fit,                                                                   \
            .predict_proba = adapter_predict,                                                      \
            .save = adapter_save,                                                                  \
            .load = api##_vt_load,                                                                 \
            .free = adapter_free,                                                                  \
            .describe = DESCRIBE,                                                                  \
            .importance = IMPORTANCE }

/* The row's columns that TYPED_CALLS(api, ...) defines. */
#define CALLS(api)                                                                                 \
    .create = api##_create, .predict = api##_predict, .save = api##_save, .load = api##_load,      \
    .free = api##_free, .n_classes = api##_n_classes, .n_inputs = api##_n_inputs

/* The row's parameters: the struct `field` of crm_classifier_params, of type P. */
#define PARAMS(field, P)                                                                           \
    .params_at = offsetof(crm_classifier_params, field), .params_size = sizeof(P)

TYPED_CALLS(gbt, CRM_CLF_GBT, crm_gbt, crm_gbt_params)
TYPED_CALLS(logreg, CRM_CLF_LOGREG, crm_logreg, crm_logreg_params)
TYPED_CALLS(mlp, CRM_CLF_MLP, crm_mlp, crm_mlp_params)
TYPED_CALLS(svm, CRM_CLF_SVM, crm_svm, crm_svm_params)
TYPED_CALLS(knn, CRM_CLF_KNN, crm_knn, crm_knn_params)
TYPED_CALLS(nbayes, CRM_CLF_NB, crm_nbayes, crm_nbayes_params)

/* The fits: the same data, each with the arguments its API takes. */
static crm_status gbt_fit(void *m,
                          const crm_matrix *x,
                          const crm__clf_data *d,
                          const crm_progress *progress,
                          crm_error *err)
{
    return crm_gbt_fit(m, x, d->y, d->schema->n_classes, d->w, progress, err);
}

static crm_status logreg_fit(void *m,
                             const crm_matrix *x,
                             const crm__clf_data *d,
                             const crm_progress *progress,
                             crm_error *err)
{
    return crm_logreg_fit(m, x, d->y, d->schema->n_classes, d->w, progress, err);
}

/* The MLP and the SVM use no sample weights (class weights are an SVM parameter). */
static crm_status mlp_fit(void *m,
                          const crm_matrix *x,
                          const crm__clf_data *d,
                          const crm_progress *progress,
                          crm_error *err)
{
    return crm_mlp_fit(m, x, d->y, d->schema->n_classes, progress, err);
}

static crm_status svm_fit(void *m,
                          const crm_matrix *x,
                          const crm__clf_data *d,
                          const crm_progress *progress,
                          crm_error *err)
{
    return crm_svm_fit(m, x, d->y, d->schema->n_classes, progress, err);
}

/* KNN and naive Bayes use no sample weights and report no progress of their own. */
static crm_status knn_fit(void *m,
                          const crm_matrix *x,
                          const crm__clf_data *d,
                          const crm_progress *progress,
                          crm_error *err)
{
    (void)progress;
    return crm_knn_fit(m, x, d->y, d->schema->n_classes, err);
}

/* Level counts go with the raw matrix (categorical columns); the design matrix is all
 * Gaussian. */
static crm_status nbayes_fit(void *m,
                             const crm_matrix *x,
                             const crm__clf_data *d,
                             const crm_progress *progress,
                             crm_error *err)
{
    (void)progress;
    return crm_nbayes_fit(m, x, d->y, d->schema->n_classes,
                          x == d->raw ? d->schema->raw_n_levels : NULL, err);
}

/* Naive Bayes: params.design chooses the matrix. */
static int nbayes_fit_input(const crm_classifier_params *p)
{
    return p->nb.design ? CRM__CLF_NEEDS_DESIGN : CRM__CLF_NEEDS_RAW;
}

static int nbayes_model_input(const void *m)
{
    return crm_nbayes_uses_design(m) ? CRM__CLF_NEEDS_DESIGN : CRM__CLF_NEEDS_RAW;
}

static int nbayes_levels_match(const void *m, const crm__clf_schema *schema)
{
    if (crm_nbayes_uses_design(m)) {
        return 1;
    }
    for (int32_t j = 0; j < schema->n_raw; j++) {
        if (crm_nbayes_n_levels(m, j) != schema->raw_n_levels[j]) {
            return 0;
        }
    }
    return 1;
}

/* Trees, the loss curve and the features by gain (by the number of splits on them for a
 * file without gains). */
static crm_status gbt_describe(const void *model,
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

static crm_clf_importance gbt_importance(const void *model, double *out, int32_t n)
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

/* Coefficients per class row (scaled design columns), largest magnitude first. */
static crm_status logreg_describe(const void *model,
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

static crm_clf_importance logreg_importance(const void *model, double *out, int32_t n)
{
    if (crm_logreg_n_coef_rows(model) != 1) {
        return CRM_CLF_IMPORTANCE_NONE;
    }
    if (out != NULL && n == crm_logreg_n_features(model)) {
        memcpy(out, crm_logreg_coef(model), (size_t)n * sizeof *out);
    }
    return CRM_CLF_IMPORTANCE_COEF;
}

/* Layer sizes, epochs, loss. */
static crm_status mlp_describe(const void *model,
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

/* Class priors, then per-class means of the Gaussian columns. */
static crm_status nbayes_describe(const void *model,
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

/* ---- The table -------------------------------------------------------------------------- */

static const adapter adapters[CRM_CLF_N_ALGOS] = {
    /* Trees on the raw matrix: NaN for missing, categorical features as level codes (each
     * level its own bin up to 255 levels), so missing values take each split's learned
     * direction. */
    [CRM_CLF_GBT] = { VT("gbt", CRM__CLF_NEEDS_RAW, 1, gbt, adapter_describe, adapter_importance),
                      CALLS(gbt), .fit = gbt_fit, PARAMS(gbt, crm_gbt_params),
                      .threads_at = offsetof(crm_gbt_params, n_threads),
                      .seed_at = offsetof(crm_gbt_params, seed), .seed = SEED_DRAW,
                      .describe = gbt_describe, .importance = gbt_importance },
    /* The design matrix (imputed, scaled, one-hot) is what scikit-learn's estimators are
     * given in the comparisons, for these four. */
    [CRM_CLF_LOGREG] = { VT("logreg",
                            CRM__CLF_NEEDS_DESIGN,
                            1,
                            logreg,
                            adapter_describe,
                            adapter_importance),
                         CALLS(logreg), .fit = logreg_fit, PARAMS(logreg, crm_logreg_params),
                         .threads_at = offsetof(crm_logreg_params, n_threads), .seed_at = NO_FIELD,
                         .seed = SEED_NONE, .describe = logreg_describe,
                         .importance = logreg_importance },
    [CRM_CLF_MLP] = { VT("mlp", CRM__CLF_NEEDS_DESIGN, 1, mlp, adapter_describe, NULL), CALLS(mlp),
                      .fit = mlp_fit, PARAMS(mlp, crm_mlp_params),
                      .threads_at = offsetof(crm_mlp_params, n_threads),
                      .seed_at = offsetof(crm_mlp_params, seed), .seed = SEED_CLASSIFIER,
                      .describe = mlp_describe },
    [CRM_CLF_SVM] = { VT("svm", CRM__CLF_NEEDS_DESIGN, 0, svm, NULL, NULL), CALLS(svm),
                      .fit = svm_fit, PARAMS(svm, crm_svm_params),
                      .threads_at = offsetof(crm_svm_params, n_threads),
                      .seed_at = offsetof(crm_svm_params, seed), .seed = SEED_CLASSIFIER },
    [CRM_CLF_KNN] = { VT("knn", CRM__CLF_NEEDS_DESIGN, 0, knn, NULL, NULL), CALLS(knn),
                      .fit = knn_fit, PARAMS(knn, crm_knn_params), .threads_at = NO_FIELD,
                      .seed_at = NO_FIELD, .seed = SEED_NONE, .cancelled = "KNN" },
    /* Raw matrix by default: numeric features as Gaussian columns (NaN = missing, left out
     * of the product), categorical ones as level codes with Laplace-smoothed counts (unseen
     * = NaN, left out). params.design = 1: Gaussians on the design matrix (scikit-learn's
     * GaussianNB behind a one-hot pipeline). Both matrices are built to fit, one to
     * predict. */
    [CRM_CLF_NB] = { VT("nb",
                        CRM__CLF_NEEDS_RAW | CRM__CLF_NEEDS_DESIGN,
                        1,
                        nbayes,
                        adapter_describe,
                        NULL),
                     CALLS(nbayes), .fit = nbayes_fit, .fit_input = nbayes_fit_input,
                     .model_input = nbayes_model_input, .levels_match = nbayes_levels_match,
                     PARAMS(nb, crm_nbayes_params), .threads_at = NO_FIELD, .seed_at = NO_FIELD,
                     .seed = SEED_NONE, .cancelled = "naive Bayes", .describe = nbayes_describe },
};

/* classify_internal.h: the vtable of a table-driven algorithm, NULL for the others. */
const crm__clf_algo *crm__clf_adapter(crm_clf_algo a)
{
    if ((int)a < 0 || a >= CRM_CLF_N_ALGOS || adapters[a].create == NULL) {
        return NULL;
    }
    return &adapters[a].vt;
}
