/* fim_mine.c: crm_fim_mine: params, the rank-space view of a database that every miner uses
 * (frequent items recoded by descending support), the reporter between miners and the
 * user's sink (rank -> dense id, sorted items, perfect-extension expansion, min_len,
 * the max_itemsets guard, buffered output of parallel tasks replayed in a fixed order), and
 * the closed/maximal filter.
 *
 * Closed and maximal itemsets are found by a post-filter over all frequent itemsets: an
 * itemset is not closed when one of its one-item-larger supersets has the same support, and
 * not maximal when it has any frequent one-item-larger superset (downward closure makes
 * checking these supersets enough). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fim_internal.h"

/* ---- params ---------------------------------------------------------------------------------- */

crm_fim_params crm_fim_params_default(void)
{
    return (crm_fim_params){ .minsup = 0.01,
                             .min_len = 1,
                             .algo = CRM_FIM_NLIST,
                             .mode = CRM_FIM_ALL,
                             .max_itemsets = 100000000,
                             .max_memory_bytes = (int64_t)4 << 30 };
}

crm_status crm_fim_params_check(const crm_fim_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "params are NULL");
    }
    if (p->minsup_count < 0) {
        crm__error_set(err, CRM_EINVAL, "minimum support count must be >= 1, got %lld",
                       (long long)p->minsup_count);
        crm__error_field(err, "minsup_count");
        return CRM_EINVAL;
    }
    if (p->minsup_count == 0 && !(p->minsup > 0.0 && p->minsup <= 1.0)) {
        crm__error_set(err, CRM_EINVAL,
                       "minimum support must be a fraction in (0, 1] (or give a count), got %g",
                       p->minsup);
        crm__error_field(err, "minsup");
        return CRM_EINVAL;
    }
    if (p->min_len < 1 || p->max_len < 0 || (p->max_len > 0 && p->max_len < p->min_len)) {
        crm__error_set(err, CRM_EINVAL, "bad itemset lengths: min_len %d, max_len %d",
                       (int)p->min_len, (int)p->max_len);
        crm__error_field(err, p->min_len < 1 ? "min_len" : "max_len");
        return CRM_EINVAL;
    }
    if (p->algo < CRM_FIM_NLIST || p->algo > CRM_FIM_APRIORI || p->mode < CRM_FIM_ALL ||
        p->mode > CRM_FIM_MAXIMAL) {
        return crm__error_set(err, CRM_EINVAL, "unknown algorithm or mode");
    }
    if (p->max_itemsets < 0 || p->max_memory_bytes < 0 || p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "limits and n_threads must be >= 0");
    }
    return CRM_OK;
}

int64_t crm_fim_minsup_count(const crm_fim_params *p, int64_t n_transactions)
{
    double x;
    int64_t c;
    if (p->minsup_count > 0) {
        return p->minsup_count;
    }
    /* ceil(s * n), forgiving the rounding error of s * n (0.07 * 100 = 7.000000000000001). */
    x = p->minsup * (double)n_transactions;
    c = (int64_t)ceil(x - 1e-9 * (x > 1.0 ? x : 1.0));
    return c < 1 ? 1 : c;
}

static const char *const algo_names[] = { "nlist", "fpgrowth", "apriori" };
static const char *const mode_names[] = { "all", "closed", "maximal" };

const char *crm_fim_algo_name(crm_fim_algo a)
{
    return (int)a >= 0 && (int)a < 3 ? algo_names[a] : "unknown";
}

const char *crm_fim_mode_name(crm_fim_mode m)
{
    return (int)m >= 0 && (int)m < 3 ? mode_names[m] : "unknown";
}

crm_status crm_fim_algo_parse(const char *s, crm_fim_algo *out, crm_error *err)
{
    for (int a = CRM_FIM_NLIST; a <= CRM_FIM_APRIORI; a++) {
        if (s != NULL && strcmp(s, crm_fim_algo_name((crm_fim_algo)a)) == 0) {
            *out = (crm_fim_algo)a;
            return CRM_OK;
        }
    }
    return crm__error_set(err, CRM_EINVAL,
                          "unknown algorithm \"%s\" (expected nlist, fpgrowth or apriori)",
                          s ? s : "");
}

