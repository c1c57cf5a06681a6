/* vas.c: synthetic VAS transaction log with bundles that co-occur and differ by customer type.
 *
 * Model: each customer has a type (youth, business, family, sports fan, light user). A type
 * lists bundles (groups of services bought together) with a probability each; a customer
 * takes a bundle with that probability and then each of its services with probability 0.85,
 * so bundles are strong but not perfect co-occurrences. A little background noise adds any
 * service with a small probability. Every service a customer takes becomes one or more
 * rows (first subscription and renewals, repeated top-ups), and a share of rows fail. Some
 * customers also have failed attempts at services they never got, so filtering on status
 * changes the baskets. Rows are sorted by time (then customer, then service) like a real
 * log. Each customer draws from its own random stream (seed, customer index), so the log of
 * one customer does not depend on the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/gen.h>
#include <crmkit/outfile.h>
#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "gen_vas_internal.h"

typedef enum svc_kind {
    SVC_SUB = 0,   /* subscription: SUB then RENEW rows, DEBIT */
    SVC_TOPUP = 1, /* recharge: TOPUP rows, CREDIT */
    SVC_ONCE = 2   /* one-off purchase: PURCHASE rows, DEBIT */
} svc_kind;

typedef struct service {
    const char *code;
    const char *name;
    const char *category;
    int32_t price_cents; /* 0: amount drawn per top-up */
    svc_kind kind;
    const char *topup_type;
} service;

static const service catalogue[] = {
    { "RBT_POP", "Ring-back tone: pop hits", "ringback", 100, SVC_SUB, "" },
    { "RBT_CLASSIC", "Ring-back tone: classics", "ringback", 100, SVC_SUB, "" },
    { "RBT_DEVOTION", "Ring-back tone: devotional", "ringback", 100, SVC_SUB, "" },
    { "DATA_100MB", "Data bundle 100 MB, 1 day", "data", 50, SVC_ONCE, "" },
    { "DATA_1GB", "Data bundle 1 GB, 7 days", "data", 200, SVC_ONCE, "" },
    { "DATA_5GB", "Data bundle 5 GB, 30 days", "data", 800, SVC_SUB, "" },
    { "DATA_20GB", "Data bundle 20 GB, 30 days", "data", 2000, SVC_SUB, "" },
    { "SOCIAL_PACK", "Social media pack", "data", 150, SVC_SUB, "" },
    { "VIDEO_PACK", "Video streaming pack", "data", 500, SVC_SUB, "" },
    { "TOPUP_AIR", "Airtime top-up", "topup", 0, SVC_TOPUP, "AIRTIME" },
    { "TOPUP_DATA", "Data top-up", "topup", 0, SVC_TOPUP, "DATA" },
    { "TOPUP_GIFT", "Airtime gift to another number", "topup", 0, SVC_TOPUP, "GIFT" },
    { "AIRTIME_LOAN", "Emergency airtime loan", "topup", 50, SVC_TOPUP, "LOAN" },
    { "NEWS_SMS", "Daily news SMS", "news", 30, SVC_SUB, "" },
    { "NEWS_PREMIUM", "Premium business news", "news", 200, SVC_SUB, "" },
    { "MUSIC_STREAM", "Music streaming", "music", 300, SVC_SUB, "" },
    { "MUSIC_DL", "Song download", "music", 80, SVC_ONCE, "" },
    { "SPORTS_LIVE", "Live football scores and clips", "sports", 250, SVC_SUB, "" },
    { "SPORTS_SMS", "Sports results SMS", "sports", 30, SVC_SUB, "" },
    { "GAMES_CLUB", "Mobile games club", "games", 150, SVC_SUB, "" },
    { "ROAM_DAY", "Roaming day pass", "roaming", 500, SVC_ONCE, "" },
    { "ROAM_DATA", "Roaming data 1 GB", "roaming", 1000, SVC_ONCE, "" },
    { "INTL_MINUTES", "International minutes pack", "voice", 400, SVC_ONCE, "" },
    { "NIGHT_CALLS", "Night calls bundle", "voice", 100, SVC_SUB, "" },
    { "MISSED_CALL", "Missed-call alerts", "voice", 10, SVC_SUB, "" },
    { "CLOUD_50GB", "Cloud storage 50 GB", "cloud", 200, SVC_SUB, "" },
    { "CLOUD_1TB", "Cloud storage 1 TB", "cloud", 800, SVC_SUB, "" },
    { "BIZ_EMAIL", "Business e-mail on mobile", "business", 300, SVC_SUB, "" },
    { "HOROSCOPE", "Daily horoscope SMS", "lifestyle", 20, SVC_SUB, "" },
    { "PRAYER_TIMES", "Daily prayer times SMS", "lifestyle", 20, SVC_SUB, "" },
};

