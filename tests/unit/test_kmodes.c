/* test_kmodes.c: k-modes and k-prototypes. The cost function against a straightforward
 * computation; the local-optimum property of fitted results checked by brute force over every
 * assignment of small data sets; Cao's initialisation on a hand-worked example; save/load;
 * bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/kmodes.h>
#include <crmkit/rng.h>

#include "crm_test.h"

#define MAXN 9
#define MAXA 4

/* ---- the reference: cost of an assignment computed directly from its definition ---- */

/* For each cluster: numeric means, categorical modes (most frequent level, lowest code on
 * ties; ties do not change the cost), then the sum of dissimilarities. Returns -1 when some
 * cluster is empty. */
static double ref_cost(const crm_mixed *x, const int32_t *lab, int k, double gamma, int allow_empty)
{
    double total = 0.0;
    for (int c = 0; c < k; c++) {
        int64_t size = 0;
        double mean[MAXA] = { 0 };
        int32_t mode[MAXA] = { 0 };
        for (int64_t i = 0; i < x->n_rows; i++) {
            if (lab[i] == c) {
                size++;
                for (int j = 0; j < x->n_num; j++) {
                    mean[j] += x->num[i * x->n_num + j];
                }
            }
        }
        if (size == 0) {
            if (!allow_empty) {
                return -1.0;
            }
            continue;
        }
        for (int j = 0; j < x->n_num; j++) {
            mean[j] /= (double)size;
        }
        for (int a = 0; a < x->n_cat; a++) {
            int best = -1;
            for (int l = 0; l < x->n_levels[a]; l++) {
                int cnt = 0;
                for (int64_t i = 0; i < x->n_rows; i++) {
                    cnt += lab[i] == c && x->cat[i * x->n_cat + a] == l;
                }
                if (cnt > best) {
                    best = cnt;
                    mode[a] = l;
                }
            }
        }
        for (int64_t i = 0; i < x->n_rows; i++) {
            if (lab[i] != c) {
                continue;
            }
            for (int j = 0; j < x->n_num; j++) {
                double t = x->num[i * x->n_num + j] - mean[j];
                total += t * t;
            }
            for (int a = 0; a < x->n_cat; a++) {
                total += gamma * (x->cat[i * x->n_cat + a] != mode[a]);
            }
        }
    }
    return total;
}

typedef struct smalldata {
    double num[MAXN * MAXA];
    int32_t cat[MAXN * MAXA];
    int32_t levels[MAXA];
    crm_mixed x;
} smalldata;

static void make_small(smalldata *d, int n, int n_num, int n_cat, int n_levels, uint64_t seed)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    for (int a = 0; a < n_cat; a++) {
        d->levels[a] = n_levels;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n_num; j++) {
            d->num[i * n_num + j] = crm_rng_normal(&rng) + (i % 2) * 1.5;
        }
        for (int a = 0; a < n_cat; a++) {
            d->cat[i * n_cat + a] = (int32_t)crm_rng_below(&rng, (uint64_t)n_levels);
        }
    }
    d->x.n_rows = n;
    d->x.n_num = n_num;
    d->x.n_cat = n_cat;
    d->x.num = n_num ? d->num : NULL;
    d->x.cat = n_cat ? d->cat : NULL;
    d->x.n_levels = n_cat ? d->levels : NULL;
}

/* The library's cost function equals the reference on every assignment of small data. */
static void cost_function_matches_definition(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        smalldata d;
        int n = 7;
        int k = 3;
        int32_t lab[MAXN];
        long total = 1;
        make_small(&d, n, seed % 2 ? 2 : 0, 3, 3, seed);
        for (int i = 0; i < n; i++) {
            total *= k;
        }
        for (long code = 0; code < total; code++) {
            long c = code;
            double got;
            for (int i = 0; i < n; i++) {
                lab[i] = (int32_t)(c % k);
                c /= k;
            }
            assert_int_equal(crm_kmodes_cost(&d.x, lab, k, 0.7, &got, NULL), CRM_OK);
            crm_assert_close(got, ref_cost(&d.x, lab, k, 0.7, 1), 1e-12, 1e-12);
        }
        lab[0] = k;
        {
            double got;
            crm_error err;
            assert_int_equal(crm_kmodes_cost(&d.x, lab, k, 0.7, &got, &err), CRM_EINVAL);
        }
    }
}

