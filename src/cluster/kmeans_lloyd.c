/* kmeans_lloyd.c: Lloyd iterations and nearest-centre assignment.
 *
 * Each iteration is one pass over the data in fixed blocks of CRM_BLOCK_ROWS rows, one OpenMP
 * parallel region per pass. Inside a block, tiles of up to CRM__KM_TILE_MAX rows go through one
 * cblas_dgemm (-2 X C^T), to which ||c||^2 is added; the argmin over centres (ties: lowest
 * index) needs no ||x||^2. The same pass accumulates per-block sums, counts and inertia;
 * the serial M step reduces them in block order, so the result does not depend on the
 * number of threads. OpenBLAS (OpenMP build) runs single-threaded inside our region.
 *
 * Stopping and empty clusters follow scikit-learn 1.2 (_kmeans_single_lloyd): stop when the
 * labels did not change, or when the summed squared centre shift is <= tol_abs; an empty
 * cluster takes the row farthest from its centre, whose weight leaves its old cluster.
 * Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2), 1982. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(CRM_SANITIZE_BUILD)
#define CRM__KM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define CRM__KM_INLINE __attribute__((always_inline)) inline
#else
#define CRM__KM_CLONES
#define CRM__KM_INLINE inline
#endif

int crm__cluster_threads(int32_t n_threads)
{
#ifdef _OPENMP
    if (n_threads > 0) {
        return n_threads;
    }
    return omp_get_max_threads();
#else
    (void)n_threads;
    return 1;
#endif
}

double crm__sq_dist(const double *a, const double *b, int64_t dim)
{
    double s = 0.0;
    for (int64_t j = 0; j < dim; j++) {
        double d = a[j] - b[j];
        s += d * d;
    }
    return s;
}

double crm__kmeans_tol_abs(const crm_matrix *x, double tol)
{
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    double total = 0.0;
    if (tol == 0.0 || n == 0) {
        return 0.0;
    }
    for (int64_t j = 0; j < dim; j++) {
        double mean = 0.0;
        double var = 0.0;
        for (int64_t i = 0; i < n; i++) {
            mean += CRM_ROW(x, i)[j];
        }
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) {
            double d = CRM_ROW(x, i)[j] - mean;
            var += d * d;
        }
        total += var / (double)n;
    }
    return total / (double)dim * tol;
}

/* Per-pass scratch: distance tiles per thread and per-block partial results. */
typedef struct lloyd_ws {
    int64_t n_blocks;
    int64_t tile_rows;
    double *tiles;   /* nt x TILE x (k + 2): distance tile, best, arg */
    double *cnorm;   /* k */
    double *psum;    /* n_blocks x k x dim (NULL for assignment only) */
    int64_t *pcount; /* n_blocks x k */
    double *pinert;  /* n_blocks */
    int64_t *pchanged;
    double *xnorm; /* n_rows: ||x||^2, for the per-iteration inertia (NULL: assignment) */
} lloyd_ws;

static void ws_free(lloyd_ws *ws)
{
    crm_free(ws->tiles);
    crm_free(ws->cnorm);
    crm_free(ws->psum);
    crm_free(ws->pcount);
    crm_free(ws->pinert);
    crm_free(ws->pchanged);
    crm_free(ws->xnorm);
    memset(ws, 0, sizeof *ws);
}

