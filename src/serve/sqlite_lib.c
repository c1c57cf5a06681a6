/* sqlite_lib.c: SQLite opened with dlopen by the first store or dashboard opened, not linked:
 * linked, libsqlite3 is loaded and relocated at every start of every crmkit command (about
 * 2 ms of CPU, measured with bench/regress.sh), and only `load` and `serve` use it. */
#include <crmkit/config.h>

#if CRM_HAVE_SQLITE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* the real names: this file calls the library only through the pointers it fills */
#include <sqlite3.h>

#include "sqlite_lib.h"

crm__sqlite_lib crm__sqlite;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_ok;
static char load_why[300];

/* dlsym's object pointer into the function pointer at fn (C has no cast between the two). */
static int sym(void *lib, const char *name, void *fn, size_t size)
{
    void *p = dlsym(lib, name);
    if (p != NULL) {
        memcpy(fn, &p, size);
    }
    return p != NULL;
}

#define SQL_SYM(lib, f) sym(lib, "sqlite3_" #f, &l.f, sizeof l.f)

static void load(void)
{
    crm__sqlite_lib l;
    const char *why;
    void *lib = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        lib = dlopen("libsqlite3.so", RTLD_NOW | RTLD_LOCAL);
    }
    if (lib != NULL && SQL_SYM(lib, bind_double) &&
        SQL_SYM(lib, bind_int) &&
        SQL_SYM(lib, bind_int64) &&
        SQL_SYM(lib, bind_null) &&
        SQL_SYM(lib, bind_text) &&
        SQL_SYM(lib, clear_bindings) &&
        SQL_SYM(lib, column_double) &&
        SQL_SYM(lib, column_int) &&
        SQL_SYM(lib, column_int64) &&
        SQL_SYM(lib, column_text) &&
        SQL_SYM(lib, column_type) &&
        SQL_SYM(lib, exec) &&
        SQL_SYM(lib, finalize) &&
        SQL_SYM(lib, prepare_v2) &&
        SQL_SYM(lib, prepare_v3) &&
        SQL_SYM(lib, reset) &&
        SQL_SYM(lib, step) &&
        SQL_SYM(lib, open_v2) &&
        SQL_SYM(lib, close) &&
        SQL_SYM(lib, errmsg)) {
        crm__sqlite = l;
        load_ok = 1;
        return;
    }
    why = dlerror();
    snprintf(load_why, sizeof load_why, "SQLite (libsqlite3.so.0) cannot be loaded: %s",
             why != NULL ? why : "a symbol is missing");
}

int crm__sqlite_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs)
{
    (void)pthread_once(&once, load);
    if (!load_ok) {
        *db = NULL;
        return SQLITE_CANTOPEN;
    }
    return crm__sqlite.open_v2(name, db, flags, vfs);
}

int crm__sqlite_close(sqlite3 *db)
{
    return load_ok ? crm__sqlite.close(db) : SQLITE_OK;
}

const char *crm__sqlite_errmsg(sqlite3 *db)
{
    return load_ok ? crm__sqlite.errmsg(db) : load_why;
}
#endif
