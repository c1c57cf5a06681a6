/* cmd_drift.c: `crmkit drift`: has the customer base moved since the segmentation model was
 * fitted? PSI per feature and of the segment shares, a verdict line, exit 1 when drifted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/drift.h>
#include <crmkit/model.h>
#include <crmkit/segment.h>
#include <crmkit/twolayer.h>

#include "segcli.h"

#define CLI_EX_DRIFTED 1

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit drift MODEL.crmk NEW.csv [--threshold T] [--moderate M] [--json]\n"
            "       [--quiet]\n\n"
            "Compare new customers with the data the segmentation model was fitted on: the\n"
            "population stability index (PSI) of every feature over the training data's bins\n"
            "(deciles of a numeric feature, levels of a categorical one, each with a bin for\n"
            "missing values) and of the segment shares (the new customers assigned to the\n"
            "segments). PSI = sum over bins of (new - old) * ln(new / old), shares floored at\n"
            "0.0001. Reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 drifted.\n"
            "The last line is the verdict, e.g. \"re-segment: 3 features drifted past 0.25\".\n"
            "For a two-layer model (segment --spec) the layer-1 group shares and each group's\n"
            "segment shares are compared instead.\n\n"
            "options:\n"
            "  --threshold T  PSI above which a feature or the segment shares count as drifted\n"
            "                 (default 0.25)\n"
            "  --moderate M   PSI from which a shift is reported as worth watching (default 0.1)\n"
            "  --sep S        separator of NEW.csv: , ; tab | or auto (from the header line)\n"
            "  --na LIST      extra missing-value markers, comma-separated\n"
            "  --types LIST   column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json         print one JSON object on standard output\n"
            "  --quiet        no progress bar\n"
            "  -h, --help     this text\n\n"
            "exit status: 0 stable (or only moderate shifts), 1 drifted (refit the model; usable\n"
            "in a cron job), 64 bad option, 65 bad data or model file, 66 missing input.\n");
}

typedef struct drift_opts {
    const char *model;
    const char *data;
    double threshold;
    double moderate;
    bool json;
    bool quiet;
} drift_opts;

static int parse(int argc, char **argv, drift_opts *o)
{
    const char *pos[2];
    int n_pos = 0;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--threshold", .kind = CLI_OPT_DOUBLE, .dest = &o->threshold, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0" },
        { .name = "--moderate", .kind = CLI_OPT_DOUBLE, .dest = &o->moderate, .dlo = 0,
          .dhi = HUGE_VAL, .excl_lo = true, .excl_hi = true, .need = "a number > 0" },
        CLI_DIALECT_OPTS(cli_input),
        { 0 },
    };
    /* clang-format on */
    int code = cli_parse("drift", argc, argv, opts, pos, 2, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->model = n_pos > 0 ? pos[0] : NULL;
    o->data = n_pos > 1 ? pos[1] : NULL;
    if (o->model == NULL || o->data == NULL) {
        return cli_usage_error("drift", "name the model and the new data");
    }
    if (o->moderate > o->threshold) {
        return cli_usage_error("drift", "--moderate must not exceed --threshold");
    }
    return -1;
}

static const char *status_of(const drift_opts *o, double psi)
{
    return psi > o->threshold ? "drifted" : psi >= o->moderate ? "moderate" : "stable";
}

typedef struct feat_psi {
    double psi;
    int32_t f;
} feat_psi;

static int cmp_psi(const void *a, const void *b)
{
    const feat_psi *x = a;
    const feat_psi *y = b;
    if (x->psi != y->psi) {
        return x->psi > y->psi ? -1 : 1;
    }
    return (x->f > y->f) - (x->f < y->f);
}

typedef struct drift_result {
    const crm_drift_ref *ref; /* NULL: an older model without the training distribution */
    feat_psi *feats;          /* sorted by PSI, highest first */
    int32_t n_feats;
    const crm_profile *pr;
    double *seg_new; /* [k] */
    double seg_psi;
    int64_t n_rows;
    int32_t n_drifted;
    int32_t n_moderate;
    bool drifted;
    char verdict[256];
} drift_result;

