/* train_opts_vote.c: `crmkit train` options of the voting ensemble (the members themselves
 * are chosen with --members). */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

int train_opt_vote(crm_classifier_params *p, const char *name, const char *value)
{
    if (strcmp(name, "vote-kind") == 0 || strcmp(name, "vote") == 0) {
        if (strcmp(value, "hard") == 0) {
            p->vote.kind = CRM_VOTE_HARD;
        } else if (strcmp(value, "soft") == 0) {
            p->vote.kind = CRM_VOTE_SOFT;
        } else {
            fprintf(stderr, "crmkit train: --%s wants hard or soft, got \"%s\"\n", name, value);
            return -1;
        }
        return 1;
    }
    if (strcmp(name, "vote-weights") == 0) {
        int32_t n = 0;
        char **items = cli_split_list(value, ',', &n);
        int ok = items != NULL && n >= 1 && n <= CRM_VOTE_MAX_WEIGHTS;
        for (int32_t i = 0; ok && i < n; i++) {
            ok = cli_parse_double(items[i], &p->vote.weights[i]) && p->vote.weights[i] > 0;
        }
        cli_free_list(items);
        if (!ok) {
            fprintf(stderr,
                    "crmkit train: --vote-weights wants one positive weight per member "
                    "such as 1,1,2, got \"%s\"\n",
                    value);
            return -1;
        }
        p->vote.n_weights = n;
        return 1;
    }
    return 0;
}

void train_help_vote(FILE *fp)
{
    fprintf(fp, "  --vote-kind K          hard (majority; ties by mean probability, then lowest\n"
                "                         class) or soft (mean probability) (default hard)\n"
                "  --vote-weights LIST    one weight per member, in --members order (default 1)\n");
}
