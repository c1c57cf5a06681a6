/* gbt_internal.h: the parts of the boosted-tree learner shared by gbt.c (boosting loop,
 * prediction, files) and gbt_tree.c (binning, histograms, leaf-wise growth). */
#ifndef CRM_GBT_INTERNAL_H
#define CRM_GBT_INTERNAL_H
#include <stdint.h>

#include <crmkit/gbt.h>
#include <crmkit/matrix.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>

#define CRM__GBT_MISSING_BIN 255 /* bin of NaN in every feature */
#define CRM__GBT_HIST_BINS   256 /* histogram stride per feature */

/* Flattened tree node for prediction. Children of a node are adjacent (left, left + 1) and
 * come after it, so a file's trees cannot loop. */
typedef struct crm__gbt_node {
    double v;      /* threshold of an internal node (x <= v goes left), or leaf value */
    int32_t feat;  /* feature of an internal node; -1 for a leaf */
    uint32_t kids; /* (index of the left child within the tree << 1) | missing-goes-right */
} crm__gbt_node;

/* Fitted bin edges: value x of feature f falls in the first bin b with x <= thr[f][b]
 * (the last bin if none); NaN falls in CRM__GBT_MISSING_BIN. */
typedef struct crm__gbt_mapper {
    int32_t nf;
    int32_t *n_bins; /* [nf] non-missing bins, >= 1 */
    double *thr;     /* [nf * 255] upper edges; thr[f*255 + b] for b < n_bins[f] - 1 */
} crm__gbt_mapper;

/* Rows to boost on, binned: column-major bins[f * n + i]. */
typedef struct crm__gbt_binned {
    int64_t n;
    int32_t nf;
    uint8_t *bins;
    uint8_t *has_missing; /* [nf]: the feature has a missing value in these rows */
} crm__gbt_binned;

typedef struct crm__gbt_grower crm__gbt_grower;

/* Fit bin edges on rows[n] of x (rows NULL = the first n rows), on a random subsample of
 * 200,000 rows when there are more. */
crm_status crm__gbt_mapper_fit(const crm_matrix *x,
                               const int64_t *rows,
                               int64_t n,
                               int32_t max_bins,
                               crm_rng *rng,
                               int nt,
                               crm__gbt_mapper *m,
                               crm_error *err);
void crm__gbt_mapper_fini(crm__gbt_mapper *m);
/* Bin rows[n] of x (rows NULL = the first n rows) into b (allocated here). */
crm_status crm__gbt_bin(const crm__gbt_mapper *m,
                        const crm_matrix *x,
                        const int64_t *rows,
                        int64_t n,
                        int nt,
                        crm__gbt_binned *b,
                        crm_error *err);
void crm__gbt_binned_fini(crm__gbt_binned *b);

crm_status crm__gbt_grower_new(const crm__gbt_binned *b,
                               const crm__gbt_mapper *m,
                               const crm_gbt_params *p,
                               int nt,
                               crm__gbt_grower **out,
                               crm_error *err);
void crm__gbt_grower_free(crm__gbt_grower *gr);
/* Make the grower one of several ranks (crmkit/dist.h) that each hold a part of the n_total
 * training rows: every histogram is added over the ranks (MPI_Allreduce of its integers) and
 * the fixed-point grid is taken from every rank's gradients, so all ranks grow the same tree
 * (each updating its own rows' scores). Every rank must then call crm__gbt_grow for every
 * tree, in the same order. */
void crm__gbt_grower_distribute(crm__gbt_grower *gr, int64_t n_total);
/* Tests only: 1 makes crm_gbt_fit take the distributed path (my rows, agreed missing values,
 * reduced histograms and losses) in one process, where every collective is a local no-op, so
 * that path runs under the sanitizers, which the mpirun tests skip. */
extern int crm__gbt_force_dist;
/* Grow one tree on gradients g[n] and Hessians h[n] (float32, as scikit-learn keeps them;
 * summed exactly as fixed-point integers, see gbt_tree.c); add each row's leaf value to
 * raw[i * stride]; append the flattened tree to *nodes (capacity *cap, count *n_nodes,
 * grown with crm_realloc). *n_leaves receives its number of leaves. gain[nf] (may be NULL)
 * accumulates, per feature, the loss reduction of the tree's splits on it: half the split
 * gain, the second-order estimate (G_L^2/(H_L+l) + G_R^2/(H_R+l) - G^2/(H+l)) / 2 of the
 * decrease of the summed training loss. */
crm_status crm__gbt_grow(crm__gbt_grower *gr,
                         const float *g,
                         const float *h,
                         double *raw,
                         int32_t stride,
                         crm__gbt_node **nodes,
                         int64_t *n_nodes,
                         int64_t *cap,
                         int32_t *n_leaves,
                         double *gain,
                         crm_error *err);

/* Value of one tree (nodes from its root) at row x. */
static inline double crm__gbt_tree_value(const crm__gbt_node *t, const double *x)
{
    int32_t i = 0;
    while (t[i].feat >= 0) {
        double v = x[t[i].feat];
        uint32_t k = t[i].kids;
        uint32_t right = !(v <= t[i].v);
        if (v != v) {
            right = k & 1u;
        }
        i = (int32_t)(k >> 1) + (int32_t)right;
    }
    return t[i].v;
}

#endif
