/* test_twolayer.c: the two-layer model. Layer-1 semantics against hand-computed answers (rank
 * with ties, ratios with zero denominators, sums, mean splits, quantile splits, boolean
 * combinations, missing values), training labels reproduced by assign before and after a
 * save/load, and spec errors reported with their location. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>
#include <crmkit/rng.h>
#include <crmkit/twolayer.h>

#include "crm_test.h"
#include "twolayer/twolayer_internal.h"

static crm_table *csv(const char *text)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_error err;
    crm_status rc = crm_table_read_csv_mem(text, strlen(text), "t.csv", &opt, &t, &err);
    if (rc != CRM_OK) {
        fprintf(stderr, "%s\n", err.msg);
    }
    assert_int_equal(rc, CRM_OK);
    return t;
}

static crm_status make(const char *spec, crm_twolayer **out, crm_error *err)
{
    crm_twolayer_params p = crm_twolayer_params_default();
    p.spec = spec;
    p.spec_len = strlen(spec);
    p.spec_source = "spec.json";
    p.n_threads = 1;
    return crm_twolayer_new(&p, out, err);
}

static crm_twolayer *fit(const char *spec, const crm_table *t)
{
    crm_twolayer *tl = NULL;
    crm_error err;
    crm_status rc = make(spec, &tl, &err);
    if (rc == CRM_OK) {
        rc = crm_twolayer_fit(tl, t, NULL, &err);
    }
    if (rc != CRM_OK) {
        fprintf(stderr, "fit: %s (field %s)\n", err.msg, err.field);
    }
    assert_int_equal(rc, CRM_OK);
    return tl;
}

static int32_t group_of(const crm_twolayer *tl, const char *name)
{
    for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
        if (strcmp(crm_twolayer_group_name(tl, g), name) == 0) {
            return g;
        }
    }
    fail_msg("no group %s", name);
    return -1;
}

/* The group name of each row must be expected[i]. */
static void expect_groups(const crm_twolayer *tl, const char *const *expected, int64_t n)
{
    const int32_t *l1 = crm_twolayer_labels_l1(tl);
    for (int64_t i = 0; i < n; i++) {
        if (strcmp(crm_twolayer_group_name(tl, l1[i]), expected[i]) != 0) {
            fail_msg("row %lld: group %s, expected %s", (long long)i,
                     crm_twolayer_group_name(tl, l1[i]), expected[i]);
        }
    }
}

static void derived(const crm_twolayer *tl, const crm_table *t, int32_t d, double *out)
{
    crm_error err;
    assert_int_equal(crm_twolayer_derived_values(tl, t, d, out, &err), CRM_OK);
}

static void assert_same_or_nan(double got, double want)
{
    if (isnan(want)) {
        assert_true(isnan(got));
    } else {
        crm_assert_close(got, want, 0, 1e-12);
    }
}

/* ---- derived columns ---- */

static void rank_is_the_percentile_level_with_ties_sharing_it(void **state)
{
    /* 4 present values 10 20 20 30: floor(100 * #{< x} / 4) = 0, 25, 25, 75; missing stays */
    crm_table *t = csv("id,rev\na,10\nb,20\nc,20\nd,30\ne,\n");
    crm_table *t2 = csv("id,rev\nf,5\ng,15\nh,25\ni,30\nj,1000\n");
    const char *spec = "{\"derived\":[{\"name\":\"r\",\"rank\":\"rev\"}],"
                       "\"layer1\":{\"groups\":[{\"name\":\"All\"}]},"
                       "\"layer2\":{\"default\":{\"algo\":\"none\"}}}";
    crm_twolayer *tl = fit(spec, t);
    double v[5];
    const double want[5] = { 0, 25, 25, 75, NAN };
    /* new values: below all, between, the top value, above all (the top level is 99) */
    const double want2[5] = { 0, 25, 75, 75, 99 };
    (void)state;
    assert_int_equal(crm_twolayer_n_derived(tl), 1);
    assert_string_equal(crm_twolayer_derived_name(tl, 0), "r");
    derived(tl, t, 0, v);
    for (int i = 0; i < 5; i++) {
        assert_same_or_nan(v[i], want[i]);
    }
    derived(tl, t2, 0, v);
    for (int i = 0; i < 5; i++) {
        assert_same_or_nan(v[i], want2[i]);
    }
    crm_twolayer_free(tl);
    crm_table_free(t);
    crm_table_free(t2);
}

