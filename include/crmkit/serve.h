/* crmkit/serve.h: serving saved models over HTTP (Acumos-compatible protobuf and JSON,
 * MLflow-style /invocations, crmkit's /v1 JSON API, customer lookup from a SQLite store).
 *
 * Three layers, usable separately:
 *   - crm_serve_model: one loaded model file of any kind crmkit makes (segmentation,
 *     classifier, rules), with its feature list, the Acumos .proto and metadata generated
 *     from it, and scoring of a request body in any of the accepted formats. It needs no
 *     HTTP library (the request parsers are fuzzed through it).
 *   - crm_store: the customer store `crmkit load` builds and the server reads.
 *   - crm_server: the HTTP server (libmicrohttpd), several models by name, hot reload.
 *
 * Parts of this header whose libraries the build lacks return CRM_EUNSUPPORTED (see
 * crmkit/config.h: CRM_HAVE_SERVER, CRM_HAVE_JANSSON, CRM_HAVE_PROTOBUFC, CRM_HAVE_SQLITE).
 *
 * Thread safety: a loaded crm_serve_model is read-only; parsing and scoring may run on any
 * number of threads at once. A crm_server serves on its own threads; crm_server_reload and
 * crm_server_stop may be called from any one thread (for example a signal-waiting loop). */
#ifndef CRMKIT_SERVE_H
#define CRMKIT_SERVE_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/status.h>

/* ---- one servable model ---- */

typedef struct crm_serve_model crm_serve_model; /* opaque */

typedef enum crm_serve_kind {
    CRM_SERVE_SEGMENTATION = 0, /* crmkit segment: predictions are segment numbers */
    CRM_SERVE_CLASSIFIER = 1,   /* crmkit train: predictions are classes */
    CRM_SERVE_RULES = 2,        /* crmkit rules: recommendations only */
    CRM_SERVE_TWOLAYER = 3      /* crmkit segment --spec: predictions number the segments of
                                   every group in order; names are "Group/Segment" */
} crm_serve_kind;

/** Static name of a kind: "segmentation", "classifier", "rules", "twolayer". */
CRM_API const char *crm_serve_kind_name(crm_serve_kind k);

/** Load the model file at path (kind found from the file) under a name used in routes and
 *  metrics. Errors: those of the kind's _load (CRM_ENOTFOUND, CRM_EIO, CRM_EFORMAT, ...),
 *  CRM_EUNSUPPORTED for a kind that cannot be served. *out owns a new object. */
CRM_API crm_status crm_serve_model_load(const char *name,
                                        const char *path,
                                        crm_serve_model **out,
                                        crm_error *err);
CRM_API void crm_serve_model_free(crm_serve_model *m); /* NULL is a no-op */

CRM_API const char *crm_serve_model_name(const crm_serve_model *m);
CRM_API const char *crm_serve_model_path(const crm_serve_model *m);
CRM_API crm_serve_kind crm_serve_model_kind(const crm_serve_model *m);
/** Version of the loaded file: 16 hex digits of a hash of its bytes (borrowed). */
CRM_API const char *crm_serve_model_version(const crm_serve_model *m);
/** Input features in model order; 0 for a rules model. Borrowed names. */
CRM_API int32_t crm_serve_model_n_features(const crm_serve_model *m);
CRM_API const char *crm_serve_model_feature(const crm_serve_model *m, int32_t f);
/** Whether feature f is categorical (text values; a string field in the .proto). */
CRM_API int crm_serve_model_feature_is_text(const crm_serve_model *m, int32_t f);
/** The Acumos .proto text (borrowed): message DataFrame with one repeated field per
 *  feature numbered 1..n, message Predictions, service Model. */
CRM_API const char *crm_serve_model_proto(const crm_serve_model *m);
/** Metadata JSON text (borrowed): name, kind, version, features, classes or segments. */
CRM_API const char *crm_serve_model_metadata(const crm_serve_model *m);

