/* crmkit/outfile.h: output files that appear whole or not at all.
 *
 * Data goes to "path.tmp.XXXXXX" beside the target; commit flushes, fsyncs and renames it
 * over path. Abort (or free without commit) deletes the temporary file, so a failure never
 * leaves a partial output behind. */
#ifndef CRMKIT_OUTFILE_H
#define CRMKIT_OUTFILE_H
#include <stdio.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_outfile crm_outfile;

/** Open a temporary file for path. "-" means standard output (commit then only flushes).
 *  Errors: CRM_EIO. */
CRM_API crm_status crm_outfile_open(const char *path, crm_outfile **out, crm_error *err);
/** The stream to write to; borrowed until commit or abort. */
CRM_API FILE *crm_outfile_stream(crm_outfile *f);
/** Flush, fsync, close and rename over the target; frees f whatever the result. Errors:
 *  CRM_EIO (a write failed earlier, or flush/fsync/rename failed: the target is untouched). */
CRM_API crm_status crm_outfile_commit(crm_outfile *f, crm_error *err);
/** Close and delete the temporary file; frees f. NULL is a no-op. */
CRM_API void crm_outfile_abort(crm_outfile *f);

#endif
