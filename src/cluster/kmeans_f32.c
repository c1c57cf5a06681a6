/* kmeans_f32.c: Lloyd iterations over rows stored as float (crm_kmeans_fit_from_f32), for
 * tables whose double matrix would not fit in memory. Only the storage is float: each row is
 * widened to double as it is read, and its distances to the (double) centres, the centre
 * sums, the column variances of the tolerance and the inertia are all computed and
 * accumulated in double. Distances are the direct sum of squared differences (no
 * ||x||^2 - 2 x.c + ||c||^2 cancellation).
 *
 * Each pass runs over fixed blocks of rows, each block with its own partial sums, counts and
 * inertia; the partials are then added in block order. The block size depends on the rows, k
 * and dim only, so the result is bit-identical whatever the number of threads. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cluster_internal.h"
#include "core/core_internal.h"

#define F32_BLOCK_MIN ((int64_t)8192)
/* partial sums kept at most (in doubles); past it the blocks grow */
#define F32_PARTIAL_MAX ((int64_t)1 << 22)

typedef struct f32_work {
    const float *x;
    int64_t n, dim;
    int32_t k;
    int nt;
    int64_t block, nb;
    double *bsum;    /* nb x k x dim */
    int64_t *bcnt;   /* nb x k */
    double *binert;  /* nb */
    int64_t *bchg;   /* nb: labels changed */
    double *scratch; /* nt x dim */
} f32_work;

static int64_t block_rows(int64_t n, int32_t k, int64_t dim)
{
    int64_t per = (int64_t)k * dim + k + 2;
    int64_t b = F32_BLOCK_MIN;
    while ((n + b - 1) / b * per > F32_PARTIAL_MAX && b < n) {
        b *= 2;
    }
    return b;
}

static void free_work(f32_work *w)
{
    crm_free(w->bsum);
    crm_free(w->bcnt);
    crm_free(w->binert);
    crm_free(w->bchg);
    crm_free(w->scratch);
}

/* One assignment pass: labels, and per block the sums, counts, inertia and changed labels. */
static void pass(f32_work *w, const double *c, int32_t *labels, int first)
{
    const int64_t dim = w->dim;
    const int32_t k = w->k;
#pragma omp parallel num_threads(w->nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *xd = w->scratch + (int64_t)tid * dim;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < w->nb; b++) {
            int64_t r0 = b * w->block;
            int64_t r1 = r0 + w->block < w->n ? r0 + w->block : w->n;
            double *sum = w->bsum + b * k * dim;
            int64_t *cnt = w->bcnt + b * k;
            double inert = 0.0;
            int64_t chg = 0;
            memset(sum, 0, (size_t)(k * dim) * sizeof *sum);
            memset(cnt, 0, (size_t)k * sizeof *cnt);
            for (int64_t i = r0; i < r1; i++) {
                const float *row = w->x + i * dim;
                int32_t best = 0;
                double bestd = INFINITY;
                for (int64_t d = 0; d < dim; d++) {
                    xd[d] = (double)row[d];
                }
                for (int32_t j = 0; j < k; j++) {
                    const double *cj = c + (int64_t)j * dim;
                    double s = 0.0;
                    for (int64_t d = 0; d < dim; d++) {
                        double e = xd[d] - cj[d];
                        s += e * e;
                    }
                    if (s < bestd) {
                        bestd = s;
                        best = j;
                    }
                }
                chg += first || labels[i] != best;
                labels[i] = best;
                cnt[best]++;
                inert += bestd;
                for (int64_t d = 0; d < dim; d++) {
                    sum[best * dim + d] += xd[d];
                }
            }
            w->binert[b] = inert;
            w->bchg[b] = chg;
        }
    }
}

/* The blocks' partials added in block order. */
static void reduce(const f32_work *w, double *sums, int64_t *counts, double *inertia, int64_t *chg)
{
    int64_t cells = (int64_t)w->k * w->dim;
    memset(sums, 0, (size_t)cells * sizeof *sums);
    memset(counts, 0, (size_t)w->k * sizeof *counts);
    *inertia = 0.0;
    *chg = 0;
    for (int64_t b = 0; b < w->nb; b++) {
        const double *s = w->bsum + b * cells;
        const int64_t *c = w->bcnt + b * w->k;
        for (int64_t q = 0; q < cells; q++) {
            sums[q] += s[q];
        }
        for (int32_t j = 0; j < w->k; j++) {
            counts[j] += c[j];
        }
        *inertia += w->binert[b];
        *chg += w->bchg[b];
    }
}

/* tol times the mean per-column variance (the rule of crm__kmeans_tol_abs), two passes in
 * double over blocks added in order; CRM_EDATA naming the first non-finite cell. */
