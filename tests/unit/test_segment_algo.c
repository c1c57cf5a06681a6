/* test_segment_algo.c: the segmenter with k-modes, k-prototypes and hierarchical clustering:
 * categorical features reach k-modes as raw levels (the cost equals the cost of the labels on
 * the table's own codes, which one-hot or scaled codes would not give), save/load/assign, the
 * same clusters as the algorithms called directly, k auto, and the checks on the new fields. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rng.h>
#include <crmkit/segment.h>
#include <crmkit/xmeans.h>

#include "crm_test.h"

#define N 400

static const char *const regions[5] = { "North", "South", "East", "West", "Centre" };
static const char *const plans[3] = { "prepaid", "postpaid", "hybrid" };
static const char *const devices[4] = { "android", "ios", "feature", "other" };

/* A table: id, three categorical columns (each row's levels mostly follow its group), two
 * numeric columns. */
static crm_table *make_table(void)
{
    crm_table *t = NULL;
    const char *id[N];
    const char *region[N];
    const char *plan[N];
    const char *device[N];
    char idbuf[N][16];
    double minutes[N];
    double bill[N];
    crm_rng rng;
    crm_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        int g = i % 3;
        snprintf(idbuf[i], sizeof idbuf[i], "C%04d", i);
        id[i] = idbuf[i];
        region[i] = regions[crm_rng_uniform(&rng) < 0.75 ? g : (int)crm_rng_below(&rng, 5)];
        plan[i] = plans[crm_rng_uniform(&rng) < 0.75 ? g : (int)crm_rng_below(&rng, 3)];
        device[i] = devices[crm_rng_uniform(&rng) < 0.75 ? g : (int)crm_rng_below(&rng, 4)];
        minutes[i] = 100.0 * g + 20.0 * crm_rng_normal(&rng);
        bill[i] = 10.0 + 5.0 * g + crm_rng_normal(&rng);
    }
    assert_int_equal(crm_table_new(N, "mem.csv", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "customer_id", CRM_COL_ID, id, NULL), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "region", CRM_COL_CATEGORICAL, region, NULL), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, NULL), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "device", CRM_COL_CATEGORICAL, device, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "minutes", minutes, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "bill", bill, NULL), CRM_OK);
    return t;
}

/* Save to memory and load back. */
static crm_segmenter *round_trip(const crm_segmenter *seg)
{
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_segmenter *back = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_segmenter_write(seg, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem.crmk", &r, &err), CRM_OK);
    assert_int_equal(crm_segmenter_read(r, &back, &err), CRM_OK);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    return back;
}

static void kmodes_works_on_raw_levels(void **state)
{
    crm_table *t = make_table();
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_segmenter *back = NULL;
    const char *const feats[3] = { "region", "plan", "device" };
    int32_t codes[N * 3];
    int32_t levels[3];
    int32_t lab[N];
    crm_error err;
    double cost;
    (void)state;
    p.algo = CRM_SEGMENT_ALGO_KMODES;
    p.k = 3;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_algo(seg), CRM_SEGMENT_ALGO_KMODES);
    assert_null(crm_segmenter_kmeans(seg));
    assert_non_null(crm_segmenter_kmodes(seg));
    assert_int_equal(crm_kmodes_n_cat(crm_segmenter_kmodes(seg)), 3); /* not one-hot */
    assert_int_equal(crm_kmodes_n_num(crm_segmenter_kmodes(seg)), 0);
    /* default features of k-modes: the categorical columns, not the id nor the numbers */
    assert_int_equal(crm_prep_n_features(crm_segmenter_prep(seg)), 3);
    for (int a = 0; a < 3; a++) {
        int32_t j = crm_table_find_col(t, feats[a]);
        const int32_t *c = crm_table_codes(t, j);
        levels[a] = crm_table_n_levels(t, j);
        for (int i = 0; i < N; i++) {
            codes[i * 3 + a] = c[i];
        }
    }
    {
        crm_mixed x = { N, 0, 3, NULL, codes, levels };
        assert_int_equal(crm_kmodes_cost(&x, crm_segmenter_labels(seg), 3, 1.0, &cost, &err),
                         CRM_OK);
    }
    crm_assert_close(crm_segmenter_inertia(seg), cost, 0, 0);
    /* the three planted groups come out: each segment is one group for most rows */
    assert_true(cost < 0.6 * N);
    back = round_trip(seg);
    assert_int_equal(crm_segmenter_algo(back), CRM_SEGMENT_ALGO_KMODES);
    assert_int_equal(crm_segmenter_assign(back, t, lab, NULL, NULL, &err), CRM_OK);
    assert_memory_equal(lab, crm_segmenter_labels(seg), sizeof lab);
    crm_segmenter_free(back);
    crm_segmenter_free(seg);
    /* a numeric feature is refused by k-modes, named */
    p.features = (const char *const[]){ "region", "minutes" };
    p.n_features = 2;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_string_equal(err.field, "minutes");
    crm_table_free(t);
}

