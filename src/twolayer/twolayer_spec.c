/* twolayer_spec.c: reading a two-layer spec (JSON, through Jansson) into the model's parts:
 * the derived columns, the layer-1 groups (a grid of splits, or an ordered list of rules with
 * an "otherwise" group last) and each group's layer-2 settings (the defaults, then the
 * group's own fields over them). The format is docs/formats/two-layer-spec.md.
 *
 * Every field is type-checked and unknown fields are refused with the closest known name, so
 * a typo never silently falls back to a default. Column names are checked later, against the
 * table, by the fit. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/config.h>

#include "core/core_internal.h"
#include "twolayer_internal.h"

/* ---- the layer-2 algorithms ----
 * One row per algorithm name a spec may use, and how it fills crm_segment_params. An
 * algorithm the segmenter gains later is one more row (built = 0 reserves a name that a
 * build cannot run yet: the spec is then refused with CRM_EUNSUPPORTED). */
typedef struct tl_algo {
    const char *name;
    int built;              /* 0: the name is reserved but this build cannot run it */
    int needs_k;            /* 0: chooses k itself (k must be "auto") */
    int clusters;           /* 0: "none", the group is one segment */
    crm_segment_algo algo;  /* the segmenter's algorithm */
    crm_segment_method how; /* how k is chosen when it is "auto" */
} tl_algo;

static const tl_algo ALGOS[] = {
    { "kmeans", 1, 1, 1, CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS },
    { "xmeans", 1, 0, 1, CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS },
    { "elbow", 1, 0, 1, CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_ELBOW },
    { "none", 1, 1, 0, CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED },
    { "kmodes", 1, 1, 1, CRM_SEGMENT_ALGO_KMODES, CRM_SEGMENT_AUTO },
    { "kprototypes", 1, 1, 1, CRM_SEGMENT_ALGO_KPROTOTYPES, CRM_SEGMENT_AUTO },
    { "hier", 1, 1, 1, CRM_SEGMENT_ALGO_HIER, CRM_SEGMENT_AUTO },
};
#define N_ALGOS (sizeof ALGOS / sizeof ALGOS[0])

static const tl_algo *find_algo(const char *name)
{
    for (size_t i = 0; i < N_ALGOS; i++) {
        if (strcmp(ALGOS[i].name, name) == 0) {
            return &ALGOS[i];
        }
    }
    return NULL;
}

crm_status crm__tl_algo_params(const tl_l2 *c, crm_segment_params *p, crm_error *err)
{
    const tl_algo *a = find_algo(c->algo);
    if (a == NULL || !a->built || !a->clusters) {
        return crm__error_set(err, CRM_EINTERNAL, "algorithm \"%s\" cannot cluster", c->algo);
    }
    *p = crm_segment_params_default();
    p->features = (const char *const *)c->features;
    p->n_features = c->n_features;
    p->prep = c->prep;
    p->kmin = c->kmin;
    p->kmax = c->kmax;
    p->kmeans.seed = c->seed;
    p->kmeans.n_init = c->n_init;
    p->kmeans.max_iter = c->max_iter;
    p->names = (const char *const *)c->names;
    p->n_names = c->n_names;
    p->tier_by = c->tier_by;
    p->algo = a->algo;
    p->method = c->k_auto ? a->how : CRM_SEGMENT_FIXED;
    p->k = c->k;
    if (c->gamma >= 0) {
        p->kmodes.gamma = c->gamma;
    }
    if (c->linkage >= 0) {
        p->hclust.linkage = (crm_linkage)c->linkage;
    }
    return CRM_OK;
}

char **crm__tl_strdup_list(char *const *list, int32_t n)
{
    char **out = crm_calloc(n > 0 ? (size_t)n : 1, sizeof *out);
    if (out == NULL) {
        return NULL;
    }
    for (int32_t i = 0; i < n; i++) {
        out[i] = crm_strdup(list[i]);
        if (out[i] == NULL) {
            crm__tl_free_list(out, n);
            return NULL;
        }
    }
    return out;
}

void crm__tl_free_list(char **list, int32_t n)
{
    if (list == NULL) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        crm_free(list[i]);
    }
    crm_free(list);
}

void crm__tl_l2_fini(tl_l2 *c)
{
    crm__tl_free_list(c->features, c->n_features);
    crm__tl_free_list(c->names, c->n_names);
    crm_free(c->algo);
    crm_free(c->tier_by);
    memset(c, 0, sizeof *c);
}

#if CRM_HAVE_JANSSON
#include <jansson.h>

typedef struct ctx {
    crm_twolayer *tl;
    const char *source;
    crm_error *err;
    uint64_t seed;
} ctx;

static crm_status bad(ctx *c, const char *path, const char *fmt, const char *a, const char *b)
{
    char msg[400];
    /* fmt is one of this file's literals, each with at most two %s */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
#pragma GCC diagnostic pop
    crm__error_at(c->err, CRM_EPARSE, c->source, 0, 0, "%s", msg);
    crm__error_field(c->err, path);
    return CRM_EPARSE;
}

