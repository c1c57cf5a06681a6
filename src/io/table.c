/* table.c: the in-memory customer table (named numeric / categorical / identifier columns),
 * built by the CSV reader, by generators and by hand. Columns are stored separately
 * (column-major), because every consumer selects a few features out of many columns. */
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core_internal.h"
#include "core/numparse.h"
#include "io_internal.h"

void crm_table_free(crm_table *t)
{
    if (t == NULL) {
        return;
    }
    for (int32_t j = 0; j < t->n_cols; j++) {
        CRM__FREE(t->cols[j].name, t->cols[j].num, t->cols[j].codes);
        crm__dict_fini(&t->cols[j].dict);
    }
    CRM__FREE(t->cols, t->row_line, t->source, t);
}

crm_status crm_table_new(int64_t n_rows, const char *source, crm_table **out, crm_error *err)
{
    crm_table *t;
    *out = NULL;
    if (n_rows < 0) {
        return crm__error_set(err, CRM_EINVAL, "table size must be >= 0, got %lld",
                              (long long)n_rows);
    }
    t = crm_calloc(1, sizeof *t);
    if (t == NULL) {
        return crm__error_nomem(err);
    }
    t->source = crm_strdup(source ? source : "");
    if (t->source == NULL) {
        crm_free(t);
        return crm__error_nomem(err);
    }
    t->n_rows = n_rows;
    *out = t;
    return CRM_OK;
}

crm_status crm__table_push_col(crm_table *t, crm__col *col, crm_error *err)
{
    if (t->n_cols == t->cap_cols) {
        int32_t cap = t->cap_cols ? t->cap_cols * 2 : 16;
        crm__col *c = crm_realloc(t->cols, (size_t)cap * sizeof *c);
        if (c == NULL) {
            return crm__error_nomem(err);
        }
        t->cols = c;
        t->cap_cols = cap;
    }
    t->cols[t->n_cols++] = *col;
    return CRM_OK;
}

static crm_status check_new_name(crm_table *t, const char *name, crm_error *err)
{
    if (name == NULL || name[0] == '\0') {
        return crm__error_set(err, CRM_EINVAL, "column name is empty");
    }
    if (crm_table_find_col(t, name) >= 0) {
        crm__error_at(err, CRM_EDATA, t->source, 0, 0, "duplicate column name \"%s\"", name);
        crm__error_field(err, name);
        return CRM_EDATA;
    }
    return CRM_OK;
}

/* A new column of t called name, empty, with room for its values (numbers or codes). */
static crm_status
col_start(crm_table *t, const char *name, crm_col_type type, crm__col *col, crm_error *err)
{
    crm_status rc = check_new_name(t, name, err);
    memset(col, 0, sizeof *col);
    crm__dict_init(&col->dict);
    if (rc != CRM_OK) {
        return rc;
    }
    col->type = type;
    col->name = crm_strdup(name);
    if (type == CRM_COL_NUMERIC) {
        col->num = crm_mallocarray((size_t)t->n_rows, sizeof(double));
    } else {
        col->codes = crm_mallocarray((size_t)t->n_rows, sizeof(int32_t));
    }
    return col->name == NULL || (col->num == NULL && col->codes == NULL) ? crm__error_nomem(err)
                                                                         : CRM_OK;
}

/* A column begun by col_start handed to t when rc is CRM_OK, else freed. */
static crm_status col_finish(crm_table *t, crm__col *col, crm_status rc, crm_error *err)
{
    if (rc == CRM_OK) {
        crm__dict_seal(&col->dict);
        rc = crm__table_push_col(t, col, err);
    }
    if (rc != CRM_OK) {
        CRM__FREE(col->name, col->num, col->codes);
        crm__dict_fini(&col->dict);
    }
    return rc;
}

crm_status
crm_table_add_numeric(crm_table *t, const char *name, const double *values, crm_error *err)
{
    crm__col col;
    crm_status rc = col_start(t, name, CRM_COL_NUMERIC, &col, err);
    if (rc == CRM_OK && t->n_rows > 0) {
        memcpy(col.num, values, (size_t)t->n_rows * sizeof(double));
    }
    return col_finish(t, &col, rc, err);
}

