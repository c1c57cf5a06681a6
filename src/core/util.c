/* util.c: small shared helpers: monotonic time, number parsing, memory hints. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include <crmkit/progress.h>

#include "core_internal.h"

int crm__grow_bytes(char **p, size_t *cap, size_t need)
{
    return crm__grow_bytes_from(p, cap, need, 256);
}

int crm__grow_bytes_from(char **p, size_t *cap, size_t need, size_t first)
{
    size_t c = *cap ? *cap : first;
    char *q;
    if (need <= *cap) {
        return 1;
    }
    while (c < need) {
        c *= 2;
    }
    q = crm_realloc(*p, c);
    if (q == NULL) {
        return 0;
    }
    *p = q;
    *cap = c;
    return 1;
}

int crm__grow_items(void *pp, int64_t *cap, int64_t need, size_t size, int64_t first)
{
    int64_t c = *cap > 0 ? *cap : first;
    void *p;
    if (need <= *cap) {
        return 1;
    }
    while (c < need) {
        c *= 2;
    }
    memcpy(&p, pp, sizeof p);
    p = crm_realloc(p, (size_t)c * size);
    if (p == NULL) {
        return 0;
    }
    memcpy(pp, &p, sizeof p);
    *cap = c;
    return 1;
}

void crm__advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (p != NULL && e > a) {
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)bytes;
#endif
}

int crm__populate(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    long page_size = sysconf(_SC_PAGESIZE);
    uintptr_t page = page_size > 0 ? (uintptr_t)page_size : 4096;
    uintptr_t a;
    uintptr_t e;
    if (p == NULL || bytes == 0) {
        return 1;
    }
    a = (uintptr_t)p & ~(page - 1);
    e = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
    return madvise((void *)a, e - a, MADV_POPULATE_WRITE) == 0;
#else
    (void)p;
    (void)bytes;
    return 0;
#endif
}

int crm__n_threads(int32_t requested)
{
#if defined(_OPENMP)
    return requested > 0 ? (int)requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

/* Stage timings are wall seconds; with CRMKIT_CPU_CLOCK=1 in the environment they are this
 * process's CPU seconds instead (benchmarks on a shared machine, where a wall second is
 * whatever share of a core the process got). */
int crm__cpu_clock(void)
{
    static int mode = -1; /* read once; a benign race: every thread reads the same value */
    if (mode < 0) {
        const char *v = getenv("CRMKIT_CPU_CLOCK");
        mode = (v != NULL && v[0] == '1') ? 1 : 0;
    }
    return mode;
}

double crm__now_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(crm__cpu_clock() ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int crm__parse_i64(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    int neg = 0;
    if (len == 0) {
        return 0;
    }
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1) {
            return 0;
        }
    }
    for (; i < len; i++) {
        int d;
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10) {
            return 0;
        }
        v = v * 10 + d;
    }
    *out = neg ? -v : v;
    return 1;
}

void crm__loop_progress_init(crm__loop_progress *lp,
                             const crm_progress *progress,
                             const char *stage,
                             double lo,
                             double hi,
                             int64_t n)
{
    memset(lp, 0, sizeof *lp);
    lp->progress = progress;
    lp->stage = stage;
    lp->lo = lo;
    lp->hi = hi;
    lp->n = n > 0 ? n : 1;
}

int crm__loop_tick(crm__loop_progress *lp, int64_t items)
{
    int64_t d = __atomic_add_fetch(&lp->done, items, __ATOMIC_RELAXED);
    if (__atomic_load_n(&lp->stop, __ATOMIC_RELAXED)) {
        return 0;
    }
    /* whichever thread gets there reports (thread 0 may be off the core), one at a time */
    if (d >= __atomic_load_n(&lp->next, __ATOMIC_RELAXED) &&
        !__atomic_exchange_n(&lp->busy, 1, __ATOMIC_ACQUIRE)) {
        if (d >= lp->next && !__atomic_load_n(&lp->stop, __ATOMIC_RELAXED)) {
            __atomic_store_n(&lp->next, d + lp->n / 256 + 1, __ATOMIC_RELAXED);
            if (!crm_progress_report(lp->progress, lp->stage,
                                     lp->lo + (lp->hi - lp->lo) * (double)d / (double)lp->n)) {
                __atomic_store_n(&lp->stop, 1, __ATOMIC_RELAXED);
            }
        }
        __atomic_store_n(&lp->busy, 0, __ATOMIC_RELEASE);
    }
    return !__atomic_load_n(&lp->stop, __ATOMIC_RELAXED);
}

/* s[0, n) into a max-heap below root. */
static void sift_down(double *s, int64_t root, int64_t n)
{
    double v = s[root];
    for (int64_t c = 2 * root + 1; c < n; c = 2 * root + 1) {
        c += c + 1 < n && s[c + 1] > s[c];
        if (!(s[c] > v)) {
            break;
        }
        s[root] = s[c];
        root = c;
    }
    s[root] = v;
}

static void heap_sort(double *s, int64_t n)
{
    for (int64_t i = n / 2; i-- > 0;) {
        sift_down(s, i, n);
    }
    for (int64_t i = n - 1; i > 0; i--) {
        crm__swap_d(&s[0], &s[i]);
        sift_down(s, 0, i);
    }
}

/* Quicksort with median-of-three pivots and Hoare partitioning (it stops on equal keys, so
 * runs of equal values split evenly), recursing into the smaller part; insertion sort below
 * 24 values; past depth rounds, heapsort (an order that defeats the pivots). */
static void sort_rounds(double *v, int64_t n, int depth)
{
    while (n > 24) {
        double a = v[0];
        double b = v[n / 2];
        double c = v[n - 1];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        int64_t i = -1;
        int64_t j = n;
        int64_t left;
        if (depth-- == 0) {
            heap_sort(v, n);
            return;
        }
        for (;;) {
            do {
                i++;
            } while (v[i] < pivot);
            do {
                j--;
            } while (v[j] > pivot);
            if (i >= j) {
                break;
            }
            crm__swap_d(&v[i], &v[j]);
        }
        left = j + 1;
        if (left < n - left) {
            sort_rounds(v, left, depth);
            v += left;
            n -= left;
        } else {
            sort_rounds(v + left, n - left, depth);
            n = left;
        }
    }
    for (int64_t i = 1; i < n; i++) {
        double t = v[i];
        int64_t j = i;
        while (j > 0 && v[j - 1] > t) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
}

void crm__sort_doubles(double *v, int64_t n)
{
    sort_rounds(v, n, 2 * crm__log2_floor(n));
}

size_t crm__edit_distance(const char *a, const char *b, size_t max_b, int fold_case)
{
    size_t n = strlen(a);
    size_t m = strlen(b);
    size_t row[128];
    if (m > max_b || m >= sizeof row / sizeof row[0]) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= m; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            int same = fold_case
                           ? tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
                           : a[i - 1] == b[j - 1];
            size_t best = diag + (same ? 0 : 1);
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            if (up + 1 < best) {
                best = up + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}
