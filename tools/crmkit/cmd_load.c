/* cmd_load.c: `crmkit load`: build the SQLite customer store that `crmkit serve --store`
 * answers /v1/customers/{id} and /v1/segments/{id}/customers from. */
#include <stdio.h>
#include <string.h>

#include <crmkit/serve.h>

#include "segcli.h"

#define CMD "load"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit load CUSTOMERS.csv [--labels LABELS.csv] [--predictions RISK.csv]\n"
            "       [--recommendations REC.csv] [--previous-labels OLD.csv] [--services VAS.csv]\n"
            "       [--target COLUMN] -o STORE.db [--json]\n"
            "       crmkit load CUSTOMERS.csv [LABELS.csv [RISK.csv [REC.csv]]] -o STORE.db\n\n"
            "Build the customer store crmkit serve --store reads: every customer's record\n"
            "(keyed by the first identifier column), segment, churn risk and recommended\n"
            "services, indexed by id and by segment. One transaction; the file is written\n"
            "under a temporary name and renamed, so a failed load leaves no store behind.\n\n"
            "options:\n"
            "  --labels FILE           segment labels: id, segment (crmkit segment/assign)\n"
            "  --predictions FILE      churn risk: id, ..., risk (crmkit predict --proba)\n"
            "  --recommendations FILE  crmkit recommend --baskets output (customer, item, ...)\n"
            "  --previous-labels FILE  an earlier labelling of the same customers (id, segment\n"
            "                          [, segment_name]): the dashboard's segment transitions\n"
            "  --services FILE         owned services: a VAS log (crmkit gen vas; successful\n"
            "                          rows) or a CSV customer,item, shown in the customer view\n"
            "  --target COLUMN         0/1 column the risk deciles report the rate of (default:\n"
            "                          the first 0/1 column named like \"churn\")\n"
            "  -o, --output FILE       store to write (required)\n"
            "  --sep S                 customers separator: , ; tab | or auto (from the header)\n"
            "  --na LIST               extra missing-value markers, comma-separated\n"
            "  --types LIST            column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json                  print a JSON summary\n"
            "  -h, --help              this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 bad data (duplicate id, missing column),\n"
            "66 missing input, 69 built without SQLite, 73/74 cannot write.\n");
}

int cmd_load(int argc, char **argv)
{
    crm_store_params p;
    crm_store_stats st;
    crm_error err;
    crm_csv_options csv = crm_csv_options_default();
    bool json = false;
    memset(&p, 0, sizeof p);
    {
        /* crmkit load customers.csv labels.csv risk.csv rec.csv: the side files in order */
        const char *pos[4] = { NULL, NULL, NULL, NULL };
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--labels", .kind = CLI_OPT_STR, .dest = &p.labels },
            { .name = "--predictions", .kind = CLI_OPT_STR, .dest = &p.predictions },
            { .name = "--recommendations", .kind = CLI_OPT_STR, .dest = &p.recommendations },
            { .name = "--previous-labels", .kind = CLI_OPT_STR, .dest = &p.previous_labels },
            { .name = "--services", .kind = CLI_OPT_STR, .dest = &p.services },
            { .name = "--target", .kind = CLI_OPT_STR, .dest = &p.target },
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &p.output },
            CLI_DIALECT_OPTS(cli_input),
            { 0 },
        };
        /* clang-format on */
        const char **slot[3] = { &p.labels, &p.predictions, &p.recommendations };
        int code = cli_parse(CMD, argc, argv, opts, pos, 4, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
        p.customers = pos[0];
        for (int k = 1; k < n_pos; k++) {
            *slot[k - 1] = pos[k];
        }
        cli_dialect_apply(&cli_input, &csv);
        p.customers_csv = &csv;
    }
    if (p.customers == NULL) {
        return cli_usage_error(CMD, "needs a customers file");
    }
    if (p.output == NULL) {
        return cli_usage_error(CMD, "a store file is required (-o STORE.db)");
    }
    {
        const char *ins[] = { p.customers,       p.labels,          p.predictions,
                              p.recommendations, p.previous_labels, p.services };
        const char *outs[] = { p.output };
        int code = cli_check_paths(CMD, ins, 6, outs, 1, 0u);
        if (code >= 0) {
            return code;
        }
    }
    if (crm_store_build(&p, &st, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "customers");
        cli_json_int(&j, st.n_customers);
        cli_json_key(&j, "labelled");
        cli_json_int(&j, st.n_labelled);
        cli_json_key(&j, "predicted");
        cli_json_int(&j, st.n_predicted);
        cli_json_key(&j, "recommended");
        cli_json_int(&j, st.n_recommended);
        cli_json_key(&j, "seconds");
        cli_json_num(&j, st.seconds);
        cli_json_key(&j, "store");
        cli_json_str(&j, p.output);
        cli_json_end(&j);
    } else {
        printf("%lld customers (%lld with a segment, %lld with a risk, %lld with "
               "recommendations) loaded into %s in %.2f s\n",
               (long long)st.n_customers, (long long)st.n_labelled, (long long)st.n_predicted,
               (long long)st.n_recommended, p.output, st.seconds);
    }
    return CLI_EX_OK;
}
