/* fim_nlist.c: PrePost (N-List) frequent itemset mining.
 *
 * Deng, Wang, Jiang, "A new algorithm for fast mining frequent itemsets using N-lists",
 * Science China Information Sciences 55(9), 2012; with the children-parent equivalence
 * pruning of PrePost+ (Deng, Lv 2015), which is the "perfect extension" rule: when
 * support(P + y) = support(P), y joins every itemset below P at no cost.
 *
 * Items are ranked by descending support. The PPC-tree is a prefix tree of the ranked
 * transactions; each node gets a pre-order and a post-order number, and node A is an
 * ancestor of node B iff pre(A) < pre(B) and post(A) > post(B). The tree is built without
 * child search: transactions are sorted lexicographically, so consecutive transactions share
 * their common prefix and nodes are created in pre-order.
 *
 * An itemset is extended by items more frequent than all of its items (closer to the root).
 * The N-list of itemset P + y (y the most frequent item) lists the y-nodes that have P's
 * items below them, with the count of transactions through that node that contain P. The
 * N-list of P + {y, z} (z more frequent than y) is the intersection of N-list(P + z) (the
 * ancestor side) with N-list(P + y): each y-code adds its count to its z-ancestor. N-lists of
 * two-itemsets {x, y} come straight from the tree, by walking up from each x-node, one item
 * x at a time, so only the N-lists of one top-level class are alive at once.
 *
 * Top-level classes are independent and run in parallel (OpenMP) in fixed batches; their
 * buffered itemsets are replayed in class order, so output does not depend on threads. */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fim_internal.h"

typedef struct code {
    int32_t pre;
    int32_t post;
    int32_t cnt;
} code;

typedef struct ppc_tree {
    int32_t n_nodes;   /* node 0 is the root */
    int32_t *item;     /* rank, -1 for the root */
    int32_t *parent;
    int32_t *post;
    int32_t *count;
    int32_t *depth;    /* root 0 */
    int32_t *up;       /* (parent, item) pairs side by side: walks touch one cache line */
    int32_t *by_item;  /* nodes grouped by item, each group in pre-order */
    int32_t *item_off; /* n_items + 1 */
} ppc_tree;

typedef struct member {
    int32_t item;
    int32_t len;
    int64_t sup;
    code *nl;
} member;

typedef struct workspace {
    crm__fim_arena arena;
    int64_t *cnt;    /* per item: support of {x, item} */
    int32_t *ent;    /* per item: N-list entries before merging */
    int32_t *touched;
    int32_t *slot;   /* per item: member index in the current class, -1 */
    int32_t *prefix; /* current itemset */
    int32_t *perf;   /* perfect extensions, stacked by depth */
} workspace;

/* ---- lexicographic order of transactions --------------------------------------------------- */

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

void crm__fim_lex_sort(const int64_t *off, const int32_t *items, int64_t *a, int64_t *tmp,
                       int64_t n)
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
    crm__fim_lex_sort(off, items, a, tmp, h);
    crm__fim_lex_sort(off, items, a + h, tmp, n - h);
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

crm_status crm__fim_sorted_order(const crm__fim_data *d, crm__fim_mem *mem, int64_t **out,
                                 crm_error *err)
{
    int64_t n = d->n_trans;
    int64_t *idx = crm__fim_mem_alloc(mem, ((size_t)n + 1) * sizeof *idx);
    int64_t *tmp = crm__fim_mem_alloc(mem, ((size_t)n + 1) * sizeof *tmp);
    *out = NULL;
    if (idx == NULL || tmp == NULL) {
        crm__fim_mem_free(mem, idx, ((size_t)n + 1) * sizeof *idx);
        crm__fim_mem_free(mem, tmp, ((size_t)n + 1) * sizeof *tmp);
        return crm__fim_mem_error(mem, err);
    }
    for (int64_t t = 0; t < n; t++) {
        idx[t] = t;
    }
    crm__fim_lex_sort(d->off, d->items, idx, tmp, n);
    crm__fim_mem_free(mem, tmp, ((size_t)n + 1) * sizeof *tmp);
    *out = idx;
    return CRM_OK;
}

/* ---- PPC-tree -------------------------------------------------------------------------------- */

