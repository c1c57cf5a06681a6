/* csv_stream.c: a CSV file read once in blocks of whole records (crmkit/csv_stream.h).
 *
 * Input goes through zlib's gz* functions, which inflate gzip and pass plain files and pipes
 * through unchanged. Under the stream's lock a block takes the partial record left by the
 * previous block, reads up to STREAM_BLOCK more bytes, and is cut after its last record end:
 * the last newline when the block has no quote character (found with memrchr), otherwise the
 * last newline outside quotes (quote parity from the block start, which is a record start).
 * The newlines of the block are counted under the lock too, so each block knows its first
 * input line. The records are then split outside the lock by the table reader's field
 * scanner (crm__csv_scan_field), so both readers accept and reject the same text. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <crmkit/csv_stream.h>

#include "core/core_internal.h"
#include "csv_internal.h"

#define STREAM_BLOCK     ((size_t)4 << 20)
#define STREAM_MAX_BLOCK ((size_t)1 << 30)

struct crm_csv_stream {
    gzFile gz;
    char *source;
    pthread_mutex_t mu;
    csv_parser ps; /* delimiter, quote, limits and column names; base/len per block */
    char *carry;   /* bytes read after the last cut */
    size_t carry_len;
    size_t carry_cap;
    int64_t next_line;   /* input line of carry[0] */
    int64_t size;        /* file size in bytes, 0 when unknown */
    atomic_llong offset; /* input bytes consumed so far (read by _fraction unlocked) */
    int eof;
    int64_t limit;               /* read no input byte at or past this offset (-1: none) */
    crm_csv_range_fn next_range; /* where the range ends: the next one (NULL: none) */
    void *range_ud;
    crm_status rc; /* a sticky read error */
    crm_error err;
};

struct crm_csv_block {
    const crm_csv_stream *s;
    char *buf;
    size_t len;
    size_t cap;
    const char *p; /* next record */
    int64_t line;  /* input line at p */
    csv_parser ps;
    csv_chunk ch;
    char *esc; /* unescaped text of quoted fields with doubled quotes, this record */
    size_t esc_cap;
};

static crm_status read_error(crm_csv_stream *s, crm_error *err)
{
    int zerr = Z_OK;
    const char *msg = gzerror(s->gz, &zerr);
    if (zerr == Z_ERRNO) {
        return crm__error_at(err, CRM_EIO, s->source, 0, 0, "read failed: %s", strerror(errno));
    }
    return crm__error_at(err, CRM_EPARSE, s->source, 0, 0, "gzip data is %s",
                         zerr == Z_BUF_ERROR ? "truncated" : (msg != NULL ? msg : "corrupt"));
}

/* Append up to want bytes of input to dst[*len..]; sets s->eof at the end of the input. */
static crm_status fill(crm_csv_stream *s, char *dst, size_t *len, size_t want, crm_error *err)
{
    if (s->limit >= 0) {
        int64_t left = s->limit - (int64_t)gztell(s->gz);
        if (left <= 0) {
            s->eof = 1;
            want = 0;
        } else if ((int64_t)want > left) {
            want = (size_t)left;
        }
    }
    while (want > 0 && !s->eof) {
        unsigned ask = want > ((size_t)1 << 30) ? 1u << 30 : (unsigned)want;
        int n = gzread(s->gz, dst + *len, ask);
        if (n < 0) {
            return read_error(s, err);
        }
        if (n == 0) {
            int zerr = Z_OK;
            (void)gzerror(s->gz, &zerr);
            if (zerr != Z_OK) {
                return read_error(s, err);
            }
            s->eof = 1;
            break;
        }
        *len += (size_t)n;
        want -= (size_t)n;
        if (s->limit >= 0 && (int64_t)gztell(s->gz) >= s->limit) {
            s->eof = 1;
        }
    }
    atomic_store_explicit(&s->offset, (long long)gzoffset(s->gz), memory_order_relaxed);
    return CRM_OK;
}

static size_t count_lines(const char *p, size_t len)
{
    size_t n = 0;
    const char *end = p + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
    char *b;
    if (need <= *cap) {
        return 1;
    }
    b = crm_realloc(*buf, need);
    if (b == NULL) {
        return 0;
    }
    *buf = b;
    *cap = need;
    return 1;
}

/* A failure of the stream, kept for every later call: rc and the message err holds. */
static crm_status stick(crm_csv_stream *s, crm_status rc, const crm_error *err)
{
    s->rc = rc;
    if (err != NULL) {
        s->err = *err;
    }
    return rc;
}

