/* test_profile.c: segment profiles and names against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/profile.h>
#include <crmkit/rng.h>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "crm_test.h"

#define NA NAN

/* 8 customers in 3 segments: labels 0 0 0 1 1 2 2 2. */
static const int32_t labels[8] = { 0, 0, 0, 1, 1, 2, 2, 2 };

static crm_table *customers(void)
{
    const double revenue[8] = { 10, 20, 60, 100, 300, 1, 2, 3 };
    const double minutes[8] = { 5, NA, 7, 1, 1, NA, NA, NA };
    const char *plan[8] = { "pre", "pre", "post", "post", "post", "pre", NULL, "biz" };
    crm_table *t = NULL;
    crm_error err;
    assert_int_equal(crm_table_new(8, "c.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "revenue", revenue, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "minutes", minutes, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    return t;
}

static const char *const feats[3] = { "revenue", "minutes", "plan" };

static void profile_sizes_means_medians_and_differences_match_hand_values(void **state)
{
    crm_table *t = customers();
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_error err;
    double share = 0;
    /* revenue: population mean 496 / 8 = 62; sd from the squared deviations. */
    double dev[8] = { -52, -42, -2, 38, 238, -61, -60, -59 };
    double ss = 0;
    (void)state;
    for (int i = 0; i < 8; i++) {
        ss += dev[i] * dev[i];
    }
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_OK);
    assert_int_equal(crm_profile_k(pr), 3);
    assert_int_equal(crm_profile_n_rows(pr), 8);
    assert_int_equal(crm_profile_size(pr, 0), 3);
    assert_int_equal(crm_profile_size(pr, 1), 2);
    crm_assert_close(crm_profile_share(pr, 2), 3.0 / 8.0, 1e-15, 0);
    crm_assert_close(crm_profile_mean(pr, 0, 0), 30.0, 1e-15, 0);
    crm_assert_close(crm_profile_median(pr, 0, 0), 20.0, 1e-15, 0);
    crm_assert_close(crm_profile_median(pr, 1, 0), 200.0, 1e-15, 0); /* even count: midpoint */
    crm_assert_close(crm_profile_pop_mean(pr, 0), 62.0, 1e-15, 0);
    crm_assert_close(crm_profile_pop_median(pr, 0), 15.0, 1e-15, 0);
    crm_assert_close(crm_profile_pop_sd(pr, 0), sqrt(ss / 8.0), 1e-15, 0);
    crm_assert_close(crm_profile_ratio(pr, 1, 0), 200.0 / 62.0, 1e-15, 0);
    crm_assert_close(crm_profile_std_diff(pr, 1, 0), (200.0 - 62.0) / sqrt(ss / 8.0), 1e-15, 0);
    /* minutes: missing values are left out; segment 2 has none at all. */
    crm_assert_close(crm_profile_mean(pr, 0, 1), 6.0, 1e-15, 0);
    crm_assert_close(crm_profile_pop_mean(pr, 1), 3.5, 1e-15, 0);
    assert_true(isnan(crm_profile_mean(pr, 2, 1)));
    /* plan: modal level and its share among present values. */
    assert_true(crm_profile_is_categorical(pr, 2));
    assert_true(isnan(crm_profile_mean(pr, 0, 2)));
    assert_string_equal(crm_profile_mode(pr, 0, 2, &share), "pre");
    crm_assert_close(share, 2.0 / 3.0, 1e-15, 0);
    assert_string_equal(crm_profile_mode(pr, 2, 2, &share), "pre"); /* tie pre/biz: first code */
    crm_assert_close(share, 0.5, 1e-15, 0);
    assert_null(crm_profile_mode(pr, 0, 0, NULL));
    /* No tiers: label order and "Segment n" names. */
    assert_null(crm_profile_tier_by(pr));
    assert_int_equal(crm_profile_order(pr, 1), 1);
    assert_string_equal(crm_profile_name(pr, 2), "Segment 3");
    crm_profile_free(pr);
    crm_table_free(t);
}

static void profile_names_tiers_by_mean_value(void **state)
{
    crm_table *t = customers();
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_error err;
    (void)state;
    p.tier_by = "revenue";
    assert_int_equal(crm_profile_compute(t, feats, 2, labels, 3, &p, &pr, &err), CRM_OK);
    /* Mean revenue: segment 1 200, segment 0 30, segment 2 2. */
    assert_int_equal(crm_profile_order(pr, 0), 1);
    assert_int_equal(crm_profile_order(pr, 1), 0);
    assert_int_equal(crm_profile_order(pr, 2), 2);
    assert_string_equal(crm_profile_name(pr, 1), "Platinum");
    assert_string_equal(crm_profile_name(pr, 0), "Gold");
    assert_string_equal(crm_profile_name(pr, 2), "Silver");
    assert_string_equal(crm_profile_tier_by(pr), "revenue");
    crm_profile_free(pr);
    crm_table_free(t);
}

static void profile_numbers_tiers_beyond_four_segments(void **state)
{
    double v[7];
    int32_t lab[7];
    const char *f[1] = { "v" };
    crm_table *t = NULL;
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_error err;
    const char *want[7] = { "Platinum 1", "Platinum 2", "Gold 1", "Gold 2",
                            "Silver 1",   "Silver 2",   "Bronze" };
    (void)state;
    for (int i = 0; i < 7; i++) {
        v[i] = (double)i; /* segment i has value i: the highest label ranks first */
        lab[i] = i;
    }
    assert_int_equal(crm_table_new(7, "v.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "v", v, &err), CRM_OK);
    p.tier_by = "v";
    assert_int_equal(crm_profile_compute(t, f, 1, lab, 7, &p, &pr, &err), CRM_OK);
    for (int r = 0; r < 7; r++) {
        assert_int_equal(crm_profile_order(pr, r), 6 - r);
        assert_string_equal(crm_profile_name(pr, 6 - r), want[r]);
    }
    crm_profile_free(pr);
    crm_table_free(t);
}

static void profile_takes_names_from_a_list_and_checks_it(void **state)
{
    crm_table *t = customers();
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_error err;
    const char *names[3] = { "Students", "Business", "Dormant" };
    const char *twice[3] = { "A", "B", "A" };
    int32_t bad[8] = { 0, 0, 0, 1, 1, 2, 2, 3 };
    (void)state;
    p.names = names;
    p.n_names = 2;
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "2 segment names given for 3 segments"));
    p.n_names = 3;
    assert_int_equal(crm_profile_compute(t, feats, 3, bad, 3, &p, &pr, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "row 8"));
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_OK);
    assert_string_equal(crm_profile_name(pr, 1), "Business");
    assert_int_equal(crm_profile_set_names(pr, twice, 3, &err), CRM_EINVAL);
    assert_string_equal(crm_profile_name(pr, 0), "Students");
    crm_profile_free(pr);
    p.names = NULL;
    p.tier_by = "plan";
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_EDATA);
    p.tier_by = "arpu";
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_ENOTFOUND);
    assert_string_equal(err.field, "arpu");
    assert_null(pr);
    crm_table_free(t);
}

