/* sbuf.c: the growing text buffer every module writes its text into (report pages, server
 * replies, SQL). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

void crm__sbuf_init(crm__sbuf *b)
{
    memset(b, 0, sizeof *b);
}

void crm__sbuf_fini(crm__sbuf *b)
{
    crm_free(b->p);
    crm__sbuf_init(b);
}

void crm__sbuf_put(crm__sbuf *b, const char *s, size_t n)
{
    if (b->failed || !crm__grow_bytes(&b->p, &b->cap, b->len + n + 1)) {
        b->failed = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void crm__sbuf_puts(crm__sbuf *b, const char *s)
{
    crm__sbuf_put(b, s, strlen(s));
}

void crm__sbuf_printf(crm__sbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        crm__sbuf_put(b, small, (size_t)n);
        return;
    }
    /* a long text is formatted in place, after making room for it */
    if (b->failed || !crm__grow_bytes(&b->p, &b->cap, b->len + (size_t)n + 1)) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
