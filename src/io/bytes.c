/* bytes.c: blocks of bytes that parts of a job (CDR sums, candidate itemsets) exchange
 * between processes, and the bounds-checked cursor that reads them back. */
#include <string.h>

#include "core/core_internal.h"
#include "reader.h"

int crm__bytes_grow(crm__bytes_out *b, size_t n)
{
    if (b->fail ||
        !crm__grow_bytes_from(&b->p, &b->cap, b->len + n, b->first_cap ? b->first_cap : 4096)) {
        b->fail = 1;
        return 0;
    }
    return 1;
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

int64_t crm__bytes_get_count(crm__bytes_in *r, size_t min_size)
{
    int64_t n = crm__bytes_get_i64(r);
    if (r->bad || n < 0 || (uint64_t)n > (r->len - r->at) / (min_size ? min_size : 1)) {
        r->bad = 1;
        return 0;
    }
    return n;
}

int crm__bytes_in_done(const crm__bytes_in *r)
{
    return !r->bad && r->at == r->len;
}
