/* bench_csv.c: CSV parsing speed.
 *   bench_csv make FILE [ROWS] [COLS]   write ROWS x COLS numeric CSV (seeded, like sensor or
 *                                       billing data: decimals with 1-4 places, integers)
 *   bench_csv make17 FILE [ROWS] [COLS] the same values unrounded, each written with 17
 *                                       significant digits (printf %.17g), as numpy, pandas
 *                                       and R write doubles: -15.617897467035018
 *   bench_csv read FILE [REPS] [THREADS]  best of REPS full reads; prints seconds and MB/s
 * bench/csv_vs_pandas.sh runs both and pandas.read_csv on the same file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/io.h>
#include <crmkit/rng.h>

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int make(const char *path, long rows, int cols)
{
    crm_table *t;
    crm_error err;
    crm_rng rng;
    double *v = malloc((size_t)rows * sizeof *v);
    char name[32];
    char buf[600];
    if (v == NULL || crm_table_new(rows, "bench", &t, &err) != CRM_OK) {
        return 1;
    }
    crm_rng_seed(&rng, 12345);
    for (int j = 0; j < cols; j++) {
        int places = j % 5; /* 0..4 decimal places */
        double scale = 1.0;
        for (int k = 0; k < places; k++) {
            scale *= 10;
        }
        for (long i = 0; i < rows; i++) {
            double x = crm_rng_normal(&rng) * (10.0 + 100.0 * j) + 50.0 * j;
            v[i] = (double)(long long)(x * scale) / scale;
        }
        snprintf(name, sizeof name, "x%d", j);
        if (crm_table_add_numeric(t, name, v, &err) != CRM_OK) {
            return 1;
        }
    }
    if (crm_table_write_csv(t, path, &err) != CRM_OK) {
        fprintf(stderr, "%s\n", crm_error_format(&err, buf, (int32_t)sizeof buf));
        return 1;
    }
    crm_table_free(t);
    free(v);
    return 0;
}

static int make17(const char *path, long rows, int cols)
{
    FILE *f = fopen(path, "w");
    crm_rng rng;
    if (f == NULL) {
        perror(path);
        return 1;
    }
    crm_rng_seed(&rng, 12345);
    for (int j = 0; j < cols; j++) {
        fprintf(f, "x%d%s", j, j + 1 < cols ? "," : "\n");
    }
    for (long i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double x = crm_rng_normal(&rng) * (10.0 + 100.0 * j) + 50.0 * j;
            fprintf(f, "%.17g%s", x, j + 1 < cols ? "," : "\n");
        }
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int bench_read(const char *path, int reps, int threads)
{
    crm_csv_options o = crm_csv_options_default();
    struct stat st;
    double best = 1e300;
    char buf[600];
    long long rows = 0;
    o.n_threads = threads;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    for (int r = 0; r < reps; r++) {
        crm_table *t;
        crm_error err;
        double t0 = now();
        double dt;
        if (crm_table_read_csv(path, &o, NULL, &t, &err) != CRM_OK) {
            fprintf(stderr, "%s\n", crm_error_format(&err, buf, (int32_t)sizeof buf));
            return 1;
        }
        dt = now() - t0;
        best = dt < best ? dt : best;
        rows = (long long)crm_table_n_rows(t);
        crm_table_free(t);
    }
    printf("crmkit rows=%lld bytes=%lld threads=%d best_s=%.4f MB/s=%.1f\n", rows,
           (long long)st.st_size, threads, best, (double)st.st_size / best / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "make") == 0) {
        return make(argv[2], argc > 3 ? atol(argv[3]) : 1000000, argc > 4 ? atoi(argv[4]) : 16);
    }
    if (argc >= 3 && strcmp(argv[1], "make17") == 0) {
        return make17(argv[2], argc > 3 ? atol(argv[3]) : 1000000, argc > 4 ? atoi(argv[4]) : 16);
    }
    if (argc >= 3 && strcmp(argv[1], "read") == 0) {
        return bench_read(argv[2], argc > 3 ? atoi(argv[3]) : 5, argc > 4 ? atoi(argv[4]) : 0);
    }
    fprintf(stderr,
            "usage: bench_csv make|make17 FILE [ROWS] [COLS] | read FILE [REPS] [THREADS]\n");
    return 64;
}
