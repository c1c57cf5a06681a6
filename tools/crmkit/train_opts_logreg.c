/* train_opts_logreg.c: `crmkit train` options of the logreg algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_logreg(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_logreg(FILE *fp)
{
    (void)fp;
}
