/* cdr.c: call detail records into per-customer features in one pass (crmkit/cdr.h).
 *
 * Every record is checked (fields parsed, window applied) and summed into one state: a string
 * table of callers with an accumulator each (counts; seconds, bytes and charges in 1e-6 units
 * as 128-bit integers), a string table of callees and a set of (caller index, callee index)
 * voice pairs; at the end the distinct callees of each caller are counted from the pair set
 * and the callers sorted by id. With one thread one loop does both; with n_threads >= 2,
 * n_threads - 1 threads take blocks of whole records from the shared crm_csv_stream and check
 * them into slots, and the calling thread sums the slots (see the pipeline below). Integer
 * sums and a set do not depend on the order of the records, so the result is the same for
 * any number of threads. The first bad record in file order is reported: threads stop taking
 * blocks after an error, every block before it has been taken already, and the error with
 * the lowest line wins.
 *
 * The tables are far larger than the caches, so a record costs mostly memory latency: records
 * are summed 32 at a time (prefetching their caller and callee slots), looked up (prefetching
 * the accumulator and the pair's slot), then summed. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/cdr.h>
#include <crmkit/csv_stream.h>
#include <crmkit/outfile.h>

#include "cdr_internal.h"
#include "core/core_internal.h"
#include "io/reader.h"

enum {
    F_CALLER,
    F_CALLEE,
    F_START,
    F_DURATION,
    F_NETWORK,
    F_TYPE,
    F_BYTES,
    F_CHARGE,
    N_FIELDS
};
static const char *const field_names[N_FIELDS] = { "caller",  "callee", "start_time", "duration",
                                                   "network", "type",   "bytes",      "charge" };

static const char *const feature_names[CRM_CDR_N_FEATURES] = {
    "calls_onnet",      "calls_offnet",     "minutes_onnet", "minutes_offnet",
    "called_parties",   "avg_call_s",       "night_share",   "weekend_share",
    "sms_count",        "data_sessions",    "data_mb",       "charge_total",
    "charge_voice",     "charge_sms",       "charge_data",   "charge_voice_share",
    "charge_sms_share", "charge_data_share"
};

enum {
    T_VOICE,
    T_SMS,
    T_DATA
};

/* Seconds, bytes and charges are summed in 128 bits: a field may hold up to 18 digits, and
 * no input, however large or hostile, can overflow the sums (2^63 records of 10^18 each). */
__extension__ typedef __int128 wide;

typedef struct acc {
    int64_t calls[2]; /* on-net, off-net */
    int64_t sms;
    int64_t data;
    int64_t events;
    int64_t night;
    int64_t weekend;
    wide sec[2];
    wide bytes;
    wide charge[3]; /* voice, sms, data, in 1e-6 */
} acc;

typedef struct job job;

typedef struct worker {
    job *job;
    crm__cdr_strmap callers;
    acc *accs;
    int64_t acc_cap;
    crm__cdr_strmap callees;
    crm__cdr_keyset pairs;
    crm_cdr_summary sum;
    crm_status rc;
    crm_error err;
    int64_t err_line;
    crm__cdr_day_cache day_cache; /* of check(), this thread's */
} worker;

struct job {
    crm_csv_stream *s;
    const char *source;
    worker *progress_owner;
    const crm_cdr_params *p;
    const crm_progress *progress;
    int32_t cols[N_FIELDS];
    int32_t n_cols;
    atomic_int stop;
    struct pipe *pipe; /* n_threads >= 2 */
};

struct crm_cdr_features {
    char *ids;      /* NUL-terminated ids, in order */
    size_t *id_off; /* id_off[i] */
    double *values; /* n x CRM_CDR_N_FEATURES */
    int64_t n;
    crm_cdr_summary sum;
    /* Rows merged from processes (crm__cdr_features_merge): their CSV lines, made by their
     * owners in parallel, row i at lines[line_off[i] .. line_off[i + 1]); NULL otherwise. */
    char *lines;
    size_t *line_off;
};

crm_cdr_params crm_cdr_params_default(void)
{
    return (crm_cdr_params){ .n_threads = 0 };
}

crm_status crm_cdr_params_check(const crm_cdr_params *p, crm_error *err)
{
    if (p->n_threads < 0 || p->n_threads > 256) {
        return crm__error_set(err, CRM_EINVAL, "n_threads must be in 0..256, got %d", p->n_threads);
    }
    if (p->has_from && p->has_to && p->from_day > p->to_day) {
        return crm__error_set(err, CRM_EINVAL, "the date window is empty (from is after to)");
    }
    return CRM_OK;
}

crm_status crm_cdr_parse_date(const char *s, int64_t *day, crm_error *err)
{
    if (!crm__cdr_parse_day(s, strlen(s), day)) {
        return crm__error_set(err, CRM_EINVAL, "bad date \"%.40s\" (expected YYYY-MM-DD)", s);
    }
    return CRM_OK;
}

const char *crm_cdr_feature_name(int32_t j)
{
    return (j >= 0 && j < CRM_CDR_N_FEATURES) ? feature_names[j] : NULL;
}

/* ---- one record ---- */

static crm_status
bad_field(worker *w, int64_t line, int f, const crm_csv_cell *c, const char *what, crm_error *err)
{
    const job *jb = w->job;
    crm__error_at(err, CRM_EPARSE, jb->source, line, jb->cols[f] + 1, "%s \"%.*s\"", what,
                  c->len > 60 ? 60 : (int)c->len, c->s);
    crm__error_field(err, field_names[f]);
    return CRM_EPARSE;
}

/* 1 when the cell is exactly the lower-case word w (the usual spelling: one compare) */
static inline int is_word(const crm_csv_cell *c, const char *w, size_t n)
{
    return c->len == n && memcmp(c->s, w, n) == 0;
}

static int parse_type(const crm_csv_cell *c)
{
    if (is_word(c, "voice", 5)) {
        return T_VOICE;
    }
    if (is_word(c, "data", 4)) {
        return T_DATA;
    }
    if (is_word(c, "sms", 3)) {
        return T_SMS;
    }
    if (crm__ascii_ieq(c->s, c->len, "voice")) {
        return T_VOICE;
    }
    if (crm__ascii_ieq(c->s, c->len, "sms")) {
        return T_SMS;
    }
    if (crm__ascii_ieq(c->s, c->len, "data")) {
        return T_DATA;
    }
    return -1;
}

/* 0 on-net, 1 off-net, 2 empty, -1 unknown */
static int parse_network(const crm_csv_cell *c)
{
    if (c->len == 0) {
        return 2;
    }
    if (is_word(c, "onnet", 5)) {
        return 0;
    }
    if (is_word(c, "offnet", 6)) {
        return 1;
    }
    if (crm__ascii_ieq(c->s, c->len, "onnet") || crm__ascii_ieq(c->s, c->len, "on-net") ||
        crm__ascii_ieq(c->s, c->len, "on")) {
        return 0;
    }
    if (crm__ascii_ieq(c->s, c->len, "offnet") || crm__ascii_ieq(c->s, c->len, "off-net") ||
        crm__ascii_ieq(c->s, c->len, "off")) {
        return 1;
    }
    return -1;
}

