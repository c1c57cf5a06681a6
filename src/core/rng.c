/* rng.c: xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64. */
#include <math.h>

#include <crmkit/rng.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void crm_rng_seed(crm_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        rng->s[i] = splitmix64(&x);
    }
}

void crm_rng_seed_stream(crm_rng *rng, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    crm_rng_seed(rng, mixed);
}

uint64_t crm_rng_next(crm_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double crm_rng_uniform(crm_rng *rng)
{
    return (double)(crm_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t crm_rng_below(crm_rng *rng, uint64_t n)
{
    /* Rejection on the top of the range keeps every residue equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = crm_rng_next(rng);
    } while (r >= limit);
    return r % n;
}

double crm_rng_normal(crm_rng *rng)
{
    double u1 = 1.0 - crm_rng_uniform(rng); /* (0, 1]: log is finite */
    double u2 = crm_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void crm_rng_shuffle(crm_rng *rng, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)crm_rng_below(rng, (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
