/* bench_fim.c: the three miners on the FIMI benchmark files at the supports of the data
 * README, on the database already in memory: milliseconds per mining (itemsets counted, not
 * written) and CPU milliseconds, the itemset count (which must agree), and the ratio of each
 * miner to N-List; the last column is N-List with every itemset written in SPMF text to
 * /dev/null. Each time is the best of RUNS batches, a batch repeating the mining until it
 * lasts 50 ms, so jobs of a millisecond are timed as well as long ones. Apriori runs one
 * batch.
 *
 * The minings repeat in one process, as a server would run them, so glibc is told to keep
 * freed memory (mallopt, for the three miners alike): by default it hands blocks back to the
 * system as they are freed, and each mining then faulted its trees and buffers in afresh,
 * more often with two threads than one (N-List on T10I4D100K at 1000: 5,000 page faults a
 * mining with two threads against 800 with one, 33.5 against 29.6 ms).
 *
 * usage: bench_fim [FIMI_DIR] [RUNS] [THREADS] [SET[:MINSUP]...]
 *   (default ../shared/data/fimi, 5 runs, THREADS 0 = OpenMP default; SETs pick rows)
 * Prints a Markdown table for bench/results/fim.md. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/fim.h>

typedef struct bench_case {
    const char *file;
    double minsup;
    int64_t minsup_count;
    int apriori; /* Apriori too (it takes minutes on the dense, low-support cases) */
} bench_case;

static const bench_case cases[] = {
    { "chess.dat.gz", 0.9, 0, 1 },       { "chess.dat.gz", 0.8, 0, 1 },
    { "chess.dat.gz", 0.7, 0, 0 },       { "mushroom.dat.gz", 0.5, 0, 1 },
    { "mushroom.dat.gz", 0.3, 0, 1 },    { "mushroom.dat.gz", 0.2, 0, 1 },
    { "mushroom.dat.gz", 0.1, 0, 0 },    { "mushroom.dat.gz", 0, 407, 0 },
    { "retail.dat.gz", 0.01, 0, 1 },     { "retail.dat.gz", 0.005, 0, 1 },
    { "retail.dat.gz", 0.001, 0, 1 },    { "retail.dat.gz", 0, 10, 0 },
    { "T10I4D100K.dat.gz", 0, 1000, 1 }, { "T10I4D100K.dat.gz", 0, 500, 1 },
    { "T10I4D100K.dat.gz", 0, 100, 1 },  { "T10I4D100K.dat.gz", 0, 10, 0 },
    { "connect.dat.gz", 0.95, 0, 1 },    { "connect.dat.gz", 0.9, 0, 0 },
};

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static crm_status count_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    (void)items;
    (void)n;
    (void)sup;
    (void)err;
    ++*(int64_t *)ud;
    return CRM_OK;
}

/* One mining; the itemset count, -1 on error. */
static int64_t
mine_once(const crm_fim_db *db, const bench_case *c, crm_fim_algo algo, int threads, FILE *out)
{
    crm_fim_params p = crm_fim_params_default();
    crm_itemset_writer *w = NULL;
    crm_itemset_sink sink;
    crm_fim_stats st;
    crm_error err;
    int64_t count = 0;
    p.algo = algo;
    p.minsup = c->minsup;
    p.minsup_count = c->minsup_count;
    p.max_itemsets = 0;
    p.n_threads = threads;
    if (out != NULL) {
        if (crm_itemset_writer_new(out, CRM_ITEMSET_SPMF, db, &w, &err) != CRM_OK) {
            return -1;
        }
        sink = crm_itemset_writer_sink(w);
    } else {
        sink.fn = count_sink;
        sink.ud = &count;
    }
    if (crm_fim_mine(db, &p, &sink, NULL, &st, &err) != CRM_OK ||
        (w != NULL && crm_itemset_writer_finish(w, &err) != CRM_OK)) {
        fprintf(stderr, "bench_fim: %s: %s\n", c->file, err.msg);
        crm_itemset_writer_free(w);
        return -1;
    }
    crm_itemset_writer_free(w);
    return st.n_itemsets;
}

/* Best-of-runs wall and CPU milliseconds per mining, each run a batch of minings lasting
 * at least 50 ms (the count from a first, untimed mining); -1 on error. */
