/* dist.c: the collectives of crmkit/dist.h over MPI, and their one-rank stand-ins.
 *
 * MPI is initialised only when a launcher's variables are in the environment, so a normal run
 * never loads OpenMPI's plugins or opens its shared-memory segments. Every collective takes
 * its one-rank path when the job is not active, which is also all a build without MPI has.
 *
 * CMakeLists.txt compiles this file twice in a build with MPI: with Open MPI for crmkit-mpi
 * and libcrmkit, and with CRM_DIST_ONE_PROCESS (as a build without MPI) for the crmkit
 * program, which then does not load the MPI library. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/dist.h>
#include <crmkit/io.h>

#include "core/core_internal.h"
#include "dist_internal.h"

#if CRM_HAVE_MPI
#include <sched.h>
#endif

static int g_rank = 0;
static int g_size = 1;
static int g_inited = 0; /* we called MPI_Init */

/* Bytes per piece of a large transfer (MPI counts are int). */
#define PIECE ((size_t)1 << 30)

crm_status crm_dist_init(int *argc, char ***argv, crm_error *err)
{
    crm_error_clear(err);
#if CRM_HAVE_MPI
    if (!g_inited && crm_dist_launched()) {
        int provided = 0;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            return crm__error_set(err, CRM_EIO, "MPI_Init failed; running as one process");
        }
        g_inited = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &g_size);
        /* errors come back as codes, so a failed call becomes a crm_status */
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        /* one hash key for every process: the owner of an id is the same in each */
        {
            uint64_t seed = crm__hash_seed();
            if (MPI_Bcast(&seed, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
                /* processes with different keys would disagree on owners: no run at all */
                MPI_Abort(MPI_COMM_WORLD, 70); /* internal error, as the CLI documents it */
            }
            crm__hash_set_seed(seed);
        }
    }
#else
    (void)argc;
    (void)argv;
#endif
    return CRM_OK;
}

void crm_dist_finalize(void)
{
#if CRM_HAVE_MPI
    if (g_inited) {
        MPI_Finalize();
        g_inited = 0;
    }
#endif
}

void crm_dist_abort(int code)
{
#if CRM_HAVE_MPI
    if (g_inited) {
        MPI_Abort(MPI_COMM_WORLD, code);
    }
#endif
    exit(code);
}

int crm_dist_rank(void)
{
    return g_rank;
}

int crm_dist_size(void)
{
    return g_size;
}

int crm_dist_active(void)
{
    return g_inited && g_size > 1;
}

/* A mode flag: its setter (returns the previous value) and its reader (on only while cond). */
#define DIST_MODE(var, set_fn, get_fn, cond)                                                       \
    static int var = 0;                                                                            \
    int set_fn(int on)                                                                             \
    {                                                                                              \
        int old = var;                                                                             \
        var = on != 0;                                                                             \
        return old;                                                                                \
    }                                                                                              \
    int get_fn(void)                                                                               \
    {                                                                                              \
        return var && (cond);                                                                      \
    }

DIST_MODE(g_replicated, crm_dist_set_replicated, crm_dist_replicated, crm_dist_active())
DIST_MODE(g_local_rows, crm_dist_set_local_rows, crm_dist_local_rows, crm_dist_replicated())

void crm_dist_own_rows(int64_t n, int64_t *r0, int64_t *r1)
{
    int64_t b0 = 0;
    int64_t b1 = 0;
    if (!crm_dist_replicated()) {
        *r0 = 0;
        *r1 = n;
        return;
    }
    crm_dist_block_range(n, g_rank, g_size, &b0, &b1);
    *r0 = b0 * CRM_BLOCK_ROWS < n ? b0 * CRM_BLOCK_ROWS : n;
    *r1 = b1 * CRM_BLOCK_ROWS < n ? b1 * CRM_BLOCK_ROWS : n;
}

int crm_dist_quiet(void)
{
    return crm_dist_active() && g_rank != 0;
}

#if CRM_HAVE_MPI
static crm_status mpi_fail(crm_error *err, int rc, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) {
        len = 0;
    }
    text[len < MPI_MAX_ERROR_STRING ? len : MPI_MAX_ERROR_STRING - 1] = '\0';
    return crm__error_set(err, CRM_EIO, "%s failed across ranks: %s", what, text);
}
#define MPI_CHECK(call, what)                                                                      \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != MPI_SUCCESS) {                                                                  \
            return mpi_fail(err, rc_, what);                                                       \
        }                                                                                          \
    } while (0)
#endif

/* ---- agreement ---------------------------------------------------------------------------- */

#if CRM_HAVE_MPI
/* Waits for nonblocking requests without holding a core that another rank needs: the ranks
 * meet in a collective after a step of local work, where one may be behind the others, and
 * OpenMPI's waits poll a core flat out, taking it from the rank still working whenever the
 * job has fewer cores than ranks (or shares them). For the first YIELD_NS a rank polls and
 * yields the core between polls (sched_yield: another thread that wants the core gets it,
 * and when none does the poll goes on at once, so a short wait ends as soon as the other
 * rank arrives; sleeping there cost the k-means passes, a few ms of work between their
 * collectives, a sleep's wake-up each); after that it sleeps between polls (100 us, doubling
 * up to cap_ns), as a wait that long is for a rank far behind. */
#define YIELD_NS 20000000L

static int wait_reqs(int n, MPI_Request *reqs, long cap_ns)
{
    struct timespec t0;
    struct timespec t;
    long ns = 100000 < cap_ns ? 100000 : cap_ns;
    int yielding = 1;
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int done = 0;
        int rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS || done) {
            return rc;
        }
        if (yielding) {
            (void)clock_gettime(CLOCK_MONOTONIC, &t);
            yielding = (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < YIELD_NS;
        }
        if (yielding) {
            (void)sched_yield();
        } else {
            struct timespec ts = { 0, ns };
            (void)nanosleep(&ts, NULL);
            ns = ns < cap_ns / 2 ? ns * 2 : cap_ns;
        }
    }
}

