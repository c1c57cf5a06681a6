/* clf_report.c: metrics of a classifier as text or JSON. For a binary target the headline
 * precision, recall and F1 are those of the positive class (class 1, as scikit-learn's
 * average="binary"); otherwise they are macro averages. Per-class values are always there. */
#include "clf_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static double headline(const crm_clf_metrics *m, const double *per_class, double macro)
{
    return m->n_classes == 2 ? per_class[1] : macro;
}

static void json_gains(cli_json *j, const crm_clf_metrics *m)
{
    cli_json_key(j, "gains");
    cli_json_open_arr(j);
    for (int32_t g = 0; g < m->n_gains; g++) {
        const crm_gains_row *r = &m->gains[g];
        cli_json_open_obj(j);
        cli_json_key(j, "fraction");
        cli_json_num(j, r->frac);
        cli_json_key(j, "rows");
        cli_json_int(j, r->n_rows);
        cli_json_key(j, "positives");
        cli_json_int(j, r->n_positive);
        cli_json_key(j, "gain");
        cli_json_num(j, r->gain);
        cli_json_key(j, "lift");
        cli_json_num(j, r->lift);
        cli_json_key(j, "precision");
        cli_json_num(j, r->precision);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
}

static void json_per_class(cli_json *j, const crm_classifier *c, const crm_clf_metrics *m)
{
    cli_json_key(j, "per_class");
    cli_json_open_arr(j);
    for (int32_t k = 0; k < m->n_classes; k++) {
        cli_json_open_obj(j);
        cli_json_key(j, "class");
        cli_json_str(j, crm_classifier_class_name(c, k));
        cli_json_key(j, "precision");
        cli_json_num(j, m->precision[k]);
        cli_json_key(j, "recall");
        cli_json_num(j, m->recall[k]);
        cli_json_key(j, "f1");
        cli_json_num(j, m->f1[k]);
        cli_json_key(j, "support");
        cli_json_int(j, m->support[k]);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
}

/* "importance": {"kind": "gain", "features": [{"name", "value", "share"}, ...]} in the
 * model's input order, for the algorithms that have one. */
static void json_importance(cli_json *j, const crm_classifier *c)
{
    static const char *const kinds[] = { "none", "errors", "splits", "coefficient", "gain" };
    int32_t n = 0;
    crm_clf_importance kind = crm_classifier_importance(c, NULL, &n);
    double *v = n > 0 ? calloc((size_t)n, sizeof *v) : NULL;
    double total = 0.0;
    if (kind == CRM_CLF_IMPORTANCE_NONE || v == NULL || (int)kind < 0 || (int)kind > 4) {
        free(v);
        return;
    }
    (void)crm_classifier_importance(c, v, &n);
    for (int32_t i = 0; i < n; i++) {
        total += fabs(v[i]);
    }
    cli_json_key(j, "importance");
    cli_json_open_obj(j);
    cli_json_key(j, "kind");
    cli_json_str(j, kinds[kind]);
    cli_json_key(j, "features");
    cli_json_open_arr(j);
    for (int32_t i = 0; i < n; i++) {
        cli_json_open_obj(j);
        cli_json_key(j, "name");
        cli_json_str(j, crm_classifier_importance_name(c, i));
        cli_json_key(j, "value");
        cli_json_num(j, v[i]);
        cli_json_key(j, "share");
        cli_json_num(j, total > 0 ? fabs(v[i]) / total : 0.0);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
    cli_json_close_obj(j);
    free(v);
}

void clf_report_json(FILE *fp, const clf_report_ctx *ctx, const crm_clf_eval *e)
{
    const crm_clf_metrics *m = &e->metrics;
    const crm_classifier *c = ctx->model;
    cli_json j;
    cli_json_begin(&j, fp);
    cli_json_key(&j, "algo");
    cli_json_str(&j, crm_clf_algo_name(crm_classifier_algo(c)));
    cli_json_key(&j, "target");
    cli_json_str(&j, crm_classifier_target(c));
    cli_json_key(&j, "evaluation");
    cli_json_str(&j, ctx->kind);
    if (e->n_folds > 0) {
        cli_json_key(&j, "folds");
        cli_json_int(&j, e->n_folds);
    }
    cli_json_key(&j, "classes");
    cli_json_open_arr(&j);
    for (int32_t k = 0; k < crm_classifier_n_classes(c); k++) {
        cli_json_str(&j, crm_classifier_class_name(c, k));
    }
    cli_json_close_arr(&j);
    if (m->n_classes == 2) {
        cli_json_key(&j, "positive_class");
        cli_json_str(&j, crm_classifier_class_name(c, 1));
    }
    cli_json_key(&j, "n_train");
    cli_json_int(&j, e->n_train);
    /* The rows of the model returned (and saved): all rows after --cv or --refit, where
     * n_train is one fold's training part. */
    cli_json_key(&j, "trained_rows");
    cli_json_int(&j, crm_classifier_n_train(c));
    cli_json_key(&j, "n_test");
    cli_json_int(&j, e->n_test);
    cli_json_key(&j, "accuracy");
    cli_json_num(&j, m->accuracy);
    cli_json_key(&j, "error");
    cli_json_num(&j, m->error);
    cli_json_key(&j, "precision");
    cli_json_num(&j, headline(m, m->precision, m->macro_precision));
    cli_json_key(&j, "recall");
    cli_json_num(&j, headline(m, m->recall, m->macro_recall));
    cli_json_key(&j, "f1");
    cli_json_num(&j, headline(m, m->f1, m->macro_f1));
    cli_json_key(&j, "macro_precision");
    cli_json_num(&j, m->macro_precision);
    cli_json_key(&j, "macro_recall");
    cli_json_num(&j, m->macro_recall);
    cli_json_key(&j, "macro_f1");
    cli_json_num(&j, m->macro_f1);
    cli_json_key(&j, "weighted_f1");
    cli_json_num(&j, m->weighted_f1);
    cli_json_key(&j, "auc");
    if (isnan(m->auc)) {
        cli_json_null(&j);
    } else {
        cli_json_num(&j, m->auc);
    }
    cli_json_key(&j, "confusion");
    cli_json_open_arr(&j);
    for (int32_t r = 0; r < m->n_classes; r++) {
        cli_json_open_arr(&j);
        for (int32_t k = 0; k < m->n_classes; k++) {
            cli_json_int(&j, m->confusion[(int64_t)r * m->n_classes + k]);
        }
        cli_json_close_arr(&j);
    }
    cli_json_close_arr(&j);
    json_per_class(&j, c, m);
    if (m->n_gains > 0) {
        json_gains(&j, m);
    }
    json_importance(&j, c);
    cli_json_key(&j, "fit_seconds");
    cli_json_num(&j, e->fit_seconds);
    cli_json_key(&j, "predict_seconds");
    cli_json_num(&j, e->predict_seconds);
    cli_json_key(&j, "unseen_categories");
    cli_json_int(&j, e->info.n_unseen);
    cli_json_key(&j, "missing_values");
    cli_json_int(&j, e->info.n_missing);
    if (ctx->model_path != NULL) {
        cli_json_key(&j, "model");
        cli_json_str(&j, ctx->model_path);
    }
    cli_json_end(&j);
}

void clf_report_text(FILE *fp, const clf_report_ctx *ctx, const crm_clf_eval *e)
{
    const crm_clf_metrics *m = &e->metrics;
    const crm_classifier *c = ctx->model;
    fprintf(fp, "%s, target \"%s\": %s on %lld rows", crm_clf_algo_name(crm_classifier_algo(c)),
            crm_classifier_target(c), ctx->kind, (long long)e->n_test);
    if (e->n_folds > 0) {
        fprintf(fp, " (%d folds)", e->n_folds);
    }
    fprintf(fp, ", trained on %lld rows in %.3f s", (long long)e->n_train, e->fit_seconds);
    if (crm_classifier_n_train(c) != e->n_train) {
        fprintf(fp, "; the model kept is fitted on %lld rows",
                (long long)crm_classifier_n_train(c));
    }
    fputc('\n', fp);
    fprintf(fp, "  accuracy %.4f  error %.4f  precision %.4f  recall %.4f  f1 %.4f", m->accuracy,
            m->error, headline(m, m->precision, m->macro_precision),
            headline(m, m->recall, m->macro_recall), headline(m, m->f1, m->macro_f1));
    if (!isnan(m->auc)) {
        fprintf(fp, "  auc %.4f", m->auc);
    }
    fprintf(fp, "\n  %-16s %9s %9s %9s %9s\n", "class", "precision", "recall", "f1", "support");
    for (int32_t k = 0; k < m->n_classes; k++) {
        fprintf(fp, "  %-16.16s %9.4f %9.4f %9.4f %9lld\n", crm_classifier_class_name(c, k),
                m->precision[k], m->recall[k], m->f1[k], (long long)m->support[k]);
    }
    fprintf(fp, "  confusion (rows: true class, columns: predicted)\n");
    for (int32_t r = 0; r < m->n_classes; r++) {
        fprintf(fp, "  %-16.16s", crm_classifier_class_name(c, r));
        for (int32_t k = 0; k < m->n_classes; k++) {
            fprintf(fp, " %9lld", (long long)m->confusion[(int64_t)r * m->n_classes + k]);
        }
        fputc('\n', fp);
    }
    if (m->n_gains > 0) {
        fprintf(fp, "  cumulative gains for \"%s\" (top share of rows by risk)\n",
                crm_classifier_class_name(c, 1));
        fprintf(fp, "  %8s %9s %9s %8s %6s\n", "top", "rows", "positive", "gain", "lift");
        for (int32_t g = 0; g < m->n_gains; g++) {
            const crm_gains_row *r = &m->gains[g];
            fprintf(fp, "  %7.0f%% %9lld %9lld %7.1f%% %6.2f\n", r->frac * 100.0,
                    (long long)r->n_rows, (long long)r->n_positive, r->gain * 100.0, r->lift);
        }
    }
    if (e->info.n_unseen > 0 || e->info.n_missing > 0) {
        fprintf(fp, "  %lld categorical values unseen in training, %lld missing values\n",
                (long long)e->info.n_unseen, (long long)e->info.n_missing);
    }
    if (ctx->model_path != NULL) {
        fprintf(fp, "  model saved to %s\n", ctx->model_path);
    }
}
