/* test_classify.c: the classifier framework: bad input (one class, missing target column,
 * unseen categories, missing numbers, wrong model kind, features reordered or absent),
 * held-out and cross-validated evaluation. Uses C4.5, which is always built. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/gen.h>
#include <crmkit/io.h>
#include <crmkit/model.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "crm_test.h"

static crm_table *csv(const char *text)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_error err;
    crm_status st = crm_table_read_csv_mem(text, strlen(text), "mem.csv", &opt, &t, &err);
    if (st != CRM_OK) {
        fprintf(stderr, "%s\n", err.msg);
    }
    assert_int_equal(st, CRM_OK);
    return t;
}

/* 40 rows: churn = yes when bill > 50 or plan = prepaid (some numbers missing). */
static char *train_text(void)
{
    static char buf[8192];
    size_t at = 0;
    at += (size_t)snprintf(buf + at, sizeof buf - at, "id,bill,minutes,plan,churn\n");
    for (int i = 0; i < 40; i++) {
        const char *plan = i % 3 == 0 ? "prepaid" : (i % 3 == 1 ? "postpaid" : "hybrid");
        int bill = (i * 37) % 100;
        int churn = bill > 50 || i % 3 == 0;
        if (i % 7 == 3) {
            at += (size_t)snprintf(buf + at, sizeof buf - at, "c%02d,,%d,%s,%s\n", i, i * 3, plan,
                                   churn ? "yes" : "no");
        } else {
            at += (size_t)snprintf(buf + at, sizeof buf - at, "c%02d,%d,%d,%s,%s\n", i, bill, i * 3,
                                   plan, churn ? "yes" : "no");
        }
    }
    return buf;
}

static crm_classifier *fit_small(crm_table *t)
{
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    p.target = "churn";
    p.c45.min_leaf = 1;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    return c;
}

static void fit_rejects_a_target_with_one_class(void **state)
{
    crm_table *t = csv("bill,plan,churn\n1,a,no\n2,b,no\n3,a,no\n");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_EDATA);
    assert_null(c);
    assert_non_null(strstr(err.msg, "only one class"));
    assert_non_null(strstr(err.msg, "\"no\""));
    assert_string_equal(err.field, "churn");
    crm_table_free(t);
}

static void fit_names_a_missing_target_column(void **state)
{
    crm_table *t = csv("bill,plan\n1,a\n2,b\n");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_ENOTFOUND);
    assert_non_null(strstr(err.msg, "\"churn\""));
    assert_non_null(strstr(err.msg, "mem.csv"));
    crm_table_free(t);
}

static void fit_names_the_line_of_a_missing_target_value(void **state)
{
    crm_table *t = csv("bill,churn\n1,no\n2,yes\n3,\n4,no\n");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    (void)state;
    p.target = "churn";
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_EDATA);
    assert_int_equal(err.line, 4);
    assert_string_equal(err.field, "churn");
    crm_table_free(t);
}

static void predict_counts_unseen_categories_and_missing_numbers(void **state)
{
    crm_table *t = csv(train_text());
    crm_table *n = csv("id,bill,minutes,plan\nx1,80,3,prepaid\nx2,,4,satellite\nx3,10,5,"
                       "postpaid\nx4,20,6,\n");
    crm_classifier *c = fit_small(t);
    crm_clf_predict_info info;
    crm_error err;
    double proba[8];
    (void)state;
    assert_int_equal(crm_classifier_predict_proba(c, n, proba, &info, &err), CRM_OK);
    assert_int_equal(info.n_unseen, 1);  /* "satellite" */
    assert_int_equal(info.n_missing, 2); /* bill of x2, plan of x4 */
    for (int i = 0; i < 4; i++) {
        crm_assert_close(proba[2 * i] + proba[2 * i + 1], 1.0, 1e-12, 0.0);
    }
    assert_true(proba[1] > 0.5); /* bill 80 churns */
    crm_classifier_free(c);
    crm_table_free(t);
    crm_table_free(n);
}

