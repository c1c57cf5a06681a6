/* fim_nlist.c: PrePost (N-List) frequent itemset mining.
 *
 * Deng, Wang, Jiang, "A new algorithm for fast mining frequent itemsets using N-lists",
 * Science China Information Sciences 55(9), 2012; with the children-parent equivalence
 * pruning of PrePost+ (Deng, Lv 2015), which is the "perfect extension" rule: when
 * support(P + y) = support(P), y joins every itemset below P at no cost.
 *
 * Items are ranked by descending support. The PPC-tree is a prefix tree of the ranked
 * transactions; each node gets a pre-order and a post-order number, and node A is an
 * ancestor of node B iff pre(A) < pre(B) and post(A) > post(B). With few frequent items the
 * tree is built in one pass over the database, straight from its transactions (no recoded
 * copy, no sort), then numbered in pre-order; with many, the recoded transactions are sorted
 * lexicographically, so consecutive transactions share their common prefix and nodes are
 * created in pre-order without child search.
 *
 * An itemset is extended by items more frequent than all of its items (closer to the root).
 * The N-list of itemset P + y (y the most frequent item) lists the y-nodes that have P's
 * items below them, with the count of transactions through that node that contain P. The
 * N-list of P + {y, z} (z more frequent than y) is the intersection of N-list(P + z) (the
 * ancestor side) with N-list(P + y): each y-code adds its count to its z-ancestor. N-lists of
 * two-itemsets {x, y} come straight from the tree, by walking up from each x-node, one item
 * x at a time, so only the N-lists of one top-level class are alive at once. A walk that
 * builds N-lists also records the member nodes it meets, linked upward, so that the walks of
 * the next level follow those records instead of the whole tree.
 *
 * Top-level classes are independent and run in parallel (OpenMP) in fixed batches; their
 * buffered itemsets are replayed in class order, so output does not depend on threads. */
#include <stdlib.h>
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
    int32_t n_nodes; /* node 0 is the root; node ids are pre-order numbers */
    int32_t *up;     /* (parent, item) pairs side by side: walks touch one cache line */
    int32_t *post;
    int32_t *count;
    int32_t *depth;    /* root 0 */
    code *icode;       /* nodes grouped by item, each group in pre-order: 1-itemset N-lists */
    int32_t *item_off; /* n_items + 1 */
    int64_t *walk;     /* per item: sum of (depth - 1) over its nodes, the cost of walking up */
    int32_t max_depth;
} ppc_tree;

/* A member node met on a walk up, kept for the walks of the next level: the nodes of one
 * class's members with their links upward form the tree restricted to those members, so a
 * walk there reads a small buffer and skips every other node instead of chasing parents
 * through the whole tree. */
typedef struct hrec {
    int32_t j;  /* member index in its class */
    int32_t a;  /* node */
    int32_t up; /* record of the next member node above, -1 */
    int32_t hd; /* records above: the cost of a walk from here */
} hrec;

/* A member node met on a top-level walk, in walk order; j -1 ends a walk. */
typedef struct whit {
    int32_t j;
    int32_t a;
    int32_t cnt;
} whit;

typedef struct member {
    int32_t item;
    int32_t len;
    int64_t sup;
    code *nl;
    int32_t *rec; /* per N-list entry its record, when the class has records (else NULL) */
} member;

typedef struct workspace {
    crm__fim_arena arena;
    int64_t *cnt; /* per item: support of {x, item} */
    int32_t *ent; /* per item: N-list entries before merging */
    int32_t *touched;
    uint64_t *seen;  /* per item: one bit, set while the item is in touched */
    int32_t *slot;   /* per item: member index in the current class, -1 */
    int32_t *prefix; /* current itemset */
    int32_t *perf;   /* perfect extensions, stacked by depth */
    int32_t *stk;    /* records made on the current walk, for path_close */
    whit *hits;      /* top-level walk: the member nodes met */
    size_t hits_cap;
} workspace;

/* ---- PPC-tree -------------------------------------------------------------------------------- */

/* A node while the tree is built, in order of creation. */
typedef struct bnode {
    int32_t item;
    int32_t parent;
    int32_t child; /* first child, -1 */
    int32_t sib;   /* next sibling, -1 */
    int32_t count;
    int32_t wide; /* its children are also in the builder's hash */
} bnode;

/* A node with more children than this is looked up through a hash by (parent, item):
 * sparse data gives some nodes near the root hundreds of children. */
#define WIDE_CHILDREN 8

typedef struct builder {
    bnode *nd;
    int32_t n_nodes, cap;
    int32_t *root_child; /* per item: the root's child of that item, -1 */
    crm__fim_hash kids;  /* the children of wide nodes */
    crm__fim_mem *mem;   /* nd is counted against it */
    int32_t max_len;     /* longest transaction inserted */
} builder;

/* All arrays of the tree live in one block of the miner's top arena. */
static size_t tree_bytes(int64_t nodes, int32_t n_items)
{
    size_t n = (size_t)nodes + 1;
    return n * (4 * sizeof(int32_t) + sizeof(int32_t) + sizeof(code)) +
           ((size_t)n_items + 1) * sizeof(int64_t) + ((size_t)n_items + 2) * sizeof(int32_t);
}

/* Item occurrences left once infrequent items are dropped: a bound on the nodes. */
static int64_t frequent_occurrences(const crm__fim_data *d)
{
    int64_t occ = 0;
    for (int32_t r = 0; r < d->n_items; r++) {
        occ += d->sup[r];
    }
    return occ;
}

static crm_status tree_alloc(ppc_tree *t, crm__fim_arena *a, int64_t nodes, int32_t n_items)
{
    size_t n = (size_t)nodes + 1;
    unsigned char *p = crm__fim_arena_alloc(a, tree_bytes(nodes, n_items));
    if (p == NULL) {
        return CRM_ENOMEM;
    }
    /* 8-byte members first, then the 4-byte ones */
    t->n_nodes = (int32_t)nodes;
    t->walk = (int64_t *)p;
    p += ((size_t)n_items + 1) * sizeof(int64_t);
    t->icode = (code *)p;
    p += n * sizeof(code);
    t->up = (int32_t *)p;
    p += 2 * n * sizeof(int32_t);
    t->post = (int32_t *)p;
    p += n * sizeof(int32_t);
    t->count = (int32_t *)p;
    p += n * sizeof(int32_t);
    t->depth = (int32_t *)p;
    p += n * sizeof(int32_t);
    t->item_off = (int32_t *)p;
    memset(t->walk, 0, ((size_t)n_items + 1) * sizeof(int64_t));
    memset(t->item_off, 0, ((size_t)n_items + 2) * sizeof(int32_t));
    return CRM_OK;
}

/* Above KEY_MAX_ITEMS (128) frequent items the tree is built by inserting the transactions
 * when there are at most this many: dense data, or sparse data at a high support, where
 * paths are shared and the tree stays in cache. With more items most nodes are new and the walks
 * down the tree miss the cache; sorting the recoded transactions (a radix sort), which creates the
 * nodes in pre-order, is then faster (the measurements that put the cut at 144 items:
 * bench/results/fim.md, "N-List tree: inserted or sorted"). The same tree either way. */
#define INSERT_MAX_ITEMS 144

static size_t kid_slot(const builder *b, int32_t p, int32_t x)
{
    return (size_t)crm__hash_u64(((uint64_t)(uint32_t)p << 32) | (uint32_t)x) & b->kids.mask;
}

/* Node c into the hash of children, which grows to stay at most half full. */
static int kid_put(builder *b, int32_t c)
{
    crm__fim_hash *h = &b->kids;
    size_t i;
    if (2 * (h->n + 1) > h->mask + 1) {
        crm__fim_hash old = *h;
        if (crm__fim_hash_init(h, old.mask + 1) != CRM_OK) {
            *h = old;
            return 0;
        }
        for (size_t k = 0; k <= old.mask; k++) {
            int32_t v = old.slot[k];
            if (v >= 0) {
                for (i = kid_slot(b, b->nd[v].parent, b->nd[v].item); h->slot[i] >= 0;
                     i = (i + 1) & h->mask) {
                }
                h->slot[i] = v;
            }
        }
        h->n = old.n;
        crm__fim_hash_fini(&old);
    }
    for (i = kid_slot(b, b->nd[c].parent, b->nd[c].item); h->slot[i] >= 0; i = (i + 1) & h->mask) {
    }
    h->slot[i] = c;
    h->n++;
    return 1;
}

/* The child of p with item x, or -1. A narrow node keeps its children in a list sorted by
 * item, so that numbering them in list order gives the lexicographic pre-order of the
 * transactions (the layout the N-lists are fastest on); *after is then the child to insert
 * behind (-1: at the head). A list longer than WIDE_CHILDREN makes the node wide: its
 * children are found through the hash, put at the head of the list unsorted, and sorted
 * once the tree is built (wide_sort). */
