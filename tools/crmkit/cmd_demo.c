/* cmd_demo.c: `crmkit demo`: the whole pipeline on built-in data, in seconds: generate
 * customers and a week of their call detail records, aggregate the records into per-customer
 * features and join them to the customer table, segment with the two-layer model (groups by
 * value and voice bill, segments inside each group on calling behaviour), show both levels'
 * profiles, hand over to the basket and churn steps, then build the customer store the
 * dashboard reads and say how to serve it all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/cdr.h>
#include <crmkit/gen.h>
#include <crmkit/report.h>
#include <crmkit/serve.h>
#include <crmkit/twolayer.h>

#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit demo [--dir DIR] [--rows N] [--days D] [--seed S] [--port P] [--quiet]\n\n"
        "Run crmkit end to end on generated telecom customers: write them as CSV with D days\n"
        "of their call detail records, aggregate the records into per-customer features\n"
        "(crmkit cdr) joined to the customer table, segment them with the two-layer model\n"
        "(groups by value rank and voice bill at their means, segments inside each group on\n"
        "calling behaviour), print both levels' profiles, save the model and the labels, run\n"
        "the basket-analysis and churn-prediction steps on the same customers, build the\n"
        "customer store of the dashboard, and print how to serve it all. Everything goes\n"
        "into DIR.\n\n"
        "options:\n"
        "  --dir DIR    work folder (default ./crmkit-demo; created if needed)\n"
        "  --rows N     customers to generate (default 20000)\n"
        "  --days D     days of call detail records, 7 to 366 (default 7)\n"
        "  --seed S     seed of the data (default 42)\n"
        "  --port P     port of the `crmkit serve` command printed at the end (default 3330)\n"
        "  --quiet      no progress bar\n"
        "  -h, --help   this text\n\n"
        "Files written: customers.csv, cdr.csv (the records), cdr_features.csv (crmkit cdr's\n"
        "output), customers_cdr.csv (the customers with their cdr_* features: the table the\n"
        "model is fitted on), two_layer.json (the spec), segments.crmk (model), labels.csv\n"
        "(id, l1, l2, segment, segment_id), the files of the later steps (rules, churn model,\n"
        "risk.csv), store.db (the customer store: crmkit load), and report.html: every chart\n"
        "of the run on one self-contained page (open it in any browser).\n");
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
    char cdr[4096];
    char features[4096];
    char joined[4096];
    char model[4096];
    char labels[4096];
    char spec[4096];
    char report[4096];
    char store[4096];
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

/* Row of the customers' features for id (features are sorted by id), or -1. */
static int64_t find_id(const crm_cdr_features *f, const char *id)
{
    int64_t lo = 0;
    int64_t hi = crm_cdr_features_n_customers(f);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, crm_cdr_features_id(f, mid));
        if (c == 0) {
            return mid;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return -1;
}

/* Add the CDR features to the customer table t as cdr_<feature> columns, matched by
 * subscriber_id. A customer without records made no calls, sent no SMS and used no data:
 * every feature is 0 for them (counts, volumes and charges are 0; shares and the average call
 * length are 0 as crmkit cdr gives them without records), never missing. */
static crm_status
join_features(crm_table *t, const crm_cdr_features *f, int64_t *n_silent, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t idc = crm_table_find_col(t, "subscriber_id");
    int64_t *row = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *row);
    double *v = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *v);
    crm_status rc = CRM_OK;
    *n_silent = 0;
    if (row == NULL || v == NULL || idc < 0) {
        crm_free(row);
        crm_free(v);
        err->code = idc < 0 ? CRM_ENOTFOUND : CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "%s",
                 idc < 0 ? "the customer table has no subscriber_id" : "out of memory");
        return err->code;
    }
    for (int64_t i = 0; i < n; i++) {
        char buf[256];
        row[i] = find_id(f, crm_table_cell_text(t, i, idc, buf, (int32_t)sizeof buf));
        *n_silent += row[i] < 0;
    }
    for (int32_t j = 0; rc == CRM_OK && j < CRM_CDR_N_FEATURES; j++) {
        char name[128];
        snprintf(name, sizeof name, "cdr_%s", crm_cdr_feature_name(j));
        for (int64_t i = 0; i < n; i++) {
            v[i] = row[i] >= 0 ? crm_cdr_features_value(f, row[i], j) : 0.0;
        }
        rc = crm_table_add_numeric(t, name, v, err);
    }
    crm_free(row);
    crm_free(v);
    return rc;
}