static void predict_finds_features_by_name_in_any_order(void **state)
{
    crm_table *t = csv(train_text());
    crm_table *a = csv("id,bill,minutes,plan\nx1,80,3,prepaid\nx2,12,4,hybrid\n");
    crm_table *b = csv("plan,extra,minutes,bill,id\nprepaid,1,3,80,x1\nhybrid,2,4,12,x2\n");
    crm_classifier *c = fit_small(t);
    crm_error err;
    double pa[4];
    double pb[4];
    (void)state;
    assert_int_equal(crm_classifier_predict_proba(c, a, pa, NULL, &err), CRM_OK);
    assert_int_equal(crm_classifier_predict_proba(c, b, pb, NULL, &err), CRM_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    crm_classifier_free(c);
    crm_table_free(t);
    crm_table_free(a);
    crm_table_free(b);
}

static void predict_names_an_absent_feature(void **state)
{
    crm_table *t = csv(train_text());
    crm_table *n = csv("id,minutes,plan\nx1,3,prepaid\n");
    crm_classifier *c = fit_small(t);
    crm_error err;
    double proba[2];
    (void)state;
    assert_int_equal(crm_classifier_predict_proba(c, n, proba, NULL, &err), CRM_ENOTFOUND);
    assert_non_null(strstr(err.msg, "\"bill\""));
    assert_string_equal(err.field, "bill");
    crm_classifier_free(c);
    crm_table_free(t);
    crm_table_free(n);
}

static void load_rejects_a_model_of_another_kind(void **state)
{
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_classifier *c = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "kmeans", &err), CRM_OK);
    assert_int_equal(crm_model_put_i32(w, 3, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "seg.crmc", &r, &err), CRM_OK);
    assert_int_equal(crm_classifier_load_reader(r, &c, &err), CRM_EFORMAT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "\"segmentation\""));
    assert_non_null(strstr(err.msg, "not a classifier"));
    crm_model_reader_free(r);
    crm_model_writer_free(w);
}

static void feature_list_and_drop_list_are_honoured(void **state)
{
    crm_table *t = csv(train_text());
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    const char *feats[] = { "plan", "bill" };
    const char *drop[] = { "minutes" };
    const char *bad[] = { "plan", "nosuch" };
    (void)state;
    p.target = "churn";
    p.features = feats;
    p.n_features = 2;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_n_features(c), 2);
    assert_string_equal(crm_classifier_feature_name(c, 0), "plan");
    crm_classifier_free(c);
    p.features = bad;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_ENOTFOUND);
    assert_string_equal(err.field, "nosuch");
    p.features = NULL;
    p.n_features = 0;
    p.drop = drop;
    p.n_drop = 1;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    /* id is an identifier column, minutes is dropped */
    assert_int_equal(crm_classifier_n_features(c), 2);
    assert_string_equal(crm_classifier_feature_name(c, 0), "bill");
    assert_string_equal(crm_classifier_feature_name(c, 1), "plan");
    crm_classifier_free(c);
    crm_table_free(t);
}

static void numeric_target_classes_sort_numerically(void **state)
{
    crm_table *t = csv("x,y\n1,10\n2,10\n3,9\n4,9\n5,10\n6,9\n");
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_error err;
    (void)state;
    p.target = "y";
    p.c45.min_leaf = 1;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, &err), CRM_OK);
    assert_int_equal(crm_classifier_n_classes(c), 2);
    assert_string_equal(crm_classifier_class_name(c, 0), "9");
    assert_string_equal(crm_classifier_class_name(c, 1), "10");
    assert_int_equal(crm_classifier_class_index(c, "10"), 1);
    crm_classifier_free(c);
    crm_table_free(t);
}

