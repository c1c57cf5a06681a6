/* c45_internal.h: shared by the C4.5 files (c45_grow.c, c45_prune.c, c45_model.c). */
#ifndef CRM_C45_INTERNAL_H
#define CRM_C45_INTERNAL_H
#include <stdint.h>

#include <crmkit/c45.h>
#include <crmkit/matrix.h>

#include "classify_internal.h"

/* Weka's tolerance for comparing weights and criteria (Utils.SMALL). */
#define C45_SMALL 1e-6

/* A node of the growing tree. Nodes live in one growable array (the pool) and refer to each
 * other by index; children of a node are contiguous. Weights live in a second array. */
typedef struct c45_node {
    int32_t attr;    /* split attribute, -1 for a leaf */
    int32_t n_child; /* 2 for a threshold, n_levels for a categorical split */
    int64_t child;   /* index of the first child */
    double thr;      /* numeric split: x <= thr goes to child 0 */
    int64_t dist;    /* offset of k class weights (all rows reaching the node) */
    int64_t bag;     /* offset of n_child branch weights (unknowns spread pro rata) */
} c45_node;

/* Rows reaching a node, with their (fractional) weights. */
typedef struct c45_items {
    int64_t n;
    int32_t *row;
    double *w;
} c45_items;

typedef struct c45_tree {
    const crm_matrix *x;
    const int32_t *y;
    int32_t k;
    int32_t d;
    const int32_t *n_levels; /* [d]: 0 numeric */
    crm_c45_params p;
    c45_node *nodes;
    int64_t n_nodes;
    int64_t cap_nodes;
    double *dbl;
    int64_t n_dbl;
    int64_t cap_dbl;
    int nomem; /* sticky allocation failure of the pools */
} c45_tree;

/* Pools (c45_grow.c): a new node, or -1 when out of memory (tree->nomem set). */
int64_t crm__c45_new_nodes(c45_tree *t, int32_t n);
int64_t crm__c45_new_doubles(c45_tree *t, int64_t n);
/* x ln x, 0 for x <= 0. */
double crm__c45_lnf(double x);

/* Route items through the split of node ni into per-child item sets, spreading rows with a
 * missing value by the node's branch weights (recomputed from items when `reset`: the branch
 * weights and class weights of the node are then rewritten, as Weka's resetDistribution). */
crm_status
crm__c45_split_items(c45_tree *t, int64_t ni, const c45_items *in, int reset, c45_items *out);
void crm__c45_items_free(c45_items *v, int32_t n);

/* Pessimistic pruning with subtree raising (c45_prune.c), after collapsing. */
crm_status crm__c45_prune(c45_tree *t, const c45_items *root, crm_error *err);
/* Leaves and nodes of the subtree at ni. */
void crm__c45_count(const c45_tree *t, int64_t ni, int64_t *n_leaves, int64_t *n_nodes);

#endif
