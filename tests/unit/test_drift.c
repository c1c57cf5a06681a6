/* test_drift.c: the population stability index against values worked out by hand, the
 * quantile bins of the drift reference, its model section (round trip, damage refused), and
 * segmentation model files with and without the optional "driftref" section. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/drift.h>
#include <crmkit/model.h>
#include <crmkit/segment.h>

#include "crm_test.h"

static void test_psi_by_hand(void **state)
{
    /* (0.2 - 0.5) ln(0.2 / 0.5) + (0.8 - 0.5) ln(0.8 / 0.5)
     *   = 0.3 * 0.916290731874155 + 0.3 * 0.470003629245736 = 0.415888308335967 */
    double p[] = { 0.5, 0.5 };
    double q[] = { 0.2, 0.8 };
    /* an empty bin on one side is floored at 1e-4:
     * (0.25 - 0.5) ln(0.5) + 0 + (0.25 - 0.0001) ln(0.25 / 0.0001)
     *   = 0.173286795139986 + 0.2499 * 7.824046010856292 = 2.128515893252974 */
    double p3[] = { 0.5, 0.5, 0.0 };
    double q3[] = { 0.25, 0.5, 0.25 };
    double z[] = { 0.0, 1.0 };
    (void)state;
    crm_assert_close(crm_drift_psi(p, q, 2), 0.415888308335967, 1e-12, 0);
    crm_assert_close(crm_drift_psi(p3, q3, 3), 2.128515893252974, 1e-12, 0);
    crm_assert_close(crm_drift_psi(p, p, 2), 0.0, 0, 0);
    crm_assert_close(crm_drift_psi(z, z, 2), 0.0, 0, 0); /* empty on both sides adds 0 */
}

static crm_table *table_x(const double *x, int n, const char *const *cat)
{
    crm_table *t = NULL;
    assert_int_equal(crm_table_new(n, "t.csv", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, NULL), CRM_OK);
    if (cat != NULL) {
        assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, cat, NULL), CRM_OK);
    }
    return t;
}

static void test_reference_by_hand(void **state)
{
    /* Training x = 1..10 with 2 bins: the edge is the median 5.5 (numpy linear), shares
     * 0.5 / 0.5 / 0 missing. New x = 1, 2, 6, 7, 8, 9, 10, 10, 10, 10: 0.2 / 0.8 / 0, so the
     * PSI is the first hand case, 0.415888308335967. Plan: training a, a, b, b ... (half each);
     * new a x5, b x2, c (unseen) x2, missing x1: bins a 0.5, b 0.2, other 0.3 against
     * 0.5, 0.5, 0: (0.2-0.5) ln(0.4) + (0.3-0.0001) ln(0.3/0.0001)
     *   = 0.274887219562247 + 0.2999 * 8.006367567650246 = 2.675996853100555 */
    double x[10];
    double xn[] = { 1, 2, 6, 7, 8, 9, 10, 10, 10, 10 };
    const char *plan[] = { "a", "b", "a", "b", "a", "b", "a", "b", "a", "b" };
    const char *plan_new[] = { "a", "a", "a", "a", "a", "b", "b", "c", "c", NULL };
    const char *feats[] = { "x", "plan" };
    crm_drift_ref *d = NULL;
    crm_table *t;
    crm_table *tn;
    const double *edges;
    int32_t n_edges = 0;
    double psi[2];
    double q[4];
    (void)state;
    for (int i = 0; i < 10; i++) {
        x[i] = i + 1;
    }
    t = table_x(x, 10, plan);
    tn = table_x(xn, 10, plan_new);
    assert_int_equal(crm_drift_ref_fit(t, feats, 2, 2, &d, NULL), CRM_OK);
    assert_int_equal(crm_drift_ref_n_features(d), 2);
    assert_int_equal(crm_drift_ref_n_bins(d, 0), 3);
    edges = crm_drift_ref_edges(d, 0, &n_edges);
    assert_int_equal(n_edges, 1);
    crm_assert_close(edges[0], 5.5, 0, 1e-15);
    crm_assert_close(crm_drift_ref_shares(d, 0)[0], 0.5, 0, 0);
    crm_assert_close(crm_drift_ref_shares(d, 0)[2], 0.0, 0, 0);
    assert_null(crm_drift_ref_edges(d, 1, NULL));
    assert_int_equal(crm_drift_ref_n_bins(d, 1), 3);
    assert_int_equal(crm_drift_ref_bin(d, 1, tn, q, NULL), CRM_OK);
    crm_assert_close(q[0], 0.5, 0, 1e-15);
    crm_assert_close(q[1], 0.2, 0, 1e-15);
    crm_assert_close(q[2], 0.3, 0, 1e-15);
    assert_int_equal(crm_drift_ref_psi(d, tn, psi, NULL), CRM_OK);
    crm_assert_close(psi[0], 0.415888308335967, 1e-12, 0);
    crm_assert_close(psi[1], 2.675996853100555, 1e-12, 0);
    assert_int_equal(crm_drift_ref_psi(d, t, psi, NULL), CRM_OK);
    crm_assert_close(psi[0], 0.0, 0, 0);
    crm_assert_close(psi[1], 0.0, 0, 0);
    crm_drift_ref_free(d);
    crm_table_free(t);
    crm_table_free(tn);
}

