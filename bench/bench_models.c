/* bench_models.c: training and batch-prediction speed of the MLP, naive Bayes, SVM and KNN
 * on generated customers (crm_gen_customers), with held-out accuracy.
 *
 *   bench_models [--rows N] [--test-rows T] [--predict-rows M] [--svm-rows S]
 *                [--svm-predict-rows P] [--knn-rows K] [--repeat R] [--dump DIR]
 *                [--models mlp,nb,svm,knn] [--mlp-seeds 1,2,3] [--mlp-epochs E]
 *
 * Features: every column of the generated table but the id and the churn target. The raw
 * matrix keeps numbers (NaN = missing) and categorical level codes (naive Bayes uses it as
 * crm_classifier would); the design matrix mean-imputes and standardises the numbers with the
 * training statistics and one-hot encodes the categories (MLP, SVM and KNN use it). Training
 * rows come from seed 1, test rows from seed 2, the prediction batch from seed 3. --dump
 * writes the design matrices and labels as raw little-endian float64 / int32 files for
 * bench/models_vs_sklearn.py, which runs scikit-learn on exactly the same numbers. Prints one
 * "key value" line per figure; each time is the best of R runs (CPU time: of that run). The
 * MLP is fitted with early stopping once per seed of --mlp-seeds (keys mlp_fit_s<seed>_*), and
 * with --mlp-epochs E also for exactly E epochs without early stopping (mlp_fixed_*), which
 * gives the time per epoch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/gen.h>
#include <crmkit/io.h>
#include <crmkit/knn.h>
#include <crmkit/matrix.h>
#include <crmkit/mlp.h>
#include <crmkit/nbayes.h>
#include <crmkit/svm.h>

#include "core/core_internal.h"

typedef struct dataset {
    crm_matrix raw;
    int32_t *y;
    int32_t n_levels[64];
    int32_t n_raw;
} dataset;

static int die(const char *what, const crm_error *err)
{
    fprintf(stderr, "bench_models: %s: %s\n", what, err->msg);
    exit(1);
}

static void make_data(int64_t n, uint64_t seed, dataset *ds)
{
    crm_gen_customers_params gp = crm_gen_customers_params_default();
    crm_table *t = NULL;
    crm_error err;
    int32_t target;
    int32_t f = 0;
    gp.n_rows = n;
    gp.seed = seed;
    if (crm_gen_customers(&gp, &t, &err) != CRM_OK) {
        die("gen", &err);
    }
    target = crm_table_find_col(t, "churn");
    ds->n_raw = 0;
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        ds->n_raw += j != target && crm_table_col_type(t, j) != CRM_COL_ID;
    }
    if (crm_matrix_init(&ds->raw, n, ds->n_raw, &err) != CRM_OK) {
        die("matrix", &err);
    }
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        const double *num;
        const int32_t *codes;
        if (j == target || crm_table_col_type(t, j) == CRM_COL_ID) {
            continue;
        }
        num = crm_table_numeric(t, j);
        codes = crm_table_codes(t, j);
        ds->n_levels[f] = num != NULL ? 0 : crm_table_n_levels(t, j);
        for (int64_t i = 0; i < n; i++) {
            CRM_ROW(&ds->raw, i)
            [f] = num != NULL ? num[i] : (codes[i] < 0 ? NAN : (double)codes[i]);
        }
        f++;
    }
    ds->y = malloc((size_t)n * sizeof *ds->y);
    {
        const double *yt = crm_table_numeric(t, target);
        for (int64_t i = 0; i < n; i++) {
            ds->y[i] = yt[i] > 0.5;
        }
    }
    crm_table_free(t);
}

/* Design matrix of ds with the training set's means and deviations (mean, sd per column). */
static void design(const dataset *ds, const double *mean, const double *sd, crm_matrix *out)
{
    int32_t width = 0;
    crm_error err;
    for (int32_t j = 0; j < ds->n_raw; j++) {
        width += ds->n_levels[j] > 0 ? ds->n_levels[j] : 1;
    }
    if (crm_matrix_init(out, ds->raw.n_rows, width, &err) != CRM_OK) {
        die("matrix", &err);
    }
    for (int64_t i = 0; i < ds->raw.n_rows; i++) {
        const double *r = CRM_ROW(&ds->raw, i);
        double *o = CRM_ROW(out, i);
        int32_t c = 0;
        for (int32_t j = 0; j < ds->n_raw; j++) {
            if (ds->n_levels[j] > 0) {
                if (!isnan(r[j])) {
                    o[c + (int32_t)r[j]] = 1.0;
                }
                c += ds->n_levels[j];
            } else {
                o[c++] = isnan(r[j]) ? 0.0 : (r[j] - mean[j]) / sd[j];
            }
        }
    }
}

