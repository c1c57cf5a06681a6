/* test_csv_reader.c: the CSV reader: quoting, line ends, gzip, type inference, overrides,
 * missing markers, every error with its exact location, chunked (parallel) reading equal to
 * one-chunk reading, out-of-memory injection, and the number parser against strtod. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "crm_test.h"
#include "io/io_internal.h"

static crm_table *read_ok(const char *text, const crm_csv_options *opt)
{
    crm_table *t = NULL;
    crm_error err;
    char buf[600];
    crm_status rc = crm_table_read_csv_mem(text, strlen(text), "t.csv", opt, &t, &err);
    if (rc != CRM_OK) {
        fail_msg("unexpected error %s: %s", crm_status_name(rc),
                 crm_error_format(&err, buf, (int32_t)sizeof buf));
    }
    return t;
}

static const char *cell(const crm_table *t, int64_t i, int32_t j)
{
    static char buf[256];
    return crm_table_cell_text(t, i, j, buf, (int32_t)sizeof buf);
}

static void csv_reads_quoted_fields_crlf_and_blank_lines(void **state)
{
    const char *text = "id,name,x,y\r\n"
                       "1,\"a,b\",1.5,NA\r\n"
                       "2,\"he said \"\"hi\"\"\nthere\",2e3,-0.25\r\n"
                       "\r\n"
                       "3,plain,,7\r\n";
    crm_table *t;
    (void)state;
    t = read_ok(text, NULL);
    assert_int_equal(crm_table_n_rows(t), 3);
    assert_int_equal(crm_table_n_cols(t), 4);
    assert_string_equal(crm_table_col_name(t, 1), "name");
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_NUMERIC);
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_col_type(t, 2), CRM_COL_NUMERIC);
    assert_string_equal(cell(t, 0, 1), "a,b");
    assert_string_equal(cell(t, 1, 1), "he said \"hi\"\nthere");
    assert_string_equal(cell(t, 2, 1), "plain");
    assert_true(crm_table_numeric(t, 2)[0] == 1.5);
    assert_true(crm_table_numeric(t, 2)[1] == 2000.0);
    assert_true(isnan(crm_table_numeric(t, 2)[2]));
    assert_true(isnan(crm_table_numeric(t, 3)[0]));
    assert_true(crm_table_numeric(t, 3)[1] == -0.25);
    assert_int_equal(crm_table_row_line(t, 0), 2);
    assert_int_equal(crm_table_row_line(t, 1), 3);
    assert_int_equal(crm_table_row_line(t, 2), 6);
    assert_null(crm_table_numeric(t, 1));
    assert_null(crm_table_codes(t, 0));
    assert_int_equal(crm_table_find_col(t, "y"), 3);
    assert_int_equal(crm_table_find_col(t, "z"), -1);
    assert_string_equal(crm_table_source(t), "t.csv");
    crm_table_free(t);
}

static void csv_accepts_bom_no_final_newline_and_lone_cr_at_end(void **state)
{
    crm_table *t;
    (void)state;
    t = read_ok("\xEF\xBB\xBF"
                "a,b\n1,\"x\"\r",
                NULL);
    assert_string_equal(crm_table_col_name(t, 0), "a");
    assert_int_equal(crm_table_n_rows(t), 1);
    assert_string_equal(cell(t, 0, 1), "x");
    crm_table_free(t);
    t = read_ok("a;b\n1;2.5", &(crm_csv_options){ .delimiter = ';', .quote = '\'' });
    assert_int_equal(crm_table_n_cols(t), 2);
    assert_true(crm_table_numeric(t, 1)[0] == 2.5);
    crm_table_free(t);
}

static void csv_treats_missing_markers_as_missing(void **state)
{
    const char *text = "a,b,c\n"
                       "1,x,\n"
                       "NA,NaN,n/a\n"
                       "null,?,-\n"
                       "nan,\"NA\",N/A\n"
                       " 2 ,y,3\n";
    crm_csv_options o = crm_csv_options_default();
    crm_table *t;
    const int32_t *codes;
    (void)state;
    o.na_values = "-,missing";
    t = read_ok(text, &o);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_NUMERIC);
    assert_true(crm_table_numeric(t, 0)[0] == 1.0);
    for (int i = 1; i <= 3; i++) {
        assert_true(isnan(crm_table_numeric(t, 0)[i]));
    }
    assert_true(crm_table_numeric(t, 0)[4] == 2.0);
    /* A quoted "NA" is text, not a marker. */
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_CATEGORICAL);
    codes = crm_table_codes(t, 1);
    assert_int_equal(codes[1], -1);
    assert_int_equal(codes[2], -1);
    assert_string_equal(crm_table_level(t, 1, codes[3]), "NA");
    assert_int_equal(crm_table_n_levels(t, 1), 3);
    assert_int_equal(crm_table_col_type(t, 2), CRM_COL_NUMERIC);
    assert_true(crm_table_numeric(t, 2)[4] == 3.0);
    for (int i = 0; i < 4; i++) {
        assert_true(isnan(crm_table_numeric(t, 2)[i]));
    }
    crm_table_free(t);
}

static void csv_infers_types_and_levels_in_order_of_appearance(void **state)
{
    char text[8192];
    int n = 0;
    crm_table *t;
    (void)state;
    n += snprintf(text + n, sizeof text - (size_t)n, "customerID,region,zip,score,msisdn\n");
    for (int i = 0; i < 40; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n, "C%03d,%s,%05d,%d.5,%d\n", i,
                      i % 3 == 0 ? "North" : (i % 3 == 1 ? "South" : "East"), 100 + i % 4, i,
                      700000 + i);
    }
    t = read_ok(text, NULL);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_ID);
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_n_levels(t, 1), 3);
    assert_string_equal(crm_table_level(t, 1, 0), "North");
    assert_string_equal(crm_table_level(t, 1, 1), "South");
    assert_string_equal(crm_table_level(t, 1, 2), "East");
    assert_null(crm_table_level(t, 1, 3));
    assert_int_equal(crm_table_col_type(t, 2), CRM_COL_NUMERIC); /* 00100 is a number */
    assert_int_equal(crm_table_col_type(t, 3), CRM_COL_NUMERIC);
    assert_int_equal(crm_table_col_type(t, 4), CRM_COL_NUMERIC);
    assert_string_equal(cell(t, 39, 0), "C039");
    crm_table_free(t);
}

