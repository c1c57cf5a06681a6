/* cmd_assign.c: `crmkit assign` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_assign(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit assign: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