static void test_ties_and_missing(void **state)
{
    /* 0,0,0,0,0,0,0,0,1,NaN with 10 bins: the deciles of the 9 present values are 0 except
     * the last (position 0.9 * 8 = 7.2: 0.2 of the way from 0 to 1): edges 0 and 0.2 (the
     * first eight merged). */
    double x[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, NAN };
    const char *feats[] = { "x" };
    crm_drift_ref *d = NULL;
    crm_table *t = table_x(x, 10, NULL);
    int32_t n_edges = 0;
    const double *e;
    crm_error err;
    (void)state;
    assert_int_equal(crm_drift_ref_fit(t, feats, 1, 10, &d, NULL), CRM_OK);
    e = crm_drift_ref_edges(d, 0, &n_edges);
    assert_int_equal(n_edges, 2);
    crm_assert_close(e[0], 0.0, 0, 0);
    crm_assert_close(e[1], 0.2, 1e-12, 0);
    assert_int_equal(crm_drift_ref_n_bins(d, 0), 4);
    crm_assert_close(crm_drift_ref_shares(d, 0)[0], 0.8, 0, 1e-15);
    crm_assert_close(crm_drift_ref_shares(d, 0)[1], 0.0, 0, 0);
    crm_assert_close(crm_drift_ref_shares(d, 0)[2], 0.1, 0, 1e-15);
    crm_assert_close(crm_drift_ref_shares(d, 0)[3], 0.1, 0, 1e-15);
    crm_drift_ref_free(d);
    d = NULL;
    assert_int_equal(crm_drift_ref_fit(t, feats, 1, 1, &d, &err), CRM_EINVAL);
    feats[0] = "nope";
    assert_int_equal(crm_drift_ref_fit(t, feats, 1, 10, &d, &err), CRM_ENOTFOUND);
    assert_null(d);
    crm_table_free(t);
}

/* Copy every section of the model at src but `skip` into a new file at dst. */
static void copy_without(const char *src, const char *dst, const char *skip)
{
    crm_model_reader *r = NULL;
    crm_model_writer *w = NULL;
    assert_int_equal(crm_model_reader_open(src, &r, NULL), CRM_OK);
    assert_int_equal(crm_model_writer_new(crm_model_reader_kind(r), &w, NULL), CRM_OK);
    for (int32_t i = 0; i < crm_model_reader_n_sections(r); i++) {
        crm_section s;
        assert_int_equal(crm_model_section_at(r, i, &s, NULL), CRM_OK);
        if (strcmp(s.tag, skip) == 0) {
            continue;
        }
        assert_int_equal(crm_model_begin(w, s.tag, NULL), CRM_OK);
        assert_int_equal(crm_model_put_bytes(w, s.data, s.len, NULL), CRM_OK);
    }
    assert_int_equal(crm_model_writer_save(w, dst, NULL), CRM_OK);
    crm_model_writer_free(w);
    crm_model_reader_free(r);
}

