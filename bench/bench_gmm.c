/* bench_gmm.c: crmkit's side of the Gaussian mixture benchmark (bench/gmm_vs_sklearn.py runs
 * scikit-learn on the same files in the same run).
 *
 *   bench_gmm DATA N_ROWS DIM K full|diag ITERS REPEATS WEIGHTS MEANS COVS
 *       EM from the given parameters (raw float64 files: K weights, K x DIM means, covariances
 *       K x DIM x DIM (full) or K x DIM (diag)), tol 0, so exactly ITERS iterations; best of
 *       REPEATS of 1 iteration and of ITERS iterations.
 * Output lines are "key value" pairs: seconds_1, seconds_n, cpu_n, per_iter, n_iter,
 * lower_bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/gmm.h>

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
        fprintf(stderr, "bench_gmm: cannot read %zu doubles from %s\n", n, path);
        exit(1);
    }
    fclose(f);
    return v;
}

/* Best wall (and its CPU) time of `repeats` fits of `iters` iterations. */
static double run(const crm_matrix *x,
                  crm_gmm_params p,
                  int iters,
                  int repeats,
                  const double *w,
                  const double *m,
                  const double *c,
                  double *cpu,
                  crm_gmm **keep)
{
    double best = 1e300;
    p.max_iter = iters;
    p.tol = 0;
    for (int r = 0; r < repeats; r++) {
        crm_gmm *g = NULL;
        crm_error err;
        double t0;
        double c0;
        double t;
        if (crm_gmm_new(&p, &g, &err) != CRM_OK) {
            fprintf(stderr, "bench_gmm: %s\n", err.msg);
            exit(1);
        }
        c0 = cpu_now();
        t0 = now();
        if (crm_gmm_fit_from(g, x, w, m, c, NULL, &err) != CRM_OK) {
            fprintf(stderr, "bench_gmm: %s\n", err.msg);
            exit(1);
        }
        t = now() - t0;
        if (t < best) {
            best = t;
            *cpu = cpu_now() - c0;
        }
        if (keep != NULL && *keep == NULL) {
            *keep = g;
        } else {
            crm_gmm_free(g);
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    crm_matrix x;
    crm_gmm_params p = crm_gmm_params_default();
    crm_gmm *g = NULL;
    size_t n;
    int dim;
    int k;
    int iters;
    int repeats;
    double *w;
    double *m;
    double *c;
    double cpu1 = 0;
    double cpun = 0;
    double t1;
    double tn;
    if (argc != 11) {
        fprintf(stderr, "usage: bench_gmm DATA N_ROWS DIM K full|diag ITERS REPEATS WEIGHTS "
                        "MEANS COVS\n");
        return 2;
    }
    n = (size_t)atol(argv[2]);
    dim = atoi(argv[3]);
    k = atoi(argv[4]);
    p.k = k;
    p.cov = strcmp(argv[5], "diag") == 0 ? CRM_GMM_DIAG : CRM_GMM_FULL;
    iters = atoi(argv[6]);
    repeats = atoi(argv[7]);
    x.n_rows = (int64_t)n;
    x.n_cols = dim;
    x.ld = dim;
    x.data = read_raw(argv[1], n * (size_t)dim);
    w = read_raw(argv[8], (size_t)k);
    m = read_raw(argv[9], (size_t)k * (size_t)dim);
    c = read_raw(argv[10], p.cov == CRM_GMM_FULL ? (size_t)k * dim * dim : (size_t)k * dim);
    t1 = run(&x, p, 1, repeats, w, m, c, &cpu1, NULL);
    tn = run(&x, p, iters, repeats, w, m, c, &cpun, &g);
    printf("seconds_1 %.6f\nseconds_n %.6f\ncpu_n %.6f\nper_iter %.6f\nn_iter %d\n"
           "lower_bound %.17g\n",
           t1, tn, cpun, (tn - t1) / (iters - 1), (int)crm_gmm_n_iter(g), crm_gmm_lower_bound(g));
    crm_gmm_free(g);
    free(x.data);
    free(w);
    free(m);
    free(c);
    return 0;
}