static int32_t find_child(builder *b, int32_t p, int32_t x, int32_t *after, int *ok)
{
    bnode *nd = b->nd;
    int32_t c, steps = 0;
    *after = -1;
    if (p < 0) {
        return b->root_child[x];
    }
    if (nd[p].wide) {
        size_t i = kid_slot(b, p, x);
        for (c = b->kids.slot[i]; c >= 0; c = b->kids.slot[i]) {
            if (nd[c].parent == p && nd[c].item == x) {
                return c;
            }
            i = (i + 1) & b->kids.mask;
        }
        return -1;
    }
    for (c = nd[p].child; c >= 0 && nd[c].item < x; c = nd[c].sib) {
        *after = c;
        steps++;
    }
    if (c >= 0 && nd[c].item == x) {
        return c;
    }
    if (steps > WIDE_CHILDREN) {
        for (int32_t k = nd[p].child; k >= 0 && *ok; k = nd[k].sib) {
            *ok = kid_put(b, k);
        }
        nd[p].wide = 1;
        *after = -1;
    }
    return -1;
}

/* Insert one ranked transaction into the tree being built; 0 when out of memory. */
static int tree_insert(builder *b, const int32_t *r, int32_t m)
{
    int32_t p = -1;
    int ok = 1;
    for (int32_t k = 0; k < m && ok; k++) {
        int32_t x = r[k], after, c = find_child(b, p, x, &after, &ok);
        if (c < 0) {
            bnode *n;
            if (b->n_nodes == b->cap) {
                size_t cap = 2 * (size_t)b->cap;
                if (cap >= INT32_MAX ||
                    !crm__fim_mem_grow(b->mem, (void **)&b->nd, (size_t)b->cap * sizeof *b->nd,
                                       cap * sizeof *b->nd)) {
                    return 0;
                }
                b->cap = (int32_t)cap;
            }
            n = &b->nd[c = b->n_nodes++];
            n->item = x;
            n->parent = p;
            n->child = -1;
            n->count = 0;
            n->wide = 0;
            if (p < 0) {
                n->sib = -1;
                b->root_child[x] = c;
            } else if (after >= 0) {
                n->sib = b->nd[after].sib;
                b->nd[after].sib = c;
            } else {
                n->sib = b->nd[p].child;
                b->nd[p].child = c;
                if (b->nd[p].wide) {
                    ok = kid_put(b, c);
                }
            }
        }
        b->nd[c].count++;
        p = c;
    }
    return ok;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sort the child lists of wide nodes by item; key[] holds n_items entries. */
static void wide_sort(builder *b, int64_t *key)
{
    bnode *nd = b->nd;
    for (int32_t p = 0; p < b->n_nodes; p++) {
        int32_t n = 0;
        if (!nd[p].wide) {
            continue;
        }
        for (int32_t c = nd[p].child; c >= 0; c = nd[c].sib) {
            key[n++] = (int64_t)nd[c].item << 32 | c;
        }
        qsort(key, (size_t)n, sizeof *key, cmp_i64);
        for (int32_t k = n - 1, next = -1; k >= 0; k--) {
            int32_t c = (int32_t)(key[k] & 0xffffffff);
            nd[c].sib = next;
            next = c;
        }
        nd[p].child = (int32_t)(key[0] & 0xffffffff);
    }
}

/* Most builders the transactions are inserted by, one per thread. */
#define BUILDERS_MAX 16

/* Pre-order and post-order numbers of the tree the builders bs[0..nb) hold together, depth
 * first: the children of a node are the union of its builders' sorted child lists, merged by
 * item, and its count the sum of theirs; node ids of t are pre-order numbers. The result does
 * not depend on how the transactions were shared among the builders. at[d * nb + k] is
 * builder k's node on the current path at depth d (-1: none), next[d * nb + k] the next of
 * its children there; id[d] the node's number. Returns the number of nodes. */
static int32_t tree_number(ppc_tree *t,
                           const builder *bs,
                           int nb,
                           int32_t n_items,
                           int32_t *at,
                           int32_t *next,
                           int32_t *id)
{
    int32_t pre = 1, post = 0;
    t->up[0] = -1;
    t->up[1] = -1;
    t->count[0] = 0;
    t->depth[0] = 0;
    id[0] = 0;
    for (int32_t x = 0; x < n_items; x++) {
        int32_t d = 1, any = 0;
        for (int k = 0; k < nb; k++) {
            at[nb + k] = bs[k].root_child[x];
            any |= at[nb + k] >= 0;
        }
        while (any) {
            int32_t v = pre++, cnt = 0, item = -1;
            id[d] = v;
            for (int k = 0; k < nb; k++) {
                int32_t c = at[d * nb + k];
                next[d * nb + k] = c >= 0 ? bs[k].nd[c].child : -1;
                if (c >= 0) {
                    cnt += bs[k].nd[c].count;
                    item = bs[k].nd[c].item;
                }
            }
            t->up[2 * v] = id[d - 1];
            t->up[2 * v + 1] = item;
            t->count[v] = cnt;
            t->depth[v] = d;
            /* the next child at depth d: the least item among the builders' next children;
             * else the node is done and so, upward, is each whose children are used up */
            for (;;) {
                int32_t least = INT32_MAX;
                for (int k = 0; k < nb; k++) {
                    int32_t c = next[d * nb + k];
                    if (c >= 0 && bs[k].nd[c].item < least) {
                        least = bs[k].nd[c].item;
                    }
                }
                if (least != INT32_MAX) {
                    for (int k = 0; k < nb; k++) {
                        int32_t c = next[d * nb + k];
                        int take = c >= 0 && bs[k].nd[c].item == least;
                        at[(d + 1) * nb + k] = take ? c : -1;
                        next[d * nb + k] = take ? bs[k].nd[c].sib : c;
                    }
                    d++;
                    break;
                }
                t->post[id[d]] = post++;
                if (--d == 0) {
                    any = 0;
                    break;
                }
            }
        }
    }
    t->post[0] = post;
    return pre;
}

/* Nodes created in pre-order from transactions that come in a depth-first order of the tree
 * (sorted): each shares the common prefix of its path with the one before, so no child is
 * searched; a node's post-order number is given when it leaves the path. path[l] is the node
 * at depth l of the current path and pitem[l] its item. */
typedef struct path_fill {
    ppc_tree *t;
    int32_t *path, *pitem;
    int32_t depth, next, post;
} path_fill;

static void fill_start(path_fill *f, ppc_tree *t, int32_t *path, int32_t *pitem)
{
    f->t = t;
    f->path = path;
    f->pitem = pitem;
    f->depth = 0;
    f->next = 1;
    f->post = 0;
    path[0] = 0;
    t->up[0] = -1;
    t->up[1] = -1;
    t->count[0] = 0;
    t->depth[0] = 0;
}

/* The transaction a[0..len) (ranks, ascending), count times. The state is worked on in
 * locals: the tree's arrays could alias it. */
static inline void fill_add(path_fill *f, const int32_t *a, int32_t len, int32_t count)
{
    ppc_tree *t = f->t;
    int32_t *path = f->path, *pitem = f->pitem;
    int32_t depth = f->depth, next = f->next, post = f->post, l = 0;
    while (l < len && l < depth && pitem[l + 1] == a[l]) {
        l++;
    }
    while (depth > l) {
        t->post[path[depth--]] = post++;
    }
    for (; depth < len; depth++) {
        int32_t nd = next++;
        t->up[2 * nd] = path[depth];
        t->up[2 * nd + 1] = a[depth];
        t->depth[nd] = depth + 1;
        t->count[nd] = 0;
        path[depth + 1] = nd;
        pitem[depth + 1] = a[depth];
    }
    for (int32_t i = 1; i <= len; i++) {
        t->count[path[i]] += count;
    }
    f->depth = depth;
    f->next = next;
    f->post = post;
}

static void fill_end(path_fill *f)
{
    while (f->depth > 0) {
        f->t->post[f->path[f->depth--]] = f->post++;
    }
    f->t->post[0] = f->post;
}

/* The 1-itemset N-lists: nodes grouped by item, in pre-order within a group. */
static void tree_group(ppc_tree *t, int32_t n_items)
{
    int32_t *off = t->item_off;
    for (int32_t nd = 1; nd < t->n_nodes; nd++) {
        int32_t x = t->up[2 * nd + 1];
        off[x + 1]++;
        t->walk[x] += t->depth[nd] - 1;
    }
    for (int32_t i = 0; i < n_items; i++) {
        off[i + 1] += off[i];
    }
    for (int32_t nd = 1; nd < t->n_nodes; nd++) {
        code *c = &t->icode[off[t->up[2 * nd + 1]]++];
        c->pre = nd;
        c->post = t->post[nd];
        c->cnt = t->count[nd];
    }
    for (int32_t i = n_items; i > 0; i--) {
        off[i] = off[i - 1];
    }
    off[0] = 0;
}

static void builder_fini(builder *b)
{
    crm__fim_mem_free(b->mem, b->nd, (size_t)b->cap * sizeof *b->nd);
    crm__fim_hash_fini(&b->kids);
    crm_free(b->root_child);
}

/* Transactions [lo, hi) of d's database, reduced to their frequent items in rank order and
 * inserted into b (set up here; builder_fini frees it), each child list left sorted by item.
 * 0 when out of memory (or over the meter's limit). */
static int builder_fill(builder *b,
                        const crm__fim_data *d,
                        const int32_t *bit_of,
                        int64_t lo,
                        int64_t hi,
                        int64_t nodes_guess,
                        crm__fim_mem *mem)
{
    const crm_fim_db *db = d->db;
    int32_t words = d->n_items / 64 + 1;
    uint64_t *bits = crm_calloc((size_t)words + 1, sizeof *bits);
    int32_t *path = crm_mallocarray((size_t)d->n_items + 2, sizeof *path);
    int ok;
    memset(b, 0, sizeof *b);
    b->mem = mem;
    b->cap = (int32_t)(nodes_guess < 1024 ? 1024 : nodes_guess);
    b->nd = crm__fim_mem_alloc(mem, (size_t)b->cap * sizeof *b->nd);
    b->root_child = crm_mallocarray((size_t)d->n_items + 1, sizeof *b->root_child);
    if (b->nd == NULL) {
        b->cap = 0;
    }
    ok = bits != NULL && path != NULL && b->nd != NULL && b->root_child != NULL &&
         crm__fim_hash_init(&b->kids, 512) == CRM_OK;
    if (ok) {
        memset(b->root_child, 0xff, ((size_t)d->n_items + 1) * sizeof *b->root_child);
    }
    for (int64_t tr = lo; ok && tr < hi; tr++) {
        int32_t m = crm__fim_rank_items(bit_of, db->items + db->off[tr],
                                        db->off[tr + 1] - db->off[tr], bits, words, path);
        ok = tree_insert(b, path, m);
        b->max_len = m > b->max_len ? m : b->max_len;
    }
    if (ok && b->kids.n > 0) {
        int64_t *key = crm_mallocarray((size_t)d->n_items + 1, sizeof *key);
        ok = key != NULL;
        if (ok) {
            wide_sort(b, key);
        }
        crm_free(key);
    }
    crm_free(bits);
    crm_free(path);
    return ok;
}

/* The tree in one pass over the database (PrePost's second scan): each transaction is
 * reduced to its frequent items in rank order and inserted, so neither a recoded copy of
 * the database nor a sort of the transactions is needed. On n_threads threads each inserts
 * a share of the transactions into a tree of its own; numbering them together in pre-order
 * into the tree's block (in the top arena a) merges them. */
static crm_status tree_build_inserted(const crm__fim_data *d,
                                      crm__fim_arena *a,
                                      int n_threads,
                                      ppc_tree *t,
                                      crm_error *err)
{
    const crm_fim_db *db = d->db;
    int64_t occ = frequent_occurrences(d), nodes = 1;
    int nb = crm__fim_share_threads(db->n_trans, n_threads, BUILDERS_MAX);
    builder bs[BUILDERS_MAX];
    int32_t *bit_of = NULL, *scratch = NULL, max_len = 0;
    int ok = 1;
    crm_status rc = CRM_OK;
    memset(t, 0, sizeof *t);
    memset(bs, 0, sizeof bs);
    if (occ >= INT32_MAX || db->n_trans >= INT32_MAX) {
        return crm__error_set(err, CRM_ELIMIT, "the PPC-tree would have more than 2^31 nodes");
    }
    bit_of = crm__fim_bit_of(d, d->n_items / 64 + 1);
    if (bit_of == NULL) {
        return crm__error_nomem(err);
    }
#pragma omp parallel for num_threads(nb) schedule(static, 1) reduction(& : ok) if (nb > 1)
    for (int k = 0; k < nb; k++) {
        int64_t lo = db->n_trans * k / nb, hi = db->n_trans * (k + 1) / nb;
        ok &= builder_fill(&bs[k], d, bit_of, lo, hi, occ / nb / 4 + 1, a->mem);
    }
    for (int k = 0; k < nb; k++) {
        nodes += bs[k].n_nodes;
        max_len = bs[k].max_len > max_len ? bs[k].max_len : max_len;
    }
    if (!ok) {
        rc = crm__fim_mem_error(a->mem, err);
        goto done;
    }
    if (nodes >= INT32_MAX) {
        rc = crm__error_set(err, CRM_ELIMIT, "the PPC-tree would have more than 2^31 nodes");
        goto done;
    }
    scratch = crm_mallocarray(((size_t)max_len + 2) * (2 * (size_t)nb + 1), sizeof *scratch);
    if (scratch == NULL || tree_alloc(t, a, nodes, d->n_items) != CRM_OK) {
        rc = scratch == NULL ? crm__error_nomem(err) : crm__fim_mem_error(a->mem, err);
        goto done;
    }
    t->n_nodes =
        tree_number(t, bs, nb, d->n_items, scratch, scratch + ((size_t)max_len + 2) * (size_t)nb,
                    scratch + 2 * ((size_t)max_len + 2) * (size_t)nb);
    t->max_depth = max_len;
    tree_group(t, d->n_items);
done:
    for (int k = 0; k < nb; k++) {
        builder_fini(&bs[k]);
    }
    crm_free(scratch);
    crm_free(bit_of);
    return rc;
}

/* With at most this many frequent items a transaction reduces to a 128-bit key, and the tree
 * is built from the distinct keys sorted (see tree_build_keys). */
#define KEY_MAX_ITEMS 128

__extension__ typedef unsigned __int128 tkey;

/* A distinct key and the transactions that have it. */
typedef struct tkey_count {
    tkey key;
    int64_t count;
} tkey_count;

/* A transaction's frequent items as a key: rank r is bit 127 - r, so that keys in
 * descending order list the transactions in a depth-first order of the tree (see
 * tree_build_keys). */
static tkey key_of(const int32_t *bit_of, const int32_t *ids, int64_t n)
{
    uint64_t hi = 0, lo = 0;
    for (int64_t k = 0; k < n; k++) {
        int32_t r = bit_of[ids[k]];
        hi |= (uint64_t)(r < 64) << (63 - (r & 63));
        lo |= (uint64_t)((uint32_t)(r - 64) < 64) << (63 - (r & 63));
    }
    return (tkey)hi << 64 | lo;
}

static int32_t bits_set(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (int32_t)((x * 0x0101010101010101u) >> 56);
}

static int32_t key_len(tkey k)
{
    return bits_set((uint64_t)(k >> 64)) + bits_set((uint64_t)k);
}

/* Bits of k at or below the highest bit in which k and prev differ: the nodes of k's path
 * that the path of prev, just before it in descending order, does not have. */
static int32_t key_new_nodes(tkey k, tkey prev)
{
    tkey diff = k ^ prev;
    uint64_t dh = (uint64_t)(diff >> 64);
    int32_t h = dh != 0 ? 127 - __builtin_clzll(dh) : 63 - __builtin_clzll((uint64_t)diff);
    tkey below = h == 127 ? ~(tkey)0 : ((tkey)1 << (h + 1)) - 1;
    return key_len(k & below);
}

static size_t key_hash(tkey k)
{
    return (size_t)crm__hash_u64((uint64_t)(k >> 64) ^ (uint64_t)k * 0x9e3779b97f4a7c15u);
}

/* The distinct non-zero keys of transactions [lo, hi) with their counts, into *out (n_out of
 * them, room for *cap_out; counted against mem): an open hash of indices into them, which
 * doubles as it fills, finds a key's entry (4-byte slots: the table stays in cache). 0 when
 * out of memory. */
static int keys_count(const crm__fim_data *d,
                      const int32_t *bit_of,
                      int64_t lo,
                      int64_t hi,
                      crm__fim_mem *mem,
                      tkey_count **out,
                      int64_t *n_out,
                      int64_t *cap_out)
{
    const crm_fim_db *db = d->db;
    crm__fim_hash h = { NULL, 0, 0 };
    size_t n = 0, cap = 256;
    tkey_count *e = crm__fim_mem_alloc(mem, cap * sizeof *e);
    int ok = e != NULL && crm__fim_hash_init(&h, 512) == CRM_OK;
    cap = e != NULL ? cap : 0;
    for (int64_t tr = lo; ok && tr < hi; tr++) {
        tkey k = key_of(bit_of, db->items + db->off[tr], db->off[tr + 1] - db->off[tr]);
        size_t i;
        if (k == 0) {
            continue;
        }
        for (i = key_hash(k) & h.mask; h.slot[i] >= 0 && e[h.slot[i]].key != k;
             i = (i + 1) & h.mask) {
        }
        if (h.slot[i] >= 0) {
            e[h.slot[i]].count++;
            continue;
        }
        if (n == cap) {
            ok = n < INT32_MAX / 2 &&
                 crm__fim_mem_grow(mem, (void **)&e, cap * sizeof *e, 2 * cap * sizeof *e);
            cap = ok ? 2 * cap : cap;
            if (!ok) {
                break;
            }
        }
        e[n].key = k;
        e[n].count = 1;
        h.slot[i] = (int32_t)n++;
        if (2 * n > h.mask + 1) { /* at most half full */
            crm__fim_hash fresh;
            if (crm__fim_hash_init(&fresh, h.mask + 1) != CRM_OK) {
                ok = 0;
                break;
            }
            for (size_t j = 0; j < n; j++) {
                for (i = key_hash(e[j].key) & fresh.mask; fresh.slot[i] >= 0;
                     i = (i + 1) & fresh.mask) {
                }
                fresh.slot[i] = (int32_t)j;
            }
            crm__fim_hash_fini(&h);
            h = fresh;
        }
    }
    crm__fim_hash_fini(&h);
    *out = e;
    *n_out = (int64_t)n;
    *cap_out = (int64_t)cap;
    return ok;
}

/* kc[0..n) into descending key order on the top `bits` bits (the others are zero), by a
 * least-significant-digit radix sort through tmp[0..n); the result is in kc. */
static void keys_sort(tkey_count *kc, tkey_count *tmp, int64_t n, int32_t bits)
{
    enum {
        DIGIT = 11
    };
    int64_t count[1 << DIGIT];
    tkey_count *src = kc, *dst = tmp;
    for (int32_t shift = 128 - bits; shift < 128; shift += DIGIT) {
        int32_t width = 128 - shift < DIGIT ? 128 - shift : DIGIT;
        uint32_t mask = (1u << width) - 1;
        int64_t at = 0;
        memset(count, 0, ((size_t)mask + 1) * sizeof *count);
        for (int64_t k = 0; k < n; k++) {
            count[mask - (uint32_t)(src[k].key >> shift & mask)]++;
        }
        for (uint32_t v = 0; v <= mask; v++) {
            int64_t c = count[v];
            count[v] = at;
            at += c;
        }
        for (int64_t k = 0; k < n; k++) {
            dst[count[mask - (uint32_t)(src[k].key >> shift & mask)]++] = src[k];
        }
        src = dst;
        dst = dst == tmp ? kc : tmp;
    }
    if (src != kc) {
        memcpy(kc, src, (size_t)n * sizeof *kc);
    }
}

/* The tree when there are at most KEY_MAX_ITEMS frequent items: each transaction reduced to
 * a key, the distinct keys counted (a share of the transactions on each thread), sorted in
 * descending order, and the nodes created from them in pre-order as in tree_fill, without
 * searching children. In descending key order the transactions through a node are
 * contiguous and the children of a node come in ascending item order; a transaction that
 * ends at a node comes after those that go on below it, so it creates no node. Keys counted
 * on two threads both appear; they are adjacent once sorted and add up. */
static crm_status tree_build_keys(const crm__fim_data *d,
                                  crm__fim_arena *a,
                                  int n_threads,
                                  ppc_tree *t,
                                  crm_error *err)
{
    const crm_fim_db *db = d->db;
    int nt = crm__fim_share_threads(db->n_trans, n_threads, BUILDERS_MAX);
    tkey_count *part[BUILDERS_MAX] = { NULL }, *kc = NULL, *tmp = NULL;
    int64_t got[BUILDERS_MAX] = { 0 }, room[BUILDERS_MAX] = { 0 }, n = 0, nodes = 1;
    int32_t *bit_of = crm__fim_bit_of(d, 2), *path = NULL;
    int32_t max_len = 0;
    path_fill fill;
    int ok = 1;
    crm_status rc = CRM_OK;
    memset(t, 0, sizeof *t);
    if (bit_of == NULL) {
        return crm__error_nomem(err);
    }
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(& : ok) if (nt > 1)
    for (int p = 0; p < nt; p++) {
        ok &= keys_count(d, bit_of, db->n_trans * p / nt, db->n_trans * (p + 1) / nt, a->mem,
                         &part[p], &got[p], &room[p]);
    }
    for (int p = 0; p < nt; p++) {
        n += got[p];
    }
    kc = ok ? crm__fim_mem_alloc(a->mem, ((size_t)n + 1) * sizeof *kc) : NULL;
    tmp = ok ? crm__fim_mem_alloc(a->mem, ((size_t)n + 1) * sizeof *tmp) : NULL;
    if (kc == NULL || tmp == NULL) {
        rc = crm__fim_mem_error(a->mem, err);
        goto done;
    }
    n = 0;
    for (int p = 0; p < nt; p++) {
        memcpy(kc + n, part[p], (size_t)got[p] * sizeof *kc);
        n += got[p];
    }
    keys_sort(kc, tmp, n, d->n_items);
    for (int64_t k = 0; k < n; k++) {
        int32_t len = key_len(kc[k].key);
        max_len = len > max_len ? len : max_len;
        nodes += k == 0                       ? len
                 : kc[k].key == kc[k - 1].key ? 0
                                              : key_new_nodes(kc[k].key, kc[k - 1].key);
    }
    if (nodes >= INT32_MAX) {
        rc = crm__error_set(err, CRM_ELIMIT, "the PPC-tree would have more than 2^31 nodes");
        goto done;
    }
    path = crm_mallocarray(2 * ((size_t)max_len + 2), sizeof *path);
    if (path == NULL || tree_alloc(t, a, nodes, d->n_items) != CRM_OK) {
        rc = path == NULL ? crm__error_nomem(err) : crm__fim_mem_error(a->mem, err);
        goto done;
    }
    fill_start(&fill, t, path, path + max_len + 2);
    for (int64_t k = 0; k < n; k++) {
        int32_t items[KEY_MAX_ITEMS], len = 0;
        uint64_t hi = (uint64_t)(kc[k].key >> 64), lo = (uint64_t)kc[k].key;
        for (; hi != 0; hi &= ~((uint64_t)1 << 63 >> __builtin_clzll(hi))) {
            items[len++] = __builtin_clzll(hi);
        }
        for (; lo != 0; lo &= ~((uint64_t)1 << 63 >> __builtin_clzll(lo))) {
            items[len++] = 64 + __builtin_clzll(lo);
        }
        fill_add(&fill, items, len, (int32_t)kc[k].count);
    }
    fill_end(&fill);
    t->max_depth = max_len;
    tree_group(t, d->n_items);
done:
    for (int p = 0; p < nt; p++) {
        crm__fim_mem_free(a->mem, part[p], (size_t)room[p] * sizeof **part);
    }
    crm__fim_mem_free(a->mem, kc, ((size_t)n + 1) * sizeof *kc);
    crm__fim_mem_free(a->mem, tmp, ((size_t)n + 1) * sizeof *tmp);
    crm_free(path);
    crm_free(bit_of);
    return rc;
}

/* The tree from the recoded transactions (d->off, d->items) sorted lexicographically:
 * consecutive transactions share their common prefix, so nodes are created in pre-order
 * without child search. The tree and the sort buffers are in the top arena a (reused by a
 * later mining instead of being faulted in afresh). */
static crm_status
tree_build_sorted(const crm__fim_data *d, crm__fim_arena *a, ppc_tree *t, crm_error *err)
{
    crm__fim_mark mark = crm__fim_arena_mark(a);
    int64_t *order = crm__fim_arena_alloc(a, ((size_t)d->n_trans + 1) * sizeof *order);
    int64_t *tmp = crm__fim_arena_alloc(a, (3 * (size_t)d->n_trans + 1) * sizeof *tmp);
    int32_t *path = NULL;
    int64_t nodes;
    int32_t maxlen = 0;
    path_fill fill;
    crm_status rc = CRM_OK;
    memset(t, 0, sizeof *t);
    if (order == NULL || tmp == NULL) {
        return crm__fim_mem_error(a->mem, err);
    }
    for (int64_t k = 0; k < d->n_trans; k++) {
        order[k] = k;
    }
    crm__fim_lex_sort(d->off, d->items, d->n_items, order, tmp, d->n_trans);
    nodes = crm__fim_prefix_nodes(d->off, d->items, order, d->n_trans);
    if (nodes >= INT32_MAX || d->n_trans >= INT32_MAX) {
        rc = crm__error_set(err, CRM_ELIMIT, "the PPC-tree would have more than 2^31 nodes");
        goto done;
    }
    for (int64_t k = 0; k < d->n_trans; k++) {
        int64_t len = d->off[k + 1] - d->off[k];
        maxlen = len > maxlen ? (int32_t)len : maxlen;
    }
    path = crm_mallocarray(2 * ((size_t)maxlen + 2), sizeof *path);
    if (path == NULL || tree_alloc(t, a, nodes, d->n_items) != CRM_OK) {
        rc = path == NULL ? crm__error_nomem(err) : crm__fim_mem_error(a->mem, err);
        goto done;
    }
    fill_start(&fill, t, path, path + maxlen + 2);
    for (int64_t k = 0; k < d->n_trans; k++) {
        const int64_t *off = d->off + order[k];
        fill_add(&fill, d->items + off[0], (int32_t)(off[1] - off[0]), 1);
    }
    fill_end(&fill);
    t->max_depth = maxlen;
    tree_group(t, d->n_items);
done:
    crm_free(path);
    if (rc != CRM_OK) {
        crm__fim_arena_release(a, mark);
    }
    return rc;
}

/* ---- N-list intersection ------------------------------------------------------------------- */

/* The codes of an N-list are nodes of one item, so they are disjoint subtrees: sorted by pre
 * and by post alike. gallop() gives the first index k >= lo whose post (by_post) or pre is > v: a
 * doubling probe, then a binary search, so runs of nodes that cannot match are skipped in
 * logarithmic time. by_post is a constant at every call, so each use compiles to one key. */
static inline int32_t code_key(const code *c, int by_post)
{
    return by_post ? c->post : c->pre;
}

static inline int32_t gallop(const code *a, int32_t lo, int32_t n, int32_t v, int by_post)
{
    int32_t step = 1, hi;
    if (lo >= n || code_key(&a[lo], by_post) > v) {
        return lo;
    }
    while (lo + step < n && code_key(&a[lo + step], by_post) <= v) {
        lo += step;
        step <<= 1;
    }
    hi = lo + step < n ? lo + step : n;
    lo++;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (code_key(&a[mid], by_post) <= v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Running sums of an N-list's counts: ps[k] = cnt[0] + ... + cnt[k-1]. */
static void prefix_sums(const code *nl, int32_t n, int64_t *ps)
{
    ps[0] = 0;
    for (int32_t k = 0; k < n; k++) {
        ps[k + 1] = ps[k] + nl[k].cnt;
    }
}

/* N-list of P + {y, z} from anc = N-list(P + z) and desc = N-list(P + y) (z more frequent,
 * so a z-node is either an ancestor of a y-node or beside it, never below): every anc node
 * with desc nodes below it, with the sum of their counts (ps: running sums of desc). The
 * desc nodes below one anc node are consecutive, so each anc node costs two galloping
 * searches. Returns the support, or -1 as soon as the counts left cannot reach minsup (out
 * is then garbage). */
static int64_t intersect(const code *anc,
                         int32_t la,
                         const code *desc,
                         const int64_t *ps,
                         int32_t ld,
                         int64_t minsup,
                         code *out,
                         int32_t *n_out)
{
    int32_t i = 0, j = 0, n = 0;
    int64_t acc = 0;
    while (i < la && j < ld) {
        if (anc[i].post < desc[j].post) {
            /* anc[i] lies before desc[j]: skip every anc node that ends before it */
            i = gallop(anc, i + 1, la, desc[j].post, 1);
        } else if (anc[i].pre > desc[j].pre) {
            /* desc[j] lies before anc[i] and has no ancestor in anc */
            j = gallop(desc, j + 1, ld, anc[i].pre, 0);
            if (acc + ps[ld] - ps[j] < minsup) {
                return -1;
            }
        } else {
            int32_t e = gallop(desc, j + 1, ld, anc[i].post, 1);
            out[n].pre = anc[i].pre;
            out[n].post = anc[i].post;
            out[n].cnt = (int32_t)(ps[e] - ps[j]);
            acc += ps[e] - ps[j];
            n++;
            i++;
            j = e;
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
    const uint32_t *mat; /* supports of all 2-itemsets ({x, y}, y < x, at x(x-1)/2 + y), or
                          * NULL when the table would be too large */
    workspace *ws;
    crm__fim_out *out;
    int64_t minsup;
    int32_t max_len;
} search;

static crm_status
mine_class(search *s, int32_t depth, int32_t n_perf, member *m, int32_t n_m, const hrec *h);

/* Member node a, met with count c on the walk up from one node, into kd's N-list (entries
 * of consecutive walks through a merge), its post-order number left for with_post. A new entry gets
 * record *nh of h, as kid number kid, linked from the record met below it on this walk (*below);
 * stk[*len] collects the walk's records for path_close. Once a walk meets an entry it merges with,
 * the rest of its path is shared with the walk before, records and links included. */
static inline void hit(member *kd,
                       int32_t kid,
                       int32_t a,
                       int32_t c,
                       hrec *h,
                       int32_t *nh,
                       int32_t *below,
                       int32_t *stk,
                       int32_t *len)
{
    int32_t r;
    if (kd->len > 0 && kd->nl[kd->len - 1].pre == a) {
        kd->nl[kd->len - 1].cnt += c;
        r = kd->rec[kd->len - 1];
        stk[(*len)++] = -1;
        if (*below >= 0) {
            h[*below].up = r;
        }
        *below = -1;
        return;
    }
    r = (*nh)++;
    kd->nl[kd->len].pre = a;
    kd->nl[kd->len].post = -1;
    kd->nl[kd->len].cnt = c;
    kd->rec[kd->len++] = r;
    h[r].j = kid;
    h[r].a = a;
    h[r].up = -1;
    if (*below >= 0) {
        h[*below].up = r;
    }
    *below = r;
    stk[(*len)++] = r;
}

/* The walk is over: the records it made learn how many records lie above them. */
static inline void path_close(hrec *h, const int32_t *stk, int32_t len)
{
    for (int32_t p = 0; p < len; p++) {
        if (stk[p] >= 0) {
            h[stk[p]].hd = len - 1 - p;
        }
    }
}

/* The post-order numbers of m's N-list, which walks leave at -1: only intersections read
 * them, and reading them from the tree on every walk cost a cache miss per entry. */
static void with_post(const ppc_tree *t, member *m)
{
    if (m->len > 0 && m->nl[0].post < 0) {
        for (int32_t k = 0; k < m->len; k++) {
            m->nl[k].post = t->post[m->nl[k].pre];
        }
    }
}

/* Kids of Q = P + m[i] by pairwise N-list intersection (dense data: few members, deep
 * paths). Returns the number of kids or -1 (out of memory). */
static int32_t kids_by_intersection(search *s, member *m, int32_t i, member *kids, int32_t *np)
{
    workspace *ws = s->ws;
    int32_t n_kids = 0;
    int64_t *ps = crm__fim_arena_alloc(&ws->arena, ((size_t)m[i].len + 1) * sizeof *ps);
    if (ps == NULL) {
        return -1;
    }
    with_post(s->tree, &m[i]);
    prefix_sums(m[i].nl, m[i].len, ps);
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
        with_post(s->tree, &m[j]);
        sup = intersect(m[j].nl, m[j].len, m[i].nl, ps, m[i].len, s->minsup, buf, &len);
        if (sup == m[i].sup) {
            ws->perf[(*np)++] = m[j].item;
        } else if (sup >= 0) {
            kids[n_kids].item = m[j].item;
            kids[n_kids].nl = buf;
            kids[n_kids].rec = NULL;
            kids[n_kids].len = len;
            kids[n_kids].sup = sup;
            n_kids++;
        }
    }
    return n_kids;
}

/* The same kids by walking up from each node of N-list(Q) and counting the members met on
 * the way, as for two-itemsets (sparse data: many members, short paths). The walks read the
 * class's records h when it has them, else the tree, where items rise in frequency toward
 * the root, so a walk stops below the most frequent member. The kids get records of their
 * own (*kh) for the next level. */
static int32_t
kids_by_walk(search *s, member *m, int32_t i, const hrec *h, member *kids, int32_t *np, hrec **kh)
{
    workspace *ws = s->ws;
    const ppc_tree *t = s->tree;
    int64_t *cnt = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *cnt);
    int32_t *ent = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *ent);
    int32_t *kid_of = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *kid_of);
    int32_t lo = m[0].item, n_kids = 0, nh = 0;
    size_t n_rec = 0;
    hrec *out = NULL;
    if (cnt == NULL || ent == NULL || kid_of == NULL) {
        return -1;
    }
    memset(cnt, 0, (size_t)i * sizeof *cnt);
    memset(ent, 0, (size_t)i * sizeof *ent);
    if (h == NULL) {
        for (int32_t j = 0; j < i; j++) {
            ws->slot[m[j].item] = j;
        }
    }
    for (int32_t k = 0; k < m[i].len; k++) {
        int32_t c = m[i].nl[k].cnt;
        if (h != NULL) {
            /* the walks of entries k and k + 1 in step, so that their cache misses overlap */
            int32_t r = h[m[i].rec[k]].up, r2 = -1, c2 = 0;
            if (k + 1 < m[i].len) {
                r2 = h[m[i].rec[k + 1]].up;
                c2 = m[i].nl[k + 1].cnt;
            }
            while (r >= 0 && r2 >= 0) {
                cnt[h[r].j] += c;
                ent[h[r].j]++;
                r = h[r].up;
                cnt[h[r2].j] += c2;
                ent[h[r2].j]++;
                r2 = h[r2].up;
            }
            for (; r >= 0; r = h[r].up) {
                cnt[h[r].j] += c;
                ent[h[r].j]++;
            }
            for (; r2 >= 0; r2 = h[r2].up) {
                cnt[h[r2].j] += c2;
                ent[h[r2].j]++;
            }
            k++;
            continue;
        }
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
            kids[n_kids].rec = crm__fim_arena_alloc(&ws->arena, (size_t)ent[j] * sizeof(int32_t));
            if (kids[n_kids].nl == NULL || kids[n_kids].rec == NULL) {
                n_kids = -1;
                break;
            }
            n_rec += (size_t)ent[j];
            kid_of[j] = n_kids++;
        }
    }
    if (n_kids > 0) {
        out = crm__fim_arena_alloc(&ws->arena, n_rec * sizeof *out);
        n_kids = out == NULL ? -1 : n_kids;
    }
    for (int32_t k = 0; k < m[i].len && n_kids > 0; k++) {
        int32_t c = m[i].nl[k].cnt, below = -1, len = 0;
        if (h != NULL) {
            for (int32_t r = h[m[i].rec[k]].up; r >= 0; r = h[r].up) {
                int32_t kid = kid_of[h[r].j];
                if (kid >= 0) {
                    hit(&kids[kid], kid, h[r].a, c, out, &nh, &below, ws->stk, &len);
                }
            }
        } else {
            for (int32_t a = t->up[2 * m[i].nl[k].pre]; a > 0 && t->up[2 * a + 1] >= lo;
                 a = t->up[2 * a]) {
                int32_t j = ws->slot[t->up[2 * a + 1]], kid = j >= 0 ? kid_of[j] : -1;
                if (kid >= 0) {
                    hit(&kids[kid], kid, a, c, out, &nh, &below, ws->stk, &len);
                }
            }
        }
        path_close(out, ws->stk, len);
    }
    if (h == NULL) {
        for (int32_t j = 0; j < i; j++) {
            ws->slot[m[j].item] = -1;
        }
    }
    *kh = out;
    return n_kids;
}

