/* crmkit/kmeans.h: k-means clustering (Lloyd iterations, greedy k-means++ seeding).
 *
 * Works on an already cleaned and scaled crm_matrix. Distances are computed as
 * ||x||^2 - 2 x.c + ||c||^2 with BLAS (dgemm) over fixed row blocks; partial sums are reduced
 * per block in block order, so the result for a given seed is bit-identical whatever the
 * number of threads. docs/algorithms/kmeans.md has the details.
 *
 * Thread safety: a fitted crm_kmeans may be read (assign, accessors, save) from any number
 * of threads at once; new/fit/free need exclusive access. */
#ifndef CRMKIT_KMEANS_H
#define CRMKIT_KMEANS_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_kmeans crm_kmeans; /* opaque */

typedef enum crm_kmeans_init {
    CRM_KMEANS_INIT_PLUSPLUS = 0, /* greedy k-means++: 2 + floor(ln k) candidates per centre */
    CRM_KMEANS_INIT_RANDOM = 1    /* k distinct rows drawn uniformly */
} crm_kmeans_init;

typedef struct crm_kmeans_params { /* transparent; start from crm_kmeans_params_default() */
    int32_t k;                     /* clusters, >= 1 (default 8) */
    crm_kmeans_init init;          /* seeding when no centres are given (default ++) */
    int32_t max_iter;              /* Lloyd iterations per run, >= 1 (default 300) */
    int32_t n_init;                /* seedings; the run with the lowest inertia is kept (1) */
    double tol;                    /* stop when the summed squared centre shift is <= tol times
                                      the mean per-column variance of x (scikit-learn's rule);
                                      0 = only on unchanged labels (default 1e-4) */
    uint64_t seed;                 /* default 0 */
    int32_t n_threads;             /* 0 = OpenMP default; never changes results */
} crm_kmeans_params;

/** Defaults: k 8, k-means++, max_iter 300, n_init 1, tol 1e-4, seed 0, n_threads 0. */
CRM_API crm_kmeans_params crm_kmeans_params_default(void);
/** CRM_EINVAL naming the first bad field (err->field) if p is unusable. */
CRM_API crm_status crm_kmeans_params_check(const crm_kmeans_params *p, crm_error *err);

/** Create an unfitted model with a copy of *p. On success *out owns a new object; free it with
 *  crm_kmeans_free. Errors: CRM_EINVAL (bad params, err says which), CRM_ENOMEM. */
CRM_API crm_status crm_kmeans_new(const crm_kmeans_params *p, crm_kmeans **out, crm_error *err);
CRM_API void crm_kmeans_free(crm_kmeans *km); /* NULL is a no-op */

/** Fit to x (n_rows x dim, borrowed for the call only), seeding n_init times and keeping the
 *  run with the lowest inertia. A cluster that becomes empty is re-seeded with the row
 *  farthest from its centre. Errors: CRM_EDATA (no rows, non-finite values, or fewer distinct
 *  rows than k; the message says which), CRM_ENOMEM, CRM_ECANCELLED (the progress callback
 *  returned false; the model is then unfitted). Complexity O(n_init * iters * n_rows * k * dim).
 *  On failure a previous fit is discarded. */
CRM_API crm_status crm_kmeans_fit(crm_kmeans *km,
                                  const crm_matrix *x,
                                  const crm_progress *progress,
                                  crm_error *err);

/** Fit as crm_kmeans_fit, but run Lloyd once from the given centres (k x dim row-major,
 *  borrowed for the call; k and dim must match params.k and x->n_cols: CRM_EINVAL otherwise).
 *  n_init and init are ignored. Non-finite centres are CRM_EINVAL. */
CRM_API crm_status crm_kmeans_fit_from(crm_kmeans *km,
                                       const crm_matrix *x,
                                       const double *centers,
                                       const crm_progress *progress,
                                       crm_error *err);

/** Fit as crm_kmeans_fit_from, on rows stored as float: x is n x dim, row-major (borrowed
 *  for the call), for tables whose double matrix would not fit in memory. Only the storage is
 *  float: distances (the direct sum of squared differences), centre sums, the tolerance's
 *  column variances and the inertia are computed and accumulated in double, over fixed blocks
 *  of rows added in block order, so the result is bit-identical whatever the number of
 *  threads. A cluster that becomes empty keeps its centre. The labels are kept
 *  (crm_kmeans_labels). Errors: as crm_kmeans_fit_from; CRM_EDATA for a non-finite value. */
