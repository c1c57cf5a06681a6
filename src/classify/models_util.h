/* models_util.h: small helpers shared by the SVM, MLP, KNN, naive Bayes and voting modules
 * (argument checks on a design matrix and labels, argmax with the lowest-index tie rule,
 * seeded grouping of rows by class and stratified hold-out splits). Private to src/classify. */
#ifndef CRM_MODELS_UTIL_H
#define CRM_MODELS_UTIL_H
#include <math.h>
#include <stdint.h>

#include <crmkit/alloc.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>

/* Check a training set: x has rows and columns, every cell finite unless allow_nan, y[i] in
 * [0, n_classes), n_classes >= 2 and at least two classes present. CRM_EINVAL / CRM_EDATA. */
crm_status crm__mdl_check_train(const crm_matrix *x,
                                const int32_t *y,
                                int32_t n_classes,
                                int allow_nan,
                                crm_error *err);

/* The labels of n training rows, in [0, k), and their sample weights (NULL = all 1). */
typedef struct crm__mdl_labels {
    const int32_t *y;
    int64_t n;
    int32_t k;
    const double *sw;
} crm__mdl_labels;

/* The weight of each training row into *w (n, caller frees), once every label lies in [0, k),
 * every sample weight is finite and >= 0 and at least two classes are present (CRM_EINVAL,
 * CRM_EDATA; messages start with `who`): sw[i], times n / (classes present x rows of its class)
 * when balanced. */
crm_status crm__mdl_train_weights(const char *who,
                                  const crm__mdl_labels *l,
                                  int balanced,
                                  double **w,
                                  crm_error *err);

/* The checks before a fitted model is used: CRM_EINVAL "<who>: NULL argument" when fitted is
 * NULL (the model or an argument is missing), CRM_ESTATE "<who>: the model is not fitted" when
 * *fitted is 0. */
crm_status crm__mdl_check_ready(const char *who, const int32_t *fitted, crm_error *err);

/* crm__mdl_check_ready for a prediction, and x (NULL: missing) has the model's nf columns. */
crm_status crm__mdl_check_rows(const char *who,
                               const int32_t *fitted,
                               int32_t nf,
                               const crm_matrix *x,
                               crm_error *err);

/* CRM_EFORMAT "<file>: section \"<tag>\": <what>". */
crm_status
crm__mdl_bad_section(const crm_model_reader *r, const char *tag, const char *what, crm_error *err);

