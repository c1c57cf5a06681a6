/* crmkit/validity.h: cluster validity indices for any hard labelling of a matrix.
 *
 * Definitions (docs/algorithms/validity.md): with clusters C_j, centroids c_j (the mean of the
 * rows labelled j, recomputed here whatever produced the labels) and Euclidean distance d:
 *   sse        sum_j sum_{x in C_j} d(x, c_j)^2
 *   cp         compactness: (1/K) sum_j mean_{x in C_j} d(x, c_j)              (lower is better)
 *   sp         separation: mean over pairs j < l of d(c_j, c_l)               (higher is better)
 *   db         Davies-Bouldin, as scikit-learn's davies_bouldin_score         (lower is better)
 *   dunn       min over x, y in different clusters of d(x, y) divided by
 *              max over x, y in one cluster of d(x, y)                        (higher is better)
 *   silhouette mean silhouette coefficient, as scikit-learn's silhouette_score (higher better)
 *   ch         Calinski-Harabasz, as scikit-learn's calinski_harabasz_score  (higher is better)
 * Labels are any non-negative integers; each distinct value is one cluster (K of them).
 *
 * Silhouette and Dunn are O(n^2 dim). They are exact while n_rows <= exact_max_rows;
 * beyond it they are computed on sample_rows rows drawn without replacement with the seed
 * (as silhouette_score(sample_size=...) does), and the result says so.
 *
 * Thread safety: reentrant; uses OpenMP inside; results do not depend on the thread count. */
#ifndef CRMKIT_VALIDITY_H
#define CRMKIT_VALIDITY_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

#define CRM_VALIDITY_EXACT_MAX_ROWS 20000

typedef struct crm_validity_params { /* transparent; start from crm_validity_params_default() */
    int64_t exact_max_rows;          /* silhouette/Dunn exact up to this many rows (20000) */
    int64_t sample_rows;             /* rows sampled beyond it (20000), >= 2 */
    uint64_t seed;                   /* for the sample (default 0) */
    int pairwise;                    /* 0 skips silhouette and Dunn (NaN) (default 1) */
    int32_t n_threads;               /* 0 = OpenMP default; never changes results */
} crm_validity_params;

typedef struct crm_validity {
    int32_t k; /* distinct labels */
    int64_t n_rows;
    double sse;
    double cp;
    double sp;
    double db;
    double dunn;
    double silhouette;
    double ch;
    int64_t pairwise_rows; /* rows silhouette and Dunn were computed on (n_rows if exact) */
    int sampled;           /* 1 when pairwise_rows < n_rows */
} crm_validity;

CRM_API crm_validity_params crm_validity_params_default(void);
CRM_API crm_status crm_validity_params_check(const crm_validity_params *p, crm_error *err);

/** Compute every index for x (n_rows x dim) labelled by labels[n_rows] (both borrowed for
 *  the call). Errors: CRM_EINVAL (bad params, a negative label), CRM_EDATA (non-finite values,
 *  fewer than 2 distinct labels, or as many distinct labels as rows: the indices are then
 *  undefined, as in scikit-learn), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_validity_compute(const crm_matrix *x,
                                        const int32_t *labels,
                                        const crm_validity_params *p,
                                        const crm_progress *progress,
                                        crm_validity *out,
                                        crm_error *err);

#endif
