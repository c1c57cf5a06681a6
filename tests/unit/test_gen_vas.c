/* test_gen_vas.c: the synthetic VAS log: columns, determinism, failed rows, bundles that
 * co-occur, segments that change the baskets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/gen.h>

#include "crm_test.h"

static char *gen(const crm_gen_vas_params *p, const char *dir, const char *name)
{
    char path[512];
    crm_error err;
    char *text;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(crm_gen_vas(p, path, NULL, &err), CRM_OK);
    text = crm_test_read_file(path, NULL);
    assert_non_null(text);
    return text;
}

/* Number of distinct customers whose successful rows include code (and also code2). */
static int customers_with(const char *text, const char *code, const char *code2, int n_cust)
{
    char *seen = calloc((size_t)n_cust + 1, 2);
    int count = 0;
    const char *line = strchr(text, '\n') + 1;
    while (*line) {
        const char *end = strchr(line, '\n');
        char buf[256];
        char msg[16], id[32], amount[16], pr[32], date[16], clock[16], type[16], rest[64];
        int c;
        size_t len = (size_t)(end - line);
        memcpy(buf, line, len);
        buf[len] = '\0';
        for (char *q = buf; *q; q++) {
            if (*q == ',') {
                *q = ' ';
            }
        }
        if (sscanf(buf, "%15s %31s %15s %31s %15s %15s %15s %63[^\n]", msg, id, amount, pr, date,
                   clock, type, rest) == 8 &&
            strstr(rest, "SUCCESS") != NULL && sscanf(id + 1, "%d", &c) == 1 && c <= n_cust) {
            if (strcmp(pr, code) == 0) {
                seen[2 * c] = 1;
            }
            if (code2 && strcmp(pr, code2) == 0) {
                seen[2 * c + 1] = 1;
            }
        }
        line = end + 1;
    }
    for (int c = 0; c <= n_cust; c++) {
        count += seen[2 * c] && (code2 == NULL || seen[2 * c + 1]);
    }
    free(seen);
    return count;
}

static void gen_vas_is_deterministic_with_the_paper_columns(void **state)
{
    char *dir = crm_test_tmpdir();
    crm_gen_vas_params p = crm_gen_vas_params_default();
    char *a;
    char *b;
    char *c;
    (void)state;
    p.n_customers = 300;
    p.seed = 7;
    a = gen(&p, dir, "a.csv");
    b = gen(&p, dir, "b.csv");
    p.seed = 8;
    c = gen(&p, dir, "c.csv");
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0);
    assert_memory_equal(a,
                        "msg_type,mobile_no,txn_amount,pr_code,record_time,txn_type,"
                        "target_mobile,topup_type,status\n",
                        88);
    assert_non_null(strstr(a, ",FAILED\n"));
    assert_non_null(strstr(a, ",CREDIT,"));
    assert_non_null(strstr(a, ",2024-0"));
    free(a);
    free(b);
    free(c);
    crm_test_rmdir(dir);
    free(dir);
}

static void gen_vas_bundles_co_occur(void **state)
{
    char *dir = crm_test_tmpdir();
    crm_gen_vas_params p = crm_gen_vas_params_default();
    char *text;
    int n_roam;
    int n_both;
    int n_intl;
    (void)state;
    p.n_customers = 2000;
    text = gen(&p, dir, "v.csv");
    /* ROAM_DAY and INTL_MINUTES form a business bundle: P(intl | roam) is far above P(intl) */
    n_roam = customers_with(text, "ROAM_DAY", NULL, 2000);
    n_intl = customers_with(text, "INTL_MINUTES", NULL, 2000);
    n_both = customers_with(text, "ROAM_DAY", "INTL_MINUTES", 2000);
    assert_true(n_roam > 50);
    /* lift of roam => intl: P(intl | roam) / P(intl), about 7 by construction */
    assert_true(((double)n_both / n_roam) / ((double)n_intl / 2000) > 4.0);
    assert_true((double)n_both / n_roam > 0.5);
    free(text);
    crm_test_rmdir(dir);
    free(dir);
}

static void gen_vas_segments_decide_the_bundles(void **state)
{
    char *dir = crm_test_tmpdir();
    crm_gen_vas_params p = crm_gen_vas_params_default();
    const char *ids[] = { "S0000001", "S0000002", "S0000003", "S0000004" };
    const char *segs[] = { "1", "1", "1", "1" };
    char *ids_big[400];
    const char *segs_big[400];
    char *text;
    crm_error err;
    (void)state;
    for (int i = 0; i < 400; i++) {
        ids_big[i] = malloc(16);
        snprintf(ids_big[i], 16, "S%07d", i + 1);
        segs_big[i] = "2"; /* second segment name in sorted order: type "business" */
    }
    segs_big[0] = "1";
    p.n_customers = 400;
    p.label_ids = (const char *const *)ids_big;
    p.label_segments = segs_big;
    p.n_labels = 400;
    text = gen(&p, dir, "s.csv");
    /* business customers: many with cloud storage, almost nobody with social packs */
    assert_true(customers_with(text, "CLOUD_1TB", NULL, 400) > 120);
    assert_true(customers_with(text, "SOCIAL_PACK", NULL, 400) < 30);
    free(text);
    for (int i = 0; i < 400; i++) {
        free(ids_big[i]);
    }
    p.label_ids = ids;
    p.label_segments = segs;
    p.n_labels = 4;
    p.failure_rate = 1.5;
    assert_int_equal(crm_gen_vas(&p, "-", NULL, &err), CRM_EINVAL);
    assert_string_equal(err.field, "failure_rate");
    crm_test_rmdir(dir);
    free(dir);
}

static void gen_vas_catalogue_names_services(void **state)
{
    (void)state;
    assert_true(crm_gen_vas_n_services() >= 25);
    assert_string_equal(crm_gen_vas_describe("DATA_5GB"), "Data bundle 5 GB, 30 days");
    assert_null(crm_gen_vas_describe("NOPE"));
    assert_null(crm_gen_vas_code(crm_gen_vas_n_services()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_vas_is_deterministic_with_the_paper_columns),
        cmocka_unit_test(gen_vas_bundles_co_occur),
        cmocka_unit_test(gen_vas_segments_decide_the_bundles),
        cmocka_unit_test(gen_vas_catalogue_names_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
