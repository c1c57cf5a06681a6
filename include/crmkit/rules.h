/* crmkit/rules.h: association rules from frequent itemsets, per segment, saved with their item
 * dictionary, and service recommendations from them.
 *
 * A crm_rules object holds one item dictionary (names, ids 0..n_items-1) and one or more rule
 * sets. Set 0 is always the whole population ("all"); further sets are segments, each mined
 * from its own customers' baskets. Every set keeps, besides its rules, the number of
 * transactions, the count of every item (for popularity fallbacks) and its distinctive
 * itemsets (support in the segment against the population).
 *
 * Metrics of a rule X -> Y over N transactions, with c(.) the number of transactions holding
 * an itemset (docs/algorithms/rules.md):
 *   support    = c(XY) / N
 *   confidence = c(XY) / c(X)
 *   lift       = c(XY) N / (c(X) c(Y))
 *   leverage   = c(XY) / N - c(X) c(Y) / N^2
 *   conviction = (1 - c(Y)/N) / (1 - confidence), +inf when confidence = 1
 * They are computed from the integer counts with one rounding each, so equal ratios compare
 * equal and sorting is reproducible.
 *
 * Thread safety: a built or loaded crm_rules may be read (accessors, recommend, save, CSV)
 * from any number of threads at once; building needs exclusive access. */
#ifndef CRMKIT_RULES_H
#define CRMKIT_RULES_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/fim.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_rules crm_rules; /* opaque */

typedef enum crm_rules_sort {
    CRM_RULES_SORT_LIFT = 0,      /* lift, confidence, support, then items */
    CRM_RULES_SORT_CONFIDENCE = 1 /* confidence, lift, support, then items */
} crm_rules_sort;

typedef struct crm_rules_params { /* transparent; start from _params_default() */
    double min_conf;              /* keep rules with confidence >= min_conf, in [0, 1]; 0.5 */
    crm_rules_sort sort;          /* order of the rules in each set; lift */
    int64_t top;                  /* keep the first top rules of each set; 0 = all */
    int64_t max_rules;            /* CRM_ELIMIT when a set has more rules passing min_conf;
                                     5,000,000 */
    double distinct_factor;       /* an itemset is distinctive for a segment when its support
                                     there is >= factor x its population support; 1.5 */
    int32_t distinct_top;         /* distinctive itemsets kept per segment; 20 */
} crm_rules_params;

CRM_API crm_rules_params crm_rules_params_default(void);
CRM_API crm_status crm_rules_params_check(const crm_rules_params *p, crm_error *err);

/* One rule; a value type whose item arrays are borrowed from the rule set (valid until the
 * object is freed). Items are dictionary ids in increasing order. */
typedef struct crm_rule {
    const int32_t *lhs;
    int32_t n_lhs;
    const int32_t *rhs;
    int32_t n_rhs;
    int64_t count;     /* c(XY) */
    int64_t lhs_count; /* c(X) */
    int64_t rhs_count; /* c(Y) */
    double support;
    double confidence;
    double lift;
    double leverage;
    double conviction;
} crm_rule;

/* A distinctive itemset of a segment (borrowed items, as above). */
typedef struct crm_segment_pattern {
    const int32_t *items;
    int32_t n_items;
    int64_t count;      /* transactions of the segment holding the itemset */
    int64_t pop_count;  /* transactions of the population holding it */
    double support;     /* count / segment transactions */
    double pop_support; /* pop_count / population transactions */
    double ratio;       /* support / pop_support */
} crm_segment_pattern;

/* Frequent itemsets of one set, as flat arrays (borrowed for the call): itemset i has items
 * items[offsets[i] .. offsets[i+1]) (ids in increasing order) and support count counts[i].
 * Every subset of a listed itemset must be listed too (true of all frequent itemsets). */
