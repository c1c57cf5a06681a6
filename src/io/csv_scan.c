/* csv_scan.c: the CSV reader's hot loop: records and fields of one chunk (RFC 4180).
 *
 * A field that looks like a plain decimal number is converted while it is scanned (one
 * pass over its bytes, Clinger's exact fast path); anything else takes the general path:
 * find the field's end, unquote it, then decide between missing marker, number and word.
 * A column stores numbers until its first word in the chunk; from there on the chunk stores
 * codes of a chunk-local dictionary (as doubles, in the same slot), so no column needs a
 * second pass over the text unless it turns out to be text after all. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/numparse.h"
#include "csv_internal.h"

static crm_status fail(const csv_parser *ps,
                       csv_chunk *ch,
                       crm_status code,
                       int64_t line,
                       int64_t col,
                       const char *name,
                       const char *msg)
{
    crm__error_at(&ch->err, code, ps->source, line, col, "%s", msg);
    if (name != NULL) {
        crm__error_field(&ch->err, name);
    }
    ch->rc = code;
    return code;
}

static crm_status
too_long(const csv_parser *ps, csv_chunk *ch, int64_t line, int32_t j, const char *name)
{
    char msg[96];
    (void)snprintf(msg, sizeof msg, "field longer than the limit of %lld bytes",
                   (long long)ps->max_field);
    return fail(ps, ch, CRM_ELIMIT, line, j + 1, name, msg);
}

static crm_status scan_quoted(const csv_parser *ps,
                              csv_chunk *ch,
                              const char **pp,
                              int64_t *line,
                              int32_t j,
                              const char *name,
                              csv_field *f)
{
    const char *end = ps->base + ps->len;
    const char *p = *pp + 1;
    const char *s = p;
    int64_t open_line = *line;
    int has_escape = 0;
    for (;;) {
        const char *q = memchr(p, ps->quote, (size_t)(end - p));
        if (q == NULL) {
            return fail(ps, ch, CRM_EPARSE, open_line, j + 1, name,
                        "quoted field is not closed before the end of the input");
        }
        for (const char *n = memchr(p, '\n', (size_t)(q - p)); n != NULL;
             n = memchr(n + 1, '\n', (size_t)(q - n - 1))) {
            (*line)++;
        }
        if (q + 1 < end && q[1] == ps->quote) {
            has_escape = 1;
            p = q + 2;
            continue;
        }
        p = q;
        break;
    }
    f->s = s;
    f->len = (size_t)(p - s);
    f->quoted = 1;
    p++;
    if (p < end && *p != ps->delim && *p != '\n') {
        if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
            p++;
        } else {
            char msg[80];
            (void)snprintf(msg, sizeof msg, "unexpected character '%c' after a closing quote",
                           (*p >= 32 && *p < 127) ? *p : '?');
            return fail(ps, ch, CRM_EPARSE, *line, j + 1, name, msg);
        }
    }
    *pp = p;
    if ((int64_t)f->len > ps->max_field) {
        return too_long(ps, ch, *line, j, name);
    }
    if (has_escape) {
        char *o;
        if (ch->scratch_cap < f->len + 1) {
            size_t cap = f->len + 64;
            char *b = crm_realloc(ch->scratch, cap);
            if (b == NULL) {
                crm__error_nomem(&ch->err);
                ch->rc = CRM_ENOMEM;
                return CRM_ENOMEM;
            }
            ch->scratch = b;
            ch->scratch_cap = cap;
        }
        o = ch->scratch;
        for (size_t i = 0; i < f->len; i++) {
            *o++ = s[i];
            i += (s[i] == ps->quote); /* "" -> " */
        }
        f->s = ch->scratch;
        f->len = (size_t)(o - ch->scratch);
    }
    return CRM_OK;
}

size_t crm__csv_record_cut(const char *b, size_t n, char quote)
{
    size_t cut = 0;
    int inq = 0;
    if (memchr(b, quote, n) == NULL) {
        while (n > 0 && b[n - 1] != '\n') {
            n--;
        }
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (b[i] == quote) {
            inq ^= 1;
        } else if (b[i] == '\n' && !inq) {
            cut = i + 1;
        }
    }
    return cut;
}

