/* twolayer_cli.c: the two-layer model in the segmentation commands: `crmkit segment DATA
 * --spec SPEC.json`, and `assign` and `profile` on a "twolayer" model file. */
#include "twolayer_cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/outfile.h>
#include <crmkit/twolayer.h>

#include "segcli.h"

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool tl_is_twolayer_file(const char *path)
{
    crm_model_reader *r = NULL;
    bool yes = false;
    if (crm_model_reader_open(path, &r, NULL) == CRM_OK) {
        yes = strcmp(crm_model_reader_kind(r), CRM_TWOLAYER_KIND) == 0;
    }
    crm_model_reader_free(r);
    return yes;
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

/* The labels: id (or row), l1 (group name), l2 (1..k within the group), segment ("G/S"),
 * segment_id (0-based over all groups' segments, as the server numbers its predictions:
 * crm_twolayer_segment_index; `crmkit load` keys the store's segments by it). */
static crm_status labels_table(const crm_twolayer *tl,
                               const crm_table *t,
                               const char *path,
                               const int32_t *l1,
                               const int32_t *l2,
                               crm_table **out,
                               crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    int32_t id = first_id_col(t);
    size_t m = n > 0 ? (size_t)n : 1;
    const char **text = crm_mallocarray(m, sizeof *text);
    char **seg = crm_calloc(m, sizeof *seg);
    double *v = crm_mallocarray(m, sizeof *v);
    double *sid = crm_mallocarray(m, sizeof *sid);
    crm_status rc = (text && seg && v && sid) ? crm_table_new(n, path, out, err) : CRM_ENOMEM;
    if (rc == CRM_OK && id >= 0) {
        const int32_t *codes = crm_table_codes(t, id);
        for (int64_t i = 0; i < n; i++) {
            text[i] = codes[i] >= 0 ? crm_table_level(t, id, codes[i]) : NULL;
        }
        rc = crm_table_add_text(*out, crm_table_col_name(t, id), CRM_COL_ID, text, err);
    } else if (rc == CRM_OK) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = (double)(i + 1);
        }
        rc = crm_table_add_numeric(*out, "row", v, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        char buf[600];
        text[i] = crm_twolayer_group_name(tl, l1[i]);
        v[i] = (double)l2[i] + 1;
        sid[i] = (double)crm_twolayer_segment_index(tl, l1[i], l2[i]);
        seg[i] = crm_strdup(crm_twolayer_segment_label(tl, l1[i], l2[i], buf, sizeof buf));
        rc = seg[i] ? CRM_OK : CRM_ENOMEM;
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_text(*out, "l1", CRM_COL_CATEGORICAL, text, err);
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_numeric(*out, "l2", v, err);
    }
    if (rc == CRM_OK) {
        rc =
            crm_table_add_text(*out, "segment", CRM_COL_CATEGORICAL, (const char *const *)seg, err);
    }
    if (rc == CRM_OK) {
        rc = crm_table_add_numeric(*out, "segment_id", sid, err);
    }
    if (rc == CRM_ENOMEM && err != NULL) {
        crm_error_clear(err);
        err->code = CRM_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    for (int64_t i = 0; i < n && seg != NULL; i++) {
        crm_free(seg[i]);
    }
    crm_free(seg);
    crm_free(text);
    crm_free(v);
    crm_free(sid);
    return rc;
}

int tl_write_labels(const char *path,
                    const crm_twolayer *tl,
                    const crm_table *t,
                    const int32_t *l1,
                    const int32_t *l2)
{
    crm_table *out = NULL;
    crm_error err;
    crm_status rc = labels_table(tl, t, path, l1, l2, &out, &err);
    if (rc == CRM_OK) {
        rc = crm_table_write_csv(out, path, &err);
    }
    crm_table_free(out);
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

/* ---- printing ---- */

static void json_groups(cli_json *j,
                        const crm_twolayer *tl,
                        const int32_t *l1,
                        const int32_t *l2,
                        int64_t n,
                        bool profiles)
{
    cli_json_key(j, "groups");
    cli_json_open_arr(j);
    for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
        const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
        int32_t k = crm_twolayer_group_k(tl, g);
        int64_t size = 0;
        cli_json_open_obj(j);
        cli_json_key(j, "name");
        cli_json_str(j, crm_twolayer_group_name(tl, g));
        for (int64_t i = 0; l1 != NULL && i < n; i++) {
            size += l1[i] == g;
        }
        cli_json_key(j, "size");
        cli_json_int(j, l1 != NULL ? size : crm_twolayer_group_size(tl, g));
        cli_json_key(j, "algo");
        cli_json_str(j, crm_twolayer_group_algo(tl, g));
        cli_json_key(j, "clustered");
        cli_json_bool(j, seg != NULL);
        cli_json_key(j, "k");
        cli_json_int(j, k);
        cli_json_key(j, "segments");
        cli_json_open_arr(j);
        for (int32_t s = 0; s < k; s++) {
            char buf[600];
            int64_t ss = 0;
            for (int64_t i = 0; l1 != NULL && i < n; i++) {
                ss += l1[i] == g && l2[i] == s;
            }
            if (l1 == NULL) {
                ss = seg ? crm_profile_size(crm_segmenter_profile(seg), s)
                         : crm_twolayer_group_size(tl, g);
            }
            cli_json_open_obj(j);
            cli_json_key(j, "name");
            cli_json_str(j, crm_twolayer_segment_name(tl, g, s));
            cli_json_key(j, "segment");
            cli_json_str(j, crm_twolayer_segment_label(tl, g, s, buf, sizeof buf));
            cli_json_key(j, "size");
            cli_json_int(j, ss);
            cli_json_close_obj(j);
        }
        cli_json_close_arr(j);
        if (profiles && seg != NULL) {
            cli_json_key(j, "profile");
            seg_json_profile(j, crm_segmenter_profile(seg));
        }
        cli_json_close_obj(j);
    }
    cli_json_close_arr(j);
}

static void json_warnings(cli_json *j, const crm_twolayer *tl)
{
    cli_json_key(j, "warnings");
    cli_json_open_arr(j);
    for (int32_t i = 0; i < crm_twolayer_n_warnings(tl); i++) {
        cli_json_str(j, crm_twolayer_warning(tl, i));
    }
    cli_json_close_arr(j);
}

static int32_t n_segments(const crm_twolayer *tl)
{
    int32_t total = 0;
    for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
        total += crm_twolayer_group_k(tl, g);
    }
    return total;
}

