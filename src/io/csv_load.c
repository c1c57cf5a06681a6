/* csv_load.c: bring a whole input into memory: mmap for regular files, read() for pipes,
 * zlib inflate for gzip (recognised by its magic bytes, not by the file name). */
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/core_internal.h"
#include "csv_internal.h"

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
    z_stream zs;
    size_t cap;
    size_t n = 0;
    char *buf;
    int zrc = Z_OK;
    *out = NULL;
    *out_len = 0;
    if (len < 2 || (unsigned char)data[0] != 0x1f || (unsigned char)data[1] != 0x8b) {
        return CRM_OK;
    }
    cap = len < ((size_t)1 << 40) ? len * 4 + 4096 : len;
    buf = crm_malloc(cap);
    if (buf == NULL) {
        return crm__error_nomem(err);
    }
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        crm_free(buf);
        return crm__error_nomem(err);
    }
    zs.next_in = (Bytef *)(uintptr_t)data;
    while ((size_t)(zs.next_in - (const Bytef *)data) < len) {
        size_t in_left = len - (size_t)(zs.next_in - (const Bytef *)data);
        if (n == cap) {
            char *b = crm_realloc(buf, cap * 2);
            if (b == NULL) {
                zrc = Z_MEM_ERROR;
                break;
            }
            buf = b;
            cap *= 2;
        }
        zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        zs.next_out = (Bytef *)(buf + n);
        zs.avail_out = cap - n > (1u << 30) ? (1u << 30) : (uInt)(cap - n);
        {
            uInt before = zs.avail_out;
            zrc = inflate(&zs, Z_NO_FLUSH);
            n += before - zs.avail_out;
        }
        if (zrc == Z_STREAM_END) {
            /* Concatenated gzip members form one stream (gzip(1) does the same). */
            if ((size_t)(zs.next_in - (const Bytef *)data) < len) {
                if (inflateReset(&zs) != Z_OK) {
                    zrc = Z_DATA_ERROR;
                    break;
                }
                zrc = Z_OK;
                continue;
            }
            break;
        }
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            break;
        }
        if (zrc == Z_BUF_ERROR && zs.avail_out != 0) {
            break; /* no progress possible: truncated input */
        }
    }
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        crm_free(buf);
        if (zrc == Z_MEM_ERROR) {
            return crm__error_nomem(err);
        }
        return crm__error_at(err, CRM_EPARSE, source, 0, 0,
                             zrc == Z_OK || zrc == Z_BUF_ERROR ? "gzip data is truncated"
                                                               : "gzip data is corrupt (%s)",
                             zs.msg ? zs.msg : "bad data");
    }
    *out = buf;
    *out_len = n;
    return CRM_OK;
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
