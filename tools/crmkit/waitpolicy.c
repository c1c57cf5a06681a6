/* waitpolicy.c: OpenMP threads that sleep, not spin, while they wait, without the user
 * setting anything.
 *
 * libgomp reads OMP_WAIT_POLICY, GOMP_SPINCOUNT and OMP_NUM_THREADS once, in its own
 * constructor, before main() runs; with no wait policy set, a waiting thread spins for about
 * 300,000 rounds before it sleeps. On a machine shared with other work that spinning takes the
 * core from the thread that has the work: `crmkit train --algo gbt` on the telco table took
 * 5-11 s beside a load on both cores against 0.6 s with one thread. A setenv() in main() is
 * too late, and so is a constructor in the program (libgomp's runs first) or a
 * .preinit_array function (glibc sets the environment again after it: measured, the threads
 * still spin).
 *
 * So the program starts itself once more, with
 * - OMP_WAIT_POLICY=passive, unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT;
 * - OMP_NUM_THREADS = N with --threads N, so that OpenBLAS's matrix products (which size
 *   their team by it) keep to N threads as well; unless the user set OMP_NUM_THREADS.
 * The thread count is otherwise left alone (every core): a version that took only the cores
 * not busy with other work (runnable tasks in /proc/loadavg) measured slower under load than
 * sleeping waiters on every core (bench/results/wait_policy.md), as more threads get more of
 * the scheduler's shares. A marker variable makes a second restart impossible; a failed exec
 * goes on as before. The cost is one exec, about a millisecond. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MARKER "CRMKIT_WAIT_POLICY_SET"

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

void cli_wait_policy(int argc, char **argv)
{
    long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    bool policy = getenv("OMP_WAIT_POLICY") == NULL && getenv("GOMP_SPINCOUNT") == NULL;
    bool threads = false;
    char buf[24];
    if (getenv(MARKER) != NULL || argc < 1 || n_cpu <= 1) {
        return;
    }
    if (getenv("OMP_NUM_THREADS") == NULL) {
        long n = threads_option(argc, argv);
        threads = n > 0; /* --threads N holds for OpenBLAS's products too */
        if (threads) {
            snprintf(buf, sizeof buf, "%ld", n);
        }
    }
    if (!policy && !threads) {
        return;
    }
    if (setenv(MARKER, "1", 1) != 0 ||
        (policy && setenv("OMP_WAIT_POLICY", "passive", 1) != 0) ||
        (threads && setenv("OMP_NUM_THREADS", buf, 1) != 0)) {
        return;
    }
    (void)execv("/proc/self/exe", argv);
    /* Not restarted (no /proc): go on as before; the marker stops any later try. */
    if (policy) {
        (void)unsetenv("OMP_WAIT_POLICY");
    }
    if (threads) {
        (void)unsetenv("OMP_NUM_THREADS");
    }
}
