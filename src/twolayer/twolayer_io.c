/* twolayer_io.c: the "twolayer" model file.
 *
 * Sections (docs/formats/model-file.md, docs/formats/two-layer-spec.md):
 *   tlmeta    u32 version (1), str spec source, str spec text, str data source, i64 n_rows,
 *             f64 seconds, i32 n_warnings, str warnings[n_warnings]
 *   tlderived i32 n; per column: str name, u32 kind, i32 n_inputs, str inputs[n_inputs],
 *             u32 has_on_zero, f64 on_zero, f64 cuts[99]
 *   tlgroups  i32 n; per group: str name, u32 has_rule, rule, i64 size, i32 k,
 *             u32 clustered, str segment names[k], str algo, i32 n_features, str features[]
 *             rule (prefix order): u32 node; a comparison: str column, u32 op, u32 threshold
 *             kind, f64 p, f64 value, u32 has_text, str text; and/or: two rules; not: one
 *   profile   the layer-1 profile (crm_profile_save)
 *   l2g<i>    for each clustered group i: a whole "segmentation" model file, as bytes
 * Embedding each segmenter as a complete model image keeps its own section names and CRCs,
 * so one file holds any number of them. */
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "twolayer_internal.h"

#define TL_META_VERSION 1u
#define TL_MAX_STR      ((size_t)16 << 20)

static void strs(crm_model_out *o, char *const *list, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        crm_model_out_str(o, list[i]);
    }
}

static void put_expr(crm_model_out *o, const tl_expr *e)
{
    crm_model_out_u32(o, (uint32_t)e->type);
    if (e->type == TL_E_CMP) {
        crm_model_out_str(o, e->column);
        crm_model_out_u32(o, (uint32_t)e->op);
        crm_model_out_u32(o, (uint32_t)e->thr);
        crm_model_out_f64(o, e->p);
        crm_model_out_f64(o, e->value);
        crm_model_out_u32(o, e->text != NULL);
        crm_model_out_str(o, e->text);
        return;
    }
    put_expr(o, e->a);
    if (e->type != TL_E_NOT) {
        put_expr(o, e->b);
    }
}

static void put_groups(crm_model_out *o, const crm_twolayer *tl)
{
    crm_model_out_begin(o, "tlgroups");
    crm_model_out_i32(o, tl->n_groups);
    for (int32_t g = 0; g < tl->n_groups; g++) {
        const tl_group *gr = &tl->groups[g];
        crm_model_out_str(o, gr->name);
        crm_model_out_u32(o, gr->when != NULL);
        if (gr->when != NULL) {
            put_expr(o, gr->when);
        }
        crm_model_out_i64(o, gr->size);
        crm_model_out_i32(o, gr->k);
        crm_model_out_u32(o, gr->seg != NULL);
        strs(o, gr->seg_names, gr->k);
        crm_model_out_str(o, gr->l2.algo);
        crm_model_out_i32(o, gr->l2.n_features);
        strs(o, gr->l2.features, gr->l2.n_features);
    }
}

static void put_segmenters(crm_model_out *o, const crm_twolayer *tl)
{
    for (int32_t g = 0; g < tl->n_groups && o->rc == CRM_OK; g++) {
        crm_model_writer *sw = NULL;
        const unsigned char *data = NULL;
        size_t len = 0;
        char tag[CRM_MODEL_TAG_BYTES + 1];
        if (tl->groups[g].seg == NULL) {
            continue;
        }
        o->rc = crm_model_writer_new("segmentation", &sw, o->err);
        if (o->rc == CRM_OK) {
            o->rc = crm_segmenter_write(tl->groups[g].seg, sw, o->err);
        }
        if (o->rc == CRM_OK) {
            o->rc = crm_model_writer_bytes(sw, &data, &len, o->err);
        }
        snprintf(tag, sizeof tag, "l2g%d", (int)g);
        crm_model_out_begin(o, tag);
        crm_model_out_bytes(o, data, len);
        crm_model_writer_free(sw);
    }
}

