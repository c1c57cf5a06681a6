/* rules.c: association rules from frequent itemsets (Agrawal & Srikant, "Fast algorithms for
 * mining association rules", VLDB 1994, rule generation step).
 *
 * The itemsets of one set are indexed in an open-addressing hash table keyed by their item
 * sequence, so the support of any subset is one lookup. For each itemset Z the consequents
 * Y are enumerated depth first, adding items of Z in increasing order; confidence
 * c(Z)/c(Z\Y) can only fall when Y grows, so a failing Y prunes all its extensions. Rules
 * are then sorted with a total order (metric keys, then the item sequences) and cut to top,
 * so the output never depends on the itemsets' input order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rules.h>

#include "core/core_internal.h"
#include "rules_internal.h"

crm_rules_params crm_rules_params_default(void)
{
    return (crm_rules_params){ .min_conf = 0.5,
                               .sort = CRM_RULES_SORT_LIFT,
                               .max_rules = 5000000,
                               .distinct_factor = 1.5,
                               .distinct_top = 20 };
}

crm_status crm_rules_params_check(const crm_rules_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "rules parameters are NULL");
    }
    if (!(p->min_conf >= 0.0 && p->min_conf <= 1.0)) {
        crm__error_set(err, CRM_EINVAL, "minimum confidence must be in [0, 1], got %g",
                       p->min_conf);
        crm__error_field(err, "min_conf");
        return CRM_EINVAL;
    }
    if (p->sort != CRM_RULES_SORT_LIFT && p->sort != CRM_RULES_SORT_CONFIDENCE) {
        crm__error_set(err, CRM_EINVAL, "unknown sort order %d", (int)p->sort);
        crm__error_field(err, "sort");
        return CRM_EINVAL;
    }
    if (p->top < 0 || p->max_rules < 1) {
        crm__error_set(err, CRM_EINVAL, "top must be >= 0 and max_rules >= 1");
        crm__error_field(err, p->top < 0 ? "top" : "max_rules");
        return CRM_EINVAL;
    }
    if (!(p->distinct_factor >= 1.0) || !isfinite(p->distinct_factor) || p->distinct_top < 0) {
        crm__error_set(err, CRM_EINVAL,
                       "distinct_factor must be finite and >= 1, "
                       "distinct_top >= 0");
        crm__error_field(err, "distinct_factor");
        return CRM_EINVAL;
    }
    return CRM_OK;
}

void crm__rules_metrics(int64_t count,
                        int64_t lhs_count,
                        int64_t rhs_count,
                        int64_t n,
                        crm_rule *out)
{
    double c = (double)count;
    double cx = (double)lhs_count;
    double cy = (double)rhs_count;
    double dn = (double)n;
    out->count = count;
    out->lhs_count = lhs_count;
    out->rhs_count = rhs_count;
    out->support = n > 0 ? c / dn : 0.0;
    out->confidence = lhs_count > 0 ? c / cx : 0.0;
    out->lift = lhs_count > 0 && rhs_count > 0 ? (c * dn) / (cx * cy) : 0.0;
    out->leverage = n > 0 ? (c * dn - cx * cy) / (dn * dn) : 0.0;
    if (count >= lhs_count) {
        out->conviction = (double)INFINITY;
    } else {
        out->conviction = ((dn - cy) * cx) / (dn * (cx - c));
    }
}

/* ---- object ---- */

static int cmp_name(const void *a, const void *b, const char *const *names)
{
    return strcmp(names[*(const int32_t *)a], names[*(const int32_t *)b]);
}

/* Heap sort of ids by name: qsort has no context argument in C11. */
static void sift(int32_t *ids, int64_t root, int64_t n, const char *const *names)
{
    for (;;) {
        int64_t child = 2 * root + 1;
        if (child >= n) {
            return;
        }
        if (child + 1 < n && cmp_name(&ids[child], &ids[child + 1], names) < 0) {
            child++;
        }
        if (cmp_name(&ids[root], &ids[child], names) >= 0) {
            return;
        }
        int32_t t = ids[root];
        ids[root] = ids[child];
        ids[child] = t;
        root = child;
    }
}

