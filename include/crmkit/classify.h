/* crmkit/classify.h: classifiers over customer tables (churn prediction, segment assignment).
 *
 * A crm_classifier is a composite model, shaped like the segmentation models: the fitted
 * preprocessing (crmkit/prep.h), the target's class names, the feature list and one fitted
 * algorithm (C4.5, SVM, MLP, KNN, naive Bayes, logistic regression, gradient-boosted trees,
 * or a vote over several of them). Scoring takes a table, finds the features by name (any
 * column order, extra columns ignored), applies exactly the transform training used and
 * returns class probabilities. Saved model files have kind "classifier".
 *
 * Classes: the distinct values of the target column in the training rows, sorted (numbers
 * numerically, text by byte order), so for a 0/1 or No/Yes churn flag class 1 is the
 * positive class, as in scikit-learn.
 *
 * Data each algorithm sees: algorithms that need numbers only (SVM, MLP, KNN, logistic
 * regression) get the design matrix: imputed, scaled, one-hot (params.prep). Tree and
 * counting algorithms (C4.5, naive Bayes, gradient-boosted trees) get the raw matrix instead:
 * numeric values with NaN for missing, categorical features as level codes (NaN for missing
 * or unseen), so they can treat missing values and categories natively.
 *
 * Thread safety: a fitted crm_classifier is read-only; predict, accessors and save may run on
 * any number of threads at once. fit/load/free need exclusive access to their object. */
#ifndef CRMKIT_CLASSIFY_H
#define CRMKIT_CLASSIFY_H
#include <stdint.h>

#include <crmkit/c45.h>
#include <crmkit/common.h>
#include <crmkit/gbt.h>
#include <crmkit/io.h>
#include <crmkit/knn.h>
#include <crmkit/logreg.h>
#include <crmkit/metrics.h>
#include <crmkit/mlp.h>
#include <crmkit/model.h>
#include <crmkit/nbayes.h>
#include <crmkit/prep.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>
#include <crmkit/svm.h>
#include <crmkit/vote.h>

typedef enum crm_clf_algo {
    CRM_CLF_C45 = 0,
    CRM_CLF_SVM = 1,
    CRM_CLF_MLP = 2,
    CRM_CLF_KNN = 3,
    CRM_CLF_NB = 4,
    CRM_CLF_LOGREG = 5,
    CRM_CLF_GBT = 6,
    CRM_CLF_VOTE = 7,
    CRM_CLF_N_ALGOS = 8
} crm_clf_algo;

/** Short name as on the command line ("c45", "svm", "mlp", "knn", "nb", "logreg", "gbt",
 *  "vote"); "?" for an unknown value. Static text. */
CRM_API const char *crm_clf_algo_name(crm_clf_algo a);
/** Parse a short name. Errors: CRM_EINVAL naming the unknown algorithm. */
CRM_API crm_status crm_clf_algo_parse(const char *name, crm_clf_algo *out, crm_error *err);

#define CRM_CLF_MAX_MEMBERS 8

typedef struct crm_classifier_params {
    crm_clf_algo algo;
    /* Target column (borrowed for the call). Numeric (e.g. 0/1) or categorical. */
    const char *target;
    /* Feature columns (borrowed). NULL = every column except the target, identifier columns
     * and the drop list. */
    const char *const *features;
    int32_t n_features;
    /* Columns never used as features (borrowed; may be NULL). Unknown names are ignored. */
    const char *const *drop;
    int32_t n_drop;
    uint64_t seed;     /* every random choice (splits, initial weights, shuffles) */
    int32_t n_threads; /* 0 = OpenMP default; never changes results */
    /* Members of a vote (algo == CRM_CLF_VOTE): each uses its own params struct below. */
    crm_clf_algo members[CRM_CLF_MAX_MEMBERS];
    int32_t n_members;
    crm_prep_params prep; /* the design-matrix transform (default: mean, z-score, one-hot) */
    crm_c45_params c45;
    crm_svm_params svm;
    crm_mlp_params mlp;
    crm_knn_params knn;
    crm_nbayes_params nb;
    crm_logreg_params logreg;
    crm_gbt_params gbt;
    crm_vote_params vote;
} crm_classifier_params;

CRM_API crm_classifier_params crm_classifier_params_default(void);
/** Checks the framework fields and the params struct of the chosen algorithm (and of every
 *  vote member). Errors: CRM_EINVAL naming the field. */
CRM_API crm_status crm_classifier_params_check(const crm_classifier_params *p, crm_error *err);

typedef struct crm_classifier crm_classifier; /* opaque */

