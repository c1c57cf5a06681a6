/* cmd_rules.c: `crmkit rules`: mine association rules (per segment) and save them. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/fim.h>
#include <crmkit/outfile.h>
#include <crmkit/rules.h>

#include "cli.h"
#include "rules_cli.h"

#define CMD "rules"

typedef struct rules_opts {
    const char *input;
    rules_cli_input in;
    crm_fim_params fp;
    crm_rules_params rp;
    const char *segments;
    const char *out;
    const char *csv;
    bool json;
    bool quiet;
    bool have_minsup;
    int64_t show;
} rules_opts;

static void help(void)
{
    printf("usage: crmkit rules FILE --minsup S | --minsup-count N --minconf C [options]\n\n"
           "Mine frequent itemsets of FILE's baskets and derive association rules X => Y with\n"
           "support, confidence, lift, leverage and conviction; save them with the item\n"
           "dictionary for `crmkit recommend`. With --segments, each segment's baskets are\n"
           "mined separately too, and the itemsets that set each segment apart are reported.\n\n"
           "%s\n"
           "mining:\n"
           "  --minsup S          minimum support, a fraction in (0, 1]: a count of at least\n"
           "                      ceil(S x transactions) (SPMF's convention); per segment it\n"
           "                      is a fraction of the segment's transactions\n"
           "  --minsup-count N    minimum support as a count (the same for every segment)\n"
           "  --algo A            nlist (default), fpgrowth, apriori: same results\n"
           "  --max-len N         longest itemset mined (so rules have at most N items)\n"
           "  --max-itemsets N    stop with an error beyond N itemsets (default 100000000)\n"
           "  --max-memory MB     stop with an error beyond MB of mining memory (default 4096)\n"
           "  --threads N         threads for mining (never changes results)\n\n"
           "rules:\n"
           "  --minconf C         minimum confidence in [0, 1] (default 0.5)\n"
           "  --sort lift|confidence   order of the rules (default lift); ties are broken by\n"
           "                      the other metric, then support, then the items\n"
           "  --top N             keep the first N rules of each set (default all)\n"
           "  --max-rules N       stop with an error beyond N rules in a set (default 5000000)\n"
           "  --segments FILE     labels CSV (first column customer id, column segment), as\n"
           "                      written by `crmkit segment` or `crmkit assign`\n"
           "  --distinct-factor F an itemset is distinctive for a segment when its support\n"
           "                      there is at least F x its population support (default 1.5)\n"
           "  --distinct-top N    distinctive itemsets kept per segment (default 20)\n\n"
           "output:\n"
           "  -o FILE             rules file (model file of kind \"rules\")\n"
           "  --csv FILE          the rules as CSV (every set, with a segment column)\n"
           "  --show N            rules printed per set (default 5)\n"
           "  --json              a JSON summary on stdout instead of text\n"
           "  --quiet             no progress bar\n\n"
           "Outputs are written whole or not at all. Exit status: 0 ok, 64 usage, 65 bad data\n"
           "or a limit reached, 66 input missing, 73/74 output error.\n",
           rules_cli_input_help());
}

static int parse_num_opt(rules_opts *o, const char *name, const char *v)
{
    int64_t n;
    double d;
    if (strcmp(name, "--minsup") == 0) {
        if (!cli_parse_double(v, &d) || !(d > 0.0 && d <= 1.0)) {
            return cli_usage_error(CMD,
                                   "--minsup must be a fraction in (0, 1], got \"%s\" "
                                   "(use --minsup-count for a count)",
                                   v);
        }
        o->fp.minsup = d;
        o->have_minsup = true;
    } else if (strcmp(name, "--minsup-count") == 0) {
        if (!cli_parse_int(v, 1, INT64_MAX, &n)) {
            return cli_usage_error(CMD, "--minsup-count must be an integer >= 1, got \"%s\"", v);
        }
        o->fp.minsup_count = n;
        o->have_minsup = true;
    } else if (strcmp(name, "--minconf") == 0) {
        if (!cli_parse_double(v, &d) || !(d >= 0.0 && d <= 1.0)) {
            return cli_usage_error(CMD, "--minconf must be in [0, 1], got \"%s\"", v);
        }
        o->rp.min_conf = d;
    } else if (strcmp(name, "--max-len") == 0) {
        if (!cli_parse_int(v, 1, 62, &n)) {
            return cli_usage_error(CMD, "--max-len must be in [1, 62], got \"%s\"", v);
        }
        o->fp.max_len = (int32_t)n;
    } else if (strcmp(name, "--top") == 0 || strcmp(name, "--max-rules") == 0 ||
               strcmp(name, "--max-itemsets") == 0 || strcmp(name, "--show") == 0 ||
               strcmp(name, "--distinct-top") == 0 || strcmp(name, "--threads") == 0 ||
               strcmp(name, "--max-memory") == 0) {
        if (!cli_parse_int(v, strcmp(name, "--max-rules") == 0 ? 1 : 0, INT32_MAX, &n)) {
            return cli_usage_error(CMD, "%s must be an integer in [%d, %d], got \"%s\"", name,
                                   strcmp(name, "--max-rules") == 0 ? 1 : 0, INT32_MAX, v);
        }
        if (strcmp(name, "--top") == 0) {
            o->rp.top = n;
        } else if (strcmp(name, "--max-rules") == 0) {
            o->rp.max_rules = n;
        } else if (strcmp(name, "--max-itemsets") == 0) {
            o->fp.max_itemsets = n;
        } else if (strcmp(name, "--show") == 0) {
            o->show = n;
        } else if (strcmp(name, "--max-memory") == 0) {
            o->fp.max_memory_bytes = n * 1048576;
        } else if (strcmp(name, "--distinct-top") == 0) {
            o->rp.distinct_top = (int32_t)n;
        } else {
            o->fp.n_threads = (int32_t)n;
        }
    } else if (strcmp(name, "--distinct-factor") == 0) {
        if (!cli_parse_double(v, &d) || !(d >= 1.0)) {
            return cli_usage_error(CMD, "--distinct-factor must be >= 1, got \"%s\"", v);
        }
        o->rp.distinct_factor = d;
    } else {
        return -1;
    }
    return 0;
}

static int parse_word_opt(rules_opts *o, const char *name, const char *v)
{
    crm_error err;
    if (strcmp(name, "--sort") == 0) {
        if (strcmp(v, "lift") == 0) {
            o->rp.sort = CRM_RULES_SORT_LIFT;
        } else if (strcmp(v, "confidence") == 0) {
            o->rp.sort = CRM_RULES_SORT_CONFIDENCE;
        } else {
            return cli_usage_error(CMD, "--sort must be lift or confidence, got \"%s\"", v);
        }
    } else if (strcmp(name, "--algo") == 0) {
        if (crm_fim_algo_parse(v, &o->fp.algo, &err) != CRM_OK) {
            return cli_usage_error(CMD, "--algo must be nlist, fpgrowth or apriori, got \"%s\"", v);
        }
    } else if (strcmp(name, "--segments") == 0) {
        o->segments = v;
    } else if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) {
        o->out = v;
    } else if (strcmp(name, "--csv") == 0) {
        o->csv = v;
    } else {
        return parse_num_opt(o, name, v);
    }
    return 0;
}

static void usage(FILE *fp)
{
    (void)fp;
    help();
}

static int word_opt(const char *name, const char *v, void *ud)
{
    return parse_word_opt(ud, name, v) != 0 ? CLI_EX_USAGE : -1;
}

/* Returns -1 to go on, or an exit code. */
static int parse(rules_opts *o, int argc, char **argv)
{
#define RULES_OPT(n)                                                                               \
    {                                                                                              \
        .name = n, .kind = CLI_OPT_NAMED, .named = word_opt, .ud = o                               \
    }
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        RULES_OPT("--minsup"),
        RULES_OPT("--minsup-count"),
        RULES_OPT("--minconf"),
        RULES_OPT("--max-len"),
        RULES_OPT("--top"),
        RULES_OPT("--max-rules"),
        RULES_OPT("--max-itemsets"),
        RULES_OPT("--max-memory"),
        RULES_OPT("--show"),
        RULES_OPT("--distinct-top"),
        RULES_OPT("--threads"),
        RULES_OPT("--distinct-factor"),
        RULES_OPT("--sort"),
        RULES_OPT("--algo"),
        RULES_OPT("--segments"),
        RULES_OPT("--output"),
        RULES_OPT("-o"),
        RULES_OPT("--csv"),
        RULES_CLI_INPUT_OPTS(o->in),
        { 0 },
    };
    /* clang-format on */
