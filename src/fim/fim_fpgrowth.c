/* fim_fpgrowth.c: FP-Growth frequent itemset mining.
 *
 * Han, Pei, Yin, "Mining frequent patterns without candidate generation", SIGMOD 2000.
 * An FP-tree holds the ranked transactions as a prefix tree with a node-link list per item.
 * For each item i (least frequent first) the prefix paths of its nodes form the conditional
 * pattern base of prefix + i; its frequent items make the conditional FP-tree, mined
 * recursively. A conditional tree that is a single path is not mined further: every subset
 * of its nodes is reported directly, with the support of the deepest node chosen. Items of
 * a pattern base that occur in every path (support equal to the prefix's) are perfect
 * extensions and are reported by combination instead of being put into the tree.
 *
 * Trees are built without child search: the (weighted) sequences are sorted
 * lexicographically and consecutive sequences share their common prefix. Every conditional
 * tree lives in a stack arena released when its prefix is done. Top-level items run in
 * parallel like the N-list miner (fixed batches, outputs replayed in item order). */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fim_internal.h"

typedef struct fptree {
    int32_t n_items;     /* local items, ascending global rank */
    const int32_t *rank; /* local item -> global rank */
    int64_t *sup;
    int32_t *head;   /* first node of each local item, -1 */
    int32_t n_nodes; /* node 0 is the root */
    int32_t *item;
    int32_t *parent;
    int32_t *next;
    int64_t *count;
    int single_path;
} fptree;

typedef struct seqs {
    int64_t n;
    int64_t *off;
    int32_t *items;
    int64_t *w;
} seqs;

typedef struct fp_search {
    crm__fim_ctx *ctx;
    crm__fim_arena arena;
    crm__fim_out *out;
    int32_t *prefix;
    int32_t *perf;
    /* conditional(): counts (kept zero between calls), map and the items met, by local item */
    int64_t *cnt;
    int32_t *map;
    int32_t *touched;
    int64_t minsup;
    int32_t max_len;
} fp_search;

#define ARENA_ARRAY(a, n, type)                                                                    \
    ((type *)crm__fim_arena_alloc((a), ((size_t)(n) + 1) * sizeof(type)))

static crm_status
tree_build(crm__fim_arena *a, int32_t n_items, const int32_t *rank, const seqs *sq, fptree *t)
{
    int64_t *order = ARENA_ARRAY(a, sq->n, int64_t);
    int64_t *tmp = ARENA_ARRAY(a, 3 * sq->n, int64_t);
    int32_t *path = ARENA_ARRAY(a, n_items + 1, int32_t);
    int64_t nodes;
    int32_t depth = 0, next_node = 1;
    memset(t, 0, sizeof *t);
    if (order == NULL || tmp == NULL || path == NULL) {
        return CRM_ENOMEM;
    }
    for (int64_t k = 0; k < sq->n; k++) {
        order[k] = k;
    }
    crm__fim_lex_sort(sq->off, sq->items, n_items, order, tmp, sq->n);
    nodes = crm__fim_prefix_nodes(sq->off, sq->items, order, sq->n);
    if (nodes >= INT32_MAX) {
        return CRM_ELIMIT;
    }
    t->n_items = n_items;
    t->rank = rank;
    t->n_nodes = (int32_t)nodes;
    t->sup = ARENA_ARRAY(a, n_items, int64_t);
    t->head = ARENA_ARRAY(a, n_items, int32_t);
    t->item = ARENA_ARRAY(a, nodes, int32_t);
    t->parent = ARENA_ARRAY(a, nodes, int32_t);
    t->next = ARENA_ARRAY(a, nodes, int32_t);
    t->count = ARENA_ARRAY(a, nodes, int64_t);
    if (t->sup == NULL || t->head == NULL || t->item == NULL || t->parent == NULL ||
        t->next == NULL || t->count == NULL) {
        return CRM_ENOMEM;
    }
    memset(t->sup, 0, (size_t)n_items * sizeof *t->sup);
    memset(t->head, 0xff, (size_t)n_items * sizeof *t->head);
    memset(t->count, 0, (size_t)nodes * sizeof *t->count);
    t->item[0] = -1;
    t->parent[0] = -1;
    path[0] = 0;
    for (int64_t k = 0; k < sq->n; k++) {
        int64_t s = order[k];
        const int32_t *x = sq->items + sq->off[s];
        int32_t len = (int32_t)(sq->off[s + 1] - sq->off[s]), l = 0;
        while (l < len && l < depth && t->item[path[l + 1]] == x[l]) {
            l++;
        }
        for (depth = l; depth < len; depth++) {
            int32_t nd = next_node++;
            t->item[nd] = x[depth];
            t->parent[nd] = path[depth];
            t->next[nd] = t->head[x[depth]];
            t->head[x[depth]] = nd;
            path[depth + 1] = nd;
        }
        for (int32_t i = 1; i <= len; i++) {
            t->count[path[i]] += sq->w[s];
            t->sup[x[i - 1]] += sq->w[s];
        }
    }
    t->single_path = 1;
    for (int32_t nd = 2; nd < t->n_nodes; nd++) {
        if (t->parent[nd] != nd - 1) {
            t->single_path = 0;
            break;
        }
    }
    return CRM_OK;
}

