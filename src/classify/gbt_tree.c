/* gbt_tree.c: binning and leaf-wise growth of one regression tree on gradient statistics.
 *
 * Histogram method (Ke et al., "LightGBM: A highly efficient gradient boosting decision
 * tree", NeurIPS 2017): every feature is cut into at most 255 quantile bins once, and a node's
 * split search only scans per-bin sums of gradient g, Hessian h and row count. A node's
 * histogram is built from its rows for the smaller child only; the larger child's is the
 * parent's minus the smaller's (the subtraction trick), computed in the parent's buffer.
 * Split gain is the second-order gain of XGBoost (Chen and Guestrin, KDD 2016):
 *     G_L^2 / (H_L + lambda) + G_R^2 / (H_R + lambda) - G^2 / (H + lambda),
 * with missing values tried on both sides. Leaf value: -learning_rate * G / (H + lambda +
 * 1e-15), scikit-learn's; the 1e-15 keeps a leaf finite when every row's Hessian is 0 (a
 * row scored with certainty, p = 1.0 in double, on the wrong side: g = 1, h = 0).
 *
 * Workload: up to millions of rows, tens of features, trees of ~31 leaves. Bins are stored
 * column-major so a histogram is one sequential pass per feature; features are processed in
 * parallel, one thread per feature at a time.
 *
 * Exact sums: before each tree the float32 gradients and Hessians are put on a fixed-point
 * grid (q = round(g * 2^S), S the largest power that keeps the sum of |q| over every
 * training row below 2^62, from the largest |g| of the tree's rows), and histograms, node
 * sums and the split scan add those integers. Integer sums do not depend on their order, so
 * a histogram has the same bits whatever the thread count, the grouping of rows, or the
 * number of processes whose partial histograms are added (the data-parallel fit under
 * mpirun, gbt.c: each rank builds its rows' histogram, an MPI_Allreduce adds them, as
 * LightGBM's data-parallel mode does). The grid keeps 62 - log2(rows) bits below the
 * largest gradient (38 bits for 10 million rows), finer than the float32 values' 24. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/dist.h>

#include "core/core_internal.h"
#include "gbt_internal.h"

#define GBT_SUBSAMPLE   200000
#define GBT_MAX_THR     255
#define GBT_MIN_HESSIAN 1e-3

/* ---- binning ---- */

/* Edges of one feature from its sorted non-missing values v[n]; returns the number of
 * thresholds written to thr (n_bins - 1). numpy's percentile with method "midpoint", as
 * scikit-learn's binner uses, when there are more distinct values than bins. */
static int32_t edges_from_sorted(const double *v, int64_t n, int32_t max_bins, double *thr)
{
    int64_t n_distinct = 0;
    int32_t nt = 0;
    for (int64_t i = 0; i < n; i++) {
        n_distinct += (i == 0 || v[i] != v[i - 1]);
    }
    if (n_distinct <= max_bins) {
        for (int64_t i = 1; i < n; i++) {
            if (v[i] != v[i - 1]) {
                thr[nt++] = 0.5 * (v[i - 1] + v[i]);
            }
        }
        return nt;
    }
    for (int32_t q = 1; q < max_bins; q++) {
        double idx = (double)q / max_bins * (double)(n - 1);
        int64_t lo = (int64_t)floor(idx);
        int64_t hi = (int64_t)ceil(idx);
        double t = lo == hi ? v[lo] : 0.5 * (v[lo] + v[hi]);
        if (nt == 0 || t > thr[nt - 1]) {
            thr[nt++] = t;
        }
    }
    return nt;
}

