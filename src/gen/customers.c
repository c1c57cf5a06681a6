/* customers.c: the synthetic customer base behind `crmkit gen customers` and `crmkit demo`.
 *
 * Each row draws a latent customer type, then every attribute from that type's
 * distributions: lognormal usage with a Pareto tail for data (a few subscribers move most of
 * the bytes), voice split on-net/off-net, called parties growing with the square root of
 * minutes, Poisson complaints, tariff-dependent bill items kept in integer cents so that
 * monthly_bill is exactly their sum, and churn from a logistic model. Missing cells and
 * outliers are applied last, after churn, so they are noise on top of the truth. Rows are
 * produced in fixed blocks with one random stream per block (seed, block). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/gen.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "gen_internal.h"

#define GEN_BLOCK CRM__GEN_BLOCK
#define N_TYPES   CRM_GEN_N_CUSTOMER_TYPES
#define N_REGIONS 8

_Static_assert(GEN_BLOCK == CRM_GEN_CUSTOMERS_PART, "parts start at a block's first row");

enum {
    C_TENURE,
    C_UP,
    C_DOWN,
    C_ONNET,
    C_OFFNET,
    C_SMS,
    C_PARTIES,
    C_COMPLAINTS,
    C_BVOICE,
    C_BDATA,
    C_BSMS,
    C_BVAS,
    C_BILL,
    C_REVENUE,
    C_CHURN,
    N_NUM
};

static const char *const num_names[N_NUM] = { "tenure_days",     "upload_mb",        "download_mb",
                                              "voice_onnet_min", "voice_offnet_min", "sms_count",
                                              "called_parties",  "complaints",       "bill_voice",
                                              "bill_data",       "bill_sms",         "bill_vas",
                                              "monthly_bill",    "revenue",          "churn" };

static const char *const type_names[N_TYPES] = { "heavy_data",        "voice_centric",
                                                 "low_value_prepaid", "premium_postpaid",
                                                 "young_social",      "dormant" };
static const char *const region_names[N_REGIONS] = { "Capital", "North",   "South", "East",
                                                     "West",    "Central", "Coast", "Highlands" };
static const char *const plan_names[3] = { "prepaid", "postpaid", "hybrid" };

/* The latent types: share, medians of the lognormal usage, plan mix, churn effect. */
typedef struct type_spec {
    double share;
    double tenure, down, up_ratio, onnet, offnet, sms, parties_k, complaints, vas_p;
    double plan[3];
    double churn_effect;
    double region_tilt[N_REGIONS];
} type_spec;

/* One row a type: share, tenure, down, up_ratio, onnet, offnet, sms, parties_k, complaints,
 * vas_p, { plan mix }, churn_effect, { region tilt }. */
/* clang-format off */
static const type_spec types[N_TYPES] = {
    { 0.18, 520, 24000, 0.15, 110, 80, 25, 1.0, 0.55, 0.40,
      { 0.30, 0.50, 0.20 }, 0.15, { 1.5, 1, 1, 1, 1, 1.2, 1, 0.5 } },
    { 0.20, 1150, 1400, 0.10, 900, 620, 35, 1.6, 0.40, 0.25,
      { 0.35, 0.45, 0.20 }, -0.35, { 1, 1.2, 1.2, 1, 1, 1, 1, 1 } },
    { 0.25, 240, 450, 0.12, 55, 40, 18, 0.9, 0.50, 0.12,
      { 0.90, 0.03, 0.07 }, 0.55, { 0.6, 1.3, 1.1, 1.1, 1, 1, 1.1, 1.6 } },
    { 0.12, 1850, 11000, 0.12, 480, 420, 45, 1.3, 0.30, 0.70,
      { 0.02, 0.90, 0.08 }, -0.90, { 2.2, 0.8, 0.9, 0.9, 0.9, 1, 1.1, 0.3 } },
    { 0.15, 360, 7500, 0.18, 140, 55, 650, 1.1, 0.50, 0.50,
      { 0.60, 0.15, 0.25 }, 0.25, { 1.4, 1, 1, 1, 1, 1.1, 1.2, 0.6 } },
    { 0.10, 700, 25, 0.20, 6, 3, 2, 0.7, 0.85, 0.05,
      { 0.80, 0.10, 0.10 }, 1.05, { 0.7, 1.2, 1, 1, 1.1, 1, 1, 1.5 } },
};
/* clang-format on */

