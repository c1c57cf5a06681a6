/* rules_recommend.c: services to offer a customer, from the rules their basket fires.
 *
 * A rule X -> Y fires for a basket B when X is a subset of B and Y holds an item not in B.
 * Each such item keeps the best rule that offers it (confidence, then lift, then c(XY), then
 * the rule's position); items are ranked by the same key and then by name, so the answer is
 * a pure function of the rules file and the basket. When the rules offer fewer than top
 * items, the rest come from the set's item counts (popularity), marked as such: a cold start
 * still gets an answer, and the caller can tell the two apart.
 * One pass over the set's rules: O(rules x rule length) per basket. */
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/rules.h>

#include "core/core_internal.h"
#include "rules_internal.h"

typedef struct cand {
    int32_t item;
    int64_t rule;
    double confidence;
    double lift;
    int64_t count;
} cand;

/* Negative when a ranks before b. */
static int cand_cmp(const cand *a, const cand *b, const char *const *names)
{
    if (a->confidence != b->confidence) {
        return a->confidence > b->confidence ? -1 : 1;
    }
    if (a->lift != b->lift) {
        return a->lift > b->lift ? -1 : 1;
    }
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    if (names == NULL) {
        return (a->rule > b->rule) - (a->rule < b->rule);
    }
    return strcmp(names[a->item], names[b->item]);
}

static int holds_all(const unsigned char *in_basket, const int32_t *ids, int32_t n)
{
    for (int32_t k = 0; k < n; k++) {
        if (!in_basket[ids[k]]) {
            return 0;
        }
    }
    return 1;
}

/* Best firing rule per item: best[item].rule = -1 when none. */
static void fire_rules(const crm_rules *r, int32_t s, const unsigned char *in_basket, cand *best)
{
    const crm__rules_set *set = &r->sets[s];
    for (int64_t i = 0; i < set->n_rules; i++) {
        const crm__rule_rec *q = &set->rules[i];
        const int32_t *lhs = set->pool + q->off;
        const int32_t *rhs = lhs + q->n_lhs;
        crm_rule m;
        cand c;
        if (!holds_all(in_basket, lhs, q->n_lhs)) {
            continue;
        }
        crm__rules_metrics(q->count, q->lhs_count, q->rhs_count, set->n_transactions, &m);
        c.rule = i;
        c.confidence = m.confidence;
        c.lift = m.lift;
        c.count = q->count;
        for (int32_t k = 0; k < q->n_rhs; k++) {
            int32_t item = rhs[k];
            if (in_basket[item]) {
                continue;
            }
            c.item = item;
            if (best[item].rule < 0 || cand_cmp(&c, &best[item], NULL) < 0) {
                best[item] = c;
            }
        }
    }
}

/* Insert c into the sorted list out[*n] of at most top entries. */
static void keep_top(cand *out, int32_t *n, int32_t top, const cand *c, const char *const *names)
{
    int32_t pos = *n;
    while (pos > 0 && cand_cmp(c, &out[pos - 1], names) < 0) {
        pos--;
    }
    if (pos >= top) {
        return;
    }
    if (*n < top) {
        (*n)++;
    }
    memmove(&out[pos + 1], &out[pos], (size_t)(*n - 1 - pos) * sizeof *out);
    out[pos] = *c;
}

static void add_popular(const crm_rules *r,
                        int32_t s,
                        const unsigned char *taken,
                        cand *list,
                        int32_t *n,
                        int32_t top)
{
    const crm__rules_set *set = &r->sets[s];
    cand *extra = list + *n;
    int32_t n_extra = 0;
    int32_t room = top - *n;
    for (int32_t item = 0; item < r->n_items && room > 0; item++) {
        cand c;
        if (taken[item] || set->item_counts[item] <= 0) {
            continue;
        }
        c.item = item;
        c.rule = -1;
        c.count = set->item_counts[item];
        c.confidence = (double)c.count / (double)set->n_transactions;
        c.lift = 0.0;
        keep_top(extra, &n_extra, room, &c, (const char *const *)r->names);
    }
    *n += n_extra;
}

crm_status crm_rules_recommend(const crm_rules *r,
                               int32_t s,
                               const int32_t *basket,
                               int32_t n_basket,
                               int32_t top,
                               crm_recommendation *out,
                               int32_t *n_out,
                               crm_error *err)
{
    unsigned char *taken = NULL;
    cand *best = NULL;
    cand *list = NULL;
    int32_t n_rule = 0;
    int32_t n = 0;
    crm_status rc = CRM_OK;
    if (n_out != NULL) {
        *n_out = 0;
    }
    if (r == NULL || s < 0 || s >= r->n_sets || top < 0 || n_out == NULL ||
        (top > 0 && out == NULL) || n_basket < 0 || (n_basket > 0 && basket == NULL)) {
        return crm__error_set(err, CRM_EINVAL, "bad arguments to crm_rules_recommend");
    }
    if (top == 0) {
        return CRM_OK;
    }
    taken = crm_calloc((size_t)r->n_items + 1, 1);
    best = crm_mallocarray((size_t)r->n_items + 1, sizeof *best);
    list = crm_mallocarray((size_t)top + 1, sizeof *list);
    if (taken == NULL || best == NULL || list == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int32_t i = 0; i < n_basket; i++) {
        if (basket[i] >= 0 && basket[i] < r->n_items) {
            taken[basket[i]] = 1;
        }
    }
    for (int32_t i = 0; i < r->n_items; i++) {
        best[i].rule = -1;
    }
    fire_rules(r, s, taken, best);
    for (int32_t i = 0; i < r->n_items; i++) {
        if (best[i].rule >= 0) {
            keep_top(list, &n_rule, top, &best[i], (const char *const *)r->names);
        }
    }
    n = n_rule;
    for (int32_t i = 0; i < n; i++) {
        taken[list[i].item] = 1;
    }
    add_popular(r, s, taken, list, &n, top);
    for (int32_t i = 0; i < n; i++) {
        out[i].item = list[i].item;
        out[i].source = i < n_rule ? CRM_REC_RULE : CRM_REC_POPULARITY;
        out[i].rule = list[i].rule;
        out[i].confidence = list[i].confidence;
        out[i].lift = list[i].lift;
        out[i].count = list[i].count;
    }
    *n_out = n;
done:
    CRM__FREE(taken, best, list);
    return rc;
}