static void make_verdict(const drift_opts *o, drift_result *d)
{
    bool seg_drift = d->seg_psi > o->threshold;
    char seg_part[96] = "";
    for (int32_t i = 0; i < d->n_feats; i++) {
        d->n_drifted += d->feats[i].psi > o->threshold;
        d->n_moderate += d->feats[i].psi >= o->moderate && d->feats[i].psi <= o->threshold;
    }
    d->drifted = d->n_drifted > 0 || seg_drift;
    if (seg_drift) {
        snprintf(seg_part, sizeof seg_part, "%sthe segment shares (PSI %.3f)",
                 d->n_drifted > 0 ? " and " : "", d->seg_psi);
    }
    if (d->drifted) {
        if (d->n_drifted > 0) {
            snprintf(d->verdict, sizeof d->verdict, "re-segment: %d feature%s drifted past %g%s",
                     (int)d->n_drifted, d->n_drifted == 1 ? "" : "s", o->threshold, seg_part);
        } else {
            snprintf(d->verdict, sizeof d->verdict, "re-segment: %s drifted past %g", seg_part,
                     o->threshold);
        }
    } else if (d->n_moderate > 0 || d->seg_psi >= o->moderate) {
        snprintf(
            d->verdict, sizeof d->verdict, "watch: %d feature%s%s shifted past %g, none past %g",
            (int)d->n_moderate, d->n_moderate == 1 ? "" : "s",
            d->seg_psi >= o->moderate ? " and the segment shares" : "", o->moderate, o->threshold);
    } else {
        snprintf(d->verdict, sizeof d->verdict, "stable: nothing shifted past %g", o->moderate);
    }
}

static void print_text(const drift_opts *o, const drift_result *d)
{
    int32_t k = crm_profile_k(d->pr);
    printf("drift of %s against the training data of %s (%lld new rows)\n\n", o->data, o->model,
           (long long)d->n_rows);
    if (d->ref == NULL) {
        printf("(this model file keeps no training distribution: it was written before crmkit "
               "stored one; refit it to compare features; only the segment shares are "
               "compared)\n\n");
    } else {
        printf("%-24s %10s  %s\n", "feature", "PSI", "status");
        for (int32_t i = 0; i < d->n_feats; i++) {
            printf("%-24s %10.4f  %s\n", crm_drift_ref_feature(d->ref, d->feats[i].f),
                   d->feats[i].psi, status_of(o, d->feats[i].psi));
        }
        printf("\n");
    }
    printf("%-24s %10s %10s\n", "segment", "training", "new");
    for (int32_t r = 0; r < k; r++) {
        int32_t s = crm_profile_order(d->pr, r);
        printf("%-24s %9.2f%% %9.2f%%\n", crm_profile_name(d->pr, s),
               100.0 * crm_profile_share(d->pr, s), 100.0 * d->seg_new[s]);
    }
    printf("%-24s %10.4f  %s\n\n", "segment shares PSI", d->seg_psi, status_of(o, d->seg_psi));
    printf("verdict: %s\n", d->verdict);
}

static void print_json(const drift_opts *o, const drift_result *d)
{
    cli_json j;
    int32_t k = crm_profile_k(d->pr);
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "rows");
    cli_json_int(&j, d->n_rows);
    cli_json_key(&j, "threshold");
    cli_json_num(&j, o->threshold);
    cli_json_key(&j, "moderate_threshold");
    cli_json_num(&j, o->moderate);
    cli_json_key(&j, "features");
    if (d->ref == NULL) {
        cli_json_null(&j);
    } else {
        cli_json_open_arr(&j);
        for (int32_t i = 0; i < d->n_feats; i++) {
            cli_json_open_obj(&j);
            cli_json_key(&j, "name");
            cli_json_str(&j, crm_drift_ref_feature(d->ref, d->feats[i].f));
            cli_json_key(&j, "psi");
            cli_json_num(&j, d->feats[i].psi);
            cli_json_key(&j, "status");
            cli_json_str(&j, status_of(o, d->feats[i].psi));
            cli_json_close_obj(&j);
        }
        cli_json_close_arr(&j);
    }
    cli_json_key(&j, "segments");
    cli_json_open_obj(&j);
    cli_json_key(&j, "psi");
    cli_json_num(&j, d->seg_psi);
    cli_json_key(&j, "status");
    cli_json_str(&j, status_of(o, d->seg_psi));
    cli_json_key(&j, "names");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_str(&j, crm_profile_name(d->pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "training_shares");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_num(&j, crm_profile_share(d->pr, s));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "new_shares");
    cli_json_open_arr(&j);
    for (int32_t s = 0; s < k; s++) {
        cli_json_num(&j, d->seg_new[s]);
    }
    cli_json_close_arr(&j);
    cli_json_close_obj(&j);
    cli_json_key(&j, "drifted_features");
    cli_json_int(&j, d->n_drifted);
    cli_json_key(&j, "moderate_features");
    cli_json_int(&j, d->n_moderate);
    cli_json_key(&j, "drifted");
    cli_json_bool(&j, d->drifted);
    cli_json_key(&j, "verdict");
    cli_json_str(&j, d->verdict);
    cli_json_end(&j);
}

