/* test_rules.c: association rules: metrics by hand, brute-force enumeration on random data,
 * sort order, top-N, save/load, damaged files, recommendations, out-of-memory paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rng.h>
#include <crmkit/rules.h>

#include "crm_test.h"

/* Frequent itemsets of a small DB given as item bitmasks, found by brute force. */
typedef struct bf_db {
    int32_t n_items;
    int32_t n_trans;
    uint32_t trans[256];
    int64_t count[1 << 10]; /* count of every subset mask */
    /* flat itemsets of the masks with count >= min_count */
    int64_t n_sets;
    int64_t offsets[1 << 10];
    int32_t items[10 << 10];
    int64_t counts[1 << 10];
} bf_db;

static void bf_count(bf_db *db)
{
    for (uint32_t m = 0; m < (1u << db->n_items); m++) {
        int64_t c = 0;
        for (int32_t t = 0; t < db->n_trans; t++) {
            c += (db->trans[t] & m) == m;
        }
        db->count[m] = c;
    }
}

/* Frequent itemsets in the order given by perm (a permutation of masks), or natural order. */
static void bf_itemsets(bf_db *db, int64_t min_count, const uint32_t *perm)
{
    int64_t at = 0;
    db->n_sets = 0;
    db->offsets[0] = 0;
    for (uint32_t k = 0; k < (1u << db->n_items); k++) {
        uint32_t m = perm ? perm[k] : k;
        if (m == 0 || db->count[m] < min_count) {
            continue;
        }
        for (int32_t i = 0; i < db->n_items; i++) {
            if (m & (1u << i)) {
                db->items[at++] = i;
            }
        }
        db->counts[db->n_sets] = db->count[m];
        db->offsets[++db->n_sets] = at;
    }
}

static crm_rules_itemsets bf_view(const bf_db *db, int64_t min_count)
{
    crm_rules_itemsets v;
    memset(&v, 0, sizeof v);
    v.n_itemsets = db->n_sets;
    v.offsets = db->offsets;
    v.items = db->items;
    v.counts = db->counts;
    v.n_transactions = db->n_trans;
    v.min_count = min_count;
    return v;
}

static const char *names10[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };

static crm_rules *new_rules(int32_t n_items)
{
    crm_rules *r = NULL;
    crm_error err;
    assert_int_equal(crm_rules_new(names10, n_items, &r, &err), CRM_OK);
    return r;
}

static uint32_t mask_of(const int32_t *ids, int32_t n)
{
    uint32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        m |= 1u << ids[i];
    }
    return m;
}

/* The hand example: 5 transactions over a..d.
 *   {a,b,c} {a,b} {a,c} {b,d} {a,b,c,d}
 * c(a)=4 c(b)=4 c(c)=3 c(d)=2 c(ab)=3 c(ac)=3 c(bc)=2 c(abc)=2 ... */
static void fill_hand(bf_db *db)
{
    memset(db, 0, sizeof *db);
    db->n_items = 4;
    db->n_trans = 5;
    db->trans[0] = 0x7;
    db->trans[1] = 0x3;
    db->trans[2] = 0x5;
    db->trans[3] = 0xa;
    db->trans[4] = 0xf;
    bf_count(db);
    bf_itemsets(db, 2, NULL);
}

static int64_t find_rule(const crm_rules *r, int32_t s, uint32_t lhs, uint32_t rhs)
{
    for (int64_t i = 0; i < crm_rules_n_rules(r, s); i++) {
        crm_rule q;
        assert_int_equal(crm_rules_rule(r, s, i, &q, NULL), CRM_OK);
        if (mask_of(q.lhs, q.n_lhs) == lhs && mask_of(q.rhs, q.n_rhs) == rhs) {
            return i;
        }
    }
    return -1;
}

