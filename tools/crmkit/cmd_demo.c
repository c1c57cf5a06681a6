/* cmd_demo.c: `crmkit demo` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit demo: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
