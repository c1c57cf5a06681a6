/* cmd_itemsets.c: `crmkit itemsets`: read transactions, mine frequent itemsets, write them
 * (SPMF text, CSV or JSON) atomically, and print a JSON summary on request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>
#include <crmkit/fim.h>
#include <crmkit/outfile.h>

#include "cli.h"

static const char *const HELP =
    "usage: crmkit itemsets FILE [options]\n"
    "\n"
    "Mine the frequent itemsets of a transaction file (plain or .gz).\n"
    "\n"
    "input:\n"
    "  --format F          auto (default: fimi when the first line is integers, else basket),\n"
    "                      fimi (SPMF: integers separated by spaces), basket (names separated\n"
    "                      by --sep, as R arules reads them), long (CSV: customer,item rows),\n"
    "                      vas (CSV VAS log: long with a status filter)\n"
    "  --sep C             basket separator / CSV delimiter (default ','; 'tab' for a tab)\n"
    "  --skip-empty        skip empty lines (default: each is an empty transaction)\n"
    "  --customer-col C    long/vas: customer column (default: 1st column; vas: mobile_no)\n"
    "  --item-col I[,J]    long/vas: item column(s), joined with ':' (default: 2nd column;\n"
    "                      vas: pr_code)\n"
    "  --status-col S      long/vas: status column (default: status)\n"
    "  --status-ok V[,W]   keep only rows whose status is one of these values (vas default:\n"
    "                      status = SUCCESS, as for rules and recommend)\n"
    "\n"
    "mining:\n"
    "  --minsup S          minimum support as a fraction in (0, 1]: an itemset is frequent\n"
    "                      when its support count is at least ceil(S x transactions)\n"
    "                      (SPMF's convention; e.g. 0.01 of 88,162 transactions is 882)\n"
    "  --minsup-count N    minimum support as a count (>= 1); one of the two is required\n"
    "  --algo A            nlist (default: PrePost N-lists, fastest), fpgrowth, apriori;\n"
    "                      all three give the same itemsets\n"
    "  --min-len N         shortest itemset to report (default 1)\n"
    "  --max-len N         longest itemset to report (default: no limit)\n"
    "  --closed            only closed itemsets (no superset with the same support)\n"
    "  --maximal           only maximal itemsets (no frequent superset)\n"
    "  --max-itemsets N    stop with an error beyond N itemsets (default 100000000; 0 = none)\n"
    "  --max-memory MB     stop with an error beyond MB of working memory (default 4096)\n"
    "  --threads N         threads (default: all cores); never changes the output\n"
    "  --partition-mb MB   read and mine the input in parts of at most MB of text, in two\n"
    "                      passes (pass 1 mines each part at its share of the minimum\n"
    "                      support, pass 2 counts those candidates over the whole file):\n"
    "                      the same itemsets and supports in --sorted order. Default: a\n"
    "                      fimi or basket file larger than --max-memory is read in parts\n"
    "                      of a quarter of it; 0 = never\n"
    "  --partition-bytes N the same in bytes\n"
    "\n"
    "output:\n"
    "  -o FILE             write the itemsets to FILE (default: standard output; with --json\n"
    "                      and no -o they are counted, not written)\n"
    "  --sorted            write the itemsets by length, then items in dictionary order\n"
    "                      (the order of a partitioned run), not in the miner's order\n"
    "  --csv               CSV (items,size,support,relative_support) instead of SPMF\n"
    "  --out-format F      spmf (default: \"1 5 9 #SUP: 123\", names where the input has\n"
    "                      them), csv or json\n"
    "  --json              print a JSON summary on standard output: itemsets, max_len,\n"
    "                      transactions, items, frequent_items, minsup_count, seconds, ...\n"
    "  --quiet             no progress bar\n"
    "\n"
    "Items within an itemset are in dictionary order (ascending integers, or names in byte\n"
    "order); itemsets come in the miner's own deterministic order.\n"
    "\n"
    "exit status: 0 ok, 64 usage, 65 bad input or a limit reached, 66 missing input,\n"
    "74 output error.\n";

typedef struct opts {
    const char *input;
    const char *output;
    crm_fim_read_options ro;
    crm_fim_params p;
    crm_itemset_format out_format;
    int have_minsup;
    int status_given;
    int json;
    int quiet;
    int sorted;
    int64_t partition_bytes; /* -1: by the file's size; 0: in memory */
} opts;

