/* mlp_train.c: mini-batch Adam training of the multilayer perceptron.
 *
 * A batch of B rows is cut into ceil(B / cap) blocks of equal size, where cap (at most 256
 * rows) keeps rows x (fan_in + 1) x fan_out <= 262,144 for every layer: OpenBLAS runs a dgemm
 * that small on the calling thread, so training never wakes BLAS threads (the default 64-32
 * net: cap 126, a batch of 200 rows is two blocks of 100). The blocks depend on B and the
 * layer sizes only. Each block gathers its rows, runs the forward pass and back-propagation
 * with cblas_dgemm, and writes its own gradient and loss. One team of threads (at most one
 * per block) lives for the whole fit: each thread passes its blocks, then the blocks are
 * summed in block order and Adam updates the parameters, each thread a fixed share of them;
 * per parameter the operations are the same whatever the split, so the result is the same
 * for any number of threads. The update is scikit-learn's: gradient (X^T delta + alpha W) / B,
 * Adam with bias-corrected step lr * sqrt(1 - beta2^t) / (1 - beta1^t). Early stopping keeps
 * the weights of the epoch with the best validation accuracy and stops after
 * n_iter_no_change epochs without an improvement of tol. */
#include <cblas.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <crmkit/alloc.h>
#include <crmkit/rng.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/core_internal.h"
#include "mlp_net.h"
#include "models_util.h"

#define MLP_BLOCK_MAX     256
#define MLP_BLOCK_MIN     16
#define MLP_GEMM_MAX_WORK 262144 /* OpenBLAS threads a dgemm above 65536 * 4 m*n*k */
#define MLP_EVAL_BLOCK    512

/* Barrier of the training team, two waits a batch. It spins, then yields: a wait lasts a
 * few microseconds, while a sleeping OpenMP barrier (OMP_WAIT_POLICY=passive) costs more
 * than a whole block of work. */
typedef struct team_barrier {
    atomic_int arrived;
    atomic_int phase;
    int n;
} team_barrier;

#define MLP_SPINS 20000
/* Every so many batches thread 0 checks how long it waited for the team. */
#define MLP_CHECK_BATCHES 256

/* Adds the seconds spent waiting to *waited when it is not NULL. */
static void team_wait(team_barrier *b, double *waited)
{
    int phase = atomic_load_explicit(&b->phase, memory_order_acquire);
    double t0;
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == b->n - 1) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->phase, 1, memory_order_release);
        return;
    }
    t0 = waited != NULL ? crm__now_seconds() : 0;
    for (int spins = 0; atomic_load_explicit(&b->phase, memory_order_acquire) == phase;) {
        if (spins < MLP_SPINS) {
            spins++;
#if defined(__SSE2__)
            _mm_pause();
#endif
        } else {
            sched_yield();
        }
    }
    if (waited != NULL) {
        *waited += crm__now_seconds() - t0;
    }
}

/* Scratch of one block: its rows, every layer's output, two delta buffers and a gradient. */
typedef struct block_ws {
    double *xin;
    double *acts[MLP_MAX_LAYERS];
    double *delta;
    double *dprev;
    double *grad; /* block 0: the trainer's g */
    double loss;
} block_ws;

typedef struct trainer {
    crm_mlp *m;
    const crm_matrix *x;
    const int32_t *y;
    int64_t *idx; /* training rows, reshuffled every epoch */
    int64_t n_tr;
    crm_matrix xval;
    int32_t *yval;
    int64_t batch;
    int64_t blk;      /* rows per block */
    int32_t n_blocks; /* blocks in a full batch */
    block_ws *ws;
    double *g;       /* summed gradient (block 0 writes here directly) */
    double *mom1;    /* Adam first moment */
    double *mom2;    /* Adam second moment */
    double *best;    /* weights of the best validation epoch */
    double *proba;   /* validation probabilities */
    double *eval_ws; /* per thread: hidden outputs of one validation block */
    int64_t eval_cells;
    int n_threads; /* team size: at most the blocks of a batch */
    team_barrier bar;
    /* written by thread 0; the others read stop and solo only after a barrier */
    double wsq;    /* sum of squared weights before the step */
    double waited; /* seconds thread 0 waited on the team since window */
    double window;
    int stop;
    int solo; /* the rest of the fit runs on thread 0 alone */
    crm_status rc;
} trainer;

