/* train_opts_vote.c: `crmkit train` options of the vote algorithm (placeholder: none yet). */
#include "train_opts.h"

int train_opt_vote(crm_classifier_params *p, const char *name, const char *value)
{
    (void)p;
    (void)name;
    (void)value;
    return 0;
}

void train_help_vote(FILE *fp)
{
    (void)fp;
}
