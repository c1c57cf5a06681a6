/* launch.c: whether mpirun started this process, from its environment alone. Apart from
 * dist.c (which CMakeLists.txt compiles with and without MPI) so that one copy serves both,
 * and the crmkit program, which has no MPI library, can ask before it runs crmkit-mpi. */
#include <stdlib.h>

#include <crmkit/dist.h>

int crm_dist_launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                        "PMI_SIZE" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (getenv(vars[i]) != NULL) {
            return 1;
        }
    }
    return 0;
}
