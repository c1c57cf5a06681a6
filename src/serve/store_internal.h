/* store_internal.h: the server's read side of the customer store (src/serve only). */
#ifndef CRM_STORE_INTERNAL_H
#define CRM_STORE_INTERNAL_H
#include <stdint.h>

#include <crmkit/status.h>

typedef struct crm__store crm__store;

/* Segment names for answers: fn returns the name of segment id, or NULL. */
typedef struct crm__store_names {
    const char *(*fn)(void *ud, int64_t segment);
    void *ud;
} crm__store_names;

crm_status crm__store_open(const char *path, crm__store **out, crm_error *err);
void crm__store_free(crm__store *s);
/* JSON of one customer in *out (crm_free). CRM_ENOTFOUND when there is no such id. */
crm_status crm__store_customer(crm__store *s,
                               const char *id,
                               const crm__store_names *names,
                               char **out,
                               crm_error *err);
/* Which page of a segment. */
typedef struct crm__store_page {
    const char *segment; /* a number or a name */
    int64_t offset;
    int64_t limit;
    /* id, risk, -risk, or a column name (prefix '-' = descending); NULL = id */
    const char *sort;
    /* COL=V, COL<V, COL>V (V a number for numeric columns, text otherwise), or risk>V /
     * risk<V; NULL = none */
    const char *filter;
} crm__store_page;

/* A page of a segment's customers as JSON in *out. */
crm_status crm__store_segment(crm__store *s,
                              const crm__store_page *q,
                              const crm__store_names *names,
                              char **out,
                              crm_error *err);

/* For the dashboard (dash.c): a pooled read-only connection (NULL on failure; give it back
 * with crm__store_conn_release), and the store's columns in CSV order. */
struct sqlite3;
struct sqlite3 *crm__store_conn(crm__store *s);
void crm__store_conn_release(crm__store *s, struct sqlite3 *db);
int crm__store_n_columns(const crm__store *s);
int crm__store_id_column(const crm__store *s); /* or -1 */
const char *crm__store_column(const crm__store *s, int j);
int crm__store_column_numeric(const crm__store *s, int j);
#endif