static int polite_wait(MPI_Request *req, long cap_ns)
{
    return wait_reqs(1, req, cap_ns);
}

#define WAIT_LONG  1000000L /* after a step of local work of any length: reading, parsing */
#define WAIT_SHORT 200000L  /* between the passes of a computation */

/* MPI_Allreduce(MIN) of one int, waiting politely (polite_wait). */
static int polite_min(int *mine, int *out)
{
    MPI_Request req;
    int rc = MPI_Iallreduce(mine, out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
    return rc == MPI_SUCCESS ? polite_wait(&req, WAIT_LONG) : rc;
}
#endif

crm_status crm_dist_agree(crm_status st, crm_error *err)
{
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        int mine = st != CRM_OK ? g_rank : g_size;
        int first = g_size;
        int rc = polite_min(&mine, &first);
        if (rc != MPI_SUCCESS) {
            return mpi_fail(err, rc, "agreeing on errors");
        }
        if (first == g_size) {
            return CRM_OK;
        }
        if (first == g_rank) {
            err->code = st;
        }
        rc = MPI_Bcast(err, (int)sizeof *err, MPI_BYTE, first, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) {
            return mpi_fail(err, rc, "agreeing on errors");
        }
        err->msg[sizeof err->msg - 1] = '\0';
        err->source[sizeof err->source - 1] = '\0';
        err->field[sizeof err->field - 1] = '\0';
        return err->code;
    }
#endif
    if (st != CRM_OK && err != NULL) {
        err->code = st;
    }
    return st;
}

/* ---- broadcast, scans, reductions --------------------------------------------------------- */

crm_status crm_dist_bcast(void *buf, size_t n, int root, crm_error *err)
{
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        for (size_t off = 0; off < n; off += PIECE) {
            size_t m = n - off < PIECE ? n - off : PIECE;
            MPI_CHECK(MPI_Bcast((char *)buf + off, (int)m, MPI_BYTE, root, MPI_COMM_WORLD),
                      "broadcast");
        }
    }
#else
    (void)buf;
    (void)n;
    (void)root;
#endif
    (void)err;
    return CRM_OK;
}

crm_status crm_dist_bcast_blob(void **buf, size_t *n, int root, crm_error *err)
{
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        uint64_t len = g_rank == root ? (uint64_t)*n : 0;
        crm_status st = crm_dist_bcast(&len, sizeof len, root, err);
        if (st != CRM_OK) {
            return st;
        }
        if (g_rank != root) {
            *buf = crm_malloc(len > 0 ? (size_t)len : 1);
            *n = (size_t)len;
        }
        st = crm_dist_agree(*buf == NULL ? crm__error_nomem(err) : CRM_OK, err);
        if (st != CRM_OK) {
            if (g_rank != root) {
                crm_free(*buf);
                *buf = NULL;
            }
            return st;
        }
        return crm_dist_bcast(*buf, (size_t)len, root, err);
    }
#else
    (void)buf;
    (void)n;
    (void)root;
#endif
    (void)err;
    return CRM_OK;
}

#if CRM_HAVE_MPI
/* Rank 0: standard input to its end, in a growing block. */
static crm_status read_stdin(char **buf, size_t *len, crm_error *err)
{
    size_t cap = 0;
    *buf = NULL;
    *len = 0;
    for (;;) {
        ssize_t got;
        if (!crm__grow_bytes_from(buf, &cap, *len + 65536, 65536)) {
            return crm__error_nomem(err);
        }
        got = read(STDIN_FILENO, *buf + *len, cap - *len);
        if (got == 0) {
            return CRM_OK;
        }
        if (got < 0 && errno != EINTR) {
            return crm__error_errno_input(err, errno, "<stdin>", "reading");
        }
        *len += got > 0 ? (size_t)got : 0;
    }
}

/* The bytes as this process's descriptor 0: a memory file, read from its start. */
static crm_status stdin_from_bytes(const char *buf, size_t len, crm_error *err)
{
    int fd = memfd_create("crmkit-stdin", MFD_CLOEXEC);
    size_t off = 0;
    crm_status st = CRM_OK;
    if (fd < 0) {
        return crm__error_errno_input(err, errno, "<stdin>", "keeping a copy of");
    }
    while (off < len && st == CRM_OK) {
        ssize_t put = write(fd, buf + off, len - off);
        if (put < 0 && errno != EINTR) {
            st = crm__error_errno_input(err, errno, "<stdin>", "keeping a copy of");
        }
        off += put > 0 ? (size_t)put : 0;
    }
    if (st == CRM_OK && (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0)) {
        st = crm__error_errno_input(err, errno, "<stdin>", "keeping a copy of");
    }
    close(fd);
    return st;
}
#endif

crm_status crm_dist_share_stdin(crm_error *err)
{
#if CRM_HAVE_MPI
    static int shared = 0;
    char *buf = NULL;
    size_t len = 0;
    crm_status st = CRM_OK;
    if (!crm_dist_active() || shared) {
        return CRM_OK;
    }
    shared = 1;
    if (g_rank == 0) {
        st = read_stdin(&buf, &len, err);
    }
    st = crm_dist_agree(st, err);
    if (st == CRM_OK) {
        st = crm_dist_bcast_blob((void **)&buf, &len, 0, err);
    }
    if (st == CRM_OK) {
        st = crm_dist_agree(stdin_from_bytes(buf, len, err), err);
    }
    crm_free(buf);
    return st;
#else
    (void)err;
    return CRM_OK;
#endif
}

