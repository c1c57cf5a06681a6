/* c45.c: the C4.5 algorithm behind the classifier vtable: fit (grow, collapse, prune,
 * flatten), prediction, model sections and the tree printed as rules.
 *
 * The fitted tree is flat: nodes in breadth-first order, children of a node contiguous and
 * after it, so loading can check every index cheaply and prediction walks arrays. A leaf
 * holds its class distribution; an empty leaf (no training rows reached it) holds its
 * parent's, as C4.5 predicts. A row with a missing (or unseen) value at a split goes down
 * every branch, weighted by the training weight of each branch, and the leaf distributions
 * are summed (Quinlan 1993, ch. 3). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "c45_internal.h"
#include "core/core_internal.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

crm_status crm__c45_grow(c45_tree *t,
                         const double *w,
                         int n_threads,
                         const crm_progress *progress,
                         crm_error *err);

typedef struct c45_model {
    int32_t k;
    int32_t d;
    int32_t n_nodes;
    int32_t n_bagw;
    int32_t *attr;     /* [n_nodes]: -1 leaf */
    int32_t *child;    /* [n_nodes]: first child */
    int32_t *n_child;  /* [n_nodes] */
    int32_t *bag_off;  /* [n_nodes]: offset into bagw */
    int32_t *n_levels; /* [d] */
    double *thr;       /* [n_nodes] */
    double *weight;    /* [n_nodes]: training weight reaching the node */
    double *errors;    /* [n_nodes]: training weight not of the majority class */
    double *prob;      /* [n_nodes * k] */
    double *bagw;      /* [n_bagw]: branch shares (sum to 1 per split) */
} c45_model;

static void model_free(void *pm)
{
    c45_model *m = pm;
    if (m == NULL) {
        return;
    }
    crm_free(m->thr);
    crm_free(m);
}

/* Every array of m in one block that thr heads: the doubles (thr, weight, errors, prob, bagw),
 * then the int32s (attr, child, n_child, bag_off, n_levels). */
static crm_status model_alloc(c45_model *m)
{
    size_t n = (size_t)(m->n_nodes > 0 ? m->n_nodes : 1);
    size_t n_dbl = n * (3 + (size_t)m->k) + (size_t)(m->n_bagw > 0 ? m->n_bagw : 1);
    size_t n_i32 = n * 4 + (size_t)(m->d > 0 ? m->d : 1);
    m->thr = crm_malloc(n_dbl * sizeof(double) + n_i32 * sizeof(int32_t));
    if (m->thr == NULL) {
        return CRM_ENOMEM;
    }
    m->weight = m->thr + n;
    m->errors = m->weight + n;
    m->prob = m->errors + n;
    m->bagw = m->prob + n * (size_t)m->k;
    m->attr = (int32_t *)(void *)(m->thr + n_dbl);
    m->child = m->attr + n;
    m->n_child = m->child + n;
    m->bag_off = m->n_child + n;
    m->n_levels = m->bag_off + n;
    return CRM_OK;
}

/* Node ni's class distribution as probabilities into out[k]; returns its total weight. */
static double normalise(const c45_tree *t, int64_t dist_off, double *out, double *errors)
{
    double total = 0.0;
    double top = 0.0;
    for (int32_t c = 0; c < t->k; c++) {
        total += t->dbl[dist_off + c];
        top = t->dbl[dist_off + c] > top ? t->dbl[dist_off + c] : top;
    }
    for (int32_t c = 0; c < t->k; c++) {
        out[c] = total > 0.0 ? t->dbl[dist_off + c] / total : 0.0;
    }
    *errors = total - top;
    return total;
}

