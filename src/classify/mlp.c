/* mlp.c: multilayer perceptron: parameters, layout, forward pass, scoring and model files.
 * Training is in mlp_train.c. Each layer is one cblas_dgemm over a block of rows; scoring
 * runs fixed blocks of rows in parallel, so a row's probabilities never depend on the
 * thread count. Reference: scikit-learn's MLPClassifier; Kingma and Ba, Adam: a method for
 * stochastic optimization, ICLR 2015. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "mlp_net.h"
#include "models_util.h"

#define MLP_PREDICT_BLOCK 512
#define MLP_MAX_UNITS     100000

crm_mlp_params crm_mlp_params_default(void)
{
    crm_mlp_params p;
    memset(&p, 0, sizeof p);
    p.hidden[0] = 64;
    p.hidden[1] = 32;
    p.n_hidden = 2;
    p.learning_rate = 0.001;
    p.alpha = 1e-4;
    p.batch_size = 0;
    p.max_epochs = 200;
    p.tol = 1e-4;
    p.n_iter_no_change = 10;
    p.early_stopping = 1;
    p.validation_fraction = 0.1;
    p.beta1 = 0.9;
    p.beta2 = 0.999;
    p.epsilon = 1e-8;
    p.seed = 0;
    p.n_threads = 0;
    return p;
}

crm_status crm_mlp_params_check(const crm_mlp_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "MLP parameters are NULL");
    }
    if (p->n_hidden < 0 || p->n_hidden > CRM_MLP_MAX_HIDDEN) {
        return crm__error_set(err, CRM_EINVAL, "hidden layers must be 0..%d, got %d",
                              CRM_MLP_MAX_HIDDEN, p->n_hidden);
    }
    for (int32_t l = 0; l < p->n_hidden; l++) {
        if (p->hidden[l] < 1 || p->hidden[l] > MLP_MAX_UNITS) {
            return crm__error_set(err, CRM_EINVAL, "hidden layer %d must have 1..%d units, got %d",
                                  l + 1, MLP_MAX_UNITS, p->hidden[l]);
        }
    }
    if (!(p->learning_rate > 0) || !isfinite(p->learning_rate)) {
        return crm__error_set(err, CRM_EINVAL, "learning_rate must be > 0, got %g",
                              p->learning_rate);
    }
    if (!(p->alpha >= 0) || !isfinite(p->alpha)) {
        return crm__error_set(err, CRM_EINVAL, "alpha must be >= 0, got %g", p->alpha);
    }
    if (p->batch_size < 0 || p->max_epochs < 1 || p->n_iter_no_change < 1) {
        return crm__error_set(err, CRM_EINVAL,
                              "batch_size must be >= 0, max_epochs and n_iter_no_change >= 1");
    }
    if (!(p->tol >= 0) || (p->early_stopping != 0 && p->early_stopping != 1)) {
        return crm__error_set(err, CRM_EINVAL, "tol must be >= 0 and early_stopping 0 or 1");
    }
    if (p->early_stopping && !(p->validation_fraction > 0 && p->validation_fraction < 1)) {
        return crm__error_set(err, CRM_EINVAL, "validation_fraction must be in (0, 1), got %g",
                              p->validation_fraction);
    }
    if (!(p->beta1 >= 0 && p->beta1 < 1) || !(p->beta2 >= 0 && p->beta2 < 1) || !(p->epsilon > 0)) {
        return crm__error_set(err, CRM_EINVAL, "Adam needs beta1, beta2 in [0, 1) and epsilon > 0");
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0, got %d", p->n_threads);
    }
    return CRM_OK;
}

static void mlp_setup(crm_mlp *m)
{
    m->best_val = (double)NAN;
}

static void mlp_release(crm_mlp *m)
{
    crm_free(m->theta);
}

CRM__MDL_DEFINE_NEW_FREE(mlp, mlp_setup, mlp_release)

void crm__mlp_layout(crm_mlp *m, int64_t d, int32_t n_classes)
{
    int64_t off = 0;
    m->d = d;
    m->n_layers = m->params.n_hidden + 1;
    m->sizes[0] = (int32_t)d;
    for (int32_t l = 0; l < m->params.n_hidden; l++) {
        m->sizes[l + 1] = m->params.hidden[l];
    }
    m->sizes[m->n_layers] = n_classes;
    for (int32_t l = 0; l < m->n_layers; l++) {
        m->w_off[l] = off;
        off += (int64_t)m->sizes[l] * m->sizes[l + 1];
        m->b_off[l] = off;
        off += m->sizes[l + 1];
    }
    m->n_theta = off;
}

int64_t crm__mlp_act_cells(const crm_mlp *m)
{
    int64_t s = 0;
    for (int32_t l = 1; l <= m->n_layers; l++) {
        s += m->sizes[l];
    }
    return s;
}

void crm__mlp_forward(const crm_mlp *m,
                      const double *x,
                      int64_t ldx,
                      int64_t rows,
                      double *const *acts)
{
    const double *in = x;
    int64_t ld_in = ldx;
    for (int32_t l = 0; l < m->n_layers; l++) {
        int32_t n_out = m->sizes[l + 1];
        const double *b = m->theta + m->b_off[l];
        double *out = acts[l];
        for (int64_t r = 0; r < rows; r++) {
            memcpy(out + r * n_out, b, (size_t)n_out * sizeof *b);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, n_out, m->sizes[l], 1.0,
                    in, (int)ld_in, m->theta + m->w_off[l], n_out, 1.0, out, n_out);
        if (l + 1 < m->n_layers) {
            for (int64_t i = 0; i < rows * n_out; i++) {
                out[i] = out[i] > 0 ? out[i] : 0.0;
            }
        } else {
            for (int64_t r = 0; r < rows; r++) {
                crm__mdl_softmax(out + r * n_out, n_out, NULL);
            }
        }
        in = out;
        ld_in = n_out;
    }
}

crm_status
crm_mlp_predict_proba(const crm_mlp *m, const crm_matrix *x, double *proba, crm_error *err)
{
    int64_t n_blocks;
    int64_t cells;
    int failed = 0;
    crm_status rc;
    if (m == NULL || m->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "MLP is not fitted");
    }
    rc = crm__mdl_check_predict(x, m->d, proba, err);
    if (rc != CRM_OK) {
        return rc;
    }
    n_blocks = (x->n_rows + MLP_PREDICT_BLOCK - 1) / MLP_PREDICT_BLOCK;
    cells = crm__mlp_act_cells(m) - m->n_classes;
#pragma omp parallel
    {
        double *ws =
            crm_mallocarray((size_t)(cells > 0 ? cells : 1) * MLP_PREDICT_BLOCK, sizeof *ws);
        if (ws == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            double *acts[MLP_MAX_LAYERS];
            int64_t r0 = b * MLP_PREDICT_BLOCK;
            int64_t rows = x->n_rows - r0 < MLP_PREDICT_BLOCK ? x->n_rows - r0 : MLP_PREDICT_BLOCK;
            int64_t off = 0;
            if (ws == NULL) {
                continue;
            }
            for (int32_t l = 0; l + 1 < m->n_layers; l++) {
                acts[l] = ws + off;
                off += rows * m->sizes[l + 1];
            }
            acts[m->n_layers - 1] = proba + r0 * m->n_classes;
            crm__mlp_forward(m, CRM_ROW(x, r0), x->ld, rows, acts);
        }
        crm_free(ws);
    }
    return failed ? crm__error_nomem(err) : CRM_OK;
}

static crm_status mlp_proba(const void *m, const crm_matrix *x, double *out, crm_error *err)
{
    return crm_mlp_predict_proba(m, x, out, err);
}

crm_status crm_mlp_predict(const crm_mlp *m, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    if (m == NULL || m->n_classes == 0) {
        return crm__error_set(err, CRM_ESTATE, "MLP is not fitted");
    }
    crm_status rc = crm__mdl_check_predict(x, m->d, labels, err);
    const crm__mdl_scorer s = { m, m->n_classes, mlp_proba };
    return rc == CRM_OK ? crm__mdl_predict_labels(&s, x, labels, err) : rc;
}

int32_t crm_mlp_n_classes(const crm_mlp *m)
{
    return m != NULL ? m->n_classes : 0;
}

int64_t crm_mlp_n_features(const crm_mlp *m)
{
    return m != NULL && m->n_classes > 0 ? m->d : 0;
}

int32_t crm_mlp_n_epochs(const crm_mlp *m)
{
    return m != NULL ? m->n_epochs : 0;
}

double crm_mlp_loss(const crm_mlp *m)
{
    return m != NULL ? m->loss : (double)NAN;
}

double crm_mlp_best_validation_score(const crm_mlp *m)
{
    return m != NULL ? m->best_val : (double)NAN;
}

const double *crm_mlp_weights(const crm_mlp *m, int64_t *n)
{
    if (n != NULL) {
        *n = m != NULL && m->n_classes > 0 ? m->n_theta : 0;
    }
    return m != NULL && m->n_classes > 0 ? m->theta : NULL;
}

/* Section: i32 n_classes, i64 d, i32 n_hidden, i32s hidden[n_hidden], i32 n_epochs, f64 loss,
 * f64 best_val, f64s theta[n_theta] (from the layout). Save and load share the lists below. */
