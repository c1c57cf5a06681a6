/* crmkit/svm.h: support vector classification (C-SVC) through LIBSVM.
 *
 * Kernels: linear u.v, RBF exp(-gamma |u - v|^2) and polynomial (gamma u.v + coef0)^degree.
 * gamma = 0 means scikit-learn's "scale": 1 / (n_features x variance of all cells of the
 * training matrix); LIBSVM's own default, 1 / n_features, makes the SVM predict the majority
 * class for everyone on imbalanced, standardised churn tables. Class weights multiply C per
 * class (explicit, or "balanced": n / (n_classes x n_c)). An optional grid search picks C and
 * gamma by seeded stratified k-fold cross-validation accuracy (ties: the first grid point, C
 * varying slowest).
 *
 * Probabilities: with probability = 1 (default) LIBSVM fits Platt's sigmoid on an internal
 * 5-fold cross-validation whose shuffle uses the C library's rand(). crmkit calls srand(seed)
 * right before training, under a lock, so a fit is reproducible; but rand() is process-wide
 * state, so other code calling rand() or srand() at the same time in the same process can
 * change the calibration. Without probability, two classes get 1 / (1 + exp(-decision))
 * and more classes the share of one-versus-one votes.
 *
 * The fitted model is held in the layout LIBSVM's own loader produces (support vectors copied
 * into one block the model owns), so it never points into the training data. Model files are
 * written field by field by crmkit (LIBSVM's svm_save_model/svm_load_model change the process
 * locale and use a static buffer, so they are never called). LIBSVM's console output is
 * silenced once per process.
 *
 * Built without LIBSVM, fit and load return CRM_EUNSUPPORTED; the params functions work.
 *
 * Thread safety: a fitted model may be read (predict, save, accessors) from any number of
 * threads at once; new/fit/free need exclusive access. */
#ifndef CRMKIT_SVM_H
#define CRMKIT_SVM_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

#define CRM_SVM_MAX_GRID          16
#define CRM_SVM_MAX_CLASS_WEIGHTS 64

typedef enum crm_svm_kernel {
    CRM_SVM_LINEAR = 0,
    CRM_SVM_RBF = 1,
    CRM_SVM_POLY = 2
} crm_svm_kernel;

typedef struct crm_svm_params {
    crm_svm_kernel kernel;         /* default RBF */
    double c;                      /* > 0; 1 */
    double gamma;                  /* > 0, or 0 = "scale" (default) */
    int32_t degree;                /* polynomial degree, 1..10; 3 */
    double coef0;                  /* polynomial constant; 0 */
    double tol;                    /* LIBSVM stopping tolerance, > 0; 1e-3 */
    double cache_mb;               /* kernel cache, > 0; 200 */
    int32_t shrinking;             /* 0 or 1; 1 */
    int32_t probability;           /* 1: Platt probabilities (default); 0: from decision values */
    int32_t class_weight_balanced; /* 1: C_c = C n / (k n_c); default 0 */
    double class_weight[CRM_SVM_MAX_CLASS_WEIGHTS]; /* C multipliers per class index */
    int32_t n_class_weight;                         /* 0 = none (default) */
    int32_t grid_search;                            /* 1: choose C, gamma by CV; default 0 */
    double grid_c[CRM_SVM_MAX_GRID];                /* default 0.1, 1, 10 */
    int32_t n_grid_c;
    double grid_gamma[CRM_SVM_MAX_GRID]; /* factors of the "scale" gamma (or of gamma when
                                            set); default 0.1, 1, 10 */
    int32_t n_grid_gamma;
    int32_t grid_folds; /* 2..20; 3 */
    uint64_t seed;      /* folds and LIBSVM's probability CV */
    int32_t n_threads;  /* grid search jobs in parallel; 0 = OpenMP default */
} crm_svm_params;

CRM_API crm_svm_params crm_svm_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_svm_params_check(const crm_svm_params *p, crm_error *err);

typedef struct crm_svm crm_svm; /* opaque */

/** Create an unfitted model (p NULL: defaults). Errors: CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_svm_new(const crm_svm_params *p, crm_svm **out, crm_error *err);
CRM_API void crm_svm_free(crm_svm *svm); /* NULL is a no-op */

/** Train on x (n x d, finite, n < 2^31) and y[n] in [0, n_classes) (progress may be NULL).
 *  Errors: CRM_EINVAL (bad labels, a LIBSVM parameter check), CRM_EDATA (non-finite value,
 *  one class), CRM_ENOMEM, CRM_ECANCELLED, CRM_EUNSUPPORTED (built without LIBSVM). Cost:
 *  LIBSVM's SMO, roughly O(n^2 d) to O(n^3); x 6 with probabilities; x grid points x folds
 *  with the grid search. */
CRM_API crm_status crm_svm_fit(crm_svm *svm,
                               const crm_matrix *x,
                               const int32_t *y,
                               int32_t n_classes,
                               const crm_progress *progress,
                               crm_error *err);

/** Class probabilities into proba[n_rows * n_classes]. Parallel over fixed row blocks.
 *  Errors: CRM_ESTATE, CRM_EINVAL (wrong width), CRM_ENOMEM. */
CRM_API crm_status crm_svm_predict_proba(const crm_svm *svm,
                                         const crm_matrix *x,
                                         double *proba,
                                         crm_error *err);
/** LIBSVM's predicted class per row into labels[n_rows] (one-versus-one vote). */
CRM_API crm_status crm_svm_predict(const crm_svm *svm,
                                   const crm_matrix *x,
                                   int32_t *labels,
                                   crm_error *err);
/** Decision values into dec[n_rows * n_pairs], n_pairs = k (k - 1) / 2 for the k classes
 *  seen in training. Two classes: one value, positive for class 1 (scikit-learn's sign).
 *  More: LIBSVM's one-versus-one values for pairs (i, j), i < j of crm_svm_label order. */
CRM_API crm_status crm_svm_decision_function(const crm_svm *svm,
                                             const crm_matrix *x,
                                             double *dec,
                                             crm_error *err);

CRM_API int32_t crm_svm_n_classes(const crm_svm *svm);
CRM_API int64_t crm_svm_n_features(const crm_svm *svm);
/** Support vectors in the model. */
CRM_API int32_t crm_svm_n_support(const crm_svm *svm);
/** Class index of LIBSVM's i-th label (order of first appearance in training). */
CRM_API int32_t crm_svm_label(const crm_svm *svm, int32_t i);
/** C and gamma of the fitted model (after the "scale" rule and the grid search). */
CRM_API double crm_svm_c(const crm_svm *svm);
CRM_API double crm_svm_gamma(const crm_svm *svm);
/** Best cross-validated accuracy of the grid search (NaN without it). */
CRM_API double crm_svm_grid_score(const crm_svm *svm);

/** Save into section tag (NULL: "svm") / load: every count, index and value is checked, and
 *  the LIBSVM model is rebuilt in svm_load_model's layout. Errors as crm_model_*, plus
 *  CRM_EFORMAT for a damaged section and CRM_EUNSUPPORTED without LIBSVM. */
CRM_API crm_status crm_svm_save(const crm_svm *svm,
                                crm_model_writer *w,
                                const char *tag,
                                crm_error *err);
CRM_API crm_status crm_svm_load(const crm_model_reader *r,
                                const char *tag,
                                crm_svm **out,
                                crm_error *err);

#endif