/* ---- rank-space data ---------------------------------------------------------------------- */

typedef struct rank_key {
    int64_t sup;
    int32_t id;
} rank_key;

static int cmp_rank(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;
    if (x->sup != y->sup) {
        return x->sup > y->sup ? -1 : 1;
    }
    return (x->id > y->id) - (x->id < y->id);
}

crm_status crm__fim_data_build(const crm_fim_db *db,
                               int64_t minsup,
                               crm__fim_mem *mem,
                               crm__fim_data *d,
                               crm_error *err)
{
    int32_t n_items = db->n_items, nf = 0;
    rank_key *keys = crm_mallocarray((size_t)n_items + 1, sizeof *keys);
    int32_t *rank_of = crm__fim_mem_alloc(mem, ((size_t)n_items + 1) * sizeof *rank_of);
    crm_status rc = CRM_OK;
    memset(d, 0, sizeof *d);
    d->minsup = minsup;
    d->n_db_trans = db->n_trans;
    d->db = db;
    d->rank_of = rank_of;
    if (keys == NULL || rank_of == NULL) {
        rc = crm__fim_mem_error(mem, err);
        goto done;
    }
    for (int32_t i = 0; i < n_items; i++) {
        rank_of[i] = -1;
        if (db->item_sup[i] >= minsup) {
            keys[nf].sup = db->item_sup[i];
            keys[nf].id = i;
            nf++;
        }
    }
    qsort(keys, (size_t)nf, sizeof *keys, cmp_rank);
    d->n_items = nf;
    d->rank_to_id = crm__fim_mem_alloc(mem, ((size_t)nf + 1) * sizeof *d->rank_to_id);
    d->sup = crm__fim_mem_alloc(mem, ((size_t)nf + 1) * sizeof *d->sup);
    if (d->rank_to_id == NULL || d->sup == NULL) {
        rc = crm__fim_mem_error(mem, err);
        goto done;
    }
    for (int32_t r = 0; r < nf; r++) {
        d->rank_to_id[r] = keys[r].id;
        d->sup[r] = keys[r].sup;
        rank_of[keys[r].id] = r;
    }
done:
    crm_free(keys);
    return rc;
}

int32_t *crm__fim_bit_of(const crm__fim_data *d, int32_t words)
{
    int32_t *bit_of = crm_mallocarray((size_t)d->db->n_items + 1, sizeof *bit_of);
    for (int32_t i = 0; bit_of != NULL && i < d->db->n_items; i++) {
        bit_of[i] = d->rank_of[i] >= 0 ? d->rank_of[i] : words * 64;
    }
    return bit_of;
}

int32_t crm__fim_rank_items(const int32_t *bit_of,
                            const int32_t *ids,
                            int64_t n,
                            uint64_t *bits,
                            int32_t words,
                            int32_t *out)
{
    int32_t m = 0;
    if (words == 1) { /* the bitmap in a register: an infrequent item's bit 64 sets none */
        uint64_t w = 0;
        for (int64_t k = 0; k < n; k++) {
            int32_t r = bit_of[ids[k]];
            w |= (uint64_t)(r < 64) << (r & 63);
        }
        for (; w != 0; w &= w - 1) {
            out[m++] = __builtin_ctzll(w);
        }
        return m;
    }
    if (words == 2) { /* in two registers */
        uint64_t w0 = 0, w1 = 0;
        for (int64_t k = 0; k < n; k++) {
            int32_t r = bit_of[ids[k]];
            w0 |= (uint64_t)(r < 64) << (r & 63);
            w1 |= (uint64_t)((uint32_t)(r - 64) < 64) << (r & 63);
        }
        for (; w0 != 0; w0 &= w0 - 1) {
            out[m++] = __builtin_ctzll(w0);
        }
        for (; w1 != 0; w1 &= w1 - 1) {
            out[m++] = 64 + __builtin_ctzll(w1);
        }
        return m;
    }
    for (int64_t k = 0; k < n; k++) {
        int32_t r = bit_of[ids[k]];
        bits[r >> 6] |= (uint64_t)1 << (r & 63);
    }
    bits[words] = 0;
    for (int32_t w = 0; w < words; w++) {
        for (uint64_t x = bits[w]; x != 0; x &= x - 1) {
            out[m++] = w * 64 + __builtin_ctzll(x);
        }
        bits[w] = 0;
    }
    return m;
}

