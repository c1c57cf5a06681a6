/* test_cdr.c: CDR features against a brute-force computation, hand-checked values, the date
 * window, errors with their lines and columns, thread counts; the CDR generator's
 * determinism and its consistency with the customer generator. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/cdr.h>
#include <crmkit/gen.h>
#include <crmkit/io.h>

#include "cdr/cdr_internal.h"
#include "crm_test.h"

#define N_CUST   40
#define N_CALLEE 150
#define N_DAYS   14

static const char header[] = "caller,callee,start_time,duration,network,type,bytes,charge\n";

/* Brute-force sums by customer index. */
typedef struct expect {
    int64_t calls[2], sec[2], sms, data, bytes, events, night, weekend, charge[3];
    unsigned char called[N_CALLEE];
} expect;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

/* Caller texts: some need quoting (a comma, doubled quotes, a newline). */
static void caller_text(int c, char *buf, size_t size)
{
    if (c == 1) {
        snprintf(buf, size, "\"Z,1\"");
    } else if (c == 2) {
        snprintf(buf, size, "\"Q\"\"2\"\"\"");
    } else if (c == 3) {
        snprintf(buf, size, "\"N\nL\"");
    } else {
        snprintf(buf, size, "C%03d", c);
    }
}

static const char *caller_id(int c, char *buf, size_t size)
{
    if (c == 1) {
        snprintf(buf, size, "Z,1");
    } else if (c == 2) {
        snprintf(buf, size, "Q\"2\"");
    } else if (c == 3) {
        snprintf(buf, size, "N\nL");
    } else {
        snprintf(buf, size, "C%03d", c);
    }
    return buf;
}

/* Write n random records to path; expected sums of the records with day offset in
 * [from, to] into e[N_CUST]. */
static void write_random(const char *path, int n, uint64_t seed, int from, int to, expect *e)
{
    FILE *fp = fopen(path, "wb");
    uint64_t s = seed;
    static const char *const types[3] = { "voice", "sms", "data" };
    static const char *const nets[2] = { "onnet", "offnet" };
    assert_non_null(fp);
    memset(e, 0, sizeof(expect) * N_CUST);
    fputs(header, fp);
    for (int i = 0; i < n; i++) {
        char caller[32];
        int c = (int)(lcg(&s) % N_CUST);
        int callee = (int)(lcg(&s) % N_CALLEE);
        int day = (int)(lcg(&s) % N_DAYS);
        int sec = (int)(lcg(&s) % 86400);
        int type = (int)(lcg(&s) % 3);
        int net = (int)(lcg(&s) % 2);
        int64_t dur = (int64_t)(lcg(&s) % 3600);
        int64_t bytes = type == 2 ? (int64_t)(lcg(&s) % 50000000) : 0;
        int64_t charge = (int64_t)(lcg(&s) % 5000000); /* micros */
        int crlf = lcg(&s) % 10 == 0;
        expect *x = &e[c];
        caller_text(c, caller, sizeof caller);
        if (type == 2) {
            fprintf(fp, "%s,,2024-01-%02d %02d:%02d:%02d,%lld,,data,%lld,%lld.%06lld%s\n", caller,
                    day + 1, sec / 3600, sec / 60 % 60, sec % 60, (long long)dur, (long long)bytes,
                    (long long)(charge / 1000000), (long long)(charge % 1000000), crlf ? "\r" : "");
        } else {
            fprintf(fp, "%s,K%04d,2024-01-%02dT%02d:%02d:%02d,%lld,%s,%s,0,%lld.%06lld%s\n", caller,
                    callee, day + 1, sec / 3600, sec / 60 % 60, sec % 60, (long long)dur, nets[net],
                    types[type], (long long)(charge / 1000000), (long long)(charge % 1000000),
                    crlf ? "\r" : "");
        }
        if (i % 5000 == 17) {
            fputs("\n", fp); /* blank lines are skipped */
        }
        if (day < from || day > to) {
            continue;
        }
        x->events++;
        x->night += sec >= 22 * 3600 || sec < 6 * 3600;
        x->weekend += day % 7 == 5 || day % 7 == 6; /* 2024-01-01 was a Monday */
        x->charge[type] += charge;
        if (type == 0) {
            x->calls[net]++;
            x->sec[net] += dur;
            x->called[callee] = 1;
        } else if (type == 1) {
            x->sms++;
        } else {
            x->data++;
            x->bytes += bytes;
        }
    }
    fclose(fp);
}

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0.0;
}

