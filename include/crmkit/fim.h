/* crmkit/fim.h: frequent itemset mining (N-List/PrePost, FP-Growth, Apriori).
 *
 * Stages, as in a staged miner: read or build a transaction database (crm_fim_db), choose
 * params (crm_fim_params), then crm_fim_mine streams every frequent itemset into a sink
 * (crm_itemset_sink): a text writer (SPMF, CSV, JSON), the in-memory collection
 * (crm_itemsets) or any callback.
 *
 * Items. Every item of a database has a dense id 0..n_items-1 in *dictionary order*:
 * ascending integer for integer (FIMI/SPMF) input, byte-wise (strcmp) order of the names
 * for named input. Transactions hold sorted, duplicate-free dense ids. Itemsets reach a sink
 * with their items sorted ascending by dense id, so output does not depend on the miner.
 * The order in which itemsets reach the sink is the miner's own (deterministic for a given
 * database, params and algorithm, whatever the thread count); crm_itemsets_sort gives a
 * canonical order.
 *
 * Minimum support. A count c means "support >= c". A fraction s in (0, 1] means a count of
 * ceil(s x n_transactions) (SPMF's convention; a product that is an integer up to rounding
 * error, such as 0.07 x 100, is not rounded up), and at least 1.
 *
 * Thread safety: a finished crm_fim_db and a crm_itemsets are read-only and may be read from
 * any number of threads; building, mining into one sink and writers need exclusive access.
 * crm_fim_mine may use n_threads OpenMP threads inside, but calls the sink from the calling
 * thread only, in an order that never depends on the thread count. */
#ifndef CRMKIT_FIM_H
#define CRMKIT_FIM_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crmkit/common.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

/* ---- transaction database ----------------------------------------------------------------- */

typedef struct crm_fim_db crm_fim_db; /* opaque */

typedef enum crm_fim_format {
    CRM_FIM_FORMAT_AUTO = 0,   /* FIMI when the first non-empty line is integers, else basket */
    CRM_FIM_FORMAT_FIMI = 1,   /* one transaction a line, non-negative integers, spaces/tabs */
    CRM_FIM_FORMAT_BASKET = 2, /* one transaction a line, item names separated by sep */
    CRM_FIM_FORMAT_LONG = 3,   /* CSV with header: one (customer, item) pair a row */
    CRM_FIM_FORMAT_VAS = 4     /* CSV VAS transaction log: like LONG, with a status filter */
} crm_fim_format;

typedef struct crm_fim_read_options { /* transparent; start from _read_options_default() */
    crm_fim_format format;
    /* BASKET: item separator (',' by default; ' ' also accepts tabs). LONG/VAS: the CSV
     * delimiter (',' by default). Unused for FIMI. */
    char sep;
    /* Empty lines of FIMI/BASKET input: false (default) counts each as an empty
     * transaction, so n_transactions is the number of lines; true skips them. A final line
     * end never makes an extra transaction. */
    bool skip_empty;
    /* LONG/VAS column names (header row, exact match). NULL picks the default: LONG uses the
     * first column as customer and the second as item; VAS uses "mobile_no" and "pr_code". */
    const char *customer_col;
    /* One column, or several separated by commas ("txn_type,topup_type"): the item is then
     * the values joined with ':'. */
    const char *item_col;
    /* VAS (and LONG): keep only rows whose status_col equals one of the comma-separated
     * values in status_ok (exact match). Both NULL: no filter. For VAS, status_col defaults
     * to "status" when status_ok is given. */
    const char *status_col;
    const char *status_ok;
    int64_t max_transactions; /* more is CRM_ELIMIT; 0 = no limit */
    int64_t max_line_bytes;   /* a longer line or field is CRM_ELIMIT; default 64 MiB */
    /* Threads that parse parts of FIMI text, and that make a gzip file's decoded pages while
     * it is decoded (0 = OpenMP default, small inputs on one); never changes the database
     * or the errors. */
    int32_t n_threads;
} crm_fim_read_options;

CRM_API crm_fim_read_options crm_fim_read_options_default(void);

/** Read transactions from a file (gzip detected by its magic bytes, for every format).
 *  On success *out owns a finished database; free it with crm_fim_db_free.
 *  FIMI: items are integers 0..2147483647 separated by spaces or tabs; trailing spaces and
 *  CR LF line ends are accepted; duplicates in a line count once; lines starting with '@'
 *  are SPMF metadata ("@ITEM=5=bread" names item 5; others ignored); anything else that is
 *  not an integer is CRM_EPARSE naming line and column.
 *  BASKET: as R arules read.transactions(format = "basket"): names are trimmed of spaces,
 *  empty names dropped, duplicates count once.
 *  LONG/VAS: rows are grouped by customer (any row order); transactions appear in order of
 *  each customer's first row; crm_fim_db_customer gives the key.
 *  Errors: CRM_ENOTFOUND (no such file or column), CRM_EIO, CRM_EPARSE (file:line:column),
 *  CRM_EDATA (no transactions at all), CRM_ELIMIT, CRM_EINVAL (bad options), CRM_ENOMEM,
 *  CRM_ECANCELLED. */