static void init_weights(crm_mlp *m, crm_rng *rng)
{
    for (int32_t l = 0; l < m->n_layers; l++) {
        double bound = sqrt(6.0 / (double)(m->sizes[l] + m->sizes[l + 1]));
        int64_t nw = (int64_t)m->sizes[l] * m->sizes[l + 1];
        double *w = m->theta + m->w_off[l];
        double *b = m->theta + m->b_off[l];
        for (int64_t i = 0; i < nw; i++) {
            w[i] = (2.0 * crm_rng_uniform(rng) - 1.0) * bound;
        }
        for (int32_t i = 0; i < m->sizes[l + 1]; i++) {
            b[i] = (2.0 * crm_rng_uniform(rng) - 1.0) * bound;
        }
    }
}

/* Rows of a block carry a trailing 1 after the inputs and after each hidden layer's outputs:
 * b_l follows W_l in theta, so [A | 1] x [W_l; b_l] adds the bias inside the forward product
 * and [A | 1]^T delta writes the weight and bias gradients in one backward product. */
static void fill_ones(double *a, int64_t rows, int64_t ld)
{
    for (int64_t r = 0; r < rows; r++) {
        a[r * ld + ld - 1] = 1.0;
    }
}

static crm_status alloc_ws(trainer *tr, crm_error *err)
{
    const crm_mlp *m = tr->m;
    int32_t L = m->n_layers;
    int32_t maxw = 0;
    int64_t cells = m->n_classes;
    for (int32_t l = 0; l <= L; l++) {
        maxw = m->sizes[l] > maxw ? m->sizes[l] : maxw;
    }
    for (int32_t l = 1; l < L; l++) {
        cells += m->sizes[l] + 1;
    }
    tr->ws = crm_calloc((size_t)tr->n_blocks, sizeof *tr->ws);
    if (tr->ws == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t b = 0; b < tr->n_blocks; b++) {
        block_ws *w = &tr->ws[b];
        w->xin = crm_mallocarray((size_t)(tr->blk * (m->d + 1)), sizeof(double));
        w->delta = crm_mallocarray((size_t)(tr->blk * maxw), sizeof(double));
        w->dprev = crm_mallocarray((size_t)(tr->blk * maxw), sizeof(double));
        w->grad = b == 0 ? tr->g : crm_mallocarray((size_t)m->n_theta, sizeof(double));
        w->acts[0] = crm_mallocarray((size_t)(tr->blk * cells), sizeof(double));
        if (w->xin == NULL || w->delta == NULL || w->dprev == NULL || w->grad == NULL ||
            w->acts[0] == NULL) {
            return crm__error_nomem(err);
        }
        fill_ones(w->xin, tr->blk, m->d + 1);
        for (int32_t l = 1; l < L; l++) {
            fill_ones(w->acts[l - 1], tr->blk, m->sizes[l] + 1);
            w->acts[l] = w->acts[l - 1] + tr->blk * (m->sizes[l] + 1);
        }
    }
    return CRM_OK;
}

static void free_ws(trainer *tr)
{
    for (int32_t b = 0; tr->ws != NULL && b < tr->n_blocks; b++) {
        crm_free(tr->ws[b].xin);
        crm_free(tr->ws[b].delta);
        crm_free(tr->ws[b].dprev);
        if (b > 0) {
            crm_free(tr->ws[b].grad);
        }
        crm_free(tr->ws[b].acts[0]);
    }
    crm_free(tr->ws);
    tr->ws = NULL;
}

/* d[j] = a[j] > 0 ? d[j] : 0, written so that it compiles to vector selects (a branch per
 * unit mispredicts on half of them). d and a may be the same row. */
CRM__CLONES static void relu_mask(double *d, const double *a, int32_t n)
{
    for (int32_t j = 0; j < n; j++) {
        double v = d[j];
        d[j] = a[j] > 0 ? v : 0.0;
    }
}

