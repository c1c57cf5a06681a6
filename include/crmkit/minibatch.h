/* crmkit/minibatch.h: mini-batch k-means (D. Sculley, "Web-scale k-means clustering", WWW
 * 2010): centres moved towards rows drawn in small random batches, each centre with its own
 * learning rate 1 / (rows it has taken so far). A pass costs batch x k instead of n x k, so
 * it refines centres on tables far larger than a Lloyd iteration can afford to visit many
 * times; crmkit always follows it with Lloyd iterations over every row.
 *
 * Rows of a batch are drawn from one seeded stream and the centres are updated in the
 * batch's order: the result depends on the seed only, never on the number of threads (the
 * nearest centres of a batch are found in parallel; that part has no order). */
#ifndef CRMKIT_MINIBATCH_H
#define CRMKIT_MINIBATCH_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/status.h>

typedef struct crm_minibatch_params { /* transparent; start from _params_default() */
    int32_t batch;                    /* rows per batch, >= 1 (default 4096) */
    int32_t n_batches;                /* batches, >= 1 (default 100) */
    uint64_t seed;                    /* default 0 */
    int32_t n_threads;                /* 0 = OpenMP default; never changes results */
} crm_minibatch_params;

CRM_API crm_minibatch_params crm_minibatch_params_default(void);

/** Refine the k x x->n_cols centres (row-major, updated in place) with p->n_batches batches of
 *  x's rows. Errors: CRM_EINVAL (bad params, k < 1, empty x), CRM_ENOMEM. */
CRM_API crm_status crm_minibatch_refine(const crm_matrix *x,
                                        int32_t k,
                                        double *centres,
                                        const crm_minibatch_params *p,
                                        crm_error *err);

#endif
