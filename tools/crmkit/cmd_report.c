/* cmd_report.c: `crmkit report`: one self-contained HTML page with charts for segmentation
 * models, classifiers and rules files (src/report does the work). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <crmkit/alloc.h>
#include <crmkit/compare.h>
#include <crmkit/report.h>
#include <crmkit/segment.h>

#include "segcli.h"

#define MAX_MODELS 32

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit report MODEL... -o REPORT.html [--data DATA.csv] [--svg-dir DIR]\n"
            "       [--compare ALGOS] [--title TEXT] [--seed S] [--json] [--quiet]\n\n"
            "Write one self-contained HTML page (inline CSS and SVG, no script, nothing fetched\n"
            "from the network, printable to PDF) with a section per model file, in the order\n"
            "given. The kind of each file is read from its header:\n"
            "  segmentation  segment sizes (pie), profiles against the population as\n"
            "                standardised differences, the curve that chose k (elbow), the most\n"
            "                distinctive features of each segment in words; with --data also a\n"
            "                2-D PCA projection of a sample and the validity indices\n"
            "  classifier    feature importances (C4.5, gbt) or coefficients (logreg); with\n"
            "                --data holding the target: ROC, cumulative gains, lift, confusion\n"
            "  rules         service frequencies overall and by segment, top rules per set\n"
            "Colours are the Okabe-Ito palette (safe for colour-blind readers).\n\n"
            "options:\n"
            "  -o, --output FILE  the HTML page to write (required; \"-\" = standard output)\n"
            "  --data FILE        customer table (CSV) for the charts that need data\n"
            "  --svg-dir DIR      also write every chart as DIR/<name>.svg (created if needed)\n"
            "  --compare ALGOS    also compare these clustering algorithms on --data (a comma\n"
            "                     list as crmkit compare --algos takes, e.g.\n"
            "                     kmeans,xmeans,birch,em,optigrid,denclue,dbscan) with the\n"
            "                     features and k of the first segmentation model given (default\n"
            "                     parameters otherwise; for other settings run crmkit compare\n"
            "                     --report): a section with the table and a bar chart per index\n"
            "  --title TEXT       page title (default \"crmkit report\")\n"
            "  --sep S            separator of --data: , ; tab | or auto (from the header)\n"
            "  --na LIST          extra missing-value markers, comma-separated\n"
            "  --types LIST       column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --seed S           seed of the samples for the scatter and the indices (0)\n"
            "  --json             print a JSON summary on standard output\n"
            "  --quiet            no progress bar\n"
            "  -h, --help         this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 bad data, 66 missing input, 69 a kind of\n"
            "model the report cannot show, 73/74 cannot write the output.\n");
}

typedef struct rep_opts {
    const char *models[MAX_MODELS];
    int n_models;
    const char *data;
    const char *output;
    const char *svg_dir;
    const char *title;
    const char *compare;
    int64_t seed;
    bool json;
    bool quiet;
} rep_opts;

static int parse(int argc, char **argv, rep_opts *o)
{
    int n_pos = 0;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &o->output },
        { .name = "--data", .kind = CLI_OPT_STR, .dest = &o->data },
        { .name = "--svg-dir", .kind = CLI_OPT_STR, .dest = &o->svg_dir },
        { .name = "--compare", .kind = CLI_OPT_STR, .dest = &o->compare },
        { .name = "--title", .kind = CLI_OPT_STR, .dest = &o->title },
        { .name = "--seed", .kind = CLI_OPT_INT, .dest = &o->seed, .lo = 0, .hi = INT64_MAX },
        CLI_DIALECT_OPTS(cli_input),
        { 0 },
    };
    /* clang-format on */
    int code = cli_parse("report", argc, argv, opts, o->models, MAX_MODELS, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->n_models = n_pos;
    if (o->n_models == 0) {
        return cli_usage_error("report", "name at least one model file");
    }
    if (o->output == NULL) {
        return cli_usage_error("report", "-o REPORT.html is required");
    }
    if (o->compare != NULL && o->data == NULL) {
        return cli_usage_error("report", "--compare runs the algorithms on --data: give it");
    }
    {
        const char *ins[MAX_MODELS + 1];
        const char *outs[] = { o->output };
        for (int i = 0; i < o->n_models; i++) {
            ins[i] = o->models[i];
        }
        ins[o->n_models] = o->data;
        return cli_check_paths("report", ins, o->n_models + 1, outs, 1, 0u);
    }
}

static crm_status set_error(crm_error *err, crm_status code, const char *msg)
{
    crm_error_clear(err);
    err->code = code;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return code;
}