static void rank_spreads_200_distinct_values_over_100_levels(void **state)
{
    char *text = malloc(200 * 16 + 16);
    size_t len = 0;
    crm_table *t;
    crm_twolayer *tl;
    double v[200];
    (void)state;
    len += (size_t)sprintf(text + len, "x\n");
    for (int i = 200; i >= 1; i--) { /* file order does not matter */
        len += (size_t)sprintf(text + len, "%d\n", i);
    }
    t = csv(text);
    tl = fit("{\"derived\":[{\"name\":\"r\",\"rank\":\"x\"}],\"layer1\":{\"groups\":[{\"name\":"
             "\"All\"}]},\"layer2\":{\"default\":{\"algo\":\"none\"}}}",
             t);
    derived(tl, t, 0, v);
    for (int i = 0; i < 200; i++) {
        int x = 200 - i;
        crm_assert_close(v[i], (double)((x - 1) / 2), 0, 0); /* floor(100 (x-1) / 200) */
    }
    crm_twolayer_free(tl);
    crm_table_free(t);
    free(text);
}

static void ratios_and_sums_handle_zero_and_missing(void **state)
{
    crm_table *t = csv("a,b,c\n1,4,1\n3,0,2\n0,0,3\n,2,4\n5,,5\n-2,8,6\n");
    const char *spec = "{\"derived\":[{\"name\":\"q\",\"ratio\":[\"a\",\"b\"]},"
                       "{\"name\":\"q0\",\"ratio\":[\"a\",\"b\"],\"on_zero\":0},"
                       "{\"name\":\"s\",\"sum\":[\"a\",\"b\",\"c\"]},"
                       "{\"name\":\"share\",\"ratio\":[\"c\",\"s\"],\"on_zero\":-1}],"
                       "\"layer1\":{\"groups\":[{\"name\":\"All\"}]},\"layer2\":{\"default\":{"
                       "\"algo\":\"none\"}}}";
    crm_twolayer *tl = fit(spec, t);
    const double q[6] = { 0.25, NAN, NAN, NAN, NAN, -0.25 };
    const double q0[6] = { 0.25, 0, 0, NAN, NAN, -0.25 };
    const double s[6] = { 6, 5, 3, NAN, NAN, 12 };
    const double share[6] = { 1.0 / 6, 0.4, 1, NAN, NAN, 0.5 };
    const double *want[4] = { q, q0, s, share };
    double v[6];
    (void)state;
    for (int d = 0; d < 4; d++) {
        derived(tl, t, d, v);
        for (int i = 0; i < 6; i++) {
            assert_same_or_nan(v[i], want[d][i]);
        }
    }
    crm_twolayer_free(tl);
    crm_table_free(t);
}

/* ---- layer-1 rules ---- */

static void mean_split_on_two_axes_gives_four_groups(void **state)
{
    /* mean(x) = (1+2+3+4+10+4)/6 = 4, mean(y) = 30 over the five present values; x >= mean
     * is High; a missing y matches no part and goes to the remainder */
    crm_table *t = csv("x,y\n1,50\n2,10\n3,30\n4,20\n10,40\n4,\n");
    const char *spec = "{\"layer1\":{\"split\":["
                       "{\"column\":\"x\",\"at\":\"mean\",\"names\":[\"LowX\",\"HighX\"]},"
                       "{\"column\":\"y\",\"at\":\"mean\",\"names\":[\"LowY\",\"HighY\"]}]},"
                       "\"layer2\":{\"default\":{\"algo\":\"none\"}}}";
    const char *expected[6] = { "LowX-HighY", "LowX-LowY",   "LowX-HighY",
                                "HighX-LowY", "HighX-HighY", "Unmatched" };
    crm_twolayer *tl = fit(spec, t);
    (void)state;
    assert_int_equal(crm_twolayer_n_groups(tl), 5);
    assert_string_equal(crm_twolayer_group_name(tl, 0), "LowX-LowY");
    assert_string_equal(crm_twolayer_group_name(tl, 1), "LowX-HighY");
    assert_string_equal(crm_twolayer_group_name(tl, 2), "HighX-LowY");
    assert_string_equal(crm_twolayer_group_name(tl, 3), "HighX-HighY");
    expect_groups(tl, expected, 6);
    assert_int_equal(crm_twolayer_group_size(tl, group_of(tl, "LowX-HighY")), 2);
    /* one warning: the row with a missing y */
    assert_int_equal(crm_twolayer_n_warnings(tl), 1);
    assert_non_null(strstr(crm_twolayer_warning(tl, 0), "1 customers matched no rule"));
    crm_twolayer_free(tl);
    crm_table_free(t);
}

