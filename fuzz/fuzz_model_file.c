/* fuzz_model_file.c: the model file reader and the decoders built on it. Any byte string must
 * be refused with a status (never a crash, leak or over-read), and a file that verifies must
 * decode safely through the bounds-checked section cursors. */
#include <stddef.h>
#include <stdint.h>

#include <crmkit/alloc.h>
#include <crmkit/model.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_model_reader *r = NULL;
    crm_error err;
    if (crm_model_reader_open_mem(data, size, "fuzz", &r, &err) != CRM_OK) {
        return 0;
    }
    (void)crm_model_reader_kind(r);
    for (int32_t i = 0; i < crm_model_reader_n_sections(r); i++) {
        crm_section s;
        if (crm_model_section_at(r, i, &s, &err) == CRM_OK) {
            walk(&s, r);
        }
    }
    crm_model_reader_free(r);
    return 0;
}
