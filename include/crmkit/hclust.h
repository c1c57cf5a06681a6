/* crmkit/hclust.h: agglomerative hierarchical clustering on Euclidean distances.
 *
 * Linkages: Ward, complete and average by the nearest-neighbour chain over the condensed
 * distance matrix (n(n-1)/2 doubles; O(n^2) time, O(n) memory beyond the matrix), single by
 * Prim's minimum spanning tree with distances computed on the fly (O(n^2) time, O(n)
 * memory). The merges are returned in scipy's linkage-matrix form: row i joins clusters a and
 * b (a < b; ids below n are rows, n + j is the cluster made by merge j) at height h into a
 * cluster of size s, rows sorted by height (stable). Heights are scipy's: Euclidean for
 * single, complete and average, and for Ward the Lance-Williams Ward distance
 * sqrt(2 n_a n_b / (n_a + n_b)) * |c_a - c_b|.
 *
 * Memory guard: past max_bytes for the matrix (default 2 GiB, n = 23,170 rows), or past
 * 65,536 rows for single linkage (a time guard), the rows are first grouped into n_micro
 * k-means micro-clusters (default 1,000) and the micro-clusters' centres are clustered,
 * weighted by their sizes (Ward: the exact Ward distance between the micro-clusters; average:
 * size-weighted; complete and single: between centres). crm_hclust_n_micro says when.
 * docs/algorithms/hclust.md has the details.
 *
 * Thread safety: a fitted crm_hclust is read-only. Same seed, same result. */
#ifndef CRMKIT_HCLUST_H
#define CRMKIT_HCLUST_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_hclust crm_hclust; /* opaque */

typedef enum crm_linkage {
    CRM_LINKAGE_WARD = 0,
    CRM_LINKAGE_COMPLETE = 1,
    CRM_LINKAGE_AVERAGE = 2,
    CRM_LINKAGE_SINGLE = 3
} crm_linkage;

typedef struct crm_hclust_params { /* transparent; start from crm_hclust_params_default() */
    crm_linkage linkage;           /* default Ward */
    int64_t max_bytes;             /* guard on the distance matrix (default 2 GiB) */
    int32_t n_micro;               /* micro-clusters past the guard (default 1000) */
    uint64_t seed;                 /* for the micro-clusters' k-means (default 0) */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_hclust_params;

/** Defaults: Ward, 2 GiB, 1000 micro-clusters, seed 0, n_threads 0. */
CRM_API crm_hclust_params crm_hclust_params_default(void);
CRM_API crm_status crm_hclust_params_check(const crm_hclust_params *p, crm_error *err);
/** Parse "ward", "complete", "average", "single"; -1 when unknown. Name of a linkage. */
CRM_API int crm_linkage_parse(const char *s);
CRM_API const char *crm_linkage_name(crm_linkage l);
/** Largest row count clustered directly under p (beyond it: micro-clusters). */
CRM_API int64_t crm_hclust_max_rows(const crm_hclust_params *p);

/** Linkage matrix of x (n_rows x dim, n_rows >= 2) directly, without the guard: z gets
 *  (n_rows - 1) x 4 values. weights (may be NULL) are the sizes of weighted rows (>= 1).
 *  Errors: CRM_EDATA (non-finite value), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_hclust_linkage(const crm_matrix *x,
                                      const double *weights,
                                      crm_linkage linkage,
                                      const crm_progress *progress,
                                      double *z,
                                      crm_error *err);

/** Build the tree of x (borrowed for the call), through micro-clusters past the guard. */
CRM_API crm_status crm_hclust_fit(const crm_hclust_params *p,
                                  const crm_matrix *x,
                                  const crm_progress *progress,
                                  crm_hclust **out,
                                  crm_error *err);
CRM_API void crm_hclust_free(crm_hclust *h); /* NULL is a no-op */

/** Cut into k clusters (1 <= k <= number of leaves): the last k - 1 merges are undone.
 *  Labels are numbered as scipy's fcluster numbers them (depth-first from the root, the
 *  first child first), minus one. Sets the model's clusters (centres for assign). */
CRM_API crm_status crm_hclust_cut_k(crm_hclust *h, int32_t k, crm_error *err);
/** Cut at a height: merges at heights <= height are kept (scipy's fcluster "distance"). */
CRM_API crm_status crm_hclust_cut_height(crm_hclust *h, double height, crm_error *err);
/** k in [kmin, kmax] with the widest gap between the height of the last merge kept and the
 *  next one (ties: the smallest k). CRM_EINVAL when no k in the range is possible. */
CRM_API crm_status crm_hclust_auto_k(const crm_hclust *h,
                                     int32_t kmin,
                                     int32_t kmax,
                                     int32_t *k,
                                     crm_error *err);

/** Nearest cluster centre (ties: lowest index), dist (may be NULL) squared distance. Needs a
 *  cut. CRM_EINVAL for another dimension. */
CRM_API crm_status crm_hclust_assign(const crm_hclust *h,
                                     const crm_matrix *x,
                                     int32_t *labels,
                                     double *dist,
                                     crm_error *err);

CRM_API crm_linkage crm_hclust_linkage_used(const crm_hclust *h);
CRM_API int64_t crm_hclust_n_rows(const crm_hclust *h);
/** Leaves of the tree: n_rows, or the number of micro-clusters. */
CRM_API int64_t crm_hclust_n_leaves(const crm_hclust *h);
/** Micro-clusters used (0 when the rows were clustered directly). */
CRM_API int32_t crm_hclust_n_micro(const crm_hclust *h);
/** Borrowed (n_leaves - 1) x 4 linkage matrix. */
CRM_API const double *crm_hclust_merges(const crm_hclust *h);
/** After a cut: k, training labels (n_rows; NULL after load), k x dim centres, dim. */
CRM_API int32_t crm_hclust_k(const crm_hclust *h);
CRM_API const int32_t *crm_hclust_labels(const crm_hclust *h);
CRM_API const double *crm_hclust_centers(const crm_hclust *h);
CRM_API int32_t crm_hclust_dim(const crm_hclust *h);
/** Height of the cut (NaN for a cut by k). Sum of squared distances to the centres. */
CRM_API double crm_hclust_cut_at(const crm_hclust *h);
CRM_API double crm_hclust_inertia(const crm_hclust *h);

/** Save into section "hclust" of w / load it from r (with the merges and the cut). */
CRM_API crm_status crm_hclust_save(const crm_hclust *h, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_hclust_load(const crm_model_reader *r, crm_hclust **out, crm_error *err);

#endif
