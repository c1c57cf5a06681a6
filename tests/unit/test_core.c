/* test_core.c: status, error formatting, allocator, matrix, RNG, atomic output files. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include <crmkit/alloc.h>
#include <crmkit/matrix.h>
#include <crmkit/outfile.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>

#include "core/core_internal.h"
#include "crm_test.h"

static void error_format_names_file_line_column_and_field(void **state)
{
    crm_error err;
    char buf[256];
    (void)state;
    crm__error_at(&err, CRM_EPARSE, "customers.csv", 1042, 7, "expected a number, got \"%s\"",
                  "n/a");
    crm__error_field(&err, "arpu");
    assert_int_equal(err.code, CRM_EPARSE);
    assert_string_equal(crm_error_format(&err, buf, (int32_t)sizeof buf),
                        "customers.csv:1042:7: field \"arpu\": expected a number, got \"n/a\"");
    crm__error_prefix(&err, "loading %s: ", "x");
    assert_string_equal(err.msg, "loading x: expected a number, got \"n/a\"");
    assert_string_equal(crm_status_name(CRM_EFORMAT), "CRM_EFORMAT");
    assert_string_equal(crm_status_name((crm_status)999), "CRM_EUNKNOWN");
}

static void matrix_init_rejects_negative_and_checks_finite(void **state)
{
    crm_matrix m;
    crm_error err;
    (void)state;
    assert_int_equal(crm_matrix_init(&m, -1, 3, &err), CRM_EINVAL);
    assert_int_equal(crm_matrix_init(&m, 4, 3, &err), CRM_OK);
    assert_true(((uintptr_t)m.data & 63u) == 0);
    assert_int_equal(crm_matrix_check_finite(&m, &err), CRM_OK);
    CRM_ROW(&m, 2)[1] = 1.0 / 0.0;
    assert_int_equal(crm_matrix_check_finite(&m, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 3, column 2"));
    crm_matrix_fini(&m);
    crm_matrix_fini(&m);
}

static void rng_is_reproducible_and_streams_differ(void **state)
{
    crm_rng a;
    crm_rng b;
    double sum = 0;
    (void)state;
    crm_rng_seed(&a, 42);
    crm_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) {
        assert_true(crm_rng_next(&a) == crm_rng_next(&b));
    }
    crm_rng_seed_stream(&a, 42, 1);
    crm_rng_seed_stream(&b, 42, 2);
    assert_true(crm_rng_next(&a) != crm_rng_next(&b));
    crm_rng_seed(&a, 7);
    for (int i = 0; i < 100000; i++) {
        double u = crm_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    crm_assert_close(sum / 100000.0, 0.5, 0, 0.01);
    for (int i = 0; i < 1000; i++) {
        assert_true(crm_rng_below(&a, 7) < 7);
    }
}

static void outfile_leaves_nothing_on_abort_and_renames_on_commit(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[512];
    crm_outfile *f;
    crm_error err;
    struct stat st;
    char *text;
    (void)state;
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(crm_outfile_open(path, &f, &err), CRM_OK);
    fputs("partial", crm_outfile_stream(f));
    crm_outfile_abort(f);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(system("test -z \"$(ls /tmp/crmkit-test-*/out.csv.tmp.* 2>/dev/null)\""), 0);

    assert_int_equal(crm_outfile_open(path, &f, &err), CRM_OK);
    fputs("whole\n", crm_outfile_stream(f));
    assert_int_equal(crm_outfile_commit(f, &err), CRM_OK);
    text = crm_test_read_file(path, NULL);
    assert_string_equal(text, "whole\n");
    free(text);

    assert_int_equal(crm_outfile_open("/nonexistent-dir/x.csv", &f, &err), CRM_EIO);
    assert_non_null(strstr(err.source, "/nonexistent-dir/x.csv"));
    crm_test_rmdir(dir);
    free(dir);
}

static void failing_allocator_makes_matrix_init_return_enomem(void **state)
{
    crm_matrix m;
    crm_error err;
    (void)state;
    crm_test_fail_after(0);
    assert_int_equal(crm_matrix_init(&m, 10, 10, &err), CRM_ENOMEM);
    assert_int_equal(crm_test_alloc_live(), 0);
    crm_test_alloc_reset();
}

static void parse_numbers_reject_junk(void **state)
{
    double d;
    int64_t v;
    (void)state;
    assert_true(crm__parse_double("1.5e3", 5, &d));
    crm_assert_close(d, 1500.0, 0, 0);
    assert_false(crm__parse_double("1.5x", 4, &d));
    assert_false(crm__parse_double(" 1", 2, &d));
    assert_false(crm__parse_double("", 0, &d));
    assert_true(crm__parse_i64("-42", 3, &v));
    assert_int_equal(v, -42);
    assert_false(crm__parse_i64("99999999999999999999", 20, &v));
}

