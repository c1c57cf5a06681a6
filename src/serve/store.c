/* store.c: the customer store: built by `crmkit load` (crm_store_build), read by the server
 * (one table keyed by customer id; the record kept as ready-made JSON). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>

#include "core/core_internal.h"
#include "dash_internal.h"
#include "serve_internal.h"
#include "store_internal.h"

#if CRM_HAVE_SQLITE
#include <sqlite3.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static crm_status sql_fail(crm_error *err, sqlite3 *db, const char *path, const char *what)
{
    crm__serve_fail(err, CRM_EIO, NULL, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
    if (err) {
        snprintf(err->source, sizeof err->source, "%s", path);
    }
    return CRM_EIO;
}

/* First identifier column, else the first column. */
static int32_t id_column(const crm_table *t)
{
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        if (crm_table_col_type(t, j) == CRM_COL_ID) {
            return j;
        }
    }
    return 0;
}

/* Row of each id of t in a hash table (open addressing over the id's text). */
typedef struct id_index {
    const crm_table *t;
    int32_t col;
    int64_t *slot; /* row + 1, 0 = empty */
    uint64_t mask;
} id_index;

static const char *cell(const crm_table *t, int64_t i, int32_t j, char *buf, int32_t size)
{
    return crm_table_cell_text(t, i, j, buf, size);
}

static crm_status index_build(id_index *ix, const crm_table *t, int32_t col, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) {
        cap *= 2;
    }
    ix->t = t;
    ix->col = col;
    ix->mask = cap - 1;
    ix->slot = crm_calloc(cap, sizeof *ix->slot);
    if (ix->slot == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        char a[256];
        char b[256];
        const char *id = cell(t, i, col, a, sizeof a);
        uint64_t h = crm__hash_bytes(id, strlen(id)) & ix->mask;
        while (ix->slot[h] != 0) {
            if (strcmp(cell(t, ix->slot[h] - 1, col, b, sizeof b), a) == 0) {
                crm__serve_fail(err, CRM_EDATA, crm_table_col_name(t, col),
                                "customer id \"%s\" appears twice (rows %lld and %lld)", a,
                                (long long)ix->slot[h], (long long)i + 1);
                if (err) {
                    snprintf(err->source, sizeof err->source, "%s", crm_table_source(t));
                    err->line = crm_table_row_line(t, i);
                }
                return CRM_EDATA;
            }
            h = (h + 1) & ix->mask;
        }
        ix->slot[h] = i + 1;
    }
    return CRM_OK;
}

static int64_t index_find(const id_index *ix, const char *id)
{
    uint64_t h = crm__hash_bytes(id, strlen(id)) & ix->mask;
    while (ix->slot[h] != 0) {
        char b[256];
        if (strcmp(cell(ix->t, ix->slot[h] - 1, ix->col, b, sizeof b), id) == 0) {
            return ix->slot[h] - 1;
        }
        h = (h + 1) & ix->mask;
    }
    return -1;
}

/* Per customer row: segment, risk, recommendations JSON (from the side files). */
typedef struct side {
    const id_index *ix; /* the store's customers */
    int64_t n;
    int64_t *segment; /* -1 = none */
    char **segtext;   /* a segment given as text ("Group/S3"), or NULL */
    double *risk;     /* NaN = none */
    char **recs;      /* JSON array text or NULL */
    /* for the dashboard: */
    int64_t *prev;     /* earlier segment, -1 = none; NULL without previous labels */
    char **prev_names; /* [n_prev_names] names of the earlier segments (NULL = unnamed) */
    int64_t n_prev_names;
    char **services; /* "A;B" or NULL per customer; NULL without a services file */
} side;

/* A side file without the columns it needs: CRM_EDATA naming the file (and field). */
static crm_status side_fail(const char *path, const char *field, const char *msg, crm_error *err)
{
    crm__serve_fail(err, CRM_EDATA, field, "%s", msg);
    if (err) {
        snprintf(err->source, sizeof err->source, "%s", path);
    }
    return CRM_EDATA;
}

/* Store row of the customer named in column col of row i of a side table, or -1. */
static int64_t side_row(const id_index *ix, const crm_table *t, int64_t i, int32_t col)
{
    char buf[256];
    return index_find(ix, cell(t, i, col, buf, sizeof buf));
}

/* Takes what it needs of a side table (rows keyed by customer id) read from path into sd;
 * *n_out counts the customers it gave data. */
typedef crm_status (
    *side_loader)(const crm_table *t, const char *path, side *sd, int64_t *n_out, crm_error *err);

