/* crmkit/gen.h: synthetic telecom data that looks like an operator's customer base.
 *
 * The customer table has latent structure on purpose: each subscriber belongs to one of six
 * hidden customer types (heavy data users, voice-centric, low-value prepaid, premium
 * postpaid, young social users, dormant lines) that set the distributions of usage, billing,
 * plan and region, and churn follows a logistic model of tenure, complaints, plan, bill and
 * data use. Segmentation and churn prediction therefore have something real to find.
 *
 * Generation runs over fixed blocks of rows, each with its own random stream derived from
 * (seed, block), so the output depends on the seed only, never on the number of threads.
 *
 * Thread safety: the functions keep no state; calls may run concurrently. */
#ifndef CRMKIT_GEN_H
#define CRMKIT_GEN_H
#include <stdbool.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_gen_customers_params {
    int64_t n_rows; /* subscribers, 1 .. 2^31 - 1 */
    uint64_t seed;
    /* Share of cells left empty in each usage column, tenure, complaints, revenue and region
     * (never in the id, plan, bill items, monthly_bill or churn), in [0, 0.5]. */
    double missing_rate;
    /* Share of rows with one usage value (upload, download, voice, SMS, called parties)
     * multiplied by a factor between 20 and 100, in [0, 0.5]. */
    double outlier_rate;
    bool with_truth;   /* add a "true_type" column naming each row's latent type */
    int32_t n_threads; /* 0 = OpenMP default; never changes the result */
    /* More usage columns after churn, 0..CRM_GEN_MAX_EXTRA (default 0): roaming_min,
     * intl_voice_min, data_sessions, video_mb, night_data_mb, topup_count, care_calls,
     * device_age_months, apps_used, weekend_voice_min, in this order, from the row's latent
     * type and a random stream of their own (the other columns are the same with or without
     * them). */
    int32_t extra_features;
} crm_gen_customers_params;

#define CRM_GEN_MAX_EXTRA 10
/* Numeric features of the table with no extra columns (id and churn left out). */
#define CRM_GEN_BASE_FEATURES 14

/** Defaults: 10000 rows, seed 42, missing_rate 0.02, outlier_rate 0.005, no truth column. */
CRM_API crm_gen_customers_params crm_gen_customers_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_gen_customers_params_check(const crm_gen_customers_params *p,
                                                  crm_error *err);

/** Generate the customer table. On success *out owns a new table (free with
 *  crm_table_free) with these columns, in this order:
 *    subscriber_id (id, "S0000001"...), region (categorical, 8 regions),
 *    plan_type (categorical: prepaid, postpaid, hybrid), tenure_days,
 *    upload_mb, download_mb (monthly, heavy-tailed), voice_onnet_min, voice_offnet_min,
 *    sms_count, called_parties, complaints (90 days), bill_voice, bill_data, bill_sms,
 *    bill_vas, monthly_bill (= the sum of the four bill items, to the cent), revenue (last
 *    quarter, including interconnect income), churn (0/1, about one in four), the
 *    extra_features extra columns, and true_type when asked for.
 *  Errors: CRM_EINVAL (bad params), CRM_ENOMEM. Time and memory are linear in n_rows
 *  (about a second per million rows on one core). */
CRM_API crm_status crm_gen_customers(const crm_gen_customers_params *p,
                                     crm_table **out,
                                     crm_error *err);

/** Rows [first, first + n) of the table crm_gen_customers makes for the same params (the same
 *  values and ids), for writing a large table part by part in constant memory. first must be
 *  a multiple of CRM_GEN_CUSTOMERS_PART and first + n <= p->n_rows (CRM_EINVAL otherwise). */
#define CRM_GEN_CUSTOMERS_PART 4096
CRM_API crm_status crm_gen_customers_part(const crm_gen_customers_params *p,
                                          int64_t first,
                                          int64_t n,
                                          crm_table **out,
                                          crm_error *err);

/** Names of the latent types, in code order (n_types of them); static text. */
CRM_API const char *crm_gen_customer_type_name(int32_t type);
#define CRM_GEN_N_CUSTOMER_TYPES 6

/* ---- VAS transaction log ------------------------------------------------------------------
 *
 * A log like the one of the basket-analysis seed paper: msg_type, mobile_no, txn_amount,
 * pr_code, record_time, txn_type, target_mobile, topup_type, status; one row per purchase,
 * renewal, top-up or failed attempt, in time order. mobile_no values are the subscriber ids
 * of crm_gen_customers for the same number of rows. Customers belong to a customer type
 * (youth, business, family, sports fan, light user) that decides which bundles of services
 * they buy together; with a segmentation each segment gets one type, so segments differ in
 * their baskets. docs/formats/vas-log.md describes the columns and the service catalogue. */

