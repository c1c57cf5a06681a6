/* kmeans_lloyd.c: Lloyd iterations and nearest-centre assignment.
 *
 * Each iteration is one pass over the data in fixed blocks of CRM_BLOCK_ROWS rows, one OpenMP
 * parallel region per pass. Inside a block, tiles of up to CRM__KM_TILE_MAX rows go through one
 * cblas_dgemm (-2 X C^T), to which ||c||^2 is added; the argmin over centres (ties: lowest
 * index) needs no ||x||^2. On AVX-512 machines, when k x dim is small (the usual customer
 * table), a fused kernel computes the same quantity without a tile, so each row is read
 * from memory once. A pass is bound by memory bandwidth, so for k <= 64 Lloyd's passes go
 * further (screen_rows): they read a float copy of the rows, half the bytes, and take a
 * row's float argmin only when a proven error bound says the double kernel would pick the
 * same centre; near ties go through the double kernel. The labels are the double kernel's.
 * The sums follow the labels: the first pass sums every row, later ones move only the rows
 * whose label changed from their old sum to their new one, so the double rows of the others
 * are not read. Per-block partial sums and counts are reduced in block order by the serial
 * M step, so the result does not depend on the number of threads. OpenBLAS (OpenMP build)
 * runs single-threaded inside our region.
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
#include <crmkit/dist.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(CRM_SANITIZE_BUILD)
#define CRM__KM_INLINE __attribute__((always_inline)) inline
#else
#define CRM__KM_INLINE inline
#endif

/* The fused kernel (AVX-512 only): KM_ROWS rows x KM_LANES centres of dot products held in
 * registers. Elsewhere the dgemm tiles do the same work. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CRM__KM_HAVE_FUSED 1
#else
#define CRM__KM_HAVE_FUSED 0
#endif
#define KM_LANES 8
#define KM_ROWS  8
/* The float screening kernel (screen_rows): KS_ROWS rows x KS_LANES centres. */
#define KS_LANES 16
#define KS_ROWS  16
#define KS_MAXG  4 /* groups of KS_LANES centres: k <= 64 */
#ifndef KM_PREFETCH
#define KM_PREFETCH 64 /* rows ahead */
#endif
_Static_assert(KS_ROWS == 16, "screen_rows keeps the rows in the 16 lanes of a float vector");
#define KS_PREFETCH   128 /* float rows ahead */
#define KS_MOVE_AHEAD 16  /* moved rows ahead (avx512_block) */

/* Fused kernel or dgemm tiles, from the shape and the CPU only (never the thread count).
 * The fused kernel reads each row once and writes no tile; dgemm wins once k x dim is large
 * enough for its blocking to pay (measured in bench/results/cluster.md). */
static int use_fused(int32_t k, int64_t dim)
{
#if CRM__KM_HAVE_FUSED
    return (int64_t)k * dim <= CRM__KM_FUSED_MAX_WORK && __builtin_cpu_supports("avx512f");
#else
    (void)k;
    (void)dim;
    return 0;
#endif
}

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

crm__km_rows crm__km_rows_of(const crm_matrix *x)
{
    crm__km_rows r;
    memset(&r, 0, sizeof r);
    r.x = x;
    r.n = x->n_rows;
    r.dim = x->n_cols;
    return r;
}

/* Rows [r0, r0 + n) as a pass reads them: row i (absolute) at XROW(xb, i). */
typedef struct km_blk {
    const double *rows;
    int64_t r0;
    int64_t ld;
    int64_t dim;
} km_blk;
#define XROW(xb, i) ((xb)->rows + ((i) - (xb)->r0) * (xb)->ld)

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Whether rows [.., r1) are stored (else fill makes them). */
static int stored(const crm__km_rows *x, int64_t r1)
{
    return x->x != NULL && r1 <= x->x->n_rows;
}

/* Rows [r0, r1) of x (at most CRM_BLOCK_ROWS, in one block): in the stored matrix, or made by
 * fill into thread tid's buffer. */
static km_blk get_rows(const crm__km_rows *x, int64_t r0, int64_t r1, int tid)
{
    km_blk b;
    b.r0 = r0;
    b.dim = x->dim;
    if (stored(x, r1)) {
        b.rows = CRM_ROW(x->x, r0);
        b.ld = x->x->ld;
    } else {
        double *buf = x->buf + (int64_t)tid * CRM_BLOCK_ROWS * x->dim;
        x->fill(x->ctx, r0, r1, buf);
        b.rows = buf;
        b.ld = x->dim;
    }
    return b;
}

static int64_t block_end(const crm__km_rows *x, int64_t b)
{
    return (b + 1) * CRM_BLOCK_ROWS < x->n ? (b + 1) * CRM_BLOCK_ROWS : x->n;
}

static km_blk get_block(const crm__km_rows *x, int64_t b, int tid)
{
    return get_rows(x, b * CRM_BLOCK_ROWS, block_end(x, b), tid);
}

/* Rows made by fill are checked as they are first read: the index i * dim + d of the first
 * non-finite value of rows [xb->r0, r1), or INT64_MAX. */
static int64_t first_nonfinite(const km_blk *xb, int64_t r1)
{
    for (int64_t i = xb->r0; i < r1; i++) {
        const double *row = XROW(xb, i);
        for (int64_t d = 0; d < xb->dim; d++) {
            if (!isfinite(row[d])) {
                return i * xb->dim + d;
            }
        }
    }
    return INT64_MAX;
}

/* crm_matrix_check_finite's error for the value at index bad of x. */
static crm_status nonfinite_error(const crm__km_rows *x, int64_t bad, crm_error *err)
{
    int64_t i = bad / x->dim;
    km_blk xb = get_rows(x, i, i + 1, 0);
    return crm__error_nonfinite(err, i, bad % x->dim, XROW(&xb, i)[bad % x->dim]);
}

/* Per-column sums of the rows of each block (two passes: values, then squared deviations
 * from mean), added in block order: the same for any number of threads and, under mpirun with
 * replicated data (each rank its run of blocks, the partials shared), of ranks. */
crm_status crm__kmeans_tol_abs(const crm_matrix *x, double tol, int nt, double *out, crm_error *err)
{
    crm__km_rows r = crm__km_rows_of(x);
    return crm__kmeans_tol_abs_rows(&r, tol, nt, out, err);
}

crm_status
crm__kmeans_tol_abs_rows(const crm__km_rows *x, double tol, int nt, double *out, crm_error *err)
{
    int64_t n = x->n;
    int64_t dim = x->dim;
    int64_t bad = INT64_MAX;
    int64_t nb = crm__n_blocks(n);
    int64_t b0;
    int64_t b1;
    double *part = NULL;
    double *mean = NULL;
    double total = 0.0;
    crm_status st = CRM_OK;
    *out = 0.0;
    if (tol == 0.0 || n == 0 || dim == 0) {
        return CRM_OK;
    }
    part = crm_calloc((size_t)(nb * dim), sizeof *part);
    mean = crm_calloc((size_t)dim, sizeof *mean);
    if (part == NULL || mean == NULL) {
        crm_free(part);
        crm_free(mean);
        return crm__error_nomem(err);
    }
    crm__dist_blocks(nb, &b0, &b1);
    for (int step = 0; st == CRM_OK && step < 2; step++) {
#pragma omp parallel for schedule(static) num_threads(nt) reduction(min : bad)
        for (int64_t b = b0; b < b1; b++) {
            int64_t r1 = block_end(x, b);
            km_blk xb = get_block(x, b, thread_id());
            double *p = part + b * dim;
            for (int64_t d = 0; d < dim; d++) {
                p[d] = 0.0;
            }
            if (step == 0 && !stored(x, r1)) {
                int64_t f = first_nonfinite(&xb, r1);
                bad = f < bad ? f : bad;
            }
            for (int64_t i = b * CRM_BLOCK_ROWS; i < r1; i++) {
                const double *row = XROW(&xb, i);
                if (step == 0) {
                    for (int64_t d = 0; d < dim; d++) {
                        p[d] += row[d];
                    }
                } else {
                    for (int64_t d = 0; d < dim; d++) {
                        double v = row[d] - mean[d];
                        p[d] += v * v;
                    }
                }
            }
        }
        if (bad != INT64_MAX) {
            st = nonfinite_error(x, bad, err);
            continue;
        }
        st = crm__dist_share_run(part, (size_t)dim * sizeof(double), 1, nb, nb, err);
        for (int64_t d = 0; st == CRM_OK && d < dim; d++) {
            double s = 0.0;
            for (int64_t b = 0; b < nb; b++) {
                s += part[b * dim + d];
            }
            if (step == 0) {
                mean[d] = s / (double)n;
            } else {
                total += s / (double)n;
            }
        }
    }
    crm_free(part);
    crm_free(mean);
    if (st == CRM_OK) {
        *out = total / (double)dim * tol;
    }
    return st;
}

