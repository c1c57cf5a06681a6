/* outfile.c: write to a temporary file beside the target, fsync, rename; never a partial file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crmkit/outfile.h>

#include "core_internal.h"

struct crm_outfile {
    FILE *fp;
    int is_stdout;
    char *path;
    char *tmp_path;
};

crm_status crm_outfile_open(const char *path, crm_outfile **out, crm_error *err)
{
    crm_outfile *f;
    size_t n;
    int fd;
    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return crm__error_set(err, CRM_EINVAL, "output path is empty");
    }
    f = crm_calloc(1, sizeof *f);
    if (f == NULL) {
        return crm__error_nomem(err);
    }
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        f->is_stdout = 1;
        *out = f;
        return CRM_OK;
    }
    n = strlen(path);
    f->path = crm_strdup(path);
    f->tmp_path = crm_malloc(n + sizeof ".tmp.XXXXXX");
    if (f->path == NULL || f->tmp_path == NULL) {
        crm_outfile_abort(f);
        return crm__error_nomem(err);
    }
    memcpy(f->tmp_path, path, n);
    memcpy(f->tmp_path + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        crm_status rc = crm__error_errno(err, errno, path, "cannot create output file");
        if (rc == CRM_ENOTFOUND && err != NULL) {
            err->code = CRM_EIO; /* a missing output folder is an output error */
        }
        crm_free(f->tmp_path);
        f->tmp_path = NULL;
        crm_outfile_abort(f);
        return rc == CRM_ENOTFOUND ? CRM_EIO : rc;
    }
    (void)fchmod(fd, 0644);
    f->fp = fdopen(fd, "w");
    if (f->fp == NULL) {
        crm_status rc = crm__error_errno(err, errno, path, "cannot open output file");
        close(fd);
        crm_outfile_abort(f);
        return rc;
    }
    *out = f;
    return CRM_OK;
}

FILE *crm_outfile_stream(crm_outfile *f)
{
    return f->fp;
}

static void release(crm_outfile *f)
{
    crm_free(f->path);
    crm_free(f->tmp_path);
    crm_free(f);
}

crm_status crm_outfile_commit(crm_outfile *f, crm_error *err)
{
    int failed;
    int saved_errno;
    if (f->is_stdout) {
        failed = (fflush(f->fp) != 0 || ferror(f->fp));
        release(f);
        return failed ? crm__error_set(err, CRM_EIO, "writing to standard output failed") : CRM_OK;
    }
    failed = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    saved_errno = errno;
    if (fclose(f->fp) != 0 && !failed) {
        failed = 1;
        saved_errno = errno;
    }
    f->fp = NULL;
    if (!failed && rename(f->tmp_path, f->path) != 0) {
        failed = 1;
        saved_errno = errno;
    }
    if (failed) {
        crm_status rc;
        (void)unlink(f->tmp_path);
        rc = crm__error_errno(err, saved_errno ? saved_errno : EIO, f->path, "writing failed");
        if (rc == CRM_ENOTFOUND && err != NULL) {
            err->code = CRM_EIO;
        }
        release(f);
        return rc == CRM_ENOTFOUND ? CRM_EIO : rc;
    }
    release(f);
    return CRM_OK;
}

void crm_outfile_abort(crm_outfile *f)
{
    if (f == NULL) {
        return;
    }
    if (f->fp != NULL && !f->is_stdout) {
        (void)fclose(f->fp);
    }
    if (!f->is_stdout && f->tmp_path != NULL) {
        (void)unlink(f->tmp_path);
    }
    release(f);
}
