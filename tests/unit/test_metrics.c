/* test_metrics.c: metrics against scikit-learn's on fixed predictions (golden files made by
 * scripts/golden/make_metrics_golden.py), stratified splits and folds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/metrics.h>

#include "crm_test.h"

typedef struct golden {
    int64_t n;
    int32_t k;
    int32_t *y;
    int32_t *pred;
    double *proba;
    char *text; /* metric lines */
} golden;

static void golden_load(const char *name, golden *g)
{
    char rel[128];
    char *path;
    char *buf;
    char *p;
    snprintf(rel, sizeof rel, "golden/metrics/%s.txt", name);
    path = crm_test_path(rel);
    buf = crm_test_read_file(path, NULL);
    free(path);
    assert_non_null(buf);
    p = buf;
    g->n = strtoll(p, &p, 10);
    g->k = (int32_t)strtol(p, &p, 10);
    g->y = calloc((size_t)g->n, sizeof *g->y);
    g->pred = calloc((size_t)g->n, sizeof *g->pred);
    g->proba = calloc((size_t)(g->n * g->k), sizeof *g->proba);
    for (int64_t i = 0; i < g->n; i++) {
        g->y[i] = (int32_t)strtol(p, &p, 10);
        g->pred[i] = (int32_t)strtol(p, &p, 10);
        for (int32_t c = 0; c < g->k; c++) {
            g->proba[i * g->k + c] = strtod(p, &p);
        }
    }
    g->text = buf;
    memmove(buf, p, strlen(p) + 1);
}

static void golden_free(golden *g)
{
    free(g->y);
    free(g->pred);
    free(g->proba);
    free(g->text);
}

/* Values after "\nname " in the metric lines. */
static int golden_values(const golden *g, const char *name, double *v, int max)
{
    char key[64];
    const char *p;
    int n = 0;
    snprintf(key, sizeof key, "\n%s ", name);
    p = strstr(g->text, key);
    assert_non_null(p);
    p += strlen(key);
    while (n < max && *p != '\n' && *p != '\0') {
        char *end;
        v[n] = strtod(p, &end);
        if (end == p) {
            break;
        }
        n++;
        p = end;
    }
    return n;
}

static double golden_one(const golden *g, const char *name)
{
    double v = NAN;
    assert_int_equal(golden_values(g, name, &v, 1), 1);
    return v;
}

/* Equal to scikit-learn's value bit for bit. */
#define assert_sk(actual, expected) crm_assert_close((actual), (expected), 0.0, 0.0)

static void check_case(const char *name)
{
    golden g;
    crm_clf_metrics m;
    crm_error err;
    double v[64];
    golden_load(name, &g);
    assert_int_equal(crm_clf_metrics_compute(g.y, g.pred, g.proba, g.n, g.k, &m, &err), CRM_OK);
    assert_sk(m.accuracy, golden_one(&g, "accuracy"));
    crm_assert_close(m.error, 1.0 - golden_one(&g, "accuracy"), 1e-15, 1e-15);
    assert_int_equal(golden_values(&g, "precision", v, 64), g.k);
    for (int32_t c = 0; c < g.k; c++) {
        assert_sk(m.precision[c], v[c]);
    }
    assert_int_equal(golden_values(&g, "recall", v, 64), g.k);
    for (int32_t c = 0; c < g.k; c++) {
        assert_sk(m.recall[c], v[c]);
    }
    assert_int_equal(golden_values(&g, "f1", v, 64), g.k);
    for (int32_t c = 0; c < g.k; c++) {
        assert_sk(m.f1[c], v[c]);
    }
    assert_int_equal(golden_values(&g, "support", v, 64), g.k);
    for (int32_t c = 0; c < g.k; c++) {
        assert_int_equal(m.support[c], (int64_t)v[c]);
    }
    assert_sk(m.macro_precision, golden_one(&g, "macro_precision"));
    assert_sk(m.macro_recall, golden_one(&g, "macro_recall"));
    assert_sk(m.macro_f1, golden_one(&g, "macro_f1"));
    assert_sk(m.weighted_f1, golden_one(&g, "weighted_f1"));
    assert_int_equal(golden_values(&g, "confusion", v, 64), g.k * g.k);
    for (int32_t c = 0; c < g.k * g.k; c++) {
        assert_int_equal(m.confusion[c], (int64_t)v[c]);
    }
    if (g.k == 2) {
        assert_sk(m.auc, golden_one(&g, "auc"));
        assert_int_equal(m.n_gains, 10);
        assert_int_equal(golden_values(&g, "gains", v, 64), 30);
        for (int d = 0; d < 10; d++) {
            assert_int_equal(m.gains[d].n_rows, (int64_t)v[3 * d]);
            assert_int_equal(m.gains[d].n_positive, (int64_t)v[3 * d + 1]);
            assert_sk(m.gains[d].gain, v[3 * d + 2]);
            crm_assert_close(m.gains[d].lift, v[3 * d + 2] / ((d + 1) / 10.0), 1e-14, 0.0);
        }
    } else {
        assert_true(isnan(m.auc));
        assert_int_equal(m.n_gains, 0);
    }
    crm_clf_metrics_fini(&m);
    golden_free(&g);
}

static void metrics_match_sklearn_on_binary_scores_with_ties(void **state)
{
    (void)state;
    check_case("binary_ties");
}

