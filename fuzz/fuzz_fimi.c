/* fuzz_fimi.c: the transaction readers (FIMI, basket, long CSV, VAS) and the miners on
 * arbitrary bytes. The first byte picks the format, the miner and the mode; the rest is the
 * file. Mining runs under small limits so that a dense input ends in CRM_ELIMIT quickly. */
#include <stddef.h>
#include <stdint.h>

#include <crmkit/fim.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crm_status count_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    int64_t *count = ud;
    (void)err;
    if (n < 1 || sup < 1 || items[0] < 0) {
        return CRM_EINTERNAL;
    }
    for (int32_t i = 1; i < n; i++) {
        if (items[i] <= items[i - 1]) {
            return CRM_EINTERNAL;
        }
    }
    ++*count;
    return CRM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_fim_params p = crm_fim_params_default();
    crm_fim_db *db = NULL;
    crm_itemset_sink sink;
    int64_t count = 0;
    uint8_t sel;
    if (size < 1) {
        return 0;
    }
    sel = data[0];
    o.format = (crm_fim_format)(sel % 5);
    o.skip_empty = (sel & 0x20) != 0;
    o.max_line_bytes = 1 << 16;
    if (o.format == CRM_FIM_FORMAT_VAS && (sel & 0x40)) {
        o.status_ok = "OK";
    }
    if (crm_fim_db_read_mem((const char *)data + 1, size - 1, "fuzz", &o, &db, NULL) != CRM_OK) {
        return 0;
    }
    p.algo = (crm_fim_algo)((sel / 5) % 3);
    p.mode = (crm_fim_mode)((sel >> 6) % 3);
    p.minsup_count = 1 + (sel & 3);
    p.max_itemsets = 20000;
    p.max_memory_bytes = 64 << 20;
    p.n_threads = 1;
    sink.fn = count_sink;
    sink.ud = &count;
    if (crm_fim_mine(db, &p, &sink, NULL, NULL, NULL) == CRM_EINTERNAL) {
        __builtin_trap();
    }
    crm_fim_db_free(db);
    return 0;
}