static void rules_metrics_match_hand_computation(void **state)
{
    static bf_db db;
    crm_rules *r = new_rules(4);
    crm_rules_params p = crm_rules_params_default();
    crm_rules_itemsets v;
    crm_rule q;
    crm_error err;
    int64_t i;
    (void)state;
    fill_hand(&db);
    v = bf_view(&db, 2);
    p.min_conf = 0.0;
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_OK);
    /* a -> c: c(ac)=3, c(a)=4, c(c)=3, N=5 */
    i = find_rule(r, 0, 0x1, 0x4);
    assert_true(i >= 0);
    assert_int_equal(crm_rules_rule(r, 0, i, &q, &err), CRM_OK);
    assert_int_equal(q.count, 3);
    assert_int_equal(q.lhs_count, 4);
    assert_int_equal(q.rhs_count, 3);
    crm_assert_close(q.support, 0.6, 0, 1e-15);
    crm_assert_close(q.confidence, 0.75, 0, 1e-15);
    crm_assert_close(q.lift, 1.25, 0, 1e-15);                         /* 0.75 / 0.6 */
    crm_assert_close(q.leverage, 0.6 - 0.8 * 0.6, 0, 1e-15);          /* 0.12 */
    crm_assert_close(q.conviction, (1 - 0.6) / (1 - 0.75), 0, 1e-15); /* 1.6 */
    /* b,c -> a: c(abc)=2, c(bc)=2: confidence 1, conviction infinite */
    i = find_rule(r, 0, 0x6, 0x1);
    assert_true(i >= 0);
    assert_int_equal(crm_rules_rule(r, 0, i, &q, &err), CRM_OK);
    crm_assert_close(q.confidence, 1.0, 0, 0);
    crm_assert_close(q.lift, 1.25, 0, 1e-15);
    assert_true(isinf(q.conviction) && q.conviction > 0);
    /* a -> b,c: c(abc)=2 / c(a)=4 = 0.5; lift 0.5 / (2/5) = 1.25 */
    i = find_rule(r, 0, 0x1, 0x6);
    assert_true(i >= 0);
    assert_int_equal(crm_rules_rule(r, 0, i, &q, &err), CRM_OK);
    crm_assert_close(q.confidence, 0.5, 0, 1e-15);
    crm_assert_close(q.lift, 1.25, 0, 1e-15);
    /* b -> d: c(bd)=2, c(b)=4, c(d)=2: lift 0.5/0.4 = 1.25, leverage 0.4-0.8*0.4 = 0.08 */
    i = find_rule(r, 0, 0x2, 0x8);
    assert_true(i >= 0);
    assert_int_equal(crm_rules_rule(r, 0, i, &q, &err), CRM_OK);
    crm_assert_close(q.leverage, 0.08, 0, 1e-15);
    /* a -> d is not there: c(ad) = 1 < 2 */
    assert_true(find_rule(r, 0, 0x1, 0x8) < 0);
    assert_int_equal(crm_rules_set_item_count(r, 0, 0), 4);
    assert_int_equal(crm_rules_set_item_count(r, 0, 3), 2);
    crm_rules_free(r);
}

static void random_db(bf_db *db, crm_rng *rng, int32_t n_items, int32_t n_trans, double dens)
{
    memset(db, 0, sizeof *db);
    db->n_items = n_items;
    db->n_trans = n_trans;
    for (int32_t t = 0; t < n_trans; t++) {
        uint32_t m = 0;
        for (int32_t i = 0; i < n_items; i++) {
            /* correlated pairs make rules with high confidence appear */
            if (crm_rng_uniform(rng) < dens ||
                (i > 0 && (m & (1u << (i - 1))) && crm_rng_uniform(rng) < 0.5)) {
                m |= 1u << i;
            }
        }
        db->trans[t] = m;
    }
    bf_count(db);
}

static int64_t brute_rule_count(const bf_db *db, int64_t min_count, double min_conf)
{
    int64_t n = 0;
    for (uint32_t z = 1; z < (1u << db->n_items); z++) {
        if (db->count[z] < min_count) {
            continue;
        }
        for (uint32_t y = (z - 1) & z; y != 0; y = (y - 1) & z) {
            uint32_t x = z & ~y;
            if (x != 0 && (double)db->count[z] / (double)db->count[x] >= min_conf) {
                n++;
            }
        }
    }
    return n;
}

