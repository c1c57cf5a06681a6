/* table_db.c: customer tables read from a database instead of a CSV file.
 *
 *   postgresql://[user[:password]@][host][:port][/dbname]?table=NAME   (or postgres://)
 *   postgresql://...?query=SELECT%20...                                (percent-encoded)
 *   sqlite:FILE?table=NAME   sqlite:FILE?query=SQL
 *
 * The rows come as CSV text and go through the CSV table loader, so a database table gets
 * the same column types, missing values (NULL is a missing cell), limits and messages as the
 * same table exported to a file; line N of a message is row N-1 of the result. PostgreSQL
 * sends the rows with COPY ... TO STDOUT (FORMAT csv, HEADER); SQLite rows are written here,
 * REAL values as the shortest text that reads back to the same double.
 *
 * Compiled twice, like src/dist/dist.c: with libpq and SQLite for crmkit-serve and libcrmkit,
 * and with CRM_TABLE_DB_NONE for crmkit and crmkit-mpi, which do not load those libraries
 * (crmkit hands a command with a database source to crmkit-serve; crmkit-mpi refuses it). */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>

#include "core/core_internal.h"
#include "io/io_internal.h"
#include "io/table_db_libs.h"

static const char *const pg_schemes[] = { "postgresql://", "postgres://" };

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int crm__db_is_sqlite(const char *path)
{
    return starts_with(path, CRM__SQLITE_SCHEME);
}

int crm_table_source_is_database(const char *path)
{
    return path != NULL && (starts_with(path, pg_schemes[0]) || starts_with(path, pg_schemes[1]) ||
                            crm__db_is_sqlite(path));
}

