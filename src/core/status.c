/* status.c: status names and the error record (curl's error buffer, in structured form). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    { "CRM_OK", "success" },
    { "CRM_EINVAL", "invalid argument" },
    { "CRM_ENOMEM", "out of memory" },
    { "CRM_EIO", "input/output error" },
    { "CRM_EPARSE", "malformed input" },
    { "CRM_EFORMAT", "bad model file" },
    { "CRM_EDATA", "unusable data" },
    { "CRM_ESTATE", "wrong call order" },
    { "CRM_ELIMIT", "size limit exceeded" },
    { "CRM_ECANCELLED", "cancelled" },
    { "CRM_EUNSUPPORTED", "not built with this feature" },
    { "CRM_ENOTFOUND", "not found" },
    { "CRM_EINTERNAL", "internal error" },
};

const char *crm_status_name(crm_status s)
{
    if ((unsigned)s >= sizeof status_table / sizeof status_table[0]) {
        return "CRM_EUNKNOWN";
    }
    return status_table[s].name;
}

const char *crm_status_str(crm_status s)
{
    if ((unsigned)s >= sizeof status_table / sizeof status_table[0]) {
        return "unknown status";
    }
    return status_table[s].text;
}

void crm_error_clear(crm_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
    }
}

char *crm__strndup(const char *s, size_t n)
{
    char *d = crm_malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void crm__strlcpy(char *dst, const char *src, size_t size)
{
    size_t n;
    if (size == 0) {
        return;
    }
    n = src ? strlen(src) : 0;
    if (n >= size) {
        n = size - 1;
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

CRM_PRINTF(3, 0)
static void vset(crm_error *err, crm_status code, const char *fmt, va_list ap)
{
    err->code = code;
    (void)vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

crm_status crm__error_set(crm_error *err, crm_status code, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL) {
        return code;
    }
    crm_error_clear(err);
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

crm_status crm__error_at(crm_error *err,
                         crm_status code,
                         const char *source,
                         int64_t line,
                         int64_t column,
                         const char *fmt,
                         ...)
{
    va_list ap;
    if (err == NULL) {
        return code;
    }
    crm_error_clear(err);
    crm__strlcpy(err->source, source, sizeof err->source);
    err->line = line;
    err->column = column;
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void crm__error_field(crm_error *err, const char *field)
{
    if (err != NULL) {
        crm__strlcpy(err->field, field, sizeof err->field);
    }
}

void crm__error_prefix(crm_error *err, const char *fmt, ...)
{
    char head[256];
    char old[sizeof((crm_error *)NULL)->msg];
    va_list ap;
    if (err == NULL) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    crm__strlcpy(err->msg, head, sizeof err->msg);
    {
        size_t used = strlen(err->msg);
        crm__strlcpy(err->msg + used, old, sizeof err->msg - used);
    }
}

crm_status crm__error_errno(crm_error *err, int errnum, const char *path, const char *what)
{
    crm_status code = (errnum == ENOENT) ? CRM_ENOTFOUND : CRM_EIO;
    (void)crm__error_at(err, code, path, 0, 0, "%s: %s", what, strerror(errnum));
    if (err != NULL) {
        err->sys_errno = errnum;
    }
    return code;
}

crm_status crm__error_errno_input(crm_error *err, int errnum, const char *path, const char *what)
{
    crm_status code = errnum == ENOMEM ? CRM_ENOMEM : CRM_ENOTFOUND;
    (void)crm__error_at(err, code, path, 0, 0, "%s: %s", what, strerror(errnum));
    if (err != NULL) {
        err->sys_errno = errnum;
    }
    return code;
}

crm_status crm__error_nomem(crm_error *err)
{
    return crm__error_set(err, CRM_ENOMEM, "out of memory");
}

const char *crm_error_format(const crm_error *err, char *buf, int32_t size)
{
    size_t cap;
    int used = 0;
    if (buf == NULL || size <= 0) {
        return buf;
    }
    cap = (size_t)size;
    buf[0] = '\0';
    if (err == NULL) {
        return buf;
    }
    if (err->source[0] != '\0') {
        if (err->line > 0 && err->column > 0) {
            used = snprintf(buf, cap, "%s:%lld:%lld: ", err->source, (long long)err->line,
                            (long long)err->column);
        } else if (err->line > 0) {
            used = snprintf(buf, cap, "%s:%lld: ", err->source, (long long)err->line);
        } else {
            used = snprintf(buf, cap, "%s: ", err->source);
        }
    }
    if (used < 0 || (size_t)used >= cap) {
        return buf;
    }
    if (err->field[0] != '\0') {
        int n = snprintf(buf + used, cap - (size_t)used, "field \"%s\": ", err->field);
        if (n < 0 || (size_t)(used + n) >= cap) {
            return buf;
        }
        used += n;
    }
    (void)snprintf(buf + used, cap - (size_t)used, "%s",
                   err->msg[0] ? err->msg : crm_status_str(err->code));
    return buf;
}
