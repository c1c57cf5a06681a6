/* bench_boost.c: training and batch-prediction speed of gradient-boosted trees and logistic
 * regression on generated customers (crm_gen_customers).
 *
 *   bench_boost [--rows N] [--predict-rows M] [--iters I] [--leaves L] [--repeat R]
 *               [--threads T] [--dump DIR]
 *
 * Features: every column of the generated table but the id and the churn target (numeric
 * values with NaN for missing, categorical columns as level codes). GBT trains with early
 * stopping off for exactly I iterations of L leaves. Logistic regression trains on the same
 * columns with missing values replaced by the column mean and standardised. --dump writes
 * the training matrix, its labels and the prediction matrix as raw little-endian float64 /
 * int32 files (X.f64, y.i32, Xp.f64) plus shape.txt, for bench/bench_boost.py, which runs
 * scikit-learn on exactly the same numbers. Prints one "key value" line per figure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/gbt.h>
#include <crmkit/gen.h>
#include <crmkit/io.h>
#include <crmkit/logreg.h>
#include <crmkit/matrix.h>

#include "core/core_internal.h"

static int die(const char *what, const crm_error *err)
{
    fprintf(stderr, "bench_boost: %s: %s\n", what, err->msg);
    return 1;
}

/* Features and churn labels of n generated customers. */
static int make_data(int64_t n, uint64_t seed, crm_matrix *x, int32_t *y)
{
    crm_gen_customers_params gp = crm_gen_customers_params_default();
    crm_table *t = NULL;
    crm_error err;
    gp.n_rows = n;
    gp.seed = seed;
    if (crm_gen_customers(&gp, &t, &err) != CRM_OK) {
        return die("gen", &err);
    }
    int32_t target = crm_table_find_col(t, "churn");
    int32_t nf = 0;
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        nf += j != target && crm_table_col_type(t, j) != CRM_COL_ID;
    }
    if (crm_matrix_init(x, n, nf, &err) != CRM_OK) {
        return die("matrix", &err);
    }
    int32_t f = 0;
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        if (j == target || crm_table_col_type(t, j) == CRM_COL_ID) {
            continue;
        }
        const double *num = crm_table_numeric(t, j);
        const int32_t *codes = crm_table_codes(t, j);
        for (int64_t i = 0; i < n; i++) {
            CRM_ROW(x, i)[f] = num != NULL ? num[i] : (codes[i] < 0 ? NAN : (double)codes[i]);
        }
        f++;
    }
    const double *yt = crm_table_numeric(t, target);
    for (int64_t i = 0; y != NULL && i < n; i++) {
        y[i] = yt[i] > 0.5;
    }
    crm_table_free(t);
    return 0;
}

/* Mean-impute and standardise with the training columns' statistics. */
static void standardise(crm_matrix *x, const crm_matrix *ref)
{
    for (int64_t j = 0; j < x->n_cols; j++) {
        double s = 0;
        double ss = 0;
        int64_t m = 0;
        for (int64_t i = 0; i < ref->n_rows; i++) {
            double v = CRM_ROW(ref, i)[j];
            if (v == v) {
                s += v;
                ss += v * v;
                m++;
            }
        }
        double mean = m > 0 ? s / (double)m : 0.0;
        double sd = m > 0 ? sqrt(ss / (double)m - mean * mean) : 1.0;
        sd = sd > 0 ? sd : 1.0;
        for (int64_t i = 0; i < x->n_rows; i++) {
            double *v = CRM_ROW(x, i) + j;
            *v = ((*v == *v ? *v : mean) - mean) / sd;
        }
    }
}

