/* validity_internal.h: the pairwise pass behind silhouette and Dunn (private to src/). */
#ifndef CRM_VALIDITY_INTERNAL_H
#define CRM_VALIDITY_INTERNAL_H
#include <stdint.h>

#include <crmkit/matrix.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

/* Mean silhouette and Dunn index over the m rows rows[] of x, row t in cluster sid[t] (dense
 * ids < k; at least 2 clusters present and fewer clusters than rows). Distances through
 * dgemm (||a||^2 + ||b||^2 - 2 a.b, clamped, as scikit-learn's euclidean_distances), a row's
 * distance to itself is 0. Bit-identical for any thread count nt. */
typedef struct crm__validity_job {
    const crm_matrix *x;
    const int64_t *rows; /* the m rows of x to score */
    const int32_t *sid;  /* the cluster of each, dense ids < k */
    int64_t m;
    int32_t k;
    int nt;                       /* threads */
    const crm_progress *progress; /* may be NULL */
} crm__validity_job;

crm_status crm__validity_pairwise(const crm__validity_job *job,
                                  double *silhouette,
                                  double *dunn,
                                  crm_error *err);

#endif
