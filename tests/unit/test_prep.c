/* test_prep.c: cleaning transforms against hand-computed values and scikit-learn goldens. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/prep.h>

#include "crm_test.h"
#include "prep/prep_internal.h"

#define NA NAN

static crm_table *table1(const char *name, const double *v, int64_t n)
{
    crm_table *t = NULL;
    crm_error err;
    assert_int_equal(crm_table_new(n, "t.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, name, v, &err), CRM_OK);
    return t;
}

static crm_prep *fit1(const crm_table *t, const char *name, const crm_prep_params *p)
{
    crm_prep *prep = NULL;
    crm_error err;
    const char *f[1] = { name };
    crm_status rc = crm_prep_fit(t, f, 1, p, &prep, &err);
    if (rc != CRM_OK) {
        fprintf(stderr, "fit: %s\n", err.msg);
    }
    assert_int_equal(rc, CRM_OK);
    return prep;
}

static void
check_column(const crm_prep *prep, const crm_table *t, int32_t j, const double *want, int64_t n)
{
    crm_matrix m;
    crm_error err;
    assert_int_equal(crm_prep_transform(prep, t, &m, NULL, &err), CRM_OK);
    assert_int_equal(m.n_rows, n);
    for (int64_t i = 0; i < n; i++) {
        crm_assert_close(CRM_ROW(&m, i)[j], want[i], 1e-15, 1e-15);
    }
    crm_matrix_fini(&m);
}

static void prep_mean_imputation_and_zscore_match_hand_values(void **state)
{
    const double x[5] = { 1, 2, NA, 4, 8 };
    crm_prep_params p = crm_prep_params_default();
    crm_table *t = table1("x", x, 5);
    crm_prep *prep = fit1(t, "x", &p);
    double sd = sqrt(5.75); /* imputed column 1 2 3.75 4 8: mean 3.75, variance 28.75 / 5 */
    double want[5] = { -2.75 / sd, -1.75 / sd, 0.0, 0.25 / sd, 4.25 / sd };
    (void)state;
    assert_int_equal(crm_prep_n_out(prep), 1);
    assert_string_equal(crm_prep_out_name(prep, 0), "x");
    check_column(prep, t, 0, want, 5);
    crm_assert_close(crm_prep_unscale(prep, 0, want[4]), 8.0, 1e-15, 0);
    crm_prep_free(prep);
    crm_table_free(t);
}

static void prep_median_and_neighbours_imputation_match_hand_values(void **state)
{
    const double x[5] = { 1, 2, NA, 4, 8 };
    const double y[8] = { NA, 1, NA, 4, NA, NA, 10, NA };
    crm_prep_params p = crm_prep_params_default();
    crm_table *t = table1("x", x, 5);
    crm_table *u = table1("y", y, 8);
    crm_prep *prep;
    const double want_x[5] = { 1, 2, 3, 4, 8 };
    /* Present values 1, 4, 10: mean 5 at the ends; (1 + 4) / 2 and (4 + 10) / 2 inside. */
    const double want_y[8] = { 5, 1, 2.5, 4, 7, 7, 10, 5 };
    (void)state;
    p.scale = CRM_SCALE_NONE;
    p.impute = CRM_IMPUTE_MEDIAN;
    prep = fit1(t, "x", &p);
    check_column(prep, t, 0, want_x, 5);
    crm_prep_free(prep);
    p.impute = CRM_IMPUTE_NEIGHBOURS;
    prep = fit1(u, "y", &p);
    check_column(prep, u, 0, want_y, 8);
    crm_prep_free(prep);
    p.impute = CRM_IMPUTE_NONE;
    prep = fit1(u, "y", &p);
    {
        crm_matrix m;
        crm_error err;
        assert_int_equal(crm_prep_transform(prep, u, &m, NULL, &err), CRM_OK);
        assert_true(isnan(CRM_ROW(&m, 0)[0]));
        assert_true(CRM_ROW(&m, 3)[0] == 4.0);
        crm_matrix_fini(&m);
    }
    crm_prep_free(prep);
    crm_table_free(t);
    crm_table_free(u);
}