/* Conditional tree of local item i of t; perfect extensions go onto s->perf[*np...]. */
static crm_status conditional(fp_search *s, const fptree *t, int32_t i, int32_t *np, fptree *c)
{
    crm__fim_arena *a = &s->arena;
    int64_t *cnt = s->cnt;
    int32_t *map = s->map, *touched = s->touched, *rank;
    int64_t n_seq = 0, total = 0, sup = t->sup[i];
    int32_t n_kept = 0, n_touched = 0;
    seqs sq;
    /* The items above item i's nodes, each once: with a list instead of a pass over the i
     * items before it, a tree of 528,000 sparse items is mined in linear time, not quadratic. */
    for (int32_t nd = t->head[i]; nd >= 0; nd = t->next[nd]) {
        for (int32_t p = t->parent[nd]; p > 0; p = t->parent[p]) {
            int32_t y = t->item[p];
            if (cnt[y] == 0) {
                touched[n_touched++] = y;
            }
            cnt[y] += t->count[nd];
            total++;
        }
        n_seq++;
    }
    if ((int64_t)n_touched * 64 >= i) { /* not sparse: the items before i in order, one pass */
        n_touched = 0;
        for (int32_t y = 0; y < i; y++) {
            if (cnt[y] != 0) {
                touched[n_touched++] = y;
            }
        }
    } else { /* sparse: sort the few met (ascending local item: ascending rank) */
        crm__fim_sort_i32(touched, n_touched);
    }
    rank = ARENA_ARRAY(a, n_touched, int32_t);
    if (rank == NULL) {
        for (int32_t k = 0; k < n_touched; k++) {
            cnt[touched[k]] = 0;
        }
        return CRM_ENOMEM;
    }
    for (int32_t k = 0; k < n_touched; k++) {
        int32_t y = touched[k];
        map[y] = -1;
        if (cnt[y] == sup) {
            s->perf[(*np)++] = t->rank[y];
        } else if (cnt[y] >= s->minsup) {
            rank[n_kept] = t->rank[y];
            map[y] = n_kept++;
        }
        cnt[y] = 0;
    }
    memset(c, 0, sizeof *c);
    if (n_kept == 0) {
        return CRM_OK;
    }
    sq.off = ARENA_ARRAY(a, n_seq, int64_t);
    sq.items = ARENA_ARRAY(a, total, int32_t);
    sq.w = ARENA_ARRAY(a, n_seq, int64_t);
    if (sq.off == NULL || sq.items == NULL || sq.w == NULL) {
        return CRM_ENOMEM;
    }
    sq.n = 0;
    sq.off[0] = 0;
    for (int32_t nd = t->head[i]; nd >= 0; nd = t->next[nd]) {
        int64_t b = sq.off[sq.n], e = b;
        for (int32_t p = t->parent[nd]; p > 0; p = t->parent[p]) {
            if (map[t->item[p]] >= 0) {
                sq.items[e++] = map[t->item[p]];
            }
        }
        if (e == b) {
            continue;
        }
        for (int64_t x = b, y = e - 1; x < y; x++, y--) { /* walked upwards: reverse */
            int32_t tmp = sq.items[x];
            sq.items[x] = sq.items[y];
            sq.items[y] = tmp;
        }
        sq.w[sq.n] = t->count[nd];
        sq.off[++sq.n] = e;
    }
    return tree_build(a, n_kept, rank, &sq, c);
}

