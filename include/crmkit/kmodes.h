/* crmkit/kmodes.h: k-modes for categorical data and k-prototypes for mixed data.
 *
 * k-modes: Huang, "Extensions to the k-Means Algorithm for Clustering Large Data Sets with
 * Categorical Values", Data Mining and Knowledge Discovery 2(3), 1998. Each cluster has a
 * mode (the most frequent level of each attribute, ties to the lowest code) and a row's
 * dissimilarity to it is the number of attributes where they differ (matching dissimilarity).
 *
 * k-prototypes: Huang, "Clustering large data sets with mixed numeric and categorical values",
 * PAKDD 1997. A prototype is the mean of the numeric attributes and the mode of the categorical
 * ones; the dissimilarity is the squared Euclidean distance on the numeric part plus gamma
 * times the number of categorical mismatches. gamma defaults to half the mean (population)
 * standard deviation of the numeric columns, as the Python package `kmodes` does.
 *
 * Cost: the sum over rows of the dissimilarity to their cluster's prototype, the prototypes
 * being the modes / means of the clusters (crm_kmodes_cost). A fit alternates batch passes
 * (every row to its nearest prototype, ties to the lowest index, then new prototypes) with
 * single-row moves that lower the cost once the prototypes are recomputed (exact cost change,
 * O(1) per attribute), until neither changes anything. The result is therefore a local
 * optimum: no row moved alone to another cluster lowers the cost, and every row sits at its
 * nearest prototype. docs/algorithms/kmodes.md has the details and the initialisations.
 *
 * Thread safety: a fitted crm_kmodes may be read (assign, accessors, save) from any number of
 * threads at once; new/fit/free need exclusive access. Same seed, same result, whatever the
 * number of threads. */
#ifndef CRMKIT_KMODES_H
#define CRMKIT_KMODES_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_kmodes crm_kmodes; /* opaque */

typedef enum crm_kmodes_init {
    CRM_KMODES_INIT_CAO = 0,   /* Cao, Liang and Bai, Pattern Recognition Letters 30, 2009:
                                  density-based, deterministic (n_init is then 1) */
    CRM_KMODES_INIT_HUANG = 1, /* Huang 1998: levels drawn by their frequency, then the nearest
                                  distinct rows */
    CRM_KMODES_INIT_RANDOM = 2 /* k distinct rows drawn uniformly */
} crm_kmodes_init;

/* The data: n_rows rows, each with n_num numeric values (row-major, num[i * n_num + j]) and
 * n_cat category codes (cat[i * n_cat + j], 0 <= code < n_levels[j]). Borrowed. k-modes has
 * n_num == 0; k-prototypes either part may be empty. */
typedef struct crm_mixed {
    int64_t n_rows;
    int32_t n_num;
    int32_t n_cat;
    const double *num;      /* NULL when n_num == 0 */
    const int32_t *cat;     /* NULL when n_cat == 0 */
    const int32_t *n_levels; /* n_cat entries, each >= 1 */
} crm_mixed;

