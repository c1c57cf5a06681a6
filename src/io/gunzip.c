/* gunzip.c: DEFLATE (RFC 1951) inside gzip members (RFC 1952), decoded into one flat output
 * buffer. Why not zlib's inflate: on the FIMI baskets (short decimal numbers: matches of 6
 * bytes on average, and literals) it runs at 240-260 MB/s here, which was most of reading a
 * .gz file. This decoder is 1.6-2 times faster (bench/bench_gunzip.c) for the reasons
 * libdeflate's author gives: the output is one buffer, so a match is copied from it in 8 or
 * 16-byte words with no window; a 64-bit bit buffer is refilled without branches, so one
 * refill covers a whole match or three table entries; an 11-bit first-level table decodes
 * nearly every literal/length code in one lookup, and its entries hold two literals when both
 * codes fit; a match's code and extra bits are consumed in one shift; and the entry after a
 * match is looked up before the match is copied.
 *
 * Every check zlib makes is made here, with zlib's words in the messages: header method and
 * flags, header CRC, over-subscribed or incomplete code sets (incomplete is allowed only for a
 * single one-bit code, as zlib allows), repeat codes, the end-of-block code, distances before
 * the member's start, stored block lengths, and each member's CRC-32 (crm__crc32: zlib's,
 * faster) and length. tests/unit/test_gunzip.c and fuzz/fuzz_gunzip.c compare it with zlib. */
#include "gunzip.h"

#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/core_internal.h"

/* A table entry: bits to consume (the whole code length) in bits 0-7, extra bits (or a
 * subtable's index bits) in 8-11, kind in 12-15, value (literal, base, subtable start) above. */
enum {
    K_LIT,
    K_BASE,
    K_EOB,
    K_SUB,
    K_BAD
};
#define ENTRY(len, extra, kind, val)                                                               \
    ((uint32_t)(len) | (uint32_t)(extra) << 8 | (uint32_t)(kind) << 12 | (uint32_t)(val) << 16)
#define E_LEN(e)   ((e)&0xffu)
#define E_EXTRA(e) (((e) >> 8) & 0xfu)
#define E_KIND(e)  (((e) >> 12) & 0xfu)
#define E_VAL(e)   ((e) >> 16)

/* Root bits and the most entries a valid code can need (zlib's examples/enough.c). */
#define LIT_BITS    11
#define LIT_ENOUGH  2342
#define DIST_BITS   8
#define DIST_ENOUGH 402
#define PRE_BITS    7
#define PRE_ENOUGH  128

/* The fast loop runs while this much output room and input are left: a match writes at most
 * 258 bytes plus 15 of word overrun; an iteration reads at most 3 refills of 7 bytes. */
#define FAST_OUT_ROOM 320
#define FAST_IN_ROOM  32
#define OUT_SLACK     (FAST_OUT_ROOM + 64)

static const uint16_t len_base[29] = { 3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                       15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                       67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = { 1,    2,    3,    4,     5,     7,    9,    13,
                                        17,   25,   33,   49,    65,    97,   129,  193,
                                        257,  385,  513,  769,   1025,  1537, 2049, 3073,
                                        4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
static const uint8_t pre_order[19] = { 16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                       11, 4,  12, 3, 13, 2, 14, 1, 15 };

typedef struct dec {
    const uint8_t *p, *end; /* next input byte, end of input */
    uint64_t buf;           /* bit buffer: n valid bits at the bottom (bits above are the */
    unsigned n;             /* next input bits or zero) */
    unsigned phantom;       /* zero bytes loaded past the end of the input */
    uint8_t *out;           /* output: pos bytes written of cap (OUT_SLACK beyond) */
    size_t pos, cap;
    size_t member;  /* where the current member's output starts (no distance reaches back
                     * before it) */
    size_t crc_pos; /* output up to here is in crc */
    uint32_t crc;
    size_t next_step;  /* offer the output to the hooks when pos passes this */
    const uint8_t *in; /* start of the input */
    const crm__gunzip_hooks *hooks;
    const char *msg; /* what is wrong: zlib's words, or NULL for truncated data */
    int cancelled, nomem;
    uint32_t lit_tmpl[288], dist_tmpl[32], pre_tmpl[19];
    uint32_t lit[LIT_ENOUGH], dist[DIST_ENOUGH], pre[PRE_ENOUGH];
    uint32_t fixed_lit[LIT_ENOUGH], fixed_dist[DIST_ENOUGH];
    int fixed_built;
} dec;

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- code tables -------------------------------------------------------------------------- */

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++) {
        r = r << 1 | (code & 1u);
        code >>= 1;
    }
    return r;
}