/* Most parts the transactions are recoded in, one per thread. */
#define RECODE_PARTS 16
/* Up to this many frequent items a transaction's ranks are sorted through a bitmap (a scan of
 * n / 64 words per transaction), beyond it by a sort. */
#define RECODE_BITMAP_ITEMS 4096

crm_status crm__fim_data_recode(crm__fim_data *d, crm__fim_mem *mem, int n_threads, crm_error *err)
{
    const crm_fim_db *db = d->db;
    int64_t total, nt, occ[RECODE_PARTS + 1] = { 0 }, trs[RECODE_PARTS + 1] = { 0 };
    int32_t *bit_of = NULL, words;
    uint64_t *bits = NULL;
    size_t stride;
    int np = crm__fim_share_threads(db->n_trans, n_threads, RECODE_PARTS);
    /* part p: its items kept (occ[p + 1]) and transactions left non-empty (trs[p + 1]) */
#pragma omp parallel for num_threads(np) schedule(static, 1)
    for (int p = 0; p < np; p++) {
        int64_t lo = db->n_trans * p / np, hi = db->n_trans * (p + 1) / np, o = 0, n = 0;
        for (int64_t t = lo; t < hi; t++) {
            int64_t m = 0;
            for (int64_t k = db->off[t]; k < db->off[t + 1]; k++) {
                m += d->rank_of[db->items[k]] >= 0;
            }
            o += m;
            n += m > 0;
        }
        occ[p + 1] = o;
        trs[p + 1] = n;
    }
    for (int p = 0; p < np; p++) {
        occ[p + 1] += occ[p];
        trs[p + 1] += trs[p];
    }
    total = occ[np];
    nt = trs[np];
    d->off = crm__fim_mem_alloc(mem, ((size_t)nt + 1) * sizeof *d->off);
    d->items = crm__fim_mem_alloc(mem, ((size_t)total + 1) * sizeof *d->items);
    if (d->off == NULL || d->items == NULL) {
        crm__fim_mem_free(mem, d->off, ((size_t)nt + 1) * sizeof *d->off);
        crm__fim_mem_free(mem, d->items, ((size_t)total + 1) * sizeof *d->items);
        d->off = NULL;
        d->items = NULL;
        return crm__fim_mem_error(mem, err);
    }
    d->off[0] = 0;
    d->n_trans = nt;
    words = d->n_items / 64 + 1;
    /* each part's bitmap on cache lines of its own (a shared line made two threads slower
     * than one) */
    stride = ((size_t)words + 1 + 7) / 8 * 8 + 8;
    if (d->n_items <= RECODE_BITMAP_ITEMS) {
        bit_of = crm__fim_bit_of(d, words);
        bits = crm_calloc((size_t)np * stride, sizeof *bits);
        if (bit_of == NULL || bits == NULL) {
            crm_free(bit_of);
            crm_free(bits);
            bit_of = NULL;
            bits = NULL;
        }
    }
#pragma omp parallel for num_threads(np) schedule(static, 1)
    for (int p = 0; p < np; p++) {
        int64_t lo = db->n_trans * p / np, hi = db->n_trans * (p + 1) / np, b = occ[p], n = trs[p];
        uint64_t *bm = bits != NULL ? bits + (size_t)p * stride : NULL;
        for (int64_t t = lo; t < hi; t++) {
            int64_t m = 0;
            if (bm != NULL) {
                m = crm__fim_rank_items(bit_of, db->items + db->off[t], db->off[t + 1] - db->off[t],
                                        bm, words, d->items + b);
            } else {
                for (int64_t k = db->off[t]; k < db->off[t + 1]; k++) {
                    int32_t r = d->rank_of[db->items[k]];
                    if (r >= 0) {
                        d->items[b + m++] = r;
                    }
                }
                crm__fim_sort_i32(d->items + b, m);
            }
            if (m > 0) {
                b += m;
                d->off[++n] = b;
            }
        }
    }
    crm_free(bit_of);
    crm_free(bits);
    return CRM_OK;
}

