/* cmd_show.c: `crmkit show` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit show: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
