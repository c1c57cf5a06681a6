/* crmkit/cdr.h: per-customer behaviour features from call detail records (CDRs).
 *
 * A CDR file is CSV with a header naming (in any order, other columns ignored):
 *   caller      the customer the record is charged to (non-empty)
 *   callee      the other party (required for voice and sms, may be empty for data)
 *   start_time  YYYY-MM-DD HH:MM:SS (or with a T between date and time), local time
 *   duration    seconds, a whole number >= 0 (empty = 0)
 *   network     onnet or offnet (also on-net/off-net; may be empty for data)
 *   type        voice, sms or data
 *   bytes       a whole number >= 0 (empty = 0)
 *   charge      a decimal number >= 0 (empty = 0), summed exactly to 1e-6
 * as `crmkit gen cdr` writes. The file is read once, in blocks: n_threads - 1 threads split
 * and check the records while the calling thread sums them (integer sums) into one table of
 * customers and one set of (caller, callee) pairs, so the features do not depend on the
 * number of threads or on the order of the records.
 *
 * Memory: one accumulator per customer (caller), one interned string per distinct callee, and
 * one 8-byte entry per distinct (caller, callee) voice pair (the exact count of called
 * parties); none of these grows with the number of records once the population and its
 * contacts have been seen. The records themselves are never kept (a few 4 MiB blocks and
 * their checked records in flight).
 *
 * Thread safety: the functions keep no state; a crm_cdr_features is read-only once made. */
#ifndef CRMKIT_CDR_H
#define CRMKIT_CDR_H
#include <stdbool.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_cdr_params { /* transparent; start from _params_default() */
    /* Date window on the start time, both ends included, in days since 1970-01-01 (see
     * crm_cdr_parse_date); records outside it are checked and skipped. */
    bool has_from;
    bool has_to;
    int64_t from_day;
    int64_t to_day;
    int32_t n_threads; /* threads; 0 = 2; never changes the result */
} crm_cdr_params;

CRM_API crm_cdr_params crm_cdr_params_default(void);
CRM_API crm_status crm_cdr_params_check(const crm_cdr_params *p, crm_error *err);

/** Days since 1970-01-01 of "YYYY-MM-DD" (proleptic Gregorian). CRM_EINVAL otherwise. */
CRM_API crm_status crm_cdr_parse_date(const char *s, int64_t *day, crm_error *err);

/* The feature columns, after the id column "subscriber_id", in this order:
 *   calls_onnet, calls_offnet        voice calls by network
 *   minutes_onnet, minutes_offnet    voice minutes (seconds / 60) by network
 *   called_parties                   distinct callees of the customer's voice calls (exact)
 *   avg_call_s                       voice seconds / voice calls (0 without calls)
 *   night_share                      share of records started 22:00:00-05:59:59 (day share is
 *                                    1 - night_share)
 *   weekend_share                    share of records started on Saturday or Sunday
 *   sms_count, data_sessions, data_mb (bytes / 2^20)
 *   charge_total, charge_voice, charge_sms, charge_data
 *   charge_voice_share, charge_sms_share, charge_data_share (each / charge_total; 0 when
 *                                    the total is 0)
 * Shares over records count voice calls, SMS and data sessions alike. */
#define CRM_CDR_N_FEATURES 18
/** Name of feature j (static text), NULL when out of range. */
CRM_API const char *crm_cdr_feature_name(int32_t j);

typedef struct crm_cdr_features crm_cdr_features; /* opaque: one row per caller */

typedef struct crm_cdr_summary {
    int64_t n_records; /* data rows read */
    int64_t n_used;    /* inside the date window */
    int64_t n_voice, n_sms, n_data;
    int64_t n_customers;
    int64_t n_callees; /* distinct callee strings (voice) */
    int64_t n_pairs;   /* distinct (caller, callee) voice pairs */
    int64_t first_day; /* of the records used, days since 1970-01-01; -1 when none */
    int64_t last_day;
} crm_cdr_summary;

/** Read the CDR file at path ("-" = standard input; gzip detected) once into per-customer
 *  features. Errors name file, line, column and field: CRM_ENOTFOUND (no file, or a
 *  required column missing from the header), CRM_EIO (a read failed), CRM_EPARSE (a bad
 *  timestamp, number, type or network; a ragged row; bad quoting; damaged gzip data),
 *  CRM_ELIMIT (a field over 1 MiB), CRM_EDATA (no records in the window), CRM_ENOMEM,
 *  CRM_ECANCELLED. */
