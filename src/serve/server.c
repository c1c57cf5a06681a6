/* server.c: `crmkit serve`'s HTTP server on libmicrohttpd (thread pool over epoll, keep-alive):
 * routes, model slots with reference-counted atomic swap, metrics, access log, drain. */
#include <string.h>

#include <crmkit/config.h>

#include "serve_internal.h"

#if CRM_HAVE_SERVER
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/alloc.h>

#include "dash_internal.h"
#include "serve_internal.h"
#include "store_internal.h"
#include "web_assets.h"

#if CRM_HAVE_OPENMP
#include <omp.h>
#endif

/* ---- routes and metrics ---- */

enum route {
    R_ACUMOS,
    R_CLASSIFY,
    R_PROTO,
    R_META,
    R_INVOC,
    R_SEGMENT,
    R_PREDICT,
    R_RECOMMEND,
    R_CUSTOMER,
    R_SEG_CUSTOMERS,
    R_DASH,
    R_DASH_CUSTOMERS,
    R_MODELS,
    R_HEALTHZ,
    R_READYZ,
    R_METRICS,
    R_RELOAD,
    R_STATIC,
    R_OTHER,
    R_N
};
static const char *const route_names[R_N] = { "/model/methods/classify",
                                              "/classify",
                                              "/model/artifacts/protobuf",
                                              "/model/artifacts/metadata",
                                              "/invocations",
                                              "/v1/segment",
                                              "/v1/predict",
                                              "/v1/recommend",
                                              "/v1/customers/{id}",
                                              "/v1/segments/{id}/customers",
                                              "/v1/dashboard",
                                              "/v1/dashboard/customers",
                                              "/v1/models",
                                              "/healthz",
                                              "/readyz",
                                              "/metrics",
                                              "/admin/reload",
                                              "static",
                                              "other" };
static const int status_codes[] = {
    200, 201, 400, 401, 403, 404, 405, 406, 413, 415, 422, 500, 503
};
#define N_STATUS ((int)(sizeof status_codes / sizeof status_codes[0]) + 1)
static const double buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                  0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5 };
#define N_BUCKETS ((int)(sizeof buckets / sizeof buckets[0]))

typedef struct metrics {
    atomic_ullong requests[R_N][N_STATUS];
    atomic_ullong hist[R_N][N_BUCKETS + 1];
    atomic_ullong sum_us[R_N];
    atomic_ullong count[R_N];
} metrics;

typedef struct slot {
    char *name;
    char *path;
    pthread_mutex_t mu;
    crm_serve_model *cur;
    atomic_ullong rows;
    atomic_ullong reloads;
    atomic_ullong reload_failures;
    atomic_int last_ok;
    char last_error[700];
} slot;

struct crm_server {
    crm_server_params p;
    char *host;
    char *admin_token;
    char *web_dir;
    char *store_path;
    struct MHD_Daemon *d;
    slot slots[CRM_SERVER_MAX_MODELS];
    int n_slots;
    atomic_int ready;
    atomic_int stopping; /* answers close their connection */
    atomic_llong inflight;
    metrics mx;
    FILE *access;
    pthread_mutex_t log_mu;
    pthread_mutex_t reload_mu;
    void (*log_fn)(void *ud, const char *line);
    void *log_ud;
    crm__store *store;
    int32_t port;
    double started;
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void slog(crm_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slog(crm_server *s, const char *fmt, ...)
{
    char line[1024];
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    va_list ap;
    int n;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(line, sizeof line, "%s crmkit serve: ", when);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (s->log_fn) {
        s->log_fn(s->log_ud, line);
    } else {
        pthread_mutex_lock(&s->log_mu);
        fprintf(stderr, "%s\n", line);
        pthread_mutex_unlock(&s->log_mu);
    }
}

/* ---- model slots ---- */

static crm_serve_model *acquire(slot *sl)
{
    crm_serve_model *m;
    pthread_mutex_lock(&sl->mu);
    m = sl->cur;
    if (m) {
        atomic_fetch_add(&m->refs, 1);
    }
    pthread_mutex_unlock(&sl->mu);
    return m;
}

static void release(crm_serve_model *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
        crm_serve_model_free(m);
    }
}

static void swap_in(slot *sl, crm_serve_model *m)
{
    crm_serve_model *old;
    pthread_mutex_lock(&sl->mu);
    old = sl->cur;
    sl->cur = m;
    pthread_mutex_unlock(&sl->mu);
    release(old);
}

/* ---- requests ---- */

typedef struct req {
    crm_server *srv;
    crm__sbuf body;
    int too_big;
    int route;
    int status;
    double t0;
    size_t resp_bytes;
} req;

static enum MHD_Result
send_buf(struct MHD_Connection *c, req *r, int status, const char *type, char *buf, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, buf, crm_free);
    enum MHD_Result ret;
    if (resp == NULL) {
        crm_free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == 401) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    }
    if (atomic_load(&r->srv->stopping)) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    r->status = status;
    r->resp_bytes = len;
    ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, req *r, int status, const char *type, const char *text)
{
    size_t n = strlen(text);
    char *buf = crm_malloc(n + 1);
    if (buf == NULL) {
        return MHD_NO;
    }
    memcpy(buf, text, n + 1);
    return send_buf(c, r, status, type, buf, n);
}

static enum MHD_Result
send_sbuf(struct MHD_Connection *c, req *r, int status, const char *type, crm__sbuf *b)
{
    if (b->failed) {
        crm__sbuf_fini(b);
        return send_text(c, r, 500, "application/json",
                         "{\"error\":{\"status\":500,\"message\":\"out of memory\"}}");
    }
    if (b->p == NULL) {
        crm__sbuf_puts(b, "");
    }
    return send_buf(c, r, status, type, b->p, b->len);
}

__attribute__((format(printf, 6, 7))) static enum MHD_Result send_error(struct MHD_Connection *c,
                                                                        req *r,
                                                                        int status,
                                                                        const char *code,
                                                                        const char *field,
                                                                        const char *fmt,
                                                                        ...)
{
    char msg[768];
    crm__sbuf b;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    crm__sbuf_init(&b);
    crm__sbuf_printf(&b, "{\"error\":{\"status\":%d,\"code\":", status);
    crm__sbuf_json_str(&b, code);
    if (field && *field) {
        crm__sbuf_puts(&b, ",\"field\":");
        crm__sbuf_json_str(&b, field);
    }
    crm__sbuf_puts(&b, ",\"message\":");
    crm__sbuf_json_str(&b, msg);
    crm__sbuf_puts(&b, "}}\n");
    return send_sbuf(c, r, status, "application/json", &b);
}

static int http_status(crm_status s)
{
    switch (s) {
    case CRM_EPARSE:
    case CRM_EDATA:
    case CRM_EINVAL:
    case CRM_ENOTFOUND:
        return 400;
    case CRM_ELIMIT:
        return 413;
    case CRM_EUNSUPPORTED:
        return 415;
    default:
        return 500;
    }
}

static enum MHD_Result send_crm_error(struct MHD_Connection *c, req *r, const crm_error *err)
{
    char line[900];
    if (err->source[0] != '\0' && strcmp(err->source, "request") != 0) {
        crm_error_format(err, line, (int32_t)sizeof line);
    } else {
        snprintf(line, sizeof line, "%s", err->msg);
    }
    return send_error(c, r, http_status(err->code), crm_status_name(err->code), err->field, "%s",
                      line);
}

