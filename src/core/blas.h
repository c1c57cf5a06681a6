/* blas.h: the matrix product through OpenBLAS (linked, found by pkg-config). */
#ifndef CRM_CORE_BLAS_H
#define CRM_CORE_BLAS_H
#include <cblas.h>

_Static_assert(sizeof(blasint) == sizeof(int), "cblas_dgemm is called with int indices");

/* cblas_dgemm: C = alpha op(A) op(B) + beta C. */
static inline void crm__dgemm(CBLAS_ORDER order,
                              CBLAS_TRANSPOSE ta,
                              CBLAS_TRANSPOSE tb,
                              int m,
                              int n,
                              int k,
                              double alpha,
                              const double *a,
                              int lda,
                              const double *b,
                              int ldb,
                              double beta,
                              double *c,
                              int ldc)
{
    cblas_dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#endif
