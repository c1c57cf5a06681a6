/* numparse.h: the fast paths of decimal-to-double conversion, shared by the general number
 * parser (numparse.c) and the CSV reader's fused field scanner.
 *
 * Clinger, "How to read floating point numbers accurately", PLDI 1990: when the decimal
 * mantissa m fits in 53 bits and |e10| <= 22, both m and 10^|e10| are exact doubles, so one
 * IEEE multiplication or division (correctly rounded) gives the correctly rounded result.
 * Needs -ffp-contract=off and SSE2 arithmetic (no x87 excess precision), which the build
 * guarantees on x86-64.
 *
 * Anything else with a mantissa of at most 19 digits (numpy, pandas and R write doubles with
 * 17 significant digits, beyond 2^53) goes to the Eisel-Lemire conversion (numparse.c): the
 * mantissa times a 128-bit approximation of the power of ten, correctly rounded whenever it
 * answers; it declines (0) only for results near the subnormal range or overflow and for
 * products too close to call, which strtod then takes. */
#ifndef CRM_NUMPARSE_H
#define CRM_NUMPARSE_H
#include <stdint.h>
#include <string.h>

#include "pow5_table.h"

#define CRM__MANT_EXACT (UINT64_C(1) << 53)

/* (neg ? -1 : 1) * m * 10^e10 correctly rounded by Eisel-Lemire into *out: 1, or 0 when the
 * caller must take the slow path. m is the exact mantissa (no digit dropped). */
int crm__eisel_lemire(uint64_t m, int64_t e10, int neg, double *out);

/* The same, inlined into the number parsers' fast paths (the CSV reader converts 16 numbers
 * a row with it: a call and its spills were a sixth of the conversion's instructions). See
 * numparse.c for the method. */
__extension__ typedef unsigned __int128 crm__u128;

static inline int crm__eisel_lemire_inline(uint64_t w, int64_t q, int neg, double *out)
{
    const uint64_t mask = UINT64_MAX >> 55; /* the bits below the 55 that decide */
    const uint64_t *t;
    crm__u128 p;
    uint64_t hi, lo, mant, bits;
    int lz, upper, shift;
    int64_t e2;
    if (w == 0 || q < CRM__POW5_MIN_Q || q > CRM__POW5_MAX_Q) {
        return 0;
    }
    lz = __builtin_clzll(w);
    w <<= lz;
    t = crm__pow5_128[q - CRM__POW5_MIN_Q];
    p = (crm__u128)w * t[0];
    hi = (uint64_t)(p >> 64);
    lo = (uint64_t)p;
    if ((hi & mask) == mask) {
        /* the low word of the power can still carry into the bits that decide */
        uint64_t hi2 = (uint64_t)(((crm__u128)w * t[1]) >> 64);
        lo += hi2;
        hi += lo < hi2;
        if ((hi & mask) == mask && lo == UINT64_MAX) {
            return 0; /* too close to call */
        }
    }
    upper = (int)(hi >> 63);
    shift = upper + 64 - 52 - 3;
    mant = hi >> shift;
    /* floor(q * log2(10)) + 63 (217706 / 2^16 = log2(10), exact for |q| <= 1500); the shift
     * of a negative product is arithmetic (floor) on every compiler crmkit builds with */
    /* cppcheck-suppress shiftNegativeLHS */
    e2 = ((217706 * q) >> 16) + 63 + upper - lz + 1023;
    if (e2 <= 0) {
        return 0; /* subnormal or zero */
    }
    if (lo <= 1 && q >= -4 && q <= 23 && (mant & 3) == 1 && (mant << shift) == hi) {
        mant &= ~(uint64_t)1; /* exactly halfway: to even, down */
    }
    mant += mant & 1;
    mant >>= 1;
    if (mant >= (UINT64_C(2) << 52)) {
        mant = UINT64_C(1) << 52;
        e2++;
    }
    if (e2 >= 0x7ff) {
        return 0; /* overflow */
    }
    bits = (mant & ((UINT64_C(1) << 52) - 1)) | (uint64_t)e2 << 52 | (uint64_t)(neg != 0) << 63;
    memcpy(out, &bits, sizeof bits);
    return 1;
}

/* Set *out to (neg ? -1 : 1) * m * 10^e10 correctly rounded, m being exact; returns 1 then, 0
 * when the caller must take the slow path. */
static inline int crm__decimal_fast(uint64_t m, int64_t e10, int neg, double *out)
{
    static const double p10[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    double d;
    if (m == 0) {
        *out = neg ? -0.0 : 0.0;
        return 1;
    }
    if (m > CRM__MANT_EXACT) {
        return crm__eisel_lemire_inline(m, e10, neg, out);
    }
    if (e10 >= 0 && e10 <= 22) {
        d = (double)m * p10[e10];
    } else if (e10 < 0 && e10 >= -22) {
        d = (double)m / p10[-e10];
    } else if (e10 > 22 && e10 <= 22 + 15) {
        /* 123e30 = 123000000e22: move zeros into the mantissa while it stays exact. */
        uint64_t mm = m;
        for (int64_t k = e10 - 22; k > 0; k--) {
            if (mm > CRM__MANT_EXACT / 10) {
                return crm__eisel_lemire(m, e10, neg, out);
            }
            mm *= 10;
        }
        d = (double)mm * p10[22];
    } else {
        return crm__eisel_lemire(m, e10, neg, out);
    }
    *out = neg ? -d : d;
    return 1;
}

#endif
