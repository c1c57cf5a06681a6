/* gzip_ref.h: zlib's deflate into one gzip member, and zlib's inflate with the member rules
 * of crm__io_gunzip (members back to back, zero bytes after any member skipped, anything else
 * after one an error): what tests/unit/test_io_reader.c and the gzip fuzzers make their input
 * with and compare the decoder with. */
#ifndef CRM_GZIP_REF_H
#define CRM_GZIP_REF_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* data[0..len) as one gzip member written by zlib (window: 9-15 bits; head may be NULL):
 * a malloc'd block of *out_len bytes, or NULL. */
static inline uint8_t *ref_gzip(const uint8_t *data,
                                size_t len,
                                int level,
                                int window,
                                int mem,
                                int strategy,
                                gz_header *head,
                                size_t *out_len)
{
    z_stream zs;
    size_t cap;
    uint8_t *out = NULL;
    int rc;
    *out_len = 0;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + window, mem, strategy) != Z_OK) {
        return NULL;
    }
    if (head == NULL || deflateSetHeader(&zs, head) == Z_OK) {
        cap = deflateBound(&zs, (uLong)len) + 256;
        out = malloc(cap);
    }
    if (out != NULL) {
        zs.next_in = (Bytef *)(uintptr_t)data;
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        rc = deflate(&zs, Z_FINISH);
        *out_len = cap - zs.avail_out;
        if (rc != Z_STREAM_END) {
            free(out);
            out = NULL;
        }
    }
    deflateEnd(&zs);
    return out;
}

/* 0 and a malloc'd *out of *out_len bytes, or -1 (bad or truncated data, no memory). */
static inline int ref_gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    size_t pos = 0, n = 0, cap = 4096;
    uint8_t *buf = malloc(cap);
    *out = NULL;
    *out_len = 0;
    if (buf == NULL) {
        return -1;
    }
    do {
        z_stream zs;
        int rc;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 15 + 16) != Z_OK) {
            free(buf);
            return -1;
        }
        zs.next_in = (Bytef *)(uintptr_t)(in + pos);
        zs.avail_in = (uInt)(len - pos);
        do {
            if (n == cap) {
                uint8_t *b = realloc(buf, cap * 2);
                if (b == NULL) {
                    inflateEnd(&zs);
                    free(buf);
                    return -1;
                }
                buf = b;
                cap *= 2;
            }
            zs.next_out = buf + n;
            zs.avail_out = (uInt)(cap - n);
            rc = inflate(&zs, Z_NO_FLUSH);
            n = cap - zs.avail_out;
        } while (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0));
        pos = len - zs.avail_in;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END) {
            free(buf);
            return -1;
        }
        while (pos < len && in[pos] == 0) {
            pos++;
        }
    } while (pos < len);
    *out = buf;
    *out_len = n;
    return 0;
}

#endif
