/* demo_baskets.c: the basket step of `crmkit demo`: a VAS log for the demo's customers, rules
 * mined per segment, and a few customers' recommendations. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>
#include <crmkit/gen.h>
#include <crmkit/rules.h>

#include "cli.h"
#include "rules_cli.h"

#define DEMO_RULES_SHOWN     3
#define DEMO_CUSTOMERS_SHOWN 3

static void path_in(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

/* The labels as parallel arrays for the generator (borrowed from the labels database). */
static crm_status gen_log(const crm_fim_db *labels, const char *vas_path, crm_error *err)
{
    int64_t n = crm_fim_db_n_transactions(labels);
    const char **ids = crm_calloc((size_t)n + 1, sizeof *ids);
    const char **segs = crm_calloc((size_t)n + 1, sizeof *segs);
    crm_gen_vas_params p = crm_gen_vas_params_default();
    crm_status rc;
    if (ids == NULL || segs == NULL) {
        crm_free(ids);
        crm_free(segs);
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return CRM_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        const int32_t *items;
        ids[i] = crm_fim_db_customer(labels, i);
        segs[i] = crm_fim_db_transaction(labels, i, &items) > 0
                      ? crm_fim_db_item_name(labels, items[0])
                      : NULL;
    }
    p.n_customers = n;
    p.seed = 42;
    p.label_ids = ids;
    p.label_segments = segs;
    p.n_labels = n;
    rc = crm_gen_vas(&p, vas_path, NULL, err);
    crm_free(ids);
    crm_free(segs);
    return rc;
}

static void show_sets(const crm_rules *r)
{
    for (int32_t s = 1; s < crm_rules_n_sets(r); s++) {
        printf("  segment %s (%lld customers with purchases, %lld rules)\n",
               crm_rules_set_name(r, s), (long long)crm_rules_set_n_transactions(r, s),
               (long long)crm_rules_n_rules(r, s));
        for (int64_t i = 0; i < crm_rules_n_rules(r, s) && i < DEMO_RULES_SHOWN; i++) {
            crm_rule q;
            (void)crm_rules_rule(r, s, i, &q, NULL);
            printf("    ");
            rules_cli_print_rule(stdout, r, &q);
        }
        for (int64_t i = 0; i < crm_rules_n_patterns(r, s) && i < 2; i++) {
            crm_segment_pattern p;
            (void)crm_rules_pattern(r, s, i, &p, NULL);
            printf("    distinctive ");
            rules_cli_print_items(stdout, r, p.items, p.n_items);
            printf(": %.0f%% of the segment vs %.0f%% overall\n", 100.0 * p.support,
                   100.0 * p.pop_support);
        }
    }
}

static void
show_customer(const crm_rules *r, const crm_fim_db *db, const rules_cli_segments *sg, int64_t t)
{
    const int32_t *items;
    int32_t len = crm_fim_db_transaction(db, t, &items);
    int32_t basket[64];
    int32_t n_known = 0;
    crm_recommendation rec[3];
    int32_t n = 0;
    int32_t seg = sg->segment_of[t];
    int32_t s = seg >= 0 ? crm_rules_find_set(r, sg->names[seg]) : 0;
    if (s < 0) {
        s = 0;
    }
    printf("  customer %s (segment %s) has", crm_fim_db_customer(db, t), crm_rules_set_name(r, s));
    for (int32_t k = 0; k < len && n_known < 64; k++) {
        basket[n_known] = crm_rules_find_item(r, crm_fim_db_item_name(db, items[k]));
        printf(" %s", crm_fim_db_item_name(db, items[k]));
        n_known += basket[n_known] >= 0;
    }
    printf("\n");
    if (crm_rules_recommend(r, s, basket, n_known, 3, rec, &n, NULL) != CRM_OK) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        const char *code = crm_rules_item_name(r, rec[i].item);
        const char *name = crm_gen_vas_describe(code);
        if (rec[i].source == CRM_REC_RULE) {
            printf("    offer %-13s %-32s confidence %.2f, lift %.1f\n", code, name ? name : "",
                   rec[i].confidence, rec[i].lift);
        } else {
            printf("    offer %-13s %-32s (no rule fired: popular in the segment)\n", code,
                   name ? name : "");
        }
    }
}

/* True when the first recommendation for customer t comes from a rule. */
static bool rule_fires(const crm_rules *r,
                       const crm_fim_db *db,
                       const rules_cli_segments *sg,
                       int64_t t,
                       int32_t *basket)
{
    const int32_t *items;
    int32_t len = crm_fim_db_transaction(db, t, &items);
    int32_t n_known = 0;
    int32_t seg = sg->segment_of[t];
    int32_t s = seg >= 0 ? crm_rules_find_set(r, sg->names[seg]) : 0;
    crm_recommendation rec;
    int32_t n = 0;
    for (int32_t k = 0; k < len; k++) {
        basket[n_known] = crm_rules_find_item(r, crm_fim_db_item_name(db, items[k]));
        n_known += basket[n_known] >= 0;
    }
    if (crm_rules_recommend(r, s < 0 ? 0 : s, basket, n_known, 1, &rec, &n, NULL) != CRM_OK) {
        return false;
    }
    return n == 1 && rec.source == CRM_REC_RULE;
}

