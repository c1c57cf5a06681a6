/* test_serve.c: the server's model layer without HTTP: the generated .proto, every request
 * format giving the same table and the labels of crm_segmenter_assign, packed and unpacked
 * protobuf, the Predictions encoding byte for byte, refusals with their codes, JSON numbers,
 * out-of-memory paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/segment.h>
#include <crmkit/serve.h>

#include "crm_test.h"
#include "serve/serve_internal.h"

#define N_ROWS 8
static const double col_x[N_ROWS] = { 1, 2, 3, 4, 10, 11, 12, 13 };
static const double col_y[N_ROWS] = { 5, 4, 6, 5, 50, 52, 49, 51 };
static const char *const col_plan[N_ROWS] = { "a", "b", "a", "b", "c", "c", "a", "c" };

static crm_table *train_table(void)
{
    crm_table *t = NULL;
    assert_int_equal(crm_table_new(N_ROWS, "train", &t, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "x", col_x, NULL), CRM_OK);
    assert_int_equal(crm_table_add_numeric(t, "y_value", col_y, NULL), CRM_OK);
    assert_int_equal(crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, col_plan, NULL), CRM_OK);
    return t;
}

/* A 2-segment model of x, y_value and plan, saved and loaded through the server's loader. */
static crm_serve_model *load_model(crm_segmenter **seg_out)
{
    static const char *const feats[3] = { "x", "y_value", "plan" };
    crm_segment_params p = crm_segment_params_default();
    crm_table *t = train_table();
    crm_segmenter *seg = NULL;
    crm_serve_model *m = NULL;
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_error err;
    p.features = feats;
    p.n_features = 3;
    p.k = 2;
    p.kmeans.seed = 1;
    snprintf(path, sizeof path, "%s/m.crmk", dir);
    assert_int_equal(crm_segmenter_fit(t, &p, NULL, &seg, &err), CRM_OK);
    assert_int_equal(crm_segmenter_save(seg, path, &err), CRM_OK);
    assert_int_equal(crm_serve_model_load("seg", path, &m, &err), CRM_OK);
    crm_test_rmdir(dir);
    free(dir);
    crm_table_free(t);
    *seg_out = seg;
    return m;
}

static void proto_lists_features_in_order(void **state)
{
    crm_segmenter *seg;
    crm_serve_model *m = load_model(&seg);
    (void)state;
    assert_int_equal(crm_serve_model_kind(m), CRM_SERVE_SEGMENTATION);
    assert_int_equal(crm_serve_model_n_features(m), 3);
    assert_non_null(strstr(crm_serve_model_proto(m),
                           "message DataFrame {\n  repeated double x = 1;\n"
                           "  repeated double y_value = 2;\n  repeated string plan = 3;\n}\n"));
    assert_non_null(strstr(crm_serve_model_proto(m),
                           "message Predictions {\n  repeated int64 predictions = 1;\n}\n"));
    assert_non_null(strstr(crm_serve_model_proto(m),
                           "service Model {\n  rpc classify (DataFrame) returns (Predictions);"));
    assert_non_null(strstr(crm_serve_model_metadata(m), "\"kind\":\"segmentation\""));
    assert_int_equal(strlen(crm_serve_model_version(m)), 16);
#if CRM_HAVE_PROTOBUFC
    /* the DataFrame's fields by name (protobuf-c's binary search over the sorted names) */
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(&m->df_desc, "plan")->id, 3);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(&m->df_desc, "x")->id, 1);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(&m->df_desc, "y_value")->id,
                     2);
    assert_null(protobuf_c_message_descriptor_get_field_by_name(&m->df_desc, "y"));
#endif
    /* a rules-free model cannot take scaled input with a categorical feature */
    assert_int_equal(crm_serve_score(m, NULL, 1, NULL, NULL, NULL), CRM_EINVAL);
    crm_serve_model_free(m);
    crm_segmenter_free(seg);
}

static void put_double(uint8_t **p, int field, double v)
{
    *(*p)++ = (uint8_t)(field << 3 | 1);
    memcpy(*p, &v, 8);
    *p += 8;
}

static void put_string(uint8_t **p, int field, const char *s)
{
    *(*p)++ = (uint8_t)(field << 3 | 2);
    *(*p)++ = (uint8_t)strlen(s);
    memcpy(*p, s, strlen(s));
    *p += strlen(s);
}