static const char *closest(const char *word, const char *const *known, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = crm__edit_distance(word, known[i], 63, 1);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best_d <= 2 + strlen(word) / 4 ? best : NULL;
}

/* Refuse keys not in allowed[n]. */
static crm_status
check_keys(ctx *c, json_t *obj, const char *path, const char *const *allowed, size_t n)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        (void)v;
        for (size_t i = 0; i < n && !ok; i++) {
            ok = strcmp(key, allowed[i]) == 0;
        }
        if (!ok) {
            char p[TL_MAX_NAME];
            const char *near = closest(key, allowed, n);
            snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", key);
            if (near != NULL) {
                return bad(c, p, "unknown field \"%s\" (did you mean \"%s\"?)", key, near);
            }
            return bad(c, p, "unknown field \"%s\"%s", key, "");
        }
    }
    return CRM_OK;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= TL_MAX_NAME) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || (unsigned char)s[i] < 0x20) {
            return 0;
        }
    }
    return 1;
}

static int valid_ident(const char *s)
{
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_')) {
        return 0;
    }
    for (size_t i = 1; s[i] != '\0'; i++) {
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.')) {
            return 0;
        }
    }
    return strlen(s) < TL_MAX_NAME;
}

/* A list of strings: a JSON array of strings (or one string when one_ok). */
static crm_status
get_strings(ctx *c, json_t *v, const char *path, int one_ok, char ***out, int32_t *n)
{
    size_t m;
    *out = NULL;
    *n = 0;
    if (one_ok && json_is_string(v)) {
        char *s = (char *)json_string_value(v);
        *out = crm__tl_strdup_list(&s, 1);
        *n = 1;
        return *out ? CRM_OK : crm__error_nomem(c->err);
    }
    if (!json_is_array(v) || json_array_size(v) == 0) {
        return bad(c, path, "expected a non-empty list of names%s%s", "", "");
    }
    m = json_array_size(v);
    if (m > 100000) {
        return bad(c, path, "too many names%s%s", "", "");
    }
    *out = crm_calloc(m, sizeof **out);
    if (*out == NULL) {
        return crm__error_nomem(c->err);
    }
    *n = (int32_t)m;
    for (size_t i = 0; i < m; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_value(e)[0] == '\0') {
            return bad(c, path, "expected a list of non-empty strings%s%s", "", "");
        }
        (*out)[i] = crm_strdup(json_string_value(e));
        if ((*out)[i] == NULL) {
            return crm__error_nomem(c->err);
        }
    }
    return CRM_OK;
}

/* ---- derived columns ---- */

static crm_status parse_derived_one(ctx *c, json_t *o, const char *path, tl_derived *d)
{
    static const char *const keys[] = { "name", "rank", "ratio", "sum", "on_zero", "comment" };
    static const char *const kinds[] = { "rank", "ratio", "sum" };
    json_t *name = json_object_get(o, "name");
    char p[TL_MAX_NAME];
    int n_kinds = 0;
    crm_status rc;
    if (!json_is_object(o)) {
        return bad(c, path,
                   "expected an object {\"name\": ..., \"rank\"|\"ratio\"|\"sum\": ...}%s%s", "",
                   "");
    }
    rc = check_keys(c, o, path, keys, sizeof keys / sizeof keys[0]);
    if (rc != CRM_OK) {
        return rc;
    }
    if (!json_is_string(name) || !valid_ident(json_string_value(name))) {
        return bad(c, path,
                   "a derived column needs a \"name\" of letters, digits, '_' and '.', not "
                   "starting with a digit%s%s",
                   "", "");
    }
    d->name = crm_strdup(json_string_value(name));
    if (d->name == NULL) {
        return crm__error_nomem(c->err);
    }
    for (int i = 0; i < 3; i++) {
        if (json_object_get(o, kinds[i]) != NULL) {
            n_kinds++;
            d->kind = (tl_derived_kind)i;
        }
    }
    if (n_kinds != 1) {
        return bad(c, path, "derived column \"%s\" needs exactly one of rank, ratio, sum%s",
                   d->name, "");
    }
    snprintf(p, sizeof p, "%s.%s", path, kinds[d->kind]);
    rc = get_strings(c, json_object_get(o, kinds[d->kind]), p, d->kind != TL_D_RATIO, &d->inputs,
                     &d->n_inputs);
    if (rc != CRM_OK) {
        return rc;
    }
    if (d->kind == TL_D_RANK && d->n_inputs != 1) {
        return bad(c, path, "rank of \"%s\" takes one column%s", d->name, "");
    }
    if (d->kind == TL_D_RATIO && d->n_inputs != 2) {
        return bad(c, path, "ratio \"%s\" takes [numerator, denominator]%s", d->name, "");
    }
    if (json_object_get(o, "on_zero") != NULL) {
        json_t *z = json_object_get(o, "on_zero");
        if (d->kind != TL_D_RATIO || !(json_is_number(z) || json_is_null(z))) {
            return bad(c, path, "on_zero is a number (or null) for a ratio%s%s", "", "");
        }
        d->has_on_zero = json_is_number(z);
        d->on_zero = json_is_number(z) ? json_number_value(z) : 0;
    }
    for (int i = 0; i < TL_RANK_LEVELS - 1; i++) {
        d->cuts[i] = 0;
    }
    return CRM_OK;
}

