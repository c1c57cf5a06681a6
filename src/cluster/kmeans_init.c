/* kmeans_init.c: seeding for k-means.
 *
 * Greedy k-means++ as scikit-learn does it (_kmeans_plusplus): the first centre is a uniform
 * row; each next centre is the best of 2 + floor(ln k) candidates drawn with probability
 * proportional to D(x)^2, "best" meaning the lowest resulting potential (sum of D^2).
 * Arthur and Vassilvitskii, "k-means++: The Advantages of Careful Seeding", SODA 2007.
 * Distances are exact difference loops (not ||x||^2 - 2x.c + ||c||^2), so a row that equals
 * a centre has D = 0 exactly: a zero potential before k centres are chosen proves that the
 * data has fewer than k distinct rows. Potentials are summed per block in block order. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"

#define MAX_LOCAL 32

typedef struct pp_state {
    const crm_matrix *x;
    double *closest; /* n_rows: D^2 to the nearest chosen centre */
    double *bsum;    /* n_blocks: sum of closest per block */
    double *cpot;    /* n_blocks x MAX_LOCAL: candidate potentials per block */
    int64_t nb;
    int64_t b0, b1; /* this rank's blocks (all of them but under mpirun, replicated) */
    int nt;
} pp_state;

static int64_t block_end(const crm_matrix *x, int64_t b)
{
    int64_t r1 = (b + 1) * CRM_BLOCK_ROWS;
    return r1 < x->n_rows ? r1 : x->n_rows;
}

/* closest = min(closest, D^2 to c) (or = when first), block sums refreshed; returns pot. */
static double pp_update(pp_state *s, const double *c, int first, crm_status *st, crm_error *err)
{
    const crm_matrix *x = s->x;
    double pot = 0.0;
#pragma omp parallel for schedule(static) num_threads(s->nt)
    for (int64_t b = s->b0; b < s->b1; b++) {
        double sum = 0.0;
        for (int64_t i = b * CRM_BLOCK_ROWS; i < block_end(x, b); i++) {
            double d = crm__sq_dist(CRM_ROW(x, i), c, x->n_cols);
            if (first || d < s->closest[i]) {
                s->closest[i] = d;
            }
            sum += s->closest[i];
        }
        s->bsum[b] = sum;
    }
    /* every rank keeps closest of its own rows only; the block sums go to all */
    *st = crm__dist_share_run(s->bsum, sizeof(double), 1, s->nb, s->nb, err);
    for (int64_t b = 0; b < s->nb; b++) {
        pot += s->bsum[b];
    }
    return pot;
}

/* The block where the running sum of the block sums first exceeds r; *r becomes the rest. */
static int64_t pp_block(const pp_state *s, double *r)
{
    int64_t b = 0;
    while (b < s->nb - 1 && *r >= s->bsum[b]) {
        *r -= s->bsum[b];
        b++;
    }
    return b;
}

/* Row i of block b where the running sum of closest first exceeds r (a row with closest >
 * 0); when rounding pushed r past the block's end, the last row with weight (in the block,
 * else in the whole matrix). */
static int64_t pp_pick_in(const pp_state *s, int64_t b, double r)
{
    int64_t i;
    int64_t last_pos = -1;
    for (i = b * CRM_BLOCK_ROWS; i < block_end(s->x, b); i++) {
        if (s->closest[i] > 0.0) {
            last_pos = i;
            if (r < s->closest[i]) {
                return i;
            }
            r -= s->closest[i];
        }
    }
    /* Rounding pushed r past the end: take the last row with weight. */
    for (i = s->x->n_rows - 1; last_pos < 0 && i >= 0; i--) {
        if (s->closest[i] > 0.0) {
            last_pos = i;
        }
    }
    return last_pos;
}

/* The rows for n draws r[t] (D^2 sampling). Under mpirun (replicated) each rank looks in the
 * blocks it owns and one reduction gives every rank all rows; a draw that rounding pushed
 * past its block's rows (rare) is redone by every rank after gathering closest. */