crm_status crm__gbt_mapper_fit(const crm_matrix *x,
                               const int64_t *rows,
                               int64_t n,
                               int32_t max_bins,
                               crm_rng *rng,
                               int nt,
                               crm__gbt_mapper *m,
                               crm_error *err)
{
    const int32_t nf = (int32_t)x->n_cols;
    int64_t ns = n < GBT_SUBSAMPLE ? n : GBT_SUBSAMPLE;
    int64_t *pick = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof(int64_t));
    double *vals =
        crm_mallocarray((size_t)(ns > 0 ? ns : 1) * (size_t)(nf > 0 ? nf : 1), sizeof(double));
    int64_t *nv = crm_calloc((size_t)(nf > 0 ? nf : 1), sizeof(int64_t));
    crm_status rc = CRM_OK;
    memset(m, 0, sizeof *m);
    m->nf = nf;
    m->n_bins = crm_calloc((size_t)(nf > 0 ? nf : 1), sizeof(int32_t));
    m->thr = crm_mallocarray((size_t)(nf > 0 ? nf : 1) * GBT_MAX_THR, sizeof(double));
    if (pick == NULL || vals == NULL || nv == NULL || m->n_bins == NULL || m->thr == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        pick[i] = rows != NULL ? rows[i] : i;
    }
    /* Partial Fisher-Yates: the first ns entries become a uniform sample. */
    for (int64_t i = 0; ns < n && i < ns; i++) {
        int64_t j = i + (int64_t)crm_rng_below(rng, (uint64_t)(n - i));
        int64_t t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
    }
#pragma omp parallel for schedule(dynamic) num_threads(nt)
    for (int32_t f = 0; f < nf; f++) {
        double *v = vals + (int64_t)f * ns;
        int64_t k = 0;
        for (int64_t i = 0; i < ns; i++) {
            double t = CRM_ROW(x, pick[i])[f];
            if (t == t) {
                v[k++] = t;
            }
        }
        crm__sort_doubles(v, k);
        nv[f] = k;
        m->n_bins[f] = 1 + edges_from_sorted(v, k, max_bins, m->thr + (int64_t)f * GBT_MAX_THR);
    }
done:
    crm_free(pick);
    crm_free(vals);
    crm_free(nv);
    if (rc != CRM_OK) {
        crm__gbt_mapper_fini(m);
    }
    return rc;
}

void crm__gbt_mapper_fini(crm__gbt_mapper *m)
{
    crm_free(m->n_bins);
    crm_free(m->thr);
    memset(m, 0, sizeof *m);
}