/* Fit, then check over every assignment with k non-empty clusters: the reported cost is the
 * recomputed cost; no single row moved to another cluster (all clusters staying non-empty)
 * lowers the cost; every row sits at its nearest prototype; the global optimum found by
 * brute force is not above the result (a sanity check of the enumeration). */
static void check_local_optimum(const crm_mixed *x,
                                int k,
                                double gamma_param,
                                crm_kmodes_init init,
                                int n_init,
                                uint64_t seed,
                                int *n_global)
{
    crm_kmodes_params p = crm_kmodes_params_default();
    crm_kmodes *km = NULL;
    crm_error err;
    int32_t lab[MAXN];
    int32_t lab2[MAXN];
    double gamma;
    double cost;
    double best = INFINITY;
    long total = 1;
    int n = (int)x->n_rows;
    p.k = k;
    p.init = init;
    p.n_init = n_init;
    p.seed = seed;
    p.gamma = gamma_param;
    assert_int_equal(crm_kmodes_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmodes_fit(km, x, NULL, &err), CRM_OK);
    gamma = crm_kmodes_gamma(km);
    if (gamma_param >= 0 && x->n_num > 0) {
        crm_assert_close(gamma, gamma_param, 0, 0);
    }
    memcpy(lab, crm_kmodes_labels(km), (size_t)n * sizeof *lab);
    cost = ref_cost(x, lab, k, gamma, 0);
    assert_true(cost >= 0.0); /* k non-empty clusters */
    crm_assert_close(crm_kmodes_cost_value(km), cost, 1e-12, 1e-12);
    /* no single move lowers the cost */
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < k; c++) {
            double moved;
            if (c == lab[i]) {
                continue;
            }
            memcpy(lab2, lab, (size_t)n * sizeof *lab);
            lab2[i] = c;
            moved = ref_cost(x, lab2, k, gamma, 0);
            if (moved >= 0.0) {
                assert_true(moved >= cost - 1e-9 * (1.0 + cost));
            }
        }
    }
    /* nearest prototype: assign reproduces the training labels */
    assert_int_equal(crm_kmodes_assign(km, x, lab2, NULL, &err), CRM_OK);
    assert_memory_equal(lab2, lab, (size_t)n * sizeof *lab);
    /* brute force global optimum */
    for (int i = 0; i < n; i++) {
        total *= k;
    }
    for (long code = 0; code < total; code++) {
        long c = code;
        double v;
        for (int i = 0; i < n; i++) {
            lab2[i] = (int32_t)(c % k);
            c /= k;
        }
        v = ref_cost(x, lab2, k, gamma, 0);
        if (v >= 0.0 && v < best) {
            best = v;
        }
    }
    assert_true(best <= cost + 1e-9);
    if (n_global != NULL && fabs(best - cost) <= 1e-9 * (1.0 + cost)) {
        (*n_global)++;
    }
    crm_kmodes_free(km);
}

static void kmodes_result_is_local_optimum_by_brute_force(void **state)
{
    int global = 0;
    int runs = 0;
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        smalldata d;
        make_small(&d, 8, 0, 3, 3, 100 + seed);
        for (int k = 2; k <= 3; k++) {
            check_local_optimum(&d.x, k, -1, CRM_KMODES_INIT_CAO, 1, seed, &global);
            check_local_optimum(&d.x, k, -1, CRM_KMODES_INIT_HUANG, 3, seed, &global);
            check_local_optimum(&d.x, k, -1, CRM_KMODES_INIT_RANDOM, 1, seed, &global);
            runs += 3;
        }
    }
    assert_true(global > 0); /* often the global optimum, not always */
    (void)runs;
}

