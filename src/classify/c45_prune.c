/* c45_prune.c: C4.5's pessimistic-error pruning, as Weka's J48 does it (collapse, then
 * subtree replacement and subtree raising).
 *
 * The estimated errors of a leaf holding N (weighted) rows with E errors are E plus the
 * upper confidence limit correction U_CF(E, N) of the binomial (normal approximation with
 * continuity correction, and C4.5's interpolations for E < 1 and E > N - 0.5). A subtree is
 * replaced by a leaf when the leaf's estimate is no worse (within 0.1) than the subtree's and
 * than its largest branch's; otherwise it is replaced by its largest branch (raising) when
 * that branch, fed all the node's rows, is no worse than the subtree. The rows of a node are
 * not stored: they are routed down from the root again, as the tree was grown. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "c45_internal.h"
#include "core/core_internal.h"

/* z with P(Z <= z) = p, by Newton steps on erfc (accurate to the last bits for p in
 * (0, 1)). */
static double normal_inverse(double p)
{
    double z = 0.0;
    for (int i = 0; i < 60; i++) {
        double cdf = 0.5 * erfc(-z / sqrt(2.0));
        double pdf = exp(-0.5 * z * z) / sqrt(2.0 * 3.14159265358979323846);
        double step = (cdf - p) / pdf;
        z -= step;
        if (fabs(step) < 1e-15 * (1.0 + fabs(z))) {
            break;
        }
    }
    return z;
}

/* Weka's Stats.addErrs(N, e, CF). */
static double add_errs(double n, double e, double cf, double z)
{
    if (e < 1.0) {
        double base = n * (1.0 - pow(cf, 1.0 / n));
        if (e == 0.0) {
            return base;
        }
        return base + e * (add_errs(n, 1.0, cf, z) - base);
    }
    if (e + 0.5 >= n) {
        return n - e > 0.0 ? n - e : 0.0;
    }
    {
        double f = (e + 0.5) / n;
        double r =
            (f + (z * z) / (2.0 * n) + z * sqrt((f / n) - (f * f / n) + (z * z / (4.0 * n * n)))) /
            (1.0 + (z * z) / n);
        return (r * n) - e;
    }
}

typedef struct prune_ctx {
    c45_tree *t;
    double cf;
    double z;
} prune_ctx;

static double dist_total(const c45_tree *t, int64_t off, double *incorrect)
{
    double total = 0.0;
    double top = 0.0;
    for (int32_t c = 0; c < t->k; c++) {
        total += t->dbl[off + c];
        top = t->dbl[off + c] > top ? t->dbl[off + c] : top;
    }
    *incorrect = total - top;
    return total;
}

static double est_errors_dist(const prune_ctx *pc, const double *dist)
{
    double total = 0.0;
    double top = 0.0;
    for (int32_t c = 0; c < pc->t->k; c++) {
        total += dist[c];
        top = dist[c] > top ? dist[c] : top;
    }
    if (fabs(total) < C45_SMALL) {
        return 0.0;
    }
    return (total - top) + add_errs(total, total - top, pc->cf, pc->z);
}

static double est_errors_tree(const prune_ctx *pc, int64_t ni)
{
    const c45_node *nd = &pc->t->nodes[ni];
    double sum = 0.0;
    if (nd->attr < 0) {
        return est_errors_dist(pc, pc->t->dbl + nd->dist);
    }
    for (int32_t c = 0; c < nd->n_child; c++) {
        sum += est_errors_tree(pc, nd->child + c);
    }
    return sum;
}

static double training_errors(const c45_tree *t, int64_t ni)
{
    const c45_node *nd = &t->nodes[ni];
    double sum = 0.0;
    double inc;
    if (nd->attr < 0) {
        (void)dist_total(t, nd->dist, &inc);
        return inc;
    }
    for (int32_t c = 0; c < nd->n_child; c++) {
        sum += training_errors(t, nd->child + c);
    }
    return sum;
}

static void make_leaf(c45_tree *t, int64_t ni)
{
    t->nodes[ni].attr = -1;
    t->nodes[ni].n_child = 0;
    t->nodes[ni].child = -1;
    t->nodes[ni].bag = -1;
}

/* Weka's collapse(): a subtree that does not reduce training errors becomes a leaf. */
static void collapse(c45_tree *t, int64_t ni)
{
    const c45_node *nd = &t->nodes[ni];
    double inc;
    if (nd->attr < 0) {
        return;
    }
    (void)dist_total(t, nd->dist, &inc);
    if (training_errors(t, ni) >= inc - 1e-3) {
        make_leaf(t, ni);
        return;
    }
    for (int32_t c = 0; c < nd->n_child; c++) {
        collapse(t, t->nodes[ni].child + c);
    }
}

