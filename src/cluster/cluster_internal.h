/* cluster_internal.h: kernels shared by k-means, X-means and the elbow method (private). */
#ifndef CRM_CLUSTER_INTERNAL_H
#define CRM_CLUSTER_INTERNAL_H
#include <stdint.h>

#include <crmkit/kmeans.h>
#include <crmkit/matrix.h>
#include <crmkit/progress.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>

/* Rows per dgemm call inside a block: at most CRM__KM_TILE_MAX, and small enough that
 * tile x k x dim <= CRM__KM_GEMM_MAX_WORK. OpenBLAS runs a dgemm of at most 65536 * 4
 * multiply-adds on one thread even outside a parallel region, so a one-thread fit never
 * starts BLAS threads; the tile depends on k and dim only, never on the thread count. */
#define CRM__KM_TILE_MAX      1024
#define CRM__KM_GEMM_MAX_WORK 262144
/* k x dim up to which the fused kernel replaces dgemm (see kmeans_lloyd.c). */
#ifndef CRM__KM_FUSED_MAX_WORK
#define CRM__KM_FUSED_MAX_WORK 4096
#endif

/* Settings of one Lloyd run. */
typedef struct crm__lloyd_opts {
    int32_t max_iter;
    double tol_abs; /* absolute bound on the summed squared centre shift */
    int nt;         /* OpenMP threads (>= 1) */
    const crm_progress *progress;
    double frac0, frac1; /* progress range this run covers */
} crm__lloyd_opts;

/* Output of one Lloyd run; arrays caller-owned (labels n_rows, trace max_iter). */
typedef struct crm__lloyd_out {
    int32_t *labels;
    double *trace; /* may be NULL */
    int32_t n_iter;
    double inertia; /* exact sum of ||x - c||^2 with final labels and centres */
} crm__lloyd_out;

/* Threads to use for a params value (0 = OpenMP default). */
int crm__cluster_threads(int32_t n_threads);

/* Squared Euclidean distance by a plain loop. */
double crm__sq_dist(const double *a, const double *b, int64_t dim);

/* Under mpirun with replicated data (crm_dist_replicated, crmkit/dist.h) each rank computes
 * the blocks [*b0, *b1) of nb; otherwise all of them. */
void crm__dist_blocks(int64_t nb, int64_t *b0, int64_t *b1);
/* Rows rows[0..n) of x into out (n x n_cols). Under local rows (crm_dist_local_rows) each
 * row is sent by the rank that holds it (one collective); otherwise copied. */
crm_status
crm__fetch_rows(const crm_matrix *x, const int64_t *rows, int n, double *out, crm_error *err);
/* crm_matrix_check_finite over the rows this rank holds, agreed across ranks under local
 * rows (the lowest rank's failure, i.e. the first bad row); over every row otherwise. */
crm_status crm__check_finite_rows(const crm_matrix *x, crm_error *err);
/* Every rank owns elements [b0 * per_block, b1 * per_block) (clipped to n) of base, elem
 * bytes each, its blocks from crm__dist_blocks over nb: gather the others' runs so every rank
 * has all of base. One collective; a no-op unless replicated. */
crm_status crm__dist_share_run(void *base,
                               size_t elem,
                               int64_t per_block,
                               int64_t n,
                               int64_t nb,
                               crm_error *err);

/* The rows the passes read: the first x->n_rows of them stored in x (all n, or a whole number
 * of blocks; x may be NULL), the others made by fill a block at a time into buf,
 * CRM_BLOCK_ROWS x dim doubles for each of the pass's threads (crm_kmeans_fit_from_rows). */
typedef struct crm__km_rows {
    const crm_matrix *x;
    int64_t n;
    int64_t dim;
    crm_kmeans_rows_fn fill;
    void *ctx;
    double *buf;
} crm__km_rows;

/* The rows of a stored matrix. */
crm__km_rows crm__km_rows_of(const crm_matrix *x);
/* crm__kmeans_tol_abs on such rows (the matrix form below calls it). Here and in
 * crm__lloyd_data_init and crm__lloyd, rows from fill are checked for finite values as they
 * are first read (crm_matrix_check_finite's message); there is no float copy unless every row
 * is stored. */
crm_status
crm__kmeans_tol_abs_rows(const crm__km_rows *x, double tol, int nt, double *out, crm_error *err);

/* What Lloyd runs on the same x and k share (the restarts of one fit): sum ||x||^2 and, where
 * the passes screen in float (kmeans_lloyd.c), the float copy of x and its row norms. */
typedef struct crm__lloyd_data {
    double xsum;
    float *xf;      /* n x dim, or NULL: the passes use the double kernels */
    float *xnorm;   /* n (+ 16 zeros): ||x|| rounded up */
    double xmax;    /* largest ||x|| */
    int xsum_later; /* 1: xsum is not taken here but by each run's first pass (stored rows,
                     * no float copy, one process) */
} crm__lloyd_data;

/* Fills ld for x and k. The float copy of the rows (screening) is made only when the fit may
 * take at least CRM__KM_COPY_MIN_PASSES passes (max_passes: restarts x iterations) and the
 * copy is at most CRM__KM_COPY_MAX_BYTES: making it costs about two double passes (a read of
 * the rows and fresh pages), which a screened pass wins back at about a third of a pass each
 * (1,000,000 x 16, k 16, one thread: 8.5-10 ms against 16-17 ms; even at 5 passes, ahead at
 * 8), and for 10,000,000 x 20 it is 0.8 GB next to the 1.6 GB matrix. Without memory for it,
 * xf stays NULL too (not an error). Labels and sums are the same either way: screening only
 * skips the double kernel. */
