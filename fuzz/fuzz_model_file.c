/* fuzz_model_file.c: the model file reader and the segmentation decoders built on it. Any byte
 * string must be refused with a status (never a crash, leak or over-read), and a file that verifies
 * must decode safely through the bounds-checked section cursors. */
#include <libdeflate.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/model.h>
#include <crmkit/rules.h>
#include <crmkit/segment.h>
#include <crmkit/twolayer.h>

#include "core/core_internal.h"
#include "fuzz_crc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void ignore_line(void *ud, const char *line)
{
    (void)ud;
    (void)line;
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
    /* every other kind: a classifier of each algorithm (its nested preprocessing included)
     * and a rules file must refuse what they cannot trust too */
    {
        crm_classifier *c = NULL;
        if (crm_classifier_load_reader(r, &c, &err) == CRM_OK) {
            (void)crm_classifier_describe(c, ignore_line, NULL, &err);
            crm_classifier_free(c);
        }
    }
    if (strcmp(crm_model_reader_kind(r), "rules") == 0) {
        crm_rules *rules = NULL;
        if (crm_rules_load_mem(data, size, "fuzz", &rules, &err) == CRM_OK) {
            crm_rules_free(rules);
        }
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
        fuzz_fix_checksums(copy, size);
        one(copy, size);
        free(copy);
    }
    return 0;
}