static void tree_free(ppc_tree *t, crm__fim_mem *mem, int32_t n_items)
{
    size_t n = (size_t)t->n_nodes + 1;
    crm__fim_mem_free(mem, t->item, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->parent, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->post, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->count, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->depth, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->up, 2 * n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->by_item, n * sizeof(int32_t));
    crm__fim_mem_free(mem, t->item_off, ((size_t)n_items + 2) * sizeof(int32_t));
    memset(t, 0, sizeof *t);
}

/* Nodes needed: 1 + number of distinct prefixes, counted on the sorted order. */
static int64_t count_nodes(const crm__fim_data *d, const int64_t *order)
{
    int64_t nodes = 1;
    for (int64_t k = 0; k < d->n_trans; k++) {
        int64_t t = order[k], len = d->off[t + 1] - d->off[t], l = 0;
        if (k > 0) {
            int64_t p = order[k - 1], plen = d->off[p + 1] - d->off[p];
            const int32_t *a = d->items + d->off[t], *b = d->items + d->off[p];
            while (l < len && l < plen && a[l] == b[l]) {
                l++;
            }
        }
        nodes += len - l;
    }
    return nodes;
}

static crm_status tree_alloc(ppc_tree *t, crm__fim_mem *mem, int64_t nodes, int32_t n_items)
{
    size_t n = (size_t)nodes + 1;
    t->n_nodes = (int32_t)nodes;
    t->item = crm__fim_mem_alloc(mem, n * sizeof(int32_t));
    t->parent = crm__fim_mem_alloc(mem, n * sizeof(int32_t));
    t->post = crm__fim_mem_alloc(mem, n * sizeof(int32_t));
    t->count = crm__fim_mem_calloc(mem, n, sizeof(int32_t));
    t->depth = crm__fim_mem_alloc(mem, n * sizeof(int32_t));
    t->up = crm__fim_mem_alloc(mem, 2 * n * sizeof(int32_t));
    t->by_item = crm__fim_mem_alloc(mem, n * sizeof(int32_t));
    t->item_off = crm__fim_mem_calloc(mem, (size_t)n_items + 2, sizeof(int32_t));
    if (t->item == NULL || t->parent == NULL || t->post == NULL || t->count == NULL ||
        t->depth == NULL || t->up == NULL || t->by_item == NULL || t->item_off == NULL) {
        return CRM_ENOMEM;
    }
    return CRM_OK;
}

static void tree_fill(ppc_tree *t, const crm__fim_data *d, const int64_t *order, int32_t *path)
{
    int32_t depth = 0, next = 1, post = 0;
    path[0] = 0;
    t->item[0] = -1;
    t->parent[0] = -1;
    t->depth[0] = 0;
    for (int64_t k = 0; k < d->n_trans; k++) {
        int64_t tr = order[k];
        const int32_t *a = d->items + d->off[tr];
        int32_t len = (int32_t)(d->off[tr + 1] - d->off[tr]), l = 0;
        while (l < len && l < depth && t->item[path[l + 1]] == a[l]) {
            l++;
        }
        while (depth > l) {
            t->post[path[depth--]] = post++;
        }
        for (; depth < len; depth++) {
            int32_t nd = next++;
            t->item[nd] = a[depth];
            t->parent[nd] = path[depth];
            t->depth[nd] = depth + 1;
            path[depth + 1] = nd;
        }
        for (int32_t i = 1; i <= len; i++) {
            t->count[path[i]]++;
        }
    }
    while (depth > 0) {
        t->post[path[depth--]] = post++;
    }
    t->post[0] = post;
}

static void tree_group(ppc_tree *t, int32_t n_items)
{
    int32_t *off = t->item_off;
    for (int32_t nd = 1; nd < t->n_nodes; nd++) {
        off[t->item[nd] + 1]++;
    }
    for (int32_t i = 0; i < n_items; i++) {
        off[i + 1] += off[i];
    }
    for (int32_t nd = 1; nd < t->n_nodes; nd++) {
        t->by_item[off[t->item[nd]]++] = nd;
    }
    for (int32_t i = n_items; i > 0; i--) {
        off[i] = off[i - 1];
    }
    off[0] = 0;
}

