/* classify_eval.c: held-out and cross-validated evaluation of classifiers.
 *
 * Both split by the target's classes over the whole table (stratified, seeded), fit on the
 * training part only (preprocessing included) and score the rest. Cross-validation pools the
 * out-of-fold probabilities and computes the metrics once over all rows. */
#include <math.h>
#include <string.h>

#include "classify_priv.h"
#include "core/core_internal.h"

void crm_clf_eval_fini(crm_clf_eval *e)
{
    if (e == NULL) {
        return;
    }
    crm_clf_metrics_fini(&e->metrics);
    memset(e, 0, sizeof *e);
    e->metrics.auc = NAN;
}

static crm_status finish_metrics(const int32_t *y,
                                 const double *proba,
                                 int64_t n,
                                 int32_t k,
                                 crm_clf_eval *e,
                                 crm_error *err)
{
    int32_t *pred = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *pred);
    crm_status rc;
    if (pred == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        pred[i] = crm__clf_argmax(proba + i * k, k);
    }
    rc = crm_clf_metrics_compute(y, pred, proba, n, k, &e->metrics, err);
    crm_free(pred);
    return rc;
}

crm_status crm_classifier_evaluate(const crm_classifier *c,
                                   const crm_table *t,
                                   const char *target,
                                   crm_clf_eval *e,
                                   crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t k = c->n_classes;
    int32_t *y = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *y);
    double *proba = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)k, sizeof *proba);
    int64_t unknown = 0;
    double t0;
    crm_status rc;
    memset(e, 0, sizeof *e);
    e->metrics.auc = NAN;
    if (y == NULL || proba == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    if (target == NULL) {
        target = c->target;
    }
    rc = crm__clf_map_target(t, target, c->class_names, c->n_classes, NULL, n, y, &unknown, err);
    if (rc != CRM_OK) {
        goto done;
    }
    if (unknown > 0) {
        rc = crm__error_set(err, CRM_EDATA,
                            "%lld rows of %s have a target value that is not "
                            "one of the model's classes",
                            (long long)unknown, crm_table_source(t));
        crm__error_field(err, target);
        goto done;
    }
    t0 = crm__now_seconds();
    rc = crm_classifier_predict_proba(c, t, proba, &e->info, err);
    e->predict_seconds = crm__now_seconds() - t0;
    if (rc != CRM_OK) {
        goto done;
    }
    e->fit_seconds = c->fit_seconds;
    e->n_train = c->n_train;
    e->n_test = n;
    rc = finish_metrics(y, proba, n, k, e, err);
done:
    crm_free(y);
    crm_free(proba);
    return rc;
}

/* The start of an evaluation: e cleared, p checked, and the labels of every row over the
 * classes of the whole table (for eval_end). */
static crm_status eval_start(const crm_table *t,
                             const crm_classifier_params *p,
                             crm_clf_eval *e,
                             int32_t **y,
                             char ***names,
                             int32_t *k,
                             crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    crm_status rc;
    memset(e, 0, sizeof *e);
    e->metrics.auc = NAN;
    rc = crm_classifier_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    *y = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof **y);

    if (*y == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm__clf_target_classes(t, p->target, NULL, n, names, k, *y, err);
    if (rc == CRM_OK && *k < 2) {
        rc = crm__error_set(err, CRM_EDATA,
                            "target column \"%s\" of %s has only one class "
                            "(\"%s\"): a classifier needs at least two",
                            p->target, crm_table_source(t), *k > 0 ? (*names)[0] : "");
        crm__error_field(err, p->target);
    }
    return rc;
}

/* The end of an evaluation: what eval_start made freed, and e too on an error. */
static crm_status eval_end(char **names, int32_t k, int32_t *y, crm_clf_eval *e, crm_status rc)
{
    crm__clf_free_strings(names, k);
    crm_free(y);
    if (rc != CRM_OK) {
        crm_clf_eval_fini(e);
    }
    return rc;
}

/* Copy a model's probabilities
 (its own classes) into columns of the table's classes. */
static void scatter_proba(const crm_classifier *c,
                          char *const *names,
                          int32_t k,
                          const double *src,
                          int64_t n,
                          const int64_t *rows,
                          double *dst)
{
    for (int32_t mc = 0; mc < c->n_classes; mc++) {
        int32_t col = -1;
        for (int32_t g = 0; g < k; g++) {
            if (strcmp(names[g], c->class_names[mc]) == 0) {
                col = g;
                break;
            }
        }
        if (col < 0) {
            continue;
        }
        for (int64_t i = 0; i < n; i++) {
            dst[rows[i] * k + col] = src[i * c->n_classes + mc];
        }
    }
}