/* An entry from a symbol's template and its code length: a length or distance base also
 * consumes its extra bits (the decoder reads them from above the code). */
static inline uint32_t with_len(uint32_t tmpl, unsigned len)
{
    return tmpl | (E_KIND(tmpl) == K_BASE ? len + E_EXTRA(tmpl) : len);
}

/* Decoding table for the code lengths lens[0..n) (each 0-15), root tb bits, subtables after
 * the root; tmpl[s] is symbol s's entry without its length. 0 for a set zlib refuses: over-
 * subscribed, or incomplete unless single_ok and the only code has one bit. A set with no
 * codes gives a table of K_BAD entries (an error once a code is read). */
static int build_table(uint32_t *table,
                       unsigned enough,
                       unsigned tb,
                       const uint8_t *lens,
                       unsigned n,
                       const uint32_t *tmpl,
                       int single_ok)
{
    unsigned count[16] = { 0 }, next[16], offs[17];
    uint16_t sorted[288], codes[288];
    unsigned max = 0, total = 0, next_sub = 1u << tb;
    int left = 1;
    for (unsigned s = 0; s < n; s++) {
        count[lens[s]]++;
    }
    count[0] = 0;
    for (unsigned len = 1; len <= 15; len++) {
        left = left * 2 - (int)count[len];
        if (left < 0) {
            return 0;
        }
        if (count[len] != 0) {
            max = len;
        }
    }
    if (left > 0 && max > 0 && !(single_ok && max == 1)) {
        return 0;
    }
    for (unsigned i = 0; i < (1u << tb); i++) {
        table[i] = ENTRY(1, 0, K_BAD, 0);
    }
    offs[1] = 0;
    for (unsigned len = 1; len <= 15; len++) {
        offs[len + 1] = offs[len] + count[len];
    }
    for (unsigned s = 0; s < n; s++) {
        if (lens[s] != 0) {
            sorted[offs[lens[s]]++] = (uint16_t)s;
        }
    }
    total = offs[16];
    /* canonical codes, most significant bit first, in (length, symbol) order */
    next[1] = 0;
    for (unsigned len = 2; len <= 15; len++) {
        next[len] = (next[len - 1] + count[len - 1]) << 1;
    }
    for (unsigned i = 0; i < total; i++) {
        codes[i] = (uint16_t)next[lens[sorted[i]]]++;
    }
    for (unsigned i = 0; i < total;) {
        unsigned s = sorted[i], len = lens[s];
        if (len <= tb) {
            uint32_t e = with_len(tmpl[s], len);
            for (unsigned j = reverse_bits(codes[i], len); j < (1u << tb); j += 1u << len) {
                table[j] = e;
            }
            i++;
            continue;
        }
        /* the codes sharing this code's first tb bits are the next ones; the last is longest */
        {
            unsigned prefix = codes[i] >> (len - tb), end = i, sub_bits, start = next_sub;
            while (end < total && lens[sorted[end]] > tb &&
                   (unsigned)(codes[end] >> (lens[sorted[end]] - tb)) == prefix) {
                end++;
            }
            sub_bits = lens[sorted[end - 1]] - tb;
            if (start + (1u << sub_bits) > enough) {
                return 0; /* cannot happen for a set that passed the checks above */
            }
            next_sub += 1u << sub_bits;
            table[reverse_bits(prefix, tb)] = ENTRY(tb, sub_bits, K_SUB, start);
            for (unsigned j = 0; j < (1u << sub_bits); j++) {
                table[start + j] = ENTRY(1, 0, K_BAD, 0);
            }
            for (; i < end; i++) {
                unsigned l = lens[sorted[i]], rest = l - tb;
                uint32_t e = with_len(tmpl[sorted[i]], l);
                unsigned suffix = codes[i] & ((1u << rest) - 1u);
                for (unsigned j = reverse_bits(suffix, rest); j < (1u << sub_bits);
                     j += 1u << rest) {
                    table[start + j] = e;
                }
            }
        }
    }
    return 1;
}