typedef struct crm_rules_itemsets {
    int64_t n_itemsets;
    const int64_t *offsets; /* n_itemsets + 1 */
    const int32_t *items;
    const int64_t *counts;
    int64_t n_transactions;
    int64_t min_count;          /* the support threshold used, for the record */
    const int64_t *item_counts; /* count of every dictionary item in these transactions
                                   (n_items); NULL = take them from the 1-itemsets */
} crm_rules_itemsets;

/** New object with an item dictionary of n_items distinct names (copied) and no set yet.
 *  Errors: CRM_EINVAL (NULL or duplicate name), CRM_ENOMEM. */
CRM_API crm_status crm_rules_new(const char *const *item_names,
                                 int32_t n_items,
                                 crm_rules **out,
                                 crm_error *err);
CRM_API void crm_rules_free(crm_rules *r); /* NULL is a no-op */

/** Derive the rules of one set from its frequent itemsets and append the set under name
 *  (the first set should be the population, conventionally "all"). Rules X -> Y are all
 *  splits of each itemset into two non-empty parts with confidence >= p->min_conf, sorted
 *  by p->sort with a total order and cut to p->top. Errors: CRM_EINVAL (bad params,
 *  duplicate set name, item id out of range), CRM_EDATA (a subset of an itemset missing),
 *  CRM_ELIMIT (more than p->max_rules rules), CRM_ENOMEM.
 *  Complexity: sum over itemsets Z of the splits tried, at most 2^|Z| each, pruned by the
 *  anti-monotony of confidence in the consequent. */
CRM_API crm_status crm_rules_add_set(crm_rules *r,
                                     const char *name,
                                     const crm_rules_itemsets *sets,
                                     const crm_rules_params *p,
                                     crm_error *err);

/** Attach distinctive itemsets to set s (copied), replacing earlier ones. Used by the miner
 *  glue; patterns[i].items must be ids in increasing order. */
CRM_API crm_status crm_rules_set_patterns(crm_rules *r,
                                          int32_t s,
                                          const crm_segment_pattern *patterns,
                                          int64_t n,
                                          crm_error *err);

/* Segments of a database's transactions, for crm_rules_mine (all borrowed for the call). */
typedef struct crm_rules_segments {
    const int32_t *segment_of; /* per transaction: 0..n_segments-1, or -1 = none */
    const char *const *names;  /* n_segments distinct names; "all" is reserved */
    int32_t n_segments;
} crm_rules_segments;

/** Mine db (borrowed) and derive rules: set 0 ("all") from every transaction, then one set
 *  per segment from that segment's transactions only (fim params apply to each; a fraction
 *  minsup is a fraction of the segment's transactions), each with its distinctive itemsets:
 *  itemsets frequent in the segment whose support there is >= rp->distinct_factor x their
 *  support in the population, by that ratio (then support, then items), at most
 *  rp->distinct_top. fp->mode and fp->min_len are ignored (rules need every frequent
 *  itemset). segs may be NULL. The item dictionary is db's. On success *out owns a new
 *  object. Errors: those of crm_fim_mine and crm_rules_add_set, CRM_EINVAL (bad segments).
 *  Deterministic for any thread count. */
CRM_API crm_status crm_rules_mine(const crm_fim_db *db,
                                  const crm_fim_params *fp,
                                  const crm_rules_params *rp,
                                  const crm_rules_segments *segs,
                                  const crm_progress *progress,
                                  crm_rules **out,
                                  crm_error *err);

/* ---- reading ---- */

