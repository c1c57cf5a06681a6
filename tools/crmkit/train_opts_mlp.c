/* train_opts_mlp.c: `crmkit train` options of the mlp algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_mlp(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_mlp(FILE *fp)
{
    (void)fp;
}
