/* test_fim.c: frequent itemset mining: the three miners against each other and against a
 * brute-force enumerator on random databases (all, closed, maximal, max_len, min_len), thread
 * independence of the output, support conventions, limits, the collection, the writers and
 * subsets. Readers are tested in test_fim_read.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/fim.h>
#include <crmkit/rng.h>

#include "crm_test.h"
#include "fim/fim_internal.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* A random database over n_items items, each transaction a random subset (items have
 * different probabilities so the supports differ), some transactions empty. */
static crm_fim_db *random_db(uint64_t seed, int32_t n_items, int32_t n_trans, double density)
{
    crm_fim_db *db = NULL;
    crm_rng rng;
    int32_t items[32];
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_fim_db_new(&db, NULL), CRM_OK);
    for (int32_t t = 0; t < n_trans; t++) {
        int32_t n = 0;
        for (int32_t i = 0; i < n_items; i++) {
            double p = density * (0.3 + 1.4 * (double)i / (double)n_items);
            if (crm_rng_uniform(&rng) < p) {
                items[n++] = 100 + (n_items - 1 - i) * 3; /* codes not in rank order */
            }
        }
        assert_int_equal(crm_fim_db_add_transaction(db, items, n, NULL, NULL), CRM_OK);
    }
    assert_int_equal(crm_fim_db_finish(db, NULL), CRM_OK);
    return db;
}

/* Brute force: the support of every one of the 2^n_items itemsets (n_items <= 16). */
static int64_t *brute_supports(const crm_fim_db *db)
{
    int32_t n = crm_fim_db_n_items(db);
    uint32_t full = 1u << n;
    int64_t *sup = calloc(full, sizeof *sup);
    int64_t *exact = calloc(full, sizeof *exact);
    assert_non_null(sup);
    assert_non_null(exact);
    for (int64_t t = 0; t < crm_fim_db_n_transactions(db); t++) {
        const int32_t *it;
        int32_t len = crm_fim_db_transaction(db, t, &it);
        uint32_t mask = 0;
        for (int32_t k = 0; k < len; k++) {
            mask |= 1u << it[k];
        }
        exact[mask]++;
    }
    /* superset sums: sup[S] = sum of exact[T] over T containing S */
    memcpy(sup, exact, full * sizeof *sup);
    for (int32_t b = 0; b < n; b++) {
        for (uint32_t s = 0; s < full; s++) {
            if (!(s & (1u << b))) {
                sup[s] += sup[s | (1u << b)];
            }
        }
    }
    free(exact);
    return sup;
}

static int popcount(uint32_t x)
{
    int c = 0;
    while (x) {
        c += (int)(x & 1u);
        x >>= 1;
    }
    return c;
}

/* Is S reported for this mode, by the definitions. */
static int brute_keeps(const int64_t *sup,
                       int32_t n,
                       uint32_t s,
                       int64_t minsup,
                       int32_t min_len,
                       int32_t max_len,
                       crm_fim_mode mode)
{
    int len = popcount(s);
    if (s == 0 || sup[s] < minsup || len < min_len || (max_len > 0 && len > max_len)) {
        return 0;
    }
    for (int32_t b = 0; b < n && mode != CRM_FIM_ALL; b++) {
        uint32_t t = s | (1u << b);
        if (t == s || (max_len > 0 && len + 1 > max_len)) {
            continue;
        }
        if (mode == CRM_FIM_CLOSED && sup[t] == sup[s]) {
            return 0;
        }
        if (mode == CRM_FIM_MAXIMAL && sup[t] >= minsup) {
            return 0;
        }
    }
    return 1;
}

static void check_against_brute(const crm_fim_db *db, const int64_t *sup, const crm_fim_params *p)
{
    int32_t n = crm_fim_db_n_items(db);
    int64_t minsup = crm_fim_minsup_count(p, crm_fim_db_n_transactions(db));
    int64_t expected = 0;
    crm_itemsets *c = NULL;
    crm_error err;
    assert_int_equal(crm_fim_mine_collect(db, p, NULL, &c, &err), CRM_OK);
    for (uint32_t s = 1; s < (1u << n); s++) {
        if (brute_keeps(sup, n, s, minsup, p->min_len, p->max_len, p->mode)) {
            int32_t items[32], m = 0;
            for (int32_t b = 0; b < n; b++) {
                if (s & (1u << b)) {
                    items[m++] = b;
                }
            }
            expected++;
            if (crm_itemsets_support(c, items, m) != sup[s]) {
                fail_msg("algo %s mode %s minsup %lld: itemset mask %x support %lld, miner %lld",
                         crm_fim_algo_name(p->algo), crm_fim_mode_name(p->mode), (long long)minsup,
                         s, (long long)sup[s], (long long)crm_itemsets_support(c, items, m));
            }
        }
    }
    if (crm_itemsets_n_itemsets(c) != expected) {
        fail_msg("algo %s mode %s minsup %lld max_len %d: %lld itemsets, brute force %lld",
                 crm_fim_algo_name(p->algo), crm_fim_mode_name(p->mode), (long long)minsup,
                 (int)p->max_len, (long long)crm_itemsets_n_itemsets(c), (long long)expected);
    }
    crm_itemsets_free(c);
}

