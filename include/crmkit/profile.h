/* crmkit/profile.h: describing and naming the segments of a labelling.
 *
 * A profile holds, per segment, its size and share of the customers, and for each feature in
 * its original units (taken from the table, not from the scaled matrix): the mean and the
 * median of the present values, how the mean differs from the whole population (the ratio of
 * the means, and the standardised difference (mean_s - mean) / sd with the population
 * standard deviation), and for a categorical feature the most common level and its share.
 *
 * Segments are named either from a list (one name per segment, in label order), or by tiers
 * of a value column: segments ranked by the mean of that column, highest first, are called
 * Platinum, Gold, Silver, Bronze; with more than four segments the ranks are spread evenly
 * over those four tiers and numbered within a tier ("Gold 1", "Gold 2"). Without either,
 * segments are called "Segment 1" .. "Segment k" (label + 1).
 *
 * Thread safety: a computed or loaded profile is read-only and may be shared. */
#ifndef CRMKIT_PROFILE_H
#define CRMKIT_PROFILE_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

typedef struct crm_profile crm_profile; /* opaque */

typedef struct crm_profile_params { /* transparent; start from crm_profile_params_default() */
    const char *tier_by;            /* numeric column to rank segments by; NULL = no tiers */
    const char *const *names;       /* n_names names in label order; NULL = none */
    int32_t n_names;                /* must equal k when names is given */
} crm_profile_params;

CRM_API crm_profile_params crm_profile_params_default(void);

/** Profile the labelling labels[n_rows] (values in [0, k)) of table t over the named features
 *  (borrowed for the call). The tier column need not be one of the features. Errors:
 *  CRM_EINVAL (k < 1, a label out of range, names count differs from k, an empty or repeated
 *  name), CRM_ENOTFOUND (a feature or the tier column is absent), CRM_EDATA (the tier column
 *  is not numeric), CRM_ENOMEM. O(n_rows * n_features). */
CRM_API crm_status crm_profile_compute(const crm_table *t,
                                       const char *const *features,
                                       int32_t n_features,
                                       const int32_t *labels,
                                       int32_t k,
                                       const crm_profile_params *p,
                                       crm_profile **out,
                                       crm_error *err);
CRM_API void crm_profile_free(crm_profile *pr); /* NULL is a no-op */

/** Replace the names (n == k, in label order; copied). Errors: CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_profile_set_names(crm_profile *pr,
                                         const char *const *names,
                                         int32_t n,
                                         crm_error *err);

CRM_API int32_t crm_profile_k(const crm_profile *pr);
CRM_API int64_t crm_profile_n_rows(const crm_profile *pr);
CRM_API int32_t crm_profile_n_features(const crm_profile *pr);
/** Borrowed feature name; NULL out of range. */
CRM_API const char *crm_profile_feature(const crm_profile *pr, int32_t f);
/** 1 when feature f is categorical (means are then NaN; see crm_profile_mode). */
CRM_API int crm_profile_is_categorical(const crm_profile *pr, int32_t f);
/** Tier column, or NULL when segments were not named by tiers. Borrowed. */
CRM_API const char *crm_profile_tier_by(const crm_profile *pr);
/** Segment shown at position rank (0 = first): by tier when tiers were used, else label order. */
CRM_API int32_t crm_profile_order(const crm_profile *pr, int32_t rank);

CRM_API const char *crm_profile_name(const crm_profile *pr, int32_t s); /* borrowed */
CRM_API int64_t crm_profile_size(const crm_profile *pr, int32_t s);
CRM_API double crm_profile_share(const crm_profile *pr, int32_t s); /* size / n_rows */
/** Mean and median of the present values of feature f in segment s (NaN when none). */
CRM_API double crm_profile_mean(const crm_profile *pr, int32_t s, int32_t f);
CRM_API double crm_profile_median(const crm_profile *pr, int32_t s, int32_t f);
/** Population (all rows) mean, median and standard deviation (ddof 0) of feature f. */
CRM_API double crm_profile_pop_mean(const crm_profile *pr, int32_t f);
CRM_API double crm_profile_pop_median(const crm_profile *pr, int32_t f);
CRM_API double crm_profile_pop_sd(const crm_profile *pr, int32_t f);
/** mean_s / mean_pop (NaN when the population mean is 0). */
CRM_API double crm_profile_ratio(const crm_profile *pr, int32_t s, int32_t f);
/** (mean_s - mean_pop) / sd_pop (0 when sd_pop is 0). */
CRM_API double crm_profile_std_diff(const crm_profile *pr, int32_t s, int32_t f);
/** Most common level of categorical feature f in segment s (borrowed; NULL if none) and its
 *  share among the segment's present values (share may be NULL). */
CRM_API const char *crm_profile_mode(const crm_profile *pr, int32_t s, int32_t f, double *share);

/** Save into its own section ("profile") of w / load from r. */
CRM_API crm_status crm_profile_save(const crm_profile *pr, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_profile_load(const crm_model_reader *r, crm_profile **out, crm_error *err);

#endif
