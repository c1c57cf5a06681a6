/* train_opts_svm.c: `crmkit train` options of the svm algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_svm(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_svm(FILE *fp)
{
    (void)fp;
}
