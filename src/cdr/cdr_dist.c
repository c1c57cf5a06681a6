/* cdr_dist.c: call detail records across processes (crm_cdr_aggregate_dist).
 *
 * Each process reads pieces of the file into a part (the tables of cdr.c): the byte ranges of
 * the processes on one machine are cut into pieces that each takes as it gets free
 * (crm_dist_chunks), so that one slowed by other work on the machine does not keep the
 * others waiting at the exchange; who reads which record changes no sum or set. The
 * customers are then dealt out by a hash of their id (crm__cdr_owner): every process sends
 * the sums and (caller, callee) pairs of the callers another owns to that process in one
 * all-to-all exchange, and each owner adds what it gets to its own tables, so the merge is
 * split across the processes rather than done by one. The owners make the features of their
 * customers (sorted by id) and process 0 merges the sorted runs. Integer sums and sets do not
 * depend on who added what, so the features are the bits of one process.
 *
 * Moving partial sums rather than records: with P processes, records would move about
 * (P - 1) / P of the file (the 10 million records of bench/mpi_scaling_cdr.sh: 300 MB for two
 * processes), the sums one accumulator per customer and process and the distinct pairs and
 * callees (about 9 MB there).
 *
 * Line numbers: the parts are cut without a pass to count their lines
 * (crm_dist_split_file_unnumbered) and the pieces have none; when a process fails, every
 * process reads its own byte range again, counting from the start of its part, the lines are
 * counted (crm_dist_split_file, which also refuses a quoted field spanning lines) and the
 * failing line put right before the error is agreed: the first bad record of the file. */
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/cdr.h>
#include <crmkit/dist.h>

#include "cdr_internal.h"
#include "core/core_internal.h"

/* Agree on st after reading the parts. When any process failed, count the lines of the
 * parts and put the line of this process's error right (it was counted from the part's
 * start), or report a quoted field that spans lines; then agree on the first error. */
static crm_status agree_read(crm_status st, const char *path, int split, crm_error *err)
{
    crm_error any = *err;
    crm_dist_range r;
    crm_status s2;
    if (crm_dist_agree(st, &any) == CRM_OK) {
        return CRM_OK;
    }
    if (!split) {
        return crm_dist_agree(st, err);
    }
    s2 = crm_dist_split_file(path, &r, &any); /* collective, agreed */
    if (s2 != CRM_OK) {
        *err = any;
        return s2;
    }
    if (st != CRM_OK && err->line > 0) {
        err->line += r.first_line - 1;
    }
    return crm_dist_agree(st, err);
}

static int next_piece(void *ud, int64_t *begin, int64_t *end)
{
    return crm_dist_chunks_next(ud, begin, end);
}

/* The run-wide summary: sums of the processes' counts, first and last days. */
static crm_status total_summary(const crm_cdr_summary *part,
                                const crm_cdr_summary *owned,
                                crm_cdr_summary *tot,
                                crm_error *err)
{
    int64_t *sums[8] = { &tot->n_records, &tot->n_used,    &tot->n_voice, &tot->n_sms,
                         &tot->n_data,    &tot->n_callees, &tot->n_pairs, &tot->n_customers };
    int64_t days[2] = { part->first_day >= 0 ? -part->first_day : INT64_MIN, part->last_day };
    int64_t v[8];
    crm_status st;
    *tot = *part;
    tot->n_callees = owned->n_callees;
    tot->n_pairs = owned->n_pairs;
    tot->n_customers = owned->n_customers;
    for (int k = 0; k < 8; k++) {
        v[k] = *sums[k];
    }
    st = crm_dist_allreduce_i64(v, 8, CRM_DIST_SUM, err);
    if (st == CRM_OK) {
        st = crm_dist_allreduce_i64(days, 2, CRM_DIST_MAX, err); /* -first, last */
    }
    for (int k = 0; k < 8; k++) {
        *sums[k] = v[k];
    }
    tot->first_day = days[0] == INT64_MIN ? -1 : -days[0];
    tot->last_day = days[1];
    return st;
}

