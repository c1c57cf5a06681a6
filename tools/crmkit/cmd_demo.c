/* cmd_demo.c: `crmkit demo`: the whole pipeline on built-in data, in well under a minute:
 * generate customers, segment them with k chosen automatically (elbow method), show the profiles,
 * write the labels and the model, then hand over to the basket and churn steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/gen.h>
#include <crmkit/segment.h>

#include "segcli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit demo [--dir DIR] [--rows N] [--seed S] [--quiet]\n\n"
            "Run crmkit end to end on generated telecom customers: write them as CSV, find the\n"
            "segments with k chosen by the elbow method, print the segment profiles, save the "
            "model and\n"
            "the labels, then run the basket-analysis and churn-prediction steps on the same\n"
            "customers. Everything goes into DIR.\n\n"
            "options:\n"
            "  --dir DIR    work folder (default ./crmkit-demo; created if needed)\n"
            "  --rows N     customers to generate (default 50000)\n"
            "  --seed S     seed of the data and of the segmentation (default 42)\n"
            "  --quiet      no progress bar\n"
            "  -h, --help   this text\n\n"
            "Files written: customers.csv, segments.crmk (model), labels.csv, and the files of\n"
            "the later steps.\n");
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
    fprintf(stderr, "crmkit: %s: cannot create the demo folder: %s\n", dir, strerror(errno));
    return CLI_EX_CANTCREAT;
}

typedef struct demo_paths {
    char customers[4096];
    char model[4096];
    char labels[4096];
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

static int
segment(const demo_paths *dp, const crm_table *t, uint64_t seed, bool quiet, crm_segmenter **seg)
{
    crm_segment_params p = crm_segment_params_default();
    cli_progress bar;
    crm_error err;
    crm_status rc;
    /* Usage columns are heavy-tailed: winsorise at 1 and 99 % so a few extreme users do not
     * get segments of their own. */
    /* The elbow over 2..10 gives a handful of segments that read well in a table; X-means
     * (crmkit segment --k auto) splits this heavy-tailed data further. */
    p.method = CRM_SEGMENT_ELBOW;
    p.kmin = 2;
    p.kmax = 10;
    p.prep.cap_low_pct = 1;
    p.prep.cap_high_pct = 99;
    p.kmeans.seed = seed;
    p.tier_by = "revenue";
    cli_progress_init(&bar, quiet);
    rc = crm_segmenter_fit(t, &p, cli_progress_cb(&bar), seg, &err);
    cli_progress_done(&bar);
    if (rc == CRM_OK) {
        rc = crm_segmenter_save(*seg, dp->model, &err);
    }
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    return seg_write_labels(dp->labels, t, crm_segmenter_labels(*seg));
}

static int run(const char *dir, int64_t rows, uint64_t seed, bool quiet)
{
    demo_paths dp;
    crm_table *t = NULL;
    crm_segmenter *seg = NULL;
    double t0 = now();
    double t1;
    int code = make_dir(dir);
    if (code != CLI_EX_OK) {
        return code;
    }
    snprintf(dp.customers, sizeof dp.customers, "%s/customers.csv", dir);
    snprintf(dp.model, sizeof dp.model, "%s/segments.crmk", dir);
    snprintf(dp.labels, sizeof dp.labels, "%s/labels.csv", dir);
    printf("== crmkit demo: %lld synthetic telecom customers (seed %llu) -> %s\n", (long long)rows,
           (unsigned long long)seed, dp.customers);
    code = generate(dp.customers, rows, seed, &t);
    if (code == CLI_EX_OK) {
        t1 = now();
        code = segment(&dp, t, seed, quiet, &seg);
    }
    if (code == CLI_EX_OK) {
        printf("\n== segmentation: the elbow method chose k = %d in %.2f s (inertia %.6g, %d "
               "iterations)\n",
               (int)crm_segmenter_k(seg), now() - t1, crm_segmenter_inertia(seg),
               (int)crm_segmenter_n_iter(seg));
        printf("   model %s, labels %s\n\n", dp.model, dp.labels);
        seg_print_profile(stdout, crm_segmenter_profile(seg), 0);
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
        printf("\n== demo finished in %.1f s; files are in %s\n", now() - t0, dir);
        printf("\n== serve these models (Acumos protobuf and JSON, /invocations, /v1) on port 3330:\n"
               "   crmkit serve --model %s/segments.crmk --model churn=%s/churn.crmc --rules "
               "%s/rules.crmr\n"
               "   then: curl -s localhost:3330/model/artifacts/protobuf; curl -s "
               "localhost:3330/metrics\n",
               dir, dir, dir);
    }
    crm_segmenter_free(seg);
    crm_table_free(t);
    return code;
}

int cmd_demo(int argc, char **argv)
{
    const char *dir = "crmkit-demo";
    int64_t rows = 50000;
    int64_t seed = 42;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        bool miss = false;
        const char *v;
        if (seg_is_help(argv[i])) {
            usage(stdout);
            return CLI_EX_OK;
        }
        if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if ((v = seg_opt(argc, argv, &i, "--dir", &miss))) {
            dir = v;
        } else if ((v = seg_opt(argc, argv, &i, "--rows", &miss))) {
            if (!cli_parse_int(v, 100, 100000000, &rows)) {
                return cli_usage_error("demo", "--rows needs a whole number >= 100, got \"%s\"", v);
            }
        } else if ((v = seg_opt(argc, argv, &i, "--seed", &miss))) {
            if (!cli_parse_int(v, 0, INT64_MAX, &seed)) {
                return cli_usage_error("demo", "--seed needs a whole number >= 0, got \"%s\"", v);
            }
        } else if (miss) {
            return cli_usage_error("demo", "%s needs a value", argv[i]);
        } else {
            return cli_usage_error("demo", "unknown argument \"%s\"", argv[i]);
        }
    }
    return run(dir, rows, (uint64_t)seed, quiet);
}