static crm_status
compute(const crm_segmenter *seg, const crm_table *t, drift_result *d, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t k = crm_segmenter_k(seg);
    int32_t *labels = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *labels);
    double *ref_shares = crm_mallocarray((size_t)k, sizeof *ref_shares);
    double *psi = NULL;
    crm_status rc = CRM_OK;
    d->ref = crm_segmenter_drift_ref(seg);
    d->pr = crm_segmenter_profile(seg);
    d->n_rows = n;
    d->seg_new = crm_calloc((size_t)k, sizeof *d->seg_new);
    if (d->ref != NULL) {
        d->n_feats = crm_drift_ref_n_features(d->ref);
        psi = crm_mallocarray((size_t)d->n_feats, sizeof *psi);
        d->feats = crm_mallocarray((size_t)d->n_feats, sizeof *d->feats);
    }
    if (labels == NULL || ref_shares == NULL || d->seg_new == NULL ||
        (d->ref != NULL && (psi == NULL || d->feats == NULL))) {
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        rc = CRM_ENOMEM;
        goto done;
    }
    if (n < 1) {
        err->code = CRM_EDATA;
        snprintf(err->msg, sizeof err->msg, "%s: no data rows", crm_table_source(t));
        rc = CRM_EDATA;
        goto done;
    }
    if (d->ref != NULL) {
        rc = crm_drift_ref_psi(d->ref, t, psi, err);
        for (int32_t i = 0; rc == CRM_OK && i < d->n_feats; i++) {
            d->feats[i].psi = psi[i];
            d->feats[i].f = i;
        }
        if (rc == CRM_OK) {
            qsort(d->feats, (size_t)d->n_feats, sizeof *d->feats, cmp_psi);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_segmenter_assign(seg, t, labels, NULL, NULL, err);
    }
    if (rc == CRM_OK) {
        for (int64_t i = 0; i < n; i++) {
            d->seg_new[labels[i]] += 1.0; /* counts first: shares with one rounding each */
        }
        for (int32_t s = 0; s < k; s++) {
            d->seg_new[s] /= (double)n;
            ref_shares[s] = crm_profile_share(d->pr, s);
        }
        d->seg_psi = crm_drift_psi(ref_shares, d->seg_new, k);
    }
done:
    crm_free(labels);
    crm_free(ref_shares);
    crm_free(psi);
    return rc;
}

/* ---- two-layer models: the layer-1 group shares and each group's segment shares ---- */

typedef struct tl_part {
    char name[160];
    double psi;
} tl_part;

static const char *verdict_tl(const drift_opts *o,
                              const tl_part *parts,
                              int32_t n,
                              char *buf,
                              size_t size,
                              int *drifted,
                              int32_t *n_drift,
                              int32_t *n_mod)
{
    size_t len = 0;
    *n_drift = 0;
    *n_mod = 0;
    for (int32_t i = 0; i < n; i++) {
        *n_drift += parts[i].psi > o->threshold;
        *n_mod += parts[i].psi >= o->moderate && parts[i].psi <= o->threshold;
    }
    *drifted = *n_drift > 0;
    if (*drifted) {
        len = (size_t)snprintf(buf, size, "re-segment: drifted past %g:", o->threshold);
        for (int32_t i = 0; i < n && len < size; i++) {
            if (parts[i].psi > o->threshold) {
                len += (size_t)snprintf(buf + len, size - len, " %s;", parts[i].name);
            }
        }
        if (len > 0 && len < size && buf[len - 1] == ';') {
            buf[len - 1] = '\0';
        }
    } else if (*n_mod > 0) {
        snprintf(buf, size, "watch: %d part%s shifted past %g, none past %g", (int)*n_mod,
                 *n_mod == 1 ? "" : "s", o->moderate, o->threshold);
    } else {
        snprintf(buf, size, "stable: nothing shifted past %g", o->moderate);
    }
    return buf;
}