static void init_templates(dec *d)
{
    for (unsigned s = 0; s < 288; s++) {
        d->lit_tmpl[s] = s < 256    ? ENTRY(0, 1, K_LIT, s)
                         : s == 256 ? ENTRY(0, 0, K_EOB, 0)
                         : s < 286  ? ENTRY(0, len_extra[s - 257], K_BASE, len_base[s - 257])
                                    : ENTRY(0, 0, K_BAD, 0);
    }
    for (unsigned s = 0; s < 32; s++) {
        d->dist_tmpl[s] =
            s < 30 ? ENTRY(0, dist_extra[s], K_BASE, dist_base[s]) : ENTRY(0, 0, K_BAD, 0);
    }
    for (unsigned s = 0; s < 19; s++) {
        d->pre_tmpl[s] = ENTRY(0, 0, K_LIT, s);
    }
}

/* Root entries whose bits hold two whole literal codes decode both at once (value: first
 * byte, then second; extra: 2). The FIMI files are mostly literals of 5-9 bits. */
static void pair_literals(uint32_t *t)
{
    uint32_t first[1u << LIT_BITS];
    memcpy(first, t, sizeof first);
    for (unsigned i = 0; i < (1u << LIT_BITS); i++) {
        uint32_t e = first[i], e2;
        unsigned l1 = E_LEN(e);
        if (E_KIND(e) != K_LIT || l1 >= LIT_BITS) {
            continue;
        }
        /* the next code's bits: only LIT_BITS - l1 are known, enough for a code that short */
        e2 = first[i >> l1];
        if (E_KIND(e2) == K_LIT && E_LEN(e2) <= LIT_BITS - l1) {
            t[i] = ENTRY(l1 + E_LEN(e2), 2, K_LIT, E_VAL(e) | E_VAL(e2) << 8);
        }
    }
}

static void build_fixed(dec *d)
{
    uint8_t lens[288];
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
    (void)build_table(d->fixed_lit, LIT_ENOUGH, LIT_BITS, lens, 288, d->lit_tmpl, 1);
    pair_literals(d->fixed_lit);
    memset(lens, 5, 32);
    (void)build_table(d->fixed_dist, DIST_ENOUGH, DIST_BITS, lens, 32, d->dist_tmpl, 1);
    d->fixed_built = 1;
}

/* ---- bits --------------------------------------------------------------------------------- */

/* At least 57 bits in the buffer: eight bytes at once while eight are left, else one byte at
 * a time with zeros past the end (counted, so that reading them is known to be truncation). */
static inline void refill(dec *d)
{
    if (d->end - d->p >= 8) {
        d->buf |= load_le64(d->p) << d->n;
        d->p += (63 - d->n) >> 3;
        d->n |= 56;
        return;
    }
    while (d->n <= 56) {
        if (d->p < d->end) {
            d->buf |= (uint64_t)*d->p++ << d->n;
        } else {
            d->phantom++;
        }
        d->n += 8;
    }
}

/* Bits consumed past the end of the input. */
static inline int overran(const dec *d)
{
    return d->phantom * 8 > d->n;
}

