/* table_db_libs.h: the database libraries of table_db.c and table_db_store.c. Both are
 * compiled twice: with libpq and SQLite (crmkit-serve, libcrmkit), and with
 * CRM_TABLE_DB_NONE (crmkit, crmkit-mpi), which use neither. */
#ifndef CRM_IO_TABLE_DB_LIBS_H
#define CRM_IO_TABLE_DB_LIBS_H
#include <crmkit/config.h>

#ifdef CRM_TABLE_DB_NONE
#undef CRM_HAVE_PQ
#undef CRM_HAVE_SQLITE
#define CRM_HAVE_PQ     0
#define CRM_HAVE_SQLITE 0
#endif
#if CRM_HAVE_PQ
#include <libpq-fe.h>
#endif
#if CRM_HAVE_SQLITE
#include <sqlite3.h>
#endif

#endif
