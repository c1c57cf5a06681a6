/* crmkit/mlp.h: parameters of the multilayer perceptron, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements the multilayer perceptron replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_MLP_H
#define CRMKIT_MLP_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_mlp_params {
    int32_t reserved; /* placeholder field */
} crm_mlp_params;

CRM_API crm_mlp_params crm_mlp_params_default(void);
CRM_API crm_status crm_mlp_params_check(const crm_mlp_params *p, crm_error *err);

#endif
