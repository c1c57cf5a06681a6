/* train_opts_mlp.c: `crmkit train` options of the multilayer perceptron. */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static int bad(const char *name, const char *want, const char *value)
{
    fprintf(stderr, "crmkit train: --%s wants %s, got \"%s\"\n", name, want, value);
    return -1;
}

static int parse_hidden(crm_mlp_params *p, const char *name, const char *value)
{
    int32_t n = 0;
    char **items;
    int64_t v;
    if (strcmp(value, "0") == 0 || strcmp(value, "none") == 0) {
        p->n_hidden = 0;
        return 1;
    }
    items = cli_split_list(value, ',', &n);
    if (items == NULL || n < 1 || n > CRM_MLP_MAX_HIDDEN) {
        cli_free_list(items);
        return bad(name, "1 to 16 layer sizes such as 64,32", value);
    }
    for (int32_t i = 0; i < n; i++) {
        if (!cli_parse_int(items[i], 1, 100000, &v)) {
            cli_free_list(items);
            return bad(name, "layer sizes in [1, 100000] such as 64,32", value);
        }
        p->hidden[i] = (int32_t)v;
    }
    p->n_hidden = n;
    cli_free_list(items);
    return 1;
}

static int parse_real(const char *name, const char *value, double lo, int lo_open, double *out)
{
    double v;
    if (!cli_parse_double(value, &v) || !(lo_open ? v > lo : v >= lo)) {
        return bad(name, lo_open ? "a positive number" : "a number >= 0", value);
    }
    *out = v;
    return 1;
}

int train_opt_mlp(crm_classifier_params *p, const char *name, const char *value)
{
    int64_t n;
    crm_mlp_params *m = &p->mlp;
    if (strcmp(name, "mlp-hidden") == 0 || strcmp(name, "hidden") == 0) {
        return parse_hidden(m, name, value);
    }
    if (strcmp(name, "mlp-lr") == 0) {
        return parse_real(name, value, 0, 1, &m->learning_rate);
    }
    if (strcmp(name, "mlp-alpha") == 0) {
        return parse_real(name, value, 0, 0, &m->alpha);
    }
    if (strcmp(name, "mlp-tol") == 0) {
        return parse_real(name, value, 0, 0, &m->tol);
    }
    if (strcmp(name, "mlp-validation") == 0) {
        double v;
        if (!cli_parse_double(value, &v) || !(v > 0 && v < 1)) {
            return bad(name, "a fraction in (0, 1)", value);
        }
        m->validation_fraction = v;
        return 1;
    }
    if (strcmp(name, "mlp-batch") == 0 || strcmp(name, "mlp-epochs") == 0 ||
        strcmp(name, "mlp-patience") == 0 || strcmp(name, "mlp-early-stopping") == 0) {
        int es = strcmp(name, "mlp-early-stopping") == 0;
        if (!cli_parse_int(value, es ? 0 : (strcmp(name, "mlp-batch") == 0 ? 0 : 1),
                           es ? 1 : 100000000, &n)) {
            return bad(name, es ? "0 or 1" : "a positive integer", value);
        }
        if (strcmp(name, "mlp-batch") == 0) {
            m->batch_size = (int32_t)n;
        } else if (strcmp(name, "mlp-epochs") == 0) {
            m->max_epochs = (int32_t)n;
        } else if (es) {
            m->early_stopping = (int32_t)n;
        } else {
            m->n_iter_no_change = (int32_t)n;
        }
        return 1;
    }
    return 0;
}

void train_help_mlp(FILE *fp)
{
    fprintf(fp, "  --mlp-hidden L1,L2,... hidden layer sizes, ReLU (default 64,32; also --hidden)\n"
                "  --mlp-lr R             Adam learning rate (default 0.001)\n"
                "  --mlp-alpha A          L2 penalty (default 1e-4)\n"
                "  --mlp-batch B          rows per mini-batch; 0 = min(200, n) (default 0)\n"
                "  --mlp-epochs N         most epochs (default 200)\n"
                "  --mlp-early-stopping 0|1  stop on validation accuracy (default 1)\n"
                "  --mlp-validation F     validation fraction for early stopping (default 0.1)\n"
                "  --mlp-patience N       epochs without improvement before stopping (default 10)\n"
                "  --mlp-tol T            improvement that counts (default 1e-4)\n");
}
