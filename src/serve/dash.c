/* dash.c: the data behind the dashboard: the typed copy of the customers that `crmkit load`
 * writes for it, the overview's aggregates, and filtered, sorted pages and CSV exports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "dash_internal.h"

#if CRM_HAVE_SQLITE
#include <sqlite3.h>

static crm_status sql_err(crm_error *err, sqlite3 *db, const char *what)
{
    return crm__serve_fail(err, CRM_EIO, NULL, "%s: %s", what,
                           db ? sqlite3_errmsg(db) : "no database");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- writing, at load time ---- */

static crm_status write_meta(sqlite3 *db, const char *key, const char *value, crm_error *err)
{
    sqlite3_stmt *st = NULL;
    crm_status rc = CRM_OK;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?,?)", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = sql_err(err, db, "cannot write the dashboard's aggregates");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Size and mean risk per segment, and the 101 percentiles of the risk (nearest rank). */
static crm_status
write_aggregates(sqlite3 *db, int64_t n, const int64_t *segment, const double *risk, crm_error *err)
{
    int64_t k = 0;
    int64_t n_risk = 0;
    int64_t *size;
    double *sum;
    int64_t *n_scored;
    double *sorted;
    crm__sbuf b;
    crm_status rc;
    for (int64_t i = 0; i < n; i++) {
        k = segment[i] >= k ? segment[i] + 1 : k;
        n_risk += isfinite(risk[i]) != 0;
    }
    size = crm_calloc((size_t)k + 1, sizeof *size);
    sum = crm_calloc((size_t)k + 1, sizeof *sum);
    n_scored = crm_calloc((size_t)k + 1, sizeof *n_scored);
    sorted = crm_mallocarray((size_t)n_risk + 1, sizeof *sorted);
    crm__sbuf_init(&b);
    if (size == NULL || sum == NULL || n_scored == NULL || sorted == NULL) {
        rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        goto done;
    }
    n_risk = 0;
    for (int64_t i = 0; i < n; i++) {
        if (segment[i] >= 0) {
            size[segment[i]]++;
            if (isfinite(risk[i])) {
                sum[segment[i]] += risk[i];
                n_scored[segment[i]]++;
            }
        }
        if (isfinite(risk[i])) {
            sorted[n_risk++] = risk[i];
        }
    }
    crm__sbuf_puts(&b, "[");
    for (int64_t s = 0; s < k; s++) {
        crm__sbuf_printf(&b, "%s{\"id\":%lld,\"size\":%lld,\"mean_risk\":", s ? "," : "",
                         (long long)s, (long long)size[s]);
        if (n_scored[s] > 0) {
            crm__sbuf_json_num(&b, sum[s] / (double)n_scored[s]);
        } else {
            crm__sbuf_puts(&b, "null");
        }
        crm__sbuf_puts(&b, "}");
    }
    crm__sbuf_puts(&b, "]");
    rc = b.failed ? crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory")
                  : write_meta(db, "dash_segments", b.p, err);
    b.len = 0;
    if (rc == CRM_OK && n_risk > 0) {
        qsort(sorted, (size_t)n_risk, sizeof *sorted, cmp_double);
        crm__sbuf_puts(&b, "[");
        for (int q = 0; q <= 100; q++) {
            int64_t at = (int64_t)((double)(n_risk - 1) * q / 100.0 + 0.5);
            crm__sbuf_puts(&b, q ? "," : "");
            crm__sbuf_json_num(&b, sorted[at]);
        }
        crm__sbuf_puts(&b, "]");
        rc = b.failed ? crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory")
                      : write_meta(db, "dash_risk_q", b.p, err);
    }
done:
    crm__sbuf_fini(&b);
    crm_free(size);
    crm_free(sum);
    crm_free(n_scored);
    crm_free(sorted);
    return rc;
}