/* Walking costs the path lengths above N-list(Q) (the records above each entry, or its depth
 * in the tree); intersecting costs the list lengths. */
static int walk_is_cheaper(const search *s, const member *m, int32_t i, const hrec *h)
{
    const ppc_tree *t = s->tree;
    int64_t walk = 0, inter = 0;
    for (int32_t k = 0; k < m[i].len; k++) {
        walk += h != NULL ? h[m[i].rec[k]].hd : t->depth[m[i].nl[k].pre];
    }
    for (int32_t j = 0; j < i && inter <= 2 * walk; j++) {
        if (pair_frequent(s->pairs, m[i].item, m[j].item)) {
            inter += m[j].len + m[i].len;
        }
    }
    return 2 * walk < inter;
}

/* Q = prefix[0..depth) + m[i]: find its class among m[0..i), report it, recurse. */
static crm_status
visit(search *s, int32_t depth, int32_t n_perf, member *m, int32_t i, const hrec *h)
{
    workspace *ws = s->ws;
    crm__fim_mark mark = crm__fim_arena_mark(&ws->arena);
    member *kids = NULL;
    hrec *kh = NULL;
    int32_t n_kids = 0, np = n_perf;
    crm_status rc;
    ws->prefix[depth] = m[i].item;
    if (i > 0 && (s->max_len == 0 || depth + 1 < s->max_len)) {
        kids = crm__fim_arena_alloc(&ws->arena, (size_t)i * sizeof *kids);
        if (kids == NULL) {
            return CRM_ENOMEM;
        }
        n_kids = walk_is_cheaper(s, m, i, h) ? kids_by_walk(s, m, i, h, kids, &np, &kh)
                                             : kids_by_intersection(s, m, i, kids, &np);
        if (n_kids < 0) {
            crm__fim_arena_release(&ws->arena, mark);
            return CRM_ENOMEM;
        }
    }
    rc = crm__fim_out_emit(s->out, ws->prefix, depth + 1, ws->perf, np, m[i].sup);
    if (rc == CRM_OK && n_kids > 0) {
        rc = mine_class(s, depth + 1, np, kids, n_kids, kh);
    }
    crm__fim_arena_release(&ws->arena, mark);
    return rc;
}

