/* train_opts_nb.c: `crmkit train` options of the nb algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_nb(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_nb(FILE *fp)
{
    (void)fp;
}
