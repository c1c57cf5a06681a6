/* test_rules_mine.c: rules mined from a transaction database, per segment: a segment's set
 * equals the rules of its transactions mined alone, the three miners agree, distinctive
 * itemsets have the brute-force counts, threads change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/fim.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>
#include <crmkit/rules.h>

#include "crm_test.h"

#define N_TRANS 300
#define N_ITEMS 9

static uint32_t masks[N_TRANS];
static int32_t seg_of[N_TRANS];
static const char *const seg_names[] = { "gold", "silver", "bronze" };

/* Named items i0..i8; segment k favours items 3k..3k+2 together. */
static crm_fim_db *make_db(const int32_t *rows, int32_t n)
{
    crm_fim_db *db = NULL;
    crm_error err;
    assert_int_equal(crm_fim_db_new(&db, &err), CRM_OK);
    for (int32_t r = 0; r < n; r++) {
        int32_t t = rows ? rows[r] : r;
        const char *names[N_ITEMS];
        char buf[N_ITEMS][4];
        int32_t k = 0;
        char cust[16];
        for (int32_t i = 0; i < N_ITEMS; i++) {
            if (masks[t] & (1u << i)) {
                snprintf(buf[k], sizeof buf[k], "i%d", (int)i);
                names[k] = buf[k];
                k++;
            }
        }
        snprintf(cust, sizeof cust, "c%d", (int)t);
        assert_int_equal(crm_fim_db_add_named(db, names, k, cust, &err), CRM_OK);
    }
    assert_int_equal(crm_fim_db_finish(db, &err), CRM_OK);
    return db;
}

static void make_data(void)
{
    crm_rng rng;
    crm_rng_seed(&rng, 99);
    for (int32_t t = 0; t < N_TRANS; t++) {
        int32_t k = (int32_t)crm_rng_below(&rng, 3);
        uint32_t m = 0;
        seg_of[t] = t % 10 == 9 ? -1 : k;
        for (int32_t i = 0; i < N_ITEMS; i++) {
            double p = (i / 3 == k) ? 0.6 : 0.12;
            if (crm_rng_uniform(&rng) < p) {
                m |= 1u << i;
            }
        }
        masks[t] = m ? m : 1u;
    }
}

static crm_rules *mine(const crm_fim_db *db, crm_fim_algo algo, int32_t threads, int with_segs)
{
    crm_fim_params fp = crm_fim_params_default();
    crm_rules_params rp = crm_rules_params_default();
    crm_rules_segments segs = { seg_of, seg_names, 3 };
    crm_rules *r = NULL;
    crm_error err;
    fp.minsup = 0.05;
    fp.algo = algo;
    fp.n_threads = threads;
    fp.mode = CRM_FIM_CLOSED; /* ignored: rules need every frequent itemset */
    rp.min_conf = 0.3;
    assert_int_equal(crm_rules_mine(db, &fp, &rp, with_segs ? &segs : NULL, NULL, &r, &err),
                     CRM_OK);
    return r;
}

/* Rules of set s of a equal rules of set t of b (same dictionary order by name). */
static void assert_same_set(const crm_rules *a, int32_t s, const crm_rules *b, int32_t t)
{
    assert_int_equal(crm_rules_n_rules(a, s), crm_rules_n_rules(b, t));
    assert_true(crm_rules_n_rules(a, s) > 10);
    for (int64_t i = 0; i < crm_rules_n_rules(a, s); i++) {
        crm_rule x;
        crm_rule y;
        assert_int_equal(crm_rules_rule(a, s, i, &x, NULL), CRM_OK);
        assert_int_equal(crm_rules_rule(b, t, i, &y, NULL), CRM_OK);
        assert_int_equal(x.n_lhs, y.n_lhs);
        assert_int_equal(x.n_rhs, y.n_rhs);
        for (int32_t k = 0; k < x.n_lhs; k++) {
            assert_string_equal(crm_rules_item_name(a, x.lhs[k]), crm_rules_item_name(b, y.lhs[k]));
        }
        for (int32_t k = 0; k < x.n_rhs; k++) {
            assert_string_equal(crm_rules_item_name(a, x.rhs[k]), crm_rules_item_name(b, y.rhs[k]));
        }
        assert_int_equal(x.count, y.count);
        assert_int_equal(x.lhs_count, y.lhs_count);
        assert_int_equal(x.rhs_count, y.rhs_count);
    }
}

static void segment_sets_equal_mining_each_segment_alone(void **state)
{
    crm_fim_db *db = make_db(NULL, N_TRANS);
    crm_rules *r = mine(db, CRM_FIM_NLIST, 0, 1);
    (void)state;
    assert_int_equal(crm_rules_n_sets(r), 4);
    assert_string_equal(crm_rules_set_name(r, 0), "all");
    for (int32_t k = 0; k < 3; k++) {
        int32_t rows[N_TRANS];
        int32_t n = 0;
        crm_fim_db *sub;
        crm_rules *alone;
        for (int32_t t = 0; t < N_TRANS; t++) {
            if (seg_of[t] == k) {
                rows[n++] = t;
            }
        }
        sub = make_db(rows, n);
        alone = mine(sub, CRM_FIM_NLIST, 0, 0);
        assert_string_equal(crm_rules_set_name(r, k + 1), seg_names[k]);
        assert_int_equal(crm_rules_set_n_transactions(r, k + 1), n);
        assert_same_set(r, k + 1, alone, 0);
        crm_rules_free(alone);
        crm_fim_db_free(sub);
    }
    crm_rules_free(r);
    crm_fim_db_free(db);
}