/* The members m[0..n_m) of one class (records h, or NULL). */
static crm_status
mine_class(search *s, int32_t depth, int32_t n_perf, member *m, int32_t n_m, const hrec *h)
{
    crm_status rc = CRM_OK;
    for (int32_t i = 0; i < n_m && rc == CRM_OK; i++) {
        rc = visit(s, depth, n_perf, m, i, h);
    }
    return rc;
}

/* The end of top-level item x's class, once its members m[n_m] (np perfect extensions) are
 * known: {x} itself, then the class mined; the workspace arena goes back to mark. */
static crm_status top_level_finish(search *s,
                                   crm_status rc,
                                   int32_t x,
                                   int64_t sup_x,
                                   int32_t np,
                                   member *m,
                                   int32_t n_m,
                                   const hrec *recs,
                                   crm__fim_mark mark)
{
    workspace *ws = s->ws;
    if (rc == CRM_OK) {
        ws->prefix[0] = x;
        rc = crm__fim_out_emit(s->out, ws->prefix, 1, ws->perf, np, sup_x);
    }
    if (rc == CRM_OK && n_m > 0) {
        rc = mine_class(s, 1, np, m, n_m, recs);
    }
    crm__fim_arena_release(&ws->arena, mark);
    return rc;
}

/* The class of top-level item x: N-lists of {x, y} for every frequent y more frequent. */
static crm_status top_level(search *s, int32_t x)
{
    const ppc_tree *t = s->tree;
    workspace *ws = s->ws;
    const code *nodes = t->icode + t->item_off[x];
    int32_t n_nodes = t->item_off[x + 1] - t->item_off[x], n_touched = 0, n_m = 0, np = 0;
    int64_t sup_x = s->ctx->data->sup[x];
    crm__fim_mark mark = crm__fim_arena_mark(&ws->arena);
    member *m = NULL;
    hrec *recs = NULL;
    size_t n_rec = 0;
    crm_status rc = CRM_OK;
    int64_t steps = 0;
    for (int32_t k = 0; k < n_nodes; k += 2) {
        /* the walks from nodes k and k + 1 in step, so that their cache misses overlap */
        int32_t a = t->up[2 * nodes[k].pre], b = k + 1 < n_nodes ? t->up[2 * nodes[k + 1].pre] : 0;
        while (a > 0 || b > 0) {
            if (a > 0) {
                int32_t y = t->up[2 * a + 1];
                ws->seen[y >> 6] |= (uint64_t)1 << (y & 63);
                ws->cnt[y] += nodes[k].cnt;
                ws->ent[y]++;
                a = t->up[2 * a];
                steps++;
            }
            if (b > 0) {
                int32_t y = t->up[2 * b + 1];
                ws->seen[y >> 6] |= (uint64_t)1 << (y & 63);
                ws->cnt[y] += nodes[k + 1].cnt;
                ws->ent[y]++;
                b = t->up[2 * b];
                steps++;
            }
        }
    }
    if (steps * 8 < (int64_t)(x >> 6) + 1) {
        /* Few ancestors among many items (sparse baskets, 500,000 frequent items): scanning x /
         * 64 words for each x is quadratic; walk the paths again for the touched items and sort
         * them. */
        for (int32_t k = 0; k < n_nodes; k++) {
            for (int32_t a = t->up[2 * nodes[k].pre]; a > 0; a = t->up[2 * a]) {
                int32_t y = t->up[2 * a + 1];
                uint64_t bit = (uint64_t)1 << (y & 63);
                if (ws->seen[y >> 6] & bit) {
                    ws->seen[y >> 6] &= ~bit;
                    ws->touched[n_touched++] = y;
                }
            }
        }
        crm__fim_sort_i32(ws->touched, n_touched);
    } else {
        /* Ancestors are more frequent than x: the touched items, in rank order, are the set
         * bits of the first x bits (a scan of x / 64 words instead of a sort). */
        for (int32_t w = 0; w <= x >> 6; w++) {
            uint64_t bits = ws->seen[w];
            ws->seen[w] = 0;
            while (bits != 0) {
                ws->touched[n_touched++] = w * 64 + __builtin_ctzll(bits);
                bits &= bits - 1;
            }
        }
    }
    if (s->pairs->words != NULL) {
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
            m[n_m].rec = crm__fim_arena_alloc(&ws->arena, (size_t)ws->ent[y] * sizeof(int32_t));
            if (m[n_m].nl == NULL || m[n_m].rec == NULL) {
                rc = CRM_ENOMEM;
            }
            n_rec += (size_t)ws->ent[y];
            ws->slot[y] = n_m++;
        }
    }
    if (rc == CRM_OK && n_m > 0) {
        recs = crm__fim_arena_alloc(&ws->arena, n_rec * sizeof *recs);
        rc = recs == NULL ? CRM_ENOMEM : CRM_OK;
    }
    if (rc == CRM_OK && n_m > 0) {
        int32_t nh = 0;
        for (int32_t k = 0; k < n_nodes; k++) {
            int32_t c = nodes[k].cnt, below = -1, len = 0;
            for (int32_t a = t->up[2 * nodes[k].pre]; a > 0; a = t->up[2 * a]) {
                int32_t si = ws->slot[t->up[2 * a + 1]];
                if (si >= 0) {
                    hit(&m[si], si, a, c, recs, &nh, &below, ws->stk, &len);
                }
            }
            path_close(recs, ws->stk, len);
        }
    }
    for (int32_t k = 0; k < n_touched; k++) {
        ws->cnt[ws->touched[k]] = 0;
        ws->ent[ws->touched[k]] = 0;
        ws->slot[ws->touched[k]] = -1;
    }
    return top_level_finish(s, rc, x, sup_x, np, m, n_m, recs, mark);
}