static void rules_equal_brute_force_on_random_dbs(void **state)
{
    static bf_db db;
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 11);
    for (int round = 0; round < 60; round++) {
        int32_t n_items = 3 + (int32_t)crm_rng_below(&rng, 6);
        int32_t n_trans = 10 + (int32_t)crm_rng_below(&rng, 60);
        int64_t min_count = 1 + (int64_t)crm_rng_below(&rng, 5);
        double min_conf = (double)crm_rng_below(&rng, 11) / 10.0;
        crm_rules *r = new_rules(n_items);
        crm_rules_params p = crm_rules_params_default();
        crm_rules_itemsets v;
        crm_error err;
        int64_t expect;
        random_db(&db, &rng, n_items, n_trans, 0.3);
        bf_itemsets(&db, min_count, NULL);
        v = bf_view(&db, min_count);
        p.min_conf = min_conf;
        p.sort = round % 2 ? CRM_RULES_SORT_CONFIDENCE : CRM_RULES_SORT_LIFT;
        assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_OK);
        expect = brute_rule_count(&db, min_count, min_conf);
        assert_int_equal(crm_rules_n_rules(r, 0), expect);
        for (int64_t i = 0; i < crm_rules_n_rules(r, 0); i++) {
            crm_rule q;
            uint32_t x;
            uint32_t y;
            assert_int_equal(crm_rules_rule(r, 0, i, &q, &err), CRM_OK);
            x = mask_of(q.lhs, q.n_lhs);
            y = mask_of(q.rhs, q.n_rhs);
            assert_true(x != 0 && y != 0 && (x & y) == 0);
            assert_int_equal(q.count, db.count[x | y]);
            assert_int_equal(q.lhs_count, db.count[x]);
            assert_int_equal(q.rhs_count, db.count[y]);
            assert_true(q.count >= min_count);
            assert_true(q.confidence >= min_conf);
            assert_true(q.confidence <= 1.0);
            assert_true(q.support <= q.confidence);
            crm_assert_close(q.lift, q.confidence / ((double)q.rhs_count / n_trans), 1e-12, 0);
        }
        crm_rules_free(r);
    }
}

/* Rules i and i+1 are in the documented order. */
static void assert_sorted(const crm_rules *r, int32_t s, crm_rules_sort sort)
{
    for (int64_t i = 0; i + 1 < crm_rules_n_rules(r, s); i++) {
        crm_rule a;
        crm_rule b;
        double a1;
        double b1;
        double a2;
        double b2;
        assert_int_equal(crm_rules_rule(r, s, i, &a, NULL), CRM_OK);
        assert_int_equal(crm_rules_rule(r, s, i + 1, &b, NULL), CRM_OK);
        a1 = sort == CRM_RULES_SORT_LIFT ? a.lift : a.confidence;
        b1 = sort == CRM_RULES_SORT_LIFT ? b.lift : b.confidence;
        a2 = sort == CRM_RULES_SORT_LIFT ? a.confidence : a.lift;
        b2 = sort == CRM_RULES_SORT_LIFT ? b.confidence : b.lift;
        assert_true(a1 >= b1);
        if (a1 == b1) {
            assert_true(a2 >= b2);
            if (a2 == b2) {
                assert_true(a.count >= b.count);
            }
        }
    }
}

