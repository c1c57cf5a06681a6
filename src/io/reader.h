/* reader.h: io's reader API, the one header of src/io that other modules include (fim, and
 * every later reader: CDRs, VAS logs, the server's batch bodies). Not installed.
 *
 * An input is a path (a regular file, a pipe or device, "-" for standard input) or a block of
 * memory. gzip is recognised by its magic bytes, never by the name: a ".gz" file of plain
 * text is read as text. A gzip regular file up to CRM__READER_WHOLE_MAX compressed bytes is
 * decoded whole by libdeflate (every member of a multi-member file, each one's CRC-32 and
 * length checked); a larger one, and gzip on a pipe, is inflated by zlib as it is read, so
 * memory stays bounded. A large regular file is mapped under a SIGBUS guard (filemap.c), a
 * small one read with read(): a file truncated by another process while it is read is an
 * error ("the file changed while it was read"), never a crash; a reader of a mapped file
 * must ask crm__reader_intact before it trusts what it read.
 *
 * Errors name the input and use one set of words: "gzip data is truncated", "gzip data is
 * corrupt (incorrect header check)" (also for bytes after the last member that are neither a
 * member nor zero padding), "gzip data is corrupt (incorrect data check)" (CRC-32 mismatch),
 * "... (incorrect length check)", and zlib's words for a damaged deflate stream; all
 * CRM_EPARSE. Lines and CSV records over the limits are CRM_ELIMIT with line (and field).
 *
 * A reader is used by one thread at a time. */
#ifndef CRM_IO_READER_H
#define CRM_IO_READER_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <crmkit/status.h>

/* A gzip file up to this many compressed bytes is decoded whole into memory (its decoded
 * text then lives in one block); a larger one is inflated in 1 MiB steps. */
#define CRM__READER_WHOLE_MAX ((size_t)256 << 20)
/* Default longest line and longest CSV field. */
#define CRM__READER_MAX_LINE  ((size_t)64 << 20)
#define CRM__READER_MAX_FIELD ((size_t)1 << 20)
/* Most fields in one CSV record. */
#define CRM__READER_MAX_FIELDS 16384

/* 1 when data starts with the gzip magic bytes. */
int crm__io_is_gzip(const void *data, size_t len);

/* Decode the gzip data in[0..len) (one member or several back to back; zero bytes after a
 * member are skipped, anything else is an error) into a new block *out of *out_len bytes
 * with a NUL after them (crm_free it). Errors as above, naming source. With n_threads other
 * than 1 (0: OpenMP's default), a second thread makes the block's pages while it is decoded. */
crm_status crm__io_gunzip(const void *in,
                          size_t len,
                          const char *source,
                          int n_threads,
                          char **out,
                          size_t *out_len,
                          crm_error *err);

/* The whole input at path (a copy, NUL-terminated; "-": standard input, named "<stdin>" in errors),
 * decoded when it is gzip, into a new block *data of *len bytes with a NUL after them (crm_free
 * it). For readers that need all of it at once (the CSV table loader). A directory is CRM_EIO "is a
 * directory". */
crm_status crm__io_load(const char *path, char **data, size_t *len, crm_error *err);

/* ---- lines and records, streamed ------------------------------------------------------ */

typedef struct crm__reader crm__reader;

typedef struct crm__reader_limits {
    size_t max_line;  /* longest line in bytes (0: CRM__READER_MAX_LINE) */
    size_t max_field; /* longest CSV field in bytes (0: CRM__READER_MAX_FIELD) */
    int lazy_map;     /* 1: a mapped file's pages are not all mapped at once (MAP_POPULATE):
                         the caller copies the text with crm__reader_pread instead */
    int n_threads;    /* threads a gzip file decoded whole may use (crm__io_gunzip) */
} crm__reader_limits;

/* Open path ("-": standard input, named "<stdin>" in errors). limits may be NULL. Errors:
 * CRM_ENOTFOUND, CRM_EIO (unreadable, a directory), gzip errors of a file decoded whole,
 * CRM_ENOMEM. */
