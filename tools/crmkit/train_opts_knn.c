/* train_opts_knn.c: `crmkit train` options of the knn algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_knn(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_knn(FILE *fp)
{
    (void)fp;
}