/* The product by the loops of its definition (column-major is row-major transposed). */
static void dgemm_plain(CBLAS_ORDER order,
                        CBLAS_TRANSPOSE ta,
                        CBLAS_TRANSPOSE tb,
                        int m,
                        int n,
                        int k,
                        double alpha,
                        const double *a,
                        int lda,
                        const double *b,
                        int ldb,
                        double beta,
                        double *c,
                        int ldc)
{
    int row = order == CblasRowMajor, at = ta != CblasNoTrans, bt = tb != CblasNoTrans;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0.0, *cij = row ? &c[i * ldc + j] : &c[j * ldc + i];
            for (int p = 0; p < k; p++) {
                /* element (i, p) of op(A) and (p, j) of op(B) */
                int ai = row == !at ? i * lda + p : p * lda + i;
                int bi = row == !bt ? p * ldb + j : j * ldb + p;
                s += a[ai] * b[bi];
            }
            *cij = beta == 0.0 ? alpha * s : alpha * s + beta * *cij;
        }
    }
}

/* The matrix product through OpenBLAS (linked) equals the plain loops, in both storage orders,
 * with each operand transposed or not, beta zero (C not read) or not. */
static void dgemm_through_openblas_matches_the_plain_loops(void **state)
{
    enum {
        M = 7,
        N = 5,
        K = 9,
        LD = 12
    };
    static const CBLAS_ORDER orders[] = { CblasRowMajor, CblasColMajor };
    static const CBLAS_TRANSPOSE ts[] = { CblasNoTrans, CblasTrans };
    double a[LD * LD], b[LD * LD], c1[LD * LD], c2[LD * LD];
    crm_rng rng;
    int cases = 0;
    (void)state;
    crm_rng_seed(&rng, 5);
    for (int i = 0; i < LD * LD; i++) {
        a[i] = crm_rng_uniform(&rng) - 0.5;
        b[i] = crm_rng_uniform(&rng) * 3.0 - 1.0;
    }
    for (int o = 0; o < 2; o++) {
        for (int x = 0; x < 2; x++) {
            for (int y = 0; y < 2; y++) {
                for (int z = 0; z < 2; z++) {
                    double beta = z == 0 ? 0.0 : 0.75;
                    for (int i = 0; i < LD * LD; i++) {
                        c1[i] = c2[i] = z == 0 ? 1e300 : (double)i; /* beta 0: never read */
                    }
                    cblas_dgemm(orders[o], ts[x], ts[y], M, N, K, -2.0, a, LD, b, LD, beta, c1, LD);
                    dgemm_plain(orders[o], ts[x], ts[y], M, N, K, -2.0, a, LD, b, LD, beta, c2, LD);
                    for (int i = 0; i < LD * LD; i++) {
                        assert_true(fabs(c1[i] - c2[i]) <= 1e-12 * (1.0 + fabs(c2[i])));
                    }
                    /* and the loops are right: element (1, 2) by hand */
                    {
                        double s = 0.0;
                        for (int p = 0; p < K; p++) {
                            double aa = (orders[o] == CblasRowMajor) == (ts[x] == CblasNoTrans)
                                            ? a[1 * LD + p]
                                            : a[p * LD + 1];
                            double bb = (orders[o] == CblasRowMajor) == (ts[y] == CblasNoTrans)
                                            ? b[p * LD + 2]
                                            : b[2 * LD + p];
                            s += aa * bb;
                        }
                        s *= -2.0;
                        if (z == 1) {
                            s += 0.75 * (orders[o] == CblasRowMajor ? 1 * LD + 2 : 2 * LD + 1);
                        }
                        assert_true(fabs(c2[orders[o] == CblasRowMajor ? 1 * LD + 2 : 2 * LD + 1] -
                                         s) <= 1e-12 * (1.0 + fabs(s)));
                    }
                    cases++;
                }
            }
        }
    }
    assert_int_equal(cases, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_format_names_file_line_column_and_field),
        cmocka_unit_test(matrix_init_rejects_negative_and_checks_finite),
        cmocka_unit_test(rng_is_reproducible_and_streams_differ),
        cmocka_unit_test(outfile_leaves_nothing_on_abort_and_renames_on_commit),
        cmocka_unit_test(failing_allocator_makes_matrix_init_return_enomem),
        cmocka_unit_test(parse_numbers_reject_junk),
        cmocka_unit_test(dgemm_through_openblas_matches_the_plain_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
