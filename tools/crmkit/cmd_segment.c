/* cmd_segment.c: `crmkit segment`: clean a customer table, find the segments (k-means with k
 * given or chosen by X-means or the elbow method; k-modes, k-prototypes or hierarchical
 * clustering), profile and name them, save the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>
#include <crmkit/outfile.h>
#include <crmkit/segment.h>

#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit segment DATA.csv -o MODEL.crmk [--k N|auto] [--method sweep|xmeans|elbow]\n"
        "       [--algo kmeans|xmeans|kmodes|kprototypes|hier|birch|em|dbscan|optigrid|denclue]\n"
        "       [--linkage ward|complete|average|single] [--threshold T] [--branching B]\n"
        "       [--covariance full|diag] [--eps E] [--min-samples N] [--bins N] [--noise X]\n"
        "       [--min-size N] [--bandwidth H] [--xi X]\n"
        "       [--cut-height H] [--gamma G] [--kmodes-init cao|huang|random] [--micro N]\n"
        "       [--max-matrix-mb N]\n"
        "       [--kmin N] [--kmax N] [--min-share S] [--transform log|none|auto]\n"
        "       [--features a,b,c] [--scale zscore|minmax|none]\n"
        "       [--impute mean|median|neighbours|none] [--cap LOW,HIGH] [--outlier-flags]\n"
        "       [--encode onehot|ordinal] [--seed S] [--init CENTRES.csv] [--max-iter N]\n"
        "       [--tol T] [--n-init N] [--threads N] [--names NAMES.txt] [--tier-by COLUMN|none]\n"
        "       [--labels LABELS.csv] [--sample N|auto|all] [--minibatch] [--float32] "
        "[--keep-matrix]\n"
        "       [--max-memory SIZE]\n"
        "       [--json] [--quiet]\n"
        "       crmkit segment DATA.csv --spec SPEC.json -o MODEL.crmk [--labels LABELS.csv]\n"
        "       (the two-layer model: see crmkit segment --spec x --help)\n\n"
        "Clean the customer table, find its segments with k-means, describe and name them, and\n"
        "save everything needed to assign new customers into one model file.\n\n"
        "options:\n"
        "  -o, --output FILE   model file to write (required)\n"
        "  --algo A            kmeans (default), xmeans (k-means, k by X-means), kmodes\n"
        "                      (categorical features, raw levels), kprototypes (mixed\n"
        "                      features), hier (agglomerative hierarchical clustering), birch\n"
        "                      (CF tree, then Ward on its subclusters), em (Gaussian mixture)\n"
        "                      dbscan (density), optigrid (grid of cutting planes) or denclue\n"
        "                      (kernel density hill climbing); these three find their own\n"
        "                      number of clusters, and their noise rows form the last segment\n"
        "  --threshold T       birch: largest radius of a subcluster (default 0.5)\n"
        "  --branching B       birch: subclusters per tree node at most (default 50)\n"
        "  --covariance C      em: full (default) or diag covariance matrices\n"
        "  --eps E             dbscan: neighbourhood radius in the scaled space (default 0.5)\n"
        "  --min-samples N     dbscan: rows within eps (itself included) that make a core row\n"
        "                      (default 5)\n"
        "  --bins N            optigrid: histogram bins per axis (default 64)\n"
        "  --noise X           optigrid: noise level, a fraction of the mean bin count (0.5)\n"
        "  --min-size N        optigrid: rows for a cell to be a cluster (default 10)\n"
        "  --bandwidth H       denclue: Gaussian kernel width in the scaled space (default 0.5)\n"
        "  --xi X              denclue: least kernel density of an attractor (default 5)\n"
        "  --linkage L         hier: ward (default), complete, average or single\n"
        "  --cut-height H      hier: cut the tree at this merge height instead of at k\n"
        "  --max-matrix-mb N   hier: largest distance matrix (default 2048 MiB, 23,170 rows);\n"
        "                      past it (or past 65,536 rows for single) the rows are first\n"
        "                      grouped into k-means micro-clusters\n"
        "  --micro N           hier: number of those micro-clusters (default 1000)\n"
        "  --gamma G           kprototypes: weight of a categorical mismatch (default: half the\n"
        "                      mean standard deviation of the scaled numeric features)\n"
        "  --kmodes-init I     kmodes/kprototypes: cao (default, deterministic), huang or random\n"
        "  --k N|auto          number of segments, or auto to choose it (default auto; birch:\n"
        "                      the widest gap of the Ward tree, em: the lowest BIC; dbscan\n"
        "                      takes no k)\n"
        "  --method M          how auto chooses k: sweep (default: k-means at every k, the\n"
        "                      table of SSE, BIC, silhouette, Calinski-Harabasz and\n"
        "                      Davies-Bouldin, the highest silhouette wins), xmeans (BIC\n"
        "                      splitting) or elbow\n"
        "  --kmin N, --kmax N  range for auto (default 3 and 12 for sweep, else 2 and 12)\n"
        "  --min-share S       with auto: clusters under this share of customers are outliers,\n"
        "                      not segments, and X-means splits nothing below it (default\n"
        "                      0.01; 0 = off, the paper's X-means)\n"
        "  --transform T       auto (default: log transform of features with skewness > 1),\n"
        "                      log (every numeric feature) or none\n"
        "  --features LIST     comma-separated columns (default: every numeric column except\n"
        "                      ids, the churn flag and \"segment\")\n"
        "  --scale S           zscore (default), minmax or none\n"
        "  --impute I          mean (default), median, neighbours (mean of the previous and\n"
        "                      next values in file order) or none (missing values are errors)\n"
        "  --cap LOW,HIGH      winsorise each feature at these percentiles, e.g. 1,99\n"
        "  --outlier-flags     add a 0/1 column per feature telling that it was capped\n"
        "  --encode E          categorical features: onehot (default) or ordinal\n"
        "  --seed S            random seed (default 0); same seed, same segments\n"
        "  --init FILE         start k-means from these centres (CSV with a column per feature\n"
        "                      in original units, one row per centre; sets k)\n"
        "  --max-iter N        Lloyd iterations per run (default 300)\n"
        "  --tol T             convergence tolerance (default 1e-4; 0 = until labels stop)\n"
        "  --n-init N          seedings, the best is kept (default 1; kmeans, and kmodes /\n"
        "                      kprototypes with huang or random)\n"
        "  --threads N         threads (default: all); never changes the result\n"
        "  --names FILE        segment names, one per line, in segment-number order\n"
        "  --tier-by COLUMN    name segments Platinum, Gold, Silver, Bronze by the mean of this\n"
        "                      column (default: revenue when there is such a column; none = off)\n"
        "  --labels FILE       also write the training labels (id, segment, segment_name,\n"
        "                      outlier) as CSV\n"
        "  --sample N|auto|all k-means on a large table: choose k and find the centres on a\n"
        "                      seeded sample of N rows, then refine them with Lloyd passes\n"
        "                      over every row (auto, the default: 200,000 rows once the table\n"
        "                      has more than 1,000,000; all: never sample). denclue: climb\n"
        "                      from a seeded sample of N rows (auto: 20,000) and place the\n"
        "                      others as new customers (climbing from all n rows costs n^2)\n"
        "  --minibatch         with a sample: refine its centres by mini-batch k-means\n"
        "                      (Sculley 2010; 100 batches of 4096 rows) over every row\n"
        "                      before the Lloyd passes\n"
        "  --float32           k-means: keep the cleaned matrix as float32 (half the memory);\n"
        "                      k is chosen on the sample in double, and every distance, sum\n"
        "                      and the inertia of the passes over every row is accumulated\n"
        "                      in double; every row takes its nearest segment (no outlier\n"
        "                      rows). Not with --init or --minibatch\n"
        "  --keep-matrix       k-means with a sample, float64: store every cleaned row (by\n"
        "                      default half are stored and the others cleaned again on each\n"
        "                      pass over every row: half the matrix's memory); faster when\n"
        "                      the passes are many, the same results\n"
        "  --max-memory SIZE   stop with a message past this much memory, e.g. 8G or 500M\n"
        "                      (default: the memory available, MemAvailable)\n"
        "  --sep S             separator of DATA: , ; tab | or auto (from the header line)\n"
        "  --na LIST           extra missing-value markers, comma-separated\n"
        "  --types LIST        column types, e.g. plan:cat,msisdn:id,score:num\n"
        "  --json              print one JSON summary on standard output\n"
        "  --quiet             no progress bar\n"
        "  -h, --help          this text\n\n"
        "exit status: 0 ok, 64 bad option, 65 bad data, 66 missing input, 73/74 cannot write.\n");
}

typedef struct seg_opts {
    const char *data;
    const char *out;
    const char *labels;
    const char *init;
    const char *names;
    const char *tier_by;
    const char *features;
    bool k_auto;
    bool k_given;
    bool algo_given;
    bool xmeans;
    bool linkage_given;
    bool hier_opts;
    bool kmodes_opts;
    bool birch_opts;
    bool em_opts;
    bool dbscan_opts;
    bool optigrid_opts;
    bool denclue_opts;
    bool method_given;
    bool kmin_given;
    int32_t k;
    int algo;
    bool json;
    bool quiet;
} seg_opts;

static int parse_cap(const char *v, crm_prep_params *pp)
{
    const char *comma = strchr(v, ',');
    char low[64];
    size_t n = comma ? (size_t)(comma - v) : 0;
    if (comma == NULL || n == 0 || n >= sizeof low) {
        return 0;
    }
    memcpy(low, v, n);
    low[n] = '\0';
    return cli_parse_double(low, &pp->cap_low_pct) &&
           cli_parse_double(comma + 1, &pp->cap_high_pct) && pp->cap_low_pct >= 0 &&
           pp->cap_low_pct < pp->cap_high_pct && pp->cap_high_pct <= 100;
}

static int opt_k(const char *v, void *ud)
{
    seg_opts *o = ud;
    int64_t iv = 0;
    o->k_auto = strcmp(v, "auto") == 0;
    if (!o->k_auto && !cli_parse_int(v, INT32_MIN, INT32_MAX, &iv)) {
        return cli_usage_error("segment", "--k needs a whole number or auto, got \"%s\"", v);
    }
    o->k = o->k_auto ? 0 : (int32_t)iv;
    return -1;
}

static int opt_algo(const char *v, void *ud)
{
    static const char *const algos[] = { "kmeans", "kmodes", "kprototypes", "hier",    "birch",
                                         "em",     "dbscan", "optigrid",    "denclue", NULL };
    seg_opts *o = ud;
    o->xmeans = strcmp(v, "xmeans") == 0;
    o->algo = 0;
    for (int e = 0; !o->xmeans && algos[e] != NULL; e++) {
        if (strcmp(v, algos[e]) == 0) {
            o->algo = e;
            return -1;
        }
    }
    if (o->xmeans) {
        return -1;
    }
    return cli_usage_error("segment",
                           "--algo is kmeans, xmeans, kmodes, kprototypes, hier, birch, em, "
                           "dbscan, optigrid or denclue, got \"%s\"",
                           v);
}

static int opt_sample(const char *v, void *ud)
{
    int64_t iv = 0;
    int64_t *sample = ud;
    if (strcmp(v, "auto") == 0) {
        *sample = 0;
    } else if (strcmp(v, "all") == 0) {
        *sample = -1;
    } else if (cli_parse_int(v, 1000, INT64_MAX, &iv)) {
        *sample = iv;
    } else {
        return cli_usage_error(
            "segment", "--sample needs a number of rows >= 1000, auto or all, got \"%s\"", v);
    }
    return -1;
}

static int opt_linkage(const char *v, void *ud)
{
    int e = crm_linkage_parse(v);
    if (e < 0) {
        return cli_usage_error("segment",
                               "--linkage is ward, complete, average or single, got \"%s\"", v);
    }
    ((crm_segment_params *)ud)->hclust.linkage = (crm_linkage)e;
    return -1;
}

static int opt_cap(const char *v, void *ud)
{
    if (!parse_cap(v, ud)) {
        return cli_usage_error("segment",
                               "--cap needs LOW,HIGH percentiles with 0 <= LOW < HIGH <= 100, "
                               "got \"%s\"",
                               v);
    }
    return -1;
}

/* Parse the options of argv into o and p; -1 when the command should run, else the exit
 * code (0 after --help). */