static void csv_text_column_unique_per_row_is_an_identifier(void **state)
{
    char text[4096];
    int n = 0;
    crm_table *t;
    (void)state;
    n += snprintf(text + n, sizeof text - (size_t)n, "sub,plan\n");
    for (int i = 0; i < 25; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n, "S%d,p%d\n", i, i % 2);
    }
    t = read_ok(text, NULL);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_ID);
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_CATEGORICAL);
    crm_table_free(t);
}

static void csv_overrides_change_types(void **state)
{
    const char *text = "zip,code,x\n00100,7,1\n00200,8,2\n00100,9,3\n";
    crm_csv_options o = crm_csv_options_default();
    crm_table *t;
    crm_error err;
    (void)state;
    o.types = "zip:cat,code:id,x:num";
    t = read_ok(text, &o);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_n_levels(t, 0), 2);
    assert_string_equal(cell(t, 2, 0), "00100"); /* original text kept */
    assert_int_equal(crm_table_col_type(t, 1), CRM_COL_ID);
    assert_int_equal(crm_table_col_type(t, 2), CRM_COL_NUMERIC);
    crm_table_free(t);
    o.types = "nosuch:cat";
    assert_int_equal(crm_table_read_csv_mem(text, strlen(text), "t.csv", &o, &t, &err),
                     CRM_ENOTFOUND);
    assert_string_equal(err.field, "nosuch");
    assert_null(t);
    o.types = "zip:date";
    assert_int_equal(crm_table_read_csv_mem(text, strlen(text), "t.csv", &o, &t, &err), CRM_EINVAL);
    o.types = "zip";
    assert_int_equal(crm_table_read_csv_mem(text, strlen(text), "t.csv", &o, &t, &err), CRM_EINVAL);
}

static void csv_word_rule_one_in_twenty(void **state)
{
    char text[4096];
    int n = 0;
    crm_table *t;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    (void)state;
    /* 2 words in 10 values: a categorical column of mixed text. */
    n = snprintf(text, sizeof text, "v\n1\n2\nlow\n3\n4\n5\nhigh\n6\n7\n8\n");
    t = read_ok(text, NULL);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_CATEGORICAL);
    assert_string_equal(cell(t, 0, 0), "1");
    assert_string_equal(cell(t, 2, 0), "low");
    crm_table_free(t);
    /* 1 word in 30 values: a data fault, reported at the word. */
    n = snprintf(text, sizeof text, "k,v\n");
    for (int i = 0; i < 30; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n, "%d,%s\n", i, i == 17 ? "abc" : "1.25");
    }
    assert_int_equal(crm_table_read_csv_mem(text, (size_t)n, "w.csv", NULL, &t, &err), CRM_EPARSE);
    assert_int_equal(err.line, 19);
    assert_int_equal(err.column, 2);
    assert_string_equal(err.field, "v");
    assert_non_null(strstr(err.msg, "\"abc\""));
    o.types = "v:cat";
    t = read_ok(text, &o);
    assert_int_equal(crm_table_n_levels(t, 1), 2);
    crm_table_free(t);
}

typedef struct err_case {
    const char *text;
    crm_status code;
    int64_t line;
    int64_t column;
    const char *field;
    const char *msg_part;
} err_case;

static const err_case err_cases[] = {
    { "", CRM_EDATA, 0, 0, "", "empty file" },
    { "\n\r\n", CRM_EDATA, 0, 0, "", "empty file" },
    { "a,b\n", CRM_EDATA, 2, 0, "", "no data rows" },
    { "a,b\n\n\n", CRM_EDATA, 2, 0, "", "no data rows" },
    { "a,b\n1,2\n3\n", CRM_EPARSE, 3, 2, "b", "1 fields" },
    { "a,b\n1,2\n3,4,5\n", CRM_EPARSE, 3, 3, "", "more fields" },
    { "a,b\n1,2\n3,4,\n", CRM_EPARSE, 3, 3, "", "more fields" },
    { "a,b\n1,\"x\ny\"\n2\n", CRM_EPARSE, 4, 2, "b", "1 fields" },
    { "a,b\n1,x\"y\n", CRM_EPARSE, 2, 2, "b", "quote character inside" },
    { "a,b\n1,\"xy\"z\n", CRM_EPARSE, 2, 2, "b", "after a closing quote" },
    { "a,b\n1,2\n3,\"open\n\n", CRM_EPARSE, 3, 2, "b", "not closed" },
    { "a,b\n1,inf\n", CRM_EPARSE, 2, 2, "b", "infinite" },
    { "a,b\n1,2\n3,-Infinity\n", CRM_EPARSE, 3, 2, "b", "infinite" },
    { "a,b\n1,1e999\n", CRM_EPARSE, 2, 2, "b", "infinite" },
    { "a,b,a\n1,2,3\n", CRM_EDATA, 1, 3, "a", "duplicate column name" },
    { "a, b ,b\n1,2,3\n", CRM_EDATA, 1, 3, "b", "duplicate column name" },
    { "a,\"b\"x\n1,2\n", CRM_EPARSE, 1, 2, "", "after a closing quote" },
};

static void check_error(const err_case *c, size_t chunk_bytes, int n_threads)
{
    crm_table *t = (crm_table *)1;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    crm_status rc;
    o.n_threads = n_threads;
    rc = crm__csv_read_mem_chunked(c->text, strlen(c->text), "bad.csv", &o, NULL, chunk_bytes, &t,
                                   &err);
    if (rc != c->code || err.line != c->line || err.column != c->column ||
        strcmp(err.field, c->field) != 0 || strstr(err.msg, c->msg_part) == NULL) {
        char buf[600];
        fail_msg("input \"%s\" (chunk %zu): got %s %s", c->text, chunk_bytes, crm_status_name(rc),
                 crm_error_format(&err, buf, (int32_t)sizeof buf));
    }
    assert_null(t);
    assert_string_equal(err.source, c->code == CRM_EDATA && c->line == 0 ? "bad.csv" : "bad.csv");
}

/* The same error through copies of blocks of block bytes (as a large file is read). */
static void check_error_copied(const err_case *c, size_t block, int n_threads)
{
    crm_table *t = (crm_table *)1;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    crm_status rc;
    o.n_threads = n_threads;
    rc = crm__csv_read_mem_copied(c->text, strlen(c->text), "bad.csv", &o, block, &t, &err);
    if (rc != c->code || err.line != c->line || err.column != c->column ||
        strcmp(err.field, c->field) != 0 || strstr(err.msg, c->msg_part) == NULL) {
        char buf[600];
        fail_msg("input \"%s\" (copied blocks of %zu): got %s %s", c->text, block,
                 crm_status_name(rc), crm_error_format(&err, buf, (int32_t)sizeof buf));
    }
    assert_null(t);
}