crm_status crm_dist_allreduce_i64(int64_t *v, size_t n, crm_dist_op op, crm_error *err)
{
#if CRM_HAVE_MPI
    if (crm_dist_active() && n > 0) {
        MPI_Op o = op == CRM_DIST_SUM ? MPI_SUM : op == CRM_DIST_MIN ? MPI_MIN : MPI_MAX;
        MPI_Request req;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, v, (int)n, MPI_INT64_T, o, MPI_COMM_WORLD, &req);
        MPI_CHECK(rc == MPI_SUCCESS ? polite_wait(&req, WAIT_SHORT) : rc, "reduction");
    }
#else
    (void)v;
    (void)n;
    (void)op;
#endif
    (void)err;
    return CRM_OK;
}

crm_status crm_dist_allreduce_f64(double *v, size_t n, crm_dist_op op, crm_error *err)
{
    if (op == CRM_DIST_SUM) {
        return crm__error_set(err, CRM_EINVAL,
                              "a floating-point sum across ranks depends on its order; gather "
                              "the block partials instead (crm_dist_sum_blocks)");
    }
#if CRM_HAVE_MPI
    if (crm_dist_active() && n > 0) {
        /* NaN would make MIN/MAX depend on the order: replace it by the neutral element, and
         * restore NaN where every rank had it. */
        double neutral = op == CRM_DIST_MIN ? INFINITY : -INFINITY;
        int64_t *nan_all = crm_mallocarray(n, sizeof *nan_all);
        if (nan_all == NULL) {
            return crm__error_nomem(err);
        }
        for (size_t i = 0; i < n; i++) {
            nan_all[i] = isnan(v[i]) ? 1 : 0;
            if (nan_all[i]) {
                v[i] = neutral;
            }
        }
        MPI_Request req[2];
        int rc = MPI_Iallreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE,
                                op == CRM_DIST_MIN ? MPI_MIN : MPI_MAX, MPI_COMM_WORLD, &req[0]);
        if (rc == MPI_SUCCESS) {
            rc = polite_wait(&req[0], WAIT_SHORT);
        }
        if (rc == MPI_SUCCESS) {
            rc = MPI_Iallreduce(MPI_IN_PLACE, nan_all, (int)n, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD,
                                &req[1]);
        }
        if (rc == MPI_SUCCESS) {
            rc = polite_wait(&req[1], WAIT_SHORT);
        }
        if (rc != MPI_SUCCESS) {
            crm_free(nan_all);
            return mpi_fail(err, rc, "reduction");
        }
        for (size_t i = 0; i < n; i++) {
            if (nan_all[i]) {
                v[i] = NAN;
            }
        }
        crm_free(nan_all);
    }
#else
    (void)v;
    (void)n;
#endif
    return CRM_OK;
}

crm_status crm_dist_scan_i64(int64_t v, int64_t *before, int64_t *total, crm_error *err)
{
    int64_t b = 0;
    int64_t t = v;
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        MPI_CHECK(MPI_Exscan(&v, &b, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD), "scan");
        if (g_rank == 0) {
            b = 0; /* MPI leaves rank 0's result undefined */
        }
        MPI_CHECK(MPI_Allreduce(&v, &t, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD), "scan");
    }
#endif
    (void)err;
    if (before != NULL) {
        *before = b;
    }
    if (total != NULL) {
        *total = t;
    }
    return CRM_OK;
}

/* ---- gathers -------------------------------------------------------------------------- */

/* Gather (root >= 0) or allgather (root < 0) of byte blobs, in pieces of at most PIECE bytes
 * per rank and round. */
static crm_status gather_bytes(const void *mine,
                               size_t n_mine,
                               int root,
                               void **all,
                               size_t *n_all,
                               size_t *sizes,
                               crm_error *err)
{
    *all = NULL;
    *n_all = 0;
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        int P = g_size;
        int me_gets = root < 0 || root == g_rank;
        uint64_t my = (uint64_t)n_mine;
        uint64_t *len = crm_mallocarray((size_t)P, sizeof *len);
        size_t *off = crm_mallocarray((size_t)P, sizeof *off);
        int *cnt = crm_mallocarray((size_t)P, sizeof *cnt);
        int *dsp = crm_mallocarray((size_t)P, sizeof *dsp);
        char *out = NULL;
        char *stage = NULL;
        crm_status st = CRM_OK;
        int rc = MPI_SUCCESS;
        uint64_t total = 0;
        uint64_t rounds = 0;
        if (len == NULL || off == NULL || cnt == NULL || dsp == NULL) {
            st = crm__error_nomem(err);
        }
        st = crm_dist_agree(st, err);
        if (st != CRM_OK) {
            goto done;
        }
        rc = MPI_Allgather(&my, 1, MPI_UINT64_T, len, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) {
            st = mpi_fail(err, rc, "gathering sizes");
            goto done;
        }
        for (int r = 0; r < P; r++) {
            off[r] = (size_t)total;
            total += len[r];
            uint64_t q = (len[r] + PIECE - 1) / PIECE;
            rounds = q > rounds ? q : rounds;
        }
        if (me_gets) {
            out = crm_malloc(total > 0 ? (size_t)total : 1);
            /* one round's receive area, contiguous as MPI wants it */
            stage = rounds > 1 ? crm_malloc((size_t)P * PIECE) : NULL;
            if (out == NULL || (rounds > 1 && stage == NULL)) {
                st = crm__error_nomem(err);
            }
        }
        st = crm_dist_agree(st, err);
        if (st != CRM_OK) {
            goto done;
        }
        for (uint64_t q = 0; q < rounds; q++) {
            size_t base = (size_t)q * PIECE;
            int pos = 0;
            for (int r = 0; r < P; r++) {
                size_t have = len[r] > base ? (size_t)len[r] - base : 0;
                cnt[r] = (int)(have < PIECE ? have : PIECE);
                dsp[r] = pos;
                pos += cnt[r];
            }
            const char *send = (const char *)mine + base;
            int scnt = cnt[g_rank];
            char *recv = rounds > 1 ? stage : out;
            if (root < 0) {
                rc = MPI_Allgatherv(send, scnt, MPI_BYTE, recv, cnt, dsp, MPI_BYTE, MPI_COMM_WORLD);
            } else {
                rc = MPI_Gatherv(send, scnt, MPI_BYTE, recv, cnt, dsp, MPI_BYTE, root,
                                 MPI_COMM_WORLD);
            }
            if (rc != MPI_SUCCESS) {
                st = mpi_fail(err, rc, "gathering data");
                goto done;
            }
            if (rounds > 1 && me_gets) {
                for (int r = 0; r < P; r++) {
                    memcpy(out + off[r] + base, stage + dsp[r], (size_t)cnt[r]);
                }
            }
        }
        if (me_gets) {
            *all = out;
            *n_all = (size_t)total;
            out = NULL;
        }
        if (sizes != NULL) {
            for (int r = 0; r < P; r++) {
                sizes[r] = (size_t)len[r];
            }
        }
    done:
        crm_free(len);
        crm_free(off);
        crm_free(cnt);
        crm_free(dsp);
        crm_free(out);
        crm_free(stage);
        return st;
    }
