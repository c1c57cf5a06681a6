/* cmd_recommend.c: `crmkit recommend`: services a customer does not have yet, from a rules
 * file, for one basket (--items) or for every customer of a baskets file (--baskets). */
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>
#include <crmkit/outfile.h>
#include <crmkit/rules.h>

#include "cli.h"
#include "rules_cli.h"

#define CMD "recommend"

typedef struct rec_opts {
    const char *rules_path;
    const char *items;
    const char *baskets;
    const char *segment;
    const char *segments;
    const char *out;
    rules_cli_input in;
    int64_t top;
    bool json;
    bool quiet;
} rec_opts;

static void help(void)
{
    printf("usage: crmkit recommend RULES --items a,b,c [--segment NAME] [--top N] [--json]\n"
           "       crmkit recommend RULES --baskets FILE [--segments labels.csv] [--top N]\n"
           "                        -o recommendations.csv [--json] [--quiet]\n\n"
           "Recommend to a customer the services they do not have yet. A rule X => Y of the\n"
           "rules file (from `crmkit rules`) fires when the customer has every item of X; each\n"
           "item of Y the customer lacks is a candidate, scored by the best rule that offers it\n"
           "(confidence, then lift, then support count; ties by item name). When fewer than N\n"
           "candidates come from rules, the most popular services of the segment fill the list,\n"
           "marked \"popularity\" (said so in the output).\n\n"
           "options:\n"
           "  --items a,b,c       the customer's current services (names as in the rules file)\n"
           "  --segment NAME      use the rules of this segment (default: the population)\n"
           "  --baskets FILE      recommend for every customer of FILE (default format long:\n"
           "                      CSV customer,item; see input options)\n"
           "  --segments FILE     labels CSV (customer id, segment_name or segment) choosing\n"
           "                      each customer's\n"
           "                      segment rules; customers without a label or whose segment\n"
           "                      has no rules use the population\n"
           "  --top N             recommendations per customer (default 5)\n"
           "  -o FILE             --baskets output CSV: customer,segment,rank,item,source,\n"
           "                      confidence,lift,because (default stdout)\n"
           "  --json              a JSON object on stdout: --items, or --baskets without -o,\n"
           "                      the recommendations; --baskets with -o, a summary\n"
           "  --quiet             --baskets: no progress bar while reading\n\n"
           "%s\n"
           "Exit status: 0 ok, 64 usage (unknown segment), 65 damaged rules file or bad data,\n"
           "66 missing input, 73/74 output error.\n",
           rules_cli_input_help());
}

static void usage(FILE *fp)
{
    (void)fp;
    help();
}

static int parse(rec_opts *o, int argc, char **argv)
{
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--items", .kind = CLI_OPT_STR, .dest = &o->items },
        { .name = "--baskets", .kind = CLI_OPT_STR, .dest = &o->baskets },
        { .name = "--segment", .kind = CLI_OPT_STR, .dest = &o->segment },
        { .name = "--segments", .kind = CLI_OPT_STR, .dest = &o->segments },
        { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &o->out },
        { .name = "--top", .kind = CLI_OPT_INT, .dest = &o->top, .lo = 1, .hi = 100000 },
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        RULES_CLI_INPUT_OPTS(o->in),
        { 0 },
    };
    /* clang-format on */
    code = cli_parse(CMD, argc, argv, opts, pos, 1, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->rules_path = n_pos > 0 ? pos[0] : NULL;
    if (o->rules_path == NULL) {
        return cli_usage_error(CMD, "no rules file");
    }
    if ((o->items == NULL) == (o->baskets == NULL)) {
        return cli_usage_error(CMD, "give exactly one of --items or --baskets");
    }
    if (o->items != NULL && (o->segments != NULL || o->out != NULL)) {
        return cli_usage_error(CMD, "--segments and -o go with --baskets; use --segment NAME "
                                    "with --items");
    }
    rules_cli_input_finish(&o->in);
    {
        const char *in[] = { o->rules_path, o->baskets, o->segments };
        const char *out[] = { o->out };
        return cli_check_paths(CMD, in, 3, out, 1, 1u);
    }
}

static int32_t pick_set(const crm_rules *r, const char *name)
{
    int32_t s = name ? crm_rules_find_set(r, name) : 0;
    return s < 0 ? 0 : s;
}

/* ---- one basket ---- */

