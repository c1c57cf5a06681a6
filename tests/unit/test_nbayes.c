/* test_nbayes.c: naive Bayes against scikit-learn's GaussianNB and CategoricalNB (golden
 * files), missing values, save/load round trip, bad parameters and inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/model.h>
#include <crmkit/nbayes.h>

#include "crm_test.h"
#include "models_golden.h"

static void nbayes_gaussian_matches_scikit_learn(void **state)
{
    golden g = golden_open("golden/models/nbayes.txt");
    crm_matrix x = golden_get(&g, "x");
    crm_matrix xt = golden_get(&g, "xt");
    crm_matrix theta = golden_get(&g, "theta");
    crm_matrix var = golden_get(&g, "var");
    crm_matrix proba = golden_get(&g, "proba");
    crm_matrix jll = golden_get(&g, "jll");
    crm_matrix pred = golden_get(&g, "pred");
    int64_t n;
    int32_t *y = golden_labels(&g, "y", &n);
    crm_nbayes *nb;
    double *p = malloc((size_t)xt.n_rows * 3 * sizeof *p);
    double *j = malloc((size_t)xt.n_rows * 3 * sizeof *j);
    int32_t *lab = malloc((size_t)xt.n_rows * sizeof *lab);
    crm_error err;
    (void)state;
    assert_int_equal(crm_nbayes_new(NULL, &nb, &err), CRM_OK);
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 3, NULL, &err), CRM_OK);
    for (int64_t f = 0; f < 4; f++) {
        for (int c = 0; c < 3; c++) {
            crm_assert_close(crm_nbayes_theta(nb, f)[c], theta.data[c * 4 + f], 1e-12, 1e-12);
            crm_assert_close(crm_nbayes_var(nb, f)[c], var.data[c * 4 + f], 1e-10, 1e-12);
        }
    }
    assert_int_equal(crm_nbayes_predict_proba(nb, &xt, p, &err), CRM_OK);
    assert_int_equal(crm_nbayes_joint_log_likelihood(nb, &xt, j, &err), CRM_OK);
    assert_int_equal(crm_nbayes_predict(nb, &xt, lab, &err), CRM_OK);
    for (int64_t i = 0; i < xt.n_rows; i++) {
        assert_int_equal(lab[i], (int32_t)pred.data[i]);
        for (int c = 0; c < 3; c++) {
            crm_assert_close(p[i * 3 + c], proba.data[i * 3 + c], 1e-9, 1e-12);
            crm_assert_close(j[i * 3 + c], jll.data[i * 3 + c], 1e-10, 1e-9);
        }
    }
    crm_nbayes_free(nb);
    free(p);
    free(j);
    free(lab);
    free(y);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    crm_matrix_fini(&theta);
    crm_matrix_fini(&var);
    crm_matrix_fini(&proba);
    crm_matrix_fini(&jll);
    crm_matrix_fini(&pred);
    golden_close(&g);
}

static void nbayes_mixed_categorical_matches_scikit_learn(void **state)
{
    golden g = golden_open("golden/models/nbayes.txt");
    crm_matrix x = golden_get(&g, "xm");
    crm_matrix xt = golden_get(&g, "xmt");
    crm_matrix proba = golden_get(&g, "mixed_proba");
    int64_t n;
    int32_t *y = golden_labels(&g, "y", &n);
    const int32_t levels[4] = { 0, 0, 3, 2 };
    crm_nbayes *nb;
    double *p = malloc((size_t)xt.n_rows * 3 * sizeof *p);
    crm_error err;
    (void)state;
    assert_int_equal(crm_nbayes_new(NULL, &nb, &err), CRM_OK);
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 3, levels, &err), CRM_OK);
    assert_null(crm_nbayes_theta(nb, 2));
    assert_int_equal(crm_nbayes_predict_proba(nb, &xt, p, &err), CRM_OK);
    for (int64_t i = 0; i < xt.n_rows * 3; i++) {
        crm_assert_close(p[i], proba.data[i], 1e-9, 1e-12);
    }
    crm_nbayes_free(nb);
    free(p);
    free(y);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    crm_matrix_fini(&proba);
    golden_close(&g);
}

/* A missing numeric cell is left out: the row scores as if the column did not exist. */
static void nbayes_missing_value_drops_the_feature(void **state)
{
    crm_matrix x;
    crm_matrix q;
    crm_matrix q1;
    int32_t y[6] = { 0, 0, 0, 1, 1, 1 };
    const double v[12] = { 1, 5, 2, 6, 1.5, NAN, 8, 0, 9, 1, 8.5, 0.5 };
    double pa[2];
    double pb[2];
    crm_nbayes *nb;
    crm_nbayes *nb1;
    crm_matrix x1;
    crm_error err;
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 6, 2, NULL), CRM_OK);
    memcpy(x.data, v, sizeof v);
    assert_int_equal(crm_nbayes_new(NULL, &nb, &err), CRM_OK);
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 2, NULL, &err), CRM_OK);
    crm_assert_close(crm_nbayes_theta(nb, 1)[0], 5.5, 1e-15, 0);
    /* Model on column 0 only. */
    assert_int_equal(crm_matrix_init(&x1, 6, 1, NULL), CRM_OK);
    for (int i = 0; i < 6; i++) {
        x1.data[i] = v[2 * i];
    }
    assert_int_equal(crm_nbayes_new(NULL, &nb1, &err), CRM_OK);
    assert_int_equal(crm_nbayes_fit(nb1, &x1, y, 2, NULL, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&q, 1, 2, NULL), CRM_OK);
    q.data[0] = 4.0;
    q.data[1] = NAN;
    assert_int_equal(crm_matrix_init(&q1, 1, 1, NULL), CRM_OK);
    q1.data[0] = 4.0;
    assert_int_equal(crm_nbayes_predict_proba(nb, &q, pa, &err), CRM_OK);
    assert_int_equal(crm_nbayes_predict_proba(nb1, &q1, pb, &err), CRM_OK);
    /* Same priors, same column-0 statistics; only the smoothing epsilon differs slightly. */
    crm_assert_close(pa[0], pb[0], 1e-6, 1e-9);
    crm_nbayes_free(nb);
    crm_nbayes_free(nb1);
    crm_matrix_fini(&x);
    crm_matrix_fini(&x1);
    crm_matrix_fini(&q);
    crm_matrix_fini(&q1);
}

