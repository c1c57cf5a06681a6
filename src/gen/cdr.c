/* cdr.c: synthetic call detail records for the customers of `crmkit gen customers`.
 *
 * Each customer's true attributes are replayed from the customer generator (same seed, same
 * row) and turned into a profile: daily rates of on-net calls, off-net calls, SMS and data
 * sessions (monthly usage / 30, split between weekdays and weekends by a per-type weekend
 * preference), a mean call length and a night share by type, a mean session volume, a
 * contact list as long as its called parties (on-net contacts are other customers, drawn by
 * a hash of (seed, customer, contact), off-net ones are outside numbers), and a last active
 * day for churners. The work is cut into tasks (day, block of 4096 customers); task t draws
 * from its own random stream (seed, t), so tasks run in parallel in windows and are written
 * in order, each as text or as one gzip member. The output depends on the params only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/gen.h>
#include <crmkit/outfile.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "gen_internal.h"

#define CDR_BLOCK  CRM__GEN_BLOCK
#define DAY0       19723 /* 2024-01-01, days since 1970-01-01 (a Monday) */
#define SALT_TASK  UINT64_C(0xCD4A11D37E5E0001)
#define SALT_PROF  UINT64_C(0xCD4A11D37E5E0002)
#define SALT_CONT  UINT64_C(0xCD4A11D37E5E0003)
#define GZIP_LEVEL 1
#define N_TYPES    CRM_GEN_N_CUSTOMER_TYPES

enum {
    K_ON,
    K_OFF,
    K_SMS,
    K_DATA,
    N_KINDS
};

/* By latent type (heavy_data, voice_centric, low_value_prepaid, premium_postpaid,
 * young_social, dormant). */
static const double mean_call_s[N_TYPES] = { 100, 180, 80, 200, 70, 60 };
static const double night_share[N_TYPES] = { 0.15, 0.06, 0.10, 0.05, 0.25, 0.08 };
static const double weekend_pref[N_TYPES] = { 1.1, 0.8, 1.0, 0.6, 1.4, 1.0 };
/* Tariffs by plan (prepaid, postpaid, hybrid), in 1e-4 currency units: as the customer
 * generator's bill items. */
static const int64_t rate_on[3] = { 300, 150, 200 };  /* per started minute */
static const int64_t rate_off[3] = { 800, 500, 600 }; /* per started minute */
static const int64_t rate_sms[3] = { 500, 300, 400 };
static const int64_t rate_mb[3] = { 30, 10, 20 };

typedef struct profile {
    double rate[2][N_KINDS]; /* [weekday, weekend] events per day */
    double mean_call_s;
    double night;
    double mean_bytes;
    int32_t n_on;
    int32_t n_off; /* contacts */
    int32_t last_day;
    int32_t plan;
} profile;

typedef struct rec {
    int32_t sec;
    int32_t cust; /* index in the block */
    int32_t seq;
    int32_t kind;
    int32_t contact;
    int32_t dur;
    int64_t bytes;
    int64_t charge;
} rec;

typedef struct chunk {
    char *text;
    size_t len;
    size_t cap;
    unsigned char *gz;
    size_t gz_len;
    size_t gz_cap;
    rec *recs;
    size_t n_recs;
    int64_t recs_cap;
    crm_gen_cdr_summary sum;
    int failed; /* out of memory or a zlib error */
} chunk;

crm_gen_cdr_params crm_gen_cdr_params_default(void)
{
    return (crm_gen_cdr_params){ .n_customers = 1000, .seed = 42, .days = 30 };
}

crm_status crm_gen_cdr_params_check(const crm_gen_cdr_params *p, crm_error *err)
{
    if (p->n_customers < 1 || p->n_customers > INT32_MAX - 1) {
        return crm__error_set(err, CRM_EINVAL, "n_customers must be in 1..%d, got %lld",
                              INT32_MAX - 1, (long long)p->n_customers);
    }
    if (p->days < 1 || p->days > 3650) {
        return crm__error_set(err, CRM_EINVAL, "days must be in 1..3650, got %d", p->days);
    }
    if (p->n_threads < 0) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0");
    }
    return CRM_OK;
}

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* ---- profiles ---- */