crm_status crm__reader_open(const char *path,
                            const crm__reader_limits *limits,
                            crm__reader **out,
                            crm_error *err);
/* A reader of data[0..len) (not copied: it must outlive the reader; gzip is decoded). */
crm_status crm__reader_open_mem(const char *data,
                                size_t len,
                                const char *source,
                                const crm__reader_limits *limits,
                                crm__reader **out,
                                crm_error *err);
/* crm__reader_open, then a stream (pipe, standard input, large gzip) read to its end, so that
 * crm__reader_whole always gives the text. */
crm_status crm__reader_open_whole(const char *path, crm__reader **out, crm_error *err);
/* The same with limits (may be NULL). */
crm_status crm__reader_open_whole_with(const char *path,
                                       const crm__reader_limits *limits,
                                       crm__reader **out,
                                       crm_error *err);

/* CRM_EFORMAT, with line and field, for text crmkit does not read: a UTF-16/UTF-32 byte-order
 * mark or every other byte NUL, lines ending in CR alone (both looked for in the first 64
 * KiB), a NUL byte in data[0..nul_limit). crm__reader_open_whole runs it on the first 64 KiB
 * of every input it opens; delim counts the fields before a NUL. */
crm_status crm__reader_sniff(const char *data,
                             size_t len,
                             const char *source,
                             char delim,
                             size_t nul_limit,
                             crm_error *err);
void crm__reader_free(crm__reader *r);
/* CRM_OK, or CRM_EIO "the file changed while it was read" when pages of a mapped file
 * vanished while they were read (they read as zeros): whatever was made from them is wrong. */
crm_status crm__reader_intact(const crm__reader *r, crm_error *err);

/* The whole decoded text when the reader holds it in memory (a regular file, a gzip file
 * decoded whole, memory): 1 and text[0..len) (not NUL-terminated: a mapped file's bytes).
 * 0 for a stream. Lines read so far are not counted: the text is always all of it. */
int crm__reader_whole(const crm__reader *r, const char **text, size_t *len);
/* A regular file with a hole (a sparse file) is mapped only up to and including the hole's
 * first byte, a NUL: its offset, or -1. The text is then not all of the file, and a reader
 * must report that NUL (crm__csv_sniff does) whatever it made of the text. */
int64_t crm__reader_hole(const crm__reader *r);
/* 1 when crm__reader_whole's text is the file's own read-only private mapping: pages of it
 * may then be dropped (madvise MADV_DONTNEED) once read, and a later read of them faults the
 * same bytes back in from the file. */
int crm__reader_text_mapped(const crm__reader *r);
/* The open file descriptor of a mapped text (crm__reader_text_mapped), for copies of its
 * bytes with pread at the offsets of the mapping; -1 otherwise. Owned by the reader. */
int crm__reader_fd(const crm__reader *r);
/* n bytes of fd at offset off into buf with pread (EINTR retried): CRM_OK, CRM_EIO "the
 * file changed while it was read" when the file ends before them, or the read's error;
 * errors name source. */
crm_status
crm__reader_pread(int fd, void *buf, size_t n, size_t off, const char *source, crm_error *err);
/* The name errors give the input. */
const char *crm__reader_source(const crm__reader *r);

enum {
    CRM__READ_EOF = 0,
    CRM__READ_OK = 1,
    CRM__READ_FAIL = -1 /* crm__reader_error says why */
};

/* The next line without its "\n" (a "\r" before it is kept). Valid until the next call. */
int crm__reader_line(crm__reader *r, const char **line, size_t *len);
/* Lines given so far (the number of the last one). */
int64_t crm__reader_line_no(const crm__reader *r);
/* Fraction of the input consumed, for progress (0 when unknown). */
double crm__reader_fraction(const crm__reader *r);
/* Status and message of the failure (line and field named where they are known), into err. */
crm_status crm__reader_error(const crm__reader *r, crm_error *err);

/* One CSV record (RFC 4180: fields quoted with '"', "" inside for a quote, line breaks inside
 * quotes, CRLF). field[j] is NUL-terminated and unquoted, len[j] its length. Valid until the
 * next call. */