/** Fit a classifier on every row of t. On success *out owns a new model (crm_classifier_free).
 *  Errors: CRM_EINVAL (bad params), CRM_ENOTFOUND (target or a named feature absent: the
 *  message names it), CRM_EDATA (target with fewer than two classes, a missing target value
 *  (file line named), no usable feature), CRM_EUNSUPPORTED (algorithm not in this build),
 *  CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_classifier_fit(const crm_table *t,
                                      const crm_classifier_params *p,
                                      const crm_progress *progress,
                                      crm_classifier **out,
                                      crm_error *err);
/** Fit on the rows rows[n_sel] of t only (for held-out evaluation); rows are 0-based. */
CRM_API crm_status crm_classifier_fit_rows(const crm_table *t,
                                           const int64_t *rows,
                                           int64_t n_sel,
                                           const crm_classifier_params *p,
                                           const crm_progress *progress,
                                           crm_classifier **out,
                                           crm_error *err);
CRM_API void crm_classifier_free(crm_classifier *c); /* NULL is a no-op */

/* What scoring met in the new data, reported back to the caller. */
typedef struct crm_clf_predict_info {
    int64_t n_unseen;  /* categorical cells whose level was not seen in training */
    int64_t n_missing; /* feature cells that were missing */
} crm_clf_predict_info;

/** Class probabilities of every row of t into proba[n_rows * n_classes] (caller-owned, row
 *  major). info may be NULL. Features are found by name. Errors: CRM_ENOTFOUND (a feature
 *  column is absent: the message names it), CRM_EDATA (a feature has another type),
 *  CRM_ENOMEM. Unseen categories are not an error: they are treated as missing and counted. */
CRM_API crm_status crm_classifier_predict_proba(const crm_classifier *c,
                                                const crm_table *t,
                                                double *proba,
                                                crm_clf_predict_info *info,
                                                crm_error *err);
/** The same for rows[n_sel] of t; proba[n_sel * n_classes]. */
CRM_API crm_status crm_classifier_predict_proba_rows(const crm_classifier *c,
                                                     const crm_table *t,
                                                     const int64_t *rows,
                                                     int64_t n_sel,
                                                     double *proba,
                                                     crm_clf_predict_info *info,
                                                     crm_error *err);
/** Most probable class of every row (labels[n_rows], class indices; ties go to the lowest
 *  index). */
CRM_API crm_status crm_classifier_predict(const crm_classifier *c,
                                          const crm_table *t,
                                          int32_t *labels,
                                          crm_clf_predict_info *info,
                                          crm_error *err);

CRM_API crm_clf_algo crm_classifier_algo(const crm_classifier *c);
CRM_API int32_t crm_classifier_n_classes(const crm_classifier *c);
/** Borrowed name of class i (the target value as text). */
CRM_API const char *crm_classifier_class_name(const crm_classifier *c, int32_t i);
/** Class index of a target value given as text, or -1 if it is not a class. */
CRM_API int32_t crm_classifier_class_index(const crm_classifier *c, const char *name);
/** Borrowed name of the target column. */
CRM_API const char *crm_classifier_target(const crm_classifier *c);
CRM_API int32_t crm_classifier_n_features(const crm_classifier *c);
CRM_API const char *crm_classifier_feature_name(const crm_classifier *c, int32_t f);
/** Type feature f had in training: CRM_COL_NUMERIC or CRM_COL_CATEGORICAL. */
CRM_API crm_col_type crm_classifier_feature_type(const crm_classifier *c, int32_t f);
/** Rows the model was trained on and seconds the fit took. */
CRM_API int64_t crm_classifier_n_train(const crm_classifier *c);
CRM_API double crm_classifier_fit_seconds(const crm_classifier *c);

/* What crm_classifier_importance measures. */
typedef enum crm_clf_importance {
    CRM_CLF_IMPORTANCE_NONE = 0,   /* the algorithm has none (SVM, MLP, KNN, naive Bayes, vote,
                                      logistic regression with more than two classes) */
    CRM_CLF_IMPORTANCE_ERRORS = 1, /* C4.5: training weight of the errors removed by the
                                      splits on the feature (node errors minus its children's) */
    CRM_CLF_IMPORTANCE_SPLITS = 2, /* boosted trees: number of splits on the feature */
    CRM_CLF_IMPORTANCE_COEF = 3,   /* logistic regression (two classes): coefficient of the
                                      class-1 log-odds on each scaled design column */
    CRM_CLF_IMPORTANCE_GAIN = 4    /* boosted trees: total training-loss reduction of the
                                      splits on the feature (crm_gbt_feature_gain); SPLITS
                                      only for a file written before gains were kept */
} crm_clf_importance;

