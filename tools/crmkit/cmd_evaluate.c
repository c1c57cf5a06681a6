/* cmd_evaluate.c: `crmkit evaluate`: measure a saved classifier on labelled data. */
#include <string.h>

#include <crmkit/classify.h>
#include <crmkit/io.h>

#include "clf_report.h"
#include "cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit evaluate MODEL.crmc DATA.csv [--target COLUMN] [--sep S] [--na LIST]\n"
            "         [--types LIST] [--json]\n\n"
            "Score DATA.csv with a classifier saved by crmkit train and compare with the true\n"
            "classes in the target column (default: the column the model was trained on).\n"
            "Prints accuracy, error, precision, recall, F1 (per class and macro), the confusion\n"
            "matrix and, for two classes, ROC AUC and the cumulative gains table.\n\n"
            "  --target COLUMN   column holding the true class\n"
            "  --sep S           separator: , ; tab | or auto (from the header line)\n"
            "  --na LIST         extra missing-value markers, comma-separated\n"
            "  --types LIST      column types, e.g. plan:cat,msisdn:id,score:num\n"
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
    {
        const char *pos[2];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--target", .kind = CLI_OPT_STR, .dest = &target },
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            CLI_DIALECT_OPTS(cli_input),
            { 0 },
        };
        /* clang-format on */
        rc = cli_parse("evaluate", argc, argv, opts, pos, 2, &n_pos, usage);
        if (rc >= 0) {
            return rc;
        }
        rc = 0;
        model_path = n_pos > 0 ? pos[0] : NULL;
        data_path = n_pos > 1 ? pos[1] : NULL;
        cli_dialect_apply(&cli_input, &opt);
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
