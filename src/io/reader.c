/* reader.c: opening inputs (files, pipes, standard input, memory), bringing them into memory
 * whole or streaming them, and giving their lines and CSV records (reader.h). A regular file
 * of MAP_MIN bytes (64 KiB) or more is mapped under filemap.c's SIGBUS guard; a smaller one is read
 * with read(). Either way a file truncated by another process while it is read is reported
 * ("the file changed while it was read"), never a crash. */
#define _GNU_SOURCE /* SEEK_HOLE */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_internal.h"
#include "csv_internal.h"

#define READ_STEP   ((size_t)1 << 20)  /* bytes per read() of a whole file */
#define MAP_MIN     ((size_t)64 << 10) /* files from this size on are mapped */
#define STREAM_STEP ((size_t)1 << 20)  /* bytes per read() of a stream, and per inflate step */

void (*crm__reader_read_hook)(const char *path, size_t bytes_read) = NULL;

struct crm__reader {
    char *source;
    size_t max_line, max_field;
    int n_threads; /* for crm__io_gunzip */
    /* whole: text[0..text_len), pos the next line; owned is freed at the end */
    int whole;
    const char *text;
    size_t text_len, pos;
    char *owned;
    void *map; /* the mapped file (text, or the gzip data being decoded), map_len bytes */
    size_t map_len;
    /* stream: fd, gz (NULL for plain), raw input not yet inflated, lines in buf[beg..end) */
    int fd, close_fd;
    crm__gz_stream *gz;
    uint8_t *raw;
    size_t raw_off, raw_len;
    int raw_eof;
    int64_t raw_total, file_bytes;
    int64_t hole_at; /* mapped up to the first hole's first byte, at this offset; -1: no hole */
    char *buf;
    size_t beg, end, cap;
    int eof;
    int64_t line_no;
    /* the failure */
    crm_status fail_rc;
    crm_error fail_err;
    /* records: the record's text, its fields (unquoted, NUL-terminated) in arena */
    char *rec;
    size_t rec_len, rec_cap;
    char *arena;
    size_t arena_cap;
    const char **fields;
    size_t *lens;
    csv_chunk scan; /* scratch of the field scanner */
};

static crm_status changed(crm_error *err, const char *path)
{
    return crm__error_at(err, CRM_EIO, path, 0, 0,
                         "the file changed while it was read (another program truncated it)");
}

/* ---- whole files ---------------------------------------------------------------------------- */

/* Every byte of fd (size: what fstat said, 0 when unknown or not a regular file) into a new
 * block with a NUL after it. A regular file that ends before size bytes changed under us. */
