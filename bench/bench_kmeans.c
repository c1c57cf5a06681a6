/* bench_kmeans.c: crmkit's side of the clustering benchmarks (bench/kmeans_vs_sklearn.py runs
 * the anchors on the same files in the same run).
 *
 *   bench_kmeans lloyd DATA INIT N_ROWS DIM K ITERS [REPEATS]
 *       Lloyd from the centres in INIT (raw float64, K x DIM) on DATA (raw float64,
 *       N_ROWS x DIM), tol 0: best-of-REPEATS time of 1 iteration and of ITERS iterations;
 *       prints the time per iteration (t(N) - t(1)) / (N - 1) and the machine floor.
 *   bench_kmeans machine N_ROWS DIM K
 *       DGEMM GFLOP/s (OpenBLAS, all threads) and read bandwidth (OpenMP sum over a buffer
 *       of N_ROWS x DIM doubles), and the per-iteration floor they imply.
 *   bench_kmeans xmeans DATA N_ROWS DIM KMIN KMAX LABELS_OUT
 *       X-means; prints seconds, k and BIC; writes the labels (int32) to LABELS_OUT.
 * Output lines are "key value" pairs that the Python driver parses. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/alloc.h>
#include <crmkit/kmeans.h>
#include <crmkit/xmeans.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double *read_raw(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    double *v = malloc(n * sizeof(double));
    if (f == NULL || v == NULL || fread(v, sizeof(double), n, f) != n) {
        fprintf(stderr, "bench_kmeans: cannot read %zu doubles from %s\n", n, path);
        exit(1);
    }
    fclose(f);
    return v;
}

static int fail(const char *what, const crm_error *err)
{
    char buf[1024];
    fprintf(stderr, "bench_kmeans: %s: %s\n", what, crm_error_format(err, buf, sizeof buf));
    return 1;
}

/* Seconds for one Lloyd run of at most iters iterations; *n_iter gets the iterations run. */
static double time_lloyd(const crm_matrix *x,
                         const double *init,
                         int k,
                         int iters,
                         int *n_iter,
                         double *inertia,
                         double *cpu)
{
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *km = NULL;
    crm_error err;
    double t0;
    double t;
    p.k = k;
    p.max_iter = iters;
    p.tol = 0.0;
    if (crm_kmeans_new(&p, &km, &err) != CRM_OK) {
        exit(fail("new", &err));
    }
    *cpu = cpu_now();
    t0 = now();
    if (crm_kmeans_fit_from(km, x, init, NULL, &err) != CRM_OK) {
        exit(fail("fit", &err));
    }
    t = now() - t0;
    *cpu = cpu_now() - *cpu;
    *n_iter = crm_kmeans_n_iter(km);
    *inertia = crm_kmeans_inertia(km);
    crm_kmeans_free(km);
    return t;
}

static int cmd_lloyd(int argc, char **argv)
{
    long n = atol(argv[4]);
    int dim = atoi(argv[5]);
    int k = atoi(argv[6]);
    int iters = atoi(argv[7]);
    int repeats = argc > 8 ? atoi(argv[8]) : 3;
    crm_matrix x = { n, dim, dim, read_raw(argv[2], (size_t)n * (size_t)dim) };
    double *init = read_raw(argv[3], (size_t)k * (size_t)dim);
    double best1 = 1e30;
    double bestn = 1e30;
    int it1 = 0;
    int itn = 0;
    double inertia = 0.0;
    double cpu1 = 1e30;
    double cpun = 1e30;
    for (int r = 0; r < repeats; r++) {
        double c1;
        double cn;
        double t1 = time_lloyd(&x, init, k, 1, &it1, &inertia, &c1);
        double tn = time_lloyd(&x, init, k, iters, &itn, &inertia, &cn);
        best1 = t1 < best1 ? t1 : best1;
        bestn = tn < bestn ? tn : bestn;
        cpu1 = c1 < cpu1 ? c1 : cpu1;
        cpun = cn < cpun ? cn : cpun;
    }
    printf("crmkit_cpu_per_iter %.6f\n", itn > 1 ? (cpun - cpu1) / (itn - 1) : cpun);
    printf("crmkit_t1 %.6f\ncrmkit_tn %.6f\ncrmkit_iters %d\ncrmkit_inertia %.17g\n", best1, bestn,
           itn, inertia);
    printf("crmkit_per_iter %.6f\n", itn > 1 ? (bestn - best1) / (itn - 1) : bestn);
    free(x.data);
    free(init);
    return 0;
}

