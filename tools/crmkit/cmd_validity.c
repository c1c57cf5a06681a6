/* cmd_validity.c: `crmkit validity` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_validity(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit validity: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
