/* birch.c: BIRCH's CF tree and global clustering (crmkit/birch.h). The tree follows
 * scikit-learn 1.2's _CFNode/_CFSubcluster step for step (same nearest-subcluster rule, same
 * merge test, same split around the farthest pair, same order of the leaves), so the leaf
 * subclusters are the same; the global step is crmkit's Ward clustering (crmkit/hclust.h). */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/birch.h>
#include <crmkit/hclust.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#define BIRCH_SECTION "birch"
#define BIRCH_VERSION 1u

typedef struct bnode bnode;

typedef struct bsub {
    int64_t n;
    double ss;  /* sum of squared norms */
    double sqn; /* |centroid|^2 */
    double *ls; /* linear sum [dim] */
    double *c;  /* centroid [dim] */
    bnode *child;
} bsub;

struct bnode {
    int32_t n;
    int leaf;
    bsub **sub; /* branching + 1 slots */
    bnode *prev, *next;
};

typedef struct tree_ctx {
    int32_t dim;
    int32_t branching;
    double thr2;
    int oom;
    int kept;    /* the row's subcluster became a leaf entry (else the caller frees it) */
    double *tmp; /* 2 dim scratch */
} tree_ctx;

struct crm_birch {
    crm_birch_params p;
    int32_t dim;
    int32_t k;
    int32_t n_sub;
    double *centers; /* n_sub x dim */
    int32_t *sub_label;
    int32_t *labels; /* training, NULL after load */
    int64_t n_rows;
    crm__kdtree *tree; /* over the subcluster centroids */
};

crm_birch_params crm_birch_params_default(void)
{
    return (crm_birch_params){ .threshold = 0.5, .branching = 50, .k = 3, .kmin = 2, .kmax = 12 };
}

crm_status crm_birch_params_check(const crm_birch_params *p, crm_error *err)
{
    const char *bad = NULL;
    const char *field = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "birch params: NULL");
    }
    if (!(p->threshold > 0) || !isfinite(p->threshold)) {
        bad = "threshold must be a number > 0";
        field = "threshold";
    } else if (p->branching < 2 || p->branching > 1000000) {
        bad = "branching must be in [2, 1000000]";
        field = "branching";
    } else if (p->k < 0) {
        bad = "k must be >= 0";
        field = "k";
    } else if (p->k == 0 && (p->kmin < 1 || p->kmax < p->kmin)) {
        bad = "kmin must be >= 1 and kmax >= kmin";
        field = "kmin";
    } else if (p->n_threads < 0) {
        bad = "n_threads must be >= 0";
    }
    if (bad != NULL) {
        crm__error_set(err, CRM_EINVAL, "birch: %s", bad);
        if (field != NULL) {
            crm__error_field(err, field);
        }
        return CRM_EINVAL;
    }
    return CRM_OK;
}

static double dot(const double *a, const double *b, int32_t d)
{
    double s = 0;
    for (int32_t i = 0; i < d; i++) {
        s += a[i] * b[i];
    }
    return s;
}

static bsub *sub_new(tree_ctx *t)
{
    bsub *s = crm_calloc(1, sizeof *s + 2 * (size_t)t->dim * sizeof(double));
    if (s == NULL) {
        t->oom = 1;
        return NULL;
    }
    s->ls = (double *)(s + 1);
    s->c = s->ls + t->dim;
    return s;
}

static bnode *node_new(tree_ctx *t, int leaf)
{
    bnode *nd = crm_calloc(1, sizeof *nd);
    if (nd != NULL) {
        nd->sub = crm_mallocarray((size_t)t->branching + 1, sizeof *nd->sub);
        if (nd->sub == NULL) {
            crm_free(nd);
            nd = NULL;
        }
    }
    if (nd == NULL) {
        t->oom = 1;
        return NULL;
    }
    nd->leaf = leaf;
    return nd;
}

static void node_free(bnode *nd)
{
    if (nd == NULL) {
        return;
    }
    for (int32_t i = 0; i < nd->n; i++) {
        node_free(nd->sub[i]->child);
        crm_free(nd->sub[i]);
    }
    crm_free(nd->sub);
    crm_free(nd);
}