CRM_API crm_status crm_fim_db_read(const char *path,
                                   const crm_fim_read_options *opt,
                                   const crm_progress *progress,
                                   crm_fim_db **out,
                                   crm_error *err);
/** The same from memory (not gzip); source names the data in error messages. */
CRM_API crm_status crm_fim_db_read_mem(const char *data,
                                       size_t len,
                                       const char *source,
                                       const crm_fim_read_options *opt,
                                       crm_fim_db **out,
                                       crm_error *err);

/** Build a database by hand: _new, then _add_transaction or _add_named (not both in one
 *  database: CRM_EINVAL), then _finish, which recodes items to dictionary order. Mining or
 *  reading transactions of an unfinished database is CRM_ESTATE; adding after _finish too. */
CRM_API crm_status crm_fim_db_new(crm_fim_db **out, crm_error *err);
/** Add one transaction of integer items (>= 0; duplicates count once; n may be 0). customer
 *  may be NULL; it is copied. */
CRM_API crm_status crm_fim_db_add_transaction(crm_fim_db *db,
                                              const int32_t *items,
                                              int32_t n,
                                              const char *customer,
                                              crm_error *err);
/** Add one transaction of named items (copied; NULL or "" names are skipped). */
CRM_API crm_status crm_fim_db_add_named(crm_fim_db *db,
                                        const char *const *names,
                                        int32_t n,
                                        const char *customer,
                                        crm_error *err);
CRM_API crm_status crm_fim_db_finish(crm_fim_db *db, crm_error *err);

/** A new finished database with transactions rows[0..n) of db (in that order, repeats
 *  allowed) and the *same* item dictionary (same dense ids, so itemsets of subsets compare
 *  directly; item supports are recounted). Errors: CRM_EINVAL (row out of range),
 *  CRM_ESTATE, CRM_ENOMEM. */
CRM_API crm_status crm_fim_db_subset(const crm_fim_db *db,
                                     const int64_t *rows,
                                     int64_t n,
                                     crm_fim_db **out,
                                     crm_error *err);

CRM_API void crm_fim_db_free(crm_fim_db *db); /* NULL is a no-op */

CRM_API bool crm_fim_db_is_finished(const crm_fim_db *db);
CRM_API int64_t crm_fim_db_n_transactions(const crm_fim_db *db);
CRM_API int32_t crm_fim_db_n_items(const crm_fim_db *db);
/** Total item occurrences over all transactions (after removing duplicates). */
CRM_API int64_t crm_fim_db_n_entries(const crm_fim_db *db);
/** True when items have names (basket, long, vas, @ITEM lines, _add_named). */
CRM_API bool crm_fim_db_has_names(const crm_fim_db *db);
/** Items of transaction i: *items (borrowed, sorted ascending dense ids) and the return
 *  value is their number; 0 and *items = NULL when i is out of range or unfinished. */
CRM_API int32_t crm_fim_db_transaction(const crm_fim_db *db, int64_t i, const int32_t **items);
/** Customer key of transaction i (borrowed), or NULL when the input had none. */
CRM_API const char *crm_fim_db_customer(const crm_fim_db *db, int64_t i);
/** Transaction index of a customer key, or -1. */
CRM_API int64_t crm_fim_db_find_customer(const crm_fim_db *db, const char *customer);
/** Printable name of item (borrowed): its name, or its original integer in decimal. NULL
 *  when out of range. */
CRM_API const char *crm_fim_db_item_name(const crm_fim_db *db, int32_t item);
/** Original integer of item for integer input (FIMI), else -1. */
CRM_API int64_t crm_fim_db_item_code(const crm_fim_db *db, int32_t item);
/** Dense id of an item by its printable name (as crm_fim_db_item_name gives it), or -1. */
CRM_API int32_t crm_fim_db_find_item(const crm_fim_db *db, const char *name);
/** Number of transactions that contain item (0 when out of range). */
CRM_API int64_t crm_fim_db_item_support(const crm_fim_db *db, int32_t item);

/* ---- mining ------------------------------------------------------------------------------- */

