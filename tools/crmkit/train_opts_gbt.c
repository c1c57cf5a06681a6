/* train_opts_gbt.c: `crmkit train` options of gradient-boosted trees. */
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

typedef struct int_opt {
    const char *name;
    int64_t min, max;
    size_t offset; /* of the int32_t field in crm_gbt_params */
} int_opt;

static const int_opt int_opts[] = {
    { "gbt-max-iter", 1, 1000000, offsetof(crm_gbt_params, max_iter) },
    { "gbt-max-leaf-nodes", 0, 1 << 20, offsetof(crm_gbt_params, max_leaf_nodes) },
    { "gbt-max-depth", 0, 1000, offsetof(crm_gbt_params, max_depth) },
    { "gbt-min-samples-leaf", 1, 1 << 30, offsetof(crm_gbt_params, min_samples_leaf) },
    { "gbt-max-bins", 2, 255, offsetof(crm_gbt_params, max_bins) },
    { "gbt-n-iter-no-change", 1, 1000000, offsetof(crm_gbt_params, n_iter_no_change) },
    { "gbt-balanced", 0, 1, offsetof(crm_gbt_params, class_weight_balanced) },
};

typedef struct dbl_opt {
    const char *name;
    double min;
    int min_open; /* 1: value must be > min */
    double max;
    int max_open;
    size_t offset;
} dbl_opt;

static const dbl_opt dbl_opts[] = {
    { "gbt-learning-rate", 0, 1, 1e300, 0, offsetof(crm_gbt_params, learning_rate) },
    { "gbt-l2", 0, 0, 1e300, 0, offsetof(crm_gbt_params, l2_regularization) },
    { "gbt-validation-fraction", 0, 1, 1, 1, offsetof(crm_gbt_params, validation_fraction) },
    { "gbt-tol", 0, 0, 1e300, 0, offsetof(crm_gbt_params, tol) },
};

int train_opt_gbt(crm_classifier_params *p, const char *name, const char *value)
{
    char *base = (char *)&p->gbt;
    for (size_t i = 0; i < sizeof int_opts / sizeof int_opts[0]; i++) {
        const int_opt *o = int_opts + i;
        int64_t n;
        if (strcmp(name, o->name) != 0) {
            continue;
        }
        if (!cli_parse_int(value, o->min, o->max, &n)) {
            fprintf(stderr, "crmkit train: --%s wants an integer in [%lld, %lld], got \"%s\"\n",
                    name, (long long)o->min, (long long)o->max, value);
            return -1;
        }
        if (strcmp(name, "gbt-max-leaf-nodes") == 0 && n == 1) {
            fprintf(stderr, "crmkit train: --gbt-max-leaf-nodes wants 0 (no limit) or >= 2\n");
            return -1;
        }
        int32_t v = (int32_t)n;
        memcpy(base + o->offset, &v, sizeof v);
        return 1;
    }
    for (size_t i = 0; i < sizeof dbl_opts / sizeof dbl_opts[0]; i++) {
        const dbl_opt *o = dbl_opts + i;
        double v;
        if (strcmp(name, o->name) != 0) {
            continue;
        }
        if (!cli_parse_double(value, &v) || (o->min_open ? !(v > o->min) : !(v >= o->min)) ||
            (o->max_open ? !(v < o->max) : !(v <= o->max))) {
            fprintf(stderr, "crmkit train: --%s wants a number in %s%g, %g%s, got \"%s\"\n", name,
                    o->min_open ? "(" : "[", o->min, o->max, o->max_open ? ")" : "]", value);
            return -1;
        }
        memcpy(base + o->offset, &v, sizeof v);
        return 1;
    }
    if (strcmp(name, "gbt-early-stopping") == 0) {
        if (strcmp(value, "auto") == 0) {
            p->gbt.early_stopping = CRM_GBT_EARLY_AUTO;
        } else if (strcmp(value, "1") == 0 || strcmp(value, "on") == 0) {
            p->gbt.early_stopping = 1;
        } else if (strcmp(value, "0") == 0 || strcmp(value, "off") == 0) {
            p->gbt.early_stopping = 0;
        } else {
            fprintf(stderr,
                    "crmkit train: --gbt-early-stopping wants auto, on or off, got "
                    "\"%s\"\n",
                    value);
            return -1;
        }
        return 1;
    }
    return 0;
}

void train_help_gbt(FILE *fp)
{
    fprintf(fp, "  --gbt-max-iter N       boosting iterations (default 100)\n"
                "  --gbt-learning-rate R  shrinkage of each tree (default 0.1)\n"
                "  --gbt-max-leaf-nodes N leaves per tree, 0 = no limit (default 31)\n"
                "  --gbt-max-depth D      depth limit, 0 = none (default 0)\n"
                "  --gbt-min-samples-leaf N rows per leaf (default 20)\n"
                "  --gbt-l2 L             L2 regularisation of leaf values (default 0)\n"
                "  --gbt-max-bins N       histogram bins per feature, 2..255 (default 255)\n"
                "  --gbt-early-stopping M auto (on above 10,000 rows), on or off (default auto)\n"
                "  --gbt-validation-fraction F  held out for early stopping (default 0.1)\n"
                "  --gbt-n-iter-no-change N     patience of early stopping (default 10)\n"
                "  --gbt-tol T            minimum validation-loss gain (default 1e-7)\n"
                "  --gbt-balanced 0|1     weight classes by n / (k * n_class) (default 0)\n");
}
