/* logreg.c: L2-regularised logistic regression (binary and multinomial) solved to a tight
 * tolerance.
 *
 * Telco tables give a few dozen columns after one-hot encoding and tens of thousands of rows,
 * so the default solver is Newton's method on the full Hessian (d <= 512 coefficients): it
 * reaches machine-precision optima in ~10 iterations, which is what lets the coefficients be
 * compared with scikit-learn's to 1e-6 even with unscaled columns. Wider problems use L-BFGS
 * (Nocedal, "Updating quasi-Newton matrices with limited storage", Math. Comp. 1980).
 *
 * Sums over rows (loss, gradient, Hessian) run over LR_GROUPS fixed row ranges, each summed
 * serially, then reduced in range order: the result is the same for any thread count. The
 * multinomial objective is flat along "add the same constant to every intercept"; Newton adds
 * (1/K) 11^T on the intercept block, which removes that null direction without moving the
 * optimum (the gradient is always orthogonal to it). See docs/algorithms/logreg.md. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/logreg.h>

#include "core/core_internal.h"
#include "models_util.h"

#define LR_GROUPS          16
#define LR_NEWTON_AUTO_MAX 512
#define LR_NEWTON_MAX      2048
#define LR_LBFGS_M         10
#define LR_TAG             "logreg"
#define LR_FORMAT          1

struct crm_logreg {
    crm_logreg_params p;
    int32_t fitted;
    int32_t k;  /* classes */
    int32_t nc; /* coefficient rows */
    int32_t nf; /* features */
    double *coef;
    double *intercept;
    int32_t n_iter;
    int32_t converged;
    double objective;
};

/* The problem as the solvers see it. theta holds nc rows of q = nf + fi values each:
 * [w_0 .. w_{nf-1}, b]. */
typedef struct lr_prob {
    const crm_matrix *x;
    const int32_t *y;
    const double *sw;
    int64_t n;
    int32_t nf, nc, q, d, fi;
    double c;
    double wsum; /* C * sum of weights: the scale of the gradient */
    int nt;
    double *part_loss; /* [LR_GROUPS] */
    double *part_grad; /* [LR_GROUPS * d] */
    double *part_hess; /* [LR_GROUPS * d * d] or NULL */
    double *part_z;    /* [LR_GROUPS * nc] */
} lr_prob;

crm_logreg_params crm_logreg_params_default(void)
{
    return (crm_logreg_params){ .c = 1.0,
                                .fit_intercept = 1,
                                .max_iter = 1000,
                                .tol = 1e-10,
                                .solver = CRM_LOGREG_AUTO,
                                .class_weight_balanced = 0,
                                .n_threads = 0 };
}

crm_status crm_logreg_params_check(const crm_logreg_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "logreg: params is NULL");
    }
    if (!(p->c > 0) || !isfinite(p->c)) {
        return crm__error_set(err, CRM_EINVAL, "logreg: C must be a positive number, got %g", p->c);
    }
    if (p->fit_intercept != 0 && p->fit_intercept != 1) {
        return crm__error_set(err, CRM_EINVAL, "logreg: fit_intercept must be 0 or 1");
    }
    if (p->max_iter < 1) {
        return crm__error_set(err, CRM_EINVAL, "logreg: max_iter must be >= 1, got %d",
                              (int)p->max_iter);
    }
    if (!(p->tol >= 0) || !isfinite(p->tol)) {
        return crm__error_set(err, CRM_EINVAL, "logreg: tol must be >= 0, got %g", p->tol);
    }
    if (p->solver < CRM_LOGREG_AUTO || p->solver > CRM_LOGREG_LBFGS) {
        return crm__error_set(err, CRM_EINVAL, "logreg: unknown solver %d", (int)p->solver);
    }
    if (p->class_weight_balanced != 0 && p->class_weight_balanced != 1) {
        return crm__error_set(err, CRM_EINVAL, "logreg: class_weight_balanced must be 0 or 1");
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "logreg: n_threads must be >= 0");
    }
    return CRM_OK;
}

crm_status crm_logreg_new(const crm_logreg_params *p, crm_logreg **out, crm_error *err)
{
    crm_logreg *lr;
    crm_status rc = crm_logreg_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    lr = crm_calloc(1, sizeof *lr);
    if (lr == NULL) {
        return crm__error_nomem(err);
    }
    lr->p = *p;
    *out = lr;
    return CRM_OK;
}