crm_status crm_table_add_text(crm_table *t,
                              const char *name,
                              crm_col_type type,
                              const char *const *values,
                              crm_error *err)
{
    crm__col col;
    crm_status rc;
    if (type != CRM_COL_CATEGORICAL && type != CRM_COL_ID) {
        return crm__error_set(err, CRM_EINVAL, "text column \"%s\" needs a categorical or id type",
                              name ? name : "");
    }
    rc = col_start(t, name, type, &col, err);
    for (int64_t i = 0; rc == CRM_OK && i < t->n_rows; i++) {
        if (values[i] == NULL) {
            col.codes[i] = -1;
            continue;
        }
        rc = crm__dict_intern(&col.dict, values[i], strlen(values[i]), &col.codes[i]);
        if (rc != CRM_OK) {
            rc = rc == CRM_ENOMEM ? crm__error_nomem(err)
                                  : crm__error_set(err, rc, "too many levels in \"%s\"", name);
        }
    }
    return col_finish(t, &col, rc, err);
}

int64_t crm_table_n_rows(const crm_table *t)
{
    return t->n_rows;
}

int32_t crm_table_n_cols(const crm_table *t)
{
    return t->n_cols;
}

const char *crm_table_source(const crm_table *t)
{
    return t->source;
}

const char *crm_table_col_name(const crm_table *t, int32_t j)
{
    return (j >= 0 && j < t->n_cols) ? t->cols[j].name : NULL;
}

crm_col_type crm_table_col_type(const crm_table *t, int32_t j)
{
    return (j >= 0 && j < t->n_cols) ? t->cols[j].type : CRM_COL_NUMERIC;
}

int32_t crm_table_find_col(const crm_table *t, const char *name)
{
    crm_table *mt = (crm_table *)t; /* the hint is a cache, not part of the value */
    int32_t h;
    if (name == NULL || t->n_cols == 0) {
        return -1;
    }
    h = atomic_load_explicit(&mt->find_hint, memory_order_relaxed);
    h = (h >= 0 && h < t->n_cols) ? h : 0;
    for (int32_t k = 0; k < t->n_cols; k++) {
        int32_t j = h + k < t->n_cols ? h + k : h + k - t->n_cols;
        if (strcmp(t->cols[j].name, name) == 0) {
            atomic_store_explicit(&mt->find_hint, j + 1, memory_order_relaxed);
            return j;
        }
    }
    return -1;
}

const double *crm_table_numeric(const crm_table *t, int32_t j)
{
    if (j < 0 || j >= t->n_cols || t->cols[j].type != CRM_COL_NUMERIC) {
        return NULL;
    }
    return t->cols[j].num;
}

const int32_t *crm_table_codes(const crm_table *t, int32_t j)
{
    if (j < 0 || j >= t->n_cols || t->cols[j].type == CRM_COL_NUMERIC) {
        return NULL;
    }
    return t->cols[j].codes;
}

int32_t crm_table_n_levels(const crm_table *t, int32_t j)
{
    if (j < 0 || j >= t->n_cols || t->cols[j].type == CRM_COL_NUMERIC) {
        return 0;
    }
    return t->cols[j].dict.n;
}

const char *crm_table_level(const crm_table *t, int32_t j, int32_t code)
{
    if (j < 0 || j >= t->n_cols || t->cols[j].type == CRM_COL_NUMERIC || code < 0 ||
        code >= t->cols[j].dict.n) {
        return NULL;
    }
    return crm__dict_text(&t->cols[j].dict, code);
}

int64_t crm_table_row_line(const crm_table *t, int64_t i)
{
    if (t->row_line == NULL || i < 0 || i >= t->n_rows) {
        return 0;
    }
    return t->row_line[i];
}

const char *crm_table_cell_text(const crm_table *t, int64_t i, int32_t j, char *buf, int32_t size)
{
    const char *s = "";
    char tmp[32];
    if (buf == NULL || size <= 0) {
        return buf;
    }
    if (j >= 0 && j < t->n_cols && i >= 0 && i < t->n_rows) {
        const crm__col *c = &t->cols[j];
        if (c->type == CRM_COL_NUMERIC) {
            if (!isnan(c->num[i])) {
                (void)crm__format_double(c->num[i], tmp);
                s = tmp;
            }
        } else if (c->codes[i] >= 0) {
            s = crm__dict_text(&c->dict, c->codes[i]);
        }
    }
    crm__strlcpy(buf, s, (size_t)size);
    return buf;
}

/* Digits of u, most significant first, into buf; returns the count. */
static int put_u64(uint64_t u, char *buf)
{
    char tmp[24];
    int n = 0;
    int k = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    while (n > 0) {
        buf[k++] = tmp[--n];
    }
    return k;
}