typedef struct crm_kmodes_params { /* transparent; start from crm_kmodes_params_default() */
    int32_t k;                     /* clusters, >= 1 (default 8) */
    crm_kmodes_init init;          /* default Cao */
    int32_t n_init;                /* initialisations, the lowest cost kept (default 1) */
    int32_t max_iter;              /* batch passes per run (default 100) */
    double gamma;                  /* weight of one categorical mismatch against the squared
                                      numeric distance; < 0 = automatic (default -1) */
    uint64_t seed;                 /* default 0 */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_kmodes_params;

/** Defaults: k 8, Cao, n_init 1, max_iter 100, gamma automatic, seed 0, n_threads 0. */
CRM_API crm_kmodes_params crm_kmodes_params_default(void);
CRM_API crm_status crm_kmodes_params_check(const crm_kmodes_params *p, crm_error *err);

/** CRM_EDATA naming the first bad cell (a code out of range, a non-finite number) or shape. */
CRM_API crm_status crm_mixed_check(const crm_mixed *x, crm_error *err);

/** The automatic gamma of x: half the mean population standard deviation of its numeric
 *  columns (1 when it has none or they are all constant). */
CRM_API double crm_kmodes_auto_gamma(const crm_mixed *x);

/** Cost of labels (n_rows entries in [0, k)) on x with gamma: for each cluster, the squared
 *  distances to the numeric mean plus gamma times the mismatches with the mode. Empty
 *  clusters cost nothing. CRM_EINVAL for a label out of range. */
CRM_API crm_status crm_kmodes_cost(const crm_mixed *x,
                                   const int32_t *labels,
                                   int32_t k,
                                   double gamma,
                                   double *cost,
                                   crm_error *err);

/** Cao's initial modes for the categorical part of x (k x n_cat codes into modes, and the
 *  chosen row of each in rows, may be NULL). The density of a row is the mean over
 *  attributes of the share of rows having its level; the first mode is the densest row
 *  (ties: first row); each next one maximises, over rows, density times the dissimilarity
 *  to the nearest mode chosen so far (ties: first row). With a numeric part, the dissimilarity
 *  is the k-prototypes one with gamma. CRM_EDATA: fewer than k distinct rows. */
CRM_API crm_status crm_kmodes_init_cao(const crm_mixed *x,
                                       int32_t k,
                                       double gamma,
                                       int64_t *rows,
                                       crm_error *err);

CRM_API crm_status crm_kmodes_new(const crm_kmodes_params *p, crm_kmodes **out, crm_error *err);
CRM_API void crm_kmodes_free(crm_kmodes *km); /* NULL is a no-op */

/** Fit to x (borrowed for the call). Errors: CRM_EDATA (no rows, bad cells, fewer distinct
 *  rows than k), CRM_ENOMEM, CRM_ECANCELLED. On failure a previous fit is discarded. */
CRM_API crm_status crm_kmodes_fit(crm_kmodes *km,
                                  const crm_mixed *x,
                                  const crm_progress *progress,
                                  crm_error *err);

/** Nearest prototype of each row (ties: lowest index); dist (may be NULL) gets the
 *  dissimilarity. A code the model never saw (>= its n_levels) mismatches every mode.
 *  CRM_EINVAL when x has another shape than the fit. */
CRM_API crm_status crm_kmodes_assign(const crm_kmodes *km,
                                     const crm_mixed *x,
                                     int32_t *labels,
                                     double *dist,
                                     crm_error *err);

CRM_API int crm_kmodes_is_fitted(const crm_kmodes *km);
CRM_API int32_t crm_kmodes_k(const crm_kmodes *km);
CRM_API int32_t crm_kmodes_n_num(const crm_kmodes *km);
CRM_API int32_t crm_kmodes_n_cat(const crm_kmodes *km);
/** The gamma used (the automatic value once fitted). */
CRM_API double crm_kmodes_gamma(const crm_kmodes *km);
/** Cost of the kept run (NaN when unfitted). */
CRM_API double crm_kmodes_cost_value(const crm_kmodes *km);
CRM_API int32_t crm_kmodes_n_iter(const crm_kmodes *km);
/** Borrowed: k x n_cat mode codes; k x n_num numeric means. */
CRM_API const int32_t *crm_kmodes_modes(const crm_kmodes *km);
CRM_API const double *crm_kmodes_means(const crm_kmodes *km);
/** Training labels of the last fit (NULL after load). */
CRM_API const int32_t *crm_kmodes_labels(const crm_kmodes *km);
CRM_API int64_t crm_kmodes_n_rows(const crm_kmodes *km);

/** Save into section "kmodes" of w / load it from r. */
CRM_API crm_status crm_kmodes_save(const crm_kmodes *km, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_kmodes_load(const crm_model_reader *r, crm_kmodes **out, crm_error *err);

#endif
