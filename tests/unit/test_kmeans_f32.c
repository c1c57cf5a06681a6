/* test_kmeans_f32.c: Lloyd over float rows (crm_kmeans_fit_from_f32) against the double
 * k-means from the same centres, against a plain Lloyd written here on the same float values,
 * bit-identical with 1 and 2 threads, and its errors. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/kmeans.h>
#include <crmkit/rng.h>

#include "crm_test.h"

/* n rows of dim columns around n_c centres sep apart (plus unit noise), double and float. */
static void
blobs(int64_t n, int64_t dim, int n_c, double sep, uint64_t seed, crm_matrix *x, float **xf)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, dim, NULL), CRM_OK);
    *xf = crm_mallocarray((size_t)(n * dim), sizeof(float));
    assert_non_null(*xf);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % n_c);
        for (int64_t d = 0; d < dim; d++) {
            double v = sep * (double)(((c + 1) * (d + 3) * 7) % 11) + crm_rng_normal(&rng);
            (*xf)[i * dim + d] = (float)v;
            CRM_ROW(x, i)[d] = (double)(float)v; /* the same values as the float rows */
        }
    }
}

/* k starting centres: rows 0..k-1 (one of each blob), moved a little. */
static double *start(const crm_matrix *x, int32_t k)
{
    double *c = crm_mallocarray((size_t)(k * x->n_cols), sizeof(double));
    assert_non_null(c);
    for (int32_t j = 0; j < k; j++) {
        for (int64_t d = 0; d < x->n_cols; d++) {
            c[j * x->n_cols + d] = CRM_ROW(x, j)[d] + 0.5;
        }
    }
    return c;
}

static void f32_matches_double_kmeans_on_separated_blobs(void **state)
{
    crm_matrix x;
    float *xf = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *a = NULL;
    crm_kmeans *b = NULL;
    double *c0;
    crm_error err;
    (void)state;
    blobs(3000, 6, 4, 3.0, 7, &x, &xf);
    c0 = start(&x, 4);
    p.k = 4;
    assert_int_equal(crm_kmeans_new(&p, &a, &err), CRM_OK);
    assert_int_equal(crm_kmeans_new(&p, &b, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from(a, &x, c0, NULL, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from_f32(b, xf, x.n_rows, 6, c0, NULL, &err), CRM_OK);
    assert_int_equal(crm_kmeans_n_rows(b), 3000);
    /* the same labels, row for row; inertia within 1e-9 relative (both in double) */
    assert_memory_equal(crm_kmeans_labels(a), crm_kmeans_labels(b), 3000 * sizeof(int32_t));
    assert_true(fabs(crm_kmeans_inertia(a) - crm_kmeans_inertia(b)) <=
                1e-9 * crm_kmeans_inertia(a));
    for (int q = 0; q < 4 * 6; q++) {
        assert_true(fabs(crm_kmeans_centers(a)[q] - crm_kmeans_centers(b)[q]) < 1e-9);
    }
    /* the blobs are found: row i with row i % 4 */
    for (int64_t i = 0; i < 3000; i++) {
        assert_int_equal(crm_kmeans_labels(b)[i], crm_kmeans_labels(b)[i % 4]);
    }
    crm_kmeans_free(a);
    crm_kmeans_free(b);
    crm_free(c0);
    crm_free(xf);
    crm_matrix_fini(&x);
}

/* A plain Lloyd on the float values in double, the same stopping rule, by brute force. */
static void f32_equals_plain_lloyd(void **state)
{
    enum {
        N = 1500,
        D = 3,
        K = 5
    };
    crm_matrix x;
    float *xf = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *km = NULL;
    double *c0;
    double c[K * D];
    int32_t lab[N];
    double inertia = 0.0;
    crm_error err;
    (void)state;
    blobs(N, D, 3, 1.0, 11, &x, &xf); /* overlapping: several iterations */
    c0 = start(&x, K);
    memcpy(c, c0, sizeof c);
    p.k = K;
    p.tol = 0.0; /* until the labels stop changing */
    for (int it = 0; it < 300; it++) {
        double sum[K * D] = { 0 };
        int64_t cnt[K] = { 0 };
        int changed = 0;
        inertia = 0.0;
        for (int i = 0; i < N; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int j = 0; j < K; j++) {
                double s = 0.0;
                for (int d = 0; d < D; d++) {
                    double e = (double)xf[i * D + d] - c[j * D + d];
                    s += e * e;
                }
                if (s < bd) {
                    bd = s;
                    best = j;
                }
            }
            changed += it == 0 || lab[i] != best;
            lab[i] = best;
            cnt[best]++;
            inertia += bd;
            for (int d = 0; d < D; d++) {
                sum[best * D + d] += (double)xf[i * D + d];
            }
        }
        if (!changed) {
            break;
        }
        for (int j = 0; j < K; j++) {
            for (int d = 0; d < D && cnt[j] > 0; d++) {
                c[j * D + d] = sum[j * D + d] / (double)cnt[j];
            }
        }
    }
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from_f32(km, xf, N, D, c0, NULL, &err), CRM_OK);
    assert_memory_equal(crm_kmeans_labels(km), lab, sizeof lab);
    for (int q = 0; q < K * D; q++) {
        assert_true(fabs(crm_kmeans_centers(km)[q] - c[q]) <= 1e-12 * (1.0 + fabs(c[q])));
    }
    assert_true(fabs(crm_kmeans_inertia(km) - inertia) <= 1e-12 * inertia);
    assert_true(crm_kmeans_n_iter(km) > 1);
    crm_kmeans_free(km);
    crm_free(c0);
    crm_free(xf);
    crm_matrix_fini(&x);
}