static crm_status read_all(int fd,
                           const char *path,
                           int regular,
                           size_t size,
                           char **out,
                           size_t *out_len,
                           crm_error *err)
{
    /* room for the NUL and for the read that finds the end, so that a file of the size fstat
     * gave is read without moving the block */
    size_t cap = size > 0 ? size + 4096 : (size_t)1 << 16, n = 0;
    char *buf = crm_malloc(cap);
    *out = NULL;
    *out_len = 0;
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    for (;;) {
        ssize_t got;
        size_t want;
        if (n + 1 == cap) {
            char *b = crm_realloc(buf, cap * 2);
            if (b == NULL) {
                crm_free(buf);
                return crm__error_nomem(err);
            }
            buf = b;
            cap *= 2;
        }
        want = cap - 1 - n < READ_STEP ? cap - 1 - n : READ_STEP;
        got = read(fd, buf + n, want);
        if (got < 0) {
            crm_status rc;
            if (errno == EINTR) {
                continue;
            }
            rc = crm__error_errno_input(err, errno, path, "cannot read");
            crm_free(buf);
            return rc;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
        if (crm__reader_read_hook != NULL) {
            crm__reader_read_hook(path, n);
        }
        /* A NUL byte in text (not gzip) is an error the parser reports with its line and
         * field: stop reading there, so /dev/zero or a binary stream on standard input fails
         * at once instead of filling memory. */
        if (!crm__io_is_gzip(buf, n) && memchr(buf + n - (size_t)got, '\0', (size_t)got) != NULL) {
            break;
        }
    }
    if (regular && n < size) {
        crm_free(buf);
        return changed(err, path);
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return CRM_OK;
}

/* ---- streams -------------------------------------------------------------------------------- */

static int fail(crm__reader *r, crm_status rc)
{
    r->fail_rc = rc;
    return CRM__READ_FAIL;
}

/* More raw bytes from the file into r->raw (which keeps what is not consumed). 0 or -1. */
static int raw_more(crm__reader *r)
{
    ssize_t got;
    if (r->raw_off > 0) {
        memmove(r->raw, r->raw + r->raw_off, r->raw_len);
        r->raw_off = 0;
    }
    do {
        got = read(r->fd, r->raw + r->raw_len, STREAM_STEP - r->raw_len);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        return fail(r, crm__error_errno(&r->fail_err, errno, r->source, "cannot read"));
    }
    if (got == 0) {
        r->raw_eof = 1;
    }
    r->raw_len += (size_t)got;
    r->raw_total += got;
    return 0;
}

/* Up to cap decoded bytes into dst: their number, 0 at the end, -1 on failure. */
static long stream_fill(crm__reader *r, char *dst, size_t cap)
{
    if (r->gz == NULL) {
        ssize_t got;
        if (r->raw_len > 0) { /* the bytes read to look for the gzip magic */
            size_t n = r->raw_len < cap ? r->raw_len : cap;
            memcpy(dst, r->raw + r->raw_off, n);
            r->raw_off += n;
            r->raw_len -= n;
            return (long)n;
        }
        do {
            got = read(r->fd, dst, cap < STREAM_STEP ? cap : STREAM_STEP);
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            return fail(r, crm__error_errno(&r->fail_err, errno, r->source, "cannot read"));
        }
        r->raw_total += got;
        return (long)got;
    }
    for (;;) {
        crm__gz_step st;
        int rc;
        if (r->raw_len == 0 && !r->raw_eof && raw_more(r) != 0) {
            return -1;
        }
        st.in = r->raw + r->raw_off;
        st.in_len = r->raw_len;
        st.at_eof = r->raw_eof;
        st.out = dst;
        st.out_cap = cap;
        rc = crm__gz_stream_inflate(r->gz, &st);
        r->raw_off = (size_t)(st.in - r->raw);
        r->raw_len = st.in_len;
        if (rc < 0) {
            return fail(r, crm__gz_stream_error(r->gz, r->source, &r->fail_err));
        }
        if (st.made > 0) {
            return (long)st.made;
        }
        if (rc == 1) {
            return 0;
        }
        if (r->raw_len > 0 && r->raw_eof) {
            return fail(r, crm__gz_stream_error(r->gz, r->source, &r->fail_err));
        }
        if (r->raw_len == 0 && r->raw_eof) {
            return 0;
        }
        if (r->raw_len > 0 && raw_more(r) != 0) {
            return -1; /* input left that inflate could not use yet: read more beside it */
        }
    }
}

static crm_status start_stream(crm__reader *r, crm_error *err)
{
    r->raw = crm_malloc(STREAM_STEP);
    r->cap = STREAM_STEP;
    r->buf = crm_malloc(r->cap);
    if (r->raw == NULL || r->buf == NULL) {
        return crm__error_nomem(err);
    }
    while (r->raw_len < 2 && !r->raw_eof) {
        if (raw_more(r) != 0) {
            *err = r->fail_err;
            return r->fail_rc;
        }
    }
    if (crm__io_is_gzip(r->raw, r->raw_len)) {
        return crm__gz_stream_new(&r->gz, err);
    }
    return CRM_OK;
}

/* ---- opening -------------------------------------------------------------------------------- */

static crm__reader *reader_alloc(const char *source, const crm__reader_limits *limits)
{
    crm__reader *r = crm_calloc(1, sizeof *r);
    size_t n = strlen(source);
    if (r == NULL) {
        return NULL;
    }
    r->source = crm_malloc(n + 1);
    if (r->source == NULL) {
        crm_free(r);
        return NULL;
    }
    memcpy(r->source, source, n + 1);
    r->fd = -1;
    r->hole_at = -1;
    r->max_line = limits != NULL && limits->max_line > 0 ? limits->max_line : CRM__READER_MAX_LINE;
    r->max_field =
        limits != NULL && limits->max_field > 0 ? limits->max_field : CRM__READER_MAX_FIELD;
    r->n_threads = limits != NULL ? limits->n_threads : 0;
    return r;
}

void crm__reader_free(crm__reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->close_fd) {
        (void)close(r->fd);
    }
    crm__gz_stream_free(r->gz);
    crm__filemap_close(r->map, r->map_len);
    CRM__FREE(r->owned, r->raw, r->buf, r->rec, r->arena, r->fields, r->lens, r->scan.scratch,
              r->source, r);
}

/* Whole text from a block that may be gzip: decoded into r->owned, or taken as it is. */
static crm_status
set_whole(crm__reader *r, const char *data, size_t len, char *owned, crm_error *err)
{
    r->whole = 1;
    if (crm__io_is_gzip(data, len)) {
        char *text;
        size_t text_len;
        crm_status rc = crm__io_gunzip(data, len, r->source, r->n_threads, &text, &text_len, err);
        crm_free(owned);
        if (rc != CRM_OK) {
            return rc;
        }
        r->owned = text;
        r->text = text;
        r->text_len = text_len;
        return CRM_OK;
    }
    r->owned = owned;
    r->text = data != NULL ? data : "";
    r->text_len = len;
    return CRM_OK;
}

/* A gzip file whose last member says it decodes to more than CRM__READER_GZ_RATIO times its
 * size (the ISIZE field, the decoded length mod 2^32): tables of text compress 3 to 20 times;
 * a "zip bomb" of one repeated byte a thousand times. */
#define CRM__READER_GZ_RATIO 64
static int gzip_bomb_like(int fd, off_t size)
{
    uint8_t t[4];
    uint64_t isize;
    if (size < 18 || pread(fd, t, 4, size - 4) != 4) {
        return 0;
    }
    isize = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
    return isize > (uint64_t)size * CRM__READER_GZ_RATIO + ((uint64_t)1 << 20);
}

/* Bytes of a regular file to map: all of it, or up to and including the first byte of its
 * first hole (a sparse file's hole reads as NUL bytes, which no text has): a 2 GB sparse file
 * then fails at that NUL at once instead of being read, page by zero page, in full. */
static size_t map_size(crm__reader *r, off_t size)
{
#ifdef SEEK_HOLE
    off_t hole = lseek(r->fd, 0, SEEK_HOLE);
    if (hole >= 0 && hole < size) {
        r->hole_at = (int64_t)hole;
        return (size_t)hole + 1;
    }
#endif
    (void)r;
    return (size_t)size;
}

crm_status crm__reader_open(const char *path,
                            const crm__reader_limits *limits,
                            crm__reader **out,
                            crm_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    char *shown = NULL; /* a database source: its rows as CSV in a memory file */
    int db_fd = crm_table_source_is_database(path) ? crm__database_open_fd(path, &shown, err) : -1;
    crm__reader *r = NULL;
    struct stat st;
    crm_status rc = CRM_OK;
    *out = NULL;
    if (shown != NULL && db_fd < 0) {
        crm_free(shown);
        return err->code;
    }
    r = reader_alloc(is_stdin ? "<stdin>" : shown != NULL ? shown : path, limits);
    crm_free(shown);
    if (r == NULL) {
        if (db_fd >= 0) {
            close(db_fd);
        }
        return crm__error_nomem(err);
    }
    if (is_stdin) {
        r->fd = STDIN_FILENO;
    } else if (db_fd >= 0) {
        r->fd = db_fd;
        r->close_fd = 1;
    } else {
        r->fd = open(path, O_RDONLY);
        if (r->fd < 0) {
            rc = crm__error_errno_input(err, errno, path, "cannot open");
            crm__reader_free(r);
            return rc;
        }
        r->close_fd = 1;
    }
    if (fstat(r->fd, &st) != 0) {
        rc = crm__error_errno_input(err, errno, r->source, "cannot read");
    } else if (S_ISDIR(st.st_mode)) {
        rc = crm__error_at(err, CRM_ENOTFOUND, r->source, 0, 0, "is a directory");
    } else if (S_ISREG(st.st_mode)) {
        uint8_t magic[2];
        r->file_bytes = (int64_t)st.st_size;
        if (is_stdin) {
            /* a regular file is read from its start, as a mapped one is: "-" may be opened
             * more than once (under mpirun, crm_dist_share_stdin) */
            (void)lseek(r->fd, 0, SEEK_SET);
        }
        int gz = pread(r->fd, magic, 2, 0) == 2 && crm__io_is_gzip(magic, 2);
        if (gz &&
            ((size_t)st.st_size > CRM__READER_WHOLE_MAX || gzip_bomb_like(r->fd, st.st_size))) {
            /* too large to hold decoded, or far more text than gzip makes of a table: inflated
             * in steps, so the limits apply while it is read */
            rc = start_stream(r, err);
        } else if ((size_t)st.st_size >= MAP_MIN &&
                   (r->map = crm__filemap_open(r->fd, map_size(r, st.st_size),
                                               gz || limits == NULL || !limits->lazy_map)) !=
                       NULL) {
            r->map_len = map_size(r, st.st_size);
            if (crm__reader_read_hook != NULL) {
                crm__reader_read_hook(r->source, r->map_len);
            }
            rc = set_whole(r, r->map, r->map_len, NULL, err);
            if (r->owned != NULL || rc != CRM_OK) {
                /* gzip, decoded: the mapping is done with */
                if (!crm__filemap_intact(r->map)) {
                    rc = changed(err, r->source);
                }
                crm__filemap_close(r->map, r->map_len);
                r->map = NULL;
            }
        } else {
            char *data;
            size_t len;
            rc = read_all(r->fd, r->source, 1, (size_t)st.st_size, &data, &len, err);
            if (rc == CRM_OK) {
                rc = set_whole(r, data, len, data, err);
            }
        }
    } else {
        r->file_bytes = 0;
        rc = start_stream(r, err);
    }
    if (rc != CRM_OK) {
        crm__reader_free(r);
        return rc;
    }
    *out = r;
    return CRM_OK;
}

crm_status crm__reader_open_mem(const char *data,
                                size_t len,
                                const char *source,
                                const crm__reader_limits *limits,
                                crm__reader **out,
                                crm_error *err)
{
    crm__reader *r = reader_alloc(source != NULL ? source : "<memory>", limits);
    crm_status rc;
    *out = NULL;
    if (r == NULL) {
        return crm__error_nomem(err);
    }
    rc = set_whole(r, data, len, NULL, err);
    if (rc != CRM_OK) {
        crm__reader_free(r);
        return rc;
    }
    *out = r;
    return CRM_OK;
}

crm_status crm__reader_intact(const crm__reader *r, crm_error *err)
{
    if (r->map != NULL && !crm__filemap_intact(r->map)) {
        return changed(err, r->source);
    }
    return CRM_OK;
}

static const char *last_newline(const char *s, size_t n)
{
    while (n > 0) {
        if (s[--n] == '\n') {
            return s + n;
        }
    }
    return NULL;
}

/* A stream drained into r->owned, the reader then holding the whole text. */
static crm_status drain(crm__reader *r, crm_error *err)
{
    size_t cap = (size_t)1 << 20, n = 0;
    size_t line_start = 0; /* where the line being read began */
    char *buf = crm_malloc(cap);
    long got = 1;
    while (buf != NULL && got > 0) {
        if (cap - n < 2) {
            char *b = crm_realloc(buf, cap * 2);
            if (b == NULL) {
                crm_free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        got = stream_fill(r, buf + n, cap - n - 1);
        if (got > 0) {
            const char *nl = last_newline(buf + n, (size_t)got);
            n += (size_t)got;
            if (nl != NULL) {
                line_start = (size_t)(nl - buf) + 1;
            } else if (n - line_start > r->max_line) {
                /* no line is that long in a table: a stream of one byte (a gzip bomb, a
                 * binary pipe) fails here instead of filling memory */
                int64_t line = 1;
                for (const char *p = buf; p < buf + line_start; p++) {
                    line += *p == '\n';
                }
                crm_free(buf);
                return crm__error_at(err, CRM_ELIMIT, r->source, line, 0,
                                     "line longer than the limit of %zu bytes", r->max_line);
            }
        }
        /* a NUL byte (reported by the parser with its line and field): stop there, so
         * /dev/zero or a binary stream fails at once instead of filling memory */
        if (got > 0 && memchr(buf + n - (size_t)got, '\0', (size_t)got) != NULL) {
            break;
        }
    }
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    if (got < 0) {
        crm_free(buf);
        return crm__reader_error(r, err);
    }
    buf[n] = '\0';
    r->owned = buf;
    r->text = buf;
    r->text_len = n;
    r->whole = 1;
    return CRM_OK;
}

crm_status crm__reader_open_whole(const char *path, crm__reader **out, crm_error *err)
{
    return crm__reader_open_whole_with(path, NULL, out, err);
}

crm_status crm__reader_open_whole_with(const char *path,
                                       const crm__reader_limits *limits,
                                       crm__reader **out,
                                       crm_error *err)
{
    crm_status rc = crm__reader_open(path, limits, out, err);
    if (rc == CRM_OK && !(*out)->whole) {
        rc = drain(*out, err);
    }
    if (rc == CRM_OK) {
        /* the encoding and line endings, from the first 64 KiB, before anyone parses */
        rc = crm__reader_sniff((*out)->text, (*out)->text_len, (*out)->source, ',', 65536, err);
        if (rc != CRM_OK && (*out)->map != NULL) {
            /* the zeros after the end of a mapped file cut while it was read */
            struct stat st;
            if (stat(path, &st) != 0 || (size_t)st.st_size != (*out)->map_len) {
                rc = changed(err, (*out)->source);
            }
        }
    }
    if (rc != CRM_OK && *out != NULL) {
        crm__reader_free(*out);
        *out = NULL;
    }
    return rc;
}

crm_status crm__io_load(const char *path, char **data, size_t *len, crm_error *err)
{
    crm__reader *r = NULL;
    crm_status rc = crm__reader_open_whole(path, &r, err);
    *data = NULL;
    *len = 0;
    if (rc != CRM_OK) {
        return rc;
    }
    if (r->owned != NULL) {
        *data = r->owned;
        *len = r->text_len;
        r->owned = NULL;
    } else if ((*data = crm_malloc(r->text_len + 1)) == NULL) {
        rc = crm__error_nomem(err);
    } else {
        memcpy(*data, r->text, r->text_len);
        (*data)[r->text_len] = '\0';
        *len = r->text_len;
        rc = crm__reader_intact(r, err);
        if (rc != CRM_OK) {
            crm_free(*data);
            *data = NULL;
            *len = 0;
        }
    }
    crm__reader_free(r);
    return rc;
}

int64_t crm__reader_hole(const crm__reader *r)
{
    return r->hole_at;
}

int crm__reader_text_mapped(const crm__reader *r)
{
    return r->whole && r->map != NULL && r->text == (const char *)r->map;
}

int crm__reader_fd(const crm__reader *r)
{
    return crm__reader_text_mapped(r) ? r->fd : -1;
}

crm_status
crm__reader_pread(int fd, void *buf, size_t n, size_t off, const char *source, crm_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return crm__error_errno_input(err, errno, source, "cannot read");
        }
        if (k == 0) {
            return changed(err, source);
        }
        got += (size_t)k;
    }
    return CRM_OK;
}

int crm__reader_whole(const crm__reader *r, const char **text, size_t *len)
{
    if (!r->whole) {
        return 0;
    }
    *text = r->text;
    *len = r->text_len;
    return 1;
}

const char *crm__reader_source(const crm__reader *r)
{
    return r->source;
}

int64_t crm__reader_line_no(const crm__reader *r)
{
    return r->line_no;
}

crm_status crm__reader_error(const crm__reader *r, crm_error *err)
{
    if (err != NULL) {
        *err = r->fail_err;
    }
    return r->fail_rc != CRM_OK ? r->fail_rc : CRM_EINTERNAL;
}

double crm__reader_fraction(const crm__reader *r)
{
    if (r->whole) {
        return r->text_len > 0 ? (double)r->pos / (double)r->text_len : 1.0;
    }
    if (r->file_bytes > 0) {
        double f = (double)r->raw_total / (double)r->file_bytes;
        return f > 1.0 ? 1.0 : f;
    }
    return 0.0;
}

/* ---- lines ---------------------------------------------------------------------------------- */

static int too_long(crm__reader *r)
{
    return fail(r, crm__error_at(&r->fail_err, CRM_ELIMIT, r->source, r->line_no + 1, 0,
                                 "line longer than the limit of %zu bytes", r->max_line));
}

int crm__reader_line(crm__reader *r, const char **line, size_t *len)
{
    if (r->whole) {
        const char *p = r->text + r->pos;
        size_t left = r->text_len - r->pos;
        const char *nl;
        if (left == 0) {
            return CRM__READ_EOF;
        }
        nl = memchr(p, '\n', left);
        *line = p;
        *len = nl != NULL ? (size_t)(nl - p) : left;
        if (*len > r->max_line) {
            return too_long(r);
        }
        r->pos += *len + (nl != NULL);
        r->line_no++;
        return CRM__READ_OK;
    }
    for (;;) {
        char *nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);
        long got;
        if (nl != NULL) {
            *line = r->buf + r->beg;
            *len = (size_t)(nl - (r->buf + r->beg));
            if (*len > r->max_line) {
                return too_long(r);
            }
            r->beg += *len + 1;
            r->line_no++;
            return CRM__READ_OK;
        }
        if (r->eof) {
            if (r->end == r->beg) {
                return CRM__READ_EOF;
            }
            *line = r->buf + r->beg;
            *len = r->end - r->beg;
            r->beg = r->end;
            r->line_no++;
            return CRM__READ_OK;
        }
        if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->beg = 0;
        }
        if (r->end == r->cap) {
            size_t ncap = r->cap * 2;
            if (r->cap >= r->max_line + 1) {
                return too_long(r);
            }
            ncap = ncap > r->max_line + 1 ? r->max_line + 1 : ncap;
            if (!crm__grow_bytes(&r->buf, &r->cap, ncap)) {
                return fail(r, crm__error_nomem(&r->fail_err));
            }
        }
        got = stream_fill(r, r->buf + r->end, r->cap - r->end);
        if (got < 0) {
            return CRM__READ_FAIL;
        }
        r->eof = got == 0;
        r->end += (size_t)got;
    }
}