/* Breadth-first copy of the (pruned) tree into m. */
static crm_status flatten(const c45_tree *t, c45_model *m)
{
    int64_t n_nodes = 0;
    int64_t n_leaves = 0;
    int64_t *queue;
    int64_t head = 0;
    int64_t tail = 0;
    int32_t n_bag = 0;
    crm__c45_count(t, 0, &n_leaves, &n_nodes);
    if (n_nodes > INT32_MAX / 2) {
        return CRM_ELIMIT;
    }
    m->n_nodes = (int32_t)n_nodes;
    m->n_bagw = (int32_t)(n_nodes - 1);
    queue = crm_mallocarray((size_t)n_nodes, sizeof *queue);
    if (queue == NULL || model_alloc(m) != CRM_OK) {
        crm_free(queue);
        return CRM_ENOMEM;
    }
    memcpy(m->n_levels, t->n_levels, sizeof(int32_t) * (size_t)t->d);
    queue[tail++] = 0;
    while (head < tail) {
        int32_t i = (int32_t)head;
        const c45_node *nd = &t->nodes[queue[head++]];
        m->weight[i] = normalise(t, nd->dist, m->prob + (int64_t)i * m->k, &m->errors[i]);
        if (t->p.laplace && m->weight[i] > 0.0) {
            double *pr = m->prob + (int64_t)i * m->k;
            for (int32_t c = 0; c < m->k; c++) {
                pr[c] = (pr[c] * m->weight[i] + 1.0) / (m->weight[i] + (double)m->k);
            }
        }
        m->attr[i] = nd->attr;
        m->thr[i] = nd->attr >= 0 ? nd->thr : 0.0;
        m->n_child[i] = nd->attr >= 0 ? nd->n_child : 0;
        m->child[i] = nd->attr >= 0 ? (int32_t)tail : -1;
        m->bag_off[i] = n_bag;
        if (nd->attr < 0) {
            continue;
        }
        {
            double sum = 0.0;
            for (int32_t b = 0; b < nd->n_child; b++) {
                sum += t->dbl[nd->bag + b];
            }
            for (int32_t b = 0; b < nd->n_child; b++) {
                m->bagw[n_bag + b] = sum > 0.0 ? t->dbl[nd->bag + b] / sum : 0.0;
                queue[tail++] = nd->child + b;
            }
            n_bag += nd->n_child;
        }
    }
    /* Empty leaves predict their parent's distribution. */
    for (int32_t i = 0; i < m->n_nodes; i++) {
        for (int32_t b = 0; m->attr[i] >= 0 && b < m->n_child[i]; b++) {
            int32_t c = m->child[i] + b;
            if (m->attr[c] < 0 && m->weight[c] < C45_SMALL) {
                memcpy(m->prob + (int64_t)c * m->k, m->prob + (int64_t)i * m->k,
                       sizeof(double) * (size_t)m->k);
            }
        }
    }
    crm_free(queue);
    return CRM_OK;
}

static crm_status c45_fit(const crm__clf_data *train,
                          const crm_classifier_params *p,
                          crm_rng *rng,
                          const crm_progress *progress,
                          void **out,
                          crm_error *err)
{
    c45_tree t;
    c45_model *m = NULL;
    c45_items root;
    crm_status rc;
    (void)rng;
    *out = NULL;
    memset(&t, 0, sizeof t);
    memset(&root, 0, sizeof root);
    if (train->raw == NULL || train->raw->n_rows > INT32_MAX) {
        return crm__error_set(err, CRM_EINVAL, "C4.5 needs the raw matrix (at most 2^31 rows)");
    }
    t.x = train->raw;
    t.y = train->y;
    t.k = train->schema->n_classes;
    t.d = (int32_t)train->raw->n_cols;
    t.n_levels = train->schema->raw_n_levels;
    t.p = p->c45;
    rc = crm__c45_grow(&t, train->w, crm__n_threads(p->n_threads), progress, err);
    if (rc != CRM_OK) {
        goto done;
    }
    root.n = train->n_rows;
    root.row = crm_mallocarray((size_t)(root.n > 0 ? root.n : 1), sizeof *root.row);
    root.w = crm_mallocarray((size_t)(root.n > 0 ? root.n : 1), sizeof *root.w);
    m = crm_calloc(1, sizeof *m);
    if (root.row == NULL || root.w == NULL || m == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < root.n; i++) {
        root.row[i] = (int32_t)i;
        root.w[i] = train->w != NULL ? train->w[i] : 1.0;
    }
    rc = crm__c45_prune(&t, &root, err);
    if (rc != CRM_OK) {
        goto done;
    }
    m->k = t.k;
    m->d = t.d;
    rc = flatten(&t, m);
    if (rc != CRM_OK) {
        rc = rc == CRM_ENOMEM ? crm__error_nomem(err)
                              : crm__error_set(err, rc, "C4.5 tree too large");
        goto done;
    }
    *out = m;
    m = NULL;
done:
    crm__c45_items_free(&root, 1);
    crm_free(t.nodes);
    crm_free(t.dbl);
    model_free(m);
    return rc;
}