#endif
    (void)root;
    *all = crm_malloc(n_mine > 0 ? n_mine : 1);
    if (*all == NULL) {
        return crm__error_nomem(err);
    }
    if (n_mine > 0) {
        memcpy(*all, mine, n_mine);
    }
    *n_all = n_mine;
    if (sizes != NULL) {
        sizes[0] = n_mine;
    }
    return CRM_OK;
}

crm_status crm_dist_gather_bytes(const void *mine,
                                 size_t n_mine,
                                 int root,
                                 void **all,
                                 size_t *n_all,
                                 size_t *sizes,
                                 crm_error *err)
{
    return gather_bytes(mine, n_mine, root < 0 ? 0 : root, all, n_all, sizes, err);
}

crm_status crm_dist_allgather_bytes(const void *mine,
                                    size_t n_mine,
                                    void **all,
                                    size_t *n_all,
                                    size_t *sizes,
                                    crm_error *err)
{
    return gather_bytes(mine, n_mine, -1, all, n_all, sizes, err);
}

static crm_status allgather_words(const void *mine,
                                  int64_t n_mine,
                                  void **all,
                                  int64_t *n_all,
                                  int64_t *counts,
                                  crm_error *err)
{
    size_t n = 0;
    size_t *sizes = NULL;
    crm_status st;
    if (counts != NULL) {
        sizes = crm_mallocarray((size_t)crm_dist_size(), sizeof *sizes);
        if (sizes == NULL) {
            st = crm__error_nomem(err);
            st = crm_dist_agree(st, err);
            return st;
        }
    }
    st = crm_dist_allgather_bytes(mine, (size_t)n_mine * 8, all, &n, sizes, err);
    if (st == CRM_OK) {
        *n_all = (int64_t)(n / 8);
        for (int r = 0; counts != NULL && r < crm_dist_size(); r++) {
            counts[r] = (int64_t)(sizes[r] / 8);
        }
    }
    crm_free(sizes);
    return st;
}

/* The typed faces of allgather_words (8-byte elements). */
#define DIST_ALLGATHER_TYPED(name, type)                                                           \
    crm_status name(const type *mine, int64_t n_mine, type **all, int64_t *n_all, int64_t *counts, \
                    crm_error *err)                                                                \
    {                                                                                              \
        return allgather_words(mine, n_mine, (void **)all, n_all, counts, err);                    \
    }

DIST_ALLGATHER_TYPED(crm_dist_allgather_f64, double)
DIST_ALLGATHER_TYPED(crm_dist_allgather_i64, int64_t)

crm_status crm_dist_allgather_known(const void *mine,
                                    void *all,
                                    const int64_t *counts,
                                    size_t elem,
                                    crm_error *err)
{
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        enum {
            STACK = 64
        };
        int cnt_s[STACK];
        int dsp_s[STACK];
        int *cnt = g_size <= STACK ? cnt_s : crm_mallocarray((size_t)g_size, sizeof(int));
        int *dsp = g_size <= STACK ? dsp_s : crm_mallocarray((size_t)g_size, sizeof(int));
        MPI_Datatype t = MPI_DATATYPE_NULL;
        int64_t pos = 0;
        int rc;
        if (cnt == NULL || dsp == NULL) {
            if (cnt != cnt_s) {
                crm_free(cnt);
            }
            if (dsp != dsp_s) {
                crm_free(dsp);
            }
            return crm__error_nomem(err);
        }
        for (int r = 0; r < g_size; r++) {
            cnt[r] = (int)counts[r];
            dsp[r] = (int)pos;
            pos += counts[r];
        }
        rc = MPI_Type_contiguous((int)elem, MPI_BYTE, &t);
        if (rc == MPI_SUCCESS) {
            rc = MPI_Type_commit(&t);
        }
        if (rc == MPI_SUCCESS) {
            MPI_Request req;
            rc = MPI_Iallgatherv(mine, cnt[g_rank], t, all, cnt, dsp, t, MPI_COMM_WORLD, &req);
            if (rc == MPI_SUCCESS) {
                rc = polite_wait(&req, WAIT_SHORT);
            }
        }
        if (t != MPI_DATATYPE_NULL) {
            MPI_Type_free(&t);
        }
        if (cnt != cnt_s) {
            crm_free(cnt);
        }
        if (dsp != dsp_s) {
            crm_free(dsp);
        }
        return rc == MPI_SUCCESS ? CRM_OK : mpi_fail(err, rc, "gathering data");
    }
