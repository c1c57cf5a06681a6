/* gmm.c: Gaussian mixtures by EM (crmkit/gmm.h).
 *
 * Each component keeps the lower Cholesky factor L of its covariance (S = L L') and its
 * inverse P = L^-1, so the Mahalanobis distance is |P x - P mu|^2 (d^2 / 2 multiply-adds that
 * do not wait on each other) and log |S| = 2 sum log L_aa; a diagonal component keeps
 * 1 / sqrt(variance).
 *
 * E-step and M-step run over fixed blocks of rows in parallel; the log-likelihood and the
 * M-step's sums are added per block and the blocks in order, so nothing depends on the
 * number of threads. The covariance is accumulated centred on the new mean (a second pass),
 * which loses no digits when the mean is large against the spread. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/gmm.h>
#include <crmkit/kmeans.h>

#include "core/core_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define LOG_2PI 1.8378770664093454835606594728112

struct crm_gmm {
    crm_gmm_params p;
    int32_t k;
    int32_t d;
    int fitted;
    double *w;       /* [k] */
    double *log_w;   /* [k] */
    double *mu;      /* [k * d] */
    double *cov;     /* full [k * d * d], diagonal [k * d] */
    double *chol;    /* full: lower factors [k * d * d]; diagonal: 1 / sqrt(var) [k * d] */
    double *inv_dg;  /* full: 1 / L_aa [k * d] */
    double *pt;      /* full: P = L^-1 [k * d * d], row major (lower triangle) */
    double *pmu;     /* full: L^-1 mu [k * d] */
    double *log_det; /* [k]: 0.5 log |S| */
    int32_t n_iter;
    int converged;
    double lower_bound;
};

crm_gmm_params crm_gmm_params_default(void)
{
    return (crm_gmm_params){
        .k = 8, .cov = CRM_GMM_FULL, .max_iter = 100, .tol = 1e-3, .reg_covar = 1e-6
    };
}

crm_status crm_gmm_params_check(const crm_gmm_params *p, crm_error *err)
{
    const char *bad = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "gmm params: NULL");
    }
    if (p->k < 1) {
        bad = "k must be >= 1";
    } else if (p->cov != CRM_GMM_FULL && p->cov != CRM_GMM_DIAG) {
        bad = "cov must be full or diagonal";
    } else if (p->max_iter < 1) {
        bad = "max_iter must be >= 1";
    } else if (!(p->tol >= 0) || !isfinite(p->tol)) {
        bad = "tol must be a number >= 0";
    } else if (!(p->reg_covar >= 0) || !isfinite(p->reg_covar)) {
        bad = "reg_covar must be a number >= 0";
    } else if (p->n_threads < 0) {
        bad = "n_threads must be >= 0";
    }
    return bad ? crm__error_set(err, CRM_EINVAL, "gmm params: %s", bad) : CRM_OK;
}

static void free_arrays(crm_gmm *g)
{
    CRM__FREE(g->w, g->log_w, g->mu, g->cov, g->chol, g->inv_dg, g->log_det, g->pt, g->pmu);
    g->w = g->log_w = g->mu = g->cov = g->chol = g->inv_dg = g->log_det = NULL;
    g->pt = g->pmu = NULL;
}

crm_status crm_gmm_new(const crm_gmm_params *p, crm_gmm **out, crm_error *err)
{
    crm_gmm *g;
    crm_status rc = crm_gmm_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    g = crm_calloc(1, sizeof *g);
    if (g == NULL) {
        return crm__error_nomem(err);
    }
    g->p = *p;
    *out = g;
    return CRM_OK;
}

void crm_gmm_free(crm_gmm *g)
{
    if (g == NULL) {
        return;
    }
    free_arrays(g);
    crm_free(g);
}

static size_t cov_len(const crm_gmm *g)
{
    return g->p.cov == CRM_GMM_FULL ? (size_t)g->k * (size_t)g->d * (size_t)g->d
                                    : (size_t)g->k * (size_t)g->d;
}