static void predict_row(const c45_model *m, const double *x, double w, int32_t node, double *out)
{
    for (;;) {
        int32_t a = m->attr[node];
        double v;
        int32_t b = -1;
        if (a < 0) {
            const double *p = m->prob + (int64_t)node * m->k;
            for (int32_t c = 0; c < m->k; c++) {
                out[c] += w * p[c];
            }
            return;
        }
        v = x[a];
        if (!isnan(v)) {
            if (m->n_levels[a] == 0) {
                b = v <= m->thr[node] ? 0 : 1;
            } else if (v >= 0.0 && v < (double)m->n_child[node]) {
                b = (int32_t)v;
            }
        }
        if (b >= 0) {
            node = m->child[node] + b;
            continue;
        }
        for (int32_t c = 0; c < m->n_child[node]; c++) {
            double share = m->bagw[m->bag_off[node] + c];
            if (share > 0.0) {
                predict_row(m, x, w * share, m->child[node] + c, out);
            }
        }
        return;
    }
}

static crm_status c45_predict(const void *pm, const crm__clf_data *x, double *proba, crm_error *err)
{
    const c45_model *m = pm;
    const crm_matrix *raw = x->raw;
    const int64_t n = x->n_rows;
    const int64_t n_blocks = crm__n_blocks(n);
    if (raw == NULL || raw->n_cols != m->d) {
        return crm__error_set(err, CRM_EINTERNAL, "C4.5 predict: raw matrix missing or wrong");
    }
#pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < n_blocks; blk++) {
        int64_t end = (blk + 1) * CRM_BLOCK_ROWS < n ? (blk + 1) * CRM_BLOCK_ROWS : n;
        for (int64_t i = blk * CRM_BLOCK_ROWS; i < end; i++) {
            double *out = proba + i * m->k;
            double s = 0.0;
            for (int32_t c = 0; c < m->k; c++) {
                out[c] = 0.0;
            }
            predict_row(m, CRM_ROW(raw, i), 1.0, 0, out);
            for (int32_t c = 0; c < m->k; c++) {
                s += out[c];
            }
            for (int32_t c = 0; s > 0.0 && c < m->k; c++) {
                out[c] /= s;
            }
        }
    }
    return CRM_OK;
}

