/* crmkit/nbayes.h: naive Bayes classification with Gaussian numeric features and categorical
 * (or 0/1 Bernoulli) features with Laplace smoothing.
 *
 * Numeric columns follow scikit-learn's GaussianNB: per-class mean and population variance,
 * plus var_smoothing times the largest column variance. A categorical column holds level
 * codes 0..n_levels-1 (a one-hot column is a categorical column with 2 levels, which is
 * Bernoulli naive Bayes); P(level | class) = (count + alpha) / (n_class + alpha * n_levels).
 * A missing cell (NaN) is left out of both fitting and scoring for that feature; at scoring,
 * a code outside the training levels is left out too (and counted by the caller).
 *
 * Thread safety: a fitted model may be read (predict, save, accessors) from any number of
 * threads at once; new/fit/free need exclusive access. */
#ifndef CRMKIT_NBAYES_H
#define CRMKIT_NBAYES_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

typedef struct crm_nbayes crm_nbayes; /* opaque */

typedef struct crm_nbayes_params {
    double var_smoothing; /* >= 0; 1e-9 as scikit-learn */
    double alpha;         /* Laplace smoothing of categorical counts, > 0; 1 */
    int32_t fit_prior;    /* 1: class frequencies as priors (default); 0: uniform priors */
    /* In crm_classifier only: 0 (default) fits the raw features (Gaussian numbers, categorical
     * counts); 1 fits Gaussians on the design matrix (imputed, scaled, one-hot), which is
     * what scikit-learn's GaussianNB does behind a one-hot pipeline. */
    int32_t design;
} crm_nbayes_params;

CRM_API crm_nbayes_params crm_nbayes_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_nbayes_params_check(const crm_nbayes_params *p, crm_error *err);

/** Create an unfitted model (p may be NULL for the defaults). *out owns it. */
CRM_API crm_status crm_nbayes_new(const crm_nbayes_params *p, crm_nbayes **out, crm_error *err);
CRM_API void crm_nbayes_free(crm_nbayes *nb); /* NULL is a no-op */

/** Fit on x (n x d) and labels y[n] in [0, n_classes). n_levels[d] (may be NULL: all numeric)
 *  gives 0 for a Gaussian column or the number of levels of a categorical column, whose cells
 *  must be integer codes in [0, n_levels) or NaN. Errors: CRM_EINVAL (bad labels, a code out of
 *  range), CRM_EDATA (one class, a non-finite numeric value other than NaN, a numeric column
 *  with no value in some class), CRM_ENOMEM. O(n d). */
CRM_API crm_status crm_nbayes_fit(crm_nbayes *nb,
                                  const crm_matrix *x,
                                  const int32_t *y,
                                  int32_t n_classes,
                                  const int32_t *n_levels,
                                  crm_error *err);

/** Class probabilities into proba[n_rows * n_classes] (row-major, caller-owned). Errors:
 *  CRM_ESTATE (not fitted), CRM_EINVAL (wrong width). Multithreaded over fixed row blocks;
 *  the result does not depend on the thread count. */
CRM_API crm_status crm_nbayes_predict_proba(const crm_nbayes *nb,
                                            const crm_matrix *x,
                                            double *proba,
                                            crm_error *err);
/** Joint log-likelihood log P(c) + log P(x | c) into jll[n_rows * n_classes]. */
CRM_API crm_status crm_nbayes_joint_log_likelihood(const crm_nbayes *nb,
                                                   const crm_matrix *x,
                                                   double *jll,
                                                   crm_error *err);
/** Most probable class of each row into labels[n_rows] (ties: lowest class index). */
CRM_API crm_status crm_nbayes_predict(const crm_nbayes *nb,
                                      const crm_matrix *x,
                                      int32_t *labels,
                                      crm_error *err);

CRM_API int32_t crm_nbayes_n_classes(const crm_nbayes *nb);
CRM_API int64_t crm_nbayes_n_features(const crm_nbayes *nb);
/** params.design of the fitted model (which matrix crm_classifier gives it). */
CRM_API int32_t crm_nbayes_uses_design(const crm_nbayes *nb);
/** Levels of column j (0: Gaussian column, or out of range). */
CRM_API int32_t crm_nbayes_n_levels(const crm_nbayes *nb, int64_t j);
/** Borrowed per-class mean / variance (variance includes the smoothing) of numeric column j,
 *  n_classes values; NULL for a categorical column or an unfitted model. */
CRM_API const double *crm_nbayes_theta(const crm_nbayes *nb, int64_t j);
CRM_API const double *crm_nbayes_var(const crm_nbayes *nb, int64_t j);
/** Borrowed log class priors (n_classes values); NULL for an unfitted model. */
CRM_API const double *crm_nbayes_log_prior(const crm_nbayes *nb);

/** Save into the section tag of w (NULL: "nbayes") / load it back from r. Loading checks every
 *  count and value: a damaged section is CRM_EFORMAT. */
CRM_API crm_status crm_nbayes_save(const crm_nbayes *nb,
                                   crm_model_writer *w,
                                   const char *tag,
                                   crm_error *err);
CRM_API crm_status crm_nbayes_load(const crm_model_reader *r,
                                   const char *tag,
                                   crm_nbayes **out,
                                   crm_error *err);

#endif
