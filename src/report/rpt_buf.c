/* rpt_buf.c: the report's text buffer, XML escaping and number formatting for people. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "report_internal.h"

void crm__rpt_esc(rpt_buf *b, const char *s)
{
    const char *run = s;
    if (s == NULL) {
        return;
    }
    for (; *s; s++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            /* XML 1.0 allows no control characters but tab, newline and return. */
            rep = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ? "" : NULL;
            break;
        }
        if (rep != NULL) {
            crm__sbuf_put(b, run, (size_t)(s - run));
            crm__sbuf_puts(b, rep);
            run = s + 1;
        }
    }
    crm__sbuf_put(b, run, (size_t)(s - run));
}

/* Insert thousands separators into the integer part of a plain decimal text. */
static void group_digits(const char *in, char *out, size_t size)
{
    size_t o = 0;
    const char *p = in;
    const char *digits;
    size_t n_int = 0;
    if (*p == '-') {
        if (o + 1 < size) {
            out[o++] = '-';
        }
        p++;
    }
    digits = p;
    while (digits[n_int] >= '0' && digits[n_int] <= '9') {
        n_int++;
    }
    for (size_t i = 0; i < n_int; i++) {
        if (i > 0 && (n_int - i) % 3 == 0 && o + 1 < size) {
            out[o++] = ',';
        }
        if (o + 1 < size) {
            out[o++] = digits[i];
        }
    }
    for (p = digits + n_int; *p && o + 1 < size; p++) {
        out[o++] = *p;
    }
    if (size > 0) {
        out[o < size ? o : size - 1] = '\0';
    }
}

void crm__rpt_fmt_int(char *out, size_t size, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    group_digits(tmp, out, size);
}

void crm__rpt_fmt_fixed(char *out, size_t size, double v, int decimals)
{
    char tmp[400];
    if (isnan(v)) {
        snprintf(out, size, "n/a");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, "%s\xE2\x88\x9E", v < 0 ? "-" : ""); /* U+221E infinity */
        return;
    }
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    /* "-0.0" reads as a value below zero: drop the sign of a rounded zero. */
    if (tmp[0] == '-' && strspn(tmp + 1, "0.") == strlen(tmp + 1)) {
        memmove(tmp, tmp + 1, strlen(tmp));
    }
    group_digits(tmp, out, size);
}

void crm__rpt_fmt_num(char *out, size_t size, double v)
{
    double a = fabs(v);
    int dec;
    if (!isfinite(v) || a >= 1000 || a == 0) {
        dec = 0;
    } else if (a >= 100) {
        dec = 1;
    } else {
        /* three significant digits */
        dec = 2 - (int)floor(log10(a));
        dec = dec < 0 ? 0 : dec > 8 ? 8 : dec;
    }
    crm__rpt_fmt_fixed(out, size, v, dec);
}

void crm__rpt_fmt_pct(char *out, size_t size, double frac, int decimals)
{
    char tmp[64];
    if (!isfinite(frac)) {
        crm__rpt_fmt_fixed(out, size, frac, 0);
        return;
    }
    crm__rpt_fmt_fixed(tmp, sizeof tmp, frac * 100.0, decimals);
    snprintf(out, size, "%s%%", tmp);
}
