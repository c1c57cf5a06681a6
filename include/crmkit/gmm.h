/* crmkit/gmm.h: Gaussian mixture models fitted by expectation-maximisation (EM).
 *
 * A mixture of k Gaussians with weights w_j, means mu_j and covariances S_j, either full
 * (a d x d matrix per component) or diagonal (d variances per component). EM alternates:
 *   E-step  r_ij = w_j N(x_i | mu_j, S_j) / sum_l w_l N(x_i | mu_l, S_l), computed in logs
 *           (log-sum-exp); the mean log-likelihood (1/n) sum_i log sum_j w_j N(x_i | ...) is
 *           the lower bound reported;
 *   M-step  n_j = sum_i r_ij + 10 eps; w_j = n_j / n; mu_j = sum_i r_ij x_i / n_j;
 *           S_j = sum_i r_ij (x_i - mu_j)(x_i - mu_j)' / n_j + reg_covar I (diagonal: the
 *           diagonal of that).
 * It stops when the mean log-likelihood changes by less than tol between two iterations, or
 * after max_iter iterations. These are scikit-learn 1.2's GaussianMixture definitions
 * (including the 10 eps added to n_j and when the lower bound is measured: in each
 * iteration's E-step, before its M-step), so from the same initial parameters both give the
 * same iterations (tests/golden/gmm). Initial parameters are given (crm_gmm_fit_from), or come
 * from k-means
 * (crmkit/kmeans.h, k-means++ with the seed): one M-step from its hard labels, as
 * scikit-learn's init_params="kmeans" (whose own k-means draws other seeds).
 *
 * Parallel loops run over fixed blocks of rows and add their partial sums in block order, so
 * the result does not depend on the number of threads.
 *
 * Thread safety: a fitted crm_gmm may be read (assign, predict_proba, score, accessors) from
 * any number of threads at once; fit/free need exclusive access. */
#ifndef CRMKIT_GMM_H
#define CRMKIT_GMM_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_gmm crm_gmm; /* opaque */

typedef enum crm_gmm_cov {
    CRM_GMM_FULL = 0, /* one d x d covariance matrix per component */
    CRM_GMM_DIAG = 1  /* d variances per component */
} crm_gmm_cov;

typedef struct crm_gmm_params { /* transparent; start from crm_gmm_params_default() */
    int32_t k;                  /* components, >= 1 (default 8) */
    crm_gmm_cov cov;            /* default CRM_GMM_FULL */
    int32_t max_iter;           /* EM iterations at most, >= 1 (default 100) */
    double tol;                 /* stop when the mean log-likelihood moves less (1e-3), >= 0 */
    double reg_covar;           /* added to every variance, >= 0 (default 1e-6) */
    uint64_t seed;              /* of the k-means initialisation (default 0) */
    int32_t n_threads;          /* 0 = OpenMP default; never changes results */
} crm_gmm_params;

/** Defaults: k 8, full covariances, 100 iterations, tol 1e-3, reg_covar 1e-6, seed 0. */
CRM_API crm_gmm_params crm_gmm_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_gmm_params_check(const crm_gmm_params *p, crm_error *err);

/** An unfitted model; *out owns it (crm_gmm_free). Errors: CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_gmm_new(const crm_gmm_params *p, crm_gmm **out, crm_error *err);
CRM_API void crm_gmm_free(crm_gmm *g); /* NULL is a no-op */

/** Fit to x (n_rows x d, borrowed for the call). Errors: CRM_EDATA (n_rows < k, non-finite
 *  values, a covariance that is not positive definite: add reg_covar), CRM_EINVAL (initial
 *  parameters that are not a mixture: weights not positive, a covariance not positive
 *  definite), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_gmm_fit(crm_gmm *g,
                               const crm_matrix *x,
                               const crm_progress *progress,
                               crm_error *err);

/** Fit as crm_gmm_fit, from the given initial parameters instead of k-means (all borrowed
 *  for the call): weights[k] (positive, summing to 1), means[k * d], covariances (full:
 *  [k * d * d], diagonal: [k * d]; positive definite), as scikit-learn's weights_init,
 *  means_init and the inverses of precisions_init. Errors: as crm_gmm_fit, CRM_EINVAL for
 *  parameters that are not a mixture. */
CRM_API crm_status crm_gmm_fit_from(crm_gmm *g,
                                    const crm_matrix *x,
                                    const double *weights,
                                    const double *means,
                                    const double *covs,
                                    const crm_progress *progress,
                                    crm_error *err);

/** Posterior probabilities resp[n_rows * k] (caller-owned, row major) of the rows of x.
 *  Errors: CRM_ESTATE (not fitted), CRM_EINVAL (another dimension). */
CRM_API crm_status crm_gmm_predict_proba(const crm_gmm *g,
                                         const crm_matrix *x,
                                         double *resp,
                                         crm_error *err);
/** Most probable component of each row (labels[n_rows], ties to the lowest index). */
CRM_API crm_status crm_gmm_assign(const crm_gmm *g,
                                  const crm_matrix *x,
                                  int32_t *labels,
                                  crm_error *err);
/** Mean log-likelihood of the rows of x under the fitted mixture (scikit-learn's score). */
CRM_API crm_status crm_gmm_score(const crm_gmm *g,
                                 const crm_matrix *x,
                                 double *mean_loglik,
                                 crm_error *err);
/** Bayesian information criterion -2 n score + p ln n (p free parameters; lower is better),
 *  as scikit-learn's bic. */
CRM_API crm_status crm_gmm_bic(const crm_gmm *g, const crm_matrix *x, double *bic, crm_error *err);

CRM_API int32_t crm_gmm_k(const crm_gmm *g);
CRM_API int32_t crm_gmm_dim(const crm_gmm *g);
CRM_API crm_gmm_cov crm_gmm_cov_type(const crm_gmm *g);
/** Iterations run, whether the tolerance was met, and the last lower bound (mean
 *  log-likelihood measured in the last E-step). */
CRM_API int32_t crm_gmm_n_iter(const crm_gmm *g);
CRM_API int crm_gmm_converged(const crm_gmm *g);
CRM_API double crm_gmm_lower_bound(const crm_gmm *g);
/** Borrowed until the next fit or free: weights[k], means[k * d], covariances (full
 *  [k * d * d], diagonal [k * d]). NULL before a fit. */
CRM_API const double *crm_gmm_weights(const crm_gmm *g);
CRM_API const double *crm_gmm_means(const crm_gmm *g);
CRM_API const double *crm_gmm_covariances(const crm_gmm *g);

/** Save a fitted mixture into section "gmm" of w (covariance type, weights, means,
 *  covariances, iterations) / load one; a loaded mixture assigns, scores and predicts as the
 *  fitted one did. Errors: CRM_ESTATE (not fitted), CRM_EFORMAT (malformed section, a
 *  covariance that is not positive definite), CRM_ENOMEM. */
CRM_API crm_status crm_gmm_save(const crm_gmm *g, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_gmm_load(const crm_model_reader *r, crm_gmm **out, crm_error *err);

#endif
