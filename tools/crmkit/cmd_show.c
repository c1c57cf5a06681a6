/* cmd_show.c: `crmkit show`: print a model file in readable form (a classifier as its rules,
 * an association rules file as its dictionary size, rule sets and top rules, any other kind
 * as its sections). */
#include <inttypes.h>
#include <string.h>

#include <crmkit/classify.h>
#include <crmkit/model.h>
#include <crmkit/rules.h>

#include "cli.h"
#include "rules_cli.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: crmkit show MODEL [--top N] [--json]\n\n"
                "Print a model file in readable form: a classifier's algorithm, classes and\n"
                "features, and for C4.5 the tree as rules (J48's layout: each leaf shows the\n"
                "class, the training rows reaching it and how many of them are not of that\n"
                "class). An association rules file (.crmr): the item dictionary size, and for\n"
                "each rule set its transactions, minimum count, number of rules and its first\n"
                "N rules in the file's order with support, confidence and lift. Other model\n"
                "kinds are listed by section.\n\n"
                "  --top N   rules shown per rule set (default 10; 0 = all)\n"
                "  --json    one JSON object: kind, sections and the description\n\n"
                "exit status: 0 ok, 64 usage, 65 damaged model file, 66 no such file.\n");
}

static void print_line(void *ud, const char *line)
{
    fprintf((FILE *)ud, "%s\n", line);
}

static void print_items(const crm_rules *r, const int32_t *ids, int32_t n)
{
    printf("{");
    for (int32_t k = 0; k < n; k++) {
        printf("%s%s", k > 0 ? ", " : "", crm_rules_item_name(r, ids[k]));
    }
    printf("}");
}

static crm_status show_rules(const char *path, int64_t top, crm_error *err)
{
    crm_rules *r = NULL;
    crm_rules_params p;
    crm_status st = crm_rules_load(path, &r, err);
    if (st != CRM_OK) {
        return st;
    }
    p = crm_rules_get_params(r);
    printf("association rules: %d items in the dictionary, %d rule set%s\n",
           (int)crm_rules_n_items(r), (int)crm_rules_n_sets(r),
           crm_rules_n_sets(r) == 1 ? "" : "s");
    printf("minimum confidence %.6g, rules sorted by %s\n", p.min_conf,
           p.sort == CRM_RULES_SORT_CONFIDENCE ? "confidence" : "lift");
    for (int32_t s = 0; s < crm_rules_n_sets(r) && st == CRM_OK; s++) {
        int64_t n = crm_rules_n_rules(r, s);
        int64_t shown = top > 0 && top < n ? top : n;
        printf("\nrule set \"%s\": %" PRId64 " transactions, minimum count %" PRId64 ", %" PRId64
               " rules, %" PRId64 " distinctive itemsets\n",
               crm_rules_set_name(r, s), crm_rules_set_n_transactions(r, s),
               crm_rules_set_min_count(r, s), n, crm_rules_n_patterns(r, s));
        if (shown > 0) {
            printf("%s %" PRId64 " rules:\n", shown < n ? "first" : "all", shown);
            printf("  %10s %10s %10s %10s  rule\n", "support", "confidence", "lift", "count");
        }
        for (int64_t i = 0; i < shown && st == CRM_OK; i++) {
            crm_rule rule;
            st = crm_rules_rule(r, s, i, &rule, err);
            if (st == CRM_OK) {
                printf("  %10.4g %10.4g %10.4g %10" PRId64 "  ", rule.support, rule.confidence,
                       rule.lift, rule.count);
                print_items(r, rule.lhs, rule.n_lhs);
                printf(" => ");
                print_items(r, rule.rhs, rule.n_rhs);
                printf("\n");
            }
        }
    }
    crm_rules_free(r);
    return st;
}

static void json_line(void *ud, const char *line)
{
    cli_json_str(ud, line);
}