static int parse_opts(int argc, char **argv, seg_opts *o, crm_segment_params *p)
{
    static const char *const methods[] = { "sweep", "xmeans", "elbow", NULL };
    static const crm_segment_method method_values[] = { CRM_SEGMENT_SWEEP, CRM_SEGMENT_XMEANS,
                                                        CRM_SEGMENT_ELBOW };
    static const char *const scales[] = { "none", "zscore", "minmax", NULL };
    static const char *const imputes[] = { "none", "mean", "median", "neighbours", NULL };
    static const char *const encodes[] = { "onehot", "ordinal", NULL };
    static const char *const transforms[] = { "none", "log", "auto", NULL };
    static const char *const inits[] = { "cao", "huang", "random", NULL };
    static const char *const covs[] = { "full", "diag", NULL };
    int cov = (int)p->gmm.cov;
    int method = 0, scale = (int)p->prep.scale, impute = (int)p->prep.impute;
    int encode = (int)p->prep.encode, transform = (int)p->prep.transform;
    int kinit = (int)p->kmodes.init;
    int64_t matrix_mb = 0, seed = (int64_t)p->kmeans.seed;
    bool outlier_flags = false;
    bool minibatch = false;
    bool float32 = false;
    bool keep_matrix = false;
    bool matrix_given = false;
    const char *pos[1];
    int n_pos = 0;
    int code;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &o->out },
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--outlier-flags", .kind = CLI_OPT_FLAG, .dest = &outlier_flags },
        { .name = "--k", .kind = CLI_OPT_FN, .fn = opt_k, .ud = o, .seen = &o->k_given },
        { .name = "--method", .kind = CLI_OPT_CHOICE, .dest = &method, .choices = methods,
          .need = "sweep, xmeans or elbow", .seen = &o->method_given },
        { .name = "--algo", .kind = CLI_OPT_FN, .fn = opt_algo, .ud = o, .seen = &o->algo_given },
        { .name = "--threshold", .kind = CLI_OPT_DOUBLE, .dest = &p->birch.threshold, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0",
          .seen = &o->birch_opts },
        { .name = "--branching", .kind = CLI_OPT_INT32, .dest = &p->birch.branching, .lo = 2,
          .hi = 1000000, .seen = &o->birch_opts },
        { .name = "--covariance", .kind = CLI_OPT_CHOICE, .dest = &cov, .choices = covs,
          .need = "full or diag", .seen = &o->em_opts },
        { .name = "--eps", .kind = CLI_OPT_DOUBLE, .dest = &p->dbscan.eps, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0",
          .seen = &o->dbscan_opts },
        { .name = "--min-samples", .kind = CLI_OPT_INT32, .dest = &p->dbscan.min_samples, .lo = 1,
          .hi = 100000000, .seen = &o->dbscan_opts },
        { .name = "--bins", .kind = CLI_OPT_INT32, .dest = &p->optigrid.bins, .lo = 4,
          .hi = 100000, .seen = &o->optigrid_opts },
        { .name = "--noise", .kind = CLI_OPT_DOUBLE, .dest = &p->optigrid.noise, .dlo = 0,
          .dhi = HUGE_VAL, .excl_hi = true, .need = "a number >= 0", .seen = &o->optigrid_opts },
        { .name = "--min-size", .kind = CLI_OPT_INT32, .dest = &p->optigrid.min_size, .lo = 1,
          .hi = 100000000, .seen = &o->optigrid_opts },
        { .name = "--bandwidth", .kind = CLI_OPT_DOUBLE, .dest = &p->denclue.h, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0",
          .seen = &o->denclue_opts },
        { .name = "--xi", .kind = CLI_OPT_DOUBLE, .dest = &p->denclue.xi, .dlo = 0,
          .dhi = HUGE_VAL, .excl_hi = true, .need = "a number >= 0", .seen = &o->denclue_opts },
        { .name = "--linkage", .kind = CLI_OPT_FN, .fn = opt_linkage, .ud = p,
          .seen = &o->hier_opts },
        { .name = "--cut-height", .kind = CLI_OPT_DOUBLE, .dest = &p->cut_height, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0",
          .seen = &o->hier_opts },
        { .name = "--max-matrix-mb", .kind = CLI_OPT_INT, .dest = &matrix_mb, .lo = 1,
          .hi = INT64_C(1) << 30, .seen = &matrix_given },
        { .name = "--micro", .kind = CLI_OPT_INT32, .dest = &p->hclust.n_micro, .lo = 2,
          .hi = 1000000, .seen = &o->hier_opts },
        { .name = "--gamma", .kind = CLI_OPT_DOUBLE, .dest = &p->kmodes.gamma, .dlo = 0,
          .dhi = HUGE_VAL, .excl_hi = true, .need = "a number >= 0", .seen = &o->kmodes_opts },
        { .name = "--kmodes-init", .kind = CLI_OPT_CHOICE, .dest = &kinit, .choices = inits,
          .need = "cao, huang or random", .seen = &o->kmodes_opts },
        { .name = "--min-share", .kind = CLI_OPT_DOUBLE, .dest = &p->min_share, .dlo = 0,
          .dhi = 0.5, .excl_hi = true, .need = "a share in [0, 0.5)" },
        { .name = "--transform", .kind = CLI_OPT_CHOICE, .dest = &transform,
          .choices = transforms, .need = "log, none or auto" },
        { .name = "--kmin", .kind = CLI_OPT_INT32, .dest = &p->kmin, .lo = 1, .hi = 100000,
          .seen = &o->kmin_given },
        { .name = "--kmax", .kind = CLI_OPT_INT32, .dest = &p->kmax, .lo = 1, .hi = 100000 },
        { .name = "--features", .kind = CLI_OPT_STR, .dest = &o->features },
        { .name = "--scale", .kind = CLI_OPT_CHOICE, .dest = &scale, .choices = scales,
          .need = "zscore, minmax or none" },
        { .name = "--impute", .kind = CLI_OPT_CHOICE, .dest = &impute, .choices = imputes,
          .need = "mean, median, neighbours or none" },
        { .name = "--encode", .kind = CLI_OPT_CHOICE, .dest = &encode, .choices = encodes,
          .need = "onehot or ordinal" },
        { .name = "--cap", .kind = CLI_OPT_FN, .fn = opt_cap, .ud = &p->prep },
        { .name = "--seed", .kind = CLI_OPT_INT, .dest = &seed, .lo = 0, .hi = INT64_MAX },
        { .name = "--max-iter", .kind = CLI_OPT_INT32, .dest = &p->kmeans.max_iter, .lo = 1,
          .hi = 1000000 },
        { .name = "--n-init", .kind = CLI_OPT_INT32, .dest = &p->kmeans.n_init, .lo = 1,
          .hi = 10000 },
        { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &p->kmeans.n_threads, .lo = 0,
          .hi = 4096 },
        { .name = "--tol", .kind = CLI_OPT_DOUBLE, .dest = &p->kmeans.tol, .dlo = 0,
          .dhi = HUGE_VAL, .excl_hi = true, .need = "a number >= 0" },
        { .name = "--init", .kind = CLI_OPT_STR, .dest = &o->init },
        { .name = "--names", .kind = CLI_OPT_STR, .dest = &o->names },
        { .name = "--tier-by", .kind = CLI_OPT_STR, .dest = &o->tier_by },
        { .name = "--labels", .kind = CLI_OPT_STR, .dest = &o->labels },
        { .name = "--sample", .kind = CLI_OPT_FN, .fn = opt_sample, .ud = &p->sample },
        { .name = "--minibatch", .kind = CLI_OPT_FLAG, .dest = &minibatch },
        { .name = "--float32", .kind = CLI_OPT_FLAG, .dest = &float32 },
        { .name = "--keep-matrix", .kind = CLI_OPT_FLAG, .dest = &keep_matrix },
        CLI_DIALECT_OPTS(cli_input),
        { 0 },
    };
    /* clang-format on */
    code = cli_parse("segment", argc, argv, opts, pos, 1, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->data = n_pos > 0 ? pos[0] : NULL;
    if (o->k_given) {
        p->k = o->k;
    }
    if (o->algo_given) {
        p->algo = o->xmeans ? CRM_SEGMENT_ALGO_KMEANS : (crm_segment_algo)o->algo;
    }
    if (o->method_given) {
        p->method = method_values[method];
    }
    if (matrix_given) {
        p->hclust.max_bytes = matrix_mb * 1048576;
        o->hier_opts = true;
    }
    p->prep.scale = (crm_scale)scale;
    p->prep.impute = (crm_impute)impute;
    p->prep.encode = (crm_encode)encode;
    p->prep.transform = (crm_transform)transform;
    p->kmodes.init = (crm_kmodes_init)kinit;
    p->gmm.cov = (crm_gmm_cov)cov;
    p->kmeans.seed = (uint64_t)seed;
    if (outlier_flags) {
        p->prep.outlier_flags = 1;
    }
    if (minibatch) {
        p->minibatch = 1;
    }
    if (float32) {
        p->float32 = 1;
    }
    if (keep_matrix) {
        p->keep_matrix = 1;
    }
    return -1;
}