static void clear_fit(crm_logreg *lr)
{
    crm_free(lr->coef);
    crm_free(lr->intercept);
    lr->coef = NULL;
    lr->intercept = NULL;
    lr->fitted = 0;
}

void crm_logreg_free(crm_logreg *lr)
{
    if (lr == NULL) {
        return;
    }
    clear_fit(lr);
    crm_free(lr);
}

/* ---- loss, gradient and Hessian ---- */

/* Lower triangle of h (d x d) += w * xt xt^T over the first q entries, xt = [x, 1]. */
static void hess_rank1(double *restrict h,
                       int32_t d,
                       const double *restrict xr,
                       int32_t nf,
                       int32_t fi,
                       double w,
                       int32_t off)
{
    for (int32_t a = 0; a < nf + fi; a++) {
        double wa = w * (a < nf ? xr[a] : 1.0);
        double *restrict row = h + (int64_t)(off + a) * d + off;
        for (int32_t b = 0; b <= a && b < nf; b++) {
            row[b] += wa * xr[b];
        }
        if (a == nf) {
            row[nf] += wa;
        }
    }
}

static double row_binary(const lr_prob *pb,
                         const double *th,
                         const double *xr,
                         int32_t yi,
                         double s,
                         double *restrict g,
                         double *h)
{
    const int32_t nf = pb->nf;
    double z = pb->fi ? th[nf] : 0.0;
    for (int32_t a = 0; a < nf; a++) {
        z += th[a] * xr[a];
    }
    double pr = crm__mdl_sigmoid(z);
    double r = s * (pr - (double)yi);
    for (int32_t a = 0; a < nf; a++) {
        g[a] += r * xr[a];
    }
    if (pb->fi) {
        g[nf] += r;
    }
    if (h != NULL) {
        hess_rank1(h, pb->d, xr, nf, pb->fi, s * pr * (1.0 - pr), 0);
    }
    return s * (crm__mdl_log1pexp(z) - (yi ? z : 0.0));
}

static double row_multi(const lr_prob *pb,
                        const double *th,
                        const double *xr,
                        int32_t yi,
                        double s,
                        double *restrict g,
                        double *h,
                        double *restrict z)
{
    const int32_t nf = pb->nf;
    const int32_t q = pb->q;
    const int32_t k = pb->nc;
    double zmax = -INFINITY;
    double sum = 0;
    for (int32_t c = 0; c < k; c++) {
        const double *w = th + (int64_t)c * q;
        double v = pb->fi ? w[nf] : 0.0;
        for (int32_t a = 0; a < nf; a++) {
            v += w[a] * xr[a];
        }
        z[c] = v;
        zmax = v > zmax ? v : zmax;
    }
    for (int32_t c = 0; c < k; c++) {
        sum += exp(z[c] - zmax);
    }
    double lse = zmax + log(sum); /* sum >= 1 */ // cppcheck-suppress invalidFunctionArg
    double loss = s * (lse - z[yi]);
    for (int32_t c = 0; c < k; c++) {
        z[c] = exp(z[c] - lse); /* now the probability */
        double r = s * (z[c] - (c == yi ? 1.0 : 0.0));
        double *gc = g + (int64_t)c * q;
        for (int32_t a = 0; a < nf; a++) {
            gc[a] += r * xr[a];
        }
        if (pb->fi) {
            gc[nf] += r;
        }
    }
    if (h == NULL) {
        return loss;
    }
    /* Block (c, l), l <= c, of the Hessian: s p_c (delta_cl - p_l) xt xt^T. */
    for (int32_t c = 0; c < k; c++) {
        for (int32_t l = 0; l <= c; l++) {
            double wcl = s * z[c] * ((c == l ? 1.0 : 0.0) - z[l]);
            for (int32_t a = 0; a < q; a++) {
                double wa = wcl * (a < nf ? xr[a] : 1.0);
                double *restrict row = h + (int64_t)(c * q + a) * pb->d + (int64_t)l * q;
                int32_t bmax = (l == c) ? a : q - 1;
                for (int32_t b = 0; b <= bmax; b++) {
                    row[b] += wa * (b < nf ? xr[b] : 1.0);
                }
            }
        }
    }
    return loss;
}

