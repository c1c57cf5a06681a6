/* crmkit/denclue.h: DENCLUE (Hinneburg & Keim 1998) with the hill climbing of DENCLUE 2.0
 * (Hinneburg & Gabriel 2007).
 *
 * The density at x is f(x) = sum_i exp(-|x - x_i|^2 / (2 h^2)) over the rows, the Gaussian
 * kernel cut at 3 h (rows farther away add less than e^-4.5 = 1.1% each; a k-d tree finds the
 * others; the paper's local density cuts at 4 h, which costs twice the time in 4 dimensions).
 * From each row, the DENCLUE 2.0 step x <- sum_i K(x, x_i) x_i / sum_i K(x, x_i) climbs to a
 * density attractor; it stops when a step is shorter than tol * h, or after max_iter steps. A
 * row whose attractor has f below xi is noise (label -1). Attractors within h of each other
 * are joined (transitively), and each joined set is a cluster: the paper's
 * arbitrary-shape clusters, whose attractors are linked by paths of high density, approximated
 * by chains of nearby attractors. Clusters are numbered in the order of their lowest row.
 *
 * A climb sums the kernel over every row near its path, so climbing from all of n rows costs
 * about n^2 kernel terms (100,000 customers: minutes). A table of more than max_climbs rows is
 * climbed from a seeded uniform sample of that many rows, on the density of the sample
 * (scaled by n / max_climbs, so xi keeps its meaning); the sample's attractors make the model,
 * and every other row is labelled as crm_denclue_assign labels a new customer. The cost is
 * then that of max_climbs rows plus one nearest-attractor search per row.
 *
 * The model keeps a few attractors per cluster (none closer than h / 2 to another kept one of
 * its cluster) and each cluster's reach (the largest distance from one of its rows to its
 * attractor, plus h / 2: the row's own attractor may not be one of those kept). Assign: the cluster
 * of the nearest kept attractor when the row is within that cluster's reach of it, else noise. This
 * stands in for climbing from the new row, which would need the training rows; on the training rows
 * it agrees with the fit except near the edges of clusters.
 *
 * Thread safety: a fitted crm_denclue is read-only. Same data, same result, whatever the
 * number of threads. */
#ifndef CRMKIT_DENCLUE_H
#define CRMKIT_DENCLUE_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_denclue crm_denclue; /* opaque */

#define CRM_DENCLUE_MAX_CLIMBS 20000

typedef struct crm_denclue_params { /* transparent; start from crm_denclue_params_default() */
    double h;                       /* kernel width, > 0 (default 0.5) */
    double xi;                      /* least density of an attractor, >= 0 (default 5: as if
                                       five rows sat on it) */
    double tol;                     /* step length that stops the climb, in units of h (1e-2) */
    int32_t max_iter;               /* steps per climb at most, >= 1 (default 100) */
    int32_t n_threads;              /* 0 = OpenMP default; never changes results */
    int64_t max_climbs;             /* climb from at most this many rows (see above; default
                                       CRM_DENCLUE_MAX_CLIMBS; 0: from every row) */
    uint64_t seed;                  /* of the sample (default 0) */
} crm_denclue_params;

CRM_API crm_denclue_params crm_denclue_params_default(void);
CRM_API crm_status crm_denclue_params_check(const crm_denclue_params *p, crm_error *err);
/** Errors: CRM_EINVAL, CRM_EDATA (no rows, a value that is not finite), CRM_ENOMEM,
 *  CRM_ECANCELLED. */
CRM_API crm_status crm_denclue_fit(const crm_denclue_params *p,
                                   const crm_matrix *x,
                                   const crm_progress *progress,
                                   crm_denclue **out,
                                   crm_error *err);
CRM_API void crm_denclue_free(crm_denclue *d); /* NULL is a no-op */
/** See above; dist (may be NULL) gets the squared distance to the nearest kept attractor. */
CRM_API crm_status crm_denclue_assign(const crm_denclue *d,
                                      const crm_matrix *x,
                                      int32_t *labels,
                                      double *dist,
                                      crm_error *err);
CRM_API int32_t crm_denclue_k(const crm_denclue *d); /* clusters (noise not counted) */
CRM_API int32_t crm_denclue_dim(const crm_denclue *d);
CRM_API int32_t crm_denclue_n_attractors(const crm_denclue *d); /* kept */
CRM_API crm_denclue_params crm_denclue_params_used(const crm_denclue *d);
CRM_API const int32_t *crm_denclue_labels(const crm_denclue *d); /* training; NULL after load */
/** Save into section "denclue" (kept attractors, their clusters, the reaches) / load it. */
CRM_API crm_status crm_denclue_save(const crm_denclue *d, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_denclue_load(const crm_model_reader *r, crm_denclue **out, crm_error *err);

#endif