static int check_opts(const seg_opts *o, crm_segment_params *p)
{
    if (o->data == NULL) {
        return cli_usage_error("segment", "a data file is required");
    }
    if (o->out == NULL) {
        return cli_usage_error("segment", "a model file is required (-o MODEL.crmk)");
    }
    if (o->k_given && !o->k_auto && p->k < 1) {
        return cli_usage_error("segment", "--k must be at least 1, got %d", (int)p->k);
    }
    if (o->hier_opts && p->algo != CRM_SEGMENT_ALGO_HIER) {
        return cli_usage_error("segment", "--linkage, --cut-height, --max-matrix-mb and --micro "
                                          "are for --algo hier");
    }
    if (o->kmodes_opts && p->algo != CRM_SEGMENT_ALGO_KMODES &&
        p->algo != CRM_SEGMENT_ALGO_KPROTOTYPES) {
        return cli_usage_error("segment", "--gamma and --kmodes-init are for --algo kmodes or "
                                          "kprototypes");
    }
    if (o->birch_opts && p->algo != CRM_SEGMENT_ALGO_BIRCH) {
        return cli_usage_error("segment", "--threshold and --branching are for --algo birch");
    }
    if (o->em_opts && p->algo != CRM_SEGMENT_ALGO_EM) {
        return cli_usage_error("segment", "--covariance is for --algo em");
    }
    if (o->dbscan_opts && p->algo != CRM_SEGMENT_ALGO_DBSCAN) {
        return cli_usage_error("segment", "--eps and --min-samples are for --algo dbscan");
    }
    if (o->optigrid_opts && p->algo != CRM_SEGMENT_ALGO_OPTIGRID) {
        return cli_usage_error("segment", "--bins, --noise and --min-size are for --algo optigrid");
    }
    if (o->denclue_opts && p->algo != CRM_SEGMENT_ALGO_DENCLUE) {
        return cli_usage_error("segment", "--bandwidth and --xi are for --algo denclue");
    }
    if ((p->algo == CRM_SEGMENT_ALGO_DBSCAN || p->algo == CRM_SEGMENT_ALGO_OPTIGRID ||
         p->algo == CRM_SEGMENT_ALGO_DENCLUE) &&
        o->k_given) {
        return cli_usage_error("segment",
                               "--algo %s finds its own number of clusters: "
                               "give its own options, not --k",
                               crm_segment_algo_name(p->algo));
    }
    if (o->method_given && p->algo != CRM_SEGMENT_ALGO_KMEANS) {
        return cli_usage_error("segment",
                               "--method chooses k for k-means; --k auto chooses it "
                               "for --algo %s",
                               crm_segment_algo_name(p->algo));
    }
    if (o->xmeans && o->k_given && !o->k_auto) {
        return cli_usage_error("segment", "--algo xmeans chooses k: use it without --k or with "
                                          "--k auto");
    }
    if (o->xmeans && o->method_given && p->method != CRM_SEGMENT_XMEANS) {
        return cli_usage_error("segment", "--algo xmeans and --method elbow disagree");
    }
    if (p->float32 && (p->algo != CRM_SEGMENT_ALGO_KMEANS || o->init != NULL || p->minibatch)) {
        return cli_usage_error("segment", "--float32 is for k-means (--algo kmeans or xmeans), "
                                          "without --init or --minibatch");
    }
    if (o->init != NULL && p->algo != CRM_SEGMENT_ALGO_KMEANS) {
        return cli_usage_error("segment", "--init gives k-means centres; it is not for --algo %s",
                               crm_segment_algo_name(p->algo));
    }
    if (p->cut_height > 0) {
        if (o->k_given) {
            return cli_usage_error("segment", "--cut-height and --k both say where to cut");
        }
        p->method = CRM_SEGMENT_FIXED;
        return -1;
    }
    if (p->algo != CRM_SEGMENT_ALGO_KMEANS) {
        if (o->k_auto || !o->k_given) {
            p->method = CRM_SEGMENT_AUTO;
            if (p->kmax < p->kmin) {
                return cli_usage_error("segment", "--kmax (%d) is below --kmin (%d)", (int)p->kmax,
                                       (int)p->kmin);
            }
        } else {
            p->method = CRM_SEGMENT_FIXED;
        }
        return -1;
    }
    if (o->method_given && o->k_given && !o->k_auto) {
        return cli_usage_error("segment", "--method chooses k: use it with --k auto");
    }
    if (o->init != NULL && (o->k_auto || o->method_given)) {
        return cli_usage_error("segment", "--init gives the centres, so k cannot be auto");
    }
    if (o->names != NULL && o->tier_by != NULL && strcmp(o->tier_by, "none") != 0) {
        return cli_usage_error("segment", "--names and --tier-by both name the segments");
    }
    if ((o->k_auto || !o->k_given) && o->init == NULL) {
        if (!o->method_given) {
            p->method = o->xmeans ? CRM_SEGMENT_XMEANS : CRM_SEGMENT_SWEEP;
        }
        if (!o->kmin_given && p->method == CRM_SEGMENT_SWEEP) {
            p->kmin = 3; /* two groups are a split, not a segmentation a campaign can use */
        }
        if (p->kmax < p->kmin) {
            return cli_usage_error("segment", "--kmax (%d) is below --kmin (%d)", (int)p->kmax,
                                   (int)p->kmin);
        }
    } else {
        p->method = CRM_SEGMENT_FIXED;
    }
    return -1;
}

