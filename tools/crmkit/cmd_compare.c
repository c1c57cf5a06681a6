/* cmd_compare.c: `crmkit compare`: several clustering algorithms on the same customers, one
 * row each: k found, CP, SP, Davies-Bouldin, Dunn, silhouette, Calinski-Harabasz, fit time. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/compare.h>
#include <crmkit/report.h>

#include "segcli.h"

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit compare DATA.csv [--algos kmeans,xmeans,elbow] [--k N|auto]\n"
        "       [--features a,b,c] [--kmin N] [--kmax N] [--cap LOW,HIGH] [--seed S]\n"
        "       [--sample N] [--threads N] [--threshold T] [--branching B] [--eps E]\n"
        "       [--min-samples N] [--bandwidth H] [--xi X] [--json|--csv]\n"
        "       [--report FILE.html] [--quiet]\n\n"
        "Cluster the same customers with each algorithm (the same cleaning for all: mean\n"
        "imputation, optional capping, z-scores) and judge every result with the same\n"
        "validity indices on the same scaled features, as the X-means telecom paper's\n"
        "comparison table does:\n"
        "  k       clusters found (or given)\n"
        "  cp      compactness: mean distance to the centroid (lower is better)\n"
        "  sp      separation: mean distance between centroids (higher is better)\n"
        "  db      Davies-Bouldin (lower is better)\n"
        "  dunn    Dunn index (higher is better)\n"
        "  silh    mean silhouette (higher is better)\n"
        "  ch      Calinski-Harabasz (higher is better)\n"
        "  fit_s   seconds spent clustering\n"
        "Algorithms in this build: kmeans (k given), xmeans (k by BIC splitting), elbow\n"
        "(k at the knee of the inertia curve), em and em-diag (Gaussian mixtures by EM,\n"
        "full or diagonal covariances, k given, k-means start; rows labelled by their most\n"
        "probable component), birch (CF tree, Ward on its subclusters, k given), hier (Ward,\n"
        "k given), and dbscan, optigrid and denclue (each finds its own k; their noise rows\n"
        "are one more group for the indices).\n\n"
        "options:\n"
        "  --algos LIST     algorithms, in the order of the rows (default kmeans,xmeans,elbow)\n"
        "  --k N|auto       k of kmeans and em; auto (default): the k found by the first listed\n"
        "                   algorithm that chooses its own, so rows compare at one k\n"
        "  --features LIST  columns (default: every numeric column but ids and churn)\n"
        "  --kmin N, --kmax N  range of the automatic algorithms (default 2 and 30)\n"
        "  --cap LOW,HIGH   winsorise each feature at these percentiles, e.g. 1,99\n"
        "  --seed S         seed of every algorithm and of the samples (default 0)\n"
        "  --sample N       silhouette and Dunn exact up to N rows, on N sampled rows\n"
        "                   beyond (default 20000)\n"
        "  --threads N      threads (default: all); never changes the result\n"
        "  --sep S          separator: , ; tab | or auto (from the header line)\n"
        "  --na LIST        extra missing-value markers, comma-separated\n"
        "  --types LIST     column types, e.g. plan:cat,msisdn:id,score:num\n"
        "  --threshold T    birch: largest subcluster radius (default 0.5)\n"
        "  --branching B    birch: subclusters per node at most (default 50)\n"
        "  --eps E          dbscan: neighbourhood radius in the scaled space (default 0.5)\n"
        "  --min-samples N  dbscan: rows within eps that make a core row (default 5)\n"
        "  --bandwidth H    denclue: Gaussian kernel width (default 0.5)\n"
        "  --xi X           denclue: least density of an attractor (default 5)\n"
        "  --json           one JSON object on standard output\n"
        "  --csv            the table as CSV on standard output\n"
        "  --report FILE    also write the comparison as an HTML page with a bar chart per\n"
        "                   index (as crmkit report writes)\n"
        "  --quiet          no progress bar\n"
        "  -h, --help       this text\n\n"
        "exit status: 0 ok, 64 bad option or unknown algorithm, 65 bad data, 66 missing\n"
        "input.\n");
}

typedef struct cmp_opts {
    const char *data;
    const char *algos;
    const char *features;
    const char *report;
    crm_compare_params p;
    bool json;
    bool csv;
    bool quiet;
} cmp_opts;

static int opt_k(const char *v, void *ud)
{
    int64_t iv;
    if (strcmp(v, "auto") == 0) {
        *(int32_t *)ud = 0;
    } else if (!cli_parse_int(v, 1, 1000000, &iv)) {
        return cli_usage_error("compare", "--k is a whole number >= 1 or auto, got \"%s\"", v);
    } else {
        *(int32_t *)ud = (int32_t)iv;
    }
    return -1;
}

static int opt_cap(const char *v, void *ud)
{
    crm_prep_params *pp = ud;
    double lo;
    double hi;
    char tail;
    if (sscanf(v, "%lf,%lf%c", &lo, &hi, &tail) != 2 || !(lo >= 0 && lo < hi && hi <= 100)) {
        return cli_usage_error("compare", "--cap is LOW,HIGH percentiles, e.g. 1,99");
    }
    pp->cap_low_pct = lo;
    pp->cap_high_pct = hi;
    return -1;
}

static int parse_opts(int argc, char **argv, cmp_opts *o)
{
    int64_t seed = -1;
    int64_t sample = -1;
    int32_t threads = -1;
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--csv", .kind = CLI_OPT_FLAG, .dest = &o->csv },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--report", .kind = CLI_OPT_STR, .dest = &o->report },
        { .name = "--algos", .kind = CLI_OPT_STR, .dest = &o->algos },
        { .name = "--features", .kind = CLI_OPT_STR, .dest = &o->features },
        { .name = "--k", .kind = CLI_OPT_FN, .fn = opt_k, .ud = &o->p.k },
        { .name = "--kmin", .kind = CLI_OPT_INT32, .dest = &o->p.segment.kmin, .lo = 1,
          .hi = 1000000 },
        { .name = "--kmax", .kind = CLI_OPT_INT32, .dest = &o->p.segment.kmax, .lo = 1,
          .hi = 1000000 },
        { .name = "--cap", .kind = CLI_OPT_FN, .fn = opt_cap, .ud = &o->p.segment.prep },
        { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
        { .name = "--sample", .kind = CLI_OPT_INT, .dest = &sample, .lo = 2, .hi = INT64_MAX },
        { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &threads, .lo = 0, .hi = 4096 },
        { .name = "--threshold", .kind = CLI_OPT_DOUBLE, .dest = &o->p.segment.birch.threshold,
          .dlo = 0, .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0" },
        { .name = "--branching", .kind = CLI_OPT_INT32, .dest = &o->p.segment.birch.branching,
          .lo = 2, .hi = 1000000 },
        { .name = "--eps", .kind = CLI_OPT_DOUBLE, .dest = &o->p.segment.dbscan.eps, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0" },
        { .name = "--min-samples", .kind = CLI_OPT_INT32, .dest = &o->p.segment.dbscan.min_samples,
          .lo = 1, .hi = 100000000 },
        { .name = "--bandwidth", .kind = CLI_OPT_DOUBLE, .dest = &o->p.segment.denclue.h,
          .dlo = 0, .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0" },
        { .name = "--xi", .kind = CLI_OPT_DOUBLE, .dest = &o->p.segment.denclue.xi, .dlo = 0,
          .dhi = HUGE_VAL, .excl_hi = true, .need = "a number >= 0" },
        CLI_DIALECT_OPTS(cli_input),
        { 0 },
    };
    /* clang-format on */
    code = cli_parse("compare", argc, argv, opts, pos, 1, &n_pos, usage);
    o->data = n_pos > 0 ? pos[0] : NULL;
    if (seed >= 0) {
        o->p.segment.kmeans.seed = (uint64_t)seed;
        o->p.validity.seed = (uint64_t)seed;
    }
    if (sample >= 0) {
        o->p.validity.exact_max_rows = sample;
        o->p.validity.sample_rows = sample;
    }
    if (threads >= 0) {
        o->p.segment.kmeans.n_threads = threads;
        o->p.validity.n_threads = threads;
    }
    return code;
}