/* Media type without parameters, compared case-insensitively. */
static int media_is(const char *v, const char *type)
{
    size_t n = strlen(type);
    while (*v == ' ') {
        v++;
    }
    return strncasecmp(v, type, n) == 0 &&
           (v[n] == '\0' || v[n] == ';' || v[n] == ' ' || v[n] == ',');
}

#define T_PROTOBUF "application/vnd.google.protobuf"
#define T_JSON     "application/json"

/* 0 none, 1 protobuf, 2 JSON (the first listed of the two in Accept). */
static int accept_kind(const char *v)
{
    const char *p = v;
    while (p && *p) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        if (media_is(p, T_PROTOBUF) || media_is(p, "application/x-protobuf")) {
            return 1;
        }
        if (media_is(p, T_JSON)) {
            return 2;
        }
        p = strchr(p, ',');
    }
    return 0;
}

static slot *find_slot(crm_server *s, const char *name, int want_kind)
{
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        if (name) {
            if (strcmp(sl->name, name) == 0) {
                return sl;
            }
            continue;
        }
        if (want_kind < 0) {
            return sl;
        }
        pthread_mutex_lock(&sl->mu);
        int k = sl->cur ? (int)sl->cur->kind : -1;
        pthread_mutex_unlock(&sl->mu);
        if (k == want_kind || (want_kind == CRM_SERVE_SEGMENTATION && k == CRM_SERVE_TWOLAYER)) {
            return sl;
        }
    }
    return NULL;
}

/* The model a request names (?model= or /models/NAME/ prefix), else the default: the first
 * model of the wanted kind (-1 = the first model). */
static crm_serve_model *
pick(crm_server *s, struct MHD_Connection *c, const char *prefix_name, int want_kind, slot **slp)
{
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "model");
    slot *sl = find_slot(s, name ? name : prefix_name, name || prefix_name ? -1 : want_kind);
    *slp = sl;
    return sl ? acquire(sl) : NULL;
}

static enum MHD_Result
no_model(struct MHD_Connection *c, req *r, crm_server *s, const char *prefix_name, const char *what)
{
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "model");
    if (name || prefix_name) {
        return send_error(c, r, 404, "CRM_ENOTFOUND", "model", "no model called \"%s\"",
                          name ? name : prefix_name);
    }
    if (!atomic_load(&s->ready)) {
        return send_error(c, r, 503, "CRM_ESTATE", NULL, "models are still loading");
    }
    return send_error(c, r, 404, "CRM_ENOTFOUND", "model", "no %s model is served", what);
}

static int want_scaled(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scaled");
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* The rows of a request body scored by a model: new arrays (proba NULL unless asked for). */
typedef struct scores {
    int64_t n;
    int32_t *labels; /* [n] */
    double *proba;   /* [n * n_outputs] or NULL */
} scores;

/* Parse the body in format f and score it with m. 1 on success; else 0 with m released and
 * *ret the error answer. */
static int score(crm_server *s,
                 struct MHD_Connection *c,
                 req *r,
                 slot *sl,
                 crm_serve_model *m,
                 crm_serve_format f,
                 int with_proba,
                 scores *out,
                 enum MHD_Result *ret)
{
    crm_table *t = NULL;
    crm_error err;
    crm_status rc =
        crm_serve_parse(m, f, r->body.p ? r->body.p : "", r->body.len, s->p.max_rows, &t, &err);
    memset(out, 0, sizeof *out);
    if (rc == CRM_OK) {
        out->n = crm_table_n_rows(t);
        out->labels = crm_mallocarray((size_t)out->n, sizeof *out->labels);
        if (with_proba && m->kind == CRM_SERVE_CLASSIFIER) {
            size_t n_proba = (size_t)out->n * (size_t)m->n_outputs;
            out->proba = crm_mallocarray(n_proba, sizeof *out->proba);
        }
        if (out->labels == NULL ||
            (with_proba && m->kind == CRM_SERVE_CLASSIFIER && out->proba == NULL)) {
            rc = crm__serve_fail(&err, CRM_ENOMEM, NULL, "out of memory");
        } else {
            rc = crm_serve_score(m, t, want_scaled(c), out->labels, out->proba, &err);
        }
        crm_table_free(t);
    }
    if (rc != CRM_OK) {
        crm_free(out->labels);
        crm_free(out->proba);
        memset(out, 0, sizeof *out);
        release(m);
        *ret = send_crm_error(c, r, &err);
        return 0;
    }
    atomic_fetch_add(&sl->rows, (unsigned long long)out->n);
    return 1;
}

/* {"predictions":[...]}: the prediction of each label, as JSON strings when quoted. */
static void put_predictions(crm__sbuf *b,
                            const crm_serve_model *m,
                            const int32_t *labels,
                            int64_t n,
                            int quoted)
{
    crm__sbuf_puts(b, "{\"predictions\":[");
    for (int64_t i = 0; i < n; i++) {
        crm__sbuf_printf(b, quoted ? (i ? ",\"%lld\"" : "\"%lld\"") : (i ? ",%lld" : "%lld"),
                         (long long)crm_serve_model_prediction(m, labels[i]));
    }
    crm__sbuf_puts(b, "]}");
}

/* The model a classify or invocations request is scored by (prefix_name, or the default),
 * or NULL with *ret the answer: no such model, or a model of rules. */
static crm_serve_model *pick_scorer(crm_server *s,
                                    struct MHD_Connection *c,
                                    req *r,
                                    const char *prefix_name,
                                    slot **sl,
                                    enum MHD_Result *ret)
{
    crm_serve_model *m = pick(s, c, prefix_name, -1, sl);
    if (m == NULL) {
        *ret = no_model(c, r, s, prefix_name, "");
    } else if (m->kind == CRM_SERVE_RULES) {
        release(m);
        *ret = send_error(c, r, 400, "CRM_EINVAL", "model",
                          "model \"%s\" holds rules: use /v1/recommend", (*sl)->name);
        m = NULL;
    }
    return m;
}

static enum MHD_Result predictions_answer(struct MHD_Connection *c,
                                          req *r,
                                          int status,
                                          int pb,
                                          const crm_serve_model *m,
                                          const int32_t *labels,
                                          int64_t n)
{
    if (pb) {
        int64_t *pred = crm_mallocarray((size_t)n, sizeof *pred);
        uint8_t *buf = NULL;
        size_t len = 0;
        crm_error err;
        if (pred == NULL) {
            return send_error(c, r, 500, "CRM_ENOMEM", NULL, "out of memory");
        }
        for (int64_t i = 0; i < n; i++) {
            pred[i] = crm_serve_model_prediction(m, labels[i]);
        }
        if (crm_serve_encode_predictions(pred, n, &buf, &len, &err) != CRM_OK) {
            crm_free(pred);
            return send_crm_error(c, r, &err);
        }
        crm_free(pred);
        return send_buf(c, r, status, T_PROTOBUF, (char *)buf, len);
    }
    {
        crm__sbuf b;
        crm__sbuf_init(&b);
        put_predictions(&b, m, labels, n, 1);
        return send_sbuf(c, r, status, T_JSON, &b);
    }
}

static enum MHD_Result
do_classify(crm_server *s, struct MHD_Connection *c, req *r, const char *prefix_name, int acumos)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *ac = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    int in_pb = 1;
    int out_pb = 1;
    slot *sl;
    crm_serve_model *m;
    scores sc;
    enum MHD_Result ret;
    if (acumos) {
        if (ct == NULL || ac == NULL) {
            return send_error(c, r, 400, "CRM_EINVAL", ct ? "Accept" : "Content-Type",
                              "the Content-Type and Accept headers are both required (%s or %s)",
                              T_PROTOBUF, T_JSON);
        }
        if (media_is(ct, T_PROTOBUF) || media_is(ct, "application/x-protobuf")) {
            in_pb = 1;
        } else if (media_is(ct, T_JSON)) {
            in_pb = 0;
        } else {
            return send_error(c, r, 415, "CRM_EUNSUPPORTED", "Content-Type",
                              "Content-Type must be %s or %s", T_PROTOBUF, T_JSON);
        }
        out_pb = accept_kind(ac);
        if (out_pb == 0) {
            return send_error(c, r, 415, "CRM_EUNSUPPORTED", "Accept", "Accept must be %s or %s",
                              T_PROTOBUF, T_JSON);
        }
        out_pb = out_pb == 1;
    }
    m = pick_scorer(s, c, r, prefix_name, &sl, &ret);
    if (m == NULL) {
        return ret;
    }
    if (!score(s, c, r, sl, m, in_pb ? CRM_SERVE_PROTOBUF : CRM_SERVE_JSON, 0, &sc, &ret)) {
        return ret;
    }
    ret = predictions_answer(c, r, acumos ? 200 : 201, out_pb, m, sc.labels, sc.n);
    crm_free(sc.labels);
    release(m);
    return ret;
}

