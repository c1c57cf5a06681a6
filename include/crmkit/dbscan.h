/* crmkit/dbscan.h: density-based clustering (DBSCAN, Ester, Kriegel, Sander & Xu 1996).
 *
 * A row is a core row when at least min_samples rows (itself included) lie within eps of it
 * (squared Euclidean distance <= eps^2). Core rows within eps of each other are in the same
 * cluster; a row that is not core but lies within eps of a core row is a border row; every
 * other row is noise (label -1).
 *
 * Border rows: a border row within eps of core rows of several clusters joins the cluster
 * whose lowest-numbered core row comes first in the input. Clusters are numbered in the order
 * of their lowest-numbered core row. Both are what scikit-learn's DBSCAN does (its depth-first
 * expansion visits the clusters in that order and a border row keeps the first label it gets),
 * so the labels are scikit-learn's, numbers included (tests/golden/cluster/dbscan_*).
 *
 * Memory: O(n dim). The rows go into a k-d tree; one pass counts each row's neighbours (and
 * stops counting at min_samples), a second joins core rows by union-find (lock-free, lower
 * root wins, so the sets do not depend on the threads), a third labels the border rows; all
 * three on OpenMP threads. No neighbourhood list is ever stored, so 200,000 rows need
 * megabytes where scikit-learn's neighbourhood lists need gigabytes (bench/RESULTS.md).
 *
 * Assigning new rows (crm_dbscan_assign): the cluster of the nearest core row within eps, else
 * noise. For a training border row near two clusters this can differ from its training label
 * (the nearest core row against the cluster found first); core and noise rows keep theirs.
 *
 * Thread safety: a fitted crm_dbscan is read-only; assign may run on many threads at once.
 * Same data, same labels, whatever the number of threads. */
#ifndef CRMKIT_DBSCAN_H
#define CRMKIT_DBSCAN_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_dbscan crm_dbscan; /* opaque */

typedef struct crm_dbscan_params { /* transparent; start from crm_dbscan_params_default() */
    double eps;                    /* neighbourhood radius, > 0 (default 0.5) */
    int32_t min_samples;           /* rows within eps, itself included, to be core (default 5) */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_dbscan_params;

/** Defaults: eps 0.5, min_samples 5 (scikit-learn's), n_threads 0. */
CRM_API crm_dbscan_params crm_dbscan_params_default(void);
CRM_API crm_status crm_dbscan_params_check(const crm_dbscan_params *p, crm_error *err);

/** Cluster x (borrowed for the call). Errors: CRM_EINVAL (params), CRM_EDATA (a value that
 *  is not finite), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_dbscan_fit(const crm_dbscan_params *p,
                                  const crm_matrix *x,
                                  const crm_progress *progress,
                                  crm_dbscan **out,
                                  crm_error *err);
CRM_API void crm_dbscan_free(crm_dbscan *d); /* NULL is a no-op */

/** Label the rows of x: the cluster of the nearest core row within eps (ties: the lowest
 *  core row), else -1; dist (may be NULL) gets the squared distance to that core row (NaN for
 *  noise). CRM_EINVAL for another dimension. */
CRM_API crm_status crm_dbscan_assign(const crm_dbscan *d,
                                     const crm_matrix *x,
                                     int32_t *labels,
                                     double *dist,
                                     crm_error *err);

/** Clusters found (noise not counted). */
CRM_API int32_t crm_dbscan_k(const crm_dbscan *d);
CRM_API int32_t crm_dbscan_dim(const crm_dbscan *d);
CRM_API crm_dbscan_params crm_dbscan_params_used(const crm_dbscan *d);
/** Training labels (-1 noise; n_rows of the fit), NULL after load. */
CRM_API const int32_t *crm_dbscan_labels(const crm_dbscan *d);
CRM_API int64_t crm_dbscan_n_rows(const crm_dbscan *d);
CRM_API int64_t crm_dbscan_n_core(const crm_dbscan *d);
CRM_API int64_t crm_dbscan_n_noise(const crm_dbscan *d);
/** Borrowed: the core rows (n_core x dim) and their clusters (n_core). */
CRM_API const double *crm_dbscan_cores(const crm_dbscan *d);
CRM_API const int32_t *crm_dbscan_core_labels(const crm_dbscan *d);

/** Save into section "dbscan" of w (parameters, core rows and their clusters) / load it. */
CRM_API crm_status crm_dbscan_save(const crm_dbscan *d, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_dbscan_load(const crm_model_reader *r, crm_dbscan **out, crm_error *err);

#endif