/* The 0/1 column the deciles report: the one named, else the first numeric column whose
 * name holds "churn" (any case) and whose values are all 0, 1 or missing; -1 if none. */
static int32_t target_column(const crm_table *t, const char *name)
{
    if (name != NULL) {
        return crm_table_find_col(t, name);
    }
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        const double *v = crm_table_numeric(t, j);
        char lower[64];
        size_t len = strlen(crm_table_col_name(t, j));
        int binary = v != NULL;
        if (v == NULL || len >= sizeof lower) {
            continue;
        }
        for (size_t c = 0; c <= len; c++) {
            char ch = crm_table_col_name(t, j)[c];
            lower[c] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        for (int64_t i = 0; binary && i < crm_table_n_rows(t); i++) {
            binary = isnan(v[i]) || v[i] == 0.0 || v[i] == 1.0;
        }
        if (binary && strstr(lower, "churn") != NULL) {
            return j;
        }
    }
    return -1;
}

typedef struct ranked {
    double risk;
    int64_t row;
} ranked;

static int cmp_ranked_desc(const void *a, const void *b)
{
    const ranked *x = a;
    const ranked *y = b;
    if (x->risk != y->risk) {
        return x->risk < y->risk ? 1 : -1;
    }
    return (x->row > y->row) - (x->row < y->row);
}

/* The gains table: customers with a risk ranked riskiest first, cut into ten deciles; each
 * with its risk range and, when there is a target column, the rate of the target. */
static crm_status
write_gains(sqlite3 *db, const crm_table *t, const crm__dash_side *ds, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t tc = target_column(t, ds->target);
    const double *y = tc >= 0 ? crm_table_numeric(t, tc) : NULL;
    ranked *r = crm_mallocarray((size_t)n + 1, sizeof *r);
    int64_t m = 0;
    double pos_all = 0.0;
    int64_t n_all = 0;
    crm__sbuf b;
    crm_status rc;
    if (ds->target != NULL && (tc < 0 || y == NULL)) {
        crm_free(r);
        return crm__serve_fail(err, CRM_EDATA, "target", "no numeric column \"%s\"", ds->target);
    }
    if (r == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        if (isfinite(ds->risk[i])) {
            r[m++] = (ranked){ ds->risk[i], i };
            if (y != NULL && !isnan(y[i])) {
                pos_all += y[i];
                n_all++;
            }
        }
    }
    if (m < 10) {
        crm_free(r);
        return CRM_OK;
    }
    qsort(r, (size_t)m, sizeof *r, cmp_ranked_desc);
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"target\":");
    if (tc >= 0) {
        crm__sbuf_json_str(&b, crm_table_col_name(t, tc));
    } else {
        crm__sbuf_puts(&b, "null");
    }
    crm__sbuf_puts(&b, ",\"overall_rate\":");
    crm__sbuf_json_num(&b, n_all > 0 ? pos_all / (double)n_all : (double)NAN);
    crm__sbuf_puts(&b, ",\"deciles\":[");
    for (int d = 0; d < 10; d++) {
        int64_t lo = m * d / 10;
        int64_t hi = m * (d + 1) / 10;
        double pos = 0.0;
        int64_t cnt = 0;
        for (int64_t i = lo; y != NULL && i < hi; i++) {
            if (!isnan(y[r[i].row])) {
                pos += y[r[i].row];
                cnt++;
            }
        }
        crm__sbuf_printf(&b, "%s{\"decile\":%d,\"customers\":%lld,\"max_risk\":", d ? "," : "",
                         d + 1, (long long)(hi - lo));
        crm__sbuf_json_num(&b, r[lo].risk);
        crm__sbuf_puts(&b, ",\"min_risk\":");
        crm__sbuf_json_num(&b, r[hi - 1].risk);
        crm__sbuf_puts(&b, ",\"rate\":");
        crm__sbuf_json_num(&b, cnt > 0 ? pos / (double)cnt : (double)NAN);
        crm__sbuf_puts(&b, "}");
    }
    crm__sbuf_puts(&b, "]}");
    rc = b.failed ? crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory")
                  : write_meta(db, "dash_gains", b.p, err);
    crm__sbuf_fini(&b);
    crm_free(r);
    return rc;
}

