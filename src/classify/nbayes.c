/* nbayes.c: naive Bayes with Gaussian numeric and Laplace-smoothed categorical features.
 *
 * Fitting is one pass for the class counts and sums and one for the centred squares (two-pass
 * variance, as numpy computes it, so the result matches scikit-learn's GaussianNB to rounding).
 * Scoring precomputes -0.5 log(2 pi var) and log P(level | class), so a row costs d * C adds;
 * rows are independent and scored in parallel over fixed blocks.
 * Reference: scikit-learn GaussianNB / CategoricalNB; Manning, Raghavan and Schuetze,
 * Introduction to Information Retrieval, ch. 13. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/nbayes.h>

#include "core/core_internal.h"
#include "models_util.h"

#define NB_MAX_LEVELS  1000000
#define NB_MAX_CLASSES 100000
#define NB_TWO_PI      6.283185307179586

struct crm_nbayes {
    crm_nbayes_params params;
    int32_t n_classes; /* 0 until fitted */
    int64_t d;
    int32_t *n_levels; /* d */
    int64_t *cat_off;  /* d: offset of column j's table in cat_logp */
    double *log_prior; /* C */
    double *theta;     /* d * C, column-major by feature: theta[j * C + c] */
    double *var;       /* d * C */
    double *log_norm;  /* d * C: -0.5 log(2 pi var) */
    double *cat_logp;  /* sum_j n_levels[j] * C: cat_logp[off + code * C + c] */
    int64_t n_cat_cells;
};

crm_nbayes_params crm_nbayes_params_default(void)
{
    return (crm_nbayes_params){ .var_smoothing = 1e-9, .alpha = 1.0, .fit_prior = 1, .design = 0 };
}

crm_status crm_nbayes_params_check(const crm_nbayes_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "naive Bayes parameters are NULL");
    }
    if (!(p->var_smoothing >= 0) || !isfinite(p->var_smoothing)) {
        return crm__error_set(err, CRM_EINVAL, "var_smoothing must be a finite number >= 0, got %g",
                              p->var_smoothing);
    }
    if (!(p->alpha > 0) || !isfinite(p->alpha)) {
        return crm__error_set(err, CRM_EINVAL, "alpha must be a finite number > 0, got %g",
                              p->alpha);
    }
    if (p->fit_prior != 0 && p->fit_prior != 1) {
        return crm__error_set(err, CRM_EINVAL, "fit_prior must be 0 or 1, got %d", p->fit_prior);
    }
    if (p->design != 0 && p->design != 1) {
        return crm__error_set(err, CRM_EINVAL, "design must be 0 or 1, got %d", p->design);
    }
    return CRM_OK;
}

/* Back to the unfitted state: the block of fitted arrays freed, every field but params zero. */
static void clear_fit(crm_nbayes *nb)
{
    crm_nbayes_params p = nb->params;
    crm_free(nb->log_prior);
    memset(nb, 0, sizeof *nb);
    nb->params = p;
}

CRM__MDL_DEFINE_NEW_FREE(nbayes, (void), clear_fit)

/* Allocate the fitted arrays for C classes, d columns with the given levels, in one zeroed
 * block that log_prior heads: the doubles, then cat_off, then n_levels. */
static crm_status
alloc_fit(crm_nbayes *nb, int32_t n_classes, int64_t d, const int32_t *n_levels, crm_error *err)
{
    size_t dc = (size_t)d * (size_t)n_classes;
    int64_t cells = 0;
    for (int64_t j = 0; j < d; j++) {
        cells += (int64_t)(n_levels != NULL ? n_levels[j] : 0) * n_classes;
    }
    /* d int64 offsets and d int32 counts take d + ceil(d / 2) doubles' room */
    size_t n8 = (size_t)n_classes + 3 * dc + (size_t)cells + (size_t)d + ((size_t)d + 1) / 2;
    double *block = crm_calloc(n8, sizeof *block);
    if (block == NULL) {
        return crm__error_nomem(err);
    }
    nb->n_classes = n_classes;
    nb->d = d;
    nb->n_cat_cells = cells;
    nb->log_prior = block;
    nb->theta = block + n_classes;
    nb->var = nb->theta + dc;
    nb->log_norm = nb->var + dc;
    nb->cat_logp = nb->log_norm + dc;
    nb->cat_off = (int64_t *)(void *)(nb->cat_logp + cells);
    nb->n_levels = (int32_t *)(void *)(nb->cat_off + d);
    cells = 0;
    for (int64_t j = 0; j < d; j++) {
        nb->n_levels[j] = n_levels != NULL ? n_levels[j] : 0;
        nb->cat_off[j] = cells;
        cells += (int64_t)nb->n_levels[j] * n_classes;
    }
    return CRM_OK;
}

