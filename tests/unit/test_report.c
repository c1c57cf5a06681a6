/* test_report.c: the report's number formatting and XML escaping, the chart geometry that can
 * be checked by hand (pie angles, tree layout), the PCA against closed-form eigenvectors, the
 * C4.5 / logistic-regression importances, and a whole report built from a small segmentation,
 * classifier and rules set (self-contained: no reference outside the page). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/classify.h>
#include <crmkit/report.h>
#include <crmkit/segment.h>

#include "crm_test.h"
#include "report/report_internal.h"

static void test_format(void **state)
{
    char out[64];
    (void)state;
    crm__rpt_fmt_int(out, sizeof out, 1234567);
    assert_string_equal(out, "1,234,567");
    crm__rpt_fmt_int(out, sizeof out, -999);
    assert_string_equal(out, "-999");
    crm__rpt_fmt_int(out, sizeof out, -1000);
    assert_string_equal(out, "-1,000");
    crm__rpt_fmt_int(out, sizeof out, 0);
    assert_string_equal(out, "0");
    crm__rpt_fmt_fixed(out, sizeof out, -1234.46, 1);
    assert_string_equal(out, "-1,234.5");
    crm__rpt_fmt_fixed(out, sizeof out, -0.04, 1);
    assert_string_equal(out, "0.0");
    crm__rpt_fmt_fixed(out, sizeof out, NAN, 1);
    assert_string_equal(out, "n/a");
    crm__rpt_fmt_pct(out, sizeof out, 0.12345, 1);
    assert_string_equal(out, "12.3%");
    crm__rpt_fmt_pct(out, sizeof out, 12.5, 0);
    assert_string_equal(out, "1,250%");
    crm__rpt_fmt_num(out, sizeof out, 123456.7);
    assert_string_equal(out, "123,457");
    crm__rpt_fmt_num(out, sizeof out, 0.012345);
    assert_string_equal(out, "0.0123");
    crm__rpt_fmt_num(out, sizeof out, 3.14159);
    assert_string_equal(out, "3.14");
    crm__rpt_fmt_num(out, sizeof out, 456.78);
    assert_string_equal(out, "456.8");
}

static void test_escape(void **state)
{
    rpt_buf b = { 0 };
    (void)state;
    crm__rpt_esc(&b, "a<b & \"c\" 'd'>\x01"
                     "e");
    assert_string_equal(b.p, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;e");
    crm__sbuf_fini(&b);
    /* a long printf goes through the second path */
    crm__sbuf_printf(&b, "%0300d|", 7);
    assert_int_equal(b.len, 301);
    assert_int_equal(b.p[299], '7');
    crm__sbuf_fini(&b);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_pie(void **state)
{
    rpt_buf b = { 0 };
    const char *labels[] = { "a", "b<c" };
    double v[] = { 1, 3 };
    (void)state;
    crm__rpt_svg_pie(&b, "Sizes", 2, labels, v);
    assert_non_null(b.p);
    assert_int_equal(strncmp(b.p, "<svg ", 5), 0);
    assert_int_equal(count(b.p, "<path "), 2);
    /* The first slice (25 %) goes from 12 o'clock (170, 60) to 3 o'clock (300, 190), small
     * arc; the second from there round to 12 o'clock, large arc. */
    assert_non_null(strstr(b.p, "M170.00,190.00 L170.00,60.00 A130.0,130.0 0 0 1 300.00,190.00 Z"));
    assert_non_null(strstr(b.p, "A130.0,130.0 0 1 1 170.00,60.00 Z"));
    assert_non_null(strstr(b.p, "b&lt;c (75.0%)"));
    assert_non_null(strstr(b.p, ">25%<"));
    crm__sbuf_fini(&b);
}