static inline unsigned take(dec *d, unsigned k)
{
    unsigned v = (unsigned)(d->buf & ((1u << k) - 1u));
    d->buf >>= k;
    d->n -= k;
    return v;
}

/* Drop to a byte boundary and give the unread whole bytes back to the input. 0: truncated. */
static int to_byte(dec *d)
{
    unsigned back;
    d->buf >>= d->n & 7u;
    d->n &= ~7u;
    if (overran(d)) {
        return 0;
    }
    back = d->n / 8 - d->phantom;
    d->p -= back;
    d->buf = 0;
    d->n = 0;
    d->phantom = 0;
    return 1;
}

/* ---- output ------------------------------------------------------------------------------- */

static int grow(dec *d, size_t need)
{
    size_t cap = d->cap;
    char *b;
    if (cap == 0) {
        cap = need; /* the first block: the size the trailer gives, exactly */
    }
    while (cap < need) {
        cap = cap < ((size_t)1 << 20) ? (size_t)1 << 20 : cap * 2;
    }
    b = d->hooks != NULL && d->hooks->grow != NULL
            ? d->hooks->grow(d->hooks->ctx, (char *)d->out, cap + OUT_SLACK)
            : crm_realloc(d->out, cap + OUT_SLACK);
    if (b == NULL) {
        d->nomem = 1;
        return 0;
    }
    d->out = (uint8_t *)b;
    d->cap = cap;
    return 1;
}

/* Bring the CRC up to pos and offer out[0..pos) to the hooks. 0: cancelled. */
static int step(dec *d)
{
    d->crc = (uint32_t)crm__crc32(d->crc, d->out + d->crc_pos, d->pos - d->crc_pos);
    d->crc_pos = d->pos;
    d->next_step = d->pos + CRM__GUNZIP_STEP;
    if (d->hooks != NULL && d->hooks->advance != NULL &&
        !d->hooks->advance(d->hooks->ctx, (const char *)d->out, d->pos, (size_t)(d->p - d->in))) {
        d->cancelled = 1;
        return 0;
    }
    return 1;
}

static inline uint32_t lookup(const uint32_t *t, unsigned tb, uint64_t buf)
{
    uint32_t e = t[buf & ((1u << tb) - 1u)];
    if (E_KIND(e) == K_SUB) {
        e = t[E_VAL(e) + ((buf >> tb) & ((1u << E_EXTRA(e)) - 1u))];
    }
    return e;
}

/* ---- blocks ------------------------------------------------------------------------------- */

/* Consume a length or distance entry's code and extra bits; the extra bits' value. */
static inline unsigned base_extra(dec *d, uint32_t e)
{
    unsigned v = (unsigned)(d->buf >> (E_LEN(e) - E_EXTRA(e))) & ((1u << E_EXTRA(e)) - 1u);
    (void)take(d, E_LEN(e));
    return v;
}

/* One symbol of a Huffman block with every bound checked: for the last bytes of input or
 * of output room. 1 more to come, 0 end of block, -1 error (d->msg, d->nomem, or truncated). */
