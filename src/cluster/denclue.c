/* denclue.c: DENCLUE with DENCLUE 2.0 hill climbing (crmkit/denclue.h). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/denclue.h>
#include <crmkit/rng.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define DC_SECTION "denclue"
#define DC_VERSION 1u

struct crm_denclue {
    crm_denclue_params p;
    int32_t dim;
    int32_t k;
    int32_t n_att;
    double *att; /* n_att x dim kept attractors */
    int32_t *att_label;
    double *reach;   /* k: largest distance from a row to its attractor */
    int32_t *labels; /* training; NULL after load */
    crm__kdtree *tree;
};

crm_denclue_params crm_denclue_params_default(void)
{
    return (crm_denclue_params){
        .h = 0.5, .xi = 5.0, .tol = 1e-2, .max_iter = 100, .max_climbs = CRM_DENCLUE_MAX_CLIMBS
    };
}

crm_status crm_denclue_params_check(const crm_denclue_params *p, crm_error *err)
{
    const char *bad = NULL;
    if (!(p->h > 0) || !isfinite(p->h)) {
        bad = "h must be a number > 0";
    } else if (!(p->xi >= 0) || !isfinite(p->xi)) {
        bad = "xi must be a number >= 0";
    } else if (!(p->tol > 0) || !isfinite(p->tol)) {
        bad = "tol must be a number > 0";
    } else if (p->max_iter < 1) {
        bad = "max_iter must be >= 1";
    } else if (p->n_threads < 0) {
        bad = "n_threads must be >= 0";
    } else if (p->max_climbs < 0) {
        bad = "max_climbs must be >= 0";
    }
    return bad ? crm__error_set(err, CRM_EINVAL, "denclue: %s", bad) : CRM_OK;
}

void crm_denclue_free(crm_denclue *d)
{
    if (d == NULL) {
        return;
    }
    crm__kdtree_free(d->tree);
    CRM__FREE(d->att, d->att_label, d->reach, d->labels, d);
}

typedef struct kde_ctx {
    const double *pts; /* rows, flat */
    int32_t dim;
    double inv2h2;
    double w;
    double *wx;
} kde_ctx;

static void kde_fn(void *ud, int64_t j, double d2)
{
    kde_ctx *c = ud;
    double w = exp(-d2 * c->inv2h2);
    const double *p = c->pts + (size_t)j * (size_t)c->dim;
    c->w += w;
    for (int32_t a = 0; a < c->dim; a++) {
        c->wx[a] += w * p[a];
    }
}

typedef struct join_ctx {
    int64_t *parent;
    const uint8_t *noise;
    int64_t self;
} join_ctx;

static int64_t uf_find(int64_t *parent, int64_t i)
{
    int64_t r = i;
    while (parent[r] != r) {
        r = parent[r];
    }
    while (parent[i] != r) {
        int64_t n = parent[i];
        parent[i] = r;
        i = n;
    }
    return r;
}

static void join_fn(void *ud, int64_t j, double d2)
{
    join_ctx *c = ud;
    (void)d2;
    if (j > c->self && !c->noise[j]) {
        int64_t a = uf_find(c->parent, c->self);
        int64_t b = uf_find(c->parent, j);
        if (a < b) {
            c->parent[b] = a;
        } else if (b < a) {
            c->parent[a] = b;
        }
    }
}