/* Forward and backward pass of rows idx[0, rows) into w->grad (unscaled sums) and w->loss. */
static void block_pass(const trainer *tr, const int64_t *idx, int64_t rows, block_ws *w)
{
    const crm_mlp *m = tr->m;
    int32_t L = m->n_layers;
    int32_t C = m->n_classes;
    double *delta = w->delta;
    double *dprev = w->dprev;
    const double *in = w->xin;
    const double *z;
    double loss = 0;
    for (int64_t r = 0; r < rows; r++) {
        memcpy(w->xin + r * (m->d + 1), CRM_ROW(tr->x, idx[r]), (size_t)m->d * sizeof(double));
    }
    for (int32_t l = 0; l < L; l++) {
        int32_t n_in = m->sizes[l];
        int32_t n_out = m->sizes[l + 1];
        int32_t ld = l + 1 < L ? n_out + 1 : n_out;
        double *out = w->acts[l];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, n_out, n_in + 1, 1.0, in,
                    n_in + 1, m->theta + m->w_off[l], n_out, 0.0, out, ld);
        for (int64_t r = 0; l + 1 < L && r < rows; r++) {
            relu_mask(out + r * ld, out + r * ld, n_out);
        }
        in = out;
    }
    z = w->acts[L - 1];
    for (int64_t r = 0; r < rows; r++) { /* softmax, loss and output delta in one pass */
        const double *zr = z + r * C;
        double *dr = delta + r * C;
        int32_t yr = tr->y[idx[r]];
        double py;
        memcpy(dr, zr, (size_t)C * sizeof *dr);
        crm__mdl_softmax(dr, C, NULL);
        py = dr[yr];
        loss -= log(py > 1e-300 ? py : 1e-300);
        dr[yr] -= 1.0;
    }
    w->loss = loss;
    for (int32_t l = L - 1; l >= 0; l--) {
        int32_t n_in = m->sizes[l];
        int32_t n_out = m->sizes[l + 1];
        in = l == 0 ? w->xin : w->acts[l - 1];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_in + 1, n_out, (int)rows, 1.0, in,
                    n_in + 1, delta, n_out, 0.0, w->grad + m->w_off[l], n_out);
        if (l > 0) {
            double *t;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, n_in, n_out, 1.0, delta,
                        n_out, m->theta + m->w_off[l], n_out, 0.0, dprev, n_in);
            for (int64_t r = 0; r < rows; r++) {
                relu_mask(dprev + r * n_in, in + r * (n_in + 1), n_in);
            }
            t = delta;
            delta = dprev;
            dprev = t;
        }
    }
}

/* Adam step of n parameters: gradient (g + alpha w) / bs (alpha = 0 for biases). This file is
 * compiled with -fno-math-errno, so the compiler vectorises the loop, sqrt included, in each
 * clone (two, four or eight parameters an instruction); every operation is the same correctly
 * rounded one in the same order as one parameter at a time (no contraction into FMA:
 * -ffp-contract=off), so the bits do not depend on the clone or the split. */
CRM__CLONES static void adam_update(double *restrict w,
                                    double *restrict m1,
                                    double *restrict m2,
                                    const double *restrict g,
                                    int64_t n,
                                    double alpha,
                                    double bs,
                                    double lr_t,
                                    const crm_mlp_params *p)
{
    double b1 = p->beta1;
    double b2 = p->beta2;
    double eps = p->epsilon;
    for (int64_t i = 0; i < n; i++) {
        double gi = (g[i] + alpha * w[i]) / bs;
        double a = b1 * m1[i] + (1.0 - b1) * gi;
        double v = b2 * m2[i] + (1.0 - b2) * (gi * gi);
        m1[i] = a;
        m2[i] = v;
        w[i] -= lr_t * a / (sqrt(v) + eps);
    }
}

/* Sum of squares of w[n] in four interleaved partial sums (a fixed order). */
static double sum_sq(const double *w, int64_t n)
{
    double s[4] = { 0, 0, 0, 0 };
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s[0] += w[i] * w[i];
        s[1] += w[i + 1] * w[i + 1];
        s[2] += w[i + 2] * w[i + 2];
        s[3] += w[i + 3] * w[i + 3];
    }
    for (; i < n; i++) {
        s[0] += w[i] * w[i];
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Asks for the rows of the next batch while the current one computes: they are scattered
 * over the whole table, and gathering them was the main cost outside the products. */
static void prefetch_rows(const crm_matrix *x, const int64_t *idx, int64_t n)
{
    size_t bytes = (size_t)x->n_cols * sizeof(double);
    for (int64_t i = 0; i < n; i++) {
        const char *row = (const char *)CRM_ROW(x, idx[i]);
        for (size_t o = 0; o < bytes; o += 64) {
            __builtin_prefetch(row + o);
        }
        __builtin_prefetch(row + bytes - 1);
    }
}

CRM__CLONES static void add_into(double *restrict g, const double *restrict a, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        g[i] += a[i];
    }
}

