/* vote.c: the voting ensemble as an algorithm of crm_classifier: fits every member through
 * its own vtable on the same data (the framework builds both the design and the raw matrix
 * for a vote), combines their probabilities by the hard or soft rule of crmkit/vote.h, and
 * saves the members in sections "<tag>0", "<tag>1", ... after its own "<tag>" section. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/vote.h>

#include "classify_internal.h"
#include "core/core_internal.h"
#include "models_util.h"
#include "vote_internal.h"

typedef struct vote_model {
    crm_vote_kind kind;
    int32_t n;
    crm_clf_algo algo[CRM_CLF_MAX_MEMBERS];
    double weight[CRM_CLF_MAX_MEMBERS];
    void *member[CRM_CLF_MAX_MEMBERS];
} vote_model;

crm_vote_params crm_vote_params_default(void)
{
    crm_vote_params p;
    memset(&p, 0, sizeof p);
    p.kind = CRM_VOTE_HARD;
    return p;
}

crm_status crm_vote_params_check(const crm_vote_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "vote parameters are NULL");
    }
    if (p->kind != CRM_VOTE_HARD && p->kind != CRM_VOTE_SOFT) {
        return crm__error_set(err, CRM_EINVAL, "vote kind must be hard or soft");
    }
    if (p->n_weights < 0 || p->n_weights > CRM_VOTE_MAX_WEIGHTS) {
        return crm__error_set(err, CRM_EINVAL, "give 0 to %d vote weights, got %d",
                              CRM_VOTE_MAX_WEIGHTS, p->n_weights);
    }
    for (int32_t i = 0; i < p->n_weights; i++) {
        if (!(p->weights[i] > 0) || !isfinite(p->weights[i])) {
            return crm__error_set(err, CRM_EINVAL, "vote weight %d must be > 0, got %g", i + 1,
                                  p->weights[i]);
        }
    }
    return CRM_OK;
}

void crm__vote_combine(crm_vote_kind kind,
                       int32_t n_members,
                       const double *const *member_proba,
                       const double *weights,
                       int64_t n_rows,
                       int32_t n_classes,
                       double *out)
{
    double wsum = 0;
    for (int32_t m = 0; m < n_members; m++) {
        wsum += weights[m];
    }
    for (int64_t i = 0; i < n_rows; i++) {
        double *o = out + i * n_classes;
        double votes_total = 0;
        memset(o, 0, (size_t)n_classes * sizeof *o);
        for (int32_t m = 0; m < n_members; m++) {
            const double *p = member_proba[m] + i * n_classes;
            for (int32_t c = 0; c < n_classes; c++) {
                o[c] += weights[m] * p[c] / wsum; /* weighted mean probability */
            }
        }
        if (kind == CRM_VOTE_SOFT) {
            continue;
        }
        /* Votes (weights scaled to sum to n_members) + mean probability. With unit weights a
         * larger vote always wins, since the mean is in [0, 1] and only a class every member
         * gave probability 1 reaches 1; equal votes fall to the mean. */
        for (int32_t m = 0; m < n_members; m++) {
            int32_t c = crm__mdl_argmax(member_proba[m] + i * n_classes, n_classes);
            o[c] += weights[m] * (double)n_members / wsum;
        }
        for (int32_t c = 0; c < n_classes; c++) {
            votes_total += o[c];
        }
        for (int32_t c = 0; c < n_classes; c++) {
            o[c] /= votes_total;
        }
    }
}

static void vote_free(void *model)
{
    vote_model *v = model;
    if (v == NULL) {
        return;
    }
    for (int32_t m = 0; m < v->n; m++) {
        const crm__clf_algo *a = crm__clf_algo_get(v->algo[m]);
        if (a != NULL && v->member[m] != NULL) {
            a->free(v->member[m]);
        }
    }
    crm_free(v);
}