#undef RULES_OPT
    const char *pos[1];
    int n_pos = 0;
    int code = cli_parse(CMD, argc, argv, opts, pos, 1, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->input = n_pos > 0 ? pos[0] : NULL;
    if (o->input == NULL) {
        return cli_usage_error(CMD, "no input file");
    }
    if (!o->have_minsup) {
        return cli_usage_error(CMD, "give a minimum support: --minsup S or --minsup-count N");
    }
    rules_cli_input_finish(&o->in);
    return -1;
}

/* ---- reporting ---- */

static void json_set(cli_json *j, const crm_rules *r, int32_t s, int64_t show)
{
    int64_t n_show = crm_rules_n_rules(r, s) < show ? crm_rules_n_rules(r, s) : show;
    (void)rules_cli_json_set(j, r, s, n_show, 1, NULL);
    if (s > 0) {
        cli_json_key(j, "distinctive");
        cli_json_open_arr(j);
        for (int64_t i = 0; i < crm_rules_n_patterns(r, s); i++) {
            crm_segment_pattern p;
            (void)crm_rules_pattern(r, s, i, &p, NULL);
            cli_json_open_obj(j);
            cli_json_key(j, "items");
            rules_cli_json_items(j, r, p.items, p.n_items);
            cli_json_key(j, "support");
            cli_json_num(j, p.support);
            cli_json_key(j, "population_support");
            cli_json_num(j, p.pop_support);
            cli_json_key(j, "ratio");
            cli_json_num(j, p.ratio);
            cli_json_close_obj(j);
        }
        cli_json_close_arr(j);
    }
    cli_json_close_obj(j);
}

