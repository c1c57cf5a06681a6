/* train_opts_c45.c: `crmkit train` options of C4.5. */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

int train_opt_c45(crm_classifier_params *p, const char *name, const char *value)
{
    double v;
    int64_t n;
    if (strcmp(name, "c45-confidence") == 0) {
        if (!cli_parse_double(value, &v) || !(v > 0.0 && v <= 0.5)) {
            fprintf(stderr,
                    "crmkit train: --c45-confidence wants a number in (0, 0.5], got "
                    "\"%s\"\n",
                    value);
            return -1;
        }
        p->c45.confidence = v;
        return 1;
    }
    if (strcmp(name, "c45-min-leaf") == 0) {
        if (!cli_parse_double(value, &v) || !(v >= 1.0)) {
            fprintf(stderr, "crmkit train: --c45-min-leaf wants a number >= 1, got \"%s\"\n",
                    value);
            return -1;
        }
        p->c45.min_leaf = v;
        return 1;
    }
    if (strcmp(name, "c45-laplace") == 0) {
        if (!cli_parse_int(value, 0, 1, &n)) {
            fprintf(stderr, "crmkit train: --c45-laplace wants 0 or 1, got \"%s\"\n", value);
            return -1;
        }
        p->c45.laplace = (int32_t)n;
        return 1;
    }
    if (strcmp(name, "c45-prune") == 0 || strcmp(name, "c45-raise") == 0 ||
        strcmp(name, "c45-max-depth") == 0) {
        int64_t max = strcmp(name, "c45-max-depth") == 0 ? 1000 : 1;
        if (!cli_parse_int(value, 0, max, &n)) {
            fprintf(stderr, "crmkit train: --%s wants an integer in [0, %lld], got \"%s\"\n", name,
                    (long long)max, value);
            return -1;
        }
        if (strcmp(name, "c45-prune") == 0) {
            p->c45.prune = (int32_t)n;
        } else if (strcmp(name, "c45-raise") == 0) {
            p->c45.subtree_raising = (int32_t)n;
        } else {
            p->c45.max_depth = (int32_t)n;
        }
        return 1;
    }
    return 0;
}

void train_help_c45(FILE *fp)
{
    fprintf(fp, "  --c45-confidence CF    pruning confidence factor (default 0.25)\n"
                "  --c45-min-leaf N       minimum rows per branch (default 2)\n"
                "  --c45-prune 0|1        pessimistic-error pruning (default 1)\n"
                "  --c45-raise 0|1        subtree raising while pruning (default 1)\n"
                "  --c45-max-depth D      depth limit, 0 = none (default 0)\n"
                "  --c45-laplace 0|1      Laplace-corrected leaf probabilities (default 1)\n");
}
