/* mlp_train.c: mini-batch Adam training of the multilayer perceptron.
 *
 * A batch of B rows is cut into ceil(B / cap) blocks of equal size, where cap (at most 256
 * rows) keeps rows x fan_in x fan_out <= 262,144 for every layer: OpenBLAS runs a dgemm that
 * small on the calling thread, so training never wakes BLAS threads (the default 64-32 net:
 * cap 128, a batch of 200 rows is two blocks of 100). The blocks depend on B and the layer
 * sizes only. Each block gathers its rows, runs the forward pass
 * and back-propagation with cblas_dgemm, and writes its own gradient and loss; the blocks of a
 * large batch run in parallel and are summed in block order afterwards, so the result is the
 * same for any number of threads. The update is
 * scikit-learn's: gradient (X^T delta + alpha W) / B, Adam with bias-corrected step
 * lr * sqrt(1 - beta2^t) / (1 - beta1^t). Early stopping keeps the weights of the epoch
 * with the best validation accuracy and stops after n_iter_no_change epochs without an
 * improvement of tol. */
#include <math.h>
#include <string.h>

#include <cblas.h>
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

#define MLP_BLOCK_MAX 256
#define MLP_BLOCK_MIN 16
#define MLP_GEMM_MAX_WORK 262144 /* OpenBLAS threads a dgemm above 65536 * 4 m*n*k */
/* Batches smaller than this run their blocks on one thread: waking a second thread for a
 * few small GEMMs costs more than it saves (and far more on a loaded machine). The blocks
 * and their summation order are the same either way, so the result is too. */
#define MLP_PARALLEL_MIN_ROWS 1024
#define MLP_EVAL_BLOCK 512

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
    double *g;     /* summed gradient (block 0 writes here directly) */
    double *mom1;  /* Adam first moment */
    double *mom2;  /* Adam second moment */
    double *best;  /* weights of the best validation epoch */
    int64_t t;     /* Adam steps */
    int n_threads;
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

