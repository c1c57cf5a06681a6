/* test_fim_shared.c: the real FIMI benchmark files, when present: itemset counts at the
 * supports of the data README (the published counts), the three miners agreeing, and
 * T10I4D100K's reference outputs (all, closed, maximal) matched itemset by itemset.
 *
 * The files are not part of the repository. The test looks in $CRM_SHARED_DATA/fimi, then
 * ../shared/data/fimi beside the source tree, then /work/shared/data/fimi, and skips with a
 * printed reason when none exists. Heavier supports live in bench/bench_fim.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include <crmkit/fim.h>

#include "crm_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static char g_dir[1024];

static int find_dir(void)
{
    const char *env = getenv("CRM_SHARED_DATA");
    const char *cands[3];
    struct stat sb;
    char path[1200];
    cands[0] = env;
    cands[1] = CRM_SOURCE_DIR "/../shared/data";
    cands[2] = "/work/shared/data";
    for (int i = 0; i < 3; i++) {
        if (cands[i] == NULL) {
            continue;
        }
        snprintf(path, sizeof path, "%s/fimi/chess.dat.gz", cands[i]);
        if (stat(path, &sb) == 0) {
            snprintf(g_dir, sizeof g_dir, "%s/fimi", cands[i]);
            return 1;
        }
    }
    return 0;
}

static crm_fim_db *load(const char *name)
{
    char path[1200];
    crm_fim_db *db = NULL;
    crm_error err;
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    if (crm_fim_db_read(path, NULL, NULL, &db, &err) != CRM_OK) {
        fail_msg("reading %s: %s", path, err.msg);
    }
    return db;
}

static int64_t count(const crm_fim_db *db,
                     crm_fim_algo algo,
                     double minsup,
                     int64_t minsup_count,
                     int32_t *max_len)
{
    crm_fim_params p = crm_fim_params_default();
    crm_fim_stats st;
    crm_itemsets *c = NULL;
    crm_itemset_sink s;
    crm_error err;
    p.algo = algo;
    p.minsup = minsup;
    p.minsup_count = minsup_count;
    assert_int_equal(crm_itemsets_new(crm_fim_db_n_transactions(db), &c, NULL), CRM_OK);
    s = crm_itemsets_sink(c); /* the collection also rejects any itemset reported twice */
    if (crm_fim_mine(db, &p, &s, NULL, &st, &err) != CRM_OK) {
        fail_msg("mining: %s", err.msg);
    }
    crm_itemsets_free(c);
    *max_len = st.max_len;
    return st.n_itemsets;
}

static void published_counts_match(void **state)
{
    static const struct {
        const char *file;
        double minsup;
        int64_t minsup_count;
        int64_t transactions;
        int64_t itemsets;
        int32_t longest;
        int all_algos; /* the slower miners too */
        int heavy;     /* skipped under sanitizers */
    } cases[] = {
        { "chess.dat.gz", 0.9, 0, 3196, 622, 7, 1, 0 },
        { "chess.dat.gz", 0.8, 0, 3196, 8227, 10, 1, 0 },
        { "mushroom.dat.gz", 0.5, 0, 8124, 153, 5, 1, 0 },
        { "mushroom.dat.gz", 0.3, 0, 8124, 2735, 9, 1, 0 },
        { "mushroom.dat.gz", 0.2, 0, 8124, 53583, 15, 0, 1 },
        { "retail.dat.gz", 0.01, 0, 88162, 159, 4, 1, 0 },
        { "retail.dat.gz", 0.005, 0, 88162, 580, 5, 0, 1 },
        { "retail.dat.gz", 0.001, 0, 88162, 7589, 5, 0, 1 },
        { "T10I4D100K.dat.gz", 0, 1000, 100000, 385, 3, 1, 0 },
        { "T10I4D100K.dat.gz", 0, 500, 100000, 1073, 5, 0, 1 },
        { "T10I4D100K.dat.gz", 0, 100, 100000, 27532, 10, 0, 1 },
        { "connect.dat.gz", 0.95, 0, 67557, 2201, 9, 0, 1 },
    };
    crm_fim_db *db = NULL;
    const char *loaded = "";
    (void)state;
    if (!find_dir()) {
        print_message("skipped: no FIMI data (set CRM_SHARED_DATA to the folder holding fimi/)\n");
        skip();
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int32_t max_len = 0;
        if (SANITIZED && cases[k].heavy) {
            continue;
        }
        if (strcmp(loaded, cases[k].file) != 0) {
            crm_fim_db_free(db);
            db = load(cases[k].file);
            loaded = cases[k].file;
            assert_int_equal(crm_fim_db_n_transactions(db), cases[k].transactions);
        }
        for (int a = CRM_FIM_NLIST; a <= (cases[k].all_algos ? CRM_FIM_APRIORI : CRM_FIM_NLIST);
             a++) {
            int64_t n =
                count(db, (crm_fim_algo)a, cases[k].minsup, cases[k].minsup_count, &max_len);
            if (n != cases[k].itemsets || max_len != cases[k].longest) {
                fail_msg("%s at %g/%lld with %s: %lld itemsets (longest %d), published %lld "
                         "(longest %d)",
                         cases[k].file, cases[k].minsup, (long long)cases[k].minsup_count,
                         crm_fim_algo_name((crm_fim_algo)a), (long long)n, (int)max_len,
                         (long long)cases[k].itemsets, (int)cases[k].longest);
            }
        }
    }
    crm_fim_db_free(db);
}

