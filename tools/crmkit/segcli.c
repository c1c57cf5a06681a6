/* segcli.c: helpers shared by the segmentation commands (see segcli.h). */
#include "segcli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/outfile.h>

/* CRMKIT_CPU_CLOCK=1: CPU seconds of this process, as the library's stage timings */
static double now(void)
{
    struct timespec ts;
    const char *cpu = getenv("CRMKIT_CPU_CLOCK");
    (void)clock_gettime(cpu != NULL && cpu[0] == '1' ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC,
                        &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int seg_read_table(const char *path, const crm_progress *progress, crm_table **out, double *seconds)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_error err;
    double t0 = now();
    cli_dialect_apply(&cli_input, &opt);
    crm_status rc = crm_table_read_csv(path, &opt, progress, out, &err);
    if (seconds != NULL) {
        *seconds = now() - t0;
    }
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    return CLI_EX_OK;
}

int seg_read_table_split(const char *path,
                         const crm_progress *progress,
                         crm_table **out,
                         double *seconds)
{
    crm_csv_options opt = crm_csv_options_default();
    crm_error err;
    double t0 = now();
    cli_dialect_apply(&cli_input, &opt);
    crm_status rc = crm_table_read_csv_split(path, &opt, progress, out, &err);
    if (seconds != NULL) {
        *seconds = now() - t0;
    }
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    return CLI_EX_OK;
}

static int32_t first_id_col(const crm_table *t)
{
    for (int32_t j = 0; j < crm_table_n_cols(t); j++) {
        if (crm_table_col_type(t, j) == CRM_COL_ID) {
            return j;
        }
    }
    return -1;
}

/* The segment_name and outlier columns of a labels file. */
static crm_status add_names_and_flags(crm_table *out,
                                      const int32_t *labels,
                                      int64_t n,
                                      const crm_profile *pr,
                                      const uint8_t *outlier,
                                      bool outlier_col,
                                      double *v,
                                      crm_error *err)
{
    int32_t k = 0;
    char(*num)[16] = NULL;
    const char **names = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *names);
    crm_status rc = CRM_OK;
    for (int64_t i = 0; i < n; i++) {
        k = labels[i] + 1 > k ? labels[i] + 1 : k;
    }
    num = crm_calloc(k > 0 ? (size_t)k : 1, sizeof *num);
    if (names == NULL || num == NULL) {
        crm_free(names);
        crm_free(num);
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return CRM_ENOMEM;
    }
    for (int32_t s = 0; s < k; s++) {
        snprintf(num[s], sizeof num[s], "%d", (int)s);
    }
    for (int64_t i = 0; i < n; i++) {
        const char *name = pr != NULL ? crm_profile_name(pr, labels[i]) : NULL;
        names[i] = (name != NULL && name[0] != '\0') ? name : num[labels[i]];
    }
    rc = crm_table_add_text(out, "segment_name", CRM_COL_CATEGORICAL, names, err);
    if (rc == CRM_OK && outlier_col) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = outlier != NULL && outlier[i] ? 1.0 : 0.0;
        }
        rc = crm_table_add_numeric(out, "outlier", v, err);
    }
    crm_free(names);
    crm_free(num);
    return rc;
}

const char *seg_labels_name_col(const char *path)
{
    crm_table *lt = NULL;
    const char *col = "segment";
    crm_error err;
    /* Only the header matters; a file that cannot be read is reported by the real reader. */
    if (crm_table_read_csv(path, NULL, NULL, &lt, &err) == CRM_OK &&
        crm_table_find_col(lt, "segment_name") >= 0) {
        col = "segment_name";
    }
    crm_table_free(lt);
    return col;
}

