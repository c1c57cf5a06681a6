/* profile_internal.h: the profile object, shared by profile.c and profile_io.c. */
#ifndef CRM_PROFILE_INTERNAL_H
#define CRM_PROFILE_INTERNAL_H
#include <stdint.h>

#include <crmkit/profile.h>

struct crm_profile {
    int32_t k;
    int32_t n_features;
    int64_t n_rows;
    char **features;    /* n_features */
    int32_t *is_cat;    /* n_features */
    char *tier_by;      /* NULL when not tiered */
    char **names;       /* k, by label */
    int32_t *order;     /* k: segment shown at each rank */
    int64_t *sizes;     /* k */
    double *mean;       /* k x n_features */
    double *median;     /* k x n_features */
    double *pop_mean;   /* n_features */
    double *pop_median; /* n_features */
    double *pop_sd;     /* n_features */
    char **modes;       /* k x n_features, NULL for numeric features */
    double *mode_share; /* k x n_features */
};

crm_status crm__profile_alloc(int32_t k, int32_t n_features, crm_profile **out, crm_error *err);

#endif