/* Thread tid's share of the step on parameters [lo, hi): adds blocks 1..nb-1 into g in block
 * order, then Adam. Every operation is per parameter, so any split gives the same bits. */
static void update_range(trainer *tr, int64_t lo, int64_t hi, int32_t nb, double bs, double lr_t)
{
    crm_mlp *m = tr->m;
    const crm_mlp_params *p = &m->params;
    for (int32_t b = 1; b < nb; b++) {
        add_into(tr->g + lo, tr->ws[b].grad + lo, hi - lo);
    }
    for (int32_t l = 0; l < m->n_layers; l++) {
        int64_t seg[2][2] = { { m->w_off[l], m->b_off[l] },
                              { m->b_off[l], m->b_off[l] + m->sizes[l + 1] } };
        for (int k = 0; k < 2; k++) {
            int64_t a = seg[k][0] > lo ? seg[k][0] : lo;
            int64_t e = seg[k][1] < hi ? seg[k][1] : hi;
            if (a < e) {
                adam_update(m->theta + a, tr->mom1 + a, tr->mom2 + a, tr->g + a, e - a,
                            k == 0 ? p->alpha : 0.0, bs, lr_t, p);
            }
        }
    }
}

/* Rows of the blocks thread tid runs in the batch at idx[0, bs). */
static void prefetch_blocks(const trainer *tr, const int64_t *idx, int64_t bs, int tid)
{
    for (int64_t r0 = tid * tr->blk; r0 < bs; r0 += tr->n_threads * tr->blk) {
        prefetch_rows(tr->x, idx + r0, bs - r0 < tr->blk ? bs - r0 : tr->blk);
    }
}

/* One mini-batch over idx[0, bs), run by every thread of the team: thread tid passes blocks
 * tid, tid + n_threads, ..., then updates its share of the parameters. Returns the batch
 * loss (meaningful on thread 0). When thread 0 spent over half the time since the last
 * check waiting for the others (they are not getting a core: a loaded machine), one thread
 * would be faster: it sets tr->solo. */
static double batch_step(trainer *tr, const int64_t *idx, int64_t bs, int64_t step, int tid)
{
    crm_mlp *m = tr->m;
    const crm_mlp_params *p = &m->params;
    int32_t nb = (int32_t)((bs + tr->blk - 1) / tr->blk);
    int64_t share = (m->n_theta + tr->n_threads - 1) / tr->n_threads;
    int64_t lo = tid * share < m->n_theta ? tid * share : m->n_theta;
    int64_t hi = lo + share < m->n_theta ? lo + share : m->n_theta;
    double lr_t = p->learning_rate * sqrt(1.0 - pow(p->beta2, (double)step)) /
                  (1.0 - pow(p->beta1, (double)step));
    double loss = 0;
    if (tid == 0) {
        tr->wsq = 0;
        for (int32_t l = 0; l < m->n_layers; l++) {
            tr->wsq += sum_sq(m->theta + m->w_off[l], (int64_t)m->sizes[l] * m->sizes[l + 1]);
        }
    }
    for (int32_t b = tid; b < nb; b += tr->n_threads) {
        int64_t r0 = b * tr->blk;
        block_pass(tr, idx + r0, bs - r0 < tr->blk ? bs - r0 : tr->blk, &tr->ws[b]);
    }
    team_wait(&tr->bar, tid == 0 ? &tr->waited : NULL);
    update_range(tr, lo, hi, nb, (double)bs, lr_t);
    for (int32_t b = 0; tid == 0 && b < nb; b++) {
        loss += tr->ws[b].loss;
    }
    if (tid == 0 && tr->n_threads > 1 && step % MLP_CHECK_BATCHES == 0) {
        double now = crm__now_seconds();
        tr->solo = tr->waited > 0.5 * (now - tr->window);
        tr->waited = 0;
        tr->window = now;
    }
    team_wait(&tr->bar, tid == 0 ? &tr->waited : NULL);
    return tid == 0 ? loss / (double)bs + 0.5 * p->alpha * tr->wsq / (double)bs : 0.0;
}

