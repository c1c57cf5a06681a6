/* crmkit/model.h: the model file container every fitted object saves into.
 *
 * Layout (all integers little-endian; docs/formats/model-file.md has the details):
 *   header : magic "CRMKMODL" (8 bytes), format version u32, kind (16 bytes, NUL-padded,
 *            e.g. "segmentation", "classifier", "rules"), section count u32, CRC32 of the
 *            header so far u32
 *   section: tag (16 bytes, NUL-padded), payload length u64, CRC32 u32 (over the tag, the
 *            length and the payload, so every byte of the file is covered), payload
 * A file is written to a temporary file, fsynced and renamed (crm_outfile). Opening checks
 * magic, version, every length against the file size and every CRC before anything is
 * decoded, so a truncated, corrupted or foreign file fails with CRM_EFORMAT and a message.
 *
 * Payloads are written and read with typed put/get calls. Readers are bounds-checked and
 * sticky: after the first short read every get returns CRM_EFORMAT, so decoders can read a
 * run of fields and check once. Strings are u32 length + bytes (no NUL in the file). */
#ifndef CRMKIT_MODEL_H
#define CRMKIT_MODEL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/status.h>

#define CRM_MODEL_FORMAT_VERSION 1u
#define CRM_MODEL_TAG_BYTES      16

typedef struct crm_model_writer crm_model_writer;
typedef struct crm_model_reader crm_model_reader;

/* One section being read: a cursor over its payload. Value type; borrows the reader. */
typedef struct crm_section {
    const unsigned char *data;
    size_t len;
    size_t pos;
    int failed; /* sticky: set by the first short or invalid read */
    char tag[CRM_MODEL_TAG_BYTES + 1];
} crm_section;

/* ---- writing ---- */

/** Start a model of the given kind (at most 15 characters). Errors: CRM_EINVAL, CRM_ENOMEM. */
/** Whether model files record run facts (fit times). Off by default, so the same inputs,
 *  options and seed give a byte-identical file that can be diffed, cached and versioned;
 *  `--stamp` turns it on for the process. Fit times are reported by --json either way. */
CRM_API void crm_model_set_stamp(int on);
CRM_API int crm_model_stamp(void);

CRM_API crm_status crm_model_writer_new(const char *kind, crm_model_writer **out, crm_error *err);
CRM_API void crm_model_writer_free(crm_model_writer *w); /* NULL is a no-op */
/** Open a new section; the previous one, if any, is closed. Tags (1 to 16 printable
 *  characters, no spaces) must be unique in a file: a repeat is CRM_EINVAL. A put before the
 *  first begin, or after an earlier put failed, is CRM_ESTATE. */
CRM_API crm_status crm_model_begin(crm_model_writer *w, const char *tag, crm_error *err);
CRM_API crm_status crm_model_put_u32(crm_model_writer *w, uint32_t v, crm_error *err);
CRM_API crm_status crm_model_put_i32(crm_model_writer *w, int32_t v, crm_error *err);
CRM_API crm_status crm_model_put_i64(crm_model_writer *w, int64_t v, crm_error *err);
CRM_API crm_status crm_model_put_f64(crm_model_writer *w, double v, crm_error *err);
CRM_API crm_status crm_model_put_str(crm_model_writer *w, const char *s, crm_error *err);

/* The longest name (column, category level, class, segment, item) a model file holds, in
 * bytes. Writers refuse a longer one when saving (crm_model_put_name) and every reader
 * accepts up to this length, so whatever crmkit writes, it reads back. */
#define CRM_MODEL_MAX_NAME 65536
/** crm_model_put_str for a name: CRM_ELIMIT, with a message saying what (e.g. "category
 *  level") is too long and by how much, when s is longer than CRM_MODEL_MAX_NAME bytes. */
CRM_API crm_status crm_model_put_name(crm_model_writer *w,
                                      const char *what,
                                      const char *s,
                                      crm_error *err);
CRM_API crm_status crm_model_put_bytes(crm_model_writer *w,
                                       const void *p,
                                       size_t n,
                                       crm_error *err);
CRM_API crm_status crm_model_put_f64s(crm_model_writer *w,
                                      const double *v,
                                      size_t n,
                                      crm_error *err);
CRM_API crm_status crm_model_put_i32s(crm_model_writer *w,
                                      const int32_t *v,
                                      size_t n,
                                      crm_error *err);
/** Write everything atomically to path. Errors: CRM_EIO (target untouched). */
CRM_API crm_status crm_model_writer_save(crm_model_writer *w, const char *path, crm_error *err);
/** The encoded file in memory (borrowed until the next call on w), for the server and tests. */
CRM_API crm_status crm_model_writer_bytes(crm_model_writer *w,
                                          const unsigned char **data,
                                          size_t *len,
                                          crm_error *err);

/* A run of puts that stops at the first failure: once rc is not CRM_OK every
 * crm_model_out_* call does nothing, so an encoder writes its fields one after another and
 * checks rc once. A value type over a borrowed writer: crm_model_out o = { w, err, CRM_OK }. */
typedef struct crm_model_out {
    crm_model_writer *w;
    crm_error *err;
    crm_status rc; /* CRM_OK, or the first failure */
} crm_model_out;
CRM_API void crm_model_out_begin(crm_model_out *o, const char *tag);
CRM_API void crm_model_out_u32(crm_model_out *o, uint32_t v);
CRM_API void crm_model_out_i32(crm_model_out *o, int32_t v);
CRM_API void crm_model_out_i64(crm_model_out *o, int64_t v);
CRM_API void crm_model_out_f64(crm_model_out *o, double v);
CRM_API void crm_model_out_str(crm_model_out *o, const char *s); /* NULL is written as "" */
CRM_API void crm_model_out_name(crm_model_out *o, const char *what, const char *s);
CRM_API void crm_model_out_bytes(crm_model_out *o, const void *p, size_t n);
CRM_API void crm_model_out_i32s(crm_model_out *o, const int32_t *v, size_t n);
CRM_API void crm_model_out_f64s(crm_model_out *o, const double *v, size_t n);