static crm_status parse_derived(ctx *c, json_t *arr)
{
    crm_twolayer *tl = c->tl;
    size_t n;
    if (arr == NULL) {
        return CRM_OK;
    }
    if (!json_is_array(arr)) {
        return bad(c, "derived", "expected a list of derived columns%s%s", "", "");
    }
    n = json_array_size(arr);
    if (n > 10000) {
        return bad(c, "derived", "too many derived columns%s%s", "", "");
    }
    tl->derived = crm_calloc(n > 0 ? n : 1, sizeof *tl->derived);
    if (tl->derived == NULL) {
        return crm__error_nomem(c->err);
    }
    for (size_t i = 0; i < n; i++) {
        char path[64];
        crm_status rc;
        snprintf(path, sizeof path, "derived[%zu]", i);
        tl->n_derived = (int32_t)i + 1;
        rc = parse_derived_one(c, json_array_get(arr, i), path, &tl->derived[i]);
        if (rc != CRM_OK) {
            return rc;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(tl->derived[j].name, tl->derived[i].name) == 0) {
                return bad(c, path, "derived column \"%s\" is defined twice%s", tl->derived[i].name,
                           "");
            }
        }
    }
    return CRM_OK;
}

/* ---- layer 1 ---- */

static crm_status add_group(ctx *c, const char *name, tl_expr *when, const char *path)
{
    crm_twolayer *tl = c->tl;
    tl_group *g;
    if (!valid_name(name)) {
        crm__tl_expr_free(when);
        return bad(c, path, "group name \"%s\" must be 1 to 255 characters without '/'%s", name,
                   "");
    }
    for (int32_t i = 0; i < tl->n_groups; i++) {
        if (strcmp(tl->groups[i].name, name) == 0) {
            crm__tl_expr_free(when);
            return bad(c, path, "two groups are called \"%s\"%s", name, "");
        }
    }
    g = crm_realloc(tl->groups, ((size_t)tl->n_groups + 1) * sizeof *g);
    if (g == NULL) {
        crm__tl_expr_free(when);
        return crm__error_nomem(c->err);
    }
    tl->groups = g;
    g = &tl->groups[tl->n_groups];
    memset(g, 0, sizeof *g);
    g->name = crm_strdup(name);
    g->when = when;
    tl->n_groups++;
    return g->name ? CRM_OK : crm__error_nomem(c->err);
}