static crm_status tree_build(const crm__fim_data *d, crm__fim_mem *mem, ppc_tree *t,
                             crm_error *err)
{
    int64_t *order = NULL;
    int32_t *path = NULL;
    int64_t nodes;
    int32_t maxlen = 0;
    crm_status rc;
    memset(t, 0, sizeof *t);
    rc = crm__fim_sorted_order(d, mem, &order, err);
    if (rc != CRM_OK) {
        return rc;
    }
    nodes = count_nodes(d, order);
    if (nodes >= INT32_MAX || d->n_trans >= INT32_MAX) {
        rc = crm__error_set(err, CRM_ELIMIT, "the PPC-tree would have more than 2^31 nodes");
        goto done;
    }
    for (int64_t k = 0; k < d->n_trans; k++) {
        int64_t len = d->off[k + 1] - d->off[k];
        maxlen = len > maxlen ? (int32_t)len : maxlen;
    }
    path = crm_mallocarray((size_t)maxlen + 2, sizeof *path);
    if (path == NULL || tree_alloc(t, mem, nodes, d->n_items) != CRM_OK) {
        rc = path == NULL ? crm__error_nomem(err) : crm__fim_mem_error(mem, err);
        goto done;
    }
    tree_fill(t, d, order, path);
    tree_group(t, d->n_items);
    for (int32_t nd = 0; nd < t->n_nodes; nd++) {
        t->up[2 * nd] = t->parent[nd];
        t->up[2 * nd + 1] = t->item[nd];
    }
done:
    crm_free(path);
    crm__fim_mem_free(mem, order, ((size_t)d->n_trans + 1) * sizeof *order);
    return rc;
}

/* ---- N-list intersection ------------------------------------------------------------------- */

/* N-list of P + {y, z} from anc = N-list(P + z) and desc = N-list(P + y); returns the
 * support, or -1 when it cannot reach minsup (out is then garbage). */
static int64_t intersect(const code *anc, int32_t la, const code *desc, int32_t ld,
                         int64_t sup_desc, int64_t minsup, code *out, int32_t *n_out)
{
    int32_t i = 0, j = 0, n = 0;
    int64_t acc = 0, rem = sup_desc;
    while (i < la && j < ld) {
        if (anc[i].pre < desc[j].pre) {
            if (anc[i].post > desc[j].post) {
                if (n > 0 && out[n - 1].pre == anc[i].pre) {
                    out[n - 1].cnt += desc[j].cnt;
                } else {
                    out[n].pre = anc[i].pre;
                    out[n].post = anc[i].post;
                    out[n].cnt = desc[j].cnt;
                    n++;
                }
                acc += desc[j].cnt;
                rem -= desc[j].cnt;
                j++;
            } else {
                i++;
            }
        } else {
            rem -= desc[j].cnt;
            j++;
            if (acc + rem < minsup) {
                return -1;
            }
        }
    }
    *n_out = n;
    return acc >= minsup ? acc : -1;
}

/* ---- the search ------------------------------------------------------------------------------ */

/* Frequent pairs: row x (a rank) has one bit per rank y < x, set when {x, y} is frequent.
 * Joins of two members whose items are not a frequent pair are skipped without
 * intersecting their N-lists (most of them, on sparse data). Row x is written by the
 * top-level class of x, which counts exactly these pairs anyway; a row not written yet (a
 * class still running on another thread) reads as "maybe frequent", which costs time, never
 * a different result. */
typedef struct pair_bits {
    uint64_t *words;
    int64_t *row; /* word offset of each row */
    int64_t n_words;
    _Atomic int *ready;
} pair_bits;

static inline int pair_frequent(const pair_bits *pb, int32_t x, int32_t y)
{
    if (!atomic_load_explicit(&pb->ready[x], memory_order_acquire)) {
        return 1;
    }
    return (int)((pb->words[pb->row[x] + (y >> 6)] >> (y & 63)) & 1u);
}

typedef struct search {
    crm__fim_ctx *ctx;
    const ppc_tree *tree;
    const pair_bits *pairs;
    workspace *ws;
    crm__fim_out *out;
    int64_t minsup;
    int32_t max_len;
} search;

static crm_status mine_class(search *s, int32_t depth, int32_t n_perf, member *m, int32_t n_m);