/* Thread tid's validation blocks of MLP_EVAL_BLOCK rows, as crm_mlp_predict_proba cuts them. */
static void val_proba(trainer *tr, int tid)
{
    const crm_mlp *m = tr->m;
    int64_t n = tr->xval.n_rows;
    double *ws = tr->eval_ws + tid * tr->eval_cells;
    for (int64_t r0 = (int64_t)tid * MLP_EVAL_BLOCK; r0 < n;
         r0 += (int64_t)tr->n_threads * MLP_EVAL_BLOCK) {
        double *acts[MLP_MAX_LAYERS];
        int64_t rows = n - r0 < MLP_EVAL_BLOCK ? n - r0 : MLP_EVAL_BLOCK;
        int64_t off = 0;
        for (int32_t l = 0; l + 1 < m->n_layers; l++) {
            acts[l] = ws + off;
            off += rows * m->sizes[l + 1];
        }
        acts[m->n_layers - 1] = tr->proba + r0 * m->n_classes;
        crm__mlp_forward(m, CRM_ROW(&tr->xval, r0), tr->xval.ld, rows, acts);
    }
}

/* The validation rows (is_val[i] set), n_val of them, into tr->xval and tr->yval. */
static crm_status take_val_rows(trainer *tr, const uint8_t *is_val, int64_t n_val, crm_error *err)
{
    int64_t r = 0;
    crm_status rc;
    tr->yval = crm_mallocarray((size_t)n_val, sizeof *tr->yval);
    rc = tr->yval != NULL ? crm_matrix_init(&tr->xval, n_val, tr->x->n_cols, err)
                          : crm__error_nomem(err);
    for (int64_t i = 0; rc == CRM_OK && i < tr->x->n_rows; i++) {
        if (is_val[i]) {
            memcpy(CRM_ROW(&tr->xval, r), CRM_ROW(tr->x, i),
                   (size_t)tr->x->n_cols * sizeof(double));
            tr->yval[r++] = tr->y[i];
        }
    }
    return rc;
}

/* Validation split (early stopping with at least 2 validation rows) and the shuffled
 * training index. */
static crm_status split_rows(trainer *tr, crm_error *err)
{
    const crm_mlp_params *p = &tr->m->params;
    int64_t n = tr->x->n_rows;
    uint8_t *is_val = crm_calloc((size_t)n, 1);
    crm_status rc = CRM_OK;
    int64_t n_val = 0;
    if (is_val == NULL) {
        return crm__error_nomem(err);
    }
    if (p->early_stopping) {
        const crm__mdl_labels lab = { tr->y, n, tr->m->n_classes, NULL };
        crm_rng rng;
        crm_rng_seed(&rng, p->seed ^ 0x5bd1e995u);
        rc = crm__mdl_stratified_holdout(&lab, p->validation_fraction, &rng, is_val, err);
        for (int64_t i = 0; i < n; i++) {
            n_val += is_val[i];
        }
        if (rc == CRM_OK && n_val < 2) {
            memset(is_val, 0, (size_t)n); /* too few rows: stop on the training loss */
            n_val = 0;
        }
    }
    tr->idx = crm_mallocarray((size_t)n, sizeof *tr->idx);
    if (rc == CRM_OK && tr->idx == NULL) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK && n_val > 0) {
        rc = take_val_rows(tr, is_val, n_val, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        if (!is_val[i]) {
            tr->idx[tr->n_tr++] = i;
        }
    }
    crm_free(is_val);
    return rc;
}

/* Most rows per block: rows x fan_in x fan_out <= MLP_GEMM_MAX_WORK for every layer, within
 * [MLP_BLOCK_MIN, MLP_BLOCK_MAX]. */
static int64_t block_cap(const crm_mlp *m)
{
    int64_t widest = 1;
    int64_t cap;
    for (int32_t l = 0; l < m->n_layers; l++) {
        int64_t w = (int64_t)(m->sizes[l] + 1) * m->sizes[l + 1]; /* with the bias row */
        widest = w > widest ? w : widest;
    }
    cap = MLP_GEMM_MAX_WORK / widest;
    return cap < MLP_BLOCK_MIN ? MLP_BLOCK_MIN : (cap > MLP_BLOCK_MAX ? MLP_BLOCK_MAX : cap);
}

