/* prep_io.c: the "prep" section of a model file (docs/formats/model-file.md).
 *
 * Layout: u32 section version (1 or 2); params (impute u32, cap_low f64, cap_high f64,
 * flags u32, scale u32, encode u32, version 2 only: transform u32); u32 n_features; per
 * feature: name str, type u32, fill, lo, hi, center, scale (f64), version 2 only: logged u32,
 * then u32 n_levels and n_levels level strings. Version 2 is written only when the transform
 * is not "none", so a model without it is byte for byte what version 1 wrote, and files of
 * version 1 load as transform "none". The output columns are
 * derived from these, never stored. Loading checks every value it will later divide by or
 * index with, so a damaged section is CRM_EFORMAT, not a wrong answer. */
#include <math.h>
#include <string.h>

#include <crmkit/model.h>
#include <crmkit/prep.h>

#include "core/core_internal.h"
#include "prep_internal.h"

#define PREP_SECTION             "prep"
#define PREP_SECTION_VERSION     1u
#define PREP_SECTION_VERSION_LOG 2u
#define PREP_MAX_NAME            CRM_MODEL_MAX_NAME

static void put_feature(crm_model_out *o, const prep_feature *pf, int v2)
{
    const double stats[5] = { pf->fill, pf->lo, pf->hi, pf->center, pf->scale };
    crm_model_out_name(o, "column name", pf->name);
    crm_model_out_u32(o, (uint32_t)pf->type);
    crm_model_out_f64s(o, stats, 5);
    if (v2) {
        crm_model_out_u32(o, (uint32_t)(pf->logged != 0));
    }
    crm_model_out_i32(o, pf->n_levels);
    for (int32_t l = 0; l < pf->n_levels && o->rc == CRM_OK; l++) {
        crm_model_out_name(o, "category level", pf->levels[l]);
    }
}

crm_status crm_prep_save(const crm_prep *prep, crm_model_writer *w, crm_error *err)
{
    const crm_prep_params *p = &prep->params;
    int v2 = p->transform != CRM_TRANSFORM_NONE;
    crm_model_out o = { w, err, CRM_OK };
    crm_model_out_begin(&o, PREP_SECTION);
    crm_model_out_u32(&o, v2 ? PREP_SECTION_VERSION_LOG : PREP_SECTION_VERSION);
    crm_model_out_u32(&o, (uint32_t)p->impute);
    crm_model_out_f64(&o, p->cap_low_pct);
    crm_model_out_f64(&o, p->cap_high_pct);
    crm_model_out_u32(&o, (uint32_t)(p->outlier_flags != 0));
    crm_model_out_u32(&o, (uint32_t)p->scale);
    crm_model_out_u32(&o, (uint32_t)p->encode);
    if (v2) {
        crm_model_out_u32(&o, (uint32_t)p->transform);
    }
    crm_model_out_i32(&o, prep->n_features);
    for (int32_t f = 0; f < prep->n_features && o.rc == CRM_OK; f++) {
        put_feature(&o, &prep->features[f], v2);
    }
    return o.rc;
}

static crm_status corrupt(const crm_model_reader *r, const char *what, crm_error *err)
{
    return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                         "corrupt model file: section \"prep\": %s", what);
}

