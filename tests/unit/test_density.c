/* test_density.c: BIRCH and DBSCAN against scikit-learn's labels
 * (scripts/golden/make_density_golden.py), brute-force DBSCAN, model round trips, bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/birch.h>
#include <crmkit/dbscan.h>
#include <crmkit/denclue.h>
#include <crmkit/gmm.h>
#include <crmkit/optigrid.h>

#include "crm_test.h"
#include "golden_cluster.h"

/* a and b are the same partition (equal up to renaming; -1 only matches -1 when noise). */
static void assert_same_partition(const int32_t *a, const int32_t *b, long n, int noise)
{
    int32_t map_ab[4096];
    int32_t map_ba[4096];
    for (int i = 0; i < 4096; i++) {
        map_ab[i] = map_ba[i] = -2;
    }
    for (long i = 0; i < n; i++) {
        if (noise && (a[i] < 0 || b[i] < 0)) {
            assert_int_equal(a[i], b[i]);
            continue;
        }
        assert_true(a[i] >= 0 && a[i] < 4096 && b[i] >= 0 && b[i] < 4096);
        if (map_ab[a[i]] == -2) {
            map_ab[a[i]] = b[i];
        }
        if (map_ba[b[i]] == -2) {
            map_ba[b[i]] = a[i];
        }
        if (map_ab[a[i]] != b[i] || map_ba[b[i]] != a[i]) {
            fail_msg("row %ld: label %d here, %d in scikit-learn", i, (int)a[i], (int)b[i]);
        }
    }
}

static void birch_case(const char *name, double threshold, int32_t branching, int32_t k)
{
    char xs[64];
    char ls[64];
    crm_matrix x;
    long n;
    int32_t *want;
    int32_t *again;
    crm_birch *b = NULL;
    crm_birch *c = NULL;
    crm_error err;
    crm_birch_params p = crm_birch_params_default();
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    snprintf(xs, sizeof xs, "%s_x.csv", name);
    snprintf(ls, sizeof ls, "%s_labels.csv", name);
    golden_matrix(xs, &x);
    want = golden_labels(ls, &n);
    assert_int_equal(n, x.n_rows);
    p.threshold = threshold;
    p.branching = branching;
    p.k = k;
    assert_int_equal(crm_birch_fit(&p, &x, NULL, &b, &err), CRM_OK);
    assert_int_equal(crm_birch_k(b), k);
    assert_same_partition(crm_birch_labels(b), want, n, 0);
    /* round trip: the loaded model assigns the training rows as the fit labelled them */
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_birch_save(b, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_birch_load(r, &c, &err), CRM_OK);
    assert_int_equal(crm_birch_n_subclusters(c), crm_birch_n_subclusters(b));
    again = malloc((size_t)n * sizeof *again);
    assert_int_equal(crm_birch_assign(c, &x, again, NULL, &err), CRM_OK);
    assert_memory_equal(again, crm_birch_labels(b), (size_t)n * sizeof *again);
    free(again);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_birch_free(c);
    crm_birch_free(b);
    free(want);
    crm_matrix_fini(&x);
}

static void birch_matches_sklearn(void **state)
{
    (void)state;
    birch_case("birch_a", 0.8, 50, 4);
    birch_case("birch_b", 1.5, 5, 5); /* deep tree: many node splits */
}

/* DBSCAN by its definition with all pairwise distances (small n only). */
static void brute_dbscan(const crm_matrix *x, double eps, int32_t ms, int32_t *lab)
{
    long n = (long)x->n_rows;
    uint8_t *core = calloc((size_t)n, 1);
    long *stack = malloc((size_t)n * sizeof *stack);
    int32_t next = 0;
    double r2 = eps * eps;
#define D2(i, j)                                                                                   \
    ({                                                                                             \
        double s_ = 0;                                                                             \
        for (int64_t a_ = 0; a_ < x->n_cols; a_++) {                                               \
            double e_ = CRM_ROW(x, i)[a_] - CRM_ROW(x, j)[a_];                                     \
            s_ += e_ * e_;                                                                         \
        }                                                                                          \
        s_;                                                                                        \
    })
    for (long i = 0; i < n; i++) {
        long c = 0;
        for (long j = 0; j < n; j++) {
            c += D2(i, j) <= r2;
        }
        core[i] = c >= ms;
        lab[i] = -1;
    }
    for (long i = 0; i < n; i++) { /* the textbook expansion, in input order */
        long sp = 0;
        if (lab[i] != -1 || !core[i]) {
            continue;
        }
        lab[i] = next;
        stack[sp++] = i;
        while (sp > 0) {
            long u = stack[--sp];
            for (long j = 0; j < n; j++) {
                if (lab[j] == -1 && D2(u, j) <= r2) {
                    lab[j] = next;
                    if (core[j]) {
                        stack[sp++] = j;
                    }
                }
            }
        }
        next++;
    }
#undef D2
    free(core);
    free(stack);
}