static crm_status
load_side(const char *path, side_loader load, side *sd, int64_t *n_out, crm_error *err)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_status rc = crm_table_read_csv(path, &opt, NULL, &t, err);
    if (rc == CRM_OK) {
        rc = load(t, path, sd, n_out, err);
    }
    crm_table_free(t);
    return rc;
}

static crm_status
load_labels(const crm_table *t, const char *path, side *sd, int64_t *n_out, crm_error *err)
{
    int32_t sc = crm_table_find_col(t, "segment");
    /* Two-layer labels (l1, l2, segment "Group/S2", segment_id): the number is the key. */
    if (crm_table_find_col(t, "segment_id") >= 0 &&
        crm_table_numeric(t, crm_table_find_col(t, "segment_id")) != NULL) {
        sc = crm_table_find_col(t, "segment_id");
    }
    if (sc < 0) {
        return side_fail(path, "segment", "no \"segment\" column", err);
    }
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        int64_t row = side_row(sd->ix, t, i, id_column(t));
        if (row < 0) {
            continue;
        }
        if (crm_table_numeric(t, sc) != NULL) {
            double v = crm_table_numeric(t, sc)[i];
            if (!isfinite(v)) {
                continue;
            }
            sd->segment[row] = (int64_t)v;
        } else {
            char seg[256];
            cell(t, i, sc, seg, sizeof seg);
            if (seg[0] == '\0') {
                continue;
            }
            crm_free(sd->segtext[row]);
            sd->segtext[row] = crm_strdup(seg);
            if (sd->segtext[row] == NULL) {
                return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
        }
        (*n_out)++;
    }
    return CRM_OK;
}

/* An earlier labelling (id, segment[, segment_name]) into sd->prev and sd->prev_names. */
static crm_status
load_previous(const crm_table *t, const char *path, side *sd, int64_t *n_out, crm_error *err)
{
    int32_t sc = crm_table_find_col(t, "segment");
    int32_t nc = crm_table_find_col(t, "segment_name");
    int64_t k = 0;
    (void)n_out;
    if (sc < 0 || crm_table_numeric(t, sc) == NULL) {
        return side_fail(path, "segment", "no numeric \"segment\" column", err);
    }
    sd->prev = crm_mallocarray((size_t)sd->n + 1, sizeof *sd->prev);
    if (sd->prev == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; i < sd->n; i++) {
        sd->prev[i] = -1;
    }
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        double v = crm_table_numeric(t, sc)[i];
        k = isfinite(v) && v >= 0 && v < 4096 && (int64_t)v >= k ? (int64_t)v + 1 : k;
    }
    if (nc >= 0 && crm_table_codes(t, nc) != NULL) {
        sd->prev_names = crm_calloc((size_t)k + 1, sizeof *sd->prev_names);
        sd->n_prev_names = sd->prev_names ? k : 0;
    }
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        int64_t row = side_row(sd->ix, t, i, id_column(t));
        double v = crm_table_numeric(t, sc)[i];
        if (row >= 0 && isfinite(v) && v >= 0 && v < 4096) {
            sd->prev[row] = (int64_t)v;
            if (sd->prev_names != NULL && sd->prev_names[(int64_t)v] == NULL &&
                crm_table_codes(t, nc)[i] >= 0) {
                sd->prev_names[(int64_t)v] =
                    crm_strdup(crm_table_level(t, nc, crm_table_codes(t, nc)[i]));
            }
        }
    }
    return CRM_OK;
}