/** Importance of each input of the fitted model. Tree kinds are over the raw features,
 *  coefficients over the design columns; *n (may be NULL) receives the number of inputs and
 *  out[*n] (caller-owned; NULL = only ask the kind and count) their values. Returns the kind;
 *  with CRM_CLF_IMPORTANCE_NONE *n is 0. */
CRM_API crm_clf_importance crm_classifier_importance(const crm_classifier *c,
                                                     double *out,
                                                     int32_t *n);
/** Borrowed name of input j of crm_classifier_importance (a feature or a design column such
 *  as "plan_type=prepaid"); NULL out of range. */
CRM_API const char *crm_classifier_importance_name(const crm_classifier *c, int32_t j);

/** True class index of every row of t from the target column (labels[n_rows]); a value that
 *  is not a class gives -1 and is counted in *n_unknown (may be NULL). Errors: CRM_ENOTFOUND
 *  (no target column), CRM_EDATA (a missing target value, line named). */
CRM_API crm_status crm_classifier_true_labels(const crm_classifier *c,
                                              const crm_table *t,
                                              int32_t *labels,
                                              int64_t *n_unknown,
                                              crm_error *err);

/** Readable description, line by line, through line_fn (for C4.5: the tree as rules).
 *  Errors: what line_fn cannot cause; CRM_ENOMEM. */
CRM_API crm_status crm_classifier_describe(const crm_classifier *c,
                                           void (*line_fn)(void *ud, const char *line),
                                           void *ud,
                                           crm_error *err);

/** Save atomically to path (kind "classifier"). Errors: CRM_EIO, CRM_ENOMEM. */
CRM_API crm_status crm_classifier_save(const crm_classifier *c, const char *path, crm_error *err);
/** Write the model's sections into w (for embedding in the server or another file). */
CRM_API crm_status crm_classifier_save_writer(const crm_classifier *c,
                                              crm_model_writer *w,
                                              crm_error *err);
/** Load a model file. Errors: CRM_ENOTFOUND, CRM_EIO, CRM_EFORMAT (damaged file, or a model
 *  of another kind: the message names the kind found), CRM_EUNSUPPORTED (algorithm not in
 *  this build), CRM_ENOMEM. */
CRM_API crm_status crm_classifier_load(const char *path, crm_classifier **out, crm_error *err);
CRM_API crm_status crm_classifier_load_reader(const crm_model_reader *r,
                                              crm_classifier **out,
                                              crm_error *err);

/* ---- evaluation ---- */

/* Result of a held-out or cross-validated evaluation. Owns its arrays: crm_clf_eval_fini. */
typedef struct crm_clf_eval {
    crm_clf_metrics metrics; /* on the held-out rows (or all folds pooled) */
    double fit_seconds;      /* sum over folds for cross-validation */
    double predict_seconds;
    int64_t n_train; /* rows fitted on (per fold: the last fold's) */
    int64_t n_test;  /* rows scored */
    int32_t n_folds; /* 0 for a held-out split */
    crm_clf_predict_info info;
} crm_clf_eval;

CRM_API void crm_clf_eval_fini(crm_clf_eval *e); /* NULL is a no-op */

/** Stratified held-out evaluation: split t by target (test_size in (0, 1), params.seed),
 *  fit on the training part, score the test part. *model_out (may be NULL) receives the
 *  model fitted on the training part. e is initialised here. */
CRM_API crm_status crm_classifier_holdout(const crm_table *t,
                                          const crm_classifier_params *p,
                                          double test_size,
                                          const crm_progress *progress,
                                          crm_classifier **model_out,
                                          crm_clf_eval *e,
                                          crm_error *err);
/** Stratified k-fold cross-validation (k >= 2, params.seed): metrics over the pooled
 *  out-of-fold predictions. e is initialised here. */
CRM_API crm_status crm_classifier_cross_validate(const crm_table *t,
                                                 const crm_classifier_params *p,
                                                 int32_t k,
                                                 const crm_progress *progress,
                                                 crm_clf_eval *e,
                                                 crm_error *err);
/** Score a fitted model on labelled rows of t (all rows), the true classes read from column
 *  `target` (NULL = the column the model was trained on). e is initialised here. Errors:
 *  CRM_ENOTFOUND (no such column, or a feature absent), CRM_EDATA (a missing true class, or a
 *  class the model does not know: the message counts them). */
CRM_API crm_status crm_classifier_evaluate(const crm_classifier *c,
                                           const crm_table *t,
                                           const char *target,
                                           crm_clf_eval *e,
                                           crm_error *err);

#endif
