/* fim_internal.h: what the files of src/fim share: the database layout, a memory meter with a
 * limit, a stack arena with checkpoints, hash tables, and the rank-space view of a database
 * that every miner works on. */
#ifndef CRM_FIM_INTERNAL_H
#define CRM_FIM_INTERNAL_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <crmkit/fim.h>

#include "core/core_internal.h"

/* ---- the database ---------------------------------------------------------------------- */

enum {
    FIM_KIND_NONE = 0,
    FIM_KIND_INT = 1,
    FIM_KIND_NAMED = 2
};

/* Open-addressing table of int32 ids (-1 = empty); keys live outside (codes or strings). */
typedef struct crm__fim_hash {
    int32_t *slot;
    size_t mask; /* capacity - 1, capacity a power of two */
    size_t n;
} crm__fim_hash;

struct crm_fim_db {
    int finished;
    int kind;      /* FIM_KIND_* */
    int has_names; /* names given (named input or @ITEM lines) */
    int64_t n_trans;
    int64_t *off; /* n_trans + 1 offsets into items */
    int32_t *items;
    int64_t off_cap, items_cap;
    /* dictionary: dense ids once finished, first-appearance ids while building */
    int32_t n_items, items_dict_cap;
    int64_t *codes;    /* integer code per item (INT kind), else -1 */
    int64_t *name_off; /* offset into names of each item's name, -1 = none yet */
    char *names;
    int64_t names_len, names_cap;
    int64_t *item_sup;
    crm__fim_hash item_hash; /* by code (INT) or by name (NAMED); by printable name when finished */
    int64_t *stamp;          /* building: last transaction that held the item (dedup) */
    int32_t *code_dir;       /* building: id of each code below code_dir_cap, -1 */
    int64_t code_dir_cap;
    /* customers (optional): one key per transaction */
    int has_customers;
    int64_t *cust_off; /* n_trans + 1 offsets into cust, or NULL */
    char *cust;
    int64_t cust_len, cust_cap, cust_off_cap;
    crm__fim_hash cust_hash; /* finished: transaction index by key */
    /* @ITEM=code=name lines seen before the items: code -> name, applied at finish */
    int64_t *meta_codes;
    int64_t *meta_name_off;
    int32_t n_meta, meta_cap;
};

/* Builder entry points the readers use (ids are first-appearance ids, duplicates allowed). */
crm_status crm__fim_db_intern_code(crm_fim_db *db, int64_t code, int32_t *id, crm_error *err);
crm_status
crm__fim_db_intern_name(crm_fim_db *db, const char *name, size_t len, int32_t *id, crm_error *err);
crm_status crm__fim_db_push_ids(crm_fim_db *db,
                                const int32_t *ids,
                                int32_t n,
                                const char *customer,
                                size_t cust_len,
                                crm_error *err);
crm_status crm__fim_db_add_meta_name(crm_fim_db *db,
                                     int64_t code,
                                     const char *name,
                                     size_t len,
                                     crm_error *err);

crm_status crm__fim_hash_init(crm__fim_hash *h, size_t min_cap);
void crm__fim_hash_fini(crm__fim_hash *h);

/* ---- readers (fim_read.c, fim_read_long.c) ----------------------------------------------- */

#include "io/reader.h" /* io's reader API: the one io header fim uses */

typedef struct crm__fim_rstate {
    crm_fim_db *db;
    const crm_fim_read_options *opt;
    const char *src;
    int32_t *ids;
    int64_t ids_cap;
    /* FIMI/BASKET line loop: the format (AUTO until the first line decides), lines before the
     * reader's first (errors name file lines), and a budget of bytes a call reads (0 = all;
     * more is set when it stopped on the budget before the end). */
    crm_fim_format fmt;
    int64_t line_base;
    int64_t chunk_bytes;
    int more;
} crm__fim_rstate;

int crm__fim_ids_reserve(crm__fim_rstate *st, int64_t n);

/* Codes below this are found through direct tables instead of hashes: FIMI items are small
 * integers, and one hash lookup per item occurrence was the largest cost of reading. */