static void dbscan_case(const char *name, double eps, int32_t ms)
{
    char xs[64];
    char ls[64];
    crm_matrix x;
    long n;
    int32_t *want;
    int32_t *brute;
    int32_t *again;
    crm_dbscan *d = NULL;
    crm_dbscan *e = NULL;
    crm_error err;
    crm_dbscan_params p = crm_dbscan_params_default();
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    const int32_t *got;
    snprintf(xs, sizeof xs, "%s_x.csv", name);
    snprintf(ls, sizeof ls, "%s_labels.csv", name);
    golden_matrix(xs, &x);
    want = golden_labels(ls, &n);
    p.eps = eps;
    p.min_samples = ms;
    assert_int_equal(crm_dbscan_fit(&p, &x, NULL, &d, &err), CRM_OK);
    got = crm_dbscan_labels(d);
    /* scikit-learn's numbering, not only its partition */
    assert_memory_equal(got, want, (size_t)n * sizeof *got);
    brute = malloc((size_t)n * sizeof *brute);
    brute_dbscan(&x, eps, ms, brute);
    assert_memory_equal(got, brute, (size_t)n * sizeof *got);
    /* round trip; assign: core rows keep their cluster, noise stays noise */
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_dbscan_save(d, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_dbscan_load(r, &e, &err), CRM_OK);
    assert_int_equal(crm_dbscan_k(e), crm_dbscan_k(d));
    assert_int_equal(crm_dbscan_n_core(e), crm_dbscan_n_core(d));
    again = malloc((size_t)n * sizeof *again);
    assert_int_equal(crm_dbscan_assign(e, &x, again, NULL, &err), CRM_OK);
    for (long i = 0; i < n; i++) {
        if (got[i] < 0) {
            assert_int_equal(again[i], -1);
        }
    }
    {
        const double *cores = crm_dbscan_cores(e);
        const int32_t *cl = crm_dbscan_core_labels(e);
        crm_matrix cm = { crm_dbscan_n_core(e), x.n_cols, x.n_cols, (double *)cores };
        int32_t *cg = malloc((size_t)cm.n_rows * sizeof *cg);
        assert_int_equal(crm_dbscan_assign(e, &cm, cg, NULL, &err), CRM_OK);
        assert_memory_equal(cg, cl, (size_t)cm.n_rows * sizeof *cg);
        free(cg);
    }
    free(again);
    free(brute);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_dbscan_free(e);
    crm_dbscan_free(d);
    free(want);
    crm_matrix_fini(&x);
}

static void dbscan_matches_sklearn(void **state)
{
    (void)state;
    dbscan_case("dbscan_a", 0.6, 6);
    dbscan_case("dbscan_b", 2.2, 10); /* 6-D, touching clusters */
}

/* Write with save(obj, w), read back with load(r, &out). */
#define ROUND_TRIP(save_call, load_fn, out)                                                        \
    do {                                                                                           \
        crm_model_writer *w_ = NULL;                                                               \
        crm_model_reader *r_ = NULL;                                                               \
        const unsigned char *b_;                                                                   \
        size_t n_;                                                                                 \
        crm_error e_;                                                                              \
        assert_int_equal(crm_model_writer_new("test", &w_, &e_), CRM_OK);                          \
        assert_int_equal(save_call, CRM_OK);                                                       \
        assert_int_equal(crm_model_writer_bytes(w_, &b_, &n_, &e_), CRM_OK);                       \
        assert_int_equal(crm_model_reader_open_mem(b_, n_, "mem", &r_, &e_), CRM_OK);              \
        assert_int_equal(load_fn(r_, &(out), &e_), CRM_OK);                                        \
        crm_model_reader_free(r_);                                                                 \
        crm_model_writer_free(w_);                                                                 \
    } while (0)

