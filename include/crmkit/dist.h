/* crmkit/dist.h: running one command on several processes (OpenMPI), and the few collective
 * operations the distributed commands need.
 *
 * Model: every rank runs the same command with the same arguments (`mpirun -np N crmkit
 * segment ...`). Each rank reads its own part of the input (crm_dist_split_file), works on
 * its rows, and the ranks combine what they found with the calls below. Rank 0 alone prints
 * results and progress and writes output files (through crmkit/outfile.h, so they appear
 * whole or not at all); the other ranks stay quiet.
 *
 * One rank or none: a build without MPI (CRM_HAVE_MPI 0 in crmkit/config.h), the crmkit
 * program (this part compiled without MPI; under mpirun it runs crmkit-mpi), or a binary not
 * started by mpirun (no OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE in the
 * environment), runs as a single rank: crm_dist_init does not initialise MPI at all, rank is
 * 0, size is 1, and every collective below is a cheap local no-op with the same contract
 * (the gathers copy). So code written against this header needs no #if and costs nothing in
 * a normal run.
 *
 * Collectives: every call marked "collective" must be made by every rank, in the same order,
 * with the same length arguments where the comment says so; otherwise the job deadlocks. So
 * never return early on one rank without first agreeing (crm_dist_agree) that all return.
 *
 * Errors: the collectives return CRM_OK, or CRM_ENOMEM / CRM_EIO (an MPI call failed: the
 * message says which); they do not agree on their own. The usual pattern, for a step whose
 * failure on any rank must stop all of them:
 *
 *     st = local_work(..., &err);           // may fail on this rank only
 *     st = crm_dist_agree(st, &err);        // now every rank has the same st and err
 *     if (st != CRM_OK) return cli_fail(&err);   // rank 0 prints; see crm_dist_quiet
 *
 * A rank that dies (killed, crashed) takes the job with it: OpenMPI's mpirun aborts the other
 * ranks (SIGTERM, then SIGKILL) once it sees a process exit without MPI_Finalize, and the
 * output files that were in progress are deleted by the SIGTERM handler of tools/crmkit
 * (crm_outfile_remove_temporaries), so no partial output is left.
 *
 * Thread safety: MPI is initialised with MPI_THREAD_FUNNELED; call everything here from the
 * main thread only (OpenMP regions inside a rank are fine between calls). */
#ifndef CRMKIT_DIST_H
#define CRMKIT_DIST_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

/** Start: when the process was started by mpirun (and the build has MPI), initialise MPI
 *  (argc/argv may be NULL) and read rank and size; otherwise do nothing (one rank). Call once,
 *  first thing in main. Returns CRM_OK, or CRM_EIO when MPI_Init failed (err says why; the
 *  process then runs as one rank). */
CRM_API crm_status crm_dist_init(int *argc, char ***argv, crm_error *err);
/** 1 when a launcher's variables (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE) are
 *  in the environment: the process was started by mpirun. Needs no MPI library. */
CRM_API int crm_dist_launched(void);
/** Finish: MPI_Finalize when crm_dist_init initialised MPI; a no-op otherwise. Call once,
 *  last thing in main, on every rank (after the final collective). */
CRM_API void crm_dist_finalize(void);
/** Kill the whole job with exit status code (MPI_Abort), for a rank that cannot go on and
 *  cannot agree (a broken invariant). One rank: exit(code). Never returns. */
CRM_API void crm_dist_abort(int code);

/** This process's rank, 0..size-1 (0 when not distributed). */
CRM_API int crm_dist_rank(void);
/** Number of ranks (1 when not distributed). */
CRM_API int crm_dist_size(void);
/** 1 when MPI was initialised and there are 2 or more ranks: the collectives communicate. */
CRM_API int crm_dist_active(void);
/** 1 on ranks that must not print or write outputs (every rank but 0 of an active job). */
CRM_API int crm_dist_quiet(void);