static crm_status
get_feature(crm_section *s, int v2, const crm_model_reader *r, prep_feature *pf, crm_error *err)
{
    double stats[5];
    uint32_t type = 0;
    uint32_t logged = 0;
    int32_t n_levels = 0;
    crm_status rc;
    if (crm_section_get_str(s, PREP_MAX_NAME, &pf->name) == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    (void)crm_section_get_u32(s, &type);
    (void)crm_section_get_f64s(s, stats, 5);
    if (v2) {
        (void)crm_section_get_u32(s, &logged);
    }
    (void)crm_section_get_i32(s, &n_levels);
    if (s->failed) {
        return crm_section_finish(s, r, err);
    }
    pf->type = (crm_col_type)type;
    pf->fill = stats[0];
    pf->lo = stats[1];
    pf->hi = stats[2];
    pf->center = stats[3];
    pf->scale = stats[4];
    if (type != CRM_COL_NUMERIC && type != CRM_COL_CATEGORICAL) {
        return corrupt(r, "bad feature type", err);
    }
    if (logged > 1 || (logged && type != CRM_COL_NUMERIC)) {
        return corrupt(r, "bad log transform flag", err);
    }
    pf->logged = (int)logged;
    if (!(isfinite(pf->fill) && isfinite(pf->center) && isfinite(pf->scale) && pf->scale > 0.0 &&
          !isnan(pf->lo) && !isnan(pf->hi) && pf->lo <= pf->hi)) {
        return corrupt(r, "bad feature statistics", err);
    }
    /* Each level takes at least 4 bytes, so a huge count cannot fit in what is left. */
    if (n_levels < 0 || (type == CRM_COL_NUMERIC && n_levels != 0) ||
        (size_t)n_levels > (s->len - s->pos) / 4) {
        return corrupt(r, "bad level count", err);
    }
    pf->levels = crm_calloc(n_levels > 0 ? (size_t)n_levels : 1, sizeof *pf->levels);
    if (pf->levels == NULL) {
        return crm__error_nomem(err);
    }
    pf->n_levels = n_levels;
    for (int32_t l = 0; l < n_levels; l++) {
        rc = crm_section_get_str(s, PREP_MAX_NAME, &pf->levels[l]);
        if (rc == CRM_ENOMEM) {
            return crm__error_nomem(err);
        }
        if (rc != CRM_OK) {
            return crm_section_finish(s, r, err);
        }
    }
    if (type == CRM_COL_CATEGORICAL &&
        (n_levels == 0 || pf->fill < 0.0 || pf->fill >= (double)n_levels)) {
        return corrupt(r, "categorical feature without levels", err);
    }
    return CRM_OK;
}

static crm_status
get_params(crm_section *s, const crm_model_reader *r, crm_prep_params *p, int *v2, crm_error *err)
{
    uint32_t version = 0;
    uint32_t transform = 0;
    uint32_t impute = 0;
    uint32_t flags = 0;
    uint32_t scale = 0;
    uint32_t encode = 0;
    crm_error sub;
    (void)crm_section_get_u32(s, &version);
    (void)crm_section_get_u32(s, &impute);
    (void)crm_section_get_f64(s, &p->cap_low_pct);
    (void)crm_section_get_f64(s, &p->cap_high_pct);
    (void)crm_section_get_u32(s, &flags);
    (void)crm_section_get_u32(s, &scale);
    (void)crm_section_get_u32(s, &encode);
    if (version == PREP_SECTION_VERSION_LOG) {
        (void)crm_section_get_u32(s, &transform);
    }
    if (s->failed) {
        return crm_section_finish(s, r, err);
    }
    if (version != PREP_SECTION_VERSION && version != PREP_SECTION_VERSION_LOG) {
        return corrupt(r, "unknown section version", err);
    }
    *v2 = version == PREP_SECTION_VERSION_LOG;
    if (transform > CRM_TRANSFORM_AUTO || (*v2 && transform == CRM_TRANSFORM_NONE)) {
        return corrupt(r, "bad transform", err);
    }
    p->transform = (crm_transform)transform;
    p->impute = (crm_impute)impute;
    p->outlier_flags = flags != 0;
    p->scale = (crm_scale)scale;
    p->encode = (crm_encode)encode;
    if (impute > CRM_IMPUTE_NEIGHBOURS || scale > CRM_SCALE_MINMAX || encode > CRM_ENCODE_ORDINAL ||
        crm_prep_params_check(p, &sub) != CRM_OK) {
        return corrupt(r, "bad parameters", err);
    }
    return CRM_OK;
}

crm_status crm_prep_load(const crm_model_reader *r, crm_prep **out, crm_error *err)
{
    crm_section s;
    crm_prep_params p;
    int32_t n_features = 0;
    crm_prep *prep = NULL;
    int v2 = 0;
    crm_status rc;
    *out = NULL;
    memset(&p, 0, sizeof p);
    rc = crm_model_section(r, PREP_SECTION, &s, err);
    if (rc == CRM_OK) {
        rc = get_params(&s, r, &p, &v2, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    (void)crm_section_get_i32(&s, &n_features);
    /* A feature takes at least 4 + 4 + 40 + 4 bytes. */
    if (n_features < 1 || !crm_section_fits(&s, n_features, 52)) {
        return corrupt(r, "bad feature count", err);
    }
    rc = crm__prep_alloc(n_features, &prep, err);
    if (rc != CRM_OK) {
        return rc;
    }
    prep->params = p;
    for (int32_t f = 0; f < n_features; f++) {
        rc = get_feature(&s, v2, r, &prep->features[f], err);
        if (rc != CRM_OK) {
            goto fail;
        }
        for (int32_t g = 0; g < f; g++) {
            if (strcmp(prep->features[g].name, prep->features[f].name) == 0) {
                rc = corrupt(r, "feature named twice", err);
                goto fail;
            }
        }
    }
    rc = crm_section_finish(&s, r, err);
    if (rc == CRM_OK) {
        rc = crm__prep_finish(prep, err);
    }
    if (rc != CRM_OK) {
        goto fail;
    }
    *out = prep;
    return CRM_OK;
fail:
    crm_prep_free(prep);
    return rc;
}