void crm__fim_data_free(crm__fim_data *d, crm__fim_mem *mem)
{
    if (d->db != NULL) {
        crm__fim_mem_free(mem, d->rank_of, ((size_t)d->db->n_items + 1) * sizeof *d->rank_of);
    }
    crm__fim_mem_free(mem, d->rank_to_id, ((size_t)d->n_items + 1) * sizeof *d->rank_to_id);
    crm__fim_mem_free(mem, d->sup, ((size_t)d->n_items + 1) * sizeof *d->sup);
    if (d->off != NULL) {
        crm__fim_mem_free(mem, d->items, ((size_t)d->off[d->n_trans] + 1) * sizeof *d->items);
    }
    crm__fim_mem_free(mem, d->off, ((size_t)d->n_trans + 1) * sizeof *d->off);
    memset(d, 0, sizeof *d);
}

/* ---- reporter ------------------------------------------------------------------------------ */

struct crm__fim_reporter {
    const int32_t *rank_to_id;
    int32_t min_len, max_len;
    int64_t max_itemsets;
    _Atomic int64_t count; /* itemsets produced so far, all tasks together */
    _Atomic int limit_hit;
    crm_itemset_sink sink;
    crm_error *err;
    int64_t n_out;
    int32_t max_out;
    int32_t *base;      /* the prefix of an emit, sorted ids */
    int32_t *pids;      /* its perfect extensions, sorted ids */
    int32_t *scratch;   /* expand's positions and rows */
    size_t scratch_cap; /* in ids */
    crm__fim_mem *mem;
};

struct crm__fim_out {
    crm__fim_reporter *rep;
    int buffered;
    int32_t *buf;
    size_t len, cap;
    crm_status status;
};

/* Number of itemsets prefix(n) x subsets(perf) within max_len, saturating. */
static int64_t n_expansions(int32_t n, int32_t n_perf, int32_t max_len)
{
    int32_t kmax = n_perf;
    int64_t total = 0, c = 1;
    if (max_len > 0 && max_len - n < kmax) {
        kmax = max_len - n;
    }
    for (int32_t k = 0; k <= kmax; k++) {
        total += c;
        if (total > ((int64_t)1 << 60)) {
            return (int64_t)1 << 60;
        }
        c = c * (n_perf - k) / (k + 1);
    }
    return total;
}

/* Deliver ids[0..n) (sorted dense ids). */
static crm_status deliver(crm__fim_reporter *r, const int32_t *ids, int32_t n, int64_t sup)
{
    crm_status rc;
    if (n < r->min_len) {
        return CRM_OK;
    }
    rc = r->sink.fn(r->sink.ud, ids, n, sup, r->err);
    if (rc != CRM_OK) {
        if (r->err != NULL && r->err->msg[0] == '\0') {
            crm__error_set(r->err, rc, "the itemset sink stopped mining (%s)", crm_status_name(rc));
        }
        return rc;
    }
    r->n_out++;
    if (n > r->max_out) {
        r->max_out = n;
    }
    return CRM_OK;
}

/* Room past the ids that copy_ids reads and writes. */
#define COPY_SLACK 8

/* dst[0..n) = src[0..n), eight ids at a time: reads and writes up to COPY_SLACK - 1 ids past
 * n (a library call for a copy of a few ids cost more than the copy). */
static inline void copy_ids(int32_t *dst, const int32_t *src, int32_t n)
{
    for (int32_t i = 0; i < n; i += 8) {
        memcpy(dst + i, src + i, 8 * sizeof *dst);
    }
}

