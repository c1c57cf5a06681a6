/* chunks.c: the parts of a split file as one pool of pieces that the ranks of a machine take
 * as each gets free (crm_dist_chunks_*, crmkit/dist.h).
 *
 * Parts of equal bytes take equal time only on idle cores: on a machine where other work
 * runs, one rank is slowed and the others wait for it at the next collective. Here the parts
 * of the ranks on one machine are cut into pieces, large first and smaller towards the end
 * (a quarter of what is left over the ranks, down to PIECE_MIN), and a counter in memory
 * the ranks share hands out the next piece. Every rank computes the same list of nominal
 * cuts; a piece starts just after the first newline at or after its nominal cut (as the
 * parts of crm_dist_split_file do), found when it is taken, so the pieces tile the pool.
 *
 * Compiled with and without MPI, as dist.c (dist_internal.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/dist.h>

#include "core/core_internal.h"
#include "dist_internal.h"

#define PIECE_MIN ((int64_t)1 << 20)

typedef struct piece {
    int64_t a, b;         /* nominal cuts */
    int64_t part0, part1; /* the part the piece lies in */
} piece;

struct crm_dist_chunks {
    int fd;
    piece *pieces;
    int64_t n;
    int64_t *next; /* the shared counter, or &own */
    int64_t own;
#if CRM_HAVE_MPI
    MPI_Comm node;
    MPI_Win win;
    int shared;
#endif
};

/* The pieces of parts[0..n_parts) (begin, end pairs, sorted by begin) into c. */
static int cut_pieces(crm_dist_chunks *c, const int64_t *parts, int n_parts, int n_ranks)
{
    int64_t left = 0;
    int64_t cap = 0;
    for (int q = 0; q < n_parts; q++) {
        left += parts[2 * q + 1] - parts[2 * q];
    }
    for (int q = 0; q < n_parts; q++) {
        int64_t at = parts[2 * q];
        int64_t end = parts[2 * q + 1];
        while (at < end) {
            int64_t size = left / (4 * (int64_t)n_ranks);
            if (size < PIECE_MIN) {
                size = PIECE_MIN;
            }
            if (size > end - at) {
                size = end - at;
            }
            if (c->n == cap &&
                !crm__grow_items(&c->pieces, &cap, c->n + 1, sizeof *c->pieces, 64)) {
                return 0;
            }
            c->pieces[c->n++] = (piece){ at, at + size, parts[2 * q], end };
            at += size;
            left -= size;
        }
    }
    return 1;
}

/* Parts of the ranks sharing this machine (begin, end pairs sorted by begin) into *parts;
 * 0 when they cannot share a counter (then c->next is &c->own). */
#if CRM_HAVE_MPI
static int cmp_part(const void *x, const void *y)
{
    const int64_t *a = x;
    const int64_t *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

static int share_counter(crm_dist_chunks *c, const int64_t mine[2], int64_t **parts, int *n_parts)
{
    int n_node = 0;
    int me = 0;
    int ok;
    int all_ok = 0;
    MPI_Aint size = 0;
    int disp = 0;
    int64_t *base = NULL;
    c->node = MPI_COMM_NULL;
    c->win = MPI_WIN_NULL;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &c->node) !=
        MPI_SUCCESS) {
        c->node = MPI_COMM_NULL;
        return 0; /* every rank gets the same answer from the same collective */
    }
    MPI_Comm_set_errhandler(c->node, MPI_ERRORS_RETURN);
    MPI_Comm_size(c->node, &n_node);
    MPI_Comm_rank(c->node, &me);
    *parts = crm_mallocarray((size_t)n_node * 2, sizeof **parts);
    ok = *parts != NULL;
    if (ok && MPI_Win_allocate_shared(me == 0 ? (MPI_Aint)sizeof(int64_t) : 0, 1, MPI_INFO_NULL,
                                      c->node, &base, &c->win) != MPI_SUCCESS) {
        c->win = MPI_WIN_NULL;
        ok = 0;
    }
    if (ok && MPI_Win_shared_query(c->win, 0, &size, &disp, &c->next) != MPI_SUCCESS) {
        ok = 0;
    }
    ok = ok && size >= (MPI_Aint)sizeof(int64_t);
    if (ok && me == 0) {
        __atomic_store_n(c->next, 0, __ATOMIC_SEQ_CST);
    }
    if (MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, c->node) != MPI_SUCCESS) {
        all_ok = 0;
    }
    if (all_ok &&
        MPI_Allgather(mine, 2, MPI_INT64_T, *parts, 2, MPI_INT64_T, c->node) != MPI_SUCCESS) {
        all_ok = 0; /* (the counter's start above is seen by all after the collectives) */
    }
    if (!all_ok) {
        return 0;
    }
    *n_parts = n_node;
    qsort(*parts, (size_t)n_node, 2 * sizeof **parts, cmp_part);
    c->shared = 1;
    return 1;
}
#endif

