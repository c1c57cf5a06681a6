/* kdtree.c: a static k-d tree over the rows of a matrix (cluster_internal.h), for the range
 * queries of DBSCAN. Memory: the rows copied in tree order, their original indices, and one
 * node (with its bounding box) per at most 12 rows: O(n dim). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#define KD_LEAF 24

typedef struct kd_node {
    int64_t lo, hi;      /* rows [lo, hi) in tree order */
    int32_t left, right; /* children, -1 for a leaf */
} kd_node;

struct crm__kdtree {
    int64_t n;
    int32_t dim;
    double *pts;   /* n x dim, tree order */
    int64_t *idx;  /* tree position -> original row */
    kd_node *node; /* node 0 is the root */
    double *box;   /* per node: dim minima then dim maxima */
    int32_t n_nodes;
    int32_t cap;
    int64_t swaps; /* rows swapped while building (crm__kdtree_row_swaps) */
};

static void box_of(crm__kdtree *t, int32_t v)
{
    int32_t d = t->dim;
    double *mn = t->box + (size_t)v * 2 * (size_t)d;
    double *mx = mn + d;
    for (int32_t a = 0; a < d; a++) {
        mn[a] = HUGE_VAL;
        mx[a] = -HUGE_VAL;
    }
    for (int64_t i = t->node[v].lo; i < t->node[v].hi; i++) {
        const double *p = t->pts + (size_t)i * (size_t)d;
        for (int32_t a = 0; a < d; a++) {
            if (p[a] < mn[a]) {
                mn[a] = p[a];
            }
            if (p[a] > mx[a]) {
                mx[a] = p[a];
            }
        }
    }
}

static void swap_rows(crm__kdtree *t, int64_t i, int64_t j, double *tmp)
{
    size_t sz = (size_t)t->dim * sizeof(double);
    int64_t s = t->idx[i];
    t->swaps++;
    memcpy(tmp, t->pts + (size_t)i * (size_t)t->dim, sz);
    memcpy(t->pts + (size_t)i * (size_t)t->dim, t->pts + (size_t)j * (size_t)t->dim, sz);
    memcpy(t->pts + (size_t)j * (size_t)t->dim, tmp, sz);
    t->idx[i] = t->idx[j];
    t->idx[j] = s;
}

/* Row i before row j on column a: by value, ties by original index (a strict order, so the
 * tree depends on nothing but the data). */
static int row_before(const crm__kdtree *t, int64_t i, int64_t j, int32_t a)
{
    double u = t->pts[(size_t)i * (size_t)t->dim + (size_t)a];
    double v = t->pts[(size_t)j * (size_t)t->dim + (size_t)a];
    return u < v || (u == v && t->idx[i] < t->idx[j]);
}

static int64_t mid_row(const crm__kdtree *t, int64_t i, int64_t j, int64_t k, int32_t a)
{
    if (row_before(t, i, j, a)) {
        return row_before(t, j, k, a) ? j : row_before(t, i, k, a) ? k : i;
    }
    return row_before(t, i, k, a) ? i : row_before(t, j, k, a) ? k : j;
}

/* Heapsort of rows [lo, hi) on column a: selection's bound. */
static void sift_rows(crm__kdtree *t, int64_t lo, int64_t root, int64_t n, int32_t a, double *tmp)
{
    for (int64_t c = 2 * root + 1; c < n; c = 2 * root + 1) {
        c += c + 1 < n && row_before(t, lo + c, lo + c + 1, a);
        if (!row_before(t, lo + root, lo + c, a)) {
            return;
        }
        swap_rows(t, lo + root, lo + c, tmp);
        root = c;
    }
}

static void sort_rows(crm__kdtree *t, int64_t lo, int64_t hi, int32_t a, double *tmp)
{
    int64_t n = hi - lo;
    for (int64_t i = n / 2; i-- > 0;) {
        sift_rows(t, lo, i, n, a, tmp);
    }
    for (int64_t i = n - 1; i > 0; i--) {
        swap_rows(t, lo, lo + i, tmp);
        sift_rows(t, lo, 0, i, a, tmp);
    }
}

/* Quickselect: rows [lo, hi) reordered so that position m holds the m-th row in row_before's
 * order, the rows before it on its left. The pivot is the median of three medians of three
 * spread over the range (a middle pivot took quadratic time on a column that rises then
 * falls); past about log2(n) rounds that keep more than 7/8 of the range, it is sorted. */
