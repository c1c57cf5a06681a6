/* train_opts_gbt.c: `crmkit train` options of the gbt algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_gbt(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_gbt(FILE *fp)
{
    (void)fp;
}