/* Free what share_counter made (collective on the machine's ranks). */
static void unshare(crm_dist_chunks *c)
{
#if CRM_HAVE_MPI
    if (c->win != MPI_WIN_NULL) {
        MPI_Win_free(&c->win);
    }
    if (c->node != MPI_COMM_NULL) {
        MPI_Comm_free(&c->node);
    }
#else
    (void)c;
#endif
}

crm_status crm_dist_chunks_open(const char *path,
                                const crm_dist_range *r,
                                crm_dist_chunks **out,
                                crm_error *err)
{
    crm_dist_chunks *c = crm_calloc(1, sizeof *c);
    crm_dist_chunks none;
    int64_t mine[2];
    int64_t *parts = NULL;
    int n_parts = 1;
    int n_ranks = 1;
    crm_status st = CRM_OK;
    *out = NULL;
    memset(&none, 0, sizeof none);
    none.fd = -1;
    if (c == NULL) {
        st = crm__error_nomem(err);
        c = &none; /* still takes part in the collectives below */
    }
    c->next = &c->own;
    c->fd = st == CRM_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (st == CRM_OK && c->fd < 0) {
        st = crm__error_errno_input(err, errno, path, "opening");
    }
    /* rank 0's part starts with the header: its records start after it */
    mine[0] = r->begin < r->header_end ? r->header_end : r->begin;
    mine[1] = r->end > mine[0] ? r->end : mine[0];
#if CRM_HAVE_MPI
    c->node = MPI_COMM_NULL;
    c->win = MPI_WIN_NULL;
    if (crm_dist_active()) {
        if (!share_counter(c, mine, &parts, &n_parts)) {
            n_parts = 1;
            c->next = &c->own;
        } else {
            MPI_Comm_size(c->node, &n_ranks);
        }
    }
#endif
    if (st == CRM_OK && n_parts == 1) {
        crm_free(parts);
        parts = crm_mallocarray(2, sizeof *parts);
        if (parts != NULL) {
            parts[0] = mine[0];
            parts[1] = mine[1];
        }
    }
    if (st == CRM_OK && (parts == NULL || !cut_pieces(c, parts, n_parts, n_ranks))) {
        st = crm__error_nomem(err);
    }
    crm_free(parts);
    st = crm_dist_agree(st, err);
    if (st != CRM_OK) {
        if (c == &none) {
            unshare(c);
        } else {
            crm_dist_chunks_close(c);
        }
        return st;
    }
    *out = c;
    return CRM_OK;
}

int crm_dist_chunks_next(crm_dist_chunks *c, int64_t *begin, int64_t *end)
{
    for (;;) {
        int64_t k = __atomic_fetch_add(c->next, 1, __ATOMIC_RELAXED);
        const piece *p;
        if (k >= c->n) {
            return 0;
        }
        p = &c->pieces[k];
        *begin = p->a;
        *end = p->b;
        if ((p->a != p->part0 &&
             crm__dist_next_line_start(c->fd, p->a - 1, p->part1, begin, NULL, NULL) != CRM_OK) ||
            (p->b != p->part1 &&
             crm__dist_next_line_start(c->fd, p->b - 1, p->part1, end, NULL, NULL) != CRM_OK)) {
            return -1;
        }
        if (*begin < *end) {
            return 1;
        }
    }
}

void crm_dist_chunks_close(crm_dist_chunks *c)
{
    if (c == NULL) {
        return;
    }
    unshare(c);
    if (c->fd >= 0) {
        close(c->fd);
    }
    crm_free(c->pieces);
    crm_free(c);
}
