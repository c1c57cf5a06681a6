/* xmeans.c: X-means, k chosen by the Bayesian information criterion.
 *
 * Pelleg and Moore, "X-means: Extending K-means with Efficient Estimation of the Number of
 * Clusters", ICML 2000. Improve-Params is a global Lloyd run (kmeans_lloyd.c); Improve-
 * Structure splits each cluster's region with a local 2-means (greedy k-means++ seeding on the
 * region) and keeps the split when the children's BIC, computed on the region alone, beats
 * the parent's. When more splits win than kmax allows, the largest BIC gains are kept. The
 * model with the best global BIC over all rounds is returned, as in the paper.
 * The BIC is the paper's (identical spherical Gaussians, mixing weights R_n / R) with the
 * parameter penalty counted once per model; docs/algorithms/xmeans.md has the formula and a
 * worked example. Each region's RNG stream is (seed, round, cluster), so the result does not
 * depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/xmeans.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"

#define PI 3.14159265358979323846

crm_xmeans_params crm_xmeans_params_default(void)
{
    return (crm_xmeans_params){ .kmin = 2, .kmax = 20, .max_iter = 300, .tol = 1e-4 };
}

crm_status crm_xmeans_params_check(const crm_xmeans_params *p, crm_error *err)
{
    const char *field = NULL;
    const char *msg = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "X-means parameters are NULL");
    }
    if (p->kmin < 1) {
        field = "kmin";
        msg = "kmin must be at least 1";
    } else if (p->kmax < p->kmin || p->kmax > 1000000) {
        field = "kmax";
        msg = "kmax must be at least kmin (and at most 1000000)";
    } else if (p->max_iter < 1) {
        field = "max_iter";
        msg = "max_iter must be at least 1";
    } else if (!(p->tol >= 0.0) || !isfinite(p->tol)) {
        field = "tol";
        msg = "tol must be a finite number >= 0";
    } else if (!(p->min_share >= 0.0 && p->min_share < 0.5)) {
        field = "min_share";
        msg = "min_share must be in [0, 0.5)";
    } else if (p->n_threads < 0) {
        field = "n_threads";
        msg = "n_threads must be >= 0";
    }
    if (field != NULL) {
        crm__error_set(err, CRM_EINVAL, "%s", msg);
        crm__error_field(err, field);
        return CRM_EINVAL;
    }
    return CRM_OK;
}

/* BIC of a K-cluster model of R rows in M dimensions with total squared error sse and
 * cluster sizes counts[K]. -inf when the variance is 0 (the model is degenerate). */
static double bic_formula(int64_t r, int64_t m, int32_t k, double sse, const int64_t *counts)
{
    double var = sse / ((double)m * (double)(r - k));
    double loglik = 0.0;
    double n_params = (double)(k - 1) + (double)m * k + 1.0;
    if (!(var > 0.0)) {
        return sse == 0.0 ? (double)INFINITY : -(double)INFINITY;
    }
    for (int32_t j = 0; j < k; j++) {
        if (counts[j] > 0) {
            loglik += (double)counts[j] * log((double)counts[j] / (double)r);
        }
    }
    loglik -= 0.5 * (double)r * (double)m * log(2.0 * PI * var);
    loglik -= 0.5 * (double)m * (double)(r - k);
    return loglik - 0.5 * n_params * log((double)r);
}

crm_status crm_xmeans_bic(const crm_matrix *x,
                          const int32_t *labels,
                          const double *centers,
                          int32_t k,
                          double *bic,
                          crm_error *err)
{
    int64_t *counts;
    crm__ksum sse = { 0.0, 0.0 };
    if (x == NULL || labels == NULL || centers == NULL || bic == NULL || k < 1) {
        return crm__error_set(err, CRM_EINVAL, "bad arguments to crm_xmeans_bic");
    }
    if (x->n_rows <= k) {
        return crm__error_set(err, CRM_EDATA, "BIC needs more rows (%lld) than clusters (%d)",
                              (long long)x->n_rows, (int)k);
    }
    counts = crm_calloc((size_t)k, sizeof(int64_t));
    if (counts == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        if (labels[i] < 0 || labels[i] >= k) {
            crm_free(counts);
            return crm__error_set(err, CRM_EINVAL, "label of row %lld (%d) is not in [0, %d)",
                                  (long long)(i + 1), (int)labels[i], (int)k);
        }
        counts[labels[i]]++;
        crm__ksum_add(&sse,
                      crm__sq_dist(CRM_ROW(x, i), centers + labels[i] * x->n_cols, x->n_cols));
    }
    *bic = bic_formula(x->n_rows, x->n_cols, k, sse.sum, counts);
    crm_free(counts);
    return CRM_OK;
}

