/* test_gen.c: the synthetic customer generator: determinism (seed and thread count), the
 * columns, the rates of missing values, outliers and churn, bills that add up, and latent
 * types that differ where they should. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/gen.h>
#include <crmkit/io.h>

#include "crm_test.h"

static crm_table *gen(int64_t n, uint64_t seed, double miss, double out, int threads, bool truth)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    crm_table *t = NULL;
    crm_error err;
    p.n_rows = n;
    p.seed = seed;
    p.missing_rate = miss;
    p.outlier_rate = out;
    p.n_threads = threads;
    p.with_truth = truth;
    assert_int_equal(crm_gen_customers(&p, &t, &err), CRM_OK);
    return t;
}

static const double *col(const crm_table *t, const char *name)
{
    int32_t j = crm_table_find_col(t, name);
    assert_true(j >= 0);
    assert_int_equal(crm_table_col_type(t, j), CRM_COL_NUMERIC);
    return crm_table_numeric(t, j);
}

static void gen_has_the_documented_columns(void **state)
{
    static const char *names[] = { "subscriber_id",   "region",           "plan_type",
                                   "tenure_days",     "upload_mb",        "download_mb",
                                   "voice_onnet_min", "voice_offnet_min", "sms_count",
                                   "called_parties",  "complaints",       "bill_voice",
                                   "bill_data",       "bill_sms",         "bill_vas",
                                   "monthly_bill",    "revenue",          "churn",
                                   "true_type" };
    crm_table *t = gen(5000, 1, 0.02, 0.005, 0, true);
    char buf[32];
    (void)state;
    assert_int_equal(crm_table_n_cols(t), 19);
    for (int32_t j = 0; j < 19; j++) {
        assert_string_equal(crm_table_col_name(t, j), names[j]);
    }
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_ID);
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_n_levels(t, 1), 8);
    assert_int_equal(crm_table_n_levels(t, 2), 3);
    assert_int_equal(crm_table_n_levels(t, 18), CRM_GEN_N_CUSTOMER_TYPES);
    assert_string_equal(crm_table_cell_text(t, 0, 0, buf, 32), "S0000001");
    assert_string_equal(crm_table_cell_text(t, 4999, 0, buf, 32), "S0005000");
    crm_table_free(t);
    t = gen(10, 1, 0, 0, 0, false);
    assert_int_equal(crm_table_n_cols(t), 18);
    crm_table_free(t);
}

static void assert_same(const crm_table *a, const crm_table *b)
{
    assert_int_equal(crm_table_n_cols(a), crm_table_n_cols(b));
    for (int32_t j = 0; j < crm_table_n_cols(a); j++) {
        size_t n = (size_t)crm_table_n_rows(a);
        if (crm_table_col_type(a, j) == CRM_COL_NUMERIC) {
            assert_memory_equal(crm_table_numeric(a, j), crm_table_numeric(b, j), n * 8);
        } else {
            assert_memory_equal(crm_table_codes(a, j), crm_table_codes(b, j), n * 4);
        }
    }
}

static void gen_is_deterministic_for_a_seed_whatever_the_threads(void **state)
{
    crm_table *a = gen(20000, 7, 0.02, 0.01, 1, true);
    crm_table *b = gen(20000, 7, 0.02, 0.01, 2, true);
    crm_table *c = gen(20000, 8, 0.02, 0.01, 2, true);
    (void)state;
    assert_same(a, b);
    assert_memory_not_equal(col(a, "download_mb"), col(c, "download_mb"), 20000 * 8);
    crm_table_free(a);
    crm_table_free(b);
    crm_table_free(c);
}

static void gen_bill_is_the_sum_of_its_items(void **state)
{
    crm_table *t = gen(20000, 3, 0.05, 0.01, 0, false);
    const double *items[4];
    const double *bill = col(t, "monthly_bill");
    (void)state;
    items[0] = col(t, "bill_voice");
    items[1] = col(t, "bill_data");
    items[2] = col(t, "bill_sms");
    items[3] = col(t, "bill_vas");
    for (int64_t i = 0; i < 20000; i++) {
        double s = 0;
        for (int k = 0; k < 4; k++) {
            assert_false(isnan(items[k][i]));
            assert_true(items[k][i] >= 0);
            s += items[k][i];
        }
        crm_assert_close(s, bill[i], 0, 1e-6);
        /* Whole cents: what the CSV holds reads back exactly. */
        crm_assert_close(bill[i] * 100, floor(bill[i] * 100 + 0.5), 0, 1e-6);
    }
    crm_table_free(t);
}

static void gen_rates_of_missing_outliers_and_churn_are_about_right(void **state)
{
    int64_t n = 40000;
    crm_table *t = gen(n, 11, 0.05, 0.02, 0, true);
    crm_table *clean = gen(n, 11, 0.0, 0.0, 0, true);
    const double *down = col(t, "download_mb");
    const double *churn = col(t, "churn");
    static const char *usage[] = { "upload_mb",        "download_mb", "voice_onnet_min",
                                   "voice_offnet_min", "sms_count",   "called_parties" };
    int64_t n_miss = 0;
    int64_t n_churn = 0;
    int64_t n_outlier_rows = 0;
    int64_t region_missing = 0;
    const int32_t *region = crm_table_codes(t, crm_table_find_col(t, "region"));
    (void)state;
    for (int64_t i = 0; i < n; i++) {
        int outlier = 0;
        n_miss += isnan(down[i]);
        n_churn += churn[i] == 1.0;
        assert_true(churn[i] == 0.0 || churn[i] == 1.0);
        region_missing += region[i] < 0;
        for (int k = 0; k < 6; k++) {
            double v = col(t, usage[k])[i];
            double v0 = col(clean, usage[k])[i];
            outlier |= !isnan(v) && v > 15 * v0 + 0.5;
        }
        n_outlier_rows += outlier;
    }
    crm_assert_close((double)n_miss / (double)n, 0.05, 0, 0.006);
    crm_assert_close((double)region_missing / (double)n, 0.05, 0, 0.006);
    crm_assert_close((double)n_outlier_rows / (double)n, 0.02, 0, 0.004);
    assert_true(n_churn > n * 20 / 100 && n_churn < n * 27 / 100);
    /* Churn and plan/identity columns never have holes. */
    for (int64_t i = 0; i < n; i++) {
        assert_false(isnan(col(t, "monthly_bill")[i]));
        assert_true(crm_table_codes(t, 2)[i] >= 0);
    }
    crm_table_free(t);
    crm_table_free(clean);
}

