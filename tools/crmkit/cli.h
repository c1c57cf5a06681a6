/* cli.h: what the crmkit subcommands share: exit codes, error printing, progress bars on
 * stderr, a small JSON writer. No algorithm lives in tools/: every command calls the library. */
#ifndef CRM_CLI_H
#define CRM_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

/* Called first in main(): unless the user chose a wait policy, restart the program once with
 * OMP_WAIT_POLICY=passive so that waiting threads sleep instead of spinning (waitpolicy.c).
 * Returns only when no restart happened. */
void cli_wait_policy(int argc, char **argv);

/* Exit code for a library status (see README "Exit status"). */
int cli_exit_code(crm_status s);
/* Print "crmkit: <located message>" on stderr and return the exit code for err->code. */
int cli_fail(const crm_error *err);
/* Under mpirun: every rank passes its exit code and gets the largest one (a rank that failed
 * makes all fail); one rank: code unchanged. Collective. */
int cli_dist_agree_code(int code);
/* Print "crmkit <cmd>: <message>" and a hint to use --help on stderr; returns 64. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Before any work: refuse (64) an output path that names one of the inputs or another
 * output (same file, or the same new path), and fail (74) when an output cannot be created
 * (missing or read-only folder, a folder as output). NULL entries are skipped; "-" is
 * standard input/output and never clashes. Returns -1 when all is well, else the exit code
 * after printing "crmkit <cmd>: ..." on stderr. */
int cli_check_paths(const char *cmd,
                    const char *const *inputs,
                    int n_inputs,
                    const char *const *outputs,
                    int n_outputs);

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

/* A minimal streaming JSON writer to a FILE (one object per --json summary). */
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
void cli_json_num(cli_json *j, double v); /* %.17g, null for non-finite */
void cli_json_int(cli_json *j, int64_t v);
void cli_json_bool(cli_json *j, bool v);
void cli_json_null(cli_json *j);
void cli_json_open_obj(cli_json *j);
void cli_json_close_obj(cli_json *j);
void cli_json_open_arr(cli_json *j);
void cli_json_close_arr(cli_json *j);

#endif