static void prep_caps_at_linear_percentiles_and_flags_outliers(void **state)
{
    double x[100];
    crm_prep_params p = crm_prep_params_default();
    crm_table *t;
    crm_prep *prep;
    crm_matrix m;
    crm_error err;
    (void)state;
    for (int i = 0; i < 100; i++) {
        x[i] = (double)(100 - i); /* reverse order: selection must not care */
    }
    t = table1("x", x, 100);
    p.scale = CRM_SCALE_NONE;
    p.cap_low_pct = 1;
    p.cap_high_pct = 99;
    p.outlier_flags = 1;
    prep = fit1(t, "x", &p);
    assert_int_equal(crm_prep_n_out(prep), 2);
    assert_string_equal(crm_prep_out_name(prep, 1), "x_capped");
    assert_int_equal(crm_prep_out_feature(prep, 1), 0);
    assert_int_equal(crm_prep_transform(prep, t, &m, NULL, &err), CRM_OK);
    /* numpy.percentile(range(1, 101), [1, 99]) = 1.99, 99.01 */
    crm_assert_close(CRM_ROW(&m, 0)[0], 99.01, 1e-14, 0);
    assert_true(CRM_ROW(&m, 0)[1] == 1.0);
    crm_assert_close(CRM_ROW(&m, 99)[0], 1.99, 1e-14, 0);
    assert_true(CRM_ROW(&m, 99)[1] == 1.0);
    assert_true(CRM_ROW(&m, 50)[0] == 50.0);
    assert_true(CRM_ROW(&m, 50)[1] == 0.0);
    crm_matrix_fini(&m);
    crm_prep_free(prep);
    crm_table_free(t);
}

static void prep_minmax_uses_training_range_on_new_data(void **state)
{
    const double x[3] = { 2, 4, 6 };
    const double y[2] = { 8, 0 };
    crm_prep_params p = crm_prep_params_default();
    crm_table *t = table1("x", x, 3);
    crm_table *u = table1("x", y, 2);
    const double want_t[3] = { 0, 0.5, 1 };
    const double want_u[2] = { 1.5, -0.5 };
    crm_prep *prep;
    (void)state;
    p.scale = CRM_SCALE_MINMAX;
    prep = fit1(t, "x", &p);
    check_column(prep, t, 0, want_t, 3);
    check_column(prep, u, 0, want_u, 2);
    crm_prep_free(prep);
    crm_table_free(t);
    crm_table_free(u);
}

static crm_table *plan_table(const char *const *plans, int64_t n)
{
    crm_table *t = NULL;
    crm_error err;
    double v[8];
    for (int64_t i = 0; i < n; i++) {
        v[i] = (double)i;
    }
    assert_int_equal(crm_table_new(n, "plans.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "v", v, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plans, &err), CRM_OK);
    return t;
}

static void prep_one_hot_counts_unseen_levels(void **state)
{
    const char *train[5] = { "prepaid", "postpaid", "prepaid", NULL, "prepaid" };
    const char *fresh[3] = { "postpaid", "business", "prepaid" };
    crm_table *t = plan_table(train, 5);
    crm_table *u = plan_table(fresh, 3);
    crm_prep_params p = crm_prep_params_default();
    const char *f[2] = { "plan", "v" };
    crm_prep *prep = NULL;
    crm_matrix m;
    crm_error err;
    int64_t unseen = -1;
    int32_t pre = -1;
    int32_t post = -1;
    (void)state;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_prep_n_out(prep), 3);
    assert_int_equal(crm_prep_feature_type(prep, 0), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_prep_feature_n_levels(prep, 0), 2);
    for (int32_t j = 0; j < 2; j++) {
        if (strcmp(crm_prep_out_name(prep, j), "plan=prepaid") == 0) {
            pre = j;
        } else if (strcmp(crm_prep_out_name(prep, j), "plan=postpaid") == 0) {
            post = j;
        }
    }
    assert_true(pre >= 0 && post >= 0);
    assert_string_equal(crm_prep_out_name(prep, 2), "v");
    assert_int_equal(crm_prep_transform(prep, u, &m, &unseen, &err), CRM_OK);
    assert_int_equal(unseen, 1);
    assert_true(CRM_ROW(&m, 0)[post] == 1.0 && CRM_ROW(&m, 0)[pre] == 0.0);
    assert_true(CRM_ROW(&m, 1)[post] == 0.0 && CRM_ROW(&m, 1)[pre] == 0.0);
    assert_true(CRM_ROW(&m, 2)[post] == 0.0 && CRM_ROW(&m, 2)[pre] == 1.0);
    crm_matrix_fini(&m);
    crm_prep_free(prep);
    crm_table_free(t);
    crm_table_free(u);
}

static void prep_ordinal_fills_missing_with_the_modal_level(void **state)
{
    const char *train[5] = { "b", "a", "b", NULL, "b" };
    crm_table *t = plan_table(train, 5);
    crm_prep_params p = crm_prep_params_default();
    const char *f[1] = { "plan" };
    crm_prep *prep = NULL;
    crm_matrix m;
    crm_error err;
    (void)state;
    p.encode = CRM_ENCODE_ORDINAL;
    p.scale = CRM_SCALE_NONE;
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_prep_n_out(prep), 1);
    assert_int_equal(crm_prep_transform(prep, t, &m, NULL, &err), CRM_OK);
    assert_true(CRM_ROW(&m, 3)[0] == CRM_ROW(&m, 0)[0]);
    assert_string_equal(crm_prep_feature_level(prep, 0, (int32_t)CRM_ROW(&m, 0)[0]), "b");
    assert_string_equal(crm_prep_feature_level(prep, 0, (int32_t)CRM_ROW(&m, 1)[0]), "a");
    crm_matrix_fini(&m);
    crm_prep_free(prep);
    crm_table_free(t);
}