static void kprototypes_mixed_and_auto_k(void **state)
{
    crm_table *t = make_table();
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_segmenter *back = NULL;
    int32_t lab[N];
    double dist[N];
    crm_error err;
    int32_t kmin;
    int32_t n_curve;
    (void)state;
    p.algo = CRM_SEGMENT_ALGO_KPROTOTYPES;
    p.method = CRM_SEGMENT_AUTO;
    p.kmin = 2;
    p.kmax = 8;
    p.kmeans.seed = 4;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_kmodes_n_cat(crm_segmenter_kmodes(seg)), 3);
    assert_int_equal(crm_kmodes_n_num(crm_segmenter_kmodes(seg)), 2);
    /* z-scored numeric columns: the automatic gamma is half their mean std, 0.5 */
    crm_assert_close(crm_kmodes_gamma(crm_segmenter_kmodes(seg)), 0.5, 1e-12, 0);
    /* k at the knee of the cost curve, one cost per k */
    {
        const double *curve = crm_segmenter_curve(seg, &kmin, &n_curve);
        int32_t k = 0;
        assert_non_null(curve);
        assert_int_equal(kmin, 2);
        assert_int_equal(n_curve, 7);
        assert_int_equal(crm_elbow_knee(curve, n_curve, kmin, &k, &err), CRM_OK);
        assert_int_equal(crm_segmenter_k(seg), k);
        crm_assert_close(curve[k - kmin], crm_segmenter_inertia(seg), 0, 0);
    }
    back = round_trip(seg);
    assert_int_equal(crm_segmenter_assign(back, t, lab, dist, NULL, &err), CRM_OK);
    assert_memory_equal(lab, crm_segmenter_labels(seg), sizeof lab);
    crm_segmenter_free(back);
    crm_segmenter_free(seg);
    /* X-means is for k-means only */
    p.method = CRM_SEGMENT_XMEANS;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_string_equal(err.field, "method");
    crm_table_free(t);
}