#endif
    (void)err;
    if (all != mine && counts[0] > 0) {
        memmove(all, mine, (size_t)counts[0] * elem);
    }
    return CRM_OK;
}

crm_status crm_dist_sum_blocks(const double *parts,
                               int64_t n_blocks,
                               int64_t width,
                               double *out,
                               crm_error *err)
{
    double *all = NULL;
    int64_t n_all = 0;
    crm_status st = crm_dist_allgather_f64(parts, n_blocks * width, &all, &n_all, NULL, err);
    if (st != CRM_OK) {
        return st;
    }
    for (int64_t j = 0; j < width; j++) {
        out[j] = 0.0;
    }
    for (int64_t b = 0; width > 0 && b < n_all / width; b++) {
        for (int64_t j = 0; j < width; j++) {
            out[j] += all[b * width + j];
        }
    }
    crm_free(all);
    return CRM_OK;
}

void crm_dist_block_range(int64_t n_total, int rank, int size, int64_t *b0, int64_t *b1)
{
    int64_t nb = (n_total + CRM_BLOCK_ROWS - 1) / CRM_BLOCK_ROWS;
    if (size < 1) {
        size = 1;
    }
    *b0 = nb * rank / size;
    *b1 = nb * (rank + 1) / size;
}

/* ---- splitting a file ----------------------------------------------------------------- */

static crm_status read_at(int fd, char *buf, size_t n, int64_t at, const char *path, crm_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(at + (int64_t)got));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return crm__error_errno_input(err, r < 0 ? errno : EIO, path, "reading");
        }
        got += (size_t)r;
    }
    return CRM_OK;
}

crm_status crm__dist_next_line_start(int fd,
                                     int64_t pos,
                                     int64_t size,
                                     int64_t *out,
                                     const char *path,
                                     crm_error *err)
{
    char buf[4096]; /* a line ends within a few hundred bytes; longer ones take more reads */
    while (pos < size) {
        size_t m = (size_t)(size - pos < (int64_t)sizeof buf ? size - pos : (int64_t)sizeof buf);
        crm_status st = read_at(fd, buf, m, pos, path, err);
        if (st != CRM_OK) {
            return st;
        }
        char *nl = memchr(buf, '\n', m);
        if (nl != NULL) {
            *out = pos + (nl - buf) + 1;
            return CRM_OK;
        }
        pos += (int64_t)m;
    }
    *out = size;
    return CRM_OK;
}

/* Count newlines in [begin, end) and check that every line there has an even number of quote
 * characters; *bad_line gets the 0-based index (within the part) of the first odd line, or -1. */
static crm_status scan_part(int fd,
                            int64_t begin,
                            int64_t end,
                            char quote,
                            int64_t *newlines,
                            int64_t *bad_line,
                            const char *path,
                            crm_error *err)
{
    char *buf = crm_malloc((size_t)1 << 20);
    int64_t lines = 0;
    int odd = 0;
    *bad_line = -1;
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t pos = begin; pos < end;) {
        size_t m = (size_t)(end - pos < ((int64_t)1 << 20) ? end - pos : ((int64_t)1 << 20));
        crm_status st = read_at(fd, buf, m, pos, path, err);
        if (st != CRM_OK) {
            crm_free(buf);
            return st;
        }
        if (!odd && memchr(buf, quote, m) == NULL) {
            /* no quote in this piece (the usual case): count newlines without branches */
            int64_t nl = 0;
            for (size_t i = 0; i < m; i++) {
                nl += buf[i] == '\n';
            }
            lines += nl;
            pos += (int64_t)m;
            continue;
        }
        for (size_t i = 0; i < m; i++) {
            char c = buf[i];
            if (c == quote) {
                odd ^= 1;
            } else if (c == '\n') {
                if (odd && *bad_line < 0) {
                    *bad_line = lines;
                }
                lines++;
            }
        }
        pos += (int64_t)m;
    }
    if (odd && *bad_line < 0) {
        *bad_line = lines;
    }
    crm_free(buf);
    *newlines = lines;
    return CRM_OK;
}

static int g_split_unnumbered = 0; /* crm_dist_split_file_unnumbered: no scan of the part */