static void print_table(const cmp_opts *o, const crm_compare_row *rows, int32_t n)
{
    if (o->csv) {
        printf("algo,k,cp,sp,db,dunn,silhouette,ch,sse,fit_seconds\n");
        for (int32_t i = 0; i < n; i++) {
            const crm_validity *v = &rows[i].v;
            const double vals[] = { v->cp, v->sp, v->db, v->dunn, v->silhouette, v->ch, v->sse };
            printf("%s,%d", rows[i].algo, (int)rows[i].k);
            for (size_t c = 0; c < sizeof vals / sizeof vals[0]; c++) {
                if (isfinite(vals[c])) { /* an undefined index is an empty field */
                    printf(",%.10g", vals[c]);
                } else {
                    printf(",");
                }
            }
            printf(",%.6f\n", rows[i].fit_seconds);
        }
        return;
    }
    printf("%-10s %5s %9s %9s %9s %9s %9s %12s %9s\n", "algo", "k", "cp", "sp", "db", "dunn",
           "silh", "ch", "fit_s");
    for (int32_t i = 0; i < n; i++) {
        const crm_validity *v = &rows[i].v;
        printf("%-10s %5d %9.4f %9.4f %9.4f %9.4f %9.4f %12.1f %9.3f\n", rows[i].algo,
               (int)rows[i].k, v->cp, v->sp, v->db, v->dunn, v->silhouette, v->ch,
               rows[i].fit_seconds);
    }
    if (n > 0 && rows[0].v.sampled) {
        printf("(silhouette and Dunn on %lld sampled rows of %lld)\n",
               (long long)rows[0].v.pairwise_rows, (long long)rows[0].v.n_rows);
    }
}

