/* crmkit/compare.h: several clustering algorithms on the same customers, judged by the same
 * validity indices (the comparison table of the X-means telecom paper: k found, compactness,
 * separation, Davies-Bouldin, Dunn, plus silhouette, Calinski-Harabasz and fit time).
 *
 * Every algorithm runs through the segmentation pipeline (crmkit/segment.h) with the same
 * cleaning, so the indices are computed on one design matrix (the cleaned, scaled features)
 * and compare like with like. Algorithms by name: "kmeans" (k given), "xmeans" (k chosen by
 * BIC splitting in [kmin, kmax]), "elbow" (k at the knee of the inertia curve), "em" and
 * "em-diag" (Gaussian mixtures by EM, crmkit/gmm.h, full or diagonal covariances, k given;
 * each row labelled by its most probable component), "birch" (crmkit/birch.h, k given),
 * "hier" (Ward, crmkit/hclust.h, k given) and "dbscan" (crmkit/dbscan.h), "optigrid"
 * (crmkit/optigrid.h) and "denclue" (crmkit/denclue.h): each finds its own k, the k of its row;
 * their noise rows are one more group for the indices. Their own parameters
 * (BIRCH threshold and branching, DBSCAN eps and min_samples, EM settings) come from
 * segment. A new
 * clustering algorithm joins the comparison through one entry in the table of src/compare.
 *
 * Thread safety: reentrant; results do not depend on the thread count. */
#ifndef CRMKIT_COMPARE_H
#define CRMKIT_COMPARE_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/progress.h>
#include <crmkit/segment.h>
#include <crmkit/status.h>
#include <crmkit/validity.h>

#define CRM_COMPARE_MAX_ALGOS 16

typedef struct crm_compare_params { /* transparent; start from crm_compare_params_default() */
    const char *const *algos;       /* n_algos names (see above), borrowed */
    int32_t n_algos;
    /* k of the algorithms that take one (kmeans, em); 0 = the k found by the first algorithm in
     * the list that chooses its own (those run first, so every row compares at one k). */
    int32_t k;
    crm_segment_params segment;   /* features, cleaning, kmin, kmax, k-means settings, seed */
    crm_validity_params validity; /* sampling of silhouette and Dunn */
} crm_compare_params;

typedef struct crm_compare_row {
    const char *algo;   /* borrowed from params */
    int32_t k;          /* clusters found or given */
    crm_validity v;     /* indices over the design matrix */
    double fit_seconds; /* clustering only (the cleaning is shared) */
} crm_compare_row;

CRM_API crm_compare_params crm_compare_params_default(void); /* kmeans, xmeans, elbow; k 0 */

/** Run every algorithm of p on t (borrowed for the call); rows[p->n_algos] is caller-owned
 *  and filled in the order of p->algos. Errors: CRM_EINVAL (an unknown algorithm: the message
 *  lists those known; kmeans with k 0 and no automatic algorithm in the list; too many), those
 *  of crm_segmenter_fit and crm_validity_compute, CRM_ECANCELLED. */
CRM_API crm_status crm_compare_run(const crm_table *t,
                                   const crm_compare_params *p,
                                   const crm_progress *progress,
                                   crm_compare_row *rows,
                                   crm_error *err);

#endif
