/* sec_classify.c: the report's section for a classifier: what the model leans on (importances
 * or coefficients), and with labelled data the ROC curve, cumulative gains, lift and the
 * confusion matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/metrics.h>

#include "core/core_internal.h"
#include "report_internal.h"

typedef struct imp_item {
    double v;
    int32_t j;
} imp_item;

static int cmp_imp(const void *a, const void *b)
{
    const imp_item *x = a;
    const imp_item *y = b;
    if (fabs(x->v) != fabs(y->v)) {
        return fabs(x->v) > fabs(y->v) ? -1 : 1;
    }
    return (x->j > y->j) - (x->j < y->j);
}

static void summary(crm_report *r, const crm_classifier *c)
{
    rpt_buf *b = &r->body;
    char rows[32];
    char secs[32];
    crm__rpt_fmt_int(rows, sizeof rows, crm_classifier_n_train(c));
    crm__rpt_fmt_fixed(secs, sizeof secs, crm_classifier_fit_seconds(c), 2);
    crm__sbuf_printf(b, "<p>Algorithm %s predicting ", crm_clf_algo_name(crm_classifier_algo(c)));
    crm__rpt_esc(b, crm_classifier_target(c));
    crm__sbuf_printf(b, " (%d classes: ", (int)crm_classifier_n_classes(c));
    for (int32_t i = 0; i < crm_classifier_n_classes(c) && i < 12; i++) {
        crm__sbuf_puts(b, i ? ", " : "");
        crm__rpt_esc(b, crm_classifier_class_name(c, i));
    }
    crm__sbuf_printf(b, ") from %d features; trained on %s rows in %s s.</p>\n",
                     (int)crm_classifier_n_features(c), rows, secs);
}

static crm_status importance(crm_report *r, const crm_classifier *c, crm_error *err)
{
    int32_t n = 0;
    crm_clf_importance kind = crm_classifier_importance(c, NULL, &n);
    double *v;
    imp_item *it;
    const char **names;
    double *vals;
    int32_t m;
    const char *title;
    const char *xlabel;
    const char *caption;
    rpt_buf *b;
    crm_status rc = CRM_OK;
    if (kind == CRM_CLF_IMPORTANCE_NONE || n < 1) {
        crm__sbuf_printf(&r->body,
                         "<p>The %s algorithm has no per-feature importance to show.</p>\n",
                         crm_clf_algo_name(crm_classifier_algo(c)));
        return CRM_OK;
    }
    v = crm_mallocarray((size_t)n, sizeof *v);
    it = crm_mallocarray((size_t)n, sizeof *it);
    names = crm_mallocarray((size_t)n, sizeof *names);
    vals = crm_mallocarray((size_t)n, sizeof *vals);
    if (v == NULL || it == NULL || names == NULL || vals == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    (void)crm_classifier_importance(c, v, &n);
    for (int32_t j = 0; j < n; j++) {
        it[j].v = v[j];
        it[j].j = j;
    }
    qsort(it, (size_t)n, sizeof *it, cmp_imp);
    m = n < r->p.top_bars ? n : r->p.top_bars;
    for (int32_t i = 0; i < m; i++) {
        names[i] = crm_classifier_importance_name(c, it[i].j);
        vals[i] = it[i].v;
    }
    switch (kind) {
    case CRM_CLF_IMPORTANCE_COEF:
        title = "Coefficients (log-odds of the last class)";
        xlabel = "change in log-odds per standard deviation";
        caption = "Logistic regression coefficients on the scaled features, largest magnitude "
                  "first: positive values raise the probability of the last class.";
        break;
    case CRM_CLF_IMPORTANCE_GAIN:
        title = "Feature importance (gain)";
        xlabel = "training-loss reduction of the splits on the feature";
        caption = "For each feature, the total reduction of the training loss by the boosted "
                  "trees' splits on it.";
        break;
    case CRM_CLF_IMPORTANCE_SPLITS:
        title = "Feature importance (splits)";
        xlabel = "number of splits over all trees";
        caption = "How often the boosted trees split on each feature.";
        break;
    default:
        title = "Feature importance (errors removed)";
        xlabel = "training errors removed by the splits on the feature";
        caption = "For each feature, the training errors of the tree's nodes that split on it "
                  "minus those of their children: what the splits on it fixed.";
        break;
    }
    b = crm__rpt_chart_begin(r, "importance");
    if (b != NULL) {
        crm__sbuf_puts(&r->body, "<h3>What the model leans on</h3>\n");
        crm__rpt_svg_hbars(b, title, m, names, vals,
                           kind == CRM_CLF_IMPORTANCE_SPLITS ? RPT_INT : RPT_NUM,
                           kind == CRM_CLF_IMPORTANCE_COEF, 0, xlabel);
        crm__rpt_chart_place(r, caption);
    }
done:
    CRM__FREE(v, it, names, vals);
    return rc;
}

typedef struct scored {
    double s;
    int32_t y;
    int64_t row;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a;
    const scored *y = b;
    if (x->s != y->s) {
        return x->s > y->s ? -1 : 1;
    }
    return (x->row > y->row) - (x->row < y->row);
}

/* One xy chart of lines, placed with its caption. */
static void line_chart(crm_report *r, const char *stem, const rpt_xy *xy, const char *caption)
{
    rpt_buf *b = crm__rpt_chart_begin(r, stem);
    if (b != NULL) {
        crm__rpt_svg_lines(b, xy);
        crm__rpt_chart_place(r, caption);
    }
}

