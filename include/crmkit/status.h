/* crmkit/status.h: status codes and the caller-owned error record.
 *
 * Every call that can fail returns a crm_status and fills the crm_error passed last (which
 * may be NULL). The function that detects an error writes the message; callers pass the
 * status up unchanged. The library never prints and never exits. */
#ifndef CRMKIT_STATUS_H
#define CRMKIT_STATUS_H
#include <stdint.h>

#include <crmkit/common.h>

typedef enum crm_status {
    CRM_OK = 0,
    CRM_EINVAL, /* bad argument or parameter: the caller's fault */
    CRM_ENOMEM,
    CRM_EIO,          /* open/read/write/rename failed; err->sys_errno holds errno */
    CRM_EPARSE,       /* malformed input; err has source, line, column, field */
    CRM_EFORMAT,      /* model file: bad magic, version, length or CRC */
    CRM_EDATA,        /* well-formed but unusable: NaN, empty, k > n, one class only */
    CRM_ESTATE,       /* wrong call order, e.g. assign before fit */
    CRM_ELIMIT,       /* a configured size limit was exceeded */
    CRM_ECANCELLED,   /* the progress callback asked to stop */
    CRM_EUNSUPPORTED, /* a part built without its optional dependency */
    CRM_ENOTFOUND,    /* an input file, column or key that does not exist */
    CRM_EINTERNAL     /* an invariant broke: a bug */
} crm_status;

/** Upper-case name of the code ("CRM_EPARSE"); static text, never NULL. */
CRM_API const char *crm_status_name(crm_status s);
/** Short description of the code ("malformed input"); static text, never NULL. */
CRM_API const char *crm_status_str(crm_status s);

typedef struct crm_error { /* caller-owned, no allocation */
    crm_status code;
    int sys_errno;
    char source[256]; /* file or table; "" if none */
    int64_t line;     /* 1-based; 0 if unknown */
    int64_t column;   /* 1-based; 0 if unknown */
    char field[64];   /* column or field name; "" if none */
    char msg[512];
} crm_error;

/** Reset err to "no error". NULL is a no-op. */
CRM_API void crm_error_clear(crm_error *err);

/** Format err as one line, "source:line:column: field "x": message" with the parts that
 *  are known, into buf[size]. Returns buf. */
CRM_API const char *crm_error_format(const crm_error *err, char *buf, int32_t size);

#endif