/* Owned services: a VAS log (successful rows) or a long CSV customer,item, as "A;B;C". */
static crm_status load_services(const char *path, side *sd, crm_error *err)
{
    crm_fim_read_options opt = crm_fim_read_options_default();
    crm_fim_db *db = NULL;
    crm_status rc;
    char head[4096] = "";
    FILE *fp = fopen(path, "r");
    if (fp != NULL) {
        if (fgets(head, sizeof head, fp) == NULL) {
            head[0] = '\0';
        }
        fclose(fp);
    }
    opt.format = CRM_FIM_FORMAT_LONG;
    if (strstr(head, "mobile_no") != NULL && strstr(head, "pr_code") != NULL) {
        opt.format = CRM_FIM_FORMAT_VAS;
        if (strstr(head, "status") != NULL) {
            opt.status_ok = "SUCCESS";
        }
    }
    rc = crm_fim_db_read(path, &opt, NULL, &db, err);
    if (rc != CRM_OK) {
        return rc;
    }
    sd->services = crm_calloc((size_t)sd->n + 1, sizeof *sd->services);
    if (sd->services == NULL) {
        crm_fim_db_free(db);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (int64_t i = 0; i < crm_fim_db_n_transactions(db); i++) {
        const int32_t *items;
        int32_t m = crm_fim_db_transaction(db, i, &items);
        int64_t row = index_find(sd->ix, crm_fim_db_customer(db, i));
        crm__sbuf b;
        if (row < 0 || sd->services[row] != NULL) {
            continue;
        }
        crm__sbuf_init(&b);
        for (int32_t j = 0; j < m; j++) {
            crm__sbuf_puts(&b, j ? ";" : "");
            crm__sbuf_puts(&b, crm_fim_db_item_name(db, items[j]));
        }
        crm__sbuf_put(&b, "", 1);
        if (b.failed) {
            crm__sbuf_fini(&b);
            crm_fim_db_free(db);
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        sd->services[row] = b.p;
    }
    crm_fim_db_free(db);
    return CRM_OK;
}

static crm_status
load_predictions(const crm_table *t, const char *path, side *sd, int64_t *n_out, crm_error *err)
{
    int32_t rcol = crm_table_find_col(t, "risk");
    if (rcol < 0 || crm_table_numeric(t, rcol) == NULL) {
        return side_fail(path, "risk",
                         "no numeric \"risk\" column (crmkit predict --proba writes one)", err);
    }
    for (int64_t i = 0; i < crm_table_n_rows(t); i++) {
        int64_t row = side_row(sd->ix, t, i, id_column(t));
        if (row >= 0) {
            sd->risk[row] = crm_table_numeric(t, rcol)[i];
            (*n_out)++;
        }
    }
    return CRM_OK;
}

/* crmkit recommend --baskets output: customer,segment,rank,item,source,confidence,lift,because */
static crm_status
load_recs(const crm_table *t, const char *path, side *sd, int64_t *n_out, crm_error *err)
{
    crm_status rc = CRM_OK;
    int32_t cid = crm_table_find_col(t, "customer");
    int32_t ci = crm_table_find_col(t, "item");
    int32_t cc = crm_table_find_col(t, "confidence");
    int32_t cs = crm_table_find_col(t, "source");
    int32_t cb = crm_table_find_col(t, "because");
    if (cid < 0 || ci < 0) {
        return side_fail(path, NULL,
                         "expected \"customer\" and \"item\" columns "
                         "(crmkit recommend --baskets output)",
                         err);
    }
    for (int64_t i = 0; i < crm_table_n_rows(t) && rc == CRM_OK; i++) {
        char item[256];
        char src[64];
        char because[512];
        int64_t row = side_row(sd->ix, t, i, cid);
        crm__sbuf b;
        if (row < 0) {
            continue;
        }
        crm__sbuf_init(&b);
        if (sd->recs[row]) {
            crm__sbuf_puts(&b, sd->recs[row]);
            b.len--; /* reopen the array */
            crm__sbuf_puts(&b, ",");
        } else {
            crm__sbuf_puts(&b, "[");
            (*n_out)++;
        }
        crm__sbuf_puts(&b, "{\"item\":");
        crm__sbuf_json_str(&b, cell(t, i, ci, item, sizeof item));
        if (cs >= 0) {
            crm__sbuf_puts(&b, ",\"source\":");
            crm__sbuf_json_str(&b, cell(t, i, cs, src, sizeof src));
        }
        if (cc >= 0 && crm_table_numeric(t, cc)) {
            crm__sbuf_puts(&b, ",\"confidence\":");
            crm__sbuf_json_num(&b, crm_table_numeric(t, cc)[i]);
        }
        if (cb >= 0) {
            crm__sbuf_puts(&b, ",\"because\":");
            crm__sbuf_json_str(&b, cell(t, i, cb, because, sizeof because));
        }
        crm__sbuf_puts(&b, "}]");
        if (b.failed) {
            crm__sbuf_fini(&b);
            rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            break;
        }
        crm_free(sd->recs[row]);
        sd->recs[row] = b.p;
    }
    return rc;
}

static void record_json(const crm_table *t, int64_t i, crm__sbuf *b)
{
    crm__sbuf_puts(b, "{");
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        char buf[1024];
        crm__sbuf_puts(b, j ? "," : "");
        crm__sbuf_json_str(b, crm_table_col_name(t, j));
        crm__sbuf_puts(b, ":");
        if (crm_table_col_type(t, j) == CRM_COL_NUMERIC) {
            crm__sbuf_json_num(b, crm_table_numeric(t, j)[i]);
        } else if (crm_table_codes(t, j)[i] < 0) {
            crm__sbuf_puts(b, "null");
        } else {
            crm__sbuf_json_str(b, cell(t, i, j, buf, sizeof buf));
        }
    }
    crm__sbuf_puts(b, "}");
}

static crm_status write_db(const crm_store_params *p,
                           const crm_table *t,
                           int32_t idc,
                           const side *sd,
                           const char *tmp,
                           crm_error *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    crm_status rc = CRM_OK;
    crm__sbuf rec;
    int64_t n = crm_table_n_rows(t);
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, p->output, "cannot create the store");
        sqlite3_close(db);
        return rc;
    }
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;"
                     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
                     "CREATE TABLE columns(pos INTEGER PRIMARY KEY, name TEXT, numeric INTEGER);"
                     "CREATE TABLE customers(id TEXT PRIMARY KEY, segment, risk REAL,"
                     " record TEXT NOT NULL, recommendations TEXT) WITHOUT ROWID;"
                     "BEGIN;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, p->output, "cannot create the store's tables");
    }
    if (rc == CRM_OK &&
        sqlite3_prepare_v2(db, "INSERT INTO columns VALUES(?,?,?)", -1, &st, NULL) == SQLITE_OK) {
        for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
            sqlite3_bind_int(st, 1, j);
            sqlite3_bind_text(st, 2, crm_table_col_name(t, j), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(st, 3, crm_table_col_type(t, j) == CRM_COL_NUMERIC);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == CRM_OK &&
        sqlite3_prepare_v2(db, "INSERT INTO meta VALUES('id_column',?),('source',?)", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, crm_table_col_name(t, idc), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, p->customers, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == CRM_OK && sqlite3_prepare_v2(db, "INSERT INTO customers VALUES(?,?,?,?,?)", -1, &st,
                                           NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, p->output, "prepare");
    }
    crm__sbuf_init(&rec);
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        char id[256];
        rec.len = 0;
        record_json(t, i, &rec);
        if (rec.failed) {
            rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            break;
        }
        sqlite3_bind_text(st, 1, cell(t, i, idc, id, sizeof id), -1, SQLITE_TRANSIENT);
        if (sd->segtext[i] != NULL) {
            sqlite3_bind_text(st, 2, sd->segtext[i], -1, SQLITE_STATIC);
        } else if (sd->segment[i] >= 0) {
            sqlite3_bind_int64(st, 2, sd->segment[i]);
        } else {
            sqlite3_bind_null(st, 2);
        }
        if (isfinite(sd->risk[i])) {
            sqlite3_bind_double(st, 3, sd->risk[i]);
        } else {
            sqlite3_bind_null(st, 3);
        }
        sqlite3_bind_text(st, 4, rec.p, (int)rec.len, SQLITE_STATIC);
        if (sd->recs[i]) {
            sqlite3_bind_text(st, 5, sd->recs[i], -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 5);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = sql_fail(err, db, p->output, "insert");
        }
        sqlite3_reset(st);
    }
    crm__sbuf_fini(&rec);
    sqlite3_finalize(st);
    if (rc == CRM_OK) {
        crm__dash_side ds = { sd->segment,      sd->risk,
                              sd->prev,         (const char *const *)sd->prev_names,
                              sd->n_prev_names, p->previous_labels,
                              sd->services,     p->target };
        rc = crm__dash_store_write(db, t, idc, &ds, err);
    }
    if (rc == CRM_OK && sqlite3_exec(db,
                                     "CREATE INDEX customers_segment ON customers(segment, id);"
                                     "COMMIT; ANALYZE;",
                                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(err, db, p->output, "cannot finish the store");
    }
    if (sqlite3_close(db) != SQLITE_OK && rc == CRM_OK) {
        rc = crm__serve_fail(err, CRM_EIO, NULL, "cannot close the store");
    }
    return rc;
}

crm_status crm_store_build(const crm_store_params *p, crm_store_stats *stats, crm_error *err)
{
    crm_csv_options opt = p->customers_csv != NULL ? *p->customers_csv : crm_csv_options_default();
    crm_table *t = NULL;
    id_index ix = { 0 };
    side sd = { 0 };
    crm_status rc;
    int64_t n;
    int32_t idc;
    char tmp[4200];
    double t0 = now_s();
    memset(stats, 0, sizeof *stats);
    if (p->customers == NULL || p->output == NULL) {
        return crm__serve_fail(err, CRM_EINVAL, NULL, "a customers file and an output are needed");
    }
    rc = crm_table_read_csv(p->customers, &opt, NULL, &t, err);
    if (rc != CRM_OK) {
        return rc;
    }
    n = crm_table_n_rows(t);
    idc = id_column(t);
    rc = index_build(&ix, t, idc, err);
    sd.ix = &ix;
    sd.n = n;
    if (rc == CRM_OK) {
        sd.segment = crm_mallocarray((size_t)n, sizeof *sd.segment);
        sd.risk = crm_mallocarray((size_t)n, sizeof *sd.risk);
        sd.recs = crm_calloc((size_t)n, sizeof *sd.recs);
        sd.segtext = crm_calloc((size_t)n, sizeof *sd.segtext);
        if (sd.segment == NULL || sd.risk == NULL || sd.recs == NULL || sd.segtext == NULL) {
            rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        sd.segment[i] = -1;
        sd.risk[i] = NAN;
    }
    if (rc == CRM_OK && p->labels) {
        rc = load_side(p->labels, load_labels, &sd, &stats->n_labelled, err);
    }
    if (rc == CRM_OK && p->predictions) {
        rc = load_side(p->predictions, load_predictions, &sd, &stats->n_predicted, err);
    }
    if (rc == CRM_OK && p->recommendations) {
        rc = load_side(p->recommendations, load_recs, &sd, &stats->n_recommended, err);
    }
    if (rc == CRM_OK && p->previous_labels) {
        rc = load_side(p->previous_labels, load_previous, &sd, NULL, err);
    }
    if (rc == CRM_OK && p->services) {
        rc = load_services(p->services, &sd, err);
    }
    if (rc == CRM_OK) {
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", p->output, (long)getpid());
        (void)unlink(tmp);
        rc = write_db(p, t, idc, &sd, tmp, err);
        if (rc == CRM_OK && rename(tmp, p->output) != 0) {
            rc = crm__serve_fail(err, CRM_EIO, NULL, "cannot rename %s: %s", tmp, strerror(errno));
        }
        if (rc != CRM_OK) {
            (void)unlink(tmp);
        }
    }
    stats->n_customers = n;
    stats->seconds = now_s() - t0;
    for (int64_t i = 0; sd.recs && i < n; i++) {
        crm_free(sd.recs[i]);
    }
    for (int64_t i = 0; sd.segtext && i < n; i++) {
        crm_free(sd.segtext[i]);
    }
    crm_free(sd.segtext);
    crm_free(sd.recs);
    for (int64_t i = 0; sd.services && i < n; i++) {
        crm_free(sd.services[i]);
    }
    crm_free(sd.services);
    for (int64_t i = 0; i < sd.n_prev_names; i++) {
        crm_free(sd.prev_names[i]);
    }
    crm_free(sd.prev_names);
    crm_free(sd.prev);
    crm_free(sd.segment);
    crm_free(sd.risk);
    crm_free(ix.slot);
    crm_table_free(t);
    return rc;
}

/* ---- reading, for the server ---- */

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *get; /* the lookup by id, prepared once per connection */
} conn;

struct crm__store {
    char *path;
    char *uri; /* file:PATH?immutable=1 */
    pthread_mutex_t mu;
    conn *pool; /* idle connections */
    int n_pool;
    int cap_pool;
    char **columns;
    int *numeric;
    int n_columns;
    int id_col;              /* column holding the customer id, or -1 */
    pthread_mutex_t dash_mu; /* guards building dash */
    crm__dash_cache *dash;   /* the dashboard's copy in memory; NULL until first used */
};

static int conn_get(crm__store *s, conn *c)
{
    int have = 0;
    c->db = NULL;
    c->get = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->n_pool > 0) {
        *c = s->pool[--s->n_pool];
        have = 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (have) {
        return 1;
    }
    /* The store is written once and replaced by rename, never changed in place: opened as
     * immutable, SQLite takes no file locks and re-reads no header for each query; pages are
     * read through a memory map. */
    if (sqlite3_open_v2(s->uri, &c->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        c->db = NULL;
        return 0;
    }
    sqlite3_exec(c->db, "PRAGMA mmap_size=1099511627776", NULL, NULL, NULL);
    return 1;
}

static void conn_close(conn *c)
{
    sqlite3_finalize(c->get);
    sqlite3_close(c->db);
    c->db = NULL;
    c->get = NULL;
}

static void conn_put(crm__store *s, conn *c)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_pool < s->cap_pool) {
        s->pool[s->n_pool++] = *c;
        c->db = NULL;
        c->get = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    conn_close(c);
}

crm_status crm__store_open(const char *path, crm__store **out, crm_error *err)
{
    crm__store *s = crm_calloc(1, sizeof *s);
    conn cn;
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (s == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    s->path = crm_strdup(path);
    s->uri = crm_malloc(3 * strlen(path) + 32);
    if (s->uri != NULL) {
        char *o = s->uri + sprintf(s->uri, "file:");
        for (const char *p = path; *p; p++) {
            if (*p == '?' || *p == '#' || *p == '%' || (unsigned char)*p < 0x20) {
                o += sprintf(o, "%%%02X", (unsigned char)*p);
            } else {
                *o++ = *p;
            }
        }
        strcpy(o, "?immutable=1");
    }
    s->cap_pool = 256;
    s->pool = crm_calloc((size_t)s->cap_pool, sizeof *s->pool);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->dash_mu, NULL);
    s->id_col = -1;
    if (access(path, R_OK) != 0) {
        crm__store_free(s);
        crm__serve_fail(err, CRM_ENOTFOUND, NULL, "cannot open the store: %s", strerror(errno));
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return CRM_ENOTFOUND;
    }
    db = conn_get(s, &cn) ? cn.db : NULL;
    if (db == NULL || sqlite3_prepare_v2(db, "SELECT name, numeric FROM columns ORDER BY pos", -1,
                                         &st, NULL) != SQLITE_OK) {
        crm_status rc = sql_fail(err, db, path, "not a crmkit store");
        conn_close(&cn);
        crm__store_free(s);
        return rc;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **c = crm_realloc(s->columns, (size_t)(s->n_columns + 1) * sizeof *c);
        int *nu = crm_realloc(s->numeric, (size_t)(s->n_columns + 1) * sizeof *nu);
        if (c) {
            s->columns = c;
        }
        if (nu) {
            s->numeric = nu;
        }
        if (c == NULL || nu == NULL) {
            break;
        }
        s->columns[s->n_columns] = crm_strdup((const char *)sqlite3_column_text(st, 0));
        s->numeric[s->n_columns] = sqlite3_column_int(st, 1);
        s->n_columns++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'id_column'", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
        for (int j = 0; j < s->n_columns; j++) {
            if (strcmp(s->columns[j], (const char *)sqlite3_column_text(st, 0)) == 0) {
                s->id_col = j;
            }
        }
    }
    sqlite3_finalize(st);
    conn_put(s, &cn);
    *out = s;
    return CRM_OK;
}

/* The dashboard's queries are few (the overview, a customer's services, the copy in
 * memory): each opens its own read-only connection rather than borrow a pooled one. */
sqlite3 *crm__store_conn(crm__store *s)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void crm__store_conn_release(crm__store *s, sqlite3 *db)
{
    (void)s;
    sqlite3_close(db);
}

int crm__store_id_column(const crm__store *s)
{
    return s->id_col;
}

crm_status crm__store_dash_cache(crm__store *s, const crm__dash_cache **out, crm_error *err)
{
    crm_status rc = CRM_OK;
    pthread_mutex_lock(&s->dash_mu);
    if (s->dash == NULL) {
        sqlite3 *db = crm__store_conn(s);
        rc = db == NULL ? crm__serve_fail(err, CRM_EIO, NULL, "cannot open the store")
                        : crm__dash_cache_build(s, db, &s->dash, err);
        crm__store_conn_release(s, db);
    }
    *out = s->dash;
    pthread_mutex_unlock(&s->dash_mu);
    return rc;
}

int crm__store_n_columns(const crm__store *s)
{
    return s->n_columns;
}

const char *crm__store_column(const crm__store *s, int j)
{
    return s->columns[j];
}

int crm__store_column_numeric(const crm__store *s, int j)
{
    return s->numeric[j];
}

void crm__store_free(crm__store *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < s->n_pool; i++) {
        conn_close(&s->pool[i]);
    }
    for (int i = 0; i < s->n_columns; i++) {
        crm_free(s->columns[i]);
    }
    crm_free(s->columns);
    crm_free(s->numeric);
    crm_free(s->pool);
    crm_free(s->path);
    crm_free(s->uri);
    crm__dash_cache_free(s->dash);
    pthread_mutex_destroy(&s->dash_mu);
    pthread_mutex_destroy(&s->mu);
    crm_free(s);
}

