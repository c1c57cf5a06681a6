/* hclust_linkage.c: the linkage matrix of a set of points (crm_hclust_linkage).
 *
 * Ward, complete, average: nearest-neighbour chain (Murtagh, "A survey of recent advances in
 * hierarchical clustering algorithms", The Computer Journal 26(4), 1983; Mullner, "Modern
 * hierarchical, agglomerative clustering algorithms", arXiv:1109.2378, 2011) over the condensed
 * matrix of Euclidean distances, updated by the Lance-Williams formulas. The chain grows from
 * the lowest live index; the search from the chain's top prefers the previous element of the
 * chain on ties, then the lowest index, so the merges are the ones scipy records.
 *
 * Single: Prim's minimum spanning tree, the distances computed when needed (O(n) memory).
 *
 * Both give merges in the order found; they are then sorted by height (stable) and relabelled
 * with a union-find into scipy's form: a < b, new clusters numbered n, n + 1, ... */
#include <math.h>
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

static inline size_t pidx(size_t n, size_t i, size_t j)
{
    return i < j ? cidx(n, i, j) : cidx(n, j, i);
}

static double euclid(const crm_matrix *x, int64_t i, int64_t j)
{
    return sqrt(crm__sq_dist(CRM_ROW(x, i), CRM_ROW(x, j), x->n_cols));
}

/* Initial dissimilarity of two (weighted) points. Ward between clusters of sizes a and b with
 * centres at distance d is sqrt(2ab / (a + b)) d, which is d for single rows. */
