/* crmkit/logreg.h: parameters of logistic regression, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements logistic regression replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_LOGREG_H
#define CRMKIT_LOGREG_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_logreg_params {
    int32_t reserved; /* placeholder field */
} crm_logreg_params;

CRM_API crm_logreg_params crm_logreg_params_default(void);
CRM_API crm_status crm_logreg_params_check(const crm_logreg_params *p, crm_error *err);

#endif