static void quantile_and_threshold_splits_cut_where_numpy_does(void **state)
{
    /* x = 1..10: quantiles 0.25, 0.5, 0.75 = 3.25, 5.5, 7.75 (linear interpolation) */
    crm_table *t = csv("x,y\n1,0\n2,5\n3,10\n4,15\n5,20\n6,25\n7,30\n8,35\n9,40\n10,45\n");
    const char *spec =
        "{\"layer1\":{\"split\":[{\"column\":\"x\",\"at\":[\"quantile(0.25)\",\"median\","
        "\"quantile(0.75)\"],\"names\":[\"Q1\",\"Q2\",\"Q3\",\"Q4\"]},"
        "{\"column\":\"y\",\"at\":20,\"names\":[\"a\",\"b\"]}],\"separator\":\"_\"},"
        "\"layer2\":{\"default\":{\"algo\":\"none\"}}}";
    const char *expected[10] = { "Q1_a", "Q1_a", "Q1_a", "Q2_a", "Q2_b",
                                 "Q3_b", "Q3_b", "Q4_b", "Q4_b", "Q4_b" };
    crm_twolayer *tl = fit(spec, t);
    (void)state;
    assert_int_equal(crm_twolayer_n_groups(tl), 9);
    expect_groups(tl, expected, 10);
    /* Q1_b, Q2_... empty groups are warnings, not errors */
    assert_int_equal(crm_twolayer_n_warnings(tl), 3); /* Q1_b, Q3_a, Q4_a */
    assert_non_null(strstr(crm_twolayer_warning(tl, 0), "\"Q1_b\" is empty"));
    crm_twolayer_free(tl);
    crm_table_free(t);
}

static void boolean_rules_take_the_first_matching_group(void **state)
{
    /* A: (a > 1 and not p == 'x') or c <= a;  B: not (a >= 3) && p != 'y';  C: the rest */
    crm_table *t = csv("a,p,c\n"
                       "2,y,9\n"  /* A (a>1, p!=x) */
                       "2,x,9\n"  /* a>1 but p==x; c<=a no; B: a<3 and p!=y: B */
                       "0,x,0\n"  /* c<=a: A */
                       "5,x,9\n"  /* A no; B no (a>=3): C */
                       "1,y,2\n"  /* A no; B: p==y no: C */
                       "0,,5\n"   /* A no (p missing, c>a); B: p != 'y' is false when missing: C */
                       ",z,1\n"); /* a missing: a > 1, c <= a, a >= 3 are false; not makes
                                   * the last true, and p != 'y': B */
    const char *spec = "{\"layer1\":{\"groups\":["
                       "{\"name\":\"A\",\"when\":\"(a > 1 and not p == 'x') or c <= a\"},"
                       "{\"name\":\"B\",\"when\":\"!(a >= 3) AND p != 'y'\"},"
                       "{\"name\":\"C\"}]},\"layer2\":{\"default\":{\"algo\":\"none\"}}}";
    const char *expected[7] = { "A", "B", "A", "C", "C", "C", "B" };
    crm_twolayer *tl = fit(spec, t);
    (void)state;
    assert_int_equal(crm_twolayer_n_groups(tl), 3);
    expect_groups(tl, expected, 7);
    assert_int_equal(crm_twolayer_n_warnings(tl), 0); /* C is the spec's own last group */
    crm_twolayer_free(tl);
    crm_table_free(t);
}

static void rules_compare_columns_and_derived_columns(void **state)
{
    crm_table *t = csv("v,d,total\n10,5,20\n3,8,20\n4,4,0\n");
    const char *spec = "{\"derived\":[{\"name\":\"vs\",\"ratio\":[\"v\",\"total\"]}],"
                       "\"layer1\":{\"groups\":["
                       "{\"name\":\"VoiceHeavy\",\"when\":\"vs >= 0.5 || v > 100\"},"
                       "{\"name\":\"MoreData\",\"when\":\"d > v && v >= 0\"}],"
                       "\"otherwise\":\"Other\"},"
                       "\"layer2\":{\"default\":{\"algo\":\"none\"}}}";
    const char *expected[3] = { "VoiceHeavy", "MoreData", "Other" };
    crm_twolayer *tl = fit(spec, t);
    (void)state;
    expect_groups(tl, expected, 3);
    crm_twolayer_free(tl);
    crm_table_free(t);
}