static void csv_reports_file_line_column_and_field_of_each_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        check_error(&err_cases[i], 0, 1);
        for (size_t cb = 1; cb <= 5; cb++) {
            check_error(&err_cases[i], cb, 2);
            check_error_copied(&err_cases[i], cb, 1 + (int)(cb & 1));
        }
        check_error_copied(&err_cases[i], 4096, 2);
    }
}

static void csv_enforces_limits(void **state)
{
    crm_csv_options o = crm_csv_options_default();
    crm_table *t;
    crm_error err;
    const char *text = "a,b,c\n1,2,3\n4,\"long field\",6\n7,8,9\n";
    (void)state;
    o.max_field_bytes = 5;
    assert_int_equal(crm_table_read_csv_mem(text, strlen(text), "l.csv", &o, &t, &err), CRM_ELIMIT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 2);
    assert_string_equal(err.field, "b");
    o = crm_csv_options_default();
    o.max_cols = 2;
    assert_int_equal(crm_table_read_csv_mem(text, strlen(text), "l.csv", &o, &t, &err), CRM_ELIMIT);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 3);
    o = crm_csv_options_default();
    o.max_rows = 2;
    t = read_ok(text, &o);
    assert_int_equal(crm_table_n_rows(t), 2);
    assert_string_equal(cell(t, 1, 1), "long field");
    crm_table_free(t);
}

static void csv_missing_file_is_not_found(void **state)
{
    crm_table *t = (crm_table *)1;
    crm_error err;
    char *dir = crm_test_tmpdir();
    char path[512];
    (void)state;
    snprintf(path, sizeof path, "%s/nope.csv", dir);
    assert_int_equal(crm_table_read_csv(path, NULL, NULL, &t, &err), CRM_ENOTFOUND);
    assert_null(t);
    assert_string_equal(err.source, path);
    /* a folder is an input that cannot be read (66), not an output error */
    assert_int_equal(crm_table_read_csv(dir, NULL, NULL, &t, &err), CRM_ENOTFOUND);
    snprintf(path, sizeof path, "%s/empty.csv", dir);
    assert_int_equal(crm_test_write_file(path, ""), 0);
    assert_int_equal(crm_table_read_csv(path, NULL, NULL, &t, &err), CRM_EDATA);
    crm_test_rmdir(dir);
    free(dir);
}

/* ---- comparing tables ---- */

static void assert_tables_equal(const crm_table *a, const crm_table *b)
{
    assert_int_equal(crm_table_n_rows(a), crm_table_n_rows(b));
    assert_int_equal(crm_table_n_cols(a), crm_table_n_cols(b));
    for (int32_t j = 0; j < crm_table_n_cols(a); j++) {
        assert_string_equal(crm_table_col_name(a, j), crm_table_col_name(b, j));
        assert_int_equal(crm_table_col_type(a, j), crm_table_col_type(b, j));
        if (crm_table_col_type(a, j) == CRM_COL_NUMERIC) {
            assert_memory_equal(crm_table_numeric(a, j), crm_table_numeric(b, j),
                                (size_t)crm_table_n_rows(a) * sizeof(double));
        } else {
            assert_int_equal(crm_table_n_levels(a, j), crm_table_n_levels(b, j));
            assert_memory_equal(crm_table_codes(a, j), crm_table_codes(b, j),
                                (size_t)crm_table_n_rows(a) * sizeof(int32_t));
            for (int32_t k = 0; k < crm_table_n_levels(a, j); k++) {
                assert_string_equal(crm_table_level(a, j, k), crm_table_level(b, j, k));
            }
        }
    }
    for (int64_t i = 0; i < crm_table_n_rows(a); i++) {
        assert_int_equal(crm_table_row_line(a, i), crm_table_row_line(b, i));
    }
}

/* A messy but valid CSV: quoted fields with delimiters, quotes and newlines, CRLF and LF,
 * blank lines, missing values, a column that turns to text late, ids. */
static char *messy_csv(uint64_t seed, int n_rows, size_t *len)
{
    crm_rng rng;
    size_t cap = (size_t)n_rows * 160 + 256;
    char *s = malloc(cap);
    size_t n = 0;
    crm_rng_seed(&rng, seed);
    n += (size_t)snprintf(s + n, cap - n, "id,amount,\"note, free\",late,region,count\r\n");
    for (int i = 0; i < n_rows; i++) {
        uint64_t r = crm_rng_below(&rng, 100);
        const char *eol = crm_rng_below(&rng, 2) ? "\r\n" : "\n";
        n += (size_t)snprintf(s + n, cap - n, "U%05d,", i);
        if (r < 5) {
            n += (size_t)snprintf(s + n, cap - n, ",");
        } else if (r < 10) {
            n += (size_t)snprintf(s + n, cap - n, "\"%.3f\",", crm_rng_uniform(&rng) * 100);
        } else {
            n += (size_t)snprintf(s + n, cap - n, "%.17g,", crm_rng_normal(&rng) * 1e3);
        }
        switch (crm_rng_below(&rng, 5)) {
        case 0:
            n += (size_t)snprintf(s + n, cap - n, "\"multi\nline, \"\"quoted\"\"\",");
            break;
        case 1:
            n += (size_t)snprintf(s + n, cap - n, "plain text,");
            break;
        case 2:
            n += (size_t)snprintf(s + n, cap - n, "\"\",");
            break;
        default:
            n += (size_t)snprintf(s + n, cap - n, "\"x%d\",", (int)crm_rng_below(&rng, 7));
        }
        if (i > n_rows * 3 / 4 && r % 3 == 0) {
            n += (size_t)snprintf(s + n, cap - n, "tail%d,", (int)(r % 4));
        } else {
            n += (size_t)snprintf(s + n, cap - n, "%d,", (int)r);
        }
        n += (size_t)snprintf(s + n, cap - n, "%s,%d%s",
                              r % 4 == 0 ? "North" : (r % 4 == 1 ? "NA" : "\"South\""),
                              (int)crm_rng_below(&rng, 1000), eol);
        if (r == 42) {
            n += (size_t)snprintf(s + n, cap - n, "%s", eol); /* blank line */
        }
    }
    *len = n;
    return s;
}

/* One chunk estimates its rows from the newlines of its first MiB: long rows there and
 * short ones after make the estimate fall short several times over; the arrays grow and
 * the table equals the one read in many counted chunks (rows, values, lines). */
