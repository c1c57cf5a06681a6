/* prep.c: fitted cleaning transforms (imputation, outlier flags, winsorising, scaling,
 * categorical encoding) from a crm_table to the dense design matrix the algorithms use.
 *
 * Fit statistics are taken in the order the transform applies them, as a scikit-learn
 * pipeline would: the fill value and the cap percentiles come from the present raw values;
 * the scaling statistics from the column after imputation and capping. Percentiles
 * interpolate linearly between order statistics (numpy's default, "linear"); they are found
 * by selection, not sorting, so fitting stays O(n) per column. Sums are Kahan-compensated and
 * the standard deviation is the population one (ddof = 0), as StandardScaler's.
 *
 * "Neighbours" imputation follows the telecom X-means study: a missing value becomes the mean
 * of the previous and next present values of the same column in file order; where one of
 * them does not exist (at the ends) it becomes the fitted column mean. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/dist.h>
#include <crmkit/prep.h>

#include "core/core_internal.h"
#include "core/first_error.h"
#include "prep_internal.h"

crm_prep_params crm_prep_params_default(void)
{
    crm_prep_params p;
    memset(&p, 0, sizeof p);
    p.impute = CRM_IMPUTE_MEAN;
    p.cap_low_pct = 0.0;
    p.cap_high_pct = 100.0;
    p.outlier_flags = 0;
    p.scale = CRM_SCALE_ZSCORE;
    p.encode = CRM_ENCODE_ONEHOT;
    return p;
}

crm_status crm_prep_params_check(const crm_prep_params *p, crm_error *err)
{
    if ((unsigned)p->impute > CRM_IMPUTE_NEIGHBOURS) {
        return crm__error_set(err, CRM_EINVAL, "unknown imputation %d", (int)p->impute);
    }
    if ((unsigned)p->scale > CRM_SCALE_MINMAX) {
        return crm__error_set(err, CRM_EINVAL, "unknown scaling %d", (int)p->scale);
    }
    if ((unsigned)p->transform > CRM_TRANSFORM_AUTO) {
        return crm__error_set(err, CRM_EINVAL, "unknown transform %d", (int)p->transform);
    }
    if ((unsigned)p->encode > CRM_ENCODE_ORDINAL) {
        return crm__error_set(err, CRM_EINVAL, "unknown encoding %d", (int)p->encode);
    }
    if (!(p->cap_low_pct >= 0.0 && p->cap_low_pct < p->cap_high_pct && p->cap_high_pct <= 100.0)) {
        return crm__error_set(err, CRM_EINVAL,
                              "cap percentiles must satisfy 0 <= low < high <= 100, got %g,%g",
                              p->cap_low_pct, p->cap_high_pct);
    }
    return CRM_OK;
}

/* ---- object ---- */

crm_status crm__prep_alloc(int32_t n_features, crm_prep **out, crm_error *err)
{
    crm_prep *prep = crm_calloc(1, sizeof *prep);
    *out = NULL;
    if (prep == NULL) {
        return crm__error_nomem(err);
    }
    prep->features = crm_calloc(n_features > 0 ? (size_t)n_features : 1, sizeof *prep->features);
    if (prep->features == NULL) {
        crm_free(prep);
        return crm__error_nomem(err);
    }
    prep->n_features = n_features;
    *out = prep;
    return CRM_OK;
}

void crm_prep_free(crm_prep *prep)
{
    if (prep == NULL) {
        return;
    }
    for (int32_t f = 0; f < prep->n_features; f++) {
        prep_feature *pf = &prep->features[f];
        crm_free(pf->name);
        for (int32_t l = 0; l < pf->n_levels && pf->levels != NULL; l++) {
            crm_free(pf->levels[l]);
        }
        crm_free(pf->levels);
        crm_free(pf->sorted);
    }
    for (int32_t j = 0; j < prep->n_out && prep->out != NULL; j++) {
        crm_free(prep->out[j].name);
    }
    crm_free(prep->out);
    crm_free(prep->features);
    crm_free(prep);
}

static char *join(const char *a, const char *sep, const char *b)
{
    size_t na = strlen(a);
    size_t ns = strlen(sep);
    size_t nb = strlen(b);
    char *s = crm_malloc(na + ns + nb + 1);
    if (s != NULL) {
        memcpy(s, a, na);
        memcpy(s + na, sep, ns);
        memcpy(s + na + ns, b, nb + 1);
    }
    return s;
}