static crm_status alloc_arrays(crm_gmm *g, crm_error *err)
{
    size_t kd = (size_t)g->k * (size_t)g->d;
    free_arrays(g);
    g->w = crm_mallocarray((size_t)g->k, sizeof *g->w);
    g->log_w = crm_mallocarray((size_t)g->k, sizeof *g->log_w);
    g->mu = crm_mallocarray(kd, sizeof *g->mu);
    g->cov = crm_mallocarray(cov_len(g), sizeof *g->cov);
    g->chol = crm_mallocarray(cov_len(g), sizeof *g->chol);
    g->inv_dg = crm_mallocarray(kd, sizeof *g->inv_dg);
    g->log_det = crm_mallocarray((size_t)g->k, sizeof *g->log_det);
    g->pt = crm_mallocarray(cov_len(g), sizeof *g->pt);
    g->pmu = crm_mallocarray(kd, sizeof *g->pmu);
    if (!g->w || !g->log_w || !g->mu || !g->cov || !g->chol || !g->inv_dg || !g->log_det ||
        !g->pt || !g->pmu) {
        free_arrays(g);
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

/* Factor every covariance; -1 - j when component j's is not positive definite, else 0. */
static int32_t factor(crm_gmm *g)
{
    int32_t d = g->d;
    for (int32_t j = 0; j < g->k; j++) {
        double half_log_det = 0;
        g->log_w[j] = log(g->w[j]);
        if (g->p.cov == CRM_GMM_DIAG) {
            for (int32_t a = 0; a < d; a++) {
                double v = g->cov[(size_t)j * d + a];
                if (!(v > 0) || !isfinite(v)) {
                    return -1 - j;
                }
                g->chol[(size_t)j * d + a] = 1.0 / sqrt(v);
                half_log_det += 0.5 * log(v);
            }
        } else {
            const double *s = g->cov + (size_t)j * d * d;
            double *l = g->chol + (size_t)j * d * d;
            memset(l, 0, (size_t)d * (size_t)d * sizeof *l);
            for (int32_t a = 0; a < d; a++) {
                for (int32_t b = 0; b <= a; b++) {
                    double sum = s[(size_t)a * d + b];
                    for (int32_t c = 0; c < b; c++) {
                        sum -= l[(size_t)a * d + c] * l[(size_t)b * d + c];
                    }
                    if (a == b) {
                        if (!(sum > 0) || !isfinite(sum)) {
                            return -1 - j;
                        }
                        l[(size_t)a * d + a] = sqrt(sum);
                        g->inv_dg[(size_t)j * d + a] = 1.0 / l[(size_t)a * d + a];
                        half_log_det += log(l[(size_t)a * d + a]);
                    } else {
                        l[(size_t)a * d + b] = sum * g->inv_dg[(size_t)j * d + b];
                    }
                }
            }
        }
        g->log_det[j] = half_log_det;
        if (g->p.cov == CRM_GMM_FULL) {
            /* P = L^-1 column by column (forward substitution on the unit vectors); and
             * P mu. pt[a * d + b] = P_ab. */
            const double *l = g->chol + (size_t)j * d * d;
            const double *inv = g->inv_dg + (size_t)j * d;
            double *pt = g->pt + (size_t)j * d * d;
            const double *mu = g->mu + (size_t)j * d;
            double *pm = g->pmu + (size_t)j * d;
            memset(pt, 0, (size_t)d * (size_t)d * sizeof *pt);
            for (int32_t c = 0; c < d; c++) {
                pt[(size_t)c * d + c] = inv[c];
                for (int32_t a = c + 1; a < d; a++) {
                    double sum = 0;
                    for (int32_t b = c; b < a; b++) {
                        sum += l[(size_t)a * d + b] * pt[(size_t)b * d + c];
                    }
                    pt[(size_t)a * d + c] = -sum * inv[a];
                }
            }
            for (int32_t a = 0; a < d; a++) {
                double sum = 0;
                for (int32_t b = 0; b <= a; b++) {
                    sum += pt[(size_t)a * d + b] * mu[b];
                }
                pm[a] = sum;
            }
        }
    }
    return 0;
}

/* log w_j + log N(row | mu_j, S_j) for every j into lp[k]; y[d] is scratch. */
static void log_prob_row(const crm_gmm *g, const double *row, double *lp, double *y)
{
    int32_t d = g->d;
    for (int32_t j = 0; j < g->k; j++) {
        const double *mu = g->mu + (size_t)j * d;
        double maha = 0;
        if (g->p.cov == CRM_GMM_DIAG) {
            const double *is = g->chol + (size_t)j * d;
            for (int32_t a = 0; a < d; a++) {
                double t = (row[a] - mu[a]) * is[a];
                maha += t * t;
            }
        } else {
            /* y = P x - P mu, as scikit-learn's X @ prec_chol - mu @ prec_chol: one short dot
             * product per coordinate, independent of each other (kept in registers) */
            const double *pt = g->pt + (size_t)j * d * d;
            const double *pm = g->pmu + (size_t)j * d;
            (void)y;
            for (int32_t a = 0; a < d; a++) {
                const double *pa = pt + (size_t)a * d;
                double t = -pm[a];
                for (int32_t b = 0; b <= a; b++) {
                    t += pa[b] * row[b];
                }
                maha += t * t;
            }
        }
        lp[j] = g->log_w[j] - 0.5 * ((double)d * LOG_2PI + maha) - g->log_det[j];
    }
}

/* E-step over x: resp[n * k] (may be NULL: only the likelihood) and the mean log-likelihood.
 * Returns CRM_ENOMEM only. */
static crm_status
e_step(const crm_gmm *g, const crm_matrix *x, double *resp, double *mean_ll, int nt, crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t nb = crm__n_blocks(n);
    int32_t k = g->k;
    double *part = crm_calloc((size_t)(nb > 0 ? nb : 1), sizeof *part);
    double *scratch =
        crm_mallocarray((size_t)(nt > 0 ? nt : 1) * (size_t)(g->d + k), sizeof *scratch);
    double total = 0;
    if (part == NULL || scratch == NULL) {
        crm_free(part);
        crm_free(scratch);
        return crm__error_nomem(err);
    }
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *y = scratch + (size_t)tid * (size_t)(g->d + k);
        double *lp = y + g->d;
#pragma omp for schedule(static)
        for (int64_t bl = 0; bl < nb; bl++) {
            int64_t lo = bl * CRM_BLOCK_ROWS;
            int64_t hi = lo + CRM_BLOCK_ROWS < n ? lo + CRM_BLOCK_ROWS : n;
            double sum = 0;
            for (int64_t i = lo; i < hi; i++) {
                int32_t top = 0;
                double mx;
                double se = 1.0; /* exp(lp[top] - mx) */
                double lse;
                log_prob_row(g, CRM_ROW(x, i), lp, y);
                for (int32_t j = 1; j < k; j++) {
                    top = lp[j] > lp[top] ? j : top;
                }
                mx = lp[top];
                for (int32_t j = 0; j < k; j++) {
                    se += j != top ? exp(lp[j] - mx) : 0.0;
                }
                lse = mx + log(se);
                sum += lse;
                if (resp != NULL) {
                    double *r = resp + i * k;
                    for (int32_t j = 0; j < k; j++) {
                        r[j] = exp(lp[j] - lse);
                    }
                }
            }
            part[bl] = sum;
        }
    }
    for (int64_t bl = 0; bl < nb; bl++) {
        total += part[bl];
    }
    *mean_ll = n > 0 ? total / (double)n : 0;
    crm_free(part);
    crm_free(scratch);
    return CRM_OK;
}

/* M-step from resp[n * k]: weights, means, covariances (+ reg_covar), as scikit-learn's
 * _estimate_gaussian_parameters. Two passes over the rows (sums and means, then the centred
 * covariances), each parallel over fixed blocks with the partial sums added in block order.
 * Returns CRM_ENOMEM only. */
static crm_status
m_step(crm_gmm *g, const crm_matrix *x, const double *resp, int nt, crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t nb = crm__n_blocks(n);
    int32_t k = g->k;
    int32_t d = g->d;
    int full = g->p.cov == CRM_GMM_FULL;
    size_t per_cov = full ? (size_t)d * d : (size_t)d;
    size_t stride1 = (size_t)k * (size_t)(d + 1);
    size_t stride2 = (size_t)k * per_cov;
    double *p1 = crm_calloc((size_t)(nb > 0 ? nb : 1) * stride1, sizeof *p1);
    double *p2 = crm_calloc((size_t)(nb > 0 ? nb : 1) * stride2, sizeof *p2);
    double *nk = crm_calloc((size_t)k, sizeof *nk);
    double *diff = crm_mallocarray((size_t)(nt > 0 ? nt : 1) * (size_t)d, sizeof *diff);
    if (p1 == NULL || p2 == NULL || nk == NULL || diff == NULL) {
        CRM__FREE(p1, p2, nk, diff);
        return crm__error_nomem(err);
    }
    /* pass 1: sum_i r_ij and sum_i r_ij x_i per block ([k] then [k * d]) */
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t bl = 0; bl < nb; bl++) {
        int64_t lo = bl * CRM_BLOCK_ROWS;
        int64_t hi = lo + CRM_BLOCK_ROWS < n ? lo + CRM_BLOCK_ROWS : n;
        double *sn = p1 + (size_t)bl * stride1;
        double *sx = sn + k;
        for (int64_t i = lo; i < hi; i++) {
            const double *r = resp + i * k;
            const double *row = CRM_ROW(x, i);
            for (int32_t j = 0; j < k; j++) {
                double rj = r[j];
                double *sxj = sx + (size_t)j * d;
                sn[j] += rj;
                for (int32_t a = 0; a < d; a++) {
                    sxj[a] += rj * row[a];
                }
            }
        }
    }
    memset(g->mu, 0, (size_t)k * (size_t)d * sizeof *g->mu);
    for (int64_t bl = 0; bl < nb; bl++) {
        const double *sn = p1 + (size_t)bl * stride1;
        for (int32_t j = 0; j < k; j++) {
            nk[j] += sn[j];
        }
        for (size_t t = 0; t < (size_t)k * (size_t)d; t++) {
            g->mu[t] += sn[k + t];
        }
    }
    for (int32_t j = 0; j < k; j++) {
        nk[j] += 10 * DBL_EPSILON;
        for (int32_t a = 0; a < d; a++) {
            g->mu[(size_t)j * d + a] /= nk[j];
        }
        g->w[j] = nk[j] / (double)n;
    }
    /* pass 2: sum_i r_ij (x_i - mu_j)(x_i - mu_j)' per block (lower triangle), or its
     * diagonal */
#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *df = diff + (size_t)tid * (size_t)d;
#pragma omp for schedule(static)
        for (int64_t bl = 0; bl < nb; bl++) {
            int64_t lo = bl * CRM_BLOCK_ROWS;
            int64_t hi = lo + CRM_BLOCK_ROWS < n ? lo + CRM_BLOCK_ROWS : n;
            double *sc = p2 + (size_t)bl * stride2;
            for (int64_t i = lo; i < hi; i++) {
                const double *r = resp + i * k;
                const double *row = CRM_ROW(x, i);
                for (int32_t j = 0; j < k; j++) {
                    const double *mu = g->mu + (size_t)j * d;
                    double rj = r[j];
                    double *cj = sc + (size_t)j * per_cov;
                    if (rj == 0) {
                        continue;
                    }
                    for (int32_t a = 0; a < d; a++) {
                        df[a] = row[a] - mu[a];
                    }
                    if (!full) {
                        for (int32_t a = 0; a < d; a++) {
                            cj[a] += rj * df[a] * df[a];
                        }
                        continue;
                    }
                    for (int32_t a = 0; a < d; a++) {
                        double ra = rj * df[a];
                        double *ca = cj + (size_t)a * d;
                        for (int32_t b2 = 0; b2 <= a; b2++) {
                            ca[b2] += ra * df[b2];
                        }
                    }
                }
            }
        }
    }
    memset(g->cov, 0, (size_t)k * per_cov * sizeof *g->cov);
    for (int64_t bl = 0; bl < nb; bl++) {
        const double *sc = p2 + (size_t)bl * stride2;
        for (size_t t = 0; t < stride2; t++) {
            g->cov[t] += sc[t];
        }
    }
    for (int32_t j = 0; j < k; j++) {
        double *cov = g->cov + (size_t)j * per_cov;
        if (!full) {
            for (int32_t a = 0; a < d; a++) {
                cov[a] = cov[a] / nk[j] + g->p.reg_covar;
            }
            continue;
        }
        for (int32_t a = 0; a < d; a++) {
            for (int32_t b2 = 0; b2 <= a; b2++) {
                double v = cov[(size_t)a * d + b2] / nk[j] + (a == b2 ? g->p.reg_covar : 0);
                cov[(size_t)a * d + b2] = v;
                cov[(size_t)b2 * d + a] = v;
            }
        }
    }
    CRM__FREE(p1, p2, nk, diff);
    return CRM_OK;
}