#define CRM_FIM_CODE_DIR_MAX ((int64_t)1 << 20)

/* Entries a table indexed by code (of cap entries now, 0 when none) needs to hold code
 * (below CRM_FIM_CODE_DIR_MAX): doubled from 1024 until it does, at most the maximum. */
static inline int64_t crm__fim_dir_cap(int64_t cap, int64_t code)
{
    int64_t c = cap > 0 ? cap : 1024;
    while (c <= code) {
        c *= 2;
    }
    return c < CRM_FIM_CODE_DIR_MAX ? c : CRM_FIM_CODE_DIR_MAX;
}

/* Open-addressing map of int32 codes (>= 0) to int32 values. */
typedef struct crm__fim_cmap {
    int32_t *key; /* -1 = empty */
    int32_t *val;
    size_t mask, n;
} crm__fim_cmap;

/* Add code with val unless present; 0 when out of memory. */
int crm__fim_cmap_add(crm__fim_cmap *m, int32_t code, int32_t val);
/* Value of code, -1 when absent. */
int32_t crm__fim_cmap_get(const crm__fim_cmap *m, int32_t code);
void crm__fim_cmap_fini(crm__fim_cmap *m);

/* One part of a FIMI text parsed on its own thread: its lines' raw codes in CSR form and the
 * codes it holds, for crm__fim_db_from_raw. */
typedef struct crm__fim_raw {
    int32_t *codes; /* in file order, duplicates kept; a place in a store shared by the parts */
    int64_t n_codes;
    int64_t *off; /* n_lines + 1 offsets into codes, one line per transaction */
    int64_t n_lines, off_cap;
    uint32_t *seen; /* seen[c]: occurrences of code c (below seen_cap) */
    int64_t seen_cap;
    int ascending;     /* every line's codes strictly ascending (no duplicate) */
    crm__fim_cmap big; /* codes from CRM_FIM_CODE_DIR_MAX up */
} crm__fim_raw;

/* Fill the new, empty db from parts (in file order) and finish it: the same database as
 * pushing every line and calling crm_fim_db_finish, with the item dictionary merged once and
 * the lines recoded, deduplicated and counted by n_threads. The parts' codes lie in store
 * (store_cap codes), part after part in file order, with gaps allowed; the db takes store over as
 * its items, whatever the outcome (the parts' codes are left NULL). */
crm_status crm__fim_db_from_raw(crm_fim_db *db,
                                crm__fim_raw *parts,
                                int n_parts,
                                int n_threads,
                                int32_t *store,
                                int64_t store_cap,
                                crm_error *err);
/* FIMI or basket lines of r into st->db (not finished) up to st->chunk_bytes of text (st->more
 * set when it stopped there). */
crm_status crm__fim_read_chunk(crm__reader *r, crm__fim_rstate *st, crm_error *err);
/* 1 and *fmt when line decides format AUTO (neither blank, nor metadata, nor a negative item). */
int crm__fim_line_format(const char *line, size_t len, crm_fim_format *fmt);
/* LONG and VAS formats: CSV records of r grouped by customer. */
crm_status crm__fim_read_long(crm__reader *r,
                              crm__fim_rstate *st,
                              const crm_progress *progress,
                              crm_error *err);

/* ---- memory meter and arena ------------------------------------------------------------ */

typedef struct crm__fim_mem {
    _Atomic int64_t used;
    _Atomic int64_t peak;
    int64_t limit; /* 0 = none */
    _Atomic int over;
} crm__fim_mem;

void crm__fim_mem_init(crm__fim_mem *m, int64_t limit);
/* Count bytes against the limit; NULL when over it (m->over set) or out of memory. */
void *crm__fim_mem_alloc(crm__fim_mem *m, size_t bytes);
void *crm__fim_mem_calloc(crm__fim_mem *m, size_t n, size_t size);
void crm__fim_mem_free(crm__fim_mem *m, void *p, size_t bytes);
/* Grow *p from old to new bytes (realloc); false on failure (*p untouched). */
int crm__fim_mem_grow(crm__fim_mem *m, void **p, size_t old_bytes, size_t new_bytes);
/* The error for a failed allocation: CRM_ELIMIT when the meter is over its limit. */
crm_status crm__fim_mem_error(const crm__fim_mem *m, crm_error *err);