/* Q = prefix[0..depth) + m[i]: find its class among m[0..i), report it, recurse. */
/* Kids of Q = P + m[i] by pairwise N-list intersection (dense data: few members, deep
 * paths). Returns the number of kids or -1 (out of memory). */
static int32_t kids_by_intersection(search *s, member *m, int32_t i, member *kids, int32_t *np)
{
    workspace *ws = s->ws;
    int32_t n_kids = 0;
    for (int32_t j = 0; j < i; j++) {
        int32_t cap = m[j].len < m[i].len ? m[j].len : m[i].len;
        code *buf;
        int32_t len = 0;
        int64_t sup;
        if (!pair_frequent(s->pairs, m[i].item, m[j].item)) {
            continue;
        }
        buf = crm__fim_arena_alloc(&ws->arena, (size_t)cap * sizeof *buf);
        if (buf == NULL) {
            return -1;
        }
        sup = intersect(m[j].nl, m[j].len, m[i].nl, m[i].len, m[i].sup, s->minsup, buf, &len);
        if (sup == m[i].sup) {
            ws->perf[(*np)++] = m[j].item;
        } else if (sup >= 0) {
            kids[n_kids].item = m[j].item;
            kids[n_kids].nl = buf;
            kids[n_kids].len = len;
            kids[n_kids].sup = sup;
            n_kids++;
        }
    }
    return n_kids;
}

/* The same kids by walking up from each node of N-list(Q) and counting the members met on
 * the way, as for two-itemsets (sparse data: many members, short paths). Items on a path
 * rise in frequency toward the root, so a walk stops below the most frequent member. */
static int32_t kids_by_walk(search *s, member *m, int32_t i, member *kids, int32_t *np)
{
    workspace *ws = s->ws;
    const ppc_tree *t = s->tree;
    int64_t *cnt = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *cnt);
    int32_t *ent = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *ent);
    int32_t *kid_of = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *kid_of);
    int32_t lo = m[0].item, n_kids = 0;
    if (cnt == NULL || ent == NULL || kid_of == NULL) {
        return -1;
    }
    memset(cnt, 0, (size_t)i * sizeof *cnt);
    memset(ent, 0, (size_t)i * sizeof *ent);
    for (int32_t j = 0; j < i; j++) {
        ws->slot[m[j].item] = j;
    }
    for (int32_t k = 0; k < m[i].len; k++) {
        int32_t c = m[i].nl[k].cnt;
        for (int32_t a = t->up[2 * m[i].nl[k].pre]; a > 0 && t->up[2 * a + 1] >= lo;
             a = t->up[2 * a]) {
            int32_t j = ws->slot[t->up[2 * a + 1]];
            if (j >= 0) {
                cnt[j] += c;
                ent[j]++;
            }
        }
    }
    for (int32_t j = 0; j < i; j++) {
        kid_of[j] = -1;
        if (cnt[j] == m[i].sup) {
            ws->perf[(*np)++] = m[j].item;
        } else if (cnt[j] >= s->minsup) {
            kids[n_kids].item = m[j].item;
            kids[n_kids].sup = cnt[j];
            kids[n_kids].len = 0;
            kids[n_kids].nl = crm__fim_arena_alloc(&ws->arena, (size_t)ent[j] * sizeof(code));
            if (kids[n_kids].nl == NULL) {
                n_kids = -1;
                break;
            }
            kid_of[j] = n_kids++;
        }
    }
    for (int32_t k = 0; k < m[i].len && n_kids > 0; k++) {
        int32_t c = m[i].nl[k].cnt;
        for (int32_t a = t->up[2 * m[i].nl[k].pre]; a > 0 && t->up[2 * a + 1] >= lo;
             a = t->up[2 * a]) {
            int32_t j = ws->slot[t->up[2 * a + 1]];
            member *kd;
            if (j < 0 || kid_of[j] < 0) {
                continue;
            }
            kd = &kids[kid_of[j]];
            if (kd->len > 0 && kd->nl[kd->len - 1].pre == a) {
                kd->nl[kd->len - 1].cnt += c;
            } else {
                kd->nl[kd->len].pre = a;
                kd->nl[kd->len].post = t->post[a];
                kd->nl[kd->len].cnt = c;
                kd->len++;
            }
        }
    }
    for (int32_t j = 0; j < i; j++) {
        ws->slot[m[j].item] = -1;
    }
    return n_kids;
}