/* The itemset cur (the base's nb ids with nc chosen extensions, sorted) and cur with every
 * subset of p[0..np) added, depth first, subsets in ascending id order. The ids chosen so far
 * are all below p[i], so cur with p[i] is cur's first bpos[i] + nc ids, p[i], then the base
 * from bpos[i] on (bpos[i]: base ids below p[i]): two copies into next instead of a merge,
 * whose unpredictable branches were most of the reporting time (mushroom at 407). next has
 * room for the rows (of row ids each) of the extensions still to add. */
static crm_status expand_ids(crm__fim_reporter *r,
                             int32_t nb,
                             const int32_t *p,
                             const int32_t *bpos,
                             int32_t np,
                             int32_t nc,
                             int32_t row,
                             const int32_t *cur,
                             int32_t *next,
                             int64_t sup)
{
    crm_status rc = deliver(r, cur, nb + nc, sup);
    for (int32_t i = 0; rc == CRM_OK && i < np; i++) {
        int32_t pos = bpos[i] + nc;
        if (r->max_len > 0 && nb + nc + 1 > r->max_len) {
            break;
        }
        copy_ids(next, cur, pos);
        next[pos] = p[i];
        copy_ids(next + pos + 1, r->base + bpos[i], nb - bpos[i]);
        rc = expand_ids(r, nb, p + i + 1, bpos + i + 1, np - i - 1, nc + 1, row, next, next + row,
                        sup);
    }
    return rc;
}

/* Map ranks to dense ids, sort prefix and extensions once, then expand. */
static crm_status expand(crm__fim_out *o,
                         const int32_t *items,
                         int32_t n,
                         const int32_t *perf,
                         int32_t n_perf,
                         int64_t sup)
{
    crm__fim_reporter *r = o->rep;
    int32_t row = n + n_perf + COPY_SLACK, depth = n_perf; /* a row per extension added */
    size_t need;
    if (r->max_len > 0 && r->max_len - n < depth) {
        depth = r->max_len - n > 0 ? r->max_len - n : 0;
    }
    need = (size_t)depth * (size_t)row + (size_t)n_perf + COPY_SLACK;
    for (int32_t i = 0; i < n; i++) {
        r->base[i] = r->rank_to_id[items[i]];
    }
    for (int32_t i = 0; i < n_perf; i++) {
        r->pids[i] = r->rank_to_id[perf[i]];
    }
    crm__fim_sort_i32(r->base, n);
    crm__fim_sort_i32(r->pids, n_perf);
    if (need > r->scratch_cap) {
        int32_t *s = crm_realloc(r->scratch, need * sizeof *s);
        if (s == NULL) {
            return CRM_ENOMEM;
        }
        r->scratch = s;
        r->scratch_cap = need;
    }
    /* scratch: bpos of each extension, then the rows of the itemsets being grown */
    for (int32_t i = 0, j = 0; i < n_perf; i++) {
        while (j < n && r->base[j] < r->pids[i]) {
            j++;
        }
        r->scratch[i] = j;
    }
    return expand_ids(r, n, r->pids, r->scratch, n_perf, 0, row, r->base, r->scratch + n_perf, sup);
}

static int buf_push(crm__fim_out *o, const int32_t *a, int32_t n)
{
    if (o->len + (size_t)n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        while (cap < o->len + (size_t)n) {
            cap *= 2;
        }
        if (!crm__fim_mem_grow(o->rep->mem, (void **)&o->buf, o->cap * sizeof *o->buf,
                               cap * sizeof *o->buf)) {
            return 0;
        }
        o->cap = cap;
    }
    memcpy(o->buf + o->len, a, (size_t)n * sizeof *a);
    o->len += (size_t)n;
    return 1;
}

