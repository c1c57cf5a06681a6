/* util.c: number parsing helpers, progress bar and JSON writer for the CLI. The JSON writer
 * keeps the nesting; every string and number in it is written by Jansson (strings made valid
 * UTF-8 first, numbers with the fewest digits that read back to the same double). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/alloc.h>
#include <crmkit/config.h>
#include <crmkit/dist.h>
#if CRM_HAVE_JANSSON
#include <jansson.h>
#endif
#include <crmkit/outfile.h>

#include "cli.h"

static double now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool draw(void *ud, const char *stage, double frac)
{
    cli_progress *p = ud;
    double t = now();
    int width = 30;
    int filled;
    if (frac < 1.0 && t - p->last_draw < 0.1 && strcmp(stage, p->stage) == 0) {
        return true;
    }
    p->last_draw = t;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    if (frac < 0) {
        frac = 0;
    }
    if (frac > 1) {
        frac = 1;
    }
    filled = (int)(frac * width);
    fprintf(stderr, "\r%-20.20s [", stage);
    for (int i = 0; i < width; i++) {
        fputc(i < filled ? '#' : '.', stderr);
    }
    fprintf(stderr, "] %3d%%", (int)(frac * 100.0));
    fflush(stderr);
    return true;
}

void cli_progress_init(cli_progress *p, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->cb.fn = draw;
    p->cb.ud = p;
}

const crm_progress *cli_progress_cb(cli_progress *p)
{
    return p->enabled ? &p->cb : NULL;
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled && p->stage[0] != '\0') {
        fprintf(stderr, "\r%60s\r", "");
        fflush(stderr);
    }
}

char **cli_split_list(const char *s, char sep, int32_t *n)
{
    size_t count = 1;
    char **list;
    int32_t k = 0;
    *n = 0;
    for (const char *c = s; *c; c++) {
        count += (*c == sep);
    }
    list = crm_calloc(count + 1, sizeof *list);
    if (list == NULL) {
        return NULL;
    }
    while (*s) {
        const char *end = strchr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > 0) {
            list[k] = crm_malloc(len + 1);
            if (list[k] == NULL) {
                cli_free_list(list);
                return NULL;
            }
            memcpy(list[k], s, len);
            list[k][len] = '\0';
            k++;
        }
        s += len;
        if (*s == sep) {
            s++;
        }
    }
    *n = k;
    return list;
}

void cli_free_list(char **list)
{
    if (list == NULL) {
        return;
    }
    for (char **p = list; *p; p++) {
        crm_free(*p);
    }
    crm_free(list);
}

bool cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;
    if (s == NULL || *s == '\0') {
        return false;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (s == NULL || *s == '\0') {
        return false;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

/* ---- JSON ---- */

/* Before a value or key: a comma unless it is the first in its container or follows a key. */
static void sep(cli_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth]) {
        fputc(',', j->fp);
    }
    j->need_comma[j->depth] = true;
}

void cli_json_begin(cli_json *j, FILE *fp)
{
    memset(j, 0, sizeof *j);
    j->fp = fp;
    fputc('{', fp);
}

void cli_json_end(cli_json *j)
{
    fputs("}\n", j->fp);
    fflush(j->fp);
}

/* v as valid UTF-8: each byte that does not start or continue a well-formed UTF-8 sequence
 * is read as Latin-1 (its own code point), the common encoding of such files. Returns a new
 * string (crm_free it) or NULL when out of memory. */
