/* model.c: a servable model: load any crmkit model file, list its features, generate the
 * Acumos .proto and metadata, score a table. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/kmeans.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>

#include "core/core_internal.h"
#include "serve_internal.h"

crm_status crm__serve_fail(crm_error *err, crm_status code, const char *field, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        crm_error_clear(err);
        err->code = code;
        if (field != NULL) {
            snprintf(err->field, sizeof err->field, "%s", field);
        }
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- JSON into a text buffer ---- */

void crm__sbuf_json_str(crm__sbuf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t start = 0;
    size_t i;
    crm__sbuf_put(b, "\"", 1);
    for (i = 0; u[i] != '\0'; i++) {
        if (u[i] < 0x20 || u[i] == '"' || u[i] == '\\') {
            char esc[8];
            crm__sbuf_put(b, (const char *)u + start, i - start);
            if (u[i] == '"' || u[i] == '\\') {
                esc[0] = '\\';
                esc[1] = (char)u[i];
                esc[2] = '\0';
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", u[i]);
            }
            crm__sbuf_puts(b, esc);
            start = i + 1;
        }
    }
    crm__sbuf_put(b, (const char *)u + start, i - start);
    crm__sbuf_put(b, "\"", 1);
}

/* m / 10^d in decimal, m's sign kept ("-12.05"). */
static void put_scaled(crm__sbuf *b, long long m, int d)
{
    char tmp[40];
    char *e = tmp + sizeof tmp;
    char *p = e;
    unsigned long long u = m < 0 ? 0ULL - (unsigned long long)m : (unsigned long long)m;
    int digits = 0;
    do {
        if (digits == d && d > 0) {
            *--p = '.';
        }
        *--p = (char)('0' + u % 10);
        u /= 10;
        digits++;
    } while (u > 0 || digits <= d);
    if (m < 0) {
        *--p = '-';
    }
    crm__sbuf_put(b, p, (size_t)(e - p));
}

void crm__sbuf_json_num(crm__sbuf *b, double v)
{
    static const double p10[5] = { 1, 10, 100, 1000, 10000 };
    char tmp[40];
    if (!isfinite(v)) {
        crm__sbuf_puts(b, "null");
        return;
    }
    /* Short decimals (counts, money, minutes) without printf: when m = v * 10^d rounded is
     * exact and m / 10^d gives back v (a correctly rounded division of exact integers), the
     * decimal text of m / 10^d reads back as v. */
    if (fabs(v) < 1e15) {
        for (int d = 0; d < 5; d++) {
            double m = nearbyint(v * p10[d]);
            if (fabs(m) < 9007199254740992.0 && m / p10[d] == v) {
                if (m == 0 && signbit(v)) {
                    break; /* -0: printf below */
                }
                put_scaled(b, (long long)m, d);
                return;
            }
        }
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) {
            break;
        }
    }
    crm__sbuf_puts(b, tmp);
}