/* D days of call detail records for the customers (the same seed as the customer table, so
 * the same people), aggregated once into per-customer features, joined to t. */
static int cdr_features(const demo_paths *dp, crm_table *t, int32_t days, uint64_t seed, bool quiet)
{
    crm_gen_cdr_params gp = crm_gen_cdr_params_default();
    crm_gen_cdr_summary gs;
    crm_cdr_params cp = crm_cdr_params_default();
    crm_cdr_features *f = NULL;
    cli_progress bar;
    crm_error err;
    crm_status rc;
    double t0 = now();
    double t1;
    int64_t silent = 0;
    gp.n_customers = crm_table_n_rows(t);
    gp.seed = seed;
    gp.days = days;
    cli_progress_init(&bar, quiet);
    rc = crm_gen_cdr(&gp, dp->cdr, cli_progress_cb(&bar), &gs, &err);
    cli_progress_done(&bar);
    t1 = now();
    if (rc == CRM_OK) {
        printf("\n== %lld call detail records over %d days (%lld voice, %lld SMS, %lld data) in "
               "%.2f s -> %s\n",
               (long long)gs.n_records, (int)days, (long long)gs.n_voice, (long long)gs.n_sms,
               (long long)gs.n_data, t1 - t0, dp->cdr);
        cli_progress_init(&bar, quiet);
        rc = crm_cdr_aggregate(dp->cdr, &cp, cli_progress_cb(&bar), &f, &err);
        cli_progress_done(&bar);
    }
    if (rc == CRM_OK) {
        rc = crm_cdr_features_write_csv(f, dp->features, &err);
    }
    if (rc == CRM_OK) {
        rc = join_features(t, f, &silent, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_table_write_csv(t, dp->joined, &err);
    }
    if (rc == CRM_OK) {
        crm_cdr_summary cs = crm_cdr_features_summary(f);
        double sec = now() - t1;
        printf("   aggregated into %d features per customer (crmkit cdr) in %.2f s (%.1f M "
               "records/s) -> %s\n",
               CRM_CDR_N_FEATURES, sec, sec > 0 ? (double)cs.n_records / sec / 1e6 : 0.0,
               dp->features);
        printf("   joined to the customer table as cdr_* columns (%lld customers without "
               "records get zeros) -> %s\n",
               (long long)silent, dp->joined);
    }
    crm_cdr_features_free(f);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

/* The demo's two-layer spec, on the customers joined with their CDR features: layer 1 from
 * value (the 0-99 rank of the customer's charges over the records) and the voice bill (the
 * voice charges), each split at its mean; layer 2 per group on calling behaviour and the bill
 * mix. The groups are conditions tried in order and the last one has none, so every
 * customer falls into a group whatever its values: a missing value makes a comparison false,
 * which reads as "not high". It is also written to DIR/two_layer.json. */
static const char DEMO_SPEC[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"description\": \"crmkit demo: value x voice groups from call records, behaviour "
    "segments inside each\",\n"
    "  \"derived\": [\n"
    "    { \"name\": \"value_rank\", \"rank\": \"cdr_charge_total\" },\n"
    "    { \"name\": \"voice_bill\", \"sum\": [\"cdr_charge_voice\"] }\n"
    "  ],\n"
    "  \"layer1\": {\n"
    "    \"groups\": [\n"
    "      { \"name\": \"HighValue-HighVoice\", \"when\": \"value_rank >= mean and voice_bill >= "
    "mean\" },\n"
    "      { \"name\": \"HighValue-LowVoice\", \"when\": \"value_rank >= mean\" },\n"
    "      { \"name\": \"LowValue-HighVoice\", \"when\": \"voice_bill >= mean\" },\n"
    "      { \"name\": \"LowValue-LowVoice\" }\n"
    "    ]\n"
    "  },\n"
    "  \"layer2\": {\n"
    "    \"default\": {\n"
    "      \"features\": [\"cdr_minutes_onnet\", \"cdr_minutes_offnet\", \"cdr_called_parties\", "
    "\"cdr_night_share\", \"cdr_weekend_share\", \"cdr_charge_voice_share\", "
    "\"cdr_charge_data_share\", \"cdr_data_mb\"],\n"
    "      \"algo\": \"kmeans\", \"k\": 3, \"cap\": [1, 99]\n"
    "    },\n"
    "    \"groups\": {\n"
    "      \"HighValue-HighVoice\": { \"algo\": \"elbow\", \"kmin\": 2, \"kmax\": 6 }\n"
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

static int segment(const demo_paths *dp, const crm_table *t, bool quiet, crm_twolayer **tl)
{
    crm_twolayer_params p = crm_twolayer_params_default();
    cli_progress bar;
    crm_error err;
    crm_status rc;
    int code = write_spec(dp->spec);
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

/* The dashboard's customer store (crmkit load): the customers with their CDR features, the
 * two-layer labels (keyed by segment_id), every customer's churn risk and their services
 * (the successful purchases of the VAS log). */
static int store(const char *dir, const demo_paths *dp)
{
    crm_store_params p;
    crm_store_stats st;
    crm_error err;
    char risk[4096];
    char vas[4096];
    struct stat sb;
    memset(&p, 0, sizeof p);
    snprintf(risk, sizeof risk, "%s/risk.csv", dir);
    snprintf(vas, sizeof vas, "%s/vas.csv", dir);
    p.customers = dp->joined;
    p.labels = dp->labels;
    p.predictions = stat(risk, &sb) == 0 ? risk : NULL;
    p.services = stat(vas, &sb) == 0 ? vas : NULL;
    p.target = "churn";
    p.output = dp->store;
    if (crm_store_build(&p, &st, &err) != CRM_OK) {
        if (err.code == CRM_EUNSUPPORTED) {
            printf("\n== customer store: skipped (%s)\n", err.msg);
            return CLI_EX_OK;
        }
        return cli_fail(&err);
    }
    printf("\n== customer store (crmkit load) in %.2f s: %lld customers, %lld with a segment, "
           "%lld with a churn risk -> %s\n",
           st.seconds, (long long)st.n_customers, (long long)st.n_labelled,
           (long long)st.n_predicted, dp->store);
    return CLI_EX_OK;
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
static int report(const char *dir, const demo_paths *dp, const crm_table *t, const crm_twolayer *tl)
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

typedef struct demo_opts {
    const char *dir;
    const char *program; /* the crmkit the demo runs as, for the printed serve command */
    int64_t rows;
    int64_t days;
    int64_t seed;
    int64_t port;
    bool quiet;
} demo_opts;

static void print_serve(const demo_opts *o, const demo_paths *dp)
{
    struct stat sb;
    printf("\n== serve the demo's models and customer store (Acumos protobuf and JSON, "
           "/invocations, /v1, the dashboard):\n");
    printf("%s serve --model %s --model churn=%s/churn.crmc --rules %s/rules.crmr", o->program,
           dp->model, o->dir, o->dir);
    if (stat(dp->store, &sb) == 0) {
        printf(" --store %s", dp->store);
    }
    printf(" --port %lld\n", (long long)o->port);
    printf("   then open the dashboard at http://127.0.0.1:%lld/ (its data: "
           "http://127.0.0.1:%lld/v1/dashboard)\n",
           (long long)o->port, (long long)o->port);
}

static int run(const demo_opts *o)
{
    demo_paths dp;
    crm_table *t = NULL;
    crm_twolayer *seg = NULL;
    const char *dir = o->dir;
    double t0 = now();
    double t1 = t0;
    int code = make_dir(dir);
    if (code != CLI_EX_OK) {
        return code;
    }
    snprintf(dp.customers, sizeof dp.customers, "%s/customers.csv", dir);
    snprintf(dp.cdr, sizeof dp.cdr, "%s/cdr.csv", dir);
    snprintf(dp.features, sizeof dp.features, "%s/cdr_features.csv", dir);
    snprintf(dp.joined, sizeof dp.joined, "%s/customers_cdr.csv", dir);
    snprintf(dp.model, sizeof dp.model, "%s/segments.crmk", dir);
    snprintf(dp.labels, sizeof dp.labels, "%s/labels.csv", dir);
    snprintf(dp.spec, sizeof dp.spec, "%s/two_layer.json", dir);
    snprintf(dp.report, sizeof dp.report, "%s/report.html", dir);
    snprintf(dp.store, sizeof dp.store, "%s/store.db", dir);
    (void)unlink(dp.store); /* a store of an earlier run must not be served with these models */
    printf("== crmkit demo: %lld synthetic telecom customers (seed %lld) -> %s\n",
           (long long)o->rows, (long long)o->seed, dp.customers);
    code = generate(dp.customers, o->rows, (uint64_t)o->seed, &t);
    if (code == CLI_EX_OK) {
        code = cdr_features(&dp, t, (int32_t)o->days, (uint64_t)o->seed, o->quiet);
    }
    if (code == CLI_EX_OK) {
        t1 = now();
        code = segment(&dp, t, o->quiet, &seg);
    }
    if (code == CLI_EX_OK) {
        printf("\n== two-layer segmentation on the call-record features (spec %s) in %.2f s: %d "
               "groups by value and voice bill, %d segments\n",
               dp.spec, now() - t1, (int)crm_twolayer_n_groups(seg), (int)total_segments(seg));
        printf("   model %s, labels %s (l1 = group, l2, segment = group/segment, segment_id)\n\n",
               dp.model, dp.labels);
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
        fflush(stdout);
        code = store(dir, &dp);
    }
    if (code == CLI_EX_OK) {
        printf("\n== demo finished in %.1f s; files are in %s\n", now() - t0, dir);
        print_serve(o, &dp);
    }
    crm_twolayer_free(seg);
    crm_table_free(t);
    return code;
}

int cmd_demo(int argc, char **argv)
{
    /* main passes its argv + 1, so argv[-1] is the program as it was invoked */
    demo_opts o = { "crmkit-demo", "crmkit", 20000, 7, 42, 3330, false };
    if (argc > 0 && argv[-1] != NULL && strchr(argv[-1], '/') != NULL) {
        o.program = argv[-1];
    }
    {
        const char *pos[1];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o.quiet },
            { .name = "--dir", .kind = CLI_OPT_STR, .dest = &o.dir },
            { .name = "--rows", .kind = CLI_OPT_INT, .dest = &o.rows, .lo = 100, .hi = 100000000 },
            /* a week at least: the segments use the weekend share */
            { .name = "--days", .kind = CLI_OPT_INT, .dest = &o.days, .lo = 7, .hi = 366 },
            { .name = "--seed", .kind = CLI_OPT_INT, .dest = &o.seed, .lo = 0, .hi = INT64_MAX },
            { .name = "--port", .kind = CLI_OPT_INT, .dest = &o.port, .lo = 1, .hi = 65535 },
            { 0 },
        };
        /* clang-format on */
        int code = cli_parse("demo", argc, argv, opts, pos, 0, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
    }
    return run(&o);
}
