/* gbt.c: gradient boosting of histogram trees for classification (Friedman, "Greedy
 * function approximation: a gradient boosting machine", Ann. Stat. 2001), with Newton leaf
 * values: the boosting loop, losses, early stopping, prediction and the model sections.
 * Trees are grown by gbt_tree.c. Shapes follow scikit-learn's HistGradientBoostingClassifier
 * (same defaults, same early-stopping rule), so results can be compared one to one; see
 * docs/algorithms/gbt.md.
 *
 * Data-parallel fit (crmkit/dist.h, replicated mode: every rank calls crm_gbt_fit with the
 * same rows): the validation split and the bin edges are computed whole on every rank (the
 * same bits everywhere); then each rank takes a run of 4,096-row blocks of the training rows
 * and of the validation rows (crm_dist_block_range), bins only its training rows and keeps
 * gradients and scores for them alone. Each tree's histograms are added over the ranks
 * (gbt_tree.c, exact integer sums), so every rank picks the same splits; the losses are
 * per-block partials added in global block order (crm_dist_sum_blocks). The model has the
 * same bits as a one-process fit for any number of ranks and threads. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/dist.h>

#include "core/core_internal.h"
#include "gbt_internal.h"
#include "models_util.h"

#define GBT_TAG          "gbt"
#define GBT_FORMAT       1
#define GBT_AUTO_ES_ROWS 10000

struct crm_gbt {
    crm_gbt_params p;
    int32_t fitted;
    int32_t k;    /* classes */
    int32_t ntpi; /* trees per iteration: 1 for two classes, k otherwise */
    int32_t nf;
    int32_t n_iter;
    double *baseline;     /* [ntpi] */
    crm__gbt_node *nodes; /* every tree, one after another */
    int64_t n_nodes, cap_nodes;
    int64_t *tree_start;  /* [n_trees + 1] */
    int32_t *tree_leaves; /* [n_trees] */
    double *train_loss;   /* [n_iter + 1] */
    double *val_loss;     /* [n_iter + 1] or NULL */
    /* Prediction layout derived from nodes: leaves loop to themselves (threshold +inf, so
     * every value and NaN goes "left" to the leaf itself), so a block of rows can step
     * through a tree in lockstep for a fixed number of levels. */
    crm__gbt_node *fast; /* [n_nodes] */
    double *leafv;       /* [n_nodes]: leaf values, 0 for internal nodes */
    int32_t *tree_depth; /* [n_trees] */
    double *gain;        /* [nf] loss reduction of the splits on each feature; NULL when the
                            file has none (written before it was kept) */
};

int crm_gbt_feature_gain(const crm_gbt *g, double *out)
{
    if (g == NULL || g->gain == NULL) {
        return 0;
    }
    if (out != NULL) {
        memcpy(out, g->gain, (size_t)g->nf * sizeof *out);
    }
    return 1;
}

void crm_gbt_feature_splits(const crm_gbt *g, double *out)
{
    for (int32_t f = 0; f < g->nf; f++) {
        out[f] = 0;
    }
    for (int64_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].feat >= 0 && g->nodes[i].feat < g->nf) {
            out[g->nodes[i].feat] += 1;
        }
    }
}

crm_gbt_params crm_gbt_params_default(void)
{
    return (crm_gbt_params){ .learning_rate = 0.1,
                             .max_iter = 100,
                             .max_leaf_nodes = 31,
                             .max_depth = 0,
                             .min_samples_leaf = 20,
                             .l2_regularization = 0.0,
                             .max_bins = 255,
                             .early_stopping = CRM_GBT_EARLY_AUTO,
                             .validation_fraction = 0.1,
                             .n_iter_no_change = 10,
                             .tol = 1e-7,
                             .class_weight_balanced = 0,
                             .seed = 0,
                             .n_threads = 0 };
}

crm_status crm_gbt_params_check(const crm_gbt_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "gbt: params is NULL");
    }
    if (!(p->learning_rate > 0) || !isfinite(p->learning_rate)) {
        return crm__error_set(err, CRM_EINVAL, "gbt: learning_rate must be > 0, got %g",
                              p->learning_rate);
    }
    if (p->max_iter < 1 || p->max_iter > 1000000) {
        return crm__error_set(err, CRM_EINVAL, "gbt: max_iter must be in [1, 1000000], got %d",
                              (int)p->max_iter);
    }
    if (p->max_leaf_nodes != 0 && p->max_leaf_nodes < 2) {
        return crm__error_set(err, CRM_EINVAL,
                              "gbt: max_leaf_nodes must be >= 2 (or 0 for no "
                              "limit), got %d",
                              (int)p->max_leaf_nodes);
    }
    if (p->max_depth < 0) {
        return crm__error_set(err, CRM_EINVAL,
                              "gbt: max_depth must be >= 0 (0 = no limit), "
                              "got %d",
                              (int)p->max_depth);
    }
    if (p->min_samples_leaf < 1) {
        return crm__error_set(err, CRM_EINVAL, "gbt: min_samples_leaf must be >= 1, got %d",
                              (int)p->min_samples_leaf);
    }
    if (!(p->l2_regularization >= 0) || !isfinite(p->l2_regularization)) {
        return crm__error_set(err, CRM_EINVAL, "gbt: l2_regularization must be >= 0, got %g",
                              p->l2_regularization);
    }
    if (p->max_bins < 2 || p->max_bins > 255) {
        return crm__error_set(err, CRM_EINVAL, "gbt: max_bins must be in [2, 255], got %d",
                              (int)p->max_bins);
    }
    if (p->early_stopping < -1 || p->early_stopping > 1) {
        return crm__error_set(err, CRM_EINVAL, "gbt: early_stopping must be -1 (auto), 0 or 1");
    }
    if (!(p->validation_fraction > 0 && p->validation_fraction < 1)) {
        return crm__error_set(err, CRM_EINVAL,
                              "gbt: validation_fraction must be in (0, 1), "
                              "got %g",
                              p->validation_fraction);
    }
    if (p->n_iter_no_change < 1) {
        return crm__error_set(err, CRM_EINVAL, "gbt: n_iter_no_change must be >= 1, got %d",
                              (int)p->n_iter_no_change);
    }
    if (!(p->tol >= 0) || !isfinite(p->tol)) {
        return crm__error_set(err, CRM_EINVAL, "gbt: tol must be >= 0, got %g", p->tol);
    }
    if (p->class_weight_balanced != 0 && p->class_weight_balanced != 1) {
        return crm__error_set(err, CRM_EINVAL, "gbt: class_weight_balanced must be 0 or 1");
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "gbt: n_threads must be >= 0");
    }
    return CRM_OK;
}

