/* c45_grow.c: growing a C4.5 tree (Quinlan, C4.5: Programs for Machine Learning, 1993), with
 * the split rules of Weka's J48 so that the two can be compared tree for tree:
 *   - gain ratio among the attributes whose information gain reaches the average gain of
 *     the valid candidates (less 1e-3);
 *   - numeric attributes: binary threshold splits; each side must hold at least
 *     clamp(0.1 * known weight / classes, min_leaf, 25); the gain of the best threshold is
 *     reduced by log2(candidate thresholds) / node weight (the MDL correction of C4.5 rel. 8);
 *   - categorical attributes: one branch per training level; at least two branches must
 *     hold min_leaf;
 *   - rows with the attribute missing are left out of the gain, which is scaled by the known
 *     fraction, count as their own block in the split information, and go down every branch
 *     with their weight shared in proportion to the branch weights.
 *
 * Workload: up to millions of rows and tens of attributes. Each numeric attribute is sorted
 * once at the root; every node keeps, per numeric attribute, its rows in sorted order and
 * hands each child its part of that order (stable partition), so a level of the tree costs
 * O(rows x attributes) with no sorting. While all weights are whole numbers (no missing value
 * split yet), x ln x comes from a table. Attributes are evaluated in parallel at large nodes;
 * each attribute's result is computed by one thread and the choice is made afterwards in
 * attribute order, so the tree never depends on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "c45_internal.h"
#include "core/core_internal.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

#define LN2           0.69314718055994530942
#define PAR_MIN_ITEMS 4096

/* buf (*cap elements of `size` bytes) as it is when it holds need, else reallocated with the
 * capacity doubled from *cap (or from first) until it does. NULL when out of memory (buf and
 * *cap unchanged, t->nomem set). */
static void *
grow_array(c45_tree *t, void *buf, int64_t *cap, int64_t need, int64_t first, size_t size)
{
    int64_t c = *cap > 0 ? *cap * 2 : first;
    void *p;
    if (need <= *cap) {
        return buf;
    }
    while (c < need) {
        c *= 2;
    }
    p = crm_realloc(buf, (size_t)c * size);
    if (p == NULL) {
        t->nomem = 1;
        return NULL;
    }
    *cap = c;
    return p;
}

int64_t crm__c45_new_nodes(c45_tree *t, int32_t n)
{
    int64_t first = t->n_nodes;
    c45_node *p = grow_array(t, t->nodes, &t->cap_nodes, t->n_nodes + n, 256, sizeof *p);
    if (p == NULL) {
        return -1;
    }
    t->nodes = p;
    for (int32_t i = 0; i < n; i++) {
        t->nodes[first + i] = (c45_node){ .attr = -1, .child = -1, .dist = -1, .bag = -1 };
    }
    t->n_nodes += n;
    return first;
}

int64_t crm__c45_new_doubles(c45_tree *t, int64_t n)
{
    int64_t first = t->n_dbl;
    double *p = grow_array(t, t->dbl, &t->cap_dbl, t->n_dbl + n, 1024, sizeof *p);
    if (p == NULL) {
        return -1;
    }
    t->dbl = p;

    memset(t->dbl + first, 0, (size_t)n * sizeof *t->dbl);
    t->n_dbl += n;
    return first;
}

double crm__c45_lnf(double x)
{
    return x <= 0.0 ? 0.0 : x * log(x); // cppcheck-suppress invalidFunctionArg
}

void crm__c45_items_free(c45_items *v, int32_t n)
{
    if (v == NULL) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        crm_free(v[i].row);
        crm_free(v[i].w);
    }
}

/* ---- growing ---- */

typedef struct gset {
    c45_items it;
    int32_t **order;  /* [d]: for numeric attributes, indices into it of known rows, sorted */
    int64_t *n_known; /* [d] */
    int integral;     /* every weight is 1: x ln x from the table */
} gset;

typedef struct cand {
    int valid;
    double gain;
    double ratio;
    double thr;
    int64_t pos; /* numeric: last position (in the sorted order) of the left branch */
} cand;

