/* cmd_validity.c: `crmkit validity`: judge a labelling of a customer table with the cluster
 * validity indices (SSE, CP, SP, Davies-Bouldin, Dunn, silhouette, Calinski-Harabasz). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/prep.h>
#include <crmkit/segment.h>
#include <crmkit/validity.h>

#include "segcli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit validity DATA.csv --labels LABELS.csv [--features a,b,c]\n"
            "       [--scale zscore|minmax|none] [--impute mean|median|neighbours|none]\n"
            "       [--model MODEL.crmk] [--exact-max N] [--sample N] [--seed S] [--threads N]\n"
            "       [--json] [--quiet]\n\n"
            "Compute validity indices of the labelling in LABELS.csv (an id column and\n"
            "\"segment\", as crmkit segment --labels and crmkit assign write; matched to DATA by\n"
            "id, or by row order when there is no shared id column) over the cleaned features.\n"
            "Distances are taken in the scaled space: with --model, exactly the model's cleaning;\n"
            "otherwise the features are cleaned here with --impute and --scale.\n\n"
            "  sse         sum of squared distances to the segment centroids\n"
            "  cp          compactness: mean distance to the centroid, averaged over segments\n"
            "  sp          separation: mean distance between centroids\n"
            "  db          Davies-Bouldin (lower is better)\n"
            "  dunn        Dunn index (higher is better)\n"
            "  silhouette  mean silhouette (higher is better)\n"
            "  ch          Calinski-Harabasz (higher is better)\n"
            "Silhouette and Dunn are exact up to --exact-max rows (default 20000); beyond that\n"
            "they use --sample rows (default 20000) drawn with --seed.\n\n"
            "options:\n"
            "  --labels FILE     the labelling to judge (required)\n"
            "  --features LIST   columns (default: as crmkit segment)\n"
            "  --scale S         zscore (default), minmax or none\n"
            "  --impute I        mean (default), median, neighbours or none\n"
            "  --model FILE      use this segmentation model's features and cleaning\n"
            "  --sep S           separator: , ; tab | or auto (from the header line)\n"
            "  --na LIST         extra missing-value markers, comma-separated\n"
            "  --types LIST      column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json            print one JSON object on standard output\n"
            "  --quiet           no progress bar\n"
            "  -h, --help        this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 bad data, 66 missing input.\n");
}

typedef struct val_opts {
    const char *data;
    const char *labels;
    const char *features;
    const char *model;
    crm_prep_params prep;
    crm_validity_params vp;
    bool json;
    bool quiet;
} val_opts;

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_opts(int argc, char **argv, val_opts *o)
{
    static const char *const scales[] = { "none", "zscore", "minmax", NULL };
    static const char *const imputes[] = { "none", "mean", "median", "neighbours", NULL };
    int scale = (int)o->prep.scale;
    int impute = (int)o->prep.impute;
    int64_t seed = (int64_t)o->vp.seed;
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--labels", .kind = CLI_OPT_STR, .dest = &o->labels },
        { .name = "--features", .kind = CLI_OPT_STR, .dest = &o->features },
        { .name = "--model", .kind = CLI_OPT_STR, .dest = &o->model },
        { .name = "--scale", .kind = CLI_OPT_CHOICE, .dest = &scale, .choices = scales,
          .need = "zscore, minmax or none" },
        { .name = "--impute", .kind = CLI_OPT_CHOICE, .dest = &impute, .choices = imputes,
          .need = "mean, median, neighbours or none" },
        { .name = "--exact-max", .kind = CLI_OPT_INT, .dest = &o->vp.exact_max_rows, .lo = 2,
          .hi = INT64_MAX },
        { .name = "--sample", .kind = CLI_OPT_INT, .dest = &o->vp.sample_rows, .lo = 2,
          .hi = INT64_MAX },
        { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
        { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &o->vp.n_threads, .lo = 0,
          .hi = 4096 },
        CLI_DIALECT_OPTS(cli_input),
        { 0 },
    };
    /* clang-format on */
    code = cli_parse("validity", argc, argv, opts, pos, 1, &n_pos, usage);
    o->data = n_pos > 0 ? pos[0] : NULL;
    o->prep.scale = (crm_scale)scale;
    o->prep.impute = (crm_impute)impute;
    o->vp.seed = (uint64_t)seed;
    return code;
}