static void holdout_and_cross_validation_score_every_row_once(void **state)
{
    crm_table *t = csv(train_text());
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_clf_eval e;
    crm_error err;
    int64_t total = 0;
    (void)state;
    p.target = "churn";
    p.c45.min_leaf = 1;
    assert_int_equal(crm_classifier_holdout(t, &p, 0.25, NULL, &c, &e, &err), CRM_OK);
    assert_non_null(c);
    assert_int_equal(e.n_test + e.n_train, 40);
    assert_int_equal(e.n_test, 10);
    assert_int_equal(e.metrics.n, 10);
    assert_int_equal(crm_classifier_n_train(c), 30);
    assert_false(isnan(e.metrics.auc));
    crm_clf_eval_fini(&e);
    crm_classifier_free(c);
    assert_int_equal(crm_classifier_cross_validate(t, &p, 5, NULL, &e, &err), CRM_OK);
    assert_int_equal(e.n_folds, 5);
    assert_int_equal(e.metrics.n, 40);
    for (int32_t k = 0; k < 4; k++) {
        total += e.metrics.confusion[k];
    }
    assert_int_equal(total, 40);
    assert_true(e.metrics.accuracy > 0.6);
    crm_clf_eval_fini(&e);
    assert_int_equal(crm_classifier_cross_validate(t, &p, 1, NULL, &e, &err), CRM_EINVAL);
    crm_table_free(t);
}

static void algorithm_not_built_is_unsupported_or_works(void **state)
{
    crm_table *t = csv(train_text());
    crm_classifier_params p = crm_classifier_params_default();
    crm_error err;
    (void)state;
    p.target = "churn";
    for (int a = 0; a < CRM_CLF_N_ALGOS; a++) {
        crm_classifier *c = NULL;
        crm_status st;
        p.algo = (crm_clf_algo)a;
        p.members[0] = CRM_CLF_C45;
        p.members[1] = CRM_CLF_NB;
        p.members[2] = CRM_CLF_LOGREG;
        p.n_members = 3;
        st = crm_classifier_fit(t, &p, NULL, &c, &err);
        assert_true(st == CRM_OK || st == CRM_EUNSUPPORTED);
        assert_true((st == CRM_OK) == (c != NULL));
        crm_classifier_free(c);
    }
    crm_table_free(t);
}

/* Missing and unseen feature cells of t, counted here one by one (rows whose region is
 * "Capital" were left out of training, so that level is unseen). */
static void
count_cells(const crm_classifier *c, const crm_table *t, int64_t *missing, int64_t *unseen)
{
    *missing = 0;
    *unseen = 0;
    for (int32_t f = 0; f < crm_classifier_n_features(c); f++) {
        int32_t j = crm_table_find_col(t, crm_classifier_feature_name(c, f));
        for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
            if (crm_table_col_type(t, j) == CRM_COL_NUMERIC) {
                *missing += isnan(crm_table_numeric(t, j)[i]);
            } else {
                int32_t code = crm_table_codes(t, j)[i];
                *missing += code < 0;
                *unseen += code >= 0 && strcmp(crm_table_level(t, j, code), "Capital") == 0;
            }
        }
    }
}

static void predict_ok(const crm_classifier *c,
                       const crm_table *t,
                       const int64_t *rows,
                       int64_t n,
                       double *proba,
                       crm_clf_predict_info *info)
{
    crm_error err;
    crm_status st = crm_classifier_predict_proba_rows(c, t, rows, n, proba, info, &err);
    if (st != CRM_OK) {
        fprintf(stderr, "predict: %s\n", err.msg);
    }
    assert_int_equal(st, CRM_OK);
}

/* A large batch is scored a slice of rows at a time: every model that allows it must give
 * the probabilities of small batches bit for bit, whatever the thread count, and count every
 * unseen and missing cell of every slice. */