static void eval_group(lr_prob *pb, const double *th, int gi, int want_grad, int want_hess)
{
    const int32_t d = pb->d;
    int64_t lo = pb->n * gi / LR_GROUPS;
    int64_t hi = pb->n * (gi + 1) / LR_GROUPS;
    double *g = pb->part_grad + (int64_t)gi * d;
    double *h = want_hess ? pb->part_hess + (int64_t)gi * d * d : NULL;
    double *z = pb->part_z + (int64_t)gi * pb->nc;
    double loss = 0;
    memset(g, 0, (size_t)d * sizeof *g);
    if (h != NULL) {
        memset(h, 0, (size_t)d * (size_t)d * sizeof *h);
    }
    (void)want_grad;
    for (int64_t i = lo; i < hi; i++) {
        const double *xr = CRM_ROW(pb->x, i);
        double s = pb->sw[i];
        if (s == 0) {
            continue;
        }
        if (pb->nc == 1) {
            loss += row_binary(pb, th, xr, pb->y[i], s, g, h);
        } else {
            loss += row_multi(pb, th, xr, pb->y[i], s, g, h, z);
        }
    }
    pb->part_loss[gi] = loss;
}

/* Objective at th; grad[d] always; hess[d * d] (full, symmetric) when not NULL. */
static double lr_eval(lr_prob *pb, const double *th, double *grad, double *hess)
{
    const int32_t d = pb->d;
    const int want_hess = hess != NULL;
    double loss = 0;
    double pen = 0;
#pragma omp parallel for schedule(static) num_threads(pb->nt)
    for (int gi = 0; gi < LR_GROUPS; gi++) {
        eval_group(pb, th, gi, 1, want_hess);
    }
    memset(grad, 0, (size_t)d * sizeof *grad);
    for (int gi = 0; gi < LR_GROUPS; gi++) {
        const double *g = pb->part_grad + (int64_t)gi * d;
        loss += pb->part_loss[gi];
        for (int32_t j = 0; j < d; j++) {
            grad[j] += g[j];
        }
    }
    for (int32_t j = 0; j < d; j++) {
        int penalised = !(pb->fi && j % pb->q == pb->nf);
        grad[j] *= pb->c;
        if (penalised) {
            grad[j] += th[j];
            pen += th[j] * th[j];
        }
    }
    if (hess != NULL) {
        memset(hess, 0, (size_t)d * (size_t)d * sizeof *hess);
        for (int gi = 0; gi < LR_GROUPS; gi++) {
            const double *h = pb->part_hess + (int64_t)gi * d * d;
            for (int32_t a = 0; a < d; a++) {
                for (int32_t b = 0; b <= a; b++) {
                    hess[(int64_t)a * d + b] += h[(int64_t)a * d + b];
                }
            }
        }
        for (int32_t a = 0; a < d; a++) {
            for (int32_t b = 0; b <= a; b++) {
                double v = pb->c * hess[(int64_t)a * d + b];
                if (a == b && !(pb->fi && a % pb->q == pb->nf)) {
                    v += 1.0;
                }
                hess[(int64_t)a * d + b] = v;
                hess[(int64_t)b * d + a] = v;
            }
        }
        if (pb->nc > 1 && pb->fi) {
            double scale = pb->wsum / pb->nc;
            for (int32_t c = 0; c < pb->nc; c++) {
                for (int32_t l = 0; l < pb->nc; l++) {
                    hess[(int64_t)(c * pb->q + pb->nf) * d + l * pb->q + pb->nf] += scale;
                }
            }
        }
    }
    return 0.5 * pen + pb->c * loss;
}

static double max_abs(const double *v, int32_t n)
{
    double m = 0;
    for (int32_t i = 0; i < n; i++) {
        double a = fabs(v[i]);
        m = a > m ? a : m;
    }
    return m;
}

