/* profile.c: segment profiles (size, share, mean/median per original feature, difference from
 * the population, modal level of categoricals) and segment names (tiers or a list).
 *
 * A feature costs two passes over its column (sums, then squared deviations), a selection per
 * segment for its median among the few per cent of its values that fall in an interval taken
 * from a row sample, and one selection for the population's median (crm__order_stats: about
 * one pass): O(n_rows) per feature. Features are independent and run in parallel (numeric ones
 * up to eight in one loop, one to a vector lane on AVX-512), each writing its own slots, so
 * the result is the same with any number of threads.
 * Medians interpolate between the two middle values, as numpy.median does. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/dist.h>
#include <crmkit/profile.h>

#include "core/core_internal.h"
#include "core/first_error.h"
#include "profile_internal.h"

crm_profile_params crm_profile_params_default(void)
{
    crm_profile_params p;
    memset(&p, 0, sizeof p);
    return p;
}

void crm_profile_free(crm_profile *pr)
{
    if (pr == NULL) {
        return;
    }
    for (int32_t f = 0; f < pr->n_features && pr->features != NULL; f++) {
        crm_free(pr->features[f]);
    }
    for (int32_t s = 0; s < pr->k && pr->names != NULL; s++) {
        crm_free(pr->names[s]);
    }
    for (int64_t i = 0; i < (int64_t)pr->k * pr->n_features && pr->modes != NULL; i++) {
        crm_free(pr->modes[i]);
    }
    crm_free(pr->features);
    crm_free(pr->is_cat);
    crm_free(pr->tier_by);
    crm_free(pr->names);
    crm_free(pr->order);
    crm_free(pr->sizes);
    crm_free(pr->mean);
    crm_free(pr->median);
    crm_free(pr->pop_mean);
    crm_free(pr->pop_median);
    crm_free(pr->pop_sd);
    crm_free(pr->modes);
    crm_free(pr->mode_share);
    crm_free(pr);
}

crm_status crm__profile_alloc(int32_t k, int32_t n_features, crm_profile **out, crm_error *err)
{
    crm_profile *pr = crm_calloc(1, sizeof *pr);
    size_t kf = (size_t)k * (size_t)n_features;
    size_t nf = n_features > 0 ? (size_t)n_features : 1;
    *out = NULL;
    if (pr == NULL) {
        return crm__error_nomem(err);
    }
    pr->k = k;
    pr->n_features = n_features;
    pr->features = crm_calloc(nf, sizeof *pr->features);
    pr->is_cat = crm_calloc(nf, sizeof *pr->is_cat);
    pr->names = crm_calloc((size_t)k, sizeof *pr->names);
    pr->order = crm_calloc((size_t)k, sizeof *pr->order);
    pr->sizes = crm_calloc((size_t)k, sizeof *pr->sizes);
    pr->mean = crm_calloc(kf ? kf : 1, sizeof *pr->mean);
    pr->median = crm_calloc(kf ? kf : 1, sizeof *pr->median);
    pr->pop_mean = crm_calloc(nf, sizeof *pr->pop_mean);
    pr->pop_median = crm_calloc(nf, sizeof *pr->pop_median);
    pr->pop_sd = crm_calloc(nf, sizeof *pr->pop_sd);
    pr->modes = crm_calloc(kf ? kf : 1, sizeof *pr->modes);
    pr->mode_share = crm_calloc(kf ? kf : 1, sizeof *pr->mode_share);
    if (!pr->features || !pr->is_cat || !pr->names || !pr->order || !pr->sizes || !pr->mean ||
        !pr->median || !pr->pop_mean || !pr->pop_median || !pr->pop_sd || !pr->modes ||
        !pr->mode_share) {
        crm_profile_free(pr);
        return crm__error_nomem(err);
    }
    *out = pr;
    return CRM_OK;
}

/* ---- statistics ---- */

/* Median of the m present values of a[0, n) (a only read); NaN for m = 0. */
static double median(const double *a, int64_t n, int64_t m, double *scratch)
{
    int64_t ranks[2];
    double v[2];
    if (m == 0) {
        return (double)NAN;
    }
    ranks[0] = (m - 1) / 2;
    ranks[1] = m / 2;
    crm__order_stats(a, n, m, ranks, m % 2 == 1 ? 1 : 2, scratch, v);
    return m % 2 == 1 ? v[0] : 0.5 * v[0] + 0.5 * v[1];
}

/* Segment s owns work[start[s] .. start[s + 1]) in the scatter buffer; fill[s] is its next
 * free slot. Scattering in row order keeps each segment's values in row order, so the sums
 * are the same as summing the segment's rows one by one, but the column is read in order. */
typedef struct grouping {
    const int32_t *labels;
    int64_t *start; /* k + 1 */
} grouping;

static crm_status
group_rows(const int32_t *labels, int64_t n, int32_t k, grouping *g, crm_error *err)
{
    g->labels = labels;
    g->start = crm_calloc((size_t)k + 1, sizeof *g->start);
    if (g->start == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        g->start[labels[i] + 1]++;
    }
    for (int32_t s = 0; s < k; s++) {
        g->start[s + 1] += g->start[s];
    }
    return CRM_OK;
}

/* Where a segment's median lies, for one column: values of segment s in [lo, hi] are copied
 * (the others only counted: cnt present values, below of them under lo), and the median is
 * selected among the copies. */
typedef struct seg_iv {
    double lo, hi;
    int64_t below, cnt;
} seg_iv;

