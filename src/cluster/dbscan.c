/* dbscan.c: DBSCAN with a k-d tree and union-find, O(n dim) memory (crmkit/dbscan.h). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/dbscan.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#define DBSCAN_SECTION "dbscan"
#define DBSCAN_VERSION 1u

struct crm_dbscan {
    crm_dbscan_params p;
    int32_t dim;
    int32_t k;
    int64_t n_rows;
    int64_t n_noise;
    int32_t *labels; /* training; NULL after load */
    int64_t n_core;
    double *cores;       /* n_core x dim */
    int32_t *core_label; /* n_core */
    crm__kdtree *tree;   /* over the cores, for assign */
};

crm_dbscan_params crm_dbscan_params_default(void)
{
    return (crm_dbscan_params){ .eps = 0.5, .min_samples = 5 };
}

crm_status crm_dbscan_params_check(const crm_dbscan_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "dbscan params: NULL");
    }
    if (!(p->eps > 0) || !isfinite(p->eps)) {
        crm__error_set(err, CRM_EINVAL, "dbscan: eps must be a number > 0");
        crm__error_field(err, "eps");
        return CRM_EINVAL;
    }
    if (p->min_samples < 1) {
        crm__error_set(err, CRM_EINVAL, "dbscan: min_samples must be >= 1");
        crm__error_field(err, "min_samples");
        return CRM_EINVAL;
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "dbscan: n_threads must be >= 0");
    }
    return CRM_OK;
}

void crm_dbscan_free(crm_dbscan *d)
{
    if (d == NULL) {
        return;
    }
    crm__kdtree_free(d->tree);
    CRM__FREE(d->labels, d->cores, d->core_label, d);
}

/* Union-find over row indices, safe to run from many threads: a root is only ever linked
 * under a lower root (compare-and-swap on the root's slot), so whatever the order of the
 * unions, every set ends with its lowest row as root and the sets are the connected
 * components: the result does not depend on the threads. Path halving moves a slot only to an
 * ancestor. */
static int64_t uf_find(int64_t *parent, int64_t i)
{
    for (;;) {
        int64_t p = __atomic_load_n(&parent[i], __ATOMIC_RELAXED);
        int64_t g;
        if (p == i) {
            return i;
        }
        g = __atomic_load_n(&parent[p], __ATOMIC_RELAXED);
        if (g != p) {
            (void)__atomic_compare_exchange_n(&parent[i], &p, g, 0, __ATOMIC_RELAXED,
                                              __ATOMIC_RELAXED);
        }
        i = g;
    }
}