#define CRM__KM_COPY_MIN_PASSES 6
#define CRM__KM_COPY_MAX_BYTES  ((int64_t)256 << 20)
crm_status crm__lloyd_data_init(crm__lloyd_data *ld,
                                const crm__km_rows *x,
                                int32_t k,
                                int64_t max_passes,
                                int nt,
                                crm_error *err);
void crm__lloyd_data_fini(crm__lloyd_data *ld);

/* Lloyd from centers (k x dim, updated in place); data from crm__lloyd_data_init for the same
 * x and k, or NULL to make it here. CRM_EDATA when a cluster is empty and every row already
 * sits on its centre (fewer distinct rows than k). */
crm_status crm__lloyd(const crm__km_rows *x,
                      int32_t k,
                      double *centers,
                      const crm__lloyd_data *data,
                      const crm__lloyd_opts *opts,
                      crm__lloyd_out *out,
                      crm_error *err);

/* Lloyd from centers (k x dim, updated in place) over float rows x (n x dim), everything
 * accumulated in double, in fixed blocks added in block order (kmeans_f32.c). trace gets up
 * to max_iter inertias; labels[n] and *inertia are those of the final centres. */
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
                          crm_error *err);

/* Nearest centre per row (ties: lowest index); dist (may be NULL) gets the exact squared
 * distance. inertia (may be NULL) gets their sum, reduced per block in block order. */
crm_status crm__assign(const crm__km_rows *x,
                       const double *centers,
                       int32_t k,
                       int nt,
                       int32_t *labels,
                       double *dist,
                       double *inertia,
                       crm_error *err);

/* Greedy k-means++ seeding (n_local = 2 + floor(ln k) candidates per centre) into centers
 * (k x dim). CRM_EDATA if x has fewer than k distinct rows. */
crm_status crm__seed_plusplus(const crm_matrix *x,
                              int32_t k,
                              crm_rng *rng,
                              int nt,
                              double *centers,
                              crm_error *err);
/* k distinct rows (by value) drawn uniformly. CRM_EDATA as above. */
crm_status
crm__seed_random(const crm_matrix *x, int32_t k, crm_rng *rng, double *centers, crm_error *err);

/* scikit-learn's tolerance: tol * mean of the per-column (population) variances of x, into
 * *out; sums per block added in block order (collective under mpirun, replicated). */
crm_status
crm__kmeans_tol_abs(const crm_matrix *x, double tol, int nt, double *out, crm_error *err);

/* A fitted model built from centres (copied) and summary numbers; labels/trace optional
 * (copied when given). For X-means and the elbow method. */
crm_status crm__kmeans_make(const crm_kmeans_params *p,
                            int32_t dim,
                            const double *centers,
                            const int32_t *labels,
                            int64_t n_rows,
                            double inertia,
                            int32_t n_iter,
                            crm_kmeans **out,
                            crm_error *err);

/* ---- k-d tree (kdtree.c) for DBSCAN's range queries and nearest core point ----
 * Built over a copy of the rows in tree order (n * dim doubles, O(n) memory); median splits
 * on the widest side of each node's box, leaves of at most 24 rows. Read-only once built, so
 * queries may run on many threads at once. Distances are squared Euclidean,
 * sum_a (q_a - x_a)^2, and "within r2" means <= r2. */
typedef struct crm__kdtree crm__kdtree;
crm_status
crm__kdtree_build(const double *x, int64_t n, int32_t dim, crm__kdtree **out, crm_error *err);
void crm__kdtree_free(crm__kdtree *t);
/* Rows swapped while building: the tests' check that no order of the rows makes the build
 * quadratic. */
int64_t crm__kdtree_row_swaps(const crm__kdtree *t);
/* Rows within r2 of q, counting up to stop_at (the count stops growing there). */
int64_t crm__kdtree_count(const crm__kdtree *t, const double *q, double r2, int64_t stop_at);
/* Call fn(ud, row, d2) for every row within r2 of q (rows are the original indices). */
void crm__kdtree_radius(const crm__kdtree *t,
                        const double *q,
                        double r2,
                        void (*fn)(void *ud, int64_t row, double d2),
                        void *ud);
/* Nearest row within r2 of q (ties: lowest row), its squared distance in *d2; -1 if none. */
int64_t crm__kdtree_nearest(const crm__kdtree *t, const double *q, double r2, double *d2);
/* Assigning rows to the labelled points of a tree (BIRCH's subclusters, DBSCAN's cores,
 * DENCLUE's attractors): each row takes the label of its nearest point within r2, or -1 when
 * there is none or, with reach given, when that point is further than reach[label]. */
typedef struct crm__kd_assign {
    const char *who; /* names the model in the message on a wrong width */
    const crm__kdtree *tree;
    int32_t dim;
    double r2;
    const int32_t *label; /* of each point of the tree */
    const double *reach;  /* NULL, or the largest distance from a point of each label */
    int nt;               /* threads */
} crm__kd_assign;
/* labels[x->n_rows]; dist (may be NULL) gets the squared distance to the nearest point (NaN
 * when there is none). CRM_EINVAL when x is not dim wide. */
crm_status crm__kdtree_assign(const crm__kd_assign *a,
                              const crm_matrix *x,
                              int32_t *labels,
                              double *dist,
                              crm_error *err);
/* 1 when the n points (n x dim) a model file held are finite and each label lies in [0, k):
 * the check of BIRCH's subclusters, DBSCAN's cores and DENCLUE's attractors on load. */
int crm__points_ok(const double *pts, const int32_t *label, int64_t n, int32_t dim, int32_t k);

#endif
