/* fuzz_gunzip.c: the gzip decoder against zlib on arbitrary bytes. The first byte picks the
 * mode: the rest taken as a gzip file as it is, or compressed by zlib (at a level and with a
 * strategy from the first byte) and then damaged at one place the last bytes choose, which
 * reaches deep into the code tables and blocks. The decoder must fail exactly when zlib
 * fails and give the same bytes when it does not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <crmkit/alloc.h>

#include "../tests/support/gunzip_ref.h"
#include "io/gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compare(const uint8_t *gz, size_t len)
{
    uint8_t *want = NULL;
    size_t want_len = 0, got_len = 0;
    char *got = NULL;
    crm_error err;
    int ref = ref_gunzip(gz, len, &want, &want_len);
    crm_status rc = crm__gunzip(gz, len, "fuzz.gz", NULL, &got, &got_len, &err);
    if ((ref == 0) != (rc == CRM_OK)) {
        abort();
    }
    if (rc == CRM_OK && (got_len != want_len || memcmp(got, want, want_len) != 0)) {
        abort();
    }
    if (rc != CRM_OK && rc != CRM_EPARSE) {
        abort();
    }
    free(want);
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
    if ((sel & 1u) == 0) {
        compare(data, size);
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
        compare(gz, len);
        free(gz);
    }
    return 0;
}