static crm_status parse_groups(ctx *c, json_t *arr)
{
    static const char *const keys[] = { "name", "when", "comment" };
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0) {
        return bad(c, "layer1.groups", "expected a non-empty list of groups%s%s", "", "");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        json_t *name = json_object_get(o, "name");
        json_t *when = json_object_get(o, "when");
        tl_expr *e = NULL;
        char path[64];
        crm_status rc;
        snprintf(path, sizeof path, "layer1.groups[%zu]", i);
        if (!json_is_object(o) || !json_is_string(name)) {
            return bad(c, path, "a group is {\"name\": \"...\", \"when\": \"condition\"}%s%s", "",
                       "");
        }
        rc = check_keys(c, o, path, keys, sizeof keys / sizeof keys[0]);
        if (rc != CRM_OK) {
            return rc;
        }
        if (when == NULL && i + 1 < n) {
            return bad(c, path,
                       "only the last group may leave out \"when\" (it takes the rows no other "
                       "group took)%s%s",
                       "", "");
        }
        if (when != NULL) {
            char wpath[80];
            snprintf(wpath, sizeof wpath, "%s.when", path);
            if (!json_is_string(when)) {
                return bad(c, wpath, "a condition is a string such as \"revenue >= mean\"%s%s", "",
                           "");
            }
            rc = crm__tl_parse_expr(json_string_value(when), c->source, wpath, &e, c->err);
            if (rc != CRM_OK) {
                return rc;
            }
        }
        rc = add_group(c, json_string_value(name), e, path);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

/* A cut point of a split: a number, or "mean", "median", "quantile(P)". */
static crm_status parse_cut(ctx *c, json_t *v, const char *path, tl_expr *e)
{
    if (json_is_number(v)) {
        e->thr = TL_T_NUMBER;
        e->value = json_number_value(v);
        return CRM_OK;
    }
    if (json_is_string(v)) {
        tl_expr *tmp = NULL;
        char text[300];
        crm_status rc;
        snprintf(text, sizeof text, "x >= %s", json_string_value(v));
        rc = crm__tl_parse_expr(text, c->source, path, &tmp, c->err);
        if (rc == CRM_OK && tmp->type == TL_E_CMP &&
            (tmp->thr == TL_T_MEAN || tmp->thr == TL_T_MEDIAN || tmp->thr == TL_T_QUANTILE)) {
            e->thr = tmp->thr;
            e->p = tmp->p;
            crm__tl_expr_free(tmp);
            return CRM_OK;
        }
        crm__tl_expr_free(tmp);
        if (rc == CRM_ENOMEM) {
            return rc;
        }
    }
    return bad(c, path, "a cut point is a number, \"mean\", \"median\" or \"quantile(P)\"%s%s", "",
               "");
}

typedef struct axis {
    char *column;
    tl_expr cuts[32]; /* only thr, p, value used */
    int32_t n_cuts;
    char **names;
    int32_t n_names;
} axis;

static crm_status parse_axis(ctx *c, json_t *o, const char *path, axis *ax)
{
    static const char *const keys[] = { "column", "at", "names", "comment" };
    json_t *col = json_object_get(o, "column");
    json_t *at = json_object_get(o, "at");
    char p[96];
    crm_status rc;
    if (!json_is_object(o) || !json_is_string(col) || at == NULL) {
        return bad(c, path, "a split is {\"column\": ..., \"at\": ..., \"names\": [...]}%s%s", "",
                   "");
    }
    rc = check_keys(c, o, path, keys, sizeof keys / sizeof keys[0]);
    if (rc != CRM_OK) {
        return rc;
    }
    ax->column = crm_strdup(json_string_value(col));
    if (ax->column == NULL) {
        return crm__error_nomem(c->err);
    }
    snprintf(p, sizeof p, "%s.at", path);
    if (json_is_array(at)) {
        size_t n = json_array_size(at);
        if (n == 0 || n > 31) {
            return bad(c, p, "between 1 and 31 cut points%s%s", "", "");
        }
        for (size_t i = 0; i < n; i++) {
            rc = parse_cut(c, json_array_get(at, i), p, &ax->cuts[i]);
            if (rc != CRM_OK) {
                return rc;
            }
        }
        ax->n_cuts = (int32_t)n;
    } else {
        rc = parse_cut(c, at, p, &ax->cuts[0]);
        if (rc != CRM_OK) {
            return rc;
        }
        ax->n_cuts = 1;
    }
    snprintf(p, sizeof p, "%s.names", path);
    if (json_object_get(o, "names") == NULL) {
        return bad(c, p, "a split needs names for its parts (low to high)%s%s", "", "");
    }
    rc = get_strings(c, json_object_get(o, "names"), p, 0, &ax->names, &ax->n_names);
    if (rc == CRM_OK && ax->n_names != ax->n_cuts + 1) {
        char cuts[16];
        char parts[16];
        snprintf(cuts, sizeof cuts, "%d", (int)ax->n_cuts);
        snprintf(parts, sizeof parts, "%d", (int)ax->n_cuts + 1);
        return bad(c, p, "%s cut point(s) make %s parts: give one name per part, low to high", cuts,
                   parts);
    }
    return rc;
}

static tl_expr *cmp_node(const char *column, tl_op op, const tl_expr *cut)
{
    tl_expr *e = crm_calloc(1, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    e->type = TL_E_CMP;
    e->op = op;
    e->thr = cut->thr;
    e->p = cut->p;
    e->value = cut->value;
    e->column = crm_strdup(column);
    if (e->column == NULL) {
        crm_free(e);
        return NULL;
    }
    return e;
}

static tl_expr *and_node(tl_expr *a, tl_expr *b)
{
    tl_expr *e;
    if (a == NULL || b == NULL) {
        return a ? a : b;
    }
    e = crm_calloc(1, sizeof *e);
    if (e == NULL) {
        crm__tl_expr_free(a);
        crm__tl_expr_free(b);
        return NULL;
    }
    e->type = TL_E_AND;
    e->a = a;
    e->b = b;
    return e;
}

/* The condition of part b of an axis: cut[b-1] <= x < cut[b]. */
static int axis_cond(const axis *ax, int32_t b, tl_expr **out)
{
    tl_expr *lo = NULL;
    tl_expr *hi = NULL;
    if (b > 0 && (lo = cmp_node(ax->column, TL_OP_GE, &ax->cuts[b - 1])) == NULL) {
        return 0;
    }
    if (b < ax->n_cuts && (hi = cmp_node(ax->column, TL_OP_LT, &ax->cuts[b])) == NULL) {
        crm__tl_expr_free(lo);
        return 0;
    }
    *out = and_node(lo, hi);
    return *out != NULL;
}

static crm_status build_grid(ctx *c, axis *axes, int32_t n_axes, const char *sep)
{
    int32_t idx[8] = { 0 };
    for (;;) {
        char name[TL_MAX_NAME * 2];
        size_t len = 0;
        tl_expr *when = NULL;
        crm_status rc;
        name[0] = '\0';
        for (int32_t a = 0; a < n_axes; a++) {
            tl_expr *cond = NULL;
            len += (size_t)snprintf(name + len, len < sizeof name ? sizeof name - len : 0, "%s%s",
                                    a ? sep : "", axes[a].names[idx[a]]);
            if (len >= sizeof name) {
                crm__tl_expr_free(when);
                return bad(c, "layer1.split", "group name too long%s%s", "", "");
            }
            if (!axis_cond(&axes[a], idx[a], &cond)) {
                crm__tl_expr_free(when);
                return crm__error_nomem(c->err);
            }
            when = and_node(when, cond);
            if (when == NULL) {
                return crm__error_nomem(c->err);
            }
        }
        rc = add_group(c, name, when, "layer1.split");
        if (rc != CRM_OK) {
            return rc;
        }
        /* next combination, the last axis fastest */
        for (int32_t a = n_axes - 1; a >= 0; a--) {
            if (++idx[a] < axes[a].n_names) {
                break;
            }
            idx[a] = 0;
            if (a == 0) {
                return CRM_OK;
            }
        }
    }
}

static crm_status parse_split(ctx *c, json_t *arr, json_t *sep)
{
    axis axes[8];
    int32_t n = (int32_t)json_array_size(arr);
    int64_t total = 1;
    crm_status rc = CRM_OK;
    if (!json_is_array(arr) || n < 1 || n > 8) {
        return bad(c, "layer1.split", "expected a list of 1 to 8 splits%s%s", "", "");
    }
    if (sep != NULL && !json_is_string(sep)) {
        return bad(c, "layer1.separator", "expected a string%s%s", "", "");
    }
    memset(axes, 0, sizeof axes);
    for (int32_t i = 0; i < n && rc == CRM_OK; i++) {
        char path[64];
        snprintf(path, sizeof path, "layer1.split[%d]", (int)i);
        rc = parse_axis(c, json_array_get(arr, (size_t)i), path, &axes[i]);
        total *= axes[i].n_names > 0 ? axes[i].n_names : 1;
    }
    if (rc == CRM_OK && total > 4096) {
        rc = bad(c, "layer1.split", "the splits make more than 4096 groups%s%s", "", "");
    }
    if (rc == CRM_OK) {
        rc = build_grid(c, axes, n, sep ? json_string_value(sep) : "-");
    }
    for (int32_t i = 0; i < n; i++) {
        crm_free(axes[i].column);
        crm__tl_free_list(axes[i].names, axes[i].n_names);
    }
    return rc;
}

static crm_status parse_layer1(ctx *c, json_t *o)
{
    static const char *const keys[] = { "split", "groups", "separator", "otherwise", "comment" };
    json_t *split = json_object_get(o, "split");
    json_t *groups = json_object_get(o, "groups");
    json_t *other = json_object_get(o, "otherwise");
    crm_status rc;
    if (!json_is_object(o)) {
        return bad(c, "layer1",
                   "the spec needs a \"layer1\" object with \"split\" or \"groups\"%s%s", "", "");
    }
    rc = check_keys(c, o, "layer1", keys, sizeof keys / sizeof keys[0]);
    if (rc != CRM_OK) {
        return rc;
    }
    if ((split == NULL) == (groups == NULL)) {
        return bad(c, "layer1", "give either \"split\" or \"groups\"%s%s", "", "");
    }
    if (other != NULL && !json_is_string(other)) {
        return bad(c, "layer1.otherwise", "expected a group name%s%s", "", "");
    }
    rc = split ? parse_split(c, split, json_object_get(o, "separator")) : parse_groups(c, groups);
    if (rc == CRM_OK && c->tl->groups[c->tl->n_groups - 1].when != NULL) {
        /* rows that no rule takes (missing values, gaps between rules) still get a group */
        rc = add_group(c, other ? json_string_value(other) : "Unmatched", NULL, "layer1.otherwise");
        if (rc == CRM_OK) {
            c->tl->groups[c->tl->n_groups - 1].rest = 1;
        }
    } else if (rc == CRM_OK && other != NULL) {
        rc = bad(c, "layer1.otherwise", "the last group already takes the remaining rows%s%s", "",
                 "");
    }
    return rc;
}

/* ---- layer 2 ---- */

static crm_status get_int(ctx *c, json_t *v, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char range[64];
        snprintf(range, sizeof range, "%lld to %lld", (long long)lo, (long long)hi);
        return bad(c, path, "expected a whole number from %s%s", range, "");
    }
    *out = json_integer_value(v);
    return CRM_OK;
}

static crm_status
get_enum(ctx *c, json_t *v, const char *path, const char *const *names, int n, int *out)
{
    if (json_is_string(v)) {
        for (int i = 0; i < n; i++) {
            if (strcmp(json_string_value(v), names[i]) == 0) {
                *out = i;
                return CRM_OK;
            }
        }
    }
    return bad(c, path, "unknown value%s%s (see docs/formats/two-layer-spec.md)",
               json_is_string(v) ? " " : "", json_is_string(v) ? json_string_value(v) : "");
}

static crm_status set_str(ctx *c, char **dst, const char *s)
{
    crm_free(*dst);
    *dst = crm_strdup(s);
    return *dst ? CRM_OK : crm__error_nomem(c->err);
}

static crm_status apply_algo(ctx *c, tl_l2 *l2, json_t *v, const char *path)
{
    const tl_algo *a = json_is_string(v) ? find_algo(json_string_value(v)) : NULL;
    if (a == NULL) {
        const char *names[N_ALGOS];
        const char *near;
        for (size_t i = 0; i < N_ALGOS; i++) {
            names[i] = ALGOS[i].name;
        }
        near = json_is_string(v) ? closest(json_string_value(v), names, N_ALGOS) : NULL;
        if (near != NULL) {
            return bad(c, path,
                       "unknown algorithm \"%s\" (did you mean \"%s\"?); known: kmeans, xmeans, "
                       "elbow, kmodes, kprototypes, hier, none",
                       json_string_value(v), near);
        }
        return bad(c, path,
                   "unknown algorithm %s%s; known: kmeans, xmeans, elbow, kmodes, kprototypes, "
                   "hier, none",
                   json_is_string(v) ? "\"" : "a non-string",
                   json_is_string(v) ? json_string_value(v) : "");
    }
    if (!a->built) {
        crm__error_at(c->err, CRM_EUNSUPPORTED, c->source, 0, 0,
                      "algorithm \"%s\" is not available in this build of the segmenter", a->name);
        crm__error_field(c->err, path);
        return CRM_EUNSUPPORTED;
    }
    return set_str(c, &l2->algo, a->name);
}

static crm_status apply_k(ctx *c, tl_l2 *l2, json_t *v, const char *path)
{
    int64_t k;
    if (json_is_string(v) && strcmp(json_string_value(v), "auto") == 0) {
        l2->k_auto = 1;
        return CRM_OK;
    }
    if (get_int(c, v, path, 1, 100000, &k) != CRM_OK) {
        return bad(c, path, "k is a whole number >= 1 or \"auto\"%s%s", "", "");
    }
    l2->k_auto = 0;
    l2->k = (int32_t)k;
    return CRM_OK;
}

static crm_status apply_cap(ctx *c, tl_l2 *l2, json_t *v, const char *path)
{
    json_t *lo = json_array_get(v, 0);
    json_t *hi = json_array_get(v, 1);
    if (json_is_null(v)) {
        l2->prep.cap_low_pct = 0;
        l2->prep.cap_high_pct = 100;
        return CRM_OK;
    }
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(lo) ||
        !json_is_number(hi) ||
        !(json_number_value(lo) >= 0 && json_number_value(lo) < json_number_value(hi) &&
          json_number_value(hi) <= 100)) {
        return bad(c, path, "cap is [LOW, HIGH] percentiles with 0 <= LOW < HIGH <= 100%s%s", "",
                   "");
    }
    l2->prep.cap_low_pct = json_number_value(lo);
    l2->prep.cap_high_pct = json_number_value(hi);
    return CRM_OK;
}