CRM_API int32_t crm_rules_n_items(const crm_rules *r);
/** Borrowed name of item id, NULL when out of range. */
CRM_API const char *crm_rules_item_name(const crm_rules *r, int32_t id);
/** Id of the item called name, or -1. */
CRM_API int32_t crm_rules_find_item(const crm_rules *r, const char *name);
CRM_API int32_t crm_rules_n_sets(const crm_rules *r);
CRM_API const char *crm_rules_set_name(const crm_rules *r, int32_t s);
/** Index of the set called name, or -1. */
CRM_API int32_t crm_rules_find_set(const crm_rules *r, const char *name);
CRM_API int64_t crm_rules_set_n_transactions(const crm_rules *r, int32_t s);
CRM_API int64_t crm_rules_set_min_count(const crm_rules *r, int32_t s);
/** Count of item id in the transactions of set s (0 when out of range). */
CRM_API int64_t crm_rules_set_item_count(const crm_rules *r, int32_t s, int32_t id);
CRM_API int64_t crm_rules_n_rules(const crm_rules *r, int32_t s);
/** Rule i of set s in sorted order. Errors: CRM_EINVAL (index out of range). */
CRM_API crm_status
crm_rules_rule(const crm_rules *r, int32_t s, int64_t i, crm_rule *out, crm_error *err);
CRM_API int64_t crm_rules_n_patterns(const crm_rules *r, int32_t s);
CRM_API crm_status crm_rules_pattern(const crm_rules *r,
                                     int32_t s,
                                     int64_t i,
                                     crm_segment_pattern *out,
                                     crm_error *err);
/** The parameters the rules were derived with (min_conf, sort, top). */
CRM_API crm_rules_params crm_rules_get_params(const crm_rules *r);

/* ---- files ---- */

/** Save as a model file of kind "rules" (docs/formats/model-file.md), atomically.
 *  Errors: CRM_EIO, CRM_ENOMEM. */
CRM_API crm_status crm_rules_save(const crm_rules *r, const char *path, crm_error *err);
/** Load a rules file. Every count, id, length and order is checked, so a damaged or foreign
 *  file is CRM_EFORMAT with a message (never a crash). Errors: CRM_ENOTFOUND, CRM_EIO,
 *  CRM_EFORMAT, CRM_ENOMEM. */
CRM_API crm_status crm_rules_load(const char *path, crm_rules **out, crm_error *err);
/** The same from bytes in memory; source names them in messages. */
CRM_API crm_status crm_rules_load_mem(const void *data,
                                      size_t len,
                                      const char *source,
                                      crm_rules **out,
                                      crm_error *err);
/** Write the rules of set s (or of every set when s < 0, with a "segment" column) as CSV:
 *  [segment,]antecedent,consequent,support,confidence,lift,leverage,conviction,count,
 *  antecedent_count,consequent_count; items joined by sep_items (e.g. " " or ";"). Written
 *  atomically to path ("-" = stdout). Errors: CRM_EIO, CRM_EINVAL. */
CRM_API crm_status crm_rules_write_csv(const crm_rules *r,
                                       int32_t s,
                                       const char *path,
                                       crm_error *err);

/* ---- recommendation ---- */

typedef enum crm_rec_source {
    CRM_REC_RULE = 0,      /* fired by a rule whose antecedent the basket holds */
    CRM_REC_POPULARITY = 1 /* no (further) rule fired: the set's most frequent items */
} crm_rec_source;

typedef struct crm_recommendation {
    int32_t item; /* dictionary id of the recommended item */
    crm_rec_source source;
    int64_t rule;      /* index of the best rule that fired (in set order); -1 */
    double confidence; /* of that rule; for popularity: item count / transactions */
    double lift;       /* of that rule; 0 for popularity */
    int64_t count;     /* c(XY) of that rule; for popularity: the item's count */
} crm_recommendation;

/** Up to top items of set s that the basket (ids, any order, duplicates and -1 ignored) does
 *  not hold. Each candidate takes the best rule that fires for it (antecedent in the basket,
 *  candidate in the consequent) by confidence, then lift, then c(XY), then rule order;
 *  candidates are ranked the same way, ties by item name. When fewer than top come from
 *  rules the rest are the set's most frequent items (count, then name). out[top] is
 *  caller-owned; *n_out receives how many were written. Errors: CRM_EINVAL. */
CRM_API crm_status crm_rules_recommend(const crm_rules *r,
                                       int32_t s,
                                       const int32_t *basket,
                                       int32_t n_basket,
                                       int32_t top,
                                       crm_recommendation *out,
                                       int32_t *n_out,
                                       crm_error *err);

#endif
