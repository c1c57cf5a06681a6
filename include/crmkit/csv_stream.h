/* crmkit/csv_stream.h: reading a large CSV file once, in blocks of whole records, with
 * memory that does not grow with the file (call detail records, logs).
 *
 * The file (plain, gzip, or a pipe; "-" is standard input) is read in blocks of about 4 MiB
 * cut at record ends; any number of threads may each take a block and split it into
 * records and fields with the CSV reader's field scanner (RFC 4180 quoting; quoted fields
 * may hold delimiters, quotes and newlines). Blocks are handed out in file order; each
 * knows the input line of its first record, so every error names file, line and column.
 *
 * Thread safety: crm_csv_stream_next_block may be called from several threads at once, each
 * with its own crm_csv_block; everything else on a stream needs exclusive access. */
#ifndef CRMKIT_CSV_STREAM_H
#define CRMKIT_CSV_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/status.h>

typedef struct crm_csv_stream crm_csv_stream; /* opaque */
typedef struct crm_csv_block crm_csv_block;   /* opaque; one per reading thread */

typedef struct crm_csv_cell { /* one field of a record, borrowed until the next record */
    const char *s;            /* unquoted text, not NUL-terminated */
    size_t len;
    bool quoted;
} crm_csv_cell;

/** Open path and read its header row. opt may be NULL (delimiter, quote and
 *  max_field_bytes are used). Errors: CRM_ENOTFOUND, CRM_EIO, CRM_EPARSE, CRM_EDATA (empty
 *  file), CRM_ELIMIT, CRM_ENOMEM. */
CRM_API crm_status crm_csv_stream_open(const char *path,
                                       const crm_csv_options *opt,
                                       crm_csv_stream **out,
                                       crm_error *err);
/** The same for the records in bytes [begin, end) of a plain file (end < 0: to its end), begin
 *  a line start after the header (or 0), that line being line first_line of the file: the
 *  header is read from the start, then reading jumps to begin and stops at end. For a file
 *  split across processes. CRM_EUNSUPPORTED for gzip input. */
CRM_API crm_status crm_csv_stream_open_range(const char *path,
                                             const crm_csv_options *opt,
                                             int64_t begin,
                                             int64_t end,
                                             int64_t first_line,
                                             crm_csv_stream **out,
                                             crm_error *err);
/** Where the range of a stream opened with crm_csv_stream_open_range is read, go on with
 *  the ranges [*begin, *end) (line starts after the header) that next(ud, begin, end) gives:
 *  1 for a range, 0 when there are no more, -1 for a read error (the stream fails with
 *  CRM_EIO). next is called under the stream's lock, by the thread taking a block. Lines in
 *  those ranges are counted from 1 at each range's start, not from the file's start. */
typedef int (*crm_csv_range_fn)(void *ud, int64_t *begin, int64_t *end);
CRM_API void crm_csv_stream_set_ranges(crm_csv_stream *s, crm_csv_range_fn next, void *ud);
CRM_API void crm_csv_stream_free(crm_csv_stream *s); /* NULL is a no-op */

CRM_API int32_t crm_csv_stream_n_cols(const crm_csv_stream *s);
/** Borrowed name of column j (as in the header, unquoted). */
CRM_API const char *crm_csv_stream_col_name(const crm_csv_stream *s, int32_t j);
/** Index of the column called name, or -1. */
CRM_API int32_t crm_csv_stream_find_col(const crm_csv_stream *s, const char *name);
/** Share of the input (compressed bytes for gzip) read so far, in [0, 1]; 0 when the size
 *  is unknown (a pipe). */
CRM_API double crm_csv_stream_fraction(const crm_csv_stream *s);

CRM_API crm_status crm_csv_block_new(crm_csv_block **out, crm_error *err);
CRM_API void crm_csv_block_free(crm_csv_block *b); /* NULL is a no-op */

/** Fill b with the next whole records of the file (thread-safe). *got is false at the end
 *  of the input. Errors: CRM_EIO (a read failed), CRM_EPARSE (truncated or corrupt gzip
 *  data), CRM_ELIMIT (a record longer than 1 GiB), CRM_ENOMEM. */
CRM_API crm_status crm_csv_stream_next_block(crm_csv_stream *s,
                                             crm_csv_block *b,
                                             bool *got,
                                             crm_error *err);

/** Next record of b (blank lines skipped) into cells[n_cols]; *line receives its first input
 *  line. *got is false at the end of the block. Errors name file, line, column and field:
 *  CRM_EPARSE (a row with more or fewer fields than the header, bad quoting), CRM_ELIMIT. */
CRM_API crm_status crm_csv_block_next_row(crm_csv_block *b,
                                          crm_csv_cell *cells,
                                          int64_t *line,
                                          bool *got,
                                          crm_error *err);

#endif
