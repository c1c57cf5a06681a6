/* cmd_segment.c: `crmkit segment` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_segment(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit segment: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