static void csv_one_chunk_grows_past_its_row_estimate(void **state)
{
    size_t cap = (size_t)4 << 20;
    char *text = malloc(cap);
    size_t len = 0;
    int64_t rows = 0;
    crm_table *one = NULL;
    crm_table *many = NULL;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    (void)state;
    assert_non_null(text);
    len += (size_t)sprintf(text + len, "a,b\n");
    while (len < ((size_t)11 << 17)) { /* 1.375 MiB of 40-byte rows */
        len += (size_t)sprintf(text + len, "%lld.1234567890123,-98765.43210987654321\n",
                               (long long)(1000000 + rows));
        rows++;
    }
    while (len < ((size_t)3 << 20)) { /* then 4-byte rows */
        len += (size_t)sprintf(text + len, "%d,%d\n", (int)(rows % 10), (int)(rows % 7));
        if (rows % 1000 == 0) {
            text[len++] = '\n'; /* a blank line now and then */
        }
        rows++;
    }
    o.n_threads = 1;
    assert_int_equal(crm__csv_read_mem_chunked(text, len, "g.csv", &o, NULL, len + 1, &one, &err),
                     CRM_OK);
    assert_int_equal(crm_table_n_rows(one), rows);
    assert_true(crm_table_numeric(one, 0)[0] == 1000000.1234567890123);
    assert_true(crm_table_numeric(one, 1)[rows - 1] == (double)((rows - 1) % 7));
    o.n_threads = 2;
    assert_int_equal(crm__csv_read_mem_chunked(text, len, "g.csv", &o, NULL, 65536, &many, &err),
                     CRM_OK);
    assert_tables_equal(one, many);
    for (int64_t i = 0; i < rows; i += 997) {
        assert_int_equal(crm_table_row_line(one, i), crm_table_row_line(many, i));
    }
    assert_int_equal(crm_table_row_line(one, rows - 1), crm_table_row_line(many, rows - 1));
    crm_table_free(one);
    crm_table_free(many);
    free(text);
}

static void csv_chunked_parallel_read_equals_one_chunk(void **state)
{
    size_t len;
    char *text = messy_csv(11, 400, &len);
    crm_table *ref = NULL;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    static const size_t sizes[] = { 1, 2, 3, 7, 64, 1000, 4096 };
    (void)state;
    o.n_threads = 1;
    assert_int_equal(crm__csv_read_mem_chunked(text, len, "m.csv", &o, NULL, len + 1, &ref, &err),
                     CRM_OK);
    assert_int_equal(crm_table_n_rows(ref), 400);
    assert_int_equal(crm_table_col_type(ref, 0), CRM_COL_ID);
    assert_int_equal(crm_table_col_type(ref, 1), CRM_COL_NUMERIC);
    assert_int_equal(crm_table_col_type(ref, 2), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_col_type(ref, 3), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_col_type(ref, 4), CRM_COL_CATEGORICAL);
    assert_int_equal(crm_table_n_levels(ref, 4), 2);
    assert_string_equal(crm_table_col_name(ref, 2), "note, free");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int th = 1; th <= 2; th++) {
            crm_table *t = NULL;
            o.n_threads = th;
            assert_int_equal(
                crm__csv_read_mem_chunked(text, len, "m.csv", &o, NULL, sizes[s], &t, &err),
                CRM_OK);
            assert_tables_equal(ref, t);
            crm_table_free(t);
        }
    }
    {
        crm_table *t = NULL;
        o.n_threads = 0;
        assert_int_equal(crm_table_read_csv_mem(text, len, "m.csv", &o, &t, &err), CRM_OK);
        assert_tables_equal(ref, t);
        crm_table_free(t);
    }
    crm_table_free(ref);
    free(text);
}

/* Copies of blocks (a large file's read) give the table parsed in place: records longer
 * than the block (the buffer doubles), quoted newlines across block ends, CRLF, blank lines,
 * a column that turns to text late (its first rows read again from the text), and a row
 * estimate that falls short (the arrays and chunk slots grow between rounds). */
static void csv_copied_blocks_equal_in_place(void **state)
{
    static const size_t sizes[] = { 1, 2, 3, 7, 64, 1000, 4096, 0 };
    crm_csv_options o = crm_csv_options_default();
    crm_table *ref = NULL;
    crm_error err;
    size_t len;
    char *text = messy_csv(23, 600, &len);
    (void)state;
    o.n_threads = 1;
    assert_int_equal(crm__csv_read_mem_chunked(text, len, "m.csv", &o, NULL, len + 1, &ref, &err),
                     CRM_OK);
    assert_int_equal(crm_table_n_rows(ref), 600);
    assert_int_equal(crm_table_col_type(ref, 3), CRM_COL_CATEGORICAL);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int th = 1; th <= 2; th++) {
            crm_table *t = NULL;
            o.n_threads = th;
            assert_int_equal(crm__csv_read_mem_copied(text, len, "m.csv", &o, sizes[s], &t, &err),
                             CRM_OK);
            assert_tables_equal(ref, t);
            crm_table_free(t);
        }
    }
    crm_table_free(ref);
    free(text);
    {
        /* 1.375 MiB of 40-byte rows, then 4-byte rows: the estimate from the first MiB is
         * about a third of the rows */
        size_t cap = (size_t)4 << 20;
        int64_t rows = 0;
        crm_table *one = NULL;
        text = malloc(cap);
        len = (size_t)sprintf(text, "a,b\n");
        while (len < ((size_t)11 << 17)) {
            len += (size_t)sprintf(text + len, "%lld.1234567890123,-98765.43210987654321\n",
                                   (long long)(1000000 + rows));
            rows++;
        }
        while (len < ((size_t)3 << 20)) {
            len += (size_t)sprintf(text + len, "%d,%d\n", (int)(rows % 10), (int)(rows % 7));
            if (rows % 1000 == 0) {
                text[len++] = '\n';
            }
            rows++;
        }
        o.n_threads = 1;
        assert_int_equal(
            crm__csv_read_mem_chunked(text, len, "g.csv", &o, NULL, len + 1, &one, &err), CRM_OK);
        assert_int_equal(crm_table_n_rows(one), rows);
        for (int th = 1; th <= 2; th++) {
            for (size_t b = 4096; b <= ((size_t)1 << 20); b *= 16) {
                crm_table *t = NULL;
                o.n_threads = th;
                assert_int_equal(crm__csv_read_mem_copied(text, len, "g.csv", &o, b, &t, &err),
                                 CRM_OK);
                assert_tables_equal(one, t);
                crm_table_free(t);
            }
        }
        crm_table_free(one);
        free(text);
    }
}

/* A file large enough to be mapped is read from copies (pread): the same table as the same
 * bytes in memory, and the same error at the same place. */
