/* clf_report.h: how `crmkit train` and `crmkit evaluate` print a classifier's metrics (text
 * on stdout, or one JSON object with --json). */
#ifndef CRM_CLF_REPORT_H
#define CRM_CLF_REPORT_H
#include <stdbool.h>
#include <stdio.h>

#include <crmkit/classify.h>

/* What was measured, for the header of the report. */
typedef struct clf_report_ctx {
    const crm_classifier *model; /* class names, algorithm, target */
    const char *kind;            /* "held-out", "cross-validation", "evaluation", "training" */
    double test_size;            /* held-out only */
    const char *model_path;      /* NULL if not saved */
} clf_report_ctx;

void clf_report_json(FILE *fp, const clf_report_ctx *ctx, const crm_clf_eval *e);
void clf_report_text(FILE *fp, const clf_report_ctx *ctx, const crm_clf_eval *e);

/* `crmkit assign` with a classifier (kind "classifier", e.g. trained with --target segment
 * --labels): true when path holds such a model; then assign_with_classifier writes the id
 * column and the predicted class under the model's target name. Returns an exit code. */
bool clf_is_classifier_file(const char *path);
int assign_with_classifier(const char *model,
                           const char *data,
                           const char *out,
                           bool json,
                           bool quiet);

#endif
