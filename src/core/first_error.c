/* first_error.c: the first failure of jobs run side by side. */
#include "core/first_error.h"

#include <stddef.h>

crm_status crm__first_error(const crm_status *rcs, const crm_error *errs, int64_t n, crm_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (rcs[i] != CRM_OK) {
            if (err != NULL) {
                *err = errs[i];
            }
            return rcs[i];
        }
    }
    return CRM_OK;
}