static void expected_row(const expect *x, double *v)
{
    int64_t parties = 0;
    int64_t total = x->charge[0] + x->charge[1] + x->charge[2];
    for (int k = 0; k < N_CALLEE; k++) {
        parties += x->called[k];
    }
    v[0] = (double)x->calls[0];
    v[1] = (double)x->calls[1];
    v[2] = (double)x->sec[0] / 60;
    v[3] = (double)x->sec[1] / 60;
    v[4] = (double)parties;
    v[5] = ratio(x->sec[0] + x->sec[1], x->calls[0] + x->calls[1]);
    v[6] = ratio(x->night, x->events);
    v[7] = ratio(x->weekend, x->events);
    v[8] = (double)x->sms;
    v[9] = (double)x->data;
    v[10] = (double)x->bytes / 1048576.0;
    v[11] = (double)total / 1e6;
    v[12] = (double)x->charge[0] / 1e6;
    v[13] = (double)x->charge[1] / 1e6;
    v[14] = (double)x->charge[2] / 1e6;
    v[15] = ratio(x->charge[0], total);
    v[16] = ratio(x->charge[1], total);
    v[17] = ratio(x->charge[2], total);
}

/* Features of f equal the brute-force sums of e for every customer with events. */
static void check_against(const crm_cdr_features *f, const expect *e)
{
    int64_t n_expected = 0;
    const char *prev = NULL;
    for (int c = 0; c < N_CUST; c++) {
        char id[32];
        double v[CRM_CDR_N_FEATURES];
        int64_t row = -1;
        if (e[c].events == 0) {
            continue;
        }
        n_expected++;
        caller_id(c, id, sizeof id);
        for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) {
            if (strcmp(crm_cdr_features_id(f, i), id) == 0) {
                row = i;
            }
        }
        assert_true(row >= 0);
        expected_row(&e[c], v);
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
            crm_assert_close(crm_cdr_features_value(f, row, j), v[j], 1e-12, 1e-12);
        }
    }
    assert_int_equal(crm_cdr_features_n_customers(f), n_expected);
    for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) { /* sorted by id */
        const char *id = crm_cdr_features_id(f, i);
        assert_true(prev == NULL || strcmp(prev, id) < 0);
        prev = id;
    }
}

static void test_brute_force(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    static expect e[N_CUST];
    crm_cdr_features *ref = NULL;
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/cdr.csv", dir);
    /* about 9 MB: several 4 MiB blocks, so that every thread gets some */
    write_random(path, 140000, 7, 0, N_DAYS - 1, e);
    for (int32_t t = 1; t <= 3; t++) {
        crm_cdr_params p = crm_cdr_params_default();
        crm_cdr_features *f = NULL;
        crm_cdr_summary s;
        p.n_threads = t;
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_OK);
        check_against(f, e);
        s = crm_cdr_features_summary(f);
        assert_int_equal(s.n_records, 140000);
        assert_int_equal(s.n_used, 140000);
        assert_int_equal(s.n_voice + s.n_sms + s.n_data, 140000);
        assert_int_equal(s.first_day, 19723);
        assert_int_equal(s.last_day, 19723 + N_DAYS - 1);
        if (ref == NULL) {
            ref = f;
        } else {
            for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) {
                for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) { /* bit for bit */
                    assert_true(crm_cdr_features_value(f, i, j) ==
                                crm_cdr_features_value(ref, i, j));
                }
            }
            crm_cdr_features_free(f);
        }
    }
    crm_cdr_features_free(ref);
    /* the date window: 2024-01-03 .. 2024-01-09 */
    {
        crm_cdr_params p = crm_cdr_params_default();
        crm_cdr_features *f = NULL;
        write_random(path, 20000, 11, 2, 8, e);
        assert_int_equal(crm_cdr_parse_date("2024-01-03", &p.from_day, &err), CRM_OK);
        assert_int_equal(crm_cdr_parse_date("2024-01-09", &p.to_day, &err), CRM_OK);
        p.has_from = p.has_to = true;
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_OK);
        check_against(f, e);
        assert_int_equal(crm_cdr_features_summary(f).n_records, 20000);
        assert_int_equal(crm_cdr_features_summary(f).first_day, 19725);
        assert_int_equal(crm_cdr_features_summary(f).last_day, 19731);
        crm_cdr_features_free(f);
        p.from_day = p.to_day = 19723 + 30; /* nothing in the window */
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_EDATA);
        assert_null(f);
    }
    crm_test_rmdir(dir);
    free(dir);
}

