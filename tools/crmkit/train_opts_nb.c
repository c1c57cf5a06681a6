/* train_opts_nb.c: `crmkit train` options of naive Bayes. */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

int train_opt_nb(crm_classifier_params *p, const char *name, const char *value)
{
    double v;
    int64_t n;
    if (strcmp(name, "nb-var-smoothing") == 0) {
        if (!cli_parse_double(value, &v) || !(v >= 0.0)) {
            fprintf(stderr, "crmkit train: --nb-var-smoothing wants a number >= 0, got \"%s\"\n",
                    value);
            return -1;
        }
        p->nb.var_smoothing = v;
        return 1;
    }
    if (strcmp(name, "nb-alpha") == 0) {
        if (!cli_parse_double(value, &v) || !(v > 0.0)) {
            fprintf(stderr, "crmkit train: --nb-alpha wants a positive number, got \"%s\"\n",
                    value);
            return -1;
        }
        p->nb.alpha = v;
        return 1;
    }
    if (strcmp(name, "nb-fit-prior") == 0 || strcmp(name, "nb-design") == 0) {
        if (!cli_parse_int(value, 0, 1, &n)) {
            fprintf(stderr, "crmkit train: --%s wants 0 or 1, got \"%s\"\n", name, value);
            return -1;
        }
        *(strcmp(name, "nb-design") == 0 ? &p->nb.design : &p->nb.fit_prior) = (int32_t)n;
        return 1;
    }
    return 0;
}

void train_help_nb(FILE *fp)
{
    fprintf(fp,
            "  --nb-var-smoothing V   added variance, times the largest column variance "
            "(default 1e-9)\n"
            "  --nb-alpha A           Laplace smoothing of category counts (default 1)\n"
            "  --nb-fit-prior 0|1     class frequencies as priors (default 1)\n"
            "  --nb-design 0|1        1: Gaussians on the one-hot, scaled design matrix, as\n"
            "                         scikit-learn's GaussianNB (default 0: categorical counts)\n");
}
