/* svm.c: C-SVC through LIBSVM: problem building, "scale" gamma, class weights, grid search by
 * seeded stratified cross-validation, and scoring. LIBSVM is linked; its progress printing is
 * silenced by the first crm_svm_new.
 *
 * The training problem (svm_node rows, zeros left out as LIBSVM's sparse format allows) is
 * owned here for the length of the fit. svm_train's model points into it, so right after
 * training the support vectors are copied into a model in svm_load_model's layout (one node
 * block at SV[0], free_sv = 1) and the problem is freed: the fitted object owns everything it
 * points to, and svm_free_and_destroy_model releases it. Grid-search jobs (grid point x fold)
 * are independent LIBSVM fits without probabilities (so no rand()), run in parallel, and
 * their integer hit counts are summed in job order. Reference: Chang and Lin, LIBSVM: a
 * library for support vector machines, ACM TIST 2(3), 2011. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/metrics.h>
#include <crmkit/svm.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/core_internal.h"
#include "models_util.h"
#include "svm_internal.h"

#if CRM_HAVE_LIBSVM

#define SVM_PREDICT_BLOCK 256

/* LIBSVM's rand() is process-wide: serialise srand() + svm_train() so that concurrent fits in
 * this library stay reproducible. */
static pthread_mutex_t rand_lock = PTHREAD_MUTEX_INITIALIZER;

/* LIBSVM prints training progress to stdout unless given a hook; the hook is process-wide, so
 * it is set once, by the first crm_svm_new (the library never prints). */
static pthread_once_t quieted = PTHREAD_ONCE_INIT;

static void quiet_print(const char *s)
{
    (void)s;
}

static void quiet(void)
{
    svm_set_print_string_function(quiet_print);
}

typedef struct problem {
    struct svm_node *space;
    struct svm_node **x;
    double *y;
    int l;
} problem;

static void problem_free(problem *pb)
{
    crm_free(pb->space);
    crm_free(pb->x);
    crm_free(pb->y);
    memset(pb, 0, sizeof *pb);
}

/* Nonzero cells of row as LIBSVM nodes (1-based indices) plus the -1 terminator. */
static int64_t row_nodes(const double *row, int64_t d, struct svm_node *out)
{
    int64_t k = 0;
    for (int64_t j = 0; j < d; j++) {
        if (row[j] != 0.0) {
            out[k].index = (int)(j + 1);
            out[k].value = row[j];
            k++;
        }
    }
    out[k].index = -1;
    out[k].value = 0.0;
    return k + 1;
}

static crm_status problem_build(const crm_matrix *x, const int32_t *y, problem *pb, crm_error *err)
{
    int64_t n_nodes = x->n_rows;
    int64_t pos = 0;
    memset(pb, 0, sizeof *pb);
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            n_nodes += row[j] != 0.0;
        }
    }
    pb->space = crm_mallocarray((size_t)n_nodes, sizeof *pb->space);
    pb->x = crm_mallocarray((size_t)x->n_rows, sizeof *pb->x);
    pb->y = crm_mallocarray((size_t)x->n_rows, sizeof *pb->y);
    if (pb->space == NULL || pb->x == NULL || pb->y == NULL) {
        problem_free(pb);
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        pb->x[i] = pb->space + pos;
        pos += row_nodes(CRM_ROW(x, i), x->n_cols, pb->space + pos);
        pb->y[i] = (double)y[i];
    }
    pb->l = (int)x->n_rows;
    return CRM_OK;
}

/* scikit-learn's gamma = "scale": 1 / (d * variance of every cell). */
static double scale_gamma(const crm_matrix *x)
{
    double n = (double)x->n_rows * (double)x->n_cols;
    double sum = 0;
    double ss = 0;
    double mean;
    double var;
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            sum += row[j];
        }
    }
    mean = sum / n;
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < x->n_cols; j++) {
            ss += (row[j] - mean) * (row[j] - mean);
        }
    }
    var = ss / n;
    return var > 0 ? 1.0 / ((double)x->n_cols * var) : 1.0;
}