static crm_status not_pd(int32_t code, crm_error *err)
{
    return crm__error_set(err, CRM_EDATA,
                          "gmm: the covariance of component %d is not positive definite "
                          "(a collapsed component: raise reg_covar or lower k)",
                          (int)(-1 - code));
}

/* Initial parameters given by the caller (init: weights, means, covariances), or one M-step
 * from the hard labels of k-means. */
typedef struct gmm_init {
    const double *w;
    const double *mu;
    const double *cov;
} gmm_init;

static crm_status initialise(crm_gmm *g,
                             const gmm_init *init,
                             const crm_matrix *x,
                             double *resp,
                             int nt,
                             crm_error *err)
{
    int32_t code;
    const crm_gmm_params *p = &g->p;
    if (init != NULL) {
        double sum = 0;
        memcpy(g->w, init->w, (size_t)g->k * sizeof *g->w);
        memcpy(g->mu, init->mu, (size_t)g->k * (size_t)g->d * sizeof *g->mu);
        memcpy(g->cov, init->cov, cov_len(g) * sizeof *g->cov);
        for (int32_t j = 0; j < g->k; j++) {
            if (!(g->w[j] > 0) || !isfinite(g->w[j])) {
                return crm__error_set(err, CRM_EINVAL, "gmm: init_weights[%d] is not positive",
                                      (int)j);
            }
            sum += g->w[j];
        }
        if (fabs(sum - 1) > 1e-6) {
            return crm__error_set(err, CRM_EINVAL, "gmm: init_weights sum to %.17g, not 1", sum);
        }
        code = factor(g);
        if (code < 0) {
            return crm__error_set(err, CRM_EINVAL,
                                  "gmm: init_covs of component %d is not positive definite",
                                  (int)(-1 - code));
        }
        return CRM_OK;
    }
    {
        crm_kmeans_params kp = crm_kmeans_params_default();
        crm_kmeans *km = NULL;
        crm_status rc;
        kp.k = g->k;
        kp.seed = p->seed;
        kp.n_init = 1;
        kp.n_threads = p->n_threads;
        rc = crm_kmeans_new(&kp, &km, err);
        if (rc == CRM_OK) {
            rc = crm_kmeans_fit(km, x, NULL, err);
        }
        if (rc == CRM_OK) {
            const int32_t *lab = crm_kmeans_labels(km);
            memset(resp, 0, (size_t)x->n_rows * (size_t)g->k * sizeof *resp);
            for (int64_t i = 0; i < x->n_rows; i++) {
                resp[i * g->k + lab[i]] = 1.0;
            }
            rc = m_step(g, x, resp, nt, err);
            code = rc == CRM_OK ? factor(g) : 0;
            rc = code < 0 ? not_pd(code, err) : rc;
        }
        crm_kmeans_free(km);
        return rc;
    }
}