/* Walking costs the path lengths above N-list(Q); intersecting costs the list lengths. */
static int walk_is_cheaper(const search *s, const member *m, int32_t i)
{
    const ppc_tree *t = s->tree;
    int64_t walk = 0, inter = 0;
    for (int32_t k = 0; k < m[i].len; k++) {
        walk += t->depth[m[i].nl[k].pre];
    }
    for (int32_t j = 0; j < i && inter <= 2 * walk; j++) {
        if (pair_frequent(s->pairs, m[i].item, m[j].item)) {
            inter += m[j].len + m[i].len;
        }
    }
    return 2 * walk < inter;
}

/* Q = prefix[0..depth) + m[i]: find its class among m[0..i), report it, recurse. */
static crm_status visit(search *s, int32_t depth, int32_t n_perf, member *m, int32_t i)
{
    workspace *ws = s->ws;
    crm__fim_mark mark = crm__fim_arena_mark(&ws->arena);
    member *kids = NULL;
    int32_t n_kids = 0, np = n_perf;
    crm_status rc;
    ws->prefix[depth] = m[i].item;
    if (i > 0 && (s->max_len == 0 || depth + 1 < s->max_len)) {
        kids = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *kids);
        if (kids == NULL) {
            return CRM_ENOMEM;
        }
        n_kids = walk_is_cheaper(s, m, i) ? kids_by_walk(s, m, i, kids, &np)
                                          : kids_by_intersection(s, m, i, kids, &np);
        if (n_kids < 0) {
            crm__fim_arena_release(&ws->arena, mark);
            return CRM_ENOMEM;
        }
    }
    rc = crm__fim_out_emit(s->out, ws->prefix, depth + 1, ws->perf, np, m[i].sup);
    if (rc == CRM_OK && n_kids > 0) {
        rc = mine_class(s, depth + 1, np, kids, n_kids);
    }
    crm__fim_arena_release(&ws->arena, mark);
    return rc;
}

static crm_status mine_class(search *s, int32_t depth, int32_t n_perf, member *m, int32_t n_m)
{
    crm_status rc = CRM_OK;
    for (int32_t i = 0; i < n_m && rc == CRM_OK; i++) {
        rc = visit(s, depth, n_perf, m, i);
    }
    return rc;
}

