/* cmd_gen.c: `crmkit gen <kind>`: synthetic telecom data. Each kind is one entry of the
 * table below with its own option parser and --help, so new kinds (VAS logs, CDRs) are
 * added without touching the others. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/gen.h>
#include <crmkit/io.h>

#include "cli.h"

int cmd_gen_vas(int argc, char **argv); /* cmd_gen_vas.c */
int cmd_gen_cdr(int argc, char **argv); /* cmd_gen_cdr.c */

static double wall_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void customers_usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit gen customers -o FILE [--rows N] [--seed S] [--missing-rate R]\n"
            "                            [--outlier-rate R] [--truth] [--json] [--quiet]\n\n"
            "Generate a synthetic telecom customer table as CSV: subscriber id, region, plan,\n"
            "tenure, upload/download MB, on-net/off-net voice minutes, SMS, called parties,\n"
            "complaints, bill items and monthly bill, revenue and a churn flag, drawn from six\n"
            "hidden customer types. The same seed gives the same file.\n\n"
            "options:\n"
            "  -o, --output FILE     where to write the CSV (\"-\" = standard output); required\n"
            "  --rows N              number of subscribers (default 10000)\n"
            "  --seed S              random seed (default 42)\n"
            "  --missing-rate R      share of empty cells in usage columns, tenure, complaints,\n"
            "                        revenue and region, 0..0.5 (default 0.02)\n"
            "  --outlier-rate R      share of rows with one usage value x20..x100, 0..0.5\n"
            "                        (default 0.005)\n"
            "  --truth               add a true_type column (the hidden customer type)\n"
            "  --json                print a JSON summary on standard output\n"
            "  --quiet               no progress bar\n"
            "  -h, --help            this text\n");
}

static int gen_customers(int argc, char **argv)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    cli_progress bar;
    crm_table *t = NULL;
    crm_error err;
    double t0;
    double seconds;
    int code;
    {
        int64_t rows = p.n_rows;
        int64_t seed = (int64_t)p.seed;
        bool truth = false;
        const char *pos[1];
        int n_pos = 0;
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            { .name = "--truth", .kind = CLI_OPT_FLAG, .dest = &truth },
            { .name = "--rows", .kind = CLI_OPT_INT, .dest = &rows, .lo = 1, .hi = INT32_MAX - 1 },
            { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
            { .name = "--missing-rate", .kind = CLI_OPT_DOUBLE, .dest = &p.missing_rate,
              .dlo = 0, .dhi = 0.5, .need = "a number in [0, 0.5]" },
            { .name = "--outlier-rate", .kind = CLI_OPT_DOUBLE, .dest = &p.outlier_rate,
              .dlo = 0, .dhi = 0.5, .need = "a number in [0, 0.5]" },
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { 0 },
        };
        code = cli_parse("gen customers", argc, argv, opts, pos, 0, &n_pos, customers_usage);
        if (code >= 0) {
            return code;
        }
        p.n_rows = rows;
        p.seed = (uint64_t)seed;
        p.with_truth = p.with_truth || truth;
    }
    if (out == NULL) {
        return cli_usage_error("gen customers", "an output file is required (-o FILE)");
    }
    if (json && strcmp(out, "-") == 0) {
        return cli_usage_error("gen customers", "--json and -o - both want standard output");
    }
    code = cli_check_paths("gen customers", NULL, 0, &out, 1);
    if (code >= 0) {
        return code;
    }
    t0 = wall_seconds();
    /* Two stages (about a second per million rows each): generating, then writing. */
    cli_progress_init(&bar, quiet || strcmp(out, "-") == 0);
    (void)crm_progress_report(cli_progress_cb(&bar), "generate customers", 0.0);
    if (crm_gen_customers(&p, &t, &err) != CRM_OK ||
        !crm_progress_report(cli_progress_cb(&bar), "write CSV", 0.5) ||
        crm_table_write_csv(t, out, &err) != CRM_OK) {
        cli_progress_done(&bar);
        crm_table_free(t);
        return cli_fail(&err);
    }
    cli_progress_done(&bar);
    seconds = wall_seconds() - t0;
    code = CLI_EX_OK;
    if (json) {
        cli_json j;
        const double *churn = crm_table_numeric(t, crm_table_find_col(t, "churn"));
        int64_t n_churn = 0;
        for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
            n_churn += churn[i] > 0.5;
        }
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "customers");
        cli_json_key(&j, "file");
        cli_json_str(&j, out);
        cli_json_key(&j, "rows");
        cli_json_int(&j, crm_table_n_rows(t));
        cli_json_key(&j, "seed");
        cli_json_int(&j, (int64_t)p.seed);
        cli_json_key(&j, "missing_rate");
        cli_json_num(&j, p.missing_rate);
        cli_json_key(&j, "outlier_rate");
        cli_json_num(&j, p.outlier_rate);
        cli_json_key(&j, "churn_rate");
        cli_json_num(&j, (double)n_churn / (double)crm_table_n_rows(t));
        cli_json_key(&j, "columns");
        cli_json_open_arr(&j);
        for (int32_t c = 0; c < crm_table_n_cols(t); c++) {
            cli_json_str(&j, crm_table_col_name(t, c));
        }
        cli_json_close_arr(&j);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, seconds);
        cli_json_end(&j);
    }
    crm_table_free(t);
    return code;
}

static const struct {
    const char *name;
    cli_command_fn fn;
    const char *summary;
} kinds[] = {
    { "customers", gen_customers, "a customer table (CSV) with usage, bills, plan and churn" },
    { "vas", cmd_gen_vas, "a VAS transaction log (CSV) whose bundles differ by segment" },
    { "cdr", cmd_gen_cdr, "call detail records (CSV) of the customers of the same seed" },
};

static void gen_usage(FILE *fp)
{
    fprintf(fp, "usage: crmkit gen <kind> [options]   (crmkit gen <kind> --help for its "
                "options)\n\nGenerate synthetic telecom data.\n\nkinds:\n");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        fprintf(fp, "  %-10s %s\n", kinds[i].name, kinds[i].summary);
    }
}

int cmd_gen(int argc, char **argv)
{
    if (argc < 2) {
        gen_usage(stderr);
        return CLI_EX_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        gen_usage(stdout);
        return CLI_EX_OK;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(argv[1], kinds[i].name) == 0) {
            static char name[32];
            snprintf(name, sizeof name, "gen %s", kinds[i].name);
            cli_command = name;
            return kinds[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "crmkit gen: unknown kind \"%s\"\n\n", argv[1]);
    gen_usage(stderr);
    return CLI_EX_USAGE;
}