/* _CFSubcluster.update */
static void sub_update(tree_ctx *t, bsub *dst, const bsub *src)
{
    dst->n += src->n;
    for (int32_t a = 0; a < t->dim; a++) {
        dst->ls[a] += src->ls[a];
    }
    dst->ss += src->ss;
    for (int32_t a = 0; a < t->dim; a++) {
        dst->c[a] = dst->ls[a] / (double)dst->n;
    }
    dst->sqn = dot(dst->c, dst->c, t->dim);
}

/* _CFSubcluster.merge_subcluster */
static int sub_merge(tree_ctx *t, bsub *dst, const bsub *src)
{
    double *ls = t->tmp;
    double *c = t->tmp + t->dim;
    double ss = dst->ss + src->ss;
    int64_t n = dst->n + src->n;
    double inv = 1.0 / (double)n;
    double sqn;
    for (int32_t a = 0; a < t->dim; a++) {
        ls[a] = dst->ls[a] + src->ls[a];
        c[a] = inv * ls[a];
    }
    sqn = dot(c, c, t->dim);
    if (ss / (double)n - sqn <= t->thr2) {
        dst->n = n;
        dst->ss = ss;
        dst->sqn = sqn;
        memcpy(dst->ls, ls, (size_t)t->dim * sizeof *ls);
        memcpy(dst->c, c, (size_t)t->dim * sizeof *c);
        return 1;
    }
    return 0;
}

/* Squared distance between centroids i and j of a node, as scikit-learn's euclidean_distances
 * computes it (-2 c_i.c_j + |c_i|^2 + |c_j|^2, clipped at 0, 0 on the diagonal). */
static double pair_d2(const tree_ctx *t, const bnode *nd, int32_t i, int32_t j)
{
    double v;
    if (i == j) {
        return 0.0;
    }
    v = -2.0 * dot(nd->sub[i]->c, nd->sub[j]->c, t->dim);
    v += nd->sub[i]->sqn;
    v += nd->sub[j]->sqn;
    return v > 0 ? v : 0.0;
}

/* _split_node: two new subclusters whose children share nd's subclusters; nd itself is freed
 * (not its subclusters). NULL pair on memory failure (t->oom set, nd unchanged). */
static int split_node(tree_ctx *t, bnode *nd, bsub **o1, bsub **o2)
{
    bsub *s1 = sub_new(t);
    bsub *s2 = sub_new(t);
    bnode *n1 = node_new(t, nd->leaf);
    bnode *n2 = node_new(t, nd->leaf);
    int32_t f0 = 0;
    int32_t f1 = 0;
    double best = -1.0;
    if (t->oom) {
        crm_free(s1);
        crm_free(s2);
        node_free(n1);
        node_free(n2);
        return 0;
    }
    s1->child = n1;
    s2->child = n2;
    if (nd->leaf) {
        if (nd->prev != NULL) {
            nd->prev->next = n1;
        }
        n1->prev = nd->prev;
        n1->next = n2;
        n2->prev = n1;
        n2->next = nd->next;
        if (nd->next != NULL) {
            nd->next->prev = n2;
        }
    }
    for (int32_t i = 0; i < nd->n; i++) {
        for (int32_t j = 0; j < nd->n; j++) {
            double v = pair_d2(t, nd, i, j);
            if (v > best) {
                best = v;
                f0 = i;
                f1 = j;
            }
        }
    }
    for (int32_t i = 0; i < nd->n; i++) {
        int to1 = i == f0 || pair_d2(t, nd, f0, i) < pair_d2(t, nd, f1, i);
        bnode *dst = to1 ? n1 : n2;
        dst->sub[dst->n++] = nd->sub[i];
        sub_update(t, to1 ? s1 : s2, nd->sub[i]);
    }
    crm_free(nd->sub);
    crm_free(nd);
    *o1 = s1;
    *o2 = s2;
    return 1;
}

