/* profile_io.c: the "profile" section of a model file.
 *
 * Layout: u32 version (1), i32 k, i64 n_rows, i32 n_features, str tier_by ("" = none);
 * per feature: str name, u32 categorical; per segment: str name, i64 size; i32s order[k];
 * f64s mean[k x nf], median[k x nf], pop_mean[nf], pop_median[nf], pop_sd[nf],
 * mode_share[k x nf]; then k x nf mode strings ("" = none). */
#include <string.h>

#include <crmkit/model.h>
#include <crmkit/profile.h>

#include "core/core_internal.h"
#include "profile_internal.h"

#define PROFILE_SECTION  "profile"
#define PROFILE_VERSION  1u
#define PROFILE_MAX_TEXT CRM_MODEL_MAX_NAME

static void put_arrays(const crm_profile *pr, crm_model_out *o)
{
    size_t kf = (size_t)pr->k * (size_t)pr->n_features;
    size_t nf = (size_t)pr->n_features;
    crm_model_out_i32s(o, pr->order, (size_t)pr->k);
    crm_model_out_f64s(o, pr->mean, kf);
    crm_model_out_f64s(o, pr->median, kf);
    crm_model_out_f64s(o, pr->pop_mean, nf);
    crm_model_out_f64s(o, pr->pop_median, nf);
    crm_model_out_f64s(o, pr->pop_sd, nf);
    crm_model_out_f64s(o, pr->mode_share, kf);
    for (size_t i = 0; i < kf && o->rc == CRM_OK; i++) {
        crm_model_out_name(o, "category level", pr->modes[i] ? pr->modes[i] : "");
    }
}

crm_status crm_profile_save(const crm_profile *pr, crm_model_writer *w, crm_error *err)
{
    crm_model_out o = { w, err, CRM_OK };
    crm_model_out_begin(&o, PROFILE_SECTION);
    crm_model_out_u32(&o, PROFILE_VERSION);
    crm_model_out_i32(&o, pr->k);
    crm_model_out_i64(&o, pr->n_rows);
    crm_model_out_i32(&o, pr->n_features);
    crm_model_out_name(&o, "column name", pr->tier_by ? pr->tier_by : "");
    for (int32_t f = 0; f < pr->n_features && o.rc == CRM_OK; f++) {
        crm_model_out_name(&o, "column name", pr->features[f]);
        crm_model_out_u32(&o, (uint32_t)pr->is_cat[f]);
    }
    for (int32_t s = 0; s < pr->k && o.rc == CRM_OK; s++) {
        crm_model_out_name(&o, "segment name", pr->names[s]);
        crm_model_out_i64(&o, pr->sizes[s]);
    }
    put_arrays(pr, &o);
    return o.rc;
}

static crm_status corrupt(const crm_model_reader *r, const char *what, crm_error *err)
{
    return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                         "corrupt model file: section \"profile\": %s", what);
}

/* Read a string; an empty one becomes NULL when allow_empty, else is corrupt. */
static crm_status get_text(crm_section *s, char **out, int allow_empty)
{
    crm_status rc = crm_section_get_str(s, PROFILE_MAX_TEXT, out);
    if (rc != CRM_OK) {
        return rc;
    }
    if ((*out)[0] == '\0') {
        crm_free(*out);
        *out = NULL;
        if (!allow_empty) {
            s->failed = 1;
            return CRM_EFORMAT;
        }
    }
    return CRM_OK;
}

static crm_status
get_body(crm_section *s, const crm_model_reader *r, crm_profile *pr, crm_error *err)
{
    size_t kf = (size_t)pr->k * (size_t)pr->n_features;
    size_t nf = (size_t)pr->n_features;
    int64_t total = 0;
    crm_status rc = get_text(s, &pr->tier_by, 1);
    for (int32_t f = 0; f < pr->n_features && rc == CRM_OK; f++) {
        uint32_t cat = 0;
        rc = get_text(s, &pr->features[f], 0);
        (void)crm_section_get_u32(s, &cat);
        pr->is_cat[f] = cat != 0;
    }
    for (int32_t q = 0; q < pr->k && rc == CRM_OK; q++) {
        rc = get_text(s, &pr->names[q], 0);
        (void)crm_section_get_i64(s, &pr->sizes[q]);
        if (pr->sizes[q] < 0 || pr->sizes[q] > pr->n_rows) {
            return corrupt(r, "bad segment size", err);
        }
        total += pr->sizes[q];
    }
    (void)crm_section_get_i32s(s, pr->order, (size_t)pr->k);
    (void)crm_section_get_f64s(s, pr->mean, kf);
    (void)crm_section_get_f64s(s, pr->median, kf);
    (void)crm_section_get_f64s(s, pr->pop_mean, nf);
    (void)crm_section_get_f64s(s, pr->pop_median, nf);
    (void)crm_section_get_f64s(s, pr->pop_sd, nf);
    (void)crm_section_get_f64s(s, pr->mode_share, kf);
    for (size_t i = 0; i < kf && !s->failed; i++) {
        rc = get_text(s, &pr->modes[i], 1);
    }
    if (rc == CRM_ENOMEM || s->failed) {
        return crm_section_finish(s, r, err);
    }
    if (total != pr->n_rows) {
        return corrupt(r, "segment sizes do not add up", err);
    }
    return CRM_OK;
}

/* order must be a permutation of 0..k-1. */
static int is_permutation(const int32_t *order, int32_t k, unsigned char *seen)
{
    memset(seen, 0, (size_t)k);
    for (int32_t r = 0; r < k; r++) {
        if (order[r] < 0 || order[r] >= k || seen[order[r]]) {
            return 0;
        }
        seen[order[r]] = 1;
    }
    return 1;
}

crm_status crm_profile_load(const crm_model_reader *r, crm_profile **out, crm_error *err)
{
    crm_section s;
    uint32_t version = 0;
    int32_t k = 0;
    int32_t nf = 0;
    int64_t n_rows = 0;
    crm_profile *pr = NULL;
    unsigned char *seen;
    crm_status rc;
    *out = NULL;
    rc = crm_model_section(r, PROFILE_SECTION, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    (void)crm_section_get_u32(&s, &version);
    (void)crm_section_get_i32(&s, &k);
    (void)crm_section_get_i64(&s, &n_rows);
    (void)crm_section_get_i32(&s, &nf);
    /* Each segment needs >= 16 bytes and each segment-feature pair >= 28, so the counts are
     * bounded by what is left before anything is allocated. */
    if (s.failed || version != PROFILE_VERSION || k < 1 || nf < 0 || n_rows < 0 ||
        !crm_section_fits(&s, k, 16) || (nf > 0 && (size_t)nf > (s.len - s.pos) / 28 / (size_t)k)) {
        return corrupt(r, "bad header", err);
    }
    rc = crm__profile_alloc(k, nf, &pr, err);
    if (rc != CRM_OK) {
        return rc;
    }
    pr->n_rows = n_rows;
    rc = get_body(&s, r, pr, err);
    if (rc == CRM_OK) {
        rc = crm_section_finish(&s, r, err);
    }
    if (rc == CRM_OK) {
        seen = crm_malloc((size_t)k);
        if (seen == NULL) {
            rc = crm__error_nomem(err);
        } else if (!is_permutation(pr->order, k, seen)) {
            rc = corrupt(r, "bad segment order", err);
        }
        crm_free(seen);
    }
    if (rc != CRM_OK) {
        crm_profile_free(pr);
        return rc;
    }
    *out = pr;
    return CRM_OK;
}
