/* gunzip.h: gzip files decoded into one flat buffer, at 1.6-2 times zlib's inflate speed
 * (bench/bench_gunzip.c), with the bytes decoded so far offered to a consumer as they come,
 * so that parsing can run behind the decoding on another thread. zlib still computes the
 * CRC-32 and still writes every gzip file the project makes. */
#ifndef CRM_IO_GUNZIP_H
#define CRM_IO_GUNZIP_H
#include <stddef.h>

#include <crmkit/status.h>

/* The output is offered in steps of about this many bytes. */
#define CRM__GUNZIP_STEP ((size_t)256 << 10)

typedef struct crm__gunzip_hooks {
    void *ctx;
    /* out[0..done) is final (it will not change, though out may still move when it grows),
     * decoded from the first in_used input bytes; called after each step and once at the end.
     * Returns 0 to stop decoding (the call then fails with CRM_ECANCELLED). */
    int (*advance)(void *ctx, const char *out, size_t done, size_t in_used);
    /* Move the output to a block of cap bytes keeping its contents (crm_realloc when NULL);
     * NULL when there is no memory. With cap 0, free it (the decoding failed): a consumer
     * still reading the output learns of it under its own lock. */
    char *(*grow)(void *ctx, char *out, size_t cap);
} crm__gunzip_hooks;

/* The decoded size of the gzip file in[0..len) to expect, from its last member's trailer (one
 * byte more than that member's length, when plausible; else 4 times len), bounded by
 * deflate's largest ratio; 0 when len is too short for a member. */
size_t crm__gunzip_size_guess(const void *in, size_t len);

/* 1 when data starts with the gzip magic bytes. */
int crm__is_gzip(const void *data, size_t len);

/* Decode the gzip file in[0..len) (one member or several, concatenated as gzip(1) allows;
 * zero bytes after the last are ignored) into a new buffer *out of *out_len bytes, with a
 * NUL after them; release it with crm_free. Checks every header, code table, distance, and
 * each member's CRC-32 and length. Errors name source: "gzip data is truncated" or "gzip
 * data is corrupt (...)", CRM_EPARSE; CRM_ENOMEM. hooks may be NULL. */
crm_status crm__gunzip(const void *in,
                       size_t len,
                       const char *source,
                       const crm__gunzip_hooks *hooks,
                       char **out,
                       size_t *out_len,
                       crm_error *err);

#endif