static crm_status fit(crm_gmm *g,
                      const crm_matrix *x,
                      const gmm_init *init,
                      const crm_progress *progress,
                      crm_error *err)
{
    int nt = crm__n_threads(g->p.n_threads);
    double *resp;
    double lower = -INFINITY;
    crm_status rc;
    if (x->n_rows < g->p.k) {
        return crm__error_set(err, CRM_EDATA, "gmm: %lld rows for %d components",
                              (long long)x->n_rows, (int)g->p.k);
    }
    if (x->n_cols < 1 || x->n_cols > INT32_MAX / 2) {
        return crm__error_set(err, CRM_EDATA, "gmm: the matrix has no column");
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    g->k = g->p.k;
    g->d = (int32_t)x->n_cols;
    g->fitted = 0;
    rc = alloc_arrays(g, err);
    if (rc != CRM_OK) {
        return rc;
    }
    resp = crm_mallocarray((size_t)x->n_rows * (size_t)g->k, sizeof *resp);
    if (resp == NULL) {
        return crm__error_nomem(err);
    }
    rc = initialise(g, init, x, resp, nt, err);
    g->n_iter = 0;
    g->converged = 0;
    for (int32_t it = 1; rc == CRM_OK && it <= g->p.max_iter; it++) {
        double prev = lower;
        int32_t code;
        rc = e_step(g, x, resp, &lower, nt, err);
        if (rc != CRM_OK) {
            break;
        }
        rc = m_step(g, x, resp, nt, err);
        if (rc != CRM_OK) {
            break;
        }
        code = factor(g);
        if (code < 0) {
            rc = not_pd(code, err);
            break;
        }
        g->n_iter = it;
        if (fabs(lower - prev) < g->p.tol) {
            g->converged = 1;
            break;
        }
        if (progress != NULL && progress->fn != NULL &&
            !progress->fn(progress->ud, "EM", (double)it / (double)g->p.max_iter)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "gmm: cancelled");
        }
    }
    crm_free(resp);
    if (rc != CRM_OK) {
        free_arrays(g);
        return rc;
    }
    g->lower_bound = lower;
    g->fitted = 1;
    return CRM_OK;
}