/* Apply the fields of o onto l2. */
static crm_status apply_l2(ctx *c, tl_l2 *l2, json_t *o, const char *path)
{
    static const char *const keys[] = { "features", "algo",     "k",     "kmin",   "kmax", "seed",
                                        "n_init",   "max_iter", "scale", "impute", "cap",  "names",
                                        "tier_by",  "linkage",  "gamma", "comment" };
    static const char *const scales[] = { "none", "zscore", "minmax" };
    static const char *const imputes[] = { "none", "mean", "median", "neighbours" };
    const char *key;
    json_t *v;
    crm_status rc;
    if (!json_is_object(o)) {
        return bad(c, path, "expected an object of layer-2 settings%s%s", "", "");
    }
    rc = check_keys(c, o, path, keys, sizeof keys / sizeof keys[0]);
    json_object_foreach(o, key, v)
    {
        char p[TL_MAX_NAME + 64];
        int64_t iv = 0;
        int e = 0;
        if (rc != CRM_OK) {
            break;
        }
        snprintf(p, sizeof p, "%s.%s", path, key);
        if (strcmp(key, "features") == 0 || strcmp(key, "names") == 0) {
            char ***list = key[0] == 'f' ? &l2->features : &l2->names;
            int32_t *n = key[0] == 'f' ? &l2->n_features : &l2->n_names;
            crm__tl_free_list(*list, *n);
            rc = get_strings(c, v, p, 0, list, n);
        } else if (strcmp(key, "algo") == 0) {
            rc = apply_algo(c, l2, v, p);
        } else if (strcmp(key, "k") == 0) {
            rc = apply_k(c, l2, v, p);
        } else if (strcmp(key, "kmin") == 0 || strcmp(key, "kmax") == 0) {
            rc = get_int(c, v, p, 1, 100000, &iv);
            *(key[1] == 'm' && key[2] == 'i' ? &l2->kmin : &l2->kmax) = (int32_t)iv;
        } else if (strcmp(key, "seed") == 0) {
            rc = get_int(c, v, p, 0, INT64_MAX, &iv);
            l2->seed = (uint64_t)iv;
        } else if (strcmp(key, "n_init") == 0) {
            rc = get_int(c, v, p, 1, 10000, &iv);
            l2->n_init = (int32_t)iv;
        } else if (strcmp(key, "max_iter") == 0) {
            rc = get_int(c, v, p, 1, 1000000, &iv);
            l2->max_iter = (int32_t)iv;
        } else if (strcmp(key, "scale") == 0) {
            rc = get_enum(c, v, p, scales, 3, &e);
            l2->prep.scale = (crm_scale)e;
        } else if (strcmp(key, "impute") == 0) {
            rc = get_enum(c, v, p, imputes, 4, &e);
            l2->prep.impute = (crm_impute)e;
        } else if (strcmp(key, "cap") == 0) {
            rc = apply_cap(c, l2, v, p);
        } else if (strcmp(key, "linkage") == 0) {
            l2->linkage = json_is_string(v) ? crm_linkage_parse(json_string_value(v)) : -1;
            if (l2->linkage < 0) {
                rc = bad(c, p, "linkage is ward, complete, average or single%s%s", "", "");
            }
        } else if (strcmp(key, "gamma") == 0) {
            l2->gamma = json_is_number(v) ? json_number_value(v) : -1;
            if (!(l2->gamma > 0)) {
                rc = bad(c, p, "gamma is a number > 0 (leave it out for the automatic one)%s%s", "",
                         "");
            }
        } else if (strcmp(key, "tier_by") == 0) {
            rc = json_is_string(v) ? set_str(c, &l2->tier_by, json_string_value(v))
                                   : bad(c, p, "expected a column name%s%s", "", "");
        }
    }
    if (rc == CRM_OK && json_object_get(o, "algo") != NULL && json_object_get(o, "k") == NULL &&
        !find_algo(l2->algo)->needs_k) {
        l2->k_auto = 1; /* an algorithm that chooses k overrides a k inherited from default */
    }
    return rc;
}

