/* knn.c: exact k-nearest-neighbour search (BLAS brute force and a k-d tree) and voting.
 *
 * Both searches rank training rows by (exact squared distance, row index), where the exact
 * squared distance is the plain left-to-right sum of squared differences computed by one
 * function (sqdist). Brute force takes ||q||^2 - 2 q.x + ||x||^2 from cblas_dgemm over
 * fixed tiles only as a filter: a row is re-measured exactly when the GEMM value minus a
 * rounding bound could still beat the current k-th best. The k-d tree (median splits on the
 * widest dimension) prunes a far child only when the squared distance to the splitting plane,
 * which never exceeds the exact sum computed in floating point, is strictly larger than the
 * k-th best. Hence the two searches return identical neighbours, ties to the lowest index.
 * Reference: Friedman, Bentley and Finkel, An algorithm for finding best matches in
 * logarithmic expected time, ACM TOMS 3(3), 1977. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/knn.h>

#include "core/core_internal.h"
#include "models_util.h"

#define KNN_QUERY_BLOCK 128  /* query rows per parallel task */
#define KNN_TRAIN_TILE  2048 /* training rows per GEMM tile */
#define KNN_MAX_K       100000

typedef struct kd_node {
    int64_t start;
    int64_t end;
    double split;
    int32_t dim;
    int32_t left; /* -1 for a leaf */
    int32_t right;
} kd_node;

struct crm_knn {
    crm_knn_params params;
    int32_t n_classes; /* 0 until fitted */
    crm_matrix x;      /* copy of the training rows */
    int32_t *y;
    double *xx; /* squared norms of the training rows */
    crm_knn_algo used;
    int64_t *perm; /* k-d tree: training rows in leaf order */
    kd_node *nodes;
    int32_t n_nodes;
    int32_t cap_nodes;
};

/* Bounded max-heap of (squared distance, row) pairs: the k best so far. */
typedef struct heap {
    double *d;
    int64_t *i;
    int32_t n;
    int32_t k;
} heap;

crm_knn_params crm_knn_params_default(void)
{
    return (crm_knn_params){ .k = 5,
                             .weights = CRM_KNN_UNIFORM,
                             .algo = CRM_KNN_AUTO,
                             .leaf_size = 16,
                             .kdtree_max_dim = 8 };
}

crm_status crm_knn_params_check(const crm_knn_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "KNN parameters are NULL");
    }
    if (p->k < 1 || p->k > KNN_MAX_K) {
        return crm__error_set(err, CRM_EINVAL, "k must be in [1, %d], got %d", KNN_MAX_K, p->k);
    }
    if (p->weights != CRM_KNN_UNIFORM && p->weights != CRM_KNN_DISTANCE) {
        return crm__error_set(err, CRM_EINVAL, "weights must be uniform or distance");
    }
    if (p->algo != CRM_KNN_AUTO && p->algo != CRM_KNN_BRUTE && p->algo != CRM_KNN_KDTREE) {
        return crm__error_set(err, CRM_EINVAL, "algo must be auto, brute or kdtree");
    }
    if (p->leaf_size < 1 || p->leaf_size > 1000000) {
        return crm__error_set(err, CRM_EINVAL, "leaf_size must be in [1, 1000000], got %d",
                              p->leaf_size);
    }
    if (p->kdtree_max_dim < 0) {
        return crm__error_set(err, CRM_EINVAL, "kdtree_max_dim must be >= 0, got %d",
                              p->kdtree_max_dim);
    }
    return CRM_OK;
}

/* Back to the unfitted state: what the fit allocated freed, every field but params zero. */
static void clear_fit(crm_knn *knn)
{
    crm_knn_params p = knn->params;
    crm_matrix_fini(&knn->x);
    crm_free(knn->xx); /* with y */
    crm_free(knn->perm);
    crm_free(knn->nodes);
    memset(knn, 0, sizeof *knn);
    knn->params = p;
}

CRM__MDL_DEFINE_NEW_FREE(knn, (void), clear_fit)

