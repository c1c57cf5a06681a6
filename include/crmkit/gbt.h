/* crmkit/gbt.h: parameters of histogram gradient-boosted trees, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements histogram gradient-boosted trees replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_GBT_H
#define CRMKIT_GBT_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_gbt_params {
    int32_t reserved; /* placeholder field */
} crm_gbt_params;

CRM_API crm_gbt_params crm_gbt_params_default(void);
CRM_API crm_status crm_gbt_params_check(const crm_gbt_params *p, crm_error *err);

#endif
