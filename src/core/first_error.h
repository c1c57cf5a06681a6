/* first_error.h: the outcome of jobs run side by side (never installed). */
#ifndef CRM_FIRST_ERROR_H
#define CRM_FIRST_ERROR_H
#include <stdint.h>

#include <crmkit/status.h>

/* The first of n jobs' statuses rcs[] that is not CRM_OK, in job order whatever the threads
 * that ran them, with its error errs[i] copied to *err (err may be NULL); CRM_OK when every
 * job succeeded. */
crm_status
crm__first_error(const crm_status *rcs, const crm_error *errs, int64_t n, crm_error *err);

#endif