/* State of one X-means run. */
typedef struct xm_state {
    const crm_xmeans_params *p;
    const crm_matrix *x;
    crm__lloyd_opts opts; /* inner k-means runs report no progress of their own */
    const crm_progress *progress;
    int32_t k;
    double *centers; /* kmax x dim */
    int32_t *labels; /* n_rows */
    double inertia;
    double bic;
    int32_t n_iter;
    /* best model so far */
    int32_t best_k;
    double *best_centers;
    int32_t *best_labels;
    double best_bic;
    double best_inertia;
    int32_t best_iter;
} xm_state;

/* Result of trying to split one region. */
typedef struct split {
    int32_t parent;
    double gain; /* BIC(children) - BIC(parent); only > 0 is kept */
} split;

static crm_status global_fit(xm_state *s, crm_error *err)
{
    crm__lloyd_out o = { s->labels, NULL, 0, 0.0 };
    int64_t *counts;
    crm__km_rows rows = crm__km_rows_of(s->x);
    crm_status st = crm__lloyd(&rows, s->k, s->centers, NULL, &s->opts, &o, err);
    if (st != CRM_OK) {
        return st;
    }
    counts = crm_calloc((size_t)s->k, sizeof(int64_t));
    if (counts == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < s->x->n_rows; i++) {
        counts[s->labels[i]]++;
    }
    s->inertia = o.inertia;
    s->n_iter = o.n_iter;
    s->bic = s->x->n_rows > s->k ? bic_formula(s->x->n_rows, s->x->n_cols, s->k, o.inertia, counts)
                                 : -(double)INFINITY;
    crm_free(counts);
    if (s->best_k == 0 || s->bic > s->best_bic) {
        size_t dim = (size_t)s->x->n_cols;
        s->best_k = s->k;
        s->best_bic = s->bic;
        s->best_inertia = s->inertia;
        s->best_iter = s->n_iter;
        memcpy(s->best_centers, s->centers, (size_t)s->k * dim * sizeof(double));
        memcpy(s->best_labels, s->labels, (size_t)s->x->n_rows * sizeof(int32_t));
    }
    return CRM_OK;
}

/* Rows of cluster j copied into region (initialised here). */
static crm_status
gather(const xm_state *s, int32_t j, int64_t count, crm_matrix *region, crm_error *err)
{
    int64_t dim = s->x->n_cols;
    int64_t r = 0;
    crm_status st = crm_matrix_init(region, count, dim, err);
    if (st != CRM_OK) {
        return st;
    }
    for (int64_t i = 0; i < s->x->n_rows; i++) {
        if (s->labels[i] == j) {
            memcpy(CRM_ROW(region, r), CRM_ROW(s->x, i), (size_t)dim * sizeof(double));
            r++;
        }
    }
    return CRM_OK;
}

/* Local 2-means on region j; *gain = BIC(children) - BIC(parent) on the region, kids (2 x dim)
 * the children's centres. A region that cannot be split (too few distinct rows) gets -inf. */
