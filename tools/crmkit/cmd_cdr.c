/* cmd_cdr.c: `crmkit cdr`: call detail records into per-customer behaviour features. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/alloc.h>
#include <crmkit/cdr.h>
#include <crmkit/dist.h>

#include "cli.h"
#include "rules_cli.h"

#define KIND "cdr"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: crmkit cdr CDR.csv[.gz] -o FEATURES.csv [--from DATE] [--to DATE]\n"
                "                  [--threads N] [--json] [--quiet]\n\n"
                "Read call detail records once (columns caller, callee, start_time, duration,\n"
                "network, type, bytes, charge, as `crmkit gen cdr` writes) and write one row of\n"
                "behaviour features per caller, sorted by id: calls and minutes on-net and\n"
                "off-net, distinct called parties, average call length, night (22:00-06:00) and\n"
                "weekend shares, SMS and data counts and volume, charges by type and their\n"
                "shares. Memory grows with the customers and their contacts, not the records.\n"
                "The output feeds `crmkit segment` directly.\n\n"
                "options:\n"
                "  -o, --output FILE     where to write the features CSV (\"-\" = standard\n"
                "                        output); required\n"
                "  --from DATE           first day kept (YYYY-MM-DD, by start time)\n"
                "  --to DATE             last day kept (YYYY-MM-DD, included)\n"
                "  --threads N           threads (default 2; the result never changes)\n"
                "  --json                print a JSON summary on standard output\n"
                "  --quiet               no progress bar\n"
                "  -h, --help            this text\n");
}

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    (void)clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CRMKIT_CPU_CLOCK=1: CPU seconds of this process, as the library's stage timings */
static double wall_seconds(void)
{
    const char *cpu = getenv("CRMKIT_CPU_CLOCK");
    return clock_seconds(cpu != NULL && cpu[0] == '1' ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC);
}

static void day_text(int64_t day, char *buf, size_t size)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    if (day < 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "?");
        return;
    }
    (void)strftime(buf, size, "%Y-%m-%d", &tm);
}

static void print_json(const char *in,
                       const char *out,
                       const crm_cdr_params *p,
                       const crm_cdr_summary *s,
                       double seconds,
                       const double *cpu,
                       int n_cpu)
{
    cli_json j;
    char buf[32];
    cli_json_begin(&j, stdout);
    cli_json_key(&j, "input");
    cli_json_str(&j, cli_path_shown(in));
    cli_json_key(&j, "output");
    cli_json_str(&j, cli_path_shown(out));
    cli_json_key(&j, "records");
    cli_json_int(&j, s->n_records);
    cli_json_key(&j, "records_used");
    cli_json_int(&j, s->n_used);
    cli_json_key(&j, "voice");
    cli_json_int(&j, s->n_voice);
    cli_json_key(&j, "sms");
    cli_json_int(&j, s->n_sms);
    cli_json_key(&j, "data");
    cli_json_int(&j, s->n_data);
    cli_json_key(&j, "customers");
    cli_json_int(&j, s->n_customers);
    cli_json_key(&j, "distinct_callees");
    cli_json_int(&j, s->n_callees);
    cli_json_key(&j, "caller_callee_pairs");
    cli_json_int(&j, s->n_pairs);
    day_text(s->first_day, buf, sizeof buf);
    cli_json_key(&j, "first_day");
    cli_json_str(&j, buf);
    day_text(s->last_day, buf, sizeof buf);
    cli_json_key(&j, "last_day");
    cli_json_str(&j, buf);
    cli_json_key(&j, "threads");
    cli_json_int(&j, p->n_threads > 0 ? p->n_threads : 2);
    cli_json_key(&j, "features");
    cli_json_open_arr(&j);
    for (int32_t k = 0; k < CRM_CDR_N_FEATURES; k++) {
        cli_json_str(&j, crm_cdr_feature_name(k));
    }
    cli_json_close_arr(&j);
    cli_json_key(&j, "seconds");
    cli_json_num(&j, seconds);
    cli_json_key(&j, "records_per_second");
    cli_json_num(&j, seconds > 0 ? (double)s->n_records / seconds : 0.0);
    /* CPU seconds of the command (after start-up) in each process (rank), for benchmarks */
    cli_json_key(&j, n_cpu > 1 ? "rank_cpu_seconds" : "cpu_seconds");
    if (n_cpu > 1) {
        cli_json_open_arr(&j);
    }
    for (int r = 0; r < n_cpu; r++) {
        cli_json_num(&j, cpu[r]);
    }
    if (n_cpu > 1) {
        cli_json_close_arr(&j);
    }
    cli_json_end(&j);
}

