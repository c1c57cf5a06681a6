/* opts.c: the one option parser of the crmkit commands, the CSV dialect options and the
 * nearest-name suggestions of their messages (see cli.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance of a and b, letters compared case-insensitively; SIZE_MAX when a
 * name is longer than 63 bytes (no suggestion then). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t row[64];
    if (la > 63 || lb > 63) {
        return (size_t)-1;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            row[j] = min3(row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1));
            diag = up;
        }
    }
    return row[lb];
}

const char *cli_nearest(const char *word, const char *const *names, int n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t limit = strlen(word) / 3 + 1;
    for (int i = 0; i < n; i++) {
        if (names[i] != NULL && strcasecmp(word, names[i]) == 0) {
            return names[i];
        }
    }
    for (int i = 0; i < n; i++) {
        size_t d = names[i] != NULL ? distance(word, names[i]) : (size_t)-1;
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

static const cli_opt *find(const cli_opt *opts, const char *arg, const char **value)
{
    for (const cli_opt *o = opts; o->name != NULL; o++) {
        const char *names[2] = { o->name, o->alias };
        for (int k = 0; k < 2; k++) {
            size_t n = names[k] != NULL ? strlen(names[k]) : 0;
            if (n == 0 || strncmp(arg, names[k], n) != 0) {
                continue;
            }
            if (arg[n] == '\0') {
                *value = NULL;
                return o;
            }
            if (arg[n] == '=' && o->kind != CLI_OPT_FLAG) {
                *value = arg + n + 1;
                return o;
            }
        }
    }
    return NULL;
}

static int unknown(const char *cmd, const char *arg, const cli_opt *opts)
{
    const char *names[256];
    int n = 0;
    const char *near;
    char word[128];
    size_t len = strcspn(arg, "=");
    for (const cli_opt *o = opts; o->name != NULL; o++) {
        if (o->kind == CLI_OPT_UNKNOWN) {
            return o->fn(arg, o->ud);
        }
    }
    for (const cli_opt *o = opts; o->name != NULL && n < 256; o++) {
        names[n++] = o->name;
    }
    snprintf(word, sizeof word, "%.*s", (int)(len < 127 ? len : 127), arg);
    near = strncmp(word, "--", 2) == 0 ? cli_nearest(word, names, n) : NULL;
    if (near != NULL && strcmp(near, word) != 0) {
        return cli_usage_error(cmd, "unknown option \"%s\" (did you mean %s?)", arg, near);
    }
    return cli_usage_error(cmd, "unknown option \"%s\"", arg);
}

static int set_value(const char *cmd, const cli_opt *o, const char *v)
{
    int64_t iv;
    double dv;
    switch (o->kind) {
    case CLI_OPT_FLAG:
        *(bool *)o->dest = true;
        return -1;
    case CLI_OPT_STR:
        *(const char **)o->dest = v;
        return -1;
    case CLI_OPT_INT:
    case CLI_OPT_INT32:
        if (!cli_parse_int(v, o->lo, o->hi, &iv)) {
            if (o->hi == INT64_MAX || (o->kind == CLI_OPT_INT32 && o->hi == INT32_MAX)) {
                return cli_usage_error(cmd, "%s needs a whole number >= %lld, got \"%s\"", o->name,
                                       (long long)o->lo, v);
            }
            return cli_usage_error(cmd, "%s needs a whole number in [%lld, %lld], got \"%s\"",
                                   o->name, (long long)o->lo, (long long)o->hi, v);
        }
        if (o->kind == CLI_OPT_INT) {
            *(int64_t *)o->dest = iv;
        } else {
            *(int32_t *)o->dest = (int32_t)iv;
        }
        return -1;
    case CLI_OPT_DOUBLE:
        if (!cli_parse_double(v, &dv) || (o->excl_lo ? !(dv > o->dlo) : !(dv >= o->dlo)) ||
            (o->excl_hi ? !(dv < o->dhi) : !(dv <= o->dhi))) {
            return cli_usage_error(cmd, "%s needs %s, got \"%s\"", o->name,
                                   o->need != NULL ? o->need : "a number", v);
        }
        *(double *)o->dest = dv;
        return -1;
    case CLI_OPT_CHOICE:
        for (int k = 0; o->choices[k] != NULL; k++) {
            if (strcmp(v, o->choices[k]) == 0) {
                *(int *)o->dest = k;
                return -1;
            }
        }
        return cli_usage_error(cmd, "%s is %s, got \"%s\"", o->name, o->need, v);
    case CLI_OPT_FN:
    case CLI_OPT_UNKNOWN:
        return o->fn(v, o->ud);
    case CLI_OPT_NAMED:
        return o->named(o->name, v, o->ud);
    }
    return -1;
}

int cli_parse(const char *cmd,
              int argc,
              char **argv,
              const cli_opt *opts,
              const char **pos,
              int max_pos,
              int *n_pos,
              void (*usage)(FILE *))
{
    bool options_done = false;
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        const cli_opt *o;
        int rc;
        if (!options_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            usage(stdout);
            return CLI_EX_OK;
        }
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (*n_pos >= max_pos) {
                if (max_pos == 1) {
                    return cli_usage_error(cmd, "one data file only (got \"%s\" and \"%s\")",
                                           pos[0], a);
                }
                return cli_usage_error(cmd, "unexpected argument \"%s\"", a);
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        o = find(opts, a, &v);
        if (o == NULL) {
            const cli_opt *any = opts;
            while (any->name != NULL && !(any->kind == CLI_OPT_UNKNOWN && any->named != NULL)) {
                any++;
            }
            if (any->name != NULL && strncmp(a, "--", 2) == 0) {
                /* options of a plug-in parser: "--name VALUE" or "--name=VALUE" */
                char name[128];
                const char *eq = strchr(a, '=');
                snprintf(name, sizeof name, "%.*s", (int)(eq != NULL ? eq - a : 127), a);
                if (eq != NULL) {
                    v = eq + 1;
                } else if (i + 1 < argc) {
                    v = argv[++i];
                } else {
                    return cli_usage_error(cmd, "option %s needs a value", name);
                }
                rc = any->named(name, v, any->ud);
                if (rc >= 0) {
                    return rc;
                }
                continue;
            }
            return unknown(cmd, a, opts);
        }
        if (o->kind != CLI_OPT_FLAG && v == NULL) {
            if (i + 1 >= argc) {
                return cli_usage_error(cmd, "option %s needs a value", a);
            }
            v = argv[++i];
        }
        rc = set_value(cmd, o, v);
        if (rc >= 0) {
            return rc;
        }
        if (o->seen != NULL) {
            *o->seen = true;
        }
    }
    return -1;
}

cli_dialect cli_input;

int cli_dialect_sep_check(const char *v, void *ud)
{
    static const char *const ok[] = { ",", ";", "tab", "\t", "\\t", "|", "auto", NULL };
    for (int k = 0; ok[k] != NULL; k++) {
        if (strcmp(v, ok[k]) == 0) {
            *(const char **)ud = v;
            return -1;
        }
    }
    return cli_usage_error(cli_command != NULL ? cli_command : "crmkit",
                           "--sep is \",\", \";\", tab, \"|\" or auto, got \"%s\"", v);
}

void cli_dialect_apply(const cli_dialect *d, crm_csv_options *opt)
{
    if (d == NULL) {
        return;
    }
    if (d->sep != NULL) {
        if (strcmp(d->sep, "auto") == 0) {
            opt->sniff_delimiter = 1;
        } else if (strcmp(d->sep, "tab") == 0 || strcmp(d->sep, "\\t") == 0) {
            opt->delimiter = '\t';
        } else {
            opt->delimiter = d->sep[0];
        }
    }
    if (d->na != NULL) {
        opt->na_values = d->na;
    }
    if (d->types != NULL) {
        opt->types = d->types;
    }
}
