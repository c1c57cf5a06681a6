/* fim_read.c: transaction readers: FIMI/SPMF integers, baskets of names (R arules
 * read.transactions(format = "basket")), long CSV (customer, item) and VAS logs (long CSV with
 * a status filter and items from one or more columns). Every format takes .gz.
 *
 * The FIMI path is the hot one (millions of items). Plain text (a mapped file or memory) is
 * cut at line ends into one part per thread, each parsed into raw codes in one shared store,
 * and the database built from the parts in parallel (crm__fim_db_from_raw); what the parts
 * decline goes to the serial reader: a line reader, digits parsed inline, item codes interned
 * through a direct table or a hash, which gives the errors with their lines and columns. A
 * gzip FIMI file (up to GZIP_WHOLE_MAX) is decoded by crmkit's decoder (io/gunzip.c) on a
 * second thread into one buffer, while this thread parses the text decoded so far part by
 * part; what is left when the decoding ends is parsed on every thread. Other formats, larger
 * gzip files and pipes are read through zlib's gz* functions (which pass plain files through
 * unchanged), inflated by a second thread into two 1 MiB blocks while the first parses. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fim_internal.h"
#include "io/gunzip.h"

#define READ_CHUNK (1u << 20)
/* A gzip FIMI file up to this size is decoded whole into memory and parsed behind the
 * decoding (its text and codes then take about 3 times its decoded size); a larger one is
 * streamed through zlib in 1 MiB blocks to the serial reader, so that memory stays bounded. */
#define GZIP_WHOLE_MAX   ((size_t)256 << 20)
#define DEFAULT_MAX_LINE ((int64_t)64 << 20)

crm_fim_read_options crm_fim_read_options_default(void)
{
    crm_fim_read_options o;
    memset(&o, 0, sizeof o);
    o.format = CRM_FIM_FORMAT_AUTO;
    o.sep = ',';
    o.skip_empty = false;
    o.max_line_bytes = DEFAULT_MAX_LINE;
    return o;
}

/* ---- inflating thread ---------------------------------------------------------------------- */

#define PIPE_BLOCK (1u << 20)

struct crm__fim_gzpipe {
    gzFile gz;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *blk[2];
    int len[2]; /* bytes gzread gave (0 at the end, < 0 on error) */
    int full[2];
    int64_t offset[2]; /* compressed bytes read once the block was filled */
    int take, pos;     /* block being parsed and the bytes of it already taken */
    int stop;          /* the reader is done: the thread must end */
};

/* gzread, with a stream that ends early (a truncated file) as an error: gzread itself
 * reports it as the end of the data. */
static int gz_read_block(gzFile gz, char *dst, unsigned cap)
{
    int n = gzread(gz, dst, cap), e = Z_OK;
    if (n == 0) {
        (void)gzerror(gz, &e);
    }
    return e == Z_BUF_ERROR ? -1 : n;
}

static void *pipe_main(void *arg)
{
    crm__fim_gzpipe *p = arg;
    for (int k = 0;; k ^= 1) {
        int n;
        pthread_mutex_lock(&p->mu);
        while (p->full[k] && !p->stop) {
            pthread_cond_wait(&p->cv, &p->mu);
        }
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        pthread_mutex_unlock(&p->mu);
        n = gz_read_block(p->gz, p->blk[k], PIPE_BLOCK);
        pthread_mutex_lock(&p->mu);
        p->len[k] = n;
        p->offset[k] = (int64_t)gzoffset(p->gz);
        p->full[k] = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (n <= 0) {
            return NULL;
        }
    }
}

/* Start inflating gz in a thread; NULL (read directly) when that cannot be set up. */
static crm__fim_gzpipe *pipe_start(gzFile gz)
{
    crm__fim_gzpipe *p = crm_calloc(1, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    p->gz = gz;
    p->blk[0] = crm_malloc(2 * (size_t)PIPE_BLOCK);
    if (p->blk[0] == NULL || pthread_mutex_init(&p->mu, NULL) != 0) {
        crm_free(p->blk[0]);
        crm_free(p);
        return NULL;
    }
    p->blk[1] = p->blk[0] + PIPE_BLOCK;
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        crm_free(p->blk[0]);
        crm_free(p);
        return NULL;
    }
    if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        crm_free(p->blk[0]);
        crm_free(p);
        return NULL;
    }
    return p;
}

static void pipe_end(crm__fim_gzpipe *p)
{
    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    crm_free(p->blk[0]);
    crm_free(p);
}