static crm_status l2_defaults(ctx *c, tl_l2 *l2)
{
    crm_kmeans_params kp = crm_kmeans_params_default();
    memset(l2, 0, sizeof *l2);
    l2->k_auto = 1;
    l2->k = 3;
    l2->kmin = 2;
    l2->kmax = 8;
    l2->seed = c->seed;
    l2->n_init = kp.n_init;
    l2->max_iter = kp.max_iter;
    l2->prep = crm_prep_params_default();
    l2->linkage = -1;
    l2->gamma = -1;
    return set_str(c, &l2->algo, "kmeans");
}

static crm_status check_l2(ctx *c, const tl_group *g)
{
    const tl_l2 *l2 = &g->l2;
    const tl_algo *a = find_algo(l2->algo);
    char path[TL_MAX_NAME + 32];
    snprintf(path, sizeof path, "layer2.groups.%s", g->name);
    if (a->clusters && l2->n_features == 0) {
        return bad(c, path,
                   "group \"%s\" has no layer-2 features (set layer2.default.features, or "
                   "\"algo\": \"none\")%s",
                   g->name, "");
    }
    if (!a->needs_k && !l2->k_auto) {
        return bad(c, path, "\"%s\" chooses k itself: give \"k\": \"auto\" or leave k out",
                   l2->algo, "");
    }
    if (l2->kmax < l2->kmin || (strcmp(l2->algo, "elbow") == 0 && l2->kmax < l2->kmin + 2)) {
        return bad(c, path, "need kmin <= kmax (kmax >= kmin + 2 for the elbow)%s%s", "", "");
    }
    if (l2->names != NULL && (l2->k_auto || !a->needs_k || l2->n_names != l2->k)) {
        return bad(c, path, "\"names\" needs a fixed k and one name per segment%s%s", "", "");
    }
    for (int32_t i = 0; i < l2->n_names; i++) {
        if (!valid_name(l2->names[i])) {
            return bad(c, path, "segment name \"%s\" must be 1 to 255 characters without '/'%s",
                       l2->names[i], "");
        }
    }
    return CRM_OK;
}

