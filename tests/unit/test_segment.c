/* test_segment.c: the segmentation pipeline end to end on tables built in memory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/gen.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>
#include <crmkit/segment.h>

#include "crm_test.h"

#define N_BLOB   3
#define PER_BLOB 100

/* Three well separated blobs in (revenue, minutes); blob b has revenue around 100 * (b + 1)
 * so tiers by revenue are known. Also an id, a churn flag and a plan column. */
static crm_table *blobs(int32_t *truth)
{
    const int64_t n = N_BLOB * PER_BLOB;
    double revenue[N_BLOB * PER_BLOB];
    double minutes[N_BLOB * PER_BLOB];
    double churn[N_BLOB * PER_BLOB];
    char idbuf[N_BLOB * PER_BLOB][16];
    const char *ids[N_BLOB * PER_BLOB];
    crm_rng rng;
    crm_table *t = NULL;
    crm_error err;
    crm_rng_seed(&rng, 99);
    for (int64_t i = 0; i < n; i++) {
        int b = (int)(i % N_BLOB);
        revenue[i] = 100.0 * (b + 1) + 5.0 * crm_rng_normal(&rng);
        minutes[i] = (b == 1 ? 500.0 : 50.0 * b) + 5.0 * crm_rng_normal(&rng);
        churn[i] = (double)(i % 7 == 0);
        snprintf(idbuf[i], sizeof idbuf[i], "c%04d", (int)i);
        ids[i] = idbuf[i];
        if (truth != NULL) {
            truth[i] = b;
        }
    }
    assert_int_equal(crm_table_new(n, "blobs.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "customer_id", CRM_COL_ID, ids, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "revenue", revenue, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "minutes", minutes, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "churn", churn, &err), CRM_OK);
    return t;
}

/* Labels a and b describe the same partition (equal up to renaming). */
static int same_partition(const int32_t *a, const int32_t *b, int64_t n, int32_t k)
{
    int32_t map[64];
    for (int32_t i = 0; i < k; i++) {
        map[i] = -1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (map[a[i]] < 0) {
            map[a[i]] = b[i];
        } else if (map[a[i]] != b[i]) {
            return 0;
        }
    }
    return 1;
}

static void segment_default_features_skip_ids_and_churn(void **state)
{
    crm_table *t = blobs(NULL);
    const char **f = NULL;
    int32_t n = 0;
    crm_error err;
    (void)state;
    assert_int_equal(crm_segment_default_features(t, &f, &n, &err), CRM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(f[0], "revenue");
    assert_string_equal(f[1], "minutes");
    crm_free(f);
    crm_table_free(t);
}

static void segment_fixed_k_finds_the_blobs_and_names_tiers(void **state)
{
    int32_t truth[N_BLOB * PER_BLOB];
    crm_table *t = blobs(truth);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    const crm_profile *pr;
    crm_error err;
    (void)state;
    p.k = 3;
    p.kmeans.n_init = 3;
    p.kmeans.seed = 7;
    p.tier_by = "revenue";
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_k(seg), 3);
    assert_int_equal(crm_segmenter_n_rows(seg), 300);
    assert_true(same_partition(crm_segmenter_labels(seg), truth, 300, 3));
    assert_true(crm_segmenter_inertia(seg) > 0.0);
    assert_true(crm_segmenter_n_iter(seg) >= 1);
    assert_true(crm_segmenter_seconds(seg, "total") >= crm_segmenter_seconds(seg, "cluster"));
    assert_true(isnan(crm_segmenter_bic(seg)));
    pr = crm_segmenter_profile(seg);
    assert_int_equal(crm_profile_size(pr, 0) + crm_profile_size(pr, 1) + crm_profile_size(pr, 2),
                     300);
    /* Platinum is the blob around revenue 300 (truth label 2). */
    {
        int32_t top = crm_profile_order(pr, 0);
        const int32_t *l = crm_segmenter_labels(seg);
        assert_string_equal(crm_profile_name(pr, top), "Platinum");
        assert_int_equal(truth[l[2] == top ? 2 : 0], 2);
        assert_true(l[2] == top);
        crm_assert_close(crm_profile_mean(pr, top, 0), 300.0, 0.02, 0);
    }
    crm_segmenter_free(seg);
    crm_table_free(t);
}

static void segment_assign_reproduces_training_labels_after_save_and_load(void **state)
{
    crm_table *t = blobs(NULL);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_segmenter *back = NULL;
    char *dir = crm_test_tmpdir();
    char path[512];
    int32_t labels[N_BLOB * PER_BLOB];
    double dist[N_BLOB * PER_BLOB];
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    p.k = 4;
    p.prep.cap_low_pct = 1;
    p.prep.cap_high_pct = 99;
    p.prep.scale = CRM_SCALE_MINMAX;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_save(seg, path, &err), CRM_OK);
    assert_int_equal(crm_segmenter_load(path, &back, &err), CRM_OK);
    assert_null(crm_segmenter_labels(back));
    assert_int_equal(crm_segmenter_k(back), 4);
    assert_int_equal(crm_segmenter_n_rows(back), 300);
    crm_assert_close(crm_segmenter_inertia(back), crm_segmenter_inertia(seg), 0, 0);
    assert_string_equal(crm_segmenter_source(back), "blobs.csv");
    assert_int_equal(crm_segmenter_assign(back, t, labels, dist, NULL, &err), CRM_OK);
    assert_memory_equal(labels, crm_segmenter_labels(seg), sizeof labels);
    {
        double sse = 0;
        for (int i = 0; i < 300; i++) {
            sse += dist[i];
        }
        crm_assert_close(sse, crm_segmenter_inertia(seg), 1e-9, 0);
    }
    for (int32_t s = 0; s < 4; s++) {
        assert_string_equal(crm_profile_name(crm_segmenter_profile(back), s),
                            crm_profile_name(crm_segmenter_profile(seg), s));
    }
    crm_segmenter_free(back);
    crm_segmenter_free(seg);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

static void segment_chooses_k_by_xmeans_and_elbow(void **state)
{
    crm_table *t = blobs(NULL);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    const double *curve;
    int32_t kmin = 0;
    int32_t n = 0;
    crm_error err;
    (void)state;
    /* Spherical blobs (same spread in both columns) as X-means' Gaussian model assumes; z-score
     * scaling would stretch them by the columns' different ranges. */
    p.prep.scale = CRM_SCALE_NONE;
    p.method = CRM_SEGMENT_XMEANS;
    p.kmin = 1;
    p.kmax = 10;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_k(seg), 3);
    assert_true(isfinite(crm_segmenter_bic(seg)));
    crm_segmenter_free(seg);
    p.method = CRM_SEGMENT_ELBOW;
    p.kmin = 1;
    p.kmax = 8;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_k(seg), 3);
    curve = crm_segmenter_curve(seg, &kmin, &n);
    assert_non_null(curve);
    assert_int_equal(kmin, 1);
    assert_int_equal(n, 8);
    assert_true(curve[0] > curve[2]);
    crm_segmenter_free(seg);
    crm_table_free(t);
}