/* ---- miners ------------------------------------------------------------------------------ */

static void three_miners_equal_brute_force_on_random_databases(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        int32_t n_items = 6 + (int32_t)(seed % 7);
        double density = seed % 3 == 0 ? 0.7 : 0.35;
        crm_fim_db *db = random_db(seed, n_items, 40 + (int32_t)seed * 13, density);
        int64_t *sup = brute_supports(db);
        for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
            for (int mode = CRM_FIM_ALL; mode <= CRM_FIM_MAXIMAL; mode++) {
                crm_fim_params p = crm_fim_params_default();
                p.algo = (crm_fim_algo)a;
                p.mode = (crm_fim_mode)mode;
                p.n_threads = 1 + (int32_t)(seed % 2);
                p.minsup_count = 1 + (int64_t)(seed % 5) * 3;
                check_against_brute(db, sup, &p);
                p.max_len = 2 + (int32_t)(seed % 3);
                p.min_len = seed % 2 ? 1 : 2;
                check_against_brute(db, sup, &p);
                p.max_len = 0;
                p.min_len = 1;
                p.minsup_count = 0;
                p.minsup = 0.3;
                check_against_brute(db, sup, &p);
            }
        }
        free(sup);
        crm_fim_db_free(db);
    }
}

typedef struct trace {
    char *text;
    size_t len, cap;
} trace;

static crm_status trace_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    trace *t = ud;
    char line[512];
    int k = 0;
    (void)err;
    for (int32_t i = 0; i < n && k < 400; i++) {
        k += snprintf(line + k, sizeof line - (size_t)k, "%d ", (int)items[i]);
        if (i > 0 && items[i] <= items[i - 1]) {
            fail_msg("items not sorted ascending");
        }
    }
    k += snprintf(line + k, sizeof line - (size_t)k, "#%lld\n", (long long)sup);
    if (t->len + (size_t)k + 1 > t->cap) {
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->text = realloc(t->text, t->cap);
        assert_non_null(t->text);
    }
    memcpy(t->text + t->len, line, (size_t)k + 1);
    t->len += (size_t)k;
    return CRM_OK;
}

static void output_order_does_not_depend_on_threads(void **state)
{
    /* the second database is big enough for N-List to insert its transactions into one
     * tree per thread and merge them */
    crm_fim_db *dbs[2] = { random_db(77, 14, 400, 0.5), random_db(78, 24, 9000, 0.3) };
    int64_t minsups[2] = { 6, 300 };
    (void)state;
    for (int k = 0; k < 2; k++) {
        for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
            trace ref = { 0 };
            for (int32_t threads = 1; threads <= 5; threads++) {
                trace t = { 0 };
                crm_itemset_sink s;
                crm_fim_params p = crm_fim_params_default();
                p.algo = (crm_fim_algo)a;
                p.minsup_count = minsups[k];
                p.n_threads = threads;
                s.fn = trace_sink;
                s.ud = threads == 1 ? &ref : &t;
                assert_int_equal(crm_fim_mine(dbs[k], &p, &s, NULL, NULL, NULL), CRM_OK);
                if (threads == 1) {
                    if (ref.len <= 1000) {
                        fail_msg("trace too short: %zu", ref.len);
                    }
                    continue;
                }
                assert_int_equal(ref.len, t.len);
                assert_memory_equal(ref.text, t.text, ref.len);
                free(t.text);
            }
            free(ref.text);
        }
        crm_fim_db_free(dbs[k]);
    }
}

typedef struct digest {
    int64_t n, sup_sum, pairs;
    uint64_t mix;
} digest;

