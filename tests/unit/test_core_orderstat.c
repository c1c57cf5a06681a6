/* test_core_orderstat.c: crm__order_stats against a full sort, on inputs that take its fast
 * path (sample intervals), its fallback (a sample far from typical), NaN, ties, infinities;
 * selection's bound (a range sorted once its rounds split badly too often). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/rng.h>

#include "core/core_internal.h"
#include "crm_test.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every rank set below against qsort of the present values. */
static void check_against_sort(const double *a, int64_t n)
{
    double *sorted = malloc((size_t)n * sizeof *sorted);
    double *scratch = malloc((size_t)n * sizeof *scratch);
    double *copy = malloc((size_t)n * sizeof *copy);
    int64_t ranks[200];
    double out[200];
    int64_t m = 0;
    assert_non_null(sorted);
    assert_non_null(scratch);
    assert_non_null(copy);
    memcpy(copy, a, (size_t)n * sizeof *copy);
    for (int64_t i = 0; i < n; i++) {
        if (!isnan(a[i])) {
            sorted[m++] = a[i];
        }
    }
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_d);
    for (int set = 0; set < 5 && m > 0; set++) {
        int nr = 0;
        if (set == 0) { /* a median */
            ranks[nr++] = (m - 1) / 2;
            ranks[nr++] = m / 2;
        } else if (set == 1) { /* deciles, as the drift reference takes them */
            for (int b = 1; b < 10; b++) {
                int64_t lo = (int64_t)floor((double)b / 10.0 * (double)(m - 1));
                ranks[nr++] = lo;
                ranks[nr++] = lo + 1 < m ? lo + 1 : lo;
            }
        } else if (set == 2) { /* the ends */
            ranks[nr++] = 0;
            ranks[nr++] = m - 1;
        } else if (set == 3) { /* percentiles: more than the intervals hold, merged */
            for (int b = 1; b < 100; b++) {
                ranks[nr++] = (int64_t)((double)b / 100.0 * (double)(m - 1));
            }
        } else { /* one rank near the start */
            ranks[nr++] = m / 97;
        }
        crm__os_kept kept;
        crm__order_stats_kept(a, n, m, ranks, nr, scratch, out, &kept);
        /* counts of the values <= a probe between two ranks' values (the drift reference's
         * bin edges), from the copies left in scratch: those of a full pass */
        for (int r = 0; r < nr; r++) {
            double lo = out[r], hi = out[r + 1 < nr ? r + 1 : r];
            double probe[3] = { lo, hi, lo + 0.37 * (hi - lo) };
            for (int q = 0; q < 3; q++) {
                int64_t want = 0; /* the sorted values <= the probe, by bisection */
                int64_t hi_i = m;
                int64_t got = crm__os_count_le(&kept, scratch, probe[q]);
                while (want < hi_i && !isnan(probe[q])) {
                    int64_t mid = want + (hi_i - want) / 2;
                    if (sorted[mid] <= probe[q]) {
                        want = mid + 1;
                    } else {
                        hi_i = mid;
                    }
                }
                if (got >= 0 && got != want) {
                    fail_msg("n %lld set %d probe %.17g: %lld values <= it, counted %lld",
                             (long long)n, set, probe[q], (long long)want, (long long)got);
                }
                /* a rank's own value always lies in its interval, and so does a value
                 * between the two ranks of a decile; one between two other ranks' values
                 * may lie between two intervals (-1), a NaN (between infinities) in none */
                assert_true(got >= 0 || (q == 2 && (set != 1 || r % 2 == 1 || isnan(probe[q]))));
            }
        }
        for (int r = 0; r < nr; r++) {
            if (!(out[r] == sorted[ranks[r]])) { /* -0 and 0 are ties in any order */
                fail_msg("n %lld set %d rank %lld: %.17g, sorted %.17g", (long long)n, set,
                         (long long)ranks[r], out[r], sorted[ranks[r]]);
            }
        }
    }
    assert_memory_equal(copy, a, (size_t)n * sizeof *copy); /* a is only read */
    free(sorted);
    free(scratch);
    free(copy);
}

static void order_stats_match_a_full_sort(void **state)
{
    static const int64_t sizes[] = { 1, 2, 17, 1000, 16383, 16384, 50001, 300000 };
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 42);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        double *a = malloc((size_t)n * sizeof *a);
        assert_non_null(a);
        for (int kind = 0; kind < 6; kind++) {
            for (int64_t i = 0; i < n; i++) {
                double x = crm_rng_normal(&rng) * 100.0;
                if (kind == 1) {
                    x = round(x / 50.0); /* a few distinct values: ties everywhere */
                } else if (kind == 2 && crm_rng_uniform(&rng) < 0.2) {
                    x = (double)NAN; /* missing values */
                } else if (kind == 3) {
                    x = (double)i; /* sorted */
                } else if (kind == 4 && i % 1000 == 0) {
                    x = (i / 1000) % 2 ? HUGE_VAL : -HUGE_VAL;
                } else if (kind == 5) {
                    x = (double)(n - i) - 0.5; /* sorted, descending */
                }
                a[i] = x;
            }
            check_against_sort(a, n);
        }
        free(a);
    }
}

/* The values the sample sees are not like the others: every rank misses its interval and
 * the plain selection answers, with the same exact values. */