typedef enum crm_fim_algo {
    CRM_FIM_NLIST = 0,    /* PrePost: PPC-tree, N-list intersection (default, fastest) */
    CRM_FIM_FPGROWTH = 1, /* FP-Growth: conditional FP-trees, single-path shortcut */
    CRM_FIM_APRIORI = 2   /* Apriori: level-wise candidates, prefix join, subset pruning */
} crm_fim_algo;

typedef enum crm_fim_mode {
    CRM_FIM_ALL = 0,    /* every frequent itemset */
    CRM_FIM_CLOSED = 1, /* frequent itemsets with no superset of equal support */
    CRM_FIM_MAXIMAL = 2 /* frequent itemsets with no frequent superset */
} crm_fim_mode;

typedef struct crm_fim_params { /* transparent; start from _params_default() */
    int64_t minsup_count;       /* support >= this count; when > 0 it takes precedence */
    double minsup;              /* else a fraction in (0, 1]: count = ceil(minsup x n) */
    int32_t min_len;            /* shortest itemset reported, >= 1 (default 1) */
    int32_t max_len;            /* longest itemset reported; 0 = no limit. With CLOSED/MAXIMAL
                                 * the property is judged among itemsets up to max_len. */
    crm_fim_algo algo;
    crm_fim_mode mode;
    /* More itemsets than this (counted before min_len filtering) stops mining with
     * CRM_ELIMIT and a message that says how to narrow the search; 0 = no limit.
     * Default 100,000,000. */
    int64_t max_itemsets;
    /* Working memory of the miner (trees, N-lists, candidate sets, closed/maximal filter)
     * above this is CRM_ELIMIT; 0 = no limit. Default 4 GiB. The sink's memory (e.g. a
     * crm_itemsets collection) is bounded by max_itemsets instead. */
    int64_t max_memory_bytes;
    int32_t n_threads; /* 0 = OpenMP default; never changes results or their order */
} crm_fim_params;

CRM_API crm_fim_params crm_fim_params_default(void);
/** CRM_EINVAL with a message naming the field: minsup not in (0, 1] when minsup_count <= 0,
 *  negative counts or limits, min_len < 1, max_len < 0 or < min_len, unknown algo/mode. */
CRM_API crm_status crm_fim_params_check(const crm_fim_params *p, crm_error *err);
/** The absolute minimum support p means for n transactions (>= 1). */
CRM_API int64_t crm_fim_minsup_count(const crm_fim_params *p, int64_t n_transactions);
/** "nlist", "fpgrowth", "apriori"; "all", "closed", "maximal". Static text. */
CRM_API const char *crm_fim_algo_name(crm_fim_algo a);
CRM_API const char *crm_fim_mode_name(crm_fim_mode m);
/** Parse the names above (case-sensitive). CRM_EINVAL when unknown. */
CRM_API crm_status crm_fim_algo_parse(const char *s, crm_fim_algo *out, crm_error *err);

/** Where itemsets go. fn receives items[n_items] (borrowed for the call, sorted ascending
 *  dense ids, n_items >= 1) and the support count. Returning anything but CRM_OK stops
 *  mining; crm_fim_mine then returns that status with the message fn wrote into err (or a
 *  generic one if fn wrote none). */
typedef struct crm_itemset_sink {
    crm_status (
        *fn)(void *ud, const int32_t *items, int32_t n_items, int64_t support, crm_error *err);
    void *ud;
} crm_itemset_sink;

typedef struct crm_fim_stats { /* filled by crm_fim_mine */
    int64_t n_itemsets;        /* itemsets passed to the sink */
    int32_t max_len;           /* longest of them (0 if none) */
    int64_t minsup_count;      /* absolute minimum support used */
    int32_t n_frequent_items;
    int64_t n_transactions;
    int64_t peak_memory_bytes; /* the miner's working memory, as counted for the limit */
    double seconds;            /* wall time of the call */
} crm_fim_stats;

/** Mine the frequent itemsets of db (borrowed for the call) and pass each to sink.
 *  stats may be NULL. Itemsets have 1 <= length, min_len <= length <= max_len (when set).
 *  Errors: CRM_EINVAL (params), CRM_ESTATE (db not finished), CRM_ELIMIT (max_itemsets or
 *  max_memory_bytes reached: err says which and suggests a higher minimum support or a
 *  max_len), CRM_ENOMEM, CRM_ECANCELLED, or whatever the sink returned.
 *  Complexity: output-sensitive; N-List is O(size of N-lists) per candidate. */
CRM_API crm_status crm_fim_mine(const crm_fim_db *db,
                                const crm_fim_params *p,
                                const crm_itemset_sink *sink,
                                const crm_progress *progress,
                                crm_fim_stats *stats,
                                crm_error *err);