/* Order-independent digest of the itemsets a miner reports. */
static crm_status
digest_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    digest *d = ud;
    uint64_t h = 1469598103934665603ULL;
    (void)err;
    for (int32_t i = 0; i < n; i++) {
        h = (h ^ (uint64_t)items[i]) * 1099511628211ULL;
    }
    d->n++;
    d->pairs += n == 2;
    d->sup_sum += sup;
    d->mix += h * (uint64_t)(2 * sup + 1);
    return CRM_OK;
}

/* N-List against FP-Growth on db at minsup, one and two threads; returns the frequent items. */
static int32_t nlist_matches_fpgrowth_at(const crm_fim_db *db, int64_t minsup)
{
    digest ref = { 0 };
    int32_t n_frequent = 0;
    for (int a = CRM_FIM_FPGROWTH; a >= CRM_FIM_NLIST; a--) {
        for (int32_t threads = 1; threads <= 2; threads++) {
            crm_fim_params p = crm_fim_params_default();
            crm_itemset_sink s;
            crm_fim_stats st;
            digest d = { 0 };
            p.algo = (crm_fim_algo)a;
            p.n_threads = threads;
            p.minsup_count = minsup;
            s.fn = digest_sink;
            s.ud = &d;
            assert_int_equal(crm_fim_mine(db, &p, &s, NULL, &st, NULL), CRM_OK);
            n_frequent = st.n_frequent_items;
            if (a == CRM_FIM_FPGROWTH && threads == 1) {
                ref = d;
                assert_true(d.pairs > 20);
            } else {
                assert_int_equal(d.n, ref.n);
                assert_int_equal(d.sup_sum, ref.sup_sum);
                assert_true(d.mix == ref.mix);
            }
        }
    }
    return n_frequent;
}

static void nlist_tree_by_insertion_and_by_sorting_match_fpgrowth(void **state)
{
    /* N-List builds its tree from the sorted distinct transactions as 128-bit keys when
     * there are at most 128 frequent items (one or two 64-bit words), inserts the
     * transactions when there are at most 144 and sorts them otherwise; one item in most
     * transactions gives its node hundreds of children (looked up through a hash once there
     * are more than 8). Each build, on either side of 64, 128 and 144 items (and past 256),
     * must give FP-Growth's itemsets. */
    int seen[4] = { 0 };
    crm_fim_db *db = NULL;
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 11);
    assert_int_equal(crm_fim_db_new(&db, NULL), CRM_OK);
    for (int32_t t = 0; t < 6000; t++) {
        int32_t items[300];
        int32_t n = 0;
        if (crm_rng_uniform(&rng) < 0.9) {
            items[n++] = 0;
        }
        for (int32_t i = 1; i < 300; i++) {
            if (crm_rng_uniform(&rng) < 0.002 + 0.02 * (double)i / 299.0) {
                items[n++] = i;
            }
        }
        assert_int_equal(crm_fim_db_add_transaction(db, items, n, NULL, NULL), CRM_OK);
    }
    assert_int_equal(crm_fim_db_finish(db, NULL), CRM_OK);
    assert_true(nlist_matches_fpgrowth_at(db, 3) > 256);
    assert_true(nlist_matches_fpgrowth_at(db, 52) > 144);
    assert_true(nlist_matches_fpgrowth_at(db, 70) > 144);
    assert_true(nlist_matches_fpgrowth_at(db, 80) <= 144);
    assert_true(nlist_matches_fpgrowth_at(db, 100) <= 144);
    for (int64_t minsup = 76; minsup <= 108; minsup += 2) {
        int32_t n = nlist_matches_fpgrowth_at(db, minsup);
        seen[0] |= n > 48 && n <= 64;
        seen[1] |= n > 64 && n <= 80;
        seen[2] |= n > 112 && n <= 128;
        seen[3] |= n > 128 && n <= 144;
    }
    for (int k = 0; k < 4; k++) {
        if (!seen[k]) {
            fail_msg("no support gave frequent items in range %d", k);
        }
    }
    crm_fim_db_free(db);
}