static void put_packed(uint8_t **p, int field, const double *v, int n)
{
    *(*p)++ = (uint8_t)(field << 3 | 2);
    *(*p)++ = (uint8_t)(8 * n);
    memcpy(*p, v, (size_t)(8 * n));
    *p += 8 * n;
}

/* Rows 1 and 4 of the training table ({2, 4, b} and {10, 50, c}) in every format. */
static void every_format_gives_the_labels_of_assign(void **state)
{
    crm_segmenter *seg;
    crm_serve_model *m = load_model(&seg);
    static const double xs[2] = { 2, 10 };
    static const double ys[2] = { 4, 50 };
    uint8_t packed[128];
    uint8_t unpacked[128];
    uint8_t *p = packed;
    struct {
        crm_serve_format f;
        const char *body;
        size_t len;
    } cases[9];
    int n_cases = 0;
    int32_t want[N_ROWS];
    crm_table *t = train_table();
    (void)state;
    assert_int_equal(crm_segmenter_assign(seg, t, want, NULL, NULL, NULL), CRM_OK);
    assert_int_not_equal(want[1], want[4]);
    put_packed(&p, 1, xs, 2);
    put_packed(&p, 2, ys, 2);
    put_string(&p, 3, "b");
    put_string(&p, 3, "c");
    cases[n_cases].f = CRM_SERVE_PROTOBUF;
    cases[n_cases].body = (const char *)packed;
    cases[n_cases++].len = (size_t)(p - packed);
    p = unpacked;
    put_string(&p, 3, "b"); /* any field order */
    put_double(&p, 2, 4);
    put_double(&p, 1, 2);
    put_double(&p, 1, 10);
    put_string(&p, 3, "c");
    put_double(&p, 2, 50);
    cases[n_cases].f = CRM_SERVE_PROTOBUF;
    cases[n_cases].body = (const char *)unpacked;
    cases[n_cases++].len = (size_t)(p - unpacked);
#define TEXT(fmt, s)                                                                               \
    do {                                                                                           \
        cases[n_cases].f = (fmt);                                                                  \
        cases[n_cases].body = (s);                                                                 \
        cases[n_cases++].len = strlen(s);                                                          \
    } while (0)
    TEXT(CRM_SERVE_JSON, "{\"x\":[2,10],\"yValue\":[\"4\",50],\"plan\":[\"b\",\"c\"]}");
    TEXT(CRM_SERVE_JSON, "{\"plan\":[\"b\",\"c\"],\"y_value\":[4,50.0],\"x\":[2.0,1e1]}");
    TEXT(CRM_SERVE_ROWS, "{\"rows\":[{\"x\":2,\"y_value\":4,\"plan\":\"b\"},"
                         "{\"plan\":\"c\",\"x\":10,\"yValue\":50}]}");
    TEXT(CRM_SERVE_MLFLOW, "{\"dataframe_split\":{\"columns\":[\"plan\",\"x\",\"y_value\"],"
                           "\"data\":[[\"b\",2,4],[\"c\",10,50]]}}");
    TEXT(CRM_SERVE_MLFLOW, "{\"dataframe_records\":[{\"x\":2,\"y_value\":4,\"plan\":\"b\"},"
                           "{\"x\":10,\"y_value\":50,\"plan\":\"c\"}]}");
    TEXT(CRM_SERVE_MLFLOW,
         "{\"instances\":{\"x\":[2,10],\"y_value\":[4,50],\"plan\":[\"b\",\"c\"]}}");
    TEXT(CRM_SERVE_CSV, "y_value,plan,x\r\n4,b,2\r\n50,c,10\r\n");
#undef TEXT
    for (int c = 0; c < n_cases; c++) {
        crm_table *r = NULL;
        crm_error err;
        int32_t labels[2] = { -1, -1 };
        crm_status st = crm_serve_parse(m, cases[c].f, cases[c].body, cases[c].len, 0, &r, &err);
        if (st == CRM_EUNSUPPORTED) {
            continue; /* a build without protobuf-c or Jansson */
        }
        if (st != CRM_OK) {
            fail_msg("case %d: %s", c, err.msg);
        }
        assert_int_equal(crm_table_n_rows(r), 2);
        assert_int_equal(crm_serve_score(m, r, 0, labels, NULL, &err), CRM_OK);
        assert_int_equal(labels[0], want[1]);
        assert_int_equal(labels[1], want[4]);
        assert_true(crm_table_numeric(r, crm_table_find_col(r, "x"))[1] == 10.0);
        crm_table_free(r);
    }
    crm_table_free(t);
    crm_serve_model_free(m);
    crm_segmenter_free(seg);
}