static crm_status parse_layer2(ctx *c, json_t *o)
{
    static const char *const keys[] = { "default", "groups", "comment" };
    crm_twolayer *tl = c->tl;
    json_t *dflt = json_object_get(o, "default");
    json_t *groups = json_object_get(o, "groups");
    const char *key;
    json_t *v;
    crm_status rc = CRM_OK;
    if (o != NULL && !json_is_object(o)) {
        return bad(c, "layer2", "expected an object with \"default\" and \"groups\"%s%s", "", "");
    }
    if (o != NULL) {
        rc = check_keys(c, o, "layer2", keys, sizeof keys / sizeof keys[0]);
    }
    if (rc == CRM_OK && groups != NULL && !json_is_object(groups)) {
        rc = bad(c, "layer2.groups", "expected an object keyed by group name%s%s", "", "");
    }
    if (rc == CRM_OK && groups != NULL) {
        json_object_foreach(groups, key, v)
        {
            int found = 0;
            for (int32_t g = 0; g < tl->n_groups && !found; g++) {
                found = strcmp(tl->groups[g].name, key) == 0;
            }
            if (!found) {
                const char **names = crm_mallocarray((size_t)tl->n_groups, sizeof *names);
                const char *near = NULL;
                char p[TL_MAX_NAME + 16];
                if (names == NULL) {
                    return crm__error_nomem(c->err);
                }
                for (int32_t g = 0; g < tl->n_groups; g++) {
                    names[g] = tl->groups[g].name;
                }
                near = closest(key, names, (size_t)tl->n_groups);
                snprintf(p, sizeof p, "layer2.groups.%s", key);
                rc = bad(c, p, "no layer-1 group is called \"%s\"%s", key, "");
                if (near != NULL) {
                    char msg[400];
                    snprintf(msg, sizeof msg, " (did you mean \"%s\"?)", near);
                    strncat(c->err->msg, msg, sizeof c->err->msg - strlen(c->err->msg) - 1);
                }
                crm_free(names);
                return rc;
            }
        }
    }
    for (int32_t g = 0; g < tl->n_groups && rc == CRM_OK; g++) {
        tl_group *gr = &tl->groups[g];
        json_t *own = groups ? json_object_get(groups, gr->name) : NULL;
        char p[TL_MAX_NAME + 16];
        snprintf(p, sizeof p, "layer2.groups.%s", gr->name);
        rc = l2_defaults(c, &gr->l2);
        if (rc == CRM_OK && dflt != NULL) {
            rc = apply_l2(c, &gr->l2, dflt, "layer2.default");
        }
        if (rc == CRM_OK && own != NULL) {
            rc = apply_l2(c, &gr->l2, own, p);
        }
        if (rc == CRM_OK) {
            rc = check_l2(c, gr);
        }
    }
    return rc;
}

