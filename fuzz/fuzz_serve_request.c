/* fuzz_serve_request.c: the server's request parsers (Acumos protobuf and JSON, crmkit rows,
 * MLflow, CSV) against a small model with two numeric features and a categorical one. Any
 * body must be refused with a status or give a table that scores. The first byte picks the
 * format (its value modulo 5: protobuf, JSON columns, rows, MLflow, CSV); the rest is the
 * body. Built without protobuf-c or Jansson, those formats answer CRM_EUNSUPPORTED.
 *
 * JSON columns (format 1) are read by a scanner that takes plain bodies and leaves the rest
 * to Jansson; the same body wrapped as MLflow's {"instances": ...} always goes through
 * Jansson, so the two must agree: same status, same table. */
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

static int same_table(const crm_table *a, const crm_table *b)
{
    int64_t n = crm_table_n_rows(a);
    if (n != crm_table_n_rows(b) || crm_table_n_cols(a) != crm_table_n_cols(b)) {
        return 0;
    }
    for (int32_t j = 0; j < crm_table_n_cols(a); j++) {
        const double *x = crm_table_numeric(a, j);
        const double *y = crm_table_numeric(b, j);
        for (int64_t i = 0; i < n; i++) {
            char s[256];
            char t[256];
            if ((x == NULL) != (y == NULL) || (x && memcmp(&x[i], &y[i], sizeof x[i]) != 0) ||
                strcmp(crm_table_cell_text(a, i, j, s, 256),
                       crm_table_cell_text(b, i, j, t, 256))) {
                return 0;
            }
        }
    }
    return 1;
}

static void
check_against_jansson(const uint8_t *body, size_t len, crm_status st, const crm_table *t)
{
    static const char pre[] = "{\"instances\":";
    char *w = crm_malloc(len + sizeof pre + 1);
    crm_table *u = NULL;
    crm_status su;
    if (w == NULL) {
        return;
    }
    memcpy(w, pre, sizeof pre - 1);
    memcpy(w + sizeof pre - 1, body, len);
    w[sizeof pre - 1 + len] = '}';
    su = crm_serve_parse(model, CRM_SERVE_MLFLOW, w, len + sizeof pre, 1000, &u, NULL);
    /* The wrapper only differs where the body is not one JSON object (then both fail). */
    if (st == CRM_OK && (su != CRM_OK || !same_table(t, u))) {
        abort();
    }
    crm_table_free(u);
    crm_free(w);
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
    if (f == CRM_SERVE_JSON) {
        crm_status st = crm_serve_parse(model, f, data + 1, size - 1, 1000, &t, &err);
        check_against_jansson(data + 1, size - 1, st, t);
        crm_table_free(t);
        t = NULL;
    }
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