void tl_print_profiles(FILE *fp, const crm_twolayer *tl)
{
    fprintf(fp, "== layer 1: %d groups\n\n", (int)crm_twolayer_n_groups(tl));
    seg_print_profile(fp, crm_twolayer_profile(tl), 0);
    for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
        const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
        fprintf(fp, "\n== layer 2: %s (%lld customers, %s, %d segment%s)\n",
                crm_twolayer_group_name(tl, g), (long long)crm_twolayer_group_size(tl, g),
                crm_twolayer_group_algo(tl, g), (int)crm_twolayer_group_k(tl, g),
                crm_twolayer_group_k(tl, g) == 1 ? "" : "s");
        if (seg == NULL) {
            fprintf(fp, "   not clustered: one segment, %s/%s\n", crm_twolayer_group_name(tl, g),
                    crm_twolayer_segment_name(tl, g, 0));
            continue;
        }
        fputc('\n', fp);
        seg_print_profile(fp, crm_segmenter_profile(seg), 0);
    }
}

static void print_warnings(const char *cmd, const crm_twolayer *tl)
{
    for (int32_t i = 0; i < crm_twolayer_n_warnings(tl); i++) {
        fprintf(stderr, "crmkit %s: warning: %s\n", cmd, crm_twolayer_warning(tl, i));
    }
}

/* ---- segment --spec ---- */

typedef struct tl_opts {
    const char *data;
    const char *spec;
    const char *out;
    const char *labels;
    int32_t threads;
    bool json;
    bool quiet;
} tl_opts;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit segment DATA.csv --spec SPEC.json -o MODEL.crmk [--labels LABELS.csv]\n"
            "       [--threads N] [--json] [--quiet]\n\n"
            "The two-layer customer model: rules in SPEC.json put every customer into a group\n"
            "(layer 1), then each group is segmented with its own features, algorithm and k\n"
            "(layer 2). Each customer gets l1 (group), l2 and a segment such as\n"
            "\"HighValue-HighVoice/S3\". The spec format is docs/formats/two-layer-spec.md.\n\n"
            "options:\n"
            "  --spec FILE         the two-layer spec (JSON)\n"
            "  -o, --output FILE   model file to write (required)\n"
            "  --labels FILE       also write id, l1, l2, segment for every customer as CSV\n"
            "  --threads N         threads (default: all); never changes the result\n"
            "  --sep S             separator of DATA: , ; tab | or auto (from the header line)\n"
            "  --na LIST           extra missing-value markers, comma-separated\n"
            "  --types LIST        column types, e.g. plan:cat,msisdn:id,score:num\n"
            "  --json              print one JSON summary on standard output\n"
            "  --quiet             no progress bar\n"
            "  -h, --help          this text\n\n"
            "exit status: 0 ok, 64 bad option, 65 bad data or spec, 66 missing input or column,\n"
            "73/74 cannot write.\n");
}

static int not_with_spec(const char *a, void *ud)
{
    (void)ud;
    return cli_usage_error("segment",
                           "%s cannot be used with --spec: with a two-layer spec, features, "
                           "algorithm, k and cleaning are set per group in the spec's layer2",
                           a);
}