CRM_API crm_status crm_cdr_aggregate(const char *path,
                                     const crm_cdr_params *p,
                                     const crm_progress *progress,
                                     crm_cdr_features **out,
                                     crm_error *err);
CRM_API void crm_cdr_features_free(crm_cdr_features *f); /* NULL is a no-op */

/** Customers, sorted by id (byte order). */
CRM_API int64_t crm_cdr_features_n_customers(const crm_cdr_features *f);
/** Borrowed id of customer i. */
CRM_API const char *crm_cdr_features_id(const crm_cdr_features *f, int64_t i);
/** Feature j of customer i (NaN when out of range). */
CRM_API double crm_cdr_features_value(const crm_cdr_features *f, int64_t i, int32_t j);
CRM_API crm_cdr_summary crm_cdr_features_summary(const crm_cdr_features *f);

/** Write the features as CSV (header subscriber_id,<features>) atomically to path ("-" =
 *  stdout). Errors: CRM_EIO. */
CRM_API crm_status crm_cdr_features_write_csv(const crm_cdr_features *f,
                                              const char *path,
                                              crm_error *err);
/** The same as a new table (subscriber_id an id column). */
CRM_API crm_status crm_cdr_features_to_table(const crm_cdr_features *f,
                                             crm_table **out,
                                             crm_error *err);

/* ---- across processes ------------------------------------------------------------------ *
 * A run split across processes (crmkit/dist.h): each reads its byte range of the file
 * (aligned to line starts) into a part, the parts are exported as bytes and merged into one
 * (integer sums added, callers, callees and (caller, callee) pairs united), which gives
 * exactly the features of one process, whichever process saw which records of a customer. */
typedef struct crm_cdr_part crm_cdr_part; /* opaque */

/** Records in bytes [begin, end) of the plain file path (end < 0: to its end), begin being a
 *  line start (or 0) at line first_line of the file: errors name the file's lines. begin < 0:
 *  the whole input (gzip too); end <= begin: an empty part, nothing read. A part without
 *  records is fine (CRM_EDATA comes from crm_cdr_part_finish). */
CRM_API crm_status crm_cdr_aggregate_part(const char *path,
                                          int64_t begin,
                                          int64_t end,
                                          int64_t first_line,
                                          const crm_cdr_params *p,
                                          const crm_progress *progress,
                                          crm_cdr_part **out,
                                          crm_error *err);
CRM_API void crm_cdr_part_free(crm_cdr_part *pt); /* NULL is a no-op */
/** The part's sums and sets as bytes (*buf: crm_free it). */
CRM_API crm_status crm_cdr_part_export(const crm_cdr_part *pt,
                                       char **buf,
                                       size_t *len,
                                       crm_error *err);
/** Add an exported part to into. CRM_EPARSE when the bytes are damaged. */
CRM_API crm_status crm_cdr_part_merge(crm_cdr_part *into,
                                      const char *buf,
                                      size_t len,
                                      crm_error *err);
/** The features of the merged parts (as crm_cdr_aggregate gives them). CRM_EDATA when no
 *  record was in the window. */
CRM_API crm_status crm_cdr_part_finish(crm_cdr_part *pt, crm_cdr_features **out, crm_error *err);

/** Collective (crmkit/dist.h): the features of the file at path read by every process of a
 *  job, each its byte range of the file (a gzip file: process 0 reads it all). Each customer
 *  is owned by one process (by a hash of its id); the partial sums and (caller, callee) pairs
 *  of the customers go to their owners in one all-to-all exchange, each owner makes its
 *  customers' features, and process 0 receives them all in *out (others: NULL), the bytes
 *  crm_cdr_aggregate gives. The status and error are agreed: a bad row on any process stops
 *  all of them with the message (file, line, column) of one process. Without a job, the
 *  same as crm_cdr_aggregate of a plain file. */
CRM_API crm_status crm_cdr_aggregate_dist(const char *path,
                                          const crm_cdr_params *p,
                                          const crm_progress *progress,
                                          crm_cdr_features **out,
                                          crm_error *err);

#endif