int seg_write_labels(const char *path,
                     const crm_table *t,
                     const int32_t *labels,
                     const crm_profile *pr,
                     const uint8_t *outlier,
                     bool outlier_col)
{
    int64_t n = crm_table_n_rows(t);
    int32_t id = first_id_col(t);
    crm_table *out = NULL;
    double *v = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *v);
    const char **ids = NULL;
    crm_error err;
    crm_status rc;
    if (v == NULL) {
        cli_errorf("out of memory\n");
        return CLI_EX_OSERR;
    }
    for (int64_t i = 0; i < n; i++) {
        v[i] = id >= 0 ? (double)labels[i] : (double)(i + 1);
    }
    rc = crm_table_new(n, path, &out, &err);
    if (rc == CRM_OK && id >= 0) {
        const int32_t *codes = crm_table_codes(t, id);
        ids = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *ids);
        if (ids == NULL) {
            rc = CRM_ENOMEM;
            crm_error_clear(&err);
            err.code = rc;
        } else {
            for (int64_t i = 0; i < n; i++) {
                ids[i] = crm_table_level(t, id, codes[i]);
            }
            rc = crm_table_add_text(out, crm_table_col_name(t, id), CRM_COL_ID, ids, &err);
        }
    } else if (rc == CRM_OK) {
        rc = crm_table_add_numeric(out, "row", v, &err);
    }
    if (rc == CRM_OK && id < 0) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = (double)labels[i];
        }
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_numeric(out, "segment", v, &err);
    }
    if (rc == CRM_OK) {
        rc = add_names_and_flags(out, labels, n, pr, outlier, outlier_col, v, &err);
    }
    if (rc == CRM_OK) {
        rc = crm_table_write_csv(out, path, &err);
    }
    crm_free(ids);
    crm_free(v);
    crm_table_free(out);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

/* ---- reading labels ---- */

typedef struct key_row {
    const char *key;
    int64_t row;
} key_row;

static int cmp_key(const void *a, const void *b)
{
    const key_row *x = a;
    const key_row *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0) {
        return c;
    }
    return (x->row > y->row) - (x->row < y->row);
}

/* Text key of row i of column j: borrowed level text, or NULL for numeric columns. */
static const char *key_of(const crm_table *t, int32_t j, int64_t i)
{
    const int32_t *codes = crm_table_codes(t, j);
    if (codes == NULL || codes[i] < 0) {
        return NULL;
    }
    return crm_table_level(t, j, codes[i]);
}

static int label_value(const crm_table *lt, const double *seg, int64_t r, int32_t *out)
{
    double v = seg[r];
    if (!(v >= 0.0 && v <= 1e6 && v == floor(v))) {
        cli_errorf("%s:%lld: field \"segment\": expected a segment number >= 0\n",
                   crm_table_source(lt), (long long)crm_table_row_line(lt, r));
        return CLI_EX_DATAERR;
    }
    *out = (int32_t)v;
    return CLI_EX_OK;
}

static int
labels_by_row(const crm_table *lt, const double *seg, const crm_table *data, int32_t *labels)
{
    int64_t n = crm_table_n_rows(data);
    if (crm_table_n_rows(lt) != n) {
        cli_errorf("%s: %lld labels for %lld rows of %s (and no shared id column to match "
                   "them by)\n",
                   crm_table_source(lt), (long long)crm_table_n_rows(lt), (long long)n,
                   crm_table_source(data));
        return CLI_EX_DATAERR;
    }
    for (int64_t i = 0; i < n; i++) {
        int code = label_value(lt, seg, i, &labels[i]);
        if (code != CLI_EX_OK) {
            return code;
        }
    }
    return CLI_EX_OK;
}