static void
make_profile(const crm_gen_cdr_params *p, int64_t i, const crm__gen_truth *g, profile *pr)
{
    crm_rng rng;
    double minutes = g->onnet_min + g->offnet_min;
    double on_share = minutes > 0 ? g->onnet_min / minutes : 0.5;
    double mb = g->down_mb + g->up_mb;
    double sessions = 5.0 + 2.0 * sqrt(mb); /* a month */
    double wp = weekend_pref[g->type];
    double wk = 7.0 / (5.0 + 2.0 * wp); /* weekday factor keeping the weekly total */
    int32_t parties = g->parties < 1 ? 1 : (int32_t)g->parties;
    double monthly[N_KINDS];
    crm_rng_seed_stream(&rng, p->seed ^ SALT_PROF, (uint64_t)i);
    pr->mean_call_s = mean_call_s[g->type] * exp(0.25 * crm_rng_normal(&rng));
    pr->night = night_share[g->type];
    monthly[K_ON] = g->onnet_min * 60.0 / pr->mean_call_s;
    monthly[K_OFF] = g->offnet_min * 60.0 / pr->mean_call_s;
    monthly[K_SMS] = g->sms;
    monthly[K_DATA] = sessions;
    for (int k = 0; k < N_KINDS; k++) {
        pr->rate[0][k] = monthly[k] / 30.0 * wk;
        pr->rate[1][k] = monthly[k] / 30.0 * wk * wp;
    }
    pr->mean_bytes = mb * 1048576.0 / sessions;
    pr->n_on = (int32_t)floor(parties * on_share + 0.5);
    pr->n_on = pr->n_on < 1 ? 1 : (pr->n_on > parties ? parties : pr->n_on);
    pr->n_off = parties - pr->n_on < 1 ? 1 : parties - pr->n_on;
    pr->plan = g->plan;
    pr->last_day = p->days;
    if (g->churn) { /* falls silent somewhere in the second half of the period */
        pr->last_day = (int32_t)floor(p->days * (0.5 + 0.5 * crm_rng_uniform(&rng)));
    }
}

static crm_status
make_profiles(const crm_gen_cdr_params *p, int n_threads, profile *prof, crm_error *err)
{
    int64_t n = p->n_customers;
    int64_t n_blocks = (n + CDR_BLOCK - 1) / CDR_BLOCK;
    int failed = 0;
    (void)n_threads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads) if (n_blocks > 1)
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t first = b * CDR_BLOCK;
        int64_t len = first + CDR_BLOCK < n ? CDR_BLOCK : n - first;
        crm__gen_truth *g = crm_mallocarray((size_t)len, sizeof *g);
        if (g == NULL) {
#pragma omp atomic write
            failed = 1;
            continue;
        }
        crm__gen_customers_truth(p->seed, first, len, g);
        for (int64_t k = 0; k < len; k++) {
            make_profile(p, first + k, &g[k], &prof[first + k]);
        }
        crm_free(g);
    }
    return failed ? crm__error_nomem(err) : CRM_OK;
}

/* ---- one task: a day of a block of customers ---- */

static int32_t count_events(crm_rng *rng, double lambda)
{
    double limit;
    double prod;
    int32_t k = 0;
    if (lambda <= 0) {
        return 0;
    }
    if (lambda > 30) { /* normal approximation */
        double v = floor(lambda + sqrt(lambda) * crm_rng_normal(rng) + 0.5);
        return v < 0 ? 0 : (int32_t)v;
    }
    limit = exp(-lambda);
    prod = crm_rng_uniform(rng);
    while (prod > limit) {
        prod *= crm_rng_uniform(rng);
        k++;
    }
    return k;
}

static int32_t draw_second(crm_rng *rng, double night)
{
    if (crm_rng_uniform(rng) < night) { /* 22:00 .. 06:00 */
        int32_t s = (int32_t)crm_rng_below(rng, 8 * 3600);
        return (22 * 3600 + s) % 86400;
    }
    return 6 * 3600 + (int32_t)crm_rng_below(rng, 16 * 3600);
}