static double initial(const crm_matrix *x, const double *w, crm_linkage l, int64_t i, int64_t j)
{
    double d = euclid(x, i, j);
    if (w != NULL && l == CRM_LINKAGE_WARD) {
        d *= sqrt(2.0 * w[i] * w[j] / (w[i] + w[j]));
    }
    return d;
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
    if (order == NULL || tmp == NULL || zz == NULL || parent == NULL || size == NULL) {
        crm_free(order);
        crm_free(tmp);
        crm_free(zz);
        crm_free(parent);
        crm_free(size);
        return crm__error_nomem(err);
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
    crm_free(order);
    crm_free(tmp);
    crm_free(zz);
    crm_free(parent);
    crm_free(size);
    return CRM_OK;
}

/* Prim: merges (x, y, height) in the order the tree grows. */
static crm_status single_linkage(const crm_matrix *x, const double *w, int nt,
                                 const crm_progress *progress, double *z, crm_error *err)
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
#pragma omp parallel for schedule(static) num_threads(nt) if (n > 2048)
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

static inline double lance_williams(crm_linkage l, double dxi, double dyi, double dxy, double nx,
                                    double ny, double ni)
{
    switch (l) {
    case CRM_LINKAGE_WARD:
        return sqrt(((ni + nx) * dxi * dxi + (ni + ny) * dyi * dyi - ni * dxy * dxy) /
                    (nx + ny + ni));
    case CRM_LINKAGE_COMPLETE:
        return dxi > dyi ? dxi : dyi;
    default: /* average */
        return (nx * dxi + ny * dyi) / (nx + ny);
    }
}

/* Nearest live neighbour of c (excluding c); start is the preferred candidate on ties (or
 * -1). Ties otherwise go to the lowest index. */
static int64_t nearest(const double *d, const double *size, int64_t n, int64_t c, int64_t start,
                       double *dist, int nt)
{
    double best = start >= 0 ? d[pidx((size_t)n, (size_t)c, (size_t)start)] : (double)INFINITY;
    int64_t arg = start;
    (void)nt;
#ifdef _OPENMP
    if (n > 8192 && nt > 1) {
        double bv[64];
        int64_t ba[64];
        int nth = nt < 64 ? nt : 64;
#pragma omp parallel num_threads(nth)
        {
            int t = omp_get_thread_num();
            int tn = omp_get_num_threads();
            int64_t lo = n * t / tn;
            int64_t hi = n * (t + 1) / tn;
            double b = INFINITY;
            int64_t a = -1;
            for (int64_t i = lo; i < hi; i++) {
                double v;
                if (size[i] == 0.0 || i == c) {
                    continue;
                }
                v = d[pidx((size_t)n, (size_t)c, (size_t)i)];
                if (v < b) {
                    b = v;
                    a = i;
                }
            }
            bv[t] = b;
            ba[t] = a;
            if (t == 0) {
                nth = tn;
            }
        }
        for (int t = 0; t < nth; t++) {
            if (ba[t] >= 0 && bv[t] < best) {
                best = bv[t];
                arg = ba[t];
            }
        }
        *dist = best;
        return arg;
    }
#endif
    for (int64_t i = 0; i < c; i++) {
        if (size[i] != 0.0) {
            double v = d[cidx((size_t)n, (size_t)i, (size_t)c)];
            if (v < best) {
                best = v;
                arg = i;
            }
        }
    }
    {
        const double *row = d + cidx((size_t)n, (size_t)c, (size_t)c + 1) - (size_t)(c + 1);
        for (int64_t i = c + 1; i < n; i++) {
            if (size[i] != 0.0 && row[i] < best) {
                best = row[i];
                arg = i;
            }
        }
    }
    *dist = best;
    return arg;
}

static crm_status nn_chain(const crm_matrix *x, const double *w, crm_linkage l, int nt,
                           const crm_progress *progress, double *z, crm_error *err)
{
    int64_t n = x->n_rows;
    size_t n_pairs = (size_t)n * (size_t)(n - 1) / 2;
    double *d = crm_mallocarray(n_pairs, sizeof *d);
    double *size = crm_mallocarray((size_t)n, sizeof *size);
    int64_t *chain = crm_mallocarray((size_t)n, sizeof *chain);
    int64_t len = 0;
    crm_status rc = CRM_OK;
    (void)nt;
    if (d == NULL || size == NULL || chain == NULL) {
        crm_free(d);
        crm_free(size);
        crm_free(chain);
        return crm__error_set(err, CRM_ENOMEM,
                              "out of memory for the distance matrix of %lld rows (%.1f GB)",
                              (long long)n, (double)n_pairs * 8e-9);
    }
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) if (n > 512)
    for (int64_t i = 0; i < n; i++) {
        double *row = d + cidx((size_t)n, (size_t)i, (size_t)i + 1) - (size_t)(i + 1);
        for (int64_t j = i + 1; j < n; j++) {
            row[j] = initial(x, w, l, i, j);
        }
    }
    for (int64_t i = 0; i < n; i++) {
        size[i] = w ? w[i] : 1.0;
    }
    for (int64_t k = 0; k < n - 1; k++) {
        int64_t a;
        int64_t b;
        double dab = 0.0;
        double na;
        double nb;
        if (len == 0) {
            for (int64_t i = 0; i < n; i++) {
                if (size[i] != 0.0) {
                    chain[len++] = i;
                    break;
                }
            }
        }
        for (;;) {
            int64_t top = chain[len - 1];
            int64_t prev = len > 1 ? chain[len - 2] : -1;
            int64_t y = nearest(d, size, n, top, prev, &dab, nt);
            if (len > 1 && y == prev) {
                break;
            }
            chain[len++] = y;
        }
        a = chain[len - 1];
        b = chain[len - 2];
        len -= 2;
        if (a > b) {
            int64_t t = a;
            a = b;
            b = t;
        }
        na = size[a];
        nb = size[b];
        z[k * 4] = (double)a;
        z[k * 4 + 1] = (double)b;
        z[k * 4 + 2] = dab;
        z[k * 4 + 3] = na + nb;
        size[a] = 0.0;     /* a is dropped */
        size[b] = na + nb; /* b becomes the union */
#pragma omp parallel for schedule(static) num_threads(nt) if (n > 8192)
        for (int64_t i = 0; i < n; i++) {
            if (size[i] != 0.0 && i != b) {
                size_t ib = pidx((size_t)n, (size_t)i, (size_t)b);
                d[ib] = lance_williams(l, d[pidx((size_t)n, (size_t)i, (size_t)a)], d[ib], dab,
                                       na, nb, size[i]);
            }
        }
        if ((k & 1023) == 0 && !crm_progress_report(progress, "linkage", (double)k / (double)n)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
            break;
        }
    }
    crm_free(d);
    crm_free(size);
    crm_free(chain);
    return rc;
}

crm_status crm_hclust_linkage(const crm_matrix *x, const double *weights, crm_linkage linkage,
                              const crm_progress *progress, double *z, crm_error *err)
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
    } else {
        rc = nn_chain(x, weights, linkage, nt, progress, z, err);
    }
    if (rc == CRM_OK) {
        rc = finish(z, x->n_rows, weights, err);
    }
    return rc;
}
