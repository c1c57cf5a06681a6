/* test_c45.c: C4.5 against Weka's J48 (golden files from scripts/golden/make_c45_golden.py):
 * same tree size, same predictions and distributions on the telco churn split and on a table
 * with missing values; save/load round trip; thread-count independence; out-of-memory paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

#include "crm_test.h"

typedef struct j48_golden {
    int64_t leaves;
    int64_t size;
    int64_t correct;
    int64_t n_test;
    int64_t *test_rows; /* NULL when the golden has none */
    int32_t *pred;
    double *proba;
} j48_golden;

static int64_t count_values(const char *p)
{
    int64_t n = 0;
    while (*p != '\n' && *p != '\0') {
        char *end;
        (void)strtod(p, &end);
        if (end == p) {
            break;
        }
        n++;
        p = end;
    }
    return n;
}

static const char *find_key(const char *text, const char *key)
{
    size_t len = strlen(key);
    const char *p = text;
    while (p != NULL) {
        if (strncmp(p, key, len) == 0 && p[len] == ' ') {
            return p + len + 1;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return NULL;
}

static void golden_load(const char *rel, int32_t k, j48_golden *g)
{
    char *path = crm_test_path(rel);
    char *text = crm_test_read_file(path, NULL);
    const char *p;
    char *end;
    free(path);
    assert_non_null(text);
    memset(g, 0, sizeof *g);
    g->leaves = strtoll(find_key(text, "leaves"), NULL, 10);
    g->size = strtoll(find_key(text, "size"), NULL, 10);
    g->correct = strtoll(find_key(text, "correct"), NULL, 10);
    p = find_key(text, "pred");
    assert_non_null(p);
    g->n_test = count_values(p);
    g->pred = calloc((size_t)g->n_test, sizeof *g->pred);
    g->proba = calloc((size_t)(g->n_test * k), sizeof *g->proba);
    for (int64_t i = 0; i < g->n_test; i++) {
        g->pred[i] = (int32_t)strtol(p, &end, 10);
        p = end;
    }
    p = find_key(text, "proba");
    assert_int_equal(count_values(p), g->n_test * k);
    for (int64_t i = 0; i < g->n_test * k; i++) {
        g->proba[i] = strtod(p, &end);
        p = end;
    }
    p = find_key(text, "test_rows");
    if (p != NULL) {
        assert_int_equal(count_values(p), g->n_test);
        g->test_rows = calloc((size_t)g->n_test, sizeof *g->test_rows);
        for (int64_t i = 0; i < g->n_test; i++) {
            g->test_rows[i] = strtoll(p, &end, 10);
            p = end;
        }
    }
    free(text);
}

static void golden_free(j48_golden *g)
{
    free(g->test_rows);
    free(g->pred);
    free(g->proba);
}

static crm_table *read_table(const char *rel)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_error err;
    char *path = crm_test_path(rel);
    crm_status st = crm_table_read_csv(path, &opt, NULL, &t, &err);
    free(path);
    if (st != CRM_OK) {
        fprintf(stderr, "%s\n", err.msg);
    }
    assert_int_equal(st, CRM_OK);
    return t;
}

typedef struct tree_text {
    char buf[1 << 16];
    size_t len;
} tree_text;

static void collect(void *ud, const char *line)
{
    tree_text *tt = ud;
    int n = snprintf(tt->buf + tt->len, sizeof tt->buf - tt->len, "%s\n", line);
    if (n > 0 && tt->len + (size_t)n < sizeof tt->buf) {
        tt->len += (size_t)n;
    }
}

/* Leaves and size from the model's description ("Number of leaves: N"). */
static void tree_size(const crm_classifier *c, int64_t *leaves, int64_t *size)
{
    static tree_text tt;
    crm_error err;
    const char *p;
    tt.len = 0;
    tt.buf[0] = '\0';
    assert_int_equal(crm_classifier_describe(c, collect, &tt, &err), CRM_OK);
    p = strstr(tt.buf, "Number of leaves: ");
    assert_non_null(p);
    *leaves = strtoll(p + strlen("Number of leaves: "), NULL, 10);
    p = strstr(tt.buf, "Size of the tree: ");
    assert_non_null(p);
    *size = strtoll(p + strlen("Size of the tree: "), NULL, 10);
}

/* Same predicted class for every row, J48's distribution to its 3 printed decimals. */
static void check_against_j48(const crm_classifier *c,
                              const j48_golden *g,
                              const double *proba,
                              const int32_t *truth)
{
    int64_t correct = 0;
    int64_t leaves;
    int64_t size;
    int32_t k = crm_classifier_n_classes(c);
    tree_size(c, &leaves, &size);
    assert_int_equal(leaves, g->leaves);
    assert_int_equal(size, g->size);
    for (int64_t i = 0; i < g->n_test; i++) {
        int32_t best = 0;
        for (int32_t j = 1; j < k; j++) {
            best = proba[i * k + j] > proba[i * k + best] ? j : best;
        }
        assert_int_equal(best, g->pred[i]);
        for (int32_t j = 0; j < k; j++) {
            crm_assert_close(proba[i * k + j], g->proba[i * k + j], 0.0, 0.0005 + 1e-9);
        }
        correct += best == truth[i];
    }
    assert_int_equal(correct, g->correct);
}

static void c45_equals_j48_on_telco_churn_split(void **state)
{
    crm_table *t = read_table("data/telco_churn.csv.gz");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    j48_golden g;
    int64_t n = crm_table_n_rows(t);
    int64_t *train;
    int64_t n_train = 0;
    char *is_test = calloc((size_t)n, 1);
    int32_t *all_y = calloc((size_t)n, sizeof *all_y);
    int32_t *truth;
    double *proba;
    const char *drop[] = { "customerID" };
    (void)state;
    golden_load("golden/c45/telco_j48.txt", 2, &g);
    assert_non_null(g.test_rows);
    train = calloc((size_t)n, sizeof *train);
    truth = calloc((size_t)g.n_test, sizeof *truth);
    proba = calloc((size_t)(g.n_test * 2), sizeof *proba);
    for (int64_t i = 0; i < g.n_test; i++) {
        is_test[g.test_rows[i]] = 1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (!is_test[i]) {
            train[n_train++] = i;
        }
    }
    p.algo = CRM_CLF_C45;
    p.c45.laplace = 0; /* J48's raw leaf shares */
    p.target = "Churn";
    p.drop = drop;
    p.n_drop = 1;
    assert_int_equal(crm_classifier_fit_rows(t, train, n_train, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_n_features(c), 19);
    assert_string_equal(crm_classifier_class_name(c, 1), "Yes");
    assert_int_equal(
        crm_classifier_predict_proba_rows(c, t, g.test_rows, g.n_test, proba, NULL, &err), CRM_OK);
    assert_int_equal(crm_classifier_true_labels(c, t, all_y, NULL, &err), CRM_OK);
    for (int64_t i = 0; i < g.n_test; i++) {
        truth[i] = all_y[g.test_rows[i]];
    }
    check_against_j48(c, &g, proba, truth);
    crm_classifier_free(c);
    crm_table_free(t);
    golden_free(&g);
    free(train);
    free(is_test);
    free(all_y);
    free(truth);
    free(proba);
}

static void c45_equals_j48_with_missing_values_and_three_classes(void **state)
{
    crm_table *tr = read_table("data/c45_missing_train.csv");
    crm_table *te = read_table("data/c45_missing_test.csv");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    crm_clf_predict_info info;
    j48_golden g;
    int32_t *truth;
    double *proba;
    (void)state;
    golden_load("golden/c45/missing_j48.txt", 3, &g);
    assert_int_equal(g.n_test, crm_table_n_rows(te));
    truth = calloc((size_t)g.n_test, sizeof *truth);
    proba = calloc((size_t)(g.n_test * 3), sizeof *proba);
    p.target = "y";
    p.c45.laplace = 0; /* J48's raw leaf shares */
    assert_int_equal(crm_classifier_fit(tr, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_n_classes(c), 3);
    assert_int_equal(crm_classifier_predict_proba(c, te, proba, &info, &err), CRM_OK);
    assert_true(info.n_missing > 0);
    assert_int_equal(crm_classifier_true_labels(c, te, truth, NULL, &err), CRM_OK);
    check_against_j48(c, &g, proba, truth);
    crm_classifier_free(c);
    crm_table_free(tr);
    crm_table_free(te);
    golden_free(&g);
    free(truth);
    free(proba);
}

/* A table big enough for the parallel paths (more than 4096 rows per node). */
static crm_table *synthetic_table(int64_t n, uint64_t seed)
{
    crm_table *t = NULL;
    crm_error err;
    crm_rng rng;
    const char *levels[] = { "prepaid", "postpaid", "hybrid", "corporate" };
    double *x1 = malloc((size_t)n * sizeof *x1);
    double *x2 = malloc((size_t)n * sizeof *x2);
    const char **plan = malloc((size_t)n * sizeof *plan);
    const char **y = malloc((size_t)n * sizeof *y);
    crm_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++) {
        int32_t l = (int32_t)crm_rng_below(&rng, 4);
        double s;
        x1[i] = crm_rng_normal(&rng);
        x2[i] = floor(crm_rng_uniform(&rng) * 1000.0) / 10.0;
        plan[i] = crm_rng_uniform(&rng) < 0.05 ? NULL : levels[l];
        if (crm_rng_uniform(&rng) < 0.05) {
            x1[i] = NAN;
        }
        s = (isnan(x1[i]) ? 0.0 : x1[i]) + (x2[i] > 60.0 ? 1.0 : 0.0) + (l == 0 ? 0.7 : 0.0) +
            crm_rng_normal(&rng) * 0.8;
        y[i] = s > 0.9 ? "churn" : "stay";
    }
    assert_int_equal(crm_table_new(n, "synthetic", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "usage", x1, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "bill", x2, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "churn", CRM_COL_CATEGORICAL, y, &err), CRM_OK);
    free(x1);
    free(x2);
    free(plan);
    free(y);
    return t;
}

static double *fit_and_score(const crm_table *t, int32_t n_threads, int64_t *n_leaves)
{
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    int64_t n = crm_table_n_rows(t);
    double *proba = malloc((size_t)n * 2 * sizeof *proba);
    int64_t size;
    p.target = "churn";
    p.n_threads = n_threads;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(c, t, proba, NULL, &err), CRM_OK);
    tree_size(c, n_leaves, &size);
    crm_classifier_free(c);
    return proba;
}

/* x = 1..10, class a for x <= 5, b above: one split, two pure leaves of 5 rows. Laplace:
 * (5 + 1) / (5 + 2) = 6/7 for the leaf's class, 1/7 for the other; raw shares 1 and 0. */
static void c45_leaf_probabilities_use_the_laplace_correction(void **state)
{
    double x[10];
    const char *y[10];
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_table *t = NULL;
    double proba[20];
    crm_error err;
    (void)state;
    for (int i = 0; i < 10; i++) {
        x[i] = (double)(i + 1);
        y[i] = i < 5 ? "a" : "b";
    }
    assert_int_equal(crm_table_new(10, "tiny", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "y", CRM_COL_CATEGORICAL, y, &err), CRM_OK);
    p.target = "y";
    p.c45.prune = 0;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(c, t, proba, NULL, &err), CRM_OK);
    for (int i = 0; i < 10; i++) {
        int a = i < 5;
        crm_assert_close(proba[2 * i], a ? 6.0 / 7.0 : 1.0 / 7.0, 1e-15, 0);
        crm_assert_close(proba[2 * i + 1], a ? 1.0 / 7.0 : 6.0 / 7.0, 1e-15, 0);
    }
    crm_classifier_free(c);
    p.c45.laplace = 0;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(c, t, proba, NULL, &err), CRM_OK);
    assert_true(proba[0] == 1.0 && proba[1] == 0.0 && proba[18] == 0.0 && proba[19] == 1.0);
    crm_classifier_free(c);
    crm_table_free(t);
}

