/* cmd_predict.c: `crmkit predict`: score new customers with a saved classifier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/io.h>
#include <crmkit/outfile.h>

#include "cli.h"

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit predict MODEL.crmc NEW.csv -o predictions.csv [--proba] [--id COLUMN]\n"
            "         [--sep S] [--na LIST] [--types LIST] [--json] [--quiet]\n\n"
            "Score every row of NEW.csv with a classifier saved by crmkit train. Features are\n"
            "found by name (any order; extra columns are ignored). Unseen categories and missing\n"
            "values are handled as in training and counted on stderr.\n\n"
            "  -o FILE       predictions CSV (\"-\" = stdout): id, predicted class\n"
            "  --proba       add one probability column per class (p_<class>), and for a\n"
            "                two-class target a \"risk\" column (probability of the second class)\n"
            "  --id COLUMN   id column to copy (default: the first identifier column, else\n"
            "                the row number)\n"
            "  --sep S       NEW.csv separator: , ; tab | or auto (from the header line)\n"
            "  --na LIST     extra missing-value markers, comma-separated\n"
            "  --types LIST  column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json        a JSON summary on stdout; with -o -, the predictions as JSON\n"
            "  --quiet       no progress bar and no summary on stderr\n\n"
            "exit status: 0 ok, 64 usage, 65 bad data or wrong model kind, 66 missing input,\n"
            "73/74 output error.\n");
}

static int32_t id_column(const crm_table *t, const char *name)
{
    if (name != NULL) {
        return crm_table_find_col(t, name);
    }
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        if (crm_table_col_type(t, j) == CRM_COL_ID) {
            return j;
        }
    }
    return -1;
}

static void put_csv_text(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s != '\0'; s++) {
        if (*s == '"') {
            fputc('"', fp);
        }
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* Rows [first, first + n) of the predictions as CSV lines into fp. */
static void put_rows(FILE *fp,
                     const crm_classifier *c,
                     const crm_table *t,
                     int32_t id_col,
                     const double *proba,
                     bool with_proba,
                     int64_t first,
                     int64_t n)
{
    int32_t k = crm_classifier_n_classes(c);
    char buf[512];
    for (int64_t i = first; i < first + n; i++) {
        const double *p = proba + i * k;
        int32_t best = 0;
        for (int32_t j = 1; j < k; j++) {
            best = p[j] > p[best] ? j : best;
        }
        if (id_col >= 0) {
            put_csv_text(fp, crm_table_cell_text(t, i, id_col, buf, (int32_t)sizeof buf));
        } else {
            fprintf(fp, "%lld", (long long)(i + 1));
        }
        fputc(',', fp);
        put_csv_text(fp, crm_classifier_class_name(c, best));
        for (int32_t j = 0; with_proba && j < k; j++) {
            (void)cli_format_double(buf, sizeof buf, p[j]);
            fprintf(fp, ",%s", buf);
        }
        if (with_proba && k == 2) {
            (void)cli_format_double(buf, sizeof buf, p[1]);
            fprintf(fp, ",%s", buf);
        }
        fputc('\n', fp);
    }
}

/* Formatting the numbers is most of the time of writing a million predictions, so blocks of
 * rows are formatted in parallel, PRED_GROUP blocks at a time (bounding memory), and written
 * in order: the file is the same whatever the thread count. */
enum {
    PRED_BLOCK_ROWS = 4096,
    PRED_GROUP = 64
};

static int32_t best_class(const double *p, int32_t k)
{
    int32_t best = 0;
    for (int32_t j = 1; j < k; j++) {
        best = p[j] > p[best] ? j : best;
    }
    return best;
}