static void csv_mapped_file_reads_like_memory(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_csv_options o = crm_csv_options_default();
    crm_table *a = NULL;
    crm_table *b = NULL;
    crm_error ea;
    crm_error eb;
    size_t len;
    char *text = messy_csv(5, 3000, &len);
    FILE *fp;
    (void)state;
    assert_true(len > ((size_t)64 << 10));
    snprintf(path, sizeof path, "%s/big.csv", dir);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    fclose(fp);
    for (int th = 1; th <= 2; th++) {
        o.n_threads = th;
        assert_int_equal(crm_table_read_csv_mem(text, len, "x.csv", &o, &a, &ea), CRM_OK);
        assert_int_equal(crm_table_read_csv(path, &o, NULL, &b, &eb), CRM_OK);
        assert_tables_equal(a, b);
        crm_table_free(a);
        crm_table_free(b);
    }
    /* a word in a numeric column near the end: the error names its line */
    {
        static const char bad[] = "U99999,oops,x,1,North,1\n";
        text = realloc(text, len + sizeof bad);
        assert_non_null(text);
        memcpy(text + len, bad, sizeof bad);
        len += sizeof bad - 1;
        fp = fopen(path, "wb");
        assert_int_equal(fwrite(text, 1, len, fp), len);
        fclose(fp);
        o.types = "amount:num";
        assert_int_equal(crm_table_read_csv_mem(text, len, path, &o, &a, &ea), CRM_EPARSE);
        assert_int_equal(crm_table_read_csv(path, &o, NULL, &b, &eb), CRM_EPARSE);
        assert_null(b);
        assert_true(eb.line > 3000);
        assert_int_equal(ea.line, eb.line);
        assert_int_equal(ea.column, eb.column);
        assert_string_equal(ea.msg, eb.msg);
    }
    remove(path);
    crm_test_rmdir(dir);
    free(dir);
    free(text);
}

static char *gzip_bytes(const char *text, size_t len, size_t *out_len)
{
    z_stream zs;
    size_t cap = len + 1024;
    char *out = malloc(cap);
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static void csv_reads_gzip_files_by_magic_bytes(void **state)
{
    size_t len;
    size_t gz_len;
    char *text = messy_csv(5, 200, &len);
    char *gz = gzip_bytes(text, len, &gz_len);
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_table *a = NULL;
    crm_table *b = NULL;
    crm_error err;
    FILE *f;
    (void)state;
    snprintf(path, sizeof path, "%s/data.csv", dir); /* no .gz suffix on purpose */
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(gz, 1, gz_len, f), gz_len);
    fclose(f);
    assert_int_equal(crm_table_read_csv_mem(text, len, "m.csv", NULL, &a, &err), CRM_OK);
    assert_int_equal(crm_table_read_csv(path, NULL, NULL, &b, &err), CRM_OK);
    assert_tables_equal(a, b);
    crm_table_free(b);
    /* Truncated gzip is an error, not a short table. */
    assert_int_equal(crm_table_read_csv_mem(gz, gz_len / 2, "cut.csv.gz", NULL, &b, &err),
                     CRM_EPARSE);
    assert_non_null(strstr(err.msg, "truncated"));
    gz[gz_len / 2] ^= 0x55;
    gz[gz_len / 2 + 1] ^= 0x55;
    assert_true(crm_table_read_csv_mem(gz, gz_len, "bad.csv.gz", NULL, &b, &err) != CRM_OK);
    assert_null(b);
    crm_table_free(a);
    crm_test_rmdir(dir);
    free(dir);
    free(gz);
    free(text);
}

static void csv_fixture_file_reads(void **state)
{
    char *path = crm_test_path("data/csv_small.csv.gz");
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm_table_read_csv(path, NULL, NULL, &t, &err), CRM_OK);
    assert_int_equal(crm_table_n_rows(t), 4);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_ID);
    assert_string_equal(cell(t, 3, 2), "line one\nline \"two\"");
    assert_true(crm_table_numeric(t, 1)[2] == 0.1);
    crm_table_free(t);
    free(path);
}

static void csv_write_then_read_round_trips(void **state)
{
    size_t len;
    char *text = messy_csv(3, 150, &len);
    crm_table *a = NULL;
    crm_table *b = NULL;
    crm_error err;
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_csv_options o = crm_csv_options_default();
    (void)state;
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(crm_table_read_csv_mem(text, len, "m.csv", NULL, &a, &err), CRM_OK);
    assert_int_equal(crm_table_write_csv(a, path, &err), CRM_OK);
    o.types = "late:cat";
    assert_int_equal(crm_table_read_csv(path, &o, NULL, &b, &err), CRM_OK);
    assert_int_equal(crm_table_n_rows(a), crm_table_n_rows(b));
    for (int32_t j = 0; j < crm_table_n_cols(a); j++) {
        assert_int_equal(crm_table_col_type(a, j), crm_table_col_type(b, j));
        for (int64_t i = 0; i < crm_table_n_rows(a); i++) {
            char x[256];
            char y[256];
            assert_string_equal(crm_table_cell_text(a, i, j, x, 256),
                                crm_table_cell_text(b, i, j, y, 256));
        }
    }
    assert_memory_equal(crm_table_numeric(a, 1), crm_table_numeric(b, 1),
                        (size_t)crm_table_n_rows(a) * sizeof(double));
    crm_table_free(a);
    crm_table_free(b);
    crm_test_rmdir(dir);
    free(dir);
    free(text);
}

static void table_built_by_hand_checks_names(void **state)
{
    crm_table *t;
    crm_error err;
    double v[3] = { 1.0, NAN, 0.1 };
    const char *s[3] = { "a", NULL, "a" };
    char buf[8];
    (void)state;
    assert_int_equal(crm_table_new(-1, "x", &t, &err), CRM_EINVAL);
    assert_int_equal(crm_table_new(3, "x", &t, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "v", v, &err), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "v", v, &err), CRM_EDATA);
    assert_int_equal(crm_table_add_text(t, "s", CRM_COL_NUMERIC, s, &err), CRM_EINVAL);
    assert_int_equal(crm_table_add_text(t, "s", CRM_COL_CATEGORICAL, s, &err), CRM_OK);
    assert_int_equal(crm_table_n_levels(t, 1), 1);
    assert_int_equal(crm_table_codes(t, 1)[1], -1);
    assert_string_equal(crm_table_cell_text(t, 2, 0, buf, 8), "0.1");
    assert_string_equal(crm_table_cell_text(t, 1, 0, buf, 8), "");
    assert_int_equal(crm_table_row_line(t, 0), 0);
    crm_table_free(t);
    crm_table_free(NULL);
}

