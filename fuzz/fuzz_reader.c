/* fuzz_reader.c: io's reader on arbitrary bytes. The first byte picks the mode: the rest taken
 * as a gzip file as it is, or compressed by zlib (at a level and with a strategy from the
 * first byte) and then damaged at one place the last bytes choose, which reaches deep into
 * the code tables and blocks. The whole-file decoder (libdeflate) must give zlib's bytes
 * whenever zlib decodes, and fail only where zlib fails (it accepts a few malformed headers
 * zlib refuses; the CRC-32 still holds); the streamed decoder (zlib), fed in pieces of a size
 * the first byte picks, must agree with zlib, status and bytes. Then the text (or the raw
 * bytes, when not gzip) is read as lines, which must give it back, and as CSV records with a
 * delimiter from the first byte, under small limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <crmkit/alloc.h>

#include "../tests/support/gzip_ref.h"
#include "io/io_internal.h"
#include "io/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The streamed decoder on gz[0..len) in pieces of step bytes, into a new block. */
static crm_status stream(const uint8_t *gz, size_t len, size_t step, char **out, size_t *out_len)
{
    crm__gz_stream *s = NULL;
    size_t cap = 4096, n = 0, fed = 0, left = 0;
    const uint8_t *in = gz;
    char *buf = malloc(cap);
    crm_error err;
    crm_status rc = crm__gz_stream_new(&s, &err);
    *out = NULL;
    if (rc != CRM_OK || buf == NULL) {
        abort();
    }
    for (;;) {
        size_t made = 0;
        int r;
        if (left == 0 && fed < len) {
            size_t k = len - fed < step ? len - fed : step;
            in = gz + fed;
            left = k;
            fed += k;
        }
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL) {
                abort();
            }
        }
        {
            crm__gz_step st = { in, left, fed == len, buf + n, cap - n, 0 };
            r = crm__gz_stream_inflate(s, &st);
            in = st.in;
            left = st.in_len;
            made = st.made;
        }
        n += made;
        if (r < 0) {
            rc = crm__gz_stream_error(s, "fuzz.gz", &err);
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 1) {
            break;
        }
    }
    crm__gz_stream_free(s);
    *out = buf;
    *out_len = n;
    return rc;
}

static void lines_and_records(const char *text, size_t len, uint8_t sel)
{
    static const char delims[4] = { ',', ';', '\t', '|' };
    crm__reader_limits lim = { 64 + sel % 64, 8 + sel % 16, 0, 0 };
    crm__reader *r = NULL;
    crm__csv_record rec;
    const char *line;
    size_t got = 0, line_len;
    int rc;
    crm_error err;
    if (crm__reader_open_mem(text, len, "fuzz", &lim, &r, &err) != CRM_OK) {
        if (!crm__io_is_gzip(text, len)) {
            abort(); /* plain text never fails to open */
        }
        return;
    }
    if (crm__io_is_gzip(text, len)) {
        crm__reader_free(r); /* decoded: compare() checks that text */
        return;
    }
    while ((rc = crm__reader_line(r, &line, &line_len)) == CRM__READ_OK) {
        if (memcmp(line, text + got, line_len) != 0) {
            abort();
        }
        got += line_len + (got + line_len < len);
    }
    if (rc == CRM__READ_EOF && got != len) {
        abort();
    }
    if (rc == CRM__READ_FAIL && crm__reader_error(r, &err) != CRM_ELIMIT) {
        abort();
    }
    crm__reader_free(r);
    if (crm__reader_open_mem(text, len, "fuzz", &lim, &r, &err) != CRM_OK) {
        abort();
    }
    while ((rc = crm__reader_record(r, delims[sel % 4], (sel >> 2) % 3, &rec)) == CRM__READ_OK) {
        for (int32_t j = 0; j < rec.n; j++) {
            if (strlen(rec.field[j]) > rec.len[j] || rec.len[j] > lim.max_field) {
                abort();
            }
        }
    }
    if (rc == CRM__READ_FAIL) {
        crm_status st = crm__reader_error(r, &err);
        if (st != CRM_EPARSE && st != CRM_ELIMIT) {
            abort();
        }
    }
    crm__reader_free(r);
}

static void compare(const uint8_t *gz, size_t len, uint8_t sel)
{
    uint8_t *want = NULL;
    size_t want_len = 0, got_len = 0, s_len = 0;
    char *got = NULL, *streamed = NULL;
    crm_error err;
    int ref = ref_gunzip(gz, len, &want, &want_len);
    crm_status rc = crm__io_gunzip(gz, len, "fuzz.gz", 0, &got, &got_len, &err);
    crm_status src = stream(gz, len, 1 + (size_t)sel * 7, &streamed, &s_len);
    /* zlib (the reference and the streamed decoder) and libdeflate agree, except that
     * libdeflate takes a few malformed dynamic-block headers zlib refuses ("invalid bit length
     * repeat"): then the member's CRC-32 and length have still been checked on its output. */
    if ((ref == 0) != (src == CRM_OK) || (ref == 0 && rc != CRM_OK)) {
        abort();
    }
    if (ref == 0 && (got_len != want_len || memcmp(got, want, want_len) != 0 || s_len != want_len ||
                     memcmp(streamed, want, want_len) != 0)) {
        abort();
    }
    if ((rc != CRM_OK && rc != CRM_EPARSE) || (src != CRM_OK && src != CRM_EPARSE)) {
        abort();
    }
    if (rc == CRM_OK) {
        lines_and_records(got, got_len, sel);
    }
    free(want);
    free(streamed);
    crm_free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE,
                                      Z_FIXED };
    uint8_t sel;
    if (size < 1) {
        return 0;
    }
    sel = data[0];
    data++;
    size--;
    if ((sel & 3u) == 2) {
        lines_and_records((const char *)data, size, sel);
    } else if ((sel & 1u) == 0) {
        if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
            compare(data, size, sel);
        } else {
            uint8_t *want = NULL;
            size_t want_len = 0;
            if (size > 0 && ref_gunzip(data, size, &want, &want_len) == 0) {
                abort(); /* not gzip to us, gzip to zlib */
            }
            free(want);
        }
    } else {
        size_t len = 0;
        uint8_t *gz = ref_gzip(data, size, (sel >> 1) % 10, 9 + (sel >> 5) % 7, 8,
                               strategies[(sel >> 1) % 5], NULL, &len);
        if (gz == NULL) {
            return 0;
        }
        if (size >= 3 && len > 0) {
            size_t at = ((size_t)data[size - 1] << 8 | data[size - 2]) % len;
            gz[at] ^= data[size - 3] != 0 ? data[size - 3] : 0x10;
        }
        compare(gz, len, sel);
        free(gz);
    }
    return 0;
}