/* Each segment's interval from an evenly spaced sample of the rows: the segment's sample
 * values 3.5 standard deviations of the sample rank below and above their middle (as
 * crm__order_stats does for a whole column), so that the median is almost surely inside and
 * a few per cent of the values are copied. A segment with fewer than 64 sample values takes
 * every value. scratch has room for n / 8 values. */
static void median_intervals(const double *v,
                             int64_t n,
                             const grouping *g,
                             int32_t k,
                             double *scratch,
                             seg_iv *iv)
{
    int64_t s_cap = 2048 * (int64_t)k < n / 8 ? 2048 * (int64_t)k : n / 8;
    int64_t stride = s_cap > 0 ? n / s_cap : 1;
    int64_t at = 0;
    int64_t base = 0;
    for (int32_t s = 0; s < k; s++) {
        iv[s].lo = -HUGE_VAL;
        iv[s].hi = HUGE_VAL;
        iv[s].below = 0; /* the segment's sample values, then where they go */
        iv[s].cnt = 0;
    }
    for (int64_t j = 0; j < s_cap; j++) {
        int64_t i = j * stride + stride / 2;
        iv[g->labels[i]].below += !isnan(v[i]);
    }
    for (int32_t s = 0; s < k; s++) {
        int64_t c = iv[s].below;
        iv[s].below = at;
        at += c;
    }
    for (int64_t j = 0; j < s_cap; j++) {
        int64_t i = j * stride + stride / 2;
        if (!isnan(v[i])) {
            scratch[iv[g->labels[i]].below++] = v[i];
        }
    }
    for (int32_t s = 0; s < k; s++) {
        int64_t end = iv[s].below;
        int64_t sn = end - base;
        iv[s].below = 0;
        if (sn >= 64) {
            int64_t d = (int64_t)(1.75 * sqrt((double)sn)) + 2;
            int64_t mid = (sn - 1) / 2;
            int64_t pos[2];
            pos[0] = mid - d > 0 ? mid - d : 0;
            pos[1] = mid + 1 + d < sn - 1 ? mid + 1 + d : sn - 1;
            pos[0] += base;
            pos[1] += base;
            crm__select_ranks(scratch, base, end, pos, 2);
            iv[s].lo = pos[0] == base ? -HUGE_VAL : scratch[pos[0]];
            iv[s].hi = pos[1] == end - 1 ? HUGE_VAL : scratch[pos[1]];
        }
        base = end;
    }
}

/* Median of segment s of column v from its ins copies at work[start of s] (see seg_iv); when the
 * median is not among them (a sample far from typical) the segment's values are gathered from the
 * column into scratch and selected there: exact either way. */
static double seg_median(const double *v,
                         int64_t n,
                         const grouping *g,
                         int32_t s,
                         double *work,
                         int64_t ins,
                         const seg_iv *e,
                         double *scratch)
{
    int64_t len = e->cnt;
    int64_t start = g->start[s];
    int64_t r[2];
    double *a = work;
    if (len == 0) {
        return (double)NAN;
    }
    r[0] = (len - 1) / 2;
    r[1] = len / 2;
    if (r[0] >= e->below && r[1] < e->below + ins) {
        r[0] += start - e->below;
        r[1] += start - e->below;
        crm__select_ranks(work, start, start + ins, r, r[0] == r[1] ? 1 : 2);
    } else {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) {
            scratch[c] = v[i];
            c += g->labels[i] == s && !isnan(v[i]);
        }
        crm__select_ranks(scratch, 0, c, r, r[0] == r[1] ? 1 : 2);
        a = scratch;
    }
    return len % 2 == 1 ? a[r[0]] : 0.5 * a[r[0]] + 0.5 * a[r[1]];
}

/* A numeric feature's results from its passes (population sum, squared deviations and
 * count; each segment's sum, copies and counts). */
static void finish_numeric(crm_profile *pr,
                           int32_t f,
                           const double *v,
                           int64_t n,
                           const grouping *g,
                           double *work,
                           double *scratch,
                           const int64_t *fill,
                           const crm__ksum *seg,
                           const seg_iv *iv,
                           double mean,
                           double ss,
                           int64_t m)
{
    pr->pop_mean[f] = mean;
    pr->pop_sd[f] = m > 0 ? sqrt(ss / (double)m) : (double)NAN;
    for (int32_t s = 0; s < pr->k; s++) {
        int64_t len = iv[s].cnt;
        pr->mean[(int64_t)s * pr->n_features + f] =
            len > 0 ? seg[s].sum / (double)len : (double)NAN;
        pr->median[(int64_t)s * pr->n_features + f] =
            seg_median(v, n, g, s, work, fill[s] - g->start[s], &iv[s], scratch);
    }
    pr->pop_median[f] = median(v, n, m, scratch);
}

/* Each feature's segment intervals, copy positions and sums before the passes. */
static void start_numeric(int nv,
                          const double *const *v,
                          int64_t n,
                          const grouping *g,
                          int32_t k,
                          double *scratch,
                          int64_t *fill,
                          crm__ksum *seg,
                          seg_iv *iv)
{
    for (int q = 0; q < nv; q++) {
        median_intervals(v[q], n, g, k, scratch, iv + q * k);
        for (int32_t s = 0; s < k; s++) {
            fill[q * k + s] = g->start[s];
            seg[q * k + s].sum = 0.0;
            seg[q * k + s].c = 0.0;
        }
    }
}

