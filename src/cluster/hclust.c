/* hclust.c: the hierarchical clustering object (crmkit/hclust.h): fit with the memory guard,
 * cuts, assign. The linkage algorithms are in hclust_linkage.c. */
#include <math.h>
#include <string.h>

#include <crmkit/hclust.h>

#include "core/core_internal.h"

struct crm_hclust {
    crm_hclust_params params;
    int64_t n_rows;
    int64_t n_leaves;
    int32_t n_micro;
    int32_t dim;
    double *merges;      /* (n_leaves - 1) x 4 */
    int32_t *leaf_of;    /* n_rows: micro-cluster of each row (NULL when direct) */
    int32_t k;           /* after a cut, else 0 */
    double cut_at;       /* NaN for a cut by k */
    int32_t *labels;     /* n_rows, NULL after load */
    double *centers;     /* k x dim */
    double inertia;
    double *x_copy;      /* training rows kept until the cut (NULL after load) */
};

void crm_hclust_free(crm_hclust *h)
{
    if (h == NULL) {
        return;
    }
    crm_free(h->merges);
    crm_free(h->leaf_of);
    crm_free(h->labels);
    crm_free(h->centers);
    crm_free(h->x_copy);
    crm_free(h);
}