static void sort_ids_by_name(int32_t *ids, int64_t n, const char *const *names)
{
    for (int64_t i = n / 2 - 1; i >= 0; i--) {
        sift(ids, i, n, names);
    }
    for (int64_t end = n - 1; end > 0; end--) {
        int32_t t = ids[0];
        ids[0] = ids[end];
        ids[end] = t;
        sift(ids, 0, end, names);
    }
}

crm_status crm__rules_alloc(int32_t n_items, crm_rules **out, crm_error *err)
{
    crm_rules *r;
    *out = NULL;
    if (n_items < 0 || n_items > CRM_RULES_MAX_ITEMS) {
        return crm__error_set(err, CRM_EINVAL, "item count %d out of range", (int)n_items);
    }
    r = crm_calloc(1, sizeof *r);
    if (r == NULL) {
        return crm__error_nomem(err);
    }
    r->n_items = n_items;
    r->params = crm_rules_params_default();
    r->names = crm_calloc((size_t)n_items + 1, sizeof *r->names);
    r->by_name = crm_calloc((size_t)n_items + 1, sizeof *r->by_name);
    if (r->names == NULL || r->by_name == NULL) {
        crm_rules_free(r);
        return crm__error_nomem(err);
    }
    *out = r;
    return CRM_OK;
}

crm_status crm__rules_index_names(crm_rules *r, crm_error *err)
{
    for (int32_t i = 0; i < r->n_items; i++) {
        r->by_name[i] = i;
    }
    sort_ids_by_name(r->by_name, r->n_items, (const char *const *)r->names);
    for (int32_t i = 1; i < r->n_items; i++) {
        if (strcmp(r->names[r->by_name[i - 1]], r->names[r->by_name[i]]) == 0) {
            return crm__error_set(err, CRM_EINVAL, "item name \"%s\" appears twice",
                                  r->names[r->by_name[i]]);
        }
    }
    return CRM_OK;
}

crm_status
crm_rules_new(const char *const *item_names, int32_t n_items, crm_rules **out, crm_error *err)
{
    crm_rules *r = NULL;
    crm_status rc;
    *out = NULL;
    if (item_names == NULL && n_items > 0) {
        return crm__error_set(err, CRM_EINVAL, "item names are NULL");
    }
    rc = crm__rules_alloc(n_items, &r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int32_t i = 0; i < n_items; i++) {
        if (item_names[i] == NULL) {
            crm_rules_free(r);
            return crm__error_set(err, CRM_EINVAL, "item name %d is NULL", (int)i);
        }
        r->names[i] = crm_strdup(item_names[i]);
        if (r->names[i] == NULL) {
            crm_rules_free(r);
            return crm__error_nomem(err);
        }
    }
    rc = crm__rules_index_names(r, err);
    if (rc != CRM_OK) {
        crm_rules_free(r);
        return rc;
    }
    *out = r;
    return CRM_OK;
}

void crm__rules_set_fini(crm__rules_set *set)
{
    CRM__FREE(set->name, set->item_counts, set->rules, set->pool, set->patterns, set->ppool);
    memset(set, 0, sizeof *set);
}

void crm_rules_free(crm_rules *r)
{
    if (r == NULL) {
        return;
    }
    for (int32_t s = 0; s < r->n_sets; s++) {
        crm__rules_set_fini(&r->sets[s]);
    }
    crm_free(r->sets);
    if (r->names != NULL) {
        for (int32_t i = 0; i < r->n_items; i++) {
            crm_free(r->names[i]);
        }
    }
    CRM__FREE(r->names, r->by_name, r);
}

crm_status crm__rules_push_set(crm_rules *r, const char *name, int32_t *s, crm_error *err)
{
    crm__rules_set *set;
    if (name == NULL || name[0] == '\0' || strlen(name) > CRM_RULES_MAX_NAME) {
        return crm__error_set(err, CRM_EINVAL, "a rule set needs a non-empty name");
    }
    if (crm_rules_find_set(r, name) >= 0) {
        return crm__error_set(err, CRM_EINVAL, "rule set \"%s\" exists already", name);
    }
    if (r->n_sets >= CRM_RULES_MAX_SETS) {
        return crm__error_set(err, CRM_ELIMIT, "more than %d rule sets", CRM_RULES_MAX_SETS);
    }
    if (!crm__grow_items(&r->sets, &r->cap_sets, r->n_sets + 1, sizeof *r->sets, 4)) {
        return crm__error_nomem(err);
    }
    set = &r->sets[r->n_sets];
    memset(set, 0, sizeof *set);
    set->name = crm_strdup(name);
    set->item_counts = crm_calloc((size_t)r->n_items + 1, sizeof *set->item_counts);
    if (set->name == NULL || set->item_counts == NULL) {
        crm__rules_set_fini(set);
        return crm__error_nomem(err);
    }
    *s = r->n_sets++;
    return CRM_OK;
}

