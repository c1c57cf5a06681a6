/* split.c: stratified train/test splits and stratified k-fold assignment.
 *
 * Each class's rows are shuffled with one seeded generator (classes in index order), so the
 * split is a pure function of (labels, test_size or k, seed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/metrics.h>

#include "core/core_internal.h"
#include "models_util.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The rows grouped by class and shuffled (crm__mdl_class_order) by a generator seeded with
 * seed; both splits below start from it. */
static crm_status
seeded_order(const crm__mdl_labels *l, uint64_t seed, int64_t **start, crm_error *err)
{
    crm_rng rng;
    if (l->k < 1) {
        return crm__error_set(err, CRM_EINVAL, "need at least one class");
    }
    crm_rng_seed(&rng, seed);
    return crm__mdl_class_order(l, &rng, start, err);
}

crm_status crm_split_stratified(const int32_t *y,
                                int64_t n,
                                int32_t n_classes,
                                double test_size,
                                uint64_t seed,
                                int64_t *train,
                                int64_t *n_train,
                                int64_t *test,
                                int64_t *n_test,
                                crm_error *err)
{
    const crm__mdl_labels lab = { y, n, n_classes, NULL };
    int64_t *start = NULL;
    crm_status rc;
    int64_t ntr = 0;
    int64_t nte = 0;
    if (!(test_size > 0.0 && test_size < 1.0)) {
        return crm__error_set(err, CRM_EINVAL, "test size must be in (0, 1), got %g", test_size);
    }
    rc = seeded_order(&lab, seed, &start, err);
    if (rc != CRM_OK) {
        return rc;
    }
    const int64_t *order = start + n_classes + 1;
    for (int32_t c = 0; c < n_classes; c++) {
        int64_t cnt = start[c + 1] - start[c];
        int64_t k = (int64_t)floor(test_size * (double)cnt + 0.5);
        if (cnt >= 2 && k < 1) {
            k = 1;
        }
        if (cnt >= 2 && k > cnt - 1) {
            k = cnt - 1;
        }
        if (cnt < 2) {
            k = 0; /* a single row goes to training, where it is needed more */
        }
        for (int64_t i = 0; i < cnt; i++) {
            if (i < k) {
                test[nte++] = order[start[c] + i];
            } else {
                train[ntr++] = order[start[c] + i];
            }
        }
    }
    crm_free(start);
    if (ntr == 0 || nte == 0) {
        return crm__error_set(err, CRM_EDATA,
                              "cannot split %lld rows into non-empty training and test parts",
                              (long long)n);
    }
    qsort(train, (size_t)ntr, sizeof *train, cmp_i64);
    qsort(test, (size_t)nte, sizeof *test, cmp_i64);
    *n_train = ntr;
    *n_test = nte;
    return CRM_OK;
}

crm_status crm_kfold_stratified(const int32_t *y,
                                int64_t n,
                                int32_t n_classes,
                                int32_t k,
                                uint64_t seed,
                                int32_t *fold,
                                crm_error *err)
{
    const crm__mdl_labels lab = { y, n, n_classes, NULL };
    int64_t *start = NULL;
    crm_status rc;
    if (k < 2 || (int64_t)k > n) {
        return crm__error_set(err, CRM_EINVAL, "folds must be in [2, %lld], got %d", (long long)n,
                              k);
    }
    rc = seeded_order(&lab, seed, &start, err);
    if (rc != CRM_OK) {
        return rc;
    }
    const int64_t *order = start + n_classes + 1;
    /* Rows are dealt round-robin in class order, continuing across classes, so that whole
     * folds stay balanced as well (fold sizes differ by at most one). */
    for (int64_t pos = 0; pos < n; pos++) {
        fold[order[pos]] = (int32_t)(pos % k);
    }
    crm_free(start);
    return CRM_OK;
}