/* Customers by earlier and current segment (both known), as Sankey links. */
static crm_status
write_transitions(sqlite3 *db, int64_t n, const crm__dash_side *ds, crm_error *err)
{
    int64_t kp = 0;
    int64_t kc = 0;
    int64_t *flow;
    int first = 1;
    crm__sbuf b;
    crm_status rc;
    const char *base = strrchr(ds->prev_source, '/');
    for (int64_t i = 0; i < n; i++) {
        kp = ds->prev_segment[i] >= kp ? ds->prev_segment[i] + 1 : kp;
        kc = ds->segment[i] >= kc ? ds->segment[i] + 1 : kc;
    }
    if (kp > 4096 || kc > 4096) {
        return crm__serve_fail(err, CRM_ELIMIT, "segment",
                               "more than 4096 segments: no transitions table");
    }
    flow = crm_calloc((size_t)(kp * kc) + 1, sizeof *flow);
    if (flow == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        if (ds->prev_segment[i] >= 0 && ds->segment[i] >= 0) {
            flow[ds->prev_segment[i] * kc + ds->segment[i]]++;
        }
    }
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"from\":");
    crm__sbuf_json_str(&b, base ? base + 1 : ds->prev_source);
    crm__sbuf_puts(&b, ",\"flows\":[");
    for (int64_t a = 0; a < kp; a++) {
        for (int64_t c = 0; c < kc; c++) {
            char label[32];
            const char *name = label;
            if (flow[a * kc + c] == 0) {
                continue;
            }
            if (ds->prev_names != NULL && a < ds->n_prev_names && ds->prev_names[a] != NULL) {
                name = ds->prev_names[a];
            } else {
                snprintf(label, sizeof label, "segment %lld", (long long)a);
            }
            crm__sbuf_puts(&b, first ? "{\"source\":" : ",{\"source\":");
            first = 0;
            crm__sbuf_json_str(&b, name);
            crm__sbuf_printf(&b, ",\"source_id\":%lld,\"target_id\":%lld,\"value\":%lld}",
                             (long long)a, (long long)c, (long long)flow[a * kc + c]);
        }
    }
    crm__sbuf_puts(&b, "]}");
    rc = b.failed ? crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory")
                  : write_meta(db, "dash_transitions", b.p, err);
    crm__sbuf_fini(&b);
    crm_free(flow);
    return rc;
}