/* Up to cap bytes of the inflated stream into dst, as gzread returns them. */
static int pipe_read(crm__fim_gzpipe *p, char *dst, size_t cap, int64_t *offset)
{
    int k = p->take, n;
    pthread_mutex_lock(&p->mu);
    while (!p->full[k]) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    if (p->len[k] <= 0) {
        return p->len[k]; /* the end or an error: the block stays full, so it repeats */
    }
    n = p->len[k] - p->pos < (int)cap ? p->len[k] - p->pos : (int)cap;
    memcpy(dst, p->blk[k] + p->pos, (size_t)n);
    p->pos += n;
    if (p->pos == p->len[k]) {
        *offset = p->offset[k];
        p->pos = 0;
        p->take = k ^ 1;
        pthread_mutex_lock(&p->mu);
        p->full[k] = 0;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return n;
}

/* ---- line reader ------------------------------------------------------------------------- */

static int lr_fill(crm__fim_lines *r)
{
    int got;
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->end == r->cap) {
        size_t ncap = r->cap * 2;
        char *nb;
        if (r->cap >= r->max_line + 1) {
            return LR_TOOLONG;
        }
        if (ncap > r->max_line + 1) {
            ncap = r->max_line + 1;
        }
        nb = crm_realloc(r->buf, ncap);
        if (nb == NULL) {
            return LR_NOMEM;
        }
        r->buf = nb;
        r->cap = ncap;
    }
    got = r->pipe != NULL ? pipe_read(r->pipe, r->buf + r->end, r->cap - r->end, &r->gz_offset)
                          : gz_read_block(r->gz, r->buf + r->end, (unsigned)(r->cap - r->end));
    if (got < 0) {
        return LR_EIO;
    }
    if (got == 0) {
        r->eof = 1;
    }
    r->end += (size_t)got;
    return LR_LINE;
}

/* Next line without its "\n" (a final "\r" is kept: parsers strip it). */
int crm__fim_lr_next(crm__fim_lines *r, const char **line, size_t *len)
{
    if (r->mem != NULL) {
        const char *p = r->mem + r->mem_pos;
        size_t left = r->mem_len - r->mem_pos;
        const char *nl;
        if (left == 0) {
            return LR_EOF;
        }
        nl = memchr(p, '\n', left);
        *line = p;
        *len = nl != NULL ? (size_t)(nl - p) : left;
        if (*len > r->max_line) {
            return LR_TOOLONG;
        }
        r->mem_pos += *len + (nl != NULL);
        r->line_no++;
        return LR_LINE;
    }
    for (;;) {
        char *nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);
        if (nl != NULL) {
            *line = r->buf + r->beg;
            *len = (size_t)(nl - (r->buf + r->beg));
            r->beg += *len + 1;
            r->line_no++;
            return *len > r->max_line ? LR_TOOLONG : LR_LINE;
        }
        if (r->eof) {
            if (r->end == r->beg) {
                return LR_EOF;
            }
            *line = r->buf + r->beg;
            *len = r->end - r->beg;
            r->beg = r->end;
            r->line_no++;
            return LR_LINE;
        }
        {
            int rc = lr_fill(r);
            if (rc != LR_LINE) {
                return rc;
            }
        }
    }
}

double crm__fim_lr_fraction(const crm__fim_lines *r)
{
    if (r->mem != NULL) {
        return r->mem_len ? (double)r->mem_pos / (double)r->mem_len : 1.0;
    }
    if (r->file_bytes > 0) {
        double f =
            (double)(r->pipe != NULL ? r->gz_offset : gzoffset(r->gz)) / (double)r->file_bytes;
        return f > 1.0 ? 1.0 : f;
    }
    return 0.0;
}

crm_status crm__fim_lr_error(const crm__fim_lines *r, int rc, const char *src, crm_error *err)
{
    switch (rc) {
    case LR_TOOLONG:
        return crm__error_at(err, CRM_ELIMIT, src, r->line_no + 1, 0,
                             "line longer than the limit of %zu bytes", r->max_line);
    case LR_NOMEM:
        return crm__error_nomem(err);
    default:
        return crm__error_at(err, CRM_EFORMAT, src, r->line_no + 1, 0,
                             "read error (damaged gzip stream?)");
    }
}

/* ---- FIMI ---------------------------------------------------------------------------------- */

int crm__fim_ids_reserve(crm__fim_rstate *st, int64_t n)
{
    if (n > st->ids_cap) {
        int64_t c = st->ids_cap ? st->ids_cap * 2 : 256;
        int32_t *p;
        while (c < n) {
            c *= 2;
        }
        p = crm_realloc(st->ids, (size_t)c * sizeof *p);
        if (p == NULL) {
            return 0;
        }
        st->ids = p;
        st->ids_cap = c;
    }
    return 1;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* "@ITEM=code=name" names an item; other "@" lines are SPMF metadata and are skipped. */
static crm_status
fimi_meta(crm__fim_rstate *st, const char *s, size_t n, int64_t line_no, crm_error *err)
{
    size_t i = 6;
    int64_t code = 0;
    if (n < 6 || memcmp(s, "@ITEM=", 6) != 0) {
        return CRM_OK;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        code = code * 10 + (s[i] - '0');
        if (code > INT32_MAX) {
            break;
        }
        i++;
    }
    if (i == 6 || i >= n || s[i] != '=' || code > INT32_MAX) {
        return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                             "expected \"@ITEM=<integer>=<name>\"");
    }
    i++;
    while (n > i && s[n - 1] == '\r') {
        n--;
    }
    return crm__fim_db_add_meta_name(st->db, code, s + i, n - i, err);
}