static int drift_twolayer(const drift_opts *o, const crm_table *t)
{
    crm_twolayer *tl = NULL;
    crm_error err;
    int64_t n = crm_table_n_rows(t);
    int32_t ng;
    int32_t *l1 = NULL;
    int32_t *l2 = NULL;
    tl_part *parts = NULL;
    double *p = NULL;
    double *q = NULL;
    int32_t n_parts = 0;
    int code = CLI_EX_OK;
    char verdict[1024];
    int drifted = 0;
    int32_t n_drift = 0;
    int32_t n_mod = 0;
    int64_t total = 0;
    memset(&err, 0, sizeof err);
    if (crm_twolayer_load(o->model, &tl, &err) != CRM_OK) {
        char line[1024];
        fprintf(stderr, "crmkit drift: %s\n", crm_error_format(&err, line, (int32_t)sizeof line));
        return cli_exit_code(err.code);
    }
    ng = crm_twolayer_n_groups(tl);
    l1 = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *l1);
    l2 = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *l2);
    parts = crm_calloc((size_t)ng + 1, sizeof *parts);
    p = crm_calloc((size_t)ng + 64, sizeof *p);
    q = crm_calloc((size_t)ng + 64, sizeof *q);
    if (l1 == NULL || l2 == NULL || parts == NULL || p == NULL || q == NULL) {
        fprintf(stderr, "crmkit drift: out of memory\n");
        code = cli_exit_code(CRM_ENOMEM);
        goto done;
    }
    if (n < 1) {
        fprintf(stderr, "crmkit drift: %s: no data rows\n", o->data);
        code = CLI_EX_DATAERR;
        goto done;
    }
    if (crm_twolayer_assign(tl, t, l1, l2, &err) != CRM_OK) {
        char line[1024];
        fprintf(stderr, "crmkit drift: %s\n", crm_error_format(&err, line, (int32_t)sizeof line));
        code = cli_exit_code(err.code);
        goto done;
    }
    /* layer 1: the group shares */
    for (int32_t g = 0; g < ng; g++) {
        total += crm_twolayer_group_size(tl, g);
    }
    for (int32_t g = 0; g < ng; g++) {
        p[g] = total > 0 ? (double)crm_twolayer_group_size(tl, g) / (double)total : 0;
    }
    for (int64_t i = 0; i < n; i++) {
        q[l1[i] >= 0 && l1[i] < ng ? l1[i] : 0] += 1;
    }
    for (int32_t g = 0; g < ng; g++) {
        q[g] /= (double)n;
    }
    snprintf(parts[n_parts].name, sizeof parts[n_parts].name, "layer 1 group shares");
    parts[n_parts++].psi = crm_drift_psi(p, q, ng);
    if (!o->json) {
        printf("drift of %s against the training data of %s (two-layer model, %lld new rows)\n\n",
               o->data, o->model, (long long)n);
        printf("%-32s %10s %10s\n", "group", "training", "new");
        for (int32_t g = 0; g < ng; g++) {
            printf("%-32s %9.2f%% %9.2f%%\n", crm_twolayer_group_name(tl, g), 100 * p[g],
                   100 * q[g]);
        }
        printf("\n");
    }
    /* layer 2: each clustered group's segment shares among its new customers */
    for (int32_t g = 0; g < ng; g++) {
        const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
        int32_t k = crm_twolayer_group_k(tl, g);
        int64_t in_group = 0;
        if (seg == NULL || k < 2 || k > 64) {
            continue;
        }
        memset(q, 0, (size_t)k * sizeof *q);
        for (int64_t i = 0; i < n; i++) {
            if (l1[i] == g && l2[i] >= 0 && l2[i] < k) {
                q[l2[i]] += 1;
                in_group++;
            }
        }
        if (in_group == 0) {
            continue;
        }
        for (int32_t s = 0; s < k; s++) {
            q[s] /= (double)in_group;
            p[s] = crm_profile_share(crm_segmenter_profile(seg), s);
        }
        snprintf(parts[n_parts].name, sizeof parts[n_parts].name, "segments of %.120s",
                 crm_twolayer_group_name(tl, g));
        parts[n_parts++].psi = crm_drift_psi(p, q, k);
    }
    verdict_tl(o, parts, n_parts, verdict, sizeof verdict, &drifted, &n_drift, &n_mod);
    if (o->json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "rows");
        cli_json_int(&j, n);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "twolayer");
        cli_json_key(&j, "threshold");
        cli_json_num(&j, o->threshold);
        cli_json_key(&j, "moderate_threshold");
        cli_json_num(&j, o->moderate);
        cli_json_key(&j, "parts");
        cli_json_open_arr(&j);
        for (int32_t i = 0; i < n_parts; i++) {
            cli_json_open_obj(&j);
            cli_json_key(&j, "name");
            cli_json_str(&j, parts[i].name);
            cli_json_key(&j, "psi");
            cli_json_num(&j, parts[i].psi);
            cli_json_key(&j, "status");
            cli_json_str(&j, status_of(o, parts[i].psi));
            cli_json_close_obj(&j);
        }
        cli_json_close_arr(&j);
        cli_json_key(&j, "drifted_parts");
        cli_json_int(&j, n_drift);
        cli_json_key(&j, "moderate_parts");
        cli_json_int(&j, n_mod);
        cli_json_key(&j, "drifted");
        cli_json_bool(&j, drifted != 0);
        cli_json_key(&j, "verdict");
        cli_json_str(&j, verdict);
        cli_json_end(&j);
    } else {
        printf("%-40s %10s  %s\n", "part", "PSI", "status");
        for (int32_t i = 0; i < n_parts; i++) {
            printf("%-40s %10.4f  %s\n", parts[i].name, parts[i].psi, status_of(o, parts[i].psi));
        }
        printf("\nverdict: %s\n", verdict);
    }
    code = drifted ? CLI_EX_DRIFTED : CLI_EX_OK;
