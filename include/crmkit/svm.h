/* crmkit/svm.h: parameters of the SVM (LIBSVM C-SVC), one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements the SVM (LIBSVM C-SVC) replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_SVM_H
#define CRMKIT_SVM_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_svm_params {
    int32_t reserved; /* placeholder field */
} crm_svm_params;

CRM_API crm_svm_params crm_svm_params_default(void);
CRM_API crm_status crm_svm_params_check(const crm_svm_params *p, crm_error *err);

#endif