typedef struct crm__csv_record {
    int32_t n;          /* fields */
    const char **field; /* n fields */
    const size_t *len;
    int64_t line; /* line where the record starts */
} crm__csv_record;

/* The next record of delimiter delim (blank lines skipped), as crm__reader_line. With
 * n_expected > 0, a record of another number of fields is CRM_EPARSE ("row has 3 fields, the
 * header has 4"). Quoting errors and fields over the limit are the CSV table reader's. */
int crm__reader_record(crm__reader *r, char delim, int32_t n_expected, crm__csv_record *rec);

/* ---- bytes exchanged between processes ---------------------------------------------------- */

/* A part's sums or candidates travel between processes (MPI) as native-endian bytes: these
 * build such a block and read it back. The writer is sticky: after a failed allocation every
 * put does nothing and crm__bytes_out_take answers CRM_ENOMEM. */
typedef struct crm__bytes_out {
    char *p;
    size_t len, cap;
    size_t first_cap; /* capacity of the first allocation (0: 4 KiB) */
    int fail;
} crm__bytes_out;

/* Room for n more bytes (out of line: the block grows by doubling); 0 and b->fail set when
 * out of memory. The puts and gets are inline: blocks hold hundreds of thousands of small
 * items, and a call per item (and a call to memcpy for 8 bytes) cost more than the copies. */
int crm__bytes_grow(crm__bytes_out *b, size_t n);
static inline void crm__bytes_put(crm__bytes_out *b, const void *src, size_t n)
{
    if (b->fail || (b->cap - b->len < n && !crm__bytes_grow(b, n))) {
        return;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}
static inline void crm__bytes_put_i64(crm__bytes_out *b, int64_t v)
{
    crm__bytes_put(b, &v, sizeof v);
}
/* An i64 length, then the n bytes of s. */
static inline void crm__bytes_put_str(crm__bytes_out *b, const char *s, size_t n)
{
    int64_t len = (int64_t)n;
    if (b->fail || (b->cap - b->len < sizeof len + n && !crm__bytes_grow(b, sizeof len + n))) {
        return;
    }
    memcpy(b->p + b->len, &len, sizeof len);
    memcpy(b->p + b->len + sizeof len, s, n);
    b->len += sizeof len + n;
}
/* The block (crm_free it) into *buf and *len; CRM_ENOMEM (block freed) if a put failed. */
crm_status crm__bytes_out_take(crm__bytes_out *b, char **buf, size_t *len, crm_error *err);

/* The reader is sticky too: after the first short or invalid read, bad is set and every get
 * gives zeros (NULL for a string). */
typedef struct crm__bytes_in {
    const char *p;
    size_t len, at;
    int bad;
} crm__bytes_in;

static inline void crm__bytes_get(crm__bytes_in *r, void *dst, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
}
static inline int64_t crm__bytes_get_i64(crm__bytes_in *r)
{
    int64_t v;
    crm__bytes_get(r, &v, sizeof v);
    return v;
}
/* A count of things each at least min_size bytes long: bad when it is negative or the bytes
 * left cannot hold that many. */
int64_t crm__bytes_get_count(crm__bytes_in *r, size_t min_size);
/* A string put by crm__bytes_put_str: its bytes (inside the block, not NUL-terminated) and
 * *n its length. */
static inline const char *crm__bytes_get_str(crm__bytes_in *r, size_t *n)
{
    int64_t m = crm__bytes_get_i64(r);
    const char *s;
    *n = 0;
    if (r->bad || m < 0 || (uint64_t)m > r->len - r->at) {
        r->bad = 1;
        return NULL;
    }
    s = r->p + r->at;
    r->at += (size_t)m;
    *n = (size_t)m;
    return s;
}
/* 1 when everything was read and nothing was bad. */
int crm__bytes_in_done(const crm__bytes_in *r);

/* For tests: called after every read() of a file with the bytes read so far, and once after
 * a file is mapped (with its size). */
extern void (*crm__reader_read_hook)(const char *path, size_t bytes_read);

#endif
