/* cmd_train.c: `crmkit train`: fit a classifier on a customer table, measure it on held-out
 * rows (or by k-fold cross-validation) and save it. */
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/classify.h>
#include <crmkit/dist.h>
#include <crmkit/io.h>

#include "clf_report.h"
#include "cli.h"
#include "train_opts.h"

static const train_opt_fn algo_opts[] = { train_opt_c45, train_opt_svm, train_opt_mlp,
                                          train_opt_knn, train_opt_nb,  train_opt_logreg,
                                          train_opt_gbt, train_opt_vote };
static const train_help_fn algo_helps[] = { train_help_c45, train_help_svm, train_help_mlp,
                                            train_help_knn, train_help_nb,  train_help_logreg,
                                            train_help_gbt, train_help_vote };

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit train DATA.csv --target COLUMN [--features a,b,...] [--drop id,...]\n"
        "         [--algo c45|svm|mlp|knn|nb|logreg|gbt|vote] [--members c45,svm,mlp]\n"
        "         [--test-size F | --cv K] [--refit] [--seed S] [--labels labels.csv]\n"
        "         [algorithm options] [-o model.crmc] [--json] [--quiet]\n\n"
        "Fit a classifier (churn, segment assignment) on DATA.csv and report its metrics on\n"
        "held-out rows (stratified split, default 30%%) or by stratified k-fold\n"
        "cross-validation.\n\n"
        "  --target COLUMN        class column (numeric 0/1 or text); required\n"
        "  --features LIST        feature columns (default: all but target, ids, --drop)\n"
        "  --drop LIST            columns never used as features\n"
        "  --algo NAME            algorithm (default c45)\n"
        "  --members LIST         members of --algo vote (default c45,svm,mlp)\n"
        "  --test-size F          held-out share in (0, 1) (default 0.3); 0 = fit on all\n"
        "                         rows and report training metrics\n"
        "  --cv K                 K-fold cross-validation instead; the model is then fitted\n"
        "                         on all rows\n"
        "  --refit                after a held-out evaluation, fit the saved model on all rows\n"
        "  --seed S               seed of the split and the algorithm (default 42)\n"
        "  --labels FILE          CSV of id,segment (crmkit segment/assign output) joined\n"
        "                         to DATA by the id column, giving the --target column\n"
        "  --impute mean|median|neighbours  missing numbers for design-matrix algorithms\n"
        "  --scale zscore|minmax|none       scaling for design-matrix algorithms\n"
        "  --threads N            threads (default: all; never changes the result)\n"
        "  -o FILE                save the model (kind \"classifier\")\n"
        "  --sep S                separator: , ; tab | or auto (from the header line)\n"
        "  --na LIST              extra missing-value markers, comma-separated\n"
        "  --types LIST           column types, e.g. plan:cat,msisdn:id,score:num\n"
        "  --json                 metrics as one JSON object on stdout\n"
        "  --quiet                no progress bar\n\nalgorithm options:\n");
    for (size_t i = 0; i < sizeof algo_helps / sizeof algo_helps[0]; i++) {
        algo_helps[i](fp);
    }
    fprintf(fp,
            "\nUnder mpirun (--algo gbt only): every rank reads DATA.csv, the boosting splits the\n"
            "training rows across the ranks (histograms added with MPI_Allreduce); the model\n"
            "is byte-identical to a run without mpirun; rank 0 prints and writes it.\n");
    fprintf(fp, "\nexit status: 0 ok, 64 usage (also another --algo under mpirun), 65 bad data, 66 "
                "missing input, 69 algorithm not built, 73/74 output error.\n");
}

typedef struct train_args {
    const char *data;
    const char *out;
    const char *labels;
    const char *features;
    const char *drop;
    const char *members;
    double test_size;
    int64_t cv;
    bool refit;
    bool json;
    bool quiet;
} train_args;