crm_status crm__sbuf_take(crm__sbuf *b, crm_status rc, char **out, crm_error *err)
{
    if (rc == CRM_OK && b->failed) {
        rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    if (rc != CRM_OK) {
        crm__sbuf_fini(b);
        return rc;
    }
    *out = b->p;
    return CRM_OK;
}

/* ---- names ---- */

static char *proto_ident(const char *name)
{
    size_t n = strlen(name);
    char *s = crm_malloc(n + 2);
    size_t o = 0;
    if (s == NULL) {
        return NULL;
    }
    if (n == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_')) {
        s[o++] = '_';
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        s[o++] = (char)(isalnum(ch) || ch == '_' ? ch : '_');
    }
    s[o] = '\0';
    return s;
}

/* protobuf's JSON name: underscores dropped, the letter after one upper-cased. */
static char *camel(const char *ident)
{
    char *s = crm_malloc(strlen(ident) + 1);
    size_t o = 0;
    int up = 0;
    if (s == NULL) {
        return NULL;
    }
    for (const char *p = ident; *p; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        s[o++] = up ? (char)toupper((unsigned char)*p) : *p;
        up = 0;
    }
    s[o] = '\0';
    return s;
}

int32_t crm__serve_find_feature(const crm_serve_model *m, const char *name, size_t len)
{
    for (int32_t f = 0; f < m->n_features; f++) {
        const crm__serve_feature *ft = &m->features[f];
        const char *cand[3] = { ft->name, ft->proto_name, ft->json_name };
        for (int i = 0; i < 3; i++) {
            if (strlen(cand[i]) == len && memcmp(cand[i], name, len) == 0) {
                return f;
            }
        }
    }
    return -1;
}

const char *crm_serve_kind_name(crm_serve_kind k)
{
    switch (k) {
    case CRM_SERVE_SEGMENTATION:
        return "segmentation";
    case CRM_SERVE_CLASSIFIER:
        return "classifier";
    case CRM_SERVE_RULES:
        return "rules";
    case CRM_SERVE_TWOLAYER:
        return "twolayer";
    }
    return "?";
}

/* ---- loading ---- */

static crm_status read_file(const char *path, uint8_t **data, size_t *len, crm_error *err)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;
    if (fp == NULL) {
        crm_status code = errno == ENOENT ? CRM_ENOTFOUND : CRM_EIO;
        crm__serve_fail(err, code, NULL, "cannot open: %s", strerror(errno));
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return code;
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        crm__serve_fail(err, CRM_EIO, NULL, "not a regular file");
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return CRM_EIO;
    }
    buf = crm_malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (buf == NULL) {
        fclose(fp);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory reading %s", path);
    }
    if (fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
        crm_free(buf);
        fclose(fp);
        crm__serve_fail(err, CRM_EIO, NULL, "read failed");
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return CRM_EIO;
    }
    fclose(fp);
    *data = buf;
    *len = (size_t)st.st_size;
    return CRM_OK;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A two-layer model's inputs are the table columns it reads (crm_twolayer_inputs): the
 * inputs of its derived columns, the columns of its rules, every group's layer-2 features. */
static crm_status twolayer_features(crm_serve_model *m, crm_error *err)
{
    int32_t n = crm_twolayer_inputs(m->tl, NULL, NULL, 0);
    const char **names = n > 0 ? crm_mallocarray((size_t)n, sizeof *names) : NULL;
    int *text = n > 0 ? crm_mallocarray((size_t)n, sizeof *text) : NULL;
    crm_status rc = CRM_OK;
    if (n < 0 || (n > 0 && (names == NULL || text == NULL))) {
        rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    } else if (n == 0) {
        rc = crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                             "this two-layer model reads no input column");
    } else {
        (void)crm_twolayer_inputs(m->tl, names, text, n);
        m->features = crm_calloc((size_t)n, sizeof *m->features);
        if (m->features == NULL) {
            rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        for (int32_t f = 0; rc == CRM_OK && f < n; f++) {
            crm__serve_feature *ft = &m->features[m->n_features++];
            ft->name = crm_strdup(names[f]);
            ft->is_text = text[f];
            if (ft->name == NULL) {
                rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
        }
    }
    crm_free(names);
    crm_free(text);
    return rc;
}

static crm_status add_features(crm_serve_model *m, crm_error *err)
{
    int32_t n = 0;
    if (m->kind == CRM_SERVE_TWOLAYER) {
        crm_status rc = twolayer_features(m, err);
        for (int32_t f = 0; rc == CRM_OK && f < m->n_features; f++) {
            crm__serve_feature *ft = &m->features[f];
            ft->proto_name = proto_ident(ft->name);
            ft->json_name = ft->proto_name ? camel(ft->proto_name) : NULL;
            if (ft->proto_name == NULL || ft->json_name == NULL) {
                rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
        }
        if (rc == CRM_OK && m->features == NULL) {
            m->features = crm_calloc(1, sizeof *m->features);
            rc = m->features ? CRM_OK : crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        return rc;
    }
    if (m->kind == CRM_SERVE_SEGMENTATION) {
        n = crm_prep_n_features(crm_segmenter_prep(m->seg));
    } else if (m->kind == CRM_SERVE_CLASSIFIER) {
        n = crm_classifier_n_features(m->clf);
    }
    m->n_features = n;
    m->features = crm_calloc(n > 0 ? (size_t)n : 1, sizeof *m->features);
    if (m->features == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int32_t f = 0; f < n; f++) {
        crm__serve_feature *ft = &m->features[f];
        const char *name;
        crm_col_type type;
        if (m->kind == CRM_SERVE_SEGMENTATION) {
            const crm_prep *prep = crm_segmenter_prep(m->seg);
            name = crm_prep_feature_name(prep, f);
            type = crm_prep_feature_type(prep, f);
        } else {
            name = crm_classifier_feature_name(m->clf, f);
            type = crm_classifier_feature_type(m->clf, f);
        }
        ft->name = crm_strdup(name);
        ft->proto_name = proto_ident(name);
        ft->json_name = ft->proto_name ? camel(ft->proto_name) : NULL;
        ft->is_text = type != CRM_COL_NUMERIC;
        if (ft->name == NULL || ft->proto_name == NULL || ft->json_name == NULL) {
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
    }
    return CRM_OK;
}

static crm_status add_outputs(crm_serve_model *m, crm_error *err)
{
    int32_t n = 0;
    if (m->kind == CRM_SERVE_TWOLAYER) {
        int32_t ng = crm_twolayer_n_groups(m->tl);
        m->tl_first = crm_calloc((size_t)ng + 1, sizeof *m->tl_first);
        if (m->tl_first == NULL) {
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        for (int32_t g = 0; g < ng; g++) {
            m->tl_first[g + 1] = m->tl_first[g] + crm_twolayer_group_k(m->tl, g);
        }
        n = m->tl_first[ng];
        m->out_names = crm_calloc(n > 0 ? (size_t)n : 1, sizeof *m->out_names);
        if (m->out_names == NULL) {
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        for (int32_t g = 0; g < ng; g++) {
            for (int32_t k = 0; k < crm_twolayer_group_k(m->tl, g); k++) {
                char buf[512];
                m->out_names[m->tl_first[g] + k] =
                    crm_strdup(crm_twolayer_segment_label(m->tl, g, k, buf, sizeof buf));
                if (m->out_names[m->tl_first[g] + k] == NULL) {
                    return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
                }
            }
        }
    } else if (m->kind == CRM_SERVE_SEGMENTATION) {
        n = crm_segmenter_k(m->seg);
    } else if (m->kind == CRM_SERVE_CLASSIFIER) {
        n = crm_classifier_n_classes(m->clf);
    }
    m->n_outputs = n;
    m->pred_values = crm_calloc(n > 0 ? (size_t)n : 1, sizeof *m->pred_values);
    if (m->pred_values == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int32_t i = 0; i < n; i++) {
        m->pred_values[i] = i;
        if (m->kind == CRM_SERVE_CLASSIFIER) {
            const char *s = crm_classifier_class_name(m->clf, i);
            char *end;
            long long v;
            errno = 0;
            v = strtoll(s, &end, 10);
            if (*s != '\0' && *end == '\0' && errno == 0) {
                m->pred_values[i] = v;
            }
        }
    }
    return CRM_OK;
}

/* Scaled input: every feature numeric and mapped to exactly one design column. */
static crm_status add_scaled(crm_serve_model *m, crm_error *err)
{
    const crm_prep *prep;
    int32_t n_out;
    m->scaled_ok = 0;
    if (m->kind != CRM_SERVE_SEGMENTATION) {
        return CRM_OK;
    }
    prep = crm_segmenter_prep(m->seg);
    n_out = crm_prep_n_out(prep);
    if (n_out != m->n_features) {
        return CRM_OK;
    }
    m->scaled_col = crm_calloc((size_t)n_out, sizeof *m->scaled_col);
    if (m->scaled_col == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int32_t j = 0; j < n_out; j++) {
        int32_t f = crm_prep_out_feature(prep, j);
        if (f < 0 || f >= m->n_features || m->features[f].is_text) {
            return CRM_OK;
        }
        m->scaled_col[f] = j;
    }
    m->scaled_ok = 1;
    return CRM_OK;
}

static crm_status make_proto(crm_serve_model *m, crm_error *err)
{
    crm__sbuf b;
    crm__sbuf_init(&b);
    crm__sbuf_printf(&b,
                     "// Generated by crmkit %s from model \"%s\" (%s, version %s).\n"
                     "syntax = \"proto3\";\n\nmessage DataFrame {\n",
                     CRMKIT_VERSION_STRING, m->name, crm_serve_kind_name(m->kind), m->version);
    for (int32_t f = 0; f < m->n_features; f++) {
        crm__sbuf_printf(&b, "  repeated %s %s = %d;\n",
                         m->features[f].is_text ? "string" : "double", m->features[f].proto_name,
                         (int)f + 1);
    }
    crm__sbuf_puts(&b, "}\n\nmessage Predictions {\n  repeated int64 predictions = 1;\n}\n\n"
                       "service Model {\n  rpc classify (DataFrame) returns (Predictions);\n}\n");
    return crm__sbuf_take(&b, CRM_OK, &m->proto_text, err);
}

static crm_status make_metadata(crm_serve_model *m, crm_error *err)
{
    crm__sbuf b;
    char when[64];
    time_t t = (time_t)m->loaded_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"schema\":\"crmkit/model-metadata/1\",\"name\":");
    crm__sbuf_json_str(&b, m->name);
    crm__sbuf_puts(&b, ",\"kind\":");
    crm__sbuf_json_str(&b, crm_serve_kind_name(m->kind));
    crm__sbuf_printf(&b, ",\"version\":\"%s\",\"loaded_at\":\"%s\",\"file\":", m->version, when);
    crm__sbuf_json_str(&b, m->path);
    crm__sbuf_printf(&b, ",\"runtime\":{\"name\":\"crmkit\",\"version\":\"%s\"}",
                     CRMKIT_VERSION_STRING);
    crm__sbuf_puts(&b, ",\"methods\":{\"classify\":{\"input\":\"DataFrame\","
                       "\"output\":\"Predictions\"}},\"features\":[");
    for (int32_t f = 0; f < m->n_features; f++) {
        crm__sbuf_puts(&b, f ? ",{\"name\":" : "{\"name\":");
        crm__sbuf_json_str(&b, m->features[f].name);
        crm__sbuf_puts(&b, ",\"proto_name\":");
        crm__sbuf_json_str(&b, m->features[f].proto_name);
        crm__sbuf_printf(&b, ",\"type\":\"%s\"}", m->features[f].is_text ? "string" : "double");
    }
    crm__sbuf_puts(&b, "]");
    if (m->kind != CRM_SERVE_RULES) {
        crm__sbuf_puts(&b, m->kind == CRM_SERVE_CLASSIFIER ? ",\"classes\":[" : ",\"segments\":[");
        for (int32_t i = 0; i < m->n_outputs; i++) {
            crm__sbuf_printf(&b, "%s{\"prediction\":%lld,\"name\":", i ? "," : "",
                             (long long)m->pred_values[i]);
            crm__sbuf_json_str(&b, crm_serve_model_output_name(m, i));
            crm__sbuf_puts(&b, "}");
        }
        crm__sbuf_puts(&b, "]");
        crm__sbuf_printf(&b, ",\"scaled_input\":%s", m->scaled_ok ? "true" : "false");
    }
    if (m->kind == CRM_SERVE_CLASSIFIER) {
        crm__sbuf_puts(&b, ",\"target\":");
        crm__sbuf_json_str(&b, crm_classifier_target(m->clf));
        crm__sbuf_puts(&b, ",\"algorithm\":");
        crm__sbuf_json_str(&b, crm_clf_algo_name(crm_classifier_algo(m->clf)));
    }
    if (m->kind == CRM_SERVE_RULES) {
        crm__sbuf_printf(&b, ",\"items\":%d,\"sets\":[", (int)crm_rules_n_items(m->rules));
        for (int32_t s = 0; s < crm_rules_n_sets(m->rules); s++) {
            crm__sbuf_puts(&b, s ? "," : "");
            crm__sbuf_json_str(&b, crm_rules_set_name(m->rules, s));
        }
        crm__sbuf_puts(&b, "]");
    }
    crm__sbuf_puts(&b, "}");
    return crm__sbuf_take(&b, CRM_OK, &m->metadata, err);
}

crm_status
crm_serve_model_load(const char *name, const char *path, crm_serve_model **out, crm_error *err)
{
    crm_serve_model *m;
    crm_model_reader *r = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    crm_status rc;
    struct timespec now;
    *out = NULL;
    rc = read_file(path, &data, &len, err);
    if (rc != CRM_OK) {
        return rc;
    }
    m = crm_calloc(1, sizeof *m);
    if (m == NULL) {
        crm_free(data);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    m->name = crm_strdup(name);
    m->path = crm_strdup(path);
    snprintf(m->version, sizeof m->version, "%016llx", (unsigned long long)fnv1a(data, len));
    clock_gettime(CLOCK_REALTIME, &now);
    m->loaded_at = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
    atomic_init(&m->refs, 1);
    rc = m->name && m->path ? CRM_OK : crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    if (rc == CRM_OK) {
        rc = crm_model_reader_open_mem(data, len, path, &r, err);
    }
    if (rc == CRM_OK) {
        const char *kind = crm_model_reader_kind(r);
        if (strcmp(kind, "segmentation") == 0) {
            m->kind = CRM_SERVE_SEGMENTATION;
            rc = crm_segmenter_read(r, &m->seg, err);
        } else if (strcmp(kind, "classifier") == 0) {
            m->kind = CRM_SERVE_CLASSIFIER;
            rc = crm_classifier_load_reader(r, &m->clf, err);
        } else if (strcmp(kind, CRM_TWOLAYER_KIND) == 0) {
            m->kind = CRM_SERVE_TWOLAYER;
            rc = crm_twolayer_read(r, &m->tl, err);
        } else if (strcmp(kind, "rules") == 0) {
            m->kind = CRM_SERVE_RULES;
            rc = crm_rules_load_mem(data, len, path, &m->rules, err);
        } else {
            rc = crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                                 "a model of kind \"%s\" cannot be served", kind);
            if (err) {
                snprintf(err->source, sizeof err->source, "%s", path);
            }
        }
    }
    crm_model_reader_free(r);
    crm_free(data);
    if (rc == CRM_OK) {
        rc = add_features(m, err);
    }
    if (rc == CRM_OK) {
        rc = add_outputs(m, err);
    }
    if (rc == CRM_OK) {
        rc = add_scaled(m, err);
    }
    if (rc == CRM_OK) {
        rc = make_proto(m, err);
    }
    if (rc == CRM_OK) {
        rc = make_metadata(m, err);
    }
    if (rc == CRM_OK) {
        rc = crm__serve_pb_init(m, err);
    }
    if (rc != CRM_OK) {
        crm_serve_model_free(m);
        return rc;
    }
    *out = m;
    return CRM_OK;
}

void crm_serve_model_free(crm_serve_model *m)
{
    if (m == NULL) {
        return;
    }
    crm__serve_pb_fini(m);
    for (int32_t f = 0; f < m->n_features && m->features; f++) {
        crm_free(m->features[f].name);
        crm_free(m->features[f].proto_name);
        crm_free(m->features[f].json_name);
    }
    crm_free(m->features);
    crm_free(m->pred_values);
    crm_free(m->scaled_col);
    crm_free(m->proto_text);
    crm_free(m->metadata);
    crm_segmenter_free(m->seg);
    crm_classifier_free(m->clf);
    crm_rules_free(m->rules);
    crm_twolayer_free(m->tl);
    for (int32_t i = 0; m->out_names && i < m->n_outputs; i++) {
        crm_free(m->out_names[i]);
    }
    crm_free(m->out_names);
    crm_free(m->tl_first);
    crm_free(m->name);
    crm_free(m->path);
    crm_free(m);
}

const char *crm_serve_model_name(const crm_serve_model *m)
{
    return m->name;
}

const char *crm_serve_model_path(const crm_serve_model *m)
{
    return m->path;
}

crm_serve_kind crm_serve_model_kind(const crm_serve_model *m)
{
    return m->kind;
}

const char *crm_serve_model_version(const crm_serve_model *m)
{
    return m->version;
}

int32_t crm_serve_model_n_features(const crm_serve_model *m)
{
    return m->n_features;
}

const char *crm_serve_model_feature(const crm_serve_model *m, int32_t f)
{
    return f >= 0 && f < m->n_features ? m->features[f].name : NULL;
}

int crm_serve_model_feature_is_text(const crm_serve_model *m, int32_t f)
{
    return f >= 0 && f < m->n_features ? m->features[f].is_text : 0;
}

const char *crm_serve_model_proto(const crm_serve_model *m)
{
    return m->proto_text;
}

const char *crm_serve_model_metadata(const crm_serve_model *m)
{
    return m->metadata;
}

int32_t crm_serve_model_n_outputs(const crm_serve_model *m)
{
    return m->n_outputs;
}

const char *crm_serve_model_output_name(const crm_serve_model *m, int32_t i)
{
    if (i < 0 || i >= m->n_outputs) {
        return NULL;
    }
    if (m->kind == CRM_SERVE_SEGMENTATION) {
        return crm_profile_name(crm_segmenter_profile(m->seg), i);
    }
    if (m->kind == CRM_SERVE_TWOLAYER) {
        return m->out_names[i];
    }
    return crm_classifier_class_name(m->clf, i);
}

int64_t crm_serve_model_prediction(const crm_serve_model *m, int32_t label)
{
    return label >= 0 && label < m->n_outputs ? m->pred_values[label] : -1;
}

/* ---- scoring ---- */

static crm_status
score_scaled(const crm_serve_model *m, const crm_table *t, int32_t *labels, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    crm_matrix x;
    crm_status rc = crm_matrix_init(&x, n, m->n_features, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int32_t f = 0; f < m->n_features; f++) {
        int32_t j = crm_table_find_col(t, m->features[f].name);
        const double *v = j >= 0 ? crm_table_numeric(t, j) : NULL;
        if (v == NULL) {
            crm_matrix_fini(&x);
            return crm__serve_fail(err, CRM_ENOTFOUND, m->features[f].name,
                                   "no numeric column \"%s\"", m->features[f].name);
        }
        for (int64_t i = 0; i < n; i++) {
            x.data[i * x.ld + m->scaled_col[f]] = v[i];
        }
    }
    rc = crm_kmeans_assign(crm_segmenter_kmeans(m->seg), &x, labels, NULL, err);
    crm_matrix_fini(&x);
    return rc;
}

crm_status crm_serve_score(const crm_serve_model *m,
                           const crm_table *t,
                           int scaled,
                           int32_t *labels,
                           double *proba,
                           crm_error *err)
{
    if (m->kind == CRM_SERVE_RULES) {
        return crm__serve_fail(err, CRM_EINVAL, NULL,
                               "model \"%s\" holds rules: it recommends, it does not score",
                               m->name);
    }
    if (scaled && !m->scaled_ok) {
        return crm__serve_fail(err, CRM_EINVAL, NULL,
                               "model \"%s\" cannot take scaled input (scaled=1 needs a "
                               "segmentation model of numeric features without outlier flags)",
                               m->name);
    }
    if (m->kind == CRM_SERVE_TWOLAYER) {
        int64_t n = crm_table_n_rows(t);
        int32_t *l1 = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *l1);
        crm_status rc = l1 ? crm_twolayer_assign(m->tl, t, l1, labels, err)
                           : crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
            labels[i] = l1[i] >= 0 && l1[i] < crm_twolayer_n_groups(m->tl) && labels[i] >= 0
                            ? m->tl_first[l1[i]] + labels[i]
                            : -1;
        }
        crm_free(l1);
        return rc;
    }
    if (m->kind == CRM_SERVE_SEGMENTATION) {
        if (scaled) {
            return score_scaled(m, t, labels, err);
        }
        return crm_segmenter_assign(m->seg, t, labels, NULL, NULL, err);
    }
    {
        int64_t n = crm_table_n_rows(t);
        int32_t k = m->n_outputs;
        double *p = proba;
        crm_status rc;
        if (p == NULL) {
            p = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)k, sizeof *p);
            if (p == NULL) {
                return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
        }
        rc = crm_classifier_predict_proba(m->clf, t, p, NULL, err);
        for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
            int32_t best = 0;
            for (int32_t c = 1; c < k; c++) {
                if (p[i * k + c] > p[i * k + best]) {
                    best = c;
                }
            }
            labels[i] = best;
        }
        if (p != proba) {
            crm_free(p);
        }
        return rc;
    }
}