/* _CFNode.insert_cf_subcluster: 1 when nd now holds more subclusters than branching. */
static int insert(tree_ctx *t, bnode *nd, bsub *sc)
{
    int32_t ci = 0;
    double best = HUGE_VAL;
    bsub *closest;
    if (nd->n == 0) {
        nd->sub[nd->n++] = sc;
        t->kept = 1;
        return 0;
    }
    for (int32_t i = 0; i < nd->n; i++) {
        double v = dot(nd->sub[i]->c, sc->c, t->dim);
        v *= -2.0;
        v += nd->sub[i]->sqn;
        if (v < best) {
            best = v;
            ci = i;
        }
    }
    closest = nd->sub[ci];
    if (closest->child != NULL) {
        bsub *s1;
        bsub *s2;
        if (!insert(t, closest->child, sc)) {
            sub_update(t, closest, sc);
            return 0;
        }
        if (t->oom || !split_node(t, closest->child, &s1, &s2)) {
            return 0;
        }
        crm_free(closest);
        nd->sub[ci] = s1;
        nd->sub[nd->n++] = s2;
        return nd->n > t->branching;
    }
    if (sub_merge(t, closest, sc)) {
        return 0; /* sc stays alive: the parents add it to their CFs on the way up */
    }
    nd->sub[nd->n++] = sc;
    t->kept = 1;
    return nd->n > t->branching;
}

void crm_birch_free(crm_birch *b)
{
    if (b == NULL) {
        return;
    }
    crm__kdtree_free(b->tree);
    CRM__FREE(b->centers, b->sub_label, b->labels, b);
}

/* Ward on the centroids, cut at k (or k chosen in [kmin, kmax]). */
static crm_status global_step(crm_birch *b, crm_error *err)
{
    crm_status rc = CRM_OK;
    int32_t k = b->p.k;
    crm_hclust *h = NULL;
    crm_matrix cm;
    int each = 0;
    if (k == 0) {
        if (b->n_sub <= b->p.kmin) {
            each = 1;
        }
    } else if (b->n_sub <= k) {
        each = 1; /* scikit-learn: not enough subclusters, each is a cluster */
    }
    if (k == 1) {
        for (int32_t i = 0; i < b->n_sub; i++) {
            b->sub_label[i] = 0;
        }
        b->k = 1;
        return CRM_OK;
    }
    if (each) {
        for (int32_t i = 0; i < b->n_sub; i++) {
            b->sub_label[i] = i;
        }
        b->k = b->n_sub;
        return CRM_OK;
    }
    memset(&cm, 0, sizeof cm);
    cm.data = b->centers;
    cm.n_rows = b->n_sub;
    cm.n_cols = b->dim;
    cm.ld = b->dim;
    {
        crm_hclust_params hp = crm_hclust_params_default();
        hp.n_threads = b->p.n_threads;
        rc = crm_hclust_fit(&hp, &cm, NULL, &h, err);
    }
    if (rc == CRM_OK && k == 0) {
        int32_t kmax = b->p.kmax < b->n_sub ? b->p.kmax : b->n_sub;
        rc = crm_hclust_auto_k(h, b->p.kmin, kmax, &k, err);
    }
    if (rc == CRM_OK) {
        rc = crm_hclust_cut_k(h, &cm, k, err);
    }
    if (rc == CRM_OK) {
        memcpy(b->sub_label, crm_hclust_labels(h), (size_t)b->n_sub * sizeof *b->sub_label);
        b->k = crm_hclust_k(h);
    }
    crm_hclust_free(h);
    return rc;
}