/* The exchange of a run across processes, played in one process: the file cut into n parts
 * at line starts, each part exported for n owners, each owner merging what the others send
 * and making its customers' rows, the rows merged: bit for bit crm_cdr_aggregate. */
static void play_owners(const char *path, int n, const crm_cdr_features *ref)
{
    crm_cdr_params p = crm_cdr_params_default();
    crm_cdr_part *pt[5];
    char *blobs[5];
    size_t sizes[5][5];
    char *rows[5];
    size_t row_sizes[5];
    size_t all_len = 0;
    char *all;
    crm_cdr_summary sum = crm_cdr_features_summary(ref);
    crm_cdr_features *f = NULL;
    crm_error err;
    FILE *fp = fopen(path, "rb");
    int64_t size;
    int64_t cut[6];
    int64_t line[6];
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    /* cuts just after the newline at or past k x size / n, with their line numbers */
    cut[0] = 0;
    line[0] = 1;
    for (int k = 1; k <= n; k++) {
        int64_t want = k == n ? size : size * k / n;
        int64_t at = cut[k - 1];
        int64_t l = line[k - 1];
        int c;
        fseek(fp, at, SEEK_SET);
        while (at < want && (c = fgetc(fp)) != EOF) {
            at++;
            l += c == '\n';
        }
        while (at < size && k < n &&
               (at == 0 || (fseek(fp, at - 1, SEEK_SET), fgetc(fp)) != '\n')) {
            fseek(fp, at, SEEK_SET);
            l += fgetc(fp) == '\n';
            at++;
        }
        cut[k] = at;
        line[k] = l;
    }
    fclose(fp);
    p.n_threads = 2;
    for (int k = 0; k < n; k++) {
        assert_int_equal(
            crm_cdr_aggregate_part(path, cut[k], cut[k + 1], line[k], &p, NULL, &pt[k], &err),
            CRM_OK);
        assert_int_equal(crm__cdr_part_export_owned(pt[k], k, n, &blobs[k], sizes[k], &err),
                         CRM_OK);
        assert_int_equal(sizes[k][k], 0);
    }
    for (int d = 0; d < n; d++) {
        crm_cdr_features *mine = NULL;
        for (int k = 0; k < n; k++) {
            size_t at = 0;
            for (int e = 0; e < d; e++) {
                at += sizes[k][e];
            }
            if (k != d) {
                assert_int_equal(crm_cdr_part_merge(pt[d], blobs[k] + at, sizes[k][d], &err),
                                 CRM_OK);
            }
        }
        assert_int_equal(crm__cdr_part_finish_owned(pt[d], d, n, &mine, &err), CRM_OK);
        assert_int_equal(crm__cdr_features_export(mine, &rows[d], &row_sizes[d], &err), CRM_OK);
        all_len += row_sizes[d];
        crm_cdr_features_free(mine);
    }
    all = malloc(all_len + 1);
    all_len = 0;
    for (int d = 0; d < n; d++) {
        memcpy(all + all_len, rows[d], row_sizes[d]);
        all_len += row_sizes[d];
        crm_free(rows[d]);
        crm_free(blobs[d]);
        crm_cdr_part_free(pt[d]);
    }
    assert_int_equal(crm__cdr_features_merge(all, row_sizes, n, &sum, &f, &err), CRM_OK);
    assert_int_equal(crm_cdr_features_n_customers(f), crm_cdr_features_n_customers(ref));
    for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) {
        assert_string_equal(crm_cdr_features_id(f, i), crm_cdr_features_id(ref, i));
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) { /* bit for bit */
            assert_true(crm_cdr_features_value(f, i, j) == crm_cdr_features_value(ref, i, j));
        }
    }
    /* the CSV written from the owners' lines is the bytes of one process's */
    {
        char a[600];
        char b[600];
        char *ta;
        char *tb;
        size_t la;
        size_t lb;
        snprintf(a, sizeof a, "%s.one.csv", path);
        snprintf(b, sizeof b, "%s.owners.csv", path);
        assert_int_equal(crm_cdr_features_write_csv(ref, a, &err), CRM_OK);
        assert_int_equal(crm_cdr_features_write_csv(f, b, &err), CRM_OK);
        ta = crm_test_read_file(a, &la);
        tb = crm_test_read_file(b, &lb);
        assert_true(la > 0 && la == lb && memcmp(ta, tb, la) == 0);
        free(ta);
        free(tb);
        remove(a);
        remove(b);
    }
    /* damaged rows are refused */
    all[all_len / 2] ^= 0x5a;
    all[8] ^= 0x7f;
    crm_cdr_features_free(f);
    f = NULL;
    assert_int_equal(crm__cdr_features_merge(all, row_sizes, n, &sum, &f, &err), CRM_EPARSE);
    assert_null(f);
    free(all);
}