/* LIBSVM parameters for C and gamma; weights point into wl/wv (n_classes entries). */
static void make_param(const crm_svm *svm,
                       double c,
                       double gamma,
                       const int32_t *y,
                       int64_t n,
                       int *wl,
                       double *wv,
                       struct svm_parameter *prm)
{
    const crm_svm_params *p = &svm->params;
    memset(prm, 0, sizeof *prm);
    prm->svm_type = C_SVC;
    prm->kernel_type = p->kernel == CRM_SVM_LINEAR ? LINEAR
                       : p->kernel == CRM_SVM_POLY ? POLY
                                                   : RBF;
    prm->degree = p->degree;
    prm->gamma = gamma;
    prm->coef0 = p->coef0;
    prm->cache_size = p->cache_mb;
    prm->eps = p->tol;
    prm->C = c;
    prm->shrinking = p->shrinking;
    prm->probability = 0;
    if (p->class_weight_balanced || p->n_class_weight > 0) {
        for (int32_t k = 0; k < svm->n_classes; k++) {
            wl[k] = k;
            wv[k] = k < p->n_class_weight ? p->class_weight[k] : 1.0;
        }
        if (p->class_weight_balanced) {
            for (int32_t k = 0; k < svm->n_classes; k++) {
                wv[k] = 0;
            }
            for (int64_t i = 0; i < n; i++) {
                wv[y[i]] += 1.0;
            }
            for (int32_t k = 0; k < svm->n_classes; k++) {
                wv[k] = wv[k] > 0 ? (double)n / ((double)svm->n_classes * wv[k]) : 1.0;
            }
        }
        prm->nr_weight = svm->n_classes;
        prm->weight_label = wl;
        prm->weight = wv;
    }
}

struct svm_model *crm__svm_model_alloc(int nr_class, int l, int64_t n_nodes, int has_prob)
{
    int m = nr_class * (nr_class - 1) / 2;
    struct svm_model *model = calloc(1, sizeof *model);
    struct svm_node *space;
    int ok;
    if (model == NULL) {
        return NULL;
    }
    model->nr_class = nr_class;
    model->l = l;
    model->free_sv = 1;
    space = malloc((size_t)n_nodes * sizeof *space);
    model->SV = space != NULL ? malloc((size_t)l * sizeof *model->SV) : NULL;
    if (model->SV == NULL) {
        free(space);
        free(model);
        return NULL;
    }
    model->SV[0] = space;
    model->sv_coef = calloc((size_t)(nr_class - 1), sizeof *model->sv_coef);
    ok = model->sv_coef != NULL;
    for (int i = 0; ok && i < nr_class - 1; i++) {
        model->sv_coef[i] = malloc((size_t)l * sizeof **model->sv_coef);
        ok = model->sv_coef[i] != NULL;
    }
    model->rho = malloc((size_t)m * sizeof *model->rho);
    model->label = malloc((size_t)nr_class * sizeof *model->label);
    model->nSV = malloc((size_t)nr_class * sizeof *model->nSV);
    if (has_prob) {
        model->probA = malloc((size_t)m * sizeof *model->probA);
        model->probB = malloc((size_t)m * sizeof *model->probB);
        ok = ok && model->probA != NULL && model->probB != NULL;
    }
    if (!ok || model->rho == NULL || model->label == NULL || model->nSV == NULL) {
        svm_free_and_destroy_model(&model);
        return NULL;
    }
    return model;
}

void crm__svm_set_param(struct svm_model *model, const crm_svm *svm)
{
    memset(&model->param, 0, sizeof model->param);
    model->param.svm_type = C_SVC;
    model->param.kernel_type = svm->params.kernel == CRM_SVM_LINEAR ? LINEAR
                               : svm->params.kernel == CRM_SVM_POLY ? POLY
                                                                    : RBF;
    model->param.degree = svm->params.degree;
    model->param.gamma = svm->gamma_used;
    model->param.coef0 = svm->params.coef0;
    model->param.C = svm->c_used;
}