static crm_status json_rules(cli_json *j, const char *path, int64_t top, crm_error *err)
{
    crm_rules *r = NULL;
    crm_status st = crm_rules_load(path, &r, err);
    if (st != CRM_OK) {
        return st;
    }
    cli_json_key(j, "items");
    cli_json_int(j, crm_rules_n_items(r));
    cli_json_key(j, "sets");
    cli_json_open_arr(j);
    for (int32_t s = 0; s < crm_rules_n_sets(r) && st == CRM_OK; s++) {
        int64_t n = crm_rules_n_rules(r, s);
        int64_t shown = top > 0 && top < n ? top : n;
        st = rules_cli_json_set(j, r, s, shown, 0, err);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
    crm_rules_free(r);
    return st;
}

/* --json: the model's kind, sections and description (a classifier's lines, a rules file's
 * sets and top rules) as one object. */
static crm_status show_json(const char *path, crm_model_reader *r, int64_t top, crm_error *err)
{
    crm_classifier *c = NULL;
    crm_status st = CRM_OK;
    const char *kind = crm_model_reader_kind(r);
    cli_json j;
    if (strcmp(kind, "classifier") == 0) {
        st = crm_classifier_load_reader(r, &c, err);
    }
    if (st != CRM_OK) {
        return st;
    }
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "model");
    cli_json_str(&j, path);
    cli_json_key(&j, "kind");
    cli_json_str(&j, kind);
    cli_json_key(&j, "sections");
    cli_json_open_arr(&j);
    for (int32_t i = 0; i < crm_model_reader_n_sections(r) && st == CRM_OK; i++) {
        crm_section s;
        st = crm_model_section_at(r, i, &s, err);
        if (st == CRM_OK) {
            cli_json_open_obj(&j);
            cli_json_key(&j, "tag");
            cli_json_str(&j, s.tag);
            cli_json_key(&j, "bytes");
            cli_json_int(&j, (int64_t)s.len);
            cli_json_close_obj(&j);
        }
    }
    cli_json_close_arr(&j);
    if (st == CRM_OK && c != NULL) {
        cli_json_key(&j, "description");
        cli_json_open_arr(&j);
        st = crm_classifier_describe(c, json_line, &j, err);
        cli_json_close_arr(&j);
    } else if (st == CRM_OK && strcmp(kind, "rules") == 0) {
        st = json_rules(&j, path, top, err);
    }
    cli_json_end(&j);
    crm_classifier_free(c);
    return st;
}

int cmd_show(int argc, char **argv)
{
    const char *path = NULL;
    crm_model_reader *r = NULL;
    crm_classifier *c = NULL;
    crm_error err;
    crm_status st;
    int64_t top = 10;
    int rc = 0;
    bool json = false;
    {
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--top", .kind = CLI_OPT_INT, .dest = &top, .lo = 0, .hi = INT64_MAX },
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { 0 },
        };
        /* clang-format on */
        rc = cli_parse("show", argc, argv, opts, &path, 1, &n_pos, usage);
        if (rc >= 0) {
            return rc;
        }
        rc = 0;
    }
    if (path == NULL) {
        return cli_usage_error("show", "no model file");
    }
    st = crm_model_reader_open(path, &r, &err);
    if (st == CRM_OK && json) {
        st = show_json(path, r, top, &err);
    } else if (st == CRM_OK && strcmp(crm_model_reader_kind(r), "classifier") == 0) {
        st = crm_classifier_load_reader(r, &c, &err);
        if (st == CRM_OK) {
            st = crm_classifier_describe(c, print_line, stdout, &err);
        }
    } else if (st == CRM_OK && strcmp(crm_model_reader_kind(r), "rules") == 0) {
        st = show_rules(path, top, &err);
    } else if (st == CRM_OK) {
        printf("model kind \"%s\", %d sections:\n", crm_model_reader_kind(r),
               crm_model_reader_n_sections(r));
        for (int32_t i = 0; i < crm_model_reader_n_sections(r) && st == CRM_OK; i++) {
            crm_section s;
            st = crm_model_section_at(r, i, &s, &err);
            if (st == CRM_OK) {
                printf("  %-16s %zu bytes\n", s.tag, s.len);
            }
        }
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
    }
    crm_classifier_free(c);
    crm_model_reader_free(r);
    return rc;
}