#define N_SERVICES  ((int32_t)(sizeof catalogue / sizeof catalogue[0]))
#define MAX_BUNDLE  4
#define MAX_BUNDLES 6

typedef struct bundle {
    double prob;
    const char *codes[MAX_BUNDLE];
} bundle;

typedef struct ctype {
    const char *name;
    double share; /* of customers without a segment */
    bundle bundles[MAX_BUNDLES];
} ctype;

static const ctype types[] = {
    { "youth",
      0.25,
      { { 0.60, { "SOCIAL_PACK", "DATA_1GB", "MUSIC_STREAM" } },
        { 0.35, { "GAMES_CLUB", "VIDEO_PACK", "DATA_5GB" } },
        { 0.40, { "RBT_POP", "MUSIC_DL" } },
        { 0.50, { "TOPUP_DATA" } },
        { 0.15, { "HOROSCOPE" } } } },
    { "business",
      0.15,
      { { 0.45, { "ROAM_DAY", "ROAM_DATA", "INTL_MINUTES" } },
        { 0.50, { "CLOUD_1TB", "BIZ_EMAIL", "DATA_20GB" } },
        { 0.35, { "NEWS_PREMIUM", "CLOUD_50GB" } },
        { 0.20, { "TOPUP_AIR" } },
        { 0.20, { "MISSED_CALL" } } } },
    { "family",
      0.25,
      { { 0.55, { "TOPUP_AIR", "TOPUP_GIFT", "NIGHT_CALLS" } },
        { 0.35, { "DATA_100MB", "SOCIAL_PACK" } },
        { 0.30, { "RBT_DEVOTION", "PRAYER_TIMES" } },
        { 0.25, { "AIRTIME_LOAN" } },
        { 0.35, { "MISSED_CALL" } } } },
    { "sports",
      0.20,
      { { 0.55, { "SPORTS_LIVE", "SPORTS_SMS", "DATA_5GB" } },
        { 0.40, { "NEWS_SMS", "SPORTS_SMS" } },
        { 0.25, { "VIDEO_PACK", "DATA_20GB" } },
        { 0.40, { "TOPUP_AIR" } },
        { 0.15, { "RBT_CLASSIC" } } } },
    { "light",
      0.15,
      { { 0.70, { "TOPUP_AIR" } },
        { 0.30, { "AIRTIME_LOAN", "MISSED_CALL" } },
        { 0.15, { "HOROSCOPE", "PRAYER_TIMES" } },
        { 0.10, { "NEWS_SMS" } } } },
};

#define N_TYPES      ((int32_t)(sizeof types / sizeof types[0]))
#define ITEM_PROB    0.85
#define NOISE_PROB   0.015
#define ATTEMPT_PROB 0.08
#define START_EPOCH  1704067200LL /* 2024-01-01T00:00:00Z */

typedef struct row {
    int64_t time; /* seconds since START_EPOCH */
    int64_t customer;
    int64_t target; /* customer index of target_mobile; -1 none */
    int32_t service;
    int32_t amount_cents;
    uint8_t msg;    /* 0 SUB, 1 RENEW, 2 TOPUP, 3 PURCHASE */
    uint8_t status; /* 0 SUCCESS, 1 FAILED, 2 TIMEOUT */
} row;

static const char *const msg_names[] = { "SUB", "RENEW", "TOPUP", "PURCHASE" };
static const char *const status_names[] = { "SUCCESS", "FAILED", "TIMEOUT" };

int32_t crm_gen_vas_n_services(void)
{
    return N_SERVICES;
}

const char *crm_gen_vas_code(int32_t i)
{
    return (i >= 0 && i < N_SERVICES) ? catalogue[i].code : NULL;
}

const char *crm_gen_vas_service_name(int32_t i)
{
    return (i >= 0 && i < N_SERVICES) ? catalogue[i].name : NULL;
}

const char *crm_gen_vas_category(int32_t i)
{
    return (i >= 0 && i < N_SERVICES) ? catalogue[i].category : NULL;
}

static int32_t service_index(const char *code)
{
    for (int32_t i = 0; i < N_SERVICES; i++) {
        if (strcmp(catalogue[i].code, code) == 0) {
            return i;
        }
    }
    return -1;
}