crm_status crm__fim_out_emit(crm__fim_out *o,
                             const int32_t *items,
                             int32_t n,
                             const int32_t *perf,
                             int32_t n_perf,
                             int64_t sup)
{
    crm__fim_reporter *r = o->rep;
    int64_t add, now;
    if (o->status != CRM_OK) {
        return o->status;
    }
    add = n_expansions(n, n_perf, r->max_len);
    now = atomic_fetch_add_explicit(&r->count, add, memory_order_relaxed) + add;
    if (r->max_itemsets > 0 && now > r->max_itemsets) {
        atomic_store_explicit(&r->limit_hit, 1, memory_order_relaxed);
        o->status = CRM_ELIMIT;
        return o->status;
    }
    if (o->buffered) {
        int32_t head[4];
        head[0] = n;
        head[1] = n_perf;
        head[2] = (int32_t)(sup & 0x7fffffff);
        head[3] = (int32_t)(sup >> 31);
        if (!buf_push(o, head, 4) || !buf_push(o, items, n) || !buf_push(o, perf, n_perf)) {
            o->status = CRM_ENOMEM;
        }
        return o->status;
    }
    o->status = expand(o, items, n, perf, n_perf, sup);
    return o->status;
}

crm__fim_out *crm__fim_out_new_buffer(crm__fim_ctx *ctx)
{
    crm__fim_out *o = crm_calloc(1, sizeof *o);
    if (o != NULL) {
        o->rep = ctx->rep;
        o->buffered = 1;
    }
    return o;
}

void crm__fim_out_free_buffer(crm__fim_out *o)
{
    if (o != NULL) {
        crm__fim_mem_free(o->rep->mem, o->buf, o->cap * sizeof *o->buf);
        crm_free(o);
    }
}

crm_status crm__fim_out_flush_buffer(crm__fim_ctx *ctx, crm__fim_out *b, crm_error *err)
{
    crm_status rc = b->status;
    size_t k = 0;
    (void)err;
    while (rc == CRM_OK && k < b->len) {
        int32_t n = b->buf[k], n_perf = b->buf[k + 1];
        int64_t sup = (int64_t)b->buf[k + 2] | ((int64_t)b->buf[k + 3] << 31);
        const int32_t *items = b->buf + k + 4;
        rc = expand(ctx->out, items, n, items + n, n_perf, sup);
        k += 4 + (size_t)n + (size_t)n_perf;
    }
    if (rc != CRM_OK && ctx->out->status == CRM_OK) {
        ctx->out->status = rc;
    }
    crm__fim_out_free_buffer(b);
    return rc;
}

crm_status crm__fim_out_flush_batch(crm__fim_ctx *ctx,
                                    crm__fim_out **bufs,
                                    const crm_status *st,
                                    int32_t nb,
                                    crm_status rc,
                                    crm_error *err)
{
    for (int32_t k = 0; k < nb; k++) {
        if (rc == CRM_OK && st[k] != CRM_OK) {
            rc = st[k];
        }
        if (rc == CRM_OK) {
            rc = crm__fim_out_flush_buffer(ctx, bufs[k], err);
        } else {
            crm__fim_out_free_buffer(bufs[k]);
        }
    }
    return rc;
}

/* ---- closed / maximal filter --------------------------------------------------------------- */

static crm_status
guard_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err);

typedef struct guard {
    crm_itemsets *c;
    int64_t limit;
} guard;

static crm_status guard_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    guard *g = ud;
    crm_itemset_sink s = crm_itemsets_sink(g->c);
    if (g->limit > 0 && (crm_itemsets_n_itemsets(g->c) & 4095) == 0 &&
        crm__itemsets_bytes(g->c) > g->limit) {
        return crm__error_set(err, CRM_ELIMIT,
                              "keeping the itemsets for the closed/maximal filter needs more "
                              "than the memory limit of %lld MiB; raise the minimum support or "
                              "set a maximum itemset length",
                              (long long)(g->limit >> 20));
    }
    return s.fn(s.ud, items, n, sup, err);
}