/* Sort context-free: qsort has no user pointer, so level indices are sorted with a small
 * insertion/merge sort over the strings instead. */
static void sort_levels(int32_t *idx, char **levels, int32_t n, int32_t *tmp)
{
    if (n < 2) {
        return;
    }
    int32_t mid = n / 2;
    sort_levels(idx, levels, mid, tmp);
    sort_levels(idx + mid, levels, n - mid, tmp);
    int32_t i = 0;
    int32_t j = mid;
    int32_t k = 0;
    while (i < mid && j < n) {
        tmp[k++] = strcmp(levels[idx[j]], levels[idx[i]]) < 0 ? idx[j++] : idx[i++];
    }
    while (i < mid) {
        tmp[k++] = idx[i++];
    }
    while (j < n) {
        tmp[k++] = idx[j++];
    }
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static int32_t count_out(const crm_prep *prep)
{
    int32_t n = 0;
    for (int32_t f = 0; f < prep->n_features; f++) {
        const prep_feature *pf = &prep->features[f];
        if (pf->type == CRM_COL_NUMERIC) {
            n += prep->params.outlier_flags ? 2 : 1;
        } else {
            n += prep->params.encode == CRM_ENCODE_ONEHOT ? pf->n_levels : 1;
        }
    }
    return n;
}

static crm_status
add_out(crm_prep *prep, int32_t f, prep_out_kind kind, int32_t level, crm_error *err)
{
    const prep_feature *pf = &prep->features[f];
    prep_out *o = &prep->out[prep->n_out];
    if (kind == PREP_OUT_FLAG) {
        o->name = join(pf->name, "", "_capped");
    } else if (kind == PREP_OUT_LEVEL) {
        o->name = join(pf->name, "=", pf->levels[level]);
    } else {
        o->name = join(pf->name, "", "");
    }
    if (o->name == NULL) {
        return crm__error_nomem(err);
    }
    o->feature = f;
    o->kind = kind;
    o->level = level;
    prep->n_out++;
    return CRM_OK;
}

crm_status crm__prep_finish(crm_prep *prep, crm_error *err)
{
    int32_t total = count_out(prep);
    crm_status rc = CRM_OK;
    prep->out = crm_calloc(total > 0 ? (size_t)total : 1, sizeof *prep->out);
    if (prep->out == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t f = 0; f < prep->n_features && rc == CRM_OK; f++) {
        prep_feature *pf = &prep->features[f];
        if (pf->type == CRM_COL_NUMERIC) {
            rc = add_out(prep, f, PREP_OUT_VALUE, 0, err);
            if (rc == CRM_OK && prep->params.outlier_flags) {
                rc = add_out(prep, f, PREP_OUT_FLAG, 0, err);
            }
            continue;
        }
        pf->sorted =
            crm_mallocarray(pf->n_levels > 0 ? (size_t)pf->n_levels : 1, 2 * sizeof(int32_t));
        if (pf->sorted == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t l = 0; l < pf->n_levels; l++) {
            pf->sorted[l] = l;
        }
        sort_levels(pf->sorted, pf->levels, pf->n_levels, pf->sorted + pf->n_levels);
        if (prep->params.encode == CRM_ENCODE_ORDINAL) {
            rc = add_out(prep, f, PREP_OUT_VALUE, 0, err);
        } else {
            for (int32_t l = 0; l < pf->n_levels && rc == CRM_OK; l++) {
                rc = add_out(prep, f, PREP_OUT_LEVEL, l, err);
            }
        }
    }
    return rc;
}

/* ---- statistics ---- */

/* Percentiles pct[0, np) (0..100, np <= 3) of the m present values of v[0, n), m >= 1,
 * numpy's linear interpolation, replace pct: the order statistics they need taken at once
 * (crm__order_stats: v only read, about one pass; w has room for n). */
static void percentiles(const double *v, int64_t n, int64_t m, double *pct, int np, double *w)
{
    int64_t ranks[6];
    double vals[6];
    int64_t k[3];
    double frac[3];
    int nr = 0;
    for (int i = 0; i < np; i++) {
        double pos = pct[i] / 100.0 * (double)(m - 1);
        k[i] = (int64_t)floor(pos);
        frac[i] = pos - (double)k[i];
        if (k[i] >= m - 1) {
            k[i] = m - 1;
            frac[i] = 0.0;
        }
        for (int64_t r = k[i]; r <= k[i] + (frac[i] != 0.0); r++) {
            int at = nr;
            int dup = 0;
            for (int q = 0; q < nr; q++) {
                dup |= ranks[q] == r;
                at = (at == nr && ranks[q] > r) ? q : at;
            }
            if (!dup) { /* ascending, unique */
                memmove(ranks + at + 1, ranks + at, (size_t)(nr - at) * sizeof *ranks);
                ranks[at] = r;
                nr++;
            }
        }
    }
    crm__order_stats(v, n, m, ranks, nr, w, vals);
    for (int i = 0; i < np; i++) {
        int q = 0;
        while (ranks[q] != k[i]) {
            q++;
        }
        pct[i] = frac[i] == 0.0 ? vals[q] : vals[q] + frac[i] * (vals[q + 1] - vals[q]);
    }
}

static double kahan_mean(const double *v, int64_t n)
{
    crm__ksum s = { 0.0, 0.0 };
    for (int64_t i = 0; i < n; i++) {
        crm__ksum_add(&s, v[i]);
    }
    return s.sum / (double)n;
}

/* Neighbours imputation over v[n] into out[n]: see the file header. */
void crm__prep_impute_neighbours(const double *v, int64_t n, double fallback, double *out)
{
    double next = (double)NAN;
    double prev = (double)NAN;
    for (int64_t i = n - 1; i >= 0; i--) {
        if (!isnan(v[i])) {
            next = v[i];
        }
        out[i] = isnan(v[i]) ? next : v[i];
    }
    for (int64_t i = 0; i < n; i++) {
        if (!isnan(v[i])) {
            prev = v[i];
            continue;
        }
        out[i] = (!isnan(prev) && !isnan(out[i])) ? 0.5 * prev + 0.5 * out[i] : fallback;
    }
}

crm_status
crm__prep_check_finite(const crm_table *t, int32_t col, const double *v, int64_t n, crm_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (fabs(v[i]) > CRM__PREP_MAX_ABS) {
            if (isinf(v[i])) {
                crm__error_at(err, CRM_EDATA, crm_table_source(t), crm_table_row_line(t, i), 0,
                              "infinite value in row %lld", (long long)i + 1);
            } else {
                crm__error_at(err, CRM_EDATA, crm_table_source(t), crm_table_row_line(t, i), 0,
                              "value %.6g in row %lld is too large to compute with (beyond "
                              "+-1e100, its square and sums would overflow); rescale the column",
                              v[i], (long long)i + 1);
            }
            crm__error_field(err, crm_table_col_name(t, col));
            return CRM_EDATA;
        }
    }
    return CRM_OK;
}

