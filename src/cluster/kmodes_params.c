/* kmodes_params.c: parameters of k-modes / k-prototypes and of hierarchical clustering. */
#include <math.h>
#include <string.h>

#include <crmkit/hclust.h>
#include <crmkit/kmodes.h>

#include "core/core_internal.h"

crm_kmodes_params crm_kmodes_params_default(void)
{
    return (crm_kmodes_params){
        .k = 8, .init = CRM_KMODES_INIT_CAO, .n_init = 1, .max_iter = 100, .gamma = -1.0
    };
}

/* The end of both checks: n_threads, checked last, and then the field that failed (NULL when
 * none did) named in err. */
static crm_status check_end(int32_t n_threads, const char *field, crm_error *err)
{
    if (field == NULL && n_threads < 0) {
        crm__error_set(err, CRM_EINVAL, "n_threads must be >= 0, got %d", (int)n_threads);
        field = "n_threads";
    }
    if (field != NULL) {
        crm__error_field(err, field);
        return CRM_EINVAL;
    }
    return CRM_OK;
}

crm_status crm_kmodes_params_check(const crm_kmodes_params *p, crm_error *err)
{
    const char *field = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "k-modes parameters are NULL");
    }
    if (p->k < 1) {
        crm__error_set(err, CRM_EINVAL, "k must be at least 1, got %d", (int)p->k);
        field = "k";
    } else if ((unsigned)p->init > CRM_KMODES_INIT_RANDOM) {
        crm__error_set(err, CRM_EINVAL, "unknown k-modes initialisation %d", (int)p->init);
        field = "init";
    } else if (p->n_init < 1) {
        crm__error_set(err, CRM_EINVAL, "n_init must be at least 1, got %d", (int)p->n_init);
        field = "n_init";
    } else if (p->max_iter < 1) {
        crm__error_set(err, CRM_EINVAL, "max_iter must be at least 1, got %d", (int)p->max_iter);
        field = "max_iter";
    } else if (isnan(p->gamma) || isinf(p->gamma)) {
        crm__error_set(err, CRM_EINVAL, "gamma must be a finite number (< 0 for automatic)");
        field = "gamma";
    }
    return check_end(p->n_threads, field, err);
}

crm_hclust_params crm_hclust_params_default(void)
{
    return (crm_hclust_params){ .linkage = CRM_LINKAGE_WARD,
                                .max_bytes = (int64_t)1 << 31,
                                .n_micro = 1000 };
}

crm_status crm_hclust_params_check(const crm_hclust_params *p, crm_error *err)
{
    const char *field = NULL;
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "hierarchical parameters are NULL");
    }
    if ((unsigned)p->linkage > CRM_LINKAGE_SINGLE) {
        crm__error_set(err, CRM_EINVAL, "unknown linkage %d", (int)p->linkage);
        field = "linkage";
    } else if (p->max_bytes < 8) {
        crm__error_set(err, CRM_EINVAL, "max_bytes must be at least 8, got %lld",
                       (long long)p->max_bytes);
        field = "max_bytes";
    } else if (p->n_micro < 2) {
        crm__error_set(err, CRM_EINVAL, "n_micro must be at least 2, got %d", (int)p->n_micro);
        field = "n_micro";
    }
    return check_end(p->n_threads, field, err);
}

static const char *const linkage_names[] = { "ward", "complete", "average", "single" };

int crm_linkage_parse(const char *s)
{
    for (int i = 0; s != NULL && i < 4; i++) {
        if (strcmp(s, linkage_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *crm_linkage_name(crm_linkage l)
{
    return (unsigned)l <= CRM_LINKAGE_SINGLE ? linkage_names[l] : "unknown";
}

/* Single linkage needs no matrix; its guard bounds the O(n^2) time instead. */
#define HCLUST_SINGLE_MAX_ROWS 65536

int64_t crm_hclust_max_rows(const crm_hclust_params *p)
{
    /* largest n with n (n - 1) / 2 * 8 <= max_bytes */
    double pairs = (double)p->max_bytes / 8.0;
    int64_t n = (int64_t)floor((1.0 + sqrt(1.0 + 8.0 * pairs)) / 2.0);
    while (n > 2 && (double)n * (double)(n - 1) / 2.0 > pairs) {
        n--;
    }
    if (p->linkage == CRM_LINKAGE_SINGLE) {
        return HCLUST_SINGLE_MAX_ROWS;
    }
    return n < 2 ? 2 : n;
}