static crm_status vote_setup(vote_model *v, const crm_classifier_params *p, crm_error *err)
{
    static const crm_clf_algo seed_members[3] = { CRM_CLF_MLP, CRM_CLF_C45, CRM_CLF_SVM };
    v->kind = p->vote.kind;
    v->n = p->n_members > 0 ? p->n_members : 3;
    if (v->n > CRM_CLF_MAX_MEMBERS) {
        return crm__error_set(err, CRM_EINVAL, "a vote has at most %d members",
                              CRM_CLF_MAX_MEMBERS);
    }
    if (p->vote.n_weights != 0 && p->vote.n_weights != v->n) {
        return crm__error_set(err, CRM_EINVAL, "%d vote weights for %d members", p->vote.n_weights,
                              v->n);
    }
    for (int32_t m = 0; m < v->n; m++) {
        v->algo[m] = p->n_members > 0 ? p->members[m] : seed_members[m];
        v->weight[m] = p->vote.n_weights > 0 ? p->vote.weights[m] : 1.0;
        if (crm__clf_algo_get(v->algo[m]) == NULL || v->algo[m] == CRM_CLF_VOTE) {
            return crm__error_set(err, CRM_EINVAL, "vote member %d is not an algorithm", m + 1);
        }
    }
    return CRM_OK;
}

static crm_status vote_fit(const crm__clf_data *train,
                           const crm_classifier_params *p,
                           crm_rng *rng,
                           const crm_progress *progress,
                           void **model,
                           crm_error *err)
{
    vote_model *v = crm_calloc(1, sizeof *v);
    crm_status rc;
    *model = NULL;
    if (v == NULL) {
        return crm__error_nomem(err);
    }
    rc = vote_setup(v, p, err);
    for (int32_t m = 0; rc == CRM_OK && m < v->n; m++) {
        const crm__clf_algo *a = crm__clf_algo_get(v->algo[m]);
        rc = a->fit(train, p, rng, progress, &v->member[m], err);
        if (rc != CRM_OK) {
            crm__error_prefix(err, "vote member %s: ", a->name);
        }
    }
    if (rc != CRM_OK) {
        vote_free(v);
        return rc;
    }
    *model = v;
    return CRM_OK;
}

static crm_status
vote_predict(const void *model, const crm__clf_data *x, double *proba, crm_error *err)
{
    const vote_model *v = model;
    int32_t C = x->schema->n_classes;
    size_t cells = (size_t)(x->n_rows > 0 ? x->n_rows : 1) * (size_t)C;
    double *buf = crm_mallocarray(cells * (size_t)v->n, sizeof *buf);
    const double *mp[CRM_CLF_MAX_MEMBERS];
    crm_status rc = CRM_OK;
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t m = 0; rc == CRM_OK && m < v->n; m++) {
        const crm__clf_algo *a = crm__clf_algo_get(v->algo[m]);
        rc = a->predict_proba(v->member[m], x, buf + (size_t)m * cells, err);
        mp[m] = buf + (size_t)m * cells;
    }
    if (rc == CRM_OK) {
        crm__vote_combine(v->kind, v->n, mp, v->weight, x->n_rows, C, proba);
    }
    crm_free(buf);
    return rc;
}

static crm_status member_tag(const char *tag, int32_t m, char *out, size_t size, crm_error *err)
{
    int len = snprintf(out, size, "%s%d", tag, (int)m);
    if (len < 0 || (size_t)len >= size || len > CRM_MODEL_TAG_BYTES - 8) {
        return crm__error_set(err, CRM_EINVAL, "vote section tag \"%s\" is too long", tag);
    }
    return CRM_OK;
}

static crm_status vote_save(const void *model, crm_model_writer *w, const char *tag, crm_error *err)
{
    const vote_model *v = model;
    int32_t algo[CRM_CLF_MAX_MEMBERS];
    char mtag[CRM_MODEL_TAG_BYTES + 8];
    crm_status rc;
    for (int32_t m = 0; m < v->n; m++) {
        algo[m] = (int32_t)v->algo[m];
    }
    if ((rc = crm_model_begin(w, tag, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, (int32_t)v->kind, err)) != CRM_OK ||
        (rc = crm_model_put_i32(w, v->n, err)) != CRM_OK ||
        (rc = crm_model_put_i32s(w, algo, (size_t)v->n, err)) != CRM_OK ||
        (rc = crm_model_put_f64s(w, v->weight, (size_t)v->n, err)) != CRM_OK) {
        return rc;
    }
    for (int32_t m = 0; rc == CRM_OK && m < v->n; m++) {
        rc = member_tag(tag, m, mtag, sizeof mtag, err);
        if (rc == CRM_OK) {
            rc = crm__clf_algo_get(v->algo[m])->save(v->member[m], w, mtag, err);
        }
    }
    return rc;
}