static void test_owners(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    static expect e[N_CUST];
    crm_cdr_params p = crm_cdr_params_default();
    crm_cdr_features *ref = NULL;
    crm_cdr_features *f = NULL;
    crm_error err;
    (void)state;
    snprintf(path, sizeof path, "%s/cdr.csv", dir);
    write_random(path, 30000, 5, 0, N_DAYS - 1, e);
    assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &ref, &err), CRM_OK);
    for (int n = 1; n <= 5; n++) {
        play_owners(path, n, ref);
    }
    /* one process, no job: crm_cdr_aggregate_dist is crm_cdr_aggregate */
    assert_int_equal(crm_cdr_aggregate_dist(path, &p, NULL, &f, &err), CRM_OK);
    {
        crm_cdr_summary a = crm_cdr_features_summary(f);
        crm_cdr_summary b = crm_cdr_features_summary(ref);
        assert_memory_equal(&a, &b, sizeof a);
    }
    for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) {
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
            assert_true(crm_cdr_features_value(f, i, j) == crm_cdr_features_value(ref, i, j));
        }
    }
    crm_cdr_features_free(f);
    crm_cdr_features_free(ref);
    crm_test_rmdir(dir);
    free(dir);
}

/* Five records whose features are worked out by hand. */
static void test_hand_checked(void **state)
{
    static const char text[] =
        "type,caller,callee,start_time,duration,network,bytes,charge,extra\n"
        "voice,A,B,2024-01-01 08:00:00,120,onnet,0,0.06,x\n"
        "voice,A,X1,2024-01-06 23:30:00,61,offnet,0,0.16,x\n" /* Saturday night */
        "voice,A,B,2024-01-02 12:00:00,30,on-net,0,0.03,x\n"  /* B again: 2 parties */
        "sms,B,A,2024-01-03 05:59:59,0,onnet,0,0.05,x\n"      /* night */
        "data,B,,2024-01-07 10:00:00,600,,3145728,0.003,x\n"; /* Sunday, 3 MiB */
    char *dir = crm_test_tmpdir();
    char path[512];
    char out[512];
    crm_cdr_params p = crm_cdr_params_default();
    crm_cdr_features *f = NULL;
    crm_table *t = NULL;
    crm_error err;
    char *csv;
    (void)state;
    snprintf(path, sizeof path, "%s/hand.csv", dir);
    snprintf(out, sizeof out, "%s/features.csv", dir);
    assert_int_equal(crm_test_write_file(path, text), 0);
    assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_OK);
    assert_int_equal(crm_cdr_features_n_customers(f), 2);
    assert_string_equal(crm_cdr_features_id(f, 0), "A");
    {
        static const double a[CRM_CDR_N_FEATURES] = {
            2, 1, 2.5, 61.0 / 60, 2, 211.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 0, 0.25, 0.25, 0, 0, 1, 0, 0
        };
        static const double b[CRM_CDR_N_FEATURES] = {
            0, 0, 0,     0, 0,    0,     0.5, 0.5,          1,
            1, 3, 0.053, 0, 0.05, 0.003, 0,   0.05 / 0.053, 0.003 / 0.053
        };
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
            crm_assert_close(crm_cdr_features_value(f, 0, j), a[j], 1e-12, 1e-12);
            crm_assert_close(crm_cdr_features_value(f, 1, j), b[j], 1e-12, 1e-12);
        }
    }
    /* the CSV reads back as a table with an id column and numeric features */
    assert_int_equal(crm_cdr_features_write_csv(f, out, &err), CRM_OK);
    csv = crm_test_read_file(out, NULL);
    assert_non_null(strstr(csv, "subscriber_id,calls_onnet,calls_offnet,minutes_onnet,"));
    assert_non_null(strstr(csv, "\nA,2,1,2.5,1.016666667,2,70.33333333,"));
    free(csv);
    assert_int_equal(crm_table_read_csv(out, NULL, NULL, &t, &err), CRM_OK);
    assert_int_equal(crm_table_col_type(t, 0), CRM_COL_ID);
    assert_int_equal(crm_table_n_cols(t), 1 + CRM_CDR_N_FEATURES);
    crm_table_free(t);
    assert_int_equal(crm_cdr_features_to_table(f, &t, &err), CRM_OK);
    assert_int_equal(crm_table_n_rows(t), 2);
    crm_assert_close(crm_table_numeric(t, 3)[0], 2.5, 0, 0);
    crm_table_free(t);
    crm_cdr_features_free(f);
    crm_test_rmdir(dir);
    free(dir);
}

