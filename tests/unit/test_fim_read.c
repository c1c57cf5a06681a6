/* test_fim_read.c: transaction readers: FIMI quirks (trailing spaces, empty lines, CRLF,
 * duplicates, bad items with line and column, @ITEM names), baskets of names, long CSV,
 * VAS logs with a status filter, gzip files, and inputs without transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <crmkit/fim.h>

#include "crm_test.h"

static crm_fim_db *
read_text(const char *text, const crm_fim_read_options *o, crm_status want, crm_error *err)
{
    crm_fim_db *db = NULL;
    crm_status rc = crm_fim_db_read_mem(text, strlen(text), "mem.dat", o, &db, err);
    if (rc != want) {
        fail_msg("read returned %s, expected %s: %s", crm_status_name(rc), crm_status_name(want),
                 err->msg);
    }
    return db;
}

static int32_t trans(const crm_fim_db *db, int64_t i, char *buf, size_t size)
{
    const int32_t *it;
    int32_t n = crm_fim_db_transaction(db, i, &it);
    size_t k = 0;
    buf[0] = '\0';
    for (int32_t j = 0; j < n; j++) {
        k += (size_t)snprintf(buf + k, size - k, "%s%s", j ? "|" : "",
                              crm_fim_db_item_name(db, it[j]));
    }
    return n;
}

static void fimi_accepts_trailing_spaces_crlf_and_counts_duplicates_once(void **state)
{
    crm_error err;
    char buf[256];
    crm_fim_db *db = read_text("3 1 2 \n2 2 7\r\n10\t3  \n", NULL, CRM_OK, &err);
    (void)state;
    assert_int_equal(crm_fim_db_n_transactions(db), 3);
    assert_int_equal(crm_fim_db_n_items(db), 5);
    assert_false(crm_fim_db_has_names(db));
    assert_int_equal(trans(db, 0, buf, sizeof buf), 3);
    assert_string_equal(buf, "1|2|3");
    assert_int_equal(trans(db, 1, buf, sizeof buf), 2);
    assert_string_equal(buf, "2|7");
    assert_int_equal(trans(db, 2, buf, sizeof buf), 2);
    assert_string_equal(buf, "3|10"); /* integer order, not text order */
    assert_int_equal(crm_fim_db_item_code(db, 4), 10);
    assert_int_equal(crm_fim_db_item_support(db, 1), 2);
    assert_int_equal(crm_fim_db_n_entries(db), 7);
    crm_fim_db_free(db);
}

static void fimi_empty_lines_are_empty_transactions_unless_skipped(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    crm_fim_db *db;
    (void)state;
    db = read_text("1 2\n\n  \n2\n", &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 4);
    assert_int_equal(crm_fim_db_transaction(db, 1, NULL), 0);
    crm_fim_db_free(db);
    o.skip_empty = true;
    db = read_text("1 2\n\n  \n2\n", &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 2);
    crm_fim_db_free(db);
    /* no final newline: still one transaction for the last line, none extra */
    db = read_text("1 2\n2", NULL, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 2);
    crm_fim_db_free(db);
}

static void fimi_names_line_and_column_of_a_bad_item(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    char line[600];
    (void)state;
    o.format = CRM_FIM_FORMAT_FIMI;
    assert_null(read_text("1 2\n3 x4 5\n", &o, CRM_EPARSE, &err));
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 3);
    assert_non_null(strstr(err.msg, "\"x4\""));
    assert_string_equal(err.source, "mem.dat");
    assert_non_null(strstr(crm_error_format(&err, line, sizeof line), "mem.dat:2:3:"));
    assert_null(read_text("1 -2\n", &o, CRM_EPARSE, &err));
    assert_int_equal(err.column, 3);
    assert_null(read_text("1 2.5\n", &o, CRM_EPARSE, &err));
    assert_int_equal(err.column, 3);
    assert_null(read_text("99999999999\n", &o, CRM_EPARSE, &err));
    assert_non_null(strstr(err.msg, "0..2147483647"));
    assert_null(read_text("7 8,9\n", &o, CRM_EPARSE, &err));
    assert_int_equal(err.column, 3);
}

