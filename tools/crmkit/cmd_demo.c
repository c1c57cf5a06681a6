/* cmd_demo.c: `crmkit demo`: the whole pipeline on built-in data, in well under a minute:
 * generate customers, segment them with the two-layer model (groups by value and voice bill,
 * segments inside each group), show both levels' profiles, write the labels and the model,
 * then hand over to the basket and churn steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/gen.h>
#include <crmkit/report.h>
#include <crmkit/twolayer.h>

#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit demo [--dir DIR] [--rows N] [--seed S] [--quiet]\n\n"
            "Run crmkit end to end on generated telecom customers: write them as CSV, segment\n"
            "them with the two-layer model (groups by value rank and voice bill at their means,\n"
            "segments inside each group), print both levels' profiles, save the model and the\n"
            "labels, then run the basket-analysis and churn-prediction steps on the same\n"
            "customers. Everything goes into DIR.\n\n"
            "options:\n"
            "  --dir DIR    work folder (default ./crmkit-demo; created if needed)\n"
            "  --rows N     customers to generate (default 50000)\n"
            "  --seed S     seed of the data and of the segmentation (default 42)\n"
            "  --quiet      no progress bar\n"
            "  -h, --help   this text\n\n"
            "Files written: customers.csv, two_layer.json (the spec), segments.crmk (model),\n"
            "labels.csv (id, l1, l2, segment), the files of the later steps, and report.html:\n"
            "every chart of the run on one self-contained page (open it in any browser;\n"
            "crmkit report makes it from the model files).\n");
}

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int make_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0755) == 0) {
        return CLI_EX_OK;
    }
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        return CLI_EX_OK;
    }
    cli_errorf("%s: cannot create the demo folder: %s\n", dir, strerror(errno));
    return CLI_EX_CANTCREAT;
}

typedef struct demo_paths {
    char customers[4096];
    char model[4096];
    char labels[4096];
    char spec[4096];
    char report[4096];
} demo_paths;

static int generate(const char *path, int64_t rows, uint64_t seed, crm_table **t)
{
    crm_gen_customers_params gp = crm_gen_customers_params_default();
    crm_error err;
    gp.n_rows = rows;
    gp.seed = seed;
    if (crm_gen_customers(&gp, t, &err) != CRM_OK ||
        crm_table_write_csv(*t, path, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    return CLI_EX_OK;
}

/* The demo's two-layer spec: layer 1 from value (the revenue rank, split at its mean) and the
 * voice bill (split at its mean), layer 2 per group on calling behaviour and the bill mix.
 * Only this text names the customer table's columns: to segment on other features (for
 * example per-customer features made from call detail records), change the "derived" inputs
 * and the layer-2 "features" here. It is also written to DIR/two_layer.json. */
static const char DEMO_SPEC[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"description\": \"crmkit demo: value x voice groups, behaviour segments inside each\",\n"
    "  \"derived\": [\n"
    "    { \"name\": \"value_rank\", \"rank\": \"revenue\" },\n"
    "    { \"name\": \"voice_min\", \"sum\": [\"voice_onnet_min\", \"voice_offnet_min\"] },\n"
    "    { \"name\": \"onnet_share\", \"ratio\": [\"voice_onnet_min\", \"voice_min\"], "
    "\"on_zero\": 0 },\n"
    "    { \"name\": \"voice_bill_share\", \"ratio\": [\"bill_voice\", \"monthly_bill\"], "
    "\"on_zero\": 0 },\n"
    "    { \"name\": \"data_bill_share\", \"ratio\": [\"bill_data\", \"monthly_bill\"], "
    "\"on_zero\": 0 }\n"
    "  ],\n"
    "  \"layer1\": {\n"
    "    \"split\": [\n"
    "      { \"column\": \"value_rank\", \"at\": \"mean\", \"names\": [\"LowValue\", "
    "\"HighValue\"] },\n"
    "      { \"column\": \"bill_voice\", \"at\": \"mean\", \"names\": [\"LowVoice\", "
    "\"HighVoice\"] }\n"
    "    ],\n"
    "    \"otherwise\": \"Unknown\"\n"
    "  },\n"
    "  \"layer2\": {\n"
    "    \"default\": {\n"
    "      \"features\": [\"voice_onnet_min\", \"voice_offnet_min\", \"called_parties\", "
    "\"onnet_share\", \"voice_bill_share\", \"data_bill_share\", \"download_mb\"],\n"
    "      \"algo\": \"kmeans\", \"k\": 3, \"cap\": [1, 99]\n"
    "    },\n"
    "    \"groups\": {\n"
    "      \"HighValue-HighVoice\": { \"algo\": \"elbow\", \"kmin\": 2, \"kmax\": 6 },\n"
    "      \"Unknown\": { \"algo\": \"none\" }\n"
    "    }\n"
    "  }\n"
    "}\n";

static int write_spec(const char *path)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL || fputs(DEMO_SPEC, fp) < 0 || fclose(fp) != 0) {
        cli_errorf("%s: cannot write the demo spec: %s\n", path, strerror(errno));
        return CLI_EX_CANTCREAT;
    }
    return CLI_EX_OK;
}