static void prep_rejects_unusable_columns_naming_them(void **state)
{
    const double gone[3] = { NA, NA, NA };
    const double flat[3] = { 5, 5, 5 };
    const double inf[3] = { 1, INFINITY, 2 };
    const char *ids[3] = { "a1", "a2", "a3" };
    crm_table *t = NULL;
    crm_prep_params p = crm_prep_params_default();
    crm_prep *prep = NULL;
    crm_error err;
    const char *f[2] = { NULL, NULL };
    (void)state;
    assert_int_equal(crm_table_new(3, "bad.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "gone", gone, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "flat", flat, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "inf", inf, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "id", CRM_COL_ID, ids, &err), CRM_OK);
    f[0] = "gone";
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_EDATA);
    assert_string_equal(err.field, "gone");
    assert_non_null(strstr(err.msg, "entirely missing"));
    f[0] = "flat";
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_EDATA);
    assert_string_equal(err.field, "flat");
    assert_non_null(strstr(err.msg, "constant"));
    p.scale = CRM_SCALE_NONE;
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_OK);
    crm_prep_free(prep);
    f[0] = "inf";
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_EDATA);
    assert_string_equal(err.field, "inf");
    assert_non_null(strstr(err.msg, "row 2"));
    f[0] = "id";
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_EINVAL);
    assert_string_equal(err.field, "id");
    f[0] = "nosuch";
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_ENOTFOUND);
    assert_string_equal(err.field, "nosuch");
    assert_string_equal(err.source, "bad.csv");
    f[0] = "flat";
    f[1] = "flat";
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_EINVAL);
    p.cap_low_pct = 50;
    p.cap_high_pct = 40;
    assert_int_equal(crm_prep_fit(t, f, 1, &p, &prep, &err), CRM_EINVAL);
    assert_null(prep);
    crm_table_free(t);
}