static crm_status
vote_load_head(vote_model *v, crm_section *s, const crm_model_reader *r, crm_error *err)
{
    int32_t kind = -1;
    int32_t algo[CRM_CLF_MAX_MEMBERS];
    crm_section_get_i32(s, &kind);
    crm__mdl_get_i32_in(s, 1, CRM_CLF_MAX_MEMBERS, &v->n);
    if (!s->failed) {
        crm_section_get_i32s(s, algo, (size_t)v->n);
        crm_section_get_f64s(s, v->weight, (size_t)v->n);
    }
    for (int32_t m = 0; !s->failed && m < v->n; m++) {
        v->algo[m] = (crm_clf_algo)algo[m];
        if (crm__clf_algo_get(v->algo[m]) == NULL || v->algo[m] == CRM_CLF_VOTE ||
            !(v->weight[m] > 0) || !isfinite(v->weight[m])) {
            s->failed = 1;
        }
    }
    if (kind != CRM_VOTE_HARD && kind != CRM_VOTE_SOFT) {
        s->failed = 1;
    }
    v->kind = (crm_vote_kind)kind;
    if (s->failed) {
        v->n = 0; /* no member loaded yet: nothing to free */
        return crm__error_set(err, CRM_EFORMAT, "%s: section \"%s\" is not a valid vote",
                              crm_model_reader_source(r), s->tag);
    }
    return crm_section_finish(s, r, err);
}

static crm_status vote_load(const crm_model_reader *r,
                            const char *tag,
                            const crm__clf_schema *schema,
                            void **model,
                            crm_error *err)
{
    vote_model *v = crm_calloc(1, sizeof *v);
    char mtag[CRM_MODEL_TAG_BYTES + 8];
    crm_section s;
    crm_status rc;
    *model = NULL;
    if (v == NULL) {
        return crm__error_nomem(err);
    }
    rc = crm_model_section(r, tag, &s, err);
    if (rc == CRM_OK) {
        rc = vote_load_head(v, &s, r, err);
    }
    for (int32_t m = 0; rc == CRM_OK && m < v->n; m++) {
        rc = member_tag(tag, m, mtag, sizeof mtag, err);
        if (rc == CRM_OK) {
            rc = crm__clf_algo_get(v->algo[m])->load(r, mtag, schema, &v->member[m], err);
        }
    }
    if (rc != CRM_OK) {
        vote_free(v);
        return rc;
    }
    *model = v;
    return CRM_OK;
}

static crm_status vote_describe(const void *model,
                                const crm__clf_schema *schema,
                                void (*line_fn)(void *ud, const char *line),
                                void *ud,
                                crm_error *err)
{
    const vote_model *v = model;
    char line[256];
    int pos =
        snprintf(line, sizeof line, "%s vote over", v->kind == CRM_VOTE_HARD ? "hard" : "soft");
    crm_status rc = CRM_OK;
    for (int32_t m = 0; m < v->n && pos > 0 && (size_t)pos < sizeof line; m++) {
        pos += snprintf(line + pos, sizeof line - (size_t)pos, "%s %s (weight %g)",
                        m > 0 ? "," : "", crm__clf_algo_get(v->algo[m])->name, v->weight[m]);
    }
    line_fn(ud, line);
    for (int32_t m = 0; rc == CRM_OK && m < v->n; m++) {
        const crm__clf_algo *a = crm__clf_algo_get(v->algo[m]);
        if (a->describe != NULL) {
            snprintf(line, sizeof line, "member %d: %s", (int)(m + 1), a->name);
            line_fn(ud, line);
            rc = a->describe(v->member[m], schema, line_fn, ud, err);
        }
    }
    return rc;
}

const crm__clf_algo crm__clf_vote = {
    .name = "vote",
    .needs = CRM__CLF_NEEDS_DESIGN | CRM__CLF_NEEDS_RAW,
    .fit = vote_fit,
    .predict_proba = vote_predict,
    .save = vote_save,
    .load = vote_load,
    .free = vote_free,
    .describe = vote_describe,
};