static void large_batch_scores_as_small_batches_do(void **state)
{
    enum {
        N_TRAIN = 3000,
        N = 80000,   /* more than two slices, the last one partial */
        CHUNK = 4096 /* small batches on the models' block boundaries, as slices are */
    };
    static const crm_clf_algo algos[] = { CRM_CLF_C45, CRM_CLF_NB, CRM_CLF_LOGREG, CRM_CLF_GBT,
                                          CRM_CLF_MLP };
    crm_gen_customers_params gp = crm_gen_customers_params_default();
    crm_table *train = NULL;
    crm_table *big = NULL;
    int64_t *rows = malloc(N_TRAIN * sizeof *rows);
    int64_t *chunk = malloc(CHUNK * sizeof *chunk);
    double *whole = malloc(2 * N * sizeof *whole);
    double *one = malloc(2 * N * sizeof *one);
    double *parts = malloc(2 * N * sizeof *parts);
    int64_t n_rows = 0;
    crm_error err;
    (void)state;
    assert_non_null(rows);
    assert_non_null(chunk);
    assert_non_null(whole);
    assert_non_null(one);
    assert_non_null(parts);
    gp.n_rows = N_TRAIN;
    gp.seed = 11;
    gp.missing_rate = 0.05;
    assert_int_equal(crm_gen_customers(&gp, &train, &err), CRM_OK);
    gp.n_rows = N;
    gp.seed = 12;
    assert_int_equal(crm_gen_customers(&gp, &big, &err), CRM_OK);
    {
        int32_t j = crm_table_find_col(train, "region");
        for (int64_t i = 0; i < N_TRAIN; i++) {
            int32_t code = crm_table_codes(train, j)[i];
            if (code < 0 || strcmp(crm_table_level(train, j, code), "Capital") != 0) {
                rows[n_rows++] = i;
            }
        }
    }
    for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
        crm_classifier_params p = crm_classifier_params_default();
        crm_classifier *c = NULL;
        crm_clf_predict_info info;
        crm_clf_predict_info sum = { 0, 0 };
        int64_t missing;
        int64_t unseen;
        crm_status st;
        p.algo = algos[a];
        p.target = "churn";
        st = crm_classifier_fit_rows(train, rows, n_rows, &p, NULL, &c, &err);
        if (st == CRM_EUNSUPPORTED) {
            continue;
        }
        assert_int_equal(st, CRM_OK);
#if defined(_OPENMP)
        omp_set_num_threads(1);
#endif
        predict_ok(c, big, NULL, N, one, &info);
#if defined(_OPENMP)
        omp_set_num_threads(2);
#endif
        predict_ok(c, big, NULL, N, whole, &info);
        assert_memory_equal(whole, one, 2 * N * sizeof *whole);
        for (int64_t i0 = 0; i0 < N; i0 += CHUNK) {
            crm_clf_predict_info part;
            int64_t n = N - i0 < CHUNK ? N - i0 : CHUNK;
            for (int64_t i = 0; i < n; i++) {
                chunk[i] = i0 + i;
            }
            predict_ok(c, big, chunk, n, parts + 2 * i0, &part);
            sum.n_unseen += part.n_unseen;
            sum.n_missing += part.n_missing;
        }
        assert_memory_equal(whole, parts, 2 * N * sizeof *whole);
        count_cells(c, big, &missing, &unseen);
        assert_true(unseen > 0 && missing > 0);
        assert_int_equal(info.n_unseen, unseen);
        assert_int_equal(info.n_missing, missing);
        assert_int_equal(sum.n_unseen, unseen);
        assert_int_equal(sum.n_missing, missing);
        crm_classifier_free(c);
    }
    crm_table_free(train);
    crm_table_free(big);
    free(rows);
    free(chunk);
    free(whole);
    free(one);
    free(parts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fit_rejects_a_target_with_one_class),
        cmocka_unit_test(fit_names_a_missing_target_column),
        cmocka_unit_test(fit_names_the_line_of_a_missing_target_value),
        cmocka_unit_test(predict_counts_unseen_categories_and_missing_numbers),
        cmocka_unit_test(predict_finds_features_by_name_in_any_order),
        cmocka_unit_test(predict_names_an_absent_feature),
        cmocka_unit_test(load_rejects_a_model_of_another_kind),
        cmocka_unit_test(feature_list_and_drop_list_are_honoured),
        cmocka_unit_test(numeric_target_classes_sort_numerically),
        cmocka_unit_test(holdout_and_cross_validation_score_every_row_once),
        cmocka_unit_test(algorithm_not_built_is_unsupported_or_works),
        cmocka_unit_test(large_batch_scores_as_small_batches_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
