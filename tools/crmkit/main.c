/* main.c: the crmkit command line: dispatch to one subcommand per cmd_<verb>.c.
 *
 * CMakeLists.txt compiles this file once for each of three programs (CRMKIT_PROGRAM), so that
 * a command loads only the libraries it uses:
 *   crmkit        every command; src/dist for one process (no Open MPI library);
 *   crmkit-serve  serve, load and demo, which also need libmicrohttpd and SQLite;
 *   crmkit-mpi    every command, with Open MPI: what crmkit runs under mpirun.
 * crmkit hands a command to the other two with execv (hand_over below), the same arguments
 * and environment: the process, its exit status, signals and standard streams stay one. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crmkit/common.h>
#include <crmkit/config.h>
#include <crmkit/dist.h>
#include <crmkit/io.h>
#include <crmkit/model.h>
#include <crmkit/outfile.h>

#include "cli.h"
#include "waitpolicy.h"

/* CRMKIT_PROGRAM: which program this is (a macro, for #if) */
#define PROGRAM_CRMKIT 0
#define PROGRAM_SERVE  1
#define PROGRAM_MPI    2
#ifndef CRMKIT_PROGRAM
#define CRMKIT_PROGRAM PROGRAM_CRMKIT
#endif
/* Where the other programs are installed, relative to crmkit's folder. */
#ifndef CRMKIT_HELPER_DIR
#define CRMKIT_HELPER_DIR "../libexec/crmkit"
#endif
static const char *const program_names[] = { "crmkit", "crmkit-serve", "crmkit-mpi" };

/* The commands of crmkit-serve are linked into that program only. */
#if CRMKIT_PROGRAM == PROGRAM_SERVE
#define SERVE_CMD(fn) fn
#else
#define SERVE_CMD(fn) NULL
#endif

struct command {
    const char *name;
    cli_command_fn fn; /* NULL where another program runs it */
    const char *summary;
    int dist;  /* 1: runs under mpirun with several ranks (crmkit/dist.h) */
    int serve; /* 1: runs in crmkit-serve (libmicrohttpd, SQLite) */
};