static double cli_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_format(const char *s, crm_fim_format *f)
{
    static const char *const names[] = { "auto", "fimi", "basket", "long", "vas" };
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *f = (crm_fim_format)i;
            return 1;
        }
    }
    if (strcmp(s, "spmf") == 0) {
        *f = CRM_FIM_FORMAT_FIMI;
        return 1;
    }
    return 0;
}

static int parse_out_format(const char *s, crm_itemset_format *f)
{
    if (strcmp(s, "spmf") == 0) {
        *f = CRM_ITEMSET_SPMF;
    } else if (strcmp(s, "csv") == 0) {
        *f = CRM_ITEMSET_CSV;
    } else if (strcmp(s, "json") == 0) {
        *f = CRM_ITEMSET_JSON;
    } else {
        return 0;
    }
    return 1;
}

/* Options that take a value. Returns 1 handled, 0 unknown, -1 usage error printed. */
static int value_option(opts *o, const char *name, const char *v)
{
    int64_t n;
    double x;
    if (strcmp(name, "--format") == 0) {
        return parse_format(v, &o->ro.format) ? 1 : -2;
    }
    if (strcmp(name, "--sep") == 0) {
        if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0) {
            o->ro.sep = '\t';
            return 1;
        }
        if (strlen(v) != 1) {
            return -2;
        }
        o->ro.sep = v[0];
        return 1;
    }
    if (strcmp(name, "--customer-col") == 0) {
        o->ro.customer_col = v;
    } else if (strcmp(name, "--item-col") == 0) {
        o->ro.item_col = v;
    } else if (strcmp(name, "--status-col") == 0) {
        o->ro.status_col = v;
        o->status_given = 1;
    } else if (strcmp(name, "--status-ok") == 0) {
        o->ro.status_ok = v;
        o->status_given = 1;
    } else if (strcmp(name, "--minsup") == 0) {
        if (!cli_parse_double(v, &x) || !(x > 0.0 && x <= 1.0)) {
            return -3;
        }
        o->p.minsup = x;
        o->p.minsup_count = 0;
        o->have_minsup++;
    } else if (strcmp(name, "--minsup-count") == 0) {
        if (!cli_parse_int(v, 1, INT64_MAX, &n)) {
            return -4;
        }
        o->p.minsup_count = n;
        o->have_minsup++;
    } else if (strcmp(name, "--algo") == 0) {
        return crm_fim_algo_parse(v, &o->p.algo, NULL) == CRM_OK ? 1 : -2;
    } else if (strcmp(name, "--min-len") == 0 || strcmp(name, "--max-len") == 0) {
        if (!cli_parse_int(v, strcmp(name, "--min-len") == 0 ? 1 : 0, 1 << 30, &n)) {
            return -2;
        }
        *(strcmp(name, "--min-len") == 0 ? &o->p.min_len : &o->p.max_len) = (int32_t)n;
    } else if (strcmp(name, "--max-itemsets") == 0) {
        if (!cli_parse_int(v, 0, INT64_MAX, &n)) {
            return -2;
        }
        o->p.max_itemsets = n;
    } else if (strcmp(name, "--max-memory") == 0) {
        if (!cli_parse_int(v, 0, (int64_t)1 << 40, &n)) {
            return -2;
        }
        o->p.max_memory_bytes = n << 20;
    } else if (strcmp(name, "--partition-mb") == 0) {
        if (!cli_parse_int(v, 0, (int64_t)1 << 40, &n)) {
            return -2;
        }
        o->partition_bytes = n << 20;
    } else if (strcmp(name, "--partition-bytes") == 0) {
        if (!cli_parse_int(v, 0, INT64_MAX, &n)) {
            return -2;
        }
        o->partition_bytes = n;
    } else if (strcmp(name, "--threads") == 0) {
        if (!cli_parse_int(v, 0, 1024, &n)) {
            return -2;
        }
        o->p.n_threads = (int32_t)n;
        o->ro.n_threads = (int32_t)n;
    } else if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) {
        o->output = v;
    } else if (strcmp(name, "--out-format") == 0) {
        return parse_out_format(v, &o->out_format) ? 1 : -2;
    } else {
        return 0;
    }
    return 1;
}