static int labels_by_id(const crm_table *lt,
                        int32_t lj,
                        const double *seg,
                        const crm_table *data,
                        int32_t dj,
                        int32_t *labels)
{
    int64_t nl = crm_table_n_rows(lt);
    int64_t n = crm_table_n_rows(data);
    key_row *idx = crm_mallocarray(nl > 0 ? (size_t)nl : 1, sizeof *idx);
    int code = CLI_EX_OK;
    if (idx == NULL) {
        cli_errorf("out of memory\n");
        return CLI_EX_OSERR;
    }
    for (int64_t r = 0; r < nl; r++) {
        idx[r].key = key_of(lt, lj, r);
        idx[r].row = r;
        if (idx[r].key == NULL) {
            cli_errorf("%s:%lld: field \"%s\": the id is missing\n", crm_table_source(lt),
                       (long long)crm_table_row_line(lt, r), crm_table_col_name(lt, lj));
            crm_free(idx);
            return CLI_EX_DATAERR;
        }
    }
    qsort(idx, (size_t)nl, sizeof *idx, cmp_key);
    /* one id, two different segments: which one is meant cannot be guessed */
    for (int64_t r = 1; r < nl; r++) {
        const key_row *a = &idx[r - 1];
        const key_row *b = &idx[r];
        if (strcmp(a->key, b->key) == 0 && !(seg[a->row] == seg[b->row])) {
            cli_errorf("%s:%lld: field \"%s\": id \"%s\" is labelled %g here and %g on "
                       "line %lld\n",
                       crm_table_source(lt), (long long)crm_table_row_line(lt, b->row),
                       crm_table_col_name(lt, lj), b->key, seg[b->row], seg[a->row],
                       (long long)crm_table_row_line(lt, a->row));
            crm_free(idx);
            return CLI_EX_DATAERR;
        }
    }
    for (int64_t i = 0; i < n && code == CLI_EX_OK; i++) {
        key_row probe = { key_of(data, dj, i), -1 };
        key_row *hit;
        if (probe.key == NULL) {
            hit = NULL;
        } else {
            /* Row -1 sorts before every row with the same key: find the first with it. */
            size_t lo = 0;
            size_t hi = (size_t)nl;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_key(&idx[mid], &probe) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            hit = (lo < (size_t)nl && strcmp(idx[lo].key, probe.key) == 0) ? &idx[lo] : NULL;
        }
        if (hit == NULL) {
            cli_errorf("%s:%lld: field \"%s\": no label for this customer in %s\n",
                       crm_table_source(data), (long long)crm_table_row_line(data, i),
                       crm_table_col_name(data, dj), crm_table_source(lt));
            code = CLI_EX_DATAERR;
        } else {
            code = label_value(lt, seg, hit->row, &labels[i]);
        }
    }
    crm_free(idx);
    return code;
}

int seg_read_labels(const char *path, const crm_table *data, int32_t *labels)
{
    crm_table *lt = NULL;
    crm_error err;
    /* a labels file is crmkit's own CSV: the dialect options are for the data table */
    int code =
        crm_table_read_csv(path, NULL, NULL, &lt, &err) == CRM_OK ? CLI_EX_OK : cli_fail(&err);
    int32_t sj;
    const double *seg;
    if (code != CLI_EX_OK) {
        return code;
    }
    sj = crm_table_find_col(lt, "segment");
    seg = sj >= 0 ? crm_table_numeric(lt, sj) : NULL;
    if (seg == NULL) {
        cli_errorf("%s: needs a numeric \"segment\" column (as written by crmkit "
                   "segment --labels or crmkit assign)\n",
                   path);
        crm_table_free(lt);
        return CLI_EX_DATAERR;
    }
    code = -1;
    for (int32_t j = 0; j < crm_table_n_cols(lt) && code < 0; j++) {
        int32_t dj = crm_table_find_col(data, crm_table_col_name(lt, j));
        if (j != sj && dj >= 0 && crm_table_codes(lt, j) != NULL &&
            crm_table_codes(data, dj) != NULL) {
            code = labels_by_id(lt, j, seg, data, dj, labels);
        }
    }
    if (code < 0) {
        code = labels_by_row(lt, seg, data, labels);
    }
    crm_table_free(lt);
    return code;
}

/* ---- names ---- */