crm_status crm_birch_fit(const crm_birch_params *p,
                         const crm_matrix *x,
                         const crm_progress *progress,
                         crm_birch **out,
                         crm_error *err)
{
    tree_ctx t;
    bnode dummy;
    bnode *root = NULL;
    crm_birch *b = NULL;
    crm_status rc = crm_birch_params_check(p, err);
    int32_t dim = (int32_t)x->n_cols;
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (x->n_rows < 1 || dim < 1) {
        return crm__error_set(err, CRM_EDATA, "birch: no rows to cluster");
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        const double *row = CRM_ROW(x, i);
        for (int32_t a = 0; a < dim; a++) {
            if (!isfinite(row[a])) {
                return crm__error_set(err, CRM_EDATA, "birch: row %lld, column %d is not finite",
                                      (long long)i + 1, (int)a + 1);
            }
        }
    }
    memset(&t, 0, sizeof t);
    t.dim = dim;
    t.branching = p->branching;
    t.thr2 = p->threshold * p->threshold;
    t.tmp = crm_mallocarray(2 * (size_t)dim, sizeof *t.tmp);
    memset(&dummy, 0, sizeof dummy);
    root = node_new(&t, 1);
    if (t.tmp == NULL || root == NULL) {
        t.oom = 1;
    } else {
        dummy.next = root;
        root->prev = &dummy;
    }
    for (int64_t i = 0; !t.oom && i < x->n_rows; i++) {
        bsub *sc = sub_new(&t);
        if (sc == NULL) {
            break;
        }
        sc->n = 1;
        memcpy(sc->ls, CRM_ROW(x, i), (size_t)dim * sizeof(double));
        memcpy(sc->c, sc->ls, (size_t)dim * sizeof(double));
        sc->ss = sc->sqn = dot(sc->ls, sc->ls, dim);
        t.kept = 0;
        if (insert(&t, root, sc) && !t.oom) {
            bsub *s1;
            bsub *s2;
            bnode *nr = node_new(&t, 0);
            if (nr != NULL && split_node(&t, root, &s1, &s2)) {
                nr->sub[nr->n++] = s1;
                nr->sub[nr->n++] = s2;
                root = nr;
            } else {
                node_free(nr);
            }
        }
        if (!t.kept) {
            crm_free(sc);
        }
        if ((i & 8191) == 8191 &&
            !crm_progress_report(progress, "birch: CF tree", 0.8 * (double)i / (double)x->n_rows)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
            break;
        }
    }
    if (rc == CRM_OK && t.oom) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        b = crm_calloc(1, sizeof *b);
        rc = b == NULL ? crm__error_nomem(err) : CRM_OK;
    }
    if (rc == CRM_OK) {
        int32_t n_sub = 0;
        for (bnode *l = dummy.next; l != NULL; l = l->next) {
            n_sub += l->n;
        }
        b->p = *p;
        b->dim = dim;
        b->n_sub = n_sub;
        b->n_rows = x->n_rows;
        b->centers = crm_mallocarray((size_t)n_sub * (size_t)dim, sizeof *b->centers);
        b->sub_label = crm_mallocarray((size_t)n_sub, sizeof *b->sub_label);
        b->labels = crm_mallocarray((size_t)x->n_rows, sizeof *b->labels);
        if (b->centers == NULL || b->sub_label == NULL || b->labels == NULL) {
            rc = crm__error_nomem(err);
        } else {
            int32_t j = 0;
            for (bnode *l = dummy.next; l != NULL; l = l->next) {
                for (int32_t i = 0; i < l->n; i++, j++) {
                    memcpy(b->centers + (size_t)j * (size_t)dim, l->sub[i]->c,
                           (size_t)dim * sizeof(double));
                }
            }
        }
    }
    node_free(root);
    crm_free(t.tmp);
    if (rc == CRM_OK) {
        rc = global_step(b, err);
    }
    if (rc == CRM_OK) {
        rc = crm__kdtree_build(b->centers, b->n_sub, dim, &b->tree, err);
    }
    if (rc == CRM_OK) {
        rc = crm_birch_assign(b, x, b->labels, NULL, err);
    }
    if (rc != CRM_OK) {
        crm_birch_free(b);
        return rc;
    }
    (void)crm_progress_report(progress, "birch", 1.0);
    *out = b;
    return CRM_OK;
}

crm_status crm_birch_assign(const crm_birch *b,
                            const crm_matrix *x,
                            int32_t *labels,
                            double *dist,
                            crm_error *err)
{
    /* every subcluster has a label and the tree is never empty: each row gets one */
    const crm__kd_assign a = { .who = "birch",
                               .tree = b->tree,
                               .dim = b->dim,
                               .r2 = HUGE_VAL,
                               .label = b->sub_label,
                               .nt = crm__cluster_threads(b->p.n_threads) };
    return crm__kdtree_assign(&a, x, labels, dist, err);
}