static void order_stats_survive_an_untypical_sample(void **state)
{
    int64_t n = 100000;
    double *a = malloc((size_t)n * sizeof *a);
    crm_rng rng;
    (void)state;
    assert_non_null(a);
    crm_rng_seed(&rng, 7);
    for (int64_t period = 8; period <= 64; period *= 2) {
        for (int64_t i = 0; i < n; i++) {
            a[i] = i % period == period / 2 ? 1e9 + (double)i : crm_rng_uniform(&rng);
        }
        check_against_sort(a, n);
    }
    /* all missing but a few */
    for (int64_t i = 0; i < n; i++) {
        a[i] = i % 9973 == 5 ? (double)(i % 7) : (double)NAN;
    }
    check_against_sort(a, n);
    free(a);
}

/* The values at the nine places the first round takes its pivot from are the largest, so
 * that round keeps nearly all of the range on one side (a "bad" round). */
static void fill_pivot_trap(double *a, int64_t n, crm_rng *rng)
{
    int64_t e = n / 8;
    const int64_t at[9] = { 0, e, 2 * e, 3 * e, n / 2, 5 * e, 6 * e, 7 * e, n - 1 };
    for (int64_t i = 0; i < n; i++) {
        a[i] = crm_rng_uniform(rng);
    }
    for (int j = 0; j < 9; j++) {
        a[at[j]] = 10.0 + (double)j;
    }
}

static int is_sorted(const double *a, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        if (a[i - 1] > a[i]) {
            return 0;
        }
    }
    return 1;
}

/* Selection is bounded: past its allowance of bad rounds it sorts the range (heapsort), and
 * every rank is still the exact value, with the values below and above it on their sides. */
static void selection_sorts_past_its_bad_rounds(void **state)
{
    static const int64_t sizes[] = { 200, 4099, 100000 };
    crm_rng rng;
    (void)state;
    crm_rng_seed(&rng, 11);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int64_t n = sizes[z];
        double *a = malloc((size_t)n * sizeof *a);
        double *s = malloc((size_t)n * sizeof *s);
        double *sorted = malloc((size_t)n * sizeof *sorted);
        assert_non_null(a);
        assert_non_null(s);
        assert_non_null(sorted);
        for (int kind = 0; kind < 3; kind++) {
            if (kind == 0) {
                fill_pivot_trap(a, n, &rng);
            } else {
                for (int64_t i = 0; i < n; i++) { /* ties; then organ pipe */
                    a[i] = kind == 1 ? (double)crm_rng_below(&rng, 5)
                                     : (double)(i < n / 2 ? i : n - i);
                }
            }
            memcpy(sorted, a, (size_t)n * sizeof *a);
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_d);
            for (int bad = 0; bad <= 3; bad++) {
                const int64_t ranks[3] = { n / 10, n / 2, n - 2 };
                memcpy(s, a, (size_t)n * sizeof *a);
                crm__select_ranks_bounded(s, 0, n, ranks, 3, bad);
                for (int r = 0; r < 3; r++) {
                    double v = s[ranks[r]];
                    assert_true(v == sorted[ranks[r]]);
                    for (int64_t i = 0; i < n; i++) {
                        assert_true(i < ranks[r] ? s[i] <= v : s[i] >= v);
                    }
                }
                if (kind == 0 && bad == 0) { /* the first round was bad: the range sorted */
                    assert_true(is_sorted(s, n));
                }
            }
            memcpy(s, a, (size_t)n * sizeof *a); /* with its usual allowance: not sorted */
            crm__select_ranks(s, 0, n, (const int64_t[]){ n / 2 }, 1);
            assert_true(s[n / 2] == sorted[n / 2]);
            if (kind == 0) {
                assert_false(is_sorted(s, n));
            }
        }
        free(a);
        free(s);
        free(sorted);
    }
}

/* crm__sort_doubles on orders that trouble quicksorts: equal to qsort's result. */
static void sort_doubles_matches_qsort(void **state)
{
    int64_t n = 100003;
    double *a = malloc((size_t)n * sizeof *a);
    double *b = malloc((size_t)n * sizeof *b);
    crm_rng rng;
    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    crm_rng_seed(&rng, 3);
    for (int kind = 0; kind < 7; kind++) {
        for (int64_t i = 0; i < n; i++) {
            a[i] = kind == 0   ? crm_rng_normal(&rng)
                   : kind == 1 ? (double)i
                   : kind == 2 ? (double)(n - i)
                   : kind == 3 ? (double)(i < n / 2 ? i : n - i)        /* organ pipe */
                   : kind == 4 ? (double)crm_rng_below(&rng, 4)         /* ties */
                   : kind == 5 ? (double)(i % 1000)                     /* saw */
                               : (i % 2 ? (double)i : (double)(n - i)); /* interleaved */
        }
        memcpy(b, a, (size_t)n * sizeof *a);
        crm__sort_doubles(a, n);
        qsort(b, (size_t)n, sizeof *b, cmp_d);
        assert_memory_equal(a, b, (size_t)n * sizeof *a);
    }
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_stats_match_a_full_sort),
        cmocka_unit_test(order_stats_survive_an_untypical_sample),
        cmocka_unit_test(selection_sorts_past_its_bad_rounds),
        cmocka_unit_test(sort_doubles_matches_qsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