crm_status
crm__csv_check_partial(const csv_parser *ps, const char *b, size_t n, int64_t line, crm_error *err)
{
    int inq = 0;
    int64_t col = 0;
    int64_t open_line = line;
    size_t open = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == ps->quote) {
            inq ^= 1;
            if (inq) {
                open = i;
                open_line = line;
            }
        } else if (b[i] == '\n') {
            line++; /* inside quotes: the buffer holds no whole record */
        } else if (b[i] == ps->delim && !inq) {
            col++;
        }
    }
    if (!inq || (int64_t)(n - open - 1) <= ps->max_field) {
        return CRM_OK;
    }
    crm__error_at(err, CRM_ELIMIT, ps->source, open_line, col + 1,
                  "quoted field longer than the limit of %lld bytes (is its closing quote "
                  "missing?)",
                  (long long)ps->max_field);
    if (ps->names != NULL && col < ps->n_cols) {
        crm__error_field(err, ps->names[col]);
    }
    return CRM_ELIMIT;
}

crm_status crm__csv_scan_field(const csv_parser *ps,
                               csv_chunk *ch,
                               const char **pp,
                               int64_t *line,
                               int32_t j,
                               const char *name,
                               csv_field *f)
{
    const char *end = ps->base + ps->len;
    const char *p = *pp;
    const char *s = p;
    if (p < end && *p == ps->quote) {
        return scan_quoted(ps, ch, pp, line, j, name, f);
    }
    while (p < end) {
        char c = *p;
        if (c == ps->delim || c == '\n') {
            break;
        }
        if (c == ps->quote) {
            return fail(ps, ch, CRM_EPARSE, *line, j + 1, name,
                        "quote character inside an unquoted field (quote the whole field and "
                        "double the quote)");
        }
        p++;
    }
    f->s = s;
    f->len = (size_t)(p - s);
    f->quoted = 0;
    if (f->len > 0 && s[f->len - 1] == '\r' && (p == end || *p == '\n')) {
        f->len--;
    }
    *pp = p;
    if ((int64_t)f->len > ps->max_field) {
        return too_long(ps, ch, *line, j, name);
    }
    return CRM_OK;
}

