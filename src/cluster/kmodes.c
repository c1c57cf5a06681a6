/* kmodes.c: k-modes and k-prototypes (crmkit/kmodes.h). */
#include <math.h>
#include <string.h>

#include <crmkit/kmodes.h>

#include "core/core_internal.h"

struct crm_kmodes {
    crm_kmodes_params params;
    int fitted;
    int32_t n_num;
    int32_t n_cat;
    int32_t *n_levels; /* n_cat */
    int32_t *modes;    /* k x n_cat */
    double *means;     /* k x n_num */
    int32_t *labels;   /* n_rows, NULL after load */
    int64_t n_rows;
    double gamma;
    double cost;
    int32_t n_iter;
};

void crm_kmodes_free(crm_kmodes *km)
{
    if (km == NULL) {
        return;
    }
    crm_free(km->n_levels);
    crm_free(km->modes);
    crm_free(km->means);
    crm_free(km->labels);
    crm_free(km);
}