static void metrics_match_sklearn_when_a_class_is_never_predicted(void **state)
{
    (void)state;
    check_case("binary_never_positive");
}

static void metrics_match_sklearn_on_three_classes(void **state)
{
    (void)state;
    check_case("three_classes");
}

/* Brute force: AUC = P(score_pos > score_neg) + 0.5 P(equal), over all pairs. */
static void roc_auc_equals_pairwise_count(void **state)
{
    enum {
        N = 300
    };
    int32_t y[N];
    double s[N];
    double auc;
    double wins = 0.0;
    int64_t pairs = 0;
    crm_error err;
    (void)state;
    for (int i = 0; i < N; i++) {
        y[i] = (i * 7 + 3) % 5 == 0;
        s[i] = (double)((i * 13) % 17) / 4.0 + (y[i] ? 0.5 : 0.0);
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            if (y[i] && !y[j]) {
                wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
                pairs++;
            }
        }
    }
    assert_int_equal(crm_roc_auc(y, s, N, &auc, &err), CRM_OK);
    crm_assert_close(auc, wins / (double)pairs, 1e-14, 0.0);
}

static void roc_auc_rejects_one_class(void **state)
{
    int32_t y[3] = { 1, 1, 1 };
    double s[3] = { 0.1, 0.2, 0.3 };
    double auc;
    crm_error err;
    (void)state;
    assert_int_equal(crm_roc_auc(y, s, 3, &auc, &err), CRM_EDATA);
}

static void metrics_reject_label_out_of_range(void **state)
{
    int32_t y[2] = { 0, 2 };
    int32_t p[2] = { 0, 1 };
    crm_clf_metrics m;
    crm_error err;
    (void)state;
    assert_int_equal(crm_clf_metrics_compute(y, p, NULL, 2, 2, &m, &err), CRM_EINVAL);
    assert_null(m.confusion);
}

static void split_is_stratified_disjoint_and_seeded(void **state)
{
    enum {
        N = 1000
    };
    int32_t y[N];
    int64_t tr[N], te[N], tr2[N], te2[N];
    int64_t ntr, nte, ntr2, nte2;
    int seen[N] = { 0 };
    int64_t pos_test = 0;
    crm_error err;
    (void)state;
    for (int i = 0; i < N; i++) {
        y[i] = i % 4 == 0; /* 250 positives */
    }
    assert_int_equal(crm_split_stratified(y, N, 2, 0.3, 7, tr, &ntr, te, &nte, &err), CRM_OK);
    assert_int_equal(ntr + nte, N);
    assert_int_equal(nte, 300); /* round(0.3 * 750) + round(0.3 * 250) = 225 + 75 */
    for (int64_t i = 0; i < nte; i++) {
        seen[te[i]]++;
        pos_test += y[te[i]];
        if (i > 0) {
            assert_true(te[i] > te[i - 1]);
        }
    }
    for (int64_t i = 0; i < ntr; i++) {
        seen[tr[i]]++;
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(seen[i], 1);
    }
    assert_int_equal(pos_test, 75);
    assert_int_equal(crm_split_stratified(y, N, 2, 0.3, 7, tr2, &ntr2, te2, &nte2, &err), CRM_OK);
    assert_memory_equal(te, te2, sizeof(int64_t) * (size_t)nte);
    assert_int_equal(crm_split_stratified(y, N, 2, 0.3, 8, tr2, &ntr2, te2, &nte2, &err), CRM_OK);
    assert_true(memcmp(te, te2, sizeof(int64_t) * (size_t)nte) != 0);
    assert_int_equal(crm_split_stratified(y, N, 2, 1.0, 7, tr, &ntr, te, &nte, &err), CRM_EINVAL);
}

static void kfold_balances_classes_over_folds(void **state)
{
    enum {
        N = 1003,
        K = 10
    };
    int32_t y[N];
    int32_t fold[N];
    int64_t per[K][3] = { { 0 } };
    crm_error err;
    (void)state;
    for (int i = 0; i < N; i++) {
        y[i] = i % 7 == 0 ? 2 : i % 3 == 0;
    }
    assert_int_equal(crm_kfold_stratified(y, N, 3, K, 11, fold, &err), CRM_OK);
    for (int i = 0; i < N; i++) {
        assert_true(fold[i] >= 0 && fold[i] < K);
        per[fold[i]][y[i]]++;
    }
    for (int c = 0; c < 3; c++) {
        int64_t lo = per[0][c];
        int64_t hi = per[0][c];
        for (int f = 1; f < K; f++) {
            lo = per[f][c] < lo ? per[f][c] : lo;
            hi = per[f][c] > hi ? per[f][c] : hi;
        }
        assert_true(hi - lo <= 1);
    }
    assert_int_equal(crm_kfold_stratified(y, N, 3, 1, 11, fold, &err), CRM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_match_sklearn_on_binary_scores_with_ties),
        cmocka_unit_test(metrics_match_sklearn_when_a_class_is_never_predicted),
        cmocka_unit_test(metrics_match_sklearn_on_three_classes),
        cmocka_unit_test(roc_auc_equals_pairwise_count),
        cmocka_unit_test(roc_auc_rejects_one_class),
        cmocka_unit_test(metrics_reject_label_out_of_range),
        cmocka_unit_test(split_is_stratified_disjoint_and_seeded),
        cmocka_unit_test(kfold_balances_classes_over_folds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