/* Copy a trained model (SVs pointing into the problem) into svm_load_model's layout. */
static struct svm_model *compact(const struct svm_model *t, const crm_svm *svm)
{
    int k = t->nr_class;
    int m = k * (k - 1) / 2;
    int64_t n_nodes = 0;
    int64_t pos = 0;
    struct svm_model *model;
    for (int i = 0; i < t->l; i++) {
        const struct svm_node *p = t->SV[i];
        while (p->index != -1) {
            p++;
            n_nodes++;
        }
        n_nodes++;
    }
    model = crm__svm_model_alloc(k, t->l, n_nodes, t->probA != NULL);
    if (model == NULL) {
        return NULL;
    }
    crm__svm_set_param(model, svm);
    for (int i = 0; i < t->l; i++) {
        const struct svm_node *p = t->SV[i];
        model->SV[i] = model->SV[0] + pos;
        do {
            model->SV[0][pos++] = *p;
        } while ((p++)->index != -1);
    }
    for (int i = 0; i < k - 1; i++) {
        memcpy(model->sv_coef[i], t->sv_coef[i], (size_t)t->l * sizeof(double));
    }
    memcpy(model->rho, t->rho, (size_t)m * sizeof(double));
    memcpy(model->label, t->label, (size_t)k * sizeof(int));
    memcpy(model->nSV, t->nSV, (size_t)k * sizeof(int));
    if (t->probA != NULL) {
        memcpy(model->probA, t->probA, (size_t)m * sizeof(double));
        memcpy(model->probB, t->probB, (size_t)m * sizeof(double));
    }
    return model;
}

/* One grid job: train on rows with fold != f, count hits on fold f. -1 when out of memory. */
static int64_t
cv_job(const problem *pb, const int32_t *fold, int32_t f, const struct svm_parameter *prm)
{
    struct svm_problem sub;
    struct svm_model *model;
    int64_t hits = 0;
    int n_tr = 0;
    sub.x = malloc((size_t)pb->l * sizeof *sub.x);
    sub.y = malloc((size_t)pb->l * sizeof *sub.y);
    if (sub.x == NULL || sub.y == NULL) {
        free(sub.x);
        free(sub.y);
        return -1;
    }
    for (int i = 0; i < pb->l; i++) {
        if (fold[i] != f) {
            sub.x[n_tr] = pb->x[i];
            sub.y[n_tr++] = pb->y[i];
        }
    }
    sub.l = n_tr;
    model = svm_train(&sub, prm);
    for (int i = 0; i < pb->l; i++) {
        if (fold[i] == f) {
            hits += svm_predict(model, pb->x[i]) == pb->y[i];
        }
    }
    svm_free_and_destroy_model(&model);
    free(sub.x);
    free(sub.y);
    return hits;
}

static crm_status grid_search(crm_svm *svm,
                              const problem *pb,
                              const int32_t *y,
                              int *wl,
                              double *wv,
                              double base_gamma,
                              crm_error *err)
{
    const crm_svm_params *p = &svm->params;
    int32_t k = p->grid_folds;
    int32_t n_jobs = p->n_grid_c * p->n_grid_gamma * k;
    int32_t *fold = crm_mallocarray((size_t)pb->l, sizeof *fold);
    int64_t *hits = crm_calloc((size_t)n_jobs, sizeof *hits);
    int nt = p->n_threads;
    double best = -1;
    crm_status rc;
#ifdef _OPENMP
    nt = nt > 0 ? nt : omp_get_max_threads();
#else
    nt = 1;
#endif
    if (fold == NULL || hits == NULL) {
        crm_free(fold);
        crm_free(hits);
        return crm__error_nomem(err);
    }
    rc = crm_kfold_stratified(y, pb->l, svm->n_classes, k, p->seed, fold, err);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (rc == CRM_OK)
    for (int32_t job = 0; job < n_jobs; job++) {
        struct svm_parameter prm;
        int32_t g = job / k;
        if (rc != CRM_OK) {
            continue;
        }
        make_param(svm, p->grid_c[g / p->n_grid_gamma],
                   base_gamma * p->grid_gamma[g % p->n_grid_gamma], y, pb->l, wl, wv, &prm);
        hits[job] = cv_job(pb, fold, job % k, &prm);
    }
    for (int32_t g = 0; rc == CRM_OK && g * k < n_jobs; g++) {
        int64_t sum = 0;
        for (int32_t f = 0; f < k; f++) {
            if (hits[g * k + f] < 0) {
                rc = crm__error_nomem(err);
            }
            sum += hits[g * k + f];
        }
        if ((double)sum / pb->l > best) {
            best = (double)sum / pb->l;
            svm->c_used = p->grid_c[g / p->n_grid_gamma];
            svm->gamma_used = base_gamma * p->grid_gamma[g % p->n_grid_gamma];
        }
    }
    svm->grid_score = best;
    crm_free(fold);
    crm_free(hits);
    return rc;
}