crm_status crm__fim_filter_emit(const crm_itemsets *c,
                                crm_fim_mode mode,
                                const crm_fim_params *p,
                                const crm_itemset_sink *sink,
                                crm_fim_stats *st,
                                crm_error *err)
{
    int64_t n = crm_itemsets_n_itemsets(c);
    unsigned char *keep = crm_malloc((size_t)n + 1);
    int32_t sub[4096];
    crm_status rc = CRM_OK;
    if (keep == NULL) {
        return crm__error_nomem(err);
    }
    memset(keep, 1, (size_t)n + 1);
    if (err != NULL) {
        err->msg[0] = '\0';
    }
    for (int64_t i = 0; i < n; i++) {
        const int32_t *items;
        int64_t sup;
        int32_t len = crm_itemsets_get(c, i, &items, &sup);
        if (len < 2 || len > 4096) {
            continue;
        }
        for (int32_t drop = 0; drop < len; drop++) {
            int64_t j;
            int32_t m = 0;
            const int32_t *sitems;
            int64_t ssup;
            for (int32_t k = 0; k < len; k++) {
                if (k != drop) {
                    sub[m++] = items[k];
                }
            }
            j = crm__itemsets_find(c, sub, m);
            if (j < 0) {
                continue; /* cannot happen for a downward-closed collection */
            }
            (void)crm_itemsets_get(c, j, &sitems, &ssup);
            if (mode == CRM_FIM_MAXIMAL || ssup == sup) {
                keep[j] = 0;
            }
        }
    }
    for (int64_t i = 0; i < n && rc == CRM_OK; i++) {
        const int32_t *items;
        int64_t sup;
        int32_t len = crm_itemsets_get(c, i, &items, &sup);
        if (!keep[i] || len < p->min_len) {
            continue;
        }
        rc = sink->fn(sink->ud, items, len, sup, err);
        if (rc != CRM_OK && err != NULL && err->msg[0] == '\0') {
            crm__error_set(err, rc, "the itemset sink stopped (%s)", crm_status_name(rc));
        }
        st->n_itemsets++;
        if (len > st->max_len) {
            st->max_len = len;
        }
    }
    crm_free(keep);
    return rc;
}

/* ---- crm_fim_mine ---------------------------------------------------------------------------- */

static crm_status run_algo(crm__fim_ctx *ctx, crm_fim_algo algo, crm_error *err)
{
    switch (algo) {
    case CRM_FIM_FPGROWTH:
        return crm__fim_fpgrowth(ctx, err);
    case CRM_FIM_APRIORI:
        return crm__fim_apriori(ctx, err);
    default:
        return crm__fim_nlist(ctx, err);
    }
}

static crm_status mine_into(const crm_fim_db *db,
                            const crm_fim_params *p,
                            const crm_itemset_sink *sink,
                            const crm_progress *progress,
                            crm__fim_mem *mem,
                            crm_fim_stats *st,
                            crm_error *err)
{
    crm__fim_data data;
    crm__fim_reporter rep;
    crm__fim_out out;
    crm__fim_ctx ctx;
    crm_status rc;
    memset(&rep, 0, sizeof rep);
    memset(&out, 0, sizeof out);
    rc = crm__fim_data_build(db, st->minsup_count, mem, &data, err);
    if (rc == CRM_OK && p->algo != CRM_FIM_NLIST) {
        rc = crm__fim_data_recode(&data, mem, 1, err);
    }
    if (rc != CRM_OK) {
        crm__fim_data_free(&data, mem);
        return rc;
    }
    st->n_frequent_items = data.n_items;
    rep.rank_to_id = data.rank_to_id;
    rep.min_len = p->mode == CRM_FIM_ALL ? p->min_len : 1;
    rep.max_len = p->max_len;
    rep.max_itemsets = p->max_itemsets;
    atomic_init(&rep.count, 0);
    atomic_init(&rep.limit_hit, 0);
    rep.sink = *sink;
    rep.err = err;
    rep.mem = mem;
    rep.base = crm_mallocarray((size_t)data.n_items + COPY_SLACK, sizeof *rep.base);
    rep.pids = crm_mallocarray((size_t)data.n_items + 1, sizeof *rep.pids);
    rep.scratch = NULL;
    rep.scratch_cap = 0;
    out.rep = &rep;
    memset(&ctx, 0, sizeof ctx);
    ctx.data = &data;
    ctx.params = p;
    ctx.max_len = p->max_len;
#ifdef _OPENMP
    ctx.n_threads = p->n_threads > 0 ? p->n_threads : omp_get_max_threads();
#else
    ctx.n_threads = 1;
#endif
    ctx.mem = mem;
    ctx.progress = progress;
    ctx.out = &out;
    ctx.rep = &rep;
    if (err != NULL) {
        err->msg[0] = '\0'; /* a failing sink that writes no message gets a generic one */
    }
    if (rep.base == NULL || rep.pids == NULL) {
        rc = crm__error_nomem(err);
    } else if (data.n_items > 0) {
        rc = run_algo(&ctx, p->algo, err);
    }
    if (atomic_load(&rep.limit_hit)) {
        rc = crm__error_set(err, CRM_ELIMIT,
                            "more than %lld itemsets (the max_itemsets limit); raise the minimum "
                            "support, set a maximum itemset length or raise the limit",
                            (long long)p->max_itemsets);
    } else if (rc == CRM_ENOMEM && atomic_load(&mem->over)) {
        rc = crm__fim_mem_error(mem, err);
    }
    st->n_itemsets = rep.n_out;
    st->max_len = rep.max_out;
    CRM__FREE(rep.base, rep.pids, rep.scratch);
    crm__fim_data_free(&data, mem);
    return rc;
}