/* n_blob spherical blobs of `per` rows in 3 columns, centres on the corners of a cube of
 * side 20 (sd 1), then n_far rows far from all of them (at 200, 200, 200 +- 1). */
static crm_table *cube_blobs(int n_blob, int per, int n_far)
{
    int64_t n = (int64_t)n_blob * per + n_far;
    double *col[3];
    const char *names[3] = { "a", "b", "c" };
    crm_rng rng;
    crm_table *t = NULL;
    crm_error err;
    crm_rng_seed(&rng, 5);
    for (int d = 0; d < 3; d++) {
        col[d] = malloc((size_t)n * sizeof(double));
        assert_non_null(col[d]);
    }
    for (int64_t i = 0; i < n; i++) {
        int b = (int)(i % n_blob);
        for (int d = 0; d < 3; d++) {
            double centre = i >= (int64_t)n_blob * per ? 200.0 : 20.0 * ((b >> d) & 1);
            col[d][i] = centre + crm_rng_normal(&rng);
        }
    }
    assert_int_equal(crm_table_new(n, "cube.csv", &t, &err), CRM_OK);
    for (int d = 0; d < 3; d++) {
        assert_int_equal(crm_table_add_numeric(t, names[d], col[d], &err), CRM_OK);
        free(col[d]);
    }
    return t;
}