typedef struct bad_case {
    const char *row;
    int64_t column;
    const char *field;
    const char *needle;
} bad_case;

static void test_errors(void **state)
{
    static const bad_case cases[] = {
        { "A,B,2024-13-01 00:00:00,1,onnet,voice,0,0", 3, "start_time", "bad start time" },
        { "A,B,2023-02-29 00:00:00,1,onnet,voice,0,0", 3, "start_time", "2023-02-29" },
        { "A,B,2024-01-01 24:00:00,1,onnet,voice,0,0", 3, "start_time", "bad start time" },
        { "A,B,2024-01-01,1,onnet,voice,0,0", 3, "start_time", "bad start time" },
        { "A,B,2024-01-01 00:00:00,-1,onnet,voice,0,0", 4, "duration", "bad duration" },
        { "A,B,2024-01-01 00:00:00,1.5,onnet,voice,0,0", 4, "duration", "bad duration" },
        { "A,B,2024-01-01 00:00:00,1,roaming,voice,0,0", 5, "network", "bad network" },
        { "A,B,2024-01-01 00:00:00,1,,voice,0,0", 5, "network", "bad network" },
        { "A,B,2024-01-01 00:00:00,1,onnet,fax,0,0", 6, "type", "unknown type" },
        { "A,B,2024-01-01 00:00:00,1,onnet,data,1e3,0", 7, "bytes", "bad bytes" },
        { "A,B,2024-01-01 00:00:00,1,onnet,voice,0,-0.5", 8, "charge", "bad charge" },
        { "A,B,2024-01-01 00:00:00,1,onnet,voice,0,abc", 8, "charge", "bad charge" },
        { ",B,2024-01-01 00:00:00,1,onnet,voice,0,0", 1, "caller", "empty caller" },
        { "A,,2024-01-01 00:00:00,1,onnet,voice,0,0", 2, "callee", "empty callee" },
        { "A,B,2024-01-01 00:00:00,1,onnet,voice,0", 8, "charge", "row has 7 fields" },
        { "A,B,2024-01-01 00:00:00,1,onnet,voice,0,0,9", 9, "", "more fields" },
        { "A,\"B,2024-01-01 00:00:00,1,onnet,voice,0,0", 2, "callee", "not closed" },
    };
    char *dir = crm_test_tmpdir();
    char path[512];
    (void)state;
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512];
        crm_cdr_params p = crm_cdr_params_default();
        crm_cdr_features *f = NULL;
        crm_error err;
        crm_status rc;
        snprintf(text, sizeof text, "%sA,B,2024-01-01 00:00:00,1,onnet,voice,0,0\n%s\n", header,
                 cases[k].row);
        assert_int_equal(crm_test_write_file(path, text), 0);
        crm_error_clear(&err);
        rc = crm_cdr_aggregate(path, &p, NULL, &f, &err);
        if (rc != CRM_EPARSE || err.line != 3 || err.column != cases[k].column ||
            strcmp(err.field, cases[k].field) != 0 || strstr(err.msg, cases[k].needle) == NULL ||
            strstr(err.source, "bad.csv") == NULL) {
            print_error("case %zu: rc %d line %lld column %lld field \"%s\" msg \"%s\"\n", k,
                        (int)rc, (long long)err.line, (long long)err.column, err.field, err.msg);
            fail();
        }
        assert_null(f);
    }
    /* a missing column, an empty file, no file */
    {
        crm_cdr_params p = crm_cdr_params_default();
        crm_cdr_features *f = NULL;
        crm_error err;
        assert_int_equal(crm_test_write_file(path, "caller,callee,start_time\nA,B,C\n"), 0);
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_ENOTFOUND);
        assert_non_null(strstr(err.msg, "\"duration\""));
        assert_int_equal(crm_test_write_file(path, ""), 0);
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_EDATA);
        assert_int_equal(crm_test_write_file(path, header), 0);
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_EDATA);
        snprintf(path, sizeof path, "%s/none.csv", dir);
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_ENOTFOUND);
        assert_int_equal(crm_cdr_parse_date("2024-1-01", &p.from_day, &err), CRM_EINVAL);
        assert_int_equal(crm_cdr_parse_date("1970-01-01", &p.from_day, &err), CRM_OK);
        assert_int_equal(p.from_day, 0);
        assert_int_equal(crm_cdr_parse_date("2000-02-29", &p.from_day, &err), CRM_OK);
        assert_int_equal(p.from_day, 11016);
    }
    crm_test_rmdir(dir);
    free(dir);
}

