/* test_validity.c: validity indices against scikit-learn golden values and a hand example,
 * sampling beyond the exact size, determinism across thread counts, bad input and OOM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/validity.h>

#include "crm_test.h"
#include "golden_cluster.h"

static void check_golden(const char *labels_file, const char *name)
{
    crm_matrix x;
    long n;
    int32_t *labels = golden_labels(labels_file, &n);
    crm_validity v;
    crm_validity_params p = crm_validity_params_default();
    crm_error err;
    char key[128];
    golden_matrix("lloyd_x.csv", &x);
    assert_int_equal(n, x.n_rows);
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_OK);
    assert_int_equal(v.sampled, 0);
    assert_int_equal(v.pairwise_rows, x.n_rows);
    snprintf(key, sizeof key, "validity_%s_db", name);
    crm_assert_close(v.db, golden_value(key), 1e-9, 0);
    snprintf(key, sizeof key, "validity_%s_silhouette", name);
    crm_assert_close(v.silhouette, golden_value(key), 1e-9, 0);
    snprintf(key, sizeof key, "validity_%s_ch", name);
    crm_assert_close(v.ch, golden_value(key), 1e-9, 0);
    free(labels);
    crm_matrix_fini(&x);
}

static void validity_matches_scikit_learn_scores(void **state)
{
    (void)state;
    check_golden("lloyd_labels_tol0.csv", "kmeans");
    check_golden("validity_labels_random.csv", "random");
}

/* 1-D: cluster 5 = {0, 2}, cluster 9 = {10, 12, 14}. Values worked out by hand. */
static void validity_hand_example(void **state)
{
    double pts[5] = { 0, 2, 10, 12, 14 };
    int32_t labels[5] = { 5, 5, 9, 9, 9 };
    crm_matrix x = { 5, 1, 1, pts };
    crm_validity v;
    crm_validity_params p = crm_validity_params_default();
    (void)state;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, NULL), CRM_OK);
    assert_int_equal(v.k, 2);
    crm_assert_close(v.sse, 10.0, 1e-15, 0);
    crm_assert_close(v.cp, 7.0 / 6.0, 1e-15, 0);
    crm_assert_close(v.sp, 11.0, 1e-15, 0);
    crm_assert_close(v.dunn, 2.0, 1e-15, 0);
    crm_assert_close(v.db, 7.0 / 33.0, 1e-15, 0);
    crm_assert_close(v.ch, 43.56, 1e-13, 0);
    crm_assert_close(v.silhouette, (5.0 / 6 + 4.0 / 5 + 2.0 / 3 + 9.0 / 11 + 10.0 / 13) / 5, 1e-15,
                     0);
}

static void validity_samples_beyond_exact_size_and_is_thread_independent(void **state)
{
    crm_matrix x;
    long n;
    int32_t *labels = golden_labels("lloyd_labels_tol0.csv", &n);
    crm_validity a;
    crm_validity b;
    crm_validity exact;
    crm_validity_params p = crm_validity_params_default();
    (void)state;
    golden_matrix("lloyd_x.csv", &x);
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &exact, NULL), CRM_OK);
    p.exact_max_rows = 1000;
    p.sample_rows = 700;
    p.seed = 5;
    p.n_threads = 1;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &a, NULL), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &b, NULL), CRM_OK);
    assert_int_equal(a.sampled, 1);
    assert_int_equal(a.pairwise_rows, 700);
    assert_memory_equal(&a, &b, sizeof a);
    /* Centroid indices are always exact; the sampled silhouette is close to the exact one. */
    assert_memory_equal(&a.db, &exact.db, sizeof a.db);
    assert_true(fabs(a.silhouette - exact.silhouette) < 0.03);
    assert_true(a.silhouette != exact.silhouette);
    assert_true(a.dunn >= exact.dunn);
    p.seed = 6;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &b, NULL), CRM_OK);
    assert_true(a.silhouette != b.silhouette);
    free(labels);
    crm_matrix_fini(&x);
}

static void validity_rejects_bad_input(void **state)
{
    double pts[4] = { 0, 1, 2, NAN };
    int32_t labels[4] = { 0, 0, 1, 1 };
    crm_matrix x = { 3, 1, 1, pts };
    crm_validity v;
    crm_validity_params p = crm_validity_params_default();
    crm_error err;
    (void)state;
    labels[1] = -2;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "row 2"));
    labels[1] = 0;
    labels[2] = 0;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "1 distinct labels"));
    labels[1] = 1;
    labels[2] = 2;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_EDATA);
    x.n_rows = 4;
    labels[2] = 1;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 4"));
    p.sample_rows = 1;
    assert_int_equal(crm_validity_compute(&x, labels, &p, NULL, &v, &err), CRM_EINVAL);
    assert_string_equal(err.field, "sample_rows");
}

static void validity_survives_every_allocation_failure(void **state)
{
    crm_matrix x;
    long n;
    int32_t *labels = golden_labels("validity_labels_random.csv", &n);
    crm_matrix small;
    int finished = 0;
    (void)state;
    golden_matrix("lloyd_x.csv", &x);
    small = crm_matrix_rows(&x, 0, 200);
    for (long f = 0; f < 100 && !finished; f++) {
        crm_validity v;
        crm_validity_params p = crm_validity_params_default();
        crm_status st;
        p.exact_max_rows = 100;
        p.sample_rows = 50;
        crm_test_fail_after(f);
        st = crm_validity_compute(&small, labels, &p, NULL, &v, NULL);
        assert_true(st == CRM_OK || st == CRM_ENOMEM);
        finished = st == CRM_OK;
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(finished);
    free(labels);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validity_matches_scikit_learn_scores),
        cmocka_unit_test(validity_hand_example),
        cmocka_unit_test(validity_samples_beyond_exact_size_and_is_thread_independent),
        cmocka_unit_test(validity_rejects_bad_input),
        cmocka_unit_test(validity_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