crm_status
crm_gmm_fit(crm_gmm *g, const crm_matrix *x, const crm_progress *progress, crm_error *err)
{
    return fit(g, x, NULL, progress, err);
}

crm_status crm_gmm_fit_from(crm_gmm *g,
                            const crm_matrix *x,
                            const double *weights,
                            const double *means,
                            const double *covs,
                            const crm_progress *progress,
                            crm_error *err)
{
    gmm_init init = { weights, means, covs };
    if (weights == NULL || means == NULL || covs == NULL) {
        return crm__error_set(err, CRM_EINVAL,
                              "gmm: initial weights, means and covariances "
                              "are all needed");
    }
    return fit(g, x, &init, progress, err);
}

static crm_status check_fitted(const crm_gmm *g, const crm_matrix *x, crm_error *err)
{
    if (!g->fitted) {
        return crm__error_set(err, CRM_ESTATE, "gmm: not fitted");
    }
    if (x->n_cols != g->d) {
        return crm__error_set(err, CRM_EINVAL, "gmm: the model has %d columns, the data %lld",
                              (int)g->d, (long long)x->n_cols);
    }
    return CRM_OK;
}

crm_status
crm_gmm_predict_proba(const crm_gmm *g, const crm_matrix *x, double *resp, crm_error *err)
{
    double ll;
    crm_status rc = check_fitted(g, x, err);
    return rc == CRM_OK ? e_step(g, x, resp, &ll, crm__n_threads(g->p.n_threads), err) : rc;
}