/* Two bad records in different blocks: the first in file order is reported, whatever the
 * number of threads. */
static void test_first_error_wins(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    FILE *fp;
    (void)state;
    snprintf(path, sizeof path, "%s/two.csv", dir);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(header, fp);
    for (int i = 2; i <= 200000; i++) {
        if (i == 120000) {
            fputs("A,B,2024-01-01 00:00:00,1,onnet,voice,0,zz\n", fp);
        } else if (i == 180000) {
            fputs("A,B,2024-01-01 00:00:00,1,onnet,voicee,0,0\n", fp);
        } else {
            fprintf(fp, "C%d,B%d,2024-01-01 00:00:00,1,onnet,voice,0,0.1\n", i % 97, i % 89);
        }
    }
    fclose(fp);
    for (int32_t t = 1; t <= 4; t++) {
        crm_cdr_params p = crm_cdr_params_default();
        crm_cdr_features *f = NULL;
        crm_error err;
        p.n_threads = t;
        assert_int_equal(crm_cdr_aggregate(path, &p, NULL, &f, &err), CRM_EPARSE);
        assert_int_equal(err.line, 120000);
        assert_string_equal(err.field, "charge");
    }
    crm_test_rmdir(dir);
    free(dir);
}

/* ---- the generator ---- */

static void test_gen_deterministic(void **state)
{
    char *dir = crm_test_tmpdir();
    char a[512];
    char b[512];
    char c[512];
    crm_gen_cdr_params p = crm_gen_cdr_params_default();
    crm_gen_cdr_summary s1;
    crm_gen_cdr_summary s2;
    crm_cdr_params cp = crm_cdr_params_default();
    crm_cdr_features *fa = NULL;
    crm_cdr_features *fc = NULL;
    crm_error err;
    char *ta;
    char *tb;
    size_t la;
    size_t lb;
    (void)state;
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);
    snprintf(c, sizeof c, "%s/c.csv.gz", dir);
    p.n_customers = 5000; /* two blocks of customers */
    p.days = 3;
    p.seed = 9;
    p.n_threads = 1;
    assert_int_equal(crm_gen_cdr(&p, a, NULL, &s1, &err), CRM_OK);
    p.n_threads = 3;
    assert_int_equal(crm_gen_cdr(&p, b, NULL, &s2, &err), CRM_OK);
    assert_int_equal(crm_gen_cdr(&p, c, NULL, NULL, &err), CRM_OK);
    ta = crm_test_read_file(a, &la);
    tb = crm_test_read_file(b, &lb);
    assert_true(la == lb && memcmp(ta, tb, la) == 0);
    assert_int_equal(s1.n_records, s2.n_records);
    assert_int_equal(s1.n_records, s1.n_voice + s1.n_sms + s1.n_data);
    assert_true(s1.n_records > 5000 * 3 * 8);
    assert_memory_equal(ta, header, sizeof header - 1);
    /* the gzip file holds the same records: the same features */
    assert_int_equal(crm_cdr_aggregate(a, &cp, NULL, &fa, &err), CRM_OK);
    assert_int_equal(crm_cdr_aggregate(c, &cp, NULL, &fc, &err), CRM_OK);
    assert_int_equal(crm_cdr_features_n_customers(fa), crm_cdr_features_n_customers(fc));
    assert_int_equal(crm_cdr_features_summary(fa).n_records, s1.n_records);
    for (int64_t i = 0; i < crm_cdr_features_n_customers(fa); i++) {
        const char *id = crm_cdr_features_id(fa, i);
        assert_string_equal(id, crm_cdr_features_id(fc, i));
        /* callers are the customer table's ids S0000001 .. S0005000 */
        assert_int_equal(strlen(id), 8);
        assert_true(id[0] == 'S' && atoi(id + 1) >= 1 && atoi(id + 1) <= 5000);
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
            assert_true(crm_cdr_features_value(fa, i, j) == crm_cdr_features_value(fc, i, j));
        }
    }
    assert_true(crm_cdr_features_n_customers(fa) > 4700); /* all but some dormant lines */
    /* another seed, another file */
    p.seed = 10;
    assert_int_equal(crm_gen_cdr(&p, b, NULL, NULL, &err), CRM_OK);
    free(tb);
    tb = crm_test_read_file(b, &lb);
    assert_false(la == lb && memcmp(ta, tb, la) == 0);
    free(ta);
    free(tb);
    crm_cdr_features_free(fa);
    crm_cdr_features_free(fc);
    p.days = 0;
    assert_int_equal(crm_gen_cdr(&p, b, NULL, NULL, &err), CRM_EINVAL);
    crm_test_rmdir(dir);
    free(dir);
}

