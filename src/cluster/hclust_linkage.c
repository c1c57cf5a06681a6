/* hclust_linkage.c: the linkage matrix of a set of points (crm_hclust_linkage).
 *
 * Ward, complete, average: nearest-neighbour chain (Murtagh, "A survey of recent advances in
 * hierarchical clustering algorithms", The Computer Journal 26(4), 1983; Mullner, "Modern
 * hierarchical, agglomerative clustering algorithms", arXiv:1109.2378, 2011). Complete and
 * average work on the condensed matrix of Euclidean distances, updated by the Lance-Williams
 * formulas; Ward needs no matrix: its distance is a function of the clusters' centres and
 * sizes, so the chain keeps those (O(n dim) memory, contiguous reads, about 3x faster). The chain
 * grows from the lowest live index; the search from the chain's top prefers the previous element of
 * the chain on ties, then the lowest index, so the merges are the ones scipy records.
 *
 * Single: Prim's minimum spanning tree, the distances computed when needed (O(n) memory).
 *
 * Both give merges in the order found; they are then sorted by height (stable) and relabelled
 * with a union-find into scipy's form: a < b, new clusters numbered n, n + 1, ... */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <crmkit/hclust.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Index of pair (i, j), i < j, in the condensed matrix. */
static inline size_t cidx(size_t n, size_t i, size_t j)
{
    return n * i - i * (i + 1) / 2 + j - i - 1;
}

static double euclid(const crm_matrix *x, int64_t i, int64_t j)
{
    return sqrt(crm__sq_dist(CRM_ROW(x, i), CRM_ROW(x, j), x->n_cols));
}

/* Stable sort of the merges by height, then scipy's labels and sizes. */
static crm_status finish(double *z, int64_t n, const double *w, crm_error *err)
{
    int64_t m = n - 1;
    int64_t *order = crm_mallocarray((size_t)(m > 0 ? m : 1), sizeof *order);
    int64_t *tmp = crm_mallocarray((size_t)(m > 0 ? m : 1), sizeof *tmp);
    double *zz = crm_mallocarray((size_t)(m > 0 ? m : 1) * 4, sizeof *zz);
    int64_t *parent = crm_mallocarray((size_t)(2 * n), sizeof *parent);
    double *size = crm_mallocarray((size_t)(2 * n), sizeof *size);
    crm_status rc = CRM_OK;
    if (order == NULL || tmp == NULL || zz == NULL || parent == NULL || size == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < m; i++) {
        order[i] = i;
    }
    /* bottom-up merge sort on the heights (stable) */
    for (int64_t width = 1; width < m; width *= 2) {
        for (int64_t lo = 0; lo < m; lo += 2 * width) {
            int64_t mid = lo + width < m ? lo + width : m;
            int64_t hi = lo + 2 * width < m ? lo + 2 * width : m;
            int64_t a = lo;
            int64_t b = mid;
            int64_t t = lo;
            while (a < mid && b < hi) {
                tmp[t++] = z[order[b] * 4 + 2] < z[order[a] * 4 + 2] ? order[b++] : order[a++];
            }
            while (a < mid) {
                tmp[t++] = order[a++];
            }
            while (b < hi) {
                tmp[t++] = order[b++];
            }
        }
        memcpy(order, tmp, (size_t)m * sizeof *order);
    }
    for (int64_t i = 0; i < m; i++) {
        memcpy(zz + i * 4, z + order[i] * 4, 4 * sizeof *zz);
    }
    for (int64_t i = 0; i < 2 * n; i++) {
        parent[i] = i;
        size[i] = (i < n) ? (w ? w[i] : 1.0) : 0.0;
    }
    for (int64_t i = 0; i < m; i++) {
        int64_t ra = (int64_t)zz[i * 4];
        int64_t rb = (int64_t)zz[i * 4 + 1];
        while (parent[ra] != ra) {
            parent[ra] = parent[parent[ra]];
            ra = parent[ra];
        }
        while (parent[rb] != rb) {
            parent[rb] = parent[parent[rb]];
            rb = parent[rb];
        }
        z[i * 4] = (double)(ra < rb ? ra : rb);
        z[i * 4 + 1] = (double)(ra < rb ? rb : ra);
        z[i * 4 + 2] = zz[i * 4 + 2];
        size[n + i] = size[ra] + size[rb];
        z[i * 4 + 3] = size[n + i];
        parent[ra] = n + i;
        parent[rb] = n + i;
    }
done:
    CRM__FREE(order, tmp, zz, parent, size);
    return rc;
}