static crm_status mine_tree(fp_search *s, const fptree *t, int32_t depth, int32_t n_perf);

/* Every subset of a single path: for each node k, itemsets prefix + k + any nodes above k. */
static crm_status single_path(fp_search *s, const fptree *c, int32_t depth, int32_t np)
{
    crm_status rc = CRM_OK;
    for (int32_t k = 1; k < c->n_nodes && rc == CRM_OK; k++) {
        int32_t m = np;
        if (s->max_len > 0 && depth + 1 > s->max_len) {
            break;
        }
        for (int32_t a = 1; a < k; a++) {
            s->perf[m++] = c->rank[c->item[a]];
        }
        s->prefix[depth] = c->rank[c->item[k]];
        rc = crm__fim_out_emit(s->out, s->prefix, depth + 1, s->perf, m, c->count[k]);
    }
    return rc;
}

static crm_status
process_item(fp_search *s, const fptree *t, int32_t depth, int32_t n_perf, int32_t i)
{
    crm__fim_mark mark = crm__fim_arena_mark(&s->arena);
    int32_t np = n_perf;
    fptree c;
    crm_status rc = CRM_OK;
    s->prefix[depth] = t->rank[i];
    memset(&c, 0, sizeof c);
    if (s->max_len == 0 || depth + 1 < s->max_len) {
        rc = conditional(s, t, i, &np, &c);
    }
    if (rc == CRM_OK) {
        rc = crm__fim_out_emit(s->out, s->prefix, depth + 1, s->perf, np, t->sup[i]);
    }
    if (rc == CRM_OK && c.n_items > 0) {
        rc = c.single_path ? single_path(s, &c, depth + 1, np) : mine_tree(s, &c, depth + 1, np);
    }
    crm__fim_arena_release(&s->arena, mark);
    return rc;
}

static crm_status mine_tree(fp_search *s, const fptree *t, int32_t depth, int32_t n_perf)
{
    crm_status rc = CRM_OK;
    for (int32_t i = t->n_items - 1; i >= 0 && rc == CRM_OK; i--) {
        rc = process_item(s, t, depth, n_perf, i);
    }
    return rc;
}

/* ---- driver ---------------------------------------------------------------------------------- */

static int search_init(fp_search *s, crm__fim_ctx *ctx)
{
    size_t n = (size_t)ctx->data->n_items + 1;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->minsup = ctx->data->minsup;
    s->max_len = ctx->max_len;
    crm__fim_arena_init(&s->arena, ctx->mem, (size_t)1 << 20);
    s->prefix = crm__fim_mem_alloc(ctx->mem, n * sizeof *s->prefix);
    s->perf = crm__fim_mem_alloc(ctx->mem, n * sizeof *s->perf);
    s->cnt = crm__fim_mem_calloc(ctx->mem, n, sizeof *s->cnt);
    s->map = crm__fim_mem_alloc(ctx->mem, n * sizeof *s->map);
    s->touched = crm__fim_mem_alloc(ctx->mem, n * sizeof *s->touched);
    return s->prefix != NULL && s->perf != NULL && s->cnt != NULL && s->map != NULL &&
           s->touched != NULL;
}

static void search_fini(fp_search *s)
{
    size_t n = (size_t)s->ctx->data->n_items + 1;
    crm__fim_arena_fini(&s->arena);
    crm__fim_mem_free(s->ctx->mem, s->prefix, n * sizeof *s->prefix);
    crm__fim_mem_free(s->ctx->mem, s->perf, n * sizeof *s->perf);
    crm__fim_mem_free(s->ctx->mem, s->cnt, n * sizeof *s->cnt);
    crm__fim_mem_free(s->ctx->mem, s->map, n * sizeof *s->map);
    crm__fim_mem_free(s->ctx->mem, s->touched, n * sizeof *s->touched);
}

