/* crmkit/vote.h: parameters of the voting ensemble, one of the algorithms of crm_classifier
 * (crmkit/classify.h).
 *
 * PLACEHOLDER written with the classifier framework so that classify.h compiles: the engineer
 * who implements the voting ensemble replaces this whole file (keep the type and function names). */
#ifndef CRMKIT_VOTE_H
#define CRMKIT_VOTE_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_vote_params {
    int32_t reserved; /* placeholder field */
} crm_vote_params;

CRM_API crm_vote_params crm_vote_params_default(void);
CRM_API crm_status crm_vote_params_check(const crm_vote_params *p, crm_error *err);

#endif