/* ROC, gains and lift of a binary model from rows sorted by score, highest first. */
static crm_status binary_charts(crm_report *r,
                                const scored *sc,
                                int64_t n,
                                const crm_clf_metrics *m,
                                const char *pos_name,
                                crm_error *err)
{
    int64_t n_pos = 0;
    int64_t n_neg;
    int64_t cap = 402;
    double *rx = crm_mallocarray((size_t)cap, sizeof *rx);
    double *ry = crm_mallocarray((size_t)cap, sizeof *ry);
    double *gx = crm_mallocarray(102, sizeof *gx);
    double *gy = crm_mallocarray(102, sizeof *gy);
    double diag[2] = { 0, 1 };
    int64_t n_roc = 0;
    /* what the three charts share: rates on both axes, the model's line and a reference */
    rpt_xy xy = { .xfmt = RPT_PCT, .yfmt = RPT_PCT, .n_lines = 2, .mark_x = NAN, .square = 1 };
    crm_status rc = CRM_OK;
    if (rx == NULL || ry == NULL || gx == NULL || gy == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        n_pos += sc[i].y == 1;
    }
    n_neg = n - n_pos;
    if (n_pos == 0 || n_neg == 0) {
        crm__sbuf_puts(&r->body, "<p>The data holds one class only: no ROC or gains chart.</p>\n");
        goto done;
    }
    {
        /* ROC: one point per distinct score (ties move together), thinned to at most 400. */
        int64_t tp = 0;
        int64_t fp = 0;
        int64_t every = n / 400 + 1;
        int64_t seen = 0;
        rx[n_roc] = 0;
        ry[n_roc++] = 0;
        for (int64_t i = 0; i < n; i++) {
            tp += sc[i].y == 1;
            fp += sc[i].y != 1;
            if ((i + 1 == n || sc[i + 1].s != sc[i].s) && (++seen % every == 0 || i + 1 == n) &&
                n_roc < cap) {
                rx[n_roc] = (double)fp / (double)n_neg;
                ry[n_roc++] = (double)tp / (double)n_pos;
            }
        }
    }
    {
        char auc[32];
        char name[64];
        rpt_line lines[2] = { { name, rx, ry, n_roc, 0, 0, 0 },
                              { "chance", diag, diag, 2, 0, 1, -1 } };
        xy.title = "ROC curve";
        xy.xlabel = "false positive rate";
        xy.ylabel = "true positive rate";
        xy.lines = lines;
        crm__rpt_fmt_fixed(auc, sizeof auc, m->auc, 3);
        snprintf(name, sizeof name, "model (AUC %s)", auc);
        line_chart(r, "roc", &xy,
                   "Share of the positives found against the share of the negatives wrongly "
                   "flagged, over every threshold.");
    }
    {
        /* Cumulative gains at every percent of the customers targeted. */
        int64_t tp = 0;
        int64_t i = 0;
        char cap_txt[320];
        char g10[32];
        char g30[32];
        rpt_line lines[2] = { { "model", gx, gy, 101, 0, 0, 0 },
                              { "random", diag, diag, 2, 0, 1, -1 } };
        xy.title = "Cumulative gains";
        xy.xlabel = "customers targeted (highest score first)";
        xy.ylabel = "positives reached";
        xy.lines = lines;
        gx[0] = gy[0] = 0;
        for (int p = 1; p <= 100; p++) {
            int64_t upto = (int64_t)ceil((double)p / 100.0 * (double)n);
            while (i < upto) {
                tp += sc[i++].y == 1;
            }
            gx[p] = (double)p / 100.0;
            gy[p] = (double)tp / (double)n_pos;
        }
        crm__rpt_fmt_pct(g10, sizeof g10, gy[10], 0);
        crm__rpt_fmt_pct(g30, sizeof g30, gy[30], 0);
        snprintf(cap_txt, sizeof cap_txt,
                 "Calling the 10%% of customers with the highest score reaches %s of the %s; "
                 "30%% reaches %s.",
                 g10, pos_name, g30);
        line_chart(r, "gains", &xy, cap_txt);
    }
    if (m->n_gains > 0) {
        double lx[32];
        double ly[32];
        double one_x[2] = { 0, 1 };
        double one_y[2] = { 1, 1 };
        int32_t k = m->n_gains < 32 ? m->n_gains : 32;
        rpt_line lines[2] = { { "model", lx, ly, k, 1, 0, 2 },
                              { "random", one_x, one_y, 2, 0, 1, -1 } };
        xy.title = "Lift by decile";
        xy.ylabel = "lift over random";
        xy.yfmt = RPT_NUM;
        xy.square = 0;
        xy.lines = lines;
        for (int32_t j = 0; j < k; j++) {
            lx[j] = m->gains[j].frac;
            ly[j] = m->gains[j].lift;
        }
        one_x[0] = lx[0];
        line_chart(r, "lift", &xy,
                   "How many times more positives the top customers hold than the same number "
                   "taken at random.");
    }
done:
    CRM__FREE(rx, ry, gx, gy);
    return rc;
}

