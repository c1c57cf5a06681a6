/* cmd_predict.c: `crmkit predict` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_predict(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit predict: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