static void test_segmentation_files(void **state)
{
    double x[40];
    double y[40];
    const char *feats[] = { "x", "y" };
    crm_segment_params p = crm_segment_params_default();
    crm_segmenter *seg = NULL;
    crm_segmenter *back = NULL;
    crm_table *t = NULL;
    char *dir = crm_test_tmpdir();
    char path[512];
    char old[512];
    (void)state;
    for (int i = 0; i < 40; i++) {
        x[i] = (i % 2) * 10 + i * 0.01;
        y[i] = (double)(i % 7);
    }
    assert_int_equal(crm_table_new(40, "s.csv", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", x, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "y", y, NULL), CRM_OK);
    p.features = feats;
    p.n_features = 2;
    p.k = 2;
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, NULL), CRM_OK);
    assert_non_null(crm_segmenter_drift_ref(seg));
    assert_int_equal(crm_drift_ref_n_bins(crm_segmenter_drift_ref(seg), 0), 11); /* 9 deciles + 2 */
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    assert_int_equal(crm_segmenter_save(seg, path, NULL), CRM_OK);
    assert_int_equal(crm_segmenter_load(path, &back, NULL), CRM_OK);
    {
        const crm_drift_ref *a = crm_segmenter_drift_ref(seg);
        const crm_drift_ref *b = crm_segmenter_drift_ref(back);
        assert_non_null(b);
        assert_int_equal(crm_drift_ref_n_rows(b), 40);
        for (int32_t f = 0; f < 2; f++) {
            int32_t na = 0;
            int32_t nb = 0;
            const double *ea = crm_drift_ref_edges(a, f, &na);
            const double *eb = crm_drift_ref_edges(b, f, &nb);
            assert_string_equal(crm_drift_ref_feature(b, f), feats[f]);
            assert_int_equal(na, nb);
            assert_memory_equal(ea, eb, (size_t)na * sizeof *ea);
            assert_memory_equal(crm_drift_ref_shares(a, f), crm_drift_ref_shares(b, f),
                                (size_t)crm_drift_ref_n_bins(a, f) * sizeof(double));
        }
    }
    crm_segmenter_free(back);
    back = NULL;
    /* A file written before the section existed still loads, without a reference. */
    snprintf(old, sizeof old, "%s/old.crmk", dir);
    copy_without(path, old, "driftref");
    assert_int_equal(crm_segmenter_load(old, &back, NULL), CRM_OK);
    assert_null(crm_segmenter_drift_ref(back));
    assert_int_equal(crm_segmenter_k(back), 2);
    crm_segmenter_free(back);
    crm_segmenter_free(seg);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

static void test_damaged_section(void **state)
{
    /* A section whose shares do not fit its bin count is refused with a message. */
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_drift_ref *d = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    double edges[] = { 1.0, 2.0 };
    double shares[] = { 0.5, 0.5 };
    (void)state;
    assert_int_equal(crm_model_writer_new("segmentation", &w, NULL), CRM_OK);
    assert_int_equal(crm_model_begin(w, "driftref", NULL), CRM_OK);
    crm_model_put_u32(w, 1, NULL);
    crm_model_put_i64(w, 10, NULL);
    crm_model_put_i32(w, 1, NULL);
    crm_model_put_str(w, "x", NULL);
    crm_model_put_i32(w, 0, NULL);
    crm_model_put_i32(w, 2, NULL);
    crm_model_put_f64s(w, edges, 2, NULL);
    crm_model_put_i32(w, 0, NULL);
    crm_model_put_i32(w, 2, NULL); /* should be 4 */
    crm_model_put_f64s(w, shares, 2, NULL);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, NULL), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "bad.crmk", &r, NULL), CRM_OK);
    assert_int_equal(crm_drift_ref_load(r, &d, &err), CRM_EFORMAT);
    assert_null(d);
    assert_non_null(strstr(err.msg, "driftref"));
    crm_model_reader_free(r);
    crm_model_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psi_by_hand),      cmocka_unit_test(test_reference_by_hand),
        cmocka_unit_test(test_ties_and_missing), cmocka_unit_test(test_segmentation_files),
        cmocka_unit_test(test_damaged_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
