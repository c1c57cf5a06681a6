/* web_assets.h: the dashboard's built files (web/dist), embedded in the library so that
 * `crmkit serve` needs no files and no network at run time. */
#ifndef CRM_SERVE_WEB_ASSETS_H
#define CRM_SERVE_WEB_ASSETS_H
#include <stddef.h>

typedef struct crm__web_asset {
    const char *path; /* "/", "/app.js", ... */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
} crm__web_asset;

/** Fill *out with the embedded file served at path (the query string already removed);
 *  0 when there is none (or the dashboard was not embedded). */
int crm__web_asset_find(const char *path, crm__web_asset *out);

#endif