crm_status crm_dist_split_file(const char *path, crm_dist_range *r, crm_error *err)
{
    crm_status st = CRM_OK;
    int64_t size = 0;
    int64_t header_end = 0;
    int64_t begin = 0;
    int64_t end = 0;
    int64_t newlines = 0;
    int64_t bad = -1;
    int64_t lines_before = 0;
    int P = crm_dist_size();
    int me = crm_dist_rank();
    int is_stdin = strcmp(path, "-") == 0;
    int is_db = crm_table_source_is_database(path);
    int fd = is_stdin || is_db ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    memset(r, 0, sizeof *r);
    crm_error_clear(err);
    if (is_stdin || is_db) {
        st = crm__error_at(err, CRM_EUNSUPPORTED, is_stdin ? "<stdin>" : "database", 0, 0,
                           "%s is read whole, not split across ranks",
                           is_stdin ? "standard input" : "a database table");
    } else if (fd < 0) {
        st = crm__error_errno_input(err, errno, path, "opening");
    } else if (fstat(fd, &sb) != 0) {
        st = crm__error_errno_input(err, errno, path, "reading");
    } else if (!S_ISREG(sb.st_mode)) {
        st = crm__error_at(err, CRM_EUNSUPPORTED, path, 0, 0,
                           "only a regular file can be split across ranks");
    } else {
        unsigned char magic[2] = { 0, 0 };
        size = (int64_t)sb.st_size;
        if (size == 0) {
            st = crm__error_at(err, CRM_EDATA, path, 0, 0, "the file is empty");
        } else if (size >= 2 && (st = read_at(fd, (char *)magic, 2, 0, path, err)) == CRM_OK &&
                   magic[0] == 0x1f && magic[1] == 0x8b) {
            st = crm__error_at(err, CRM_EUNSUPPORTED, path, 0, 0,
                               "a gzip file cannot be split by bytes across ranks");
        }
    }
    if (st == CRM_OK) {
        st = crm__dist_next_line_start(fd, 0, size, &header_end, path, err);
    }
    if (st == CRM_OK) {
        int64_t body = size - header_end;
        int64_t nominal0 = header_end + body * me / P;
        int64_t nominal1 = header_end + body * (me + 1) / P;
        /* a part starts just after the newline before its nominal start */
        if (me == 0) {
            begin = 0;
        } else {
            st = crm__dist_next_line_start(fd, nominal0 - 1, size, &begin, path, err);
        }
        if (st == CRM_OK) {
            if (me == P - 1) {
                end = size;
            } else {
                st = crm__dist_next_line_start(fd, nominal1 - 1, size, &end, path, err);
            }
        }
        if (begin > end) {
            begin = end;
        }
    }
    if (st == CRM_OK && !g_split_unnumbered) {
        st = scan_part(fd, begin, end, '"', &newlines, &bad, path, err);
    }
    if (fd >= 0) {
        close(fd);
    }
    /* line numbers: the newlines of the parts before this one */
    {
        crm_error tmp;
        crm_status s2 = crm_dist_scan_i64(newlines, &lines_before, NULL, &tmp);
        if (st == CRM_OK && s2 != CRM_OK) {
            *err = tmp;
            st = s2;
        }
    }
    if (st == CRM_OK && bad >= 0 && P > 1) {
        st = crm__error_at(err, CRM_EPARSE, path, lines_before + 1 + bad, 0,
                           "a quoted field spans lines, which a file split across ranks "
                           "cannot have (run it without mpirun)");
    }
    st = crm_dist_agree(st, err);
    if (st != CRM_OK) {
        return st;
    }
    r->begin = begin;
    r->end = end;
    r->first_line = lines_before + 1;
    r->file_size = size;
    r->header_end = header_end;
    return CRM_OK;
}

crm_status crm_dist_read_part(const char *path,
                              const crm_dist_range *r,
                              char **buf,
                              size_t *len,
                              crm_error *err)
{
    int64_t head = r->begin == 0 ? 0 : r->header_end;
    int64_t body = r->end - r->begin;
    size_t n = (size_t)(head + body);
    char *b = crm_malloc(n + 1);
    crm_status st = CRM_OK;
    int fd;
    *buf = NULL;
    *len = 0;
    if (b == NULL) {
        return crm__error_nomem(err);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        crm_free(b);
        return crm__error_errno_input(err, errno, path, "opening");
    }
    if (head > 0) {
        st = read_at(fd, b, (size_t)head, 0, path, err);
    }
    if (st == CRM_OK && body > 0) {
        st = read_at(fd, b + head, (size_t)body, r->begin, path, err);
    }
    close(fd);
    if (st != CRM_OK) {
        crm_free(b);
        return st;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return CRM_OK;
}

void crm_dist_fix_error_line(const crm_dist_range *r, const char *path, crm_error *err)
{
    if (err == NULL) {
        return;
    }
    if (err->line > 1 && r->begin > 0) {
        err->line = r->first_line + (err->line - 2);
    }
    if (path != NULL) {
        crm__strlcpy(err->source, path, sizeof err->source);
    }
}

/* ---- realigning rows ------------------------------------------------------------------ */

crm_status crm_dist_realign_rows(void **rows,
                                 int64_t *n_rows,
                                 size_t row_bytes,
                                 int64_t align,
                                 int64_t *first_row,
                                 crm_error *err)
{
    int64_t before = 0;
    int64_t total = 0;
    crm_status st = crm_dist_scan_i64(*n_rows, &before, &total, err);
    if (st != CRM_OK) {
        return st;
    }
    *first_row = before;
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        int P = g_size;
        int64_t *starts = NULL;
        int64_t *tgt = crm_mallocarray((size_t)P + 1, sizeof *tgt);
        int *scnt = crm_mallocarray((size_t)P, sizeof(int));
        int *sdsp = crm_mallocarray((size_t)P, sizeof(int));
        int *rcnt = crm_mallocarray((size_t)P, sizeof(int));
        int *rdsp = crm_mallocarray((size_t)P, sizeof(int));
        char *out = NULL;
        int64_t n_starts = 0;
        int64_t new_n;
        MPI_Datatype row_t = MPI_DATATYPE_NULL;
        int rc;
        if (tgt == NULL || scnt == NULL || sdsp == NULL || rcnt == NULL || rdsp == NULL) {
            st = crm__error_nomem(err);
        }
        st = crm_dist_agree(st, err);
        if (st == CRM_OK) {
            st = crm_dist_allgather_i64(&before, 1, &starts, &n_starts, NULL, err);
        }
        if (st != CRM_OK) {
            goto done;
        }
        /* target start of rank r: its current start rounded down to a block boundary, never
         * below the previous rank's target */
        tgt[0] = 0;
        for (int r = 1; r < P; r++) {
            int64_t t = starts[r] / align * align;
            tgt[r] = t > tgt[r - 1] ? t : tgt[r - 1];
        }
        tgt[P] = total;
        new_n = tgt[g_rank + 1] - tgt[g_rank];
        for (int r = 0; r < P; r++) {
            int64_t lo = before > tgt[r] ? before : tgt[r];
            int64_t hi = before + *n_rows < tgt[r + 1] ? before + *n_rows : tgt[r + 1];
            scnt[r] = (int)(hi > lo ? hi - lo : 0);
            sdsp[r] = (int)(hi > lo ? lo - before : 0);
            int64_t s_r = starts[r];
            int64_t e_r = r + 1 < P ? starts[r + 1] : total;
            lo = s_r > tgt[g_rank] ? s_r : tgt[g_rank];
            hi = e_r < tgt[g_rank + 1] ? e_r : tgt[g_rank + 1];
            rcnt[r] = (int)(hi > lo ? hi - lo : 0);
            rdsp[r] = (int)(hi > lo ? lo - tgt[g_rank] : 0);
        }
        out = crm_malloc(new_n > 0 ? (size_t)new_n * row_bytes : 1);
        st = crm_dist_agree(out == NULL ? crm__error_nomem(err) : CRM_OK, err);
        if (st != CRM_OK) {
            goto done;
        }
        rc = MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &row_t);
        if (rc == MPI_SUCCESS) {
            rc = MPI_Type_commit(&row_t);
        }
        if (rc == MPI_SUCCESS) {
            rc = MPI_Alltoallv(*rows, scnt, sdsp, row_t, out, rcnt, rdsp, row_t, MPI_COMM_WORLD);
        }
        if (row_t != MPI_DATATYPE_NULL) {
            MPI_Type_free(&row_t);
        }
        if (rc != MPI_SUCCESS) {
            st = mpi_fail(err, rc, "moving rows");
            goto done;
        }
        crm_free(*rows);
        *rows = out;
        out = NULL;
        *n_rows = new_n;
        *first_row = tgt[g_rank];
    done:
        crm_free(starts);
        crm_free(tgt);
        crm_free(scnt);
        crm_free(sdsp);
        crm_free(rcnt);
        crm_free(rdsp);
        crm_free(out);
        return st;
    }
