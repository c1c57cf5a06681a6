/* crmkit/gbt.h: histogram-based gradient-boosted trees for classification, as LightGBM and
 * scikit-learn's HistGradientBoostingClassifier build them.
 *
 * Features are binned into at most max_bins quantile bins (missing values, NaN, get a bin of
 * their own and each split learns which side they go to). Trees grow leaf-wise (best gain
 * first) up to max_leaf_nodes leaves, with max_depth and min_samples_leaf limits and L2
 * regularisation of the leaf values. Two classes: binary log-loss, one tree per iteration.
 * More: softmax (multinomial log-loss), one tree per class per iteration. Early stopping
 * holds out a stratified validation fraction and stops when the validation loss has not
 * improved by tol for n_iter_no_change iterations ("auto": on when there are more than
 * 10,000 rows, scikit-learn's rule). Sample and class weights scale gradients and Hessians.
 *
 * Thread safety: a fitted crm_gbt may be read (predict, accessors, save) from any number of
 * threads at once; new/fit/free need exclusive access. Results are bit-identical for any
 * number of threads: histograms are built per feature, one thread per feature, and every
 * other sum runs over fixed row blocks reduced in order. */
#ifndef CRMKIT_GBT_H
#define CRMKIT_GBT_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_gbt crm_gbt; /* opaque */

#define CRM_GBT_EARLY_AUTO (-1) /* early_stopping: on when n_rows > 10,000 */

typedef struct crm_gbt_params {    /* transparent; start from _params_default() */
    double learning_rate;          /* shrinkage of every leaf value, > 0 (default 0.1) */
    int32_t max_iter;              /* boosting iterations, >= 1 (default 100) */
    int32_t max_leaf_nodes;        /* leaves per tree, >= 2, or 0 = no limit (default 31) */
    int32_t max_depth;             /* edges root to leaf, 0 = no limit (default 0) */
    int32_t min_samples_leaf;      /* rows per leaf, >= 1 (default 20) */
    double l2_regularization;      /* lambda in -G / (H + lambda), >= 0 (default 0) */
    int32_t max_bins;              /* bins for non-missing values, 2..255 (default 255) */
    int32_t early_stopping;        /* CRM_GBT_EARLY_AUTO (default), 0 off, 1 on */
    double validation_fraction;    /* held out for early stopping, in (0, 1) (default 0.1) */
    int32_t n_iter_no_change;      /* patience, >= 1 (default 10) */
    double tol;                    /* minimum improvement of the validation loss (1e-7) */
    int32_t class_weight_balanced; /* 1: weight rows by n / (n_classes * n_class) */
    uint64_t seed;                 /* binning subsample and validation split */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_gbt_params;

CRM_API crm_gbt_params crm_gbt_params_default(void);
/** Errors: CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_gbt_params_check(const crm_gbt_params *p, crm_error *err);

/** Create an unfitted model. *out owns a new object (crm_gbt_free). Errors: CRM_EINVAL
 *  (bad params), CRM_ENOMEM. */
CRM_API crm_status crm_gbt_new(const crm_gbt_params *p, crm_gbt **out, crm_error *err);
CRM_API void crm_gbt_free(crm_gbt *g); /* NULL is a no-op */

/** Fit to x (n_rows x n_features, NaN = missing; borrowed for the call only) and labels
 *  y[n_rows] in [0, n_classes). sample_weight[n_rows] may be NULL (all 1). Refitting replaces
 *  the previous fit. Errors: CRM_EINVAL (n_classes < 2, label out of range, negative or
 *  non-finite weight), CRM_EDATA (no rows, fewer than two classes present, an infinite
 *  value), CRM_ENOMEM, CRM_ECANCELLED. Cost per iteration about
 *  O(n_rows * n_features * depth) per tree with the histogram subtraction trick. */
CRM_API crm_status crm_gbt_fit(crm_gbt *g,
                               const crm_matrix *x,
                               const int32_t *y,
                               int32_t n_classes,
                               const double *sample_weight,
                               const crm_progress *progress,
                               crm_error *err);

/** Class probabilities into proba[n_rows * n_classes] (caller-owned, row-major). NaN is a
 *  missing value. Errors: CRM_ESTATE (not fitted), CRM_EINVAL (column count). */
CRM_API crm_status crm_gbt_predict_proba(const crm_gbt *g,
                                         const crm_matrix *x,
                                         double *proba,
                                         crm_error *err);
/** Raw scores (log-odds for two classes: raw[n_rows]; otherwise raw[n_rows * n_classes]). */
CRM_API crm_status crm_gbt_predict_raw(const crm_gbt *g,
                                       const crm_matrix *x,
                                       double *raw,
                                       crm_error *err);
/** Most probable class per row into labels[n_rows] (lowest index on ties). */
CRM_API crm_status crm_gbt_predict(const crm_gbt *g,
                                   const crm_matrix *x,
                                   int32_t *labels,
                                   crm_error *err);

CRM_API int32_t crm_gbt_is_fitted(const crm_gbt *g);
CRM_API int32_t crm_gbt_n_classes(const crm_gbt *g);
CRM_API int32_t crm_gbt_n_features(const crm_gbt *g);
/** Iterations done (fewer than max_iter when early stopping stopped the fit). */
CRM_API int32_t crm_gbt_n_iter(const crm_gbt *g);
CRM_API int32_t crm_gbt_n_trees(const crm_gbt *g);
/** Leaves of tree t (0 <= t < n_trees). */
CRM_API int32_t crm_gbt_tree_n_leaves(const crm_gbt *g, int32_t t);
/** Number of splits on each feature over all trees (out[n_features], caller-owned): the
 *  "split count" importance of boosted trees. */
CRM_API void crm_gbt_feature_splits(const crm_gbt *g, double *out);
/** Importance by gain: for each feature, the total loss reduction of the splits on it over
 *  all trees, into out[n_features] (caller-owned; NULL = only ask). A split's loss reduction
 *  is the second-order estimate (G_L^2/(H_L+l2) + G_R^2/(H_R+l2) - G^2/(H+l2)) / 2 of the
 *  decrease of the summed (weighted) training loss, G and H the sums of the gradients and
 *  Hessians in the node (XGBoost's "total_gain"). Kept in the model file; returns 0 (out
 *  untouched) for a model read from a file written before the gains were kept. */
CRM_API int crm_gbt_feature_gain(const crm_gbt *g, double *out);
/** Mean (weighted) training loss before the first iteration and after each one:
 *  borrowed, n_iter + 1 values, over the rows boosted on (the validation part excluded). */
CRM_API const double *crm_gbt_train_loss(const crm_gbt *g);
/** The same on the validation part, or NULL when early stopping was off. */
CRM_API const double *crm_gbt_validation_loss(const crm_gbt *g);
/** Splits on each feature over all trees into counts[n_features] (caller-owned). */
CRM_API void crm_gbt_split_counts(const crm_gbt *g, int64_t *counts);

/** Save into sections whose tags start with tag (at most 8 characters; NULL = "gbt"): tag
 *  itself holds sizes and scores, tag + ".nodes" the trees. Errors: CRM_ESTATE, CRM_EINVAL,
 *  CRM_ENOMEM. */
CRM_API crm_status crm_gbt_save(const crm_gbt *g,
                                crm_model_writer *w,
                                const char *tag,
                                crm_error *err);
/** Load what crm_gbt_save wrote. Every count and child index is checked: a damaged section is
 *  CRM_EFORMAT, never a crash. *out owns a new object. */
CRM_API crm_status crm_gbt_load(const crm_model_reader *r,
                                const char *tag,
                                crm_gbt **out,
                                crm_error *err);

#endif
