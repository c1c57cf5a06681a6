/* silhouette.c: all pairwise distances of the picked rows, for silhouette and Dunn.
 *
 * The rows are gathered once into a matrix Y ordered by (cluster, row), so each cluster is a
 * contiguous range of columns. Row chunks of CHUNK_ROWS rows are the parallel unit; for each
 * chunk, column tiles of TILE_COLS rows go through one cblas_dgemm (A Y_tile^T), the squared
 * distances ||a||^2 + ||y||^2 - 2 a.y are clamped at 0 and square-rooted in a vectorisable
 * loop, and each row adds its distances cluster range by cluster range, always in column
 * order. Every row's numbers are thus computed in a fixed order by one thread, and the mean
 * is reduced serially in row order, so the result does not depend on the thread count.
 * O(m^2 dim) time, O(m dim + threads x CHUNK_ROWS x TILE_COLS) memory. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "validity/validity_internal.h"

#define CHUNK_ROWS 64
#define TILE_COLS  2048
#define LANES      8

/* The distance and reduction loops are cloned per instruction set (run-time dispatch).
 * Reductions run in LANES fixed lanes combined in a fixed order, so every clone gives the
 * same bits. (sqrt stays scalar: with errno semantics GCC does not vectorise it.) */
typedef struct pw {
    const double *y;    /* m x dim, rows in cluster order */
    const double *yn;   /* m: squared norms */
    const int64_t *seg; /* k + 1: cluster j holds columns [seg[j], seg[j+1]) */
    const int32_t *cl;  /* m: cluster of each ordered row */
    int64_t m;
    int64_t dim;
    int32_t k;
    double *scratch; /* per thread: CHUNK_ROWS x TILE_COLS distances + CHUNK_ROWS x k sums */
    double *sil;     /* m, in cluster order */
    double *dmin;    /* m: nearest row of another cluster */
    double *dmax;    /* m: farthest row of the same cluster */
} pw;

/* Distances of rows [r0, r0 + nr) to columns [c0, c0 + nc) into d (nr x nc). */
CRM__CLONES
static void tile_dist(const pw *w, int64_t r0, int64_t nr, int64_t c0, int64_t nc, double *d)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)nc, (int)w->dim, -2.0,
                w->y + r0 * w->dim, (int)w->dim, w->y + c0 * w->dim, (int)w->dim, 0.0, d, (int)nc);
    for (int64_t r = 0; r < nr; r++) {
        double *restrict dr = d + r * nc;
        const double *restrict yn = w->yn + c0;
        double a = w->yn[r0 + r];
        for (int64_t j = 0; j < nc; j++) {
            double v = dr[j] + a + yn[j];
            v = v > 0.0 ? v : 0.0;
            dr[j] = sqrt(v);
        }
        if (r0 + r >= c0 && r0 + r < c0 + nc) {
            dr[r0 + r - c0] = 0.0; /* exactly 0 to itself, as scikit-learn */
        }
    }
}

/* Sum, minimum and maximum of v[n] (n >= 0), each in LANES lanes combined in lane order. */
CRM__CLONES
static void reduce(const double *restrict v, int64_t n, double *sum, double *lo, double *hi)
{
    double s[LANES] = { 0 };
    double mn[LANES];
    double mx[LANES];
    int64_t q = 0;
    for (int l = 0; l < LANES; l++) {
        mn[l] = INFINITY;
        mx[l] = 0.0;
    }
    for (; q + LANES <= n; q += LANES) {
        for (int l = 0; l < LANES; l++) {
            double d = v[q + l];
            s[l] += d;
            mn[l] = d < mn[l] ? d : mn[l];
            mx[l] = d > mx[l] ? d : mx[l];
        }
    }
    for (int l = 0; q < n; q++, l++) {
        s[l] += v[q];
        mn[l] = v[q] < mn[l] ? v[q] : mn[l];
        mx[l] = v[q] > mx[l] ? v[q] : mx[l];
    }
    for (int l = 0; l < LANES; l++) {
        *sum += s[l];
        *lo = mn[l] < *lo ? mn[l] : *lo;
        *hi = mx[l] > *hi ? mx[l] : *hi;
    }
}