static crm_status setup(trainer *tr, crm_rng *rng, crm_error *err)
{
    crm_mlp *m = tr->m;
    crm_status rc = split_rows(tr, err);
    if (rc != CRM_OK) {
        return rc;
    }
    tr->batch = m->params.batch_size > 0 ? m->params.batch_size : 200;
    tr->batch = tr->batch < tr->n_tr ? tr->batch : tr->n_tr;
    tr->n_blocks = (int32_t)((tr->batch + block_cap(m) - 1) / block_cap(m));
    tr->blk = (tr->batch + tr->n_blocks - 1) / tr->n_blocks;
    m->theta = crm_mallocarray((size_t)m->n_theta, sizeof *m->theta);
    tr->g = crm_mallocarray((size_t)m->n_theta, sizeof *tr->g);
    tr->mom1 = crm_calloc((size_t)m->n_theta, sizeof *tr->mom1);
    tr->mom2 = crm_calloc((size_t)m->n_theta, sizeof *tr->mom2);
    tr->best = crm_mallocarray((size_t)m->n_theta, sizeof *tr->best);
    if (m->theta == NULL || tr->g == NULL || tr->mom1 == NULL || tr->mom2 == NULL ||
        tr->best == NULL) {
        return crm__error_nomem(err);
    }
    tr->n_threads = tr->n_threads < tr->n_blocks ? tr->n_threads : tr->n_blocks;
    tr->eval_cells = (crm__mlp_act_cells(m) - m->n_classes) * MLP_EVAL_BLOCK;
    tr->eval_ws =
        crm_mallocarray((size_t)tr->n_threads * (size_t)(tr->eval_cells + 1), sizeof *tr->eval_ws);
    tr->proba =
        crm_mallocarray((size_t)(tr->xval.n_rows + 1) * (size_t)m->n_classes, sizeof *tr->proba);
    if (tr->eval_ws == NULL || tr->proba == NULL) {
        return crm__error_nomem(err);
    }
    init_weights(m, rng);
    memcpy(tr->best, m->theta, (size_t)m->n_theta * sizeof *tr->best);
    return alloc_ws(tr, err);
}

static void teardown(trainer *tr)
{
    free_ws(tr);
    crm_free(tr->idx);
    crm_free(tr->yval);
    crm_free(tr->g);
    crm_free(tr->mom1);
    crm_free(tr->mom2);
    crm_free(tr->best);
    crm_free(tr->proba);
    crm_free(tr->eval_ws);
    crm_matrix_fini(&tr->xval);
}

/* End of an epoch on thread 0: the stopping rule (scikit-learn's) and the progress report.
 * Sets tr->stop to end training, tr->rc on an error. */
static void end_epoch(trainer *tr,
                      int32_t ep,
                      double loss_sum,
                      double *best_loss,
                      double *best_val,
                      int32_t *no_improve,
                      const crm_progress *progress,
                      crm_error *err)
{
    crm_mlp *m = tr->m;
    const crm_mlp_params *p = &m->params;
    m->loss = loss_sum / (double)tr->n_tr;
    m->n_epochs = ep + 1;
    if (!isfinite(m->loss)) {
        tr->rc = crm__error_set(
            err, CRM_EDATA, "MLP training diverged (loss %g); lower the learning rate", m->loss);
        tr->stop = 1;
        return;
    }
    if (tr->xval.n_rows > 0) {
        int64_t correct = 0;
        double acc;
        for (int64_t i = 0; i < tr->xval.n_rows; i++) {
            correct += crm__mdl_argmax(tr->proba + i * m->n_classes, m->n_classes) == tr->yval[i];
        }
        acc = (double)correct / (double)tr->xval.n_rows;
        *no_improve = acc < *best_val + p->tol ? *no_improve + 1 : 0;
        if (acc > *best_val) {
            *best_val = acc;
            memcpy(tr->best, m->theta, (size_t)m->n_theta * sizeof *tr->best);
        }
    } else {
        *no_improve = m->loss > *best_loss - p->tol ? *no_improve + 1 : 0;
        *best_loss = m->loss < *best_loss ? m->loss : *best_loss;
    }
    if (!crm_progress_report(progress, "mlp", (double)(ep + 1) / p->max_epochs)) {
        tr->rc = crm__error_set(err, CRM_ECANCELLED, "MLP training cancelled");
        tr->stop = 1;
    } else if (*no_improve > p->n_iter_no_change || ep + 1 == p->max_epochs) {
        tr->stop = 1;
    }
}