crm_status crm_gbt_new(const crm_gbt_params *p, crm_gbt **out, crm_error *err)
{
    crm_status rc = crm_gbt_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    crm_gbt *g = crm_calloc(1, sizeof *g);
    if (g == NULL) {
        return crm__error_nomem(err);
    }
    g->p = *p;
    *out = g;
    return CRM_OK;
}

/* Back to the unfitted state: the model's blocks freed (baseline heads the one of
 * alloc_model, fast the one of build_fast), every field but the params zero. */
static void clear_fit(crm_gbt *g)
{
    crm_gbt_params p = g->p;
    crm_free(g->baseline);
    crm_free(g->nodes);
    crm_free(g->val_loss);
    crm_free(g->fast);
    memset(g, 0, sizeof *g);
    g->p = p;
}

void crm_gbt_free(crm_gbt *g)
{
    if (g == NULL) {
        return;
    }
    clear_fit(g);
    crm_free(g);
}

static crm_status build_fast(crm_gbt *g, crm_error *err);

int crm__gbt_force_dist = 0;

/* ---- losses and gradients ---- */

/* The rows one boosting run works on: labels, weights, raw scores (n x ntpi). In a
 * distributed fit, this rank's run of blocks: rows [first, first + n) of n_all. */
typedef struct gbt_part {
    int64_t n;
    int64_t first;
    int64_t n_all;
    int32_t *y;
    double *w;
    double *raw;
} gbt_part;

/* Fewer training rows than twice this and the fit runs on one thread (see crm_gbt_fit). */
enum {
    GBT_MIN_ROWS_PER_THREAD = 16384
};
/* More features than this in a model file is a damaged or crafted file. */
enum {
    GBT_MAX_FEATURES = 1 << 24
};

/* Sum of the block partials part[2 * nb] (loss, weight; block-major) in block order, over
 * every rank's blocks when dist; *out receives the weighted mean. */
static crm_status
sum_partials(const double *part, int64_t nb, int dist, double *out, crm_error *err)
{
    double t[2] = { 0.0, 0.0 };
    if (dist) {
        crm_status rc = crm_dist_sum_blocks(part, nb, 2, t, err);
        if (rc != CRM_OK) {
            return rc;
        }
    } else {
        for (int64_t b = 0; b < nb; b++) {
            t[0] += part[2 * b];
            t[1] += part[2 * b + 1];
        }
    }
    *out = t[1] > 0 ? t[0] / t[1] : 0.0;
    return CRM_OK;
}

/* Weighted mean loss over every stride-th row (by global row index), fixed blocks reduced in
 * order. part[2 * blocks]. */
static crm_status mean_loss(const gbt_part *d,
                            int32_t ntpi,
                            int nt,
                            int64_t stride,
                            double *part,
                            int dist,
                            double *out,
                            crm_error *err)
{
    int64_t nb = crm__n_blocks(d->n);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * CRM_BLOCK_ROWS;
        int64_t hi = lo + CRM_BLOCK_ROWS < d->n ? lo + CRM_BLOCK_ROWS : d->n;
        double s = 0;
        double ws = 0;
        double z[256];
        for (int64_t i = lo; i < hi; i++) {
            const double *r = d->raw + i * ntpi;
            if ((d->first + i) % stride != 0) {
                continue;
            }
            ws += d->w[i];
            if (ntpi == 1) {
                s += d->w[i] * (crm__mdl_log1pexp(r[0]) - (d->y[i] ? r[0] : 0.0));
            } else {
                memcpy(z, r, (size_t)ntpi * sizeof *z);
                double lse;
                crm__mdl_softmax(z, ntpi, &lse);
                s += d->w[i] * (lse - r[d->y[i]]);
            }
        }
        part[2 * b] = s;
        part[2 * b + 1] = ws;
    }
    return sum_partials(part, nb, dist, out, err);
}

/* Rows of the training loss curve: every stride-th row, at most GBT_LOSS_ROWS of them (the
 * logarithm per row would otherwise cost as much as a fifth of a tree). */
#define GBT_LOSS_ROWS 10000
static int64_t loss_stride(int64_t n)
{
    return n > GBT_LOSS_ROWS ? (n + GBT_LOSS_ROWS - 1) / GBT_LOSS_ROWS : 1;
}

/* Gradients and Hessians of the loss in raw score, class-major: g[c * n + i]. *loss receives
 * the weighted mean loss at the current scores over the loss_stride sample, from the same
 * pass (fixed blocks, reduced in order). part[2 * blocks]. */
static crm_status gradients(const gbt_part *d,
                            int32_t ntpi,
                            int nt,
                            float *g,
                            float *h,
                            double *part,
                            int dist,
                            double *loss,
                            crm_error *err)
{
    const int64_t stride = loss_stride(d->n_all);
    const int64_t n = d->n;
    int64_t nb = crm__n_blocks(n);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * CRM_BLOCK_ROWS;
        int64_t hi = lo + CRM_BLOCK_ROWS < n ? lo + CRM_BLOCK_ROWS : n;
        double z[256];
        double s = 0;
        double ws = 0;
        for (int64_t i = lo; i < hi; i++) {
            const double w = d->w[i];
            const int in_loss = (d->first + i) % stride == 0;
            if (ntpi == 1) {
                double r = d->raw[i];
                double e = exp(-fabs(r));
                double pr = r >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
                g[i] = (float)(w * (pr - (double)d->y[i]));
                h[i] = (float)(w * pr * (1.0 - pr));
                if (in_loss) {
                    s += w * ((r > 0 ? r : 0.0) + log1p(e) - (d->y[i] ? r : 0.0));
                    ws += w;
                }
                continue;
            }
            memcpy(z, d->raw + i * ntpi, (size_t)ntpi * sizeof *z);
            double lse;
            crm__mdl_softmax(z, ntpi, &lse);
            if (in_loss) {
                s += w * (lse - d->raw[i * ntpi + d->y[i]]);
                ws += w;
            }
            for (int32_t c = 0; c < ntpi; c++) {
                g[c * n + i] = (float)(w * (z[c] - (c == d->y[i] ? 1.0 : 0.0)));
                h[c * n + i] = (float)(w * z[c] * (1.0 - z[c]));
            }
        }
        part[2 * b] = s;
        part[2 * b + 1] = ws;
    }
    return sum_partials(part, nb, dist, loss, err);
}