/* The class of top-level item x when the 2-itemset supports are known (s->mat): the
 * frequent partners y and their supports come from the table, so items that make no
 * frequent pair with x cost nothing, and the N-lists of the frequent {x, y} are built either
 * by intersecting the 1-itemset N-lists (few partners, short lists: sparse data) or by one
 * walk up from the x-nodes (many partners: dense data), whichever the estimate says is
 * cheaper. Both give the same N-lists. */
static crm_status top_level_table(search *s, int32_t x)
{
    const ppc_tree *t = s->tree;
    workspace *ws = s->ws;
    const code *nx = t->icode + t->item_off[x];
    int32_t lx = t->item_off[x + 1] - t->item_off[x], n_m = 0, np = 0;
    int64_t sup_x = s->ctx->data->sup[x], inter = 0;
    const uint32_t *row = s->mat + (int64_t)x * (x - 1) / 2;
    crm__fim_mark mark = crm__fim_arena_mark(&ws->arena);
    member *m = NULL;
    hrec *recs = NULL;
    crm_status rc = CRM_OK;
    if (x > 0 && (s->max_len == 0 || s->max_len > 1)) {
        m = crm__fim_arena_alloc(&ws->arena, (size_t)x * sizeof *m);
        if (m == NULL) {
            return CRM_ENOMEM;
        }
        for (int32_t y = 0; y < x; y++) {
            if ((int64_t)row[y] < s->minsup) {
                continue;
            }
            if ((int64_t)row[y] == sup_x) {
                ws->perf[np++] = y;
            } else {
                int32_t ly = t->item_off[y + 1] - t->item_off[y];
                m[n_m].item = y;
                m[n_m].sup = row[y];
                m[n_m].len = 0;
                m[n_m].nl = NULL;
                m[n_m].rec = NULL;
                inter += 2 * (ly < lx ? ly : lx) + 4;
                n_m++;
            }
        }
    }
    if (n_m > 0 && inter <= 2 * t->walk[x]) {
        int64_t *ps = crm__fim_arena_alloc(&ws->arena, ((size_t)lx + 1) * sizeof *ps);
        code *buf = crm__fim_arena_alloc(&ws->arena, (size_t)lx * sizeof *buf);
        if (ps == NULL || buf == NULL) {
            rc = CRM_ENOMEM;
        } else {
            prefix_sums(nx, lx, ps);
        }
        for (int32_t k = 0; k < n_m && rc == CRM_OK; k++) {
            int32_t y = m[k].item, ly = t->item_off[y + 1] - t->item_off[y];
            (void)intersect(t->icode + t->item_off[y], ly, nx, ps, lx, 0, buf, &m[k].len);
            m[k].nl = crm__fim_arena_alloc(&ws->arena, (size_t)m[k].len * sizeof(code));
            if (m[k].nl == NULL) {
                rc = CRM_ENOMEM;
            } else {
                memcpy(m[k].nl, buf, (size_t)m[k].len * sizeof(code));
            }
        }
    } else if (n_m > 0) {
        /* one walk: the member nodes met go to ws->hits in walk order (each walk ended by
         * a mark, j -1), then to the lists and records */
        int32_t lo = m[0].item, n_rec = 0, below = -1, len = 0;
        size_t nh = 0;
        if ((size_t)(t->walk[x] + lx) > ws->hits_cap) {
            size_t cap = (size_t)(t->walk[x] + lx) + ws->hits_cap / 2;
            if (!crm__fim_mem_grow(s->ctx->mem, (void **)&ws->hits, ws->hits_cap * sizeof(whit),
                                   cap * sizeof(whit))) {
                return CRM_ENOMEM;
            }
            ws->hits_cap = cap;
        }
        for (int32_t k = 0; k < n_m; k++) {
            ws->slot[m[k].item] = k;
            ws->ent[k] = 0;
        }
        for (int32_t k = 0; k < lx; k++) {
            int32_t c = nx[k].cnt;
            for (int32_t a = t->up[2 * nx[k].pre]; a > 0 && t->up[2 * a + 1] >= lo;
                 a = t->up[2 * a]) {
                int32_t j = ws->slot[t->up[2 * a + 1]];
                if (j >= 0) {
                    ws->hits[nh].j = j;
                    ws->hits[nh].a = a;
                    ws->hits[nh].cnt = c;
                    nh++;
                    ws->ent[j]++;
                }
            }
            ws->hits[nh++].j = -1;
        }
        for (int32_t k = 0; k < n_m; k++) {
            ws->slot[m[k].item] = -1;
            m[k].nl = crm__fim_arena_alloc(&ws->arena, (size_t)ws->ent[k] * sizeof(code));
            m[k].rec = crm__fim_arena_alloc(&ws->arena, (size_t)ws->ent[k] * sizeof(int32_t));
            ws->ent[k] = 0;
            if (m[k].nl == NULL || m[k].rec == NULL) {
                rc = CRM_ENOMEM;
            }
        }
        recs = rc == CRM_OK ? crm__fim_arena_alloc(&ws->arena, nh * sizeof *recs) : NULL;
        rc = recs == NULL ? CRM_ENOMEM : rc;
        for (size_t h = 0; h < nh && rc == CRM_OK; h++) {
            const whit *w = &ws->hits[h];
            if (w->j < 0) {
                path_close(recs, ws->stk, len);
                below = -1;
                len = 0;
            } else {
                hit(&m[w->j], w->j, w->a, w->cnt, recs, &n_rec, &below, ws->stk, &len);
            }
        }
    }
    return top_level_finish(s, rc, x, sup_x, np, m, n_m, recs, mark);
}

