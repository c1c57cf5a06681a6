/* waitpolicy.c: OpenMP threads that sleep, not spin, while they wait, without the user
 * setting anything.
 *
 * libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, in its own constructor, before
 * main() runs; with neither set, a waiting thread spins for about 300,000 rounds before it
 * sleeps. On a machine shared with other work that spinning takes the core from the thread
 * that has the work, and `crmkit train --algo gbt` on the telco table took 5-11 s beside a
 * load on both cores against 0.6 s with one thread. A setenv() in main() is too late, and so
 * is a constructor in the program (libgomp's runs first) or a .preinit_array function (glibc
 * sets the environment again after it: measured, the threads still spin).
 *
 * So the program starts itself once more: when neither variable is set (the user's choice
 * always wins) and more than one thread can run, it sets OMP_WAIT_POLICY=passive and a marker
 * and executes /proc/self/exe with the same arguments. The marker makes a second restart
 * impossible even if the environment could not be changed; a failed exec just goes on with
 * the spinning default. The cost is one exec, about a millisecond. Thread counts are not
 * touched: --threads and OMP_NUM_THREADS still decide them. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MARKER "CRMKIT_WAIT_POLICY_SET"

/* True when every OpenMP team has one thread, so the wait policy does not matter. --threads 1
 * is not enough: OpenBLAS's products still run on omp_get_max_threads() threads. */
static bool one_thread(void)
{
    const char *env = getenv("OMP_NUM_THREADS");
    if (env != NULL && strcmp(env, "1") == 0) {
        return true;
    }
    return sysconf(_SC_NPROCESSORS_ONLN) == 1;
}

void cli_wait_policy(int argc, char **argv)
{
    if (getenv(MARKER) != NULL || getenv("OMP_WAIT_POLICY") != NULL ||
        getenv("GOMP_SPINCOUNT") != NULL || one_thread() || argc < 1) {
        return;
    }
    if (setenv(MARKER, "1", 1) != 0 || setenv("OMP_WAIT_POLICY", "passive", 1) != 0) {
        return;
    }
    (void)execv("/proc/self/exe", argv);
    /* Not restarted (no /proc): go on as before; the marker stops any later try. */
    (void)unsetenv("OMP_WAIT_POLICY");
}
