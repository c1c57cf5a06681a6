/* fim_util.c: the small machinery the miners share: a memory meter that turns a blow-up
 * into CRM_ELIMIT instead of an out-of-memory kill, a stack arena with checkpoints (tree
 * nodes and N-lists of a recursion level are freed in O(1) on return), hash tables of ids, an
 * integer sort and the lexicographic sort of transactions. */
#include <stdlib.h>
#include <string.h>

#include "fim_internal.h"

/* ---- memory meter ------------------------------------------------------------------------ */

void crm__fim_mem_init(crm__fim_mem *m, int64_t limit)
{
    atomic_init(&m->used, 0);
    atomic_init(&m->peak, 0);
    atomic_init(&m->over, 0);
    m->limit = limit;
}

static int mem_take(crm__fim_mem *m, size_t bytes)
{
    int64_t now;
    int64_t peak;
    if (m == NULL) {
        return 1;
    }
    now =
        atomic_fetch_add_explicit(&m->used, (int64_t)bytes, memory_order_relaxed) + (int64_t)bytes;
    if (m->limit > 0 && now > m->limit) {
        atomic_fetch_sub_explicit(&m->used, (int64_t)bytes, memory_order_relaxed);
        atomic_store_explicit(&m->over, 1, memory_order_relaxed);
        return 0;
    }
    peak = atomic_load_explicit(&m->peak, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak_explicit(
                             &m->peak, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
    }
    return 1;
}

static void mem_give(crm__fim_mem *m, size_t bytes)
{
    if (m != NULL) {
        atomic_fetch_sub_explicit(&m->used, (int64_t)bytes, memory_order_relaxed);
    }
}

void *crm__fim_mem_alloc(crm__fim_mem *m, size_t bytes)
{
    void *p;
    if (bytes == 0) {
        bytes = 1;
    }
    if (!mem_take(m, bytes)) {
        return NULL;
    }
    p = crm_malloc(bytes);
    if (p == NULL) {
        mem_give(m, bytes);
    }
    return p;
}

void *crm__fim_mem_calloc(crm__fim_mem *m, size_t n, size_t size)
{
    void *p;
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    p = crm__fim_mem_alloc(m, n * size);
    if (p != NULL) {
        memset(p, 0, n * size == 0 ? 1 : n * size);
    }
    return p;
}

void crm__fim_mem_free(crm__fim_mem *m, void *p, size_t bytes)
{
    if (p != NULL) {
        mem_give(m, bytes == 0 ? 1 : bytes);
        crm_free(p);
    }
}

int crm__fim_mem_grow(crm__fim_mem *m, void **p, size_t old_bytes, size_t new_bytes)
{
    void *q;
    if (new_bytes <= old_bytes) {
        return 1;
    }
    if (!mem_take(m, new_bytes - old_bytes)) {
        return 0;
    }
    q = crm_realloc(*p, new_bytes);
    if (q == NULL) {
        mem_give(m, new_bytes - old_bytes);
        return 0;
    }
    *p = q;
    return 1;
}

crm_status crm__fim_mem_error(const crm__fim_mem *m, crm_error *err)
{
    if (m != NULL && atomic_load_explicit(&m->over, memory_order_relaxed)) {
        return crm__error_set(err, CRM_ELIMIT,
                              "the miner needs more than the memory limit of %lld MiB; raise the "
                              "minimum support, set a maximum itemset length or raise the limit",
                              (long long)(m->limit >> 20));
    }
    return crm__error_nomem(err);
}

/* ---- arena ------------------------------------------------------------------------------- */

struct crm__fim_chunk {
    crm__fim_chunk *prev;
    size_t size;
    size_t used;
    size_t pad; /* keeps data 16-byte aligned */
    unsigned char data[];
};

void crm__fim_arena_init(crm__fim_arena *a, crm__fim_mem *mem, size_t chunk_bytes)
{
    a->cur = NULL;
    a->spare = NULL;
    a->mem = mem;
    a->chunk_bytes = chunk_bytes < 4096 ? 4096 : chunk_bytes;
}

static void chunk_free(crm__fim_arena *a, crm__fim_chunk *c)
{
    crm__fim_mem_free(a->mem, c, sizeof *c + c->size);
}

void crm__fim_arena_fini(crm__fim_arena *a)
{
    while (a->cur != NULL) {
        crm__fim_chunk *p = a->cur->prev;
        chunk_free(a, a->cur);
        a->cur = p;
    }
    if (a->spare != NULL) {
        chunk_free(a, a->spare);
        a->spare = NULL;
    }
}

void *crm__fim_arena_alloc(crm__fim_arena *a, size_t bytes)
{
    crm__fim_chunk *c = a->cur;
    void *p;
    bytes = (bytes + 15u) & ~(size_t)15u;
    if (c == NULL || c->size - c->used < bytes) {
        size_t size = a->chunk_bytes;
        if (size < bytes) {
            size = bytes;
        }
        if (a->spare != NULL && a->spare->size >= bytes) {
            c = a->spare;
            a->spare = NULL;
        } else {
            c = crm__fim_mem_alloc(a->mem, sizeof *c + size);
            if (c == NULL) {
                return NULL;
            }
            c->size = size;
        }
        c->used = 0;
        c->prev = a->cur;
        a->cur = c;
    }
    p = c->data + c->used;
    c->used += bytes;
    return p;
}

crm__fim_mark crm__fim_arena_mark(const crm__fim_arena *a)
{
    crm__fim_mark m;
    m.chunk = a->cur;
    m.used = a->cur != NULL ? a->cur->used : 0;
    return m;
}

void crm__fim_arena_release(crm__fim_arena *a, crm__fim_mark mark)
{
    while (a->cur != mark.chunk && a->cur != NULL) {
        crm__fim_chunk *c = a->cur;
        a->cur = c->prev;
        /* Keep one standard-size chunk for the next descent instead of freeing it. */
        if (a->spare == NULL && c->size == a->chunk_bytes) {
            a->spare = c;
        } else {
            chunk_free(a, c);
        }
    }
    if (a->cur != NULL) {
        a->cur->used = mark.used;
    }
}

/* ---- hashing ------------------------------------------------------------------------------ */

crm_status crm__fim_hash_init(crm__fim_hash *h, size_t min_cap)
{
    size_t cap = 16;
    while (cap < min_cap * 2) {
        cap *= 2;
    }
    h->slot = crm_mallocarray(cap, sizeof *h->slot);
    if (h->slot == NULL) {
        return CRM_ENOMEM;
    }
    memset(h->slot, 0xff, cap * sizeof *h->slot);
    h->mask = cap - 1;
    h->n = 0;
    return CRM_OK;
}

void crm__fim_hash_fini(crm__fim_hash *h)
{
    crm_free(h->slot);
    h->slot = NULL;
    h->mask = 0;
    h->n = 0;
}

static int cmap_grow(crm__fim_cmap *m)
{
    size_t cap = m->mask ? 2 * (m->mask + 1) : 64;
    int32_t *key = crm_mallocarray(cap, sizeof *key);
    int32_t *val = crm_mallocarray(cap, sizeof *val);
    if (key == NULL || val == NULL) {
        crm_free(key);
        crm_free(val);
        return 0;
    }
    memset(key, 0xff, cap * sizeof *key);
    for (size_t i = 0; m->mask && i <= m->mask; i++) {
        if (m->key[i] >= 0) {
            size_t j = (size_t)crm__hash_u64((uint64_t)m->key[i]) & (cap - 1);
            while (key[j] >= 0) {
                j = (j + 1) & (cap - 1);
            }
            key[j] = m->key[i];
            val[j] = m->val[i];
        }
    }
    crm_free(m->key);
    crm_free(m->val);
    m->key = key;
    m->val = val;
    m->mask = cap - 1;
    return 1;
}

int crm__fim_cmap_add(crm__fim_cmap *m, int32_t code, int32_t val)
{
    size_t i;
    if ((m->n + 1) * 2 > m->mask + 1 && !cmap_grow(m)) {
        return 0;
    }
    i = (size_t)crm__hash_u64((uint64_t)code) & m->mask;
    while (m->key[i] >= 0) {
        if (m->key[i] == code) {
            return 1;
        }
        i = (i + 1) & m->mask;
    }
    m->key[i] = code;
    m->val[i] = val;
    m->n++;
    return 1;
}

int32_t crm__fim_cmap_get(const crm__fim_cmap *m, int32_t code)
{
    size_t i;
    if (m->mask == 0) {
        return -1;
    }
    i = (size_t)crm__hash_u64((uint64_t)code) & m->mask;
    while (m->key[i] >= 0) {
        if (m->key[i] == code) {
            return m->val[i];
        }
        i = (i + 1) & m->mask;
    }
    return -1;
}

void crm__fim_cmap_fini(crm__fim_cmap *m)
{
    crm_free(m->key);
    crm_free(m->val);
    memset(m, 0, sizeof *m);
}

/* ---- sorting ------------------------------------------------------------------------------ */

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a;
    int32_t y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void crm__fim_sort_i32(int32_t *a, int64_t n)
{
    if (n <= 24) {
        for (int64_t i = 1; i < n; i++) {
            int32_t v = a[i];
            int64_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    qsort(a, (size_t)n, sizeof *a, cmp_i32);
}

/* ---- lexicographic order of transactions ------------------------------------------------- */

static int seq_less(const int64_t *off, const int32_t *items, int64_t a, int64_t b)
{
    const int32_t *x = items + off[a], *y = items + off[b];
    int64_t nx = off[a + 1] - off[a], ny = off[b + 1] - off[b];
    int64_t n = nx < ny ? nx : ny;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i];
        }
    }
    return nx < ny;
}