crm_status crm__dash_store_write(sqlite3 *db,
                                 const crm_table *t,
                                 int32_t id_col,
                                 const crm__dash_side *ds,
                                 crm_error *err)
{
    const int64_t *segment = ds->segment;
    const double *risk = ds->risk;
    int32_t nc = crm_table_n_cols(t);
    int64_t n = crm_table_n_rows(t);
    crm__sbuf sql;
    sqlite3_stmt *st = NULL;
    crm_status rc = CRM_OK;
    crm__sbuf_init(&sql);
    crm__sbuf_puts(&sql, "CREATE TABLE data(id TEXT NOT NULL, segment INTEGER, risk REAL");
    for (int32_t j = 0; j < nc; j++) {
        crm__sbuf_printf(&sql, ", c%d %s", (int)j,
                         crm_table_col_type(t, j) == CRM_COL_NUMERIC ? "REAL" : "TEXT");
    }
    crm__sbuf_puts(&sql, ", prev_segment INTEGER, services TEXT)");
    if (sql.failed) {
        crm__sbuf_fini(&sql);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    if (sqlite3_exec(db, sql.p, NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_err(err, db, "cannot create the dashboard's table");
    }
    sql.len = 0;
    crm__sbuf_puts(&sql, "INSERT INTO data VALUES(?,?,?");
    for (int32_t j = 0; j < nc; j++) {
        crm__sbuf_puts(&sql, ",?");
    }
    crm__sbuf_puts(&sql, ",?,?)");
    if (rc == CRM_OK && (sql.failed || sqlite3_prepare_v2(db, sql.p, -1, &st, NULL) != SQLITE_OK)) {
        rc = sql_err(err, db, "cannot fill the dashboard's table");
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        const int32_t *idc = crm_table_codes(t, id_col);
        char buf[64];
        if (idc != NULL) {
            sqlite3_bind_text(st, 1, crm_table_level(t, id_col, idc[i]), -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_text(st, 1, crm_table_cell_text(t, i, id_col, buf, sizeof buf), -1,
                              SQLITE_TRANSIENT);
        }
        if (segment[i] >= 0) {
            sqlite3_bind_int64(st, 2, segment[i]);
        } else {
            sqlite3_bind_null(st, 2);
        }
        if (isfinite(risk[i])) {
            sqlite3_bind_double(st, 3, risk[i]);
        } else {
            sqlite3_bind_null(st, 3);
        }
        for (int32_t j = 0; j < nc; j++) {
            const double *num = crm_table_numeric(t, j);
            if (num != NULL) {
                if (isfinite(num[i])) {
                    sqlite3_bind_double(st, 4 + j, num[i]);
                } else {
                    sqlite3_bind_null(st, 4 + j);
                }
            } else {
                int32_t code = crm_table_codes(t, j)[i];
                if (code >= 0) {
                    sqlite3_bind_text(st, 4 + j, crm_table_level(t, j, code), -1, SQLITE_STATIC);
                } else {
                    sqlite3_bind_null(st, 4 + j);
                }
            }
        }
        if (ds->prev_segment != NULL && ds->prev_segment[i] >= 0) {
            sqlite3_bind_int64(st, 4 + nc, ds->prev_segment[i]);
        } else {
            sqlite3_bind_null(st, 4 + nc);
        }
        if (ds->services != NULL && ds->services[i] != NULL) {
            sqlite3_bind_text(st, 5 + nc, ds->services[i], -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 5 + nc);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = sql_err(err, db, "cannot fill the dashboard's table");
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    crm__sbuf_fini(&sql);
    if (rc == CRM_OK &&
        sqlite3_exec(db, "CREATE INDEX data_id ON data(id)", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_err(err, db, "cannot index the dashboard's table");
    }
    if (rc == CRM_OK) {
        rc = write_aggregates(db, n, segment, risk, err);
    }
    if (rc == CRM_OK) {
        rc = write_gains(db, t, ds, err);
    }
    if (rc == CRM_OK && ds->prev_segment != NULL) {
        rc = write_transitions(db, n, ds, err);
    }
    return rc;
}

/* ---- reading, for the server ---- */

static char *meta_value(sqlite3 *db, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
        v = crm_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

static int64_t count_rows(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(rowid) FROM data", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* The start of an overview: the model's name, kind and k, its numeric features and the
 * population's means and standard deviations; leaves the "segments" array open. */
static void overview_head(crm__sbuf *b,
                          const crm_serve_model *m,
                          const char *kind,
                          int32_t k,
                          const crm_profile *pr,
                          int32_t nf)
{
    int first = 1;
    crm__sbuf_puts(b, "{\"model\":");
    crm__sbuf_json_str(b, m->name);
    crm__sbuf_printf(b, ",\"kind\":\"%s\",\"k\":%d,\"features\":[", kind, (int)k);
    for (int32_t f = 0; f < nf; f++) {
        if (!crm_profile_is_categorical(pr, f)) {
            crm__sbuf_puts(b, first ? "" : ",");
            crm__sbuf_json_str(b, crm_profile_feature(pr, f));
            first = 0;
        }
    }
    crm__sbuf_puts(b, "],\"population\":{\"mean\":[");
    for (int pass = 0; pass < 2; pass++) {
        first = 1;
        for (int32_t f = 0; f < nf; f++) {
            if (!crm_profile_is_categorical(pr, f)) {
                crm__sbuf_puts(b, first ? "" : ",");
                crm__sbuf_json_num(b, pass == 0 ? crm_profile_pop_mean(pr, f)
                                                : crm_profile_pop_sd(pr, f));
                first = 0;
            }
        }
        crm__sbuf_puts(b, pass == 0 ? "],\"sd\":[" : "]},\"segments\":[");
    }
}

static void overview_segmentation(crm__sbuf *b, const crm_serve_model *m, const char *sizes)
{
    const crm_profile *pr = crm_segmenter_profile(m->seg);
    int32_t k = crm_profile_k(pr);
    int32_t nf = crm_profile_n_features(pr);
    int first = 1;
    overview_head(b, m, "segmentation", k, pr, nf);
    for (int32_t s = 0; s < k; s++) {
        crm__sbuf_printf(b, "%s{\"id\":%d,\"name\":", s ? "," : "", (int)s);
        crm__sbuf_json_str(b, crm_profile_name(pr, s));
        crm__sbuf_printf(b, ",\"size\":%lld,\"share\":", (long long)crm_profile_size(pr, s));
        crm__sbuf_json_num(b, crm_profile_share(pr, s));
        crm__sbuf_puts(b, ",\"mean_risk\":null,\"profile\":[");
        first = 1;
        for (int32_t f = 0; f < nf; f++) {
            if (!crm_profile_is_categorical(pr, f)) {
                crm__sbuf_puts(b, first ? "" : ",");
                crm__sbuf_json_num(b, crm_profile_std_diff(pr, s, f));
                first = 0;
            }
        }
        crm__sbuf_puts(b, "]}");
    }
    crm__sbuf_puts(b, "],\"store_segments\":");
    crm__sbuf_puts(b, sizes ? sizes : "null");
    crm__sbuf_puts(b, ",\"tree\":null}");
}

/* A two-layer model: its segments numbered as the server predicts them (groups in order, the
 * segments of each group), named "Group/S2"; the features and population are the layer-1
 * profile's (every column the rules and the layer-2 features use); a segment's bar is its
 * mean's distance from the population mean in population standard deviations (null for a
 * feature its group's layer 2 did not use; a group not clustered is its one segment); and
 * the layer-1/layer-2 tree. */
static void overview_twolayer(crm__sbuf *b, const crm_serve_model *m, const char *sizes)
{
    const crm_twolayer *tl = m->tl;
    const crm_profile *pr = crm_twolayer_profile(tl);
    int32_t nf = pr ? crm_profile_n_features(pr) : 0;
    int32_t ng = crm_twolayer_n_groups(tl);
    int64_t total = 0;
    int first = 1;
    for (int32_t g = 0; g < ng; g++) {
        total += crm_twolayer_group_size(tl, g);
    }
    overview_head(b, m, "twolayer", crm_twolayer_n_segments(tl), pr, nf);
    for (int32_t g = 0; g < ng; g++) {
        const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
        const crm_profile *gp = seg ? crm_segmenter_profile(seg) : NULL;
        for (int32_t s = 0; s < crm_twolayer_group_k(tl, g); s++) {
            char name[600];
            int64_t size = gp ? crm_profile_size(gp, s) : crm_twolayer_group_size(tl, g);
            crm__sbuf_printf(
                b, "%s{\"id\":%d,\"name\":", crm_twolayer_segment_index(tl, g, s) ? "," : "",
                (int)crm_twolayer_segment_index(tl, g, s));
            crm__sbuf_json_str(b, crm_twolayer_segment_label(tl, g, s, name, sizeof name));
            crm__sbuf_puts(b, ",\"group\":");
            crm__sbuf_json_str(b, crm_twolayer_group_name(tl, g));
            crm__sbuf_printf(b, ",\"size\":%lld,\"share\":", (long long)size);
            crm__sbuf_json_num(b, total > 0 ? (double)size / (double)total : 0.0);
            crm__sbuf_puts(b, ",\"mean_risk\":null,\"profile\":[");
            first = 1;
            for (int32_t f = 0; f < nf; f++) {
                double sd;
                double v = NAN;
                if (crm_profile_is_categorical(pr, f)) {
                    continue;
                }
                sd = crm_profile_pop_sd(pr, f);
                if (gp == NULL) {
                    v = crm_profile_std_diff(pr, g, f);
                } else {
                    for (int32_t h = 0; h < crm_profile_n_features(gp); h++) {
                        if (!crm_profile_is_categorical(gp, h) &&
                            strcmp(crm_profile_feature(gp, h), crm_profile_feature(pr, f)) == 0) {
                            v = sd > 0
                                    ? (crm_profile_mean(gp, s, h) - crm_profile_pop_mean(pr, f)) /
                                          sd
                                    : 0.0;
                        }
                    }
                }
                crm__sbuf_puts(b, first ? "" : ",");
                if (isfinite(v)) {
                    crm__sbuf_json_num(b, v);
                } else {
                    crm__sbuf_puts(b, "null");
                }
                first = 0;
            }
            crm__sbuf_puts(b, "]}");
        }
    }
    crm__sbuf_puts(b, "],\"store_segments\":");
    crm__sbuf_puts(b, sizes ? sizes : "null");
    crm__sbuf_puts(b, ",\"tree\":[");
    for (int32_t g = 0; g < ng; g++) {
        crm__sbuf_puts(b, g ? ",{\"name\":" : "{\"name\":");
        crm__sbuf_json_str(b, crm_twolayer_group_name(tl, g));
        crm__sbuf_printf(b, ",\"size\":%lld,\"segments\":[",
                         (long long)crm_twolayer_group_size(tl, g));
        for (int32_t s = 0; s < crm_twolayer_group_k(tl, g); s++) {
            crm__sbuf_printf(b, "%s%d", s ? "," : "", (int)crm_twolayer_segment_index(tl, g, s));
        }
        crm__sbuf_puts(b, "]}");
    }
    crm__sbuf_puts(b, "]}");
}

static void overview_baskets(crm__sbuf *b, const crm_rules *r)
{
    int32_t n_items = crm_rules_n_items(r);
    int32_t n_sets = crm_rules_n_sets(r);
    int64_t n_tx = 0;
    int64_t *count = crm_calloc((size_t)n_items + 1, sizeof *count);
    int32_t *order = crm_mallocarray((size_t)n_items + 1, sizeof *order);
    int first = 1;
    if (count == NULL || order == NULL) {
        crm_free(count);
        crm_free(order);
        crm__sbuf_puts(b, "null");
        return;
    }
    for (int32_t s = 0; s < n_sets; s++) {
        n_tx += crm_rules_set_n_transactions(r, s);
        for (int32_t i = 0; i < n_items; i++) {
            count[i] += crm_rules_set_item_count(r, s, i);
        }
    }
    for (int32_t i = 0; i < n_items; i++) {
        order[i] = i;
    }
    /* the 15 most frequent items, ties by name (a partial selection sort: n_items is small) */
    crm__sbuf_puts(b, "{\"items\":[");
    for (int32_t i = 0; i < n_items && i < 15; i++) {
        int32_t best = i;
        for (int32_t j = i + 1; j < n_items; j++) {
            int64_t cj = count[order[j]];
            int64_t cb = count[order[best]];
            if (cj > cb || (cj == cb && strcmp(crm_rules_item_name(r, order[j]),
                                               crm_rules_item_name(r, order[best])) < 0)) {
                best = j;
            }
        }
        int32_t tmp = order[i];
        order[i] = order[best];
        order[best] = tmp;
        crm__sbuf_puts(b, i ? ",{\"item\":" : "{\"item\":");
        crm__sbuf_json_str(b, crm_rules_item_name(r, order[i]));
        crm__sbuf_puts(b, ",\"support\":");
        crm__sbuf_json_num(b, n_tx > 0 ? (double)count[order[i]] / (double)n_tx : 0.0);
        crm__sbuf_puts(b, "}");
    }
    crm__sbuf_puts(b, "],\"rules\":[");
    for (int32_t s = 0; s < n_sets; s++) {
        int64_t nr = crm_rules_n_rules(r, s);
        for (int64_t i = 0; i < nr && i < 10; i++) {
            crm_rule rule;
            if (crm_rules_rule(r, s, i, &rule, NULL) != CRM_OK) {
                break;
            }
            crm__sbuf_puts(b, first ? "{\"segment\":" : ",{\"segment\":");
            first = 0;
            crm__sbuf_json_str(b, crm_rules_set_name(r, s));
            crm__sbuf_puts(b, ",\"antecedent\":[");
            for (int32_t j = 0; j < rule.n_lhs; j++) {
                crm__sbuf_puts(b, j ? "," : "");
                crm__sbuf_json_str(b, crm_rules_item_name(r, rule.lhs[j]));
            }
            crm__sbuf_puts(b, "],\"consequent\":[");
            for (int32_t j = 0; j < rule.n_rhs; j++) {
                crm__sbuf_puts(b, j ? "," : "");
                crm__sbuf_json_str(b, crm_rules_item_name(r, rule.rhs[j]));
            }
            crm__sbuf_puts(b, "],\"support\":");
            crm__sbuf_json_num(b, rule.support);
            crm__sbuf_puts(b, ",\"confidence\":");
            crm__sbuf_json_num(b, rule.confidence);
            crm__sbuf_puts(b, ",\"lift\":");
            crm__sbuf_json_num(b, rule.lift);
            crm__sbuf_puts(b, "}");
        }
    }
    crm__sbuf_puts(b, "]}");
    crm_free(count);
    crm_free(order);
}

crm_status crm__dash_overview(crm__store *st,
                              const crm_serve_model *seg,
                              const crm_serve_model *rules,
                              char **out,
                              crm_error *err)
{
    sqlite3 *db = st ? crm__store_conn(st) : NULL;
    char *sizes = NULL;
    char *risk_q = NULL;
    char *id_col = NULL;
    char *gains = NULL;
    char *trans = NULL;
    int64_t n = 0;
    crm__sbuf b;
    *out = NULL;
    if (st != NULL && db == NULL) {
        return crm__serve_fail(err, CRM_EIO, NULL, "cannot open the store");
    }
    if (db != NULL) {
        sizes = meta_value(db, "dash_segments");
        risk_q = meta_value(db, "dash_risk_q");
        id_col = meta_value(db, "id_column");
        gains = meta_value(db, "dash_gains");
        trans = meta_value(db, "dash_transitions");
        n = count_rows(db);
        crm__store_conn_release(st, db);
    }
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"segmentation\":");
    if (seg != NULL && seg->seg != NULL) {
        overview_segmentation(&b, seg, sizes);
    } else if (seg != NULL && seg->tl != NULL) {
        overview_twolayer(&b, seg, sizes);
    } else {
        crm__sbuf_puts(&b, "null");
    }
    crm__sbuf_puts(&b, ",\"store\":");
    if (st != NULL && sizes != NULL) {
        crm__sbuf_printf(&b, "{\"customers\":%lld,\"id_column\":", (long long)n);
        crm__sbuf_json_str(&b, id_col ? id_col : "id");
        crm__sbuf_puts(&b, ",\"columns\":[");
        for (int j = 0; j < crm__store_n_columns(st); j++) {
            crm__sbuf_puts(&b, j ? ",{\"name\":" : "{\"name\":");
            crm__sbuf_json_str(&b, crm__store_column(st, j));
            crm__sbuf_printf(&b, ",\"type\":\"%s\"}",
                             crm__store_column_numeric(st, j) ? "num" : "cat");
        }
        crm__sbuf_puts(&b, "],\"risk_quantiles\":");
        crm__sbuf_puts(&b, risk_q ? risk_q : "null");
        crm__sbuf_puts(&b, "}");
    } else {
        crm__sbuf_puts(&b, "null");
    }
    crm__sbuf_puts(&b, ",\"baskets\":");
    if (rules != NULL && rules->rules != NULL) {
        overview_baskets(&b, rules->rules);
    } else {
        crm__sbuf_puts(&b, "null");
    }
    crm__sbuf_puts(&b, ",\"gains\":");
    crm__sbuf_puts(&b, gains ? gains : "null");
    crm__sbuf_puts(&b, ",\"transitions\":");
    crm__sbuf_puts(&b, trans ? trans : "null");
    crm__sbuf_puts(&b, "}\n");
    crm_free(gains);
    crm_free(trans);
    crm_free(sizes);
    crm_free(risk_q);
    crm_free(id_col);
    return crm__sbuf_take(&b, CRM_OK, out, err);
}

crm_status crm__dash_customer(crm__store *st, const char *id, char **out, crm_error *err)
{
    sqlite3 *db = crm__store_conn(st);
    sqlite3_stmt *q = NULL;
    crm_status rc = CRM_OK;
    crm__sbuf b;
    *out = NULL;
    if (db == NULL) {
        return crm__serve_fail(err, CRM_EIO, NULL, "cannot open the store");
    }
    crm__sbuf_init(&b);
    if (sqlite3_prepare_v2(db, "SELECT services, prev_segment FROM data WHERE id = ?", -1, &q,
                           NULL) != SQLITE_OK) {
        rc = sql_err(err, db, "query");
    } else {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_ROW) {
            rc = crm__serve_fail(err, CRM_ENOTFOUND, "id", "no customer \"%s\"", id);
        } else {
            const char *sv = (const char *)sqlite3_column_text(q, 0);
            crm__sbuf_puts(&b, "{\"services\":[");
            for (const char *p = sv; p != NULL && *p != '\0';) {
                const char *semi = strchr(p, ';');
                size_t len = semi ? (size_t)(semi - p) : strlen(p);
                char item[512];
                snprintf(item, sizeof item, "%.*s", (int)len, p);
                crm__sbuf_puts(&b, p == sv ? "" : ",");
                crm__sbuf_json_str(&b, item);
                p = semi ? semi + 1 : NULL;
            }
            crm__sbuf_puts(&b, "],\"previous_segment\":");
            if (sqlite3_column_type(q, 1) == SQLITE_NULL) {
                crm__sbuf_puts(&b, "null");
            } else {
                crm__sbuf_printf(&b, "%lld", (long long)sqlite3_column_int64(q, 1));
            }
            crm__sbuf_puts(&b, "}\n");
        }
    }
    sqlite3_finalize(q);
    crm__store_conn_release(st, db);
    return crm__sbuf_take(&b, rc, out, err);
}

/* ---- pages and exports ---- */

#else

crm_status crm__dash_store_write(sqlite3 *db,
                                 const crm_table *t,
                                 int32_t id_col,
                                 const crm__dash_side *ds,
                                 crm_error *err)
{
    (void)db;
    (void)t;
    (void)id_col;
    (void)ds;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}

crm_status crm__dash_customer(crm__store *st, const char *id, char **out, crm_error *err)
{
    (void)st;
    (void)id;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}

crm_status crm__dash_overview(crm__store *st,
                              const crm_serve_model *seg,
                              const crm_serve_model *rules,
                              char **out,
                              crm_error *err)
{
    (void)st;
    (void)seg;
    (void)rules;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}

#endif
