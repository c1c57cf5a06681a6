/* golden_cluster.h: loading the scikit-learn golden files of tests/golden/cluster/ (numbers
 * separated by commas and newlines; expected.txt holds "key = value" lines). */
#ifndef CRM_GOLDEN_CLUSTER_H
#define CRM_GOLDEN_CLUSTER_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/matrix.h>

#include "crm_test.h"

/* All numbers of golden/cluster/<name> into a new array (free()); *n gets the count and
 * *n_cols the count on the first line. */
static double *golden_numbers(const char *name, long *n, long *n_cols)
{
    char rel[256];
    char *path;
    char *text;
    size_t len;
    double *v;
    long cap = 1024;
    long have = 0;
    char *p;
    snprintf(rel, sizeof rel, "golden/cluster/%s", name);
    path = crm_test_path(rel);
    text = crm_test_read_file(path, &len);
    free(path);
    assert_non_null(text);
    v = malloc((size_t)cap * sizeof(double));
    *n_cols = 0;
    p = text;
    while (*p != '\0') {
        char *end;
        double d;
        if (*p == ',' || *p == ' ' || *p == '\r' || *p == '\n') {
            if (*p == '\n' && *n_cols == 0) {
                *n_cols = have;
            }
            p++;
            continue;
        }
        d = strtod(p, &end);
        assert_true(end != p);
        if (have == cap) {
            cap *= 2;
            v = realloc(v, (size_t)cap * sizeof(double));
        }
        v[have++] = d;
        p = end;
    }
    if (*n_cols == 0) {
        *n_cols = have;
    }
    free(text);
    *n = have;
    return v;
}

/* Matrix from a golden CSV (initialised here; crm_matrix_fini it). */
static void golden_matrix(const char *name, crm_matrix *m)
{
    long n;
    long n_cols;
    double *v = golden_numbers(name, &n, &n_cols);
    assert_int_equal(crm_matrix_init(m, n / n_cols, n_cols, NULL), CRM_OK);
    for (long i = 0; i < n; i++) {
        CRM_ROW(m, i / n_cols)[i % n_cols] = v[i];
    }
    free(v);
}

static int32_t *golden_labels(const char *name, long *n)
{
    long n_cols;
    double *v = golden_numbers(name, n, &n_cols);
    int32_t *l = malloc((size_t)*n * sizeof(int32_t));
    for (long i = 0; i < *n; i++) {
        l[i] = (int32_t)v[i];
    }
    free(v);
    return l;
}

/* Value of "key = value" in golden/cluster/expected.txt; fails the test when absent. */
static double golden_value(const char *key)
{
    char *path = crm_test_path("golden/cluster/expected.txt");
    char *text = crm_test_read_file(path, NULL);
    size_t klen = strlen(key);
    double v = 0.0;
    int found = 0;
    free(path);
    assert_non_null(text);
    for (char *line = text; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        if (strncmp(line, key, klen) == 0 && strncmp(line + klen, " = ", 3) == 0) {
            v = strtod(line + klen + 3, NULL);
            found = 1;
        }
        line = next != NULL ? next + 1 : NULL;
    }
    free(text);
    if (!found) {
        fail_msg("key %s not in expected.txt", key);
    }
    return v;
}

#endif
