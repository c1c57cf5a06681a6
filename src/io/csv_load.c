/* csv_load.c: bring a whole input into memory: mmap for regular files, read() for pipes,
 * gunzip.c for gzip (recognised by its magic bytes, not by the file name). */
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_internal.h"
#include "csv_internal.h"
#include "gunzip.h"

static crm_status read_all(int fd, const char *path, char **out, size_t *out_len, crm_error *err)
{
    size_t cap = 1 << 16;
    size_t n = 0;
    char *buf = crm_malloc(cap);
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    for (;;) {
        ssize_t got;
        if (n == cap) {
            char *b = crm_realloc(buf, cap * 2);
            if (b == NULL) {
                crm_free(buf);
                return crm__error_nomem(err);
            }
            buf = b;
            cap *= 2;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0) {
            crm_status rc;
            if (errno == EINTR) {
                continue;
            }
            rc = crm__error_errno(err, errno, path, "cannot read");
            crm_free(buf);
            return rc;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    *out = buf;
    *out_len = n;
    return CRM_OK;
}

crm_status crm__csv_maybe_gunzip(const char *data,
                                 size_t len,
                                 const char *source,
                                 char **out,
                                 size_t *out_len,
                                 crm_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!crm__is_gzip(data, len)) {
        return CRM_OK;
    }
    return crm__gunzip(data, len, source, NULL, out, out_len, err);
}

void crm__csv_unload(const char *data, size_t map_len)
{
    if (map_len > 0) {
        (void)munmap((void *)(uintptr_t)data, map_len);
    } else {
        crm_free((void *)(uintptr_t)data);
    }
}

crm_status crm__csv_load_file(const char *path,
                              const char **data,
                              size_t *len,
                              size_t *map_len,
                              crm_error *err)
{
    struct stat st;
    int fd;
    crm_status rc = CRM_OK;
    *data = NULL;
    *len = 0;
    *map_len = 0;
    if (strcmp(path, "-") == 0) {
        char *buf;
        rc = read_all(STDIN_FILENO, "standard input", &buf, len, err);
        *data = buf;
        return rc;
    }
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return crm__error_errno(err, errno, path, "cannot open input");
    }
    if (fstat(fd, &st) != 0) {
        rc = crm__error_errno(err, errno, path, "cannot read");
    } else if (S_ISDIR(st.st_mode)) {
        rc = crm__error_at(err, CRM_EIO, path, 0, 0, "is a directory, not a CSV file");
    } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
#ifdef MAP_POPULATE
        /* One call maps every page of the (usually cached) file instead of a fault each. */
        int flags = MAP_PRIVATE | MAP_POPULATE;
#else
        int flags = MAP_PRIVATE;
#endif
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
        if (m == MAP_FAILED) {
            rc = crm__error_errno(err, errno, path, "cannot map");
        } else {
            (void)posix_madvise(m, (size_t)st.st_size, POSIX_MADV_SEQUENTIAL);
            *data = m;
            *len = (size_t)st.st_size;
            *map_len = (size_t)st.st_size;
        }
    } else if (S_ISREG(st.st_mode)) {
        *data = NULL; /* empty file */
    } else {
        char *buf;
        rc = read_all(fd, path, &buf, len, err);
        *data = buf;
    }
    (void)close(fd);
    return rc;
}
