/* cmd_profile.c: `crmkit profile` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit profile: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
