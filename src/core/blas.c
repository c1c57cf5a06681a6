/* blas.c: cblas_dgemm from OpenBLAS, opened with dlopen on the first product (see blas.h). */
#include "blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(blasint) == sizeof(int), "cblas_dgemm is called with int indices");

static crm__dgemm_fn *openblas_dgemm;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    void *sym = lib != NULL ? dlsym(lib, "cblas_dgemm") : NULL;
    if (sym == NULL) {
        const char *why = dlerror();
        fprintf(stderr, "crmkit: OpenBLAS cannot be loaded (%s); matrix products run slowly\n",
                why != NULL ? why : "no cblas_dgemm");
        return;
    }
    memcpy(&openblas_dgemm, &sym, sizeof openblas_dgemm);
}

/* The product with the loops of its definition (column-major is row-major transposed). */
void crm__dgemm_plain(CBLAS_ORDER order,
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
    int row = order == CblasRowMajor, at = ta != CblasNoTrans, bt = tb != CblasNoTrans;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0.0, *cij = row ? &c[(size_t)i * (size_t)ldc + (size_t)j]
                                       : &c[(size_t)j * (size_t)ldc + (size_t)i];
            for (int p = 0; p < k; p++) {
                /* element (i, p) of op(A) and (p, j) of op(B) */
                size_t ai = row == !at ? (size_t)i * (size_t)lda + (size_t)p
                                       : (size_t)p * (size_t)lda + (size_t)i;
                size_t bi = row == !bt ? (size_t)p * (size_t)ldb + (size_t)j
                                       : (size_t)j * (size_t)ldb + (size_t)p;
                s += a[ai] * b[bi];
            }
            *cij = beta == 0.0 ? alpha * s : alpha * s + beta * *cij;
        }
    }
}

void crm__dgemm(CBLAS_ORDER order,
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
    (void)pthread_once(&loaded, load);
    if (openblas_dgemm != NULL) {
        openblas_dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else {
        crm__dgemm_plain(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