/* Reference file lines read "i j k (support)". Compare as a set with our collection. */
static void compare_reference(const crm_fim_db *db,
                              const char *ref,
                              crm_fim_mode mode,
                              int64_t minsup,
                              crm_fim_algo algo)
{
    char path[1200], line[4096];
    crm_fim_params p = crm_fim_params_default();
    crm_itemsets *c = NULL;
    crm_error err;
    gzFile gz;
    int64_t n_ref = 0;
    p.mode = mode;
    p.algo = algo;
    p.minsup_count = minsup;
    if (crm_fim_mine_collect(db, &p, NULL, &c, &err) != CRM_OK) {
        fail_msg("mining: %s", err.msg);
    }
    snprintf(path, sizeof path, "%s/reference_outputs/%s", g_dir, ref);
    gz = gzopen(path, "rb");
    assert_non_null(gz);
    while (gzgets(gz, line, (int)sizeof line) != NULL) {
        int32_t items[256], n = 0;
        char *s = line, *end;
        long long sup;
        if (strchr(line, '(') == NULL) {
            continue;
        }
        while (*s != '(') {
            char key[32];
            long v = strtol(s, &end, 10);
            if (end == s || n == 256) {
                break;
            }
            snprintf(key, sizeof key, "%ld", v);
            items[n++] = crm_fim_db_find_item(db, key);
            s = end;
            while (*s == ' ') {
                s++;
            }
        }
        sup = strtoll(s + 1, NULL, 10);
        n_ref++;
        if (crm_itemsets_support(c, items, n) != sup) {
            fail_msg("%s: itemset on line %lld has support %lld, we have %lld", ref,
                     (long long)n_ref, sup, (long long)crm_itemsets_support(c, items, n));
        }
    }
    gzclose(gz);
    assert_int_equal(crm_itemsets_n_itemsets(c), n_ref);
    crm_itemsets_free(c);
}

static void t10_reference_outputs_match_itemset_by_itemset(void **state)
{
    crm_fim_db *db;
    (void)state;
    if (!find_dir()) {
        print_message("skipped: no FIMI data (set CRM_SHARED_DATA to the folder holding fimi/)\n");
        skip();
    }
    db = load("T10I4D100K.dat.gz");
    compare_reference(db, "T10I4D100K_fpg_mf-1000.dat.gz", CRM_FIM_ALL, 1000, CRM_FIM_NLIST);
    compare_reference(db, "T10I4D100K_fpg_mf-500.dat.gz", CRM_FIM_ALL, 500, CRM_FIM_FPGROWTH);
    compare_reference(db, "T10I4D100K_fpc_mf-500.dat.gz", CRM_FIM_CLOSED, 500, CRM_FIM_NLIST);
    compare_reference(db, "T10I4D100K_fpm_mf-500.dat.gz", CRM_FIM_MAXIMAL, 500, CRM_FIM_NLIST);
    if (!SANITIZED) {
        compare_reference(db, "T10I4D100K_fpg_mf-100.dat.gz", CRM_FIM_ALL, 100, CRM_FIM_NLIST);
        compare_reference(db, "T10I4D100K_fpc_mf-100.dat.gz", CRM_FIM_CLOSED, 100, CRM_FIM_NLIST);
        compare_reference(db, "T10I4D100K_fpm_mf-100.dat.gz", CRM_FIM_MAXIMAL, 100,
                          CRM_FIM_FPGROWTH);
    }
    crm_fim_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(published_counts_match),
        cmocka_unit_test(t10_reference_outputs_match_itemset_by_itemset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
