/* rules_mine.c: from a transaction database to rule sets, per segment, with the itemsets
 * that set each segment apart.
 *
 * The population and every segment are mined separately with the same fim params (the
 * segment's transactions are a crm_fim_db_subset, so item ids stay those of the whole
 * database). A segment's distinctive itemsets compare its support with the population's
 * (a growth rate, as in Dong & Li's emerging patterns, against the whole population rather
 * than the rest). An itemset frequent in a segment need not be frequent in the population,
 * so its population count is taken from the population collection when there, else counted
 * with per-item transaction bitsets built for the items that need them. */
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>
#include <crmkit/rules.h>

#include "core/core_internal.h"
#include "rules_internal.h"

/* A collection as the flat arrays crm_rules_add_set takes. */
typedef struct flat {
    int64_t *offsets;
    int32_t *items;
    int64_t *counts;
    int64_t *item_counts;
    crm_rules_itemsets view;
} flat;

static void flat_fini(flat *f)
{
    CRM__FREE(f->offsets, f->items, f->counts, f->item_counts);
    memset(f, 0, sizeof *f);
}

static crm_status
flat_from(flat *f, const crm_itemsets *c, const crm_fim_db *db, int64_t min_count, crm_error *err)
{
    int64_t n = c ? crm_itemsets_n_itemsets(c) : 0;
    int64_t total = 0;
    int32_t n_items = crm_fim_db_n_items(db);
    for (int64_t i = 0; i < n; i++) {
        const int32_t *it;
        int64_t sup;
        total += crm_itemsets_get(c, i, &it, &sup);
    }
    f->offsets = crm_mallocarray((size_t)n + 1, sizeof *f->offsets);
    f->items = crm_mallocarray((size_t)total + 1, sizeof *f->items);
    f->counts = crm_mallocarray((size_t)n + 1, sizeof *f->counts);
    f->item_counts = crm_mallocarray((size_t)n_items + 1, sizeof *f->item_counts);
    if (f->offsets == NULL || f->items == NULL || f->counts == NULL || f->item_counts == NULL) {
        flat_fini(f);
        return crm__error_nomem(err);
    }
    f->offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *it;
        int32_t len = crm_itemsets_get(c, i, &it, &f->counts[i]);
        memcpy(f->items + f->offsets[i], it, (size_t)len * sizeof *it);
        f->offsets[i + 1] = f->offsets[i] + len;
    }
    for (int32_t i = 0; i < n_items; i++) {
        f->item_counts[i] = crm_fim_db_item_support(db, i);
    }
    memset(&f->view, 0, sizeof f->view);
    f->view.n_itemsets = n;
    f->view.offsets = f->offsets;
    f->view.items = f->items;
    f->view.counts = f->counts;
    f->view.n_transactions = crm_fim_db_n_transactions(db);
    f->view.min_count = min_count;
    f->view.item_counts = f->item_counts;
    return CRM_OK;
}

/* Mine db into flat arrays and add them as set name. *coll receives the collection when
 * coll is not NULL (the caller frees it). */
static crm_status mine_set(crm_rules *r,
                           const char *name,
                           const crm_fim_db *db,
                           const crm_fim_params *fp,
                           const crm_rules_params *rp,
                           const crm_progress *progress,
                           crm_itemsets **coll,
                           crm_error *err)
{
    crm_itemsets *c = NULL;
    flat f;
    int64_t min_count = 0;
    crm_status rc = CRM_OK;
    memset(&f, 0, sizeof f);
    if (crm_fim_db_n_transactions(db) > 0) {
        min_count = crm_fim_minsup_count(fp, crm_fim_db_n_transactions(db));
        rc = crm_fim_mine_collect(db, fp, progress, &c, err);
    }
    if (rc == CRM_OK) {
        rc = flat_from(&f, c, db, min_count, err);
    }
    if (rc == CRM_OK) {
        rc = crm_rules_add_set(r, name, &f.view, rp, err);
        if (rc != CRM_OK && name[0] != '\0') {
            crm__error_prefix(err, "segment \"%s\": ", name);
        }
    }
    flat_fini(&f);
    if (rc == CRM_OK && coll != NULL) {
        *coll = c;
    } else {
        crm_itemsets_free(c);
    }
    return rc;
}

/* ---- population counts of arbitrary itemsets ---- */

typedef struct pop_counter {
    const crm_fim_db *db;
    const crm_itemsets *pop;
    int64_t words;    /* 64-bit words per bitset */
    int32_t *slot_of; /* item -> bitset slot, -1 = not built */
    uint64_t *bits;   /* slots x words */
    int32_t n_slots;
    int32_t cap_slots;
} pop_counter;