static void nbayes_save_load_gives_identical_predictions(void **state)
{
    golden g = golden_open("golden/models/nbayes.txt");
    crm_matrix x = golden_get(&g, "xm");
    crm_matrix xt = golden_get(&g, "xmt");
    int64_t n;
    int32_t *y = golden_labels(&g, "y", &n);
    const int32_t levels[4] = { 0, 0, 3, 2 };
    crm_nbayes *nb;
    crm_nbayes *back;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    double *p = malloc((size_t)xt.n_rows * 3 * sizeof *p);
    double *p2 = malloc((size_t)xt.n_rows * 3 * sizeof *p2);
    crm_error err;
    (void)state;
    assert_int_equal(crm_nbayes_new(NULL, &nb, &err), CRM_OK);
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 3, levels, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_nbayes_save(nb, w, "m1.nb", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_nbayes_load(r, NULL, &back, &err), CRM_EFORMAT); /* no "nbayes" tag */
    assert_int_equal(crm_nbayes_load(r, "m1.nb", &back, &err), CRM_OK);
    assert_int_equal(crm_nbayes_predict_proba(nb, &xt, p, &err), CRM_OK);
    assert_int_equal(crm_nbayes_predict_proba(back, &xt, p2, &err), CRM_OK);
    assert_memory_equal(p, p2, (size_t)xt.n_rows * 3 * sizeof *p);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_nbayes_free(nb);
    crm_nbayes_free(back);
    free(p);
    free(p2);
    free(y);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    golden_close(&g);
}

static void nbayes_rejects_bad_params_and_inputs(void **state)
{
    crm_nbayes_params p = crm_nbayes_params_default();
    crm_nbayes *nb;
    crm_matrix x;
    int32_t y[4] = { 0, 0, 0, 0 };
    int32_t lv[1] = { 2 };
    double out[8];
    crm_error err;
    (void)state;
    p.alpha = 0;
    assert_int_equal(crm_nbayes_new(&p, &nb, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "alpha"));
    p = crm_nbayes_params_default();
    p.var_smoothing = -1;
    assert_int_equal(crm_nbayes_params_check(&p, &err), CRM_EINVAL);
    assert_int_equal(crm_nbayes_new(NULL, &nb, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 4, 1, NULL), CRM_OK);
    for (int i = 0; i < 4; i++) {
        x.data[i] = i;
    }
    assert_int_equal(crm_nbayes_predict_proba(nb, &x, out, &err), CRM_ESTATE);
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 2, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "one class"));
    y[2] = 5;
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 2, NULL, &err), CRM_EINVAL);
    y[2] = 1;
    y[3] = 1;
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 2, lv, &err), CRM_EINVAL); /* code 2, 3 >= 2 */
    assert_int_equal(crm_nbayes_fit(nb, &x, y, 2, NULL, &err), CRM_OK);
    x.n_cols = 0;
    assert_int_equal(crm_nbayes_predict_proba(nb, &x, out, &err), CRM_EINVAL);
    x.n_cols = 1;
    crm_nbayes_free(nb);
    crm_nbayes_free(NULL);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nbayes_gaussian_matches_scikit_learn),
        cmocka_unit_test(nbayes_mixed_categorical_matches_scikit_learn),
        cmocka_unit_test(nbayes_missing_value_drops_the_feature),
        cmocka_unit_test(nbayes_save_load_gives_identical_predictions),
        cmocka_unit_test(nbayes_rejects_bad_params_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