/* ---- itemset index ---- */

typedef struct iset_index {
    const crm_rules_itemsets *sets;
    int64_t *slots; /* itemset index + 1, 0 = empty */
    uint64_t mask;
} iset_index;

/* An itemset's slot: the keyed hash of its codes' bytes (a crafted file cannot aim sets at one
 * slot). */
static uint64_t hash_items(const int32_t *items, int32_t n)
{
    return crm__hash_bytes(items, (size_t)n * sizeof *items);
}

static crm_status index_build(iset_index *ix, const crm_rules_itemsets *sets, crm_error *err)
{
    uint64_t cap = 16;
    ix->sets = sets;
    while (cap < (uint64_t)sets->n_itemsets * 2) {
        cap <<= 1;
    }
    ix->slots = crm_calloc(cap, sizeof *ix->slots);
    if (ix->slots == NULL) {
        return crm__error_nomem(err);
    }
    ix->mask = cap - 1;
    for (int64_t i = 0; i < sets->n_itemsets; i++) {
        const int32_t *it = sets->items + sets->offsets[i];
        int32_t n = (int32_t)(sets->offsets[i + 1] - sets->offsets[i]);
        uint64_t h = hash_items(it, n) & ix->mask;
        while (ix->slots[h] != 0) {
            h = (h + 1) & ix->mask;
        }
        ix->slots[h] = i + 1;
    }
    return CRM_OK;
}

/* Support count of items[n], or -1 when the itemset is not listed. */
static int64_t index_count(const iset_index *ix, const int32_t *items, int32_t n)
{
    uint64_t h = hash_items(items, n) & ix->mask;
    const crm_rules_itemsets *sets = ix->sets;
    while (ix->slots[h] != 0) {
        int64_t i = ix->slots[h] - 1;
        int64_t len = sets->offsets[i + 1] - sets->offsets[i];
        if (len == n &&
            memcmp(sets->items + sets->offsets[i], items, (size_t)n * sizeof *items) == 0) {
            return sets->counts[i];
        }
        h = (h + 1) & ix->mask;
    }
    return -1;
}

/* ---- rule generation ---- */

typedef struct gen_rule {
    const int32_t *items; /* lhs then rhs, in the generation pool */
    int32_t n_lhs;
    int32_t n_rhs;
    int64_t count;
    int64_t lhs_count;
    int64_t rhs_count;
    double confidence;
    double lift;
} gen_rule;

typedef struct gen_state {
    const iset_index *ix;
    const crm_rules_params *p;
    int64_t n;
    const int32_t *z;
    int32_t len;
    int64_t z_count;
    int32_t lhs[CRM_RULES_MAX_LEN];
    int32_t rhs[CRM_RULES_MAX_LEN];
    /* rules found so far; items appended to pool (offsets kept in gen_rule.items as index
       until the pool stops moving) */
    gen_rule *rules;
    int64_t n_rules;
    int64_t cap_rules;
    int32_t *pool;
    int64_t pool_len;
    int64_t cap_pool;
    crm_error *err;
} gen_state;