static crm_status item_bits(pop_counter *pc, int32_t item, const uint64_t **out, crm_error *err)
{
    uint64_t *b;
    int64_t n = crm_fim_db_n_transactions(pc->db);
    if (pc->slot_of[item] < 0) {
        if (pc->n_slots == pc->cap_slots) {
            int32_t cap = pc->cap_slots ? 2 * pc->cap_slots : 16;
            uint64_t *grown = crm_realloc(pc->bits, (size_t)cap * (size_t)pc->words * 8);
            if (grown == NULL) {
                return crm__error_nomem(err);
            }
            pc->bits = grown;
            pc->cap_slots = cap;
        }
        b = pc->bits + (size_t)pc->n_slots * (size_t)pc->words;
        memset(b, 0, (size_t)pc->words * 8);
        for (int64_t t = 0; t < n; t++) {
            const int32_t *it;
            int32_t len = crm_fim_db_transaction(pc->db, t, &it);
            for (int32_t k = 0; k < len && it[k] <= item; k++) {
                if (it[k] == item) {
                    b[t >> 6] |= (uint64_t)1 << (t & 63);
                }
            }
        }
        pc->slot_of[item] = pc->n_slots++;
    }
    *out = pc->bits + (size_t)pc->slot_of[item] * (size_t)pc->words;
    return CRM_OK;
}

