/* numparse.c: locale-independent, correctly rounded decimal number parsing.
 *
 * Grammar: [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits], or [+-] inf, infinity,
 * nan in any case. Hex floats, spaces, thousands separators are not numbers. The fast paths
 * (numparse.h: Clinger's exact one, then Eisel-Lemire below) handle mantissas of at most 19
 * significant digits, which covers nearly every value in real tables. Anything else is
 * rewritten as
 * "[-]DIGITSeEXP" (no radix character, so no locale can change its meaning) and given to
 * strtod, which glibc rounds correctly. More than 780 significant digits are cut with a
 * sticky digit, which cannot change the rounding: a double needs at most 767. */
#include "numparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

#define MAX_SIG_DIGITS 780
#define EXP_CLAMP      1000000

/* ---- Eisel-Lemire --------------------------------------------------------------------------
 *
 * Lemire, "Number parsing at a gigabyte per second", Software: Practice and Experience 51(8),
 * 2021 (the algorithm Michael Eisel proposed; Go, Rust, LLVM and fast_float use it). The
 * mantissa w, shifted so that its top bit is set, times the 128-bit approximation of 5^q
 * (pow5_table.h; the power of two in 10^q goes to the exponent) gives the 54 leading bits of
 * the exact product unless the truncated bits could carry into them, which is recognised and
 * declined. The 54th bit rounds; an exact halfway product (possible only for -4 <= q <= 23)
 * rounds to even. Results that would be subnormal or infinite are declined: strtod gives
 * them. */

int crm__eisel_lemire(uint64_t w, int64_t q, int neg, double *out)
{
    return crm__eisel_lemire_inline(w, q, neg, out);
}

/* ---- the general parser --------------------------------------------------------------------- */

int crm__ascii_ieq(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != word[i]) {
            return 0;
        }
    }
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Slow path: all digits of s (already validated) into "[-]DIGITSeEXP" for strtod. */
static double slow_convert(const char *s, size_t len, int neg)
{
    char buf[MAX_SIG_DIGITS + 32];
    size_t n = 0;
    size_t i = 0;
    int64_t e10 = 0;
    int seen_dot = 0;
    int sticky = 0;
    if (neg) {
        buf[n++] = '-';
    }
    if (s[0] == '+' || s[0] == '-') {
        i = 1;
    }
    for (; i < len && (is_digit(s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.') {
            seen_dot = 1;
            continue;
        }
        if (seen_dot) {
            e10--;
        }
        if (n == (size_t)neg && s[i] == '0') {
            continue; /* leading zero */
        }
        if (n - (size_t)neg < MAX_SIG_DIGITS) {
            buf[n++] = s[i];
        } else {
            e10++; /* dropped digit */
            sticky |= s[i] != '0';
        }
    }
    if (n == (size_t)neg) {
        return neg ? -0.0 : 0.0;
    }
    if (sticky) {
        buf[n++] = '1';
        e10--;
    }
    if (i < len) { /* exponent, validated by the caller */
        int64_t ev = 0;
        int eneg = 0;
        i++;
        if (s[i] == '+' || s[i] == '-') {
            eneg = s[i] == '-';
            i++;
        }
        for (; i < len; i++) {
            if (ev < EXP_CLAMP) {
                ev = ev * 10 + (s[i] - '0');
            }
        }
        e10 += eneg ? -ev : ev;
    }
    if (e10 > 9 * (int64_t)EXP_CLAMP) {
        e10 = 9 * (int64_t)EXP_CLAMP;
    } else if (e10 < -9 * (int64_t)EXP_CLAMP) {
        e10 = -9 * (int64_t)EXP_CLAMP;
    }
    buf[n++] = 'e';
    {
        char tmp[24];
        int t = 0;
        uint64_t u;
        if (e10 < 0) {
            buf[n++] = '-';
            u = (uint64_t)(-e10);
        } else {
            u = (uint64_t)e10;
        }
        do {
            tmp[t++] = (char)('0' + u % 10);
            u /= 10;
        } while (u > 0);
        while (t > 0) {
            buf[n++] = tmp[--t];
        }
    }
    buf[n] = '\0';
    return strtod(buf, NULL);
}

int crm__parse_double(const char *s, size_t len, double *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t m = 0;
    int nd = 0;
    int64_t e10 = 0;
    int trunc = 0;
    size_t n_digits = 0;
    if (len == 0) {
        return 0;
    }
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i < len && !is_digit(s[i]) && s[i] != '.') {
        if (crm__ascii_ieq(s + i, len - i, "inf") || crm__ascii_ieq(s + i, len - i, "infinity")) {
            *out = neg ? -HUGE_VAL : HUGE_VAL;
            return 1;
        }
        if (crm__ascii_ieq(s + i, len - i, "nan")) {
            *out = neg ? -NAN : NAN;
            return 1;
        }
        return 0;
    }
    for (; i < len && is_digit(s[i]); i++) {
        int d = s[i] - '0';
        n_digits++;
        if (nd < 19) {
            m = m * 10 + (uint64_t)d;
            nd += (m != 0);
        } else {
            e10++;
            trunc |= d != 0;
        }
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++) {
            int d = s[i] - '0';
            n_digits++;
            if (nd < 19) {
                m = m * 10 + (uint64_t)d;
                nd += (m != 0);
                e10--;
            } else {
                trunc |= d != 0;
            }
        }
    }
    if (n_digits == 0) {
        return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int64_t ev = 0;
        int eneg = 0;
        size_t start;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        start = i;
        for (; i < len && is_digit(s[i]); i++) {
            if (ev < EXP_CLAMP) {
                ev = ev * 10 + (s[i] - '0');
            }
        }
        if (i == start) {
            return 0;
        }
        e10 += eneg ? -ev : ev;
    }
    if (i != len) {
        return 0;
    }
    if (!trunc && crm__decimal_fast(m, e10, neg, out)) {
        return 1;
    }
    *out = slow_convert(s, len, neg);
    return 1;
}