int crm__csv_is_na(const csv_parser *ps, const char *s, size_t len)
{
    if (len == 0) {
        return 1;
    }
    if (len <= 4) {
        char b[4];
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            b[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        if ((len == 1 && b[0] == '?') || (len == 2 && memcmp(b, "na", 2) == 0) ||
            (len == 3 && (memcmp(b, "nan", 3) == 0 || memcmp(b, "n/a", 3) == 0)) ||
            (len == 4 && memcmp(b, "null", 4) == 0)) {
            return 1;
        }
    }
    for (int32_t k = 0; k < ps->n_na; k++) {
        if (strlen(ps->na[k]) == len && memcmp(ps->na[k], s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* SWAR digit handling, 8 bytes at a time (little-endian loads). */
static inline uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Leading ASCII digits among the 8 bytes of w (byte 0 first); x receives w ^ '0'...'0'. */
static inline int lead_digits(uint64_t w, uint64_t *x)
{
    const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
    const uint64_t hi = UINT64_C(0x8080808080808080);
    uint64_t d = w ^ UINT64_C(0x3030303030303030);
    /* high bit of a byte set <=> its xor value is >= 10 <=> not a digit */
    uint64_t nondigit = (((d & lo7) + UINT64_C(0x7676767676767676)) | d) & hi;
    *x = d;
    return nondigit ? __builtin_ctzll(nondigit) >> 3 : 8;
}

/* Value of the first n (1..8) digit bytes of x (from lead_digits). */
static inline __attribute__((always_inline)) uint64_t digits_value(uint64_t x, int n)
{
    uint64_t v = x << (8 * (8 - n)); /* the n digits move to the top: leading zeros */
    v = (v * 10) + (v >> 8);
    v = (((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
         (((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >>
        32;
    return v;
}

/* Digits at *pp into *m (at most 19 in all, tracked by *nd); returns 1 on success. */
static inline int read_digits(const char **pp, const char *end, uint64_t *m, int *nd)
{
    static const uint64_t p10[9] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
    };
    const char *p = *pp;
    while (end - p >= 8) {
        uint64_t x;
        int n = lead_digits(load8(p), &x);
        if (n == 0) {
            break;
        }
        if (*nd + n > 19) {
            return 0;
        }
        *m = *m * p10[n] + digits_value(x, n);
        *nd += n;
        p += n;
        if (n < 8) {
            *pp = p;
            return 1;
        }
    }
    while (p < end && (unsigned)(*p - '0') < 10u) {
        if (*nd == 19) {
            return 0;
        }
        *m = *m * 10 + (uint64_t)(*p - '0');
        (*nd)++;
        p++;
    }
    *pp = p;
    return 1;
}

/* Bytes of w equal to c: the high bit of each such byte (exact, no false positives). */
static inline uint64_t bytes_eq(uint64_t w, char c)
{
    const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
    uint64_t t = w ^ (UINT64_C(0x0101010101010101) * (unsigned char)c);
    return ~(((t & lo7) + lo7) | t) & UINT64_C(0x8080808080808080);
}

/* 1..16 digits at q (q[0..16) readable), as an integer. */
static inline __attribute__((always_inline)) uint64_t digits_at(const char *q, int n)
{
    static const uint64_t p10[9] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
    };
    const uint64_t zeros = UINT64_C(0x3030303030303030);
    if (n <= 8) {
        return digits_value(load8(q) ^ zeros, n);
    }
    return digits_value(load8(q) ^ zeros, 8) * p10[n - 8] +
           digits_value(load8(q + 8) ^ zeros, n - 8);
}

static inline uint64_t nondigit_mask(uint64_t x)
{
    const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
    return (((x & lo7) + UINT64_C(0x7676767676767676)) | x) & UINT64_C(0x8080808080808080);
}

/* 17 to 24 digits at q (q[0..32) readable), as an integer: at most 19 digits, so it fits. */
static inline __attribute__((always_inline)) uint64_t digits_at24(const char *q, int n)
{
    static const uint64_t p10[9] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
    };
    const uint64_t zeros = UINT64_C(0x3030303030303030);
    if (n <= 16) {
        return digits_at(q, n);
    }
    return (digits_value(load8(q) ^ zeros, 8) * p10[8] + digits_value(load8(q + 8) ^ zeros, 8)) *
               p10[n - 16] +
           digits_value(load8(q + 16) ^ zeros, n - 16);
}

/* fast_number16's field when its first 16 bytes are all digits, dots or the sign: numbers
 * as numpy, pandas and R write doubles (17 significant digits, "-15.617897467035018"), up to
 * 24 bytes and 19 digits, decided from a third 8-byte load the same way; the 17-19 digit
 * mantissas go to Eisel-Lemire (crm__decimal_fast). 0 = try the general paths. */
static inline int long_number24(const char **pp,
                                char delim,
                                uint64_t w0,
                                uint64_t w1,
                                uint64_t dot0,
                                uint64_t dot1,
                                int sgn,
                                int neg,
                                double *out)
{
    static const uint64_t p10[20] = { UINT64_C(1),
                                      UINT64_C(10),
                                      UINT64_C(100),
                                      UINT64_C(1000),
                                      UINT64_C(10000),
                                      UINT64_C(100000),
                                      UINT64_C(1000000),
                                      UINT64_C(10000000),
                                      UINT64_C(100000000),
                                      UINT64_C(1000000000),
                                      UINT64_C(10000000000),
                                      UINT64_C(100000000000),
                                      UINT64_C(1000000000000),
                                      UINT64_C(10000000000000),
                                      UINT64_C(100000000000000),
                                      UINT64_C(1000000000000000),
                                      UINT64_C(10000000000000000),
                                      UINT64_C(100000000000000000),
                                      UINT64_C(1000000000000000000),
                                      UINT64_C(10000000000000000000) };
    const uint64_t zeros = UINT64_C(0x3030303030303030);
    const char *p = *pp;
    uint64_t w2 = load8(p + 16);
    uint64_t dot2 = bytes_eq(w2, '.');
    uint64_t stop2 = nondigit_mask(w2 ^ zeros) & ~dot2;
    uint64_t d2;
    uint64_t m;
    int len;
    int dpos;
    int nint;
    int nfrac;
    int ndots;
    (void)w0;
    (void)w1;
    if (stop2 == 0) {
        return 0; /* 24 bytes or more */
    }
    len = 16 + (__builtin_ctzll(stop2) >> 3);
    d2 = dot2 & ((UINT64_C(1) << (8 * (len - 16))) - 1);
    ndots = (dot0 != 0) + (dot1 != 0) + (d2 != 0); /* words with a dot */
    if ((p[len] != delim && p[len] != '\n') || ndots > 1 || (dot0 & (dot0 - 1)) != 0 ||
        (dot1 & (dot1 - 1)) != 0 || (d2 & (d2 - 1)) != 0) {
        return 0; /* another character (CR, quote, 'e', space), or two dots */
    }
    dpos = dot0 ? __builtin_ctzll(dot0) >> 3
                : (dot1 ? 8 + (__builtin_ctzll(dot1) >> 3)
                        : (d2 ? 16 + (__builtin_ctzll(d2) >> 3) : len));
    nint = dpos - sgn;
    nfrac = ndots ? len - dpos - 1 : 0;
    if (nint + nfrac > 19) {
        return 0;
    }
    m = nint > 0 ? digits_at24(p + sgn, nint) : 0;
    if (nfrac > 0) {
        m = m * p10[nfrac] + digits_at24(p + dpos + 1, nfrac);
    }
    if (!crm__decimal_fast(m, -(int64_t)nfrac, neg, out)) {
        return 0;
    }
    *pp = p + len;
    return 1;
}

/* The common field: at most 15 bytes of [sign] digits [. digits] followed by a delimiter
 * or '\n', decided from two 8-byte loads (the caller guarantees 32 readable bytes). The end
 * of the field is the first byte that is neither a digit, the dot nor a leading sign,
 * found with masks and a count of trailing zeros: finding the next field does not wait for
 * the digits to be converted, and no branch depends on each number's length digit by
 * digit. 0 = try the general paths. */
static inline int fast_number16(const char **pp, char delim, double *out)
{
    static const uint64_t p10[16] = { 1,
                                      10,
                                      100,
                                      1000,
                                      10000,
                                      100000,
                                      1000000,
                                      10000000,
                                      100000000,
                                      1000000000,
                                      10000000000,
                                      100000000000,
                                      1000000000000,
                                      10000000000000,
                                      100000000000000,
                                      1000000000000000 };
    const uint64_t zeros = UINT64_C(0x3030303030303030);
    const char *p = *pp;
    uint64_t w0 = load8(p);
    uint64_t w1 = load8(p + 8);
    uint64_t dot0 = bytes_eq(w0, '.');
    uint64_t dot1 = bytes_eq(w1, '.');
    int neg = p[0] == '-';
    int sgn = neg | (p[0] == '+');
    uint64_t stop0 = nondigit_mask(w0 ^ zeros) & ~dot0 & ~(uint64_t)(sgn << 7);
    uint64_t stop1 = nondigit_mask(w1 ^ zeros) & ~dot1;
    uint64_t in0;
    uint64_t in1;
    uint64_t d0;
    uint64_t d1;
    uint64_t m;
    int len;
    int dpos;
    int nint;
    int nfrac;
    if (stop0 != 0) {
        len = __builtin_ctzll(stop0) >> 3;
        in0 = (UINT64_C(1) << (8 * len)) - 1;
        in1 = 0;
    } else if (stop1 != 0) {
        len = 8 + (__builtin_ctzll(stop1) >> 3);
        in0 = ~UINT64_C(0);
        in1 = (UINT64_C(1) << (8 * (len - 8))) - 1;
    } else {
        return long_number24(pp, delim, w0, w1, dot0, dot1, sgn, neg, out);
    }
    d0 = dot0 & in0;
    d1 = dot1 & in1;
    if ((p[len] != delim && p[len] != '\n') || (d0 != 0 && d1 != 0) || (d0 & (d0 - 1)) != 0 ||
        (d1 & (d1 - 1)) != 0) {
        return 0; /* another character (CR, quote, 'e', space), or two dots */
    }
    dpos = d0 ? __builtin_ctzll(d0) >> 3 : (d1 ? 8 + (__builtin_ctzll(d1) >> 3) : len);
    nint = dpos - sgn;
    nfrac = (d0 | d1) ? len - dpos - 1 : 0;
    if (nint + nfrac == 0) {
        return 0;
    }
    m = nint > 0 ? digits_at(p + sgn, nint) : 0;
    if (nfrac > 0) {
        m = m * p10[nfrac] + digits_at(p + dpos + 1, nfrac);
    }
    /* At most 15 digits and 14 decimals: always Clinger's exact case. */
    (void)crm__decimal_fast(m, -(int64_t)nfrac, neg, out);
    *pp = p + len;
    return 1;
}

/* [sign] 1-8 digits, '.', 8-16 digits, then the delimiter or '\n': doubles as numpy, pandas
 * and R write them with 17 significant digits (-615.76484011296031, 11.29398567405541), in
 * three 8-byte loads after the sign: the integer digits up to the dot, eight decimals
 * converted whole (no shift), then the 0-8 others; about half the instructions of the
 * general word-at-a-time path below. The caller guarantees 32 readable bytes. 0 = try the
 * other paths (which accept every number this one does, with the same value: the mantissa
 * is exact and crm__decimal_fast rounds it). */
static inline int frac8_number(const char **pp, char delim, double *out)
{
    static const uint64_t p10[9] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
    };
    const uint64_t zeros = UINT64_C(0x3030303030303030);
    const char *p = *pp;
    int neg = p[0] == '-';
    const char *q = p + (neg | (p[0] == '+'));
    uint64_t x0 = load8(q) ^ zeros;
    uint64_t s0 = nondigit_mask(x0);
    uint64_t x1;
    uint64_t x2;
    uint64_t s2;
    uint64_t m;
    const char *f;
    int nint;
    int k;
    if (s0 == 0) {
        return 0; /* 8 integer digits or more */
    }
    nint = __builtin_ctzll(s0) >> 3;
    if (nint == 0 || q[nint] != '.') {
        return 0;
    }
    f = q + nint + 1;
    x1 = load8(f) ^ zeros;
    if (nondigit_mask(x1) != 0) {
        return 0; /* fewer than 8 decimals */
    }
    x2 = load8(f + 8) ^ zeros;
    s2 = nondigit_mask(x2);
    k = s2 != 0 ? __builtin_ctzll(s2) >> 3 : 8;
    if (nint + 8 + k > 19 || (f[8 + k] != delim && f[8 + k] != '\n')) {
        return 0;
    }
    m = digits_value(x0, nint) * p10[8] + digits_value(x1, 8);
    if (k > 0) {
        m = m * p10[k] + digits_value(x2, k);
    }
    if (!crm__decimal_fast(m, -(int64_t)(8 + k), neg, out)) {
        return 0;
    }
    *pp = f + 8 + k;
    return 1;
}

/* A plain decimal number ending at a terminator, converted exactly; 0 if the field needs
 * the general path (anything unusual, including more than 19 digits or a big exponent).
 * Digits go 8 at a time, so the loop has no exit that depends on each number's length:
 * mispredicted loop exits were most of the cost of a byte-at-a-time scanner. */
static inline int fast_number(const char **pp, const char *end, char delim, double *out)
{
    const char *p = *pp;
    uint64_t m = 0;
    int64_t e10 = 0;
    int neg = 0;
    int nd = 0;
    if (p < end) { /* branch-free: signs are random in real data */
        neg = *p == '-';
        p += neg | (*p == '+');
    }
    if (!read_digits(&p, end, &m, &nd)) {
        return 0;
    }
    if (p < end && *p == '.') {
        int before = nd;
        p++;
        if (!read_digits(&p, end, &m, &nd)) {
            return 0;
        }
        e10 = -(int64_t)(nd - before);
    }
    if (nd == 0) {
        /* no digits at all, or only zeros that were never counted? zeros count as digits */
        return 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        int64_t ev = 0;
        const char *x0;
        p++;
        if (p < end && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            p++;
        }
        x0 = p;
        while (p < end && (unsigned)(*p - '0') < 10u && p - x0 < 4) {
            ev = ev * 10 + (*p - '0');
            p++;
        }
        if (p == x0) {
            return 0;
        }
        e10 += eneg ? -ev : ev;
    }
    if (p < end && *p != delim && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
        return 0;
    }
    if (!crm__decimal_fast(m, e10, neg, out)) {
        return 0;
    }
    *pp = p;
    return 1;
}

static void trim(const char **s, size_t *len)
{
    const char *a = *s;
    size_t n = *len;
    while (n > 0 && (*a == ' ' || *a == '\t')) {
        a++;
        n--;
    }
    while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t')) {
        n--;
    }
    *s = a;
    *len = n;
}

static void note_word(csv_colstat *c, int64_t row, int64_t line, const char *s, size_t len)
{
    if (c->word_row < 0) {
        size_t n = len < sizeof c->word - 1 ? len : sizeof c->word - 1;
        c->word_row = row;
        c->word_line = line;
        memcpy(c->word, s, n);
        c->word[n] = '\0';
    }
}

static crm_status intern(const csv_parser *ps,
                         csv_chunk *ch,
                         csv_colstat *c,
                         int32_t j,
                         int64_t line,
                         const csv_field *f,
                         double *slot)
{
    int32_t code;
    crm_status rc = crm__dict_intern(&c->dict, f->s, f->len, &code);
    if (rc == CRM_ENOMEM) {
        crm__error_nomem(&ch->err);
        ch->rc = rc;
        return rc;
    }
    if (rc != CRM_OK) {
        return fail(ps, ch, rc, line, j + 1, ps->names[j], "too many distinct values");
    }
    *slot = (double)code;
    return CRM_OK;
}

/* The general path for the field at *pp of column j. */
static crm_status slow_cell(const csv_parser *ps,
                            csv_chunk *ch,
                            const char **pp,
                            int64_t *line,
                            int32_t j,
                            int64_t row,
                            double *slot)
{
    csv_colstat *c = &ch->cs[j];
    int64_t line0 = *line;
    csv_field f;
    const char *t;
    size_t tlen;
    double v = 0;
    int is_num;
    int missing;
    crm_status rc = crm__csv_scan_field(ps, ch, pp, line, j, ps->names[j], &f);
    if (rc != CRM_OK) {
        return rc;
    }
    t = f.s;
    tlen = f.len;
    trim(&t, &tlen);
    missing = f.len == 0 || (!f.quoted && crm__csv_is_na(ps, t, tlen));
    is_num = !missing && crm__parse_double(t, tlen, &v);
    if (is_num && isnan(v)) {
        missing = 1;
        is_num = 0;
    }
    /* Numbers are not counted: n_num = rows - missing - words. */
    if (missing) {
        c->n_missing++;
        *slot = c->switch_row < 0 ? (double)NAN : -1.0;
        return CRM_OK;
    }
    if (c->switch_row < 0) {
        if (is_num) {
            if (isinf(v) && c->inf_row < 0) {
                c->inf_row = row;
                c->inf_line = line0;
            }
            *slot = v;
            return CRM_OK;
        }
        c->n_word++;
        note_word(c, row, line0, t, tlen);
        if (ps->ov[j] == CRM_COL_NUMERIC) {
            *slot = (double)NAN;
            return CRM_OK;
        }
        c->switch_row = row;
        return intern(ps, ch, c, j, line0, &f, slot);
    }
    if (ps->ov[j] == CSV_OV_NONE && !is_num) {
        c->n_word++;
        note_word(c, row, line0, t, tlen);
    }
    return intern(ps, ch, c, j, line0, &f, slot);
}

static void fail_ragged(const csv_parser *ps, csv_chunk *ch, int64_t line, int32_t j)
{
    char msg[128];
    if (j >= ps->n_cols) {
        (void)snprintf(msg, sizeof msg, "row has more fields than the %d of the header",
                       ps->n_cols);
        (void)fail(ps, ch, CRM_EPARSE, line, ps->n_cols + 1, NULL, msg);
    } else {
        (void)snprintf(msg, sizeof msg, "row has %d fields, the header has %d", j, ps->n_cols);
        (void)fail(ps, ch, CRM_EPARSE, line, j + 1, ps->names[j], msg);
    }
}

void crm__csv_parse_chunk(const csv_parser *ps, csv_chunk *ch)
{
    const char *end = ps->base + ps->len;
    const char *p = ch->at != NULL ? ch->at : ch->begin;
    const char delim = ps->delim;
    const int32_t n_cols = ps->n_cols;
    int64_t line = ch->at != NULL ? ch->at_line : ch->line0;
    int64_t r = ch->n_rows; /* 0, or the rows parsed before the arrays grew */
    while (p < ch->end) {
        int64_t slot;
        int32_t j;
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
            p += (*p == '\r' && p + 1 < end) ? 2 : 1; /* blank line */
            line++;
            continue;
        }
        if (ps->max_rows > 0 && r == ps->max_rows) {
            break;
        }
        if (r == ch->bound) {
            if (ch->grow) {
                ch->full = 1; /* the caller grows the arrays and calls again */
                ch->at = p;
                ch->at_line = line;
                ch->n_rows = r;
                return;
            }
            ch->misaligned = 1;
            break;
        }
        slot = ch->row0 + r;
        ps->row_line[slot] = line;
        for (j = 0;; j++) {
            double v = 0;
            /* the hardware prefetcher stops at page boundaries of the mapped text */
            __builtin_prefetch(p + 1024);
            if (ch->cs[j].switch_row < 0 && end - p >= 32 &&
                (frac8_number(&p, delim, &v) || fast_number16(&p, delim, &v))) {
                ps->vals[j][slot] = v;
            } else if (ch->cs[j].switch_row < 0 && fast_number(&p, end, delim, &v)) {
                ps->vals[j][slot] = v;
                if (p < end && *p == '\r') {
                    p++;
                }
            } else if (slow_cell(ps, ch, &p, &line, j, r, &ps->vals[j][slot]) != CRM_OK) {
                ch->n_rows = r;
                return;
            }
            if (p < end && *p == delim) {
                if (j + 1 == n_cols) {
                    fail_ragged(ps, ch, line, n_cols);
                    ch->n_rows = r;
                    return;
                }
                p++;
                continue;
            }
            if (j + 1 < n_cols) {
                fail_ragged(ps, ch, line, j + 1);
                ch->n_rows = r;
                return;
            }
            if (p < end) {
                p++; /* the '\n' */
                line++;
            }
            break;
        }
        r++;
    }
    ch->n_rows = r;
    if (p > ch->end) {
        ch->misaligned = 1;
    }
}

crm_status
crm__csv_next_field(const csv_parser *ps, csv_chunk *ch, const char **pp, int32_t j, csv_field *f)
{
    const char *end = ps->base + ps->len;
    const char *p = *pp;
    int64_t line = 0;
    int inq = 0;
    crm_status rc;
    while (p < end && (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n')))) {
        p += (*p == '\r' && p + 1 < end) ? 2 : 1; /* blank lines, as the parser skips them */
    }
    for (int32_t k = 0; k < j; k++) {
        rc = crm__csv_scan_field(ps, ch, &p, &line, k, NULL, f);
        if (rc != CRM_OK) {
            return rc;
        }
        p++; /* the delimiter: the record was parsed once already */
    }
    rc = crm__csv_scan_field(ps, ch, &p, &line, j, NULL, f);
    /* Skip the rest of the record without unquoting (f may point into the scratch buffer);
     * quote parity is exact on input that parsed. */
    while (rc == CRM_OK && p < end) {
        char c = *p++;
        if (c == ps->quote) {
            inq ^= 1;
        } else if (c == '\n' && !inq) {
            break;
        }
    }
    *pp = p;
    return rc;
}