/* Adds one tile row's distances to the per-cluster sums and extremes of row t. */
static void tile_row_stats(const pw *w,
                           int64_t t,
                           const double *dr,
                           int64_t c0,
                           int64_t nc,
                           double *sums,
                           double *dmin,
                           double *dmax)
{
    int32_t own = w->cl[t];
    int32_t j = w->cl[c0];
    int64_t c = c0;
    while (c < c0 + nc) {
        int64_t end = w->seg[j + 1] < c0 + nc ? w->seg[j + 1] : c0 + nc;
        double lo = INFINITY;
        double hi = 0.0;
        reduce(dr + (c - c0), end - c, &sums[j], &lo, &hi);
        if (j == own) {
            *dmax = hi > *dmax ? hi : *dmax;
        } else {
            *dmin = lo < *dmin ? lo : *dmin;
        }
        c = end;
        j++;
    }
}

static void row_silhouette(const pw *w, int64_t t, const double *sums)
{
    int32_t own = w->cl[t];
    double n_own = (double)(w->seg[own + 1] - w->seg[own]);
    double in;
    double out = INFINITY;
    double mx;
    if (n_own < 2.0) {
        w->sil[t] = 0.0; /* a singleton's silhouette is 0 by convention */
        return;
    }
    in = sums[own] / (n_own - 1.0);
    for (int32_t j = 0; j < w->k; j++) {
        double n_j = (double)(w->seg[j + 1] - w->seg[j]);
        if (j != own && n_j > 0.0 && sums[j] / n_j < out) {
            out = sums[j] / n_j;
        }
    }
    mx = in > out ? in : out;
    w->sil[t] = mx > 0.0 ? (out - in) / mx : 0.0;
}

static void chunk(const pw *w, int64_t r0, double *scratch)
{
    int64_t nr = w->m - r0 < CHUNK_ROWS ? w->m - r0 : CHUNK_ROWS;
    double *d = scratch;
    double *sums = scratch + (int64_t)CHUNK_ROWS * TILE_COLS;
    memset(sums, 0, (size_t)nr * (size_t)w->k * sizeof(double));
    for (int64_t r = 0; r < nr; r++) {
        w->dmin[r0 + r] = INFINITY;
        w->dmax[r0 + r] = 0.0;
    }
    for (int64_t c0 = 0; c0 < w->m; c0 += TILE_COLS) {
        int64_t nc = w->m - c0 < TILE_COLS ? w->m - c0 : TILE_COLS;
        tile_dist(w, r0, nr, c0, nc, d);
        for (int64_t r = 0; r < nr; r++) {
            tile_row_stats(w, r0 + r, d + r * nc, c0, nc, sums + r * w->k, &w->dmin[r0 + r],
                           &w->dmax[r0 + r]);
        }
    }
    for (int64_t r = 0; r < nr; r++) {
        row_silhouette(w, r0 + r, sums + r * w->k);
    }
}

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a;
    const int64_t *y = b;
    if (x[0] != y[0]) {
        return (x[0] > y[0]) - (x[0] < y[0]);
    }
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Y, its norms, the cluster of each ordered row and the cluster ranges. */
static crm_status gather(const crm_matrix *x,
                         const int64_t *rows,
                         const int32_t *sid,
                         pw *w,
                         double *y,
                         double *yn,
                         int32_t *cl,
                         int64_t *seg,
                         crm_error *err)
{
    int64_t *key = crm_mallocarray((size_t)w->m * 2, sizeof(int64_t));
    if (key == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t t = 0; t < w->m; t++) {
        key[2 * t] = sid[t];
        key[2 * t + 1] = rows[t];
    }
    qsort(key, (size_t)w->m, 2 * sizeof(int64_t), cmp_pair);
    memset(seg, 0, ((size_t)w->k + 1) * sizeof(int64_t));
    for (int64_t t = 0; t < w->m; t++) {
        const double *src = CRM_ROW(x, key[2 * t + 1]);
        double s = 0.0;
        memcpy(y + t * w->dim, src, (size_t)w->dim * sizeof(double));
        for (int64_t q = 0; q < w->dim; q++) {
            s += src[q] * src[q];
        }
        yn[t] = s;
        cl[t] = (int32_t)key[2 * t];
        seg[cl[t] + 1]++;
    }
    for (int32_t j = 0; j < w->k; j++) {
        seg[j + 1] += seg[j];
    }
    crm_free(key);
    return CRM_OK;
}

