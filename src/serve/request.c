/* request.c: a request's columns, checked and turned into a table; crm_serve_parse. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "serve_internal.h"

crm_status crm__serve_cols_init(crm__serve_cols *c, const crm_serve_model *m, crm_error *err)
{
    size_t n = m->n_features > 0 ? (size_t)m->n_features : 1;
    c->m = m;
    c->n_rows = -1;
    c->num = crm_calloc(n, sizeof *c->num);
    c->txt = crm_calloc(n, sizeof *c->txt);
    c->len = crm_calloc(n, sizeof *c->len);
    if (c->num == NULL || c->txt == NULL || c->len == NULL) {
        crm__serve_cols_fini(c);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    return CRM_OK;
}

void crm__serve_cols_fini(crm__serve_cols *c)
{
    for (int32_t f = 0; c->m && f < c->m->n_features; f++) {
        if (c->num) {
            crm_free(c->num[f]);
        }
        if (c->txt && c->txt[f]) {
            for (int64_t i = 0; i < c->n_rows; i++) {
                crm_free(c->txt[f][i]);
            }
            crm_free(c->txt[f]);
        }
    }
    crm_free(c->num);
    crm_free(c->txt);
    crm_free(c->len);
    c->num = NULL;
    c->txt = NULL;
    c->len = NULL;
}

crm_status crm__serve_cols_column(crm__serve_cols *c, int32_t f, int64_t n, int64_t max_rows,
                                  crm_error *err)
{
    const crm__serve_feature *ft = &c->m->features[f];
    if (c->num[f] != NULL || c->txt[f] != NULL) {
        return crm__serve_fail(err, CRM_EDATA, ft->name, "feature \"%s\" given twice", ft->name);
    }
    if (c->n_rows < 0) {
        if (max_rows > 0 && n > max_rows) {
            return crm__serve_fail(err, CRM_ELIMIT, NULL,
                                   "%lld rows in one request; the limit is %lld", (long long)n,
                                   (long long)max_rows);
        }
        c->n_rows = n;
    } else if (n != c->n_rows) {
        return crm__serve_fail(err, CRM_EDATA, ft->name,
                               "columns of unequal length: \"%s\" has %lld values, an earlier "
                               "column %lld",
                               ft->name, (long long)n, (long long)c->n_rows);
    }
    if (ft->is_text) {
        c->txt[f] = crm_calloc(n > 0 ? (size_t)n : 1, sizeof **c->txt);
    } else {
        c->num[f] = crm_calloc(n > 0 ? (size_t)n : 1, sizeof **c->num);
    }
    if (c->num[f] == NULL && c->txt[f] == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    return CRM_OK;
}

crm_status crm__serve_cols_table(crm__serve_cols *c, crm_table **out, crm_error *err)
{
    const crm_serve_model *m = c->m;
    crm_table *t = NULL;
    crm_status rc;
    *out = NULL;
    for (int32_t f = 0; f < m->n_features; f++) {
        const crm__serve_feature *ft = &m->features[f];
        if (c->num[f] == NULL && c->txt[f] == NULL) {
            return crm__serve_fail(err, CRM_EDATA, ft->name, "missing feature \"%s\"", ft->name);
        }
        for (int64_t i = 0; c->num[f] && i < c->n_rows; i++) {
            if (!isfinite(c->num[f][i])) {
                return crm__serve_fail(err, CRM_EDATA, ft->name,
                                       "feature \"%s\", row %lld: %s value", ft->name,
                                       (long long)i, isnan(c->num[f][i]) ? "NaN" : "infinite");
            }
        }
        for (int64_t i = 0; c->txt[f] && i < c->n_rows; i++) {
            if (c->txt[f][i] == NULL) {
                return crm__serve_fail(err, CRM_EDATA, ft->name,
                                       "feature \"%s\", row %lld: missing value", ft->name,
                                       (long long)i);
            }
        }
    }
    if (c->n_rows <= 0) {
        return crm__serve_fail(err, CRM_EDATA, NULL, "no rows to score");
    }
    rc = crm_table_new(c->n_rows, "request", &t, err);
    for (int32_t f = 0; rc == CRM_OK && f < m->n_features; f++) {
        if (c->num[f]) {
            rc = crm_table_add_numeric(t, m->features[f].name, c->num[f], err);
        } else {
            rc = crm_table_add_text(t, m->features[f].name, CRM_COL_CATEGORICAL,
                                    (const char *const *)c->txt[f], err);
        }
    }
    if (rc != CRM_OK) {
        crm_table_free(t);
        return rc;
    }
    *out = t;
    return CRM_OK;
}

/* text/csv: read with the library's CSV reader, then take each feature by name. */
static crm_status parse_csv(crm__serve_cols *c, const void *body, size_t len, int64_t max_rows,
                            crm_error *err)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_status rc;
    int64_t n;
    opt.n_threads = 1;
    if (max_rows > 0) {
        opt.max_rows = max_rows + 1;
    }
    rc = crm_table_read_csv_mem(body, len, "request body", &opt, &t, err);
    if (rc != CRM_OK) {
        return rc == CRM_ENOTFOUND ? CRM_EPARSE : rc;
    }
    n = crm_table_n_rows(t);
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        const char *name = crm_table_col_name(t, j);
        if (crm__serve_find_feature(c->m, name, strlen(name)) < 0) {
            crm_table_free(t);
            return crm__serve_fail(err, CRM_EDATA, name, "unknown feature \"%s\"", name);
        }
    }
    for (int32_t f = 0; rc == CRM_OK && f < c->m->n_features; f++) {
        const crm__serve_feature *ft = &c->m->features[f];
        int32_t j = crm_table_find_col(t, ft->name);
        if (j < 0) {
            j = crm_table_find_col(t, ft->proto_name);
        }
        if (j < 0) {
            j = crm_table_find_col(t, ft->json_name);
        }
        if (j < 0) {
            continue; /* reported as missing by crm__serve_cols_table */
        }
        rc = crm__serve_cols_column(c, f, n, max_rows, err);
        if (rc != CRM_OK) {
            break;
        }
        if (ft->is_text) {
            for (int64_t i = 0; i < n && rc == CRM_OK; i++) {
                char buf[1024];
                crm_table_cell_text(t, i, j, buf, (int32_t)sizeof buf);
                if (buf[0] != '\0') {
                    c->txt[f][i] = crm_strdup(buf);
                    if (c->txt[f][i] == NULL) {
                        rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
                    }
                }
            }
        } else {
            const double *v = crm_table_numeric(t, j);
            if (v == NULL) {
                rc = crm__serve_fail(err, CRM_EDATA, ft->name,
                                     "feature \"%s\" must be numeric", ft->name);
            } else {
                memcpy(c->num[f], v, (size_t)n * sizeof *v);
            }
        }
    }
    crm_table_free(t);
    return rc;
}