int seg_read_names(const char *path, char ***names, int32_t *n)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    char **list = NULL;
    int32_t count = 0;
    int32_t cap = 0;
    int64_t lineno = 0;
    *names = NULL;
    *n = 0;
    if (fp == NULL) {
        cli_errorf("%s: cannot open names file: %s\n", path, strerror(errno));
        return errno == ENOMEM ? CLI_EX_OSERR : CLI_EX_NOINPUT; /* an input: never 74 */
    }
    while (fgets(line, sizeof line, fp) != NULL) {
        size_t len = strlen(line);
        lineno++;
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            cli_errorf("%s:%lld: segment name too long\n", path, (long long)lineno);
            fclose(fp);
            cli_free_list(list);
            return CLI_EX_DATAERR;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (count + 1 >= cap) {
            int32_t nc = cap ? cap * 2 : 16;
            char **grown = crm_realloc(list, (size_t)nc * sizeof *grown);
            if (grown == NULL) {
                fclose(fp);
                cli_free_list(list);
                cli_errorf("out of memory\n");
                return CLI_EX_OSERR;
            }
            list = grown;
            cap = nc;
        }
        list[count] = crm_strdup(line);
        list[count + 1] = NULL;
        if (list[count] == NULL) {
            fclose(fp);
            cli_free_list(list);
            return CLI_EX_OSERR;
        }
        count++;
    }
    if (ferror(fp)) { /* a folder opens, then fails to read */
        cli_errorf("%s: cannot read names file: %s\n", path, strerror(errno));
        fclose(fp);
        cli_free_list(list);
        return CLI_EX_NOINPUT;
    }
    fclose(fp);
    if (count == 0) {
        cli_errorf("%s: the names file has no names\n", path);
        crm_free(list);
        return CLI_EX_DATAERR;
    }
    *names = list;
    *n = count;
    return CLI_EX_OK;
}

/* ---- profile output ---- */

/* A number in at most width characters: fixed with few decimals, or exponent form. */
static void fmt_num(char *buf, size_t size, double v)
{
    double a = fabs(v);
    if (isnan(v)) {
        snprintf(buf, size, "-");
    } else if (a != 0.0 && (a >= 1e7 || a < 1e-3)) {
        snprintf(buf, size, "%.3g", v);
    } else if (a >= 1000.0) {
        snprintf(buf, size, "%.0f", v);
    } else if (a >= 10.0) {
        snprintf(buf, size, "%.1f", v);
    } else {
        snprintf(buf, size, "%.3f", v);
    }
}

void seg_print_profile(FILE *fp, const crm_profile *pr, int32_t max_features)
{
    int32_t k = crm_profile_k(pr);
    int32_t nf = crm_profile_n_features(pr);
    char buf[64];
    if (max_features > 0 && nf > max_features) {
        nf = max_features;
    }
    fprintf(fp, "%-18s %12s", "", "all");
    for (int32_t r = 0; r < k; r++) {
        fprintf(fp, " %12.12s", crm_profile_name(pr, crm_profile_order(pr, r)));
    }
    fprintf(fp, "\n%-18s %12lld", "customers", (long long)crm_profile_n_rows(pr));
    for (int32_t r = 0; r < k; r++) {
        fprintf(fp, " %12lld", (long long)crm_profile_size(pr, crm_profile_order(pr, r)));
    }
    fprintf(fp, "\n%-18s %11.1f%%", "share", 100.0);
    for (int32_t r = 0; r < k; r++) {
        fprintf(fp, " %11.1f%%", 100.0 * crm_profile_share(pr, crm_profile_order(pr, r)));
    }
    fprintf(fp, "\n");
    for (int32_t f = 0; f < nf; f++) {
        int cat = crm_profile_is_categorical(pr, f);
        fprintf(fp, "%-18.18s", crm_profile_feature(pr, f));
        if (cat) {
            fprintf(fp, " %12s", "(mode)");
        } else {
            fmt_num(buf, sizeof buf, crm_profile_pop_mean(pr, f));
            fprintf(fp, " %12s", buf);
        }
        for (int32_t r = 0; r < k; r++) {
            int32_t s = crm_profile_order(pr, r);
            if (cat) {
                const char *m = crm_profile_mode(pr, s, f, NULL);
                fprintf(fp, " %12.12s", m ? m : "-");
            } else {
                fmt_num(buf, sizeof buf, crm_profile_mean(pr, s, f));
                fprintf(fp, " %12s", buf);
            }
        }
        fprintf(fp, "\n");
    }
    if (nf < crm_profile_n_features(pr)) {
        fprintf(fp, "(%d more features: crmkit profile MODEL shows them all)\n",
                (int)(crm_profile_n_features(pr) - nf));
    }
    fprintf(fp, "(means per segment in original units%s%s%s)\n",
            crm_profile_tier_by(pr) ? "; segments ranked by mean " : "",
            crm_profile_tier_by(pr) ? crm_profile_tier_by(pr) : "",
            crm_profile_tier_by(pr) ? ", highest first" : "");
}