static void prep_transform_needs_the_fitted_columns(void **state)
{
    const double x[3] = { 1, 2, 3 };
    const char *txt[3] = { "1", "2", "3" };
    crm_table *t = table1("x", x, 3);
    crm_table *other = table1("y", x, 3);
    crm_table *text = NULL;
    crm_prep_params p = crm_prep_params_default();
    crm_prep *prep = fit1(t, "x", &p);
    crm_matrix m;
    crm_error err;
    (void)state;
    assert_int_equal(crm_prep_transform(prep, other, &m, NULL, &err), CRM_ENOTFOUND);
    assert_string_equal(err.field, "x");
    assert_null(m.data);
    assert_int_equal(crm_table_new(3, "text.csv", &text, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(text, "x", CRM_COL_CATEGORICAL, txt, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(prep, text, &m, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "was numeric"));
    crm_prep_free(prep);
    crm_table_free(t);
    crm_table_free(other);
    crm_table_free(text);
}

/* ---- scikit-learn golden ---- */

typedef struct golden {
    int n;
    int d;
    double *x;
    double *z;
    double *m;
    double *c;
    double *caps;
} golden;

static void read_golden(golden *g)
{
    char *path = crm_test_path("golden/prep/scalers.txt");
    char *text = crm_test_read_file(path, NULL);
    char *s = text;
    double **blocks[4] = { &g->x, &g->z, &g->m, &g->c };
    assert_non_null(text);
    g->n = (int)strtol(s, &s, 10);
    g->d = (int)strtol(s, &s, 10);
    for (int b = 0; b < 4; b++) {
        *blocks[b] = malloc(sizeof(double) * (size_t)(g->n * g->d));
        for (int i = 0; i < g->n * g->d; i++) {
            (*blocks[b])[i] = strtod(s, &s);
        }
    }
    g->caps = malloc(sizeof(double) * (size_t)(2 * g->d));
    for (int i = 0; i < 2 * g->d; i++) {
        g->caps[i] = strtod(s, &s);
    }
    free(text);
    free(path);
}

static void golden_free(golden *g)
{
    free(g->x);
    free(g->z);
    free(g->m);
    free(g->c);
    free(g->caps);
}

static void
check_golden(const golden *g, const crm_table *t, const crm_prep_params *p, const double *want)
{
    const char *f[3] = { "a", "b", "c" };
    crm_prep *prep = NULL;
    crm_matrix m;
    crm_error err;
    assert_int_equal(crm_prep_fit(t, f, 3, p, &prep, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(prep, t, &m, NULL, &err), CRM_OK);
    for (int i = 0; i < g->n; i++) {
        for (int j = 0; j < g->d; j++) {
            crm_assert_close(CRM_ROW(&m, i)[j], want[i * g->d + j], 1e-12, 1e-12);
        }
    }
    crm_matrix_fini(&m);
    crm_prep_free(prep);
}

static void prep_matches_scikit_learn_scalers_and_numpy_percentiles(void **state)
{
    golden g;
    crm_table *t = NULL;
    crm_error err;
    crm_prep_params p = crm_prep_params_default();
    const char *names[3] = { "a", "b", "c" };
    double *col;
    (void)state;
    read_golden(&g);
    col = malloc(sizeof(double) * (size_t)g.n);
    assert_int_equal(crm_table_new(g.n, "golden", &t, &err), CRM_OK);
    for (int j = 0; j < g.d; j++) {
        for (int i = 0; i < g.n; i++) {
            col[i] = g.x[i * g.d + j];
        }
        assert_int_equal(crm_table_add_numeric(t, names[j], col, &err), CRM_OK);
    }
    check_golden(&g, t, &p, g.z);
    p.impute = CRM_IMPUTE_MEDIAN;
    p.scale = CRM_SCALE_MINMAX;
    check_golden(&g, t, &p, g.m);
    p.impute = CRM_IMPUTE_MEAN;
    p.scale = CRM_SCALE_ZSCORE;
    p.cap_low_pct = 1;
    p.cap_high_pct = 99;
    check_golden(&g, t, &p, g.c);
    free(col);
    crm_table_free(t);
    golden_free(&g);
}

/* ---- persistence ---- */

static crm_table *mixed_table(void)
{
    const double x[6] = { 3, NA, 7, 1e6, 2, 5 };
    const char *plan[6] = { "a", "b", NULL, "a", "c", "b" };
    crm_table *t = NULL;
    crm_error err;
    assert_int_equal(crm_table_new(6, "mixed.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    return t;
}

static void prep_save_and_load_give_the_same_transform(void **state)
{
    crm_table *t = mixed_table();
    crm_prep_params p = crm_prep_params_default();
    const char *f[2] = { "x", "plan" };
    crm_prep *prep = NULL;
    crm_prep *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_matrix a;
    crm_matrix b;
    crm_error err;
    (void)state;
    p.impute = CRM_IMPUTE_NEIGHBOURS;
    p.cap_low_pct = 10;
    p.cap_high_pct = 90;
    p.outlier_flags = 1;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_prep_save(prep, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_prep_load(r, &back, &err), CRM_OK);
    assert_int_equal(crm_prep_n_out(back), crm_prep_n_out(prep));
    assert_int_equal(crm_prep_n_out(back), 2 + 3);
    for (int32_t j = 0; j < crm_prep_n_out(prep); j++) {
        assert_string_equal(crm_prep_out_name(back, j), crm_prep_out_name(prep, j));
    }
    assert_int_equal(crm_prep_fitted_params(back).impute, CRM_IMPUTE_NEIGHBOURS);
    assert_int_equal(crm_prep_transform(prep, t, &a, NULL, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(back, t, &b, NULL, &err), CRM_OK);
    assert_memory_equal(a.data, b.data, sizeof(double) * 6 * 5);
    /* Row 2 (x = 7) is not capped: unscaling gives the raw value back. */
    crm_assert_close(crm_prep_unscale(back, 0, CRM_ROW(&b, 2)[0]), 7.0, 1e-14, 0);
    assert_true(CRM_ROW(&b, 3)[1] == 1.0); /* 1e6 was capped */
    crm_matrix_fini(&a);
    crm_matrix_fini(&b);
    /* Every truncation of the section is refused by the container or by the decoder. */
    crm_model_reader_free(r);
    crm_prep_free(back);
    crm_prep_free(prep);
    crm_model_writer_free(w);
    crm_table_free(t);
}

/* Hand values: x = 0 1 3 7 999 is skewed (g1 = 1.4999), so AUTO logs it; y = 1 2 3 4 5 is
 * not. log1p(x) = 0, ln 2, ln 4, ln 8, ln 1000; mean and population sd by hand below. */
static void prep_log_transform_on_skewed_columns_matches_hand_values(void **state)
{
    const double x[5] = { 0, 1, 3, 7, 999 };
    const double y[5] = { 1, 2, 3, 4, 5 };
    const char *f[2] = { "x", "y" };
    double lx[5];
    double mean = 0.0;
    double var = 0.0;
    double want[5];
    crm_prep_params p = crm_prep_params_default();
    crm_table *t = table1("x", x, 5);
    crm_prep *prep = NULL;
    crm_prep *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    assert_int_equal(crm_table_add_numeric(t, "y", y, &err), CRM_OK);
    for (int i = 0; i < 5; i++) {
        lx[i] = log(1.0 + x[i]);
        mean += lx[i] / 5.0;
    }
    for (int i = 0; i < 5; i++) {
        var += (lx[i] - mean) * (lx[i] - mean) / 5.0;
    }
    for (int i = 0; i < 5; i++) {
        want[i] = (lx[i] - mean) / sqrt(var);
    }
    p.transform = CRM_TRANSFORM_AUTO;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_prep_feature_logged(prep, 0), 1);
    assert_int_equal(crm_prep_feature_logged(prep, 1), 0); /* skewness 0 */
    check_column(prep, t, 0, want, 5);
    /* Back to original units through expm1. */
    crm_assert_close(crm_prep_unscale(prep, 0, want[4]), 999.0, 1e-12, 0);
    crm_assert_close(crm_prep_unscale(prep, 0, want[2]), 3.0, 1e-13, 0);
    /* Stored in the model: a saved and loaded transform gives the same matrix. */
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_prep_save(prep, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_prep_load(r, &back, &err), CRM_OK);
    assert_int_equal(crm_prep_fitted_params(back).transform, CRM_TRANSFORM_AUTO);
    assert_int_equal(crm_prep_feature_logged(back, 0), 1);
    assert_int_equal(crm_prep_feature_logged(back, 1), 0);
    check_column(back, t, 0, want, 5);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_prep_free(back);
    crm_prep_free(prep);
    /* LOG takes every numeric column; NONE writes the section of before (version 1). */
    p.transform = CRM_TRANSFORM_LOG;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_prep_feature_logged(prep, 1), 1);
    crm_prep_free(prep);
    p.transform = CRM_TRANSFORM_NONE;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_prep_save(prep, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    {
        crm_section s;
        uint32_t version = 0;
        assert_int_equal(crm_model_section(r, "prep", &s, &err), CRM_OK);
        assert_int_equal(crm_section_get_u32(&s, &version), CRM_OK);
        assert_int_equal(version, 1);
    }
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_prep_free(prep);
    crm_table_free(t);
}

static void prep_fit_and_load_fail_cleanly_out_of_memory(void **state)
{
    crm_table *t = mixed_table();
    crm_prep_params p = crm_prep_params_default();
    const char *f[2] = { "x", "plan" };
    crm_prep *prep = NULL;
    crm_model_writer *w = NULL;
    const unsigned char *bytes;
    size_t len;
    unsigned char *copy;
    crm_error err;
    int done = 0;
    (void)state;
    p.outlier_flags = 1;
    p.cap_high_pct = 90;
    for (long n = 0; n < 200 && !done; n++) {
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_prep_fit(t, f, 2, &p, &prep, &err);
        if (rc == CRM_OK) {
            crm_matrix m;
            rc = crm_prep_transform(prep, t, &m, NULL, &err);
            if (rc == CRM_OK) {
                crm_matrix_fini(&m);
                done = 1;
            }
            crm_prep_free(prep);
        }
        if (!done) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(done);
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_prep_save(prep, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    copy = malloc(len);
    memcpy(copy, bytes, len);
    crm_model_writer_free(w);
    crm_prep_free(prep);
    done = 0;
    for (long n = 0; n < 200 && !done; n++) {
        crm_model_reader *r = NULL;
        crm_prep *back = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_model_reader_open_mem(copy, len, "mem", &r, &err);
        if (rc == CRM_OK) {
            rc = crm_prep_load(r, &back, &err);
            done = (rc == CRM_OK);
            crm_prep_free(back);
            crm_model_reader_free(r);
        }
        if (!done) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(done);
    free(copy);
    crm_table_free(t);
}

/* Blocks of rows are cleaned in parallel: the result must not depend on the thread count. */
static void prep_transform_is_identical_with_1_and_2_threads(void **state)
{
    enum {
        N = 20000
    };
    double *x = malloc(N * sizeof *x);
    const char **plan = malloc(N * sizeof *plan);
    static const char *const levels[3] = { "a", "b", "c" };
    crm_table *t = NULL;
    crm_prep_params p = crm_prep_params_default();
    const char *f[2] = { "x", "plan" };
    crm_prep *prep = NULL;
    crm_matrix m1;
    crm_matrix m2;
    crm_error err;
    (void)state;
    for (int i = 0; i < N; i++) {
        x[i] = (i % 97 == 0) ? NA : (double)((i * 7919) % 1000) / 7.0;
        plan[i] = (i % 13 == 0) ? NULL : levels[i % 3];
    }
    assert_int_equal(crm_table_new(N, "big.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    p.cap_low_pct = 5;
    p.cap_high_pct = 95;
    p.outlier_flags = 1;
    assert_int_equal(crm_prep_fit(t, f, 2, &p, &prep, &err), CRM_OK);
    omp_set_num_threads(1);
    assert_int_equal(crm_prep_transform(prep, t, &m1, NULL, &err), CRM_OK);
    omp_set_num_threads(2);
    assert_int_equal(crm_prep_transform(prep, t, &m2, NULL, &err), CRM_OK);
    assert_memory_equal(m1.data, m2.data, sizeof(double) * N * 5);
    /* Row 97 is missing: imputed with the mean, like every missing row. */
    assert_true(CRM_ROW(&m1, 97)[0] == CRM_ROW(&m1, 0)[0] && isfinite(CRM_ROW(&m1, 97)[0]));
    crm_matrix_fini(&m1);
    crm_matrix_fini(&m2);
    crm_prep_free(prep);
    crm_table_free(t);
    free(plan);
    free(x);
}

/* Infinite values are found while the blocks are cleaned in parallel, yet the error is the
 * one a check of each feature in turn gives: the first feature's first infinite value, and
 * before a later feature's wrong type. */
static void prep_transform_names_the_first_infinite_value_in_feature_order(void **state)
{
    enum {
        N = 3 * 4096 + 7
    };
    double *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    const char **plan = malloc(N * sizeof *plan);
    crm_table *t = NULL;
    crm_table *u = NULL;
    crm_prep_params p = crm_prep_params_default();
    const char *f[3] = { "x", "y", "plan" };
    crm_prep *prep = NULL;
    crm_matrix m;
    crm_error err;
    (void)state;
    for (int i = 0; i < N; i++) {
        x[i] = (double)(i % 17);
        y[i] = (double)(i % 5);
        plan[i] = (i % 2) ? "a" : "b";
    }
    assert_int_equal(crm_table_new(N, "clean.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "y", y, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    assert_int_equal(crm_prep_fit(t, f, 3, &p, &prep, &err), CRM_OK);
    x[3 * 4096 + 2] = -INFINITY; /* in the last block */
    x[9000] = INFINITY;
    y[3] = INFINITY; /* earlier row, later feature */
    assert_int_equal(crm_table_new(N, "dirty.csv", &u, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "y", y, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "plan", y, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(prep, u, &m, NULL, &err), CRM_EDATA);
    assert_string_equal(err.field, "x");
    assert_non_null(strstr(err.msg, "row 9001"));
    assert_null(m.data);
    crm_table_free(u);
    x[9000] = 1;
    x[3 * 4096 + 2] = 1;
    assert_int_equal(crm_table_new(N, "dirty.csv", &u, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "y", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "plan", y, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(prep, u, &m, NULL, &err), CRM_EDATA);
    assert_string_equal(err.field, "plan");
    assert_non_null(strstr(err.msg, "numeric here"));
    crm_table_free(u);
    y[3] = 1;
    y[N - 1] = INFINITY;
    assert_int_equal(crm_table_new(N, "dirty.csv", &u, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "y", y, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(u, "plan", y, &err), CRM_OK);
    assert_int_equal(crm_prep_transform(prep, u, &m, NULL, &err), CRM_EDATA);
    assert_string_equal(err.field, "y");
    assert_non_null(strstr(err.msg, "infinite"));
    crm_table_free(u);
    crm_prep_free(prep);
    crm_table_free(t);
    free(plan);
    free(y);
    free(x);
}

/* The branch-free log transform agrees with the C library's log1p to within one unit in the
 * last place on a million values over the whole range (tiny, around 1, large), and exactly
 * on the special cases. */
static void prep_log_transform_is_within_one_ulp_of_log1p(void **state)
{
    (void)state;
    uint64_t s = 12345;
    int64_t off_by_one = 0;
    for (int i = 0; i < 1000000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double r = (double)(s >> 11) * 0x1p-53;
        double v = i % 3 == 0 ? r * 1e-6 : (i % 3 == 1 ? 4.0 * r : exp(230.0 * r) - 1.0);
        v = i % 2 ? -v : v;
        double want = v < 0.0 ? -log1p(-v) : log1p(v);
        double got = crm__log1p_sym(v);
        if (got != want) {
            off_by_one++;
            assert_true(got == nextafter(want, HUGE_VAL) || got == nextafter(want, -HUGE_VAL));
        }
    }
    assert_true(off_by_one < 20000); /* rare: measured about 0.2% */
    assert_true(crm__log1p_sym(0.0) == 0.0 && !signbit(crm__log1p_sym(0.0)));
    assert_true(crm__log1p_sym(-0.0) == 0.0 && signbit(crm__log1p_sym(-0.0)));
    assert_true(crm__log1p_sym(1e-300) == 1e-300);
    assert_true(crm__log1p_sym(1.0) == log1p(1.0));
    assert_true(isnan(crm__log1p_sym(NAN)));
    assert_true(fabs(crm__log1p_sym(1e100) - log1p(1e100)) <= 1e-13);
}

/* A table past the parallel threshold (120,000 rows): the fit (features in parallel) and the
 * transform give the same bits with 1 and 2 threads, with the default cleaning and with
 * nothing to cap, log or scale, where the output is the values themselves (-0.0 kept) and
 * the mean of the present values where one is missing. */
static void prep_fit_is_the_same_with_any_threads_and_none_copies_values(void **state)
{
    enum {
        N = 120000
    };
    static const char *const f[4] = { "a", "b", "c", "plan" };
    static const char *const levels[3] = { "pre", "post", "biz" };
    double *x[3];
    const char **plan = malloc(N * sizeof *plan);
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    assert_non_null(plan);
    for (int j = 0; j < 3; j++) {
        x[j] = malloc(N * sizeof *x[j]);
        assert_non_null(x[j]);
    }
    for (int64_t i = 0; i < N; i++) {
        x[0][i] = (double)((i * 7919) % 1009) * 0.37 - 100.0;
        x[1][i] = i % 11 == 3 ? (double)NAN : exp((double)(i % 97) * 0.1); /* skewed */
        x[2][i] = i % 5 == 0 ? -0.0 : (double)(i % 13);
        plan[i] = levels[i % 3];
    }
    assert_int_equal(crm_table_new(N, "big.csv", &t, &err), CRM_OK);
    for (int j = 0; j < 3; j++) {
        assert_int_equal(crm_table_add_numeric(t, f[j], x[j], &err), CRM_OK);
    }
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    for (int none = 0; none < 2; none++) {
        crm_prep_params p = crm_prep_params_default();
        crm_matrix m[2];
        int64_t cols = 0;
        if (none) {
            p.scale = CRM_SCALE_NONE;
            p.transform = CRM_TRANSFORM_NONE;
        } else {
            p.transform = CRM_TRANSFORM_AUTO;
        }
        for (int run = 0; run < 2; run++) {
            crm_prep *prep = NULL;
            omp_set_num_threads(run + 1);
            assert_int_equal(crm_prep_fit(t, f, 4, &p, &prep, &err), CRM_OK);
            assert_int_equal(crm_prep_transform(prep, t, &m[run], NULL, &err), CRM_OK);
            cols = m[run].n_cols;
            assert_int_equal(crm_prep_feature_logged(prep, 1), !none);
            crm_prep_free(prep);
        }
        assert_int_equal(cols, 3 + 3);
        assert_memory_equal(m[0].data, m[1].data, sizeof(double) * (size_t)(N * cols));
        if (none) {
            double sum = 0.0;
            int64_t present = 0;
            for (int64_t i = 0; i < N; i++) {
                if (!isnan(x[1][i])) {
                    sum += x[1][i];
                    present++;
                }
            }
            for (int64_t i = 0; i < N; i++) {
                const double *row = CRM_ROW(&m[0], i);
                assert_memory_equal(&row[0], &x[0][i], sizeof(double));
                assert_memory_equal(&row[2], &x[2][i], sizeof(double)); /* -0.0 stays */
                if (isnan(x[1][i])) {
                    crm_assert_close(row[1], sum / (double)present, 1e-12, 0);
                } else {
                    assert_memory_equal(&row[1], &x[1][i], sizeof(double));
                }
            }
        }
        crm_matrix_fini(&m[0]);
        crm_matrix_fini(&m[1]);
    }
    crm_table_free(t);
    for (int j = 0; j < 3; j++) {
        free(x[j]);
    }
    free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prep_mean_imputation_and_zscore_match_hand_values),
        cmocka_unit_test(prep_median_and_neighbours_imputation_match_hand_values),
        cmocka_unit_test(prep_caps_at_linear_percentiles_and_flags_outliers),
        cmocka_unit_test(prep_minmax_uses_training_range_on_new_data),
        cmocka_unit_test(prep_one_hot_counts_unseen_levels),
        cmocka_unit_test(prep_ordinal_fills_missing_with_the_modal_level),
        cmocka_unit_test(prep_rejects_unusable_columns_naming_them),
        cmocka_unit_test(prep_transform_needs_the_fitted_columns),
        cmocka_unit_test(prep_matches_scikit_learn_scalers_and_numpy_percentiles),
        cmocka_unit_test(prep_save_and_load_give_the_same_transform),
        cmocka_unit_test(prep_log_transform_on_skewed_columns_matches_hand_values),
        cmocka_unit_test(prep_fit_and_load_fail_cleanly_out_of_memory),
        cmocka_unit_test(prep_transform_is_identical_with_1_and_2_threads),
        cmocka_unit_test(prep_transform_names_the_first_infinite_value_in_feature_order),
        cmocka_unit_test(prep_fit_is_the_same_with_any_threads_and_none_copies_values),
        cmocka_unit_test(prep_log_transform_is_within_one_ulp_of_log1p),
    };
    return cmocka_run_group_tests_name("prep", tests, NULL, NULL);
}