/* Accumulator of caller index i (grown and zeroed when i is new). */
static acc *acc_at(worker *w, int64_t i, int added)
{
    if (i < 0) {
        return NULL;
    }
    if (i >= w->acc_cap && !crm__grow_items(&w->accs, &w->acc_cap, i + 1, sizeof *w->accs, 1024)) {
        return NULL;
    }
    if (added) {
        memset(&w->accs[i], 0, sizeof w->accs[i]);
    }
    return &w->accs[i];
}

static void acc_add(acc *t, const acc *a)
{
    t->calls[0] += a->calls[0];
    t->calls[1] += a->calls[1];
    t->sms += a->sms;
    t->data += a->data;
    t->events += a->events;
    t->night += a->night;
    t->weekend += a->weekend;
    t->sec[0] += a->sec[0];
    t->sec[1] += a->sec[1];
    t->bytes += a->bytes;
    t->charge[0] += a->charge[0];
    t->charge[1] += a->charge[1];
    t->charge[2] += a->charge[2];
}

/* A checked record waiting in a batch. Texts point into the block (or, for a quoted field,
 * into the reader's per-row buffer: such a record is applied at once). */
typedef struct parsed {
    const char *caller;
    const char *callee;
    size_t caller_len;
    size_t callee_len;
    uint64_t caller_hash;
    uint64_t callee_hash;
    int64_t day;
    int64_t duration;
    int64_t bytes;
    int64_t charge;
    int64_t caller_idx;
    int64_t callee_idx;
    size_t caller_off; /* pipeline: text copied into the slot (fix & 1 / fix & 2) */
    size_t callee_off;
    int32_t sec;
    int type;
    int net;
    int fix;
} parsed;

#define BATCH 32

static inline uint64_t pair_key(const parsed *r)
{
    return ((uint64_t)r->caller_idx << 32) | (uint64_t)r->callee_idx;
}

/* Check one record into *r; 0 = skip (outside the window), 1 = keep, -1 = error. */
static int check(worker *w, const crm_csv_cell *cell, int64_t line, parsed *r, crm_error *err)
{
    const job *jb = w->job;
    const crm_csv_cell *c[N_FIELDS];
    for (int f = 0; f < N_FIELDS; f++) {
        c[f] = &cell[jb->cols[f]];
    }
    if (!crm__cdr_parse_time_cached(&w->day_cache, c[F_START]->s, c[F_START]->len, &r->day,
                                    &r->sec)) {
        bad_field(w, line, F_START, c[F_START],
                  "bad start time (expected YYYY-MM-DD HH:MM:SS):", err);
        return -1;
    }
    if ((r->type = parse_type(c[F_TYPE])) < 0) {
        bad_field(w, line, F_TYPE, c[F_TYPE], "unknown type (expected voice, sms or data):", err);
        return -1;
    }
    if (c[F_CALLER]->len == 0) {
        bad_field(w, line, F_CALLER, c[F_CALLER], "empty caller:", err);
        return -1;
    }
    if (r->type != T_DATA && c[F_CALLEE]->len == 0) {
        bad_field(w, line, F_CALLEE, c[F_CALLEE], "empty callee of a voice or sms record:", err);
        return -1;
    }
    if (!crm__cdr_parse_count(c[F_DURATION]->s, c[F_DURATION]->len, &r->duration)) {
        bad_field(w, line, F_DURATION, c[F_DURATION],
                  "bad duration (expected whole seconds >= 0):", err);
        return -1;
    }
    r->net = parse_network(c[F_NETWORK]);
    if (r->net < 0 || (r->net == 2 && r->type != T_DATA)) {
        bad_field(w, line, F_NETWORK, c[F_NETWORK], "bad network (expected onnet or offnet):", err);
        return -1;
    }
    if (!crm__cdr_parse_count(c[F_BYTES]->s, c[F_BYTES]->len, &r->bytes)) {
        bad_field(w, line, F_BYTES, c[F_BYTES], "bad bytes (expected a whole number >= 0):", err);
        return -1;
    }
    if (!crm__cdr_parse_micros(c[F_CHARGE]->s, c[F_CHARGE]->len, &r->charge)) {
        bad_field(w, line, F_CHARGE, c[F_CHARGE], "bad charge (expected a number >= 0):", err);
        return -1;
    }
    w->sum.n_records++;
    if ((jb->p->has_from && r->day < jb->p->from_day) ||
        (jb->p->has_to && r->day > jb->p->to_day)) {
        return 0;
    }
    r->caller = c[F_CALLER]->s;
    r->caller_len = c[F_CALLER]->len;
    r->caller_hash = crm__hash_bytes(r->caller, r->caller_len);
    crm__cdr_strmap_prefetch(&w->callers, r->caller_hash);
    if (r->type == T_VOICE) {
        r->callee = c[F_CALLEE]->s;
        r->callee_len = c[F_CALLEE]->len;
        r->callee_hash = crm__hash_bytes(r->callee, r->callee_len);
        crm__cdr_strmap_prefetch(&w->callees, r->callee_hash);
    }
    return 1;
}

/* Stage 2: look the caller (and callee) up; prefetch what stage 3 touches. */
static crm_status resolve(worker *w, parsed *r, crm_error *err)
{
    int added;
    r->caller_idx =
        crm__cdr_strmap_intern(&w->callers, r->caller, r->caller_len, r->caller_hash, &added);
    if (acc_at(w, r->caller_idx, added) == NULL) {
        return crm__error_nomem(err);
    }
    __builtin_prefetch(&w->accs[r->caller_idx]);
    if (r->type == T_VOICE) {
        r->callee_idx =
            crm__cdr_strmap_intern(&w->callees, r->callee, r->callee_len, r->callee_hash, &added);
        if (r->callee_idx < 0) {
            return crm__error_nomem(err);
        }
        crm__cdr_keyset_prefetch(&w->pairs, pair_key(r));
    }
    return CRM_OK;
}