/* The extra usage columns (extra_features): name, median per latent type (in type order),
 * lognormal spread, and whether the value is a count (whole number) or tenths. */
typedef struct extra_spec {
    const char *name;
    double median[N_TYPES];
    double sigma;
    int count;
} extra_spec;

static const extra_spec extras[CRM_GEN_MAX_EXTRA] = {
    { "roaming_min", { 12, 20, 1.5, 45, 6, 0.5 }, 0.9, 0 },
    { "intl_voice_min", { 8, 60, 3, 35, 5, 0.5 }, 0.8, 0 },
    { "data_sessions", { 900, 120, 60, 500, 700, 4 }, 0.5, 1 },
    { "video_mb", { 15000, 500, 150, 6000, 5000, 5 }, 0.7, 0 },
    { "night_data_mb", { 6000, 200, 80, 1800, 2500, 3 }, 0.7, 0 },
    { "topup_count", { 2, 1.5, 4, 0.3, 3, 0.5 }, 0.6, 1 },
    { "care_calls", { 1.2, 0.9, 1.0, 0.6, 1.1, 1.6 }, 0.7, 1 },
    { "device_age_months", { 14, 30, 36, 10, 18, 48 }, 0.5, 1 },
    { "apps_used", { 45, 12, 8, 35, 55, 3 }, 0.4, 1 },
    { "weekend_voice_min", { 60, 420, 30, 220, 70, 3 }, 0.5, 0 },
};

static const double region_base[N_REGIONS] = { 0.25, 0.12, 0.12, 0.10, 0.10, 0.12, 0.10, 0.09 };

crm_gen_customers_params crm_gen_customers_params_default(void)
{
    return (crm_gen_customers_params){
        .n_rows = 10000, .seed = 42, .missing_rate = 0.02, .outlier_rate = 0.005
    };
}

crm_status crm_gen_customers_params_check(const crm_gen_customers_params *p, crm_error *err)
{
    if (p->n_rows < 1 || p->n_rows > INT32_MAX - 1) {
        return crm__error_set(err, CRM_EINVAL, "n_rows must be in 1..%d, got %lld", INT32_MAX - 1,
                              (long long)p->n_rows);
    }
    if (!(p->missing_rate >= 0 && p->missing_rate <= 0.5)) {
        return crm__error_set(err, CRM_EINVAL, "missing_rate must be in [0, 0.5], got %g",
                              p->missing_rate);
    }
    if (!(p->outlier_rate >= 0 && p->outlier_rate <= 0.5)) {
        return crm__error_set(err, CRM_EINVAL, "outlier_rate must be in [0, 0.5], got %g",
                              p->outlier_rate);
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0");
    }
    if (p->extra_features < 0 || p->extra_features > CRM_GEN_MAX_EXTRA) {
        return crm__error_set(err, CRM_EINVAL, "extra_features must be in 0..%d, got %d",
                              CRM_GEN_MAX_EXTRA, (int)p->extra_features);
    }
    return CRM_OK;
}

const char *crm_gen_customer_type_name(int32_t type)
{
    return (type >= 0 && type < N_TYPES) ? type_names[type] : NULL;
}

static double lognormal(crm_rng *rng, double median, double sigma)
{
    return median * exp(sigma * crm_rng_normal(rng));
}

static int pick(crm_rng *rng, const double *w, int n)
{
    double total = 0;
    double u;
    for (int i = 0; i < n; i++) {
        total += w[i];
    }
    u = crm_rng_uniform(rng) * total;
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i]) {
            return i;
        }
        u -= w[i];
    }
    return n - 1;
}

static double poisson(crm_rng *rng, double lambda)
{
    double limit = exp(-lambda);
    double prod = crm_rng_uniform(rng);
    int k = 0;
    while (prod > limit && k < 1000) {
        prod *= crm_rng_uniform(rng);
        k++;
    }
    return (double)k;
}

/* Nearest multiple of 1/scale; the division keeps it the double nearest to the decimal,
 * so it prints short (0.1, not 0.10000000000000001). */
static double round_to(double v, double scale)
{
    return floor(v * scale + 0.5) / scale;
}

typedef struct gen_out {
    double *num[N_NUM];
    double *extra[CRM_GEN_MAX_EXTRA];
    int32_t *type;
    int32_t *region;
    int32_t *plan;
} gen_out;

/* One subscriber's true attributes and churn into v[N_NUM]; its type, region and plan. Draws
 * from rng only, so that the CDR generator can replay a block's rows without the noise. */
