/* rules_cli.c: shared option parsing, labels joining and printing for the basket commands. */
#include "rules_cli.h"

#include <string.h>

#include <crmkit/alloc.h>

#include "cli.h"
#include "segcli.h"

void rules_cli_input_init(rules_cli_input *in, crm_fim_format default_format)
{
    memset(in, 0, sizeof *in);
    in->opt = crm_fim_read_options_default();
    in->opt.format = default_format;
}

static int parse_format(rules_cli_input *in, const char *cmd, const char *v)
{
    static const struct {
        const char *name;
        crm_fim_format f;
    } formats[] = { { "auto", CRM_FIM_FORMAT_AUTO }, { "fimi", CRM_FIM_FORMAT_FIMI },
                    { "spmf", CRM_FIM_FORMAT_FIMI }, { "basket", CRM_FIM_FORMAT_BASKET },
                    { "long", CRM_FIM_FORMAT_LONG }, { "vas", CRM_FIM_FORMAT_VAS } };
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        if (strcmp(v, formats[k].name) == 0) {
            in->opt.format = formats[k].f;
            in->format = v;
            return 1;
        }
    }
    cli_usage_error(cmd, "unknown --format \"%s\" (fimi, basket, long, vas)", v);
    return -1;
}

int rules_cli_format_opt(const char *v, void *ud)
{
    return parse_format(ud, cli_command, v) < 0 ? CLI_EX_USAGE : -1;
}

int rules_cli_sep_opt(const char *v, void *ud)
{
    rules_cli_input *in = ud;
    if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0) {
        v = "\t";
    }
    if (strlen(v) != 1) {
        return cli_usage_error(cli_command, "--sep takes one character, got \"%s\"", v);
    }
    in->opt.sep = v[0];
    return -1;
}

void rules_cli_input_finish(rules_cli_input *in)
{
    if (in->opt.format == CRM_FIM_FORMAT_VAS && !in->status_given) {
        in->opt.status_col = "status";
        in->opt.status_ok = "SUCCESS";
    }
}

const char *rules_cli_input_help(void)
{
    return "input:\n"
           "  --format F          fimi (integers), basket (names separated by --sep), long\n"
           "                      (CSV customer,item), vas (VAS transaction log CSV)\n"
           "  --sep C             basket item separator or CSV delimiter (default ,)\n"
           "  --customer-col C    long/vas: customer column (long: first; vas: mobile_no)\n"
           "  --item-col C[,D]    long/vas: item column(s), joined with ':' (vas: pr_code)\n"
           "  --status-col C      keep only rows whose column C is in --status-ok\n"
           "  --status-ok V[,W]   accepted status values (vas default: status = SUCCESS)\n"
           "  --skip-empty        skip empty lines instead of counting empty transactions\n"
           "  Files may be gzip-compressed.\n";
}

/* ---- labels ---- */

const char *rules_cli_segment_of(const crm_fim_db *labels, const char *customer)
{
    int64_t row;
    const int32_t *items;
    if (labels == NULL || customer == NULL) {
        return NULL;
    }
    row = crm_fim_db_find_customer(labels, customer);
    if (row < 0 || crm_fim_db_transaction(labels, row, &items) < 1) {
        return NULL;
    }
    return crm_fim_db_item_name(labels, items[0]);
}

static crm_status check_labels(const crm_fim_db *labels, const char *path, crm_error *err)
{
    for (int64_t i = 0; i < crm_fim_db_n_transactions(labels); i++) {
        const int32_t *items;
        if (crm_fim_db_transaction(labels, i, &items) > 1) {
            crm_error_clear(err);
            err->code = CRM_EDATA;
            snprintf(err->source, sizeof err->source, "%s", path);
            snprintf(err->msg, sizeof err->msg, "customer \"%s\" has more than one segment",
                     crm_fim_db_customer(labels, i) ? crm_fim_db_customer(labels, i) : "?");
            return CRM_EDATA;
        }
    }
    return CRM_OK;
}

static crm_status join(const crm_fim_db *labels,
                       const crm_fim_db *db,
                       const char *path,
                       rules_cli_segments *out,
                       crm_error *err)
{
    int64_t n = crm_fim_db_n_transactions(db);
    int keyed = n > 0 && crm_fim_db_customer(db, 0) != NULL;
    if (!keyed && crm_fim_db_n_transactions(labels) != n) {
        crm_error_clear(err);
        err->code = CRM_EDATA;
        snprintf(err->source, sizeof err->source, "%s", path);
        snprintf(err->msg, sizeof err->msg,
                 "the baskets have no customer ids, so labels are matched by row, but there "
                 "are %lld labels for %lld transactions",
                 (long long)crm_fim_db_n_transactions(labels), (long long)n);
        return CRM_EDATA;
    }
    for (int64_t t = 0; t < n; t++) {
        int64_t row = keyed ? crm_fim_db_find_customer(labels, crm_fim_db_customer(db, t)) : t;
        const int32_t *items;
        out->segment_of[t] = -1;
        if (row >= 0 && crm_fim_db_transaction(labels, row, &items) == 1) {
            out->segment_of[t] = items[0];
        }
        out->n_unlabelled += out->segment_of[t] < 0;
    }
    return CRM_OK;
}