/* The one definition of the exact squared distance: a left-to-right sum. */
static double sqdist(const double *restrict a, const double *restrict b, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static int pair_less(double da, int64_t ia, double db, int64_t ib)
{
    return da < db || (da == db && ia < ib);
}

static double heap_worst(const heap *h)
{
    return h->n < h->k ? HUGE_VAL : h->d[0];
}

/* Where (d, i) goes when it replaces the root: the children larger than it move up. */
static int32_t sift_down(heap *h, double d, int64_t i)
{
    int32_t pos = 0;
    for (;;) {
        int32_t c = 2 * pos + 1;
        if (c >= h->n) {
            return pos;
        }
        if (c + 1 < h->n && pair_less(h->d[c], h->i[c], h->d[c + 1], h->i[c + 1])) {
            c++;
        }
        if (!pair_less(d, i, h->d[c], h->i[c])) {
            return pos;
        }
        h->d[pos] = h->d[c];
        h->i[pos] = h->i[c];
        pos = c;
    }
}

static void heap_push(heap *h, double d, int64_t i)
{
    int32_t pos;
    if (h->n == h->k) {
        if (!pair_less(d, i, h->d[0], h->i[0])) {
            return;
        }
        pos = sift_down(h, d, i); /* replace the root */
    } else {
        pos = h->n++;
        while (pos > 0) {
            int32_t parent = (pos - 1) / 2;
            if (!pair_less(h->d[parent], h->i[parent], d, i)) {
                break;
            }
            h->d[pos] = h->d[parent];
            h->i[pos] = h->i[parent];
            pos = parent;
        }
    }
    h->d[pos] = d;
    h->i[pos] = i;
}

/* Empty the heap into ascending order (out_d holds squared distances). */
static void heap_sorted(heap *h, double *out_d, int64_t *out_i)
{
    while (h->n > 0) {
        int32_t last = --h->n;
        double d = h->d[last];
        int64_t i = h->i[last];
        int32_t pos;
        out_d[last] = h->d[0];
        out_i[last] = h->i[0];
        pos = sift_down(h, d, i); /* re-insert the last element from the root */
        if (h->n > 0) {
            h->d[pos] = d;
            h->i[pos] = i;
        }
    }
}

/* ---- k-d tree ---- */

static int key_less(const crm_knn *knn, int32_t dim, int64_t a, int64_t b)
{
    double va = CRM_ROW(&knn->x, a)[dim];
    double vb = CRM_ROW(&knn->x, b)[dim];
    return va < vb || (va == vb && a < b);
}

static void swap_i64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/* Place the nth smallest (value in dim, row) of p[lo, hi) at p[nth], smaller ones before. */
static void
select_nth(const crm_knn *knn, int32_t dim, int64_t *p, int64_t lo, int64_t hi, int64_t nth)
{
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t store = lo;
        /* median of three to hi - 1 */
        if (key_less(knn, dim, p[mid], p[lo])) {
            swap_i64(&p[mid], &p[lo]);
        }
        if (key_less(knn, dim, p[hi - 1], p[lo])) {
            swap_i64(&p[hi - 1], &p[lo]);
        }
        if (key_less(knn, dim, p[mid], p[hi - 1])) {
            swap_i64(&p[mid], &p[hi - 1]);
        }
        for (int64_t i = lo; i < hi - 1; i++) {
            if (key_less(knn, dim, p[i], p[hi - 1])) {
                swap_i64(&p[i], &p[store++]);
            }
        }
        swap_i64(&p[store], &p[hi - 1]);
        if (nth == store) {
            return;
        }
        if (nth < store) {
            hi = store;
        } else {
            lo = store + 1;
        }
    }
}