static enum MHD_Result
do_invocations(crm_server *s, struct MHD_Connection *c, req *r, const char *prefix_name)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    crm_serve_format f;
    slot *sl;
    crm_serve_model *m;
    scores sc;
    crm__sbuf b;
    enum MHD_Result ret;
    if (ct == NULL || media_is(ct, T_JSON)) {
        f = CRM_SERVE_MLFLOW;
    } else if (media_is(ct, "text/csv")) {
        f = CRM_SERVE_CSV;
    } else {
        return send_error(c, r, 415, "CRM_EUNSUPPORTED", "Content-Type",
                          "Content-Type must be application/json or text/csv");
    }
    m = pick_scorer(s, c, r, prefix_name, &sl, &ret);
    if (m == NULL) {
        return ret;
    }
    if (!score(s, c, r, sl, m, f, 0, &sc, &ret)) {
        return ret;
    }
    crm__sbuf_init(&b);
    put_predictions(&b, m, sc.labels, sc.n, 0);
    crm_free(sc.labels);
    release(m);
    return send_sbuf(c, r, 200, T_JSON, &b);
}

static enum MHD_Result
do_v1_score(crm_server *s, struct MHD_Connection *c, req *r, const char *prefix_name, int predict)
{
    slot *sl;
    crm_serve_model *m;
    scores sc;
    crm__sbuf b;
    enum MHD_Result ret;
    m = pick(s, c, prefix_name, predict ? CRM_SERVE_CLASSIFIER : CRM_SERVE_SEGMENTATION, &sl);
    if (m == NULL) {
        return no_model(c, r, s, prefix_name, predict ? "classifier" : "segmentation");
    }
    if (predict ? m->kind != CRM_SERVE_CLASSIFIER
                : (m->kind != CRM_SERVE_SEGMENTATION && m->kind != CRM_SERVE_TWOLAYER)) {
        ret = send_error(c, r, 400, "CRM_EINVAL", "model",
                         "model \"%s\" is a %s model; %s needs a %s", sl->name,
                         crm_serve_kind_name(m->kind), predict ? "/v1/predict" : "/v1/segment",
                         predict ? "classifier" : "segmentation");
        release(m);
        return ret;
    }
    if (!score(s, c, r, sl, m, CRM_SERVE_ROWS, predict, &sc, &ret)) {
        return ret;
    }
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"model\":");
    crm__sbuf_json_str(&b, sl->name);
    crm__sbuf_printf(&b, ",\"version\":\"%s\",\"results\":[", m->version);
    for (int64_t i = 0; i < sc.n; i++) {
        int32_t l = sc.labels[i];
        crm__sbuf_puts(&b, i ? "," : "");
        if (predict) {
            crm__sbuf_puts(&b, "{\"class\":");
            crm__sbuf_json_str(&b, crm_serve_model_output_name(m, l));
            crm__sbuf_printf(&b, ",\"prediction\":%lld,\"probabilities\":{",
                             (long long)crm_serve_model_prediction(m, l));
            for (int32_t k = 0; k < m->n_outputs; k++) {
                crm__sbuf_puts(&b, k ? "," : "");
                crm__sbuf_json_str(&b, crm_serve_model_output_name(m, k));
                crm__sbuf_puts(&b, ":");
                crm__sbuf_json_num(&b, sc.proba[i * m->n_outputs + k]);
            }
            crm__sbuf_puts(&b, "}}");
        } else {
            crm__sbuf_printf(&b, "{\"segment\":%d,\"name\":", (int)l);
            if (l >= 0) {
                crm__sbuf_json_str(&b, crm_serve_model_output_name(m, l));
            } else {
                crm__sbuf_puts(&b, "null");
            }
            crm__sbuf_puts(&b, "}");
        }
    }
    crm__sbuf_puts(&b, "]}");
    crm_free(sc.labels);
    crm_free(sc.proba);
    release(m);
    return send_sbuf(c, r, 200, T_JSON, &b);
}

static enum MHD_Result
do_recommend(crm_server *s, struct MHD_Connection *c, req *r, const char *prefix_name)
{
    slot *sl;
    crm_serve_model *m = pick(s, c, prefix_name, CRM_SERVE_RULES, &sl);
    crm_error err;
    char *out = NULL;
    if (m == NULL) {
        return no_model(c, r, s, prefix_name, "rules");
    }
    if (m->kind != CRM_SERVE_RULES) {
        enum MHD_Result ret = send_error(c, r, 400, "CRM_EINVAL", "model",
                                         "model \"%s\" is not a rules model", sl->name);
        release(m);
        return ret;
    }
    if (crm__serve_recommend(m, r->body.p ? r->body.p : "", r->body.len, 100, &out, &err) !=
        CRM_OK) {
        release(m);
        return send_crm_error(c, r, &err);
    }
    release(m);
    return send_buf(c, r, 200, T_JSON, out, strlen(out));
}

static const char *segment_name(void *ud, int64_t seg)
{
    crm_serve_model *m = ud;
    return m && seg >= 0 && seg < m->n_outputs ? crm_serve_model_output_name(m, (int32_t)seg)
                                               : NULL;
}

