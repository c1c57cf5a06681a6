/* crmkit/io.h: customer tables in memory, read from CSV (plain or .gz).
 *
 * A crm_table holds named columns of one of three types:
 *   - numeric: doubles, NaN marks a missing value;
 *   - categorical: a code per row (-1 = missing) into a per-column dictionary of levels;
 *   - identifier: like categorical, for keys such as a subscriber id (never a feature).
 * The CSV reader infers each column's type (numeric when every non-missing value is a
 * number; identifier when a text column is unique per row, or named like an id; categorical
 * otherwise). Overrides name columns explicitly. A column of numbers with a few stray words
 * (fewer than 1 in 20 non-missing values) is an error naming the first such cell, because it
 * is almost always a data fault; override the column as categorical to accept it.
 *
 * Thread safety: a loaded table is read-only and may be read from any number of threads. */
#ifndef CRMKIT_IO_H
#define CRMKIT_IO_H
#include <stdint.h>
#include <stdio.h>

#include <crmkit/common.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef enum crm_col_type {
    CRM_COL_NUMERIC = 0,
    CRM_COL_CATEGORICAL = 1,
    CRM_COL_ID = 2
} crm_col_type;

typedef struct crm_table crm_table; /* opaque */

typedef struct crm_csv_options {
    char delimiter; /* ',' */
    char quote;     /* '"' */
    /* Comma-separated "name:type" overrides, type one of num, cat, id; NULL for none.
     * Example: "msisdn:id,plan:cat". An unknown column name is CRM_ENOTFOUND. */
    const char *types;
    /* Comma-separated extra missing-value markers on top of "", NA, NaN, N/A, ?, null. */
    const char *na_values;
    int64_t max_rows;        /* 0 = all */
    int64_t max_field_bytes; /* a longer field is CRM_ELIMIT; default 1 MiB */
    int32_t max_cols;        /* more columns is CRM_ELIMIT; default 16384 */
    int32_t n_threads;       /* 0 = OpenMP default; never changes the result */
    /* 1: ignore delimiter and take the one of , ; tab | that splits the header line (outside
     * quotes) into the most fields; a comma when none of them occurs. */
    int32_t sniff_delimiter;
} crm_csv_options;

CRM_API crm_csv_options crm_csv_options_default(void);

/** 1 when path names a database table rather than a file: "postgresql://..." or
 *  "postgres://..." (a libpq connection URI) or "sqlite:FILE", followed by "?table=NAME" or
 *  "?query=SQL" (percent-encoded; the other URI parameters are libpq's). */
CRM_API int crm_table_source_is_database(const char *path);

/** path as messages and summaries may show it: for a database source or output, any
 *  password ("user:PASSWORD@" or "password=") replaced by "***". A new string (crm_free
 *  it), or NULL when out of memory. */
CRM_API char *crm_table_source_shown(const char *path);

/** Store CSV text read from descriptor fd (from offset 0: a header row, then records, as
 *  crmkit writes its CSV outputs) as the rows of the table target names:
 *  "postgresql://...?table=NAME" (a "schema.name" too) or "sqlite:FILE?table=NAME", with an
 *  optional "&if_exists=" replace (the default: the table's rows are replaced, its definition,
 *  indexes and grants kept), append, or fail (an error when the table exists). A new table
 *  gets one column per CSV column, typed from its values: whole numbers BIGINT (SQLite
 *  INTEGER), other numbers DOUBLE PRECISION (REAL), the rest TEXT (so are numbers written
 *  with a leading zero or "+", such as phone numbers); an empty unquoted field is NULL. One
 *  transaction, which commits only when the table then holds the expected number of rows:
 *  the table changes whole or not at all. *n_rows (may be NULL) receives the rows written.
 *  Errors: CRM_EINVAL (target), CRM_EIO (connecting, a statement, the row count),
 *  CRM_EPARSE (fd is not CSV), CRM_EUNSUPPORTED (built without the database's library). */
CRM_API crm_status crm_table_store_csv(const char *target, int fd, int64_t *n_rows, crm_error *err);
/** Check before any work that target (as for crm_table_store_csv) can be written: its form,
 *  a connection to PostgreSQL or the SQLite file's folder, and with if_exists=fail that the
 *  table does not exist. Errors as crm_table_store_csv's. */
CRM_API crm_status crm_table_target_check(const char *target, crm_error *err);
/** 1 when a and b (database sources or outputs) name the same table of the same database. */
CRM_API int crm_table_same(const char *a, const char *b);