static crm_status check_levels(const crm_matrix *x, const int32_t *n_levels, crm_error *err)
{
    for (int64_t j = 0; j < x->n_cols; j++) {
        if (n_levels == NULL || n_levels[j] == 0) {
            continue;
        }
        if (n_levels[j] < 1 || n_levels[j] > NB_MAX_LEVELS) {
            return crm__error_set(err, CRM_EINVAL,
                                  "column %lld: n_levels must be in [0, %d], got %d",
                                  (long long)(j + 1), NB_MAX_LEVELS, n_levels[j]);
        }
        for (int64_t i = 0; i < x->n_rows; i++) {
            double v = CRM_ROW(x, i)[j];
            if (!isnan(v) && !(v >= 0 && v < n_levels[j] && v == floor(v))) {
                return crm__error_set(err, CRM_EINVAL,
                                      "row %lld, column %lld: %g is not a level code in [0, %d)",
                                      (long long)(i + 1), (long long)(j + 1), v, n_levels[j]);
            }
        }
    }
    return CRM_OK;
}

/* Per-class mean and population variance of numeric column j (missing cells skipped).
 * cnt[C], sum[C] are scratch. Returns the variance of the whole column in *col_var. */
static crm_status fit_gaussian(crm_nbayes *nb,
                               const crm_matrix *x,
                               const int32_t *y,
                               int64_t j,
                               double *cnt,
                               double *sum,
                               double *col_var,
                               crm_error *err)
{
    int32_t C = nb->n_classes;
    double all_n = 0;
    double all_sum = 0;
    double all_ss = 0;
    double all_mean;
    memset(cnt, 0, (size_t)C * sizeof *cnt);
    memset(sum, 0, (size_t)C * sizeof *sum);
    for (int64_t i = 0; i < x->n_rows; i++) {
        double v = CRM_ROW(x, i)[j];
        if (!isnan(v)) {
            cnt[y[i]] += 1;
            sum[y[i]] += v;
            all_n += 1;
            all_sum += v;
        }
    }
    for (int32_t c = 0; c < C; c++) {
        nb->theta[j * C + c] = cnt[c] > 0 ? sum[c] / cnt[c] : 0.0;
        nb->var[j * C + c] = 0.0;
    }
    all_mean = all_n > 0 ? all_sum / all_n : 0.0;
    for (int64_t i = 0; i < x->n_rows; i++) {
        double v = CRM_ROW(x, i)[j];
        if (!isnan(v)) {
            double dv = v - nb->theta[j * C + y[i]];
            double da = v - all_mean;
            nb->var[j * C + y[i]] += dv * dv;
            all_ss += da * da;
        }
    }
    for (int32_t c = 0; c < C; c++) {
        if (cnt[c] > 0) {
            nb->var[j * C + c] /= cnt[c];
        }
    }
    if (all_n == 0) {
        return crm__error_set(err, CRM_EDATA, "column %lld has no values", (long long)(j + 1));
    }
    *col_var = all_ss / all_n;
    return CRM_OK;
}

