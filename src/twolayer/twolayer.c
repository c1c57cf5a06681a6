/* twolayer.c: the two-layer customer model (crmkit/twolayer.h): rules put customers into
 * groups (layer 1, twolayer_rules.c), each group is segmented by its own crm_segmenter
 * (layer 2), both levels are profiled. The layer-2 work is the existing segmenter run on a
 * table of the group's rows and features, so cleaning, k choice and persistence are exactly
 * those of `crmkit segment`; assigning applies the fitted rules, then each group's segmenter.
 * Persistence is in twolayer_io.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "twolayer_internal.h"

crm_twolayer_params crm_twolayer_params_default(void)
{
    crm_twolayer_params p;
    memset(&p, 0, sizeof p);
    return p;
}

void crm_twolayer_free(crm_twolayer *tl)
{
    if (tl == NULL) {
        return;
    }
    for (int32_t d = 0; d < tl->n_derived; d++) {
        crm_free(tl->derived[d].name);
        crm__tl_free_list(tl->derived[d].inputs, tl->derived[d].n_inputs);
    }
    crm_free(tl->derived);
    for (int32_t g = 0; g < tl->n_groups; g++) {
        tl_group *gr = &tl->groups[g];
        crm_free(gr->name);
        crm__tl_expr_free(gr->when);
        crm__tl_l2_fini(&gr->l2);
        crm_segmenter_free(gr->seg);
        crm__tl_free_list(gr->seg_names, gr->k);
    }
    crm_free(tl->groups);
    crm_profile_free(tl->profile);
    crm_free(tl->l1);
    crm_free(tl->l2);
    crm__tl_free_list(tl->warnings, tl->n_warnings);
    crm_free(tl->spec_text);
    crm_free(tl->spec_source);
    crm_free(tl->source);
    crm_free(tl);
}

crm_status crm_twolayer_new(const crm_twolayer_params *p, crm_twolayer **out, crm_error *err)
{
    crm_twolayer *tl;
    crm_status rc;
    *out = NULL;
    if (p == NULL || p->spec == NULL) {
        return crm__error_set(err, CRM_EINVAL, "no two-layer spec given");
    }
    tl = crm_calloc(1, sizeof *tl);
    if (tl == NULL) {
        return crm__error_nomem(err);
    }
    tl->n_threads = p->n_threads;
    tl->spec_text = crm_malloc(p->spec_len + 1);
    tl->spec_source = crm_strdup(p->spec_source ? p->spec_source : "spec");
    if (tl->spec_text == NULL || tl->spec_source == NULL) {
        crm_twolayer_free(tl);
        return crm__error_nomem(err);
    }
    memcpy(tl->spec_text, p->spec, p->spec_len);
    tl->spec_text[p->spec_len] = '\0';
    if (strlen(tl->spec_text) != p->spec_len) {
        crm_twolayer_free(tl);
        return crm__error_at(err, CRM_EPARSE, p->spec_source ? p->spec_source : "spec", 0, 0,
                             "the spec contains a NUL byte");
    }
    rc = crm__tl_parse_spec(tl, err);
    if (rc != CRM_OK) {
        crm_twolayer_free(tl);
        return rc;
    }
    *out = tl;
    return CRM_OK;
}

crm_status crm_twolayer_new_from_file(const char *spec_path,
                                      int32_t n_threads,
                                      crm_twolayer **out,
                                      crm_error *err)
{
    crm_twolayer_params p = crm_twolayer_params_default();
    FILE *fp = fopen(spec_path, "rb");
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    crm_status rc;
    *out = NULL;
    if (fp == NULL) {
        return crm__error_errno(err, errno, spec_path, "cannot open the spec");
    }
    for (;;) {
        size_t got;
        if (len + 4096 > cap) {
            char *nb;
            if (cap > ((size_t)16 << 20)) {
                crm_free(buf);
                (void)fclose(fp);
                return crm__error_at(err, CRM_ELIMIT, spec_path, 0, 0,
                                     "the spec is larger than 16 MiB");
            }
            cap = cap ? cap * 2 : 8192;
            nb = crm_realloc(buf, cap);
            if (nb == NULL) {
                crm_free(buf);
                (void)fclose(fp);
                return crm__error_nomem(err);
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(fp)) {
        crm_free(buf);
        (void)fclose(fp);
        return crm__error_at(err, CRM_EIO, spec_path, 0, 0, "cannot read the spec");
    }
    (void)fclose(fp);
    p.spec = buf;
    p.spec_len = len;
    p.spec_source = spec_path;
    p.n_threads = n_threads;
    rc = crm_twolayer_new(&p, out, err);
    crm_free(buf);
    return rc;
}

static crm_status warn(crm_twolayer *tl, crm_error *err, const char *fmt, ...) CRM_PRINTF(3, 4);

static crm_status warn(crm_twolayer *tl, crm_error *err, const char *fmt, ...)
{
    char msg[600];
    char **w;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w = crm_realloc(tl->warnings, ((size_t)tl->n_warnings + 1) * sizeof *w);
    if (w == NULL) {
        return crm__error_nomem(err);
    }
    tl->warnings = w;
    w[tl->n_warnings] = crm_strdup(msg);
    if (w[tl->n_warnings] == NULL) {
        return crm__error_nomem(err);
    }
    tl->n_warnings++;
    return CRM_OK;
}

/* Segment names of group g: from its segmenter's profile, "S1".."Sk" when the spec named none. */
static crm_status name_segments(tl_group *gr, crm_error *err)
{
    gr->seg_names = crm_calloc((size_t)gr->k, sizeof *gr->seg_names);
    if (gr->seg_names == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t s = 0; s < gr->k; s++) {
        char buf[32];
        const char *name = buf;
        snprintf(buf, sizeof buf, "S%d", (int)s + 1);
        if (gr->seg != NULL && (gr->l2.names != NULL || gr->l2.tier_by != NULL)) {
            name = crm_profile_name(crm_segmenter_profile(gr->seg), s);
        }
        gr->seg_names[s] = crm_strdup(name);
        if (gr->seg_names[s] == NULL) {
            return crm__error_nomem(err);
        }
    }
    if (gr->seg != NULL && gr->l2.names == NULL && gr->l2.tier_by == NULL) {
        return crm_segmenter_set_names(gr->seg, (const char *const *)gr->seg_names, gr->k, err);
    }
    return CRM_OK;
}