static void inputs_without_transactions_are_a_data_error(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    (void)state;
    assert_null(read_text("", NULL, CRM_EDATA, &err));
    assert_non_null(strstr(err.msg, "no transactions"));
    assert_null(read_text("@CONVERTED_FROM_TEXT\n", NULL, CRM_EDATA, &err));
    o.skip_empty = true;
    assert_null(read_text("\n\n", &o, CRM_EDATA, &err));
    o.format = CRM_FIM_FORMAT_LONG;
    assert_null(read_text("customer,item\n", &o, CRM_EDATA, &err));
    assert_null(read_text("", &o, CRM_EDATA, &err));
}

static void spmf_item_lines_name_the_items(void **state)
{
    crm_error err;
    crm_fim_db *db =
        read_text("@CONVERTED_FROM_TEXT\n@ITEM=1=bread\n@ITEM=2=milk\n1 2 3\n", NULL, CRM_OK, &err);
    (void)state;
    assert_true(crm_fim_db_has_names(db));
    assert_int_equal(crm_fim_db_n_transactions(db), 1);
    assert_string_equal(crm_fim_db_item_name(db, 0), "bread");
    assert_string_equal(crm_fim_db_item_name(db, 2), "3");
    assert_int_equal(crm_fim_db_find_item(db, "milk"), 1);
    crm_fim_db_free(db);
}

static void baskets_keep_names_verbatim_like_arules(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    char buf[256];
    crm_fim_db *db;
    (void)state;
    /* auto detects names; "cream cheese " keeps its space; empty fields dropped */
    db = read_text("citrus fruit,cream cheese ,,citrus fruit\r\nwhole milk\n\n", &o, CRM_OK, &err);
    assert_true(crm_fim_db_has_names(db));
    assert_int_equal(crm_fim_db_n_transactions(db), 3);
    assert_int_equal(trans(db, 0, buf, sizeof buf), 2);
    assert_string_equal(buf, "citrus fruit|cream cheese ");
    assert_int_equal(crm_fim_db_transaction(db, 2, NULL), 0);
    crm_fim_db_free(db);
    o.format = CRM_FIM_FORMAT_BASKET;
    o.sep = ' ';
    db = read_text("a  b\tc\n1 2\n", &o, CRM_OK, &err);
    assert_int_equal(trans(db, 0, buf, sizeof buf), 3);
    assert_string_equal(buf, "a|b|c");
    assert_int_equal(crm_fim_db_find_item(db, "2"), 1); /* names: "1" < "2" < "a" */
    crm_fim_db_free(db);
}

static void long_csv_groups_rows_by_customer_in_any_order(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    char buf[256];
    crm_fim_db *db;
    (void)state;
    o.format = CRM_FIM_FORMAT_LONG;
    db = read_text("cust,service\nc2,rbt\nc1,news\nc2,\"data, 1GB\"\nc1,news\n,orphan\nc2,rbt\n",
                   &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 2);
    assert_string_equal(crm_fim_db_customer(db, 0), "c2");
    assert_int_equal(trans(db, 0, buf, sizeof buf), 2);
    assert_string_equal(buf, "data, 1GB|rbt");
    assert_int_equal(crm_fim_db_find_customer(db, "c1"), 1);
    assert_int_equal(crm_fim_db_transaction(db, 1, NULL), 1);
    crm_fim_db_free(db);
    o.customer_col = "service";
    o.item_col = "cust";
    db = read_text("cust,service\nc2,rbt\nc1,rbt\n", &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 1);
    crm_fim_db_free(db);
    o.item_col = "nope";
    assert_null(read_text("cust,service\nc2,rbt\n", &o, CRM_ENOTFOUND, &err));
    assert_string_equal(err.field, "nope");
    o.item_col = NULL;
    o.customer_col = NULL;
    assert_null(read_text("cust,service\nc2,rbt,x\n", &o, CRM_EPARSE, &err));
    assert_int_equal(err.line, 2);
    assert_null(read_text("cust,service\nc2,\"rbt\n", &o, CRM_EPARSE, &err));
}

