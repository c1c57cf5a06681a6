/* train_opts_knn.c: `crmkit train` options of k nearest neighbours. */
#include <string.h>

#include "cli.h"
#include "train_opts.h"

int train_opt_knn(crm_classifier_params *p, const char *name, const char *value)
{
    int64_t n;
    if (strcmp(name, "knn-k") == 0) {
        if (!cli_parse_int(value, 1, 100000, &n)) {
            fprintf(stderr, "crmkit train: --knn-k wants an integer in [1, 100000], got \"%s\"\n",
                    value);
            return -1;
        }
        p->knn.k = (int32_t)n;
        return 1;
    }
    if (strcmp(name, "knn-weights") == 0) {
        if (strcmp(value, "uniform") == 0) {
            p->knn.weights = CRM_KNN_UNIFORM;
        } else if (strcmp(value, "distance") == 0) {
            p->knn.weights = CRM_KNN_DISTANCE;
        } else {
            fprintf(stderr, "crmkit train: --knn-weights wants uniform or distance, got \"%s\"\n",
                    value);
            return -1;
        }
        return 1;
    }
    if (strcmp(name, "knn-search") == 0) {
        if (strcmp(value, "auto") == 0) {
            p->knn.algo = CRM_KNN_AUTO;
        } else if (strcmp(value, "brute") == 0) {
            p->knn.algo = CRM_KNN_BRUTE;
        } else if (strcmp(value, "kdtree") == 0) {
            p->knn.algo = CRM_KNN_KDTREE;
        } else {
            fprintf(stderr, "crmkit train: --knn-search wants auto, brute or kdtree, got \"%s\"\n",
                    value);
            return -1;
        }
        return 1;
    }
    if (strcmp(name, "knn-leaf-size") == 0) {
        if (!cli_parse_int(value, 1, 1000000, &n)) {
            fprintf(stderr,
                    "crmkit train: --knn-leaf-size wants an integer in [1, 1000000], got \"%s\"\n",
                    value);
            return -1;
        }
        p->knn.leaf_size = (int32_t)n;
        return 1;
    }
    return 0;
}

void train_help_knn(FILE *fp)
{
    fprintf(fp, "  --knn-k K              neighbours (default 5)\n"
                "  --knn-weights W        uniform or distance (1 / distance) (default uniform)\n"
                "  --knn-search S         auto (k-d tree up to 8 columns), brute or kdtree\n"
                "  --knn-leaf-size N      k-d tree leaf size (default 16)\n");
}