/* What a valued option accepts, for the message when a value is refused. */
static const char *accepted(const char *name)
{
    static const struct {
        const char *name;
        const char *what;
    } table[] = {
        { "--min-len", "a whole number in [1, 1073741824]" },
        { "--max-len", "a whole number in [0, 1073741824]" },
        { "--max-itemsets", "a whole number >= 0" },
        { "--max-memory", "a whole number of MiB in [0, 1099511627776]" },
        { "--threads", "a whole number in [0, 1024]" },
        { "--partition-mb", "a whole number of MiB in [0, 1099511627776]" },
        { "--partition-bytes", "a whole number >= 0" },
        { "--algo", "nlist, fpgrowth or apriori" },
        { "--out-format", "spmf, csv or json" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(name, table[i].name) == 0) {
            return table[i].what;
        }
    }
    return "a valid value";
}

static int valued(const char *a, const char *v, void *ud)
{
    int r = value_option(ud, a, v);
    if (r == -3) {
        return cli_usage_error("itemsets",
                               "--minsup must be a fraction in (0, 1], got \"%s\" (use "
                               "--minsup-count for a count)",
                               v);
    }
    if (r == -4) {
        return cli_usage_error("itemsets", "--minsup-count must be an integer >= 1, got \"%s\"", v);
    }
    if (r < 0) {
        return cli_usage_error("itemsets", "%s needs %s, got \"%s\"", a, accepted(a), v);
    }
    return -1;
}

static void usage(FILE *fp)
{
    fputs(HELP, fp);
}

