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
            rc = crm__error_errno_input(err, errno, path, "cannot read");
            crm_free(buf);
            return rc;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
        /* A NUL byte in text (not gzip) is an error the parser reports with its line and
         * field: stop reading there, so /dev/zero or a binary stream on standard input fails
         * at once instead of filling memory. */
        if (!(n >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) &&
            memchr(buf + n - (size_t)got, '\0', (size_t)got) != NULL) {
            break;
        }
    }
    *out = buf;
    *out_len = n;
    return CRM_OK;
}

crm_status
crm__csv_sniff(const char *data, size_t len, const char *source, char delim, crm_error *err)
{
    const unsigned char *u = (const unsigned char *)data;
    size_t head = len < 65536 ? len : 65536;
    const char *nul;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-%s text (byte-order mark %02X %02X); crmkit reads UTF-8: "
                             "convert it first, e.g. iconv -f UTF-16 -t UTF-8",
                             len >= 4 && u[2] == 0 && u[3] == 0 ? "32" : "16", u[0], u[1]);
    }
    if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-32 text (byte-order mark 00 00 FE FF); crmkit reads UTF-8: "
                             "convert it first, e.g. iconv -f UTF-32 -t UTF-8");
    }
    if (len >= 4 && ((u[0] != 0 && u[1] == 0 && u[2] != 0 && u[3] == 0) ||
                     (u[0] == 0 && u[1] != 0 && u[2] == 0 && u[3] != 0))) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "UTF-16 text without a byte-order mark (every other byte is NUL); "
                             "crmkit reads UTF-8: convert it first, e.g. iconv -f UTF-16LE -t "
                             "UTF-8");
    }
    if (head > 0 && memchr(data, '\n', head) == NULL && memchr(data, '\r', head) != NULL) {
        return crm__error_at(err, CRM_EFORMAT, source, 1, 0,
                             "lines end in CR alone (classic Mac OS line endings); crmkit "
                             "reads LF or CRLF: convert it first, e.g. tr '\\r' '\\n'");
    }
    nul = len > 0 ? memchr(data, '\0', len) : NULL;
    if (nul != NULL) {
        int64_t line = 1;
        int64_t field = 1;
        for (const char *p = data; p < nul; p++) {
            if (*p == '\n') {
                line++;
                field = 1;
            } else if (*p == delim) {
                field++;
            }
        }
        return crm__error_at(err, CRM_EFORMAT, source, line, field,
                             "a NUL byte inside a value (byte %lld of the file): not a text "
                             "file, or a damaged one",
                             (long long)(nul - data) + 1);
    }
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
        return crm__error_errno_input(err, errno, path, "cannot open input");
    }
    if (fstat(fd, &st) != 0) {
        rc = crm__error_errno_input(err, errno, path, "cannot read");
    } else if (S_ISDIR(st.st_mode)) {
        rc = crm__error_at(err, CRM_ENOTFOUND, path, 0, 0, "is a directory, not a CSV file");
    } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
#ifdef MAP_POPULATE
        /* One call maps every page of the (usually cached) file instead of a fault each. */
        int flags = MAP_PRIVATE | MAP_POPULATE;
#else
        int flags = MAP_PRIVATE;
#endif
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
        if (m == MAP_FAILED) {
            rc = crm__error_errno_input(err, errno, path, "cannot map");
        } else {
            (void)posix_madvise(m, (size_t)st.st_size, POSIX_MADV_SEQUENTIAL);
            *data = m;
            *len = (size_t)st.st_size;
            *map_len = (size_t)st.st_size;
        }
    } else if (S_ISREG(st.st_mode) && strncmp(path, "/proc/", 6) != 0 &&
               strncmp(path, "/sys/", 5) != 0) {
        *data = NULL; /* empty file */
    } else {
        /* pipes, devices, and the /proc and /sys files that report a size of 0 but have
         * contents: read until the end */
        char *buf;
        rc = read_all(fd, path, &buf, len, err);
        *data = buf;
    }
    (void)close(fd);
    return rc;
}