/* ---- CSV records ---------------------------------------------------------------------------- */

static int quotes_open(const char *s, size_t n)
{
    int open = 0;
    for (const char *q = memchr(s, '"', n); q != NULL;
         q = memchr(q + 1, '"', n - (size_t)(q + 1 - s))) {
        open = !open;
    }
    return open;
}

/* The next non-blank record's text into r->rec (lines joined while a quote is open). */
static int next_record_text(crm__reader *r, int64_t *start_line)
{
    const char *line;
    size_t len;
    int rc;
    do {
        int open = 0;
        rc = crm__reader_line(r, &line, &len);
        if (rc != CRM__READ_OK) {
            return rc;
        }
        *start_line = r->line_no;
        r->rec_len = 0;
        for (;;) {
            if (!crm__grow_bytes(&r->rec, &r->rec_cap, r->rec_len + len + 2)) {
                return fail(r, crm__error_nomem(&r->fail_err));
            }
            memcpy(r->rec + r->rec_len, line, len);
            r->rec_len += len;
            open ^= quotes_open(line, len);
            if (!open) {
                break;
            }
            rc = crm__reader_line(r, &line, &len);
            if (rc == CRM__READ_EOF) {
                break; /* an unterminated quote: the split says so */
            }
            if (rc != CRM__READ_OK) {
                return rc;
            }
            r->rec[r->rec_len++] = '\n';
        }
        while (r->rec_len > 0 && r->rec[r->rec_len - 1] == '\r') {
            r->rec_len--;
        }
    } while (r->rec_len == 0);
    return CRM__READ_OK;
}