static double dot(const double *a, const double *b, int32_t n)
{
    double s = 0;
    for (int32_t i = 0; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

/* ---- Newton ---- */

/* In-place Cholesky of the symmetric positive definite a (lower triangle used and written).
 * Returns 0, or -1 when a is not numerically positive definite. */
static int cholesky(double *a, int32_t d)
{
    for (int32_t j = 0; j < d; j++) {
        double *rj = a + (int64_t)j * d;
        double s = rj[j] - dot(rj, rj, j);
        if (!(s > 0)) {
            return -1;
        }
        rj[j] = sqrt(s);
        for (int32_t i = j + 1; i < d; i++) {
            double *ri = a + (int64_t)i * d;
            ri[j] = (ri[j] - dot(ri, rj, j)) / rj[j];
        }
    }
    return 0;
}

static void chol_solve(const double *l, int32_t d, double *b)
{
    for (int32_t i = 0; i < d; i++) {
        const double *ri = l + (int64_t)i * d;
        b[i] = (b[i] - dot(ri, b, i)) / ri[i];
    }
    for (int32_t i = d - 1; i >= 0; i--) {
        double s = b[i];
        for (int32_t j = i + 1; j < d; j++) {
            s -= l[(int64_t)j * d + i] * b[j];
        }
        b[i] = s / l[(int64_t)i * d + i];
    }
}

/* Newton direction -H^-1 g into dir; a growing ridge rescues a Hessian that rounding made
 * indefinite. work[d * d]. */
static void newton_dir(const double *hess, const double *grad, int32_t d, double *work, double *dir)
{
    double diag = 0;
    for (int32_t j = 0; j < d; j++) {
        double v = hess[(int64_t)j * d + j];
        diag = v > diag ? v : diag;
    }
    for (double ridge = 0; ridge < 1e300; ridge = ridge == 0 ? 1e-12 * diag : ridge * 100) {
        memcpy(work, hess, (size_t)d * (size_t)d * sizeof *work);
        for (int32_t j = 0; j < d; j++) {
            work[(int64_t)j * d + j] += ridge;
        }
        if (cholesky(work, d) == 0) {
            for (int32_t j = 0; j < d; j++) {
                dir[j] = -grad[j];
            }
            chol_solve(work, d, dir);
            return;
        }
    }
    for (int32_t j = 0; j < d; j++) {
        dir[j] = -grad[j];
    }
}

typedef struct lr_state {
    double *th, *grad, *dir, *trial, *tgrad;
    double f;
    int32_t iter;
    int32_t converged;
} lr_state;

/* Backtracking (Armijo) along dir from st->th; the accepted point goes to st->trial with its
 * value in *f_new (and gradient in st->tgrad when grad_at_trial). Returns 1 if a step was
 * accepted. A direction whose predicted decrease is at rounding level is taken whole: near
 * the optimum f no longer resolves it. */
static int line_search(lr_prob *pb, lr_state *st, int grad_at_trial, double *f_new)
{
    const int32_t d = pb->d;
    double gd = dot(st->grad, st->dir, d);
    double t = 1.0;
    int tiny = fabs(gd) <= 1e-13 * (1.0 + fabs(st->f));
    for (int tries = 0; tries < 60; tries++) {
        for (int32_t j = 0; j < d; j++) {
            st->trial[j] = st->th[j] + t * st->dir[j];
        }
        double fn = lr_eval(pb, st->trial, st->tgrad, NULL);
        if (isfinite(fn) && (tiny || fn <= st->f + 1e-4 * t * gd)) {
            *f_new = fn;
            return 1;
        }
        t *= 0.5;
    }
    (void)grad_at_trial;
    return 0;
}

static crm_status solve_newton(lr_prob *pb,
                               lr_state *st,
                               const crm_logreg_params *p,
                               const crm_progress *progress,
                               crm_error *err)
{
    const int32_t d = pb->d;
    crm_status rc = CRM_OK;
    double *hess = crm_mallocarray((size_t)d * (size_t)d, sizeof(double));
    double *work = crm_mallocarray((size_t)d * (size_t)d, sizeof(double));
    if (hess == NULL || work == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (st->iter = 0; st->iter < p->max_iter; st->iter++) {
        double f_new;
        st->f = lr_eval(pb, st->th, st->grad, hess);
        if (max_abs(st->grad, d) <= p->tol * pb->wsum) {
            st->converged = 1;
            break;
        }
        if (!crm_progress_report(progress, "logreg", (double)st->iter / p->max_iter)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "logreg: cancelled");
            goto done;
        }
        newton_dir(hess, st->grad, d, work, st->dir);
        if (dot(st->grad, st->dir, d) >= 0) {
            for (int32_t j = 0; j < d; j++) {
                st->dir[j] = -st->grad[j];
            }
        }
        if (!line_search(pb, st, 0, &f_new)) {
            break;
        }
        memcpy(st->th, st->trial, (size_t)d * sizeof *st->th);
    }
    st->f = lr_eval(pb, st->th, st->grad, NULL);
    st->converged = max_abs(st->grad, d) <= p->tol * pb->wsum;
done:
    crm_free(hess);
    crm_free(work);
    return rc;
}

/* ---- L-BFGS ---- */

static void lbfgs_dir(const double *grad,
                      int32_t d,
                      const double *s,
                      const double *y,
                      const double *rho,
                      int32_t n_pairs,
                      int32_t newest,
                      double *alpha,
                      double *dir)
{
    for (int32_t j = 0; j < d; j++) {
        dir[j] = grad[j];
    }
    for (int32_t m = 0; m < n_pairs; m++) {
        int32_t i = (newest - m + LR_LBFGS_M) % LR_LBFGS_M;
        alpha[i] = rho[i] * dot(s + (int64_t)i * d, dir, d);
        for (int32_t j = 0; j < d; j++) {
            dir[j] -= alpha[i] * y[(int64_t)i * d + j];
        }
    }
    double gamma = 1.0 / (max_abs(grad, d) + 1e-300);
    if (n_pairs > 0) {
        const double *yn = y + (int64_t)newest * d;
        gamma = 1.0 / (rho[newest] * dot(yn, yn, d));
    }
    for (int32_t j = 0; j < d; j++) {
        dir[j] *= gamma;
    }
    for (int32_t m = n_pairs - 1; m >= 0; m--) {
        int32_t i = (newest - m + LR_LBFGS_M) % LR_LBFGS_M;
        double beta = rho[i] * dot(y + (int64_t)i * d, dir, d);
        for (int32_t j = 0; j < d; j++) {
            dir[j] += (alpha[i] - beta) * s[(int64_t)i * d + j];
        }
    }
    for (int32_t j = 0; j < d; j++) {
        dir[j] = -dir[j];
    }
}

static crm_status solve_lbfgs(lr_prob *pb,
                              lr_state *st,
                              const crm_logreg_params *p,
                              const crm_progress *progress,
                              crm_error *err)
{
    const int32_t d = pb->d;
    crm_status rc = CRM_OK;
    int32_t n_pairs = 0;
    int32_t newest = LR_LBFGS_M - 1;
    double *s = crm_mallocarray((size_t)LR_LBFGS_M * (size_t)d, sizeof(double));
    double *y = crm_mallocarray((size_t)LR_LBFGS_M * (size_t)d, sizeof(double));
    double rho[LR_LBFGS_M];
    double alpha[LR_LBFGS_M];
    if (s == NULL || y == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    st->f = lr_eval(pb, st->th, st->grad, NULL);
    for (st->iter = 0; st->iter < p->max_iter; st->iter++) {
        double f_new;
        if (max_abs(st->grad, d) <= p->tol * pb->wsum) {
            break;
        }
        if (!crm_progress_report(progress, "logreg", (double)st->iter / p->max_iter)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "logreg: cancelled");
            goto done;
        }
        lbfgs_dir(st->grad, d, s, y, rho, n_pairs, newest, alpha, st->dir);
        if (dot(st->grad, st->dir, d) >= 0) {
            n_pairs = 0;
            lbfgs_dir(st->grad, d, s, y, rho, 0, newest, alpha, st->dir);
        }
        if (!line_search(pb, st, 1, &f_new)) {
            break;
        }
        int32_t slot = (newest + 1) % LR_LBFGS_M;
        double *sn = s + (int64_t)slot * d;
        double *yn = y + (int64_t)slot * d;
        for (int32_t j = 0; j < d; j++) {
            sn[j] = st->trial[j] - st->th[j];
            yn[j] = st->tgrad[j] - st->grad[j];
        }
        double sy = dot(sn, yn, d);
        if (sy > 1e-300) {
            rho[slot] = 1.0 / sy;
            newest = slot;
            n_pairs = n_pairs < LR_LBFGS_M ? n_pairs + 1 : LR_LBFGS_M;
        }
        memcpy(st->th, st->trial, (size_t)d * sizeof *st->th);
        memcpy(st->grad, st->tgrad, (size_t)d * sizeof *st->grad);
        st->f = f_new;
    }
    st->converged = max_abs(st->grad, d) <= p->tol * pb->wsum;
done:
    crm_free(s);
    crm_free(y);
    return rc;
}

/* ---- fit ---- */

/* The training rows checked, and the weight of each row into *w. */
static crm_status check_fit_input(const crm_logreg *lr,
                                  const crm_matrix *x,
                                  const int32_t *y,
                                  int32_t n_classes,
                                  const double *sw,
                                  double **w,
                                  crm_error *err)
{
    crm_status rc;
    if (n_classes < 2) {
        return crm__error_set(err, CRM_EINVAL, "logreg: n_classes must be >= 2, got %d",
                              (int)n_classes);
    }
    if (x->n_rows < 1 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA, "logreg: no training rows or no features");
    }
    if (x->n_cols > 1000000) {
        return crm__error_set(err, CRM_ELIMIT, "logreg: %lld features is too many",
                              (long long)x->n_cols);
    }
    const crm__mdl_labels lab = { y, x->n_rows, n_classes, sw };
    rc = crm__mdl_train_weights("logreg", &lab, lr->p.class_weight_balanced, w, err);
    return rc == CRM_OK ? crm_matrix_check_finite(x, err) : rc;
}

/* The per-group partial sums in one zeroed block that part_loss heads: part_loss, part_grad,
 * part_z, then part_hess when the Newton solver wants it. */
static crm_status alloc_prob(lr_prob *pb, int want_hess, crm_error *err)
{
    const size_t d = (size_t)pb->d;
    pb->part_loss = crm_calloc(
        (size_t)LR_GROUPS * (1 + d + (size_t)pb->nc + (want_hess ? d * d : 0)), sizeof(double));
    if (pb->part_loss == NULL) {
        return crm__error_nomem(err);
    }
    pb->part_grad = pb->part_loss + LR_GROUPS;
    pb->part_z = pb->part_grad + LR_GROUPS * d;
    pb->part_hess = want_hess ? pb->part_z + LR_GROUPS * (size_t)pb->nc : NULL;
    return CRM_OK;
}

/* Copy theta into the model's coefficient arrays; multinomial intercepts are centred. */
static crm_status
store_fit(crm_logreg *lr, const lr_prob *pb, const lr_state *st, int32_t n_classes, crm_error *err)
{
    double mean = 0;
    clear_fit(lr);
    lr->coef = crm_mallocarray((size_t)pb->nc * (size_t)pb->nf, sizeof(double));
    lr->intercept = crm_calloc((size_t)pb->nc, sizeof(double));
    if (lr->coef == NULL || lr->intercept == NULL) {
        clear_fit(lr);
        return crm__error_nomem(err);
    }
    for (int32_t c = 0; c < pb->nc; c++) {
        memcpy(lr->coef + (int64_t)c * pb->nf, st->th + (int64_t)c * pb->q,
               (size_t)pb->nf * sizeof(double));
        lr->intercept[c] = pb->fi ? st->th[(int64_t)c * pb->q + pb->nf] : 0.0;
        mean += lr->intercept[c];
    }
    if (pb->nc > 1 && pb->fi) {
        mean /= pb->nc;
        for (int32_t c = 0; c < pb->nc; c++) {
            lr->intercept[c] -= mean;
        }
    }
    lr->k = n_classes;
    lr->nc = pb->nc;
    lr->nf = pb->nf;
    lr->n_iter = st->iter;
    lr->converged = st->converged;
    lr->objective = st->f;
    lr->fitted = 1;
    return CRM_OK;
}

crm_status crm_logreg_fit(crm_logreg *lr,
                          const crm_matrix *x,
                          const int32_t *y,
                          int32_t n_classes,
                          const double *sample_weight,
                          const crm_progress *progress,
                          crm_error *err)
{
    lr_prob pb;
    lr_state st;
    crm_status rc;
    double *w = NULL;
    int use_newton;
    memset(&pb, 0, sizeof pb);
    memset(&st, 0, sizeof st);
    if (lr == NULL || x == NULL || y == NULL) {
        return crm__error_set(err, CRM_EINVAL, "logreg: NULL argument");
    }
    rc = check_fit_input(lr, x, y, n_classes, sample_weight, &w, err);
    if (rc != CRM_OK) {
        goto done;
    }
    pb.x = x;
    pb.y = y;
    pb.sw = w;
    pb.n = x->n_rows;
    pb.nf = (int32_t)x->n_cols;
    pb.fi = lr->p.fit_intercept;
    pb.q = pb.nf + pb.fi;
    pb.nc = n_classes == 2 ? 1 : n_classes;
    pb.d = pb.nc * pb.q;
    pb.c = lr->p.c;
    pb.nt = crm__n_threads(lr->p.n_threads);
    pb.wsum = 0;
    for (int64_t i = 0; i < pb.n; i++) {
        pb.wsum += w[i];
    }
    pb.wsum = pb.wsum > 0 ? pb.wsum * pb.c : 1.0;
    use_newton = lr->p.solver == CRM_LOGREG_NEWTON ||
                 (lr->p.solver == CRM_LOGREG_AUTO && pb.d <= LR_NEWTON_AUTO_MAX);
    if (lr->p.solver == CRM_LOGREG_NEWTON && pb.d > LR_NEWTON_MAX) {
        rc = crm__error_set(err, CRM_EINVAL,
                            "logreg: %d coefficients is too many for the "
                            "Newton solver (at most %d); use L-BFGS",
                            (int)pb.d, LR_NEWTON_MAX);
        goto done;
    }
    rc = alloc_prob(&pb, use_newton, err);
    if (rc != CRM_OK) {
        goto done;
    }
    /* the solver's vectors in one zeroed block that th heads */
    st.th = crm_calloc((size_t)pb.d * 5, sizeof(double));
    if (st.th == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    st.grad = st.th + pb.d;
    st.dir = st.grad + pb.d;
    st.trial = st.dir + pb.d;
    st.tgrad = st.trial + pb.d;
    rc = use_newton ? solve_newton(&pb, &st, &lr->p, progress, err)
                    : solve_lbfgs(&pb, &st, &lr->p, progress, err);
    if (rc != CRM_OK) {
        goto done;
    }
    rc = store_fit(lr, &pb, &st, n_classes, err);
done:
    crm_free(pb.part_loss);
    crm_free(st.th);
    crm_free(w);
    return rc;
}

/* ---- prediction ---- */

static void proba_row(const crm_logreg *lr, const double *xr, double *out)
{
    const int32_t nf = lr->nf;
    if (lr->nc == 1) {
        double z = lr->intercept[0];
        for (int32_t a = 0; a < nf; a++) {
            z += lr->coef[a] * xr[a];
        }
        double pr = crm__mdl_sigmoid(z);
        out[0] = 1.0 - pr;
        out[1] = pr;
        return;
    }
    for (int32_t c = 0; c < lr->nc; c++) {
        const double *w = lr->coef + (int64_t)c * nf;
        double v = lr->intercept[c];
        for (int32_t a = 0; a < nf; a++) {
            v += w[a] * xr[a];
        }
        out[c] = v;
    }
    crm__mdl_softmax(out, lr->nc, NULL);
}

/* The arguments of a prediction: a fitted model and x of its width. */
static crm_status
check_predict(const crm_logreg *lr, const crm_matrix *x, const void *out, crm_error *err)
{
    return crm__mdl_check_rows("logreg", lr != NULL && out != NULL ? &lr->fitted : NULL,
                               lr != NULL ? lr->nf : 0, x, err);
}

/* Each row of x: its probabilities into proba (n x k), or with proba NULL its most probable
 * class into labels (k <= 256; ties to the lowest class). Blocks of rows in parallel. */
static void predict_rows(const crm_logreg *lr, const crm_matrix *x, double *proba, int32_t *labels)
{
    int64_t nb = crm__n_blocks(x->n_rows);
#pragma omp parallel for schedule(static) num_threads(crm__n_threads(lr->p.n_threads))
    for (int64_t b = 0; b < nb; b++) {
        double buf[256];
        int64_t hi = (b + 1) * CRM_BLOCK_ROWS;
        hi = hi < x->n_rows ? hi : x->n_rows;
        for (int64_t i = b * CRM_BLOCK_ROWS; i < hi; i++) {
            int32_t best = 0;
            if (proba != NULL) {
                proba_row(lr, CRM_ROW(x, i), proba + i * lr->k);
                continue;
            }
            proba_row(lr, CRM_ROW(x, i), buf);
            for (int32_t c = 1; c < lr->k; c++) {
                best = buf[c] > buf[best] ? c : best;
            }
            labels[i] = best;
        }
    }
}

crm_status
crm_logreg_predict_proba(const crm_logreg *lr, const crm_matrix *x, double *proba, crm_error *err)
{
    crm_status rc = check_predict(lr, x, proba, err);
    if (rc == CRM_OK) {
        predict_rows(lr, x, proba, NULL);
    }
    return rc;
}

crm_status
crm_logreg_predict(const crm_logreg *lr, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    crm_status rc = check_predict(lr, x, labels, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (lr->k > 256) {
        return crm__error_set(err, CRM_EUNSUPPORTED,
                              "logreg: predict supports at most 256 "
                              "classes; use predict_proba");
    }
    predict_rows(lr, x, NULL, labels);
    return CRM_OK;
}

/* ---- accessors ---- */

int32_t crm_logreg_is_fitted(const crm_logreg *lr)
{
    return lr != NULL && lr->fitted;
}
int32_t crm_logreg_n_classes(const crm_logreg *lr)
{
    return lr->k;
}
int32_t crm_logreg_n_features(const crm_logreg *lr)
{
    return lr->nf;
}
int32_t crm_logreg_n_coef_rows(const crm_logreg *lr)
{
    return lr->nc;
}
const double *crm_logreg_coef(const crm_logreg *lr)
{
    return lr->coef;
}
const double *crm_logreg_intercept(const crm_logreg *lr)
{
    return lr->intercept;
}
int32_t crm_logreg_n_iter(const crm_logreg *lr)
{
    return lr->n_iter;
}
int32_t crm_logreg_converged(const crm_logreg *lr)
{
    return lr->converged;
}
double crm_logreg_objective(const crm_logreg *lr)
{
    return lr->objective;
}

/* ---- save / load ---- */

crm_status
crm_logreg_save(const crm_logreg *lr, crm_model_writer *w, const char *tag, crm_error *err)
{
    crm_status rc;
    rc = crm__mdl_check_ready("logreg", lr != NULL && w != NULL ? &lr->fitted : NULL, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm_model_begin(w, tag != NULL ? tag : LR_TAG, err);
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, LR_FORMAT, err);
    }
    const int32_t ints[6] = {
        lr->k, lr->nc, lr->nf, lr->p.fit_intercept, lr->n_iter, lr->converged
    };
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, ints, 6, err);
    }
    const double dbl[3] = { lr->p.c, lr->p.tol, lr->objective };
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, dbl, 3, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, lr->coef, (size_t)lr->nc * (size_t)lr->nf, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, lr->intercept, (size_t)lr->nc, err);
    }
    return rc;
}