/* One look at a numeric column: its present values counted into *m, whether any exceeds
 * CRM__PREP_MAX_ABS into *bad, and their compensated sum (Kahan's step in 8 lanes, the
 * lanes then added compensated): one chain of dependent additions took 2.7 ns a value, the
 * lanes vectorise (0.7 ns). */
CRM__CLONES
static double present_sum(const double *v, int64_t n, int64_t *m_out, int *bad_out)
{
    /* 8 lanes as one vector (GCC/Clang vector extensions: one instruction a lane group in
     * each clone); the lanes are then added compensated, in order */
    typedef double v8d __attribute__((vector_size(64)));
    typedef int64_t v8l __attribute__((vector_size(64)));
    const v8d one = { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 };
    const v8l no_sign = ~((v8l){ 0 } + INT64_MIN);
    v8d s = { 0.0 };
    v8d c = { 0.0 };
    v8d cnt = { 0.0 }; /* exact up to 2^53 */
    v8d big = { 0.0 }; /* the largest magnitude; a NaN compares false and is left out */
    int64_t i = 0;
    double most = 0.0;
    crm__ksum k = { 0.0, 0.0 };
    for (; i + 8 <= n; i += 8) {
        v8d x;
        v8l present;
        v8d ax;
        v8d y;
        v8d t;
        memcpy(&x, v + i, sizeof x);
        present = x == x;
        y = (v8d)((v8l)x & present) - c; /* a missing value adds +0 */
        t = s + y;
        c = (t - s) - y;
        s = t;
        cnt += (v8d)((v8l)one & present);
        ax = (v8d)((v8l)x & no_sign);
        big = (v8d)(((v8l)ax & (ax > big)) | ((v8l)big & ~(ax > big)));
    }
    *m_out = 0;
    for (int l = 0; l < 8; l++) {
        crm__ksum_add(&k, s[l]);
        crm__ksum_add(&k, -c[l]);
        *m_out += (int64_t)cnt[l];
        most = big[l] > most ? big[l] : most;
    }
    for (; i < n; i++) {
        if (!isnan(v[i])) {
            crm__ksum_add(&k, v[i]);
            (*m_out)++;
        }
        most = fabs(v[i]) > most ? fabs(v[i]) : most;
    }
    *bad_out = most > CRM__PREP_MAX_ABS;
    return k.sum;
}

