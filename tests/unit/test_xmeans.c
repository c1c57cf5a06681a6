/* test_xmeans.c: the X-means BIC (worked example of docs/algorithms/xmeans.md), recovery of
 * the true k on separated Gaussian blobs, the elbow knee, determinism, bad input and OOM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rng.h>
#include <crmkit/xmeans.h>

#include "crm_test.h"

/* n rows around n_centres well separated centres (10 apart along the first column). */
static void
make_blobs(crm_matrix *x, int64_t n, int64_t dim, int n_centres, uint64_t seed, int32_t *truth)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, dim, NULL), CRM_OK);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % n_centres);
        for (int64_t d = 0; d < dim; d++) {
            double centre = 10.0 * (double)(((c + 1) * (d + 3) * 7) % 11);
            CRM_ROW(x, i)[d] = centre + crm_rng_normal(&rng);
        }
        if (truth != NULL) {
            truth[i] = c;
        }
    }
}

static void same_partition(const int32_t *a, const int32_t *truth, int64_t n, int k)
{
    int32_t map[64];
    for (int j = 0; j < k; j++) {
        map[j] = -1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (map[truth[i]] < 0) {
            map[truth[i]] = a[i];
        }
        assert_int_equal(map[truth[i]], a[i]);
    }
}

/* The worked example of docs/algorithms/xmeans.md. */
static void xmeans_bic_matches_worked_example(void **state)
{
    double pts[16] = { 0, 0, 0, 2, 2, 0, 2, 2, 10, 10, 10, 12, 12, 10, 12, 12 };
    crm_matrix x = { 8, 2, 2, pts };
    int32_t two[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
    int32_t one[8] = { 0 };
    double c2[4] = { 1, 1, 11, 11 };
    double c1[2] = { 6, 6 };
    double bic;
    crm_error err;
    (void)state;
    assert_int_equal(crm_xmeans_bic(&x, two, c2, 2, &bic, &err), CRM_OK);
    crm_assert_close(bic, -34.78797518040808, 1e-13, 0);
    assert_int_equal(crm_xmeans_bic(&x, one, c1, 1, &bic, &err), CRM_OK);
    crm_assert_close(bic, -51.95520228896255, 1e-13, 0);
    two[3] = 2;
    assert_int_equal(crm_xmeans_bic(&x, two, c2, 2, &bic, &err), CRM_EINVAL);
    x.n_rows = 2;
    assert_int_equal(crm_xmeans_bic(&x, one, c1, 2, &bic, &err), CRM_EDATA);
}

static void xmeans_recovers_true_k_on_separated_blobs(void **state)
{
    static const struct {
        int k;
        int dim;
        int kmin;
    } cases[] = { { 5, 4, 2 }, { 8, 3, 2 }, { 3, 8, 1 }, { 2, 2, 1 } };
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        crm_matrix x;
        int32_t *truth = malloc(4000 * sizeof(int32_t));
        crm_xmeans_params p = crm_xmeans_params_default();
        crm_xmeans_result res;
        crm_kmeans *km = NULL;
        make_blobs(&x, 4000, cases[c].dim, cases[c].k, 100 + c, truth);
        p.kmin = cases[c].kmin;
        p.kmax = 16;
        p.seed = 3;
        assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, &res, NULL), CRM_OK);
        assert_int_equal(res.k, cases[c].k);
        assert_int_equal(crm_kmeans_k(km), cases[c].k);
        assert_true(res.n_rounds >= 1);
        same_partition(crm_kmeans_labels(km), truth, x.n_rows, cases[c].k);
        {
            double bic;
            assert_int_equal(crm_xmeans_bic(&x, crm_kmeans_labels(km), crm_kmeans_centers(km),
                                            res.k, &bic, NULL),
                             CRM_OK);
            crm_assert_close(bic, res.bic, 1e-9, 0);
        }
        crm_kmeans_free(km);
        free(truth);
        crm_matrix_fini(&x);
    }
}

static void xmeans_is_bit_identical_with_1_and_2_threads(void **state)
{
    crm_matrix x;
    crm_kmeans *a = NULL;
    crm_kmeans *b = NULL;
    crm_xmeans_params p = crm_xmeans_params_default();
    crm_xmeans_result ra;
    crm_xmeans_result rb;
    (void)state;
    make_blobs(&x, 2 * 4096 + 77, 3, 6, 9, NULL);
    p.n_threads = 1;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &a, &ra, NULL), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &b, &rb, NULL), CRM_OK);
    assert_int_equal(ra.k, rb.k);
    assert_int_equal(ra.n_rounds, rb.n_rounds);
    assert_memory_equal(&ra.bic, &rb.bic, sizeof ra.bic);
    assert_memory_equal(crm_kmeans_centers(a), crm_kmeans_centers(b),
                        (size_t)ra.k * 3 * sizeof(double));
    assert_memory_equal(crm_kmeans_labels(a), crm_kmeans_labels(b),
                        (size_t)x.n_rows * sizeof(int32_t));
    crm_kmeans_free(a);
    crm_kmeans_free(b);
    crm_matrix_fini(&x);
}