/* Per-pass scratch: distance tiles per thread and per-block partial results. */
typedef struct lloyd_ws {
    int64_t n_blocks;
    int64_t tile_rows;
    int fused;        /* 1: fused kernel (centres in ct/cpad), 0: dgemm tiles */
    int32_t n_groups; /* centre groups of KM_LANES */
    double *ct;       /* n_groups x dim x KM_LANES, 64-byte aligned */
    double *cpad;     /* n_groups x KM_LANES norms; +inf for padding centres */
    double *tiles;    /* nt x TILE x (k + 2): distance tile, best, arg */
    double *cnorm;    /* k */
    double *psum;     /* n_blocks x k x dim (NULL for assignment only) */
    int64_t *pcount;  /* n_blocks x k */
    double *pinert;   /* n_blocks */
    int64_t *pchanged;
    int fresh; /* 1: this pass sums every row; 0: it adds the moves of changed rows */
    const crm__lloyd_data *data; /* sum ||x||^2 and the float copy (xf NULL: no screening) */
    int screen;                  /* 1: this pass screens (the centres fit the float range) */
    int32_t n_g16;               /* centre groups of KS_LANES */
    float *cf;                   /* n_g16 x dim x KS_LANES, 64-byte aligned */
    float *ccf;                  /* n_g16 x KS_LANES norms; +inf for padding centres */
    double cmax;                 /* largest ||c||, rounded up */
    double ccmax;                /* largest ||c||^2 */
    double xsum;                 /* sum ||x||^2 (the trace's inertias) */
    double *pxx; /* n_blocks: each block's sum ||x||^2, when the first pass takes it */
    int have_xx; /* pxx is filled */
} lloyd_ws;