/** Replicated mode: 1 while every rank holds the SAME data and makes the same library calls
 *  in the same order (crmkit segment under mpirun: each rank has the whole cleaned matrix).
 *  The k-means passes (src/cluster/kmeans_lloyd.c: Lloyd iterations and nearest-centre
 *  assignment, which every k-means, X-means and elbow run goes through) then compute only
 *  this rank's run of blocks (crm_dist_block_range) and gather the block partials, labels
 *  and distances from the others, so the work is split and the result has the same bits as
 *  one rank. Off (0, the default) the library never communicates on its own; turn it on only
 *  around calls that every rank makes with identical inputs. Returns the previous value. */
CRM_API int crm_dist_set_replicated(int on);
/** 1 when replicated mode is on and the job is active (see crm_dist_set_replicated). */
CRM_API int crm_dist_replicated(void);

/** Local rows, a refinement of replicated mode for the k-means path of crmkit segment: while
 *  on (and replicated), a cleaned matrix made by crm_prep_transform holds only this rank's
 *  run of blocks (crm_dist_block_range over its rows; the other rows are allocated but never
 *  written nor read), its checks agree across ranks, and k-means (fixed k, k-means++ or
 *  random seeding, Lloyd passes) reads only those rows, the rows it seeds from fetched from
 *  the rank that owns them. Turn it on only around a clean and fit that honour it. Returns
 *  the previous value. */
CRM_API int crm_dist_set_local_rows(int on);
/** 1 when local rows are on and replicated mode is on (see crm_dist_set_local_rows). */
CRM_API int crm_dist_local_rows(void);
/** This rank's rows [*r0, *r1) of a matrix of n rows split by blocks (crm_dist_block_range);
 *  [0, n) when not replicated. Local, no communication. */
CRM_API void crm_dist_own_rows(int64_t n, int64_t *r0, int64_t *r1);

/* ---- agreement ------------------------------------------------------------------------ */

/** Collective. Every rank passes its own status st and error record err (ignored where st
 *  is CRM_OK). When every rank is CRM_OK, returns CRM_OK. Otherwise every rank gets the
 *  status and the whole crm_error (source, line, column, field, message) of the LOWEST rank
 *  that failed, copied into its err, and returns that status. Since ranks read their parts
 *  in rank order, the lowest failing rank holds the first bad row of the file, so the job
 *  reports the same error a one-process run would. err must not be NULL. */
CRM_API crm_status crm_dist_agree(crm_status st, crm_error *err);

/* ---- broadcast, scans, exact reductions ------------------------------------------------ */

/** Collective: copy buf[0..n) of rank root to every rank (n equal on all ranks). */
CRM_API crm_status crm_dist_bcast(void *buf, size_t n, int root, crm_error *err);
/** Collective: a blob of any size from root. On root *buf and *n are the input (kept); on the
 *  others *buf receives a new crm_malloc'ed copy (crm_free it) and *n its size. */
CRM_API crm_status crm_dist_bcast_blob(void **buf, size_t *n, int root, crm_error *err);

/** Collective, once (later calls return CRM_OK at once): under mpirun only rank 0's standard
 *  input carries data (mpirun forwards its own to rank 0; the other ranks read /dev/null).
 *  Rank 0 reads it to its end and every rank receives the bytes as its standard input (an
 *  anonymous in-memory file on descriptor 0), so "-" reads the same data on every rank. A
 *  no-op when the job is not active. Call it before the first read of "-" on every rank. */
CRM_API crm_status crm_dist_share_stdin(crm_error *err);

typedef enum crm_dist_op {
    CRM_DIST_SUM = 0,
    CRM_DIST_MIN = 1,
    CRM_DIST_MAX = 2
} crm_dist_op;

/** Collective: v[0..n) becomes the element-wise sum / min / max over ranks (n equal on all
 *  ranks). Integers are exact, so the result never depends on the rank count. */
CRM_API crm_status crm_dist_allreduce_i64(int64_t *v, size_t n, crm_dist_op op, crm_error *err);
/** Collective: element-wise MIN or MAX of doubles (exact, order-free; NaN is ignored unless
 *  every rank has NaN). CRM_DIST_SUM is refused (CRM_EINVAL): a floating-point sum depends
 *  on its order; use crm_dist_allgather_f64 and sum in a fixed order (see below). */
CRM_API crm_status crm_dist_allreduce_f64(double *v, size_t n, crm_dist_op op, crm_error *err);
/** Collective: *before = sum of v over the ranks below this one, *total = over all ranks
 *  (either may be NULL). For global row numbers: before = first global row of this rank. */
