/* model.c: the model file container (docs/formats/model-file.md).
 *
 * A writer encodes the whole file in one growable buffer: the header, then each section's
 * 28-byte head (tag, length, CRC) followed by its payload. The length and CRC of a section are
 * patched in when the next section begins or when the file is finished, so putting values is
 * an append. Saving hands the finished bytes to crm_outfile (temporary file, fsync, rename).
 *
 * A reader loads the whole file and verifies all of it (magic, version, header CRC, every
 * section's bounds and CRC, unique tags, no trailing bytes) before any caller decodes a
 * field, so decoders only ever see bytes that were written by a crmkit writer; they still
 * read through bounds-checked cursors, because the fuzzer hands them valid CRCs over
 * arbitrary payloads. All integers are little-endian, doubles are IEEE-754 bit patterns. */
#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <crmkit/model.h>
#include <crmkit/outfile.h>

#include "core/core_internal.h"

static _Atomic int stamp_on;

void crm_model_set_stamp(int on)
{
    stamp_on = on != 0;
}

int crm_model_stamp(void)
{
    return stamp_on;
}

static const unsigned char magic[8] = { 'C', 'R', 'M', 'K', 'M', 'O', 'D', 'L' };

enum {
    HEADER_BYTES = 8 + 4 + CRM_MODEL_TAG_BYTES + 4 + 4, /* magic, version, kind, count, crc */
    SECTION_HEAD_BYTES = CRM_MODEL_TAG_BYTES + 8 + 4,   /* tag, length, crc */
    MAX_SECTIONS = 4096
};

/* ---- little-endian encoding ---- */

static void store_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void store_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t load_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t load_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* ---- writer ---- */

typedef struct tag_name {
    char s[CRM_MODEL_TAG_BYTES + 1];
} tag_name;

struct crm_model_writer {
    unsigned char *buf;
    size_t len;
    size_t cap;
    size_t section_start; /* offset of the open section's head; 0 when none is open */
    tag_name *tags;
    uint32_t n_sections;
    uint32_t cap_sections;
    int failed; /* an earlier put ran out of memory: the buffer is incomplete */
};