#endif
    (void)rows;
    (void)row_bytes;
    (void)align;
    return CRM_OK;
}

/* ---- splitting without counting lines; all-to-all of byte blobs ---------------------------- */

crm_status crm_dist_split_file_unnumbered(const char *path, crm_dist_range *r, crm_error *err)
{
    crm_status st;
    g_split_unnumbered = 1;
    st = crm_dist_split_file(path, r, err);
    g_split_unnumbered = 0;
    return st;
}

#if CRM_HAVE_MPI

/* Post the pieces (PIECE bytes at most) of n bytes at p to or from rank peer. */
static int post_pieces(char *p, uint64_t n, int peer, int send, MPI_Request *reqs, int *n_reqs)
{
    for (uint64_t off = 0; off < n; off += PIECE) {
        int m = (int)(n - off < PIECE ? n - off : PIECE);
        int rc = send ? MPI_Isend(p + off, m, MPI_BYTE, peer, 7, MPI_COMM_WORLD, &reqs[*n_reqs])
                      : MPI_Irecv(p + off, m, MPI_BYTE, peer, 7, MPI_COMM_WORLD, &reqs[*n_reqs]);
        if (rc != MPI_SUCCESS) {
            return rc;
        }
        (*n_reqs)++;
    }
    return MPI_SUCCESS;
}
#endif

crm_status crm_dist_alltoall_bytes(const void *send,
                                   const size_t *send_sizes,
                                   void **recv,
                                   size_t *recv_sizes,
                                   crm_error *err)
{
    size_t n_own = send_sizes[g_rank];
    size_t own_at = 0;
    *recv = NULL;
    for (int r = 0; r < g_rank; r++) {
        own_at += send_sizes[r];
    }
#if CRM_HAVE_MPI
    if (crm_dist_active()) {
        int P = g_size;
        uint64_t *sl = crm_mallocarray((size_t)P, sizeof *sl);
        uint64_t *rl = crm_mallocarray((size_t)P, sizeof *rl);
        MPI_Request *reqs = NULL;
        char *out = NULL;
        uint64_t total = 0;
        int64_t n_pieces = 0;
        int n_reqs = 0;
        int rc = MPI_SUCCESS;
        crm_status st = sl == NULL || rl == NULL ? crm__error_nomem(err) : CRM_OK;
        st = crm_dist_agree(st, err);
        if (st != CRM_OK) {
            goto done;
        }
        for (int r = 0; r < P; r++) {
            sl[r] = (uint64_t)send_sizes[r];
        }
        rc = MPI_Alltoall(sl, 1, MPI_UINT64_T, rl, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) {
            st = mpi_fail(err, rc, "exchanging sizes");
            goto done;
        }
        for (int r = 0; r < P; r++) {
            total += rl[r];
            if (r != g_rank) {
                n_pieces += (int64_t)((sl[r] + PIECE - 1) / PIECE + (rl[r] + PIECE - 1) / PIECE);
            }
        }
        out = crm_malloc(total > 0 ? (size_t)total : 1);
        reqs = crm_mallocarray((size_t)n_pieces + 1, sizeof *reqs);
        st = out == NULL || reqs == NULL || n_pieces > INT32_MAX ? crm__error_nomem(err) : CRM_OK;
        st = crm_dist_agree(st, err);
        if (st != CRM_OK) {
            goto done;
        }
        {
            uint64_t at_s = 0;
            uint64_t at_r = 0;
            for (int r = 0; r < P && rc == MPI_SUCCESS; r++) {
                if (r != g_rank) {
                    rc = post_pieces(out + at_r, rl[r], r, 0, reqs, &n_reqs);
                    if (rc == MPI_SUCCESS) {
                        rc = post_pieces((char *)send + at_s, sl[r], r, 1, reqs, &n_reqs);
                    }
                } else if (n_own > 0) {
                    memcpy(out + at_r, (const char *)send + own_at, n_own);
                }
                at_s += sl[r];
                at_r += rl[r];
            }
        }
        if (rc == MPI_SUCCESS) {
            rc = wait_reqs(n_reqs, reqs, WAIT_LONG);
        }
        if (rc != MPI_SUCCESS) {
            st = mpi_fail(err, rc, "exchanging data");
            goto done;
        }
        for (int r = 0; r < P; r++) {
            recv_sizes[r] = (size_t)rl[r];
        }
        *recv = out;
        out = NULL;
    done:
        crm_free(sl);
        crm_free(rl);
        crm_free(reqs);
        crm_free(out);
        return st;
    }
#endif
    *recv = crm_malloc(n_own > 0 ? n_own : 1);
    if (*recv == NULL) {
        return crm__error_nomem(err);
    }
    if (n_own > 0) {
        memcpy(*recv, (const char *)send + own_at, n_own);
    }
    recv_sizes[0] = n_own;
    return CRM_OK;
}