const char *crm_gen_vas_describe(const char *code)
{
    int32_t i = code ? service_index(code) : -1;
    return i >= 0 ? catalogue[i].name : NULL;
}

crm_gen_vas_params crm_gen_vas_params_default(void)
{
    const crm_gen_vas_params p = {
        .n_customers = 1000, .seed = 42, .days = 90, .failure_rate = 0.06
    };
    return p;
}

crm_status crm_gen_vas_params_check(const crm_gen_vas_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "VAS generator parameters are NULL");
    }
    if (p->n_customers < 1 || p->n_customers > 100000000) {
        crm__error_set(err, CRM_EINVAL, "customers must be in [1, 100000000], got %lld",
                       (long long)p->n_customers);
        crm__error_field(err, "customers");
        return CRM_EINVAL;
    }
    if (p->days < 1 || p->days > 3650) {
        crm__error_set(err, CRM_EINVAL, "days must be in [1, 3650], got %d", (int)p->days);
        crm__error_field(err, "days");
        return CRM_EINVAL;
    }
    if (!(p->failure_rate >= 0.0 && p->failure_rate < 1.0)) {
        crm__error_set(err, CRM_EINVAL, "failure rate must be in [0, 1), got %g", p->failure_rate);
        crm__error_field(err, "failure_rate");
        return CRM_EINVAL;
    }
    if (p->n_labels < 0 ||
        (p->n_labels > 0 && (p->label_ids == NULL || p->label_segments == NULL))) {
        return crm__error_set(err, CRM_EINVAL, "labels are missing");
    }
    return CRM_OK;
}

/* ---- customer types from a segmentation ---- */

typedef struct label_ref {
    const char *id;
    const char *segment;
} label_ref;

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const label_ref *)a)->id, ((const label_ref *)b)->id);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* types_of[c] = the type of customer c from its segment, or -1. */
static crm_status types_from_labels(const crm_gen_vas_params *p, int32_t *types_of, crm_error *err)
{
    label_ref *refs = crm_mallocarray((size_t)p->n_labels + 1, sizeof *refs);
    const char **segs = crm_mallocarray((size_t)p->n_labels + 1, sizeof *segs);
    int64_t n_segs = 0;
    char id[64];
    if (refs == NULL || segs == NULL) {
        crm_free(refs);
        crm_free(segs);
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < p->n_labels; i++) {
        refs[i].id = p->label_ids[i] ? p->label_ids[i] : "";
        refs[i].segment = p->label_segments[i] ? p->label_segments[i] : "";
        segs[i] = refs[i].segment;
    }
    qsort(refs, (size_t)p->n_labels, sizeof *refs, cmp_label);
    qsort(segs, (size_t)p->n_labels, sizeof *segs, cmp_str);
    for (int64_t i = 0; i < p->n_labels; i++) {
        if (n_segs == 0 || strcmp(segs[n_segs - 1], segs[i]) != 0) {
            segs[n_segs++] = segs[i];
        }
    }
    for (int64_t c = 0; c < p->n_customers; c++) {
        label_ref key;
        const label_ref *hit;
        crm__gen_vas_customer_id(c, id, sizeof id);
        key.id = id;
        key.segment = NULL;
        hit = bsearch(&key, refs, (size_t)p->n_labels, sizeof *refs, cmp_label);
        types_of[c] = -1;
        if (hit != NULL && hit->segment[0] != '\0') {
            const char **s = bsearch(&hit->segment, segs, (size_t)n_segs, sizeof *segs, cmp_str);
            types_of[c] = (int32_t)((s - segs) % N_TYPES);
        }
    }
    crm_free(refs);
    crm_free(segs);
    return CRM_OK;
}

/* ---- rows of one customer ---- */

typedef struct row_buf {
    row *rows;
    int64_t n;
    int64_t cap;
} row_buf;

static crm_status push_row(row_buf *b, const row *r, crm_error *err)
{
    if (b->n == b->cap && !crm__grow_items(&b->rows, &b->cap, b->n + 1, sizeof *b->rows, 4096)) {
        return crm__error_nomem(err);
    }
    b->rows[b->n++] = *r;
    return CRM_OK;
}

static int32_t draw_type(crm_rng *rng)
{
    double u = crm_rng_uniform(rng);
    for (int32_t t = 0; t < N_TYPES - 1; t++) {
        u -= types[t].share;
        if (u < 0) {
            return t;
        }
    }
    return N_TYPES - 1;
}

static int32_t topup_amount(crm_rng *rng)
{
    static const int32_t amounts[] = { 100, 200, 500, 500, 1000, 1000, 2000 };
    return amounts[crm_rng_below(rng, sizeof amounts / sizeof amounts[0])];
}

