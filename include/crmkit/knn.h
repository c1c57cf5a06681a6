/* crmkit/knn.h: k-nearest-neighbour classification (Euclidean distance).
 *
 * Two exact searches give the same neighbours: brute force over BLAS blocks (the squared
 * distance ||x||^2 - 2 x.y + ||y||^2 from cblas_dgemm, used only to skip rows that cannot
 * enter the k best; candidates are re-measured with a plain sum of squared differences), and
 * a k-d tree (for few dimensions). Both order neighbours by (exact squared distance, training
 * row index), so ties go to the lowest row index and the two searches agree bit for bit.
 * Votes are uniform or weighted by 1 / distance; a neighbour at distance 0 takes all the
 * weight, shared with other neighbours at distance 0 (as scikit-learn does).
 *
 * Thread safety: a fitted model may be read (kneighbors, predict, save) from any number of
 * threads at once; new/fit/free need exclusive access. */
#ifndef CRMKIT_KNN_H
#define CRMKIT_KNN_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

typedef struct crm_knn crm_knn; /* opaque */

typedef enum crm_knn_weights {
    CRM_KNN_UNIFORM = 0,
    CRM_KNN_DISTANCE = 1
} crm_knn_weights;

typedef enum crm_knn_algo {
    CRM_KNN_AUTO = 0, /* k-d tree up to kdtree_max_dim dimensions, brute force above */
    CRM_KNN_BRUTE = 1,
    CRM_KNN_KDTREE = 2
} crm_knn_algo;

typedef struct crm_knn_params {
    int32_t k; /* neighbours, >= 1 and <= training rows; 5 */
    crm_knn_weights weights;
    crm_knn_algo algo;
    int32_t leaf_size;      /* k-d tree leaf size, >= 1; 16 */
    int32_t kdtree_max_dim; /* AUTO picks the tree up to this many columns; 8 */
} crm_knn_params;

CRM_API crm_knn_params crm_knn_params_default(void);
CRM_API crm_status crm_knn_params_check(const crm_knn_params *p, crm_error *err);

/** Create an unfitted model (p NULL: defaults). *out owns it. */
CRM_API crm_status crm_knn_new(const crm_knn_params *p, crm_knn **out, crm_error *err);
CRM_API void crm_knn_free(crm_knn *knn); /* NULL is a no-op */

/** Keep a copy of x (n x d, finite) and y[n] in [0, n_classes), and build the k-d tree when
 *  the algorithm asks for it (O(n log^2 n)). Errors: CRM_EINVAL (k > n, bad labels),
 *  CRM_EDATA (non-finite value, one class), CRM_ENOMEM. */
CRM_API crm_status
crm_knn_fit(crm_knn *knn, const crm_matrix *x, const int32_t *y, int32_t n_classes, crm_error *err);

/** The k nearest training rows of each row of q: ind[n_rows * k] (0-based training row
 *  indices, nearest first) and dist[n_rows * k] (Euclidean distance; may be NULL).
 *  Caller-owned arrays. Parallel over fixed blocks of query rows; the result does not depend
 *  on the thread count or on the search algorithm. Errors: CRM_ESTATE, CRM_EINVAL, CRM_EDATA
 *  (non-finite query), CRM_ENOMEM. */
CRM_API crm_status crm_knn_kneighbors(const crm_knn *knn,
                                      const crm_matrix *q,
                                      int64_t *ind,
                                      double *dist,
                                      crm_error *err);
/** Class probabilities into proba[n_rows * n_classes]. */
CRM_API crm_status crm_knn_predict_proba(const crm_knn *knn,
                                         const crm_matrix *q,
                                         double *proba,
                                         crm_error *err);
/** Predicted classes into labels[n_rows] (largest vote; ties to the lowest class index). */
CRM_API crm_status crm_knn_predict(const crm_knn *knn,
                                   const crm_matrix *q,
                                   int32_t *labels,
                                   crm_error *err);

CRM_API int32_t crm_knn_n_classes(const crm_knn *knn);
/** Columns of the fitted training matrix (0 before fitting). */
CRM_API int64_t crm_knn_n_features(const crm_knn *knn);
/** The search the fitted model uses (BRUTE or KDTREE; AUTO before fitting). */
CRM_API crm_knn_algo crm_knn_algo_used(const crm_knn *knn);
/** Override the search algorithm of a fitted model (builds the tree if needed). For tests and
 *  benchmarks that compare the two searches. */
CRM_API crm_status crm_knn_set_algo(crm_knn *knn, crm_knn_algo algo, crm_error *err);

/** Save (training rows included) into section tag (NULL: "knn") / load, rebuilding the tree. */
CRM_API crm_status crm_knn_save(const crm_knn *knn,
                                crm_model_writer *w,
                                const char *tag,
                                crm_error *err);
CRM_API crm_status crm_knn_load(const crm_model_reader *r,
                                const char *tag,
                                crm_knn **out,
                                crm_error *err);

#endif