static void true_row(crm_rng *rng, double *v, int *type_out, int *region_out, int *plan_out)
{
    static const double rate_on[3] = { 0.030, 0.015, 0.020 };
    static const double rate_off[3] = { 0.080, 0.050, 0.060 };
    static const double rate_sms[3] = { 0.050, 0.030, 0.040 };
    double w[N_REGIONS];
    double share[N_TYPES];
    const type_spec *ts;
    int t;
    int plan;
    int64_t c_voice;
    int64_t c_data;
    int64_t c_sms;
    int64_t c_vas;
    double gb;
    double logit;
    for (int k = 0; k < N_TYPES; k++) {
        share[k] = types[k].share;
    }
    t = pick(rng, share, N_TYPES);
    ts = &types[t];
    for (int r = 0; r < N_REGIONS; r++) {
        w[r] = region_base[r] * ts->region_tilt[r];
    }
    *region_out = pick(rng, w, N_REGIONS);
    plan = pick(rng, ts->plan, 3);
    *plan_out = plan;
    *type_out = t;
    v[C_TENURE] = floor(lognormal(rng, ts->tenure, 0.7));
    v[C_TENURE] = v[C_TENURE] < 1 ? 1 : (v[C_TENURE] > 7300 ? 7300 : v[C_TENURE]);
    v[C_DOWN] = lognormal(rng, ts->down, 0.6);
    if (crm_rng_uniform(rng) < 0.05) { /* Pareto tail, alpha 1.5 */
        v[C_DOWN] *= pow(1.0 - crm_rng_uniform(rng), -1.0 / 1.5);
    }
    v[C_UP] = v[C_DOWN] * lognormal(rng, ts->up_ratio, 0.35);
    v[C_ONNET] = lognormal(rng, ts->onnet, 0.5);
    v[C_OFFNET] = lognormal(rng, ts->offnet, 0.55);
    v[C_SMS] = floor(lognormal(rng, ts->sms, 0.6));
    v[C_PARTIES] =
        floor(2 + ts->parties_k * sqrt(v[C_ONNET] + v[C_OFFNET]) * lognormal(rng, 1.0, 0.3));
    v[C_COMPLAINTS] = poisson(rng, ts->complaints);
    v[C_DOWN] = round_to(v[C_DOWN], 10.0);
    v[C_UP] = round_to(v[C_UP], 10.0);
    v[C_ONNET] = round_to(v[C_ONNET], 10.0);
    v[C_OFFNET] = round_to(v[C_OFFNET], 10.0);
    /* Bill items in integer cents, so the total is exact. */
    gb = v[C_DOWN] / 1024.0;
    c_voice =
        (int64_t)floor((v[C_ONNET] * rate_on[plan] + v[C_OFFNET] * rate_off[plan]) * 100 + 0.5);
    if (plan == 0) {
        c_data = (int64_t)floor(gb * 300 + 0.5);
    } else if (plan == 1) {
        c_data = 1500 + (gb > 10 ? (int64_t)floor((gb - 10) * 100 + 0.5) : 0);
    } else {
        c_data = 500 + (int64_t)floor(gb * 200 + 0.5);
    }
    c_sms = (int64_t)floor(v[C_SMS] * rate_sms[plan] * 100 + 0.5);
    c_vas = crm_rng_uniform(rng) < ts->vas_p ? (int64_t)floor(lognormal(rng, 600, 0.5) + 0.5) : 0;
    v[C_BVOICE] = (double)c_voice / 100.0;
    v[C_BDATA] = (double)c_data / 100.0;
    v[C_BSMS] = (double)c_sms / 100.0;
    v[C_BVAS] = (double)c_vas / 100.0;
    v[C_BILL] = (double)(c_voice + c_data + c_sms + c_vas) / 100.0;
    v[C_REVENUE] = round_to(3.0 * v[C_BILL] * lognormal(rng, 1.0, 0.08) +
                                0.006 * (v[C_ONNET] + v[C_OFFNET]) * 3.0,
                            0.01);
    /* Churn: short tenure, complaints, prepaid, a high bill relative to use, little data. */
    logit = -1.45 + ts->churn_effect - 0.55 * log(v[C_TENURE] / 365.0) + 0.45 * v[C_COMPLAINTS] +
            (plan == 0 ? 0.35 : (plan == 1 ? -0.45 : 0.0)) + 0.30 * log((v[C_BILL] + 5.0) / 30.0) -
            0.12 * log1p(gb);
    v[C_CHURN] = crm_rng_uniform(rng) < 1.0 / (1.0 + exp(-logit)) ? 1.0 : 0.0;
}

