/* hash.c: the one hash of the library's tables (category levels, customer and callee ids,
 * item names, item codes), keyed by a random value drawn once per process.
 *
 * A hash known in advance lets a crafted file (ids chosen so that they share a slot) turn
 * every table insert into a walk over all earlier keys: quadratic time from a file of a few
 * megabytes. With a secret key the slots of a key cannot be predicted, as in Python's, Go's
 * and Rust's tables. The mixing is a folded 64 x 64 -> 128-bit multiply over the key's words
 * (the construction of wyhash and aHash's fallback); the key enters every multiply, so there
 * is no input that zeroes a product whatever the key.
 *
 * No output of crmkit depends on the key: tables hand out codes in order of first insertion,
 * and whatever is listed from a table is sorted first. Under mpirun every process uses rank
 * 0's key (crm__hash_set_seed from crm_dist_init), so they agree on which one owns an id.
 * CRMKIT_HASH_SEED=<number> in the environment fixes the key (to reproduce a slow run). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core_internal.h"

static uint64_t g_seed;
uint64_t crm__hash_key[3];

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The three words of the key from one 64-bit seed (splitmix64 steps); odd, so that no key
 * word is zero. */
static void derive(uint64_t seed)
{
    g_seed = seed;
    for (int i = 0; i < 3; i++) {
        uint64_t z = (seed += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        crm__hash_key[i] = (z ^ (z >> 31)) | 1;
    }
}

/* Before main, so that the hashes need no check on the way; a constructor of the library
 * that runs before this one must not build a table. */
__attribute__((constructor)) static void draw_key(void)
{
    const char *env = getenv("CRMKIT_HASH_SEED");
    uint64_t seed = 0;
    if (env != NULL && env[0] != '\0') {
        seed = strtoull(env, NULL, 0);
    } else if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        /* no entropy yet (early boot): the clock and the process are still unknown to a file */
        struct timespec ts;
        (void)clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid() ^
               (uint64_t)(uintptr_t)&ts;
    }
    derive(seed);
}

uint64_t crm__hash_seed(void)
{
    return g_seed;
}

void crm__hash_set_seed(uint64_t seed)
{
    derive(seed);
}

uint64_t crm__hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t a, b, h;
    h = crm__hash_key[0] ^
        crm__hash_fold((uint64_t)len ^ crm__hash_key[2], UINT64_C(0xA0761D6478BD642F));
    if (len <= 16) {
        /* the first and last bytes, overlapping: with the length they fix the text */
        if (len >= 8) {
            a = load64(p);
            b = load64(p + len - 8);
        } else if (len >= 4) {
            a = load32(p);
            b = load32(p + len - 4);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = len;
        while (left > 16) {
            h = crm__hash_fold(load64(p) ^ crm__hash_key[1], load64(p + 8) ^ h);
            p += 16;
            left -= 16;
        }
        a = load64(p + left - 16);
        b = load64(p + left - 8);
    }
    return crm__hash_fold(crm__hash_fold(a ^ crm__hash_key[1], b ^ h) ^ crm__hash_key[2],
                          h ^ UINT64_C(0xE7037ED1A0B428DB));
}