static int slow_symbol(dec *d, const uint32_t *lt, const uint32_t *dt)
{
    uint32_t e;
    unsigned len, dist;
    refill(d);
    e = lookup(lt, LIT_BITS, d->buf);
    if (E_KIND(e) == K_BAD) {
        d->msg = d->phantom > 0 ? NULL : "invalid literal/length code"; /* NULL: truncated */
        return -1;
    }
    if (E_KIND(e) != K_BASE) {
        (void)take(d, E_LEN(e));
    }
    if (E_KIND(e) == K_EOB) {
        return overran(d) ? -1 : 0;
    }
    if (E_KIND(e) == K_LIT) {
        if (overran(d) || (d->pos + 2 > d->cap && !grow(d, d->pos + 2))) {
            return -1;
        }
        d->out[d->pos] = (uint8_t)E_VAL(e);
        d->out[d->pos + 1] = (uint8_t)(E_VAL(e) >> 8);
        d->pos += E_EXTRA(e);
        return 1;
    }
    len = E_VAL(e) + base_extra(d, e);
    refill(d);
    e = lookup(dt, DIST_BITS, d->buf);
    if (E_KIND(e) != K_BASE) {
        d->msg = d->phantom > 0 ? NULL : "invalid distance code";
        return -1;
    }
    dist = E_VAL(e) + base_extra(d, e);
    if (overran(d)) {
        return -1;
    }
    if (dist > d->pos - d->member) {
        d->msg = "invalid distance too far back";
        return -1;
    }
    if (d->pos + len > d->cap && !grow(d, d->pos + len)) {
        return -1;
    }
    for (unsigned i = 0; i < len; i++) {
        d->out[d->pos + i] = d->out[d->pos + i - dist];
    }
    d->pos += len;
    return 1;
}

/* The fast loop's steps, on its local p, buf, n and out. */
#define REFILL_FAST()                                                                              \
    do {                                                                                           \
        buf |= load_le64(p) << n;                                                                  \
        p += (63 - n) >> 3;                                                                        \
        n |= 56;                                                                                   \
    } while (0)
#define PUT_LITERALS(e)                                                                            \
    do {                                                                                           \
        buf >>= E_LEN(e);                                                                          \
        n -= E_LEN(e);                                                                             \
        out[0] = (uint8_t)E_VAL(e);                                                                \
        out[1] = (uint8_t)(E_VAL(e) >> 8);                                                         \
        out += E_EXTRA(e);                                                                         \
    } while (0)
/* the extra bits of a length or distance entry: after its code, before buf is shifted */
#define EXTRA_BITS(e) ((unsigned)(buf >> (E_LEN(e) - E_EXTRA(e))) & ((1u << E_EXTRA(e)) - 1u))