static crm_status
train_final(crm_svm *svm, const problem *pb, const int32_t *y, int *wl, double *wv, crm_error *err)
{
    struct svm_parameter prm;
    struct svm_problem sp;
    struct svm_model *trained;
    const char *msg;
    make_param(svm, svm->c_used, svm->gamma_used, y, pb->l, wl, wv, &prm);
    prm.probability = svm->params.probability;
    sp.l = pb->l;
    sp.x = pb->x;
    sp.y = pb->y;
    msg = svm_check_parameter(&sp, &prm);
    if (msg != NULL) {
        return crm__error_set(err, CRM_EINVAL, "LIBSVM rejected the parameters: %s", msg);
    }
    /* LIBSVM's probability CV shuffles with rand(): seed it right before training. */
    pthread_mutex_lock(&rand_lock);
    srand((unsigned)(svm->params.seed ^ (svm->params.seed >> 32)));
    trained = svm_train(&sp, &prm);
    pthread_mutex_unlock(&rand_lock);
    if (trained == NULL) {
        return crm__error_nomem(err);
    }
    svm->model = compact(trained, svm);
    svm_free_and_destroy_model(&trained);
    return svm->model != NULL ? CRM_OK : crm__error_nomem(err);
}

static void svm_setup(crm_svm *svm)
{
    (void)pthread_once(&quieted, quiet);
    svm->grid_score = (double)NAN;
}

static void svm_release(crm_svm *svm)
{
    if (svm->model != NULL) {
        svm_free_and_destroy_model(&svm->model);
    }
}

CRM__MDL_DEFINE_NEW_FREE(svm, svm_setup, svm_release)

crm_status crm_svm_fit(crm_svm *svm,
                       const crm_matrix *x,
                       const int32_t *y,
                       int32_t n_classes,
                       const crm_progress *progress,
                       crm_error *err)
{
    problem pb;
    int *wl = NULL;
    double *wv = NULL;
    double base_gamma;
    crm_status rc;
    if (svm == NULL) {
        return crm__error_set(err, CRM_EINVAL, "model is NULL");
    }
    svm_release(svm);
    svm->n_classes = 0;
    svm->grid_score = (double)NAN;
    rc = crm__mdl_check_train(x, y, n_classes, 0, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = problem_build(x, y, &pb, err);
    if (rc != CRM_OK) {
        return rc;
    }
    svm->n_classes = n_classes;
    svm->d = x->n_cols;
    base_gamma = svm->params.gamma > 0 ? svm->params.gamma : scale_gamma(x);
    svm->gamma_used = base_gamma;
    svm->c_used = svm->params.c;
    wl = crm_mallocarray((size_t)n_classes, sizeof *wl);
    wv = crm_mallocarray((size_t)n_classes, sizeof *wv);
    if (wl == NULL || wv == NULL) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK && svm->params.grid_search) {
        rc = grid_search(svm, &pb, y, wl, wv, base_gamma, err);
    }
    if (rc == CRM_OK && !crm_progress_report(progress, "svm", 0.5)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "SVM training cancelled");
    }
    if (rc == CRM_OK) {
        rc = train_final(svm, &pb, y, wl, wv, err);
    }
    problem_free(&pb);
    crm_free(wl);
    crm_free(wv);
    if (rc != CRM_OK) {
        svm->n_classes = 0;
    }
    return rc;
}

/* Probabilities of one row (nodes) into p[n_classes]. */
static void proba_row(const crm_svm *svm, const struct svm_node *nodes, double *dec, double *p)
{
    const struct svm_model *model = svm->model;
    int k = model->nr_class;
    memset(p, 0, (size_t)svm->n_classes * sizeof *p);
    if (model->probA != NULL) {
        svm_predict_probability(model, nodes, dec);
        for (int i = 0; i < k; i++) {
            p[model->label[i]] = dec[i];
        }
    } else if (k == 2) {
        double v;
        svm_predict_values(model, nodes, dec);
        v = 1.0 / (1.0 + exp(-dec[0]));
        p[model->label[0]] = v;
        p[model->label[1]] = 1.0 - v;
    } else {
        int pos = 0;
        svm_predict_values(model, nodes, dec);
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                p[model->label[dec[pos++] > 0 ? i : j]] += 2.0 / (double)(k * (k - 1));
            }
        }
    }
}