static crm_status alloc_ws(trainer *tr, crm_error *err)
{
    const crm_mlp *m = tr->m;
    int32_t maxw = 0;
    for (int32_t l = 0; l <= m->n_layers; l++) {
        maxw = m->sizes[l] > maxw ? m->sizes[l] : maxw;
    }
    tr->ws = crm_calloc((size_t)tr->n_blocks, sizeof *tr->ws);
    if (tr->ws == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t b = 0; b < tr->n_blocks; b++) {
        block_ws *w = &tr->ws[b];
        w->xin = crm_mallocarray((size_t)(tr->blk * m->d), sizeof(double));
        w->delta = crm_mallocarray((size_t)(tr->blk * maxw), sizeof(double));
        w->dprev = crm_mallocarray((size_t)(tr->blk * maxw), sizeof(double));
        w->grad = b == 0 ? tr->g : crm_mallocarray((size_t)m->n_theta, sizeof(double));
        w->acts[0] = crm_mallocarray((size_t)(tr->blk * crm__mlp_act_cells(m)), sizeof(double));
        if (w->xin == NULL || w->delta == NULL || w->dprev == NULL || w->grad == NULL ||
            w->acts[0] == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t l = 1; l < m->n_layers; l++) {
            w->acts[l] = w->acts[l - 1] + tr->blk * m->sizes[l];
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

/* Forward and backward pass of rows idx[0, rows) into w->grad (unscaled sums) and w->loss. */
static void block_pass(const trainer *tr, const int64_t *idx, int64_t rows, block_ws *w)
{
    const crm_mlp *m = tr->m;
    int32_t L = m->n_layers;
    int32_t C = m->n_classes;
    double *delta = w->delta;
    double *dprev = w->dprev;
    const double *p = w->acts[L - 1];
    double loss = 0;
    for (int64_t r = 0; r < rows; r++) {
        memcpy(w->xin + r * m->d, CRM_ROW(tr->x, idx[r]), (size_t)m->d * sizeof(double));
    }
    crm__mlp_forward(m, w->xin, m->d, rows, w->acts);
    for (int64_t r = 0; r < rows; r++) {
        int32_t yr = tr->y[idx[r]];
        double py = p[r * C + yr];
        loss -= log(py > 1e-300 ? py : 1e-300);
        for (int32_t c = 0; c < C; c++) {
            delta[r * C + c] = p[r * C + c] - (c == yr ? 1.0 : 0.0);
        }
    }
    w->loss = loss;
    for (int32_t l = L - 1; l >= 0; l--) {
        int32_t n_in = m->sizes[l];
        int32_t n_out = m->sizes[l + 1];
        const double *in = l == 0 ? w->xin : w->acts[l - 1];
        double *gb = w->grad + m->b_off[l];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_in, n_out, (int)rows, 1.0, in,
                    n_in, delta, n_out, 0.0, w->grad + m->w_off[l], n_out);
        memset(gb, 0, (size_t)n_out * sizeof *gb);
        for (int64_t r = 0; r < rows; r++) {
            for (int32_t j = 0; j < n_out; j++) {
                gb[j] += delta[r * n_out + j];
            }
        }
        if (l > 0) {
            double *t;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, n_in, n_out, 1.0,
                        delta, n_out, m->theta + m->w_off[l], n_out, 0.0, dprev, n_in);
            for (int64_t i = 0; i < rows * n_in; i++) {
                dprev[i] = in[i] > 0 ? dprev[i] : 0.0;
            }
            t = delta;
            delta = dprev;
            dprev = t;
        }
    }
}

/* Adam step of n parameters: gradient (g + alpha w) / bs (alpha = 0 for biases). With SSE2
 * two parameters go through each instruction (the compiler will not vectorise sqrt while it
 * may set errno); every operation is the same correctly rounded one in the same order as the
 * scalar loop, so the bits do not change. */
static void adam_update(double *restrict w, double *restrict m1, double *restrict m2,
                        const double *restrict g, int64_t n, double alpha, double bs,
                        double lr_t, const crm_mlp_params *p)
{
    double b1 = p->beta1;
    double b2 = p->beta2;
    double eps = p->epsilon;
    int64_t i = 0;
#if defined(__SSE2__)
    const __m128d va = _mm_set1_pd(alpha);
    const __m128d vbs = _mm_set1_pd(bs);
    const __m128d vb1 = _mm_set1_pd(b1);
    const __m128d vc1 = _mm_set1_pd(1.0 - b1);
    const __m128d vb2 = _mm_set1_pd(b2);
    const __m128d vc2 = _mm_set1_pd(1.0 - b2);
    const __m128d veps = _mm_set1_pd(eps);
    const __m128d vlr = _mm_set1_pd(lr_t);
    for (; i + 2 <= n; i += 2) {
        __m128d wi = _mm_loadu_pd(w + i);
        __m128d gi = _mm_div_pd(_mm_add_pd(_mm_loadu_pd(g + i), _mm_mul_pd(va, wi)), vbs);
        __m128d a = _mm_add_pd(_mm_mul_pd(vb1, _mm_loadu_pd(m1 + i)), _mm_mul_pd(vc1, gi));
        __m128d v = _mm_add_pd(_mm_mul_pd(vb2, _mm_loadu_pd(m2 + i)),
                               _mm_mul_pd(vc2, _mm_mul_pd(gi, gi)));
        _mm_storeu_pd(m1 + i, a);
        _mm_storeu_pd(m2 + i, v);
        _mm_storeu_pd(w + i, _mm_sub_pd(wi, _mm_div_pd(_mm_mul_pd(vlr, a),
                                                       _mm_add_pd(_mm_sqrt_pd(v), veps))));
    }
#endif
    for (; i < n; i++) {
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

/* One mini-batch over idx[0, bs): gradients, loss, Adam step. Returns the batch loss. */
static double batch_step(trainer *tr, const int64_t *idx, int64_t bs)
{
    crm_mlp *m = tr->m;
    const crm_mlp_params *p = &m->params;
    int32_t nb = (int32_t)((bs + tr->blk - 1) / tr->blk);
    double loss;
    double wsq = 0;
    double lr_t;
    if (nb > 1 && bs >= MLP_PARALLEL_MIN_ROWS) {
#pragma omp parallel for schedule(static) num_threads(tr->n_threads)
        for (int32_t b = 0; b < nb; b++) {
            int64_t r0 = b * tr->blk;
            int64_t rows = bs - r0 < tr->blk ? bs - r0 : tr->blk;
            block_pass(tr, idx + r0, rows, &tr->ws[b]);
        }
    } else {
        for (int32_t b = 0; b < nb; b++) {
            int64_t r0 = b * tr->blk;
            int64_t rows = bs - r0 < tr->blk ? bs - r0 : tr->blk;
            block_pass(tr, idx + r0, rows, &tr->ws[b]);
        }
    }
    loss = tr->ws[0].loss; /* block 0's gradient is already in tr->g */
    for (int32_t b = 1; b < nb; b++) {
        const double *gb = tr->ws[b].grad;
        for (int64_t i = 0; i < m->n_theta; i++) {
            tr->g[i] += gb[i];
        }
        loss += tr->ws[b].loss;
    }
    for (int32_t l = 0; l < m->n_layers; l++) {
        wsq += sum_sq(m->theta + m->w_off[l], (int64_t)m->sizes[l] * m->sizes[l + 1]);
    }
    tr->t++;
    lr_t = p->learning_rate * sqrt(1.0 - pow(p->beta2, (double)tr->t)) /
           (1.0 - pow(p->beta1, (double)tr->t));
    for (int32_t l = 0; l < m->n_layers; l++) {
        int64_t wo = m->w_off[l];
        int64_t bo = m->b_off[l];
        adam_update(m->theta + wo, tr->mom1 + wo, tr->mom2 + wo, tr->g + wo,
                    (int64_t)m->sizes[l] * m->sizes[l + 1], p->alpha, (double)bs, lr_t, p);
        adam_update(m->theta + bo, tr->mom1 + bo, tr->mom2 + bo, tr->g + bo, m->sizes[l + 1],
                    0.0, (double)bs, lr_t, p);
    }
    return loss / (double)bs + 0.5 * p->alpha * wsq / (double)bs;
}

/* Accuracy of the current weights on the validation rows. */
static crm_status val_accuracy(trainer *tr, double *acc, crm_error *err)
{
    int64_t n = tr->xval.n_rows;
    int64_t correct = 0;
    double *proba = crm_mallocarray((size_t)n * (size_t)tr->m->n_classes, sizeof *proba);
    crm_status rc;
    if (proba == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm_mlp_predict_proba(tr->m, &tr->xval, proba, err);
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        correct += crm__mdl_argmax(proba + i * tr->m->n_classes, tr->m->n_classes) == tr->yval[i];
    }
    crm_free(proba);
    *acc = (double)correct / (double)n;
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
        rc = crm__mdl_stratified_holdout(tr->y, n, tr->m->n_classes, p->validation_fraction,
                                         p->seed ^ 0x5bd1e995u, is_val, err);
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
        tr->yval = crm_mallocarray((size_t)n_val, sizeof *tr->yval);
        rc = tr->yval == NULL ? crm__error_nomem(err)
                              : crm__mdl_take_rows(tr->x, tr->y, is_val, 1, &tr->xval, tr->yval,
                                                   err);
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
        int64_t w = (int64_t)m->sizes[l] * m->sizes[l + 1];
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
    crm_matrix_fini(&tr->xval);
}

/* Epochs until the patience runs out; the no-improvement rule is scikit-learn's. */
static crm_status run_epochs(trainer *tr, crm_rng *rng, const crm_progress *progress,
                             crm_error *err)
{
    crm_mlp *m = tr->m;
    const crm_mlp_params *p = &m->params;
    int use_val = tr->xval.n_rows > 0;
    double best_loss = HUGE_VAL;
    double best_val = -HUGE_VAL;
    int32_t no_improve = 0;
    for (int32_t ep = 0; ep < p->max_epochs; ep++) {
        double loss_sum = 0;
        crm_rng_shuffle(rng, tr->idx, tr->n_tr);
        for (int64_t s = 0; s < tr->n_tr; s += tr->batch) {
            int64_t bs = tr->n_tr - s < tr->batch ? tr->n_tr - s : tr->batch;
            loss_sum += batch_step(tr, tr->idx + s, bs) * (double)bs;
        }
        m->loss = loss_sum / (double)tr->n_tr;
        m->n_epochs = ep + 1;
        if (!isfinite(m->loss)) {
            return crm__error_set(err, CRM_EDATA,
                                  "MLP training diverged (loss %g); lower the learning rate",
                                  m->loss);
        }
        if (use_val) {
            double acc = 0;
            crm_status rc = val_accuracy(tr, &acc, err);
            if (rc != CRM_OK) {
                return rc;
            }
            no_improve = acc < best_val + p->tol ? no_improve + 1 : 0;
            if (acc > best_val) {
                best_val = acc;
                memcpy(tr->best, m->theta, (size_t)m->n_theta * sizeof *tr->best);
            }
        } else {
            no_improve = m->loss > best_loss - p->tol ? no_improve + 1 : 0;
            best_loss = m->loss < best_loss ? m->loss : best_loss;
        }
        if (!crm_progress_report(progress, "mlp", (double)(ep + 1) / p->max_epochs)) {
            return crm__error_set(err, CRM_ECANCELLED, "MLP training cancelled");
        }
        if (no_improve > p->n_iter_no_change) {
            break;
        }
    }
    if (use_val) {
        memcpy(m->theta, tr->best, (size_t)m->n_theta * sizeof *tr->best);
        m->best_val = best_val;
    }
    return CRM_OK;
}

crm_status crm_mlp_fit(crm_mlp *m, const crm_matrix *x, const int32_t *y, int32_t n_classes,
                       const crm_progress *progress, crm_error *err)
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
        rc = run_epochs(&tr, &rng, progress, err);
    }
    teardown(&tr);
    if (rc != CRM_OK) {
        crm_free(m->theta);
        m->theta = NULL;
        m->n_classes = 0;
    }
    return rc;
}