crm_status
crm__c45_split_items(c45_tree *t, int64_t ni, const c45_items *in, int reset, c45_items *out)
{
    const c45_node nd = t->nodes[ni];
    const int32_t nb = nd.n_child;
    const int32_t a = nd.attr;
    const int32_t k = t->k;
    double *prob = crm_calloc((size_t)nb + (size_t)k, sizeof *prob);
    int64_t *count = crm_calloc((size_t)nb, sizeof *count);
    int32_t *dest = crm_mallocarray((size_t)(in->n > 0 ? in->n : 1), sizeof *dest);
    double *cls = NULL;
    double known = 0.0;
    double total = 0.0;
    int64_t n_shared = 0;
    crm_status rc = CRM_ENOMEM;
    memset(out, 0, sizeof *out * (size_t)nb);
    if (prob == NULL || count == NULL || dest == NULL) {
        goto done;
    }
    cls = prob + nb;
    for (int64_t i = 0; i < in->n; i++) {
        double v = t->x->data[(int64_t)in->row[i] * t->x->ld + a];
        int32_t b = -1;
        if (!isnan(v)) {
            if (t->n_levels[a] == 0) {
                b = v <= nd.thr ? 0 : 1;
            } else if (v >= 0.0 && v < (double)t->n_levels[a]) {
                b = (int32_t)v;
            }
        }
        dest[i] = b;
        total += in->w[i];
        cls[t->y[in->row[i]]] += in->w[i];
        if (b >= 0) {
            prob[b] += in->w[i];
            known += in->w[i];
            count[b]++;
        } else {
            n_shared++;
        }
    }
    for (int32_t b = 0; b < nb; b++) {
        prob[b] = known > 0.0 ? prob[b] / known : 1.0 / nb;
        if (prob[b] > 0.0) {
            count[b] += n_shared;
        }
    }
    for (int32_t b = 0; b < nb; b++) {
        out[b].row = crm_mallocarray((size_t)(count[b] > 0 ? count[b] : 1), sizeof(int32_t));
        out[b].w = crm_mallocarray((size_t)(count[b] > 0 ? count[b] : 1), sizeof(double));
        if (out[b].row == NULL || out[b].w == NULL) {
            crm__c45_items_free(out, nb);
            memset(out, 0, sizeof *out * (size_t)nb);
            goto done;
        }
    }
    for (int64_t i = 0; i < in->n; i++) {
        int32_t b = dest[i];
        if (b >= 0) {
            out[b].row[out[b].n] = in->row[i];
            out[b].w[out[b].n++] = in->w[i];
            continue;
        }
        for (int32_t c = 0; c < nb; c++) {
            if (prob[c] > 0.0) {
                out[c].row[out[c].n] = in->row[i];
                out[c].w[out[c].n++] = in->w[i] * prob[c];
            }
        }
    }
    if (reset) {
        for (int32_t c = 0; c < k; c++) {
            t->dbl[nd.dist + c] = cls[c];
        }
        for (int32_t b = 0; b < nb; b++) {
            t->dbl[nd.bag + b] = prob[b] * total;
        }
    }
    rc = CRM_OK;
done:
    crm_free(prob);
    crm_free(count);
    crm_free(dest);
    return rc;
}

/* The rows in of node ni split among its branches (crm__c45_split_items with reset), one
 * item set per child, for free_kids; NULL with *rc CRM_ENOMEM when out of memory. */
static c45_items *
split_kids(c45_tree *t, int64_t ni, const c45_items *in, int reset, crm_status *rc)
{
    c45_items *kids = crm_calloc((size_t)t->nodes[ni].n_child, sizeof *kids);
    *rc = kids == NULL ? CRM_ENOMEM : crm__c45_split_items(t, ni, in, reset, kids);
    return kids;
}

static void free_kids(c45_items *kids, int32_t n_child)
{
    if (kids != NULL) {
        crm__c45_items_free(kids, n_child);
        crm_free(kids);
    }
}

