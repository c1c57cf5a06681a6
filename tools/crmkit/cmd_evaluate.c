/* cmd_evaluate.c: `crmkit evaluate`: measure a saved classifier on labelled data. */
#include <string.h>

#include <crmkit/classify.h>
#include <crmkit/io.h>

#include "clf_report.h"
#include "cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit evaluate MODEL.crmc DATA.csv [--target COLUMN] [--json]\n\n"
            "Score DATA.csv with a classifier saved by crmkit train and compare with the true\n"
            "classes in the target column (default: the column the model was trained on).\n"
            "Prints accuracy, error, precision, recall, F1 (per class and macro), the confusion\n"
            "matrix and, for two classes, ROC AUC and the cumulative gains table.\n\n"
            "  --target COLUMN   column holding the true class\n"
            "  --json            one JSON object on stdout\n\n"
            "exit status: 0 ok, 64 usage, 65 bad data (a class the model does not know, wrong\n"
            "model kind), 66 missing input or column.\n");
}

int cmd_evaluate(int argc, char **argv)
{
    const char *model_path = NULL;
    const char *data_path = NULL;
    const char *target = NULL;
    bool json = false;
    crm_classifier *c = NULL;
    crm_table *t = NULL;
    crm_csv_options opt = crm_csv_options_default();
    crm_clf_eval e;
    crm_error err;
    crm_status st;
    clf_report_ctx ctx;
    int rc = 0;
    memset(&e, 0, sizeof e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return CLI_EX_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--target") == 0 && i + 1 < argc) {
            target = argv[++i];
        } else if (strcmp(a, "--target") == 0) {
            return cli_usage_error("evaluate", "option %s needs a value", a);
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("evaluate", "unknown option \"%s\"", a);
        } else if (model_path == NULL) {
            model_path = a;
        } else if (data_path == NULL) {
            data_path = a;
        } else {
            return cli_usage_error("evaluate", "too many arguments (\"%s\")", a);
        }
    }
    if (model_path == NULL || data_path == NULL) {
        return cli_usage_error("evaluate", "need MODEL.crmc and DATA.csv");
    }
    st = crm_classifier_load(model_path, &c, &err);
    if (st == CRM_OK) {
        st = crm_table_read_csv(data_path, &opt, NULL, &t, &err);
    }
    if (st == CRM_OK) {
        st = crm_classifier_evaluate(c, t, target, &e, &err);
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.model = c;
    ctx.kind = "evaluation";
    if (json) {
        clf_report_json(stdout, &ctx, &e);
    } else {
        clf_report_text(stdout, &ctx, &e);
    }
done:
    crm_clf_eval_fini(&e);
    crm_table_free(t);
    crm_classifier_free(c);
    return rc;
}
