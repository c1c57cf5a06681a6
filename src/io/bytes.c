/* bytes.c: blocks of bytes that parts of a job (CDR sums, candidate itemsets) exchange
 * between processes, and the bounds-checked cursor that reads them back. */
#include <string.h>

#include "core/core_internal.h"
#include "reader.h"

void crm__bytes_put(crm__bytes_out *b, const void *src, size_t n)
{
    if (b->fail) {
        return;
    }
    if (!crm__grow_bytes_from(&b->p, &b->cap, b->len + n, b->first_cap ? b->first_cap : 4096)) {
        b->fail = 1;
        return;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void crm__bytes_put_i64(crm__bytes_out *b, int64_t v)
{
    crm__bytes_put(b, &v, sizeof v);
}

void crm__bytes_put_str(crm__bytes_out *b, const char *s, size_t n)
{
    crm__bytes_put_i64(b, (int64_t)n);
    crm__bytes_put(b, s, n);
}

crm_status crm__bytes_out_take(crm__bytes_out *b, char **buf, size_t *len, crm_error *err)
{
    if (b->fail) {
        crm_free(b->p);
        b->p = NULL;
        return crm__error_nomem(err);
    }
    *buf = b->p;
    *len = b->len;
    b->p = NULL;
    return CRM_OK;
}

void crm__bytes_get(crm__bytes_in *r, void *dst, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
}

int64_t crm__bytes_get_i64(crm__bytes_in *r)
{
    int64_t v;
    crm__bytes_get(r, &v, sizeof v);
    return v;
}

int64_t crm__bytes_get_count(crm__bytes_in *r, size_t min_size)
{
    int64_t n = crm__bytes_get_i64(r);
    if (r->bad || n < 0 || (uint64_t)n > (r->len - r->at) / (min_size ? min_size : 1)) {
        r->bad = 1;
        return 0;
    }
    return n;
}

const char *crm__bytes_get_str(crm__bytes_in *r, size_t *n)
{
    int64_t m = crm__bytes_get_i64(r);
    const char *s;
    *n = 0;
    if (r->bad || m < 0 || (uint64_t)m > r->len - r->at) {
        r->bad = 1;
        return NULL;
    }
    s = r->p + r->at;
    r->at += (size_t)m;
    *n = (size_t)m;
    return s;
}

int crm__bytes_in_done(const crm__bytes_in *r)
{
    return !r->bad && r->at == r->len;
}