static crm_status est_errors_branch(prune_ctx *pc, int64_t ni, const c45_items *in, double *out)
{
    c45_tree *t = pc->t;
    const c45_node nd = t->nodes[ni];
    c45_items *kids;
    crm_status rc;
    *out = 0.0;
    if (nd.attr < 0) {
        double *dist = crm_calloc((size_t)t->k, sizeof *dist);
        if (dist == NULL) {
            return CRM_ENOMEM;
        }
        for (int64_t i = 0; i < in->n; i++) {
            dist[t->y[in->row[i]]] += in->w[i];
        }
        *out = est_errors_dist(pc, dist);
        crm_free(dist);
        return CRM_OK;
    }
    kids = split_kids(t, ni, in, 0, &rc);
    for (int32_t c = 0; c < nd.n_child && rc == CRM_OK; c++) {
        double e;
        rc = est_errors_branch(pc, nd.child + c, &kids[c], &e);
        *out += e;
    }
    free_kids(kids, nd.n_child);
    return rc;
}

/* Weka's newDistribution(): class and branch weights of the subtree from new rows. */
static crm_status new_distribution(c45_tree *t, int64_t ni, const c45_items *in)
{
    const c45_node nd = t->nodes[ni];
    c45_items *kids;
    crm_status rc;
    if (nd.attr < 0) {
        memset(t->dbl + nd.dist, 0, sizeof(double) * (size_t)t->k);
        for (int64_t i = 0; i < in->n; i++) {
            t->dbl[nd.dist + t->y[in->row[i]]] += in->w[i];
        }
        return CRM_OK;
    }
    kids = split_kids(t, ni, in, 1, &rc);
    for (int32_t c = 0; c < nd.n_child && rc == CRM_OK; c++) {
        rc = new_distribution(t, nd.child + c, &kids[c]);
    }
    free_kids(kids, nd.n_child);
    return rc;
}

static int32_t largest_branch(const c45_tree *t, int64_t ni)
{
    const c45_node *nd = &t->nodes[ni];
    double best = 0.0;
    int32_t idx = 0;
    for (int32_t b = 0; b < nd->n_child; b++) {
        if (t->dbl[nd->bag + b] - best > C45_SMALL) {
            best = t->dbl[nd->bag + b];
            idx = b;
        }
    }
    return idx;
}

static crm_status prune_node(prune_ctx *pc, int64_t ni, const c45_items *in)
{
    c45_tree *t = pc->t;
    c45_node nd = t->nodes[ni];
    c45_items *kids;
    double err_largest = DBL_MAX;
    double err_leaf;
    double err_tree;
    int32_t big;
    crm_status rc;
    if (nd.attr < 0) {
        return CRM_OK;
    }
    kids = split_kids(t, ni, in, 0, &rc);
    for (int32_t c = 0; c < nd.n_child && rc == CRM_OK; c++) {
        rc = prune_node(pc, nd.child + c, &kids[c]);
    }
    free_kids(kids, nd.n_child);
    if (rc != CRM_OK) {
        return rc;
    }
    big = largest_branch(t, ni);
    if (t->p.subtree_raising) {
        rc = est_errors_branch(pc, nd.child + big, in, &err_largest);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    err_leaf = est_errors_dist(pc, t->dbl + nd.dist);
    err_tree = est_errors_tree(pc, ni);
    if (err_leaf - (err_tree + 0.1) < C45_SMALL && err_leaf - (err_largest + 0.1) < C45_SMALL) {
        make_leaf(t, ni);
        return CRM_OK;
    }
    if (err_largest - (err_tree + 0.1) < C45_SMALL) {
        const c45_node raised = t->nodes[nd.child + big];
        t->nodes[ni].attr = raised.attr;
        t->nodes[ni].n_child = raised.n_child;
        t->nodes[ni].child = raised.child;
        t->nodes[ni].thr = raised.thr;
        t->nodes[ni].bag = raised.bag;
        /* The raised node keeps its own weight arrays; ni keeps its class weights. */
        rc = new_distribution(t, ni, in);
        if (rc == CRM_OK) {
            rc = prune_node(pc, ni, in);
        }
    }
    return rc;
}

crm_status crm__c45_prune(c45_tree *t, const c45_items *root, crm_error *err)
{
    prune_ctx pc;
    crm_status rc = CRM_OK;
    pc.t = t;
    pc.cf = (double)(float)t->p.confidence; /* Weka keeps the factor as a float */
    pc.z = normal_inverse(1.0 - pc.cf);
    collapse(t, 0);
    if (t->p.prune) {
        rc = prune_node(&pc, 0, root);
    }
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    return rc;
}

void crm__c45_count(const c45_tree *t, int64_t ni, int64_t *n_leaves, int64_t *n_nodes)
{
    const c45_node *nd = &t->nodes[ni];
    (*n_nodes)++;
    if (nd->attr < 0) {
        (*n_leaves)++;
        return;
    }
    for (int32_t c = 0; c < nd->n_child; c++) {
        crm__c45_count(t, nd->child + c, n_leaves, n_nodes);
    }
}