static crm_status parse_root(ctx *c, json_t *root)
{
    static const char *const keys[] = { "version", "description", "comment", "seed",
                                        "derived", "layer1",      "layer2" };
    json_t *version = json_object_get(root, "version");
    json_t *seed = json_object_get(root, "seed");
    crm_status rc;
    if (!json_is_object(root)) {
        return bad(c, "", "a two-layer spec is a JSON object%s%s", "", "");
    }
    rc = check_keys(c, root, "", keys, sizeof keys / sizeof keys[0]);
    if (rc == CRM_OK && version != NULL &&
        (!json_is_integer(version) || json_integer_value(version) != 1)) {
        rc = bad(c, "version", "this crmkit reads spec version 1%s%s", "", "");
    }
    if (rc == CRM_OK && seed != NULL) {
        int64_t s = 0;
        rc = get_int(c, seed, "seed", 0, INT64_MAX, &s);
        c->seed = (uint64_t)s;
    }
    if (rc == CRM_OK) {
        rc = parse_derived(c, json_object_get(root, "derived"));
    }
    if (rc == CRM_OK) {
        rc = parse_layer1(c, json_object_get(root, "layer1"));
    }
    if (rc == CRM_OK) {
        rc = parse_layer2(c, json_object_get(root, "layer2"));
    }
    return rc;
}

crm_status crm__tl_parse_spec(crm_twolayer *tl, crm_error *err)
{
    json_error_t jerr;
    ctx c;
    json_t *root;
    crm_status rc;
    c.tl = tl;
    c.source = tl->spec_source;
    c.err = err;
    c.seed = 0;
    root = json_loads(tl->spec_text, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return crm__error_at(err, CRM_EPARSE, tl->spec_source, jerr.line > 0 ? jerr.line : 0,
                             jerr.column > 0 ? jerr.column : 0, "JSON syntax error: %s", jerr.text);
    }
    rc = parse_root(&c, root);
    json_decref(root);
    return rc;
}

#else

crm_status crm__tl_parse_spec(crm_twolayer *tl, crm_error *err)
{
    (void)tl;
    return crm__error_set(err, CRM_EUNSUPPORTED,
                          "two-layer specs need Jansson, which this build was made without");
}

#endif
