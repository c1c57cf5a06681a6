/* csv_read.c: the CSV reader's driver: header, overrides, splitting the body into chunks,
 * parsing them in parallel, then deciding column types and building the table.
 *
 * Splitting at record boundaries with quotes: in input the grammar accepts, a quote
 * character only opens a field, closes it, or appears doubled inside it, so a newline is a
 * record boundary exactly when the number of quote characters before it is even. A first
 * pass counts quotes and newlines per fixed byte block (vectorisable); a prefix sum gives
 * each block's parity, and each chunk starts after the first newline of even parity in its
 * block. Chunks before the first malformed byte are therefore split exactly as a serial
 * reader would split them, the chunk holding it reports the same first error, and a chunk
 * whose last record runs past its end (impossible without an earlier error) makes the
 * reader fall back to one chunk. Results never depend on the number of threads or chunks:
 * levels are merged chunk by chunk in input order (order of first appearance). */
#define _DEFAULT_SOURCE /* madvise */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <crmkit/dist.h>

#include "core/core_internal.h"
#include "csv_internal.h"
#include "reader.h"

#define MIN_CHUNK_BYTES ((size_t)1 << 20)

crm_csv_options crm_csv_options_default(void)
{
    crm_csv_options o;
    memset(&o, 0, sizeof o);
    o.delimiter = ',';
    o.quote = '"';
    o.types = NULL;
    o.na_values = NULL;
    o.max_rows = 0;
    o.max_field_bytes = 1 << 20;
    o.max_cols = 16384;
    o.n_threads = 0;
    return o;
}

static void free_list(char **list, int32_t n)
{
    if (list == NULL) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        crm_free(list[i]);
    }
    crm_free(list);
}

/* Split s at commas into new strings (empty items kept only when keep_empty). */
static crm_status split_commas(const char *s, char ***out, int32_t *n_out, crm_error *err)
{
    int32_t cap = 1;
    int32_t n = 0;
    char **list;
    *out = NULL;
    *n_out = 0;
    for (const char *c = s; *c; c++) {
        cap += (*c == ',');
    }
    list = crm_calloc((size_t)cap, sizeof *list);
    if (list == NULL) {
        return crm__error_nomem(err);
    }
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 0) {
            list[n] = crm_malloc(len + 1);
            if (list[n] == NULL) {
                free_list(list, n);
                return crm__error_nomem(err);
            }
            memcpy(list[n], s, len);
            list[n][len] = '\0';
            n++;
        }
        s += len;
        if (*s == ',') {
            s++;
        }
    }
    *out = list;
    *n_out = n;
    return CRM_OK;
}

static int name_like_id(const char *name)
{
    size_t n = strlen(name);
    char low[64];
    if (n == 0 || n >= sizeof low) {
        return 0;
    }
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    if (strcmp(low, "id") == 0 || strcmp(low, "msisdn") == 0 || strcmp(low, "imsi") == 0 ||
        strcmp(low, "uuid") == 0 || strcmp(low, "key") == 0) {
        return 1;
    }
    if (n > 3 && (strcmp(low + n - 3, "_id") == 0 || strcmp(low + n - 3, "-id") == 0 ||
                  strcmp(low + n - 3, " id") == 0)) {
        return 1;
    }
    /* camelCase: customerID, subscriberId */
    return n > 2 && name[n - 2] == 'I' && (name[n - 1] == 'D' || name[n - 1] == 'd') &&
           name[n - 3] >= 'a' && name[n - 3] <= 'z';
}

typedef struct read_state {
    csv_parser ps;
    csv_chunk *chunks;
    int32_t n_chunks;
    int64_t total_bound;
    int64_t body_line;
    const char *body;
    int n_threads;
    size_t chunk_bytes;
    int release; /* the text is a file mapping: drop each chunk's pages once parsed */
    /* Copies of the text in blocks (stream_rows): from fd with pread when fd >= 0, else
     * from memory; 0 = parse the text in place. block: each thread's first buffer. */
    int copy;
    int fd;
    size_t block;
} read_state;

static void chunk_fini(csv_chunk *ch, int32_t n_cols)
{
    if (ch->cs != NULL) {
        for (int32_t j = 0; j < n_cols; j++) {
            crm__dict_fini(&ch->cs[j].dict);
        }
    }
    crm_free(ch->cs);
    crm_free(ch->scratch);
    ch->cs = NULL;
    ch->scratch = NULL;
}

static void state_fini(read_state *st)
{
    csv_parser *ps = &st->ps;
    for (int32_t c = 0; c < st->n_chunks; c++) {
        chunk_fini(&st->chunks[c], ps->n_cols);
    }
    crm_free(st->chunks);
    free_list(ps->names, ps->n_cols);
    free_list(ps->na, ps->n_na);
    if (ps->vals != NULL) {
        for (int32_t j = 0; j < ps->n_cols; j++) {
            crm_free(ps->vals[j]);
        }
    }
    CRM__FREE(ps->vals, ps->ov, ps->row_line);
}

/* Header row: column names (trimmed), limits, duplicates. */
static crm_status read_header(read_state *st, const crm_csv_options *opt, crm_error *err)
{
    csv_parser *ps = &st->ps;
    const char *end = ps->base + ps->len;
    const char *p = ps->base;
    int64_t line = 1;
    int32_t cap = 16;
    csv_chunk tmp;
    crm__dict seen;
    crm_status rc = CRM_OK;
    memset(&tmp, 0, sizeof tmp);
    crm__dict_init(&seen);
    if (ps->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3; /* UTF-8 byte order mark */
    }
    while (p < end && (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n')))) {
        p += (*p == '\r' && p + 1 < end) ? 2 : 1;
        line++;
    }
    if (p == end) {
        return crm__error_at(err, CRM_EDATA, ps->source, 0, 0,
                             "empty file: expected a header row and data rows");
    }
    ps->names = crm_calloc((size_t)cap, sizeof *ps->names);
    if (ps->names == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t j = 0;; j++) {
        csv_field f;
        const char *s;
        size_t len;
        int32_t code;
        if (j == opt->max_cols) {
            rc = crm__error_at(err, CRM_ELIMIT, ps->source, line, j + 1, "more than %d columns",
                               opt->max_cols);
            goto cleanup;
        }
        rc = crm__csv_scan_field(ps, &tmp, &p, &line, j, NULL, &f);
        if (rc != CRM_OK) {
            *err = tmp.err;
            goto cleanup;
        }
        if (j == cap) {
            char **nn = crm_realloc(ps->names, (size_t)cap * 2 * sizeof *nn);
            if (nn == NULL) {
                rc = crm__error_nomem(err);
                goto cleanup;
            }
            memset(nn + cap, 0, (size_t)cap * sizeof *nn);
            ps->names = nn;
            cap *= 2;
        }
        s = f.s;
        len = f.len;
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
            len--;
        }
        ps->names[j] = crm_malloc(len + 24);
        if (ps->names[j] == NULL) {
            rc = crm__error_nomem(err);
            goto cleanup;
        }
        ps->n_cols = j + 1;
        if (len == 0) {
            (void)snprintf(ps->names[j], len + 24, "unnamed_%d", j + 1);
        } else {
            memcpy(ps->names[j], s, len);
            ps->names[j][len] = '\0';
        }
        if (crm__dict_find(&seen, ps->names[j], strlen(ps->names[j])) >= 0) {
            rc = crm__error_at(err, CRM_EDATA, ps->source, line, j + 1, "duplicate column name");
            crm__error_field(err, ps->names[j]);
            goto cleanup;
        }
        if (crm__dict_intern(&seen, ps->names[j], strlen(ps->names[j]), &code) != CRM_OK) {
            rc = crm__error_nomem(err);
            goto cleanup;
        }
        if (p < end && *p == ps->delim) {
            p++;
            continue;
        }
        if (p < end) {
            p++;
        }
        line++;
        break;
    }
    st->body = p;
    st->body_line = line;
cleanup:
    crm_free(tmp.scratch);
    crm__dict_fini(&seen);
    return rc;
}