/* Fill value and caps from the m present values of v[0, n) and their mean: the percentiles
 * in one selection, the mean when it is the fill. work: room for n. */
static void fit_fill_and_caps(prep_feature *pf,
                              const crm_prep_params *p,
                              const double *v,
                              int64_t n,
                              int64_t m,
                              double mean,
                              double *work)
{
    double pct[3];
    double *to[3];
    int np = 0;
    pf->lo = -HUGE_VAL;
    pf->hi = HUGE_VAL;
    if (p->cap_low_pct > 0.0) {
        to[np] = &pf->lo;
        pct[np++] = p->cap_low_pct;
    }
    if (p->cap_high_pct < 100.0) {
        to[np] = &pf->hi;
        pct[np++] = p->cap_high_pct;
    }
    if (p->impute == CRM_IMPUTE_MEDIAN) {
        to[np] = &pf->fill;
        pct[np++] = 50.0;
    } else {
        pf->fill = mean;
    }
    if (np > 0) {
        percentiles(v, n, m, pct, np, work);
    }
    for (int i = 0; i < np; i++) {
        *to[i] = pct[i];
    }
}

/* Fisher-Pearson skewness g1 = m3 / m2^1.5 of c[m]; 0 for a constant column. */
static double skewness(const double *c, int64_t m)
{
    crm__ksum s2 = { 0.0, 0.0 };
    crm__ksum s3 = { 0.0, 0.0 };
    double mean = kahan_mean(c, m);
    for (int64_t i = 0; i < m; i++) {
        double d = c[i] - mean;
        crm__ksum_add(&s2, d * d);
        crm__ksum_add(&s3, d * d * d);
    }
    if (!(s2.sum > 0.0)) {
        return 0.0;
    }
    return (s3.sum / (double)m) / pow(s2.sum / (double)m, 1.5);
}

/* Scaling statistics of the cleaned column c[m] (NaN-free). */
static void fit_scale(prep_feature *pf, crm_scale scale, const double *c, int64_t m)
{
    pf->center = 0.0;
    pf->scale = 1.0;
    if (scale == CRM_SCALE_ZSCORE) {
        crm__ksum s = { 0.0, 0.0 };
        double mean = kahan_mean(c, m);
        for (int64_t i = 0; i < m; i++) {
            double d = c[i] - mean;
            crm__ksum_add(&s, d * d);
        }
        pf->center = mean;
        pf->scale = sqrt(s.sum / (double)m);
    } else if (scale == CRM_SCALE_MINMAX) {
        double lo = c[0];
        double hi = c[0];
        for (int64_t i = 1; i < m; i++) {
            lo = c[i] < lo ? c[i] : lo;
            hi = c[i] > hi ? c[i] : hi;
        }
        pf->center = lo;
        pf->scale = hi - lo;
    }
}

