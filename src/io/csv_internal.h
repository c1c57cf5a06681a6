/* csv_internal.h: state shared by the CSV reader's files (scanner, driver, loader). */
#ifndef CRM_CSV_INTERNAL_H
#define CRM_CSV_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "io_internal.h"

#define CSV_OV_NONE (-1)

/* What one chunk learned about one column. Rows are chunk-local. */
typedef struct csv_colstat {
    int64_t n_word;
    int64_t n_missing;
    int64_t switch_row; /* first row stored as a text code; -1 = numbers throughout */
    int64_t word_row;   /* first non-number; -1 = none */
    int64_t word_line;
    int64_t inf_row; /* first infinite number; -1 = none */
    int64_t inf_line;
    char word[48];
    crm__dict dict; /* chunk-local levels (text mode) */
} csv_colstat;

typedef struct csv_chunk {
    const char *begin;
    const char *end; /* records starting before end belong to this chunk */
    int64_t line0;   /* input line of begin */
    int64_t row0;    /* first slot in the shared arrays */
    int64_t bound;   /* slots reserved (newlines in the chunk, + 1 for the last) */
    int64_t n_rows;
    int misaligned; /* the last record ran past end: the split was wrong */
    int grow;       /* bound is an estimate (the only chunk): when it fills, parsing stops */
    int full;       /* ... with full set, at and at_line where to go on once it grew */
    const char *at;
    int64_t at_line;
    csv_colstat *cs;
    crm_status rc;
    crm_error err;
    char *scratch;
    size_t scratch_cap;
} csv_chunk;

typedef struct csv_parser {
    const char *base;
    size_t len;
    const char *source;
    char delim;
    char quote;
    int64_t max_rows; /* 0 = all */
    int64_t max_field;
    char **na; /* extra missing markers */
    int32_t n_na;
    int32_t n_cols;
    char **names;
    int8_t *ov;    /* per column: CSV_OV_NONE or a crm_col_type */
    double **vals; /* per column: numbers, or text codes as doubles (-1 = missing) */
    int64_t *row_line;
} csv_parser;

typedef struct csv_field {
    const char *s;
    size_t len;
    int quoted;
} csv_field;

/* Scan the field at *pp; leaves *pp at its terminator (delimiter, '\n' or end of data).
 * Errors are located at *line and column j + 1 (name may be NULL). */
crm_status crm__csv_scan_field(const csv_parser *ps,
                               csv_chunk *ch,
                               const char **pp,
                               int64_t *line,
                               int32_t j,
                               const char *name,
                               csv_field *f);
/* Parse the records of one chunk into the shared arrays. */
void crm__csv_parse_chunk(const csv_parser *ps, csv_chunk *ch);
/* Field j of the record at *pp (blank lines before it skipped); *pp moves to the next
 * record. For re-reading the first rows of a chunk in a column that turned out to be text. */
crm_status
crm__csv_next_field(const csv_parser *ps, csv_chunk *ch, const char **pp, int32_t j, csv_field *f);
/* Bytes of the whole records in b[0, n) (b starts a record): up to and including the last
 * newline outside quotes; 0 when there is none. */
size_t crm__csv_record_cut(const char *b, size_t n, char quote);
/* For b[0, n) that starts a record (its first line is line) and holds no whole record:
 * CRM_ELIMIT, located at the field, when a quoted field still open at its end already holds
 * more than ps->max_field bytes (a closing quote that is missing would otherwise have the
 * reader grow its buffer to the end of the input), else CRM_OK: read on. */
crm_status
crm__csv_check_partial(const csv_parser *ps, const char *b, size_t n, int64_t line, crm_error *err);
/* 1 when s[0..len) (already trimmed, unquoted) is a missing-value marker. */
int crm__csv_is_na(const csv_parser *ps, const char *s, size_t len);

#endif
