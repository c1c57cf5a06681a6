/* segment_sample.c: the sample that k is chosen on for large tables. Selection sampling
 * (Knuth, TAOCP vol. 2, 3.4.2, algorithm S) draws m of n rows, each subset equally likely, in
 * table order, from one seeded stream: the sample depends on the seed only, never on the
 * number of threads. */
#include <string.h>

#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "segment_internal.h"

int64_t crm__segment_sample_size(const crm_segment_params *p, int64_t n)
{
    if (p->algo != CRM_SEGMENT_ALGO_KMEANS || p->init_centers != NULL || p->sample < 0) {
        return 0;
    }
    if (p->sample == 0) {
        return n > CRM_SEGMENT_SAMPLE_FROM ? CRM_SEGMENT_SAMPLE_ROWS : 0;
    }
    return n > p->sample ? p->sample : 0;
}

crm_status crm__segment_sample(const crm_matrix *x,
                               int64_t m,
                               uint64_t seed,
                               crm_matrix *xs,
                               crm_error *err)
{
    crm_rng rng;
    int64_t n = x->n_rows;
    int64_t got = 0;
    crm_status rc = crm_matrix_init(xs, m, x->n_cols, err);
    if (rc != CRM_OK) {
        return rc;
    }
    /* a stream of its own, so the sample does not shift k-means' own draws */
    crm_rng_seed_stream(&rng, seed, UINT64_C(0x53414d504c45)); /* "SAMPLE" */
    for (int64_t i = 0; i < n && got < m; i++) {
        /* row i is taken with probability (m - got) / (n - i) */
        if ((int64_t)crm_rng_below(&rng, (uint64_t)(n - i)) < m - got) {
            memcpy(CRM_ROW(xs, got), CRM_ROW(x, i), (size_t)x->n_cols * sizeof(double));
            got++;
        }
    }
    return CRM_OK;
}
