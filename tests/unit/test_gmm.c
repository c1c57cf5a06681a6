/* test_gmm.c: EM for Gaussian mixtures against scikit-learn's GaussianMixture from the same
 * initial parameters (scripts/golden/make_gmm_golden.py: full and diagonal covariances, a
 * fixed 20 iterations and the tolerance stop), the k-means initialisation, the same result
 * for any thread count, and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/gmm.h>

#include "crm_test.h"

/* Numbers of tests/golden/gmm/<name> (commas and newlines) into a new array; *n the count. */
static double *numbers(const char *name, long *n)
{
    char rel[256];
    char *path;
    char *text;
    char *p;
    double *v = NULL;
    long have = 0;
    long cap = 0;
    snprintf(rel, sizeof rel, "golden/gmm/%s", name);
    path = crm_test_path(rel);
    text = crm_test_read_file(path, NULL);
    free(path);
    assert_non_null(text);
    for (p = text; *p != '\0';) {
        char *end;
        double d;
        if (*p == ',' || *p == '\n' || *p == '\r' || *p == ' ') {
            p++;
            continue;
        }
        d = strtod(p, &end);
        assert_true(end != p);
        if (have == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[have++] = d;
        p = end;
    }
    free(text);
    *n = have;
    return v;
}

static double expected(const char *key)
{
    char *path = crm_test_path("golden/gmm/expected.txt");
    char *text = crm_test_read_file(path, NULL);
    size_t klen = strlen(key);
    double v = NAN;
    free(path);
    assert_non_null(text);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (strncmp(line, key, klen) == 0 && strncmp(line + klen, " = ", 3) == 0) {
            v = strtod(line + klen + 3, NULL);
        }
        line = next ? next + 1 : NULL;
    }
    free(text);
    assert_false(isnan(v));
    return v;
}

static void load_x(crm_matrix *x)
{
    long n;
    double *v = numbers("x.csv", &n);
    assert_int_equal(crm_matrix_init(x, n / 4, 4, NULL), CRM_OK);
    memcpy(x->data, v, (size_t)n * sizeof *v);
    free(v);
}

static void check_case(const char *name, crm_gmm_cov cov, int n_threads)
{
    char key[128];
    char file[128];
    crm_matrix x;
    crm_gmm_params p = crm_gmm_params_default();
    crm_gmm *g = NULL;
    long n;
    double *w0 = numbers("init_weights.csv", &n);
    double *m0 = numbers("init_means.csv", &n);
    double *c0 = numbers(cov == CRM_GMM_FULL ? "init_covs_full.csv" : "init_covs_diag.csv", &n);
    double *want;
    int32_t *labels;
    double v;
    load_x(&x);
    p.k = 3;
    p.cov = cov;
    snprintf(key, sizeof key, "%s_tol", name);
    p.tol = expected(key);
    snprintf(key, sizeof key, "%s_max_iter", name);
    p.max_iter = (int32_t)expected(key);
    p.n_threads = n_threads;
    assert_int_equal(crm_gmm_new(&p, &g, NULL), CRM_OK);
    assert_int_equal(crm_gmm_fit_from(g, &x, w0, m0, c0, NULL, NULL), CRM_OK);
    snprintf(key, sizeof key, "%s_n_iter", name);
    assert_int_equal(crm_gmm_n_iter(g), (int)expected(key));
    snprintf(key, sizeof key, "%s_converged", name);
    assert_int_equal(crm_gmm_converged(g), (int)expected(key));
    snprintf(key, sizeof key, "%s_lower_bound", name);
    crm_assert_close(crm_gmm_lower_bound(g), expected(key), 0, 1e-9);
    snprintf(file, sizeof file, "%s_weights.csv", name);
    want = numbers(file, &n);
    assert_int_equal(n, 3);
    for (long i = 0; i < n; i++) {
        crm_assert_close(crm_gmm_weights(g)[i], want[i], 1e-7, 1e-10);
    }
    free(want);
    snprintf(file, sizeof file, "%s_means.csv", name);
    want = numbers(file, &n);
    assert_int_equal(n, 12);
    for (long i = 0; i < n; i++) {
        crm_assert_close(crm_gmm_means(g)[i], want[i], 1e-7, 1e-9);
    }
    free(want);
    snprintf(file, sizeof file, "%s_covs.csv", name);
    want = numbers(file, &n);
    assert_int_equal(n, cov == CRM_GMM_FULL ? 48 : 12);
    for (long i = 0; i < n; i++) {
        crm_assert_close(crm_gmm_covariances(g)[i], want[i], 1e-7, 1e-9);
    }
    free(want);
    labels = malloc((size_t)x.n_rows * sizeof *labels);
    assert_int_equal(crm_gmm_assign(g, &x, labels, NULL), CRM_OK);
    snprintf(file, sizeof file, "%s_labels.csv", name);
    want = numbers(file, &n);
    assert_int_equal(n, x.n_rows);
    for (long i = 0; i < n; i++) {
        assert_int_equal(labels[i], (int32_t)want[i]);
    }
    free(want);
    free(labels);
    assert_int_equal(crm_gmm_score(g, &x, &v, NULL), CRM_OK);
    snprintf(key, sizeof key, "%s_score", name);
    crm_assert_close(v, expected(key), 0, 1e-9);
    assert_int_equal(crm_gmm_bic(g, &x, &v, NULL), CRM_OK);
    snprintf(key, sizeof key, "%s_bic", name);
    crm_assert_close(v, expected(key), 1e-10, 1e-6);
    crm_gmm_free(g);
    free(w0);
    free(m0);
    free(c0);
    crm_matrix_fini(&x);
}

