/* crmkit/c45.h: parameters of the C4.5 decision tree (Quinlan 1993), one of the algorithms of
 * crm_classifier (crmkit/classify.h).
 *
 * Splits are chosen by gain ratio among the candidates whose information gain is at least
 * the average gain (Quinlan's filter); numeric features split on a threshold, categorical
 * features split multiway (one branch per training level). Missing values are handled as
 * C4.5 does: rows with the value missing are left out of the gain (which is scaled by the
 * known fraction) and go down every branch with a fractional weight. The grown tree is
 * pruned by pessimistic error with confidence factor `confidence` (subtree replacement and,
 * optionally, subtree raising). docs/algorithms/c45.md has the details. */
#ifndef CRMKIT_C45_H
#define CRMKIT_C45_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_c45_params {
    double confidence;       /* pruning confidence factor in (0, 0.5]; default 0.25 (J48's -C) */
    double min_leaf;         /* minimum (weighted) rows in at least two branches; default 2 */
    int32_t prune;           /* 1 = pessimistic-error pruning (default), 0 = keep the grown tree */
    int32_t subtree_raising; /* 1 = also try raising the largest branch (default, as J48) */
    int32_t max_depth;       /* 0 = unlimited */
    /* 1 = leaf probabilities with the Laplace correction, (n_c + 1) / (n + K), as C4.5's own
     * probability estimates (default): a leaf of 3 churners out of 3 scores 0.8, one of 300
     * out of 300 scores 0.997, so a ranking by risk has few ties. 0 = the raw leaf shares
     * n_c / n (as Weka's J48 without -A). The predicted class is the same either way. */
    int32_t laplace;
} crm_c45_params;

CRM_API crm_c45_params crm_c45_params_default(void);
/** CRM_EINVAL naming the field when a value is out of range. */
CRM_API crm_status crm_c45_params_check(const crm_c45_params *p, crm_error *err);

#endif