static void segment_sweep_finds_the_true_k_of_separated_blobs(void **state)
{
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    const crm_segment_kscore *tab;
    int32_t n = 0;
    int32_t chosen = -1;
    crm_error err;
    (void)state;
    p.method = CRM_SEGMENT_SWEEP;
    p.kmin = 2;
    p.kmax = 10;
    for (int n_blob = 3; n_blob <= 8; n_blob++) {
        crm_table *t = cube_blobs(n_blob, 150, 0);
        assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
        assert_int_equal(crm_segmenter_k(seg), n_blob);
        assert_null(crm_segmenter_outliers(seg, NULL));
        tab = crm_segmenter_k_table(seg, &n, &chosen);
        assert_non_null(tab);
        assert_int_equal(n, 9);
        assert_int_equal(tab[chosen].k, n_blob);
        for (int32_t r = 0; r < n; r++) {
            assert_int_equal(tab[r].k, 2 + r);
            assert_true(isfinite(tab[r].sse) && isfinite(tab[r].bic) && isfinite(tab[r].ch) &&
                        isfinite(tab[r].db));
            assert_true(tab[r].silhouette <= tab[chosen].silhouette);
            if (r > 0) {
                assert_true(tab[r].sse < tab[r - 1].sse);
            }
        }
        crm_segmenter_free(seg);
        crm_table_free(t);
    }
}

/* 4 blobs of 250 rows and 3 far rows (0.3%): at k = 5 the far rows are a cluster of their
 * own, under the 1% share, so they are outliers; no segment is under 1%. With min_share 0
 * X-means is the paper's and may keep such a cluster. */
static void segment_min_share_turns_tiny_clusters_into_outliers(void **state)
{
    crm_table *t = cube_blobs(4, 250, 3);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    const crm_segment_kscore *tab;
    const uint8_t *out;
    const crm_profile *pr;
    int64_t n_out = 0;
    int32_t n = 0;
    int32_t chosen = -1;
    crm_error err;
    (void)state;
    p.prep.scale = CRM_SCALE_NONE;
    p.prep.transform = CRM_TRANSFORM_NONE;
    p.method = CRM_SEGMENT_SWEEP;
    p.kmin = 2;
    p.kmax = 8;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_k(seg), 4);
    tab = crm_segmenter_k_table(seg, &n, &chosen);
    assert_int_equal(tab[3].k, 5);
    assert_int_equal(tab[3].segments, 4); /* the far rows' cluster was removed */
    assert_int_equal(tab[3].outliers, 3);
    for (int32_t r = 0; r < n; r++) {
        assert_true(tab[r].smallest_share >= 0.01);
    }
    out = crm_segmenter_outliers(seg, &n_out);
    if (out != NULL) { /* only the far rows can be outliers */
        for (int64_t i = 0; i < 1000; i++) {
            assert_int_equal(out[i], 0);
        }
        assert_true(n_out <= 3);
    }
    pr = crm_segmenter_profile(seg);
    for (int32_t s = 0; s < 4; s++) {
        assert_true(crm_profile_size(pr, s) >= 10);
    }
    crm_segmenter_free(seg);
    /* X-means with the share: no segment below 1% either, and only far rows can be
     * outliers; the paper's X-means (min_share 0) keeps them as a cluster of their own. */
    p.method = CRM_SEGMENT_XMEANS;
    p.kmin = 2;
    p.kmax = 10;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    pr = crm_segmenter_profile(seg);
    for (int32_t s = 0; s < crm_segmenter_k(seg); s++) {
        assert_true(crm_profile_size(pr, s) >= 10);
    }
    out = crm_segmenter_outliers(seg, &n_out);
    for (int64_t i = 0; i < 1000 && out != NULL; i++) {
        assert_int_equal(out[i], 0); /* if any, only the far rows */
    }
    crm_segmenter_free(seg);
    p.min_share = 0.0;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_null(crm_segmenter_outliers(seg, NULL));
    pr = crm_segmenter_profile(seg);
    {
        int tiny = 0;
        for (int32_t s = 0; s < crm_segmenter_k(seg); s++) {
            tiny += crm_profile_size(pr, s) == 3;
        }
        assert_int_equal(tiny, 1);
    }
    crm_segmenter_free(seg);
    crm_table_free(t);
}

static void segment_starts_from_given_centres_in_original_units(void **state)
{
    crm_table *t = blobs(NULL);
    crm_table *c = NULL;
    const double rev[3] = { 300, 100, 200 };
    const double min[3] = { 100, 0, 500 };
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm_table_new(3, "centres.csv", &c, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(c, "minutes", min, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(c, "revenue", rev, &err), CRM_OK);
    p.k = 3;
    p.init_centers = c;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    /* Row i belongs to blob i % 3; the centres were given in the order blob 2, 0, 1. */
    assert_int_equal(crm_segmenter_labels(seg)[0], 1);
    assert_int_equal(crm_segmenter_labels(seg)[1], 2);
    assert_int_equal(crm_segmenter_labels(seg)[2], 0);
    crm_segmenter_free(seg);
    p.k = 2;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "3 initial centres given for k = 2"));
    crm_table_free(c);
    crm_table_free(t);
}