static void bad_requests_are_refused_with_their_code(void **state)
{
    crm_segmenter *seg;
    crm_serve_model *m = load_model(&seg);
    static const uint8_t truncated[] = { 0x0a, 0x10, 0, 0, 0 };
    static const uint8_t unknown_field[] = { 0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f };
    uint8_t nan_body[32];
    uint8_t *p = nan_body;
    static const struct {
        crm_serve_format f;
        const char *body;
        crm_status code;
        const char *msg;
    } cases[] = {
        { CRM_SERVE_JSON, "{\"x\":[1,", CRM_EPARSE, "malformed JSON" },
        { CRM_SERVE_JSON, "{\"x\":[1],\"y_value\":[1],\"plan\":[\"a\"],\"z\":[1]}", CRM_EDATA,
          "unknown feature \"z\"" },
        { CRM_SERVE_JSON, "{\"x\":[1],\"plan\":[\"a\"]}", CRM_EDATA,
          "missing feature \"y_value\"" },
        { CRM_SERVE_JSON, "{\"x\":[1,2],\"y_value\":[1],\"plan\":[\"a\"]}", CRM_EDATA,
          "unequal length" },
        { CRM_SERVE_JSON, "{\"x\":[\"NaN\"],\"y_value\":[1],\"plan\":[\"a\"]}", CRM_EDATA, "NaN" },
        { CRM_SERVE_JSON, "{\"x\":[1],\"y_value\":[null],\"plan\":[\"a\"]}", CRM_EDATA, "null" },
        { CRM_SERVE_JSON, "{\"x\":[1],\"y_value\":[1],\"plan\":[[]]}", CRM_EDATA,
          "expected a string" },
        { CRM_SERVE_JSON, "{\"x\":[],\"y_value\":[],\"plan\":[]}", CRM_EDATA, "no rows" },
        { CRM_SERVE_JSON, "{\"x\":[1],\"x\":[1],\"y_value\":[1],\"plan\":[\"a\"]}", CRM_EPARSE,
          "duplicate" },
        { CRM_SERVE_ROWS, "{\"rows\":[{\"x\":1,\"plan\":\"a\"}]}", CRM_EDATA,
          "row 0: missing feature \"y_value\"" },
        { CRM_SERVE_MLFLOW, "{\"records\":[]}", CRM_EDATA, "dataframe_split" },
        { CRM_SERVE_MLFLOW,
          "{\"dataframe_split\":{\"columns\":[\"x\",\"y_value\",\"plan\"],"
          "\"data\":[[1,2]]}}",
          CRM_EDATA, "data[0]: expected an array of 3 values" },
        { CRM_SERVE_CSV, "x,y_value,plan,extra\n1,2,a,3\n", CRM_EDATA,
          "unknown feature \"extra\"" },
        { CRM_SERVE_CSV, "x,y_value,plan\n1,,a\n", CRM_EDATA, "NaN" },
    };
    crm_error err;
    crm_table *t = NULL;
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        crm_status st =
            crm_serve_parse(m, cases[c].f, cases[c].body, strlen(cases[c].body), 0, &t, &err);
        if (st == CRM_EUNSUPPORTED) {
            continue;
        }
        if (st != cases[c].code || strstr(err.msg, cases[c].msg) == NULL) {
            fail_msg("case %zu: status %d, message \"%s\"", c, (int)st, err.msg);
        }
        assert_null(t);
    }
    /* 3 rows when at most 2 are allowed */
    {
        static const char *three =
            "{\"x\":[1,2,3],\"y_value\":[1,2,3],\"plan\":[\"a\",\"a\",\"a\"]}";
        assert_true(crm_serve_parse(m, CRM_SERVE_JSON, three, strlen(three), 2, &t, &err) ==
                        CRM_ELIMIT ||
                    CRM_HAVE_JANSSON == 0);
    }
    if (CRM_HAVE_PROTOBUFC) {
        assert_int_equal(
            crm_serve_parse(m, CRM_SERVE_PROTOBUF, truncated, sizeof truncated, 0, &t, &err),
            CRM_EPARSE);
        assert_int_equal(crm_serve_parse(m, CRM_SERVE_PROTOBUF, unknown_field, sizeof unknown_field,
                                         0, &t, &err),
                         CRM_EDATA);
        assert_non_null(strstr(err.msg, "unknown field number 4"));
        put_double(&p, 1, NAN);
        put_double(&p, 2, 1);
        put_string(&p, 3, "a");
        assert_int_equal(
            crm_serve_parse(m, CRM_SERVE_PROTOBUF, nan_body, (size_t)(p - nan_body), 0, &t, &err),
            CRM_EDATA);
        assert_non_null(strstr(err.msg, "feature \"x\", row 0: NaN value"));
    }
    crm_serve_model_free(m);
    crm_segmenter_free(seg);
}