static void csv_out_of_memory_at_every_allocation_fails_cleanly(void **state)
{
    size_t len;
    char *text = messy_csv(9, 30, &len);
    crm_csv_options o = crm_csv_options_default();
    long n;
    (void)state;
    o.n_threads = 1; /* the failing allocator's counters are not thread-safe */
    for (n = 0; n < 100000; n++) {
        crm_table *t = NULL;
        crm_error err;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm__csv_read_mem_chunked(text, len, "m.csv", &o, NULL, 97, &t, &err);
        if (rc == CRM_OK) {
            crm_table_free(t);
            assert_int_equal(crm_test_alloc_live(), 0);
            break;
        }
        assert_int_equal(rc, CRM_ENOMEM);
        assert_null(t);
        assert_int_equal(crm_test_alloc_live(), 0);
    }
    crm_test_alloc_reset();
    assert_true(n > 20);
    free(text);
}

/* ---- the number parser ---- */

static void parse_double_matches_strtod_on_random_strings(void **state)
{
    crm_rng rng;
    char s[900];
    (void)state;
    crm_rng_seed(&rng, 2024);
    for (int it = 0; it < 300000; it++) {
        size_t n = 0;
        double a;
        double b;
        int kind = (int)crm_rng_below(&rng, 6);
        if (crm_rng_below(&rng, 3) == 0) {
            s[n++] = crm_rng_below(&rng, 2) ? '-' : '+';
        }
        if (kind == 0) { /* printed doubles, shortest and full precision */
            double v = ldexp(crm_rng_uniform(&rng), (int)crm_rng_below(&rng, 2000) - 1000);
            n += (size_t)snprintf(s + n, sizeof s - n, "%.*g", 1 + (int)crm_rng_below(&rng, 20), v);
        } else if (kind == 1) { /* halfway-ish cases: many digits */
            int nd = 1 + (int)crm_rng_below(&rng, 40);
            for (int k = 0; k < nd; k++) {
                s[n++] = (char)('0' + crm_rng_below(&rng, 10));
            }
            s[n++] = 'e';
            n += (size_t)snprintf(s + n, sizeof s - n, "%d", (int)crm_rng_below(&rng, 700) - 350);
        } else if (kind == 2) { /* short decimals, the CSV common case */
            n += (size_t)snprintf(s + n, sizeof s - n, "%llu.%0*llu",
                                  (unsigned long long)crm_rng_below(&rng, 1000000),
                                  1 + (int)crm_rng_below(&rng, 6),
                                  (unsigned long long)crm_rng_below(&rng, 100000));
        } else if (kind == 3) { /* very long mantissas */
            int nd = 100 + (int)crm_rng_below(&rng, 700);
            for (int k = 0; k < nd; k++) {
                s[n++] = (char)('0' + crm_rng_below(&rng, 10));
                if (k == 3) {
                    s[n++] = '.';
                }
            }
        } else if (kind == 4) { /* subnormals and extremes */
            n += (size_t)snprintf(s + n, sizeof s - n, "%llue%d",
                                  (unsigned long long)crm_rng_next(&rng) >> crm_rng_below(&rng, 60),
                                  -340 + (int)crm_rng_below(&rng, 30));
        } else { /* leading zeros and fraction-only */
            n += (size_t)snprintf(s + n, sizeof s - n, "0000.%0*llu",
                                  1 + (int)crm_rng_below(&rng, 25),
                                  (unsigned long long)crm_rng_below(&rng, 1000000000));
        }
        s[n] = '\0';
        b = strtod(s, NULL);
        if (!crm__parse_double(s, n, &a) || memcmp(&a, &b, sizeof a) != 0) {
            fail_msg("\"%s\": got %.17g, strtod %.17g", s, a, b);
        }
    }
}

/* Doubles as programs write them (17 significant digits: numpy, pandas, R) and every other
 * mantissa of at most 19 digits take the Eisel-Lemire path: bit for bit what strtod gives,
 * on random values, printed doubles, random 17-digit mantissas at every exponent, the
 * halfway points between neighbouring doubles above 2^53 (ties to even), the 2^53
 * boundaries, subnormals and the ends of the range; and through the CSV reader's scanner. */
static void check_like_strtod(const char *s)
{
    double a = 0, b = strtod(s, NULL);
    if (!crm__parse_double(s, strlen(s), &a) || memcmp(&a, &b, sizeof a) != 0) {
        fail_msg("\"%s\": got %.17g (%a), strtod %.17g (%a)", s, a, a, b, b);
    }
}

static void seventeen_digits_equal_strtod_bit_for_bit(void **state)
{
    static const char *edges[] = {
        "9007199254740992",
        "9007199254740993",
        "9007199254740994",
        "9007199254740995",
        "9007199254740997",
        "18014398509481986",
        "18014398509481990",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "2.2250738585072009e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-342",
        "1e-343",
        "9.9999999999999999e308",
        "1e308",
        "1e309",
        "0.30000000000000004",
        "-15.617897467035018",
        "246.90000000000001",
        "1.0000000000000002",
        "0.99999999999999989",
        "4.4501477170144023e-308",
        "3.0517578125e-05",
        "1.2345678901234567e-300",
        "9.999999999999999e22",
        "1e23",
        "8.98846567431158e307",
        "123456789012345678e-10",
    };
    crm_rng rng;
    char s[64];
    (void)state;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        check_like_strtod(edges[i]);
        snprintf(s, sizeof s, "-%s", edges[i] + (edges[i][0] == '-'));
        check_like_strtod(s);
    }
    crm_rng_seed(&rng, 17);
    for (int it = 0; it < 400000; it++) {
        int kind = it % 4;
        if (kind == 0) { /* any finite double, printed with 17 digits */
            uint64_t bits = crm_rng_next(&rng);
            double v;
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v)) {
                continue;
            }
            snprintf(s, sizeof s, "%.17g", v);
        } else if (kind == 1) { /* a value of a table, as numpy writes it */
            snprintf(s, sizeof s, "%.17g",
                     (crm_rng_uniform(&rng) - 0.5) * pow(10.0, (double)crm_rng_below(&rng, 12)));
        } else if (kind == 2) { /* 17 random digits at any exponent */
            uint64_t m = 10000000000000000u + crm_rng_below(&rng, 90000000000000000u);
            snprintf(s, sizeof s, "%llue%d", (unsigned long long)m,
                     (int)crm_rng_below(&rng, 680) - 360);
        } else { /* the midpoint of two neighbouring doubles in [2^53, 2^63): a tie */
            double d = ldexp(1.0 + crm_rng_uniform(&rng), 53 + (int)crm_rng_below(&rng, 10));
            uint64_t lo = (uint64_t)d, hi = (uint64_t)nextafter(d, INFINITY);
            snprintf(s, sizeof s, "%llu", (unsigned long long)(lo + (hi - lo) / 2));
        }
        check_like_strtod(s);
    }
}

