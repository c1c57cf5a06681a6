/* test_logreg.c: logistic regression against scikit-learn's optimum (golden files from
 * scripts/golden/make_boost_golden.py), both solvers, thread determinism, save/load, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_test.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>
#include <crmkit/logreg.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

typedef struct golden {
    int64_t n;
    int32_t p, k, nc, balanced;
    double c;
    crm_matrix x;
    int32_t *y;
    double *coef;
    double *intercept;
    double objective;
} golden;

static double next_num(char **cur)
{
    char *end;
    double v = strtod(*cur, &end);
    assert_true(end != *cur);
    *cur = end;
    return v;
}

static void golden_load(const char *name, golden *g)
{
    char rel[128];
    snprintf(rel, sizeof rel, "golden/boost/logreg_%s.txt", name);
    char *path = crm_test_path(rel);
    char *text = crm_test_read_file(path, NULL);
    assert_non_null(text);
    char *cur = text;
    memset(g, 0, sizeof *g);
    g->n = (int64_t)next_num(&cur);
    g->p = (int32_t)next_num(&cur);
    g->k = (int32_t)next_num(&cur);
    g->c = next_num(&cur);
    g->balanced = (int32_t)next_num(&cur);
    g->nc = g->k == 2 ? 1 : g->k;
    assert_int_equal(crm_matrix_init(&g->x, g->n, g->p, NULL), CRM_OK);
    g->y = malloc((size_t)g->n * sizeof *g->y);
    g->coef = malloc((size_t)(g->nc * g->p) * sizeof *g->coef);
    g->intercept = malloc((size_t)g->nc * sizeof *g->intercept);
    for (int64_t i = 0; i < g->n; i++) {
        for (int32_t j = 0; j < g->p; j++) {
            CRM_ROW(&g->x, i)[j] = next_num(&cur);
        }
        g->y[i] = (int32_t)next_num(&cur);
    }
    for (int32_t j = 0; j < g->nc * g->p; j++) {
        g->coef[j] = next_num(&cur);
    }
    for (int32_t c = 0; c < g->nc; c++) {
        g->intercept[c] = next_num(&cur);
    }
    g->objective = next_num(&cur);
    free(text);
    free(path);
}

static void golden_free(golden *g)
{
    crm_matrix_fini(&g->x);
    free(g->y);
    free(g->coef);
    free(g->intercept);
}

static void check_against_golden(const char *name, crm_logreg_solver solver)
{
    golden g;
    crm_logreg *lr = NULL;
    crm_error err;
    golden_load(name, &g);
    crm_logreg_params p = crm_logreg_params_default();
    p.c = g.c;
    p.class_weight_balanced = g.balanced;
    p.solver = solver;
    p.max_iter = 5000;
    assert_int_equal(crm_logreg_new(&p, &lr, &err), CRM_OK);
    assert_int_equal(crm_logreg_fit(lr, &g.x, g.y, g.k, NULL, NULL, &err), CRM_OK);
    assert_true(crm_logreg_converged(lr));
    assert_int_equal(crm_logreg_n_coef_rows(lr), g.nc);
    for (int32_t j = 0; j < g.nc * g.p; j++) {
        crm_assert_close(crm_logreg_coef(lr)[j], g.coef[j], 1e-6, 1e-6);
    }
    for (int32_t c = 0; c < g.nc; c++) {
        crm_assert_close(crm_logreg_intercept(lr)[c], g.intercept[c], 1e-6, 1e-6);
    }
    crm_assert_close(crm_logreg_objective(lr), g.objective, 1e-10, 0);
    crm_logreg_free(lr);
    golden_free(&g);
}

static void logreg_binary_matches_sklearn_newton(void **state)
{
    (void)state;
    check_against_golden("binary", CRM_LOGREG_NEWTON);
}

static void logreg_binary_matches_sklearn_lbfgs(void **state)
{
    (void)state;
    check_against_golden("binary", CRM_LOGREG_LBFGS);
}

static void logreg_balanced_weights_match_sklearn(void **state)
{
    (void)state;
    check_against_golden("balanced", CRM_LOGREG_AUTO);
    check_against_golden("balanced", CRM_LOGREG_LBFGS);
}

static void logreg_multinomial_matches_sklearn(void **state)
{
    (void)state;
    check_against_golden("multinomial", CRM_LOGREG_NEWTON);
    check_against_golden("multinomial", CRM_LOGREG_LBFGS);
}

static void logreg_sample_weights_equal_repeated_rows(void **state)
{
    golden g;
    crm_matrix x2;
    crm_logreg *a = NULL;
    crm_logreg *b = NULL;
    (void)state;
    golden_load("multinomial", &g);
    /* Weight 2 on the first 50 rows must equal those rows appearing twice. */
    double *sw = malloc((size_t)g.n * sizeof *sw);
    int32_t *y2 = malloc((size_t)(g.n + 50) * sizeof *y2);
    assert_int_equal(crm_matrix_init(&x2, g.n + 50, g.p, NULL), CRM_OK);
    for (int64_t i = 0; i < g.n; i++) {
        sw[i] = i < 50 ? 2.0 : 1.0;
        memcpy(CRM_ROW(&x2, i), CRM_ROW(&g.x, i), (size_t)g.p * sizeof(double));
        y2[i] = g.y[i];
    }
    for (int64_t i = 0; i < 50; i++) {
        memcpy(CRM_ROW(&x2, g.n + i), CRM_ROW(&g.x, i), (size_t)g.p * sizeof(double));
        y2[g.n + i] = g.y[i];
    }
    crm_logreg_params p = crm_logreg_params_default();
    assert_int_equal(crm_logreg_new(&p, &a, NULL), CRM_OK);
    assert_int_equal(crm_logreg_new(&p, &b, NULL), CRM_OK);
    assert_int_equal(crm_logreg_fit(a, &g.x, g.y, 3, sw, NULL, NULL), CRM_OK);
    assert_int_equal(crm_logreg_fit(b, &x2, y2, 3, NULL, NULL, NULL), CRM_OK);
    for (int32_t j = 0; j < 3 * g.p; j++) {
        crm_assert_close(crm_logreg_coef(a)[j], crm_logreg_coef(b)[j], 1e-9, 1e-9);
    }
    crm_logreg_free(a);
    crm_logreg_free(b);
    crm_matrix_fini(&x2);
    free(sw);
    free(y2);
    golden_free(&g);
}