static int parse_opts(int argc, char **argv, tl_opts *o)
{
    const char *pos[1];
    int n_pos = 0;
    /* clang-format off */
    const cli_opt opts[] = {
        { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &o->json },
        { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &o->quiet },
        { .name = "--spec", .kind = CLI_OPT_STR, .dest = &o->spec },
        { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &o->out },
        { .name = "--labels", .kind = CLI_OPT_STR, .dest = &o->labels },
        { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &o->threads, .lo = 0, .hi = 4096 },
        CLI_DIALECT_OPTS(cli_input),
        { .name = "", .kind = CLI_OPT_UNKNOWN, .fn = not_with_spec },
        { 0 },
    };
    /* clang-format on */
    int code = cli_parse("segment", argc, argv, opts, pos, 1, &n_pos, usage);
    if (code >= 0) {
        return code;
    }
    o->data = n_pos > 0 ? pos[0] : NULL;
    if (o->data == NULL) {
        return cli_usage_error("segment", "a data file is required");
    }
    if (o->out == NULL) {
        return cli_usage_error("segment", "a model file is required (-o MODEL.crmk)");
    }
    {
        const char *in[] = { o->data, o->spec };
        const char *out[] = { o->out, o->labels };
        return cli_check_paths("segment", in, 2, out, 2, 2u);
    }
}

static void print_fit_json(const crm_twolayer *tl, const tl_opts *o, double load_seconds)
{
    cli_json j;
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "kind");
    cli_json_str(&j, "twolayer");
    cli_json_key(&j, "spec");
    cli_json_str(&j, o->spec);
    cli_json_key(&j, "rows");
    cli_json_int(&j, crm_twolayer_n_rows(tl));
    cli_json_key(&j, "n_groups");
    cli_json_int(&j, crm_twolayer_n_groups(tl));
    cli_json_key(&j, "n_segments");
    cli_json_int(&j, n_segments(tl));
    cli_json_key(&j, "seconds");
    cli_json_num(&j, crm_twolayer_seconds(tl));
    cli_json_key(&j, "load_seconds");
    cli_json_num(&j, load_seconds);
    cli_json_key(&j, "model");
    cli_json_str(&j, o->out);
    cli_json_key(&j, "labels");
    if (o->labels != NULL) {
        cli_json_str(&j, o->labels);
    } else {
        cli_json_null(&j);
    }
    json_warnings(&j, tl);
    json_groups(&j, tl, NULL, NULL, 0, true);
    cli_json_key(&j, "profile");
    seg_json_profile(&j, crm_twolayer_profile(tl));
    cli_json_end(&j);
}

static int fit_and_save(const tl_opts *o, const crm_table *t, crm_twolayer **tl)
{
    cli_progress bar;
    crm_error err;
    crm_status rc = crm_twolayer_new_from_file(o->spec, o->threads, tl, &err);
    if (rc != CRM_OK) {
        return cli_fail(&err);
    }
    cli_progress_init(&bar, o->quiet);
    rc = crm_twolayer_fit(*tl, t, cli_progress_cb(&bar), &err);
    cli_progress_done(&bar);
    if (rc == CRM_OK) {
        rc = crm_twolayer_save(*tl, o->out, &err);
    }
    return rc == CRM_OK ? CLI_EX_OK : cli_fail(&err);
}