/* 1 and 2 threads: the same bits, on more rows than one block (several blocks added). */
static void f32_is_bit_identical_with_1_and_2_threads(void **state)
{
    crm_matrix x;
    float *xf = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *a = NULL;
    crm_kmeans *b = NULL;
    double *c0;
    double ia;
    double ib;
    crm_error err;
    (void)state;
    blobs(40000, 4, 3, 0.8, 5, &x, &xf);
    c0 = start(&x, 6);
    p.k = 6;
    p.n_threads = 1;
    assert_int_equal(crm_kmeans_new(&p, &a, &err), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_kmeans_new(&p, &b, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from_f32(a, xf, x.n_rows, 4, c0, NULL, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from_f32(b, xf, x.n_rows, 4, c0, NULL, &err), CRM_OK);
    ia = crm_kmeans_inertia(a);
    ib = crm_kmeans_inertia(b);
    assert_memory_equal(&ia, &ib, sizeof ia);
    assert_memory_equal(crm_kmeans_centers(a), crm_kmeans_centers(b), 6 * 4 * sizeof(double));
    assert_memory_equal(crm_kmeans_labels(a), crm_kmeans_labels(b), 40000 * sizeof(int32_t));
    assert_int_equal(crm_kmeans_n_iter(a), crm_kmeans_n_iter(b));
    crm_kmeans_free(a);
    crm_kmeans_free(b);
    crm_free(c0);
    crm_free(xf);
    crm_matrix_fini(&x);
}

static void f32_rejects_bad_input(void **state)
{
    float xf[6] = { 1, 2, 3, 4, 5, 6 };
    double c[4] = { 1, 2, 3, 4 };
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *km = NULL;
    crm_error err;
    (void)state;
    p.k = 2;
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from_f32(km, NULL, 3, 2, c, NULL, &err), CRM_EINVAL);
    assert_int_equal(crm_kmeans_fit_from_f32(km, xf, 1, 2, c, NULL, &err), CRM_EDATA);
    c[3] = NAN;
    assert_int_equal(crm_kmeans_fit_from_f32(km, xf, 3, 2, c, NULL, &err), CRM_EINVAL);
    c[3] = 4;
    xf[4] = INFINITY;
    assert_int_equal(crm_kmeans_fit_from_f32(km, xf, 3, 2, c, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 3, column 1"));
    assert_false(crm_kmeans_is_fitted(km));
    xf[4] = 5;
    assert_int_equal(crm_kmeans_fit_from_f32(km, xf, 3, 2, c, NULL, &err), CRM_OK);
    assert_true(crm_kmeans_is_fitted(km));
    crm_kmeans_free(km);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f32_matches_double_kmeans_on_separated_blobs),
        cmocka_unit_test(f32_equals_plain_lloyd),
        cmocka_unit_test(f32_is_bit_identical_with_1_and_2_threads),
        cmocka_unit_test(f32_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