static void xmeans_rejects_bad_input(void **state)
{
    crm_matrix x;
    crm_kmeans *km = NULL;
    crm_xmeans_params p = crm_xmeans_params_default();
    crm_error err;
    (void)state;
    make_blobs(&x, 10, 2, 2, 1, NULL);
    p.kmax = 1;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, NULL, &err), CRM_EINVAL);
    assert_string_equal(err.field, "kmax");
    p = crm_xmeans_params_default();
    p.kmin = 0;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, NULL, &err), CRM_EINVAL);
    p.kmin = 11;
    p.kmax = 20;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, NULL, &err), CRM_EDATA);
    p.kmin = 2;
    CRM_ROW(&x, 3)[0] = NAN;
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, NULL, &err), CRM_EDATA);
    assert_null(km);
    /* Duplicated rows: X-means stops splitting instead of failing. */
    for (int i = 0; i < 10; i++) {
        CRM_ROW(&x, i)[0] = (double)(i % 2);
        CRM_ROW(&x, i)[1] = 0.0;
    }
    assert_int_equal(crm_xmeans_fit(&p, &x, NULL, &km, NULL, &err), CRM_OK);
    assert_int_equal(crm_kmeans_k(km), 2);
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

static bool stop_now(void *ud, const char *stage, double frac)
{
    (void)ud;
    (void)frac;
    assert_true(strcmp(stage, "x-means") == 0 || strcmp(stage, "elbow") == 0);
    return false;
}

static void xmeans_and_elbow_can_be_cancelled(void **state)
{
    crm_matrix x;
    crm_kmeans *km = NULL;
    crm_xmeans_params p = crm_xmeans_params_default();
    crm_elbow_params e = crm_elbow_params_default();
    crm_progress prog = { stop_now, NULL };
    crm_error err;
    (void)state;
    make_blobs(&x, 400, 2, 4, 8, NULL);
    assert_int_equal(crm_xmeans_fit(&p, &x, &prog, &km, NULL, &err), CRM_ECANCELLED);
    assert_null(km);
    e.kmax = 5;
    assert_int_equal(crm_elbow_fit(&e, &x, &prog, &km, NULL, &err), CRM_ECANCELLED);
    assert_null(km);
    crm_matrix_fini(&x);
}

static void elbow_knee_is_farthest_below_the_chord(void **state)
{
    static const double curve[6] = { 100, 40, 10, 8, 7, 6 };
    static const double line[5] = { 5, 4, 3, 2, 1 };
    static const double flat[4] = { 2, 2, 2, 2 };
    int32_t k = 0;
    crm_error err;
    (void)state;
    assert_int_equal(crm_elbow_knee(curve, 6, 1, &k, &err), CRM_OK);
    assert_int_equal(k, 3);
    assert_int_equal(crm_elbow_knee(curve, 6, 4, &k, &err), CRM_OK);
    assert_int_equal(k, 6);
    assert_int_equal(crm_elbow_knee(line, 5, 2, &k, &err), CRM_OK);
    assert_int_equal(k, 2);
    assert_int_equal(crm_elbow_knee(flat, 4, 2, &k, &err), CRM_OK);
    assert_int_equal(k, 2);
    assert_int_equal(crm_elbow_knee(curve, 2, 1, &k, &err), CRM_EINVAL);
}

static void elbow_finds_the_blob_count(void **state)
{
    crm_matrix x;
    int32_t truth[1200];
    crm_kmeans *km = NULL;
    crm_elbow_params p = crm_elbow_params_default();
    double curve[9];
    (void)state;
    make_blobs(&x, 1200, 3, 4, 5, truth);
    p.kmin = 1;
    p.kmax = 9;
    p.kmeans.n_init = 3;
    assert_int_equal(crm_elbow_fit(&p, &x, NULL, &km, curve, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_k(km), 4);
    crm_assert_close(crm_kmeans_inertia(km), curve[3], 0, 0);
    same_partition(crm_kmeans_labels(km), truth, 1200, 4);
    assert_true(curve[0] > curve[3] * 10);
    crm_kmeans_free(km);
    p.kmax = 2;
    assert_int_equal(crm_elbow_fit(&p, &x, NULL, &km, curve, NULL), CRM_EINVAL);
    crm_matrix_fini(&x);
}

static void xmeans_survives_every_allocation_failure(void **state)
{
    crm_matrix x;
    int finished = 0;
    (void)state;
    make_blobs(&x, 300, 2, 3, 4, NULL);
    for (long f = 0; f < 2000 && !finished; f++) {
        crm_xmeans_params p = crm_xmeans_params_default();
        crm_kmeans *km = NULL;
        crm_status st;
        p.kmax = 5;
        crm_test_fail_after(f);
        st = crm_xmeans_fit(&p, &x, NULL, &km, NULL, NULL);
        assert_true(st == CRM_OK || st == CRM_ENOMEM);
        finished = st == CRM_OK;
        crm_kmeans_free(km);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(finished);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xmeans_bic_matches_worked_example),
        cmocka_unit_test(xmeans_recovers_true_k_on_separated_blobs),
        cmocka_unit_test(xmeans_is_bit_identical_with_1_and_2_threads),
        cmocka_unit_test(xmeans_rejects_bad_input),
        cmocka_unit_test(xmeans_and_elbow_can_be_cancelled),
        cmocka_unit_test(elbow_knee_is_farthest_below_the_chord),
        cmocka_unit_test(elbow_finds_the_blob_count),
        cmocka_unit_test(xmeans_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