/* How often rules fire, and the first customer of each of the first segments for whom
 * they do. */
static void show_customers(const crm_rules *r, const crm_fim_db *db, const rules_cli_segments *sg)
{
    int64_t n = crm_fim_db_n_transactions(db);
    int32_t *basket = crm_calloc((size_t)crm_rules_n_items(r) + 1, sizeof *basket);
    int64_t *first = crm_calloc((size_t)sg->segs.n_segments + 1, sizeof *first);
    int64_t fired = 0;
    int shown = 0;
    if (basket == NULL || first == NULL) {
        crm_free(basket);
        crm_free(first);
        return;
    }
    for (int32_t k = 0; k < sg->segs.n_segments; k++) {
        first[k] = -1;
    }
    for (int64_t t = 0; t < n; t++) {
        int32_t k = sg->segment_of[t];
        if (rule_fires(r, db, sg, t, basket)) {
            fired++;
            if (k >= 0 && first[k] < 0) {
                first[k] = t;
            }
        }
    }
    printf("  a rule offers a new service to %lld of %lld customers (%.0f%%); the others get\n"
           "  their segment's most popular services. First such customer of each segment:\n",
           (long long)fired, (long long)n, n > 0 ? 100.0 * (double)fired / (double)n : 0.0);
    for (int32_t k = 0; k < sg->segs.n_segments && shown < DEMO_CUSTOMERS_SHOWN; k++) {
        if (first[k] >= 0) {
            show_customer(r, db, sg, first[k]);
            shown++;
        }
    }
    crm_free(basket);
    crm_free(first);
}

int demo_baskets(const char *workdir, const char *customers_csv, const char *labels_csv)
{
    char vas_path[1024];
    char rules_path[1024];
    char csv_path[1024];
    crm_fim_read_options opt = crm_fim_read_options_default();
    crm_fim_params fp = crm_fim_params_default();
    crm_rules_params rp = crm_rules_params_default();
    crm_fim_db *db = NULL;
    rules_cli_segments sg;
    crm_rules *r = NULL;
    crm_error err;
    crm_status rc;
    (void)customers_csv; /* the labels list every demo customer and its segment */
    memset(&sg, 0, sizeof sg);
    crm_error_clear(&err);
    path_in(vas_path, sizeof vas_path, workdir, "vas.csv");
    path_in(rules_path, sizeof rules_path, workdir, "rules.crmr");
    path_in(csv_path, sizeof csv_path, workdir, "rules.csv");
    opt.format = CRM_FIM_FORMAT_LONG;
    opt.item_col = "segment";
    rc = crm_fim_db_read(labels_csv, &opt, NULL, &sg.labels, &err);
    if (rc == CRM_OK) {
        rc = gen_log(sg.labels, vas_path, &err);
    }
    crm_fim_db_free(sg.labels);
    sg.labels = NULL;
    if (rc == CRM_OK) {
        opt = crm_fim_read_options_default();
        opt.format = CRM_FIM_FORMAT_VAS;
        opt.status_col = "status";
        opt.status_ok = "SUCCESS";
        rc = crm_fim_db_read(vas_path, &opt, NULL, &db, &err);
    }
    if (rc == CRM_OK) {
        rc = rules_cli_segments_load(labels_csv, db, &sg, &err);
    }
    if (rc == CRM_OK) {
        fp.minsup = 0.03;
        rp.min_conf = 0.6;
        rp.distinct_factor = 2.0;
        rc = crm_rules_mine(db, &fp, &rp, &sg.segs, NULL, &r, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_rules_save(r, rules_path, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_rules_write_csv(r, -1, csv_path, &err);
    }
    if (rc == CRM_OK) {
        printf("\nbaskets: %s (%lld customers with successful VAS purchases, %d services)\n",
               vas_path, (long long)crm_fim_db_n_transactions(db), (int)crm_rules_n_items(r));
        printf("  rules per segment (minimum support 3%% of the segment, confidence 0.6, by "
               "lift), saved to %s\n",
               rules_path);
        show_sets(r);
        printf("\nrecommendations (crmkit recommend %s --items ...):\n", rules_path);
        show_customers(r, db, &sg);
    }
    crm_rules_free(r);
    rules_cli_segments_fini(&sg);
    crm_fim_db_free(db);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}
