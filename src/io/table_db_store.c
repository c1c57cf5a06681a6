/* table_db_store.c: CSV outputs (labels, predictions, features, recommendations) stored as
 * the rows of a PostgreSQL or SQLite table, whole or not at all.
 *
 * The CSV text is read twice: once to count the rows and type each new column (whole
 * numbers, other numbers, text; a number with a leading zero or '+' is text, as phone
 * numbers and zero-padded ids must stay), once to send it: PostgreSQL takes the text itself
 * with COPY ... FROM STDIN (FORMAT csv), SQLite gets the values bound to one prepared
 * INSERT. Everything runs in one transaction that commits only after counting the table's
 * rows, so a reader sees the old rows or all the new ones.
 *
 * Compiled twice with table_db.c: with CRM_TABLE_DB_NONE (crmkit, crmkit-mpi) every call
 * says why it cannot. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/csv_stream.h>
#include <crmkit/io.h>

#include "io/io_internal.h"
#include "io/table_db_libs.h"

enum {
    COL_NULL,
    COL_INT,
    COL_REAL,
    COL_TEXT
}; /* each one holds the ones before it */

/* What a CSV field holds. Digits only (with a sign '-') up to 18 of them: a whole number;
 * a decimal or exponent number strtod reads whole and finite: a number; a leading zero
 * followed by a digit, '+', blanks, hex, "inf", "nan": text. */
static int field_kind(const crm_csv_cell *c)
{
    char buf[64];
    char *end;
    size_t i = c->len > 0 && c->s[0] == '-' ? 1 : 0;
    int digits_only = 1;
    double v;
    if (c->len == 0) {
        return c->quoted ? COL_TEXT : COL_NULL;
    }
    if (i == c->len || c->len >= sizeof buf ||
        (c->s[i] == '0' && i + 1 < c->len && isdigit((unsigned char)c->s[i + 1]))) {
        return COL_TEXT;
    }
    if (!isdigit((unsigned char)c->s[i]) && c->s[i] != '.') {
        return COL_TEXT;
    }
    for (size_t k = i; k < c->len; k++) {
        if (!isdigit((unsigned char)c->s[k])) {
            digits_only = 0;
            if (strchr(".eE+-", c->s[k]) == NULL) {
                return COL_TEXT;
            }
        }
    }
    if (digits_only) {
        return c->len - i <= 18 ? COL_INT : COL_TEXT;
    }
    memcpy(buf, c->s, c->len);
    buf[c->len] = '\0';
    v = strtod(buf, &end);
    return *end == '\0' && isfinite(v) ? COL_REAL : COL_TEXT;
}

/* The CSV text of an output, opened as a stream over its descriptor. */
typedef struct csv_text {
    char path[48]; /* /proc/self/fd/N: a new read position at the start */
    crm_csv_stream *stream;
    crm_csv_block *block;
    crm_csv_cell *cells;
    int32_t n_cols;
} csv_text;

static void csv_text_close(csv_text *t)
{
    crm_csv_block_free(t->block);
    crm_csv_stream_free(t->stream);
    crm_free(t->cells);
    memset(t, 0, sizeof *t);
}

static crm_status csv_text_open(csv_text *t, int fd, crm_error *err)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_status st;
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "/proc/self/fd/%d", fd);
    st = crm_csv_stream_open(t->path, &opt, &t->stream, err);
    if (st == CRM_OK) {
        t->n_cols = crm_csv_stream_n_cols(t->stream);
        t->cells = crm_calloc((size_t)t->n_cols, sizeof *t->cells);
        st = t->cells == NULL ? crm__error_nomem(err) : crm_csv_block_new(&t->block, err);
    }
    if (st != CRM_OK) {
        csv_text_close(t);
    }
    return st;
}