typedef struct crm__fim_chunk crm__fim_chunk;
typedef struct crm__fim_arena {
    crm__fim_chunk *cur;
    crm__fim_chunk *spare;
    crm__fim_mem *mem;
    size_t chunk_bytes;
} crm__fim_arena;
typedef struct crm__fim_mark {
    crm__fim_chunk *chunk;
    size_t used;
} crm__fim_mark;

void crm__fim_arena_init(crm__fim_arena *a, crm__fim_mem *mem, size_t chunk_bytes);
void crm__fim_arena_fini(crm__fim_arena *a);
/* 16-byte aligned; NULL on failure (see crm__fim_mem_error). */
void *crm__fim_arena_alloc(crm__fim_arena *a, size_t bytes);
crm__fim_mark crm__fim_arena_mark(const crm__fim_arena *a);
/* Free everything allocated after mark: O(1) per chunk. */
void crm__fim_arena_release(crm__fim_arena *a, crm__fim_mark mark);

/* ---- the rank-space view the miners share ---------------------------------------------- */

/* Frequent items recoded by descending support (rank 0 = most frequent; ties by dense id)
 * by _build; _recode adds the transactions reduced to their frequent items, sorted by
 * ascending rank (off and items are NULL before). Transactions left empty are dropped;
 * identical transactions are not merged. N-List builds its tree on few items straight from
 * db through rank_of, without the recoded copy. */
typedef struct crm__fim_data {
    int32_t n_items;     /* frequent items */
    int32_t *rank_to_id; /* dense id of each rank */
    int32_t *rank_of;    /* rank of each dense id of db, -1 when not frequent */
    int64_t *sup;        /* support of each rank */
    int64_t n_trans;     /* transactions kept */
    int64_t *off;        /* n_trans + 1 */
    int32_t *items;
    int64_t minsup;
    int64_t n_db_trans; /* transactions of the database (support of the empty set) */
    const crm_fim_db *db;
} crm__fim_data;

/* Threads to share n_trans transactions among, a contiguous share each: n_threads, at most
 * max, and one below 4096 transactions (where starting a thread costs more than its share). */
static inline int crm__fim_share_threads(int64_t n_trans, int n_threads, int max)
{
    int n = n_threads < 1 || n_trans < 4096 ? 1 : n_threads;
    return n < max ? n : max;
}

crm_status crm__fim_data_build(const crm_fim_db *db,
                               int64_t minsup,
                               crm__fim_mem *mem,
                               crm__fim_data *d,
                               crm_error *err);
/* The kept transactions in rank space (off, items), ascending, in database order; on up to
 * n_threads threads. */
crm_status crm__fim_data_recode(crm__fim_data *d, crm__fim_mem *mem, int n_threads, crm_error *err);
/* Each dense id of d's db to its rank, an infrequent one to bit words * 64 (the spare word);
 * NULL when out of memory. words = n_items / 64 + 1. */
int32_t *crm__fim_bit_of(const crm__fim_data *d, int32_t words);
/* The frequent items of ids[0..n) as ranks, ascending, into out, through a bitmap of the
 * ranks: bits[0..words] set through bit_of (infrequent items into the spare word bits[words],
 * so that no branch guesses which items are frequent: on retail most are not, unpredictably),
 * then scanned, and left zero; with one or two words the bitmap is kept in registers
 * instead (connect: 10 % less time a mining). Returns their number. */
int32_t crm__fim_rank_items(const int32_t *bit_of,
                            const int32_t *ids,
                            int64_t n,
                            uint64_t *bits,
                            int32_t words,
                            int32_t *out);
void crm__fim_data_free(crm__fim_data *d, crm__fim_mem *mem);

/* ---- reporting --------------------------------------------------------------------------- */