/* Numeric features fs[0, nv) (nv in 1..4, a constant where it is inlined), columns v: each
 * has work[q] with room for n values, fill, seg and iv for k (slots q * k + s); scratch has
 * room for n. Each segment's sum is kept as its values go by, in row order: the same
 * additions as summing the segment's values one by one, with the segments' chains
 * interleaved. The features go through the passes side by side: every compensated sum is the
 * same chain of additions as for one feature alone, but the chains, each four dependent
 * additions per value, overlap in the core instead of waiting on each other. */
typedef struct numeric_ctx {
    crm_profile *pr;
    int64_t n;
    const grouping *g;
    double *scratch;
    int64_t *fill;
    crm__ksum *seg;
    seg_iv *iv;
    double *lane;    /* 32 k sums and bounds (profile_numeric_8) */
    int64_t *lane_n; /* 24 k counts (profile_numeric_8) */
} numeric_ctx;

static inline __attribute__((always_inline)) void profile_numeric_n(const numeric_ctx *c,
                                                                    int nv,
                                                                    const int32_t *fs,
                                                                    const double *const *v,
                                                                    double *const *work)
{
    crm_profile *pr = c->pr;
    int64_t n = c->n;
    const grouping *g = c->g;
    double *scratch = c->scratch;
    int64_t *fill = c->fill;
    crm__ksum *seg = c->seg;
    seg_iv *iv = c->iv;
    const int32_t k = pr->k;
    crm__ksum sum[4];
    crm__ksum ss[4];
    int64_t m[4];
    double mean[4];
    start_numeric(nv, v, n, g, k, scratch, fill, seg, iv);
    for (int q = 0; q < nv; q++) {
        sum[q].sum = sum[q].c = ss[q].sum = ss[q].c = 0.0;
        m[q] = 0;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t l = g->labels[i];
        for (int q = 0; q < nv; q++) {
            double x = v[q][i];
            if (!isnan(x)) {
                seg_iv *e = &iv[q * k + l];
                int64_t *at = &fill[q * k + l];
                work[q][*at] = x; /* kept only inside the segment's interval */
                *at += (x >= e->lo) & (x <= e->hi);
                e->below += x < e->lo;
                e->cnt++;
                crm__ksum_add(&sum[q], x);
                crm__ksum_add(&seg[q * k + l], x);
                m[q]++;
            }
        }
    }
    for (int q = 0; q < nv; q++) {
        mean[q] = m[q] > 0 ? sum[q].sum / (double)m[q] : (double)NAN;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int q = 0; q < nv; q++) {
            double x = v[q][i];
            if (!isnan(x)) {
                double d = x - mean[q];
                crm__ksum_add(&ss[q], d * d);
            }
        }
    }
    for (int q = 0; q < nv; q++) {
        finish_numeric(pr, fs[q], v[q], n, g, work[q], scratch, fill + q * k, seg + q * k,
                       iv + q * k, mean[q], ss[q].sum, m[q]);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PR_HAVE_AVX512 1
#define PR_AVX512      __attribute__((target("avx512f")))

/* profile_numeric_n for up to 8 features on AVX-512, one feature a lane: the same additions,
 * subtractions and multiplications in the same order per lane (no fused multiply-add: the
 * build contracts nothing), so the same bits; a missing value leaves its lane as it was. The
 * values of a row come by a gather from the columns, the copies go out by a scatter. lane
 * (32 k values) and lane_n (24 k counts) hold each segment's state with the features side
 * by side. */
PR_AVX512 static void profile_numeric_8(const numeric_ctx *c,
                                        int nv,
                                        const int32_t *fs,
                                        const double *const *v,
                                        double *const *work)
{
    const int32_t k = c->pr->k;
    const int64_t n = c->n;
    double *lane = c->lane;
    int64_t *fill = c->fill;
    seg_iv *iv = c->iv;
    const __mmask8 act = (__mmask8)((1u << nv) - 1u);
    const __m512i one = _mm512_set1_epi64(1);
    double *ls = lane;
    double *lc = lane + 8 * k;
    double *llo = lane + 16 * k;
    double *lhi = lane + 24 * k;
    int64_t *lfill = c->lane_n;
    int64_t *lbelow = c->lane_n + 8 * k;
    int64_t *lcnt = c->lane_n + 16 * k;
    int64_t colb[8];
    int64_t workb[8];
    double out[3][8];
    int64_t m[8];
    __m512d psum = _mm512_setzero_pd();
    __m512d pc = _mm512_setzero_pd();
    __m512d ssum = _mm512_setzero_pd();
    __m512d ssc = _mm512_setzero_pd();
    __m512i mc = _mm512_setzero_si512();
    start_numeric(nv, v, n, c->g, k, c->scratch, fill, c->seg, iv);
    for (int q = 0; q < 8; q++) {
        int qq = q < nv ? q : 0; /* idle lanes read feature 0 and keep nothing */
        colb[q] = (int64_t)(uintptr_t)v[qq];
        workb[q] = (int64_t)(uintptr_t)work[qq];
        for (int32_t s = 0; s < k; s++) {
            ls[s * 8 + q] = 0.0;
            lc[s * 8 + q] = 0.0;
            llo[s * 8 + q] = iv[qq * k + s].lo;
            lhi[s * 8 + q] = iv[qq * k + s].hi;
            lfill[s * 8 + q] = fill[qq * k + s];
            lbelow[s * 8 + q] = 0;
            lcnt[s * 8 + q] = 0;
        }
    }
    const __m512i cb = _mm512_loadu_si512(colb);
    const __m512i wb = _mm512_loadu_si512(workb);
    for (int64_t i = 0; i < n; i++) {
        int64_t o = (int64_t)c->g->labels[i] * 8;
        __m512i at = _mm512_add_epi64(cb, _mm512_set1_epi64(i * 8));
        __m512d x = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), act, at, NULL, 1);
        __mmask8 ok = _mm512_mask_cmp_pd_mask(act, x, x, _CMP_ORD_Q);
        __m512d y = _mm512_sub_pd(x, pc);
        __m512d t = _mm512_add_pd(psum, y);
        pc = _mm512_mask_mov_pd(pc, ok, _mm512_sub_pd(_mm512_sub_pd(t, psum), y));
        psum = _mm512_mask_mov_pd(psum, ok, t);
        mc = _mm512_mask_add_epi64(mc, ok, mc, one);
        __m512d s0 = _mm512_loadu_pd(ls + o);
        __m512d c0 = _mm512_loadu_pd(lc + o);
        y = _mm512_sub_pd(x, c0);
        t = _mm512_add_pd(s0, y);
        _mm512_storeu_pd(lc + o,
                         _mm512_mask_mov_pd(c0, ok, _mm512_sub_pd(_mm512_sub_pd(t, s0), y)));
        _mm512_storeu_pd(ls + o, _mm512_mask_mov_pd(s0, ok, t));
        __m512i fv = _mm512_loadu_si512(lfill + o);
        __m512d lo = _mm512_loadu_pd(llo + o);
        __m512d hi = _mm512_loadu_pd(lhi + o);
        /* every present value to its segment's next slot, which moves on only inside */
        _mm512_mask_i64scatter_pd(NULL, ok, _mm512_add_epi64(wb, _mm512_slli_epi64(fv, 3)), x, 1);
        __mmask8 in = _mm512_mask_cmp_pd_mask(ok, x, lo, _CMP_GE_OQ) &
                      _mm512_mask_cmp_pd_mask(ok, x, hi, _CMP_LE_OQ);
        __mmask8 bl = _mm512_mask_cmp_pd_mask(ok, x, lo, _CMP_LT_OQ);
        __m512i bv = _mm512_loadu_si512(lbelow + o);
        __m512i cv = _mm512_loadu_si512(lcnt + o);
        _mm512_storeu_si512(lfill + o, _mm512_mask_add_epi64(fv, in, fv, one));
        _mm512_storeu_si512(lbelow + o, _mm512_mask_add_epi64(bv, bl, bv, one));
        _mm512_storeu_si512(lcnt + o, _mm512_mask_add_epi64(cv, ok, cv, one));
    }
    _mm512_storeu_pd(out[0], psum);
    _mm512_storeu_si512(m, mc);
    for (int q = 0; q < 8; q++) {
        out[1][q] = m[q] > 0 ? out[0][q] / (double)m[q] : (double)NAN;
    }
    const __m512d mv = _mm512_loadu_pd(out[1]);
    for (int64_t i = 0; i < n; i++) {
        __m512i at = _mm512_add_epi64(cb, _mm512_set1_epi64(i * 8));
        __m512d x = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), act, at, NULL, 1);
        __mmask8 ok = _mm512_mask_cmp_pd_mask(act, x, x, _CMP_ORD_Q);
        __m512d d = _mm512_sub_pd(x, mv);
        __m512d y = _mm512_sub_pd(_mm512_mul_pd(d, d), ssc);
        __m512d t = _mm512_add_pd(ssum, y);
        ssc = _mm512_mask_mov_pd(ssc, ok, _mm512_sub_pd(_mm512_sub_pd(t, ssum), y));
        ssum = _mm512_mask_mov_pd(ssum, ok, t);
    }
    _mm512_storeu_pd(out[2], ssum);
    for (int q = 0; q < nv; q++) {
        for (int32_t s = 0; s < k; s++) {
            fill[q * k + s] = lfill[s * 8 + q];
            c->seg[q * k + s].sum = ls[s * 8 + q];
            iv[q * k + s].below = lbelow[s * 8 + q];
            iv[q * k + s].cnt = lcnt[s * 8 + q];
        }
        finish_numeric(c->pr, fs[q], v[q], n, c->g, work[q], c->scratch, fill + q * k,
                       c->seg + q * k, iv + q * k, out[1][q], out[2][q], m[q]);
    }
}
#else
#define PR_HAVE_AVX512 0
#endif