/* The next record into t->cells; *got 0 at the end. */
static crm_status csv_text_next(csv_text *t, bool *got, crm_error *err)
{
    int64_t line;
    for (;;) {
        crm_status st = crm_csv_block_next_row(t->block, t->cells, &line, got, err);
        if (st != CRM_OK || *got) {
            return st;
        }
        st = crm_csv_stream_next_block(t->stream, t->block, got, err);
        if (st != CRM_OK || !*got) {
            return st;
        }
    }
}

/* Pass one: the number of records and each column's kind (kinds[n_cols]). */
static crm_status survey(int fd, int **kinds, int32_t *n_cols, int64_t *n_rows, crm_error *err)
{
    csv_text t;
    bool got = true;
    crm_status st = csv_text_open(&t, fd, err);
    *kinds = NULL;
    *n_rows = 0;
    if (st != CRM_OK) {
        return st;
    }
    *n_cols = t.n_cols;
    *kinds = crm_calloc((size_t)t.n_cols, sizeof **kinds);
    st = *kinds == NULL ? crm__error_nomem(err) : CRM_OK;
    while (st == CRM_OK && (st = csv_text_next(&t, &got, err)) == CRM_OK && got) {
        for (int32_t j = 0; j < t.n_cols; j++) {
            int k = field_kind(&t.cells[j]);
            (*kinds)[j] = k > (*kinds)[j] ? k : (*kinds)[j];
        }
        (*n_rows)++;
    }
    csv_text_close(&t);
    return st;
}

#if CRM_HAVE_PQ || CRM_HAVE_SQLITE
/* The statements of one store, built from the target and the CSV header. */
typedef struct store_sql {
    crm__sbuf table;   /* the quoted table name */
    crm__sbuf create;  /* CREATE TABLE ... (typed columns) */
    crm__sbuf columns; /* the quoted column names, for COPY and INSERT */
} store_sql;

static void store_sql_fini(store_sql *q)
{
    crm__sbuf_fini(&q->table);
    crm__sbuf_fini(&q->create);
    crm__sbuf_fini(&q->columns);
}

static crm_status
store_sql_make(const crm__db_source *s, int fd, const int *kinds, store_sql *q, crm_error *err)
{
    static const char *const pg_types[] = { "text", "bigint", "double precision", "text" };
    static const char *const sqlite_types[] = { "TEXT", "INTEGER", "REAL", "TEXT" };
    csv_text t;
    crm_status st = csv_text_open(&t, fd, err);
    crm__sbuf_init(&q->table);
    crm__sbuf_init(&q->create);
    crm__sbuf_init(&q->columns);
    if (st != CRM_OK) {
        return st;
    }
    crm__db_put_identifier(&q->table, s->table, !s->sqlite);
    crm__sbuf_puts(&q->create, "CREATE TABLE ");
    crm__sbuf_puts(&q->create, q->table.p != NULL ? q->table.p : "");
    crm__sbuf_puts(&q->create, " (");
    for (int32_t j = 0; j < t.n_cols; j++) {
        crm__sbuf name;
        crm__sbuf_init(&name);
        crm__db_put_identifier(&name, crm_csv_stream_col_name(t.stream, j), 0);
        crm__sbuf_printf(&q->columns, "%s%s", j > 0 ? ", " : "", name.p != NULL ? name.p : "");
        crm__sbuf_printf(&q->create, "%s%s %s", j > 0 ? ", " : "", name.p != NULL ? name.p : "",
                         (s->sqlite ? sqlite_types : pg_types)[kinds[j]]);
        st = name.failed ? crm__error_nomem(err) : st;
        crm__sbuf_fini(&name);
    }
    crm__sbuf_puts(&q->create, ")");
    csv_text_close(&t);
    if (st == CRM_OK && (q->table.failed || q->create.failed || q->columns.failed)) {
        st = crm__error_nomem(err);
    }
    if (st != CRM_OK) {
        store_sql_fini(q);
    }
    return st;
}