static void uf_union(int64_t *parent, int64_t a, int64_t b)
{
    for (;;) {
        int64_t expect;
        a = uf_find(parent, a);
        b = uf_find(parent, b);
        if (a == b) {
            return;
        }
        if (a > b) {
            int64_t t = a;
            a = b;
            b = t;
        }
        expect = b;
        if (__atomic_compare_exchange_n(&parent[b], &expect, a, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            return;
        }
    }
}

typedef struct join_ctx {
    int64_t *parent;
    const uint8_t *core;
    int64_t self;
} join_ctx;

static void join_fn(void *ud, int64_t j, double d2)
{
    join_ctx *c = ud;
    (void)d2;
    if (j > c->self && c->core[j]) {
        uf_union(c->parent, c->self, j);
    }
}

typedef struct border_ctx {
    const int64_t *parent; /* fully compressed: parent[j] is the root */
    const uint8_t *core;
    int64_t best;
} border_ctx;

static void border_fn(void *ud, int64_t j, double d2)
{
    border_ctx *c = ud;
    (void)d2;
    if (c->core[j] && (c->best < 0 || c->parent[j] < c->best)) {
        c->best = c->parent[j];
    }
}

static crm_status build_cores(crm_dbscan *d, crm_error *err)
{
    return crm__kdtree_build(d->cores, d->n_core, d->dim, &d->tree, err);
}

crm_status crm_dbscan_fit(const crm_dbscan_params *p,
                          const crm_matrix *x,
                          const crm_progress *progress,
                          crm_dbscan **out,
                          crm_error *err)
{
    crm_dbscan *d;
    crm__kdtree *tree = NULL;
    uint8_t *core = NULL;
    int64_t *parent = NULL;
    int32_t *root_label = NULL;
    int64_t n = x->n_rows;
    int32_t dim = (int32_t)x->n_cols;
    double r2;
    int nt;
    crm_status rc = crm_dbscan_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (dim < 1) {
        return crm__error_set(err, CRM_EINVAL, "dbscan: no features");
    }
    for (int64_t i = 0; i < n; i++) {
        const double *row = CRM_ROW(x, i);
        for (int32_t a = 0; a < dim; a++) {
            if (!isfinite(row[a])) {
                return crm__error_set(err, CRM_EDATA, "dbscan: row %lld, column %d is not finite",
                                      (long long)i + 1, (int)a + 1);
            }
        }
    }
    d = crm_calloc(1, sizeof *d);
    if (d == NULL) {
        return crm__error_nomem(err);
    }
    d->p = *p;
    d->dim = dim;
    d->n_rows = n;
    r2 = p->eps * p->eps;
    nt = crm__cluster_threads(p->n_threads);
    (void)nt;
    d->labels = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *d->labels);
    core = crm_calloc((size_t)(n > 0 ? n : 1), 1);
    parent = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *parent);
    if (d->labels == NULL || core == NULL || parent == NULL) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        /* the matrix may be a strided view: the tree copies rows one by one */
        double *flat = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)dim, sizeof *flat);
        if (flat == NULL) {
            rc = crm__error_nomem(err);
        } else {
            for (int64_t i = 0; i < n; i++) {
                memcpy(flat + (size_t)i * (size_t)dim, CRM_ROW(x, i), (size_t)dim * sizeof *flat);
            }
            rc = crm__kdtree_build(flat, n, dim, &tree, err);
            crm_free(flat);
        }
    }
    if (rc == CRM_OK) {
        /* the range queries are the time (many seconds for a million rows): reported row by
         * row, and cancelled between rows */
        int64_t stop = p->min_samples;
        crm__loop_progress lp;
        crm__loop_progress_init(&lp, progress, "dbscan: neighbours", 0.1, 0.5, n);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 256)
        for (int64_t i = 0; i < n; i++) {
            if (crm__loop_tick(&lp, 1)) {
                core[i] = crm__kdtree_count(tree, CRM_ROW(x, i), r2, stop) >= stop;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            parent[i] = i;
            d->n_core += core[i];
        }
        if (lp.stop) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc == CRM_OK) {
        crm__loop_progress lp;
        crm__loop_progress_init(&lp, progress, "dbscan: clusters", 0.5, 0.9, n);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 256)
        for (int64_t i = 0; i < n; i++) {
            if (crm__loop_tick(&lp, 1) && core[i]) {
                join_ctx c = { parent, core, i };
                crm__kdtree_radius(tree, CRM_ROW(x, i), r2, join_fn, &c);
            }
        }
        if (lp.stop) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < n; i++) {
            parent[i] = uf_find(parent, i);
        }
        /* clusters numbered in the order of their lowest core row, as scikit-learn's */
        root_label = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *root_label);
        if (root_label == NULL) {
            rc = crm__error_nomem(err);
        }
        for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
            if (core[i] && parent[i] == i) {
                root_label[i] = d->k++;
            }
        }
    }
    if (rc == CRM_OK) {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 256)
        for (int64_t i = 0; i < n; i++) {
            if (core[i]) {
                d->labels[i] = root_label[parent[i]];
            } else {
                border_ctx c = { parent, core, -1 };
                crm__kdtree_radius(tree, CRM_ROW(x, i), r2, border_fn, &c);
                d->labels[i] = c.best >= 0 ? root_label[c.best] : -1;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            d->n_noise += d->labels[i] < 0;
        }
        d->cores = crm_mallocarray((size_t)(d->n_core > 0 ? d->n_core : 1) * (size_t)dim,
                                   sizeof *d->cores);
        d->core_label =
            crm_mallocarray((size_t)(d->n_core > 0 ? d->n_core : 1), sizeof *d->core_label);
        if (d->cores == NULL || d->core_label == NULL) {
            rc = crm__error_nomem(err);
        }
        for (int64_t i = 0, c = 0; rc == CRM_OK && i < n; i++) {
            if (core[i]) {
                memcpy(d->cores + (size_t)c * (size_t)dim, CRM_ROW(x, i),
                       (size_t)dim * sizeof *d->cores);
                d->core_label[c++] = d->labels[i];
            }
        }
    }
    crm__kdtree_free(tree);
    CRM__FREE(core, parent, root_label);
    if (rc == CRM_OK) {
        rc = build_cores(d, err);
    }
    if (rc != CRM_OK) {
        crm_dbscan_free(d);
        return rc;
    }
    (void)crm_progress_report(progress, "dbscan", 1.0);
    *out = d;
    return CRM_OK;
}

