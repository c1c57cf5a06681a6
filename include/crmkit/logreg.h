/* crmkit/logreg.h: L2-regularised logistic regression, binary and multinomial.
 *
 * The objective is scikit-learn's LogisticRegression (penalty "l2", C as there):
 *     0.5 * ||W||^2 + C * sum_i s_i * loss_i
 * where loss_i is the logistic loss (two classes: one coefficient vector, for class 1) or the
 * multinomial (softmax) loss (three or more classes: one coefficient vector per class), s_i
 * the sample weight and the intercepts are not penalised. It is solved to a tight tolerance
 * (Newton's method with a line search when the number of coefficients is small, L-BFGS
 * otherwise), so the coefficients equal scikit-learn's solution to ~1e-6, not just its
 * predictions. Multinomial intercepts are reported centred (they sum to zero), which is the
 * solution scikit-learn's lbfgs reaches from its zero start.
 *
 * Thread safety: a fitted crm_logreg may be read (predict, accessors, save) from any number
 * of threads at once; new/fit/free need exclusive access. Results never depend on the
 * number of threads: sums run over a fixed number of row groups reduced in order. */
#ifndef CRMKIT_LOGREG_H
#define CRMKIT_LOGREG_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_logreg crm_logreg; /* opaque */

typedef enum crm_logreg_solver {
    CRM_LOGREG_AUTO = 0,   /* Newton when (features + 1) x coefficient rows <= 512 */
    CRM_LOGREG_NEWTON = 1, /* full Hessian, Cholesky; up to 2048 coefficients */
    CRM_LOGREG_LBFGS = 2   /* limited-memory BFGS (10 pairs) with a backtracking search */
} crm_logreg_solver;

typedef struct crm_logreg_params { /* transparent; start from _params_default() */
    double c;                      /* inverse regularisation strength, > 0 (default 1) */
    int32_t fit_intercept;         /* 1 (default): unpenalised intercept per coefficient row */
    int32_t max_iter;              /* solver iterations, >= 1 (default 1000) */
    double tol;                    /* stop when max |gradient| / (C * sum of weights) <= tol
                                      (default 1e-10) */
    crm_logreg_solver solver;
    int32_t class_weight_balanced; /* 1: weight rows by n / (n_classes * n_class), as
                                      scikit-learn's class_weight="balanced" */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_logreg_params;

CRM_API crm_logreg_params crm_logreg_params_default(void);
CRM_API crm_status crm_logreg_params_check(const crm_logreg_params *p, crm_error *err);

/** Create an unfitted model. On success *out owns a new object; free it with crm_logreg_free.
 *  Errors: CRM_EINVAL (bad params, err says which), CRM_ENOMEM. */
CRM_API crm_status crm_logreg_new(const crm_logreg_params *p, crm_logreg **out, crm_error *err);
CRM_API void crm_logreg_free(crm_logreg *lr); /* NULL is a no-op */

/** Fit to x (n_rows x n_features) and labels y[n_rows] in [0, n_classes), both borrowed for
 *  the call only. sample_weight[n_rows] (may be NULL: all 1) multiplies each row's loss and is
 *  combined with the balanced class weights when those are asked for. Refitting replaces the
 *  previous fit. Errors: CRM_EINVAL (n_classes < 2, a label out of range, a negative
 *  weight), CRM_EDATA (no rows, a non-finite value, fewer than two classes present),
 *  CRM_ENOMEM, CRM_ECANCELLED. Cost per Newton iteration O(n * d^2) with d coefficients;
 *  per L-BFGS iteration O(n * d). A run that stops at max_iter is not an error (see
 *  crm_logreg_converged). */
CRM_API crm_status crm_logreg_fit(crm_logreg *lr,
                                  const crm_matrix *x,
                                  const int32_t *y,
                                  int32_t n_classes,
                                  const double *sample_weight,
                                  const crm_progress *progress,
                                  crm_error *err);

/** Class probabilities: proba[n_rows * n_classes], row-major, caller-owned. x must have the
 *  fitted number of columns. Errors: CRM_ESTATE (not fitted), CRM_EINVAL (column count).
 *  Non-finite inputs give non-finite probabilities for that row only. */
CRM_API crm_status crm_logreg_predict_proba(const crm_logreg *lr,
                                            const crm_matrix *x,
                                            double *proba,
                                            crm_error *err);
/** Most probable class per row (lowest index on ties) into labels[n_rows]. */
CRM_API crm_status crm_logreg_predict(const crm_logreg *lr,
                                      const crm_matrix *x,
                                      int32_t *labels,
                                      crm_error *err);

CRM_API int32_t crm_logreg_is_fitted(const crm_logreg *lr);
CRM_API int32_t crm_logreg_n_classes(const crm_logreg *lr);
CRM_API int32_t crm_logreg_n_features(const crm_logreg *lr);
/** Coefficient rows: 1 for two classes, n_classes otherwise. */
CRM_API int32_t crm_logreg_n_coef_rows(const crm_logreg *lr);
/** Borrowed, n_coef_rows x n_features row-major; valid until the next _fit or _free. */
CRM_API const double *crm_logreg_coef(const crm_logreg *lr);
/** Borrowed, n_coef_rows values (zeros without an intercept). */
CRM_API const double *crm_logreg_intercept(const crm_logreg *lr);
CRM_API int32_t crm_logreg_n_iter(const crm_logreg *lr);
CRM_API int32_t crm_logreg_converged(const crm_logreg *lr);
/** Final value of the objective above. */
CRM_API double crm_logreg_objective(const crm_logreg *lr);

/** Save the fitted model into a section called tag (at most 15 characters; NULL means
 *  "logreg") of w. Errors: CRM_ESTATE (not fitted), CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_logreg_save(const crm_logreg *lr,
                                   crm_model_writer *w,
                                   const char *tag,
                                   crm_error *err);
/** Load a model saved by crm_logreg_save from section tag (NULL: "logreg") of r. *out owns a
 *  new object. Errors: CRM_EFORMAT (missing, damaged or inconsistent section), CRM_ENOMEM. */
CRM_API crm_status crm_logreg_load(const crm_model_reader *r,
                                   const char *tag,
                                   crm_logreg **out,
                                   crm_error *err);

#endif