static void seventeen_digits_through_the_csv_reader(void **state)
{
    crm_rng rng;
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    double *want = malloc(20000 * sizeof *want);
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 1717);
    n += (size_t)snprintf(text, cap, "a,b\n");
    for (int r = 0; r < 10000; r++) {
        for (int c = 0; c < 2; c++) {
            char f[40];
            double v = (crm_rng_uniform(&rng) - 0.5) * pow(10.0, (double)crm_rng_below(&rng, 8));
            snprintf(f, sizeof f, r % 7 == 0 ? "%.19g" : "%.17g", v);
            want[2 * r + c] = strtod(f, NULL);
            n += (size_t)snprintf(text + n, cap - n, "%s%s", f, c == 1 ? "\n" : ",");
        }
    }
    assert_int_equal(crm_table_read_csv_mem(text, n, "d.csv", NULL, &t, &err), CRM_OK);
    for (int r = 0; r < 10000; r++) {
        for (int c = 0; c < 2; c++) {
            double got = crm_table_numeric(t, c)[r];
            if (memcmp(&got, &want[2 * r + c], sizeof got) != 0) {
                fail_msg("row %d column %d: %.17g, strtod %.17g", r, c, got, want[2 * r + c]);
            }
        }
    }
    crm_table_free(t);
    free(text);
    free(want);
}

/* Every shape around the reader's path for [sign] 1-8 digits '.' 8-16 digits (and just past
 * it: 9 integer digits, 7 or 17 decimals, CRLF, an exponent after the decimals, 20 digits),
 * with random digits, all zeros and all nines, gives strtod's double bit for bit. */
static void csv_decimal_shapes_equal_strtod(void **state)
{
    static const char *const sign[] = { "", "-", "+" };
    static const char *const after[] = { ",", ",", "\r\n", "e5," };
    crm_rng rng;
    size_t cap = (size_t)8 << 20;
    size_t n = 0;
    char *text = malloc(cap);
    double *want = malloc(200000 * sizeof *want);
    int count = 0;
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    crm_rng_seed(&rng, 4242);
    n += (size_t)snprintf(text, cap, "a,b\n");
    for (int rep = 0; rep < 40; rep++) {
        for (int nint = 1; nint <= 9; nint++) {
            for (int nfrac = 6; nfrac <= 18; nfrac++) {
                for (int sg = 0; sg < 3; sg++) {
                    char f[64];
                    int k = 0;
                    uint64_t kind = crm_rng_below(&rng, 8);
                    const char *tail = after[crm_rng_below(&rng, 4)];
                    k += snprintf(f + k, sizeof f - (size_t)k, "%s", sign[sg]);
                    for (int d = 0; d < nint + nfrac; d++) {
                        if (d == nint) {
                            f[k++] = '.';
                        }
                        f[k++] = (char)(kind == 0   ? '0'
                                        : kind == 1 ? '9'
                                                    : '0' + crm_rng_below(&rng, 10));
                    }
                    f[k] = '\0';
                    if (strcmp(tail, "e5,") == 0) {
                        strcat(f, "e5");
                        tail = ",";
                    }
                    want[count++] = strtod(f, NULL);
                    n += (size_t)snprintf(text + n, cap - n, "%s%s", f, tail);
                    if (tail[0] == ',') {
                        n += (size_t)snprintf(text + n, cap - n, "1\n");
                    } else { /* CRLF ended column a: b is missing on this row */
                        n -= 2;
                        n += (size_t)snprintf(text + n, cap - n, ",\r\n");
                    }
                }
            }
        }
    }
    assert_int_equal(crm_table_read_csv_mem(text, n, "s.csv", NULL, &t, &err), CRM_OK);
    assert_int_equal(crm_table_n_rows(t), count);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_NUMERIC);
    for (int i = 0; i < count; i++) {
        double got = crm_table_numeric(t, 0)[i];
        if (memcmp(&got, &want[i], sizeof got) != 0) {
            fail_msg("value %d: %.17g, strtod %.17g", i, got, want[i]);
        }
    }
    crm_table_free(t);
    free(text);
    free(want);
}

/* Numeric fields of up to 24 bytes take a word-at-a-time path in the reader: every shape of
 * them must give exactly what the general parser gives, and anything else must stay text. */
static void csv_fast_number_path_equals_general_parser(void **state)
{
    static const char alphabet[] = "0123456789.-+e ";
    crm_rng rng;
    size_t cap = 4 << 20;
    char *text = malloc(cap);
    char **fields = malloc(60000 * sizeof *fields);
    size_t n = 0;
    int n_fields = 0;
    crm_table *t = NULL;
    crm_error err;
    crm_csv_options o = crm_csv_options_default();
    (void)state;
    crm_rng_seed(&rng, 99);
    n += (size_t)snprintf(text, cap, "a,b,c\n");
    for (int r = 0; r < 20000; r++) {
        for (int c = 0; c < 3; c++) {
            char f[40];
            int len = 1 + (int)crm_rng_below(&rng, 26); /* up to the 24-byte path and past it */
            int k = 0;
            if (crm_rng_below(&rng, 4) == 0) { /* mostly well-formed numbers */
                for (; k < len; k++) {
                    f[k] = alphabet[crm_rng_below(&rng, sizeof alphabet - 1)];
                }
            } else {
                int dot = (int)crm_rng_below(&rng, (uint64_t)len + 2);
                if (crm_rng_below(&rng, 3) == 0) {
                    f[k++] = crm_rng_below(&rng, 2) ? '-' : '+';
                }
                for (int d = 0; d < len; d++) {
                    if (d == dot) {
                        f[k++] = '.';
                    }
                    f[k++] = (char)('0' + crm_rng_below(&rng, 10));
                }
            }
            f[k] = '\0';
            fields[n_fields++] = strdup(f);
            n += (size_t)snprintf(text + n, cap - n, "%s%s", f, c == 2 ? "\n" : ",");
        }
    }
    o.types = "a:cat,b:cat,c:cat";
    /* As text: the reference. Then as numbers where every value parses. */
    assert_int_equal(crm_table_read_csv_mem(text, n, "f.csv", &o, &t, &err), CRM_OK);
    for (int i = 0; i < n_fields; i++) {
        /* A field of spaces is missing; everything else is kept verbatim. */
        assert_string_equal(cell(t, i / 3, i % 3),
                            strspn(fields[i], " ") == strlen(fields[i]) ? "" : fields[i]);
    }
    crm_table_free(t);
    {
        /* One column of only the fields that the general parser accepts. */
        size_t m = 0;
        int rows = 0;
        double *want = malloc(60000 * sizeof *want);
        m += (size_t)snprintf(text, cap, "x\n");
        for (int i = 0; i < n_fields; i++) {
            double v;
            const char *f = fields[i];
            size_t len = strlen(f);
            while (len > 0 && f[len - 1] == ' ') {
                len--;
            }
            while (len > 0 && f[0] == ' ') {
                f++;
                len--;
            }
            if (len > 0 && crm__parse_double(f, len, &v) && isfinite(v)) {
                want[rows++] = v;
                m += (size_t)snprintf(text + m, cap - m, "%s\n", fields[i]);
            }
        }
        assert_true(rows > 40000);
        assert_int_equal(crm_table_read_csv_mem(text, m, "g.csv", NULL, &t, &err), CRM_OK);
        assert_int_equal(crm_table_n_rows(t), rows);
        assert_int_equal(crm_table_col_type(t, 0), CRM_COL_NUMERIC);
        assert_memory_equal(crm_table_numeric(t, 0), want, (size_t)rows * sizeof(double));
        crm_table_free(t);
        free(want);
    }
    for (int i = 0; i < n_fields; i++) {
        free(fields[i]);
    }
    free(fields);
    free(text);
}