/* Up to PR_NV numeric features: eight lanes at a time on AVX-512, else four or fewer at a
 * time (the same results). */
enum {
    PR_NV = 8
};
static void profile_numeric(const numeric_ctx *c,
                            int nv,
                            const int32_t *fs,
                            const double *const *v,
                            double *const *work)
{
#if PR_HAVE_AVX512
    if (nv > 1 && __builtin_cpu_supports("avx512f")) {
        profile_numeric_8(c, nv, fs, v, work);
        return;
    }
#endif
    for (int q0 = 0; q0 < nv; q0 += 4) {
        int m = nv - q0 < 4 ? nv - q0 : 4; /* a constant count: the loops unrolled */
        if (m == 4) {
            profile_numeric_n(c, 4, fs + q0, v + q0, work + q0);
        } else if (m == 3) {
            profile_numeric_n(c, 3, fs + q0, v + q0, work + q0);
        } else if (m == 2) {
            profile_numeric_n(c, 2, fs + q0, v + q0, work + q0);
        } else {
            profile_numeric_n(c, 1, fs + q0, v + q0, work + q0);
        }
    }
}

static crm_status profile_categorical(crm_profile *pr,
                                      int32_t f,
                                      const crm_table *t,
                                      int32_t col,
                                      const grouping *g,
                                      crm_error *err)
{
    const int32_t *codes = crm_table_codes(t, col);
    int32_t n_levels = crm_table_n_levels(t, col);
    int64_t n = crm_table_n_rows(t);
    size_t nl = n_levels > 0 ? (size_t)n_levels : 1;
    int64_t *count = crm_calloc((size_t)pr->k * nl, sizeof *count);
    if (count == NULL) {
        return crm__error_nomem(err);
    }
    pr->is_cat[f] = 1;
    pr->pop_mean[f] = pr->pop_median[f] = pr->pop_sd[f] = (double)NAN;
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] >= 0 && codes[i] < n_levels) {
            count[(size_t)g->labels[i] * nl + (size_t)codes[i]]++;
        }
    }
    for (int32_t s = 0; s < pr->k; s++) {
        const int64_t *c = count + (size_t)s * nl;
        int64_t idx = (int64_t)s * pr->n_features + f;
        int64_t present = 0;
        int32_t best = -1;
        for (int32_t l = 0; l < n_levels; l++) {
            present += c[l];
            best = (c[l] > 0 && (best < 0 || c[l] > c[best])) ? l : best;
        }
        pr->mean[idx] = pr->median[idx] = (double)NAN;
        pr->mode_share[idx] = best >= 0 ? (double)c[best] / (double)present : (double)NAN;
        if (best >= 0) {
            pr->modes[idx] = crm_strdup(crm_table_level(t, col, best));
            if (pr->modes[idx] == NULL) {
                crm_free(count);
                return crm__error_nomem(err);
            }
        }
    }
    crm_free(count);
    return CRM_OK;
}