CRM_API crm_status crm_dist_scan_i64(int64_t v, int64_t *before, int64_t *total, crm_error *err);

/* ---- ordered reductions: the same bits for any number of ranks ------------------------- *
 * A floating-point sum is deterministic only in a fixed order. The rule used everywhere in
 * crmkit (src/cluster/kmeans_lloyd.c): rows are cut into blocks of CRM_BLOCK_ROWS (4096) by
 * their GLOBAL row index, each block sums its rows in row order into a partial, and the
 * partials are added in block order, starting from 0.0. Threads then only change who
 * computes a block, never the result. Across ranks the same holds when every rank's rows
 * start on a block boundary (crm_dist_realign_rows) and the partials of all blocks are
 * gathered in global block order (crm_dist_allgather_f64, each rank passing its blocks'
 * partials, ranks owning consecutive block ranges in rank order), then summed by the same
 * serial loop on every rank (crm_dist_sum_blocks). */

/** Collective: concatenate every rank's mine[0..n_mine) in rank order into *all (a new
 *  crm_malloc'ed array of *n_all doubles, identical on every rank; crm_free it).
 *  counts (may be NULL) receives n_mine of every rank (crm_dist_size() entries). */
CRM_API crm_status crm_dist_allgather_f64(const double *mine,
                                          int64_t n_mine,
                                          double **all,
                                          int64_t *n_all,
                                          int64_t *counts,
                                          crm_error *err);
/** The same for int64 values (counts per block, row ids). */
CRM_API crm_status crm_dist_allgather_i64(const int64_t *mine,
                                          int64_t n_mine,
                                          int64_t **all,
                                          int64_t *n_all,
                                          int64_t *counts,
                                          crm_error *err);
/** Collective: the fast allgather for hot loops, one MPI call and no agreement: every rank
 *  already knows every rank's count (counts[r] elements of elem bytes, the same array on all
 *  ranks, each count below 2^31); mine holds counts[rank] elements, all receives the sum of
 *  counts, in rank order. Errors are returned, not agreed (an MPI failure is the job's). */
CRM_API crm_status crm_dist_allgather_known(const void *mine,
                                            void *all,
                                            const int64_t *counts,
                                            size_t elem,
                                            crm_error *err);
/** Collective: the ordered sum over ranks. Each rank passes its n_blocks partial vectors of
 *  width doubles (block-major: parts[b * width + j]); out[width] (every rank) receives
 *  sum over all blocks in global block order, out[j] = ((0.0 + p_0[j]) + p_1[j]) + ...
 *  Gathers n_blocks x width doubles, so keep width x blocks modest (k-means: k x dim for each
 *  4096 rows). */
CRM_API crm_status crm_dist_sum_blocks(const double *parts,
                                       int64_t n_blocks,
                                       int64_t width,
                                       double *out,
                                       crm_error *err);

/* ---- independent results dealt out (replicated mode) ----------------------------------- *
 * Work made of independent items (the features of a profile, say), every rank holding the
 * same inputs: rank r computes the items dealt to it (crm_dist_deals: item i to rank
 * i mod size), and crm_dist_share_items gives every rank the others' results, so each rank
 * ends with every item's result, each one the bits the rank that computed it produced. */

/** 1 when item i of a list dealt out in turn belongs to this rank (i mod size == rank);
 *  always 1 when the job is not active. Local, no communication. */
CRM_API int crm_dist_deals(int64_t i);

/** Serialise item's result into a new crm_malloc'ed *blob of *len bytes (freed by the
 *  caller of the hook). */
typedef crm_status (
    *crm_dist_pack_fn)(void *ctx, int32_t item, void **blob, size_t *len, crm_error *err);
/** Take item's result from blob[0..len) (a blob another rank packed). */
typedef crm_status (
    *crm_dist_unpack_fn)(void *ctx, int32_t item, const void *blob, size_t len, crm_error *err);

