/* cmd_assign.c: `crmkit assign`: place new customers into the segments of a saved model,
 * with exactly the cleaning and centres the model was fitted with. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>
#include <crmkit/segment.h>

#include "clf_report.h"
#include "segcli.h"
#include "twolayer_cli.h"

static void usage(FILE *fp)
{
    fprintf(
        fp,
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
                   int64_t n,
                   const char *source,
                   const int32_t *labels,
                   int64_t unseen,
                   double seconds,
                   bool json,
                   const char *out)
{
    const crm_profile *pr = crm_segmenter_profile(seg);
    int32_t k = crm_segmenter_k(seg);
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
        cli_json_str(&j, cli_path_shown(out));
        cli_json_end(&j);
        return;
    }
    if (strcmp(out, "-") == 0) {
        return; /* the labels are on standard output */
    }
    printf("%lld customers of %s assigned to %d segments in %.2f s; labels written to %s\n",
           (long long)n, source, (int)k, seconds, cli_path_shown(out));
    for (int32_t r = 0; r < k; r++) {
        int32_t s = crm_profile_order(pr, r);
        if (s < shown) {
            printf("  %-20s %10lld  %5.1f%%\n", crm_profile_name(pr, s), (long long)sizes[s],
                   n > 0 ? 100.0 * (double)sizes[s] / (double)n : 0.0);
        }
    }
}

/* ---- under mpirun: each rank labels its byte range of the file ---------------------------- */

/* "name:num,name:cat" for the model's features, so that every part reads them with the
 * types of the fit whatever its own rows look like; names holding ',' or ':' are left to
 * inference. NULL when out of memory. */
static char *feature_types(const crm_segmenter *seg)
{
    const crm_prep *pr = crm_segmenter_prep(seg);
    size_t cap = 16;
    char *s;
    for (int32_t f = 0; f < crm_prep_n_features(pr); f++) {
        cap += strlen(crm_prep_feature_name(pr, f)) + 6;
    }
    s = crm_malloc(cap);
    if (s == NULL) {
        return NULL;
    }
    s[0] = '\0';
    for (int32_t f = 0; f < crm_prep_n_features(pr); f++) {
        const char *name = crm_prep_feature_name(pr, f);
        crm_col_type ty = crm_prep_feature_type(pr, f);
        if (strpbrk(name, ",:") != NULL || ty == CRM_COL_ID) {
            continue;
        }
        if (s[0] != '\0') {
            strcat(s, ",");
        }
        strcat(s, name);
        strcat(s, ty == CRM_COL_NUMERIC ? ":num" : ":cat");
    }
    return s;
}

/* The id text of every row of t (column id, or none), each NUL-terminated after a flag
 * byte: '1' present, '0' missing. */
static char *id_blob(const crm_table *t, int32_t id, size_t *len)
{
    int64_t n = t != NULL ? crm_table_n_rows(t) : 0;
    size_t cap = 1024;
    size_t used = 0;
    char *b = crm_malloc(cap);
    char cell[4096];
    if (b == NULL) {
        return NULL;
    }
    for (int64_t i = 0; id >= 0 && i < n; i++) {
        const int32_t *codes = crm_table_codes(t, id);
        int missing = codes != NULL ? codes[i] < 0 : 0;
        const char *txt = crm_table_cell_text(t, i, id, cell, (int32_t)sizeof cell);
        size_t m = strlen(txt) + 2;
        if (codes == NULL) {
            missing = txt[0] == '\0';
        }
        if (used + m > cap) {
            char *nb = crm_realloc(b, cap * 2 + m);
            if (nb == NULL) {
                crm_free(b);
                return NULL;
            }
            b = nb;
            cap = cap * 2 + m;
        }
        b[used++] = missing ? '0' : '1';
        memcpy(b + used, txt, m - 1);
        used += m - 1;
    }
    *len = used;
    return b;
}

/* A plain regular file, which crm_dist_split_file can cut (not gzip, not a pipe). */
static bool splittable(const char *path)
{
    unsigned char magic[2] = { 0, 0 };
    struct stat sb;
    FILE *fp;
    bool ok;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        return false;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        return true; /* the split reports the error, on every rank */
    }
    ok = !(fread(magic, 1, 2, fp) == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    fclose(fp);
    return ok;
}

/* The labels file, the warning about unseen categories and the summary: the same for one
 * process and for rank 0 under mpirun. ids holds the identifier column (or the whole table). */