typedef struct grow_ctx {
    c45_tree *t;
    const double *lnf_tab; /* x ln x for x = 0..n_rows, or NULL */
    double **scratch;      /* [d] per-attribute scratch */
    double **sorted_all;   /* [d]: all known training values, sorted (numeric only) */
    int64_t *n_sorted_all;
    cand *cands; /* [d] */
    int n_threads;
    const crm_progress *progress;
    double done_w;
    double total_w;
    int cancelled;
} grow_ctx;

static void gset_free(gset *s, int32_t d)
{
    crm_free(s->it.row);
    crm_free(s->it.w);
    if (s->order != NULL) {
        for (int32_t a = 0; a < d; a++) {
            crm_free(s->order[a]);
        }
    }
    crm_free(s->order);
    crm_free(s->n_known);
    memset(s, 0, sizeof *s);
}

static inline double lnf_w(const grow_ctx *g, int integral, double x)
{
    if (integral && g->lnf_tab != NULL) {
        return g->lnf_tab[(int64_t)x];
    }
    return crm__c45_lnf(x);
}

static double
entropy_w(const grow_ctx *g, int integral, const double *dist, int32_t k, double total)
{
    double s = 0.0;
    for (int32_t c = 0; c < k; c++) {
        s += lnf_w(g, integral, dist[c]);
    }
    return (lnf_w(g, integral, total) - s) / LN2;
}

/* Weka's InfoGainSplitCrit.splitCritValue: gain per known weight, scaled by known fraction. */
static double info_gain(double old_ent, double new_ent, double known_w, double total_w)
{
    double num = old_ent - new_ent;
    if (fabs(num) < C45_SMALL) {
        return 0.0;
    }
    num *= 1.0 - (total_w - known_w) / total_w;
    if (fabs(num) < C45_SMALL) {
        return 0.0;
    }
    return num / known_w;
}

static double
gain_ratio(double gain, const double *bag_w, int32_t n_bags, double known_w, double total_w)
{
    double split = 0.0;
    if (known_w > C45_SMALL) {
        for (int32_t b = 0; b < n_bags; b++) {
            split -= crm__c45_lnf(bag_w[b]);
        }
        split -= crm__c45_lnf(total_w - known_w);
        split += crm__c45_lnf(total_w);
    }
    split /= LN2;
    if (fabs(split / total_w) < C45_SMALL) {
        return 0.0;
    }
    return gain / (split / total_w);
}

static void eval_numeric(const grow_ctx *g, const gset *s, int32_t a, double total_w, cand *c)
{
    const c45_tree *t = g->t;
    const int32_t k = t->k;
    const int32_t *ord = s->order[a];
    const int64_t nk = s->n_known[a];
    double *known = g->scratch[a];
    double *left = known + k;
    double kw = 0.0;
    double lw = 0.0;
    double min_split;
    double old_ent;
    double best = 0.0;
    int64_t best_pos = -1;
    int64_t index = 0;
    const int integral = s->integral;
    memset(c, 0, sizeof *c);
    memset(known, 0, sizeof(double) * 2 * (size_t)k);
    for (int64_t i = 0; i < nk; i++) {
        known[t->y[s->it.row[ord[i]]]] += s->it.w[ord[i]];
        kw += s->it.w[ord[i]];
    }
    if (nk == 0) {
        return;
    }
    min_split = 0.1 * kw / (double)k;
    if (min_split - t->p.min_leaf < C45_SMALL) {
        min_split = t->p.min_leaf;
    } else if (min_split - 25.0 > C45_SMALL) {
        min_split = 25.0;
    }
    if ((double)nk - 2.0 * min_split < -C45_SMALL) {
        return;
    }
    old_ent = entropy_w(g, integral, known, k, kw);
    {
        const double *xa = t->x->data + a;
        const int64_t ld = t->x->ld;
        for (int64_t next = 1; next < nk; next++) {
            int32_t prev_item = ord[next - 1];
            double v0 = xa[(int64_t)s->it.row[prev_item] * ld];
            double v1 = xa[(int64_t)s->it.row[ord[next]] * ld];
            double rw;
            left[t->y[s->it.row[prev_item]]] += s->it.w[prev_item];
            lw += s->it.w[prev_item];
            if (!(v0 + 1e-5 < v1)) {
                continue;
            }
            rw = kw - lw;
            if (lw - min_split > -C45_SMALL && rw - min_split > -C45_SMALL) {
                double e = lnf_w(g, integral, lw) + lnf_w(g, integral, rw);
                double gain;
                for (int32_t cl = 0; cl < k; cl++) {
                    e -= lnf_w(g, integral, left[cl]) + lnf_w(g, integral, known[cl] - left[cl]);
                }
                gain = info_gain(old_ent, e / LN2, kw, total_w);
                if (gain - best > C45_SMALL) {
                    best = gain;
                    best_pos = next - 1;
                }
                index++;
            }
        }
    }
    if (index == 0 || best_pos < 0) {
        return;
    }
    best -= log2((double)index) / total_w;
    if (best < C45_SMALL) {
        return;
    }
    {
        double v0 = t->x->data[(int64_t)s->it.row[ord[best_pos]] * t->x->ld + a];
        double v1 = t->x->data[(int64_t)s->it.row[ord[best_pos + 1]] * t->x->ld + a];
        double bag[2] = { 0.0, 0.0 };
        c->thr = (v0 + v1) / 2.0;
        if (c->thr == v1) {
            c->thr = v0;
        }
        for (int64_t i = 0; i <= best_pos; i++) {
            bag[0] += s->it.w[ord[i]];
        }
        bag[1] = kw - bag[0];
        c->ratio = gain_ratio(best, bag, 2, kw, total_w);
    }
    c->valid = 1;
    c->gain = best;
    c->pos = best_pos;
}