static int tag_valid(const char *s, size_t max)
{
    size_t n;
    if (s == NULL) {
        return 0;
    }
    n = strlen(s);
    if (n == 0 || n > max) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static crm_status reserve(crm_model_writer *w, size_t extra, crm_error *err)
{
    size_t need;
    size_t cap;
    unsigned char *p;
    if (extra > SIZE_MAX - w->len) {
        w->failed = 1;
        return crm__error_set(err, CRM_ELIMIT, "model too large");
    }
    need = w->len + extra;
    if (need <= w->cap) {
        return CRM_OK;
    }
    cap = w->cap ? w->cap : 256;
    while (cap < need) {
        cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
    }
    p = crm_realloc(w->buf, cap);
    if (p == NULL) {
        w->failed = 1;
        return crm__error_nomem(err);
    }
    w->buf = p;
    w->cap = cap;
    return CRM_OK;
}

static crm_status append(crm_model_writer *w, const void *p, size_t n, crm_error *err)
{
    crm_status rc;
    if (w->failed) {
        return crm__error_set(err, CRM_ESTATE, "model writer: an earlier write failed");
    }
    if (w->section_start == 0) {
        return crm__error_set(err, CRM_ESTATE, "model writer: put before crm_model_begin");
    }
    rc = reserve(w, n, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (n > 0) {
        memcpy(w->buf + w->len, p, n);
    }
    w->len += n;
    return CRM_OK;
}

crm_status crm_model_writer_new(const char *kind, crm_model_writer **out, crm_error *err)
{
    crm_model_writer *w;
    crm_status rc;
    *out = NULL;
    if (!tag_valid(kind, CRM_MODEL_TAG_BYTES - 1)) {
        return crm__error_set(err, CRM_EINVAL,
                              "model kind must be 1 to 15 printable characters without spaces");
    }
    w = crm_calloc(1, sizeof *w);
    if (w == NULL) {
        return crm__error_nomem(err);
    }
    rc = reserve(w, HEADER_BYTES, err);
    if (rc != CRM_OK) {
        crm_model_writer_free(w);
        return rc;
    }
    memset(w->buf, 0, HEADER_BYTES);
    memcpy(w->buf, magic, sizeof magic);
    store_u32(w->buf + 8, CRM_MODEL_FORMAT_VERSION);
    memcpy(w->buf + 12, kind, strlen(kind));
    w->len = HEADER_BYTES;
    *out = w;
    return CRM_OK;
}

void crm_model_writer_free(crm_model_writer *w)
{
    if (w == NULL) {
        return;
    }
    CRM__FREE(w->buf, w->tags, w);
}

/* Patch the open section's length and CRC (over tag, length and payload). */
static void close_section(crm_model_writer *w)
{
    unsigned char *head;
    uint64_t payload;
    uint32_t crc;
    if (w->section_start == 0) {
        return;
    }
    head = w->buf + w->section_start;
    payload = (uint64_t)(w->len - w->section_start - SECTION_HEAD_BYTES);
    store_u64(head + CRM_MODEL_TAG_BYTES, payload);
    crc = libdeflate_crc32(0, head, CRM_MODEL_TAG_BYTES + 8);
    crc = libdeflate_crc32(crc, head + SECTION_HEAD_BYTES, (size_t)payload);
    store_u32(head + CRM_MODEL_TAG_BYTES + 8, crc);
    w->section_start = 0;
}

crm_status crm_model_begin(crm_model_writer *w, const char *tag, crm_error *err)
{
    crm_status rc;
    if (w->failed) {
        return crm__error_set(err, CRM_ESTATE, "model writer: an earlier write failed");
    }
    if (!tag_valid(tag, CRM_MODEL_TAG_BYTES)) {
        return crm__error_set(err, CRM_EINVAL,
                              "section tag must be 1 to 16 printable characters without spaces");
    }
    for (uint32_t i = 0; i < w->n_sections; i++) {
        if (strcmp(w->tags[i].s, tag) == 0) {
            return crm__error_set(err, CRM_EINVAL, "section \"%s\" written twice", tag);
        }
    }
    if (w->n_sections >= MAX_SECTIONS) {
        return crm__error_set(err, CRM_ELIMIT, "more than %d sections", MAX_SECTIONS);
    }
    if (w->n_sections == w->cap_sections) {
        uint32_t cap = w->cap_sections ? w->cap_sections * 2 : 8;
        tag_name *t = crm_realloc(w->tags, cap * sizeof *t);
        if (t == NULL) {
            return crm__error_nomem(err);
        }
        w->tags = t;
        w->cap_sections = cap;
    }
    close_section(w);
    rc = reserve(w, SECTION_HEAD_BYTES, err);
    if (rc != CRM_OK) {
        return rc;
    }
    memset(w->buf + w->len, 0, SECTION_HEAD_BYTES);
    memcpy(w->buf + w->len, tag, strlen(tag));
    w->section_start = w->len;
    w->len += SECTION_HEAD_BYTES;
    crm__strlcpy(w->tags[w->n_sections].s, tag, sizeof w->tags[0].s);
    w->n_sections++;
    return CRM_OK;
}

crm_status crm_model_put_u32(crm_model_writer *w, uint32_t v, crm_error *err)
{
    unsigned char b[4];
    store_u32(b, v);
    return append(w, b, sizeof b, err);
}

crm_status crm_model_put_i32(crm_model_writer *w, int32_t v, crm_error *err)
{
    return crm_model_put_u32(w, (uint32_t)v, err);
}

crm_status crm_model_put_i64(crm_model_writer *w, int64_t v, crm_error *err)
{
    unsigned char b[8];
    store_u64(b, (uint64_t)v);
    return append(w, b, sizeof b, err);
}

crm_status crm_model_put_f64(crm_model_writer *w, double v, crm_error *err)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return crm_model_put_i64(w, bits, err);
}

crm_status crm_model_put_str(crm_model_writer *w, const char *s, crm_error *err)
{
    size_t n = s ? strlen(s) : 0;
    crm_status rc;
    if (n > UINT32_MAX) {
        return crm__error_set(err, CRM_ELIMIT, "string too long for a model file");
    }
    rc = crm_model_put_u32(w, (uint32_t)n, err);
    if (rc != CRM_OK) {
        return rc;
    }
    return append(w, s, n, err);
}

crm_status crm_model_put_name(crm_model_writer *w, const char *what, const char *s, crm_error *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n > CRM_MODEL_MAX_NAME) {
        return crm__error_set(err, CRM_ELIMIT,
                              "%s \"%.40s...\" is %zu bytes long; a model file holds names of "
                              "up to %d bytes",
                              what, s, n, CRM_MODEL_MAX_NAME);
    }
    return crm_model_put_str(w, s, err);
}

