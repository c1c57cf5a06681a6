/* kmeans.c: the crm_kmeans object: parameters, restarts, accessors, save and load.
 *
 * The work is in kmeans_lloyd.c (iterations) and kmeans_init.c (seeding). Restart r of
 * n_init draws from its own RNG stream (seed, r), so restarts are independent of each
 * other and of the thread count; the run with the lowest inertia is kept (ties: first). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>
#include <crmkit/kmeans.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"

#define SECTION_TAG     "kmeans"
#define SECTION_VERSION 1u
#define MAX_K           1000000
#define MAX_DIM         1000000

struct crm_kmeans {
    crm_kmeans_params p;
    int fitted;
    int32_t dim;
    double *centers;
    int32_t *labels;
    int64_t n_rows;
    double *trace;
    int32_t n_trace;
    double inertia;
    int32_t n_iter;
};

crm_kmeans_params crm_kmeans_params_default(void)
{
    crm_kmeans_params p;
    memset(&p, 0, sizeof p);
    p.k = 8;
    p.init = CRM_KMEANS_INIT_PLUSPLUS;
    p.max_iter = 300;
    p.n_init = 1;
    p.tol = 1e-4;
    p.seed = 0;
    p.n_threads = 0;
    return p;
}

static crm_status bad_param(crm_error *err, const char *field, const char *msg)
{
    crm__error_set(err, CRM_EINVAL, "%s", msg);
    crm__error_field(err, field);
    return CRM_EINVAL;
}

crm_status crm_kmeans_params_check(const crm_kmeans_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-means parameters are NULL");
    }
    if (p->k < 1 || p->k > MAX_K) {
        return bad_param(err, "k", "k must be at least 1 (and at most 1000000)");
    }
    if (p->init != CRM_KMEANS_INIT_PLUSPLUS && p->init != CRM_KMEANS_INIT_RANDOM) {
        return bad_param(err, "init", "unknown initialisation");
    }
    if (p->max_iter < 1) {
        return bad_param(err, "max_iter", "max_iter must be at least 1");
    }
    if (p->n_init < 1) {
        return bad_param(err, "n_init", "n_init must be at least 1");
    }
    if (!(p->tol >= 0.0) || !isfinite(p->tol)) {
        return bad_param(err, "tol", "tol must be a finite number >= 0");
    }
    if (p->n_threads < 0) {
        return bad_param(err, "n_threads", "n_threads must be >= 0");
    }
    return CRM_OK;
}

crm_status crm_kmeans_new(const crm_kmeans_params *p, crm_kmeans **out, crm_error *err)
{
    crm_kmeans *km;
    crm_status st = crm_kmeans_params_check(p, err);
    *out = NULL;
    if (st != CRM_OK) {
        return st;
    }
    km = crm_calloc(1, sizeof *km);
    if (km == NULL) {
        return crm__error_nomem(err);
    }
    km->p = *p;
    km->inertia = NAN;
    *out = km;
    return CRM_OK;
}

static void reset(crm_kmeans *km)
{
    crm_free(km->centers);
    crm_free(km->labels);
    crm_free(km->trace);
    km->centers = NULL;
    km->labels = NULL;
    km->trace = NULL;
    km->fitted = 0;
    km->dim = 0;
    km->n_rows = 0;
    km->n_trace = 0;
    km->n_iter = 0;
    km->inertia = NAN;
}

void crm_kmeans_free(crm_kmeans *km)
{
    if (km == NULL) {
        return;
    }
    reset(km);
    crm_free(km);
}

static crm_status check_data(const crm_kmeans *km, const crm_matrix *x, crm_error *err)
{
    if (x == NULL || x->n_rows < 1 || x->n_cols < 1 || x->data == NULL) {
        return crm__error_set(err, CRM_EDATA, "k-means needs at least one row and one column");
    }
    if (x->n_cols > MAX_DIM || x->ld < x->n_cols) {
        return crm__error_set(err, CRM_EINVAL, "bad matrix shape (%lld columns, ld %lld)",
                              (long long)x->n_cols, (long long)x->ld);
    }
    if ((int64_t)km->p.k > x->n_rows) {
        return crm__error_set(err, CRM_EDATA, "k = %d is larger than the number of rows (%lld)",
                              (int)km->p.k, (long long)x->n_rows);
    }
    return crm__check_finite_rows(x, err);
}

/* Scratch of one run: the result is swapped into km when it beats the best so far. */
typedef struct run_buf {
    double *centers;
    int32_t *labels;
    double *trace;
} run_buf;