static enum MHD_Result
do_customer(crm_server *s, struct MHD_Connection *c, req *r, const char *id, int segment_page)
{
    slot *sl = find_slot(s, NULL, CRM_SERVE_SEGMENTATION);
    crm_serve_model *seg = sl ? acquire(sl) : NULL;
    crm__store_names names = { segment_name, seg };
    crm_error err;
    char *out = NULL;
    crm_status rc;
    if (s->store == NULL) {
        release(seg);
        return send_error(c, r, 404, "CRM_ENOTFOUND", NULL,
                          "no customer store is served (crmkit serve --store)");
    }
    if (segment_page) {
        const char *v;
        int64_t offset = 0;
        int64_t limit = 50;
        char *end;
        if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset")) != NULL) {
            offset = strtoll(v, &end, 10);
            if (*v == '\0' || *end != '\0' || offset < 0) {
                release(seg);
                return send_error(c, r, 400, "CRM_EINVAL", "offset", "bad offset \"%s\"", v);
            }
        }
        if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit")) != NULL) {
            limit = strtoll(v, &end, 10);
            if (*v == '\0' || *end != '\0' || limit < 1 || limit > 1000) {
                release(seg);
                return send_error(c, r, 400, "CRM_EINVAL", "limit",
                                  "limit must be a number in 1..1000, got \"%s\"", v);
            }
        }
        crm__store_page q = { id, offset, limit,
                              MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sort"),
                              MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "filter") };
        rc = crm__store_segment(s->store, &q, &names, &out, &err);
    } else {
        rc = crm__store_customer(s->store, id, &names, &out, &err);
    }
    release(seg);
    if (rc == CRM_ENOTFOUND) {
        return send_error(c, r, 404, "CRM_ENOTFOUND", "id", "%s", err.msg);
    }
    if (rc != CRM_OK) {
        return send_crm_error(c, r, &err);
    }
    return send_buf(c, r, 200, T_JSON, out, strlen(out));
}

/* ---- the dashboard's routes ---- */

static enum MHD_Result do_dash_overview(crm_server *s, struct MHD_Connection *c, req *r)
{
    slot *ss = find_slot(s, NULL, CRM_SERVE_SEGMENTATION);
    slot *sr = find_slot(s, NULL, CRM_SERVE_RULES);
    crm_serve_model *seg = ss ? acquire(ss) : NULL;
    crm_serve_model *rules = sr ? acquire(sr) : NULL;
    crm_error err;
    char *out = NULL;
    crm_status rc = crm__dash_overview(s->store, seg, rules, &out, &err);
    release(seg);
    release(rules);
    if (rc != CRM_OK) {
        return send_crm_error(c, r, &err);
    }
    return send_buf(c, r, 200, T_JSON, out, strlen(out));
}

static enum MHD_Result
do_dash_customer(crm_server *s, struct MHD_Connection *c, req *r, const char *id)
{
    crm_error err;
    char *out = NULL;
    crm_status rc;
    if (s->store == NULL) {
        return send_error(c, r, 404, "CRM_ENOTFOUND", NULL,
                          "no customer store is served (crmkit serve --store)");
    }
    rc = crm__dash_customer(s->store, id, &out, &err);
    if (rc == CRM_ENOTFOUND) {
        return send_error(c, r, 404, "CRM_ENOTFOUND", "id", "%s", err.msg);
    }
    if (rc != CRM_OK) {
        return send_crm_error(c, r, &err);
    }
    return send_buf(c, r, 200, T_JSON, out, strlen(out));
}

static enum MHD_Result
collect_filter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    crm__dash_query *q = cls;
    (void)kind;
    if (key != NULL && strcmp(key, "filter") == 0 && value != NULL && *value != '\0') {
        if (q->n_filters == CRM_DASH_MAX_FILTERS) {
            q->n_filters++; /* one past the limit: refused below */
            return MHD_NO;
        }
        q->filters[q->n_filters++] = value;
    }
    return MHD_YES;
}

static enum MHD_Result do_dash_customers(crm_server *s, struct MHD_Connection *c, req *r, int csv)
{
    slot *sl = find_slot(s, NULL, CRM_SERVE_SEGMENTATION);
    crm_serve_model *seg;
    crm__store_names names;
    crm__dash_query q = { 0 };
    const char *v;
    char *end;
    char *out = NULL;
    size_t len = 0;
    crm_error err;
    crm_status rc;
    if (s->store == NULL) {
        return send_error(c, r, 404, "CRM_ENOTFOUND", NULL,
                          "no customer store is served (crmkit serve --store)");
    }
    q.segment = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "segment");
    q.sort = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sort");
    q.limit = 50;
    if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset")) != NULL) {
        q.offset = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || q.offset < 0) {
            return send_error(c, r, 400, "CRM_EINVAL", "offset", "bad offset \"%s\"", v);
        }
    }
    if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit")) != NULL) {
        q.limit = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || q.limit < 1 || q.limit > 1000) {
            return send_error(c, r, 400, "CRM_EINVAL", "limit",
                              "limit must be a number in 1..1000, got \"%s\"", v);
        }
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_filter, &q);
    if (q.n_filters > CRM_DASH_MAX_FILTERS) {
        return send_error(c, r, 400, "CRM_ELIMIT", "filter", "at most %d filters",
                          CRM_DASH_MAX_FILTERS);
    }
    seg = sl ? acquire(sl) : NULL;
    names = (crm__store_names){ segment_name, seg };
    rc = crm__dash_customers(s->store, &q, &names, csv, &out, &len, &err);
    release(seg);
    if (rc != CRM_OK) {
        return send_crm_error(c, r, &err);
    }
    return send_buf(c, r, 200, csv ? "text/csv; charset=utf-8" : T_JSON, out, len);
}

static enum MHD_Result do_models(crm_server *s, struct MHD_Connection *c, req *r)
{
    crm__sbuf b;
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"models\":[");
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        crm_serve_model *m = acquire(sl);
        crm__sbuf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        crm__sbuf_json_str(&b, sl->name);
        crm__sbuf_puts(&b, ",\"file\":");
        crm__sbuf_json_str(&b, sl->path);
        if (m) {
            crm__sbuf_printf(&b, ",\"kind\":\"%s\",\"version\":\"%s\",\"loaded_at\":%.3f",
                             crm_serve_kind_name(m->kind), m->version, m->loaded_at);
        }
        crm__sbuf_printf(&b, ",\"rows_scored\":%llu,\"last_reload_ok\":%s",
                         (unsigned long long)atomic_load(&sl->rows),
                         atomic_load(&sl->last_ok) ? "true" : "false");
        pthread_mutex_lock(&sl->mu);
        if (sl->last_error[0]) {
            crm__sbuf_puts(&b, ",\"last_error\":");
            crm__sbuf_json_str(&b, sl->last_error);
        }
        pthread_mutex_unlock(&sl->mu);
        crm__sbuf_puts(&b, "}");
        release(m);
    }
    crm__sbuf_puts(&b, "]}");
    return send_sbuf(c, r, 200, T_JSON, &b);
}

static void esc_label(crm__sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            crm__sbuf_put(b, "\\", 1);
        }
        if (*s == '\n') {
            crm__sbuf_puts(b, "\\n");
            continue;
        }
        crm__sbuf_put(b, s, 1);
    }
}

/* The start of a metric's sample for a model: NAME{model="MODEL (labels and value follow). */
static void metric_of_model(crm__sbuf *b, const char *metric, const char *model)
{
    crm__sbuf_printf(b, "%s{model=\"", metric);
    esc_label(b, model);
}