static void predictions_encode_packed(void **state)
{
    static const int64_t pred[3] = { 2, 0, 300 };
    static const uint8_t want[] = { 0x0a, 0x04, 0x02, 0x00, 0xac, 0x02 };
    uint8_t *out = NULL;
    size_t len = 0;
    (void)state;
    if (!CRM_HAVE_PROTOBUFC) {
        skip();
    }
    assert_int_equal(crm_serve_encode_predictions(pred, 3, &out, &len, NULL), CRM_OK);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    crm_free(out);
}

static void json_numbers_read_back_exactly(void **state)
{
    static const double fixed[] = { 0,
                                    1,
                                    -1,
                                    1361.8,
                                    0.1,
                                    -12.05,
                                    123456789012.25,
                                    1e20,
                                    1e-7,
                                    3.14159265358979,
                                    2.5e-5,
                                    44.34,
                                    1e15 - 0.5 };
    static const char *const text[] = { "0",
                                        "1",
                                        "-1",
                                        "1361.8",
                                        "0.1",
                                        "-12.05",
                                        "123456789012.25",
                                        "1e+20",
                                        "1e-07",
                                        "3.14159265358979",
                                        "2.5e-05",
                                        "44.34",
                                        "999999999999999.5" };
    uint64_t s = 12345;
    (void)state;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        crm__sbuf b;
        crm__sbuf_init(&b);
        crm__sbuf_json_num(&b, fixed[i]);
        assert_string_equal(b.p, text[i]);
        crm__sbuf_fini(&b);
    }
    for (int i = 0; i < 200000; i++) {
        crm__sbuf b;
        double v;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        switch (i % 3) {
        case 0:
            v = (double)(int64_t)(s >> 20) / 100.0;
            break;
        case 1:
            v = ldexp((double)(s >> 11), (int)(s % 200) - 150);
            break;
        default:
            v = (double)(int32_t)(s >> 32) / 1000.0;
        }
        crm__sbuf_init(&b);
        crm__sbuf_json_num(&b, v);
        assert_true(strtod(b.p, NULL) == v);
        crm__sbuf_fini(&b);
    }
}

static void out_of_memory_frees_everything(void **state)
{
    crm_segmenter *seg;
    crm_serve_model *m = load_model(&seg);
    static const char *body = "{\"rows\":[{\"x\":2,\"y_value\":4,\"plan\":\"b\"},"
                              "{\"plan\":\"c\",\"x\":10,\"yValue\":50}]}";
    (void)state;
    if (!CRM_HAVE_JANSSON) {
        crm_serve_model_free(m);
        crm_segmenter_free(seg);
        skip();
    }
    for (long n = 0; n < 400; n++) {
        crm_table *t = NULL;
        crm_error err;
        crm_status st;
        crm_test_fail_after(n);
        st = crm_serve_parse(m, CRM_SERVE_ROWS, body, strlen(body), 0, &t, &err);
        if (st != CRM_OK) {
            assert_int_equal(st, CRM_ENOMEM);
            assert_null(t);
        }
        crm_table_free(t);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
        if (st == CRM_OK) {
            assert_true(n > 3);
            break;
        }
        assert_true(n < 399);
    }
    crm_serve_model_free(m);
    crm_segmenter_free(seg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proto_lists_features_in_order),
        cmocka_unit_test(every_format_gives_the_labels_of_assign),
        cmocka_unit_test(bad_requests_are_refused_with_their_code),
        cmocka_unit_test(predictions_encode_packed),
        cmocka_unit_test(json_numbers_read_back_exactly),
        cmocka_unit_test(out_of_memory_frees_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