/* Stage 3: add the record's sums and its (caller, callee) pair. */
static crm_status apply(worker *w, const parsed *r, crm_error *err)
{
    acc *a = &w->accs[r->caller_idx];
    int64_t wday = ((r->day % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    w->sum.n_used++;
    if (w->sum.first_day < 0 || r->day < w->sum.first_day) {
        w->sum.first_day = r->day;
    }
    if (r->day > w->sum.last_day) {
        w->sum.last_day = r->day;
    }
    a->events++;
    a->night += r->sec >= 22 * 3600 || r->sec < 6 * 3600;
    a->weekend += wday == 0 || wday == 6;
    a->charge[r->type] += r->charge;
    if (r->type == T_VOICE) {
        w->sum.n_voice++;
        a->calls[r->net]++;
        a->sec[r->net] += r->duration;
        if (crm__cdr_keyset_add(&w->pairs, pair_key(r)) < 0) {
            return crm__error_nomem(err);
        }
    } else if (r->type == T_SMS) {
        w->sum.n_sms++;
        a->sms++;
    } else {
        w->sum.n_data++;
        a->data++;
        a->bytes += r->bytes;
    }
    return CRM_OK;
}

static crm_status flush(worker *w, parsed *batch, int n, crm_error *err)
{
    for (int k = 0; k < n; k++) {
        crm_status rc = resolve(w, &batch[k], err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    for (int k = 0; k < n; k++) {
        crm_status rc = apply(w, &batch[k], err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

static void *work(void *arg)
{
    worker *w = arg;
    job *jb = w->job;
    crm_csv_block *b = NULL;
    parsed batch[BATCH];
    int n = 0;
    crm_csv_cell *cells = crm_mallocarray((size_t)jb->n_cols, sizeof *cells);
    crm_status rc = crm_csv_block_new(&b, &w->err);
    if (cells == NULL && rc == CRM_OK) {
        rc = crm__error_nomem(&w->err);
    }
    while (rc == CRM_OK && !atomic_load(&jb->stop)) {
        bool got = false;
        int64_t line = 0;
        rc = crm_csv_stream_next_block(jb->s, b, &got, &w->err);
        if (rc != CRM_OK || !got) {
            break;
        }
        n = 0;
        for (;;) {
            int keep;
            rc = crm_csv_block_next_row(b, cells, &line, &got, &w->err);
            if (rc != CRM_OK || !got) {
                break;
            }
            keep = check(w, cells, line, &batch[n], &w->err);
            if (keep < 0) {
                rc = CRM_EPARSE;
                break;
            }
            n += keep;
            /* a quoted caller or callee may live in the reader's per-row buffer */
            if (n == BATCH ||
                (keep && (cells[jb->cols[F_CALLER]].quoted || cells[jb->cols[F_CALLEE]].quoted))) {
                rc = flush(w, batch, n, &w->err);
                n = 0;
                if (rc != CRM_OK) {
                    break;
                }
            }
        }
        if (rc == CRM_OK && n > 0) {
            rc = flush(w, batch, n, &w->err);
        }
        if (rc != CRM_OK) {
            w->err_line = w->err.line > 0 ? w->err.line : line;
        } else if (w == w->job->progress_owner &&
                   !crm_progress_report(jb->progress, "read CDRs",
                                        crm_csv_stream_fraction(jb->s))) {
            rc = crm__error_set(&w->err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc != CRM_OK) {
        atomic_store(&jb->stop, 1);
        if (w->err_line == 0) {
            w->err_line = INT64_MAX;
        }
    }
    w->rc = rc;
    crm_csv_block_free(b);
    crm_free(cells);
    return NULL;
}

/* ---- two or more threads: a pipeline ----
 *
 * n_threads - 1 threads take blocks and check their records into slots; the calling thread
 * looks every record up in the one set of tables and sums it. Splitting and checking cost
 * about as much as the lookups, so the two halves run side by side, and no table is built
 * twice (tables per thread and a merge cost 40% more CPU and twice the memory). The tables
 * see the records in another order than with one thread, which changes no sum or set. */

typedef struct slot {
    crm_csv_block *b;
    parsed *recs;
    size_t n;
    int64_t cap;
    char *text; /* quoted callers and callees, copied out of the reader's per-row buffer */
    size_t text_len;
    size_t text_cap;
} slot;

typedef struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *slots;
    int n_slots;
    int *free_list;
    int n_free;
    int *full; /* a stack: the order of the blocks changes nothing */
    int n_full;
    int n_parsers;
    int n_done;
} pipe_t;

static int slot_keep(slot *sl, const crm_csv_cell *cell, int f, size_t *off)
{
    size_t len = cell->len;
    if (sl->text_len + len + 1 > sl->text_cap &&
        !crm__grow_bytes_from(&sl->text, &sl->text_cap, sl->text_len + len + 1, 4096)) {
        return 0;
    }
    memcpy(sl->text + sl->text_len, cell->s, len);
    *off = sl->text_len;
    sl->text_len += len;
    (void)f;
    return 1;
}

/* Check the records of one block into sl. */
static crm_status parse_block(worker *w, slot *sl, crm_csv_cell *cells, crm_error *err)
{
    const job *jb = w->job;
    crm_status rc = CRM_OK;
    bool got = false;
    int64_t line = 0;
    sl->n = 0;
    sl->text_len = 0;
    for (;;) {
        parsed *r;
        int keep;
        rc = crm_csv_block_next_row(sl->b, cells, &line, &got, err);
        if (rc != CRM_OK || !got) {
            break;
        }
        if (sl->n == (size_t)sl->cap &&
            !crm__grow_items(&sl->recs, &sl->cap, (int64_t)sl->n + 1, sizeof *sl->recs, 4096)) {
            return crm__error_nomem(err);
        }
        r = &sl->recs[sl->n];
        keep = check(w, cells, line, r, err);
        if (keep < 0) {
            return CRM_EPARSE;
        }
        if (keep == 0) {
            continue;
        }
        r->fix = 0;
        if (cells[jb->cols[F_CALLER]].quoted) {
            if (!slot_keep(sl, &cells[jb->cols[F_CALLER]], F_CALLER, &r->caller_off)) {
                return crm__error_nomem(err);
            }
            r->fix |= 1;
        }
        if (r->type == T_VOICE && cells[jb->cols[F_CALLEE]].quoted) {
            if (!slot_keep(sl, &cells[jb->cols[F_CALLEE]], F_CALLEE, &r->callee_off)) {
                return crm__error_nomem(err);
            }
            r->fix |= 2;
        }
        sl->n++;
    }
    for (size_t k = 0; rc == CRM_OK && k < sl->n; k++) {
        parsed *r = &sl->recs[k];
        if (r->fix & 1) {
            r->caller = sl->text + r->caller_off;
        }
        if (r->fix & 2) {
            r->callee = sl->text + r->callee_off;
        }
    }
    return rc;
}

static void *parse_main(void *arg)
{
    worker *w = arg;
    job *jb = w->job;
    pipe_t *pp = jb->pipe;
    crm_csv_cell *cells = crm_mallocarray((size_t)jb->n_cols, sizeof *cells);
    crm_status rc = cells == NULL ? crm__error_nomem(&w->err) : CRM_OK;
    while (rc == CRM_OK) {
        int k;
        bool got = false;
        pthread_mutex_lock(&pp->mu);
        while (pp->n_free == 0 && !atomic_load(&jb->stop)) {
            pthread_cond_wait(&pp->cv, &pp->mu);
        }
        if (atomic_load(&jb->stop)) {
            pthread_mutex_unlock(&pp->mu);
            break;
        }
        k = pp->free_list[--pp->n_free];
        pthread_mutex_unlock(&pp->mu);
        rc = crm_csv_stream_next_block(jb->s, pp->slots[k].b, &got, &w->err);
        if (rc == CRM_OK && got) {
            rc = parse_block(w, &pp->slots[k], cells, &w->err);
        }
        pthread_mutex_lock(&pp->mu);
        if (rc == CRM_OK && got) {
            pp->full[pp->n_full++] = k;
        } else {
            pp->free_list[pp->n_free++] = k;
        }
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
        if (!got) {
            break;
        }
    }
    if (rc != CRM_OK) {
        w->err_line = w->err.line > 0 ? w->err.line : INT64_MAX;
        atomic_store(&jb->stop, 1);
    }
    w->rc = rc;
    crm_free(cells);
    pthread_mutex_lock(&pp->mu);
    pp->n_done++;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

/* The calling thread: sum the checked records of each full slot. */
static void table_main(worker *w)
{
    job *jb = w->job;
    pipe_t *pp = jb->pipe;
    crm_status rc = CRM_OK;
    for (;;) {
        int k;
        slot *sl;
        pthread_mutex_lock(&pp->mu);
        while (pp->n_full == 0 && pp->n_done < pp->n_parsers) {
            pthread_cond_wait(&pp->cv, &pp->mu);
        }
        if (pp->n_full == 0) {
            pthread_mutex_unlock(&pp->mu);
            break;
        }
        k = pp->full[--pp->n_full];
        pthread_mutex_unlock(&pp->mu);
        sl = &pp->slots[k];
        for (size_t i = 0; rc == CRM_OK && i < sl->n; i += BATCH) {
            int m = sl->n - i < BATCH ? (int)(sl->n - i) : BATCH;
            parsed *batch = &sl->recs[i];
            for (int q = 0; q < m; q++) {
                crm__cdr_strmap_prefetch(&w->callers, batch[q].caller_hash);
                if (batch[q].type == T_VOICE) {
                    crm__cdr_strmap_prefetch(&w->callees, batch[q].callee_hash);
                }
            }
            rc = flush(w, batch, m, &w->err);
        }
        if (rc == CRM_OK &&
            !crm_progress_report(jb->progress, "read CDRs", crm_csv_stream_fraction(jb->s))) {
            rc = crm__error_set(&w->err, CRM_ECANCELLED, "cancelled");
        }
        if (rc != CRM_OK && w->rc == CRM_OK) {
            w->rc = rc;
            w->err_line = INT64_MAX;
            atomic_store(&jb->stop, 1);
        }
        pthread_mutex_lock(&pp->mu);
        pp->free_list[pp->n_free++] = k;
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
    }
}

/* Run the pipeline with ws[0] summing and ws[1 .. n_threads - 1] checking. */
static crm_status run_pipeline(job *jb, worker *ws, int32_t n_threads, crm_error *err)
{
    pipe_t *pp = crm_calloc(1, sizeof *pp);
    pthread_t *th = crm_calloc((size_t)n_threads, sizeof *th);
    int32_t n_started = 0;
    crm_status rc = CRM_OK;
    if (pp == NULL) {
        crm_free(th);
        return crm__error_nomem(err);
    }
    pp->n_parsers = n_threads - 1;
    pp->n_slots = 2 * pp->n_parsers + 1;
    pp->slots = crm_calloc((size_t)pp->n_slots, sizeof *pp->slots);
    pp->free_list = crm_calloc((size_t)pp->n_slots, sizeof *pp->free_list);
    pp->full = crm_calloc((size_t)pp->n_slots, sizeof *pp->full);
    if (th == NULL || pp->slots == NULL || pp->free_list == NULL || pp->full == NULL) {
        rc = crm__error_nomem(err);
    }
    for (int k = 0; rc == CRM_OK && k < pp->n_slots; k++) {
        rc = crm_csv_block_new(&pp->slots[k].b, err);
        pp->free_list[pp->n_free++] = k;
    }
    if (rc == CRM_OK) {
        pthread_mutex_init(&pp->mu, NULL);
        pthread_cond_init(&pp->cv, NULL);
        jb->pipe = pp;
        for (int32_t t = 1; t < n_threads; t++) {
            if (pthread_create(&th[t], NULL, parse_main, &ws[t]) != 0) {
                break;
            }
            n_started = t;
        }
        pp->n_parsers = n_started; /* fewer threads: the same result */
        if (n_started == 0) {
            jb->pipe = NULL;
            work(&ws[0]);
        } else {
            table_main(&ws[0]);
        }
        for (int32_t t = 1; t <= n_started; t++) {
            pthread_join(th[t], NULL);
        }
        pthread_mutex_destroy(&pp->mu);
        pthread_cond_destroy(&pp->cv);
        jb->pipe = NULL;
        for (int32_t t = 1; t <= n_started; t++) {
            ws[0].sum.n_records += ws[t].sum.n_records;
        }
    }
    for (int k = 0; pp->slots != NULL && k < pp->n_slots; k++) {
        crm_csv_block_free(pp->slots[k].b);
        crm_free(pp->slots[k].recs);
        crm_free(pp->slots[k].text);
    }
    CRM__FREE(pp->slots, pp->free_list, pp->full, pp, th);
    return rc;
}

/* ---- merging, features ---- */

typedef struct id_ref {
    const char *id;
    int64_t i;
} id_ref;

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const id_ref *)a)->id, ((const id_ref *)b)->id);
}

static double share(wide part, wide total)
{
    return total > 0 ? (double)part / (double)total : 0.0;
}

static void feature_row(const acc *a, int64_t parties, double *v)
{
    int64_t calls = a->calls[0] + a->calls[1];
    wide total = a->charge[0] + a->charge[1] + a->charge[2];
    v[0] = (double)a->calls[0];
    v[1] = (double)a->calls[1];
    v[2] = (double)a->sec[0] / 60.0;
    v[3] = (double)a->sec[1] / 60.0;
    v[4] = (double)parties;
    v[5] = share(a->sec[0] + a->sec[1], calls);
    v[6] = share(a->night, a->events);
    v[7] = share(a->weekend, a->events);
    v[8] = (double)a->sms;
    v[9] = (double)a->data;
    v[10] = (double)a->bytes / 1048576.0;
    v[11] = (double)total / 1e6;
    v[12] = (double)a->charge[0] / 1e6;
    v[13] = (double)a->charge[1] / 1e6;
    v[14] = (double)a->charge[2] / 1e6;
    v[15] = share(a->charge[0], total);
    v[16] = share(a->charge[1], total);
    v[17] = share(a->charge[2], total);
}

/* The features of the callers that process me of n_owners owns (crm__cdr_owner; all of them
 * when n_owners is 1), sorted by id. The summary counts their pairs and the callees me owns. */
static crm_status build(worker *w, int me, int n_owners, crm_cdr_features **out, crm_error *err)
{
    crm_cdr_features *f = crm_calloc(1, sizeof *f);
    int64_t n_all = w->callers.n;
    int64_t n = 0;
    int64_t n_pairs = 0;
    int64_t n_callees = n_owners == 1 ? w->callees.n : 0;
    id_ref *order = crm_mallocarray((size_t)n_all + 1, sizeof *order);
    int64_t *parties = crm_calloc((size_t)n_all + 1, sizeof *parties);
    size_t pos = 0;
    crm_status rc = CRM_OK;
    if (f == NULL || order == NULL || parties == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    for (size_t k = 0; k < w->pairs.n_slots; k++) {
        if (w->pairs.slots[k] != UINT64_MAX) {
            parties[w->pairs.slots[k] >> 32]++;
        }
    }
    for (int64_t i = 0; i < n_all; i++) {
        if (n_owners == 1 || crm__cdr_owner(w->callers.hashes[i], n_owners) == me) {
            order[n].id = crm__cdr_strmap_text(&w->callers, i);
            order[n].i = i;
            n_pairs += parties[i];
            n++;
        }
    }
    for (int64_t e = 0; n_owners > 1 && e < w->callees.n; e++) {
        n_callees += crm__cdr_owner(w->callees.hashes[e], n_owners) == me;
    }
    f->n = n;
    f->ids = crm_malloc(w->callers.arena_len + 1);
    f->id_off = crm_mallocarray((size_t)n + 1, sizeof *f->id_off);
    f->values = crm_mallocarray((size_t)n * CRM_CDR_N_FEATURES + 1, sizeof *f->values);
    if (f->ids == NULL || f->id_off == NULL || f->values == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_id); /* ids are unique: a total order */
    for (int64_t r = 0; r < n; r++) {
        size_t len = strlen(order[r].id);
        memcpy(f->ids + pos, order[r].id, len + 1);
        f->id_off[r] = pos;
        pos += len + 1;
        feature_row(&w->accs[order[r].i], parties[order[r].i], f->values + r * CRM_CDR_N_FEATURES);
    }
    f->sum = w->sum;
    f->sum.n_customers = n;
    f->sum.n_callees = n_callees;
    f->sum.n_pairs = n_pairs;
    *out = f;
    f = NULL;
cleanup:
    crm_cdr_features_free(f);
    crm_free(order);
    crm_free(parties);
    return rc;
}

static crm_status find_columns(job *jb, crm_error *err)
{
    jb->n_cols = crm_csv_stream_n_cols(jb->s);
    for (int f = 0; f < N_FIELDS; f++) {
        jb->cols[f] = crm_csv_stream_find_col(jb->s, field_names[f]);
        if (jb->cols[f] < 0) {
            crm__error_at(err, CRM_ENOTFOUND, jb->source, 1, 0,
                          "the header has no column \"%s\" (a CDR file needs caller, callee, "
                          "start_time, duration, network, type, bytes and charge)",
                          field_names[f]);
            return CRM_ENOTFOUND;
        }
    }
    return CRM_OK;
}

/* What one process found in its part of a file: the summing worker's tables. */
struct crm_cdr_part {
    worker w;
    char *source;
};

static void worker_fini(worker *w)
{
    crm__cdr_strmap_fini(&w->callers);
    crm__cdr_strmap_fini(&w->callees);
    crm__cdr_keyset_fini(&w->pairs);
    crm_free(w->accs);
}

static crm_status no_records(const worker *w, const char *source, crm_error *err)
{
    return crm__error_at(err, CRM_EDATA, source, 0, 0, "%s",
                         w->sum.n_records == 0 ? "no records after the header"
                                               : "no records in the date window");
}

/* Read bytes [begin, end) of path (begin < 0: all of it) into *keep (the summing worker). */
static crm_status aggregate(const crm__cdr_source *src,
                            const crm_cdr_params *p,
                            const crm_progress *progress,
                            worker *keep,
                            crm_error *err)
{
    job jb;
    worker *ws = NULL;
    int32_t n_threads;
    int best = -1;
    crm_status rc;
    memset(keep, 0, sizeof *keep);
    rc = crm_cdr_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    memset(&jb, 0, sizeof jb);
    jb.p = p;
    jb.progress = progress;
    jb.source = strcmp(src->path, "-") == 0 ? "<stdin>" : src->path;
    atomic_init(&jb.stop, 0);
    rc = src->begin < 0 ? crm_csv_stream_open(src->path, NULL, &jb.s, err)
                        : crm_csv_stream_open_range(src->path, NULL, src->begin, src->end,
                                                    src->first_line, &jb.s, err);
    if (rc == CRM_OK) {
        rc = find_columns(&jb, err);
    }
    if (rc == CRM_OK && src->next != NULL) {
        crm_csv_stream_set_ranges(jb.s, src->next, src->next_ud);
    }
    n_threads = p->n_threads > 0 ? p->n_threads : 2;
    if (rc == CRM_OK) {
        ws = crm_calloc((size_t)n_threads, sizeof *ws);
        if (ws == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    if (rc == CRM_OK) {
        for (int32_t t = 0; t < n_threads; t++) {
            ws[t].job = &jb;
            ws[t].sum.first_day = -1;
            ws[t].sum.last_day = -1;
        }
        jb.progress_owner = &ws[0];
        if (n_threads == 1) {
            work(&ws[0]);
        } else {
            rc = run_pipeline(&jb, ws, n_threads, err);
        }
        for (int32_t t = 0; t < n_threads; t++) {
            if (ws[t].rc != CRM_OK && (best < 0 || ws[t].err_line < ws[best].err_line)) {
                best = t;
            }
        }
        if (best >= 0) {
            rc = ws[best].rc;
            if (err != NULL) {
                *err = ws[best].err;
            }
        }
    }
    if (rc == CRM_OK) {
        *keep = ws[0];
        keep->job = NULL;
        memset(&ws[0], 0, sizeof ws[0]);
    }
    for (int32_t t = 0; ws != NULL && t < n_threads; t++) {
        worker_fini(&ws[t]);
    }
    crm_free(ws);
    crm_csv_stream_free(jb.s);
    return rc;
}

crm_status crm_cdr_aggregate(const char *path,
                             const crm_cdr_params *p,
                             const crm_progress *progress,
                             crm_cdr_features **out,
                             crm_error *err)
{
    worker w;
    crm__cdr_source src = { .path = path, .begin = -1, .end = -1, .first_line = 1 };
    crm_status rc = aggregate(&src, p, progress, &w, err);
    *out = NULL;
    if (rc == CRM_OK && w.callers.n == 0) {
        rc = no_records(&w, strcmp(path, "-") == 0 ? "<stdin>" : path, err);
    }
    if (rc == CRM_OK) {
        rc = build(&w, 0, 1, out, err);
    }
    worker_fini(&w);
    return rc;
}

/* ---- a part of the file, for a run across processes ---- */

crm_status crm_cdr_aggregate_part(const char *path,
                                  int64_t begin,
                                  int64_t end,
                                  int64_t first_line,
                                  const crm_cdr_params *p,
                                  const crm_progress *progress,
                                  crm_cdr_part **out,
                                  crm_error *err)
{
    crm__cdr_source src = { .path = path, .begin = begin, .end = end, .first_line = first_line };
    return crm__cdr_aggregate_source(&src, p, progress, out, err);
}

crm_status crm__cdr_aggregate_source(const crm__cdr_source *src,
                                     const crm_cdr_params *p,
                                     const crm_progress *progress,
                                     crm_cdr_part **out,
                                     crm_error *err)
{
    crm_cdr_part *pt = crm_calloc(1, sizeof *pt);
    crm_status rc;
    *out = NULL;
    if (pt == NULL || (pt->source = crm_strdup(src->path)) == NULL) {
        crm_free(pt);
        return crm__error_nomem(err);
    }
    if (src->begin >= 0 && src->end >= 0 && src->end <= src->begin) {
        pt->w.sum.first_day = -1; /* an empty part: nothing to read */
        pt->w.sum.last_day = -1;
        *out = pt;
        return CRM_OK;
    }
    rc = aggregate(src, p, progress, &pt->w, err);
    if (rc != CRM_OK) {
        crm_cdr_part_free(pt);
        return rc;
    }
    *out = pt;
    return CRM_OK;
}

void crm_cdr_part_free(crm_cdr_part *pt)
{
    if (pt != NULL) {
        worker_fini(&pt->w);
        crm_free(pt->source);
        crm_free(pt);
    }
}

#define PART_MAGIC 0x3150524443LL /* "CDRP1" */

/* The strings of an export interned into m; map[i] their indices there (crm_free it). */
static int64_t *pget_strs(crm__bytes_in *r, crm__cdr_strmap *m, int64_t *n_out, int *nomem)
{
    int64_t n = crm__bytes_get_count(r, 8);
    int64_t *map;
    *n_out = 0;
    if (r->bad) {
        return NULL;
    }
    map = crm_mallocarray((size_t)n + 1, sizeof *map);
    if (map == NULL) {
        *nomem = 1;
        return NULL;
    }
    /* BATCH at a time: hash and prefetch their slots, then intern (the table is far larger
     * than the caches) */
    for (int64_t i0 = 0; i0 < n; i0 += BATCH) {
        const char *t[BATCH];
        size_t l[BATCH];
        uint64_t h[BATCH];
        int m_b = n - i0 < BATCH ? (int)(n - i0) : BATCH;
        for (int q = 0; q < m_b; q++) {
            t[q] = crm__bytes_get_str(r, &l[q]);
            if (t[q] == NULL) {
                crm_free(map);
                return NULL;
            }
            h[q] = crm__hash_bytes(t[q], l[q]);
            crm__cdr_strmap_prefetch(m, h[q]);
        }
        for (int q = 0; q < m_b; q++) {
            int added;
            map[i0 + q] = crm__cdr_strmap_intern(m, t[q], l[q], h[q], &added);
            if (map[i0 + q] < 0) {
                *nomem = 1;
                crm_free(map);
                return NULL;
            }
        }
    }
    *n_out = n;
    return map;
}

crm_status crm_cdr_part_merge(crm_cdr_part *into, const char *buf, size_t len, crm_error *err)
{
    worker *w = &into->w;
    crm_cdr_summary sum;
    crm__bytes_in r;
    int64_t n_callers = 0, n_callees = 0, n_pairs, *cmap = NULL, *emap = NULL;
    int nomem = 0;
    crm_status rc = CRM_OK;
    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    if (crm__bytes_get_i64(&r) != PART_MAGIC) {
        return crm__error_set(err, CRM_EPARSE, "CDR sums from another process are damaged");
    }
    crm__bytes_get(&r, &sum, sizeof sum);
    {
        int64_t before = w->callers.n;
        cmap = pget_strs(&r, &w->callers, &n_callers, &nomem);
        /* new callers' sums start at zero */
        for (int64_t i = before; cmap != NULL && i < w->callers.n; i++) {
            if (acc_at(w, i, 1) == NULL) {
                nomem = 1;
                break;
            }
        }
    }
    for (int64_t i = 0; cmap != NULL && !nomem && !r.bad && i < n_callers; i++) {
        acc a;
        crm__bytes_get(&r, &a, sizeof a);
        acc_add(&w->accs[cmap[i]], &a);
    }
    if (!nomem && !r.bad) {
        emap = pget_strs(&r, &w->callees, &n_callees, &nomem);
    }
    n_pairs = nomem || r.bad ? 0 : crm__bytes_get_count(&r, 8);
    for (int64_t i0 = 0; !nomem && !r.bad && i0 < n_pairs; i0 += BATCH) {
        uint64_t keys[BATCH];
        int m_b = n_pairs - i0 < BATCH ? (int)(n_pairs - i0) : BATCH;
        for (int q = 0; q < m_b && !r.bad; q++) {
            uint64_t k = (uint64_t)crm__bytes_get_i64(&r);
            int64_t ci = (int64_t)(k >> 32), ei = (int64_t)(k & 0xffffffffu);
            if (ci >= n_callers || ei >= n_callees) {
                r.bad = 1;
                break;
            }
            keys[q] = ((uint64_t)cmap[ci] << 32) | (uint64_t)emap[ei];
            crm__cdr_keyset_prefetch(&w->pairs, keys[q]);
        }
        for (int q = 0; q < m_b && !r.bad && !nomem; q++) {
            nomem = crm__cdr_keyset_add(&w->pairs, keys[q]) < 0;
        }
    }
    if (nomem) {
        rc = crm__error_nomem(err);
    } else if (!crm__bytes_in_done(&r)) {
        rc = crm__error_set(err, CRM_EPARSE, "CDR sums from another process are damaged");
    } else {
        w->sum.n_records += sum.n_records;
        w->sum.n_used += sum.n_used;
        w->sum.n_voice += sum.n_voice;
        w->sum.n_sms += sum.n_sms;
        w->sum.n_data += sum.n_data;
        if (sum.first_day >= 0 && (w->sum.first_day < 0 || sum.first_day < w->sum.first_day)) {
            w->sum.first_day = sum.first_day;
        }
        if (sum.last_day > w->sum.last_day) {
            w->sum.last_day = sum.last_day;
        }
    }
    crm_free(cmap);
    crm_free(emap);
    return rc;
}

/* ---- customers owned by processes: the exchange of a run across processes ---- */

crm_cdr_summary crm__cdr_part_summary(const crm_cdr_part *pt)
{
    return pt->w.sum;
}

crm_status crm__cdr_part_export_owned(const crm_cdr_part *pt,
                                      int me,
                                      int n_owners,
                                      char **buf,
                                      size_t *sizes,
                                      crm_error *err)
{
    const worker *w = &pt->w;
    int64_t nc = w->callers.n;
    int64_t ne = w->callees.n;
    int64_t np = (int64_t)w->pairs.n;
    int32_t *cown = crm_mallocarray((size_t)nc + 1, sizeof *cown);
    int32_t *cpos = crm_mallocarray((size_t)nc + 1, sizeof *cpos);
    int32_t *epos = crm_mallocarray((size_t)ne + 1, sizeof *epos);
    int32_t *elist = crm_mallocarray((size_t)ne + 1, sizeof *elist);
    int64_t *ccount = crm_calloc((size_t)n_owners, sizeof *ccount);
    int64_t *pstart = crm_calloc((size_t)n_owners + 1, sizeof *pstart);
    int64_t *pfill = crm_calloc((size_t)n_owners, sizeof *pfill);
    uint64_t *pby = crm_mallocarray((size_t)np + 1, sizeof *pby);
    crm_cdr_summary none;
    crm__bytes_out b;
    crm_status rc = CRM_OK;
    memset(&b, 0, sizeof b);
    memset(&none, 0, sizeof none);
    none.first_day = -1;
    none.last_day = -1;
    /* room for every blob (exact for two owners): no growth, no copy */
    b.first_cap = (size_t)n_owners * (32 + sizeof none) + (size_t)nc * (8 + sizeof(acc)) +
                  w->callers.arena_len + (size_t)(np + ne) * 8 +
                  (size_t)(n_owners > 1 ? n_owners - 1 : 1) * w->callees.arena_len;
    *buf = NULL;
    if (cown == NULL || cpos == NULL || epos == NULL || elist == NULL || ccount == NULL ||
        pstart == NULL || pfill == NULL || pby == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    for (int64_t i = 0; i < nc; i++) {
        cown[i] = crm__cdr_owner(w->callers.hashes[i], n_owners);
        cpos[i] = (int32_t)ccount[cown[i]]++;
    }
    for (int64_t e = 0; e < ne; e++) {
        epos[e] = -1;
    }
    /* the pairs, grouped by the owner of their caller */
    for (size_t k = 0; k < w->pairs.n_slots; k++) {
        if (w->pairs.slots[k] != UINT64_MAX) {
            pstart[cown[w->pairs.slots[k] >> 32] + 1]++;
        }
    }
    for (int d = 0; d < n_owners; d++) {
        pstart[d + 1] += pstart[d];
        pfill[d] = pstart[d];
    }
    for (size_t k = 0; k < w->pairs.n_slots; k++) {
        uint64_t key = w->pairs.slots[k];
        if (key != UINT64_MAX) {
            pby[pfill[cown[key >> 32]]++] = key;
        }
    }
    for (int d = 0; d < n_owners; d++) {
        size_t at = b.len;
        int32_t n_e = 0;
        if (d == me) {
            sizes[d] = 0;
            continue;
        }
        /* the layout crm_cdr_part_merge reads */
        crm__bytes_put_i64(&b, PART_MAGIC);
        crm__bytes_put(&b, &none, sizeof none);
        crm__bytes_put_i64(&b, ccount[d]);
        for (int64_t i = 0; i < nc; i++) {
            if (cown[i] == d) {
                crm__bytes_put_str(&b, crm__cdr_strmap_text(&w->callers, i),
                                   crm__cdr_strmap_len(&w->callers, i));
            }
        }
        for (int64_t i = 0; i < nc; i++) {
            if (cown[i] == d) {
                crm__bytes_put(&b, &w->accs[i], sizeof w->accs[i]);
            }
        }
        /* the callees of those pairs (marked -2 first), and the callees d owns (for the
         * distinct count), in index order: their texts are read in arena order */
        for (int64_t k = pstart[d]; k < pstart[d + 1]; k++) {
            epos[pby[k] & 0xffffffffu] = -2;
        }
        for (int64_t e = 0; e < ne; e++) {
            if (epos[e] == -2 || crm__cdr_owner(w->callees.hashes[e], n_owners) == d) {
                epos[e] = n_e;
                elist[n_e++] = (int32_t)e;
            }
        }
        crm__bytes_put_i64(&b, n_e);
        for (int32_t q = 0; q < n_e; q++) {
            crm__bytes_put_str(&b, crm__cdr_strmap_text(&w->callees, elist[q]),
                               crm__cdr_strmap_len(&w->callees, elist[q]));
        }
        crm__bytes_put_i64(&b, pstart[d + 1] - pstart[d]);
        for (int64_t k = pstart[d]; k < pstart[d + 1]; k++) {
            uint64_t c = (uint64_t)cpos[pby[k] >> 32];
            uint64_t e = (uint64_t)epos[pby[k] & 0xffffffffu];
            crm__bytes_put_i64(&b, (int64_t)((c << 32) | e));
        }
        for (int32_t q = 0; q < n_e; q++) {
            epos[elist[q]] = -1;
        }
        sizes[d] = b.len - at;
    }
    rc = crm__bytes_out_take(&b, buf, &(size_t){ 0 }, err);
cleanup:
    CRM__FREE(b.p, cown, cpos, epos, elist, ccount, pstart, pfill, pby);
    return rc;
}

crm_status crm__cdr_part_finish_owned(crm_cdr_part *pt,
                                      int me,
                                      int n_owners,
                                      crm_cdr_features **out,
                                      crm_error *err)
{
    *out = NULL;
    return build(&pt->w, me, n_owners, out, err);
}

/* Whole numbers print as integers ("%.0f"); others with up to 10 significant digits. A
 * whole number >= 0 below 10^15 is written digit by digit (the bytes of "%.0f"). */
static void put_num(crm__bytes_out *b, double v)
{
    char buf[40];
    int n;
    if (v == floor(v) && fabs(v) < 1e15) {
        if (v >= 0 && !signbit(v)) {
            uint64_t u = (uint64_t)v;
            char *e = buf + sizeof buf;
            char *q = e;
            do {
                *--q = (char)('0' + u % 10);
                u /= 10;
            } while (u > 0);
            *--q = ',';
            crm__bytes_put(b, q, (size_t)(e - q));
            return;
        }
        n = snprintf(buf, sizeof buf, ",%.0f", v);
    } else {
        n = snprintf(buf, sizeof buf, ",%.10g", v);
    }
    crm__bytes_put(b, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
}

/* The CSV line of row i (id quoted when it must be, the features, a newline) onto b. */
static void put_row(crm__bytes_out *b, const crm_cdr_features *f, int64_t i)
{
    const char *id = f->ids + f->id_off[i];
    size_t len = strlen(id);
    if (strpbrk(id, ",\"\r\n") != NULL) {
        crm__bytes_put(b, "\"", 1);
        for (const char *c = id; *c; c++) {
            crm__bytes_put(b, c, 1);
            if (*c == '"') {
                crm__bytes_put(b, c, 1);
            }
        }
        crm__bytes_put(b, "\"", 1);
    } else {
        crm__bytes_put(b, id, len);
    }
    for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
        put_num(b, f->values[i * CRM_CDR_N_FEATURES + j]);
    }
    crm__bytes_put(b, "\n", 1);
}

#define ROWS_MAGIC 0x3257524443LL /* "CDRW2" */

crm_status
crm__cdr_features_export(const crm_cdr_features *f, char **buf, size_t *len, crm_error *err)
{
    crm__bytes_out b;
    memset(&b, 0, sizeof b);
    b.first_cap = (size_t)1 << 16;
    crm__bytes_put_i64(&b, ROWS_MAGIC);
    crm__bytes_put_i64(&b, f->n);
    /* each row: id, values, and its CSV line, made here so that the processes format
     * their own rows side by side and process 0 only copies them into the file */
    for (int64_t i = 0; i < f->n; i++) {
        const char *id = f->ids + f->id_off[i];
        size_t at;
        crm__bytes_put_str(&b, id, strlen(id));
        crm__bytes_put(&b, f->values + i * CRM_CDR_N_FEATURES,
                       CRM_CDR_N_FEATURES * sizeof *f->values);
        crm__bytes_put_i64(&b, 0); /* the line's length, set below */
        at = b.len;
        put_row(&b, f, i);
        if (!b.fail) {
            int64_t n = (int64_t)(b.len - at);
            memcpy(b.p + at - sizeof n, &n, sizeof n);
        }
    }
    return crm__bytes_out_take(&b, buf, len, err);
}

/* One exported run of rows being merged: its next row. */
typedef struct rows_in {
    crm__bytes_in r;
    int64_t left;
    const char *id;
    size_t id_len;
    const char *values;
    const char *line;
    size_t line_len;
} rows_in;

static int rows_next(rows_in *q)
{
    if (q->left == 0) {
        q->id = NULL;
        return 1;
    }
    q->left--;
    q->id = crm__bytes_get_str(&q->r, &q->id_len);
    q->values = q->r.p + q->r.at;
    if (q->id == NULL || q->r.len - q->r.at < CRM_CDR_N_FEATURES * sizeof(double) ||
        memchr(q->id, '\0', q->id_len) != NULL) {
        return 0;
    }
    q->r.at += CRM_CDR_N_FEATURES * sizeof(double);
    q->line = crm__bytes_get_str(&q->r, &q->line_len);
    return q->line != NULL;
}

/* strcmp order of two texts given with their lengths (the order of build) */
static int rows_before(const rows_in *a, const rows_in *b)
{
    size_t m = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, m);
    return c < 0 || (c == 0 && a->id_len < b->id_len);
}

static void heap_down(rows_in *q, int *h, int n, int k)
{
    for (;;) {
        int l = 2 * k + 1;
        int m = k;
        if (l < n && rows_before(&q[h[l]], &q[h[m]])) {
            m = l;
        }
        if (l + 1 < n && rows_before(&q[h[l + 1]], &q[h[m]])) {
            m = l + 1;
        }
        if (m == k) {
            return;
        }
        int t = h[k];
        h[k] = h[m];
        h[m] = t;
        k = m;
    }
}

crm_status crm__cdr_features_merge(const char *all,
                                   const size_t *sizes,
                                   int n_parts,
                                   const crm_cdr_summary *sum,
                                   crm_cdr_features **out,
                                   crm_error *err)
{
    crm_cdr_features *f = crm_calloc(1, sizeof *f);
    rows_in *q = crm_calloc((size_t)n_parts + 1, sizeof *q);
    int *h = crm_calloc((size_t)n_parts + 1, sizeof *h);
    int64_t n = 0;
    size_t at = 0;
    size_t pos = 0;
    int n_h = 0;
    int bad = 0;
    crm_status rc = CRM_OK;
    *out = NULL;
    if (f == NULL || q == NULL || h == NULL) {
        rc = crm__error_nomem(err);
        goto cleanup;
    }
    for (int k = 0; k < n_parts; k++) {
        q[k].r.p = all + at;
        q[k].r.len = sizes[k];
        at += sizes[k];
        bad |= crm__bytes_get_i64(&q[k].r) != ROWS_MAGIC;
        q[k].left = crm__bytes_get_count(&q[k].r, 16 + CRM_CDR_N_FEATURES * sizeof(double));
        n += q[k].left;
        bad |= q[k].r.bad;
    }
    f->n = n;
    f->sum = *sum;
    f->sum.n_customers = n;
    if (!bad) {
        f->ids = crm_malloc(at + 1); /* the ids are shorter than their runs */
        f->id_off = crm_mallocarray((size_t)n + 1, sizeof *f->id_off);
        f->values = crm_mallocarray((size_t)n * CRM_CDR_N_FEATURES + 1, sizeof *f->values);
        f->lines = crm_malloc(at + 1); /* the lines are shorter than their runs */
        f->line_off = crm_mallocarray((size_t)n + 1, sizeof *f->line_off);
        if (f->ids == NULL || f->id_off == NULL || f->values == NULL || f->lines == NULL ||
            f->line_off == NULL) {
            rc = crm__error_nomem(err);
            goto cleanup;
        }
        f->line_off[0] = 0;
    }
    for (int k = 0; k < n_parts && !bad; k++) {
        bad |= !rows_next(&q[k]);
        if (q[k].id != NULL) {
            h[n_h++] = k;
        }
    }
    for (int k = n_h / 2 - 1; k >= 0 && !bad; k--) {
        heap_down(q, h, n_h, k);
    }
    for (int64_t i = 0; n_h > 0 && !bad; i++) {
        rows_in *t = &q[h[0]];
        memcpy(f->ids + pos, t->id, t->id_len);
        f->ids[pos + t->id_len] = '\0';
        f->id_off[i] = pos;
        pos += t->id_len + 1;
        memcpy(f->values + i * CRM_CDR_N_FEATURES, t->values,
               CRM_CDR_N_FEATURES * sizeof *f->values);
        memcpy(f->lines + f->line_off[i], t->line, t->line_len);
        f->line_off[i + 1] = f->line_off[i] + t->line_len;
        bad |= !rows_next(t);
        if (t->id == NULL) {
            h[0] = h[--n_h];
        }
        heap_down(q, h, n_h, 0);
    }
    for (int k = 0; k < n_parts && !bad; k++) {
        bad |= !crm__bytes_in_done(&q[k].r);
    }
    if (bad) {
        rc = crm__error_set(err, CRM_EPARSE, "CDR features from another process are damaged");
    } else {
        *out = f;
        f = NULL;
    }
cleanup:
    crm_free(h);
    crm_free(q);
    crm_cdr_features_free(f);
    return rc;
}

void crm_cdr_features_free(crm_cdr_features *f)
{
    if (f == NULL) {
        return;
    }
    CRM__FREE(f->ids, f->id_off, f->values, f->lines, f->line_off, f);
}

int64_t crm_cdr_features_n_customers(const crm_cdr_features *f)
{
    return f->n;
}

const char *crm_cdr_features_id(const crm_cdr_features *f, int64_t i)
{
    return (i >= 0 && i < f->n) ? f->ids + f->id_off[i] : NULL;
}

double crm_cdr_features_value(const crm_cdr_features *f, int64_t i, int32_t j)
{
    if (i < 0 || i >= f->n || j < 0 || j >= CRM_CDR_N_FEATURES) {
        return (double)NAN;
    }
    return f->values[i * CRM_CDR_N_FEATURES + j];
}

crm_cdr_summary crm_cdr_features_summary(const crm_cdr_features *f)
{
    return f->sum;
}

crm_status crm_cdr_features_write_csv(const crm_cdr_features *f, const char *path, crm_error *err)
{
    crm_outfile *o = NULL;
    crm__bytes_out b;
    FILE *fp;
    crm_status rc = crm_outfile_open(path, &o, err);
    if (rc != CRM_OK) {
        return rc;
    }
    memset(&b, 0, sizeof b);
    b.first_cap = (size_t)1 << 16;
    fp = crm_outfile_stream(o);
    fputs("subscriber_id", fp);
    for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
        fprintf(fp, ",%s", feature_names[j]);
    }
    fputc('\n', fp);
    if (f->lines != NULL) {
        (void)fwrite(f->lines, 1, f->line_off[f->n], fp);
    }
    for (int64_t i = 0; f->lines == NULL && i < f->n; i++) {
        b.len = 0;
        put_row(&b, f, i);
        if (b.fail) {
            break;
        }
        (void)fwrite(b.p, 1, b.len, fp);
    }
    if (b.fail) {
        crm_free(b.p);
        crm_outfile_abort(o);
        return crm__error_nomem(err);
    }
    crm_free(b.p);
    return crm_outfile_commit(o, err);
}

crm_status crm_cdr_features_to_table(const crm_cdr_features *f, crm_table **out, crm_error *err)
{
    crm_table *t = NULL;
    const char **ids = crm_mallocarray((size_t)f->n + 1, sizeof *ids);
    double *col = crm_mallocarray((size_t)f->n + 1, sizeof *col);
    crm_status rc = CRM_OK;
    *out = NULL;
    if (ids == NULL || col == NULL) {
        rc = crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        rc = crm_table_new(f->n, "CDR features", &t, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < f->n; i++) {
        ids[i] = f->ids + f->id_off[i];
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_text(t, "subscriber_id", CRM_COL_ID, ids, err);
    }
    for (int32_t j = 0; rc == CRM_OK && j < CRM_CDR_N_FEATURES; j++) {
        for (int64_t i = 0; i < f->n; i++) {
            col[i] = f->values[i * CRM_CDR_N_FEATURES + j];
        }
        rc = crm_table_add_numeric(t, feature_names[j], col, err);
    }
    if (rc == CRM_OK) {
        *out = t;
        t = NULL;
    }
    crm_table_free(t);
    crm_free(ids);
    crm_free(col);
    return rc;
}