typedef struct num_case {
    const char *text;
    int ok;
    double value;
} num_case;

static void parse_double_grammar_cases(void **state)
{
    static const num_case cases[] = {
        { "0", 1, 0.0 },
        { "-0", 1, -0.0 },
        { "1.5e3", 1, 1500.0 },
        { ".5", 1, 0.5 },
        { "5.", 1, 5.0 },
        { "+7", 1, 7.0 },
        { "1E-2", 1, 0.01 },
        { "1e+2", 1, 100.0 },
        { "123e30", 1, 123e30 },
        { "1x", 0, 0 },
        { " 1", 0, 0 },
        { "1 ", 0, 0 },
        { "", 0, 0 },
        { ".", 0, 0 },
        { "e5", 0, 0 },
        { "1e", 0, 0 },
        { "1e+", 0, 0 },
        { "0x10", 0, 0 },
        { "1,5", 0, 0 },
        { "--1", 0, 0 },
        { "1.2.3", 0, 0 },
        { "1e99999999999", 1, HUGE_VAL },
        { "1e-99999999999", 1, 0.0 },
        { "INF", 1, HUGE_VAL },
        { "-infinity", 1, -HUGE_VAL },
        { "infinit", 0, 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 12345;
        int ok = crm__parse_double(cases[i].text, strlen(cases[i].text), &v);
        if (ok != cases[i].ok || (ok && memcmp(&v, &cases[i].value, sizeof v) != 0)) {
            fail_msg("\"%s\": ok %d value %.17g", cases[i].text, ok, v);
        }
    }
    {
        double v;
        assert_true(crm__parse_double("nan", 3, &v) && isnan(v));
        /* A locale with a decimal comma must not change the result. */
        if (setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL) {
            assert_true(crm__parse_double("1234567890123456789012.5", 24, &v));
            setlocale(LC_NUMERIC, "C");
            assert_true(v == 1234567890123456789012.5);
        }
    }
}

static void format_double_is_shortest_round_trip(void **state)
{
    crm_rng rng;
    char buf[32];
    (void)state;
    assert_int_equal(crm__format_double(0.1, buf), 3);
    assert_string_equal(buf, "0.1");
    crm__format_double(-0.0, buf);
    assert_string_equal(buf, "-0");
    crm__format_double(1234.5, buf);
    assert_string_equal(buf, "1234.5");
    crm__format_double(1e300, buf);
    assert_string_equal(buf, "1e+300");
    crm__format_double(0.000123, buf);
    assert_string_equal(buf, "0.000123");
    crm_rng_seed(&rng, 1);
    for (int i = 0; i < 100000; i++) {
        double v = ldexp(crm_rng_uniform(&rng) - 0.5, (int)crm_rng_below(&rng, 200) - 100);
        double back;
        int n;
        if (i % 2) {
            v = (double)(int64_t)(v * 1e6) / 100.0;
        }
        n = crm__format_double(v, buf);
        assert_true(crm__parse_double(buf, (size_t)n, &back));
        assert_memory_equal(&back, &v, sizeof v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_reads_quoted_fields_crlf_and_blank_lines),
        cmocka_unit_test(csv_accepts_bom_no_final_newline_and_lone_cr_at_end),
        cmocka_unit_test(csv_treats_missing_markers_as_missing),
        cmocka_unit_test(csv_infers_types_and_levels_in_order_of_appearance),
        cmocka_unit_test(csv_text_column_unique_per_row_is_an_identifier),
        cmocka_unit_test(csv_overrides_change_types),
        cmocka_unit_test(csv_word_rule_one_in_twenty),
        cmocka_unit_test(csv_reports_file_line_column_and_field_of_each_error),
        cmocka_unit_test(csv_enforces_limits),
        cmocka_unit_test(csv_missing_file_is_not_found),
        cmocka_unit_test(csv_chunked_parallel_read_equals_one_chunk),
        cmocka_unit_test(csv_one_chunk_grows_past_its_row_estimate),
        cmocka_unit_test(csv_copied_blocks_equal_in_place),
        cmocka_unit_test(csv_mapped_file_reads_like_memory),
        cmocka_unit_test(csv_reads_gzip_files_by_magic_bytes),
        cmocka_unit_test(csv_fixture_file_reads),
        cmocka_unit_test(csv_write_then_read_round_trips),
        cmocka_unit_test(table_built_by_hand_checks_names),
        cmocka_unit_test(csv_out_of_memory_at_every_allocation_fails_cleanly),
        cmocka_unit_test(parse_double_matches_strtod_on_random_strings),
        cmocka_unit_test(parse_double_grammar_cases),
        cmocka_unit_test(seventeen_digits_equal_strtod_bit_for_bit),
        cmocka_unit_test(seventeen_digits_through_the_csv_reader),
        cmocka_unit_test(csv_fast_number_path_equals_general_parser),
        cmocka_unit_test(csv_decimal_shapes_equal_strtod),
        cmocka_unit_test(format_double_is_shortest_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
