/* test_knn.c: KNN against scikit-learn (neighbours, distances, probabilities, predictions),
 * brute force against the k-d tree and a naive search on data full of ties, thread counts,
 * save/load round trip, bad parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/knn.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

#include "crm_test.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include "models_golden.h"

static void check_against_golden(crm_knn_weights wts, crm_knn_algo algo, const char *sfx)
{
    golden g = golden_open("golden/models/knn.txt");
    crm_matrix x = golden_get(&g, "x");
    crm_matrix xt = golden_get(&g, "xt");
    char name[32];
    crm_matrix gi;
    crm_matrix gd;
    crm_matrix gp;
    crm_matrix gl;
    int64_t n;
    int32_t *y = golden_labels(&g, "y", &n);
    crm_knn_params p = crm_knn_params_default();
    crm_knn *knn;
    int64_t *ind = malloc((size_t)xt.n_rows * 7 * sizeof *ind);
    double *dist = malloc((size_t)xt.n_rows * 7 * sizeof *dist);
    double *proba = malloc((size_t)xt.n_rows * 3 * sizeof *proba);
    int32_t *lab = malloc((size_t)xt.n_rows * sizeof *lab);
    crm_error err;
    snprintf(name, sizeof name, "ind_%s", sfx);
    gi = golden_get(&g, name);
    snprintf(name, sizeof name, "dist_%s", sfx);
    gd = golden_get(&g, name);
    snprintf(name, sizeof name, "proba_%s", sfx);
    gp = golden_get(&g, name);
    snprintf(name, sizeof name, "pred_%s", sfx);
    gl = golden_get(&g, name);
    p.k = 7;
    p.weights = wts;
    p.algo = algo;
    p.leaf_size = 4;
    assert_int_equal(crm_knn_new(&p, &knn, &err), CRM_OK);
    assert_int_equal(crm_knn_fit(knn, &x, y, 3, &err), CRM_OK);
    assert_int_equal(crm_knn_algo_used(knn), algo);
    assert_int_equal(crm_knn_kneighbors(knn, &xt, ind, dist, &err), CRM_OK);
    assert_int_equal(crm_knn_predict_proba(knn, &xt, proba, &err), CRM_OK);
    assert_int_equal(crm_knn_predict(knn, &xt, lab, &err), CRM_OK);
    for (int64_t i = 0; i < xt.n_rows; i++) {
        for (int j = 0; j < 7; j++) {
            assert_int_equal(ind[i * 7 + j], (int64_t)gi.data[i * 7 + j]);
            crm_assert_close(dist[i * 7 + j], gd.data[i * 7 + j], 1e-12, 1e-12);
        }
        for (int c = 0; c < 3; c++) {
            crm_assert_close(proba[i * 3 + c], gp.data[i * 3 + c], 1e-12, 1e-15);
        }
        assert_int_equal(lab[i], (int32_t)gl.data[i]);
    }
    crm_knn_free(knn);
    free(ind);
    free(dist);
    free(proba);
    free(lab);
    free(y);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    crm_matrix_fini(&gi);
    crm_matrix_fini(&gd);
    crm_matrix_fini(&gp);
    crm_matrix_fini(&gl);
    golden_close(&g);
}

static void knn_uniform_matches_scikit_learn_brute(void **state)
{
    (void)state;
    check_against_golden(CRM_KNN_UNIFORM, CRM_KNN_BRUTE, "uniform");
}

static void knn_distance_matches_scikit_learn_kdtree(void **state)
{
    (void)state;
    check_against_golden(CRM_KNN_DISTANCE, CRM_KNN_KDTREE, "distance");
    check_against_golden(CRM_KNN_DISTANCE, CRM_KNN_BRUTE, "distance");
    check_against_golden(CRM_KNN_UNIFORM, CRM_KNN_KDTREE, "uniform");
}

/* Naive reference: sort all rows by (exact squared distance, index). */
static void naive_knn(const crm_matrix *x, const double *q, int32_t k, int64_t *ind)
{
    int64_t n = x->n_rows;
    double *d = malloc((size_t)n * sizeof *d);
    char *used = calloc((size_t)n, 1);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < x->n_cols; j++) {
            double t = q[j] - CRM_ROW(x, i)[j];
            s += t * t;
        }
        d[i] = s;
    }
    for (int32_t j = 0; j < k; j++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++) {
            if (!used[i] && (best < 0 || d[i] < d[best])) {
                best = i;
            }
        }
        used[best] = 1;
        ind[j] = best;
    }
    free(d);
    free(used);
}