static int32_t add_node(crm_knn *knn, int64_t start, int64_t end)
{
    kd_node *nd;
    if (knn->n_nodes == knn->cap_nodes) {
        int32_t cap = knn->cap_nodes > 0 ? knn->cap_nodes * 2 : 64;
        kd_node *grown = crm_realloc(knn->nodes, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        knn->nodes = grown;
        knn->cap_nodes = cap;
    }
    nd = &knn->nodes[knn->n_nodes];
    nd->start = start;
    nd->end = end;
    nd->split = 0;
    nd->dim = 0;
    nd->left = -1;
    nd->right = -1;
    return knn->n_nodes++;
}

/* Build the subtree over perm[start, end); returns its node index or -1 (out of memory). */
static int32_t build(crm_knn *knn, int64_t start, int64_t end)
{
    int32_t id = add_node(knn, start, end);
    int32_t best_dim = 0;
    double best_spread = 0;
    int64_t mid;
    double split;
    int32_t left;
    int32_t right;
    if (id < 0 || end - start <= knn->params.leaf_size) {
        return id;
    }
    for (int32_t j = 0; j < (int32_t)knn->x.n_cols; j++) {
        double lo = HUGE_VAL;
        double hi = -HUGE_VAL;
        for (int64_t i = start; i < end; i++) {
            double v = CRM_ROW(&knn->x, knn->perm[i])[j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi - lo > best_spread) {
            best_spread = hi - lo;
            best_dim = j;
        }
    }
    if (best_spread == 0) {
        return id; /* all rows identical: a leaf */
    }
    mid = start + (end - start) / 2;
    select_nth(knn, best_dim, knn->perm, start, end, mid);
    /* Read the split now: building the children reorders perm inside each half. */
    split = CRM_ROW(&knn->x, knn->perm[mid])[best_dim];
    left = build(knn, start, mid);
    right = left < 0 ? -1 : build(knn, mid, end);
    if (right < 0) {
        return -1;
    }
    knn->nodes[id].dim = best_dim;
    knn->nodes[id].split = split;
    knn->nodes[id].left = left;
    knn->nodes[id].right = right;
    return id;
}

static crm_status build_tree(crm_knn *knn, crm_error *err)
{
    int64_t n = knn->x.n_rows;
    crm_free(knn->perm);
    crm_free(knn->nodes);
    knn->nodes = NULL;
    knn->n_nodes = 0;
    knn->cap_nodes = 0;
    knn->perm = crm_mallocarray((size_t)n, sizeof *knn->perm);
    if (knn->perm == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        knn->perm[i] = i;
    }
    if (build(knn, 0, n) < 0) {
        crm_free(knn->perm);
        crm_free(knn->nodes);
        knn->perm = NULL;
        knn->nodes = NULL;
        knn->n_nodes = 0;
        knn->cap_nodes = 0;
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

static void kd_search(const crm_knn *knn, int32_t id, const double *q, heap *h)
{
    const kd_node *nd = &knn->nodes[id];
    double diff;
    if (nd->left < 0) {
        for (int64_t p = nd->start; p < nd->end; p++) {
            int64_t i = knn->perm[p];
            heap_push(h, sqdist(q, CRM_ROW(&knn->x, i), knn->x.n_cols), i);
        }
        return;
    }
    diff = q[nd->dim] - nd->split;
    kd_search(knn, diff < 0 ? nd->left : nd->right, q, h);
    /* Points beyond the plane are at least diff^2 away (exact in floating point too). */
    if (diff * diff <= heap_worst(h)) {
        kd_search(knn, diff < 0 ? nd->right : nd->left, q, h);
    }
}

/* ---- searching ---- */

typedef struct search_ws {
    double *tile; /* KNN_QUERY_BLOCK x KNN_TRAIN_TILE */
    double *qq;   /* KNN_QUERY_BLOCK */
    double *hd;   /* KNN_QUERY_BLOCK x k */
    int64_t *hi;
} search_ws;

static void brute_block(const crm_knn *knn,
                        const crm_matrix *q,
                        int64_t r0,
                        int64_t r1,
                        search_ws *ws,
                        heap *hs)
{
    int64_t d = knn->x.n_cols;
    int64_t n = knn->x.n_rows;
    double tol = (8.0 * (double)d + 32.0) * DBL_EPSILON;
    for (int64_t r = r0; r < r1; r++) {
        const double *row = CRM_ROW(q, r);
        double s = 0;
        for (int64_t j = 0; j < d; j++) {
            s += row[j] * row[j];
        }
        ws->qq[r - r0] = s;
    }
    for (int64_t t0 = 0; t0 < n; t0 += KNN_TRAIN_TILE) {
        int64_t nt = n - t0 < KNN_TRAIN_TILE ? n - t0 : KNN_TRAIN_TILE;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), (int)nt, (int)d, 1.0,
                    CRM_ROW(q, r0), (int)q->ld, CRM_ROW(&knn->x, t0), (int)knn->x.ld, 0.0, ws->tile,
                    (int)nt);
        for (int64_t r = r0; r < r1; r++) {
            heap *h = &hs[r - r0];
            const double *g = ws->tile + (r - r0) * nt;
            double qq = ws->qq[r - r0];
            for (int64_t t = 0; t < nt; t++) {
                double xx = knn->xx[t0 + t];
                double approx = qq - 2.0 * g[t] + xx;
                if (approx - tol * (qq + xx) > heap_worst(h)) {
                    continue;
                }
                heap_push(h, sqdist(CRM_ROW(q, r), CRM_ROW(&knn->x, t0 + t), d), t0 + t);
            }
        }
    }
}

static void search_block(const crm_knn *knn,
                         const crm_matrix *q,
                         int64_t r0,
                         int64_t r1,
                         search_ws *ws,
                         int64_t *ind,
                         double *dist2)
{
    heap hs[KNN_QUERY_BLOCK];
    int32_t k = knn->params.k;
    for (int64_t r = r0; r < r1; r++) {
        hs[r - r0].d = ws->hd + (r - r0) * k;
        hs[r - r0].i = ws->hi + (r - r0) * k;
        hs[r - r0].n = 0;
        hs[r - r0].k = k;
    }
    if (knn->used == CRM_KNN_KDTREE) {
        for (int64_t r = r0; r < r1; r++) {
            kd_search(knn, 0, CRM_ROW(q, r), &hs[r - r0]);
        }
    } else {
        brute_block(knn, q, r0, r1, ws, hs);
    }
    for (int64_t r = r0; r < r1; r++) {
        heap_sorted(&hs[r - r0], dist2 + r * k, ind + r * k);
    }
}

/* Neighbours of every row of q: ind[n*k], dist2[n*k] squared distances. */
static crm_status
search(const crm_knn *knn, const crm_matrix *q, int64_t *ind, double *dist2, crm_error *err)
{
    int64_t n_blocks = (q->n_rows + KNN_QUERY_BLOCK - 1) / KNN_QUERY_BLOCK;
    int failed = 0;
    int32_t k = knn->params.k;
#pragma omp parallel
    {
        search_ws ws;
        ws.tile = crm_mallocarray((size_t)KNN_QUERY_BLOCK * KNN_TRAIN_TILE, sizeof(double));
        ws.qq = crm_mallocarray(KNN_QUERY_BLOCK, sizeof(double));
        ws.hd = crm_mallocarray((size_t)KNN_QUERY_BLOCK * (size_t)k, sizeof(double));
        ws.hi = crm_mallocarray((size_t)KNN_QUERY_BLOCK * (size_t)k, sizeof(int64_t));
        if (ws.tile == NULL || ws.qq == NULL || ws.hd == NULL || ws.hi == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp barrier
        if (!failed) {
#pragma omp for schedule(dynamic, 1)
            for (int64_t b = 0; b < n_blocks; b++) {
                int64_t r0 = b * KNN_QUERY_BLOCK;
                int64_t r1 = r0 + KNN_QUERY_BLOCK < q->n_rows ? r0 + KNN_QUERY_BLOCK : q->n_rows;
                search_block(knn, q, r0, r1, &ws, ind, dist2);
            }
        }
        crm_free(ws.tile);
        crm_free(ws.qq);
        crm_free(ws.hd);
        crm_free(ws.hi);
    }
    return failed ? crm__error_nomem(err) : CRM_OK;
}

/* ---- public ---- */

static crm_status choose_algo(crm_knn *knn, crm_knn_algo algo, crm_error *err)
{
    crm_knn_algo use = algo;
    if (use == CRM_KNN_AUTO) {
        use = knn->x.n_cols <= knn->params.kdtree_max_dim ? CRM_KNN_KDTREE : CRM_KNN_BRUTE;
    }
    if (use == CRM_KNN_KDTREE && knn->nodes == NULL) {
        crm_status rc = build_tree(knn, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    knn->used = use;
    return CRM_OK;
}

crm_status
crm_knn_fit(crm_knn *knn, const crm_matrix *x, const int32_t *y, int32_t n_classes, crm_error *err)
{
    crm_status rc;
    if (knn == NULL) {
        return crm__error_set(err, CRM_EINVAL, "model is NULL");
    }
    clear_fit(knn);
    rc = crm__mdl_check_train(x, y, n_classes, 0, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (knn->params.k > x->n_rows) {
        return crm__error_set(err, CRM_EINVAL, "k = %d is larger than the %lld training rows",
                              knn->params.k, (long long)x->n_rows);
    }
    rc = crm_matrix_copy(&knn->x, x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    /* one block that xx heads: xx (doubles), y (int32) */
    knn->xx = crm_malloc((size_t)x->n_rows * (sizeof *knn->xx + sizeof *knn->y));
    if (knn->xx == NULL) {
        clear_fit(knn);
        return crm__error_nomem(err);
    }
    knn->y = (int32_t *)(void *)(knn->xx + x->n_rows);
    memcpy(knn->y, y, (size_t)x->n_rows * sizeof *y);
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(&knn->x, i);
        double s = 0;
        for (int64_t j = 0; j < x->n_cols; j++) {
            s += row[j] * row[j];
        }
        knn->xx[i] = s;
    }
    knn->n_classes = n_classes;
    rc = choose_algo(knn, knn->params.algo, err);
    if (rc != CRM_OK) {
        clear_fit(knn);
    }
    return rc;
}

crm_status crm_knn_set_algo(crm_knn *knn, crm_knn_algo algo, crm_error *err)
{
    if (knn == NULL || knn->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "KNN model is not fitted");
    }
    if (algo != CRM_KNN_AUTO && algo != CRM_KNN_BRUTE && algo != CRM_KNN_KDTREE) {
        return crm__error_set(err, CRM_EINVAL, "algo must be auto, brute or kdtree");
    }
    return choose_algo(knn, algo, err);
}

static crm_status
check_query(const crm_knn *knn, const crm_matrix *q, const void *out, crm_error *err)
{
    crm_status rc;
    if (knn == NULL || knn->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "KNN model is not fitted");
    }
    rc = crm__mdl_check_predict(q, knn->x.n_cols, out, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (q->n_rows > 0 && q->ld > INT32_MAX) {
        return crm__error_set(err, CRM_ELIMIT, "query rows are too wide");
    }
    return crm_matrix_check_finite(q, err);
}

crm_status crm_knn_kneighbors(const crm_knn *knn,
                              const crm_matrix *q,
                              int64_t *ind,
                              double *dist,
                              crm_error *err)
{
    double *d2 = dist;
    crm_status rc = check_query(knn, q, ind, err);
    size_t nk;
    if (rc != CRM_OK) {
        return rc;
    }
    nk = (size_t)q->n_rows * (size_t)knn->params.k;
    if (d2 == NULL) {
        d2 = crm_mallocarray(nk > 0 ? nk : 1, sizeof *d2);
        if (d2 == NULL) {
            return crm__error_nomem(err);
        }
    }
    rc = search(knn, q, ind, d2, err);
    if (dist == NULL) {
        crm_free(d2);
    } else {
        for (size_t i = 0; i < nk; i++) {
            dist[i] = sqrt(dist[i]);
        }
    }
    return rc;
}

static void vote_row(const crm_knn *knn, const int64_t *ind, const double *d2, double *p)
{
    int32_t k = knn->params.k;
    int32_t C = knn->n_classes;
    int has_zero = 0;
    double total = 0;
    memset(p, 0, (size_t)C * sizeof *p);
    if (knn->params.weights == CRM_KNN_DISTANCE) {
        for (int32_t j = 0; j < k; j++) {
            has_zero |= d2[j] == 0;
        }
    }
    for (int32_t j = 0; j < k; j++) {
        double w = 1.0;
        if (knn->params.weights == CRM_KNN_DISTANCE) {
            w = has_zero ? (d2[j] == 0 ? 1.0 : 0.0) : 1.0 / sqrt(d2[j]);
        }
        p[knn->y[ind[j]]] += w;
    }
    for (int32_t c = 0; c < C; c++) {
        total += p[c];
    }
    for (int32_t c = 0; c < C; c++) {
        p[c] /= total;
    }
}

crm_status
crm_knn_predict_proba(const crm_knn *knn, const crm_matrix *q, double *proba, crm_error *err)
{
    int64_t *ind;
    double *d2;
    size_t nk;
    crm_status rc = check_query(knn, q, proba, err);
    if (rc != CRM_OK) {
        return rc;
    }
    nk = (size_t)q->n_rows * (size_t)knn->params.k;
    ind = crm_mallocarray(nk > 0 ? nk : 1, sizeof *ind);
    d2 = crm_mallocarray(nk > 0 ? nk : 1, sizeof *d2);
    if (ind == NULL || d2 == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    rc = search(knn, q, ind, d2, err);
    for (int64_t i = 0; rc == CRM_OK && i < q->n_rows; i++) {
        vote_row(knn, ind + i * knn->params.k, d2 + i * knn->params.k, proba + i * knn->n_classes);
    }
done:
    crm_free(ind);
    crm_free(d2);
    return rc;
}

static crm_status knn_proba(const void *knn, const crm_matrix *q, double *out, crm_error *err)
{
    return crm_knn_predict_proba(knn, q, out, err);
}

crm_status crm_knn_predict(const crm_knn *knn, const crm_matrix *q, int32_t *labels, crm_error *err)
{
    crm_status rc = check_query(knn, q, labels, err);
    const crm__mdl_scorer s = { knn, knn != NULL ? knn->n_classes : 0, knn_proba };
    return rc == CRM_OK ? crm__mdl_predict_labels(&s, q, labels, err) : rc;
}

int32_t crm_knn_n_classes(const crm_knn *knn)
{
    return knn != NULL ? knn->n_classes : 0;
}

int64_t crm_knn_n_features(const crm_knn *knn)
{
    return knn != NULL && knn->n_classes > 0 ? knn->x.n_cols : 0;
}

crm_knn_algo crm_knn_algo_used(const crm_knn *knn)
{
    return knn != NULL ? knn->used : CRM_KNN_AUTO;
}

/* Section: i32 k, i32 weights, i32 algo, i32 leaf_size, i32 kdtree_max_dim, i32 n_classes,
 * i64 n_rows, i64 n_cols, f64s rows[n_rows * n_cols], i32s y[n_rows]. Save and load share the
 * list of the head. */
#define KNN_HEAD(p, wts, algo, C, n, d)                                                            \
    CRM_FIELD(&(p)->k), CRM_FIELD(wts), CRM_FIELD(algo), CRM_FIELD(&(p)->leaf_size),               \
        CRM_FIELD(&(p)->kdtree_max_dim), CRM_FIELD(C), CRM_FIELD(n), CRM_FIELD(d)

crm_status crm_knn_save(const crm_knn *knn, crm_model_writer *w, const char *tag, crm_error *err)
{
    crm_status rc;
    if (knn == NULL || knn->n_classes == 0 || w == NULL) {
        return crm__error_set(err, CRM_ESTATE, "KNN model is not fitted");
    }
    const int32_t wts = (int32_t)knn->params.weights;
    const int32_t algo = (int32_t)knn->params.algo;
    const crm_field head[] = { KNN_HEAD(&knn->params, &wts, &algo, &knn->n_classes, &knn->x.n_rows,
                                        &knn->x.n_cols) };
    rc = crm__mdl_begin(w, tag, "knn", err);
    if (rc == CRM_OK) {
        rc = crm_model_put_fields(w, head, CRM_N_FIELDS(head), err);
    }
    for (int64_t i = 0; i < knn->x.n_rows && rc == CRM_OK; i++) {
        rc = crm_model_put_f64s(w, CRM_ROW(&knn->x, i), (size_t)knn->x.n_cols, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, knn->y, (size_t)knn->x.n_rows, err);
    }
    return rc;
}

static crm_status load_body(void *ctx, crm_section *s, const crm_model_reader *r, crm_error *err)
{
    crm_knn *knn = *(crm_knn **)ctx;
    int32_t wts = 0;
    int32_t algo = 0;
    int32_t C = 0;
    int64_t n = 0;
    int64_t d = 0;
    crm_matrix x = { 0, 0, 0, NULL };
    int32_t *y = NULL;
    crm_status rc;
    const crm_field head[] = { KNN_HEAD(&knn->params, &wts, &algo, &C, &n, &d) };
    (void)crm_section_get_fields(s, head, CRM_N_FIELDS(head));

    knn->params.weights = (crm_knn_weights)wts;
    knn->params.algo = (crm_knn_algo)algo;
    /* C bounded too: a crafted count of classes would size a per-class array (the model
     * file fuzzer found a 2^31-class file that allocated 16 GB) */
    if (s->failed || C < 2 || (C > n && C > 65536) || n < 1 || d < 1 || n > (int64_t)(s->len / 8) ||
        d > (int64_t)(s->len / 8) / n || crm_knn_params_check(&knn->params, NULL) != CRM_OK) {
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has bad sizes or parameters",
                              crm_model_reader_source(r), s->tag);
    }
    rc = crm_matrix_init(&x, n, d, err);
    y = crm_mallocarray((size_t)n, sizeof *y);
    if (rc == CRM_OK && y == NULL) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        crm_section_get_f64s(s, x.data, (size_t)(n * d));
        crm_section_get_i32s(s, y, (size_t)n);
        rc = crm_section_finish(s, r, err);
    }
    if (rc == CRM_OK) {
        rc = crm_knn_fit(knn, &x, y, C, err);
        if (rc != CRM_OK) {
            crm__error_prefix(err, "%s: section \"%s\": ", crm_model_reader_source(r), s->tag);
            rc = rc == CRM_ENOMEM ? rc : CRM_EFORMAT;
            if (err != NULL) {
                err->code = rc;
            }
        }
    }
    crm_matrix_fini(&x);
    crm_free(y);
    return rc;
}

CRM__MDL_DEFINE_LOAD(knn, load_body)