/* v = k / 10^d exactly in the sense that the decimal k*10^-d reads back as v (both k and
 * 10^d are exact doubles, so the division is the correctly rounded value of the decimal). */
static int format_fixed(uint64_t k, int d, int neg, char *buf)
{
    char digits[24];
    int nd = put_u64(k, digits);
    int n = 0;
    if (neg) {
        buf[n++] = '-';
    }
    if (nd <= d) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int z = 0; z < d - nd; z++) {
            buf[n++] = '0';
        }
        memcpy(buf + n, digits, (size_t)nd);
        n += nd;
    } else {
        memcpy(buf + n, digits, (size_t)(nd - d));
        n += nd - d;
        if (d > 0) {
            buf[n++] = '.';
            memcpy(buf + n, digits + nd - d, (size_t)d);
            n += d;
        }
    }
    buf[n] = '\0';
    return n;
}

int crm__format_double(double v, char *buf)
{
    static const double p10[7] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
    double a = fabs(v);
    int neg = signbit(v) != 0;
    if (isnan(v)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    if (isinf(v)) {
        memcpy(buf, neg ? "-inf" : "inf", neg ? 5 : 4);
        return neg ? 4 : 3;
    }
    if (a < 1e15) {
        for (int d = 0; d <= 6; d++) {
            double s = a * p10[d];
            uint64_t k;
            if (s >= 9007199254740992.0) {
                break;
            }
            k = (uint64_t)(s + 0.5);
            if ((double)k / p10[d] == a) {
                return format_fixed(k, d, neg, buf);
            }
        }
    }
    for (int prec = 15; prec <= 17; prec++) {
        double back;
        int n = snprintf(buf, 32, "%.*g", prec, v);
        for (int i = 0; i < n; i++) {
            if (buf[i] == ',') {
                buf[i] = '.'; /* an application's LC_NUMERIC must not leak into files */
            }
        }
        if (prec == 17 || (crm__parse_double(buf, (size_t)n, &back) && back == v)) {
            return n;
        }
    }
    return 0;
}

/* Levenshtein distance of a and b, letters compared case-insensitively; SIZE_MAX when
 * either is longer than 63 bytes. */
static size_t name_distance(const char *a, const char *b)
{
    return strlen(a) > 63 ? SIZE_MAX : crm__edit_distance(a, b, 63, 1);
}

const char *crm__nearest_name(const char *name, const char *const *names, int32_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    if (name == NULL) {
        return NULL;
    }
    for (int32_t j = 0; j < n; j++) {
        if (strcasecmp(name, names[j]) == 0) {
            return names[j];
        }
    }
    for (int32_t j = 0; j < n; j++) {
        size_t d = name_distance(name, names[j]);
        if (d < best_d) {
            best_d = d;
            best = names[j];
        }
    }
    return best_d <= strlen(name) / 3 + 1 ? best : NULL;
}

const char *
crm__did_you_mean(const char *name, const char *const *names, int32_t n, char *buf, int32_t size)
{
    const char *near = crm__nearest_name(name, names, n);
    if (size <= 0) {
        return buf;
    }
    buf[0] = '\0';
    if (near != NULL) {
        snprintf(buf, (size_t)size, " (did you mean \"%s\"?)", near);
    }
    return buf;
}

const char *crm_table_did_you_mean(const crm_table *t, const char *name, char *buf, int32_t size)
{
    const char *names[512];
    const char *best = NULL;
    int32_t n = t != NULL ? t->n_cols : 0;
    char part[160];
    /* in blocks of 512 names: the nearest of the block winners */
    for (int32_t j0 = 0; j0 < n; j0 += 512) {
        int32_t m = n - j0 < 512 ? n - j0 : 512;
        const char *near;
        for (int32_t j = 0; j < m; j++) {
            names[j] = t->cols[j0 + j].name;
        }
        near = crm__nearest_name(name, names, m);
        if (near != NULL && (best == NULL || strcasecmp(near, name) == 0 ||
                             (strcasecmp(best, name) != 0 &&
                              name_distance(name, near) < name_distance(name, best)))) {
            best = near;
        }
    }
    if (size > 0) {
        buf[0] = '\0';
    }
    if (best != NULL && size > 0) {
        snprintf(part, sizeof part, " (did you mean \"%.128s\"?)", best);
        snprintf(buf, (size_t)size, "%s", part);
    }
    return buf;
}