/* Integer coordinates on a small grid: many exact ties, and large norms that make the GEMM
 * form cancel. Brute force, the k-d tree and the naive search must agree exactly. */
static void knn_brute_and_kdtree_agree_on_ties(void **state)
{
    crm_rng rng;
    crm_matrix x;
    crm_matrix q;
    int32_t *y;
    crm_knn_params p = crm_knn_params_default();
    crm_knn *knn;
    const int64_t n = 3000;
    const int64_t nq = 300;
    const int32_t k = 9;
    int64_t *ib = malloc((size_t)(nq * k) * sizeof *ib);
    int64_t *it = malloc((size_t)(nq * k) * sizeof *it);
    int64_t ref[9];
    double *db = malloc((size_t)(nq * k) * sizeof *db);
    double *dt = malloc((size_t)(nq * k) * sizeof *dt);
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 7);
    assert_int_equal(crm_matrix_init(&x, n, 3, NULL), CRM_OK);
    assert_int_equal(crm_matrix_init(&q, nq, 3, NULL), CRM_OK);
    y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n * 3; i++) {
        x.data[i] = 1e6 + (double)crm_rng_below(&rng, 12);
    }
    for (int64_t i = 0; i < nq * 3; i++) {
        q.data[i] = 1e6 + (double)crm_rng_below(&rng, 12) + 0.5 * (double)(i % 2);
    }
    for (int64_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 3);
    }
    p.k = k;
    p.algo = CRM_KNN_BRUTE;
    p.leaf_size = 5;
    assert_int_equal(crm_knn_new(&p, &knn, &err), CRM_OK);
    assert_int_equal(crm_knn_fit(knn, &x, y, 3, &err), CRM_OK);
    assert_int_equal(crm_knn_kneighbors(knn, &q, ib, db, &err), CRM_OK);
    assert_int_equal(crm_knn_set_algo(knn, CRM_KNN_KDTREE, &err), CRM_OK);
    assert_int_equal(crm_knn_kneighbors(knn, &q, it, dt, &err), CRM_OK);
    assert_memory_equal(ib, it, (size_t)(nq * k) * sizeof *ib);
    assert_memory_equal(db, dt, (size_t)(nq * k) * sizeof *db);
    for (int64_t r = 0; r < nq; r++) {
        naive_knn(&x, CRM_ROW(&q, r), k, ref);
        assert_memory_equal(ref, ib + r * k, (size_t)k * sizeof *ref);
    }
    crm_knn_free(knn);
    crm_matrix_fini(&x);
    crm_matrix_fini(&q);
    free(y);
    free(ib);
    free(it);
    free(db);
    free(dt);
}