static void segment_refuses_bad_requests_with_clear_messages(void **state)
{
    crm_table *t = NULL;
    const double a[4] = { 1, 1, 2, NAN };
    const double b[4] = { 5, 5, 6, 7 };
    const char *f[1] = { "nosuch" };
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm_table_new(4, "small.csv", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "a", a, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "b", b, &err), CRM_OK);
    p.k = 0;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "k must be at least 1"));
    p.k = 4; /* rows: (1,5) (1,5) (2,6) (mean,7): three distinct */
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "distinct"));
    assert_string_equal(err.source, "small.csv");
    p.k = 5;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EDATA);
    p.k = 2;
    p.features = f;
    p.n_features = 1;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_ENOTFOUND);
    assert_string_equal(err.field, "nosuch");
    p.features = NULL;
    p.prep.impute = CRM_IMPUTE_NONE;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EDATA);
    assert_string_equal(err.field, "a");
    assert_non_null(strstr(err.msg, "row 4"));
    p.prep.impute = CRM_IMPUTE_MEAN;
    p.method = CRM_SEGMENT_ELBOW;
    p.kmin = 2;
    p.kmax = 3;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_null(seg);
    crm_table_free(t);
}

static void segment_load_refuses_other_kinds_and_damage(void **state)
{
    crm_table *t = blobs(NULL);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    p.k = 3;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    /* The same sections under another kind. */
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_segmenter_write(seg, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "c.crmk", &r, &err), CRM_OK);
    crm_segmenter_free(seg);
    assert_int_equal(crm_segmenter_read(r, &seg, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "\"classifier\" model, not a segmentation model"));
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    /* A segmentation model missing its profile. */
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "segmeta", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "m.crmk", &r, &err), CRM_OK);
    assert_int_equal(crm_segmenter_read(r, &seg, &err), CRM_EFORMAT);
    assert_null(seg);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    assert_int_equal(crm_segmenter_load("/nonexistent/m.crmk", &seg, &err), CRM_ENOTFOUND);
    crm_table_free(t);
}