/* ---- text writers (sinks) ----------------------------------------------------------------- */

typedef enum crm_itemset_format {
    CRM_ITEMSET_SPMF = 0, /* "1 5 9 #SUP: 123" (names where the db has them), one a line */
    CRM_ITEMSET_CSV = 1,  /* header items,size,support,relative_support; items as "{a,b}" */
    CRM_ITEMSET_JSON = 2  /* [{"items":["a","b"],"support":123,"relative_support":0.1},...] */
} crm_itemset_format;

typedef struct crm_itemset_writer crm_itemset_writer; /* opaque */

/** A sink that writes itemsets of db to fp (borrowed until _finish/_free; db is only read
 *  during this call: item names are copied). Output is buffered in large blocks.
 *  Errors: CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_itemset_writer_new(FILE *fp,
                                          crm_itemset_format format,
                                          const crm_fim_db *db,
                                          crm_itemset_writer **out,
                                          crm_error *err);
/** The sink to pass to crm_fim_mine (ud points to w). */
CRM_API crm_itemset_sink crm_itemset_writer_sink(crm_itemset_writer *w);
/** Write what is buffered and close the document (JSON's "]"). Errors: CRM_EIO. */
CRM_API crm_status crm_itemset_writer_finish(crm_itemset_writer *w, crm_error *err);
CRM_API void crm_itemset_writer_free(crm_itemset_writer *w); /* NULL is a no-op */
/** The transactions relative supports are taken over (default: the db's). */
CRM_API void crm_itemset_writer_set_transactions(crm_itemset_writer *w, int64_t n);

/* ---- in-memory collection (sink) ---------------------------------------------------------- */

typedef struct crm_itemsets crm_itemsets; /* opaque */

/** An empty collection for a database of n_transactions (the support of the empty itemset).
 *  Errors: CRM_ENOMEM. */
CRM_API crm_status crm_itemsets_new(int64_t n_transactions, crm_itemsets **out, crm_error *err);
/** The sink that appends to c (a repeated itemset is CRM_EINVAL). */
CRM_API crm_itemset_sink crm_itemsets_sink(crm_itemsets *c);
CRM_API void crm_itemsets_free(crm_itemsets *c); /* NULL is a no-op */

/** Mine into a new collection, sorted with crm_itemsets_sort. On success *out owns it. */
CRM_API crm_status crm_fim_mine_collect(const crm_fim_db *db,
                                        const crm_fim_params *p,
                                        const crm_progress *progress,
                                        crm_itemsets **out,
                                        crm_error *err);

CRM_API int64_t crm_itemsets_n_itemsets(const crm_itemsets *c);
CRM_API int64_t crm_itemsets_n_transactions(const crm_itemsets *c);
/** Itemset i (0-based; insertion order until sorted): returns its length, *items borrowed
 *  (sorted ascending), *support; 0 when out of range. Pointers stay valid until the next
 *  non-const call on c. */
CRM_API int32_t crm_itemsets_get(const crm_itemsets *c,
                                 int64_t i,
                                 const int32_t **items,
                                 int64_t *support);
/** Support of an itemset (items in any order, duplicates not allowed), or -1 when it is not
 *  in the collection. n_items == 0 gives n_transactions. Average O(n_items), hash lookup. */
CRM_API int64_t crm_itemsets_support(const crm_itemsets *c, const int32_t *items, int32_t n_items);
/** Sort into canonical order: by length, then lexicographically by items. */
CRM_API crm_status crm_itemsets_sort(crm_itemsets *c, crm_error *err);

/* ---- partitioned counting: files larger than memory, and distributed runs ------------------ */

/* Savasere, Omiecinski and Navathe (1995): pass 1 reads the input in chunks that fit in memory
 * and mines each at the minimum support scaled to its share of the transactions (an itemset
 * frequent in the whole is frequent in at least one chunk at its share); the union of those
 * candidates is then counted over every chunk in pass 2, which gives exact supports. The
 * result is the same set of itemsets with the same supports as crm_fim_mine, in canonical
 * order (by length, then by items in dictionary order). FIMI and basket formats (a line is a
 * transaction); LONG and VAS input is refused (a customer's rows may lie anywhere).
 *
 * The steps are separate so that a distributed run can give each process a byte range of the
 * file (aligned to line starts, line_base lines before it) and exchange candidates and counts:
 * every process imports every process's export in the same order, so that candidate i is the
 * same everywhere and the counts add up position by position. */
typedef struct crm_fim_part crm_fim_part; /* opaque */