crm_status crm_model_put_bytes(crm_model_writer *w, const void *p, size_t n, crm_error *err)
{
    return append(w, p, n, err);
}

/* Room for n values of width bytes each at the end of the open section. */
static crm_status reserve_array(crm_model_writer *w, size_t n, size_t width, crm_error *err)
{
    crm_status rc;
    if (n > SIZE_MAX / width) {
        return crm__error_set(err, CRM_ELIMIT, "array too long for a model file");
    }
    rc = append(w, NULL, 0, err);
    return rc == CRM_OK ? reserve(w, n * width, err) : rc;
}

crm_status crm_model_put_f64s(crm_model_writer *w, const double *v, size_t n, crm_error *err)
{
    crm_status rc = reserve_array(w, n, 8, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        store_u64(w->buf + w->len, bits);
        w->len += 8;
    }
    return CRM_OK;
}

crm_status crm_model_put_i32s(crm_model_writer *w, const int32_t *v, size_t n, crm_error *err)
{
    crm_status rc = reserve_array(w, n, 4, err);
    if (rc != CRM_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        store_u32(w->buf + w->len, (uint32_t)v[i]);
        w->len += 4;
    }
    return CRM_OK;
}

/* ---- puts that stop at the first failure ---- */

void crm_model_out_begin(crm_model_out *o, const char *tag)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_begin(o->w, tag, o->err);
}

void crm_model_out_u32(crm_model_out *o, uint32_t v)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_u32(o->w, v, o->err);
}

void crm_model_out_i32(crm_model_out *o, int32_t v)
{
    crm_model_out_u32(o, (uint32_t)v);
}

void crm_model_out_i64(crm_model_out *o, int64_t v)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_i64(o->w, v, o->err);
}

void crm_model_out_f64(crm_model_out *o, double v)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    crm_model_out_i64(o, bits);
}

void crm_model_out_str(crm_model_out *o, const char *s)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_str(o->w, s ? s : "", o->err);
}

void crm_model_out_name(crm_model_out *o, const char *what, const char *s)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_name(o->w, what, s, o->err);
}

void crm_model_out_bytes(crm_model_out *o, const void *p, size_t n)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_bytes(o->w, p, n, o->err);
}

void crm_model_out_i32s(crm_model_out *o, const int32_t *v, size_t n)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_i32s(o->w, v, n, o->err);
}

void crm_model_out_f64s(crm_model_out *o, const double *v, size_t n)
{
    o->rc = o->rc != CRM_OK ? o->rc : crm_model_put_f64s(o->w, v, n, o->err);
}

crm_status
crm_model_writer_bytes(crm_model_writer *w, const unsigned char **data, size_t *len, crm_error *err)
{
    *data = NULL;
    *len = 0;
    if (w->failed) {
        return crm__error_set(err, CRM_ESTATE, "model writer: an earlier write failed");
    }
    close_section(w);
    store_u32(w->buf + 8 + 4 + CRM_MODEL_TAG_BYTES, w->n_sections);
    store_u32(w->buf + HEADER_BYTES - 4, libdeflate_crc32(0, w->buf, HEADER_BYTES - 4));
    *data = w->buf;
    *len = w->len;
    return CRM_OK;
}

