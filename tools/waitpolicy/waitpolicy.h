/* waitpolicy.h: the OpenMP environment the crmkit program gives libgomp before it starts
 * (libcrmkit-waitpolicy.so, see waitpolicy.c). */
#ifndef CRMKIT_WAITPOLICY_H
#define CRMKIT_WAITPOLICY_H

#define CRMKIT_WAIT_POLICY_PASSIVE 1 /* OMP_WAIT_POLICY=passive was set */
#define CRMKIT_WAIT_POLICY_THREADS 2 /* OMP_NUM_THREADS was set from --threads N */

/* What the library's constructor set, as CRMKIT_WAIT_POLICY_* bits (0: the user's variables
 * were kept). Calling it also keeps the library needed when linking with --as-needed. */
__attribute__((visibility("default"))) int crmkit_wait_policy_applied(void);

#endif
