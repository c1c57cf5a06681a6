/* optigrid.c: OptiGrid with axis-parallel cutting planes (crmkit/optigrid.h). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/optigrid.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#define OG_SECTION "optigrid"
#define OG_VERSION 1u

typedef struct og_node {
    int32_t dim;  /* -1: a leaf */
    double cut;   /* rows with x[dim] < cut go left */
    int32_t left; /* node indices */
    int32_t right;
    int32_t label; /* leaf: cluster or -1 */
} og_node;

struct crm_optigrid {
    crm_optigrid_params p;
    int32_t dim;
    int32_t k;
    og_node *node;
    int32_t n_nodes;
    int64_t cap;
    int32_t *labels;
};

typedef struct og_ctx {
    crm_optigrid *g;
    const crm_matrix *x;
    int64_t *idx;
    double *hist; /* bins */
    double *sm;   /* bins */
    int oom;
} og_ctx;

crm_optigrid_params crm_optigrid_params_default(void)
{
    return (crm_optigrid_params){ .bins = 64, .noise = 0.5, .min_size = 10, .max_depth = 24 };
}

crm_status crm_optigrid_params_check(const crm_optigrid_params *p, crm_error *err)
{
    const char *bad = NULL;
    if (p->bins < 4 || p->bins > 100000) {
        bad = "bins must be in [4, 100000]";
    } else if (!(p->noise >= 0) || !isfinite(p->noise)) {
        bad = "noise must be a number >= 0";
    } else if (p->min_size < 1) {
        bad = "min_size must be >= 1";
    } else if (p->max_depth < 1 || p->max_depth > 64) {
        bad = "max_depth must be in [1, 64]";
    }
    return bad ? crm__error_set(err, CRM_EINVAL, "optigrid: %s", bad) : CRM_OK;
}

void crm_optigrid_free(crm_optigrid *g)
{
    if (g == NULL) {
        return;
    }
    CRM__FREE(g->node, g->labels, g);
}

static int32_t new_node(og_ctx *c)
{
    crm_optigrid *g = c->g;
    if (g->n_nodes == g->cap &&
        !crm__grow_items(&g->node, &g->cap, (int64_t)g->n_nodes + 1, sizeof *g->node, 64)) {
        c->oom = 1;
        return -1;
    }
    g->node[g->n_nodes].dim = -1;
    g->node[g->n_nodes].cut = 0;
    g->node[g->n_nodes].left = g->node[g->n_nodes].right = -1;
    g->node[g->n_nodes].label = -1;
    return g->n_nodes++;
}

