/* classify_io.c: saving and loading classifiers (model files of kind "classifier") and
 * describing them in words.
 *
 * Sections: "clf" (format version, algorithm, target, class names, features, training
 * metadata), "prepdesign" / "prepraw" (each a complete nested model file holding one fitted
 * crm_prep, because crm_prep_save always names its section "prep"), then the algorithm's own
 * sections, whose tags start with "m". */
#include <stdio.h>
#include <string.h>

#include <crmkit/model.h>

#include "classify_priv.h"
#include "core/core_internal.h"

#define CLF_FORMAT 1u
#define MAX_NAME   CRM_MODEL_MAX_NAME

static crm_status
save_nested_prep(const crm_prep *prep, crm_model_writer *w, const char *tag, crm_error *err)
{
    crm_model_writer *inner = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_status rc = crm_model_writer_new("prep", &inner, err);
    if (rc == CRM_OK) {
        rc = crm_prep_save(prep, inner, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_writer_bytes(inner, &bytes, &len, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_begin(w, tag, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_bytes(w, bytes, len, err);
    }
    crm_model_writer_free(inner);
    return rc;
}

static crm_status
load_nested_prep(const crm_model_reader *r, const char *tag, crm_prep **out, crm_error *err)
{
    crm_section s;
    crm_model_reader *inner = NULL;
    crm_status rc = crm_model_section(r, tag, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm_model_reader_open_mem(s.data, s.len, crm_model_reader_source(r), &inner, err);
    if (rc == CRM_OK) {
        rc = crm_prep_load(inner, out, err);
    }
    crm_model_reader_free(inner);
    return rc;
}

static crm_status put_strs(crm_model_writer *w, char *const *v, int32_t n, crm_error *err)
{
    crm_status rc = crm_model_put_i32(w, n, err);
    for (int32_t i = 0; i < n && rc == CRM_OK; i++) {
        rc = crm_model_put_name(w, "name", v[i], err);
    }
    return rc;
}

crm_status crm_classifier_save_writer(const crm_classifier *c, crm_model_writer *w, crm_error *err)
{
    crm_status rc = crm_model_begin(w, "clf", err);
    if (rc == CRM_OK) {
        rc = crm_model_put_u32(w, CLF_FORMAT, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, (int32_t)c->algo, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_name(w, "target column name", c->target, err);
    }
    if (rc == CRM_OK) {
        rc = put_strs(w, c->class_names, c->n_classes, err);
    }
    if (rc == CRM_OK) {
        rc = put_strs(w, c->features, c->n_features, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, c->needs, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i64(w, c->n_train, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64(w, crm_model_stamp() ? c->fit_seconds : 0.0, err);
    }
    if (rc == CRM_OK && c->prep_design != NULL) {
        rc = save_nested_prep(c->prep_design, w, "prepdesign", err);
    }
    if (rc == CRM_OK && c->prep_raw != NULL) {
        rc = save_nested_prep(c->prep_raw, w, "prepraw", err);
    }
    if (rc == CRM_OK) {
        rc = c->vt->save(c->model, w, "m", err);
    }
    return rc;
}

crm_status crm_classifier_save(const crm_classifier *c, const char *path, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc = crm_model_writer_new("classifier", &w, err);
    if (rc == CRM_OK) {
        rc = crm_classifier_save_writer(c, w, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_writer_save(w, path, err);
    }
    crm_model_writer_free(w);
    return rc;
}

static crm_status get_strs(crm_section *s, char ***out, int32_t *n_out, int32_t max_n)
{
    int32_t n = 0;
    char **v;
    if (crm_section_get_i32(s, &n) != CRM_OK || n < 0 || n > max_n) {
        if (s->failed == 0) {
            s->failed = 1;
        }
        return s->failed == 2 ? CRM_ENOMEM : CRM_EFORMAT;
    }
    v = crm_calloc((size_t)n + 1, sizeof *v);
    if (v == NULL) {
        return CRM_ENOMEM;
    }
    *out = v;
    *n_out = n;
    for (int32_t i = 0; i < n; i++) {
        crm_status rc = crm_section_get_str(s, MAX_NAME, &v[i]);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

static crm_status read_meta(const crm_model_reader *r, crm_classifier *c, crm_error *err)
{
    crm_section s;
    uint32_t version = 0;
    int32_t algo = -1;
    crm_status rc = crm_model_section(r, "clf", &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    (void)crm_section_get_u32(&s, &version);
    (void)crm_section_get_i32(&s, &algo);
    (void)crm_section_get_str(&s, MAX_NAME, &c->target);
    if (s.failed == 0 && (version != CLF_FORMAT || algo < 0 || algo >= CRM_CLF_N_ALGOS)) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "classifier section: unknown version %u or algorithm %d", version,
                             algo);
    }
    rc = get_strs(&s, &c->class_names, &c->n_classes, 1 << 20);
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    rc = get_strs(&s, &c->features, &c->n_features, 1 << 20);
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    (void)crm_section_get_i32(&s, &c->needs);
    (void)crm_section_get_i64(&s, &c->n_train);
    (void)crm_section_get_f64(&s, &c->fit_seconds);
    rc = crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (c->n_classes < 2 || c->n_features < 1 || (c->needs & ~3) != 0) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "classifier section: bad class or feature count");
    }
    c->algo = (crm_clf_algo)algo;
    c->vt = crm__clf_algo_get(c->algo);
    return CRM_OK;
}

static crm_status check_prep_features(const crm_model_reader *r,
                                      const crm_classifier *c,
                                      const crm_prep *prep,
                                      crm_error *err)
{
    if (crm_prep_n_features(prep) != c->n_features) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "classifier preprocessing has %d features, the model %d",
                             crm_prep_n_features(prep), c->n_features);
    }
    for (int32_t f = 0; f < c->n_features; f++) {
        if (strcmp(crm_prep_feature_name(prep, f), c->features[f]) != 0) {
            return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                                 "classifier preprocessing feature %d is \"%s\", not \"%s\"", f + 1,
                                 crm_prep_feature_name(prep, f), c->features[f]);
        }
    }
    return CRM_OK;
}

crm_status
crm_classifier_load_reader(const crm_model_reader *r, crm_classifier **out, crm_error *err)
{
    crm_classifier *c = NULL;
    crm_status rc;
    *out = NULL;
    if (strcmp(crm_model_reader_kind(r), "classifier") != 0) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "this is a \"%s\" model, not a classifier", crm_model_reader_kind(r));
    }
    c = crm_calloc(1, sizeof *c);
    if (c == NULL) {
        return crm__error_nomem(err);
    }
    rc = read_meta(r, c, err);
    if (rc == CRM_OK && (c->needs & CRM__CLF_NEEDS_DESIGN)) {
        rc = load_nested_prep(r, "prepdesign", &c->prep_design, err);
        if (rc == CRM_OK) {
            rc = check_prep_features(r, c, c->prep_design, err);
        }
    }
    if (rc == CRM_OK && (c->needs & CRM__CLF_NEEDS_RAW)) {
        rc = load_nested_prep(r, "prepraw", &c->prep_raw, err);
        if (rc == CRM_OK) {
            rc = check_prep_features(r, c, c->prep_raw, err);
        }
        /* the raw transform is ordinal without flags: one column per feature. A file that
         * says otherwise is damaged or crafted, not a bug of ours (was exit 70) */
        if (rc == CRM_OK && crm_prep_n_out(c->prep_raw) != c->n_features) {
            rc = crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                               "classifier raw preprocessing gives %d columns for %d features",
                               crm_prep_n_out(c->prep_raw), c->n_features);
        }
    }
    if (rc == CRM_OK) {
        rc = crm__clf_build_schema(c, err);
    }
    if (rc == CRM_OK) {
        rc = c->vt->load(r, "m", &c->schema, &c->model, err);
    }
    if (rc != CRM_OK) {
        crm_classifier_free(c);
        return rc;
    }
    *out = c;
    return CRM_OK;
}

crm_status crm_classifier_load(const char *path, crm_classifier **out, crm_error *err)
{
    crm_model_reader *r = NULL;
    crm_status rc = crm_model_reader_open(path, &r, err);
    *out = NULL;
    if (rc == CRM_OK) {
        rc = crm_classifier_load_reader(r, out, err);
    }
    crm_model_reader_free(r);
    return rc;
}

crm_status crm_classifier_describe(const crm_classifier *c,
                                   void (*line_fn)(void *ud, const char *line),
                                   void *ud,
                                   crm_error *err)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "classifier: %s, target \"%s\", %d classes, %d features, "
             "trained on %lld rows",
             crm_clf_algo_name(c->algo), c->target, c->n_classes, c->n_features,
             (long long)c->n_train);
    line_fn(ud, buf);
    for (int32_t i = 0; i < c->n_classes; i++) {
        snprintf(buf, sizeof buf, "  class %d: %s", i, c->class_names[i]);
        line_fn(ud, buf);
    }
    if (c->vt->describe == NULL) {
        return CRM_OK;
    }
    return c->vt->describe(c->model, &c->schema, line_fn, ud, err);
}