static crm_status apply_types(read_state *st, const crm_csv_options *opt, crm_error *err)
{
    csv_parser *ps = &st->ps;
    char **items = NULL;
    int32_t n = 0;
    crm_status rc;
    ps->ov = crm_mallocarray((size_t)ps->n_cols, sizeof *ps->ov);
    if (ps->ov == NULL) {
        return crm__error_nomem(err);
    }
    memset(ps->ov, CSV_OV_NONE, (size_t)ps->n_cols);
    if (opt->types == NULL || opt->types[0] == '\0') {
        return CRM_OK;
    }
    rc = split_commas(opt->types, &items, &n, err);
    for (int32_t i = 0; rc == CRM_OK && i < n; i++) {
        char *colon = strrchr(items[i], ':');
        const char *ty;
        int32_t j = -1;
        if (colon == NULL) {
            rc = crm__error_set(err, CRM_EINVAL, "type override \"%s\" is not name:type", items[i]);
            break;
        }
        *colon = '\0';
        ty = colon + 1;
        for (int32_t k = 0; k < ps->n_cols; k++) {
            if (strcmp(ps->names[k], items[i]) == 0) {
                j = k;
            }
        }
        if (j < 0) {
            char near[160];
            rc = crm__error_at(err, CRM_ENOTFOUND, ps->source, 0, 0,
                               "type override names a column the file does not have%s",
                               crm__did_you_mean(items[i], (const char *const *)ps->names,
                                                 ps->n_cols, near, (int32_t)sizeof near));
            crm__error_field(err, items[i]);
        } else if (strcmp(ty, "num") == 0 || strcmp(ty, "numeric") == 0) {
            ps->ov[j] = CRM_COL_NUMERIC;
        } else if (strcmp(ty, "cat") == 0 || strcmp(ty, "categorical") == 0) {
            ps->ov[j] = CRM_COL_CATEGORICAL;
        } else if (strcmp(ty, "id") == 0) {
            ps->ov[j] = CRM_COL_ID;
        } else {
            rc = crm__error_set(err, CRM_EINVAL,
                                "unknown column type \"%s\" for \"%s\" (use num, cat or id)", ty,
                                items[i]);
        }
    }
    free_list(items, n);
    return rc;
}

/* Quotes and newlines in s[n]: byte counters over runs of at most 255 bytes, which the
 * compiler turns into vector compares and subtracts. */
static void count_block(const char *s, size_t n, char quote, int64_t *nq, int64_t *nl)
{
    int64_t q = 0;
    int64_t l = 0;
    while (n > 0) {
        size_t m = n < 255 ? n : 255;
        unsigned char cq = 0;
        unsigned char cl = 0;
        for (size_t i = 0; i < m; i++) {
            cq = (unsigned char)(cq + (s[i] == quote));
            cl = (unsigned char)(cl + (s[i] == '\n'));
        }
        q += cq;
        l += cl;
        s += m;
        n -= m;
    }
    *nq = q;
    *nl = l;
}

/* The whole body as one chunk, without a counting pass over it (a second read of the whole
 * text from memory, 0.1-0.2 s of a 300 MB file): the rows are estimated from the newlines
 * of its first MiB, a fifth more, and the arrays grow if the estimate falls short (pages
 * never written cost nothing; the table shrinks them to the rows read). */
/* Rows to reserve for the body: exact when it is at most 1 MiB, else estimated from the
 * newlines of its first MiB, a fifth more (*exact says which). */
static int64_t estimate_rows(const read_state *st, int *exact)
{
    const char *end = st->ps.base + st->ps.len;
    size_t body_len = (size_t)(end - st->body);
    size_t sample = body_len < ((size_t)1 << 20) ? body_len : ((size_t)1 << 20);
    int64_t nl = 0;
    int64_t bound;
    for (const char *p = memchr(st->body, '\n', sample); p != NULL;
         p = memchr(p + 1, '\n', (size_t)(st->body + sample - p - 1))) {
        nl++;
    }
    *exact = sample == body_len;
    if (*exact) {
        bound = nl + 1;
    } else {
        double per_byte = (double)(nl + 1) / (double)sample;
        bound = (int64_t)(per_byte * (double)body_len * 1.2) + 1024;
    }
    if (st->ps.max_rows > 0 && bound > st->ps.max_rows + 1) {
        bound = st->ps.max_rows + 1;
    }
    return bound;
}

static crm_status plan_one_chunk(read_state *st, crm_error *err)
{
    const char *end = st->ps.base + st->ps.len;
    int exact;
    int64_t bound = estimate_rows(st, &exact);
    csv_chunk *ch;
    st->chunks = crm_calloc(1, sizeof *st->chunks);
    if (st->chunks == NULL) {
        return crm__error_nomem(err);
    }
    ch = &st->chunks[0];
    ch->begin = st->body;
    ch->end = end;
    ch->line0 = st->body_line;
    ch->row0 = 0;
    ch->bound = bound;
    ch->grow = !exact;
    st->n_chunks = 1;
    st->total_bound = bound;
    return CRM_OK;
}

/* The only chunk filled its estimated rows: a half more for every column (realloc moves
 * the pages of a large block without copying them). */
static crm_status resize_arrays(read_state *st, int64_t nb)
{
    csv_parser *ps = &st->ps;
    int64_t *rl = crm_realloc(ps->row_line, (size_t)nb * sizeof *rl);
    if (rl == NULL) {
        return CRM_ENOMEM;
    }
    ps->row_line = rl;
    for (int32_t j = 0; j < ps->n_cols; j++) {
        double *v = crm_realloc(ps->vals[j], (size_t)nb * sizeof *v);
        if (v == NULL) {
            return CRM_ENOMEM;
        }
        ps->vals[j] = v;
    }
    st->total_bound = nb;
    return CRM_OK;
}

/* Cut the body into chunks starting at record boundaries; sets begin/end/line0/bound/row0. */
static crm_status plan_chunks(read_state *st, crm_error *err)
{
    csv_parser *ps = &st->ps;
    const char *end = ps->base + ps->len;
    size_t body_len = (size_t)(end - st->body);
    size_t cb = st->chunk_bytes;
    int64_t n_fixed;
    int64_t *nq = NULL;
    int64_t *nl = NULL;
    int64_t q_before = 0;
    int64_t l_before = 0;
    int32_t n = 0;
    if (cb == 0) {
        cb = body_len;
        if (st->n_threads > 1 && ps->max_rows == 0) {
            cb = body_len / ((size_t)st->n_threads * 4) + 1;
            cb = cb < MIN_CHUNK_BYTES ? MIN_CHUNK_BYTES : cb;
        }
    }
    if (cb == 0 || ps->max_rows > 0) {
        cb = body_len > 0 ? body_len : 1;
    }
    n_fixed = (int64_t)((body_len + cb - 1) / cb);
    if (n_fixed < 1) {
        n_fixed = 1;
    }
    if (n_fixed == 1) {
        return plan_one_chunk(st, err);
    }
    nq = crm_mallocarray((size_t)n_fixed, sizeof *nq);
    nl = crm_mallocarray((size_t)n_fixed, sizeof *nl);
    st->chunks = crm_calloc((size_t)n_fixed, sizeof *st->chunks);
    if (nq == NULL || nl == NULL || st->chunks == NULL) {
        crm_free(nq);
        crm_free(nl);
        return crm__error_nomem(err);
    }
#pragma omp parallel for schedule(static) num_threads(st->n_threads) if (n_fixed > 1)
    for (int64_t f = 0; f < n_fixed; f++) {
        size_t b = (size_t)f * cb;
        size_t e = b + cb < body_len ? b + cb : body_len;
        count_block(st->body + b, e - b, ps->quote, &nq[f], &nl[f]);
    }
    for (int64_t f = 0; f < n_fixed; f++) {
        const char *b = st->body + (size_t)f * cb;
        const char *e = (size_t)(f + 1) * cb < body_len ? st->body + (size_t)(f + 1) * cb : end;
        const char *start = NULL;
        int64_t lines = 0;
        if (f == 0) {
            start = b;
        } else {
            int parity = (int)(q_before & 1);
            for (const char *p = b; p < e; p++) {
                if (*p == ps->quote) {
                    parity ^= 1;
                } else if (*p == '\n') {
                    lines++;
                    if (parity == 0) {
                        start = p + 1;
                        break;
                    }
                }
            }
        }
        if (start != NULL && (start < end || n == 0)) {
            csv_chunk *ch = &st->chunks[n];
            ch->begin = start;
            ch->line0 = st->body_line + l_before + lines;
            if (n > 0) {
                st->chunks[n - 1].end = start;
                st->chunks[n - 1].bound = ch->line0 - st->chunks[n - 1].line0;
            }
            n++;
        }
        q_before += nq[f];
        l_before += nl[f];
    }
    st->chunks[n - 1].end = end;
    st->chunks[n - 1].bound = st->body_line + l_before - st->chunks[n - 1].line0 + 1;
    st->n_chunks = n;
    st->total_bound = 0;
    for (int32_t c = 0; c < n; c++) {
        st->chunks[c].row0 = st->total_bound;
        st->total_bound += st->chunks[c].bound;
    }
    crm_free(nq);
    crm_free(nl);
    return CRM_OK;
}