static void test_tree_layout(void **state)
{
    /* root with children 1 and 2; node 1 has children 3 and 4: leaves 3, 4, 2 in rows 0, 1,
     * 2 (48 px apart: box 38 + gap 10, from y = 40); node 1 centred on rows 0 and 1 (0.5);
     * the root on 0.5 and 2 (1.25). Columns 160 px apart (box 120 + gap 40, from x = 10). */
    int32_t parent[] = { -1, 0, 0, 1, 1 };
    const char *labels[] = { "all", "L1a", "L1b", "x", "y" };
    rpt_buf b = { 0 };
    (void)state;
    crm__rpt_svg_tree(&b, "Tree", 5, parent, labels, NULL);
    assert_non_null(b.p);
    assert_int_equal(count(b.p, "<rect x=") - 1, 5);               /* minus the background */
    assert_non_null(strstr(b.p, "<rect x=\"10.0\" y=\"100.0\""));  /* root */
    assert_non_null(strstr(b.p, "<rect x=\"170.0\" y=\"64.0\""));  /* node 1 */
    assert_non_null(strstr(b.p, "<rect x=\"170.0\" y=\"136.0\"")); /* node 2 */
    assert_non_null(strstr(b.p, "<rect x=\"330.0\" y=\"88.0\""));  /* node 4 */
    /* the edge root -> node 1: from the root's right middle to node 1's left middle */
    assert_non_null(strstr(b.p, "M130.0,119.0 C150.0,119.0 150.0,83.0 170.0,83.0"));
    crm__sbuf_fini(&b);
}

static void test_dendrogram(void **state)
{
    /* rows 0..3: (0,1) at 1, (2,3) at 2, both at 5. Leaves at slots 0..3, x = 72 + (s + 0.5)
     * * 300 / 4 (plot width 300 for 4 leaves, x from -0.5 to 3.5); heights 0..5 over 300 px
     * from y = 340 up: merge (0,1): "M109.50,340.00 V280.00 H184.50 V340.00". The root joins
     * x 147 (h 1, y 280) and 297 (h 2, y 220) at h 5 (y 40). The cut at 3 is coloured below,
     * grey above. Truncated to 2 shown branches, the root's children are leaves of 2 rows. */
    double z[] = { 0, 1, 1, 2, 2, 3, 2, 2, 4, 5, 5, 4 };
    rpt_buf b = { 0 };
    (void)state;
    crm__rpt_svg_dendrogram(&b, "Tree", 4, z, 3.0, 30);
    assert_non_null(b.p);
    assert_non_null(strstr(b.p, "M109.50,340.00 V280.00 H184.50 V340.00\" fill=\"none\" "
                                "stroke=\"#0072B2\""));
    assert_non_null(strstr(b.p, "M147.00,280.00 V40.00 H297.00 V220.00\" fill=\"none\" "
                                "stroke=\"#777777\""));
    assert_int_equal(count(b.p, "(1)</text>"), 4);
    crm__sbuf_fini(&b);
    crm__rpt_svg_dendrogram(&b, "Tree", 4, z, NAN, 2);
    assert_int_equal(count(b.p, "<path "), 1);
    assert_int_equal(count(b.p, "(2)</text>"), 2);
    crm__sbuf_fini(&b);
}

static void test_pca(void **state)
{
    /* Points s*sqrt(3)*u1 + t*u2 for s, t in {-1, 1} (u1 = (1, 1)/sqrt2, u2 = (1, -1)/sqrt2),
     * shifted by (5, -2): covariance 3 u1u1' + u2u2', eigenvalues 3 and 1. */
    crm_matrix x;
    double axes[4];
    double mean[2];
    double var[2];
    double total;
    double r2 = sqrt(0.5);
    int i = 0;
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 4, 2, NULL), CRM_OK);
    for (int s = -1; s <= 1; s += 2) {
        for (int t = -1; t <= 1; t += 2) {
            CRM_ROW(&x, i)[0] = 5 + s * sqrt(3.0) * r2 + t * r2;
            CRM_ROW(&x, i)[1] = -2 + s * sqrt(3.0) * r2 - t * r2;
            i++;
        }
    }
    assert_int_equal(crm__rpt_pca2(&x, axes, mean, var, &total, NULL), CRM_OK);
    crm_assert_close(mean[0], 5, 0, 1e-12);
    crm_assert_close(mean[1], -2, 0, 1e-12);
    crm_assert_close(var[0], 3, 1e-9, 0);
    crm_assert_close(var[1], 1, 1e-9, 0);
    crm_assert_close(total, 4, 1e-12, 0);
    crm_assert_close(fabs(axes[0]), r2, 1e-6, 0);
    crm_assert_close(axes[1], axes[0], 1e-6, 0); /* sign fixed: largest coordinate positive */
    assert_true(axes[0] > 0);
    crm_assert_close(fabs(axes[2]), r2, 1e-6, 0);
    crm_assert_close(axes[3], -axes[2], 1e-6, 0);
    crm_matrix_fini(&x);
}

