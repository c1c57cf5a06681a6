/* fuzz_twolayer_spec.c: the two-layer spec reader (JSON through Jansson, the rule-expression
 * parser, the layer-2 settings). Any byte string must be refused with a status or accepted;
 * an accepted spec is fitted on a small fixed table, saved, read back and used to assign, so
 * the rule evaluation and the model file's encoding of every accepted rule are exercised
 * too. Never a crash, leak or over-read. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/twolayer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 24 customers with numeric, categorical and missing values; x and y vary so that k = 2 fits. */
static const char TABLE[] =
    "id,x,y,z,plan\n"
    "a1,1,10,0,pre\na2,2,12,1,post\na3,3,,2,pre\na4,4,15,0,post\na5,5,16,3,pre\n"
    "a6,6,20,0,hyb\na7,7,21,1,pre\na8,8,25,0,post\na9,9,26,2,\na10,10,30,0,pre\n"
    "a11,11,31,5,post\na12,12,35,0,pre\na13,13,36,1,hyb\na14,14,40,0,pre\na15,,41,2,post\n"
    "a16,16,45,0,pre\na17,17,46,1,post\na18,18,50,0,pre\na19,19,51,3,hyb\na20,20,55,0,pre\n"
    "a21,21,56,1,post\na22,22,60,0,pre\na23,23,61,2,post\na24,24,65,0,pre\n";

static void round_trip(const crm_twolayer *tl, const crm_table *t)
{
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_twolayer *back = NULL;
    const unsigned char *bytes = NULL;
    size_t len = 0;
    int32_t l1[24];
    int32_t l2[24];
    crm_error err;
    if (crm_model_writer_new(CRM_TWOLAYER_KIND, &w, &err) == CRM_OK &&
        crm_twolayer_write(tl, w, &err) == CRM_OK &&
        crm_model_writer_bytes(w, &bytes, &len, &err) == CRM_OK &&
        crm_model_reader_open_mem(bytes, len, "fuzz", &r, &err) == CRM_OK &&
        crm_twolayer_read(r, &back, &err) == CRM_OK) {
        if (crm_twolayer_assign(back, t, l1, l2, &err) == CRM_OK &&
            (memcmp(l1, crm_twolayer_labels_l1(tl), sizeof l1) != 0 ||
             memcmp(l2, crm_twolayer_labels_l2(tl), sizeof l2) != 0)) {
            __builtin_trap(); /* a reloaded model must reproduce the training labels */
        }
    }
    crm_twolayer_free(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_twolayer_params p = crm_twolayer_params_default();
    crm_csv_options opt = crm_csv_options_default();
    crm_twolayer *tl = NULL;
    crm_table *t = NULL;
    crm_error err;
    if (size > 65536) {
        return 0;
    }
    p.spec = (const char *)data;
    p.spec_len = size;
    p.spec_source = "fuzz.json";
    p.n_threads = 1;
    if (crm_twolayer_new(&p, &tl, &err) != CRM_OK) {
        return 0;
    }
    if (crm_table_read_csv_mem(TABLE, sizeof TABLE - 1, "fuzz.csv", &opt, &t, &err) == CRM_OK &&
        crm_twolayer_fit(tl, t, NULL, &err) == CRM_OK) {
        char label[600];
        for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
            (void)crm_twolayer_segment_label(tl, g, 0, label, sizeof label);
        }
        round_trip(tl, t);
    }
    crm_table_free(t);
    crm_twolayer_free(tl);
    return 0;
}