static int32_t min_rows(const tl_l2 *c)
{
    if (strcmp(c->algo, "none") == 0) {
        return INT32_MAX;
    }
    if (!c->k_auto) {
        return c->k;
    }
    return c->kmax; /* an automatic k tries values up to kmax */
}

static crm_status fit_group(crm_twolayer *tl,
                            int32_t g,
                            const tl_frame *f,
                            const crm_progress *progress,
                            crm_error *err)
{
    tl_group *gr = &tl->groups[g];
    crm_segment_params sp;
    crm_table *sub = NULL;
    crm_status rc = CRM_OK;
    gr->k = 1;
    if (gr->size == 0) {
        if (!gr->rest) {
            rc = warn(tl, err, "group \"%s\" is empty: its rule matches none of the %lld rows",
                      gr->name, (long long)tl->n_rows);
        }
        return rc == CRM_OK ? name_segments(gr, err) : rc;
    }
    if (strcmp(gr->l2.algo, "none") != 0 && gr->size < min_rows(&gr->l2)) {
        rc = warn(tl, err,
                  "group \"%s\" has %lld customers, fewer than the %d segments its layer 2 asks "
                  "for: kept as one segment",
                  gr->name, (long long)gr->size, (int)min_rows(&gr->l2));
        return rc == CRM_OK ? name_segments(gr, err) : rc;
    }
    if (strcmp(gr->l2.algo, "none") == 0) {
        return name_segments(gr, err);
    }
    rc = crm__tl_algo_params(&gr->l2, &sp, err);
    sp.kmeans.n_threads = tl->n_threads;
    if (rc == CRM_OK) {
        /* the tier column, when it is not a feature, only serves the profile */
        char **cols = crm_calloc((size_t)gr->l2.n_features + 1, sizeof *cols);
        int32_t n = gr->l2.n_features;
        if (cols == NULL) {
            return crm__error_nomem(err);
        }
        memcpy(cols, gr->l2.features, (size_t)n * sizeof *cols);
        if (gr->l2.tier_by != NULL) {
            int found = 0;
            for (int32_t k = 0; k < n && !found; k++) {
                found = strcmp(cols[k], gr->l2.tier_by) == 0;
            }
            if (!found) {
                cols[n++] = gr->l2.tier_by;
            }
        }
        rc = crm__tl_subtable(f, cols, n, tl->l1, g, &sub, err);
        crm_free(cols);
    }
    if (rc == CRM_OK) {
        rc = crm_segmenter_fit(sub, &sp, progress, &gr->seg, err);
        if (rc != CRM_OK) {
            crm__error_prefix(err, "layer 2 of group \"%s\" (%lld customers): ", gr->name,
                              (long long)gr->size);
        }
    }
    crm_table_free(sub);
    if (rc == CRM_OK) {
        gr->k = crm_segmenter_k(gr->seg);
        rc = name_segments(gr, err);
    }
    return rc;
}

