/* c45_params.c: defaults and checks of the C4.5 parameters (crmkit/c45.h). */
#include <math.h>

#include <crmkit/c45.h>

#include "core/core_internal.h"

crm_c45_params crm_c45_params_default(void)
{
    return (crm_c45_params){ .confidence = 0.25,
                             .min_leaf = 2.0,
                             .prune = 1,
                             .subtree_raising = 1,
                             .max_depth = 0,
                             .laplace = 1 };
}

crm_status crm_c45_params_check(const crm_c45_params *p, crm_error *err)
{
    crm_status rc = CRM_OK;
    if (!(p->confidence > 0.0 && p->confidence <= 0.5)) {
        rc = crm__error_set(err, CRM_EINVAL, "C4.5 confidence must be in (0, 0.5], got %g",
                            p->confidence);
        crm__error_field(err, "confidence");
    } else if (!(p->min_leaf >= 1.0) || !isfinite(p->min_leaf)) {
        rc = crm__error_set(err, CRM_EINVAL, "C4.5 minimum leaf size must be >= 1, got %g",
                            p->min_leaf);
        crm__error_field(err, "min_leaf");
    } else if (p->laplace != 0 && p->laplace != 1) {
        rc = crm__error_set(err, CRM_EINVAL, "C4.5 laplace must be 0 or 1, got %d", p->laplace);
        crm__error_field(err, "laplace");
    } else if (p->max_depth < 0) {
        rc = crm__error_set(err, CRM_EINVAL, "C4.5 max depth must be >= 0, got %d", p->max_depth);
        crm__error_field(err, "max_depth");
    }
    return rc;
}