typedef struct crm_gen_vas_params { /* transparent; start from _params_default() */
    int64_t n_customers;            /* subscribers, ids as `crmkit gen customers`; 1000 */
    uint64_t seed;                  /* 42 */
    int32_t days;                   /* length of the log in days from 2024-01-01; 90 */
    double failure_rate;            /* share of rows that fail (FAILED/TIMEOUT); 0.06 */
    /* Optional segmentation: n_labels pairs (customer id, segment name), borrowed for the
     * call. Segment names, sorted, take customer types in turn; customers without a label
     * keep a type drawn from the seed. */
    const char *const *label_ids;
    const char *const *label_segments;
    int64_t n_labels;
} crm_gen_vas_params;

CRM_API crm_gen_vas_params crm_gen_vas_params_default(void);
CRM_API crm_status crm_gen_vas_params_check(const crm_gen_vas_params *p, crm_error *err);

/** Write the log as CSV (header row) atomically to path ("-" = stdout). The same params
 *  give the same bytes. Errors: CRM_EINVAL, CRM_EIO, CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_gen_vas(const crm_gen_vas_params *p,
                               const char *path,
                               const crm_progress *progress,
                               crm_error *err);

/** The service catalogue: number of services, and for service i its pr_code, readable
 *  name and category (static text; NULL when i is out of range). */
CRM_API int32_t crm_gen_vas_n_services(void);
CRM_API const char *crm_gen_vas_code(int32_t i);
CRM_API const char *crm_gen_vas_service_name(int32_t i);
CRM_API const char *crm_gen_vas_category(int32_t i);
/** Readable name of a pr_code, or NULL when the code is not in the catalogue. */
CRM_API const char *crm_gen_vas_describe(const char *code);
/** Write the catalogue as CSV (pr_code,name,category,price) atomically to path. */
CRM_API crm_status crm_gen_vas_write_catalogue(const char *path, crm_error *err);

/* ---- call detail records ------------------------------------------------------------------
 *
 * CDRs of the customers of crm_gen_customers with the same seed and number of rows: callers
 * are their subscriber ids, and each customer's hidden type, plan and true (noise-free) usage
 * drive its records: voice calls on-net and off-net at the rates of its monthly minutes, SMS,
 * data sessions carrying its monthly megabytes, calls to a fixed list of contacts as long as
 * its called_parties (on-net contacts are other customers), a night share and a weekend
 * preference by type, charges at its plan's tariff, and churners falling silent part way.
 * Over 30 days the records add up to about the customer table's usage columns.
 *
 * Columns: caller, callee, start_time (YYYY-MM-DD HH:MM:SS from 2024-01-01), duration (s),
 * network (onnet/offnet; empty for data), type (voice/sms/data), bytes, charge (4
 * decimals). Records come day by day; within a day, by blocks of 4096 customers, each block
 * in time order. Output is written as it is made (memory grows with the customers, not the
 * records), gzip-compressed when the path ends in ".gz" (one gzip member per block and day,
 * as pigz does), and is the same for the same params whatever the number of threads. */

typedef struct crm_gen_cdr_params { /* transparent; start from _params_default() */
    int64_t n_customers;            /* subscribers, ids as `crmkit gen customers`; 1000 */
    uint64_t seed;                  /* 42 */
    int32_t days;                   /* days from 2024-01-01; 30 */
    int32_t n_threads;              /* 0 = OpenMP default; never changes the output */
} crm_gen_cdr_params;

typedef struct crm_gen_cdr_summary {
    int64_t n_records, n_voice, n_sms, n_data;
} crm_gen_cdr_summary;

CRM_API crm_gen_cdr_params crm_gen_cdr_params_default(void);
CRM_API crm_status crm_gen_cdr_params_check(const crm_gen_cdr_params *p, crm_error *err);

/** Write the records as CSV (header row) atomically to path ("-" = stdout); summary may be
 *  NULL. Errors: CRM_EINVAL, CRM_EIO, CRM_ENOMEM, CRM_ECANCELLED. */
CRM_API crm_status crm_gen_cdr(const crm_gen_cdr_params *p,
                               const char *path,
                               const crm_progress *progress,
                               crm_gen_cdr_summary *summary,
                               crm_error *err);

#endif
