/* test_hclust.c: hierarchical clustering against scipy (golden files made by
 * scripts/golden/make_hclust_golden.py): the linkage matrix (ids and sizes exactly, heights to
 * 1e-9) for Ward, complete, average and single, fcluster's labels for cuts by k and by height,
 * weighted Ward against the linkage of repeated rows; the widest-gap choice of k; the memory
 * guard with micro-clusters; save/load; bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/hclust.h>

#include "crm_test.h"
#include "golden_cluster.h"

static const char *const methods[4] = { "ward", "complete", "average", "single" };

static void linkage_matches_scipy(void **state)
{
    crm_matrix x;
    crm_error err;
    (void)state;
    golden_matrix("hclust_x.csv", &x);
    assert_int_equal(x.n_rows, 92);
    for (int m = 0; m < 4; m++) {
        char name[64];
        long n;
        long nc;
        double *ref;
        double *z = malloc((size_t)(x.n_rows - 1) * 4 * sizeof(double));
        snprintf(name, sizeof name, "hclust_z_%s.csv", methods[m]);
        ref = golden_numbers(name, &n, &nc);
        assert_int_equal(n, (x.n_rows - 1) * 4);
        assert_int_equal(crm_hclust_linkage(&x, NULL, (crm_linkage)m, NULL, z, &err), CRM_OK);
        for (long i = 0; i < x.n_rows - 1; i++) {
            assert_int_equal((long)z[i * 4], (long)ref[i * 4]);
            assert_int_equal((long)z[i * 4 + 1], (long)ref[i * 4 + 1]);
            crm_assert_close(z[i * 4 + 2], ref[i * 4 + 2], 0, 1e-9);
            assert_int_equal((long)z[i * 4 + 3], (long)ref[i * 4 + 3]);
        }
        free(ref);
        free(z);
    }
    crm_matrix_fini(&x);
}

static void cuts_match_fcluster(void **state)
{
    crm_matrix x;
    crm_error err;
    (void)state;
    golden_matrix("hclust_x.csv", &x);
    for (int m = 0; m < 4; m++) {
        char name[64];
        long n;
        long nc;
        int32_t *ref;
        double *heights;
        crm_hclust_params p = crm_hclust_params_default();
        crm_hclust *h = NULL;
        p.linkage = (crm_linkage)m;
        assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_OK);
        assert_int_equal(crm_hclust_n_micro(h), 0);
        assert_int_equal(crm_hclust_n_leaves(h), 92);
        snprintf(name, sizeof name, "hclust_k_%s.csv", methods[m]);
        ref = golden_labels(name, &n);
        assert_int_equal(n, 6 * 92);
        for (int k = 2; k <= 7; k++) {
            const int32_t *lab;
            assert_int_equal(crm_hclust_cut_k(h, &x, k, &err), CRM_OK);
            assert_int_equal(crm_hclust_k(h), k);
            lab = crm_hclust_labels(h);
            for (int i = 0; i < 92; i++) {
                assert_int_equal(lab[i] + 1, ref[(k - 2) * 92 + i]);
            }
        }
        free(ref);
        snprintf(name, sizeof name, "hclust_h_%s.csv", methods[m]);
        heights = golden_numbers(name, &n, &nc);
        assert_int_equal(n, 2);
        snprintf(name, sizeof name, "hclust_hk_%s.csv", methods[m]);
        ref = golden_labels(name, &n);
        for (int c = 0; c < 2; c++) {
            const int32_t *lab;
            assert_int_equal(crm_hclust_cut_height(h, &x, heights[c], &err), CRM_OK);
            lab = crm_hclust_labels(h);
            for (int i = 0; i < 92; i++) {
                assert_int_equal(lab[i] + 1, ref[c * 92 + i]);
            }
        }
        free(ref);
        free(heights);
        crm_hclust_free(h);
    }
    crm_matrix_fini(&x);
}

static void weighted_ward_is_ward_of_repeated_rows(void **state)
{
    crm_matrix x;
    long n;
    long nc;
    double *w = NULL;
    double *ref = golden_numbers("hclust_wz_heights.csv", &n, &nc);
    int32_t *wi = golden_labels("hclust_w.csv", &n);
    double z[14 * 4];
    crm_error err;
    (void)state;
    golden_matrix("hclust_wx.csv", &x);
    w = malloc(15 * sizeof(double));
    for (int i = 0; i < 15; i++) {
        w[i] = wi[i];
    }
    assert_int_equal(crm_hclust_linkage(&x, w, CRM_LINKAGE_WARD, NULL, z, &err), CRM_OK);
    for (int i = 0; i < 14; i++) {
        crm_assert_close(z[i * 4 + 2], ref[i], 0, 1e-9);
    }
    w[3] = 0.5;
    assert_int_equal(crm_hclust_linkage(&x, w, CRM_LINKAGE_WARD, NULL, z, &err), CRM_EINVAL);
    free(w);
    free(wi);
    free(ref);
    crm_matrix_fini(&x);
}

/* auto k: the widest gap between the last merge kept and the next one, smallest k on ties. */
static void auto_k_takes_the_widest_gap(void **state)
{
    crm_matrix x;
    crm_hclust_params p = crm_hclust_params_default();
    crm_hclust *h = NULL;
    crm_error err;
    int32_t k = 0;
    (void)state;
    golden_matrix("hclust_x.csv", &x);
    assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_OK);
    {
        const double *z = crm_hclust_merges(h);
        double best = -1;
        int32_t arg = 0;
        for (int c = 2; c <= 10; c++) {
            double gap = z[(92 - c) * 4 + 2] - z[(92 - c - 1) * 4 + 2];
            if (gap > best) {
                best = gap;
                arg = c;
            }
        }
        assert_int_equal(crm_hclust_auto_k(h, 2, 10, &k, &err), CRM_OK);
        assert_int_equal(k, arg);
    }
    assert_int_equal(crm_hclust_auto_k(h, 3, 3, &k, &err), CRM_OK);
    assert_int_equal(k, 3);
    assert_int_equal(crm_hclust_auto_k(h, 200, 300, &k, &err), CRM_EINVAL);
    crm_hclust_free(h);
    crm_matrix_fini(&x);
}