static void json_feature(cli_json *j, const crm_profile *pr, int32_t s, int32_t f)
{
    cli_json_key(j, crm_profile_feature(pr, f));
    cli_json_open_obj(j);
    if (crm_profile_is_categorical(pr, f)) {
        double share;
        const char *m = crm_profile_mode(pr, s, f, &share);
        cli_json_key(j, "mode");
        if (m) {
            cli_json_str(j, m);
        } else {
            cli_json_null(j);
        }
        cli_json_key(j, "mode_share");
        cli_json_num(j, share);
    } else {
        cli_json_key(j, "mean");
        cli_json_num(j, crm_profile_mean(pr, s, f));
        cli_json_key(j, "median");
        cli_json_num(j, crm_profile_median(pr, s, f));
        cli_json_key(j, "ratio");
        cli_json_num(j, crm_profile_ratio(pr, s, f));
        cli_json_key(j, "std_diff");
        cli_json_num(j, crm_profile_std_diff(pr, s, f));
    }
    cli_json_close_obj(j);
}

void seg_json_profile(cli_json *j, const crm_profile *pr)
{
    int32_t k = crm_profile_k(pr);
    int32_t nf = crm_profile_n_features(pr);
    cli_json_open_obj(j);
    cli_json_key(j, "rows");
    cli_json_int(j, crm_profile_n_rows(pr));
    cli_json_key(j, "tier_by");
    if (crm_profile_tier_by(pr)) {
        cli_json_str(j, crm_profile_tier_by(pr));
    } else {
        cli_json_null(j);
    }
    cli_json_key(j, "population");
    cli_json_open_obj(j);
    for (int32_t f = 0; f < nf; f++) {
        if (crm_profile_is_categorical(pr, f)) {
            continue;
        }
        cli_json_key(j, crm_profile_feature(pr, f));
        cli_json_open_obj(j);
        cli_json_key(j, "mean");
        cli_json_num(j, crm_profile_pop_mean(pr, f));
        cli_json_key(j, "median");
        cli_json_num(j, crm_profile_pop_median(pr, f));
        cli_json_key(j, "sd");
        cli_json_num(j, crm_profile_pop_sd(pr, f));
        cli_json_close_obj(j);
    }
    cli_json_close_obj(j);
    cli_json_key(j, "segments");
    cli_json_open_arr(j);
    for (int32_t r = 0; r < k; r++) {
        int32_t s = crm_profile_order(pr, r);
        cli_json_open_obj(j);
        cli_json_key(j, "segment");
        cli_json_int(j, s);
        cli_json_key(j, "name");
        cli_json_str(j, crm_profile_name(pr, s));
        cli_json_key(j, "size");
        cli_json_int(j, crm_profile_size(pr, s));
        cli_json_key(j, "share");
        cli_json_num(j, crm_profile_share(pr, s));
        cli_json_key(j, "features");
        cli_json_open_obj(j);
        for (int32_t f = 0; f < nf; f++) {
            json_feature(j, pr, s, f);
        }
        cli_json_close_obj(j);
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
    cli_json_close_obj(j);
}