static void metrics_table(crm_report *r, const crm_classifier *c, const crm_clf_metrics *m)
{
    rpt_buf *b = &r->body;
    char acc[32];
    crm__rpt_fmt_pct(acc, sizeof acc, m->accuracy, 1);
    crm__sbuf_printf(b, "<table><tr><th>class</th><th>rows</th><th>precision</th><th>recall</th>"
                        "<th>F1</th></tr>\n");
    for (int32_t i = 0; i < m->n_classes; i++) {
        char sup[32];
        char p[32];
        char rc[32];
        char f1[32];
        crm__rpt_fmt_int(sup, sizeof sup, m->support[i]);
        crm__rpt_fmt_pct(p, sizeof p, m->precision[i], 1);
        crm__rpt_fmt_pct(rc, sizeof rc, m->recall[i], 1);
        crm__rpt_fmt_fixed(f1, sizeof f1, m->f1[i], 3);
        crm__sbuf_puts(b, "<tr><td>");
        crm__rpt_esc(b, crm_classifier_class_name(c, i));
        crm__sbuf_printf(
            b,
            "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td class=\"n\">%s</td></tr>\n",
            sup, p, rc, f1);
    }
    crm__sbuf_printf(b, "<tr><th>all</th><td colspan=\"4\">accuracy %s", acc);
    if (isfinite(m->auc)) {
        char auc[32];
        crm__rpt_fmt_fixed(auc, sizeof auc, m->auc, 3);
        crm__sbuf_printf(b, ", ROC AUC %s", auc);
    }
    crm__sbuf_puts(b, "</td></tr></table>\n");
}

