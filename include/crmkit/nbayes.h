/* crmkit/nbayes.h: parameters of naive Bayes, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements naive Bayes replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_NBAYES_H
#define CRMKIT_NBAYES_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_nbayes_params {
    int32_t reserved; /* placeholder field */
} crm_nbayes_params;

CRM_API crm_nbayes_params crm_nbayes_params_default(void);
CRM_API crm_status crm_nbayes_params_check(const crm_nbayes_params *p, crm_error *err);

#endif