static void full_matches_scikit_learn(void **state)
{
    (void)state;
    check_case("full_iter20", CRM_GMM_FULL, 0);
    check_case("full_tol", CRM_GMM_FULL, 1);
}

static void diag_matches_scikit_learn(void **state)
{
    (void)state;
    check_case("diag_iter20", CRM_GMM_DIAG, 0);
    check_case("diag_tol", CRM_GMM_DIAG, 2);
}

static void kmeans_init_and_threads(void **state)
{
    /* The k-means start finds the three blobs; 1 and 2 threads give the same bits. */
    crm_matrix x;
    crm_gmm_params p = crm_gmm_params_default();
    crm_gmm *a = NULL;
    crm_gmm *b = NULL;
    double ll;
    (void)state;
    load_x(&x);
    p.k = 3;
    p.seed = 9;
    p.n_threads = 1;
    assert_int_equal(crm_gmm_new(&p, &a, NULL), CRM_OK);
    assert_int_equal(crm_gmm_fit(a, &x, NULL, NULL), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_gmm_new(&p, &b, NULL), CRM_OK);
    assert_int_equal(crm_gmm_fit(b, &x, NULL, NULL), CRM_OK);
    assert_true(crm_gmm_converged(a));
    assert_int_equal(crm_gmm_n_iter(a), crm_gmm_n_iter(b));
    assert_memory_equal(crm_gmm_means(a), crm_gmm_means(b), 12 * sizeof(double));
    assert_memory_equal(crm_gmm_covariances(a), crm_gmm_covariances(b), 48 * sizeof(double));
    /* the same optimum as from scikit-learn's start (up to the order of the components) */
    assert_int_equal(crm_gmm_score(a, &x, &ll, NULL), CRM_OK);
    crm_assert_close(ll, expected("full_tol_score"), 0, 1e-4);
    crm_gmm_free(a);
    crm_gmm_free(b);
    crm_matrix_fini(&x);
}

static void refusals(void **state)
{
    crm_matrix x;
    crm_gmm_params p = crm_gmm_params_default();
    crm_gmm *g = NULL;
    crm_error err;
    double w[] = { 0.5, 0.6 };
    double m[8] = { 0 };
    double c[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    int32_t lab[4];
    (void)state;
    p.k = 0;
    assert_int_equal(crm_gmm_new(&p, &g, &err), CRM_EINVAL);
    p = crm_gmm_params_default();
    p.tol = -1;
    assert_int_equal(crm_gmm_new(&p, &g, &err), CRM_EINVAL);
    p = crm_gmm_params_default();
    p.k = 2;
    p.cov = CRM_GMM_DIAG;
    assert_int_equal(crm_gmm_new(&p, &g, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 1, 4, NULL), CRM_OK);
    assert_int_equal(crm_gmm_assign(g, &x, lab, &err), CRM_ESTATE);
    assert_int_equal(crm_gmm_fit(g, &x, NULL, &err), CRM_EDATA); /* 1 row, 2 components */
    crm_matrix_fini(&x);
    load_x(&x);
    assert_int_equal(crm_gmm_fit_from(g, &x, w, m, c, NULL, &err), CRM_EINVAL); /* sum 1.1 */
    assert_non_null(strstr(err.msg, "sum"));
    w[1] = 0.5;
    c[5] = -1;
    assert_int_equal(crm_gmm_fit_from(g, &x, w, m, c, NULL, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "positive definite"));
    CRM_ROW(&x, 3)[2] = NAN;
    assert_int_equal(crm_gmm_fit(g, &x, NULL, &err), CRM_EDATA);
    crm_gmm_free(g);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_matches_scikit_learn),
        cmocka_unit_test(diag_matches_scikit_learn),
        cmocka_unit_test(kmeans_init_and_threads),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