static crm_status fimi_bad_token(crm__fim_rstate *st,
                                 const char *s,
                                 size_t n,
                                 size_t i,
                                 int64_t line_no,
                                 crm_error *err)
{
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && j - i < 40) {
        j++;
    }
    if (s[i] >= '0' && s[i] <= '9') {
        return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                             "item \"%.*s\" is not an integer in 0..2147483647", (int)(j - i),
                             s + i);
    }
    return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                         "expected a non-negative integer item, got \"%.*s\" (FIMI format; "
                         "use --format basket for named items)",
                         (int)(j - i), s + i);
}

static crm_status
fimi_line(crm__fim_rstate *st, const char *s, size_t n, int64_t line_no, crm_error *err)
{
    int32_t m = 0;
    size_t i = 0;
    crm_status rc;
    if (n > 0 && s[0] == '@') {
        return fimi_meta(st, s, n, line_no, err);
    }
    if (!crm__fim_ids_reserve(st, (int64_t)n / 2 + 1)) {
        return crm__error_nomem(err);
    }
    while (i < n) {
        int64_t v = 0;
        size_t start;
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && v <= INT32_MAX) {
            v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == start || v > INT32_MAX || (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')) {
            return fimi_bad_token(st, s, n, start, line_no, err);
        }
        /* the direct table inline: most codes were seen before */
        if (v < st->db->code_dir_cap && st->db->code_dir[v] >= 0) {
            st->ids[m++] = st->db->code_dir[v];
            continue;
        }
        rc = crm__fim_db_intern_code(st->db, v, &st->ids[m], err);
        if (rc != CRM_OK) {
            return rc;
        }
        m++;
    }
    return crm__fim_db_push_ids(st->db, st->ids, m, NULL, 0, err);
}

/* ---- baskets of names --------------------------------------------------------------------- */

