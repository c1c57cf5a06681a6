/* crmkit/twolayer.h: the two-layer customer model. Layer 1 puts every customer into a group
 * by expert rules (splits by the mean, a threshold or quantiles, any and/or/not combination of
 * conditions, over table columns and derived columns such as a 0-99 revenue rank or a bill
 * item's share of the bill); layer 2 segments each group with its own features, algorithm
 * and k. A customer gets l1 (its group), l2 (its segment inside the group) and a segment name
 * "Group/S3".
 *
 * The rules come from a JSON spec (docs/formats/two-layer-spec.md). Every statistic a rule
 * uses (means, quantiles, rank cut points) is fitted on the training table and kept in the
 * model, so assign applies exactly the thresholds of the fit. A fitted model saves to one
 * model file of kind "twolayer": the rules with their fitted values, the layer-1 profile and
 * one embedded segmentation model per clustered group.
 *
 * Thread safety: a fitted or loaded model is read-only; assign may run on many threads at
 * once. new/fit/free need exclusive access. */
#ifndef CRMKIT_TWOLAYER_H
#define CRMKIT_TWOLAYER_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/profile.h>
#include <crmkit/progress.h>
#include <crmkit/segment.h>
#include <crmkit/status.h>

#define CRM_TWOLAYER_KIND "twolayer"

typedef struct crm_twolayer crm_twolayer; /* opaque */

typedef struct crm_twolayer_params { /* transparent; start from crm_twolayer_params_default() */
    const char *spec;                /* the JSON spec text (spec_len bytes; copied by _new) */
    size_t spec_len;
    const char *spec_source; /* names the spec in messages (its file name); NULL = "spec" */
    int32_t n_threads;       /* 0 = OpenMP default; never changes the result */
} crm_twolayer_params;

CRM_API crm_twolayer_params crm_twolayer_params_default(void);

/** Parse and check the spec; *out owns a new unfitted model. Errors: CRM_EPARSE (JSON syntax,
 *  with the line and column of the spec; a malformed rule expression; a wrong field type or
 *  an unknown field, naming its path such as layer1.groups[2].when), CRM_EINVAL (no spec),
 *  CRM_EUNSUPPORTED (an algorithm this build does not have; or built without Jansson),
 *  CRM_ENOMEM. */
CRM_API crm_status crm_twolayer_new(const crm_twolayer_params *p,
                                    crm_twolayer **out,
                                    crm_error *err);
/** Read the spec from a file and call crm_twolayer_new. Errors as _new, and CRM_ENOTFOUND,
 *  CRM_EIO for the file. */
CRM_API crm_status crm_twolayer_new_from_file(const char *spec_path,
                                              int32_t n_threads,
                                              crm_twolayer **out,
                                              crm_error *err);
CRM_API void crm_twolayer_free(crm_twolayer *tl); /* NULL is a no-op */

/** Compute the derived columns, fit the rules' statistics, put each row of t into its group,
 *  segment every group, profile both levels. t is borrowed for the call. A group that the
 *  rules leave empty, or with fewer customers than its k, is kept as one segment and noted in
 *  the warnings (crm_twolayer_warning). Errors: CRM_ENOTFOUND (a column named by the spec is
 *  absent; the message suggests the closest name), CRM_EDATA (a column of the wrong type; a
 *  group's data unusable for its segmentation, naming the group), CRM_ESTATE (already
 *  fitted), CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_twolayer_fit(crm_twolayer *tl,
                                    const crm_table *t,
                                    const crm_progress *progress,
                                    crm_error *err);

/** Place each row of t (columns by name, any order) into its group l1[n_rows] (0-based group
 *  index) and segment l2[n_rows] (0-based within the group); both caller-owned, l2 may be
 *  NULL. Errors: CRM_ESTATE (not fitted), CRM_ENOTFOUND, CRM_EDATA, CRM_ENOMEM. */
CRM_API crm_status crm_twolayer_assign(const crm_twolayer *tl,
                                       const crm_table *t,
                                       int32_t *l1,
                                       int32_t *l2,
                                       crm_error *err);

/** Save atomically as a "twolayer" model file / write into an open writer. */
CRM_API crm_status crm_twolayer_save(const crm_twolayer *tl, const char *path, crm_error *err);
CRM_API crm_status crm_twolayer_write(const crm_twolayer *tl, crm_model_writer *w, crm_error *err);
/** Load a "twolayer" model file. Errors: CRM_ENOTFOUND, CRM_EIO, CRM_EFORMAT (damaged,
 *  foreign, or another kind of model), CRM_ENOMEM. */
