/* serve_internal.h: what the files of src/serve share (private to this module). */
#ifndef CRM_SERVE_INTERNAL_H
#define CRM_SERVE_INTERNAL_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <crmkit/classify.h>
#include <crmkit/config.h>
#include <crmkit/rules.h>
#include <crmkit/segment.h>
#include <crmkit/serve.h>
#include <crmkit/twolayer.h>

#include "core/core_internal.h"

#if CRM_HAVE_PROTOBUFC
#include <protobuf-c/protobuf-c.h>
#endif

/* One input feature and the names a request may use for it. */
typedef struct crm__serve_feature {
    char *name;       /* as in the model */
    char *proto_name; /* a valid .proto identifier (name with other bytes as '_') */
    char *json_name;  /* protobuf's lowerCamelCase JSON name of proto_name */
    int is_text;      /* categorical: strings */
} crm__serve_feature;

struct crm_serve_model {
    char *name;
    char *path;
    crm_serve_kind kind;
    crm_segmenter *seg;
    crm_classifier *clf;
    crm_rules *rules;
    crm_twolayer *tl;
    int32_t *tl_first; /* [n_groups + 1]: first output of each group */
    char **out_names;  /* [n_outputs] for two-layer models */
    int32_t n_features;
    crm__serve_feature *features;
    int32_t n_outputs;
    int64_t *pred_values; /* [n_outputs]: crm_serve_model_prediction */
    int scaled_ok;        /* scaled input accepted (numeric features only, no flags) */
    int32_t *scaled_col;  /* [n_features]: design column of feature f */
    char version[17];
    char *proto_text;
    char *metadata;
    double loaded_at; /* Unix time */
    atomic_int refs;  /* used by the server's model slots */
#if CRM_HAVE_PROTOBUFC
    ProtobufCMessageDescriptor df_desc;
    ProtobufCFieldDescriptor *df_fields;
    unsigned *df_sorted;
    ProtobufCIntRange df_ranges[2];
    char df_cname[64];
#endif
};

/* A request's columns before they become a table: col[f] holds n_rows values of feature f
 * (num[f] for numeric features, txt[f] for text; NULL until the feature was seen). */
typedef struct crm__serve_cols {
    const crm_serve_model *m;
    int64_t n_rows; /* -1 until the first column is seen */
    double **num;
    char ***txt;
    int64_t *len; /* filled length per feature (row-wise parsing) */
} crm__serve_cols;

crm_status crm__serve_cols_init(crm__serve_cols *c, const crm_serve_model *m, crm_error *err);
void crm__serve_cols_fini(crm__serve_cols *c);
/* Index of the feature a request calls name (model, proto or JSON name), or -1. */
int32_t crm__serve_find_feature(const crm_serve_model *m, const char *name, size_t len);
/* Set the row count (first column fixes it; later ones must match) and allocate column f.
 * Errors: CRM_EDATA (duplicate feature, unequal length), CRM_ELIMIT, CRM_ENOMEM. */
crm_status
crm__serve_cols_column(crm__serve_cols *c, int32_t f, int64_t n, int64_t max_rows, crm_error *err);
/* Check every feature is present and every value finite, then build the table. */
crm_status crm__serve_cols_table(crm__serve_cols *c, crm_table **out, crm_error *err);
/* Error helper: fills err (code, field, message) and returns code. */
crm_status crm__serve_fail(crm_error *err, crm_status code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parsers by format (CRM_EUNSUPPORTED when their library is absent). */
crm_status crm__serve_parse_protobuf(crm__serve_cols *c,
                                     const void *body,
                                     size_t len,
                                     int64_t max_rows,
                                     crm_error *err);
crm_status crm__serve_parse_json(crm__serve_cols *c,
                                 crm_serve_format format,
                                 const void *body,
                                 size_t len,
                                 int64_t max_rows,
                                 crm_error *err);
/* /v1/recommend with a rules model: the answer JSON in *out (crm_free). */
crm_status crm__serve_recommend(const crm_serve_model *m,
                                const void *body,
                                size_t len,
                                int32_t max_top,
                                char **out,
                                crm_error *err);
/* Build the dynamic DataFrame descriptor of m (no-op without protobuf-c). */
crm_status crm__serve_pb_init(crm_serve_model *m, crm_error *err);
void crm__serve_pb_fini(crm_serve_model *m);

/* Replies are built in core's crm__sbuf (core/core_internal.h). */
/* s as a JSON string literal with quotes. */
void crm__sbuf_json_str(crm__sbuf *b, const char *s);
/* A double as JSON (shortest exact form; null when not finite). */
void crm__sbuf_json_num(crm__sbuf *b, double v);
void crm__sbuf_fini(crm__sbuf *b);
/* The end of building a reply: when rc is CRM_OK and every put succeeded, the text into *out
 * (the caller owns it) and CRM_OK; otherwise the buffer freed and rc, or CRM_ENOMEM "out of
 * memory" when a put failed. */
crm_status crm__sbuf_take(crm__sbuf *b, crm_status rc, char **out, crm_error *err);

#endif
