/* crmkit/optigrid.h: OptiGrid (Hinneburg & Keim 1999, "Optimal grid-clustering: towards
 * breaking the curse of dimensionality in high-dimensional clustering").
 *
 * The space is cut recursively by axis-parallel cutting planes placed where the projected
 * density is lowest. For a cell, the rows are projected on each axis (the contracting
 * projections used here are the coordinate axes) and a histogram of `bins` bins (fewer for a
 * small cell: 2 n^(1/3) at most for n rows, Rice's rule, so that bins are not mostly sampling
 * noise), smoothed by
 * the binomial kernel [1 4 6 4 1]/16, estimates the density. A candidate plane sits at the
 * lowest point between two neighbouring maxima that both reach the noise level
 * xi = noise * (rows of the cell / bins); it counts only when that low point is at most half the
 * lower of the two maxima (a real valley, not sampling noise). The best plane of all axes (the
 * lowest density; ties: the lowest axis, then the leftmost) splits the cell into two (q = 1
 * plane per step, the paper's simplest choice), and both sides are cut again, down to max_depth.
 * A cell with no plane is a cluster when it holds at least min_size rows, else its rows are
 * noise (label -1). Clusters are numbered in the order their cells are reached depth first,
 * left before right.
 *
 * The model is the tree of planes: assign drops a row down it, so assigning the training rows
 * gives their training labels. Memory O(n); time O(n dim depth).
 * Thread safety: a fitted crm_optigrid is read-only. Same data, same result. */
#ifndef CRMKIT_OPTIGRID_H
#define CRMKIT_OPTIGRID_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

typedef struct crm_optigrid crm_optigrid; /* opaque */

typedef struct crm_optigrid_params { /* transparent; start from crm_optigrid_params_default() */
    int32_t bins;                    /* histogram bins per axis, in [4, 100000] (default 64) */
    double noise;                    /* noise level as a fraction of the mean bin count (0.5),
                                        >= 0 */
    int32_t min_size;                /* rows for a cell to be a cluster, >= 1 (default 10) */
    int32_t max_depth;               /* cuts along one path at most, in [1, 64] (default 24) */
} crm_optigrid_params;

CRM_API crm_optigrid_params crm_optigrid_params_default(void);
CRM_API crm_status crm_optigrid_params_check(const crm_optigrid_params *p, crm_error *err);
/** Errors: CRM_EINVAL, CRM_EDATA (no rows, a value that is not finite), CRM_ENOMEM. */
CRM_API crm_status crm_optigrid_fit(const crm_optigrid_params *p,
                                    const crm_matrix *x,
                                    crm_optigrid **out,
                                    crm_error *err);
CRM_API void crm_optigrid_free(crm_optigrid *g); /* NULL is a no-op */
/** Label of the cell each row falls in (-1: a noise cell). CRM_EINVAL for another dimension. */
CRM_API crm_status crm_optigrid_assign(const crm_optigrid *g,
                                       const crm_matrix *x,
                                       int32_t *labels,
                                       crm_error *err);
CRM_API int32_t crm_optigrid_k(const crm_optigrid *g); /* clusters (noise not counted) */
CRM_API int32_t crm_optigrid_dim(const crm_optigrid *g);
CRM_API int32_t crm_optigrid_n_cuts(const crm_optigrid *g);
CRM_API crm_optigrid_params crm_optigrid_params_used(const crm_optigrid *g);
/** Training labels (-1 noise), NULL after load. */
CRM_API const int32_t *crm_optigrid_labels(const crm_optigrid *g);
/** Save into section "optigrid" (the tree of planes) / load it. */
CRM_API crm_status crm_optigrid_save(const crm_optigrid *g, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_optigrid_load(const crm_model_reader *r, crm_optigrid **out, crm_error *err);

#endif
