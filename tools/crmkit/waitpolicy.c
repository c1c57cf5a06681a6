/* waitpolicy.c: OpenMP threads that sleep, not spin, while they wait, and no more threads than
 * there are idle cores, without the user setting anything.
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
 *   their team by it) keep to N threads as well; unless the user set OMP_NUM_THREADS;
 * - OMP_NUM_THREADS = the cores not busy with other work, when the user set neither
 *   OMP_NUM_THREADS nor --threads and some cores are busy. Busy cores are counted from the
 *   kernel's count of runnable tasks (/proc/loadavg, field 4), the median of five samples
 *   2 ms apart, less this process; at least 1 thread. Even sleeping waiters lose when a
 *   team's threads must take turns with other programs on the same cores (each parallel
 *   region waits for its slowest, descheduled thread), so on a loaded machine fewer threads
 *   are faster. Results never depend on the thread count.
 * A marker variable makes a second restart impossible; a failed exec goes on as before. The
 * cost is one exec and 8 ms of sampling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MARKER "CRMKIT_WAIT_POLICY_SET"

/* Runnable tasks on the machine now (including this one), or -1. */
static long runnable(void)
{
    FILE *fp = fopen("/proc/loadavg", "r");
    double a, b, c;
    long run = -1, total;
    if (fp == NULL) {
        return -1;
    }
    if (fscanf(fp, "%lf %lf %lf %ld/%ld", &a, &b, &c, &run, &total) != 5) {
        run = -1;
    }
    fclose(fp);
    return run;
}

/* Cores free for this program: online cores less the other runnable tasks (the median of
 * five samples 2 ms apart, so neither a momentary dip nor a momentary burst decides), at
 * least 1; 0 when it cannot be told. */
static long free_cores(long n_cpu)
{
    long r[5];
    int n = 0;
    for (int i = 0; i < 5; i++) {
        struct timespec ms = { 0, 2000000L };
        long v = runnable();
        if (v >= 1) {
            int j = n++;
            while (j > 0 && r[j - 1] > v) { /* insertion: r stays sorted */
                r[j] = r[j - 1];
                j--;
            }
            r[j] = v;
        }
        if (i < 4) {
            (void)nanosleep(&ms, NULL);
        }
    }
    if (n == 0) {
        return 0;
    }
    n = (int)(n_cpu - (r[n / 2] - 1));
    return n < 1 ? 1 : (n > n_cpu ? n_cpu : n);
}

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
        if (n > 0) {
            threads = true; /* --threads N holds for OpenBLAS's products too */
        } else if (n == 0) {
            n = free_cores(n_cpu);
            threads = n >= 1 && n < n_cpu;
        }
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
