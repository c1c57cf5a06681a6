/* prep_rows.h: a fitted crm_prep bound to one table, so that the library's own callers can
 * transform it a slice of rows at a time into a matrix they reuse (a batch of a million rows
 * then never needs a design matrix for all of them). Every row is transformed on its own, so
 * the slices give exactly the rows crm_prep_transform gives. */
#ifndef CRM_PREP_ROWS_H
#define CRM_PREP_ROWS_H
#include <stdint.h>

#include <crmkit/io.h>
#include <crmkit/matrix.h>
#include <crmkit/prep.h>

typedef struct crm__prep_rows crm__prep_rows;

/* Cells counted while transforming. */
typedef struct crm__prep_counts {
    int64_t unseen;  /* categorical cells whose level was not seen in training */
    int64_t missing; /* missing cells (NaN, or no level), before imputation */
} crm__prep_counts;

/* Find prep's features in t (borrowed until crm__prep_rows_free), build the level maps and
 * any imputed column. Errors as crm_prep_transform's, in the same order. */
crm_status
crm__prep_rows_bind(const crm_prep *prep, const crm_table *t, crm__prep_rows **out, crm_error *err);
/* Rows [i0, i1) of the table into out's first i1 - i0 rows (every cell written; out has
 * n_out columns), adding to *counts. An infinite value is CRM_EDATA naming the first one in
 * the whole table, as crm_prep_transform does. counts NULL: the rows of a table whose values
 * were checked before (prep fitted on it, or transformed once), neither counted nor checked
 * again, which makes the cleaning of numeric features about a fifth faster. */
crm_status crm__prep_rows_fill(const crm__prep_rows *b,
                               int64_t i0,
                               int64_t i1,
                               crm_matrix *out,
                               crm__prep_counts *counts,
                               crm_error *err);
void crm__prep_rows_free(crm__prep_rows *b); /* NULL is a no-op */

/* crm_prep_fit, then crm_prep_transform of the same table into *out (n_unseen not kept;
 * the values the fit checked are not checked again): the same prep and the same matrix. *prep is
 * the fit's even when the transform fails (the caller frees it). With two threads or more, every
 * feature numeric and no outlier flags (the matrix's shape known before the fit), one thread makes
 * the matrix's pages while another fits the features, and the rows are then filled in parallel. */
crm_status crm__prep_fit_transform(const crm_table *t,
                                   const char *const *features,
                                   int32_t n_features,
                                   const crm_prep_params *p,
                                   crm_prep **prep,
                                   crm_matrix *out,
                                   crm_error *err);

#endif