static void ws_free(lloyd_ws *ws)
{
    crm_aligned_free(ws->ct);
    crm_aligned_free(ws->cpad);
    crm_free(ws->tiles);
    crm_free(ws->cnorm);
    crm_free(ws->psum);
    crm_free(ws->pcount);
    crm_free(ws->pinert);
    crm_free(ws->pchanged);
    crm_aligned_free(ws->cf);
    crm_aligned_free(ws->ccf);
    crm_free(ws->pxx);
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
    ws->fused = use_fused(k, dim);
    if (ws->fused) {
        ws->tile_rows = KM_ROWS;
        ws->n_groups = 2 * ((k + 2 * KM_LANES - 1) / (2 * KM_LANES)); /* pairs of groups */
        ws->ct = crm_aligned_alloc((size_t)ws->n_groups * (size_t)dim * KM_LANES * sizeof(double));
        ws->cpad = crm_aligned_alloc((size_t)ws->n_groups * KM_LANES * sizeof(double));
        if (ws->ct == NULL || ws->cpad == NULL) {
            ws_free(ws);
            return crm__error_nomem(err);
        }
    }
    ws->tiles =
        crm_mallocarray((size_t)nt * (size_t)ws->tile_rows * ((size_t)k + 2), sizeof(double));
    ws->cnorm = crm_mallocarray((size_t)k, sizeof(double));
    ws->pinert = crm_mallocarray((size_t)ws->n_blocks + 1, sizeof(double));
    ws->pchanged = crm_mallocarray((size_t)ws->n_blocks + 1, sizeof(int64_t));
    if (sums) {
        ws->psum =
            crm_mallocarray((size_t)ws->n_blocks * (size_t)k * (size_t)dim + 1, sizeof(double));
        ws->pcount = crm_mallocarray((size_t)ws->n_blocks * (size_t)k + 1, sizeof(int64_t));
    }
    if (!ws->tiles || !ws->cnorm || !ws->pinert || !ws->pchanged ||
        (sums && (!ws->psum || !ws->pcount))) {
        ws_free(ws);
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

/* Under mpirun with replicated data (crm_dist_replicated), each rank computes a run of blocks
 * [*b0, *b1) and the per-block results are gathered from the others; otherwise every block. */
void crm__dist_blocks(int64_t nb, int64_t *b0, int64_t *b1)
{
    if (crm_dist_replicated()) {
        crm_dist_block_range(nb * CRM_BLOCK_ROWS, crm_dist_rank(), crm_dist_size(), b0, b1);
    } else {
        *b0 = 0;
        *b1 = nb;
    }
}

crm_status
crm__fetch_rows(const crm_matrix *x, const int64_t *rows, int n, double *out, crm_error *err)
{
    int64_t dim = x->n_cols;
    int64_t r0;
    int64_t r1;
    crm_status st;
    if (!crm_dist_local_rows()) {
        for (int t = 0; t < n; t++) {
            memcpy(out + t * dim, CRM_ROW(x, rows[t]), (size_t)dim * sizeof(double));
        }
        return CRM_OK;
    }
    /* the holder gives the row's bits, the others the smallest int64: a MAX picks the bits */
    crm_dist_own_rows(x->n_rows, &r0, &r1);
    {
        int64_t *bits = crm_mallocarray((size_t)n * (size_t)dim + 1, sizeof *bits);
        st = crm_dist_agree(bits == NULL ? crm__error_nomem(err) : CRM_OK, err);
        if (st != CRM_OK) {
            crm_free(bits);
            return st;
        }
        for (int t = 0; t < n; t++) {
            int mine = rows[t] >= r0 && rows[t] < r1;
            for (int64_t d = 0; d < dim; d++) {
                bits[t * dim + d] = INT64_MIN;
            }
            if (mine) {
                memcpy(bits + t * dim, CRM_ROW(x, rows[t]), (size_t)dim * sizeof(double));
            }
        }
        st = crm_dist_allreduce_i64(bits, (size_t)n * (size_t)dim, CRM_DIST_MAX, err);
        if (st == CRM_OK) {
            memcpy(out, bits, (size_t)n * (size_t)dim * sizeof(double));
        }
        crm_free(bits);
    }
    return st;
}

crm_status crm__check_finite_rows(const crm_matrix *x, crm_error *err)
{
    int64_t r0;
    int64_t r1;
    if (!crm_dist_local_rows()) {
        return crm_matrix_check_finite(x, err);
    }
    crm_dist_own_rows(x->n_rows, &r0, &r1);
    return crm_dist_agree(crm__matrix_check_finite_rows(x, r0, r1, err), err);
}

/* Every rank owns elements [lo, hi) of base (elem bytes each), the ranks' runs consecutive
 * from 0 in rank order and given by crm_dist_block_range over nb blocks (per_block
 * elements a block, n elements in all): gather the others' runs, so every rank has all of
 * base. One collective; a no-op unless replicated. */
crm_status crm__dist_share_run(void *base,
                               size_t elem,
                               int64_t per_block,
                               int64_t n,
                               int64_t nb,
                               crm_error *err)
{
    enum {
        STACK = 64
    };
    int P = crm_dist_size();
    int64_t counts_s[STACK];
    int64_t *counts = P <= STACK ? counts_s : crm_mallocarray((size_t)P, sizeof *counts);
    int64_t lo = 0;
    crm_status st;
    if (!crm_dist_replicated()) {
        if (counts != counts_s) {
            crm_free(counts);
        }
        return CRM_OK;
    }
    if (counts == NULL) {
        return crm__error_nomem(err);
    }
    for (int r = 0; r < P; r++) {
        int64_t b0;
        int64_t b1;
        crm_dist_block_range(nb * CRM_BLOCK_ROWS, r, P, &b0, &b1);
        int64_t e0 = b0 * per_block < n ? b0 * per_block : n;
        int64_t e1 = b1 * per_block < n ? b1 * per_block : n;
        counts[r] = e1 - e0;
        if (r == crm_dist_rank()) {
            lo = e0;
        }
    }
    /* MPI wants distinct send and receive buffers: send from a copy of this rank's run */
    {
        size_t bytes = (size_t)counts[crm_dist_rank()] * elem;
        void *mine = crm_malloc(bytes > 0 ? bytes : 1);
        if (mine == NULL) {
            st = crm__error_nomem(err);
        } else {
            memcpy(mine, (char *)base + (size_t)lo * elem, bytes);
            st = crm_dist_allgather_known(mine, base, counts, elem, err);
            crm_free(mine);
        }
    }
    if (counts != counts_s) {
        crm_free(counts);
    }
    return st;
}

/* Per-block partials of a pass, packed per block (sums, counts, changed) so that one
 * collective moves them. */
static crm_status
share_pass(lloyd_ws *ws, int32_t k, int64_t dim, int64_t b0, int64_t b1, crm_error *err)
{
    int64_t nb = ws->n_blocks;
    int64_t w = ws->psum != NULL ? k * dim + k + 1 : 1; /* 8-byte words a block */
    uint64_t *pack = crm_mallocarray((size_t)(nb * w) + 1, sizeof *pack);
    crm_status st;
    if (pack == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t b = b0; b < b1; b++) {
        uint64_t *q = pack + b * w;
        if (ws->psum != NULL) {
            memcpy(q, ws->psum + b * k * dim, (size_t)(k * dim) * 8);
            memcpy(q + k * dim, ws->pcount + b * k, (size_t)k * 8);
        }
        memcpy(q + w - 1, &ws->pchanged[b], 8);
    }
    st = crm__dist_share_run(pack, (size_t)w * 8, 1, nb, nb, err);
    for (int64_t b = 0; st == CRM_OK && b < nb; b++) {
        const uint64_t *q = pack + b * w;
        if (ws->psum != NULL) {
            memcpy(ws->psum + b * k * dim, q, (size_t)(k * dim) * 8);
            memcpy(ws->pcount + b * k, q + k * dim, (size_t)k * 8);
        }
        memcpy(&ws->pchanged[b], q + w - 1, 8);
    }
    crm_free(pack);
    return st;
}

/* ||c||^2 per centre, and for the fused kernel the centres regrouped lane-major. */
static void center_norms(const double *centers, int32_t k, int64_t dim, lloyd_ws *ws)
{
    for (int32_t j = 0; j < k; j++) {
        double s = 0.0;
        for (int64_t d = 0; d < dim; d++) {
            s += centers[j * dim + d] * centers[j * dim + d];
        }
        ws->cnorm[j] = s;
    }
    if (!ws->fused) {
        return;
    }
    for (int32_t j = 0; j < ws->n_groups * KM_LANES; j++) {
        double *col = ws->ct + (int64_t)(j / KM_LANES) * dim * KM_LANES + j % KM_LANES;
        for (int64_t d = 0; d < dim; d++) {
            col[d * KM_LANES] = j < k ? centers[j * dim + d] : 0.0;
        }
        ws->cpad[j] = j < k ? ws->cnorm[j] : (double)INFINITY;
    }
    if (ws->cf == NULL) { /* no screening */
        return;
    }
    ws->ccmax = 0.0;
    for (int32_t j = 0; j < k; j++) {
        ws->ccmax = ws->cnorm[j] > ws->ccmax ? ws->cnorm[j] : ws->ccmax;
    }
    ws->cmax = sqrt(ws->ccmax) * (1.0 + 1e-12);
    /* Far inside the float range, so the error bound of screen_rows holds (no overflow). */
    ws->screen = ws->data->xmax < 1e17 && ws->cmax < 1e17 &&
                 ws->ccmax + 2.0 * ws->data->xmax * ws->cmax < 1e34;
    for (int32_t j = 0; ws->screen && j < ws->n_g16 * KS_LANES; j++) {
        for (int64_t d = 0; d < dim; d++) { /* d-major: one coordinate of every centre */
            ws->cf[d * ws->n_g16 * KS_LANES + j] = j < k ? (float)centers[j * dim + d] : 0.0f;
        }
        ws->ccf[j] = j < k ? (float)ws->cnorm[j] : INFINITY;
    }
}

/* The sums and counts of a pass: in a fresh pass every row adds itself to its centre's
 * sum; otherwise only a row whose label changed moves from its old sum to its new one,
 * so a pass reads the double rows of changed rows only. */
static CRM__KM_INLINE void sum_row(const double *row,
                                   int64_t dim,
                                   int32_t a,
                                   int32_t old,
                                   int fresh,
                                   double *sum,
                                   int64_t *cnt)
{
    if (fresh || old < 0) {
        double *sa = sum + (int64_t)a * dim;
        for (int64_t d = 0; d < dim; d++) {
            sa[d] += row[d];
        }
        cnt[a]++;
    } else if (a != old) {
        double *sa = sum + (int64_t)a * dim;
        double *so = sum + (int64_t)old * dim;
        for (int64_t d = 0; d < dim; d++) {
            sa[d] += row[d];
            so[d] -= row[d];
        }
        cnt[a]++;
        cnt[old]--;
    }
}

/* ||x||^2 of one row, in column order. */
static double row_sq(const double *row, int64_t dim)
{
    double r = 0.0;
    for (int64_t d = 0; d < dim; d++) {
        r += row[d] * row[d];
    }
    return r;
}

/* sum ||x||^2 over rows [r0, r1), row by row in order (crm__lloyd_data_init's sums). */
static double block_sq_norms(const km_blk *x, int64_t r0, int64_t r1)
{
    double v = 0.0;
    for (int64_t i = r0; i < r1; i++) {
        v += row_sq(XROW(x, i), x->dim);
    }
    return v;
}

/* Labels of rows [r, r + m) from arg, with their sums and counts (sum may be NULL);
 * returns how many labels changed. */
static CRM__KM_INLINE int64_t take_labels(const km_blk *x,
                                          int64_t r,
                                          int64_t m,
                                          const int32_t *arg,
                                          int fresh,
                                          int32_t *labels,
                                          double *sum,
                                          int64_t *cnt)
{
    int64_t changed = 0;
    for (int64_t q = 0; q < m; q++) {
        int32_t old = labels[r + q];
        changed += old != arg[q];
        labels[r + q] = arg[q];
        if (sum != NULL) {
            sum_row(XROW(x, r + q), x->dim, arg[q], old, fresh, sum, cnt);
        }
    }
    return changed;
}

/* Minimum of ||c||^2 - 2 x.c over centres (best) and its centre (arg, ties: lowest index)
 * for rows [r0, r0 + m) from one dgemm tile. The tile is k x m (centre major), so the
 * running minimum over centres is a branch-free elementwise loop over rows that the
 * compiler vectorises (the index is kept as a double so both selects have one width);
 * strict < keeps the lowest index on ties. */
static CRM__KM_INLINE void tile_nearest(const km_blk *x,
                                        int64_t r0,
                                        int64_t m,
                                        const double *centers,
                                        const double *cnorm,
                                        int32_t k,
                                        double *tile,
                                        double *restrict best,
                                        double *restrict arg)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, (int)m, (int)x->dim, -2.0, centers,
                (int)x->dim, XROW(x, r0), (int)x->ld, 0.0, tile, (int)m);
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
}

