/* test_svm.c: the LIBSVM wrapper: decision values equal LIBSVM called directly, agree with
 * scikit-learn's SVC (golden file), survive save/load bit for bit (run under ASan, this also
 * proves the rebuilt model is freed correctly by svm_free_and_destroy_model), reproducible
 * probabilities, class weights, grid search, damaged sections and bad parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/config.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>
#include <crmkit/svm.h>

#include "crm_test.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include "classify/svm_internal.h"
#include "models_golden.h"

#if CRM_HAVE_LIBSVM

typedef struct svm_data {
    golden g;
    crm_matrix x;
    crm_matrix xt;
    int32_t *y;
    int64_t n;
    double gamma;
} svm_data;

static svm_data load_data(void)
{
    svm_data s;
    crm_matrix gm;
    s.g = golden_open("golden/models/svm.txt");
    s.x = golden_get(&s.g, "x");
    s.xt = golden_get(&s.g, "xt");
    s.y = golden_labels(&s.g, "y", &s.n);
    gm = golden_get(&s.g, "gamma");
    s.gamma = gm.data[0];
    crm_matrix_fini(&gm);
    return s;
}

static void free_data(svm_data *s)
{
    crm_matrix_fini(&s->x);
    crm_matrix_fini(&s->xt);
    free(s->y);
    golden_close(&s->g);
}

/* Dense LIBSVM nodes of row (every column, zeros included) into out[d + 1]. */
static void dense_nodes(const double *row, int64_t d, struct svm_node *out)
{
    for (int64_t j = 0; j < d; j++) {
        out[j].index = (int)(j + 1);
        out[j].value = row[j];
    }
    out[d].index = -1;
}

static crm_svm *fit_svm(const svm_data *s, crm_svm_kernel kernel, int probability)
{
    crm_svm_params p = crm_svm_params_default();
    crm_svm *svm;
    crm_error err;
    p.kernel = kernel;
    p.probability = probability;
    p.seed = 17;
    assert_int_equal(crm_svm_new(&p, &svm, &err), CRM_OK);
    assert_int_equal(crm_svm_fit(svm, &s->x, s->y, 2, NULL, &err), CRM_OK);
    return svm;
}

static void check_kernel(crm_svm_kernel kernel, int libsvm_kernel, const char *golden_name)
{
    svm_data s = load_data();
    crm_svm *svm = fit_svm(&s, kernel, 0);
    struct svm_parameter prm;
    struct svm_problem prob;
    struct svm_node *space = malloc((size_t)(s.n * 4) * sizeof *space);
    struct svm_node q[4];
    struct svm_model *ref;
    double *dec = malloc((size_t)s.xt.n_rows * sizeof *dec);
    crm_matrix gd = golden_get(&s.g, golden_name);
    crm_error err;
    /* The "scale" gamma is scikit-learn's. */
    crm_assert_close(crm_svm_gamma(svm), s.gamma, 1e-13, 0);
    memset(&prm, 0, sizeof prm);
    prm.svm_type = C_SVC;
    prm.kernel_type = libsvm_kernel;
    prm.degree = 3;
    prm.gamma = crm_svm_gamma(svm);
    prm.cache_size = 200;
    prm.eps = 1e-3;
    prm.C = 1.0;
    prm.shrinking = 1;
    prob.l = (int)s.n;
    prob.x = malloc((size_t)s.n * sizeof *prob.x);
    prob.y = malloc((size_t)s.n * sizeof *prob.y);
    for (int64_t i = 0; i < s.n; i++) {
        prob.x[i] = space + i * 4;
        dense_nodes(CRM_ROW(&s.x, i), 3, prob.x[i]);
        prob.y[i] = s.y[i];
    }
    ref = svm_train(&prob, &prm);
    assert_int_equal(crm_svm_n_support(svm), ref->l);
    assert_int_equal(crm_svm_decision_function(svm, &s.xt, dec, &err), CRM_OK);
    for (int64_t i = 0; i < s.xt.n_rows; i++) {
        double v;
        dense_nodes(CRM_ROW(&s.xt, i), 3, q);
        svm_predict_values(ref, q, &v);
        /* LIBSVM's value favours its first label; ours favours class 1. */
        if (ref->label[0] == 0) {
            v = -v;
        }
        assert_true(dec[i] == v);
        /* scikit-learn's SVC runs its own copy of LIBSVM: same optimum, up to the tolerance
         * of the solver. */
        crm_assert_close(dec[i], gd.data[i], 1e-6, 1e-6);
    }
    svm_free_and_destroy_model(&ref);
    crm_svm_free(svm);
    free(prob.x);
    free(prob.y);
    free(space);
    free(dec);
    crm_matrix_fini(&gd);
    free_data(&s);
}

