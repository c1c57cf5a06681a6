/* test_classify_registry.c: algorithm names, the registry and parameter defaults. */
#include <string.h>

#include <crmkit/c45.h>
#include <crmkit/classify.h>

#include "classify/classify_internal.h"
#include "crm_test.h"

static void algo_names_round_trip(void **state)
{
    (void)state;
    for (int a = 0; a < CRM_CLF_N_ALGOS; a++) {
        crm_clf_algo back;
        crm_error err;
        const crm__clf_algo *vt = crm__clf_algo_get((crm_clf_algo)a);
        assert_non_null(vt);
        assert_string_equal(vt->name, crm_clf_algo_name((crm_clf_algo)a));
        assert_int_equal(crm_clf_algo_parse(crm_clf_algo_name((crm_clf_algo)a), &back, &err),
                         CRM_OK);
        assert_int_equal(back, a);
    }
    assert_null(crm__clf_algo_get(CRM_CLF_N_ALGOS));
    assert_string_equal(crm_clf_algo_name((crm_clf_algo)99), "?");
}

static void algo_parse_rejects_unknown_name(void **state)
{
    crm_clf_algo a;
    crm_error err;
    (void)state;
    assert_int_equal(crm_clf_algo_parse("tree", &a, &err), CRM_EINVAL);
    assert_non_null(strstr(err.msg, "\"tree\""));
}

static void c45_params_default_is_j48s(void **state)
{
    crm_c45_params p = crm_c45_params_default();
    crm_error err;
    (void)state;
    assert_true(p.confidence == 0.25);
    assert_true(p.min_leaf == 2.0);
    assert_int_equal(crm_c45_params_check(&p, &err), CRM_OK);
    p.confidence = 0.7;
    assert_int_equal(crm_c45_params_check(&p, &err), CRM_EINVAL);
    assert_string_equal(err.field, "confidence");
}

static void vote_needs_union_of_members(void **state)
{
    crm_classifier_params p;
    (void)state;
    memset(&p, 0, sizeof p);
    p.algo = CRM_CLF_VOTE;
    p.members[0] = CRM_CLF_C45;
    p.members[1] = CRM_CLF_SVM;
    p.n_members = 2;
    assert_int_equal(crm__clf_needs(&p), CRM__CLF_NEEDS_RAW | CRM__CLF_NEEDS_DESIGN);
    p.algo = CRM_CLF_C45;
    assert_int_equal(crm__clf_needs(&p), CRM__CLF_NEEDS_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(algo_names_round_trip),
        cmocka_unit_test(algo_parse_rejects_unknown_name),
        cmocka_unit_test(c45_params_default_is_j48s),
        cmocka_unit_test(vote_needs_union_of_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