static int algo_option(crm_classifier_params *p, const char *name, const char *value)
{
    for (size_t i = 0; i < sizeof algo_opts / sizeof algo_opts[0]; i++) {
        int r = algo_opts[i](p, name, value);
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

static int set_prep(crm_classifier_params *p, const char *name, const char *v)
{
    if (strcmp(name, "impute") == 0) {
        if (strcmp(v, "mean") == 0) {
            p->prep.impute = CRM_IMPUTE_MEAN;
        } else if (strcmp(v, "median") == 0) {
            p->prep.impute = CRM_IMPUTE_MEDIAN;
        } else if (strcmp(v, "neighbours") == 0) {
            p->prep.impute = CRM_IMPUTE_NEIGHBOURS;
        } else {
            return cli_usage_error("train", "--impute is mean, median or neighbours, got \"%s\"",
                                   v);
        }
        return 0;
    }
    if (strcmp(v, "zscore") == 0) {
        p->prep.scale = CRM_SCALE_ZSCORE;
    } else if (strcmp(v, "minmax") == 0) {
        p->prep.scale = CRM_SCALE_MINMAX;
    } else if (strcmp(v, "none") == 0) {
        p->prep.scale = CRM_SCALE_NONE;
    } else {
        return cli_usage_error("train", "--scale is zscore, minmax or none, got \"%s\"", v);
    }
    return 0;
}

static int one_value(train_args *a, crm_classifier_params *p, const char *name, const char *value);

typedef struct train_ctx {
    train_args *a;
    crm_classifier_params *p;
} train_ctx;

/* One valued option (its name without "=VALUE"); returns -1 to go on, or an exit code. */
static int train_opt(const char *name, const char *value, void *ud)
{
    train_args *a = ((train_ctx *)ud)->a;
    crm_classifier_params *p = ((train_ctx *)ud)->p;
    int rc = one_value(a, p, name, value);
    return rc == 0 ? -1 : rc;
}

static int one_value(train_args *a, crm_classifier_params *p, const char *name, const char *value)
{
    int64_t n;
    if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) {
        a->out = value;
    } else if (strcmp(name, "--target") == 0) {
        p->target = value;
    } else if (strcmp(name, "--features") == 0) {
        a->features = value;
    } else if (strcmp(name, "--drop") == 0) {
        a->drop = value;
    } else if (strcmp(name, "--members") == 0) {
        a->members = value;
    } else if (strcmp(name, "--labels") == 0) {
        a->labels = value;
    } else if (strcmp(name, "--algo") == 0) {
        crm_error err;
        if (crm_clf_algo_parse(value, &p->algo, &err) != CRM_OK) {
            return cli_usage_error("train", "%s", err.msg);
        }
    } else if (strcmp(name, "--test-size") == 0) {
        if (!cli_parse_double(value, &a->test_size) || a->test_size < 0.0 || a->test_size >= 1.0) {
            return cli_usage_error("train", "--test-size needs a number in [0, 1), got \"%s\"",
                                   value);
        }
    } else if (strcmp(name, "--cv") == 0) {
        if (!cli_parse_int(value, 2, 1000, &a->cv)) {
            return cli_usage_error("train", "--cv needs a whole number in [2, 1000], got \"%s\"",
                                   value);
        }
    } else if (strcmp(name, "--seed") == 0) {
        if (!cli_parse_int(value, 0, INT64_MAX, &n)) {
            return cli_usage_error("train", "--seed needs a whole number >= 0, got \"%s\"", value);
        }
        p->seed = (uint64_t)n;
    } else if (strcmp(name, "--threads") == 0) {
        if (!cli_parse_int(value, 0, 4096, &n)) {
            return cli_usage_error(
                "train", "--threads needs a whole number in [0, 4096], got \"%s\"", value);
        }
        p->n_threads = (int32_t)n;
    } else if (strcmp(name, "--impute") == 0 || strcmp(name, "--scale") == 0) {
        return set_prep(p, name + 2, value);
    } else if (strcmp(name, "--sep") == 0) {
        return cli_dialect_sep_check(value, &cli_input.sep) < 0 ? 0 : CLI_EX_USAGE;
    } else if (strcmp(name, "--na") == 0) {
        cli_input.na = value;
    } else if (strcmp(name, "--types") == 0) {
        cli_input.types = value;
    } else if (strncmp(name, "--", 2) == 0) {
        int r = algo_option(p, name + 2, value);
        if (r < 0) {
            return CLI_EX_USAGE;
        }
        if (r == 0) {
            static const char *const known[] = {
                "--output",  "--target", "--features",  "--drop", "--members",
                "--labels",  "--algo",   "--test-size", "--cv",   "--seed",
                "--threads", "--impute", "--scale",     "--sep",  "--na",
                "--types",   "--json",   "--quiet",     "--refit"
            };
            const char *near = cli_nearest(name, known, (int)(sizeof known / sizeof known[0]));
            if (near != NULL) {
                return cli_usage_error("train", "unknown option \"%s\" (did you mean %s?)", name,
                                       near);
            }
            return cli_usage_error("train", "unknown option \"%s\"", name);
        }
    } else {
        return cli_usage_error("train", "unknown option %s", name);
    }
    return 0;
}

static int set_members(crm_classifier_params *p, const char *list)
{
    int32_t n = 0;
    char **items = cli_split_list(list != NULL ? list : "c45,svm,mlp", ',', &n);
    int rc = 0;
    if (items == NULL) {
        return cli_usage_error("train", "out of memory");
    }
    if (n < 1 || n > CRM_CLF_MAX_MEMBERS) {
        rc = cli_usage_error("train", "--members wants 1 to %d algorithms", CRM_CLF_MAX_MEMBERS);
    }
    for (int32_t i = 0; i < n && rc == 0; i++) {
        crm_error err;
        if (crm_clf_algo_parse(items[i], &p->members[i], &err) != CRM_OK ||
            p->members[i] == CRM_CLF_VOTE) {
            rc = cli_usage_error("train", "--members: \"%s\" is not a member algorithm", items[i]);
        }
    }
    p->n_members = n;
    cli_free_list(items);
    return rc;
}

/* Sorted (id, label) pairs of the labels file, for the join. */
typedef struct label_pair {
    char *id;
    char *label;
} label_pair;

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const label_pair *)a)->id, ((const label_pair *)b)->id);
}

