/* crmkit/progress.h: how long work reports progress and is cancelled.
 *
 * The library never prints: it calls fn with a stage name and a fraction in [0, 1]. fn
 * returns false to cancel, and the call then fails with CRM_ECANCELLED. A NULL crm_progress
 * (or NULL fn) means nobody is listening. */
#ifndef CRMKIT_PROGRESS_H
#define CRMKIT_PROGRESS_H
#include <stdbool.h>
#include <stddef.h>

typedef struct crm_progress {
    bool (*fn)(void *ud, const char *stage, double frac);
    void *ud;
} crm_progress;

/** True to go on. */
static inline bool crm_progress_report(const crm_progress *p, const char *stage, double frac)
{
    if (p == NULL || p->fn == NULL) {
        return true;
    }
    return p->fn(p->ud, stage, frac);
}

#endif
