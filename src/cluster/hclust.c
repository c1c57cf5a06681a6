/* hclust.c: the hierarchical clustering object (crmkit/hclust.h): the memory guard with
 * k-means micro-clusters, cuts numbered as scipy's fcluster, the choice of k, assign and
 * persistence. The linkage algorithms are in hclust_linkage.c. */
#include <math.h>
#include <string.h>

#include <crmkit/hclust.h>
#include <crmkit/kmeans.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#define HCLUST_SECTION "hclust"
#define HCLUST_VERSION 1u

struct crm_hclust {
    crm_hclust_params params;
    int64_t n_rows;
    int64_t n_leaves;
    int32_t n_micro; /* 0 when the rows are the leaves */
    int32_t dim;
    double *merges;   /* (n_leaves - 1) x 4 */
    int32_t *leaf_of; /* n_rows: micro-cluster of each row (NULL when direct or loaded) */
    int32_t k;        /* after a cut, else 0 */
    double cut_at;    /* NaN for a cut by k */
    int32_t *labels;  /* n_rows, NULL after load */
    double *centers;  /* k x dim */
    double inertia;
};

void crm_hclust_free(crm_hclust *h)
{
    if (h == NULL) {
        return;
    }
    CRM__FREE(h->merges, h->leaf_of, h->labels, h->centers, h);
}

/* k-means micro-clusters of x: centres (m x dim, into c), sizes, and each row's cluster.
 * Empty clusters are dropped (m may shrink). */
static crm_status micro(const crm_hclust_params *p,
                        const crm_matrix *x,
                        const crm_progress *pr,
                        crm_hclust *h,
                        crm_matrix *c,
                        double **w,
                        crm_error *err)
{
    crm_kmeans_params kp = crm_kmeans_params_default();
    crm_kmeans *km = NULL;
    int64_t limit = crm_hclust_max_rows(p);
    int32_t m = (int64_t)p->n_micro < limit ? p->n_micro : (int32_t)limit; /* within the guard */
    int32_t *map;
    crm_status rc;
    kp.seed = p->seed;
    kp.n_threads = p->n_threads;
    /* Tight groups are enough: the tree, not k-means, makes the segments. Random seeding:
     * greedy k-means++ would read the data about 8 times per centre. */
    kp.max_iter = 25;
    kp.init = CRM_KMEANS_INIT_RANDOM;
    /* Fewer distinct rows than micro-clusters: halve their number until k-means can seed. */
    for (;;) {
        kp.k = m;
        rc = crm_kmeans_new(&kp, &km, err);
        if (rc == CRM_OK) {
            rc = crm_kmeans_fit(km, x, pr, err);
        }
        if (rc != CRM_EDATA || m <= 2) {
            break;
        }
        crm_kmeans_free(km);
        km = NULL;
        m /= 2;
    }
    if (rc != CRM_OK) {
        crm_kmeans_free(km);
        return rc;
    }
    h->leaf_of = crm_mallocarray((size_t)x->n_rows, sizeof *h->leaf_of);
    map = crm_calloc((size_t)m, sizeof *map);
    *w = crm_calloc((size_t)m, sizeof **w);
    if (h->leaf_of == NULL || map == NULL || *w == NULL) {
        rc = crm__error_nomem(err);
    } else {
        rc = crm_kmeans_assign(km, x, h->leaf_of, NULL, err);
    }
    if (rc == CRM_OK) {
        const double *cen = crm_kmeans_centers(km);
        int32_t used = 0;
        for (int64_t i = 0; i < x->n_rows; i++) {
            (*w)[h->leaf_of[i]] += 1.0;
        }
        for (int32_t j = 0; j < m; j++) {
            map[j] = (*w)[j] > 0.0 ? used++ : -1;
        }
        rc = crm_matrix_init(c, used, x->n_cols, err);
        for (int32_t j = 0; j < m && rc == CRM_OK; j++) {
            if (map[j] >= 0) {
                memcpy(CRM_ROW(c, map[j]), cen + (size_t)j * (size_t)x->n_cols,
                       (size_t)x->n_cols * sizeof(double));
                (*w)[map[j]] = (*w)[j];
            }
        }
        for (int64_t i = 0; i < x->n_rows && rc == CRM_OK; i++) {
            h->leaf_of[i] = map[h->leaf_of[i]];
        }
        h->n_micro = used;
    }
    crm_free(map);
    crm_kmeans_free(km);
    return rc;
}

