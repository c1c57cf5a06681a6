/* dict.c: string -> code dictionary for categorical and identifier columns.
 *
 * Open addressing with linear probing over a power-of-two slot array kept at most half full;
 * each slot keeps the 32-bit hash so that most probes never touch the arena. Codes are given
 * in order of first insertion, which makes level order a pure function of the input. */
#include <string.h>

#include "core/core_internal.h"
#include "io_internal.h"

void crm__dict_init(crm__dict *d)
{
    memset(d, 0, sizeof *d);
}

void crm__dict_fini(crm__dict *d)
{
    if (d == NULL) {
        return;
    }
    CRM__FREE(d->arena, d->off, d->slots, d->hashes);
    memset(d, 0, sizeof *d);
}

static int text_equal(const crm__dict *d, int32_t code, const char *s, size_t len)
{
    /* Texts sit back to back in the arena, so a text's length is known without storing it
     * (and texts with NUL bytes compare correctly). */
    size_t end = code + 1 < d->n ? d->off[code + 1] : d->arena_len;
    return end - d->off[code] == len + 1 && memcmp(d->arena + d->off[code], s, len) == 0;
}

int32_t crm__dict_find(const crm__dict *d, const char *s, size_t len)
{
    uint32_t h;
    size_t mask;
    if (d->n_slots == 0) {
        /* sealed (crm__dict_seal): no index, look through the texts */
        for (int32_t c = 0; c < d->n; c++) {
            if (text_equal(d, c, s, len)) {
                return c;
            }
        }
        return -1;
    }
    h = (uint32_t)crm__hash_bytes(s, len);
    mask = d->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int32_t c = d->slots[i];
        if (c == 0) {
            return -1;
        }
        if (d->hashes[i] == h && text_equal(d, c - 1, s, len)) {
            return c - 1;
        }
    }
}

static crm_status grow_slots(crm__dict *d)
{
    size_t n = d->n_slots ? d->n_slots * 2 : 64;
    int32_t *slots = crm_calloc(n, sizeof *slots);
    uint32_t *hashes = crm_mallocarray(n, sizeof *hashes);
    if (slots == NULL || hashes == NULL) {
        crm_free(slots);
        crm_free(hashes);
        return CRM_ENOMEM;
    }
    for (size_t i = 0; i < d->n_slots; i++) {
        size_t j;
        if (d->slots[i] == 0) {
            continue;
        }
        for (j = d->hashes[i] & (n - 1); slots[j] != 0; j = (j + 1) & (n - 1)) {
        }
        slots[j] = d->slots[i];
        hashes[j] = d->hashes[i];
    }
    crm_free(d->slots);
    crm_free(d->hashes);
    d->slots = slots;
    d->hashes = hashes;
    d->n_slots = n;
    return CRM_OK;
}

static crm_status add_text(crm__dict *d, const char *s, size_t len)
{
    if (d->n == d->cap) {
        int32_t cap = d->cap ? (d->cap > INT32_MAX / 2 ? INT32_MAX - 1 : d->cap * 2) : 16;
        size_t *off;
        if (cap <= d->n) {
            return CRM_ELIMIT;
        }
        off = crm_realloc(d->off, (size_t)cap * sizeof *off);
        if (off == NULL) {
            return CRM_ENOMEM;
        }
        d->off = off;
        d->cap = cap;
    }
    if (!crm__grow_bytes(&d->arena, &d->arena_cap, d->arena_len + len + 1)) {
        return CRM_ENOMEM;
    }
    d->off[d->n] = d->arena_len;
    if (len > 0) {
        memcpy(d->arena + d->arena_len, s, len);
    }
    d->arena[d->arena_len + len] = '\0';
    d->arena_len += len + 1;
    return CRM_OK;
}

void crm__dict_seal(crm__dict *d)
{
    crm_free(d->slots);
    crm_free(d->hashes);
    d->slots = NULL;
    d->hashes = NULL;
    d->n_slots = 0;
    if (d->n > 0 && d->cap > d->n) {
        size_t *off = crm_realloc(d->off, (size_t)d->n * sizeof *off);
        if (off != NULL) {
            d->off = off;
            d->cap = d->n;
        }
    }
    if (d->arena_len > 0 && d->arena_cap > d->arena_len) {
        char *a = crm_realloc(d->arena, d->arena_len);
        if (a != NULL) {
            d->arena = a;
            d->arena_cap = d->arena_len;
        }
    }
}

/* The index of a sealed dict built again from its texts. */
static crm_status reindex(crm__dict *d)
{
    size_t n = 64;
    while (n < (size_t)d->n * 2 + 2) {
        n *= 2;
    }
    d->slots = crm_calloc(n, sizeof *d->slots);
    d->hashes = crm_mallocarray(n, sizeof *d->hashes);
    if (d->slots == NULL || d->hashes == NULL) {
        crm_free(d->slots);
        crm_free(d->hashes);
        d->slots = NULL;
        d->hashes = NULL;
        return CRM_ENOMEM;
    }
    d->n_slots = n;
    for (int32_t c = 0; c < d->n; c++) {
        size_t end = c + 1 < d->n ? d->off[c + 1] : d->arena_len;
        uint32_t h = (uint32_t)crm__hash_bytes(d->arena + d->off[c], end - d->off[c] - 1);
        size_t j;
        for (j = h & (n - 1); d->slots[j] != 0; j = (j + 1) & (n - 1)) {
        }
        d->slots[j] = c + 1;
        d->hashes[j] = h;
    }
    return CRM_OK;
}

crm_status crm__dict_intern(crm__dict *d, const char *s, size_t len, int32_t *code)
{
    uint32_t h = (uint32_t)crm__hash_bytes(s, len);
    size_t mask;
    size_t i;
    crm_status rc;
    if (d->n_slots == 0 && d->n > 0) {
        rc = reindex(d);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    if ((size_t)d->n * 2 + 2 > d->n_slots) {
        rc = grow_slots(d);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    mask = d->n_slots - 1;
    for (i = h & mask; d->slots[i] != 0; i = (i + 1) & mask) {
        if (d->hashes[i] == h && text_equal(d, d->slots[i] - 1, s, len)) {
            *code = d->slots[i] - 1;
            return CRM_OK;
        }
    }
    rc = add_text(d, s, len);
    if (rc != CRM_OK) {
        return rc;
    }
    d->slots[i] = d->n + 1;
    d->hashes[i] = h;
    *code = d->n++;
    return CRM_OK;
}