static void eval_nominal(const grow_ctx *g, const gset *s, int32_t a, double total_w, cand *c)
{
    const c45_tree *t = g->t;
    const int32_t k = t->k;
    const int32_t nl = t->n_levels[a];
    double *bag = g->scratch[a];        /* nl x k */
    double *bw = bag + (int64_t)nl * k; /* nl */
    double *known = bw + nl;            /* k */
    double kw = 0.0;
    double new_ent = 0.0;
    int32_t enough = 0;
    const int integral = s->integral;
    memset(c, 0, sizeof *c);
    memset(bag, 0, sizeof(double) * ((size_t)nl * (size_t)k + (size_t)nl + (size_t)k));
    for (int64_t i = 0; i < s->it.n; i++) {
        double v = t->x->data[(int64_t)s->it.row[i] * t->x->ld + a];
        int32_t code;
        if (isnan(v) || v < 0.0 || v >= (double)nl) {
            continue;
        }
        code = (int32_t)v;
        bag[(int64_t)code * k + t->y[s->it.row[i]]] += s->it.w[i];
        bw[code] += s->it.w[i];
        known[t->y[s->it.row[i]]] += s->it.w[i];
        kw += s->it.w[i];
    }
    for (int32_t b = 0; b < nl; b++) {
        enough += bw[b] - t->p.min_leaf > -C45_SMALL;
    }
    if (enough < 2) {
        return;
    }
    for (int32_t b = 0; b < nl; b++) {
        if (bw[b] <= 0.0) {
            continue;
        }
        new_ent += lnf_w(g, integral, bw[b]);
        for (int32_t cl = 0; cl < k; cl++) {
            new_ent -= lnf_w(g, integral, bag[(int64_t)b * k + cl]);
        }
    }
    c->valid = 1;
    c->gain = info_gain(entropy_w(g, integral, known, k, kw), new_ent / LN2, kw, total_w);
    c->ratio = gain_ratio(c->gain, bw, nl, kw, total_w);
}

static void eval_attr(const grow_ctx *g, const gset *s, int32_t a, double total_w)
{
    if (g->t->n_levels[a] > 0) {
        eval_nominal(g, s, a, total_w, &g->cands[a]);
    } else {
        eval_numeric(g, s, a, total_w, &g->cands[a]);
    }
}

/* Index of the chosen attribute, or -1 for a leaf. */
static int32_t choose(const grow_ctx *g, const gset *s, double total_w)
{
    const int32_t d = g->t->d;
    double avg = 0.0;
    double best = 0.0;
    int32_t n_valid = 0;
    int32_t pick = -1;
    int par = s->it.n >= PAR_MIN_ITEMS && d > 1;
    (void)par;
#pragma omp parallel for schedule(dynamic, 1) if (par) num_threads(g->n_threads)
    for (int32_t a = 0; a < d; a++) {
        eval_attr(g, s, a, total_w);
    }
    for (int32_t a = 0; a < d; a++) {
        if (g->cands[a].valid) {
            avg += g->cands[a].gain;
            n_valid++;
        }
    }
    if (n_valid == 0) {
        return -1;
    }
    avg /= n_valid;
    for (int32_t a = 0; a < d; a++) {
        const cand *c = &g->cands[a];
        if (c->valid && c->gain >= avg - 1e-3 && c->ratio - best > C45_SMALL) {
            best = c->ratio;
            pick = a;
        }
    }
    if (fabs(best) < C45_SMALL) {
        return -1;
    }
    return pick;
}