static crm_status fit_numeric(prep_feature *pf,
                              const crm_table *t,
                              int32_t col,
                              const crm_prep_params *p,
                              double *work,
                              crm_error *err)
{
    const double *v = crm_table_numeric(t, col);
    int64_t n = crm_table_n_rows(t);
    int64_t m = 0;
    int bad = 0;
    int mean_only = p->cap_low_pct <= 0.0 && p->cap_high_pct >= 100.0 &&
                    p->impute != CRM_IMPUTE_MEDIAN && p->transform == CRM_TRANSFORM_NONE &&
                    p->scale == CRM_SCALE_NONE;
    double sum;
    /* one pass: the present values counted and the column checked (the message, naming the
     * first bad value, from a second look only when there is one); with nothing to cap, log
     * or scale, their mean is the fill, which is all there is to learn */
    sum = present_sum(v, n, &m, &bad);
    if (bad) {
        return crm__prep_check_finite(t, col, v, n, err);
    }
    if (mean_only) {
        if (m == 0) {
            crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                          "column is entirely missing; drop it from the features");
            crm__error_field(err, pf->name);
            return CRM_EDATA;
        }
        pf->lo = -HUGE_VAL;
        pf->hi = HUGE_VAL;
        pf->fill = sum / (double)m;
        pf->logged = 0;
        pf->center = 0.0;
        pf->scale = 1.0;
        return CRM_OK;
    }
    if (m == 0) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "column is entirely missing; drop it from the features");
        crm__error_field(err, pf->name);
        return CRM_EDATA;
    }
    fit_fill_and_caps(pf, p, v, n, m, sum / (double)m, work);
    pf->logged = p->transform == CRM_TRANSFORM_LOG;
    pf->center = 0.0;
    pf->scale = 1.0;
    if (p->transform != CRM_TRANSFORM_AUTO && p->scale == CRM_SCALE_NONE) {
        return CRM_OK; /* no statistic of the cleaned column is needed */
    }
    /* The cleaned training column, in which the scaling statistics are taken. */
    if (p->impute == CRM_IMPUTE_NEIGHBOURS) {
        crm__prep_impute_neighbours(v, n, pf->fill, work);
        m = n;
    } else if (p->impute != CRM_IMPUTE_NONE) {
        for (int64_t i = 0; i < n; i++) {
            work[i] = isnan(v[i]) ? pf->fill : v[i];
        }
        m = n;
    } else {
        m = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isnan(v[i])) {
                work[m++] = v[i];
            }
        }
    }
    for (int64_t i = 0; i < m; i++) {
        double flag;
        work[i] = crm__prep_clean(pf, work[i], &flag);
    }
    pf->logged = p->transform == CRM_TRANSFORM_LOG || (p->transform == CRM_TRANSFORM_AUTO &&
                                                       skewness(work, m) > CRM_PREP_SKEW_THRESHOLD);
    for (int64_t i = 0; i < m && pf->logged; i++) {
        work[i] = crm__prep_log(pf, work[i]);
    }
    fit_scale(pf, p->scale, work, m);
    if (p->scale != CRM_SCALE_NONE && !(pf->scale > 0.0)) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "column is constant (every value is %.17g%s): it cannot be scaled; drop it "
                      "from the features",
                      work[0], (pf->lo > -HUGE_VAL || pf->hi < HUGE_VAL) ? " after capping" : "");
        crm__error_field(err, pf->name);
        return CRM_EDATA;
    }
    return CRM_OK;
}

static crm_status fit_categorical(prep_feature *pf,
                                  const crm_table *t,
                                  int32_t col,
                                  const crm_prep_params *p,
                                  double *work,
                                  crm_error *err)
{
    const int32_t *codes = crm_table_codes(t, col);
    int64_t n = crm_table_n_rows(t);
    int32_t n_levels = crm_table_n_levels(t, col);
    int64_t *counts;
    int64_t present = 0;
    int32_t mode = 0;
    pf->levels = crm_calloc(n_levels > 0 ? (size_t)n_levels : 1, sizeof *pf->levels);
    counts = crm_calloc(n_levels > 0 ? (size_t)n_levels : 1, sizeof *counts);
    if (pf->levels == NULL || counts == NULL) {
        crm_free(counts);
        return crm__error_nomem(err);
    }
    pf->n_levels = n_levels;
    for (int32_t l = 0; l < n_levels; l++) {
        pf->levels[l] = crm_strdup(crm_table_level(t, col, l));
        if (pf->levels[l] == NULL) {
            crm_free(counts);
            return crm__error_nomem(err);
        }
    }
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] >= 0 && codes[i] < n_levels) {
            counts[codes[i]]++;
            present++;
        }
    }
    for (int32_t l = 1; l < n_levels; l++) {
        mode = counts[l] > counts[mode] ? l : mode;
    }
    crm_free(counts);
    if (present == 0) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "column is entirely missing; drop it from the features");
        crm__error_field(err, pf->name);
        return CRM_EDATA;
    }
    pf->fill = (double)mode;
    pf->lo = -HUGE_VAL;
    pf->hi = HUGE_VAL;
    pf->center = 0.0;
    pf->scale = 1.0;
    if (p->encode == CRM_ENCODE_ORDINAL) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) {
            if (codes[i] >= 0) {
                work[m++] = (double)codes[i];
            } else if (p->impute != CRM_IMPUTE_NONE) {
                work[m++] = pf->fill;
            }
        }
        fit_scale(pf, p->scale, work, m);
        if (!(pf->scale > 0.0)) {
            pf->center = 0.0; /* one level only: the code is a constant 0 */
            pf->scale = 1.0;
        }
    }
    return CRM_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static crm_status