static void gen_latent_types_differ_and_drive_churn(void **state)
{
    int64_t n = 40000;
    crm_table *t = gen(n, 5, 0.0, 0.0, 0, true);
    const int32_t *type = crm_table_codes(t, crm_table_find_col(t, "true_type"));
    const double *down = col(t, "download_mb");
    const double *sms = col(t, "sms_count");
    const double *onnet = col(t, "voice_onnet_min");
    const double *churn = col(t, "churn");
    const double *tenure = col(t, "tenure_days");
    double sum[CRM_GEN_N_CUSTOMER_TYPES][5];
    int64_t cnt[CRM_GEN_N_CUSTOMER_TYPES];
    int32_t j = crm_table_find_col(t, "true_type");
    int heavy = -1;
    int voice = -1;
    int young = -1;
    int premium = -1;
    int dormant = -1;
    double churn_short = 0;
    double churn_long = 0;
    int64_t n_short = 0;
    int64_t n_long = 0;
    (void)state;
    memset(sum, 0, sizeof sum);
    memset(cnt, 0, sizeof cnt);
    for (int32_t k = 0; k < crm_table_n_levels(t, j); k++) {
        const char *name = crm_table_level(t, j, k);
        heavy = strcmp(name, "heavy_data") == 0 ? k : heavy;
        voice = strcmp(name, "voice_centric") == 0 ? k : voice;
        young = strcmp(name, "young_social") == 0 ? k : young;
        premium = strcmp(name, "premium_postpaid") == 0 ? k : premium;
        dormant = strcmp(name, "dormant") == 0 ? k : dormant;
    }
    assert_true(heavy >= 0 && voice >= 0 && young >= 0 && premium >= 0 && dormant >= 0);
    for (int64_t i = 0; i < n; i++) {
        int k = type[i];
        cnt[k]++;
        sum[k][0] += log1p(down[i]);
        sum[k][1] += log1p(sms[i]);
        sum[k][2] += log1p(onnet[i]);
        sum[k][3] += churn[i];
        if (tenure[i] < 180) {
            churn_short += churn[i];
            n_short++;
        } else if (tenure[i] > 1500) {
            churn_long += churn[i];
            n_long++;
        }
    }
    for (int k = 0; k < CRM_GEN_N_CUSTOMER_TYPES; k++) {
        assert_true(cnt[k] > n / 20);
        if (k != heavy) {
            assert_true(sum[heavy][0] / cnt[heavy] > sum[k][0] / cnt[k]);
        }
        if (k != young) {
            assert_true(sum[young][1] / cnt[young] > sum[k][1] / cnt[k]);
        }
        if (k != voice) {
            assert_true(sum[voice][2] / cnt[voice] > sum[k][2] / cnt[k]);
        }
    }
    assert_true(sum[dormant][3] / cnt[dormant] > 2 * sum[premium][3] / cnt[premium]);
    assert_true(churn_short / n_short > 2 * churn_long / n_long);
    crm_table_free(t);
}

static void gen_rejects_bad_params(void **state)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    p.n_rows = 0;
    assert_int_equal(crm_gen_customers(&p, &t, &err), CRM_EINVAL);
    assert_null(t);
    p = crm_gen_customers_params_default();
    p.missing_rate = 0.7;
    assert_int_equal(crm_gen_customers(&p, &t, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "missing_rate"));
    p = crm_gen_customers_params_default();
    p.outlier_rate = -1;
    assert_int_equal(crm_gen_customers_params_check(&p, &err), CRM_EINVAL);
    assert_null(crm_gen_customer_type_name(6));
    assert_string_equal(crm_gen_customer_type_name(0), "heavy_data");
}

static void gen_out_of_memory_fails_cleanly(void **state)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    long n;
    (void)state;
    p.n_rows = 50;
    p.n_threads = 1;
    for (n = 0; n < 10000; n++) {
        crm_table *t = NULL;
        crm_error err;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_gen_customers(&p, &t, &err);
        if (rc == CRM_OK) {
            crm_table_free(t);
            assert_int_equal(crm_test_alloc_live(), 0);
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
        assert_int_equal(crm_test_alloc_live(), 0);
    }
    crm_test_alloc_reset();
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_has_the_documented_columns),
        cmocka_unit_test(gen_is_deterministic_for_a_seed_whatever_the_threads),
        cmocka_unit_test(gen_bill_is_the_sum_of_its_items),
        cmocka_unit_test(gen_rates_of_missing_outliers_and_churn_are_about_right),
        cmocka_unit_test(gen_latent_types_differ_and_drive_churn),
        cmocka_unit_test(gen_rejects_bad_params),
        cmocka_unit_test(gen_out_of_memory_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
