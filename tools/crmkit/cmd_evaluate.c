/* cmd_evaluate.c: `crmkit evaluate` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_evaluate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit evaluate: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
