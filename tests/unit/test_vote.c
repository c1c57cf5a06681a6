/* test_vote.c: the voting ensemble: the hard-vote tie rule and the soft vote on fixed member
 * probabilities (table-driven), and an ensemble of KNN, naive Bayes and MLP fitted through
 * the algorithm vtables: its hard vote equals the majority of its members fitted alone, and
 * save/load keeps its predictions bit for bit. Bad parameters and damaged sections too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/model.h>
#include <crmkit/rng.h>
#include <crmkit/vote.h>

#include "classify/classify_internal.h"
#include "classify/models_util.h"
#include "classify/vote_internal.h"
#include "crm_test.h"

typedef struct combine_case {
    crm_vote_kind kind;
    int32_t n_members;
    int32_t n_classes;
    double proba[3][3]; /* [member][class], one row */
    int32_t expected;
    const char *why;
} combine_case;

static void vote_combine_follows_the_documented_rule(void **state)
{
    static const combine_case cases[] = {
        { CRM_VOTE_HARD,
          3,
          2,
          { { .9, .1 }, { .4, .6 }, { .45, .55 } },
          1,
          "majority beats a higher mean probability" },
        { CRM_VOTE_HARD, 2, 2, { { .9, .1 }, { .3, .7 } }, 0, "1-1 tie: higher mean wins (0)" },
        { CRM_VOTE_HARD, 2, 2, { { .9, .1 }, { .05, .95 } }, 1, "1-1 tie: higher mean (1)" },
        { CRM_VOTE_HARD, 2, 2, { { .6, .4 }, { .4, .6 } }, 0, "equal mean: lowest index" },
        { CRM_VOTE_HARD,
          3,
          3,
          { { .5, .3, .2 }, { .1, .5, .4 }, { .3, .1, .6 } },
          2,
          "three-way 1-1-1 tie: means .3 .3 .4" },
        { CRM_VOTE_SOFT,
          3,
          2,
          { { .9, .1 }, { .4, .6 }, { .45, .55 } },
          0,
          "soft: mean .583 for class 0" },
    };
    (void)state;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const combine_case *c = &cases[t];
        const double *mp[3] = { c->proba[0], c->proba[1], c->proba[2] };
        const double w[3] = { 1, 1, 1 };
        double out[3];
        double sum = 0;
        int32_t want = c->expected;
        crm__vote_combine(c->kind, c->n_members, mp, w, 1, c->n_classes, out);
        for (int32_t k = 0; k < c->n_classes; k++) {
            sum += out[k];
        }
        crm_assert_close(sum, 1.0, 1e-15, 0);
        if (crm__mdl_argmax(out, c->n_classes) != want) {
            fail_msg("case %zu (%s): got class %d", t, c->why, crm__mdl_argmax(out, c->n_classes));
        }
    }
}

/* ---- an ensemble through the vtables ---- */

typedef struct fixture {
    crm_matrix x;
    crm_matrix raw;
    int32_t *y;
    crm__clf_schema schema;
    crm__clf_data data;
    crm__clf_data query;
    int32_t raw_levels[3];
} fixture;

static void make_fixture(fixture *f, int64_t n)
{
    crm_rng rng;
    static const char *classes[2] = { "no", "yes" };
    crm_rng_seed(&rng, 21);
    assert_int_equal(crm_matrix_init(&f->x, n, 3, NULL), CRM_OK);
    assert_int_equal(crm_matrix_init(&f->raw, n, 3, NULL), CRM_OK);
    f->y = malloc((size_t)n * sizeof *f->y);
    for (int64_t i = 0; i < n; i++) {
        int32_t c = (int32_t)(crm_rng_uniform(&rng) < 0.4);
        f->y[i] = c;
        CRM_ROW(&f->x, i)[0] = crm_rng_normal(&rng) + 1.5 * c;
        CRM_ROW(&f->x, i)[1] = crm_rng_normal(&rng) - 1.0 * c;
        CRM_ROW(&f->x, i)[2] = crm_rng_normal(&rng);
        memcpy(CRM_ROW(&f->raw, i), CRM_ROW(&f->x, i), 3 * sizeof(double));
    }
    memset(f->raw_levels, 0, sizeof f->raw_levels);
    memset(&f->schema, 0, sizeof f->schema);
    f->schema.n_classes = 2;
    f->schema.class_names = classes;
    f->schema.n_design = 3;
    f->schema.n_raw = 3;
    f->schema.raw_n_levels = f->raw_levels;
    f->data.schema = &f->schema;
    f->data.n_rows = n;
    f->data.design = &f->x;
    f->data.raw = &f->raw;
    f->data.y = f->y;
    f->data.w = NULL;
    f->query = f->data;
    f->query.y = NULL;
}