/* ---- names ---- */

static const char *const metals[4] = { "Platinum", "Gold", "Silver", "Bronze" };

/* Name of rank r (0 = best) among k tiered segments into buf. */
static void tier_name(int32_t r, int32_t k, char *buf, size_t size)
{
    int32_t tier;
    int32_t first = -1;
    int32_t count = 0;
    if (k <= 4) {
        (void)snprintf(buf, size, "%s", metals[r]);
        return;
    }
    tier = (int32_t)((int64_t)r * 4 / k);
    for (int32_t q = 0; q < k; q++) {
        if ((int32_t)((int64_t)q * 4 / k) == tier) {
            first = first < 0 ? q : first;
            count++;
        }
    }
    if (count == 1) {
        (void)snprintf(buf, size, "%s", metals[tier]);
    } else {
        (void)snprintf(buf, size, "%s %d", metals[tier], (int)(r - first + 1));
    }
}

static crm_status
rank_by_tier(crm_profile *pr, const crm_table *t, const grouping *g, crm_error *err)
{
    int32_t col = crm_table_find_col(t, pr->tier_by);
    const double *v;
    double *key;
    if (col < 0) {
        char near[160];
        crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0,
                      "no column \"%s\" to rank segments by%s", pr->tier_by,
                      crm_table_did_you_mean(t, pr->tier_by, near, (int32_t)sizeof near));
        crm__error_field(err, pr->tier_by);
        return CRM_ENOTFOUND;
    }
    v = crm_table_numeric(t, col);
    if (v == NULL) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "segments are ranked by the mean of a numeric column; this one is text");
        crm__error_field(err, pr->tier_by);
        return CRM_EDATA;
    }
    key = crm_calloc((size_t)pr->k, sizeof *key);
    if (key == NULL) {
        return crm__error_nomem(err);
    }
    {
        crm__ksum *sum = crm_calloc((size_t)pr->k, sizeof *sum);
        int64_t *m = crm_calloc((size_t)pr->k, sizeof *m);
        int64_t n = crm_table_n_rows(t);
        if (sum == NULL || m == NULL) {
            crm_free(sum);
            crm_free(m);
            crm_free(key);
            return crm__error_nomem(err);
        }
        for (int64_t i = 0; i < n; i++) {
            if (!isnan(v[i])) {
                crm__ksum_add(&sum[g->labels[i]], v[i]);
                m[g->labels[i]]++;
            }
        }
        for (int32_t s = 0; s < pr->k; s++) {
            key[s] = m[s] > 0 ? sum[s].sum / (double)m[s] : -HUGE_VAL;
        }
        crm_free(sum);
        crm_free(m);
    }
    /* Insertion sort of the (few) segments: mean descending, label ascending on ties. */
    for (int32_t s = 0; s < pr->k; s++) {
        int32_t j = s;
        while (j > 0 && key[pr->order[j - 1]] < key[s]) {
            pr->order[j] = pr->order[j - 1];
            j--;
        }
        pr->order[j] = s;
    }
    crm_free(key);
    return CRM_OK;
}

crm_status
crm_profile_set_names(crm_profile *pr, const char *const *names, int32_t n, crm_error *err)
{
    char **copy;
    if (n != pr->k) {
        return crm__error_set(err, CRM_EINVAL, "%d segment names given for %d segments", (int)n,
                              (int)pr->k);
    }
    for (int32_t s = 0; s < n; s++) {
        if (names[s] == NULL || names[s][0] == '\0') {
            return crm__error_set(err, CRM_EINVAL, "segment name %d is empty", (int)s + 1);
        }
        for (int32_t q = 0; q < s; q++) {
            if (strcmp(names[q], names[s]) == 0) {
                return crm__error_set(err, CRM_EINVAL, "segment name \"%s\" is given twice",
                                      names[s]);
            }
        }
    }
    copy = crm_calloc((size_t)n, sizeof *copy);
    if (copy == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t s = 0; s < n; s++) {
        copy[s] = crm_strdup(names[s]);
        if (copy[s] == NULL) {
            for (int32_t q = 0; q < s; q++) {
                crm_free(copy[q]);
            }
            crm_free(copy);
            return crm__error_nomem(err);
        }
    }
    for (int32_t s = 0; s < pr->k; s++) {
        crm_free(pr->names[s]);
        pr->names[s] = copy[s];
    }
    crm_free(copy);
    return CRM_OK;
}

