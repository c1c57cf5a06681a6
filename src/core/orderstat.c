/* orderstat.c: exact order statistics (medians, quantile edges) of a large array in about one
 * pass.
 *
 * A fixed, evenly spaced sample of the values gives, for each wanted rank, an interval
 * [L, H] of values that almost surely holds it (the sample's order statistics a few standard
 * deviations of the sample rank below and above it). One pass over the values counts those
 * below each interval and copies the ones inside it; the wanted ranks are then selected among
 * the copies, a few per cent of the values. When a rank is not inside its interval (a
 * sample far from typical) the values are selected the plain way: the result is the same
 * exact value either way, only the time differs. No randomness, no threads: the same input
 * gives the same result. */
#include <math.h>
#include <string.h>

#include "core_internal.h"

/* Values of s[lo, hi) below piv to the front (branch-free Lomuto: the compare only moves the
 * boundary); returns the boundary. With strict 0, the values <= piv instead. */
static int64_t split(double *s, int64_t lo, int64_t hi, double piv, int strict)
{
    int64_t lt = lo;
    for (int64_t i = lo; i < hi; i++) {
        double v = s[i];
        s[i] = s[lt];
        s[lt] = v;
        lt += strict ? v < piv : v <= piv;
    }
    return lt;
}

static double med3(double a, double b, double c)
{
    return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
}

/* [lo, lt) < piv, [lt, gt) == piv, [gt, hi) > piv by swaps (branchy, but no input makes
 * it lose much): for the rounds after one that split badly. */
static void split3(double *s, int64_t lo, int64_t hi, double piv, int64_t *lt_out, int64_t *gt_out)
{
    int64_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
        if (s[i] < piv) {
            crm__swap_d(&s[lt++], &s[i++]);
        } else if (s[i] > piv) {
            crm__swap_d(&s[i], &s[--gt]);
        } else {
            i++;
        }
    }
    *lt_out = lt;
    *gt_out = gt;
}

void crm__select_ranks_bounded(double *s,
                               int64_t lo,
                               int64_t hi,
                               const int64_t *ranks,
                               int nr,
                               int bad_rounds)
{
    int careful = 0; /* the last round kept more than 7/8 of its range */
    while (nr > 0 && hi - lo > 16) {
        int64_t len = hi - lo;
        double piv;
        int64_t lt;
        int64_t gt;
        int nl = 0;
        int ng;
        if (len >= 128) { /* the median of three medians of three, spread over the range */
            int64_t e = len / 8;
            piv = med3(med3(s[lo], s[lo + e], s[lo + 2 * e]),
                       med3(s[lo + 3 * e], s[lo + len / 2], s[lo + 5 * e]),
                       med3(s[lo + 6 * e], s[lo + 7 * e], s[hi - 1]));
        } else {
            piv = med3(s[lo], s[lo + len / 2], s[hi - 1]);
        }
        if (careful) {
            split3(s, lo, hi, piv, &lt, &gt);
        } else {
            /* [lo, lt) < piv <= [lt, hi). When nothing is below the pivot (it is the
             * minimum: ties), [lo, gt) == piv < [gt, hi) instead. Either way each round
             * shrinks the range, since piv itself is in [lt, hi). */
            lt = split(s, lo, hi, piv, 1);
            gt = lt;
            if (lt == lo) {
                gt = split(s, lo, hi, piv, 0);
            }
        }
        careful = (lt - lo) * 8 > len * 7 || (hi - gt) * 8 > len * 7;
        if (careful && --bad_rounds < 0) {
            /* an input that defeats the pivots (crafted, or far from any usual order): sort
             * the range instead of rounds that could take it quadratic time */
            crm__sort_doubles(s + lo, hi - lo);
            return;
        }
        while (nl < nr && ranks[nl] < lt) {
            nl++;
        }
        ng = nl;
        while (ng < nr && ranks[ng] < gt) {
            ng++;
        }
        /* the left side by recursion, the right one by the loop */
        crm__select_ranks_bounded(s, lo, lt, ranks, nl, bad_rounds);
        ranks += ng;
        nr -= ng;
        lo = gt;
    }
    if (nr > 0) {
        for (int64_t i = lo + 1; i < hi; i++) {
            double v = s[i];
            int64_t j = i;
            while (j > lo && s[j - 1] > v) {
                s[j] = s[j - 1];
                j--;
            }
            s[j] = v;
        }
    }
}