static void
fit_categorical(crm_nbayes *nb, const crm_matrix *x, const int32_t *y, int64_t j, double *cnt)
{
    int32_t C = nb->n_classes;
    int32_t L = nb->n_levels[j];
    double *t = nb->cat_logp + nb->cat_off[j];
    double alpha = nb->params.alpha;
    memset(t, 0, (size_t)L * (size_t)C * sizeof *t);
    memset(cnt, 0, (size_t)C * sizeof *cnt);
    for (int64_t i = 0; i < x->n_rows; i++) {
        double v = CRM_ROW(x, i)[j];
        if (!isnan(v)) {
            t[(int64_t)v * C + y[i]] += 1;
            cnt[y[i]] += 1;
        }
    }
    for (int32_t l = 0; l < L; l++) {
        for (int32_t c = 0; c < C; c++) {
            t[l * C + c] = log(t[l * C + c] + alpha) - log(cnt[c] + alpha * L);
        }
    }
}

/* Priors and the Gaussian constants once theta/var hold the raw per-class statistics. */
static crm_status
finish_gaussian(crm_nbayes *nb, const double *class_n, double max_var, crm_error *err)
{
    int32_t C = nb->n_classes;
    double eps = nb->params.var_smoothing * max_var;
    double total = 0;
    for (int32_t c = 0; c < C; c++) {
        total += class_n[c];
    }
    for (int32_t c = 0; c < C; c++) {
        nb->log_prior[c] = nb->params.fit_prior ? log(class_n[c] / total) : -log((double)C);
    }
    for (int64_t j = 0; j < nb->d; j++) {
        if (nb->n_levels[j] > 0) {
            continue;
        }
        for (int32_t c = 0; c < C; c++) {
            double v = nb->var[j * C + c] + eps;
            if (class_n[c] > 0 && !(v > 0)) {
                return crm__error_set(err, CRM_EDATA,
                                      "column %lld has zero variance in class %d; raise "
                                      "var_smoothing",
                                      (long long)(j + 1), c);
            }
            nb->var[j * C + c] = v;
            nb->log_norm[j * C + c] = v > 0 ? -0.5 * log(NB_TWO_PI * v) : 0.0;
        }
    }
    return CRM_OK;
}

crm_status crm_nbayes_fit(crm_nbayes *nb,
                          const crm_matrix *x,
                          const int32_t *y,
                          int32_t n_classes,
                          const int32_t *n_levels,
                          crm_error *err)
{
    double *cnt = NULL;
    double *sum = NULL;
    double *class_n = NULL;
    double max_var = 0;
    crm_status rc;
    if (nb == NULL) {
        return crm__error_set(err, CRM_EINVAL, "model is NULL");
    }
    clear_fit(nb);
    rc = crm__mdl_check_train(x, y, n_classes, 1, err);
    if (rc == CRM_OK && n_classes > NB_MAX_CLASSES) {
        rc = crm__error_set(err, CRM_ELIMIT, "at most %d classes", NB_MAX_CLASSES);
    }
    if (rc == CRM_OK) {
        rc = check_levels(x, n_levels, err);
    }
    if (rc == CRM_OK) {
        rc = alloc_fit(nb, n_classes, x->n_cols, n_levels, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    cnt = crm_calloc((size_t)n_classes, sizeof *cnt);
    sum = crm_calloc((size_t)n_classes, sizeof *sum);
    class_n = crm_calloc((size_t)n_classes, sizeof *class_n);
    if (cnt == NULL || sum == NULL || class_n == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        class_n[y[i]] += 1;
    }
    for (int64_t j = 0; j < x->n_cols && rc == CRM_OK; j++) {
        double col_var = 0;
        if (nb->n_levels[j] > 0) {
            fit_categorical(nb, x, y, j, cnt);
            continue;
        }
        rc = fit_gaussian(nb, x, y, j, cnt, sum, &col_var, err);
        max_var = col_var > max_var ? col_var : max_var;
    }
    if (rc == CRM_OK) {
        rc = finish_gaussian(nb, class_n, max_var, err);
    }
done:
    crm_free(cnt);
    crm_free(sum);
    crm_free(class_n);
    if (rc != CRM_OK) {
        clear_fit(nb);
    }
    return rc;
}

static void jll_row(const crm_nbayes *nb, const double *row, double *out)
{
    int32_t C = nb->n_classes;
    memcpy(out, nb->log_prior, (size_t)C * sizeof *out);
    for (int64_t j = 0; j < nb->d; j++) {
        double v = row[j];
        int32_t L = nb->n_levels[j];
        if (isnan(v)) {
            continue;
        }
        if (L == 0) {
            const double *th = nb->theta + j * C;
            const double *va = nb->var + j * C;
            const double *ln = nb->log_norm + j * C;
            for (int32_t c = 0; c < C; c++) {
                double dv = v - th[c];
                out[c] += ln[c] - 0.5 * (dv * dv / va[c]);
            }
        } else if (v >= 0 && v < L && v == floor(v)) {
            const double *t = nb->cat_logp + nb->cat_off[j] + (int64_t)v * C;
            for (int32_t c = 0; c < C; c++) {
                out[c] += t[c];
            }
        }
    }
}

/* mode 0: joint log-likelihood, 1: probabilities. */
static crm_status
score(const crm_nbayes *nb, const crm_matrix *x, double *out, int mode, crm_error *err)
{
    int64_t n_blocks;
    int32_t C;
    crm_status rc;
    if (nb == NULL || nb->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "naive Bayes model is not fitted");
    }
    rc = crm__mdl_check_predict(x, nb->d, out, err);
    if (rc != CRM_OK) {
        return rc;
    }
    C = nb->n_classes;
    n_blocks = crm__n_blocks(x->n_rows);
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t end = (b + 1) * CRM_BLOCK_ROWS < x->n_rows ? (b + 1) * CRM_BLOCK_ROWS : x->n_rows;
        for (int64_t i = b * CRM_BLOCK_ROWS; i < end; i++) {
            jll_row(nb, CRM_ROW(x, i), out + i * C);
            if (mode == 1) {
                crm__mdl_softmax(out + i * C, C, NULL);
            }
        }
    }
    return CRM_OK;
}

