/* cmd_gen_cdr.c: `crmkit gen cdr`: synthetic call detail records. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/gen.h>

#include "cli.h"
#include "rules_cli.h"

#define KIND "gen cdr"

int cmd_gen_cdr(int argc, char **argv);

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit gen cdr -o FILE[.gz] [--customers N] [--days D] [--seed S]\n"
            "                      [--threads N] [--json] [--quiet]\n\n"
            "Generate synthetic call detail records as CSV with the columns caller, callee,\n"
            "start_time, duration, network, type, bytes, charge. Callers are the subscriber ids\n"
            "of `crmkit gen customers` with the same seed and number of rows, and each\n"
            "customer's hidden type, plan and usage drive its calls (on-net and off-net),\n"
            "SMS, data sessions, contacts, night and weekend habits and charges: over 30 days\n"
            "the records add up to about its row of the customer table. About 15 records per\n"
            "customer and day. Written as it is made (memory grows with the customers, not\n"
            "the records); gzip when FILE ends in .gz. The same seed gives the same file,\n"
            "whatever the number of threads.\n\n"
            "options:\n"
            "  -o, --output FILE     where to write the CSV (\"-\" = standard output); required\n"
            "  --customers N         number of subscribers (default 1000; --rows is the same)\n"
            "  --days D              days covered from 2024-01-01 (default 30)\n"
            "  --seed S              random seed (default 42)\n"
            "  --threads N           generating threads (default: all cores)\n"
            "  --json                print a JSON summary on standard output\n"
            "  --quiet               no progress bar\n"
            "  -h, --help            this text\n");
}

static double wall_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_gen_cdr(int argc, char **argv)
{
    crm_gen_cdr_params p = crm_gen_cdr_params_default();
    crm_gen_cdr_summary sum;
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    cli_progress bar;
    crm_error err;
    crm_status rc;
    double t0;
    crm_error_clear(&err);
    {
        int64_t seed = (int64_t)p.seed;
        const char *pos[1];
        int n_pos = 0;
        int code;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            { .name = "--customers", .kind = CLI_OPT_INT, .dest = &p.n_customers, .lo = 1,
              .hi = INT32_MAX - 1 },
            { .name = "--rows", .kind = CLI_OPT_INT, .dest = &p.n_customers, .lo = 1,
              .hi = INT32_MAX - 1 },
            { .name = "--days", .kind = CLI_OPT_INT32, .dest = &p.days, .lo = 1, .hi = 3650 },
            { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
            { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &p.n_threads, .lo = 1,
              .hi = 1024 },
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { 0 },
        };
        /* clang-format on */
        code = cli_parse(KIND, argc, argv, opts, pos, 0, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
        p.seed = (uint64_t)seed;
    }
    if (out == NULL) {
        return cli_usage_error(KIND, "an output file is required (-o FILE)");
    }
    if (json && strcmp(out, "-") == 0) {
        return cli_usage_error(KIND, "--json and -o - both want standard output");
    }
    cli_progress_init(&bar, quiet);
    t0 = wall_seconds();
    rc = crm_gen_cdr(&p, out, cli_progress_cb(&bar), &sum, &err);
    cli_progress_done(&bar);
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "cdr");
        cli_json_key(&j, "file");
        cli_json_str(&j, cli_path_shown(out));
        cli_json_key(&j, "customers");
        cli_json_int(&j, p.n_customers);
        cli_json_key(&j, "days");
        cli_json_int(&j, p.days);
        cli_json_key(&j, "seed");
        cli_json_int(&j, (int64_t)p.seed);
        cli_json_key(&j, "records");
        cli_json_int(&j, sum.n_records);
        cli_json_key(&j, "voice");
        cli_json_int(&j, sum.n_voice);
        cli_json_key(&j, "sms");
        cli_json_int(&j, sum.n_sms);
        cli_json_key(&j, "data");
        cli_json_int(&j, sum.n_data);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, wall_seconds() - t0);
        cli_json_end(&j);
    }
    return CLI_EX_OK;
}