#if CRM__KM_HAVE_FUSED
#define CRM__KM_AVX512 __attribute__((target("avx512f")))

/* Of two (value, centre) candidates per lane, the one that wins a strict < on the value, the
 * lower centre on a tie: the lane reduction that keeps the lowest index among equal minima.
 * The lane minima hold no NaN (a strict < put every value there), at worst +inf. */
CRM__KM_AVX512 static inline __attribute__((always_inline)) void
pick(__m512d *va, __m512i *ia, __m512d vb, __m512i ib)
{
    __mmask8 lt = _mm512_cmp_pd_mask(vb, *va, _CMP_LT_OQ);
    __mmask8 tie =
        _mm512_mask_cmp_pd_mask(_mm512_cmp_epi64_mask(ib, *ia, _MM_CMPINT_LT), vb, *va, _CMP_EQ_OQ);
    __mmask8 take = (__mmask8)(lt | tie);
    *va = _mm512_mask_mov_pd(*va, take, vb);
    *ia = _mm512_mask_mov_epi64(*ia, take, ib);
}

/* Each of KM_ROWS rows' minimum over its 8 lanes and that lane's centre (ties: the lowest
 * centre), for all rows at once: three rounds of pairing halves, quarters and neighbours of
 * two rows' vectors, 7 picks in all instead of a horizontal reduction per row. After the
 * rounds, lane l holds row row_of[l]. */
CRM__KM_AVX512 static inline __attribute__((always_inline)) void
reduce8(const __m512d *bv, const __m512i *bi, int64_t m, double *best, int32_t *arg)
{
    __m512d v1[4], v2[2], v3;
    __m512i i1[4], i2[2], i3;
    double vb[8];
    int64_t ib[8];
    for (int p = 0; p < 4; p++) { /* rows p and p + 4: lanes 0-3 and 4-7 */
        v1[p] = _mm512_shuffle_f64x2(bv[p], bv[p + 4], _MM_SHUFFLE(1, 0, 1, 0));
        i1[p] = _mm512_shuffle_i64x2(bi[p], bi[p + 4], _MM_SHUFFLE(1, 0, 1, 0));
        pick(&v1[p], &i1[p], _mm512_shuffle_f64x2(bv[p], bv[p + 4], _MM_SHUFFLE(3, 2, 3, 2)),
             _mm512_shuffle_i64x2(bi[p], bi[p + 4], _MM_SHUFFLE(3, 2, 3, 2)));
    }
    for (int p = 0; p < 2; p++) { /* rows p, p + 4, p + 2, p + 6: two lanes each */
        v2[p] = _mm512_shuffle_f64x2(v1[p], v1[p + 2], _MM_SHUFFLE(2, 0, 2, 0));
        i2[p] = _mm512_shuffle_i64x2(i1[p], i1[p + 2], _MM_SHUFFLE(2, 0, 2, 0));
        pick(&v2[p], &i2[p], _mm512_shuffle_f64x2(v1[p], v1[p + 2], _MM_SHUFFLE(3, 1, 3, 1)),
             _mm512_shuffle_i64x2(i1[p], i1[p + 2], _MM_SHUFFLE(3, 1, 3, 1)));
    }
    /* one lane each: even lanes of both against odd lanes of both */
    v3 = _mm512_unpacklo_pd(v2[0], v2[1]);
    i3 = _mm512_unpacklo_epi64(i2[0], i2[1]);
    pick(&v3, &i3, _mm512_unpackhi_pd(v2[0], v2[1]), _mm512_unpackhi_epi64(i2[0], i2[1]));
    _mm512_storeu_pd(vb, v3);
    _mm512_storeu_si512(ib, i3);
    for (int l = 0; l < 8; l++) {
        static const int8_t row_of[8] = { 0, 1, 4, 5, 2, 3, 6, 7 };
        int q = row_of[l];
        if (q < m) {
            best[q] = vb[l];
            arg[q] = (int32_t)ib[l];
        }
    }
}

/* The same minimum as tile_nearest for up to KM_ROWS rows [r0, r0 + m), without a distance
 * tile: for each pair of groups of KM_LANES centres, KM_ROWS x 2 KM_LANES dot products stay
 * in vector registers (x broadcast, centres lane-major), so the data is read once from
 * memory. Per lane the groups are visited in order with a strict <, then the lanes are
 * reduced with ties going to the lowest centre index. The dot products use fused
 * multiply-adds, as the BLAS kernels do; 2 x.c is exact, so ||c||^2 - 2 x.c is rounded once
 * whether or not it is fused. */
CRM__KM_AVX512 static inline __attribute__((always_inline)) void fused_nearest(const km_blk *x,
                                                                               int64_t r0,
                                                                               int64_t m,
                                                                               const lloyd_ws *ws,
                                                                               double *best,
                                                                               int32_t *arg)
{
    int64_t dim = x->dim;
    const double *rows[KM_ROWS];
    __m512d bv[KM_ROWS];
    __m512i bi[KM_ROWS];
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512d two = _mm512_set1_pd(2.0);
    for (int q = 0; q < KM_ROWS; q++) {
        rows[q] = XROW(x, r0 + (q < m ? q : 0)); /* padding rows repeat row r0 */
        bv[q] = _mm512_set1_pd((double)INFINITY);
        bi[q] = _mm512_setzero_si512();
    }
    for (int32_t g = 0; g < ws->n_groups; g += 2) {
        const double *c0 = ws->ct + (int64_t)g * dim * KM_LANES;
        const double *c1 = c0 + dim * KM_LANES;
        __m512d acc0[KM_ROWS];
        __m512d acc1[KM_ROWS];
        for (int q = 0; q < KM_ROWS; q++) {
            acc0[q] = _mm512_setzero_pd();
            acc1[q] = _mm512_setzero_pd();
        }
        for (int64_t d = 0; d < dim; d++) {
            __m512d v0 = _mm512_load_pd(c0 + d * KM_LANES);
            __m512d v1 = _mm512_load_pd(c1 + d * KM_LANES);
            for (int q = 0; q < KM_ROWS; q++) {
                __m512d xv = _mm512_set1_pd(rows[q][d]);
                acc0[q] = _mm512_fmadd_pd(xv, v0, acc0[q]);
                acc1[q] = _mm512_fmadd_pd(xv, v1, acc1[q]);
            }
        }
        for (int h = 0; h < 2; h++) {
            __m512d cn = _mm512_load_pd(ws->cpad + (int64_t)(g + h) * KM_LANES);
            __m512i idx = _mm512_add_epi64(lane, _mm512_set1_epi64((int64_t)(g + h) * KM_LANES));
            for (int q = 0; q < KM_ROWS; q++) {
                __m512d v = _mm512_fnmadd_pd(two, h == 0 ? acc0[q] : acc1[q], cn);
                __mmask8 lt = _mm512_cmp_pd_mask(v, bv[q], _CMP_LT_OQ);
                bv[q] = _mm512_mask_mov_pd(bv[q], lt, v);
                bi[q] = _mm512_mask_mov_epi64(bi[q], lt, idx);
            }
        }
    }
    reduce8(bv, bi, m, best, arg);
}