static void profile_save_and_load_round_trip(void **state)
{
    crm_table *t = customers();
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_profile *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    p.tier_by = "revenue";
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_profile_save(pr, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_profile_load(r, &back, &err), CRM_OK);
    assert_int_equal(crm_profile_k(back), 3);
    assert_int_equal(crm_profile_n_features(back), 3);
    assert_string_equal(crm_profile_tier_by(back), "revenue");
    for (int32_t s = 0; s < 3; s++) {
        assert_string_equal(crm_profile_name(back, s), crm_profile_name(pr, s));
        assert_int_equal(crm_profile_size(back, s), crm_profile_size(pr, s));
        assert_int_equal(crm_profile_order(back, s), crm_profile_order(pr, s));
        for (int32_t f = 0; f < 3; f++) {
            const char *m1 = crm_profile_mode(pr, s, f, NULL);
            const char *m2 = crm_profile_mode(back, s, f, NULL);
            crm_assert_close(crm_profile_mean(back, s, f), crm_profile_mean(pr, s, f), 0, 0);
            crm_assert_close(crm_profile_median(back, s, f), crm_profile_median(pr, s, f), 0, 0);
            assert_true((m1 == NULL) == (m2 == NULL));
            if (m1 != NULL) {
                assert_string_equal(m1, m2);
            }
        }
    }
    assert_string_equal(crm_profile_feature(back, 2), "plan");
    crm_assert_close(crm_profile_pop_sd(back, 0), crm_profile_pop_sd(pr, 0), 0, 0);
    crm_model_reader_free(r);
    crm_profile_free(back);
    crm_model_writer_free(w);
    crm_profile_free(pr);
    crm_table_free(t);
}