static void svm_decision_values_equal_libsvm_and_scikit_learn(void **state)
{
    (void)state;
    check_kernel(CRM_SVM_LINEAR, LINEAR, "dec_linear");
    check_kernel(CRM_SVM_RBF, RBF, "dec_rbf");
    check_kernel(CRM_SVM_POLY, POLY, "dec_poly");
}

static crm_svm *round_trip(const crm_svm *svm, const char *tag)
{
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    crm_svm *back = NULL;
    crm_error err;
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_svm_save(svm, w, tag, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_svm_load(r, tag, &back, &err), CRM_OK);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    return back;
}

static void svm_save_load_keeps_predictions_bit_for_bit(void **state)
{
    svm_data s = load_data();
    crm_svm_kernel kernels[3] = { CRM_SVM_LINEAR, CRM_SVM_RBF, CRM_SVM_POLY };
    size_t bytes = (size_t)s.xt.n_rows * 2 * sizeof(double);
    double *a = malloc(bytes);
    double *b = malloc(bytes);
    crm_error err;
    (void)state;
    for (int k = 0; k < 3; k++) {
        crm_svm *svm = fit_svm(&s, kernels[k], k == 1);
        crm_svm *back = round_trip(svm, "m0.svm");
        const struct svm_model *m1 = crm__svm_model(svm);
        const struct svm_model *m2 = crm__svm_model(back);
        assert_int_equal(m2->free_sv, 1);
        assert_ptr_equal(m2->SV[0], m2->SV[0] + 0);
        assert_int_equal(m1->l, m2->l);
        assert_int_equal(crm_svm_decision_function(svm, &s.xt, a, &err), CRM_OK);
        assert_int_equal(crm_svm_decision_function(back, &s.xt, b, &err), CRM_OK);
        assert_memory_equal(a, b, (size_t)s.xt.n_rows * sizeof(double));
        assert_int_equal(crm_svm_predict_proba(svm, &s.xt, a, &err), CRM_OK);
        assert_int_equal(crm_svm_predict_proba(back, &s.xt, b, &err), CRM_OK);
        assert_memory_equal(a, b, bytes);
        crm_assert_close(a[0] + a[1], 1.0, 1e-12, 0);
        crm_svm_free(svm);
        crm_svm_free(back);
    }
    free(a);
    free(b);
    free_data(&s);
}

static void svm_probabilities_are_reproducible_with_the_seed(void **state)
{
    svm_data s = load_data();
    size_t bytes = (size_t)s.xt.n_rows * 2 * sizeof(double);
    double *a = malloc(bytes);
    double *b = malloc(bytes);
    crm_svm *s1 = fit_svm(&s, CRM_SVM_RBF, 1);
    crm_svm *s2 = fit_svm(&s, CRM_SVM_RBF, 1);
    int32_t *lab = malloc((size_t)s.xt.n_rows * sizeof *lab);
    crm_error err;
    (void)state;
    assert_int_equal(crm_svm_predict_proba(s1, &s.xt, a, &err), CRM_OK);
    assert_int_equal(crm_svm_predict_proba(s2, &s.xt, b, &err), CRM_OK);
    assert_memory_equal(a, b, bytes);
    assert_int_equal(crm_svm_predict(s1, &s.xt, lab, &err), CRM_OK);
    for (int64_t i = 0; i < s.xt.n_rows; i++) {
        assert_true(lab[i] == 0 || lab[i] == 1);
        assert_true(a[2 * i] >= 0 && a[2 * i] <= 1);
    }
    crm_svm_free(s1);
    crm_svm_free(s2);
    free(a);
    free(b);
    free(lab);
    free_data(&s);
}

