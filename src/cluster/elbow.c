/* elbow.c: the elbow method: k-means over a range of k and the knee of the inertia curve.
 *
 * The knee is found as in Kneedle (Satopaa et al., "Finding a 'Kneedle' in a Haystack",
 * ICDCS workshops 2011) for a decreasing convex curve: scale k and inertia to [0, 1] and take
 * the point with the largest vertical distance below the chord from the first point to the
 * last. Each k is fitted with the same params (and seed), so the model returned at the chosen
 * k is refitted and identical to the one measured. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/xmeans.h>

#include "core/core_internal.h"

crm_elbow_params crm_elbow_params_default(void)
{
    return (crm_elbow_params){ .kmin = 1, .kmax = 20, .kmeans = crm_kmeans_params_default() };
}

crm_status crm_elbow_params_check(const crm_elbow_params *p, crm_error *err)
{
    crm_kmeans_params kp;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "elbow parameters are NULL");
    }
    if (p->kmin < 1 || p->kmax < p->kmin + 2 || p->kmax > 100000) {
        crm__error_set(err, CRM_EINVAL,
                       "the elbow method needs 1 <= kmin and kmax >= kmin + 2 (got %d..%d)",
                       (int)p->kmin, (int)p->kmax);
        crm__error_field(err, p->kmin < 1 ? "kmin" : "kmax");
        return CRM_EINVAL;
    }
    kp = p->kmeans;
    kp.k = p->kmin;
    return crm_kmeans_params_check(&kp, err);
}

crm_status crm_elbow_knee(const double *y, int32_t n, int32_t kmin, int32_t *k, crm_error *err)
{
    double lo = INFINITY;
    double hi = -INFINITY;
    double best = 0.0;
    int32_t arg = 0;
    if (y == NULL || k == NULL || n < 3) {
        return crm__error_set(err, CRM_EINVAL, "the knee needs at least 3 points");
    }
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            return crm__error_set(err, CRM_EINVAL, "curve value %d is not finite", (int)i + 1);
        }
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    if (hi > lo) {
        double y0 = (y[0] - lo) / (hi - lo);
        double y1 = (y[n - 1] - lo) / (hi - lo);
        for (int32_t i = 1; i < n - 1; i++) {
            double t = (double)i / (double)(n - 1);
            double below = y0 + (y1 - y0) * t - (y[i] - lo) / (hi - lo);
            if (below > best) {
                best = below;
                arg = i;
            }
        }
    }
    *k = kmin + arg;
    return CRM_OK;
}

static crm_status fit_k(const crm_elbow_params *p,
                        int32_t k,
                        const crm_matrix *x,
                        const crm_progress *progress,
                        crm_kmeans **out,
                        crm_error *err)
{
    crm_kmeans_params kp = p->kmeans;
    crm_status st;
    kp.k = k;
    st = crm_kmeans_new(&kp, out, err);
    if (st == CRM_OK) {
        st = crm_kmeans_fit(*out, x, progress, err);
    }
    if (st != CRM_OK) {
        crm_kmeans_free(*out);
        *out = NULL;
    }
    return st;
}

crm_status crm_elbow_fit(const crm_elbow_params *p,
                         const crm_matrix *x,
                         const crm_progress *progress,
                         crm_kmeans **out,
                         double *inertia,
                         crm_error *err)
{
    int32_t n;
    int32_t k = 0;
    double *curve;
    crm_status st = crm_elbow_params_check(p, err);
    *out = NULL;
    if (st != CRM_OK) {
        return st;
    }
    n = p->kmax - p->kmin + 1;
    curve = crm_mallocarray((size_t)n, sizeof(double));
    if (curve == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n && st == CRM_OK; i++) {
        crm_kmeans *km = NULL;
        st = fit_k(p, p->kmin + i, x, NULL, &km, err);
        if (st == CRM_OK) {
            curve[i] = crm_kmeans_inertia(km);
            if (!crm_progress_report(progress, "elbow", (double)(i + 1) / (double)(n + 1))) {
                st = crm__error_set(err, CRM_ECANCELLED, "elbow method cancelled");
            }
        }
        crm_kmeans_free(km);
    }
    if (st == CRM_OK) {
        st = crm_elbow_knee(curve, n, p->kmin, &k, err);
    }
    if (st == CRM_OK) {
        st = fit_k(p, k, x, NULL, out, err);
    }
    if (st == CRM_OK && inertia != NULL) {
        memcpy(inertia, curve, (size_t)n * sizeof(double));
    }
    crm_free(curve);
    return st;
}
