/* svm_file.c: SVM accessors and model files. The LIBSVM model is written field by field (never
 * through svm_save_model/svm_load_model, which change the process locale and share a static
 * buffer) and rebuilt on load in svm_load_model's layout, after checking every count, label,
 * feature index and value, so a damaged file is CRM_EFORMAT and never reaches LIBSVM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/svm.h>

#include "core/core_internal.h"
#include "models_util.h"
#include "svm_internal.h"

#if CRM_HAVE_LIBSVM

#define SVM_MAX_CLASSES 100000

int32_t crm_svm_n_classes(const crm_svm *svm)
{
    return svm != NULL && svm->model != NULL ? svm->n_classes : 0;
}

int64_t crm_svm_n_features(const crm_svm *svm)
{
    return svm != NULL && svm->model != NULL ? svm->d : 0;
}

double crm_svm_c(const crm_svm *svm)
{
    return svm != NULL && svm->model != NULL ? svm->c_used : (double)NAN;
}

double crm_svm_gamma(const crm_svm *svm)
{
    return svm != NULL && svm->model != NULL ? svm->gamma_used : (double)NAN;
}

double crm_svm_grid_score(const crm_svm *svm)
{
    return svm != NULL ? svm->grid_score : (double)NAN;
}

static crm_status save_svs(const struct svm_model *model, crm_model_writer *w, crm_error *err)
{
    int64_t total = 0;
    int32_t *count = crm_mallocarray((size_t)model->l, sizeof *count);
    int32_t *idx = NULL;
    double *val = NULL;
    int64_t pos = 0;
    crm_status rc = CRM_OK;
    if (count == NULL) {
        return crm__error_nomem(err);
    }
    for (int i = 0; i < model->l; i++) {
        int32_t c = 0;
        while (model->SV[i][c].index != -1) {
            c++;
        }
        count[i] = c;
        total += c;
    }
    idx = crm_mallocarray((size_t)(total > 0 ? total : 1), sizeof *idx);
    val = crm_mallocarray((size_t)(total > 0 ? total : 1), sizeof *val);
    if (idx == NULL || val == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int i = 0; i < model->l; i++) {
        for (int32_t c = 0; c < count[i]; c++) {
            idx[pos] = model->SV[i][c].index;
            val[pos++] = model->SV[i][c].value;
        }
    }
    if ((rc = crm_model_put_i32s(w, count, (size_t)model->l, err)) != CRM_OK ||
        (rc = crm_model_put_i64(w, total, err)) != CRM_OK ||
        (rc = crm_model_put_i32s(w, idx, (size_t)total, err)) != CRM_OK) {
        goto done;
    }
    rc = crm_model_put_f64s(w, val, (size_t)total, err);
done:
    crm_free(count);
    crm_free(idx);
    crm_free(val);
    return rc;
}

crm_status crm_svm_save(const crm_svm *svm, crm_model_writer *w, const char *tag, crm_error *err)
{
    const struct svm_model *model;
    int k;
    int m;
    crm_status rc;
    if (svm == NULL || svm->model == NULL || w == NULL) {
        return crm__error_set(err, CRM_ESTATE, "SVM is not fitted");
    }
    model = svm->model;
    k = model->nr_class;
    m = k * (k - 1) / 2;
    if ((rc = crm__mdl_begin(w, tag, "svm", err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, svm->n_classes, err)) != CRM_OK ||
        (rc = crm_model_put_i64(w, svm->d, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, (int32_t)svm->params.kernel, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, svm->params.degree, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, svm->gamma_used, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, svm->params.coef0, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, svm->c_used, err)) != CRM_OK ||
        (rc = crm_model_put_f64(w, svm->grid_score, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, k, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, model->l, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, model->probA != NULL, err)) != CRM_OK ||
        (rc = crm_model_put_i32s(w, model->label, (size_t)k, err)) != CRM_OK ||
        (rc = crm_model_put_i32s(w, model->nSV, (size_t)k, err)) != CRM_OK ||
        (rc = crm_model_put_f64s(w, model->rho, (size_t)m, err)) != CRM_OK) {
        return rc;
    }
    if (model->probA != NULL &&
        ((rc = crm_model_put_f64s(w, model->probA, (size_t)m, err)) != CRM_OK ||
         (rc = crm_model_put_f64s(w, model->probB, (size_t)m, err)) != CRM_OK)) {
        return rc;
    }
    for (int i = 0; i < k - 1; i++) {
        rc = crm_model_put_f64s(w, model->sv_coef[i], (size_t)model->l, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return save_svs(model, w, err);
}

static int all_finite(const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            return 0;
        }
    }
    return 1;
}

/* Labels distinct in [0, n_classes), nSV >= 0 summing to l. */
static int check_classes(const struct svm_model *model, int32_t n_classes)
{
    int64_t sum = 0;
    for (int i = 0; i < model->nr_class; i++) {
        if (model->label[i] < 0 || model->label[i] >= n_classes || model->nSV[i] < 0) {
            return 0;
        }
        for (int j = 0; j < i; j++) {
            if (model->label[j] == model->label[i]) {
                return 0;
            }
        }
        sum += model->nSV[i];
    }
    return sum == model->l;
}

