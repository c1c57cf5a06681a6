/* test_model.c: the model file container: round trips, damaged and foreign files, OOM. */
#include <libdeflate.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <crmkit/alloc.h>
#include <crmkit/model.h>

#include "core/core_internal.h"
#include "crm_test.h"

static const double f64s[] = { 0.0, -0.0, 1.5, -2.25e300, 4.9e-324, 1.0 / 3.0 };
static const int32_t i32s[] = { 0, -1, 2147483647, -2147483647 - 1, 42 };

/* A model with two sections that uses every put. */
static crm_status build(crm_model_writer **out, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc = crm_model_writer_new("testkind", &w, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if ((rc = crm_model_begin(w, "scalars", err)) != CRM_OK ||
        (rc = crm_model_put_u32(w, 0xdeadbeefu, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, -7, err)) != CRM_OK ||
        (rc = crm_model_put_i64(w, -1234567890123LL, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, -0.1, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, NAN, err)) != CRM_OK ||
        (rc = crm_model_put_str(w, "revenue", err)) != CRM_OK ||
        (rc = crm_model_put_str(w, "", err)) != CRM_OK ||
        (rc = crm_model_put_bytes(w, "xyz", 3, err)) != CRM_OK ||
        (rc = crm_model_begin(w, "arrays0123456789", err)) != CRM_OK ||
        (rc = crm_model_put_f64s(w, f64s, 6, err)) != CRM_OK ||
        (rc = crm_model_put_i32s(w, i32s, 5, err)) != CRM_OK ||
        (rc = crm_model_begin(w, "empty", err)) != CRM_OK) {
        crm_model_writer_free(w);
        return rc;
    }
    *out = w;
    return CRM_OK;
}

static unsigned char *build_bytes(size_t *len)
{
    crm_model_writer *w = NULL;
    const unsigned char *data;
    unsigned char *copy;
    crm_error err;
    assert_int_equal(build(&w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &data, len, &err), CRM_OK);
    copy = malloc(*len);
    memcpy(copy, data, *len);
    crm_model_writer_free(w);
    return copy;
}

/* Decode everything build() wrote; returns the first failing status. */
static crm_status decode(const crm_model_reader *r, crm_error *err)
{
    crm_section s;
    uint32_t u;
    int32_t i;
    int64_t l;
    double d;
    double nan_v;
    char *str1 = NULL;
    char *str2 = NULL;
    char b[3];
    double fv[6];
    int32_t iv[5];
    crm_status rc = crm_model_section(r, "scalars", &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    crm_section_get_u32(&s, &u);
    crm_section_get_i32(&s, &i);
    crm_section_get_i64(&s, &l);
    crm_section_get_f64(&s, &d);
    crm_section_get_f64(&s, &nan_v);
    crm_section_get_str(&s, 100, &str1);
    crm_section_get_str(&s, 100, &str2);
    crm_section_get_bytes(&s, b, 3);
    rc = crm_section_finish(&s, r, err);
    if (rc == CRM_OK) {
        assert_true(u == 0xdeadbeefu);
        assert_int_equal(i, -7);
        assert_true(l == -1234567890123LL);
        assert_true(d == -0.1);
        assert_true(isnan(nan_v));
        assert_string_equal(str1, "revenue");
        assert_string_equal(str2, "");
        assert_memory_equal(b, "xyz", 3);
    }
    crm_free(str1);
    crm_free(str2);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm_model_section(r, "arrays0123456789", &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    crm_section_get_f64s(&s, fv, 6);
    crm_section_get_i32s(&s, iv, 5);
    rc = crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    assert_memory_equal(fv, f64s, sizeof fv);
    assert_memory_equal(iv, i32s, sizeof iv);
    rc = crm_model_section(r, "empty", &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    return crm_section_finish(&s, r, err);
}

static void model_round_trips_every_put_and_get(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    crm_model_reader *r = NULL;
    crm_section s;
    crm_error err;
    (void)state;
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_string_equal(crm_model_reader_kind(r), "testkind");
    assert_string_equal(crm_model_reader_source(r), "mem");
    assert_int_equal(crm_model_reader_n_sections(r), 3);
    assert_true(crm_model_reader_has(r, "scalars"));
    assert_false(crm_model_reader_has(r, "nothere"));
    assert_int_equal(decode(r, &err), CRM_OK);
    assert_int_equal(crm_model_section_at(r, 1, &s, &err), CRM_OK);
    assert_string_equal(s.tag, "arrays0123456789");
    assert_int_equal(s.len, 6 * 8 + 5 * 4);
    assert_int_equal(crm_model_section_at(r, 3, &s, &err), CRM_EINVAL);
    /* Header 36 bytes; sections: head 28 each, payloads 4+4+8+8+8+11+4+3, 68, 0. */
    assert_int_equal(len, 36 + 3 * 28 + 50 + 68);
    crm_model_reader_free(r);
    free(bytes);
}

static void model_cursor_is_sticky_and_finish_names_the_section(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    crm_model_reader *r = NULL;
    crm_section s;
    crm_error err;
    uint32_t u;
    double d;
    char *str = NULL;
    double many[20];
    (void)state;
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);

    assert_int_equal(crm_model_section(r, "arrays0123456789", &s, &err), CRM_OK);
    assert_int_equal(crm_section_get_f64s(&s, many, 20), CRM_EFORMAT);
    assert_int_equal(crm_section_get_u32(&s, &u), CRM_EFORMAT); /* sticky although 68 left */
    assert_int_equal(crm_section_finish(&s, r, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "\"arrays0123456789\""));

    assert_int_equal(crm_model_section(r, "scalars", &s, &err), CRM_OK);
    assert_int_equal(crm_section_get_u32(&s, &u), CRM_OK);
    assert_int_equal(crm_section_finish(&s, r, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "46 unexpected bytes"));

    /* A count fits when the 46 bytes left can hold it at the given size, and never after a
     * failed read. */
    assert_true(crm_section_fits(&s, 46, 1));
    assert_false(crm_section_fits(&s, 47, 1));
    assert_true(crm_section_fits(&s, 5, 8));
    assert_false(crm_section_fits(&s, 6, 8));
    assert_true(crm_section_fits(&s, 0, 8));
    assert_false(crm_section_fits(&s, -1, 1));
    assert_false(crm_section_fits(&s, INT64_MAX, 1));
    s.failed = 1;
    assert_false(crm_section_fits(&s, 0, 1));

    /* A string longer than the caller allows is a format error, not a big allocation. */
    assert_int_equal(crm_model_section(r, "scalars", &s, &err), CRM_OK);
    crm_section_get_u32(&s, &u);
    crm_section_get_u32(&s, &u);
    crm_section_get_f64(&s, &d);
    crm_section_get_f64(&s, &d);
    crm_section_get_f64(&s, &d);
    assert_int_equal(crm_section_get_str(&s, 3, &str), CRM_EFORMAT);
    assert_null(str);

    assert_int_equal(crm_model_section(r, "nothere", &s, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "no \"nothere\" section"));
    assert_string_equal(err.source, "mem");
    assert_true(s.failed);
    crm_model_reader_free(r);
    free(bytes);
}

static void model_refuses_every_truncation(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    crm_error err;
    (void)state;
    for (size_t n = 0; n < len; n++) {
        crm_model_reader *r = NULL;
        crm_status rc = crm_model_reader_open_mem(bytes, n, "cut", &r, &err);
        if (rc != CRM_EFORMAT) {
            fprintf(stderr, "length %zu of %zu: status %d\n", n, len, rc);
        }
        assert_int_equal(rc, CRM_EFORMAT);
        assert_null(r);
        assert_string_equal(err.source, "cut");
        if (n >= 8) {
            assert_non_null(strstr(err.msg, n < 36 ? "truncated" : "model file"));
        }
    }
    free(bytes);
}

static void model_detects_every_flipped_byte(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    crm_error err;
    (void)state;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            crm_model_reader *r = NULL;
            crm_status rc;
            bytes[i] ^= (unsigned char)(1u << bit);
            rc = crm_model_reader_open_mem(bytes, len, "flip", &r, &err);
            bytes[i] ^= (unsigned char)(1u << bit);
            if (rc != CRM_EFORMAT) {
                fprintf(stderr, "byte %zu bit %d: status %d\n", i, bit, rc);
            }
            assert_int_equal(rc, CRM_EFORMAT);
            assert_null(r);
        }
    }
    /* A flip inside a payload is reported as a checksum mismatch. */
    {
        crm_model_reader *r = NULL;
        bytes[36 + 28 + 2] ^= 0x10;
        assert_int_equal(crm_model_reader_open_mem(bytes, len, "flip", &r, &err), CRM_EFORMAT);
        assert_non_null(strstr(err.msg, "checksum mismatch in section 1"));
    }
    free(bytes);
}

static void model_refuses_foreign_files_and_other_versions(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    crm_model_reader *r = NULL;
    crm_error err;
    const char *csv = "id,revenue\n1,2\n";
    (void)state;
    assert_int_equal(crm_model_reader_open_mem(csv, strlen(csv), "x.csv", &r, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "not a crmkit model"));
    assert_int_equal(crm_model_reader_open_mem("", 0, "e", &r, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "empty"));

    /* Version 2 with a valid header checksum: the version is what is reported. */
    bytes[8] = 2;
    {
        uint32_t crc = libdeflate_crc32(0, bytes, 32);
        for (int i = 0; i < 4; i++) {
            bytes[32 + i] = (unsigned char)(crc >> (8 * i));
        }
    }
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "new.crmk", &r, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "format version 2"));
    assert_non_null(strstr(err.msg, "reads version 1"));
    free(bytes);
}