static crm_status tol_abs(const f32_work *w, double tol, double *out, crm_error *err)
{
    const int64_t dim = w->dim;
    double *part = crm_calloc((size_t)(w->nb * dim), sizeof *part);
    double *mean = crm_calloc((size_t)dim, sizeof *mean);
    int64_t bad = -1;
    double total = 0.0;
    if (part == NULL || mean == NULL) {
        crm_free(part);
        crm_free(mean);
        return crm__error_nomem(err);
    }
    for (int step = 0; step < 2; step++) {
#pragma omp parallel for schedule(static) num_threads(w->nt)
        for (int64_t b = 0; b < w->nb; b++) {
            int64_t r0 = b * w->block;
            int64_t r1 = r0 + w->block < w->n ? r0 + w->block : w->n;
            double *p = part + b * dim;
            for (int64_t i = r0; i < r1; i++) {
                const float *row = w->x + i * dim;
                for (int64_t d = 0; d < dim; d++) {
                    double v = (double)row[d];
                    if (step == 0 && !isfinite(v)) {
#pragma omp critical(crm_f32_bad)
                        if (bad < 0 || i * dim + d < bad) {
                            bad = i * dim + d;
                        }
                    }
                    if (step == 0) {
                        p[d] += v;
                    } else {
                        p[d] += (v - mean[d]) * (v - mean[d]);
                    }
                }
            }
        }
        if (bad >= 0) {
            crm_free(part);
            crm_free(mean);
            return crm__error_set(err, CRM_EDATA, "row %lld, column %lld is not finite",
                                  (long long)(bad / dim + 1), (long long)(bad % dim + 1));
        }
        for (int64_t d = 0; d < dim; d++) {
            double s = 0.0;
            for (int64_t b = 0; b < w->nb; b++) {
                s += part[b * dim + d];
                part[b * dim + d] = 0.0;
            }
            if (step == 0) {
                mean[d] = s / (double)w->n;
            } else {
                total += s / (double)w->n;
            }
        }
    }
    crm_free(part);
    crm_free(mean);
    *out = tol * total / (double)dim;
    return CRM_OK;
}

crm_status crm__lloyd_f32(const float *x,
                          int64_t n,
                          int64_t dim,
                          int32_t k,
                          double *centers,
                          int32_t max_iter,
                          double tol,
                          int nt,
                          const crm_progress *progress,
                          int32_t *labels,
                          double *trace,
                          int32_t *n_iter,
                          double *inertia,
                          crm_error *err)
{
    f32_work w;
    double *sums = NULL;
    int64_t *counts = NULL;
    double tabs = 0.0;
    int64_t chg = 0;
    crm_status st = CRM_OK;
    memset(&w, 0, sizeof w);
    w.x = x;
    w.n = n;
    w.dim = dim;
    w.k = k;
    w.nt = nt > 0 ? nt : 1;
    w.block = block_rows(n, k, dim);
    w.nb = (n + w.block - 1) / w.block;
    w.bsum = crm_mallocarray((size_t)(w.nb * k * dim), sizeof *w.bsum);
    w.bcnt = crm_mallocarray((size_t)(w.nb * k), sizeof *w.bcnt);
    w.binert = crm_mallocarray((size_t)w.nb, sizeof *w.binert);
    w.bchg = crm_mallocarray((size_t)w.nb, sizeof *w.bchg);
    w.scratch = crm_mallocarray((size_t)(w.nt * dim), sizeof *w.scratch);
    sums = crm_mallocarray((size_t)(k * dim), sizeof *sums);
    counts = crm_mallocarray((size_t)k, sizeof *counts);
    *n_iter = 0;
    *inertia = 0.0;
    if (!w.bsum || !w.bcnt || !w.binert || !w.bchg || !w.scratch || !sums || !counts) {
        st = crm__error_nomem(err);
        goto done;
    }
    if (tol > 0.0) {
        st = tol_abs(&w, tol, &tabs, err);
        if (st != CRM_OK) {
            goto done;
        }
    }
    for (int32_t it = 0; it < max_iter; it++) {
        double shift = 0.0;
        pass(&w, centers, labels, it == 0);
        reduce(&w, sums, counts, inertia, &chg);
        if (it > 0 && chg == 0) {
            break; /* labels unchanged: the centres are their means already */
        }
        for (int32_t j = 0; j < k; j++) {
            if (counts[j] == 0) {
                continue; /* an emptied cluster keeps its centre */
            }
            for (int64_t d = 0; d < dim; d++) {
                double v = sums[j * dim + d] / (double)counts[j];
                double e = v - centers[j * dim + d];
                shift += e * e;
                centers[j * dim + d] = v;
            }
        }
        trace[it] = *inertia;
        *n_iter = it + 1;
        if (!crm_progress_report(progress, "k-means (float32 rows)",
                                 (double)(it + 1) / (double)max_iter)) {
            st = crm__error_set(err, CRM_ECANCELLED, "k-means was cancelled");
            goto done;
        }
        if (shift <= tabs || it + 1 == max_iter) {
            /* the labels and inertia of the final centres */
            pass(&w, centers, labels, 0);
            reduce(&w, sums, counts, inertia, &chg);
            break;
        }
    }
done:
    free_work(&w);
    crm_free(sums);
    crm_free(counts);
    return st;
}