static const char *method_name(crm_segment_method m)
{
    static const char *const names[] = { "fixed", "xmeans", "elbow", "auto", "sweep" };
    return (unsigned)m <= CRM_SEGMENT_SWEEP ? names[m] : "?";
}

static void json_k_table(cli_json *j, const crm_segmenter *seg)
{
    int32_t n = 0;
    int32_t chosen = -1;
    int64_t n_out = 0;
    const crm_segment_kscore *t = crm_segmenter_k_table(seg, &n, &chosen);
    (void)crm_segmenter_outliers(seg, &n_out);
    cli_json_key(j, "outliers");
    cli_json_int(j, n_out);
    if (t == NULL) {
        return;
    }
    cli_json_key(j, "k_rule");
    cli_json_str(j, "highest silhouette; ties: fewer segments");
    cli_json_key(j, "k_table");
    cli_json_open_arr(j);
    for (int32_t r = 0; r < n; r++) {
        cli_json_open_obj(j);
        cli_json_key(j, "k");
        cli_json_int(j, t[r].k);
        cli_json_key(j, "segments");
        cli_json_int(j, t[r].segments);
        cli_json_key(j, "outliers");
        cli_json_int(j, t[r].outliers);
        cli_json_key(j, "smallest_share");
        cli_json_num(j, t[r].smallest_share);
        cli_json_key(j, "sse");
        cli_json_num(j, t[r].sse);
        cli_json_key(j, "bic");
        cli_json_num(j, t[r].bic);
        cli_json_key(j, "silhouette");
        cli_json_num(j, t[r].silhouette);
        cli_json_key(j, "calinski_harabasz");
        cli_json_num(j, t[r].ch);
        cli_json_key(j, "davies_bouldin");
        cli_json_num(j, t[r].db);
        cli_json_key(j, "chosen");
        cli_json_bool(j, r == chosen);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
}

/* The k table of the sweep, one line per k tried. */
static void print_k_table(const crm_segmenter *seg)
{
    int32_t n = 0;
    int32_t chosen = -1;
    const crm_segment_kscore *t = crm_segmenter_k_table(seg, &n, &chosen);
    if (t == NULL) {
        return;
    }
    printf("choosing k: the highest silhouette wins (ties: fewer segments); clusters under the\n"
           "minimum share are outliers, not segments\n");
    printf("%4s %8s %8s %9s %12s %14s %10s %12s %8s\n", "k", "segments", "outliers", "smallest",
           "SSE", "BIC", "silhouette", "CH", "DB");
    for (int32_t r = 0; r < n; r++) {
        printf("%4d %8d %8lld %8.1f%% %12.6g %14.8g %10.4f %12.6g %8.4f%s\n", (int)t[r].k,
               (int)t[r].segments, (long long)t[r].outliers, 100.0 * t[r].smallest_share, t[r].sse,
               t[r].bic, t[r].silhouette, t[r].ch, t[r].db, r == chosen ? "  <- chosen" : "");
    }
    printf("\n");
}

/* The algorithm's own numbers for the JSON summary. */
static void json_algo(cli_json *j, const crm_segmenter *seg)
{
    const crm_hclust *h = crm_segmenter_hclust(seg);
    const crm_kmodes *km = crm_segmenter_kmodes(seg);
    cli_json_key(j, "algo");
    cli_json_str(j, crm_segment_algo_name(crm_segmenter_algo(seg)));
    if (h != NULL) {
        cli_json_key(j, "linkage");
        cli_json_str(j, crm_linkage_name(crm_hclust_linkage_used(h)));
        cli_json_key(j, "micro_clusters");
        cli_json_int(j, crm_hclust_n_micro(h));
        cli_json_key(j, "cut_height");
        if (isnan(crm_hclust_cut_at(h))) {
            cli_json_null(j);
        } else {
            cli_json_num(j, crm_hclust_cut_at(h));
        }
    }
    if (crm_segmenter_birch(seg) != NULL) {
        const crm_birch *b = crm_segmenter_birch(seg);
        cli_json_key(j, "threshold");
        cli_json_num(j, crm_birch_params_used(b).threshold);
        cli_json_key(j, "branching");
        cli_json_int(j, crm_birch_params_used(b).branching);
        cli_json_key(j, "subclusters");
        cli_json_int(j, crm_birch_n_subclusters(b));
    }
    if (crm_segmenter_gmm(seg) != NULL) {
        const crm_gmm *g = crm_segmenter_gmm(seg);
        cli_json_key(j, "covariance");
        cli_json_str(j, crm_gmm_cov_type(g) == CRM_GMM_DIAG ? "diag" : "full");
        cli_json_key(j, "converged");
        cli_json_bool(j, crm_gmm_converged(g) != 0);
        cli_json_key(j, "log_likelihood");
        cli_json_num(j, crm_gmm_lower_bound(g));
    }
    if (crm_segmenter_dbscan(seg) != NULL) {
        const crm_dbscan *d = crm_segmenter_dbscan(seg);
        cli_json_key(j, "eps");
        cli_json_num(j, crm_dbscan_params_used(d).eps);
        cli_json_key(j, "min_samples");
        cli_json_int(j, crm_dbscan_params_used(d).min_samples);
        cli_json_key(j, "clusters");
        cli_json_int(j, crm_dbscan_k(d));
        cli_json_key(j, "core_rows");
        cli_json_int(j, crm_dbscan_n_core(d));
        cli_json_key(j, "noise_rows");
        cli_json_int(j, crm_dbscan_n_noise(d));
        cli_json_key(j, "noise_segment");
        cli_json_int(j, crm_segmenter_noise_segment(seg));
    }
    if (crm_segmenter_optigrid(seg) != NULL) {
        cli_json_key(j, "cuts");
        cli_json_int(j, crm_optigrid_n_cuts(crm_segmenter_optigrid(seg)));
    }
    if (crm_segmenter_denclue(seg) != NULL) {
        cli_json_key(j, "bandwidth");
        cli_json_num(j, crm_denclue_params_used(crm_segmenter_denclue(seg)).h);
        cli_json_key(j, "attractors");
        cli_json_int(j, crm_denclue_n_attractors(crm_segmenter_denclue(seg)));
    }
    if (crm_segmenter_noise_segment(seg) >= 0 && crm_segmenter_dbscan(seg) == NULL) {
        cli_json_key(j, "noise_segment");
        cli_json_int(j, crm_segmenter_noise_segment(seg));
    }
    if (km != NULL) {
        cli_json_key(j, "cost");
        cli_json_num(j, crm_kmodes_cost_value(km));
        cli_json_key(j, "numeric_features");
        cli_json_int(j, crm_kmodes_n_num(km));
        cli_json_key(j, "categorical_features");
        cli_json_int(j, crm_kmodes_n_cat(km));
        if (crm_kmodes_n_num(km) > 0 && crm_kmodes_n_cat(km) > 0) {
            cli_json_key(j, "gamma");
            cli_json_num(j, crm_kmodes_gamma(km));
        }
    }
}

/* Past the memory guard the tree is built on micro-clusters: say so. */
static void note_micro(FILE *fp, const crm_segmenter *seg, const crm_segment_params *p)
{
    const crm_hclust *h = crm_segmenter_hclust(seg);
    if (h != NULL && crm_hclust_n_micro(h) > 0) {
        fprintf(fp,
                "note: %lld rows are more than hierarchical clustering takes directly (%lld for "
                "%s linkage); the tree was built on %d k-means micro-clusters\n",
                (long long)crm_hclust_n_rows(h), (long long)crm_hclust_max_rows(&p->hclust),
                crm_linkage_name(crm_hclust_linkage_used(h)), (int)crm_hclust_n_micro(h));
    }
}

static void print_json(const crm_segmenter *seg,
                       const seg_opts *o,
                       double load_seconds,
                       const crm_segment_params *p)
{
    const crm_profile *pr = crm_segmenter_profile(seg);
    const crm_prep *prep = crm_segmenter_prep(seg);
    int32_t k = crm_segmenter_k(seg);
    int32_t kmin = 0;
    int32_t n_curve = 0;
    const double *curve = crm_segmenter_curve(seg, &kmin, &n_curve);
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "k");
    cli_json_int(&j, k);
    cli_json_key(&j, "method");
    cli_json_str(&j, method_name(crm_segmenter_method(seg)));
    json_algo(&j, seg);
    cli_json_key(&j, "rows");
    cli_json_int(&j, crm_segmenter_n_rows(seg));
    cli_json_key(&j, "iterations");
    cli_json_int(&j, crm_segmenter_n_iter(seg));
    cli_json_key(&j, "inertia");
    cli_json_num(&j, crm_segmenter_inertia(seg));
    cli_json_key(&j, "seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "total"));
    cli_json_key(&j, "load_seconds");
    cli_json_num(&j, load_seconds);
    cli_json_key(&j, "prep_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "prep"));
    cli_json_key(&j, "cluster_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "cluster"));
    cli_json_key(&j, "profile_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "profile"));
    cli_json_key(&j, "drift_seconds");
    cli_json_num(&j, crm_segmenter_seconds(seg, "drift"));
    cli_json_key(&j, "sample_rows");
    cli_json_int(&j, crm_segmenter_sample_rows(seg));
    if (crm_segmenter_sample_rows(seg) > 0 &&
        crm_segmenter_algo(seg) != CRM_SEGMENT_ALGO_DENCLUE) { /* k-means' stages */
        cli_json_key(&j, "choose_k_seconds");
        cli_json_num(&j, crm_segmenter_seconds(seg, "choose_k"));
        cli_json_key(&j, "full_pass_seconds");
        cli_json_num(&j, crm_segmenter_seconds(seg, "full_pass"));
    }
    cli_json_key(&j, "seed");
    cli_json_int(&j, (int64_t)p->kmeans.seed);
    cli_json_key(&j, "storage");
    cli_json_str(&j, p->float32 ? "float32" : "float64");
    if (crm_segmenter_method(seg) == CRM_SEGMENT_XMEANS) {
        cli_json_key(&j, "bic");
        cli_json_num(&j, crm_segmenter_bic(seg));
    }
    json_k_table(&j, seg);
    if (curve != NULL) {
        cli_json_key(&j, "elbow_kmin");
        cli_json_int(&j, kmin);
        /* em: the BIC of each k (the lowest was taken), under its own name too */
        cli_json_key(&j, crm_segmenter_algo(seg) == CRM_SEGMENT_ALGO_EM ? "bic_curve"
                                                                        : "elbow_inertia");
        cli_json_open_arr(&j);
        for (int32_t i = 0; i < n_curve; i++) {
            cli_json_num(&j, curve[i]);
        }
        cli_json_close_arr(&j);
    }
    cli_json_key(&j, "sizes");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_int(&j, crm_profile_size(pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "names");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_str(&j, crm_profile_name(pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "features");
    cli_json_open_arr(&j);
    for (int32_t f = 0; f < crm_prep_n_features(prep); f++) {
        cli_json_str(&j, crm_prep_feature_name(prep, f));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "model");
    cli_json_str(&j, o->out);
    cli_json_key(&j, "labels");
    if (o->labels) {
        cli_json_str(&j, cli_path_shown(o->labels));
    } else {
        cli_json_null(&j);
    }
    cli_json_key(&j, "profile");
    seg_json_profile(&j, pr);
    cli_json_end(&j);
}

static void print_text(const crm_segmenter *seg,
                       const seg_opts *o,
                       double load_seconds,
                       const crm_segment_params *p)
{
    crm_segment_algo a = crm_segmenter_algo(seg);
    if (a == CRM_SEGMENT_ALGO_KMEANS) {
        printf("%lld customers of %s in %d segments (%s), inertia %.6g after %d iterations\n",
               (long long)crm_segmenter_n_rows(seg), o->data, (int)crm_segmenter_k(seg),
               method_name(crm_segmenter_method(seg)), crm_segmenter_inertia(seg),
               (int)crm_segmenter_n_iter(seg));
    } else if (a == CRM_SEGMENT_ALGO_HIER) {
        printf("%lld customers of %s in %d segments (hier, %s linkage, k %s), sum of squares "
               "%.6g\n",
               (long long)crm_segmenter_n_rows(seg), o->data, (int)crm_segmenter_k(seg),
               crm_linkage_name(crm_hclust_linkage_used(crm_segmenter_hclust(seg))),
               method_name(crm_segmenter_method(seg)), crm_segmenter_inertia(seg));
        note_micro(stdout, seg, p);
    } else if (a == CRM_SEGMENT_ALGO_KMODES || a == CRM_SEGMENT_ALGO_KPROTOTYPES) {
        printf("%lld customers of %s in %d segments (%s, k %s), cost %.6g after %d passes\n",
               (long long)crm_segmenter_n_rows(seg), o->data, (int)crm_segmenter_k(seg),
               crm_segment_algo_name(a), method_name(crm_segmenter_method(seg)),
               crm_segmenter_inertia(seg), (int)crm_segmenter_n_iter(seg));
    } else {
        /* birch, em, dbscan, optigrid, denclue: the sum of squares to the segments' means */
        int32_t noise = crm_segmenter_noise_segment(seg);
        printf("%lld customers of %s in %d segments (%s, k %s%s), sum of squares %.6g\n",
               (long long)crm_segmenter_n_rows(seg), o->data, (int)crm_segmenter_k(seg),
               crm_segment_algo_name(a),
               noise >= 0 ? "found" : method_name(crm_segmenter_method(seg)),
               noise >= 0 ? "; the last segment is the noise" : "", crm_segmenter_inertia(seg));
    }
    if (crm_segmenter_sample_rows(seg) > 0 && a == CRM_SEGMENT_ALGO_DENCLUE) {
        printf("attractors climbed to from a sample of %lld rows; every other row placed as a "
               "new customer\n",
               (long long)crm_segmenter_sample_rows(seg));
    } else if (crm_segmenter_sample_rows(seg) > 0) {
        printf("k and the centres from a sample of %lld rows (%.2f s), then Lloyd passes over "
               "every row (%.2f s)\n",
               (long long)crm_segmenter_sample_rows(seg), crm_segmenter_seconds(seg, "choose_k"),
               crm_segmenter_seconds(seg, "full_pass"));
    }
    printf("load %.2f s, fit %.2f s; model written to %s%s%s\n\n", load_seconds,
           crm_segmenter_seconds(seg, "total"), o->out, o->labels ? ", labels to " : "",
           o->labels ? cli_path_shown(o->labels) : "");
    print_k_table(seg);
    seg_print_profile(stdout, crm_segmenter_profile(seg), 0);
}

/* Names and tiers: an explicit file, an explicit column, or revenue when there is one. */
static int set_naming(const seg_opts *o, const crm_table *t, crm_segment_params *p, char ***names)
{
    int32_t n = 0;
    if (o->names != NULL) {
        int code = seg_read_names(o->names, names, &n);
        if (code != CLI_EX_OK) {
            return code;
        }
        p->names = (const char *const *)*names;
        p->n_names = n;
    } else if (o->tier_by != NULL) {
        p->tier_by = strcmp(o->tier_by, "none") == 0 ? NULL : o->tier_by;
    } else {
        int32_t j = crm_table_find_col(t, "revenue");
        p->tier_by = (j >= 0 && crm_table_numeric(t, j) != NULL) ? "revenue" : NULL;
    }
    return CLI_EX_OK;
}

/* Memory the run will need, estimated before reading from the file's size and its first
 * 64 KiB (rows = size / mean line length; gzip counted at 5 times its size), in bytes a row
 * for c columns (taken as all numeric, the most they can cost):
 *   reading: every column parsed as doubles and the line numbers, 8 c + 8, plus the text
 *     where it is held whole (a gzip file's decoded text; a plain file's mapped pages leave
 *     as their rows are parsed, counted as a quarter of its size);
 *   k-means: the table 8 c + 8, the cleaned matrix 8 c (float32 storage: 4 c), the float
 *     copy the double Lloyd passes screen with 4 c + 4 (none with float32: the float rows
 *     are read directly), the labels 12; where k is chosen on a sample in one process with
 *     float64 storage, half the matrix (4 c) and no float copy: the other half is cleaned
 *     from the table on each pass (crm_segment_params.keep_matrix).
 * Past the limit (--max-memory, default the memory available) it stops here, saying how much
 * and what helps, instead of failing (or being killed) minutes later. */
/* bytes as "1.5 GiB", or "120 MiB" under a GiB */
static const char *size_text(double bytes, char *buf, size_t cap)
{
    if (bytes >= 1073741824.0) {
        snprintf(buf, cap, "%.1f GiB", bytes / 1073741824.0);
    } else {
        snprintf(buf, cap, "%.0f MiB", bytes / 1048576.0);
    }
    return buf;
}

/* Whether the fit keeps only half the cleaned matrix; given centres (--init, read after
 * this check) take no sample. */
static int half_matrix(const crm_segment_params *p, double rows, int has_init)
{
    return !has_init && crm_segment_keeps_half_matrix(p, (int64_t)rows);
}

static int check_memory(const char *path, const crm_segment_params *p, int has_init)
{
    int float32 = p->float32;
    unsigned char head[65536];
    struct stat st;
    size_t got;
    size_t lines = 0;
    size_t cols = 1;
    double rows;
    double text;
    double need;
    double need32;
    char s1[32];
    char s2[32];
    char s3[32];
    int gz;
    FILE *fp;
    if (strcmp(path, "-") == 0 || cli_memlimit() == 0 || stat(path, &st) != 0 ||
        !S_ISREG(st.st_mode) || (fp = fopen(path, "rb")) == NULL) {
        return CLI_EX_OK;
    }
    got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    gz = got >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (got < 2 || gz) {
        rows = (double)st.st_size * 5.0 / 100.0; /* gzip: about 100 bytes a row, 5:1 */
        cols = 20;
        text = (double)st.st_size * 5.0;
    } else {
        for (size_t i = 0; i < got; i++) {
            lines += head[i] == '\n';
            cols += lines == 0 && head[i] == ',';
        }
        /* a sparse file's holes are not rows (the reader stops at the first one) */
        double bytes = st.st_blocks > 0 && (double)st.st_blocks * 512.0 < (double)st.st_size
                           ? (double)st.st_blocks * 512.0
                           : (double)st.st_size;
        rows = lines > 0 ? bytes / ((double)got / (double)lines) : 1.0;
        text = bytes / 4.0;
    }
    {
        double c = (double)cols;
        double read = rows * (8.0 * c + 8.0) + text;
        double fit64 = half_matrix(p, rows, has_init)
                           ? rows * (8.0 * c + 8.0 + 4.0 * c + 12.0)
                           : rows * (8.0 * c + 8.0 + 8.0 * c + 4.0 * c + 4.0 + 12.0);
        double fit32 = rows * (8.0 * c + 8.0 + 4.0 * c + 12.0);
        need = read > fit64 ? read : fit64;
        need32 = read > fit32 ? read : fit32;
    }
    if (float32) {
        need = need32;
    }
    if (need > (double)cli_memlimit()) {
        char help[256];
        if (!float32 && need32 <= (double)cli_memlimit()) {
            snprintf(help, sizeof help,
                     "With --float32 (the cleaned matrix kept as float32) it needs about %s, "
                     "which fits: add --float32. ",
                     size_text(need32, s3, sizeof s3));
        } else if (!float32) {
            snprintf(help, sizeof help,
                     "Even with --float32 (the cleaned matrix as float32) it needs about %s. ",
                     size_text(need32, s3, sizeof s3));
        } else {
            help[0] = '\0';
        }
        fprintf(stderr,
                "crmkit segment: %s: about %.0f rows x %zu columns need about %s (the "
                "table and its cleaned %s matrix), more than the limit of %s (%s). %sOr "
                "use fewer columns (--features), give more memory (--max-memory SIZE) if the "
                "machine has it, or share the rows among processes (mpirun -np N crmkit "
                "segment ...). --sample and --minibatch make the fit faster, not smaller: "
                "every row is still kept.\n",
                path, rows, cols, size_text(need, s1, sizeof s1), float32 ? "float32" : "float64",
                size_text((double)cli_memlimit(), s2, sizeof s2),
                cli_memlimit_given() ? "--max-memory" : "the memory available", help);
        return CLI_EX_OSERR;
    }
    return CLI_EX_OK;
}

static int run(const seg_opts *o, crm_segment_params *p)
{
    crm_table *t = NULL;
    crm_table *init = NULL;
    crm_segmenter *seg = NULL;
    char **features = NULL;
    char **names = NULL;
    cli_progress bar;
    double load_seconds = 0;
    crm_error err;
    int code;
    int fit_ok = 0;
    crm_status rc;
    cli_progress_init(&bar, o->quiet);
    code = cli_dist_agree_code(
        check_memory(o->data, p, o->init != NULL)); /* the read below is collective */
    if (code == CLI_EX_OK) {
        code = seg_read_table_split(o->data, cli_progress_cb(&bar), &t, &load_seconds);
    }
    code = cli_dist_agree_code(code);
    if (code == CLI_EX_OK && o->init != NULL) {
        code = seg_read_table(o->init, NULL, &init, NULL);
        if (code == CLI_EX_OK) {
            p->init_centers = init;
            p->k = (int32_t)crm_table_n_rows(init);
        }
    }
    if (code == CLI_EX_OK && o->features != NULL) {
        features = cli_split_list(o->features, ',', &p->n_features);
        if (features == NULL || p->n_features == 0) {
            code = cli_usage_error("segment", "--features needs column names");
        }
        p->features = (const char *const *)features;
    }
    if (code == CLI_EX_OK) {
        code = set_naming(o, t, p, &names);
    }
    if (code == CLI_EX_OK) {
        /* Under mpirun each rank parsed its byte range of the file and the ranks combined
         * the parts (crm_table_read_csv_split), so every rank holds the whole table and the
         * fit is the same computation on every rank: in replicated mode the k-means passes split
         * their blocks across the ranks (crmkit/dist.h), and only rank 0 writes the outputs. */
        int was = crm_dist_set_replicated(1);
        rc = crm_segmenter_fit(t, p, cli_progress_cb(&bar), &seg, &err);
        (void)crm_dist_set_replicated(was);
        rc = crm_dist_agree(rc, &err);
        fit_ok = rc == CRM_OK;
        cli_progress_done(&bar);
        if (rc == CRM_OK && crm_dist_quiet()) {
            /* rank 0 writes; the others learn how that went */
            code = cli_dist_agree_code(CLI_EX_OK);
            goto done;
        }
        /* the model and its labels are one set: both renamed into place, or neither */
        crm_outfile_set_begin();
        if (rc == CRM_OK) {
            rc = crm_segmenter_save(seg, o->out, &err);
        }
        if (rc != CRM_OK) {
            (void)crm_outfile_set_end(0, NULL);
            if (o->names != NULL && err.source[0] == '\0' && strstr(err.msg, "name") != NULL) {
                snprintf(err.source, sizeof err.source, "%s", o->names);
            }
            code = cli_fail(&err);
        } else if (o->labels != NULL &&
                   (code = seg_write_labels(
                        o->labels, t, crm_segmenter_labels(seg), crm_segmenter_profile(seg),
                        crm_segmenter_outliers(seg, NULL), true)) != CLI_EX_OK) {
            (void)crm_outfile_set_end(0, NULL);
        } else if (crm_outfile_set_end(1, &err) != CRM_OK) {
            code = cli_fail(&err);
        }
        if (fit_ok) {
            code = cli_dist_agree_code(code);
        }
    }
    if (code == CLI_EX_OK) {
        if (o->json) {
            print_json(seg, o, load_seconds, p);
            note_micro(stderr, seg, p);
        } else {
            print_text(seg, o, load_seconds, p);
        }
    }
done:
    crm_segmenter_free(seg);
    crm_table_free(init);
    crm_table_free(t);
    cli_free_list(features);
    cli_free_list(names);
    return code;
}

int cmd_segment(int argc, char **argv)
{
    seg_opts o;
    crm_segment_params p = crm_segment_params_default();
    int code;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spec") == 0 || strncmp(argv[i], "--spec=", 7) == 0) {
            return tl_segment(argc, argv); /* the two-layer model */
        }
    }
    code = parse_opts(argc, argv, &o, &p);
    if (code >= 0) {
        return code;
    }
    code = check_opts(&o, &p);
    if (code >= 0) {
        return code;
    }
    {
        const char *in[] = { o.data, o.init, o.names };
        const char *out[] = { o.out, o.labels };
        code = cli_check_paths("segment", in, 3, out, 2, 2u);
        if (code >= 0) {
            return code;
        }
    }
    return run(&o, &p);
}