static void column_stats(const dataset *ds, double *mean, double *sd)
{
    for (int32_t j = 0; j < ds->n_raw; j++) {
        double s = 0;
        double ss = 0;
        int64_t m = 0;
        for (int64_t i = 0; i < ds->raw.n_rows; i++) {
            double v = CRM_ROW(&ds->raw, i)[j];
            if (!isnan(v)) {
                s += v;
                m++;
            }
        }
        mean[j] = m > 0 ? s / (double)m : 0;
        for (int64_t i = 0; i < ds->raw.n_rows; i++) {
            double v = CRM_ROW(&ds->raw, i)[j];
            if (!isnan(v)) {
                ss += (v - mean[j]) * (v - mean[j]);
            }
        }
        sd[j] = m > 0 && ss > 0 ? sqrt(ss / (double)m) : 1.0;
    }
}

static void dump(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[1024];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(p, 1, bytes, fp) != bytes) {
        fprintf(stderr, "bench_models: cannot write %s\n", path);
        exit(1);
    }
    fclose(fp);
}

static double accuracy(const double *proba, const int32_t *y, int64_t n)
{
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++) {
        ok += (proba[2 * i + 1] > proba[2 * i]) == (y[i] == 1);
    }
    return (double)ok / (double)n;
}

typedef struct opts {
    int64_t rows;
    int64_t test_rows;
    int64_t predict_rows;
    int64_t svm_rows;
    int64_t svm_predict_rows;
    int64_t knn_rows;
    int repeat;
    const char *dump_dir;
    const char *models; /* comma-separated subset of mlp,nb,svm,knn */
    uint64_t mlp_seeds[16];
    int n_mlp_seeds;
    int32_t mlp_epochs; /* fixed-epoch run without early stopping; 0 = none */
} opts;

static double cpu_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One timed MLP fit (best wall time of R runs, CPU time of that run); prints
 * <key>_{seconds,cpu_seconds,epochs,test_accuracy}. fixed_epochs > 0: no early stopping, exactly
 * that many epochs on all rows. Returns the fitted model. */
static crm_mlp *fit_mlp(const opts *o,
                        const char *key,
                        uint64_t seed,
                        int32_t fixed_epochs,
                        const crm_matrix *x,
                        const int32_t *y,
                        const crm_matrix *xt,
                        const int32_t *yt,
                        double *proba)
{
    double best_fit = HUGE_VAL;
    double best_cpu = HUGE_VAL;
    crm_mlp *m = NULL;
    crm_error err;
    for (int r = 0; r < o->repeat; r++) {
        crm_mlp_params p = crm_mlp_params_default();
        double t0;
        double c0;
        double t;
        crm_mlp_free(m);
        p.seed = seed;
        if (fixed_epochs > 0) {
            p.early_stopping = 0;
            p.max_epochs = fixed_epochs;
            p.n_iter_no_change = fixed_epochs; /* the loss rule can never fire first */
        }
        if (crm_mlp_new(&p, &m, &err) != CRM_OK) {
            die("mlp", &err);
        }
        t0 = crm__now_seconds();
        c0 = cpu_now();
        if (crm_mlp_fit(m, x, y, 2, NULL, &err) != CRM_OK) {
            die("mlp fit", &err);
        }
        t = crm__now_seconds() - t0;
        if (t < best_fit) {
            best_fit = t;
            best_cpu = cpu_now() - c0;
        }
    }
    if (crm_mlp_predict_proba(m, xt, proba, &err) != CRM_OK) {
        die("mlp predict", &err);
    }
    printf("%s_seconds %g\n%s_cpu_seconds %g\n%s_epochs %d\n%s_test_accuracy %.6f\n", key, best_fit,
           key, best_cpu, key, crm_mlp_n_epochs(m), key, accuracy(proba, yt, xt->n_rows));
    return m;
}

/* An early-stopping fit for each seed (keys mlp_fit_s<seed>), a fixed-epoch fit without early
 * stopping with the first seed (mlp_fixed) and the batch prediction time of the first model. */
