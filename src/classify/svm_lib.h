/* svm_lib.h: the LIBSVM functions crmkit calls, from libsvm.so.3 opened with dlopen by the
 * first crm_svm_new, not at start: linking it pulls in libstdc++, about 0.5 ms of every command's
 * start, paid by the commands that never use the SVM (itemsets, rules, recommend). Private to
 * src/classify; only with LIBSVM. */
#ifndef CRM_CLASSIFY_SVM_LIB_H
#define CRM_CLASSIFY_SVM_LIB_H
#include <crmkit/config.h>
#include <crmkit/status.h>

#if CRM_HAVE_LIBSVM
#include <libsvm/svm.h>

typedef struct crm__svm_lib {
    struct svm_model *(*train)(const struct svm_problem *prob, const struct svm_parameter *param);
    double (*predict)(const struct svm_model *model, const struct svm_node *x);
    double (*predict_values)(const struct svm_model *model, const struct svm_node *x, double *dec);
    double (*predict_probability)(const struct svm_model *model,
                                  const struct svm_node *x,
                                  double *prob);
    const char *(*check_parameter)(const struct svm_problem *prob,
                                   const struct svm_parameter *param);
    void (*free_and_destroy_model)(struct svm_model **model);
} crm__svm_lib;

/* The functions, set by the first successful crm__svm_lib_load; use them only after it. */
extern crm__svm_lib crm__svm;

/* Open LIBSVM once (its printing silenced). CRM_EUNSUPPORTED, naming libsvm.so.3 and
 * dlerror's reason, when it cannot be loaded. */
crm_status crm__svm_lib_load(crm_error *err);

/* svm_free_and_destroy_model. A model exists only once LIBSVM is loaded; should it not be,
 * nothing is freed rather than calling through a NULL pointer. */
void crm__svm_free_model(struct svm_model **model);
#endif

#endif
