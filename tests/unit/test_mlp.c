/* test_mlp.c: the multilayer perceptron learns XOR and separable blobs, gives bit-identical
 * weights with 1, 2 and 3 threads (large and default batches), keeps predictions through
 * save/load, rejects bad params. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/mlp.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

#include "crm_test.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static void make_blobs(crm_matrix *x, int32_t **y, int64_t n, int32_t d, int32_t k, uint64_t seed)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, d, NULL), CRM_OK);
    *y = malloc((size_t)n * sizeof **y);
    for (int64_t i = 0; i < n; i++) {
        int32_t c = (int32_t)(i % k);
        (*y)[i] = c;
        for (int32_t j = 0; j < d; j++) {
            double centre = (j % k == c) ? 3.0 : 0.0;
            CRM_ROW(x, i)[j] = centre + crm_rng_normal(&rng);
        }
    }
}

static double accuracy(const crm_mlp *m, const crm_matrix *x, const int32_t *y)
{
    int32_t *lab = malloc((size_t)x->n_rows * sizeof *lab);
    int64_t ok = 0;
    crm_error err;
    assert_int_equal(crm_mlp_predict(m, x, lab, &err), CRM_OK);
    for (int64_t i = 0; i < x->n_rows; i++) {
        ok += lab[i] == y[i];
    }
    free(lab);
    return (double)ok / (double)x->n_rows;
}

static void mlp_learns_xor(void **state)
{
    crm_matrix x;
    int32_t y[100];
    crm_mlp_params p = crm_mlp_params_default();
    crm_mlp *m;
    double proba[8];
    crm_matrix q;
    crm_error err;
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 100, 2, NULL), CRM_OK);
    for (int i = 0; i < 100; i++) {
        int a = i & 1;
        int b = (i >> 1) & 1;
        CRM_ROW(&x, i)[0] = a;
        CRM_ROW(&x, i)[1] = b;
        y[i] = a ^ b;
    }
    p.n_hidden = 1;
    p.hidden[0] = 16;
    p.learning_rate = 0.01;
    p.early_stopping = 0;
    p.batch_size = 20;
    p.max_epochs = 1000;
    p.tol = 1e-6;
    p.seed = 3;
    assert_int_equal(crm_mlp_new(&p, &m, &err), CRM_OK);
    assert_int_equal(crm_mlp_fit(m, &x, y, 2, NULL, &err), CRM_OK);
    assert_true(accuracy(m, &x, y) == 1.0);
    assert_true(crm_mlp_loss(m) < 0.05);
    q = crm_matrix_rows(&x, 0, 4);
    assert_int_equal(crm_mlp_predict_proba(m, &q, proba, &err), CRM_OK);
    for (int i = 0; i < 4; i++) {
        crm_assert_close(proba[2 * i] + proba[2 * i + 1], 1.0, 1e-14, 0);
        assert_true(proba[2 * i + y[i]] > 0.9);
    }
    crm_mlp_free(m);
    crm_matrix_fini(&x);
}

static void mlp_separates_blobs_with_early_stopping(void **state)
{
    crm_matrix x;
    crm_matrix xt;
    int32_t *y;
    int32_t *yt;
    crm_mlp_params p = crm_mlp_params_default();
    crm_mlp *m;
    crm_error err;
    (void)state;
    make_blobs(&x, &y, 600, 6, 3, 1);
    make_blobs(&xt, &yt, 300, 6, 3, 2);
    p.seed = 5;
    assert_int_equal(crm_mlp_new(&p, &m, &err), CRM_OK);
    assert_int_equal(crm_mlp_fit(m, &x, y, 3, NULL, &err), CRM_OK);
    assert_true(crm_mlp_n_epochs(m) > 10);
    assert_true(crm_mlp_n_epochs(m) < 200); /* the patience ran out */
    assert_true(crm_mlp_best_validation_score(m) >= 0.95);
    assert_true(accuracy(m, &xt, yt) >= 0.95);
    crm_mlp_free(m);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    free(y);
    free(yt);
}

static crm_mlp *
fit_with_threads(const crm_matrix *x, const int32_t *y, int threads, int32_t batch_size)
{
    crm_mlp_params p = crm_mlp_params_default();
    crm_mlp *m;
    crm_error err;
    p.seed = 9;
    p.max_epochs = 3;
    p.batch_size = batch_size;
    p.n_threads = threads;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    assert_int_equal(crm_mlp_new(&p, &m, &err), CRM_OK);
    assert_int_equal(crm_mlp_fit(m, x, y, 3, NULL, &err), CRM_OK);
    return m;
}