static void rules_order_is_total_and_independent_of_input_order(void **state)
{
    static bf_db db;
    static uint32_t perm[1 << 8];
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 5);
    random_db(&db, &rng, 8, 80, 0.35);
    for (int sort = 0; sort < 2; sort++) {
        crm_rules *r1 = new_rules(8);
        crm_rules *r2 = new_rules(8);
        crm_rules_params p = crm_rules_params_default();
        crm_rules_itemsets v;
        int64_t idx[1 << 8];
        p.min_conf = 0.2;
        p.sort = (crm_rules_sort)sort;
        bf_itemsets(&db, 3, NULL);
        v = bf_view(&db, 3);
        assert_int_equal(crm_rules_add_set(r1, "all", &v, &p, NULL), CRM_OK);
        for (int64_t k = 0; k < 256; k++) {
            idx[k] = k;
        }
        crm_rng_shuffle(&rng, idx, 256);
        for (int k = 0; k < 256; k++) {
            perm[k] = (uint32_t)idx[k];
        }
        bf_itemsets(&db, 3, perm);
        v = bf_view(&db, 3);
        assert_int_equal(crm_rules_add_set(r2, "all", &v, &p, NULL), CRM_OK);
        assert_true(crm_rules_n_rules(r1, 0) > 20);
        assert_int_equal(crm_rules_n_rules(r1, 0), crm_rules_n_rules(r2, 0));
        assert_sorted(r1, 0, p.sort);
        for (int64_t i = 0; i < crm_rules_n_rules(r1, 0); i++) {
            crm_rule a;
            crm_rule b;
            assert_int_equal(crm_rules_rule(r1, 0, i, &a, NULL), CRM_OK);
            assert_int_equal(crm_rules_rule(r2, 0, i, &b, NULL), CRM_OK);
            assert_int_equal(mask_of(a.lhs, a.n_lhs), mask_of(b.lhs, b.n_lhs));
            assert_int_equal(mask_of(a.rhs, a.n_rhs), mask_of(b.rhs, b.n_rhs));
        }
        crm_rules_free(r1);
        crm_rules_free(r2);
    }
}

static void rules_top_keeps_the_first_n(void **state)
{
    static bf_db db;
    crm_rules *all = new_rules(4);
    crm_rules *cut = new_rules(4);
    crm_rules_params p = crm_rules_params_default();
    crm_rules_itemsets v;
    (void)state;
    fill_hand(&db);
    v = bf_view(&db, 2);
    p.min_conf = 0.0;
    assert_int_equal(crm_rules_add_set(all, "all", &v, &p, NULL), CRM_OK);
    p.top = 3;
    assert_int_equal(crm_rules_add_set(cut, "all", &v, &p, NULL), CRM_OK);
    assert_true(crm_rules_n_rules(all, 0) > 3);
    assert_int_equal(crm_rules_n_rules(cut, 0), 3);
    for (int64_t i = 0; i < 3; i++) {
        crm_rule a;
        crm_rule b;
        assert_int_equal(crm_rules_rule(all, 0, i, &a, NULL), CRM_OK);
        assert_int_equal(crm_rules_rule(cut, 0, i, &b, NULL), CRM_OK);
        assert_int_equal(mask_of(a.lhs, a.n_lhs), mask_of(b.lhs, b.n_lhs));
        assert_int_equal(mask_of(a.rhs, a.n_rhs), mask_of(b.rhs, b.n_rhs));
    }
    crm_rules_free(all);
    crm_rules_free(cut);
}

static void rules_reject_bad_params_and_inputs(void **state)
{
    static bf_db db;
    crm_rules *r = new_rules(4);
    crm_rules_params p = crm_rules_params_default();
    crm_rules_itemsets v;
    crm_error err;
    const char *dup[] = { "x", "y", "x" };
    crm_rules *d = NULL;
    (void)state;
    fill_hand(&db);
    v = bf_view(&db, 2);
    p.min_conf = 1.5;
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "confidence"));
    p = crm_rules_params_default();
    p.max_rules = 2;
    p.min_conf = 0;
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_ELIMIT);
    assert_non_null(strstr(err.msg, "more than 2 rules"));
    assert_int_equal(crm_rules_n_sets(r), 0);
    /* a missing subset (closed itemsets only, say) is reported, not guessed */
    v.n_itemsets = db.n_sets - 1;
    v.offsets = db.offsets + 1;
    v.counts = db.counts + 1;
    p = crm_rules_params_default();
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_EDATA);
    assert_int_equal(crm_rules_new(dup, 3, &d, &err), CRM_EINVAL);
    assert_null(d);
    v = bf_view(&db, 2);
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_OK);
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, &err), CRM_EINVAL);
    crm_rules_free(r);
}