static void segment_fit_and_load_fail_cleanly_out_of_memory(void **state)
{
    crm_table *t = blobs(NULL);
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_model_writer *w = NULL;
    const unsigned char *bytes;
    size_t len;
    unsigned char *copy;
    crm_error err;
    int done = 0;
    (void)state;
    p.k = 3;
    p.tier_by = "revenue";
    p.kmeans.n_threads = 1;
    for (long n = 0; n < 2000 && !done; n++) {
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_segmenter_fit(t, &p, NULL, &seg, &err);
        done = (rc == CRM_OK);
        if (!done) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        crm_segmenter_free(seg);
        seg = NULL;
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(done);
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_segmenter_write(seg, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    copy = malloc(len);
    memcpy(copy, bytes, len);
    crm_model_writer_free(w);
    crm_segmenter_free(seg);
    done = 0;
    for (long n = 0; n < 2000 && !done; n++) {
        crm_model_reader *r = NULL;
        crm_segmenter *back = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_model_reader_open_mem(copy, len, "mem", &r, &err);
        if (rc == CRM_OK) {
            rc = crm_segmenter_read(r, &back, &err);
            done = (rc == CRM_OK);
            crm_segmenter_free(back);
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

/* The whole pipeline against scikit-learn: SimpleImputer(mean), winsorising at numpy
 * percentiles 2 and 98, StandardScaler, Lloyd from the same centres given in original units
 * (scripts/golden/segment_golden.py). */
static void segment_pipeline_matches_scikit_learn_from_given_centres(void **state)
{
    char *data_path = crm_test_path("golden/segment/data.csv");
    char *centres_path = crm_test_path("golden/segment/centres.csv");
    char *expected_path = crm_test_path("golden/segment/expected.txt");
    char *expected = crm_test_read_file(expected_path, NULL);
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_table *c = NULL;
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_error err;
    char *cur;
    double inertia;
    long n_iter;
    (void)state;
    assert_non_null(expected);
    assert_int_equal(crm_table_read_csv(data_path, &opt, NULL, &t, &err), CRM_OK);
    assert_int_equal(crm_table_read_csv(centres_path, &opt, NULL, &c, &err), CRM_OK);
    p.k = 4;
    p.init_centers = c;
    p.prep.cap_low_pct = 2;
    p.prep.cap_high_pct = 98;
    p.kmeans.tol = 0;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    inertia = strtod(expected, &cur);
    n_iter = strtol(cur, &cur, 10);
    crm_assert_close(crm_segmenter_inertia(seg), inertia, 1e-9, 0);
    assert_int_equal(crm_segmenter_n_iter(seg), n_iter);
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        assert_int_equal(crm_segmenter_labels(seg)[i], strtol(cur, &cur, 10));
    }
    crm_segmenter_free(seg);
    crm_table_free(c);
    crm_table_free(t);
    free(expected);
    free(expected_path);
    free(centres_path);
    free(data_path);
}

/* With a sample and float64 storage the rows past the first half are cleaned from the table
 * on each pass over every row instead of stored (keep_matrix 0): the same model bytes, labels
 * and inertia as with the whole matrix stored, with 1 and 2 threads, k given or chosen, with
 * and without stored rows (6,000 rows keep none: fewer than two blocks of 4,096). */
static void segment_sampled_fit_without_the_whole_matrix_is_bit_identical(void **state)
{
    static const int64_t rows[] = { 10000, 6000 };
    char *dir = crm_test_tmpdir();
    (void)state;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        crm_gen_customers_params gp = crm_gen_customers_params_default();
        crm_table *t = NULL;
        crm_error err;
        gp.n_rows = rows[r];
        gp.seed = 5;
        gp.extra_features = 6;
        assert_int_equal(crm_gen_customers(&gp, &t, &err), CRM_OK);
        for (int variant = 0; variant < 4; variant++) {
            char *bytes[2];
            size_t len[2];
            crm_segmenter *seg[2];
            for (int keep = 0; keep < 2; keep++) {
                crm_segment_params p = crm_segment_params_default();
                char path[512];
                snprintf(path, sizeof path, "%s/m%d.crmk", dir, keep);
                p.sample = rows[r] / 6;
                p.keep_matrix = keep;
                p.kmeans.n_threads = 1 + variant % 2;
                p.k = 5;
                p.method = variant < 2 ? CRM_SEGMENT_FIXED : CRM_SEGMENT_SWEEP;
                p.kmin = 3;
                p.kmax = 5;
                assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg[keep], &err), CRM_OK);
                assert_int_equal(crm_segmenter_sample_rows(seg[keep]), rows[r] / 6);
                assert_int_equal(crm_segmenter_save(seg[keep], path, &err), CRM_OK);
                bytes[keep] = crm_test_read_file(path, &len[keep]);
                assert_non_null(bytes[keep]);
            }
            assert_int_equal(len[0], len[1]);
            assert_memory_equal(bytes[0], bytes[1], len[0]);
            assert_memory_equal(crm_segmenter_labels(seg[0]), crm_segmenter_labels(seg[1]),
                                (size_t)rows[r] * sizeof(int32_t));
            assert_true(crm_segmenter_inertia(seg[0]) == crm_segmenter_inertia(seg[1]));
            for (int keep = 0; keep < 2; keep++) {
                free(bytes[keep]);
                crm_segmenter_free(seg[keep]);
            }
        }
        crm_table_free(t);
    }
    crm_test_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segment_default_features_skip_ids_and_churn),
        cmocka_unit_test(segment_fixed_k_finds_the_blobs_and_names_tiers),
        cmocka_unit_test(segment_assign_reproduces_training_labels_after_save_and_load),
        cmocka_unit_test(segment_chooses_k_by_xmeans_and_elbow),
        cmocka_unit_test(segment_sweep_finds_the_true_k_of_separated_blobs),
        cmocka_unit_test(segment_min_share_turns_tiny_clusters_into_outliers),
        cmocka_unit_test(segment_starts_from_given_centres_in_original_units),
        cmocka_unit_test(segment_refuses_bad_requests_with_clear_messages),
        cmocka_unit_test(segment_load_refuses_other_kinds_and_damage),
        cmocka_unit_test(segment_fit_and_load_fail_cleanly_out_of_memory),
        cmocka_unit_test(segment_pipeline_matches_scikit_learn_from_given_centres),
        cmocka_unit_test(segment_sampled_fit_without_the_whole_matrix_is_bit_identical),
    };
    return cmocka_run_group_tests_name("segment", tests, NULL, NULL);
}
