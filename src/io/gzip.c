/* gzip.c: gzip input (RFC 1952). A whole file is decoded by libdeflate, member by member: its
 * decoder is faster than zlib's inflate and than the one crmkit used to carry (the figures
 * are in bench/RESULTS.md). libdeflate says only "bad data", so the header is parsed here and
 * a member it refuses is run through zlib's inflate to find the words for what is wrong
 * ("truncated", "invalid distance too far back", ...): error paths only. A stream too large
 * to hold decoded, or arriving on a pipe, goes through zlib's inflate in steps
 * (crm__gz_stream_*). Both follow the same rules: members back to back, zero bytes after a
 * member skipped (as gzip(1) does), anything else after one is "incorrect header check". */
#include <libdeflate.h>
#include <string.h>
#include <zlib.h>

#include "core/core_internal.h"
#include "io_internal.h"
#include "reader.h"

/* Decoded outputs from AHEAD_MIN bytes have their pages made by a second thread, AHEAD_STEP
 * bytes a call (see crm__io_gunzip). */
#define AHEAD_MIN  ((size_t)1 << 20)
#define AHEAD_STEP ((size_t)2 << 20)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int crm__io_is_gzip(const void *data, size_t len)
{
    const uint8_t *b = data;
    return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

/* The member header at p[0..left): its length; 0 when it is cut short; -1 with *msg. */
static long gzip_header(const uint8_t *p, size_t left, const char **msg)
{
    size_t at = 10;
    unsigned flags;
    if ((left >= 1 && p[0] != 0x1f) || (left >= 2 && p[1] != 0x8b)) {
        *msg = "incorrect header check"; /* not gzip, however short */
        return -1;
    }
    if (left >= 3 && p[2] != 8) {
        *msg = "unknown compression method";
        return -1;
    }
    if (left < 10) {
        return 0;
    }
    flags = p[3];
    if (flags & 0xe0u) {
        *msg = "unknown header flags set";
        return -1;
    }
    if (flags & 4u) { /* FEXTRA */
        if (left < at + 2) {
            return 0;
        }
        at += 2 + ((size_t)p[at] | (size_t)p[at + 1] << 8);
    }
    for (unsigned f = 8; f <= 16; f <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (flags & f) {
            const uint8_t *z = at < left ? memchr(p + at, 0, left - at) : NULL;
            if (z == NULL) {
                return 0;
            }
            at = (size_t)(z - p) + 1;
        }
    }
    if (flags & 2u) { /* FHCRC: the low half of the header's CRC-32 */
        if (left < at + 2) {
            return 0;
        }
        if ((libdeflate_crc32(0, p, at) & 0xffffu) !=
            ((unsigned)p[at] | (unsigned)p[at + 1] << 8)) {
            *msg = "header crc mismatch";
            return -1;
        }
        at += 2;
    }
    return at <= left ? (long)at : 0;
}

/* What is wrong with the raw deflate stream in[0..len) that libdeflate refused, in zlib's
 * words; NULL when it is only cut short. */
static const char *diagnose(const uint8_t *in, size_t len)
{
    z_stream zs;
    unsigned char sink[1 << 15];
    const char *msg = "invalid deflate data";
    int rc = Z_OK;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK) {
        return msg;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    while (rc == Z_OK) {
        uInt step = len > (1u << 30) ? (1u << 30) : (uInt)len;
        if (zs.avail_in == 0 && len > 0) {
            zs.avail_in = step;
            len -= step;
        }
        zs.next_out = sink;
        zs.avail_out = sizeof sink;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && len == 0) {
            msg = NULL; /* wants more input: truncated */
        }
    }
    if (rc == Z_DATA_ERROR && zs.msg != NULL) {
        msg = zs.msg; /* a static string in zlib */
    }
    (void)inflateEnd(&zs);
    return msg;
}

static crm_status gz_fail(crm_error *err, const char *source, const char *msg)
{
    return msg == NULL
               ? crm__error_at(err, CRM_EPARSE, source, 0, 0, "gzip data is truncated")
               : crm__error_at(err, CRM_EPARSE, source, 0, 0, "gzip data is corrupt (%s)", msg);
}