#define BATCH 32

static crm_status
run_parallel(crm__fim_ctx *ctx, const fptree *top, fp_search *ss, int nt, crm_error *err)
{
    int32_t n = top->n_items;
    crm__fim_out *bufs[BATCH];
    crm_status rc = CRM_OK;
    for (int32_t b0 = 0; b0 < n && rc == CRM_OK; b0 += BATCH) {
        int32_t nb = n - b0 < BATCH ? n - b0 : BATCH;
        crm_status st[BATCH];
        for (int32_t k = 0; k < nb; k++) {
            bufs[k] = crm__fim_out_new_buffer(ctx);
            st[k] = bufs[k] == NULL ? CRM_ENOMEM : CRM_OK;
        }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int32_t k = 0; k < nb; k++) {
            if (st[k] == CRM_OK) {
#ifdef _OPENMP
                fp_search *s = &ss[omp_get_thread_num()];
#else
                fp_search *s = &ss[0];
#endif
                s->out = bufs[k];
                st[k] = process_item(s, top, 0, 0, n - 1 - (b0 + k));
            }
        }
        rc = crm__fim_out_flush_batch(ctx, bufs, st, nb, rc, err);
        if (rc == CRM_OK &&
            !crm_progress_report(ctx->progress, "mining", (double)(b0 + nb) / (double)n)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    return rc;
}

crm_status crm__fim_fpgrowth(crm__fim_ctx *ctx, crm_error *err)
{
    const crm__fim_data *d = ctx->data;
    int nt = ctx->n_threads > 1 && d->n_items > 1 ? ctx->n_threads : 1;
    fp_search *ss = crm_calloc((size_t)nt, sizeof *ss);
    crm__fim_arena top_arena;
    int32_t *rank = NULL;
    int64_t *w = NULL;
    fptree top;
    seqs sq;
    crm_status rc = CRM_OK;
    crm__fim_arena_init(&top_arena, ctx->mem, (size_t)1 << 22);
    if (ss == NULL) {
        return crm__error_nomem(err);
    }
    for (int k = 0; k < nt && rc == CRM_OK; k++) {
        if (!search_init(&ss[k], ctx)) {
            rc = CRM_ENOMEM;
        }
    }
    rank = ARENA_ARRAY(&top_arena, d->n_items, int32_t);
    w = ARENA_ARRAY(&top_arena, d->n_trans, int64_t);
    if (rc == CRM_OK && (rank == NULL || w == NULL)) {
        rc = CRM_ENOMEM;
    }
    if (rc == CRM_OK) {
        for (int32_t r = 0; r < d->n_items; r++) {
            rank[r] = r;
        }
        for (int64_t t = 0; t < d->n_trans; t++) {
            w[t] = 1;
        }
        sq.n = d->n_trans;
        sq.off = d->off;
        sq.items = d->items;
        sq.w = w;
        rc = tree_build(&top_arena, d->n_items, rank, &sq, &top);
    }
    if (rc == CRM_OK && nt == 1) {
        ss[0].out = ctx->out;
        rc = mine_tree(&ss[0], &top, 0, 0);
    } else if (rc == CRM_OK) {
        rc = run_parallel(ctx, &top, ss, nt, err);
    }
    if (rc == CRM_ENOMEM) {
        rc = crm__fim_mem_error(ctx->mem, err);
    } else if (rc == CRM_ELIMIT && !atomic_load(&ctx->mem->over)) {
        /* A tree over 2^31 nodes; a max_itemsets stop is reported by the caller. */
        (void)crm__error_set(err, CRM_ELIMIT, "an FP-tree would have more than 2^31 nodes");
    }
    for (int k = 0; k < nt; k++) {
        if (ss[k].ctx != NULL) {
            search_fini(&ss[k]);
        }
    }
    crm_free(ss);
    crm__fim_arena_fini(&top_arena);
    return rc;
}
