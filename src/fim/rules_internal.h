/* rules_internal.h: the layout of crm_rules, shared by rules.c (building), rules_io.c (file
 * and CSV) and rules_recommend.c. Private to src/fim. */
#ifndef CRM_RULES_INTERNAL_H
#define CRM_RULES_INTERNAL_H
#include <stdint.h>

#include <crmkit/model.h>
#include <crmkit/rules.h>

/* A rule's items sit in its set's pool: lhs at pool[off], rhs right after it. */
typedef struct crm__rule_rec {
    int64_t off;
    int32_t n_lhs;
    int32_t n_rhs;
    int64_t count;
    int64_t lhs_count;
    int64_t rhs_count;
} crm__rule_rec;

typedef struct crm__pattern_rec {
    int64_t off;
    int32_t n_items;
    int64_t count;
    int64_t pop_count;
} crm__pattern_rec;

typedef struct crm__rules_set {
    char *name;
    int64_t n_transactions;
    int64_t min_count;
    int64_t *item_counts; /* n_items */
    int64_t n_rules;
    crm__rule_rec *rules;
    int32_t *pool;
    int64_t pool_len;
    int64_t n_patterns;
    crm__pattern_rec *patterns;
    int32_t *ppool;
    int64_t ppool_len;
} crm__rules_set;

struct crm_rules {
    int32_t n_items;
    char **names;
    int32_t *by_name; /* ids sorted by name, for lookups */
    int32_t n_sets;
    int64_t cap_sets;
    crm__rules_set *sets;
    crm_rules_params params;
};

/* Largest accepted sizes, also the limits the file loader enforces. */
#define CRM_RULES_MAX_ITEMS 10000000
#define CRM_RULES_MAX_SETS  100000
#define CRM_RULES_MAX_NAME  CRM_MODEL_MAX_NAME
#define CRM_RULES_MAX_LEN   62

/* Empty object with a copied dictionary (no sets). */
crm_status crm__rules_alloc(int32_t n_items, crm_rules **out, crm_error *err);
/* Take ownership of names (n_items strings, each crm_malloc'ed) and build the name index;
 * CRM_EINVAL on a duplicate. */
crm_status crm__rules_index_names(crm_rules *r, crm_error *err);
/* Append an empty set called name (copied); returns its index in *s. */
crm_status crm__rules_push_set(crm_rules *r, const char *name, int32_t *s, crm_error *err);
void crm__rules_set_fini(crm__rules_set *set);
/* Metrics of a rule from its counts over n transactions. */
void crm__rules_metrics(int64_t count,
                        int64_t lhs_count,
                        int64_t rhs_count,
                        int64_t n,
                        crm_rule *out);

#endif