/* Under the lock: next whole records into b->buf. */
static crm_status take_block(crm_csv_stream *s, crm_csv_block *b, bool *got, crm_error *err)
{
    size_t want = STREAM_BLOCK;
    size_t cut;
    crm_status rc;
    *got = false;
    if (s->rc != CRM_OK) {
        if (err != NULL) {
            *err = s->err;
        }
        return s->rc;
    }
    while (s->eof && s->carry_len == 0 && s->next_range != NULL) {
        int64_t b0 = 0;
        int64_t b1 = 0;
        int more = s->next_range(s->range_ud, &b0, &b1);
        if (more <= 0) {
            s->next_range = NULL;
            if (more < 0) {
                return stick(s, crm__error_at(err, CRM_EIO, s->source, 0, 0, "read failed"), err);
            }
            break;
        }
        if (b1 > b0) {
            if (gzseek(s->gz, (z_off_t)b0, SEEK_SET) < 0) {
                return stick(s,
                             crm__error_at(err, CRM_EIO, s->source, 0, 0,
                                           "cannot seek to byte %lld", (long long)b0),
                             err);
            }
            s->eof = 0;
            s->limit = b1;
            s->next_line = 1;
        }
    }
    b->len = 0;
    if (!reserve(&b->buf, &b->cap, s->carry_len + want + 1)) {
        return crm__error_nomem(err);
    }
    if (s->carry_len > 0) {
        memcpy(b->buf, s->carry, s->carry_len);
    }
    b->len = s->carry_len;
    for (;;) {
        rc = fill(s, b->buf, &b->len, b->cap - 1 - b->len, err);
        if (rc != CRM_OK) {
            return stick(s, rc, err);
        }
        cut = crm__csv_record_cut(b->buf, b->len, s->ps.quote);
        if (s->eof) {
            cut = b->len; /* an unclosed quote is reported by the scanner, with its line */
            break;
        }
        if (cut > 0) {
            break;
        }
        /* one record longer than the block: read more */
        rc = crm__csv_check_partial(&s->ps, b->buf, b->len, s->next_line, err);
        if (rc != CRM_OK) {
            return stick(s, rc, err);
        }
        if (b->cap > STREAM_MAX_BLOCK) {
            return stick(s,
                         crm__error_at(err, CRM_ELIMIT, s->source, s->next_line, 0,
                                       "record longer than %zu bytes", STREAM_MAX_BLOCK),
                         err);
        }
        if (!reserve(&b->buf, &b->cap, b->cap * 2)) {
            return crm__error_nomem(err);
        }
    }
    if (!reserve(&s->carry, &s->carry_cap, b->len - cut + 1)) {
        return crm__error_nomem(err);
    }
    s->carry_len = b->len - cut;
    memcpy(s->carry, b->buf + cut, s->carry_len);
    b->len = cut;
    b->buf[cut] = '\0';
    b->line = s->next_line;
    s->next_line += (int64_t)count_lines(b->buf, cut);
    b->p = b->buf;
    b->ps = s->ps;
    b->ps.base = b->buf;
    b->ps.len = b->len;
    b->s = s;
    *got = cut > 0;
    return CRM_OK;
}