check_features(const crm_table *t, const char *const *features, int32_t n_features, crm_error *err)
{
    if (n_features < 1) {
        return crm__error_set(err, CRM_EINVAL, "no features to clean");
    }
    for (int32_t f = 0; f < n_features; f++) {
        int32_t col = crm_table_find_col(t, features[f]);
        if (col < 0) {
            char near[160];
            crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0,
                          "no column named \"%s\" in the table%s", features[f],
                          crm_table_did_you_mean(t, features[f], near, (int32_t)sizeof near));
            crm__error_field(err, features[f]);
            return CRM_ENOTFOUND;
        }
        if (crm_table_col_type(t, col) == CRM_COL_ID) {
            crm__error_at(err, CRM_EINVAL, crm_table_source(t), 0, 0,
                          "column is an identifier and cannot be a feature");
            crm__error_field(err, features[f]);
            return CRM_EINVAL;
        }
    }
    /* a feature named twice: sorted names side by side (a scan per feature was quadratic) */
    {
        const char **sorted = crm_mallocarray((size_t)n_features, sizeof *sorted);
        if (sorted == NULL) {
            return crm__error_nomem(err);
        }
        memcpy(sorted, features, (size_t)n_features * sizeof *sorted);
        qsort(sorted, (size_t)n_features, sizeof *sorted, cmp_name);
        for (int32_t f = 1; f < n_features; f++) {
            if (strcmp(sorted[f - 1], sorted[f]) == 0) {
                crm__error_set(err, CRM_EINVAL, "feature named twice");
                crm__error_field(err, sorted[f]);
                crm_free(sorted);
                return CRM_EINVAL;
            }
        }
        crm_free(sorted);
    }
    if (crm_table_n_rows(t) < 1) {
        return crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0, "the table has no rows");
    }
    return CRM_OK;
}

/* What the rank that fitted a numeric feature tells the others. */
typedef struct fit_msg {
    double fill, lo, hi, center, scale;
    int64_t logged;
} fit_msg;

static crm_status pack_fit(void *ctx, int32_t f, void **blob, size_t *len, crm_error *err)
{
    const prep_feature *pf = &((crm_prep *)ctx)->features[f];
    fit_msg *m = crm_malloc(sizeof *m);
    if (m == NULL) {
        return crm__error_nomem(err);
    }
    m->fill = pf->fill;
    m->lo = pf->lo;
    m->hi = pf->hi;
    m->center = pf->center;
    m->scale = pf->scale;
    m->logged = pf->logged;
    *blob = m;
    *len = sizeof *m;
    return CRM_OK;
}

static crm_status unpack_fit(void *ctx, int32_t f, const void *blob, size_t len, crm_error *err)
{
    crm_prep *prep = ctx;
    prep_feature *pf;
    fit_msg m;
    if (f < 0 || f >= prep->n_features || len != sizeof m) {
        return crm__error_set(err, CRM_EINTERNAL, "prep: a rank sent a malformed result");
    }
    memcpy(&m, blob, sizeof m);
    pf = &prep->features[f];
    pf->fill = m.fill;
    pf->lo = m.lo;
    pf->hi = m.hi;
    pf->center = m.center;
    pf->scale = m.scale;
    pf->logged = (int)m.logged;
    return CRM_OK;
}