static void free_fixture(fixture *f)
{
    crm_matrix_fini(&f->x);
    crm_matrix_fini(&f->raw);
    free(f->y);
}

static crm_classifier_params vote_params(void)
{
    crm_classifier_params p;
    memset(&p, 0, sizeof p);
    p.algo = CRM_CLF_VOTE;
    p.seed = 8;
    p.n_members = 3;
    p.members[0] = CRM_CLF_KNN;
    p.members[1] = CRM_CLF_NB;
    p.members[2] = CRM_CLF_MLP;
    p.knn = crm_knn_params_default();
    p.nb = crm_nbayes_params_default();
    p.mlp = crm_mlp_params_default();
    p.mlp.max_epochs = 30;
    p.vote = crm_vote_params_default();
    return p;
}

static void vote_hard_equals_majority_of_members_and_round_trips(void **state)
{
    fixture f;
    crm_classifier_params p = vote_params();
    const crm__clf_algo *vt = crm__clf_algo_get(CRM_CLF_VOTE);
    void *model = NULL;
    void *back = NULL;
    void *member[3];
    double *pv;
    double *pb;
    double *pm[3];
    crm_rng rng;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    int64_t n = 400;
    (void)state;
    make_fixture(&f, n);
    crm_rng_seed(&rng, p.seed);
    assert_int_equal(vt->fit(&f.data, &p, &rng, NULL, &model, &err), CRM_OK);
    pv = malloc((size_t)n * 2 * sizeof *pv);
    pb = malloc((size_t)n * 2 * sizeof *pb);
    assert_int_equal(vt->predict_proba(model, &f.query, pv, &err), CRM_OK);
    for (int m = 0; m < 3; m++) {
        const crm__clf_algo *a = crm__clf_algo_get(p.members[m]);
        pm[m] = malloc((size_t)n * 2 * sizeof *pm[m]);
        assert_int_equal(a->fit(&f.data, &p, &rng, NULL, &member[m], &err), CRM_OK);
        assert_int_equal(a->predict_proba(member[m], &f.query, pm[m], &err), CRM_OK);
    }
    for (int64_t i = 0; i < n; i++) {
        int votes1 = 0;
        double mean1 = 0;
        int32_t want;
        for (int m = 0; m < 3; m++) {
            votes1 += crm__mdl_argmax(pm[m] + 2 * i, 2) == 1;
            mean1 += pm[m][2 * i + 1] / 3;
        }
        want = votes1 >= 2 ? 1 : 0;
        assert_int_equal(crm__mdl_argmax(pv + 2 * i, 2), want);
        crm_assert_close(pv[2 * i + 1], (votes1 + mean1) / 4.0, 1e-12, 1e-15);
    }
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(vt->save(model, w, "m", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_model_reader_has(r, "m0"), 1);
    assert_int_equal(crm_model_reader_has(r, "m2"), 1);
    assert_int_equal(vt->load(r, "m", &f.schema, &back, &err), CRM_OK);
    assert_int_equal(vt->predict_proba(back, &f.query, pb, &err), CRM_OK);
    assert_memory_equal(pv, pb, (size_t)n * 2 * sizeof *pv);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    for (int m = 0; m < 3; m++) {
        crm__clf_algo_get(p.members[m])->free(member[m]);
        free(pm[m]);
    }
    vt->free(model);
    vt->free(back);
    vt->free(NULL);
    free(pv);
    free(pb);
    free_fixture(&f);
}

static void vote_soft_is_the_mean_of_member_probabilities(void **state)
{
    fixture f;
    crm_classifier_params p = vote_params();
    const crm__clf_algo *vt = crm__clf_algo_get(CRM_CLF_VOTE);
    void *model = NULL;
    void *member = NULL;
    double *pv;
    double *pm;
    crm_rng rng;
    crm_error err;
    int64_t n = 200;
    (void)state;
    make_fixture(&f, n);
    p.vote.kind = CRM_VOTE_SOFT;
    p.n_members = 2;
    p.members[0] = CRM_CLF_NB;
    p.members[1] = CRM_CLF_NB;
    p.vote.n_weights = 2;
    p.vote.weights[0] = 1;
    p.vote.weights[1] = 3;
    crm_rng_seed(&rng, 1);
    assert_int_equal(vt->fit(&f.data, &p, &rng, NULL, &model, &err), CRM_OK);
    assert_int_equal(crm__clf_algo_get(CRM_CLF_NB)->fit(&f.data, &p, &rng, NULL, &member, &err),
                     CRM_OK);
    pv = malloc((size_t)n * 2 * sizeof *pv);
    pm = malloc((size_t)n * 2 * sizeof *pm);
    assert_int_equal(vt->predict_proba(model, &f.query, pv, &err), CRM_OK);
    assert_int_equal(crm__clf_algo_get(CRM_CLF_NB)->predict_proba(member, &f.query, pm, &err),
                     CRM_OK);
    for (int64_t i = 0; i < 2 * n; i++) {
        crm_assert_close(pv[i], pm[i], 1e-14, 1e-15); /* two equal members: their mean */
    }
    crm__clf_algo_get(CRM_CLF_NB)->free(member);
    vt->free(model);
    free(pv);
    free(pm);
    free_fixture(&f);
}

static void vote_rejects_bad_params_and_damaged_sections(void **state)
{
    crm_vote_params vp = crm_vote_params_default();
    crm_classifier_params p = vote_params();
    const crm__clf_algo *vt = crm__clf_algo_get(CRM_CLF_VOTE);
    fixture f;
    void *model = NULL;
    crm_rng rng;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    int32_t algos[2] = { CRM_CLF_NB, CRM_CLF_VOTE };
    double wts[2] = { 1, 1 };
    crm_error err;
    (void)state;
    vp.kind = (crm_vote_kind)5;
    assert_int_equal(crm_vote_params_check(&vp, &err), CRM_EINVAL);
    vp = crm_vote_params_default();
    vp.n_weights = 1;
    vp.weights[0] = -1;
    assert_int_equal(crm_vote_params_check(&vp, &err), CRM_EINVAL);
    make_fixture(&f, 50);
    crm_rng_seed(&rng, 1);
    p.vote.n_weights = 2; /* three members */
    p.vote.weights[0] = p.vote.weights[1] = 1;
    assert_int_equal(vt->fit(&f.data, &p, &rng, NULL, &model, &err), CRM_EINVAL);
    assert_null(model);
    /* A vote section naming a vote as its member. */
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "m", &err), CRM_OK);
    crm_model_put_i32(w, CRM_VOTE_HARD, &err);
    crm_model_put_i32(w, 2, &err);
    crm_model_put_i32s(w, algos, 2, &err);
    crm_model_put_f64s(w, wts, 2, &err);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "v.crmc", &r, &err), CRM_OK);
    assert_int_equal(vt->load(r, "m", &f.schema, &model, &err), CRM_EFORMAT);
    assert_non_null(strstr(err.msg, "v.crmc"));
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    free_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vote_combine_follows_the_documented_rule),
        cmocka_unit_test(vote_hard_equals_majority_of_members_and_round_trips),
        cmocka_unit_test(vote_soft_is_the_mean_of_member_probabilities),
        cmocka_unit_test(vote_rejects_bad_params_and_damaged_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