crm_status crm_nbayes_joint_log_likelihood(const crm_nbayes *nb,
                                           const crm_matrix *x,
                                           double *jll,
                                           crm_error *err)
{
    return score(nb, x, jll, 0, err);
}

crm_status
crm_nbayes_predict_proba(const crm_nbayes *nb, const crm_matrix *x, double *proba, crm_error *err)
{
    return score(nb, x, proba, 1, err);
}

static crm_status joint_ll(const void *nb, const crm_matrix *x, double *out, crm_error *err)
{
    return score(nb, x, out, 0, err);
}

crm_status
crm_nbayes_predict(const crm_nbayes *nb, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    if (nb == NULL || nb->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "naive Bayes model is not fitted");
    }
    crm_status rc = crm__mdl_check_predict(x, nb->d, labels, err);
    const crm__mdl_scorer s = { nb, nb->n_classes, joint_ll };
    return rc == CRM_OK ? crm__mdl_predict_labels(&s, x, labels, err) : rc;
}

int32_t crm_nbayes_n_classes(const crm_nbayes *nb)
{
    return nb != NULL ? nb->n_classes : 0;
}

int64_t crm_nbayes_n_features(const crm_nbayes *nb)
{
    return nb != NULL ? nb->d : 0;
}

int32_t crm_nbayes_uses_design(const crm_nbayes *nb)
{
    return nb != NULL ? nb->params.design : 0;
}

int32_t crm_nbayes_n_levels(const crm_nbayes *nb, int64_t j)
{
    if (nb == NULL || nb->n_classes == 0 || j < 0 || j >= nb->d) {
        return 0;
    }
    return nb->n_levels[j];
}

const double *crm_nbayes_theta(const crm_nbayes *nb, int64_t j)
{
    if (nb == NULL || nb->n_classes == 0 || j < 0 || j >= nb->d || nb->n_levels[j] > 0) {
        return NULL;
    }
    return nb->theta + j * nb->n_classes;
}

const double *crm_nbayes_var(const crm_nbayes *nb, int64_t j)
{
    if (nb == NULL || nb->n_classes == 0 || j < 0 || j >= nb->d || nb->n_levels[j] > 0) {
        return NULL;
    }
    return nb->var + j * nb->n_classes;
}

/* Section: i32 n_classes, i64 d, f64 var_smoothing, f64 alpha, i32 fit_prior, i32 design,
 * i32s n_levels[d], f64s log_prior[C], theta[d * C], var[d * C], cat_logp[n_cat_cells]. Save and
 * load share the lists below. */
