/* cmd_gen.c: `crmkit gen` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit gen: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