/* The decoded size to expect from the last member's trailer: one byte more than its length
 * when plausible for the whole input, else 4 times the input. Never past 64 times the input
 * to begin with (a damaged trailer would otherwise ask for deflate's largest ratio, 1032):
 * text that compresses better is decoded again into twice the room, which is rare. */
static size_t size_guess(const uint8_t *in, size_t len)
{
    size_t guess;
    if (len < 18) {
        return 4096;
    }
    guess = le32(in + len - 4);
    guess = guess + 64 >= len / 2 ? guess + 1 : len * 4;
    return guess / 64 <= len ? guess : len * 64;
}

/* Where a whole decode stands: the input left at p[0..end), the output so far buf[0..pos) in
 * room for cap bytes. */
typedef struct {
    const uint8_t *p, *end;
    char *buf;
    size_t cap, pos;
} gz_whole;

/* Decode the members at g->p into g->buf. When the room runs out: with grow, twice the room
 * and again; without, stop before that member (g->p at its header) and return CRM_OK, so
 * that a caller that must not move the buffer yet can go on later with grow. */
static crm_status decode_members(gz_whole *g,
                                 struct libdeflate_decompressor *d,
                                 int grow,
                                 const char *source,
                                 crm_error *err)
{
    while (g->p < g->end) {
        const char *msg = NULL;
        long h = gzip_header(g->p, (size_t)(g->end - g->p), &msg);
        const uint8_t *q;
        size_t used = 0, made = 0;
        enum libdeflate_result r;
        if (h <= 0) {
            return gz_fail(err, source, msg);
        }
        q = g->p + h;
        for (;;) {
            size_t ncap;
            char *nb;
            r = libdeflate_deflate_decompress_ex(d, q, (size_t)(g->end - q), g->buf + g->pos,
                                                 g->cap - g->pos, &used, &made);
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
                break;
            }
            if (!grow) {
                return CRM_OK;
            }
            /* more members than the trailer said, or a poor guess: twice the room, again */
            ncap = g->cap * 2 > g->pos + 4096 ? g->cap * 2 : g->pos + 4096;
            nb = ncap > g->cap ? crm_realloc(g->buf, ncap + 1) : NULL;
            if (nb == NULL) {
                return crm__error_nomem(err);
            }
            g->buf = nb;
            g->cap = ncap;
        }
        if (r != LIBDEFLATE_SUCCESS) {
            return gz_fail(err, source, diagnose(q, (size_t)(g->end - q)));
        }
        q += used;
        if (g->end - q < 8) {
            return gz_fail(err, source, NULL);
        }
        if (le32(q) != libdeflate_crc32(0, g->buf + g->pos, made)) {
            return gz_fail(err, source, "incorrect data check");
        }
        if (le32(q + 4) != (uint32_t)made) {
            return gz_fail(err, source, "incorrect length check");
        }
        q += 8;
        g->pos += made;
        while (q < g->end && *q == 0) {
            q++; /* zero padding after a member */
        }
        g->p = q;
    }
    return CRM_OK;
}

crm_status crm__io_gunzip(const void *in_v,
                          size_t len,
                          const char *source,
                          int n_threads,
                          char **out,
                          size_t *out_len,
                          crm_error *err)
{
    const uint8_t *in = in_v;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    gz_whole g = { in, in + len, NULL, size_guess(in, len), 0 };
    crm_status rc = CRM_OK;
    *out = NULL;
    *out_len = 0;
    g.buf = crm_malloc(g.cap + 1);
    if (d == NULL || g.buf == NULL) {
        libdeflate_free_decompressor(d);
        crm_free(g.buf);
        return crm__error_nomem(err);
    }
    crm__advise_huge(g.buf, g.cap);
    if (len == 0) {
        rc = gz_fail(err, source, NULL);
    } else if (g.cap >= AHEAD_MIN && crm__n_threads(n_threads) > 1) {
        /* A page made costs about as much as decoding into it (on a VM, more): a second
         * thread makes the pages ahead of the decoder, which then writes without faults.
         * It stops at the buffer it was given, so the decoder may not move it meanwhile, and
         * when the decoder is done (a damaged file stops it early). */
        int done = 0;
#pragma omp parallel sections num_threads(2)
        {
#pragma omp section
            {
                rc = decode_members(&g, d, 0, source, err);
#pragma omp atomic write
                done = 1;
            }
#pragma omp section
            for (size_t at = 0; at < g.cap; at += AHEAD_STEP) {
                int stop;
#pragma omp atomic read
                stop = done;
                if (stop) {
                    break;
                }
                crm__populate(g.buf + at, g.cap - at < AHEAD_STEP ? g.cap - at : AHEAD_STEP);
            }
        }
    }
    if (rc == CRM_OK && len > 0) {
        rc = decode_members(&g, d, 1, source, err);
    }
    libdeflate_free_decompressor(d);
    if (rc != CRM_OK) {
        crm_free(g.buf);
        return rc;
    }
    g.buf[g.pos] = '\0';
    *out = g.buf;
    *out_len = g.pos;
    return CRM_OK;
}