static crm_status
ws_init(lloyd_ws *ws, int64_t n, int64_t dim, int32_t k, int nt, int sums, crm_error *err)
{
    memset(ws, 0, sizeof *ws);
    ws->n_blocks = crm__n_blocks(n);
    ws->tile_rows = CRM__KM_GEMM_MAX_WORK / ((int64_t)k * dim);
    ws->tile_rows = ws->tile_rows > CRM__KM_TILE_MAX ? CRM__KM_TILE_MAX : ws->tile_rows;
    ws->tile_rows = ws->tile_rows < 8 ? 8 : ws->tile_rows;
    ws->tiles =
        crm_mallocarray((size_t)nt * (size_t)ws->tile_rows * ((size_t)k + 2), sizeof(double));
    ws->cnorm = crm_mallocarray((size_t)k, sizeof(double));
    ws->pinert = crm_mallocarray((size_t)ws->n_blocks + 1, sizeof(double));
    ws->pchanged = crm_mallocarray((size_t)ws->n_blocks + 1, sizeof(int64_t));
    if (sums) {
        ws->psum =
            crm_mallocarray((size_t)ws->n_blocks * (size_t)k * (size_t)dim + 1, sizeof(double));
        ws->pcount = crm_mallocarray((size_t)ws->n_blocks * (size_t)k + 1, sizeof(int64_t));
        ws->xnorm = crm_mallocarray((size_t)n + 1, sizeof(double));
    }
    if (!ws->tiles || !ws->cnorm || !ws->pinert || !ws->pchanged ||
        (sums && (!ws->psum || !ws->pcount || !ws->xnorm))) {
        ws_free(ws);
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

static void center_norms(const double *centers, int32_t k, int64_t dim, double *cnorm)
{
    for (int32_t j = 0; j < k; j++) {
        double s = 0.0;
        for (int64_t d = 0; d < dim; d++) {
            s += centers[j * dim + d] * centers[j * dim + d];
        }
        cnorm[j] = s;
    }
}

/* Labels of rows [r0, r0 + m) from one dgemm tile. The tile is k x m (centre major), so
 * the running minimum over centres is a branch-free elementwise loop over rows that the
 * compiler vectorises (the index is kept as a double so both selects have one width);
 * strict < keeps the lowest index on ties. scratch: 2 m doubles after the k x m tile.
 * When xnorm is given, returns the clamped squared distances ||x||^2 - 2 x.c + ||c||^2
 * summed; changed counts labels that differ from labels[] before the call. */
static CRM__KM_INLINE double tile_labels(const crm_matrix *x,
                                         int64_t r0,
                                         int64_t m,
                                         const double *centers,
                                         const double *cnorm,
                                         int32_t k,
                                         const double *xnorm,
                                         double *tile,
                                         int32_t *labels,
                                         int64_t *changed)
{
    double *restrict best = tile + (int64_t)k * m;
    double *restrict arg = best + m;
    double inert = 0.0;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, (int)m, (int)x->n_cols, -2.0, centers,
                (int)x->n_cols, CRM_ROW(x, r0), (int)x->ld, 0.0, tile, (int)m);
    for (int64_t i = 0; i < m; i++) {
        best[i] = tile[i] + cnorm[0];
        arg[i] = 0.0;
    }
    for (int32_t j = 1; j < k; j++) {
        const double *restrict t = tile + (int64_t)j * m;
        double cj = cnorm[j];
        double jd = (double)j;
        for (int64_t i = 0; i < m; i++) {
            double v = t[i] + cj;
            double b = best[i];
            double a = arg[i];
            double nb = v < b ? v : b; /* both selects unconditional: GCC if-converts */
            double na = v < b ? jd : a;
            best[i] = nb;
            arg[i] = na;
        }
    }
    for (int64_t i = 0; i < m; i++) {
        int32_t a = (int32_t)arg[i];
        if (xnorm != NULL) {
            double v = best[i] + xnorm[r0 + i];
            inert += v > 0.0 ? v : 0.0; /* cancellation when x is close to its centre */
        }
        *changed += labels[r0 + i] != a;
        labels[r0 + i] = a;
    }
    return inert;
}

/* E step of block b, plus its partial sums when ws->psum is set. Cloned per instruction set
 * (run-time dispatch): the loops only select, add and multiply in source order, so every
 * clone gives bit-identical results. */
CRM__KM_CLONES
static void block_pass(const crm_matrix *x,
                       const double *centers,
                       int32_t k,
                       lloyd_ws *ws,
                       int64_t b,
                       double *tile,
                       int32_t *labels)
{
    int64_t dim = x->n_cols;
    int64_t r0 = b * CRM_BLOCK_ROWS;
    int64_t r1 = r0 + CRM_BLOCK_ROWS < x->n_rows ? r0 + CRM_BLOCK_ROWS : x->n_rows;
    double inert = 0.0;
    int64_t changed = 0;
    double *sum = ws->psum != NULL ? ws->psum + b * k * dim : NULL;
    int64_t *cnt = ws->psum != NULL ? ws->pcount + b * k : NULL;
    if (sum != NULL) {
        memset(sum, 0, (size_t)(k * dim) * sizeof(double));
        memset(cnt, 0, (size_t)k * sizeof(int64_t));
    }
    for (int64_t r = r0; r < r1; r += ws->tile_rows) {
        int64_t m = r1 - r < ws->tile_rows ? r1 - r : ws->tile_rows;
        inert += tile_labels(x, r, m, centers, ws->cnorm, k, ws->xnorm, tile, labels, &changed);
        /* Sums while the tile's rows are still in cache (rows in order: same result as a
         * separate pass over the block). */
        for (int64_t i = r; sum != NULL && i < r + m; i++) {
            const double *row = CRM_ROW(x, i);
            double *sl = sum + labels[i] * dim;
            for (int64_t d = 0; d < dim; d++) {
                sl[d] += row[d];
            }
            cnt[labels[i]]++;
        }
    }
    ws->pinert[b] = inert;
    ws->pchanged[b] = changed;
}

/* One pass over all blocks; returns the summed inertia and changed-label count. */
static void pass(const crm_matrix *x,
                 const double *centers,
                 int32_t k,
                 lloyd_ws *ws,
                 int nt,
                 int32_t *labels,
                 double *inertia,
                 int64_t *changed)
{
    int64_t nb = ws->n_blocks;
    center_norms(centers, k, x->n_cols, ws->cnorm);
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *tile = ws->tiles + (size_t)tid * (size_t)ws->tile_rows * ((size_t)k + 2);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nb; b++) {
            block_pass(x, centers, k, ws, b, tile, labels);
        }
    }
    *inertia = 0.0;
    *changed = 0;
    for (int64_t b = 0; b < nb; b++) {
        *inertia += ws->pinert[b];
        *changed += ws->pchanged[b];
    }
}