static int parse_args(int argc, char **argv, opts *o)
{
#define VALUED(n)                                                                                  \
    {                                                                                              \
        .name = n, .kind = CLI_OPT_NAMED, .named = valued, .ud = o                                 \
    }
    bool closed = false, maximal = false, csv = false, json = false, quiet = false;
    bool skip_empty = false;
    bool sorted = false;
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt table[] = {
        { .name = "--closed", .kind = CLI_OPT_FLAG, .dest = &closed },
        { .name = "--maximal", .kind = CLI_OPT_FLAG, .dest = &maximal },
        { .name = "--csv", .kind = CLI_OPT_FLAG, .dest = &csv },
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
        { .name = "--quiet", .alias = "-q", .kind = CLI_OPT_FLAG, .dest = &quiet },
        { .name = "--skip-empty", .kind = CLI_OPT_FLAG, .dest = &skip_empty },
        { .name = "--sorted", .kind = CLI_OPT_FLAG, .dest = &sorted },
        VALUED("--format"),
        VALUED("--sep"),
        VALUED("--customer-col"),
        VALUED("--item-col"),
        VALUED("--status-col"),
        VALUED("--status-ok"),
        VALUED("--minsup"),
        VALUED("--minsup-count"),
        VALUED("--algo"),
        VALUED("--min-len"),
        VALUED("--max-len"),
        VALUED("--max-itemsets"),
        VALUED("--max-memory"),
        VALUED("--threads"),
        VALUED("-o"),
        VALUED("--output"),
        VALUED("--out-format"),
        VALUED("--partition-bytes"),
        VALUED("--partition-mb"),
        { 0 },
    };
    /* clang-format on */
#undef VALUED
    code = cli_parse("itemsets", argc, argv, table, pos, 1, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->input = n_pos > 0 ? pos[0] : NULL;
    if (closed) {
        o->p.mode = CRM_FIM_CLOSED;
    }
    if (maximal) {
        o->p.mode = closed ? (crm_fim_mode)-1 : CRM_FIM_MAXIMAL;
    }
    if (csv) {
        o->out_format = CRM_ITEMSET_CSV;
    }
    o->json = json;
    o->quiet = quiet;
    o->ro.skip_empty = o->ro.skip_empty || skip_empty;
    o->sorted = sorted;
    if (o->input == NULL) {
        return cli_usage_error("itemsets", "no input file");
    }
    if (o->ro.format == CRM_FIM_FORMAT_VAS && !o->status_given) {
        /* the same default as rules and recommend: failed or timed-out rows are no purchase */
        o->ro.status_col = "status";
        o->ro.status_ok = "SUCCESS";
    }
    if (o->have_minsup != 1) {
        return cli_usage_error(
            "itemsets", o->have_minsup == 0 ? "give a minimum support: --minsup or --minsup-count"
                                            : "give only one of --minsup and --minsup-count");
    }
    if ((int)o->p.mode < 0) {
        return cli_usage_error("itemsets", "--closed and --maximal exclude each other");
    }
    if (o->json && o->output != NULL && strcmp(o->output, "-") == 0) {
        return cli_usage_error("itemsets", "--json prints on standard output: give -o FILE");
    }
    code = cli_check_paths("itemsets", &o->input, 1, &o->output, 1, 0u);
    return code >= 0 ? code : -1;
}

static crm_status count_only(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    (void)ud;
    (void)items;
    (void)n;
    (void)sup;
    (void)err;
    return CRM_OK;
}

static void print_summary(const opts *o,
                          int64_t n_trans,
                          int64_t n_items,
                          const crm_fim_stats *st,
                          double read_s,
                          double total_s)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "itemsets");
    cli_json_int(&j, st->n_itemsets);
    cli_json_key(&j, "max_len");
    cli_json_int(&j, st->max_len);
    cli_json_key(&j, "transactions");
    cli_json_int(&j, n_trans);
    cli_json_key(&j, "items");
    if (n_items >= 0) {
        cli_json_int(&j, n_items);
    } else {
        cli_json_null(&j); /* across ranks: each rank knows the items of its own part */
    }
    cli_json_key(&j, "frequent_items");
    cli_json_int(&j, st->n_frequent_items);
    cli_json_key(&j, "minsup_count");
    cli_json_int(&j, st->minsup_count);
    cli_json_key(&j, "algo");
    cli_json_str(&j, crm_fim_algo_name(o->p.algo));
    cli_json_key(&j, "mode");
    cli_json_str(&j, crm_fim_mode_name(o->p.mode));
    cli_json_key(&j, "output");
    if (o->output != NULL) {
        cli_json_str(&j, o->output);
    } else {
        cli_json_null(&j);
    }
    cli_json_key(&j, "partitioned");
    cli_json_bool(&j, o->partition_bytes > 0 || crm_dist_active());
    cli_json_key(&j, "peak_memory_bytes");
    cli_json_int(&j, st->peak_memory_bytes);
    cli_json_key(&j, "read_seconds");
    cli_json_num(&j, read_s);
    cli_json_key(&j, "mine_seconds");
    cli_json_num(&j, st->seconds);
    cli_json_key(&j, "seconds");
    cli_json_num(&j, total_s);
    cli_json_end(&j);
}

/* Every frequent itemset into a collection, sorted, then through min_len and the mode: the
 * order of a partitioned run. */
static crm_status mine_sorted(const crm_fim_db *db,
                              const crm_fim_params *p,
                              const crm_itemset_sink *sink,
                              const crm_progress *progress,
                              crm_fim_stats *st,
                              crm_error *err)
{
    crm_fim_params all = *p;
    crm_itemsets *c = NULL;
    crm_itemset_sink cs;
    crm_status rc = crm_itemsets_new(crm_fim_db_n_transactions(db), &c, err);
    all.mode = CRM_FIM_ALL;
    all.min_len = 1;
    if (rc == CRM_OK) {
        cs = crm_itemsets_sink(c);
        rc = crm_fim_mine(db, &all, &cs, progress, st, err);
    }
    if (rc == CRM_OK) {
        rc = crm_itemsets_sort(c, err);
    }
    if (rc == CRM_OK) {
        rc = crm_itemsets_emit(c, p, sink, st, err);
    }
    crm_itemsets_free(c);
    return rc;
}