static crm_status c45_save(const void *pm, crm_model_writer *w, const char *tag, crm_error *err)
{
    const c45_model *m = pm;
    size_t n = (size_t)m->n_nodes;
    crm_status rc = crm_model_begin(w, tag, err);
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, m->k, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, m->d, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, m->n_nodes, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32(w, m->n_bagw, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, m->n_levels, (size_t)m->d, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, m->attr, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, m->child, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, m->n_child, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_i32s(w, m->bag_off, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, m->thr, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, m->weight, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, m->errors, n, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, m->prob, n * (size_t)m->k, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_put_f64s(w, m->bagw, (size_t)m->n_bagw, err);
    }
    return rc;
}

/* Every index in range and children after their parent (so no cycle). */
static int model_valid(const c45_model *m, const crm__clf_schema *schema)
{
    if (m->d != schema->n_raw || m->k != schema->n_classes) {
        return 0;
    }
    for (int32_t a = 0; a < m->d; a++) {
        if (m->n_levels[a] != schema->raw_n_levels[a]) {
            return 0;
        }
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        int32_t a = m->attr[i];
        if (a < -1 || a >= m->d) {
            return 0;
        }
        if (a < 0) {
            continue;
        }
        if (m->n_child[i] != (m->n_levels[a] > 0 ? m->n_levels[a] : 2) || m->child[i] <= i ||
            m->child[i] > m->n_nodes - m->n_child[i] || m->bag_off[i] < 0 ||
            m->bag_off[i] > m->n_bagw - m->n_child[i]) {
            return 0;
        }
    }
    return 1;
}

static crm_status c45_load(const crm_model_reader *r,
                           const char *tag,
                           const crm__clf_schema *schema,
                           void **out,
                           crm_error *err)
{
    crm_section s;
    c45_model *m = NULL;
    crm_status rc = crm_model_section(r, tag, &s, err);
    size_t n;
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    m = crm_calloc(1, sizeof *m);
    if (m == NULL) {
        return crm__error_nomem(err);
    }
    (void)crm_section_get_i32(&s, &m->k);
    (void)crm_section_get_i32(&s, &m->d);
    (void)crm_section_get_i32(&s, &m->n_nodes);
    (void)crm_section_get_i32(&s, &m->n_bagw);
    if (s.failed || m->k < 2 || m->k > 1 << 20 || m->d < 1 || m->d > 1 << 20 || m->n_nodes < 1 ||
        (size_t)m->n_nodes > s.len / 8 || m->n_bagw < 0 || (size_t)m->n_bagw > s.len / 8) {
        rc = crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                           "C4.5 section: bad sizes");
        goto fail;
    }
    if (model_alloc(m) != CRM_OK) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    n = (size_t)m->n_nodes;
    (void)crm_section_get_i32s(&s, m->n_levels, (size_t)m->d);
    (void)crm_section_get_i32s(&s, m->attr, n);
    (void)crm_section_get_i32s(&s, m->child, n);
    (void)crm_section_get_i32s(&s, m->n_child, n);
    (void)crm_section_get_i32s(&s, m->bag_off, n);
    (void)crm_section_get_f64s(&s, m->thr, n);
    (void)crm_section_get_f64s(&s, m->weight, n);
    (void)crm_section_get_f64s(&s, m->errors, n);
    (void)crm_section_get_f64s(&s, m->prob, n * (size_t)m->k);
    (void)crm_section_get_f64s(&s, m->bagw, (size_t)m->n_bagw);
    rc = crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        goto fail;
    }
    if (!model_valid(m, schema)) {
        rc = crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                           "C4.5 section: tree does not match the model's features");
        goto fail;
    }
    *out = m;
    return CRM_OK;
fail:
    model_free(m);
    return rc;
}

/* ---- the tree as text, in J48's layout ---- */

typedef struct describe_ctx {
    const c45_model *m;
    const crm__clf_schema *schema;
    void (*line_fn)(void *ud, const char *line);
    void *ud;
    char buf[1024];
} describe_ctx;

static void fmt_weight(double v, char *out, size_t size)
{
    snprintf(out, size, "%.2f", v);
    /* 12.50 -> 12.5, 12.00 -> 12.0, as J48 prints */
    {
        size_t len = strlen(out);
        while (len > 2 && out[len - 1] == '0' && out[len - 2] != '.') {
            out[--len] = '\0';
        }
    }
}

static void leaf_text(const describe_ctx *dc, int32_t i, char *out, size_t size)
{
    const double *p = dc->m->prob + (int64_t)i * dc->m->k;
    char w[32];
    char e[32];
    int32_t best = crm__clf_argmax(p, dc->m->k);
    fmt_weight(dc->m->weight[i], w, sizeof w);
    fmt_weight(dc->m->errors[i], e, sizeof e);
    if (dc->m->errors[i] > 0.0) {
        snprintf(out, size, "%s (%s/%s)", dc->schema->class_names[best], w, e);
    } else {
        snprintf(out, size, "%s (%s)", dc->schema->class_names[best], w);
    }
}