/* Columns for the layer-1 profile: those of the rules, then the layer-2 features, once each. */
static void collect_expr_cols(const tl_expr *e, char **list, int32_t *n, int32_t cap)
{
    if (e == NULL) {
        return;
    }
    if (e->type == TL_E_CMP) {
        const char *names[2] = { e->column, e->thr == TL_T_COLUMN ? e->text : NULL };
        for (int k = 0; k < 2; k++) {
            int seen = names[k] == NULL;
            for (int32_t i = 0; i < *n && !seen; i++) {
                seen = strcmp(list[i], names[k]) == 0;
            }
            if (!seen && *n < cap) {
                list[(*n)++] = (char *)names[k];
            }
        }
        return;
    }
    collect_expr_cols(e->a, list, n, cap);
    collect_expr_cols(e->b, list, n, cap);
}

static crm_status profile_l1(crm_twolayer *tl, const tl_frame *f, crm_error *err)
{
    int32_t cap = 1024;
    char **cols = crm_calloc((size_t)cap, sizeof *cols);
    const char **names = crm_calloc((size_t)tl->n_groups, sizeof *names);
    int32_t n = 0;
    crm_profile_params pp = crm_profile_params_default();
    crm_table *t = NULL;
    crm_status rc;
    if (cols == NULL || names == NULL) {
        crm_free(cols);
        crm_free(names);
        return crm__error_nomem(err);
    }
    for (int32_t g = 0; g < tl->n_groups; g++) {
        collect_expr_cols(tl->groups[g].when, cols, &n, cap);
        names[g] = tl->groups[g].name;
    }
    for (int32_t g = 0; g < tl->n_groups; g++) {
        for (int32_t k = 0; k < tl->groups[g].l2.n_features; k++) {
            const char *c = tl->groups[g].l2.features[k];
            int seen = 0;
            for (int32_t i = 0; i < n && !seen; i++) {
                seen = strcmp(cols[i], c) == 0;
            }
            if (!seen && n < cap) {
                cols[n++] = (char *)c;
            }
        }
    }
    rc = crm__tl_subtable(f, cols, n, NULL, -1, &t, err);
    pp.names = names;
    pp.n_names = tl->n_groups;
    if (rc == CRM_OK) {
        rc = crm_profile_compute(t, (const char *const *)cols, n, tl->l1, tl->n_groups, &pp,
                                 &tl->profile, err);
    }
    crm_table_free(t);
    crm_free(cols);
    crm_free(names);
    return rc;
}

/* Every column layer 2 names exists, before any clustering starts. */
static crm_status check_l2_columns(const crm_twolayer *tl, const tl_frame *f, crm_error *err)
{
    for (int32_t g = 0; g < tl->n_groups; g++) {
        const tl_l2 *c = &tl->groups[g].l2;
        char what[TL_MAX_NAME + 32];
        snprintf(what, sizeof what, "layer 2 of group \"%s\"", tl->groups[g].name);
        for (int32_t k = 0; k < c->n_features; k++) {
            if (crm__tl_frame_col(f, c->features[k], what, err) == NULL) {
                return CRM_ENOTFOUND;
            }
        }
        if (c->tier_by != NULL && crm__tl_frame_col(f, c->tier_by, what, err) == NULL) {
            return CRM_ENOTFOUND;
        }
    }
    return CRM_OK;
}

