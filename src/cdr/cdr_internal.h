/* cdr_internal.h: what the files of src/cdr share: a string table and a set of 64-bit keys,
 * both open addressing over power-of-two slot arrays, and the record-field parsers. */
#ifndef CRM_CDR_INTERNAL_H
#define CRM_CDR_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/cdr.h>
#include <crmkit/csv_stream.h>
#include <crmkit/status.h>

#include "core/core_internal.h"

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
static inline size_t crm__cdr_strmap_len(const crm__cdr_strmap *m, int64_t i)
{
    return (i + 1 < m->n ? m->off[i + 1] : m->arena_len) - m->off[i] - 1;
}

/* The process (0 .. n_owners - 1) that owns a caller or callee of hash h in a run across
 * processes: the high half of the hash scaled to n_owners (the tables use the low bits). */
static inline int crm__cdr_owner(uint64_t h, int n_owners)
{
    return (int)(((h >> 32) * (uint64_t)n_owners) >> 32);
}

/* A set of 64-bit keys (UINT64_MAX is reserved as the empty slot). */
typedef struct crm__cdr_keyset {
    uint64_t *slots;
    size_t n_slots;
    size_t n;
} crm__cdr_keyset;

void crm__cdr_keyset_fini(crm__cdr_keyset *s);
static inline void crm__cdr_keyset_prefetch(const crm__cdr_keyset *s, uint64_t key)
{
    if (s->n_slots > 0) {
        __builtin_prefetch(&s->slots[(size_t)crm__hash_u64(key) & (s->n_slots - 1)]);
    }
}
/* 1 when key was new, 0 when present, -1 when out of memory. */
int crm__cdr_keyset_add(crm__cdr_keyset *s, uint64_t key);

/* "YYYY-MM-DD HH:MM:SS" (or 'T' between) into days since 1970-01-01 and seconds of the day;
 * 0 when the text is not a valid time. */
int crm__cdr_parse_time(const char *s, size_t len, int64_t *day, int32_t *sec);
/* The same, remembering the last valid date: records come mostly in time order, so most
 * share the date of the one before and only their clock is parsed. */
typedef struct crm__cdr_day_cache {
    char date[10];
    int valid;
    int64_t day;
} crm__cdr_day_cache;
int crm__cdr_parse_time_cached(crm__cdr_day_cache *c,
                               const char *s,
                               size_t len,
                               int64_t *day,
                               int32_t *sec);
/* "YYYY-MM-DD" into days since 1970-01-01; 0 when invalid. */
int crm__cdr_parse_day(const char *s, size_t len, int64_t *day);
/* Whole number >= 0 (empty = 0); 0 when invalid or above 10^18. */
int crm__cdr_parse_count(const char *s, size_t len, int64_t *v);
/* Decimal >= 0 (empty = 0) in units of 1e-6, rounded half up; 0 when invalid. */
int crm__cdr_parse_micros(const char *s, size_t len, int64_t *v);

/* ---- a run across processes (cdr_dist.c): each customer is owned by one process ---- */

/* What one process reads: bytes [begin, end) of path (begin < 0: all of it), line first_line
 * at begin, then the ranges that next(next_ud, ...) gives (crm_csv_stream_set_ranges; NULL:
 * none). */
typedef struct crm__cdr_source {
    const char *path;
    int64_t begin;
    int64_t end;
    int64_t first_line;
    crm_csv_range_fn next;
    void *next_ud;
} crm__cdr_source;
/* crm_cdr_aggregate_part of a source */
crm_status crm__cdr_aggregate_source(const crm__cdr_source *src,
                                     const crm_cdr_params *p,
                                     const crm_progress *progress,
                                     crm_cdr_part **out,
                                     crm_error *err);
/* This process's sums of records read (the counts and days of its part). */
crm_cdr_summary crm__cdr_part_summary(const crm_cdr_part *pt);
/* The callers of pt owned by each process d != me (their sums and (caller, callee) pairs),
 * and the callees each d owns, as blobs crm_cdr_part_merge adds: *buf (crm_free it) holds the
 * blobs for d = 0, 1, ... one after another, sizes[d] bytes each (0 for me). */
crm_status crm__cdr_part_export_owned(const crm_cdr_part *pt,
                                      int me,
                                      int n_owners,
                                      char **buf,
                                      size_t *sizes,
                                      crm_error *err);
/* The features of the callers me owns, sorted by id; the summary counts the pairs of those
 * callers and the callees me owns (sums over the processes give the totals). */
crm_status crm__cdr_part_finish_owned(crm_cdr_part *pt,
                                      int me,
                                      int n_owners,
                                      crm_cdr_features **out,
                                      crm_error *err);
/* Rows as bytes, and the rows of several such runs merged into one features table in id
 * order, with summary sum (n_customers set to the rows). */
crm_status
crm__cdr_features_export(const crm_cdr_features *f, char **buf, size_t *len, crm_error *err);
crm_status crm__cdr_features_merge(const char *all,
                                   const size_t *sizes,
                                   int n_parts,
                                   const crm_cdr_summary *sum,
                                   crm_cdr_features **out,
                                   crm_error *err);

#endif