static uint8_t draw_status(crm_rng *rng, double failure_rate)
{
    double u = crm_rng_uniform(rng);
    if (u >= failure_rate) {
        return 0;
    }
    return u < failure_rate * 0.75 ? 1 : 2;
}

typedef struct cust_ctx {
    const crm_gen_vas_params *p;
    crm_rng rng;
    int64_t customer;
    int64_t span; /* seconds in the log */
} cust_ctx;

/* Rows for one service the customer took (or only tried, when attempt_only). */
static crm_status
service_rows(cust_ctx *cx, int32_t svc, int attempt_only, row_buf *b, crm_error *err)
{
    const service *s = &catalogue[svc];
    int32_t n_rows = 1;
    int64_t t = (int64_t)crm_rng_below(&cx->rng, (uint64_t)cx->span);
    int64_t step;
    if (!attempt_only) {
        n_rows = s->kind == SVC_SUB ? 1 + (int32_t)crm_rng_below(&cx->rng, 3)
                                    : 1 + (int32_t)crm_rng_below(&cx->rng, 4);
    }
    step = (s->kind == SVC_SUB ? 30 : 9) * 86400LL;
    for (int32_t k = 0; k < n_rows && t + k * step < cx->span; k++) {
        row r;
        r.time = t + k * step;
        r.customer = cx->customer;
        r.service = svc;
        r.amount_cents = s->price_cents > 0 ? s->price_cents : topup_amount(&cx->rng);
        r.msg = s->kind == SVC_TOPUP ? 2 : s->kind == SVC_ONCE ? 3 : (k == 0 ? 0 : 1);
        r.status = attempt_only ? 1 : draw_status(&cx->rng, cx->p->failure_rate);
        r.target = -1;
        if (s->kind == SVC_TOPUP) {
            r.target = cx->customer;
            if (strcmp(s->topup_type, "GIFT") == 0) {
                r.target = (int64_t)crm_rng_below(&cx->rng, (uint64_t)cx->p->n_customers);
            }
        }
        if (attempt_only || k > 0 || r.status == 0) {
            crm_status rc = push_row(b, &r, err);
            if (rc != CRM_OK) {
                return rc;
            }
            continue;
        }
        /* a failed first try is retried and goes through, as customers do */
        if (push_row(b, &r, err) != CRM_OK) {
            return CRM_ENOMEM;
        }
        r.time += 60 + (int64_t)crm_rng_below(&cx->rng, 3600);
        if (r.time >= cx->span) {
            r.time = cx->span - 1;
        }
        r.status = 0;
        if (push_row(b, &r, err) != CRM_OK) {
            return CRM_ENOMEM;
        }
    }
    return CRM_OK;
}

static crm_status customer_rows(cust_ctx *cx, int32_t type, row_buf *b, crm_error *err)
{
    unsigned char taken[N_SERVICES];
    crm_status rc = CRM_OK;
    memset(taken, 0, sizeof taken);
    for (int32_t k = 0; k < MAX_BUNDLES; k++) {
        const bundle *bd = &types[type].bundles[k];
        if (bd->prob <= 0.0 || crm_rng_uniform(&cx->rng) >= bd->prob) {
            continue;
        }
        for (int32_t j = 0; j < MAX_BUNDLE && bd->codes[j] != NULL; j++) {
            if (crm_rng_uniform(&cx->rng) < ITEM_PROB) {
                taken[service_index(bd->codes[j])] = 1;
            }
        }
    }
    for (int32_t s = 0; s < N_SERVICES; s++) {
        if (crm_rng_uniform(&cx->rng) < NOISE_PROB) {
            taken[s] = 1;
        }
    }
    for (int32_t s = 0; s < N_SERVICES && rc == CRM_OK; s++) {
        if (taken[s]) {
            rc = service_rows(cx, s, 0, b, err);
        }
    }
    if (rc == CRM_OK && crm_rng_uniform(&cx->rng) < ATTEMPT_PROB) {
        int32_t s = (int32_t)crm_rng_below(&cx->rng, N_SERVICES);
        if (!taken[s]) {
            rc = service_rows(cx, s, 1, b, err);
        }
    }
    return rc;
}

static int cmp_row(const void *pa, const void *pb)
{
    const row *a = pa;
    const row *b = pb;
    if (a->time != b->time) {
        return a->time < b->time ? -1 : 1;
    }
    if (a->customer != b->customer) {
        return a->customer < b->customer ? -1 : 1;
    }
    if (a->service != b->service) {
        return a->service < b->service ? -1 : 1;
    }
    return (a->msg > b->msg) - (a->msg < b->msg);
}