int crm__reader_record(crm__reader *r, char delim, int32_t n_expected, crm__csv_record *rec)
{
    csv_parser ps;
    const char *p;
    int64_t line = 0;
    size_t used = 0;
    int32_t n = 0;
    int rc = next_record_text(r, &line);
    if (rc != CRM__READ_OK) {
        return rc;
    }
    memset(&ps, 0, sizeof ps);
    ps.base = r->rec;
    ps.len = r->rec_len;
    ps.source = r->source;
    ps.delim = delim;
    ps.quote = '"';
    ps.max_field = (int64_t)r->max_field;
    if (!crm__grow_bytes(&r->arena, &r->arena_cap, r->rec_len + 1)) {
        return fail(r, crm__error_nomem(&r->fail_err));
    }
    if (r->fields == NULL) {
        r->fields = crm_mallocarray(CRM__READER_MAX_FIELDS, sizeof *r->fields);
        r->lens = crm_mallocarray(CRM__READER_MAX_FIELDS, sizeof *r->lens);
        if (r->fields == NULL || r->lens == NULL) {
            return fail(r, crm__error_nomem(&r->fail_err));
        }
    }
    rec->line = line;
    p = r->rec;
    for (;;) {
        csv_field f;
        if (n == CRM__READER_MAX_FIELDS) {
            return fail(r, crm__error_at(&r->fail_err, CRM_ELIMIT, r->source, line, n + 1,
                                         "more than %d fields", CRM__READER_MAX_FIELDS));
        }
        if (crm__csv_scan_field(&ps, &r->scan, &p, &line, n, NULL, &f) != CRM_OK) {
            r->fail_err = r->scan.err;
            return fail(r, r->scan.rc);
        }
        /* unquoting only shortens a field: the arena of the record's size holds them all */
        memcpy(r->arena + used, f.s, f.len);
        r->arena[used + f.len] = '\0';
        r->fields[n] = r->arena + used;
        r->lens[n] = f.len;
        used += f.len + 1;
        n++;
        if (p >= r->rec + r->rec_len || *p != delim) {
            break;
        }
        p++;
    }
    if (n_expected > 0 && n != n_expected) {
        if (n > n_expected) {
            return fail(
                r, crm__error_at(&r->fail_err, CRM_EPARSE, r->source, rec->line, n_expected + 1,
                                 "row has more fields than the %d of the header", (int)n_expected));
        }
        return fail(r,
                    crm__error_at(&r->fail_err, CRM_EPARSE, r->source, rec->line, n + 1,
                                  "row has %d fields, the header has %d", (int)n, (int)n_expected));
    }
    rec->n = n;
    rec->field = r->fields;
    rec->len = r->lens;
    return CRM__READ_OK;
}

