/* demo_baskets.c: the baskets step of `crmkit demo` (not built yet). */
#include "cli.h"

int demo_baskets(const char *workdir, const char *customers_csv, const char *labels_csv)
{
    (void)workdir;
    (void)customers_csv;
    (void)labels_csv;
    return CLI_EX_OK;
}
