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

#endif
