/* fuzz_serve_request.c: the server's request parsers (Acumos protobuf and JSON, crmkit rows,
 * MLflow, CSV) against a small model with two numeric features and a categorical one. Any
 * body must be refused with a status or give a table that scores. The first byte picks the
 * format (its value modulo 5: protobuf, JSON columns, rows, MLflow, CSV); the rest is the
 * body. Built without protobuf-c or Jansson, those formats answer CRM_EUNSUPPORTED. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/segment.h>
#include <crmkit/serve.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crm_serve_model *model;

static crm_serve_model *make_model(void)
{
    static const double x[8] = { 1, 2, 3, 4, 10, 11, 12, 13 };
    static const double y[8] = { 5, 4, 6, 5, 50, 52, 49, 51 };
    static const char *const plan[8] = { "a", "b", "a", "b", "c", "c", "a", "c" };
    static const char *const feats[3] = { "x", "y_value", "plan" };
    crm_segment_params p = crm_segment_params_default();
    crm_table *t = NULL;
    crm_segmenter *seg = NULL;
    crm_serve_model *m = NULL;
    char path[64];
    if (crm_table_new(8, "fuzz", &t, NULL) != CRM_OK ||
        crm_table_add_numeric(t, "x", x, NULL) != CRM_OK ||
        crm_table_add_numeric(t, "y_value", y, NULL) != CRM_OK ||
        crm_table_add_text(t, "plan", CRM_COL_CATEGORICAL, plan, NULL) != CRM_OK) {
        abort();
    }
    p.features = feats;
    p.n_features = 3;
    p.k = 2;
    p.kmeans.seed = 1;
    p.kmeans.n_threads = 1;
    snprintf(path, sizeof path, "/tmp/crmkit-fuzz-serve-%ld.crmk", (long)getpid());
    if (crm_segmenter_fit(t, &p, NULL, &seg, NULL) != CRM_OK ||
        crm_segmenter_save(seg, path, NULL) != CRM_OK ||
        crm_serve_model_load("fuzz", path, &m, NULL) != CRM_OK) {
        abort();
    }
    unlink(path);
    crm_segmenter_free(seg);
    crm_table_free(t);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_table *t = NULL;
    crm_error err;
    crm_serve_format f;
    if (model == NULL) {
        model = make_model();
    }
    if (size < 1) {
        return 0;
    }
    f = (crm_serve_format)(data[0] % 5);
    if (crm_serve_parse(model, f, data + 1, size - 1, 1000, &t, &err) == CRM_OK) {
        int64_t n = crm_table_n_rows(t);
        int32_t *labels = crm_mallocarray((size_t)n, sizeof *labels);
        if (n < 1 || labels == NULL) {
            abort(); /* a parsed request has rows */
        }
        if (crm_serve_score(model, t, 0, labels, NULL, &err) == CRM_OK) {
            for (int64_t i = 0; i < n; i++) {
                if (labels[i] < 0 || labels[i] >= 2) {
                    abort();
                }
            }
        }
        crm_free(labels);
        crm_table_free(t);
    } else if (err.msg[0] == '\0') {
        abort(); /* every refusal says why */
    }
    return 0;
}
