/* waitpolicy.c: libcrmkit-waitpolicy.so, linked into the crmkit program only, so that its
 * OpenMP threads sleep, not spin, while they wait, without the user setting anything and
 * without starting the program twice.
 *
 * libgomp reads OMP_WAIT_POLICY, GOMP_SPINCOUNT and OMP_NUM_THREADS once, in its own
 * constructor, before main() runs; with no wait policy set, a waiting thread spins for about
 * 300,000 rounds before it sleeps. On a machine shared with other work that spinning takes the
 * core from the thread that has the work: `crmkit train --algo gbt` on the telco table took
 * 5-11 s beside a load on both cores against 0.6 s with one thread. A setenv() in main() is
 * too late, and so is a constructor in the program (libgomp's runs first), a .preinit_array
 * function or an object flagged DF_1_INITFIRST (both run before libc's own initialiser, which
 * then sets the environment back to the one the kernel gave: measured, the threads still spin).
 *
 * This constructor runs after libc's and before libgomp's: the dynamic loader initialises a
 * dependency before the objects that need it, and objects that do not depend on each other in
 * the reverse of the program's DT_NEEDED order, so CMakeLists.txt links this library after
 * libgomp and OpenBLAS (the CLI test tests/cli/test_wait_policy.sh checks the result with
 * libgomp's own report). It sets
 * - OMP_WAIT_POLICY=passive, unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT;
 * - OMP_NUM_THREADS = N with --threads N, so that OpenBLAS's matrix products (which size
 *   their team by it) keep to N threads as well; unless the user set OMP_NUM_THREADS.
 * The thread count is otherwise left alone (every core): a version that took only the cores
 * not busy with other work (runnable tasks in /proc/loadavg) measured slower under load than
 * sleeping waiters on every core (bench/results/wait_policy.md), as more threads get more of
 * the scheduler's shares. The program used to start itself once more with these variables
 * instead, which paid the loading of every library twice (bench/results/startup.md). */
#include "waitpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int applied;

/* The value of --threads N (the last one), 0 when absent or 0 ("all"), -1 when unreadable. */
static long threads_option(int argc, char **argv)
{
    long n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            v = argv[i + 1];
        } else if (strncmp(argv[i], "--threads=", 10) == 0) {
            v = argv[i] + 10;
        }
        if (v != NULL) {
            char *end;
            n = strtol(v, &end, 10);
            n = (*end != '\0' || n < 0 || n > 4096) ? -1 : n;
        }
    }
    return n;
}

/* glibc calls an initialiser with the program's argc, argv and environment. */
__attribute__((constructor)) static void set_wait_policy(int argc, char **argv, char **envp)
{
    (void)envp;
    if (getenv("OMP_WAIT_POLICY") == NULL && getenv("GOMP_SPINCOUNT") == NULL &&
        setenv("OMP_WAIT_POLICY", "passive", 0) == 0) {
        applied |= CRMKIT_WAIT_POLICY_PASSIVE;
    }
    if (getenv("OMP_NUM_THREADS") == NULL && argc >= 1 && argv != NULL) {
        long n = threads_option(argc, argv);
        char buf[24];
        if (n > 0) { /* --threads N holds for OpenBLAS's products too */
            snprintf(buf, sizeof buf, "%ld", n);
            if (setenv("OMP_NUM_THREADS", buf, 0) == 0) {
                applied |= CRMKIT_WAIT_POLICY_THREADS;
            }
        }
    }
}

int crmkit_wait_policy_applied(void)
{
    return applied;
}