/* Read the support vectors into model (already sized for total + l nodes). */
static int read_svs(crm_section *s, struct svm_model *model, const int32_t *count, int64_t d)
{
    int64_t pos = 0;
    for (int i = 0; i < model->l; i++) {
        int prev = 0;
        model->SV[i] = model->SV[0] + pos;
        for (int32_t c = 0; c < count[i]; c++) {
            int32_t ix = 0;
            crm_section_get_i32(s, &ix);
            if (ix <= prev || ix > d) {
                return 0;
            }
            model->SV[0][pos].index = ix;
            model->SV[0][pos++].value = 0;
            prev = ix;
        }
        model->SV[0][pos].index = -1;
        model->SV[0][pos++].value = 0;
    }
    pos = 0;
    for (int i = 0; i < model->l; i++) {
        for (int32_t c = 0; c < count[i]; c++) {
            crm_section_get_f64(s, &model->SV[0][pos].value);
            if (!isfinite(model->SV[0][pos++].value)) {
                return 0;
            }
        }
        pos++;
    }
    return !s->failed;
}

static crm_status bad_section(const crm_model_reader *r, const crm_section *s, crm_error *err)
{
    return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" is not a valid SVM model",
                          crm_model_reader_source(r), s->tag);
}

static crm_status load_model(crm_svm *svm,
                             crm_section *s,
                             const crm_model_reader *r,
                             int k,
                             int l,
                             int has_prob,
                             crm_error *err)
{
    int m = k * (k - 1) / 2;
    int32_t *count = crm_mallocarray((size_t)l, sizeof *count);
    int64_t total = -1;
    int64_t sum = 0;
    struct svm_model *model = NULL;
    crm_status rc = CRM_OK;
    if (count == NULL) {
        return crm__error_nomem(err);
    }
    /* The fixed-size arrays come before the SV counts: skip to them with a scratch model. */
    {
        size_t head = s->pos + (size_t)k * 8 + (size_t)m * 8 * (has_prob ? 3 : 1) +
                      (size_t)(k - 1) * (size_t)l * 8;
        crm_section c2 = *s;
        c2.pos = head;
        crm_section_get_i32s(&c2, count, (size_t)l);
        crm_section_get_i64(&c2, &total);
        for (int i = 0; !c2.failed && i < l; i++) {
            if (count[i] < 0 || count[i] > svm->d) {
                c2.failed = 1;
            }
            sum += count[i];
        }
        if (c2.failed || total != sum || total > (int64_t)(s->len / 12)) {
            crm_free(count);
            return bad_section(r, s, err);
        }
    }
    model = crm__svm_model_alloc(k, l, total + l, has_prob);
    if (model == NULL) {
        crm_free(count);
        return crm__error_nomem(err);
    }
    crm__svm_set_param(model, svm);
    crm_section_get_i32s(s, model->label, (size_t)k);
    crm_section_get_i32s(s, model->nSV, (size_t)k);
    crm_section_get_f64s(s, model->rho, (size_t)m);
    if (has_prob) {
        crm_section_get_f64s(s, model->probA, (size_t)m);
        crm_section_get_f64s(s, model->probB, (size_t)m);
    }
    for (int i = 0; i < k - 1; i++) {
        crm_section_get_f64s(s, model->sv_coef[i], (size_t)l);
    }
    crm_section_get_i32s(s, count, (size_t)l);
    crm_section_get_i64(s, &total);
    if (s->failed || !check_classes(model, svm->n_classes) || !all_finite(model->rho, m) ||
        (has_prob && (!all_finite(model->probA, m) || !all_finite(model->probB, m))) ||
        !read_svs(s, model, count, svm->d)) {
        rc = bad_section(r, s, err);
    }
    for (int i = 0; rc == CRM_OK && i < k - 1; i++) {
        if (!all_finite(model->sv_coef[i], l)) {
            rc = bad_section(r, s, err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_section_finish(s, r, err);
    }
    crm_free(count);
    if (rc != CRM_OK) {
        svm_free_and_destroy_model(&model);
        return rc;
    }
    svm->model = model;
    return CRM_OK;
}

static crm_status load_body(void *ctx, crm_section *s, const crm_model_reader *r, crm_error *err)
{
    crm_svm *svm = *(crm_svm **)ctx;
    int32_t kernel = -1;
    int32_t k = 0;
    int32_t l = 0;
    int32_t has_prob = -1;
    crm_section_get_i32(s, &svm->n_classes);
    crm_section_get_i64(s, &svm->d);
    crm_section_get_i32(s, &kernel);
    crm_section_get_i32(s, &svm->params.degree);
    crm_section_get_f64(s, &svm->gamma_used);
    crm_section_get_f64(s, &svm->params.coef0);
    crm_section_get_f64(s, &svm->c_used);
    crm_section_get_f64(s, &svm->grid_score);
    crm_section_get_i32(s, &k);
    crm_section_get_i32(s, &l);
    crm_section_get_i32(s, &has_prob);
    svm->params.kernel = (crm_svm_kernel)kernel;
    svm->params.c = svm->c_used;
    svm->params.gamma = svm->gamma_used;
    svm->params.probability = has_prob;
    if (s->failed || svm->n_classes < 2 || svm->n_classes > SVM_MAX_CLASSES || svm->d < 1 ||
        svm->d > INT32_MAX - 1 || k < 2 || k > svm->n_classes || l < 1 ||
        l > (int32_t)(s->len / 8) || (int64_t)k * k > (int64_t)(s->len / 8) + 4 ||
        (has_prob != 0 && has_prob != 1) || crm_svm_params_check(&svm->params, NULL) != CRM_OK ||
        !(svm->gamma_used > 0)) {
        return bad_section(r, s, err);
    }
    return load_model(svm, s, r, k, l, has_prob, err);
}

/* A failed load leaves svm->model NULL: load_model hands the model over only on success. */
CRM__MDL_DEFINE_LOAD(svm, load_body)

#else /* !CRM_HAVE_LIBSVM */

int32_t crm_svm_n_classes(const crm_svm *svm)
{
    (void)svm;
    return 0;
}

int64_t crm_svm_n_features(const crm_svm *svm)
{
    (void)svm;
    return 0;
}

double crm_svm_c(const crm_svm *svm)
{
    (void)svm;
    return (double)NAN;
}

double crm_svm_gamma(const crm_svm *svm)
{
    (void)svm;
    return (double)NAN;
}

double crm_svm_grid_score(const crm_svm *svm)
{
    (void)svm;
    return (double)NAN;
}

crm_status crm_svm_save(const crm_svm *svm, crm_model_writer *w, const char *tag, crm_error *err)
{
    (void)svm;
    (void)w;
    (void)tag;
    return crm__error_set(err, CRM_EUNSUPPORTED, "this build of crmkit has no LIBSVM");
}

crm_status crm_svm_load(const crm_model_reader *r, const char *tag, crm_svm **out, crm_error *err)
{
    (void)r;
    (void)tag;
    if (out != NULL) {
        *out = NULL;
    }
    return crm__error_set(err, CRM_EUNSUPPORTED,
                          "this model needs LIBSVM, which this build of crmkit does not have");
}

#endif
