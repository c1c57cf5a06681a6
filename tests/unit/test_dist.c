/* test_dist.c: crmkit/dist.h as one rank (no mpirun): the collectives keep their contracts
 * locally, the file split reads the whole file with line numbers, quoted newlines and gzip
 * are handled as documented, and part buffers map error lines back to the file. The
 * multi-rank behaviour is tested under mpirun by tests/cli/test_mpi_*.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>

#include "crm_test.h"

static void one_rank_without_mpirun(void **state)
{
    crm_error err;
    (void)state;
    assert_int_equal(crm_dist_init(NULL, NULL, &err), CRM_OK);
    assert_int_equal(crm_dist_rank(), 0);
    assert_int_equal(crm_dist_size(), 1);
    assert_int_equal(crm_dist_active(), 0);
    assert_int_equal(crm_dist_quiet(), 0);
    (void)crm_dist_set_replicated(1);
    assert_int_equal(crm_dist_replicated(), 0); /* only an active job is replicated */
    (void)crm_dist_set_replicated(0);
}

static void agree_returns_own_error(void **state)
{
    crm_error err;
    (void)state;
    crm_error_clear(&err);
    assert_int_equal(crm_dist_agree(CRM_OK, &err), CRM_OK);
    snprintf(err.msg, sizeof err.msg, "bad row");
    err.line = 7;
    assert_int_equal(crm_dist_agree(CRM_EPARSE, &err), CRM_EPARSE);
    assert_int_equal(err.code, CRM_EPARSE);
    assert_int_equal(err.line, 7);
    assert_string_equal(err.msg, "bad row");
}

static void reductions_and_gathers(void **state)
{
    crm_error err;
    int64_t v[2] = { 3, -4 };
    double d[2] = { 1.5, NAN };
    int64_t before = -1;
    int64_t total = -1;
    double parts[6] = { 1, 2, 3, 4, 5, 6 }; /* 3 blocks of width 2 */
    double out[2];
    double *all = NULL;
    int64_t n_all = 0;
    int64_t counts[1];
    void *bytes = NULL;
    size_t n_bytes = 0;
    (void)state;
    assert_int_equal(crm_dist_allreduce_i64(v, 2, CRM_DIST_SUM, &err), CRM_OK);
    assert_int_equal(v[0], 3);
    assert_int_equal(v[1], -4);
    assert_int_equal(crm_dist_allreduce_f64(d, 2, CRM_DIST_MAX, &err), CRM_OK);
    assert_true(d[0] == 1.5 && isnan(d[1]));
    assert_int_equal(crm_dist_allreduce_f64(d, 2, CRM_DIST_SUM, &err), CRM_EINVAL);
    assert_int_equal(crm_dist_scan_i64(42, &before, &total, &err), CRM_OK);
    assert_int_equal(before, 0);
    assert_int_equal(total, 42);
    assert_int_equal(crm_dist_sum_blocks(parts, 3, 2, out, &err), CRM_OK);
    assert_true(out[0] == 9.0 && out[1] == 12.0);
    assert_int_equal(crm_dist_allgather_f64(parts, 6, &all, &n_all, counts, &err), CRM_OK);
    assert_int_equal(n_all, 6);
    assert_int_equal(counts[0], 6);
    assert_true(all[5] == 6.0);
    crm_free(all);
    assert_int_equal(crm_dist_gather_bytes("abc", 3, 0, &bytes, &n_bytes, NULL, &err), CRM_OK);
    assert_int_equal(n_bytes, 3);
    assert_memory_equal(bytes, "abc", 3);
    crm_free(bytes);
}

static void realign_is_identity_on_one_rank(void **state)
{
    crm_error err;
    int64_t n = 5;
    int64_t first = -1;
    int32_t *rows = crm_mallocarray(5, sizeof *rows);
    (void)state;
    for (int i = 0; i < 5; i++) {
        rows[i] = 10 + i;
    }
    assert_int_equal(crm_dist_realign_rows((void **)&rows, &n, sizeof *rows, 4, &first, &err),
                     CRM_OK);
    assert_int_equal(n, 5);
    assert_int_equal(first, 0);
    assert_int_equal(rows[4], 14);
    crm_free(rows);
}

static void block_ranges_cover_all_blocks(void **state)
{
    (void)state;
    /* 10 blocks of 4096 rows (the last partial) over 3 ranks: 0-3, 3-6, 6-10 */
    int64_t b0;
    int64_t b1;
    int64_t next = 0;
    for (int r = 0; r < 3; r++) {
        crm_dist_block_range(9 * 4096 + 1, r, 3, &b0, &b1);
        assert_int_equal(b0, next);
        next = b1;
    }
    assert_int_equal(next, 10);
    crm_dist_block_range(100, 0, 4, &b0, &b1); /* one block, four ranks: rank 0 none */
    assert_int_equal(b1 - b0, 0);
    crm_dist_block_range(100, 3, 4, &b0, &b1);
    assert_int_equal(b1 - b0, 1);
}