/* One subscriber's true attributes, then churn, then noise. */
static void gen_row(crm_rng *rng,
                    crm_rng *noise,
                    const crm_gen_customers_params *p,
                    const gen_out *o,
                    int64_t i) /* index into o */
{
    double v[N_NUM];
    int t;
    int region;
    int plan;
    true_row(rng, v, &t, &region, &plan);
    o->region[i] = region;
    o->plan[i] = plan;
    o->type[i] = t;
    /* Noise, from its own stream so that the true values do not depend on the rates. */
    if (crm_rng_uniform(noise) < p->outlier_rate) {
        static const int usage[6] = { C_UP, C_DOWN, C_ONNET, C_OFFNET, C_SMS, C_PARTIES };
        int c = usage[crm_rng_below(noise, 6)];
        v[c] = round_to(v[c] * (20.0 + 80.0 * crm_rng_uniform(noise)) + 1.0, 10.0);
    }
    if (p->missing_rate > 0) {
        static const int holes[10] = { C_TENURE, C_UP,      C_DOWN,       C_ONNET,   C_OFFNET,
                                       C_SMS,    C_PARTIES, C_COMPLAINTS, C_REVENUE, -1 };
        for (int k = 0; k < 10; k++) {
            if (crm_rng_uniform(noise) < p->missing_rate) {
                if (holes[k] < 0) {
                    o->region[i] = -1;
                } else {
                    v[holes[k]] = (double)NAN;
                }
            }
        }
    }
    for (int c = 0; c < N_NUM; c++) {
        o->num[c][i] = v[c];
    }
}

/* The extra columns of row i from its latent type, from their own stream. */
static void extra_row(crm_rng *rng, const crm_gen_customers_params *p, const gen_out *o, int64_t i)
{
    int t = o->type[i];
    for (int e = 0; e < p->extra_features; e++) {
        double v = lognormal(rng, extras[e].median[t], extras[e].sigma);
        v = extras[e].count ? floor(v) : round_to(v, 10.0);
        if (p->missing_rate > 0 && crm_rng_uniform(rng) < p->missing_rate) {
            v = (double)NAN;
        }
        o->extra[e][i] = v;
    }
}

