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

#endif