static void
lex_merge_sort(const int64_t *off, const int32_t *items, int64_t *a, int64_t *tmp, int64_t n)
{
    int64_t h, i, j, k;
    if (n < 24) {
        for (i = 1; i < n; i++) {
            int64_t v = a[i];
            j = i;
            while (j > 0 && seq_less(off, items, v, a[j - 1])) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    h = n / 2;
    lex_merge_sort(off, items, a, tmp, h);
    lex_merge_sort(off, items, a + h, tmp, n - h);
    if (!seq_less(off, items, a[h], a[h - 1])) {
        return;
    }
    i = 0;
    j = h;
    k = 0;
    while (i < h && j < n) {
        tmp[k++] = seq_less(off, items, a[j], a[i]) ? a[j++] : a[i++];
    }
    while (i < h) {
        tmp[k++] = a[i++];
    }
    while (j < n) {
        tmp[k++] = a[j++];
    }
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

/* Radix sort of a[0..n) by the chunk of their sequences from position depth: a key packs
 * per ranks of bits bits each (rank + 1, 0 past the end, so a prefix comes first), sorted
 * stably by 8-bit digits (passes where every key has the same digit skipped); each run of
 * equal keys whose sequences go on past the chunk is then sorted by the next chunk. key,
 * ktmp and tmp hold n entries. */
static void lex_radix(const int64_t *off,
                      const int32_t *items,
                      int64_t *a,
                      int64_t *tmp,
                      uint64_t *key,
                      uint64_t *ktmp,
                      int64_t n,
                      int64_t depth,
                      int bits,
                      int per)
{
    static const int64_t small = 48;
    int passes = (bits * per + 7) / 8;
    int64_t *src = a, *dst = tmp;
    uint64_t *ksrc = key, *kdst = ktmp;
    if (n < small) {
        lex_merge_sort(off, items, a, tmp, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t t = a[i], len = off[t + 1] - off[t] - depth;
        const int32_t *x = items + off[t] + depth;
        uint64_t k = 0;
        for (int j = 0; j < per; j++) {
            k = k << bits | (j < len ? (uint64_t)x[j] + 1 : 0);
        }
        key[i] = k;
    }
    for (int pass = 0; pass < passes; pass++) {
        int64_t count[256] = { 0 };
        int shift = 8 * pass;
        for (int64_t i = 0; i < n; i++) {
            count[(ksrc[i] >> shift) & 255]++;
        }
        if (count[(ksrc[0] >> shift) & 255] == n) {
            continue; /* one digit for all: nothing moves */
        }
        for (int64_t d = 0, sum = 0; d < 256; d++) {
            int64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t at = count[(ksrc[i] >> shift) & 255]++;
            kdst[at] = ksrc[i];
            dst[at] = src[i];
        }
        {
            int64_t *t = src;
            uint64_t *kt = ksrc;
            src = dst;
            dst = t;
            ksrc = kdst;
            kdst = kt;
        }
    }
    if (src != a) {
        memcpy(a, src, (size_t)n * sizeof *a);
        memcpy(key, ksrc, (size_t)n * sizeof *key);
    }
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && key[j] == key[i]) {
            j++;
        }
        /* equal chunks that fill the key: the sequences may go on */
        if (j - i > 1 && (key[i] & (((uint64_t)1 << bits) - 1)) != 0) {
            lex_radix(off, items, a + i, tmp + i, key + i, ktmp + i, j - i, depth + per, bits, per);
        }
        i = j;
    }
}

void crm__fim_lex_sort(const int64_t *off,
                       const int32_t *items,
                       int32_t n_symbols,
                       int64_t *a,
                       int64_t *tmp,
                       int64_t n)
{
    int bits = 1;
    uint64_t *key = (uint64_t *)(tmp + n); /* the keys and their copy, after the indices */
    while (bits < 32 && ((int64_t)1 << bits) <= (int64_t)n_symbols) {
        bits++; /* ranks + 1 up to n_symbols */
    }
    lex_radix(off, items, a, tmp, key, key + n, n, 0, bits, 64 / bits);
}

int64_t
crm__fim_prefix_nodes(const int64_t *off, const int32_t *items, const int64_t *order, int64_t n)
{
    int64_t nodes = 1;
    for (int64_t k = 0; k < n; k++) {
        int64_t t = order[k], len = off[t + 1] - off[t], l = 0;
        if (k > 0) {
            int64_t p = order[k - 1], plen = off[p + 1] - off[p];
            const int32_t *a = items + off[t], *b = items + off[p];
            while (l < len && l < plen && a[l] == b[l]) {
                l++;
            }
        }
        nodes += len - l;
    }
    return nodes;
}