static crm_status exists_error(const crm__db_source *s, crm_error *err)
{
    return crm__error_at(err, CRM_EIO, s->shown, 0, 0,
                         "the table exists (if_exists=fail); drop it, or write with "
                         "if_exists=replace or append");
}

static crm_status count_error(const crm__db_source *s, int64_t want, int64_t got, crm_error *err)
{
    return crm__error_at(err, CRM_EIO, s->shown, 0, 0,
                         "the table would hold %lld rows where %lld were expected; nothing "
                         "was changed",
                         (long long)got, (long long)want);
}

#endif

/* ---- PostgreSQL ---- */

#if CRM_HAVE_PQ
/* Run sql expecting status want; the result in *keep when keep is not NULL. */
static crm_status pg_run(PGconn *c,
                         const crm__db_source *s,
                         const char *what,
                         const char *sql,
                         ExecStatusType want,
                         PGresult **keep,
                         crm_error *err)
{
    PGresult *r = PQexec(c, sql);
    crm_status st = CRM_OK;
    if (PQresultStatus(r) != want) {
        const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        st = crm__db_error(err, CRM_EIO, s, what, primary != NULL ? primary : PQerrorMessage(c));
    }
    if (keep != NULL && st == CRM_OK) {
        *keep = r;
    } else {
        PQclear(r);
    }
    return st;
}

/* A one-value query's answer as a number (count, or 1/0 for a found table). */
static crm_status pg_number(PGconn *c,
                            const crm__db_source *s,
                            const char *what,
                            const char *sql,
                            int64_t *value,
                            crm_error *err)
{
    PGresult *r = NULL;
    crm_status st = pg_run(c, s, what, sql, PGRES_TUPLES_OK, &r, err);
    if (st == CRM_OK) {
        *value =
            PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    }
    PQclear(r);
    return st;
}