/* Single-precision screening, for Lloyd passes on AVX-512 machines. The pass is bound by
 * memory, so it reads a float copy of the rows (half the bytes) and computes
 * ||c||^2 - 2 x.c in float, KS_ROWS rows x KS_LANES centres per register block. A row's
 * float argmin is taken only when every other centre is more than a proven error bound
 * away; otherwise the row goes through the double kernel. So the labels are exactly those
 * of the double kernel, and the double rows are read only for the sums of rows that move.
 *
 * The bound (u = 2^-24, n = dim, rounding x and c to float included): each float value
 * differs from the exact ||c||^2 - 2 x.c by at most 2u ||c||^2 + 2(n + 3) u ||x|| ||c||
 * (Cauchy-Schwarz on the sum of |x_i c_i|), which is at most
 * (n + 3) u (CC + 2 ||x|| C) with C the largest ||c|| and CC = C^2. The margin is twice
 * that plus the double kernel's own (smaller) error and the rounding of the threshold:
 * (2n + 12) u (CC + 2 ||x|| C), and an absolute term for values near the float
 * underflow. Ties (a duplicated centre) always fall back, and so does a NaN. */
/* The centres of the KS_ROWS rows from r (those in lanes), one per lane. The float copy holds
 * each group of KS_ROWS rows coordinate-major (xf + r dim: coordinate d of the 16 rows at
 * [16 d, 16 d + 16)), so one load gives one coordinate of all 16 rows, and the centres'
 * coordinates come broadcast from ws->cf (d-major): the rows stay in the lanes, and the
 * minimum over centres and the count of centres under the threshold are lane-wise, with no
 * reduction across lanes. Each (row, centre) value is the same fused sum over d in order as
 * a row-major kernel's. ng: centre groups of KS_LANES (a constant where it is 1 or 2). */
CRM__KM_AVX512 static inline __attribute__((always_inline)) __m512i
screen_rows(const km_blk *x, int64_t r, __mmask16 lanes, const lloyd_ws *ws, int32_t ng)
{
    int64_t dim = x->dim;
    int64_t kp = (int64_t)ng * KS_LANES;
    const float *xb = ws->data->xf + r * dim;
    __m512 dv[KS_MAXG * KS_LANES];
    __m512 best = _mm512_set1_ps(INFINITY);
    const __m512 two = _mm512_set1_ps(2.0f);
    __mmask16 fb;
    for (int32_t g = 0; g < ng; g++) {
        __m512 acc[KS_LANES];
        for (int t = 0; t < KS_LANES; t++) {
            acc[t] = _mm512_setzero_ps();
        }
        for (int64_t d = 0; d < dim; d++) {
            __m512 xv = _mm512_load_ps(xb + d * KS_ROWS);
            const float *c = ws->cf + d * kp + (int64_t)g * KS_LANES;
            for (int t = 0; t < KS_LANES; t++) {
                acc[t] = _mm512_fmadd_ps(xv, _mm512_set1_ps(c[t]), acc[t]);
            }
        }
        for (int t = 0; t < KS_LANES; t++) {
            __m512 v = _mm512_fnmadd_ps(two, acc[t], _mm512_set1_ps(ws->ccf[g * KS_LANES + t]));
            dv[g * KS_LANES + t] = v;
            best = _mm512_min_ps(best, v);
        }
    }
    /* Threshold per row: its float minimum + margin (see above; the coefficient also
     * covers the float rounding of this expression). */
    __m512 xn = _mm512_loadu_ps(ws->data->xnorm + r);
    __m512 span =
        _mm512_fmadd_ps(_mm512_mul_ps(xn, _mm512_set1_ps(2.0f)), _mm512_set1_ps((float)ws->cmax),
                        _mm512_set1_ps((float)ws->ccmax));
    __m512 tiny = _mm512_mul_ps(_mm512_add_ps(xn, _mm512_set1_ps(1.0f + (float)ws->cmax)),
                                _mm512_set1_ps((float)(dim + 2) * 0x1p-100f));
    float coef = (float)(2 * dim + 16) * 0x1p-24f * (1.0f + 0x1p-10f);
    __m512 thr = _mm512_add_ps(_mm512_fmadd_ps(span, _mm512_set1_ps(coef), best), tiny);
    __m512i n_near = _mm512_setzero_si512();
    __m512i a = _mm512_set1_epi32(-1);
    const __m512i one = _mm512_set1_epi32(1);
    for (int32_t j = (int32_t)kp - 1; j >= 0; j--) { /* downwards: a ends on the lowest */
        __mmask16 mk = _mm512_cmp_ps_mask(dv[j], thr, _CMP_LE_OQ);
        n_near = _mm512_mask_add_epi32(n_near, mk, n_near, one);
        a = _mm512_mask_mov_epi32(a, mk, _mm512_set1_epi32(j));
    }
    fb = _mm512_mask_cmpneq_epi32_mask(lanes, n_near, one);
    if (fb != 0) { /* near ties: the double kernel, row by row */
        int32_t near[KS_ROWS];
        _mm512_storeu_si512(near, a);
        for (; fb != 0; fb &= (__mmask16)(fb - 1)) {
            int q = __builtin_ctz(fb);
            double b;
            fused_nearest(x, r + q, 1, ws, &b, &near[q]);
        }
        a = _mm512_loadu_si512(near);
    }
    return a;
}

/* Prefetch [p0, p1): the hardware prefetcher alone leaves the core waiting on memory. */
static CRM__KM_INLINE void prefetch_span(const void *p0, const void *p1)
{
    for (const char *p = p0; p < (const char *)p1; p += 64) {
        _mm_prefetch(p, _MM_HINT_T0);
    }
}

/* block_pass for rows [r0, r1) on AVX-512: the screening kernel when the pass screens, the
 * fused double kernel otherwise.
 *
 * A screened pass reads the double rows only to move the sums of rows whose label changed
 * (every row in a fresh pass). Those rows are scattered, each a cache miss and most a TLB
 * miss, so they are listed while the block is screened and summed after it, in row order
 * (the sums are the same as row by row), each prefetched KS_MOVE_AHEAD rows of the list
 * ahead. */