/* Request body formats. */
typedef enum crm_serve_format {
    CRM_SERVE_PROTOBUF = 0, /* Acumos DataFrame message, packed or unpacked fields */
    CRM_SERVE_JSON = 1,     /* DataFrame in protobuf's JSON mapping: {"f":[..],...} */
    CRM_SERVE_ROWS = 2,     /* crmkit /v1: {"rows":[{"f":v,...},...]} */
    CRM_SERVE_MLFLOW = 3,   /* dataframe_split, dataframe_records or instances */
    CRM_SERVE_CSV = 4       /* text/csv with a header row */
} crm_serve_format;

/** Parse a request body of the given format into a table holding the model's features
 *  (numeric columns as doubles, categorical as text), n_rows >= 1. Every feature must be
 *  present, no other name may appear, columns must be of equal length and values finite.
 *  Errors: CRM_EPARSE (malformed body), CRM_EDATA (unknown or missing feature, unequal
 *  lengths, NaN or infinite value, wrong value type, no rows: the message says which),
 *  CRM_ELIMIT (more than max_rows rows; 0 = no limit), CRM_EUNSUPPORTED (format not built),
 *  CRM_ENOMEM. *out owns a new table. */
CRM_API crm_status crm_serve_parse(const crm_serve_model *m,
                                   crm_serve_format format,
                                   const void *body,
                                   size_t len,
                                   int64_t max_rows,
                                   crm_table **out,
                                   crm_error *err);

/** Score the rows of t: labels[n_rows] receive segment numbers (segmentation) or class
 *  indices (classifier); proba (may be NULL; classifier only) receives n_rows x n_classes
 *  probabilities. scaled != 0 takes the features as already scaled (segmentation models
 *  whose features are all numeric, without outlier flags): the model's cleaning is skipped.
 *  Errors: CRM_EINVAL (scaled with a model that cannot take it, a rules model), those of
 *  crm_segmenter_assign / crm_classifier_predict_proba. */
CRM_API crm_status crm_serve_score(const crm_serve_model *m,
                                   const crm_table *t,
                                   int scaled,
                                   int32_t *labels,
                                   double *proba,
                                   crm_error *err);
/** Number of classes (classifier) or segments (segmentation); 0 for rules. */
CRM_API int32_t crm_serve_model_n_outputs(const crm_serve_model *m);
/** Name of class or segment i (borrowed). */
CRM_API const char *crm_serve_model_output_name(const crm_serve_model *m, int32_t i);
/** The int64 Acumos prediction of label i: the segment number; for a classifier the class
 *  value when it is a whole number, else the class index. */
CRM_API int64_t crm_serve_model_prediction(const crm_serve_model *m, int32_t label);

/** Encode predictions as an Acumos Predictions message (packed). *out is a new buffer
 *  (crm_free), *len its size. Errors: CRM_ENOMEM, CRM_EUNSUPPORTED. */
CRM_API crm_status crm_serve_encode_predictions(const int64_t *pred,
                                                int64_t n,
                                                uint8_t **out,
                                                size_t *len,
                                                crm_error *err);

/* ---- customer store (SQLite) ---- */

typedef struct crm_store_params {
    const char *customers;       /* customers CSV (required); first id column is the key */
    const char *labels;          /* id,segment CSV; or NULL */
    const char *predictions;     /* crmkit predict output (id, class[, risk, p_*]); or NULL */
    const char *recommendations; /* crmkit recommend --baskets output; or NULL */
    /* For the dashboard: an earlier labelling of the same customers (id, segment[,
     * segment_name]: last month's) for the segment transitions; owned services (a VAS log
     * as crmkit gen vas writes, or a long CSV customer,item); the 0/1 column whose rate the
     * risk deciles report (NULL: the first numeric column named like "churn"). Each NULL
     * when absent. */
    const char *previous_labels;
    const char *services;
    const char *target;
    const char *output; /* store file, written atomically */
    /* How to read the customers CSV (separator, missing markers, types); NULL: defaults. */
    const crm_csv_options *customers_csv;
} crm_store_params;

