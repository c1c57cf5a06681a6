/* twolayer_cli.h: the two-layer model in `segment --spec`, `assign` and `profile`. */
#ifndef CRM_TWOLAYER_CLI_H
#define CRM_TWOLAYER_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crmkit/twolayer.h>

/* `crmkit segment DATA --spec SPEC -o MODEL ...`; argv as for cmd_segment. */
int tl_segment(int argc, char **argv);
/* True when path opens as a model file of kind "twolayer". */
bool tl_is_twolayer_file(const char *path);
int tl_assign(const char *model, const char *data, const char *out, bool json, bool quiet);
int tl_profile(const char *model, bool json);
/* Write id (or row), l1 (group), l2 (1..k), segment ("Group/S2") atomically; an exit code. */
int tl_write_labels(const char *path,
                    const crm_twolayer *tl,
                    const crm_table *t,
                    const int32_t *l1,
                    const int32_t *l2);
/* Layer-1 profile, then each group's layer-2 profile. */
void tl_print_profiles(FILE *fp, const crm_twolayer *tl);

#endif