/* The class of top-level item x: N-lists of {x, y} for every frequent y more frequent. */
static crm_status top_level(search *s, int32_t x)
{
    const ppc_tree *t = s->tree;
    workspace *ws = s->ws;
    const int32_t *nodes = t->by_item + t->item_off[x];
    int32_t n_nodes = t->item_off[x + 1] - t->item_off[x], n_touched = 0, n_m = 0, np = 0;
    int64_t sup_x = s->ctx->data->sup[x];
    crm__fim_mark mark = crm__fim_arena_mark(&ws->arena);
    member *m = NULL;
    crm_status rc = CRM_OK;
    for (int32_t k = 0; k < n_nodes; k++) {
        int32_t c = t->count[nodes[k]];
        for (int32_t a = t->up[2 * nodes[k]]; a > 0; a = t->up[2 * a]) {
            int32_t y = t->up[2 * a + 1];
            if (ws->cnt[y] == 0) {
                ws->touched[n_touched++] = y;
            }
            ws->cnt[y] += c;
            ws->ent[y]++;
        }
    }
    crm__fim_sort_i32(ws->touched, n_touched);
    {
        uint64_t *row = s->pairs->words + s->pairs->row[x];
        for (int32_t k = 0; k < n_touched; k++) {
            int32_t y = ws->touched[k];
            if (ws->cnt[y] >= s->minsup) {
                row[y >> 6] |= (uint64_t)1 << (y & 63);
            }
        }
        atomic_store_explicit(&s->pairs->ready[x], 1, memory_order_release);
    }
    if (n_touched > 0 && (s->max_len == 0 || s->max_len > 1)) {
        m = crm__fim_arena_alloc(&ws->arena, (size_t)n_touched * sizeof *m);
        rc = m == NULL ? CRM_ENOMEM : CRM_OK;
    }
    for (int32_t k = 0; k < n_touched && rc == CRM_OK && m != NULL; k++) {
        int32_t y = ws->touched[k];
        if (ws->cnt[y] == sup_x) {
            ws->perf[np++] = y;
        } else if (ws->cnt[y] >= s->minsup) {
            m[n_m].item = y;
            m[n_m].sup = ws->cnt[y];
            m[n_m].len = 0;
            m[n_m].nl = crm__fim_arena_alloc(&ws->arena, (size_t)ws->ent[y] * sizeof(code));
            if (m[n_m].nl == NULL) {
                rc = CRM_ENOMEM;
            }
            ws->slot[y] = n_m++;
        }
    }
    if (rc == CRM_OK && n_m > 0) {
        for (int32_t k = 0; k < n_nodes; k++) {
            int32_t c = t->count[nodes[k]];
            for (int32_t a = t->up[2 * nodes[k]]; a > 0; a = t->up[2 * a]) {
                int32_t si = ws->slot[t->up[2 * a + 1]];
                member *mm;
                if (si < 0) {
                    continue;
                }
                mm = &m[si];
                if (mm->len > 0 && mm->nl[mm->len - 1].pre == a) {
                    mm->nl[mm->len - 1].cnt += c;
                } else {
                    mm->nl[mm->len].pre = a;
                    mm->nl[mm->len].post = t->post[a];
                    mm->nl[mm->len].cnt = c;
                    mm->len++;
                }
            }
        }
    }
    for (int32_t k = 0; k < n_touched; k++) {
        ws->cnt[ws->touched[k]] = 0;
        ws->ent[ws->touched[k]] = 0;
        ws->slot[ws->touched[k]] = -1;
    }
    if (rc == CRM_OK) {
        ws->prefix[0] = x;
        rc = crm__fim_out_emit(s->out, ws->prefix, 1, ws->perf, np, sup_x);
    }
    if (rc == CRM_OK && n_m > 0) {
        rc = mine_class(s, 1, np, m, n_m);
    }
    crm__fim_arena_release(&ws->arena, mark);
    return rc;
}

/* ---- frequent pairs -------------------------------------------------------------------------- */

static crm_status pairs_alloc(int32_t n, crm__fim_mem *mem, pair_bits *pb)
{
    pb->row = crm__fim_mem_alloc(mem, ((size_t)n + 1) * sizeof *pb->row);
    pb->ready = crm__fim_mem_alloc(mem, ((size_t)n + 1) * sizeof *pb->ready);
    if (pb->row == NULL || pb->ready == NULL) {
        return CRM_ENOMEM;
    }
    pb->n_words = 0;
    for (int32_t x = 0; x < n; x++) {
        pb->row[x] = pb->n_words;
        pb->n_words += (x + 63) / 64;
        atomic_init(&pb->ready[x], 0);
    }
    pb->words = crm__fim_mem_calloc(mem, (size_t)pb->n_words + 1, sizeof *pb->words);
    return pb->words == NULL ? CRM_ENOMEM : CRM_OK;
}

static void pairs_free(pair_bits *pb, crm__fim_mem *mem, int32_t n)
{
    crm__fim_mem_free(mem, pb->row, ((size_t)n + 1) * sizeof *pb->row);
    crm__fim_mem_free(mem, (void *)pb->ready, ((size_t)n + 1) * sizeof *pb->ready);
    crm__fim_mem_free(mem, pb->words, ((size_t)pb->n_words + 1) * sizeof *pb->words);
}

/* ---- driver ---------------------------------------------------------------------------------- */

static void ws_free(workspace *ws, crm__fim_mem *mem, int32_t n_items)
{
    size_t n = (size_t)n_items + 1;
    crm__fim_arena_fini(&ws->arena);
    crm__fim_mem_free(mem, ws->cnt, n * sizeof *ws->cnt);
    crm__fim_mem_free(mem, ws->ent, n * sizeof *ws->ent);
    crm__fim_mem_free(mem, ws->touched, n * sizeof *ws->touched);
    crm__fim_mem_free(mem, ws->slot, n * sizeof *ws->slot);
    crm__fim_mem_free(mem, ws->prefix, n * sizeof *ws->prefix);
    crm__fim_mem_free(mem, ws->perf, n * sizeof *ws->perf);
}