/* Best plane for rows idx[lo, hi): 1 and *dim, *cut, *score when there is one. */
static int best_plane(og_ctx *c, int64_t lo, int64_t hi, int32_t *bd, double *bcut)
{
    int32_t bins = c->g->p.bins;
    int64_t n = hi - lo;
    double best = HUGE_VAL;
    int found = 0;
    if (2.0 * cbrt((double)n) < (double)bins) { /* Rice's rule: 2 n^(1/3) bins at most */
        bins = (int32_t)ceil(2.0 * cbrt((double)n));
    }
    if (bins < 4) {
        return 0;
    }
    for (int32_t a = 0; a < c->g->dim; a++) {
        double mn = HUGE_VAL;
        double mx = -HUGE_VAL;
        double w;
        double xi = c->g->p.noise * (double)n / (double)bins;
        for (int64_t i = lo; i < hi; i++) {
            double v = CRM_ROW(c->x, c->idx[i])[a];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        if (!(mx > mn)) {
            continue;
        }
        w = (mx - mn) / (double)bins;
        memset(c->hist, 0, (size_t)bins * sizeof *c->hist);
        for (int64_t i = lo; i < hi; i++) {
            int64_t b = (int64_t)((CRM_ROW(c->x, c->idx[i])[a] - mn) / w);
            c->hist[b < bins ? (b >= 0 ? b : 0) : bins - 1] += 1.0;
        }
        for (int32_t b = 0; b < bins; b++) {
            static const double kern[5] = { 1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16 };
            double s = 0;
            for (int t = -2; t <= 2; t++) {
                int32_t j = b + t;
                if (j >= 0 && j < bins) {
                    s += kern[t + 2] * c->hist[j];
                }
            }
            c->sm[b] = s;
        }
        /* maxima reaching xi, left to right; the valley between each neighbouring pair */
        {
            int32_t prev = -1;
            for (int32_t b = 0; b < bins; b++) {
                double l = b > 0 ? c->sm[b - 1] : -1.0;
                double r = b + 1 < bins ? c->sm[b + 1] : -1.0;
                if (!(c->sm[b] > l && c->sm[b] >= r && c->sm[b] >= xi && c->sm[b] > 0)) {
                    continue;
                }
                if (prev >= 0) {
                    int32_t m = prev;
                    int32_t m2;
                    double peak = c->sm[prev] < c->sm[b] ? c->sm[prev] : c->sm[b];
                    for (int32_t j = prev; j <= b; j++) {
                        if (c->sm[j] < c->sm[m]) {
                            m = j;
                        }
                    }
                    m2 = m; /* the middle of a flat bottom */
                    while (m2 + 1 <= b && c->sm[m2 + 1] == c->sm[m]) {
                        m2++;
                    }
                    if (c->sm[m] <= 0.5 * peak && c->sm[m] < best) {
                        best = c->sm[m];
                        *bd = a;
                        *bcut = mn + w * ((double)(m + m2) / 2.0 + 0.5);
                        found = 1;
                    }
                }
                prev = b;
            }
        }
    }
    return found;
}

static int32_t build(og_ctx *c, int64_t lo, int64_t hi, int32_t depth)
{
    int32_t v = new_node(c);
    int32_t a = 0;
    double cut = 0;
    if (v < 0) {
        return -1;
    }
    if (depth < c->g->p.max_depth && hi - lo >= 2 * (int64_t)c->g->p.min_size &&
        best_plane(c, lo, hi, &a, &cut)) {
        int64_t m = lo;
        int32_t l;
        int32_t r;
        for (int64_t i = lo; i < hi; i++) { /* stable enough: order does not matter */
            if (CRM_ROW(c->x, c->idx[i])[a] < cut) {
                int64_t t = c->idx[i];
                c->idx[i] = c->idx[m];
                c->idx[m++] = t;
            }
        }
        if (m > lo && m < hi) {
            c->g->node[v].dim = a;
            c->g->node[v].cut = cut;
            l = build(c, lo, m, depth + 1);
            r = build(c, m, hi, depth + 1);
            if (l < 0 || r < 0) {
                return -1;
            }
            c->g->node[v].left = l;
            c->g->node[v].right = r;
            return v;
        }
    }
    if (hi - lo >= c->g->p.min_size) {
        c->g->node[v].label = c->g->k++;
    }
    for (int64_t i = lo; i < hi; i++) {
        c->g->labels[c->idx[i]] = c->g->node[v].label;
    }
    return v;
}

crm_status crm_optigrid_fit(const crm_optigrid_params *p,
                            const crm_matrix *x,
                            crm_optigrid **out,
                            crm_error *err)
{
    og_ctx c;
    crm_optigrid *g;
    crm_status rc = crm_optigrid_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (x->n_rows < 1 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA, "optigrid: no rows to cluster");
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    g = crm_calloc(1, sizeof *g);
    if (g == NULL) {
        return crm__error_nomem(err);
    }
    g->p = *p;
    g->dim = (int32_t)x->n_cols;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.x = x;
    c.idx = crm_mallocarray((size_t)x->n_rows, sizeof *c.idx);
    c.hist = crm_mallocarray((size_t)p->bins, sizeof *c.hist);
    c.sm = crm_mallocarray((size_t)p->bins, sizeof *c.sm);
    g->labels = crm_mallocarray((size_t)x->n_rows, sizeof *g->labels);
    if (c.idx == NULL || c.hist == NULL || c.sm == NULL || g->labels == NULL) {
        c.oom = 1;
    } else {
        for (int64_t i = 0; i < x->n_rows; i++) {
            c.idx[i] = i;
        }
        (void)build(&c, 0, x->n_rows, 0);
    }
    CRM__FREE(c.idx, c.hist, c.sm);
    if (c.oom) {
        crm_optigrid_free(g);
        return crm__error_nomem(err);
    }
    *out = g;
    return CRM_OK;
}

crm_status
crm_optigrid_assign(const crm_optigrid *g, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    if (x->n_cols != g->dim) {
        return crm__error_set(err, CRM_EINVAL, "optigrid: %lld columns, the model has %d",
                              (long long)x->n_cols, (int)g->dim);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        int32_t v = 0;
        while (g->node[v].dim >= 0) {
            v = row[g->node[v].dim] < g->node[v].cut ? g->node[v].left : g->node[v].right;
        }
        labels[i] = g->node[v].label;
    }
    return CRM_OK;
}

int32_t crm_optigrid_k(const crm_optigrid *g)
{
    return g->k;
}

int32_t crm_optigrid_dim(const crm_optigrid *g)
{
    return g->dim;
}

int32_t crm_optigrid_n_cuts(const crm_optigrid *g)
{
    return (g->n_nodes - 1) / 2;
}

crm_optigrid_params crm_optigrid_params_used(const crm_optigrid *g)
{
    return g->p;
}

const int32_t *crm_optigrid_labels(const crm_optigrid *g)
{
    return g->labels;
}

/* Section layout: u32 version (1), i32 bins, f64 noise, i32 min_size, i32 max_depth, i32 dim,
 * i32 k, i32 n_nodes, then per node i32 dim, f64 cut, i32 left, i32 right, i32 label. Save
 * and load share the lists below. */
#define OG_HEAD(g, version)                                                                        \
    CRM_FIELD(version), CRM_FIELD(&(g)->p.bins), CRM_FIELD(&(g)->p.noise),                         \
        CRM_FIELD(&(g)->p.min_size), CRM_FIELD(&(g)->p.max_depth), CRM_FIELD(&(g)->dim),           \
        CRM_FIELD(&(g)->k), CRM_FIELD(&(g)->n_nodes)
#define OG_NODE(n)                                                                                 \
    CRM_FIELD(&(n)->dim), CRM_FIELD(&(n)->cut), CRM_FIELD(&(n)->left), CRM_FIELD(&(n)->right),     \
        CRM_FIELD(&(n)->label)

crm_status crm_optigrid_save(const crm_optigrid *g, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = OG_VERSION;
    const crm_field head[] = { OG_HEAD(g, &version) };
    crm_status rc = crm_model_begin(w, OG_SECTION, err);
    if (rc == CRM_OK) {
        rc = crm_model_put_fields(w, head, CRM_N_FIELDS(head), err);
    }
    for (int32_t i = 0; rc == CRM_OK && i < g->n_nodes; i++) {
        const crm_field node[] = { OG_NODE(&g->node[i]) };
        rc = crm_model_put_fields(w, node, CRM_N_FIELDS(node), err);
    }
    return rc;
}

crm_status crm_optigrid_load(const crm_model_reader *r, crm_optigrid **out, crm_error *err)
{
    crm_section s;
    crm_optigrid *g;
    uint32_t version = 0;
    crm_status rc = crm_model_section(r, OG_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    g = crm_calloc(1, sizeof *g);
    if (g == NULL) {
        return crm__error_nomem(err);
    }
    {
        const crm_field head[] = { OG_HEAD(g, &version) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    if (s.failed || version != OG_VERSION || crm_optigrid_params_check(&g->p, NULL) != CRM_OK ||
        g->dim < 1 || g->k < 0 || g->n_nodes < 1 ||
        (uint64_t)g->n_nodes * 24u != (uint64_t)(s.len - s.pos)) {
        crm_optigrid_free(g);
        return crm_model_malformed(r, OG_SECTION, err);
    }
    g->node = crm_mallocarray((size_t)g->n_nodes, sizeof *g->node);
    if (g->node == NULL) {
        crm_optigrid_free(g);
        return crm__error_nomem(err);
    }
    g->cap = g->n_nodes;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        og_node *n = &g->node[i];
        const crm_field node[] = { OG_NODE(n) };
        (void)crm_section_get_fields(&s, node, CRM_N_FIELDS(node));
        /* children come after their parent (depth-first order): no cycle can be loaded */
        if (n->dim >= 0 ? (n->dim >= g->dim || !isfinite(n->cut) || n->left <= i || n->right <= i ||
                           n->left >= g->n_nodes || n->right >= g->n_nodes)
                        : (n->dim != -1 || n->label < -1 || n->label >= g->k)) {
            s.failed = 1;
        }
    }
    rc = s.failed ? crm_model_malformed(r, OG_SECTION, err) : crm_section_finish(&s, r, err);

    if (rc != CRM_OK) {
        crm_optigrid_free(g);
        return rc;
    }
    *out = g;
    return CRM_OK;
}