/* --json -o -: the predictions as one JSON object on standard output. */
static crm_status json_predictions(const crm_classifier *c,
                                   const crm_table *t,
                                   int32_t id_col,
                                   const double *proba,
                                   bool with_proba,
                                   crm_error *err)
{
    int32_t k = crm_classifier_n_classes(c);
    char buf[512];
    cli_json j;
    (void)err;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "target");
    cli_json_str(&j, crm_classifier_target(c));
    cli_json_key(&j, "predictions");
    cli_json_open_arr(&j);
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        const double *p = proba + i * k;
        cli_json_open_obj(&j);
        cli_json_key(&j, id_col >= 0 ? crm_table_col_name(t, id_col) : "row");
        if (id_col >= 0) {
            cli_json_str(&j, crm_table_cell_text(t, i, id_col, buf, (int32_t)sizeof buf));
        } else {
            cli_json_int(&j, i + 1);
        }
        cli_json_key(&j, "predicted");
        cli_json_str(&j, crm_classifier_class_name(c, best_class(p, k)));
        if (with_proba) {
            cli_json_key(&j, "proba");
            cli_json_open_obj(&j);
            for (int32_t q = 0; q < k; q++) {
                cli_json_key(&j, crm_classifier_class_name(c, q));
                cli_json_num(&j, p[q]);
            }
            cli_json_close_obj(&j);
            if (k == 2) {
                cli_json_key(&j, "risk");
                cli_json_num(&j, p[1]);
            }
        }
        cli_json_close_obj(&j);
    }
    cli_json_close_arr(&j);
    cli_json_end(&j);
    return CRM_OK;
}

/* --json -o FILE: a summary of the scoring on standard output. */
static void json_summary(const crm_classifier *c,
                         const crm_table *t,
                         const double *proba,
                         const crm_clf_predict_info *info,
                         const char *out,
                         double secs)
{
    int32_t k = crm_classifier_n_classes(c);
    int64_t n = crm_table_n_rows(t);
    int64_t *count = crm_calloc((size_t)k, sizeof *count);
    cli_json j;
    for (int64_t i = 0; count != NULL && i < n; i++) {
        count[best_class(proba + i * k, k)]++;
    }
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "rows");
    cli_json_int(&j, n);
    cli_json_key(&j, "target");
    cli_json_str(&j, crm_classifier_target(c));
    cli_json_key(&j, "predicted");
    cli_json_open_obj(&j);
    for (int32_t q = 0; count != NULL && q < k; q++) {
        cli_json_key(&j, crm_classifier_class_name(c, q));
        cli_json_int(&j, count[q]);
    }
    cli_json_close_obj(&j);
    cli_json_key(&j, "unseen_values");
    cli_json_int(&j, info->n_unseen);
    cli_json_key(&j, "missing_values");
    cli_json_int(&j, info->n_missing);
    cli_json_key(&j, "output");
    cli_json_str(&j, cli_path_shown(out));
    cli_json_key(&j, "seconds");
    cli_json_num(&j, secs);
    cli_json_end(&j);
    crm_free(count);
}

static crm_status write_predictions(const crm_classifier *c,
                                    const crm_table *t,
                                    int32_t id_col,
                                    const double *proba,
                                    bool with_proba,
                                    const char *path,
                                    crm_error *err)
{
    crm_outfile *of = NULL;
    FILE *fp;
    int32_t k = crm_classifier_n_classes(c);
    int64_t n = crm_table_n_rows(t);
    int64_t n_blocks = (n + PRED_BLOCK_ROWS - 1) / PRED_BLOCK_ROWS;
    char *text[PRED_GROUP];
    size_t len[PRED_GROUP];
    int failed = 0;
    char buf[512];
    crm_status st = crm_outfile_open(path, &of, err);
    if (st != CRM_OK) {
        return st;
    }
    fp = crm_outfile_stream(of);
    put_csv_text(fp, id_col >= 0 ? crm_table_col_name(t, id_col) : "row");
    fputs(",predicted", fp);
    for (int32_t j = 0; with_proba && j < k; j++) {
        snprintf(buf, sizeof buf, "p_%s", crm_classifier_class_name(c, j));
        fputc(',', fp);
        put_csv_text(fp, buf);
    }
    if (with_proba && k == 2) {
        fputs(",risk", fp);
    }
    fputc('\n', fp);
    for (int64_t g = 0; g < n_blocks && !failed; g += PRED_GROUP) {
        int64_t nb = n_blocks - g < PRED_GROUP ? n_blocks - g : PRED_GROUP;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
        for (int64_t b = 0; b < nb; b++) {
            int64_t first = (g + b) * PRED_BLOCK_ROWS;
            FILE *ms = open_memstream(&text[b], &len[b]);
            if (ms == NULL) {
                text[b] = NULL;
                failed = 1;
                continue;
            }
            put_rows(ms, c, t, id_col, proba, with_proba, first,
                     n - first < PRED_BLOCK_ROWS ? n - first : PRED_BLOCK_ROWS);
            failed |= fclose(ms) != 0;
        }
        for (int64_t b = 0; b < nb; b++) {
            if (!failed) {
                (void)fwrite(text[b], 1, len[b], fp);
            }
            free(text[b]);
        }
    }
    if (failed) {
        crm_outfile_abort(of);
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory formatting the predictions");
        return CRM_ENOMEM;
    }
    return crm_outfile_commit(of, err);
}

int cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL;
    const char *data_path = NULL;
    const char *out = NULL;
    const char *id_name = NULL;
    bool with_proba = false;
    bool quiet = false;
    crm_classifier *c = NULL;
    crm_table *t = NULL;
    double *proba = NULL;
    crm_clf_predict_info info;
    crm_csv_options opt = crm_csv_options_default();
    crm_error err;
    crm_status st;
    int32_t id_col;
    int rc = 0;
    double t0;
    bool json = false;
    {
        const char *pos[2];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { .name = "--id", .kind = CLI_OPT_STR, .dest = &id_name },
            { .name = "--proba", .kind = CLI_OPT_FLAG, .dest = &with_proba },
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            CLI_DIALECT_OPTS(cli_input),
            { 0 },
        };
        /* clang-format on */
        rc = cli_parse("predict", argc, argv, opts, pos, 2, &n_pos, usage);
        if (rc >= 0) {
            return rc;
        }
        rc = 0;
        model_path = n_pos > 0 ? pos[0] : NULL;
        data_path = n_pos > 1 ? pos[1] : NULL;
        cli_dialect_apply(&cli_input, &opt);
    }
    if (model_path == NULL || data_path == NULL || out == NULL) {
        return cli_usage_error("predict", "need MODEL.crmc, NEW.csv and -o FILE");
    }
    {
        const char *in[] = { model_path, data_path };
        rc = cli_check_paths("predict", in, 2, &out, 1, 1u);
        if (rc >= 0) {
            return rc;
        }
        rc = 0;
    }
    st = crm_classifier_load(model_path, &c, &err);
    if (st == CRM_OK) {
        cli_progress bar;
        cli_progress_init(&bar, quiet);
        st = crm_table_read_csv(data_path, &opt, cli_progress_cb(&bar), &t, &err);
        cli_progress_done(&bar);
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    id_col = id_column(t, id_name);
    if (id_name != NULL && id_col < 0) {
        {
            char near[160];
            cli_errorf("%s: no column \"%s\"%s\n", data_path, id_name,
                       crm_table_did_you_mean(t, id_name, near, (int32_t)sizeof near));
        }
        rc = CLI_EX_DATAERR;
        goto done;
    }
    proba = crm_mallocarray((size_t)(crm_table_n_rows(t) > 0 ? crm_table_n_rows(t) : 1) *
                                (size_t)crm_classifier_n_classes(c),
                            sizeof *proba);
    if (proba == NULL) {
        fprintf(stderr, "crmkit predict: out of memory\n");
        rc = CLI_EX_OSERR;
        goto done;
    }
    t0 = now_s();
    st = crm_classifier_predict_proba(c, t, proba, &info, &err);
    if (st == CRM_OK) {
        double secs = now_s() - t0;
        st = json && strcmp(out, "-") == 0
                 ? json_predictions(c, t, id_col, proba, with_proba, &err)
                 : write_predictions(c, t, id_col, proba, with_proba, out, &err);
        if (st == CRM_OK && json && strcmp(out, "-") != 0) {
            json_summary(c, t, proba, &info, out, secs);
        } else if (st == CRM_OK && !quiet && !json) {
            fprintf(stderr,
                    "crmkit predict: %lld rows scored in %.3f s; %lld unseen categorical "
                    "values, %lld missing values\n",
                    (long long)crm_table_n_rows(t), secs, (long long)info.n_unseen,
                    (long long)info.n_missing);
        }
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
    }
done:
    crm_free(proba);
    crm_table_free(t);
    crm_classifier_free(c);
    return rc;
}
