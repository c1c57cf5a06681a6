/* core_internal.h: helpers shared by every module inside the library (never installed). */
#ifndef CRM_CORE_INTERNAL_H
#define CRM_CORE_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/alloc.h>
#include <crmkit/matrix.h>
#include <crmkit/status.h>

#if defined(__GNUC__) || defined(__clang__)
#define CRM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CRM_PRINTF(a, b)
#endif

#if defined(CRM_DEBUG_ASSERT)
#include <assert.h>
#define CRM_ASSERT(x) assert(x)
#else
#define CRM_ASSERT(x) ((void)0)
#endif

/* Rows per block in parallel loops. Fixed, never derived from the thread count, so partial
 * sums are reduced in the same order whatever the number of threads. */
#define CRM_BLOCK_ROWS 4096

/* Set code and message; returns code. err may be NULL. */
crm_status crm__error_set(crm_error *err, crm_status code, const char *fmt, ...) CRM_PRINTF(3, 4);
/* Same, with a location: source (file), line and column (1-based, 0 unknown). */
crm_status crm__error_at(crm_error *err,
                         crm_status code,
                         const char *source,
                         int64_t line,
                         int64_t column,
                         const char *fmt,
                         ...) CRM_PRINTF(6, 7);
/* Name the field the error is about. */
void crm__error_field(crm_error *err, const char *field);
/* Put context in front of the existing message. */
void crm__error_prefix(crm_error *err, const char *fmt, ...) CRM_PRINTF(2, 3);
/* CRM_EIO (or CRM_ENOTFOUND for ENOENT) from errno, naming path. */
crm_status crm__error_errno(crm_error *err, int errnum, const char *path, const char *what);
/* For an input that cannot be opened or read (missing, a folder, no permission, a read
 * error): CRM_ENOTFOUND (exit 66), never the output error CRM_EIO; CRM_ENOMEM for ENOMEM. */
crm_status crm__error_errno_input(crm_error *err, int errnum, const char *path, const char *what);
/* Shorthand for out-of-memory. */
crm_status crm__error_nomem(crm_error *err);

/* crm_free each of blocks[0, n) (NULLs are skipped). */
void crm__free_n(void *const *blocks, size_t n);
/* CRM__FREE(a, b, c): crm_free(a); crm_free(b); crm_free(c); in one call, for the blocks a
 * struct owns (the struct itself last). */