/* crm_model_out writes the same bytes as the put calls, and stops at the first failure: the
 * first error is kept (message and code) and nothing is written after it. */
static void model_out_writes_the_same_bytes_and_stops_at_the_first_failure(void **state)
{
    size_t len_put;
    unsigned char *ref = build_bytes(&len_put);
    crm_model_writer *w = NULL;
    const unsigned char *data;
    size_t len;
    crm_error err;
    (void)state;
    assert_int_equal(crm_model_writer_new("testkind", &w, &err), CRM_OK);
    {
        crm_model_out o = { w, &err, CRM_OK };
        crm_model_out_begin(&o, "scalars");
        crm_model_out_u32(&o, 0xdeadbeefu);
        crm_model_out_i32(&o, -7);
        crm_model_out_i64(&o, -1234567890123LL);
        crm_model_out_f64(&o, -0.1);
        crm_model_out_f64(&o, NAN);
        crm_model_out_str(&o, "revenue");
        crm_model_out_str(&o, NULL);
        crm_model_out_bytes(&o, "xyz", 3);
        crm_model_out_begin(&o, "arrays0123456789");
        crm_model_out_f64s(&o, f64s, 6);
        crm_model_out_i32s(&o, i32s, 5);
        crm_model_out_begin(&o, "empty");
        assert_int_equal(o.rc, CRM_OK);
    }
    assert_int_equal(crm_model_writer_bytes(w, &data, &len, &err), CRM_OK);
    assert_int_equal(len, len_put);
    assert_memory_equal(data, ref, len);
    crm_model_writer_free(w);
    free(ref);

    assert_int_equal(crm_model_writer_new("ok", &w, &err), CRM_OK);
    {
        crm_model_out o = { w, &err, CRM_OK };
        crm_model_out_u32(&o, 1); /* before any section */
        assert_int_equal(o.rc, CRM_ESTATE);
        crm_model_out_begin(&o, "a"); /* not run: the section stays unopened */
        crm_model_out_name(&o, "item name", "x");
        assert_int_equal(o.rc, CRM_ESTATE);
        assert_non_null(strstr(err.msg, "before crm_model_begin"));
    }
    assert_int_equal(crm_model_begin(w, "a", &err), CRM_OK); /* "a" was never begun */
    crm_model_writer_free(w);
}