/* 20 rows: y = (x1 > 10), x2 noise, seg column for a segmentation. */
static crm_table *small_table(void)
{
    crm_table *t = NULL;
    double x1[20];
    double x2[20];
    double y[20];
    for (int i = 0; i < 20; i++) {
        x1[i] = i + 1;
        x2[i] = (double)((i * 7) % 5);
        y[i] = i + 1 > 10 ? 1 : 0;
    }
    assert_int_equal(crm_table_new(20, "small.csv", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x1", x1, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x2", x2, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "churn", y, NULL), CRM_OK);
    return t;
}

static void test_importance(void **state)
{
    crm_table *t = small_table();
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    double imp[8];
    int32_t n = 0;
    (void)state;
    p.target = "churn";
    p.algo = CRM_CLF_C45;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, NULL), CRM_OK);
    assert_int_equal(crm_classifier_importance(c, NULL, &n), CRM_CLF_IMPORTANCE_ERRORS);
    assert_int_equal(n, 2);
    assert_int_equal(crm_classifier_importance(c, imp, &n), CRM_CLF_IMPORTANCE_ERRORS);
    /* One split on x1 at 10 turns 10 errors at the root into pure leaves. */
    assert_string_equal(crm_classifier_importance_name(c, 0), "x1");
    assert_null(crm_classifier_importance_name(c, 2));
    crm_assert_close(imp[0], 10, 0, 1e-9);
    crm_assert_close(imp[1], 0, 0, 1e-9);
    crm_classifier_free(c);
    c = NULL;

    p.algo = CRM_CLF_LOGREG;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, NULL), CRM_OK);
    assert_int_equal(crm_classifier_importance(c, imp, &n), CRM_CLF_IMPORTANCE_COEF);
    assert_int_equal(n, 2);
    assert_string_equal(crm_classifier_importance_name(c, 0), "x1");
    assert_true(imp[0] > 1.0); /* churn rises with x1 */
    assert_true(fabs(imp[1]) < imp[0]);
    crm_classifier_free(c);
    c = NULL;

    p.algo = CRM_CLF_KNN;
    assert_int_equal(crm_classifier_fit(t, &p, NULL, &c, NULL), CRM_OK);
    assert_int_equal(crm_classifier_importance(c, imp, &n), CRM_CLF_IMPORTANCE_NONE);
    assert_int_equal(n, 0);
    crm_classifier_free(c);
    crm_table_free(t);
}

static void test_whole_report(void **state)
{
    crm_table *t = small_table();
    crm_segment_params sp = crm_segment_params_default();
    crm_classifier_params cp = crm_classifier_params_default();
    crm_report_params rp = crm_report_params_default();
    const char *feats[] = { "x1", "x2" };
    const char *items[] = { "DATA<5GB>", "VOICE&SMS", "TV" };
    crm_segmenter *seg = NULL;
    crm_classifier *c = NULL;
    crm_report *r = NULL;
    crm_rules *rules = NULL;
    char *dir = crm_test_tmpdir();
    char path[512];
    char *html;
    size_t len;
    (void)state;
    sp.features = feats;
    sp.n_features = 2;
    sp.k = 2;
    sp.kmeans.seed = 3;
    assert_int_equal(crm_segmenter_fit(t, &sp, NULL, &seg, NULL), CRM_OK);
    cp.target = "churn";
    cp.algo = CRM_CLF_C45;
    assert_int_equal(crm_classifier_fit(t, &cp, NULL, &c, NULL), CRM_OK);
    {
        /* baskets: 4 transactions, {0,1} twice, {0} once, {2} once */
        int64_t offsets[] = { 0, 1, 2, 3, 5 };
        int32_t its[] = { 0, 1, 2, 0, 1 };
        int64_t counts[] = { 3, 2, 1, 2 };
        crm_rules_itemsets sets = { 4, offsets, its, counts, 4, 1, NULL };
        crm_rules_params rup = crm_rules_params_default();
        assert_int_equal(crm_rules_new(items, 3, &rules, NULL), CRM_OK);
        assert_int_equal(crm_rules_add_set(rules, "all", &sets, &rup, NULL), CRM_OK);
    }
    rp.title = "Test <report>";
    assert_int_equal(crm_report_new(&rp, &r, NULL), CRM_OK);
    assert_int_equal(crm_report_add_segmentation(r, seg, t, "seg.crmk", NULL), CRM_OK);
    assert_int_equal(crm_report_add_classifier(r, c, t, "churn.crmc", NULL), CRM_OK);
    assert_int_equal(crm_report_add_rules(r, rules, "rules.crmr", NULL), CRM_OK);
    assert_int_equal(crm_report_n_sections(r), 3);
    /* pie, pca, SSE / BIC / silhouette over k, profiles, 2 segment profiles; importance,
     * roc, gains, lift, confusion; items */
    assert_int_equal(crm_report_n_charts(r), 14);
    assert_string_equal(crm_report_chart_name(r, 0), "s1-sizes");
    assert_string_equal(crm_report_chart_name(r, 2), "s1-k-sse");
    assert_null(crm_report_chart_name(r, 14));
    assert_int_equal(strncmp(crm_report_chart_svg(r, 0), "<?xml", 5), 0);
    snprintf(path, sizeof path, "%s/r.html", dir);
    assert_int_equal(crm_report_write_html(r, path, NULL), CRM_OK);
    assert_int_equal(crm_report_write_svgs(r, dir, NULL), CRM_OK);
    html = crm_test_read_file(path, &len);
    assert_non_null(html);
    assert_int_equal(count(html, "<svg "), 14);
    assert_int_equal(count(html, "http"), 0);
    assert_int_equal(count(html, "src="), 0);
    assert_int_equal(count(html, "<script"), 0);
    assert_int_equal(count(html, "href=\""), count(html, "href=\"#"));
    assert_non_null(strstr(html, "<title>Test &lt;report&gt;</title>"));
    assert_non_null(strstr(html, "DATA&lt;5GB&gt;"));
    assert_non_null(strstr(html, "VOICE&amp;SMS"));
    free(html);
    snprintf(path, sizeof path, "%s/s2-roc.svg", dir);
    html = crm_test_read_file(path, &len);
    assert_non_null(html);
    assert_non_null(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" width="));
    free(html);
    crm_report_free(r);
    crm_rules_free(rules);
    crm_classifier_free(c);
    crm_segmenter_free(seg);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

