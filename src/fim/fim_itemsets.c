/* fim_itemsets.c: the in-memory itemset collection: records (offset, length, support) over
 * one int32 arena, and an open-addressing hash on the item sequence so that rule generation
 * finds the support of any subset in O(length). Sorting is a merge sort of the records
 * (qsort has no context pointer in C11 and is not stable). */
#include <string.h>

#include "fim_internal.h"

typedef struct rec {
    int64_t off;
    int64_t sup;
    int32_t n;
} rec;

struct crm_itemsets {
    int64_t n_trans;
    int32_t *items;
    int64_t items_len, items_cap;
    rec *recs;
    int64_t n, cap;
    int64_t *slot; /* record index, -1 empty */
    int64_t mask;
};

/* An itemset's slot: the keyed hash of its codes' bytes (a crafted file cannot aim sets at one
 * slot). */
static uint64_t hash_items(const int32_t *items, int32_t n)
{
    return crm__hash_bytes(items, (size_t)n * sizeof *items);
}

crm_status crm_itemsets_new(int64_t n_transactions, crm_itemsets **out, crm_error *err)
{
    crm_itemsets *c;
    *out = NULL;
    c = crm_calloc(1, sizeof *c);
    if (c == NULL) {
        return crm__error_nomem(err);
    }
    c->n_trans = n_transactions;
    c->mask = 1023;
    c->slot = crm_mallocarray(1024, sizeof *c->slot);
    if (c->slot == NULL) {
        crm_free(c);
        return crm__error_nomem(err);
    }
    memset(c->slot, 0xff, 1024 * sizeof *c->slot);
    *out = c;
    return CRM_OK;
}

void crm_itemsets_free(crm_itemsets *c)
{
    if (c == NULL) {
        return;
    }
    CRM__FREE(c->items, c->recs, c->slot, c);
}

int64_t crm__itemsets_find(const crm_itemsets *c, const int32_t *items, int32_t n)
{
    int64_t i = (int64_t)(hash_items(items, n) & (uint64_t)c->mask);
    while (c->slot[i] >= 0) {
        const rec *r = &c->recs[c->slot[i]];
        if (r->n == n && memcmp(c->items + r->off, items, (size_t)n * sizeof *items) == 0) {
            return c->slot[i];
        }
        i = (i + 1) & c->mask;
    }
    return -1;
}

int64_t crm__itemsets_bytes(const crm_itemsets *c)
{
    return c->items_cap * 4 + c->cap * (int64_t)sizeof(rec) + (c->mask + 1) * 8;
}

static int rehash(crm_itemsets *c, int64_t cap)
{
    int64_t *slot = crm_mallocarray((size_t)cap, sizeof *slot);
    if (slot == NULL) {
        return 0;
    }
    memset(slot, 0xff, (size_t)cap * sizeof *slot);
    crm_free(c->slot);
    c->slot = slot;
    c->mask = cap - 1;
    for (int64_t k = 0; k < c->n; k++) {
        int64_t i =
            (int64_t)(hash_items(c->items + c->recs[k].off, c->recs[k].n) & (uint64_t)c->mask);
        while (c->slot[i] >= 0) {
            i = (i + 1) & c->mask;
        }
        c->slot[i] = k;
    }
    return 1;
}

static int reserve(crm_itemsets *c, int32_t n)
{
    if (!crm__grow_items(&c->items, &c->items_cap, c->items_len + n, sizeof *c->items, 4096)) {
        return 0;
    }
    if (c->n == c->cap && !crm__grow_items(&c->recs, &c->cap, c->n + 1, sizeof *c->recs, 1024)) {
        return 0;
    }
    if ((c->n + 1) * 2 > c->mask + 1) {
        return rehash(c, (c->mask + 1) * 2);
    }
    return 1;
}