done:
    crm_free(l1);
    crm_free(l2);
    crm_free(parts);
    crm_free(p);
    crm_free(q);
    crm_twolayer_free(tl);
    return code;
}

/* Kind written in the model file's header, into kind[size] ("" when it cannot be read: the
 * loader then says why). */
static void model_kind(const char *path, char *kind, size_t size)
{
    crm_model_reader *r = NULL;
    kind[0] = '\0';
    if (crm_model_reader_open(path, &r, NULL) == CRM_OK) {
        snprintf(kind, size, "%s", crm_model_reader_kind(r));
    }
    crm_model_reader_free(r);
}

int cmd_drift(int argc, char **argv)
{
    drift_opts o;
    drift_result d;
    crm_segmenter *seg = NULL;
    crm_table *t = NULL;
    crm_error err;
    cli_progress bar;
    int code;
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    memset(&err, 0, sizeof err);
    o.threshold = CRM_DRIFT_SIGNIFICANT;
    o.moderate = CRM_DRIFT_MODERATE;
    code = parse(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    {
        char kind[32];
        model_kind(o.model, kind, sizeof kind);
        if (strcmp(kind, "twolayer") == 0) {
            cli_progress_init(&bar, o.quiet);
            code = seg_read_table(o.data, cli_progress_cb(&bar), &t, NULL);
            cli_progress_done(&bar);
            if (code == CLI_EX_OK) {
                code = drift_twolayer(&o, t);
            }
            crm_table_free(t);
            return code;
        }
    }
    if (crm_segmenter_load(o.model, &seg, &err) != CRM_OK) {
        char line[1024];
        fprintf(stderr, "crmkit drift: %s\n", crm_error_format(&err, line, (int32_t)sizeof line));
        return cli_exit_code(err.code);
    }
    cli_progress_init(&bar, o.quiet);
    code = seg_read_table(o.data, cli_progress_cb(&bar), &t, NULL);
    cli_progress_done(&bar);
    if (code == CLI_EX_OK && compute(seg, t, &d, &err) != CRM_OK) {
        char line[1024];
        fprintf(stderr, "crmkit drift: %s\n", crm_error_format(&err, line, (int32_t)sizeof line));
        code = cli_exit_code(err.code);
    } else if (code == CLI_EX_OK) {
        make_verdict(&o, &d);
        if (o.json) {
            print_json(&o, &d);
        } else {
            print_text(&o, &d);
        }
        code = d.drifted ? CLI_EX_DRIFTED : CLI_EX_OK;
    }
    crm_free(d.feats);
    crm_free(d.seg_new);
    crm_segmenter_free(seg);
    crm_table_free(t);
    return code;
}