static crm_status default_names(crm_profile *pr, crm_error *err)
{
    char buf[64];
    for (int32_t r = 0; r < pr->k; r++) {
        int32_t s = pr->order[r];
        if (pr->tier_by != NULL) {
            tier_name(r, pr->k, buf, sizeof buf);
        } else {
            (void)snprintf(buf, sizeof buf, "Segment %d", (int)s + 1);
        }
        pr->names[s] = crm_strdup(buf);
        if (pr->names[s] == NULL) {
            return crm__error_nomem(err);
        }
    }
    return CRM_OK;
}

/* ---- compute ---- */

static crm_status check_inputs(const crm_table *t,
                               const char *const *features,
                               int32_t n_features,
                               const int32_t *labels,
                               int32_t k,
                               const crm_profile_params *p,
                               crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    if (k < 1) {
        return crm__error_set(err, CRM_EINVAL, "k must be >= 1, got %d", (int)k);
    }
    if (p->names != NULL && p->n_names != k) {
        return crm__error_set(err, CRM_EINVAL, "%d segment names given for %d segments",
                              (int)p->n_names, (int)k);
    }
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= k) {
            return crm__error_set(err, CRM_EINVAL, "label %d of row %lld is not in [0, %d)",
                                  (int)labels[i], (long long)i + 1, (int)k);
        }
    }
    for (int32_t f = 0; f < n_features; f++) {
        if (crm_table_find_col(t, features[f]) < 0) {
            char near[160];
            crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0, "no column named \"%s\"%s",
                          features[f],
                          crm_table_did_you_mean(t, features[f], near, (int32_t)sizeof near));
            crm__error_field(err, features[f]);
            return CRM_ENOTFOUND;
        }
    }
    return CRM_OK;
}

/* One to PR_NV numeric features (f[0, nv)), or one categorical, profiled together. */
typedef struct profile_job {
    int32_t f[PR_NV];
    int nv;
    int numeric;
} profile_job;

/* A numeric feature's results, for the rank that did not compute it: population mean, sd
 * and median, then each segment's mean and median. */
static crm_status pack_numeric(void *ctx, int32_t f, void **blob, size_t *len, crm_error *err)
{
    const crm_profile *pr = ctx;
    int64_t nf = pr->n_features;
    double *v = crm_mallocarray(3 + 2 * (size_t)pr->k, sizeof *v);
    if (v == NULL) {
        return crm__error_nomem(err);
    }
    v[0] = pr->pop_mean[f];
    v[1] = pr->pop_sd[f];
    v[2] = pr->pop_median[f];
    for (int32_t s = 0; s < pr->k; s++) {
        v[3 + 2 * s] = pr->mean[s * nf + f];
        v[4 + 2 * s] = pr->median[s * nf + f];
    }
    *blob = v;
    *len = (3 + 2 * (size_t)pr->k) * sizeof *v;
    return CRM_OK;
}

static crm_status unpack_numeric(void *ctx, int32_t f, const void *blob, size_t len, crm_error *err)
{
    crm_profile *pr = ctx;
    int64_t nf = pr->n_features;
    const char *b = blob;
    if (f < 0 || f >= nf || len != (3 + 2 * (size_t)pr->k) * sizeof(double)) {
        return crm__error_set(err, CRM_EINTERNAL, "profile: a rank sent a malformed result");
    }
    memcpy(&pr->pop_mean[f], b, sizeof(double));
    memcpy(&pr->pop_sd[f], b + 8, sizeof(double));
    memcpy(&pr->pop_median[f], b + 16, sizeof(double));
    for (int32_t s = 0; s < pr->k; s++) {
        memcpy(&pr->mean[s * nf + f], b + 24 + 16 * (size_t)s, sizeof(double));
        memcpy(&pr->median[s * nf + f], b + 32 + 16 * (size_t)s, sizeof(double));
    }
    return CRM_OK;
}