static enum MHD_Result do_metrics(crm_server *s, struct MHD_Connection *c, req *r)
{
    crm__sbuf b;
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "# HELP crmkit_http_requests_total HTTP requests by route and status.\n"
                       "# TYPE crmkit_http_requests_total counter\n");
    for (int rt = 0; rt < R_N; rt++) {
        for (int k = 0; k < N_STATUS; k++) {
            unsigned long long v = atomic_load(&s->mx.requests[rt][k]);
            char status[16] = "other"; /* the last counter takes every other status */
            if (v == 0) {
                continue;
            }
            if (k < N_STATUS - 1) {
                snprintf(status, sizeof status, "%d", status_codes[k]);
            }
            crm__sbuf_printf(&b, "crmkit_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                             route_names[rt], status, v);
        }
    }
    crm__sbuf_puts(&b, "# HELP crmkit_http_request_duration_seconds Time from the request's "
                       "headers to the end of its answer.\n"
                       "# TYPE crmkit_http_request_duration_seconds histogram\n");
    for (int rt = 0; rt < R_N; rt++) {
        unsigned long long cum = 0;
        unsigned long long n = atomic_load(&s->mx.count[rt]);
        if (n == 0) {
            continue;
        }
        for (int k = 0; k <= N_BUCKETS; k++) {
            char le[32] = "+Inf"; /* the last bucket counts every request */
            cum += atomic_load(&s->mx.hist[rt][k]);
            if (k < N_BUCKETS) {
                snprintf(le, sizeof le, "%g", buckets[k]);
            }
            crm__sbuf_printf(&b,
                             "crmkit_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} "
                             "%llu\n",
                             route_names[rt], le, cum);
        }
        crm__sbuf_printf(&b, "crmkit_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                         route_names[rt], (double)atomic_load(&s->mx.sum_us[rt]) * 1e-6);
        crm__sbuf_printf(&b, "crmkit_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                         route_names[rt], n);
    }
    crm__sbuf_puts(&b, "# HELP crmkit_rows_scored_total Rows scored by model.\n"
                       "# TYPE crmkit_rows_scored_total counter\n");
    for (int i = 0; i < s->n_slots; i++) {
        metric_of_model(&b, "crmkit_rows_scored_total", s->slots[i].name);
        crm__sbuf_printf(&b, "\"} %llu\n", (unsigned long long)atomic_load(&s->slots[i].rows));
    }
    crm__sbuf_puts(&b, "# HELP crmkit_model_info The model served under each name.\n"
                       "# TYPE crmkit_model_info gauge\n");
    for (int i = 0; i < s->n_slots; i++) {
        crm_serve_model *m = acquire(&s->slots[i]);
        if (m) {
            metric_of_model(&b, "crmkit_model_info", s->slots[i].name);
            crm__sbuf_printf(&b, "\",kind=\"%s\",version=\"%s\"} 1\n", crm_serve_kind_name(m->kind),
                             m->version);
        }
        release(m);
    }
    crm__sbuf_puts(&b, "# HELP crmkit_model_load_timestamp_seconds When the served model was "
                       "loaded (Unix time).\n# TYPE crmkit_model_load_timestamp_seconds gauge\n");
    for (int i = 0; i < s->n_slots; i++) {
        crm_serve_model *m = acquire(&s->slots[i]);
        if (m) {
            metric_of_model(&b, "crmkit_model_load_timestamp_seconds", s->slots[i].name);
            crm__sbuf_printf(&b, "\"} %.3f\n", m->loaded_at);
        }
        release(m);
    }
    crm__sbuf_puts(&b, "# HELP crmkit_model_reloads_total Reloads by model and result.\n"
                       "# TYPE crmkit_model_reloads_total counter\n");
    for (int i = 0; i < s->n_slots; i++) {
        metric_of_model(&b, "crmkit_model_reloads_total", s->slots[i].name);
        crm__sbuf_printf(&b, "\",result=\"ok\"} %llu\n",
                         (unsigned long long)atomic_load(&s->slots[i].reloads));
        metric_of_model(&b, "crmkit_model_reloads_total", s->slots[i].name);
        crm__sbuf_printf(&b, "\",result=\"failed\"} %llu\n",
                         (unsigned long long)atomic_load(&s->slots[i].reload_failures));
    }
    crm__sbuf_puts(&b, "# HELP crmkit_model_last_reload_ok 1 when the model's last load or "
                       "reload succeeded.\n# TYPE crmkit_model_last_reload_ok gauge\n");
    for (int i = 0; i < s->n_slots; i++) {
        metric_of_model(&b, "crmkit_model_last_reload_ok", s->slots[i].name);
        crm__sbuf_printf(&b, "\"} %d\n", atomic_load(&s->slots[i].last_ok));
    }
    crm__sbuf_printf(&b,
                     "# HELP crmkit_ready 1 when every model is loaded.\n# TYPE crmkit_ready "
                     "gauge\ncrmkit_ready %d\n# HELP crmkit_requests_in_flight Requests being "
                     "answered.\n# TYPE crmkit_requests_in_flight gauge\n"
                     "crmkit_requests_in_flight %lld\n",
                     atomic_load(&s->ready), (long long)atomic_load(&s->inflight));
    crm__sbuf_printf(&b,
                     "# HELP crmkit_uptime_seconds Seconds since the server started.\n"
                     "# TYPE crmkit_uptime_seconds gauge\ncrmkit_uptime_seconds %.3f\n",
                     now_mono() - s->started);
    return send_sbuf(c, r, 200, "text/plain; version=0.0.4", &b);
}

static int token_ok(const crm_server *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *tok = s->admin_token;
    size_t n = strlen(tok);
    unsigned diff = 0;
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        return 0;
    }
    h += 7;
    if (strlen(h) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        diff |= (unsigned)(h[i] ^ tok[i]);
    }
    return diff == 0;
}

static enum MHD_Result do_reload(crm_server *s, struct MHD_Connection *c, req *r)
{
    int32_t failed = 0;
    char *report = NULL;
    crm_error err;
    if (s->admin_token == NULL) {
        return send_error(c, r, 403, "CRM_EUNSUPPORTED", NULL,
                          "admin routes are disabled: no admin token is configured");
    }
    if (!token_ok(s, c)) {
        return send_error(c, r, 401, "CRM_EINVAL", "Authorization",
                          "a valid bearer token is "
                          "required");
    }
    (void)crm_server_reload(s, &failed, &report, &err);
    if (report == NULL) {
        return send_error(c, r, 500, "CRM_ENOMEM", NULL, "out of memory");
    }
    return send_buf(c, r, failed ? 422 : 200, T_JSON, report, strlen(report));
}

static const char *mime_of(const char *path)
{
    static const char *const map[][2] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript" },
        { ".css", "text/css" },
        { ".json", "application/json" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".ico", "image/x-icon" },
        { ".woff2", "font/woff2" },
        { ".txt", "text/plain; charset=utf-8" },
        { ".map", "application/json" },
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(dot, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return "application/octet-stream";
}

static enum MHD_Result route_list(struct MHD_Connection *c, req *r)
{
    return send_text(c, r, 200, T_JSON,
                     "{\"service\":\"crmkit serve\",\"routes\":[\"/model/methods/classify\","
                     "\"/classify\",\"/model/artifacts/protobuf\",\"/model/artifacts/metadata\","
                     "\"/invocations\",\"/v1/segment\",\"/v1/predict\",\"/v1/recommend\","
                     "\"/v1/customers/{id}\",\"/v1/segments/{id}/customers\",\"/v1/dashboard\","
                     "\"/v1/dashboard/customers\",\"/v1/models\","
                     "\"/healthz\",\"/readyz\",\"/metrics\",\"/admin/reload\"]}\n");
}

/* Static files under --web-dir (the dashboard's hook): "/" is index.html; no ".." parts.
 * Without a dashboard, "/" lists the routes. */
static enum MHD_Result do_static(crm_server *s, struct MHD_Connection *c, req *r, const char *url)
{
    char path[4096];
    struct stat st;
    int fd = -1;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    int root = strcmp(url, "/") == 0;
    if (s->web_dir != NULL && strstr(url, "..") == NULL && strchr(url, '\\') == NULL &&
        (size_t)snprintf(path, sizeof path, "%s%s%s", s->web_dir, url, root ? "index.html" : "") <
            sizeof path) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        crm__web_asset a;
        if (crm__web_asset_find(url, &a)) {
            resp = MHD_create_response_from_buffer(a.len, (void *)(uintptr_t)a.data,
                                                   MHD_RESPMEM_PERSISTENT);
            if (resp == NULL) {
                return MHD_NO;
            }
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.type);
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
            r->status = 200;
            r->resp_bytes = a.len;
            ret = MHD_queue_response(c, 200, resp);
            MHD_destroy_response(resp);
            return ret;
        }
    }
    if (fd < 0) {
        return root ? route_list(c, r)
                    : send_error(c, r, 404, "CRM_ENOTFOUND", NULL, "no route %s", url);
    }
    resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (resp == NULL) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, mime_of(path));
    if (atomic_load(&s->stopping)) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    r->status = 200;
    r->resp_bytes = (size_t)st.st_size;
    ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The route whose path is url exactly (a path with "{id}" in it matches only itself), or -1. */
