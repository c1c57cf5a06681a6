/* vote_internal.h: the vote's combination rule, exposed to the unit tests. */
#ifndef CRM_VOTE_INTERNAL_H
#define CRM_VOTE_INTERNAL_H
#include <stdint.h>

#include <crmkit/vote.h>

/* Combine member probabilities member_proba[m][n_rows * n_classes] (weights[m] > 0) into
 * out[n_rows * n_classes] by the rule of crmkit/vote.h. */
void crm__vote_combine(crm_vote_kind kind,
                       int32_t n_members,
                       const double *const *member_proba,
                       const double *weights,
                       int64_t n_rows,
                       int32_t n_classes,
                       double *out);

#endif
