/* crmkit/matrix.h: a dense row-major matrix of doubles, the shared currency of the numeric
 * modules. Each row is contiguous; ld (row stride in elements) >= n_cols; data is 64-byte
 * aligned when it comes from crm_matrix_init. */
#ifndef CRMKIT_MATRIX_H
#define CRMKIT_MATRIX_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_matrix {
    int64_t n_rows;
    int64_t n_cols;
    int64_t ld;
    double *data;
} crm_matrix;

#define CRM_ROW(m, i) ((m)->data + (int64_t)(i) * (m)->ld)

/** Allocate an n_rows x n_cols matrix filled with zeros (ld = n_cols). m is caller-owned;
 *  release the data with crm_matrix_fini. Errors: CRM_EINVAL (negative size), CRM_ENOMEM. */
CRM_API crm_status crm_matrix_init(crm_matrix *m, int64_t n_rows, int64_t n_cols, crm_error *err);
/** Free the data and zero the struct. NULL or an empty matrix is a no-op. */
CRM_API void crm_matrix_fini(crm_matrix *m);
/** A view of rows [first, first + n) of m; borrows m's data. */
CRM_API crm_matrix crm_matrix_rows(const crm_matrix *m, int64_t first, int64_t n);
/** Deep copy of src into dst (dst is initialised here). */
CRM_API crm_status crm_matrix_copy(crm_matrix *dst, const crm_matrix *src, crm_error *err);
/** CRM_EDATA naming the first non-finite cell (row and column, 1-based) if there is one. */
CRM_API crm_status crm_matrix_check_finite(const crm_matrix *m, crm_error *err);

#endif