static void optigrid_and_denclue_recover_blobs(void **state)
{
    crm_matrix x;
    long n;
    int32_t *truth;
    int32_t *again;
    crm_error err;
    crm_optigrid *g = NULL;
    crm_optigrid *g2 = NULL;
    crm_denclue *d = NULL;
    crm_denclue *d2 = NULL;
    crm_optigrid_params op = crm_optigrid_params_default();
    crm_denclue_params dp = crm_denclue_params_default();
    (void)state;
    golden_matrix("blobs_x.csv", &x);
    truth = golden_labels("blobs_truth.csv", &n);
    again = malloc((size_t)n * sizeof *again);
    /* OptiGrid: four clusters, no noise, and the tree of planes labels the rows as the fit */
    assert_int_equal(crm_optigrid_fit(&op, &x, &g, &err), CRM_OK);
    assert_int_equal(crm_optigrid_k(g), 4);
    assert_same_partition(crm_optigrid_labels(g), truth, n, 1);
    ROUND_TRIP(crm_optigrid_save(g, w_, &e_), crm_optigrid_load, g2);
    assert_int_equal(crm_optigrid_assign(g2, &x, again, &err), CRM_OK);
    assert_memory_equal(again, crm_optigrid_labels(g), (size_t)n * sizeof *again);
    /* DENCLUE: four clusters, no noise; assign through the kept attractors agrees here */
    dp.h = 0.6;
    assert_int_equal(crm_denclue_fit(&dp, &x, NULL, &d, &err), CRM_OK);
    assert_int_equal(crm_denclue_k(d), 4);
    assert_same_partition(crm_denclue_labels(d), truth, n, 1);
    ROUND_TRIP(crm_denclue_save(d, w_, &e_), crm_denclue_load, d2);
    assert_int_equal(crm_denclue_assign(d2, &x, again, NULL, &err), CRM_OK);
    assert_memory_equal(again, crm_denclue_labels(d), (size_t)n * sizeof *again);
    /* a far-away row is noise for DENCLUE's assign */
    {
        double far[3] = { 100, 100, 100 };
        crm_matrix fm = { 1, 3, 3, far };
        int32_t l = 7;
        assert_int_equal(crm_denclue_assign(d2, &fm, &l, NULL, &err), CRM_OK);
        assert_int_equal(l, -1);
    }
    /* one blob only: one cluster each */
    {
        crm_matrix one = crm_matrix_rows(&x, 0, 0);
        long m = 0;
        for (long i = 0; i < n; i++) {
            m += truth[i] == 0;
        }
        assert_int_equal(crm_matrix_init(&one, m, 3, &err), CRM_OK);
        for (long i = 0, j = 0; i < n; i++) {
            if (truth[i] == 0) {
                memcpy(CRM_ROW(&one, j++), CRM_ROW(&x, i), 3 * sizeof(double));
            }
        }
        crm_optigrid_free(g);
        g = NULL;
        assert_int_equal(crm_optigrid_fit(&op, &one, &g, &err), CRM_OK);
        assert_int_equal(crm_optigrid_k(g), 1);
        crm_denclue_free(d);
        d = NULL;
        assert_int_equal(crm_denclue_fit(&dp, &one, NULL, &d, &err), CRM_OK);
        assert_int_equal(crm_denclue_k(d), 1);
        crm_matrix_fini(&one);
    }
    crm_optigrid_free(g);
    crm_optigrid_free(g2);
    crm_denclue_free(d);
    crm_denclue_free(d2);
    free(again);
    free(truth);
    crm_matrix_fini(&x);
}

/* More rows than max_climbs: the climbs start from a seeded sample and the other rows are
 * placed as new customers. The four blobs come out as with every climb, for any seed; a lone
 * far row is noise whether the sample takes it or not (its own kernel counts once: scaled like
 * the sample's other rows, 8.2 here, it passed xi = 5 and made a fifth cluster); the labels
 * do not depend on the number of threads. */
