/* twolayer_rules.c: layer 1 of the two-layer model: the derived columns, the statistics the
 * rules compare with (fitted once on the training table and kept), and the evaluation of the
 * rules into groups.
 *
 * Semantics, exactly (docs/formats/two-layer-spec.md):
 *   - rank(c): the percentile level 0..99 of c: floor(100 * #{training values < x} / n) over
 *     the n present training values, so ties share a level. It is kept as 99 cut points
 *     (cut_L = the training value of order ceil(L n / 100)), level(x) = #{L : x > cut_L},
 *     which gives the same level for every training value and applies to new values.
 *   - ratio(a, b) = a / b; b = 0 gives on_zero when the spec sets it, else missing.
 *   - sum(a, b, ...): missing when any term is missing.
 *   - mean, median, quantile(p) of a column: over its present training values; quantiles
 *     interpolate linearly between order statistics (numpy's default).
 *   - a comparison with a missing value is false, so such rows fall through to the group that
 *     takes the remaining rows.
 * Rules are evaluated column-wise over all rows (one byte per row per operand), first
 * matching group wins. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "twolayer_internal.h"

void crm__tl_frame_fini(tl_frame *f)
{
    for (int32_t i = 0; i < f->n_owned; i++) {
        crm_free(f->owned[i]);
    }
    crm_free(f->owned);
    crm_free(f->cols);
    memset(f, 0, sizeof *f);
}

const tl_col *
crm__tl_frame_col(const tl_frame *f, const char *name, const char *what, crm_error *err)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    /* derived columns first (later ones shadow earlier), then the table's */
    for (int32_t i = f->n_cols - 1; i >= 0; i--) {
        if (strcmp(f->cols[i].name, name) == 0) {
            return &f->cols[i];
        }
    }
    for (int32_t i = 0; i < f->n_cols; i++) {
        size_t d = crm__edit_distance(name, f->cols[i].name, 127, 0);
        if (d < best_d) {
            best_d = d;
            best = f->cols[i].name;
        }
    }
    if (best != NULL && best_d <= 2 + strlen(name) / 3) {
        crm__error_at(err, CRM_ENOTFOUND, crm_table_source(f->t), 0, 0,
                      "%s: no column named \"%s\" (did you mean \"%s\"?)", what, name, best);
    } else {
        crm__error_at(err, CRM_ENOTFOUND, crm_table_source(f->t), 0, 0,
                      "%s: no column named \"%s\" in the table or the derived columns", what, name);
    }
    crm__error_field(err, name);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The present values of v[n], sorted, into a new array. */
static crm_status
sorted_present(const double *v, int64_t n, double **out, int64_t *m, crm_error *err)
{
    double *s = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *s);
    int64_t k = 0;
    *out = NULL;
    if (s == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        if (!isnan(v[i])) {
            s[k++] = v[i];
        }
    }
    qsort(s, (size_t)k, sizeof *s, cmp_double);
    *out = s;
    *m = k;
    return CRM_OK;
}