/* Write the sorted frequent itemsets sets of dict (n_trans transactions) to the output. */
static crm_status write_sets(const opts *o,
                             const crm_fim_db *dict,
                             const crm_itemsets *sets,
                             int64_t n_trans,
                             crm_fim_stats *st,
                             crm_error *err)
{
    crm_outfile *of = NULL;
    crm_itemset_writer *w = NULL;
    crm_itemset_sink sink;
    crm_status rc = CRM_OK;
    if (o->output != NULL || !o->json) {
        rc = crm_outfile_open(o->output ? o->output : "-", &of, err);
        if (rc == CRM_OK) {
            rc = crm_itemset_writer_new(crm_outfile_stream(of), o->out_format, dict, &w, err);
        }
        crm_itemset_writer_set_transactions(w, n_trans);
        sink = crm_itemset_writer_sink(w);
    } else {
        sink.fn = count_only;
        sink.ud = NULL;
    }
    if (rc == CRM_OK) {
        rc = crm_itemsets_emit(sets, &o->p, &sink, st, err);
    }
    if (rc == CRM_OK && w != NULL) {
        rc = crm_itemset_writer_finish(w, err);
    }
    if (rc == CRM_OK && of != NULL) {
        rc = crm_outfile_commit(of, err);
        of = NULL;
    }
    crm_itemset_writer_free(w);
    crm_outfile_abort(of);
    return rc;
}

