/* train_opts_logreg.c: `crmkit train` options of logistic regression. */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

int train_opt_logreg(crm_classifier_params *p, const char *name, const char *value)
{
    double v;
    int64_t n;
    if (strcmp(name, "logreg-c") == 0) {
        if (!cli_parse_double(value, &v) || !(v > 0.0)) {
            fprintf(stderr, "crmkit train: --logreg-c wants a positive number, got \"%s\"\n",
                    value);
            return -1;
        }
        p->logreg.c = v;
        return 1;
    }
    if (strcmp(name, "logreg-tol") == 0) {
        if (!cli_parse_double(value, &v) || !(v >= 0.0)) {
            fprintf(stderr, "crmkit train: --logreg-tol wants a number >= 0, got \"%s\"\n", value);
            return -1;
        }
        p->logreg.tol = v;
        return 1;
    }
    if (strcmp(name, "logreg-max-iter") == 0) {
        if (!cli_parse_int(value, 1, 1000000, &n)) {
            fprintf(stderr,
                    "crmkit train: --logreg-max-iter wants an integer in [1, 1000000], "
                    "got \"%s\"\n",
                    value);
            return -1;
        }
        p->logreg.max_iter = (int32_t)n;
        return 1;
    }
    if (strcmp(name, "logreg-intercept") == 0 || strcmp(name, "logreg-balanced") == 0) {
        if (!cli_parse_int(value, 0, 1, &n)) {
            fprintf(stderr, "crmkit train: --%s wants 0 or 1, got \"%s\"\n", name, value);
            return -1;
        }
        if (strcmp(name, "logreg-intercept") == 0) {
            p->logreg.fit_intercept = (int32_t)n;
        } else {
            p->logreg.class_weight_balanced = (int32_t)n;
        }
        return 1;
    }
    if (strcmp(name, "logreg-solver") == 0) {
        if (strcmp(value, "auto") == 0) {
            p->logreg.solver = CRM_LOGREG_AUTO;
        } else if (strcmp(value, "newton") == 0) {
            p->logreg.solver = CRM_LOGREG_NEWTON;
        } else if (strcmp(value, "lbfgs") == 0) {
            p->logreg.solver = CRM_LOGREG_LBFGS;
        } else {
            fprintf(stderr,
                    "crmkit train: --logreg-solver wants auto, newton or lbfgs, got "
                    "\"%s\"\n",
                    value);
            return -1;
        }
        return 1;
    }
    return 0;
}

void train_help_logreg(FILE *fp)
{
    fprintf(fp, "  --logreg-c C           inverse L2 strength, as scikit-learn's C (default 1)\n"
                "  --logreg-balanced 0|1  weight classes by n / (k * n_class) (default 0)\n"
                "  --logreg-intercept 0|1 fit an unpenalised intercept (default 1)\n"
                "  --logreg-solver S      auto, newton or lbfgs (default auto)\n"
                "  --logreg-max-iter N    solver iterations (default 1000)\n"
                "  --logreg-tol T         gradient tolerance, relative (default 1e-10)\n");
}