static void customer_json(sqlite3_stmt *st, crm__sbuf *b, const crm__store_names *names)
{
    const char *recs = (const char *)sqlite3_column_text(st, 4);
    crm__sbuf_puts(b, "{\"id\":");
    crm__sbuf_json_str(b, (const char *)sqlite3_column_text(st, 0));
    if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
        crm__sbuf_puts(b, ",\"segment\":null");
    } else if (sqlite3_column_type(st, 1) == SQLITE_TEXT) {
        const char *seg = (const char *)sqlite3_column_text(st, 1);
        crm__sbuf_puts(b, ",\"segment\":{\"id\":");
        crm__sbuf_json_str(b, seg);
        crm__sbuf_puts(b, ",\"name\":");
        crm__sbuf_json_str(b, seg);
        crm__sbuf_puts(b, "}");
    } else {
        int64_t seg = sqlite3_column_int64(st, 1);
        crm__sbuf_printf(b, ",\"segment\":{\"id\":%lld,\"name\":", (long long)seg);
        if (names && names->fn && names->fn(names->ud, seg) != NULL) {
            crm__sbuf_json_str(b, names->fn(names->ud, seg));
        } else {
            crm__sbuf_puts(b, "null");
        }
        crm__sbuf_puts(b, "}");
    }
    crm__sbuf_puts(b, ",\"churn_risk\":");
    if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
        crm__sbuf_puts(b, "null");
    } else {
        crm__sbuf_json_num(b, sqlite3_column_double(st, 2));
    }
    crm__sbuf_puts(b, ",\"recommendations\":");
    crm__sbuf_puts(b, recs ? recs : "[]");
    crm__sbuf_puts(b, ",\"record\":");
    crm__sbuf_puts(b, (const char *)sqlite3_column_text(st, 3));
    crm__sbuf_puts(b, "}");
}

