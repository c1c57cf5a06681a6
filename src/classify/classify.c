/* classify.c: the composite classifier: target classes + feature list + fitted preprocessing
 * + one algorithm behind the vtable of classify_internal.h.
 *
 * Fitting selects the features, fits the transforms the algorithm asks for (a design matrix
 * for the numeric learners, a raw matrix with NaN and level codes for trees and counting
 * learners; a vote asks for both) on the training rows only, and hands both matrices to the
 * algorithm. Scoring repeats the transforms, finding features by name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify_priv.h"
#include "core/core_internal.h"
#include "prep/prep_rows.h"

crm_classifier_params crm_classifier_params_default(void)
{
    crm_classifier_params p;
    memset(&p, 0, sizeof p);
    p.algo = CRM_CLF_C45;
    p.seed = 42;
    p.prep = crm_prep_params_default();
    p.c45 = crm_c45_params_default();
    p.svm = crm_svm_params_default();
    p.mlp = crm_mlp_params_default();
    p.knn = crm_knn_params_default();
    p.nb = crm_nbayes_params_default();
    p.logreg = crm_logreg_params_default();
    p.gbt = crm_gbt_params_default();
    p.vote = crm_vote_params_default();
    return p;
}

static crm_status check_algo(crm_clf_algo a, const crm_classifier_params *p, crm_error *err)
{
    switch (a) {
    case CRM_CLF_C45:
        return crm_c45_params_check(&p->c45, err);
    case CRM_CLF_SVM:
        return crm_svm_params_check(&p->svm, err);
    case CRM_CLF_MLP:
        return crm_mlp_params_check(&p->mlp, err);
    case CRM_CLF_KNN:
        return crm_knn_params_check(&p->knn, err);
    case CRM_CLF_NB:
        return crm_nbayes_params_check(&p->nb, err);
    case CRM_CLF_LOGREG:
        return crm_logreg_params_check(&p->logreg, err);
    case CRM_CLF_GBT:
        return crm_gbt_params_check(&p->gbt, err);
    case CRM_CLF_VOTE:
        return crm_vote_params_check(&p->vote, err);
    default:
        break;
    }
    return crm__error_set(err, CRM_EINVAL, "unknown algorithm %d", (int)a);
}

crm_status crm_classifier_params_check(const crm_classifier_params *p, crm_error *err)
{
    crm_status rc;
    if (p->target == NULL || p->target[0] == '\0') {
        rc = crm__error_set(err, CRM_EINVAL, "a target column is required");
        crm__error_field(err, "target");
        return rc;
    }
    if (p->features != NULL && p->n_features < 1) {
        return crm__error_set(err, CRM_EINVAL, "feature list is empty");
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0, got %d", p->n_threads);
    }
    if (crm__clf_algo_get(p->algo) == NULL) {
        return crm__error_set(err, CRM_EINVAL, "unknown algorithm %d", (int)p->algo);
    }
    rc = check_algo(p->algo, p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (p->algo == CRM_CLF_VOTE) {
        if (p->n_members < 1 || p->n_members > CRM_CLF_MAX_MEMBERS) {
            return crm__error_set(err, CRM_EINVAL, "a vote needs 1 to %d members, got %d",
                                  CRM_CLF_MAX_MEMBERS, p->n_members);
        }
        for (int32_t i = 0; i < p->n_members; i++) {
            if (crm__clf_algo_get(p->members[i]) == NULL || p->members[i] == CRM_CLF_VOTE) {
                return crm__error_set(err, CRM_EINVAL, "vote member %d is not an algorithm", i + 1);
            }
            rc = check_algo(p->members[i], p, err);
            if (rc != CRM_OK) {
                return rc;
            }
        }
    }
    return crm_prep_params_check(&p->prep, err);
}

void crm_classifier_free(crm_classifier *c)
{
    if (c == NULL) {
        return;
    }
    if (c->vt != NULL && c->model != NULL) {
        c->vt->free(c->model);
    }
    crm_free(c->target);
    crm__clf_free_strings(c->class_names, c->n_classes);
    crm__clf_free_strings(c->features, c->n_features);
    crm_prep_free(c->prep_design);
    crm_prep_free(c->prep_raw);
    crm_free(c->design_names);
    crm_free(c->raw_names);
    crm_free(c->raw_n_levels);
    if (c->raw_levels != NULL) {
        for (int32_t j = 0; j < c->schema.n_raw; j++) {
            crm_free(c->raw_levels[j]);
        }
    }
    crm_free(c->raw_levels);
    crm_free(c);
}

static crm_prep_params raw_prep_params(void)
{
    crm_prep_params r = crm_prep_params_default();
    r.impute = CRM_IMPUTE_NONE;
    r.cap_low_pct = 0.0;
    r.cap_high_pct = 100.0;
    r.outlier_flags = 0;
    r.scale = CRM_SCALE_NONE;
    r.encode = CRM_ENCODE_ORDINAL;
    return r;
}

static crm_status raw_schema(crm_classifier *c, crm_error *err)
{
    int32_t n = crm_prep_n_out(c->prep_raw);
    if (n != crm_prep_n_features(c->prep_raw)) {
        return crm__error_set(err, CRM_EINTERNAL,
                              "ordinal transform gave %d columns for %d "
                              "features",
                              n, crm_prep_n_features(c->prep_raw));
    }
    c->raw_names = crm_calloc((size_t)n + 1, sizeof *c->raw_names);
    c->raw_n_levels = crm_calloc((size_t)n + 1, sizeof *c->raw_n_levels);
    c->raw_levels = crm_calloc((size_t)n + 1, sizeof *c->raw_levels);
    if (c->raw_names == NULL || c->raw_n_levels == NULL || c->raw_levels == NULL) {
        return crm__error_nomem(err);
    }
    c->schema.n_raw = n;
    for (int32_t j = 0; j < n; j++) {
        int32_t f = crm_prep_out_feature(c->prep_raw, j);
        int32_t nl = crm_prep_feature_type(c->prep_raw, f) == CRM_COL_NUMERIC
                         ? 0
                         : crm_prep_feature_n_levels(c->prep_raw, f);
        c->raw_names[j] = crm_prep_feature_name(c->prep_raw, f);
        c->raw_n_levels[j] = nl;
        c->raw_levels[j] = crm_calloc((size_t)nl + 1, sizeof **c->raw_levels);
        if (c->raw_levels[j] == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t l = 0; l < nl; l++) {
            c->raw_levels[j][l] = crm_prep_feature_level(c->prep_raw, f, l);
        }
    }
    c->schema.raw_names = c->raw_names;
    c->schema.raw_n_levels = c->raw_n_levels;
    c->schema.raw_levels = (const char *const *const *)c->raw_levels;
    return CRM_OK;
}

crm_status crm__clf_build_schema(crm_classifier *c, crm_error *err)
{
    crm_status rc;
    c->schema.n_classes = c->n_classes;
    c->schema.class_names = (const char *const *)c->class_names;
    if (c->prep_design != NULL) {
        int32_t n = crm_prep_n_out(c->prep_design);
        c->design_names = crm_calloc((size_t)n + 1, sizeof *c->design_names);
        if (c->design_names == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t j = 0; j < n; j++) {
            c->design_names[j] = crm_prep_out_name(c->prep_design, j);
        }
        c->schema.n_design = n;
        c->schema.design_names = c->design_names;
    }
    if (c->prep_raw != NULL) {
        rc = raw_schema(c, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

/* The matrices the model's algorithm needs to fit, for the rows of t (a table holding exactly
 * the training rows). */