crm_status crm_twolayer_write(const crm_twolayer *tl, crm_model_writer *w, crm_error *err)
{
    crm_model_out o = { w, err, CRM_OK };
    if (!tl->fitted) {
        return crm__error_set(err, CRM_ESTATE, "the two-layer model is not fitted");
    }
    crm_model_out_begin(&o, "tlmeta");
    crm_model_out_u32(&o, TL_META_VERSION);
    crm_model_out_str(&o, tl->spec_source);
    crm_model_out_str(&o, tl->spec_text);
    crm_model_out_str(&o, tl->source);
    crm_model_out_i64(&o, tl->n_rows);
    crm_model_out_f64(&o, tl->seconds);
    crm_model_out_i32(&o, tl->n_warnings);
    strs(&o, tl->warnings, tl->n_warnings);
    crm_model_out_begin(&o, "tlderived");
    crm_model_out_i32(&o, tl->n_derived);
    for (int32_t d = 0; d < tl->n_derived; d++) {
        const tl_derived *dv = &tl->derived[d];
        crm_model_out_str(&o, dv->name);
        crm_model_out_u32(&o, (uint32_t)dv->kind);
        crm_model_out_i32(&o, dv->n_inputs);
        strs(&o, dv->inputs, dv->n_inputs);
        crm_model_out_u32(&o, (uint32_t)dv->has_on_zero);
        crm_model_out_f64(&o, dv->on_zero);
        crm_model_out_f64s(&o, dv->cuts, TL_RANK_LEVELS - 1);
    }
    put_groups(&o, tl);
    if (o.rc == CRM_OK) {
        o.rc = crm_profile_save(tl->profile, w, err);
    }
    put_segmenters(&o, tl);
    return o.rc;
}