/* Text that is not what the readers take (UTF-16 or UTF-32, lines ending in CR alone, a NUL
 * byte): one clear message instead of a parse error somewhere inside. */
crm_status crm__reader_sniff(const char *data,
                             size_t len,
                             const char *source,
                             char delim,
                             size_t nul_limit,
                             crm_error *err)
{
    const unsigned char *u = (const unsigned char *)data;
    size_t head = len < 65536 ? len : 65536;
    size_t nul_len = len < nul_limit ? len : nul_limit;
    const char *nul;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-%s text (byte-order mark %02X %02X); crmkit reads UTF-8: "
                             "convert it first, e.g. iconv -f UTF-16 -t UTF-8",
                             len >= 4 && u[2] == 0 && u[3] == 0 ? "32" : "16", u[0], u[1]);
    }
    if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-32 text (byte-order mark 00 00 FE FF); crmkit reads UTF-8: "
                             "convert it first, e.g. iconv -f UTF-32 -t UTF-8");
    }
    if (len >= 4 && ((u[0] != 0 && u[1] == 0 && u[2] != 0 && u[3] == 0) ||
                     (u[0] == 0 && u[1] != 0 && u[2] == 0 && u[3] != 0))) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-16 text without a byte-order mark (every other byte is NUL); "
                             "crmkit reads UTF-8: convert it first, e.g. iconv -f UTF-16LE -t "
                             "UTF-8");
    }
    if (head > 0 && memchr(data, '\n', head) == NULL && memchr(data, '\r', head) != NULL) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "lines end in CR alone (classic Mac OS line endings); crmkit "
                             "reads LF or CRLF: convert it first, e.g. tr '\\r' '\\n'");
    }
    nul = nul_len > 0 ? memchr(data, '\0', nul_len) : NULL;
    if (nul != NULL) {
        int64_t line = 1;
        int64_t field = 1;
        for (const char *p = data; p < nul; p++) {
            if (*p == '\n') {
                line++;
                field = 1;
            } else if (*p == delim) {
                field++;
            }
        }
        return crm__error_at(err, CRM_EFORMAT, source, line, field,
                             "a NUL byte inside a value (byte %lld of the file): not a text "
                             "file, or a damaged one",
                             (long long)(nul - data) + 1);
    }
    return CRM_OK;
}
