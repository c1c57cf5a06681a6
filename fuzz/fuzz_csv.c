/* fuzz_csv.c: the CSV reader on arbitrary bytes, as a differential test. The first byte
 * picks options (extra missing markers, delimiter, a row limit, a type override) and a
 * chunk size; the input is then read as one chunk, as many tiny chunks and (plain text)
 * from copies of tiny blocks as a large file is read, and the results must be identical: the same
 * table, or the same error at the same place. Any difference, and any sanitizer report, is a bug.
 * Inputs may be gzip (magic bytes). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/io.h>

#include "io/io_internal.h"
#include "io/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_tables(const crm_table *a, const crm_table *b)
{
    char x[128];
    char y[128];
    if (crm_table_n_rows(a) != crm_table_n_rows(b) || crm_table_n_cols(a) != crm_table_n_cols(b)) {
        abort();
    }
    for (int32_t j = 0; j < crm_table_n_cols(a); j++) {
        if (strcmp(crm_table_col_name(a, j), crm_table_col_name(b, j)) != 0 ||
            crm_table_col_type(a, j) != crm_table_col_type(b, j) ||
            crm_table_n_levels(a, j) != crm_table_n_levels(b, j)) {
            abort();
        }
        for (int64_t i = 0; i < crm_table_n_rows(a); i++) {
            if (strcmp(crm_table_cell_text(a, i, j, x, 128),
                       crm_table_cell_text(b, i, j, y, 128)) != 0 ||
                crm_table_row_line(a, i) != crm_table_row_line(b, i)) {
                abort();
            }
            if (crm_table_col_type(a, j) == CRM_COL_NUMERIC) {
                double u = crm_table_numeric(a, j)[i];
                double v = crm_table_numeric(b, j)[i];
                if (memcmp(&u, &v, sizeof u) != 0 || isinf(u)) {
                    abort();
                }
            } else if (crm_table_codes(a, j)[i] != crm_table_codes(b, j)[i] ||
                       crm_table_codes(a, j)[i] >= crm_table_n_levels(a, j)) {
                abort();
            }
        }
    }
}

/* The same table, or the same error at the same place. */
static void same_results(crm_status ra,
                         crm_status rb,
                         const crm_table *a,
                         const crm_table *b,
                         const crm_error *ea,
                         const crm_error *eb)
{
    if (ra != rb) {
        abort();
    }
    if (ra == CRM_OK) {
        same_tables(a, b);
    } else if (ra != CRM_ENOTFOUND && ra != CRM_EINVAL &&
               (ea->line != eb->line || ea->column != eb->column ||
                strcmp(ea->field, eb->field) != 0 || strcmp(ea->msg, eb->msg) != 0 || a != NULL ||
                b != NULL)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_csv_options o = crm_csv_options_default();
    crm_table *a = NULL;
    crm_table *b = NULL;
    crm_error ea;
    crm_error eb;
    crm_status ra;
    crm_status rb;
    uint8_t mode;
    size_t chunk;
    if (size < 1) {
        return 0;
    }
    mode = data[0];
    data++;
    size--;
    o.n_threads = 1;
    o.max_field_bytes = 4096;
    o.max_cols = 64;
    o.na_values = (mode & 1) ? "-,none" : NULL;
    o.delimiter = (mode & 2) ? ';' : ',';
    o.max_rows = (mode & 4) ? 3 : 0;
    o.types = (mode & 8) ? "a:cat" : NULL;
    chunk = 1 + (mode >> 4);
    ra = crm__csv_read_mem_chunked((const char *)data, size, "fuzz.csv", &o, NULL, size + 1, &a,
                                   &ea);
    rb = crm__csv_read_mem_chunked((const char *)data, size, "fuzz.csv", &o, NULL, chunk, &b, &eb);
    same_results(ra, rb, a, b, &ea, &eb);
    crm_table_free(b);
    b = NULL;
    if (!crm__io_is_gzip(data, size)) {
        rb = crm__csv_read_mem_copied((const char *)data, size, "fuzz.csv", &o, chunk, &b, &eb);
        same_results(ra, rb, a, b, &ea, &eb);
        crm_table_free(b);
    }
    crm_table_free(a);
    return 0;
}
