/* svm_internal.h: the crm_svm object, shared by svm.c (training, scoring) and svm_file.c
 * (model files); private to src/classify and the unit tests. Only with LIBSVM. */
#ifndef CRM_SVM_INTERNAL_H
#define CRM_SVM_INTERNAL_H
#include <crmkit/config.h>
#include <crmkit/svm.h>

#if CRM_HAVE_LIBSVM
#include <libsvm/svm.h>

struct crm_svm {
    crm_svm_params params;
    int32_t n_classes; /* 0 until fitted */
    int64_t d;
    double c_used;
    double gamma_used;
    double grid_score;
    /* svm_load_model's layout: SV nodes in one malloc'd block at SV[0], free_sv = 1, every
     * array from malloc (svm_free_and_destroy_model frees it). */
    struct svm_model *model;
};

/* The fitted LIBSVM model (borrowed), for tests that compare with LIBSVM called directly. */
const struct svm_model *crm__svm_model(const crm_svm *svm);

/* A model in svm_load_model's layout with room for l support vectors of n_nodes nodes in all
 * (terminators included); NULL when out of memory. Arrays are uninitialised except SV[0]. */
struct svm_model *crm__svm_model_alloc(int nr_class, int l, int64_t n_nodes, int has_prob);

/* Set the kernel fields of model->param from the fitted object. */
void crm__svm_set_param(struct svm_model *model, const crm_svm *svm);
#endif

#endif