void crm__db_source_fini(crm__db_source *s)
{
    CRM__FREE(s->shown, s->connect, s->table, s->query);
    memset(s, 0, sizeof *s);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* s[0..n) percent-decoded ('+' is a space, as in a form-encoded query); NULL when a %
 * escape is broken or decodes to a NUL byte (*bad set), or out of memory. */
static char *decode(const char *s, size_t n, int *bad)
{
    char *d = crm_malloc(n + 1);
    size_t k = 0;
    if (d == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                *bad = 1;
                crm_free(d);
                return NULL;
            }
            d[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[k++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    d[k] = '\0';
    return d;
}

static char *user_info_hidden(const char *path)
{
    const char *auth = strstr(path, "://");
    const char *at;
    const char *colon;
    crm__sbuf b;
    if (auth == NULL) {
        return crm__strndup(path, strlen(path));
    }
    auth += 3;
    at = strpbrk(auth, "@/?");
    colon = at != NULL && *at == '@' ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon == NULL) {
        return crm__strndup(path, strlen(path));
    }
    crm__sbuf_init(&b);
    crm__sbuf_put(&b, path, (size_t)(colon + 1 - path));
    crm__sbuf_puts(&b, "***");
    crm__sbuf_puts(&b, at);
    return b.failed ? (crm__sbuf_fini(&b), NULL) : b.p;
}

/* The source's text with the password of "scheme://user:password@host" and of a
 * "password=" parameter replaced by ***: messages and models record it. */
static char *shown_text(const char *path)
{
    char *text = user_info_hidden(path);
    const char *q = text != NULL ? strchr(text, '?') : NULL;
    crm__sbuf b;
    if (q == NULL) {
        return text;
    }
    crm__sbuf_init(&b);
    crm__sbuf_put(&b, text, (size_t)(q - text));
    while (q != NULL) { /* q: the '?' or '&' before a parameter */
        size_t n = strcspn(q + 1, "&");
        crm__sbuf_put(&b, q, 1);
        if (strncmp(q + 1, "password=", 9) == 0) {
            crm__sbuf_puts(&b, "password=***");
        } else {
            crm__sbuf_put(&b, q + 1, n);
        }
        q = q[1 + n] == '&' ? q + 1 + n : NULL;
    }
    crm_free(text);
    return b.failed ? (crm__sbuf_fini(&b), NULL) : b.p;
}

/* The value of if_exists= (the part of p after it, n bytes), or -1. */
static int if_exists_value(const char *p, size_t n)
{
    static const char *const names[] = { "replace", "append", "fail" };
    static const int values[] = { CRM__DB_REPLACE, CRM__DB_APPEND, CRM__DB_FAIL };
    for (int i = 0; i < 3; i++) {
        if (n == strlen(names[i]) && strncmp(p, names[i], n) == 0) {
            return values[i];
        }
    }
    return -1;
}

char *crm_table_source_shown(const char *path)
{
    return crm_table_source_is_database(path) ? shown_text(path) : crm__strndup(path, strlen(path));
}

/* Split path into the connection part and crmkit's own table= / query= (a source) or
 * table= / if_exists= (an output) parameters; the other parameters are libpq's and stay in
 * the URI. */
crm_status crm__db_parse_source(const char *path, int output, crm__db_source *s, crm_error *err)
{
    static const char *const problems[] = {
        NULL,
        "a %-escape in table= or query= is broken",
        "an sqlite: source takes only ?table=NAME or ?query=SQL",
        "name what to read: ?table=NAME or ?query=SQL (percent-encoded), once",
        "name the table to write: ?table=NAME (percent-encoded), with &if_exists=replace, "
        "append or fail",
    };
    int sqlite = crm__db_is_sqlite(path);
    const char *q = strchr(path, '?');
    const char *base = sqlite ? path + strlen(CRM__SQLITE_SCHEME) : path;
    crm__sbuf conn;
    int bad = 0;
    memset(s, 0, sizeof *s);
    s->sqlite = sqlite;
    s->shown = shown_text(path);
    crm__sbuf_init(&conn);
    crm__sbuf_put(&conn, base, q != NULL ? (size_t)(q - base) : strlen(base));
    for (const char *p = q != NULL ? q + 1 : NULL; p != NULL && *p != '\0' && !bad;) {
        const char *end = strchr(p, '&');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n > 6 && strncmp(p, "table=", 6) == 0 && s->table == NULL) {
            s->table = decode(p + 6, n - 6, &bad);
        } else if (n > 6 && strncmp(p, "query=", 6) == 0 && s->query == NULL) {
            s->query = decode(p + 6, n - 6, &bad);
            bad = output ? 4 : bad;
        } else if (n > 10 && strncmp(p, "if_exists=", 10) == 0 && s->if_exists == 0) {
            s->if_exists = if_exists_value(p + 10, n - 10);
            bad = !output ? 3 : s->if_exists < 0 ? 4 : 0;
        } else if (sqlite) {
            bad = output ? 4 : 2;
        } else if (n > 0) {
            crm__sbuf_puts(&conn, strchr(conn.p != NULL ? conn.p : "", '?') != NULL ? "&" : "?");
            crm__sbuf_put(&conn, p, n);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    s->connect = conn.failed ? NULL : conn.p;
    if (s->shown == NULL || s->connect == NULL) {
        crm__sbuf_fini(&conn);
        crm__db_source_fini(s);
        return crm__error_nomem(err);
    }
    if (bad == 0 && (output ? s->table == NULL : (s->table == NULL) == (s->query == NULL))) {
        bad = output ? 4 : 3;
    }
    if (bad != 0) {
        crm_status st = crm__error_at(err, CRM_EINVAL, s->shown, 0, 0, "%s", problems[bad]);
        crm__db_source_fini(s);
        return st;
    }
    if (s->if_exists == 0) {
        s->if_exists = CRM__DB_REPLACE;
    }
    if (sqlite && s->connect[0] == '\0') {
        crm_status st = crm__error_at(err, CRM_EINVAL, s->shown, 0, 0,
                                      "the database file is missing: sqlite:FILE?table=NAME");
        crm__db_source_fini(s);
        return st;
    }
    return CRM_OK;
}

/* An identifier (a table name, "schema.table" for PostgreSQL) quoted for SQL: each part in
 * double quotes, a quote doubled. */
void crm__db_put_identifier(crm__sbuf *b, const char *name, int dotted)
{
    crm__sbuf_puts(b, "\"");
    for (const char *c = name; *c != '\0'; c++) {
        if (*c == '"') {
            crm__sbuf_puts(b, "\"\"");
        } else if (*c == '.' && dotted) {
            crm__sbuf_puts(b, "\".\"");
        } else {
            crm__sbuf_put(b, c, 1);
        }
    }
    crm__sbuf_puts(b, "\"");
}

/* The statement that reads the source's rows: the query, or every column of the table. */
static char *select_text(const crm__db_source *s, int dotted)
{
    crm__sbuf b;
    crm__sbuf_init(&b);
    if (s->query != NULL) {
        crm__sbuf_puts(&b, s->query);
    } else {
        crm__sbuf_puts(&b, "SELECT * FROM ");
        crm__db_put_identifier(&b, s->table, dotted);
    }
    return b.failed ? (crm__sbuf_fini(&b), NULL) : b.p;
}

#if CRM_HAVE_PQ || CRM_HAVE_SQLITE
/* A database's own message on one line, without its trailing newline. */
crm_status crm__db_error(crm_error *err,
                         crm_status code,
                         const crm__db_source *s,
                         const char *what,
                         const char *msg)
{
    char line[512];
    size_t n = 0;
    /* on one line: each run of white space (newlines, tabs) one space */
    for (const char *c = msg != NULL ? msg : "unknown error"; *c != '\0' && n + 1 < sizeof line;
         c++) {
        int space = *c == ' ' || *c == '\n' || *c == '\r' || *c == '\t';
        if (!space) {
            line[n++] = *c;
        } else if (n > 0 && line[n - 1] != ' ') {
            line[n++] = ' ';
        }
    }
    while (n > 0 && line[n - 1] == ' ') {
        n--;
    }
    line[n] = '\0';
    return crm__error_at(err, code, s->shown, 0, 0, "%s: %s", what, line);
}

#endif

/* Where the rows' CSV text goes: a buffer that keeps it all, or (fd >= 0) a buffer emptied
 * into a memory file every MiB, so that the text is held once. */
typedef struct rows_sink {
    crm__sbuf text;
    int fd;
    const char *shown; /* for messages */
} rows_sink;

/* After a row: with a file, move the buffer into it once it holds at least at_least bytes. */
static crm_status sink_flush(rows_sink *k, size_t at_least, crm_error *err)
{
    if (k->text.failed) {
        return crm__error_nomem(err);
    }
    if (k->fd < 0 || k->text.len == 0 || k->text.len < at_least) {
        return CRM_OK;
    }
    for (size_t off = 0; off < k->text.len;) {
        ssize_t put = write(k->fd, k->text.p + off, k->text.len - off);
        if (put < 0 && errno != EINTR) {
            return crm__error_errno_input(err, errno, k->shown, "keeping the rows of");
        }
        off += put > 0 ? (size_t)put : 0;
    }
    k->text.len = 0;
    k->text.p[0] = '\0';
    return CRM_OK;
}

#define SINK_CHUNK ((size_t)1 << 20)

#if CRM_HAVE_PQ
static crm_status read_postgres(const crm__db_source *s, rows_sink *k, crm_error *err)
{
    PGconn *c = PQconnectdb(s->connect);
    PGresult *res = NULL;
    char *select = select_text(s, 1);
    crm__sbuf sql;
    crm_status st = CRM_OK;
    crm__sbuf_init(&sql);
    crm__sbuf_puts(&sql, "COPY (");
    crm__sbuf_puts(&sql, select != NULL ? select : "");
    crm__sbuf_puts(&sql, ") TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')");
    if (c == NULL || select == NULL || sql.failed) {
        st = crm__error_nomem(err);
    } else if (PQstatus(c) != CONNECTION_OK) {
        st = crm__db_error(err, CRM_ENOTFOUND, s, "cannot connect", PQerrorMessage(c));
    } else if (PQresultStatus(res = PQexec(c, sql.p)) != PGRES_COPY_OUT) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        st = crm__db_error(err, CRM_ENOTFOUND, s, "cannot read",
                           primary != NULL ? primary : PQerrorMessage(c));
    }
    PQclear(res);
    while (st == CRM_OK) {
        char *row = NULL;
        int n = PQgetCopyData(c, &row, 0);
        if (n == -1) {
            break; /* done; the command's own status follows */
        }
        if (n < 0) {
            st = crm__db_error(err, CRM_ENOTFOUND, s, "reading rows", PQerrorMessage(c));
        } else {
            crm__sbuf_put(&k->text, row, (size_t)n);
            st = sink_flush(k, SINK_CHUNK, err);
        }
        PQfreemem(row);
    }
    while (c != NULL && (res = PQgetResult(c)) != NULL) {
        if (st == CRM_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
            st = crm__db_error(err, CRM_ENOTFOUND, s, "reading rows", PQresultErrorMessage(res));
        }
        PQclear(res);
    }
    PQfinish(c);
    crm__sbuf_fini(&sql);
    crm_free(select);
    return st;
}
#endif

#if CRM_HAVE_SQLITE
/* One value as a CSV field: NULL empty, REAL shortest exact, text quoted where needed. */
static void put_sqlite_value(crm__sbuf *csv, sqlite3_stmt *q, int j)
{
    int type = sqlite3_column_type(q, j);
    if (type == SQLITE_NULL) {
        return;
    }
    if (type == SQLITE_FLOAT) {
        char num[32];
        int n = crm__format_double(sqlite3_column_double(q, j), num);
        crm__sbuf_put(csv, num, (size_t)n);
    } else {
        const char *t = (const char *)sqlite3_column_text(q, j);
        size_t n = (size_t)sqlite3_column_bytes(q, j);
        if (t == NULL || strcspn(t, ",\"\r\n") >= n) {
            crm__sbuf_put(csv, t != NULL ? t : "", t != NULL ? n : 0);
            return;
        }
        crm__sbuf_puts(csv, "\"");
        for (size_t i = 0; i < n; i++) {
            crm__sbuf_put(csv, t[i] == '"' ? "\"\"" : t + i, t[i] == '"' ? 2 : 1);
        }
        crm__sbuf_puts(csv, "\"");
    }
}

static crm_status read_sqlite(const crm__db_source *s, rows_sink *k, crm_error *err)
{
    crm__sbuf *csv = &k->text;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *select = select_text(s, 0);
    crm_status st = CRM_OK;
    int rc;
    int n_cols;
    if (select == NULL) {
        return crm__error_nomem(err);
    }
    if (sqlite3_open_v2(s->connect, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        st = crm__db_error(err, CRM_ENOTFOUND, s, "cannot open",
                           db != NULL ? sqlite3_errmsg(db) : "out of memory");
    } else if (sqlite3_prepare_v2(db, select, -1, &q, NULL) != SQLITE_OK) {
        st = crm__db_error(err, CRM_ENOTFOUND, s, "cannot read", sqlite3_errmsg(db));
    }
    n_cols = q != NULL ? sqlite3_column_count(q) : 0;
    for (int j = 0; st == CRM_OK && j < n_cols; j++) {
        const char *name = sqlite3_column_name(q, j);
        crm__sbuf_puts(csv, j > 0 ? "," : "");
        crm__sbuf_puts(csv, "\"");
        for (const char *c = name != NULL ? name : ""; *c != '\0'; c++) {
            crm__sbuf_put(csv, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1);
        }
        crm__sbuf_puts(csv, "\"");
    }
    crm__sbuf_puts(csv, "\n");
    while (st == CRM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (int j = 0; j < n_cols; j++) {
            crm__sbuf_puts(csv, j > 0 ? "," : "");
            put_sqlite_value(csv, q, j);
        }
        crm__sbuf_puts(csv, "\n");
        st = sink_flush(k, SINK_CHUNK, err);
    }
    if (st == CRM_OK && rc != SQLITE_DONE) {
        st = crm__db_error(err, CRM_ENOTFOUND, s, "reading rows", sqlite3_errmsg(db));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    crm_free(select);
    return st;
}
#endif

crm_status crm__db_unavailable(crm_error *err, const char *shown, int sqlite, int output)
{
#ifdef CRM_TABLE_DB_NONE
    /* crmkit hands a command with a database source to crmkit-serve: crmkit-mpi is here */
    (void)sqlite;
    return crm__error_at(err, CRM_EUNSUPPORTED, shown, 0, 0, "%s",
                         output ? "a database is not written under mpirun: write a CSV file "
                                  "and load it into the table"
                                : "a database is not read under mpirun: export the table to a "
                                  "CSV file and give the file, whose parts the ranks read");
#else
    (void)output;
    return crm__error_at(err, CRM_EUNSUPPORTED, shown, 0, 0, "this crmkit was built without %s",
                         sqlite ? "SQLite" : "libpq");
#endif
}

/* The rows of the database source path as CSV text into k (k->text set up by the caller);
 * *shown (crm_free it) names the source in messages, with any password hidden. */
static crm_status database_csv(const char *path,
                               const crm_progress *progress,
                               rows_sink *k,
                               char **shown,
                               crm_error *err)
{
    int sqlite = crm__db_is_sqlite(path);
    int built = sqlite ? CRM_HAVE_SQLITE : CRM_HAVE_PQ;
    crm__db_source s;
    crm_status st;
    *shown = shown_text(path);
    k->shown = *shown;
    if (*shown == NULL) {
        return crm__error_nomem(err);
    }
    if (!built) {
        return crm__db_unavailable(err, *shown, sqlite, 0);
    }
    st = crm__db_parse_source(path, 0, &s, err);
    if (st != CRM_OK) {
        return st;
    }
    if (!crm_progress_report(progress, "reading table", 0.0)) {
        st = crm__error_set(err, CRM_ECANCELLED, "reading %s was cancelled", s.shown);
    }
#if CRM_HAVE_SQLITE
    if (st == CRM_OK && sqlite) {
        st = read_sqlite(&s, k, err);
    }
#endif
#if CRM_HAVE_PQ
    if (st == CRM_OK && !sqlite) {
        st = read_postgres(&s, k, err);
    }
#endif
    crm__db_source_fini(&s);
    return st;
}

crm_status crm__table_read_database(const char *path,
                                    const crm_csv_options *opt,
                                    const crm_progress *progress,
                                    crm_table **out,
                                    crm_error *err)
{
    rows_sink k = { .fd = -1 };
    char *shown = NULL;
    crm_status st = database_csv(path, progress, &k, &shown, err);
    const char *eol = st == CRM_OK && k.text.p != NULL ? memchr(k.text.p, '\n', k.text.len) : NULL;
    *out = NULL;
    if (st == CRM_OK && (eol == NULL || eol + 1 == k.text.p + k.text.len)) {
        st = crm__error_at(err, CRM_EDATA, shown, 0, 0, "the table or query gave no rows");
    }
    if (st == CRM_OK) {
        st = crm_table_read_csv_mem(k.text.p, k.text.len, shown, opt, out, err);
    }
    crm__sbuf_fini(&k.text);
    crm_free(shown);
    return st;
}

int crm__database_open_fd(const char *path, char **shown, crm_error *err)
{
    rows_sink k = { .fd = memfd_create("crmkit-table", MFD_CLOEXEC) };
    crm_status st =
        k.fd >= 0 ? CRM_OK
                  : crm__error_errno_input(err, errno, "a database table", "keeping the rows of");
    *shown = NULL;
    if (st == CRM_OK) {
        st = database_csv(path, NULL, &k, shown, err);
    }
    if (st == CRM_OK) {
        st = sink_flush(&k, 0, err);
    }
    if (st == CRM_OK && lseek(k.fd, 0, SEEK_SET) != 0) {
        st = crm__error_errno_input(err, errno, *shown, "keeping the rows of");
    }
    crm__sbuf_fini(&k.text);
    if (st != CRM_OK && k.fd >= 0) {
        close(k.fd);
    }
    return st == CRM_OK ? k.fd : -1;
}

crm_status crm__database_source_check(const char *path, char **select, crm_error *err)
{
    int sqlite = crm__db_is_sqlite(path);
    crm__db_source s;
    crm_status st;
    *select = NULL;
    if (!crm_table_source_is_database(path)) {
        return crm__error_set(err, CRM_EINVAL, "not a database source");
    }
    st = crm__db_parse_source(path, 0, &s, err);
    if (st == CRM_OK) {
        *select = select_text(&s, !sqlite);
        st = *select == NULL ? crm__error_nomem(err) : CRM_OK;
        crm__db_source_fini(&s);
    }
    return st;
}