static crm_status fill_features(crm_profile *pr,
                                const crm_table *t,
                                const char *const *features,
                                grouping *g,
                                crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    size_t nn = n > 0 ? (size_t)n : 1;
    int32_t nf = pr->n_features;
    int nt = n >= 100000 && nf > 1 ? crm__n_threads(0) : 1;
    crm_status *rcs = crm_calloc(nf > 0 ? (size_t)nf : 1, sizeof *rcs);
    crm_error *errs = crm_calloc(nf > 0 ? (size_t)nf : 1, sizeof *errs);
    profile_job *jobs = crm_calloc(nf > 0 ? (size_t)nf : 1, sizeof *jobs);
    int32_t *mine = crm_calloc(nf > 0 ? (size_t)nf : 1, sizeof *mine);
    int32_t n_jobs = 0;
    int32_t n_num = 0;
    int32_t n_mine = 0;
    int group;
    /* under mpirun with the same table and labels on every rank: numeric features dealt out */
    int split = crm_dist_replicated();
    crm_status rc = CRM_OK;
    if (rcs == NULL || errs == NULL || jobs == NULL || mine == NULL) {
        crm_free(rcs);
        crm_free(errs);
        crm_free(jobs);
        crm_free(mine);
        rc = crm__error_nomem(err);
        if (split) { /* the others wait in crm_dist_share_items: fail there too */
            crm_error e1 = *err;
            rc = crm_dist_share_items(&rc, &e1, 1, NULL, 0, NULL, NULL, NULL, err);
        }
        return rc;
    }
    for (int32_t f = 0; f < nf; f++) {
        pr->features[f] = crm_strdup(features[f]);
        if (pr->features[f] == NULL) {
            rc = crm__error_nomem(err);
        }
    }
    /* numeric features in groups of 8, 4 or 2 (chains of sums side by side) when there are
     * enough to keep every thread busy, the jobs spread over the threads, each thread with
     * its own buffers; the first failure in feature order is the one reported, whatever the
     * threads */
    for (int32_t f = 0; f < nf; f++) {
        n_num += crm_table_col_type(t, crm_table_find_col(t, features[f])) == CRM_COL_NUMERIC;
    }
    group = PR_NV;
    while (group > 1 && n_num < group * nt) {
        group /= 2;
    }
    for (int32_t f = 0, i_num = 0; f < nf && rc == CRM_OK; f++) {
        int32_t col = crm_table_find_col(t, features[f]);
        if (crm_table_col_type(t, col) == CRM_COL_NUMERIC) {
            if (split && !crm_dist_deals(i_num++)) {
                continue; /* another rank's: its results come in crm_dist_share_items */
            }
            if (split) {
                mine[n_mine++] = f;
            }
            if (n_jobs > 0 && jobs[n_jobs - 1].nv < group && jobs[n_jobs - 1].numeric) {
                jobs[n_jobs - 1].f[jobs[n_jobs - 1].nv++] = f;
                continue;
            }
            jobs[n_jobs].numeric = 1;
        } else {
            jobs[n_jobs].numeric = 0;
        }
        jobs[n_jobs].f[0] = f;
        jobs[n_jobs].nv = 1;
        n_jobs++;
    }
    nt = nt < n_jobs ? nt : (n_jobs > 0 ? n_jobs : 1);
#pragma omp parallel num_threads(nt) if (nt > 1 && rc == CRM_OK)
    {
        double *work[PR_NV] = { NULL };
        double *scratch = NULL;
        int64_t *fill = NULL;
        crm__ksum *seg = NULL;
        seg_iv *iv = NULL;
        double *lane = NULL;
        int64_t *lane_n = NULL;
        int have = 0;
        int need = 0;
        for (int32_t q = 0; q < n_jobs; q++) {
            need = need > jobs[q].nv * jobs[q].numeric ? need : jobs[q].nv * jobs[q].numeric;
        }
        if (need > 0 && rc == CRM_OK) {
            have = 1;
            for (int e = 0; e < need; e++) {
                work[e] = crm_mallocarray(nn, sizeof *work[e]);
                have = have && work[e] != NULL;
            }
            scratch = crm_mallocarray(nn, sizeof *scratch);
            fill = crm_mallocarray((size_t)pr->k * PR_NV, sizeof *fill);
            seg = crm_mallocarray((size_t)pr->k * PR_NV, sizeof *seg);
            iv = crm_mallocarray((size_t)pr->k * PR_NV, sizeof *iv);
            lane = crm_mallocarray((size_t)pr->k * 32, sizeof *lane);
            lane_n = crm_mallocarray((size_t)pr->k * 24, sizeof *lane_n);
            /* small pages: only a few per cent of work and scratch are written (the copies
             * at the start of each segment's slice, a sample), 2 MB pages would be zeroed
             * whole */
            have = have && scratch != NULL && fill != NULL && seg != NULL && iv != NULL &&
                   lane != NULL && lane_n != NULL;
        }
#pragma omp for schedule(dynamic, 1)
        for (int32_t q = 0; q < n_jobs; q++) {
            const int32_t *fs = jobs[q].f;
            if (rc != CRM_OK) {
                rcs[fs[0]] = rc;
            } else if (jobs[q].numeric) {
                const double *v[PR_NV] = { NULL };
                for (int e = 0; e < jobs[q].nv; e++) {
                    v[e] = crm_table_numeric(t, crm_table_find_col(t, features[fs[e]]));
                }
                if (have) {
                    numeric_ctx c = { pr, n, g, scratch, fill, seg, iv, lane, lane_n };
                    profile_numeric(&c, jobs[q].nv, fs, v, work);
                } else {
                    rcs[fs[0]] = crm__error_nomem(&errs[fs[0]]);
                }
            } else {
                rcs[fs[0]] = profile_categorical(
                    pr, fs[0], t, crm_table_find_col(t, features[fs[0]]), g, &errs[fs[0]]);
            }
        }
        for (int e = 0; e < PR_NV; e++) {
            crm_free(work[e]);
        }
        crm_free(scratch);
        crm_free(fill);
        crm_free(seg);
        crm_free(iv);
        crm_free(lane);
        crm_free(lane_n);
    }
    if (split) {
        if (rc != CRM_OK) { /* a failure before the jobs ran: the first, for the agreement */
            rcs[0] = rc;
            errs[0] = *err;
        }
        rc = crm_dist_share_items(rcs, errs, nf > 0 ? nf : 1, mine, n_mine, pack_numeric,
                                  unpack_numeric, pr, err);
    } else if (rc == CRM_OK) {
        rc = crm__first_error(rcs, errs, nf, err);
    }
    crm_free(rcs);
    crm_free(errs);
    crm_free(jobs);
    crm_free(mine);
    return rc;
}

