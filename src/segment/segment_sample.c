/* segment_sample.c: the sample that k is chosen on for large tables. Selection sampling
 * (Knuth, TAOCP vol. 2, 3.4.2, algorithm S) draws m of n rows, each subset equally likely, in
 * table order, from one seeded stream: the sample depends on the seed only, never on the
 * number of threads. */
#include <string.h>

#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "prep/prep_rows.h"
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

/* Selection sampling over x (double; with rows, its first x->n_rows rows), xf (float, n x
 * dim) or rows cleaned from a table. */
static crm_status draw(const crm_matrix *x,
                       const float *xf,
                       const crm__prep_rows *rows,
                       int64_t n,
                       int64_t dim,
                       int64_t m,
                       uint64_t seed,
                       crm_matrix *xs,
                       crm_error *err)
{
    crm_rng rng;
    int64_t got = 0;
    crm_status rc = crm_matrix_init(xs, m, dim, err);
    if (rc != CRM_OK) {
        return rc;
    }
    /* a stream of its own, so the sample does not shift k-means' own draws */
    crm_rng_seed_stream(&rng, seed, UINT64_C(0x53414d504c45)); /* "SAMPLE" */
    for (int64_t i = 0; i < n && got < m; i++) {
        /* row i is taken with probability (m - got) / (n - i) */
        if ((int64_t)crm_rng_below(&rng, (uint64_t)(n - i)) < m - got) {
            if (rows != NULL && i >= x->n_rows) {
                crm__prep_counts counts = { 0, 0 };
                crm_matrix to = crm_matrix_rows(xs, got, 1);
                rc = crm__prep_rows_fill(rows, i, i + 1, &to, &counts, err);
                if (rc != CRM_OK) {
                    return rc;
                }
            } else if (xf == NULL) {
                memcpy(CRM_ROW(xs, got), CRM_ROW(x, i), (size_t)dim * sizeof(double));
            } else {
                double *to = CRM_ROW(xs, got);
                for (int64_t d = 0; d < dim; d++) {
                    to[d] = (double)xf[i * dim + d];
                }
            }
            got++;
        }
    }
    return CRM_OK;
}

crm_status
crm__segment_sample(const crm_matrix *x, int64_t m, uint64_t seed, crm_matrix *xs, crm_error *err)
{
    return draw(x, NULL, NULL, x->n_rows, x->n_cols, m, seed, xs, err);
}

crm_status crm__segment_sample_f32(const float *xf,
                                   int64_t n,
                                   int64_t dim,
                                   int64_t m,
                                   uint64_t seed,
                                   crm_matrix *xs,
                                   crm_error *err)
{
    return draw(NULL, xf, NULL, n, dim, m, seed, xs, err);
}

crm_status crm__segment_sample_rows(const crm__prep_rows *rows,
                                    const crm_matrix *head,
                                    int64_t n,
                                    int64_t m,
                                    uint64_t seed,
                                    crm_matrix *xs,
                                    crm_error *err)
{
    return draw(head, NULL, rows, n, head->n_cols, m, seed, xs, err);
}