static void print_json(const crm_compare_row *rows, int32_t n)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "rows");
    cli_json_int(&j, n > 0 ? rows[0].v.n_rows : 0);
    cli_json_key(&j, "results");
    cli_json_open_arr(&j);
    for (int32_t i = 0; i < n; i++) {
        const crm_validity *v = &rows[i].v;
        cli_json_open_obj(&j);
        cli_json_key(&j, "algo");
        cli_json_str(&j, rows[i].algo);
        cli_json_key(&j, "k");
        cli_json_int(&j, rows[i].k);
        cli_json_key(&j, "cp");
        cli_json_num(&j, v->cp);
        cli_json_key(&j, "sp");
        cli_json_num(&j, v->sp);
        cli_json_key(&j, "db");
        cli_json_num(&j, v->db);
        cli_json_key(&j, "dunn");
        cli_json_num(&j, v->dunn);
        cli_json_key(&j, "silhouette");
        cli_json_num(&j, v->silhouette);
        cli_json_key(&j, "ch");
        cli_json_num(&j, v->ch);
        cli_json_key(&j, "sse");
        cli_json_num(&j, v->sse);
        cli_json_key(&j, "fit_seconds");
        cli_json_num(&j, rows[i].fit_seconds);
        cli_json_key(&j, "pairwise_rows");
        cli_json_int(&j, v->pairwise_rows);
        cli_json_close_obj(&j);
    }
    cli_json_close_arr(&j);
    cli_json_end(&j);
}

static crm_status
write_report(const cmp_opts *o, const crm_table *t, const crm_compare_row *rows, crm_error *err)
{
    crm_report_params rp = crm_report_params_default();
    crm_report *r = NULL;
    crm_status rc;
    rp.title = "crmkit: clusterer comparison";
    rc = crm_report_new(&rp, &r, err);
    if (rc == CRM_OK) {
        rc = crm_report_add_comparison(r, rows, o->p.n_algos, crm_table_source(t), err);
    }
    if (rc == CRM_OK) {
        rc = crm_report_write_html(r, o->report, err);
    }
    crm_report_free(r);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    cmp_opts o;
    crm_table *t = NULL;
    char **algos = NULL;
    char **feats = NULL;
    int32_t n_algos = 0;
    int32_t n_feats = 0;
    crm_compare_row rows[CRM_COMPARE_MAX_ALGOS];
    cli_progress bar;
    crm_error err;
    int code = CLI_EX_OK;
    memset(&o, 0, sizeof o);
    o.p = crm_compare_params_default();
    code = parse_opts(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    code = CLI_EX_OK;
    if (o.data == NULL) {
        return cli_usage_error("compare", "name the data file");
    }
    if (o.json && o.csv) {
        return cli_usage_error("compare", "--json and --csv exclude each other");
    }
    if (o.algos != NULL) {
        algos = cli_split_list(o.algos, ',', &n_algos);
        if (algos == NULL || n_algos == 0 || n_algos > CRM_COMPARE_MAX_ALGOS) {
            cli_free_list(algos);
            return cli_usage_error("compare", "--algos needs 1 to %d names", CRM_COMPARE_MAX_ALGOS);
        }
        o.p.algos = (const char *const *)algos;
        o.p.n_algos = n_algos;
    }
    if (o.features != NULL) {
        feats = cli_split_list(o.features, ',', &n_feats);
        if (feats == NULL || n_feats == 0) {
            cli_free_list(algos);
            cli_free_list(feats);
            return cli_usage_error("compare", "--features needs column names");
        }
        o.p.segment.features = (const char *const *)feats;
        o.p.segment.n_features = n_feats;
    }
    cli_progress_init(&bar, o.quiet);
    code = seg_read_table(o.data, cli_progress_cb(&bar), &t, NULL);
    if (code == CLI_EX_OK) {
        memset(&err, 0, sizeof err);
        crm_status rc = crm_compare_run(t, &o.p, cli_progress_cb(&bar), rows, &err);
        cli_progress_done(&bar);
        if (rc == CRM_OK && o.report != NULL) {
            rc = write_report(&o, t, rows, &err);
        }
        if (rc != CRM_OK) {
            char line[1024];
            fprintf(stderr, "crmkit compare: %s\n",
                    crm_error_format(&err, line, (int32_t)sizeof line));
            code = rc == CRM_EINVAL ? CLI_EX_USAGE : cli_exit_code(rc);
        } else if (o.json) {
            print_json(rows, o.p.n_algos);
        } else {
            print_table(&o, rows, o.p.n_algos);
        }
    } else {
        cli_progress_done(&bar);
    }
    crm_table_free(t);
    cli_free_list(algos);
    cli_free_list(feats);
    return code;
}
