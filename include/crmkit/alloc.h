/* crmkit/alloc.h: the library's allocator. Every allocation inside crmkit goes through these,
 * so tests can inject failures (crm_set_allocator) and check that each error path frees what
 * it took. */
#ifndef CRMKIT_ALLOC_H
#define CRMKIT_ALLOC_H
#include <stddef.h>

#include <crmkit/common.h>

CRM_API void *crm_malloc(size_t bytes);
CRM_API void *crm_calloc(size_t n, size_t size);
CRM_API void *crm_realloc(void *p, size_t bytes);
/** n * size bytes, or NULL when the product overflows. */
CRM_API void *crm_mallocarray(size_t n, size_t size);
/** 64-byte aligned block for matrix data; free with crm_aligned_free. */
CRM_API void *crm_aligned_alloc(size_t bytes);
CRM_API void crm_aligned_free(void *p);
CRM_API void crm_free(void *p);
/** Copy of s, or NULL (s NULL or out of memory). */
CRM_API char *crm_strdup(const char *s);

typedef struct crm_allocator {
    void *(*malloc_fn)(void *ud, size_t bytes);
    void *(*realloc_fn)(void *ud, void *p, size_t bytes);
    void (*free_fn)(void *ud, void *p);
    void *ud;
} crm_allocator;

/** Replace the allocator (NULL restores the system one). For tests only: call it before any
 *  thread starts and before anything is allocated that the new allocator must free. */
CRM_API void crm_set_allocator(const crm_allocator *a);

#endif