static void bench_mlp(const opts *o,
                      const crm_matrix *x,
                      const int32_t *y,
                      const crm_matrix *xt,
                      const int32_t *yt,
                      const crm_matrix *xp,
                      double *proba)
{
    double best_pred = HUGE_VAL;
    crm_mlp *m = NULL;
    crm_error err;
    for (int s = 0; s < o->n_mlp_seeds; s++) {
        char key[64];
        crm_mlp *ms;
        snprintf(key, sizeof key, "mlp_fit_s%llu", (unsigned long long)o->mlp_seeds[s]);
        ms = fit_mlp(o, key, o->mlp_seeds[s], 0, x, y, xt, yt, proba);
        if (m == NULL) {
            m = ms;
        } else {
            crm_mlp_free(ms);
        }
    }
    if (o->mlp_epochs > 0) {
        crm_mlp_free(fit_mlp(o, "mlp_fixed", o->mlp_seeds[0], o->mlp_epochs, x, y, xt, yt, proba));
    }
    for (int r = 0; r < o->repeat; r++) {
        double t0 = crm__now_seconds();
        if (crm_mlp_predict_proba(m, xp, proba, &err) != CRM_OK) {
            die("mlp predict", &err);
        }
        best_pred = fmin(best_pred, crm__now_seconds() - t0);
    }
    printf("mlp_predict_seconds %g\n", best_pred);
    crm_mlp_free(m);
}

static void
bench_nb(const opts *o, const dataset *tr, const dataset *te, const dataset *pr, double *proba)
{
    double best_pred = HUGE_VAL;
    double t0;
    crm_nbayes *nb;
    crm_error err;
    if (crm_nbayes_new(NULL, &nb, &err) != CRM_OK) {
        die("nb", &err);
    }
    t0 = crm__now_seconds();
    if (crm_nbayes_fit(nb, &tr->raw, tr->y, 2, tr->n_levels, &err) != CRM_OK) {
        die("nb fit", &err);
    }
    printf("nb_fit_seconds %g\n", crm__now_seconds() - t0);
    crm_nbayes_predict_proba(nb, &te->raw, proba, &err);
    printf("nb_test_accuracy %.6f\n", accuracy(proba, te->y, te->raw.n_rows));
    for (int r = 0; r < o->repeat; r++) {
        t0 = crm__now_seconds();
        crm_nbayes_predict_proba(nb, &pr->raw, proba, &err);
        best_pred = fmin(best_pred, crm__now_seconds() - t0);
    }
    printf("nb_predict_seconds %g\n", best_pred);
    crm_nbayes_free(nb);
}

static void bench_svm(const opts *o,
                      const crm_matrix *x,
                      const int32_t *y,
                      const crm_matrix *xt,
                      const int32_t *yt,
                      const crm_matrix *xp,
                      double *proba)
{
    crm_matrix xs = crm_matrix_rows(x, 0, o->svm_rows);
    crm_matrix xps = crm_matrix_rows(xp, 0, o->svm_predict_rows);
    crm_svm_params p = crm_svm_params_default();
    crm_svm *svm;
    double best_pred = HUGE_VAL;
    double t0;
    crm_error err;
    p.probability = 0;
    if (crm_svm_new(&p, &svm, &err) != CRM_OK) {
        die("svm", &err);
    }
    t0 = crm__now_seconds();
    if (crm_svm_fit(svm, &xs, y, 2, NULL, &err) != CRM_OK) {
        die("svm fit", &err);
    }
    printf("svm_fit_seconds %g\nsvm_n_support %d\n", crm__now_seconds() - t0,
           crm_svm_n_support(svm));
    crm_svm_predict_proba(svm, xt, proba, &err);
    printf("svm_test_accuracy %.6f\n", accuracy(proba, yt, xt->n_rows));
    for (int r = 0; r < o->repeat; r++) {
        t0 = crm__now_seconds();
        crm_svm_predict_proba(svm, &xps, proba, &err);
        best_pred = fmin(best_pred, crm__now_seconds() - t0);
    }
    printf("svm_predict_seconds %g\n", best_pred);
    crm_svm_free(svm);
}

static void bench_knn(const opts *o,
                      const crm_matrix *x,
                      const int32_t *y,
                      const crm_matrix *xt,
                      const int32_t *yt,
                      double *proba)
{
    crm_matrix xs = crm_matrix_rows(x, 0, o->knn_rows);
    crm_matrix xq = crm_matrix_rows(xt, 0, o->knn_rows < xt->n_rows ? o->knn_rows : xt->n_rows);
    crm_knn *knn;
    double best_pred = HUGE_VAL;
    crm_error err;
    if (crm_knn_new(NULL, &knn, &err) != CRM_OK || crm_knn_fit(knn, &xs, y, 2, &err) != CRM_OK) {
        die("knn", &err);
    }
    for (int r = 0; r < o->repeat; r++) {
        double t0 = crm__now_seconds();
        crm_knn_predict_proba(knn, &xq, proba, &err);
        best_pred = fmin(best_pred, crm__now_seconds() - t0);
    }
    printf("knn_predict_seconds %g\nknn_predict_rows %lld\n", best_pred, (long long)xq.n_rows);
    printf("knn_test_accuracy %.6f\n", accuracy(proba, yt, xq.n_rows));
    crm_knn_free(knn);
}