static crm_status
gen_emit(gen_state *g, int32_t n_lhs, int32_t n_rhs, int64_t lhs_count, int64_t rhs_count)
{
    gen_rule *rule;
    crm_rule m;
    if (g->n_rules >= g->p->max_rules) {
        return crm__error_set(g->err, CRM_ELIMIT,
                              "more than %lld rules pass the minimum confidence; raise the "
                              "minimum support or confidence",
                              (long long)g->p->max_rules);
    }
    if ((g->n_rules == g->cap_rules &&
         !crm__grow_items(&g->rules, &g->cap_rules, g->n_rules + 1, sizeof *g->rules, 1024)) ||
        (g->pool_len + n_lhs + n_rhs > g->cap_pool &&
         !crm__grow_items(&g->pool, &g->cap_pool, g->pool_len + n_lhs + n_rhs, sizeof *g->pool,
                          4096))) {
        return crm__error_nomem(g->err);
    }
    rule = &g->rules[g->n_rules++];
    rule->items = (const int32_t *)(intptr_t)g->pool_len; /* fixed up after generation */
    memcpy(g->pool + g->pool_len, g->lhs, (size_t)n_lhs * sizeof(int32_t));
    memcpy(g->pool + g->pool_len + n_lhs, g->rhs, (size_t)n_rhs * sizeof(int32_t));
    g->pool_len += n_lhs + n_rhs;
    rule->n_lhs = n_lhs;
    rule->n_rhs = n_rhs;
    crm__rules_metrics(g->z_count, lhs_count, rhs_count, g->n, &m);
    rule->count = g->z_count;
    rule->lhs_count = lhs_count;
    rule->rhs_count = rhs_count;
    rule->confidence = m.confidence;
    rule->lift = m.lift;
    return CRM_OK;
}

static crm_status missing_subset(gen_state *g)
{
    return crm__error_set(g->err, CRM_EDATA,
                          "a subset of a frequent itemset of length %d is not among the "
                          "itemsets (mine all frequent itemsets, not closed or maximal ones)",
                          (int)g->len);
}