static void select_nth(crm__kdtree *t, int64_t lo, int64_t hi, int64_t m, int32_t a, double *tmp)
{
    int32_t d = t->dim;
    int bad_rounds = 1 + crm__log2_floor(hi - lo);
    while (hi - lo > 1) {
        int64_t len = hi - lo;
        int64_t store = lo;
        int64_t p;
        double pv;
        int64_t pi;
        if (len >= 64) {
            int64_t e = len / 8;
            p = mid_row(t, mid_row(t, lo, lo + e, lo + 2 * e, a),
                        mid_row(t, lo + 3 * e, lo + len / 2, lo + 5 * e, a),
                        mid_row(t, lo + 6 * e, lo + 7 * e, hi - 1, a), a);
        } else {
            p = mid_row(t, lo, lo + len / 2, hi - 1, a);
        }
        swap_rows(t, p, hi - 1, tmp);
        pv = t->pts[(size_t)(hi - 1) * (size_t)d + (size_t)a];
        pi = t->idx[hi - 1];
        for (int64_t i = lo; i < hi - 1; i++) {
            double v = t->pts[(size_t)i * (size_t)d + (size_t)a];
            if (v < pv || (v == pv && t->idx[i] < pi)) {
                swap_rows(t, i, store, tmp);
                store++;
            }
        }
        swap_rows(t, store, hi - 1, tmp);
        if (store == m) {
            return;
        }
        if ((m < store ? store - lo : hi - store - 1) * 8 > len * 7 && --bad_rounds < 0) {
            sort_rows(t, lo, hi, a, tmp);
            return;
        }
        if (m < store) {
            hi = store;
        } else {
            lo = store + 1;
        }
    }
}

static int32_t build(crm__kdtree *t, int64_t lo, int64_t hi, double *tmp)
{
    int32_t v = t->n_nodes++;
    int32_t d = t->dim;
    t->node[v].lo = lo;
    t->node[v].hi = hi;
    t->node[v].left = t->node[v].right = -1;
    box_of(t, v);
    if (hi - lo > KD_LEAF) {
        const double *mn = t->box + (size_t)v * 2 * (size_t)d;
        const double *mx = mn + d;
        int32_t best = 0;
        for (int32_t a = 1; a < d; a++) {
            if (mx[a] - mn[a] > mx[best] - mn[best]) {
                best = a;
            }
        }
        if (mx[best] > mn[best]) {
            int64_t m = lo + (hi - lo) / 2;
            int32_t l;
            int32_t r;
            select_nth(t, lo, hi, m, best, tmp);
            l = build(t, lo, m, tmp);
            r = build(t, m, hi, tmp);
            t->node[v].left = l;
            t->node[v].right = r;
        }
    }
    return v;
}

crm_status
crm__kdtree_build(const double *x, int64_t n, int32_t dim, crm__kdtree **out, crm_error *err)
{
    crm__kdtree *t = crm_calloc(1, sizeof *t);
    double *tmp;
    *out = NULL;
    if (t == NULL) {
        return crm__error_nomem(err);
    }
    t->n = n;
    t->dim = dim;
    t->cap = (int32_t)(4 * (n / (KD_LEAF / 2) + 1)) + 4; /* halving splits: < 2n/12 + 2 nodes */
    t->pts = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)dim, sizeof *t->pts);
    t->idx = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *t->idx);
    t->node = crm_mallocarray((size_t)t->cap, sizeof *t->node);
    t->box = crm_mallocarray((size_t)t->cap * 2 * (size_t)dim, sizeof *t->box);
    tmp = crm_mallocarray((size_t)dim, sizeof *tmp);
    if (t->pts == NULL || t->idx == NULL || t->node == NULL || t->box == NULL || tmp == NULL) {
        crm_free(tmp);
        crm__kdtree_free(t);
        return crm__error_nomem(err);
    }
    if (n > 0) {
        memcpy(t->pts, x, (size_t)n * (size_t)dim * sizeof *x);
    }
    for (int64_t i = 0; i < n; i++) {
        t->idx[i] = i;
    }
    if (n > 0) {
        (void)build(t, 0, n, tmp);
    }
    crm_free(tmp);
    *out = t;
    return CRM_OK;
}

void crm__kdtree_free(crm__kdtree *t)
{
    if (t == NULL) {
        return;
    }
    CRM__FREE(t->pts, t->idx, t->node, t->box, t);
}

static double box_d2(const crm__kdtree *t, int32_t v, const double *q)
{
    int32_t d = t->dim;
    const double *mn = t->box + (size_t)v * 2 * (size_t)d;
    const double *mx = mn + d;
    double s = 0;
    for (int32_t a = 0; a < d; a++) {
        double e = 0;
        if (q[a] < mn[a]) {
            e = mn[a] - q[a];
        } else if (q[a] > mx[a]) {
            e = q[a] - mx[a];
        }
        s += e * e;
    }
    return s;
}

static double row_d2(const crm__kdtree *t, int64_t i, const double *q)
{
    const double *p = t->pts + (size_t)i * (size_t)t->dim;
    double s = 0;
    for (int32_t a = 0; a < t->dim; a++) {
        double e = q[a] - p[a];
        s += e * e;
    }
    return s;
}

/* Depth of the tree is below 64 for any n that fits memory (halving splits). */
#define KD_STACK 128

/* Call fn(ud, i, d2) for every row i (tree order) within r2 of q, leaf by leaf depth-first,
 * until fn returns 0. */