#define NB_HEAD(C, d, p)                                                                           \
    CRM_FIELD(C), CRM_FIELD(d), CRM_FIELD(&(p)->var_smoothing), CRM_FIELD(&(p)->alpha),            \
        CRM_FIELD(&(p)->fit_prior), CRM_FIELD(&(p)->design)
#define NB_FIT(nb, C, dc)                                                                          \
    CRM_FIELDS((nb)->log_prior, C), CRM_FIELDS((nb)->theta, dc), CRM_FIELDS((nb)->var, dc),        \
        CRM_FIELDS((nb)->cat_logp, (nb)->n_cat_cells)

crm_status
crm_nbayes_save(const crm_nbayes *nb, crm_model_writer *w, const char *tag, crm_error *err)
{
    size_t dc;
    crm_status rc;
    if (nb == NULL || nb->n_classes == 0 || w == NULL) {
        return crm__error_set(err, CRM_ESTATE, "naive Bayes model is not fitted");
    }
    dc = (size_t)nb->d * (size_t)nb->n_classes;
    const crm_field f[] = { NB_HEAD(&nb->n_classes, &nb->d, &nb->params),
                            CRM_FIELDS(nb->n_levels, nb->d), NB_FIT(nb, nb->n_classes, dc) };
    rc = crm__mdl_begin(w, tag, "nbayes", err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

static crm_status load_body(void *ctx, crm_section *s, const crm_model_reader *r, crm_error *err)
{
    crm_nbayes *nb = *(crm_nbayes **)ctx;
    int32_t C = 0;
    int64_t d = 0;
    int32_t *levels = NULL;
    crm_status rc;
    const crm_field head[] = { NB_HEAD(&C, &d, &nb->params) };
    (void)crm_section_get_fields(s, head, CRM_N_FIELDS(head));
    if (s->failed || C < 2 || C > NB_MAX_CLASSES || d < 1 || d > (int64_t)(s->len / 4) ||
        (int64_t)C * d > (int64_t)(s->len / 8)) {
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has bad sizes",
                              crm_model_reader_source(r), s->tag);
    }
    if (crm_nbayes_params_check(&nb->params, err) != CRM_OK) {
        crm__error_prefix(err, "%s: ", crm_model_reader_source(r));
        err->code = CRM_EFORMAT;
        return CRM_EFORMAT;
    }
    levels = crm_mallocarray((size_t)d, sizeof *levels);
    if (levels == NULL) {
        return crm__error_nomem(err);
    }
    crm_section_get_i32s(s, levels, (size_t)d);
    for (int64_t j = 0; j < d && !s->failed; j++) {
        if (levels[j] < 0 || levels[j] > NB_MAX_LEVELS ||
            (int64_t)levels[j] * C > (int64_t)(s->len / 8)) {
            s->failed = 1;
        }
    }
    if (s->failed) {
        crm_free(levels);
        return crm_section_finish(s, r, err);
    }
    rc = alloc_fit(nb, C, d, levels, err);
    crm_free(levels);
    if (rc != CRM_OK) {
        return rc;
    }
    const crm_field fit[] = { NB_FIT(nb, C, (size_t)d * (size_t)C) };
    (void)crm_section_get_fields(s, fit, CRM_N_FIELDS(fit));
    rc = crm_section_finish(s, r, err);
    for (int64_t j = 0; rc == CRM_OK && j < d; j++) {
        for (int32_t c = 0; c < C && nb->n_levels[j] == 0; c++) {
            double v = nb->var[j * C + c];
            if (!(v > 0) || !isfinite(v) || !isfinite(nb->theta[j * C + c])) {
                rc = crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has a bad variance",
                                    crm_model_reader_source(r), s->tag);
                break;
            }
            nb->log_norm[j * C + c] = -0.5 * log(NB_TWO_PI * v);
        }
    }
    return rc;
}

CRM__MDL_DEFINE_LOAD(nbayes, load_body)

const double *crm_nbayes_log_prior(const crm_nbayes *nb)
{
    return nb != NULL ? nb->log_prior : NULL;
}
