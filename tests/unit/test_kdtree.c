/* test_kdtree.c: the k-d tree of DBSCAN, BIRCH and DENCLUE on rows in orders that defeat a
 * middle pivot (a column that rises then falls, sorted, ties): the build stays O(n log n) in
 * rows swapped (a middle pivot swapped about n^2 / 4 on the rising-and-falling column: 7.7 s
 * for 40,000 rows), and counts and nearest rows equal brute force. */
#include <math.h>
#include <stdlib.h>

#include <crmkit/rng.h>

#include "cluster/cluster_internal.h"
#include "crm_test.h"

enum {
    ORGAN,
    SORTED,
    TIES,
    RANDOM,
    N_ORDERS
};

static void fill(double *x, int64_t n, int order, crm_rng *rng)
{
    for (int64_t i = 0; i < n; i++) {
        double v = order == ORGAN    ? (double)(i < n / 2 ? i : n - i)
                   : order == SORTED ? (double)i
                   : order == TIES   ? (double)crm_rng_below(rng, 3)
                                     : crm_rng_uniform(rng) * (double)n;
        x[2 * i] = v;
        x[2 * i + 1] = (double)(i % 7) * 0.001; /* narrow: the splits are on the first column */
    }
}

static void build_is_n_log_n(void **state)
{
    int64_t n = 30000;
    double *x = malloc((size_t)n * 2 * sizeof *x);
    crm_rng rng;
    crm_error err;
    (void)state;
    assert_non_null(x);
    crm_rng_seed(&rng, 5);
    for (int order = 0; order < N_ORDERS; order++) {
        crm__kdtree *t = NULL;
        fill(x, n, order, &rng);
        assert_int_equal(crm__kdtree_build(x, n, 2, &t, &err), CRM_OK);
        /* about 15 levels, each selection a few passes over its rows */
        assert_true(crm__kdtree_row_swaps(t) < 8 * n * 15);
        crm__kdtree_free(t);
    }
    free(x);
}

static void queries_match_brute_force(void **state)
{
    int64_t n = 3000;
    double *x = malloc((size_t)n * 2 * sizeof *x);
    crm_rng rng;
    crm_error err;
    (void)state;
    assert_non_null(x);
    crm_rng_seed(&rng, 9);
    for (int order = 0; order < N_ORDERS; order++) {
        crm__kdtree *t = NULL;
        fill(x, n, order, &rng);
        assert_int_equal(crm__kdtree_build(x, n, 2, &t, &err), CRM_OK);
        for (int64_t q = 0; q < n; q += 37) {
            double r2 = order == TIES ? 0.5 : 30.0;
            int64_t count = 0;
            int64_t best = -1;
            double best_d2 = HUGE_VAL;
            double d2;
            for (int64_t i = 0; i < n; i++) {
                double a = x[2 * i] - x[2 * q], b = x[2 * i + 1] - x[2 * q + 1];
                double e = a * a + b * b;
                count += e <= r2;
                if (e <= r2 && e < best_d2) { /* ties: the lowest row */
                    best_d2 = e;
                    best = i;
                }
            }
            assert_int_equal(crm__kdtree_count(t, x + 2 * q, r2, n + 1), count);
            assert_int_equal(crm__kdtree_nearest(t, x + 2 * q, r2, &d2), best);
            assert_true(d2 == best_d2);
        }
        crm__kdtree_free(t);
    }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_is_n_log_n),
        cmocka_unit_test(queries_match_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