/** Read a CSV file with a header row (RFC 4180 quoting, CRLF or LF, gzip detected by its
 *  magic bytes), or the table a database source names (crm_table_source_is_database), read
 *  as the same rows exported to CSV would be (NULL is a missing cell; line N of an error is
 *  row N-1 of the result). On success *out owns a new table; free it with crm_table_free.
 *  Errors name the file, line, column and field: CRM_ENOTFOUND (no such file), CRM_EIO,
 *  CRM_EPARSE (ragged row, bad quoting, a word in a numeric column, Inf), CRM_EDATA (empty
 *  file, header only, duplicate column names), CRM_ELIMIT, CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_table_read_csv(const char *path,
                                      const crm_csv_options *opt,
                                      const crm_progress *progress,
                                      crm_table **out,
                                      crm_error *err);
/** The same from memory; source names the data in error messages. */
CRM_API crm_status crm_table_read_csv_mem(const char *data,
                                          size_t len,
                                          const char *source,
                                          const crm_csv_options *opt,
                                          crm_table **out,
                                          crm_error *err);

/** Collective under mpirun (crmkit/dist.h): every rank parses only its byte range of the
 *  plain file path (crm_dist_split_file), and the ranks combine what they parsed so that each
 *  ends with the table crm_table_read_csv gives for the whole file: the same column types
 *  (decided from every part's counts), the same first bad cell reported (file, line,
 *  column), the same numbers, levels in order of first appearance, and input lines; except
 *  for identifier columns (CRM_COL_ID by override or by name), whose text only rank 0 holds
 *  (the other ranks have the column with every cell missing: they never write it). A gzip
 *  file, standard input ("-"), a database source, max_rows or a one-rank run:
 *  crm_table_read_csv on every rank.
 *  A quoted field spanning lines is refused (crm_dist_split_file). */
CRM_API crm_status crm_table_read_csv_split(const char *path,
                                            const crm_csv_options *opt,
                                            const crm_progress *progress,
                                            crm_table **out,
                                            crm_error *err);

CRM_API void crm_table_free(crm_table *t); /* NULL is a no-op */

CRM_API int64_t crm_table_n_rows(const crm_table *t);
CRM_API int32_t crm_table_n_cols(const crm_table *t);
/** Where the table came from (file path or source name); borrowed. */
CRM_API const char *crm_table_source(const crm_table *t);
/** Borrowed name of column j. */
CRM_API const char *crm_table_col_name(const crm_table *t, int32_t j);
CRM_API crm_col_type crm_table_col_type(const crm_table *t, int32_t j);
/** Index of the column called name, or -1. */
CRM_API int32_t crm_table_find_col(const crm_table *t, const char *name);
/** For messages about a column name that t lacks: " (did you mean \"Churn\"?)" naming the
 *  column nearest to name (a case-insensitive match first, else the least edit distance, at
 *  most a third of the name's length plus one), or "" when none is near. Written into
 *  buf[size]; returns buf. */
CRM_API const char *
crm_table_did_you_mean(const crm_table *t, const char *name, char *buf, int32_t size);
/** Values of numeric column j (n_rows, NaN = missing); NULL if j is not numeric. Borrowed. */
CRM_API const double *crm_table_numeric(const crm_table *t, int32_t j);
/** Codes of categorical/id column j (n_rows, -1 = missing); NULL if j is numeric. Borrowed. */
CRM_API const int32_t *crm_table_codes(const crm_table *t, int32_t j);
CRM_API int32_t crm_table_n_levels(const crm_table *t, int32_t j);
/** Borrowed text of level code of column j; NULL if out of range. */
CRM_API const char *crm_table_level(const crm_table *t, int32_t j, int32_t code);
/** Input line (1-based) on which data row i starts, for error messages; 0 if unknown. */
CRM_API int64_t crm_table_row_line(const crm_table *t, int64_t i);
/** Text of cell (i, j) as the file had it (a number is printed back with %.17g when the
 *  original text is not kept) into buf[size]; "" for missing. Returns buf. */
CRM_API const char *
crm_table_cell_text(const crm_table *t, int64_t i, int32_t j, char *buf, int32_t size);

/** Build a table by hand (generators, database sources, tests): n_rows fixed up front, then
 *  columns added one by one. Column names must be unique (CRM_EDATA). */
CRM_API crm_status crm_table_new(int64_t n_rows,
                                 const char *source,
                                 crm_table **out,
                                 crm_error *err);
/** Add a numeric column; values[n_rows] is copied (NaN = missing). */
CRM_API crm_status crm_table_add_numeric(crm_table *t,
                                         const char *name,
                                         const double *values,
                                         crm_error *err);
/** Add a categorical or id column from strings; values[n_rows] is copied (NULL = missing). */
CRM_API crm_status crm_table_add_text(crm_table *t,
                                      const char *name,
                                      crm_col_type type,
                                      const char *const *values,
                                      crm_error *err);

/** Write the table as CSV (header, RFC 4180 quoting when needed, numbers with %.17g or
 *  shorter exact form, missing as empty) atomically to path ("-" = stdout). */
CRM_API crm_status crm_table_write_csv(const crm_table *t, const char *path, crm_error *err);
/** The same bytes onto fp (the header line only when header is non-zero), for a table written
 *  part by part; write errors are fp's (ferror). Errors: CRM_EINVAL (no columns), CRM_ENOMEM. */
CRM_API crm_status crm_table_write_csv_fp(const crm_table *t, FILE *fp, int header, crm_error *err);

#endif