crm_status crm_fim_mine(const crm_fim_db *db,
                        const crm_fim_params *p,
                        const crm_itemset_sink *sink,
                        const crm_progress *progress,
                        crm_fim_stats *stats,
                        crm_error *err)
{
    double t0 = crm__now_seconds();
    crm_fim_stats st;
    crm__fim_mem mem;
    crm_status rc;
    memset(&st, 0, sizeof st);
    if (stats != NULL) {
        memset(stats, 0, sizeof *stats);
    }
    if (db == NULL || sink == NULL || sink->fn == NULL) {
        return crm__error_set(err, CRM_EINVAL, "mine: db and sink are required");
    }
    rc = crm_fim_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (!db->finished) {
        return crm__error_set(err, CRM_ESTATE, "mine: the database is not finished");
    }
    crm__fim_mem_init(&mem, p->max_memory_bytes);
    st.n_transactions = db->n_trans;
    st.minsup_count = crm_fim_minsup_count(p, db->n_trans);
    if (p->mode == CRM_FIM_ALL) {
        rc = mine_into(db, p, sink, progress, &mem, &st, err);
    } else {
        crm_itemsets *c = NULL;
        guard g;
        crm_itemset_sink gs;
        rc = crm_itemsets_new(db->n_trans, &c, err);
        g.c = c;
        g.limit = p->max_memory_bytes;
        gs.fn = guard_sink;
        gs.ud = &g;
        if (rc == CRM_OK) {
            crm_fim_stats all = st;
            rc = mine_into(db, p, &gs, progress, &mem, &all, err);
            st.n_frequent_items = all.n_frequent_items;
        }
        if (rc == CRM_OK) {
            rc = crm_itemsets_sort(c, err);
        }
        if (rc == CRM_OK) {
            rc = crm__fim_filter_emit(c, p->mode, p, sink, &st, err);
        }
        crm_itemsets_free(c);
    }
    st.peak_memory_bytes = atomic_load(&mem.peak);
    st.seconds = crm__now_seconds() - t0;
    if (stats != NULL) {
        *stats = st;
    }
    return rc;
}

crm_status crm_fim_mine_collect(const crm_fim_db *db,
                                const crm_fim_params *p,
                                const crm_progress *progress,
                                crm_itemsets **out,
                                crm_error *err)
{
    crm_itemsets *c = NULL;
    crm_itemset_sink s;
    crm_status rc;
    if (out == NULL || db == NULL) {
        return crm__error_set(err, CRM_EINVAL, "mine_collect: db and out are required");
    }
    *out = NULL;
    rc = crm_itemsets_new(db->n_trans, &c, err);
    if (rc != CRM_OK) {
        return rc;
    }
    s = crm_itemsets_sink(c);
    rc = crm_fim_mine(db, p, &s, progress, NULL, err);
    if (rc == CRM_OK) {
        rc = crm_itemsets_sort(c, err);
    }
    if (rc != CRM_OK) {
        crm_itemsets_free(c);
        return rc;
    }
    *out = c;
    return CRM_OK;
}