/* Two sets (population and one segment) over the hand DB, with a pattern. */
static crm_rules *build_two_sets(void)
{
    static bf_db db;
    static bf_db seg;
    crm_rules *r = new_rules(4);
    crm_rules_params p = crm_rules_params_default();
    crm_rules_itemsets v;
    crm_segment_pattern pat;
    const int32_t pat_items[] = { 1, 3 };
    fill_hand(&db);
    v = bf_view(&db, 2);
    p.min_conf = 0.3;
    assert_int_equal(crm_rules_add_set(r, "all", &v, &p, NULL), CRM_OK);
    memset(&seg, 0, sizeof seg);
    seg.n_items = 4;
    seg.n_trans = 2;
    seg.trans[0] = 0xa;
    seg.trans[1] = 0xf;
    bf_count(&seg);
    bf_itemsets(&seg, 1, NULL);
    v = bf_view(&seg, 1);
    assert_int_equal(crm_rules_add_set(r, "Gold", &v, &p, NULL), CRM_OK);
    memset(&pat, 0, sizeof pat);
    pat.items = pat_items;
    pat.n_items = 2;
    pat.count = 2;
    pat.pop_count = 2;
    assert_int_equal(crm_rules_set_patterns(r, 1, &pat, 1, NULL), CRM_OK);
    return r;
}

static void assert_same_rules(const crm_rules *a, const crm_rules *b)
{
    assert_int_equal(crm_rules_n_items(a), crm_rules_n_items(b));
    for (int32_t i = 0; i < crm_rules_n_items(a); i++) {
        assert_string_equal(crm_rules_item_name(a, i), crm_rules_item_name(b, i));
    }
    assert_int_equal(crm_rules_n_sets(a), crm_rules_n_sets(b));
    for (int32_t s = 0; s < crm_rules_n_sets(a); s++) {
        assert_string_equal(crm_rules_set_name(a, s), crm_rules_set_name(b, s));
        assert_int_equal(crm_rules_set_n_transactions(a, s), crm_rules_set_n_transactions(b, s));
        assert_int_equal(crm_rules_n_rules(a, s), crm_rules_n_rules(b, s));
        assert_int_equal(crm_rules_n_patterns(a, s), crm_rules_n_patterns(b, s));
        for (int32_t i = 0; i < crm_rules_n_items(a); i++) {
            assert_int_equal(crm_rules_set_item_count(a, s, i), crm_rules_set_item_count(b, s, i));
        }
        for (int64_t i = 0; i < crm_rules_n_rules(a, s); i++) {
            crm_rule x;
            crm_rule y;
            assert_int_equal(crm_rules_rule(a, s, i, &x, NULL), CRM_OK);
            assert_int_equal(crm_rules_rule(b, s, i, &y, NULL), CRM_OK);
            assert_int_equal(x.n_lhs, y.n_lhs);
            assert_int_equal(x.n_rhs, y.n_rhs);
            assert_memory_equal(x.lhs, y.lhs, (size_t)x.n_lhs * sizeof(int32_t));
            assert_memory_equal(x.rhs, y.rhs, (size_t)x.n_rhs * sizeof(int32_t));
            assert_int_equal(x.count, y.count);
            assert_memory_equal(&x.lift, &y.lift, sizeof x.lift);
        }
        for (int64_t i = 0; i < crm_rules_n_patterns(a, s); i++) {
            crm_segment_pattern x;
            crm_segment_pattern y;
            assert_int_equal(crm_rules_pattern(a, s, i, &x, NULL), CRM_OK);
            assert_int_equal(crm_rules_pattern(b, s, i, &y, NULL), CRM_OK);
            assert_int_equal(x.n_items, y.n_items);
            assert_memory_equal(x.items, y.items, (size_t)x.n_items * sizeof(int32_t));
            assert_int_equal(x.count, y.count);
            assert_int_equal(x.pop_count, y.pop_count);
        }
    }
}

