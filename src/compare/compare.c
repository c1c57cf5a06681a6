/* compare.c: several clustering algorithms on the same table through the segmentation
 * pipeline, each judged by the validity indices on the same design matrix. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/compare.h>
#include <crmkit/gmm.h>
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
    int gmm;    /* 0: through the segmenter; 1, 2: EM (crmkit/gmm.h), full or diagonal */
    int k_src;  /* its k is the one the algorithms given none take (k-means family) */
} algos[] = {
    { "kmeans", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED, 0, 0, 0 },
    { "xmeans", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_XMEANS, 1, 0, 1 },
    { "elbow", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_ELBOW, 1, 0, 1 },
    { "em", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED, 0, 1, 0 },
    { "em-diag", CRM_SEGMENT_ALGO_KMEANS, CRM_SEGMENT_FIXED, 0, 2, 0 },
    { "birch", CRM_SEGMENT_ALGO_BIRCH, CRM_SEGMENT_FIXED, 0, 0, 0 },
    { "hier", CRM_SEGMENT_ALGO_HIER, CRM_SEGMENT_FIXED, 0, 0, 0 },
    { "dbscan", CRM_SEGMENT_ALGO_DBSCAN, CRM_SEGMENT_AUTO, 1, 0, 0 },
    { "optigrid", CRM_SEGMENT_ALGO_OPTIGRID, CRM_SEGMENT_AUTO, 1, 0, 0 },
    { "denclue", CRM_SEGMENT_ALGO_DENCLUE, CRM_SEGMENT_AUTO, 1, 0, 0 },
};
#define N_KNOWN ((int32_t)(sizeof algos / sizeof algos[0]))

static const char *const default_algos[] = { "kmeans", "xmeans", "elbow" };

crm_compare_params crm_compare_params_default(void)
{
    return (crm_compare_params){ .algos = default_algos,
                                 .n_algos = 3,
                                 .k = 0,
                                 .segment = crm_segment_params_default(),
                                 .validity = crm_validity_params_default() };
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
                                  "elbow, em, em-diag, birch, hier, dbscan, optigrid, denclue)",
                                  p->algos[i] ? p->algos[i] : "");
        }
        have_auto |= algos[a].k_src;
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

/* One clustering of t: its design matrix x (initialised here), labels (new array), k, fit
 * seconds and SSE (NaN when the algorithm has none). */
typedef struct one_run {
    crm_matrix x;
    int32_t *labels;
    int32_t k;
    double seconds;
    double sse;
} one_run;

static void one_run_fini(one_run *o)
{
    crm_matrix_fini(&o->x);
    crm_free(o->labels);
}

static crm_status
run_segmenter(const crm_table *t, const crm_segment_params *sp, one_run *o, crm_error *err)
{
    crm_segmenter *seg = NULL;
    crm_status rc = crm_segmenter_fit(t, sp, NULL, &seg, err);
    if (rc == CRM_OK) {
        o->k = crm_segmenter_k(seg);
        if (crm_segmenter_noise_segment(seg) >= 0) {
            o->k--; /* clusters found; the indices still see the noise as one group */
        }
        o->seconds = crm_segmenter_seconds(seg, "cluster");
        o->sse = crm_segmenter_inertia(seg);
        rc = crm_prep_transform(crm_segmenter_prep(seg), t, &o->x, NULL, err);
    }
    if (rc == CRM_OK) {
        o->labels = crm_mallocarray((size_t)(o->x.n_rows > 0 ? o->x.n_rows : 1), sizeof *o->labels);
        if (o->labels == NULL) {
            rc = crm__error_nomem(err);
        } else {
            memcpy(o->labels, crm_segmenter_labels(seg), (size_t)o->x.n_rows * sizeof *o->labels);
        }
    }
    crm_segmenter_free(seg);
    return rc;
}

