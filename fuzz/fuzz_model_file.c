/* fuzz_model_file.c: the model file reader and the segmentation decoders built on it. Any byte
 * string must be refused with a status (never a crash, leak or over-read), and a file that verifies
 * must decode safely through the bounds-checked section cursors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/model.h>
#include <crmkit/segment.h>
#include <crmkit/twolayer.h>

#include "core/core_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* Rewrite every checksum the layout lets us find, so that mutated payloads get past the
 * container and reach the section decoders (a CRC would otherwise stop almost all of them). */
static void fix_checksums(unsigned char *d, size_t n)
{
    size_t pos = 36;
    if (n < 36) {
        return;
    }
    put32(d + 32, crm__crc32(0, d, 32));
    while (n - pos >= 28) {
        uint64_t len = 0;
        uint32_t crc;
        for (int i = 7; i >= 0; i--) {
            len = (len << 8) | d[pos + 16 + (size_t)i];
        }
        if (len > n - pos - 28) {
            return;
        }
        crc = crm__crc32(0, d + pos, 24);
        crc = crm__crc32(crc, d + pos + 28, (size_t)len);
        put32(d + pos + 24, crc);
        pos += 28 + (size_t)len;
    }
}

/* Read a section as a mix of every field type, as a decoder that trusts nothing would. */
static void walk(crm_section *s, const crm_model_reader *r)
{
    crm_error err;
    for (int step = 0; !s->failed && step < 256; step++) {
        uint32_t u;
        int64_t l;
        double d;
        char *str = NULL;
        double fv[4];
        int32_t iv[4];
        switch (step % 6) {
        case 0:
            (void)crm_section_get_u32(s, &u);
            break;
        case 1:
            (void)crm_section_get_str(s, 1024, &str);
            crm_free(str);
            break;
        case 2:
            (void)crm_section_get_f64(s, &d);
            break;
        case 3:
            (void)crm_section_get_i64(s, &l);
            break;
        case 4:
            (void)crm_section_get_f64s(s, fv, 4);
            break;
        default:
            (void)crm_section_get_i32s(s, iv, 4);
            break;
        }
    }
    (void)crm_section_finish(s, r, &err);
}

static void one(const uint8_t *data, size_t size)
{
    crm_model_reader *r = NULL;
    crm_segmenter *seg = NULL;
    crm_error err;
    if (crm_model_reader_open_mem(data, size, "fuzz", &r, &err) != CRM_OK) {
        return;
    }
    /* The decoders of a segmentation model (prep, kmeans, profile, segmeta) must refuse any
     * payload they cannot trust; a loaded model must then answer its accessors. */
    if (crm_segmenter_read(r, &seg, &err) == CRM_OK) {
        const crm_profile *pr = crm_segmenter_profile(seg);
        for (int32_t s = 0; s < crm_profile_k(pr); s++) {
            (void)crm_profile_name(pr, crm_profile_order(pr, s));
        }
        crm_segmenter_free(seg);
    }
    {
        crm_twolayer *tl = NULL; /* the two-layer decoders, embedded segmenters included */
        if (crm_twolayer_read(r, &tl, &err) == CRM_OK) {
            (void)crm_twolayer_n_groups(tl);
        }
        crm_twolayer_free(tl);
    }
    (void)crm_model_reader_kind(r);
    for (int32_t i = 0; i < crm_model_reader_n_sections(r); i++) {
        crm_section s;
        if (crm_model_section_at(r, i, &s, &err) == CRM_OK) {
            walk(&s, r);
        }
    }
    crm_model_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy = malloc(size ? size : 1);
    one(data, size);
    if (copy != NULL) {
        memcpy(copy, data, size);
        fix_checksums(copy, size);
        one(copy, size);
        free(copy);
    }
    return 0;
}