static char *save_tmp(const crm_rules *r, char **dir)
{
    char *path;
    crm_error err;
    *dir = crm_test_tmpdir();
    path = malloc(strlen(*dir) + 32);
    sprintf(path, "%s/r.crmr", *dir);
    assert_int_equal(crm_rules_save(r, path, &err), CRM_OK);
    return path;
}

static void rules_file_round_trips(void **state)
{
    crm_rules *r = build_two_sets();
    crm_rules *back = NULL;
    crm_segment_pattern pat;
    crm_error err;
    char *dir;
    char *path = save_tmp(r, &dir);
    (void)state;
    assert_int_equal(crm_rules_load(path, &back, &err), CRM_OK);
    assert_same_rules(r, back);
    assert_int_equal(crm_rules_find_set(back, "Gold"), 1);
    assert_int_equal(crm_rules_find_item(back, "d"), 3);
    assert_int_equal(crm_rules_find_item(back, "zz"), -1);
    assert_int_equal(crm_rules_pattern(back, 1, 0, &pat, &err), CRM_OK);
    crm_assert_close(pat.ratio, (2.0 / 2.0) / (2.0 / 5.0), 1e-15, 0);
    crm_rules_free(back);
    crm_rules_free(r);
    crm_test_rmdir(dir);
    free(dir);
    free(path);
}

static void rules_damaged_file_is_refused(void **state)
{
    crm_rules *r = build_two_sets();
    crm_rules *back = NULL;
    crm_error err;
    char *dir;
    char *path = save_tmp(r, &dir);
    size_t len;
    unsigned char *data = (unsigned char *)crm_test_read_file(path, &len);
    (void)state;
    assert_non_null(data);
    /* every truncation */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(crm_rules_load_mem(data, cut, "cut.crmr", &back, &err), CRM_EFORMAT);
        assert_null(back);
    }
    /* every flipped byte */
    for (size_t i = 0; i < len; i++) {
        crm_status rc;
        data[i] ^= 0x5a;
        rc = crm_rules_load_mem(data, len, "flip.crmr", &back, &err);
        data[i] ^= 0x5a;
        assert_int_equal(rc, CRM_EFORMAT);
        assert_null(back);
    }
    assert_int_equal(crm_rules_load_mem(data, len, "ok.crmr", &back, &err), CRM_OK);
    crm_rules_free(back);
    /* through the file path: a truncated file names itself */
    assert_int_equal(crm_test_write_file(path, "CRMKMODL"), 0);
    assert_int_equal(crm_rules_load(path, &back, &err), CRM_EFORMAT);
    free(data);
    crm_rules_free(r);
    crm_test_rmdir(dir);
    free(dir);
    free(path);
}

static void rules_recommend_ranks_fired_rules_then_popularity(void **state)
{
    crm_rules *r = build_two_sets();
    crm_recommendation rec[4];
    int32_t n = -1;
    const int32_t basket_a[] = { 0 };
    const int32_t basket_bc[] = { 2, 1, 1, -1 };
    crm_error err;
    (void)state;
    /* basket {a}: rules a->b (3/4), a->c (3/4), a->bc (2/4); b: conf .75 lift .9375,
       c: conf .75 lift 1.25, so c first; then popularity: d (2) */
    assert_int_equal(crm_rules_recommend(r, 0, basket_a, 1, 3, rec, &n, &err), CRM_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rec[0].item, 2);
    assert_int_equal(rec[0].source, CRM_REC_RULE);
    crm_assert_close(rec[0].confidence, 0.75, 0, 1e-15);
    crm_assert_close(rec[0].lift, 1.25, 0, 1e-15);
    assert_int_equal(rec[1].item, 1);
    assert_int_equal(rec[1].source, CRM_REC_RULE);
    crm_assert_close(rec[1].lift, 0.9375, 0, 1e-15);
    assert_int_equal(rec[2].item, 3);
    assert_int_equal(rec[2].source, CRM_REC_POPULARITY);
    assert_int_equal(rec[2].count, 2);
    /* basket {b,c}: bc->a has confidence 1 */
    assert_int_equal(crm_rules_recommend(r, 0, basket_bc, 4, 1, rec, &n, &err), CRM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rec[0].item, 0);
    crm_assert_close(rec[0].confidence, 1.0, 0, 0);
    /* segment Gold: a basket of nothing gets popularity only, by count then name */
    assert_int_equal(crm_rules_recommend(r, 1, NULL, 0, 4, rec, &n, &err), CRM_OK);
    assert_int_equal(n, 4);
    assert_int_equal(rec[0].item, 1); /* b: 2 */
    assert_int_equal(rec[1].item, 3); /* d: 2 */
    assert_int_equal(rec[2].item, 0); /* a: 1 */
    assert_int_equal(rec[3].item, 2); /* c: 1 */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rec[i].source, CRM_REC_POPULARITY);
    }
    assert_int_equal(crm_rules_recommend(r, 7, NULL, 0, 4, rec, &n, &err), CRM_EINVAL);
    crm_rules_free(r);
}