static int join_labels(crm_table *t, const char *path, const char *target)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *lab = NULL;
    crm_error err;
    label_pair *pairs = NULL;
    const char **values = NULL;
    int64_t nl;
    int64_t n = crm_table_n_rows(t);
    int32_t id_col;
    int32_t lab_col;
    int32_t data_id;
    int rc = 0;
    char buf[256];
    opt.types = NULL;
    if (crm_table_read_csv(path, &opt, NULL, &lab, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    nl = crm_table_n_rows(lab);
    id_col = 0;
    lab_col = crm_table_find_col(lab, target);
    if (lab_col < 0) {
        lab_col = crm_table_n_cols(lab) > 1 ? 1 : -1;
    }
    data_id = crm_table_find_col(t, crm_table_col_name(lab, id_col));
    if (lab_col < 0 || data_id < 0) {
        fprintf(stderr,
                "crmkit train: %s: needs an id column named as in the data and a "
                "label column\n",
                path);
        crm_table_free(lab);
        return CLI_EX_DATAERR;
    }
    if (crm_table_find_col(t, target) >= 0) {
        fprintf(stderr,
                "crmkit train: the data already has a column \"%s\"; --labels would "
                "replace it\n",
                target);
        crm_table_free(lab);
        return CLI_EX_USAGE;
    }
    pairs = calloc((size_t)(nl > 0 ? nl : 1), sizeof *pairs);
    values = calloc((size_t)(n > 0 ? n : 1), sizeof *values);
    if (pairs == NULL || values == NULL) {
        rc = CLI_EX_OSERR;
        goto done;
    }
    for (int64_t i = 0; i < nl; i++) {
        pairs[i].id = strdup(crm_table_cell_text(lab, i, id_col, buf, (int32_t)sizeof buf));
        pairs[i].label = strdup(crm_table_cell_text(lab, i, lab_col, buf, (int32_t)sizeof buf));
        if (pairs[i].id == NULL || pairs[i].label == NULL) {
            rc = CLI_EX_OSERR;
            goto done;
        }
    }
    qsort(pairs, (size_t)nl, sizeof *pairs, cmp_pair);
    for (int64_t i = 0; i < n; i++) {
        label_pair key = { NULL, NULL };
        label_pair *hit;
        key.id = (char *)crm_table_cell_text(t, i, data_id, buf, (int32_t)sizeof buf);
        hit = bsearch(&key, pairs, (size_t)nl, sizeof *pairs, cmp_pair);
        values[i] = hit != NULL && hit->label[0] != '\0' ? hit->label : NULL;
    }
    if (crm_table_add_text(t, target, CRM_COL_CATEGORICAL, values, &err) != CRM_OK) {
        rc = cli_fail(&err);
    }
done:
    for (int64_t i = 0; pairs != NULL && i < nl; i++) {
        free(pairs[i].id);
        free(pairs[i].label);
    }
    free(pairs);
    free(values);
    crm_table_free(lab);
    return rc;
}

static int run(const train_args *a, crm_classifier_params *p)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_classifier *model = NULL;
    crm_clf_eval e;
    crm_error err;
    cli_progress bar;
    clf_report_ctx ctx;
    crm_status st = CRM_OK;
    int rc = 0;
    memset(&e, 0, sizeof e);
    int was_replicated = 0;
    opt.n_threads = p->n_threads;
    cli_dialect_apply(&cli_input, &opt);
    cli_progress_init(&bar, a->quiet || a->json);
    st = crm_table_read_csv(a->data, &opt, cli_progress_cb(&bar), &t, &err);
    if (st == CRM_OK && a->labels != NULL) {
        rc = join_labels(t, a->labels, p->target);
    }
    rc = cli_dist_agree_code(rc);
    if (rc != 0) {
        goto done;
    }
    /* Under mpirun every rank read the whole table and makes the same calls: in replicated
     * mode the boosting splits the training rows across the ranks (crmkit/dist.h, gbt.c). */
    was_replicated = crm_dist_set_replicated(1);
    memset(&ctx, 0, sizeof ctx);
    if (st == CRM_OK && a->cv > 0) {
        ctx.kind = "cross-validation";
        st = crm_classifier_cross_validate(t, p, (int32_t)a->cv, cli_progress_cb(&bar), &e, &err);
        if (st == CRM_OK) {
            st = crm_classifier_fit(t, p, cli_progress_cb(&bar), &model, &err);
        }
    } else if (st == CRM_OK && a->test_size > 0.0) {
        ctx.kind = "held-out";
        st = crm_classifier_holdout(t, p, a->test_size, cli_progress_cb(&bar), &model, &e, &err);
        if (st == CRM_OK && a->refit) {
            crm_classifier_free(model);
            model = NULL;
            st = crm_classifier_fit(t, p, cli_progress_cb(&bar), &model, &err);
        }
    } else if (st == CRM_OK) {
        ctx.kind = "training";
        st = crm_classifier_fit(t, p, cli_progress_cb(&bar), &model, &err);
        if (st == CRM_OK) {
            st = crm_classifier_evaluate(model, t, NULL, &e, &err);
        }
    }
    (void)crm_dist_set_replicated(was_replicated);
    cli_progress_done(&bar);
    st = crm_dist_active() ? crm_dist_agree(st, &err) : st;
    if (st == CRM_OK && crm_dist_quiet()) {
        /* rank 0 writes and reports; the others learn how that went */
        rc = cli_dist_agree_code(0);
        goto done;
    }
    if (st == CRM_OK && a->out != NULL) {
        st = crm_classifier_save(model, a->out, &err);
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
        rc = model != NULL || !crm_dist_active() ? cli_dist_agree_code(rc) : rc;
        goto done;
    }
    ctx.model = model;
    ctx.test_size = a->test_size;
    ctx.model_path = a->out;
    if (a->json) {
        clf_report_json(stdout, &ctx, &e);
    } else {
        clf_report_text(stdout, &ctx, &e);
    }
    rc = cli_dist_agree_code(rc);
done:
    crm_clf_eval_fini(&e);
    crm_classifier_free(model);
    crm_table_free(t);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    crm_classifier_params p = crm_classifier_params_default();
    train_args a;
    char **feats = NULL;
    char **drop = NULL;
    int32_t n = 0;
    int rc = 0;
    memset(&a, 0, sizeof a);
    a.test_size = 0.3;
    {
#define TRAIN_OPT(n) { .name = n, .kind = CLI_OPT_NAMED, .named = train_opt, .ud = &ctx }
        train_ctx ctx = { &a, &p };
        const char *pos[1];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &a.json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &a.quiet },
            { .name = "--refit", .kind = CLI_OPT_FLAG, .dest = &a.refit },
            TRAIN_OPT("--output"),
            TRAIN_OPT("-o"),
            TRAIN_OPT("--target"),
            TRAIN_OPT("--features"),
            TRAIN_OPT("--drop"),
            TRAIN_OPT("--members"),
            TRAIN_OPT("--labels"),
            TRAIN_OPT("--algo"),
            TRAIN_OPT("--test-size"),
            TRAIN_OPT("--cv"),
            TRAIN_OPT("--seed"),
            TRAIN_OPT("--threads"),
            TRAIN_OPT("--impute"),
            TRAIN_OPT("--scale"),
            TRAIN_OPT("--sep"),
            TRAIN_OPT("--na"),
            TRAIN_OPT("--types"),
            /* every other "--x VALUE" is offered to the algorithms' parsers (train_opts.h) */
            { .name = "", .kind = CLI_OPT_UNKNOWN, .named = train_opt, .ud = &ctx },
            { 0 },
        };
        /* clang-format on */