static const struct command commands[] = {
    { "gen", cmd_gen, "generate synthetic telecom data (customers, vas, cdr)", 0, 0 },
    { "cdr", cmd_cdr, "turn call detail records into per-customer features", 1, 0 },
    { "segment", cmd_segment, "clean a customer table and find segments (k-means, X-means, elbow)",
      1, 0 },
    { "assign", cmd_assign, "place new customers into the segments of a model", 1, 0 },
    { "validity", cmd_validity,
      "judge a labelling: SSE, CP, SP, Davies-Bouldin, Dunn, silhouette, CH", 0, 0 },
    { "profile", cmd_profile, "describe and name the segments of a model", 0, 0 },
    { "compare", cmd_compare, "several clustering algorithms on the same data, judged alike", 0,
      0 },
    { "itemsets", cmd_itemsets, "mine frequent itemsets (N-List, FP-Growth, Apriori)", 1, 0 },
    { "rules", cmd_rules, "mine association rules and save them for recommend", 0, 0 },
    { "recommend", cmd_recommend, "recommend services a customer does not have yet", 0, 0 },
    { "train", cmd_train, "train a classifier (churn, segment assignment)", 1, 0 },
    { "predict", cmd_predict, "score new customers with a classifier", 0, 0 },
    { "evaluate", cmd_evaluate, "measure a classifier on labelled data", 0, 0 },
    { "show", cmd_show, "print a model file in readable form", 0, 0 },
    { "report", cmd_report, "an HTML report with charts of models (self-contained)", 0, 0 },
    { "drift", cmd_drift, "has the customer base moved since a model was fitted (PSI)", 0, 0 },
    { "load", SERVE_CMD(cmd_load), "build the customer store the server looks customers up in", 0,
      1 },
    { "serve", SERVE_CMD(cmd_serve), "serve models over HTTP (Acumos, MLflow, JSON, lookup)", 0,
      1 },
    { "demo", SERVE_CMD(cmd_demo), "the whole pipeline on built-in data", 0, 1 },
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

#if CRMKIT_PROGRAM == PROGRAM_CRMKIT
/* 1 when an argument names a database table (postgresql://..., sqlite:...): only
 * crmkit-serve links libpq and SQLite. */
static int reads_database(char **argv)
{
    for (int i = 2; argv[i] != NULL; i++) {
        if (crm_table_source_is_database(argv[i])) {
            return 1;
        }
    }
    return 0;
}
#endif

/* The program that runs command c: crmkit-mpi for every command crmkit is given under
 * mpirun (it checks the ranks, then runs it or hands it on), crmkit-serve for its commands
 * and for any command that reads a database, else this one. A build without MPI runs as one
 * process under mpirun too, as before. */
static int program_for(const struct command *c, char **argv)
{
#if CRMKIT_PROGRAM == PROGRAM_CRMKIT && CRM_HAVE_MPI
    if (crm_dist_launched()) {
        return PROGRAM_MPI;
    }
#endif
#if CRMKIT_PROGRAM == PROGRAM_CRMKIT
    if (reads_database(argv)) {
        return PROGRAM_SERVE;
    }
#else
    (void)argv;
#endif
    return c->serve ? PROGRAM_SERVE : CRMKIT_PROGRAM;
}

/* Replace this process by program p with the same arguments (execv), looking for it beside
 * this program's file (the build folder; an installed crmkit-mpi beside crmkit-serve), then
 * in CRMKIT_HELPER_DIR relative to it. Returns only when it cannot: the exit code, after a
 * message (69: the part is not built or not installed). */
static int hand_over(const struct command *c, int p, char **argv)
{
    char self[PATH_MAX];
    char path[2][PATH_MAX + 64];
    const char *name = program_names[p];
    int e = ENOENT;
    int tried = 0;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;
    if (n <= 0 || (size_t)n >= sizeof self - 1) {
        fprintf(stderr, "crmkit %s: cannot find this program's file to run %s: %s\n", c->name, name,
                strerror(n < 0 ? errno : ENAMETOOLONG));
        return CLI_EX_UNAVAILABLE;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    (void)snprintf(path[0], sizeof path[0], "%s/%s", self, name);
    (void)snprintf(path[1], sizeof path[1], "%s/%s/%s", self, CRMKIT_HELPER_DIR, name);
    (void)fflush(stdout);
    (void)fflush(stderr);
    crm_dist_finalize(); /* crmkit-mpi: the ranks were checked; MPI ends before the exec */
    for (; tried < 2 && e == ENOENT; tried++) {
        (void)execv(path[tried], argv);
        e = errno == ENOTDIR ? ENOENT : errno;
    }
    if (e == ENOENT) {
        fprintf(stderr,
                "crmkit %s: this command runs in the program %s, which is not installed "
                "(looked for %s and %s)\n",
                c->name, name, path[0], path[1]);
    } else {
        fprintf(stderr, "crmkit %s: cannot run %s: %s\n", c->name, path[tried - 1], strerror(e));
    }
    return CLI_EX_UNAVAILABLE;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: crmkit <command> [options]   (crmkit <command> --help for its options)\n\n"
            "crmkit %s: customer analytics for telecom operators.\n\ncommands:\n",
            CRMKIT_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(fp,
            "\nInputs: a file (CSV, gzip detected), - for standard input, or a database table:\n"
            "'postgresql://user@host/db?table=T' or 'sqlite:FILE?table=T' (?query=SQL too).\n"
            "CSV outputs (labels, predictions, features) go to a table named the same way\n"
            "(&if_exists=replace, append or fail).\n");
    fprintf(fp, "\nModel files are byte-identical for the same inputs, options and seed; --stamp\n"
                "(any command) also records the fit times in them.\n");
    fprintf(fp, "\nexit status: 0 ok, 64 usage, 65 bad data, 66 missing or unreadable input, 69 "
                "part not built,\n70 internal error, 71 out of memory, 73/74 output error, "
                "128+N killed by signal N.\n");
}

/* SIGINT, SIGTERM, SIGHUP: delete the temporary files of outputs in progress, then die of
 * the signal as if there were no handler (SA_RESETHAND restores the default action; the
 * re-raised signal is delivered when the handler returns). */
static void on_fatal_signal(int sig)
{
    crm_outfile_remove_temporaries();
    (void)raise(sig);
}

static void install_signal_cleanup(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* a signal ignored by whoever started us (nohup) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) {
            (void)sigaction(sigs[i], &sa, NULL);
        }
    }
}

