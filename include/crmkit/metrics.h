/* crmkit/metrics.h: measuring classifiers: stratified splits and folds, accuracy, precision,
 * recall, F1, confusion matrix, ROC AUC and cumulative gains / lift for binary targets.
 *
 * Definitions follow scikit-learn 1.2 exactly (tests compare with its outputs): precision of
 * a class never predicted is 0, as is recall of a class absent from y_true (zero_division=0);
 * macro averages are plain means over all classes; ROC AUC is the trapezoidal area under
 * the ROC curve built from distinct score thresholds, so tied scores count one half, as
 * roc_auc_score does.
 *
 * Thread safety: every function is reentrant; nothing is shared. */
#ifndef CRMKIT_METRICS_H
#define CRMKIT_METRICS_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

/* ---- splits ---- */

/** Stratified train/test split of n rows with class labels y[n] in [0, n_classes): each
 *  class contributes round(test_size * its count) rows to the test part (at least 1 and at
 *  most count - 1 when the class has two or more rows), chosen by a seeded shuffle.
 *  train[n] and test[n] are caller-owned; indices come out sorted. Errors: CRM_EINVAL
 *  (test_size outside (0, 1), a label out of range), CRM_EDATA (a part would be empty),
 *  CRM_ENOMEM. */
CRM_API crm_status crm_split_stratified(const int32_t *y,
                                        int64_t n,
                                        int32_t n_classes,
                                        double test_size,
                                        uint64_t seed,
                                        int64_t *train,
                                        int64_t *n_train,
                                        int64_t *test,
                                        int64_t *n_test,
                                        crm_error *err);

/** Stratified k-fold assignment: fold[n] in [0, k); each class is shuffled (seed) and dealt
 *  round-robin over the folds, so fold sizes per class differ by at most one. Errors:
 *  CRM_EINVAL (k < 2, k > n, a label out of range), CRM_ENOMEM. */
CRM_API crm_status crm_kfold_stratified(const int32_t *y,
                                        int64_t n,
                                        int32_t n_classes,
                                        int32_t k,
                                        uint64_t seed,
                                        int32_t *fold,
                                        crm_error *err);

/* ---- metrics ---- */

/* One row of a cumulative gains table: the top `frac` of rows by score. */
typedef struct crm_gains_row {
    double frac;        /* fraction of rows targeted, e.g. 0.1 for the first decile */
    int64_t n_rows;     /* rows in the targeted part: ceil(frac * n) */
    int64_t n_positive; /* positives among them */
    double gain;        /* n_positive / all positives (cumulative capture rate) */
    double lift;        /* gain / frac */
    double precision;   /* n_positive / n_rows */
} crm_gains_row;

typedef struct crm_clf_metrics {
    int32_t n_classes;
    int64_t n; /* rows scored */
    double accuracy;
    double error;           /* 1 - accuracy */
    double *precision;      /* [n_classes] */
    double *recall;         /* [n_classes] */
    double *f1;             /* [n_classes] */
    int64_t *support;       /* [n_classes]: true rows per class */
    double macro_precision; /* unweighted means over classes */
    double macro_recall;
    double macro_f1;
    double weighted_f1;   /* mean weighted by support */
    int64_t *confusion;   /* [n_classes * n_classes], row = true class, column = predicted */
    double auc;           /* binary targets with both classes present: ROC AUC of the
                             class-1 probability; NaN otherwise */
    int32_t n_gains;      /* binary targets: 10 (deciles); 0 otherwise */
    crm_gains_row *gains; /* [n_gains] */
} crm_clf_metrics;

/** Compute every metric from true labels y[n], predicted labels pred[n] and (may be NULL)
 *  class probabilities proba[n * n_classes] (row major). With proba and n_classes == 2 the
 *  AUC and the gains table use proba[i * 2 + 1]. m is initialised here; release it with
 *  crm_clf_metrics_fini. Errors: CRM_EINVAL (n_classes < 1, a label out of range),
 *  CRM_ENOMEM. */
CRM_API crm_status crm_clf_metrics_compute(const int32_t *y,
                                           const int32_t *pred,
                                           const double *proba,
                                           int64_t n,
                                           int32_t n_classes,
                                           crm_clf_metrics *m,
                                           crm_error *err);
CRM_API void crm_clf_metrics_fini(crm_clf_metrics *m); /* NULL is a no-op */

/** ROC AUC of scores score[n] for binary labels y01[n] (1 = positive), ties as scikit-learn.
 *  Errors: CRM_EDATA (only one class present), CRM_ENOMEM. */
CRM_API crm_status
crm_roc_auc(const int32_t *y01, const double *score, int64_t n, double *auc, crm_error *err);

/** Cumulative gains table: rows sorted by score descending (ties by row index), top
 *  fractions frac[i] = (i + 1) / n_bins. rows[n_bins] is caller-owned. Errors: CRM_EINVAL
 *  (n_bins < 1), CRM_EDATA (no positive), CRM_ENOMEM. */
CRM_API crm_status crm_gains_table(const int32_t *y01,
                                   const double *score,
                                   int64_t n,
                                   int32_t n_bins,
                                   crm_gains_row *rows,
                                   crm_error *err);

#endif