static void split_reads_whole_file_and_maps_lines(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[1024];
    crm_dist_range r;
    crm_error err;
    char *buf = NULL;
    size_t len = 0;
    (void)state;
    snprintf(path, sizeof path, "%s/t.csv", dir);
    assert_int_equal(crm_test_write_file(path, "a,b\n1,2\n3,4\n"), 0);
    assert_int_equal(crm_dist_split_file(path, &r, &err), CRM_OK);
    assert_int_equal(r.begin, 0);
    assert_int_equal(r.end, 12);
    assert_int_equal(r.first_line, 1);
    assert_int_equal(r.header_end, 4);
    assert_int_equal(crm_dist_read_part(path, &r, &buf, &len, &err), CRM_OK);
    assert_int_equal(len, 12);
    assert_memory_equal(buf, "a,b\n1,2\n3,4\n", 12);
    crm_free(buf);
    /* rank 0's part: its buffer lines are the file's */
    crm_error_clear(&err);
    err.line = 3;
    crm_dist_fix_error_line(&r, path, &err);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.source, path);
    /* a later part starting at file line 40: buffer line 2 is file line 40 */
    r.begin = 8;
    r.first_line = 40;
    err.line = 3;
    crm_dist_fix_error_line(&r, path, &err);
    assert_int_equal(err.line, 41);
    /* a quoted newline is fine on one rank (the split is not needed) */
    assert_int_equal(crm_test_write_file(path, "a,b\n\"x\ny\",2\n"), 0);
    assert_int_equal(crm_dist_split_file(path, &r, &err), CRM_OK);
    /* gzip cannot be cut by bytes */
    assert_int_equal(crm_test_write_file(path, "\x1f\x8b rest"), 0);
    assert_int_equal(crm_dist_split_file(path, &r, &err), CRM_EUNSUPPORTED);
    /* missing and empty files */
    assert_int_equal(crm_test_write_file(path, ""), 0);
    assert_int_equal(crm_dist_split_file(path, &r, &err), CRM_EDATA);
    snprintf(path, sizeof path, "%s/none.csv", dir);
    assert_int_equal(crm_dist_split_file(path, &r, &err), CRM_ENOTFOUND);
    crm_test_rmdir(dir);
    free(dir);
}

/* One rank's part as a pool of pieces: they tile its records (after the header) exactly, each
 * from a line start, larger ones first, and the pool is then empty. */
static void pieces_tile_the_part(void **state)
{
    char *dir = crm_test_tmpdir();
    char path[1024];
    crm_dist_range r;
    crm_dist_chunks *c = NULL;
    crm_error err;
    FILE *fp;
    char *text;
    long size;
    int64_t b0;
    int64_t b1;
    int64_t at;
    int64_t prev_len = -1;
    int n = 0;
    (void)state;
    snprintf(path, sizeof path, "%s/p.csv", dir);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("id,text\n", fp);
    for (int i = 0; i < 120000; i++) { /* about 6 MB, lines of 13 to 112 bytes */
        fprintf(fp, "%07d,%.*s\n", i, 4 + (i * 7919) % 100,
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                "abcdefghijklmnopqrstuvwxyz");
    }
    assert_int_equal(fclose(fp), 0);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    rewind(fp);
    text = malloc((size_t)size);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    assert_int_equal(crm_dist_split_file_unnumbered(path, &r, &err), CRM_OK);
    assert_int_equal(crm_dist_chunks_open(path, &r, &c, &err), CRM_OK);
    at = r.header_end;
    while (crm_dist_chunks_next(c, &b0, &b1) == 1) {
        assert_int_equal(b0, at);
        assert_true(b1 > b0);
        assert_true(text[b0 - 1] == '\n' && text[b1 - 1] == '\n');
        /* sizes fall (the last pieces are 1 MiB or what is left, near that) */
        assert_true(prev_len < 0 || b1 - b0 <= prev_len + 200);
        prev_len = b1 - b0;
        at = b1;
        n++;
    }
    assert_int_equal(at, size);
    assert_true(n >= 4);
    assert_int_equal(crm_dist_chunks_next(c, &b0, &b1), 0);
    crm_dist_chunks_close(c);
    /* an empty part gives no piece */
    r.begin = r.end = size;
    assert_int_equal(crm_dist_chunks_open(path, &r, &c, &err), CRM_OK);
    assert_int_equal(crm_dist_chunks_next(c, &b0, &b1), 0);
    crm_dist_chunks_close(c);
    free(text);
    crm_test_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_rank_without_mpirun),
        cmocka_unit_test(agree_returns_own_error),
        cmocka_unit_test(reductions_and_gathers),
        cmocka_unit_test(realign_is_identity_on_one_rank),
        cmocka_unit_test(block_ranges_cover_all_blocks),
        cmocka_unit_test(split_reads_whole_file_and_maps_lines),
        cmocka_unit_test(pieces_tile_the_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
