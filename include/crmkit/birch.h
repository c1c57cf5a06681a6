/* crmkit/birch.h: BIRCH (Zhang, Ramakrishnan & Livny 1996): one pass over the rows builds a
 * clustering-feature (CF) tree, then the leaf subclusters are clustered globally.
 *
 * A CF is (n, linear sum, sum of squared norms) of a set of rows. Each row descends the tree to
 * the nearest subcluster of each node (by centroid); at a leaf it is merged into the nearest
 * subcluster when the merged radius sqrt(SS/n - |LS/n|^2) stays <= threshold, else it becomes a
 * new subcluster; a node holding more than `branching` subclusters is split around its two
 * farthest subclusters, and the split propagates up. The global step is Ward's agglomerative
 * clustering of the leaf subclusters' centroids (unweighted) cut at k clusters, and every row
 * takes the cluster of its nearest subcluster centroid. These are scikit-learn 1.2's Birch
 * definitions (threshold, branching_factor, n_clusters with AgglomerativeClustering), so the
 * labels agree with it up to renaming (tests/golden/cluster/birch_*). When the tree has fewer
 * subclusters than k, each subcluster is a cluster (as scikit-learn, which warns).
 *
 * Memory: the tree (O(subclusters x dim)), not the rows. Thread safety: a fitted crm_birch is
 * read-only; assign may run on many threads at once. Same data and order, same result. */
#ifndef CRMKIT_BIRCH_H
#define CRMKIT_BIRCH_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_birch crm_birch; /* opaque */

typedef struct crm_birch_params { /* transparent; start from crm_birch_params_default() */
    double threshold;             /* largest subcluster radius, > 0 (default 0.5) */
    int32_t branching;            /* subclusters per node at most, >= 2 (default 50) */
    int32_t k;                    /* clusters of the global step, >= 1 (default 3); 0 = chosen
                                     in [kmin, kmax] at the widest gap between Ward merge
                                     heights (crm_hclust_auto_k) */
    int32_t kmin, kmax;           /* for k 0 (default 2 and 12) */
    int32_t n_threads;            /* 0 = OpenMP default; never changes results */
} crm_birch_params;

/** Defaults: threshold 0.5, branching 50, k 3 (scikit-learn's), kmin 2, kmax 12. */
CRM_API crm_birch_params crm_birch_params_default(void);
CRM_API crm_status crm_birch_params_check(const crm_birch_params *p, crm_error *err);

/** Build the tree over the rows of x in order and cluster its leaves. Errors: CRM_EINVAL,
 *  CRM_EDATA (no rows, a value that is not finite), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_birch_fit(const crm_birch_params *p,
                                 const crm_matrix *x,
                                 const crm_progress *progress,
                                 crm_birch **out,
                                 crm_error *err);
CRM_API void crm_birch_free(crm_birch *b); /* NULL is a no-op */

/** Cluster of the nearest subcluster centroid (ties: the first subcluster); dist (may be NULL)
 *  the squared distance to that centroid. CRM_EINVAL for another dimension. */
CRM_API crm_status crm_birch_assign(const crm_birch *b,
                                    const crm_matrix *x,
                                    int32_t *labels,
                                    double *dist,
                                    crm_error *err);

CRM_API int32_t crm_birch_k(const crm_birch *b);
CRM_API int32_t crm_birch_dim(const crm_birch *b);
CRM_API crm_birch_params crm_birch_params_used(const crm_birch *b);
/** Leaf subclusters, in the order of the leaves (scikit-learn's subcluster_centers_). */
CRM_API int32_t crm_birch_n_subclusters(const crm_birch *b);
CRM_API const double *crm_birch_subclusters(const crm_birch *b);        /* n_sub x dim */
CRM_API const int32_t *crm_birch_subcluster_labels(const crm_birch *b); /* n_sub */
/** Training labels (n_rows of the fit), NULL after load. */
CRM_API const int32_t *crm_birch_labels(const crm_birch *b);

/** Save into section "birch" of w (subcluster centroids and their clusters) / load it. */
CRM_API crm_status crm_birch_save(const crm_birch *b, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_birch_load(const crm_model_reader *r, crm_birch **out, crm_error *err);

#endif