static int opt_day(const char *name, const char *v, int64_t *day, bool *has)
{
    crm_error err;
    if (crm_cdr_parse_date(v, day, &err) != CRM_OK) {
        return cli_usage_error(KIND, "%s: %s", name, err.msg);
    }
    *has = true;
    return -1;
}

static int opt_from(const char *v, void *ud)
{
    crm_cdr_params *p = ud;
    return opt_day("--from", v, &p->from_day, &p->has_from);
}

static int opt_to(const char *v, void *ud)
{
    crm_cdr_params *p = ud;
    return opt_day("--to", v, &p->to_day, &p->has_to);
}

int cmd_cdr(int argc, char **argv)
{
    crm_cdr_params p = crm_cdr_params_default();
    crm_cdr_features *f = NULL;
    const char *in = NULL;
    const char *out = NULL;
    bool json = false;
    bool quiet = false;
    cli_progress bar;
    crm_error err;
    crm_status rc;
    double t0;
    double c0;
    double *cpu = NULL;
    int64_t n_cpu = 1;
    crm_error_clear(&err);
    {
        const char *pos[1];
        int n_pos = 0;
        int code;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--json", .kind = CLI_OPT_FLAG, .dest = &json },
            { .name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &quiet },
            { .name = "--from", .kind = CLI_OPT_FN, .fn = opt_from, .ud = &p },
            { .name = "--to", .kind = CLI_OPT_FN, .fn = opt_to, .ud = &p },
            { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &p.n_threads, .lo = 1,
              .hi = 256 },
            { .name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = &out },
            { 0 },
        };
        /* clang-format on */
        code = cli_parse(KIND, argc, argv, opts, pos, 1, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
        in = n_pos > 0 ? pos[0] : NULL;
    }
    if (in == NULL) {
        return cli_usage_error(KIND, "an input CDR file is required");
    }
    if (out == NULL) {
        return cli_usage_error(KIND, "an output file is required (-o FILE)");
    }
    if (json && strcmp(out, "-") == 0) {
        return cli_usage_error(KIND, "--json and -o - both want standard output");
    }
    if (p.has_from && p.has_to && p.from_day > p.to_day) {
        return cli_usage_error(KIND, "--from is after --to");
    }
    {
        const char *ins[] = { in };
        const char *outs[] = { out };
        int code = cli_check_paths(KIND, ins, 1, outs, 1, 1u);
        if (code >= 0) {
            return code;
        }
    }
    cli_progress_init(&bar, quiet || crm_dist_quiet());
    t0 = wall_seconds();
    c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (crm_dist_active()) {
        /* each rank reads its byte range; customers are dealt out by a hash of their id, each
         * rank makes its customers' features and rank 0 writes them all (the same bytes as one
         * process); a bad row on any rank stops all of them with one message */
        rc = crm_cdr_aggregate_dist(in, &p, cli_progress_cb(&bar), &f, &err);
        if (rc == CRM_OK && crm_dist_rank() == 0) {
            rc = crm_cdr_features_write_csv(f, out, &err);
        }
        rc = crm_dist_agree(rc, &err);
        if (rc == CRM_OK && json) { /* collective: every rank has the same rc and options */
            double mine = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
            rc = crm_dist_agree(crm_dist_allgather_f64(&mine, 1, &cpu, &n_cpu, NULL, &err), &err);
        }
        if (rc == CRM_OK && crm_dist_rank() != 0) {
            crm_free(cpu);
            crm_cdr_features_free(f);
            return CLI_EX_OK;
        }
    } else {
        rc = crm_cdr_aggregate(in, &p, cli_progress_cb(&bar), &f, &err);
    }
    cli_progress_done(&bar);
    if (rc == CRM_OK) {
        rc = crm_dist_active() ? CRM_OK : crm_cdr_features_write_csv(f, out, &err);
    }
    if (rc != CRM_OK) {
        crm_free(cpu);
        crm_cdr_features_free(f);
        return cli_fail(&err);
    }
    if (json) {
        crm_cdr_summary s = crm_cdr_features_summary(f);
        double mine = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        print_json(in, out, &p, &s, wall_seconds() - t0, cpu != NULL ? cpu : &mine, (int)n_cpu);
    }
    crm_free(cpu);
    crm_cdr_features_free(f);
    return CLI_EX_OK;
}