/* The supports of all 2-itemsets in one pass over the tree in pre-order: the items of a
 * node's ancestors are the items on the current path (pitem, indexed by depth), so no
 * pointers are chased and the counts of one node go to one row of the table. Also the walk
 * cost per item. Rows of the frequent-pair bits are filled from the table. */
static void table_fill(const ppc_tree *t,
                       uint32_t *mat,
                       int32_t *pitem,
                       const pair_bits *pb,
                       int32_t n_items,
                       int64_t minsup)
{
    for (int32_t nd = 1; nd < t->n_nodes; nd++) {
        int32_t d = t->depth[nd], x = t->up[2 * nd + 1];
        uint32_t c = (uint32_t)t->count[nd];
        uint32_t *row = mat + (int64_t)x * (x - 1) / 2;
        pitem[d] = x;
        for (int32_t l = 1; l < d; l++) {
            row[pitem[l]] += c;
        }
    }
    for (int32_t x = 0; x < n_items && pb->words != NULL; x++) {
        const uint32_t *row = mat + (int64_t)x * (x - 1) / 2;
        uint64_t *bits = pb->words + pb->row[x];
        for (int32_t y = 0; y < x; y++) {
            if ((int64_t)row[y] >= minsup) {
                bits[y >> 6] |= (uint64_t)1 << (y & 63);
            }
        }
        atomic_store_explicit(&pb->ready[x], 1, memory_order_release);
    }
}