int32_t crm_birch_k(const crm_birch *b)
{
    return b->k;
}

int32_t crm_birch_dim(const crm_birch *b)
{
    return b->dim;
}

crm_birch_params crm_birch_params_used(const crm_birch *b)
{
    return b->p;
}

int32_t crm_birch_n_subclusters(const crm_birch *b)
{
    return b->n_sub;
}

const double *crm_birch_subclusters(const crm_birch *b)
{
    return b->centers;
}

const int32_t *crm_birch_subcluster_labels(const crm_birch *b)
{
    return b->sub_label;
}

const int32_t *crm_birch_labels(const crm_birch *b)
{
    return b->labels;
}

/* Section layout: u32 version (1), f64 threshold, i32 branching, i32 k asked, i32 kmin,
 * i32 kmax, i32 dim, i32 k, i64 n_rows, i32 n_sub, f64s centers[n_sub * dim],
 * i32s sub_label[n_sub]. Save and load share the lists below. */
#define BIRCH_HEAD(b, version)                                                                     \
    CRM_FIELD(version), CRM_FIELD(&(b)->p.threshold), CRM_FIELD(&(b)->p.branching),                \
        CRM_FIELD(&(b)->p.k), CRM_FIELD(&(b)->p.kmin), CRM_FIELD(&(b)->p.kmax),                    \
        CRM_FIELD(&(b)->dim), CRM_FIELD(&(b)->k), CRM_FIELD(&(b)->n_rows), CRM_FIELD(&(b)->n_sub)
#define BIRCH_BODY(b)                                                                              \
    CRM_FIELDS((b)->centers, (int64_t)(b)->n_sub * b->dim), CRM_FIELDS((b)->sub_label, (b)->n_sub)

crm_status crm_birch_save(const crm_birch *b, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = BIRCH_VERSION;
    const crm_field f[] = { BIRCH_HEAD(b, &version), BIRCH_BODY(b) };
    crm_status rc = crm_model_begin(w, BIRCH_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_birch_load(const crm_model_reader *r, crm_birch **out, crm_error *err)
{
    crm_section s;
    crm_birch *b;
    uint32_t version = 0;
    crm_status rc = crm_model_section(r, BIRCH_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    b = crm_calloc(1, sizeof *b);
    if (b == NULL) {
        return crm__error_nomem(err);
    }
    b->p = crm_birch_params_default();
    {
        const crm_field head[] = { BIRCH_HEAD(b, &version) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    if (s.failed || version != BIRCH_VERSION || crm_birch_params_check(&b->p, NULL) != CRM_OK ||
        b->dim < 1 || b->k < 1 || b->n_sub < b->k || b->n_rows < b->n_sub ||
        (uint64_t)b->n_sub * ((uint64_t)b->dim * 8u + 4u) != (uint64_t)(s.len - s.pos)) {
        crm_birch_free(b);
        return crm_model_malformed(r, BIRCH_SECTION, err);
    }
    b->centers = crm_mallocarray((size_t)b->n_sub * (size_t)b->dim, sizeof *b->centers);
    b->sub_label = crm_mallocarray((size_t)b->n_sub, sizeof *b->sub_label);
    if (b->centers == NULL || b->sub_label == NULL) {
        crm_birch_free(b);
        return crm__error_nomem(err);
    }
    {
        const crm_field body[] = { BIRCH_BODY(b) };
        (void)crm_section_get_fields(&s, body, CRM_N_FIELDS(body));
    }
    rc = !s.failed && crm__points_ok(b->centers, b->sub_label, b->n_sub, b->dim, b->k)
             ? crm_section_finish(&s, r, err)
             : crm_model_malformed(r, BIRCH_SECTION, err);

    if (rc == CRM_OK) {
        rc = crm__kdtree_build(b->centers, b->n_sub, b->dim, &b->tree, err);
    }
    if (rc != CRM_OK) {
        crm_birch_free(b);
        return rc;
    }
    *out = b;
    return CRM_OK;
}
