/* fuzz_rules_file.c: loading rules from bytes. Any input must be refused with a status or load
 * into an object that every accessor and the recommender can walk safely.
 *
 * Two modes, so the fuzzer gets past the container's CRCs: input starting with the model
 * magic is loaded as a whole file; any other input is cut into section payloads (first byte:
 * number of rule sets; then 2-byte little-endian lengths before each payload), wrapped into a
 * valid container of kind "rules" and loaded, which drives the rules decoder itself. A whole
 * file is also loaded a second time with its checksums recomputed (fuzz_crc.h), so that
 * mutations of a real rules file reach the decoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/model.h>
#include <crmkit/rules.h>

#include "fuzz_crc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const crm_rules *r)
{
    crm_recommendation rec[4];
    int32_t basket[3];
    int32_t n_items = crm_rules_n_items(r);
    for (int32_t s = 0; s < crm_rules_n_sets(r); s++) {
        int32_t n = 0;
        for (int64_t i = 0; i < crm_rules_n_rules(r, s) && i < 64; i++) {
            crm_rule q;
            if (crm_rules_rule(r, s, i, &q, NULL) == CRM_OK) {
                for (int32_t k = 0; k < q.n_lhs; k++) {
                    (void)crm_rules_item_name(r, q.lhs[k]);
                }
            }
        }
        for (int64_t i = 0; i < crm_rules_n_patterns(r, s) && i < 64; i++) {
            crm_segment_pattern p;
            (void)crm_rules_pattern(r, s, i, &p, NULL);
        }
        for (int32_t k = 0; k < 3; k++) {
            basket[k] = n_items > 0 ? (k * 7) % n_items : -1;
        }
        (void)crm_rules_recommend(r, s, basket, 3, 4, rec, &n, NULL);
    }
    if (n_items > 0) {
        (void)crm_rules_find_item(r, crm_rules_item_name(r, 0));
    }
}

static void load_and_walk(const void *bytes, size_t len)
{
    crm_rules *r = NULL;
    crm_error err;
    if (crm_rules_load_mem(bytes, len, "fuzz", &r, &err) == CRM_OK) {
        walk(r);
        crm_rules_free(r);
    }
}

static void sections_mode(const uint8_t *data, size_t size)
{
    crm_model_writer *w = NULL;
    const unsigned char *bytes;
    size_t len;
    size_t pos = 1;
    int n_sets = size > 0 ? data[0] % 4 : 0;
    if (crm_model_writer_new("rules", &w, NULL) != CRM_OK) {
        return;
    }
    for (int k = 0; k < n_sets + 2; k++) {
        char tag[16];
        size_t n = 0;
        if (k == 0) {
            snprintf(tag, sizeof tag, "meta");
        } else if (k == 1) {
            snprintf(tag, sizeof tag, "items");
        } else {
            snprintf(tag, sizeof tag, "set.%d", k - 2);
        }
        if (pos + 2 <= size) {
            n = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
            pos += 2;
        }
        if (n > size - pos) {
            n = size - pos;
        }
        if (crm_model_begin(w, tag, NULL) != CRM_OK ||
            crm_model_put_bytes(w, data + pos, n, NULL) != CRM_OK) {
            crm_model_writer_free(w);
            return;
        }
        pos += n;
    }
    if (crm_model_writer_bytes(w, &bytes, &len, NULL) == CRM_OK) {
        load_and_walk(bytes, len);
    }
    crm_model_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 8 && memcmp(data, "CRMKMODL", 8) == 0) {
        unsigned char *copy = malloc(size);
        load_and_walk(data, size);
        /* the same bytes with their checksums made valid: the mutation reaches the decoder */
        if (copy != NULL) {
            memcpy(copy, data, size);
            fuzz_fix_checksums(copy, size);
            load_and_walk(copy, size);
            free(copy);
        }
    } else {
        sections_mode(data, size);
    }
    return 0;
}