/* 90 % class 0, overlapping: balanced weights must find more of class 1. */
static void svm_balanced_class_weights_raise_minority_recall(void **state)
{
    crm_rng rng;
    crm_matrix x;
    int32_t y[400];
    int32_t lab[400];
    int hits[2] = { 0, 0 };
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 3);
    assert_int_equal(crm_matrix_init(&x, 400, 2, NULL), CRM_OK);
    for (int i = 0; i < 400; i++) {
        y[i] = i % 10 == 0;
        CRM_ROW(&x, i)[0] = crm_rng_normal(&rng) + (y[i] ? 1.2 : 0.0);
        CRM_ROW(&x, i)[1] = crm_rng_normal(&rng);
    }
    for (int bal = 0; bal < 2; bal++) {
        crm_svm_params p = crm_svm_params_default();
        crm_svm *svm;
        p.class_weight_balanced = bal;
        p.probability = 0;
        assert_int_equal(crm_svm_new(&p, &svm, &err), CRM_OK);
        assert_int_equal(crm_svm_fit(svm, &x, y, 2, NULL, &err), CRM_OK);
        assert_int_equal(crm_svm_predict(svm, &x, lab, &err), CRM_OK);
        for (int i = 0; i < 400; i++) {
            hits[bal] += y[i] == 1 && lab[i] == 1;
        }
        crm_svm_free(svm);
    }
    assert_true(hits[1] > hits[0] + 10);
    crm_matrix_fini(&x);
}

static crm_svm *grid_fit(const svm_data *s, int threads)
{
    crm_svm_params p = crm_svm_params_default();
    crm_svm *svm;
    crm_error err;
    p.grid_search = 1;
    p.probability = 0;
    p.seed = 5;
    p.n_threads = threads;
    assert_int_equal(crm_svm_new(&p, &svm, &err), CRM_OK);
    assert_int_equal(crm_svm_fit(svm, &s->x, s->y, 2, NULL, &err), CRM_OK);
    return svm;
}

static void svm_grid_search_is_deterministic_across_threads(void **state)
{
    svm_data s = load_data();
    crm_svm *a = grid_fit(&s, 1);
    crm_svm *b = grid_fit(&s, 2);
    double *da = malloc((size_t)s.xt.n_rows * sizeof *da);
    double *db = malloc((size_t)s.xt.n_rows * sizeof *db);
    double cs[3] = { 0.1, 1, 10 };
    int found = 0;
    crm_error err;
    (void)state;
    assert_true(crm_svm_grid_score(a) > 0.5 && crm_svm_grid_score(a) <= 1.0);
    assert_true(crm_svm_grid_score(a) == crm_svm_grid_score(b));
    assert_true(crm_svm_c(a) == crm_svm_c(b));
    assert_true(crm_svm_gamma(a) == crm_svm_gamma(b));
    for (int i = 0; i < 3; i++) {
        found |= crm_svm_c(a) == cs[i];
    }
    assert_true(found);
    assert_int_equal(crm_svm_decision_function(a, &s.xt, da, &err), CRM_OK);
    assert_int_equal(crm_svm_decision_function(b, &s.xt, db, &err), CRM_OK);
    assert_memory_equal(da, db, (size_t)s.xt.n_rows * sizeof *da);
    crm_svm_free(a);
    crm_svm_free(b);
    free(da);
    free(db);
    free_data(&s);
}

