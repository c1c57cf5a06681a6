/* main.c: the crmkit command line: dispatch to one subcommand per cmd_<verb>.c. */
#include <stdio.h>
#include <string.h>

#include <crmkit/common.h>

#include "cli.h"

static const struct {
    const char *name;
    cli_command_fn fn;
    const char *summary;
} commands[] = {
    { "gen", cmd_gen, "generate synthetic telecom data (customers, vas)" },
    { "segment", cmd_segment,
      "clean a customer table and find segments (k-means, X-means, elbow)" },
    { "assign", cmd_assign, "place new customers into the segments of a model" },
    { "validity", cmd_validity,
      "judge a labelling: SSE, CP, SP, Davies-Bouldin, Dunn, silhouette, CH" },
    { "profile", cmd_profile, "describe and name the segments of a model" },
    { "itemsets", cmd_itemsets, "mine frequent itemsets (N-List, FP-Growth, Apriori)" },
    { "rules", cmd_rules, "mine association rules and save them for recommend" },
    { "recommend", cmd_recommend, "recommend services a customer does not have yet" },
    { "train", cmd_train, "train a classifier (churn, segment assignment)" },
    { "predict", cmd_predict, "score new customers with a classifier" },
    { "evaluate", cmd_evaluate, "measure a classifier on labelled data" },
    { "show", cmd_show, "print a model file in readable form" },
    { "load", cmd_load, "build the customer store the server looks customers up in" },
    { "serve", cmd_serve, "serve models over HTTP (Acumos, MLflow, JSON, lookup)" },
    { "demo", cmd_demo, "the whole pipeline on built-in data" },
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit <command> [options]   (crmkit <command> --help for its options)\n\n"
            "crmkit %s: customer analytics for telecom operators.\n\ncommands:\n",
            CRMKIT_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(fp, "\nexit status: 0 ok, 64 usage, 65 bad data, 66 missing input, 69 part not "
                "built, 70 internal error, 73/74 output error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return argc < 2 ? CLI_EX_USAGE : CLI_EX_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("crmkit %s\n", CRMKIT_VERSION_STRING);
        return CLI_EX_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "crmkit: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return CLI_EX_USAGE;
}