crm_status crm_hclust_fit(const crm_hclust_params *p,
                          const crm_matrix *x,
                          const crm_progress *progress,
                          crm_hclust **out,
                          crm_error *err)
{
    crm_hclust *h;
    crm_matrix c;
    double *w = NULL;
    crm_status rc = crm_hclust_params_check(p, err);
    *out = NULL;
    memset(&c, 0, sizeof c);
    if (rc != CRM_OK) {
        return rc;
    }
    if (x->n_rows < 2 || x->n_cols < 1) {
        return crm__error_set(err, CRM_EDATA,
                              "hierarchical clustering needs at least 2 rows "
                              "and 1 column, got %lld x %lld",
                              (long long)x->n_rows, (long long)x->n_cols);
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    h = crm_calloc(1, sizeof *h);
    if (h == NULL) {
        return crm__error_nomem(err);
    }
    h->params = *p;
    h->n_rows = x->n_rows;
    h->dim = (int32_t)x->n_cols;
    h->cut_at = (double)NAN;
    h->inertia = (double)NAN;
    if (x->n_rows > crm_hclust_max_rows(p)) {
        rc = micro(p, x, progress, h, &c, &w, err);
        h->n_leaves = c.n_rows;
    } else {
        h->n_leaves = x->n_rows;
    }
    if (rc == CRM_OK && h->n_leaves < 2) {
        rc = crm__error_set(err, CRM_EDATA, "fewer than 2 distinct rows to cluster");
    }
    if (rc == CRM_OK) {
        h->merges = crm_mallocarray((size_t)(h->n_leaves - 1) * 4, sizeof *h->merges);
        if (h->merges == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_hclust_linkage(h->n_micro ? &c : x, w, p->linkage, progress, h->merges, err);
    }
    crm_matrix_fini(&c);
    crm_free(w);
    if (rc != CRM_OK) {
        crm_hclust_free(h);
        return rc;
    }
    *out = h;
    return CRM_OK;
}

/* Leaves under node (leaf ids < L, merge j is node L + j) get label id. */
static crm_status label_subtree(const double *z,
                                int64_t L,
                                int64_t node,
                                int32_t id,
                                int32_t *leaf_label,
                                int64_t *stack)
{
    int64_t top = 0;
    stack[top++] = node;
    while (top > 0) {
        int64_t v = stack[--top];
        if (v < L) {
            leaf_label[v] = id;
        } else {
            stack[top++] = (int64_t)z[(v - L) * 4 + 1];
            stack[top++] = (int64_t)z[(v - L) * 4];
        }
    }
    return CRM_OK;
}

/* The first `kept` merges stay; number the clusters as scipy's cluster_monocrit walks the
 * tree: from the root, a node whose merge is kept is one cluster; otherwise its internal
 * children are walked first (left, then right), then its leaf children get their own cluster
 * (left, then right). */
static crm_status
number_clusters(const double *z, int64_t L, int64_t kept, int32_t *leaf_label, crm_error *err)
{
    int64_t *stack = crm_mallocarray((size_t)L + 1, sizeof *stack);
    int64_t *walk = crm_mallocarray((size_t)L + 1, sizeof *walk);
    unsigned char *seen = crm_calloc((size_t)L, 1);
    int64_t top = 0;
    int32_t next = 0;
    if (stack == NULL || walk == NULL || seen == NULL) {
        CRM__FREE(stack, walk, seen);
        return crm__error_nomem(err);
    }
    walk[top++] = 2 * L - 2;
    while (top > 0) {
        int64_t j = walk[top - 1] - L;
        int64_t lc = (int64_t)z[j * 4];
        int64_t rc = (int64_t)z[j * 4 + 1];
        if (j < kept) {
            label_subtree(z, L, L + j, next++, leaf_label, stack);
            top--;
            continue;
        }
        if (lc >= L && !seen[lc - L]) {
            seen[lc - L] = 1;
            walk[top++] = lc;
            continue;
        }
        if (rc >= L && !seen[rc - L]) {
            seen[rc - L] = 1;
            walk[top++] = rc;
            continue;
        }
        if (lc < L) {
            leaf_label[lc] = next++;
        }
        if (rc < L) {
            leaf_label[rc] = next++;
        }
        top--;
    }
    CRM__FREE(stack, walk, seen);
    return CRM_OK;
}

static crm_status cut(crm_hclust *h, const crm_matrix *x, int64_t kept, crm_error *err)
{
    int64_t L = h->n_leaves;
    int32_t k = (int32_t)(L - kept);
    int32_t *leaf_label;
    double *count;
    crm_status rc;
    if (x->n_rows != h->n_rows || x->n_cols != h->dim) {
        return crm__error_set(err, CRM_EINVAL, "the cut needs the %lld x %d matrix of the fit",
                              (long long)h->n_rows, (int)h->dim);
    }
    leaf_label = crm_mallocarray((size_t)L, sizeof *leaf_label);
    count = crm_calloc((size_t)k, sizeof *count);
    crm_free(h->labels);
    crm_free(h->centers);
    h->labels = crm_mallocarray((size_t)h->n_rows, sizeof *h->labels);
    h->centers = crm_calloc((size_t)k * (size_t)h->dim, sizeof *h->centers);
    if (leaf_label == NULL || count == NULL || h->labels == NULL || h->centers == NULL) {
        crm_free(leaf_label);
        crm_free(count);
        h->k = 0;
        return crm__error_nomem(err);
    }
    if (k == 1) {
        for (int64_t i = 0; i < L; i++) {
            leaf_label[i] = 0;
        }
        rc = CRM_OK;
    } else {
        rc = number_clusters(h->merges, L, kept, leaf_label, err);
    }
    if (rc == CRM_OK) {
        double inertia = 0.0;
        for (int64_t i = 0; i < h->n_rows; i++) {
            int32_t c = leaf_label[h->leaf_of ? h->leaf_of[i] : i];
            const double *row = CRM_ROW(x, i);
            h->labels[i] = c;
            count[c] += 1.0;
            for (int32_t j = 0; j < h->dim; j++) {
                h->centers[(size_t)c * h->dim + j] += row[j];
            }
        }
        for (int32_t c = 0; c < k; c++) {
            for (int32_t j = 0; j < h->dim; j++) {
                h->centers[(size_t)c * h->dim + j] /= count[c] > 0 ? count[c] : 1.0;
            }
        }
        for (int64_t i = 0; i < h->n_rows; i++) {
            inertia +=
                crm__sq_dist(CRM_ROW(x, i), h->centers + (size_t)h->labels[i] * h->dim, h->dim);
        }
        h->inertia = inertia;
        h->k = k;
    }
    crm_free(leaf_label);
    crm_free(count);
    return rc;
}

crm_status crm_hclust_cut_k(crm_hclust *h, const crm_matrix *x, int32_t k, crm_error *err)
{
    if (k < 1 || k > h->n_leaves) {
        return crm__error_set(err, CRM_EINVAL, "k must be in [1, %lld] (the tree's leaves), got %d",
                              (long long)h->n_leaves, (int)k);
    }
    h->cut_at = (double)NAN;
    return cut(h, x, h->n_leaves - k, err);
}

crm_status crm_hclust_cut_height(crm_hclust *h, const crm_matrix *x, double height, crm_error *err)
{
    int64_t kept = 0;
    if (!(height >= 0.0)) {
        return crm__error_set(err, CRM_EINVAL, "the cut height must be a number >= 0");
    }
    while (kept < h->n_leaves - 1 && h->merges[kept * 4 + 2] <= height) {
        kept++;
    }
    h->cut_at = height;
    return cut(h, x, kept, err);
}

crm_status
crm_hclust_auto_k(const crm_hclust *h, int32_t kmin, int32_t kmax, int32_t *k, crm_error *err)
{
    int64_t L = h->n_leaves;
    double best = -1.0;
    int32_t arg = 0;
    if (kmin < 2) {
        kmin = 2; /* k = 1 has no next merge to compare with */
    }
    if (kmax > L) {
        kmax = (int32_t)L;
    }
    for (int32_t c = kmin; c <= kmax; c++) {
        int64_t kept = L - c;
        double below = kept > 0 ? h->merges[(kept - 1) * 4 + 2] : 0.0;
        double gap = h->merges[kept * 4 + 2] - below;
        if (gap > best) {
            best = gap;
            arg = c;
        }
    }
    if (arg == 0) {
        return crm__error_set(err, CRM_EINVAL,
                              "no k in the range: the tree has %lld leaves and k must be >= 2",
                              (long long)L);
    }
    *k = arg;
    return CRM_OK;
}

crm_status crm_hclust_assign(const crm_hclust *h,
                             const crm_matrix *x,
                             int32_t *labels,
                             double *dist,
                             crm_error *err)
{
    crm_status rc;
    if (h->k < 1) {
        return crm__error_set(err, CRM_ESTATE, "the tree has not been cut");
    }
    if (x->n_cols != h->dim) {
        return crm__error_set(err, CRM_EINVAL, "the data has %lld columns, the model %d",
                              (long long)x->n_cols, (int)h->dim);
    }
    rc = crm_matrix_check_finite(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        double best = INFINITY;
        int32_t arg = 0;
        for (int32_t c = 0; c < h->k; c++) {
            double d = crm__sq_dist(CRM_ROW(x, i), h->centers + (size_t)c * h->dim, h->dim);
            if (d < best) {
                best = d;
                arg = c;
            }
        }
        labels[i] = arg;
        if (dist != NULL) {
            dist[i] = best;
        }
    }
    return CRM_OK;
}

crm_linkage crm_hclust_linkage_used(const crm_hclust *h)
{
    return h->params.linkage;
}
int64_t crm_hclust_n_rows(const crm_hclust *h)
{
    return h->n_rows;
}
int64_t crm_hclust_n_leaves(const crm_hclust *h)
{
    return h->n_leaves;
}
int32_t crm_hclust_n_micro(const crm_hclust *h)
{
    return h->n_micro;
}
const double *crm_hclust_merges(const crm_hclust *h)
{
    return h->merges;
}
int32_t crm_hclust_k(const crm_hclust *h)
{
    return h->k;
}
const int32_t *crm_hclust_labels(const crm_hclust *h)
{
    return h->labels;
}
const double *crm_hclust_centers(const crm_hclust *h)
{
    return h->centers;
}
int32_t crm_hclust_dim(const crm_hclust *h)
{
    return h->dim;
}
double crm_hclust_cut_at(const crm_hclust *h)
{
    return h->cut_at;
}
double crm_hclust_inertia(const crm_hclust *h)
{
    return h->inertia;
}

/* ---- persistence ----
 * Section "hclust": u32 version, u32 linkage, i64 n_rows, i64 n_leaves, i32 n_micro, i32 dim,
 * f64s merges[(n_leaves - 1) * 4], i32 k, f64 cut_at, f64 inertia, f64s centers[k * dim].
 * Save and load share the lists below. */
#define HCLUST_HEAD(h, version, linkage)                                                           \
    CRM_FIELD(version), CRM_FIELD(linkage), CRM_FIELD(&(h)->n_rows), CRM_FIELD(&(h)->n_leaves),    \
        CRM_FIELD(&(h)->n_micro), CRM_FIELD(&(h)->dim)
#define HCLUST_TREE(h)                                                                             \
    CRM_FIELDS((h)->merges, ((h)->n_leaves - 1) * 4), CRM_FIELD(&(h)->k), CRM_FIELD(&(h)->cut_at), \
        CRM_FIELD(&(h)->inertia)
#define HCLUST_CENTERS(h) CRM_FIELDS((h)->centers, (int64_t)(h)->k * h->dim)

crm_status crm_hclust_save(const crm_hclust *h, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = HCLUST_VERSION;
    const uint32_t linkage = (uint32_t)h->params.linkage;
    const crm_field f[] = { HCLUST_HEAD(h, &version, &linkage), HCLUST_TREE(h), HCLUST_CENTERS(h) };
    crm_status rc;
    if (h->k < 1) {
        return crm__error_set(err, CRM_ESTATE, "the tree has not been cut");
    }
    rc = crm_model_begin(w, HCLUST_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_hclust_load(const crm_model_reader *r, crm_hclust **out, crm_error *err)
{
    crm_section s;
    crm_hclust *h;
    uint32_t version = 0;
    uint32_t linkage = 0;
    crm_status rc = crm_model_section(r, HCLUST_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    h = crm_calloc(1, sizeof *h);
    if (h == NULL) {
        return crm__error_nomem(err);
    }
    h->params = crm_hclust_params_default();
    {
        const crm_field head[] = { HCLUST_HEAD(h, &version, &linkage) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    if (s.failed || version != HCLUST_VERSION || linkage > CRM_LINKAGE_SINGLE || h->n_leaves < 2 ||
        h->n_rows < h->n_leaves || h->dim < 1 || h->n_micro < 0 ||
        !crm_section_fits(&s, h->n_leaves - 1, 32)) {
        crm_hclust_free(h);
        return crm_model_malformed(r, HCLUST_SECTION, err);
    }
    h->params.linkage = (crm_linkage)linkage;
    h->merges = crm_mallocarray((size_t)(h->n_leaves - 1) * 4, sizeof *h->merges);
    if (h->merges == NULL) {
        crm_hclust_free(h);
        return crm__error_nomem(err);
    }
    {
        const crm_field tree[] = { HCLUST_TREE(h) };
        (void)crm_section_get_fields(&s, tree, CRM_N_FIELDS(tree));
    }
    if (s.failed || h->k < 1 || h->k > h->n_leaves ||
        (size_t)h->k * (size_t)h->dim != (s.len - s.pos) / 8) {
        crm_hclust_free(h);
        return crm_model_malformed(r, HCLUST_SECTION, err);
    }
    h->centers = crm_mallocarray((size_t)h->k * (size_t)h->dim, sizeof *h->centers);
    if (h->centers == NULL) {
        crm_hclust_free(h);
        return crm__error_nomem(err);
    }
    {
        const crm_field centers[] = { HCLUST_CENTERS(h) };
        (void)crm_section_get_fields(&s, centers, CRM_N_FIELDS(centers));
    }
    for (size_t j = 0; j < (size_t)h->k * (size_t)h->dim && !s.failed; j++) {
        if (!isfinite(h->centers[j])) {
            s.failed = 1;
        }
    }

    rc = s.failed ? crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                                  "corrupt model file: a centre in section \"" HCLUST_SECTION
                                  "\" is not finite")
                  : crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        crm_hclust_free(h);
        return rc;
    }
    *out = h;
    return CRM_OK;
}