/* Contact index in [0, n): the first contacts get most of the traffic. */
static int32_t draw_contact(crm_rng *rng, int32_t n)
{
    double u = crm_rng_uniform(rng);
    int32_t k = (int32_t)floor((double)n * u * u);
    return k >= n ? n - 1 : k;
}

static int push_rec(chunk *c, const rec *r)
{
    if ((int64_t)c->n_recs == c->recs_cap &&
        !crm__grow_items(&c->recs, &c->recs_cap, (int64_t)c->n_recs + 1, sizeof *c->recs, 4096)) {
        return 0;
    }
    c->recs[c->n_recs++] = *r;
    return 1;
}

static int cmp_rec(const void *pa, const void *pb)
{
    const rec *a = pa;
    const rec *b = pb;
    if (a->sec != b->sec) {
        return a->sec < b->sec ? -1 : 1;
    }
    if (a->cust != b->cust) {
        return a->cust < b->cust ? -1 : 1;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static char *put_uint(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) {
        *o++ = tmp[--n];
    }
    return o;
}

static char *put_id(char *o, int64_t i)
{
    char tmp[24];
    int n = 0;
    uint64_t v = (uint64_t)i + 1;
    while (v > 0 || n < 7) {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    }
    *o++ = 'S';
    while (n > 0) {
        *o++ = tmp[--n];
    }
    return o;
}

static char *put2(char *o, int v)
{
    *o++ = (char)('0' + v / 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static void day_text(int32_t d, char *buf, size_t size)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int year = 2024;
    int month = 0;
    int64_t day = d;
    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (day < (leap ? 366 : 365)) {
            break;
        }
        day -= leap ? 366 : 365;
        year++;
    }
    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int md = mdays[month] + (month == 1 && leap);
        if (day < md) {
            break;
        }
        day -= md;
        month++;
    }
    snprintf(buf, size, "%04d-%02d-%02d", year, month + 1, (int)day + 1);
}

/* The callee of contact k of customer i: another customer (on-net) or an outside number. */
static char *put_callee(char *o, const crm_gen_cdr_params *p, int64_t i, int on, int32_t k)
{
    uint64_t h =
        mix(p->seed ^ SALT_CONT ^ mix(((uint64_t)i << 21) ^ ((uint64_t)k << 1) ^ (uint64_t)on));
    if (on) {
        int64_t n = p->n_customers;
        int64_t j = n > 1 ? (i + 1 + (int64_t)(h % (uint64_t)(n - 1))) % n : i;
        return put_id(o, j);
    }
    *o++ = 'X';
    h %= UINT64_C(1000000000);
    for (int64_t div = 100000000; div > 0; div /= 10) {
        *o++ = (char)('0' + (h / (uint64_t)div) % 10);
    }
    return o;
}

static char *put_charge(char *o, int64_t c)
{
    o = put_uint(o, (uint64_t)(c / 10000));
    *o++ = '.';
    c %= 10000;
    *o++ = (char)('0' + c / 1000);
    *o++ = (char)('0' + c / 100 % 10);
    *o++ = (char)('0' + c / 10 % 10);
    *o++ = (char)('0' + c % 10);
    return o;
}

static int
format_chunk(const crm_gen_cdr_params *p, const profile *prof, int64_t first, int32_t day, chunk *c)
{
    static const char *const kinds[N_KINDS] = { ",onnet,voice,", ",offnet,voice,", ",sms,",
                                                ",,data," };
    char date[48];
    size_t need = c->n_recs * 96 + 1;
    char *o;
    day_text(day, date, sizeof date);
    if (need > c->cap) {
        char *t = crm_realloc(c->text, need);
        if (t == NULL) {
            return 0;
        }
        c->text = t;
        c->cap = need;
    }
    o = c->text;
    for (size_t r = 0; r < c->n_recs; r++) {
        const rec *e = &c->recs[r];
        int64_t i = first + e->cust;
        o = put_id(o, i);
        *o++ = ',';
        if (e->kind != K_DATA) {
            int on = e->kind == K_ON || (e->kind == K_SMS && e->contact >= 0);
            int32_t k = e->contact >= 0 ? e->contact : -e->contact - 1;
            o = put_callee(o, p, i, on, k);
        }
        *o++ = ',';
        memcpy(o, date, 10);
        o += 10;
        *o++ = ' ';
        o = put2(o, e->sec / 3600);
        *o++ = ':';
        o = put2(o, e->sec / 60 % 60);
        *o++ = ':';
        o = put2(o, e->sec % 60);
        *o++ = ',';
        o = put_uint(o, (uint64_t)e->dur);
        if (e->kind == K_SMS) {
            o = put_str(o, e->contact >= 0 ? ",onnet,sms," : ",offnet,sms,");
        } else {
            o = put_str(o, kinds[e->kind]);
        }
        o = put_uint(o, (uint64_t)e->bytes);
        *o++ = ',';
        o = put_charge(o, e->charge);
        *o++ = '\n';
    }
    c->len = (size_t)(o - c->text);
    (void)prof;
    return 1;
}

