/* gen_vas_internal.h: what the VAS generator shares with the rest of src/gen. */
#ifndef CRM_GEN_VAS_INTERNAL_H
#define CRM_GEN_VAS_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

/* Subscriber id of customer index i (0-based), the same string `crmkit gen customers`
 * writes for row i, into buf[size]. */
void crm__gen_vas_customer_id(int64_t i, char *buf, size_t size);

#endif
