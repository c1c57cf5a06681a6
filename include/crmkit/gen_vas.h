/* crmkit/gen_vas.h: synthetic value-added-service (VAS) transaction log.
 *
 * A log like the one of the seed paper: msg_type, mobile_no, txn_amount, pr_code,
 * record_time, txn_type, target_mobile, topup_type, status; one row per purchase, renewal,
 * top-up or failed attempt, in time order. Customers belong to a customer type (youth,
 * business, family, sports fan, light user) that decides which bundles of services they buy
 * together; with a segmentation each segment gets one type, so segments differ in their
 * baskets. docs/formats/vas-log.md describes the columns and the service catalogue.
 *
 * Thread safety: every function is reentrant. */
#ifndef CRMKIT_GEN_VAS_H
#define CRMKIT_GEN_VAS_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_gen_vas_params {  /* transparent; start from _params_default() */
    int64_t n_customers;             /* subscribers, ids as `crmkit gen customers`; 1000 */
    uint64_t seed;                   /* 1 */
    int32_t days;                    /* length of the log in days from 2024-01-01; 90 */
    double failure_rate;             /* share of rows that fail (FAILED/TIMEOUT); 0.06 */
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
CRM_API crm_status crm_gen_vas(const crm_gen_vas_params *p, const char *path,
                               const crm_progress *progress, crm_error *err);

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

#endif