void crm__select_ranks(double *s, int64_t lo, int64_t hi, const int64_t *ranks, int nr)
{
    crm__select_ranks_bounded(s, lo, hi, ranks, nr, 1 + crm__log2_floor(hi - lo));
}

CRM__CLONES
int64_t crm__count_present(const double *v, int64_t n)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        m += !isnan(v[i]);
    }
    return m;
}

/* The plain way: every present value into scratch, then selection. */
static void
plain(const double *a, int64_t n, const int64_t *ranks, int nr, double *scratch, double *out)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        scratch[m] = a[i];
        m += !isnan(a[i]);
    }
    crm__select_ranks(scratch, 0, m, ranks, nr);
    for (int r = 0; r < nr; r++) {
        out[r] = scratch[ranks[r]];
    }
}

/* plain, keeping every present value (in scratch[0, m)) as one interval for
 * crm__os_count_le. */
static void plain_kept(const double *a,
                       int64_t n,
                       int64_t m,
                       const int64_t *ranks,
                       int nr,
                       double *scratch,
                       double *out,
                       crm__os_kept *kept)
{
    plain(a, n, ranks, nr, scratch, out);
    if (kept != NULL) {
        kept->n_iv = 1;
        kept->lo[0] = -HUGE_VAL;
        kept->hi[0] = HUGE_VAL;
        kept->below[0] = 0;
        kept->c0[0] = 0;
        kept->c1[0] = m;
    }
}

void crm__order_stats(const double *a,
                      int64_t n,
                      int64_t m,
                      const int64_t *ranks,
                      int nr,
                      double *scratch,
                      double *out)
{
    crm__order_stats_kept(a, n, m, ranks, nr, scratch, out, NULL);
}

int64_t crm__os_count_le(const crm__os_kept *kept, const double *scratch, double e)
{
    for (int t = 0; t < kept->n_iv; t++) {
        if (kept->lo[t] <= e && e <= kept->hi[t]) {
            /* the values below the interval, and its copies <= e (those of other intervals
             * among them, when the copies were not grouped, lie outside [lo, hi]) */
            int64_t c = kept->below[t];
            double lo = kept->lo[t];
            for (int64_t i = kept->c0[t]; i < kept->c1[t]; i++) {
                c += scratch[i] >= lo && scratch[i] <= e;
            }
            return c;
        }
    }
    return -1;
}

enum {
    OS_MAX_IV = 64,   /* intervals at most (more ranks: the plain way) */
    OS_MIN_N = 16384, /* fewer values: the plain way */
    OS_CHUNK = 512
};