static void profile_compute_and_load_fail_cleanly_out_of_memory(void **state)
{
    crm_table *t = customers();
    crm_profile_params p = crm_profile_params_default();
    crm_profile *pr = NULL;
    crm_model_writer *w = NULL;
    const unsigned char *bytes;
    size_t len;
    unsigned char *copy;
    crm_error err;
    int done = 0;
    (void)state;
    p.tier_by = "revenue";
    for (long n = 0; n < 300 && !done; n++) {
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err);
        done = (rc == CRM_OK);
        if (!done) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        crm_profile_free(pr);
        pr = NULL;
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(done);
    assert_int_equal(crm_profile_compute(t, feats, 3, labels, 3, &p, &pr, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_profile_save(pr, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    copy = malloc(len);
    memcpy(copy, bytes, len);
    crm_model_writer_free(w);
    crm_profile_free(pr);
    done = 0;
    for (long n = 0; n < 300 && !done; n++) {
        crm_model_reader *r = NULL;
        crm_profile *back = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_model_reader_open_mem(copy, len, "mem", &r, &err);
        if (rc == CRM_OK) {
            rc = crm_profile_load(r, &back, &err);
            done = (rc == CRM_OK);
            crm_profile_free(back);
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

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A table large enough for the parallel path and the sampled order statistics (150,000 rows,
 * missing values, ties, a categorical column): every statistic the same with 1 and 2 threads,
 * the medians those of a full sort, the means those of a plain sum. Column d puts a huge
 * value on every 6th row: the segment medians' sample (here every 12th row from row 6) sees
 * only those, the intervals miss and the exact fallback answers; segment 5 has about 150
 * rows, too few for an interval (all its values are selected). */
static void profile_of_a_large_table_is_exact_and_the_same_with_any_threads(void **state)
{
    enum {
        N = 150000,
        K = 6,
        F = 5,
        NUM = F - 1
    };
    static const char *const names[F] = { "a", "b", "c", "d", "plan" };
    static const char *const levels[3] = { "pre", "post", "biz" };
    double *col[NUM];
    const char **plan = malloc(N * sizeof *plan);
    int32_t *lab = malloc(N * sizeof *lab);
    double *buf = malloc(N * sizeof *buf);
    crm_profile *pr[2] = { NULL, NULL };
    crm_profile_params p = crm_profile_params_default();
    crm_table *t = NULL;
    crm_error err;
    crm_rng rng;
    (void)state;
    assert_non_null(plan);
    assert_non_null(lab);
    assert_non_null(buf);
    crm_rng_seed(&rng, 3);
    for (int j = 0; j < NUM; j++) {
        col[j] = malloc(N * sizeof *col[j]);
        assert_non_null(col[j]);
    }
    for (int64_t i = 0; i < N; i++) {
        lab[i] = i % 1000 == 3 ? K - 1 : (int32_t)crm_rng_below(&rng, K - 1);
        col[0][i] = crm_rng_normal(&rng) * 50.0 + 10.0 * lab[i];
        col[1][i] = crm_rng_uniform(&rng) < 0.1 ? (double)NAN : crm_rng_normal(&rng);
        col[2][i] = round(crm_rng_normal(&rng) * 3.0); /* ties */
        col[3][i] = i % 6 == 0 ? 1e9 + (double)i : crm_rng_uniform(&rng);
        plan[i] = levels[crm_rng_below(&rng, lab[i] == 0 ? 1 : 3)];
    }
    assert_int_equal(crm_table_new(N, "big.csv", &t, &err), CRM_OK);
    for (int j = 0; j < NUM; j++) {
        assert_int_equal(crm_table_add_numeric(t, names[j], col[j], &err), CRM_OK);
    }
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    for (int run = 0; run < 2; run++) {
#if defined(_OPENMP)
        omp_set_num_threads(run + 1);
#endif
        assert_int_equal(crm_profile_compute(t, names, F, lab, K, &p, &pr[run], &err), CRM_OK);
    }
    for (int32_t f = 0; f < F; f++) {
        double a0 = crm_profile_pop_mean(pr[0], f), a1 = crm_profile_pop_mean(pr[1], f);
        double m0 = crm_profile_pop_median(pr[0], f), m1 = crm_profile_pop_median(pr[1], f);
        assert_true((isnan(a0) && isnan(a1)) || a0 == a1);
        assert_true((isnan(m0) && isnan(m1)) || m0 == m1);
        for (int32_t s = 0; s < K; s++) {
            double e0 = crm_profile_mean(pr[0], s, f), e1 = crm_profile_mean(pr[1], s, f);
            double d0 = crm_profile_median(pr[0], s, f), d1 = crm_profile_median(pr[1], s, f);
            double sh0 = 0, sh1 = 0;
            const char *o0 = crm_profile_mode(pr[0], s, f, &sh0);
            const char *o1 = crm_profile_mode(pr[1], s, f, &sh1);
            assert_true((isnan(e0) && isnan(e1)) || e0 == e1);
            assert_true((isnan(d0) && isnan(d1)) || d0 == d1);
            assert_true((o0 == NULL && o1 == NULL) || (o0 && o1 && strcmp(o0, o1) == 0));
            if (f == F - 1) {
                assert_string_equal(s == 0 ? "pre" : o0, o0); /* segment 0 is all "pre" */
                continue;
            }
            /* brute force: the segment's present values, sorted */
            int64_t m = 0;
            double sum = 0.0;
            for (int64_t i = 0; i < N; i++) {
                if (lab[i] == s && !isnan(col[f][i])) {
                    buf[m++] = col[f][i];
                    sum += col[f][i];
                }
            }
            qsort(buf, (size_t)m, sizeof *buf, cmp_d);
            crm_assert_close(d0, m % 2 ? buf[m / 2] : 0.5 * buf[m / 2 - 1] + 0.5 * buf[m / 2], 0,
                             0);
            crm_assert_close(e0, sum / (double)m, 1e-12, 1e-12);
        }
    }
    crm_profile_free(pr[0]);
    crm_profile_free(pr[1]);
    crm_table_free(t);
    for (int j = 0; j < NUM; j++) {
        free(col[j]);
    }
    free(plan);
    free(lab);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profile_sizes_means_medians_and_differences_match_hand_values),
        cmocka_unit_test(profile_names_tiers_by_mean_value),
        cmocka_unit_test(profile_numbers_tiers_beyond_four_segments),
        cmocka_unit_test(profile_takes_names_from_a_list_and_checks_it),
        cmocka_unit_test(profile_save_and_load_round_trip),
        cmocka_unit_test(profile_compute_and_load_fail_cleanly_out_of_memory),
        cmocka_unit_test(profile_of_a_large_table_is_exact_and_the_same_with_any_threads),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