/* Rows farthest from their assigned centre, largest first (ties: lowest row), into far[m]. */
static double farthest_rows(const crm_matrix *x,
                            const double *centers,
                            const int32_t *labels,
                            int32_t m,
                            int64_t *far,
                            double *fd)
{
    int64_t dim = x->n_cols;
    int32_t have = 0;
    for (int64_t i = 0; i < x->n_rows; i++) {
        double d = crm__sq_dist(CRM_ROW(x, i), centers + labels[i] * dim, dim);
        int32_t pos = have;
        if (have == m && !(d > fd[m - 1])) {
            continue;
        }
        while (pos > 0 && d > fd[pos - 1]) {
            pos--;
        }
        for (int32_t q = (have < m ? have : m - 1); q > pos; q--) {
            fd[q] = fd[q - 1];
            far[q] = far[q - 1];
        }
        fd[pos] = d;
        far[pos] = i;
        if (have < m) {
            have++;
        }
    }
    return have == m ? fd[m - 1] : 0.0;
}

/* Reduce block partials in order and move empty clusters (scikit-learn's rule). sums is
 * k x dim, counts k. */
static crm_status reduce_and_relocate(const crm_matrix *x,
                                      const double *centers,
                                      const int32_t *labels,
                                      int32_t k,
                                      const lloyd_ws *ws,
                                      double *sums,
                                      int64_t *counts,
                                      crm_error *err)
{
    int64_t dim = x->n_cols;
    int32_t n_empty = 0;
    memset(sums, 0, (size_t)(k * dim) * sizeof(double));
    memset(counts, 0, (size_t)k * sizeof(int64_t));
    for (int64_t b = 0; b < ws->n_blocks; b++) {
        const double *ps = ws->psum + b * k * dim;
        const int64_t *pc = ws->pcount + b * k;
        for (int64_t q = 0; q < k * dim; q++) {
            sums[q] += ps[q];
        }
        for (int32_t j = 0; j < k; j++) {
            counts[j] += pc[j];
        }
    }
    for (int32_t j = 0; j < k; j++) {
        n_empty += counts[j] == 0;
    }
    if (n_empty == 0) {
        return CRM_OK;
    }
    int64_t *far = crm_mallocarray((size_t)n_empty, sizeof(int64_t));
    double *fd = crm_mallocarray((size_t)n_empty, sizeof(double));
    crm_status st = CRM_OK;
    if (far == NULL || fd == NULL) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
    if (!(farthest_rows(x, centers, labels, n_empty, far, fd) > 0.0)) {
        st = crm__error_set(err, CRM_EDATA, "k = %d but the data has fewer than %d distinct rows",
                            (int)k, (int)k);
        goto cleanup;
    }
    for (int32_t j = 0, e = 0; j < k; j++) {
        if (counts[j] != 0) {
            continue;
        }
        const double *row = CRM_ROW(x, far[e]);
        int32_t old = labels[far[e]];
        for (int64_t d = 0; d < dim; d++) {
            sums[old * dim + d] -= row[d];
            sums[j * dim + d] = row[d];
        }
        counts[old]--;
        counts[j] = 1;
        e++;
    }
cleanup:
    crm_free(far);
    crm_free(fd);
    return st;
}

/* New centres from sums (a cluster left with no weight keeps its centre); returns the summed
 * squared shift. */
static double
update_centers(double *centers, const double *sums, const int64_t *counts, int32_t k, int64_t dim)
{
    double shift = 0.0;
    for (int32_t j = 0; j < k; j++) {
        double s = 0.0;
        if (counts[j] <= 0) {
            continue;
        }
        for (int64_t d = 0; d < dim; d++) {
            double c = sums[j * dim + d] / (double)counts[j];
            double diff = c - centers[j * dim + d];
            s += diff * diff;
            centers[j * dim + d] = c;
        }
        shift += s;
    }
    return shift;
}