static void c45_result_does_not_depend_on_thread_count(void **state)
{
    crm_table *t = synthetic_table(12000, 5);
    int64_t l1;
    int64_t l2;
    double *p1;
    double *p2;
    (void)state;
#if defined(_OPENMP)
    omp_set_num_threads(1);
#endif
    p1 = fit_and_score(t, 1, &l1);
#if defined(_OPENMP)
    omp_set_num_threads(2);
#endif
    p2 = fit_and_score(t, 2, &l2);
    assert_true(l1 > 2);
    assert_int_equal(l1, l2);
    assert_memory_equal(p1, p2, (size_t)crm_table_n_rows(t) * 2 * sizeof(double));
    free(p1);
    free(p2);
    crm_table_free(t);
}

static void c45_save_load_round_trip_predicts_the_same(void **state)
{
    crm_table *t = synthetic_table(3000, 9);
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_classifier *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    int64_t n = crm_table_n_rows(t);
    double *p1 = malloc((size_t)n * 2 * sizeof *p1);
    double *p2 = malloc((size_t)n * 2 * sizeof *p2);
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_classifier_save_writer(c, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_classifier_load_reader(r, &back, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(c, t, p1, NULL, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(back, t, p2, NULL, &err), CRM_OK);
    assert_memory_equal(p1, p2, (size_t)n * 2 * sizeof(double));
    assert_string_equal(crm_classifier_target(back), "churn");
    assert_int_equal(crm_classifier_algo(back), CRM_CLF_C45);
    crm_classifier_free(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_classifier_free(c);
    crm_table_free(t);
    free(p1);
    free(p2);
}

static void c45_pruning_shrinks_the_tree_and_prune_0_keeps_it(void **state)
{
    crm_table *t = synthetic_table(3000, 11);
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *pruned = NULL;
    crm_classifier *full = NULL;
    crm_error err;
    int64_t lp;
    int64_t lf;
    int64_t size;
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &pruned, &err), CRM_OK);
    p.c45.prune = 0;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &full, &err), CRM_OK);
    tree_size(pruned, &lp, &size);
    tree_size(full, &lf, &size);
    assert_true(lp < lf);
    assert_true(lp >= 2);
    crm_classifier_free(pruned);
    crm_classifier_free(full);
    crm_table_free(t);
}