crm_status crm_gmm_assign(const crm_gmm *g, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    double *resp;
    crm_status rc = check_fitted(g, x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    resp = crm_mallocarray((size_t)(x->n_rows > 0 ? x->n_rows : 1) * (size_t)g->k, sizeof *resp);
    if (resp == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm_gmm_predict_proba(g, x, resp, err);
    for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
        int32_t best = 0;
        for (int32_t j = 1; j < g->k; j++) {
            best = resp[i * g->k + j] > resp[i * g->k + best] ? j : best;
        }
        labels[i] = best;
    }
    crm_free(resp);
    return rc;
}

crm_status crm_gmm_score(const crm_gmm *g, const crm_matrix *x, double *mean_ll, crm_error *err)
{
    crm_status rc = check_fitted(g, x, err);
    return rc == CRM_OK ? e_step(g, x, NULL, mean_ll, crm__n_threads(g->p.n_threads), err) : rc;
}

crm_status crm_gmm_bic(const crm_gmm *g, const crm_matrix *x, double *bic, crm_error *err)
{
    double ll = 0;
    double d = (double)g->d;
    double n_params;
    crm_status rc = crm_gmm_score(g, x, &ll, err);
    if (rc != CRM_OK) {
        return rc;
    }
    n_params =
        (g->p.cov == CRM_GMM_FULL ? g->k * d * (d + 1) / 2 : g->k * d) + g->k * d + (g->k - 1);
    *bic = -2 * ll * (double)x->n_rows + n_params * log((double)x->n_rows);
    return CRM_OK;
}

int32_t crm_gmm_k(const crm_gmm *g)
{
    return g->fitted ? g->k : g->p.k;
}

int32_t crm_gmm_dim(const crm_gmm *g)
{
    return g->d;
}

crm_gmm_cov crm_gmm_cov_type(const crm_gmm *g)
{
    return g->p.cov;
}

int32_t crm_gmm_n_iter(const crm_gmm *g)
{
    return g->n_iter;
}

int crm_gmm_converged(const crm_gmm *g)
{
    return g->converged;
}

double crm_gmm_lower_bound(const crm_gmm *g)
{
    return g->lower_bound;
}

const double *crm_gmm_weights(const crm_gmm *g)
{
    return g->fitted ? g->w : NULL;
}

const double *crm_gmm_means(const crm_gmm *g)
{
    return g->fitted ? g->mu : NULL;
}

const double *crm_gmm_covariances(const crm_gmm *g)
{
    return g->fitted ? g->cov : NULL;
}

#define GMM_SECTION "gmm"
#define GMM_VERSION 1u

/* Section layout: u32 version (1), u32 covariance type, i32 k, i32 d, i32 max_iter, f64 tol,
 * f64 reg_covar, i32 n_iter, i32 converged, f64 lower_bound, f64s weights[k], means[k * d],
 * covariances[k * d * d or k * d]. Save and load share the lists below. */
#define GMM_HEAD(g, version, cov, conv)                                                            \
    CRM_FIELD(version), CRM_FIELD(cov), CRM_FIELD(&(g)->k), CRM_FIELD(&(g)->d),                    \
        CRM_FIELD(&(g)->p.max_iter), CRM_FIELD(&(g)->p.tol), CRM_FIELD(&(g)->p.reg_covar),         \
        CRM_FIELD(&(g)->n_iter), CRM_FIELD(conv), CRM_FIELD(&(g)->lower_bound)
#define GMM_BODY(g)                                                                                \
    CRM_FIELDS((g)->w, (g)->k), CRM_FIELDS((g)->mu, (int64_t)(g)->k * g->d),                       \
        CRM_FIELDS((g)->cov, cov_len(g))

crm_status crm_gmm_save(const crm_gmm *g, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = GMM_VERSION;
    const uint32_t cov = (uint32_t)g->p.cov;
    const int32_t conv = g->converged;
    const crm_field f[] = { GMM_HEAD(g, &version, &cov, &conv), GMM_BODY(g) };
    crm_status rc;
    if (!g->fitted) {
        return crm__error_set(err, CRM_ESTATE, "gmm: not fitted");
    }
    rc = crm_model_begin(w, GMM_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_gmm_load(const crm_model_reader *r, crm_gmm **out, crm_error *err)
{
    crm_section s;
    crm_gmm *g;
    uint32_t version = 0;
    uint32_t cov = 0;
    int32_t conv = 0;
    size_t need;
    crm_status rc = crm_model_section(r, GMM_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    g = crm_calloc(1, sizeof *g);
    if (g == NULL) {
        return crm__error_nomem(err);
    }
    g->p = crm_gmm_params_default();
    {
        const crm_field head[] = { GMM_HEAD(g, &version, &cov, &conv) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    g->p.cov = (crm_gmm_cov)(cov <= 1u ? cov : 0u);
    g->p.k = g->k;
    need = 0;
    if (!s.failed && g->k >= 1 && g->k <= 1000000 && g->d >= 1 && g->d <= 100000) {
        need = ((size_t)g->k + (size_t)g->k * (size_t)g->d + cov_len(g)) * 8u;
    }
    if (s.failed || version != GMM_VERSION || cov > 1u || need == 0 ||
        need != (size_t)(s.len - s.pos) || crm_gmm_params_check(&g->p, NULL) != CRM_OK) {
        crm_gmm_free(g);
        return crm_model_malformed(r, GMM_SECTION, err);
    }
    g->converged = conv != 0;
    rc = alloc_arrays(g, err);
    if (rc == CRM_OK) {
        const crm_field body[] = { GMM_BODY(g) };
        double sum = 0;
        (void)crm_section_get_fields(&s, body, CRM_N_FIELDS(body));

        for (int32_t j = 0; j < g->k; j++) {
            sum += g->w[j];
            if (!(g->w[j] > 0) || !isfinite(g->w[j])) {
                s.failed = 1;
            }
        }
        for (size_t i = 0; i < (size_t)g->k * (size_t)g->d; i++) {
            if (!isfinite(g->mu[i])) {
                s.failed = 1;
            }
        }
        if (s.failed || !(fabs(sum - 1.0) < 1e-6) || factor(g) != 0) {
            rc = crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                               "corrupt model file: section \"" GMM_SECTION
                               "\" does not hold a mixture");
        }
    }
    if (rc == CRM_OK) {
        rc = crm_section_finish(&s, r, err);
    }
    if (rc != CRM_OK) {
        crm_gmm_free(g);
        return rc;
    }
    g->fitted = 1;
    *out = g;
    return CRM_OK;
}
