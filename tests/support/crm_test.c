/* crm_test.c: shared test helpers (see crm_test.h). */
#define _DEFAULT_SOURCE
#include "crm_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crmkit/alloc.h>

void crm_test_assert_close(double actual,
                           double expected,
                           double rtol,
                           double atol,
                           const char *expr,
                           const char *file,
                           int line)
{
    double diff = fabs(actual - expected);
    if (isnan(actual) && isnan(expected)) {
        return;
    }
    if (!(diff <= atol + rtol * fabs(expected))) {
        print_error("%s = %.17g, expected %.17g (diff %.3g, rtol %.3g, atol %.3g)\n", expr, actual,
                    expected, diff, rtol, atol);
        _fail(file, line);
    }
}

char *crm_test_path(const char *rel)
{
    size_t n = strlen(CRM_SOURCE_DIR) + strlen(rel) + 16;
    char *p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/tests/%s", CRM_SOURCE_DIR, rel);
    }
    return p;
}

char *crm_test_tmpdir(void)
{
    char tmpl[] = "/tmp/crmkit-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void crm_test_rmdir(const char *dir)
{
    char cmd[4200];
    if (dir == NULL || strncmp(dir, "/tmp/crmkit-test-", 17) != 0) {
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

char *crm_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

int crm_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);
    int bad;
    if (f == NULL) {
        return -1;
    }
    bad = fwrite(text, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* ---- failing allocator ---- */

static long fail_at = -1;
static long n_allocs;
static long n_live;

static void *t_malloc(void *ud, size_t n)
{
    void *p;
    (void)ud;
    if (fail_at >= 0 && n_allocs++ >= fail_at) {
        return NULL;
    }
    p = malloc(n);
    if (p != NULL) {
        n_live++;
    }
    return p;
}

static void *t_realloc(void *ud, void *p, size_t n)
{
    void *q;
    (void)ud;
    if (fail_at >= 0 && n_allocs++ >= fail_at) {
        return NULL;
    }
    q = realloc(p, n);
    if (q != NULL && p == NULL) {
        n_live++;
    }
    return q;
}

static void t_free(void *ud, void *p)
{
    (void)ud;
    if (p != NULL) {
        n_live--;
    }
    free(p);
}

void crm_test_fail_after(long n)
{
    static const crm_allocator a = { t_malloc, t_realloc, t_free, NULL };
    fail_at = n;
    n_allocs = 0;
    n_live = 0;
    crm_set_allocator(&a);
}

void crm_test_alloc_reset(void)
{
    fail_at = -1;
    crm_set_allocator(NULL);
}

long crm_test_alloc_live(void)
{
    return n_live;
}

long crm_test_alloc_count(void)
{
    return n_allocs;
}