/* C4.5 moves a threshold down to the largest training value not above it, so that printed
 * rules read in values that occur in the data. */
static double snap_threshold(const grow_ctx *g, int32_t a, double thr)
{
    const double *v = g->sorted_all[a];
    int64_t lo = 0;
    int64_t hi = g->n_sorted_all[a] - 1;
    double res = thr;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] - thr < C45_SMALL) {
            res = v[mid];
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return res;
}

/* Which branch item i goes to (-1: missing, shared by all). */
static int32_t branch_of(const c45_tree *t,
                         const gset *s,
                         int32_t a,
                         const cand *c,
                         const int32_t *left_mark,
                         int64_t i)
{
    double v = t->x->data[(int64_t)s->it.row[i] * t->x->ld + a];
    if (isnan(v)) {
        return -1;
    }
    if (t->n_levels[a] > 0) {
        if (v < 0.0 || v >= (double)t->n_levels[a]) {
            return -1;
        }
        return (int32_t)v;
    }
    (void)c;
    return left_mark[i] ? 0 : 1;
}

typedef struct part {
    int32_t nb;
    int32_t *dest;   /* [items]: branch or -1 */
    int64_t *newpos; /* [items]: position in its child (for shared rows: among the shared) */
    int64_t n_shared;
    double *prob; /* [nb]: share of a missing row per branch */
} part;

static crm_status make_children(grow_ctx *g, const gset *s, int32_t a, const part *pt, gset *kids)
{
    const c45_tree *t = g->t;
    const int32_t d = t->d;
    int64_t *own = crm_calloc((size_t)pt->nb, sizeof *own);
    if (own == NULL) {
        return CRM_ENOMEM;
    }
    (void)a;
    for (int64_t i = 0; i < s->it.n; i++) {
        if (pt->dest[i] >= 0) {
            own[pt->dest[i]]++;
        }
    }
    for (int32_t b = 0; b < pt->nb; b++) {
        gset *ks = &kids[b];
        int64_t n = own[b] + (pt->prob[b] > 0.0 ? pt->n_shared : 0);
        ks->it.n = n;
        ks->integral = s->integral && pt->n_shared == 0;
        ks->it.row = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *ks->it.row);
        ks->it.w = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *ks->it.w);
        ks->order = crm_calloc((size_t)d, sizeof *ks->order);
        ks->n_known = crm_calloc((size_t)d, sizeof *ks->n_known);
        if (ks->it.row == NULL || ks->it.w == NULL || ks->order == NULL || ks->n_known == NULL) {
            crm_free(own);
            return CRM_ENOMEM;
        }
        for (int32_t b2 = 0; b2 < d; b2++) {
            if (t->n_levels[b2] == 0) {
                ks->order[b2] = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof(int32_t));
                if (ks->order[b2] == NULL) {
                    crm_free(own);
                    return CRM_ENOMEM;
                }
            }
        }
    }
    crm_free(own);
    for (int64_t i = 0; i < s->it.n; i++) {
        int32_t b = pt->dest[i];
        if (b >= 0) {
            kids[b].it.row[pt->newpos[i]] = s->it.row[i];
            kids[b].it.w[pt->newpos[i]] = s->it.w[i];
            continue;
        }
        for (int32_t c = 0; c < pt->nb; c++) {
            if (pt->prob[c] > 0.0) {
                kids[c].it.row[pt->newpos[i]] = s->it.row[i];
                kids[c].it.w[pt->newpos[i]] = s->it.w[i] * pt->prob[c];
            }
        }
    }
    /* Sorted orders, attribute by attribute: a stable pass keeps each child's part sorted. */
    {
        int par = s->it.n >= PAR_MIN_ITEMS && d > 1;
        (void)par;
#pragma omp parallel for schedule(dynamic, 1) if (par) num_threads(g->n_threads)
        for (int32_t b2 = 0; b2 < d; b2++) {
            if (t->n_levels[b2] != 0) {
                continue;
            }
            for (int64_t j = 0; j < s->n_known[b2]; j++) {
                int32_t i = s->order[b2][j];
                int32_t b = pt->dest[i];
                if (b >= 0) {
                    kids[b].order[b2][kids[b].n_known[b2]++] = (int32_t)pt->newpos[i];
                    continue;
                }
                for (int32_t c = 0; c < pt->nb; c++) {
                    if (pt->prob[c] > 0.0) {
                        kids[c].order[b2][kids[c].n_known[b2]++] = (int32_t)pt->newpos[i];
                    }
                }
            }
        }
    }
    return CRM_OK;
}