crm_status crm__store_customer(crm__store *s,
                               const char *id,
                               const crm__store_names *names,
                               char **out,
                               crm_error *err)
{
    conn cn;
    crm_status rc = CRM_OK;
    crm__sbuf b;
    *out = NULL;
    if (!conn_get(s, &cn)) {
        return crm__serve_fail(err, CRM_EIO, NULL, "cannot open the store");
    }
    if (cn.get == NULL &&
        sqlite3_prepare_v3(cn.db,
                           "SELECT id, segment, risk, record, recommendations FROM customers "
                           "WHERE id = ?",
                           -1, SQLITE_PREPARE_PERSISTENT, &cn.get, NULL) != SQLITE_OK) {
        rc = sql_fail(err, cn.db, s->path, "query");
        conn_close(&cn);
        return rc;
    }
    sqlite3_bind_text(cn.get, 1, id, -1, SQLITE_STATIC);
    crm__sbuf_init(&b);
    if (sqlite3_step(cn.get) == SQLITE_ROW) {
        customer_json(cn.get, &b, names);
    } else {
        rc = crm__serve_fail(err, CRM_ENOTFOUND, NULL, "no customer \"%s\"", id);
    }
    sqlite3_reset(cn.get);
    sqlite3_clear_bindings(cn.get);
    conn_put(s, &cn);
    return crm__sbuf_take(&b, rc, out, err);
}