/* ---- frequent pairs -------------------------------------------------------------------------- */

/* Largest bit matrix of frequent pairs: 256 MiB (about 46,000 items), and an eighth of the
 * memory limit. */
static int64_t pair_bits_max(const crm__fim_mem *mem)
{
    int64_t cap = (int64_t)256 << 20;
    if (mem->limit > 0 && mem->limit / 8 < cap) {
        cap = mem->limit / 8;
    }
    return cap;
}

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
    if ((pb->n_words + 1) * (int64_t)sizeof *pb->words > pair_bits_max(mem)) {
        /* n^2 / 2 bits: 528,000 items would take 17 GB. Without the bits every pair is
         * "maybe frequent" (its N-list is intersected): the same itemsets, less pruning. */
        pb->n_words = 0;
        pb->words = NULL;
        return CRM_OK;
    }
    pb->words = crm__fim_mem_calloc(mem, (size_t)pb->n_words + 1, sizeof *pb->words);
    return pb->words == NULL ? CRM_ENOMEM : CRM_OK;
}

static void pairs_free(pair_bits *pb, crm__fim_mem *mem, int32_t n)
{
    crm__fim_mem_free(mem, pb->row, ((size_t)n + 1) * sizeof *pb->row);
    crm__fim_mem_free(mem, (void *)pb->ready, ((size_t)n + 1) * sizeof *pb->ready);
    if (pb->words != NULL) {
        crm__fim_mem_free(mem, pb->words, ((size_t)pb->n_words + 1) * sizeof *pb->words);
    }
}