/* A Huffman-coded block, to its end-of-block code. 0, or -1 on error. */
static int huffman_block(dec *d, const uint32_t *lt, const uint32_t *dt)
{
    for (;;) {
        const uint8_t *p = d->p;
        const uint8_t *in_fast_end = d->end - d->p > FAST_IN_ROOM ? d->end - FAST_IN_ROOM : d->p;
        uint8_t *out = d->out + d->pos, *win = d->out + d->member;
        uint8_t *lim = d->out;
        uint64_t buf = d->buf;
        unsigned n = d->n;
        int r;
        if (d->cap >= FAST_OUT_ROOM) {
            size_t room_end = d->cap - FAST_OUT_ROOM;
            lim = d->out + (d->next_step < room_end ? d->next_step : room_end);
        }
        /* the fast loop: nothing is checked but the codes and the distance. A match's
         * entries consume their code and extra bits together; the entry after a match is
         * looked up before the match is copied, so that the lookup overlaps the copy. */
        if (p < in_fast_end && out < lim) {
            uint32_t e;
            REFILL_FAST();
            e = lookup(lt, LIT_BITS, buf);
            for (;;) {
                unsigned len, dist;
                const uint8_t *src;
                uint8_t *stop;
                if (E_KIND(e) == K_LIT) {
                    /* up to three literal entries (one or two literals each) per refill, 3 x
                     * 15 bits; the second byte of a single literal is written, then
                     * overwritten */
                    PUT_LITERALS(e);
                    e = lookup(lt, LIT_BITS, buf);
                    if (E_KIND(e) == K_LIT) {
                        PUT_LITERALS(e);
                        e = lookup(lt, LIT_BITS, buf);
                        if (E_KIND(e) == K_LIT) {
                            PUT_LITERALS(e);
                            if (!(p < in_fast_end && out < lim)) {
                                break;
                            }
                            REFILL_FAST();
                            e = lookup(lt, LIT_BITS, buf);
                            continue;
                        }
                    }
                    /* a length (or the end) follows: refill for its extra bits and distance */
                    REFILL_FAST();
                }
                if (E_KIND(e) != K_BASE) {
                    if (E_KIND(e) == K_EOB) {
                        buf >>= E_LEN(e);
                        n -= E_LEN(e);
                        d->p = p;
                        d->buf = buf;
                        d->n = n;
                        d->pos = (size_t)(out - d->out);
                        return 0;
                    }
                    d->msg = "invalid literal/length code";
                    return -1;
                }
                len = E_VAL(e) + EXTRA_BITS(e);
                buf >>= E_LEN(e);
                n -= E_LEN(e);
                e = lookup(dt, DIST_BITS, buf);
                if (E_KIND(e) != K_BASE) {
                    d->msg = "invalid distance code";
                    return -1;
                }
                dist = E_VAL(e) + EXTRA_BITS(e);
                buf >>= E_LEN(e);
                n -= E_LEN(e);
                if (dist > (size_t)(out - win)) {
                    d->msg = "invalid distance too far back";
                    return -1;
                }
                REFILL_FAST();
                e = lookup(lt, LIT_BITS, buf);
                src = out - dist;
                stop = out + len;
                if (dist >= 16) {
                    do {
                        memcpy(out, src, 16);
                        out += 16;
                        src += 16;
                    } while (out < stop);
                } else if (dist >= 8) {
                    do {
                        memcpy(out, src, 8);
                        out += 8;
                        src += 8;
                    } while (out < stop);
                } else if (dist == 1) {
                    uint64_t v = 0x0101010101010101ull * *src;
                    do {
                        memcpy(out, &v, 8);
                        out += 8;
                    } while (out < stop);
                } else {
                    do {
                        *out++ = *src++;
                    } while (out < stop);
                }
                out = stop;
                if (!(p < in_fast_end && out < lim)) {
                    break;
                }
            }
        }
        d->p = p;
        d->buf = buf;
        d->n = n;
        d->pos = (size_t)(out - d->out);
        if (d->pos >= d->next_step && !step(d)) {
            return -1;
        }
        /* near an end: symbols one at a time until the fast loop can run again */
        do {
            r = slow_symbol(d, lt, dt);
            if (r <= 0) {
                return r;
            }
        } while ((d->end - d->p < FAST_IN_ROOM + 8 || d->pos + FAST_OUT_ROOM > d->cap) &&
                 d->pos < d->next_step);
    }
}

static int stored_block(dec *d)
{
    unsigned len, nlen;
    if (!to_byte(d)) {
        return -1;
    }
    if (d->end - d->p < 4) {
        return -1;
    }
    len = (unsigned)d->p[0] | (unsigned)d->p[1] << 8;
    nlen = (unsigned)d->p[2] | (unsigned)d->p[3] << 8;
    d->p += 4;
    if (len != (~nlen & 0xffffu)) {
        d->msg = "invalid stored block lengths";
        return -1;
    }
    if ((size_t)(d->end - d->p) < len) {
        return -1;
    }
    if (d->pos + len > d->cap && !grow(d, d->pos + len)) {
        return -1;
    }
    memcpy(d->out + d->pos, d->p, len);
    d->p += len;
    d->pos += len;
    return 0;
}