static void report_json(const rules_opts *o,
                        const crm_rules *r,
                        const crm_fim_db *db,
                        int64_t n_unlabelled,
                        double seconds)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "transactions");
    cli_json_int(&j, crm_fim_db_n_transactions(db));
    cli_json_key(&j, "items");
    cli_json_int(&j, crm_rules_n_items(r));
    cli_json_key(&j, "minconf");
    cli_json_num(&j, o->rp.min_conf);
    cli_json_key(&j, "sort");
    cli_json_str(&j, o->rp.sort == CRM_RULES_SORT_LIFT ? "lift" : "confidence");
    cli_json_key(&j, "rules");
    cli_json_int(&j, crm_rules_n_rules(r, 0));
    cli_json_key(&j, "segments");
    cli_json_int(&j, crm_rules_n_sets(r) - 1);
    cli_json_key(&j, "unlabelled");
    cli_json_int(&j, n_unlabelled);
    cli_json_key(&j, "sets");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < crm_rules_n_sets(r); s++) {
        json_set(&j, r, s, o->show > 10 ? o->show : 10);
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "output");
    cli_json_str(&j, o->out);
    cli_json_key(&j, "csv");
    cli_json_str(&j, cli_path_shown(o->csv));
    cli_json_key(&j, "seconds");
    cli_json_num(&j, seconds);
    cli_json_end(&j);
}

