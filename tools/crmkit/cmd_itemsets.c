/* cmd_itemsets.c: `crmkit itemsets` (not built yet). */
#include <stdio.h>

#include "cli.h"

int cmd_itemsets(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "crmkit itemsets: not available in this build yet\n");
    return CLI_EX_UNAVAILABLE;
}