static int dynamic_tables(dec *d)
{
    uint8_t lens[320];
    unsigned hlit, hdist, hclen, i = 0;
    refill(d);
    hlit = take(d, 5) + 257;
    hdist = take(d, 5) + 1;
    hclen = take(d, 4) + 4;
    if (hlit > 286 || hdist > 30) {
        d->msg = "too many length or distance symbols";
        return -1;
    }
    memset(lens, 0, 19);
    for (unsigned k = 0; k < hclen; k++) {
        refill(d);
        lens[pre_order[k]] = (uint8_t)take(d, 3);
    }
    if (overran(d)) {
        return -1;
    }
    if (!build_table(d->pre, PRE_ENOUGH, PRE_BITS, lens, 19, d->pre_tmpl, 0)) {
        d->msg = "invalid code lengths set";
        return -1;
    }
    while (i < hlit + hdist) {
        uint32_t e;
        unsigned sym, rep;
        uint8_t val = 0;
        refill(d);
        e = d->pre[d->buf & ((1u << PRE_BITS) - 1u)];
        if (E_KIND(e) == K_BAD) {
            d->msg = "invalid code lengths set";
            return -1;
        }
        (void)take(d, E_LEN(e));
        sym = E_VAL(e);
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
        } else {
            if (sym == 16) {
                if (i == 0) {
                    d->msg = "invalid bit length repeat";
                    return -1;
                }
                val = lens[i - 1];
                rep = 3 + take(d, 2);
            } else if (sym == 17) {
                rep = 3 + take(d, 3);
            } else {
                rep = 11 + take(d, 7);
            }
            if (i + rep > hlit + hdist) {
                d->msg = "invalid bit length repeat";
                return -1;
            }
            memset(lens + i, val, rep);
            i += rep;
        }
        if (overran(d)) {
            return -1;
        }
    }
    if (lens[256] == 0) {
        d->msg = "invalid code -- missing end-of-block";
        return -1;
    }
    if (!build_table(d->lit, LIT_ENOUGH, LIT_BITS, lens, hlit, d->lit_tmpl, 1)) {
        d->msg = "invalid literal/lengths set";
        return -1;
    }
    pair_literals(d->lit);
    if (!build_table(d->dist, DIST_ENOUGH, DIST_BITS, lens + hlit, hdist, d->dist_tmpl, 1)) {
        d->msg = "invalid distances set";
        return -1;
    }
    return 0;
}

/* The blocks of one deflate stream. 0, or -1 on error. */
static int deflate_stream(dec *d)
{
    unsigned last;
    do {
        unsigned type;
        int r;
        refill(d);
        last = take(d, 1);
        type = take(d, 2);
        if (overran(d)) {
            return -1;
        }
        if (type == 0) {
            r = stored_block(d);
        } else if (type == 1) {
            if (!d->fixed_built) {
                build_fixed(d);
            }
            r = huffman_block(d, d->fixed_lit, d->fixed_dist);
        } else if (type == 2) {
            r = dynamic_tables(d);
            if (r == 0) {
                r = huffman_block(d, d->lit, d->dist);
            }
        } else {
            d->msg = "invalid block type";
            return -1;
        }
        if (r != 0) {
            return -1;
        }
        if (d->pos >= d->next_step && !step(d)) {
            return -1;
        }
    } while (!last);
    return to_byte(d) ? 0 : -1;
}

/* ---- gzip members ------------------------------------------------------------------------- */

/* The header at p[0..left): its length, 0 when truncated, or -1 with d->msg. */
static long gzip_header(dec *d, const uint8_t *p, size_t left)
{
    size_t at = 10;
    unsigned flags;
    if ((left >= 1 && p[0] != 0x1f) || (left >= 2 && p[1] != 0x8b)) {
        d->msg = "incorrect header check"; /* not gzip, however short */
        return -1;
    }
    if (left >= 3 && p[2] != 8) {
        d->msg = "unknown compression method";
        return -1;
    }
    if (left < 10) {
        return 0;
    }
    flags = p[3];
    if (flags & 0xe0u) {
        d->msg = "unknown header flags set";
        return -1;
    }
    if (flags & 4u) { /* FEXTRA */
        if (left < at + 2) {
            return 0;
        }
        at += 2 + ((size_t)p[at] | (size_t)p[at + 1] << 8);
    }
    for (unsigned f = 8; f <= 16; f <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (flags & f) {
            const uint8_t *z = at < left ? memchr(p + at, 0, left - at) : NULL;
            if (z == NULL) {
                return 0;
            }
            at = (size_t)(z - p) + 1;
        }
    }
    if (flags & 2u) { /* FHCRC */
        if (left < at + 2) {
            return 0;
        }
        if ((crc32(0, p, (uInt)at) & 0xffffu) != ((unsigned)p[at] | (unsigned)p[at + 1] << 8)) {
            d->msg = "header crc mismatch";
            return -1;
        }
        at += 2;
    }
    return at <= left ? (long)at : 0;
}