static PGconn *pg_connect(const crm__db_source *s, crm_error *err)
{
    PGconn *c = PQconnectdb(s->connect);
    if (c == NULL) {
        (void)crm__error_nomem(err);
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        (void)crm__db_error(err, CRM_EIO, s, "cannot connect", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    (void)PQsetClientEncoding(c, "UTF8");
    return c;
}

/* 1 in *found when the table exists. */
static crm_status pg_table_found(PGconn *c,
                                 const crm__db_source *s,
                                 const char *quoted,
                                 int64_t *found,
                                 crm_error *err)
{
    crm__sbuf sql;
    crm_status st;
    crm__sbuf_init(&sql);
    crm__sbuf_puts(&sql, "SELECT CASE WHEN to_regclass('");
    for (const char *p = quoted; *p != '\0'; p++) { /* a string literal: quotes doubled */
        crm__sbuf_put(&sql, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
    }
    crm__sbuf_puts(&sql, "') IS NULL THEN 0 ELSE 1 END");
    st = sql.failed ? crm__error_nomem(err)
                    : pg_number(c, s, "cannot look the table up", sql.p, found, err);
    crm__sbuf_fini(&sql);
    return st;
}

static crm_status pg_copy_in(PGconn *c,
                             const crm__db_source *s,
                             const store_sql *q,
                             int fd,
                             int64_t *copied,
                             crm_error *err)
{
    char buf[1 << 16];
    crm__sbuf sql;
    crm_status st;
    crm__sbuf_init(&sql);
    crm__sbuf_printf(&sql, "COPY %s (%s) FROM STDIN WITH (FORMAT csv, HEADER true)", q->table.p,
                     q->columns.p);
    st = sql.failed ? crm__error_nomem(err)
                    : pg_run(c, s, "cannot write", sql.p, PGRES_COPY_IN, NULL, err);
    crm__sbuf_fini(&sql);
    for (off_t off = 0; st == CRM_OK;) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            st = crm__error_errno(err, errno, s->shown, "reading the rows to write");
            (void)PQputCopyEnd(c, "crmkit could not read its output");
        } else if (n == 0) {
            if (PQputCopyEnd(c, NULL) != 1) {
                st = crm__db_error(err, CRM_EIO, s, "writing rows", PQerrorMessage(c));
            }
            break;
        } else if (PQputCopyData(c, buf, (int)n) != 1) {
            st = crm__db_error(err, CRM_EIO, s, "writing rows", PQerrorMessage(c));
        }
        off += n > 0 ? n : 0;
    }
    for (PGresult *r; (r = PQgetResult(c)) != NULL; PQclear(r)) {
        if (st == CRM_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
            const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            st = crm__db_error(err, CRM_EIO, s, "writing rows",
                               primary != NULL ? primary : PQresultErrorMessage(r));
        } else if (st == CRM_OK) {
            *copied = strtoll(PQcmdTuples(r), NULL, 10);
        }
    }
    return st;
}

static crm_status
pg_store(const crm__db_source *s, int fd, const int *kinds, int64_t n_rows, crm_error *err)
{
    PGconn *c = pg_connect(s, err);
    store_sql q;
    crm__sbuf count;
    int64_t found = 0;
    int64_t before = 0;
    int64_t copied = -1;
    int64_t after = -1;
    crm_status st;
    if (c == NULL) {
        return CRM_EIO;
    }
    st = store_sql_make(s, fd, kinds, &q, err);
    if (st != CRM_OK) {
        PQfinish(c);
        return st;
    }
    crm__sbuf_init(&count);
    crm__sbuf_printf(&count, "SELECT count(*) FROM %s", q.table.p);
    st = count.failed ? crm__error_nomem(err)
                      : pg_run(c, s, "cannot begin", "BEGIN", PGRES_COMMAND_OK, NULL, err);
    if (st == CRM_OK) {
        st = pg_table_found(c, s, q.table.p, &found, err);
    }
    if (st == CRM_OK && found && s->if_exists == CRM__DB_FAIL) {
        st = exists_error(s, err);
    } else if (st == CRM_OK && found && s->if_exists == CRM__DB_APPEND) {
        st = pg_number(c, s, "cannot count the rows", count.p, &before, err);
    } else if (st == CRM_OK && found) {
        crm__sbuf truncate;
        crm__sbuf_init(&truncate);
        crm__sbuf_printf(&truncate, "TRUNCATE %s", q.table.p);
        st = truncate.failed
                 ? crm__error_nomem(err)
                 : pg_run(c, s, "cannot replace the rows", truncate.p, PGRES_COMMAND_OK, NULL, err);
        crm__sbuf_fini(&truncate);
    } else if (st == CRM_OK) {
        st = pg_run(c, s, "cannot create the table", q.create.p, PGRES_COMMAND_OK, NULL, err);
    }
    if (st == CRM_OK) {
        st = pg_copy_in(c, s, &q, fd, &copied, err);
    }
    if (st == CRM_OK) { /* read back: the table holds what was meant, or nothing changes */
        st = pg_number(c, s, "cannot count the rows", count.p, &after, err);
    }
    if (st == CRM_OK && (copied != n_rows || after != before + n_rows)) {
        st = count_error(s, before + n_rows, copied != n_rows ? before + copied : after, err);
    }
    if (st == CRM_OK) {
        st = pg_run(c, s, "cannot commit", "COMMIT", PGRES_COMMAND_OK, NULL, err);
    }
    PQfinish(c); /* without COMMIT the server rolls everything back */
    crm__sbuf_fini(&count);
    store_sql_fini(&q);
    return st;
}
#endif

/* ---- SQLite ---- */

#if CRM_HAVE_SQLITE
#define SQLITE_TABLE_FOUND "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1"

static crm_status
sqlite_run(sqlite3 *db, const crm__db_source *s, const char *what, const char *sql, crm_error *err)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? CRM_OK
               : crm__db_error(err, CRM_EIO, s, what, sqlite3_errmsg(db));
}