static crm_status grow(grow_ctx *g, int64_t ni, gset *s, int32_t depth);

/* Fill node ni as a split on attribute a and grow its children (s is consumed). */
static crm_status split_node(grow_ctx *g, int64_t ni, gset *s, int32_t a, int32_t depth)
{
    c45_tree *t = g->t;
    const int32_t k = t->k;
    const cand *c = &g->cands[a];
    const int32_t nb = t->n_levels[a] > 0 ? t->n_levels[a] : 2;
    part pt;
    int32_t *left_mark = NULL;
    int64_t *count = NULL;
    gset *kids = NULL;
    double known_w = 0.0;
    int64_t first;
    int64_t bag_off;
    crm_status rc = CRM_ENOMEM;
    double thr = c->thr;
    memset(&pt, 0, sizeof pt);
    pt.nb = nb;
    pt.dest = crm_mallocarray((size_t)s->it.n, sizeof *pt.dest);
    pt.newpos = crm_mallocarray((size_t)s->it.n, sizeof *pt.newpos);
    pt.prob = crm_calloc((size_t)nb, sizeof *pt.prob);
    count = crm_calloc((size_t)nb, sizeof *count);
    kids = crm_calloc((size_t)nb, sizeof *kids);
    if (t->n_levels[a] == 0) {
        left_mark = crm_calloc((size_t)s->it.n, sizeof *left_mark);
    }
    if (pt.dest == NULL || pt.newpos == NULL || pt.prob == NULL || count == NULL || kids == NULL ||
        (t->n_levels[a] == 0 && left_mark == NULL)) {
        goto done;
    }
    if (left_mark != NULL) {
        for (int64_t j = 0; j <= c->pos; j++) {
            left_mark[s->order[a][j]] = 1;
        }
        thr = snap_threshold(g, a, c->thr);
    }
    for (int64_t i = 0; i < s->it.n; i++) {
        int32_t b = branch_of(t, s, a, c, left_mark, i);
        pt.dest[i] = b;
        if (b >= 0) {
            pt.prob[b] += s->it.w[i];
            known_w += s->it.w[i];
        } else {
            pt.newpos[i] = pt.n_shared++;
        }
    }
    for (int32_t b = 0; b < nb; b++) {
        pt.prob[b] = known_w > 0.0 ? pt.prob[b] / known_w : 1.0 / nb;
        count[b] = pt.prob[b] > 0.0 ? pt.n_shared : 0;
    }
    for (int64_t i = 0; i < s->it.n; i++) {
        if (pt.dest[i] >= 0) {
            pt.newpos[i] = count[pt.dest[i]]++;
        }
    }
    first = crm__c45_new_nodes(t, nb);
    bag_off = crm__c45_new_doubles(t, nb);
    if (first < 0 || bag_off < 0) {
        goto done;
    }
    t->nodes[ni].attr = a;
    t->nodes[ni].n_child = nb;
    t->nodes[ni].child = first;
    t->nodes[ni].thr = thr;
    t->nodes[ni].bag = bag_off;
    {
        double total = 0.0;
        for (int64_t i = 0; i < s->it.n; i++) {
            total += s->it.w[i];
        }
        for (int32_t b = 0; b < nb; b++) {
            t->dbl[bag_off + b] = pt.prob[b] * total;
        }
    }
    (void)k;
    rc = make_children(g, s, a, &pt, kids);
    if (rc != CRM_OK) {
        goto done;
    }
    gset_free(s, t->d);
    for (int32_t b = 0; b < nb && rc == CRM_OK; b++) {
        rc = grow(g, first + b, &kids[b], depth + 1);
    }
done:
    if (kids != NULL) {
        for (int32_t b = 0; b < nb; b++) {
            gset_free(&kids[b], t->d);
        }
    }
    crm_free(kids);
    crm_free(pt.dest);
    crm_free(pt.newpos);
    crm_free(pt.prob);
    crm_free(count);
    crm_free(left_mark);
    return rc;
}