static crm_status
fit_layers(crm_twolayer *tl, const crm_table *t, const crm_progress *progress, crm_error *err)
{
    tl_frame f;
    int64_t unmatched = 0;
    crm_status rc = crm__tl_frame_build(tl, tl, t, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm__tl_fit_rules(tl, &f, err);
    if (rc == CRM_OK) {
        rc = check_l2_columns(tl, &f, err);
    }
    if (rc == CRM_OK) {
        rc = crm__tl_eval_groups(tl, &f, tl->l1, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < tl->n_rows; i++) {
        tl->groups[tl->l1[i]].size++;
    }
    if (rc == CRM_OK && tl->groups[tl->n_groups - 1].rest) {
        unmatched = tl->groups[tl->n_groups - 1].size;
    }
    if (rc == CRM_OK && unmatched > 0) {
        rc = warn(tl, err,
                  "%lld customers matched no rule (missing values or gaps between rules) and "
                  "are in group \"%s\"",
                  (long long)unmatched, tl->groups[tl->n_groups - 1].name);
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        rc = fit_group(tl, g, &f, progress, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < tl->n_rows; i++) {
        /* training labels, from each group's segmenter */
        tl->l2[i] = 0;
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        const int32_t *lab = tl->groups[g].seg ? crm_segmenter_labels(tl->groups[g].seg) : NULL;
        int64_t j = 0;
        for (int64_t i = 0; lab != NULL && i < tl->n_rows; i++) {
            if (tl->l1[i] == g) {
                tl->l2[i] = lab[j++];
            }
        }
    }
    if (rc == CRM_OK) {
        rc = profile_l1(tl, &f, err);
    }
    crm__tl_frame_fini(&f);
    return rc;
}

crm_status
crm_twolayer_fit(crm_twolayer *tl, const crm_table *t, const crm_progress *progress, crm_error *err)
{
    double t0 = crm__now_seconds();
    int64_t n = crm_table_n_rows(t);
    crm_status rc;
    if (tl->fitted || tl->l1 != NULL) {
        return crm__error_set(err, CRM_ESTATE, "this two-layer model is already fitted");
    }
    if (n < 1) {
        return crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0, "no rows to segment");
    }
    tl->n_rows = n;
    tl->l1 = crm_mallocarray((size_t)n, sizeof *tl->l1);
    tl->l2 = crm_mallocarray((size_t)n, sizeof *tl->l2);
    tl->source = crm_strdup(crm_table_source(t));
    if (tl->l1 == NULL || tl->l2 == NULL || tl->source == NULL) {
        return crm__error_nomem(err);
    }
    rc = fit_layers(tl, t, progress, err);
    if (rc != CRM_OK) {
        if (err != NULL && err->source[0] == '\0') {
            crm__strlcpy(err->source, crm_table_source(t), sizeof err->source);
        }
        return rc;
    }
    tl->fitted = 1;
    tl->seconds = crm__now_seconds() - t0;
    return CRM_OK;
}

static crm_status assign_group(const crm_twolayer *tl,
                               int32_t g,
                               const tl_frame *f,
                               const int32_t *l1,
                               int32_t *l2,
                               crm_error *err)
{
    const tl_group *gr = &tl->groups[g];
    crm_table *sub = NULL;
    int32_t *lab = NULL;
    int64_t n = 0;
    crm_status rc;
    for (int64_t i = 0; i < f->n_rows; i++) {
        n += l1[i] == g;
    }
    if (gr->seg == NULL || n == 0) {
        return CRM_OK;
    }
    rc = crm__tl_subtable(f, gr->l2.features, gr->l2.n_features, l1, g, &sub, err);
    if (rc == CRM_OK) {
        lab = crm_mallocarray((size_t)n, sizeof *lab);
        rc = lab ? crm_segmenter_assign(gr->seg, sub, lab, NULL, NULL, err) : crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        int64_t j = 0;
        for (int64_t i = 0; i < f->n_rows; i++) {
            if (l1[i] == g) {
                l2[i] = lab[j++];
            }
        }
    } else {
        crm__error_prefix(err, "layer 2 of group \"%s\": ", gr->name);
    }
    crm_free(lab);
    crm_table_free(sub);
    return rc;
}

crm_status crm_twolayer_assign(const crm_twolayer *tl,
                               const crm_table *t,
                               int32_t *l1,
                               int32_t *l2,
                               crm_error *err)
{
    tl_frame f;
    crm_status rc;
    if (!tl->fitted) {
        return crm__error_set(err, CRM_ESTATE, "the two-layer model is not fitted");
    }
    rc = crm__tl_frame_build(NULL, tl, t, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm__tl_eval_groups(tl, &f, l1, err);
    if (rc == CRM_OK && l2 != NULL) {
        for (int64_t i = 0; i < f.n_rows; i++) {
            l2[i] = 0;
        }
        for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
            rc = assign_group(tl, g, &f, l1, l2, err);
        }
    }
    crm__tl_frame_fini(&f);
    return rc;
}

/* ---- accessors ---- */

int crm_twolayer_is_fitted(const crm_twolayer *tl)
{
    return tl->fitted;
}

int32_t crm_twolayer_n_groups(const crm_twolayer *tl)
{
    return tl->n_groups;
}

const char *crm_twolayer_group_name(const crm_twolayer *tl, int32_t g)
{
    return g >= 0 && g < tl->n_groups ? tl->groups[g].name : NULL;
}

int64_t crm_twolayer_group_size(const crm_twolayer *tl, int32_t g)
{
    return g >= 0 && g < tl->n_groups ? tl->groups[g].size : 0;
}

int32_t crm_twolayer_group_k(const crm_twolayer *tl, int32_t g)
{
    return g >= 0 && g < tl->n_groups ? tl->groups[g].k : 0;
}

const char *crm_twolayer_group_algo(const crm_twolayer *tl, int32_t g)
{
    return g >= 0 && g < tl->n_groups ? tl->groups[g].l2.algo : NULL;
}

const crm_segmenter *crm_twolayer_group_segmenter(const crm_twolayer *tl, int32_t g)
{
    return g >= 0 && g < tl->n_groups ? tl->groups[g].seg : NULL;
}

const char *crm_twolayer_segment_name(const crm_twolayer *tl, int32_t g, int32_t s)
{
    if (g < 0 || g >= tl->n_groups || s < 0 || s >= tl->groups[g].k ||
        tl->groups[g].seg_names == NULL) {
        return NULL;
    }
    return tl->groups[g].seg_names[s];
}

const char *
crm_twolayer_segment_label(const crm_twolayer *tl, int32_t g, int32_t s, char *buf, size_t size)
{
    const char *name = crm_twolayer_segment_name(tl, g, s);
    if (size > 0) {
        snprintf(buf, size, "%s/%s", g >= 0 && g < tl->n_groups ? tl->groups[g].name : "?",
                 name ? name : "?");
    }
    return buf;
}

const crm_profile *crm_twolayer_profile(const crm_twolayer *tl)
{
    return tl->profile;
}

const int32_t *crm_twolayer_labels_l1(const crm_twolayer *tl)
{
    return tl->fitted ? tl->l1 : NULL;
}

const int32_t *crm_twolayer_labels_l2(const crm_twolayer *tl)
{
    return tl->fitted ? tl->l2 : NULL;
}

int64_t crm_twolayer_n_rows(const crm_twolayer *tl)
{
    return tl->n_rows;
}

int32_t crm_twolayer_n_warnings(const crm_twolayer *tl)
{
    return tl->n_warnings;
}

const char *crm_twolayer_warning(const crm_twolayer *tl, int32_t i)
{
    return i >= 0 && i < tl->n_warnings ? tl->warnings[i] : NULL;
}

const char *crm_twolayer_spec_text(const crm_twolayer *tl)
{
    return tl->spec_text ? tl->spec_text : "";
}

const char *crm_twolayer_source(const crm_twolayer *tl)
{
    return tl->source ? tl->source : "";
}

double crm_twolayer_seconds(const crm_twolayer *tl)
{
    return tl->seconds;
}

/* ---- the columns the model reads ---- */

typedef struct tl_inputs {
    const char **names;
    int *is_text;
    int32_t cap;
    int32_t n;
} tl_inputs;

static int is_derived_name(const crm_twolayer *tl, const char *name)
{
    for (int32_t d = 0; d < tl->n_derived; d++) {
        if (strcmp(tl->derived[d].name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Add a table column once (derived columns are not inputs); a later sighting as text wins. */
static void input_add(tl_inputs *in, const crm_twolayer *tl, const char *name, int text)
{
    if (name == NULL || is_derived_name(tl, name)) {
        return;
    }
    for (int32_t i = 0; i < in->n && i < in->cap; i++) {
        if (strcmp(in->names[i], name) == 0) {
            if (text && in->is_text != NULL) {
                in->is_text[i] = 1;
            }
            return;
        }
    }
    if (in->n < in->cap) {
        in->names[in->n] = name;
        if (in->is_text != NULL) {
            in->is_text[in->n] = text;
        }
    }
    in->n++;
}

static void input_expr(tl_inputs *in, const crm_twolayer *tl, const tl_expr *e)
{
    if (e == NULL) {
        return;
    }
    if (e->type == TL_E_CMP) {
        input_add(in, tl, e->column, e->thr == TL_T_LEVEL);
        if (e->thr == TL_T_COLUMN) {
            input_add(in, tl, e->text, 0);
        }
        return;
    }
    input_expr(in, tl, e->a);
    input_expr(in, tl, e->b);
}

static int32_t expr_size(const tl_expr *e)
{
    return e == NULL ? 0 : 2 + expr_size(e->a) + expr_size(e->b);
}

int32_t crm_twolayer_inputs(const crm_twolayer *tl, const char **names, int *is_text, int32_t cap)
{
    int32_t bound = 0;
    tl_inputs in = { NULL, NULL, 0, 0 };
    if (tl == NULL) {
        return 0;
    }
    for (int32_t d = 0; d < tl->n_derived; d++) {
        bound += tl->derived[d].n_inputs;
    }
    for (int32_t g = 0; g < tl->n_groups; g++) {
        const crm_prep *prep =
            tl->groups[g].seg != NULL ? crm_segmenter_prep(tl->groups[g].seg) : NULL;
        bound += expr_size(tl->groups[g].when) + tl->groups[g].l2.n_features +
                 (prep != NULL ? crm_prep_n_features(prep) : 0);
    }
    in.names = crm_mallocarray((size_t)bound + 1, sizeof *in.names);
    in.is_text = crm_mallocarray((size_t)bound + 1, sizeof *in.is_text);
    in.cap = bound;
    if (in.names == NULL || in.is_text == NULL) {
        crm_free(in.names);
        crm_free(in.is_text);
        return -1;
    }
    for (int32_t d = 0; d < tl->n_derived; d++) {
        for (int32_t k = 0; k < tl->derived[d].n_inputs; k++) {
            input_add(&in, tl, tl->derived[d].inputs[k], 0);
        }
    }
    for (int32_t g = 0; g < tl->n_groups; g++) {
        input_expr(&in, tl, tl->groups[g].when);
    }
    for (int32_t g = 0; g < tl->n_groups; g++) {
        const tl_group *gr = &tl->groups[g];
        const crm_prep *prep = gr->seg != NULL ? crm_segmenter_prep(gr->seg) : NULL;
        if (prep != NULL) {
            for (int32_t f = 0; f < crm_prep_n_features(prep); f++) {
                input_add(&in, tl, crm_prep_feature_name(prep, f),
                          crm_prep_feature_type(prep, f) != CRM_COL_NUMERIC);
            }
        } else if (!tl->fitted) {
            for (int32_t f = 0; f < gr->l2.n_features; f++) {
                input_add(&in, tl, gr->l2.features[f], 0);
            }
        }
    }
    for (int32_t i = 0; i < in.n && i < cap; i++) {
        if (names != NULL) {
            names[i] = in.names[i];
        }
        if (is_text != NULL) {
            is_text[i] = in.is_text[i];
        }
    }
    crm_free(in.names);
    crm_free(in.is_text);
    return in.n;
}

int32_t crm_twolayer_n_segments(const crm_twolayer *tl)
{
    int32_t n = 0;
    for (int32_t g = 0; tl != NULL && g < tl->n_groups; g++) {
        n += tl->groups[g].k;
    }
    return n;
}

int32_t crm_twolayer_segment_index(const crm_twolayer *tl, int32_t g, int32_t s)
{
    int32_t n = 0;
    if (tl == NULL || g < 0 || g >= tl->n_groups || s < 0 || s >= tl->groups[g].k) {
        return -1;
    }
    for (int32_t h = 0; h < g; h++) {
        n += tl->groups[h].k;
    }
    return n + s;
}

int32_t crm_twolayer_n_derived(const crm_twolayer *tl)
{
    return tl->n_derived;
}

const char *crm_twolayer_derived_name(const crm_twolayer *tl, int32_t d)
{
    return d >= 0 && d < tl->n_derived ? tl->derived[d].name : NULL;
}

crm_status crm_twolayer_derived_values(const crm_twolayer *tl,
                                       const crm_table *t,
                                       int32_t d,
                                       double *out,
                                       crm_error *err)
{
    tl_frame f;
    crm_status rc;
    if (d < 0 || d >= tl->n_derived) {
        return crm__error_set(err, CRM_EINVAL, "no derived column %d", (int)d);
    }
    if (!tl->fitted) {
        return crm__error_set(err, CRM_ESTATE, "the two-layer model is not fitted");
    }
    rc = crm__tl_frame_build(NULL, tl, t, &f, err);
    if (rc == CRM_OK) {
        const tl_col *c = crm__tl_frame_col(&f, tl->derived[d].name, "derived", err);
        if (c != NULL) {
            memcpy(out, c->num, (size_t)f.n_rows * sizeof *out);
        }
        rc = c ? CRM_OK : CRM_ENOTFOUND;
        crm__tl_frame_fini(&f);
    }
    return rc;
}