static int64_t time_mine(const crm_fim_db *db,
                         const bench_case *c,
                         crm_fim_algo algo,
                         int threads,
                         FILE *out,
                         int runs,
                         double *best_wall,
                         double *best_cpu)
{
    double w0 = wall();
    int64_t n = mine_once(db, c, algo, threads, out);
    double once = wall() - w0;
    int reps = once >= 0.05 ? 1 : (int)(0.05 / (once > 1e-6 ? once : 1e-6)) + 1;
    *best_wall = 1e30;
    *best_cpu = 1e30;
    for (int r = 0; r < runs && n >= 0; r++) {
        double c0 = cpu(), dw, dc;
        w0 = wall();
        for (int k = 0; k < reps && n >= 0; k++) {
            if (mine_once(db, c, algo, threads, out) != n) {
                n = -1;
            }
        }
        dw = (wall() - w0) * 1e3 / reps;
        dc = (cpu() - c0) * 1e3 / reps;
        *best_wall = dw < *best_wall ? dw : *best_wall;
        *best_cpu = dc < *best_cpu ? dc : *best_cpu;
    }
    return n;
}

/* Is case c picked by the SET[:MINSUP] arguments (all cases when there are none)? */
static int picked(const bench_case *c, int argc, char **argv)
{
    if (argc <= 4) {
        return 1;
    }
    for (int i = 4; i < argc; i++) {
        size_t n = strcspn(argv[i], ":");
        const char *sup = argv[i][n] == ':' ? argv[i] + n + 1 : NULL;
        double v = sup != NULL ? atof(sup) : 0;
        if (strncmp(c->file, argv[i], n) == 0 && c->file[n] == '.' &&
            (sup == NULL ||
             (c->minsup_count > 0 ? (double)c->minsup_count == v : c->minsup == v))) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data/fimi";
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    FILE *devnull = fopen("/dev/null", "w");
    const char *loaded = "";
    (void)mallopt(M_MMAP_THRESHOLD, 1 << 30);
    (void)mallopt(M_TRIM_THRESHOLD, INT32_MAX);
    crm_fim_db *db = NULL;
    if (runs < 1 || threads < 0 || devnull == NULL) {
        return 2;
    }
    printf("| set | minsup | itemsets | N-List ms (cpu) | FP-Growth ms (cpu) | x N-List | Apriori "
           "ms (cpu) | x N-List | N-List + SPMF to /dev/null ms |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const bench_case *c = &cases[k];
        double wn, cn, wf, cf, wa = 0, ca = 0, wo, co;
        int64_t nn, nf, na = -2, no;
        char sup[32];
        if (!picked(c, argc, argv)) {
            continue;
        }
        if (strcmp(loaded, c->file) != 0) {
            char path[1024];
            crm_error err;
            crm_fim_db_free(db);
            db = NULL;
            snprintf(path, sizeof path, "%s/%s", dir, c->file);
            if (crm_fim_db_read(path, NULL, NULL, &db, &err) != CRM_OK) {
                fprintf(stderr, "bench_fim: %s\n", err.msg);
                return 1;
            }
            loaded = c->file;
        }
        nn = time_mine(db, c, CRM_FIM_NLIST, threads, NULL, runs, &wn, &cn);
        nf = time_mine(db, c, CRM_FIM_FPGROWTH, threads, NULL, runs, &wf, &cf);
        if (c->apriori) {
            na = time_mine(db, c, CRM_FIM_APRIORI, threads, NULL, 1, &wa, &ca);
        }
        no = time_mine(db, c, CRM_FIM_NLIST, threads, devnull, runs, &wo, &co);
        if (nn < 0 || nf != nn || no != nn || (c->apriori && na != nn)) {
            fprintf(stderr, "bench_fim: %s: the miners disagree (%lld %lld %lld %lld)\n", c->file,
                    (long long)nn, (long long)nf, (long long)na, (long long)no);
            return 1;
        }
        if (c->minsup_count > 0) {
            snprintf(sup, sizeof sup, "%lld", (long long)c->minsup_count);
        } else {
            snprintf(sup, sizeof sup, "%g", c->minsup);
        }
        printf("| %.*s | %s | %lld | %.3g (%.3g) | %.3g (%.3g) | %.2f | ",
               (int)strcspn(c->file, "."), c->file, sup, (long long)nn, wn, cn, wf, cf, wf / wn);
        if (c->apriori) {
            printf("%.4g (%.4g) | %.1f | ", wa, ca, wa / wn);
        } else {
            printf("- | - | ");
        }
        printf("%.3g (%.3g) |\n", wo, co);
        fflush(stdout);
    }
    crm_fim_db_free(db);
    fclose(devnull);
    return 0;
}
