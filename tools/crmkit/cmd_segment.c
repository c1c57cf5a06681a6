/* cmd_segment.c: `crmkit segment`: clean a customer table, find the segments (k given, or
 * chosen by X-means or the elbow method), profile and name them, save the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/segment.h>

#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit segment DATA.csv -o MODEL.crmk [--k N|auto] [--method xmeans|elbow]\n"
        "       [--kmin N] [--kmax N] [--features a,b,c] [--scale zscore|minmax|none]\n"
        "       [--impute mean|median|neighbours|none] [--cap LOW,HIGH] [--outlier-flags]\n"
        "       [--encode onehot|ordinal] [--seed S] [--init CENTRES.csv] [--max-iter N]\n"
        "       [--tol T] [--n-init N] [--threads N] [--names NAMES.txt] [--tier-by COLUMN|none]\n"
        "       [--labels LABELS.csv] [--json] [--quiet]\n"
        "       crmkit segment DATA.csv --spec SPEC.json -o MODEL.crmk [--labels LABELS.csv]\n"
        "       (the two-layer model: see crmkit segment --spec x --help)\n\n"
        "Clean the customer table, find its segments with k-means, describe and name them, and\n"
        "save everything needed to assign new customers into one model file.\n\n"
        "options:\n"
        "  -o, --output FILE   model file to write (required)\n"
        "  --k N|auto          number of segments, or auto to choose it (default auto)\n"
        "  --method M          how auto chooses k: xmeans (BIC splitting, default) or elbow\n"
        "  --kmin N, --kmax N  range for auto (default 2 and 30)\n"
        "  --features LIST     comma-separated columns (default: every numeric column except\n"
        "                      ids, the churn flag and \"segment\")\n"
        "  --scale S           zscore (default), minmax or none\n"
        "  --impute I          mean (default), median, neighbours (mean of the previous and\n"
        "                      next values in file order) or none (missing values are errors)\n"
        "  --cap LOW,HIGH      winsorise each feature at these percentiles, e.g. 1,99\n"
        "  --outlier-flags     add a 0/1 column per feature telling that it was capped\n"
        "  --encode E          categorical features: onehot (default) or ordinal\n"
        "  --seed S            random seed (default 0); same seed, same segments\n"
        "  --init FILE         start k-means from these centres (CSV with a column per feature\n"
        "                      in original units, one row per centre; sets k)\n"
        "  --max-iter N        Lloyd iterations per run (default 300)\n"
        "  --tol T             convergence tolerance (default 1e-4; 0 = until labels stop)\n"
        "  --n-init N          k-means++ seedings, the best is kept (default 1)\n"
        "  --threads N         threads (default: all); never changes the result\n"
        "  --names FILE        segment names, one per line, in segment-number order\n"
        "  --tier-by COLUMN    name segments Platinum, Gold, Silver, Bronze by the mean of this\n"
        "                      column (default: revenue when there is such a column; none = off)\n"
        "  --labels FILE       also write the training labels (id, segment) as CSV\n"
        "  --json              print one JSON summary on standard output\n"
        "  --quiet             no progress bar\n"
        "  -h, --help          this text\n\n"
        "exit status: 0 ok, 64 bad option, 65 bad data, 66 missing input, 73/74 cannot write.\n");
}

typedef struct seg_opts {
    const char *data;
    const char *out;
    const char *labels;
    const char *init;
    const char *names;
    const char *tier_by;
    const char *features;
    bool k_auto;
    bool k_given;
    bool method_given;
    bool json;
    bool quiet;
} seg_opts;

static int parse_enum(const char *v, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

static int parse_cap(const char *v, crm_prep_params *pp)
{
    const char *comma = strchr(v, ',');
    char low[64];
    size_t n = comma ? (size_t)(comma - v) : 0;
    if (comma == NULL || n == 0 || n >= sizeof low) {
        return 0;
    }
    memcpy(low, v, n);
    low[n] = '\0';
    return cli_parse_double(low, &pp->cap_low_pct) &&
           cli_parse_double(comma + 1, &pp->cap_high_pct) && pp->cap_low_pct >= 0 &&
           pp->cap_low_pct < pp->cap_high_pct && pp->cap_high_pct <= 100;
}

/* One option at argv[*i]; returns -1 when handled, else an exit code. */
static int parse_one(int argc, char **argv, int *i, seg_opts *o, crm_segment_params *p)
{
    static const char *const scales[] = { "none", "zscore", "minmax" };
    static const char *const imputes[] = { "none", "mean", "median", "neighbours" };
    static const char *const encodes[] = { "onehot", "ordinal" };
    bool miss = false;
    const char *v;
    const char *a = argv[*i];
    int64_t iv;
    int e;
    if (strcmp(a, "--json") == 0) {
        o->json = true;
    } else if (strcmp(a, "--quiet") == 0) {
        o->quiet = true;
    } else if (strcmp(a, "--outlier-flags") == 0) {
        p->prep.outlier_flags = 1;
    } else if ((v = seg_opt(argc, argv, i, "-o", &miss)) ||
               (v = seg_opt(argc, argv, i, "--output", &miss))) {
        o->out = v;
    } else if ((v = seg_opt(argc, argv, i, "--k", &miss))) {
        o->k_given = true;
        o->k_auto = strcmp(v, "auto") == 0;
        if (!o->k_auto && !cli_parse_int(v, INT32_MIN, INT32_MAX, &iv)) {
            return cli_usage_error("segment", "--k needs a whole number or auto, got \"%s\"", v);
        }
        p->k = o->k_auto ? 0 : (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--method", &miss))) {
        if (strcmp(v, "xmeans") != 0 && strcmp(v, "elbow") != 0) {
            return cli_usage_error("segment", "--method is xmeans or elbow, got \"%s\"", v);
        }
        p->method = strcmp(v, "xmeans") == 0 ? CRM_SEGMENT_XMEANS : CRM_SEGMENT_ELBOW;
        o->method_given = true;
    } else if ((v = seg_opt(argc, argv, i, "--kmin", &miss))) {
        if (!cli_parse_int(v, 1, 100000, &iv)) {
            return cli_usage_error("segment", "--kmin needs a whole number >= 1, got \"%s\"", v);
        }
        p->kmin = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--kmax", &miss))) {
        if (!cli_parse_int(v, 1, 100000, &iv)) {
            return cli_usage_error("segment", "--kmax needs a whole number >= 1, got \"%s\"", v);
        }
        p->kmax = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--features", &miss))) {
        o->features = v;
    } else if ((v = seg_opt(argc, argv, i, "--scale", &miss))) {
        if (!parse_enum(v, scales, 3, &e)) {
            return cli_usage_error("segment", "--scale is zscore, minmax or none, got \"%s\"", v);
        }
        p->prep.scale = (crm_scale)e;
    } else if ((v = seg_opt(argc, argv, i, "--impute", &miss))) {
        if (!parse_enum(v, imputes, 4, &e)) {
            return cli_usage_error("segment",
                                   "--impute is mean, median, neighbours or none, got \"%s\"", v);
        }
        p->prep.impute = (crm_impute)e;
    } else if ((v = seg_opt(argc, argv, i, "--encode", &miss))) {
        if (!parse_enum(v, encodes, 2, &e)) {
            return cli_usage_error("segment", "--encode is onehot or ordinal, got \"%s\"", v);
        }
        p->prep.encode = (crm_encode)e;
    } else if ((v = seg_opt(argc, argv, i, "--cap", &miss))) {
        if (!parse_cap(v, &p->prep)) {
            return cli_usage_error("segment",
                                   "--cap needs LOW,HIGH percentiles with 0 <= LOW < HIGH <= 100, "
                                   "got \"%s\"",
                                   v);
        }
    } else if ((v = seg_opt(argc, argv, i, "--seed", &miss))) {
        if (!cli_parse_int(v, 0, INT64_MAX, &iv)) {
            return cli_usage_error("segment", "--seed needs a whole number >= 0, got \"%s\"", v);
        }
        p->kmeans.seed = (uint64_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--max-iter", &miss))) {
        if (!cli_parse_int(v, 1, 1000000, &iv)) {
            return cli_usage_error("segment", "--max-iter needs a whole number >= 1, got \"%s\"",
                                   v);
        }
        p->kmeans.max_iter = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--n-init", &miss))) {
        if (!cli_parse_int(v, 1, 10000, &iv)) {
            return cli_usage_error("segment", "--n-init needs a whole number >= 1, got \"%s\"", v);
        }
        p->kmeans.n_init = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--threads", &miss))) {
        if (!cli_parse_int(v, 0, 4096, &iv)) {
            return cli_usage_error("segment", "--threads needs a whole number >= 0, got \"%s\"", v);
        }
        p->kmeans.n_threads = (int32_t)iv;
    } else if ((v = seg_opt(argc, argv, i, "--tol", &miss))) {
        if (!cli_parse_double(v, &p->kmeans.tol) || p->kmeans.tol < 0) {
            return cli_usage_error("segment", "--tol needs a number >= 0, got \"%s\"", v);
        }
    } else if ((v = seg_opt(argc, argv, i, "--init", &miss))) {
        o->init = v;
    } else if ((v = seg_opt(argc, argv, i, "--names", &miss))) {
        o->names = v;
    } else if ((v = seg_opt(argc, argv, i, "--tier-by", &miss))) {
        o->tier_by = v;
    } else if ((v = seg_opt(argc, argv, i, "--labels", &miss))) {
        o->labels = v;
    } else if (miss) {
        return cli_usage_error("segment", "%s needs a value", a);
    } else if (a[0] == '-' && a[1] != '\0') {
        return cli_usage_error("segment", "unknown option \"%s\"", a);
    } else if (o->data == NULL) {
        o->data = a;
    } else {
        return cli_usage_error("segment", "one data file only (got \"%s\" and \"%s\")", o->data, a);
    }
    return -1;
}

static int check_opts(const seg_opts *o, crm_segment_params *p)
{
    if (o->data == NULL) {
        return cli_usage_error("segment", "a data file is required");
    }
    if (o->out == NULL) {
        return cli_usage_error("segment", "a model file is required (-o MODEL.crmk)");
    }
    if (o->k_given && !o->k_auto && p->k < 1) {
        return cli_usage_error("segment", "--k must be at least 1, got %d", (int)p->k);
    }
    if (o->method_given && o->k_given && !o->k_auto) {
        return cli_usage_error("segment", "--method chooses k: use it with --k auto");
    }
    if (o->init != NULL && (o->k_auto || o->method_given)) {
        return cli_usage_error("segment", "--init gives the centres, so k cannot be auto");
    }
    if (o->names != NULL && o->tier_by != NULL && strcmp(o->tier_by, "none") != 0) {
        return cli_usage_error("segment", "--names and --tier-by both name the segments");
    }
    if ((o->k_auto || !o->k_given) && o->init == NULL) {
        if (!o->method_given) {
            p->method = CRM_SEGMENT_XMEANS;
        }
        if (p->kmax < p->kmin) {
            return cli_usage_error("segment", "--kmax (%d) is below --kmin (%d)", (int)p->kmax,
                                   (int)p->kmin);
        }
    } else {
        p->method = CRM_SEGMENT_FIXED;
    }
    return -1;
}

static const char *method_name(crm_segment_method m)
{
    return m == CRM_SEGMENT_XMEANS ? "xmeans" : (m == CRM_SEGMENT_ELBOW ? "elbow" : "fixed");
}

static void print_json(const crm_segmenter *seg,
                       const seg_opts *o,
                       double load_seconds,
                       const crm_segment_params *p)
{
    const crm_profile *pr = crm_segmenter_profile(seg);
    const crm_prep *prep = crm_segmenter_prep(seg);
    int32_t k = crm_segmenter_k(seg);
    int32_t kmin = 0;
    int32_t n_curve = 0;
    const double *curve = crm_segmenter_curve(seg, &kmin, &n_curve);
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "k");
    cli_json_int(&j, k);
    cli_json_key(&j, "method");
    cli_json_str(&j, method_name(crm_segmenter_method(seg)));
    cli_json_key(&j, "rows");
    cli_json_int(&j, crm_segmenter_n_rows(seg));
    cli_json_key(&j, "iterations");
    cli_json_int(&j, crm_segmenter_n_iter(seg));
    cli_json_key(&j, "inertia");
    cli_json_num(&j, crm_segmenter_inertia(seg));
    cli_json_key(&j, "seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "total"));
    cli_json_key(&j, "load_seconds");
    cli_json_num(&j, load_seconds);
    cli_json_key(&j, "prep_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "prep"));
    cli_json_key(&j, "cluster_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "cluster"));
    cli_json_key(&j, "profile_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "profile"));
    cli_json_key(&j, "seed");
    cli_json_int(&j, (int64_t)p->kmeans.seed);
    if (crm_segmenter_method(seg) == CRM_SEGMENT_XMEANS) {
        cli_json_key(&j, "bic");
        cli_json_num(&j, crm_segmenter_bic(seg));
    }
    if (curve != NULL) {
        cli_json_key(&j, "elbow_kmin");
        cli_json_int(&j, kmin);
        cli_json_key(&j, "elbow_inertia");
        cli_json_open_arr(&j);
        for (int32_t i = 0; i < n_curve; i++) {
            cli_json_num(&j, curve[i]);
        }
        cli_json_close_arr(&j);
    }
    cli_json_key(&j, "sizes");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_int(&j, crm_profile_size(pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "names");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_str(&j, crm_profile_name(pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "features");
    cli_json_open_arr(&j);
    for (int32_t f = 0; f < crm_prep_n_features(prep); f++) {
        cli_json_str(&j, crm_prep_feature_name(prep, f));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "model");
    cli_json_str(&j, o->out);
    cli_json_key(&j, "labels");
    if (o->labels) {
        cli_json_str(&j, o->labels);
    } else {
        cli_json_null(&j);
    }
    cli_json_key(&j, "profile");
    seg_json_profile(&j, pr);
    cli_json_end(&j);
}

static void print_text(const crm_segmenter *seg, const seg_opts *o, double load_seconds)
{
    printf("%lld customers of %s in %d segments (%s), inertia %.6g after %d iterations\n",
           (long long)crm_segmenter_n_rows(seg), o->data, (int)crm_segmenter_k(seg),
           method_name(crm_segmenter_method(seg)), crm_segmenter_inertia(seg),
           (int)crm_segmenter_n_iter(seg));
    printf("load %.2f s, fit %.2f s; model written to %s%s%s\n\n", load_seconds,
           crm_segmenter_seconds(seg, "total"), o->out, o->labels ? ", labels to " : "",
           o->labels ? o->labels : "");
    seg_print_profile(stdout, crm_segmenter_profile(seg), 0);
}

/* Names and tiers: an explicit file, an explicit column, or revenue when there is one. */
static int set_naming(const seg_opts *o, const crm_table *t, crm_segment_params *p, char ***names)
{
    int32_t n = 0;
    if (o->names != NULL) {
        int code = seg_read_names(o->names, names, &n);
        if (code != CLI_EX_OK) {
            return code;
        }
        p->names = (const char *const *)*names;
        p->n_names = n;
    } else if (o->tier_by != NULL) {
        p->tier_by = strcmp(o->tier_by, "none") == 0 ? NULL : o->tier_by;
    } else {
        int32_t j = crm_table_find_col(t, "revenue");
        p->tier_by = (j >= 0 && crm_table_numeric(t, j) != NULL) ? "revenue" : NULL;
    }
    return CLI_EX_OK;
}

static int run(const seg_opts *o, crm_segment_params *p)
{
    crm_table *t = NULL;
    crm_table *init = NULL;
    crm_segmenter *seg = NULL;
    char **features = NULL;
    char **names = NULL;
    cli_progress bar;
    double load_seconds = 0;
    crm_error err;
    int code;
    crm_status rc;
    cli_progress_init(&bar, o->quiet);
    code = seg_read_table(o->data, cli_progress_cb(&bar), &t, &load_seconds);
    if (code == CLI_EX_OK && o->init != NULL) {
        code = seg_read_table(o->init, NULL, &init, NULL);
        if (code == CLI_EX_OK) {
            p->init_centers = init;
            p->k = (int32_t)crm_table_n_rows(init);
        }
    }
    if (code == CLI_EX_OK && o->features != NULL) {
        features = cli_split_list(o->features, ',', &p->n_features);
        if (features == NULL || p->n_features == 0) {
            code = cli_usage_error("segment", "--features needs column names");
        }
        p->features = (const char *const *)features;
    }
    if (code == CLI_EX_OK) {
        code = set_naming(o, t, p, &names);
    }
    if (code == CLI_EX_OK) {
        rc = crm_segmenter_fit(t, p, cli_progress_cb(&bar), &seg, &err);
        cli_progress_done(&bar);
        if (rc == CRM_OK) {
            rc = crm_segmenter_save(seg, o->out, &err);
        }
        if (rc != CRM_OK) {
            if (o->names != NULL && err.source[0] == '\0' && strstr(err.msg, "name") != NULL) {
                snprintf(err.source, sizeof err.source, "%s", o->names);
            }
            code = cli_fail(&err);
        }
    }
    if (code == CLI_EX_OK && o->labels != NULL) {
        code = seg_write_labels(o->labels, t, crm_segmenter_labels(seg));
        if (code != CLI_EX_OK) {
            (void)remove(o->out); /* all or nothing: no model without its labels */
        }
    }
    if (code == CLI_EX_OK) {
        if (o->json) {
            print_json(seg, o, load_seconds, p);
        } else {
            print_text(seg, o, load_seconds);
        }
    }
    crm_segmenter_free(seg);
    crm_table_free(init);
    crm_table_free(t);
    cli_free_list(features);
    cli_free_list(names);
    return code;
}

int cmd_segment(int argc, char **argv)
{
    seg_opts o;
    crm_segment_params p = crm_segment_params_default();
    int code;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spec") == 0 || strncmp(argv[i], "--spec=", 7) == 0) {
            return tl_segment(argc, argv); /* the two-layer model */
        }
    }
    for (int i = 1; i < argc; i++) {
        if (seg_is_help(argv[i])) {
            usage(stdout);
            return CLI_EX_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        code = parse_one(argc, argv, &i, &o, &p);
        if (code >= 0) {
            return code;
        }
    }
    code = check_opts(&o, &p);
    if (code >= 0) {
        return code;
    }
    return run(&o, &p);
}