/* Compares only (no arithmetic on the values): every clone gives the same result. */
CRM__CLONES
void crm__order_stats_kept(const double *a,
                           int64_t n,
                           int64_t m,
                           const int64_t *ranks,
                           int nr,
                           double *scratch,
                           double *out,
                           crm__os_kept *kept)
{
    double lo_v[OS_MAX_IV], hi_v[OS_MAX_IV];
    int64_t pl[OS_MAX_IV], ph[OS_MAX_IV];
    int64_t pos[2 * OS_MAX_IV] = { 0 }; /* zeroed: gcc cannot see that the entries used are set */
    int iv_of[2 * OS_MAX_IV];
    int64_t hist[OS_MAX_IV]; /* values inside each interval */
    int64_t ge[OS_MAX_IV];
    int64_t gt[OS_MAX_IV];
    int64_t cranks[2 * OS_MAX_IV];
    double *sample;
    int64_t s_n = 0;
    int64_t s_cap;
    int64_t stride;
    int64_t d;
    int n_iv = 0;
    int64_t w = 0;
    if (kept != NULL) {
        kept->n_iv = 0;
    }
    if (nr <= 0 || m <= 0) {
        return;
    }
    if (n < OS_MIN_N || nr > 2 * OS_MAX_IV) {
        plain_kept(a, n, m, ranks, nr, scratch, out, kept);
        return;
    }
    /* the sample: about 2048 values per interval, at most n / 8, in the end of scratch */
    s_cap = 2048 * (int64_t)(nr < 4 ? 4 : nr < 16 ? nr : 16);
    s_cap = s_cap < n / 8 ? s_cap : n / 8;
    stride = n / s_cap;
    sample = scratch + (n - s_cap);
    for (int64_t i = 0; i < s_cap; i++) {
        double v = a[i * stride + stride / 2];
        sample[s_n] = v;
        s_n += !isnan(v);
    }
    if (s_n < 64) {
        plain_kept(a, n, m, ranks, nr, scratch, out, kept);
        return;
    }
    /* 3.5 standard deviations of a sample rank (at most sqrt(s_n) / 2) on each side */
    d = (int64_t)(1.75 * sqrt((double)s_n)) + 2;
    for (int r = 0; r < nr; r++) {
        double c = (double)ranks[r] * (double)s_n / (double)m;
        int64_t lo = (int64_t)c - d;
        int64_t hi = (int64_t)c + 1 + d;
        lo = lo < 0 ? 0 : lo;
        hi = hi > s_n - 1 ? s_n - 1 : hi;
        if (n_iv > 0 && lo <= ph[n_iv - 1]) {
            ph[n_iv - 1] = hi > ph[n_iv - 1] ? hi : ph[n_iv - 1];
        } else if (n_iv == OS_MAX_IV) {
            plain_kept(a, n, m, ranks, nr, scratch, out, kept);
            return;
        } else {
            pl[n_iv] = lo;
            ph[n_iv] = hi;
            n_iv++;
        }
        iv_of[r] = n_iv - 1;
    }
    for (int t = 0; t < n_iv; t++) {
        pos[2 * t] = pl[t];
        pos[2 * t + 1] = ph[t];
    }
    crm__select_ranks(sample, 0, s_n, pos, 2 * n_iv);
    for (int t = 0; t < n_iv; t++) {
        /* the first and last intervals are open at the ends: nothing is outside them there */
        lo_v[t] = pl[t] == 0 ? -HUGE_VAL : sample[pl[t]];
        hi_v[t] = ph[t] == s_n - 1 ? HUGE_VAL : sample[ph[t]];
    }
    /* Intervals whose values meet are merged, so each one's values lie strictly between its
     * neighbours': a value is in interval t exactly when it passes 2t + 1 of the compares
     * below, and the counts of values at or above each end give every interval's place. */
    {
        int nm = 0;
        int map[OS_MAX_IV] = { 0 };
        for (int t = 0; t < n_iv; t++) {
            if (nm > 0 && lo_v[t] <= hi_v[nm - 1]) {
                hi_v[nm - 1] = hi_v[t] > hi_v[nm - 1] ? hi_v[t] : hi_v[nm - 1];
            } else {
                lo_v[nm] = lo_v[t];
                hi_v[nm] = hi_v[t];
                nm++;
            }
            map[t] = nm - 1;
        }
        for (int r = 0; r < nr; r++) {
            iv_of[r] = map[iv_of[r]];
        }
        n_iv = nm;
    }
    /* One pass: key = 2t + 1 inside interval t, 2t in the gap below it (NaN: key 0, and no
     * compare counts it); ge[t] counts the values >= lo_v[t], gt[t] those > hi_v[t]. The
     * sample is not needed any more: the copies go to the front of scratch. */
    memset(ge, 0, sizeof ge);
    memset(gt, 0, sizeof gt);
    for (int64_t c0 = 0; c0 < n; c0 += OS_CHUNK) {
        int64_t len = n - c0 < OS_CHUNK ? n - c0 : OS_CHUNK;
        const double *x = a + c0;
        int64_t key[OS_CHUNK]; /* as wide as a double: the compares vectorise */
        for (int64_t i = 0; i < len; i++) {
            key[i] = 0;
        }
        for (int t = 0; t < n_iv; t++) {
            double lv = lo_v[t], hv = hi_v[t];
            int64_t cl = 0;
            int64_t ch = 0;
            for (int64_t i = 0; i < len; i++) {
                int64_t l = x[i] >= lv;
                int64_t h = x[i] > hv;
                key[i] += l + h;
                cl += l;
                ch += h;
            }
            ge[t] += cl;
            gt[t] += ch;
        }
        for (int64_t i = 0; i < len; i++) {
            scratch[w] = x[i];
            w += key[i] & 1;
        }
    }
    for (int t = 0; t < n_iv; t++) {
        hist[t] = ge[t] - gt[t]; /* inside interval t */
    }
    {
        int64_t copied = 0; /* copies of the intervals below interval t */
        for (int r = 0, t = 0; r < nr; r++) {
            for (; t < iv_of[r]; t++) {
                copied += hist[t];
            }
            int64_t below = m - ge[t]; /* present values below interval t */
            if (ranks[r] < below || ranks[r] >= below + hist[t]) {
                plain_kept(a, n, m, ranks, nr, scratch, out, kept);
                return;
            }
            cranks[r] = ranks[r] - below + copied;
        }
    }
    if (n_iv > 1 && 2 * w <= n) {
        /* The copies grouped by interval after them (a counting sort), so that each group is
         * selected alone: in sorted order the groups follow one another, so a rank keeps its
         * place. */
        int64_t off[OS_MAX_IV + 1];
        double *g = scratch + w;
        off[0] = 0;
        for (int t = 0; t < n_iv; t++) {
            off[t + 1] = off[t] + hist[t];
        }
        for (int64_t c0 = 0; c0 < w; c0 += OS_CHUNK) {
            int64_t len = w - c0 < OS_CHUNK ? w - c0 : OS_CHUNK;
            const double *x = scratch + c0;
            int64_t t[OS_CHUNK]; /* the interval: how many upper ends are below (compares) */
            for (int64_t i = 0; i < len; i++) {
                t[i] = 0;
            }
            for (int u = 0; u + 1 < n_iv; u++) {
                double hv = hi_v[u];
                for (int64_t i = 0; i < len; i++) {
                    t[i] += x[i] > hv;
                }
            }
            for (int64_t i = 0; i < len; i++) {
                g[off[t[i]]++] = x[i];
            }
        }
        for (int r = 0, t = 0; t < n_iv; t++) {
            int64_t end = off[t]; /* the group's end now; its start is the previous end */
            int64_t start = end - hist[t];
            int r0 = r;
            while (r < nr && iv_of[r] == t) {
                cranks[r] += w;
                r++;
            }
            crm__select_ranks(scratch, w + start, w + end, cranks + r0, r - r0);
        }
    } else {
        crm__select_ranks(scratch, 0, w, cranks, nr);
    }
    if (kept != NULL) { /* each interval's copies: its group, or every copy (filtered) */
        int grouped = n_iv > 1 && 2 * w <= n;
        int64_t at = w;
        kept->n_iv = n_iv;
        for (int t = 0; t < n_iv; t++) {
            kept->lo[t] = lo_v[t];
            kept->hi[t] = hi_v[t];
            kept->below[t] = m - ge[t];
            kept->c0[t] = grouped ? at : 0;
            kept->c1[t] = grouped ? at + hist[t] : w;
            at += hist[t];
        }
    }
    for (int r = 0; r < nr; r++) {
        out[r] = scratch[cranks[r]];
    }
}