double crm__tl_quantile(const double *sorted, int64_t n, double p)
{
    double h;
    int64_t lo;
    if (n == 0) {
        return (double)NAN;
    }
    h = (double)(n - 1) * p;
    lo = (int64_t)floor(h);
    if (lo >= n - 1) {
        return sorted[n - 1];
    }
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static crm_status fit_rank(tl_derived *d, const double *x, int64_t n, crm_error *err)
{
    double *s = NULL;
    int64_t m = 0;
    crm_status rc = sorted_present(x, n, &s, &m, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t L = 1; L < TL_RANK_LEVELS; L++) {
        int64_t order = (L * m + TL_RANK_LEVELS - 1) / TL_RANK_LEVELS; /* ceil(L m / 100) */
        d->cuts[L - 1] = m > 0 ? s[order - 1] : (double)NAN;
    }
    crm_free(s);
    return CRM_OK;
}

static double rank_of(const tl_derived *d, double x)
{
    int32_t lo = 0;
    int32_t hi = TL_RANK_LEVELS - 1;
    if (isnan(x) || isnan(d->cuts[0])) {
        return (double)NAN;
    }
    while (lo < hi) { /* first cut >= x; the cuts never decrease */
        int32_t mid = (lo + hi) / 2;
        if (d->cuts[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (double)lo;
}

static crm_status compute_derived(crm_twolayer *fit,
                                  const tl_derived *d,
                                  const tl_col *const *in,
                                  int64_t n,
                                  double *out,
                                  crm_error *err)
{
    if (d->kind == TL_D_RANK) {
        if (fit != NULL) {
            crm_status rc = fit_rank((tl_derived *)d, in[0]->num, n, err);
            if (rc != CRM_OK) {
                return rc;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            out[i] = rank_of(d, in[0]->num[i]);
        }
    } else if (d->kind == TL_D_RATIO) {
        for (int64_t i = 0; i < n; i++) {
            double a = in[0]->num[i];
            double b = in[1]->num[i];
            if (isnan(a) || isnan(b)) {
                out[i] = (double)NAN;
            } else if (b == 0) {
                out[i] = d->has_on_zero ? d->on_zero : (double)NAN;
            } else {
                out[i] = a / b;
            }
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int32_t k = 0; k < d->n_inputs; k++) {
                s += in[k]->num[i];
            }
            out[i] = s;
        }
    }
    return CRM_OK;
}

static crm_status add_derived(crm_twolayer *fit, const tl_derived *d, tl_frame *f, crm_error *err)
{
    const tl_col *in[64];
    char what[TL_MAX_NAME + 32];
    double *out;
    crm_status rc;
    if (d->n_inputs > 64) {
        return crm__error_set(err, CRM_EINVAL, "derived column \"%s\": more than 64 terms",
                              d->name);
    }
    snprintf(what, sizeof what, "derived column \"%s\"", d->name);
    for (int32_t k = 0; k < d->n_inputs; k++) {
        in[k] = crm__tl_frame_col(f, d->inputs[k], what, err);
        if (in[k] == NULL) {
            return CRM_ENOTFOUND;
        }
        if (in[k]->num == NULL) {
            crm__error_at(err, CRM_EDATA, crm_table_source(f->t), 0, 0,
                          "%s: column \"%s\" is not numeric", what, d->inputs[k]);
            crm__error_field(err, d->inputs[k]);
            return CRM_EDATA;
        }
    }
    if (fit != NULL && crm_table_find_col(f->t, d->name) >= 0) {
        crm__error_at(err, CRM_EDATA, crm_table_source(f->t), 0, 0,
                      "derived column \"%s\" has the name of a column of the table; rename it",
                      d->name);
        crm__error_field(err, d->name);
        return CRM_EDATA;
    }
    out = crm_mallocarray(f->n_rows > 0 ? (size_t)f->n_rows : 1, sizeof *out);
    if (out == NULL) {
        return crm__error_nomem(err);
    }
    f->owned[f->n_owned++] = out;
    rc = compute_derived(fit, d, in, f->n_rows, out, err);
    if (rc == CRM_OK) {
        tl_col *c = &f->cols[f->n_cols++];
        c->name = d->name;
        c->num = out;
        c->codes = NULL;
        c->tcol = -1;
    }
    return rc;
}

crm_status crm__tl_frame_build(crm_twolayer *tl_fit,
                               const crm_twolayer *tl,
                               const crm_table *t,
                               tl_frame *f,
                               crm_error *err)
{
    int32_t n_tab = crm_table_n_cols(t);
    crm_status rc = CRM_OK;
    memset(f, 0, sizeof *f);
    f->t = t;
    f->n_rows = crm_table_n_rows(t);
    f->cols = crm_calloc((size_t)n_tab + (size_t)tl->n_derived + 1, sizeof *f->cols);
    f->owned = crm_calloc((size_t)tl->n_derived + 1, sizeof *f->owned);
    if (f->cols == NULL || f->owned == NULL) {
        crm__tl_frame_fini(f);
        return crm__error_nomem(err);
    }
    for (int32_t j = 0; j < n_tab; j++) {
        tl_col *c = &f->cols[f->n_cols++];
        c->name = crm_table_col_name(t, j);
        c->num = crm_table_numeric(t, j);
        c->codes = c->num ? NULL : crm_table_codes(t, j);
        c->tcol = j;
    }
    for (int32_t d = 0; d < tl->n_derived && rc == CRM_OK; d++) {
        rc = add_derived(tl_fit, &tl->derived[d], f, err);
    }
    if (rc != CRM_OK) {
        crm__tl_frame_fini(f);
    }
    return rc;
}

/* ---- fitting the statistics of the rules ---- */

typedef struct stat_cache {
    const tl_col *col;
    double *sorted;
    int64_t n;
    double mean;
} stat_cache;

typedef struct fit_ctx {
    const tl_frame *f;
    stat_cache *cache;
    int32_t n_cache;
    const char *group;
    crm_error *err;
} fit_ctx;

static crm_status col_stats(fit_ctx *c, const tl_col *col, stat_cache **out)
{
    stat_cache *s;
    crm__ksum k = { 0, 0 };
    crm_status rc;
    for (int32_t i = 0; i < c->n_cache; i++) {
        if (c->cache[i].col == col) {
            *out = &c->cache[i];
            return CRM_OK;
        }
    }
    s = &c->cache[c->n_cache];
    rc = sorted_present(col->num, c->f->n_rows, &s->sorted, &s->n, c->err);
    if (rc != CRM_OK) {
        return rc;
    }
    c->n_cache++;
    s->col = col;
    /* mean in file order, so it matches a plain sum over the column */
    for (int64_t i = 0; i < c->f->n_rows; i++) {
        if (!isnan(col->num[i])) {
            crm__ksum_add(&k, col->num[i]);
        }
    }
    s->mean = s->n > 0 ? k.sum / (double)s->n : (double)NAN;
    *out = s;
    return CRM_OK;
}

static crm_status type_error(fit_ctx *c, const tl_expr *e, const char *what)
{
    crm__error_at(c->err, CRM_EDATA, crm_table_source(c->f->t), 0, 0,
                  "rule of group \"%s\": column \"%s\" %s", c->group, e->column, what);
    crm__error_field(c->err, e->column);
    return CRM_EDATA;
}

static crm_status fit_expr(fit_ctx *c, tl_expr *e)
{
    char what[TL_MAX_NAME + 32];
    const tl_col *col;
    stat_cache *s = NULL;
    crm_status rc;
    if (e->type != TL_E_CMP) {
        rc = fit_expr(c, e->a);
        return (rc == CRM_OK && e->b != NULL) ? fit_expr(c, e->b) : rc;
    }
    snprintf(what, sizeof what, "rule of group \"%s\"", c->group);
    col = crm__tl_frame_col(c->f, e->column, what, c->err);
    if (col == NULL) {
        return CRM_ENOTFOUND;
    }
    if (e->thr == TL_T_LEVEL) {
        return col->codes ? CRM_OK : type_error(c, e, "is numeric: compare it with a number");
    }
    if (col->num == NULL) {
        return type_error(c, e, "is categorical: compare it with == 'level' or != 'level'");
    }
    if (e->thr == TL_T_COLUMN) {
        const tl_col *other = crm__tl_frame_col(c->f, e->text, what, c->err);
        if (other == NULL) {
            return CRM_ENOTFOUND;
        }
        return other->num ? CRM_OK : type_error(c, e, "is compared with a categorical column");
    }
    if (e->thr == TL_T_NUMBER) {
        return CRM_OK;
    }
    rc = col_stats(c, col, &s);
    if (rc != CRM_OK) {
        return rc;
    }
    if (e->thr == TL_T_MEAN) {
        e->value = s->mean;
    } else {
        e->value = crm__tl_quantile(s->sorted, s->n, e->thr == TL_T_MEDIAN ? 0.5 : e->p);
    }
    return CRM_OK;
}

crm_status crm__tl_fit_rules(crm_twolayer *tl, const tl_frame *f, crm_error *err)
{
    fit_ctx c;
    crm_status rc = CRM_OK;
    memset(&c, 0, sizeof c);
    c.f = f;
    c.err = err;
    c.cache = crm_calloc((size_t)f->n_cols + 1, sizeof *c.cache);
    if (c.cache == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        c.group = tl->groups[g].name;
        if (tl->groups[g].when != NULL) {
            rc = fit_expr(&c, tl->groups[g].when);
        }
    }
    for (int32_t i = 0; i < c.n_cache; i++) {
        crm_free(c.cache[i].sorted);
    }
    crm_free(c.cache);
    return rc;
}

/* ---- evaluation ---- */

static int cmp_num(tl_op op, double x, double y)
{
    if (isnan(x) || isnan(y)) {
        return 0;
    }
    switch (op) {
    case TL_OP_LT:
        return x < y;
    case TL_OP_LE:
        return x <= y;
    case TL_OP_GT:
        return x > y;
    case TL_OP_GE:
        return x >= y;
    case TL_OP_EQ:
        return x == y;
    case TL_OP_NE:
    default:
        return x != y;
    }
}

static crm_status
eval_cmp(const tl_frame *f, const tl_expr *e, const char *group, unsigned char *m, crm_error *err)
{
    char what[TL_MAX_NAME + 32];
    const tl_col *col;
    snprintf(what, sizeof what, "rule of group \"%s\"", group);
    col = crm__tl_frame_col(f, e->column, what, err);
    if (col == NULL) {
        return CRM_ENOTFOUND;
    }
    if (e->thr == TL_T_LEVEL) {
        int32_t code = -2; /* no row has it */
        if (col->codes == NULL) {
            return crm__error_at(err, CRM_EDATA, crm_table_source(f->t), 0, 0,
                                 "%s: column \"%s\" is numeric here, categorical in the model",
                                 what, e->column);
        }
        for (int32_t l = 0; l < crm_table_n_levels(f->t, col->tcol); l++) {
            if (strcmp(crm_table_level(f->t, col->tcol, l), e->text) == 0) {
                code = l;
                break;
            }
        }
        for (int64_t i = 0; i < f->n_rows; i++) {
            int32_t v = col->codes[i];
            m[i] = (unsigned char)(v >= 0 && (e->op == TL_OP_EQ ? v == code : v != code));
        }
        return CRM_OK;
    }
    if (col->num == NULL) {
        return crm__error_at(err, CRM_EDATA, crm_table_source(f->t), 0, 0,
                             "%s: column \"%s\" is categorical here, numeric in the model", what,
                             e->column);
    }
    if (e->thr == TL_T_COLUMN) {
        const tl_col *other = crm__tl_frame_col(f, e->text, what, err);
        if (other == NULL) {
            return CRM_ENOTFOUND;
        }
        if (other->num == NULL) {
            return crm__error_at(err, CRM_EDATA, crm_table_source(f->t), 0, 0,
                                 "%s: column \"%s\" is not numeric", what, e->text);
        }
        for (int64_t i = 0; i < f->n_rows; i++) {
            m[i] = (unsigned char)cmp_num(e->op, col->num[i], other->num[i]);
        }
        return CRM_OK;
    }
    for (int64_t i = 0; i < f->n_rows; i++) {
        m[i] = (unsigned char)cmp_num(e->op, col->num[i], e->value);
    }
    return CRM_OK;
}

static crm_status
eval_expr(const tl_frame *f, const tl_expr *e, const char *group, unsigned char *m, crm_error *err)
{
    unsigned char *tmp;
    crm_status rc;
    if (e->type == TL_E_CMP) {
        return eval_cmp(f, e, group, m, err);
    }
    rc = eval_expr(f, e->a, group, m, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (e->type == TL_E_NOT) {
        for (int64_t i = 0; i < f->n_rows; i++) {
            m[i] = (unsigned char)!m[i];
        }
        return CRM_OK;
    }
    tmp = crm_malloc(f->n_rows > 0 ? (size_t)f->n_rows : 1);
    if (tmp == NULL) {
        return crm__error_nomem(err);
    }
    rc = eval_expr(f, e->b, group, tmp, err);
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < f->n_rows; i++) {
            m[i] = (unsigned char)(e->type == TL_E_AND ? (m[i] & tmp[i]) : (m[i] | tmp[i]));
        }
    }
    crm_free(tmp);
    return rc;
}

crm_status
crm__tl_eval_groups(const crm_twolayer *tl, const tl_frame *f, int32_t *l1, crm_error *err)
{
    unsigned char *m = crm_malloc(f->n_rows > 0 ? (size_t)f->n_rows : 1);
    crm_status rc = CRM_OK;
    if (m == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < f->n_rows; i++) {
        l1[i] = -1;
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        const tl_expr *when = tl->groups[g].when;
        if (when == NULL) {
            memset(m, 1, f->n_rows > 0 ? (size_t)f->n_rows : 1);
        } else {
            rc = eval_expr(f, when, tl->groups[g].name, m, err);
        }
        for (int64_t i = 0; rc == CRM_OK && i < f->n_rows; i++) {
            if (l1[i] < 0 && m[i]) {
                l1[i] = g;
            }
        }
    }
    crm_free(m);
    return rc;
}

/* ---- tables for layer 2 and the profile ---- */

static crm_status add_col(crm_table *out,
                          const tl_frame *f,
                          const tl_col *col,
                          const int64_t *rows,
                          int64_t n,
                          crm_error *err)
{
    crm_status rc;
    if (col->num != NULL) {
        double *v = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *v);
        if (v == NULL) {
            return crm__error_nomem(err);
        }
        for (int64_t i = 0; i < n; i++) {
            v[i] = col->num[rows[i]];
        }
        rc = crm_table_add_numeric(out, col->name, v, err);
        crm_free(v);
        return rc;
    }
    {
        const char **v = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *v);
        if (v == NULL) {
            return crm__error_nomem(err);
        }
        for (int64_t i = 0; i < n; i++) {
            int32_t code = col->codes[rows[i]];
            v[i] = code >= 0 ? crm_table_level(f->t, col->tcol, code) : NULL;
        }
        rc = crm_table_add_text(out, col->name, crm_table_col_type(f->t, col->tcol), v, err);
        crm_free(v);
        return rc;
    }
}

crm_status crm__tl_subtable(const tl_frame *f,
                            char *const *names,
                            int32_t n_names,
                            const int32_t *l1,
                            int32_t g,
                            crm_table **out,
                            crm_error *err)
{
    int64_t *rows = crm_mallocarray(f->n_rows > 0 ? (size_t)f->n_rows : 1, sizeof *rows);
    int64_t n = 0;
    crm_table *t = NULL;
    crm_status rc;
    *out = NULL;
    if (rows == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < f->n_rows; i++) {
        if (g < 0 || l1[i] == g) {
            rows[n++] = i;
        }
    }
    rc = crm_table_new(n, crm_table_source(f->t), &t, err);
    for (int32_t k = 0; k < n_names && rc == CRM_OK; k++) {
        const tl_col *col = crm__tl_frame_col(f, names[k], "layer-2 feature", err);
        rc = col ? add_col(t, f, col, rows, n, err) : CRM_ENOTFOUND;
    }
    crm_free(rows);
    if (rc != CRM_OK) {
        crm_table_free(t);
        return rc;
    }
    *out = t;
    return CRM_OK;
}