static void run_free(run_buf *r)
{
    crm_free(r->centers);
    crm_free(r->labels);
    crm_free(r->trace);
}

static crm_status
run_alloc(run_buf *r, int64_t n, int32_t k, int64_t dim, int32_t max_iter, crm_error *err)
{
    r->centers = crm_mallocarray((size_t)k * (size_t)dim, sizeof(double));
    r->labels = crm_mallocarray((size_t)n, sizeof(int32_t));
    r->trace = crm_mallocarray((size_t)max_iter, sizeof(double));
    if (!r->centers || !r->labels || !r->trace) {
        run_free(r);
        memset(r, 0, sizeof *r);
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

static void keep_run(crm_kmeans *km, run_buf *r, const crm__lloyd_out *o, int64_t n)
{
    double *c = km->centers;
    int32_t *l = km->labels;
    double *t = km->trace;
    km->centers = r->centers;
    km->labels = r->labels;
    km->trace = r->trace;
    r->centers = c;
    r->labels = l;
    r->trace = t;
    km->n_trace = o->n_iter;
    km->n_iter = o->n_iter;
    km->inertia = o->inertia;
    km->n_rows = n;
}

/* n_init runs (or one from given centres; without them x is a stored matrix); the best is
 * left in km. */
static crm_status fit_runs(crm_kmeans *km,
                           const crm__km_rows *x,
                           const double *given,
                           const crm_progress *progress,
                           crm_error *err)
{
    const crm_kmeans_params *p = &km->p;
    int32_t k = p->k;
    int64_t dim = x->dim;
    int32_t n_runs = given != NULL ? 1 : p->n_init;
    run_buf r;
    crm__lloyd_opts opts;
    crm__lloyd_data data;
    crm_status st;
    memset(&r, 0, sizeof r);
    memset(&data, 0, sizeof data);
    opts.max_iter = p->max_iter;
    opts.nt = crm__cluster_threads(p->n_threads);
    opts.progress = progress;
    st = crm__kmeans_tol_abs_rows(x, p->tol, opts.nt, &opts.tol_abs, err);
    if (st == CRM_OK) {
        st = run_alloc(&r, x->n, k, dim, p->max_iter, err);
    }
    if (st == CRM_OK) {
        /* once for every restart */
        st = crm__lloyd_data_init(&data, x, k, (int64_t)n_runs * p->max_iter, opts.nt, err);
    }
    for (int32_t run = 0; st == CRM_OK && run < n_runs; run++) {
        crm__lloyd_out o = { r.labels, r.trace, 0, 0.0 };
        crm_rng rng;
        crm_rng_seed_stream(&rng, p->seed, (uint64_t)run);
        if (given != NULL) {
            memcpy(r.centers, given, (size_t)k * (size_t)dim * sizeof(double));
        } else if (p->init == CRM_KMEANS_INIT_RANDOM) {
            st = crm__seed_random(x->x, k, &rng, r.centers, err);
        } else {
            st = crm__seed_plusplus(x->x, k, &rng, opts.nt, r.centers, err);
        }
        opts.frac0 = (double)run / n_runs;
        opts.frac1 = (double)(run + 1) / n_runs;
        if (st == CRM_OK) {
            st = crm__lloyd(x, k, r.centers, &data, &opts, &o, err);
        }
        if (st == CRM_OK && (km->centers == NULL || o.inertia < km->inertia)) {
            keep_run(km, &r, &o, x->n);
            if (r.centers == NULL && run + 1 < n_runs) {
                st = run_alloc(&r, x->n, k, dim, p->max_iter, err);
            }
        }
    }
    crm__lloyd_data_fini(&data);
    run_free(&r);
    return st;
}

static crm_status fit_common(crm_kmeans *km,
                             const crm_matrix *x,
                             const double *given,
                             const crm_progress *progress,
                             crm_error *err)
{
    crm_status st;
    if (km == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-means object is NULL");
    }
    reset(km);
    st = check_data(km, x, err);
    if (st == CRM_OK) {
        crm__km_rows rows = crm__km_rows_of(x);
        st = fit_runs(km, &rows, given, progress, err);
    }
    if (st != CRM_OK) {
        reset(km);
        return st;
    }
    km->dim = (int32_t)x->n_cols;
    km->fitted = 1;
    return CRM_OK;
}

crm_status
crm_kmeans_fit(crm_kmeans *km, const crm_matrix *x, const crm_progress *progress, crm_error *err)
{
    return fit_common(km, x, NULL, progress, err);
}

/* CRM_EINVAL naming the first non-finite value of the k x dim initial centres. */
static crm_status check_centers(const double *centers, int32_t k, int64_t dim, crm_error *err)
{
    for (int64_t q = 0; q < (int64_t)k * dim; q++) {
        if (!isfinite(centers[q])) {
            return crm__error_set(err, CRM_EINVAL, "initial centre %lld, column %lld is not finite",
                                  (long long)(q / dim + 1), (long long)(q % dim + 1));
        }
    }
    return CRM_OK;
}

/* The shape checks of the fits on rows given as float or by a function. */
static crm_status check_shape(const crm_kmeans *km, int64_t n, int32_t dim, crm_error *err)
{
    if (n < 1 || dim < 1) {
        return crm__error_set(err, CRM_EDATA, "k-means needs at least one row and one column");
    }
    if (dim > MAX_DIM) {
        return crm__error_set(err, CRM_EINVAL, "bad matrix shape (%d columns)", (int)dim);
    }
    if ((int64_t)km->p.k > n) {
        return crm__error_set(err, CRM_EDATA, "k = %d is larger than the number of rows (%lld)",
                              (int)km->p.k, (long long)n);
    }
    return CRM_OK;
}

crm_status crm_kmeans_fit_from(crm_kmeans *km,
                               const crm_matrix *x,
                               const double *centers,
                               const crm_progress *progress,
                               crm_error *err)
{
    if (km == NULL || centers == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-means object or initial centres are NULL");
    }
    if (x != NULL) {
        crm_status st = check_centers(centers, km->p.k, x->n_cols, err);
        if (st != CRM_OK) {
            return st;
        }
    }
    return fit_common(km, x, centers, progress, err);
}

crm_status crm_kmeans_fit_from_rows(crm_kmeans *km,
                                    const crm_matrix *head,
                                    int64_t n,
                                    int32_t dim,
                                    crm_kmeans_rows_fn fill,
                                    void *ctx,
                                    const double *centers,
                                    const crm_progress *progress,
                                    crm_error *err)
{
    crm__km_rows rows;
    int nt;
    crm_status st;
    if (km == NULL || centers == NULL || fill == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-means object, rows or initial centres are NULL");
    }
    if (crm_dist_replicated()) {
        return crm__error_set(err, CRM_ESTATE,
                              "k-means on rows made on demand is not split across ranks");
    }
    if (head != NULL && head->n_rows > 0 &&
        (head->data == NULL || head->n_cols != dim || head->ld < dim || head->n_rows > n ||
         (head->n_rows % CRM_BLOCK_ROWS != 0 && head->n_rows != n))) {
        return crm__error_set(err, CRM_EINVAL,
                              "the stored rows must be whole blocks of %d rows of %d columns",
                              (int)CRM_BLOCK_ROWS, (int)dim);
    }
    st = check_shape(km, n, dim, err);
    if (st == CRM_OK) {
        st = check_centers(centers, km->p.k, dim, err);
    }
    if (st != CRM_OK) {
        return st;
    }
    nt = crm__cluster_threads(km->p.n_threads);
    memset(&rows, 0, sizeof rows);
    rows.x = head;
    rows.n = n;
    rows.dim = dim;
    rows.fill = fill;
    rows.ctx = ctx;
    rows.buf = crm_mallocarray((size_t)nt * CRM_BLOCK_ROWS * (size_t)dim, sizeof(double));
    if (rows.buf == NULL) {
        return crm__error_nomem(err);
    }
    reset(km);
    st = fit_runs(km, &rows, centers, progress, err);
    crm_free(rows.buf);
    if (st != CRM_OK) {
        reset(km);
        return st;
    }
    km->dim = dim;
    km->fitted = 1;
    return CRM_OK;
}

crm_status crm_kmeans_fit_from_f32(crm_kmeans *km,
                                   const float *x,
                                   int64_t n,
                                   int32_t dim,
                                   const double *centers,
                                   const crm_progress *progress,
                                   crm_error *err)
{
    int32_t k;
    crm_status st;
    if (km == NULL || centers == NULL || x == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-means object, rows or initial centres are NULL");
    }
    k = km->p.k;
    st = check_shape(km, n, dim, err);
    if (st == CRM_OK) {
        st = check_centers(centers, k, dim, err);
    }
    if (st != CRM_OK) {
        return st;
    }
    reset(km);
    km->centers = crm_mallocarray((size_t)k * (size_t)dim, sizeof(double));
    km->labels = crm_mallocarray((size_t)n, sizeof(int32_t));
    km->trace = crm_mallocarray((size_t)km->p.max_iter, sizeof(double));
    if (km->centers == NULL || km->labels == NULL || km->trace == NULL) {
        reset(km);
        return crm__error_nomem(err);
    }
    memcpy(km->centers, centers, (size_t)k * (size_t)dim * sizeof(double));
    st = crm__lloyd_f32(x, n, dim, k, km->centers, km->p.max_iter, km->p.tol,
                        crm__cluster_threads(km->p.n_threads), progress, km->labels, km->trace,
                        &km->n_iter, &km->inertia, err);
    if (st != CRM_OK) {
        reset(km);
        return st;
    }
    km->n_trace = km->n_iter;
    km->n_rows = n;
    km->dim = dim;
    km->fitted = 1;
    return CRM_OK;
}

crm_status crm_kmeans_assign(const crm_kmeans *km,
                             const crm_matrix *x,
                             int32_t *labels,
                             double *dist,
                             crm_error *err)
{
    crm_status st;
    if (km == NULL || !km->fitted) {
        return crm__error_set(err, CRM_ESTATE, "k-means model is not fitted");
    }
    if (x == NULL || labels == NULL) {
        return crm__error_set(err, CRM_EINVAL, "matrix or labels are NULL");
    }
    if (x->n_cols != km->dim) {
        return crm__error_set(err, CRM_EINVAL, "data has %lld columns, the model %d",
                              (long long)x->n_cols, (int)km->dim);
    }
    if (x->n_rows == 0) {
        return CRM_OK;
    }
    st = crm_matrix_check_finite(x, err);
    if (st != CRM_OK) {
        return st;
    }
    crm__km_rows rows = crm__km_rows_of(x);
    return crm__assign(&rows, km->centers, km->p.k, crm__cluster_threads(km->p.n_threads), labels,
                       dist, NULL, err);
}

int crm_kmeans_is_fitted(const crm_kmeans *km)
{
    return km != NULL && km->fitted;
}

int32_t crm_kmeans_k(const crm_kmeans *km)
{
    return km != NULL ? km->p.k : 0;
}

int32_t crm_kmeans_dim(const crm_kmeans *km)
{
    return km != NULL ? km->dim : 0;
}

double crm_kmeans_inertia(const crm_kmeans *km)
{
    return km != NULL ? km->inertia : (double)NAN;
}

int32_t crm_kmeans_n_iter(const crm_kmeans *km)
{
    return km != NULL ? km->n_iter : 0;
}

const double *crm_kmeans_centers(const crm_kmeans *km)
{
    return km != NULL && km->fitted ? km->centers : NULL;
}

const int32_t *crm_kmeans_labels(const crm_kmeans *km)
{
    return km != NULL && km->fitted ? km->labels : NULL;
}

int64_t crm_kmeans_n_rows(const crm_kmeans *km)
{
    return km != NULL && km->labels != NULL ? km->n_rows : 0;
}

const double *crm_kmeans_inertia_trace(const crm_kmeans *km, int32_t *n)
{
    if (km == NULL || km->trace == NULL) {
        if (n != NULL) {
            *n = 0;
        }
        return NULL;
    }
    if (n != NULL) {
        *n = km->n_trace;
    }
    return km->trace;
}

crm_status crm__kmeans_make(const crm_kmeans_params *p,
                            int32_t dim,
                            const double *centers,
                            const int32_t *labels,
                            int64_t n_rows,
                            double inertia,
                            int32_t n_iter,
                            crm_kmeans **out,
                            crm_error *err)
{
    crm_kmeans *km = NULL;
    crm_status st = crm_kmeans_new(p, &km, err);
    if (st != CRM_OK) {
        return st;
    }
    km->centers = crm_mallocarray((size_t)p->k * (size_t)dim, sizeof(double));
    if (labels != NULL) {
        km->labels = crm_mallocarray((size_t)n_rows, sizeof(int32_t));
    }
    if (km->centers == NULL || (labels != NULL && km->labels == NULL)) {
        crm_kmeans_free(km);
        return crm__error_nomem(err);
    }
    memcpy(km->centers, centers, (size_t)p->k * (size_t)dim * sizeof(double));
    if (labels != NULL) {
        memcpy(km->labels, labels, (size_t)n_rows * sizeof(int32_t));
        km->n_rows = n_rows;
    }
    km->dim = dim;
    km->inertia = inertia;
    km->n_iter = n_iter;
    km->fitted = 1;
    *out = km;
    return CRM_OK;
}

crm_status crm_kmeans_save(const crm_kmeans *km, crm_model_writer *w, crm_error *err)
{
    crm_status st;
    if (km == NULL || !km->fitted) {
        return crm__error_set(err, CRM_ESTATE, "k-means model is not fitted");
    }
    st = crm_model_begin(w, SECTION_TAG, err);
    if (st == CRM_OK) {
        st = crm_model_put_u32(w, SECTION_VERSION, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, km->p.k, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, km->dim, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, km->n_iter, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_f64(w, km->inertia, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, km->p.max_iter, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, km->p.n_init, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_f64(w, km->p.tol, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i64(w, (int64_t)km->p.seed, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_i32(w, (int32_t)km->p.init, err);
    }
    if (st == CRM_OK) {
        st = crm_model_put_f64s(w, km->centers, (size_t)km->p.k * (size_t)km->dim, err);
    }
    return st;
}

crm_status crm_kmeans_load(const crm_model_reader *r, crm_kmeans **out, crm_error *err)
{
    crm_section s;
    crm_kmeans_params p = crm_kmeans_params_default();
    uint32_t version = 0;
    int32_t dim = 0;
    int32_t n_iter = 0;
    int32_t init = 0;
    int64_t seed = 0;
    double inertia = 0.0;
    crm_kmeans *km = NULL;
    crm_status st;
    *out = NULL;
    st = crm_model_section(r, SECTION_TAG, &s, err);
    if (st != CRM_OK) {
        return st;
    }
    crm_section_get_u32(&s, &version);
    crm_section_get_i32(&s, &p.k);
    crm_section_get_i32(&s, &dim);
    crm_section_get_i32(&s, &n_iter);
    crm_section_get_f64(&s, &inertia);
    crm_section_get_i32(&s, &p.max_iter);
    crm_section_get_i32(&s, &p.n_init);
    crm_section_get_f64(&s, &p.tol);
    crm_section_get_i64(&s, &seed);
    crm_section_get_i32(&s, &init);
    p.seed = (uint64_t)seed;
    p.init = (crm_kmeans_init)init;
    if (s.failed || version != SECTION_VERSION || dim < 1 || dim > MAX_DIM ||
        crm_kmeans_params_check(&p, NULL) != CRM_OK ||
        !crm_section_fits(&s, (int64_t)p.k * dim, sizeof(double))) {
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" is damaged or of version %u",
                              crm_model_reader_source(r), SECTION_TAG, (unsigned)version);
    }
    st = crm_kmeans_new(&p, &km, err);
    if (st != CRM_OK) {
        return st;
    }
    km->centers = crm_mallocarray((size_t)p.k * (size_t)dim, sizeof(double));
    if (km->centers == NULL) {
        crm_kmeans_free(km);
        return crm__error_nomem(err);
    }
    crm_section_get_f64s(&s, km->centers, (size_t)p.k * (size_t)dim);
    st = crm_section_finish(&s, r, err);
    for (size_t q = 0; st == CRM_OK && q < (size_t)p.k * (size_t)dim; q++) {
        if (!isfinite(km->centers[q])) {
            st = crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has a non-finite centre",
                                crm_model_reader_source(r), SECTION_TAG);
        }
    }
    if (st != CRM_OK) {
        crm_kmeans_free(km);
        return st;
    }
    km->dim = dim;
    km->n_iter = n_iter;
    km->inertia = inertia;
    km->fitted = 1;
    *out = km;
    return CRM_OK;
}
