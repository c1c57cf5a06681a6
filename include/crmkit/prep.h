/* crmkit/prep.h: fitted cleaning transforms from a crm_table to a numeric design matrix.
 *
 * Fitted on training data and stored in the model, so scoring applies exactly the transform
 * training used. Per numeric feature, in this order: imputation of missing values, optional
 * outlier flag, capping at fitted percentiles (winsorising), scaling. Categorical features are
 * one-hot encoded (one output column per training level; unseen levels at transform time
 * give all zeros and are counted) or ordinal (the level code, as a number; unseen = missing).
 *
 * Thread safety: a fitted crm_prep is read-only; transform may run on many threads at once. */
#ifndef CRMKIT_PREP_H
#define CRMKIT_PREP_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

typedef enum crm_impute {
    CRM_IMPUTE_NONE = 0,      /* missing values stay NaN (for models that handle them) */
    CRM_IMPUTE_MEAN = 1,      /* training mean of the column */
    CRM_IMPUTE_MEDIAN = 2,    /* training median of the column */
    CRM_IMPUTE_NEIGHBOURS = 3 /* mean of the previous and next present values in file order
                                 (as in the X-means telecom paper); column mean at the ends */
} crm_impute;

typedef enum crm_scale {
    CRM_SCALE_NONE = 0,
    CRM_SCALE_ZSCORE = 1, /* (x - mean) / std, population std (ddof 0, as StandardScaler) */
    CRM_SCALE_MINMAX = 2  /* (x - min) / (max - min) into [0, 1] on the training data */
} crm_scale;

typedef enum crm_encode {
    CRM_ENCODE_ONEHOT = 0,
    CRM_ENCODE_ORDINAL = 1
} crm_encode;

/* A log transform of numeric features, after capping and before scaling:
 * x -> sign(x) ln(1 + |x|) (log1p for the non-negative counts and amounts of customer
 * tables, defined for any value). With AUTO a feature is transformed when the skewness of its
 * cleaned training column (Fisher-Pearson, g1 = m3 / m2^1.5) exceeds CRM_PREP_SKEW_THRESHOLD:
 * a right tail long enough to let a few customers decide the distances. Profiles and
 * crm_prep_unscale map values back to original units. */
typedef enum crm_transform {
    CRM_TRANSFORM_NONE = 0,
    CRM_TRANSFORM_LOG = 1, /* every numeric feature */
    CRM_TRANSFORM_AUTO = 2 /* numeric features with skewness > CRM_PREP_SKEW_THRESHOLD */
} crm_transform;

#define CRM_PREP_SKEW_THRESHOLD 1.0

typedef struct crm_prep_params {
    crm_impute impute;
    double cap_low_pct;  /* percentile floor, e.g. 1; 0 = no floor */
    double cap_high_pct; /* percentile ceiling, e.g. 99; 100 = no ceiling */
    int outlier_flags;   /* add a 0/1 column per numeric feature: value was capped */
    crm_scale scale;
    crm_encode encode;
    crm_transform transform; /* default CRM_TRANSFORM_NONE */
} crm_prep_params;

typedef struct crm_prep crm_prep; /* opaque */

CRM_API crm_prep_params crm_prep_params_default(void); /* mean, no caps, zscore, one-hot */
CRM_API crm_status crm_prep_params_check(const crm_prep_params *p, crm_error *err);

/** Fit on the named feature columns of t (features[n_features], borrowed). Identifier columns
 *  cannot be features, nor can a name appear twice (CRM_EINVAL); an absent name is
 *  CRM_ENOTFOUND. A numeric column that is entirely missing, holds an infinite value, or is
 *  constant (after capping) when scaling needs a spread, is CRM_EDATA naming it (err->field).
 *  Statistics: fill values and cap percentiles (numpy's linear interpolation) from the present
 *  raw values; scaling statistics from the column after imputation and capping. An ordinal
 *  feature's missing values are filled with its most frequent level. *out owns a new object. */
CRM_API crm_status crm_prep_fit(const crm_table *t,
                                const char *const *features,
                                int32_t n_features,
                                const crm_prep_params *p,
                                crm_prep **out,
                                crm_error *err);
CRM_API void crm_prep_free(crm_prep *prep); /* NULL is a no-op */

/** The parameters the transform was fitted with. */
CRM_API crm_prep_params crm_prep_fitted_params(const crm_prep *prep);
/** Number of output columns of the design matrix. */
CRM_API int32_t crm_prep_n_out(const crm_prep *prep);
/** Borrowed name of output column j ("revenue", "plan=prepaid", "revenue_capped"). */
CRM_API const char *crm_prep_out_name(const crm_prep *prep, int32_t j);
/** Input feature that output column j comes from (index into the fitted feature list). */
CRM_API int32_t crm_prep_out_feature(const crm_prep *prep, int32_t j);
CRM_API int32_t crm_prep_n_features(const crm_prep *prep);
CRM_API const char *crm_prep_feature_name(const crm_prep *prep, int32_t f);
CRM_API crm_col_type crm_prep_feature_type(const crm_prep *prep, int32_t f);
/** 1 when numeric feature f goes through the log transform (crm_transform), else 0. */
CRM_API int crm_prep_feature_logged(const crm_prep *prep, int32_t f);
/** Levels seen in training for categorical feature f (0 for numeric); borrowed text. */
CRM_API int32_t crm_prep_feature_n_levels(const crm_prep *prep, int32_t f);
CRM_API const char *crm_prep_feature_level(const crm_prep *prep, int32_t f, int32_t code);

/** Apply the fitted transform to t, finding features by name (any column order). out is
 *  initialised here (n_rows x n_out). n_unseen (may be NULL) receives the number of
 *  categorical cells whose level was not seen in training. Errors: CRM_ENOTFOUND (a feature
 *  column is absent: the message names it), CRM_EDATA (a feature has another type), CRM_ENOMEM. */
CRM_API crm_status crm_prep_transform(const crm_prep *prep,
                                      const crm_table *t,
                                      crm_matrix *out,
                                      int64_t *n_unseen,
                                      crm_error *err);
/** Map one scaled value of output column j back to its original unit (for profiles); flag
 *  and one-hot columns are returned unchanged. */
CRM_API double crm_prep_unscale(const crm_prep *prep, int32_t j, double v);

/** Save into its own section ("prep") of w / load from r. */
CRM_API crm_status crm_prep_save(const crm_prep *prep, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_prep_load(const crm_model_reader *r, crm_prep **out, crm_error *err);

#endif