static void model_writer_rejects_misuse(void **state)
{
    crm_model_writer *w = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm_model_writer_new("", &w, &err), CRM_EINVAL);
    assert_int_equal(crm_model_writer_new("sixteen_chars_xx", &w, &err), CRM_EINVAL);
    assert_int_equal(crm_model_writer_new("has space", &w, &err), CRM_EINVAL);
    assert_int_equal(crm_model_writer_new("ok", &w, &err), CRM_OK);
    assert_int_equal(crm_model_put_u32(w, 1, &err), CRM_ESTATE);
    assert_int_equal(crm_model_begin(w, "seventeen_chars_x", &err), CRM_EINVAL);
    assert_int_equal(crm_model_begin(w, "a", &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "a", &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(crm_model_writer_save(w, "-", &err), CRM_EINVAL);
    crm_model_writer_free(w);
    crm_model_writer_free(NULL);
    crm_model_reader_free(NULL);
}

static void model_save_is_atomic_and_open_reads_it_back(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    char bad_path[600];
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_error err;
    struct stat st;
    (void)state;
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    snprintf(bad_path, sizeof bad_path, "%s/no/such/dir/m.crmk", dir);
    assert_int_equal(build(&w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_save(w, bad_path, &err), CRM_EIO);
    assert_int_equal(crm_model_writer_save(w, path, &err), CRM_OK);
    crm_model_writer_free(w);
    assert_int_equal(crm_model_reader_open(path, &r, &err), CRM_OK);
    assert_int_equal(decode(r, &err), CRM_OK);
    crm_model_reader_free(r);
    assert_int_equal(crm_model_reader_open(bad_path, &r, &err), CRM_ENOTFOUND);
    assert_string_equal(err.source, bad_path);
    assert_int_equal(crm_model_reader_open(dir, &r, &err), CRM_ENOTFOUND); /* an input */
    /* Only the model itself is left in the folder: no temporary files. */
    {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(stat(path, &st), 0);
    crm_test_rmdir(dir);
    free(dir);
}

static void model_write_and_read_fail_cleanly_out_of_memory(void **state)
{
    size_t len;
    unsigned char *bytes = build_bytes(&len);
    int finished = 0;
    crm_error err;
    (void)state;
    for (long n = 0; n < 100 && !finished; n++) {
        crm_model_writer *w = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = build(&w, &err);
        if (rc == CRM_OK) {
            const unsigned char *data;
            size_t l;
            rc = crm_model_writer_bytes(w, &data, &l, &err);
            finished = (rc == CRM_OK);
            crm_model_writer_free(w);
        }
        if (!finished) {
            assert_true(rc == CRM_ENOMEM || rc == CRM_ESTATE);
        }
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(finished);
    finished = 0;
    for (long n = 0; n < 100 && !finished; n++) {
        crm_model_reader *r = NULL;
        crm_status rc;
        crm_test_fail_after(n);
        rc = crm_model_reader_open_mem(bytes, len, "mem", &r, &err);
        if (rc == CRM_OK) {
            rc = decode(r, &err);
            finished = (rc == CRM_OK);
            crm_model_reader_free(r);
        }
        if (!finished) {
            assert_int_equal(rc, CRM_ENOMEM);
        }
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(finished);
    free(bytes);
}

/* A file made independently from the format description (scripts/golden/model_seed.py). */
static void model_reads_a_file_written_from_the_format_description(void **state)
{
    char *path = crm_test_path("../fuzz/corpus/model_file/two_sections.crmk");
    crm_model_reader *r = NULL;
    crm_section s;
    crm_error err;
    char *str = NULL;
    double v[4];
    (void)state;
    assert_int_equal(crm_model_reader_open(path, &r, &err), CRM_OK);
    assert_string_equal(crm_model_reader_kind(r), "rules");
    assert_int_equal(crm_model_section(r, "a", &s, &err), CRM_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(crm_section_get_str(&s, 10, &str), CRM_OK);
        assert_string_equal(str, "x");
        crm_free(str);
    }
    assert_int_equal(crm_section_finish(&s, r, &err), CRM_OK);
    assert_int_equal(crm_model_section(r, "b", &s, &err), CRM_OK);
    assert_int_equal(crm_section_get_f64s(&s, v, 4), CRM_OK);
    assert_true(v[0] == 1.0 && v[3] == 4.0);
    assert_int_equal(crm_section_finish(&s, r, &err), CRM_OK);
    crm_model_reader_free(r);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_round_trips_every_put_and_get),
        cmocka_unit_test(model_cursor_is_sticky_and_finish_names_the_section),
        cmocka_unit_test(model_refuses_every_truncation),
        cmocka_unit_test(model_detects_every_flipped_byte),
        cmocka_unit_test(model_refuses_foreign_files_and_other_versions),
        cmocka_unit_test(model_writer_rejects_misuse),
        cmocka_unit_test(model_out_writes_the_same_bytes_and_stops_at_the_first_failure),
        cmocka_unit_test(model_save_is_atomic_and_open_reads_it_back),
        cmocka_unit_test(model_write_and_read_fail_cleanly_out_of_memory),
        cmocka_unit_test(model_reads_a_file_written_from_the_format_description),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