static uint32_t mask_by_name(const crm_rules *r, const int32_t *ids, int32_t n)
{
    uint32_t m = 0;
    for (int32_t k = 0; k < n; k++) {
        m |= 1u << atoi(crm_rules_item_name(r, ids[k]) + 1);
    }
    return m;
}

static void distinctive_itemsets_have_brute_force_counts(void **state)
{
    crm_fim_db *db = make_db(NULL, N_TRANS);
    crm_rules *r = mine(db, CRM_FIM_NLIST, 0, 1);
    (void)state;
    for (int32_t k = 0; k < 3; k++) {
        double last = 1e300;
        int64_t n_seg = crm_rules_set_n_transactions(r, k + 1);
        int own = 0;
        assert_true(crm_rules_n_patterns(r, k + 1) > 0);
        for (int64_t i = 0; i < crm_rules_n_patterns(r, k + 1); i++) {
            crm_segment_pattern p;
            uint32_t m;
            int64_t c = 0;
            int64_t pc = 0;
            assert_int_equal(crm_rules_pattern(r, k + 1, i, &p, NULL), CRM_OK);
            m = mask_by_name(r, p.items, p.n_items);
            for (int32_t t = 0; t < N_TRANS; t++) {
                pc += (masks[t] & m) == m;
                c += seg_of[t] == k && (masks[t] & m) == m;
            }
            assert_int_equal(p.count, c);
            assert_int_equal(p.pop_count, pc);
            crm_assert_close(p.ratio, ((double)c / (double)n_seg) / ((double)pc / N_TRANS), 1e-12,
                             0);
            assert_true(p.ratio >= 1.5);
            assert_true(p.ratio <= last);
            last = p.ratio;
            own += (m & (7u << (3 * k))) == m; /* made only of the segment's favourite items */
        }
        assert_true(own > 0);
    }
    crm_rules_free(r);
    crm_fim_db_free(db);
}

static void miners_and_thread_counts_give_the_same_rules_file(void **state)
{
    crm_fim_db *db = make_db(NULL, N_TRANS);
    crm_rules *ref = mine(db, CRM_FIM_NLIST, 1, 1);
    char *dir = crm_test_tmpdir();
    char path[512];
    char *ref_bytes;
    size_t ref_len;
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/ref.crmr", dir);
    assert_int_equal(crm_rules_save(ref, path, &err), CRM_OK);
    ref_bytes = crm_test_read_file(path, &ref_len);
    for (int algo = 0; algo < 3; algo++) {
        for (int threads = 1; threads <= 2; threads++) {
            crm_rules *r = mine(db, (crm_fim_algo)algo, threads, 1);
            char *bytes;
            size_t len;
            assert_int_equal(crm_rules_save(r, path, &err), CRM_OK);
            bytes = crm_test_read_file(path, &len);
            assert_int_equal(len, ref_len);
            assert_memory_equal(bytes, ref_bytes, len);
            free(bytes);
            crm_rules_free(r);
        }
    }
    free(ref_bytes);
    crm_rules_free(ref);
    crm_fim_db_free(db);
    crm_test_rmdir(dir);
    free(dir);
}

static void mine_rejects_bad_segments(void **state)
{
    crm_fim_db *db = make_db(NULL, N_TRANS);
    crm_fim_params fp = crm_fim_params_default();
    crm_rules_params rp = crm_rules_params_default();
    const char *const names[] = { "all", "x" };
    int32_t bad[N_TRANS];
    crm_rules_segments segs = { seg_of, names, 2 };
    crm_rules *r = NULL;
    crm_error err;
    (void)state;
    fp.minsup = 0.1;
    assert_int_equal(crm_rules_mine(db, &fp, &rp, &segs, NULL, &r, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "reserved"));
    memcpy(bad, seg_of, sizeof bad);
    bad[7] = 5;
    segs.segment_of = bad;
    segs.names = seg_names;
    segs.n_segments = 3;
    assert_int_equal(crm_rules_mine(db, &fp, &rp, &segs, NULL, &r, &err), CRM_EINVAL);
    assert_null(r);
    fp.minsup = 0.001;
    fp.max_itemsets = 20;
    assert_int_equal(crm_rules_mine(db, &fp, &rp, NULL, NULL, &r, &err), CRM_ELIMIT);
    assert_null(r);
    crm_fim_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segment_sets_equal_mining_each_segment_alone),
        cmocka_unit_test(distinctive_itemsets_have_brute_force_counts),
        cmocka_unit_test(miners_and_thread_counts_give_the_same_rules_file),
        cmocka_unit_test(mine_rejects_bad_segments),
    };
    make_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
