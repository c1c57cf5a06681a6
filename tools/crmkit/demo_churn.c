/* demo_churn.c: the churn step of `crmkit demo` (not built yet). */
#include "cli.h"

int demo_churn(const char *workdir, const char *customers_csv, const char *labels_csv)
{
    (void)workdir;
    (void)customers_csv;
    (void)labels_csv;
    return CLI_EX_OK;
}