static int write_and_report(const crm_segmenter *seg,
                            const char *out,
                            const crm_table *ids,
                            const int32_t *labels,
                            int64_t n,
                            const char *data,
                            const char *source,
                            int64_t unseen,
                            double seconds,
                            bool json)
{
    int code = seg_write_labels(out, ids, labels, crm_segmenter_profile(seg), NULL, true);
    if (code == CLI_EX_OK && unseen > 0) {
        int ordinal = crm_prep_fitted_params(crm_segmenter_prep(seg)).encode == CRM_ENCODE_ORDINAL;
        cli_errorf("warning: %lld category values of %s were not seen when the model was fitted "
                   "(%s)\n",
                   (long long)unseen, data,
                   ordinal ? "imputed as missing values" : "encoded as no level");
    }
    if (code == CLI_EX_OK) {
        report(seg, n, source, labels, unseen, seconds, json, out);
    }
    return code;
}

static int run_dist(crm_segmenter *seg, const char *data, const char *out, bool json)
{
    crm_dist_range range;
    crm_csv_options opt = crm_csv_options_default();
    crm_table *t = NULL;
    crm_table *ids = NULL;
    char *buf = NULL;
    char *types = NULL;
    char *blob = NULL;
    void *all_ids = NULL;
    void *all_labels = NULL;
    int32_t *labels = NULL;
    size_t len = 0;
    size_t blob_len = 0;
    size_t n_all_ids = 0;
    size_t n_all_labels = 0;
    int64_t n = 0;
    int64_t unseen = 0;
    int64_t total = 0;
    int32_t id = -1;
    char id_name[256] = "";
    crm_error err;
    crm_status rc;
    double t0 = now();
    int code = CLI_EX_OK;
    crm_error_clear(&err);
    rc = crm_dist_split_file(data, &range, &err);
    if (rc != CRM_OK) {
        return crm_dist_quiet() ? cli_exit_code(rc) : cli_fail(&err);
    }
    types = feature_types(seg);
    rc = types == NULL ? CRM_ENOMEM : CRM_OK;
    opt.types = types;
    if (rc == CRM_OK) {
        rc = crm_dist_read_part(data, &range, &buf, &len, &err);
    }
    if (rc == CRM_OK) {
        int64_t from = range.begin == 0 ? range.header_end : range.begin;
        int64_t body = range.end - from;
        /* a part of blank lines only (the file's tail) has no rows */
        while (body > 0 && (buf[len - (size_t)body] == '\n' || buf[len - (size_t)body] == '\r')) {
            body--;
        }
        if (body > 0) {
            rc = crm_table_read_csv_mem(buf, len, data, &opt, &t, &err);
            if (rc != CRM_OK) {
                crm_dist_fix_error_line(&range, data, &err);
            }
        }
    }
    if (rc == CRM_OK && t != NULL) {
        n = crm_table_n_rows(t);
        labels = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *labels);
        rc =
            labels != NULL ? crm_segmenter_assign(seg, t, labels, NULL, &unseen, &err) : CRM_ENOMEM;
        if (rc != CRM_OK && rc != CRM_ENOMEM && err.line > 0) {
            crm_dist_fix_error_line(&range, data, &err);
        }
    }
    if (rc == CRM_ENOMEM && err.msg[0] == '\0') {
        err.code = CRM_ENOMEM;
        snprintf(err.msg, sizeof err.msg, "out of memory");
    }
    rc = crm_dist_agree(rc, &err);
    if (rc != CRM_OK) {
        code = crm_dist_quiet() ? cli_exit_code(rc) : cli_fail(&err);
        goto done;
    }
    /* the labels file takes its id column from the first part that has rows */
    {
        int64_t first = t != NULL ? crm_dist_rank() : crm_dist_size();
        rc = crm_dist_allreduce_i64(&first, 1, CRM_DIST_MIN, &err);
        if (rc == CRM_OK && first == crm_dist_rank()) {
            for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
                if (crm_table_col_type(t, j) == CRM_COL_ID) {
                    snprintf(id_name, sizeof id_name, "%s", crm_table_col_name(t, j));
                    break;
                }
            }
        }
        if (rc == CRM_OK && first < crm_dist_size()) {
            rc = crm_dist_bcast(id_name, sizeof id_name, (int)first, &err);
        }
    }
    if (rc == CRM_OK && id_name[0] != '\0' && t != NULL) {
        id = crm_table_find_col(t, id_name);
    }
    if (rc == CRM_OK) {
        blob = id_blob(t, t != NULL ? id : -1, &blob_len);
        rc = crm_dist_agree(blob == NULL ? CRM_ENOMEM : CRM_OK, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_gather_bytes(blob, blob_len, 0, &all_ids, &n_all_ids, NULL, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_gather_bytes(labels, (size_t)n * sizeof *labels, 0, &all_labels,
                                   &n_all_labels, NULL, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_allreduce_i64(&unseen, 1, CRM_DIST_SUM, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_dist_scan_i64(n, NULL, &total, &err);
    }
    if (rc == CRM_OK && total == 0) {
        crm_error_clear(&err);
        err.code = rc = CRM_EDATA;
        snprintf(err.source, sizeof err.source, "%s", data);
        snprintf(err.msg, sizeof err.msg, "the file has a header but no rows");
    }
    rc = crm_dist_agree(rc, &err);
    if (rc != CRM_OK) {
        code = crm_dist_quiet() ? cli_exit_code(rc) : cli_fail(&err);
        goto done;
    }
    if (crm_dist_rank() == 0) {
        /* rank 0: the rows' ids in file order, then the labels file */
        const int32_t *lab = all_labels;
        const char **idv = crm_mallocarray((size_t)total, sizeof *idv);
        const char *p = all_ids;
        rc = crm_table_new(total, data, &ids, &err);
        if (rc == CRM_OK && idv == NULL) {
            rc = CRM_ENOMEM;
        }
        if (rc == CRM_OK && id_name[0] != '\0') {
            for (int64_t i = 0; i < total; i++) {
                idv[i] = p[0] == '1' ? p + 1 : NULL;
                p += strlen(p + 1) + 2;
            }
            rc = crm_table_add_text(ids, id_name, CRM_COL_ID, idv, &err);
        }
        crm_free(idv);
        if (rc != CRM_OK) {
            code = cli_fail(&err);
        } else {
            code =
                write_and_report(seg, out, ids, lab, total, data, data, unseen, now() - t0, json);
        }
    }
    code = cli_dist_agree_code(code);
done:
    crm_table_free(ids);
    crm_table_free(t);
    crm_free(buf);
    crm_free(types);
    crm_free(blob);
    crm_free(all_ids);
    crm_free(all_labels);
    crm_free(labels);
    return code;
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
    if (crm_dist_active() && (clf_is_classifier_file(model) || tl_is_twolayer_file(model))) {
        return cli_usage_error("assign", "a classifier or two-layer model does not run across "
                                         "ranks; start it without mpirun (or with -np 1)");
    }
    if (clf_is_classifier_file(model)) {
        return assign_with_classifier(model, data, out, json, quiet);
    }
    if (tl_is_twolayer_file(model)) {
        return tl_assign(model, data, out, json, quiet);
    }
    rc = crm_segmenter_load(model, &seg, &err);
    if (crm_dist_active()) {
        rc = crm_dist_agree(rc, &err);
    }
    if (rc != CRM_OK) {
        return crm_dist_quiet() ? cli_exit_code(rc) : cli_fail(&err);
    }
    if (crm_dist_active()) {
        if (splittable(data)) {
            code = run_dist(seg, data, out, json);
            crm_segmenter_free(seg);
            return code;
        }
        /* a .gz file (or a pipe) cannot be cut by bytes: rank 0 does all the work */
        if (crm_dist_quiet()) {
            crm_segmenter_free(seg);
            return cli_dist_agree_code(CLI_EX_OK);
        }
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
            code = write_and_report(seg, out, t, labels, crm_table_n_rows(t), data,
                                    crm_table_source(t), unseen, now() - t0, json);
        }
    }
    crm_free(labels);
    crm_table_free(t);
    crm_segmenter_free(seg);
    return cli_dist_agree_code(code);
}

int cmd_assign(int argc, char **argv)
{
    const char *pos[2] = { NULL, NULL };
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    int n_pos = 0;
    {
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            CLI_DIALECT_OPTS(cli_input),
            { 0 },
        };
        /* clang-format on */
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
        int code = cli_check_paths("assign", in, 2, &out, 1, 1u);
        if (code >= 0) {
            return code;
        }
    }
    return run(pos[0], pos[1], out, json, quiet);
}
