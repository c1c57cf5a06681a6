/* cdr_internal.h: what the files of src/cdr share: a string table and a set of 64-bit keys,
 * both open addressing over power-of-two slot arrays, and the record-field parsers. */
#ifndef CRM_CDR_INTERNAL_H
#define CRM_CDR_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/status.h>

/* Strings -> dense indices 0, 1, ... in order of first insertion. Texts are NUL-terminated
 * in one arena; each slot also holds the first 15 bytes of its key and the key's length, so
 * that a lookup of a short key (ids, phone numbers) touches one cache line. */
typedef struct crm__cdr_slot {
    uint32_t tag;  /* high half of the hash */
    uint32_t idx1; /* index + 1; 0 = empty */
    char key[16];  /* key[0..15) zero-padded, key[15] = length (0xFF: longer than 15) */
} crm__cdr_slot;

typedef struct crm__cdr_strmap {
    char *arena;
    size_t arena_len;
    size_t arena_cap;
    size_t *off;      /* off[i]: text of index i in arena */
    uint64_t *hashes; /* hashes[i] */
    int64_t n;
    int64_t cap;
    crm__cdr_slot *slots;
    size_t n_slots; /* power of two */
} crm__cdr_strmap;

void crm__cdr_strmap_fini(crm__cdr_strmap *m);
uint64_t crm__cdr_hash(const char *s, size_t len);
/* Index of s[0..len) with hash h, inserting it when new (*added = 1). -1 when out of memory
 * or past 2^31 - 2 strings. */
int64_t
crm__cdr_strmap_intern(crm__cdr_strmap *m, const char *s, size_t len, uint64_t h, int *added);
static inline void crm__cdr_strmap_prefetch(const crm__cdr_strmap *m, uint64_t h)
{
    if (m->n_slots > 0) {
        __builtin_prefetch(&m->slots[(size_t)h & (m->n_slots - 1)]);
    }
}
static inline const char *crm__cdr_strmap_text(const crm__cdr_strmap *m, int64_t i)
{
    return m->arena + m->off[i];
}

/* A set of 64-bit keys (UINT64_MAX is reserved as the empty slot). */
typedef struct crm__cdr_keyset {
    uint64_t *slots;
    size_t n_slots;
    size_t n;
} crm__cdr_keyset;

void crm__cdr_keyset_fini(crm__cdr_keyset *s);
uint64_t crm__cdr_mix64(uint64_t h);
static inline void crm__cdr_keyset_prefetch(const crm__cdr_keyset *s, uint64_t key)
{
    if (s->n_slots > 0) {
        __builtin_prefetch(&s->slots[(size_t)crm__cdr_mix64(key) & (s->n_slots - 1)]);
    }
}
/* 1 when key was new, 0 when present, -1 when out of memory. */
int crm__cdr_keyset_add(crm__cdr_keyset *s, uint64_t key);

/* "YYYY-MM-DD HH:MM:SS" (or 'T' between) into days since 1970-01-01 and seconds of the day;
 * 0 when the text is not a valid time. */
int crm__cdr_parse_time(const char *s, size_t len, int64_t *day, int32_t *sec);
/* "YYYY-MM-DD" into days since 1970-01-01; 0 when invalid. */
int crm__cdr_parse_day(const char *s, size_t len, int64_t *day);
/* Whole number >= 0 (empty = 0); 0 when invalid or above 10^18. */
int crm__cdr_parse_count(const char *s, size_t len, int64_t *v);
/* Decimal >= 0 (empty = 0) in units of 1e-6, rounded half up; 0 when invalid. */
int crm__cdr_parse_micros(const char *s, size_t len, int64_t *v);

#endif
