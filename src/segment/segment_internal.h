/* segment_internal.h: the segmenter object, shared by segment.c and segment_io.c. */
#ifndef CRM_SEGMENT_INTERNAL_H
#define CRM_SEGMENT_INTERNAL_H
#include <stdint.h>

#include <crmkit/segment.h>

enum {
    SEG_T_PREP = 0,
    SEG_T_CLUSTER,
    SEG_T_PROFILE,
    SEG_T_TOTAL,
    SEG_T_COUNT
};

struct crm_segmenter {
    crm_segment_method method;
    crm_segment_algo algo;
    int32_t k;
    int32_t kmin;
    int32_t kmax;
    crm_prep *prep;
    crm_kmeans *km;  /* k-means only */
    crm_kmodes *kmo; /* k-modes / k-prototypes only */
    crm_hclust *hc;  /* hierarchical only */
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
};

crm_status crm__segment_check_missing(const crm_prep *prep,
                                      const crm_table *t,
                                      const crm_matrix *x,
                                      crm_error *err);

#endif