int tl_segment(int argc, char **argv)
{
    tl_opts o;
    crm_table *t = NULL;
    crm_twolayer *tl = NULL;
    double load_seconds = 0;
    int code;
    memset(&o, 0, sizeof o);
    code = parse_opts(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    code = seg_read_table(o.data, NULL, &t, &load_seconds);
    /* the model and its labels are one set: both renamed into place, or neither */
    crm_outfile_set_begin();
    if (code == CLI_EX_OK) {
        code = fit_and_save(&o, t, &tl);
    }
    if (code == CLI_EX_OK && o.labels != NULL) {
        code = tl_write_labels(o.labels, tl, t, crm_twolayer_labels_l1(tl),
                               crm_twolayer_labels_l2(tl));
    }
    if (code == CLI_EX_OK) {
        crm_error err;
        if (crm_outfile_set_end(1, &err) != CRM_OK) {
            code = cli_fail(&err);
        }
    } else {
        (void)crm_outfile_set_end(0, NULL);
    }
    if (code == CLI_EX_OK) {
        print_warnings("segment", tl);
        if (o.json) {
            print_fit_json(tl, &o, load_seconds);
        } else {
            printf("%lld customers of %s in %d groups and %d segments (two-layer spec %s)\n",
                   (long long)crm_twolayer_n_rows(tl), cli_path_shown(o.data),
                   (int)crm_twolayer_n_groups(tl), (int)n_segments(tl), o.spec);
            printf("load %.2f s, fit %.2f s; model written to %s%s%s\n", load_seconds,
                   crm_twolayer_seconds(tl), o.out, o.labels ? ", labels to " : "",
                   o.labels ? cli_path_shown(o.labels) : "");
            for (int32_t i = 0; i < crm_twolayer_n_warnings(tl); i++) {
                printf("warning: %s\n", crm_twolayer_warning(tl, i));
            }
            printf("\n");
            tl_print_profiles(stdout, tl);
        }
    }
    crm_twolayer_free(tl);
    crm_table_free(t);
    return code;
}

/* ---- assign and profile ---- */

int tl_assign(const char *model, const char *data, const char *out, bool json, bool quiet)
{
    crm_twolayer *tl = NULL;
    crm_table *t = NULL;
    int32_t *l1 = NULL;
    int32_t *l2 = NULL;
    cli_progress bar;
    crm_error err;
    double t0;
    double seconds;
    int64_t n;
    int code;
    if (crm_twolayer_load(model, &tl, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    cli_progress_init(&bar, quiet);
    code = seg_read_table(data, cli_progress_cb(&bar), &t, NULL);
    cli_progress_done(&bar);
    if (code != CLI_EX_OK) {
        crm_twolayer_free(tl);
        return code;
    }
    n = crm_table_n_rows(t);
    l1 = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *l1);
    l2 = crm_mallocarray(n > 0 ? (size_t)n : 1, sizeof *l2);
    t0 = now();
    if (l1 == NULL || l2 == NULL) {
        cli_errorf("out of memory\n");
        code = CLI_EX_OSERR;
    } else if (crm_twolayer_assign(tl, t, l1, l2, &err) != CRM_OK) {
        code = cli_fail(&err);
    }
    seconds = now() - t0;
    if (code == CLI_EX_OK) {
        code = tl_write_labels(out, tl, t, l1, l2);
    }
    if (code == CLI_EX_OK && json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "twolayer");
        cli_json_key(&j, "rows");
        cli_json_int(&j, n);
        cli_json_key(&j, "n_groups");
        cli_json_int(&j, crm_twolayer_n_groups(tl));
        cli_json_key(&j, "n_segments");
        cli_json_int(&j, n_segments(tl));
        cli_json_key(&j, "seconds");
        cli_json_num(&j, seconds);
        json_groups(&j, tl, l1, l2, n, false);
        cli_json_key(&j, "labels");
        cli_json_str(&j, cli_path_shown(out));
        cli_json_end(&j);
    } else if (code == CLI_EX_OK && strcmp(out, "-") != 0) {
        printf("%lld customers of %s assigned to %d groups and %d segments in %.2f s; labels "
               "written to %s\n",
               (long long)n, cli_path_shown(data), (int)crm_twolayer_n_groups(tl),
               (int)n_segments(tl), seconds, cli_path_shown(out));
        for (int32_t g = 0; g < crm_twolayer_n_groups(tl); g++) {
            int64_t size = 0;
            for (int64_t i = 0; i < n; i++) {
                size += l1[i] == g;
            }
            printf("  %-28s %10lld  %5.1f%%\n", crm_twolayer_group_name(tl, g), (long long)size,
                   n > 0 ? 100.0 * (double)size / (double)n : 0.0);
        }
    }
    crm_free(l1);
    crm_free(l2);
    crm_table_free(t);
    crm_twolayer_free(tl);
    return code;
}

int tl_profile(const char *model, bool json)
{
    crm_twolayer *tl = NULL;
    crm_error err;
    if (crm_twolayer_load(model, &tl, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    if (json) {
        cli_json j;
        cli_json_begin(&j, stdout);
        cli_json_key(&j, "model");
        cli_json_str(&j, model);
        cli_json_key(&j, "kind");
        cli_json_str(&j, "twolayer");
        cli_json_key(&j, "source");
        cli_json_str(&j, crm_twolayer_source(tl));
        cli_json_key(&j, "rows");
        cli_json_int(&j, crm_twolayer_n_rows(tl));
        cli_json_key(&j, "n_groups");
        cli_json_int(&j, crm_twolayer_n_groups(tl));
        cli_json_key(&j, "n_segments");
        cli_json_int(&j, n_segments(tl));
        json_warnings(&j, tl);
        json_groups(&j, tl, NULL, NULL, 0, true);
        cli_json_key(&j, "profile");
        seg_json_profile(&j, crm_twolayer_profile(tl));
        cli_json_end(&j);
    } else {
        printf("%s: two-layer model, %d groups and %d segments of %lld customers from %s\n\n",
               model, (int)crm_twolayer_n_groups(tl), (int)n_segments(tl),
               (long long)crm_twolayer_n_rows(tl), crm_twolayer_source(tl));
        tl_print_profiles(stdout, tl);
    }
    crm_twolayer_free(tl);
    return CLI_EX_OK;
}
