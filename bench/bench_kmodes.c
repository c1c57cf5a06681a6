/* bench_kmodes.c: crmkit's side of the k-prototypes and hierarchical benchmarks
 * (bench/cluster2_bench.py runs the references on the same files in the same run).
 *
 *   bench_kmodes kproto N_ROWS N_NUM N_CAT K SEED OUT_PREFIX [N_INIT [INIT]]
 *       Makes N_ROWS mixed rows (K planted groups; numeric columns normal around a group
 *       centre, categorical columns with 2..11 levels, the group's level 70% of the time),
 *       writes them to OUT_PREFIX.num (float64) and OUT_PREFIX.cat (int32) for the reference,
 *       fits k-prototypes (INIT cao|huang|random, default cao; N_INIT default 1) and prints
 *       "seconds", "cost", "iterations", "gamma".
 *   bench_kmodes hier DATA N_ROWS DIM LINKAGE HEIGHTS_OUT
 *       crm_hclust_linkage on DATA (raw float64, N_ROWS x DIM); prints "seconds" and writes
 *       the merge heights (float64) to HEIGHTS_OUT.
 * Both also print "cpu_seconds" (user + system time of the call, all threads).
 * Output lines are "key value" pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/hclust.h>
#include <crmkit/kmodes.h>
#include <crmkit/rng.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process (user + system), all threads. */
static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(p, 1, n, f) == n;
    if (f != NULL) {
        ok = (fclose(f) == 0) && ok;
    }
    return ok;
}

static int kproto(int argc, char **argv)
{
    long n = atol(argv[2]);
    int nn = atoi(argv[3]);
    int nc = atoi(argv[4]);
    int k = atoi(argv[5]);
    uint64_t seed = (uint64_t)atoll(argv[6]);
    const char *prefix = argv[7];
    int n_init = argc > 8 ? atoi(argv[8]) : 1;
    const char *init = argc > 9 ? argv[9] : "cao";
    double *num = malloc((size_t)n * (size_t)nn * sizeof *num);
    int32_t *cat = malloc((size_t)n * (size_t)nc * sizeof *cat);
    int32_t *levels = malloc((size_t)nc * sizeof *levels);
    double *centre = malloc((size_t)k * (size_t)nn * sizeof *centre);
    char path[4096];
    crm_rng rng;
    crm_kmodes_params p = crm_kmodes_params_default();
    crm_kmodes *km = NULL;
    crm_error err;
    double t0;
    double c0;
    crm_mixed x;
    crm_rng_seed(&rng, seed);
    for (int a = 0; a < nc; a++) {
        levels[a] = 2 + a % 10;
    }
    for (long j = 0; j < (long)k * nn; j++) {
        centre[j] = 2.0 * crm_rng_normal(&rng);
    }
    for (long i = 0; i < n; i++) {
        int g = (int)crm_rng_below(&rng, (uint64_t)k);
        for (int j = 0; j < nn; j++) {
            num[i * nn + j] = centre[g * nn + j] + crm_rng_normal(&rng);
        }
        for (int a = 0; a < nc; a++) {
            cat[i * nc + a] = crm_rng_uniform(&rng) < 0.7
                                  ? (g * 7 + a) % levels[a]
                                  : (int32_t)crm_rng_below(&rng, (uint64_t)levels[a]);
        }
    }
    snprintf(path, sizeof path, "%s.num", prefix);
    if (!write_file(path, num, (size_t)n * (size_t)nn * sizeof *num)) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s.cat", prefix);
    if (!write_file(path, cat, (size_t)n * (size_t)nc * sizeof *cat)) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    x.n_rows = n;
    x.n_num = nn;
    x.n_cat = nc;
    x.num = num;
    x.cat = cat;
    x.n_levels = levels;
    p.k = k;
    p.n_init = n_init;
    p.seed = seed;
    p.init = strcmp(init, "huang") == 0    ? CRM_KMODES_INIT_HUANG
             : strcmp(init, "random") == 0 ? CRM_KMODES_INIT_RANDOM
                                           : CRM_KMODES_INIT_CAO;
    t0 = now();
    c0 = cpu();
    if (crm_kmodes_new(&p, &km, &err) != CRM_OK || crm_kmodes_fit(km, &x, NULL, &err) != CRM_OK) {
        fprintf(stderr, "k-prototypes: %s\n", err.msg);
        return 1;
    }
    printf("seconds %.4f\ncpu_seconds %.4f\ncost %.10g\niterations %d\ngamma %.10g\n", now() - t0,
           cpu() - c0, crm_kmodes_cost_value(km), (int)crm_kmodes_n_iter(km), crm_kmodes_gamma(km));
    crm_kmodes_free(km);
    free(num);
    free(cat);
    free(levels);
    free(centre);
    return 0;
}

static int hier(char **argv)
{
    long n = atol(argv[3]);
    long dim = atol(argv[4]);
    int l = crm_linkage_parse(argv[5]);
    crm_matrix x;
    double *z;
    double *h;
    double t0;
    double c0;
    crm_error err;
    FILE *f = fopen(argv[2], "rb");
    if (f == NULL || l < 0 || crm_matrix_init(&x, n, dim, &err) != CRM_OK) {
        fprintf(stderr, "bad arguments\n");
        return 1;
    }
    if (fread(x.data, sizeof(double), (size_t)(n * dim), f) != (size_t)(n * dim)) {
        fprintf(stderr, "short data file\n");
        return 1;
    }
    fclose(f);
    z = malloc((size_t)(n - 1) * 4 * sizeof *z);
    h = malloc((size_t)(n - 1) * sizeof *h);
    t0 = now();
    c0 = cpu();
    if (crm_hclust_linkage(&x, NULL, (crm_linkage)l, NULL, z, &err) != CRM_OK) {
        fprintf(stderr, "linkage: %s\n", err.msg);
        return 1;
    }
    printf("seconds %.4f\ncpu_seconds %.4f\n", now() - t0, cpu() - c0);
    for (long i = 0; i < n - 1; i++) {
        h[i] = z[i * 4 + 2];
    }
    if (!write_file(argv[6], h, (size_t)(n - 1) * sizeof *h)) {
        return 1;
    }
    free(z);
    free(h);
    crm_matrix_fini(&x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 8 && strcmp(argv[1], "kproto") == 0) {
        return kproto(argc, argv);
    }
    if (argc == 7 && strcmp(argv[1], "hier") == 0) {
        return hier(argv);
    }
    fprintf(stderr, "usage: bench_kmodes kproto N_ROWS N_NUM N_CAT K SEED OUT_PREFIX [N_INIT "
                    "[INIT]]\n       bench_kmodes hier DATA N_ROWS DIM LINKAGE HEIGHTS_OUT\n");
    return 2;
}
