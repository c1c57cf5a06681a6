/* classify_priv.h: the crm_classifier object, shared by the framework's own files
 * (classify.c, classify_data.c, classify_io.c, classify_eval.c). Algorithms never see it:
 * their interface is classify_internal.h. */
#ifndef CRM_CLASSIFY_PRIV_H
#define CRM_CLASSIFY_PRIV_H
#include <stdint.h>

#include <crmkit/io.h>
#include <crmkit/prep.h>

#include "classify_internal.h"

struct crm_classifier {
    crm_clf_algo algo;
    const crm__clf_algo *vt;
    void *model; /* the algorithm's fitted state */
    char *target;
    int32_t n_classes;
    char **class_names; /* [n_classes], sorted */
    int32_t n_features;
    char **features;        /* [n_features], the columns used */
    int needs;              /* CRM__CLF_NEEDS_* */
    crm_prep *prep_design;  /* NULL unless needs & DESIGN */
    crm_prep *prep_raw;     /* NULL unless needs & RAW */
    crm__clf_schema schema; /* names borrowed from the preps and class_names */
    const char **design_names;
    const char **raw_names;
    int32_t *raw_n_levels;
    const char ***raw_levels;
    int64_t n_train;
    double fit_seconds;
};

/* Text of a numeric class value: integers without a decimal point, others %.17g. */
void crm__clf_format_value(double v, char *buf, int32_t size);

/* Class names of the target over rows (NULL = all) of t, sorted, and y[n_sel] class indices.
 * Errors: CRM_ENOTFOUND (no such column), CRM_EDATA (missing target value, line named). */
crm_status crm__clf_target_classes(const crm_table *t,
                                   const char *target,
                                   const int64_t *rows,
                                   int64_t n_sel,
                                   char ***names_out,
                                   int32_t *n_classes_out,
                                   int32_t *y,
                                   crm_error *err);
/* Class index (into names[n]) of every selected row; -1 for a value that is no class. */
crm_status crm__clf_map_target(const crm_table *t,
                               const char *target,
                               char *const *names,
                               int32_t n,
                               const int64_t *rows,
                               int64_t n_sel,
                               int32_t *y,
                               int64_t *n_unknown,
                               crm_error *err);
/* A new table holding rows[n_sel] of the named columns of t (categorical levels by text). */
crm_status crm__clf_table_subset(const crm_table *t,
                                 char *const *cols,
                                 int32_t n_cols,
                                 const int64_t *rows,
                                 int64_t n_sel,
                                 crm_table **out,
                                 crm_error *err);
/* Feature columns from params, minus those constant or empty in the selected rows. */
crm_status crm__clf_select_features(const crm_table *t,
                                    const crm_classifier_params *p,
                                    const int64_t *rows,
                                    int64_t n_sel,
                                    char ***out,
                                    int32_t *n_out,
                                    crm_error *err);
/* Fill c->schema (and its arrays) from the fitted preps and class names. */
crm_status crm__clf_build_schema(crm_classifier *c, crm_error *err);

/* Free a NULL-terminated or counted array of strings. */
void crm__clf_free_strings(char **v, int32_t n);

#endif
