/* classify_internal.h: the interface between the classifier framework (classify.c) and the
 * algorithms. Private to src/classify/ (and unit tests).
 *
 * HOW TO ADD AN ALGORITHM
 * -----------------------
 * 1. Its public params struct lives in its own header include/crmkit/<algo>.h (c45.h, svm.h,
 *    mlp.h, knn.h, nbayes.h, logreg.h, gbt.h, vote.h), with crm_<algo>_params_default() and
 *    crm_<algo>_params_check(). crm_classifier_params embeds one of each (classify.h); the
 *    framework calls _params_default()/_params_check() of every algorithm, so keep the names.
 *    The placeholder headers for algorithms not written yet say so at their top: replace them
 *    whole.
 * 2. An algorithm whose public API has the usual form (crm_<algo>_new, _fit, _predict_proba,
 *    _save, _load, _free, _n_classes, _n_features) is a row of the table in clf_adapter.c:
 *    which matrix it reads, where its params, thread count and seed come from, and its
 *    functions. Any other defines its own vtable, a `const crm__clf_algo` with a symbol name
 *    as below (crm__clf_c45, crm__clf_vote) in its own files, and registry.c maps its
 *    crm_clf_algo value to it.
 * 3. CLI options of the algorithm go in tools/crmkit/train_opts_<algo>.c (one file each; see
 *    train_opts.h there): `crmkit train` offers every option it does not know itself to
 *    each algorithm's parser in turn.
 * 4. Tests: tests/unit/test_classify_<algo>.c; a row per model in bench/telco_compare.py
 *    and bench/results/classify.md; a line in bench/bench_classify.c's algorithm table.
 *
 * WHAT AN ALGORITHM SEES
 * ----------------------
 * The framework turns the table into one or both of two matrices, as the vtable's `needs`
 * asks (a vote asks for both, on behalf of its members):
 *   - design (CRM__CLF_NEEDS_DESIGN): imputed, scaled, one-hot; finite everywhere.
 *   - raw (CRM__CLF_NEEDS_RAW): one column per feature; numeric values with NaN = missing,
 *     categorical features as level codes 0..n_levels-1 stored as doubles (NaN = missing or
 *     unseen in training). schema->raw_n_levels[j] > 0 marks categorical column j.
 * Labels y[i] are class indices in [0, n_classes), every class present in training. Sample
 * weights w[i] may be NULL (all 1).
 *
 * RULES FOR THE CALLBACKS
 * -----------------------
 * - fit: allocates *model (algorithm-private struct) or returns an error with nothing
 *   allocated. Parameters come from p (p->c45, p->svm, ...); randomness only from rng
 *   (already seeded from p->seed); p->n_threads threads at most, results independent of it.
 *   Report progress through crm_progress_report(progress, "<algo>", frac) and return
 *   CRM_ECANCELLED when it returns false.
 * - predict_proba: const model, no globals, thread-safe; writes proba[n * n_classes] (rows
 *   sum to 1) for x (same columns as training; y and w are NULL). A matrix outside
 *   predict_needs(model) is NULL. With rowwise set, x may be a slice of the batch.
 * - save: writes the fitted model into sections of w whose tags start with `tag` (at most 8
 *   characters); an algorithm may add up to 7 characters of its own ("<tag>", "<tag>.tree",
 *   ...). The framework writes schema, classes and preprocessing itself.
 * - load: reads back what save wrote; checks every count against schema (a damaged file is
 *   CRM_EFORMAT, never a crash).
 * - free: NULL-safe.
 * - describe (may be NULL): readable text through line_fn (C4.5 prints its rules).
 */
#ifndef CRM_CLASSIFY_INTERNAL_H
#define CRM_CLASSIFY_INTERNAL_H
#include <stdint.h>

#include <crmkit/classify.h>
#include <crmkit/matrix.h>
#include <crmkit/metrics.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>

enum {
    CRM__CLF_NEEDS_DESIGN = 1,
    CRM__CLF_NEEDS_RAW = 2
};

/* Column and class names; borrowed from the classifier for the duration of a call. */
typedef struct crm__clf_schema {
    int32_t n_classes;
    const char *const *class_names;       /* [n_classes] */
    int32_t n_design;                     /* columns of the design matrix (0 if not built) */
    const char *const *design_names;      /* [n_design] ("plan=prepaid") */
    int32_t n_raw;                        /* columns of the raw matrix (0 if not built) */
    const char *const *raw_names;         /* [n_raw] feature names */
    const int32_t *raw_n_levels;          /* [n_raw]: 0 numeric, > 0 categorical */
    const char *const *const *raw_levels; /* [n_raw][raw_n_levels[j]] level text */
} crm__clf_schema;

typedef struct crm__clf_data {
    const crm__clf_schema *schema;
    int64_t n_rows;
    const crm_matrix *design; /* n_rows x n_design, or NULL if not asked for */
    const crm_matrix *raw;    /* n_rows x n_raw, or NULL if not asked for */
    const int32_t *y;         /* [n_rows] class indices; NULL when predicting */
    const double *w;          /* [n_rows] sample weights; NULL = all 1 */
} crm__clf_data;

typedef struct crm__clf_algo {
    const char *name; /* "c45", ... as crm_clf_algo_name */
    int needs;        /* CRM__CLF_NEEDS_* bits */
    /* 1 when predict_proba scores each row on its own, in fixed blocks counted from the
     * first row (CRM_BLOCK_ROWS or a divisor of it): the framework may then score a large
     * batch a slice of rows at a time, slices starting at multiples of CRM_BLOCK_ROWS. */
    int rowwise;
    /* May be NULL (= needs): the matrices a fitted model reads, when fewer than needs. */
    int (*predict_needs)(const void *model);
    crm_status (*fit)(const crm__clf_data *train,
                      const crm_classifier_params *p,
                      crm_rng *rng,
                      const crm_progress *progress,
                      void **model,
                      crm_error *err);
    crm_status (*predict_proba)(const void *model,
                                const crm__clf_data *x,
                                double *proba,
                                crm_error *err);
    crm_status (*save)(const void *model, crm_model_writer *w, const char *tag, crm_error *err);
    crm_status (*load)(const crm_model_reader *r,
                       const char *tag,
                       const crm__clf_schema *schema,
                       void **model,
                       crm_error *err);
    void (*free)(void *model);
    crm_status (*describe)(const void *model,
                           const crm__clf_schema *schema,
                           void (*line_fn)(void *ud, const char *line),
                           void *ud,
                           crm_error *err);
    /* May be NULL (no importance): the kind of importance the model has; with out != NULL
     * also its value for each input it reads (raw features for the tree kinds, design
     * columns for coefficients), out[n] with n the count of those inputs. */
    crm_clf_importance (*importance)(const void *model, double *out, int32_t n);
} crm__clf_algo;

/* The algorithms with a vtable of their own (c45.c, vote.c). */
extern const crm__clf_algo crm__clf_c45;
extern const crm__clf_algo crm__clf_vote;
/* clf_adapter.c: the vtable of a table-driven algorithm (gbt, logreg, mlp, svm, knn, nb), NULL
 * for any other value. */
const crm__clf_algo *crm__clf_adapter(crm_clf_algo a);

/* registry.c: vtable of an algorithm, or NULL for a value out of range. */
const crm__clf_algo *crm__clf_algo_get(crm_clf_algo a);
/* Data an algorithm needs, including a vote's members (p->members). */
int crm__clf_needs(const crm_classifier_params *p);

/* Shared helpers (registry.c). */
/* Index of the largest of v[n]; ties go to the lowest index. */
int32_t crm__clf_argmax(const double *v, int32_t n);

#endif