static crm_status
pop_count(pop_counter *pc, const int32_t *items, int32_t n, int64_t *out, crm_error *err)
{
    int64_t c = crm_itemsets_support(pc->pop, items, n);
    const uint64_t *first;
    crm_status rc;
    if (c >= 0) {
        *out = c;
        return CRM_OK;
    }
    rc = item_bits(pc, items[0], &first, err);
    for (int32_t k = 1; rc == CRM_OK && k < n; k++) {
        const uint64_t *other;
        rc = item_bits(pc, items[k], &other, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    c = 0;
    for (int64_t w = 0; w < pc->words; w++) {
        uint64_t acc = pc->bits[(size_t)pc->slot_of[items[0]] * (size_t)pc->words + (size_t)w];
        for (int32_t k = 1; k < n && acc != 0; k++) {
            acc &= pc->bits[(size_t)pc->slot_of[items[k]] * (size_t)pc->words + (size_t)w];
        }
        c += __builtin_popcountll(acc);
    }
    *out = c;
    return CRM_OK;
}

/* ---- distinctive itemsets ---- */

typedef struct cand {
    int64_t idx; /* in the segment collection */
    int64_t count;
    int64_t pop_count;
    double ratio;
    const int32_t *items;
    int32_t n;
} cand;

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa;
    const cand *b = pb;
    int32_t m;
    if (a->ratio != b->ratio) {
        return a->ratio > b->ratio ? -1 : 1;
    }
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    m = a->n < b->n ? a->n : b->n;
    for (int32_t k = 0; k < m; k++) {
        if (a->items[k] != b->items[k]) {
            return a->items[k] < b->items[k] ? -1 : 1;
        }
    }
    return (a->n > b->n) - (a->n < b->n);
}

static crm_status distinctive(crm_rules *r,
                              int32_t s,
                              const crm_itemsets *seg,
                              pop_counter *pc,
                              const crm_rules_params *rp,
                              crm_error *err)
{
    int64_t n = seg ? crm_itemsets_n_itemsets(seg) : 0;
    int64_t n_seg = crm_rules_set_n_transactions(r, s);
    int64_t n_pop = crm_rules_set_n_transactions(r, 0);
    cand *cands = crm_mallocarray((size_t)n + 1, sizeof *cands);
    crm_segment_pattern *pats = NULL;
    int64_t k = 0;
    crm_status rc = CRM_OK;
    if (cands == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n && rc == CRM_OK; i++) {
        cand c;
        c.idx = i;
        c.n = crm_itemsets_get(seg, i, &c.items, &c.count);
        rc = pop_count(pc, c.items, c.n, &c.pop_count, err);
        if (rc != CRM_OK || c.pop_count <= 0) {
            continue;
        }
        /* (count / n_seg) / (pop_count / n_pop) with one rounding */
        c.ratio = ((double)c.count * (double)n_pop) / ((double)c.pop_count * (double)n_seg);
        if (c.ratio >= rp->distinct_factor) {
            cands[k++] = c;
        }
    }
    if (rc == CRM_OK) {
        qsort(cands, (size_t)k, sizeof *cands, cmp_cand);
        if (k > rp->distinct_top) {
            k = rp->distinct_top;
        }
        pats = crm_calloc((size_t)k + 1, sizeof *pats);
        if (pats == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < k; i++) {
            pats[i].items = cands[i].items;
            pats[i].n_items = cands[i].n;
            pats[i].count = cands[i].count;
            pats[i].pop_count = cands[i].pop_count;
        }
        rc = crm_rules_set_patterns(r, s, pats, k, err);
    }
    crm_free(pats);
    crm_free(cands);
    return rc;
}

static crm_status
check_segments(const crm_fim_db *db, const crm_rules_segments *segs, crm_error *err)
{
    int64_t n = crm_fim_db_n_transactions(db);
    if (segs->n_segments < 0 ||
        (segs->n_segments > 0 && (segs->names == NULL || segs->segment_of == NULL))) {
        return crm__error_set(err, CRM_EINVAL, "segments are malformed");
    }
    for (int32_t k = 0; k < segs->n_segments; k++) {
        if (segs->names[k] == NULL || strcmp(segs->names[k], "all") == 0) {
            return crm__error_set(err, CRM_EINVAL,
                                  "segment %d has no name or is called \"all\" (reserved for "
                                  "the population)",
                                  (int)k);
        }
    }
    for (int64_t t = 0; segs->n_segments > 0 && t < n; t++) {
        if (segs->segment_of[t] < -1 || segs->segment_of[t] >= segs->n_segments) {
            return crm__error_set(err, CRM_EINVAL, "transaction %lld: segment %d out of range",
                                  (long long)t, (int)segs->segment_of[t]);
        }
    }
    return CRM_OK;
}

static crm_status mine_segment(crm_rules *r,
                               const crm_fim_db *db,
                               const crm_rules_segments *segs,
                               int32_t k,
                               pop_counter *pc,
                               const crm_fim_params *fp,
                               const crm_rules_params *rp,
                               crm_error *err)
{
    int64_t n = crm_fim_db_n_transactions(db);
    int64_t *rows = crm_mallocarray((size_t)n + 1, sizeof *rows);
    int64_t m = 0;
    crm_fim_db *sub = NULL;
    crm_itemsets *coll = NULL;
    crm_status rc;
    if (rows == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t t = 0; t < n; t++) {
        if (segs->segment_of[t] == k) {
            rows[m++] = t;
        }
    }
    rc = crm_fim_db_subset(db, rows, m, &sub, err);
    crm_free(rows);
    if (rc == CRM_OK) {
        rc = mine_set(r, segs->names[k], sub, fp, rp, NULL, &coll, err);
    }
    if (rc == CRM_OK) {
        rc = distinctive(r, r->n_sets - 1, coll, pc, rp, err);
    }
    crm_itemsets_free(coll);
    crm_fim_db_free(sub);
    return rc;
}

crm_status crm_rules_mine(const crm_fim_db *db,
                          const crm_fim_params *fp,
                          const crm_rules_params *rp,
                          const crm_rules_segments *segs,
                          const crm_progress *progress,
                          crm_rules **out,
                          crm_error *err)
{
    crm_fim_params p;
    crm_rules *r = NULL;
    crm_itemsets *pop = NULL;
    pop_counter pc;
    int32_t n_items;
    const char **names = NULL;
    crm_status rc;
    *out = NULL;
    memset(&pc, 0, sizeof pc);
    if (db == NULL || fp == NULL) {
        return crm__error_set(err, CRM_EINVAL, "database or parameters are NULL");
    }
    p = *fp;
    p.mode = CRM_FIM_ALL;
    p.min_len = 1;
    rc = crm_fim_params_check(&p, err);
    if (rc == CRM_OK) {
        rc = crm_rules_params_check(rp, err);
    }
    if (rc == CRM_OK && segs != NULL) {
        rc = check_segments(db, segs, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    n_items = crm_fim_db_n_items(db);
    names = crm_mallocarray((size_t)n_items + 1, sizeof *names);
    pc.slot_of = crm_mallocarray((size_t)n_items + 1, sizeof *pc.slot_of);
    if (names == NULL || pc.slot_of == NULL) {
        rc = crm__error_nomem(err);
    }
    for (int32_t i = 0; rc == CRM_OK && i < n_items; i++) {
        names[i] = crm_fim_db_item_name(db, i);
        pc.slot_of[i] = -1;
    }
    if (rc == CRM_OK) {
        rc = crm_rules_new(names, n_items, &r, err);
    }
    if (rc == CRM_OK) {
        rc = mine_set(r, "all", db, &p, rp, progress, &pop, err);
    }
    pc.db = db;
    pc.pop = pop;
    pc.words = (crm_fim_db_n_transactions(db) + 63) / 64;
    for (int32_t k = 0; rc == CRM_OK && segs != NULL && k < segs->n_segments; k++) {
        rc = mine_segment(r, db, segs, k, &pc, &p, rp, err);
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "mine segments", (double)(k + 1) / segs->n_segments)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    crm_itemsets_free(pop);
    CRM__FREE(pc.slot_of, pc.bits, names);
    if (rc != CRM_OK) {
        crm_rules_free(r);
        return rc;
    }
    *out = r;
    return CRM_OK;
}