static int exact_route(const char *url)
{
    for (int rt = 0; rt < R_STATIC; rt++) {
        if (strcmp(url, route_names[rt]) == 0) {
            return rt;
        }
    }
    return -1;
}

/* Whether a route takes POST (the others take GET and HEAD). */
static int route_posts(int rt)
{
    return rt == R_ACUMOS || rt == R_CLASSIFY || rt == R_INVOC || rt == R_SEGMENT ||
           rt == R_PREDICT || rt == R_RECOMMEND || rt == R_RELOAD;
}

/* A fixed route (r->route set, the method checked) on the model called name (NULL: the
 * default one). */
static enum MHD_Result
dispatch_fixed(crm_server *s, struct MHD_Connection *c, req *r, const char *url, const char *name)
{
    switch (r->route) {
    case R_ACUMOS:
    case R_CLASSIFY:
        return do_classify(s, c, r, name, r->route == R_ACUMOS);
    case R_SEGMENT:
    case R_PREDICT:
        return do_v1_score(s, c, r, name, r->route == R_PREDICT);
    case R_INVOC:
        return do_invocations(s, c, r, name);
    case R_RECOMMEND:
        return do_recommend(s, c, r, name);
    case R_PROTO:
    case R_META: {
        slot *sl;
        enum MHD_Result ret;
        crm_serve_model *m = pick(s, c, name, -1, &sl);
        if (m == NULL) {
            return no_model(c, r, s, name, "");
        }
        ret = r->route == R_PROTO ? send_text(c, r, 200, "text/plain; charset=utf-8", m->proto_text)
                                  : send_text(c, r, 200, T_JSON, m->metadata);
        release(m);
        return ret;
    }
    case R_HEALTHZ:
        return send_text(c, r, 200, T_JSON, "{\"status\":\"alive\"}\n");
    case R_READYZ:
        return atomic_load(&s->ready) ? send_text(c, r, 200, T_JSON, "{\"status\":\"ready\"}\n")
                                      : send_text(c, r, 503, T_JSON, "{\"status\":\"loading\"}\n");
    case R_METRICS:
        return do_metrics(s, c, r);
    case R_MODELS:
        return do_models(s, c, r);
    case R_RELOAD:
        return do_reload(s, c, r);
    case R_DASH:
        return do_dash_overview(s, c, r);
    default: /* R_DASH_CUSTOMERS */
        return do_dash_customers(s, c, r, strstr(url, ".csv") != NULL);
    }
}

static enum MHD_Result
dispatch(crm_server *s, struct MHD_Connection *c, req *r, const char *url, const char *method)
{
    char prefix[128];
    const char *name = NULL;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    int rt;
    /* /models/NAME/<route>: the route on the model called NAME */
    if (strncmp(url, "/models/", 8) == 0) {
        const char *p = url + 8;
        const char *slash = strchr(p, '/');
        if (slash && (size_t)(slash - p) < sizeof prefix && slash > p) {
            memcpy(prefix, p, (size_t)(slash - p));
            prefix[slash - p] = '\0';
            name = prefix;
            url = slash;
        }
    }
#define NEED(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return send_error(c, r, 405, "CRM_EINVAL", NULL, "%s is not allowed on %s", method,    \
                              url);                                                                \
        }                                                                                          \
    } while (0)
    rt = strcmp(url, "/v1/dashboard/customers.csv") == 0 ? R_DASH_CUSTOMERS : exact_route(url);
    if (rt >= 0 && rt != R_CUSTOMER && rt != R_SEG_CUSTOMERS) {
        r->route = rt;
        NEED(route_posts(rt) ? post : get);
        return dispatch_fixed(s, c, r, url, name);
    }
    if (strncmp(url, "/v1/dashboard/customer/", 23) == 0 && url[23] != '\0') {
        r->route = R_DASH_CUSTOMERS;
        NEED(get);
        return do_dash_customer(s, c, r, url + 23);
    }
    if (strncmp(url, "/v1/customers/", 14) == 0 && url[14] != '\0' && !strchr(url + 14, '/')) {
        r->route = R_CUSTOMER;
        NEED(get);
        return do_customer(s, c, r, url + 14, 0);
    }
    if (strncmp(url, "/v1/segments/", 13) == 0) {
        /* the id may hold '/' (a two-layer "Group/S3", sent as Group%2FS3) */
        const char *p = url + 13;
        size_t n = strlen(p);
        const char *slash = n > 10 ? p + n - 10 : NULL;
        if (slash && strcmp(slash, "/customers") == 0 && slash > p && slash - p < 256) {
            char id[256];
            memcpy(id, p, (size_t)(slash - p));
            id[slash - p] = '\0';
            r->route = R_SEG_CUSTOMERS;
            NEED(get);
            return do_customer(s, c, r, id, 1);
        }
    }
    r->route = get ? R_STATIC : R_OTHER;
    if (get && name == NULL) {
        return do_static(s, c, r, url);
    }
    return send_error(c, r, 404, "CRM_ENOTFOUND", NULL, "no route %s %s", method, url);
#undef NEED
}

/* The metrics route of a URL before its body is read (dispatch sets it again). */
static int route_of(const char *url)
{
    int rt;
    if (strncmp(url, "/models/", 8) == 0 && strchr(url + 8, '/') != NULL) {
        url = strchr(url + 8, '/');
    }
    rt = exact_route(url);
    return rt >= 0 ? rt : R_OTHER;
}

