/* registry.c: crm_clf_algo value -> algorithm vtable, and the algorithms' short names.
 * C4.5 and the vote define their vtables in their own files, the others are rows of the table
 * in clf_adapter.c: see classify_internal.h. */
#include <string.h>

#include "classify_internal.h"
#include "core/core_internal.h"

static const crm__clf_algo *const own_vtables[CRM_CLF_N_ALGOS] = {
    [CRM_CLF_C45] = &crm__clf_c45,
    [CRM_CLF_VOTE] = &crm__clf_vote,
};

static const char *const names[CRM_CLF_N_ALGOS] = {
    [CRM_CLF_C45] = "c45", [CRM_CLF_SVM] = "svm",   [CRM_CLF_MLP] = "mlp",
    [CRM_CLF_KNN] = "knn", [CRM_CLF_NB] = "nb",     [CRM_CLF_LOGREG] = "logreg",
    [CRM_CLF_GBT] = "gbt", [CRM_CLF_VOTE] = "vote",
};

const crm__clf_algo *crm__clf_algo_get(crm_clf_algo a)
{
    if ((int)a < 0 || a >= CRM_CLF_N_ALGOS) {
        return NULL;
    }
    return own_vtables[a] != NULL ? own_vtables[a] : crm__clf_adapter(a);
}

const char *crm_clf_algo_name(crm_clf_algo a)
{
    if ((int)a < 0 || a >= CRM_CLF_N_ALGOS) {
        return "?";
    }
    return names[a];
}

crm_status crm_clf_algo_parse(const char *name, crm_clf_algo *out, crm_error *err)
{
    for (int a = 0; a < CRM_CLF_N_ALGOS; a++) {
        if (name != NULL && strcmp(name, names[a]) == 0) {
            *out = (crm_clf_algo)a;
            return CRM_OK;
        }
    }
    return crm__error_set(err, CRM_EINVAL,
                          "unknown algorithm \"%s\" (expected c45, svm, mlp, knn, nb, logreg, "
                          "gbt or vote)",
                          name != NULL ? name : "");
}

int crm__clf_needs(const crm_classifier_params *p)
{
    const crm__clf_algo *a = crm__clf_algo_get(p->algo);
    int needs = a != NULL ? a->needs : 0;
    if (p->algo == CRM_CLF_VOTE) {
        for (int32_t i = 0; i < p->n_members && i < CRM_CLF_MAX_MEMBERS; i++) {
            const crm__clf_algo *m = crm__clf_algo_get(p->members[i]);
            if (m != NULL && p->members[i] != CRM_CLF_VOTE) {
                needs |= m->needs;
            }
        }
    }
    return needs;
}

int32_t crm__clf_argmax(const double *v, int32_t n)
{
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}