crm_status crm_dbscan_assign(const crm_dbscan *d,
                             const crm_matrix *x,
                             int32_t *labels,
                             double *dist,
                             crm_error *err)
{
    const crm__kd_assign a = { .who = "dbscan",
                               .tree = d->tree,
                               .dim = d->dim,
                               .r2 = d->p.eps * d->p.eps,
                               .label = d->core_label,
                               .nt = crm__cluster_threads(d->p.n_threads) };
    return crm__kdtree_assign(&a, x, labels, dist, err);
}

int32_t crm_dbscan_k(const crm_dbscan *d)
{
    return d->k;
}

int32_t crm_dbscan_dim(const crm_dbscan *d)
{
    return d->dim;
}

crm_dbscan_params crm_dbscan_params_used(const crm_dbscan *d)
{
    return d->p;
}

const int32_t *crm_dbscan_labels(const crm_dbscan *d)
{
    return d->labels;
}

int64_t crm_dbscan_n_rows(const crm_dbscan *d)
{
    return d->n_rows;
}

int64_t crm_dbscan_n_core(const crm_dbscan *d)
{
    return d->n_core;
}

int64_t crm_dbscan_n_noise(const crm_dbscan *d)
{
    return d->n_noise;
}

const double *crm_dbscan_cores(const crm_dbscan *d)
{
    return d->cores;
}

const int32_t *crm_dbscan_core_labels(const crm_dbscan *d)
{
    return d->core_label;
}

/* Section layout: u32 version (1), f64 eps, i32 min_samples, i32 dim, i32 k, i64 n_rows,
 * i64 n_noise, i64 n_core, f64s cores[n_core * dim], i32s core_label[n_core]. Save and load
 * share the lists below. */
#define DBSCAN_HEAD(d, version)                                                                    \
    CRM_FIELD(version), CRM_FIELD(&(d)->p.eps), CRM_FIELD(&(d)->p.min_samples),                    \
        CRM_FIELD(&(d)->dim), CRM_FIELD(&(d)->k), CRM_FIELD(&(d)->n_rows),                         \
        CRM_FIELD(&(d)->n_noise), CRM_FIELD(&(d)->n_core)
#define DBSCAN_BODY(d)                                                                             \
    CRM_FIELDS((d)->cores, (int64_t)(d)->dim * d->n_core), CRM_FIELDS((d)->core_label, (d)->n_core)

crm_status crm_dbscan_save(const crm_dbscan *d, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = DBSCAN_VERSION;
    const crm_field f[] = { DBSCAN_HEAD(d, &version), DBSCAN_BODY(d) };
    crm_status rc = crm_model_begin(w, DBSCAN_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_dbscan_load(const crm_model_reader *r, crm_dbscan **out, crm_error *err)
{
    crm_section s;
    crm_dbscan *d;
    uint32_t version = 0;
    crm_status rc = crm_model_section(r, DBSCAN_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    d = crm_calloc(1, sizeof *d);
    if (d == NULL) {
        return crm__error_nomem(err);
    }
    d->p = crm_dbscan_params_default();
    {
        const crm_field head[] = { DBSCAN_HEAD(d, &version) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    if (s.failed || version != DBSCAN_VERSION || !(d->p.eps > 0) || !isfinite(d->p.eps) ||
        d->p.min_samples < 1 || d->dim < 1 || d->k < 0 || d->n_rows < 0 || d->n_noise < 0 ||
        d->n_noise > d->n_rows || d->n_core < 0 || d->n_core > d->n_rows ||
        (d->k > 0) != (d->n_core > 0) || d->k > d->n_core ||
        (uint64_t)d->n_core * ((uint64_t)d->dim * 8u + 4u) != (uint64_t)(s.len - s.pos)) {
        crm_dbscan_free(d);
        return crm_model_malformed(r, DBSCAN_SECTION, err);
    }
    d->cores =
        crm_mallocarray((size_t)(d->n_core > 0 ? d->n_core : 1) * (size_t)d->dim, sizeof *d->cores);
    d->core_label = crm_mallocarray((size_t)(d->n_core > 0 ? d->n_core : 1), sizeof *d->core_label);
    if (d->cores == NULL || d->core_label == NULL) {
        crm_dbscan_free(d);
        return crm__error_nomem(err);
    }
    {
        const crm_field body[] = { DBSCAN_BODY(d) };
        (void)crm_section_get_fields(&s, body, CRM_N_FIELDS(body));
    }
    rc = !s.failed && crm__points_ok(d->cores, d->core_label, d->n_core, d->dim, d->k)
             ? crm_section_finish(&s, r, err)
             : crm_model_malformed(r, DBSCAN_SECTION, err);

    if (rc == CRM_OK) {
        rc = build_cores(d, err);
    }
    if (rc != CRM_OK) {
        crm_dbscan_free(d);
        return rc;
    }
    *out = d;
    return CRM_OK;
}