/* Grow node ni from the rows in s (s is consumed). */
static crm_status grow(grow_ctx *g, int64_t ni, gset *s, int32_t depth)
{
    c45_tree *t = g->t;
    const int32_t k = t->k;
    int64_t dist = crm__c45_new_doubles(t, k);
    double total = 0.0;
    double top = 0.0;
    int32_t a = -1;
    if (dist < 0) {
        return CRM_ENOMEM;
    }
    t->nodes[ni].dist = dist;
    for (int64_t i = 0; i < s->it.n; i++) {
        t->dbl[dist + t->y[s->it.row[i]]] += s->it.w[i];
        total += s->it.w[i];
    }
    for (int32_t c = 0; c < k; c++) {
        top = t->dbl[dist + c] > top ? t->dbl[dist + c] : top;
    }
    if (s->it.n >= PAR_MIN_ITEMS) {
        if (!crm_progress_report(g->progress, "c45", g->done_w / g->total_w)) {
            g->cancelled = 1;
            return CRM_ECANCELLED;
        }
    }
    if (!(total - 2.0 * t->p.min_leaf < -C45_SMALL) && !(fabs(total - top) < C45_SMALL) &&
        (t->p.max_depth == 0 || depth < t->p.max_depth)) {
        a = choose(g, s, total);
    }
    if (a < 0) {
        g->done_w += total;
        gset_free(s, t->d);
        return CRM_OK;
    }
    return split_node(g, ni, s, a, depth);
}

typedef struct vr {
    double v;
    int32_t r;
} vr;

static int cmp_vr(const void *a, const void *b)
{
    const vr *x = a;
    const vr *y = b;
    if (x->v < y->v) {
        return -1;
    }
    if (x->v > y->v) {
        return 1;
    }
    return (x->r > y->r) - (x->r < y->r);
}

/* Root set: every row with its weight; each numeric attribute sorted once. */
static crm_status root_set(grow_ctx *g, const double *w, gset *s)
{
    c45_tree *t = g->t;
    const int64_t n = t->x->n_rows;
    const int32_t d = t->d;
    int failed = 0;
    vr **tmp;
    s->it.n = n;
    s->integral = 1;
    s->it.row = crm_mallocarray((size_t)n, sizeof *s->it.row);
    s->it.w = crm_mallocarray((size_t)n, sizeof *s->it.w);
    s->order = crm_calloc((size_t)d, sizeof *s->order);
    s->n_known = crm_calloc((size_t)d, sizeof *s->n_known);
    if (s->it.row == NULL || s->it.w == NULL || s->order == NULL || s->n_known == NULL) {
        return CRM_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        s->it.row[i] = (int32_t)i;
        s->it.w[i] = w != NULL ? w[i] : 1.0;
        if (s->it.w[i] != 1.0) {
            s->integral = 0;
        }
    }
    /* Allocate serially (one sort buffer per thread): the library's allocator need not be
     * thread-safe. */
    tmp = crm_calloc((size_t)g->n_threads, sizeof *tmp);
    if (tmp == NULL) {
        return CRM_ENOMEM;
    }
    for (int32_t i = 0; i < g->n_threads && !failed; i++) {
        tmp[i] = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof **tmp);
        failed = tmp[i] == NULL;
    }
    for (int32_t a = 0; a < d && !failed; a++) {
        if (t->n_levels[a] == 0) {
            s->order[a] = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof(int32_t));
            g->sorted_all[a] = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof(double));
            failed = s->order[a] == NULL || g->sorted_all[a] == NULL;
        }
    }
    if (!failed) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(g->n_threads)
        for (int32_t a = 0; a < d; a++) {
            vr *buf;
            int64_t m = 0;
            if (t->n_levels[a] != 0) {
                continue;
            }
#if defined(_OPENMP)
            buf = tmp[omp_get_thread_num()];
#else
            buf = tmp[0];
#endif
            for (int64_t i = 0; i < n; i++) {
                double v = t->x->data[i * t->x->ld + a];
                if (!isnan(v)) {
                    buf[m].v = v;
                    buf[m].r = (int32_t)i;
                    m++;
                }
            }
            qsort(buf, (size_t)m, sizeof *buf, cmp_vr);
            for (int64_t i = 0; i < m; i++) {
                s->order[a][i] = buf[i].r;
                g->sorted_all[a][i] = buf[i].v;
            }
            s->n_known[a] = m;
            g->n_sorted_all[a] = m;
        }
    }
    for (int32_t i = 0; i < g->n_threads; i++) {
        crm_free(tmp[i]);
    }
    crm_free(tmp);
    return failed ? CRM_ENOMEM : CRM_OK;
}