static crm_status basket_line(crm__fim_rstate *st, const char *s, size_t n, crm_error *err)
{
    char sep = st->opt->sep;
    int32_t m = 0;
    size_t i = 0;
    crm_status rc;
    while (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (!crm__fim_ids_reserve(st, (int64_t)n / 2 + 1)) {
        return crm__error_nomem(err);
    }
    while (i <= n) {
        size_t j = i;
        if (sep == ' ') {
            while (j < n && s[j] != ' ' && s[j] != '\t') {
                j++;
            }
        } else {
            while (j < n && s[j] != sep) {
                j++;
            }
        }
        if (j > i) {
            rc = crm__fim_db_intern_name(st->db, s + i, j - i, &st->ids[m], err);
            if (rc != CRM_OK) {
                return rc;
            }
            m++;
        }
        i = j + 1;
    }
    return crm__fim_db_push_ids(st->db, st->ids, m, NULL, 0, err);
}

/* ---- the line loop for FIMI and baskets ---------------------------------------------------- */

static int looks_integer(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == ' ' || c == '\t' || c == '\r' || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/* Integers separated by blanks, at least one of them negative ("1 -2 3"): FIMI with a
 * negative item, not a basket of one item named "1 -2 3". */
static int looks_signed_integers(const char *s, size_t n)
{
    int minus = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9' &&
            (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
            minus = 1;
        } else if (!(c == ' ' || c == '\t' || c == '\r' || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return minus;
}

static crm_status
read_lines(crm__fim_lines *lr, crm__fim_rstate *st, const crm_progress *progress, crm_error *err)
{
    crm_fim_format fmt = st->opt->format;
    const char *line;
    size_t len;
    int rc;
    while ((rc = crm__fim_lr_next(lr, &line, &len)) == LR_LINE) {
        crm_status s;
        if (is_blank(line, len)) {
            if (!st->opt->skip_empty) {
                s = crm__fim_db_push_ids(st->db, NULL, 0, NULL, 0, err);
                if (s != CRM_OK) {
                    return s;
                }
            }
            continue;
        }
        if (fmt == CRM_FIM_FORMAT_AUTO && line[0] != '@') {
            if (looks_signed_integers(line, len)) {
                return crm__error_at(err, CRM_EPARSE, st->src, lr->line_no, 0,
                                     "a negative item in a line of integers: FIMI items are "
                                     "whole numbers >= 0 (give --format basket if each line "
                                     "is one item name)");
            }
            fmt = looks_integer(line, len) ? CRM_FIM_FORMAT_FIMI : CRM_FIM_FORMAT_BASKET;
        }
        if (fmt == CRM_FIM_FORMAT_BASKET) {
            s = basket_line(st, line, len, err);
        } else {
            s = fimi_line(st, line, len, lr->line_no, err);
        }
        if (s != CRM_OK) {
            return s;
        }
        if (st->opt->max_transactions > 0 && st->db->n_trans > st->opt->max_transactions) {
            return crm__error_at(err, CRM_ELIMIT, st->src, lr->line_no, 0,
                                 "more than %lld transactions",
                                 (long long)st->opt->max_transactions);
        }
        if ((lr->line_no & 0xffff) == 0 &&
            !crm_progress_report(progress, "reading", crm__fim_lr_fraction(lr))) {
            return crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    if (rc != LR_EOF) {
        return crm__fim_lr_error(lr, rc, st->src, err);
    }
    if (fmt == CRM_FIM_FORMAT_BASKET && st->db->kind == FIM_KIND_NONE) {
        st->db->kind = FIM_KIND_NAMED;
    }
    return CRM_OK;
}

/* ---- FIMI text in parts, one thread each --------------------------------------------------- */

/* Smaller inputs are parsed on one thread unless more are asked for. */
#define PART_MIN_BYTES ((size_t)256 << 10)

/* Note code v (from CRM_FIM_CODE_DIR_MAX up, or beyond the seen table); 0: out of memory. */
static int raw_see(crm__fim_raw *r, int64_t v)
{
    int64_t cap = r->seen_cap > 0 ? r->seen_cap : 1024;
    uint32_t *seen;
    if (v >= CRM_FIM_CODE_DIR_MAX) {
        return crm__fim_cmap_add(&r->big, (int32_t)v, 0);
    }
    while (cap <= v) {
        cap *= 2;
    }
    cap = cap < CRM_FIM_CODE_DIR_MAX ? cap : CRM_FIM_CODE_DIR_MAX;
    seen = crm_realloc(r->seen, (size_t)cap * sizeof *seen);
    if (seen == NULL) {
        return 0;
    }
    memset(seen + r->seen_cap, 0, (size_t)(cap - r->seen_cap) * sizeof *seen);
    seen[v]++;
    r->seen = seen;
    r->seen_cap = cap;
    return 1;
}

/* Parse the whole lines of p[0..e) into r, the codes (kept as they are, the dictionary being
 * merged later in file order) into codes[0..(e - p) / 2 + 1): every code takes a digit and a
 * separator but the last, so no bound is checked below. 0 when a line needs the serial reader:
 * anything but integers and blanks (a bad item, "@" metadata, baskets to detect), a line over the
 * limit, or no memory. That reader then gives the errors, lines and columns of old. */
static int raw_parse(crm__fim_raw *r,
                     const char *p,
                     const char *e,
                     int32_t *codes,
                     int skip_empty,
                     size_t max_line)
{
    uint32_t *seen;
    int64_t seen_cap, m = 0;
    int ascending = 1;
    r->codes = codes;
    r->off_cap = (e - p) / 64 + 16;
    r->off = crm_mallocarray((size_t)r->off_cap, sizeof *r->off);
    if (r->off == NULL) {
        return 0;
    }
    r->off[0] = 0;
    seen = r->seen;
    seen_cap = r->seen_cap;
    while (p < e) {
        const char *line = p;
        int64_t m0 = m;
        while (p < e && *p != '\n') {
            unsigned d = (unsigned)(*p - '0');
            if (d < 10) {
                int64_t v = d;
                p++;
                while (p < e && (d = (unsigned)(*p - '0')) < 10 && v <= INT32_MAX) {
                    v = v * 10 + d;
                    p++;
                }
                if (v > INT32_MAX ||
                    (p < e && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')) {
                    return 0;
                }
                ascending &= m == m0 || codes[m - 1] < v;
                if (v < seen_cap) {
                    seen[v]++;
                } else {
                    if (!raw_see(r, v)) {
                        return 0;
                    }
                    seen = r->seen;
                    seen_cap = r->seen_cap;
                }
                codes[m++] = (int32_t)v;
            } else if (*p == ' ' || *p == '\t' || *p == '\r') {
                p++;
            } else {
                return 0;
            }
        }
        if ((size_t)(p - line) > max_line) {
            return 0;
        }
        p += p < e;
        if (m == m0 && skip_empty) {
            continue;
        }
        if (r->n_lines + 2 > r->off_cap) {
            int64_t *off = crm_realloc(r->off, 2 * (size_t)r->off_cap * sizeof *off);
            if (off == NULL) {
                return 0;
            }
            r->off = off;
            r->off_cap *= 2;
        }
        r->off[++r->n_lines] = m;
    }
    r->n_codes = m;
    r->ascending = ascending;
    return 1;
}

static void raw_free(crm__fim_raw *parts, int n)
{
    for (int k = 0; parts != NULL && k < n; k++) {
        crm_free(parts[k].off);
        crm_free(parts[k].seen);
        crm__fim_cmap_fini(&parts[k].big);
    }
    crm_free(parts);
}

/* Codes a store needs for the parts of len bytes of text cut into n (see parse_parts). */
static size_t store_need(size_t len, int n)
{
    return len / 2 + (size_t)n + 1;
}

/* Cut text[from..to) at line ends into at most n parts (*used of them) and parse them in
 * parallel into parts[0..*used), their codes into store[0..store_need(to - from, n)), a place
 * for each part by where its text starts. 0 when a part declines (see raw_parse). */
static int parse_parts(const char *text,
                       size_t from,
                       size_t to,
                       int n,
                       crm__fim_raw *parts,
                       int32_t *store,
                       const crm_fim_read_options *opt,
                       int *used)
{
    size_t max_line = opt->max_line_bytes > 0 ? (size_t)opt->max_line_bytes : DEFAULT_MAX_LINE;
    size_t cut[65];
    int ok = 1;
    n = n < 64 ? n : 64;
    n = (size_t)n > to - from ? (int)(to - from) : n;
    n = n > 0 ? n : 1;
    *used = n;
    cut[0] = from;
    cut[n] = to;
    for (int k = 1; k < n; k++) {
        size_t pos = from + (to - from) / (size_t)n * (size_t)k;
        const char *nl;
        pos = pos > cut[k - 1] ? pos : cut[k - 1] + 1;
        nl = pos <= to ? memchr(text + pos - 1, '\n', to - pos + 1) : NULL;
        cut[k] = nl != NULL ? (size_t)(nl - text) + 1 : to;
    }
#pragma omp parallel for num_threads(n) schedule(static, 1) reduction(& : ok) if (n > 1)
    for (int k = 0; k < n; k++) {
        ok &= raw_parse(&parts[k], text + cut[k], text + cut[k + 1],
                        store + (cut[k] - from) / 2 + (size_t)k, opt->skip_empty, max_line);
    }
    return ok;
}

/* One database from parsed parts (taken and freed) and their store (taken): the one the
 * serial reader gives. *out stays NULL (CRM_OK) when the serial reader must read the text
 * instead. */
static crm_status parts_to_db(crm__fim_raw *parts,
                              int n,
                              int ok,
                              int32_t *store,
                              size_t store_cap,
                              const crm_fim_read_options *opt,
                              const crm_progress *progress,
                              crm_fim_db **out,
                              crm_error *err)
{
    crm_fim_db *db = NULL;
    int64_t lines = 0;
    crm_status rc;
    for (int k = 0; k < n; k++) {
        lines += parts[k].n_lines;
    }
    if (!ok || lines == 0 || (opt->max_transactions > 0 && lines > opt->max_transactions)) {
        raw_free(parts, n);
        crm_free(store);
        return CRM_OK;
    }
    if (!crm_progress_report(progress, "reading", 1.0)) {
        raw_free(parts, n);
        crm_free(store);
        return crm__error_set(err, CRM_ECANCELLED, "cancelled");
    }
    rc = crm_fim_db_new(&db, err);
    if (rc == CRM_OK) {
        rc = crm__fim_db_from_raw(db, parts, n, crm__n_threads(opt->n_threads), store,
                                  (int64_t)store_cap, err);
    } else {
        crm_free(store);
    }
    raw_free(parts, n);
    if (rc != CRM_OK) {
        crm_fim_db_free(db);
        return rc;
    }
    *out = db;
    return CRM_OK;
}

/* FIMI text data[0..len) cut at line ends into parts parsed in parallel, then one database
 * built from them; *out stays NULL when the serial reader must read the text instead. */
static crm_status read_fimi_parts(const char *data,
                                  size_t len,
                                  const crm_fim_read_options *opt,
                                  const crm_progress *progress,
                                  crm_fim_db **out,
                                  crm_error *err)
{
    int nt = crm__n_threads(opt->n_threads);
    int n = opt->n_threads > 0 || len / PART_MIN_BYTES + 1 >= (size_t)nt
                ? nt
                : (int)(len / PART_MIN_BYTES) + 1;
    crm__fim_raw *parts = crm_calloc((size_t)n, sizeof *parts);
    size_t cap = store_need(len, n);
    int32_t *store = crm_mallocarray(cap, sizeof *store);
    int ok;
    if (parts == NULL || store == NULL) {
        crm_free(parts);
        crm_free(store);
        return crm__error_nomem(err);
    }
    ok = parse_parts(data, 0, len, n, parts, store, opt, &n);
    return parts_to_db(parts, n, ok, store, cap, opt, progress, out, err);
}

/* ---- gzip FIMI: decoding on one thread, parsing behind it on this one ---------------------- */

typedef struct gz_feed {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_rwlock_t moving; /* read-held while a part is parsed; write-held to move the text */
    const void *in;
    size_t in_len;
    const char *src;
    char *text; /* the decoded text so far: done bytes final, decoded from in_used */
    size_t done, in_used;
    int finished, stop;
    crm_status rc; /* the decoder's, once finished */
    crm_error err;
    size_t len;
} gz_feed;

static int feed_advance(void *ctx, const char *text, size_t done, size_t in_used)
{
    gz_feed *f = ctx;
    int go;
    (void)text;
    pthread_mutex_lock(&f->mu);
    f->done = done;
    f->in_used = in_used;
    go = !f->stop;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return go;
}

static char *feed_grow(void *ctx, char *text, size_t cap)
{
    gz_feed *f = ctx;
    char *b = NULL;
    pthread_rwlock_wrlock(&f->moving);
    if (cap == 0) {
        crm_free(text); /* the decoding failed: nothing more to parse */
        f->text = NULL;
    } else if ((b = crm_realloc(text, cap)) != NULL) {
        f->text = b;
    }
    pthread_rwlock_unlock(&f->moving);
    return b;
}

static void *feed_main(void *arg)
{
    gz_feed *f = arg;
    crm__gunzip_hooks hooks = { f, feed_advance, feed_grow };
    char *text = NULL;
    size_t len = 0;
    crm_status rc = crm__gunzip(f->in, f->in_len, f->src, &hooks, &text, &len, &f->err);
    pthread_mutex_lock(&f->mu);
    f->rc = rc;
    f->text = text;
    f->len = len;
    f->done = len;
    f->finished = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* A gzip FIMI file in[0..len): parsed into a database while it is decoded. When the parts
 * decline, *out stays NULL and *text holds the whole decoded text for the serial reader. */
static crm_status read_fimi_gzip(const void *in,
                                 size_t len,
                                 const char *src,
                                 const crm_fim_read_options *opt,
                                 const crm_progress *progress,
                                 crm_fim_db **out,
                                 char **text,
                                 size_t *text_len,
                                 crm_error *err)
{
    gz_feed f;
    pthread_t thread;
    crm__fim_raw *parts = NULL;
    int n = 0, cap = 0, ok = 1, nt = crm__n_threads(opt->n_threads);
    /* parts of a step each, but no more than about 256 of them in all (each has a table of
     * the codes it saw) */
    size_t isize = crm__gunzip_size_guess(in, len);
    size_t part_min = isize / 256 > CRM__GUNZIP_STEP ? isize / 256 : CRM__GUNZIP_STEP;
    size_t parsed = 0, scanned = 0, want = part_min;
    size_t max_line = opt->max_line_bytes > 0 ? (size_t)opt->max_line_bytes : DEFAULT_MAX_LINE;
    /* the parts' codes, one part after another: store[0..used) taken, room for store_cap */
    int32_t *store = NULL;
    size_t used_codes = 0, store_cap = 0;
    crm_status rc, prc = CRM_OK;
    *text = NULL;
    *text_len = 0;
    memset(&f, 0, sizeof f);
    f.in = in;
    f.in_len = len;
    f.src = src;
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    pthread_rwlock_init(&f.moving, NULL);
    if (pthread_create(&thread, NULL, feed_main, &f) != 0) {
        /* no second thread: decode, then parse as plain text */
        pthread_mutex_destroy(&f.mu);
        pthread_cond_destroy(&f.cv);
        pthread_rwlock_destroy(&f.moving);
        rc = crm__gunzip(in, len, src, NULL, text, text_len, err);
        return rc == CRM_OK ? read_fimi_parts(*text, *text_len, opt, progress, out, err) : rc;
    }
    for (;;) {
        size_t avail, cut;
        int fin;
        pthread_mutex_lock(&f.mu);
        while (!f.finished && f.done < want) {
            pthread_cond_wait(&f.cv, &f.mu);
        }
        avail = f.done;
        fin = f.finished;
        pthread_mutex_unlock(&f.mu);
        if (fin && f.rc != CRM_OK) {
            break;
        }
        if (ok && avail > parsed) {
            int k = fin ? nt : 1; /* what is left at the end: on every thread */
            if (n + k > cap) {
                int ncap = cap > 0 ? cap * 2 : 32;
                crm__fim_raw *np;
                ncap = ncap >= n + k ? ncap : n + k;
                np = crm_realloc(parts, (size_t)ncap * sizeof *np);
                if (np == NULL) {
                    ok = 0;
                    prc = CRM_ENOMEM;
                } else {
                    memset(np + cap, 0, (size_t)(ncap - cap) * sizeof *np);
                    parts = np;
                    cap = ncap;
                }
            }
            pthread_rwlock_rdlock(&f.moving);
            if (f.text == NULL) {
                cut = parsed; /* freed by a failed decoding, which the next round reports */
            } else if (fin) {
                cut = avail;
            } else {
                /* parts of at most 4 steps: what is left when the decoding ends is then
                 * parsed on every thread, not by this one alone */
                size_t end = avail - parsed > 4 * part_min ? parsed + 4 * part_min : avail;
                size_t lo = parsed > scanned ? parsed : scanned; /* none before lo */
                cut = end;
                while (cut > lo && f.text[cut - 1] != '\n') {
                    cut--; /* back to the last whole line */
                }
                cut = cut > lo ? cut : parsed;
                scanned = end;
                if (cut == parsed && avail - parsed > max_line) {
                    ok = 0; /* a line over the limit: the serial reader says so */
                }
            }
            if (ok && cut > parsed && used_codes + store_need(cut - parsed, k) > store_cap) {
                /* more room (the trailer's length was short: several members), the parts
                 * moved with it */
                size_t ncap = store_cap * 2 > used_codes + store_need(cut - parsed, k)
                                  ? store_cap * 2
                                  : used_codes + store_need(cut - parsed, k);
                int32_t *ns;
                if (store_cap == 0 && ncap < store_need(isize, nt)) {
                    ncap = store_need(isize, nt);
                }
                ns = crm_realloc(store, ncap * sizeof *ns);
                if (ns == NULL) {
                    ok = 0;
                    prc = CRM_ENOMEM;
                } else {
                    for (int j = 0; j < n; j++) {
                        parts[j].codes = ns + (parts[j].codes - store);
                    }
                    store = ns;
                    store_cap = ncap;
                }
            }
            if (ok && cut > parsed) {
                int used;
                ok = parse_parts(f.text, parsed, cut, k, parts + n, store + used_codes, opt, &used);
                for (int j = n; ok && j < n + used; j++) {
                    size_t end = (size_t)(parts[j].codes - store) + (size_t)parts[j].n_codes;
                    used_codes = end > used_codes ? end : used_codes;
                }
                n += used;
                parsed = cut;
            }
            pthread_rwlock_unlock(&f.moving);
            if (!fin && progress != NULL &&
                !crm_progress_report(progress, "reading", (double)f.in_used / (double)len)) {
                pthread_mutex_lock(&f.mu);
                f.stop = 1;
                pthread_mutex_unlock(&f.mu);
            }
        }
        if (fin) {
            break;
        }
        want = parsed + part_min > avail ? avail + part_min : avail; /* more, or go on */
        if (!ok) {
            want = (size_t)-1; /* the serial reader will read it all: just wait */
        }
        if (prc != CRM_OK) {
            pthread_mutex_lock(&f.mu);
            f.stop = 1;
            pthread_mutex_unlock(&f.mu);
        }
    }
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&f.mu);
    pthread_cond_destroy(&f.cv);
    pthread_rwlock_destroy(&f.moving);
    if (prc != CRM_OK || f.rc != CRM_OK) {
        raw_free(parts, n);
        crm_free(store);
        crm_free(f.text);
        if (prc != CRM_OK) {
            return crm__error_nomem(err);
        }
        if (err != NULL) {
            *err = f.err;
        }
        return f.rc;
    }
    rc = parts_to_db(parts, n, ok, store, store_cap, opt, progress, out, err);
    if (rc != CRM_OK || *out != NULL) {
        crm_free(f.text);
        return rc;
    }
    *text = f.text;
    *text_len = f.len;
    return CRM_OK;
}

/* ---- entry points ------------------------------------------------------------------------- */

static crm_status check_options(const crm_fim_read_options *opt, crm_error *err)
{
    if (opt->format < CRM_FIM_FORMAT_AUTO || opt->format > CRM_FIM_FORMAT_VAS) {
        return crm__error_set(err, CRM_EINVAL, "unknown transaction format %d", (int)opt->format);
    }
    if (opt->sep == '\0' || opt->sep == '\n' || opt->sep == '"') {
        return crm__error_set(err, CRM_EINVAL, "bad separator");
    }
    if (opt->max_transactions < 0 || opt->max_line_bytes < 0) {
        return crm__error_set(err, CRM_EINVAL, "negative limits");
    }
    return CRM_OK;
}

static crm_status read_any(crm__fim_lines *lr,
                           const char *src,
                           const crm_fim_read_options *opt,
                           const crm_progress *progress,
                           crm_fim_db **out,
                           crm_error *err)
{
    crm__fim_rstate st;
    crm_fim_db *db = NULL;
    crm_status rc;
    memset(&st, 0, sizeof st);
    rc = crm_fim_db_new(&db, err);
    if (rc != CRM_OK) {
        return rc;
    }
    st.db = db;
    st.opt = opt;
    st.src = src;
    if (opt->format == CRM_FIM_FORMAT_LONG || opt->format == CRM_FIM_FORMAT_VAS) {
        rc = crm__fim_read_csv(lr, &st, progress, err);
    } else {
        db->kind = opt->format == CRM_FIM_FORMAT_BASKET ? FIM_KIND_NAMED : FIM_KIND_NONE;
        if (opt->format == CRM_FIM_FORMAT_BASKET) {
            db->has_names = 1;
        }
        rc = read_lines(lr, &st, progress, err);
        if (rc == CRM_OK && db->kind == FIM_KIND_NAMED) {
            db->has_names = 1;
        }
    }
    if (rc == CRM_OK && db->n_trans == 0) {
        rc = crm__error_at(err, CRM_EDATA, src, 0, 0, "no transactions in the input");
    }
    if (rc == CRM_OK) {
        rc = crm_fim_db_finish(db, err);
    }
    crm_free(st.ids);
    if (rc != CRM_OK) {
        crm_fim_db_free(db);
        return rc;
    }
    *out = db;
    return CRM_OK;
}

static void lr_setup(crm__fim_lines *lr, const crm_fim_read_options *opt)
{
    memset(lr, 0, sizeof *lr);
    lr->max_line = opt->max_line_bytes > 0 ? (size_t)opt->max_line_bytes : (size_t)DEFAULT_MAX_LINE;
}

crm_status crm_fim_db_read(const char *path,
                           const crm_fim_read_options *opt,
                           const crm_progress *progress,
                           crm_fim_db **out,
                           crm_error *err)
{
    crm_fim_read_options def = crm_fim_read_options_default();
    crm__fim_lines lr;
    struct stat sb;
    crm_status rc;
    if (out == NULL || path == NULL) {
        return crm__error_set(err, CRM_EINVAL, "read: path and out are required");
    }
    *out = NULL;
    if (opt == NULL) {
        opt = &def;
    }
    rc = check_options(opt, err);
    if (rc != CRM_OK) {
        return rc;
    }
    lr_setup(&lr, opt);
    if (stat(path, &sb) != 0) {
        return crm__error_errno_input(err, errno, path, "cannot open");
    }
    if (S_ISDIR(sb.st_mode)) {
        return crm__error_at(err, CRM_ENOTFOUND, path, 0, 0, "is a directory");
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (opt->format == CRM_FIM_FORMAT_AUTO || opt->format == CRM_FIM_FORMAT_FIMI)) {
        int fd = open(path, O_RDONLY);
        void *map =
            fd >= 0 ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        const unsigned char *b = map;
        if (fd >= 0) {
            close(fd);
        }
        if (map != MAP_FAILED && !(sb.st_size >= 2 && b[0] == 0x1f && b[1] == 0x8b)) {
            /* plain text: parsed in parts in place, the serial reader where that declines */
            (void)posix_madvise(map, (size_t)sb.st_size, POSIX_MADV_WILLNEED);
            rc = read_fimi_parts(map, (size_t)sb.st_size, opt, progress, out, err);
            if (rc == CRM_OK && *out == NULL) {
                lr.mem = map;
                lr.mem_len = (size_t)sb.st_size;
                rc = read_any(&lr, path, opt, progress, out, err);
            }
            munmap(map, (size_t)sb.st_size);
            return rc;
        }
        if (map != MAP_FAILED && (size_t)sb.st_size <= GZIP_WHOLE_MAX) {
            /* gzip: parsed behind the decoding, the serial reader where that declines */
            char *text = NULL;
            size_t text_len = 0;
            rc = read_fimi_gzip(map, (size_t)sb.st_size, path, opt, progress, out, &text, &text_len,
                                err);
            munmap(map, (size_t)sb.st_size);
            if (rc == CRM_OK && *out == NULL) {
                lr.mem = text;
                lr.mem_len = text_len;
                rc = read_any(&lr, path, opt, progress, out, err);
            }
            crm_free(text);
            return rc;
        }
        if (map != MAP_FAILED) {
            munmap(map, (size_t)sb.st_size);
        }
    }
    lr.file_bytes = (int64_t)sb.st_size;
    lr.gz = gzopen(path, "rb");
    if (lr.gz == NULL) {
        return crm__error_errno_input(err, errno ? errno : ENOMEM, path, "cannot open");
    }
    (void)gzbuffer(lr.gz, 256u << 10);
    lr.cap = READ_CHUNK;
    lr.buf = crm_malloc(lr.cap);
    if (lr.buf == NULL) {
        gzclose(lr.gz);
        return crm__error_nomem(err);
    }
    lr.pipe = pipe_start(lr.gz);
    rc = read_any(&lr, path, opt, progress, out, err);
    pipe_end(lr.pipe);
    crm_free(lr.buf);
    gzclose(lr.gz);
    return rc;
}

crm_status crm_fim_db_read_mem(const char *data,
                               size_t len,
                               const char *source,
                               const crm_fim_read_options *opt,
                               crm_fim_db **out,
                               crm_error *err)
{
    crm_fim_read_options def = crm_fim_read_options_default();
    crm__fim_lines lr;
    crm_status rc;
    if (out == NULL || (data == NULL && len > 0)) {
        return crm__error_set(err, CRM_EINVAL, "read_mem: bad arguments");
    }
    *out = NULL;
    if (opt == NULL) {
        opt = &def;
    }
    rc = check_options(opt, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (len > 0 && (opt->format == CRM_FIM_FORMAT_AUTO || opt->format == CRM_FIM_FORMAT_FIMI)) {
        rc = read_fimi_parts(data, len, opt, NULL, out, err);
        if (rc != CRM_OK || *out != NULL) {
            return rc;
        }
    }
    lr_setup(&lr, opt);
    lr.mem = data != NULL ? data : "";
    lr.mem_len = len;
    return read_any(&lr, source != NULL ? source : "<memory>", opt, NULL, out, err);
}