size_t crm__gunzip_size_guess(const void *in, size_t len)
{
    size_t guess;
    if (len < 18) {
        return 0;
    }
    /* the last member's length (mod 2^32) is the usual single member's decoded size */
    guess = load_le32((const uint8_t *)in + len - 4);
    guess = guess + 64 >= len / 2 ? guess + 1 : len * 4;
    return guess / 1032 <= len ? guess : len * 1032; /* deflate's largest ratio */
}

int crm__is_gzip(const void *data, size_t len)
{
    const uint8_t *b = data;
    return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

static int members(dec *d)
{
    do {
        long h = gzip_header(d, d->p, (size_t)(d->end - d->p));
        if (h <= 0) {
            return -1;
        }
        d->p += h;
        d->member = d->pos;
        d->crc = 0;
        d->crc_pos = d->pos;
        if (deflate_stream(d) != 0) {
            return -1;
        }
        if (d->end - d->p < 8) {
            return -1;
        }
        d->crc = (uint32_t)crm__crc32(d->crc, d->out + d->crc_pos, d->pos - d->crc_pos);
        d->crc_pos = d->pos;
        if (load_le32(d->p) != d->crc) {
            d->msg = "incorrect data check";
            return -1;
        }
        if (load_le32(d->p + 4) != (uint32_t)(d->pos - d->member)) {
            d->msg = "incorrect length check";
            return -1;
        }
        d->p += 8;
        while (d->p < d->end && *d->p == 0) {
            d->p++; /* zero padding after a member, as gzip(1) allows */
        }
    } while (d->p < d->end);
    return 0;
}

crm_status crm__gunzip(const void *in,
                       size_t len,
                       const char *source,
                       const crm__gunzip_hooks *hooks,
                       char **out,
                       size_t *out_len,
                       crm_error *err)
{
    dec *d = crm_malloc(sizeof *d);
    size_t guess = 0;
    int r;
    *out = NULL;
    *out_len = 0;
    if (d == NULL) {
        return crm__error_nomem(err);
    }
    memset(d, 0, offsetof(dec, lit_tmpl));
    d->fixed_built = 0;
    init_templates(d);
    d->p = in;
    d->in = in;
    d->end = d->p + len;
    d->hooks = hooks;
    d->next_step = CRM__GUNZIP_STEP;
    guess = crm__gunzip_size_guess(in, len);
    r = grow(d, guess > 0 ? guess : 4096) ? members(d) : -1;
    if (r == 0 && d->pos + 1 > d->cap && !grow(d, d->pos + 1)) {
        r = -1;
    }
    if (r == 0) {
        d->out[d->pos] = 0;
        r = step(d) ? 0 : -1;
    }
    if (r != 0) {
        crm_status rc =
            d->nomem       ? crm__error_nomem(err)
            : d->cancelled ? crm__error_set(err, CRM_ECANCELLED, "cancelled")
            : d->msg == NULL
                ? crm__error_at(err, CRM_EPARSE, source, 0, 0, "gzip data is truncated")
                : crm__error_at(err, CRM_EPARSE, source, 0, 0, "gzip data is corrupt (%s)", d->msg);
        if (d->hooks != NULL && d->hooks->grow != NULL) {
            (void)d->hooks->grow(d->hooks->ctx, (char *)d->out, 0);
        } else {
            crm_free(d->out);
        }
        crm_free(d);
        return rc;
    }
    *out = (char *)d->out;
    *out_len = d->pos;
    crm_free(d);
    return CRM_OK;
}
