/* fim_apriori.c: Apriori frequent itemset mining.
 *
 * Agrawal, Srikant, "Fast algorithms for mining association rules", VLDB 1994. Level-wise:
 * the frequent k-itemsets (kept sorted lexicographically by rank) are joined on their first
 * k-1 items into (k+1)-candidates; a candidate survives only if each of its k-subsets is
 * frequent (looked up in a hash set); candidates are counted in one pass over the
 * transactions through a prefix trie of the candidates: at each trie level the sorted
 * children of a node are merged against the rest of the sorted transaction.
 *
 * Apriori is here as the reference the other miners must agree with and for teaching; it is
 * the slowest of the three on every benchmark set. */
#include <string.h>

#include "fim_internal.h"

/* Candidates of one level as a trie: level d holds the distinct (d+1)-prefixes, with the
 * children of node v at level d in [first[d][v], first[d][v + 1]) of level d + 1. */
typedef struct trie {
    int32_t k;
    int64_t n_cand;
    int64_t *n_nodes; /* per level */
    int32_t **item;   /* per level */
    int64_t **first;  /* per level < k-1: n_nodes + 1 */
    int64_t *count;   /* per candidate (leaf) */
} trie;

typedef struct level {
    int32_t k;
    int64_t n;
    int32_t *items; /* n x k */
    int64_t *sup;
} level;

static void level_free(level *l, crm__fim_mem *mem)
{
    crm__fim_mem_free(mem, l->items, ((size_t)l->n * (size_t)l->k + 1) * sizeof *l->items);
    crm__fim_mem_free(mem, l->sup, ((size_t)l->n + 1) * sizeof *l->sup);
    memset(l, 0, sizeof *l);
}

static void trie_free(trie *t, crm__fim_mem *mem)
{
    for (int32_t d = 0; d < t->k; d++) {
        if (t->item != NULL) {
            crm__fim_mem_free(mem, t->item[d], ((size_t)t->n_nodes[d] + 1) * sizeof(int32_t));
        }
        if (t->first != NULL && d < t->k - 1) {
            crm__fim_mem_free(mem, t->first[d], ((size_t)t->n_nodes[d] + 2) * sizeof(int64_t));
        }
    }
    CRM__FREE(t->item, t->first, t->n_nodes);
    crm__fim_mem_free(mem, t->count, ((size_t)t->n_cand + 1) * sizeof *t->count);
    memset(t, 0, sizeof *t);
}

/* How many leading items candidate c shares with candidate c - 1 (0 for the first). */
static int32_t shared_prefix(const int32_t *cand, int64_t c, int32_t k)
{
    int32_t d = 0;
    if (c > 0) {
        while (d < k && cand[c * k + d] == cand[(c - 1) * k + d]) {
            d++;
        }
    }
    return d;
}

/* Build the trie of candidates cand (sorted, n x k). */
static crm_status trie_build(const int32_t *cand, int64_t n, int32_t k, crm__fim_mem *mem, trie *t)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    t->n_cand = n;
    t->n_nodes = crm_calloc((size_t)k, sizeof *t->n_nodes);
    t->item = crm_calloc((size_t)k, sizeof *t->item);
    t->first = crm_calloc((size_t)k, sizeof *t->first);
    t->count = crm__fim_mem_calloc(mem, (size_t)n + 1, sizeof *t->count);
    if (t->n_nodes == NULL || t->item == NULL || t->first == NULL || t->count == NULL) {
        return CRM_ENOMEM;
    }
    /* Level d has a node wherever the (d+1)-prefix changes. */
    for (int64_t c = 0; c < n; c++) {
        int32_t d0 = shared_prefix(cand, c, k);
        for (int32_t d = d0; d < k; d++) {
            t->n_nodes[d]++;
        }
    }
    for (int32_t d = 0; d < k; d++) {
        t->item[d] = crm__fim_mem_alloc(mem, ((size_t)t->n_nodes[d] + 1) * sizeof(int32_t));
        if (t->item[d] == NULL) {
            return CRM_ENOMEM;
        }
        if (d < k - 1) {
            t->first[d] = crm__fim_mem_alloc(mem, ((size_t)t->n_nodes[d] + 2) * sizeof(int64_t));
            if (t->first[d] == NULL) {
                return CRM_ENOMEM;
            }
        }
        t->n_nodes[d] = 0;
    }
    for (int64_t c = 0; c < n; c++) {
        int32_t d0 = shared_prefix(cand, c, k);
        for (int32_t d = d0; d < k; d++) {
            int64_t v = t->n_nodes[d]++;
            t->item[d][v] = cand[c * k + d];
            if (d < k - 1) {
                t->first[d][v] = t->n_nodes[d + 1];
            }
        }
    }
    for (int32_t d = 0; d < k - 1; d++) {
        t->first[d][t->n_nodes[d]] = t->n_nodes[d + 1];
    }
    return CRM_OK;
}