/* A random 3-class problem large enough for every row group to hold rows. */
static void random_problem(crm_matrix *x, int32_t **y, int64_t n, int32_t p, uint64_t seed)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, p, NULL), CRM_OK);
    *y = malloc((size_t)n * sizeof **y);
    for (int64_t i = 0; i < n; i++) {
        double *r = CRM_ROW(x, i);
        for (int32_t j = 0; j < p; j++) {
            r[j] = crm_rng_normal(&rng);
        }
        double s = r[0] - r[1] + 0.5 * crm_rng_normal(&rng);
        (*y)[i] = s < -0.5 ? 0 : (s < 0.7 ? 1 : 2);
    }
}

static void logreg_is_bit_identical_with_1_and_2_threads(void **state)
{
    crm_matrix x;
    int32_t *y;
    double *pa;
    double *pb;
    (void)state;
    random_problem(&x, &y, 3000, 6, 7);
    pa = malloc(3000 * 3 * sizeof *pa);
    pb = malloc(3000 * 3 * sizeof *pb);
    for (int solver = CRM_LOGREG_NEWTON; solver <= CRM_LOGREG_LBFGS; solver++) {
        crm_logreg *a = NULL;
        crm_logreg *b = NULL;
        crm_logreg_params p = crm_logreg_params_default();
        p.solver = (crm_logreg_solver)solver;
        p.n_threads = 1;
        assert_int_equal(crm_logreg_new(&p, &a, NULL), CRM_OK);
        p.n_threads = 2;
        assert_int_equal(crm_logreg_new(&p, &b, NULL), CRM_OK);
        assert_int_equal(crm_logreg_fit(a, &x, y, 3, NULL, NULL, NULL), CRM_OK);
        assert_int_equal(crm_logreg_fit(b, &x, y, 3, NULL, NULL, NULL), CRM_OK);
        assert_memory_equal(crm_logreg_coef(a), crm_logreg_coef(b), 3 * 6 * sizeof(double));
        assert_memory_equal(crm_logreg_intercept(a), crm_logreg_intercept(b), 3 * sizeof(double));
        assert_int_equal(crm_logreg_predict_proba(a, &x, pa, NULL), CRM_OK);
        assert_int_equal(crm_logreg_predict_proba(b, &x, pb, NULL), CRM_OK);
        assert_memory_equal(pa, pb, 3000 * 3 * sizeof *pa);
        crm_logreg_free(a);
        crm_logreg_free(b);
    }
    free(pa);
    free(pb);
    free(y);
    crm_matrix_fini(&x);
}