/** Collective. rcs/errs[0..n_items): this rank's status per item (CRM_OK for the items it did
 *  not compute). First the errors are agreed: when any rank has a failed item, every rank
 *  returns the status and error of the LOWEST failed item (as one process running the
 *  items in order would report it). Otherwise each rank packs the items mine[0..n_mine) it
 *  computed, the blobs are gathered to every rank, and unpack is called on each rank for
 *  every item computed by another rank, in rank order. One rank: only the error step. */
CRM_API crm_status crm_dist_share_items(const crm_status *rcs,
                                        const crm_error *errs,
                                        int32_t n_items,
                                        const int32_t *mine,
                                        int32_t n_mine,
                                        crm_dist_pack_fn pack,
                                        crm_dist_unpack_fn unpack,
                                        void *ctx,
                                        crm_error *err);

/* ---- byte blobs ------------------------------------------------------------------------ */

/** Collective: gather every rank's blob (any size, may be 0) on rank root, concatenated in
 *  rank order: on root *all is a new crm_malloc'ed buffer of *n_all bytes (crm_free it),
 *  sizes (may be NULL; crm_dist_size() entries) each rank's length. On other ranks *all is
 *  NULL and *n_all 0. Blobs may exceed 2 GiB in total (sent in pieces). */
CRM_API crm_status crm_dist_gather_bytes(const void *mine,
                                         size_t n_mine,
                                         int root,
                                         void **all,
                                         size_t *n_all,
                                         size_t *sizes,
                                         crm_error *err);
/** Collective: the same, delivered to every rank. */
CRM_API crm_status crm_dist_allgather_bytes(const void *mine,
                                            size_t n_mine,
                                            void **all,
                                            size_t *n_all,
                                            size_t *sizes,
                                            crm_error *err);

/* ---- splitting an input file ----------------------------------------------------------- */

typedef struct crm_dist_range {
    int64_t begin;      /* first byte of this rank's part (0 on rank 0: it owns the header) */
    int64_t end;        /* one past its last byte; begin == end for an empty part */
    int64_t first_line; /* 1-based line number in the file of the line at begin */
    int64_t file_size;  /* bytes in the whole file */
    int64_t header_end; /* one past the header line's newline (every rank knows it) */
} crm_dist_range;

/** Collective: cut a plain (uncompressed, seekable) text file into size parts of about
 *  equal bytes, each starting at a line start: rank r's nominal start (r x size / ranks) is
 *  moved forward to just after the next '\n'. Rank 0 owns the header line; parts never
 *  start inside the header. Line numbers are counted (each rank counts the newlines of its
 *  part; a scan gives the offsets), so errors name the true line of the file.
 *
 *  Quoted newlines (RFC 4180 allows a newline inside a "quoted field"): a cut could fall
 *  inside one. They are REFUSED, not guessed around: each rank checks that its part has an
 *  even number of quote characters on every line it owns, and a rank whose part holds a line
 *  with an odd count fails with CRM_EPARSE naming file and line ("a quoted field spans lines,
 *  which a file split across ranks cannot have"). Run such a file on one rank.
 *  A .gz file cannot be cut by bytes: CRM_EUNSUPPORTED (gzip magic bytes seen on rank 0);
 *  the commands read .gz inputs whole on every rank (see the README).
 *  Errors (agreed: every rank gets the same one): CRM_ENOTFOUND, CRM_EIO, CRM_EPARSE,
 *  CRM_EUNSUPPORTED, CRM_EDATA (an empty file). */
CRM_API crm_status crm_dist_split_file(const char *path, crm_dist_range *r, crm_error *err);

/** Read the header line and this rank's part of a split file into one buffer that looks
 *  like a small CSV file of its own (header, then the part's lines), for
 *  crm_table_read_csv_mem. *buf is crm_malloc'ed (crm_free it), *len its length. A row
 *  number i of that small table is line first_line + (its line - 2) of the file; use
 *  crm_dist_fix_error_line to put file lines into errors. Not collective. */
CRM_API crm_status crm_dist_read_part(const char *path,
                                      const crm_dist_range *r,
                                      char **buf,
                                      size_t *len,
                                      crm_error *err);
/** Turn a line number of a crm_dist_read_part buffer in err (err->line > 1) into the file's
 *  line number, and err->source into path. A no-op for line 0 or 1 (header). */
CRM_API void crm_dist_fix_error_line(const crm_dist_range *r, const char *path, crm_error *err);

