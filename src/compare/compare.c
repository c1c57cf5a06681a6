/* compare.c: several clustering algorithms on the same table through the segmentation
 * pipeline, each judged by the validity indices on the same design matrix. */
#include <math.h>
#include <string.h>

#include <crmkit/compare.h>
#include <crmkit/matrix.h>
#include <crmkit/prep.h>

#include "core/core_internal.h"

/* The algorithms the comparison knows: a name and how the segmenter runs it. A clustering
 * algorithm added to the segmenter joins the comparison with one line here. */
static const struct {
    const char *name;
    crm_segment_algo algo;
    crm_segment_method method;
    int auto_k; /* chooses its own k */
} algos[] = {
    { "kmeans", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED, 0 },
    { "xmeans", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS, 1 },
    { "elbow", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_ELBOW, 1 },
};
#define N_KNOWN ((int32_t)(sizeof algos / sizeof algos[0]))

static const char *const default_algos[] = { "kmeans", "xmeans", "elbow" };

crm_compare_params crm_compare_params_default(void)
{
    crm_compare_params p;
    memset(&p, 0, sizeof p);
    p.algos = default_algos;
    p.n_algos = 3;
    p.k = 0;
    p.segment = crm_segment_params_default();
    p.validity = crm_validity_params_default();
    return p;
}

static int find_algo(const char *name)
{
    for (int32_t i = 0; i < N_KNOWN; i++) {
        if (strcmp(name, algos[i].name) == 0) {
            return i;
        }
    }
    return -1;
}

static crm_status check(const crm_compare_params *p, crm_error *err)
{
    int have_auto = 0;
    if (p->n_algos < 1 || p->n_algos > CRM_COMPARE_MAX_ALGOS || p->algos == NULL) {
        return crm__error_set(err, CRM_EINVAL, "compare: between 1 and %d algorithms",
                              CRM_COMPARE_MAX_ALGOS);
    }
    if (p->k < 0) {
        return crm__error_set(err, CRM_EINVAL, "compare: k must be >= 0");
    }
    for (int32_t i = 0; i < p->n_algos; i++) {
        int a = p->algos[i] ? find_algo(p->algos[i]) : -1;
        if (a < 0) {
            return crm__error_set(err, CRM_EINVAL,
                                  "unknown algorithm \"%s\" (this build has kmeans, xmeans, "
                                  "elbow)",
                                  p->algos[i] ? p->algos[i] : "");
        }
        have_auto |= algos[a].auto_k;
    }
    for (int32_t i = 0; i < p->n_algos && p->k == 0 && !have_auto; i++) {
        if (!algos[find_algo(p->algos[i])].auto_k) {
            return crm__error_set(err, CRM_EINVAL,
                                  "%s needs k: give one, or list an algorithm that chooses k "
                                  "(xmeans, elbow)",
                                  p->algos[i]);
        }
    }
    return CRM_OK;
}

crm_status crm_compare_run(const crm_table *t,
                           const crm_compare_params *p,
                           const crm_progress *progress,
                           crm_compare_row *rows,
                           crm_error *err)
{
    int32_t found_k = 0;
    int32_t order[CRM_COMPARE_MAX_ALGOS];
    int32_t n_order = 0;
    crm_status rc = check(p, err);
    /* The algorithms that choose k run first, so those given none take the k the first of
     * them found; rows stay in the order of p->algos. */
    for (int pass = 0; pass < 2 && rc == CRM_OK; pass++) {
        for (int32_t i = 0; i < p->n_algos; i++) {
            if (algos[find_algo(p->algos[i])].auto_k == (pass == 0)) {
                order[n_order++] = i;
            }
        }
    }
    for (int32_t oi = 0; oi < n_order && rc == CRM_OK; oi++) {
        int32_t i = order[oi];
        int a = find_algo(p->algos[i]);
        crm_segment_params sp = p->segment;
        crm_segmenter *seg = NULL;
        crm_matrix x;
        memset(&x, 0, sizeof x);
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].algo = p->algos[i];
        sp.algo = algos[a].algo;
        sp.method = algos[a].method;
        sp.tier_by = NULL;
        sp.names = NULL;
        sp.n_names = 0;
        if (!algos[a].auto_k) {
            sp.k = p->k > 0 ? p->k : found_k;
        }
        if (progress != NULL && progress->fn != NULL &&
            !progress->fn(progress->ud, p->algos[i], (double)oi / (double)n_order)) {
            return crm__error_set(err, CRM_ECANCELLED, "compare: cancelled");
        }
        rc = crm_segmenter_fit(t, &sp, NULL, &seg, err);
        if (rc == CRM_OK) {
            rows[i].k = crm_segmenter_k(seg);
            rows[i].fit_seconds = crm_segmenter_seconds(seg, "cluster");
            if (algos[a].auto_k && found_k == 0) {
                found_k = rows[i].k;
            }
            rc = crm_prep_transform(crm_segmenter_prep(seg), t, &x, NULL, err);
        }
        if (rc == CRM_OK) {
            crm_error verr;
            rc = crm_validity_compute(&x, crm_segmenter_labels(seg), &p->validity, NULL,
                                      &rows[i].v, &verr);
            if (rc == CRM_EDATA) { /* one cluster, or one per row: indices undefined */
                double nan = (double)NAN;
                crm_validity *v = &rows[i].v;
                v->k = rows[i].k;
                v->n_rows = x.n_rows;
                v->sse = crm_segmenter_inertia(seg);
                v->cp = v->sp = v->db = v->dunn = v->silhouette = v->ch = nan;
                rc = CRM_OK;
            } else if (rc != CRM_OK) {
                if (err != NULL) {
                    *err = verr;
                }
                crm__error_prefix(err, "%s: ", p->algos[i]);
            }
        }
        crm_matrix_fini(&x);
        crm_segmenter_free(seg);
    }
    return rc;
}