/* Where a miner sends itemsets in rank space. The reporter maps ranks to dense ids, sorts,
 * applies min_len / max_itemsets, and calls the user sink (or collects for closed/maximal).
 * Each thread of a parallel miner reports into its own buffer (crm__fim_rbuf); buffers are
 * replayed into the reporter in a fixed order. */
typedef struct crm__fim_reporter crm__fim_reporter;

/* Called by miners: report prefix items[0..n) in rank space with support sup, and also
 * every union with a subset of perf[0..n_perf) (perfect extensions, same support), up to
 * max_len items. Returns CRM_OK or the status that must stop mining. */
typedef struct crm__fim_out crm__fim_out;
crm_status crm__fim_out_emit(crm__fim_out *o,
                             const int32_t *items,
                             int32_t n,
                             const int32_t *perf,
                             int32_t n_perf,
                             int64_t sup);

typedef struct crm__fim_ctx {
    crm__fim_data *data; /* N-List recodes the transactions only when it needs them */
    const crm_fim_params *params;
    int32_t max_len; /* 0 = none */
    int32_t n_threads;
    crm__fim_mem *mem;
    const crm_progress *progress;
    crm__fim_out *out; /* serial output */
    /* For parallel miners: a fresh buffered output per task, replayed in task order. */
    crm__fim_reporter *rep;
} crm__fim_ctx;

/* Buffered outputs for parallel miners. */
crm__fim_out *crm__fim_out_new_buffer(crm__fim_ctx *ctx);
/* Replay a buffer into ctx->out and free it. */
crm_status crm__fim_out_flush_buffer(crm__fim_ctx *ctx, crm__fim_out *buf, crm_error *err);
void crm__fim_out_free_buffer(crm__fim_out *buf);
/* Replay the buffers bufs[0..nb) of one batch in task order, or free them once rc or a task's
 * status st[k] has failed; the first failure is returned. */
crm_status crm__fim_out_flush_batch(crm__fim_ctx *ctx,
                                    crm__fim_out **bufs,
                                    const crm_status *st,
                                    int32_t nb,
                                    crm_status rc,
                                    crm_error *err);

/* Sort indices a[0..n) of sequences (off/items, ascending ints in [0, n_symbols))
 * lexicographically, a prefix before its extensions, equal sequences in their order; tmp[3 n]
 * is scratch. A radix sort on packed chunks of the sequences: comparing sequences in a merge
 * sort chased them through memory, half of a sorted PPC-tree build. */
void crm__fim_lex_sort(const int64_t *off,
                       const int32_t *items,
                       int32_t n_symbols,
                       int64_t *a,
                       int64_t *tmp,
                       int64_t n);

/* Nodes of a prefix tree over sequences in lex order order[0..n): 1 (the root) + the number of
 * distinct prefixes, each transaction adding what it does not share with the previous one. */
int64_t
crm__fim_prefix_nodes(const int64_t *off, const int32_t *items, const int64_t *order, int64_t n);

crm_status crm__fim_nlist(crm__fim_ctx *ctx, crm_error *err);
crm_status crm__fim_fpgrowth(crm__fim_ctx *ctx, crm_error *err);
crm_status crm__fim_apriori(crm__fim_ctx *ctx, crm_error *err);

/* Collection internals: index of an itemset (sorted items) or -1; bytes held. */
int64_t crm__itemsets_find(const crm_itemsets *c, const int32_t *items, int32_t n);
int64_t crm__itemsets_bytes(const crm_itemsets *c);

/* Pass the sorted, downward-closed collection c of every frequent itemset to sink: the closed
 * (or maximal) ones of length >= p->min_len; st->n_itemsets and st->max_len are added to. */
crm_status crm__fim_filter_emit(const crm_itemsets *c,
                                crm_fim_mode mode,
                                const crm_fim_params *p,
                                const crm_itemset_sink *sink,
                                crm_fim_stats *st,
                                crm_error *err);

/* Sort a small int32 array ascending. */
void crm__fim_sort_i32(int32_t *a, int64_t n);

#endif