static void hier_matches_direct_tree_and_assigns_to_nearest_centre(void **state)
{
    crm_table *t = make_table();
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_segmenter *back = NULL;
    crm_hclust *h = NULL;
    crm_matrix x;
    int32_t lab[N];
    double dist[N];
    crm_error err;
    (void)state;
    p.algo = CRM_SEGMENT_ALGO_HIER;
    p.hclust.linkage = CRM_LINKAGE_AVERAGE;
    p.k = 3;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    /* the same tree and cut as crm_hclust on the cleaned matrix */
    assert_int_equal(crm_prep_transform(crm_segmenter_prep(seg), t, &x, NULL, &err), CRM_OK);
    assert_int_equal(crm_hclust_fit(&p.hclust, &x, NULL, &h, &err), CRM_OK);
    assert_int_equal(crm_hclust_cut_k(h, &x, 3, &err), CRM_OK);
    assert_memory_equal(crm_hclust_labels(h), crm_hclust_labels(crm_segmenter_hclust(seg)),
                        sizeof lab);
    assert_memory_equal(crm_hclust_merges(h), crm_hclust_merges(crm_segmenter_hclust(seg)),
                        (N - 1) * 4 * sizeof(double));
    /* the segments are the nearest cut centre's, training customers included, so assign of
     * the training table reproduces the training labels */
    back = round_trip(seg);
    assert_int_equal(crm_segmenter_assign(back, t, lab, dist, NULL, &err), CRM_OK);
    assert_memory_equal(lab, crm_segmenter_labels(seg), sizeof lab);
    for (int i = 0; i < N; i++) {
        const double *c = crm_hclust_centers(h);
        for (int o = 0; o < 3; o++) {
            double d = 0;
            for (int j = 0; j < x.n_cols; j++) {
                double v = CRM_ROW(&x, i)[j] - c[o * x.n_cols + j];
                d += v * v;
            }
            assert_true(dist[i] <= d + 1e-12);
        }
    }
    crm_segmenter_free(back);
    crm_segmenter_free(seg);
    /* cut by height: k follows from the tree */
    p.cut_height = crm_hclust_merges(h)[(N - 5) * 4 + 2] + 1e-9;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_k(seg), 4);
    crm_segmenter_free(seg);
    /* a cut height is for hier only */
    p.algo = CRM_SEGMENT_ALGO_KMEANS;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_EINVAL);
    assert_string_equal(err.field, "cut_height");
    crm_hclust_free(h);
    crm_matrix_fini(&x);
    crm_table_free(t);
}

/* A k-means model is written exactly as before the other algorithms: the same four sections,
 * no "segalgo", so older readers load it; a model of another algorithm says which. */
static void kmeans_files_keep_their_sections(void **state)
{
    crm_table *t = make_table();
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    static const char *const tags[5] = { "prep", "kmeans", "profile", "segmeta", "driftref" };
    (void)state;
    p.k = 3;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_segmenter_write(seg, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem.crmk", &r, &err), CRM_OK);
    assert_int_equal(crm_model_reader_n_sections(r), 5);
    for (int i = 0; i < 5; i++) {
        crm_section sec;
        assert_int_equal(crm_model_section_at(r, i, &sec, &err), CRM_OK);
        assert_string_equal(sec.tag, tags[i]);
    }
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_segmenter_free(seg);
    p.algo = CRM_SEGMENT_ALGO_HIER;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_segmenter_write(seg, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem.crmk", &r, &err), CRM_OK);
    assert_true(crm_model_reader_has(r, "segalgo"));
    assert_true(crm_model_reader_has(r, "hclust"));
    assert_false(crm_model_reader_has(r, "kmeans"));
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_segmenter_free(seg);
    crm_table_free(t);
}

static void defaults_keep_kmeans(void **state)
{
    crm_segment_params p = crm_segment_params_default();
    crm_error err;
    (void)state;
    assert_int_equal(p.algo, CRM_SEGMENT_ALGO_KMEANS);
    assert_int_equal(p.hclust.linkage, CRM_LINKAGE_WARD);
    assert_int_equal(p.kmodes.init, CRM_KMODES_INIT_CAO);
    assert_true(p.kmodes.gamma < 0);
    assert_true(p.cut_height == 0.0);
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_KPROTOTYPES), "kprototypes");
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_BIRCH), "birch");
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_EM), "em");
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_DBSCAN), "dbscan");
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_OPTIGRID), "optigrid");
    assert_string_equal(crm_segment_algo_name(CRM_SEGMENT_ALGO_DENCLUE), "denclue");
    assert_null(crm_segment_algo_name((crm_segment_algo)9));
    p.algo = (crm_segment_algo)9;
    assert_int_equal(crm_segment_params_check(&p, &err), CRM_EINVAL);
    assert_string_equal(err.field, "algo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmodes_works_on_raw_levels),
        cmocka_unit_test(kprototypes_mixed_and_auto_k),
        cmocka_unit_test(hier_matches_direct_tree_and_assigns_to_nearest_centre),
        cmocka_unit_test(kmeans_files_keep_their_sections),
        cmocka_unit_test(defaults_keep_kmeans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