/* The scaled design matrix: the model's cleaning, or one fitted here. */
static int design(const val_opts *o, const crm_table *t, crm_matrix *x)
{
    crm_segmenter *seg = NULL;
    crm_prep *prep = NULL;
    const char **defaults = NULL;
    char **list = NULL;
    int32_t n = 0;
    crm_error err;
    crm_status rc;
    if (o->model != NULL) {
        rc = crm_segmenter_load(o->model, &seg, &err);
        if (rc == CRM_OK) {
            rc = crm_prep_transform(crm_segmenter_prep(seg), t, x, NULL, &err);
        }
    } else {
        if (o->features != NULL) {
            list = cli_split_list(o->features, ',', &n);
            if (list == NULL || n == 0) {
                cli_free_list(list);
                return cli_usage_error("validity", "--features needs column names");
            }
            rc = CRM_OK;
        } else {
            rc = crm_segment_default_features(t, &defaults, &n, &err);
        }
        if (rc == CRM_OK) {
            rc = crm_prep_fit(t, list ? (const char *const *)list : defaults, n, &o->prep, &prep,
                              &err);
        }
        if (rc == CRM_OK) {
            rc = crm_prep_transform(prep, t, x, NULL, &err);
        }
    }
    crm_segmenter_free(seg);
    crm_prep_free(prep);
    crm_free(defaults);
    cli_free_list(list);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

static void print(const val_opts *o, const crm_validity *v, double seconds)
{
    if (o->json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "k");
        cli_json_int(&j, v->k);
        cli_json_key(&j, "rows");
        cli_json_int(&j, v->n_rows);
        cli_json_key(&j, "sse");
        cli_json_num(&j, v->sse);
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
        cli_json_key(&j, "pairwise_rows");
        cli_json_int(&j, v->pairwise_rows);
        cli_json_key(&j, "sampled");
        cli_json_bool(&j, v->sampled != 0);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, seconds);
        cli_json_end(&j);
        return;
    }
    printf("%lld customers in %d segments (%s)\n", (long long)v->n_rows, (int)v->k, o->labels);
    printf("  SSE                 %.10g\n", v->sse);
    printf("  compactness CP      %.10g   (lower is better)\n", v->cp);
    printf("  separation SP       %.10g   (higher is better)\n", v->sp);
    printf("  Davies-Bouldin      %.10g   (lower is better)\n", v->db);
    printf("  Dunn                %.10g   (higher is better)\n", v->dunn);
    printf("  silhouette          %.10g   (higher is better)%s\n", v->silhouette,
           v->sampled ? "  [sampled]" : "");
    printf("  Calinski-Harabasz   %.10g   (higher is better)\n", v->ch);
    if (v->sampled) {
        printf("(silhouette and Dunn on a sample of %lld rows)\n", (long long)v->pairwise_rows);
    }
}

static int run(const val_opts *o)
{
    crm_table *t = NULL;
    int32_t *labels = NULL;
    crm_matrix x;
    crm_validity v;
    cli_progress bar;
    crm_error err;
    double t0;
    int code;
    memset(&x, 0, sizeof x);
    cli_progress_init(&bar, o->quiet);
    code = seg_read_table(o->data, cli_progress_cb(&bar), &t, NULL);
    if (code == CLI_EX_OK) {
        int64_t n = crm_table_n_rows(t);
        labels = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *labels);
        code = labels ? seg_read_labels(o->labels, t, labels) : CLI_EX_OSERR;
    }
    if (code == CLI_EX_OK) {
        code = design(o, t, &x);
    }
    if (code == CLI_EX_OK) {
        t0 = now();
        if (crm_validity_compute(&x, labels, &o->vp, cli_progress_cb(&bar), &v, &err) != CRM_OK) {
            cli_progress_done(&bar);
            if (err.source[0] == '\0') {
                snprintf(err.source, sizeof err.source, "%s", o->labels);
            }
            code = cli_fail(&err);
        } else {
            cli_progress_done(&bar);
            print(o, &v, now() - t0);
        }
    }
    crm_matrix_fini(&x);
    crm_free(labels);
    crm_table_free(t);
    return code;
}

int cmd_validity(int argc, char **argv)
{
    val_opts o;
    memset(&o, 0, sizeof o);
    o.prep = crm_prep_params_default();
    o.vp = crm_validity_params_default();
    {
        int code = parse_opts(argc, argv, &o);
        if (code >= 0) {
            return code;
        }
    }
    if (o.data == NULL) {
        return cli_usage_error("validity", "a data file is required");
    }
    if (o.labels == NULL) {
        return cli_usage_error("validity", "a labels file is required (--labels LABELS.csv)");
    }
    if (o.model != NULL && o.features != NULL) {
        return cli_usage_error("validity", "--model fixes the features; leave out --features");
    }
    return run(&o);
}