static void vas_log_filters_on_status_and_joins_item_columns(void **state)
{
    static const char log[] =
        "msg_type,mobile_no,txn_amount,pr_code,record_time,txn_type,target_mobile,topup_type,"
        "status\n"
        "REQ,0911,10,RBT01,2024-01-01,SUB,,weekly,SUCCESS\n"
        "REQ,0912,5,NEWS2,2024-01-01,SUB,,,FAILED\n"
        "REQ,0911,5,NEWS2,2024-01-02,SUB,,,SUCCESS\n"
        "REQ,0912,20,TOPUP,2024-01-03,TOP,0913,airtime,OK\n";
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    char buf[256];
    crm_fim_db *db;
    (void)state;
    o.format = CRM_FIM_FORMAT_VAS;
    o.status_ok = "SUCCESS,OK";
    db = read_text(log, &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 2);
    assert_string_equal(crm_fim_db_customer(db, 0), "0911");
    assert_int_equal(trans(db, 0, buf, sizeof buf), 2);
    assert_string_equal(buf, "NEWS2|RBT01");
    assert_int_equal(trans(db, 1, buf, sizeof buf), 1);
    assert_string_equal(buf, "TOPUP");
    crm_fim_db_free(db);
    o.item_col = "txn_type,topup_type";
    o.status_ok = NULL;
    db = read_text(log, &o, CRM_OK, &err);
    assert_int_equal(trans(db, 1, buf, sizeof buf), 2);
    assert_string_equal(buf, "SUB:|TOP:airtime");
    crm_fim_db_free(db);
}

static void gzip_files_read_like_plain_ones(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_fim_db *db = NULL;
    crm_error err;
    gzFile gz;
    (void)state;
    snprintf(path, sizeof path, "%s/t.dat.gz", dir);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    for (int i = 0; i < 5000; i++) {
        gzprintf(gz, "%d %d %d \n", i % 7, 100 + i % 3, 7);
    }
    gzclose(gz);
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_n_transactions(db), 5000);
    assert_int_equal(crm_fim_db_n_items(db), 11);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "7")), 5000);
    crm_fim_db_free(db);
    snprintf(path, sizeof path, "%s/missing.dat", dir);
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_ENOTFOUND);
    assert_null(db);
    crm_test_rmdir(dir);
    free(dir);
}

