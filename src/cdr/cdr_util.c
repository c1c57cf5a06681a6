/* cdr_util.c: the string table, the key set and the field parsers of src/cdr. */
#include <string.h>

#include "cdr_internal.h"
#include "core/core_internal.h"

void crm__cdr_strmap_fini(crm__cdr_strmap *m)
{
    CRM__FREE(m->arena, m->off, m->hashes, m->slots);
    memset(m, 0, sizeof *m);
}

/* The slot key of s[0..len) as two words: the first 15 bytes zero-padded, then the length
 * (0xFF: longer than 15) in the last byte. */
static inline void slot_key(const char *s, size_t len, uint64_t *k0, uint64_t *k1)
{
    size_t n = len <= 15 ? len : 15;
    uint64_t a = 0;
    uint64_t b = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        for (size_t i = 8; i < n; i++) {
            b |= (uint64_t)(unsigned char)s[i] << (8 * (i - 8));
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            a |= (uint64_t)(unsigned char)s[i] << (8 * i);
        }
    }
    b |= (uint64_t)(len <= 15 ? len : 0xFF) << 56;
    *k0 = a;
    *k1 = b;
}

static int strmap_rehash(crm__cdr_strmap *m, size_t n_slots)
{
    crm__cdr_slot *slots = crm_mallocarray(n_slots, sizeof *slots);
    if (slots == NULL) {
        return 0;
    }
    /* huge pages before the first touch: one page fault per 2 MiB, fewer TLB misses */
    crm__advise_huge(slots, n_slots * sizeof *slots);
    memset(slots, 0, n_slots * sizeof *slots);
    for (size_t k = 0; k < m->n_slots; k++) {
        crm__cdr_slot *o = &m->slots[k];
        if (o->idx1 != 0) {
            size_t j = (size_t)m->hashes[o->idx1 - 1] & (n_slots - 1);
            while (slots[j].idx1 != 0) {
                j = (j + 1) & (n_slots - 1);
            }
            slots[j] = *o;
        }
    }
    crm_free(m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    return 1;
}

int64_t
crm__cdr_strmap_intern(crm__cdr_strmap *m, const char *s, size_t len, uint64_t h, int *added)
{
    uint64_t k0;
    uint64_t k1;
    uint32_t tag = (uint32_t)(h >> 32);
    size_t k;
    int64_t i;
    *added = 0;
    if (m->n_slots == 0 && !strmap_rehash(m, 1024)) {
        return -1;
    }
    slot_key(s, len, &k0, &k1);
    k = (size_t)h & (m->n_slots - 1);
    for (;; k = (k + 1) & (m->n_slots - 1)) {
        const crm__cdr_slot *sl = &m->slots[k];
        uint64_t s0;
        uint64_t s1;
        if (sl->idx1 == 0) {
            break;
        }
        if (sl->tag != tag) {
            continue;
        }
        memcpy(&s0, sl->key, 8);
        memcpy(&s1, sl->key + 8, 8);
        if (s0 == k0 && s1 == k1) {
            int64_t j = (int64_t)sl->idx1 - 1;
            const char *t;
            if (len <= 15) {
                return j;
            }
            t = m->arena + m->off[j];
            if (memcmp(t, s, len) == 0 && t[len] == '\0') {
                return j;
            }
        }
    }
    if (m->n >= INT32_MAX - 1) {
        return -1;
    }
    if (m->n == m->cap) {
        int64_t cap = m->cap ? 2 * m->cap : 1024;
        size_t *off = crm_realloc(m->off, (size_t)cap * sizeof *off);
        uint64_t *hashes;
        if (off == NULL) {
            return -1;
        }
        m->off = off;
        hashes = crm_realloc(m->hashes, (size_t)cap * sizeof *hashes);
        if (hashes == NULL) {
            return -1;
        }
        m->hashes = hashes;
        m->cap = cap;
    }
    if (m->arena_len + len + 1 > m->arena_cap &&
        !crm__grow_bytes_from(&m->arena, &m->arena_cap, m->arena_len + len + 1, 16384)) {
        return -1;
    }
    i = m->n++;
    memcpy(m->arena + m->arena_len, s, len);
    m->arena[m->arena_len + len] = '\0';
    m->off[i] = m->arena_len;
    m->arena_len += len + 1;
    m->hashes[i] = h;
    m->slots[k].tag = tag;
    m->slots[k].idx1 = (uint32_t)(i + 1);
    memcpy(m->slots[k].key, &k0, 8);
    memcpy(m->slots[k].key + 8, &k1, 8);
    *added = 1;
    if ((size_t)m->n * 10 > m->n_slots * 7 && !strmap_rehash(m, m->n_slots * 2)) {
        return -1;
    }
    return i;
}

void crm__cdr_keyset_fini(crm__cdr_keyset *s)
{
    crm_free(s->slots);
    memset(s, 0, sizeof *s);
}

static int keyset_grow(crm__cdr_keyset *s)
{
    size_t n_slots = s->n_slots ? 2 * s->n_slots : 4096;
    uint64_t *slots = crm_mallocarray(n_slots, sizeof *slots);
    if (slots == NULL) {
        return 0;
    }
    crm__advise_huge(slots, n_slots * sizeof *slots);
    memset(slots, 0xff, n_slots * sizeof *slots);
    for (size_t i = 0; i < s->n_slots; i++) {
        uint64_t key = s->slots[i];
        if (key != UINT64_MAX) {
            size_t k = (size_t)crm__hash_u64(key) & (n_slots - 1);
            while (slots[k] != UINT64_MAX) {
                k = (k + 1) & (n_slots - 1);
            }
            slots[k] = key;
        }
    }
    crm_free(s->slots);
    s->slots = slots;
    s->n_slots = n_slots;
    return 1;
}

int crm__cdr_keyset_add(crm__cdr_keyset *s, uint64_t key)
{
    size_t k;
    if ((s->n + 1) * 4 > s->n_slots * 3 && !keyset_grow(s)) { /* load <= 3/4 */
        return -1;
    }
    k = (size_t)crm__hash_u64(key) & (s->n_slots - 1);
    while (s->slots[k] != UINT64_MAX) {
        if (s->slots[k] == key) {
            return 0;
        }
        k = (k + 1) & (s->n_slots - 1);
    }
    s->slots[k] = key;
    s->n++;
    return 1;
}

/* ---- field parsers ---- */

static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian): count from March of a 400-year era. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int crm__cdr_parse_day(const char *s, size_t len, int64_t *day)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y;
    int m;
    int d;
    int leap;
    if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d)) {
        return 0;
    }
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) {
        return 0;
    }
    *day = days_from_civil(y, m, d);
    return 1;
}