static void describe_node(describe_ctx *dc, int32_t i, int32_t depth)
{
    const c45_model *m = dc->m;
    const int32_t a = m->attr[i];
    for (int32_t b = 0; b < m->n_child[i]; b++) {
        int32_t c = m->child[i] + b;
        char cond[512];
        char leaf[256];
        size_t at = 0;
        dc->buf[0] = '\0';
        for (int32_t l = 0; l < depth && at + 5 < sizeof dc->buf; l++) {
            memcpy(dc->buf + at, "|   ", 4);
            at += 4;
        }
        dc->buf[at] = '\0';
        if (m->n_levels[a] == 0) {
            snprintf(cond, sizeof cond, "%s %s %.17g", dc->schema->raw_names[a],
                     b == 0 ? "<=" : ">", m->thr[i]);
        } else {
            snprintf(cond, sizeof cond, "%s = %s", dc->schema->raw_names[a],
                     dc->schema->raw_levels[a][b]);
        }
        if (m->attr[c] < 0) {
            leaf_text(dc, c, leaf, sizeof leaf);
            snprintf(dc->buf + at, sizeof dc->buf - at, "%s: %s", cond, leaf);
            dc->line_fn(dc->ud, dc->buf);
        } else {
            snprintf(dc->buf + at, sizeof dc->buf - at, "%s", cond);
            dc->line_fn(dc->ud, dc->buf);
            describe_node(dc, c, depth + 1);
        }
    }
}

static crm_status c45_describe(const void *pm,
                               const crm__clf_schema *schema,
                               void (*line_fn)(void *ud, const char *line),
                               void *ud,
                               crm_error *err)
{
    const c45_model *m = pm;
    describe_ctx dc;
    int32_t n_leaves = 0;
    (void)err;
    dc.m = m;
    dc.schema = schema;
    dc.line_fn = line_fn;
    dc.ud = ud;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        n_leaves += m->attr[i] < 0;
    }
    line_fn(ud, "C4.5 tree (J48 layout: class (rows/errors) at each leaf)");
    line_fn(ud, "");
    if (m->attr[0] < 0) {
        char leaf[256];
        leaf_text(&dc, 0, leaf, sizeof leaf);
        snprintf(dc.buf, sizeof dc.buf, ": %s", leaf);
        line_fn(ud, dc.buf);
    } else {
        describe_node(&dc, 0, 0);
    }
    line_fn(ud, "");
    snprintf(dc.buf, sizeof dc.buf, "Number of leaves: %d", n_leaves);
    line_fn(ud, dc.buf);
    snprintf(dc.buf, sizeof dc.buf, "Size of the tree: %d", m->n_nodes);
    line_fn(ud, dc.buf);
    return CRM_OK;
}

/* Leaves and nodes of a fitted C4.5 model (for tests and benchmarks). */
void crm__c45_size(const void *pm, int32_t *n_leaves, int32_t *n_nodes);

void crm__c45_size(const void *pm, int32_t *n_leaves, int32_t *n_nodes)
{
    const c45_model *m = pm;
    *n_leaves = 0;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        *n_leaves += m->attr[i] < 0;
    }
    *n_nodes = m->n_nodes;
}

static crm_clf_importance c45_importance(const void *pm, double *out, int32_t n)
{
    const c45_model *m = pm;
    if (out == NULL || n != m->d) {
        return CRM_CLF_IMPORTANCE_ERRORS;
    }
    for (int32_t f = 0; f < n; f++) {
        out[f] = 0;
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        double kids = 0;
        if (m->attr[i] < 0 || m->attr[i] >= n) {
            continue;
        }
        for (int32_t c = 0; c < m->n_child[i]; c++) {
            kids += m->errors[m->child[i] + c];
        }
        out[m->attr[i]] += m->errors[i] - kids;
    }
    return CRM_CLF_IMPORTANCE_ERRORS;
}

const crm__clf_algo crm__clf_c45 = {
    .name = "c45",
    .needs = CRM__CLF_NEEDS_RAW,
    .rowwise = 1,
    .fit = c45_fit,
    .predict_proba = c45_predict,
    .save = c45_save,
    .load = c45_load,
    .free = model_free,
    .describe = c45_describe,
    .importance = c45_importance,
};
