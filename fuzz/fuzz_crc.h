/* fuzz_crc.h: recompute every checksum of a crmkit model file after mutation, nested model
 * files (a classifier's preprocessing) first, so that mutated payloads get past the
 * container and reach the section decoders (a CRC would otherwise stop almost all of them).
 * Layout: docs/formats/model-file.md. Included by the model-file and rules-file fuzzers. */
#ifndef CRM_FUZZ_CRC_H
#define CRM_FUZZ_CRC_H
#include <libdeflate.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void fuzz_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void fuzz_fix_checksums_depth(unsigned char *d, size_t n, int depth)
{
    size_t pos = 36;
    if (n < 36 || memcmp(d, "CRMKMODL", 8) != 0) {
        return;
    }
    fuzz_put32(d + 32, libdeflate_crc32(0, d, 32));
    while (n - pos >= 28) {
        uint64_t len = 0;
        uint32_t crc;
        for (int i = 7; i >= 0; i--) {
            len = (len << 8) | d[pos + 16 + (size_t)i];
        }
        if (len > n - pos - 28) {
            return;
        }
        if (depth < 4) {
            fuzz_fix_checksums_depth(d + pos + 28, (size_t)len, depth + 1);
        }
        crc = libdeflate_crc32(0, d + pos, 24);
        crc = libdeflate_crc32(crc, d + pos + 28, (size_t)len);
        fuzz_put32(d + pos + 24, crc);
        pos += 28 + (size_t)len;
    }
}

static void fuzz_fix_checksums(unsigned char *d, size_t n)
{
    fuzz_fix_checksums_depth(d, n, 0);
}

#endif