/* ---- independent results dealt out ------------------------------------------------------- */

/* What a rank says about its failures: the lowest item that failed (n_items: none). */
typedef struct item_fail {
    int64_t item;
    crm_error err;
} item_fail;

/* Concatenate (item, length, bytes) records of the items in mine into a new buffer. */
static crm_status pack_items(const int32_t *mine,
                             int32_t n_mine,
                             crm_dist_pack_fn pack,
                             void *ctx,
                             char **out,
                             size_t *n_out,
                             crm_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    crm_status st = CRM_OK;
    for (int32_t q = 0; st == CRM_OK && q < n_mine; q++) {
        void *blob = NULL;
        size_t n = 0;
        st = pack(ctx, mine[q], &blob, &n, err);
        if (st == CRM_OK) {
            char *grown = crm_realloc(buf, len + 16 + n + 1);
            int64_t head[2] = { mine[q], (int64_t)n };
            if (grown == NULL) {
                st = crm__error_nomem(err);
            } else {
                buf = grown;
                memcpy(buf + len, head, sizeof head);
                if (n > 0) {
                    memcpy(buf + len + 16, blob, n);
                }
                len += 16 + n;
            }
        }
        crm_free(blob);
    }
    if (st == CRM_OK) {
        *out = buf;
        *n_out = len;
    } else {
        crm_free(buf);
    }
    return st;
}

int crm_dist_deals(int64_t i)
{
    return !crm_dist_active() || i % g_size == g_rank;
}

crm_status crm_dist_share_items(const crm_status *rcs,
                                const crm_error *errs,
                                int32_t n_items,
                                const int32_t *mine,
                                int32_t n_mine,
                                crm_dist_pack_fn pack,
                                crm_dist_unpack_fn unpack,
                                void *ctx,
                                crm_error *err)
{
    item_fail me;
    item_fail *fails = NULL;
    char *buf = NULL;
    char *all = NULL;
    size_t n_buf = 0;
    size_t n_all = 0;
    size_t *sizes = NULL;
    crm_status st;
    memset(&me, 0, sizeof me);
    me.item = n_items;
    for (int32_t i = 0; i < n_items; i++) {
        if (rcs[i] != CRM_OK) {
            me.item = i;
            me.err = errs[i];
            me.err.code = rcs[i];
            break;
        }
    }
    if (!crm_dist_active()) {
        if (me.item < n_items) {
            *err = me.err;
            return me.err.code;
        }
        return CRM_OK;
    }
    st = crm_dist_allgather_bytes(&me, sizeof me, (void **)&fails, &n_all, NULL, err);
    st = crm_dist_agree(st, err);
    if (st != CRM_OK) {
        return st;
    }
    {
        int best = 0;
        for (int r = 1; r < g_size; r++) {
            best = fails[r].item < fails[best].item ? r : best;
        }
        if (fails[best].item < n_items) {
            *err = fails[best].err;
            st = err->code != CRM_OK ? err->code : CRM_EINTERNAL;
        }
    }
    crm_free(fails);
    if (st != CRM_OK) {
        return st;
    }
    sizes = crm_calloc((size_t)g_size, sizeof *sizes);
    st = sizes == NULL ? crm__error_nomem(err)
                       : pack_items(mine, n_mine, pack, ctx, &buf, &n_buf, err);
    st = crm_dist_agree(st, err);
    if (st == CRM_OK) {
        st = crm_dist_allgather_bytes(buf, n_buf, (void **)&all, &n_all, sizes, err);
        st = crm_dist_agree(st, err);
    }
    if (st == CRM_OK) {
        size_t at = 0;
        for (int r = 0; st == CRM_OK && r < g_size; r++) {
            size_t end = at + sizes[r];
            while (r != g_rank && st == CRM_OK && at + 16 <= end) {
                int64_t head[2];
                memcpy(head, all + at, sizeof head);
                st = unpack(ctx, (int32_t)head[0], all + at + 16, (size_t)head[1], err);
                at += 16 + (size_t)head[1];
            }
            at = end;
        }
        st = crm_dist_agree(st, err);
    }
    crm_free(sizes);
    crm_free(buf);
    crm_free(all);
    return st;
}