/* --compare: the algorithms on data with the first segmentation model's features and k. */
static crm_status
add_comparison(crm_report *r, const rep_opts *o, const crm_table *data, crm_error *err)
{
    crm_compare_params cp = crm_compare_params_default();
    crm_segmenter *seg = NULL;
    const char **feats = NULL;
    crm_compare_row *rows = NULL;
    int32_t n_algos = 0;
    char **algos = cli_split_list(o->compare, ',', &n_algos);
    crm_status rc = CRM_OK;
    if (algos == NULL || n_algos < 1 || n_algos > CRM_COMPARE_MAX_ALGOS) {
        cli_free_list(algos);
        return set_error(err, CRM_EINVAL, "--compare needs 1 to 16 algorithms");
    }
    for (int i = 0; i < o->n_models && seg == NULL; i++) {
        crm_error ignore;
        (void)crm_segmenter_load(o->models[i], &seg, &ignore);
    }
    cp.algos = (const char *const *)algos;
    cp.n_algos = n_algos;
    cp.segment.kmeans.seed = (uint64_t)o->seed;
    cp.validity.seed = (uint64_t)o->seed;
    if (seg != NULL) {
        const crm_prep *prep = crm_segmenter_prep(seg);
        int32_t nf = crm_prep_n_features(prep);
        feats = crm_calloc((size_t)nf, sizeof *feats);
        if (feats == NULL) {
            rc = set_error(err, CRM_ENOMEM, "out of memory");
        } else {
            for (int32_t f = 0; f < nf; f++) {
                feats[f] = crm_prep_feature_name(prep, f);
            }
            cp.segment.features = feats;
            cp.segment.n_features = nf;
            cp.k = crm_segmenter_k(seg) - (crm_segmenter_noise_segment(seg) >= 0 ? 1 : 0);
            if (cp.k < 1) {
                cp.k = 0;
            }
        }
    }
    rows = crm_calloc((size_t)n_algos, sizeof *rows);
    if (rc == CRM_OK && rows == NULL) {
        rc = set_error(err, CRM_ENOMEM, "out of memory");
    }
    if (rc == CRM_OK) {
        rc = crm_compare_run(data, &cp, NULL, rows, err);
    }
    if (rc == CRM_OK) {
        rc = crm_report_add_comparison(r, rows, n_algos, crm_table_source(data), err);
    }
    crm_free(rows);
    crm_free(feats);
    crm_segmenter_free(seg);
    cli_free_list(algos);
    return rc;
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
    fprintf(stderr, "crmkit report: %s: cannot create the folder: %s\n", dir, strerror(errno));
    return CLI_EX_CANTCREAT;
}

static void print_json(const rep_opts *o, const crm_report *r)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "output");
    cli_json_str(&j, o->output);
    cli_json_key(&j, "sections");
    cli_json_int(&j, crm_report_n_sections(r));
    cli_json_key(&j, "charts");
    cli_json_open_arr(&j);
    for (int32_t i = 0; i < crm_report_n_charts(r); i++) {
        cli_json_str(&j, crm_report_chart_name(r, i));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "svg_dir");
    if (o->svg_dir != NULL) {
        cli_json_str(&j, o->svg_dir);
    } else {
        cli_json_null(&j);
    }
    cli_json_end(&j);
}

int cmd_report(int argc, char **argv)
{
    rep_opts o;
    crm_report_params p = crm_report_params_default();
    crm_report *r = NULL;
    crm_table *data = NULL;
    crm_error err;
    cli_progress bar;
    crm_status rc;
    int code;
    memset(&o, 0, sizeof o);
    code = parse(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    code = CLI_EX_OK;
    p.title = o.title;
    p.seed = (uint64_t)o.seed;
    if (o.data != NULL) {
        cli_progress_init(&bar, o.quiet);
        code = seg_read_table(o.data, cli_progress_cb(&bar), &data, NULL);
        cli_progress_done(&bar);
        if (code != CLI_EX_OK) {
            return code;
        }
    }
    rc = crm_report_new(&p, &r, &err);
    for (int i = 0; rc == CRM_OK && i < o.n_models; i++) {
        rc = crm_report_add_file(r, o.models[i], data, &err);
    }
    if (rc == CRM_OK && o.compare != NULL) {
        rc = add_comparison(r, &o, data, &err);
    }
    /* Everything is built in memory first: a failure leaves no file behind. */
    if (rc == CRM_OK && o.svg_dir != NULL) {
        code = make_dir(o.svg_dir);
        if (code != CLI_EX_OK) {
            crm_report_free(r);
            crm_table_free(data);
            return code;
        }
        rc = crm_report_write_svgs(r, o.svg_dir, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_report_write_html(r, o.output, &err);
    }
    if (rc != CRM_OK) {
        code = cli_fail(&err);
    } else if (o.json) {
        print_json(&o, r);
    } else if (strcmp(o.output, "-") != 0) {
        printf("report written to %s (%d sections, %d charts)\n", o.output,
               (int)crm_report_n_sections(r), (int)crm_report_n_charts(r));
    }
    crm_report_free(r);
    crm_table_free(data);
    return code;
}