/* Every allocation failing in turn: the report is built or the call says CRM_ENOMEM, and
 * nothing leaks. */
static void test_out_of_memory(void **state)
{
    crm_table *t = small_table();
    crm_segment_params sp = crm_segment_params_default();
    crm_classifier_params cp = crm_classifier_params_default();
    const char *feats[] = { "x1", "x2" };
    crm_segmenter *seg = NULL;
    crm_classifier *c = NULL;
    char *dir = crm_test_tmpdir();
    char path[512];
    int done = 0;
    (void)state;
    sp.features = feats;
    sp.n_features = 2;
    sp.k = 2;
    assert_int_equal(crm_segmenter_fit(t, &sp, NULL, &seg, NULL), CRM_OK);
    cp.target = "churn";
    cp.algo = CRM_CLF_LOGREG;
    assert_int_equal(crm_classifier_fit(t, &cp, NULL, &c, NULL), CRM_OK);
    snprintf(path, sizeof path, "%s/oom.html", dir);
    for (long n = 0; n < 20000 && !done; n++) {
        crm_report_params rp = crm_report_params_default();
        crm_report *r = NULL;
        crm_error err;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_report_new(&rp, &r, &err);
        if (rc == CRM_OK) {
            rc = crm_report_add_segmentation(r, seg, t, "seg", &err);
        }
        if (rc == CRM_OK) {
            rc = crm_report_add_classifier(r, c, t, "clf", &err);
        }
        if (rc == CRM_OK) {
            rc = crm_report_write_html(r, path, &err);
        }
        crm_report_free(r);
        if (rc != CRM_OK) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        done = rc == CRM_OK;
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(done);
    crm_classifier_free(c);
    crm_segmenter_free(seg);
    crm_table_free(t);
    crm_test_rmdir(dir);
    free(dir);
}

static void test_unknown_kind(void **state)
{
    crm_report_params rp = crm_report_params_default();
    crm_report *r = NULL;
    crm_error err;
    (void)state;
    rp.top_rules = 0;
    assert_int_equal(crm_report_new(&rp, &r, &err), CRM_EINVAL);
    assert_null(r);
    rp = crm_report_params_default();
    assert_int_equal(crm_report_new(&rp, &r, &err), CRM_OK);
    assert_int_equal(crm_report_add_file(r, "/nonexistent/model.crmk", NULL, &err), CRM_ENOTFOUND);
    crm_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),       cmocka_unit_test(test_escape),
        cmocka_unit_test(test_pie),          cmocka_unit_test(test_tree_layout),
        cmocka_unit_test(test_pca),          cmocka_unit_test(test_importance),
        cmocka_unit_test(test_dendrogram),   cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_whole_report), cmocka_unit_test(test_unknown_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