/* Prim: merges (x, y, height) in the order the tree grows. */
static crm_status single_linkage(const crm_matrix *x,
                                 const double *w,
                                 int nt,
                                 const crm_progress *progress,
                                 double *z,
                                 crm_error *err)
{
    int64_t n = x->n_rows;
    double *best = crm_mallocarray((size_t)n, sizeof *best);
    unsigned char *done = crm_calloc((size_t)n, 1);
    int64_t cur = 0;
    (void)w;
    (void)nt;
    if (best == NULL || done == NULL) {
        crm_free(best);
        crm_free(done);
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        best[i] = INFINITY;
    }
    for (int64_t k = 0; k < n - 1; k++) {
        double dmin = INFINITY;
        int64_t y = -1;
        done[cur] = 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (n > 8192)
        for (int64_t i = 0; i < n; i++) {
            if (!done[i]) {
                double d = euclid(x, cur, i);
                if (d < best[i]) {
                    best[i] = d;
                }
            }
        }
        for (int64_t i = 0; i < n; i++) {
            if (!done[i] && (best[i] < dmin || y < 0)) {
                dmin = best[i];
                y = i;
            }
        }
        z[k * 4] = (double)cur;
        z[k * 4 + 1] = (double)y;
        z[k * 4 + 2] = dmin;
        z[k * 4 + 3] = 0.0;
        cur = y;
        if ((k & 1023) == 0 && !crm_progress_report(progress, "linkage", (double)k / (double)n)) {
            crm_free(best);
            crm_free(done);
            return crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    crm_free(best);
    crm_free(done);
    return CRM_OK;
}

/* Lance-Williams update for complete and average linkage. */
static inline double lance_williams(crm_linkage l, double dxi, double dyi, double nx, double ny)
{
    if (l == CRM_LINKAGE_COMPLETE) {
        return dxi > dyi ? dxi : dyi;
    }
    return (nx * dxi + ny * dyi) / (nx + ny); /* average */
}

/* The working state of the chain: the condensed matrix d, where pair (i, j), i < j, sits at
 * row[i] + j; the live clusters in increasing order (live[0..m)); sizes. */
typedef struct nnc {
    double *d;
    int64_t *row;
    int64_t *live;
    int64_t m;
    double *size;
    int64_t n;
    crm_linkage l;
} nnc;

static inline double *at(const nnc *s, int64_t i, int64_t j)
{
    return i < j ? s->d + s->row[i] + j : s->d + s->row[j] + i;
}

/* Nearest live neighbour of c in live[lo..hi) (excluding c): strictly smaller values win, so
 * the lowest index wins ties. */
static void
nearest_part(const nnc *s, int64_t c, int64_t lo, int64_t hi, double *best, int64_t *arg)
{
    double b = *best;
    int64_t a = *arg;
    int64_t t = lo;
    const double *d = s->d;
    for (; t < hi && s->live[t] < c; t++) {
        int64_t i = s->live[t];
        double v = d[s->row[i] + c];
        if (v < b) {
            b = v;
            a = i;
        }
    }
    if (t < hi && s->live[t] == c) {
        t++;
    }
    {
        const double *r = d + s->row[c];
        for (; t < hi; t++) {
            int64_t i = s->live[t];
            double v = r[i];
            if (v < b) {
                b = v;
                a = i;
            }
        }
    }
    *best = b;
    *arg = a;
}

/* Nearest live neighbour of c; start is the preferred candidate on ties (or -1), then the
 * lowest index. One thread: a parallel region per search (about 3n of them) costs more than
 * it saves, badly so on a busy machine. */
static int64_t nearest(const void *ctx, int64_t c, int64_t start, double *dist)
{
    const nnc *s = ctx;
    double best = start >= 0 ? *at(s, c, start) : (double)INFINITY;
    int64_t arg = start;
    nearest_part(s, c, 0, s->m, &best, &arg);
    *dist = best;
    return arg;
}

/* Remove a from the sorted live[0, *m). */
static void drop_live(int64_t *live, int64_t *m, int64_t a)
{
    int64_t lo = 0;
    int64_t hi = *m;
    while (lo < hi) { /* binary search: live is sorted */
        int64_t mid = (lo + hi) / 2;
        if (live[mid] < a) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    memmove(live + lo, live + lo + 1, (size_t)(*m - lo - 1) * sizeof *live);
    (*m)--;
}

/* Nearest live cluster to c (not c), start (or -1) winning ties, then the lowest index; its
 * distance in *dist. ctx: the chain's data (nnc or wardc). */
typedef int64_t (*nearest_fn)(const void *ctx, int64_t c, int64_t start, double *dist);

/* One step of the nearest-neighbour chain: start it at first when empty, grow it until its
 * top two are reciprocal nearest neighbours and take them off: a < b, at distance *d. */
static void chain_pair(int64_t *chain,
                       int64_t *len,
                       int64_t first,
                       nearest_fn nn,
                       const void *ctx,
                       int64_t *a,
                       int64_t *b,
                       double *d)
{
    int64_t x;
    int64_t y;
    if (*len == 0) {
        chain[(*len)++] = first;
    }
    for (;;) {
        int64_t top = chain[*len - 1];
        int64_t prev = *len > 1 ? chain[*len - 2] : -1;
        int64_t near = nn(ctx, top, prev, d);
        if (*len > 1 && near == prev) {
            break;
        }
        chain[(*len)++] = near;
    }
    x = chain[*len - 1];
    y = chain[*len - 2];
    *len -= 2;
    *a = x < y ? x : y;
    *b = x < y ? y : x;
}

/* What the matrix chain and Ward's chain on centres do differently. */
typedef struct chain_ops {
    nearest_fn nearest;
    /* b becomes the union of a (already off the live list) and b, of sizes na and nb */
    void (*merge)(void *ctx, int64_t a, int64_t b, double na, double nb);
    int squared; /* nearest gives squared distances: the merge heights are their roots */
} chain_ops;

/* The nearest-neighbour chain over the *m clusters of live (sorted) with sizes size: n - 1
 * merges into the linkage matrix z, a row (a, b, height, size) each. */
static crm_status run_chain(const chain_ops *ops,
                            void *ctx,
                            int64_t *live,
                            int64_t *m,
                            double *size,
                            int64_t *chain,
                            const crm_progress *progress,
                            double *z,
                            crm_error *err)
{
    int64_t n = *m;
    int64_t len = 0;
    for (int64_t k = 0; k < n - 1; k++) {
        int64_t a;
        int64_t b;
        double d = 0.0;
        double na;
        double nb;
        chain_pair(chain, &len, live[0], ops->nearest, ctx, &a, &b, &d);
        na = size[a];
        nb = size[b];
        z[k * 4] = (double)a;
        z[k * 4 + 1] = (double)b;
        z[k * 4 + 2] = ops->squared ? sqrt(d) : d;
        z[k * 4 + 3] = na + nb;
        drop_live(live, m, a);
        ops->merge(ctx, a, b, na, nb);
        size[a] = 0.0;
        size[b] = na + nb;
        if ((k & 1023) == 0 && !crm_progress_report(progress, "linkage", (double)k / (double)n)) {
            return crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    return CRM_OK;
}

/* Lance-Williams update of the distances to b, the union of a and b. */
static void matrix_merge(void *ctx, int64_t a, int64_t b, double na, double nb)
{
    nnc *s = ctx;
    for (int64_t t = 0; t < s->m; t++) {
        int64_t i = s->live[t];
        if (i != b) {
            double *ib = at(s, i, b);
            *ib = lance_williams(s->l, *at(s, i, a), *ib, na, nb);
        }
    }
}

static crm_status nn_chain(const crm_matrix *x,
                           const double *w,
                           crm_linkage l,
                           int nt,
                           const crm_progress *progress,
                           double *z,
                           crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    size_t n_pairs = (size_t)n * (size_t)(n - 1) / 2;
    int64_t *chain = crm_mallocarray((size_t)n, sizeof *chain);
    const chain_ops ops = { nearest, matrix_merge, 0 };
    crm_status rc;
    nnc s;
    (void)nt;
    s.l = l;
    s.n = n;
    s.m = n;
    s.d = crm_mallocarray(n_pairs, sizeof *s.d);
    s.row = crm_mallocarray((size_t)n, sizeof *s.row);
    s.live = crm_mallocarray((size_t)n, sizeof *s.live);
    s.size = crm_mallocarray((size_t)n, sizeof *s.size);
    if (s.d == NULL || s.row == NULL || s.live == NULL || s.size == NULL || chain == NULL) {
        CRM__FREE(s.d, s.row, s.live, s.size, chain);
        return crm__error_set(err, CRM_ENOMEM,
                              "out of memory for the distance matrix of %lld rows (%.1f GB)",
                              (long long)n, (double)n_pairs * 8e-9);
    }
    /* touched all over at every merge: huge pages save most TLB misses */
    crm__advise_huge(s.d, n_pairs * sizeof *s.d);
    for (int64_t i = 0; i < n; i++) {
        s.row[i] = (int64_t)cidx((size_t)n, (size_t)i, (size_t)i + 1) - (i + 1);
        s.live[i] = i;
        s.size[i] = w ? w[i] : 1.0;
    }
    /* distances between the rows (or, weighted, between the micro-clusters' centres) */
#pragma omp parallel for schedule(dynamic, 32) num_threads(nt) if (n > 512)
    for (int64_t i = 0; i < n; i++) {
        double *r = s.d + s.row[i];
        const double *xi = CRM_ROW(x, i);
        for (int64_t j = i + 1; j < n; j++) {
            const double *xj = CRM_ROW(x, j);
            double q = 0.0;
            for (int64_t t = 0; t < dim; t++) {
                double v = xi[t] - xj[t];
                q += v * v;
            }
            r[j] = sqrt(q);
        }
    }
    rc = run_chain(&ops, &s, s.live, &s.m, s.size, chain, progress, z, err);
    CRM__FREE(s.d, s.row, s.live, s.size, chain);
    return rc;
}

/* Ward without the matrix: the Lance-Williams Ward distance of two clusters is
 * 2 n_a n_b / (n_a + n_b) |c_a - c_b|^2 (squared), so the chain can work on the clusters'
 * centres and sizes (O(n dim) memory, every access contiguous), merging centres as weighted
 * means. The same chain, ties and merges as on the matrix, up to rounding. */
static inline double ward2(const double *c, const double *size, int64_t dim, int64_t i, int64_t j)
{
    const double *a = c + i * dim;
    const double *b = c + j * dim;
    double q = 0.0;
    for (int64_t t = 0; t < dim; t++) {
        double v = a[t] - b[t];
        q += v * v;
    }
    return 2.0 * size[i] * size[j] / (size[i] + size[j]) * q;
}

/* The clusters Ward's chain works on: centres (n x dim), sizes, the live ones (sorted). */
typedef struct wardc {
    double *c;
    double *size;
    int64_t *live;
    int64_t m;
    int64_t dim;
} wardc;

static int64_t ward_nearest(const void *ctx, int64_t top, int64_t prev, double *dist)
{
    const wardc *s = ctx;
    double best = prev >= 0 ? ward2(s->c, s->size, s->dim, top, prev) : (double)INFINITY;
    int64_t y = prev;
    for (int64_t t = 0; t < s->m; t++) {
        int64_t i = s->live[t];
        double v;
        if (i == top) {
            continue;
        }
        v = ward2(s->c, s->size, s->dim, top, i);
        if (v < best) {
            best = v;
            y = i;
        }
    }
    *dist = best;
    return y;
}

/* The centre of b becomes the weighted mean of those of a and b. */
static void ward_merge(void *ctx, int64_t a, int64_t b, double na, double nb)
{
    wardc *s = ctx;
    double *ca = s->c + a * s->dim;
    double *cb = s->c + b * s->dim;
    for (int64_t t = 0; t < s->dim; t++) {
        cb[t] = (na * ca[t] + nb * cb[t]) / (na + nb);
    }
}

static crm_status ward_vectors(const crm_matrix *x,
                               const double *w,
                               const crm_progress *progress,
                               double *z,
                               crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    wardc s = { .c = crm_mallocarray((size_t)n * (size_t)dim, sizeof(double)),
                .size = crm_mallocarray((size_t)n, sizeof(double)),
                .live = crm_mallocarray((size_t)n, sizeof(int64_t)),
                .m = n,
                .dim = dim };
    int64_t *chain = crm_mallocarray((size_t)n, sizeof *chain);
    const chain_ops ops = { ward_nearest, ward_merge, 1 };
    crm_status rc = CRM_OK;
    if (s.c == NULL || s.size == NULL || s.live == NULL || chain == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(s.c + i * dim, CRM_ROW(x, i), (size_t)dim * sizeof *s.c);
        s.size[i] = w ? w[i] : 1.0;
        s.live[i] = i;
    }
    rc = run_chain(&ops, &s, s.live, &s.m, s.size, chain, progress, z, err);
done:
    CRM__FREE(s.c, s.size, s.live, chain);
    return rc;
}

crm_status crm_hclust_linkage(const crm_matrix *x,
                              const double *weights,
                              crm_linkage linkage,
                              const crm_progress *progress,
                              double *z,
                              crm_error *err)
{
    int nt = crm__cluster_threads(0);
    crm_status rc;
    if ((unsigned)linkage > CRM_LINKAGE_SINGLE) {
        return crm__error_set(err, CRM_EINVAL, "unknown linkage %d", (int)linkage);
    }
    if (x->n_rows < 2) {
        return crm__error_set(err, CRM_EDATA, "hierarchical clustering needs at least 2 rows");
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; weights != NULL && i < x->n_rows; i++) {
        if (!(weights[i] >= 1.0) || isinf(weights[i])) {
            return crm__error_set(err, CRM_EINVAL, "weight %lld is not a finite number >= 1",
                                  (long long)i + 1);
        }
    }
    if (linkage == CRM_LINKAGE_SINGLE) {
        rc = single_linkage(x, weights, nt, progress, z, err);
    } else if (linkage == CRM_LINKAGE_WARD) {
        rc = ward_vectors(x, weights, progress, z, err);
    } else {
        rc = nn_chain(x, weights, linkage, nt, progress, z, err);
    }
    if (rc == CRM_OK) {
        rc = finish(z, x->n_rows, weights, err);
    }
    return rc;
}
