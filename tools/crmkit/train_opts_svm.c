/* train_opts_svm.c: `crmkit train` options of the SVM (LIBSVM C-SVC). */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static int bad(const char *name, const char *want, const char *value)
{
    fprintf(stderr, "crmkit train: --%s wants %s, got \"%s\"\n", name, want, value);
    return -1;
}

/* "a,b,c" of positive numbers into v[max]; returns the count or -1. */
static int parse_list(const char *value, double *v, int max)
{
    int32_t n = 0;
    char **items = cli_split_list(value, ',', &n);
    int ok = items != NULL && n >= 1 && n <= max;
    for (int32_t i = 0; ok && i < n; i++) {
        ok = cli_parse_double(items[i], &v[i]) && v[i] > 0;
    }
    cli_free_list(items);
    return ok ? n : -1;
}

static int parse_num(crm_svm_params *s, const char *name, const char *value)
{
    double v;
    int64_t n;
    if (strcmp(name, "svm-degree") == 0 || strcmp(name, "svm-grid-folds") == 0) {
        int deg = strcmp(name, "svm-degree") == 0;
        if (!cli_parse_int(value, 2 - deg, deg ? 10 : 20, &n)) {
            return bad(name, deg ? "an integer in [1, 10]" : "an integer in [2, 20]", value);
        }
        *(deg ? &s->degree : &s->grid_folds) = (int32_t)n;
        return 1;
    }
    if (strcmp(name, "svm-coef0") == 0) {
        if (!cli_parse_double(value, &v)) {
            return bad(name, "a number", value);
        }
        s->coef0 = v;
        return 1;
    }
    if (!cli_parse_double(value, &v) || !(v > 0)) {
        return bad(name, "a positive number", value);
    }
    if (strcmp(name, "svm-c") == 0) {
        s->c = v;
    } else if (strcmp(name, "svm-tol") == 0) {
        s->tol = v;
    } else {
        s->cache_mb = v;
    }
    return 1;
}

static int parse_flag(const char *name, const char *value, int32_t *out)
{
    int64_t n;
    if (!cli_parse_int(value, 0, 1, &n)) {
        return bad(name, "0 or 1", value);
    }
    *out = (int32_t)n;
    return 1;
}

int train_opt_svm(crm_classifier_params *p, const char *name, const char *value)
{
    crm_svm_params *s = &p->svm;
    int n;
    if (strcmp(name, "svm-kernel") == 0) {
        if (strcmp(value, "linear") == 0) {
            s->kernel = CRM_SVM_LINEAR;
        } else if (strcmp(value, "rbf") == 0) {
            s->kernel = CRM_SVM_RBF;
        } else if (strcmp(value, "poly") == 0) {
            s->kernel = CRM_SVM_POLY;
        } else {
            return bad(name, "linear, rbf or poly", value);
        }
        return 1;
    }
    if (strcmp(name, "svm-gamma") == 0) {
        if (strcmp(value, "scale") == 0) {
            s->gamma = 0;
            return 1;
        }
        if (!cli_parse_double(value, &s->gamma) || !(s->gamma > 0)) {
            return bad(name, "a positive number or \"scale\"", value);
        }
        return 1;
    }
    if (strcmp(name, "svm-c") == 0 || strcmp(name, "svm-tol") == 0 ||
        strcmp(name, "svm-cache-mb") == 0 || strcmp(name, "svm-degree") == 0 ||
        strcmp(name, "svm-coef0") == 0 || strcmp(name, "svm-grid-folds") == 0) {
        return parse_num(s, name, value);
    }
    if (strcmp(name, "svm-probability") == 0) {
        return parse_flag(name, value, &s->probability);
    }
    if (strcmp(name, "svm-grid") == 0) {
        return parse_flag(name, value, &s->grid_search);
    }
    if (strcmp(name, "svm-class-weight") == 0) {
        if (strcmp(value, "balanced") == 0 || strcmp(value, "none") == 0) {
            s->class_weight_balanced = value[0] == 'b';
            s->n_class_weight = 0;
            return 1;
        }
        n = parse_list(value, s->class_weight, CRM_SVM_MAX_CLASS_WEIGHTS);
        if (n < 0) {
            return bad(name, "balanced, none or positive weights per class such as 1,3", value);
        }
        s->n_class_weight = n;
        s->class_weight_balanced = 0;
        return 1;
    }
    if (strcmp(name, "svm-grid-c") == 0 || strcmp(name, "svm-grid-gamma") == 0) {
        int is_c = strcmp(name, "svm-grid-c") == 0;
        n = parse_list(value, is_c ? s->grid_c : s->grid_gamma, CRM_SVM_MAX_GRID);
        if (n < 0) {
            return bad(name, "1 to 16 positive numbers such as 0.1,1,10", value);
        }
        *(is_c ? &s->n_grid_c : &s->n_grid_gamma) = n;
        s->grid_search = 1;
        return 1;
    }
    return 0;
}

void train_help_svm(FILE *fp)
{
    fprintf(fp, "  --svm-kernel K         linear, rbf or poly (default rbf)\n"
                "  --svm-c C              penalty (default 1)\n"
                "  --svm-gamma G          kernel width, or scale = 1 / (columns x variance) "
                "(default scale)\n"
                "  --svm-degree D         polynomial degree (default 3)\n"
                "  --svm-coef0 R          polynomial constant (default 0)\n"
                "  --svm-probability 0|1  Platt probabilities (default 1)\n"
                "  --svm-class-weight W   balanced, none, or C factors per class such as 1,3\n"
                "  --svm-grid 0|1         choose C and gamma by stratified cross-validation\n"
                "  --svm-grid-c LIST      C values to try (default 0.1,1,10)\n"
                "  --svm-grid-gamma LIST  factors of the gamma to try (default 0.1,1,10)\n"
                "  --svm-grid-folds K     folds of the grid search (default 3)\n"
                "  --svm-tol T            LIBSVM stopping tolerance (default 0.001)\n"
                "  --svm-cache-mb M       kernel cache in MB (default 200)\n");
}
