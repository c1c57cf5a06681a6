/* dash_internal.h: the dashboard's side of the store and its /v1/dashboard answers (private
 * to src/serve).
 *
 * `crmkit load` writes, beside the customers' JSON records, a table "data" with one typed SQL
 * column per CSV column (c0, c1, ... in CSV order; REAL for numbers, TEXT otherwise), the
 * customer's segment and risk (then prev_segment and services), indexed by segment and id, so
 * that pages of a filtered, sorted segment are one indexed query, and precomputed aggregates in
 * the meta table ("dash_segments": size and mean risk per segment; "dash_risk_q": the 101
 * percentiles of the risk; "dash_gains": the risk deciles with the target's rate;
 * "dash_transitions": customers by earlier and current segment), so that the overview never
 * scans the customers. */
#ifndef CRM_SERVE_DASH_INTERNAL_H
#define CRM_SERVE_DASH_INTERNAL_H
#include <stdint.h>

#include <crmkit/io.h>
#include <crmkit/status.h>

#include "serve_internal.h"
#include "store_internal.h"

typedef struct sqlite3 sqlite3;

#define CRM_DASH_MAX_FILTERS 16

/* What `crmkit load` gathered per customer (row of the customers table). */
typedef struct crm__dash_side {
    const int64_t *segment;        /* -1 = none */
    const double *risk;            /* NaN = none */
    const int64_t *prev_segment;   /* -1 = none; NULL without --previous-labels */
    const char *const *prev_names; /* [n_prev_names]: names of the earlier segments, or NULL */
    int64_t n_prev_names;
    const char *prev_source; /* the earlier labelling's file */
    char *const *services;   /* "A;B;C" or NULL per customer; NULL without --services */
    const char *target;      /* column for the risk deciles' rate, or NULL = auto */
} crm__dash_side;

/* At load time, inside the store's open transaction. */
crm_status crm__dash_store_write(sqlite3 *db,
                                 const crm_table *t,
                                 int32_t id_col,
                                 const crm__dash_side *ds,
                                 crm_error *err);
/* {"services":[...],"previous_segment":N|null} of one customer in *out (crm_free);
 * CRM_ENOTFOUND when there is no such id. */
crm_status crm__dash_customer(crm__store *st, const char *id, char **out, crm_error *err);

/* The store's data table in memory, column by column (dash_query.c). */
typedef struct crm__dash_cache crm__dash_cache;
crm_status
crm__dash_cache_build(crm__store *st, sqlite3 *db, crm__dash_cache **out, crm_error *err);
void crm__dash_cache_free(crm__dash_cache *c); /* NULL is a no-op */
/* The store's copy, built on first use under the store's lock (store.c). */
crm_status crm__store_dash_cache(crm__store *s, const crm__dash_cache **out, crm_error *err);

/* A customer-list query as the dashboard sends it: segment "all" or a number; each filter
 * "COL:LO..HI" (either bound may be empty) or "COL:=V1|V2|..."; sort "COL" or "-COL" (COL may
 * also be id, segment, risk). */
typedef struct crm__dash_query {
    const char *segment;
    const char *filters[CRM_DASH_MAX_FILTERS];
    int n_filters;
    const char *sort;
    int64_t offset;
    int64_t limit; /* ignored for CSV */
} crm__dash_query;

/* The overview JSON in *out (crm_free). seg (a segmentation model) and rules may be NULL. */
crm_status crm__dash_overview(crm__store *st,
                              const crm_serve_model *seg,
                              const crm_serve_model *rules,
                              char **out,
                              crm_error *err);
/* One page as JSON {"total","offset","limit","columns","rows"} (csv 0), or every matching row
 * as CSV with a header (csv 1), in *out / *len (crm_free). Errors: CRM_EDATA (bad segment,
 * filter or sort, message names the parameter), CRM_EIO. */
crm_status crm__dash_customers(crm__store *st,
                               const crm__dash_query *q,
                               const crm__store_names *names,
                               int csv,
                               char **out,
                               size_t *len,
                               crm_error *err);

#endif