static crm_status
with_data(crm_report *r, const crm_classifier *c, const crm_table *data, crm_error *err)
{
    int64_t n = crm_table_n_rows(data);
    int32_t k = crm_classifier_n_classes(c);
    double *proba = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)k, sizeof *proba);
    int32_t *y = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *y);
    int32_t *pred = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *pred);
    double *pk = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)k, sizeof *pk);
    scored *sc = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *sc);
    crm_clf_metrics m;
    int64_t n_unknown = 0;
    int64_t n_ok = 0;
    crm_status rc;
    memset(&m, 0, sizeof m);
    if (proba == NULL || y == NULL || pred == NULL || pk == NULL || sc == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    rc = crm_classifier_true_labels(c, data, y, &n_unknown, err);
    if (rc == CRM_OK) {
        rc = crm_classifier_predict_proba(c, data, proba, NULL, err);
    }
    if (rc != CRM_OK) {
        goto done;
    }
    /* Rows whose true class the model knows; the best class of each (ties to the lowest). */
    for (int64_t i = 0; i < n; i++) {
        int32_t best = 0;
        if (y[i] < 0) {
            continue;
        }
        for (int32_t j = 1; j < k; j++) {
            best = proba[i * k + j] > proba[i * k + best] ? j : best;
        }
        memcpy(pk + n_ok * k, proba + i * k, (size_t)k * sizeof *pk);
        y[n_ok] = y[i];
        pred[n_ok] = best;
        sc[n_ok].s = k == 2 ? proba[i * 2 + 1] : 0;
        sc[n_ok].y = y[i];
        sc[n_ok].row = i;
        n_ok++;
    }
    if (n_ok == 0) {
        crm__sbuf_puts(&r->body, "<p>No row of the data has a class the model knows.</p>\n");
        goto done;
    }
    rc = crm_clf_metrics_compute(y, pred, pk, n_ok, k, &m, err);
    if (rc != CRM_OK) {
        goto done;
    }
    {
        char rows[32];
        crm__rpt_fmt_int(rows, sizeof rows, n_ok);
        crm__sbuf_printf(&r->body, "<h3>How well it predicts</h3>\n<p>Measured on %s rows (", rows);
        crm__rpt_esc(&r->body, crm_table_source(data));
        crm__sbuf_puts(&r->body, "; figures on the training data itself are optimistic)");
        if (n_unknown > 0) {
            char unk[32];
            crm__rpt_fmt_int(unk, sizeof unk, n_unknown);
            crm__sbuf_printf(&r->body,
                             "; %s rows with a class the model does not know were left "
                             "out",
                             unk);
        }
        crm__sbuf_puts(&r->body, ".</p>\n");
    }
    metrics_table(r, c, &m);
    if (k == 2) {
        qsort(sc, (size_t)n_ok, sizeof *sc, cmp_scored);
        rc = binary_charts(r, sc, n_ok, &m, crm_classifier_class_name(c, 1), err);
    }
    if (rc == CRM_OK) {
        const char **names = crm_mallocarray((size_t)k, sizeof *names);
        rpt_buf *b;
        if (names == NULL) {
            rc = crm__error_nomem(err);
            goto done;
        }
        for (int32_t j = 0; j < k; j++) {
            names[j] = crm_classifier_class_name(c, j);
        }
        b = crm__rpt_chart_begin(r, "confusion");
        if (b != NULL) {
            crm__rpt_svg_heat(b, "Confusion matrix", k, names, m.confusion, "true class",
                              "predicted class");
            crm__rpt_chart_place(r, "Rows are the true classes, columns the predicted ones; each "
                                    "cell shows its count and its share of the row.");
        }
        crm_free(names);
    }
done:
    crm_clf_metrics_fini(&m);
    CRM__FREE(proba, y, pred, pk, sc);
    return rc;
}

crm_status crm__rpt_section_classifier(crm_report *r,
                                       const crm_classifier *c,
                                       const crm_table *data,
                                       const char *name,
                                       crm_error *err)
{
    crm_status rc;
    crm__rpt_section_begin(r, "Classifier", name);
    summary(r, c);
    rc = importance(r, c, err);
    if (rc == CRM_OK && data != NULL) {
        if (crm_table_find_col(data, crm_classifier_target(c)) >= 0) {
            rc = with_data(r, c, data, err);
        } else {
            crm__sbuf_puts(&r->body, "<p>The data has no column ");
            crm__rpt_esc(&r->body, crm_classifier_target(c));
            crm__sbuf_puts(&r->body, ": no ROC, gains or confusion chart.</p>\n");
        }
    }
    crm__rpt_section_end(r);
    return rc;
}
