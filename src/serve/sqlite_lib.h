/* sqlite_lib.h: SQLite for the customer store and the dashboard, opened with dlopen on the
 * first sqlite3_open_v2 (see sqlite_lib.c). Included instead of <sqlite3.h> by the files that
 * call SQLite: the calls below go through the loaded library's functions. */
#ifndef CRM_SERVE_SQLITE_LIB_H
#define CRM_SERVE_SQLITE_LIB_H

#include <crmkit/config.h>

#if CRM_HAVE_SQLITE
#include <sqlite3.h>

typedef struct crm__sqlite_lib {
    __typeof__(&sqlite3_bind_double) bind_double;
    __typeof__(&sqlite3_bind_int) bind_int;
    __typeof__(&sqlite3_bind_int64) bind_int64;
    __typeof__(&sqlite3_bind_null) bind_null;
    __typeof__(&sqlite3_bind_text) bind_text;
    __typeof__(&sqlite3_clear_bindings) clear_bindings;
    __typeof__(&sqlite3_column_double) column_double;
    __typeof__(&sqlite3_column_int) column_int;
    __typeof__(&sqlite3_column_int64) column_int64;
    __typeof__(&sqlite3_column_text) column_text;
    __typeof__(&sqlite3_column_type) column_type;
    __typeof__(&sqlite3_exec) exec;
    __typeof__(&sqlite3_finalize) finalize;
    __typeof__(&sqlite3_prepare_v2) prepare_v2;
    __typeof__(&sqlite3_prepare_v3) prepare_v3;
    __typeof__(&sqlite3_reset) reset;
    __typeof__(&sqlite3_step) step;
    __typeof__(&sqlite3_open_v2) open_v2;
    __typeof__(&sqlite3_close) close;
    __typeof__(&sqlite3_errmsg) errmsg;
} crm__sqlite_lib;

extern crm__sqlite_lib crm__sqlite;

/* sqlite3_open_v2 after loading the library; SQLITE_CANTOPEN (and *db NULL) when it cannot
 * be loaded, crm__sqlite_errmsg then saying why. */
int crm__sqlite_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs);
/* sqlite3_close and sqlite3_errmsg that also work when the library could not be loaded */
int crm__sqlite_close(sqlite3 *db);
const char *crm__sqlite_errmsg(sqlite3 *db);

#define sqlite3_bind_double crm__sqlite.bind_double
#define sqlite3_bind_int crm__sqlite.bind_int
#define sqlite3_bind_int64 crm__sqlite.bind_int64
#define sqlite3_bind_null crm__sqlite.bind_null
#define sqlite3_bind_text crm__sqlite.bind_text
#define sqlite3_clear_bindings crm__sqlite.clear_bindings
#define sqlite3_column_double crm__sqlite.column_double
#define sqlite3_column_int crm__sqlite.column_int
#define sqlite3_column_int64 crm__sqlite.column_int64
#define sqlite3_column_text crm__sqlite.column_text
#define sqlite3_column_type crm__sqlite.column_type
#define sqlite3_exec crm__sqlite.exec
#define sqlite3_finalize crm__sqlite.finalize
#define sqlite3_prepare_v2 crm__sqlite.prepare_v2
#define sqlite3_prepare_v3 crm__sqlite.prepare_v3
#define sqlite3_reset crm__sqlite.reset
#define sqlite3_step crm__sqlite.step
#define sqlite3_open_v2 crm__sqlite_open_v2
#define sqlite3_close crm__sqlite_close
#define sqlite3_errmsg crm__sqlite_errmsg
#endif

#endif