crm_status crm_denclue_fit(const crm_denclue_params *p,
                           const crm_matrix *x,
                           const crm_progress *progress,
                           crm_denclue **out,
                           crm_error *err)
{
    crm_denclue *d = NULL;
    int64_t n = x->n_rows; /* rows labelled */
    int64_t m;             /* rows climbed from: n, or a sample of max_climbs */
    int64_t *rows = NULL;  /* the sample's rows, ascending (m < n) */
    int32_t *assigned = NULL;
    int32_t dim = (int32_t)x->n_cols;
    double scale; /* the sample's density to the table's */
    double *pts = NULL;
    double *att = NULL;
    uint8_t *noise = NULL;
    int64_t *parent = NULL;
    int32_t *root_label = NULL;
    crm__kdtree *tree = NULL;
    crm__kdtree *atree = NULL;
    double r2 = 9.0 * p->h * p->h; /* kernel cut at 3 h */
    int nt;
    int oom = 0;
    crm__loop_progress lp;
    crm_status rc = crm_denclue_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (n < 1 || dim < 1) {
        return crm__error_set(err, CRM_EDATA, "denclue: no rows to cluster");
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    nt = crm__cluster_threads(p->n_threads);
    m = p->max_climbs > 0 && n > p->max_climbs ? p->max_climbs : n;
    scale = (double)n / (double)m;
    d = crm_calloc(1, sizeof *d);
    pts = crm_mallocarray((size_t)m * (size_t)dim, sizeof *pts);
    att = crm_mallocarray((size_t)m * (size_t)dim, sizeof *att);
    noise = crm_calloc((size_t)m, 1);
    parent = crm_mallocarray((size_t)m, sizeof *parent);
    root_label = crm_mallocarray((size_t)m, sizeof *root_label);
    if (m < n) {
        rows = crm_mallocarray((size_t)m, sizeof *rows);
        assigned = crm_mallocarray((size_t)n, sizeof *assigned);
    }
    if (d == NULL || pts == NULL || att == NULL || noise == NULL || parent == NULL ||
        root_label == NULL || (m < n && (rows == NULL || assigned == NULL))) {
        rc = crm__error_nomem(err);
        goto done;
    }
    d->p = *p;
    d->dim = dim;
    d->labels = crm_mallocarray((size_t)n, sizeof *d->labels);
    if (d->labels == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    if (m < n) { /* selection sampling: each row kept with probability (left to take) / (left) */
        crm_rng rng;
        crm_rng_seed(&rng, p->seed);
        for (int64_t i = 0, j = 0; j < m; i++) {
            if ((int64_t)crm_rng_below(&rng, (uint64_t)(n - i)) < m - j) {
                rows[j++] = i;
            }
        }
    }
    for (int64_t i = 0; i < m; i++) {
        memcpy(pts + (size_t)i * (size_t)dim, CRM_ROW(x, m < n ? rows[i] : i),
               (size_t)dim * sizeof *pts);
    }
    rc = crm__kdtree_build(pts, m, dim, &tree, err);
    if (rc != CRM_OK) {
        goto done;
    }
    crm__loop_progress_init(&lp, progress, "denclue: attractors", 0.0, 0.8, m);
#pragma omp parallel num_threads(nt)
    {
        double *wx = crm_mallocarray((size_t)dim, sizeof *wx);
        double *y = crm_mallocarray((size_t)dim, sizeof *y);
        if (wx == NULL || y == NULL) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp for schedule(dynamic, 64)
        for (int64_t i = 0; i < m; i++) {
            kde_ctx c = { pts, dim, 1.0 / (2.0 * p->h * p->h), 0, wx };
            if (wx == NULL || y == NULL || !crm__loop_tick(&lp, 1)) {
                continue;
            }
            memcpy(y, pts + (size_t)i * (size_t)dim, (size_t)dim * sizeof *y);
            for (int32_t it = 0; it < p->max_iter; it++) {
                double step = 0;
                c.w = 0;
                memset(wx, 0, (size_t)dim * sizeof *wx);
                crm__kdtree_radius(tree, y, r2, kde_fn, &c);
                if (!(c.w > 0)) {
                    break;
                }
                for (int32_t a = 0; a < dim; a++) {
                    double v = wx[a] / c.w;
                    step += (v - y[a]) * (v - y[a]);
                    y[a] = v;
                }
                if (sqrt(step) < p->tol * p->h) {
                    break;
                }
            }
            c.w = 0;
            memset(wx, 0, (size_t)dim * sizeof *wx);
            crm__kdtree_radius(tree, y, r2, kde_fn, &c);
            if (m < n) {
                /* the row itself is in the table once, the sample's others stand for scale
                 * rows each (a lone row is not made dense by the sampling) */
                double d2 = crm__sq_dist(y, pts + (size_t)i * (size_t)dim, dim);
                double self = d2 <= r2 ? exp(-d2 * c.inv2h2) : 0.0;
                noise[i] = self + (c.w - self) * scale < p->xi;
            } else {
                noise[i] = c.w < p->xi;
            }
            memcpy(att + (size_t)i * (size_t)dim, y, (size_t)dim * sizeof *y);
        }
        crm_free(wx);
        crm_free(y);
    }
    if (oom) {
        rc = crm__error_nomem(err);
        goto done;
    }
    if (lp.stop || !crm_progress_report(progress, "denclue: clusters", 0.8)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        goto done;
    }
    /* join attractors within h */
    rc = crm__kdtree_build(att, m, dim, &atree, err);
    if (rc != CRM_OK) {
        goto done;
    }
    for (int64_t i = 0; i < m; i++) {
        parent[i] = i;
    }
    for (int64_t i = 0; i < m; i++) {
        if (!noise[i]) {
            join_ctx c = { parent, noise, i };
            crm__kdtree_radius(atree, att + (size_t)i * (size_t)dim, p->h * p->h, join_fn, &c);
        }
    }
    for (int64_t i = 0; i < m; i++) {
        parent[i] = uf_find(parent, i);
        if (!noise[i] && parent[i] == i) {
            root_label[i] = d->k++;
        }
    }
    d->reach = crm_calloc((size_t)(d->k > 0 ? d->k : 1), sizeof *d->reach);
    d->att = crm_mallocarray((size_t)m * (size_t)dim, sizeof *d->att);
    d->att_label = crm_mallocarray((size_t)m, sizeof *d->att_label);
    if (d->reach == NULL || d->att == NULL || d->att_label == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < m; i++) {
        const double *ai = att + (size_t)i * (size_t)dim;
        int32_t l = noise[i] ? -1 : root_label[parent[i]];
        int keep = l >= 0;
        d->labels[m < n ? rows[i] : i] = l;
        if (l < 0) {
            continue;
        }
        {
            double r = sqrt(crm__sq_dist(ai, pts + (size_t)i * (size_t)dim, dim));
            if (r > d->reach[l]) {
                d->reach[l] = r;
            }
        }
        for (int32_t j = 0; keep && j < d->n_att; j++) {
            if (d->att_label[j] == l &&
                crm__sq_dist(ai, d->att + (size_t)j * (size_t)dim, dim) < 0.25 * p->h * p->h) {
                keep = 0;
            }
        }
        if (keep) {
            memcpy(d->att + (size_t)d->n_att * (size_t)dim, ai, (size_t)dim * sizeof *ai);
            d->att_label[d->n_att++] = l;
        }
    }
    for (int32_t j = 0; j < d->k; j++) {
        d->reach[j] += 0.5 * p->h; /* a row's own attractor is within h / 2 of a kept one */
    }
    rc = crm__kdtree_build(d->att, d->n_att, dim, &d->tree, err);
    if (rc == CRM_OK && m < n) { /* the rows off the sample, as new customers */
        rc = crm_denclue_assign(d, x, assigned, NULL, err);
        for (int64_t i = 0, j = 0; rc == CRM_OK && i < n; i++) {
            if (j < m && rows[j] == i) {
                j++;
            } else {
                d->labels[i] = assigned[i];
            }
        }
    }
done:
    crm__kdtree_free(tree);
    crm__kdtree_free(atree);
    CRM__FREE(pts, att, noise, parent, root_label, rows, assigned);
    if (rc != CRM_OK) {
        crm_denclue_free(d);
        return rc;
    }
    (void)crm_progress_report(progress, "denclue", 1.0);
    *out = d;
    return CRM_OK;
}

crm_status crm_denclue_assign(const crm_denclue *d,
                              const crm_matrix *x,
                              int32_t *labels,
                              double *dist,
                              crm_error *err)
{
    const crm__kd_assign a = { .who = "denclue",
                               .tree = d->tree,
                               .dim = d->dim,
                               .r2 = HUGE_VAL,
                               .label = d->att_label,
                               .reach = d->reach,
                               .nt = crm__cluster_threads(d->p.n_threads) };
    return crm__kdtree_assign(&a, x, labels, dist, err);
}

int32_t crm_denclue_k(const crm_denclue *d)
{
    return d->k;
}

int32_t crm_denclue_dim(const crm_denclue *d)
{
    return d->dim;
}

int32_t crm_denclue_n_attractors(const crm_denclue *d)
{
    return d->n_att;
}

crm_denclue_params crm_denclue_params_used(const crm_denclue *d)
{
    return d->p;
}

const int32_t *crm_denclue_labels(const crm_denclue *d)
{
    return d->labels;
}

/* Section layout: u32 version (1), f64 h, f64 xi, f64 tol, i32 max_iter, i32 dim, i32 k,
 * i32 n_att, f64s reach[k], f64s att[n_att * dim], i32s att_label[n_att]. Save and load
 * share the lists below. */
#define DC_HEAD(d, version)                                                                        \
    CRM_FIELD(version), CRM_FIELD(&(d)->p.h), CRM_FIELD(&(d)->p.xi), CRM_FIELD(&(d)->p.tol),       \
        CRM_FIELD(&(d)->p.max_iter), CRM_FIELD(&(d)->dim), CRM_FIELD(&(d)->k),                     \
        CRM_FIELD(&(d)->n_att)
#define DC_BODY(d)                                                                                 \
    CRM_FIELDS((d)->reach, (d)->k), CRM_FIELDS((d)->att, (int64_t)(d)->n_att * d->dim),            \
        CRM_FIELDS((d)->att_label, (d)->n_att)

crm_status crm_denclue_save(const crm_denclue *d, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = DC_VERSION;
    const crm_field f[] = { DC_HEAD(d, &version), DC_BODY(d) };
    crm_status rc = crm_model_begin(w, DC_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_denclue_load(const crm_model_reader *r, crm_denclue **out, crm_error *err)
{
    crm_section s;
    crm_denclue *d;
    uint32_t version = 0;
    crm_status rc = crm_model_section(r, DC_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    d = crm_calloc(1, sizeof *d);
    if (d == NULL) {
        return crm__error_nomem(err);
    }
    {
        const crm_field head[] = { DC_HEAD(d, &version) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    if (s.failed || version != DC_VERSION || crm_denclue_params_check(&d->p, NULL) != CRM_OK ||
        d->dim < 1 || d->k < 0 || d->n_att < d->k || (d->k == 0) != (d->n_att == 0) ||
        (uint64_t)d->k * 8u + (uint64_t)d->n_att * ((uint64_t)d->dim * 8u + 4u) !=
            (uint64_t)(s.len - s.pos)) {
        crm_denclue_free(d);
        return crm_model_malformed(r, DC_SECTION, err);
    }
    d->reach = crm_mallocarray((size_t)(d->k > 0 ? d->k : 1), sizeof *d->reach);
    d->att =
        crm_mallocarray((size_t)(d->n_att > 0 ? d->n_att : 1) * (size_t)d->dim, sizeof *d->att);
    d->att_label = crm_mallocarray((size_t)(d->n_att > 0 ? d->n_att : 1), sizeof *d->att_label);
    if (d->reach == NULL || d->att == NULL || d->att_label == NULL) {
        crm_denclue_free(d);
        return crm__error_nomem(err);
    }
    {
        const crm_field body[] = { DC_BODY(d) };
        (void)crm_section_get_fields(&s, body, CRM_N_FIELDS(body));
    }
    for (int32_t j = 0; !s.failed && j < d->k; j++) {
        if (!(d->reach[j] >= 0) || !isfinite(d->reach[j])) {
            s.failed = 1;
        }
    }
    rc = !s.failed && crm__points_ok(d->att, d->att_label, d->n_att, d->dim, d->k)
             ? crm_section_finish(&s, r, err)
             : crm_model_malformed(r, DC_SECTION, err);

    if (rc == CRM_OK) {
        rc = crm__kdtree_build(d->att, d->n_att, d->dim, &d->tree, err);
    }
    if (rc != CRM_OK) {
        crm_denclue_free(d);
        return rc;
    }
    *out = d;
    return CRM_OK;
}