static int dump(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "bench_boost: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

typedef struct opts {
    int64_t rows, predict_rows;
    int32_t iters, leaves, repeat, threads;
    const char *dump_dir;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){ 200000, 1000000, 100, 31, 3, 0, NULL };
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rows") == 0) {
            o->rows = atoll(argv[i + 1]);
        } else if (strcmp(argv[i], "--predict-rows") == 0) {
            o->predict_rows = atoll(argv[i + 1]);
        } else if (strcmp(argv[i], "--iters") == 0) {
            o->iters = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--leaves") == 0) {
            o->leaves = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--repeat") == 0) {
            o->repeat = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--threads") == 0) {
            o->threads = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--dump") == 0) {
            o->dump_dir = argv[i + 1];
        } else {
            fprintf(stderr, "bench_boost: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    return o->rows < 100 || o->predict_rows < 1 || o->iters < 1 || o->repeat < 1;
}

static int bench_gbt(const opts *o, const crm_matrix *x, const int32_t *y, const crm_matrix *xp)
{
    crm_error err;
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = o->iters;
    p.max_leaf_nodes = o->leaves;
    p.early_stopping = 0;
    p.n_threads = o->threads;
    double best = 1e300;
    double best_pred = 1e300;
    crm_gbt *g = NULL;
    double *proba = malloc((size_t)xp->n_rows * 2 * sizeof *proba);
    for (int r = 0; r < o->repeat; r++) {
        crm_gbt_free(g);
        g = NULL;
        if (crm_gbt_new(&p, &g, &err) != CRM_OK) {
            return die("gbt new", &err);
        }
        double t0 = crm__now_seconds();
        if (crm_gbt_fit(g, x, y, 2, NULL, NULL, &err) != CRM_OK) {
            return die("gbt fit", &err);
        }
        double t1 = crm__now_seconds();
        best = t1 - t0 < best ? t1 - t0 : best;
    }
    for (int r = 0; r < o->repeat; r++) {
        double t0 = crm__now_seconds();
        if (crm_gbt_predict_proba(g, xp, proba, &err) != CRM_OK) {
            return die("gbt predict", &err);
        }
        double t1 = crm__now_seconds();
        best_pred = t1 - t0 < best_pred ? t1 - t0 : best_pred;
    }
    double leaves = 0;
    for (int32_t t = 0; t < crm_gbt_n_trees(g); t++) {
        leaves += crm_gbt_tree_n_leaves(g, t);
    }
    printf("gbt_fit_seconds %.4f\n", best);
    printf("gbt_n_iter %d\n", (int)crm_gbt_n_iter(g));
    printf("gbt_mean_leaves %.2f\n", leaves / crm_gbt_n_trees(g));
    printf("gbt_train_logloss %.6f\n", crm_gbt_train_loss(g)[crm_gbt_n_iter(g)]);
    printf("gbt_predict_seconds %.4f\n", best_pred);
    printf("gbt_predict_rows_per_second %.0f\n", (double)xp->n_rows / best_pred);
    crm_gbt_free(g);
    free(proba);
    return 0;
}

static int bench_logreg(const opts *o, crm_matrix *x, const int32_t *y, crm_matrix *xp)
{
    crm_error err;
    crm_logreg_params p = crm_logreg_params_default();
    p.n_threads = o->threads;
    crm_logreg *lr = NULL;
    double best = 1e300;
    double best_pred = 1e300;
    double *proba = malloc((size_t)xp->n_rows * 2 * sizeof *proba);
    standardise(xp, x);
    standardise(x, x);
    for (int r = 0; r < o->repeat; r++) {
        crm_logreg_free(lr);
        lr = NULL;
        if (crm_logreg_new(&p, &lr, &err) != CRM_OK) {
            return die("logreg new", &err);
        }
        double t0 = crm__now_seconds();
        if (crm_logreg_fit(lr, x, y, 2, NULL, NULL, &err) != CRM_OK) {
            return die("logreg fit", &err);
        }
        double t1 = crm__now_seconds();
        best = t1 - t0 < best ? t1 - t0 : best;
    }
    for (int r = 0; r < o->repeat; r++) {
        double t0 = crm__now_seconds();
        if (crm_logreg_predict_proba(lr, xp, proba, &err) != CRM_OK) {
            return die("logreg predict", &err);
        }
        double t1 = crm__now_seconds();
        best_pred = t1 - t0 < best_pred ? t1 - t0 : best_pred;
    }
    printf("logreg_fit_seconds %.4f\n", best);
    printf("logreg_n_iter %d\n", (int)crm_logreg_n_iter(lr));
    printf("logreg_predict_seconds %.4f\n", best_pred);
    printf("logreg_predict_rows_per_second %.0f\n", (double)xp->n_rows / best_pred);
    crm_logreg_free(lr);
    free(proba);
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    crm_matrix x;
    crm_matrix xp;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_boost [--rows N] [--predict-rows M] [--iters I] "
                        "[--leaves L] [--repeat R] [--threads T] [--dump DIR]\n");
        return 2;
    }
    int32_t *y = malloc((size_t)o.rows * sizeof *y);
    if (y == NULL || make_data(o.rows, 1, &x, y) != 0 ||
        make_data(o.predict_rows, 2, &xp, NULL) != 0) {
        return 1;
    }
    printf("rows %lld\nfeatures %lld\npredict_rows %lld\n", (long long)o.rows, (long long)x.n_cols,
           (long long)o.predict_rows);
    if (o.dump_dir != NULL) {
        FILE *f;
        char path[4096];
        snprintf(path, sizeof path, "%s/shape.txt", o.dump_dir);
        f = fopen(path, "w");
        if (f == NULL) {
            fprintf(stderr, "bench_boost: cannot write %s\n", path);
            return 1;
        }
        fprintf(f, "%lld %lld %lld\n", (long long)o.rows, (long long)x.n_cols,
                (long long)o.predict_rows);
        fclose(f);
        if (dump(o.dump_dir, "X.f64", x.data, (size_t)(x.n_rows * x.n_cols) * 8) ||
            dump(o.dump_dir, "y.i32", y, (size_t)o.rows * 4) ||
            dump(o.dump_dir, "Xp.f64", xp.data, (size_t)(xp.n_rows * xp.n_cols) * 8)) {
            return 1;
        }
    }
    if (bench_gbt(&o, &x, y, &xp) != 0 || bench_logreg(&o, &x, y, &xp) != 0) {
        return 1;
    }
    crm_matrix_fini(&x);
    crm_matrix_fini(&xp);
    free(y);
    return 0;
}