static uint8_t bin_of(const double *thr, int32_t n_thr, double v)
{
    int32_t lo = 0;
    int32_t hi = n_thr;
    if (v != v) {
        return CRM__GBT_MISSING_BIN;
    }
    while (lo < hi) {
        int32_t mid = (lo + hi) >> 1;
        if (v <= thr[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return (uint8_t)lo;
}

crm_status crm__gbt_bin(const crm__gbt_mapper *m,
                        const crm_matrix *x,
                        const int64_t *rows,
                        int64_t n,
                        int nt,
                        crm__gbt_binned *b,
                        crm_error *err)
{
    memset(b, 0, sizeof *b);
    b->bins = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)(m->nf > 0 ? m->nf : 1), 1);
    b->has_missing = crm_calloc((size_t)(m->nf > 0 ? m->nf : 1), 1);
    if (b->bins == NULL || b->has_missing == NULL) {
        crm__gbt_binned_fini(b);
        return crm__error_nomem(err);
    }
    b->n = n;
    b->nf = m->nf;
#pragma omp parallel for schedule(dynamic) num_threads(nt)
    for (int32_t f = 0; f < m->nf; f++) {
        const double *thr = m->thr + (int64_t)f * GBT_MAX_THR;
        uint8_t *col = b->bins + (int64_t)f * n;
        uint8_t any = 0;
        for (int64_t i = 0; i < n; i++) {
            col[i] = bin_of(thr, m->n_bins[f] - 1, CRM_ROW(x, rows != NULL ? rows[i] : i)[f]);
            any |= col[i] == CRM__GBT_MISSING_BIN;
        }
        b->has_missing[f] = any;
    }
    return CRM_OK;
}

void crm__gbt_binned_fini(crm__gbt_binned *b)
{
    crm_free(b->bins);
    crm_free(b->has_missing);
    memset(b, 0, sizeof *b);
}

/* ---- growing ---- */

/* One histogram bin: fixed-point sums of g and h (see the file header) and the row count.
 * Three int64 in a row, so a histogram is one int64 array for the reduction across ranks. */
typedef struct hbin {
    int64_t g;
    int64_t h;
    int64_t n;
} hbin;

typedef struct split {
    double gain;
    int64_t gl, hl; /* fixed-point sums of the left child */
    int64_t nl;     /* rows of the left child, over every rank */
    int32_t feat, bin, missing_left;
} split;

typedef struct tnode {
    int64_t start, count; /* this process's rows: part[start, start + count) */
    int64_t gcount;       /* rows over every rank (= count in one process) */
    int64_t qg, qh;       /* fixed-point sums of g and h over every rank */
    double sum_g, sum_h;  /* the same, as numbers */
    int32_t depth;
    int32_t left; /* -1 while a leaf */
    hbin *hist;
    int32_t can_split;
    split best;
} tnode;

struct crm__gbt_grower {
    const crm__gbt_binned *b;
    const crm__gbt_mapper *m;
    crm_gbt_params p;
    int nt;
    int32_t *part;
    int32_t *tmp;
    int64_t *qg, *qh; /* the tree's gradients and Hessians on the fixed-point grid */
    int64_t *og, *oh; /* a node's values of qg, qh gathered in its row order */
    double ug, uh;    /* the grid steps: value = q * ug */
    int64_t n_total;  /* training rows over every rank */
    int dist;         /* 1: histograms are added across the ranks (crmkit/dist.h) */
    tnode *nodes;
    int32_t n_nodes, cap_nodes;
    hbin **pool;
    int32_t n_pool, cap_pool;
    split *fbest;
};

crm_status crm__gbt_grower_new(const crm__gbt_binned *b,
                               const crm__gbt_mapper *m,
                               const crm_gbt_params *p,
                               int nt,
                               crm__gbt_grower **out,
                               crm_error *err)
{
    crm__gbt_grower *gr = crm_calloc(1, sizeof *gr);
    size_t n = (size_t)(b->n > 0 ? b->n : 1);
    *out = NULL;
    if (gr == NULL) {
        return crm__error_nomem(err);
    }
    gr->b = b;
    gr->m = m;
    gr->p = *p;
    gr->nt = nt;
    size_t nf = (size_t)(b->nf > 0 ? b->nf : 1);
    /* the per-row and per-feature arrays in one block that og heads: og, oh, qg, qh (int64),
     * fbest, then part and tmp (int32) */
    gr->og = crm_malloc(n * 4 * sizeof(int64_t) + nf * sizeof(split) + n * 2 * sizeof(int32_t));
    if (gr->og != NULL) {
        gr->oh = gr->og + n;
        gr->qg = gr->oh + n;
        gr->qh = gr->qg + n;
        gr->fbest = (split *)(void *)(gr->qh + n);
        gr->part = (int32_t *)(void *)(gr->fbest + nf);
        gr->tmp = gr->part + n;
    }
    gr->n_total = b->n;
    gr->cap_nodes = 64;
    gr->nodes = crm_mallocarray((size_t)gr->cap_nodes, sizeof(tnode));
    gr->cap_pool = 64;
    gr->pool = crm_mallocarray((size_t)gr->cap_pool, sizeof(hbin *));
    if (gr->og == NULL || gr->nodes == NULL || gr->pool == NULL) {
        crm__gbt_grower_free(gr);
        return crm__error_nomem(err);
    }
    *out = gr;
    return CRM_OK;
}

void crm__gbt_grower_free(crm__gbt_grower *gr)
{
    if (gr == NULL) {
        return;
    }
    for (int32_t i = 0; i < gr->n_pool; i++) {
        crm_free(gr->pool[i]);
    }
    crm_free(gr->pool);
    crm_free(gr->og); /* the block of crm__gbt_grower_new */
    crm_free(gr->nodes);
    crm_free(gr);
}

static hbin *hist_get(crm__gbt_grower *gr)
{
    if (gr->n_pool > 0) {
        return gr->pool[--gr->n_pool];
    }
    return crm_mallocarray((size_t)gr->b->nf * CRM__GBT_HIST_BINS, sizeof(hbin));
}

/* Return a histogram to the pool; the pool always has room (see ensure_pool). */
static void hist_put(crm__gbt_grower *gr, hbin *h)
{
    if (h != NULL) {
        gr->pool[gr->n_pool++] = h;
    }
}

/* Room in the pool for every histogram that may exist at once: one per node. */
static int ensure_pool(crm__gbt_grower *gr)
{
    if (gr->n_nodes + 2 <= gr->cap_pool) {
        return 0;
    }
    int32_t cap = gr->cap_pool * 2;
    hbin **p = crm_realloc(gr->pool, (size_t)cap * sizeof *p);
    if (p == NULL) {
        return -1;
    }
    gr->pool = p;
    gr->cap_pool = cap;
    return 0;
}

static int32_t node_new(crm__gbt_grower *gr, int64_t start, int64_t count, int32_t depth)
{
    if (gr->n_nodes == gr->cap_nodes) {
        int32_t cap = gr->cap_nodes * 2;
        tnode *p = crm_realloc(gr->nodes, (size_t)cap * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        gr->nodes = p;
        gr->cap_nodes = cap;
    }
    if (ensure_pool(gr) != 0) {
        return -1;
    }
    tnode *t = gr->nodes + gr->n_nodes;
    memset(t, 0, sizeof *t);
    t->start = start;
    t->count = count;
    t->depth = depth;
    t->left = -1;
    return gr->n_nodes++;
}

static void build_feature(hbin *restrict hf,
                          const uint8_t *restrict col,
                          const int32_t *restrict rows,
                          const int64_t *restrict g,
                          const int64_t *restrict h,
                          int64_t count)
{
    memset(hf, 0, CRM__GBT_HIST_BINS * sizeof *hf);
    if (rows == NULL) {
        for (int64_t i = 0; i < count; i++) {
            hbin *e = hf + col[i];
            e->g += g[i];
            e->h += h[i];
            e->n++;
        }
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        hbin *e = hf + col[rows[i]];
        e->g += g[i];
        e->h += h[i];
        e->n++;
    }
}

/* Histogram of node t from its rows, added over the ranks when the fit is distributed. The
 * root (all rows, in order) needs no gather. Returns -1 when out of memory, -2 when the
 * reduction failed (err set). */
static int build_hist(crm__gbt_grower *gr, tnode *t, crm_error *err)
{
    const int64_t n = gr->b->n;
    const int32_t *rows = gr->part + t->start;
    const int64_t *g = gr->qg;
    const int64_t *h = gr->qh;
    int root = t->start == 0 && t->count == n;
    t->hist = hist_get(gr);
    if (t->hist == NULL) {
        return -1;
    }
    if (!root) {
        int64_t *og = gr->og;
        int64_t *oh = gr->oh;
        const int64_t count = t->count;
#pragma omp parallel for schedule(static) num_threads(gr->nt) if (count > 65536)
        for (int64_t i = 0; i < count; i++) {
            og[i] = g[rows[i]];
            oh[i] = h[rows[i]];
        }
        g = og;
        h = oh;
    }
    hbin *hist = t->hist;
    const uint8_t *bins = gr->b->bins;
#pragma omp parallel for schedule(dynamic) num_threads(gr->nt)
    for (int32_t f = 0; f < gr->b->nf; f++) {
        build_feature(hist + (int64_t)f * CRM__GBT_HIST_BINS, bins + (int64_t)f * n,
                      root ? NULL : rows, g, h, t->count);
    }
    if (gr->dist &&
        crm_dist_allreduce_i64((int64_t *)(void *)hist, (size_t)gr->b->nf * CRM__GBT_HIST_BINS * 3,
                               CRM_DIST_SUM, err) != CRM_OK) {
        return -2;
    }
    return 0;
}

/* One scan of feature f's thresholds 0..last (bins of hf), the left child starting from
 * left (the missing values' sums, or none) with the missing values on the side given: a
 * threshold that leaves each child min_samples_leaf rows and enough hessian replaces *best
 * when its gain is higher, or with ties_later when it is as high and > 0. */
static void scan_bins(const crm__gbt_grower *gr,
                      const tnode *t,
                      const hbin *hf,
                      int32_t last,
                      hbin left,
                      int32_t missing_left,
                      int ties_later,
                      split *best)
{
    const int64_t msl = gr->p.min_samples_leaf;
    const double lam = gr->p.l2_regularization;
    const double parent = t->sum_g * t->sum_g / (t->sum_h + lam);
    for (int32_t b = 0; b <= last; b++) {
        left.g += hf[b].g;
        left.h += hf[b].h;
        left.n += hf[b].n;
        double hl = (double)left.h * gr->uh;
        double hr = (double)(t->qh - left.h) * gr->uh;
        if (left.n < msl || hl < GBT_MIN_HESSIAN) {
            continue;
        }
        if (t->gcount - left.n < msl || hr < GBT_MIN_HESSIAN) {
            break;
        }
        double gl = (double)left.g * gr->ug;
        double gr_ = (double)(t->qg - left.g) * gr->ug;
        double gain = gl * gl / (hl + lam) + gr_ * gr_ / (hr + lam) - parent;
        if (gain > best->gain || (ties_later && gain > 0 && gain == best->gain)) {
            best->gain = gain;
            best->gl = left.g;
            best->hl = left.h;
            best->nl = left.n;
            best->bin = b;
            best->missing_left = missing_left;
        }
    }
}

/* Best split of feature f for node t; gain 0 means none. Two scans, as scikit-learn does:
 * missing values to the right (every threshold; the last one separates the missing values),
 * then, for a feature with missing values in training, missing values to the left, kept
 * only when strictly better and preferring the highest bin among equals (that scan runs
 * right to left there). Missing values at prediction follow the learned side; for a feature
 * that had none in training, the child with more rows (the right one on a tie). */
static split scan_feature(const crm__gbt_grower *gr, const tnode *t, int32_t f)
{
    const hbin *hf = t->hist + (int64_t)f * CRM__GBT_HIST_BINS;
    const hbin none = { 0, 0, 0 };
    const int32_t nb = gr->m->n_bins[f];
    const int feature_missing = gr->b->has_missing[f];
    split best;
    memset(&best, 0, sizeof best);
    best.feat = f;
    scan_bins(gr, t, hf, nb - 2 + feature_missing, none, 0, 0, &best);
    if (feature_missing) {
        split rtl = best;
        rtl.gain = 0;
        scan_bins(gr, t, hf, nb - 2, hf[CRM__GBT_MISSING_BIN], 1, 1, &rtl);
        if (rtl.gain > best.gain) {
            best = rtl;
        }
    } else if (best.gain > 0) {
        best.missing_left = best.nl > t->gcount - best.nl;
    }
    return best;
}

static void find_split(crm__gbt_grower *gr, tnode *t)
{
    split *fb = gr->fbest;
#pragma omp parallel for schedule(dynamic) num_threads(gr->nt)
    for (int32_t f = 0; f < gr->b->nf; f++) {
        fb[f] = scan_feature(gr, t, f);
    }
    memset(&t->best, 0, sizeof t->best);
    for (int32_t f = 0; f < gr->b->nf; f++) {
        if (fb[f].gain > t->best.gain) {
            t->best = fb[f];
        }
    }
}

static int can_split(const crm__gbt_grower *gr, const tnode *t, int32_t n_leaves)
{
    const crm_gbt_params *p = &gr->p;
    if (t->gcount < 2 * (int64_t)p->min_samples_leaf) {
        return 0;
    }
    if (p->max_depth > 0 && t->depth >= p->max_depth) {
        return 0;
    }
    return p->max_leaf_nodes == 0 || n_leaves < p->max_leaf_nodes;
}

/* Stable partition of t's rows by its best split; returns the left count. */
static int64_t partition(crm__gbt_grower *gr, const tnode *t)
{
    const uint8_t *col = gr->b->bins + (int64_t)t->best.feat * gr->b->n;
    const int32_t bin = t->best.bin;
    const int ml = t->best.missing_left;
    int32_t *r = gr->part + t->start;
    int64_t nl = 0;
    int64_t nr = 0;
    for (int64_t i = 0; i < t->count; i++) {
        int32_t row = r[i];
        uint8_t b = col[row];
        int left = b == CRM__GBT_MISSING_BIN ? ml : b <= bin;
        if (left) {
            r[nl++] = row;
        } else {
            gr->tmp[nr++] = row;
        }
    }
    memcpy(r + nl, gr->tmp, (size_t)nr * sizeof *r);
    return nl;
}

static void hist_subtract(hbin *restrict parent, const hbin *restrict small, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        parent[j].g -= small[j].g;
        parent[j].h -= small[j].h;
        parent[j].n -= small[j].n;
    }
}

/* Node sums as numbers from the fixed-point ones. */
static void node_sums(const crm__gbt_grower *gr, tnode *t)
{
    t->sum_g = (double)t->qg * gr->ug;
    t->sum_h = (double)t->qh * gr->uh;
}

/* Split leaf ti into two children, give them histograms where they may split further and
 * find their best splits. Returns 0, -1 (out of memory) or -2 (reduction failed). */
static int split_leaf(crm__gbt_grower *gr, int32_t ti, int32_t *n_leaves, crm_error *err)
{
    int32_t li = node_new(gr, 0, 0, 0);
    int32_t ri = li >= 0 ? node_new(gr, 0, 0, 0) : -1;
    if (ri < 0) {
        return -1;
    }
    tnode *t = gr->nodes + ti;
    tnode *l = gr->nodes + li;
    tnode *r = gr->nodes + ri;
    int64_t nl = partition(gr, t);
    t->left = li;
    *l = (tnode){ .start = t->start,
                  .count = nl,
                  .gcount = t->best.nl,
                  .qg = t->best.gl,
                  .qh = t->best.hl,
                  .depth = t->depth + 1,
                  .left = -1 };
    *r = (tnode){ .start = t->start + nl,
                  .count = t->count - nl,
                  .gcount = t->gcount - t->best.nl,
                  .qg = t->qg - t->best.gl,
                  .qh = t->qh - t->best.hl,
                  .depth = t->depth + 1,
                  .left = -1 };
    node_sums(gr, l);
    node_sums(gr, r);
    (*n_leaves)++;
    l->can_split = can_split(gr, l, *n_leaves);
    r->can_split = can_split(gr, r, *n_leaves);
    hbin *parent = t->hist;
    t->hist = NULL;
    if (!l->can_split && !r->can_split) {
        hist_put(gr, parent);
        return 0;
    }
    /* by the rows over every rank: each rank must build the same child's histogram */
    tnode *small = l->gcount <= r->gcount ? l : r;
    tnode *large = small == l ? r : l;
    int brc = build_hist(gr, small, err);
    if (brc != 0) {
        hist_put(gr, parent);
        return brc;
    }
    if (large->can_split) {
        hist_subtract(parent, small->hist, (int64_t)gr->b->nf * CRM__GBT_HIST_BINS);
        large->hist = parent;
    } else {
        hist_put(gr, parent);
    }
    if (!small->can_split) {
        hist_put(gr, small->hist);
        small->hist = NULL;
    }
    for (int c = 0; c < 2; c++) {
        tnode *k = c == 0 ? l : r;
        if (k->can_split) {
            find_split(gr, k);
            if (!(k->best.gain > 0)) {
                k->can_split = 0;
                hist_put(gr, k->hist);
                k->hist = NULL;
            }
        }
    }
    return 0;
}

static int32_t best_leaf(const crm__gbt_grower *gr)
{
    int32_t best = -1;
    for (int32_t i = 0; i < gr->n_nodes; i++) {
        const tnode *t = gr->nodes + i;
        if (t->left < 0 && t->can_split && (best < 0 || t->best.gain > gr->nodes[best].best.gain)) {
            best = i;
        }
    }
    return best;
}

static double leaf_value(const crm__gbt_grower *gr, const tnode *t)
{
    return -gr->p.learning_rate * t->sum_g / (t->sum_h + gr->p.l2_regularization + 1e-15);
}

/* Breadth-first copy into the prediction layout, children adjacent. */
static int flatten(const crm__gbt_grower *gr, crm__gbt_node **nodes, int64_t *n_nodes, int64_t *cap)
{
    const int32_t nn = gr->n_nodes;
    if (*n_nodes + nn > *cap) {
        int64_t c = *cap > 0 ? *cap : 1024;
        while (c < *n_nodes + nn) {
            c *= 2;
        }
        crm__gbt_node *p = crm_realloc(*nodes, (size_t)c * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        *nodes = p;
        *cap = c;
    }
    int32_t *order = crm_mallocarray((size_t)nn * 2, sizeof(int32_t));
    if (order == NULL) {
        return -1;
    }
    int32_t *pos = order + nn;
    int32_t next = 1;
    order[0] = 0;
    for (int32_t qi = 0; qi < next; qi++) {
        const tnode *t = gr->nodes + order[qi];
        if (t->left >= 0) {
            pos[qi] = next;
            order[next] = t->left;
            order[next + 1] = t->left + 1;
            next += 2;
        }
    }
    crm__gbt_node *out = *nodes + *n_nodes;
    for (int32_t qi = 0; qi < nn; qi++) {
        const tnode *t = gr->nodes + order[qi];
        if (t->left < 0) {
            double v = leaf_value(gr, t);
            out[qi] = (crm__gbt_node){ .v = v, .feat = -1, .kids = 0 };
            continue;
        }
        int32_t f = t->best.feat;
        double thr = t->best.bin < gr->m->n_bins[f] - 1
                         ? gr->m->thr[(int64_t)f * GBT_MAX_THR + t->best.bin]
                         : HUGE_VAL;
        out[qi] = (crm__gbt_node){ .v = thr,
                                   .feat = f,
                                   .kids = ((uint32_t)pos[qi] << 1) |
                                           (uint32_t)(t->best.missing_left ? 0 : 1) };
    }
    *n_nodes += nn;
    crm_free(order);
    return 0;
}

static void release_all(crm__gbt_grower *gr)
{
    for (int32_t i = 0; i < gr->n_nodes; i++) {
        hist_put(gr, gr->nodes[i].hist);
        gr->nodes[i].hist = NULL;
    }
}

/* Put g[n], h[n] on the fixed-point grid of this tree (see the file header). The grid steps
 * come from the largest |g| and h over every rank's rows, so all ranks use the same grid. */
static crm_status quantize(crm__gbt_grower *gr, const float *g, const float *h, crm_error *err)
{
    const int64_t n = gr->b->n;
    double mx[2] = { 0.0, 0.0 };
    int bits = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = fabs((double)g[i]);
        double b = fabs((double)h[i]);
        mx[0] = a > mx[0] ? a : mx[0];
        mx[1] = b > mx[1] ? b : mx[1];
    }
    if (gr->dist) {
        crm_status rc = crm_dist_allreduce_f64(mx, 2, CRM_DIST_MAX, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    while (bits < 62 && ((int64_t)1 << bits) <= gr->n_total) {
        bits++;
    }
    /* n_total < 2^bits and every |value| < 2^e: |q| <= 2^(62 - bits), sums below 2^62 */
    int sg = 0;
    int sh = 0;
    if (mx[0] > 0) {
        (void)frexp(mx[0], &sg);
        sg = 62 - bits - sg;
    }
    if (mx[1] > 0) {
        (void)frexp(mx[1], &sh);
        sh = 62 - bits - sh;
    }
    gr->ug = ldexp(1.0, -sg);
    gr->uh = ldexp(1.0, -sh);
    int64_t *qg = gr->qg;
    int64_t *qh = gr->qh;
#pragma omp parallel for schedule(static) num_threads(gr->nt) if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
        qg[i] = (int64_t)llrint(ldexp((double)g[i], sg));
        qh[i] = (int64_t)llrint(ldexp((double)h[i], sh));
    }
    return CRM_OK;
}

void crm__gbt_grower_distribute(crm__gbt_grower *gr, int64_t n_total)
{
    gr->dist = 1;
    gr->n_total = n_total;
}

crm_status crm__gbt_grow(crm__gbt_grower *gr,
                         const float *g,
                         const float *h,
                         double *raw,
                         int32_t stride,
                         crm__gbt_node **nodes,
                         int64_t *n_nodes,
                         int64_t *cap,
                         int32_t *n_leaves,
                         double *gain,
                         crm_error *err)
{
    const int64_t n = gr->b->n;
    int32_t leaves = 1;
    int brc = 0;
    crm_status rc = quantize(gr, g, h, err);
    if (rc != CRM_OK) {
        return rc;
    }
    gr->n_nodes = 0;
    for (int64_t i = 0; i < n; i++) {
        gr->part[i] = (int32_t)i;
    }
    int32_t root = node_new(gr, 0, n, 0);
    if (root < 0 || (brc = build_hist(gr, gr->nodes + root, err)) != 0) {
        goto fail;
    }
    tnode *t = gr->nodes + root;
    for (int32_t b = 0; b < CRM__GBT_HIST_BINS; b++) {
        t->qg += t->hist[b].g;
        t->qh += t->hist[b].h;
        t->gcount += t->hist[b].n;
    }
    node_sums(gr, t);
    t->can_split = can_split(gr, t, leaves) && gr->b->nf > 0;
    if (t->can_split) {
        find_split(gr, t);
        t->can_split = t->best.gain > 0;
    }
    for (;;) {
        int32_t bi = best_leaf(gr);
        if (bi < 0 || (gr->p.max_leaf_nodes > 0 && leaves >= gr->p.max_leaf_nodes)) {
            break;
        }
        if ((brc = split_leaf(gr, bi, &leaves, err)) != 0) {
            goto fail;
        }
    }
    release_all(gr);
    if (flatten(gr, nodes, n_nodes, cap) != 0) {
        goto fail;
    }
    for (int32_t i = 0; i < gr->n_nodes; i++) {
        const tnode *lf = gr->nodes + i;
        if (lf->left >= 0) {
            if (gain != NULL) {
                gain[lf->best.feat] += 0.5 * lf->best.gain;
            }
            continue;
        }
        double v = leaf_value(gr, lf);
        const int32_t *rows = gr->part + lf->start;
        for (int64_t k = 0; k < lf->count; k++) {
            raw[(int64_t)rows[k] * stride] += v;
        }
    }
    *n_leaves = leaves;
    return CRM_OK;
fail:
    release_all(gr);
    return brc == -2 ? CRM_EIO : crm__error_nomem(err);
}
