/* prep_internal.h: the fitted cleaning transform, shared by prep.c (fit, transform) and
 * prep_io.c (save, load). Private to src/prep/. */
#ifndef CRM_PREP_INTERNAL_H
#define CRM_PREP_INTERNAL_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <crmkit/io.h>
#include <crmkit/prep.h>

/* What an output column of the design matrix holds. */
typedef enum prep_out_kind {
    PREP_OUT_VALUE = 0, /* the numeric value (imputed, capped, scaled) or the ordinal code */
    PREP_OUT_FLAG = 1,  /* 1 when the value was capped (outlier flag), else 0 */
    PREP_OUT_LEVEL = 2  /* one-hot: 1 when the level is this one */
} prep_out_kind;

typedef struct prep_feature {
    char *name;
    crm_col_type type; /* CRM_COL_NUMERIC or CRM_COL_CATEGORICAL */
    double fill;       /* imputation value: mean or median (numeric), modal code (ordinal) */
    double lo;         /* cap floor, -inf when none */
    double hi;         /* cap ceiling, +inf when none */
    double center;     /* scaled = (v - center) / scale */
    double scale;      /* > 0 */
    int logged;        /* numeric: sign(v) ln(1 + |v|) after capping (crm_transform) */
    int32_t n_levels;  /* categorical only */
    char **levels;     /* training levels in their code order */
    int32_t *sorted;   /* level codes sorted by text, for lookups */
} prep_feature;

typedef struct prep_out {
    char *name;
    int32_t feature;
    prep_out_kind kind;
    int32_t level; /* PREP_OUT_LEVEL only */
} prep_out;

struct crm_prep {
    crm_prep_params params;
    int32_t n_features;
    prep_feature *features;
    int32_t n_out;
    prep_out *out;
};

/* Capped value of v (NaN passes through); *flag = 1 when capping changed it. */
static inline double crm__prep_clean(const prep_feature *pf, double v, double *flag)
{
    *flag = 0.0;
    if (v < pf->lo) {
        *flag = 1.0;
        return pf->lo;
    }
    if (v > pf->hi) {
        *flag = 1.0;
        return pf->hi;
    }
    return v;
}

/* sign(v) ln(1 + |v|), branch-free so that loops over columns vectorise (the C library's
 * log1p is a call of 30-60 ns, a third of a server's batch scoring). Within 1 ulp of log1p
 * (checked against it in test_prep); every path (fit, transform, assign, serve) uses this
 * one, so the same row always gives the same bits. NaN gives NaN; so does an infinite v
 * (values beyond +-CRM__PREP_MAX_ABS are refused before this). 1 + |v| = 2^e m rounded,
 * m in [sqrt(2)/2, sqrt(2)), found with integer operations on the bits; c is the part of |v|
 * that rounding 1 + |v| lost; ln(m) = 2 atanh(s), s = (m-1)/(m+1), by its Taylor series to
 * s^25 (|s| < 0.172, so the next term is below 1e-20). */
static inline double crm__log1p_sym(double v)
{
    const double ln2_hi = 0x1.62e42fef00000p-1; /* 32 bits: e * ln2_hi is exact */
    const double ln2_lo = 0x1.473de6af278edp-34;
    double x = fabs(v);
    double u = 1.0 + x;
    double c = (x - (u - 1.0)) / u;
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    uint64_t mant = bits & 0x000fffffffffffffULL;
    uint64_t big = mant > 0x6a09e667f3bcdULL; /* m above sqrt(2): halve it */
    /* the exponent as a double without an integer conversion (none vectorises on plain
     * x86-64): the bits of 2^52 + field, minus 2^52 */
    uint64_t ebits = ((bits >> 52) + big) | 0x4330000000000000ULL;
    double e;
    memcpy(&e, &ebits, sizeof e);
    e = e - 0x1p52 - 1023.0;
    bits = mant | ((0x3ffULL - big) << 52);
    double m;
    memcpy(&m, &bits, sizeof m);
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double hfsq = 0.5 * f * f;
    double r =
        z * (2.0 / 3 +
             z * (2.0 / 5 +
                  z * (2.0 / 7 +
                       z * (2.0 / 9 +
                            z * (2.0 / 11 +
                                 z * (2.0 / 13 +
                                      z * (2.0 / 15 +
                                           z * (2.0 / 17 +
                                                z * (2.0 / 19 +
                                                     z * (2.0 / 21 +
                                                          z * (2.0 / 23 + z * (2.0 / 25))))))))))));
    double y = e * ln2_hi + (f - (hfsq - (s * (hfsq + r) + (e * ln2_lo + c))));
    return copysign(y, v);
}

/* The log transform of a capped value, when the feature has it. */
static inline double crm__prep_log(const prep_feature *pf, double v)
{
    return pf->logged ? crm__log1p_sym(v) : v;
}

/* Neighbours imputation of v[n] into out[n] (fallback at the ends). */
void crm__prep_impute_neighbours(const double *v, int64_t n, double fallback, double *out);
/* The largest magnitude a numeric feature value may have. Squares of such values summed over
 * ten billion rows and sixteen thousand features stay far below DBL_MAX (1e200 x 1e14), so
 * variances, distances and inertias cannot overflow into Inf or NaN downstream: a value of
 * 1e160 or 1e308 is refused with its file, line and column instead of giving NaN output. */
#define CRM__PREP_MAX_ABS 1e100
/* CRM_EDATA naming the first infinite value of numeric column col of t, or the first value
 * beyond +-CRM__PREP_MAX_ABS. */
crm_status
crm__prep_check_finite(const crm_table *t, int32_t col, const double *v, int64_t n, crm_error *err);

/* Build out[] from features and params, and the sorted level indices (fit and load). */
crm_status crm__prep_finish(crm_prep *prep, crm_error *err);
/* An empty object with room for n features. */
crm_status crm__prep_alloc(int32_t n_features, crm_prep **out, crm_error *err);

/* A job run beside the fit: fn(ctx), once, by one thread while the others fit features. */
typedef struct crm__prep_side {
    void (*fn)(void *ctx);
    void *ctx;
} crm__prep_side;
/* crm_prep_fit with side's job run once during it (side NULL: none). */
crm_status crm__prep_fit_side(const crm_table *t,
                              const char *const *features,
                              int32_t n_features,
                              const crm_prep_params *p,
                              const crm__prep_side *side,
                              crm_prep **out,
                              crm_error *err);

#endif
