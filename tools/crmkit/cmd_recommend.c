/* cmd_recommend.c: `crmkit recommend` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_recommend(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit recommend: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