/* ---- output ---- */

static void format_time(int64_t t, char *buf, size_t size)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int64_t day = t / 86400;
    int64_t sec = t % 86400;
    int year = 2024;
    int month = 0;
    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int ydays = leap ? 366 : 365;
        if (day < ydays) {
            break;
        }
        day -= ydays;
        year++;
    }
    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int md = (month == 1 && !leap) ? 28 : mdays[month];
        if (day < md) {
            break;
        }
        day -= md;
        month++;
    }
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", year, month + 1, (int)day + 1,
             (int)(sec / 3600), (int)(sec % 3600 / 60), (int)(sec % 60));
}

static void write_rows(FILE *fp, const row_buf *b)
{
    char id[64];
    char target[64];
    char when[64];
    fputs("msg_type,mobile_no,txn_amount,pr_code,record_time,txn_type,target_mobile,"
          "topup_type,status\n",
          fp);
    for (int64_t i = 0; i < b->n; i++) {
        const row *r = &b->rows[i];
        const service *s = &catalogue[r->service];
        crm__gen_vas_customer_id(r->customer, id, sizeof id);
        target[0] = '\0';
        if (r->target >= 0) {
            crm__gen_vas_customer_id(r->target, target, sizeof target);
        }
        format_time(r->time, when, sizeof when);
        fprintf(fp, "%s,%s,%d.%02d,%s,%s,%s,%s,%s,%s\n", msg_names[r->msg], id,
                (int)(r->amount_cents / 100), (int)(r->amount_cents % 100), s->code, when,
                s->kind == SVC_TOPUP ? "CREDIT" : "DEBIT", target, s->topup_type,
                status_names[r->status]);
    }
}

crm_status crm_gen_vas(const crm_gen_vas_params *p,
                       const char *path,
                       const crm_progress *progress,
                       crm_error *err)
{
    int32_t *types_of = NULL;
    row_buf b = { NULL, 0, 0 };
    crm_outfile *f = NULL;
    crm_status rc = crm_gen_vas_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    types_of = crm_mallocarray((size_t)p->n_customers, sizeof *types_of);
    if (types_of == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t c = 0; c < p->n_customers; c++) {
        types_of[c] = -1;
    }
    if (p->n_labels > 0) {
        rc = types_from_labels(p, types_of, err);
    }
    for (int64_t c = 0; rc == CRM_OK && c < p->n_customers; c++) {
        cust_ctx cx;
        int32_t type;
        cx.p = p;
        cx.customer = c;
        cx.span = (int64_t)p->days * 86400;
        crm_rng_seed_stream(&cx.rng, p->seed, (uint64_t)c);
        type = draw_type(&cx.rng); /* always drawn, so labels change nothing else */
        if (types_of[c] >= 0) {
            type = types_of[c];
        }
        rc = customer_rows(&cx, type, &b, err);
        if (rc == CRM_OK && (c & 4095) == 0 &&
            !crm_progress_report(progress, "generate VAS log",
                                 (double)c / (double)p->n_customers)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc == CRM_OK) {
        qsort(b.rows, (size_t)b.n, sizeof *b.rows, cmp_row);
        rc = crm_outfile_open(path, &f, err);
    }
    if (rc == CRM_OK) {
        write_rows(crm_outfile_stream(f), &b);
        rc = crm_outfile_commit(f, err);
    }
    crm_free(types_of);
    crm_free(b.rows);
    return rc;
}

crm_status crm_gen_vas_write_catalogue(const char *path, crm_error *err)
{
    crm_outfile *f = NULL;
    FILE *fp;
    crm_status rc = crm_outfile_open(path, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    fp = crm_outfile_stream(f);
    fputs("pr_code,name,category,price\n", fp);
    for (int32_t i = 0; i < N_SERVICES; i++) {
        const service *s = &catalogue[i];
        fprintf(fp, "%s,\"%s\",%s,", s->code, s->name, s->category);
        if (s->price_cents > 0) {
            fprintf(fp, "%d.%02d\n", (int)(s->price_cents / 100), (int)(s->price_cents % 100));
        } else {
            fputs("\n", fp);
        }
    }
    return crm_outfile_commit(f, err);
}

void crm__gen_vas_customer_id(int64_t i, char *buf, size_t size)
{
    snprintf(buf, size, "S%07lld", (long long)(i + 1));
}
