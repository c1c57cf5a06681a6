/* pca.c: the two leading principal axes of a design matrix, for the report's scatter. The
 * covariance matrix (dim x dim, population normalisation) is formed once; its top eigenvector
 * is found by power iteration, removed (deflation, C -= lambda v v'), and the next one found
 * the same way. dim is the number of cleaned features (tens), so this is cheap next to one
 * pass over the rows. */
#include <math.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "report_internal.h"

#define PCA_MAX_ITER 2000
#define PCA_TOL      1e-24 /* squared change of the unit vector */

/* Power iteration on the symmetric matrix c (d x d) into v[d]; returns the eigenvalue. */
static double power(const double *c, int64_t d, double *v, double *w)
{
    double lambda = 0;
    double norm = 0;
    for (int64_t j = 0; j < d; j++) {
        v[j] = 1.0 + 0.1 * (double)j; /* not orthogonal to the leading axis in practice */
        norm += v[j] * v[j];
    }
    for (int64_t j = 0; j < d; j++) {
        v[j] /= sqrt(norm);
    }
    for (int it = 0; it < PCA_MAX_ITER; it++) {
        double diff = 0;
        norm = 0;
        for (int64_t i = 0; i < d; i++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) {
                s += c[i * d + j] * v[j];
            }
            w[i] = s;
            norm += s * s;
        }
        norm = sqrt(norm);
        if (!(norm > 0)) {
            return 0; /* nothing left: the matrix is zero on this subspace */
        }
        for (int64_t j = 0; j < d; j++) {
            w[j] /= norm;
            diff += (w[j] - v[j]) * (w[j] - v[j]);
        }
        memcpy(v, w, (size_t)d * sizeof *v);
        lambda = norm;
        if (diff < PCA_TOL) {
            break;
        }
    }
    return lambda;
}

static void fix_sign(double *v, int64_t d)
{
    int64_t best = 0;
    for (int64_t j = 1; j < d; j++) {
        best = fabs(v[j]) > fabs(v[best]) ? j : best;
    }
    if (v[best] < 0) {
        for (int64_t j = 0; j < d; j++) {
            v[j] = -v[j];
        }
    }
}

crm_status crm__rpt_pca2(const crm_matrix *x,
                         double *axes,
                         double *mean,
                         double *var,
                         double *total,
                         crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t d = x->n_cols;
    double *c = crm_calloc((size_t)(d * d), sizeof *c);
    double *w = crm_calloc((size_t)d, sizeof *w);
    double *r = crm_calloc((size_t)d, sizeof *r);
    crm_status rc = CRM_OK;
    if (c == NULL || w == NULL || r == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    memset(axes, 0, (size_t)(2 * d) * sizeof *axes);
    memset(mean, 0, (size_t)d * sizeof *mean);
    for (int64_t i = 0; i < n; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < d; j++) {
            mean[j] += row[j];
        }
    }
    for (int64_t j = 0; j < d && n > 0; j++) {
        mean[j] /= (double)n;
    }
    for (int64_t i = 0; i < n; i++) {
        const double *row = CRM_ROW(x, i);
        for (int64_t j = 0; j < d; j++) {
            r[j] = row[j] - mean[j];
        }
        for (int64_t a = 0; a < d; a++) {
            for (int64_t b2 = a; b2 < d; b2++) {
                c[a * d + b2] += r[a] * r[b2];
            }
        }
    }
    *total = 0;
    for (int64_t a = 0; a < d; a++) {
        for (int64_t b2 = a; b2 < d; b2++) {
            c[a * d + b2] /= (double)(n > 0 ? n : 1);
            c[b2 * d + a] = c[a * d + b2];
        }
        *total += c[a * d + a];
    }
    for (int k = 0; k < 2; k++) {
        double *v = axes + k * d;
        var[k] = d > k ? power(c, d, v, w) : 0;
        if (!(var[k] > 0)) {
            memset(v, 0, (size_t)d * sizeof *v);
            var[k] = 0;
            continue;
        }
        fix_sign(v, d);
        for (int64_t a = 0; a < d; a++) {
            for (int64_t b2 = 0; b2 < d; b2++) {
                c[a * d + b2] -= var[k] * v[a] * v[b2];
            }
        }
    }
done:
    CRM__FREE(c, w, r);
    return rc;
}
