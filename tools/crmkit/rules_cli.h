/* rules_cli.h: what `crmkit rules`, `crmkit recommend` and the demo's basket step share:
 * basket input options, joining a labels CSV to transactions, printing rules. */
#ifndef CRM_RULES_CLI_H
#define CRM_RULES_CLI_H
#include <stdint.h>
#include <stdio.h>

#include <crmkit/fim.h>
#include <crmkit/rules.h>

/* Options of one basket input, as the command line gives them. */
typedef struct rules_cli_input {
    crm_fim_read_options opt;
    const char *format; /* name as given, NULL = default */
    bool status_given;
} rules_cli_input;

void rules_cli_input_init(rules_cli_input *in, crm_fim_format default_format);
/* The input options as entries of a cli_parse table (cli.h): --format, --sep,
 * --customer-col, --item-col, --status-col, --status-ok, --skip-empty. */
int rules_cli_format_opt(const char *v, void *ud);
int rules_cli_sep_opt(const char *v, void *ud);
#define RULES_CLI_INPUT_OPTS(in)                                                                   \
    { .name = "--format", .kind = CLI_OPT_FN, .fn = rules_cli_format_opt, .ud = &(in) },           \
        { .name = "--sep", .kind = CLI_OPT_FN, .fn = rules_cli_sep_opt, .ud = &(in) },             \
        { .name = "--customer-col", .kind = CLI_OPT_STR, .dest = &(in).opt.customer_col },         \
        { .name = "--item-col", .kind = CLI_OPT_STR, .dest = &(in).opt.item_col },                 \
        { .name = "--status-col",                                                                  \
          .kind = CLI_OPT_STR,                                                                     \
          .dest = &(in).opt.status_col,                                                            \
          .seen = &(in).status_given },                                                            \
        { .name = "--status-ok",                                                                   \
          .kind = CLI_OPT_STR,                                                                     \
          .dest = &(in).opt.status_ok,                                                             \
          .seen = &(in).status_given },                                                            \
    {                                                                                              \
        .name = "--skip-empty", .kind = CLI_OPT_FLAG, .dest = &(in).opt.skip_empty                 \
    }
/* Fill defaults that depend on the format (VAS keeps status SUCCESS rows by default). */
void rules_cli_input_finish(rules_cli_input *in);
const char *rules_cli_input_help(void);

/* Segments of db's transactions from a labels CSV (first column: customer id; a column
 * "segment"). Customers are matched by key when db has keys, else by row order. Names are
 * the distinct labels in byte order. *n_unlabelled counts transactions with no label. */
typedef struct rules_cli_segments {
    crm_rules_segments segs;
    int32_t *segment_of;
    char **names;
    int64_t n_unlabelled;
    crm_fim_db *labels;
} rules_cli_segments;
crm_status rules_cli_segments_load(const char *labels_path,
                                   const crm_fim_db *db,
                                   rules_cli_segments *out,
                                   crm_error *err);
void rules_cli_segments_fini(rules_cli_segments *s);
/* Segment name of a customer key from a labels database, or NULL. */
const char *rules_cli_segment_of(const crm_fim_db *labels, const char *customer);

/* "{a, b}" for a list of item ids. */
void rules_cli_print_items(FILE *fp, const crm_rules *r, const int32_t *ids, int32_t n);
/* One rule in a line: "{a} => {b}  support .. confidence .. lift ..". */
void rules_cli_print_rule(FILE *fp, const crm_rules *r, const crm_rule *q);

/* --json of one rule set of r, for `rules` and `show`: opens an object with its name,
 * transactions, minsup_count, number of rules and "top_rules", the first n_show rules with
 * antecedent, consequent, support, confidence, lift (all_measures: leverage and conviction
 * too) and count, and leaves the object open. Stops at a rule that cannot be read. */
struct cli_json;
/* The names of items ids[0..n) as a JSON array. */
void rules_cli_json_items(struct cli_json *j, const crm_rules *r, const int32_t *ids, int32_t n);
crm_status rules_cli_json_set(struct cli_json *j,
                              const crm_rules *r,
                              int32_t s,
                              int64_t n_show,
                              int all_measures,
                              crm_error *err);

#endif