static crm_status pp_pick(pp_state *s, const double *r, int n, int64_t *rows, crm_error *err)
{
    int64_t b[MAX_LOCAL];
    double rest[MAX_LOCAL];
    crm_status st;
    int redo = 0;
    for (int t = 0; t < n; t++) {
        rest[t] = r[t];
        b[t] = pp_block(s, &rest[t]);
    }
    if (!crm_dist_replicated()) {
        for (int t = 0; t < n; t++) {
            rows[t] = pp_pick_in(s, b[t], rest[t]);
        }
        return CRM_OK;
    }
    for (int t = 0; t < n; t++) {
        rows[t] = -2; /* not mine */
        if (b[t] >= s->b0 && b[t] < s->b1) {
            double rr = rest[t];
            rows[t] = -1; /* mine, not found within the block */
            for (int64_t i = b[t] * CRM_BLOCK_ROWS; i < block_end(s->x, b[t]); i++) {
                if (s->closest[i] > 0.0) {
                    if (rr < s->closest[i]) {
                        rows[t] = i;
                        break;
                    }
                    rr -= s->closest[i];
                }
            }
        }
    }
    st = crm_dist_allreduce_i64(rows, (size_t)n, CRM_DIST_MAX, err);
    for (int t = 0; st == CRM_OK && t < n; t++) {
        redo |= rows[t] < 0;
    }
    if (st == CRM_OK && redo) {
        st = crm__dist_share_run(s->closest, sizeof(double), CRM_BLOCK_ROWS, s->x->n_rows, s->nb,
                                 err);
        for (int t = 0; st == CRM_OK && t < n; t++) {
            if (rows[t] < 0) {
                rows[t] = pp_pick_in(s, b[t], rest[t]);
            }
        }
    }
    return st;
}

/* Potential after adding each candidate, per block, summed in block order into pots[]. */
static crm_status
pp_candidates(pp_state *s, const double *crow, int n_cand, double *pots, crm_error *err)
{
    const crm_matrix *x = s->x;
    crm_status st;
#pragma omp parallel for schedule(static) num_threads(s->nt)
    for (int64_t b = s->b0; b < s->b1; b++) {
        double acc[MAX_LOCAL] = { 0 };
        for (int64_t i = b * CRM_BLOCK_ROWS; i < block_end(x, b); i++) {
            for (int t = 0; t < n_cand; t++) {
                double d = crm__sq_dist(CRM_ROW(x, i), crow + t * x->n_cols, x->n_cols);
                acc[t] += d < s->closest[i] ? d : s->closest[i];
            }
        }
        for (int t = 0; t < n_cand; t++) {
            s->cpot[b * MAX_LOCAL + t] = acc[t];
        }
    }
    st = crm__dist_share_run(s->cpot, MAX_LOCAL * sizeof(double), 1, s->nb, s->nb, err);
    for (int t = 0; t < n_cand; t++) {
        pots[t] = 0.0;
        for (int64_t b = 0; b < s->nb; b++) {
            pots[t] += s->cpot[b * MAX_LOCAL + t];
        }
    }
    return st;
}

static crm_status too_few_distinct(crm_error *err, int32_t k, int32_t found)
{
    return crm__error_set(err, CRM_EDATA, "k = %d but the data has only %d distinct rows", (int)k,
                          (int)found);
}