#undef TRAIN_OPT
        rc = cli_parse("train", argc, argv, opts, pos, 1, &n_pos, usage);
        if (rc >= 0) {
            return rc;
        }
        rc = 0;
        a.data = n_pos > 0 ? pos[0] : NULL;
    }
    if (a.data == NULL) {
        return cli_usage_error("train", "no input file");
    }
    if (p.target == NULL) {
        return cli_usage_error("train", "--target COLUMN is required");
    }
    if (crm_dist_active() && p.algo != CRM_CLF_GBT) {
        return cli_usage_error("train",
                               "only --algo gbt runs across ranks; start --algo %s "
                               "without mpirun (or with -np 1)",
                               crm_clf_algo_name(p.algo));
    }
    if (p.algo == CRM_CLF_VOTE && set_members(&p, a.members) != 0) {
        return CLI_EX_USAGE;
    }
    if (a.features != NULL) {
        feats = cli_split_list(a.features, ',', &n);
        p.features = (const char *const *)feats;
        p.n_features = n;
    }
    if (a.drop != NULL) {
        drop = cli_split_list(a.drop, ',', &n);
        p.drop = (const char *const *)drop;
        p.n_drop = n;
    }
    {
        const char *in[] = { a.data, a.labels };
        rc = cli_check_paths("train", in, 2, &a.out, 1, 0u);
    }
    rc = rc >= 0 ? rc : run(&a, &p);
    cli_free_list(feats);
    cli_free_list(drop);
    return rc;
}
