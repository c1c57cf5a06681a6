/* memlimit.c: --max-memory, for every command. Every allocation of the library goes through
 * crm_malloc (crmkit/alloc.h); this allocator counts the bytes in use and refuses a block
 * that would take them past the limit, so a command that needs more memory than there is
 * stops with CRM_ENOMEM and a message that says how much it asked for, instead of being
 * killed by the kernel. The default limit is the memory the machine has available when the
 * command starts (MemAvailable of /proc/meminfo). */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "cli.h"

static size_t limit_bytes;          /* 0: no limit */
static _Atomic size_t used_bytes;   /* in use, by malloc_usable_size */
static _Atomic size_t refused_size; /* the last block refused for the limit; 0 if none */
static _Atomic size_t refused_used; /* bytes in use when it was refused */
static int limit_given;

/* used_bytes -= n, never below 0 (a block malloc'd before the limit was installed and freed
 * through it must not wrap the count around) */
static void give(size_t n)
{
    size_t cur = atomic_load(&used_bytes);
    while (!atomic_compare_exchange_weak(&used_bytes, &cur, cur > n ? cur - n : 0)) {
    }
}

static int take(size_t n)
{
    size_t now = atomic_fetch_add(&used_bytes, n) + n;
    if (limit_bytes > 0 && now > limit_bytes) {
        give(n);
        atomic_store(&refused_used, now - n);
        atomic_store(&refused_size, n);
        return 0;
    }
    return 1;
}

static void *lim_malloc(void *ud, size_t n)
{
    void *p;
    (void)ud;
    if (!take(n)) {
        return NULL;
    }
    p = malloc(n);
    if (p == NULL) {
        give(n);
        return NULL;
    }
    atomic_fetch_add(&used_bytes, malloc_usable_size(p));
    give(n);
    return p;
}

static void *lim_realloc(void *ud, void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q;
    (void)ud;
    if (n > old && !take(n - old)) {
        return NULL;
    }
    q = realloc(p, n);
    if (q == NULL) {
        if (n > old) {
            give(n - old);
        }
        return NULL;
    }
    /* now account exactly: the new block's usable size replaces the old one's */
    if (n > old) {
        give(n - old);
    }
    atomic_fetch_add(&used_bytes, malloc_usable_size(q));
    give(old);
    return q;
}

static void lim_free(void *ud, void *p)
{
    (void)ud;
    give(malloc_usable_size(p));
    free(p);
}

size_t cli_mem_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    if (fp == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, fp) != NULL) {
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
            break;
        }
    }
    fclose(fp);
    return (size_t)kb * 1024;
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    double v;
    double mult = 1;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno != 0 || !(v > 0)) {
        return 0;
    }
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024.0;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1048576.0;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1073741824.0;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1099511627776.0;
        end++;
        break;
    default:
        break;
    }
    if ((*end == 'B' || *end == 'b') && mult > 1) {
        end++;
    } else if (*end == 'i' && end[1] == 'B' && mult > 1) {
        end += 2;
    }
    if (*end != '\0' || v * mult < 1048576.0 || v * mult > 1.8e19) {
        return 0;
    }
    *out = (size_t)(v * mult);
    return 1;
}

size_t cli_memlimit(void)
{
    return limit_bytes;
}

int cli_memlimit_given(void)
{
    return limit_given;
}

int cli_memlimit_setup(int *argc, char **argv)
{
    static const crm_allocator lim = { lim_malloc, lim_realloc, lim_free, NULL };
    const char *value = NULL;
    /* itemsets and rules have a --max-memory of their own (MiB of mining memory, counted by
     * the miner): theirs is left to them, and the whole run is held to the memory available */
    int own = strcmp(argv[1], "itemsets") == 0 || strcmp(argv[1], "rules") == 0;
    for (int i = 2; i < *argc && !own; i++) {
        int take_args = 0;
        if (strcmp(argv[i], "--max-memory") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "crmkit %s: option --max-memory needs a value\n", argv[1]);
                return CLI_EX_USAGE;
            }
            value = argv[i + 1];
            take_args = 2;
        } else if (strncmp(argv[i], "--max-memory=", 13) == 0) {
            value = argv[i] + 13;
            take_args = 1;
        }
        if (take_args > 0) {
            memmove(argv + i, argv + i + take_args,
                    (size_t)(*argc - i - take_args + 1) * sizeof *argv);
            *argc -= take_args;
            i--;
        }
    }
    if (value != NULL) {
        if (!cli_parse_size(value, &limit_bytes)) {
            fprintf(stderr,
                    "crmkit %s: --max-memory needs a size of at least 1M such as 500M, 8G or "
                    "1073741824, got \"%s\"\n",
                    argv[1], value);
            return CLI_EX_USAGE;
        }
        limit_given = 1;
    } else if (strcmp(argv[1], "serve") != 0) {
        /* (a server's requests come and go: it is held to a limit only when given one) */
        limit_bytes = cli_mem_available();
    }
    if (limit_bytes > 0) {
        crm_set_allocator(&lim);
    }
    return -1;
}

void cli_memlimit_explain(FILE *fp)
{
    size_t n = atomic_load(&refused_size);
    double mib = 1048576.0;
    if (n == 0) {
        return;
    }
    fprintf(fp,
            "crmkit: a block of %.0f MiB was refused with %.0f MiB in use: the limit is %.0f MiB "
            "(%s). Give more with --max-memory SIZE if the machine has it; for a large table, "
            "fewer columns (--features) or mpirun -np N to share the rows among processes.\n",
            (double)n / mib, (double)atomic_load(&refused_used) / mib, (double)limit_bytes / mib,
            limit_given ? "--max-memory" : "the memory available; --max-memory sets it");
}