static void
report_text(const rules_opts *o, const crm_rules *r, const crm_fim_db *db, int64_t n_unlabelled)
{
    printf("%lld transactions, %d items; minimum confidence %g, rules sorted by %s\n",
           (long long)crm_fim_db_n_transactions(db), (int)crm_rules_n_items(r), o->rp.min_conf,
           o->rp.sort == CRM_RULES_SORT_LIFT ? "lift" : "confidence");
    if (n_unlabelled > 0) {
        printf("%lld transactions have no segment label (population only)\n",
               (long long)n_unlabelled);
    }
    for (int32_t s = 0; s < crm_rules_n_sets(r); s++) {
        int64_t n = crm_rules_n_rules(r, s);
        printf("\n%s %s: %lld transactions, minimum support count %lld, %lld rules\n",
               s == 0 ? "population" : "segment", crm_rules_set_name(r, s),
               (long long)crm_rules_set_n_transactions(r, s),
               (long long)crm_rules_set_min_count(r, s), (long long)n);
        for (int64_t i = 0; i < n && i < o->show; i++) {
            crm_rule q;
            (void)crm_rules_rule(r, s, i, &q, NULL);
            printf("  %2lld. ", (long long)(i + 1));
            rules_cli_print_rule(stdout, r, &q);
        }
        for (int64_t i = 0; s > 0 && i < crm_rules_n_patterns(r, s) && i < o->show; i++) {
            crm_segment_pattern p;
            (void)crm_rules_pattern(r, s, i, &p, NULL);
            printf("  %s ", i == 0 ? "distinctive:" : "            ");
            rules_cli_print_items(stdout, r, p.items, p.n_items);
            printf("  support %.3f vs %.3f in the population (x%.1f)\n", p.support, p.pop_support,
                   p.ratio);
        }
    }
    if (o->out != NULL) {
        printf("\nrules saved to %s\n", o->out);
    }
    if (o->csv != NULL) {
        printf("rules written as CSV to %s\n", o->csv);
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_rules(int argc, char **argv)
{
    rules_opts o;
    crm_fim_db *db = NULL;
    crm_rules *r = NULL;
    rules_cli_segments segs;
    cli_progress bar;
    crm_error err;
    crm_status rc;
    double t0 = now_seconds();
    int code;
    memset(&o, 0, sizeof o);
    memset(&segs, 0, sizeof segs);
    rules_cli_input_init(&o.in, CRM_FIM_FORMAT_AUTO);
    o.fp = crm_fim_params_default();
    o.rp = crm_rules_params_default();
    o.show = 5;
    code = parse(&o, argc, argv);
    if (code >= 0) {
        return code;
    }
    {
        const char *in[] = { o.input, o.segments };
        const char *out[] = { o.out, o.csv };
        code = cli_check_paths(CMD, in, 2, out, 2, 2u);
        if (code >= 0) {
            return code;
        }
    }
    crm_error_clear(&err);
    cli_progress_init(&bar, o.quiet || o.json);
    rc = crm_fim_db_read(o.input, &o.in.opt, cli_progress_cb(&bar), &db, &err);
    if (rc == CRM_OK && o.segments != NULL) {
        rc = rules_cli_segments_load(o.segments, db, &segs, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_rules_mine(db, &o.fp, &o.rp, o.segments ? &segs.segs : NULL, cli_progress_cb(&bar),
                            &r, &err);
    }
    /* the rules file and its CSV are one set: both renamed into place, or neither */
    crm_outfile_set_begin();
    if (rc == CRM_OK && o.csv != NULL) {
        rc = crm_rules_write_csv(r, -1, o.csv, &err);
    }
    if (rc == CRM_OK && o.out != NULL) {
        rc = crm_rules_save(r, o.out, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_outfile_set_end(1, &err);
    } else {
        (void)crm_outfile_set_end(0, NULL);
    }
    cli_progress_done(&bar);
    if (rc == CRM_OK) {
        if (o.json) {
            report_json(&o, r, db, segs.n_unlabelled, now_seconds() - t0);
        } else {
            report_text(&o, r, db, segs.n_unlabelled);
        }
        code = CLI_EX_OK;
    } else {
        code = cli_fail(&err);
    }
    crm_rules_free(r);
    rules_cli_segments_fini(&segs);
    crm_fim_db_free(db);
    return code;
}