static enum MHD_Result handler(void *cls,
                               struct MHD_Connection *c,
                               const char *url,
                               const char *method,
                               const char *version,
                               const char *upload_data,
                               size_t *upload_data_size,
                               void **con_cls)
{
    crm_server *s = cls;
    req *r = *con_cls;
    (void)version;
    if (r == NULL) {
        const char *cl;
        r = crm_calloc(1, sizeof *r);
        if (r == NULL) {
            return MHD_NO;
        }
        crm__sbuf_init(&r->body);
        r->t0 = now_mono();
        r->route = route_of(url);
        r->srv = s;
        *con_cls = r;
        atomic_fetch_add(&s->inflight, 1);
#if CRM_HAVE_OPENMP
        {
            /* The pool's threads already use every core: one OpenMP thread per request, so
             * the library's parallel loops do not oversubscribe the machine. */
            static _Thread_local int omp_set;
            if (!omp_set) {
                omp_set_num_threads(1);
                omp_set = 1;
            }
        }
#endif
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoll(cl, NULL, 10) > 0 &&
            strtoll(cl, NULL, 10) <= s->p.max_body_bytes) {
            size_t want = (size_t)strtoll(cl, NULL, 10) + 1;
            r->body.p = crm_malloc(want); /* the whole body in one allocation */
            if (r->body.p != NULL) {
                r->body.cap = want;
                r->body.p[0] = '\0';
            }
        }
        if (cl != NULL && strtoll(cl, NULL, 10) > s->p.max_body_bytes) {
            r->too_big = 1;
            return send_error(c, r, 413, "CRM_ELIMIT", NULL,
                              "request body of %s bytes; the limit is %lld", cl,
                              (long long)s->p.max_body_bytes);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!r->too_big) {
            if (r->body.len + *upload_data_size > (size_t)s->p.max_body_bytes) {
                r->too_big = 1;
                crm__sbuf_fini(&r->body);
            } else {
                crm__sbuf_put(&r->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        return send_error(c, r, 413, "CRM_ELIMIT", NULL,
                          "request body over the limit of %lld "
                          "bytes",
                          (long long)s->p.max_body_bytes);
    }
    if (r->body.failed) {
        return send_error(c, r, 500, "CRM_ENOMEM", NULL, "out of memory");
    }
    return dispatch(s, c, r, url, method);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    crm_server *s = cls;
    req *r = *con_cls;
    double dt;
    int k;
    int b;
    if (r == NULL) {
        return;
    }
    dt = now_mono() - r->t0;
    for (k = 0; k < N_STATUS - 1 && status_codes[k] != r->status; k++) {
    }
    for (b = 0; b < N_BUCKETS && dt > buckets[b]; b++) {
    }
    atomic_fetch_add(&s->mx.requests[r->route][k], 1);
    atomic_fetch_add(&s->mx.hist[r->route][b], 1);
    atomic_fetch_add(&s->mx.sum_us[r->route], (unsigned long long)(dt * 1e6));
    atomic_fetch_add(&s->mx.count[r->route], 1);
    if (s->access) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char addr[64] = "-";
        char when[40];
        time_t t = time(NULL);
        struct tm tm;
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
                      sizeof addr);
        } else if (sa && sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                      sizeof addr);
        }
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        pthread_mutex_lock(&s->log_mu);
        fprintf(s->access, "%s %s \"%s\" %d %zu %.3fms%s\n", when, addr, route_names[r->route],
                r->status, r->resp_bytes, dt * 1e3,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
        fflush(s->access);
        pthread_mutex_unlock(&s->log_mu);
    }
    crm__sbuf_fini(&r->body);
    crm_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

/* ---- lifecycle ---- */

static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = crm_strdup(b ? b + 1 : path);
    char *dot = s ? strrchr(s, '.') : NULL;
    if (dot && dot != s) {
        *dot = '\0';
    }
    return s;
}

crm_status crm_server_new(const crm_server_params *p, crm_server **out, crm_error *err)
{
    crm_server *s;
    *out = NULL;
    if (p->n_models < 1 || p->n_models > CRM_SERVER_MAX_MODELS) {
        return crm__serve_fail(err, CRM_EINVAL, "model", "between 1 and %d models are needed",
                               CRM_SERVER_MAX_MODELS);
    }
    if (p->port < 0 || p->port > 65535 || p->max_body_bytes < 1 || p->n_threads < 0 ||
        p->timeout_s < 0) {
        return crm__serve_fail(err, CRM_EINVAL, NULL, "bad port, body limit, threads or timeout");
    }
    s = crm_calloc(1, sizeof *s);
    if (s == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    s->p = *p;
    s->host = crm_strdup(p->host ? p->host : "127.0.0.1");
    s->admin_token = p->admin_token && *p->admin_token ? crm_strdup(p->admin_token) : NULL;
    s->web_dir = p->web_dir ? crm_strdup(p->web_dir) : NULL;
    s->store_path = p->store ? crm_strdup(p->store) : NULL;
    pthread_mutex_init(&s->log_mu, NULL);
    pthread_mutex_init(&s->reload_mu, NULL);
    s->started = now_mono();
    for (int i = 0; i < p->n_models; i++) {
        slot *sl = &s->slots[i];
        pthread_mutex_init(&sl->mu, NULL);
        sl->name = p->model_names[i] ? crm_strdup(p->model_names[i]) : base_name(p->model_paths[i]);
        sl->path = crm_strdup(p->model_paths[i]);
        s->n_slots++;
        for (int j = 0; j < i && sl->name; j++) {
            if (strcmp(s->slots[j].name, sl->name) == 0) {
                crm__serve_fail(err, CRM_EINVAL, "model",
                                "two models are called \"%s\" (name them: --model NAME=FILE)",
                                sl->name);
                crm_server_free(s);
                return CRM_EINVAL;
            }
        }
        if (sl->name == NULL || sl->path == NULL) {
            crm_server_free(s);
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
    }
    if (p->access_log) {
        s->access = fopen(p->access_log, "a");
        if (s->access == NULL) {
            crm__serve_fail(err, CRM_EIO, NULL, "cannot open the access log: %s", strerror(errno));
            if (err) {
                snprintf(err->source, sizeof err->source, "%s", p->access_log);
            }
            crm_server_free(s);
            return CRM_EIO;
        }
    }
    *out = s;
    return CRM_OK;
}

void crm_server_set_log(crm_server *s, void (*fn)(void *ud, const char *line), void *ud)
{
    s->log_fn = fn;
    s->log_ud = ud;
}

crm_status crm_server_start(crm_server *s, crm_error *err)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_SUPPRESS_DATE_NO_CLOCK | MHD_USE_TURBO;
    const union MHD_DaemonInfo *di;
    unsigned threads = (unsigned)s->p.n_threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, s->host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)s->p.port);
        sa = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, s->host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)s->p.port);
        sa = (const struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        return crm__serve_fail(err, CRM_EINVAL, "host", "\"%s\" is not an IPv4 or IPv6 address",
                               s->host);
    }
    s->d =
        MHD_start_daemon(flags, (uint16_t)s->p.port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR,
                         sa, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)s->p.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
                         MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (s->d == NULL) {
        return crm__serve_fail(err, CRM_EIO, "port",
                               "cannot listen on %s port %d (in use, or "
                               "not allowed)",
                               s->host, (int)s->p.port);
    }
    di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->p.port;
    slog(s, "listening on %s:%d with %u threads", s->host, (int)s->port, threads);
    return CRM_OK;
}

int32_t crm_server_port(const crm_server *s)
{
    return s->port;
}

