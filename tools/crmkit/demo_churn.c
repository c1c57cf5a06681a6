/* demo_churn.c: the churn step of `crmkit demo`: C4.5, boosted trees and logistic regression
 * on the same held-out split of the demo's generated customers; the one with the best held-out
 * ROC AUC is kept, with its gains table (what a retention team calls, decile by decile) and
 * the customers most at risk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/io.h>

#include "cli.h"

typedef struct risk_row {
    double risk;
    int64_t row;
} risk_row;

static int cmp_risk(const void *a, const void *b)
{
    const risk_row *x = a;
    const risk_row *y = b;
    if (x->risk != y->risk) {
        return x->risk > y->risk ? -1 : 1;
    }
    return (x->row > y->row) - (x->row < y->row);
}

static const char *model_name(crm_clf_algo a)
{
    return a == CRM_CLF_C45 ? "C4.5" : (a == CRM_CLF_GBT ? "boosted trees" : "logistic regression");
}

static void print_metrics(const crm_clf_eval *e, crm_clf_algo a)
{
    const crm_clf_metrics *m = &e->metrics;
    printf("kept %s (best held-out ROC AUC): trained on %lld customers, tested on %lld\n",
           model_name(a), (long long)e->n_train, (long long)e->n_test);
    printf("  accuracy %.3f  precision %.3f  recall %.3f  f1 %.3f  ROC AUC %.3f\n", m->accuracy,
           m->precision[1], m->recall[1], m->f1[1], m->auc);
    printf("  gains on the held-out customers, riskiest first:\n");
    printf("  %8s %10s %9s %14s %6s\n", "called", "customers", "churners", "of all churners",
           "lift");
    for (int32_t g = 0; g < m->n_gains; g++) {
        const crm_gains_row *r = &m->gains[g];
        printf("  %7.0f%% %10lld %9lld %13.0f%% %6.2f\n", r->frac * 100.0, (long long)r->n_rows,
               (long long)r->n_positive, r->gain * 100.0, r->lift);
    }
}

static void print_top(const crm_table *t, const double *proba, int32_t n_top)
{
    int64_t n = crm_table_n_rows(t);
    risk_row *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
    const char *cols[] = { "subscriber_id", "plan_type", "tenure_days", "monthly_bill",
                           "complaints" };
    int32_t idx[5];
    char buf[128];
    if (r == NULL) {
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        r[i].risk = proba[i * 2 + 1];
        r[i].row = i;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_risk);
    printf("  customers most at risk:\n  %8s", "risk");
    for (int c = 0; c < 5; c++) {
        idx[c] = crm_table_find_col(t, cols[c]);
        if (idx[c] >= 0) {
            printf(" %14s", cols[c]);
        }
    }
    printf("\n");
    for (int32_t k = 0; k < n_top && k < n; k++) {
        printf("  %8.6f", r[k].risk);
        for (int c = 0; c < 5; c++) {
            if (idx[c] >= 0) {
                printf(" %14s", crm_table_cell_text(t, r[k].row, idx[c], buf, (int32_t)sizeof buf));
            }
        }
        printf("\n");
    }
    free(r);
}

/* DIR/risk.csv: subscriber_id, risk (probability of churn) of every customer, as
 * `crmkit predict --proba` names it, for the customer store. */
static crm_status
write_risk(const char *path, const crm_table *t, const double *proba, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t idc = crm_table_find_col(t, "subscriber_id");
    crm_table *out = NULL;
    const char **ids = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *ids);
    double *risk = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *risk);
    crm_status st = ids && risk && idc >= 0 && crm_table_codes(t, idc) != NULL
                        ? crm_table_new(n, path, &out, err)
                        : CRM_ENOMEM;
    if (st == CRM_ENOMEM) {
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory or no subscriber_id column");
    }
    for (int64_t i = 0; st == CRM_OK && i < n; i++) {
        int32_t code = crm_table_codes(t, idc)[i];
        ids[i] = code >= 0 ? crm_table_level(t, idc, code) : NULL;
        risk[i] = proba[i * 2 + 1];
    }
    if (st == CRM_OK) {
        st = crm_table_add_text(out, "subscriber_id", CRM_COL_ID, ids, err);
    }
    if (st == CRM_OK) {
        st = crm_table_add_numeric(out, "risk", risk, err);
    }
    if (st == CRM_OK) {
        st = crm_table_write_csv(out, path, err);
    }
    crm_table_free(out);
    crm_free(ids);
    crm_free(risk);
    return st;
}

int demo_churn(const char *workdir, const char *customers_csv, const char *labels_csv)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_classifier_params p = crm_classifier_params_default();
    crm_table *t = NULL;
    crm_classifier *c = NULL;
    crm_clf_eval e;
    crm_error err;
    double *proba = NULL;
    char path[4096];
    crm_status st;
    crm_clf_algo best = CRM_CLF_C45;
    int rc = CLI_EX_OK;
    (void)labels_csv;
    memset(&e, 0, sizeof e);
    printf("\n== churn prediction\n");
    st = crm_table_read_csv(customers_csv, &opt, NULL, &t, &err);
    if (st == CRM_OK && crm_table_find_col(t, "churn") < 0) {
        printf("  (the customer table has no churn column: step skipped)\n");
        crm_table_free(t);
        return CLI_EX_OK;
    }
    p.target = "churn";
    p.seed = 7;
    if (st == CRM_OK) {
        printf("held-out ROC AUC (30%% of customers, the same split for each):");
    }
    for (int a = 0; a < 3 && st == CRM_OK; a++) {
        static const crm_clf_algo algos[3] = { CRM_CLF_C45, CRM_CLF_GBT, CRM_CLF_LOGREG };
        crm_classifier *ci = NULL;
        crm_clf_eval ei;
        memset(&ei, 0, sizeof ei);
        p.algo = algos[a];
        st = crm_classifier_holdout(t, &p, 0.3, NULL, &ci, &ei, &err);
        if (st != CRM_OK) {
            crm_clf_eval_fini(&ei);
            break;
        }
        printf("%s %s %.3f", a ? "," : "", model_name(algos[a]), ei.metrics.auc);
        if (c == NULL || ei.metrics.auc > e.metrics.auc) {
            crm_classifier_free(c);
            crm_clf_eval_fini(&e);
            c = ci;
            e = ei;
            best = algos[a];
        } else {
            crm_classifier_free(ci);
            crm_clf_eval_fini(&ei);
        }
    }
    if (st == CRM_OK) {
        printf("\n");
    }
    if (st == CRM_OK) {
        snprintf(path, sizeof path, "%s/churn.crmc", workdir);
        st = crm_classifier_save(c, path, &err);
    }
    if (st == CRM_OK) {
        proba = crm_mallocarray((size_t)crm_table_n_rows(t) * 2, sizeof *proba);
        st = proba == NULL ? CRM_ENOMEM : crm_classifier_predict_proba(c, t, proba, NULL, &err);
        if (proba == NULL) {
            err.code = CRM_ENOMEM;
            snprintf(err.msg, sizeof err.msg, "out of memory");
        }
    }
    if (st == CRM_OK) {
        char rpath[4096];
        snprintf(rpath, sizeof rpath, "%s/risk.csv", workdir);
        st = write_risk(rpath, t, proba, &err);
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    print_metrics(&e, best);
    print_top(t, proba, 10);
    printf("  model saved to %s (crmkit show / predict / evaluate); every customer's risk in "
           "%s/risk.csv\n",
           path, workdir);
done:
    crm_free(proba);
    crm_clf_eval_fini(&e);
    crm_classifier_free(c);
    crm_table_free(t);
    return rc;
}