static char *valid_utf8(const char *v, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)v;
    size_t n = strlen(v);
    char *out = crm_malloc(2 * n + 1);
    size_t o = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        unsigned c = u[i];
        if (c < 0x80) {
            len = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
        }
        for (size_t k = 1; k < len; k++) {
            if (i + k >= n || (u[i + k] & 0xC0) != 0x80) {
                len = 0;
            }
        }
        /* overlong, surrogate and out-of-range forms */
        if (len == 3 && ((c == 0xE0 && u[i + 1] < 0xA0) || (c == 0xED && u[i + 1] >= 0xA0))) {
            len = 0;
        }
        if (len == 4 && ((c == 0xF0 && u[i + 1] < 0x90) || (c == 0xF4 && u[i + 1] >= 0x90))) {
            len = 0;
        }
        if (len == 0) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
            i++;
        } else {
            memcpy(out + o, v + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

#if CRM_HAVE_JANSSON
/* Write the Jansson value v (taken) as JSON text. */
static void put_value(FILE *fp, json_t *v, size_t flags)
{
    char *text = v != NULL ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | flags) : NULL;
    fputs(text != NULL ? text : "null", fp);
    free(text);
    json_decref(v);
}
#endif

static void put_string(FILE *fp, const char *v)
{
    size_t len = 0;
    char *u = valid_utf8(v, &len);
#if CRM_HAVE_JANSSON
    put_value(fp, u != NULL ? json_stringn_nocheck(u, len) : NULL, 0);
#else
    /* a build without Jansson: the same escapes by hand */
    fputc('"', fp);
    for (const unsigned char *c = (const unsigned char *)(u != NULL ? u : ""); *c; c++) {
        if (*c == '"' || *c == '\\') {
            fputc('\\', fp);
            fputc(*c, fp);
        } else if (*c < 0x20) {
            fprintf(fp, "\\u%04x", *c);
        } else {
            fputc(*c, fp);
        }
    }
    fputc('"', fp);
#endif
    crm_free(u);
}

void cli_json_key(cli_json *j, const char *key)
{
    sep(j);
    put_string(j->fp, key);
    fputc(':', j->fp);
    j->after_key = true;
}

void cli_json_str(cli_json *j, const char *v)
{
    sep(j);
    if (v == NULL) {
        fputs("null", j->fp);
    } else {
        put_string(j->fp, v);
    }
}

/* The least number of significant digits (1..17) whose %g text reads back to v. */
static int shortest_digits(double v)
{
    char buf[320]; /* %.17g of any double fits; the compiler cannot tell */
    int lo = 1;
    int hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        (void)snprintf(buf, sizeof buf, "%.*g", mid, v);
        if (strtod(buf, NULL) == v) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

void cli_json_num(cli_json *j, double v)
{
    sep(j);
    if (isfinite(v) && v == trunc(v) && fabs(v) < 1e15) {
        /* a whole number as one: "1", not "1.0" */
        fprintf(j->fp, "%.0f", v == 0.0 ? 0.0 : v);
    } else if (isfinite(v)) {
#if CRM_HAVE_JANSSON
        /* Jansson writes each number with the fewest digits that read back to it */
        put_value(j->fp, json_real(v), JSON_REAL_PRECISION(shortest_digits(v)));
#else
        fprintf(j->fp, "%.*g", shortest_digits(v), v);
#endif
    } else {
        fputs("null", j->fp);
    }
}

void cli_json_int(cli_json *j, int64_t v)
{
    sep(j);
    fprintf(j->fp, "%lld", (long long)v);
}

void cli_json_bool(cli_json *j, bool v)
{
    sep(j);
    fputs(v ? "true" : "false", j->fp);
}

void cli_json_null(cli_json *j)
{
    sep(j);
    fputs("null", j->fp);
}

static void open_container(cli_json *j, char c)
{
    sep(j);
    fputc(c, j->fp);
    if (j->depth < 31) {
        j->depth++;
    }
    j->need_comma[j->depth] = false;
}

static void close_container(cli_json *j, char c)
{
    fputc(c, j->fp);
    if (j->depth > 0) {
        j->depth--;
    }
}

void cli_json_open_obj(cli_json *j)
{
    open_container(j, '{');
}

void cli_json_close_obj(cli_json *j)
{
    close_container(j, '}');
}

void cli_json_open_arr(cli_json *j)
{
    open_container(j, '[');
}

void cli_json_close_arr(cli_json *j)
{
    close_container(j, ']');
}

int cli_format_double(char *buf, size_t size, double v)
{
    int lo = 1;
    int hi = 17;
    if (!isfinite(v)) {
        return snprintf(buf, size, "%g", v);
    }
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        (void)snprintf(buf, size, "%.*g", mid, v);
        if (strtod(buf, NULL) == v) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return snprintf(buf, size, "%.*g", lo, v);
}

const char *cli_path_shown(const char *path)
{
    enum {
        KEPT = 16
    };
    static char *kept[KEPT]; /* reachable until exit: a few per run */
    static int n_kept;
    char *shown;
    if (path == NULL || !crm_table_source_is_database(path)) {
        return path;
    }
    shown = crm_table_source_shown(path);
    if (shown == NULL || strcmp(shown, path) == 0 || n_kept == KEPT) {
        crm_free(shown);
        return shown == NULL || n_kept == KEPT ? "(a database table)" : path;
    }
    kept[n_kept] = shown;
    return kept[n_kept++];
}

int cli_check_paths(const char *cmd,
                    const char *const *inputs,
                    int n_inputs,
                    const char *const *outputs,
                    int n_outputs,
                    unsigned table_outputs)
{
    /* under mpirun "-" must read the same bytes on every rank; first, so that every rank
     * takes part whatever the checks below find on its own machine */
    for (int i = 0; i < n_inputs; i++) {
        crm_error err;
        if (inputs[i] != NULL && strcmp(inputs[i], "-") == 0 &&
            crm_dist_share_stdin(&err) != CRM_OK) {
            return cli_fail(&err);
        }
    }
    for (int o = 0; o < n_outputs; o++) {
        if (outputs[o] == NULL) {
            continue;
        }
        if (crm_table_source_is_database(outputs[o]) && !(table_outputs >> o & 1u)) {
            fprintf(stderr,
                    "crmkit %s: \"%s\": only CSV outputs (labels, predictions, features, "
                    "recommendations) go to a database table; write this one to a file\n",
                    cmd, cli_path_shown(outputs[o]));
            return CLI_EX_USAGE;
        }
        for (int i = 0; i < n_inputs; i++) {
            if (inputs[i] != NULL && crm_outfile_same(outputs[o], inputs[i])) {
                fprintf(stderr,
                        "crmkit %s: \"%s\" is both an input and an output; write the output "
                        "elsewhere\n",
                        cmd, cli_path_shown(outputs[o]));
                return CLI_EX_USAGE;
            }
        }
        for (int p = 0; p < o; p++) {
            if (outputs[p] != NULL && crm_outfile_same(outputs[o], outputs[p])) {
                fprintf(stderr, "crmkit %s: \"%s\" is given for two outputs\n", cmd,
                        cli_path_shown(outputs[o]));
                return CLI_EX_USAGE;
            }
        }
    }
    for (int o = 0; o < n_outputs; o++) {
        crm_error err;
        if (outputs[o] != NULL && crm_outfile_check(outputs[o], &err) != CRM_OK) {
            char line[1024];
            fprintf(stderr, "crmkit %s: %s\n", cmd,
                    crm_error_format(&err, line, (int32_t)sizeof line));
            return cli_exit_code(err.code);
        }
    }
    return -1;
}