static void
print_text(const crm_rules *r, int32_t s, const crm_recommendation *rec, int32_t n, int32_t n_known)
{
    printf("recommendations from the rules of %s%s (basket of %d known item%s):\n",
           s == 0 ? "the population" : "segment ", s == 0 ? "" : crm_rules_set_name(r, s),
           (int)n_known, n_known == 1 ? "" : "s");
    if (n > 0 && rec[0].source == CRM_REC_POPULARITY) {
        printf("  no rule fired for this basket: most popular services of %s instead\n",
               s == 0 ? "the population" : "the segment");
    }
    for (int32_t i = 0; i < n; i++) {
        if (rec[i].source == CRM_REC_RULE) {
            crm_rule q;
            (void)crm_rules_rule(r, s, rec[i].rule, &q, NULL);
            printf("  %d. %-24s rule        confidence %.3f  lift %.2f  because ", (int)(i + 1),
                   crm_rules_item_name(r, rec[i].item), rec[i].confidence, rec[i].lift);
            rules_cli_print_items(stdout, r, q.lhs, q.n_lhs);
            putchar('\n');
        } else {
            printf("  %d. %-24s popularity  %.3f of customers have it\n", (int)(i + 1),
                   crm_rules_item_name(r, rec[i].item), rec[i].confidence);
        }
    }
    if (n == 0) {
        printf("  nothing to recommend: the basket holds every known service\n");
    }
}

static void print_json(const crm_rules *r,
                       int32_t s,
                       const crm_recommendation *rec,
                       int32_t n,
                       char **unknown,
                       int32_t n_unknown)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "segment");
    cli_json_str(&j, crm_rules_set_name(r, s));
    cli_json_key(&j, "unknown_items");
    cli_json_open_arr(&j);
    for (int32_t i = 0; i < n_unknown; i++) {
        cli_json_str(&j, unknown[i]);
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "recommendations");
    cli_json_open_arr(&j);
    for (int32_t i = 0; i < n; i++) {
        cli_json_open_obj(&j);
        cli_json_key(&j, "item");
        cli_json_str(&j, crm_rules_item_name(r, rec[i].item));
        cli_json_key(&j, "source");
        cli_json_str(&j, rec[i].source == CRM_REC_RULE ? "rule" : "popularity");
        cli_json_key(&j, "confidence");
        cli_json_num(&j, rec[i].confidence);
        cli_json_key(&j, "lift");
        cli_json_num(&j, rec[i].lift);
        cli_json_key(&j, "count");
        cli_json_int(&j, rec[i].count);
        if (rec[i].source == CRM_REC_RULE) {
            crm_rule q;
            (void)crm_rules_rule(r, s, rec[i].rule, &q, NULL);
            cli_json_key(&j, "because");
            cli_json_open_arr(&j);
            for (int32_t k = 0; k < q.n_lhs; k++) {
                cli_json_str(&j, crm_rules_item_name(r, q.lhs[k]));
            }
            cli_json_close_arr(&j);
        }
        cli_json_close_obj(&j);
    }
    cli_json_close_arr(&j);
    cli_json_end(&j);
}

static int recommend_items(const rec_opts *o, const crm_rules *r, int32_t s)
{
    int32_t n_names = 0;
    char **names = cli_split_list(o->items, ',', &n_names);
    char **unknown = crm_calloc((size_t)n_names + 1, sizeof *unknown);
    int32_t *basket = crm_calloc((size_t)n_names + 1, sizeof *basket);
    crm_recommendation *rec = crm_calloc((size_t)o->top, sizeof *rec);
    int32_t n_known = 0;
    int32_t n_unknown = 0;
    int32_t n = 0;
    crm_error err;
    int code = CLI_EX_OK;
    if (names == NULL || unknown == NULL || basket == NULL || rec == NULL) {
        fprintf(stderr, "crmkit recommend: out of memory\n");
        code = CLI_EX_OSERR;
    }
    for (int32_t i = 0; code == CLI_EX_OK && i < n_names; i++) {
        int32_t id = crm_rules_find_item(r, names[i]);
        if (id >= 0) {
            basket[n_known++] = id;
        } else {
            unknown[n_unknown++] = names[i];
            if (!o->json) {
                fprintf(stderr, "crmkit recommend: item \"%s\" is not in %s; ignored\n", names[i],
                        o->rules_path);
            }
        }
    }
    if (code == CLI_EX_OK &&
        crm_rules_recommend(r, s, basket, n_known, (int32_t)o->top, rec, &n, &err) != CRM_OK) {
        code = cli_fail(&err);
    }
    if (code == CLI_EX_OK) {
        if (o->json) {
            print_json(r, s, rec, n, unknown, n_unknown);
        } else {
            print_text(r, s, rec, n, n_known);
        }
    }
    cli_free_list(names);
    crm_free(unknown);
    crm_free(basket);
    crm_free(rec);
    return code;
}

