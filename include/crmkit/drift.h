/* crmkit/drift.h: has the customer base moved since a model was fitted? The population
 * stability index (PSI) of each feature and of the segment shares, between the training data
 * and new data.
 *
 * A drift reference holds, for each feature, the distribution of the training data over
 * fixed bins:
 *   numeric      bin edges at the training quantiles i / n_bins (i = 1 .. n_bins - 1, numpy's
 *                linear interpolation, over the present values; repeated edges merged, so a
 *                column with heavy ties has fewer bins); a value x falls in the first bin whose
 *                upper edge is >= x, the last bin above every edge; plus one bin for missing
 *                values;
 *   categorical  one bin per training level, plus one for missing values and levels the
 *                training data did not have.
 * The shares of the training rows in those bins are stored with the edges, so new data is
 * binned exactly as the training data was.
 *
 * PSI of a reference distribution p and a new one q over the same bins:
 *   PSI = sum_b (q_b - p_b) ln(q_b / p_b),
 * each share floored at CRM_DRIFT_EPS first, so a bin empty on one side counts without making
 * the index infinite (a bin empty on both sides adds 0). Conventional reading (Siddiqi 2006,
 * "Credit Risk Scorecards"): below 0.1 stable, 0.1 to 0.25 a moderate shift worth watching,
 * above 0.25 a significant shift: the model should be refitted.
 *
 * Segmentation models fitted by this version keep a reference in the optional model section
 * "driftref" (crm_segmenter_drift_ref); older model files have none and still load.
 *
 * Thread safety: a fitted or loaded reference is read-only and may be shared. */
#ifndef CRMKIT_DRIFT_H
#define CRMKIT_DRIFT_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/status.h>

#define CRM_DRIFT_EPS         1e-4 /* floor of a share inside the PSI */
#define CRM_DRIFT_MODERATE    0.1  /* PSI from here: a moderate shift */
#define CRM_DRIFT_SIGNIFICANT 0.25 /* PSI above this: drifted, refit the model */
#define CRM_DRIFT_BINS        10   /* default quantile bins of a numeric feature */

typedef struct crm_drift_ref crm_drift_ref; /* opaque */

/** PSI of shares p[n] (reference) and q[n] (new), as defined above. */
CRM_API double crm_drift_psi(const double *p, const double *q, int32_t n);

/** Fit a reference on the named feature columns of t (borrowed for the call) with n_bins
 *  quantile bins per numeric feature (2 .. 100). Identifier columns are refused. Errors:
 *  CRM_EINVAL (n_bins, no feature), CRM_ENOTFOUND (a column is absent), CRM_EDATA (an
 *  identifier column), CRM_ENOMEM. O(n_rows log n_rows) per numeric feature. */
CRM_API crm_status crm_drift_ref_fit(const crm_table *t,
                                     const char *const *features,
                                     int32_t n_features,
                                     int32_t n_bins,
                                     crm_drift_ref **out,
                                     crm_error *err);
CRM_API void crm_drift_ref_free(crm_drift_ref *d); /* NULL is a no-op */

CRM_API int32_t crm_drift_ref_n_features(const crm_drift_ref *d);
/** Borrowed name of feature f; NULL out of range. */
CRM_API const char *crm_drift_ref_feature(const crm_drift_ref *d, int32_t f);
/** Rows the reference was fitted on. */
CRM_API int64_t crm_drift_ref_n_rows(const crm_drift_ref *d);
/** Bins of feature f (the missing/other bin included, last); 0 out of range. */
CRM_API int32_t crm_drift_ref_n_bins(const crm_drift_ref *d, int32_t f);
/** Borrowed training shares of feature f's bins (crm_drift_ref_n_bins of them). */
CRM_API const double *crm_drift_ref_shares(const crm_drift_ref *d, int32_t f);
/** Borrowed upper edges of a numeric feature's bins (*n receives the count, the number of
 *  bins minus 2); NULL for a categorical feature. */
CRM_API const double *crm_drift_ref_edges(const crm_drift_ref *d, int32_t f, int32_t *n);

/** Shares of the rows of t over feature f's bins, into q[crm_drift_ref_n_bins] (caller-owned),
 *  the column found by name. Errors: CRM_ENOTFOUND (no such column), CRM_EDATA (the column
 *  has another type: numeric where the reference is categorical or the other way round). */
CRM_API crm_status
crm_drift_ref_bin(const crm_drift_ref *d, int32_t f, const crm_table *t, double *q, crm_error *err);
/** PSI of every feature between the reference and t: psi[crm_drift_ref_n_features]
 *  (caller-owned). Errors: those of crm_drift_ref_bin, CRM_EDATA (t has no rows), CRM_ENOMEM. */
CRM_API crm_status crm_drift_ref_psi(const crm_drift_ref *d,
                                     const crm_table *t,
                                     double *psi,
                                     crm_error *err);

/** Save into its own section ("driftref") of w / load from r (CRM_EFORMAT when damaged). */
CRM_API crm_status crm_drift_ref_save(const crm_drift_ref *d, crm_model_writer *w, crm_error *err);
CRM_API crm_status crm_drift_ref_load(const crm_model_reader *r,
                                      crm_drift_ref **out,
                                      crm_error *err);

#endif
