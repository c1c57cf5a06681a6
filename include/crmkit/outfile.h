/* crmkit/outfile.h: output files that appear whole or not at all.
 *
 * A regular file, or a path that does not exist yet, is written to "NAME.tmp.XXXXXX" beside
 * its target; commit flushes, fsyncs and renames it over the target. A symbolic link is
 * followed: its target is replaced and the link kept. Devices, FIFOs, sockets and /proc
 * files are written directly, never renamed over. A new file gets mode 0666 less the umask;
 * a replaced file keeps its mode (and its owner where the system allows). Abort (or a failed
 * commit) deletes the temporary file, so a failure never leaves a partial output behind.
 * The temporary name always fits NAME_MAX (a long target name is shortened in it).
 *
 * A path that names a database table ("postgresql://...?table=T", "sqlite:FILE?table=T";
 * see crm_table_store_csv in crmkit/io.h) takes CSV text: it is kept in an anonymous memory
 * file and stored in one transaction on commit, so the table too changes whole or not at all.
 *
 * Thread safety: distinct crm_outfile objects may be used from different threads; sets
 * (crm_outfile_set_begin/_end) are per thread. */
#ifndef CRMKIT_OUTFILE_H
#define CRMKIT_OUTFILE_H
#include <stdio.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

typedef struct crm_outfile crm_outfile;

/** Open an output for path. "-" means standard output (commit then only flushes).
 *  Errors: CRM_EIO (the folder is missing or not writable, path is a folder, ...). */
CRM_API crm_status crm_outfile_open(const char *path, crm_outfile **out, crm_error *err);
/** The stream to write to; borrowed until commit or abort. */
CRM_API FILE *crm_outfile_stream(crm_outfile *f);
/** Flush, fsync, close and rename over the target; frees f whatever the result. Inside a
 *  set the rename waits for crm_outfile_set_end. Errors: CRM_EIO (a write failed earlier, or
 *  flush/fsync/rename failed: the target is untouched). */
CRM_API crm_status crm_outfile_commit(crm_outfile *f, crm_error *err);
/** Close and delete the temporary file; frees f. NULL is a no-op. */
CRM_API void crm_outfile_abort(crm_outfile *f);

/** Related outputs (a model and its labels) as a set, on the calling thread: between
 *  set_begin and set_end, crm_outfile_commit finishes each file but holds back its rename;
 *  set_end(1, err) stores the database tables among them first, then renames the files, each
 *  in commit order, holding an exclusive flock on the
 *  folder of the first one so that two runs writing the same set never interleave their
 *  renames; set_end(0, NULL) deletes them, leaving every target as it was. Files written
 *  directly (standard output, devices) are not held back. Sets nest: only the outermost
 *  set_end acts. Errors: CRM_EIO (a rename failed: the files after it are deleted, those
 *  before it are in place). */
CRM_API void crm_outfile_set_begin(void);
CRM_API crm_status crm_outfile_set_end(int commit, crm_error *err);

/** Check, before any work, that path can be written: its folder exists and is writable, it
 *  is not a folder, its name fits NAME_MAX. "-" is always fine. Errors: CRM_EIO (message
 *  and source name path), CRM_EINVAL (empty path). */
CRM_API crm_status crm_outfile_check(const char *path, crm_error *err);
/** 1 when a and b name the same file: the same device and inode when both exist, the same
 *  folder (realpath) and name (symbolic links followed) when neither does; else 0. "-" and
 *  non-regular files (devices, FIFOs) are never "the same". */
CRM_API int crm_outfile_same(const char *a, const char *b);

/** Delete every temporary file of an output in progress (any thread). Async-signal-safe:
 *  meant for SIGINT/SIGTERM/SIGHUP handlers, which then re-raise the signal. */
CRM_API void crm_outfile_remove_temporaries(void);

#endif