static void rules_csv_has_header_and_values(void **state)
{
    crm_rules *r = build_two_sets();
    char *dir = crm_test_tmpdir();
    char path[512];
    char *text;
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/r.csv", dir);
    assert_int_equal(crm_rules_write_csv(r, 0, path, &err), CRM_OK);
    text = crm_test_read_file(path, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "antecedent,consequent,support,confidence,lift,leverage,"
                                 "conviction,count,antecedent_count,consequent_count\n"));
    assert_non_null(strstr(text, "\nb;c,a,0.4,1,1.25,0.08,inf,2,2,4\n"));
    free(text);
    assert_int_equal(crm_rules_write_csv(r, -1, path, &err), CRM_OK);
    text = crm_test_read_file(path, NULL);
    assert_non_null(strstr(text, "\nGold,"));
    free(text);
    crm_rules_free(r);
    crm_test_rmdir(dir);
    free(dir);
}

static void rules_out_of_memory_frees_everything(void **state)
{
    crm_rules *r = build_two_sets();
    char *dir;
    char *path = save_tmp(r, &dir);
    size_t len;
    char *data = crm_test_read_file(path, &len);
    static bf_db db;
    crm_rules_itemsets v;
    crm_rules_params p = crm_rules_params_default();
    (void)state;
    fill_hand(&db);
    v = bf_view(&db, 2);
    p.min_conf = 0;
    for (long k = 0;; k++) {
        crm_rules *back = NULL;
        crm_status rc;
        crm_test_fail_after(k);
        rc = crm_rules_load_mem(data, len, "oom", &back, NULL);
        crm_rules_free(back);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
        if (rc == CRM_OK) {
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
    }
    for (long k = 0;; k++) {
        crm_rules *x = NULL;
        crm_status rc;
        crm_test_fail_after(k);
        rc = crm_rules_new(names10, 4, &x, NULL);
        if (rc == CRM_OK) {
            rc = crm_rules_add_set(x, "all", &v, &p, NULL);
            assert_int_equal(crm_rules_n_sets(x), rc == CRM_OK ? 1 : 0);
        }
        crm_rules_free(x);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
        if (rc == CRM_OK) {
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
    }
    free(data);
    crm_rules_free(r);
    crm_test_rmdir(dir);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_metrics_match_hand_computation),
        cmocka_unit_test(rules_equal_brute_force_on_random_dbs),
        cmocka_unit_test(rules_order_is_total_and_independent_of_input_order),
        cmocka_unit_test(rules_top_keeps_the_first_n),
        cmocka_unit_test(rules_reject_bad_params_and_inputs),
        cmocka_unit_test(rules_file_round_trips),
        cmocka_unit_test(rules_damaged_file_is_refused),
        cmocka_unit_test(rules_recommend_ranks_fired_rules_then_popularity),
        cmocka_unit_test(rules_csv_has_header_and_values),
        cmocka_unit_test(rules_out_of_memory_frees_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
