/* cli.h: what the crmkit subcommands share: exit codes, error printing, progress bars on
 * stderr, a small JSON writer. No algorithm lives in tools/: every command calls the library. */
#ifndef CRM_CLI_H
#define CRM_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crmkit/io.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

/* sysexits(3) values. */
#define CLI_EX_OK          0
#define CLI_EX_USAGE       64
#define CLI_EX_DATAERR     65
#define CLI_EX_NOINPUT     66
#define CLI_EX_UNAVAILABLE 69
#define CLI_EX_SOFTWARE    70
#define CLI_EX_OSERR       71
#define CLI_EX_CANTCREAT   73
#define CLI_EX_IOERR       74

/* One subcommand: argv[0] is the command name. Returns the process exit code. */
typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_gen(int argc, char **argv);
int cmd_cdr(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_assign(int argc, char **argv);
int cmd_validity(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_itemsets(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_load(int argc, char **argv);

/* Steps of `crmkit demo` owned by the basket and prediction parts. Each reads the demo's
 * generated customers (CSV) and segment labels (CSV, id + segment) in workdir, prints its
 * part on stdout and returns an exit code (0 = ok). */
int demo_baskets(const char *workdir, const char *customers_csv, const char *labels_csv);
int demo_churn(const char *workdir, const char *customers_csv, const char *labels_csv);

/* Exit code for a library status (see README "Exit status"). */
int cli_exit_code(crm_status s);
/* The running command ("segment", "gen customers"), set by main before dispatch; NULL before. */
extern const char *cli_command;
/* Print "crmkit <command>: " and the formatted message on stderr (the caller ends the line). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "crmkit <command>: <located message>" on stderr and return the exit code for
 * err->code. */
int cli_fail(const crm_error *err);
/* Under mpirun: every rank passes its exit code and gets the largest one (a rank that failed
 * makes all fail); one rank: code unchanged. Collective. */
int cli_dist_agree_code(int code);
/* --max-memory (memlimit.c), taken out of argv for every command; -1 or an exit code. */
int cli_memlimit_setup(int *argc, char **argv);
size_t cli_memlimit(void); /* bytes; 0 = none */
int cli_memlimit_given(void);
size_t cli_mem_available(void); /* MemAvailable, 0 when unknown */
int cli_parse_size(const char *s, size_t *out);
/* After CRM_ENOMEM: when the limit refused a block, say so and what helps. */
void cli_memlimit_explain(FILE *fp);
/* Print "crmkit <cmd>: <message>" and a hint to use --help on stderr; returns 64. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Before any work: refuse (64) an output path that names one of the inputs or another
 * output (same file, or the same new path), and fail (74) when an output cannot be created
 * (missing or read-only folder, a folder as output). NULL entries are skipped; "-" is
 * standard input/output and never clashes. Output o may name a database table
 * ("postgresql://...?table=T", "sqlite:FILE?table=T") when bit o of table_outputs is set (a
 * CSV output); any other output that names one is a usage error. Returns -1 when all is well, else
 * the exit code after printing "crmkit <cmd>: ..." on stderr. */
/* path as output may show it: a database source's password replaced by "***" (the text
 * lives until the program ends); path itself when it has none. */
const char *cli_path_shown(const char *path);

int cli_check_paths(const char *cmd,
                    const char *const *inputs,
                    int n_inputs,
                    const char *const *outputs,
                    int n_outputs,
                    unsigned table_outputs);

/* Progress bar on stderr, drawn only when stderr is a terminal and quiet is false. */
typedef struct cli_progress {
    crm_progress cb;
    bool enabled;
    double last_draw;
    char stage[48];
} cli_progress;
void cli_progress_init(cli_progress *p, bool quiet);
/* The callback to pass to the library: NULL when the bar is disabled. */
const crm_progress *cli_progress_cb(cli_progress *p);
/* Clear the bar line. */
void cli_progress_done(cli_progress *p);

/* Split "a,b,c" into a NULL-terminated array of new strings (free with cli_free_list).
 * Empty items are dropped. Returns NULL on out of memory; *n receives the count. */
char **cli_split_list(const char *s, char sep, int32_t *n);
void cli_free_list(char **list);

/* v as the shortest %g text that reads back (strtod) to exactly v: the least precision in
 * 1..17 that round-trips (round-tripping holds for every precision above the least, so it is
 * found by bisection). Returns the length; buf needs 32 bytes. */
int cli_format_double(char *buf, size_t size, double v);

/* Parse whole-string numbers from options; false on junk or out of range. */
bool cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
bool cli_parse_double(const char *s, double *out);

/* A streaming JSON writer to a FILE (one object per --json summary); strings and numbers
 * are written by Jansson, always valid UTF-8 (a byte that is not UTF-8 is read as Latin-1). */
typedef struct cli_json {
    FILE *fp;
    int depth;
    bool need_comma[32];
    bool after_key;
} cli_json;
void cli_json_begin(cli_json *j, FILE *fp);      /* writes "{" */
void cli_json_end(cli_json *j);                  /* closes everything, writes "}\n" */
void cli_json_key(cli_json *j, const char *key); /* inside an object */
void cli_json_str(cli_json *j, const char *v);
void cli_json_num(cli_json *j, double v); /* shortest exact text, null for non-finite */
void cli_json_int(cli_json *j, int64_t v);
void cli_json_bool(cli_json *j, bool v);
void cli_json_null(cli_json *j);
void cli_json_open_obj(cli_json *j);
void cli_json_close_obj(cli_json *j);
void cli_json_open_arr(cli_json *j);
void cli_json_close_arr(cli_json *j);

/* ---- options: one table-driven parser for every command (opts.c) ----
 *
 * A command lists its options in a table ending with a zeroed entry and calls cli_parse.
 * Options are "--name VALUE" or "--name=VALUE" (and an alias such as "-o"); "--" ends the
 * options; "-" alone is a positional argument (standard input/output). Messages, all on
 * stderr with "crmkit <command>: " and exit 64:
 *   option --x needs a value            (a valued option last on the line)
 *   --x needs a whole number in [lo, hi], got "v"   (or ">= lo" when hi is INT64_MAX)
 *   --x needs <need>, got "v"           (a number out of range; need describes the range)
 *   --x is <need>, got "v"              (a choice)
 *   unknown option "--y"                (with the closest option name when one is near)
 * "-h" and "--help" print the command's usage on stdout and make cli_parse return 0. */
typedef enum cli_opt_kind {
    CLI_OPT_FLAG,   /* bool *dest = true */
    CLI_OPT_STR,    /* const char **dest = value (the last one given wins) */
    CLI_OPT_INT,    /* int64_t *dest in [lo, hi] */
    CLI_OPT_INT32,  /* int32_t *dest in [lo, hi] */
    CLI_OPT_DOUBLE, /* double *dest in [dlo, dhi] (ends excluded with excl_lo/excl_hi) */
    CLI_OPT_CHOICE, /* int *dest = index of the value in choices (NULL-terminated) */
    CLI_OPT_FN,     /* fn(value, ud): -1 when accepted, else an exit code (message printed) */
    CLI_OPT_NAMED,  /* named(name, value, ud): as CLI_OPT_FN, told which option it is */
    CLI_OPT_UNKNOWN /* (name ""): fn(option, ud) answers an unknown option instead; or, with
                     * named set, any other "--x VALUE" goes to named(x, value, ud) */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name;  /* "--k" */
    const char *alias; /* "-o", or NULL */
    cli_opt_kind kind;
    void *dest;
    int64_t lo, hi;
    double dlo, dhi;
    bool excl_lo, excl_hi;
    const char *const *choices;
    const char *need; /* for CLI_OPT_DOUBLE and CLI_OPT_CHOICE: words of the message */
    int (*fn)(const char *value, void *ud);
    int (*named)(const char *name, const char *value, void *ud);
    void *ud;
    bool *seen; /* set to true when the option is given; may be NULL */
} cli_opt;

/* Parse argv[1..argc) against opts (ended by an entry whose name is NULL). Positional
 * arguments are stored in order into pos[0..max_pos) and counted in *n_pos; one more than
 * max_pos is a usage error ("unexpected argument"). usage prints the command's help.
 * Returns -1 when the command should run, 0 after --help, else the exit code. */
int cli_parse(const char *cmd,
              int argc,
              char **argv,
              const cli_opt *opts,
              const char **pos,
              int max_pos,
              int *n_pos,
              void (*usage)(FILE *));

/* The entries of the CSV dialect options every command that reads a table takes: --sep,
 * --na, --types (see README "Reading tables"). CLI_DIALECT_OPTS(d) expands to three table
 * entries filling the cli_dialect d. */
typedef struct cli_dialect {
    const char *sep;   /* ",", ";", "tab" or "\t", "|", "auto"; NULL: comma */
    const char *na;    /* extra missing-value markers, comma-separated */
    const char *types; /* "col:cat,col:num,col:id" */
} cli_dialect;
int cli_dialect_sep_check(const char *v, void *ud);
/* The dialect of the command's input tables (one command per process), filled by the
 * CLI_DIALECT_OPTS(cli_input) entries of its option table. */
extern cli_dialect cli_input;
#define CLI_DIALECT_OPTS(d)                                                                        \
    { .name = "--sep", .kind = CLI_OPT_FN, .fn = cli_dialect_sep_check, .ud = &(d).sep },          \
        { .name = "--na", .kind = CLI_OPT_STR, .dest = &(d).na },                                  \
    {                                                                                              \
        .name = "--types", .kind = CLI_OPT_STR, .dest = &(d).types                                 \
    }
/* Put dialect d (NULL: nothing) into opt. --sep auto makes the reader take the separator
 * from the header line (crm_csv_options.sniff_delimiter). */
void cli_dialect_apply(const cli_dialect *d, crm_csv_options *opt);

/* The closest of n names to word (a case-insensitive match first, then the least edit
 * distance, at most a third of the word's length plus one); NULL when none is near. */
const char *cli_nearest(const char *word, const char *const *names, int n);

#endif
