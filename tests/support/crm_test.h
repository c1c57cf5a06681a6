/* crm_test.h: what every cmocka test shares: closeness asserts that print %.17g, fixture
 * paths, temporary directories and a failing allocator for out-of-memory injection. */
#ifndef CRM_TEST_H
#define CRM_TEST_H
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

/* |actual - expected| <= atol + rtol * |expected|, both printed with %.17g on failure. */
#define crm_assert_close(actual, expected, rtol, atol)                                             \
    crm_test_assert_close((actual), (expected), (rtol), (atol), #actual, __FILE__, __LINE__)
void crm_test_assert_close(double actual,
                           double expected,
                           double rtol,
                           double atol,
                           const char *expr,
                           const char *file,
                           int line);

/* Path of a file under the source tree's tests/ folder ("data/x.csv", "golden/y.txt"):
 * a static buffer per call site is not needed, the result is a new string to free(). */
char *crm_test_path(const char *rel);
/* A fresh temporary directory (removed by crm_test_rmdir); returns a new string to free(). */
char *crm_test_tmpdir(void);
void crm_test_rmdir(const char *dir);
/* Read a whole file into a new NUL-terminated buffer (free()); NULL if absent. */
char *crm_test_read_file(const char *path, size_t *len);
/* Write text to path; returns 0 on success. */
int crm_test_write_file(const char *path, const char *text);

/* Failing allocator: the n-th allocation from now (0-based) and every later one fail while
 * it is installed. crm_test_alloc_live() counts blocks not yet freed (for leak checks). */
void crm_test_fail_after(long n);
void crm_test_alloc_reset(void);
long crm_test_alloc_live(void);
long crm_test_alloc_count(void);

#endif