/* A section with a support vector whose feature index is out of range must be refused. */
static void svm_load_rejects_a_damaged_section(void **state)
{
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    crm_svm *back = NULL;
    int32_t label[2] = { 0, 1 };
    int32_t nsv[2] = { 1, 1 };
    int32_t count[2] = { 1, 1 };
    int32_t idx[2] = { 1, 7 }; /* 7 > 3 features */
    double val[2] = { 0.5, 0.25 };
    double coef[2] = { 1, -1 };
    crm_error err;
    (void)state;
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "svm", &err), CRM_OK);
    crm_model_put_i32(w, 2, &err);
    crm_model_put_i64(w, 3, &err);
    crm_model_put_i32(w, CRM_SVM_RBF, &err);
    crm_model_put_i32(w, 3, &err);
    crm_model_put_f64(w, 0.5, &err);
    crm_model_put_f64(w, 0.0, &err);
    crm_model_put_f64(w, 1.0, &err);
    crm_model_put_f64(w, NAN, &err);
    crm_model_put_i32(w, 2, &err);
    crm_model_put_i32(w, 2, &err);
    crm_model_put_i32(w, 0, &err);
    crm_model_put_i32s(w, label, 2, &err);
    crm_model_put_i32s(w, nsv, 2, &err);
    crm_model_put_f64(w, 0.1, &err);
    crm_model_put_f64s(w, coef, 2, &err);
    crm_model_put_i32s(w, count, 2, &err);
    crm_model_put_i64(w, 2, &err);
    crm_model_put_i32s(w, idx, 2, &err);
    crm_model_put_f64s(w, val, 2, &err);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "bad.crmc", &r, &err), CRM_OK);
    assert_int_equal(crm_svm_load(r, NULL, &back, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "bad.crmc"));
    assert_null(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
}

static void svm_rejects_bad_params_and_inputs(void **state)
{
    crm_svm_params p = crm_svm_params_default();
    crm_svm *svm;
    crm_matrix x;
    int32_t y[3] = { 1, 1, 1 };
    double out[6];
    crm_error err;
    (void)state;
    p.c = 0;
    assert_int_equal(crm_svm_new(&p, &svm, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "C must be"));
    p = crm_svm_params_default();
    p.grid_search = 1;
    p.n_grid_c = 0;
    assert_int_equal(crm_svm_params_check(&p, &err), CRM_EINVAL);
    p = crm_svm_params_default();
    p.kernel = (crm_svm_kernel)7;
    assert_int_equal(crm_svm_params_check(&p, &err), CRM_EINVAL);
    p = crm_svm_params_default();
    p.n_class_weight = 1;
    p.class_weight[0] = -2;
    assert_int_equal(crm_svm_params_check(&p, &err), CRM_EINVAL);
    assert_int_equal(crm_svm_new(NULL, &svm, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 3, 2, NULL), CRM_OK);
    assert_int_equal(crm_svm_predict_proba(svm, &x, out, &err), CRM_ESTATE);
    assert_int_equal(crm_svm_fit(svm, &x, y, 2, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "one class"));
    crm_svm_free(svm);
    crm_svm_free(NULL);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svm_decision_values_equal_libsvm_and_scikit_learn),
        cmocka_unit_test(svm_save_load_keeps_predictions_bit_for_bit),
        cmocka_unit_test(svm_probabilities_are_reproducible_with_the_seed),
        cmocka_unit_test(svm_balanced_class_weights_raise_minority_recall),
        cmocka_unit_test(svm_grid_search_is_deterministic_across_threads),
        cmocka_unit_test(svm_load_rejects_a_damaged_section),
        cmocka_unit_test(svm_rejects_bad_params_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
    crm_svm *svm = NULL;
    crm_error err;
    printf("LIBSVM not in this build: checking that the SVM says so\n");
    return crm_svm_new(NULL, &svm, &err) == CRM_EUNSUPPORTED ? 0 : 1;
}

#endif
