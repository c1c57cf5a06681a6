/* dist_internal.h: what the files of src/dist share. CMakeLists.txt compiles them twice in a
 * build with MPI: with Open MPI for crmkit-mpi and libcrmkit, and with CRM_DIST_ONE_PROCESS
 * (as a build without MPI) for the crmkit program, which then does not load the MPI library. */
#ifndef CRM_DIST_INTERNAL_H
#define CRM_DIST_INTERNAL_H
#include <crmkit/config.h>

#ifdef CRM_DIST_ONE_PROCESS
#undef CRM_HAVE_MPI
#define CRM_HAVE_MPI 0
#endif
#if CRM_HAVE_MPI
#include <mpi.h>
#endif

#include <stdint.h>

#include <crmkit/status.h>

/* *out = the offset just after the first '\n' at or after pos in fd, or size when there is
 * none before size; a read error names path in err (which may be NULL). */
crm_status crm__dist_next_line_start(int fd,
                                     int64_t pos,
                                     int64_t size,
                                     int64_t *out,
                                     const char *path,
                                     crm_error *err);

#endif