static crm_status try_split(xm_state *s,
                            int32_t j,
                            int32_t round,
                            int64_t count,
                            double parent_sse,
                            double *kids,
                            double *gain,
                            crm_error *err)
{
    crm_matrix region;
    crm_rng rng;
    int32_t *lab = NULL;
    int64_t counts[2] = { 0, 0 };
    int64_t parent_count[1] = { count };
    crm__lloyd_out o;
    crm_status st;
    *gain = -INFINITY;
    if (count < 4 || !(parent_sse > 0.0)) {
        return CRM_OK;
    }
    st = gather(s, j, count, &region, err);
    if (st != CRM_OK) {
        return st;
    }
    lab = crm_mallocarray((size_t)count, sizeof(int32_t));
    if (lab == NULL) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
    crm_rng_seed_stream(&rng, s->p->seed, ((uint64_t)round << 32) | (uint64_t)j);
    st = crm__seed_plusplus(&region, 2, &rng, s->opts.nt, kids, err);
    if (st == CRM_EDATA) {
        st = CRM_OK; /* one distinct row: nothing to split */
        crm_error_clear(err);
        goto cleanup;
    }
    o.labels = lab;
    o.trace = NULL;
    {
        crm__lloyd_opts lo = s->opts;
        lo.progress = NULL;
        if (st == CRM_OK) {
            crm__km_rows rows = crm__km_rows_of(&region);
            st = crm__lloyd(&rows, 2, kids, NULL, &lo, &o, err);
        }
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    for (int64_t i = 0; i < count; i++) {
        counts[lab[i]]++;
    }
    if ((double)counts[0] < s->p->min_share * (double)s->x->n_rows ||
        (double)counts[1] < s->p->min_share * (double)s->x->n_rows) {
        goto cleanup; /* a part below the minimum share: no split */
    }
    *gain = bic_formula(count, region.n_cols, 2, o.inertia, counts) -
            bic_formula(count, region.n_cols, 1, parent_sse, parent_count);
cleanup:
    crm_free(lab);
    crm_matrix_fini(&region);
    return st;
}

static int cmp_gain(const void *a, const void *b)
{
    const split *x = a;
    const split *y = b;
    if (x->gain != y->gain) {
        return x->gain < y->gain ? 1 : -1; /* largest gain first */
    }
    return (x->parent > y->parent) - (x->parent < y->parent);
}

/* One Improve-Structure round; *n_split gets the number of splits kept. */
static crm_status improve_structure(xm_state *s, int32_t round, int *n_split, crm_error *err)
{
    int64_t dim = s->x->n_cols;
    int32_t k = s->k;
    int64_t *count = crm_calloc((size_t)k, sizeof(int64_t));
    double *sse = crm_calloc((size_t)k, sizeof(double));
    double *kids = crm_mallocarray((size_t)k * 2 * (size_t)dim, sizeof(double));
    split *sp = crm_mallocarray((size_t)k, sizeof(split));
    crm_status st = CRM_OK;
    int32_t room = s->p->kmax - k;
    *n_split = 0;
    if (!count || !sse || !kids || !sp) {
        st = crm__error_nomem(err);
        goto cleanup;
    }
    for (int64_t i = 0; i < s->x->n_rows; i++) {
        count[s->labels[i]]++;
        sse[s->labels[i]] += crm__sq_dist(CRM_ROW(s->x, i), s->centers + s->labels[i] * dim, dim);
    }
    for (int32_t j = 0; j < k && st == CRM_OK; j++) {
        sp[j].parent = j;
        st = try_split(s, j, round, count[j], sse[j], kids + j * 2 * dim, &sp[j].gain, err);
        if (!crm_progress_report(s->progress, "x-means", (double)s->k / (double)s->p->kmax)) {
            st = crm__error_set(err, CRM_ECANCELLED, "X-means cancelled");
        }
    }
    if (st != CRM_OK) {
        goto cleanup;
    }
    qsort(sp, (size_t)k, sizeof(split), cmp_gain);
    for (int32_t q = 0; q < k && *n_split < room && sp[q].gain > 0.0; q++) {
        const double *kid = kids + sp[q].parent * 2 * dim;
        memcpy(s->centers + sp[q].parent * dim, kid, (size_t)dim * sizeof(double));
        memcpy(s->centers + (k + *n_split) * dim, kid + dim, (size_t)dim * sizeof(double));
        (*n_split)++;
    }
    s->k = k + *n_split;
cleanup:
    CRM__FREE(count, sse, kids, sp);
    return st;
}

static void state_free(xm_state *s)
{
    CRM__FREE(s->centers, s->labels, s->best_centers, s->best_labels);
}

static crm_status state_init(xm_state *s,
                             const crm_xmeans_params *p,
                             const crm_matrix *x,
                             const crm_progress *progress,
                             crm_error *err)
{
    size_t kd = (size_t)p->kmax * (size_t)x->n_cols;
    crm_status st;
    memset(s, 0, sizeof *s);
    s->p = p;
    s->x = x;
    s->opts.max_iter = p->max_iter;
    s->opts.nt = crm__cluster_threads(p->n_threads);
    s->opts.progress = NULL;
    s->opts.frac0 = 0.0;
    s->opts.frac1 = 0.0;
    s->progress = progress;
    s->centers = crm_mallocarray(kd, sizeof(double));
    s->best_centers = crm_mallocarray(kd, sizeof(double));
    s->labels = crm_mallocarray((size_t)x->n_rows, sizeof(int32_t));
    s->best_labels = crm_mallocarray((size_t)x->n_rows, sizeof(int32_t));
    if (!s->centers || !s->best_centers || !s->labels || !s->best_labels) {
        state_free(s);
        return crm__error_nomem(err);
    }
    st = crm__kmeans_tol_abs(x, p->tol, s->opts.nt, &s->opts.tol_abs, err);
    if (st != CRM_OK) {
        state_free(s);
    }
    return st;
}

static crm_status check_input(const crm_xmeans_params *p, const crm_matrix *x, crm_error *err)
{
    crm_status st = crm_xmeans_params_check(p, err);
    if (st != CRM_OK) {
        return st;
    }
    if (x == NULL || x->n_rows < 1 || x->n_cols < 1 || x->data == NULL) {
        return crm__error_set(err, CRM_EDATA, "X-means needs at least one row and one column");
    }
    if ((int64_t)p->kmin > x->n_rows) {
        return crm__error_set(err, CRM_EDATA, "kmin = %d is larger than the number of rows (%lld)",
                              (int)p->kmin, (long long)x->n_rows);
    }
    return crm_matrix_check_finite(x, err);
}

crm_status crm_xmeans_fit(const crm_xmeans_params *p,
                          const crm_matrix *x,
                          const crm_progress *progress,
                          crm_kmeans **out,
                          crm_xmeans_result *res,
                          crm_error *err)
{
    xm_state s;
    crm_rng rng;
    int32_t round = 0;
    int n_split = 1;
    crm_status st;
    *out = NULL;
    st = check_input(p, x, err);
    if (st == CRM_OK) {
        st = state_init(&s, p, x, progress, err);
    }
    if (st != CRM_OK) {
        return st;
    }
    s.progress = progress;
    s.k = p->kmin;
    crm_rng_seed_stream(&rng, p->seed, 0);
    st = crm__seed_plusplus(x, s.k, &rng, s.opts.nt, s.centers, err);
    if (st == CRM_OK) {
        st = global_fit(&s, err);
    }
    while (st == CRM_OK && s.k < p->kmax && n_split > 0) {
        round++;
        st = improve_structure(&s, round, &n_split, err);
        if (st == CRM_OK && n_split > 0) {
            st = global_fit(&s, err);
        }
        if (st == CRM_EDATA) {
            st = CRM_OK; /* a split left fewer distinct rows than centres: stop here */
            crm_error_clear(err);
            break;
        }
    }
    if (st == CRM_OK) {
        crm_kmeans_params kp = crm_kmeans_params_default();
        kp.k = s.best_k;
        kp.max_iter = p->max_iter;
        kp.tol = p->tol;
        kp.seed = p->seed;
        kp.n_threads = p->n_threads;
        st = crm__kmeans_make(&kp, (int32_t)x->n_cols, s.best_centers, s.best_labels, x->n_rows,
                              s.best_inertia, s.best_iter, out, err);
    }
    if (st == CRM_OK && res != NULL) {
        res->k = s.best_k;
        res->bic = s.best_bic;
        res->n_rounds = round;
    }
    state_free(&s);
    return st;
}
