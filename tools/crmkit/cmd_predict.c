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
            "         [--quiet]\n\n"
            "Score every row of NEW.csv with a classifier saved by crmkit train. Features are\n"
            "found by name (any order; extra columns are ignored). Unseen categories and missing\n"
            "values are handled as in training and counted on stderr.\n\n"
            "  -o FILE       predictions CSV (\"-\" = stdout): id, predicted class\n"
            "  --proba       add one probability column per class (p_<class>), and for a\n"
            "                two-class target a \"risk\" column (probability of the second class)\n"
            "  --id COLUMN   id column to copy (default: the first identifier column, else\n"
            "                the row number)\n"
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
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return CLI_EX_OK;
        } else if (strcmp(a, "--proba") == 0) {
            with_proba = true;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--id") == 0) && i + 1 < argc) {
            if (a[1] == 'o') {
                out = argv[++i];
            } else {
                id_name = argv[++i];
            }
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--id") == 0) {
            return cli_usage_error("predict", "option %s needs a value", a);
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("predict", "unknown option \"%s\"", a);
        } else if (model_path == NULL) {
            model_path = a;
        } else if (data_path == NULL) {
            data_path = a;
        } else {
            return cli_usage_error("predict", "too many arguments (\"%s\")", a);
        }
    }
    if (model_path == NULL || data_path == NULL || out == NULL) {
        return cli_usage_error("predict", "need MODEL.crmc, NEW.csv and -o FILE");
    }
    {
        const char *in[] = { model_path, data_path };
        rc = cli_check_paths("predict", in, 2, &out, 1);
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
        fprintf(stderr, "crmkit predict: %s: no column \"%s\"\n", data_path, id_name);
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
        st = write_predictions(c, t, id_col, proba, with_proba, out, &err);
        if (st == CRM_OK && !quiet) {
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