CRM_API crm_status crm_twolayer_load(const char *path, crm_twolayer **out, crm_error *err);
CRM_API crm_status crm_twolayer_read(const crm_model_reader *r, crm_twolayer **out, crm_error *err);

/* ---- results (borrowed; valid until _free) ---- */
CRM_API int crm_twolayer_is_fitted(const crm_twolayer *tl);
CRM_API int32_t crm_twolayer_n_groups(const crm_twolayer *tl);
CRM_API const char *crm_twolayer_group_name(const crm_twolayer *tl, int32_t g);
/** Customers of group g in the training table. */
CRM_API int64_t crm_twolayer_group_size(const crm_twolayer *tl, int32_t g);
/** Segments inside group g (1 when the group was not clustered). */
CRM_API int32_t crm_twolayer_group_k(const crm_twolayer *tl, int32_t g);
/** Layer-2 algorithm named by the spec for group g ("kmeans", "xmeans", "elbow", "none"). */
CRM_API const char *crm_twolayer_group_algo(const crm_twolayer *tl, int32_t g);
/** The segmenter of group g, or NULL when the group was not clustered. */
CRM_API const crm_segmenter *crm_twolayer_group_segmenter(const crm_twolayer *tl, int32_t g);
/** Name of segment s of group g: "S1".."Sk" unless the spec names them. */
CRM_API const char *crm_twolayer_segment_name(const crm_twolayer *tl, int32_t g, int32_t s);
/** Full segment label "Group/Name" into buf[size]; returns buf. */
CRM_API const char *
crm_twolayer_segment_label(const crm_twolayer *tl, int32_t g, int32_t s, char *buf, size_t size);
/** Layer-1 profile: one "segment" per group, over the columns the rules and the layer-2
 *  features use. */
CRM_API const crm_profile *crm_twolayer_profile(const crm_twolayer *tl);
/** Training labels (crm_twolayer_n_rows of each); NULL for a loaded model. */
CRM_API const int32_t *crm_twolayer_labels_l1(const crm_twolayer *tl);
CRM_API const int32_t *crm_twolayer_labels_l2(const crm_twolayer *tl);
CRM_API int64_t crm_twolayer_n_rows(const crm_twolayer *tl);
/** Notes from the fit (empty groups, groups too small to cluster, unmatched rows). */
CRM_API int32_t crm_twolayer_n_warnings(const crm_twolayer *tl);
CRM_API const char *crm_twolayer_warning(const crm_twolayer *tl, int32_t i);
/** The spec text the model was made from, and the source the model was fitted on. */
CRM_API const char *crm_twolayer_spec_text(const crm_twolayer *tl);
CRM_API const char *crm_twolayer_source(const crm_twolayer *tl);
/** Seconds of the fit (0 for a loaded model). */
CRM_API double crm_twolayer_seconds(const crm_twolayer *tl);

/** The table columns the model reads, each once: the inputs of the derived columns, the
 *  columns of the layer-1 rules, then every group's layer-2 features (derived columns are
 *  computed, not read). Fills names[i] (borrowed; valid until _free) and is_text[i] (1 for a
 *  categorical column; may be NULL) for i < cap, and returns the number of columns (which may
 *  exceed cap: call with cap 0 to ask), or -1 when out of memory. Used by the server to
 *  describe a two-layer model's inputs (its .proto and metadata). */
CRM_API int32_t crm_twolayer_inputs(const crm_twolayer *tl,
                                    const char **names,
                                    int *is_text,
                                    int32_t cap);
/** Segments of all groups together (the sum of crm_twolayer_group_k). */
CRM_API int32_t crm_twolayer_n_segments(const crm_twolayer *tl);
/** Number of segment s of group g among all segments: the groups in order, the segments of
 *  each group in order (0-based); the segment numbers the server predicts and labels files
 *  carry as segment_id. -1 out of range. */
CRM_API int32_t crm_twolayer_segment_index(const crm_twolayer *tl, int32_t g, int32_t s);

/** Value of derived column d for the rows of t as the model computes it (fitted rank cut
 *  points included): the name, and out[n_rows of t] caller-owned. For tests and reports.
 *  Errors: CRM_EINVAL (d out of range), CRM_ENOTFOUND, CRM_EDATA, CRM_ENOMEM. */
CRM_API int32_t crm_twolayer_n_derived(const crm_twolayer *tl);
CRM_API const char *crm_twolayer_derived_name(const crm_twolayer *tl, int32_t d);
CRM_API crm_status crm_twolayer_derived_values(const crm_twolayer *tl,
                                               const crm_table *t,
                                               int32_t d,
                                               double *out,
                                               crm_error *err);

#endif
