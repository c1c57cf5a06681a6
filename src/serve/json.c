/* json.c: JSON request bodies through Jansson: the Acumos DataFrame in protobuf's JSON mapping
 * (a column per feature), crmkit's row objects, MLflow's dataframe_split, dataframe_records and
 * instances; and /v1/recommend requests. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "serve_internal.h"

#if CRM_HAVE_JANSSON
#include <jansson.h>

static crm_status load(const void *body, size_t len, json_t **out, crm_error *err)
{
    json_error_t je;
    *out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL) {
        crm__serve_fail(err, CRM_EPARSE, NULL, "malformed JSON: %s", je.text);
        if (err) {
            err->line = je.line > 0 ? je.line : 0;
            err->column = je.column > 0 ? je.column : 0;
        }
        return CRM_EPARSE;
    }
    return CRM_OK;
}

/* Store value v as row i of feature f (the column is allocated). */
static crm_status put(crm__serve_cols *c, int32_t f, int64_t i, json_t *v, crm_error *err)
{
    const crm__serve_feature *ft = &c->m->features[f];
    if (ft->is_text) {
        char buf[64];
        const char *s = NULL;
        if (json_is_string(v)) {
            s = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            s = buf;
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
            s = buf;
        }
        if (s == NULL) {
            return crm__serve_fail(err, CRM_EDATA, ft->name,
                                   "feature \"%s\", row %lld: expected a string", ft->name,
                                   (long long)i);
        }
        c->txt[f][i] = crm_strdup(s);
        return c->txt[f][i] ? CRM_OK : crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    if (json_is_number(v)) {
        c->num[f][i] = json_number_value(v);
        return CRM_OK;
    }
    if (json_is_string(v)) {
        /* protobuf's JSON mapping allows doubles as strings, "NaN" and "Infinity" included */
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        c->num[f][i] = strtod(s, &end);
        if (*s != '\0' && *end == '\0') {
            return CRM_OK;
        }
    }
    return crm__serve_fail(err, CRM_EDATA, ft->name,
                           "feature \"%s\", row %lld: expected a number, got %s", ft->name,
                           (long long)i,
                           json_is_null(v)     ? "null"
                           : json_is_string(v) ? "a string"
                                               : "another JSON type");
}

static crm_status feature_of(crm__serve_cols *c, const char *key, int32_t *f, crm_error *err)
{
    *f = crm__serve_find_feature(c->m, key, strlen(key));
    if (*f < 0) {
        return crm__serve_fail(err, CRM_EDATA, key, "unknown feature \"%s\"", key);
    }
    return CRM_OK;
}

/* {"feature": [v, ...], ...} */
static crm_status columns(crm__serve_cols *c, json_t *obj, int64_t max_rows, crm_error *err)
{
    const char *key;
    json_t *arr;
    if (!json_is_object(obj)) {
        return crm__serve_fail(err, CRM_EDATA, NULL,
                               "expected a JSON object with an array per feature");
    }
    json_object_foreach(obj, key, arr)
    {
        int32_t f;
        crm_status rc = feature_of(c, key, &f, err);
        if (rc != CRM_OK) {
            return rc;
        }
        if (!json_is_array(arr)) {
            return crm__serve_fail(err, CRM_EDATA, key, "feature \"%s\": expected an array", key);
        }
        rc = crm__serve_cols_column(c, f, (int64_t)json_array_size(arr), max_rows, err);
        for (size_t i = 0; rc == CRM_OK && i < json_array_size(arr); i++) {
            rc = put(c, f, (int64_t)i, json_array_get(arr, i), err);
        }
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

/* [{"feature": v, ...}, ...]: every row must name every feature. */
static crm_status records(crm__serve_cols *c, json_t *arr, int64_t max_rows, crm_error *err)
{
    int64_t n;
    crm_status rc = CRM_OK;
    int64_t *seen;
    if (!json_is_array(arr)) {
        return crm__serve_fail(err, CRM_EDATA, NULL, "expected an array of row objects");
    }
    n = (int64_t)json_array_size(arr);
    for (int32_t f = 0; rc == CRM_OK && f < c->m->n_features; f++) {
        rc = crm__serve_cols_column(c, f, n, max_rows, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    seen = crm_calloc((size_t)c->m->n_features + 1, sizeof *seen);
    if (seen == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        json_t *row = json_array_get(arr, (size_t)i);
        const char *key;
        json_t *v;
        if (!json_is_object(row)) {
            rc =
                crm__serve_fail(err, CRM_EDATA, NULL, "row %lld: expected an object", (long long)i);
            break;
        }
        json_object_foreach(row, key, v)
        {
            int32_t f;
            rc = feature_of(c, key, &f, err);
            if (rc == CRM_OK && seen[f] == i + 1) {
                rc = crm__serve_fail(err, CRM_EDATA, key, "row %lld: feature \"%s\" given twice",
                                     (long long)i, key);
            }
            if (rc == CRM_OK) {
                seen[f] = i + 1;
                rc = put(c, f, i, v, err);
            }
            if (rc != CRM_OK) {
                break;
            }
        }
        for (int32_t f = 0; rc == CRM_OK && f < c->m->n_features; f++) {
            if (seen[f] != i + 1) {
                rc = crm__serve_fail(err, CRM_EDATA, c->m->features[f].name,
                                     "row %lld: missing feature \"%s\"", (long long)i,
                                     c->m->features[f].name);
            }
        }
    }
    crm_free(seen);
    return rc;
}

/* MLflow dataframe_split: {"columns": [...], "data": [[...], ...]} */
static crm_status split(crm__serve_cols *c, json_t *obj, int64_t max_rows, crm_error *err)
{
    json_t *cols = json_object_get(obj, "columns");
    json_t *data = json_object_get(obj, "data");
    int32_t *map;
    size_t n_cols;
    int64_t n;
    crm_status rc = CRM_OK;
    if (!json_is_object(obj) || !json_is_array(cols) || !json_is_array(data)) {
        return crm__serve_fail(err, CRM_EDATA, NULL,
                               "dataframe_split needs \"columns\" and \"data\" arrays");
    }
    n_cols = json_array_size(cols);
    n = (int64_t)json_array_size(data);
    map = crm_calloc(n_cols ? n_cols : 1, sizeof *map);
    if (map == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (size_t j = 0; rc == CRM_OK && j < n_cols; j++) {
        json_t *name = json_array_get(cols, j);
        if (!json_is_string(name)) {
            rc = crm__serve_fail(err, CRM_EDATA, NULL, "columns[%zu]: expected a string", j);
        } else {
            rc = feature_of(c, json_string_value(name), &map[j], err);
        }
        if (rc == CRM_OK) {
            rc = crm__serve_cols_column(c, map[j], n, max_rows, err);
        }
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        json_t *row = json_array_get(data, (size_t)i);
        if (!json_is_array(row) || json_array_size(row) != n_cols) {
            rc =
                crm__serve_fail(err, CRM_EDATA, NULL, "data[%lld]: expected an array of %zu values",
                                (long long)i, n_cols);
            break;
        }
        for (size_t j = 0; rc == CRM_OK && j < n_cols; j++) {
            rc = put(c, map[j], i, json_array_get(row, j), err);
        }
    }
    crm_free(map);
    return rc;
}

/* ---- fast path: {"feature": [v, ...], ...} of plain numbers and plain strings ----
 * Acumos clients send one small object per request; Jansson builds a tree of allocations for
 * it. This scanner takes only what it fully understands (keys and strings of printable ASCII
 * without escapes, numbers in JSON's grammar that Jansson would accept, each feature once)
 * and fills the columns directly; on anything else it gives up and the request goes through
 * Jansson, which also writes every error message. So both give the same table on success. */

typedef struct scan {
    const char *p;
    const char *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        s->p++;
    }
}

/* A string of printable ASCII without escapes; [*a, *b) is its text. */
static int scan_string(scan *s, const char **a, const char **b)
{
    if (s->p >= s->end || *s->p != '"') {
        return 0;
    }
    *a = ++s->p;
    while (s->p < s->end && *s->p != '"') {
        unsigned char ch = (unsigned char)*s->p;
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
            return 0;
        }
        s->p++;
    }
    if (s->p >= s->end) {
        return 0;
    }
    *b = s->p++;
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A JSON number Jansson accepts, as Jansson converts it: integers (up to 18 digits) through
 * long long, reals through strtod (finite only). */
static int scan_number(scan *s, double *v)
{
    const char *a = s->p;
    const char *q = s->p;
    int real = 0;
    char buf[64];
    if (q < s->end && *q == '-') {
        q++;
    }
    if (q >= s->end || !is_digit(*q)) {
        return 0;
    }
    if (*q == '0') {
        q++;
    } else {
        while (q < s->end && is_digit(*q)) {
            q++;
        }
    }
    if (q < s->end && *q == '.') {
        real = 1;
        q++;
        if (q >= s->end || !is_digit(*q)) {
            return 0;
        }
        while (q < s->end && is_digit(*q)) {
            q++;
        }
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < s->end && (*q == '+' || *q == '-')) {
            q++;
        }
        if (q >= s->end || !is_digit(*q)) {
            return 0;
        }
        while (q < s->end && is_digit(*q)) {
            q++;
        }
    }
    if (q - a >= (ptrdiff_t)sizeof buf || (!real && q - a > 18)) {
        return 0;
    }
    memcpy(buf, a, (size_t)(q - a));
    buf[q - a] = '\0';
    if (real) {
        *v = strtod(buf, NULL);
        if (!isfinite(*v)) {
            return 0;
        }
    } else {
        *v = (double)strtoll(buf, NULL, 10);
    }
    s->p = q;
    return 1;
}

/* Count the values of the array at s->p (which must start with '['), without consuming. */
static int64_t count_values(const scan *s)
{
    const char *p = s->p + 1;
    int64_t n = 0;
    int in_str = 0;
    int any = 0;
    for (; p < s->end; p++) {
        if (in_str) {
            in_str = *p != '"';
            continue;
        }
        if (*p == '"') {
            in_str = 1;
            any = 1;
        } else if (*p == ',') {
            n++;
        } else if (*p == ']') {
            return any ? n + 1 : 0;
        } else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            any = 1;
        }
    }
    return -1;
}

/* 1: the body was taken; 0: not understood (the columns are left untouched). */
static int columns_fast(crm__serve_cols *c, const void *body, size_t len, int64_t max_rows)
{
    scan s = { body, (const char *)body + len };
    crm__serve_cols tmp;
    int ok = 0;
    if (crm__serve_cols_init(&tmp, c->m, NULL) != CRM_OK) {
        return 0;
    }
    skip_ws(&s);
    if (s.p >= s.end || *s.p++ != '{') {
        goto out;
    }
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        goto out; /* empty: let Jansson's path report the missing features */
    }
    for (;;) {
        const char *ka;
        const char *kb;
        int32_t f;
        int64_t n;
        if (!scan_string(&s, &ka, &kb)) {
            goto out;
        }
        f = crm__serve_find_feature(c->m, ka, (size_t)(kb - ka));
        skip_ws(&s);
        if (f < 0 || s.p >= s.end || *s.p++ != ':') {
            goto out;
        }
        skip_ws(&s);
        if (s.p >= s.end || *s.p != '[' || (n = count_values(&s)) < 0 ||
            crm__serve_cols_column(&tmp, f, n, max_rows, NULL) != CRM_OK) {
            goto out;
        }
        s.p++;
        for (int64_t i = 0; i < n; i++) {
            skip_ws(&s);
            if (c->m->features[f].is_text) {
                const char *a;
                const char *b;
                if (!scan_string(&s, &a, &b)) {
                    goto out;
                }
                tmp.txt[f][i] = crm_malloc((size_t)(b - a) + 1);
                if (tmp.txt[f][i] == NULL) {
                    goto out;
                }
                memcpy(tmp.txt[f][i], a, (size_t)(b - a));
                tmp.txt[f][i][b - a] = '\0';
            } else if (!scan_number(&s, &tmp.num[f][i])) {
                goto out;
            }
            skip_ws(&s);
            if (s.p >= s.end || *s.p++ != (i + 1 < n ? ',' : ']')) {
                goto out;
            }
        }
        if (n == 0) {
            skip_ws(&s);
            if (s.p >= s.end || *s.p++ != ']') {
                goto out;
            }
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            skip_ws(&s);
            continue;
        }
        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }
        goto out;
    }
    skip_ws(&s);
    ok = s.p == s.end;
out:
    if (ok) {
        crm__serve_cols_fini(c);
        *c = tmp;
    } else {
        crm__serve_cols_fini(&tmp);
    }
    return ok;
}

crm_status crm__serve_parse_json(crm__serve_cols *c,
                                 crm_serve_format format,
                                 const void *body,
                                 size_t len,
                                 int64_t max_rows,
                                 crm_error *err)
{
    json_t *root;
    crm_status rc;
    if (format == CRM_SERVE_JSON && columns_fast(c, body, len, max_rows)) {
        return CRM_OK;
    }
    rc = load(body, len, &root, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (format == CRM_SERVE_JSON) {
        rc = columns(c, root, max_rows, err);
    } else if (format == CRM_SERVE_ROWS) {
        json_t *rows = json_is_array(root) ? root : json_object_get(root, "rows");
        if (json_is_object(root) && json_object_size(root) != 1) {
            rc = crm__serve_fail(err, CRM_EDATA, NULL, "expected {\"rows\": [...]} only");
        } else if (rows == NULL) {
            rc = crm__serve_fail(err, CRM_EDATA, NULL, "expected {\"rows\": [{...}, ...]}");
        } else {
            rc = records(c, rows, max_rows, err);
        }
    } else {
        json_t *v;
        if (!json_is_object(root) || json_object_size(root) != 1) {
            rc = crm__serve_fail(err, CRM_EDATA, NULL,
                                 "expected one of dataframe_split, dataframe_records, "
                                 "instances or inputs");
        } else if ((v = json_object_get(root, "dataframe_split")) != NULL) {
            rc = split(c, v, max_rows, err);
        } else if ((v = json_object_get(root, "dataframe_records")) != NULL) {
            rc = records(c, v, max_rows, err);
        } else if ((v = json_object_get(root, "instances")) != NULL ||
                   (v = json_object_get(root, "inputs")) != NULL) {
            rc = json_is_object(v) ? columns(c, v, max_rows, err) : records(c, v, max_rows, err);
        } else {
            rc = crm__serve_fail(err, CRM_EDATA, NULL,
                                 "expected one of dataframe_split, dataframe_records, "
                                 "instances or inputs");
        }
    }
    json_decref(root);
    return rc;
}

/* /v1/recommend: {"rows":[{"items":[...], "segment":"name"}], "top":N} */
crm_status crm__serve_recommend(const crm_serve_model *m,
                                const void *body,
                                size_t len,
                                int32_t max_top,
                                char **out,
                                crm_error *err)
{
    json_t *root;
    json_t *rows;
    json_t *jtop;
    int32_t top = 5;
    crm__sbuf b;
    int32_t *basket = NULL;
    crm_recommendation *rec = NULL;
    crm_status rc = load(body, len, &root, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    rows = json_object_get(root, "rows");
    jtop = json_object_get(root, "top");
    if (!json_is_array(rows)) {
        json_decref(root);
        return crm__serve_fail(err, CRM_EDATA, NULL,
                               "expected {\"rows\": [{\"items\": [...]}, ...], \"top\": N}");
    }
    if (jtop != NULL) {
        if (!json_is_integer(jtop) || json_integer_value(jtop) < 1 ||
            json_integer_value(jtop) > max_top) {
            json_decref(root);
            return crm__serve_fail(err, CRM_EDATA, "top",
                                   "\"top\" must be a whole number in "
                                   "1..%d",
                                   (int)max_top);
        }
        top = (int32_t)json_integer_value(jtop);
    }
    basket = crm_mallocarray((size_t)crm_rules_n_items(m->rules) + 1, sizeof *basket);
    rec = crm_mallocarray((size_t)top, sizeof *rec);
    if (basket == NULL || rec == NULL) {
        crm_free(basket);
        crm_free(rec);
        json_decref(root);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"model\":");
    crm__sbuf_json_str(&b, m->name);
    crm__sbuf_printf(&b, ",\"version\":\"%s\",\"results\":[", m->version);
    for (size_t i = 0; rc == CRM_OK && i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        json_t *items = json_object_get(row, "items");
        json_t *seg = json_object_get(row, "segment");
        int32_t s = 0;
        int32_t n_basket = 0;
        int32_t n_out = 0;
        char segname[64];
        if (!json_is_object(row) || !json_is_array(items)) {
            rc = crm__serve_fail(err, CRM_EDATA, NULL, "row %zu: expected {\"items\": [...]}", i);
            break;
        }
        if (seg != NULL && !json_is_null(seg)) {
            if (json_is_integer(seg)) {
                snprintf(segname, sizeof segname, "%lld", (long long)json_integer_value(seg));
            } else if (json_is_string(seg)) {
                snprintf(segname, sizeof segname, "%s", json_string_value(seg));
            } else {
                rc = crm__serve_fail(err, CRM_EDATA, "segment", "row %zu: bad \"segment\"", i);
                break;
            }
            s = crm_rules_find_set(m->rules, segname);
            if (s < 0) {
                rc = crm__serve_fail(err, CRM_EDATA, "segment",
                                     "row %zu: no rules for segment \"%s\"", i, segname);
                break;
            }
        }
        for (size_t j = 0; j < json_array_size(items); j++) {
            json_t *it = json_array_get(items, j);
            int32_t id =
                json_is_string(it) ? crm_rules_find_item(m->rules, json_string_value(it)) : -1;
            if (!json_is_string(it)) {
                rc = crm__serve_fail(err, CRM_EDATA, "items", "row %zu: items must be strings", i);
                break;
            }
            if (id >= 0 && n_basket < crm_rules_n_items(m->rules)) {
                basket[n_basket++] = id; /* services the rules never saw cannot fire any */
            }
        }
        if (rc == CRM_OK) {
            rc = crm_rules_recommend(m->rules, s, basket, n_basket, top, rec, &n_out, err);
        }
        if (rc != CRM_OK) {
            break;
        }
        crm__sbuf_puts(&b, i ? ",{\"segment\":" : "{\"segment\":");
        crm__sbuf_json_str(&b, crm_rules_set_name(m->rules, s));
        crm__sbuf_puts(&b, ",\"recommendations\":[");
        for (int32_t k = 0; k < n_out; k++) {
            crm__sbuf_puts(&b, k ? ",{\"item\":" : "{\"item\":");
            crm__sbuf_json_str(&b, crm_rules_item_name(m->rules, rec[k].item));
            crm__sbuf_printf(&b, ",\"source\":\"%s\",\"confidence\":",
                             rec[k].source == CRM_REC_RULE ? "rule" : "popularity");
            crm__sbuf_json_num(&b, rec[k].confidence);
            crm__sbuf_puts(&b, ",\"lift\":");
            crm__sbuf_json_num(&b, rec[k].lift);
            crm__sbuf_printf(&b, ",\"count\":%lld", (long long)rec[k].count);
            if (rec[k].source == CRM_REC_RULE && rec[k].rule >= 0) {
                crm_rule r;
                if (crm_rules_rule(m->rules, s, rec[k].rule, &r, NULL) == CRM_OK) {
                    crm__sbuf_puts(&b, ",\"rule\":{\"if\":[");
                    for (int32_t x = 0; x < r.n_lhs; x++) {
                        crm__sbuf_puts(&b, x ? "," : "");
                        crm__sbuf_json_str(&b, crm_rules_item_name(m->rules, r.lhs[x]));
                    }
                    crm__sbuf_puts(&b, "],\"then\":[");
                    for (int32_t x = 0; x < r.n_rhs; x++) {
                        crm__sbuf_puts(&b, x ? "," : "");
                        crm__sbuf_json_str(&b, crm_rules_item_name(m->rules, r.rhs[x]));
                    }
                    crm__sbuf_puts(&b, "]}");
                }
            }
            crm__sbuf_puts(&b, "}");
        }
        crm__sbuf_puts(&b, "]}");
    }
    crm__sbuf_puts(&b, "]}");
    crm_free(basket);
    crm_free(rec);
    json_decref(root);
    return crm__sbuf_take(&b, rc, out, err);
}

#else

crm_status crm__serve_parse_json(crm__serve_cols *c,
                                 crm_serve_format format,
                                 const void *body,
                                 size_t len,
                                 int64_t max_rows,
                                 crm_error *err)
{
    (void)c;
    (void)format;
    (void)body;
    (void)len;
    (void)max_rows;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "JSON requests need Jansson, which this build lacks");
}

crm_status crm__serve_recommend(const crm_serve_model *m,
                                const void *body,
                                size_t len,
                                int32_t max_top,
                                char **out,
                                crm_error *err)
{
    (void)m;
    (void)body;
    (void)len;
    (void)max_top;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "JSON requests need Jansson, which this build lacks");
}

#endif