static const char *arg_str(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return def;
}

/* Whether name is one of the comma-separated words of list. */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0) {
            return 1;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

static int64_t arg_i64(int argc, char **argv, const char *name, int64_t def)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return atoll(argv[i + 1]);
        }
    }
    return def;
}

int main(int argc, char **argv)
{
    opts o;
    dataset tr;
    dataset te;
    dataset pr;
    double mean[64] = { 0 };
    double sd[64] = { 0 };
    crm_matrix x;
    crm_matrix xt;
    crm_matrix xp;
    double *proba;
    o.rows = arg_i64(argc, argv, "--rows", 200000);
    o.test_rows = arg_i64(argc, argv, "--test-rows", 50000);
    o.predict_rows = arg_i64(argc, argv, "--predict-rows", 1000000);
    o.svm_rows = arg_i64(argc, argv, "--svm-rows", 5000);
    o.svm_predict_rows = arg_i64(argc, argv, "--svm-predict-rows", 100000);
    o.knn_rows = arg_i64(argc, argv, "--knn-rows", 50000);
    o.repeat = (int)arg_i64(argc, argv, "--repeat", 3);
    o.dump_dir = arg_str(argc, argv, "--dump", NULL);
    o.models = arg_str(argc, argv, "--models", "mlp,nb,svm,knn");
    o.mlp_epochs = (int32_t)arg_i64(argc, argv, "--mlp-epochs", 0);
    o.n_mlp_seeds = 0;
    for (const char *p = arg_str(argc, argv, "--mlp-seeds", "1");
         *p != '\0' && o.n_mlp_seeds < 16;) {
        char *end;
        o.mlp_seeds[o.n_mlp_seeds++] = strtoull(p, &end, 10);
        p = *end == ',' ? end + 1 : end + strlen(end);
    }
    if (o.n_mlp_seeds == 0) {
        o.mlp_seeds[o.n_mlp_seeds++] = 1;
    }
    make_data(o.rows, 1, &tr);
    make_data(o.test_rows, 2, &te);
    make_data(o.predict_rows, 3, &pr);
    column_stats(&tr, mean, sd);
    design(&tr, mean, sd, &x);
    design(&te, mean, sd, &xt);
    design(&pr, mean, sd, &xp);
    printf("rows %lld\nfeatures_raw %d\nfeatures_design %lld\n", (long long)o.rows, tr.n_raw,
           (long long)x.n_cols);
    if (o.dump_dir != NULL) {
        char shape[128];
        int len = snprintf(shape, sizeof shape, "%lld %lld %lld %lld\n", (long long)x.n_rows,
                           (long long)x.n_cols, (long long)xt.n_rows, (long long)xp.n_rows);
        dump(o.dump_dir, "shape.txt", shape, (size_t)len);
        dump(o.dump_dir, "X.f64", x.data, (size_t)(x.n_rows * x.n_cols) * sizeof(double));
        dump(o.dump_dir, "y.i32", tr.y, (size_t)x.n_rows * sizeof(int32_t));
        dump(o.dump_dir, "Xt.f64", xt.data, (size_t)(xt.n_rows * xt.n_cols) * sizeof(double));
        dump(o.dump_dir, "yt.i32", te.y, (size_t)xt.n_rows * sizeof(int32_t));
        dump(o.dump_dir, "Xp.f64", xp.data, (size_t)(xp.n_rows * xp.n_cols) * sizeof(double));
    }
    proba = malloc((size_t)(o.predict_rows > o.test_rows ? o.predict_rows : o.test_rows) * 2 *
                   sizeof *proba);
    if (in_list(o.models, "mlp")) {
        bench_mlp(&o, &x, tr.y, &xt, te.y, &xp, proba);
    }
    if (in_list(o.models, "nb")) {
        bench_nb(&o, &tr, &te, &pr, proba);
    }
    if (in_list(o.models, "svm")) {
        bench_svm(&o, &x, tr.y, &xt, te.y, &xp, proba);
    }
    if (in_list(o.models, "knn")) {
        bench_knn(&o, &x, tr.y, &xt, te.y, proba);
    }
    free(proba);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    crm_matrix_fini(&xp);
    crm_matrix_fini(&tr.raw);
    crm_matrix_fini(&te.raw);
    crm_matrix_fini(&pr.raw);
    free(tr.y);
    free(te.y);
    free(pr.y);
    return 0;
}
