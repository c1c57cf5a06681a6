/* cmd_train.c: `crmkit train` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit train: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
