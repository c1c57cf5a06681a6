/* assign_clf.c: `crmkit assign` with a classifier model: place new customers into the
 * segments a classifier learned (crmkit train --target segment --labels labels.csv). */
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/outfile.h>

#include "clf_report.h"
#include "cli.h"

bool clf_is_classifier_file(const char *path)
{
    crm_model_reader *r = NULL;
    bool yes = false;
    if (crm_model_reader_open(path, &r, NULL) == CRM_OK) {
        yes = strcmp(crm_model_reader_kind(r), "classifier") == 0;
    }
    crm_model_reader_free(r);
    return yes;
}

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static crm_status write_labels(const crm_classifier *c,
                               const crm_table *t,
                               const int32_t *lab,
                               const char *path,
                               crm_error *err)
{
    crm_outfile *of = NULL;
    int32_t id = -1;
    char buf[512];
    FILE *fp;
    crm_status st = crm_outfile_open(path, &of, err);
    if (st != CRM_OK) {
        return st;
    }
    for (int32_t j = 0; j < crm_table_n_cols(t) && id < 0; j++) {
        id = crm_table_col_type(t, j) == CRM_COL_ID ? j : -1;
    }
    fp = crm_outfile_stream(of);
    fprintf(fp, "%s,%s\n", id >= 0 ? crm_table_col_name(t, id) : "row", crm_classifier_target(c));
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        if (id >= 0) {
            fprintf(fp, "%s,", crm_table_cell_text(t, i, id, buf, (int32_t)sizeof buf));
        } else {
            fprintf(fp, "%lld,", (long long)(i + 1));
        }
        fprintf(fp, "%s\n", crm_classifier_class_name(c, lab[i]));
    }
    return crm_outfile_commit(of, err);
}

int assign_with_classifier(const char *model,
                           const char *data,
                           const char *out,
                           bool json,
                           bool quiet)
{
    crm_classifier *c = NULL;
    crm_table *t = NULL;
    int32_t *lab = NULL;
    crm_clf_predict_info info;
    crm_csv_options opt = crm_csv_options_default();
    cli_progress bar;
    crm_error err;
    crm_status st;
    double t0;
    double secs = 0.0;
    int rc = 0;
    memset(&info, 0, sizeof info);
    cli_progress_init(&bar, quiet || json);
    st = crm_classifier_load(model, &c, &err);
    if (st == CRM_OK) {
        cli_dialect_apply(&cli_input, &opt);
        st = crm_table_read_csv(data, &opt, cli_progress_cb(&bar), &t, &err);
    }
    cli_progress_done(&bar);
    if (st == CRM_OK) {
        lab = crm_mallocarray((size_t)(crm_table_n_rows(t) > 0 ? crm_table_n_rows(t) : 1),
                              sizeof *lab);
        t0 = now_s();
        st = lab == NULL ? CRM_ENOMEM : crm_classifier_predict(c, t, lab, &info, &err);
        secs = now_s() - t0;
    }
    if (st == CRM_OK) {
        st = write_labels(c, t, lab, out, &err);
    }
    if (st != CRM_OK) {
        if (lab == NULL && t != NULL) {
            crm_error_clear(&err);
            err.code = CRM_ENOMEM;
        }
        rc = cli_fail(&err);
        goto done;
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "model_kind");
        cli_json_str(&j, "classifier");
        cli_json_key(&j, "algo");
        cli_json_str(&j, crm_clf_algo_name(crm_classifier_algo(c)));
        cli_json_key(&j, "rows");
        cli_json_int(&j, crm_table_n_rows(t));
        cli_json_key(&j, "unseen_levels");
        cli_json_int(&j, info.n_unseen);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, secs);
        cli_json_key(&j, "labels");
        cli_json_str(&j, cli_path_shown(out));
        cli_json_end(&j);
    } else if (strcmp(out, "-") != 0) {
        printf("%lld customers of %s assigned by a %s classifier in %.2f s; labels written to "
               "%s\n",
               (long long)crm_table_n_rows(t), cli_path_shown(data),
               crm_clf_algo_name(crm_classifier_algo(c)), secs, cli_path_shown(out));
    }
    if (info.n_unseen > 0) {
        cli_errorf("warning: %lld category values of %s were not seen when the "
                   "model was fitted (treated as missing)\n",
                   (long long)info.n_unseen, data);
    }
done:
    crm_free(lab);
    crm_table_free(t);
    crm_classifier_free(c);
    return rc;
}