static void kprototypes_result_is_local_optimum_by_brute_force(void **state)
{
    int global = 0;
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        smalldata d;
        make_small(&d, 8, 2, 2, 3, 200 + seed);
        for (int k = 2; k <= 3; k++) {
            check_local_optimum(&d.x, k, -1, CRM_KMODES_INIT_CAO, 1, seed, &global);
            check_local_optimum(&d.x, k, 0.3, CRM_KMODES_INIT_HUANG, 2, seed, &global);
            check_local_optimum(&d.x, k, 2.0, CRM_KMODES_INIT_RANDOM, 1, seed, &global);
        }
    }
    assert_true(global > 0);
}

/* Cao's initialisation, worked by hand. Six rows, three attributes:
 *     row  A1 A2 A3     level counts: A1 a3 b2 c1, A2 x2 y2 z2, A3 p3 q3
 *     0    a  x  p      summed counts (density = sum / (6 rows * 3 attributes)):
 *     1    a  x  q        rows 0, 1, 2: 3+2+3 = 8;  rows 3, 4: 2+2+3 = 7;  row 5: 1+2+3 = 6
 *     2    a  y  p
 *     3    b  y  q      1st mode: the densest row, rows 0, 1, 2 tie: the first, row 0 (a x p).
 *     4    b  z  q      2nd: max over rows of density * d(row, row 0):
 *     5    c  z  p        row 1: 8*1, row 2: 8*1, row 3: 7*3 = 21, row 4: 7*3 = 21, row 5: 6*2
 *                         rows 3 and 4 tie at 21: the first, row 3 (b y q).
 *     3rd: max of density * min(d(row, row 0), d(row, row 3)):
 *       row 1 (a x q): min(1, 2) = 1 -> 8;  row 2 (a y p): min(1, 2) = 1 -> 8;
 *       row 4 (b z q): min(3, 1) = 1 -> 7;  row 5 (c z p): min(2, 3) = 2 -> 12: row 5.
 *     So k = 3 starts from rows 0, 3, 5; k = 2 from rows 0, 3. */
static void cao_initialisation_hand_worked(void **state)
{
    /* a b c = 0 1 2;  x y z = 0 1 2;  p q = 0 1 */
    static const int32_t cat[18] = { 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 2, 1, 2, 2, 0 };
    static const int32_t levels[3] = { 3, 3, 2 };
    crm_mixed x = { 6, 0, 3, NULL, cat, levels };
    int64_t rows[4];
    crm_error err;
    (void)state;
    assert_int_equal(crm_kmodes_init_cao(&x, 3, 1.0, rows, &err), CRM_OK);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 3);
    assert_int_equal(rows[2], 5);
    assert_int_equal(crm_kmodes_init_cao(&x, 2, 1.0, rows, &err), CRM_OK);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 3);
    /* A fit with Cao and k = 3 starts from these modes; its cost is the reference cost. */
    {
        crm_kmodes_params p = crm_kmodes_params_default();
        crm_kmodes *km = NULL;
        p.k = 3;
        assert_int_equal(crm_kmodes_new(&p, &km, &err), CRM_OK);
        assert_int_equal(crm_kmodes_fit(km, &x, NULL, &err), CRM_OK);
        crm_assert_close(crm_kmodes_cost_value(km), ref_cost(&x, crm_kmodes_labels(km), 3, 1, 0), 0,
                         0);
        crm_kmodes_free(km);
    }
    /* seven identical rows have one distinct row: no second mode */
    {
        static const int32_t same[7] = { 1, 1, 1, 1, 1, 1, 1 };
        static const int32_t lv[1] = { 2 };
        crm_mixed y = { 7, 0, 1, NULL, same, lv };
        assert_int_equal(crm_kmodes_init_cao(&y, 2, 1.0, rows, &err), CRM_EDATA);
    }
}

static void auto_gamma_is_half_mean_std(void **state)
{
    double num[8] = { 1, 10, 2, 20, 3, 30, 6, 40 };
    int32_t cat[4] = { 0, 1, 0, 1 };
    int32_t lv[1] = { 2 };
    crm_mixed x = { 4, 2, 1, num, cat, lv };
    /* column 1: 1 2 3 6, mean 3, population var (4+1+0+9)/4 = 3.5; column 2: 10 20 30 40,
     * mean 25, var (225+25+25+225)/4 = 125 */
    (void)state;
    crm_assert_close(crm_kmodes_auto_gamma(&x), 0.5 * (sqrt(3.5) + sqrt(125.0)) / 2, 1e-14, 0);
}

