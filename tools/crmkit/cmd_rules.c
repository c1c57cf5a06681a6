/* cmd_rules.c: `crmkit rules` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_rules(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit rules: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