static crm_status ctx_init(grow_ctx *g, c45_tree *t, int n_threads)
{
    const int64_t n = t->x->n_rows;
    memset(g, 0, sizeof *g);
    g->t = t;
    g->n_threads = n_threads;
    g->scratch = crm_calloc((size_t)t->d, sizeof *g->scratch);
    g->sorted_all = crm_calloc((size_t)t->d, sizeof *g->sorted_all);
    g->n_sorted_all = crm_calloc((size_t)t->d, sizeof *g->n_sorted_all);
    g->cands = crm_calloc((size_t)t->d, sizeof *g->cands);
    if (g->scratch == NULL || g->sorted_all == NULL || g->n_sorted_all == NULL ||
        g->cands == NULL) {
        return CRM_ENOMEM;
    }
    for (int32_t a = 0; a < t->d; a++) {
        int64_t nl = t->n_levels[a];
        size_t sz = nl > 0 ? (size_t)(nl * t->k + nl + t->k) : (size_t)(2 * t->k);
        g->scratch[a] = crm_mallocarray(sz, sizeof(double));
        if (g->scratch[a] == NULL) {
            return CRM_ENOMEM;
        }
    }
    if (n <= (int64_t)1 << 26) {
        double *tab = crm_mallocarray((size_t)n + 1, sizeof *tab);
        if (tab == NULL) {
            return CRM_ENOMEM;
        }
        for (int64_t i = 0; i <= n; i++) {
            tab[i] = crm__c45_lnf((double)i);
        }
        g->lnf_tab = tab;
    }
    return CRM_OK;
}

static void ctx_fini(grow_ctx *g)
{
    for (int32_t a = 0; g->t != NULL && a < g->t->d; a++) {
        if (g->scratch != NULL) {
            crm_free(g->scratch[a]);
        }
        if (g->sorted_all != NULL) {
            crm_free(g->sorted_all[a]);
        }
    }
    crm_free(g->scratch);
    crm_free(g->sorted_all);
    crm_free(g->n_sorted_all);
    crm_free(g->cands);
    crm_free((void *)g->lnf_tab);
}

/* Grow the full tree into t (root = node 0). */
crm_status crm__c45_grow(c45_tree *t,
                         const double *w,
                         int n_threads,
                         const crm_progress *progress,
                         crm_error *err);

crm_status crm__c45_grow(c45_tree *t,
                         const double *w,
                         int n_threads,
                         const crm_progress *progress,
                         crm_error *err)
{
    grow_ctx g;
    gset root;
    crm_status rc;
    memset(&root, 0, sizeof root);
    rc = ctx_init(&g, t, n_threads);
    g.progress = progress;
    if (rc == CRM_OK) {
        rc = root_set(&g, w, &root);
    }
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < root.it.n; i++) {
            g.total_w += root.it.w[i];
        }
        if (crm__c45_new_nodes(t, 1) < 0) {
            rc = CRM_ENOMEM;
        }
    }
    if (rc == CRM_OK) {
        rc = grow(&g, 0, &root, 0);
    }
    gset_free(&root, t->d);
    ctx_fini(&g);
    if (rc == CRM_OK && t->nomem) {
        rc = CRM_ENOMEM;
    }
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    if (rc == CRM_ECANCELLED) {
        return crm__error_set(err, CRM_ECANCELLED, "C4.5 training cancelled");
    }
    return rc;
}
