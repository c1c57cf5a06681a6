/* fuzz_fimi_gz.c: a gzip FIMI file read from disk (decoded whole, then parsed in parts, the
 * serial reader where the parts decline) against the same text read from memory. The first byte
 * picks the threads, whether to skip empty lines, where to split the text into two gzip members and
 * whether to repeat it past the reader's 256 KiB parts; the rest is the text. Both reads must
 * succeed or fail alike (same code, line and column) and give the same database, which for a text
 * of digits and blanks must also be the one built through crm_fim_db_add_transaction. */
#define _DEFAULT_SOURCE /* mkstemp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <crmkit/fim.h>

#include "../tests/support/gzip_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text[0..len) as gzip members, split at cut, into fd; 0 on failure */
static int write_gzip(int fd, const uint8_t *text, size_t len, size_t cut)
{
    for (int m = 0; m < 2; m++) {
        size_t n = m == 0 ? cut : len - cut, gz_len = 0;
        uint8_t *gz;
        int ok;
        if (m == 1 && n == 0) {
            break;
        }
        gz = ref_gzip(m == 0 ? text : text + cut, n, 1, 15, 8, Z_DEFAULT_STRATEGY, NULL, &gz_len);
        ok = gz != NULL && write(fd, gz, gz_len) == (ssize_t)gz_len;
        free(gz);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

static void same_db(const crm_fim_db *a, const crm_fim_db *b)
{
    if (crm_fim_db_n_transactions(a) != crm_fim_db_n_transactions(b) ||
        crm_fim_db_n_items(a) != crm_fim_db_n_items(b)) {
        abort();
    }
    for (int32_t i = 0; i < crm_fim_db_n_items(a); i++) {
        if (strcmp(crm_fim_db_item_name(a, i), crm_fim_db_item_name(b, i)) != 0 ||
            crm_fim_db_item_support(a, i) != crm_fim_db_item_support(b, i)) {
            abort();
        }
    }
    for (int64_t t = 0; t < crm_fim_db_n_transactions(a); t++) {
        const int32_t *x, *y;
        int32_t nx = crm_fim_db_transaction(a, t, &x), ny = crm_fim_db_transaction(b, t, &y);
        if (nx != ny || (nx > 0 && memcmp(x, y, (size_t)nx * sizeof *x) != 0)) {
            abort();
        }
    }
}

/* The database of a text of digits and blanks only, built through crm_fim_db_add_transaction
 * without any reader (both reads above go through the parallel parts); NULL for other texts. */
static crm_fim_db *reference(const uint8_t *text, size_t len, int skip_empty)
{
    crm_fim_db *db = NULL;
    int32_t *items = malloc((len / 2 + 2) * sizeof *items);
    size_t p = 0;
    for (size_t i = 0; i < len; i++) {
        if (!(text[i] >= '0' && text[i] <= '9') && text[i] != ' ' && text[i] != '\t' &&
            text[i] != '\r' && text[i] != '\n') {
            free(items);
            return NULL;
        }
    }
    if (items == NULL || crm_fim_db_new(&db, NULL) != CRM_OK) {
        abort();
    }
    while (p < len) {
        int32_t n = 0;
        while (p < len && text[p] != '\n') {
            if (text[p] >= '0' && text[p] <= '9') {
                int64_t v = 0;
                while (p < len && text[p] >= '0' && text[p] <= '9') {
                    v = v * 10 + (text[p++] - '0');
                }
                items[n++] = (int32_t)v; /* the reads succeeded: every code fits */
            } else {
                p++;
            }
        }
        p += p < len;
        if ((n > 0 || !skip_empty) &&
            crm_fim_db_add_transaction(db, items, n, NULL, NULL) != CRM_OK) {
            abort();
        }
    }
    if (crm_fim_db_finish(db, NULL) != CRM_OK) {
        abort();
    }
    free(items);
    return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crm_fim_read_options o = crm_fim_read_options_default();
    crm_fim_db *from_file = NULL, *from_mem = NULL;
    crm_error ef, em;
    crm_status rf, rm;
    char path[] = "/tmp/crm_fuzz_fimi_gz_XXXXXX";
    uint8_t *text;
    size_t len, reps;
    int fd;
    uint8_t sel;
    if (size < 1) {
        return 0;
    }
    sel = data[0];
    data++;
    size--;
    o.format = CRM_FIM_FORMAT_FIMI;
    o.n_threads = 1 + (sel & 1);
    o.skip_empty = (sel & 2) != 0;
    /* one in eight inputs repeated past 600 KiB: several parts, parsed while decoding */
    reps = (sel & 0x1c) == 0x1c && size > 0 ? (600u << 10) / size + 1 : 1;
    len = size * reps;
    text = malloc(len + 1);
    if (text == NULL) {
        return 0;
    }
    for (size_t r = 0; r < reps; r++) {
        memcpy(text + r * size, data, size);
    }
    fd = mkstemp(path);
    if (fd < 0) {
        free(text);
        return 0;
    }
    if (!write_gzip(fd, text, len, (sel & 0x20) != 0 ? len * (sel >> 6) / 4 : len)) {
        close(fd);
        unlink(path);
        free(text);
        return 0;
    }
    close(fd);
    rf = crm_fim_db_read(path, &o, NULL, &from_file, &ef);
    rm = crm_fim_db_read_mem((const char *)text, len, path, &o, &from_mem, &em);
    unlink(path);
    if (rf != rm) {
        abort();
    }
    if (rf == CRM_OK) {
        crm_fim_db *ref = reference(text, len, o.skip_empty);
        same_db(from_file, from_mem);
        if (ref != NULL) {
            same_db(ref, from_mem);
        }
        crm_fim_db_free(ref);
    } else if (ef.line != em.line || ef.column != em.column) {
        abort();
    }
    free(text);
    crm_fim_db_free(from_file);
    crm_fim_db_free(from_mem);
    return 0;
}
