/* io_internal.h: the table's private layout and the helpers the io files share. */
#ifndef CRM_IO_INTERNAL_H
#define CRM_IO_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/io.h>

#include "core/core_internal.h"

/* A string dictionary: level text -> code (0, 1, ... in order of first insertion). Texts are
 * NUL-terminated inside one arena; open addressing with the hash kept per slot. */
typedef struct crm__dict {
    char *arena;
    size_t arena_len;
    size_t arena_cap;
    size_t *off;    /* off[code]: start of the text in arena */
    int32_t n;      /* levels */
    int32_t cap;    /* capacity of off */
    int32_t *slots; /* code + 1; 0 = empty */
    uint32_t *hashes;
    size_t n_slots; /* power of two */
} crm__dict;

void crm__dict_init(crm__dict *d);
void crm__dict_fini(crm__dict *d);
/* Drop the hash index and the spare capacity once every level is in (a table's column: its
 * levels are only read by code from then on). find then looks through the texts; intern
 * builds the index again first. For 10 M distinct ids this gives back some 300 MB. */
void crm__dict_seal(crm__dict *d);
/* Code of s[0..len), inserting it when new. Returns CRM_OK, CRM_ENOMEM or CRM_ELIMIT (more
 * than INT32_MAX - 1 levels). */
crm_status crm__dict_intern(crm__dict *d, const char *s, size_t len, int32_t *code);
/* Code of s[0..len) or -1. */
int32_t crm__dict_find(const crm__dict *d, const char *s, size_t len);
static inline const char *crm__dict_text(const crm__dict *d, int32_t code)
{
    return d->arena + d->off[code];
}

typedef struct crm__col {
    char *name;
    crm_col_type type;
    double *num;    /* numeric: n_rows values */
    int32_t *codes; /* categorical / id: n_rows codes */
    crm__dict dict; /* levels of a text column */
} crm__col;

struct crm_table {
    char *source;
    int64_t n_rows;
    int32_t n_cols;
    int32_t cap_cols;
    crm__col *cols;
    int64_t *row_line; /* n_rows input lines, or NULL */
    /* Where crm_table_find_col looks first: one past the last column found. Callers look
     * columns up in table order (every feature of a 16,384-column table), which this makes
     * O(1) each instead of a scan. A relaxed atomic: const tables are shared by threads. */
    _Atomic int32_t find_hint;
};

/* Append a column that takes ownership of name, num/codes and dict (the table's column
 * array grows). On failure nothing is taken. */
crm_status crm__table_push_col(crm_table *t, crm__col *col, crm_error *err);

/* A table from a database source (crm_table_source_is_database; table_db.c), read as
 * crm_table_read_csv reads the same rows exported to CSV. */
crm_status crm__table_read_database(const char *path,
                                    const crm_csv_options *opt,
                                    const crm_progress *progress,
                                    crm_table **out,
                                    crm_error *err);

/* The rows of a database source as CSV text in an anonymous memory file, for the readers
 * that open a path (baskets, CDRs): its descriptor (read from the start; close it), or -1
 * with err set. *shown (crm_free it, also on failure) names the source, password hidden. */
int crm__database_open_fd(const char *path, char **shown, crm_error *err);

/* ---- database sources and outputs (table_db.c, table_db_store.c; both compiled twice) ---- */

#define CRM__SQLITE_SCHEME "sqlite:"

enum {
    CRM__DB_REPLACE = 1,
    CRM__DB_APPEND,
    CRM__DB_FAIL
}; /* if_exists= of an output */

/* A parsed source or output: where to connect, what to read or write. Strings are
 * crm_malloc'ed. */
typedef struct crm__db_source {
    int sqlite;
    int if_exists; /* outputs: CRM__DB_REPLACE (the default), _APPEND or _FAIL */
    char *shown;   /* for messages, any password replaced by "***" */
    char *connect; /* libpq's connection URI, or SQLite's file name */
    char *table;   /* ?table= (decoded), or NULL */
    char *query;   /* ?query= (decoded; sources only), or NULL */
} crm__db_source;

