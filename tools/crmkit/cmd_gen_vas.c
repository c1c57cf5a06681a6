/* cmd_gen_vas.c: `crmkit gen vas`: a synthetic VAS transaction log. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>
#include <crmkit/gen.h>

#include "cli.h"
#include "rules_cli.h"
#include "segcli.h"

#define KIND "gen vas"

int cmd_gen_vas(int argc, char **argv);

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit gen vas -o FILE [--customers N] [--seed S] [--segments labels.csv]\n"
            "                      [--days D] [--failure-rate R] [--catalogue FILE] [--json]\n"
            "                      [--quiet]\n\n"
            "Generate a synthetic value-added-service transaction log as CSV, with the columns\n"
            "msg_type, mobile_no, txn_amount, pr_code, record_time, txn_type, target_mobile,\n"
            "topup_type, status. mobile_no matches the subscriber_id of `crmkit gen customers`\n"
            "with the same number of rows. Customers buy bundles of services that depend on\n"
            "their customer type; with --segments every segment gets its own type, so the\n"
            "segments' baskets differ. Some rows fail (status FAILED or TIMEOUT): mine with\n"
            "`--format vas`, which keeps SUCCESS rows only. The same seed gives the same file.\n\n"
            "options:\n"
            "  -o, --output FILE     where to write the CSV (\"-\" = standard output); required\n"
            "  --customers N         number of subscribers (default 1000; --rows is the same)\n"
            "  --seed S              random seed (default 42)\n"
            "  --segments FILE       labels CSV (first column customer id, column segment_name\n"
            "                        or segment), as\n"
            "                        written by `crmkit segment` or `crmkit assign`\n"
            "  --days D              days covered from 2024-01-01 (default 90)\n"
            "  --failure-rate R      share of failed rows, 0..1 (default 0.06)\n"
            "  --catalogue FILE      also write the service catalogue (pr_code,name,category,\n"
            "                        price) as CSV\n"
            "  --json                print a JSON summary on standard output\n"
            "  --quiet               no progress bar\n"
            "  -h, --help            this text\n");
}

typedef struct vas_opts {
    crm_gen_vas_params p;
    const char *out;
    const char *segments;
    const char *catalogue;
    bool json;
    bool quiet;
} vas_opts;

static int parse(vas_opts *o, int argc, char **argv)
{
    int64_t seed = (int64_t)o->p.seed;
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--customers", .kind = CLI_OPT_INT, .dest = &o->p.n_customers, .lo = 1,
          .hi = 100000000 },
        { .name = "--rows", .kind = CLI_OPT_INT, .dest = &o->p.n_customers, .lo = 1,
          .hi = 100000000 },
        { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
        { .name = "--days", .kind = CLI_OPT_INT32, .dest = &o->p.days, .lo = 1, .hi = 3650 },
        { .name = "--failure-rate", .kind = CLI_OPT_DOUBLE, .dest = &o->p.failure_rate,
          .dlo = 0, .dhi = 1, .excl_hi = true, .need = "a number in [0, 1)" },
        { .name = "--segments", .kind = CLI_OPT_STR, .dest = &o->segments },
        { .name = "--catalogue", .kind = CLI_OPT_STR, .dest = &o->catalogue },
        { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &o->out },
        { 0 },
    };
    /* clang-format on */
    code = cli_parse(KIND, argc, argv, opts, pos, 0, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->p.seed = (uint64_t)seed;
    if (o->out == NULL) {
        return cli_usage_error(KIND, "an output file is required (-o FILE)");
    }
    if (o->json && strcmp(o->out, "-") == 0) {
        return cli_usage_error(KIND, "--json and -o - both want standard output");
    }
    {
        const char *in[] = { o->segments, o->catalogue };
        return cli_check_paths(KIND, in, 2, &o->out, 1, 1u);
    }
}

/* Labels as the generator's parallel arrays (strings borrowed from labels). */
static crm_status read_labels(const char *path,
                              crm_fim_db **labels,
                              const char ***ids,
                              const char ***segs,
                              crm_error *err)
{
    crm_fim_read_options opt = crm_fim_read_options_default();
    int64_t n;
    crm_status rc;
    opt.format = CRM_FIM_FORMAT_LONG;
    opt.item_col = seg_labels_name_col(path);
    rc = crm_fim_db_read(path, &opt, NULL, labels, err);
    if (rc != CRM_OK) {
        return rc;
    }
    n = crm_fim_db_n_transactions(*labels);
    *ids = crm_calloc((size_t)n + 1, sizeof **ids);
    *segs = crm_calloc((size_t)n + 1, sizeof **segs);
    if (*ids == NULL || *segs == NULL) {
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return CRM_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        const int32_t *items;
        (*ids)[i] = crm_fim_db_customer(*labels, i);
        (*segs)[i] = crm_fim_db_transaction(*labels, i, &items) > 0
                         ? crm_fim_db_item_name(*labels, items[0])
                         : NULL;
    }
    return CRM_OK;
}

int cmd_gen_vas(int argc, char **argv)
{
    vas_opts o;
    crm_fim_db *labels = NULL;
    const char **ids = NULL;
    const char **segs = NULL;
    crm_error err;
    crm_status rc = CRM_OK;
    int code;
    memset(&o, 0, sizeof o);
    o.p = crm_gen_vas_params_default();
    code = parse(&o, argc, argv);
    if (code >= 0) {
        return code;
    }
    crm_error_clear(&err);
    if (o.segments != NULL) {
        rc = read_labels(o.segments, &labels, &ids, &segs, &err);
        o.p.label_ids = ids;
        o.p.label_segments = segs;
        o.p.n_labels = crm_fim_db_n_transactions(labels);
    }
    if (rc == CRM_OK && o.catalogue != NULL) {
        rc = crm_gen_vas_write_catalogue(o.catalogue, &err);
    }
    if (rc == CRM_OK) {
        cli_progress bar;
        cli_progress_init(&bar, o.quiet || strcmp(o.out, "-") == 0);
        rc = crm_gen_vas(&o.p, o.out, cli_progress_cb(&bar), &err);
        cli_progress_done(&bar);
    }
    if (rc == CRM_OK && o.json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "vas");
        cli_json_key(&j, "file");
        cli_json_str(&j, o.out);
        cli_json_key(&j, "customers");
        cli_json_int(&j, o.p.n_customers);
        cli_json_key(&j, "seed");
        cli_json_int(&j, (int64_t)o.p.seed);
        cli_json_key(&j, "labels");
        cli_json_int(&j, o.p.n_labels);
        cli_json_key(&j, "services");
        cli_json_int(&j, crm_gen_vas_n_services());
        cli_json_end(&j);
    }
    crm_free(ids);
    crm_free(segs);
    crm_fim_db_free(labels);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}