static int compress_chunk(const char *text, size_t len, chunk *c)
{
    z_stream z;
    size_t bound;
    int zrc;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return 0;
    }
    bound = deflateBound(&z, (uLong)len) + 64;
    if (bound > c->gz_cap) {
        unsigned char *g = crm_realloc(c->gz, bound);
        if (g == NULL) {
            deflateEnd(&z);
            return 0;
        }
        c->gz = g;
        c->gz_cap = bound;
    }
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)len;
    z.next_out = c->gz;
    z.avail_out = (uInt)c->gz_cap;
    zrc = deflate(&z, Z_FINISH);
    c->gz_len = c->gz_cap - z.avail_out;
    deflateEnd(&z);
    return zrc == Z_STREAM_END;
}

static void
run_task(const crm_gen_cdr_params *p, const profile *prof, int64_t task, int gz, chunk *c)
{
    int64_t n_blocks = (p->n_customers + CDR_BLOCK - 1) / CDR_BLOCK;
    int32_t day = (int32_t)(task / n_blocks);
    int64_t first = (task % n_blocks) * CDR_BLOCK;
    int64_t end = first + CDR_BLOCK < p->n_customers ? first + CDR_BLOCK : p->n_customers;
    int weekend = (day % 7) >= 5; /* day 0 is a Monday */
    crm_rng rng;
    memset(&c->sum, 0, sizeof c->sum);
    c->n_recs = 0;
    c->failed = 0;
    crm_rng_seed_stream(&rng, p->seed ^ SALT_TASK, (uint64_t)task);
    for (int64_t i = first; i < end; i++) {
        const profile *pr = &prof[i];
        int32_t seq = 0;
        if (day >= pr->last_day) {
            continue;
        }
        for (int k = 0; k < N_KINDS; k++) {
            int32_t n = count_events(&rng, pr->rate[weekend][k]);
            for (int32_t e = 0; e < n; e++) {
                rec r;
                memset(&r, 0, sizeof r);
                r.cust = (int32_t)(i - first);
                r.seq = seq++;
                r.kind = k;
                r.sec = draw_second(&rng, pr->night);
                if (k == K_ON || k == K_OFF) {
                    double u = crm_rng_uniform(&rng);
                    int64_t minutes;
                    r.contact = draw_contact(&rng, k == K_ON ? pr->n_on : pr->n_off);
                    r.dur = (int32_t)floor(-pr->mean_call_s * log(1.0 - u)) + 1;
                    r.dur = r.dur > 14400 ? 14400 : r.dur;
                    minutes = (r.dur + 59) / 60;
                    r.charge = minutes * (k == K_ON ? rate_on[pr->plan] : rate_off[pr->plan]);
                    c->sum.n_voice++;
                } else if (k == K_SMS) {
                    int32_t total = pr->n_on + pr->n_off;
                    int32_t ct = draw_contact(&rng, total);
                    /* >= 0: on-net contact ct; < 0: off-net contact -r.contact - 1 */
                    r.contact = ct < pr->n_on ? ct : -(ct - pr->n_on) - 1;
                    r.charge = rate_sms[pr->plan];
                    c->sum.n_sms++;
                } else {
                    double u = crm_rng_uniform(&rng);
                    r.bytes = (int64_t)floor(-pr->mean_bytes * log(1.0 - u));
                    r.dur = (int32_t)floor(-600.0 * log(1.0 - crm_rng_uniform(&rng))) + 1;
                    r.charge = (int64_t)floor(
                        (double)r.bytes * (double)rate_mb[pr->plan] / 1048576.0 + 0.5);
                    c->sum.n_data++;
                }
                if (!push_rec(c, &r)) {
                    c->failed = 1;
                    return;
                }
            }
        }
    }
    c->sum.n_records = (int64_t)c->n_recs;
    qsort(c->recs, c->n_recs, sizeof *c->recs, cmp_rec);
    if (!format_chunk(p, prof, first, day, c) || (gz && !compress_chunk(c->text, c->len, c))) {
        c->failed = 1;
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char header[] = "caller,callee,start_time,duration,network,type,bytes,charge\n";

crm_status crm_gen_cdr(const crm_gen_cdr_params *p,
                       const char *path,
                       const crm_progress *progress,
                       crm_gen_cdr_summary *summary,
                       crm_error *err)
{
    profile *prof = NULL;
    chunk *chunks = NULL;
    crm_outfile *f = NULL;
    FILE *fp;
    crm_gen_cdr_summary sum;
    int n_threads = 1;
    int gz = ends_with(path, ".gz");
    int64_t n_blocks;
    int64_t n_tasks;
    int64_t window;
    crm_status rc = crm_gen_cdr_params_check(p, err);
    memset(&sum, 0, sizeof sum);
    if (rc != CRM_OK) {
        return rc;
    }
#ifdef _OPENMP
    n_threads = p->n_threads > 0 ? p->n_threads : omp_get_max_threads();
#endif
    n_blocks = (p->n_customers + CDR_BLOCK - 1) / CDR_BLOCK;
    n_tasks = n_blocks * p->days;
    window = 2 * (int64_t)n_threads;
    prof = crm_mallocarray((size_t)p->n_customers, sizeof *prof);
    chunks = crm_calloc((size_t)window, sizeof *chunks);
    if (prof == NULL || chunks == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    rc = make_profiles(p, n_threads, prof, err);
    if (rc == CRM_OK) {
        rc = crm_outfile_open(path, &f, err);
    }
    if (rc != CRM_OK) {
        goto cleanup;
    }
    fp = crm_outfile_stream(f);
    if (gz) {
        if (!compress_chunk(header, sizeof header - 1, &chunks[0])) {
            rc = crm__error_nomem(err);
            goto cleanup;
        }
        fwrite(chunks[0].gz, 1, chunks[0].gz_len, fp);
    } else {
        fputs(header, fp);
    }
    for (int64_t t0 = 0; t0 < n_tasks && rc == CRM_OK; t0 += window) {
        int64_t n = t0 + window < n_tasks ? window : n_tasks - t0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads) if (n > 1)
        for (int64_t k = 0; k < n; k++) {
            run_task(p, prof, t0 + k, gz, &chunks[k]);
        }
        for (int64_t k = 0; k < n && rc == CRM_OK; k++) {
            chunk *c = &chunks[k];
            if (c->failed) {
                rc = crm__error_nomem(err);
                break;
            }
            if (gz) {
                fwrite(c->gz, 1, c->gz_len, fp);
            } else {
                fwrite(c->text, 1, c->len, fp);
            }
            sum.n_records += c->sum.n_records;
            sum.n_voice += c->sum.n_voice;
            sum.n_sms += c->sum.n_sms;
            sum.n_data += c->sum.n_data;
        }
        if (rc == CRM_OK && ferror(fp)) {
            rc = crm__error_set(err, CRM_EIO, "%s: write failed", path);
        }
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "generate CDRs", (double)(t0 + n) / (double)n_tasks)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc == CRM_OK) {
        rc = crm_outfile_commit(f, err);
        f = NULL;
    }
    if (rc == CRM_OK && summary != NULL) {
        *summary = sum;
    }
cleanup:
    crm_outfile_abort(f);
    for (int64_t k = 0; chunks != NULL && k < window; k++) {
        CRM__FREE(chunks[k].text, chunks[k].gz, chunks[k].recs);
    }
    crm_free(chunks);
    crm_free(prof);
    return rc;
}