/* ---- reading ---- */

/** Open and verify a model file. Errors: CRM_ENOTFOUND, CRM_EIO, CRM_EFORMAT (not a crmkit
 *  model, another format version, truncated, CRC mismatch), CRM_ENOMEM. */
CRM_API crm_status crm_model_reader_open(const char *path, crm_model_reader **out, crm_error *err);
/** The same over bytes in memory (copied); source names them in messages. */
CRM_API crm_status crm_model_reader_open_mem(const void *data,
                                             size_t len,
                                             const char *source,
                                             crm_model_reader **out,
                                             crm_error *err);
CRM_API void crm_model_reader_free(crm_model_reader *r); /* NULL is a no-op */
/** Kind string from the header; borrowed. */
CRM_API const char *crm_model_reader_kind(const crm_model_reader *r);
CRM_API const char *crm_model_reader_source(const crm_model_reader *r);
CRM_API int32_t crm_model_reader_n_sections(const crm_model_reader *r);
/** True if a section with this tag exists. */
CRM_API int crm_model_reader_has(const crm_model_reader *r, const char *tag);
/** Cursor over the section called tag. Errors: CRM_EFORMAT (no such section). */
CRM_API crm_status crm_model_section(const crm_model_reader *r,
                                     const char *tag,
                                     crm_section *s,
                                     crm_error *err);
/** Cursor over section i in file order (tag in s->tag). */
CRM_API crm_status crm_model_section_at(const crm_model_reader *r,
                                        int32_t i,
                                        crm_section *s,
                                        crm_error *err);

CRM_API crm_status crm_section_get_u32(crm_section *s, uint32_t *v);
CRM_API crm_status crm_section_get_i32(crm_section *s, int32_t *v);
CRM_API crm_status crm_section_get_i64(crm_section *s, int64_t *v);
CRM_API crm_status crm_section_get_f64(crm_section *s, double *v);
/** A new NUL-terminated copy (crm_free it). A string longer than max_len is CRM_EFORMAT. */
CRM_API crm_status crm_section_get_str(crm_section *s, size_t max_len, char **out);
CRM_API crm_status crm_section_get_bytes(crm_section *s, void *p, size_t n);
CRM_API crm_status crm_section_get_f64s(crm_section *s, double *v, size_t n);
CRM_API crm_status crm_section_get_i32s(crm_section *s, int32_t *v, size_t n);
/** 1 when n, a count read from s, is one the bytes left in s could hold, each item taking at
 *  least min_bytes (> 0): s has not failed, n >= 0 and n * min_bytes <= what is left. Decoders
 *  check a count with it before they allocate for it, so a crafted count fails cleanly. */
CRM_API int crm_section_fits(const crm_section *s, int64_t n, size_t min_bytes);
/** CRM_EFORMAT with a message naming the section if s has failed or has bytes left over. */
CRM_API crm_status crm_section_finish(const crm_section *s,
                                      const crm_model_reader *r,
                                      crm_error *err);

/* ---- field lists ----
 * A run of fixed-size values, listed once in file order: crm_model_put_fields writes it and
 * crm_section_get_fields reads it back, so a model's save and load can share one list of what
 * its section holds. CRM_FIELD(&x) is one value, CRM_FIELDS(p, n) n of them; the kind (u32,
 * i32, i64 or f64 in the file) follows from the pointer's type. */
typedef enum crm_field_kind {
    CRM_FIELD_U32,
    CRM_FIELD_I32,
    CRM_FIELD_I64,
    CRM_FIELD_F64
} crm_field_kind;
typedef struct crm_field {
    crm_field_kind kind;
    const void *p; /* n values of the kind; crm_section_get_fields writes through it */
    size_t n;
} crm_field;
#define CRM_FIELD_KIND(p)                                                                          \
    _Generic((p), uint32_t *: CRM_FIELD_U32, const uint32_t *: CRM_FIELD_U32,                      \
             int32_t *: CRM_FIELD_I32, const int32_t *: CRM_FIELD_I32, int64_t *: CRM_FIELD_I64,    \
             const int64_t *: CRM_FIELD_I64, double *: CRM_FIELD_F64, const double *: CRM_FIELD_F64)
#define CRM_FIELDS(p, n)                                                                           \
    {                                                                                              \
        CRM_FIELD_KIND(p), (p), (size_t)(n)                                                        \
    }
#define CRM_FIELD(p)    CRM_FIELDS(p, 1)
#define CRM_N_FIELDS(f) (sizeof(f) / sizeof((f)[0]))

/** Put the n fields of f in order. Errors as the single puts. */
CRM_API crm_status crm_model_put_fields(crm_model_writer *w,
                                        const crm_field *f,
                                        size_t n,
                                        crm_error *err);
/** Get the n fields of f in order; like the single gets, a value past the end of s reads as 0
 *  and s is marked failed. CRM_EFORMAT when s has failed. */

CRM_API crm_status crm_section_get_fields(crm_section *s, const crm_field *f, size_t n);
/** CRM_EFORMAT with "corrupt model file: section \"<tag>\" is malformed", naming r's file. */
CRM_API crm_status crm_model_malformed(const crm_model_reader *r, const char *tag, crm_error *err);

#endif
