/* bench_density.c: crmkit's side of the BIRCH and DBSCAN benchmarks
 * (bench/density_vs_sklearn.py runs scikit-learn on the same file in the same run).
 *
 *   bench_density DATA N_ROWS DIM birch THRESHOLD BRANCHING K LABELS_OUT
 *   bench_density DATA N_ROWS DIM dbscan EPS MIN_SAMPLES LABELS_OUT
 * DATA is raw float64, row major. Output lines are "key value" pairs: seconds, cpu, k,
 * noise (dbscan), subclusters (birch), peak_rss_kb (the process's peak resident memory, data
 * included). The labels go to LABELS_OUT as raw int32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <crmkit/birch.h>
#include <crmkit/dbscan.h>

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    crm_matrix x;
    crm_error err;
    FILE *f;
    size_t n;
    double t0;
    double c0;
    const int32_t *labels = NULL;
    struct rusage ru;
    if (argc < 8) {
        fprintf(stderr, "usage: see the comment at the top of bench_density.c\n");
        return 64;
    }
    x.n_rows = atoll(argv[2]);
    x.n_cols = atoll(argv[3]);
    x.ld = x.n_cols;
    n = (size_t)x.n_rows * (size_t)x.n_cols;
    x.data = malloc(n * sizeof(double));
    f = fopen(argv[1], "rb");
    if (f == NULL || x.data == NULL || fread(x.data, sizeof(double), n, f) != n) {
        fprintf(stderr, "bench_density: cannot read %s\n", argv[1]);
        return 66;
    }
    fclose(f);
    t0 = now(CLOCK_MONOTONIC);
    c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    if (strcmp(argv[4], "birch") == 0 && argc == 9) {
        crm_birch_params p = crm_birch_params_default();
        crm_birch *b = NULL;
        p.threshold = atof(argv[5]);
        p.branching = atoi(argv[6]);
        p.k = atoi(argv[7]);
        if (crm_birch_fit(&p, &x, NULL, &b, &err) != CRM_OK) {
            fprintf(stderr, "bench_density: %s\n", err.msg);
            return 1;
        }
        printf("seconds %.6f\ncpu %.6f\nk %d\nsubclusters %d\n", now(CLOCK_MONOTONIC) - t0,
               now(CLOCK_PROCESS_CPUTIME_ID) - c0, (int)crm_birch_k(b),
               (int)crm_birch_n_subclusters(b));
        labels = crm_birch_labels(b);
        f = fopen(argv[8], "wb");
    } else if (strcmp(argv[4], "dbscan") == 0) {
        crm_dbscan_params p = crm_dbscan_params_default();
        crm_dbscan *d = NULL;
        p.eps = atof(argv[5]);
        p.min_samples = atoi(argv[6]);
        if (crm_dbscan_fit(&p, &x, NULL, &d, &err) != CRM_OK) {
            fprintf(stderr, "bench_density: %s\n", err.msg);
            return 1;
        }
        printf("seconds %.6f\ncpu %.6f\nk %d\nnoise %lld\n", now(CLOCK_MONOTONIC) - t0,
               now(CLOCK_PROCESS_CPUTIME_ID) - c0, (int)crm_dbscan_k(d),
               (long long)crm_dbscan_n_noise(d));
        labels = crm_dbscan_labels(d);
        f = fopen(argv[7], "wb");
    } else {
        fprintf(stderr, "bench_density: unknown algorithm or arguments\n");
        return 64;
    }
    if (f == NULL || fwrite(labels, sizeof *labels, (size_t)x.n_rows, f) != (size_t)x.n_rows) {
        fprintf(stderr, "bench_density: cannot write the labels\n");
        return 73;
    }
    fclose(f);
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}