static int ws_init(workspace *ws, crm__fim_mem *mem, int32_t n_items)
{
    size_t n = (size_t)n_items + 1;
    memset(ws, 0, sizeof *ws);
    crm__fim_arena_init(&ws->arena, mem, (size_t)1 << 20);
    ws->cnt = crm__fim_mem_calloc(mem, n, sizeof *ws->cnt);
    ws->ent = crm__fim_mem_calloc(mem, n, sizeof *ws->ent);
    ws->touched = crm__fim_mem_alloc(mem, n * sizeof *ws->touched);
    ws->slot = crm__fim_mem_alloc(mem, n * sizeof *ws->slot);
    ws->prefix = crm__fim_mem_alloc(mem, n * sizeof *ws->prefix);
    ws->perf = crm__fim_mem_alloc(mem, n * sizeof *ws->perf);
    if (ws->cnt == NULL || ws->ent == NULL || ws->touched == NULL || ws->slot == NULL ||
        ws->prefix == NULL || ws->perf == NULL) {
        return 0;
    }
    memset(ws->slot, 0xff, n * sizeof *ws->slot);
    return 1;
}

#define BATCH 32

static crm_status run_parallel(crm__fim_ctx *ctx, search *proto, workspace *wss, int nt,
                               crm_error *err)
{
    int32_t n = ctx->data->n_items;
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
                int tid = omp_get_thread_num();
#else
                int tid = 0;
#endif
                search s = *proto;
                s.ws = &wss[tid];
                s.out = bufs[k];
                st[k] = top_level(&s, b0 + k);
            }
        }
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
        if (rc == CRM_OK &&
            !crm_progress_report(ctx->progress, "mining", (double)(b0 + nb) / (double)n)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    return rc;
}

crm_status crm__fim_nlist(crm__fim_ctx *ctx, crm_error *err)
{
    const crm__fim_data *d = ctx->data;
    ppc_tree tree;
    pair_bits pairs;
    search proto;
    workspace *wss = NULL;
    int nt = ctx->n_threads > 1 && d->n_items > 1 ? ctx->n_threads : 1;
    crm_status rc = tree_build(d, ctx->mem, &tree, err);
    if (rc != CRM_OK) {
        tree_free(&tree, ctx->mem, d->n_items);
        return rc;
    }
    memset(&proto, 0, sizeof proto);
    memset(&pairs, 0, sizeof pairs);
    proto.ctx = ctx;
    proto.tree = &tree;
    proto.pairs = &pairs;
    proto.minsup = d->minsup;
    proto.max_len = ctx->max_len;
    wss = crm_calloc((size_t)nt, sizeof *wss);
    if (wss == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int k = 0; k < nt && rc == CRM_OK; k++) {
        if (!ws_init(&wss[k], ctx->mem, d->n_items)) {
            rc = crm__fim_mem_error(ctx->mem, err);
        }
    }
    if (rc == CRM_OK && pairs_alloc(d->n_items, ctx->mem, &pairs) != CRM_OK) {
        rc = crm__fim_mem_error(ctx->mem, err);
    }
    if (rc == CRM_OK && nt == 1) {
        proto.ws = &wss[0];
        proto.out = ctx->out;
        for (int32_t x = 0; x < d->n_items && rc == CRM_OK; x++) {
            rc = top_level(&proto, x);
            if (rc == CRM_OK && (x & 63) == 63 &&
                !crm_progress_report(ctx->progress, "mining", (double)x / (double)d->n_items)) {
                rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
            }
        }
        if (rc == CRM_ENOMEM) {
            rc = crm__fim_mem_error(ctx->mem, err);
        }
    } else if (rc == CRM_OK) {
        rc = run_parallel(ctx, &proto, wss, nt, err);
        if (rc == CRM_ENOMEM) {
            rc = crm__fim_mem_error(ctx->mem, err);
        }
    }
done:
    if (wss != NULL) {
        for (int k = 0; k < nt; k++) {
            ws_free(&wss[k], ctx->mem, d->n_items);
        }
        crm_free(wss);
    }
    pairs_free(&pairs, ctx->mem, d->n_items);
    tree_free(&tree, ctx->mem, d->n_items);
    return rc;
}