/* ---- rows on block boundaries ---------------------------------------------------------- */

/** Collective: move rows between ranks so that every rank's rows start at a global row
 *  index that is a multiple of align (rank 0 at 0), keeping the global row order and
 *  keeping rows on the rank that owns their block (a rank may end up with none).
 *  *rows holds *n_rows rows of row_bytes each (crm_malloc'ed; it is replaced by a new
 *  array, the old one freed); on return *n_rows and *first_row (its global index) describe
 *  the new part. Rows of any payload (double features, int32 labels, ids) can be moved;
 *  call once per array with the same n_rows everywhere, in the same order. */
CRM_API crm_status crm_dist_realign_rows(void **rows,
                                         int64_t *n_rows,
                                         size_t row_bytes,
                                         int64_t align,
                                         int64_t *first_row,
                                         crm_error *err);

/** Blocks of a global row range [0, n_total) dealt out to ranks in consecutive runs, rank
 *  order: rank r gets blocks [*b0, *b1) of CRM_BLOCK_ROWS rows (n_blocks = ceil(n/4096)),
 *  as even as whole blocks allow. Local, no communication; the same on every rank. */
CRM_API void crm_dist_block_range(int64_t n_total, int rank, int size, int64_t *b0, int64_t *b1);

/* ---- without line numbers; all-to-all ------------------------------------------------- */

/** Collective: crm_dist_split_file without its pass over the part: no newline count and no
 *  quote check, so r->first_line is 1 on every rank (a reader of the part counts lines from
 *  its start). For a reader that needs file lines only to report an error: when one occurs,
 *  call crm_dist_split_file (collective) to get the true first_line, or its refusal of a
 *  quoted field spanning lines (a cut inside one leaves an unclosed quote at the end of the
 *  part before it, which is an error there). */
CRM_API crm_status crm_dist_split_file_unnumbered(const char *path,
                                                  crm_dist_range *r,
                                                  crm_error *err);

/** Collective: every rank sends a blob (any size, may be 0) to every rank. send holds the
 *  blobs for ranks 0, 1, ... one after another, send_sizes[r] bytes for rank r (the one for
 *  this rank is copied). *recv receives a new crm_malloc'ed buffer (crm_free it) with the
 *  blobs from ranks 0, 1, ... one after another, recv_sizes[r] (crm_dist_size() entries)
 *  their lengths. Blobs may exceed 2 GiB (sent in pieces). Waits sleep rather than spin.
 *  Allocation failures are agreed; an MPI failure is returned. */
CRM_API crm_status crm_dist_alltoall_bytes(const void *send,
                                           const size_t *send_sizes,
                                           void **recv,
                                           size_t *recv_sizes,
                                           crm_error *err);

/* ---- pieces of a split file taken as ranks get free -------------------------------------- */

typedef struct crm_dist_chunks crm_dist_chunks; /* opaque */

/** Collective (after crm_dist_split_file_unnumbered gave every rank its part r): the parts of
 *  the ranks that share this machine become one pool of pieces at line starts (large pieces
 *  first, smaller ones towards the end), which those ranks take one at a time with
 *  crm_dist_chunks_next as each gets free, so a rank slowed by other work on the machine
 *  takes fewer. The pieces tile the pool exactly; which rank reads which piece varies from run
 *  to run, so only a result that does not depend on who read which record (integer sums,
 *  sets) may be made this way. The counter lives in memory the ranks share (no message is
 *  sent, so any thread may take a piece); where that memory is not available each rank gets
 *  its own part as one piece. Lines are not numbered. */
CRM_API crm_status crm_dist_chunks_open(const char *path,
                                        const crm_dist_range *r,
                                        crm_dist_chunks **out,
                                        crm_error *err);
/** The next free piece [*begin, *end): 1, 0 when none is left, -1 when reading the file to
 *  find its line start failed (thread-safe). */
CRM_API int crm_dist_chunks_next(crm_dist_chunks *c, int64_t *begin, int64_t *end);
/** Collective where the pool was opened (every rank passes its pool; NULL only where the
 *  open failed, which it did on every rank then): free it. */
CRM_API void crm_dist_chunks_close(crm_dist_chunks *c);

#endif