/* log(1 + e^z) without overflow. */
static inline double crm__mdl_log1pexp(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* 1 / (1 + e^-z) without overflow. */
static inline double crm__mdl_sigmoid(double z)
{
    if (z >= 0) {
        return 1.0 / (1.0 + exp(-z));
    }
    double e = exp(z);
    return e / (1.0 + e);
}

/* Softmax of z[k] in place; *lse (may be NULL) gets the log-sum-exp of the input. */
static inline void crm__mdl_softmax(double *z, int32_t k, double *lse)
{
    double m = z[0];
    double s = 0;
    for (int32_t c = 1; c < k; c++) {
        m = z[c] > m ? z[c] : m;
    }
    for (int32_t c = 0; c < k; c++) {
        z[c] = exp(z[c] - m);
        s += z[c];
    }
    for (int32_t c = 0; c < k; c++) {
        z[c] /= s;
    }
    if (lse != NULL) {
        /* s >= 1: the largest term is exp(0) */
        *lse = m + log(s);
    }
}

/* Check a matrix given for prediction against the fitted width. CRM_EINVAL. */
crm_status
crm__mdl_check_predict(const crm_matrix *x, int64_t n_cols, const void *out, crm_error *err);

/* Index of the largest of p[n]; ties go to the lowest index. NaN never wins. */
int32_t crm__mdl_argmax(const double *p, int32_t n);

/* A k-class model behind a void *: score writes the scores of the rows of x to
 * out[n_rows * k] (the model's own function, through a wrapper of this type). */
typedef struct crm__mdl_scorer {
    const void *model;
    int32_t k;
    crm_status (*score)(const void *model, const crm_matrix *x, double *out, crm_error *err);
} crm__mdl_scorer;

/* The label y[i] of each row of x (already checked): the scores from s into a scratch
 * n_rows x k, then the argmax of each row (ties to the lowest class). CRM_ENOMEM, or the
 * scorer's error. */
crm_status
crm__mdl_predict_labels(const crm__mdl_scorer *s, const crm_matrix *x, int32_t *y, crm_error *err);

/* The rows of l (its sample weights unread) grouped by class, each class shuffled with rng
 * (classes in index order), in one block *start_out that the caller frees: start[0 .. k]
 * (start[k] = n), then order = start + k + 1, where order[start[c] .. start[c + 1]) holds
 * class c's rows. The same grouping serves the folds and splits of crmkit/metrics.h and the
 * hold-out below, so each is a pure function of (labels, size, seed of rng). Errors:
 * CRM_EINVAL (a label outside [0, k)), CRM_ENOMEM. */
crm_status
crm__mdl_class_order(const crm__mdl_labels *l, crm_rng *rng, int64_t **start_out, crm_error *err);

/* Stratified hold-out: is_val[i] = 1 for round(frac * n_c) rows of each class c (at least one
 * row of each class stays in training), the first of the class's rows (in row order) once
 * shuffled with rng, classes in index order; rng is left past those draws (the GBT draws its
 * bin samples on from there). Errors: CRM_EINVAL, CRM_ENOMEM. */
crm_status crm__mdl_stratified_holdout(const crm__mdl_labels *l,
                                       double frac,
                                       crm_rng *rng,
                                       uint8_t *is_val,
                                       crm_error *err);

/* Begin the section of a model's _save: tag when given, else def (1 to 15 characters). */
crm_status crm__mdl_begin(crm_model_writer *w, const char *tag, const char *def, crm_error *err);

/* Open the section a model's _load reads: tag when given, else def (1 to 15 characters). */
crm_status crm__mdl_section(const crm_model_reader *r,
                            const char *tag,
                            const char *def,
                            crm_section *s,
                            crm_error *err);

/* The model-specific steps of a _load; ctx is the caller's out (a pointer to the model
 * pointer). make stores a new model in ctx (NULL when it fails), read reads section s into
 * the model ctx holds, drop frees it and sets ctx's pointer to NULL. */
typedef struct crm__mdl_loader {
    const char *def; /* section tag when the caller gives none */
    crm_status (*make)(void *ctx, crm_error *err);
    crm_status (*read)(void *ctx, crm_section *s, const crm_model_reader *r, crm_error *err);
    void (*drop)(void *ctx);
} crm__mdl_loader;

/* The frame of a model's _load: checks r and ctx (CRM_EINVAL), makes the model, opens the
 * section and reads it, and drops the model when a step after make failed. */
crm_status crm__mdl_load(const crm_model_reader *r,
                         const char *tag,
                         const crm__mdl_loader *ld,
                         void *ctx,
                         crm_error *err);

/* The life of a model crm_<name> whose struct keeps its params in a member `params`:
 * crm_<name>_new (p, or the defaults when p is NULL, must pass crm_<name>_params_check; then
 * setup(model) sets what does not start at zero) and crm_<name>_free (NULL-safe: release(model)
 * frees what the model holds, then the model goes). */
#define CRM__MDL_DEFINE_NEW_FREE(name, setup, release)                                             \
    crm_status crm_##name##_new(const crm_##name##_params *p, crm_##name **out, crm_error *err)    \
    {                                                                                              \
        crm_##name##_params def = crm_##name##_params_default();                                   \
        crm_##name *m;                                                                             \
        crm_status rc;                                                                             \
        if (out == NULL) {                                                                         \
            return crm__error_set(err, CRM_EINVAL, "out is NULL");                                 \
        }                                                                                          \
        *out = NULL;                                                                               \
        rc = crm_##name##_params_check(p != NULL ? p : &def, err);                                 \
        if (rc != CRM_OK) {                                                                        \
            return rc;                                                                             \
        }                                                                                          \
        m = crm_calloc(1, sizeof *m);                                                              \
        if (m == NULL) {                                                                           \
            return crm__error_nomem(err);                                                          \
        }                                                                                          \
        m->params = p != NULL ? *p : def;                                                          \
        setup(m);                                                                                  \
        *out = m;                                                                                  \
        return CRM_OK;                                                                             \
    }                                                                                              \
    void crm_##name##_free(crm_##name *m)                                                          \
    {                                                                                              \
        if (m != NULL) {                                                                           \
            release(m);                                                                            \
            crm_free(m);                                                                           \
        }                                                                                          \
    }

/* crm_<name>_load through crm__mdl_load: section "<name>" unless tag is given, a model from
 * crm_<name>_new with the defaults, read (a crm__mdl_loader read) fills it, and a failed one
 * goes back through crm_<name>_free. */
#define CRM__MDL_DEFINE_LOAD(name, read)                                                           \
    static crm_status make_##name(void *ctx, crm_error *err)                                       \
    {                                                                                              \
        return crm_##name##_new(NULL, ctx, err);                                                   \
    }                                                                                              \
    static void drop_##name(void *ctx)                                                             \
    {                                                                                              \
        crm_##name **out = ctx;                                                                    \
        crm_##name##_free(*out);                                                                   \
        *out = NULL;                                                                               \
    }                                                                                              \
    crm_status crm_##name##_load(const crm_model_reader *r, const char *tag, crm_##name **out,     \
                                 crm_error *err)                                                   \
    {                                                                                              \
        static const crm__mdl_loader ld = { #name, make_##name, read, drop_##name };               \
        return crm__mdl_load(r, tag, &ld, out, err);                                               \
    }

/* Read an i32 from s that must lie in [lo, hi]; marks s failed otherwise. */
crm_status crm__mdl_get_i32_in(crm_section *s, int32_t lo, int32_t hi, int32_t *v);

#endif