static int
segment(const demo_paths *dp, const crm_table *t, uint64_t seed, bool quiet, crm_twolayer **tl)
{
    crm_twolayer_params p = crm_twolayer_params_default();
    cli_progress bar;
    crm_error err;
    crm_status rc;
    int code = write_spec(dp->spec);
    (void)seed; /* the spec carries its own seed: the segments do not move with the data seed */
    if (code != CLI_EX_OK) {
        return code;
    }
    p.spec = DEMO_SPEC;
    p.spec_len = sizeof DEMO_SPEC - 1;
    p.spec_source = dp->spec;
    rc = crm_twolayer_new(&p, tl, &err);
    cli_progress_init(&bar, quiet);
    if (rc == CRM_OK) {
        rc = crm_twolayer_fit(*tl, t, cli_progress_cb(&bar), &err);
    }
    cli_progress_done(&bar);
    if (rc == CRM_OK) {
        rc = crm_twolayer_save(*tl, dp->model, &err);
    }
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    for (int32_t i = 0; i < crm_twolayer_n_warnings(*tl); i++) {
        fprintf(stderr, "crmkit demo: warning: %s\n", crm_twolayer_warning(*tl, i));
    }
    return tl_write_labels(dp->labels, *tl, t, crm_twolayer_labels_l1(*tl),
                           crm_twolayer_labels_l2(*tl));
}

static int32_t total_segments(const crm_twolayer *tl)
{
    int32_t n = 0;
    for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
        n += crm_twolayer_group_k(tl, g);
    }
    return n;
}

/* The HTML report of the whole run: the segmentation (with the customers for the scatter and
 * the validity indices), then the churn model and the rules written by the later steps. */
static int
report(const char *dir, const demo_paths *dp, const crm_table *t, const crm_twolayer *tl)
{
    static const char *const later[] = { "churn.crmc", "rules.crmr" };
    crm_report_params p = crm_report_params_default();
    crm_report *r = NULL;
    crm_error err;
    crm_status rc;
    p.title = "crmkit demo: segments, churn and baskets";
    rc = crm_report_new(&p, &r, &err);
    if (rc == CRM_OK) {
        rc = crm_report_add_twolayer(r, tl, t, dp->model, &err);
    }
    for (size_t i = 0; rc == CRM_OK && i < sizeof later / sizeof later[0]; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, later[i]);
        if (stat(path, &st) == 0) {
            rc = crm_report_add_file(r, path, t, &err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_report_write_html(r, dp->report, &err);
    }
    if (rc == CRM_OK) {
        printf("\n== report: %s (%d charts; open it in a browser)\n", dp->report,
               (int)crm_report_n_charts(r));
    }
    crm_report_free(r);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

static int run(const char *dir, int64_t rows, uint64_t seed, bool quiet)
{
    demo_paths dp;
    crm_table *t = NULL;
    crm_twolayer *seg = NULL;
    double t0 = now();
    double t1;
    int code = make_dir(dir);
    if (code != CLI_EX_OK) {
        return code;
    }
    snprintf(dp.customers, sizeof dp.customers, "%s/customers.csv", dir);
    snprintf(dp.model, sizeof dp.model, "%s/segments.crmk", dir);
    snprintf(dp.labels, sizeof dp.labels, "%s/labels.csv", dir);
    snprintf(dp.spec, sizeof dp.spec, "%s/two_layer.json", dir);
    snprintf(dp.report, sizeof dp.report, "%s/report.html", dir);
    printf("== crmkit demo: %lld synthetic telecom customers (seed %llu) -> %s\n", (long long)rows,
           (unsigned long long)seed, dp.customers);
    code = generate(dp.customers, rows, seed, &t);
    if (code == CLI_EX_OK) {
        t1 = now();
        code = segment(&dp, t, seed, quiet, &seg);
    }
    if (code == CLI_EX_OK) {
        printf("\n== two-layer segmentation (spec %s) in %.2f s: %d groups by value and voice "
               "bill, %d segments\n",
               dp.spec, now() - t1, (int)crm_twolayer_n_groups(seg), (int)total_segments(seg));
        printf("   model %s, labels %s (l1 = group, l2, segment = group/segment)\n\n", dp.model,
               dp.labels);
        tl_print_profiles(stdout, seg);
        printf("\n   (crmkit profile %s --json has medians and differences from the population)\n",
               dp.model);
        fflush(stdout);
        code = demo_baskets(dir, dp.customers, dp.labels);
    }
    if (code == CLI_EX_OK) {
        fflush(stdout);
        code = demo_churn(dir, dp.customers, dp.labels);
    }
    if (code == CLI_EX_OK) {
        fflush(stdout);
        code = report(dir, &dp, t, seg);
    }
    if (code == CLI_EX_OK) {
        printf("\n== demo finished in %.1f s; files are in %s\n", now() - t0, dir);
        printf(
            "\n== serve these models (Acumos protobuf and JSON, /invocations, /v1) on port 3330:\n"
            "   crmkit serve --model %s/segments.crmk --model churn=%s/churn.crmc --rules "
            "%s/rules.crmr\n"
            "   then: curl -s localhost:3330/model/artifacts/protobuf; curl -s "
            "localhost:3330/metrics\n",
            dir, dir, dir);
    }
    crm_twolayer_free(seg);
    crm_table_free(t);
    return code;
}

int cmd_demo(int argc, char **argv)
{
    const char *dir = "crmkit-demo";
    int64_t rows = 50000;
    int64_t seed = 42;
    bool quiet = false;
    {
        const char *pos[1];
        int n_pos = 0;
        const cli_opt opts[] = {
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            { .name = "--dir", .kind = CLI_OPT_STR, .dest = &dir },
            { .name = "--rows", .kind = CLI_OPT_INT, .dest = &rows, .lo = 100, .hi = 100000000 },
            { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
            { 0 },
        };
        int code = cli_parse("demo", argc, argv, opts, pos, 0, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
    }
    return run(dir, rows, (uint64_t)seed, quiet);
}
