/* svm_params.c: SVM parameters (built with or without LIBSVM). */
#include <math.h>
#include <string.h>

#include <crmkit/svm.h>

#include "core/core_internal.h"

crm_svm_params crm_svm_params_default(void)
{
    crm_svm_params p;
    memset(&p, 0, sizeof p);
    p.kernel = CRM_SVM_RBF;
    p.c = 1.0;
    p.gamma = 0.0;
    p.degree = 3;
    p.coef0 = 0.0;
    p.tol = 1e-3;
    p.cache_mb = 200.0;
    p.shrinking = 1;
    p.probability = 1;
    p.grid_c[0] = 0.1;
    p.grid_c[1] = 1.0;
    p.grid_c[2] = 10.0;
    p.n_grid_c = 3;
    p.grid_gamma[0] = 0.1;
    p.grid_gamma[1] = 1.0;
    p.grid_gamma[2] = 10.0;
    p.n_grid_gamma = 3;
    p.grid_folds = 3;
    return p;
}

static crm_status check_grid(const double *v, int32_t n, const char *name, crm_error *err)
{
    if (n < 1 || n > CRM_SVM_MAX_GRID) {
        return crm__error_set(err, CRM_EINVAL, "%s needs 1 to %d values, got %d", name,
                              CRM_SVM_MAX_GRID, n);
    }
    for (int32_t i = 0; i < n; i++) {
        if (!(v[i] > 0) || !isfinite(v[i])) {
            return crm__error_set(err, CRM_EINVAL, "%s values must be > 0, got %g", name, v[i]);
        }
    }
    return CRM_OK;
}

crm_status crm_svm_params_check(const crm_svm_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "SVM parameters are NULL");
    }
    if (p->kernel != CRM_SVM_LINEAR && p->kernel != CRM_SVM_RBF && p->kernel != CRM_SVM_POLY) {
        return crm__error_set(err, CRM_EINVAL, "kernel must be linear, rbf or poly");
    }
    if (!(p->c > 0) || !isfinite(p->c)) {
        return crm__error_set(err, CRM_EINVAL, "C must be > 0, got %g", p->c);
    }
    if (!(p->gamma >= 0) || !isfinite(p->gamma)) {
        return crm__error_set(err, CRM_EINVAL, "gamma must be > 0 (or 0 for \"scale\"), got %g",
                              p->gamma);
    }
    if (p->degree < 1 || p->degree > 10 || !isfinite(p->coef0)) {
        return crm__error_set(err, CRM_EINVAL, "degree must be in [1, 10], got %d", p->degree);
    }
    if (!(p->tol > 0) || !(p->cache_mb > 0) || !isfinite(p->cache_mb)) {
        return crm__error_set(err, CRM_EINVAL, "tol and cache_mb must be > 0");
    }
    if ((p->shrinking != 0 && p->shrinking != 1) || (p->probability != 0 && p->probability != 1) ||
        (p->class_weight_balanced != 0 && p->class_weight_balanced != 1) ||
        (p->grid_search != 0 && p->grid_search != 1)) {
        return crm__error_set(err, CRM_EINVAL,
                              "shrinking, probability, class_weight_balanced and grid_search "
                              "must be 0 or 1");
    }
    if (p->n_class_weight < 0 || p->n_class_weight > CRM_SVM_MAX_CLASS_WEIGHTS ||
        (p->n_class_weight > 0 && p->class_weight_balanced)) {
        return crm__error_set(err, CRM_EINVAL,
                              "give at most %d class weights, and not with balanced weights",
                              CRM_SVM_MAX_CLASS_WEIGHTS);
    }
    for (int32_t i = 0; i < p->n_class_weight; i++) {
        if (!(p->class_weight[i] > 0) || !isfinite(p->class_weight[i])) {
            return crm__error_set(err, CRM_EINVAL, "class weight %d must be > 0, got %g", i,
                                  p->class_weight[i]);
        }
    }
    if (p->grid_search) {
        crm_status rc = check_grid(p->grid_c, p->n_grid_c, "grid_c", err);
        if (rc == CRM_OK) {
            rc = check_grid(p->grid_gamma, p->n_grid_gamma, "grid_gamma", err);
        }
        if (rc != CRM_OK) {
            return rc;
        }
        if (p->grid_folds < 2 || p->grid_folds > 20) {
            return crm__error_set(err, CRM_EINVAL, "grid_folds must be in [2, 20], got %d",
                                  p->grid_folds);
        }
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0, got %d", p->n_threads);
    }
    return CRM_OK;
}