/** A new state. chunk_bytes: the most text one chunk holds (> 0). opt and p are copied.
 *  Errors: CRM_EINVAL (LONG/VAS format, bad params), CRM_ENOMEM. */
CRM_API crm_status crm_fim_part_new(const crm_fim_read_options *opt,
                                    const crm_fim_params *p,
                                    int64_t chunk_bytes,
                                    crm_fim_part **out,
                                    crm_error *err);
CRM_API void crm_fim_part_free(crm_fim_part *pt); /* NULL is a no-op */
/** Resolve format AUTO from the first transaction line of the file (as the whole-file reader
 *  does), so that every range is read in one format. */
CRM_API crm_status crm_fim_part_detect(crm_fim_part *pt, const char *path, crm_error *err);
/** Transactions in bytes [begin, end) of path (end < 0: to the end of the file). A range other
 *  than the whole file needs a file that is held in memory (not a pipe or a large gzip). */
CRM_API crm_status crm_fim_part_count(crm_fim_part *pt,
                                      const char *path,
                                      int64_t begin,
                                      int64_t end,
                                      int64_t line_base,
                                      int64_t *n_trans,
                                      crm_error *err);
/** Pass 1 over a range: mine each chunk for candidates. n_total: the transactions of the whole
 *  input (needed when p gives a count, from crm_fim_part_count; else ignored). */
CRM_API crm_status crm_fim_part_pass1(crm_fim_part *pt,
                                      const char *path,
                                      int64_t begin,
                                      int64_t end,
                                      int64_t line_base,
                                      int64_t n_total,
                                      const crm_progress *progress,
                                      crm_error *err);
/** The candidates as bytes (item keys, not ids), for another process: *buf (crm_free it). */
CRM_API crm_status crm_fim_part_export(const crm_fim_part *pt,
                                       char **buf,
                                       size_t *len,
                                       crm_error *err);
/** Forget the candidates (before importing everyone's, own included). */
CRM_API void crm_fim_part_clear(crm_fim_part *pt);
/** Add the candidates of an export not yet held, in its order. CRM_EPARSE when damaged. */
CRM_API crm_status crm_fim_part_import(crm_fim_part *pt,
                                       const char *buf,
                                       size_t len,
                                       crm_error *err);
/** Pass 2 over a range: count every candidate (adds to the counts). */
CRM_API crm_status crm_fim_part_pass2(crm_fim_part *pt,
                                      const char *path,
                                      int64_t begin,
                                      int64_t end,
                                      int64_t line_base,
                                      const crm_progress *progress,
                                      crm_error *err);
/** The counts (candidate supports, then the transactions counted, crm_fim_part_n_counts in
 *  all): a process may replace them by their sum over every process. */
CRM_API int64_t crm_fim_part_n_counts(const crm_fim_part *pt);
CRM_API int64_t *crm_fim_part_counts(crm_fim_part *pt);
/** The frequent itemsets from the counts: *dict a finished database that holds the frequent
 *  items (names and dictionary order as the whole file gives them; give its n_transactions
 *  to a writer with crm_itemset_writer_set_transactions), *sets every frequent itemset (up to
 *  max_len) in dict's ids, sorted. stats (may be NULL): minsup_count, n_frequent_items,
 *  n_transactions, peak_memory_bytes. CRM_EDATA when no transactions were counted. */
CRM_API crm_status crm_fim_part_result(crm_fim_part *pt,
                                       crm_fim_db **dict,
                                       crm_itemsets **sets,
                                       crm_fim_stats *stats,
                                       crm_error *err);
/** Distinct items seen by pass 1 (and imports). */
CRM_API int64_t crm_fim_part_n_items(const crm_fim_part *pt);

/** All of it on one machine: detect, count (when p gives a count), pass 1, pass 2, result. */
CRM_API crm_status crm_fim_mine_partitioned(const char *path,
                                            const crm_fim_read_options *opt,
                                            const crm_fim_params *p,
                                            int64_t chunk_bytes,
                                            const crm_progress *progress,
                                            crm_fim_db **dict,
                                            crm_itemsets **sets,
                                            crm_fim_stats *stats,
                                            crm_error *err);

/** Pass a sorted collection of every frequent itemset (crm_fim_part_result, or
 *  crm_fim_mine_collect in CRM_FIM_ALL mode with min_len 1) to sink through p's min_len and
 *  mode (closed, maximal), in its order. stats (may be NULL): n_itemsets and max_len. */
CRM_API crm_status crm_itemsets_emit(const crm_itemsets *c,
                                     const crm_fim_params *p,
                                     const crm_itemset_sink *sink,
                                     crm_fim_stats *stats,
                                     crm_error *err);

#endif