static void mlp_is_bit_identical_with_one_and_two_threads(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_mlp *a;
    crm_mlp *b;
    const double *wa;
    const double *wb;
    int64_t na;
    int64_t nb;
    double *pa;
    double *pb;
    crm_error err;
    (void)state;
    make_blobs(&x, &y, 5000, 10, 3, 4);
    a = fit_with_threads(&x, y, 1, 2048); /* 16 blocks of 128 rows a batch: the parallel path */
    b = fit_with_threads(&x, y, 2, 2048);
    wa = crm_mlp_weights(a, &na);
    wb = crm_mlp_weights(b, &nb);
    assert_int_equal(na, (10 * 64 + 64) + (64 * 32 + 32) + (32 * 3 + 3));
    assert_int_equal(na, nb);
    assert_memory_equal(wa, wb, (size_t)na * sizeof *wa);
    crm_mlp_free(b);
    b = fit_with_threads(&x, y, 3, 2048); /* a team that does not divide the blocks */
    assert_memory_equal(wa, crm_mlp_weights(b, &nb), (size_t)na * sizeof *wa);
    pa = malloc((size_t)x.n_rows * 3 * sizeof *pa);
    pb = malloc((size_t)x.n_rows * 3 * sizeof *pb);
    assert_int_equal(crm_mlp_predict_proba(a, &x, pa, &err), CRM_OK);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    assert_int_equal(crm_mlp_predict_proba(a, &x, pb, &err), CRM_OK);
    assert_memory_equal(pa, pb, (size_t)x.n_rows * 3 * sizeof *pa);
    crm_mlp_free(a);
    crm_mlp_free(b);
    crm_matrix_fini(&x);
    free(y);
    free(pa);
    free(pb);
}

/* The default batch (200 rows: two blocks of 100 on the calling thread) with early stopping,
 * whose validation scoring runs in parallel. */
static void mlp_default_batch_is_bit_identical_with_one_and_two_threads(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_mlp *a;
    crm_mlp *b;
    const double *wa;
    const double *wb;
    int64_t na;
    int64_t nb;
    (void)state;
    make_blobs(&x, &y, 3000, 10, 3, 5);
    a = fit_with_threads(&x, y, 1, 0);
    b = fit_with_threads(&x, y, 2, 0);
    wa = crm_mlp_weights(a, &na);
    wb = crm_mlp_weights(b, &nb);
    assert_int_equal(na, nb);
    assert_int_equal(crm_mlp_n_epochs(a), 3);
    assert_int_equal(crm_mlp_n_epochs(b), 3);
    assert_memory_equal(wa, wb, (size_t)na * sizeof *wa);
    assert_true(crm_mlp_best_validation_score(a) == crm_mlp_best_validation_score(b));
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    crm_mlp_free(a);
    crm_mlp_free(b);
    crm_matrix_fini(&x);
    free(y);
}

static void mlp_save_load_gives_identical_predictions(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_mlp_params p = crm_mlp_params_default();
    crm_mlp *m;
    crm_mlp *back;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    double *pa;
    double *pb;
    crm_error err;
    (void)state;
    make_blobs(&x, &y, 300, 4, 2, 6);
    p.n_hidden = 3;
    p.hidden[0] = 8;
    p.hidden[1] = 7;
    p.hidden[2] = 5;
    p.max_epochs = 20;
    assert_int_equal(crm_mlp_new(&p, &m, &err), CRM_OK);
    assert_int_equal(crm_mlp_fit(m, &x, y, 2, NULL, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_mlp_save(m, w, "m2.mlp", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_mlp_load(r, "m2.mlp", &back, &err), CRM_OK);
    pa = malloc((size_t)x.n_rows * 2 * sizeof *pa);
    pb = malloc((size_t)x.n_rows * 2 * sizeof *pb);
    assert_int_equal(crm_mlp_predict_proba(m, &x, pa, &err), CRM_OK);
    assert_int_equal(crm_mlp_predict_proba(back, &x, pb, &err), CRM_OK);
    assert_memory_equal(pa, pb, (size_t)x.n_rows * 2 * sizeof *pa);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_mlp_free(m);
    crm_mlp_free(back);
    crm_matrix_fini(&x);
    free(y);
    free(pa);
    free(pb);
}

static void mlp_rejects_bad_params_and_inputs(void **state)
{
    crm_mlp_params p = crm_mlp_params_default();
    crm_mlp *m;
    crm_matrix x;
    int32_t y[4] = { 0, 1, 0, 1 };
    double out[8];
    crm_error err;
    (void)state;
    p.hidden[1] = 0;
    assert_int_equal(crm_mlp_new(&p, &m, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "hidden layer 2"));
    p = crm_mlp_params_default();
    p.learning_rate = -1;
    assert_int_equal(crm_mlp_params_check(&p, &err), CRM_EINVAL);
    p = crm_mlp_params_default();
    p.validation_fraction = 1.0;
    assert_int_equal(crm_mlp_params_check(&p, &err), CRM_EINVAL);
    p = crm_mlp_params_default();
    p.n_hidden = CRM_MLP_MAX_HIDDEN + 1;
    assert_int_equal(crm_mlp_params_check(&p, &err), CRM_EINVAL);
    assert_int_equal(crm_mlp_new(NULL, &m, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 4, 2, NULL), CRM_OK);
    assert_int_equal(crm_mlp_predict_proba(m, &x, out, &err), CRM_ESTATE);
    x.data[3] = NAN;
    assert_int_equal(crm_mlp_fit(m, &x, y, 2, NULL, &err), CRM_EDATA);
    x.data[3] = 0;
    y[1] = 0;
    y[3] = 0;
    assert_int_equal(crm_mlp_fit(m, &x, y, 2, NULL, &err), CRM_EDATA);
    crm_mlp_free(m);
    crm_mlp_free(NULL);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mlp_learns_xor),
        cmocka_unit_test(mlp_separates_blobs_with_early_stopping),
        cmocka_unit_test(mlp_is_bit_identical_with_one_and_two_threads),
        cmocka_unit_test(mlp_default_batch_is_bit_identical_with_one_and_two_threads),
        cmocka_unit_test(mlp_save_load_gives_identical_predictions),
        cmocka_unit_test(mlp_rejects_bad_params_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
