/* prep_internal.h: the fitted cleaning transform, shared by prep.c (fit, transform) and
 * prep_io.c (save, load). Private to src/prep/. */
#ifndef CRM_PREP_INTERNAL_H
#define CRM_PREP_INTERNAL_H
#include <stdint.h>

#include <crmkit/prep.h>

/* What an output column of the design matrix holds. */
typedef enum prep_out_kind {
    PREP_OUT_VALUE = 0, /* the numeric value (imputed, capped, scaled) or the ordinal code */
    PREP_OUT_FLAG = 1,  /* 1 when the value was capped (outlier flag), else 0 */
    PREP_OUT_LEVEL = 2  /* one-hot: 1 when the level is this one */
} prep_out_kind;

typedef struct prep_feature {
    char *name;
    crm_col_type type; /* CRM_COL_NUMERIC or CRM_COL_CATEGORICAL */
    double fill;       /* imputation value: mean or median (numeric), modal code (ordinal) */
    double lo;         /* cap floor, -inf when none */
    double hi;         /* cap ceiling, +inf when none */
    double center;     /* scaled = (v - center) / scale */
    double scale;      /* > 0 */
    int32_t n_levels;  /* categorical only */
    char **levels;     /* training levels in their code order */
    int32_t *sorted;   /* level codes sorted by text, for lookups */
} prep_feature;

typedef struct prep_out {
    char *name;
    int32_t feature;
    prep_out_kind kind;
    int32_t level; /* PREP_OUT_LEVEL only */
} prep_out;

struct crm_prep {
    crm_prep_params params;
    int32_t n_features;
    prep_feature *features;
    int32_t n_out;
    prep_out *out;
};

/* Build out[] from features and params, and the sorted level indices (fit and load). */
crm_status crm__prep_finish(crm_prep *prep, crm_error *err);
/* An empty object with room for n features. */
crm_status crm__prep_alloc(int32_t n_features, crm_prep **out, crm_error *err);

#endif