/* A chunk's per-column statistics, before it is parsed. */
static crm_status chunk_stats(const csv_parser *ps, csv_chunk *ch)
{
    ch->cs = crm_calloc((size_t)ps->n_cols, sizeof *ch->cs);
    if (ch->cs == NULL) {
        return CRM_ENOMEM;
    }
    for (int32_t j = 0; j < ps->n_cols; j++) {
        csv_colstat *cs = &ch->cs[j];
        crm__dict_init(&cs->dict);
        cs->switch_row = (ps->ov[j] == CRM_COL_CATEGORICAL || ps->ov[j] == CRM_COL_ID) ? 0 : -1;
        cs->word_row = -1;
        cs->inf_row = -1;
    }
    return CRM_OK;
}

static crm_status alloc_arrays(read_state *st, crm_error *err)
{
    csv_parser *ps = &st->ps;
    size_t nb = (size_t)st->total_bound;
    ps->vals = crm_calloc((size_t)ps->n_cols, sizeof *ps->vals);
    ps->row_line = crm_mallocarray(nb, sizeof *ps->row_line);
    if (ps->vals == NULL || ps->row_line == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t j = 0; j < ps->n_cols; j++) {
        ps->vals[j] = crm_mallocarray(nb, sizeof(double));
        if (ps->vals[j] == NULL) {
            return crm__error_nomem(err);
        }
    }
    for (int32_t c = 0; c < st->n_chunks; c++) {
        if (chunk_stats(ps, &st->chunks[c]) != CRM_OK) {
            return crm__error_nomem(err);
        }
    }
    return CRM_OK;
}

/* A mapped file's whole pages inside [b, e), given back once their chunk is parsed: the
 * table's columns then grow while the file's pages leave, instead of the two side by side
 * (the columns of 10 M rows are gigabytes, and so is the file). A later read of the text
 * (a categorical column's levels, the one-chunk retry, an error message) faults the pages
 * back from the file. */
static void release_text(const char *b, const char *e)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)b + page - 1) & ~(page - 1);
    uintptr_t to = (uintptr_t)e & ~(page - 1);
    if (page > 0 && to > from) {
        (void)madvise((void *)from, to - from, MADV_DONTNEED);
    }
}

/* The first failed chunk's error in file order, CRM_EINTERNAL for a chunk whose last record
 * ran past its end (the caller retries with one chunk), else CRM_OK; with a row limit only
 * the first chunk counts. */
static crm_status chunks_status(const read_state *st, crm_error *err)
{
    for (int32_t c = 0; c < st->n_chunks; c++) {
        const csv_chunk *ch = &st->chunks[c];
        if (ch->rc != CRM_OK) {
            if (err != NULL) {
                *err = ch->err;
            }
            return ch->rc;
        }
        if (ch->misaligned) {
            return CRM_EINTERNAL;
        }
        if (st->ps.max_rows > 0) {
            break;
        }
    }
    return CRM_OK;
}

/* Rows [r0, r1) of every column, made present before the parse writes them (crm__populate:
 * one call each instead of a fault per page). */
static void populate_rows(const csv_parser *ps, int64_t r0, int64_t r1)
{
    crm__populate(ps->row_line + r0, (size_t)(r1 - r0) * sizeof *ps->row_line);
    for (int32_t j = 0; j < ps->n_cols; j++) {
        crm__populate(ps->vals[j] + r0, (size_t)(r1 - r0) * sizeof(double));
    }
}

#define LONE_WINDOW 65536 /* rows of the lone chunk between two pauses */

/* The lone chunk, whose rows are an estimate (no counting pass before it), in windows of
 * LONE_WINDOW rows: each window's rows made present before it is parsed, a mapped file's
 * pages behind it given back after (so they leave as the columns fill, instead of the
 * whole file staying beside them), and the arrays grown when the estimate falls short. */
static void parse_lone(read_state *st, csv_chunk *ch)
{
    const csv_parser *ps = &st->ps;
    const char *kept = ch->begin; /* the text before it is given back */
    for (;;) {
        int64_t from = ch->n_rows;
        int64_t to = st->total_bound - from > LONE_WINDOW ? from + LONE_WINDOW : st->total_bound;
        populate_rows(ps, ch->row0 + from, ch->row0 + to);
        ch->bound = to;
        crm__csv_parse_chunk(ps, ch);
        if (!ch->full) {
            return;
        }
        ch->full = 0;
        if (st->release) {
            release_text(kept, ch->at);
            kept = ch->at;
        }
        if (to == st->total_bound &&
            resize_arrays(st, st->total_bound + st->total_bound / 2 + 1024) != CRM_OK) {
            crm__error_nomem(&ch->err);
            ch->rc = CRM_ENOMEM;
            return;
        }
    }
}