/* Whatever a command printed on standard output must have reached it: a full disk or a
 * closed pipe there is an output error (74), not a success. */
static int finish_stdout(const char *cmd, int code)
{
    int failed;
    int e;
    errno = 0;
    failed = fflush(stdout) != 0 || ferror(stdout);
    e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed && code == CLI_EX_OK) {
        fprintf(stderr, "crmkit%s%s: writing to standard output failed: %s\n", cmd ? " " : "",
                cmd ? cmd : "", strerror(e ? e : EIO));
        return CLI_EX_IOERR;
    }
    return code;
}

/* Exit status 70 means a bug, which no input is known to reach; CRMKIT_TEST_FAULT=internal
 * makes a command fail that way so that the exit-code test can walk every documented code. */
static int injected_internal_error(void)
{
    const char *v = getenv("CRMKIT_TEST_FAULT");
    if (v == NULL || strcmp(v, "internal") != 0) {
        return 0;
    }
    cli_errorf("internal error injected by CRMKIT_TEST_FAULT=internal\n");
    return 1;
}

static int run(int argc, char **argv)
{
    const struct command *c = argc >= 2 ? find_command(argv[1]) : NULL;
    if (c != NULL) {
        int p;
        if (crm_dist_active() && !c->dist) {
            fprintf(stderr,
                    "crmkit %s: does not run across ranks; start it without mpirun (or "
                    "with -np 1)\n",
                    c->name);
            return CLI_EX_USAGE;
        }
        p = program_for(c, argv);
        if (p != CRMKIT_PROGRAM) {
            return hand_over(c, p, argv);
        }
    }
    /* --stamp, for any command that writes a model: record fit times in the file. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--stamp") == 0) {
            crm_model_set_stamp(1);
            memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
            argc--;
            i--;
        }
    }
    if (argc >= 2) {
        int code = cli_memlimit_setup(&argc, argv);
        if (code >= 0) {
            return code;
        }
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish_stdout(NULL, argc < 2 ? CLI_EX_USAGE : CLI_EX_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("crmkit %s\n", CRMKIT_VERSION_STRING);
        return finish_stdout(NULL, CLI_EX_OK);
    }
    if (c != NULL && c->fn != NULL) {
        cli_command = c->name;
        if (injected_internal_error()) {
            return CLI_EX_SOFTWARE;
        }
        return finish_stdout(c->name, c->fn(argc - 1, argv + 1));
    }
    fprintf(stderr, "crmkit: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return CLI_EX_USAGE;
}

/* Under mpirun, only rank 0 speaks: the other ranks' standard output and error go to
 * /dev/null (errors are agreed, so rank 0 prints the one that stopped the job). Set
 * CRMKIT_DIST_VERBOSE=1 to keep them. */
static void quiet_other_ranks(void)
{
    const char *v = getenv("CRMKIT_DIST_VERBOSE");
    if (!crm_dist_quiet() || (v != NULL && strcmp(v, "1") == 0)) {
        return;
    }
    if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL) {
        return; /* still running, only louder */
    }
}

int main(int argc, char **argv)
{
    crm_error err;
    int code;
    install_signal_cleanup();
    /* libgomp was given the wait policy before main (tools/waitpolicy); the call keeps that
     * library needed under --as-needed. */
    (void)crmkit_wait_policy_applied();
    if (crm_dist_init(&argc, &argv, &err) != CRM_OK) {
        fprintf(stderr, "crmkit: warning: %s\n", err.msg);
    }
    quiet_other_ranks();
    code = run(argc, argv);
    crm_dist_finalize();
    return code;
}