/* ---- driver ---------------------------------------------------------------------------------- */

static void ws_free(workspace *ws, crm__fim_mem *mem, int32_t n_items)
{
    size_t n = (size_t)n_items + 1;
    crm__fim_arena_fini(&ws->arena);
    crm__fim_mem_free(mem, ws->cnt, n * sizeof *ws->cnt);
    crm__fim_mem_free(mem, ws->ent, n * sizeof *ws->ent);
    crm__fim_mem_free(mem, ws->touched, n * sizeof *ws->touched);
    crm__fim_mem_free(mem, ws->seen, (n / 64 + 1) * sizeof *ws->seen);
    crm__fim_mem_free(mem, ws->slot, n * sizeof *ws->slot);
    crm__fim_mem_free(mem, ws->prefix, n * sizeof *ws->prefix);
    crm__fim_mem_free(mem, ws->perf, n * sizeof *ws->perf);
    crm__fim_mem_free(mem, ws->stk, n * sizeof *ws->stk);
    crm__fim_mem_free(mem, ws->hits, ws->hits_cap * sizeof *ws->hits);
}

static int ws_init(workspace *ws, crm__fim_mem *mem, int32_t n_items)
{
    size_t n = (size_t)n_items + 1;
    memset(ws, 0, sizeof *ws);
    crm__fim_arena_init(&ws->arena, mem, (size_t)1 << 22);
    ws->cnt = crm__fim_mem_calloc(mem, n, sizeof *ws->cnt);
    ws->ent = crm__fim_mem_calloc(mem, n, sizeof *ws->ent);
    ws->touched = crm__fim_mem_alloc(mem, n * sizeof *ws->touched);
    ws->seen = crm__fim_mem_calloc(mem, n / 64 + 1, sizeof *ws->seen);
    ws->slot = crm__fim_mem_alloc(mem, n * sizeof *ws->slot);
    ws->prefix = crm__fim_mem_alloc(mem, n * sizeof *ws->prefix);
    ws->perf = crm__fim_mem_alloc(mem, n * sizeof *ws->perf);
    ws->stk = crm__fim_mem_alloc(mem, n * sizeof *ws->stk);
    if (ws->cnt == NULL || ws->ent == NULL || ws->touched == NULL || ws->seen == NULL ||
        ws->slot == NULL || ws->prefix == NULL || ws->perf == NULL || ws->stk == NULL) {
        return 0;
    }
    memset(ws->slot, 0xff, n * sizeof *ws->slot);
    return 1;
}

#define BATCH 32

/* The 2-itemset table costs 2 n^2 bytes; it is built when that stays under 16 MiB (about
 * 2,900 items) and small next to the memory limit. Filling it is one sequential pass over
 * the tree, against two walks up from every node without it: retail at support 89 (2,117
 * items, 9 MiB) 80 -> 61 ms, at 60 and 40 still faster; at 25 (92 MiB) clearing and
 * faulting in the table cost more than it saves. */
#define TABLE_MAX_BYTES ((int64_t)16 << 20)

/* Chunk size of the top arena: room for what the tree is built from (the sort's indices and
 * scratch; the keys and inserted builds keep theirs outside the arena) and a tree with one
 * node per frequent item
 * occurrence (the most it can have), so that one chunk holds both and a later mining reuses it
 * whole (4 MiB chunks left the tree in a block of its own, returned to the system and faulted in
 * again each time: retail at 441 took 1.4x longer per mining). When that bound passes 16 MiB or a
 * quarter of the memory limit, 4 MiB chunks (a larger bound was slower on T10I4D100K at 10).
 * Untouched pages of a chunk cost no memory. */
static size_t top_chunk_bytes(const crm__fim_data *d, int sorted, const crm__fim_mem *mem)
{
    int64_t occ = frequent_occurrences(d);
    size_t build = sorted ? 4 * ((size_t)d->n_trans + 1) * sizeof(int64_t) : 0;
    size_t want = build + tree_bytes(occ + 1, d->n_items);
    size_t cap = (size_t)1 << 24;
    if (mem->limit > 0 && (size_t)(mem->limit / 4) < cap) {
        cap = (size_t)(mem->limit / 4);
    }
    if (want > cap) {
        return (size_t)1 << 22;
    }
    return want < ((size_t)1 << 20) ? (size_t)1 << 20 : want;
}

static int table_wanted(const crm__fim_mem *mem, int32_t n)
{
    int64_t bytes = ((int64_t)n * (n - 1) / 2 + 1) * (int64_t)sizeof(uint32_t);
    int64_t used = atomic_load_explicit(&mem->used, memory_order_relaxed);
    return n > 1 && bytes <= TABLE_MAX_BYTES && (mem->limit == 0 || used + bytes <= mem->limit / 2);
}

/* The classes in batches of BATCH, each class into its own buffer. While the other threads
 * start a batch, the calling thread (the team's master) replays the batch before it, so the
 * sink is called from the calling thread only, in class order, and no thread waits for
 * the replay. */
static crm_status
run_parallel(crm__fim_ctx *ctx, search *proto, workspace *wss, int nt, crm_error *err)
{
    int32_t n = ctx->data->n_items, pend = 0;
    crm__fim_out *bufs[2][BATCH];
    crm_status st[2][BATCH];
    crm_status rc = CRM_OK;
    int cur = 0;
    for (int32_t b0 = 0; b0 < n && rc == CRM_OK; b0 += BATCH, cur ^= 1) {
        int32_t nb = n - b0 < BATCH ? n - b0 : BATCH;
        for (int32_t k = 0; k < nb; k++) {
            bufs[cur][k] = crm__fim_out_new_buffer(ctx);
            st[cur][k] = bufs[cur][k] == NULL ? CRM_ENOMEM : CRM_OK;
        }
#pragma omp parallel num_threads(nt)
        {
#pragma omp master
            if (pend > 0) {
                rc = crm__fim_out_flush_batch(ctx, bufs[cur ^ 1], st[cur ^ 1], pend, CRM_OK, err);
                if (rc == CRM_OK &&
                    !crm_progress_report(ctx->progress, "mining", (double)b0 / (double)n)) {
                    rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
                }
            }
#pragma omp for schedule(dynamic, 1)
            for (int32_t k = 0; k < nb; k++) {
                if (st[cur][k] == CRM_OK) {
#ifdef _OPENMP
                    int tid = omp_get_thread_num();
#else
                    int tid = 0;
#endif
                    search s = *proto;
                    s.ws = &wss[tid];
                    s.out = bufs[cur][k];
                    st[cur][k] =
                        s.mat != NULL ? top_level_table(&s, b0 + k) : top_level(&s, b0 + k);
                }
            }
        }
        pend = nb;
    }
    rc = crm__fim_out_flush_batch(ctx, bufs[cur ^ 1], st[cur ^ 1], pend, rc, err);
    if (rc == CRM_OK && !crm_progress_report(ctx->progress, "mining", 1.0)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
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
    uint32_t *mat = NULL;
    int32_t *pitem = NULL;
    crm__fim_arena top;
    int nt = ctx->n_threads > 1 && d->n_items > 1 ? ctx->n_threads : 1;
    int inserted = d->n_items <= INSERT_MAX_ITEMS;
    crm_status rc = inserted ? CRM_OK : crm__fim_data_recode(ctx->data, ctx->mem, nt, err);
    if (rc != CRM_OK) {
        return rc;
    }
    crm__fim_arena_init(&top, ctx->mem,
                        top_chunk_bytes(d, d->n_items > KEY_MAX_ITEMS && !inserted, ctx->mem));
    rc = d->n_items <= KEY_MAX_ITEMS ? tree_build_keys(d, &top, nt, &tree, err)
         : inserted                  ? tree_build_inserted(d, &top, nt, &tree, err)
                                     : tree_build_sorted(d, &top, &tree, err);
    if (rc != CRM_OK) {
        crm__fim_arena_fini(&top);
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
    if (rc == CRM_OK && table_wanted(ctx->mem, d->n_items)) {
        size_t mat_bytes = ((size_t)d->n_items * (size_t)(d->n_items - 1) / 2 + 1) * sizeof *mat;
        mat = crm__fim_arena_alloc(&top, mat_bytes);
        if (mat != NULL) {
            memset(mat, 0, mat_bytes);
        }
        pitem = crm_mallocarray((size_t)tree.max_depth + 2, sizeof *pitem);
        if (mat != NULL && pitem != NULL) {
            table_fill(&tree, mat, pitem, &pairs, d->n_items, d->minsup);
            proto.mat = mat;
        }
    }
    if (rc == CRM_OK && nt == 1) {
        proto.ws = &wss[0];
        proto.out = ctx->out;
        for (int32_t x = 0; x < d->n_items && rc == CRM_OK; x++) {
            rc = proto.mat != NULL ? top_level_table(&proto, x) : top_level(&proto, x);
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
    crm_free(pitem);
    pairs_free(&pairs, ctx->mem, d->n_items);
    crm__fim_arena_fini(&top);
    return rc;
}