static crm_status parse_chunks(read_state *st, const crm_progress *progress, crm_error *err)
{
    csv_parser *ps = &st->ps;
    int cancel = 0;
    int32_t done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(st->n_threads) if (st->n_chunks > 1)
    for (int32_t c = 0; c < st->n_chunks; c++) {
        int stop;
#pragma omp atomic read
        stop = cancel;
        if (stop) {
            st->chunks[c].rc = CRM_ECANCELLED;
            continue;
        }
        if (st->chunks[c].grow) {
            parse_lone(st, &st->chunks[c]);
        } else {
            populate_rows(ps, st->chunks[c].row0, st->chunks[c].row0 + st->chunks[c].bound);
            crm__csv_parse_chunk(ps, &st->chunks[c]);
        }
        if (st->release) {
            release_text(st->chunks[c].begin, st->chunks[c].end);
        }
        {
            int32_t d;
#pragma omp atomic capture
            d = ++done;
#ifdef _OPENMP
            if (omp_get_thread_num() == 0 &&
#else
            if (
#endif
                !crm_progress_report(progress, "reading CSV", (double)d / st->n_chunks)) {
#pragma omp atomic write
                cancel = 1;
            }
        }
    }
    if (cancel) {
        return crm__error_set(err, CRM_ECANCELLED, "reading %s was cancelled", ps->source);
    }
    return chunks_status(st, err);
}

/* Close the gaps left where a chunk held fewer records than it reserved. */
static int64_t compact(read_state *st)
{
    csv_parser *ps = &st->ps;
    int64_t at = 0;
    for (int32_t c = 0; c < st->n_chunks; c++) {
        csv_chunk *ch = &st->chunks[c];
        size_t n = (size_t)ch->n_rows;
        if (ch->row0 != at && n > 0) {
            for (int32_t j = 0; j < ps->n_cols; j++) {
                memmove(ps->vals[j] + at, ps->vals[j] + ch->row0, n * sizeof(double));
            }
            memmove(ps->row_line + at, ps->row_line + ch->row0, n * sizeof(int64_t));
        }
        ch->row0 = at;
        at += ch->n_rows;
    }
    return at;
}

typedef struct col_verdict {
    crm_col_type type;
    int64_t err_line; /* 0 = no error */
    int64_t err_row;
    int inf; /* error is an infinite value, not a word */
    const char *text;
} col_verdict;

/* Column j's type from its counts of numbers and words, or the first bad value: the first
 * word (word_text, NULL = none, at word_line) or else the first infinite number (at
 * inf_line, where has_inf). */
static col_verdict decide_column(const csv_parser *ps,
                                 int32_t j,
                                 int64_t n_num,
                                 int64_t n_word,
                                 const char *word_text,
                                 int64_t word_line,
                                 int has_inf,
                                 int64_t inf_line)
{
    col_verdict v = { CRM_COL_NUMERIC, 0, 0, 0, NULL };
    if (ps->ov[j] == CRM_COL_CATEGORICAL || ps->ov[j] == CRM_COL_ID) {
        v.type = (crm_col_type)ps->ov[j];
        return v;
    }
    if (n_word > 0 && ps->ov[j] != CRM_COL_NUMERIC &&
        !(n_num > 0 && n_word * 20 < n_num + n_word)) {
        v.type = CRM_COL_CATEGORICAL;
        return v;
    }
    if (n_word > 0 && word_text != NULL) { /* a counted word was always noted */
        v.err_line = word_line;
        v.text = word_text;
    } else if (has_inf) {
        v.err_line = inf_line;
        v.inf = 1;
    }
    return v;
}

static col_verdict judge_column(const read_state *st, int32_t j)
{
    const csv_parser *ps = &st->ps;
    int64_t n_num = 0;
    int64_t n_word = 0;
    const csv_colstat *word = NULL;
    const csv_colstat *inf = NULL;
    for (int32_t c = 0; c < st->n_chunks; c++) {
        const csv_colstat *cs = &st->chunks[c].cs[j];
        n_num += st->chunks[c].n_rows - cs->n_missing - cs->n_word;
        n_word += cs->n_word;
        if (word == NULL && cs->word_row >= 0) {
            word = cs;
        }
        if (inf == NULL && cs->inf_row >= 0) {
            inf = cs;
        }
    }
    return decide_column(ps, j, n_num, n_word, word ? word->word : NULL, word ? word->word_line : 0,
                         inf != NULL, inf ? inf->inf_line : 0);
}

static crm_status build_text(read_state *st, int32_t j, crm__col *col, crm_error *err)
{
    csv_parser *ps = &st->ps;
    int32_t *map = NULL;
    crm_status rc = CRM_OK;
    int64_t n_rows = st->chunks[st->n_chunks - 1].row0 + st->chunks[st->n_chunks - 1].n_rows;
    col->codes = crm_mallocarray((size_t)n_rows, sizeof(int32_t));
    if (col->codes == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t c = 0; c < st->n_chunks && rc == CRM_OK; c++) {
        csv_chunk *ch = &st->chunks[c];
        csv_colstat *cs = &ch->cs[j];
        const double *v = ps->vals[j] + ch->row0;
        int32_t *out = col->codes + ch->row0;
        int64_t sw = cs->switch_row < 0 ? ch->n_rows : cs->switch_row;
        const char *p = ch->begin;
        for (int64_t r = 0; r < sw && rc == CRM_OK; r++) {
            csv_field f;
            out[r] = -1;
            rc = crm__csv_next_field(ps, ch, &p, j, &f);
            if (rc == CRM_OK && !isnan(v[r])) {
                rc = crm__dict_intern(&col->dict, f.s, f.len, &out[r]);
            }
        }
        if (rc == CRM_OK && cs->dict.n > 0) {
            map = crm_mallocarray((size_t)cs->dict.n, sizeof *map);
            if (map == NULL) {
                rc = CRM_ENOMEM;
                break;
            }
            for (int32_t k = 0; k < cs->dict.n && rc == CRM_OK; k++) {
                const char *s = crm__dict_text(&cs->dict, k);
                size_t len = (k + 1 < cs->dict.n ? cs->dict.off[k + 1] : cs->dict.arena_len) -
                             cs->dict.off[k] - 1;
                rc = crm__dict_intern(&col->dict, s, len, &map[k]);
            }
            for (int64_t r = sw; r < ch->n_rows && rc == CRM_OK; r++) {
                out[r] = v[r] < 0 ? -1 : map[(int32_t)v[r]];
            }
            crm_free(map);
            map = NULL;
        } else {
            for (int64_t r = sw; r < ch->n_rows; r++) {
                out[r] = -1;
            }
        }
        crm__dict_fini(&cs->dict);
    }
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    if (rc != CRM_OK) {
        return crm__error_at(err, rc, ps->source, 0, 0, "column has too many distinct values");
    }
    return CRM_OK;
}

/* An empty column j of the given type, named from the header (the name moves on push). */
static void col_start(crm__col *col, const csv_parser *ps, int32_t j, crm_col_type type)
{
    memset(col, 0, sizeof *col);
    crm__dict_init(&col->dict);
    col->type = type;
    col->name = ps->names[j];
}

/* The error for column j whose verdict v found a bad value. */
static crm_status
column_error(const csv_parser *ps, const col_verdict *v, int32_t j, crm_error *err)
{
    crm_status rc;
    if (v->inf) {
        rc = crm__error_at(err, CRM_EPARSE, ps->source, v->err_line, j + 1,
                           "infinite value in a numeric column");
    } else {
        rc = crm__error_at(err, CRM_EPARSE, ps->source, v->err_line, j + 1,
                           "expected a number, got \"%s\"%s", v->text,
                           ps->ov[j] == CRM_COL_NUMERIC
                               ? ""
                               : " (fewer than 1 in 20 values of this column are words: "
                                 "override it as cat to accept them)");
    }
    crm__error_field(err, ps->names[j]);
    return rc;
}

static crm_status build_table(read_state *st, int64_t n_rows, crm_table **out, crm_error *err)
{
    csv_parser *ps = &st->ps;
    col_verdict *verdict;
    crm_table *t = NULL;
    crm_status rc;
    int32_t bad = -1;
    verdict = crm_mallocarray((size_t)ps->n_cols, sizeof *verdict);
    if (verdict == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t j = 0; j < ps->n_cols; j++) {
        verdict[j] = judge_column(st, j);
        if (verdict[j].err_line > 0 && (bad < 0 || verdict[j].err_line < verdict[bad].err_line)) {
            bad = j;
        }
    }
    if (bad >= 0) {
        rc = column_error(ps, &verdict[bad], bad, err);
        goto cleanup;
    }
    rc = crm_table_new(n_rows, ps->source, &t, err);
    for (int32_t j = 0; rc == CRM_OK && j < ps->n_cols; j++) {
        crm__col col;
        col_start(&col, ps, j, verdict[j].type);
        if (col.type == CRM_COL_NUMERIC) {
            double *shrunk = n_rows < st->total_bound
                                 ? crm_realloc(ps->vals[j], (size_t)n_rows * sizeof(double))
                                 : NULL;
            col.num = shrunk ? shrunk : ps->vals[j];
        } else {
            rc = build_text(st, j, &col, err);
            if (rc == CRM_OK && col.type == CRM_COL_CATEGORICAL && ps->ov[j] == CSV_OV_NONE &&
                (name_like_id(col.name) || (col.dict.n >= 20 && col.dict.n == n_rows))) {
                col.type = CRM_COL_ID;
            }
            crm__dict_seal(&col.dict);
        }
        if (rc == CRM_OK) {
            rc = crm__table_push_col(t, &col, err);
        }
        if (rc != CRM_OK) {
            crm_free(col.codes);
            crm__dict_fini(&col.dict);
            break;
        }
        if (col.type == CRM_COL_NUMERIC) {
            ps->vals[j] = NULL;
        } else {
            crm_free(ps->vals[j]);
            ps->vals[j] = NULL;
        }
        ps->names[j] = NULL;
    }
    if (rc == CRM_OK) {
        int64_t *rl = n_rows > 0 ? crm_realloc(ps->row_line, (size_t)n_rows * sizeof *rl) : NULL;
        t->row_line = rl ? rl : ps->row_line;
        ps->row_line = NULL;
        *out = t;
        t = NULL;
    }
cleanup:
    crm_table_free(t);
    crm_free(verdict);
    return rc;
}

/* ---- the body from copies, block by block ------------------------------------------------ *
 * Where a mapped page's first touch is dear (mapped_pages_cheap says no: a virtual machine
 * whose hypervisor handles the first touch of every 4 KiB page of a mapping, about 3 us a
 * page, 0.2-0.3 s of a 300 MB file, as long as the parse itself), a large file's mapping is
 * not parsed in place: copying the page cache with pread into a buffer that each thread
 * reuses (its pages touched once; 1 MiB, so the copy is still in the cache when it is
 * parsed) is far cheaper. Blocks
 * are handed out in file order under a lock: read, cut after the last newline outside quotes
 * (a record longer than the buffer doubles it), their newlines counted for the next block's
 * first line; the copy is parsed outside the lock. The chunk then points at the mapping's
 * bytes, which only the rare second reads touch (rows of a column that turned out to be
 * text, messages). The rows reserved are an estimate: when they or the chunk slots run out,
 * the threads stop taking blocks, the arrays grow, and the reading goes on where it stopped. */

#define STREAM_BLOCK ((size_t)1 << 20)

enum {
    STREAM_GO = 0,
    STREAM_FULL = 1,
    STREAM_STOP = 2
};

typedef struct stream_src {
    size_t off;   /* offset in the text of the first byte not handed out */
    int64_t line; /* its input line */
    int64_t row0; /* the next free row slot */
    int state;
    int cancel;
    int32_t cap_chunks;
    size_t max_block; /* the largest buffer used: at most that many rows in a chunk */
    crm_status rc;    /* a failed read, or no memory */
    crm_error err;
} stream_src;

/* Bytes [off, off + n) of the text into buf. */
static crm_status
stream_fetch(const read_state *st, char *buf, size_t n, size_t off, crm_error *err)
{
    if (st->fd >= 0) {
        return crm__reader_pread(st->fd, buf, n, off, st->ps.source, err);
    }
    memcpy(buf, st->ps.base + off, n);
    return CRM_OK;
}

/* Under the lock: the next block copied into *buf (*cap bytes, doubled for a record longer
 * than it) as a new chunk of *len bytes; NULL at the end, after a stop, or when the rows or
 * chunk slots reserved would not hold it (state STREAM_FULL, nothing handed out). */
static csv_chunk *stream_claim(read_state *st, stream_src *s, char **buf, size_t *cap, size_t *len)
{
    const csv_parser *ps = &st->ps;
    size_t n;
    size_t cut;
    int64_t nq;
    int64_t nl;
    int64_t bound;
    csv_chunk *ch;
    if (s->state != STREAM_GO || s->off >= ps->len) {
        return NULL;
    }
    for (;;) {
        n = *cap < ps->len - s->off ? *cap : ps->len - s->off;
        s->rc = stream_fetch(st, *buf, n, s->off, &s->err);
        if (s->rc != CRM_OK) {
            s->state = STREAM_STOP;
            return NULL;
        }
        cut = s->off + n == ps->len ? n : crm__csv_record_cut(*buf, n, ps->quote);
        if (cut > 0) {
            break;
        }
        s->rc = crm__csv_check_partial(ps, *buf, n, s->line, &s->err);
        if (s->rc != CRM_OK) {
            s->state = STREAM_STOP;
            return NULL;
        }
        {
            char *b = crm_realloc(*buf, *cap * 2);
            if (b == NULL) {
                s->rc = crm__error_nomem(&s->err);
                s->state = STREAM_STOP;
                return NULL;
            }
            *buf = b;
            *cap *= 2;
            s->max_block = *cap > s->max_block ? *cap : s->max_block;
        }
    }
    count_block(*buf, cut, ps->quote, &nq, &nl);
    bound = nl + ((*buf)[cut - 1] != '\n');
    if (st->n_chunks == s->cap_chunks || s->row0 + bound > st->total_bound) {
        s->state = STREAM_FULL;
        return NULL;
    }
    ch = &st->chunks[st->n_chunks++];
    ch->begin = ps->base + s->off;
    ch->end = ch->begin + cut;
    ch->line0 = s->line;
    ch->row0 = s->row0;
    ch->bound = bound;
    s->off += cut;
    s->line += nl;
    s->row0 += bound;
    *len = cut;
    return ch;
}

/* Parse chunk ch from its copy buf[0, len); it keeps pointing at the text's bytes. */
static void stream_parse(const read_state *st, csv_chunk *ch, const char *buf, size_t len)
{
    csv_parser copy = st->ps;
    const char *b = ch->begin;
    const char *e = ch->end;
    if (chunk_stats(&st->ps, ch) != CRM_OK) {
        crm__error_nomem(&ch->err);
        ch->rc = CRM_ENOMEM;
        return;
    }
    populate_rows(&copy, ch->row0, ch->row0 + ch->bound);
    copy.base = buf;
    copy.len = len;
    ch->begin = buf;
    ch->end = buf + len;
    crm__csv_parse_chunk(&copy, ch);
    ch->begin = b;
    ch->end = e;
}

/* The loop of one thread: blocks taken in turn and parsed until none is left. */
static void stream_worker(read_state *st, stream_src *s, size_t block, const crm_progress *progress)
{
    size_t cap = block;
    char *buf = crm_malloc(cap);
    if (buf == NULL) {
#pragma omp critical(crm_csv_stream)
        {
            s->rc = crm__error_nomem(&s->err);
            s->state = STREAM_STOP;
        }
        return;
    }
    for (;;) {
        csv_chunk *ch;
        size_t len = 0;
        int stop;
#pragma omp critical(crm_csv_stream)
        {
            ch = stream_claim(st, s, &buf, &cap, &len);
        }
        if (ch == NULL) {
            break;
        }
        stream_parse(st, ch, buf, len);
        stop = ch->rc != CRM_OK || ch->misaligned;
#ifdef _OPENMP
        if (omp_get_thread_num() == 0 &&
#else
        if (
#endif
            !crm_progress_report(progress, "reading CSV",
                                 (double)(ch->end - st->ps.base) / (double)st->ps.len)) {
            stop = 2;
        }
        if (stop) {
#pragma omp critical(crm_csv_stream)
            {
                s->state = STREAM_STOP;
                s->cancel |= stop == 2;
            }
        }
    }
    crm_free(buf);
}

static crm_status stream_rows(read_state *st, const crm_progress *progress, crm_error *err)
{
    csv_parser *ps = &st->ps;
    size_t block = st->block > 0 ? st->block : STREAM_BLOCK;
    size_t body_len = (size_t)(ps->base + ps->len - st->body);
    int nt = body_len >= 2 * block ? st->n_threads : 1;
    int exact;
    stream_src s;
    crm_status rc;
    memset(&s, 0, sizeof s);
    s.off = (size_t)(st->body - ps->base);
    s.line = st->body_line;
    s.max_block = block;
    s.cap_chunks = (int32_t)(body_len / block) + 16;
    st->total_bound = estimate_rows(st, &exact);
    st->chunks = crm_calloc((size_t)s.cap_chunks, sizeof *st->chunks);
    st->n_chunks = 0;
    rc = st->chunks == NULL ? crm__error_nomem(err) : alloc_arrays(st, err);
    while (rc == CRM_OK) {
        s.state = STREAM_GO;
#pragma omp parallel num_threads(nt) if (nt > 1)
        stream_worker(st, &s, block, progress);
        if (s.state != STREAM_FULL) {
            break;
        }
        /* the reserve ran out: more rows (a block has at most max_block), more slots */
        if (resize_arrays(st, st->total_bound + st->total_bound / 2 + (int64_t)s.max_block +
                                  1024) != CRM_OK) {
            rc = crm__error_nomem(err);
        } else if (st->n_chunks == s.cap_chunks) {
            csv_chunk *c = crm_realloc(st->chunks, (size_t)s.cap_chunks * 2 * sizeof *c);
            if (c == NULL) {
                rc = crm__error_nomem(err);
            } else {
                memset(c + s.cap_chunks, 0, (size_t)s.cap_chunks * sizeof *c);
                st->chunks = c;
                s.cap_chunks *= 2;
            }
        }
    }
    if (rc != CRM_OK) {
        return rc;
    }
    if (s.rc != CRM_OK) {
        *err = s.err;
        return s.rc;
    }
    if (s.cancel) {
        return crm__error_set(err, CRM_ECANCELLED, "reading %s was cancelled", ps->source);
    }
    return chunks_status(st, err);
}

/* Parse the body into the shared arrays (no table yet); *n_rows records. */
static crm_status
read_rows(read_state *st, const crm_progress *progress, int64_t *n_rows, crm_error *err)
{
    crm_status rc;
    if (st->copy && st->ps.max_rows == 0) {
        rc = stream_rows(st, progress, err);
        *n_rows = rc == CRM_OK ? compact(st) : 0;
        return rc;
    }
    rc = plan_chunks(st, err);
    if (rc == CRM_OK) {
        rc = alloc_arrays(st, err);
    }
    if (rc == CRM_OK) {
        rc = parse_chunks(st, progress, err);
    }
    *n_rows = rc == CRM_OK ? compact(st) : 0;
    return rc;
}

static void reset_body(read_state *st);

/* read_rows, once more in one chunk when a chunk border fell inside quotes (only after
 * malformed input). */
static crm_status
read_rows_retry(read_state *st, const crm_progress *progress, int64_t *n_rows, crm_error *err)
{
    crm_status rc = read_rows(st, progress, n_rows, err);
    if (rc == CRM_EINTERNAL && st->chunks != NULL && (st->n_chunks > 1 || st->copy)) {
        reset_body(st);
        st->chunk_bytes = st->ps.len + 1;
        st->copy = 0;
        rc = read_rows(st, progress, n_rows, err);
    }
    if (rc == CRM_EINTERNAL) {
        rc = crm__error_at(err, CRM_EINTERNAL, st->ps.source, 0, 0, "CSV chunking went wrong");
    }
    return rc;
}

static crm_status
read_body(read_state *st, const crm_progress *progress, crm_table **out, crm_error *err)
{
    csv_parser *ps = &st->ps;
    int64_t n_rows;
    crm_status rc = read_rows_retry(st, progress, &n_rows, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (n_rows == 0) {
        return crm__error_at(err, CRM_EDATA, ps->source, st->body_line, 0,
                             "the file has a header but no data rows");
    }
    return build_table(st, n_rows, out, err);
}

static void reset_body(read_state *st)
{
    csv_parser *ps = &st->ps;
    for (int32_t c = 0; c < st->n_chunks; c++) {
        chunk_fini(&st->chunks[c], ps->n_cols);
    }
    crm_free(st->chunks);
    st->chunks = NULL;
    st->n_chunks = 0;
    if (ps->vals != NULL) {
        for (int32_t j = 0; j < ps->n_cols; j++) {
            crm_free(ps->vals[j]);
        }
    }
    crm_free(ps->vals);
    crm_free(ps->row_line);
    ps->vals = NULL;
    ps->row_line = NULL;
}

/* The delimiter of the header line of data[0..len): the one of , ; tab | that occurs most
 * often outside quotes (the first of them on a tie); a comma when none does. */
static char sniff_delimiter(const char *data, size_t len, char quote)
{
    static const char cand[] = { ',', ';', '\t', '|' };
    int64_t count[4] = { 0, 0, 0, 0 };
    int quoted = 0;
    char best = ',';
    int64_t most = 0;
    for (size_t i = 0; i < len && (quoted || (data[i] != '\n' && data[i] != '\r')); i++) {
        if (data[i] == quote) {
            quoted = !quoted;
        }
        for (int c = 0; c < 4 && !quoted; c++) {
            count[c] += data[i] == cand[c];
        }
    }
    for (int c = 0; c < 4; c++) {
        if (count[c] > most) {
            most = count[c];
            best = cand[c];
        }
    }
    return best;
}

/* Everything before the body: dialect, header, missing markers, overrides. */
static crm_status parse_setup(read_state *st,
                              const char *data,
                              size_t len,
                              const char *source,
                              const crm_csv_options *opt,
                              size_t chunk_bytes,
                              crm_error *err)
{
    crm_status rc;
    crm_csv_options def = crm_csv_options_default();
    if (opt == NULL) {
        opt = &def;
    }
    memset(st, 0, sizeof *st);
    st->ps.base = data ? data : "";
    st->ps.len = data ? len : 0;
    st->ps.source = source;
    st->ps.quote = opt->quote ? opt->quote : '"';
    st->ps.delim = opt->delimiter ? opt->delimiter : ',';
    if (opt->sniff_delimiter) {
        st->ps.delim = sniff_delimiter(st->ps.base, st->ps.len, st->ps.quote);
    }
    st->ps.max_rows = opt->max_rows > 0 ? opt->max_rows : 0;
    st->ps.max_field = opt->max_field_bytes > 0 ? opt->max_field_bytes : (1 << 20);
    st->chunk_bytes = chunk_bytes;
#ifdef _OPENMP
    st->n_threads = opt->n_threads > 0 ? opt->n_threads : omp_get_max_threads();
#else
    st->n_threads = 1;
#endif
    if (st->ps.delim == st->ps.quote || st->ps.delim == '\n' || st->ps.delim == '\r' ||
        st->ps.quote == '\n' || st->ps.quote == '\r') {
        return crm__error_set(err, CRM_EINVAL,
                              "delimiter and quote must differ and not be a "
                              "line break");
    }
    if (opt->max_cols < 0) {
        return crm__error_set(err, CRM_EINVAL, "max_cols must be >= 0");
    }
    {
        crm_csv_options o = *opt;
        if (o.max_cols == 0) {
            o.max_cols = 16384;
        }
        rc = read_header(st, &o, err);
    }
    if (rc == CRM_OK && opt->na_values != NULL) {
        rc = split_commas(opt->na_values, &st->ps.na, &st->ps.n_na, err);
    }
    if (rc == CRM_OK) {
        rc = apply_types(st, opt, err);
    }
    return rc;
}

static crm_status parse_text(const char *data,
                             size_t len,
                             const char *source,
                             const crm_csv_options *opt,
                             const crm_progress *progress,
                             size_t chunk_bytes,
                             int release,
                             const read_state *copy,
                             crm_table **out,
                             crm_error *err)
{
    read_state st;
    crm_status rc = parse_setup(&st, data, len, source, opt, chunk_bytes, err);
    st.release = release;
    st.copy = copy != NULL;
    st.fd = copy != NULL ? copy->fd : -1;
    st.block = copy != NULL ? copy->block : 0;
    if (rc == CRM_OK) {
        rc = read_body(&st, progress, out, err);
    }
    state_fini(&st);
    return rc;
}

crm_status crm__csv_read_mem_chunked(const char *data,
                                     size_t len,
                                     const char *source,
                                     const crm_csv_options *opt,
                                     const crm_progress *progress,
                                     size_t chunk_bytes,
                                     crm_table **out,
                                     crm_error *err)
{
    char *plain = NULL;
    size_t plain_len = 0;
    crm_status rc;
    *out = NULL;
    if (source == NULL) {
        source = "<memory>";
    }
    if (crm__io_is_gzip(data, len)) {
        rc = crm__io_gunzip(data, len, source, opt != NULL ? opt->n_threads : 0, &plain, &plain_len,
                            err);
        if (rc != CRM_OK) {
            return rc;
        }
        rc = crm__reader_sniff(plain, plain_len, source, opt ? opt->delimiter : ',', SIZE_MAX, err);
        if (rc == CRM_OK) {
            rc =
                parse_text(plain, plain_len, source, opt, progress, chunk_bytes, 0, NULL, out, err);
        }
        crm_free(plain);
        return rc;
    }
    rc = crm__reader_sniff(data, len, source, opt ? opt->delimiter : ',', SIZE_MAX, err);
    return rc != CRM_OK
               ? rc
               : parse_text(data, len, source, opt, progress, chunk_bytes, 0, NULL, out, err);
}

crm_status crm__csv_read_mem_copied(const char *data,
                                    size_t len,
                                    const char *source,
                                    const crm_csv_options *opt,
                                    size_t block,
                                    crm_table **out,
                                    crm_error *err)
{
    read_state copy;
    crm_status rc;
    *out = NULL;
    copy.fd = -1;
    copy.block = block;
    rc = crm__reader_sniff(data, len, source, opt ? opt->delimiter : ',', SIZE_MAX, err);
    return rc != CRM_OK ? rc : parse_text(data, len, source, opt, NULL, 0, 0, &copy, out, err);
}

crm_status crm_table_read_csv_mem(const char *data,
                                  size_t len,
                                  const char *source,
                                  const crm_csv_options *opt,
                                  crm_table **out,
                                  crm_error *err)
{
    return crm__csv_read_mem_chunked(data, len, source, opt, NULL, 0, out, err);
}

/* Whether a large mapped file is parsed in place rather than from pread copies (stream_rows):
 * yes when the first touch of a mapped page costs less than copying it. On some virtual
 * machines the hypervisor handles each first touch (about 3 us a 4 KiB page, 0.2-0.3 s of a
 * 300 MB file, as long as the parse); on others it costs 0.15-0.35 us, and the copies (0.6 us
 * a page) with the count of each block's newlines are the dearer (1,000,000 x 16 doubles, one
 * thread: 0.44 s in place against 0.47-0.50 s). The second MiB's pages, timed, tell which
 * (the first was read when the file was opened), with 1 us a page as the line. The table is
 * the same either way. */
static int mapped_pages_cheap(const char *data, size_t len)
{
    const size_t page = 4096;
    const size_t from = (size_t)1 << 20;
    const size_t to = (size_t)2 << 20;
    volatile const char *v = data;
    unsigned sum = 0;
    double t0;
    double dt;
    if (len < 4 * to) {
        return 0; /* small: either way */
    }
    t0 = crm__now_seconds();
    for (size_t i = from; i < to; i += page) {
        sum += (unsigned char)v[i];
    }
    dt = crm__now_seconds() - t0;
    (void)sum;
    return dt < 1e-6 * (double)((to - from) / page);
}

crm_status crm_table_read_csv(const char *path,
                              const crm_csv_options *opt,
                              const crm_progress *progress,
                              crm_table **out,
                              crm_error *err)
{
    crm__reader *r = NULL;
    const char *data = NULL;
    size_t len = 0;
    crm_status rc;
    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return crm__error_set(err, CRM_EINVAL, "input path is empty");
    }
    if (crm_table_source_is_database(path)) {
        return crm__table_read_database(path, opt, progress, out, err);
    }
    {
        /* the text is read with pread (stream_rows): its mapping is only for second reads */
        crm__reader_limits lim;
        memset(&lim, 0, sizeof lim);
        lim.lazy_map = 1;
        lim.n_threads = opt != NULL ? opt->n_threads : 0;
        rc = crm__reader_open_whole_with(path, &lim, &r, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    if (!crm_progress_report(progress, "reading CSV", 0.0)) {
        rc = crm__error_set(err, CRM_ECANCELLED, "reading %s was cancelled", path);
    } else {
        read_state copy; /* a mapped file: parsed from copies made with pread, or in place */
        copy.fd = crm__reader_fd(r);
        copy.block = 0;
        (void)crm__reader_whole(r, &data, &len);
        if (copy.fd >= 0 && mapped_pages_cheap(data, len)) {
            copy.fd = -1;
        }
        rc = parse_text(data, len, crm__reader_source(r), opt, progress, 0,
                        crm__reader_text_mapped(r), copy.fd >= 0 ? &copy : NULL, out, err);
        if (rc == CRM_OK && crm__reader_hole(r) >= 0) {
            /* read only up to a sparse file's hole: the table is not the file's */
            crm_table_free(*out);
            *out = NULL;
            rc = crm__error_at(err, CRM_EFORMAT, crm__reader_source(r), 0, 0,
                               "a hole in the file (a sparse file) at byte %lld: not a text file",
                               (long long)crm__reader_hole(r) + 1);
        }
        if (rc != CRM_OK && rc != CRM_ENOMEM && rc != CRM_ECANCELLED &&
            crm__reader_intact(r, NULL) == CRM_OK) {
            /* the reader looked at the first 64 KiB when it opened the file; a NUL byte
             * further on that the parser stopped at is named here */
            crm_error why;
            if (crm__reader_sniff(data, len, crm__reader_source(r), opt ? opt->delimiter : ',',
                                  SIZE_MAX, &why) != CRM_OK) {
                *err = why;
                rc = why.code;
            }
        }
        if (crm__reader_intact(r, NULL) != CRM_OK) {
            /* read from a file that changed under it (whatever error the zeros gave) */
            crm_table_free(*out);
            *out = NULL;
            rc = crm__reader_intact(r, err);
        }
    }
    crm__reader_free(r);
    return rc;
}

/* ---- one file read by several ranks (crmkit/dist.h) ------------------------------------ *
 * Each rank parses its byte range of the file (crm_dist_split_file) exactly as the chunks
 * above parse theirs, then the ranks exchange what the serial reader would have combined
 * chunk by chunk: the per-column counts that decide each column's type (so every rank
 * takes the decision a one-process read takes, and reports the same first bad cell), the
 * numbers, the text levels (merged in rank order, which is their order of first appearance
 * in the file) and the line numbers. Every rank ends with the table a one-process read of
 * the whole file gives, having parsed only its share of it (identifier columns: rank 0). */

typedef struct dist_colstat {
    int64_t n_num;
    int64_t n_word;
    int64_t word_line; /* file line of this part's first word; 0 = none */
    int64_t inf_line;  /* file line of this part's first infinite number; 0 = none */
    char word[48];
} dist_colstat;

static void part_colstat(const read_state *st, int32_t j, int64_t shift, dist_colstat *d)
{
    memset(d, 0, sizeof *d);
    for (int32_t c = 0; c < st->n_chunks; c++) {
        const csv_colstat *cs = &st->chunks[c].cs[j];
        d->n_num += st->chunks[c].n_rows - cs->n_missing - cs->n_word;
        d->n_word += cs->n_word;
        if (d->word_line == 0 && cs->word_row >= 0) {
            d->word_line = cs->word_line + shift;
            memcpy(d->word, cs->word, sizeof d->word);
            d->word[sizeof d->word - 1] = '\0';
        }
        if (d->inf_line == 0 && cs->inf_row >= 0) {
            d->inf_line = cs->inf_line + shift;
        }
    }
}

/* judge_column over every rank's part (all[rank * n_cols + j]); the same on every rank. */
static col_verdict
judge_split(const csv_parser *ps, int32_t j, const dist_colstat *all, int n_ranks)
{
    int64_t n_num = 0;
    int64_t n_word = 0;
    const dist_colstat *word = NULL;
    const dist_colstat *inf = NULL;
    for (int r = 0; r < n_ranks; r++) {
        const dist_colstat *d = &all[(size_t)r * (size_t)ps->n_cols + (size_t)j];
        n_num += d->n_num;
        n_word += d->n_word;
        word = (word == NULL && d->word_line > 0) ? d : word;
        inf = (inf == NULL && d->inf_line > 0) ? d : inf;
    }
    return decide_column(ps, j, n_num, n_word, word ? word->word : NULL, word ? word->word_line : 0,
                         inf != NULL, inf ? inf->inf_line : 0);
}

/* The levels of one part (arena of size bytes, NUL-separated, in code order) interned into
 * dict, and that part's codes[0..n) mapped to dict's. CRM_OK, CRM_ENOMEM or CRM_ELIMIT. */
static crm_status
add_part_levels(crm__dict *dict, const char *a, size_t size, int32_t *codes, int64_t n)
{
    size_t n_lv = 0;
    int32_t *map;
    crm_status rc = CRM_OK;
    for (size_t i = 0; i < size; i++) {
        n_lv += a[i] == '\0';
    }
    map = crm_mallocarray(n_lv > 0 ? n_lv : 1, sizeof *map);
    if (map == NULL) {
        return CRM_ENOMEM;
    }
    for (size_t k = 0, i = 0; k < n_lv && rc == CRM_OK; k++) {
        size_t len = strlen(a + i);
        rc = crm__dict_intern(dict, a + i, len, &map[k]);
        i += len + 1;
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        codes[i] = codes[i] < 0 ? -1 : map[codes[i]];
    }
    crm_free(map);
    return rc;
}

/* One text column's parts: this rank's levels and codes (loc), and every part's levels
 * (arenas, sizes[rank] bytes each) gathered to root, or to every rank when root < 0. */
typedef struct part_levels {
    crm__col loc;
    char *arenas;
    size_t n_arenas;
    size_t *sizes;
} part_levels;

static crm_status
gather_levels(read_state *st, int32_t j, int root, part_levels *pl, crm_error *err)
{
    crm_status rc;
    memset(pl, 0, sizeof *pl);
    crm__dict_init(&pl->loc.dict);
    pl->sizes = crm_calloc((size_t)crm_dist_size(), sizeof *pl->sizes);
    rc = pl->sizes == NULL ? crm__error_nomem(err) : build_text(st, j, &pl->loc, err);
    rc = crm_dist_agree(rc, err);
    if (rc == CRM_OK) {
        const crm__dict *d = &pl->loc.dict;
        rc = root < 0 ? crm_dist_allgather_bytes(d->arena, d->arena_len, (void **)&pl->arenas,
                                                 &pl->n_arenas, pl->sizes, err)
                      : crm_dist_gather_bytes(d->arena, d->arena_len, root, (void **)&pl->arenas,
                                              &pl->n_arenas, pl->sizes, err);
        rc = crm_dist_agree(rc, err);
    }
    return rc;
}

static void part_levels_fini(part_levels *pl)
{
    CRM__FREE(pl->arenas, pl->sizes, pl->loc.codes);
    crm__dict_fini(&pl->loc.dict);
}

/* The levels of parts r0.. (gathered by gather_levels) added to col's dictionary in rank
 * order, the codes of those parts' rows (col->codes, counts[r] rows a part) mapped to them. */
static crm_status add_parts(const read_state *st,
                            const part_levels *pl,
                            int r0,
                            const int64_t *counts,
                            crm__col *col,
                            crm_error *err)
{
    size_t off = 0;
    int64_t at = 0;
    crm_status rc = CRM_OK;
    for (int r = 0; r < r0; r++) {
        off += pl->sizes[r];
        at += counts[r];
    }
    for (int r = r0; rc == CRM_OK && r < crm_dist_size(); r++) {
        rc =
            add_part_levels(&col->dict, pl->arenas + off, pl->sizes[r], col->codes + at, counts[r]);
        at += counts[r];
        off += pl->sizes[r];
    }
    if (rc != CRM_OK) {
        rc = rc == CRM_ENOMEM ? crm__error_nomem(err)
                              : crm__error_at(err, rc, st->ps.source, 0, 0,
                                              "column has too many distinct values");
    }
    return rc;
}

/* A text column: this part's levels and codes, then every part's, merged in rank order, on
 * every rank (id_root 0) or, for an identifier column (id_root 1: typed by override or by its
 * name before any level is merged), on rank 0 alone: only rank 0, which writes the outputs,
 * wants its text. Rank 0 then starts from its own dictionary (the first part's levels, in
 * order, are the merge's first levels) and adds the others' in rank order; the other ranks
 * keep the column with every cell missing. That saves every rank but 0 the interning of every
 * level of the file (a million distinct ids: about 0.3 s), and rank 0 that of its own part. */
static crm_status merge_text(read_state *st,
                             int32_t j,
                             const int64_t *counts,
                             int64_t total,
                             int id_root,
                             crm__col *col,
                             crm_error *err)
{
    part_levels pl;
    int me = crm_dist_rank();
    crm_status rc = gather_levels(st, j, id_root ? 0 : -1, &pl, err);
    if (rc == CRM_OK && id_root) {
        void *codes = NULL;
        size_t n_codes = 0;
        rc = crm_dist_gather_bytes(pl.loc.codes, (size_t)counts[me] * sizeof(int32_t), 0, &codes,
                                   &n_codes, NULL, err);
        col->codes = codes; /* rank 0: every row's; NULL elsewhere */
        if (rc == CRM_OK && me != 0) {
            col->codes = crm_mallocarray(total > 0 ? (size_t)total : 1, sizeof(int32_t));
            rc = col->codes == NULL ? crm__error_nomem(err) : CRM_OK;
            for (int64_t i = 0; rc == CRM_OK && i < total; i++) {
                col->codes[i] = -1;
            }
        }
    } else if (rc == CRM_OK) {
        col->codes = crm_mallocarray(total > 0 ? (size_t)total : 1, sizeof(int32_t));
        rc = crm_dist_agree(col->codes == NULL ? crm__error_nomem(err) : CRM_OK, err);
        if (rc == CRM_OK) {
            rc = crm_dist_allgather_known(pl.loc.codes, col->codes, counts, sizeof(int32_t), err);
        }
    }
    rc = crm_dist_agree(rc, err);
    if (rc == CRM_OK && !id_root) {
        /* every rank does the same local work on the same data */
        rc = add_parts(st, &pl, 0, counts, col, err);
    } else if (rc == CRM_OK && me == 0) {
        crm__dict_fini(&col->dict);
        col->dict = pl.loc.dict; /* rank 0's levels are the merge's first ones, in order */
        crm__dict_init(&pl.loc.dict);
        rc = add_parts(st, &pl, 1, counts, col, err);
    }
    if (id_root) {
        rc = crm_dist_agree(rc, err);
    }
    part_levels_fini(&pl);
    return rc;
}

static crm_status
build_table_split(read_state *st, int64_t n_local, int64_t shift, crm_table **out, crm_error *err)
{
    csv_parser *ps = &st->ps;
    int P = crm_dist_size();
    dist_colstat *mine = crm_calloc((size_t)ps->n_cols + 1, sizeof *mine);
    dist_colstat *all = NULL;
    size_t n_all = 0;
    int64_t *counts = NULL;
    int64_t n_counts = 0;
    int64_t total = 0;
    crm_table *t = NULL;
    int32_t bad = -1;
    col_verdict *verdict = crm_mallocarray((size_t)ps->n_cols + 1, sizeof *verdict);
    crm_status rc = (mine == NULL || verdict == NULL) ? crm__error_nomem(err) : CRM_OK;
    for (int32_t j = 0; rc == CRM_OK && j < ps->n_cols; j++) {
        part_colstat(st, j, shift, &mine[j]);
    }
    for (int64_t i = 0; rc == CRM_OK && i < n_local; i++) {
        ps->row_line[i] += shift;
    }
    rc = crm_dist_agree(rc, err);
    if (rc == CRM_OK) {
        rc = crm_dist_allgather_bytes(mine, (size_t)ps->n_cols * sizeof *mine, (void **)&all,
                                      &n_all, NULL, err);
        rc = crm_dist_agree(rc, err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_allgather_i64(&n_local, 1, &counts, &n_counts, NULL, err);
        rc = crm_dist_agree(rc, err);
    }
    for (int r = 0; rc == CRM_OK && r < P; r++) {
        total += counts[r];
    }
    if (rc == CRM_OK && total == 0) {
        rc = crm__error_at(err, CRM_EDATA, ps->source, st->body_line, 0,
                           "the file has a header but no data rows");
    }
    for (int32_t j = 0; rc == CRM_OK && j < ps->n_cols; j++) {
        verdict[j] = judge_split(ps, j, all, P);
        if (verdict[j].err_line > 0 && (bad < 0 || verdict[j].err_line < verdict[bad].err_line)) {
            bad = j;
        }
    }
    if (rc == CRM_OK && bad >= 0) {
        rc = column_error(ps, &verdict[bad], bad, err);
    }
    /* every rank has the same rc here (the same data decided it) */
    if (rc == CRM_OK) {
        rc = crm_table_new(total, ps->source, &t, err);
        rc = crm_dist_agree(rc, err);
    }
    for (int32_t j = 0; rc == CRM_OK && j < ps->n_cols; j++) {
        crm__col col;
        col_start(&col, ps, j, verdict[j].type);
        if (col.type == CRM_COL_NUMERIC) {
            col.num = crm_mallocarray((size_t)total, sizeof(double));
            rc = crm_dist_agree(col.num == NULL ? crm__error_nomem(err) : CRM_OK, err);
            if (rc == CRM_OK) {
                rc = crm_dist_allgather_known(ps->vals[j], col.num, counts, sizeof(double), err);
                rc = crm_dist_agree(rc, err);
            }
        } else if (col.type == CRM_COL_ID || (col.type == CRM_COL_CATEGORICAL &&
                                              ps->ov[j] == CSV_OV_NONE && name_like_id(col.name))) {
            col.type = CRM_COL_ID;
            rc = merge_text(st, j, counts, total, 1, &col, err);
        } else {
            rc = merge_text(st, j, counts, total, 0, &col, err);
            if (rc == CRM_OK && col.type == CRM_COL_CATEGORICAL && ps->ov[j] == CSV_OV_NONE &&
                (name_like_id(col.name) || (col.dict.n >= 20 && col.dict.n == total))) {
                col.type = CRM_COL_ID;
            }
        }
        if (rc == CRM_OK) {
            rc = crm_dist_agree(crm__table_push_col(t, &col, err), err);
        }
        if (rc != CRM_OK) {
            crm_free(col.num);
            crm_free(col.codes);
            crm__dict_fini(&col.dict);
            break;
        }
        ps->names[j] = NULL;
    }
    if (rc == CRM_OK) {
        t->row_line = crm_mallocarray((size_t)total, sizeof *t->row_line);
        rc = crm_dist_agree(t->row_line == NULL ? crm__error_nomem(err) : CRM_OK, err);
        if (rc == CRM_OK) {
            rc = crm_dist_allgather_known(ps->row_line, t->row_line, counts, sizeof(int64_t), err);
            rc = crm_dist_agree(rc, err);
        }
    }
    if (rc == CRM_OK) {
        *out = t;
        t = NULL;
    }
    crm_table_free(t);
    CRM__FREE(verdict, counts, all, mine);
    return rc;
}

crm_status crm_table_read_csv_split(const char *path,
                                    const crm_csv_options *opt,
                                    const crm_progress *progress,
                                    crm_table **out,
                                    crm_error *err)
{
    crm_dist_range r;
    read_state st;
    char *buf = NULL;
    size_t len = 0;
    int64_t n_local = 0;
    int64_t shift;
    crm_status rc;
    *out = NULL;
    if (!crm_dist_active() || path == NULL || strcmp(path, "-") == 0 ||
        crm_table_source_is_database(path) || (opt != NULL && opt->max_rows > 0)) {
        return crm_table_read_csv(path, opt, progress, out, err);
    }
    rc = crm_dist_split_file(path, &r, err); /* agreed */
    if (rc == CRM_EUNSUPPORTED) {
        /* gzip or not a regular file: every rank reads it whole */
        return crm_table_read_csv(path, opt, progress, out, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    shift = r.begin > 0 ? r.first_line - 2 : 0;
    memset(&st, 0, sizeof st);
    rc = crm_dist_read_part(path, &r, &buf, &len, err);
    if (rc == CRM_OK) {
        rc = crm__reader_sniff(buf, len, path, opt ? opt->delimiter : ',', SIZE_MAX, err);
    }
    if (rc == CRM_OK) {
        rc = parse_setup(&st, buf, len, path, opt, 0, err);
    }
    if (rc == CRM_OK) {
        rc = read_rows_retry(&st, progress, &n_local, err);
    }
    if (rc != CRM_OK) {
        crm_dist_fix_error_line(&r, path, err);
    }
    rc = crm_dist_agree(rc, err);
    if (rc == CRM_OK) {
        rc = build_table_split(&st, n_local, shift, out, err);
    }
    state_fini(&st);
    crm_free(buf);
    return rc;
}