/* Under mpirun with every rank holding the same table (crm_dist_replicated): the numeric
 * features, the costly ones (exact percentiles, compensated sums over whole columns), are
 * dealt out to the ranks in turn and each is fitted whole by one rank, which sends its
 * parameters to the others (crm_dist_share_items); so a feature's parameters are the bits
 * one process computes. Categorical features (counts of codes) are fitted by every rank.
 * The error reported is the one of the first failing feature in feature order, as in one
 * process. Collective. */
static crm_status fit_split(crm_prep *prep,
                            const crm_table *t,
                            const char *const *features,
                            int32_t n_features,
                            const crm_prep_params *p,
                            double *work,
                            crm_error *err)
{
    int32_t n_num = 0;
    int32_t n_mine = 0;
    size_t nf = (size_t)n_features + 1;
    int32_t *mine = crm_calloc(nf, sizeof *mine);
    crm_status *rcs = crm_calloc(nf, sizeof *rcs);
    crm_error *errs = crm_calloc(nf, sizeof *errs);
    crm_status one = CRM_OK;
    crm_status rc;
    if (mine == NULL || rcs == NULL || errs == NULL) {
        crm_error e1;
        one = crm__error_nomem(&e1);
        rc = crm_dist_share_items(&one, &e1, 1, NULL, 0, pack_fit, unpack_fit, prep, err);
        goto done;
    }
    for (int32_t f = 0; f < n_features; f++) {
        prep_feature *pf = &prep->features[f];
        int32_t col = crm_table_find_col(t, features[f]);
        pf->name = crm_strdup(features[f]);
        pf->type = crm_table_col_type(t, col);
        if (pf->name == NULL) {
            rcs[f] = crm__error_nomem(&errs[f]);
        } else if (pf->type != CRM_COL_NUMERIC) {
            rcs[f] = fit_categorical(pf, t, col, p, work, &errs[f]);
        } else if (crm_dist_deals(n_num++)) {
            rcs[f] = fit_numeric(pf, t, col, p, work, &errs[f]);
            mine[n_mine++] = f;
        }
        if (rcs[f] != CRM_OK) {
            break; /* the first failure in feature order is the one reported */
        }
    }
    rc = crm_dist_share_items(rcs, errs, n_features, mine, n_mine, pack_fit, unpack_fit, prep, err);
done:
    crm_free(mine);
    crm_free(rcs);
    crm_free(errs);
    return rc;
}

crm_status crm_prep_fit(const crm_table *t,
                        const char *const *features,
                        int32_t n_features,
                        const crm_prep_params *p,
                        crm_prep **out,
                        crm_error *err)
{
    return crm__prep_fit_side(t, features, n_features, p, NULL, out, err);
}

