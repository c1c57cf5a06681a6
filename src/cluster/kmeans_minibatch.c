/* kmeans_minibatch.c: mini-batch k-means (crmkit/minibatch.h), Sculley 2010, algorithm 1:
 * for each batch, every row's nearest centre is found first (against the centres as they were
 * at the start of the batch), then the rows update their centres one by one in batch order,
 * centre c moving by 1 / v[c] towards each row, v[c] counting the rows c has taken. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>
#include <crmkit/minibatch.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"

crm_minibatch_params crm_minibatch_params_default(void)
{
    crm_minibatch_params p;
    memset(&p, 0, sizeof p);
    p.batch = 4096;
    p.n_batches = 100;
    return p;
}

static int32_t nearest(const double *row, const double *centres, int32_t k, int64_t dim)
{
    int32_t best = 0;
    double best_d = 0;
    for (int32_t c = 0; c < k; c++) {
        const double *z = centres + (int64_t)c * dim;
        double d = 0;
        for (int64_t j = 0; j < dim; j++) {
            double t = row[j] - z[j];
            d += t * t;
        }
        if (c == 0 || d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

crm_status crm_minibatch_refine(const crm_matrix *x,
                                int32_t k,
                                double *centres,
                                const crm_minibatch_params *p,
                                crm_error *err)
{
    int64_t dim = x->n_cols;
    int64_t *rows;
    int32_t *near;
    int64_t *seen;
    crm_rng rng;
    int nt = 1;
    if (p->batch < 1 || p->n_batches < 1 || k < 1 || x->n_rows < 1 || dim < 1) {
        return crm__error_set(err, CRM_EINVAL,
                              "mini-batch k-means needs batch >= 1, batches >= 1, k >= 1 and rows");
    }
    rows = crm_mallocarray((size_t)p->batch, sizeof *rows);
    near = crm_mallocarray((size_t)p->batch, sizeof *near);
    seen = crm_calloc((size_t)k, sizeof *seen);
    if (rows == NULL || near == NULL || seen == NULL) {
        crm_free(rows);
        crm_free(near);
        crm_free(seen);
        return crm__error_nomem(err);
    }
#ifdef _OPENMP
    nt = p->n_threads > 0 ? p->n_threads : omp_get_max_threads();
#endif
    crm_rng_seed_stream(&rng, p->seed, UINT64_C(0x4d494e4942)); /* "MINIB" */
    for (int32_t b = 0; b < p->n_batches; b++) {
        int32_t m = p->batch;
        for (int32_t i = 0; i < m; i++) {
            rows[i] = (int64_t)crm_rng_below(&rng, (uint64_t)x->n_rows);
        }
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && m >= 1024)
        for (int32_t i = 0; i < m; i++) {
            near[i] = nearest(CRM_ROW(x, rows[i]), centres, k, dim);
        }
        for (int32_t i = 0; i < m; i++) {
            double *z = centres + (int64_t)near[i] * dim;
            const double *row = CRM_ROW(x, rows[i]);
            double eta = 1.0 / (double)(++seen[near[i]]);
            for (int64_t j = 0; j < dim; j++) {
                z[j] = (1.0 - eta) * z[j] + eta * row[j];
            }
        }
    }
    crm_free(rows);
    crm_free(near);
    crm_free(seen);
    return CRM_OK;
}