/* ---- streamed ------------------------------------------------------------------------------- */

struct crm__gz_stream {
    z_stream zs;
    int in_member; /* inside a member (its end not reached) */
    const char *msg;
};

crm_status crm__gz_stream_new(crm__gz_stream **out, crm_error *err)
{
    crm__gz_stream *s = crm_calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL) {
        return crm__error_nomem(err);
    }
    if (inflateInit2(&s->zs, 16 + 15) != Z_OK) {
        crm_free(s);
        return crm__error_nomem(err);
    }
    *out = s;
    return CRM_OK;
}

void crm__gz_stream_free(crm__gz_stream *s)
{
    if (s != NULL) {
        (void)inflateEnd(&s->zs);
        crm_free(s);
    }
}

int crm__gz_stream_inflate(crm__gz_stream *s, crm__gz_step *st)
{
    const uint8_t **in = &st->in;
    size_t *in_len = &st->in_len, *made = &st->made, out_cap = st->out_cap;
    char *out = st->out;
    int at_eof = st->at_eof;
    *made = 0;
    while (*made < out_cap) {
        int rc;
        uInt avail_in = *in_len > (1u << 30) ? (1u << 30) : (uInt)*in_len;
        if (!s->in_member) {
            while (*in_len > 0 && **in == 0) {
                (*in)++; /* zero padding after a member */
                (*in_len)--;
            }
            if (*in_len == 0) {
                return at_eof ? 1 : 0; /* the end, or more input needed */
            }
            if (inflateReset(&s->zs) != Z_OK) {
                s->msg = "internal error";
                return -1;
            }
            s->in_member = 1;
            avail_in = *in_len > (1u << 30) ? (1u << 30) : (uInt)*in_len;
        }
        if (avail_in == 0) {
            if (at_eof) {
                s->msg = NULL; /* truncated */
                return -1;
            }
            return 0;
        }
        s->zs.next_in = (Bytef *)(uintptr_t)*in;
        s->zs.avail_in = avail_in;
        s->zs.next_out = (Bytef *)out + *made;
        s->zs.avail_out = out_cap - *made > (1u << 30) ? (1u << 30) : (uInt)(out_cap - *made);
        {
            uInt before_out = s->zs.avail_out;
            rc = inflate(&s->zs, Z_NO_FLUSH);
            *made += before_out - s->zs.avail_out;
        }
        *in_len -= (size_t)(avail_in - s->zs.avail_in);
        *in = (const uint8_t *)s->zs.next_in;
        if (rc == Z_STREAM_END) {
            s->in_member = 0;
        } else if (rc == Z_DATA_ERROR) {
            s->msg = s->zs.msg != NULL ? s->zs.msg : "invalid deflate data";
            return -1;
        } else if (rc == Z_MEM_ERROR) {
            s->msg = "out of memory";
            return -1;
        } else if (rc == Z_BUF_ERROR || (rc == Z_OK && s->zs.avail_in == 0)) {
            if (*in_len == 0) {
                if (at_eof) {
                    s->msg = NULL; /* truncated */
                    return -1;
                }
                return 0;
            }
        } else if (rc != Z_OK) {
            s->msg = "invalid deflate data";
            return -1;
        }
    }
    return 0;
}

crm_status crm__gz_stream_error(const crm__gz_stream *s, const char *source, crm_error *err)
{
    if (s->msg != NULL && strcmp(s->msg, "out of memory") == 0) {
        return crm__error_nomem(err);
    }
    return gz_fail(err, source, s->msg);
}