static int find_column(const crm__store *s, const char *name)
{
    for (int i = 0; i < s->n_columns; i++) {
        if (strcmp(s->columns[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

crm_status crm__store_segment(crm__store *s,
                              const crm__store_page *q,
                              const crm__store_names *names,
                              char **out,
                              crm_error *err)
{
    const char *segment = q->segment;
    const char *sort = q->sort;
    const char *filter = q->filter;
    char sql[1024];
    char order[256] = "id";
    char where[256] = "";
    char sort_col[128] = "";
    char filter_col[128] = "";
    char fval[256] = "";
    int filter_numeric = 1;
    conn cn;
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    crm_status rc = CRM_OK;
    crm__sbuf b;
    int64_t total = 0;
    *out = NULL;
    crm__sbuf_init(&b);
    if (sort && *sort) {
        int desc = sort[0] == '-';
        const char *name = sort + desc;
        if (strcmp(name, "id") == 0 || strcmp(name, "risk") == 0) {
            snprintf(order, sizeof order, "%s %s, id", name, desc ? "DESC" : "ASC");
        } else if (find_column(s, name) >= 0 && strlen(name) < sizeof sort_col) {
            snprintf(order, sizeof order, "json_extract(record, '$.\"' || ?3 || '\"') %s, id",
                     desc ? "DESC" : "ASC");
            snprintf(sort_col, sizeof sort_col, "%s", name);
        } else {
            return crm__serve_fail(err, CRM_EDATA, "sort", "cannot sort by \"%s\": no such column",
                                   name);
        }
    }
    if (filter && *filter) {
        const char *p = strpbrk(filter, "=<>");
        size_t n = p ? (size_t)(p - filter) : 0;
        char op;
        if (p == NULL || n == 0 || n >= sizeof filter_col || strlen(p + 1) >= sizeof fval) {
            return crm__serve_fail(err, CRM_EDATA, "filter",
                                   "filter must be COLUMN=VALUE, COLUMN<VALUE or COLUMN>VALUE");
        }
        memcpy(filter_col, filter, n);
        filter_col[n] = '\0';
        op = *p;
        snprintf(fval, sizeof fval, "%s", p + 1);
        if (strcmp(filter_col, "risk") == 0) {
            snprintf(where, sizeof where, " AND risk %c ?4", op);
        } else {
            int c = find_column(s, filter_col);
            if (c < 0) {
                return crm__serve_fail(err, CRM_EDATA, "filter",
                                       "cannot filter on \"%s\": no such column", filter_col);
            }
            snprintf(where, sizeof where, " AND json_extract(record, '$.\"' || ?5 || '\"') %c ?4",
                     op);
            filter_numeric = s->numeric[c];
        }
    }
    if (!conn_get(s, &cn)) {
        return crm__serve_fail(err, CRM_EIO, NULL, "cannot open the store");
    }
    db = cn.db;
    for (int pass = 0; pass < 2 && rc == CRM_OK; pass++) {
        if (pass == 0) {
            snprintf(sql, sizeof sql, "SELECT count(*) FROM customers WHERE segment = ?1%s", where);
        } else {
            snprintf(sql, sizeof sql,
                     "SELECT id, segment, risk, record, recommendations FROM customers "
                     "WHERE segment = ?1%s ORDER BY %s LIMIT ?2 OFFSET ?6",
                     where, order);
        }
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = sql_fail(err, db, s->path, "query");
            break;
        }
        /* Parameters a statement lacks give SQLITE_RANGE, which is harmless here. */
        {
            char *end;
            long long v = strtoll(segment, &end, 10);
            int64_t named = -1;
            /* a name the served model gives a numbered segment ("Group/S3" of a two-layer
             * model whose labels were loaded by segment_id) */
            for (int64_t k = 0;
                 k < 65536 && names && names->fn && (*segment == '\0' || *end != '\0'); k++) {
                const char *nm = names->fn(names->ud, k);
                if (nm == NULL) {
                    break;
                }
                if (strcmp(nm, segment) == 0) {
                    named = k;
                    break;
                }
            }
            if (*segment != '\0' && *end == '\0') {
                sqlite3_bind_int64(st, 1, v);
            } else if (named >= 0) {
                sqlite3_bind_int64(st, 1, named);
            } else {
                sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
            }
        }
        sqlite3_bind_int64(st, 2, q->limit);
        sqlite3_bind_int64(st, 6, q->offset);
        if (sort_col[0]) {
            sqlite3_bind_text(st, 3, sort_col, -1, SQLITE_TRANSIENT);
        }
        if (filter_col[0]) {
            char *end;
            double v = strtod(fval, &end);
            sqlite3_bind_text(st, 5, filter_col, -1, SQLITE_TRANSIENT);
            if (filter_numeric && fval[0] != '\0' && *end == '\0') {
                sqlite3_bind_double(st, 4, v);
            } else {
                sqlite3_bind_text(st, 4, fval, -1, SQLITE_TRANSIENT);
            }
        }
        if (pass == 0) {
            if (sqlite3_step(st) == SQLITE_ROW) {
                total = sqlite3_column_int64(st, 0);
            }
        } else {
            int first = 1;
            crm__sbuf_puts(&b, "{\"segment\":");
            crm__sbuf_json_str(&b, segment);
            crm__sbuf_printf(&b, ",\"total\":%lld,\"offset\":%lld,\"limit\":%lld,\"customers\":[",
                             (long long)total, (long long)q->offset, (long long)q->limit);
            while (sqlite3_step(st) == SQLITE_ROW) {
                crm__sbuf_puts(&b, first ? "" : ",");
                first = 0;
                customer_json(st, &b, names);
            }
            crm__sbuf_puts(&b, "]}");
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    conn_put(s, &cn);
    return crm__sbuf_take(&b, rc, out, err);
}

#else

crm_status crm_store_build(const crm_store_params *p, crm_store_stats *stats, crm_error *err)
{
    (void)p;
    memset(stats, 0, sizeof *stats);
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "the customer store needs SQLite, which this build lacks");
}

crm_status crm__store_open(const char *path, crm__store **out, crm_error *err)
{
    (void)path;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "the customer store needs SQLite, which this build lacks");
}

void crm__store_free(crm__store *s)
{
    (void)s;
}

crm_status crm__store_customer(crm__store *s,
                               const char *id,
                               const crm__store_names *names,
                               char **out,
                               crm_error *err)
{
    (void)s;
    (void)id;
    (void)names;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}

crm_status crm__store_segment(crm__store *s,
                              const crm__store_page *q,
                              const crm__store_names *names,
                              char **out,
                              crm_error *err)
{
    (void)s;
    (void)q;
    (void)names;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}

#endif
