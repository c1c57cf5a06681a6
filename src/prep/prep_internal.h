/* prep_internal.h: the fitted cleaning transform, shared by prep.c (fit, transform) and
 * prep_io.c (save, load). Private to src/prep/. */
#ifndef CRM_PREP_INTERNAL_H
#define CRM_PREP_INTERNAL_H
#include <math.h>
#include <stdint.h>

#include <crmkit/io.h>
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
    int logged;        /* numeric: sign(v) ln(1 + |v|) after capping (crm_transform) */
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

/* Capped value of v (NaN passes through); *flag = 1 when capping changed it. */
static inline double crm__prep_clean(const prep_feature *pf, double v, double *flag)
{
    *flag = 0.0;
    if (v < pf->lo) {
        *flag = 1.0;
        return pf->lo;
    }
    if (v > pf->hi) {
        *flag = 1.0;
        return pf->hi;
    }
    return v;
}

/* The log transform of a capped value, when the feature has it. */
static inline double crm__prep_log(const prep_feature *pf, double v)
{
    if (!pf->logged) {
        return v;
    }
    return v < 0.0 ? -log1p(-v) : log1p(v);
}

/* Neighbours imputation of v[n] into out[n] (fallback at the ends). */
void crm__prep_impute_neighbours(const double *v, int64_t n, double fallback, double *out);
/* The largest magnitude a numeric feature value may have. Squares of such values summed over
 * ten billion rows and sixteen thousand features stay far below DBL_MAX (1e200 x 1e14), so
 * variances, distances and inertias cannot overflow into Inf or NaN downstream: a value of
 * 1e160 or 1e308 is refused with its file, line and column instead of giving NaN output. */
#define CRM__PREP_MAX_ABS 1e100
/* CRM_EDATA naming the first infinite value of numeric column col of t, or the first value
 * beyond +-CRM__PREP_MAX_ABS. */
crm_status
crm__prep_check_finite(const crm_table *t, int32_t col, const double *v, int64_t n, crm_error *err);

/* Build out[] from features and params, and the sorted level indices (fit and load). */
crm_status crm__prep_finish(crm_prep *prep, crm_error *err);
/* An empty object with room for n features. */
crm_status crm__prep_alloc(int32_t n_features, crm_prep **out, crm_error *err);

#endif