CRM__KM_AVX512 static void avx512_block(const km_blk *x,
                                        int64_t r0,
                                        int64_t r1,
                                        const lloyd_ws *ws,
                                        int32_t *labels,
                                        double *sum,
                                        int64_t *cnt,
                                        int64_t *changed_out)
{
    int64_t dim = x->dim;
    int64_t changed = 0;
    if (!ws->screen) {
        for (int64_t r = r0; r < r1; r += KM_ROWS) {
            int64_t m = r1 - r < KM_ROWS ? r1 - r : KM_ROWS;
            int32_t arg[KM_ROWS];
            double best[KM_ROWS];
            if (r + KM_PREFETCH + KM_ROWS <= r1) {
                prefetch_span(XROW(x, r + KM_PREFETCH), XROW(x, r + KM_PREFETCH + KM_ROWS));
            }
            fused_nearest(x, r, m, ws, best, arg);
            changed += take_labels(x, r, m, arg, ws->fresh, labels, sum, cnt);
        }
    } else {
        int32_t moved[CRM_BLOCK_ROWS + KS_ROWS]; /* rows (from r0) whose sums move */
        int32_t old[CRM_BLOCK_ROWS + KS_ROWS];   /* their labels before this pass */
        int64_t n_moved = 0;
        const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        for (int64_t r = r0; r < r1; r += KS_ROWS) {
            int64_t m = r1 - r < KS_ROWS ? r1 - r : KS_ROWS;
            __mmask16 lanes = (__mmask16)((1u << m) - 1);
            __m512i a;
            __m512i was;
            __mmask16 ch;
            __mmask16 mv;
            if (r + KS_PREFETCH + KS_ROWS <= r1) {
                prefetch_span(ws->data->xf + (r + KS_PREFETCH) * dim,
                              ws->data->xf + (r + KS_PREFETCH + KS_ROWS) * dim);
            }
            if (ws->n_g16 == 1) { /* a constant group count keeps dv in registers */
                a = screen_rows(x, r, lanes, ws, 1);
            } else if (ws->n_g16 == 2) {
                a = screen_rows(x, r, lanes, ws, 2);
            } else {
                a = screen_rows(x, r, lanes, ws, ws->n_g16);
            }
            /* the labels, and the rows whose sums move, lane-wise */
            was = _mm512_maskz_loadu_epi32(lanes, labels + r);
            ch = _mm512_mask_cmpneq_epi32_mask(lanes, was, a);
            changed += __builtin_popcount(ch);
            _mm512_mask_storeu_epi32(labels + r, lanes, a);
            mv = sum == NULL ? 0 : ws->fresh ? lanes : ch;
            if (mv != 0) {
                __m512i rows = _mm512_add_epi32(iota, _mm512_set1_epi32((int32_t)(r - r0)));
                _mm512_storeu_si512(moved + n_moved, _mm512_maskz_compress_epi32(mv, rows));
                _mm512_storeu_si512(old + n_moved, _mm512_maskz_compress_epi32(mv, was));
                n_moved += __builtin_popcount(mv);
            }
        }
        for (int64_t i = 0; i < n_moved; i++) {
            int64_t row = r0 + moved[i];
            if (i + KS_MOVE_AHEAD < n_moved) {
                const double *p = XROW(x, r0 + moved[i + KS_MOVE_AHEAD]);
                prefetch_span(p, p + dim);
            }
            sum_row(XROW(x, row), dim, labels[row], old[i], ws->fresh, sum, cnt);
        }
    }
    *changed_out = changed;
}
#endif

/* E step of block b (rows [x->r0, r1)), plus its partial sums when ws->psum is set. Cloned
 * per instruction set (run-time dispatch): the loops only select, add and multiply in source
 * order, so every clone gives bit-identical results. */
CRM__CLONES
static void block_pass(const km_blk *x,
                       int64_t r1,
                       const double *centers,
                       int32_t k,
                       lloyd_ws *ws,
                       int64_t b,
                       double *tile,
                       int32_t *labels)
{
    int64_t dim = x->dim;
    int64_t r0 = x->r0;
    int64_t changed = 0;
    double *sum = ws->psum != NULL ? ws->psum + b * k * dim : NULL;
    int64_t *cnt = ws->psum != NULL ? ws->pcount + b * k : NULL;
    if (sum != NULL) {
        memset(sum, 0, (size_t)(k * dim) * sizeof(double));
        memset(cnt, 0, (size_t)k * sizeof(int64_t));
    }
    if (ws->pxx != NULL && !ws->have_xx) { /* the first pass: rows read here anyway */
        ws->pxx[b] = block_sq_norms(x, r0, r1);
    }
#if CRM__KM_HAVE_FUSED
    if (ws->fused) {
        avx512_block(x, r0, r1, ws, labels, sum, cnt, &ws->pchanged[b]);
        return;
    }
#endif
    for (int64_t r = r0; r < r1; r += ws->tile_rows) {
        int64_t m = r1 - r < ws->tile_rows ? r1 - r : ws->tile_rows;
        double *best = tile + (int64_t)k * m;
        double *arg = best + m;
        int32_t iarg[CRM__KM_TILE_MAX];
        tile_nearest(x, r, m, centers, ws->cnorm, k, tile, best, arg);
        for (int64_t i = 0; i < m; i++) {
            iarg[i] = (int32_t)arg[i];
        }
        changed += take_labels(x, r, m, iarg, ws->fresh, labels, sum, cnt); /* rows in cache */
    }
    ws->pchanged[b] = changed;
}

/* One pass over all blocks (this rank's, the others' partials gathered); *changed gets the
 * changed-label count. Only this rank's rows get new labels. */
static crm_status pass(const crm__km_rows *x,
                       const double *centers,
                       int32_t k,
                       lloyd_ws *ws,
                       int nt,
                       int32_t *labels,
                       int64_t *changed,
                       crm_error *err)
{
    int64_t nb = ws->n_blocks;
    int64_t b0;
    int64_t b1;
    crm_status st;
    crm__dist_blocks(nb, &b0, &b1);
    *changed = 0;
    center_norms(centers, k, x->dim, ws);
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *tile = ws->tiles + (size_t)tid * (size_t)ws->tile_rows * ((size_t)k + 2);
#pragma omp for schedule(static)
        for (int64_t b = b0; b < b1; b++) {
            km_blk xb = get_block(x, b, tid);
            block_pass(&xb, block_end(x, b), centers, k, ws, b, tile, labels);
        }
    }
    st = crm_dist_replicated() ? share_pass(ws, k, x->dim, b0, b1, err) : CRM_OK;
    for (int64_t b = 0; b < nb; b++) {
        *changed += ws->pchanged[b];
    }
    return st;
}

/* Inertia of a pass's labels against the centres it used: sum ||x||^2 + sum over clusters
 * of (count ||c||^2 - 2 sum.c), from the reduced sums (the screening pass has no double
 * distances). */
static double pass_inertia(const lloyd_ws *ws,
                           const double *centers,
                           const double *sums,
                           const int64_t *counts,
                           int32_t k,
                           int64_t dim)
{
    double s = ws->xsum;
    for (int32_t j = 0; j < k; j++) {
        double dot = 0.0;
        for (int64_t d = 0; d < dim; d++) {
            dot += sums[j * dim + d] * centers[j * dim + d];
        }
        s += (double)counts[j] * ws->cnorm[j] - 2.0 * dot;
    }
    return s > 0.0 ? s : 0.0; /* cancellation when every row sits on its centre */
}