#define CRM__FREE(...)                                                                             \
    crm__free_n((void *const[]){ __VA_ARGS__ },                                                    \
                sizeof((void *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* The hash of every table in the library (hash.c), keyed by a value drawn once per process:
 * a file cannot choose keys that share a slot. Nothing may depend on the values but speed. */
uint64_t crm__hash_bytes(const void *data, size_t len);
extern uint64_t crm__hash_key[3]; /* drawn before main (hash.c) */
static inline uint64_t crm__hash_fold(uint64_t a, uint64_t b)
{
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}
static inline uint64_t crm__hash_u64(uint64_t x)
{
    return crm__hash_fold(crm__hash_fold(x ^ crm__hash_key[1], crm__hash_key[2]) ^ x,
                          crm__hash_key[0]);
}
/* The seed of the key, and setting it (the same in every process of a run; before any table
 * is built). */
uint64_t crm__hash_seed(void);
void crm__hash_set_seed(uint64_t seed);

/* A new NUL-terminated copy of s[0..n) (crm_free it); NULL when out of memory. */
char *crm__strndup(const char *s, size_t n);
/* Copy src into dst[size], always NUL-terminated, truncating. */
void crm__strlcpy(char *dst, const char *src, size_t size);

/* Kahan-compensated running sum. */
typedef struct crm__ksum {
    double sum;
    double c;
} crm__ksum;

static inline void crm__ksum_add(crm__ksum *k, double v)
{
    double y = v - k->c;
    double t = k->sum + y;
    k->c = (t - k->sum) - y;
    k->sum = t;
}

static inline void crm__swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* floor(log2(n)) for n >= 1, 0 below: the bounded sorts' and selections' allowance of rounds
 * that split badly. */
static inline int crm__log2_floor(int64_t n)
{
    return n > 1 ? 63 - __builtin_clzll((unsigned long long)n) : 0;
}

/* Ascending sort of NaN-free doubles, O(n log n) whatever their order (introsort: quicksort,
 * heapsort past 2 log2(n) rounds); several times faster than qsort's callback. */
void crm__sort_doubles(double *v, int64_t n);

/* Levenshtein distance of a and b (letters compared case-insensitively when fold_case);
 * SIZE_MAX when b is longer than max_b bytes (at most 127). For "did you mean" answers. */
size_t crm__edit_distance(const char *a, const char *b, size_t max_b, int fold_case);

/* crm_matrix_init without zeroing, for callers that write every cell: the pages are then
 * first touched by the (parallel) writer instead of by one thread's memset. */
crm_status crm__matrix_alloc(crm_matrix *m, int64_t n_rows, int64_t n_cols, crm_error *err);
/* CRM_EDATA "value at row R, column C is not finite (V)" for the value v at 0-based row i,
 * column j: crm_matrix_check_finite's message, for the checks that read the rows their way. */
crm_status crm__error_nonfinite(crm_error *err, int64_t i, int64_t j, double v);

/* crm_matrix_check_finite over rows [i0, i1) only (row numbers in the message: of m). */
crm_status
crm__matrix_check_finite_rows(const crm_matrix *m, int64_t i0, int64_t i1, crm_error *err);

/* Number of fixed blocks covering n rows. */
static inline int64_t crm__n_blocks(int64_t n)
{
    return (n + CRM_BLOCK_ROWS - 1) / CRM_BLOCK_ROWS;
}

/* Parse a decimal number from s[0..len) (no surrounding spaces), locale independent,
 * correctly rounded like strtod. Accepts [+-]digits[.digits][e[+-]digits], "inf", "nan"
 * in any case. Returns 1 on success, 0 if the text is not a number. */
int crm__parse_double(const char *s, size_t len, double *out);
/* Parse a decimal integer; 0 on overflow or junk. */
int crm__parse_i64(const char *s, size_t len, int64_t *out);
/* 1 when s[0..len) is word (lower case ASCII) in any case. */
int crm__ascii_ieq(const char *s, size_t len, const char *word);

/* A growing text buffer, NUL-terminated once anything was written. A failed allocation
 * sticks (failed = 1) and makes later puts do nothing, so a writer checks once at the end.
 * All zeros is an empty buffer. */
typedef struct crm__sbuf {
    char *p;
    size_t len;
    size_t cap;
    int failed;
} crm__sbuf;
void crm__sbuf_init(crm__sbuf *b);
void crm__sbuf_fini(crm__sbuf *b); /* frees the text; the buffer is empty again */
void crm__sbuf_put(crm__sbuf *b, const char *s, size_t n);
void crm__sbuf_puts(crm__sbuf *b, const char *s);
void crm__sbuf_printf(crm__sbuf *b, const char *fmt, ...) CRM_PRINTF(2, 3);

/* Make *p (a crm_malloc'd block of *cap bytes, or NULL and 0) hold at least need bytes,
 * doubling from 256; 0 when out of memory (*p and *cap unchanged). */
int crm__grow_bytes(char **p, size_t *cap, size_t need);
/* The same, doubling from first bytes when *p is NULL (every growable byte buffer). */
int crm__grow_bytes_from(char **p, size_t *cap, size_t need, size_t first);
/* The same for an array of items of size bytes: pp is the address of the array pointer
 * (T **), *cap and need count items; 0 when out of memory (array and *cap unchanged). */
int crm__grow_items(void *pp, int64_t *cap, int64_t need, size_t size, int64_t first);

/* Big arrays read and written all over, again and again (hash table slots, hclust's distance
 * matrix): ask for transparent huge pages over p[0..bytes), which saves most TLB misses. Not
 * for arrays filled once front to back: on virtual machines that hand free memory back to the
 * host (free page reporting), a 2 MB page is often one the host must supply again, and the
 * first touch then costs several times a 4 KiB page's (1,000,000 x 16 segment, 1.7-2.0 s
 * against 1.1 s; bench/RESULTS.md). A hint: nothing happens where it is not known. */
void crm__advise_huge(void *p, size_t bytes);

/* Pages of p[0..bytes) (rounded out to whole pages) made present and writable now, in one
 * call, for an array about to be written front to back: the kernel maps them in a loop
 * instead of taking a page fault on each first write (about 1.9 us a 4 KiB page against 1.0
 * on the virtual machines we measure; a 1,000,000 x 16 segment faults in 270 MB). The
 * contents do not change, so ranges may overlap between threads. A hint: 1 when the pages
 * are made, 0 where the kernel does not know MADV_POPULATE_WRITE (Linux 5.14). */
int crm__populate(void *p, size_t bytes);

/* Cloned per instruction set (run-time dispatch), for loops the compiler vectorises. The
 * clones give the same bits when the loop does the same operations in the same order
 * (-ffp-contract=off). Not in sanitizer builds. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(CRM_SANITIZE_BUILD)
#define CRM__CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CRM__CLONES
#endif

/* Threads for a parallel region: requested when > 0, else the OpenMP default (1 without
 * OpenMP). Results never depend on it: loops run over fixed blocks. */
int crm__n_threads(int32_t requested);

/* Progress of a parallel loop over n items, reported as stage going from lo to hi: each
 * thread counts what it did with crm__loop_tick, and the one that passes the next mark
 * reports (about every n / 256 items; never two at once, so the listener needs no lock).
 * Once the listener cancels, every tick says stop (the loop skips the rest and the caller
 * fails with CRM_ECANCELLED). */
typedef struct crm__loop_progress {
    const struct crm_progress *progress;
    const char *stage;
    double lo, hi;
    int64_t n;
    int64_t done; /* atomic */
    int64_t next; /* items at the next report (atomic) */
    int busy;     /* a thread is reporting (atomic) */
    int stop;     /* atomic */
} crm__loop_progress;
void crm__loop_progress_init(crm__loop_progress *lp,
                             const struct crm_progress *progress,
                             const char *stage,
                             double lo,
                             double hi,
                             int64_t n);
/* Adds items done; 1 to go on, 0 once cancelled. */
int crm__loop_tick(crm__loop_progress *lp, int64_t items);

/* Monotonic seconds, for the timings reported in JSON summaries. */
/* 1 when CRMKIT_CPU_CLOCK=1: crm__now_seconds gives process CPU seconds (benchmarks). */
int crm__cpu_clock(void);
double crm__now_seconds(void);

/* Rearrange s[lo, hi) so that s[r] holds the value a full sort would put there, for every r
 * of ranks[0, nr) (ascending, inside [lo, hi)): quickselect for several ranks at once. */
void crm__select_ranks(double *s, int64_t lo, int64_t hi, const int64_t *ranks, int nr);
/* The same with at most bad_rounds rounds (along any path) that keep more than 7/8 of their
 * range on one side; past them the range is sorted (crm__sort_doubles), so no input takes
 * more than O(n log n) time. crm__select_ranks allows about log2(hi - lo) + 1; tests force
 * the sort. */
void crm__select_ranks_bounded(double *s,
                               int64_t lo,
                               int64_t hi,
                               const int64_t *ranks,
                               int nr,
                               int bad_rounds);
/* The values of v[0, n) that are not NaN (a vectorised count). */
int64_t crm__count_present(const double *v, int64_t n);
/* out[i] = the value a full sort of the m present (non-NaN) values of a[0, n) would put at
 * ranks[i] (ascending, each < m): exact, in about one pass over a for large n (orderstat.c).
 * a is only read; scratch has room for n doubles and is overwritten. */
void crm__order_stats(const double *a,
                      int64_t n,
                      int64_t m,
                      const int64_t *ranks,
                      int nr,
                      double *scratch,
                      double *out);
/* What crm__order_stats_kept leaves for crm__os_count_le: up to 64 value intervals
 * [lo, hi], below[t] present values under interval t and its copies in scratch[c0, c1) (with
 * values of other intervals mixed in when not grouped: those lie outside [lo, hi]). */
typedef struct crm__os_kept {
    int n_iv;
    double lo[64], hi[64];
    int64_t below[64], c0[64], c1[64];
} crm__os_kept;
/* crm__order_stats, and in *kept how to count values from the copies it leaves in scratch. */
void crm__order_stats_kept(const double *a,
                           int64_t n,
                           int64_t m,
                           const int64_t *ranks,
                           int nr,
                           double *scratch,
                           double *out,
                           crm__os_kept *kept);
/* The number of present values <= e, from kept and the scratch of that call (unchanged since),
 * when e lies inside one of its intervals (about 2 per cent of the values read for deciles of
 * a large array); -1 otherwise. */
int64_t crm__os_count_le(const crm__os_kept *kept, const double *scratch, double e);

#endif