typedef struct encoded {
    crm_matrix design;
    crm_matrix raw;
    crm__clf_data data;
} encoded;

static void encoded_fini(encoded *e)
{
    crm_matrix_fini(&e->design);
    crm_matrix_fini(&e->raw);
}

static crm_status encode(const crm_classifier *c, const crm_table *t, encoded *e, crm_error *err)
{
    crm_status rc = CRM_OK;
    memset(e, 0, sizeof *e);
    e->data.schema = &c->schema;
    e->data.n_rows = crm_table_n_rows(t);
    if (c->prep_raw != NULL) {
        rc = crm_prep_transform(c->prep_raw, t, &e->raw, NULL, err);
        if (rc != CRM_OK) {
            return rc;
        }
        e->data.raw = &e->raw;
    }
    if (c->prep_design != NULL) {
        rc = crm_prep_transform(c->prep_design, t, &e->design, NULL, err);
        if (rc != CRM_OK) {
            encoded_fini(e);
            return rc;
        }
        e->data.design = &e->design;
    }
    return CRM_OK;
}

static crm_status
fit_preps(crm_classifier *c, const crm_table *work, const crm_classifier_params *p, crm_error *err)
{
    crm_status rc = CRM_OK;
    const char *const *feats = (const char *const *)c->features;
    if (c->needs & CRM__CLF_NEEDS_DESIGN) {
        rc = crm_prep_fit(work, feats, c->n_features, &p->prep, &c->prep_design, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    if (c->needs & CRM__CLF_NEEDS_RAW) {
        crm_prep_params rp = raw_prep_params();
        rc = crm_prep_fit(work, feats, c->n_features, &rp, &c->prep_raw, err);
    }
    return rc;
}

static crm_status fit_algorithm(crm_classifier *c,
                                const crm_table *work,
                                const int32_t *y,
                                const crm_classifier_params *p,
                                const crm_progress *progress,
                                crm_error *err)
{
    encoded e;
    crm_rng rng;
    crm_status rc = encode(c, work, &e, err);
    if (rc != CRM_OK) {
        return rc;
    }
    e.data.y = y;
    crm_rng_seed(&rng, p->seed);
    rc = c->vt->fit(&e.data, p, &rng, progress, &c->model, err);
    encoded_fini(&e);
    return rc;
}

static crm_status check_classes(const crm_table *t,
                                const crm_classifier_params *p,
                                char **names,
                                int32_t n,
                                crm_error *err)
{
    crm_status rc;
    if (n >= 2) {
        return CRM_OK;
    }
    rc = crm__error_set(err, CRM_EDATA,
                        "target column \"%s\" of %s has only one class (\"%s\") in the "
                        "training rows: a classifier needs at least two",
                        p->target, crm_table_source(t), n > 0 ? names[0] : "");
    crm__error_field(err, p->target);
    return rc;
}

crm_status crm_classifier_fit_rows(const crm_table *t,
                                   const int64_t *rows,
                                   int64_t n_sel,
                                   const crm_classifier_params *p,
                                   const crm_progress *progress,
                                   crm_classifier **out,
                                   crm_error *err)
{
    crm_classifier *c = NULL;
    crm_table *sub = NULL;
    int32_t *y = NULL;
    double t0 = crm__now_seconds();
    crm_status rc;
    *out = NULL;
    rc = crm_classifier_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (rows == NULL) {
        n_sel = crm_table_n_rows(t);
    }
    c = crm_calloc(1, sizeof *c);
    y = crm_mallocarray((size_t)(n_sel > 0 ? n_sel : 1), sizeof *y);
    if (c == NULL || y == NULL) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    c->algo = p->algo;
    c->vt = crm__clf_algo_get(p->algo);
    c->needs = crm__clf_needs(p);
    c->n_train = n_sel;
    c->target = crm_strdup(p->target);
    if (c->target == NULL) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    rc = crm__clf_target_classes(t, p->target, rows, n_sel, &c->class_names, &c->n_classes, y, err);
    if (rc == CRM_OK) {
        rc = check_classes(t, p, c->class_names, c->n_classes, err);
    }
    if (rc == CRM_OK) {
        rc = crm__clf_select_features(t, p, rows, n_sel, &c->features, &c->n_features, err);
    }
    if (rc == CRM_OK && rows != NULL) {
        rc = crm__clf_table_subset(t, c->features, c->n_features, rows, n_sel, &sub, err);
    }
    if (rc == CRM_OK) {
        rc = fit_preps(c, sub != NULL ? sub : t, p, err);
    }
    if (rc == CRM_OK) {
        rc = crm__clf_build_schema(c, err);
    }
    if (rc == CRM_OK) {
        rc = fit_algorithm(c, sub != NULL ? sub : t, y, p, progress, err);
    }
    if (rc != CRM_OK) {
        goto fail;
    }
    c->fit_seconds = crm__now_seconds() - t0;
    crm_table_free(sub);
    crm_free(y);
    *out = c;
    return CRM_OK;
fail:
    crm_table_free(sub);
    crm_free(y);
    crm_classifier_free(c);
    return rc;
}

crm_status crm_classifier_fit(const crm_table *t,
                              const crm_classifier_params *p,
                              const crm_progress *progress,
                              crm_classifier **out,
                              crm_error *err)
{
    return crm_classifier_fit_rows(t, NULL, 0, p, progress, out, err);
}

/* Rows per slice of a batch scored by a rowwise algorithm: the slice's matrices (a few MB)
 * are allocated once and reused, so a million-row batch needs neither matrices for all of
 * its rows nor the page faults of first touching them. */
#define CLF_SLICE_ROWS (8 * CRM_BLOCK_ROWS)

/* A preprocessing bound to the table being scored, and the matrix its slices go into. */
typedef struct slice_src {
    crm__prep_rows *rows;
    crm_matrix m;
} slice_src;

static crm_status slice_src_init(const crm_prep *prep,
                                 const crm_table *t,
                                 int64_t n_rows,
                                 slice_src *s,
                                 crm_error *err)
{
    crm_status rc;
    memset(s, 0, sizeof *s);
    if (prep == NULL) {
        return CRM_OK;
    }
    rc = crm__prep_rows_bind(prep, t, &s->rows, err);
    if (rc == CRM_OK) {
        rc = crm__matrix_alloc(&s->m, n_rows, crm_prep_n_out(prep), err);
    }
    return rc;
}

static void slice_src_fini(slice_src *s)
{
    crm__prep_rows_free(s->rows);
    crm_matrix_fini(&s->m);
}

/* Rows [i0, i0 + n) of the bound table into the first n rows of s->m; view is those rows. */
static crm_status slice_fill(const slice_src *s,
                             int64_t i0,
                             int64_t n,
                             crm_matrix *view,
                             crm__prep_counts *counts,
                             crm_error *err)
{
    *view = s->m;
    view->n_rows = n;
    return crm__prep_rows_fill(s->rows, i0, i0 + n, view, counts, err);
}

/* Score every row of t (a table holding exactly the rows to score) into proba, counting the
 * unseen and missing cells. */
static crm_status score(const crm_classifier *c,
                        const crm_table *t,
                        double *proba,
                        crm__prep_counts *counts,
                        crm_error *err)
{
    int needs = c->vt->predict_needs != NULL ? c->vt->predict_needs(c->model) : c->needs;
    int64_t n = crm_table_n_rows(t);
    int64_t slice = c->vt->rowwise && n > CLF_SLICE_ROWS ? CLF_SLICE_ROWS : n;
    crm__prep_counts again = { 0, 0 };
    slice_src raw;
    slice_src design;
    int64_t i0 = 0;
    crm_status rc =
        slice_src_init((needs & CRM__CLF_NEEDS_RAW) ? c->prep_raw : NULL, t, slice, &raw, err);
    if (rc == CRM_OK) {
        rc = slice_src_init((needs & CRM__CLF_NEEDS_DESIGN) ? c->prep_design : NULL, t, slice,
                            &design, err);
    } else {
        memset(&design, 0, sizeof design);
    }
    /* One pass even for an empty table, so the algorithm still checks its input. */
    while (rc == CRM_OK) {
        int64_t m = n - i0 < slice ? n - i0 : slice;
        crm_matrix rv;
        crm_matrix dv;
        crm__clf_data d;
        memset(&d, 0, sizeof d);
        d.schema = &c->schema;
        d.n_rows = m;
        if (raw.rows != NULL) {
            rc = slice_fill(&raw, i0, m, &rv, counts, err);
            d.raw = &rv;
        }
        if (rc == CRM_OK && design.rows != NULL) {
            /* Both preprocessings see the same cells: count them once. */
            rc = slice_fill(&design, i0, m, &dv, raw.rows != NULL ? &again : counts, err);
            d.design = &dv;
        }
        if (rc == CRM_OK) {
            rc = c->vt->predict_proba(c->model, &d, proba + i0 * c->n_classes, err);
        }
        i0 += m;
        if (i0 >= n) {
            break;
        }
    }
    slice_src_fini(&raw);
    slice_src_fini(&design);
    return rc;
}

crm_status crm_classifier_predict_proba_rows(const crm_classifier *c,
                                             const crm_table *t,
                                             const int64_t *rows,
                                             int64_t n_sel,
                                             double *proba,
                                             crm_clf_predict_info *info,
                                             crm_error *err)
{
    crm_table *sub = NULL;
    crm__prep_counts counts = { 0, 0 };
    crm_status rc;
    if (rows == NULL) {
        n_sel = crm_table_n_rows(t);
    }
    /* Absent features are found (and named) before any work. */
    for (int32_t f = 0; f < c->n_features; f++) {
        if (crm_table_find_col(t, c->features[f]) < 0) {
            char near[160];
            rc = crm__error_set(
                err, CRM_ENOTFOUND,
                "feature column \"%s\" the model was trained with is not in %s%s", c->features[f],
                crm_table_source(t),
                crm_table_did_you_mean(t, c->features[f], near, (int32_t)sizeof near));
            crm__error_field(err, c->features[f]);
            return rc;
        }
    }
    if (rows != NULL) {
        rc = crm__clf_table_subset(t, c->features, c->n_features, rows, n_sel, &sub, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    rc = score(c, sub != NULL ? sub : t, proba, &counts, err);
    if (rc == CRM_OK && info != NULL) {
        info->n_unseen = counts.unseen;
        info->n_missing = counts.missing;
    }
    crm_table_free(sub);
    return rc;
}

crm_status crm_classifier_predict_proba(const crm_classifier *c,
                                        const crm_table *t,
                                        double *proba,
                                        crm_clf_predict_info *info,
                                        crm_error *err)
{
    return crm_classifier_predict_proba_rows(c, t, NULL, 0, proba, info, err);
}

crm_status crm_classifier_predict(const crm_classifier *c,
                                  const crm_table *t,
                                  int32_t *labels,
                                  crm_clf_predict_info *info,
                                  crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t k = c->n_classes;
    double *proba = crm_mallocarray((size_t)(n > 0 ? n : 1) * (size_t)k, sizeof *proba);
    crm_status rc;
    if (proba == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm_classifier_predict_proba(c, t, proba, info, err);
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < n; i++) {
            labels[i] = crm__clf_argmax(proba + i * k, k);
        }
    }
    crm_free(proba);
    return rc;
}

crm_status crm_classifier_true_labels(const crm_classifier *c,
                                      const crm_table *t,
                                      int32_t *labels,
                                      int64_t *n_unknown,
                                      crm_error *err)
{
    return crm__clf_map_target(t, c->target, c->class_names, c->n_classes, NULL,
                               crm_table_n_rows(t), labels, n_unknown, err);
}

crm_clf_algo crm_classifier_algo(const crm_classifier *c)
{
    return c->algo;
}

/* Inputs an importance of this kind is over: design columns for coefficients, else the raw
 * features. */
static int32_t importance_inputs(const crm_classifier *c, crm_clf_importance kind)
{
    if (kind == CRM_CLF_IMPORTANCE_COEF) {
        return c->prep_design ? crm_prep_n_out(c->prep_design) : 0;
    }
    return c->prep_raw ? crm_prep_n_features(c->prep_raw) : 0;
}

crm_clf_importance crm_classifier_importance(const crm_classifier *c, double *out, int32_t *n)
{
    crm_clf_importance kind = CRM_CLF_IMPORTANCE_NONE;
    int32_t n_in = 0;
    if (c->vt->importance != NULL) {
        kind = c->vt->importance(c->model, NULL, 0);
        n_in = kind == CRM_CLF_IMPORTANCE_NONE ? 0 : importance_inputs(c, kind);
        if (out != NULL && n_in > 0) {
            (void)c->vt->importance(c->model, out, n_in);
        }
    }
    if (n != NULL) {
        *n = n_in;
    }
    return n_in > 0 ? kind : CRM_CLF_IMPORTANCE_NONE;
}

const char *crm_classifier_importance_name(const crm_classifier *c, int32_t j)
{
    crm_clf_importance kind = crm_classifier_importance(c, NULL, NULL);
    if (j < 0 || j >= importance_inputs(c, kind) || kind == CRM_CLF_IMPORTANCE_NONE) {
        return NULL;
    }
    return kind == CRM_CLF_IMPORTANCE_COEF ? c->design_names[j] : c->raw_names[j];
}

int32_t crm_classifier_n_classes(const crm_classifier *c)
{
    return c->n_classes;
}

const char *crm_classifier_class_name(const crm_classifier *c, int32_t i)
{
    return i >= 0 && i < c->n_classes ? c->class_names[i] : NULL;
}

int32_t crm_classifier_class_index(const crm_classifier *c, const char *name)
{
    for (int32_t i = 0; i < c->n_classes; i++) {
        if (strcmp(c->class_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *crm_classifier_target(const crm_classifier *c)
{
    return c->target;
}

int32_t crm_classifier_n_features(const crm_classifier *c)
{
    return c->n_features;
}

const char *crm_classifier_feature_name(const crm_classifier *c, int32_t f)
{
    return f >= 0 && f < c->n_features ? c->features[f] : NULL;
}

crm_col_type crm_classifier_feature_type(const crm_classifier *c, int32_t f)
{
    const crm_prep *prep = c->prep_raw ? c->prep_raw : c->prep_design;
    const char *name = crm_classifier_feature_name(c, f);
    if (prep != NULL && name != NULL) {
        for (int32_t i = 0; i < crm_prep_n_features(prep); i++) {
            if (strcmp(crm_prep_feature_name(prep, i), name) == 0) {
                return crm_prep_feature_type(prep, i);
            }
        }
    }
    return CRM_COL_NUMERIC;
}

int64_t crm_classifier_n_train(const crm_classifier *c)
{
    return c->n_train;
}

double crm_classifier_fit_seconds(const crm_classifier *c)
{
    return c->fit_seconds;
}