crm_status
crm_logreg_load(const crm_model_reader *r, const char *tag, crm_logreg **out, crm_error *err)
{
    crm_section s;
    crm_logreg *lr = NULL;
    crm_logreg_params p = crm_logreg_params_default();
    int32_t format = 0;
    int32_t ints[6] = { 0 };
    double dbl[3] = { 0 };
    crm_status rc;
    *out = NULL;
    tag = tag != NULL ? tag : LR_TAG;
    rc = crm_model_section(r, tag, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    crm_section_get_i32(&s, &format);
    crm_section_get_i32s(&s, ints, 6);
    crm_section_get_f64s(&s, dbl, 3);
    if (s.failed || format != LR_FORMAT) {
        return crm__mdl_bad_section(r, tag, "unknown format or truncated header", err);
    }
    if (ints[0] < 2 || ints[0] > 1000000 || ints[1] != (ints[0] == 2 ? 1 : ints[0]) ||
        ints[2] < 1 || ints[2] > 1000000 || (ints[3] != 0 && ints[3] != 1) ||
        (int64_t)ints[1] * ints[2] > (int64_t)(s.len / sizeof(double))) {
        return crm__mdl_bad_section(r, tag, "inconsistent sizes", err);
    }
    p.fit_intercept = ints[3];
    p.c = dbl[0] > 0 ? dbl[0] : 1.0;
    p.tol = dbl[1] >= 0 ? dbl[1] : p.tol;
    rc = crm_logreg_new(&p, &lr, err);
    if (rc != CRM_OK) {
        return rc;
    }
    lr->k = ints[0];
    lr->nc = ints[1];
    lr->nf = ints[2];
    lr->n_iter = ints[4];
    lr->converged = ints[5];
    lr->objective = dbl[2];
    lr->coef = crm_mallocarray((size_t)lr->nc * (size_t)lr->nf, sizeof(double));
    lr->intercept = crm_mallocarray((size_t)lr->nc, sizeof(double));
    if (lr->coef == NULL || lr->intercept == NULL) {
        crm_logreg_free(lr);
        return crm__error_nomem(err);
    }
    crm_section_get_f64s(&s, lr->coef, (size_t)lr->nc * (size_t)lr->nf);
    crm_section_get_f64s(&s, lr->intercept, (size_t)lr->nc);
    rc = crm_section_finish(&s, r, err);
    for (int64_t j = 0; rc == CRM_OK && j < (int64_t)lr->nc * lr->nf; j++) {
        if (!isfinite(lr->coef[j])) {
            rc = crm__mdl_bad_section(r, tag, "non-finite coefficient", err);
        }
    }
    for (int32_t c = 0; rc == CRM_OK && c < lr->nc; c++) {
        if (!isfinite(lr->intercept[c])) {
            rc = crm__mdl_bad_section(r, tag, "non-finite intercept", err);
        }
    }
    if (rc != CRM_OK) {
        crm_logreg_free(lr);
        return rc;
    }
    lr->fitted = 1;
    *out = lr;
    return CRM_OK;
}