crm_status crm_server_load(crm_server *s, crm_error *err)
{
    crm_status rc = CRM_OK;
    pthread_mutex_lock(&s->reload_mu);
    for (int i = 0; i < s->n_slots && rc == CRM_OK; i++) {
        crm_serve_model *m = NULL;
        rc = crm_serve_model_load(s->slots[i].name, s->slots[i].path, &m, err);
        if (rc == CRM_OK) {
            swap_in(&s->slots[i], m);
            atomic_store(&s->slots[i].last_ok, 1);
            slog(s, "model \"%s\": %s, %d features, version %s, from %s", s->slots[i].name,
                 crm_serve_kind_name(m->kind), (int)m->n_features, m->version, s->slots[i].path);
        }
    }
    if (rc == CRM_OK && s->store_path) {
        rc = crm__store_open(s->store_path, &s->store, err);
        if (rc == CRM_OK) {
            const crm__dash_cache *dc;
            crm_error derr;
            slog(s, "customer store %s", s->store_path);
            /* the dashboard's copy now, so that /readyz means its first page is fast too */
            if (crm__store_dash_cache(s->store, &dc, &derr) != CRM_OK) {
                slog(s, "dashboard: %s", derr.msg);
            }
        }
    }
    if (rc == CRM_OK) {
        atomic_store(&s->ready, 1);
        slog(s, "ready");
    }
    pthread_mutex_unlock(&s->reload_mu);
    return rc;
}

crm_status crm_server_reload(crm_server *s, int32_t *n_failed, char **report, crm_error *err)
{
    crm__sbuf b;
    int32_t failed = 0;
    crm_error first;
    crm_error_clear(&first);
    crm__sbuf_init(&b);
    crm__sbuf_puts(&b, "{\"models\":[");
    pthread_mutex_lock(&s->reload_mu);
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        crm_serve_model *m = NULL;
        crm_serve_model *old = acquire(sl);
        crm_error e;
        crm_status rc = crm_serve_model_load(sl->name, sl->path, &m, &e);
        if (rc == CRM_OK && old && old->kind != m->kind) {
            rc =
                crm__serve_fail(&e, CRM_EDATA, NULL, "%s holds a %s model; %s was served", sl->path,
                                crm_serve_kind_name(m->kind), crm_serve_kind_name(old->kind));
            crm_serve_model_free(m);
            m = NULL;
        }
        crm__sbuf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        crm__sbuf_json_str(&b, sl->name);
        if (rc == CRM_OK) {
            int same = old && strcmp(old->version, m->version) == 0;
            crm__sbuf_printf(&b, ",\"status\":\"reloaded\",\"version\":\"%s\",\"changed\":%s}",
                             m->version, same ? "false" : "true");
            slog(s, "model \"%s\" reloaded: version %s", sl->name, m->version);
            swap_in(sl, m);
            atomic_fetch_add(&sl->reloads, 1);
            atomic_store(&sl->last_ok, 1);
            pthread_mutex_lock(&sl->mu);
            sl->last_error[0] = '\0';
            pthread_mutex_unlock(&sl->mu);
        } else {
            char line[700];
            crm_error_format(&e, line, (int32_t)sizeof line);
            crm__sbuf_puts(&b, ",\"status\":\"failed\",\"error\":");
            crm__sbuf_json_str(&b, line);
            crm__sbuf_printf(&b, ",\"serving\":\"%s\"}", old ? old->version : "");
            slog(s, "model \"%s\" NOT reloaded, still serving version %s: %s", sl->name,
                 old ? old->version : "none", line);
            atomic_fetch_add(&sl->reload_failures, 1);
            atomic_store(&sl->last_ok, 0);
            pthread_mutex_lock(&sl->mu);
            snprintf(sl->last_error, sizeof sl->last_error, "%s", line);
            pthread_mutex_unlock(&sl->mu);
            if (failed++ == 0) {
                first = e;
            }
        }
        release(old);
    }
    pthread_mutex_unlock(&s->reload_mu);
    crm__sbuf_printf(&b, "],\"failed\":%d}\n", (int)failed);
    if (n_failed) {
        *n_failed = failed;
    }
    if (report) {
        *report = b.failed ? NULL : b.p;
        if (b.failed) {
            crm__sbuf_fini(&b);
        }
    } else {
        crm__sbuf_fini(&b);
    }
    if (failed) {
        if (err) {
            *err = first;
        }
        return CRM_EDATA;
    }
    return CRM_OK;
}

void crm_server_stop(crm_server *s)
{
    double t0;
    if (s == NULL || s->d == NULL) {
        return;
    }
    atomic_store(&s->stopping, 1);
    {
        /* No new connections: the listening socket is handed back to us and closed, so
         * clients are refused at once instead of waiting in the backlog. */
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET) {
            close(fd);
        }
    }
    t0 = now_mono();
    slog(s, "stopping: draining %lld requests", (long long)atomic_load(&s->inflight));
    while (atomic_load(&s->inflight) > 0 && now_mono() - t0 < (double)s->p.drain_s) {
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&s->inflight) > 0) {
        slog(s, "drain timed out after %d s: %lld requests cut off", (int)s->p.drain_s,
             (long long)atomic_load(&s->inflight));
    }
    MHD_stop_daemon(s->d);
    s->d = NULL;
    slog(s, "stopped");
}

void crm_server_free(crm_server *s)
{
    if (s == NULL) {
        return;
    }
    crm_server_stop(s);
    for (int i = 0; i < s->n_slots; i++) {
        release(s->slots[i].cur);
        crm_free(s->slots[i].name);
        crm_free(s->slots[i].path);
        pthread_mutex_destroy(&s->slots[i].mu);
    }
    crm__store_free(s->store);
    if (s->access) {
        fclose(s->access);
    }
    pthread_mutex_destroy(&s->log_mu);
    pthread_mutex_destroy(&s->reload_mu);
    crm_free(s->host);
    crm_free(s->admin_token);
    crm_free(s->web_dir);
    crm_free(s->store_path);
    crm_free(s);
}

#else /* no libmicrohttpd */

#include <string.h>

#include "serve_internal.h"

crm_status crm_server_new(const crm_server_params *p, crm_server **out, crm_error *err)
{
    (void)p;
    *out = NULL;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "this build has no server (libmicrohttpd, protobuf-c and Jansson)");
}

crm_status crm_server_start(crm_server *s, crm_error *err)
{
    (void)s;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no server in this build");
}

crm_status crm_server_load(crm_server *s, crm_error *err)
{
    (void)s;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no server in this build");
}

crm_status crm_server_reload(crm_server *s, int32_t *n_failed, char **report, crm_error *err)
{
    (void)s;
    (void)n_failed;
    if (report) {
        *report = NULL;
    }
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no server in this build");
}

int32_t crm_server_port(const crm_server *s)
{
    (void)s;
    return 0;
}

void crm_server_stop(crm_server *s)
{
    (void)s;
}

void crm_server_free(crm_server *s)
{
    (void)s;
}

void crm_server_set_log(crm_server *s, void (*fn)(void *ud, const char *line), void *ud)
{
    (void)s;
    (void)fn;
    (void)ud;
}

#endif

crm_server_params crm_server_params_default(void)
{
    crm_server_params p;
    memset(&p, 0, sizeof p);
    p.host = "127.0.0.1";
    p.port = 3330;
    p.max_body_bytes = 64 << 20;
    p.timeout_s = 30;
    p.drain_s = 10;
    p.max_rows = 10000000;
    return p;
}