static void nlist_with_a_large_pair_table_matches_fpgrowth(void **state)
{
    /* 2,000 frequent items in correlated groups of 10: a 2-itemset table of 8 MiB (built up
     * to 16 MiB), more than 144 items (the sorted tree build, its sort and recoding split over
     * two threads above 4096 transactions), and deep classes whose walks read the records of
     * the level above. */
    crm_fim_db *db = NULL;
    crm_rng rng;
    int32_t n_frequent;
    (void)state;
    crm_rng_seed(&rng, 23);
    assert_int_equal(crm_fim_db_new(&db, NULL), CRM_OK);
    for (int32_t t = 0; t < 8000; t++) {
        int32_t items[10], n = 0, g = (int32_t)(crm_rng_uniform(&rng) * 200);
        for (int32_t i = 0; i < 10; i++) {
            if (crm_rng_uniform(&rng) < 0.5) {
                items[n++] = 10 * g + i;
            }
        }
        assert_int_equal(crm_fim_db_add_transaction(db, items, n, NULL, NULL), CRM_OK);
    }
    assert_int_equal(crm_fim_db_finish(db, NULL), CRM_OK);
    n_frequent = nlist_matches_fpgrowth_at(db, 3);
    assert_true(n_frequent > 1448 && n_frequent <= 2000);
    crm_fim_db_free(db);
}

static void nlist_without_the_pair_table_matches_fpgrowth(void **state)
{
    /* About 4,500 frequent items: the 2-itemset table would exceed its size cap, so the
     * N-list miner counts pairs by walking the tree instead; both ways must agree with
     * FP-Growth, at one and two threads. */
    crm_fim_db *db = NULL;
    crm_rng rng;
    digest ref = { 0 };
    (void)state;
    crm_rng_seed(&rng, 5);
    assert_int_equal(crm_fim_db_new(&db, NULL), CRM_OK);
    for (int32_t t = 0; t < 9000; t++) {
        int32_t items[8];
        int32_t n = 0;
        items[n++] = t % 4500;
        items[n++] = 4500 + (int32_t)(crm_rng_uniform(&rng) * 40);
        items[n++] = 4600 + (int32_t)(crm_rng_uniform(&rng) * 5);
        if (crm_rng_uniform(&rng) < 0.5) {
            items[n++] = (t * 7) % 4500;
        }
        assert_int_equal(crm_fim_db_add_transaction(db, items, n, NULL, NULL), CRM_OK);
    }
    assert_int_equal(crm_fim_db_finish(db, NULL), CRM_OK);
    for (int a = CRM_FIM_FPGROWTH; a >= CRM_FIM_NLIST; a--) {
        for (int32_t threads = 1; threads <= 2; threads++) {
            {
                crm_fim_params p = crm_fim_params_default();
                crm_itemset_sink s;
                digest d = { 0 };
                p.algo = (crm_fim_algo)a;
                p.n_threads = threads;
                p.minsup_count = 2;
                s.fn = digest_sink;
                s.ud = &d;
                assert_int_equal(crm_fim_mine(db, &p, &s, NULL, NULL, NULL), CRM_OK);
                if (a == CRM_FIM_FPGROWTH && threads == 1) {
                    ref = d;
                    assert_true(d.n > 4500 && d.pairs > 1000);
                } else {
                    assert_int_equal(d.n, ref.n);
                    assert_int_equal(d.sup_sum, ref.sup_sum);
                    assert_true(d.mix == ref.mix);
                }
            }
        }
    }
    crm_fim_db_free(db);
}

static void fixture_counts_match_an_independent_eclat(void **state)
{
    /* Counts from a separate set-based Eclat over the same files (see tests/data/fim/README). */
    static const struct {
        const char *file;
        int64_t minsup;
        int64_t n;
        int32_t max_len;
    } cases[] = {
        { "data/fim/t10_head1000.dat", 20, 172, 2 },
        { "data/fim/t10_head1000.dat", 10, 505, 5 },
        { "data/fim/t10_head1000.dat", 5, 3890, 10 },
        { "data/fim/mushroom_head300.dat", 150, 12095, 13 },
    };
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *path = crm_test_path(cases[k].file);
        crm_fim_db *db = NULL;
        crm_error err;
        assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_OK);
        for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
            crm_itemsets *c = NULL;
            crm_fim_params p = crm_fim_params_default();
            crm_fim_stats st;
            crm_itemset_sink s;
            p.algo = (crm_fim_algo)a;
            p.minsup_count = cases[k].minsup;
            assert_int_equal(crm_itemsets_new(crm_fim_db_n_transactions(db), &c, NULL), CRM_OK);
            s = crm_itemsets_sink(c);
            assert_int_equal(crm_fim_mine(db, &p, &s, NULL, &st, &err), CRM_OK);
            assert_int_equal(st.n_itemsets, cases[k].n);
            assert_int_equal(st.max_len, cases[k].max_len);
            assert_int_equal(crm_itemsets_n_itemsets(c), cases[k].n);
            /* monotone supports: every subset at least as frequent */
            for (int64_t i = 0; i < crm_itemsets_n_itemsets(c); i += 97) {
                const int32_t *items;
                int64_t sup;
                int32_t len = crm_itemsets_get(c, i, &items, &sup);
                for (int32_t drop = 0; drop < len && len > 1; drop++) {
                    int32_t sub[64], m = 0;
                    for (int32_t j = 0; j < len; j++) {
                        if (j != drop) {
                            sub[m++] = items[j];
                        }
                    }
                    assert_true(crm_itemsets_support(c, sub, m) >= sup);
                }
            }
            crm_itemsets_free(c);
        }
        crm_fim_db_free(db);
        free(path);
    }
}

