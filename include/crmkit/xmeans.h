/* crmkit/xmeans.h: choosing k automatically, by X-means or by the elbow method.
 *
 * X-means: Pelleg and Moore, "X-means: Extending K-means with Efficient Estimation of the
 * Number of Clusters", ICML 2000. Starting from kmin centres, each cluster is tentatively
 * split in two (2-means inside the cluster); the split is kept when the BIC of the two-cluster
 * model of that region beats the one-cluster model. Repeats until no split is kept or kmax is
 * reached, then runs a final global k-means. The BIC is the paper's, with the parameter
 * penalty counted once per model (docs/algorithms/xmeans.md gives the formula and a worked
 * example).
 *
 * Elbow: k-means for every k in [kmin, kmax]; the knee of the inertia curve is the point
 * farthest from the chord joining its two ends, after normalising both axes to [0, 1]
 * (the "Kneedle" difference curve for a convex decreasing curve).
 *
 * Both return an ordinary fitted crm_kmeans, so assign/save/load work the same whatever
 * chose k. Same seed, same result, whatever the number of threads. */
#ifndef CRMKIT_XMEANS_H
#define CRMKIT_XMEANS_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/kmeans.h>
#include <crmkit/matrix.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_xmeans_params { /* transparent; start from crm_xmeans_params_default() */
    int32_t kmin;                  /* >= 1 (default 2) */
    int32_t kmax;                  /* >= kmin (default 20) */
    int32_t max_iter;              /* Lloyd iterations of each inner k-means (default 300) */
    double tol;                    /* as crm_kmeans_params.tol (default 1e-4) */
    uint64_t seed;
    int32_t n_threads; /* 0 = OpenMP default; never changes results */
    /* A split is refused when a child would hold fewer than min_share of all rows (default 0:
     * the paper's X-means, which knows no such floor). */
    double min_share;
} crm_xmeans_params;

typedef struct crm_xmeans_result {
    int32_t k;        /* clusters found */
    double bic;       /* BIC of the final model (higher is better) */
    int32_t n_rounds; /* improve-structure rounds run */
} crm_xmeans_result;

CRM_API crm_xmeans_params crm_xmeans_params_default(void);
CRM_API crm_status crm_xmeans_params_check(const crm_xmeans_params *p, crm_error *err);

/** Run X-means on x (borrowed for the call). On success *out owns a new fitted crm_kmeans
 *  with the chosen k; res (may be NULL) gets k, BIC and rounds. Errors: CRM_EINVAL (params),
 *  CRM_EDATA (non-finite values, fewer distinct rows than kmin), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_xmeans_fit(const crm_xmeans_params *p,
                                  const crm_matrix *x,
                                  const crm_progress *progress,
                                  crm_kmeans **out,
                                  crm_xmeans_result *res,
                                  crm_error *err);

/** The paper's BIC of a hard clustering (higher is better): labels[n_rows] in [0, k),
 *  centers k x dim. Spherical Gaussians with one pooled variance
 *  sigma^2 = SSE / (dim * (n - k)); log-likelihood summed over clusters; penalty
 *  p/2 * ln n with p = (k - 1) + k * dim + 1, counted once. Errors: CRM_EINVAL (k < 1, a label
 *  out of range), CRM_EDATA (n <= k, so the variance is undefined). */
CRM_API crm_status crm_xmeans_bic(const crm_matrix *x,
                                  const int32_t *labels,
                                  const double *centers,
                                  int32_t k,
                                  double *bic,
                                  crm_error *err);

typedef struct crm_elbow_params { /* transparent; start from crm_elbow_params_default() */
    int32_t kmin;                 /* >= 1 (default 1) */
    int32_t kmax;                 /* >= kmin + 2 (default 20) */
    crm_kmeans_params kmeans;     /* settings of each k-means run (k is ignored) */
} crm_elbow_params;

CRM_API crm_elbow_params crm_elbow_params_default(void);
CRM_API crm_status crm_elbow_params_check(const crm_elbow_params *p, crm_error *err);

/** Fit k-means for k = kmin..kmax and pick the knee. On success *out owns the fitted model
 *  at the chosen k; inertia (may be NULL) is caller-owned with kmax - kmin + 1 entries and
 *  receives the curve. Errors: as crm_kmeans_fit, plus CRM_EINVAL for bad params. */
CRM_API crm_status crm_elbow_fit(const crm_elbow_params *p,
                                 const crm_matrix *x,
                                 const crm_progress *progress,
                                 crm_kmeans **out,
                                 double *inertia,
                                 crm_error *err);

/** The knee of a decreasing curve y[n] sampled at k = kmin, kmin+1, ...: the k whose point,
 *  with both axes scaled to [0, 1], lies farthest below the chord from the first to the last
 *  point (ties: smallest k). Needs n >= 3 (else CRM_EINVAL); a flat or straight curve gives
 *  kmin. */
CRM_API crm_status
crm_elbow_knee(const double *y, int32_t n, int32_t kmin, int32_t *k, crm_error *err);

#endif