static double corr(const double *x, const double *y, int n)
{
    double mx = 0;
    double my = 0;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i] / n;
        my += y[i] / n;
    }
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* 30 days of CDRs add up to about each customer's row of `gen customers` (same seed). */
static void test_gen_consistent_with_customers(void **state)
{
    enum {
        N = 1500
    };
    static const char *const pairs[4][2] = { { "voice_onnet_min", "minutes_onnet" },
                                             { "voice_offnet_min", "minutes_offnet" },
                                             { "sms_count", "sms_count" },
                                             { "called_parties", "called_parties" } };
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_gen_customers_params cp = crm_gen_customers_params_default();
    crm_gen_cdr_params p = crm_gen_cdr_params_default();
    crm_cdr_params ap = crm_cdr_params_default();
    crm_table *t = NULL;
    crm_cdr_features *f = NULL;
    crm_error err;
    static double x[N];
    static double y[N];
    (void)state;
    snprintf(path, sizeof path, "%s/cdr.csv.gz", dir);
    cp.n_rows = N;
    cp.seed = 77;
    cp.missing_rate = 0;
    cp.outlier_rate = 0;
    assert_int_equal(crm_gen_customers(&cp, &t, &err), CRM_OK);
    p.n_customers = N;
    p.seed = 77;
    p.days = 30;
    assert_int_equal(crm_gen_cdr(&p, path, NULL, NULL, &err), CRM_OK);
    assert_int_equal(crm_cdr_aggregate(path, &ap, NULL, &f, &err), CRM_OK);
    for (int k = 0; k < 4; k++) {
        const double *col = crm_table_numeric(t, crm_table_find_col(t, pairs[k][0]));
        const double *churn = crm_table_numeric(t, crm_table_find_col(t, "churn"));
        int32_t j = -1;
        int n = 0;
        double sx = 0;
        double sy = 0;
        for (int32_t q = 0; q < CRM_CDR_N_FEATURES; q++) {
            if (strcmp(crm_cdr_feature_name(q), pairs[k][1]) == 0) {
                j = q;
            }
        }
        assert_true(j >= 0);
        /* features rows are sorted ids S0000001.. = table rows, but dormant lines may miss */
        for (int64_t i = 0; i < crm_cdr_features_n_customers(f); i++) {
            int64_t row = atoi(crm_cdr_features_id(f, i) + 1) - 1;
            if (churn[row] > 0.5) {
                continue; /* churners fall silent part way */
            }
            x[n] = log1p(col[row]);
            y[n] = log1p(crm_cdr_features_value(f, i, j));
            sx += col[row];
            sy += crm_cdr_features_value(f, i, j);
            n++;
        }
        assert_true(n > N / 2);
        if (corr(x, y, n) < 0.95 || sy / sx < 0.85 || sy / sx > 1.15) {
            print_error("%s: correlation %g, ratio %g\n", pairs[k][0], corr(x, y, n), sy / sx);
            fail();
        }
    }
    crm_table_free(t);
    crm_cdr_features_free(f);
    crm_test_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_hand_checked),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_owners),
        cmocka_unit_test(test_gen_deterministic),
        cmocka_unit_test(test_gen_consistent_with_customers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
