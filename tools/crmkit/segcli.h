/* segcli.h: what the segmentation commands (segment, assign, validity, profile, demo) share:
 * option values, loading tables with timing, labels files, names files, profile output. */
#ifndef CRM_SEGCLI_H
#define CRM_SEGCLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <crmkit/io.h>
#include <crmkit/profile.h>
#include <crmkit/progress.h>

#include "cli.h"

/* Read a CSV table; on failure prints the located message and returns the exit code (0 on
 * success). seconds (may be NULL) receives the load time. */
int seg_read_table(const char *path,
                   const crm_progress *progress,
                   crm_table **out,
                   double *seconds);

/* The same, collective under mpirun: each rank parses only its byte range of the file and
 * every rank ends with the whole table (crm_table_read_csv_split); every rank returns the
 * same code. */
int seg_read_table_split(const char *path,
                         const crm_progress *progress,
                         crm_table **out,
                         double *seconds);

/* Write "id,segment,segment_name[,outlier]" (the table's first identifier column, or "row" =
 * 1-based row number; the names from pr, or the segment numbers when pr is NULL; with
 * outlier_col the 0/1 outlier flags, all 0 when outlier is NULL) atomically to path.
 * Returns an exit code. */
int seg_write_labels(const char *path,
                     const crm_table *t,
                     const int32_t *labels,
                     const crm_profile *pr,
                     const uint8_t *outlier,
                     bool outlier_col);

/* The column of a labels file that names segments for rules and generated baskets:
 * "segment_name" when the file has it (crmkit segment and assign write it), else "segment".
 * For crm_fim_read_options.item_col. */
const char *seg_labels_name_col(const char *path);

/* Labels for the rows of data from a labels CSV (id + segment): matched by the id column
 * when both files have one of the same name, else by row order. labels[n_rows of data] is
 * caller-owned. Returns an exit code; messages name the file, line and field. */
int seg_read_labels(const char *path, const crm_table *data, int32_t *labels);

/* One name per non-empty line; *names is a list for cli_free_list. Returns an exit code. */
int seg_read_names(const char *path, char ***names, int32_t *n);

/* The profile as a readable table (a column per segment, in tier order). */
void seg_print_profile(FILE *fp, const crm_profile *pr, int32_t max_features);
/* The profile as the value of the current JSON key (an object). */
void seg_json_profile(cli_json *j, const crm_profile *pr);

#endif
