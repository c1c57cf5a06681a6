/* cmd_gen.c: `crmkit gen <kind>`: synthetic telecom data. Each kind is one entry of the
 * table below with its own option parser and --help, so new kinds (VAS logs, CDRs) are
 * added without touching the others. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/gen.h>
#include <crmkit/io.h>
#include <crmkit/outfile.h>

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
            "                            [--outlier-rate R] [--features N] [--truth] [--json]\n"
            "                            [--quiet]\n\n"
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
            "  --features N          numeric features (columns a segmentation uses by default:\n"
            "                        every numeric column but churn), 14..24 (default 14);\n"
            "                        past 14, these follow churn in this order: roaming_min,\n"
            "                        intl_voice_min, data_sessions, video_mb, night_data_mb,\n"
            "                        topup_count, care_calls, device_age_months, apps_used,\n"
            "                        weekend_voice_min\n"
            "  --truth               add a true_type column (the hidden customer type)\n"
            "  --json                print a JSON summary on standard output\n"
            "  --quiet               no progress bar\n"
            "  -h, --help            this text\n");
}

/* Rows per part: the table is made and written a part at a time, so memory stays the same
 * for any number of rows (about 200 MiB a million rows would otherwise take). */
#define GEN_PART_ROWS ((int64_t)CRM_GEN_CUSTOMERS_PART * 64)

/* Make and write the table part by part; *n_churn counts churners and *cols keeps the first
 * part (for the column names). */
static int write_customers(const crm_gen_customers_params *p,
                           const char *out,
                           cli_progress *bar,
                           int64_t *n_churn,
                           crm_table **cols,
                           crm_error *err)
{
    crm_outfile *f = NULL;
    crm_status rc = crm_outfile_open(out, &f, err);
    *n_churn = 0;
    *cols = NULL;
    for (int64_t first = 0; rc == CRM_OK && first < p->n_rows; first += GEN_PART_ROWS) {
        int64_t n = p->n_rows - first < GEN_PART_ROWS ? p->n_rows - first : GEN_PART_ROWS;
        crm_table *t = NULL;
        (void)crm_progress_report(cli_progress_cb(bar), "generate customers",
                                  (double)first / (double)p->n_rows);
        rc = crm_gen_customers_part(p, first, n, &t, err);
        if (rc == CRM_OK) {
            const double *churn = crm_table_numeric(t, crm_table_find_col(t, "churn"));
            rc = crm_table_write_csv_fp(t, crm_outfile_stream(f), first == 0, err);
            for (int64_t i = 0; i < n; i++) {
                *n_churn += churn[i] > 0.5;
            }
        }
        if (*cols == NULL) {
            *cols = t;
        } else {
            crm_table_free(t);
        }
    }
    if (rc != CRM_OK) {
        if (f != NULL) {
            crm_outfile_abort(f);
        }
        crm_table_free(*cols);
        *cols = NULL;
        return cli_fail(err);
    }
    if (crm_outfile_commit(f, err) != CRM_OK) {
        crm_table_free(*cols);
        *cols = NULL;
        return cli_fail(err);
    }
    return CLI_EX_OK;
}

static int gen_customers(int argc, char **argv)
{
    crm_gen_customers_params p = crm_gen_customers_params_default();
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    cli_progress bar;
    crm_table *cols = NULL;
    int64_t n_churn = 0;
    crm_error err;
    double t0;
    double seconds;
    int code;
    {
        int64_t rows = p.n_rows;
        int64_t seed = (int64_t)p.seed;
        int32_t features = CRM_GEN_BASE_FEATURES;
        bool truth = false;
        const char *pos[1];
        int n_pos = 0;
        /* clang-format off */
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
            { .name = "--features", .kind = CLI_OPT_INT32, .dest = &features,
              .lo = CRM_GEN_BASE_FEATURES, .hi = CRM_GEN_BASE_FEATURES + CRM_GEN_MAX_EXTRA },
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { 0 },
        };
        /* clang-format on */
        code = cli_parse("gen customers", argc, argv, opts, pos, 0, &n_pos, customers_usage);
        if (code >= 0) {
            return code;
        }
        p.n_rows = rows;
        p.seed = (uint64_t)seed;
        p.with_truth = p.with_truth || truth;
        p.extra_features = features - CRM_GEN_BASE_FEATURES;
    }
    if (out == NULL) {
        return cli_usage_error("gen customers", "an output file is required (-o FILE)");
    }
    if (json && strcmp(out, "-") == 0) {
        return cli_usage_error("gen customers", "--json and -o - both want standard output");
    }
    code = cli_check_paths("gen customers", NULL, 0, &out, 1, 1u);
    if (code >= 0) {
        return code;
    }
    t0 = wall_seconds();
    cli_progress_init(&bar, quiet || strcmp(out, "-") == 0);
    code = write_customers(&p, out, &bar, &n_churn, &cols, &err);
    cli_progress_done(&bar);
    if (code != CLI_EX_OK) {
        return code;
    }
    seconds = wall_seconds() - t0;
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "customers");
        cli_json_key(&j, "file");
        cli_json_str(&j, cli_path_shown(out));
        cli_json_key(&j, "rows");
        cli_json_int(&j, p.n_rows);
        cli_json_key(&j, "seed");
        cli_json_int(&j, (int64_t)p.seed);
        cli_json_key(&j, "missing_rate");
        cli_json_num(&j, p.missing_rate);
        cli_json_key(&j, "outlier_rate");
        cli_json_num(&j, p.outlier_rate);
        cli_json_key(&j, "churn_rate");
        cli_json_num(&j, (double)n_churn / (double)p.n_rows);
        cli_json_key(&j, "columns");
        cli_json_open_arr(&j);
        for (int32_t c = 0; c < crm_table_n_cols(cols); c++) {
            cli_json_str(&j, crm_table_col_name(cols, c));
        }
        cli_json_close_arr(&j);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, seconds);
        cli_json_end(&j);
    }
    crm_table_free(cols);
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