/* ---- a baskets file ---- */

typedef struct batch {
    cli_json *json; /* --json without -o: the recommendations as JSON, else CSV */
    int64_t n_rec;
    const crm_rules *r;
    const crm_fim_db *db;
    const crm_fim_db *labels;
    int32_t top;
    int32_t *basket;
    crm_recommendation *rec;
} batch;

static void csv_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', fp);
        }
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* Items joined by ';' as one field, quoted when a name needs it. */
static void csv_items(FILE *fp, const crm_rules *r, const int32_t *ids, int32_t n)
{
    bool quote = false;
    for (int32_t k = 0; k < n; k++) {
        quote = quote || strpbrk(crm_rules_item_name(r, ids[k]), ",\"\r\n") != NULL;
    }
    fputs(quote ? "\"" : "", fp);
    for (int32_t k = 0; k < n; k++) {
        fputs(k ? ";" : "", fp);
        for (const char *c = crm_rules_item_name(r, ids[k]); *c; c++) {
            fputs(*c == '"' ? "\"\"" : "", fp);
            if (*c != '"') {
                fputc(*c, fp);
            }
        }
    }
    fputs(quote ? "\"" : "", fp);
}

static crm_status batch_row(batch *b, FILE *fp, int64_t t, char *idbuf, crm_error *err)
{
    const int32_t *items;
    int32_t len = crm_fim_db_transaction(b->db, t, &items);
    int32_t n_known = 0;
    int32_t n = 0;
    const char *cust = crm_fim_db_customer(b->db, t);
    const char *seg = rules_cli_segment_of(b->labels, cust);
    int32_t s = pick_set(b->r, seg);
    crm_status rc;
    for (int32_t k = 0; k < len; k++) {
        int32_t id = crm_rules_find_item(b->r, crm_fim_db_item_name(b->db, items[k]));
        if (id >= 0) {
            b->basket[n_known++] = id;
        }
    }
    rc = crm_rules_recommend(b->r, s, b->basket, n_known, b->top, b->rec, &n, err);
    if (cust == NULL) {
        snprintf(idbuf, 32, "%lld", (long long)(t + 1));
        cust = idbuf;
    }
    for (int32_t i = 0; rc == CRM_OK && i < n; i++) {
        const crm_recommendation *q = &b->rec[i];
        b->n_rec++;
        if (b->json != NULL) {
            cli_json *j = b->json;
            cli_json_open_obj(j);
            cli_json_key(j, "customer");
            cli_json_str(j, cust);
            cli_json_key(j, "segment");
            cli_json_str(j, crm_rules_set_name(b->r, s));
            cli_json_key(j, "rank");
            cli_json_int(j, i + 1);
            cli_json_key(j, "item");
            cli_json_str(j, crm_rules_item_name(b->r, q->item));
            cli_json_key(j, "source");
            cli_json_str(j, q->source == CRM_REC_RULE ? "rule" : "popularity");
            cli_json_key(j, "confidence");
            cli_json_num(j, q->confidence);
            cli_json_key(j, "lift");
            cli_json_num(j, q->lift);
            cli_json_key(j, "because");
            cli_json_open_arr(j);
            if (q->source == CRM_REC_RULE) {
                crm_rule rule;
                (void)crm_rules_rule(b->r, s, q->rule, &rule, NULL);
                for (int32_t k = 0; k < rule.n_lhs; k++) {
                    cli_json_str(j, crm_rules_item_name(b->r, rule.lhs[k]));
                }
            }
            cli_json_close_arr(j);
            cli_json_close_obj(j);
            continue;
        }
        csv_field(fp, cust);
        fputc(',', fp);
        csv_field(fp, crm_rules_set_name(b->r, s));
        fprintf(fp, ",%d,", (int)(i + 1));
        csv_field(fp, crm_rules_item_name(b->r, q->item));
        fprintf(fp, ",%s,%.10g,%.10g,", q->source == CRM_REC_RULE ? "rule" : "popularity",
                q->confidence, q->lift);
        if (q->source == CRM_REC_RULE) {
            crm_rule rule;
            (void)crm_rules_rule(b->r, s, q->rule, &rule, NULL);
            csv_items(fp, b->r, rule.lhs, rule.n_lhs);
        }
        fputc('\n', fp);
    }
    return rc;
}