static void denclue_climbs_from_a_sample(void **state)
{
    crm_matrix x;
    crm_matrix y;
    long n;
    int32_t *truth;
    crm_error err;
    int32_t *got;
    int32_t *want;
    crm_denclue_params dp = crm_denclue_params_default();
    (void)state;
    golden_matrix("blobs_x.csv", &x);
    truth = golden_labels("blobs_truth.csv", &n);
    got = malloc((size_t)n * sizeof *got);
    want = malloc((size_t)n * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    assert_int_equal(crm_matrix_init(&y, n + 1, 3, &err), CRM_OK);
    for (long i = 0; i < n; i++) {
        memcpy(CRM_ROW(&y, i), CRM_ROW(&x, i), 3 * sizeof(double));
    }
    CRM_ROW(&y, n)[0] = CRM_ROW(&y, n)[1] = CRM_ROW(&y, n)[2] = 40.0;
    dp.h = 0.6;
    dp.max_climbs = 110;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        crm_denclue *d1 = NULL;
        crm_denclue *d2 = NULL;
        dp.seed = seed;
        dp.n_threads = 1;
        assert_int_equal(crm_denclue_fit(&dp, &y, NULL, &d1, &err), CRM_OK);
        dp.n_threads = 2;
        assert_int_equal(crm_denclue_fit(&dp, &y, NULL, &d2, &err), CRM_OK);
        assert_int_equal(crm_denclue_k(d1), 4);
        assert_int_equal(crm_denclue_labels(d1)[n], -1);
        {
            /* a sample of 110 rows leaves some edge rows of the blobs below xi: noise */
            long kept = 0;
            const int32_t *l = crm_denclue_labels(d1);
            for (long i = 0; i < n; i++) {
                if (l[i] >= 0) {
                    got[kept] = l[i];
                    want[kept++] = truth[i];
                }
            }
            assert_true(kept >= n - n / 20); /* at most 34 of 900 over these seeds */
            assert_same_partition(got, want, kept, 0);
        }
        assert_memory_equal(crm_denclue_labels(d1), crm_denclue_labels(d2),
                            (size_t)(n + 1) * sizeof(int32_t));
        crm_denclue_free(d1);
        crm_denclue_free(d2);
    }
    free(got);
    free(want);
    free(truth);
    crm_matrix_fini(&x);
    crm_matrix_fini(&y);
}

static void gmm_round_trip(void **state)
{
    crm_matrix x;
    crm_error err;
    crm_gmm *g = NULL;
    crm_gmm *h = NULL;
    crm_gmm_params p = crm_gmm_params_default();
    int32_t *a;
    int32_t *b;
    double s1;
    double s2;
    (void)state;
    golden_matrix("blobs_x.csv", &x);
    for (int cov = 0; cov < 2; cov++) {
        p.k = 4;
        p.cov = (crm_gmm_cov)cov;
        assert_int_equal(crm_gmm_new(&p, &g, &err), CRM_OK);
        assert_int_equal(crm_gmm_fit(g, &x, NULL, &err), CRM_OK);
        ROUND_TRIP(crm_gmm_save(g, w_, &e_), crm_gmm_load, h);
        a = malloc((size_t)x.n_rows * sizeof *a);
        b = malloc((size_t)x.n_rows * sizeof *b);
        assert_int_equal(crm_gmm_assign(g, &x, a, &err), CRM_OK);
        assert_int_equal(crm_gmm_assign(h, &x, b, &err), CRM_OK);
        assert_memory_equal(a, b, (size_t)x.n_rows * sizeof *a);
        assert_int_equal(crm_gmm_score(g, &x, &s1, &err), CRM_OK);
        assert_int_equal(crm_gmm_score(h, &x, &s2, &err), CRM_OK);
        assert_true(s1 == s2);
        assert_int_equal(crm_gmm_cov_type(h), cov);
        free(a);
        free(b);
        crm_gmm_free(g);
        crm_gmm_free(h);
        g = h = NULL;
    }
    crm_matrix_fini(&x);
}

