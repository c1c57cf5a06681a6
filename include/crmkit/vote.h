/* crmkit/vote.h: parameters of the voting ensemble, one of the algorithms of crm_classifier
 * (crmkit/classify.h). The members are listed in crm_classifier_params.members (the seed's
 * ensemble is mlp, c45, svm); each member is fitted on the same training rows with its own
 * params struct, and the model file holds every member.
 *
 * Hard vote: each member votes for its most probable class (ties: lowest class index); the
 * class with the most votes wins. Tie rule: among classes with the same number of votes, the
 * one with the highest mean member probability wins, then the lowest class index. The
 * scores it reports as probabilities are (votes_c + mean_prob_c) / (n_members + 1): they sum
 * to 1, their argmax is exactly the vote with that tie rule, and within a vote count they
 * rank rows by the mean probability (so ROC AUC and gains tables stay meaningful).
 *
 * With weights, a member's vote counts weight x n_members / (sum of weights) and the mean is
 * the weighted mean: the class with the largest votes + mean wins (ties: lowest index).
 *
 * Soft vote: the weighted mean of the members' probabilities (weights default to 1); the
 * most probable class wins, ties to the lowest class index. */
#ifndef CRMKIT_VOTE_H
#define CRMKIT_VOTE_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

#define CRM_VOTE_MAX_WEIGHTS 8

typedef enum crm_vote_kind {
    CRM_VOTE_HARD = 0,
    CRM_VOTE_SOFT = 1
} crm_vote_kind;

typedef struct crm_vote_params {
    crm_vote_kind kind;                   /* default hard (majority) */
    double weights[CRM_VOTE_MAX_WEIGHTS]; /* per member, > 0; used by both kinds */
    int32_t n_weights;                    /* 0 = all 1 (default), else one per member */
} crm_vote_params;

CRM_API crm_vote_params crm_vote_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_vote_params_check(const crm_vote_params *p, crm_error *err);

#endif