/* The first column of the first row of sql (with ?1 bound to text1 when not NULL). */
static crm_status sqlite_number(sqlite3 *db,
                                const crm__db_source *s,
                                const char *sql,
                                const char *text1,
                                int64_t *value,
                                crm_error *err)
{
    sqlite3_stmt *q = NULL;
    crm_status st = CRM_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK ||
        (text1 != NULL && sqlite3_bind_text(q, 1, text1, -1, SQLITE_STATIC) != SQLITE_OK) ||
        sqlite3_step(q) != SQLITE_ROW) {
        st = crm__db_error(err, CRM_EIO, s, "cannot count the rows", sqlite3_errmsg(db));
    } else {
        *value = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return st;
}

/* One field bound as its column's kind (every field of a number column is a number or
 * NULL: the survey saw them all): NULL, a whole number, a number or text. */
static int sqlite_bind(sqlite3_stmt *ins, int j, const crm_csv_cell *c, int kind)
{
    char buf[64];
    if (c->len == 0 && !c->quoted) {
        return sqlite3_bind_null(ins, j);
    }
    if (kind == COL_TEXT) {
        return sqlite3_bind_text64(ins, j, c->s, c->len, SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    memcpy(buf, c->s, c->len); /* field_kind: a number is shorter than buf */
    buf[c->len] = '\0';
    return kind == COL_INT ? sqlite3_bind_int64(ins, j, strtoll(buf, NULL, 10))
                           : sqlite3_bind_double(ins, j, strtod(buf, NULL));
}

static crm_status sqlite_insert(sqlite3 *db,
                                const crm__db_source *s,
                                const store_sql *q,
                                int fd,
                                const int *kinds,
                                crm_error *err)
{
    sqlite3_stmt *ins = NULL;
    csv_text t;
    crm__sbuf sql;
    bool got = true;
    crm_status st = csv_text_open(&t, fd, err);
    if (st != CRM_OK) {
        return st;
    }
    crm__sbuf_init(&sql);
    crm__sbuf_printf(&sql, "INSERT INTO %s (%s) VALUES (", q->table.p, q->columns.p);
    for (int32_t j = 0; j < t.n_cols; j++) {
        crm__sbuf_puts(&sql, j > 0 ? ", ?" : "?");
    }
    crm__sbuf_puts(&sql, ")");
    if (sql.failed) {
        st = crm__error_nomem(err);
    } else if (sqlite3_prepare_v2(db, sql.p, -1, &ins, NULL) != SQLITE_OK) {
        st = crm__db_error(err, CRM_EIO, s, "cannot write", sqlite3_errmsg(db));
    }
    while (st == CRM_OK && (st = csv_text_next(&t, &got, err)) == CRM_OK && got) {
        int rc = SQLITE_OK;
        for (int32_t j = 0; j < t.n_cols && rc == SQLITE_OK; j++) {
            rc = sqlite_bind(ins, (int)j + 1, &t.cells[j], kinds[j]);
        }
        if (rc != SQLITE_OK || sqlite3_step(ins) != SQLITE_DONE) {
            st = crm__db_error(err, CRM_EIO, s, "writing rows", sqlite3_errmsg(db));
        }
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    crm__sbuf_fini(&sql);
    csv_text_close(&t);
    return st;
}

static crm_status
sqlite_store(const crm__db_source *s, int fd, const int *kinds, int64_t n_rows, crm_error *err)
{
    sqlite3 *db = NULL;
    store_sql q;
    crm__sbuf count;
    int64_t found = 0;
    int64_t before = 0;
    int64_t after = -1;
    crm_status st = store_sql_make(s, fd, kinds, &q, err);
    if (st != CRM_OK) {
        return st;
    }
    crm__sbuf_init(&count);
    crm__sbuf_printf(&count, "SELECT count(*) FROM %s", q.table.p);
    if (count.failed) {
        st = crm__error_nomem(err);
    } else if (sqlite3_open_v2(s->connect, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
               SQLITE_OK) {
        st = crm__db_error(err, CRM_EIO, s, "cannot open",
                           db != NULL ? sqlite3_errmsg(db) : "out of memory");
    } else {
        (void)sqlite3_busy_timeout(db, 10000); /* another writer: wait for it a while */
        st = sqlite_run(db, s, "cannot begin", "BEGIN IMMEDIATE", err);
    }
    if (st == CRM_OK) {
        st = sqlite_number(db, s, SQLITE_TABLE_FOUND, s->table, &found, err);
    }
    if (st == CRM_OK && found && s->if_exists == CRM__DB_FAIL) {
        st = exists_error(s, err);
    } else if (st == CRM_OK && found && s->if_exists == CRM__DB_APPEND) {
        st = sqlite_number(db, s, count.p, NULL, &before, err);
    } else if (st == CRM_OK && found) {
        crm__sbuf del;
        crm__sbuf_init(&del);
        crm__sbuf_printf(&del, "DELETE FROM %s", q.table.p);
        st = del.failed ? crm__error_nomem(err)
                        : sqlite_run(db, s, "cannot replace the rows", del.p, err);
        crm__sbuf_fini(&del);
    } else if (st == CRM_OK) {
        st = sqlite_run(db, s, "cannot create the table", q.create.p, err);
    }
    if (st == CRM_OK) {
        st = sqlite_insert(db, s, &q, fd, kinds, err);
    }
    if (st == CRM_OK) { /* read back before the commit */
        st = sqlite_number(db, s, count.p, NULL, &after, err);
    }
    if (st == CRM_OK && after != before + n_rows) {
        st = count_error(s, before + n_rows, after, err);
    }
    if (st == CRM_OK) {
        st = sqlite_run(db, s, "cannot commit", "COMMIT", err);
    }
    if (st != CRM_OK && db != NULL) {
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    crm__sbuf_fini(&count);
    store_sql_fini(&q);
    return st;
}
#endif

/* ---- the public calls ---- */

/* Parse an output target; CRM_EUNSUPPORTED when this build cannot write it. */
static crm_status parse_target(const char *target, crm__db_source *s, crm_error *err)
{
    crm_status st;
    if (!crm_table_source_is_database(target)) {
        return crm__error_set(err, CRM_EINVAL, "%s: not a database table", target);
    }
    st = crm__db_parse_source(target, 1, s, err);
    if (st == CRM_OK && !(s->sqlite ? CRM_HAVE_SQLITE : CRM_HAVE_PQ)) {
        st = crm__db_unavailable(err, s->shown, s->sqlite, 1);
        crm__db_source_fini(s);
    }
    return st;
}

crm_status crm_table_store_csv(const char *target, int fd, int64_t *n_rows, crm_error *err)
{
    crm__db_source s;
    int *kinds = NULL;
    int32_t n_cols = 0;
    int64_t rows = 0;
    crm_status st = parse_target(target, &s, err);
    if (n_rows != NULL) {
        *n_rows = 0;
    }
    if (st != CRM_OK) {
        return st;
    }
    st = survey(fd, &kinds, &n_cols, &rows, err);
#if CRM_HAVE_SQLITE
    if (st == CRM_OK && s.sqlite) {
        st = sqlite_store(&s, fd, kinds, rows, err);
    }
#endif
#if CRM_HAVE_PQ
    if (st == CRM_OK && !s.sqlite) {
        st = pg_store(&s, fd, kinds, rows, err);
    }
#endif
    if (st == CRM_OK && n_rows != NULL) {
        *n_rows = rows;
    }
    crm_free(kinds);
    crm__db_source_fini(&s);
    return st;
}

#if CRM_HAVE_SQLITE
/* The SQLite file can be created or written: its folder exists and is writable. */
static crm_status sqlite_check(const crm__db_source *s, crm_error *err)
{
    const char *slash = strrchr(s->connect, '/');
    char *dir = slash == NULL         ? crm__strndup(".", 1)
                : slash == s->connect ? crm__strndup("/", 1)
                                      : crm__strndup(s->connect, (size_t)(slash - s->connect));
    struct stat st;
    int e = 0;
    if (dir == NULL) {
        return crm__error_nomem(err);
    }
    if (stat(s->connect, &st) == 0) {
        e = S_ISDIR(st.st_mode) ? EISDIR : access(s->connect, R_OK | W_OK) != 0 ? errno : 0;
    } else if (stat(dir, &st) != 0 || access(dir, W_OK | X_OK) != 0) {
        e = errno;
    }
    crm_free(dir);
    if (e != 0) {
        (void)crm__error_errno(err, e, s->shown, "cannot write the database file");
        if (err != NULL) {
            err->code = CRM_EIO; /* a missing folder is an output error, as for files */
        }
        return CRM_EIO;
    }
    return CRM_OK;
}
#endif

crm_status crm_table_target_check(const char *target, crm_error *err)
{
    crm__db_source s;
    crm_status st = parse_target(target, &s, err);
    if (st != CRM_OK) {
        return st;
    }
#if CRM_HAVE_SQLITE
    if (s.sqlite) {
        st = sqlite_check(&s, err);
    }
    if (st == CRM_OK && s.sqlite && s.if_exists == CRM__DB_FAIL) {
        sqlite3 *db = NULL;
        int64_t found = 0;
        if (sqlite3_open_v2(s.connect, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            st = sqlite_number(db, &s, SQLITE_TABLE_FOUND, s.table, &found, err);
            st = st == CRM_OK && found ? exists_error(&s, err) : st;
        } /* else a new file: no table yet */
        sqlite3_close(db);
    }
#endif
#if CRM_HAVE_PQ
    if (!s.sqlite) {
        PGconn *c = pg_connect(&s, err);
        int64_t found = 0;
        if (c == NULL) {
            st = CRM_EIO;
        } else if (s.if_exists == CRM__DB_FAIL) {
            crm__sbuf name;
            crm__sbuf_init(&name);
            crm__db_put_identifier(&name, s.table, 1);
            st = name.failed ? crm__error_nomem(err) : pg_table_found(c, &s, name.p, &found, err);
            st = st == CRM_OK && found ? exists_error(&s, err) : st;
            crm__sbuf_fini(&name);
        }
        PQfinish(c);
    }
#endif
    crm__db_source_fini(&s);
    return st;
}

/* The SQLite files of a and b are one file (both exist), or the same name. */
static int same_connection(const crm__db_source *a, const crm__db_source *b)
{
    struct stat sa;
    struct stat sb;
    if (a->sqlite && stat(a->connect, &sa) == 0 && stat(b->connect, &sb) == 0) {
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    }
    return strcmp(a->connect, b->connect) == 0;
}

/* path parsed as an output (table=, if_exists=) or, failing that, as a source (table=,
 * query=): either side of crm_table_same may be one or the other. */
static int parse_either(const char *path, crm__db_source *s)
{
    return crm__db_parse_source(path, 1, s, NULL) == CRM_OK ||
           crm__db_parse_source(path, 0, s, NULL) == CRM_OK;
}

int crm_table_same(const char *a, const char *b)
{
    crm__db_source sa;
    crm__db_source sb;
    int same;
    if (!crm_table_source_is_database(a) || !crm_table_source_is_database(b) ||
        crm__db_is_sqlite(a) != crm__db_is_sqlite(b) || !parse_either(a, &sa)) {
        return 0;
    }
    if (!parse_either(b, &sb)) {
        crm__db_source_fini(&sa);
        return 0;
    }
    same = sa.table != NULL && sb.table != NULL && strcmp(sa.table, sb.table) == 0 &&
           same_connection(&sa, &sb);
    crm__db_source_fini(&sa);
    crm__db_source_fini(&sb);
    return same;
}