/* What a progress listener saw: reports of one stage, and when to cancel. */
typedef struct seen {
    const char *stage;
    int reports;
    double last;
    int monotone;
    int cancel_at; /* 0: never */
} seen;

static bool listen(void *ud, const char *stage, double frac)
{
    seen *s = ud;
    if (strcmp(stage, s->stage) == 0) {
        s->monotone &= frac >= s->last;
        s->last = frac;
        s->reports++;
        return s->cancel_at == 0 || s->reports < s->cancel_at;
    }
    return true;
}

/* DBSCAN's range queries and DENCLUE's hill climbing report as they go (a million rows take
 * minutes) and stop when the listener cancels. */
static void density_fits_report_and_cancel(void **state)
{
    crm_matrix x;
    crm_error err;
    crm_dbscan_params bp = crm_dbscan_params_default();
    crm_denclue_params dp = crm_denclue_params_default();
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 6000, 2, &err), CRM_OK);
    for (int64_t i = 0; i < x.n_rows; i++) {
        CRM_ROW(&x, i)[0] = (double)(i % 97) * 0.05;
        CRM_ROW(&x, i)[1] = (double)(i / 97) * 0.05;
    }
    for (int algo = 0; algo < 2; algo++) {
        for (int cancel = 0; cancel < 2; cancel++) {
            seen s = { algo == 0 ? "dbscan: neighbours" : "denclue: attractors", 0, 0, 1,
                       cancel ? 5 : 0 };
            crm_progress pr = { listen, &s };
            crm_status rc;
            if (algo == 0) {
                crm_dbscan *d = NULL;
                rc = crm_dbscan_fit(&bp, &x, &pr, &d, &err);
                crm_dbscan_free(d);
            } else {
                crm_denclue *d = NULL;
                rc = crm_denclue_fit(&dp, &x, &pr, &d, &err);
                crm_denclue_free(d);
            }
            if (cancel) {
                assert_int_equal(rc, CRM_ECANCELLED);
                assert_int_equal(s.reports, 5);
            } else {
                assert_int_equal(rc, CRM_OK);
                assert_true(s.reports >= 50); /* about every 1/256 of the rows */
                assert_true(s.monotone);
            }
        }
    }
    crm_matrix_fini(&x);
}

static void bad_input(void **state)
{
    crm_matrix x;
    crm_error err;
    crm_dbscan *d = NULL;
    crm_birch *b = NULL;
    crm_dbscan_params dp = crm_dbscan_params_default();
    crm_birch_params bp = crm_birch_params_default();
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 10, 2, &err), CRM_OK);
    dp.eps = 0;
    assert_int_equal(crm_dbscan_fit(&dp, &x, NULL, &d, &err), CRM_EINVAL);
    bp.branching = 1;
    assert_int_equal(crm_birch_fit(&bp, &x, NULL, &b, &err), CRM_EINVAL);
    dp = crm_dbscan_params_default();
    bp = crm_birch_params_default();
    CRM_ROW(&x, 3)[1] = INFINITY;
    assert_int_equal(crm_dbscan_fit(&dp, &x, NULL, &d, &err), CRM_EDATA);
    assert_int_equal(crm_birch_fit(&bp, &x, NULL, &b, &err), CRM_EDATA);
    assert_null(d);
    assert_null(b);
    /* all rows equal: one BIRCH subcluster, one DBSCAN cluster */
    CRM_ROW(&x, 3)[1] = 0;
    assert_int_equal(crm_birch_fit(&bp, &x, NULL, &b, &err), CRM_OK);
    assert_int_equal(crm_birch_k(b), 1);
    assert_int_equal(crm_dbscan_fit(&dp, &x, NULL, &d, &err), CRM_OK);
    assert_int_equal(crm_dbscan_k(d), 1);
    crm_birch_free(b);
    crm_dbscan_free(d);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(birch_matches_sklearn),
        cmocka_unit_test(dbscan_matches_sklearn),
        cmocka_unit_test(optigrid_and_denclue_recover_blobs),
        cmocka_unit_test(denclue_climbs_from_a_sample),
        cmocka_unit_test(gmm_round_trip),
        cmocka_unit_test(density_fits_report_and_cancel),
        cmocka_unit_test(bad_input),
    };
    (void)golden_value;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
