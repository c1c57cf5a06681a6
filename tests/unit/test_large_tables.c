/* test_large_tables.c: the pieces behind large tables. gen customers made part by part gives
 * the rows of the whole table; mini-batch k-means moves centres to the means of well
 * separated groups and does not depend on the threads; the drift reference's quantile edges
 * (found by selection, not a sort) equal numpy's "linear" quantiles of the sorted values, on
 * data full of ties. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/drift.h>
#include <crmkit/gen.h>
#include <crmkit/minibatch.h>
#include <crmkit/rng.h>

#include "crm_test.h"

static void test_gen_parts(void **state)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    crm_table *whole = NULL;
    crm_table *part = NULL;
    crm_error err;
    (void)state;
    p.n_rows = 12000;
    p.seed = 11;
    assert_int_equal(crm_gen_customers(&p, &whole, NULL), CRM_OK);
    assert_int_equal(crm_gen_customers_part(&p, 4096, 5000, &part, NULL), CRM_OK);
    assert_int_equal(crm_table_n_rows(part), 5000);
    assert_int_equal(crm_table_n_cols(part), crm_table_n_cols(whole));
    for (int32_t j = 0; j < crm_table_n_cols(whole); j++) {
        const double *a = crm_table_numeric(whole, j);
        const double *b = crm_table_numeric(part, j);
        for (int64_t i = 0; i < 5000; i++) {
            if (a != NULL) {
                assert_true(memcmp(&a[4096 + i], &b[i], sizeof(double)) == 0);
            } else {
                int32_t ca = crm_table_codes(whole, j)[4096 + i];
                int32_t cb = crm_table_codes(part, j)[i];
                assert_int_equal(ca < 0, cb < 0);
                if (ca >= 0) {
                    assert_string_equal(crm_table_level(whole, j, ca),
                                        crm_table_level(part, j, cb));
                }
            }
        }
    }
    assert_string_equal(crm_table_level(part, 0, crm_table_codes(part, 0)[0]), "S0004097");
    crm_table_free(part);
    part = NULL;
    /* not at a block start, or past the end */
    assert_int_equal(crm_gen_customers_part(&p, 100, 10, &part, &err), CRM_EINVAL);
    assert_int_equal(crm_gen_customers_part(&p, 8192, 5000, &part, &err), CRM_EINVAL);
    assert_null(part);
    crm_table_free(whole);
}

/* 3 groups of 2000 rows around (0,0), (10,0) and (0,10), spread uniform in [-1, 1]. */
static void blobs(crm_matrix *x)
{
    static const double at[3][2] = { { 0, 0 }, { 10, 0 }, { 0, 10 } };
    crm_rng rng;
    crm_rng_seed(&rng, 5);
    assert_int_equal(crm_matrix_init(x, 6000, 2, NULL), CRM_OK);
    for (int64_t i = 0; i < 6000; i++) {
        CRM_ROW(x, i)[0] = at[i % 3][0] + 2 * crm_rng_uniform(&rng) - 1;
        CRM_ROW(x, i)[1] = at[i % 3][1] + 2 * crm_rng_uniform(&rng) - 1;
    }
}

static void test_minibatch(void **state)
{
    crm_matrix x;
    crm_minibatch_params p = crm_minibatch_params_default();
    double c1[6] = { 2, 2, 8, 2, 2, 8 };
    double c2[6] = { 2, 2, 8, 2, 2, 8 };
    crm_error err;
    (void)state;
    blobs(&x);
    p.batch = 512;
    p.n_batches = 60;
    p.seed = 3;
    p.n_threads = 1;
    assert_int_equal(crm_minibatch_refine(&x, 3, c1, &p, NULL), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_minibatch_refine(&x, 3, c2, &p, NULL), CRM_OK);
    assert_memory_equal(c1, c2, sizeof c1);
    /* each centre near its group's mean (the running mean of about 10,000 draws of it) */
    crm_assert_close(c1[0], 0, 0, 0.1);
    crm_assert_close(c1[1], 0, 0, 0.1);
    crm_assert_close(c1[2], 10, 0, 0.1);
    crm_assert_close(c1[3], 0, 0, 0.1);
    crm_assert_close(c1[4], 0, 0, 0.1);
    crm_assert_close(c1[5], 10, 0, 0.1);
    p.batch = 0;
    assert_int_equal(crm_minibatch_refine(&x, 3, c1, &p, &err), CRM_EINVAL);
    crm_matrix_fini(&x);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_drift_edges_by_sort(void **state)
{
    enum {
        N = 20011
    };
    double *v = malloc(N * sizeof *v);
    double *s = malloc(N * sizeof *s);
    const char *feat[] = { "x" };
    crm_table *t = NULL;
    crm_drift_ref *d = NULL;
    crm_rng rng;
    int32_t n_edges = 0;
    const double *edges;
    int32_t m = 0;
    double last = -INFINITY;
    int32_t k = 0;
    (void)state;
    assert_non_null(v);
    assert_non_null(s);
    crm_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++) { /* few distinct values, a skewed tail, some missing */
        double u = crm_rng_uniform(&rng);
        v[i] = u < 0.05
                   ? (double)NAN
                   : (u < 0.6 ? (double)crm_rng_below(&rng, 7) : exp(3 * crm_rng_uniform(&rng)));
    }
    assert_int_equal(crm_table_new(N, "t.csv", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", v, NULL), CRM_OK);
    assert_int_equal(crm_drift_ref_fit(t, feat, 1, 10, &d, NULL), CRM_OK);
    edges = crm_drift_ref_edges(d, 0, &n_edges);
    for (int i = 0; i < N; i++) {
        if (!isnan(v[i])) {
            s[m++] = v[i];
        }
    }
    qsort(s, (size_t)m, sizeof *s, cmp_d);
    for (int32_t i = 1; i < 10; i++) { /* numpy "linear", equal edges kept once */
        double pos = (double)i / 10.0 * (double)(m - 1);
        int64_t lo = (int64_t)floor(pos);
        double e = lo + 1 < m ? s[lo] + (pos - (double)lo) * (s[lo + 1] - s[lo]) : s[lo];
        if (e > last) {
            assert_true(k < n_edges);
            assert_true(memcmp(&edges[k], &e, sizeof e) == 0);
            last = e;
            k++;
        }
    }
    assert_int_equal(k, n_edges);
    crm_drift_ref_free(d);
    crm_table_free(t);
    free(v);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_parts),
        cmocka_unit_test(test_minibatch),
        cmocka_unit_test(test_drift_edges_by_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