/* Raw score of the prior: log-odds of the weighted class share, or centred log shares, over
 * the training rows rows[n] (every training row, on every rank). */
static void
fit_baseline(crm_gbt *g, const int64_t *rows, int64_t n, const int32_t *y, const double *w)
{
    double share[256] = { 0 };
    double wsum = 0;
    const double eps = 2.220446049250313e-16;
    for (int64_t i = 0; i < n; i++) {
        wsum += w[rows[i]];
    }
    for (int64_t i = 0; i < n; i++) {
        share[y[rows[i]]] += w[rows[i]];
    }
    for (int32_t c = 0; c < g->k; c++) {
        double s = wsum > 0 ? share[c] / wsum : 0.0;
        share[c] = s < eps ? eps : (s > 1 - eps ? 1 - eps : s);
    }
    if (g->ntpi == 1) {
        g->baseline[0] = log(share[1] / (1.0 - share[1]));
        return;
    }
    double mean = 0;
    for (int32_t c = 0; c < g->k; c++) {
        g->baseline[c] = log(share[c]);
        mean += g->baseline[c];
    }
    mean /= g->k;
    for (int32_t c = 0; c < g->k; c++) {
        g->baseline[c] -= mean;
    }
}

/* ---- input checks and the validation split ---- */

/* The training rows checked, and the weight of each row into *w. */
static crm_status check_input(const crm_gbt *g,
                              const crm_matrix *x,
                              const int32_t *y,
                              int32_t k,
                              const double *sw,
                              double **w,
                              crm_error *err)
{
    crm_status rc;
    if (k < 2 || k > 256) {
        return crm__error_set(err, CRM_EINVAL, "gbt: n_classes must be in [2, 256], got %d",
                              (int)k);
    }
    if (x->n_rows < 1 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA, "gbt: no training rows or no features");
    }
    if (x->n_rows > INT32_MAX) {
        return crm__error_set(err, CRM_ELIMIT, "gbt: at most %d training rows", INT32_MAX);
    }
    const crm__mdl_labels lab = { y, x->n_rows, k, sw };
    rc = crm__mdl_train_weights("gbt", &lab, g->p.class_weight_balanced, w, err);
    for (int64_t i = 0; rc == CRM_OK && i < x->n_rows; i++) {
        const double *r = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            if (isinf(r[j])) {
                return crm__error_set(err, CRM_EDATA,
                                      "gbt: value at row %lld, column %lld is "
                                      "infinite",
                                      (long long)(i + 1), (long long)(j + 1));
            }
        }
    }
    return rc;
}

/* ---- the boosting run ---- */

typedef struct gbt_run {
    crm__gbt_mapper mapper;
    crm__gbt_binned binned;
    crm__gbt_grower *grower;
    gbt_part tr, va;
    crm_matrix xv; /* validation rows, raw values */
    int64_t *rows_tr;
    int64_t *rows_va;
    float *g, *h;
    double *part;
    int nt;
    int dist;     /* 1: a data-parallel fit across the ranks (replicated mode) */
    int64_t n_va; /* validation rows over every rank */
} gbt_run;

static void run_fini(gbt_run *r)
{
    crm__gbt_mapper_fini(&r->mapper);
    crm__gbt_binned_fini(&r->binned);
    crm__gbt_grower_free(r->grower);
    crm_free(r->tr.raw); /* the blocks of part_alloc */
    crm_free(r->va.raw);
    crm_matrix_fini(&r->xv);
    crm_free(r->rows_tr);
    crm_free(r->rows_va);
    crm_free(r->part); /* with g and h */
}

static crm_status part_alloc(gbt_part *d, int64_t n, int32_t ntpi, crm_error *err)
{
    size_t m = (size_t)(n > 0 ? n : 1);
    d->n = n;
    /* one block that raw heads: raw, w (doubles), y (int32) */
    d->raw = crm_malloc(m * ((size_t)ntpi + 1) * sizeof(double) + m * sizeof(int32_t));
    if (d->raw == NULL) {
        return crm__error_nomem(err);
    }
    d->w = d->raw + m * (size_t)ntpi;
    d->y = (int32_t *)(void *)(d->w + m);
    return CRM_OK;
}

static void part_fill(gbt_part *d, const int64_t *rows, const int32_t *y, const double *w)
{
    for (int64_t i = 0; i < d->n; i++) {
        d->y[i] = y[rows[i]];
        d->w[i] = w[rows[i]];
    }
}

/* This rank's run of whole blocks of n rows, [*lo, *hi): all of them in one process. */
static void my_rows(int dist, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t b0 = 0;
    int64_t b1 = 0;
    *lo = 0;
    *hi = n;
    if (!dist) {
        return;
    }
    crm_dist_block_range(n, crm_dist_rank(), crm_dist_size(), &b0, &b1);
    *lo = b0 * CRM_BLOCK_ROWS < n ? b0 * CRM_BLOCK_ROWS : n;
    *hi = b1 * CRM_BLOCK_ROWS < n ? b1 * CRM_BLOCK_ROWS : n;
}

