/* bench_fim.c: the three miners on the FIMI benchmark files at the supports of the data
 * README: mining time (best of R runs, itemsets counted, not written) and CPU time, the
 * itemset count (which must agree), and the ratio of each miner to N-List. A second table
 * times N-List end to end with every itemset written in SPMF text to /dev/null.
 *
 * usage: bench_fim [FIMI_DIR] [RUNS]   (default ../shared/data/fimi, 3 runs)
 * Prints Markdown tables for bench/results/fim.md. */
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
    { "chess.dat.gz", 0.9, 0, 1 },        { "chess.dat.gz", 0.8, 0, 1 },
    { "chess.dat.gz", 0.7, 0, 0 },        { "mushroom.dat.gz", 0.5, 0, 1 },
    { "mushroom.dat.gz", 0.3, 0, 1 },     { "mushroom.dat.gz", 0.2, 0, 1 },
    { "mushroom.dat.gz", 0.1, 0, 0 },     { "mushroom.dat.gz", 0, 407, 0 },
    { "retail.dat.gz", 0.01, 0, 1 },      { "retail.dat.gz", 0.005, 0, 1 },
    { "retail.dat.gz", 0.001, 0, 1 },     { "retail.dat.gz", 0, 10, 0 },
    { "T10I4D100K.dat.gz", 0, 1000, 1 },  { "T10I4D100K.dat.gz", 0, 500, 1 },
    { "T10I4D100K.dat.gz", 0, 100, 1 },   { "T10I4D100K.dat.gz", 0, 10, 0 },
    { "connect.dat.gz", 0.95, 0, 1 },     { "connect.dat.gz", 0.9, 0, 0 },
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

static crm_status count_sink(void *ud, const int32_t *items, int32_t n, int64_t sup,
                             crm_error *err)
{
    (void)items;
    (void)n;
    (void)sup;
    (void)err;
    ++*(int64_t *)ud;
    return CRM_OK;
}

/* Best-of-runs wall and CPU seconds of one mining; -1 on error. */
static int64_t time_mine(const crm_fim_db *db, const bench_case *c, crm_fim_algo algo,
                         FILE *out, int runs, double *best_wall, double *best_cpu)
{
    int64_t n = -1;
    *best_wall = 1e30;
    *best_cpu = 1e30;
    for (int r = 0; r < runs; r++) {
        crm_fim_params p = crm_fim_params_default();
        crm_itemset_writer *w = NULL;
        crm_itemset_sink sink;
        crm_fim_stats st;
        crm_error err;
        int64_t count = 0;
        double w0, c0, dw, dc;
        p.algo = algo;
        p.minsup = c->minsup;
        p.minsup_count = c->minsup_count;
        p.max_itemsets = 0;
        w0 = wall();
        c0 = cpu();
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
        dw = wall() - w0;
        dc = cpu() - c0;
        crm_itemset_writer_free(w);
        n = st.n_itemsets;
        *best_wall = dw < *best_wall ? dw : *best_wall;
        *best_cpu = dc < *best_cpu ? dc : *best_cpu;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data/fimi";
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    FILE *devnull = fopen("/dev/null", "w");
    const char *loaded = "";
    crm_fim_db *db = NULL;
    if (runs < 1 || devnull == NULL) {
        return 2;
    }
    printf("| set | minsup | itemsets | N-List s (cpu) | FP-Growth s (cpu) | x N-List | Apriori s "
           "(cpu) | x N-List | N-List + SPMF to /dev/null s |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const bench_case *c = &cases[k];
        double wn, cn, wf, cf, wa = 0, ca = 0, wo, co;
        int64_t nn, nf, na = -2, no;
        char sup[32];
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
        nn = time_mine(db, c, CRM_FIM_NLIST, NULL, runs, &wn, &cn);
        nf = time_mine(db, c, CRM_FIM_FPGROWTH, NULL, runs, &wf, &cf);
        if (c->apriori) {
            na = time_mine(db, c, CRM_FIM_APRIORI, NULL, 1, &wa, &ca);
        }
        no = time_mine(db, c, CRM_FIM_NLIST, devnull, runs, &wo, &co);
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
        printf("| %.*s | %s | %lld | %.3f (%.3f) | %.3f (%.3f) | %.1f | ", (int)strcspn(c->file, "."),
               c->file, sup, (long long)nn, wn, cn, wf, cf, wf / wn);
        if (c->apriori) {
            printf("%.3f (%.3f) | %.1f | ", wa, ca, wa / wn);
        } else {
            printf("- | - | ");
        }
        printf("%.3f (%.3f) |\n", wo, co);
        fflush(stdout);
    }
    crm_fim_db_free(db);
    fclose(devnull);
    return 0;
}