static void logreg_predictions_are_probabilities_and_argmax(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_logreg *lr = NULL;
    int64_t correct = 0;
    (void)state;
    random_problem(&x, &y, 1000, 4, 11);
    double *pr = malloc(1000 * 3 * sizeof *pr);
    int32_t *lab = malloc(1000 * sizeof *lab);
    crm_logreg_params p = crm_logreg_params_default();
    assert_int_equal(crm_logreg_new(&p, &lr, NULL), CRM_OK);
    assert_int_equal(crm_logreg_fit(lr, &x, y, 3, NULL, NULL, NULL), CRM_OK);
    assert_int_equal(crm_logreg_predict_proba(lr, &x, pr, NULL), CRM_OK);
    assert_int_equal(crm_logreg_predict(lr, &x, lab, NULL), CRM_OK);
    for (int64_t i = 0; i < 1000; i++) {
        const double *r = pr + i * 3;
        int32_t best = r[1] > r[0] ? 1 : 0;
        best = r[2] > r[best] ? 2 : best;
        crm_assert_close(r[0] + r[1] + r[2], 1.0, 0, 1e-12);
        assert_int_equal(lab[i], best);
        correct += lab[i] == y[i];
    }
    /* The labels come from a linear score with noise: a linear model gets most right. */
    assert_true(correct > 750);
    crm_logreg_free(lr);
    free(pr);
    free(lab);
    free(y);
    crm_matrix_fini(&x);
}

static void logreg_save_load_round_trip_predicts_identically(void **state)
{
    golden g;
    crm_logreg *lr = NULL;
    crm_logreg *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    golden_load("multinomial", &g);
    double *pa = malloc((size_t)g.n * 3 * sizeof *pa);
    double *pb = malloc((size_t)g.n * 3 * sizeof *pb);
    crm_logreg_params p = crm_logreg_params_default();
    assert_int_equal(crm_logreg_new(&p, &lr, NULL), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, NULL), CRM_OK);
    assert_int_equal(crm_logreg_save(lr, w, NULL, &err), CRM_ESTATE);
    assert_int_equal(crm_logreg_fit(lr, &g.x, g.y, 3, NULL, NULL, NULL), CRM_OK);
    assert_int_equal(crm_logreg_save(lr, w, "lr0", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, NULL), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, NULL), CRM_OK);
    assert_int_equal(crm_logreg_load(r, "logreg", &back, &err), CRM_EFORMAT);
    assert_int_equal(crm_logreg_load(r, "lr0", &back, &err), CRM_OK);
    assert_int_equal(crm_logreg_predict_proba(lr, &g.x, pa, NULL), CRM_OK);
    assert_int_equal(crm_logreg_predict_proba(back, &g.x, pb, NULL), CRM_OK);
    assert_memory_equal(pa, pb, (size_t)g.n * 3 * sizeof *pa);
    assert_int_equal(crm_logreg_n_features(back), g.p);
    assert_int_equal(crm_logreg_n_classes(back), 3);
    crm_logreg_free(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_logreg_free(lr);
    free(pa);
    free(pb);
    golden_free(&g);
}

