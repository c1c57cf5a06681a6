/* metrics.c: classification metrics as scikit-learn 1.2 defines them (accuracy_score,
 * precision_recall_fscore_support with zero_division=0, confusion_matrix, roc_auc_score),
 * plus a cumulative gains / lift table for binary targets.
 *
 * Counts are exact integers; ratios are formed once from them, so results do not depend on
 * row order. ROC AUC is computed from integer true/false positive counts at each distinct
 * score: twice the trapezoidal area is an exact integer sum, divided once by 2 * P * N. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/metrics.h>

#include "core/core_internal.h"

typedef struct scored {
    double score;
    int64_t row;
} scored;

static int cmp_desc(const void *a, const void *b)
{
    const scored *x = a;
    const scored *y = b;
    if (x->score > y->score) {
        return -1;
    }
    if (x->score < y->score) {
        return 1;
    }
    return (x->row > y->row) - (x->row < y->row);
}

static crm_status sort_desc(const double *score, int64_t n, scored **out, crm_error *err)
{
    scored *s = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *s);
    if (s == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        s[i].score = score[i];
        s[i].row = i;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_desc);
    *out = s;
    return CRM_OK;
}

crm_status
crm_roc_auc(const int32_t *y01, const double *score, int64_t n, double *auc, crm_error *err)
{
    scored *s = NULL;
    int64_t pos = 0;
    int64_t tp = 0;
    int64_t fp = 0;
    int64_t tp_prev = 0;
    int64_t fp_prev = 0;
    double area2 = 0.0; /* exact while below 2^53: counts are at most n^2 */
    crm_status rc;
    for (int64_t i = 0; i < n; i++) {
        pos += y01[i] != 0;
    }
    if (pos == 0 || pos == n) {
        return crm__error_set(err, CRM_EDATA, "ROC AUC needs both classes among the true labels");
    }
    rc = sort_desc(score, n, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; i < n; i++) {
        if (y01[s[i].row] != 0) {
            tp++;
        } else {
            fp++;
        }
        /* A threshold ends after the last row of a run of equal scores: tied rows move the
         * curve diagonally, which is what gives a tie one half. */
        if (i + 1 == n || s[i + 1].score != s[i].score) {
            area2 += (double)(fp - fp_prev) * (double)(tp + tp_prev);
            tp_prev = tp;
            fp_prev = fp;
        }
    }
    crm_free(s);
    *auc = area2 / (2.0 * (double)pos * (double)(n - pos));
    return CRM_OK;
}

crm_status crm_gains_table(const int32_t *y01,
                           const double *score,
                           int64_t n,
                           int32_t n_bins,
                           crm_gains_row *rows,
                           crm_error *err)
{
    scored *s = NULL;
    int64_t pos = 0;
    int64_t hit = 0;
    int64_t at = 0;
    crm_status rc;
    if (n_bins < 1) {
        return crm__error_set(err, CRM_EINVAL, "gains table needs at least one bin");
    }
    for (int64_t i = 0; i < n; i++) {
        pos += y01[i] != 0;
    }
    if (pos == 0) {
        return crm__error_set(err, CRM_EDATA, "gains table needs at least one positive row");
    }
    rc = sort_desc(score, n, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int32_t b = 0; b < n_bins; b++) {
        int64_t upto = ((int64_t)(b + 1) * n + n_bins - 1) / n_bins; /* ceil */
        for (; at < upto; at++) {
            hit += y01[s[at].row] != 0;
        }
        rows[b].frac = (double)(b + 1) / (double)n_bins;
        rows[b].n_rows = upto;
        rows[b].n_positive = hit;
        rows[b].gain = (double)hit / (double)pos;
        rows[b].lift = rows[b].gain / rows[b].frac;
        rows[b].precision = upto > 0 ? (double)hit / (double)upto : 0.0;
    }
    crm_free(s);
    return CRM_OK;
}

void crm_clf_metrics_fini(crm_clf_metrics *m)
{
    if (m == NULL) {
        return;
    }
    crm_free(m->precision); /* the block of crm_clf_metrics_compute */
    crm_free(m->gains);
    memset(m, 0, sizeof *m);
    m->auc = NAN;
}

