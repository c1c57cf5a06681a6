/* gen_internal.h: what the customer generator shares with the other generators of src/gen. */
#ifndef CRM_GEN_INTERNAL_H
#define CRM_GEN_INTERNAL_H
#include <stdint.h>

#define CRM__GEN_BLOCK 4096 /* rows per random stream of crm_gen_customers */

/* A subscriber's true (noise-free) attributes as crm_gen_customers draws them. */
typedef struct crm__gen_truth {
    int32_t type; /* latent customer type, 0 .. CRM_GEN_N_CUSTOMER_TYPES - 1 */
    int32_t plan; /* 0 prepaid, 1 postpaid, 2 hybrid */
    double onnet_min;
    double offnet_min; /* monthly voice minutes */
    double sms;        /* monthly SMS */
    double parties;    /* called parties */
    double down_mb;
    double up_mb; /* monthly data */
    int churn;
} crm__gen_truth;

/* Rows first .. first + n - 1 of crm_gen_customers with this seed, before missing values and
 * outliers, into out[n]. Replays each block from its start; cost linear in n (+ one block). */
void crm__gen_customers_truth(uint64_t seed, int64_t first, int64_t n, crm__gen_truth *out);

#endif