/* "HH:MM:SS" after the date and its ' ' or 'T' (s is the whole 19-byte time) */
static int parse_clock(const char *s, int32_t *sec)
{
    int hh;
    int mm;
    int ss;
    if ((s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' || !digits(s + 11, 2, &hh) ||
        !digits(s + 14, 2, &mm) || !digits(s + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 59) {
        return 0;
    }
    *sec = hh * 3600 + mm * 60 + ss;
    return 1;
}

int crm__cdr_parse_time(const char *s, size_t len, int64_t *day, int32_t *sec)
{
    return len == 19 && crm__cdr_parse_day(s, 10, day) && parse_clock(s, sec);
}

int crm__cdr_parse_time_cached(crm__cdr_day_cache *c,
                               const char *s,
                               size_t len,
                               int64_t *day,
                               int32_t *sec)
{
    if (len != 19) {
        return 0;
    }
    if (c->valid && memcmp(s, c->date, 10) == 0) {
        *day = c->day;
    } else if (crm__cdr_parse_day(s, 10, day)) {
        memcpy(c->date, s, 10);
        c->day = *day;
        c->valid = 1;
    } else {
        return 0;
    }
    return parse_clock(s, sec);
}

int crm__cdr_parse_count(const char *s, size_t len, int64_t *v)
{
    int64_t x = 0;
    if (len > 18) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

int crm__cdr_parse_micros(const char *s, size_t len, int64_t *v)
{
    int64_t whole = 0;
    int64_t frac = 0;
    size_t i = 0;
    int n_int = 0;
    int n_frac = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (++n_int > 12) {
            return 0;
        }
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (n_frac < 6) {
                frac = frac * 10 + (s[i] - '0');
            } else if (n_frac == 6 && s[i] >= '5') {
                frac++; /* half up on the seventh decimal */
            }
            n_frac++;
        }
        if (n_frac == 0 && n_int == 0) {
            return 0;
        }
    }
    if (i != len || (len > 0 && n_int == 0 && n_frac == 0)) {
        return 0;
    }
    for (int k = n_frac < 6 ? n_frac : 6; k < 6; k++) {
        frac *= 10;
    }
    *v = whole * 1000000 + frac;
    return 1;
}