static int cmd_machine(char **argv)
{
    long n = atol(argv[2]);
    int dim = atoi(argv[3]);
    int k = atoi(argv[4]);
    const int m = 2048;
    double *a = malloc((size_t)m * m * sizeof(double));
    double *b = malloc((size_t)m * m * sizeof(double));
    double *c = malloc((size_t)m * m * sizeof(double));
    size_t len = (size_t)n * (size_t)dim;
    double *buf = malloc(len * sizeof(double));
    double best_gemm = 1e30;
    double best_read = 1e30;
    double sink = 0.0;
    for (size_t i = 0; i < (size_t)m * m; i++) {
        a[i] = (double)(i % 7) * 0.5;
        b[i] = (double)(i % 5) * 0.25;
    }
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)len; i++) {
        buf[i] = (double)(i % 13);
    }
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0, a, m, b, m, 0.0, c, m);
        double t = now() - t0;
        best_gemm = t < best_gemm ? t : best_gemm;
    }
    for (int r = 0; r < 5; r++) {
        double s = 0.0;
        double t0 = now();
#pragma omp parallel for schedule(static) reduction(+ : s)
        for (long i = 0; i < (long)len; i++) {
            s += buf[i];
        }
        double t = now() - t0;
        sink += s;
        best_read = t < best_read ? t : best_read;
    }
    double gflops = 2.0 * m * m * (double)m / best_gemm / 1e9;
    double gbs = (double)len * 8.0 / best_read / 1e9;
    double t_flops = 2.0 * (double)n * k * dim / (gflops * 1e9);
    double t_mem = (double)len * 8.0 / (gbs * 1e9);
    printf("dgemm_gflops %.2f\nread_gbs %.2f\n", gflops, gbs);
    printf("floor_flops_s %.6f\nfloor_mem_s %.6f\nfloor_s %.6f\n", t_flops, t_mem,
           t_flops > t_mem ? t_flops : t_mem);
    printf("threads %d\nsink %g\n",
#ifdef _OPENMP
           omp_get_max_threads(),
#else
           1,
#endif
           sink > 0 ? 0.0 : 1.0);
    free(a);
    free(b);
    free(c);
    free(buf);
    return 0;
}

static int cmd_xmeans(char **argv)
{
    long n = atol(argv[3]);
    int dim = atoi(argv[4]);
    crm_matrix x = { n, dim, dim, read_raw(argv[2], (size_t)n * (size_t)dim) };
    crm_xmeans_params p = crm_xmeans_params_default();
    crm_xmeans_result res;
    crm_kmeans *km = NULL;
    crm_error err;
    double t0;
    double t;
    FILE *f;
    p.kmin = atoi(argv[5]);
    p.kmax = atoi(argv[6]);
    t0 = now();
    if (crm_xmeans_fit(&p, &x, NULL, &km, &res, &err) != CRM_OK) {
        return fail("xmeans", &err);
    }
    t = now() - t0;
    printf("crmkit_xmeans_s %.6f\ncrmkit_xmeans_k %d\ncrmkit_xmeans_bic %.10g\n", t, res.k,
           res.bic);
    f = fopen(argv[7], "wb");
    if (f == NULL || fwrite(crm_kmeans_labels(km), sizeof(int32_t), (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_kmeans: cannot write %s\n", argv[7]);
        return 1;
    }
    fclose(f);
    crm_kmeans_free(km);
    free(x.data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 8 && strcmp(argv[1], "lloyd") == 0) {
        return cmd_lloyd(argc, argv);
    }
    if (argc == 5 && strcmp(argv[1], "machine") == 0) {
        return cmd_machine(argv);
    }
    if (argc == 8 && strcmp(argv[1], "xmeans") == 0) {
        return cmd_xmeans(argv);
    }
    fprintf(stderr, "usage: bench_kmeans lloyd DATA INIT N_ROWS DIM K ITERS [REPEATS]\n"
                    "       bench_kmeans machine N_ROWS DIM K\n"
                    "       bench_kmeans xmeans DATA N_ROWS DIM KMIN KMAX LABELS_OUT\n");
    return 2;
}