crm_status crm_csv_stream_next_block(crm_csv_stream *s, crm_csv_block *b, bool *got, crm_error *err)
{
    crm_status rc;
    pthread_mutex_lock(&s->mu);
    rc = take_block(s, b, got, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int skip_blank(crm_csv_block *b)
{
    const char *end = b->buf + b->len;
    while (b->p < end &&
           (*b->p == '\n' || (*b->p == '\r' && (b->p + 1 == end || b->p[1] == '\n')))) {
        if (*b->p == '\n') {
            b->line++;
        }
        b->p++;
    }
    return b->p < end;
}

static crm_status block_fail(crm_csv_block *b, crm_error *err)
{
    if (err != NULL) {
        *err = b->ch.err;
    }
    return b->ch.rc;
}

/* Split one record at b->p into cells[n]; b->p moves past its newline. */
static crm_status split_record(crm_csv_block *b, crm_csv_cell *cells, int32_t n, crm_error *err)
{
    const char *end = b->buf + b->len;
    size_t esc_len = 0;
    size_t esc_off[64];
    int32_t esc_col[64];
    int32_t n_esc = 0;
    for (int32_t j = 0; j < n; j++) {
        csv_field f;
        crm_status rc = crm__csv_scan_field(&b->ps, &b->ch, &b->p, &b->line, j, b->ps.names[j], &f);
        if (rc != CRM_OK) {
            return block_fail(b, err);
        }
        if (f.quoted && f.s == b->ch.scratch && f.len > 0) {
            /* unescaped into the chunk's scratch, which the next such field reuses */
            if (n_esc == 64 || !reserve(&b->esc, &b->esc_cap, esc_len + f.len + 1)) {
                return n_esc == 64 ? crm__error_at(err, CRM_ELIMIT, b->ps.source, b->line, j + 1,
                                                   "more than 64 fields with doubled quotes")
                                   : crm__error_nomem(err);
            }
            memcpy(b->esc + esc_len, f.s, f.len);
            esc_off[n_esc] = esc_len;
            esc_col[n_esc++] = j;
            esc_len += f.len;
        }
        cells[j].s = f.s;
        cells[j].len = f.len;
        cells[j].quoted = f.quoted != 0;
        if (j + 1 < n) {
            if (b->p >= end || *b->p != b->ps.delim) {
                char msg[96];
                (void)snprintf(msg, sizeof msg, "row has %d fields, the header has %d", j + 1, n);
                crm__error_at(err, CRM_EPARSE, b->ps.source, b->line, j + 2, "%s", msg);
                crm__error_field(err, b->ps.names[j + 1]);
                return CRM_EPARSE;
            }
            b->p++;
        } else if (b->p < end && *b->p != '\n') {
            crm__error_at(err, CRM_EPARSE, b->ps.source, b->line, n + 1,
                          "row has more fields than the %d of the header", n);
            return CRM_EPARSE;
        }
    }
    for (int32_t k = 0; k < n_esc; k++) {
        cells[esc_col[k]].s = b->esc + esc_off[k];
    }
    if (b->p < end) {
        b->p++;
        b->line++;
    }
    return CRM_OK;
}

crm_status crm_csv_block_next_row(crm_csv_block *b,
                                  crm_csv_cell *cells,
                                  int64_t *line,
                                  bool *got,
                                  crm_error *err)
{
    crm_status rc;
    *got = false;
    if (b->buf == NULL || !skip_blank(b)) {
        return CRM_OK;
    }
    *line = b->line;
    rc = split_record(b, cells, b->ps.n_cols, err);
    if (rc == CRM_OK) {
        *got = true;
    }
    return rc;
}

crm_status crm_csv_block_new(crm_csv_block **out, crm_error *err)
{
    *out = crm_calloc(1, sizeof **out);
    return *out == NULL ? crm__error_nomem(err) : CRM_OK;
}

void crm_csv_block_free(crm_csv_block *b)
{
    if (b == NULL) {
        return;
    }
    CRM__FREE(b->buf, b->ch.scratch, b->esc, b);
}

/* ---- opening and the header ---- */

static crm_status read_header(crm_csv_stream *s, crm_error *err)
{
    crm_csv_block *b = NULL;
    const char *end;
    bool got = false;
    int32_t n = 0;
    int32_t cap = 0;
    crm_status rc = crm_csv_block_new(&b, err);
    if (rc == CRM_OK) {
        rc = take_block(s, b, &got, err);
    }
    if (rc == CRM_OK && (!got || !skip_blank(b))) {
        rc = crm__error_at(err, CRM_EDATA, s->source, 0, 0, "empty file (no header row)");
    }
    end = b != NULL ? b->buf + b->len : NULL;
    /* one field at a time, as the number of columns is not known yet */
    while (rc == CRM_OK) {
        csv_field f;
        if (crm__csv_scan_field(&b->ps, &b->ch, &b->p, &b->line, n, NULL, &f) != CRM_OK) {
            rc = block_fail(b, err);
            break;
        }
        if (n == cap) {
            int32_t nc = cap ? 2 * cap : 16;
            char **names = crm_realloc(s->ps.names, (size_t)nc * sizeof *names);
            if (names == NULL) {
                rc = crm__error_nomem(err);
                break;
            }
            s->ps.names = names;
            cap = nc;
        }
        s->ps.names[n] = crm_malloc(f.len + 1);
        if (s->ps.names[n] == NULL) {
            rc = crm__error_nomem(err);
            break;
        }
        memcpy(s->ps.names[n], f.s, f.len);
        s->ps.names[n][f.len] = '\0';
        s->ps.n_cols = ++n;
        if (b->p >= end || *b->p == '\n') {
            break;
        }
        b->p++;
    }
    if (rc == CRM_OK) {
        /* give back what follows the header */
        size_t used = b->p < end ? (size_t)(b->p + 1 - b->buf) : b->len;
        size_t rest = b->len - used;
        int64_t line = b->line + (b->p < end ? 1 : 0);
        if (reserve(&s->carry, &s->carry_cap, rest + s->carry_len + 1)) {
            memmove(s->carry + rest, s->carry, s->carry_len);
            memcpy(s->carry, b->buf + used, rest);
            s->carry_len += rest;
            s->next_line = line;
        } else {
            rc = crm__error_nomem(err);
        }
    }
    crm_csv_block_free(b);
    return rc;
}

crm_status crm_csv_stream_open(const char *path,
                               const crm_csv_options *opt,
                               crm_csv_stream **out,
                               crm_error *err)
{
    crm_csv_options def = crm_csv_options_default();
    crm_csv_stream *s;
    struct stat st;
    int fd;
    crm_status rc;
    *out = NULL;
    if (opt == NULL) {
        opt = &def;
    }
    char *shown = NULL; /* a database source: its rows as CSV in a memory file */
    if (crm_table_source_is_database(path)) {
        fd = crm__database_open_fd(path, &shown, err);
        if (fd < 0) {
            crm_free(shown);
            return err->code;
        }
    } else if (strcmp(path, "-") == 0) {
        fd = dup(STDIN_FILENO);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        return crm__error_errno(err, errno, path, "open");
    }
    s = crm_calloc(1, sizeof *s);
    if (s == NULL || (s->source = crm_strdup(shown != NULL            ? shown
                                             : strcmp(path, "-") == 0 ? "<stdin>"
                                                                      : path)) == NULL) {
        crm_free(shown);
        crm_free(s);
        close(fd);
        return crm__error_nomem(err);
    }
    crm_free(shown);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        s->size = (int64_t)st.st_size;
    }
    s->gz = gzdopen(fd, "rb");
    if (s->gz == NULL) {
        close(fd);
        crm_free(s->source);
        crm_free(s);
        return crm__error_nomem(err);
    }
    (void)gzbuffer(s->gz, 1u << 20);
    pthread_mutex_init(&s->mu, NULL);
    s->ps.source = s->source;
    s->ps.delim = opt->delimiter ? opt->delimiter : ',';
    s->ps.quote = opt->quote ? opt->quote : '"';
    s->ps.max_field = opt->max_field_bytes > 0 ? opt->max_field_bytes : (int64_t)1 << 20;
    s->next_line = 1;
    s->limit = -1;
    rc = read_header(s, err);
    if (rc != CRM_OK) {
        crm_csv_stream_free(s);
        return rc;
    }
    *out = s;
    return CRM_OK;
}

crm_status crm_csv_stream_open_range(const char *path,
                                     const crm_csv_options *opt,
                                     int64_t begin,
                                     int64_t end,
                                     int64_t first_line,
                                     crm_csv_stream **out,
                                     crm_error *err)
{
    crm_csv_stream *s = NULL;
    crm_status rc = crm_csv_stream_open(path, opt, &s, err);
    int64_t at;
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    if (gzdirect(s->gz) == 0) {
        crm_csv_stream_free(s);
        return crm__error_at(err, CRM_EUNSUPPORTED, path, 0, 0,
                             "a gzip file cannot be read from a byte offset");
    }
    at = (int64_t)gztell(s->gz); /* the header and s->carry lie before this */
    if (begin > at - (int64_t)s->carry_len) {
        /* a part after the header: start reading at begin, at the file's line first_line */
        s->carry_len = 0;
        s->eof = 0;
        if (gzseek(s->gz, (z_off_t)begin, SEEK_SET) < 0) {
            crm_csv_stream_free(s);
            return crm__error_at(err, CRM_EIO, path, 0, 0, "cannot seek to byte %lld",
                                 (long long)begin);
        }
        s->next_line = first_line;
    }
    if (end >= 0) {
        at = (int64_t)gztell(s->gz);
        if (at > end) { /* what follows the header reaches past the part: cut it */
            size_t over = (size_t)(at - end);
            s->carry_len = over < s->carry_len ? s->carry_len - over : 0;
            s->eof = 1;
        }
        s->limit = end;
        s->size = end - begin;
    }
    *out = s;
    return CRM_OK;
}

void crm_csv_stream_set_ranges(crm_csv_stream *s, crm_csv_range_fn next, void *ud)
{
    s->next_range = next;
    s->range_ud = ud;
}

void crm_csv_stream_free(crm_csv_stream *s)
{
    if (s == NULL) {
        return;
    }
    (void)gzclose(s->gz);
    pthread_mutex_destroy(&s->mu);
    for (int32_t j = 0; j < s->ps.n_cols; j++) {
        crm_free(s->ps.names[j]);
    }
    CRM__FREE(s->ps.names, s->carry, s->source, s);
}

int32_t crm_csv_stream_n_cols(const crm_csv_stream *s)
{
    return s->ps.n_cols;
}

const char *crm_csv_stream_col_name(const crm_csv_stream *s, int32_t j)
{
    return (j >= 0 && j < s->ps.n_cols) ? s->ps.names[j] : NULL;
}

int32_t crm_csv_stream_find_col(const crm_csv_stream *s, const char *name)
{
    for (int32_t j = 0; j < s->ps.n_cols; j++) {
        if (strcmp(s->ps.names[j], name) == 0) {
            return j;
        }
    }
    return -1;
}

double crm_csv_stream_fraction(const crm_csv_stream *s)
{
    double f;
    if (s->size <= 0) {
        return 0.0;
    }
    f = (double)atomic_load_explicit(&s->offset, memory_order_relaxed) / (double)s->size;
    return f > 1.0 ? 1.0 : f;
}
