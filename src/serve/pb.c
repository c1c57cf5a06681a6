/* pb.c: Acumos protobuf messages through protobuf-c's runtime, with the DataFrame descriptor
 * built at load time from the model's feature names (one repeated double or string field per
 * feature, numbered 1..n). protobuf-c's unpacker takes packed and unpacked repeated fields;
 * the packer emits packed ones (PROTOBUF_C_FIELD_FLAG_PACKED). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "serve_internal.h"

#if CRM_HAVE_PROTOBUFC

/* Layout of a decoded DataFrame: the base, then (count, values) per field. */
typedef struct pb_repeated {
    size_t n;
    void *values;
} pb_repeated;

#define PB_FIELD_OFFSET(f) (sizeof(ProtobufCMessage) + (size_t)(f) * sizeof(pb_repeated))

/* Field descriptors (pointers) by name, for protobuf-c's binary search over the names. */
static int by_name(const void *a, const void *b)
{
    return strcmp((*(const ProtobufCFieldDescriptor *const *)a)->name,
                  (*(const ProtobufCFieldDescriptor *const *)b)->name);
}

crm_status crm__serve_pb_init(crm_serve_model *m, crm_error *err)
{
    unsigned n = (unsigned)m->n_features;
    ProtobufCMessageDescriptor *d = &m->df_desc;
    if (m->kind == CRM_SERVE_RULES) {
        return CRM_OK;
    }
    m->df_fields = crm_calloc(n ? n : 1, sizeof *m->df_fields);
    m->df_sorted = crm_calloc(n ? n : 1, sizeof *m->df_sorted);
    if (m->df_fields == NULL || m->df_sorted == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    for (unsigned f = 0; f < n; f++) {
        ProtobufCFieldDescriptor *fd = &m->df_fields[f];
        fd->name = m->features[f].proto_name;
        fd->id = f + 1;
        fd->label = PROTOBUF_C_LABEL_REPEATED;
        fd->type = m->features[f].is_text ? PROTOBUF_C_TYPE_STRING : PROTOBUF_C_TYPE_DOUBLE;
        fd->quantifier_offset = (unsigned)(PB_FIELD_OFFSET(f) + offsetof(pb_repeated, n));
        fd->offset = (unsigned)(PB_FIELD_OFFSET(f) + offsetof(pb_repeated, values));
        fd->flags = m->features[f].is_text ? 0 : PROTOBUF_C_FIELD_FLAG_PACKED;
    }
    {
        /* by name with qsort: a model may have thousands of features */
        const ProtobufCFieldDescriptor **by = crm_mallocarray(n ? n : 1, sizeof *by);
        if (by == NULL) {
            return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
        for (unsigned f = 0; f < n; f++) {
            by[f] = &m->df_fields[f];
        }
        qsort(by, n, sizeof *by, by_name);
        for (unsigned f = 0; f < n; f++) {
            m->df_sorted[f] = (unsigned)(by[f] - m->df_fields);
        }
        crm_free(by);
    }
    m->df_ranges[0].start_value = 1;
    m->df_ranges[0].orig_index = 0;
    m->df_ranges[1].start_value = 0;
    m->df_ranges[1].orig_index = n;
    snprintf(m->df_cname, sizeof m->df_cname, "DataFrame");
    d->magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC;
    d->name = "DataFrame";
    d->short_name = "DataFrame";
    d->c_name = m->df_cname;
    d->package_name = "";
    d->sizeof_message = PB_FIELD_OFFSET(n);
    d->n_fields = n;
    d->fields = m->df_fields;
    d->fields_sorted_by_name = m->df_sorted;
    d->n_field_ranges = n ? 1 : 0;
    d->field_ranges = m->df_ranges;
    d->message_init = NULL;
    return CRM_OK;
}

void crm__serve_pb_fini(crm_serve_model *m)
{
    crm_free(m->df_fields);
    crm_free(m->df_sorted);
    m->df_fields = NULL;
    m->df_sorted = NULL;
}

crm_status crm__serve_parse_protobuf(crm__serve_cols *c,
                                     const void *body,
                                     size_t len,
                                     int64_t max_rows,
                                     crm_error *err)
{
    const crm_serve_model *m = c->m;
    ProtobufCMessage *msg;
    crm_status rc = CRM_OK;
    if (m->n_features == 0) {
        return crm__serve_fail(err, CRM_EDATA, NULL, "model has no features");
    }
    msg = protobuf_c_message_unpack(&m->df_desc, NULL, len, body);
    if (msg == NULL) {
        return crm__serve_fail(err, CRM_EPARSE, NULL,
                               "malformed protobuf: the body (%zu bytes) is not a DataFrame "
                               "message",
                               len);
    }
    if (msg->n_unknown_fields > 0) {
        unsigned tag = msg->unknown_fields[0].tag;
        protobuf_c_message_free_unpacked(msg, NULL);
        return crm__serve_fail(err, CRM_EDATA, NULL,
                               "unknown field number %u: the DataFrame of this model has fields "
                               "1..%d (see /model/artifacts/protobuf)",
                               tag, (int)m->n_features);
    }
    for (int32_t f = 0; f < m->n_features && rc == CRM_OK; f++) {
        const pb_repeated *r = (const pb_repeated *)((const char *)msg + PB_FIELD_OFFSET(f));
        if (r->n == 0) {
            continue; /* absent: proto3 cannot tell an empty column from a missing one */
        }
        rc = crm__serve_cols_column(c, f, (int64_t)r->n, max_rows, err);
        if (rc != CRM_OK) {
            break;
        }
        if (m->features[f].is_text) {
            char **s = r->values;
            for (size_t i = 0; i < r->n && rc == CRM_OK; i++) {
                c->txt[f][i] = crm_strdup(s[i] ? s[i] : "");
                if (c->txt[f][i] == NULL) {
                    rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
                }
            }
        } else {
            memcpy(c->num[f], r->values, r->n * sizeof(double));
        }
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* Predictions { repeated int64 predictions = 1; } */
typedef struct pb_predictions {
    ProtobufCMessage base;
    size_t n;
    int64_t *values;
} pb_predictions;

static const ProtobufCFieldDescriptor pred_field = { "predictions",
                                                     1,
                                                     PROTOBUF_C_LABEL_REPEATED,
                                                     PROTOBUF_C_TYPE_INT64,
                                                     offsetof(pb_predictions, n),
                                                     offsetof(pb_predictions, values),
                                                     NULL,
                                                     NULL,
                                                     PROTOBUF_C_FIELD_FLAG_PACKED,
                                                     0,
                                                     NULL,
                                                     NULL };
static const unsigned pred_sorted[1] = { 0 };
static const ProtobufCIntRange pred_ranges[2] = { { 1, 0 }, { 0, 1 } };
static const ProtobufCMessageDescriptor pred_desc = { PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
                                                      "Predictions",
                                                      "Predictions",
                                                      "Predictions",
                                                      "",
                                                      sizeof(pb_predictions),
                                                      1,
                                                      &pred_field,
                                                      pred_sorted,
                                                      1,
                                                      pred_ranges,
                                                      NULL,
                                                      NULL,
                                                      NULL,
                                                      NULL };

crm_status crm_serve_encode_predictions(const int64_t *pred,
                                        int64_t n,
                                        uint8_t **out,
                                        size_t *len,
                                        crm_error *err)
{
    pb_predictions msg;
    size_t size;
    memset(&msg, 0, sizeof msg);
    msg.base.descriptor = &pred_desc;
    msg.n = (size_t)n;
    msg.values = (int64_t *)pred;
    size = protobuf_c_message_get_packed_size(&msg.base);
    *out = crm_malloc(size ? size : 1);
    if (*out == NULL) {
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    *len = protobuf_c_message_pack(&msg.base, *out);
    return CRM_OK;
}

#else

crm_status crm__serve_pb_init(crm_serve_model *m, crm_error *err)
{
    (void)m;
    (void)err;
    return CRM_OK;
}

void crm__serve_pb_fini(crm_serve_model *m)
{
    (void)m;
}

crm_status crm__serve_parse_protobuf(crm__serve_cols *c,
                                     const void *body,
                                     size_t len,
                                     int64_t max_rows,
                                     crm_error *err)
{
    (void)c;
    (void)body;
    (void)len;
    (void)max_rows;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "protobuf requests need protobuf-c, "
                           "which this build lacks");
}

crm_status crm_serve_encode_predictions(const int64_t *pred,
                                        int64_t n,
                                        uint8_t **out,
                                        size_t *len,
                                        crm_error *err)
{
    (void)pred;
    (void)n;
    *out = NULL;
    *len = 0;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL,
                           "protobuf needs protobuf-c, which this "
                           "build lacks");
}

#endif