/* After tr->solo is set the other threads leave and thread 0 goes on alone; the blocks and
 * sums stay the same, so the weights do too. Returns whether thread tid leaves. */
static int leave_team(trainer *tr, int tid)
{
    if (!tr->solo) {
        return 0;
    }
    if (tid != 0) {
        return 1;
    }
    tr->n_threads = 1; /* the others have passed the barrier and read nothing more */
    tr->bar.n = 1;
    return 0;
}

/* Epochs until the patience runs out, run by every thread of the team; thread 0 shuffles,
 * scores and decides. */
static void
run_epochs(trainer *tr, crm_rng *rng, const crm_progress *progress, crm_error *err, int tid)
{
    crm_mlp *m = tr->m;
    double best_loss = HUGE_VAL;
    double best_val = -HUGE_VAL;
    int32_t no_improve = 0;
    int64_t step = 0;
    for (int32_t ep = 0; !tr->stop; ep++) {
        double loss_sum = 0;
        if (tid == 0) {
            crm_rng_shuffle(rng, tr->idx, tr->n_tr);
        }
        team_wait(&tr->bar, tid == 0 ? &tr->waited : NULL);
        prefetch_blocks(tr, tr->idx, tr->batch, tid);
        for (int64_t s = 0; s < tr->n_tr; s += tr->batch) {
            int64_t bs = tr->n_tr - s < tr->batch ? tr->n_tr - s : tr->batch;
            int64_t next = tr->n_tr - s - bs;
            prefetch_blocks(tr, tr->idx + s + bs, next < tr->batch ? next : tr->batch, tid);
            loss_sum += batch_step(tr, tr->idx + s, bs, ++step, tid) * (double)bs;
            if (leave_team(tr, tid)) {
                return;
            }
        }
        if (tr->xval.n_rows > 0) {
            val_proba(tr, tid);
            team_wait(&tr->bar, tid == 0 ? &tr->waited : NULL);
        }
        if (tid == 0) {
            end_epoch(tr, ep, loss_sum, &best_loss, &best_val, &no_improve, progress, err);
        }
        team_wait(&tr->bar, tid == 0 ? &tr->waited : NULL);
    }
    if (tid == 0 && tr->xval.n_rows > 0) {
        memcpy(m->theta, tr->best, (size_t)m->n_theta * sizeof *tr->best);
        m->best_val = best_val;
    }
}

crm_status crm_mlp_fit(crm_mlp *m,
                       const crm_matrix *x,
                       const int32_t *y,
                       int32_t n_classes,
                       const crm_progress *progress,
                       crm_error *err)
{
    trainer tr;
    crm_rng rng;
    crm_status rc;
    if (m == NULL) {
        return crm__error_set(err, CRM_EINVAL, "model is NULL");
    }
    crm_free(m->theta);
    m->theta = NULL;
    m->n_classes = 0;
    m->n_epochs = 0;
    m->best_val = (double)NAN;
    rc = crm__mdl_check_train(x, y, n_classes, 0, err);
    if (rc != CRM_OK) {
        return rc;
    }
    memset(&tr, 0, sizeof tr);
    tr.m = m;
    tr.x = x;
    tr.y = y;
#ifdef _OPENMP
    tr.n_threads = m->params.n_threads > 0 ? m->params.n_threads : omp_get_max_threads();
#else
    tr.n_threads = 1;
#endif
    crm__mlp_layout(m, x->n_cols, n_classes);
    m->n_classes = n_classes; /* predict_proba on the validation rows needs it */
    crm_rng_seed(&rng, m->params.seed);
    rc = setup(&tr, &rng, err);
    if (rc == CRM_OK) {
        /* one team for the whole fit; it never waits on an OpenMP barrier inside */
#pragma omp parallel num_threads(tr.n_threads)
        {
#ifdef _OPENMP
            int tid = omp_get_thread_num();
#pragma omp single
            { /* the team may be smaller than asked */
                tr.n_threads = omp_get_num_threads();
                tr.bar.n = tr.n_threads;
                tr.window = crm__now_seconds();
            }
#else
            int tid = 0;
            tr.bar.n = 1;
#endif
            run_epochs(&tr, &rng, progress, err, tid);
        }
        rc = tr.rc;
    }
    teardown(&tr);
    if (rc != CRM_OK) {
        crm_free(m->theta);
        m->theta = NULL;
        m->n_classes = 0;
    }
    return rc;
}
