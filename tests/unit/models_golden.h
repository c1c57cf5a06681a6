/* models_golden.h: reader for the golden files of scripts/golden/make_models_golden.py
 * (blocks of "name rows cols" followed by rows x cols numbers). Shared by the classifier
 * tests; everything is static so each test executable has its own copy. */
#ifndef CRM_MODELS_GOLDEN_H
#define CRM_MODELS_GOLDEN_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/matrix.h>

typedef struct golden {
    char *text; /* whole file */
} golden;

static inline golden golden_open(const char *rel)
{
    golden g;
    char *path = crm_test_path(rel);
    g.text = crm_test_read_file(path, NULL);
    free(path);
    assert_non_null(g.text);
    return g;
}

static inline void golden_close(golden *g)
{
    free(g->text);
    g->text = NULL;
}

/* Find block name; returns its values in a new matrix (crm_matrix_fini it). */
static inline crm_matrix golden_get(const golden *g, const char *name)
{
    crm_matrix m;
    size_t nlen = strlen(name);
    const char *p = g->text;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, nlen) == 0 && p[nlen] == ' ') {
            char *end;
            long rows = strtol(p + nlen + 1, &end, 10);
            long cols = strtol(end, &end, 10);
            assert_int_equal(crm_matrix_init(&m, rows, cols, NULL), CRM_OK);
            for (long i = 0; i < rows * cols; i++) {
                m.data[i] = strtod(end, &end);
            }
            return m;
        }
        p = strchr(p, '\n');
        if (p != NULL) {
            p++;
        }
    }
    fail_msg("golden block %s not found", name);
    memset(&m, 0, sizeof m);
    return m;
}

/* Labels of a one-column block as int32 (malloc'd). */
static inline int32_t *golden_labels(const golden *g, const char *name, int64_t *n)
{
    crm_matrix m = golden_get(g, name);
    int32_t *y = malloc((size_t)m.n_rows * sizeof *y);
    for (int64_t i = 0; i < m.n_rows; i++) {
        y[i] = (int32_t)m.data[i];
    }
    *n = m.n_rows;
    crm_matrix_fini(&m);
    return y;
}

#endif