#define MLP_HEAD(C, d, nh) CRM_FIELD(C), CRM_FIELD(d), CRM_FIELD(nh)
#define MLP_FIT(m, nh)                                                                             \
    CRM_FIELDS((m)->params.hidden, nh), CRM_FIELD(&(m)->n_epochs), CRM_FIELD(&(m)->loss),          \
        CRM_FIELD(&(m)->best_val)

crm_status crm_mlp_save(const crm_mlp *m, crm_model_writer *w, const char *tag, crm_error *err)
{
    crm_status rc;
    if (m == NULL || m->n_classes == 0 || w == NULL) {
        return crm__error_set(err, CRM_ESTATE, "MLP is not fitted");
    }
    const crm_field f[] = { MLP_HEAD(&m->n_classes, &m->d, &m->params.n_hidden),
                            MLP_FIT(m, m->params.n_hidden), CRM_FIELDS(m->theta, m->n_theta) };
    rc = crm__mdl_begin(w, tag, "mlp", err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

static crm_status load_body(void *ctx, crm_section *s, const crm_model_reader *r, crm_error *err)
{
    crm_mlp *m = *(crm_mlp **)ctx;
    int32_t C = 0;
    int64_t d = 0;
    int32_t nh = -1;
    const crm_field head[] = { MLP_HEAD(&C, &d, &nh) };
    (void)crm_section_get_fields(s, head, CRM_N_FIELDS(head));
    if (s->failed || C < 2 || C > MLP_MAX_UNITS || d < 1 || d > (int64_t)(s->len / 8) || nh < 0 ||
        nh > CRM_MLP_MAX_HIDDEN) {
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has bad sizes",
                              crm_model_reader_source(r), s->tag);
    }
    m->params.n_hidden = nh;
    const crm_field fit[] = { MLP_FIT(m, nh) };
    (void)crm_section_get_fields(s, fit, CRM_N_FIELDS(fit));

    for (int32_t l = 0; l < nh; l++) {
        if (m->params.hidden[l] < 1 || m->params.hidden[l] > MLP_MAX_UNITS) {
            s->failed = 1;
        }
    }
    if (s->failed) {
        return crm_section_finish(s, r, err);
    }
    crm__mlp_layout(m, d, C);
    if (m->n_theta > (int64_t)(s->len / 8)) {
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" is too short for its layers",
                              crm_model_reader_source(r), s->tag);
    }
    m->theta = crm_mallocarray((size_t)m->n_theta, sizeof *m->theta);
    if (m->theta == NULL) {
        return crm__error_nomem(err);
    }
    crm_section_get_f64s(s, m->theta, (size_t)m->n_theta);
    if (crm_section_finish(s, r, err) != CRM_OK) {
        return CRM_EFORMAT;
    }
    for (int64_t i = 0; i < m->n_theta; i++) {
        if (!isfinite(m->theta[i])) {
            return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" has a non-finite weight",
                                  crm_model_reader_source(r), s->tag);
        }
    }
    m->n_classes = C;
    return CRM_OK;
}

CRM__MDL_DEFINE_LOAD(mlp, load_body)