static void c45_fit_and_load_fail_cleanly_when_memory_runs_out(void **state)
{
    crm_table *t = synthetic_table(300, 13);
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_model_writer *w = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    long live;
    int ok = 0;
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_classifier_save_writer(c, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    crm_classifier_free(c);
    c = NULL;
    for (long fail = 0; fail < 20000 && !ok; fail++) {
        crm_status st;
        crm_test_fail_after(fail);
        st = crm_classifier_fit(t, &p, NULL, &c, &err);
        if (st == CRM_OK) {
            ok = 1;
            crm_classifier_free(c);
        } else {
            assert_int_equal(st, CRM_ENOMEM);
            assert_null(c);
        }
        c = NULL;
        live = crm_test_alloc_live();
        crm_test_alloc_reset();
        assert_int_equal(live, 0);
    }
    assert_true(ok);
    ok = 0;
    for (long fail = 0; fail < 20000 && !ok; fail++) {
        crm_model_reader *r = NULL;
        crm_status st = crm_model_reader_open_mem(bytes, len, "mem", &r, &err);
        assert_int_equal(st, CRM_OK);
        crm_test_fail_after(fail);
        st = crm_classifier_load_reader(r, &c, &err);
        if (st == CRM_OK) {
            ok = 1;
            crm_classifier_free(c);
        } else {
            assert_int_equal(st, CRM_ENOMEM);
        }
        c = NULL;
        live = crm_test_alloc_live();
        crm_test_alloc_reset();
        crm_model_reader_free(r);
        assert_int_equal(live, 0);
    }
    assert_true(ok);
    crm_model_writer_free(w);
    crm_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(c45_equals_j48_on_telco_churn_split),
        cmocka_unit_test(c45_equals_j48_with_missing_values_and_three_classes),
        cmocka_unit_test(c45_leaf_probabilities_use_the_laplace_correction),
        cmocka_unit_test(c45_result_does_not_depend_on_thread_count),
        cmocka_unit_test(c45_save_load_round_trip_predicts_the_same),
        cmocka_unit_test(c45_pruning_shrinks_the_tree_and_prune_0_keeps_it),
        cmocka_unit_test(c45_fit_and_load_fail_cleanly_when_memory_runs_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
