/* cmd_assign.c: `crmkit assign`: place new customers into the segments of a saved model,
 * with exactly the cleaning and centres the model was fitted with. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/segment.h>

#include "clf_report.h"
#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit assign MODEL.crmk DATA.csv -o LABELS.csv [--json] [--quiet]\n\n"
            "Label each customer of DATA.csv with its segment in MODEL.crmk (made by crmkit\n"
            "segment, a two-layer model made by crmkit segment --spec, or a classifier made by\n"
            "crmkit train --target segment --labels). Columns\n"
            "are found by name, in any order; the model's cleaning (imputation, capping,\n"
            "scaling, encoding) is applied exactly as fitted. Category levels the model never\n"
            "saw are counted and reported.\n\n"
            "options:\n"
            "  -o, --output FILE   labels CSV to write: the id column and \"segment\" (a two-layer\n"
            "                      model: id, l1, l2, segment) (required; \"-\" = standard output)\n"
            "  --sep S             separator of DATA: , ; tab | or auto (from the header line)\n"
            "  --na LIST           extra missing-value markers, comma-separated\n"
            "  --types LIST        column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json              print a JSON summary (k, rows, sizes, names, unseen, seconds)\n"
            "  --quiet             no progress bar\n"
            "  -h, --help          this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 bad data or damaged model, 66 missing input,\n"
            "73/74 cannot write.\n");
}

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const crm_segmenter *seg,
                   const crm_table *t,
                   const int32_t *labels,
                   int64_t unseen,
                   double seconds,
                   bool json,
                   const char *out)
{
    const crm_profile *pr = crm_segmenter_profile(seg);
    int32_t k = crm_segmenter_k(seg);
    int64_t n = crm_table_n_rows(t);
    int64_t sizes[1024];
    int32_t shown = k < 1024 ? k : 1024;
    memset(sizes, 0, sizeof sizes);
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < shown) {
            sizes[labels[i]]++;
        }
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "k");
        cli_json_int(&j, k);
        cli_json_key(&j, "rows");
        cli_json_int(&j, n);
        cli_json_key(&j, "unseen_levels");
        cli_json_int(&j, unseen);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, seconds);
        cli_json_key(&j, "sizes");
        cli_json_open_arr(&j);
        for (int32_t s = 0; s < shown; s++) {
            cli_json_int(&j, sizes[s]);
        }
        cli_json_close_arr(&j);
        cli_json_key(&j, "names");
        cli_json_open_arr(&j);
        for (int32_t s = 0; s < k; s++) {
            cli_json_str(&j, crm_profile_name(pr, s));
        }
        cli_json_close_arr(&j);
        cli_json_key(&j, "labels");
        cli_json_str(&j, out);
        cli_json_end(&j);
        return;
    }
    if (strcmp(out, "-") == 0) {
        return; /* the labels are on standard output */
    }
    printf("%lld customers of %s assigned to %d segments in %.2f s; labels written to %s\n",
           (long long)n, crm_table_source(t), (int)k, seconds, out);
    for (int32_t r = 0; r < k; r++) {
        int32_t s = crm_profile_order(pr, r);
        if (s < shown) {
            printf("  %-20s %10lld  %5.1f%%\n", crm_profile_name(pr, s), (long long)sizes[s],
                   n > 0 ? 100.0 * (double)sizes[s] / (double)n : 0.0);
        }
    }
}

static int run(const char *model, const char *data, const char *out, bool json, bool quiet)
{
    crm_segmenter *seg = NULL;
    crm_table *t = NULL;
    int32_t *labels = NULL;
    int64_t unseen = 0;
    cli_progress bar;
    crm_error err;
    crm_status rc;
    double t0;
    int code;
    if (clf_is_classifier_file(model)) {
        return assign_with_classifier(model, data, out, json, quiet);
    }
    if (tl_is_twolayer_file(model)) {
        return tl_assign(model, data, out, json, quiet);
    }
    rc = crm_segmenter_load(model, &seg, &err);
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    cli_progress_init(&bar, quiet);
    code = seg_read_table(data, cli_progress_cb(&bar), &t, NULL);
    cli_progress_done(&bar);
    if (code == CLI_EX_OK) {
        int64_t n = crm_table_n_rows(t);
        labels = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *labels);
        t0 = now();
        rc = labels ? crm_segmenter_assign(seg, t, labels, NULL, &unseen, &err) : CRM_ENOMEM;
        if (rc != CRM_OK) {
            if (labels == NULL) {
                crm_error_clear(&err);
                err.code = CRM_ENOMEM;
            }
            code = cli_fail(&err);
        } else {
            double seconds = now() - t0;
            code = seg_write_labels(out, t, labels, crm_segmenter_profile(seg), NULL, true);
            if (code == CLI_EX_OK && unseen > 0) {
                int ordinal =
                    crm_prep_fitted_params(crm_segmenter_prep(seg)).encode == CRM_ENCODE_ORDINAL;
                cli_errorf(
                        "warning: %lld category values of %s were not seen when the "
                        "model was fitted (%s)\n",
                        (long long)unseen, data,
                        ordinal ? "imputed as missing values" : "encoded as no level");
            }
            if (code == CLI_EX_OK) {
                report(seg, t, labels, unseen, seconds, json, out);
            }
        }
    }
    crm_free(labels);
    crm_table_free(t);
    crm_segmenter_free(seg);
    return code;
}

int cmd_assign(int argc, char **argv)
{
    const char *pos[2] = { NULL, NULL };
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    int n_pos = 0;
    {
        const cli_opt opts[] = {
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            CLI_DIALECT_OPTS(cli_input),
            { 0 },
        };
        int code = cli_parse("assign", argc, argv, opts, pos, 2, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
    }
    if (n_pos < 2) {
        return cli_usage_error("assign", "needs a model file and a data file");
    }
    if (out == NULL) {
        return cli_usage_error("assign", "a labels file is required (-o LABELS.csv)");
    }
    if (json && strcmp(out, "-") == 0) {
        return cli_usage_error("assign", "--json and -o - both want standard output");
    }
    {
        const char *in[] = { pos[0], pos[1] };
        int code = cli_check_paths("assign", in, 2, &out, 1);
        if (code >= 0) {
            return code;
        }
    }
    return run(pos[0], pos[1], out, json, quiet);
}