static crm_status
collect(void *ud, const int32_t *items, int32_t n, int64_t support, crm_error *err)
{
    crm_itemsets *c = ud;
    int64_t i;
    if (n < 1 || items == NULL) {
        return crm__error_set(err, CRM_EINVAL, "itemset collection: empty itemset");
    }
    if (!reserve(c, n)) {
        return crm__error_nomem(err);
    }
    i = (int64_t)(hash_items(items, n) & (uint64_t)c->mask);
    while (c->slot[i] >= 0) {
        const rec *r = &c->recs[c->slot[i]];
        if (r->n == n && memcmp(c->items + r->off, items, (size_t)n * sizeof *items) == 0) {
            return crm__error_set(err, CRM_EINVAL, "itemset collection: itemset added twice");
        }
        i = (i + 1) & c->mask;
    }
    memcpy(c->items + c->items_len, items, (size_t)n * sizeof *items);
    c->recs[c->n].off = c->items_len;
    c->recs[c->n].n = n;
    c->recs[c->n].sup = support;
    c->items_len += n;
    c->slot[i] = c->n++;
    return CRM_OK;
}

crm_itemset_sink crm_itemsets_sink(crm_itemsets *c)
{
    return (crm_itemset_sink){ .fn = collect, .ud = c };
}

int64_t crm_itemsets_n_itemsets(const crm_itemsets *c)
{
    return c == NULL ? 0 : c->n;
}

int64_t crm_itemsets_n_transactions(const crm_itemsets *c)
{
    return c == NULL ? 0 : c->n_trans;
}

int32_t crm_itemsets_get(const crm_itemsets *c, int64_t i, const int32_t **items, int64_t *support)
{
    if (c == NULL || i < 0 || i >= c->n) {
        if (items != NULL) {
            *items = NULL;
        }
        if (support != NULL) {
            *support = 0;
        }
        return 0;
    }
    if (items != NULL) {
        *items = c->items + c->recs[i].off;
    }
    if (support != NULL) {
        *support = c->recs[i].sup;
    }
    return c->recs[i].n;
}

int64_t crm_itemsets_support(const crm_itemsets *c, const int32_t *items, int32_t n_items)
{
    int32_t stack_buf[64];
    int32_t *q = stack_buf;
    int64_t k;
    if (c == NULL || n_items < 0) {
        return -1;
    }
    if (n_items == 0) {
        return c->n_trans;
    }
    if (items == NULL) {
        return -1;
    }
    if (n_items > 64) {
        q = crm_mallocarray((size_t)n_items, sizeof *q);
        if (q == NULL) {
            return -1;
        }
    }
    memcpy(q, items, (size_t)n_items * sizeof *q);
    crm__fim_sort_i32(q, n_items);
    k = crm__itemsets_find(c, q, n_items);
    if (q != stack_buf) {
        crm_free(q);
    }
    return k < 0 ? -1 : c->recs[k].sup;
}

/* ---- sorting ------------------------------------------------------------------------------ */

static int rec_cmp(const crm_itemsets *c, const rec *a, const rec *b)
{
    const int32_t *x, *y;
    if (a->n != b->n) {
        return a->n < b->n ? -1 : 1;
    }
    x = c->items + a->off;
    y = c->items + b->off;
    for (int32_t i = 0; i < a->n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

static void merge_sort(const crm_itemsets *c, rec *a, rec *tmp, int64_t n)
{
    int64_t h, i, j, k;
    if (n < 16) {
        for (i = 1; i < n; i++) {
            rec v = a[i];
            j = i;
            while (j > 0 && rec_cmp(c, &a[j - 1], &v) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    h = n / 2;
    merge_sort(c, a, tmp, h);
    merge_sort(c, a + h, tmp, n - h);
    i = 0;
    j = h;
    k = 0;
    while (i < h && j < n) {
        tmp[k++] = rec_cmp(c, &a[j], &a[i]) < 0 ? a[j++] : a[i++];
    }
    while (i < h) {
        tmp[k++] = a[i++];
    }
    while (j < n) {
        tmp[k++] = a[j++];
    }
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

crm_status crm_itemsets_sort(crm_itemsets *c, crm_error *err)
{
    rec *tmp;
    if (c == NULL) {
        return crm__error_set(err, CRM_EINVAL, "sort: collection is NULL");
    }
    if (c->n < 2) {
        return CRM_OK;
    }
    tmp = crm_mallocarray((size_t)c->n, sizeof *tmp);
    if (tmp == NULL) {
        return crm__error_nomem(err);
    }
    merge_sort(c, c->recs, tmp, c->n);
    crm_free(tmp);
    if (!rehash(c, c->mask + 1)) {
        return crm__error_nomem(err);
    }
    return CRM_OK;
}