static void knn_same_result_with_one_and_two_threads(void **state)
{
    crm_rng rng;
    crm_matrix x;
    int32_t *y;
    crm_knn *knn;
    crm_knn_params p = crm_knn_params_default();
    const int64_t n = 2000;
    double *a = malloc((size_t)n * 2 * sizeof *a);
    double *b = malloc((size_t)n * 2 * sizeof *b);
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 11);
    assert_int_equal(crm_matrix_init(&x, n, 12, NULL), CRM_OK);
    y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        for (int j = 0; j < 12; j++) {
            CRM_ROW(&x, i)[j] = crm_rng_normal(&rng);
        }
        y[i] = CRM_ROW(&x, i)[0] + CRM_ROW(&x, i)[1] > 0;
    }
    p.weights = CRM_KNN_DISTANCE;
    assert_int_equal(crm_knn_new(&p, &knn, &err), CRM_OK);
    assert_int_equal(crm_knn_fit(knn, &x, y, 2, &err), CRM_OK);
    assert_int_equal(crm_knn_algo_used(knn), CRM_KNN_BRUTE); /* 12 > 8 columns */
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    assert_int_equal(crm_knn_predict_proba(knn, &x, a, &err), CRM_OK);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    assert_int_equal(crm_knn_predict_proba(knn, &x, b, &err), CRM_OK);
    assert_memory_equal(a, b, (size_t)n * 2 * sizeof *a);
    /* Each training row is its own nearest neighbour at distance 0: it takes all the weight. */
    for (int64_t i = 0; i < n; i++) {
        assert_true(a[i * 2 + y[i]] == 1.0);
    }
    crm_knn_free(knn);
    crm_matrix_fini(&x);
    free(y);
    free(a);
    free(b);
}

static void knn_save_load_gives_identical_predictions(void **state)
{
    golden g = golden_open("golden/models/knn.txt");
    crm_matrix x = golden_get(&g, "x");
    crm_matrix xt = golden_get(&g, "xt");
    int64_t n;
    int32_t *y = golden_labels(&g, "y", &n);
    crm_knn *knn;
    crm_knn *back;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    double *p = malloc((size_t)xt.n_rows * 3 * sizeof *p);
    double *p2 = malloc((size_t)xt.n_rows * 3 * sizeof *p2);
    crm_knn_params prm = crm_knn_params_default();
    crm_error err;
    (void)state;
    prm.weights = CRM_KNN_DISTANCE;
    assert_int_equal(crm_knn_new(&prm, &knn, &err), CRM_OK);
    assert_int_equal(crm_knn_fit(knn, &x, y, 3, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_knn_save(knn, w, NULL, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_knn_load(r, NULL, &back, &err), CRM_OK);
    assert_int_equal(crm_knn_predict_proba(knn, &xt, p, &err), CRM_OK);
    assert_int_equal(crm_knn_predict_proba(back, &xt, p2, &err), CRM_OK);
    assert_memory_equal(p, p2, (size_t)xt.n_rows * 3 * sizeof *p);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_knn_free(knn);
    crm_knn_free(back);
    free(p);
    free(p2);
    free(y);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    golden_close(&g);
}

static void knn_rejects_bad_params_and_inputs(void **state)
{
    crm_knn_params p = crm_knn_params_default();
    crm_knn *knn;
    crm_matrix x;
    int32_t y[3] = { 0, 1, 1 };
    double out[6];
    crm_error err;
    (void)state;
    p.k = 0;
    assert_int_equal(crm_knn_new(&p, &knn, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "k must be"));
    p = crm_knn_params_default();
    p.leaf_size = 0;
    assert_int_equal(crm_knn_params_check(&p, &err), CRM_EINVAL);
    assert_int_equal(crm_knn_new(NULL, &knn, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 3, 2, NULL), CRM_OK);
    assert_int_equal(crm_knn_predict_proba(knn, &x, out, &err), CRM_ESTATE);
    assert_int_equal(crm_knn_fit(knn, &x, y, 2, &err), CRM_EINVAL); /* k = 5 > 3 rows */
    assert_non_null(strstr(err.msg, "larger than"));
    x.data[1] = NAN;
    assert_int_equal(crm_knn_fit(knn, &x, y, 2, &err), CRM_EDATA);
    crm_knn_free(knn);
    crm_knn_free(NULL);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(knn_uniform_matches_scikit_learn_brute),
        cmocka_unit_test(knn_distance_matches_scikit_learn_kdtree),
        cmocka_unit_test(knn_brute_and_kdtree_agree_on_ties),
        cmocka_unit_test(knn_same_result_with_one_and_two_threads),
        cmocka_unit_test(knn_save_load_gives_identical_predictions),
        cmocka_unit_test(knn_rejects_bad_params_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