typedef struct crm_store_stats {
    int64_t n_customers;
    int64_t n_labelled;
    int64_t n_predicted;
    int64_t n_recommended;
    double seconds;
} crm_store_stats;

/** Build a store: one table of customers keyed by id with the record as JSON, segment,
 *  risk and recommendations; indexes by id and by segment. One transaction; written to a
 *  temporary file and renamed. Errors: those of crm_table_read_csv, CRM_EDATA (no id
 *  column, duplicate id, label rows for unknown ids are counted, not errors), CRM_EIO,
 *  CRM_EUNSUPPORTED (no SQLite), CRM_ENOMEM. */
CRM_API crm_status crm_store_build(const crm_store_params *p,
                                   crm_store_stats *stats,
                                   crm_error *err);

/* ---- the HTTP server ---- */

typedef struct crm_server crm_server; /* opaque */

#define CRM_SERVER_MAX_MODELS 32

typedef struct crm_server_params { /* transparent; start from crm_server_params_default() */
    const char *host;              /* "127.0.0.1"; "0.0.0.0" for every interface */
    int32_t port;                  /* 3330; 0 = any free port (crm_server_port) */
    int32_t n_threads;             /* worker threads; 0 = number of CPUs */
    int64_t max_body_bytes;        /* larger bodies get 413; 64 MiB */
    int32_t timeout_s;             /* idle connection / slow request timeout; 30 */
    int32_t drain_s;               /* crm_server_stop waits this long for requests; 10 */
    int64_t max_rows;              /* rows per request; 10,000,000 */
    const char *admin_token;       /* bearer token of /admin routes; NULL = admin off */
    const char *access_log;        /* file for one line per request; NULL = none */
    const char *web_dir;           /* static files served under / ; NULL = none */
    const char *store;             /* SQLite customer store; NULL = no lookup routes */
    int32_t n_models;
    const char *model_names[CRM_SERVER_MAX_MODELS]; /* NULL name = the file's base name */
    const char *model_paths[CRM_SERVER_MAX_MODELS]; /* the first is the default model */
} crm_server_params;

CRM_API crm_server_params crm_server_params_default(void);

/** Create a server; nothing is loaded and nothing listens yet. Errors: CRM_EINVAL (bad
 *  params: duplicate model names, no model), CRM_EUNSUPPORTED (built without the server),
 *  CRM_EIO (access log), CRM_ENOMEM. */
CRM_API crm_status crm_server_new(const crm_server_params *p, crm_server **out, crm_error *err);
/** Start listening (/healthz answers, /readyz is 503) and return. Errors: CRM_EIO (cannot
 *  bind: err names the address). */
CRM_API crm_status crm_server_start(crm_server *s, crm_error *err);
/** Load every model (and the store) for the first time; /readyz turns 200 after. Errors: the
 *  first model that fails (the server keeps answering 503 on /readyz). */
CRM_API crm_status crm_server_load(crm_server *s, crm_error *err);
/** Reload every model from its file: each is loaded and checked, then swapped in atomically;
 *  requests in flight finish on the old one. A file that fails leaves its old model serving.
 *  *n_failed (may be NULL) counts them; the report (may be NULL) gets a JSON summary
 *  (crm_free it). Errors: CRM_EDATA when any model failed (err names the first). */
CRM_API crm_status crm_server_reload(crm_server *s,
                                     int32_t *n_failed,
                                     char **report,
                                     crm_error *err);
/** The port listened on (useful with port 0). */
CRM_API int32_t crm_server_port(const crm_server *s);
/** Stop accepting connections, let requests in flight finish (up to drain_s), stop. */
CRM_API void crm_server_stop(crm_server *s);
CRM_API void crm_server_free(crm_server *s); /* stops first; NULL is a no-op */
/** Log sink for the server's own messages (start, reload, errors); default stderr. */
CRM_API void crm_server_set_log(crm_server *s, void (*fn)(void *ud, const char *line), void *ud);

#endif