static crm_status add_columns(const crm_gen_customers_params *p,
                              const gen_out *o,
                              int64_t first,
                              int64_t n,
                              crm_table *t,
                              crm_error *err)
{
    const char **text = crm_mallocarray((size_t)n, sizeof *text);
    char *ids = crm_mallocarray((size_t)n, 24);
    crm_status rc = CRM_OK;
    if (text == NULL || ids == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    for (int64_t i = 0; i < n; i++) {
        (void)snprintf(ids + 24 * i, 24, "S%07lld", (long long)(first + i + 1));
        text[i] = ids + 24 * i;
    }
    rc = crm_table_add_text(t, "subscriber_id", CRM_COL_ID, text, err);
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        text[i] = o->region[i] < 0 ? NULL : region_names[o->region[i]];
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_text(t, "region", CRM_COL_CATEGORICAL, text, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        text[i] = plan_names[o->plan[i]];
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_text(t, "plan_type", CRM_COL_CATEGORICAL, text, err);
    }
    for (int c = 0; rc == CRM_OK && c < N_NUM; c++) {
        rc = crm_table_add_numeric(t, num_names[c], o->num[c], err);
    }
    for (int e = 0; rc == CRM_OK && e < p->extra_features; e++) {
        rc = crm_table_add_numeric(t, extras[e].name, o->extra[e], err);
    }
    if (rc == CRM_OK && p->with_truth) {
        for (int64_t i = 0; i < n; i++) {
            text[i] = type_names[o->type[i]];
        }
        rc = crm_table_add_text(t, "true_type", CRM_COL_CATEGORICAL, text, err);
    }
cleanup:
    crm_free(text);
    crm_free(ids);
    return rc;
}

crm_status crm_gen_customers_part(const crm_gen_customers_params *p,
                                  int64_t first,
                                  int64_t n,
                                  crm_table **out,
                                  crm_error *err)
{
    gen_out o;
    crm_table *t = NULL;
    int64_t b0;
    int64_t n_blocks;
    int n_threads = 1;
    crm_status rc;
    *out = NULL;
    rc = crm_gen_customers_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (first < 0 || first % GEN_BLOCK != 0 || n < 1 || first > p->n_rows - n) {
        crm__error_set(err, CRM_EINVAL,
                       "rows %lld..%lld are not a part of %lld rows starting at a multiple of %d",
                       (long long)first, (long long)(first + n), (long long)p->n_rows,
                       (int)GEN_BLOCK);
        crm__error_field(err, "first");
        return CRM_EINVAL;
    }
    memset(&o, 0, sizeof o);
    for (int c = 0; c < N_NUM; c++) {
        o.num[c] = crm_mallocarray((size_t)n, sizeof(double));
        if (o.num[c] == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    for (int e = 0; e < p->extra_features; e++) {
        o.extra[e] = crm_mallocarray((size_t)n, sizeof(double));
        if (o.extra[e] == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    o.type = crm_mallocarray((size_t)n, sizeof(int32_t));
    o.region = crm_mallocarray((size_t)n, sizeof(int32_t));
    o.plan = crm_mallocarray((size_t)n, sizeof(int32_t));
    if (rc != CRM_OK || o.type == NULL || o.region == NULL || o.plan == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    b0 = first / GEN_BLOCK;
    n_blocks = (n + GEN_BLOCK - 1) / GEN_BLOCK;
#ifdef _OPENMP
    n_threads = p->n_threads > 0 ? p->n_threads : omp_get_max_threads();
#endif
#pragma omp parallel for schedule(static) num_threads(n_threads) if (n_blocks > 1)
    for (int64_t b = 0; b < n_blocks; b++) {
        crm_rng rng;
        crm_rng noise;
        crm_rng more;
        int64_t end = (b + 1) * GEN_BLOCK < n ? (b + 1) * GEN_BLOCK : n;
        crm_rng_seed_stream(&rng, p->seed, (uint64_t)(b0 + b));
        crm_rng_seed_stream(&noise, p->seed, (uint64_t)(b0 + b) | (UINT64_C(1) << 62));
        crm_rng_seed_stream(&more, p->seed, (uint64_t)(b0 + b) | (UINT64_C(1) << 61));
        for (int64_t i = b * GEN_BLOCK; i < end; i++) {
            gen_row(&rng, &noise, p, &o, i);
            if (p->extra_features > 0) {
                extra_row(&more, p, &o, i);
            }
        }
    }
    rc = crm_table_new(n, "generated customers", &t, err);
    if (rc == CRM_OK) {
        rc = add_columns(p, &o, first, n, t, err);
    }
    if (rc == CRM_OK) {
        *out = t;
        t = NULL;
    }
cleanup:
    crm_table_free(t);
    for (int c = 0; c < N_NUM; c++) {
        crm_free(o.num[c]);
    }
    for (int e = 0; e < CRM_GEN_MAX_EXTRA; e++) {
        crm_free(o.extra[e]);
    }
    CRM__FREE(o.type, o.region, o.plan);
    return rc;
}

crm_status crm_gen_customers(const crm_gen_customers_params *p, crm_table **out, crm_error *err)
{
    return crm_gen_customers_part(p, 0, p->n_rows, out, err);
}

void crm__gen_customers_truth(uint64_t seed, int64_t first, int64_t n, crm__gen_truth *out)
{
    int64_t end = first + n;
    for (int64_t b = first / GEN_BLOCK; b * GEN_BLOCK < end; b++) {
        crm_rng rng;
        int64_t stop = (b + 1) * GEN_BLOCK < end ? (b + 1) * GEN_BLOCK : end;
        crm_rng_seed_stream(&rng, seed, (uint64_t)b);
        for (int64_t i = b * GEN_BLOCK; i < stop; i++) {
            double v[N_NUM];
            int t;
            int region;
            int plan;
            true_row(&rng, v, &t, &region, &plan);
            if (i >= first) {
                crm__gen_truth *g = &out[i - first];
                g->type = t;
                g->plan = plan;
                g->onnet_min = v[C_ONNET];
                g->offnet_min = v[C_OFFNET];
                g->sms = v[C_SMS];
                g->parties = v[C_PARTIES];
                g->down_mb = v[C_DOWN];
                g->up_mb = v[C_UP];
                g->churn = v[C_CHURN] > 0.5;
            }
        }
    }
}
