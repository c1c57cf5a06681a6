/* crmkit/knn.h: parameters of k nearest neighbours, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements k nearest neighbours replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_KNN_H
#define CRMKIT_KNN_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_knn_params {
    int32_t reserved; /* placeholder field */
} crm_knn_params;

CRM_API crm_knn_params crm_knn_params_default(void);
CRM_API crm_status crm_knn_params_check(const crm_knn_params *p, crm_error *err);

#endif