crm_status crm__seed_plusplus(const crm_matrix *x,
                              int32_t k,
                              crm_rng *rng,
                              int nt,
                              double *centers,
                              crm_error *err)
{
    int64_t dim = x->n_cols;
    int n_local = 2 + (int)log((double)k);
    pp_state s;
    double *crow = NULL; /* the candidates' rows */
    crm_status st = CRM_OK;
    double pot;
    if (n_local > MAX_LOCAL) {
        n_local = MAX_LOCAL;
    }
    memset(&s, 0, sizeof s);
    s.x = x;
    s.nt = nt;
    s.nb = crm__n_blocks(x->n_rows);
    crm__dist_blocks(s.nb, &s.b0, &s.b1);
    s.closest = crm_mallocarray((size_t)x->n_rows, sizeof(double));
    s.bsum = crm_mallocarray((size_t)s.nb, sizeof(double));
    s.cpot = crm_mallocarray((size_t)s.nb * MAX_LOCAL, sizeof(double));
    crow = crm_mallocarray((size_t)MAX_LOCAL * (size_t)dim, sizeof(double));
    if (s.cpot != NULL) { /* unused slots travel in the gathers: keep them defined */
        memset(s.cpot, 0, (size_t)s.nb * MAX_LOCAL * sizeof(double));
    }
    st = !s.closest || !s.bsum || !s.cpot || !crow ? crm__error_nomem(err) : CRM_OK;
    if (crm_dist_local_rows()) {
        st = crm_dist_agree(st, err);
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    int64_t first = (int64_t)crm_rng_below(rng, (uint64_t)x->n_rows);
    st = crm__fetch_rows(x, &first, 1, centers, err); /* under local rows, from its holder */
    if (st != CRM_OK) {
        goto cleanup;
    }
    pot = pp_update(&s, centers, 1, &st, err);
    if (st != CRM_OK) {
        goto cleanup;
    }
    for (int32_t c = 1; c < k; c++) {
        int64_t cand[MAX_LOCAL];
        double pots[MAX_LOCAL];
        int best = 0;
        if (!(pot > 0.0)) {
            st = too_few_distinct(err, k, c);
            goto cleanup;
        }
        double draw[MAX_LOCAL];
        for (int t = 0; t < n_local; t++) {
            draw[t] = crm_rng_uniform(rng) * pot;
        }
        st = pp_pick(&s, draw, n_local, cand, err);
        if (st == CRM_OK) {
            st = crm__fetch_rows(x, cand, n_local, crow, err);
        }
        if (st != CRM_OK) {
            goto cleanup;
        }
        st = pp_candidates(&s, crow, n_local, pots, err);
        if (st != CRM_OK) {
            goto cleanup;
        }
        for (int t = 1; t < n_local; t++) {
            if (pots[t] < pots[best]) {
                best = t;
            }
        }
        memcpy(centers + c * dim, crow + best * dim, (size_t)dim * sizeof(double));
        pot = pp_update(&s, centers + c * dim, 0, &st, err);
        if (st != CRM_OK) {
            goto cleanup;
        }
    }
cleanup:
    crm_free(s.closest);
    crm_free(s.bsum);
    crm_free(s.cpot);
    crm_free(crow);
    return st;
}

static int row_equals(const double *a, const double *b, int64_t dim)
{
    for (int64_t d = 0; d < dim; d++) {
        if (a[d] != b[d]) {
            return 0;
        }
    }
    return 1;
}

crm_status
crm__seed_random(const crm_matrix *x, int32_t k, crm_rng *rng, double *centers, crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    int32_t have = 0;
    int64_t *idx = crm_mallocarray((size_t)n, sizeof(int64_t));
    double *row = crm_mallocarray((size_t)dim, sizeof(double));
    crm_status st = idx == NULL || row == NULL ? crm__error_nomem(err) : CRM_OK;
    if (crm_dist_local_rows()) {
        st = crm_dist_agree(st, err);
    }
    if (st != CRM_OK) {
        crm_free(idx);
        crm_free(row);
        return st;
    }
    for (int64_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    /* Lazy Fisher-Yates: draw rows without replacement until k distinct values are found. */
    for (int64_t i = 0; st == CRM_OK && i < n && have < k; i++) {
        int64_t j = i + (int64_t)crm_rng_below(rng, (uint64_t)(n - i));
        int64_t tmp = idx[i];
        int dup = 0;
        idx[i] = idx[j];
        idx[j] = tmp;
        st = crm__fetch_rows(x, &idx[i], 1, row, err); /* under local rows, from its holder */
        for (int32_t c = 0; st == CRM_OK && c < have && !dup; c++) {
            dup = row_equals(row, centers + c * dim, dim);
        }
        if (st == CRM_OK && !dup) {
            memcpy(centers + have * dim, row, (size_t)dim * sizeof(double));
            have++;
        }
    }
    crm_free(idx);
    crm_free(row);
    if (st != CRM_OK) {
        return st;
    }
    if (have < k) {
        return too_few_distinct(err, k, have);
    }
    return CRM_OK;
}