/* Rows farthest from their assigned centre, largest first (ties: lowest row), into far[m]. */
static double farthest_rows(const crm__km_rows *x,
                            int64_t i0,
                            int64_t i1,
                            const double *centers,
                            const int32_t *labels,
                            int32_t m,
                            int64_t *far,
                            double *fd)
{
    int64_t dim = x->dim;
    int32_t have = 0;
    km_blk xb = { NULL, 0, 0, dim };
    for (int64_t i = i0; i < i1; i++) {
        if (i == i0 || i % CRM_BLOCK_ROWS == 0) {
            xb = get_block(x, i / CRM_BLOCK_ROWS, 0);
        }
        double d = crm__sq_dist(XROW(&xb, i), centers + labels[i] * dim, dim);
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

/* farthest_rows under local rows: each rank its own rows, then the m largest of the ranks'
 * candidates (ties: lowest row), the same as one scan of every row. Collective. */
static crm_status farthest_local(const crm__km_rows *x,
                                 int32_t m,
                                 const double *centers,
                                 const int32_t *labels,
                                 int64_t *far,
                                 double *fd,
                                 double *last,
                                 crm_error *err)
{
    int64_t own[2]; /* this rank's rows [own[0], own[1]) */
    int64_t got[2] = { 0, 0 };
    double *all_d = NULL;
    int64_t *all_i = NULL;
    int32_t have = 0;
    crm_status st;
    crm_dist_own_rows(x->n, &own[0], &own[1]);
    for (int32_t q = 0; q < m; q++) {
        far[q] = -1;
        fd[q] = -1.0;
    }
    (void)farthest_rows(x, own[0], own[1], centers, labels, m, far, fd);
    st = crm_dist_allgather_f64(fd, m, &all_d, &got[0], NULL, err);
    if (st == CRM_OK) {
        st = crm_dist_allgather_i64(far, m, &all_i, &got[1], NULL, err);
    }
    for (int32_t q = 0; st == CRM_OK && q < m; q++) {
        int64_t best = -1;
        for (int64_t c = 0; c < got[1]; c++) {
            if (all_i[c] >= 0 && (best < 0 || all_d[c] > all_d[best] ||
                                  (all_d[c] == all_d[best] && all_i[c] < all_i[best]))) {
                best = c;
            }
        }
        if (best < 0) {
            break;
        }
        far[q] = all_i[best];
        fd[q] = all_d[best];
        all_i[best] = -1;
        have++;
    }
    *last = have == m ? fd[m - 1] : 0.0;
    crm_free(all_d);
    crm_free(all_i);
    return st;
}

/* Add the block partials to sums (k x dim) and counts (k), in block order; a fresh pass
 * replaces them. */
static void reduce_sums(const lloyd_ws *ws, int32_t k, int64_t dim, double *sums, int64_t *counts)
{
    if (ws->fresh) {
        memset(sums, 0, (size_t)(k * dim) * sizeof(double));
        memset(counts, 0, (size_t)k * sizeof(int64_t));
    }
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
}

/* Move empty clusters (scikit-learn's rule); the next pass then sums afresh, since the
 * moved rows keep their labels. */
static crm_status relocate_empty(const crm__km_rows *x,
                                 const double *centers,
                                 const int32_t *labels,
                                 int32_t k,
                                 lloyd_ws *ws,
                                 double *sums,
                                 int64_t *counts,
                                 crm_error *err)
{
    int64_t dim = x->dim;
    int32_t n_empty = 0;
    ws->fresh = 0;
    for (int32_t j = 0; j < k; j++) {
        n_empty += counts[j] == 0;
    }
    if (n_empty == 0) {
        return CRM_OK;
    }
    if (crm_dist_replicated()) { /* the farthest rows are looked for among all labels */
        crm_status sst;
        sst = crm__dist_share_run((void *)(uintptr_t)labels, sizeof(int32_t), CRM_BLOCK_ROWS, x->n,
                                  ws->n_blocks, err);
        if (sst != CRM_OK) {
            return sst;
        }
    }
    int64_t *far = crm_mallocarray((size_t)n_empty, sizeof(int64_t));
    double *fd = crm_mallocarray((size_t)n_empty, sizeof(double));
    double *frow = crm_mallocarray((size_t)n_empty * (size_t)dim, sizeof(double));
    double last = 0.0;
    crm_status st = far == NULL || fd == NULL || frow == NULL ? crm__error_nomem(err) : CRM_OK;
    if (crm_dist_local_rows()) {
        st = crm_dist_agree(st, err);
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    if (crm_dist_local_rows()) {
        st = farthest_local(x, n_empty, centers, labels, far, fd, &last, err);
    } else {
        last = farthest_rows(x, 0, x->n, centers, labels, n_empty, far, fd);
    }
    if (st == CRM_OK && crm_dist_local_rows()) { /* every row stored, each on its holder */
        st = crm__fetch_rows(x->x, far, n_empty, frow, err);
    }
    for (int32_t e = 0; st == CRM_OK && !crm_dist_local_rows() && e < n_empty; e++) {
        km_blk xr = get_rows(x, far[e], far[e] + 1, 0); /* stored, or made here */
        memcpy(frow + e * dim, XROW(&xr, far[e]), (size_t)dim * sizeof(double));
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    if (!(last > 0.0)) {
        st = crm__error_set(err, CRM_EDATA, "k = %d but the data has fewer than %d distinct rows",
                            (int)k, (int)k);
        goto cleanup;
    }
    for (int32_t j = 0, e = 0; j < k; j++) {
        if (counts[j] != 0) {
            continue;
        }
        const double *row = frow + e * dim;
        int32_t old = labels[far[e]];
        for (int64_t d = 0; d < dim; d++) {
            sums[old * dim + d] -= row[d];
            sums[j * dim + d] = row[d];
        }
        counts[old]--;
        counts[j] = 1;
        e++;
    }
    ws->fresh = 1;
cleanup:
    crm_free(far);
    crm_free(fd);
    crm_free(frow);
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

/* Row i of the float copy: its coordinate 0, coordinate d at [d KS_ROWS]. The rows are held
 * in groups of KS_ROWS, coordinate-major (see screen_rows). */
static float *xf_row(float *xf, int64_t i, int64_t dim)
{
    return xf + (i - i % KS_ROWS) * dim + i % KS_ROWS;
}

crm_status crm__lloyd_data_init(crm__lloyd_data *ld,
                                const crm__km_rows *x,
                                int32_t k,
                                int64_t max_passes,
                                int nt,
                                crm_error *err)
{
    int64_t n = x->n;
    int64_t dim = x->dim;
    int64_t nb = crm__n_blocks(n);
    double *part = crm_mallocarray((size_t)nb + 1, sizeof(double));
    float *xf = NULL;
    double xmax = 0.0;
    int64_t bad = INT64_MAX;
    int64_t b0;
    int64_t b1;
    crm_status st;
    memset(ld, 0, sizeof *ld);
    if (part == NULL) {
        return crm__error_nomem(err);
    }
    /* under mpirun with replicated data, each rank its run of blocks: the passes and the
     * screening read only those rows' float copies */
    crm__dist_blocks(nb, &b0, &b1);
    if (stored(x, n) && use_fused(k, dim) && (k + KS_LANES - 1) / KS_LANES <= KS_MAXG &&
        max_passes >= CRM__KM_COPY_MIN_PASSES &&
        n * dim <= CRM__KM_COPY_MAX_BYTES / (int64_t)sizeof(float)) {
        /* whole groups of KS_ROWS rows (screen_rows), the last one padded with zeros */
        int64_t n_pad = (n + KS_ROWS - 1) / KS_ROWS * KS_ROWS;
        ld->xf = crm_aligned_alloc((size_t)(n_pad * dim) * sizeof(float));
        ld->xnorm = crm_aligned_alloc((size_t)n * sizeof(float) + 64);
        if (ld->xf == NULL || ld->xnorm == NULL) { /* no screening, no error */
            crm__lloyd_data_fini(ld);
        }
        xf = ld->xf;
    }
    if (xf == NULL && stored(x, n) && !crm_dist_replicated() && !crm_dist_local_rows()) {
        /* every row stored (and checked by the caller), nothing to copy: the first pass of
         * each run, which reads the rows anyway, takes sum ||x||^2 (the same sums) */
        ld->xsum_later = 1;
        crm_free(part);
        return CRM_OK;
    }
#pragma omp parallel for schedule(static) num_threads(nt) reduction(max : xmax) reduction(min : bad)
    for (int64_t b = b0; b < b1; b++) {
        int64_t r1 = block_end(x, b);
        km_blk xb = get_block(x, b, thread_id());
        double v = 0.0;
        if (!stored(x, r1)) {
            int64_t f = first_nonfinite(&xb, r1);
            bad = f < bad ? f : bad;
        }
        if (xf != NULL) {
            crm__populate(xf + b * CRM_BLOCK_ROWS * dim,
                          (size_t)((r1 - b * CRM_BLOCK_ROWS) * dim) * sizeof(float));
        }
        for (int64_t i = b * CRM_BLOCK_ROWS; i < r1; i++) {
            const double *row = XROW(&xb, i);
            double r = row_sq(row, dim);
            v += r;
            if (xf != NULL) {
                double nr = sqrt(r) * (1.0 + 0x1p-20); /* rounds up to float */
                ld->xnorm[i] = (float)nr;
                xmax = nr > xmax ? nr : xmax;
                float *g = xf_row(xf, i, dim);
                for (int64_t d = 0; d < dim; d++) {
                    g[d * KS_ROWS] = (float)row[d];
                }
            }
        }
        part[b] = v;
    }
    if (xf != NULL) {
        memset(ld->xnorm + n, 0, 64); /* read (and ignored) for a last block's padding rows */
        for (int64_t i = n; i % KS_ROWS != 0; i++) { /* the last group's padding rows */
            float *g = xf_row(xf, i, dim);
            for (int64_t d = 0; d < dim; d++) {
                g[d * KS_ROWS] = 0.0f;
            }
        }
    }
    st = bad != INT64_MAX ? nonfinite_error(x, bad, err)
                          : crm__dist_share_run(part, sizeof(double), 1, nb, nb, err);
    if (st == CRM_OK && crm_dist_replicated()) {
        /* a max is exact in any order; every rank screens with the same bound */
        st = crm_dist_allreduce_f64(&xmax, 1, CRM_DIST_MAX, err);
    }
    ld->xmax = xmax;
    for (int64_t b = 0; st == CRM_OK && b < nb; b++) {
        ld->xsum += part[b]; /* block order: the same with any thread or rank count */
    }
    crm_free(part);
    if (st != CRM_OK) {
        crm__lloyd_data_fini(ld);
    }
    return st;
}

void crm__lloyd_data_fini(crm__lloyd_data *ld)
{
    crm_aligned_free(ld->xf);
    crm_aligned_free(ld->xnorm);
    ld->xf = NULL;
    ld->xnorm = NULL;
}

/* Float centre groups for screen_rows, when the data has its float copy. */
static crm_status screen_setup(lloyd_ws *ws, int32_t k, int64_t dim, crm_error *err)
{
    int32_t ng = (k + KS_LANES - 1) / KS_LANES;
    if (ws->data->xf == NULL || !ws->fused || ng > KS_MAXG) {
        return CRM_OK;
    }
    ws->n_g16 = ng;
    ws->cf = crm_aligned_alloc((size_t)ng * (size_t)dim * KS_LANES * sizeof(float));
    ws->ccf = crm_aligned_alloc((size_t)ng * KS_LANES * sizeof(float));
    if (ws->cf == NULL || ws->ccf == NULL) {
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

/* Exact squared distance of each row of block b (rows [x->r0, r1)) to its centre, summed
 * into pinert[b]. */
static void block_exact(const km_blk *x,
                        int64_t r1,
                        const double *centers,
                        const int32_t *labels,
                        int64_t b,
                        double *dist,
                        double *pinert)
{
    int64_t dim = x->dim;
    double s = 0.0;
    for (int64_t i = x->r0; i < r1; i++) {
        double d = crm__sq_dist(XROW(x, i), centers + labels[i] * dim, dim);
        if (dist != NULL) {
            dist[i] = d;
        }
        s += d;
    }
    pinert[b] = s;
}

static void assign_block(const crm__km_rows *x,
                         const double *centers,
                         int32_t k,
                         lloyd_ws *ws,
                         int64_t b,
                         int tid,
                         double *tile,
                         int32_t *labels,
                         double *dist)
{
    int64_t r1 = block_end(x, b);
    km_blk xb = get_block(x, b, tid);
    for (int64_t i = b * CRM_BLOCK_ROWS; i < r1; i++) {
        labels[i] = -1; /* caller's buffer may be uninitialised */
    }
    block_pass(&xb, r1, centers, k, ws, b, tile, labels);
    block_exact(&xb, r1, centers, labels, b, dist, ws->pinert);
}

crm_status crm__assign(const crm__km_rows *x,
                       const double *centers,
                       int32_t k,
                       int nt,
                       int32_t *labels,
                       double *dist,
                       double *inertia,
                       crm_error *err)
{
    lloyd_ws ws;
    crm_status st = ws_init(&ws, x->n, x->dim, k, nt, 0, err);
    int64_t nb;
    int64_t b0;
    int64_t b1;
    int replicated;
    if (st != CRM_OK) {
        return st;
    }
    nb = ws.n_blocks;
    center_norms(centers, k, x->dim, &ws);
    crm__dist_blocks(nb, &b0, &b1);
    replicated = crm_dist_replicated();
    if (!replicated) {
        b0 = 0;
        b1 = nb;
    }
    if (!replicated && nb <= 1) {
        /* One block (a server's small request): no thread team, whose start and end cost
         * more than the block. Same arithmetic as below. */
        for (int64_t b = 0; b < nb; b++) {
            assign_block(x, centers, k, &ws, b, 0, ws.tiles, labels, dist);
        }
    } else {
#pragma omp parallel num_threads(nt)
        {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            double *tile = ws.tiles + (size_t)tid * (size_t)ws.tile_rows * ((size_t)k + 2);
#pragma omp for schedule(static)
            for (int64_t b = b0; b < b1; b++) {
                assign_block(x, centers, k, &ws, b, tid, tile, labels, dist);
            }
        }
    }
    if (replicated) {
        st = crm__dist_share_run(labels, sizeof(int32_t), CRM_BLOCK_ROWS, x->n, nb, err);
        if (st == CRM_OK && dist != NULL) {
            st = crm__dist_share_run(dist, sizeof(double), CRM_BLOCK_ROWS, x->n, nb, err);
        }
        if (st == CRM_OK) {
            st = crm__dist_share_run(ws.pinert, sizeof(double), 1, nb, nb, err);
        }
        if (st != CRM_OK) {
            ws_free(&ws);
            return st;
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

crm_status crm__lloyd(const crm__km_rows *x,
                      int32_t k,
                      double *centers,
                      const crm__lloyd_data *data,
                      const crm__lloyd_opts *opts,
                      crm__lloyd_out *out,
                      crm_error *err)
{
    int64_t dim = x->dim;
    lloyd_ws ws;
    crm__lloyd_data own;
    double *sums = NULL;
    int64_t *counts = NULL;
    crm_status st = ws_init(&ws, x->n, dim, k, opts->nt, 1, err);
    int32_t it = 0;
    memset(&own, 0, sizeof own);
    if (st != CRM_OK) {
        return st;
    }
    if (data == NULL) {
        st = crm__lloyd_data_init(&own, x, k, opts->max_iter, opts->nt, err);
        data = &own;
    }
    ws.data = data;
    ws.xsum = data->xsum;
    if (st == CRM_OK && data->xsum_later) {
        ws.pxx = crm_calloc((size_t)ws.n_blocks + 1, sizeof(double));
        st = ws.pxx == NULL ? crm__error_nomem(err) : CRM_OK;
    }
    sums = crm_mallocarray((size_t)(k * dim), sizeof(double));
    counts = crm_mallocarray((size_t)k, sizeof(int64_t));
    if (st == CRM_OK && (sums == NULL || counts == NULL)) {
        st = crm__error_nomem(err);
    }
    if (st == CRM_OK) {
        st = screen_setup(&ws, k, dim, err);
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    for (int64_t i = 0; i < x->n; i++) {
        out->labels[i] = -1;
    }
    ws.fresh = 1;
    while (it < opts->max_iter) {
        int64_t changed = 0;
        st = pass(x, centers, k, &ws, opts->nt, out->labels, &changed, err);
        if (st != CRM_OK) {
            goto cleanup;
        }
        if (ws.pxx != NULL && !ws.have_xx) {
            ws.have_xx = 1;
            ws.xsum = 0.0;
            for (int64_t b = 0; b < ws.n_blocks; b++) {
                ws.xsum += ws.pxx[b]; /* block order: the same with any thread count */
            }
        }
        reduce_sums(&ws, k, dim, sums, counts);
        if (out->trace != NULL) {
            out->trace[it] = pass_inertia(&ws, centers, sums, counts, k, dim);
        }
        st = relocate_empty(x, centers, out->labels, k, &ws, sums, counts, err);
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
    crm__lloyd_data_fini(&own);
    crm_free(sums);
    crm_free(counts);
    return st;
}