crm_status crm__prep_fit_side(const crm_table *t,
                              const char *const *features,
                              int32_t n_features,
                              const crm_prep_params *p,
                              const crm__prep_side *side,
                              crm_prep **out,
                              crm_error *err)
{
    crm_prep *prep = NULL;
    crm_status *rcs = NULL;
    crm_error *errs = NULL;
    int64_t n = crm_table_n_rows(t);
    int nt;
    crm_status rc;
    *out = NULL;
    rc = crm_prep_params_check(p, err);
    if (rc == CRM_OK) {
        rc = check_features(t, features, n_features, err);
    }
    if (rc == CRM_OK) {
        rc = crm__prep_alloc(n_features, &prep, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    prep->params = *p;
    if (side != NULL && crm_dist_replicated()) {
        side->fn(side->ctx);
    }
    if (crm_dist_replicated()) {
        /* under mpirun with the same table on every rank: a feature per rank in turn */
        double *work = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *work);
        rc = work == NULL ? crm__error_nomem(err) : CRM_OK;
        rc = crm_dist_agree(rc, err);
        if (rc == CRM_OK) {
            rc = fit_split(prep, t, features, n_features, p, work, err);
        }
        crm_free(work);
        if (rc == CRM_OK) {
            rc = crm__prep_finish(prep, err);
        }
        if (rc != CRM_OK) {
            goto fail;
        }
        *out = prep;
        return CRM_OK;
    }
    for (int32_t f = 0; f < n_features; f++) {
        prep_feature *pf = &prep->features[f];
        pf->name = crm_strdup(features[f]);
        if (pf->name == NULL) {
            rc = crm__error_nomem(err);
            goto fail;
        }
        pf->type = crm_table_col_type(t, crm_table_find_col(t, features[f]));
    }
    rcs = crm_calloc(n_features > 0 ? (size_t)n_features : 1, sizeof *rcs);
    errs = crm_calloc(n_features > 0 ? (size_t)n_features : 1, sizeof *errs);
    if (rcs == NULL || errs == NULL) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    /* features are independent: two at a time on two cores, each thread with its own work
     * buffer; the first failure in feature order is the one reported, whatever the threads */
    nt = crm_table_n_rows(t) >= 100000 && n_features > 1 ? crm__n_threads(0) : 1;
    nt = nt < n_features ? nt : n_features;
    /* the side job, when there is one, is the first item a thread takes: the others fit
     * features meanwhile, and that thread fits the ones left once it is done */
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        double *w = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *w);
#pragma omp for schedule(dynamic, 1)
        for (int32_t f = side != NULL ? -1 : 0; f < n_features; f++) {
            prep_feature *pf = f >= 0 ? &prep->features[f] : NULL;
            int32_t col = f >= 0 ? crm_table_find_col(t, features[f]) : -1;
            if (f < 0) {
                side->fn(side->ctx);
            } else if (w == NULL) {
                rcs[f] = crm__error_nomem(&errs[f]);
            } else {
                rcs[f] = (pf->type == CRM_COL_NUMERIC)
                             ? fit_numeric(pf, t, col, p, w, &errs[f])
                             : fit_categorical(pf, t, col, p, w, &errs[f]);
            }
        }
        crm_free(w);
    }
    rc = crm__first_error(rcs, errs, n_features, err);
    if (rc == CRM_OK) {
        rc = crm__prep_finish(prep, err);
    }
    if (rc != CRM_OK) {
        goto fail;
    }
    crm_free(rcs);
    crm_free(errs);
    *out = prep;
    return CRM_OK;
fail:
    crm_free(rcs);
    crm_free(errs);
    crm_prep_free(prep);
    return rc;
}

/* ---- accessors ---- */

int32_t crm_prep_n_out(const crm_prep *prep)
{
    return prep->n_out;
}

const char *crm_prep_out_name(const crm_prep *prep, int32_t j)
{
    return (j >= 0 && j < prep->n_out) ? prep->out[j].name : NULL;
}

int32_t crm_prep_out_feature(const crm_prep *prep, int32_t j)
{
    return (j >= 0 && j < prep->n_out) ? prep->out[j].feature : -1;
}

int32_t crm_prep_n_features(const crm_prep *prep)
{
    return prep->n_features;
}

const char *crm_prep_feature_name(const crm_prep *prep, int32_t f)
{
    return (f >= 0 && f < prep->n_features) ? prep->features[f].name : NULL;
}

crm_col_type crm_prep_feature_type(const crm_prep *prep, int32_t f)
{
    return (f >= 0 && f < prep->n_features) ? prep->features[f].type : CRM_COL_NUMERIC;
}

int32_t crm_prep_feature_n_levels(const crm_prep *prep, int32_t f)
{
    return (f >= 0 && f < prep->n_features) ? prep->features[f].n_levels : 0;
}

const char *crm_prep_feature_level(const crm_prep *prep, int32_t f, int32_t code)
{
    const prep_feature *pf;
    if (f < 0 || f >= prep->n_features) {
        return NULL;
    }
    pf = &prep->features[f];
    return (code >= 0 && code < pf->n_levels) ? pf->levels[code] : NULL;
}

crm_prep_params crm_prep_fitted_params(const crm_prep *prep)
{
    return prep->params;
}

double crm_prep_unscale(const crm_prep *prep, int32_t j, double v)
{
    const prep_feature *pf;
    if (j < 0 || j >= prep->n_out || prep->out[j].kind != PREP_OUT_VALUE) {
        return v;
    }
    pf = &prep->features[prep->out[j].feature];
    v = v * pf->scale + pf->center;
    if (pf->logged) {
        v = v < 0.0 ? -expm1(-v) : expm1(v);
    }
    return v;
}

int crm_prep_feature_logged(const crm_prep *prep, int32_t f)
{
    return f >= 0 && f < prep->n_features && prep->features[f].type == CRM_COL_NUMERIC &&
           prep->features[f].logged;
}
