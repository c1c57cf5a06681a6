/* filemap.c: regular files mapped into memory, with a guard against SIGBUS. A mapping is the
 * fastest way to read a large file (no copy, and no fresh pages for the kernel to zero: for
 * a 300 MB CSV, zeroing a read() buffer took half the reading time), but touching a page that
 * another process truncated away raises SIGBUS, which kills the process (issue 11, class 2).
 * While a mapping is registered here, a SIGBUS inside it is caught: the handler maps zero
 * pages over the rest of the mapping and marks it broken, the reading goes on over zeros,
 * and crm__filemap_intact reports the file as changed instead of letting those bytes count.
 * A SIGBUS anywhere else gets the handler that was there before (default: death). */
#define _DEFAULT_SOURCE /* MAP_POPULATE, MAP_ANONYMOUS */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core_internal.h"
#include "io_internal.h"

#define SLOTS 64

static struct {
    _Atomic uintptr_t base; /* 0: free slot */
    _Atomic size_t len;
    _Atomic int broken;
} slots[SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static int handler_ok;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
    uintptr_t at = (uintptr_t)info->si_addr;
    (void)uctx;
    for (int k = 0; k < SLOTS; k++) {
        uintptr_t base = atomic_load(&slots[k].base);
        size_t len = atomic_load(&slots[k].len);
        if (base != 0 && at >= base && at < base + len) {
            uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
            uintptr_t from = at & ~(page - 1);
            atomic_store(&slots[k].broken, 1);
            /* zeros from the faulting page to the end: the same bytes for every thread */
            if (mmap((void *)from, base + len - from, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
                return;
            }
            break;
        }
    }
    /* not ours (or no memory for zeros): what was there before */
    (void)sigaction(sig, &previous, NULL);
    (void)raise(sig);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    handler_ok = sigaction(SIGBUS, &sa, &previous) == 0;
}

void *crm__filemap_open(int fd, size_t len, int populate)
{
    void *m;
    int slot = -1;
    (void)pthread_once(&handler_once, install);
    if (!handler_ok || len == 0) {
        return NULL;
    }
    pthread_mutex_lock(&slots_mu);
    for (int k = 0; k < SLOTS && slot < 0; k++) {
        if (atomic_load(&slots[k].base) == 0) {
            slot = k;
        }
    }
    if (slot < 0) {
        pthread_mutex_unlock(&slots_mu);
        return NULL; /* the caller reads the file instead */
    }
#ifdef MAP_POPULATE
    /* one call maps every page of the (usually cached) file instead of a fault each */
    m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
#else
    (void)populate;
    m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
#endif
    if (m != MAP_FAILED) {
        atomic_store(&slots[slot].len, len);
        atomic_store(&slots[slot].broken, 0);
        atomic_store(&slots[slot].base, (uintptr_t)m);
    }
    pthread_mutex_unlock(&slots_mu);
    if (m == MAP_FAILED) {
        return NULL;
    }
    (void)posix_madvise(m, len, POSIX_MADV_SEQUENTIAL);
    return m;
}

static int find(const void *m)
{
    for (int k = 0; k < SLOTS; k++) {
        if (atomic_load(&slots[k].base) == (uintptr_t)m) {
            return k;
        }
    }
    return -1;
}

int crm__filemap_intact(const void *m)
{
    int k = find(m);
    return k < 0 || !atomic_load(&slots[k].broken);
}

void crm__filemap_close(void *m, size_t len)
{
    int k;
    if (m == NULL) {
        return;
    }
    pthread_mutex_lock(&slots_mu);
    k = find(m);
    (void)munmap(m, len);
    if (k >= 0) {
        atomic_store(&slots[k].base, 0);
    }
    pthread_mutex_unlock(&slots_mu);
}