/* Count one transaction x[0..len) into the children [lo, hi) at level d. */
static void trie_count(trie *t, int32_t d, int64_t lo, int64_t hi, const int32_t *x, int32_t len)
{
    const int32_t *it = t->item[d];
    int32_t need = t->k - d; /* items still to match, including this level */
    int32_t p = 0;
    int64_t v = lo;
    while (v < hi && p <= len - need) {
        if (it[v] < x[p]) {
            v++;
        } else if (it[v] > x[p]) {
            p++;
        } else {
            if (d == t->k - 1) {
                t->count[v]++;
            } else {
                trie_count(t, d + 1, t->first[d][v], t->first[d][v + 1], x + p + 1, len - p - 1);
            }
            v++;
            p++;
        }
    }
}

static crm_status emit_level(crm__fim_ctx *ctx, const level *l)
{
    crm_status rc = CRM_OK;
    for (int64_t c = 0; c < l->n && rc == CRM_OK; c++) {
        rc = crm__fim_out_emit(ctx->out, l->items + c * l->k, l->k, NULL, 0, l->sup[c]);
    }
    return rc;
}

/* Join level l with itself into sorted, pruned candidates (n x (k+1)). */
static crm_status
candidates(const level *l, crm__fim_mem *mem, int32_t **out, int64_t *n_out, int64_t *cap_out)
{
    int32_t k = l->k;
    crm_itemsets *set = NULL;
    crm_itemset_sink sink;
    int32_t *cand = NULL, *sub = NULL;
    int64_t n = 0, cap = 0;
    crm_status rc = crm_itemsets_new(0, &set, NULL);
    *out = NULL;
    *n_out = 0;
    *cap_out = 0;
    if (rc != CRM_OK) {
        return rc;
    }
    sink = crm_itemsets_sink(set);
    for (int64_t c = 0; c < l->n && rc == CRM_OK; c++) {
        rc = sink.fn(sink.ud, l->items + c * k, k, l->sup[c], NULL);
    }
    sub = crm_mallocarray((size_t)k + 2, sizeof *sub);
    if (sub == NULL) {
        rc = CRM_ENOMEM;
    }
    for (int64_t a = 0; a < l->n && rc == CRM_OK; a++) {
        const int32_t *x = l->items + a * k;
        for (int64_t b = a + 1; b < l->n && rc == CRM_OK; b++) {
            const int32_t *y = l->items + b * k;
            int ok = 1;
            if (memcmp(x, y, (size_t)(k - 1) * sizeof *x) != 0) {
                break;
            }
            /* candidate x + y[k-1]; check the k-subsets that drop one of x[0..k-2] */
            for (int32_t drop = 0; drop < k - 1 && ok; drop++) {
                int32_t m = 0;
                for (int32_t i = 0; i < k; i++) {
                    if (i != drop) {
                        sub[m++] = x[i];
                    }
                }
                sub[m++] = y[k - 1];
                ok = crm__itemsets_find(set, sub, m) >= 0;
            }
            if (!ok) {
                continue;
            }
            if (n == cap) {
                int64_t ncap = cap ? cap * 2 : 1024;
                if (!crm__fim_mem_grow(mem, (void **)&cand, (size_t)cap * (size_t)(k + 1) * 4,
                                       (size_t)ncap * (size_t)(k + 1) * 4)) {
                    rc = CRM_ENOMEM;
                    break;
                }
                cap = ncap;
            }
            memcpy(cand + n * (k + 1), x, (size_t)k * sizeof *x);
            cand[n * (k + 1) + k] = y[k - 1];
            n++;
        }
    }
    crm_free(sub);
    crm_itemsets_free(set);
    if (rc != CRM_OK) {
        crm__fim_mem_free(mem, cand, (size_t)cap * (size_t)(k + 1) * 4);
        return rc;
    }
    *out = cand;
    *cap_out = cap;
    *n_out = n;
    return CRM_OK;
}