/* Missing values in a feature on any rank. */
static crm_status agree_missing(crm__gbt_binned *b, crm_error *err)
{
    int64_t *v = crm_mallocarray((size_t)(b->nf > 0 ? b->nf : 1), sizeof *v);
    crm_status rc;
    if (v == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t f = 0; f < b->nf; f++) {
        v[f] = b->has_missing[f];
    }
    rc = crm_dist_allreduce_i64(v, (size_t)b->nf, CRM_DIST_MAX, err);
    for (int32_t f = 0; rc == CRM_OK && f < b->nf; f++) {
        b->has_missing[f] = (uint8_t)(v[f] != 0);
    }
    crm_free(v);
    return rc;
}

/* Split rows, bin the training part and lay out every buffer of the run. The split, the
 * baseline and the bin edges are computed from every row on every rank; the rest only for
 * this rank's rows (my_rows). */
static crm_status run_setup(crm_gbt *g,
                            gbt_run *r,
                            const crm_matrix *x,
                            const int32_t *y,
                            const double *w,
                            crm_error *err)
{
    const int64_t n = x->n_rows;
    crm_rng rng;
    crm_status rc;
    int es = g->p.early_stopping == CRM_GBT_EARLY_AUTO ? n > GBT_AUTO_ES_ROWS : g->p.early_stopping;
    uint8_t *is_val = crm_calloc((size_t)n, 1);
    r->rows_tr = crm_mallocarray((size_t)n, sizeof(int64_t));
    r->rows_va = crm_mallocarray((size_t)n, sizeof(int64_t));
    if (is_val == NULL || r->rows_tr == NULL || r->rows_va == NULL) {
        crm_free(is_val);
        return crm__error_nomem(err);
    }
    const crm__mdl_labels lab = { y, n, g->k, NULL };
    crm_rng_seed(&rng, g->p.seed);
    rc = es ? crm__mdl_stratified_holdout(&lab, g->p.validation_fraction, &rng, is_val, err)
            : CRM_OK;
    if (rc != CRM_OK) {
        crm_free(is_val);
        return rc;
    }
    int64_t a = 0;
    int64_t b = 0;
    for (int64_t i = 0; i < n; i++) {
        if (is_val[i]) {
            r->rows_va[b++] = i;
        } else {
            r->rows_tr[a++] = i;
        }
    }
    crm_free(is_val);
    r->n_va = b;
    int64_t t0, t1, v0, v1;
    my_rows(r->dist, a, &t0, &t1);
    my_rows(r->dist, b, &v0, &v1);
    fit_baseline(g, r->rows_tr, a, y, w);
    rc = part_alloc(&r->tr, t1 - t0, g->ntpi, err);
    if (rc == CRM_OK) {
        rc = part_alloc(&r->va, v1 - v0, g->ntpi, err);
    }
    r->tr.first = t0;
    r->tr.n_all = a;
    r->va.first = v0;
    r->va.n_all = b;
    if (rc == CRM_OK) {
        rc = crm__gbt_mapper_fit(x, r->rows_tr, a, g->p.max_bins, &rng, r->nt, &r->mapper, err);
    }
    if (rc == CRM_OK) {
        rc = crm__gbt_bin(&r->mapper, x, r->rows_tr + t0, t1 - t0, r->nt, &r->binned, err);
    }
    if (rc == CRM_OK && r->dist) {
        rc = agree_missing(&r->binned, err);
    }
    if (rc == CRM_OK) {
        rc = crm__gbt_grower_new(&r->binned, &r->mapper, &g->p, r->nt, &r->grower, err);
    }
    if (rc == CRM_OK && r->dist) {
        crm__gbt_grower_distribute(r->grower, a);
    }
    if (rc == CRM_OK && v1 > v0) {
        rc = crm_matrix_init(&r->xv, v1 - v0, x->n_cols, err);
        for (int64_t i = 0; rc == CRM_OK && i < v1 - v0; i++) {
            memcpy(CRM_ROW(&r->xv, i), CRM_ROW(x, r->rows_va[v0 + i]),
                   (size_t)x->n_cols * sizeof(double));
        }
    }
    if (rc != CRM_OK) {
        return rc;
    }
    part_fill(&r->tr, r->rows_tr + t0, y, w);
    part_fill(&r->va, r->rows_va + v0, y, w);
    size_t gn = (size_t)(t1 - t0 > 0 ? t1 - t0 : 1) * (size_t)g->ntpi;
    size_t n_part = 2 * (size_t)crm__n_blocks(n) + 2;
    /* one block that part heads: part (doubles), g, h (floats) */
    r->part = crm_malloc(n_part * sizeof(double) + 2 * gn * sizeof(float));
    if (r->part == NULL) {
        return crm__error_nomem(err);
    }
    r->g = (float *)(void *)(r->part + n_part);
    r->h = r->g + gn;
    return CRM_OK;
}

/* scikit-learn's rule: stop when none of the last n_iter_no_change validation losses is
 * below the one before them by more than tol. loss[m]. */
static int should_stop(const double *loss, int32_t m, int32_t patience, double tol)
{
    if (m < patience + 1) {
        return 0;
    }
    double ref = loss[m - 1 - patience];
    for (int32_t j = m - patience; j < m; j++) {
        if (loss[j] < ref - tol) {
            return 0;
        }
    }
    return 1;
}

static void
add_tree_to_rows(const crm__gbt_node *t, const crm_matrix *x, double *raw, int32_t stride, int nt)
{
    int64_t nb = crm__n_blocks(x->n_rows);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * CRM_BLOCK_ROWS;
        int64_t hi = lo + CRM_BLOCK_ROWS < x->n_rows ? lo + CRM_BLOCK_ROWS : x->n_rows;
        for (int64_t i = lo; i < hi; i++) {
            raw[i * stride] += crm__gbt_tree_value(t, CRM_ROW(x, i));
        }
    }
}

/* The per-iteration arrays in one zeroed block that baseline heads: baseline, train_loss and
 * gain (doubles), tree_start (int64), tree_leaves (int32). */