crm_status crm_twolayer_save(const crm_twolayer *tl, const char *path, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc = crm_model_writer_new(CRM_TWOLAYER_KIND, &w, err);
    if (rc == CRM_OK) {
        rc = crm_twolayer_write(tl, w, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_writer_save(w, path, err);
    }
    crm_model_writer_free(w);
    return rc;
}

/* ---- reading ---- */

typedef struct rd {
    crm_section s;
    const crm_model_reader *r;
    crm_error *err;
    int nomem;
} rd;

static char *get_str(rd *in)
{
    char *out = NULL;
    crm_status rc = crm_section_get_str(&in->s, TL_MAX_STR, &out);
    if (rc == CRM_ENOMEM) {
        in->nomem = 1;
        in->s.failed = 1;
    }
    return out;
}

static uint32_t get_u32(rd *in)
{
    uint32_t v = 0;
    (void)crm_section_get_u32(&in->s, &v);
    return v;
}

static int32_t get_i32(rd *in)
{
    int32_t v = 0;
    (void)crm_section_get_i32(&in->s, &v);
    return v;
}

static int32_t get_count(rd *in, int32_t max)
{
    int32_t v = get_i32(in);
    if (v > max || !crm_section_fits(&in->s, v, 1)) {
        in->s.failed = 1;
        return 0;
    }
    return v;
}

static char **get_strs(rd *in, int32_t n)
{
    char **list = crm_calloc(n > 0 ? (size_t)n : 1, sizeof *list);
    if (list == NULL) {
        in->nomem = 1;
        in->s.failed = 1;
        return NULL;
    }
    for (int32_t i = 0; i < n && !in->s.failed; i++) {
        list[i] = get_str(in);
    }
    return list;
}

static crm_status corrupt(rd *in, const char *what)
{
    if (in->nomem) {
        return crm__error_nomem(in->err);
    }
    return crm__error_at(in->err, CRM_EFORMAT, crm_model_reader_source(in->r), 0, 0,
                         "corrupt model file: %s", what);
}

static tl_expr *get_expr(rd *in, int depth)
{
    tl_expr *e;
    uint32_t type = get_u32(in);
    if (in->s.failed || depth > TL_MAX_DEPTH || type > TL_E_NOT) {
        in->s.failed = 1;
        return NULL;
    }
    e = crm_calloc(1, sizeof *e);
    if (e == NULL) {
        in->nomem = 1;
        in->s.failed = 1;
        return NULL;
    }
    e->type = (tl_node)type;
    if (e->type == TL_E_CMP) {
        uint32_t op;
        uint32_t thr;
        uint32_t has_text;
        e->column = get_str(in);
        op = get_u32(in);
        thr = get_u32(in);
        (void)crm_section_get_f64(&in->s, &e->p);
        (void)crm_section_get_f64(&in->s, &e->value);
        has_text = get_u32(in);
        e->text = get_str(in);
        if (op > TL_OP_NE || thr > TL_T_LEVEL || e->column == NULL ||
            (has_text != 0) != (thr == TL_T_COLUMN || thr == TL_T_LEVEL)) {
            in->s.failed = 1;
        }
        e->op = (tl_op)op;
        e->thr = (tl_thr_kind)thr;
        if (!has_text) {
            crm_free(e->text);
            e->text = NULL;
        }
        return e;
    }
    e->a = get_expr(in, depth + 1);
    if (e->type != TL_E_NOT) {
        e->b = get_expr(in, depth + 1);
    }
    return e;
}

static crm_status open_section(rd *in, const char *tag)
{
    return crm_model_section(in->r, tag, &in->s, in->err);
}

static crm_status get_meta(rd *in, crm_twolayer *tl)
{
    crm_status rc = open_section(in, "tlmeta");
    if (rc != CRM_OK) {
        return rc;
    }
    if (get_u32(in) != TL_META_VERSION) {
        return corrupt(in, "section \"tlmeta\" has another version");
    }
    tl->spec_source = get_str(in);
    tl->spec_text = get_str(in);
    tl->source = get_str(in);
    (void)crm_section_get_i64(&in->s, &tl->n_rows);
    (void)crm_section_get_f64(&in->s, &tl->seconds);
    tl->n_warnings = get_count(in, 1 << 20);
    tl->warnings = get_strs(in, tl->n_warnings);
    if (in->s.failed || tl->n_rows < 0) {
        return corrupt(in, "section \"tlmeta\" is malformed");
    }
    return crm_section_finish(&in->s, in->r, in->err);
}

static crm_status get_derived(rd *in, crm_twolayer *tl)
{
    crm_status rc = open_section(in, "tlderived");
    if (rc != CRM_OK) {
        return rc;
    }
    tl->n_derived = get_count(in, 10000);
    tl->derived = crm_calloc((size_t)tl->n_derived + 1, sizeof *tl->derived);
    if (tl->derived == NULL) {
        tl->n_derived = 0;
        return crm__error_nomem(in->err);
    }
    for (int32_t d = 0; d < tl->n_derived && !in->s.failed; d++) {
        tl_derived *dv = &tl->derived[d];
        uint32_t kind;
        dv->name = get_str(in);
        kind = get_u32(in);
        dv->n_inputs = get_count(in, 64);
        dv->inputs = get_strs(in, dv->n_inputs);
        dv->has_on_zero = get_u32(in) != 0;
        (void)crm_section_get_f64(&in->s, &dv->on_zero);
        (void)crm_section_get_f64s(&in->s, dv->cuts, TL_RANK_LEVELS - 1);
        dv->kind = (tl_derived_kind)kind;
        if (kind > TL_D_SUM || dv->n_inputs < 1 || (kind == TL_D_RATIO && dv->n_inputs != 2) ||
            (kind == TL_D_RANK && dv->n_inputs != 1)) {
            in->s.failed = 1;
        }
    }
    if (in->s.failed) {
        return corrupt(in, "section \"tlderived\" is malformed");
    }
    return crm_section_finish(&in->s, in->r, in->err);
}

static crm_status get_groups(rd *in, crm_twolayer *tl, int *clustered)
{
    crm_status rc = open_section(in, "tlgroups");
    if (rc != CRM_OK) {
        return rc;
    }
    tl->n_groups = get_count(in, 1 << 16);
    tl->groups = crm_calloc((size_t)tl->n_groups + 1, sizeof *tl->groups);
    if (tl->groups == NULL) {
        tl->n_groups = 0;
        return crm__error_nomem(in->err);
    }
    for (int32_t g = 0; g < tl->n_groups && !in->s.failed; g++) {
        tl_group *gr = &tl->groups[g];
        gr->name = get_str(in);
        if (get_u32(in) != 0) {
            gr->when = get_expr(in, 0);
        }
        (void)crm_section_get_i64(&in->s, &gr->size);
        gr->k = get_count(in, 1 << 20);
        clustered[g] = get_u32(in) != 0;
        gr->seg_names = get_strs(in, gr->k);
        gr->l2.algo = get_str(in);
        gr->l2.n_features = get_count(in, 1 << 20);
        gr->l2.features = get_strs(in, gr->l2.n_features);
        if (gr->k < 1 || gr->size < 0) {
            in->s.failed = 1;
        }
    }
    if (!in->s.failed && (tl->n_groups < 1 || tl->groups[tl->n_groups - 1].when != NULL)) {
        in->s.failed = 1; /* the last group always takes the remaining rows */
    }
    if (in->s.failed) {
        return corrupt(in, "section \"tlgroups\" is malformed");
    }
    return crm_section_finish(&in->s, in->r, in->err);
}

static crm_status get_segmenter(rd *in, tl_group *gr, int32_t g)
{
    crm_model_reader *sub = NULL;
    char tag[CRM_MODEL_TAG_BYTES + 1];
    char source[300];
    crm_status rc;
    snprintf(tag, sizeof tag, "l2g%d", (int)g);
    rc = open_section(in, tag);
    if (rc != CRM_OK) {
        return rc;
    }
    snprintf(source, sizeof source, "%s [group %d]", crm_model_reader_source(in->r), (int)g);
    rc = crm_model_reader_open_mem(in->s.data, in->s.len, source, &sub, in->err);
    if (rc == CRM_OK) {
        rc = crm_segmenter_read(sub, &gr->seg, in->err);
    }
    crm_model_reader_free(sub);
    if (rc == CRM_OK && crm_segmenter_k(gr->seg) != gr->k) {
        rc = corrupt(in, "a group's segmenter disagrees with its number of segments");
    }
    return rc;
}

crm_status crm_twolayer_read(const crm_model_reader *r, crm_twolayer **out, crm_error *err)
{
    crm_twolayer *tl;
    int *clustered = NULL;
    rd in;
    crm_status rc;
    *out = NULL;
    if (strcmp(crm_model_reader_kind(r), CRM_TWOLAYER_KIND) != 0) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "this is a \"%s\" model, not a two-layer model",
                             crm_model_reader_kind(r));
    }
    tl = crm_calloc(1, sizeof *tl);
    if (tl == NULL) {
        return crm__error_nomem(err);
    }
    memset(&in, 0, sizeof in);
    in.r = r;
    in.err = err;
    rc = get_meta(&in, tl);
    if (rc == CRM_OK) {
        rc = get_derived(&in, tl);
    }
    if (rc == CRM_OK) {
        clustered = crm_calloc(1u << 16, sizeof *clustered);
        rc = clustered ? get_groups(&in, tl, clustered) : crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        rc = crm_profile_load(r, &tl->profile, err);
    }
    if (rc == CRM_OK && crm_profile_k(tl->profile) != tl->n_groups) {
        rc = corrupt(&in, "the layer-1 profile disagrees with the number of groups");
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        if (clustered[g]) {
            rc = get_segmenter(&in, &tl->groups[g], g);
        }
    }
    crm_free(clustered);
    if (rc != CRM_OK) {
        crm_twolayer_free(tl);
        return rc;
    }
    tl->fitted = 1;
    *out = tl;
    return CRM_OK;
}

crm_status crm_twolayer_load(const char *path, crm_twolayer **out, crm_error *err)
{
    crm_model_reader *r = NULL;
    crm_status rc;
    *out = NULL;
    rc = crm_model_reader_open(path, &r, err);
    if (rc == CRM_OK) {
        rc = crm_twolayer_read(r, out, err);
    }
    crm_model_reader_free(r);
    return rc;
}