/* mode 0: probabilities, 1: labels (int32), 2: decision values. */
static crm_status
score(const crm_svm *svm, const crm_matrix *x, void *out, int mode, crm_error *err)
{
    int64_t n_blocks;
    int failed = 0;
    int k;
    crm_status rc;
    if (svm == NULL || svm->model == NULL) {
        return crm__error_set(err, CRM_ESTATE, "SVM is not fitted");
    }
    rc = crm__mdl_check_predict(x, svm->d, out, err);
    if (rc != CRM_OK) {
        return rc;
    }
    k = svm->model->nr_class;
    n_blocks = (x->n_rows + SVM_PREDICT_BLOCK - 1) / SVM_PREDICT_BLOCK;
#pragma omp parallel
    {
        struct svm_node *nodes = crm_mallocarray((size_t)svm->d + 1, sizeof *nodes);
        double *dec = crm_mallocarray((size_t)(k * k), sizeof *dec);
        if (nodes == NULL || dec == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            int64_t end =
                (b + 1) * SVM_PREDICT_BLOCK < x->n_rows ? (b + 1) * SVM_PREDICT_BLOCK : x->n_rows;
            for (int64_t i = b * SVM_PREDICT_BLOCK; nodes != NULL && dec != NULL && i < end; i++) {
                row_nodes(CRM_ROW(x, i), svm->d, nodes);
                if (mode == 0) {
                    proba_row(svm, nodes, dec, (double *)out + i * svm->n_classes);
                } else if (mode == 1) {
                    ((int32_t *)out)[i] = (int32_t)svm_predict(svm->model, nodes);
                } else {
                    double *o = (double *)out + i * (k * (k - 1) / 2);
                    svm_predict_values(svm->model, nodes, o);
                    if (k == 2 && svm->model->label[0] < svm->model->label[1]) {
                        o[0] = -o[0];
                    }
                }
            }
        }
        crm_free(nodes);
        crm_free(dec);
    }
    return failed ? crm__error_nomem(err) : CRM_OK;
}

const struct svm_model *crm__svm_model(const crm_svm *svm)
{
    return svm != NULL ? svm->model : NULL;
}

int32_t crm_svm_n_support(const crm_svm *svm)
{
    return svm != NULL && svm->model != NULL ? svm->model->l : 0;
}

int32_t crm_svm_label(const crm_svm *svm, int32_t i)
{
    if (svm == NULL || svm->model == NULL || i < 0 || i >= svm->model->nr_class) {
        return -1;
    }
    return svm->model->label[i];
}

#else /* !CRM_HAVE_LIBSVM */

struct crm_svm {
    crm_svm_params params;
};

static crm_status no_libsvm(crm_error *err)
{
    return crm__error_set(err, CRM_EUNSUPPORTED,
                          "this build of crmkit has no LIBSVM: the SVM "
                          "is not available");
}

crm_status crm_svm_new(const crm_svm_params *p, crm_svm **out, crm_error *err)
{
    (void)p;
    if (out != NULL) {
        *out = NULL;
    }
    return no_libsvm(err);
}

void crm_svm_free(crm_svm *svm)
{
    crm_free(svm);
}

crm_status crm_svm_fit(crm_svm *svm,
                       const crm_matrix *x,
                       const int32_t *y,
                       int32_t n_classes,
                       const crm_progress *progress,
                       crm_error *err)
{
    (void)svm;
    (void)x;
    (void)y;
    (void)n_classes;
    (void)progress;
    return no_libsvm(err);
}

static crm_status
score(const crm_svm *svm, const crm_matrix *x, void *out, int mode, crm_error *err)
{
    (void)svm;
    (void)x;
    (void)out;
    (void)mode;
    return no_libsvm(err);
}

int32_t crm_svm_n_support(const crm_svm *svm)
{
    (void)svm;
    return 0;
}

int32_t crm_svm_label(const crm_svm *svm, int32_t i)
{
    (void)svm;
    (void)i;
    return -1;
}

#endif

/* One scoring routine behind the three outputs, with LIBSVM or its stub without. */
crm_status
crm_svm_predict_proba(const crm_svm *svm, const crm_matrix *x, double *proba, crm_error *err)
{
    return score(svm, x, proba, 0, err);
}

crm_status crm_svm_predict(const crm_svm *svm, const crm_matrix *x, int32_t *labels, crm_error *err)
{
    return score(svm, x, labels, 1, err);
}

crm_status
crm_svm_decision_function(const crm_svm *svm, const crm_matrix *x, double *dec, crm_error *err)
{
    return score(svm, x, dec, 2, err);
}
