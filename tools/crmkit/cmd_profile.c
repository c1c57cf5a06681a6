/* cmd_profile.c: `crmkit profile`: show the segment profiles stored in a model. */
#include <stdio.h>
#include <string.h>

#include <crmkit/segment.h>

#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit profile MODEL.crmk [--json]\n\n"
            "Show the segments of a model made by crmkit segment: name, size and share, and for\n"
            "each feature the mean in original units (categorical features: the most common\n"
            "level), next to the whole population. Segments are listed by tier when they were\n"
            "named by tiers. A two-layer model (crmkit segment --spec) shows its groups (layer 1)\n"
            "and the segments inside each group (layer 2).\n\n"
            "options:\n"
            "  --json       one JSON object: per segment its name, size, share and per feature\n"
            "               mean, median, ratio to the population mean and standardised\n"
            "               difference (mean_s - mean) / sd; the population's mean, median, sd\n"
            "  -h, --help   this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 damaged or foreign model, 66 missing model.\n");
}

int cmd_profile(int argc, char **argv)
{
    const char *model = NULL;
    bool json = false;
    crm_segmenter *seg = NULL;
    crm_error err;
    {
        const char *pos[1];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { 0 },
        };
        /* clang-format on */
        int code = cli_parse("profile", argc, argv, opts, pos, 1, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
        model = n_pos > 0 ? pos[0] : NULL;
    }
    if (model == NULL) {
        return cli_usage_error("profile", "needs a model file");
    }
    if (tl_is_twolayer_file(model)) {
        return tl_profile(model, json);
    }
    if (crm_segmenter_load(model, &seg, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "model");
        cli_json_str(&j, model);
        cli_json_key(&j, "k");
        cli_json_int(&j, crm_segmenter_k(seg));
        cli_json_key(&j, "source");
        cli_json_str(&j, crm_segmenter_source(seg));
        cli_json_key(&j, "inertia");
        cli_json_num(&j, crm_segmenter_inertia(seg));
        cli_json_key(&j, "profile");
        seg_json_profile(&j, crm_segmenter_profile(seg));
        cli_json_end(&j);
    } else {
        printf("%s: %d segments of %lld customers from %s\n\n", model, (int)crm_segmenter_k(seg),
               (long long)crm_segmenter_n_rows(seg), crm_segmenter_source(seg));
        seg_print_profile(stdout, crm_segmenter_profile(seg), 0);
    }
    crm_segmenter_free(seg);
    return CLI_EX_OK;
}