/* The input in parts of o->partition_bytes, two passes. */
static int run_parts(const opts *o, cli_progress *bar)
{
    crm_error err;
    crm_fim_db *dict = NULL;
    crm_itemsets *sets = NULL;
    crm_fim_part *pt = NULL;
    crm_fim_stats st;
    int64_t n_total = 0, n_items = 0;
    double t0 = cli_now(), t_mine;
    crm_status rc;
    crm_error_clear(&err);
    memset(&st, 0, sizeof st);
    rc = crm_fim_part_new(&o->ro, &o->p, o->partition_bytes, &pt, &err);
    if (rc == CRM_OK) {
        rc = crm_fim_part_detect(pt, o->input, &err);
    }
    if (rc == CRM_OK && o->p.minsup_count > 0) {
        rc = crm_fim_part_count(pt, o->input, 0, -1, 0, &n_total, &err);
        if (rc == CRM_OK && n_total == 0) {
            rc = crm_fim_part_result(pt, &dict, &sets, NULL, &err); /* says: no transactions */
        }
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_pass1(pt, o->input, 0, -1, 0, n_total, cli_progress_cb(bar), &err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_pass2(pt, o->input, 0, -1, 0, cli_progress_cb(bar), &err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_result(pt, &dict, &sets, &st, &err);
        n_items = crm_fim_part_n_items(pt);
    }
    crm_fim_part_free(pt);
    t_mine = cli_now() - t0;
    if (rc == CRM_OK) {
        rc = write_sets(o, dict, sets, st.n_transactions, &st, &err);
    }
    cli_progress_done(bar);
    st.seconds = t_mine;
    if (rc == CRM_OK && o->json) {
        print_summary(o, st.n_transactions, n_items, &st, 0.0, cli_now() - t0);
    }
    crm_fim_db_free(dict);
    crm_itemsets_free(sets);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

/* Under mpirun (several ranks): count distribution. Each rank reads its byte range of the file
 * (aligned to lines) in parts and mines them for candidates at their share of the support;
 * the candidates of every rank are imported by every rank in rank order, each rank counts
 * them over its range, the counts are summed (integers: exact), and rank 0 writes the result
 * in canonical (--sorted) order. A gzip file cannot be cut by bytes: rank 0 reads it all. */
static int run_dist(const opts *o, cli_progress *bar)
{
    crm_error err;
    crm_dist_range r;
    crm_fim_part *pt = NULL;
    crm_fim_db *dict = NULL;
    crm_itemsets *sets = NULL;
    crm_fim_stats st;
    char *mine = NULL, *all = NULL;
    size_t n_mine = 0, n_all = 0;
    size_t *sizes = NULL;
    int64_t n_total = 0, n_items = 0, begin, end, line_base, chunk;
    int rank = crm_dist_rank(), size = crm_dist_size(), has_part;
    double t0 = cli_now();
    crm_status rc;
    crm_error_clear(&err);
    memset(&st, 0, sizeof st);
    memset(&r, 0, sizeof r);
    chunk = o->partition_bytes > 0      ? o->partition_bytes
            : o->p.max_memory_bytes > 0 ? o->p.max_memory_bytes / 4
                                        : INT64_MAX;
    rc = crm_dist_split_file(o->input, &r, &err); /* agreed */
    if (rc == CRM_EUNSUPPORTED) {
        crm_error_clear(&err); /* gzip: rank 0 reads it whole */
        rc = CRM_OK;
        begin = 0;
        end = rank == 0 ? -1 : 0;
        line_base = 0;
    } else {
        begin = r.begin;
        end = r.end;
        line_base = r.first_line - 1;
    }
    has_part = end < 0 || end > begin;
    if (begin == 0 && end >= 0 && end == r.file_size) {
        end = -1; /* the whole file: read it as one */
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_new(&o->ro, &o->p, chunk, &pt, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_detect(pt, o->input, &err);
    }
    rc = crm_dist_agree(rc, &err);
    if (rc == CRM_OK && o->p.minsup_count > 0) {
        int64_t n = 0;
        if (has_part) {
            rc = crm_fim_part_count(pt, o->input, begin, end, line_base, &n, &err);
        }
        rc = crm_dist_agree(rc, &err);
        if (rc == CRM_OK) {
            rc = crm_dist_scan_i64(n, NULL, &n_total, &err);
        }
        if (rc == CRM_OK && n_total == 0) {
            rc = crm_fim_part_result(pt, &dict, &sets, NULL, &err); /* no transactions */
        }
    }
    if (rc == CRM_OK && has_part) {
        rc = crm_fim_part_pass1(pt, o->input, begin, end, line_base, n_total, cli_progress_cb(bar),
                                &err);
    }
    rc = crm_dist_agree(rc, &err);
    /* every rank's candidates, imported by every rank in rank order */
    if (rc == CRM_OK) {
        rc = crm_fim_part_export(pt, &mine, &n_mine, &err);
        rc = crm_dist_agree(rc, &err);
    }
    if (rc == CRM_OK) {
        sizes = calloc((size_t)size, sizeof *sizes);
        rc = sizes == NULL ? CRM_ENOMEM : CRM_OK;
        rc = crm_dist_agree(rc, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_allgather_bytes(mine, n_mine, (void **)&all, &n_all, sizes, &err);
        rc = crm_dist_agree(rc, &err);
    }
    if (rc == CRM_OK) {
        size_t at = 0;
        crm_fim_part_clear(pt);
        for (int k = 0; k < size && rc == CRM_OK; k++) {
            rc = crm_fim_part_import(pt, all + at, sizes[k], &err);
            at += sizes[k];
        }
        if (rc == CRM_OK && has_part) {
            rc =
                crm_fim_part_pass2(pt, o->input, begin, end, line_base, cli_progress_cb(bar), &err);
        }
        rc = crm_dist_agree(rc, &err);
    }
    if (rc == CRM_OK) {
        int64_t *counts = crm_fim_part_counts(pt);
        rc = counts == NULL ? CRM_ENOMEM : CRM_OK;
        rc = crm_dist_agree(rc, &err);
        if (rc == CRM_OK) {
            rc = crm_dist_allreduce_i64(counts, (size_t)crm_fim_part_n_counts(pt), CRM_DIST_SUM,
                                        &err);
            rc = crm_dist_agree(rc, &err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_result(pt, &dict, &sets, &st, &err);
        n_items = -1;
        st.seconds = cli_now() - t0;
        if (rc == CRM_OK && rank == 0) {
            rc = write_sets(o, dict, sets, st.n_transactions, &st, &err);
        }
        rc = crm_dist_agree(rc, &err);
    }
    cli_progress_done(bar);
    if (rc == CRM_OK && o->json && rank == 0) {
        print_summary(o, st.n_transactions, n_items, &st, 0.0, cli_now() - t0);
    }
    crm_free(mine);
    crm_free(all);
    free(sizes);
    crm_fim_part_free(pt);
    crm_fim_db_free(dict);
    crm_itemsets_free(sets);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

static int run(const opts *o, cli_progress *bar)
{
    crm_error err;
    crm_fim_db *db = NULL;
    crm_outfile *of = NULL;
    crm_itemset_writer *w = NULL;
    crm_itemset_sink sink;
    crm_fim_stats st;
    double t0 = cli_now(), t_read;
    crm_status rc;
    crm_error_clear(&err);
    rc = crm_fim_db_read(o->input, &o->ro, cli_progress_cb(bar), &db, &err);
    t_read = cli_now() - t0;
    if (rc == CRM_OK && (o->output != NULL || !o->json)) {
        rc = crm_outfile_open(o->output ? o->output : "-", &of, &err);
        if (rc == CRM_OK) {
            rc = crm_itemset_writer_new(crm_outfile_stream(of), o->out_format, db, &w, &err);
        }
        sink = crm_itemset_writer_sink(w);
    } else {
        sink.fn = count_only;
        sink.ud = NULL;
    }
    if (rc == CRM_OK && o->sorted) {
        rc = mine_sorted(db, &o->p, &sink, cli_progress_cb(bar), &st, &err);
    } else if (rc == CRM_OK) {
        rc = crm_fim_mine(db, &o->p, &sink, cli_progress_cb(bar), &st, &err);
    }
    if (rc == CRM_OK && w != NULL) {
        rc = crm_itemset_writer_finish(w, &err);
    }
    if (rc == CRM_OK && of != NULL) {
        rc = crm_outfile_commit(of, &err);
        of = NULL;
    }
    cli_progress_done(bar);
    crm_itemset_writer_free(w);
    crm_outfile_abort(of);
    if (rc == CRM_OK && o->json) {
        print_summary(o, crm_fim_db_n_transactions(db), crm_fim_db_n_items(db), &st, t_read,
                      cli_now() - t0);
    }
    crm_fim_db_free(db);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

int cmd_itemsets(int argc, char **argv)
{
    opts o;
    cli_progress bar;
    int rc;
    memset(&o, 0, sizeof o);
    o.ro = crm_fim_read_options_default();
    o.p = crm_fim_params_default();
    o.out_format = CRM_ITEMSET_SPMF;
    o.partition_bytes = -1;
    rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    cli_progress_init(&bar, o.quiet || o.output == NULL || crm_dist_quiet());
    if (crm_dist_active()) {
        if (o.ro.format == CRM_FIM_FORMAT_LONG || o.ro.format == CRM_FIM_FORMAT_VAS) {
            return cli_usage_error("itemsets", "long and VAS input does not run across ranks "
                                               "(a customer's rows may lie anywhere); start it "
                                               "without mpirun");
        }
        return run_dist(&o, &bar);
    }
    if (o.partition_bytes < 0) {
        /* a line-per-transaction file larger than the memory limit is read in parts */
        struct stat sb;
        o.partition_bytes = 0;
        if (o.p.max_memory_bytes > 0 && o.ro.format != CRM_FIM_FORMAT_LONG &&
            o.ro.format != CRM_FIM_FORMAT_VAS && strcmp(o.input, "-") != 0 &&
            stat(o.input, &sb) == 0 && S_ISREG(sb.st_mode) &&
            (int64_t)sb.st_size > o.p.max_memory_bytes) {
            o.partition_bytes = o.p.max_memory_bytes / 4;
        }
    }
    if (o.partition_bytes > 0) {
        return run_parts(&o, &bar);
    }
    return run(&o, &bar);
}