static int recommend_baskets(const rec_opts *o, const crm_rules *r)
{
    crm_fim_db *db = NULL;
    rules_cli_segments segs;
    crm_outfile *f = NULL;
    batch b;
    crm_error err;
    char idbuf[32];
    crm_status rc;
    memset(&segs, 0, sizeof segs);
    memset(&b, 0, sizeof b);
    {
        cli_progress bar;
        cli_progress_init(&bar, o->quiet);
        rc = crm_fim_db_read(o->baskets, &o->in.opt, cli_progress_cb(&bar), &db, &err);
        cli_progress_done(&bar);
    }
    if (rc == CRM_OK && o->segments != NULL) {
        rc = rules_cli_segments_load(o->segments, db, &segs, &err);
    }
    if (rc == CRM_OK) {
        b.r = r;
        b.db = db;
        b.labels = segs.labels;
        b.top = (int32_t)o->top;
        b.basket = crm_calloc((size_t)crm_fim_db_n_items(db) + 1, sizeof *b.basket);
        b.rec = crm_calloc((size_t)o->top, sizeof *b.rec);
        if (b.basket == NULL || b.rec == NULL) {
            rc = CRM_ENOMEM;
            snprintf(err.msg, sizeof err.msg, "out of memory");
            err.code = rc;
        }
    }
    if (rc == CRM_OK) {
        rc = crm_outfile_open(o->out ? o->out : "-", &f, &err);
    }
    if (rc == CRM_OK) {
        /* --json: the recommendations themselves as JSON when they go to standard output,
         * else (-o FILE gets the CSV) a summary of them */
        FILE *fp = crm_outfile_stream(f);
        bool json_rows = o->json && o->out == NULL;
        cli_json j;
        if (json_rows) {
            b.json = &j;
            cli_json_begin(&j, fp);
            cli_json_key(&j, "recommendations");
            cli_json_open_arr(&j);
        } else {
            fputs("customer,segment,rank,item,source,confidence,lift,because\n", fp);
        }
        for (int64_t t = 0; rc == CRM_OK && t < crm_fim_db_n_transactions(db); t++) {
            rc = batch_row(&b, fp, t, idbuf, &err);
        }
        if (json_rows) {
            cli_json_close_arr(&j);
            cli_json_key(&j, "customers");
            cli_json_int(&j, crm_fim_db_n_transactions(db));
            cli_json_end(&j);
        }
        if (rc == CRM_OK) {
            rc = crm_outfile_commit(f, &err);
        } else {
            crm_outfile_abort(f);
        }
        if (rc == CRM_OK && o->json && !json_rows) {
            cli_json_begin(&j, stdout);
            cli_json_key(&j, "customers");
            cli_json_int(&j, crm_fim_db_n_transactions(db));
            cli_json_key(&j, "recommendations");
            cli_json_int(&j, b.n_rec);
            cli_json_key(&j, "output");
            cli_json_str(&j, cli_path_shown(o->out));
            cli_json_end(&j);
        }
    }
    crm_free(b.basket);
    crm_free(b.rec);
    rules_cli_segments_fini(&segs);
    crm_fim_db_free(db);
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    return CLI_EX_OK;
}

int cmd_recommend(int argc, char **argv)
{
    rec_opts o;
    crm_rules *r = NULL;
    crm_error err;
    int code;
    int32_t s = 0;
    memset(&o, 0, sizeof o);
    o.top = 5;
    rules_cli_input_init(&o.in, CRM_FIM_FORMAT_LONG);
    code = parse(&o, argc, argv);
    if (code >= 0) {
        return code;
    }
    crm_error_clear(&err);
    if (crm_rules_load(o.rules_path, &r, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    if (o.segment != NULL) {
        s = crm_rules_find_set(r, o.segment);
        if (s < 0) {
            fprintf(stderr, "crmkit recommend: no segment \"%s\" in %s; it has:", o.segment,
                    o.rules_path);
            for (int32_t k = 0; k < crm_rules_n_sets(r); k++) {
                fprintf(stderr, "%s \"%s\"", k ? "," : "", crm_rules_set_name(r, k));
            }
            fputc('\n', stderr);
            crm_rules_free(r);
            return CLI_EX_USAGE;
        }
    }
    code = o.items != NULL ? recommend_items(&o, r, s) : recommend_baskets(&o, r);
    crm_rules_free(r);
    return code;
}