/* ---- params and limits -------------------------------------------------------------------- */

static void minsup_fraction_is_ceiling_of_s_times_n(void **state)
{
    crm_fim_params p = crm_fim_params_default();
    (void)state;
    p.minsup = 0.01;
    assert_int_equal(crm_fim_minsup_count(&p, 88162), 882);
    p.minsup = 0.9;
    assert_int_equal(crm_fim_minsup_count(&p, 3196), 2877);
    p.minsup = 0.95;
    assert_int_equal(crm_fim_minsup_count(&p, 67557), 64180);
    p.minsup = 0.5;
    assert_int_equal(crm_fim_minsup_count(&p, 8124), 4062);
    p.minsup = 0.07; /* 0.07 * 100 is 7.000000000000001 in doubles */
    assert_int_equal(crm_fim_minsup_count(&p, 100), 7);
    p.minsup = 1e-9;
    assert_int_equal(crm_fim_minsup_count(&p, 10), 1);
    p.minsup_count = 50;
    assert_int_equal(crm_fim_minsup_count(&p, 10), 50);
}

static void params_check_rejects_bad_support_and_lengths(void **state)
{
    crm_fim_params p = crm_fim_params_default();
    crm_error err;
    (void)state;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_OK);
    p.minsup = 0.0;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_EINVAL);
    assert_string_equal(err.field, "minsup");
    assert_non_null(strstr(err.msg, "(0, 1]"));
    p.minsup = 1.5;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_EINVAL);
    p.minsup = 1.0;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_OK);
    p.minsup_count = -3;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_EINVAL);
    p = crm_fim_params_default();
    p.min_len = 3;
    p.max_len = 2;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_EINVAL);
    p = crm_fim_params_default();
    p.algo = (crm_fim_algo)9;
    assert_int_equal(crm_fim_params_check(&p, &err), CRM_EINVAL);
    crm_fim_algo a;
    assert_int_equal(crm_fim_algo_parse("fpgrowth", &a, &err), CRM_OK);
    assert_int_equal(a, CRM_FIM_FPGROWTH);
    assert_int_equal(crm_fim_algo_parse("eclat", &a, &err), CRM_EINVAL);
}

static void too_many_itemsets_stop_with_a_clear_limit_error(void **state)
{
    crm_fim_db *db = random_db(5, 16, 200, 0.8);
    (void)state;
    for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
        for (int threads = 1; threads <= 2; threads++) {
            crm_itemsets *c = NULL;
            crm_error err;
            crm_fim_params p = crm_fim_params_default();
            p.algo = (crm_fim_algo)a;
            p.minsup_count = 1;
            p.max_itemsets = 1000;
            p.n_threads = threads;
            assert_int_equal(crm_fim_mine_collect(db, &p, NULL, &c, &err), CRM_ELIMIT);
            assert_null(c);
            assert_non_null(strstr(err.msg, "more than 1000 itemsets"));
            assert_non_null(strstr(err.msg, "minimum support"));
        }
    }
    crm_fim_db_free(db);
}

static void memory_limit_stops_with_a_limit_error(void **state)
{
    crm_fim_db *db = random_db(9, 16, 3000, 0.6);
    (void)state;
    for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
        crm_itemsets *c = NULL;
        crm_error err;
        crm_fim_params p = crm_fim_params_default();
        p.algo = (crm_fim_algo)a;
        p.minsup_count = 1;
        p.max_memory_bytes = 20000;
        p.n_threads = 1;
        assert_int_equal(crm_fim_mine_collect(db, &p, NULL, &c, &err), CRM_ELIMIT);
        assert_non_null(strstr(err.msg, "memory limit"));
    }
    crm_fim_db_free(db);
}

