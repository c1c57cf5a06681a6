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

static int parse_one(int argc, char **argv, int *i, cmp_opts *o)
{
    bool miss = false;
    const char *v;
    const char *a = argv[*i];
    int64_t iv;
    if (strcmp(a, "--json") == 0) {
        o->json = true;
    } else if (strcmp(a, "--csv") == 0) {
        o->csv = true;
    } else if (strcmp(a, "--quiet") == 0) {
        o->quiet = true;
    } else if ((v = seg_opt(argc, argv, i, "--report", &miss))) {
        o->report = v;
    } else if ((v = seg_opt(argc, argv, i, "--algos", &miss))) {
        o->algos = v;
    } else if ((v = seg_opt(argc, argv, i, "--features", &miss))) {
        o->features = v;
    } else if ((v = seg_opt(argc, argv, i, "--k", &miss))) {
        if (strcmp(v, "auto") == 0) {
            o->p.k = 0;
        } else if (!cli_parse_int(v, 1, 1000000, &iv)) {
            return cli_usage_error("compare", "--k is a whole number >= 1 or auto, got \"%s\"", v);
        } else {
            o->p.k = (int32_t)iv;
        }
    } else if ((v = seg_opt(argc, argv, i, "--kmin", &miss))) {
        if (!cli_parse_int(v, 1, 1000000, &iv)) {
            return cli_usage_error("compare", "--kmin needs a whole number >= 1");
        }
        o->p.segment.kmin = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--kmax", &miss))) {
        if (!cli_parse_int(v, 1, 1000000, &iv)) {
            return cli_usage_error("compare", "--kmax needs a whole number >= 1");
        }
        o->p.segment.kmax = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--cap", &miss))) {
        double lo;
        double hi;
        char tail;
        if (sscanf(v, "%lf,%lf%c", &lo, &hi, &tail) != 2 || !(lo >= 0 && lo < hi && hi <= 100)) {
            return cli_usage_error("compare", "--cap is LOW,HIGH percentiles, e.g. 1,99");
        }
        o->p.segment.prep.cap_low_pct = lo;
        o->p.segment.prep.cap_high_pct = hi;
    } else if ((v = seg_opt(argc, argv, i, "--seed", &miss))) {
        if (!cli_parse_int(v, 0, INT64_MAX, &iv)) {
            return cli_usage_error("compare", "--seed needs a whole number >= 0");
        }
        o->p.segment.kmeans.seed = (uint64_t)iv;
        o->p.validity.seed = (uint64_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--sample", &miss))) {
        if (!cli_parse_int(v, 2, INT64_MAX, &iv)) {
            return cli_usage_error("compare", "--sample needs a whole number >= 2");
        }
        o->p.validity.exact_max_rows = iv;
        o->p.validity.sample_rows = iv;
    } else if ((v = seg_opt(argc, argv, i, "--threshold", &miss))) {
        if (!cli_parse_double(v, &o->p.segment.birch.threshold) ||
            !(o->p.segment.birch.threshold > 0) || !isfinite(o->p.segment.birch.threshold)) {
            return cli_usage_error("compare", "--threshold needs a number > 0");
        }
    } else if ((v = seg_opt(argc, argv, i, "--branching", &miss))) {
        if (!cli_parse_int(v, 2, 1000000, &iv)) {
            return cli_usage_error("compare", "--branching needs a whole number in [2, 1000000]");
        }
        o->p.segment.birch.branching = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--eps", &miss))) {
        if (!cli_parse_double(v, &o->p.segment.dbscan.eps) || !(o->p.segment.dbscan.eps > 0) ||
            !isfinite(o->p.segment.dbscan.eps)) {
            return cli_usage_error("compare", "--eps needs a number > 0");
        }
    } else if ((v = seg_opt(argc, argv, i, "--min-samples", &miss))) {
        if (!cli_parse_int(v, 1, 100000000, &iv)) {
            return cli_usage_error("compare", "--min-samples needs a whole number >= 1");
        }
        o->p.segment.dbscan.min_samples = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--bandwidth", &miss))) {
        if (!cli_parse_double(v, &o->p.segment.denclue.h) || !(o->p.segment.denclue.h > 0) ||
            !isfinite(o->p.segment.denclue.h)) {
            return cli_usage_error("compare", "--bandwidth needs a number > 0");
        }
    } else if ((v = seg_opt(argc, argv, i, "--xi", &miss))) {
        if (!cli_parse_double(v, &o->p.segment.denclue.xi) || !(o->p.segment.denclue.xi >= 0) ||
            !isfinite(o->p.segment.denclue.xi)) {
            return cli_usage_error("compare", "--xi needs a number >= 0");
        }
    } else if ((v = seg_opt(argc, argv, i, "--threads", &miss))) {
        if (!cli_parse_int(v, 0, 4096, &iv)) {
            return cli_usage_error("compare", "--threads needs a whole number >= 0");
        }
        o->p.segment.kmeans.n_threads = (int32_t)iv;
        o->p.validity.n_threads = (int32_t)iv;
    } else if (miss) {
        return cli_usage_error("compare", "%s needs a value", a);
    } else if (a[0] == '-' && a[1] != '\0') {
        return cli_usage_error("compare", "unknown option \"%s\"", a);
    } else if (o->data == NULL) {
        o->data = a;
    } else {
        return cli_usage_error("compare", "one data file only");
    }
    return -1;
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
    for (int i = 1; i < argc; i++) {
        if (seg_is_help(argv[i])) {
            usage(stdout);
            return CLI_EX_OK;
        }
        code = parse_one(argc, argv, &i, &o);
        if (code >= 0) {
            return code;
        }
    }
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