crm_status crm_cdr_aggregate_dist(const char *path,
                                  const crm_cdr_params *p,
                                  const crm_progress *progress,
                                  crm_cdr_features **out,
                                  crm_error *err)
{
    int me = crm_dist_rank();
    int n = crm_dist_size();
    crm_dist_range r;
    crm_cdr_part *pt = NULL;
    crm_cdr_features *mine = NULL;
    crm_cdr_summary tot;
    char *send = NULL;
    char *recv = NULL;
    size_t *send_sizes = crm_calloc((size_t)n, sizeof *send_sizes);
    size_t *recv_sizes = crm_calloc((size_t)n, sizeof *recv_sizes);
    size_t len = 0;
    int split = 1;
    int read_again = 0;
    crm_dist_chunks *pieces = NULL;
    crm_status st = crm_dist_split_file_unnumbered(path, &r, err); /* agreed */
    *out = NULL;
    memset(&tot, 0, sizeof tot);
    if (st == CRM_EUNSUPPORTED) {
        crm_error_clear(err); /* gzip: process 0 reads it whole */
        st = CRM_OK;
        split = 0;
        r.begin = me == 0 ? -1 : 0;
        r.end = 0;
        r.first_line = 1;
    }
    if (st == CRM_OK) {
        st = crm_dist_agree(
            send_sizes == NULL || recv_sizes == NULL ? crm__error_nomem(err) : CRM_OK, err);
    }
    if (st == CRM_OK && split) {
        /* pieces of the parts of the processes on this machine, taken as this one gets free;
         * their lines are not numbered: on any failure every process reads its part again the
         * usual way below, which reports the first error in file order with its line */
        if (st == CRM_OK && crm_dist_chunks_open(path, &r, &pieces, err) == CRM_OK) {
            crm__cdr_source src = { .path = path, .first_line = 1, .next = next_piece };
            int more = crm_dist_chunks_next(pieces, &src.begin, &src.end);
            crm_status rs =
                more < 0 ? crm__error_at(err, CRM_EIO, path, 0, 0, "read failed") : CRM_OK;
            if (more == 0) {
                src.begin = src.end = r.header_end; /* the others took every piece */
            }
            src.next_ud = pieces;
            if (rs == CRM_OK) {
                rs = crm__cdr_aggregate_source(&src, p, progress, &pt, err);
            }
            read_again = crm_dist_agree(rs, err) != CRM_OK;
            crm_dist_chunks_close(pieces);
        } else {
            read_again = 1;
        }
        if (read_again) {
            crm_cdr_part_free(pt);
            pt = NULL;
            crm_error_clear(err);
        }
    }
    if (st == CRM_OK && (!split || read_again)) {
        st = crm_cdr_aggregate_part(path, r.begin, r.end, r.first_line, p, progress, &pt, err);
        st = agree_read(st, path, split, err);
    }
    if (st == CRM_OK) {
        st = crm_dist_agree(crm__cdr_part_export_owned(pt, me, n, &send, send_sizes, err), err);
    }
    if (st == CRM_OK) {
        st = crm_dist_alltoall_bytes(send, send_sizes, (void **)&recv, recv_sizes, err);
        st = crm_dist_agree(st, err);
    }
    crm_free(send);
    send = NULL;
    if (st == CRM_OK) {
        for (int k = 0; st == CRM_OK && k < n; k++) {
            if (recv_sizes[k] > 0) {
                st = crm_cdr_part_merge(pt, recv + len, recv_sizes[k], err);
            }
            len += recv_sizes[k];
        }
        st = crm_dist_agree(st, err);
    }
    crm_free(recv);
    recv = NULL;
    if (st == CRM_OK) {
        st = crm_dist_agree(crm__cdr_part_finish_owned(pt, me, n, &mine, err), err);
    }
    if (st == CRM_OK) {
        crm_cdr_summary part = crm__cdr_part_summary(pt);
        crm_cdr_summary owned = crm_cdr_features_summary(mine);
        st = crm_dist_agree(total_summary(&part, &owned, &tot, err), err);
    }
    if (st == CRM_OK && tot.n_customers == 0) {
        st = crm__error_at(err, CRM_EDATA, path, 0, 0, "%s",
                           tot.n_records == 0 ? "no records after the header"
                                              : "no records in the date window");
    }
    crm_cdr_part_free(pt);
    if (st == CRM_OK) {
        st = crm_dist_agree(crm__cdr_features_export(mine, &send, &len, err), err);
    }
    crm_cdr_features_free(mine);
    if (st == CRM_OK) {
        size_t n_all = 0;
        st = crm_dist_gather_bytes(send, len, 0, (void **)&recv, &n_all, recv_sizes, err);
        st = crm_dist_agree(st, err);
    }
    crm_free(send);
    if (st == CRM_OK && me == 0) {
        st = crm__cdr_features_merge(recv, recv_sizes, n, &tot, out, err);
    }
    CRM__FREE(recv, send_sizes, recv_sizes);
    return crm_dist_agree(st, err);
}