crm_status rules_cli_segments_load(const char *labels_path,
                                   const crm_fim_db *db,
                                   rules_cli_segments *out,
                                   crm_error *err)
{
    crm_fim_read_options opt = crm_fim_read_options_default();
    int32_t n_segs;
    crm_status rc;
    memset(out, 0, sizeof *out);
    opt.format = CRM_FIM_FORMAT_LONG;
    opt.item_col = seg_labels_name_col(labels_path);
    rc = crm_fim_db_read(labels_path, &opt, NULL, &out->labels, err);
    if (rc == CRM_OK) {
        rc = check_labels(out->labels, labels_path, err);
    }
    if (rc != CRM_OK) {
        rules_cli_segments_fini(out);
        return rc;
    }
    n_segs = crm_fim_db_n_items(out->labels);
    out->segment_of = crm_calloc((size_t)crm_fim_db_n_transactions(db) + 1, sizeof(int32_t));
    out->names = crm_calloc((size_t)n_segs + 1, sizeof(char *));
    if (out->segment_of == NULL || out->names == NULL) {
        rules_cli_segments_fini(out);
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return CRM_ENOMEM;
    }
    for (int32_t k = 0; k < n_segs; k++) {
        out->names[k] = (char *)crm_fim_db_item_name(out->labels, k);
    }
    rc = join(out->labels, db, labels_path, out, err);
    if (rc != CRM_OK) {
        rules_cli_segments_fini(out);
        return rc;
    }
    out->segs.segment_of = out->segment_of;
    out->segs.names = (const char *const *)out->names;
    out->segs.n_segments = n_segs;
    return CRM_OK;
}

void rules_cli_segments_fini(rules_cli_segments *s)
{
    crm_free(s->segment_of);
    crm_free(s->names); /* the strings belong to labels */
    crm_fim_db_free(s->labels);
    memset(s, 0, sizeof *s);
}

/* ---- printing ---- */

void rules_cli_print_items(FILE *fp, const crm_rules *r, const int32_t *ids, int32_t n)
{
    fputc('{', fp);
    for (int32_t i = 0; i < n; i++) {
        fprintf(fp, "%s%s", i ? ", " : "", crm_rules_item_name(r, ids[i]));
    }
    fputc('}', fp);
}

void rules_cli_print_rule(FILE *fp, const crm_rules *r, const crm_rule *q)
{
    rules_cli_print_items(fp, r, q->lhs, q->n_lhs);
    fputs(" => ", fp);
    rules_cli_print_items(fp, r, q->rhs, q->n_rhs);
    fprintf(fp, "  support %.4f  confidence %.3f  lift %.2f\n", q->support, q->confidence, q->lift);
}

void rules_cli_json_items(cli_json *j, const crm_rules *r, const int32_t *ids, int32_t n)
{
    cli_json_open_arr(j);
    for (int32_t i = 0; i < n; i++) {
        cli_json_str(j, crm_rules_item_name(r, ids[i]));
    }
    cli_json_close_arr(j);
}

crm_status rules_cli_json_set(cli_json *j,
                              const crm_rules *r,
                              int32_t s,
                              int64_t n_show,
                              int all_measures,
                              crm_error *err)
{
    crm_status st = CRM_OK;
    cli_json_open_obj(j);
    cli_json_key(j, "name");
    cli_json_str(j, crm_rules_set_name(r, s));
    cli_json_key(j, "transactions");
    cli_json_int(j, crm_rules_set_n_transactions(r, s));
    cli_json_key(j, "minsup_count");
    cli_json_int(j, crm_rules_set_min_count(r, s));
    cli_json_key(j, "rules");
    cli_json_int(j, crm_rules_n_rules(r, s));
    cli_json_key(j, "top_rules");
    cli_json_open_arr(j);
    for (int64_t i = 0; i < n_show && st == CRM_OK; i++) {
        crm_rule q;
        st = crm_rules_rule(r, s, i, &q, err);
        if (st != CRM_OK) {
            break;
        }
        cli_json_open_obj(j);
        cli_json_key(j, "antecedent");
        rules_cli_json_items(j, r, q.lhs, q.n_lhs);
        cli_json_key(j, "consequent");
        rules_cli_json_items(j, r, q.rhs, q.n_rhs);
        cli_json_key(j, "support");
        cli_json_num(j, q.support);
        cli_json_key(j, "confidence");
        cli_json_num(j, q.confidence);
        cli_json_key(j, "lift");
        cli_json_num(j, q.lift);
        if (all_measures) {
            cli_json_key(j, "leverage");
            cli_json_num(j, q.leverage);
            cli_json_key(j, "conviction");
            cli_json_num(j, q.conviction); /* null when infinite */
        }
        cli_json_key(j, "count");
        cli_json_int(j, q.count);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
    return st;
}