/* Past the guard the rows are grouped into micro-clusters first, and the output says so. */
static void guard_uses_micro_clusters_and_model_round_trips(void **state)
{
    crm_matrix x;
    crm_hclust_params p = crm_hclust_params_default();
    crm_hclust *h = NULL;
    crm_hclust *g = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    int32_t lab[92];
    crm_error err;
    (void)state;
    golden_matrix("hclust_x.csv", &x);
    p.max_bytes = 8 * 45; /* n (n - 1) / 2 <= 45: 10 rows */
    p.n_micro = 50;
    assert_int_equal(crm_hclust_max_rows(&p), 10);
    /* more micro-clusters than the guard allows: as many as it allows */
    assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_OK);
    assert_int_equal(crm_hclust_n_micro(h), 10);
    crm_hclust_free(h);
    p.n_micro = 8;
    assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_OK);
    assert_int_equal(crm_hclust_n_micro(h), 8);
    assert_int_equal(crm_hclust_n_leaves(h), 8);
    assert_int_equal(crm_hclust_cut_k(h, &x, 4, &err), CRM_OK);
    {
        int seen[4] = { 0 };
        for (int i = 0; i < 92; i++) {
            assert_true(crm_hclust_labels(h)[i] >= 0 && crm_hclust_labels(h)[i] < 4);
            seen[crm_hclust_labels(h)[i]] = 1;
        }
        assert_int_equal(seen[0] + seen[1] + seen[2] + seen[3], 4);
    }
    assert_int_equal(crm_hclust_cut_k(h, &x, 9, &err), CRM_EINVAL);
    /* save and load: the merges, the cut and the centres come back */
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_hclust_save(h, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_hclust_load(r, &g, &err), CRM_OK);
    assert_int_equal(crm_hclust_k(g), 4);
    assert_int_equal(crm_hclust_n_micro(g), 8);
    assert_memory_equal(crm_hclust_merges(g), crm_hclust_merges(h), 7 * 4 * sizeof(double));
    assert_int_equal(crm_hclust_assign(g, &x, lab, NULL, &err), CRM_OK);
    {
        /* every row goes to its nearest centre */
        const double *c = crm_hclust_centers(h);
        for (int i = 0; i < 92; i++) {
            double dl = 0;
            for (int j = 0; j < 3; j++) {
                dl += (CRM_ROW(&x, i)[j] - c[lab[i] * 3 + j]) *
                      (CRM_ROW(&x, i)[j] - c[lab[i] * 3 + j]);
            }
            for (int o = 0; o < 4; o++) {
                double d = 0;
                for (int j = 0; j < 3; j++) {
                    d += (CRM_ROW(&x, i)[j] - c[o * 3 + j]) * (CRM_ROW(&x, i)[j] - c[o * 3 + j]);
                }
                assert_true(dl <= d);
            }
        }
    }
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_hclust_free(g);
    crm_hclust_free(h);
    /* bad input */
    CRM_ROW(&x, 7)[1] = NAN;
    p = crm_hclust_params_default();
    assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_EDATA);
    assert_null(h);
    p.linkage = (crm_linkage)9;
    assert_int_equal(crm_hclust_fit(&p, &x, NULL, &h, &err), CRM_EINVAL);
    assert_int_equal(crm_linkage_parse("average"), CRM_LINKAGE_AVERAGE);
    assert_int_equal(crm_linkage_parse("centroid"), -1);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linkage_matches_scipy),
        cmocka_unit_test(cuts_match_fcluster),
        cmocka_unit_test(weighted_ward_is_ward_of_repeated_rows),
        cmocka_unit_test(auto_k_takes_the_widest_gap),
        cmocka_unit_test(guard_uses_micro_clusters_and_model_round_trips),
    };
    (void)golden_value;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