static crm_status alloc_model(crm_gbt *g, crm_error *err)
{
    size_t max_trees = (size_t)g->p.max_iter * (size_t)g->ntpi;
    size_t n_iter1 = (size_t)g->p.max_iter + 1;
    size_t nf = (size_t)(g->nf > 0 ? g->nf : 1);
    double *block = crm_calloc((size_t)g->ntpi + n_iter1 + nf + max_trees + 1 + (max_trees + 1) / 2,
                               sizeof(double));
    if (block == NULL) {
        return crm__error_nomem(err);
    }
    g->baseline = block;
    g->train_loss = g->baseline + g->ntpi;
    g->gain = g->train_loss + n_iter1;
    g->tree_start = (int64_t *)(void *)(g->gain + nf);
    g->tree_leaves = (int32_t *)(void *)(g->tree_start + max_trees + 1);
    return CRM_OK;
}

static crm_status boost(crm_gbt *g, gbt_run *r, const crm_progress *progress, crm_error *err)
{
    const int32_t K = g->ntpi;
    const int64_t n = r->tr.n;
    crm_status rc = CRM_OK;
    for (int64_t i = 0; i < n; i++) {
        memcpy(r->tr.raw + i * K, g->baseline, (size_t)K * sizeof(double));
    }
    for (int64_t i = 0; i < r->va.n; i++) {
        memcpy(r->va.raw + i * K, g->baseline, (size_t)K * sizeof(double));
    }
    if (g->val_loss != NULL) {
        rc = mean_loss(&r->va, K, r->nt, 1, r->part, r->dist, &g->val_loss[0], err);
    }
    for (int32_t it = 0; rc == CRM_OK && it < g->p.max_iter; it++) {
        rc = gradients(&r->tr, K, r->nt, r->g, r->h, r->part, r->dist, &g->train_loss[it], err);
        for (int32_t c = 0; rc == CRM_OK && c < K; c++) {
            int64_t t = (int64_t)it * K + c;
            rc = crm__gbt_grow(r->grower, r->g + c * n, r->h + c * n, r->tr.raw + c, K, &g->nodes,
                               &g->n_nodes, &g->cap_nodes, &g->tree_leaves[t], g->gain, err);
            if (rc != CRM_OK) {
                return rc;
            }
            g->tree_start[t + 1] = g->n_nodes;
            if (r->va.n > 0) {
                add_tree_to_rows(g->nodes + g->tree_start[t], &r->xv, r->va.raw + c, K, r->nt);
            }
        }
        if (rc != CRM_OK) {
            return rc;
        }
        g->n_iter = it + 1;
        /* a cancel on any rank stops every rank after the same iteration */
        int64_t stop = !crm_progress_report(progress, "gbt", (double)(it + 1) / g->p.max_iter);
        if (r->dist) {
            rc = crm_dist_allreduce_i64(&stop, 1, CRM_DIST_MAX, err);
            if (rc != CRM_OK) {
                return rc;
            }
        }
        if (stop) {
            return crm__error_set(err, CRM_ECANCELLED, "gbt: cancelled");
        }
        if (g->val_loss != NULL) {
            rc = mean_loss(&r->va, K, r->nt, 1, r->part, r->dist, &g->val_loss[it + 1], err);
            if (rc == CRM_OK && should_stop(g->val_loss, it + 2, g->p.n_iter_no_change, g->p.tol)) {
                break;
            }
        }
    }
    if (rc == CRM_OK) {
        rc = mean_loss(&r->tr, K, r->nt, loss_stride(r->tr.n_all), r->part, r->dist,
                       &g->train_loss[g->n_iter], err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    return build_fast(g, err);
}

crm_status crm_gbt_fit(crm_gbt *g,
                       const crm_matrix *x,
                       const int32_t *y,
                       int32_t n_classes,
                       const double *sample_weight,
                       const crm_progress *progress,
                       crm_error *err)
{
    gbt_run r;
    double *w = NULL;
    crm_status rc;
    memset(&r, 0, sizeof r);
    if (g == NULL || x == NULL || y == NULL) {
        return crm__error_set(err, CRM_EINVAL, "gbt: NULL argument");
    }
    clear_fit(g);
    rc = check_input(g, x, y, n_classes, sample_weight, &w, err);
    if (rc != CRM_OK) {
        goto done;
    }
    g->k = n_classes;
    g->ntpi = n_classes == 2 ? 1 : n_classes;
    g->nf = (int32_t)x->n_cols;
    /* A tree over a few thousand rows is hundreds of parallel regions of microseconds each:
     * waking sleeping threads for them costs more than they save (bench/results/boost.md,
     * "GBT threads on small tables"). Threads change no result, only the time. */
    r.nt = x->n_rows < GBT_MIN_ROWS_PER_THREAD * 2 ? 1 : crm__n_threads(g->p.n_threads);
    r.dist = crm_dist_replicated() || crm__gbt_force_dist;
    rc = alloc_model(g, err);
    if (rc == CRM_OK) {
        rc = run_setup(g, &r, x, y, w, err);
    }
    if (rc == CRM_OK && r.n_va > 0) {
        g->val_loss = crm_calloc((size_t)g->p.max_iter + 1, sizeof(double));
        rc = g->val_loss == NULL ? crm__error_nomem(err) : CRM_OK;
    }
    if (rc != CRM_OK) {
        goto done;
    }
    rc = boost(g, &r, progress, err);
    if (rc == CRM_OK) {
        g->fitted = 1;
    }
done:
    if (rc != CRM_OK) {
        clear_fit(g);
    }
    run_fini(&r);
    crm_free(w);
    return rc;
}

/* ---- prediction ---- */

/* Build the lockstep prediction layout. Children come after their parent (checked on
 * load), so one forward pass gives every node's depth. */
static crm_status build_fast(crm_gbt *g, crm_error *err)
{
    const int64_t n_trees = (int64_t)g->n_iter * g->ntpi;
    size_t nn = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
    int32_t *depth = crm_mallocarray(nn, sizeof(int32_t));
    /* one block that fast heads: fast, leafv (doubles), tree_depth (int32) */
    g->fast = crm_malloc(nn * (sizeof(crm__gbt_node) + sizeof(double)) +
                         (size_t)(n_trees > 0 ? n_trees : 1) * sizeof(int32_t));
    if (depth == NULL || g->fast == NULL) {
        crm_free(depth);
        return crm__error_nomem(err);
    }
    g->leafv = (double *)(void *)(g->fast + nn);
    g->tree_depth = (int32_t *)(void *)(g->leafv + nn);
    for (int64_t t = 0; t < n_trees; t++) {
        const int64_t lo = g->tree_start[t];
        const int64_t size = g->tree_start[t + 1] - lo;
        int32_t dmax = 0;
        depth[lo] = 0;
        for (int64_t i = 0; i < size; i++) {
            const crm__gbt_node *nd = g->nodes + lo + i;
            if (nd->feat < 0) {
                g->fast[lo + i] =
                    (crm__gbt_node){ .v = HUGE_VAL, .feat = 0, .kids = (uint32_t)i << 1 };
                g->leafv[lo + i] = nd->v;
                dmax = depth[lo + i] > dmax ? depth[lo + i] : dmax;
                continue;
            }
            int64_t left = lo + (int64_t)(nd->kids >> 1);
            depth[left] = depth[lo + i] + 1;
            depth[left + 1] = depth[lo + i] + 1;
            g->fast[lo + i] = *nd;
            g->leafv[lo + i] = 0.0;
        }
        g->tree_depth[t] = dmax;
    }
    crm_free(depth);
    return CRM_OK;
}

#define GBT_LOCKSTEP_ROWS 64

/* Raw scores of rows [lo, lo + n) of x (n <= GBT_LOCKSTEP_ROWS) into out[n * ntpi]. Trees are
 * added in training order, so scores equal the ones boosting accumulated, bit for bit. */
static void raw_rows(const crm_gbt *g, const crm_matrix *x, int64_t lo, int32_t n, double *out)
{
    const int32_t K = g->ntpi;
    const int64_t n_trees = (int64_t)g->n_iter * K;
    const double *xr[GBT_LOCKSTEP_ROWS];
    uint32_t idx[GBT_LOCKSTEP_ROWS];
    for (int32_t r = 0; r < n; r++) {
        xr[r] = CRM_ROW(x, lo + r);
        memcpy(out + (int64_t)r * K, g->baseline, (size_t)K * sizeof *out);
    }
    for (int64_t t = 0; t < n_trees; t++) {
        const crm__gbt_node *nd = g->fast + g->tree_start[t];
        const double *lv = g->leafv + g->tree_start[t];
        const int32_t c = (int32_t)(t % K);
        for (int32_t r = 0; r < n; r++) {
            idx[r] = 0;
        }
        /* Children come after their parent, so a level where no row moved means every row
         * sits on a leaf: leaf-wise trees are often twice as deep on one branch as most rows
         * go. */
        for (int32_t d = 0; d < g->tree_depth[t]; d++) {
            uint32_t moved = 0;
            for (int32_t r = 0; r < n; r++) {
                const crm__gbt_node *q = nd + idx[r];
                double v = xr[r][q->feat];
                uint32_t k = q->kids;
                uint32_t right = !(v <= q->v);
                if (v != v) {
                    right = k & 1u;
                }
                uint32_t next = (k >> 1) + right;
                moved |= next ^ idx[r];
                idx[r] = next;
            }
            if (moved == 0) {
                break;
            }
        }
        for (int32_t r = 0; r < n; r++) {
            out[(int64_t)r * K + c] += lv[idx[r]];
        }
    }
}

typedef enum {
    OUT_RAW,
    OUT_PROBA,
    OUT_LABEL
} out_kind;

static void
predict_block(const crm_gbt *g, const crm_matrix *x, int64_t b, out_kind kind, void *out)
{
    const int32_t K = g->ntpi;
    int32_t step = GBT_LOCKSTEP_ROWS * 8 / K;
    step = step < 1 ? 1 : (step > GBT_LOCKSTEP_ROWS ? GBT_LOCKSTEP_ROWS : step);
    double buf[GBT_LOCKSTEP_ROWS * 8];
    int64_t lo = b * CRM_BLOCK_ROWS;
    int64_t hi = lo + CRM_BLOCK_ROWS < x->n_rows ? lo + CRM_BLOCK_ROWS : x->n_rows;
    for (int64_t i0 = lo; i0 < hi; i0 += step) {
        int32_t n = (int32_t)(hi - i0 < step ? hi - i0 : step);
        raw_rows(g, x, i0, n, buf);
        for (int32_t r = 0; r < n; r++) {
            const double *z = buf + (int64_t)r * K;
            int64_t i = i0 + r;
            if (kind == OUT_RAW) {
                memcpy((double *)out + i * K, z, (size_t)K * sizeof *z);
            } else if (kind == OUT_PROBA) {
                double *pr = (double *)out + i * g->k;
                if (K == 1) {
                    pr[1] = crm__mdl_sigmoid(z[0]);
                    pr[0] = 1.0 - pr[1];
                } else {
                    memcpy(pr, z, (size_t)K * sizeof *z);
                    crm__mdl_softmax(pr, K, NULL);
                }
            } else {
                int32_t best = K == 1 ? (z[0] > 0) : 0;
                for (int32_t c = 1; K > 1 && c < K; c++) {
                    best = z[c] > z[best] ? c : best;
                }
                ((int32_t *)out)[i] = best;
            }
        }
    }
}

static crm_status
predict_any(const crm_gbt *g, const crm_matrix *x, out_kind kind, void *out, crm_error *err)
{
    crm_status rc = crm__mdl_check_rows("gbt", g != NULL && out != NULL ? &g->fitted : NULL,
                                        g != NULL ? g->nf : 0, x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    int64_t nb = crm__n_blocks(x->n_rows);
#pragma omp parallel for schedule(static) num_threads(crm__n_threads(g->p.n_threads))
    for (int64_t b = 0; b < nb; b++) {
        predict_block(g, x, b, kind, out);
    }
    return CRM_OK;
}

crm_status crm_gbt_predict_raw(const crm_gbt *g, const crm_matrix *x, double *raw, crm_error *err)
{
    return predict_any(g, x, OUT_RAW, raw, err);
}

crm_status
crm_gbt_predict_proba(const crm_gbt *g, const crm_matrix *x, double *proba, crm_error *err)
{
    return predict_any(g, x, OUT_PROBA, proba, err);
}

crm_status crm_gbt_predict(const crm_gbt *g, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    return predict_any(g, x, OUT_LABEL, labels, err);
}

/* ---- accessors ---- */

int32_t crm_gbt_is_fitted(const crm_gbt *g)
{
    return g != NULL && g->fitted;
}
int32_t crm_gbt_n_classes(const crm_gbt *g)
{
    return g->k;
}
int32_t crm_gbt_n_features(const crm_gbt *g)
{
    return g->nf;
}
int32_t crm_gbt_n_iter(const crm_gbt *g)
{
    return g->n_iter;
}
int32_t crm_gbt_n_trees(const crm_gbt *g)
{
    return g->n_iter * g->ntpi;
}
int32_t crm_gbt_tree_n_leaves(const crm_gbt *g, int32_t t)
{
    return (t >= 0 && t < g->n_iter * g->ntpi) ? g->tree_leaves[t] : 0;
}
const double *crm_gbt_train_loss(const crm_gbt *g)
{
    return g->train_loss;
}
const double *crm_gbt_validation_loss(const crm_gbt *g)
{
    return g->val_loss;
}

/* ---- save / load ---- */

static crm_status section_tag(const char *tag, const char *suffix, char *out, crm_error *err)
{
    if (strlen(tag) > 8) {
        return crm__error_set(err, CRM_EINVAL, "gbt: section tag \"%s\" is longer than 8", tag);
    }
    memcpy(out, tag, strlen(tag) + 1);
    strcat(out, suffix);
    return CRM_OK;
}

/* A node in the ".nodes" section (16 bytes): f64 v, i32 feat, u32 kids; save and load share it. */
#define GBT_NODE(nd) CRM_FIELD(&(nd)->v), CRM_FIELD(&(nd)->feat), CRM_FIELD(&(nd)->kids)

crm_status crm_gbt_save(const crm_gbt *g, crm_model_writer *w, const char *tag, crm_error *err)
{
    char t1[16];

    char t2[16];
    crm_status rc;
    int64_t n_trees;
    rc = crm__mdl_check_ready("gbt", g != NULL && w != NULL ? &g->fitted : NULL, err);
    if (rc != CRM_OK) {
        return rc;
    }
    tag = tag != NULL ? tag : GBT_TAG;
    rc = section_tag(tag, "", t1, err);
    if (rc == CRM_OK) {
        rc = section_tag(tag, ".nodes", t2, err);
    }
    n_trees = (int64_t)g->n_iter * g->ntpi;
    const int32_t ints[6] = { GBT_FORMAT, g->k, g->ntpi, g->nf, g->n_iter, g->val_loss != NULL };
    const double dbl[2] = { g->p.learning_rate, g->p.l2_regularization };
    if (rc == CRM_OK) {
        rc = crm_model_begin(w, t1, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, ints, 6, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i64(w, g->n_nodes, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, dbl, 2, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, g->baseline, (size_t)g->ntpi, err);
    }
    for (int64_t t = 0; rc == CRM_OK && t < n_trees; t++) {
        rc = crm_model_put_i32(w, (int32_t)(g->tree_start[t + 1] - g->tree_start[t]), err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, g->tree_leaves, (size_t)n_trees, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, g->train_loss, (size_t)g->n_iter + 1, err);
    }
    if (rc == CRM_OK && g->val_loss != NULL) {
        rc = crm_model_put_f64s(w, g->val_loss, (size_t)g->n_iter + 1, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_begin(w, t2, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < g->n_nodes; i++) {
        const crm_field node[] = { GBT_NODE(g->nodes + i) };
        rc = crm_model_put_fields(w, node, CRM_N_FIELDS(node), err);
    }
    if (rc == CRM_OK && g->gain != NULL) {
        char t3[16];
        rc = section_tag(tag, ".gain", t3, err);
        if (rc == CRM_OK) {
            rc = crm_model_begin(w, t3, err);
        }
        if (rc == CRM_OK) {
            rc = crm_model_put_f64s(w, g->gain, (size_t)g->nf, err);
        }
    }
    return rc;
}

/* Every node of tree [lo, hi) must be a finite leaf or split a known feature into two
 * children that come after it inside the tree. */
static int tree_ok(const crm__gbt_node *nd, int64_t size, int32_t nf)
{
    for (int64_t i = 0; i < size; i++) {
        if (nd[i].feat == -1) {
            if (!isfinite(nd[i].v)) {
                return 0;
            }
            continue;
        }
        int64_t left = (int64_t)(nd[i].kids >> 1);
        if (nd[i].feat < 0 || nd[i].feat >= nf || isnan(nd[i].v) || left <= i || left + 1 >= size) {
            return 0;
        }
    }
    return 1;
}

static crm_status
load_header(const crm_model_reader *r, const char *t1, crm_gbt *g, crm_section *s, crm_error *err)
{
    int32_t ints[6] = { 0 };
    double dbl[2] = { 0 };
    int64_t n_nodes = 0;
    crm_status rc = crm_model_section(r, t1, s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    crm_section_get_i32s(s, ints, 6);
    crm_section_get_i64(s, &n_nodes);
    crm_section_get_f64s(s, dbl, 2);
    if (s->failed || ints[0] != GBT_FORMAT) {
        return crm__mdl_bad_section(r, t1, "unknown format or truncated header", err);
    }
    g->k = ints[1];
    g->ntpi = ints[2];
    g->nf = ints[3];
    g->n_iter = ints[4];
    /* nf bounded too: it sizes the per-feature gains (a crafted 1.7e9 asked for 13 GB) */
    if (g->k < 2 || g->k > 256 || g->ntpi != (g->k == 2 ? 1 : g->k) || g->nf < 1 ||
        g->nf > GBT_MAX_FEATURES || g->n_iter < 0 ||
        (int64_t)g->n_iter * g->ntpi > (int64_t)s->len || (ints[5] != 0 && ints[5] != 1) ||
        n_nodes < 0 || n_nodes > INT32_MAX) {
        return crm__mdl_bad_section(r, t1, "inconsistent sizes", err);
    }
    g->p.max_iter = g->n_iter > 0 ? g->n_iter : 1;
    g->p.learning_rate = dbl[0] > 0 ? dbl[0] : g->p.learning_rate;
    g->p.l2_regularization = dbl[1] >= 0 ? dbl[1] : 0.0;
    g->n_nodes = n_nodes;
    rc = alloc_model(g, err);
    if (rc == CRM_OK && ints[5]) {
        g->val_loss = crm_calloc((size_t)g->n_iter + 1, sizeof(double));
        rc = g->val_loss == NULL ? crm__error_nomem(err) : CRM_OK;
    }
    return rc;
}

static crm_status
load_trees(const crm_model_reader *r, const char *t1, crm_gbt *g, crm_section *s, crm_error *err)
{
    int64_t n_trees = (int64_t)g->n_iter * g->ntpi;
    crm_section_get_f64s(s, g->baseline, (size_t)g->ntpi);
    for (int64_t t = 0; t < n_trees; t++) {
        int32_t size = 0;
        crm_section_get_i32(s, &size);
        if (size < 1 || g->tree_start[t] + size > g->n_nodes) {
            return crm__mdl_bad_section(r, t1, "bad tree size", err);
        }
        g->tree_start[t + 1] = g->tree_start[t] + size;
    }
    if (g->tree_start[n_trees] != g->n_nodes) {
        return crm__mdl_bad_section(r, t1, "tree sizes do not add up to the node count", err);
    }
    crm_section_get_i32s(s, g->tree_leaves, (size_t)n_trees);
    crm_section_get_f64s(s, g->train_loss, (size_t)g->n_iter + 1);
    if (g->val_loss != NULL) {
        crm_section_get_f64s(s, g->val_loss, (size_t)g->n_iter + 1);
    }
    for (int32_t c = 0; c < g->ntpi; c++) {
        if (!isfinite(g->baseline[c])) {
            return crm__mdl_bad_section(r, t1, "non-finite baseline", err);
        }
    }
    return crm_section_finish(s, r, err);
}

static crm_status load_nodes(const crm_model_reader *r, const char *t2, crm_gbt *g, crm_error *err)
{
    crm_section s;
    crm_status rc = crm_model_section(r, t2, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if ((uint64_t)g->n_nodes * 16u != s.len) {
        return crm__mdl_bad_section(r, t2, "length does not match the node count", err);
    }
    g->cap_nodes = g->n_nodes > 0 ? g->n_nodes : 1;
    g->nodes = crm_mallocarray((size_t)g->cap_nodes, sizeof(crm__gbt_node));
    if (g->nodes == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < g->n_nodes; i++) {
        const crm_field node[] = { GBT_NODE(g->nodes + i) };
        (void)crm_section_get_fields(&s, node, CRM_N_FIELDS(node));
    }
    rc = crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t t = 0; t < (int64_t)g->n_iter * g->ntpi; t++) {
        if (!tree_ok(g->nodes + g->tree_start[t], g->tree_start[t + 1] - g->tree_start[t], g->nf)) {
            return crm__mdl_bad_section(r, t2, "a tree node is invalid", err);
        }
    }
    return CRM_OK;
}

/* The per-feature gains, optional: a file written before they were kept has none. */
static crm_status load_gain(const crm_model_reader *r, const char *tag, crm_gbt *g, crm_error *err)
{
    char t3[16];
    crm_section s;
    crm_status rc = section_tag(tag, ".gain", t3, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (!crm_model_reader_has(r, t3)) {
        g->gain = NULL; /* its room in the block of alloc_model stays unused */
        return CRM_OK;
    }
    rc = crm_model_section(r, t3, &s, err);
    if (rc == CRM_OK && s.len != (uint64_t)g->nf * 8u) {
        return crm__mdl_bad_section(r, t3, "length does not match the feature count", err);
    }
    if (rc == CRM_OK) {
        crm_section_get_f64s(&s, g->gain, (size_t)g->nf);
        rc = crm_section_finish(&s, r, err);
    }
    for (int32_t f = 0; rc == CRM_OK && f < g->nf; f++) {
        if (!(g->gain[f] >= 0) || !isfinite(g->gain[f])) {
            return crm__mdl_bad_section(r, t3, "a gain is negative or not finite", err);
        }
    }
    return rc;
}

crm_status crm_gbt_load(const crm_model_reader *r, const char *tag, crm_gbt **out, crm_error *err)
{
    char t1[16];
    char t2[16];
    crm_section s;
    crm_gbt *g = NULL;
    crm_gbt_params p = crm_gbt_params_default();
    crm_status rc;
    *out = NULL;
    tag = tag != NULL ? tag : GBT_TAG;
    rc = section_tag(tag, "", t1, err);
    if (rc == CRM_OK) {
        rc = section_tag(tag, ".nodes", t2, err);
    }
    if (rc == CRM_OK) {
        rc = crm_gbt_new(&p, &g, err);
    }
    if (rc == CRM_OK) {
        rc = load_header(r, t1, g, &s, err);
    }
    if (rc == CRM_OK) {
        rc = load_trees(r, t1, g, &s, err);
    }
    if (rc == CRM_OK) {
        rc = load_nodes(r, t2, g, err);
    }
    if (rc == CRM_OK) {
        rc = load_gain(r, tag, g, err);
    }
    if (rc == CRM_OK) {
        rc = build_fast(g, err);
    }
    if (rc != CRM_OK) {
        crm_gbt_free(g);
        return rc;
    }
    g->fitted = 1;
    *out = g;
    return CRM_OK;
}

void crm_gbt_split_counts(const crm_gbt *g, int64_t *counts)
{
    for (int32_t f = 0; f < g->nf; f++) {
        counts[f] = 0;
    }
    for (int64_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].feat >= 0 && g->nodes[i].feat < g->nf) {
            counts[g->nodes[i].feat]++;
        }
    }
}