crm_status crm_profile_compute(const crm_table *t,
                               const char *const *features,
                               int32_t n_features,
                               const int32_t *labels,
                               int32_t k,
                               const crm_profile_params *p,
                               crm_profile **out,
                               crm_error *err)
{
    crm_profile *pr = NULL;
    grouping g = { NULL, NULL };
    crm_status rc;
    *out = NULL;
    rc = check_inputs(t, features, n_features, labels, k, p, err);
    if (rc == CRM_OK) {
        rc = crm__profile_alloc(k, n_features, &pr, err);
    }
    if (rc != CRM_OK) {
        return rc;
    }
    pr->n_rows = crm_table_n_rows(t);
    rc = group_rows(labels, pr->n_rows, k, &g, err);
    if (rc != CRM_OK) {
        goto done;
    }
    for (int32_t s = 0; s < k; s++) {
        pr->sizes[s] = g.start[s + 1] - g.start[s];
        pr->order[s] = s;
    }
    rc = fill_features(pr, t, features, &g, err);
    if (rc == CRM_OK && p->tier_by != NULL) {
        pr->tier_by = crm_strdup(p->tier_by);
        rc = pr->tier_by ? rank_by_tier(pr, t, &g, err) : crm__error_nomem(err);
    }
    if (rc == CRM_OK) {
        rc = p->names ? crm_profile_set_names(pr, p->names, p->n_names, err)
                      : default_names(pr, err);
    }
done:
    crm_free(g.start);
    if (rc != CRM_OK) {
        crm_profile_free(pr);
        return rc;
    }
    *out = pr;
    return CRM_OK;
}

/* ---- accessors ---- */

static int in_sf(const crm_profile *pr, int32_t s, int32_t f)
{
    return s >= 0 && s < pr->k && f >= 0 && f < pr->n_features;
}

int32_t crm_profile_k(const crm_profile *pr)
{
    return pr->k;
}

int64_t crm_profile_n_rows(const crm_profile *pr)
{
    return pr->n_rows;
}

int32_t crm_profile_n_features(const crm_profile *pr)
{
    return pr->n_features;
}

const char *crm_profile_feature(const crm_profile *pr, int32_t f)
{
    return (f >= 0 && f < pr->n_features) ? pr->features[f] : NULL;
}

int crm_profile_is_categorical(const crm_profile *pr, int32_t f)
{
    return (f >= 0 && f < pr->n_features) ? pr->is_cat[f] : 0;
}

const char *crm_profile_tier_by(const crm_profile *pr)
{
    return pr->tier_by;
}

int32_t crm_profile_order(const crm_profile *pr, int32_t rank)
{
    return (rank >= 0 && rank < pr->k) ? pr->order[rank] : -1;
}

const char *crm_profile_name(const crm_profile *pr, int32_t s)
{
    return (s >= 0 && s < pr->k) ? pr->names[s] : NULL;
}

int64_t crm_profile_size(const crm_profile *pr, int32_t s)
{
    return (s >= 0 && s < pr->k) ? pr->sizes[s] : 0;
}

double crm_profile_share(const crm_profile *pr, int32_t s)
{
    if (s < 0 || s >= pr->k || pr->n_rows == 0) {
        return (double)NAN;
    }
    return (double)pr->sizes[s] / (double)pr->n_rows;
}

double crm_profile_mean(const crm_profile *pr, int32_t s, int32_t f)
{
    return in_sf(pr, s, f) ? pr->mean[(int64_t)s * pr->n_features + f] : (double)NAN;
}

double crm_profile_median(const crm_profile *pr, int32_t s, int32_t f)
{
    return in_sf(pr, s, f) ? pr->median[(int64_t)s * pr->n_features + f] : (double)NAN;
}

double crm_profile_pop_mean(const crm_profile *pr, int32_t f)
{
    return (f >= 0 && f < pr->n_features) ? pr->pop_mean[f] : (double)NAN;
}

double crm_profile_pop_median(const crm_profile *pr, int32_t f)
{
    return (f >= 0 && f < pr->n_features) ? pr->pop_median[f] : (double)NAN;
}

double crm_profile_pop_sd(const crm_profile *pr, int32_t f)
{
    return (f >= 0 && f < pr->n_features) ? pr->pop_sd[f] : (double)NAN;
}

double crm_profile_ratio(const crm_profile *pr, int32_t s, int32_t f)
{
    double pop = crm_profile_pop_mean(pr, f);
    if (!in_sf(pr, s, f) || pop == 0.0) {
        return (double)NAN;
    }
    return crm_profile_mean(pr, s, f) / pop;
}

double crm_profile_std_diff(const crm_profile *pr, int32_t s, int32_t f)
{
    double sd = crm_profile_pop_sd(pr, f);
    if (!in_sf(pr, s, f)) {
        return (double)NAN;
    }
    if (sd == 0.0) {
        return 0.0;
    }
    return (crm_profile_mean(pr, s, f) - crm_profile_pop_mean(pr, f)) / sd;
}

const char *crm_profile_mode(const crm_profile *pr, int32_t s, int32_t f, double *share)
{
    int64_t idx = (int64_t)s * pr->n_features + f;
    if (!in_sf(pr, s, f)) {
        if (share != NULL) {
            *share = (double)NAN;
        }
        return NULL;
    }
    if (share != NULL) {
        *share = pr->mode_share[idx];
    }
    return pr->modes[idx];
}
