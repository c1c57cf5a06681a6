/* bench_classify.c: training time and batch prediction rate of every crmkit classifier on
 * generated customers (crm_gen_customers: 16 feature columns, churn flag as target).
 *
 * usage: bench_classify [--rows 200000] [--predict-rows 1000000] [--repeat 3]
 *                       [--algos c45,nb,...] [--threads N] [--csv train.csv]
 *                       [--predict-csv new.csv]
 *
 * For each algorithm: best-of-repeat fit time on --rows customers (preprocessing included,
 * as `crmkit train` pays it), the time to score --predict-rows new customers in one batch
 * (crm_classifier_predict_proba, preprocessing included) and the rate, and held-out accuracy
 * and AUC on 50,000 further customers. --csv writes the training table so that
 * bench/classify_anchors.py can time scikit-learn and Weka on the same rows, and
 * --predict-csv the rows to score, for scikit-learn's prediction from the same table.
 *
 * To add an algorithm: add a line to ALGOS below (name, enum, optional parameter tweak). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/gen.h>
#include <crmkit/io.h>

typedef struct bench_algo {
    const char *name;
    crm_clf_algo algo;
    void (*tweak)(crm_classifier_params *p);
} bench_algo;

static void vote_members(crm_classifier_params *p)
{
    p->members[0] = CRM_CLF_C45;
    p->members[1] = CRM_CLF_NB;
    p->members[2] = CRM_CLF_LOGREG;
    p->n_members = 3;
}

static const bench_algo ALGOS[] = {
    { "c45", CRM_CLF_C45, NULL },       { "nb", CRM_CLF_NB, NULL },
    { "logreg", CRM_CLF_LOGREG, NULL }, { "gbt", CRM_CLF_GBT, NULL },
    { "mlp", CRM_CLF_MLP, NULL },       { "knn", CRM_CLF_KNN, NULL },
    { "svm", CRM_CLF_SVM, NULL },       { "vote", CRM_CLF_VOTE, vote_members },
};

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static crm_table *generate(int64_t rows, uint64_t seed)
{
    crm_gen_customers_params gp = crm_gen_customers_params_default();
    crm_table *t = NULL;
    crm_error err;
    gp.n_rows = rows;
    gp.seed = seed;
    if (crm_gen_customers(&gp, &t, &err) != CRM_OK) {
        fprintf(stderr, "bench_classify: generating customers: %s\n", err.msg);
        exit(1);
    }
    return t;
}

static int wanted(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;
    if (list == NULL) {
        return 1;
    }
    while ((p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')) {
            return 1;
        }
        p += len;
    }
    return 0;
}

static void run_algo(const bench_algo *a,
                     const crm_table *train,
                     const crm_table *test,
                     const crm_table *big,
                     int repeat,
                     int32_t n_threads)
{
    crm_classifier_params p = crm_classifier_params_default();
    crm_classifier *c = NULL;
    crm_clf_eval e;
    crm_error err;
    double best_fit = INFINITY;
    double best_fit_cpu = INFINITY;
    double pred_cpu = INFINITY;
    double pred_s;
    double *proba;
    int64_t nb = crm_table_n_rows(big);
    p.algo = a->algo;
    p.target = "churn";
    p.seed = 1;
    p.n_threads = n_threads;
    if (a->tweak != NULL) {
        a->tweak(&p);
    }
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        double c0 = cpu_now();
        crm_classifier_free(c);
        c = NULL;
        if (crm_classifier_fit(train, &p, NULL, &c, &err) != CRM_OK) {
            printf("%-8s  not run: %s\n", a->name, err.msg);
            return;
        }
        best_fit = fmin(best_fit, now() - t0);
        best_fit_cpu = fmin(best_fit_cpu, cpu_now() - c0);
    }
    if (crm_classifier_evaluate(c, test, NULL, &e, &err) != CRM_OK) {
        printf("%-8s  evaluate failed: %s\n", a->name, err.msg);
        crm_classifier_free(c);
        return;
    }
    proba = crm_mallocarray((size_t)nb * 2, sizeof *proba);
    pred_s = INFINITY;
    for (int r = 0; r < repeat && proba != NULL; r++) {
        double t0 = now();
        double c0 = cpu_now();
        if (crm_classifier_predict_proba(c, big, proba, NULL, &err) != CRM_OK) {
            printf("%-8s  predict failed: %s\n", a->name, err.msg);
            break;
        }
        pred_s = fmin(pred_s, now() - t0);
        pred_cpu = fmin(pred_cpu, cpu_now() - c0);
    }
    printf("%-8s  fit %8.3f s (cpu %8.3f s)   predict %lld rows %7.3f s (cpu %7.3f s, %10.0f "
           "rows/s)   held-out acc %.4f auc %.4f\n",
           a->name, best_fit, best_fit_cpu, (long long)nb, pred_s, pred_cpu, (double)nb / pred_s,
           e.metrics.accuracy, e.metrics.auc);
    fflush(stdout);
    crm_free(proba);
    crm_clf_eval_fini(&e);
    crm_classifier_free(c);
}

/* Writes t to path unless path is NULL; 0 on success. */
static int write_csv(const crm_table *t, const char *path)
{
    crm_error err;
    if (path != NULL && crm_table_write_csv(t, path, &err) != CRM_OK) {
        fprintf(stderr, "bench_classify: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int64_t rows = 200000;
    int64_t predict_rows = 1000000;
    int repeat = 3;
    int32_t n_threads = 0;
    const char *algos = NULL;
    const char *csv = NULL;
    const char *predict_csv = NULL;
    crm_table *train;
    crm_table *test;
    crm_table *big;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rows") == 0) {
            rows = atoll(argv[i + 1]);
        } else if (strcmp(argv[i], "--predict-rows") == 0) {
            predict_rows = atoll(argv[i + 1]);
        } else if (strcmp(argv[i], "--repeat") == 0) {
            repeat = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--algos") == 0) {
            algos = argv[i + 1];
        } else if (strcmp(argv[i], "--threads") == 0) {
            n_threads = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--csv") == 0) {
            csv = argv[i + 1];
        } else if (strcmp(argv[i], "--predict-csv") == 0) {
            predict_csv = argv[i + 1];
        } else {
            fprintf(stderr, "bench_classify: unknown option %s\n", argv[i]);
            return 64;
        }
    }
    train = generate(rows, 1);
    test = generate(50000, 2);
    big = generate(predict_rows, 3);
    if (write_csv(train, csv) != 0 || write_csv(big, predict_csv) != 0) {
        return 74;
    }
    printf("crmkit classifiers: %lld training rows, %d feature columns, churn target; best of "
           "%d\n",
           (long long)rows, crm_table_n_cols(train) - 2, repeat);
    for (size_t i = 0; i < sizeof ALGOS / sizeof ALGOS[0]; i++) {
        if (wanted(algos, ALGOS[i].name)) {
            run_algo(&ALGOS[i], train, test, big, repeat, n_threads);
        }
    }
    crm_table_free(train);
    crm_table_free(test);
    crm_table_free(big);
    return 0;
}