/* ---- layer 2 and persistence ---- */

static crm_table *customers(int64_t n, uint64_t seed)
{
    crm_table *t = NULL;
    crm_error err;
    double *rev = malloc((size_t)n * sizeof *rev);
    double *voice = malloc((size_t)n * sizeof *voice);
    double *data = malloc((size_t)n * sizeof *data);
    double *bill = malloc((size_t)n * sizeof *bill);
    const char **plan = malloc((size_t)n * sizeof *plan);
    static const char *const plans[3] = { "prepaid", "postpaid", "hybrid" };
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++) {
        int type = (int)(i % 4);
        rev[i] = (type < 2 ? 20 : 80) + 5 * crm_rng_normal(&rng);
        voice[i] = (type % 2 ? 300 : 40) + 20 * crm_rng_normal(&rng);
        data[i] = (double)(i % 7) * 100 + 50 * crm_rng_uniform(&rng);
        bill[i] = i % 11 == 0 ? 0 : 10 + voice[i] / 10 + data[i] / 50;
        plan[i] = plans[i % 3];
    }
    assert_int_equal(crm_table_new(n, "cust.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "revenue", rev, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "voice_min", voice, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "data_mb", data, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "bill", bill, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, &err), CRM_OK);
    free(rev);
    free(voice);
    free(data);
    free(bill);
    free(plan);
    return t;
}

static const char *const SPEC2 =
    "{\"seed\":3,\"derived\":[{\"name\":\"rank\",\"rank\":\"revenue\"},"
    "{\"name\":\"vshare\",\"ratio\":[\"voice_min\",\"bill\"],\"on_zero\":0}],"
    "\"layer1\":{\"split\":[{\"column\":\"rank\",\"at\":\"mean\",\"names\":[\"LowValue\","
    "\"HighValue\"]},{\"column\":\"voice_min\",\"at\":\"mean\",\"names\":[\"LowVoice\","
    "\"HighVoice\"]}]},"
    "\"layer2\":{\"default\":{\"features\":[\"data_mb\",\"vshare\",\"plan\"],\"k\":3},"
    "\"groups\":{\"HighValue-HighVoice\":{\"algo\":\"xmeans\",\"kmax\":5},"
    "\"LowValue-LowVoice\":{\"algo\":\"elbow\",\"kmin\":2,\"kmax\":6},"
    "\"LowValue-HighVoice\":{\"k\":2,\"names\":[\"Calm\",\"Busy\"]}}}}";

static void assign_reproduces_training_labels_and_survives_save_load(void **state)
{
    crm_table *t = customers(2000, 11);
    crm_twolayer *tl = fit(SPEC2, t);
    crm_twolayer *back = NULL;
    int32_t *l1 = malloc(2000 * sizeof *l1);
    int32_t *l2 = malloc(2000 * sizeof *l2);
    char *dir = crm_test_tmpdir();
    char path[512];
    char label[600];
    crm_error err;
    (void)state;
    assert_int_equal(crm_twolayer_n_groups(tl), 5); /* four parts and the remainder */
    assert_int_equal(crm_twolayer_group_size(tl, 4), 0);
    assert_int_equal(crm_twolayer_n_warnings(tl), 0); /* an empty remainder is no news */
    for (int32_t g = 0; g < 4; g++) {
        assert_int_equal(crm_twolayer_group_size(tl, g), 500); /* the four planted types */
        assert_non_null(crm_twolayer_group_segmenter(tl, g));
    }
    assert_int_equal(crm_twolayer_group_k(tl, group_of(tl, "HighValue-LowVoice")), 3);
    assert_string_equal(crm_twolayer_segment_name(tl, group_of(tl, "LowValue-HighVoice"), 1),
                        "Busy");
    assert_string_equal(crm_twolayer_segment_label(tl, 2, 1, label, sizeof label),
                        "HighValue-LowVoice/S2");
    assert_int_equal(crm_profile_k(crm_twolayer_profile(tl)), 5);
    assert_int_equal(crm_twolayer_assign(tl, t, l1, l2, &err), CRM_OK);
    assert_memory_equal(l1, crm_twolayer_labels_l1(tl), 2000 * sizeof *l1);
    assert_memory_equal(l2, crm_twolayer_labels_l2(tl), 2000 * sizeof *l2);

    snprintf(path, sizeof path, "%s/m.crmk", dir);
    assert_int_equal(crm_twolayer_save(tl, path, &err), CRM_OK);
    assert_int_equal(crm_twolayer_load(path, &back, &err), CRM_OK);
    assert_null(crm_twolayer_labels_l1(back));
    assert_int_equal(crm_twolayer_n_groups(back), 5);
    assert_int_equal(crm_twolayer_n_rows(back), 2000);
    memset(l1, 0xff, 2000 * sizeof *l1);
    memset(l2, 0xff, 2000 * sizeof *l2);
    assert_int_equal(crm_twolayer_assign(back, t, l1, l2, &err), CRM_OK);
    assert_memory_equal(l1, crm_twolayer_labels_l1(tl), 2000 * sizeof *l1);
    assert_memory_equal(l2, crm_twolayer_labels_l2(tl), 2000 * sizeof *l2);
    for (int32_t g = 0; g < 5; g++) {
        assert_int_equal(crm_twolayer_group_k(back, g), crm_twolayer_group_k(tl, g));
        assert_string_equal(crm_twolayer_segment_name(back, g, 0),
                            crm_twolayer_segment_name(tl, g, 0));
    }
    assert_string_equal(crm_twolayer_spec_text(back), SPEC2);
    crm_twolayer_free(back);
    crm_twolayer_free(tl);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
    free(l1);
    free(l2);
}

/* The columns a model reads: derived inputs, rule columns (both sides of a column
 * comparison), layer-2 features with their type; derived columns are not inputs. A table of
 * exactly these columns is enough to assign; segment numbers run group after group. */
static void inputs_are_the_columns_the_model_reads(void **state)
{
    crm_table *t = customers(2000, 11);
    crm_twolayer *tl = fit(SPEC2, t);
    crm_twolayer *back = NULL;
    const char *names[8];
    int text[8];
    static const char *const want[5] = { "revenue", "voice_min", "bill", "data_mb", "plan" };
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_error err;
    (void)state;
    assert_int_equal(crm_twolayer_inputs(tl, NULL, NULL, 0), 5);
    assert_int_equal(crm_twolayer_inputs(tl, names, text, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(names[i], want[i]);
        assert_int_equal(text[i], i == 4);
    }
    assert_int_equal(crm_twolayer_inputs(tl, names, text, 2), 5); /* counts past cap */
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    assert_int_equal(crm_twolayer_save(tl, path, &err), CRM_OK);
    assert_int_equal(crm_twolayer_load(path, &back, &err), CRM_OK);
    assert_int_equal(crm_twolayer_inputs(back, names, text, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(names[i], want[i]);
        assert_int_equal(text[i], i == 4);
    }
    int32_t n = 0;
    for (int32_t g = 0; g < crm_twolayer_n_groups(back); g++) {
        for (int32_t k = 0; k < crm_twolayer_group_k(back, g); k++) {
            assert_int_equal(crm_twolayer_segment_index(back, g, k), n++);
        }
        assert_int_equal(crm_twolayer_segment_index(back, g, crm_twolayer_group_k(back, g)), -1);
    }
    assert_int_equal(crm_twolayer_n_segments(back), n);
    assert_int_equal(crm_twolayer_segment_index(back, -1, 0), -1);
    crm_twolayer_free(back);
    crm_twolayer_free(tl);
    crm_table_free(t);

    t = csv("v,d,total,x\n10,5,20,1\n3,8,20,1\n4,4,0,1\n");
    tl = fit("{\"derived\":[{\"name\":\"vs\",\"ratio\":[\"v\",\"total\"]}],"
             "\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"vs >= 0.5\"},"
             "{\"name\":\"B\",\"when\":\"d > v\"}]},\"layer2\":{\"default\":{\"algo\":\"none\"}}}",
             t);
    assert_int_equal(crm_twolayer_inputs(tl, names, text, 8), 3);
    assert_string_equal(names[0], "v");
    assert_string_equal(names[1], "total");
    assert_string_equal(names[2], "d");
    crm_twolayer_free(tl);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

static void same_seed_gives_the_same_model_whatever_the_threads(void **state)
{
    crm_table *t = customers(1200, 5);
    crm_twolayer *a = fit(SPEC2, t);
    crm_twolayer_params p = crm_twolayer_params_default();
    crm_twolayer *b = NULL;
    crm_error err;
    (void)state;
    p.spec = SPEC2;
    p.spec_len = strlen(SPEC2);
    p.n_threads = 3;
    assert_int_equal(crm_twolayer_new(&p, &b, &err), CRM_OK);
    assert_int_equal(crm_twolayer_fit(b, t, NULL, &err), CRM_OK);
    assert_memory_equal(crm_twolayer_labels_l1(a), crm_twolayer_labels_l1(b), 1200 * 4);
    assert_memory_equal(crm_twolayer_labels_l2(a), crm_twolayer_labels_l2(b), 1200 * 4);
    crm_twolayer_free(a);
    crm_twolayer_free(b);
    crm_table_free(t);
}

static void small_groups_stay_one_segment_with_a_warning(void **state)
{
    crm_table *t = csv("x,y\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n100,1\n");
    const char *spec = "{\"layer1\":{\"groups\":[{\"name\":\"Big\",\"when\":\"x >= 50\"},"
                       "{\"name\":\"Rest\"}]},"
                       "\"layer2\":{\"default\":{\"features\":[\"x\",\"y\"],\"k\":2}}}";
    crm_twolayer *tl = fit(spec, t);
    (void)state;
    assert_int_equal(crm_twolayer_group_k(tl, 0), 1);
    assert_null(crm_twolayer_group_segmenter(tl, 0));
    assert_int_equal(crm_twolayer_group_k(tl, 1), 2);
    assert_int_equal(crm_twolayer_n_warnings(tl), 1);
    assert_non_null(strstr(crm_twolayer_warning(tl, 0), "\"Big\" has 1 customers"));
    crm_twolayer_free(tl);
    crm_table_free(t);
}

/* tier_by names a group's segments by tiers of a column that need not be a feature. */
static void segments_can_be_named_by_tiers(void **state)
{
    crm_table *t = customers(800, 4);
    const char *spec =
        "{\"layer1\":{\"groups\":[{\"name\":\"All\"}]},\"layer2\":{\"default\":"
        "{\"features\":[\"voice_min\",\"data_mb\"],\"k\":2,\"tier_by\":\"revenue\"}}}";
    crm_twolayer *tl = fit(spec, t);
    char label[600];
    int platinum = 0;
    (void)state;
    assert_int_equal(crm_twolayer_group_k(tl, 0), 2);
    for (int32_t s = 0; s < 2; s++) {
        const char *name = crm_twolayer_segment_name(tl, 0, s);
        platinum += strcmp(name, "Platinum") == 0;
        assert_true(strcmp(name, "Platinum") == 0 || strcmp(name, "Gold") == 0);
    }
    assert_int_equal(platinum, 1);
    assert_non_null(strstr(crm_twolayer_segment_label(tl, 0, 0, label, sizeof label), "All/"));
    crm_twolayer_free(tl);
    crm_table_free(t);
}

/* Each algorithm name goes to the segmenter's algorithm field, k fixed or chosen by its own
 * criterion, whatever the segmenter can run today. */
static void algorithm_names_map_to_the_segmenter(void **state)
{
    static const struct {
        const char *spec_algo;
        const char *k;
        crm_segment_algo algo;
        crm_segment_method method;
    } cases[] = {
        { "kmeans", "4", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED },
        { "kmeans", "\"auto\"", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS },
        { "xmeans", "\"auto\"", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS },
        { "elbow", "\"auto\"", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_ELBOW },
        { "kmodes", "4", CRM_SEGMENT_ALGO_KMODES, CRM_SEGMENT_FIXED },
        { "kmodes", "\"auto\"", CRM_SEGMENT_ALGO_KMODES, CRM_SEGMENT_AUTO },
        { "kprototypes", "\"auto\"", CRM_SEGMENT_ALGO_KPROTOTYPES, CRM_SEGMENT_AUTO },
        { "hier", "4", CRM_SEGMENT_ALGO_HIER, CRM_SEGMENT_FIXED },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char spec[512];
        crm_twolayer *tl = NULL;
        crm_segment_params sp;
        crm_error err;
        snprintf(spec, sizeof spec,
                 "{\"layer1\":{\"groups\":[{\"name\":\"A\"}]},\"layer2\":{\"default\":{"
                 "\"features\":[\"x\"],\"algo\":\"%s\",\"k\":%s,\"kmax\":7,\"seed\":5,"
                 "\"linkage\":\"average\",\"gamma\":0.5}}}",
                 cases[i].spec_algo, cases[i].k);
        assert_int_equal(make(spec, &tl, &err), CRM_OK);
        assert_int_equal(crm__tl_algo_params(&tl->groups[0].l2, &sp, &err), CRM_OK);
        assert_int_equal(sp.algo, cases[i].algo);
        assert_int_equal(sp.method, cases[i].method);
        if (cases[i].method == CRM_SEGMENT_FIXED) {
            assert_int_equal(sp.k, 4);
        }
        assert_int_equal(sp.kmax, 7);
        assert_int_equal(sp.kmeans.seed, 5);
        assert_int_equal(sp.hclust.linkage, CRM_LINKAGE_AVERAGE);
        crm_assert_close(sp.kmodes.gamma, 0.5, 0, 0);
        assert_int_equal(sp.n_features, 1);
        assert_string_equal(sp.features[0], "x");
        crm_twolayer_free(tl);
    }
}

/* ---- errors ---- */

typedef struct bad_case {
    const char *spec;
    crm_status code;
    const char *field;   /* err.field, or NULL */
    const char *message; /* a part of err.msg */
    int64_t line;        /* err.line (0 = not checked) */
    int at_fit;          /* the error comes from fit (needs the table) */
} bad_case;

static void bad_specs_are_reported_with_their_place(void **state)
{
    static const bad_case cases[] = {
        { "{\"layer1\": {\"groups\": [\n  {\"name\": \"A\" \"when\": \"x > 1\"}]}}", CRM_EPARSE,
          NULL, "JSON syntax error", 2, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"x >> 1\"}]}}", CRM_EPARSE,
          "layer1.groups[0].when", "malformed expression", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"(x > 1\"}]}}", CRM_EPARSE,
          "layer1.groups[0].when", "expected \")\"", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"x > 1 y\"}]}}", CRM_EPARSE,
          "layer1.groups[0].when", "unexpected text", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"x > quantile(2)\"}]}}", CRM_EPARSE,
          "layer1.groups[0].when", "quantile needs a number from 0 to 1", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"x < 'a'\"}]}}", CRM_EPARSE,
          "layer1.groups[0].when", "compared with == or != only", 0, 0 },
        { "{\"derived\":[{\"name\":\"r\",\"rank\":\"x\",\"sum\":[\"x\"]}],\"layer1\":{}}",
          CRM_EPARSE, "derived[0]", "exactly one of rank, ratio, sum", 0, 0 },
        { "{\"layer1\":{\"grups\":[]}}", CRM_EPARSE, "layer1.grups", "did you mean \"groups\"", 0,
          0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A/B\",\"when\":\"x > 1\"}]}}", CRM_EPARSE,
          "layer1.groups[0]", "without '/'", 0, 0 },
        { "{\"layer1\":{\"split\":[{\"column\":\"x\",\"at\":[1,2],\"names\":[\"a\",\"b\"]}]}}",
          CRM_EPARSE, "layer1.split[0].names", "2 cut point(s) make 3 parts", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\"}]},\"layer2\":{\"default\":{\"algo\":"
          "\"kmean\"}}}",
          CRM_EPARSE, "layer2.default.algo", "did you mean \"kmeans\"", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\"}]},\"layer2\":{\"groups\":{\"a\":{}}}}",
          CRM_EPARSE, "layer2.groups.a", "did you mean \"A\"", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\"}]}}", CRM_EPARSE, "layer2.groups.A",
          "no layer-2 features", 0, 0 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"revenu > mean\"}]},"
          "\"layer2\":{\"default\":{\"algo\":\"none\"}}}",
          CRM_ENOTFOUND, "revenu", "did you mean \"revenue\"", 0, 1 },
        { "{\"derived\":[{\"name\":\"r\",\"rank\":\"revnue\"}],\"layer1\":{\"groups\":[{\"name\":"
          "\"A\"}]},\"layer2\":{\"default\":{\"algo\":\"none\"}}}",
          CRM_ENOTFOUND, "revnue", "did you mean \"revenue\"", 0, 1 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\"}]},\"layer2\":{\"default\":{\"features\":"
          "[\"voice_mn\"]}}}",
          CRM_ENOTFOUND, "voice_mn", "did you mean \"voice_min\"", 0, 1 },
        { "{\"layer1\":{\"groups\":[{\"name\":\"A\",\"when\":\"plan > 3\"}]},"
          "\"layer2\":{\"default\":{\"algo\":\"none\"}}}",
          CRM_EDATA, "plan", "is categorical", 0, 1 },
    };
    crm_table *t = customers(50, 1);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        crm_twolayer *tl = NULL;
        crm_error err;
        crm_status rc = make(c->spec, &tl, &err);
        if (c->at_fit) {
            assert_int_equal(rc, CRM_OK);
            rc = crm_twolayer_fit(tl, t, NULL, &err);
        }
        if (rc != c->code || strstr(err.msg, c->message) == NULL ||
            (c->field != NULL && strcmp(err.field, c->field) != 0) ||
            (c->line > 0 && err.line != c->line)) {
            fail_msg("case %zu: status %d, field \"%s\", line %lld, message \"%s\"", i, (int)rc,
                     err.field, (long long)err.line, err.msg);
        }
        if (!c->at_fit) {
            assert_null(tl);
            assert_string_equal(err.source, "spec.json");
        }
        crm_twolayer_free(tl);
    }
    crm_table_free(t);
}

static void load_refuses_other_kinds(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_model_writer *w = NULL;
    crm_twolayer *tl = NULL;
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/seg.crmk", dir);
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "x", &err), CRM_OK);
    assert_int_equal(crm_model_writer_save(w, path, &err), CRM_OK);
    crm_model_writer_free(w);
    assert_int_equal(crm_twolayer_load(path, &tl, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "not a two-layer model"));
    assert_null(tl);
    crm_test_rmdir(dir);
    free(dir);
}

static void fit_and_load_fail_cleanly_out_of_memory(void **state)
{
    crm_table *t = customers(400, 2);
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_twolayer *tl = fit(SPEC2, t);
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    assert_int_equal(crm_twolayer_save(tl, path, &err), CRM_OK);
    crm_twolayer_free(tl);
    for (long n = 0;; n++) {
        crm_twolayer *m = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_twolayer_load(path, &m, &err);
        crm_twolayer_free(m);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
        if (rc == CRM_OK) {
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
    }
    /* fit: every allocation site up to 400, then a sample of the later ones */
    for (long n = 0;; n += n < 400 ? 1 : 1 + n / 16) {
        crm_twolayer *m = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = make(SPEC2, &m, &err);
        if (rc == CRM_OK) {
            rc = crm_twolayer_fit(m, t, NULL, &err);
        }
        crm_twolayer_free(m);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
        if (rc == CRM_OK) {
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
    }
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rank_is_the_percentile_level_with_ties_sharing_it),
        cmocka_unit_test(rank_spreads_200_distinct_values_over_100_levels),
        cmocka_unit_test(ratios_and_sums_handle_zero_and_missing),
        cmocka_unit_test(mean_split_on_two_axes_gives_four_groups),
        cmocka_unit_test(quantile_and_threshold_splits_cut_where_numpy_does),
        cmocka_unit_test(boolean_rules_take_the_first_matching_group),
        cmocka_unit_test(rules_compare_columns_and_derived_columns),
        cmocka_unit_test(assign_reproduces_training_labels_and_survives_save_load),
        cmocka_unit_test(inputs_are_the_columns_the_model_reads),
        cmocka_unit_test(same_seed_gives_the_same_model_whatever_the_threads),
        cmocka_unit_test(small_groups_stay_one_segment_with_a_warning),
        cmocka_unit_test(segments_can_be_named_by_tiers),
        cmocka_unit_test(algorithm_names_map_to_the_segmenter),
        cmocka_unit_test(bad_specs_are_reported_with_their_place),
        cmocka_unit_test(load_refuses_other_kinds),
        cmocka_unit_test(fit_and_load_fail_cleanly_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
