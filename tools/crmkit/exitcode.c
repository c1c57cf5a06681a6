/* exitcode.c: library status -> sysexits(3) exit code, and error printing. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <crmkit/dist.h>

#include "cli.h"

int cli_exit_code(crm_status s)
{
    switch (s) {
    case CRM_OK:
        return CLI_EX_OK;
    case CRM_EINVAL:
        return CLI_EX_USAGE;
    case CRM_EPARSE:
    case CRM_EDATA:
    case CRM_EFORMAT:
    case CRM_ELIMIT:
        return CLI_EX_DATAERR;
    case CRM_ENOTFOUND:
        return CLI_EX_NOINPUT;
    case CRM_EIO:
        return CLI_EX_IOERR;
    case CRM_EUNSUPPORTED:
        return CLI_EX_UNAVAILABLE;
    case CRM_ENOMEM:
        return CLI_EX_OSERR;
    case CRM_ECANCELLED:
        return 130;
    case CRM_ESTATE:
    case CRM_EINTERNAL:
    default:
        return CLI_EX_SOFTWARE;
    }
}

const char *cli_command = NULL;

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    if (cli_command != NULL) {
        fprintf(stderr, "crmkit %s: ", cli_command);
    } else {
        fputs("crmkit: ", stderr);
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int cli_fail(const crm_error *err)
{
    char line[1024];
    cli_errorf("%s\n", crm_error_format(err, line, (int32_t)sizeof line));
    if (err->code == CRM_ENOMEM) {
        cli_memlimit_explain(stderr);
    }
    return cli_exit_code(err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "crmkit %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see crmkit %s --help)\n", cmd);
    return CLI_EX_USAGE;
}

int cli_dist_agree_code(int code)
{
    int64_t c = code;
    crm_error err;
    if (!crm_dist_active()) {
        return code;
    }
    if (crm_dist_allreduce_i64(&c, 1, CRM_DIST_MAX, &err) != CRM_OK) {
        return code != CLI_EX_OK ? code : CLI_EX_SOFTWARE;
    }
    return (int)c;
}