static void large_and_damaged_gzip_files(void **state)
{
    /* More than two of the inflating thread's 1 MiB blocks, codes beyond the direct table
     * (2^20) beside small ones, a parse error far into the file (the reader stops while the
     * thread may still be inflating), and a truncated stream. */
    char *dir = crm_test_tmpdir();
    char path[512], cut[512];
    crm_fim_db *db = NULL;
    crm_error err;
    gzFile gz;
    FILE *in, *out;
    long size;
    char *bytes;
    (void)state;
    snprintf(path, sizeof path, "%s/big.dat.gz", dir);
    gz = gzopen(path, "wb1");
    assert_non_null(gz);
    for (int i = 0; i < 300000; i++) {
        gzprintf(gz, "%d %d %d \n", i % 1000, 2000000 + i % 5, 1048575 + i % 3);
    }
    gzclose(gz);
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_n_transactions(db), 300000);
    assert_int_equal(crm_fim_db_n_items(db), 1008);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "2000004")), 60000);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "1048576")), 100000);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "999")), 300);
    crm_fim_db_free(db);
    db = NULL;
    in = fopen(path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    size = ftell(in);
    fseek(in, 0, SEEK_SET);
    bytes = malloc((size_t)size);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, (size_t)size, in), (size_t)size);
    fclose(in);
    snprintf(cut, sizeof cut, "%s/cut.dat.gz", dir);
    out = fopen(cut, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(bytes, 1, (size_t)size / 2, out), (size_t)size / 2);
    fclose(out);
    free(bytes);
    assert_int_equal(crm_fim_db_read(cut, NULL, NULL, &db, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "gzip data is truncated"));
    assert_string_equal(err.source, cut);
    assert_null(db);
    snprintf(path, sizeof path, "%s/bad.dat.gz", dir);
    gz = gzopen(path, "wb1");
    assert_non_null(gz);
    for (int i = 0; i < 300000; i++) {
        gzprintf(gz, i == 1000 || i == 299000 ? "1 x 2\n" : "%d %d \n", i % 10, 20 + i % 7);
    }
    gzclose(gz);
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_EPARSE);
    assert_int_equal(err.line, 1001);
    assert_int_equal(err.column, 3);
    assert_null(db);
    /* the bad line in a part far into the file, and a file of three gzip members (the
     * trailer's length is the last member's only: the decoded text grows while parsed) */
    gz = gzopen(path, "wb1");
    assert_non_null(gz);
    for (int i = 0; i < 300000; i++) {
        gzprintf(gz, i == 299000 ? "1 x 2\n" : "%d %d \n", i % 10, 20 + i % 7);
    }
    gzclose(gz);
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_EPARSE);
    assert_int_equal(err.line, 299001);
    for (int m = 0; m < 3; m++) {
        gz = gzopen(path, m == 0 ? "wb6" : "ab6");
        assert_non_null(gz);
        for (int i = 0; i < (m == 2 ? 1000 : 200000); i++) {
            gzprintf(gz, "%d %d \n", i % 10, 20 + m);
        }
        gzclose(gz);
    }
    assert_int_equal(crm_fim_db_read(path, NULL, NULL, &db, &err), CRM_OK);
    assert_int_equal(crm_fim_db_n_transactions(db), 401000);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "21")), 200000);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "22")), 1000);
    assert_int_equal(crm_fim_db_item_support(db, crm_fim_db_find_item(db, "3")), 40100);
    crm_fim_db_free(db);
    crm_test_rmdir(dir);
    free(dir);
}

static void over_long_lines_and_too_many_transactions_hit_limits(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_error err;
    (void)state;
    o.max_line_bytes = 8;
    assert_null(read_text("1 2 3 4 5 6 7\n", &o, CRM_ELIMIT, &err));
    o = crm_fim_read_options_default();
    o.max_transactions = 2;
    assert_null(read_text("1\n2\n3\n", &o, CRM_ELIMIT, &err));
}

/* Two databases hold the same items, transactions and supports. */
static void assert_same_db(const crm_fim_db *a, const crm_fim_db *b)
{
    assert_int_equal(crm_fim_db_n_transactions(a), crm_fim_db_n_transactions(b));
    assert_int_equal(crm_fim_db_n_items(a), crm_fim_db_n_items(b));
    assert_int_equal(crm_fim_db_n_entries(a), crm_fim_db_n_entries(b));
    assert_int_equal(crm_fim_db_has_names(a), crm_fim_db_has_names(b));
    for (int32_t i = 0; i < crm_fim_db_n_items(a); i++) {
        assert_int_equal(crm_fim_db_item_code(a, i), crm_fim_db_item_code(b, i));
        assert_string_equal(crm_fim_db_item_name(a, i), crm_fim_db_item_name(b, i));
        assert_int_equal(crm_fim_db_item_support(a, i), crm_fim_db_item_support(b, i));
        assert_int_equal(crm_fim_db_find_item(b, crm_fim_db_item_name(a, i)), i);
    }
    for (int64_t t = 0; t < crm_fim_db_n_transactions(a); t++) {
        const int32_t *x, *y;
        int32_t n = crm_fim_db_transaction(a, t, &x);
        assert_int_equal(crm_fim_db_transaction(b, t, &y), n);
        assert_memory_equal(x, y, (size_t)n * sizeof *x);
    }
}

