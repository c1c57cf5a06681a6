/* crmkit/rng.h: seeded random numbers (xoshiro256** seeded through splitmix64).
 *
 * Each algorithm owns its generator; parallel work derives one stream per fixed block from
 * (seed, stream, block) so results never depend on the number of threads. */
#ifndef CRMKIT_RNG_H
#define CRMKIT_RNG_H
#include <stdint.h>

#include <crmkit/common.h>

typedef struct crm_rng {
    uint64_t s[4];
} crm_rng;

CRM_API void crm_rng_seed(crm_rng *rng, uint64_t seed);
/** Independent stream for (seed, stream id): use stream = block index in parallel loops. */
CRM_API void crm_rng_seed_stream(crm_rng *rng, uint64_t seed, uint64_t stream);
CRM_API uint64_t crm_rng_next(crm_rng *rng);
/** Uniform in [0, 1) with 53 random bits. */
CRM_API double crm_rng_uniform(crm_rng *rng);
/** Uniform integer in [0, n), unbiased; n > 0. */
CRM_API uint64_t crm_rng_below(crm_rng *rng, uint64_t n);
/** Standard normal (Box-Muller, no cached state, so the stream stays a pure function). */
CRM_API double crm_rng_normal(crm_rng *rng);
/** Fisher-Yates shuffle of idx[n]. */
CRM_API void crm_rng_shuffle(crm_rng *rng, int64_t *idx, int64_t n);

#endif