CRM_API crm_status crm_kmeans_fit_from_f32(crm_kmeans *km,
                                           const float *x,
                                           int64_t n,
                                           int32_t dim,
                                           const double *centers,
                                           const crm_progress *progress,
                                           crm_error *err);

/** Rows given on demand: write rows [r0, r1) (at most 4096 of them) of the n x dim data into
 *  out, row-major with dim doubles a row, every cell. Called from several threads at once for
 *  disjoint ranges, and several times for the same rows (once per pass), so it must give the
 *  same values every time; it cannot fail (check the data beforehand). */
typedef void (*crm_kmeans_rows_fn)(void *ctx, int64_t r0, int64_t r1, double *out);

/** Fit as crm_kmeans_fit_from, on n rows of which only the first head->n_rows are stored
 *  (head may be NULL; its rows a multiple of 4096, or all n): each pass asks fill for the
 *  others a block at a time (one block buffer per thread), so a table too large for a second
 *  copy in memory is clustered from its own columns. The result is bit-identical to
 *  crm_kmeans_fit_from on the matrix of all the rows; each pass costs one call of fill per
 *  row not stored. The labels are kept (crm_kmeans_labels). Errors: as crm_kmeans_fit_from
 *  (CRM_EDATA names the first non-finite value fill gave; CRM_EINVAL for a head of another
 *  shape); CRM_ESTATE under mpirun with replicated data (crmkit/dist.h), not split here. */
CRM_API crm_status crm_kmeans_fit_from_rows(crm_kmeans *km,
                                            const crm_matrix *head,
                                            int64_t n,
                                            int32_t dim,
                                            crm_kmeans_rows_fn fill,
                                            void *ctx,
                                            const double *centers,
                                            const crm_progress *progress,
                                            crm_error *err);

/** Label each row of x with its nearest centre (ties: lowest index). labels[x->n_rows] is
 *  caller-owned; dist (may be NULL) receives the squared distance to that centre.
 *  Errors: CRM_ESTATE (not fitted), CRM_EINVAL (x->n_cols differs from the fitted dim),
 *  CRM_EDATA (non-finite values), CRM_ENOMEM. Safe to call from many threads at once. */
CRM_API crm_status crm_kmeans_assign(const crm_kmeans *km,
                                     const crm_matrix *x,
                                     int32_t *labels,
                                     double *dist,
                                     crm_error *err);

/** 1 once fitted (or loaded). */
CRM_API int crm_kmeans_is_fitted(const crm_kmeans *km);
CRM_API int32_t crm_kmeans_k(const crm_kmeans *km);
/** Number of columns the model was fitted on (0 when unfitted). */
CRM_API int32_t crm_kmeans_dim(const crm_kmeans *km);
/** Sum of squared distances of the training rows to their centres (final labels and final
 *  centres, as scikit-learn's inertia_); NaN when unfitted. */
CRM_API double crm_kmeans_inertia(const crm_kmeans *km);
/** Lloyd iterations of the kept run. */
CRM_API int32_t crm_kmeans_n_iter(const crm_kmeans *km);
/** Borrowed, k x dim row-major; valid until the next _fit or _free. NULL when unfitted. */
CRM_API const double *crm_kmeans_centers(const crm_kmeans *km);
/** Borrowed labels of the training rows (crm_kmeans_n_rows of them) from the last fit; NULL
 *  after _load or when unfitted. Valid until the next _fit or _free. */
CRM_API const int32_t *crm_kmeans_labels(const crm_kmeans *km);
CRM_API int64_t crm_kmeans_n_rows(const crm_kmeans *km);
/** Borrowed, one value per Lloyd iteration of the kept run: the inertia of the labels that
 *  iteration computed against the centres they were computed from (non-increasing). *n gets
 *  the count. NULL after _load. */
CRM_API const double *crm_kmeans_inertia_trace(const crm_kmeans *km, int32_t *n);

/** Save the fitted model into its own section ("kmeans") of w. Errors: CRM_ESTATE (not
 *  fitted), CRM_ENOMEM. */
CRM_API crm_status crm_kmeans_save(const crm_kmeans *km, crm_model_writer *w, crm_error *err);
/** Load the "kmeans" section of r into a new fitted object (*out, free with crm_kmeans_free).
 *  Errors: CRM_EFORMAT (missing, truncated or inconsistent section), CRM_ENOMEM. */
CRM_API crm_status crm_kmeans_load(const crm_model_reader *r, crm_kmeans **out, crm_error *err);

#endif