int crm__db_is_sqlite(const char *path);
/* output 0: a source (table= or query=); 1: an output (table=, if_exists=). */
crm_status crm__db_parse_source(const char *path, int output, crm__db_source *s, crm_error *err);
void crm__db_source_fini(crm__db_source *s);
/* name quoted as an SQL identifier; dotted: "schema.table" quoted part by part. */
void crm__db_put_identifier(crm__sbuf *b, const char *name, int dotted);
/* err set to what (a step) and the database's own message on one line. */
crm_status crm__db_error(crm_error *err,
                         crm_status code,
                         const crm__db_source *s,
                         const char *what,
                         const char *msg);
/* The error of a build without the database's library (or crmkit-mpi). */
crm_status crm__db_unavailable(crm_error *err, const char *shown, int sqlite, int output);

/* Parse a database source without reading it (tests, fuzzing): CRM_OK and in *select
 * (crm_free it) the statement a read would run, or the error a read would give. */
crm_status crm__database_source_check(const char *path, char **select, crm_error *err);

/* Shortest text that reads back as exactly v (at most 24 bytes + NUL into buf[32]);
 * returns its length. Non-finite values print as "nan", "inf", "-inf". */
int crm__format_double(double v, char *buf);

/* gzip inflated in steps by zlib (gzip.c), for inputs too large to decode whole and pipes. */
typedef struct crm__gz_stream crm__gz_stream;
crm_status crm__gz_stream_new(crm__gz_stream **out, crm_error *err);
void crm__gz_stream_free(crm__gz_stream *s);
/* One step of inflating: input in[0..in_len) (both advance), at_eof when no input follows it;
 * output into out[0..out_cap), made bytes. */
typedef struct crm__gz_step {
    const uint8_t *in;
    size_t in_len;
    int at_eof;
    char *out;
    size_t out_cap, made;
} crm__gz_step;
/* 1: the end of the data (after st->made more bytes); 0: out is full or more input is
 * needed; -1: bad or truncated data (crm__gz_stream_error). */
int crm__gz_stream_inflate(crm__gz_stream *s, crm__gz_step *st);
crm_status crm__gz_stream_error(const crm__gz_stream *s, const char *source, crm_error *err);

/* Regular files mapped with a SIGBUS guard (filemap.c): a mapping of len bytes of fd (every
 * page mapped at once when populate is 1), or NULL (read the file instead); whether no page of it
 * vanished (the file was truncated while mapped: the pages read as zeros); unmapping. */
void *crm__filemap_open(int fd, size_t len, int populate);
int crm__filemap_intact(const void *m);
void crm__filemap_close(void *m, size_t len);

/* Internal entry of the reader with a forced chunk size in bytes (0 = automatic), so tests
 * can split tiny inputs into many chunks and compare with the one-chunk result. */
crm_status crm__csv_read_mem_chunked(const char *data,
                                     size_t len,
                                     const char *source,
                                     const crm_csv_options *opt,
                                     const crm_progress *progress,
                                     size_t chunk_bytes,
                                     crm_table **out,
                                     crm_error *err);

/* Internal entry of the reader that parses copies of data[0..len) made block by block, as
 * a large mapped file is read (block: each thread's first buffer in bytes, 0 = the default;
 * no gzip), so tests can compare it with the text parsed in place. */
crm_status crm__csv_read_mem_copied(const char *data,
                                    size_t len,
                                    const char *source,
                                    const crm_csv_options *opt,
                                    size_t block,
                                    crm_table **out,
                                    crm_error *err);

/* The one of names[0..n) nearest to name (see crm_table_did_you_mean), or NULL. */
const char *crm__nearest_name(const char *name, const char *const *names, int32_t n);
/* " (did you mean \"X\"?)" for the nearest of names[0..n), or "", into buf[size]. */
const char *
crm__did_you_mean(const char *name, const char *const *names, int32_t n, char *buf, int32_t size);

#endif