static void logreg_rejects_bad_params_and_data(void **state)
{
    crm_logreg *lr = NULL;
    crm_error err;
    crm_matrix x;
    int32_t y[4] = { 1, 1, 1, 1 };
    double pr[8];
    (void)state;
    crm_logreg_params p = crm_logreg_params_default();
    p.c = 0;
    assert_int_equal(crm_logreg_new(&p, &lr, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "C must be"));
    assert_null(lr);
    p = crm_logreg_params_default();
    p.max_iter = 0;
    assert_int_equal(crm_logreg_params_check(&p, &err), CRM_EINVAL);
    p = crm_logreg_params_default();
    p.tol = -1;
    assert_int_equal(crm_logreg_params_check(&p, &err), CRM_EINVAL);
    p = crm_logreg_params_default();
    assert_int_equal(crm_logreg_new(&p, &lr, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 4, 2, NULL), CRM_OK);
    assert_int_equal(crm_logreg_predict_proba(lr, &x, pr, &err), CRM_ESTATE);
    assert_int_equal(crm_logreg_fit(lr, &x, y, 2, NULL, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "one class"));
    y[0] = 0;
    y[1] = 5;
    assert_int_equal(crm_logreg_fit(lr, &x, y, 2, NULL, NULL, &err), CRM_EINVAL);
    assert_int_equal(crm_logreg_fit(lr, &x, y, 1, NULL, NULL, &err), CRM_EINVAL);
    y[1] = 1;
    CRM_ROW(&x, 2)[1] = NAN;
    assert_int_equal(crm_logreg_fit(lr, &x, y, 2, NULL, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 3, column 2"));
    CRM_ROW(&x, 2)[1] = 0.5;
    CRM_ROW(&x, 0)[0] = 1.0;
    assert_int_equal(crm_logreg_fit(lr, &x, y, 2, NULL, NULL, &err), CRM_OK);
    crm_matrix wrong = crm_matrix_rows(&x, 0, 2);
    wrong.n_cols = 1;
    assert_int_equal(crm_logreg_predict_proba(lr, &wrong, pr, &err), CRM_EINVAL);
    crm_logreg_free(lr);
    crm_logreg_free(NULL);
    crm_matrix_fini(&x);
}

static void logreg_fit_returns_enomem_without_leaks(void **state)
{
    golden g;
    (void)state;
    golden_load("binary", &g);
    for (long k = 0; k < 40; k++) {
        crm_logreg *lr = NULL;
        crm_logreg_params p = crm_logreg_params_default();
        crm_test_fail_after(k);
        crm_status rc = crm_logreg_new(&p, &lr, NULL);
        if (rc == CRM_OK) {
            rc = crm_logreg_fit(lr, &g.x, g.y, 2, NULL, NULL, NULL);
        }
        crm_logreg_free(lr);
        long live = crm_test_alloc_live();
        crm_test_alloc_reset();
        assert_int_equal(live, 0);
        if (rc == CRM_OK) {
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
    }
    golden_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logreg_binary_matches_sklearn_newton),
        cmocka_unit_test(logreg_binary_matches_sklearn_lbfgs),
        cmocka_unit_test(logreg_balanced_weights_match_sklearn),
        cmocka_unit_test(logreg_multinomial_matches_sklearn),
        cmocka_unit_test(logreg_sample_weights_equal_repeated_rows),
        cmocka_unit_test(logreg_is_bit_identical_with_1_and_2_threads),
        cmocka_unit_test(logreg_predictions_are_probabilities_and_argmax),
        cmocka_unit_test(logreg_save_load_round_trip_predicts_identically),
        cmocka_unit_test(logreg_rejects_bad_params_and_data),
        cmocka_unit_test(logreg_fit_returns_enomem_without_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