crm_status crm__validity_pairwise(const crm__validity_job *job,
                                  double *silhouette,
                                  double *dunn,
                                  crm_error *err)
{
    const crm_matrix *x = job->x;
    const int64_t *rows = job->rows;
    const int32_t *sid = job->sid;
    int64_t m = job->m;
    int32_t k = job->k;
    int nt = job->nt;
    const crm_progress *progress = job->progress;
    pw w;
    size_t per_thread = (size_t)CHUNK_ROWS * TILE_COLS + (size_t)CHUNK_ROWS * (size_t)k;
    /* every array in one block that y heads: y, yn, scratch, sil, dmin, dmax (doubles), seg
     * (int64), cl (int32) */
    const size_t n_dbl = (size_t)m * ((size_t)x->n_cols + 4) + (size_t)nt * per_thread;
    double *y = crm_malloc(n_dbl * sizeof(double) + ((size_t)k + 1) * sizeof(int64_t) +
                           (size_t)m * sizeof(int32_t));
    double *yn = NULL;
    int32_t *cl = NULL;
    int64_t *seg = NULL;
    crm_status st = CRM_OK;
    int64_t n_chunks = (m + CHUNK_ROWS - 1) / CHUNK_ROWS;
    memset(&w, 0, sizeof w);
    w.m = m;
    w.dim = x->n_cols;
    w.k = k;
    if (y == NULL) {
        return crm__error_nomem(err);
    }
    yn = y + (size_t)m * (size_t)x->n_cols;
    w.scratch = yn + m;
    w.sil = w.scratch + (size_t)nt * per_thread;
    w.dmin = w.sil + m;
    w.dmax = w.dmin + m;
    seg = (int64_t *)(void *)(w.dmax + m);
    cl = (int32_t *)(void *)(seg + k + 1);
    st = gather(x, rows, sid, &w, y, yn, cl, seg, err);
    if (st != CRM_OK) {
        goto cleanup;
    }
    w.y = y;
    w.yn = yn;
    w.cl = cl;
    w.seg = seg;
    /* Groups of chunks per parallel region, so progress can be reported and cancelled. */
    for (int64_t g0 = 0; g0 < n_chunks && st == CRM_OK; g0 += 32) {
        int64_t g1 = g0 + 32 < n_chunks ? g0 + 32 : n_chunks;
#pragma omp parallel num_threads(nt)
        {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
#pragma omp for schedule(dynamic, 1)
            for (int64_t c = g0; c < g1; c++) {
                chunk(&w, c * CHUNK_ROWS, w.scratch + (size_t)tid * per_thread);
            }
        }
        if (!crm_progress_report(progress, "validity", (double)g1 / (double)n_chunks)) {
            st = crm__error_set(err, CRM_ECANCELLED, "validity cancelled");
        }
    }
    if (st == CRM_OK) {
        crm__ksum s = { 0.0, 0.0 };
        double lo = INFINITY;
        double hi = 0.0;
        for (int64_t t = 0; t < m; t++) {
            crm__ksum_add(&s, w.sil[t]);
            lo = w.dmin[t] < lo ? w.dmin[t] : lo;
            hi = w.dmax[t] > hi ? w.dmax[t] : hi;
        }
        *silhouette = s.sum / (double)m;
        *dunn = hi > 0.0 ? lo / hi : (double)INFINITY;
    }
cleanup:
    crm_free(y);
    return st;
}
