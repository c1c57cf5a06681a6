/* matrix.c: the dense row-major matrix. */
#include <math.h>
#include <string.h>

#include <crmkit/matrix.h>

#include "core_internal.h"

crm_status crm__matrix_alloc(crm_matrix *m, int64_t n_rows, int64_t n_cols, crm_error *err)
{
    size_t cells;
    memset(m, 0, sizeof *m);
    if (n_rows < 0 || n_cols < 0) {
        return crm__error_set(err, CRM_EINVAL, "matrix size %lld x %lld is negative",
                              (long long)n_rows, (long long)n_cols);
    }
    if (n_cols > 0 && (uint64_t)n_rows > SIZE_MAX / sizeof(double) / (uint64_t)n_cols) {
        return crm__error_set(err, CRM_ELIMIT, "matrix %lld x %lld is too large", (long long)n_rows,
                              (long long)n_cols);
    }
    cells = (size_t)n_rows * (size_t)n_cols;
    m->data = crm_aligned_alloc(cells * sizeof(double));
    if (m->data == NULL) {
        return crm__error_nomem(err);
    }
    m->n_rows = n_rows;
    m->n_cols = n_cols;
    m->ld = n_cols;
    return CRM_OK;
}

crm_status crm_matrix_init(crm_matrix *m, int64_t n_rows, int64_t n_cols, crm_error *err)
{
    crm_status rc = crm__matrix_alloc(m, n_rows, n_cols, err);
    if (rc == CRM_OK && m->n_rows * m->n_cols > 0) {
        memset(m->data, 0, (size_t)(m->n_rows * m->n_cols) * sizeof(double));
    }
    return rc;
}

void crm_matrix_fini(crm_matrix *m)
{
    if (m == NULL) {
        return;
    }
    crm_aligned_free(m->data);
    memset(m, 0, sizeof *m);
}

crm_matrix crm_matrix_rows(const crm_matrix *m, int64_t first, int64_t n)
{
    crm_matrix v = *m;
    v.data = m->data + first * m->ld;
    v.n_rows = n;
    return v;
}

crm_status crm_matrix_copy(crm_matrix *dst, const crm_matrix *src, crm_error *err)
{
    crm_status rc = crm_matrix_init(dst, src->n_rows, src->n_cols, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (int64_t i = 0; i < src->n_rows; i++) {
        memcpy(CRM_ROW(dst, i), CRM_ROW(src, i), (size_t)src->n_cols * sizeof(double));
    }
    return CRM_OK;
}

crm_status crm__error_nonfinite(crm_error *err, int64_t i, int64_t j, double v)
{
    return crm__error_set(err, CRM_EDATA, "value at row %lld, column %lld is not finite (%g)",
                          (long long)(i + 1), (long long)(j + 1), v);
}

crm_status crm_matrix_check_finite(const crm_matrix *m, crm_error *err)
{
    return crm__matrix_check_finite_rows(m, 0, m->n_rows, err);
}

/* Whether a value of v[0, n) is infinite or NaN (its exponent bits all set), tested as
 * integers with no early exit: a loop the compiler vectorises. */
CRM__CLONES
static int any_nonfinite(const double *v, int64_t n)
{
    const uint64_t exp = UINT64_C(0x7FF0000000000000);
    uint64_t hit = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        hit |= (bits & exp) == exp;
    }
    return hit != 0;
}

crm_status
crm__matrix_check_finite_rows(const crm_matrix *m, int64_t i0, int64_t i1, crm_error *err)
{
    /* blocks of rows looked at whole first (rows are contiguous when ld is n_cols); only a
     * block with a bad value is searched for the first one */
    enum {
        BLOCK = 1024
    };
    if (m->ld == m->n_cols) {
        while (i1 - i0 >= BLOCK && !any_nonfinite(CRM_ROW(m, i0), BLOCK * m->n_cols)) {
            i0 += BLOCK;
        }
        if (i0 < i1 && !any_nonfinite(CRM_ROW(m, i0), (i1 - i0) * m->n_cols)) {
            return CRM_OK;
        }
    }
    for (int64_t i = i0; i < i1; i++) {
        const double *row = CRM_ROW(m, i);
        for (int64_t j = 0; j < m->n_cols; j++) {
            if (!isfinite(row[j])) {
                return crm__error_nonfinite(err, i, j, row[j]);
            }
        }
    }
    return CRM_OK;
}