crm_status crm_classifier_holdout(const crm_table *t,
                                  const crm_classifier_params *p,
                                  double test_size,
                                  const crm_progress *progress,
                                  crm_classifier **model_out,
                                  crm_clf_eval *e,
                                  crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t *y = NULL;
    char **names = NULL;
    int32_t k = 0;
    int64_t *train = NULL;
    int64_t *test = NULL;
    int64_t n_train = 0;
    int64_t n_test = 0;
    int32_t *yt = NULL;
    double *proba = NULL;
    double *full = NULL;
    crm_classifier *c = NULL;
    double t0;
    crm_status rc;
    if (model_out != NULL) {
        *model_out = NULL;
    }
    rc = eval_start(t, p, e, &y, &names, &k, err);
    if (rc != CRM_OK) {
        goto done;
    }
    train = crm_mallocarray((size_t)n, sizeof *train);
    test = crm_mallocarray((size_t)n, sizeof *test);
    if (train == NULL || test == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    rc = crm_split_stratified(y, n, k, test_size, p->seed, train, &n_train, test, &n_test, err);
    if (rc == CRM_OK) {
        rc = crm_classifier_fit_rows(t, train, n_train, p, progress, &c, err);
    }
    if (rc != CRM_OK) {
        goto done;
    }
    proba = crm_mallocarray((size_t)n_test * (size_t)c->n_classes, sizeof *proba);
    full = crm_calloc((size_t)n * (size_t)k, sizeof *full);
    yt = crm_mallocarray((size_t)n_test, sizeof *yt);
    if (proba == NULL || full == NULL || yt == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    t0 = crm__now_seconds();
    rc = crm_classifier_predict_proba_rows(c, t, test, n_test, proba, &e->info, err);
    e->predict_seconds = crm__now_seconds() - t0;
    if (rc != CRM_OK) {
        goto done;
    }
    scatter_proba(c, names, k, proba, n_test, test, full);
    for (int64_t i = 0; i < n_test; i++) {
        yt[i] = y[test[i]];
        memmove(full + i * k, full + test[i] * k, sizeof(double) * (size_t)k);
    }
    e->fit_seconds = c->fit_seconds;
    e->n_train = n_train;
    e->n_test = n_test;
    rc = finish_metrics(yt, full, n_test, k, e, err);
    if (rc == CRM_OK && model_out != NULL) {
        *model_out = c;
        c = NULL;
    }
done:
    crm_classifier_free(c);
    crm_free(train);
    crm_free(test);
    crm_free(yt);
    crm_free(proba);
    crm_free(full);
    return eval_end(names, k, y, e, rc);
}

/* Fit on every fold but f, score fold f into the pooled probabilities. */
static crm_status run_fold(const crm_table *t,
                           const crm_classifier_params *p,
                           const int32_t *fold,
                           int32_t f,
                           char *const *names,
                           int32_t k,
                           const crm_progress *progress,
                           double *pooled,
                           crm_clf_eval *e,
                           crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int64_t *tr = crm_mallocarray((size_t)n, sizeof *tr);
    int64_t *te = crm_mallocarray((size_t)n, sizeof *te);
    double *proba = NULL;
    int64_t ntr = 0;
    int64_t nte = 0;
    crm_classifier *c = NULL;
    crm_clf_predict_info info;
    double t0;
    crm_status rc;
    if (tr == NULL || te == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        if (fold[i] == f) {
            te[nte++] = i;
        } else {
            tr[ntr++] = i;
        }
    }
    rc = crm_classifier_fit_rows(t, tr, ntr, p, progress, &c, err);
    if (rc != CRM_OK) {
        crm__error_prefix(err, "fold %d: ", f + 1);
        goto done;
    }
    proba = crm_mallocarray((size_t)(nte > 0 ? nte : 1) * (size_t)c->n_classes, sizeof *proba);
    if (proba == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    t0 = crm__now_seconds();
    rc = crm_classifier_predict_proba_rows(c, t, te, nte, proba, &info, err);
    e->predict_seconds += crm__now_seconds() - t0;
    if (rc != CRM_OK) {
        goto done;
    }
    scatter_proba(c, names, k, proba, nte, te, pooled);
    e->fit_seconds += c->fit_seconds;
    e->n_train = ntr;
    e->info.n_unseen += info.n_unseen;
    e->info.n_missing += info.n_missing;
done:
    crm_classifier_free(c);
    crm_free(tr);
    crm_free(te);
    crm_free(proba);
    return rc;
}

crm_status crm_classifier_cross_validate(const crm_table *t,
                                         const crm_classifier_params *p,
                                         int32_t k_folds,
                                         const crm_progress *progress,
                                         crm_clf_eval *e,
                                         crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t *y = NULL;
    char **names = NULL;
    int32_t k = 0;
    int32_t *fold = NULL;
    double *pooled = NULL;
    crm_status rc = eval_start(t, p, e, &y, &names, &k, err);
    if (rc != CRM_OK) {
        goto done;
    }
    fold = crm_mallocarray((size_t)n, sizeof *fold);
    pooled = crm_calloc((size_t)n * (size_t)k, sizeof *pooled);
    if (fold == NULL || pooled == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    rc = crm_kfold_stratified(y, n, k, k_folds, p->seed, fold, err);
    for (int32_t f = 0; f < k_folds && rc == CRM_OK; f++) {
        rc = run_fold(t, p, fold, f, names, k, progress, pooled, e, err);
    }
    if (rc == CRM_OK) {
        e->n_folds = k_folds;
        e->n_test = n;
        rc = finish_metrics(y, pooled, n, k, e, err);
    }
done:
    crm_free(fold);
    crm_free(pooled);
    return eval_end(names, k, y, e, rc);
}