/* text through the serial reader: a gzip file never goes to the parallel parts */
/* The reference database of a FIMI text (integers separated by blanks, one transaction a
 * line, a CR before the line end ignored), built through crm_fim_db_add_transaction and
 * crm_fim_db_finish without any reader: the readers' parts and serial paths must give it. */
static crm_fim_db *read_reference(const char *text, const crm_fim_read_options *o)
{
    crm_fim_db *db = NULL;
    int32_t *items = malloc((strlen(text) / 2 + 2) * sizeof *items);
    const char *p = text;
    assert_non_null(items);
    assert_int_equal(crm_fim_db_new(&db, NULL), CRM_OK);
    while (*p != '\0') {
        int32_t n = 0;
        while (*p != '\0' && *p != '\n') {
            if (*p >= '0' && *p <= '9') {
                int64_t v = 0;
                while (*p >= '0' && *p <= '9') {
                    v = v * 10 + (*p++ - '0');
                }
                items[n++] = (int32_t)v;
            } else {
                p++; /* a blank or the CR */
            }
        }
        p += *p == '\n';
        if (n > 0 || !o->skip_empty) {
            assert_int_equal(crm_fim_db_add_transaction(db, items, n, NULL, NULL), CRM_OK);
        }
    }
    assert_int_equal(crm_fim_db_finish(db, NULL), CRM_OK);
    free(items);
    return db;
}

static void fimi_parts_give_the_reference_database_wherever_they_are_cut(void **state)
{
    /* Every byte a cut (as many threads as bytes): inside a number, on a space, on an empty
     * or blank line, between CR and LF, on the last line without a line end; duplicates,
     * unsorted lines and codes beyond the direct table in several parts. Codes 0 to n - 1 on
     * ascending lines need no recoding (the parts' codes are the items): such texts, and texts
     * one step from them (a code missing, a duplicate, a line out of order), in parts. */
    const char *texts[] = {
        "3 1 2 \n\n2 2 7\r\n  \n10\t3  \n2000000 5 2000000\n\r\n1048576 4 1\n9 8 7 9",
        "5\n\n\n5 5\n6 5 \n",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\n",
        "0 1 2\n3 4\n\n1 5 \n0 2 4 5\n6\n",
        "0 1 2\n4\n\n1 5 \n0 2 4 5\n6\n",
        "0 1 2\n3 4\n\n1 5 5\n0 2 4 5\n6\n",
        "0 1 2\n3 4\n\n5 1\n0 2 4 5\n6\n",
    };
    char *dir = crm_test_tmpdir();
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (int skip = 0; skip < 2; skip++) {
            crm_fim_read_options o = crm_fim_read_options_default();
            crm_fim_db *ref;
            o.skip_empty = skip;
            ref = read_reference(texts[i], &o);
            for (int32_t nt = 1; nt <= (int32_t)strlen(texts[i]) + 1; nt++) {
                crm_error err;
                crm_fim_db *db;
                o.n_threads = nt;
                db = read_text(texts[i], &o, CRM_OK, &err);
                assert_same_db(ref, db);
                crm_fim_db_free(db);
            }
            crm_fim_db_free(ref);
        }
    }
    crm_test_rmdir(dir);
    free(dir);
}