static inline void visit(const crm__kdtree *t,
                         const double *q,
                         double r2,
                         int (*fn)(void *ud, int64_t i, double d2),
                         void *ud)
{
    int32_t stack[KD_STACK];
    int sp = 0;
    if (t->n == 0) {
        return;
    }
    stack[sp++] = 0;
    while (sp > 0) {
        int32_t v = stack[--sp];
        const kd_node *nd = &t->node[v];
        if (box_d2(t, v, q) > r2) {
            continue;
        }
        if (nd->left < 0) {
            for (int64_t i = nd->lo; i < nd->hi; i++) {
                double d2 = row_d2(t, i, q);
                if (d2 <= r2 && !fn(ud, i, d2)) {
                    return;
                }
            }
        } else {
            stack[sp++] = nd->right;
            stack[sp++] = nd->left;
        }
    }
}

typedef struct count_ctx {
    int64_t c, stop_at;
} count_ctx;

static int count_row(void *ud, int64_t i, double d2)
{
    count_ctx *cc = ud;
    (void)i;
    (void)d2;
    return ++cc->c < cc->stop_at;
}

int64_t crm__kdtree_count(const crm__kdtree *t, const double *q, double r2, int64_t stop_at)
{
    count_ctx cc = { 0, stop_at };
    if (stop_at > 0) {
        visit(t, q, r2, count_row, &cc);
    }
    return cc.c < stop_at ? cc.c : stop_at;
}

typedef struct radius_ctx {
    const crm__kdtree *t;
    void (*fn)(void *ud, int64_t row, double d2);
    void *ud;
} radius_ctx;

static int radius_row(void *ud, int64_t i, double d2)
{
    radius_ctx *rc = ud;
    rc->fn(rc->ud, rc->t->idx[i], d2);
    return 1;
}

void crm__kdtree_radius(const crm__kdtree *t,
                        const double *q,
                        double r2,
                        void (*fn)(void *ud, int64_t row, double d2),
                        void *ud)
{
    radius_ctx rc = { t, fn, ud };
    visit(t, q, r2, radius_row, &rc);
}

int64_t crm__kdtree_nearest(const crm__kdtree *t, const double *q, double r2, double *d2)
{
    int32_t stack[KD_STACK];
    int sp = 0;
    int64_t best = -1;
    double bd = r2;
    if (t->n == 0) {
        return -1;
    }
    stack[sp++] = 0;
    while (sp > 0) {
        int32_t v = stack[--sp];
        const kd_node *nd = &t->node[v];
        if (box_d2(t, v, q) > bd) {
            continue;
        }
        if (nd->left < 0) {
            for (int64_t i = nd->lo; i < nd->hi; i++) {
                double e = row_d2(t, i, q);
                if (e < bd || (e == bd && (best < 0 || t->idx[i] < best))) {
                    bd = e;
                    best = t->idx[i];
                }
            }
        } else {
            /* nearer child last, so it is searched first */
            double dl = box_d2(t, nd->left, q);
            double dr = box_d2(t, nd->right, q);
            if (dl <= dr) {
                stack[sp++] = nd->right;
                stack[sp++] = nd->left;
            } else {
                stack[sp++] = nd->left;
                stack[sp++] = nd->right;
            }
        }
    }
    if (d2 != NULL) {
        *d2 = best >= 0 ? bd : (double)NAN;
    }
    return best;
}

int crm__points_ok(const double *pts, const int32_t *label, int64_t n, int32_t dim, int32_t k)
{
    for (int64_t i = 0; i < n; i++) {
        if (label[i] < 0 || label[i] >= k) {
            return 0;
        }
    }
    for (size_t j = 0; j < (size_t)n * (size_t)dim; j++) {
        if (!isfinite(pts[j])) {
            return 0;
        }
    }
    return 1;
}

crm_status crm__kdtree_assign(const crm__kd_assign *a,
                              const crm_matrix *x,
                              int32_t *labels,
                              double *dist,
                              crm_error *err)
{
    if (x->n_cols != a->dim) {
        return crm__error_set(err, CRM_EINVAL, "%s: %lld columns, the model has %d", a->who,
                              (long long)x->n_cols, (int)a->dim);
    }
#pragma omp parallel for num_threads(a->nt) schedule(dynamic, 256)
    for (int64_t i = 0; i < x->n_rows; i++) {
        double d2 = (double)NAN;
        int64_t p = crm__kdtree_nearest(a->tree, CRM_ROW(x, i), a->r2, &d2);
        int32_t l = p >= 0 ? a->label[p] : -1;
        if (l >= 0 && a->reach != NULL && d2 > a->reach[l] * a->reach[l]) {
            l = -1;
        }
        labels[i] = l;
        if (dist != NULL) {
            dist[i] = d2;
        }
    }
    return CRM_OK;
}

int64_t crm__kdtree_row_swaps(const crm__kdtree *t)
{
    return t->swaps;
}