crm_status crm_model_writer_save(crm_model_writer *w, const char *path, crm_error *err)
{
    const unsigned char *data;
    size_t len;
    crm_outfile *f = NULL;
    crm_status rc = crm_model_writer_bytes(w, &data, &len, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (path != NULL && strcmp(path, "-") == 0) {
        return crm__error_set(err, CRM_EINVAL, "a model file cannot be written to standard output");
    }
    rc = crm_outfile_open(path, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (fwrite(data, 1, len, crm_outfile_stream(f)) != len) {
        int e = errno;
        crm_outfile_abort(f);
        rc = crm__error_errno(err, e ? e : EIO, path, "writing model failed");
        return rc == CRM_ENOTFOUND ? CRM_EIO : rc;
    }
    return crm_outfile_commit(f, err);
}

/* ---- reader ---- */

typedef struct section_ref {
    char tag[CRM_MODEL_TAG_BYTES + 1];
    size_t offset; /* of the payload */
    size_t len;
} section_ref;

struct crm_model_reader {
    unsigned char *data;
    size_t len;
    char kind[CRM_MODEL_TAG_BYTES];
    char source[256];
    section_ref *sections;
    int32_t n_sections;
};

void crm_model_reader_free(crm_model_reader *r)
{
    if (r == NULL) {
        return;
    }
    CRM__FREE(r->data, r->sections, r);
}

static crm_status bad(crm_error *err, const crm_model_reader *r, const char *what)
{
    return crm__error_at(err, CRM_EFORMAT, r->source, 0, 0, "%s", what);
}

/* A NUL-padded name field: printable characters, then only NULs. */
static int read_name(const unsigned char *p, size_t width, char *out)
{
    size_t n = 0;
    while (n < width && p[n] != 0) {
        if (p[n] < 0x21 || p[n] > 0x7e) {
            return 0;
        }
        n++;
    }
    if (n == 0) {
        return 0;
    }
    for (size_t i = n; i < width; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static crm_status verify_header(crm_model_reader *r, uint32_t *n_sections, crm_error *err)
{
    uint32_t version;
    size_t cmp = r->len < sizeof magic ? r->len : sizeof magic;
    char msg[160];
    if (r->len == 0) {
        return bad(err, r, "empty file: not a crmkit model");
    }
    if (memcmp(r->data, magic, cmp) != 0) {
        return bad(err, r, "not a crmkit model file (bad magic)");
    }
    if (r->len < HEADER_BYTES) {
        return bad(err, r, "truncated model file (header incomplete)");
    }
    version = load_u32(r->data + 8);
    if (version != CRM_MODEL_FORMAT_VERSION) {
        (void)snprintf(
            msg, sizeof msg,
            "model file format version %u; this crmkit reads version %u (refit the model "
            "or use a matching crmkit)",
            version, CRM_MODEL_FORMAT_VERSION);
        return bad(err, r, msg);
    }
    if (load_u32(r->data + HEADER_BYTES - 4) != libdeflate_crc32(0, r->data, HEADER_BYTES - 4)) {
        return bad(err, r, "corrupt model file: header checksum mismatch");
    }
    if (!read_name(r->data + 12, CRM_MODEL_TAG_BYTES, r->kind) ||
        r->kind[CRM_MODEL_TAG_BYTES - 1] != '\0') {
        return bad(err, r, "corrupt model file: bad kind field");
    }
    *n_sections = load_u32(r->data + 12 + CRM_MODEL_TAG_BYTES);
    if (*n_sections > MAX_SECTIONS ||
        (size_t)*n_sections > (r->len - HEADER_BYTES) / SECTION_HEAD_BYTES) {
        return bad(err, r, "truncated model file (fewer sections than the header says)");
    }
    return CRM_OK;
}

static crm_status verify_sections(crm_model_reader *r, uint32_t n, crm_error *err)
{
    size_t pos = HEADER_BYTES;
    char msg[200];
    for (uint32_t i = 0; i < n; i++) {
        section_ref *s = &r->sections[i];
        const unsigned char *head = r->data + pos;
        uint64_t plen;
        uint32_t crc;
        if (r->len - pos < SECTION_HEAD_BYTES) {
            (void)snprintf(msg, sizeof msg, "truncated model file (section %u of %u missing)",
                           i + 1, n);
            return bad(err, r, msg);
        }
        plen = load_u64(head + CRM_MODEL_TAG_BYTES);
        if (plen > (uint64_t)(r->len - pos - SECTION_HEAD_BYTES)) {
            (void)snprintf(msg, sizeof msg, "truncated model file (section %u of %u cut short)",
                           i + 1, n);
            return bad(err, r, msg);
        }
        crc = libdeflate_crc32(0, head, CRM_MODEL_TAG_BYTES + 8);
        crc = libdeflate_crc32(crc, head + SECTION_HEAD_BYTES, (size_t)plen);
        if (crc != load_u32(head + CRM_MODEL_TAG_BYTES + 8)) {
            (void)snprintf(msg, sizeof msg, "corrupt model file: checksum mismatch in section %u",
                           i + 1);
            return bad(err, r, msg);
        }
        if (!read_name(head, CRM_MODEL_TAG_BYTES, s->tag)) {
            return bad(err, r, "corrupt model file: bad section tag");
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(r->sections[j].tag, s->tag) == 0) {
                (void)snprintf(msg, sizeof msg, "corrupt model file: section \"%s\" appears twice",
                               s->tag);
                return bad(err, r, msg);
            }
        }
        s->offset = pos + SECTION_HEAD_BYTES;
        s->len = (size_t)plen;
        pos = s->offset + s->len;
    }
    if (pos != r->len) {
        return bad(err, r, "corrupt model file: unexpected bytes after the last section");
    }
    return CRM_OK;
}

/* Takes ownership of data (crm_malloc'd, len bytes). */
static crm_status open_owned(unsigned char *data,
                             size_t len,
                             const char *source,
                             crm_model_reader **out,
                             crm_error *err)
{
    crm_model_reader *r;
    uint32_t n = 0;
    crm_status rc;
    *out = NULL;
    r = crm_calloc(1, sizeof *r);
    if (r == NULL) {
        crm_free(data);
        return crm__error_nomem(err);
    }
    r->data = data;
    r->len = len;
    crm__strlcpy(r->source, source ? source : "model", sizeof r->source);
    rc = verify_header(r, &n, err);
    if (rc != CRM_OK) {
        goto fail;
    }
    r->sections = crm_calloc(n ? n : 1, sizeof *r->sections);
    if (r->sections == NULL) {
        rc = crm__error_nomem(err);
        goto fail;
    }
    rc = verify_sections(r, n, err);
    if (rc != CRM_OK) {
        goto fail;
    }
    r->n_sections = (int32_t)n;
    *out = r;
    return CRM_OK;
fail:
    crm_model_reader_free(r);
    return rc;
}

crm_status crm_model_reader_open_mem(const void *data,
                                     size_t len,
                                     const char *source,
                                     crm_model_reader **out,
                                     crm_error *err)
{
    unsigned char *copy;
    *out = NULL;
    copy = crm_malloc(len);
    if (copy == NULL) {
        return crm__error_nomem(err);
    }
    if (len > 0) {
        memcpy(copy, data, len);
    }
    return open_owned(copy, len, source, out, err);
}

crm_status crm_model_reader_open(const char *path, crm_model_reader **out, crm_error *err)
{
    FILE *fp;
    struct stat st;
    unsigned char *data = NULL;
    size_t len;
    int e;
    *out = NULL;
    fp = fopen(path, "rb");
    if (fp == NULL) {
        return crm__error_errno_input(err, errno, path, "cannot open model file");
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        (void)fclose(fp);
        return crm__error_errno_input(err, e ? e : EIO, path, "cannot read model file");
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        (void)fclose(fp);
        return crm__error_at(err, CRM_ELIMIT, path, 0, 0, "model file too large");
    }
    len = (size_t)st.st_size;
    data = crm_malloc(len);
    if (data == NULL) {
        (void)fclose(fp);
        return crm__error_nomem(err);
    }
    if (len > 0 && fread(data, 1, len, fp) != len) {
        e = ferror(fp) ? errno : 0;
        (void)fclose(fp);
        crm_free(data);
        if (e == 0) {
            return crm__error_at(err, CRM_EFORMAT, path, 0, 0,
                                 "model file shrank while it was read");
        }
        return crm__error_errno_input(err, e, path, "cannot read model file");
    }
    (void)fclose(fp);
    return open_owned(data, len, path, out, err);
}

const char *crm_model_reader_kind(const crm_model_reader *r)
{
    return r->kind;
}

const char *crm_model_reader_source(const crm_model_reader *r)
{
    return r->source;
}

int32_t crm_model_reader_n_sections(const crm_model_reader *r)
{
    return r->n_sections;
}

static int32_t find_section(const crm_model_reader *r, const char *tag)
{
    for (int32_t i = 0; i < r->n_sections; i++) {
        if (strcmp(r->sections[i].tag, tag) == 0) {
            return i;
        }
    }
    return -1;
}

int crm_model_reader_has(const crm_model_reader *r, const char *tag)
{
    return tag != NULL && find_section(r, tag) >= 0;
}

crm_status
crm_model_section_at(const crm_model_reader *r, int32_t i, crm_section *s, crm_error *err)
{
    memset(s, 0, sizeof *s);
    if (i < 0 || i >= r->n_sections) {
        s->failed = 1;
        return crm__error_at(err, CRM_EINVAL, r->source, 0, 0, "no section number %d", i);
    }
    s->data = r->data + r->sections[i].offset;
    s->len = r->sections[i].len;
    memcpy(s->tag, r->sections[i].tag, sizeof s->tag);
    return CRM_OK;
}

crm_status
crm_model_section(const crm_model_reader *r, const char *tag, crm_section *s, crm_error *err)
{
    int32_t i = tag ? find_section(r, tag) : -1;
    if (i < 0) {
        memset(s, 0, sizeof *s);
        s->failed = 1;
        crm__strlcpy(s->tag, tag, sizeof s->tag);
        return crm__error_at(err, CRM_EFORMAT, r->source, 0, 0,
                             "%s model has no \"%s\" section (incomplete or wrong kind of model)",
                             r->kind, tag ? tag : "");
    }
    return crm_model_section_at(r, i, s, err);
}

/* ---- section cursor ---- */

int crm_section_fits(const crm_section *s, int64_t n, size_t min_bytes)
{
    return !s->failed && n >= 0 && (uint64_t)n <= (s->len - s->pos) / min_bytes;
}

static const unsigned char *take(crm_section *s, size_t n)
{
    const unsigned char *p;
    if (s->failed || n > s->len - s->pos) {
        s->failed = s->failed ? s->failed : 1;
        return NULL;
    }
    p = s->data + s->pos;
    s->pos += n;
    return p;
}

/* The next width (4 or 8) bytes as a little-endian integer; 0 when too few are left. */
static crm_status take_uint(crm_section *s, size_t width, uint64_t *v)
{
    const unsigned char *p = take(s, width);
    *v = p == NULL ? 0 : width == 4 ? load_u32(p) : load_u64(p);
    return p == NULL ? CRM_EFORMAT : CRM_OK;
}

crm_status crm_section_get_u32(crm_section *s, uint32_t *v)
{
    uint64_t u;
    crm_status rc = take_uint(s, 4, &u);
    *v = (uint32_t)u;
    return rc;
}

crm_status crm_section_get_i32(crm_section *s, int32_t *v)
{
    uint32_t u;
    crm_status rc = crm_section_get_u32(s, &u);
    *v = (int32_t)u;
    return rc;
}

crm_status crm_section_get_i64(crm_section *s, int64_t *v)
{
    uint64_t u;
    crm_status rc = take_uint(s, 8, &u);
    *v = (int64_t)u;
    return rc;
}

crm_status crm_section_get_f64(crm_section *s, double *v)
{
    int64_t bits;
    crm_status rc = crm_section_get_i64(s, &bits); /* 0 bits, 0.0, when short */
    memcpy(v, &bits, sizeof *v);
    return rc;
}

crm_status crm_section_get_str(crm_section *s, size_t max_len, char **out)
{
    uint32_t n;
    const unsigned char *p;
    *out = NULL;
    if (crm_section_get_u32(s, &n) != CRM_OK) {
        return CRM_EFORMAT;
    }
    if (n > max_len) {
        s->failed = 1;
        return CRM_EFORMAT;
    }
    p = take(s, n);
    if (p == NULL || memchr(p, 0, n) != NULL) {
        s->failed = 1;
        return CRM_EFORMAT;
    }
    *out = crm_malloc((size_t)n + 1);
    if (*out == NULL) {
        s->failed = 2;
        return CRM_ENOMEM;
    }
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return CRM_OK;
}

crm_status crm_section_get_bytes(crm_section *s, void *p, size_t n)
{
    const unsigned char *q = take(s, n);
    if (q == NULL) {
        if (n > 0) {
            memset(p, 0, n);
        }
        return CRM_EFORMAT;
    }
    if (n > 0) {
        memcpy(p, q, n);
    }
    return CRM_OK;
}

/* The next n values of width bytes each; NULL, with v[0, n) zeroed, when too few are left. */
static const unsigned char *take_array(crm_section *s, void *v, size_t n, size_t width)
{
    const unsigned char *p = n > SIZE_MAX / width ? take(s, SIZE_MAX) : take(s, n * width);
    if (p == NULL && v != NULL) {
        memset(v, 0, n * width); /* all bits zero: 0 and 0.0 */
    }
    return p;
}

crm_status crm_section_get_f64s(crm_section *s, double *v, size_t n)
{
    const unsigned char *p = take_array(s, v, n, 8);
    if (p == NULL) {
        return CRM_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = load_u64(p + 8 * i);
        memcpy(&v[i], &bits, sizeof bits);
    }
    return CRM_OK;
}

crm_status crm_section_get_i32s(crm_section *s, int32_t *v, size_t n)
{
    const unsigned char *p = take_array(s, v, n, 4);
    if (p == NULL) {
        return CRM_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = (int32_t)load_u32(p + 4 * i);
    }
    return CRM_OK;
}

crm_status crm_section_finish(const crm_section *s, const crm_model_reader *r, crm_error *err)
{
    const char *src = r ? r->source : "model";
    if (s->failed == 2) {
        return crm__error_nomem(err);
    }
    if (s->failed) {
        return crm__error_at(err, CRM_EFORMAT, src, 0, 0,
                             "corrupt model file: section \"%s\" is truncated or malformed",
                             s->tag);
    }
    if (s->pos != s->len) {
        return crm__error_at(err, CRM_EFORMAT, src, 0, 0,
                             "corrupt model file: section \"%s\" has %zu unexpected bytes", s->tag,
                             s->len - s->pos);
    }
    return CRM_OK;
}

/* ---- field lists ---- */

crm_status crm_model_put_fields(crm_model_writer *w, const crm_field *f, size_t n, crm_error *err)
{
    crm_status rc = CRM_OK;
    for (size_t i = 0; rc == CRM_OK && i < n; i++) {
        if (f[i].kind == CRM_FIELD_F64) {
            rc = crm_model_put_f64s(w, f[i].p, f[i].n, err);
        } else if (f[i].kind == CRM_FIELD_I32) {
            rc = crm_model_put_i32s(w, f[i].p, f[i].n, err);
        }
        for (size_t j = 0; rc == CRM_OK && j < f[i].n; j++) {
            if (f[i].kind == CRM_FIELD_U32) {
                rc = crm_model_put_u32(w, ((const uint32_t *)f[i].p)[j], err);
            } else if (f[i].kind == CRM_FIELD_I64) {
                rc = crm_model_put_i64(w, ((const int64_t *)f[i].p)[j], err);
            }
        }
    }
    return rc;
}

crm_status crm_section_get_fields(crm_section *s, const crm_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *p = (void *)(uintptr_t)f[i].p; /* the caller's own, writable values */
        if (f[i].kind == CRM_FIELD_F64) {
            (void)crm_section_get_f64s(s, p, f[i].n);
        } else if (f[i].kind == CRM_FIELD_I32) {
            (void)crm_section_get_i32s(s, p, f[i].n);
        }
        for (size_t j = 0; j < f[i].n && f[i].kind != CRM_FIELD_F64 && f[i].kind != CRM_FIELD_I32;
             j++) {
            if (f[i].kind == CRM_FIELD_U32) {
                (void)crm_section_get_u32(s, (uint32_t *)p + j);
            } else if (f[i].kind == CRM_FIELD_I64) {
                (void)crm_section_get_i64(s, (int64_t *)p + j);
            }
        }
    }
    return s->failed ? CRM_EFORMAT : CRM_OK;
}

crm_status crm_model_malformed(const crm_model_reader *r, const char *tag, crm_error *err)
{
    return crm__error_at(err, CRM_EFORMAT, r->source, 0, 0,
                         "corrupt model file: section \"%s\" is malformed", tag);
}