/* EM on the segmenter's cleaning of the same features (fitted here). */
static crm_status run_gmm(const crm_table *t,
                          const crm_segment_params *sp,
                          int32_t k,
                          crm_gmm_cov cov,
                          one_run *o,
                          crm_error *err)
{
    const char **defaults = NULL;
    const char *const *features = sp->features;
    int32_t n_features = sp->n_features;
    crm_prep *prep = NULL;
    crm_gmm *g = NULL;
    crm_gmm_params gp = crm_gmm_params_default();
    crm_status rc = CRM_OK;
    double t0;
    if (features == NULL) {
        rc = crm_segment_default_features(t, &defaults, &n_features, err);
        features = defaults;
    }
    if (rc == CRM_OK) {
        rc = crm_prep_fit(t, features, n_features, &sp->prep, &prep, err);
    }
    if (rc == CRM_OK) {
        rc = crm_prep_transform(prep, t, &o->x, NULL, err);
    }
    gp.k = k;
    gp.cov = cov;
    gp.seed = sp->kmeans.seed;
    gp.n_threads = sp->kmeans.n_threads;
    if (rc == CRM_OK) {
        rc = crm_gmm_new(&gp, &g, err);
    }
    t0 = crm__now_seconds();
    if (rc == CRM_OK) {
        rc = crm_gmm_fit(g, &o->x, NULL, err);
    }
    o->seconds = crm__now_seconds() - t0;
    if (rc == CRM_OK) {
        o->labels = crm_mallocarray((size_t)(o->x.n_rows > 0 ? o->x.n_rows : 1), sizeof *o->labels);
        rc = o->labels == NULL ? crm__error_nomem(err) : crm_gmm_assign(g, &o->x, o->labels, err);
    }
    o->k = k;
    o->sse = (double)NAN;
    crm_gmm_free(g);
    crm_prep_free(prep);
    crm_free(defaults);
    return rc;
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
            if (algos[find_algo(p->algos[i])].k_src == (pass == 0)) {
                order[n_order++] = i;
            }
        }
    }
    for (int32_t oi = 0; oi < n_order && rc == CRM_OK; oi++) {
        int32_t i = order[oi];
        int a = find_algo(p->algos[i]);
        int32_t k = p->k > 0 ? p->k : found_k;
        one_run o;
        memset(&o, 0, sizeof o);
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].algo = p->algos[i];
        if (progress != NULL && progress->fn != NULL &&
            !progress->fn(progress->ud, p->algos[i], (double)oi / (double)n_order)) {
            return crm__error_set(err, CRM_ECANCELLED, "compare: cancelled");
        }
        if (algos[a].gmm) {
            rc = run_gmm(t, &p->segment, k, algos[a].gmm == 1 ? CRM_GMM_FULL : CRM_GMM_DIAG, &o,
                         err);
        } else {
            crm_segment_params sp = p->segment;
            sp.algo = algos[a].algo;
            sp.method = algos[a].method;
            sp.tier_by = NULL;
            sp.names = NULL;
            sp.n_names = 0;
            if (!algos[a].auto_k) {
                sp.k = k;
            }
            rc = run_segmenter(t, &sp, &o, err);
        }
        if (rc != CRM_OK) {
            crm__error_prefix(err, "%s: ", p->algos[i]);
        }
        if (rc == CRM_OK) {
            crm_error verr;
            rows[i].k = o.k;
            rows[i].fit_seconds = o.seconds;
            if (algos[a].k_src && found_k == 0) {
                found_k = o.k;
            }
            rc = crm_validity_compute(&o.x, o.labels, &p->validity, NULL, &rows[i].v, &verr);
            if (rc == CRM_EDATA) { /* one cluster, or one per row: indices undefined */
                double nan = (double)NAN;
                crm_validity *v = &rows[i].v;
                v->k = o.k;
                v->n_rows = o.x.n_rows;
                v->sse = o.sse;
                v->cp = v->sp = v->db = v->dunn = v->silhouette = v->ch = nan;
                rc = CRM_OK;
            } else if (rc != CRM_OK) {
                if (err != NULL) {
                    *err = verr;
                }
                crm__error_prefix(err, "%s: ", p->algos[i]);
            }
        }
        one_run_fini(&o);
    }
    return rc;
}
