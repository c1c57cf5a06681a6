/* alloc.c: the one allocator of the library, replaceable for fault-injection tests. */
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static void *sys_malloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}

static void *sys_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    return realloc(p, n);
}

static void sys_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

static crm_allocator current = { sys_malloc, sys_realloc, sys_free, NULL };

void crm_set_allocator(const crm_allocator *a)
{
    if (a == NULL) {
        current.malloc_fn = sys_malloc;
        current.realloc_fn = sys_realloc;
        current.free_fn = sys_free;
        current.ud = NULL;
    } else {
        current = *a;
    }
}

void *crm_malloc(size_t bytes)
{
    return current.malloc_fn(current.ud, bytes ? bytes : 1);
}

void *crm_calloc(size_t n, size_t size)
{
    void *p;
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    p = crm_malloc(n * size);
    if (p != NULL) {
        memset(p, 0, n * size);
    }
    return p;
}

void *crm_realloc(void *p, size_t bytes)
{
    return current.realloc_fn(current.ud, p, bytes ? bytes : 1);
}

void *crm_mallocarray(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    return crm_malloc(n * size);
}

void crm_free(void *p)
{
    if (p != NULL) {
        current.free_fn(current.ud, p);
    }
}

void crm__free_n(void *const *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crm_free(blocks[i]);
    }
}

/* Over-allocate and keep the original pointer just below the aligned block, so the pluggable
 * allocator (which has no aligned entry point) serves matrix data too. */
void *crm_aligned_alloc(size_t bytes)
{
    const size_t align = 64;
    unsigned char *raw;
    uintptr_t addr;
    if (bytes > SIZE_MAX - align - sizeof(void *)) {
        return NULL;
    }
    raw = crm_malloc(bytes + align + sizeof(void *));
    if (raw == NULL) {
        return NULL;
    }
    addr = ((uintptr_t)(raw + sizeof(void *)) + align - 1) & ~(uintptr_t)(align - 1);
    memcpy((void *)(addr - sizeof(void *)), &raw, sizeof raw);
    return (void *)addr;
}

void crm_aligned_free(void *p)
{
    void *raw;
    if (p == NULL) {
        return;
    }
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof raw);
    crm_free(raw);
}

char *crm_strdup(const char *s)
{
    size_t n;
    char *d;
    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = crm_malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}