crm_status crm_serve_parse(const crm_serve_model *m, crm_serve_format format, const void *body,
                           size_t len, int64_t max_rows, crm_table **out, crm_error *err)
{
    crm__serve_cols c;
    crm_status rc;
    *out = NULL;
    if (m->kind == CRM_SERVE_RULES) {
        return crm__serve_fail(err, CRM_EINVAL, NULL, "model \"%s\" holds rules, not features",
                               m->name);
    }
    rc = crm__serve_cols_init(&c, m, err);
    if (rc != CRM_OK) {
        return rc;
    }
    switch (format) {
    case CRM_SERVE_PROTOBUF:
        rc = crm__serve_parse_protobuf(&c, body, len, max_rows, err);
        break;
    case CRM_SERVE_CSV:
        rc = parse_csv(&c, body, len, max_rows, err);
        break;
    case CRM_SERVE_JSON:
    case CRM_SERVE_ROWS:
    case CRM_SERVE_MLFLOW:
        rc = crm__serve_parse_json(&c, format, body, len, max_rows, err);
        break;
    default:
        rc = crm__serve_fail(err, CRM_EINVAL, NULL, "unknown request format %d", (int)format);
    }
    if (rc == CRM_OK) {
        rc = crm__serve_cols_table(&c, out, err);
    }
    crm__serve_cols_fini(&c);
    return rc;
}
