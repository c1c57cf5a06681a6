/* segment_internal.h: the segmenter object, shared by segment.c and segment_io.c. */
#ifndef CRM_SEGMENT_INTERNAL_H
#define CRM_SEGMENT_INTERNAL_H
#include <stdint.h>

#include <crmkit/drift.h>
#include <crmkit/segment.h>
#include <crmkit/validity.h>

enum {
    SEG_T_PREP = 0,
    SEG_T_CLUSTER,
    SEG_T_PROFILE,
    SEG_T_TOTAL,
    SEG_T_CHOOSE, /* with a sample: k-means (and the choice of k) on it */
    SEG_T_FULL,   /* with a sample: the Lloyd iterations over every row */
    SEG_T_DRIFT,  /* the drift reference (the features' distributions) */
    SEG_T_COUNT
};
/* The stages a model file keeps (prep, cluster, profile, total): the format's four. */
#define SEG_T_SAVED (SEG_T_TOTAL + 1)

struct crm_segmenter {
    crm_segment_method method;
    crm_segment_algo algo;
    int32_t k;
    int32_t kmin;
    int32_t kmax;
    crm_prep *prep;
    crm_kmeans *km;   /* k-means only */
    crm_kmodes *kmo;  /* k-modes / k-prototypes only */
    crm_hclust *hc;   /* hierarchical only */
    crm_birch *bi;    /* BIRCH only */
    crm_gmm *gm;      /* EM only */
    crm_dbscan *db;   /* DBSCAN only */
    crm_optigrid *og; /* OptiGrid only */
    crm_denclue *dc;  /* DENCLUE only */
    crm_profile *profile;
    int32_t *labels; /* training labels; NULL when loaded */
    int64_t n_rows;  /* training rows */
    double inertia;
    int32_t n_iter;
    double bic;    /* X-means only, else NaN */
    double *curve; /* elbow only */
    int32_t curve_kmin;
    int32_t n_curve;
    double seconds[SEG_T_COUNT];
    char *source;
    crm_segment_kscore *table; /* sweep only */
    int32_t n_table;
    int32_t chosen_row;
    uint8_t *outlier; /* training rows; NULL when none or loaded */
    int64_t n_outliers;
    crm_drift_ref *drift; /* training distribution of the features; NULL in older files */
    int64_t sample_rows;  /* rows of the sample k was chosen on; 0 = all */
};

/* The cleaned matrix split for k-modes / k-prototypes (segment_algo.c). */
typedef struct crm__seg_mixed {
    crm_mixed x; /* views of the arrays below */
    double *num;
    int32_t *cat;
    int32_t *levels;
} crm__seg_mixed;

crm_status
crm__segment_mixed(const crm_prep *prep, const crm_matrix *x, crm__seg_mixed *m, crm_error *err);
void crm__segment_mixed_fini(crm__seg_mixed *m);
/* Fit k-modes, k-prototypes or hierarchical on the cleaned x; sets k, inertia, n_iter and the
 * training labels. */
crm_status crm__segment_fit_algo(crm_segmenter *seg,
                                 const crm_segment_params *p,
                                 const crm_matrix *x,
                                 const crm_progress *progress,
                                 crm_error *err);
/* A new seg->curve for k = kmin..kmax (seg->curve_kmin, seg->n_curve set). */
crm_status crm__segment_curve_new(crm_segmenter *seg, int32_t kmin, int32_t kmax, crm_error *err);
crm_status crm__segment_assign_algo(const crm_segmenter *seg,
                                    const crm_matrix *x,
                                    int32_t *labels,
                                    double *dist,
                                    crm_error *err);
/* Remove the clusters of *km holding fewer than min_share of x's rows (the largest always
 * stays): their rows become outliers, the other centres are refined on the other rows, and
 * every row is labelled with its nearest remaining centre. *km may be replaced. New arrays
 * *labels and *outlier (n_rows each). */
crm_status crm__segment_prune(crm_kmeans **km,
                              const crm_matrix *x,
                              double min_share,
                              const crm_kmeans_params *kp,
                              int32_t **labels,
                              uint8_t **outlier,
                              int64_t *n_outliers,
                              crm_error *err);
/* CRM_SEGMENT_SWEEP: fills seg->table, km, labels, outlier (segment_auto.c). */
crm_status crm__segment_sweep(crm_segmenter *seg,
                              const crm_segment_params *p,
                              const crm_matrix *x,
                              const crm_progress *progress,
                              crm_error *err);

/* Rows of the sample for p and n rows (0: use every row). */
int64_t crm__segment_sample_size(const crm_segment_params *p, int64_t n);
/* m rows of x drawn uniformly without replacement by the seed (in table order) into a new
 * matrix xs. */
crm_status
crm__segment_sample(const crm_matrix *x, int64_t m, uint64_t seed, crm_matrix *xs, crm_error *err);

/* The same draw from float rows xf (n x dim), widened to double into xs; m == n copies
 * every row. */
crm_status crm__segment_sample_f32(const float *xf,
                                   int64_t n,
                                   int64_t dim,
                                   int64_t m,
                                   uint64_t seed,
                                   crm_matrix *xs,
                                   crm_error *err);

/* The same draw from n rows whose first head->n_rows are stored in head (n_cols columns), the
 * others cleaned from a table one at a time (prep/prep_rows.h). */
struct crm__prep_rows;
crm_status crm__segment_sample_rows(const struct crm__prep_rows *rows,
                                    const crm_matrix *head,
                                    int64_t n,
                                    int64_t m,
                                    uint64_t seed,
                                    crm_matrix *xs,
                                    crm_error *err);

crm_status crm__segment_check_missing(const crm_prep *prep,
                                      const crm_table *t,
                                      const crm_matrix *x,
                                      crm_error *err);
crm_status crm__segment_check_missing_from(const crm_prep *prep,
                                           const crm_table *t,
                                           const crm_matrix *x,
                                           int64_t first,
                                           crm_error *err);

#endif
