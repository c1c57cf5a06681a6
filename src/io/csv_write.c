/* csv_write.c: write a table as CSV (RFC 4180 quoting where needed, shortest exact numbers,
 * missing as empty) through crm_outfile, so a failure never leaves a partial file. Rows are
 * formatted in fixed blocks in parallel and written in order; the bytes do not depend on
 * the number of threads. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/outfile.h>

#include "core/core_internal.h"
#include "io_internal.h"

#define WRITE_BLOCK_ROWS 4096

typedef struct out_buf {
    char *p;
    size_t len;
    size_t cap;
    int failed;
} out_buf;

static int reserve(out_buf *b, size_t extra)
{
    if (b->failed) {
        return 0;
    }
    if (!crm__grow_bytes_from(&b->p, &b->cap, b->len + extra, 4096)) {
        b->failed = 1;
        return 0;
    }
    return 1;
}

static int needs_quotes(const char *s, size_t n)
{
    if (n == 0) {
        return 1; /* an empty level must not read back as missing */
    }
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
            return 1;
        }
    }
    /* Markers such as NA would read back as missing unless quoted. */
    return n <= 4 && (strcmp(s, "?") == 0 || strcmp(s, "NA") == 0 || strcmp(s, "na") == 0 ||
                      strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0 || strcmp(s, "N/A") == 0 ||
                      strcmp(s, "n/a") == 0 || strcmp(s, "null") == 0 || strcmp(s, "NULL") == 0 ||
                      strcmp(s, "Na") == 0 || strcmp(s, "nA") == 0);
}

static void put_text(out_buf *b, const char *s, size_t n)
{
    if (!needs_quotes(s, n)) {
        if (reserve(b, n)) {
            memcpy(b->p + b->len, s, n);
            b->len += n;
        }
        return;
    }
    if (!reserve(b, 2 * n + 2)) {
        return;
    }
    b->p[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            b->p[b->len++] = '"';
        }
        b->p[b->len++] = s[i];
    }
    b->p[b->len++] = '"';
}

static size_t level_len(const crm__dict *d, int32_t code)
{
    size_t end = code + 1 < d->n ? d->off[code + 1] : d->arena_len;
    return end - d->off[code] - 1;
}

static void format_rows(const crm_table *t, int64_t first, int64_t n, out_buf *b)
{
    for (int64_t i = first; i < first + n; i++) {
        for (int32_t j = 0; j < t->n_cols; j++) {
            const crm__col *c = &t->cols[j];
            if (j > 0 && reserve(b, 1)) {
                b->p[b->len++] = ',';
            }
            if (c->type == CRM_COL_NUMERIC) {
                if (!isnan(c->num[i]) && reserve(b, 32)) {
                    b->len += (size_t)crm__format_double(c->num[i], b->p + b->len);
                }
            } else if (c->codes[i] >= 0) {
                put_text(b, crm__dict_text(&c->dict, c->codes[i]),
                         level_len(&c->dict, c->codes[i]));
            }
        }
        if (reserve(b, 1)) {
            b->p[b->len++] = '\n';
        }
    }
}

crm_status crm_table_write_csv_fp(const crm_table *t, FILE *fp, int header, crm_error *err)
{
    out_buf head;
    out_buf *blocks = NULL;
    int64_t n_blocks = (t->n_rows + WRITE_BLOCK_ROWS - 1) / WRITE_BLOCK_ROWS;
    int64_t group = 64; /* blocks formatted per round, bounding memory */
    crm_status rc = CRM_OK;
    memset(&head, 0, sizeof head);
    if (t->n_cols == 0) {
        return crm__error_set(err, CRM_EINVAL, "table has no columns to write");
    }
    for (int32_t j = 0; header && j < t->n_cols; j++) {
        if (j > 0 && reserve(&head, 1)) {
            head.p[head.len++] = ',';
        }
        put_text(&head, t->cols[j].name, strlen(t->cols[j].name));
    }
    if (header && reserve(&head, 1)) {
        head.p[head.len++] = '\n';
    }
    blocks = crm_calloc((size_t)group, sizeof *blocks);
    if (head.failed || blocks == NULL) {
        crm_free(head.p);
        crm_free(blocks);
        return crm__error_nomem(err);
    }
    if (head.len > 0) {
        (void)fwrite(head.p, 1, head.len, fp);
    }
    for (int64_t g = 0; g < n_blocks && rc == CRM_OK; g += group) {
        int64_t nb = n_blocks - g < group ? n_blocks - g : group;
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t k = 0; k < nb; k++) {
            int64_t first = (g + k) * WRITE_BLOCK_ROWS;
            int64_t n = t->n_rows - first < WRITE_BLOCK_ROWS ? t->n_rows - first : WRITE_BLOCK_ROWS;
            blocks[k].len = 0;
            format_rows(t, first, n, &blocks[k]);
        }
        for (int64_t k = 0; k < nb; k++) {
            if (blocks[k].failed) {
                rc = crm__error_nomem(err);
                break;
            }
            (void)fwrite(blocks[k].p, 1, blocks[k].len, fp);
        }
    }
    for (int64_t k = 0; k < group; k++) {
        crm_free(blocks[k].p);
    }
    crm_free(blocks);
    crm_free(head.p);
    return rc;
}

crm_status crm_table_write_csv(const crm_table *t, const char *path, crm_error *err)
{
    crm_outfile *f = NULL;
    crm_status rc;
    if (t->n_cols == 0) {
        return crm__error_set(err, CRM_EINVAL, "table has no columns to write");
    }
    rc = crm_outfile_open(path, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm_table_write_csv_fp(t, crm_outfile_stream(f), 1, err);
    if (rc != CRM_OK) {
        crm_outfile_abort(f);
        return rc;
    }
    return crm_outfile_commit(f, err);
}