/* Consequents containing rhs_mask, extended by items at positions >= start. */
static crm_status gen_split(gen_state *g, uint64_t rhs_mask, int32_t start)
{
    uint64_t full = ((uint64_t)1 << g->len) - 1; /* len <= CRM_RULES_MAX_LEN < 64 */
    for (int32_t j = start; j < g->len; j++) {
        uint64_t mask = rhs_mask | ((uint64_t)1 << j);
        int32_t n_lhs = 0;
        int32_t n_rhs = 0;
        int64_t lhs_count;
        int64_t rhs_count;
        crm_status rc;
        if (mask == full) {
            continue;
        }
        for (int32_t k = 0; k < g->len; k++) {
            if (mask & ((uint64_t)1 << k)) {
                g->rhs[n_rhs++] = g->z[k];
            } else {
                g->lhs[n_lhs++] = g->z[k];
            }
        }
        lhs_count = index_count(g->ix, g->lhs, n_lhs);
        if (lhs_count < g->z_count) {
            return missing_subset(g);
        }
        if ((double)g->z_count / (double)lhs_count < g->p->min_conf) {
            continue; /* every larger consequent has a smaller antecedent: fails too */
        }
        rhs_count = index_count(g->ix, g->rhs, n_rhs);
        if (rhs_count < g->z_count) {
            return missing_subset(g);
        }
        rc = gen_emit(g, n_lhs, n_rhs, lhs_count, rhs_count);
        if (rc == CRM_OK) {
            rc = gen_split(g, mask, j + 1);
        }
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

static int cmp_seq(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    int32_t n = na < nb ? na : nb;
    for (int32_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return (na > nb) - (na < nb);
}

static int cmp_desc_d(double a, double b)
{
    return (a < b) - (a > b);
}

static int cmp_desc_i(int64_t a, int64_t b)
{
    return (a < b) - (a > b);
}

static int cmp_items(const gen_rule *a, const gen_rule *b)
{
    int c = cmp_seq(a->items, a->n_lhs, b->items, b->n_lhs);
    if (c != 0) {
        return c;
    }
    return cmp_seq(a->items + a->n_lhs, a->n_rhs, b->items + b->n_lhs, b->n_rhs);
}

static int cmp_by_lift(const void *pa, const void *pb)
{
    const gen_rule *a = pa;
    const gen_rule *b = pb;
    int c = cmp_desc_d(a->lift, b->lift);
    if (c == 0) {
        c = cmp_desc_d(a->confidence, b->confidence);
    }
    if (c == 0) {
        c = cmp_desc_i(a->count, b->count);
    }
    return c != 0 ? c : cmp_items(a, b);
}

static int cmp_by_conf(const void *pa, const void *pb)
{
    const gen_rule *a = pa;
    const gen_rule *b = pb;
    int c = cmp_desc_d(a->confidence, b->confidence);
    if (c == 0) {
        c = cmp_desc_d(a->lift, b->lift);
    }
    if (c == 0) {
        c = cmp_desc_i(a->count, b->count);
    }
    return c != 0 ? c : cmp_items(a, b);
}

static crm_status check_itemsets(const crm_rules *r, const crm_rules_itemsets *sets, crm_error *err)
{
    if (sets == NULL || sets->n_itemsets < 0 || sets->n_transactions < 0 ||
        (sets->n_itemsets > 0 &&
         (sets->offsets == NULL || sets->counts == NULL || sets->items == NULL))) {
        return crm__error_set(err, CRM_EINVAL, "itemsets are missing or malformed");
    }
    for (int64_t i = 0; i < sets->n_itemsets; i++) {
        int64_t len = sets->offsets[i + 1] - sets->offsets[i];
        const int32_t *it = sets->items + sets->offsets[i];
        if (len < 1 || len > CRM_RULES_MAX_LEN) {
            return crm__error_set(err, len < 1 ? CRM_EINVAL : CRM_ELIMIT,
                                  "itemset %lld has %lld items (1 to %d allowed)", (long long)i,
                                  (long long)len, CRM_RULES_MAX_LEN);
        }
        for (int64_t k = 0; k < len; k++) {
            if (it[k] < 0 || it[k] >= r->n_items || (k > 0 && it[k] <= it[k - 1])) {
                return crm__error_set(err, CRM_EINVAL,
                                      "itemset %lld: item ids must be increasing dictionary "
                                      "ids",
                                      (long long)i);
            }
        }
        if (sets->counts[i] < 0 || sets->counts[i] > sets->n_transactions) {
            return crm__error_set(err, CRM_EINVAL, "itemset %lld: count %lld out of range",
                                  (long long)i, (long long)sets->counts[i]);
        }
    }
    return CRM_OK;
}

static crm_status generate(gen_state *g, const crm_rules_itemsets *sets)
{
    for (int64_t i = 0; i < sets->n_itemsets; i++) {
        crm_status rc;
        g->len = (int32_t)(sets->offsets[i + 1] - sets->offsets[i]);
        if (g->len < 2) {
            continue;
        }
        g->z = sets->items + sets->offsets[i];
        g->z_count = sets->counts[i];
        rc = gen_split(g, 0, 0);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

/* Sorted, cut rules into the set's compact storage. */
static crm_status
store_rules(crm__rules_set *set, gen_state *g, const crm_rules_params *p, crm_error *err)
{
    int64_t keep = g->n_rules;
    int64_t pool_len = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < g->n_rules; i++) {
        g->rules[i].items = g->pool + (intptr_t)g->rules[i].items;
    }
    if (g->n_rules > 1) {
        qsort(g->rules, (size_t)g->n_rules, sizeof *g->rules,
              p->sort == CRM_RULES_SORT_LIFT ? cmp_by_lift : cmp_by_conf);
    }
    if (p->top > 0 && p->top < keep) {
        keep = p->top;
    }
    for (int64_t i = 0; i < keep; i++) {
        pool_len += g->rules[i].n_lhs + g->rules[i].n_rhs;
    }
    set->rules = crm_calloc((size_t)keep + 1, sizeof *set->rules);
    set->pool = crm_calloc((size_t)pool_len + 1, sizeof *set->pool);
    if (set->rules == NULL || set->pool == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < keep; i++) {
        const gen_rule *src = &g->rules[i];
        crm__rule_rec *dst = &set->rules[i];
        int32_t n = src->n_lhs + src->n_rhs;
        dst->off = at;
        dst->n_lhs = src->n_lhs;
        dst->n_rhs = src->n_rhs;
        dst->count = src->count;
        dst->lhs_count = src->lhs_count;
        dst->rhs_count = src->rhs_count;
        memcpy(set->pool + at, src->items, (size_t)n * sizeof(int32_t));
        at += n;
    }
    set->n_rules = keep;
    set->pool_len = pool_len;
    return CRM_OK;
}

crm_status crm_rules_add_set(crm_rules *r,
                             const char *name,
                             const crm_rules_itemsets *sets,
                             const crm_rules_params *p,
                             crm_error *err)
{
    iset_index ix;
    gen_state g;
    crm_status rc;
    int32_t s = -1;
    memset(&ix, 0, sizeof ix);
    memset(&g, 0, sizeof g);
    if (r == NULL) {
        return crm__error_set(err, CRM_EINVAL, "rules object is NULL");
    }
    rc = crm_rules_params_check(p, err);
    if (rc == CRM_OK) {
        rc = check_itemsets(r, sets, err);
    }
    if (rc == CRM_OK) {
        rc = index_build(&ix, sets, err);
    }
    if (rc == CRM_OK) {
        g.ix = &ix;
        g.p = p;
        g.n = sets->n_transactions;
        g.err = err;
        rc = generate(&g, sets);
    }
    if (rc == CRM_OK) {
        rc = crm__rules_push_set(r, name, &s, err);
    }
    if (rc == CRM_OK) {
        crm__rules_set *set = &r->sets[s];
        set->n_transactions = sets->n_transactions;
        set->min_count = sets->min_count;
        if (sets->item_counts != NULL) {
            memcpy(set->item_counts, sets->item_counts, (size_t)r->n_items * sizeof(int64_t));
        } else {
            for (int64_t i = 0; i < sets->n_itemsets; i++) {
                if (sets->offsets[i + 1] - sets->offsets[i] == 1) {
                    set->item_counts[sets->items[sets->offsets[i]]] = sets->counts[i];
                }
            }
        }
        rc = store_rules(set, &g, p, err);
        if (rc != CRM_OK) {
            crm__rules_set_fini(set);
            r->n_sets--;
        }
    }
    if (rc == CRM_OK) {
        r->params = *p;
    }
    CRM__FREE(ix.slots, g.rules, g.pool);
    return rc;
}

crm_status crm_rules_set_patterns(crm_rules *r,
                                  int32_t s,
                                  const crm_segment_pattern *patterns,
                                  int64_t n,
                                  crm_error *err)
{
    crm__rules_set *set;
    int64_t total = 0;
    crm__pattern_rec *recs;
    int32_t *pool;
    if (r == NULL || s < 0 || s >= r->n_sets || n < 0 || (n > 0 && patterns == NULL)) {
        return crm__error_set(err, CRM_EINVAL, "bad arguments to crm_rules_set_patterns");
    }
    for (int64_t i = 0; i < n; i++) {
        if (patterns[i].n_items < 1 || patterns[i].n_items > CRM_RULES_MAX_LEN ||
            patterns[i].items == NULL) {
            return crm__error_set(err, CRM_EINVAL, "pattern %lld is empty or too long",
                                  (long long)i);
        }
        for (int32_t k = 0; k < patterns[i].n_items; k++) {
            int32_t id = patterns[i].items[k];
            if (id < 0 || id >= r->n_items || (k > 0 && id <= patterns[i].items[k - 1])) {
                return crm__error_set(err, CRM_EINVAL, "pattern %lld: bad item ids", (long long)i);
            }
        }
        total += patterns[i].n_items;
    }
    recs = crm_calloc((size_t)n + 1, sizeof *recs);
    pool = crm_calloc((size_t)total + 1, sizeof *pool);
    if (recs == NULL || pool == NULL) {
        crm_free(recs);
        crm_free(pool);
        return crm__error_nomem(err);
    }
    total = 0;
    for (int64_t i = 0; i < n; i++) {
        recs[i].off = total;
        recs[i].n_items = patterns[i].n_items;
        recs[i].count = patterns[i].count;
        recs[i].pop_count = patterns[i].pop_count;
        memcpy(pool + total, patterns[i].items, (size_t)patterns[i].n_items * sizeof *pool);
        total += patterns[i].n_items;
    }
    set = &r->sets[s];
    crm_free(set->patterns);
    crm_free(set->ppool);
    set->patterns = recs;
    set->ppool = pool;
    set->n_patterns = n;
    set->ppool_len = total;
    return CRM_OK;
}

/* ---- accessors ---- */

int32_t crm_rules_n_items(const crm_rules *r)
{
    return r ? r->n_items : 0;
}

const char *crm_rules_item_name(const crm_rules *r, int32_t id)
{
    return (r && id >= 0 && id < r->n_items) ? r->names[id] : NULL;
}

int32_t crm_rules_find_item(const crm_rules *r, const char *name)
{
    int32_t lo = 0;
    int32_t hi;
    if (r == NULL || name == NULL) {
        return -1;
    }
    hi = r->n_items;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->names[r->by_name[mid]], name);
        if (c == 0) {
            return r->by_name[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

int32_t crm_rules_n_sets(const crm_rules *r)
{
    return r ? r->n_sets : 0;
}

const char *crm_rules_set_name(const crm_rules *r, int32_t s)
{
    return (r && s >= 0 && s < r->n_sets) ? r->sets[s].name : NULL;
}

int32_t crm_rules_find_set(const crm_rules *r, const char *name)
{
    if (r == NULL || name == NULL) {
        return -1;
    }
    for (int32_t s = 0; s < r->n_sets; s++) {
        if (strcmp(r->sets[s].name, name) == 0) {
            return s;
        }
    }
    return -1;
}

int64_t crm_rules_set_n_transactions(const crm_rules *r, int32_t s)
{
    return (r && s >= 0 && s < r->n_sets) ? r->sets[s].n_transactions : 0;
}

int64_t crm_rules_set_min_count(const crm_rules *r, int32_t s)
{
    return (r && s >= 0 && s < r->n_sets) ? r->sets[s].min_count : 0;
}

int64_t crm_rules_set_item_count(const crm_rules *r, int32_t s, int32_t id)
{
    if (r == NULL || s < 0 || s >= r->n_sets || id < 0 || id >= r->n_items) {
        return 0;
    }
    return r->sets[s].item_counts[id];
}

int64_t crm_rules_n_rules(const crm_rules *r, int32_t s)
{
    return (r && s >= 0 && s < r->n_sets) ? r->sets[s].n_rules : 0;
}

crm_status crm_rules_rule(const crm_rules *r, int32_t s, int64_t i, crm_rule *out, crm_error *err)
{
    const crm__rules_set *set;
    const crm__rule_rec *rec;
    if (r == NULL || out == NULL || s < 0 || s >= r->n_sets || i < 0 || i >= r->sets[s].n_rules) {
        return crm__error_set(err, CRM_EINVAL, "rule index out of range");
    }
    set = &r->sets[s];
    rec = &set->rules[i];
    crm__rules_metrics(rec->count, rec->lhs_count, rec->rhs_count, set->n_transactions, out);
    out->lhs = set->pool + rec->off;
    out->n_lhs = rec->n_lhs;
    out->rhs = set->pool + rec->off + rec->n_lhs;
    out->n_rhs = rec->n_rhs;
    return CRM_OK;
}

int64_t crm_rules_n_patterns(const crm_rules *r, int32_t s)
{
    return (r && s >= 0 && s < r->n_sets) ? r->sets[s].n_patterns : 0;
}

crm_status crm_rules_pattern(const crm_rules *r,
                             int32_t s,
                             int64_t i,
                             crm_segment_pattern *out,
                             crm_error *err)
{
    const crm__rules_set *set;
    const crm__pattern_rec *rec;
    int64_t pop_n;
    if (r == NULL || out == NULL || s < 0 || s >= r->n_sets || i < 0 ||
        i >= r->sets[s].n_patterns) {
        return crm__error_set(err, CRM_EINVAL, "pattern index out of range");
    }
    set = &r->sets[s];
    rec = &set->patterns[i];
    pop_n = r->sets[0].n_transactions;
    out->items = set->ppool + rec->off;
    out->n_items = rec->n_items;
    out->count = rec->count;
    out->pop_count = rec->pop_count;
    out->support = set->n_transactions > 0 ? (double)rec->count / (double)set->n_transactions : 0.0;
    out->pop_support = pop_n > 0 ? (double)rec->pop_count / (double)pop_n : 0.0;
    out->ratio = (rec->pop_count > 0 && set->n_transactions > 0)
                     ? ((double)rec->count * (double)pop_n) /
                           ((double)rec->pop_count * (double)set->n_transactions)
                     : 0.0;
    return CRM_OK;
}

crm_rules_params crm_rules_get_params(const crm_rules *r)
{
    return r ? r->params : crm_rules_params_default();
}