static void fimi_file_in_parts_matches_the_reference_on_any_thread_count(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_fim_db *ref, *db = NULL;
    crm_error err;
    size_t cap = 4u << 20, len = 0;
    char *text = malloc(cap);
    uint32_t x = 12345;
    FILE *f;
    (void)state;
    assert_non_null(text);
    for (int t = 0; t < 60000; t++) {
        int n = (int)(x % 12);
        for (int k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            len += (size_t)snprintf(text + len, cap - len, "%u ",
                                    x % 7 == 0 ? 3000000u + (x >> 8) % 50 : (x >> 8) % 400);
        }
        len += (size_t)snprintf(text + len, cap - len, t % 3 ? "\n" : "\r\n");
    }
    ref = read_reference(text, &o);
    snprintf(path, sizeof path, "%s/plain.dat", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    for (int32_t nt = 0; nt <= 4; nt++) {
        o.n_threads = nt;
        assert_int_equal(crm_fim_db_read(path, &o, NULL, &db, &err), CRM_OK);
        assert_same_db(ref, db);
        crm_fim_db_free(db);
        db = NULL;
    }
    crm_fim_db_free(ref);
    free(text);
    crm_test_rmdir(dir);
    free(dir);
}

static void fimi_errors_in_a_later_part_name_their_line_and_column(void **state)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    size_t cap = 64u << 10, len = 0;
    char *text = malloc(cap);
    crm_error err;
    crm_fim_db *db;
    (void)state;
    assert_non_null(text);
    for (int t = 1; t <= 2000; t++) {
        len += (size_t)snprintf(text + len, cap - len, t == 1700 ? "4 5 y6 \n" : "1 2 3\n");
    }
    for (int32_t nt = 1; nt <= 3; nt++) {
        o.n_threads = nt;
        o.format = nt == 3 ? CRM_FIM_FORMAT_FIMI : CRM_FIM_FORMAT_AUTO;
        assert_null(read_text(text, &o, CRM_EPARSE, &err));
        assert_int_equal(err.line, 1700);
        assert_int_equal(err.column, 5);
        assert_non_null(strstr(err.msg, "\"y6\""));
    }
    /* an earlier error wins over a later one in another part */
    memcpy(text + 2 * 6, "1 -2 3", 6);
    o.n_threads = 2;
    assert_null(read_text(text, &o, CRM_EPARSE, &err));
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    /* @ITEM names and the limits are the serial reader's, wherever they come */
    len = 0;
    for (int t = 1; t <= 2000; t++) {
        len += (size_t)snprintf(text + len, cap - len, t == 1500 ? "@ITEM=3=milk\n" : "1 2 3\n");
    }
    db = read_text(text, &o, CRM_OK, &err);
    assert_int_equal(crm_fim_db_n_transactions(db), 1999);
    assert_string_equal(crm_fim_db_item_name(db, 2), "milk");
    crm_fim_db_free(db);
    o.max_transactions = 1000;
    assert_null(read_text(text, &o, CRM_ELIMIT, &err));
    assert_int_equal(err.line, 1001);
    o.max_transactions = 0;
    o.max_line_bytes = 8;
    len = 0;
    for (int t = 1; t <= 2000; t++) {
        len += (size_t)snprintf(text + len, cap - len, t == 1800 ? "1 2 3 4 5 6\n" : "1 2 3\n");
    }
    assert_null(read_text(text, &o, CRM_ELIMIT, &err));
    assert_int_equal(err.line, 1800);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fimi_accepts_trailing_spaces_crlf_and_counts_duplicates_once),
        cmocka_unit_test(fimi_empty_lines_are_empty_transactions_unless_skipped),
        cmocka_unit_test(fimi_names_line_and_column_of_a_bad_item),
        cmocka_unit_test(inputs_without_transactions_are_a_data_error),
        cmocka_unit_test(spmf_item_lines_name_the_items),
        cmocka_unit_test(baskets_keep_names_verbatim_like_arules),
        cmocka_unit_test(long_csv_groups_rows_by_customer_in_any_order),
        cmocka_unit_test(vas_log_filters_on_status_and_joins_item_columns),
        cmocka_unit_test(gzip_files_read_like_plain_ones),
        cmocka_unit_test(large_and_damaged_gzip_files),
        cmocka_unit_test(over_long_lines_and_too_many_transactions_hit_limits),
        cmocka_unit_test(fimi_parts_give_the_reference_database_wherever_they_are_cut),
        cmocka_unit_test(fimi_file_in_parts_matches_the_reference_on_any_thread_count),
        cmocka_unit_test(fimi_errors_in_a_later_part_name_their_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