static crm_status
failing_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    int *calls = ud;
    (void)items;
    (void)n;
    (void)sup;
    if (++*calls == 3) {
        (void)err;
        return CRM_EIO;
    }
    return CRM_OK;
}

static void a_failing_sink_stops_mining_with_its_status(void **state)
{
    crm_fim_db *db = random_db(3, 10, 100, 0.5);
    (void)state;
    for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
        int calls = 0;
        crm_itemset_sink s = { failing_sink, &calls };
        crm_error err;
        crm_fim_params p = crm_fim_params_default();
        p.algo = (crm_fim_algo)a;
        p.minsup_count = 2;
        assert_int_equal(crm_fim_mine(db, &p, &s, NULL, NULL, &err), CRM_EIO);
        assert_int_equal(calls, 3);
        assert_true(err.msg[0] != '\0');
    }
    crm_fim_db_free(db);
}

static void mining_an_unfinished_database_is_a_state_error(void **state)
{
    crm_fim_db *db = NULL;
    int32_t items[] = { 1, 2 };
    crm_itemsets *c = NULL;
    crm_fim_params p = crm_fim_params_default();
    crm_error err;
    (void)state;
    assert_int_equal(crm_fim_db_new(&db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_transaction(db, items, 2, NULL, &err), CRM_OK);
    assert_int_equal(crm_fim_mine_collect(db, &p, NULL, &c, &err), CRM_ESTATE);
    assert_int_equal(crm_fim_db_finish(db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_transaction(db, items, 2, NULL, &err), CRM_ESTATE);
    items[0] = -1;
    crm_fim_db_free(db);
    assert_int_equal(crm_fim_db_new(&db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_transaction(db, items, 2, NULL, &err), CRM_EINVAL);
    crm_fim_db_free(db);
}

/* ---- database, collection, writers ------------------------------------------------------- */

static void named_database_recodes_to_name_order_and_keeps_customers(void **state)
{
    static const char *const t0[] = { "tones", "data", "tones", "" };
    static const char *const t1[] = { "news", "data" };
    crm_fim_db *db = NULL, *sub = NULL;
    const int32_t *it;
    int64_t rows[] = { 1, 1 };
    crm_error err;
    (void)state;
    assert_int_equal(crm_fim_db_new(&db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_named(db, t0, 4, "c1", &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_named(db, t1, 2, "c2", &err), CRM_OK);
    assert_int_equal(crm_fim_db_add_transaction(db, (const int32_t[]){ 1 }, 1, NULL, &err),
                     CRM_EINVAL);
    assert_int_equal(crm_fim_db_finish(db, &err), CRM_OK);
    assert_true(crm_fim_db_has_names(db));
    assert_int_equal(crm_fim_db_n_items(db), 3);
    assert_string_equal(crm_fim_db_item_name(db, 0), "data");
    assert_string_equal(crm_fim_db_item_name(db, 1), "news");
    assert_string_equal(crm_fim_db_item_name(db, 2), "tones");
    assert_int_equal(crm_fim_db_find_item(db, "tones"), 2);
    assert_int_equal(crm_fim_db_find_item(db, "radio"), -1);
    assert_int_equal(crm_fim_db_item_code(db, 0), -1);
    assert_int_equal(crm_fim_db_transaction(db, 0, &it), 2); /* duplicate and "" dropped */
    assert_int_equal(it[0], 0);
    assert_int_equal(it[1], 2);
    assert_int_equal(crm_fim_db_item_support(db, 0), 2);
    assert_string_equal(crm_fim_db_customer(db, 1), "c2");
    assert_int_equal(crm_fim_db_find_customer(db, "c2"), 1);
    assert_int_equal(crm_fim_db_find_customer(db, "c9"), -1);
    assert_int_equal(crm_fim_db_subset(db, rows, 2, &sub, &err), CRM_OK);
    assert_int_equal(crm_fim_db_n_transactions(sub), 2);
    assert_int_equal(crm_fim_db_n_items(sub), 3);
    assert_int_equal(crm_fim_db_item_support(sub, 1), 2);
    assert_int_equal(crm_fim_db_item_support(sub, 2), 0);
    assert_string_equal(crm_fim_db_item_name(sub, 2), "tones");
    assert_string_equal(crm_fim_db_customer(sub, 0), "c2");
    crm_fim_db_free(sub);
    rows[0] = 5;
    assert_int_equal(crm_fim_db_subset(db, rows, 1, &sub, &err), CRM_EINVAL);
    crm_fim_db_free(db);
}

static void collection_finds_supports_and_sorts_canonically(void **state)
{
    crm_itemsets *c = NULL;
    crm_itemset_sink s;
    const int32_t *it;
    int64_t sup;
    crm_error err;
    (void)state;
    assert_int_equal(crm_itemsets_new(10, &c, &err), CRM_OK);
    s = crm_itemsets_sink(c);
    assert_int_equal(s.fn(s.ud, (const int32_t[]){ 1, 4 }, 2, 5, &err), CRM_OK);
    assert_int_equal(s.fn(s.ud, (const int32_t[]){ 4 }, 1, 7, &err), CRM_OK);
    assert_int_equal(s.fn(s.ud, (const int32_t[]){ 1 }, 1, 6, &err), CRM_OK);
    assert_int_equal(s.fn(s.ud, (const int32_t[]){ 1, 4 }, 2, 5, &err), CRM_EINVAL);
    assert_int_equal(crm_itemsets_support(c, (const int32_t[]){ 4, 1 }, 2), 5);
    assert_int_equal(crm_itemsets_support(c, (const int32_t[]){ 2 }, 1), -1);
    assert_int_equal(crm_itemsets_support(c, NULL, 0), 10);
    assert_int_equal(crm_itemsets_sort(c, &err), CRM_OK);
    assert_int_equal(crm_itemsets_get(c, 0, &it, &sup), 1);
    assert_int_equal(it[0], 1);
    assert_int_equal(sup, 6);
    assert_int_equal(crm_itemsets_get(c, 2, &it, &sup), 2);
    assert_int_equal(crm_itemsets_get(c, 3, &it, &sup), 0);
    assert_int_equal(crm_itemsets_support(c, (const int32_t[]){ 1, 4 }, 2), 5);
    crm_itemsets_free(c);
}

static char *write_with(crm_fim_db *db, crm_itemset_format f, const crm_fim_params *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    crm_itemset_writer *w = NULL;
    crm_itemset_sink s;
    assert_non_null(fp);
    assert_int_equal(crm_itemset_writer_new(fp, f, db, &w, NULL), CRM_OK);
    s = crm_itemset_writer_sink(w);
    assert_int_equal(crm_fim_mine(db, p, &s, NULL, NULL, NULL), CRM_OK);
    assert_int_equal(crm_itemset_writer_finish(w, NULL), CRM_OK);
    crm_itemset_writer_free(w);
    fclose(fp);
    return buf;
}

static void writers_print_spmf_csv_and_json(void **state)
{
    static const char text[] = "5 9 1\n9 5\n1 9 \n9\n";
    static const char named[] = "tea,\"milk\"\nmilk,tea\n";
    crm_fim_db *db = NULL;
    crm_fim_params p = crm_fim_params_default();
    crm_fim_read_options o = crm_fim_read_options_default();
    char *out;
    (void)state;
    p.minsup_count = 2;
    assert_int_equal(crm_fim_db_read_mem(text, sizeof text - 1, "t", NULL, &db, NULL), CRM_OK);
    out = write_with(db, CRM_ITEMSET_SPMF, &p);
    /* ranks: 9 (4), then 1 and 5 (2 each, tie broken by dictionary order); 9 is a perfect
     * extension of both; items inside an itemset in dictionary order */
    assert_string_equal(out, "9 #SUP: 4\n1 #SUP: 2\n1 9 #SUP: 2\n5 #SUP: 2\n5 9 #SUP: 2\n");
    free(out);
    p.min_len = 2;
    out = write_with(db, CRM_ITEMSET_CSV, &p);
    assert_string_equal(out, "items,size,support,relative_support\n\"{1,9}\",2,2,0.5\n"
                             "\"{5,9}\",2,2,0.5\n");
    free(out);
    out = write_with(db, CRM_ITEMSET_JSON, &p);
    assert_string_equal(out, "[\n{\"items\":[1,9],\"support\":2,\"relative_support\":0.5},\n"
                             "{\"items\":[5,9],\"support\":2,\"relative_support\":0.5}\n]\n");
    free(out);
    crm_fim_db_free(db);
    o.format = CRM_FIM_FORMAT_BASKET;
    assert_int_equal(crm_fim_db_read_mem(named, sizeof named - 1, "n", &o, &db, NULL), CRM_OK);
    p.min_len = 1;
    p.minsup_count = 1;
    out = write_with(db, CRM_ITEMSET_JSON, &p);
    assert_non_null(strstr(out, "{\"items\":[\"\\\"milk\\\"\"],\"support\":1,"));
    free(out);
    out = write_with(db, CRM_ITEMSET_CSV, &p);
    assert_non_null(strstr(out, "\"{\"\"milk\"\"}\",1,1,0.5\n"));
    free(out);
    crm_fim_db_free(db);
}

/* ---- the lexicographic sort of transactions (radix on packed chunks) --------------------- */

static const int64_t *cmp_off;
static const int32_t *cmp_items;

/* full comparison, ties by index: the stable order the sort must give */
static int cmp_seq(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    int64_t na = cmp_off[a + 1] - cmp_off[a], nb = cmp_off[b + 1] - cmp_off[b];
    for (int64_t i = 0; i < na && i < nb; i++) {
        int32_t x = cmp_items[cmp_off[a] + i], y = cmp_items[cmp_off[b] + i];
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    if (na != nb) {
        return na < nb ? -1 : 1;
    }
    return a < b ? -1 : a > b;
}

static void lex_sort_orders_like_a_full_comparison(void **state)
{
    /* alphabets from 1 symbol (1 bit a rank) to 70,000 (17 bits), sequences empty to 60
     * long, many sharing long prefixes (so equal chunks are sorted again, several levels
     * deep) and many equal (their order kept) */
    static const int32_t alphabets[] = { 1, 2, 3, 200, 256, 70000 };
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 11);
    for (size_t ai = 0; ai < sizeof alphabets / sizeof alphabets[0]; ai++) {
        for (int64_t n = 1; n <= 3000; n = n * 3 + 1) {
            int32_t syms = alphabets[ai];
            int64_t *off = malloc((size_t)(n + 1) * sizeof *off);
            int32_t *items = malloc((size_t)n * 61 * sizeof *items);
            int64_t *a = malloc((size_t)n * sizeof *a), *want = malloc((size_t)n * sizeof *want);
            int64_t *tmp = malloc(3 * (size_t)n * sizeof *tmp);
            assert_non_null(items);
            off[0] = 0;
            for (int64_t t = 0; t < n; t++) {
                int64_t len = (int64_t)(crm_rng_next(&rng) % 61), b = off[t];
                int copy = t > 0 && crm_rng_next(&rng) % 2 == 0;
                for (int64_t i = 0; i < len; i++) {
                    int64_t prev = off[t - (t > 0)] + i;
                    items[b + i] = copy && t > 0 && prev < off[t] && i < len - 1
                                       ? items[prev]
                                       : (int32_t)(crm_rng_next(&rng) % (uint64_t)syms);
                }
                off[t + 1] = b + len;
                a[t] = want[t] = t;
            }
            cmp_off = off;
            cmp_items = items;
            qsort(want, (size_t)n, sizeof *want, cmp_seq);
            crm__fim_lex_sort(off, items, syms, a, tmp, n);
            assert_memory_equal(a, want, (size_t)n * sizeof *a);
            free(off);
            free(items);
            free(a);
            free(want);
            free(tmp);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_miners_equal_brute_force_on_random_databases),
        cmocka_unit_test(output_order_does_not_depend_on_threads),
        cmocka_unit_test(fixture_counts_match_an_independent_eclat),
        cmocka_unit_test(nlist_with_a_large_pair_table_matches_fpgrowth),
        cmocka_unit_test(nlist_without_the_pair_table_matches_fpgrowth),
        cmocka_unit_test(nlist_tree_by_insertion_and_by_sorting_match_fpgrowth),
        cmocka_unit_test(minsup_fraction_is_ceiling_of_s_times_n),
        cmocka_unit_test(params_check_rejects_bad_support_and_lengths),
        cmocka_unit_test(too_many_itemsets_stop_with_a_clear_limit_error),
        cmocka_unit_test(memory_limit_stops_with_a_limit_error),
        cmocka_unit_test(a_failing_sink_stops_mining_with_its_status),
        cmocka_unit_test(mining_an_unfinished_database_is_a_state_error),
        cmocka_unit_test(named_database_recodes_to_name_order_and_keeps_customers),
        cmocka_unit_test(collection_finds_supports_and_sorts_canonically),
        cmocka_unit_test(writers_print_spmf_csv_and_json),
        cmocka_unit_test(lex_sort_orders_like_a_full_comparison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