static void per_class(crm_clf_metrics *m)
{
    int32_t k = m->n_classes;
    double sum_p = 0.0;
    double sum_r = 0.0;
    double sum_f = 0.0;
    double sum_wf = 0.0;
    int64_t total = 0;
    int64_t correct = 0;
    for (int32_t c = 0; c < k; c++) {
        int64_t tp = m->confusion[(int64_t)c * k + c];
        int64_t pred = 0;
        int64_t truth = 0;
        for (int32_t o = 0; o < k; o++) {
            pred += m->confusion[(int64_t)o * k + c];
            truth += m->confusion[(int64_t)c * k + o];
        }
        m->support[c] = truth;
        m->precision[c] = pred > 0 ? (double)tp / (double)pred : 0.0;
        m->recall[c] = truth > 0 ? (double)tp / (double)truth : 0.0;
        if (m->precision[c] + m->recall[c] > 0.0) {
            m->f1[c] = 2.0 * m->precision[c] * m->recall[c] / (m->precision[c] + m->recall[c]);
        } else {
            m->f1[c] = 0.0;
        }
        sum_p += m->precision[c];
        sum_r += m->recall[c];
        sum_f += m->f1[c];
        sum_wf += m->f1[c] * (double)truth;
        total += truth;
        correct += tp;
    }
    m->macro_precision = sum_p / k;
    m->macro_recall = sum_r / k;
    m->macro_f1 = sum_f / k;
    m->weighted_f1 = total > 0 ? sum_wf / (double)total : 0.0;
    m->accuracy = total > 0 ? (double)correct / (double)total : 0.0;
    m->error = total > 0 ? (double)(total - correct) / (double)total : 0.0;
}

static crm_status
binary_scores(const int32_t *y, const double *proba, int64_t n, crm_clf_metrics *m, crm_error *err)
{
    double *score = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *score);
    crm_status rc = CRM_OK;
    if (score == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        score[i] = proba[i * 2 + 1];
    }
    if (m->support[0] > 0 && m->support[1] > 0) {
        rc = crm_roc_auc(y, score, n, &m->auc, err);
        if (rc != CRM_OK) {
            goto done;
        }
        m->gains = crm_calloc(10, sizeof *m->gains);
        if (m->gains == NULL) {
            rc = crm__error_nomem(err);
            goto done;
        }
        rc = crm_gains_table(y, score, n, 10, m->gains, err);
        if (rc != CRM_OK) {
            goto done;
        }
        m->n_gains = 10;
    }
done:
    crm_free(score);
    return rc;
}

crm_status crm_clf_metrics_compute(const int32_t *y,
                                   const int32_t *pred,
                                   const double *proba,
                                   int64_t n,
                                   int32_t n_classes,
                                   crm_clf_metrics *m,
                                   crm_error *err)
{
    crm_status rc = CRM_OK;
    int32_t k = n_classes;
    memset(m, 0, sizeof *m);
    m->auc = NAN;
    if (k < 1) {
        return crm__error_set(err, CRM_EINVAL, "need at least one class, got %d", k);
    }
    m->n_classes = k;
    m->n = n;
    /* one zeroed block that precision heads: precision, recall, f1, then support, confusion */
    m->precision = crm_calloc((size_t)k * (4 + (size_t)k), sizeof(double));
    if (m->precision == NULL) {
        return crm__error_nomem(err);
    }
    m->recall = m->precision + k;
    m->f1 = m->recall + k;
    m->support = (int64_t *)(void *)(m->f1 + k);
    m->confusion = m->support + k;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= k || pred[i] < 0 || pred[i] >= k) {
            rc = crm__error_set(err, CRM_EINVAL, "label of row %lld is outside [0, %d)",
                                (long long)i, k);
            goto fail;
        }
        m->confusion[(int64_t)y[i] * k + pred[i]]++;
    }
    per_class(m);
    if (proba != NULL && k == 2) {
        rc = binary_scores(y, proba, n, m, err);
        if (rc != CRM_OK) {
            goto fail;
        }
    }
    return CRM_OK;
fail:
    crm_clf_metrics_fini(m);
    return rc;
}