static void deterministic_save_load_and_bad_input(void **state)
{
    enum {
        N = 3000
    };
    double *num = malloc(N * 3 * sizeof(double));
    int32_t *cat = malloc(N * 4 * sizeof(int32_t));
    int32_t lv[4] = { 3, 5, 2, 7 };
    int32_t *l1 = malloc(N * sizeof(int32_t));
    int32_t *l2 = malloc(N * sizeof(int32_t));
    crm_mixed x = { N, 3, 4, num, cat, lv };
    crm_kmodes_params p = crm_kmodes_params_default();
    crm_kmodes *a = NULL;
    crm_kmodes *b = NULL;
    crm_kmodes *c = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_rng rng;
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        int g = i % 4;
        for (int j = 0; j < 3; j++) {
            num[i * 3 + j] = g * 2.0 + crm_rng_normal(&rng);
        }
        for (int a2 = 0; a2 < 4; a2++) {
            cat[i * 4 + a2] = crm_rng_uniform(&rng) < 0.7 ? (g + a2) % lv[a2]
                                                          : (int32_t)crm_rng_below(&rng, lv[a2]);
        }
    }
    p.k = 4;
    p.init = CRM_KMODES_INIT_HUANG;
    p.n_init = 3;
    p.seed = 11;
    p.n_threads = 1;
    assert_int_equal(crm_kmodes_new(&p, &a, &err), CRM_OK);
    assert_int_equal(crm_kmodes_fit(a, &x, NULL, &err), CRM_OK);
    p.n_threads = 2;
    assert_int_equal(crm_kmodes_new(&p, &b, &err), CRM_OK);
    assert_int_equal(crm_kmodes_fit(b, &x, NULL, &err), CRM_OK);
    assert_memory_equal(crm_kmodes_labels(a), crm_kmodes_labels(b), N * sizeof(int32_t));
    assert_true(crm_kmodes_cost_value(a) == crm_kmodes_cost_value(b));
    {
        double ref;
        assert_int_equal(
            crm_kmodes_cost(&x, crm_kmodes_labels(a), 4, crm_kmodes_gamma(a), &ref, &err), CRM_OK);
        crm_assert_close(crm_kmodes_cost_value(a), ref, 1e-12, 0);
    }
    assert_int_equal(crm_model_writer_new("test", &w, &err), CRM_OK);
    assert_int_equal(crm_kmodes_save(a, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_kmodes_load(r, &c, &err), CRM_OK);
    assert_int_equal(crm_kmodes_assign(c, &x, l1, NULL, &err), CRM_OK);
    assert_memory_equal(l1, crm_kmodes_labels(a), N * sizeof(int32_t));
    assert_true(crm_kmodes_gamma(c) == crm_kmodes_gamma(a));
    /* bad input */
    cat[17] = 9;
    assert_int_equal(crm_kmodes_fit(b, &x, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 5"));
    cat[17] = 0;
    num[4] = NAN;
    assert_int_equal(crm_kmodes_fit(b, &x, NULL, &err), CRM_EDATA);
    assert_int_equal(crm_kmodes_assign(c, &x, l2, NULL, &err), CRM_EDATA);
    crm_kmodes_free(b);
    p.k = 0;
    assert_int_equal(crm_kmodes_new(&p, &b, &err), CRM_EINVAL);
    assert_null(b);
    assert_string_equal(err.field, "k");
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_kmodes_free(a);
    crm_kmodes_free(b);
    crm_kmodes_free(c);
    free(num);
    free(cat);
    free(l1);
    free(l2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cost_function_matches_definition),
        cmocka_unit_test(kmodes_result_is_local_optimum_by_brute_force),
        cmocka_unit_test(kprototypes_result_is_local_optimum_by_brute_force),
        cmocka_unit_test(cao_initialisation_hand_worked),
        cmocka_unit_test(auto_gamma_is_half_mean_std),
        cmocka_unit_test(deterministic_save_load_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