/* Count candidates cand (n x k) and keep the frequent ones as the next level. */
static crm_status count_level(crm__fim_ctx *ctx, int32_t *cand, int64_t n, int32_t k, level *next)
{
    const crm__fim_data *d = ctx->data;
    trie t;
    int64_t kept = 0;
    crm_status rc = trie_build(cand, n, k, ctx->mem, &t);
    memset(next, 0, sizeof *next);
    next->k = k;
    if (rc == CRM_OK) {
        for (int64_t tr = 0; tr < d->n_trans; tr++) {
            int32_t len = (int32_t)(d->off[tr + 1] - d->off[tr]);
            if (len >= k) {
                trie_count(&t, 0, 0, t.n_nodes[0], d->items + d->off[tr], len);
            }
        }
        for (int64_t c = 0; c < n; c++) {
            kept += t.count[c] >= d->minsup;
        }
        next->items = crm__fim_mem_alloc(ctx->mem, ((size_t)kept * (size_t)k + 1) * 4);
        next->sup = crm__fim_mem_alloc(ctx->mem, ((size_t)kept + 1) * sizeof *next->sup);
        if (next->items == NULL || next->sup == NULL) {
            rc = CRM_ENOMEM;
        }
    }
    if (rc == CRM_OK) {
        for (int64_t c = 0; c < n; c++) {
            if (t.count[c] >= d->minsup) {
                memcpy(next->items + next->n * k, cand + c * k, (size_t)k * 4);
                next->sup[next->n++] = t.count[c];
            }
        }
    }
    trie_free(&t, ctx->mem);
    return rc;
}

/* Bytes a candidate pair costs at least: its items, its trie leaf and its count. */
#define APRIORI_PAIR_BYTES 20

crm_status crm__fim_apriori(crm__fim_ctx *ctx, crm_error *err)
{
    const crm__fim_data *d = ctx->data;
    level cur;
    crm_status rc = CRM_OK;
    memset(&cur, 0, sizeof cur);
    cur.k = 1;
    cur.items = crm__fim_mem_alloc(ctx->mem, ((size_t)d->n_items + 1) * 4);
    cur.sup = crm__fim_mem_alloc(ctx->mem, ((size_t)d->n_items + 1) * sizeof *cur.sup);
    if (cur.items == NULL || cur.sup == NULL) {
        level_free(&cur, ctx->mem);
        return crm__fim_mem_error(ctx->mem, err);
    }
    for (int32_t r = 0; r < d->n_items; r++) {
        cur.items[r] = r;
        cur.sup[r] = d->sup[r];
    }
    cur.n = d->n_items;
    while (rc == CRM_OK && cur.n > 0) {
        int32_t *cand = NULL;
        int64_t n_cand = 0, cap = 0;
        level next;
        memset(&next, 0, sizeof next);
        rc = emit_level(ctx, &cur);
        if (rc != CRM_OK || (ctx->max_len > 0 && cur.k >= ctx->max_len)) {
            break;
        }
        if (!crm_progress_report(ctx->progress, "mining", 0.0)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
            break;
        }
        if (cur.k == 1 && ctx->mem->limit > 0) {
            /* every pair of frequent items is a candidate: refuse before building them */
            int64_t pairs = (int64_t)cur.n * (cur.n - 1) / 2;
            if (pairs > ctx->mem->limit / APRIORI_PAIR_BYTES) {
                rc = crm__error_set(err, CRM_ELIMIT,
                                    "Apriori: %lld frequent items make %lld candidate pairs, "
                                    "about %lld MiB, over the memory limit of %lld MiB; use "
                                    "--algo nlist or fpgrowth (they never list candidates) or "
                                    "raise the minimum support",
                                    (long long)cur.n, (long long)pairs,
                                    (long long)(pairs / ((int64_t)1 << 20) * APRIORI_PAIR_BYTES),
                                    (long long)(ctx->mem->limit >> 20));
                break;
            }
        }
        rc = candidates(&cur, ctx->mem, &cand, &n_cand, &cap);
        if (rc == CRM_OK) {
            rc = count_level(ctx, cand, n_cand, cur.k + 1, &next);
        }
        crm__fim_mem_free(ctx->mem, cand, (size_t)cap * (size_t)(cur.k + 1) * 4);
        level_free(&cur, ctx->mem);
        if (rc != CRM_OK) {
            level_free(&next, ctx->mem);
            break;
        }
        cur = next;
    }
    level_free(&cur, ctx->mem);
    if (rc == CRM_ENOMEM) {
        rc = crm__fim_mem_error(ctx->mem, err);
    }
    return rc;
}