crm_status crm__lloyd(const crm_matrix *x,
                      int32_t k,
                      double *centers,
                      const crm__lloyd_opts *opts,
                      crm__lloyd_out *out,
                      crm_error *err)
{
    int64_t dim = x->n_cols;
    lloyd_ws ws;
    double *sums = NULL;
    int64_t *counts = NULL;
    crm_status st = ws_init(&ws, x->n_rows, dim, k, opts->nt, 1, err);
    int32_t it = 0;
    if (st != CRM_OK) {
        return st;
    }
    sums = crm_mallocarray((size_t)(k * dim), sizeof(double));
    counts = crm_mallocarray((size_t)k, sizeof(int64_t));
    if (sums == NULL || counts == NULL) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
#pragma omp parallel for schedule(static) num_threads(opts->nt)
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        double v = 0.0;
        for (int64_t d = 0; d < dim; d++) {
            v += row[d] * row[d];
        }
        ws.xnorm[i] = v;
        out->labels[i] = -1;
    }
    while (it < opts->max_iter) {
        double inert;
        int64_t changed;
        pass(x, centers, k, &ws, opts->nt, out->labels, &inert, &changed);
        if (out->trace != NULL) {
            out->trace[it] = inert;
        }
        st = reduce_and_relocate(x, centers, out->labels, k, &ws, sums, counts, err);
        if (st != CRM_OK) {
            goto cleanup;
        }
        double shift = update_centers(centers, sums, counts, k, dim);
        it++;
        double frac = opts->frac0 + (opts->frac1 - opts->frac0) * it / opts->max_iter;
        if (!crm_progress_report(opts->progress, "k-means", frac)) {
            st = crm__error_set(err, CRM_ECANCELLED, "k-means cancelled");
            goto cleanup;
        }
        if (changed == 0 || shift <= opts->tol_abs) {
            break;
        }
    }
    out->n_iter = it;
    /* Final labels against the final centres, and the exact inertia (scikit-learn re-runs
     * the E step unless the labels had converged, which gives the same labels). */
    st = crm__assign(x, centers, k, opts->nt, out->labels, NULL, &out->inertia, err);
cleanup:
    ws_free(&ws);
    crm_free(sums);
    crm_free(counts);
    return st;
}

/* Exact squared distance of each row of block b to its centre, summed into pinert[b]. */
static void block_exact(const crm_matrix *x,
                        const double *centers,
                        const int32_t *labels,
                        int64_t b,
                        double *dist,
                        double *pinert)
{
    int64_t dim = x->n_cols;
    int64_t r0 = b * CRM_BLOCK_ROWS;
    int64_t r1 = r0 + CRM_BLOCK_ROWS < x->n_rows ? r0 + CRM_BLOCK_ROWS : x->n_rows;
    double s = 0.0;
    for (int64_t i = r0; i < r1; i++) {
        double d = crm__sq_dist(CRM_ROW(x, i), centers + labels[i] * dim, dim);
        if (dist != NULL) {
            dist[i] = d;
        }
        s += d;
    }
    pinert[b] = s;
}

crm_status crm__assign(const crm_matrix *x,
                       const double *centers,
                       int32_t k,
                       int nt,
                       int32_t *labels,
                       double *dist,
                       double *inertia,
                       crm_error *err)
{
    lloyd_ws ws;
    crm_status st = ws_init(&ws, x->n_rows, x->n_cols, k, nt, 0, err);
    int64_t nb;
    if (st != CRM_OK) {
        return st;
    }
    nb = ws.n_blocks;
    center_norms(centers, k, x->n_cols, ws.cnorm);
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *tile = ws.tiles + (size_t)tid * (size_t)ws.tile_rows * ((size_t)k + 2);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nb; b++) {
            int64_t r1 =
                (b + 1) * CRM_BLOCK_ROWS < x->n_rows ? (b + 1) * CRM_BLOCK_ROWS : x->n_rows;
            for (int64_t i = b * CRM_BLOCK_ROWS; i < r1; i++) {
                labels[i] = -1; /* caller's buffer may be uninitialised */
            }
            block_pass(x, centers, k, &ws, b, tile, labels);
            block_exact(x, centers, labels, b, dist, ws.pinert);
        }
    }
    if (inertia != NULL) {
        crm__ksum s = { 0.0, 0.0 };
        for (int64_t b = 0; b < nb; b++) {
            crm__ksum_add(&s, ws.pinert[b]);
        }
        *inertia = s.sum;
    }
    ws_free(&ws);
    return CRM_OK;
}
