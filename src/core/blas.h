/* blas.h: cblas_dgemm through OpenBLAS loaded on the first product, not at start: loading it
 * (and its Fortran runtime) was 1.4 ms of every command's 3.3 ms start, paid by the commands
 * that never multiply matrices (itemsets, rules, recommend, predict with trees). */
#ifndef CRM_CORE_BLAS_H
#define CRM_CORE_BLAS_H
#include <cblas.h>

/* cblas_dgemm's type (with int indices, as blasint is in the OpenBLAS crmkit loads). */
typedef void crm__dgemm_fn(CBLAS_ORDER order,
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
                           int ldc);

/* cblas_dgemm's arguments and result. Without OpenBLAS (it cannot be loaded) a plain loop
 * computes the same product, slowly, after one message on standard error. */
crm__dgemm_fn crm__dgemm;

/* The same product by plain loops (the fallback; tests compare the two). */
crm__dgemm_fn crm__dgemm_plain;

#endif
