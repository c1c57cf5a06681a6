/* test_gunzip.c: the gzip decoder against zlib: every kind of block zlib writes (levels 0-9,
 * each strategy, small windows and memory levels) on data that makes literals, long matches
 * and overlapping copies of every short distance; several members with zero padding; header
 * fields; every truncation and thousands of damaged streams, which must fail exactly when
 * zlib fails; hand-made streams zlib never writes; and the hooks (steps, growth, cancel). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <crmkit/alloc.h>

#include "crm_test.h"
#include "gunzip_ref.h"
#include "io/gunzip.h"

static uint64_t rng_state = 88172645463325252ull;

static uint32_t next_rand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* len bytes of one of several kinds of data */
static uint8_t *make_data(int kind, size_t len)
{
    uint8_t *d = malloc(len + 1);
    size_t i = 0;
    assert_non_null(d);
    while (i < len) {
        switch (kind) {
        case 0: /* random bytes: stored blocks and literals */
            d[i++] = (uint8_t)next_rand();
            break;
        case 1: { /* FIMI-like lines of small numbers */
            char line[64];
            int n = snprintf(line, sizeof line, "%u %u %u \n", next_rand() % 50,
                             50 + next_rand() % 900, 1000 + next_rand() % 20000);
            for (int k = 0; k < n && i < len; k++) {
                d[i++] = (uint8_t)line[k];
            }
            break;
        }
        case 2: { /* runs and short periods: overlapping copies at distances 1-15 */
            size_t period = 1 + next_rand() % 15, run = 1 + next_rand() % 600;
            for (size_t k = 0; k < run && i < len; k++) {
                d[i] = k < period ? (uint8_t)next_rand() : d[i - period];
                i++;
            }
            break;
        }
        default: { /* copies of earlier pieces at far distances (up to the window) */
            size_t back = 1 + next_rand() % 32768, run = 3 + next_rand() % 300;
            for (size_t k = 0; k < run && i < len; k++) {
                d[i] = i >= back ? d[i - back] : (uint8_t)('a' + next_rand() % 4);
                i++;
            }
            break;
        }
        }
    }
    return d;
}

static uint8_t *gzip_with(const uint8_t *data,
                          size_t len,
                          int level,
                          int window,
                          int mem,
                          int strategy,
                          gz_header *head,
                          size_t *out_len)
{
    uint8_t *out = ref_gzip(data, len, level, window, mem, strategy, head, out_len);
    assert_non_null(out);
    return out;
}

/* crm__gunzip must succeed exactly when the reference does, with the same bytes. */
static void check_same_as_zlib(const uint8_t *gz, size_t gz_len)
{
    uint8_t *want = NULL;
    size_t want_len = 0;
    char *got = NULL;
    size_t got_len = 0;
    crm_error err;
    int ref = ref_gunzip(gz, gz_len, &want, &want_len);
    crm_status rc = crm__gunzip(gz, gz_len, "t.gz", NULL, &got, &got_len, &err);
    if (ref == 0) {
        if (rc != CRM_OK) {
            fail_msg("zlib decodes %zu bytes but crm__gunzip fails: %s", gz_len, err.msg);
        }
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        assert_int_equal(got[got_len], '\0');
    } else {
        if (rc == CRM_OK) {
            fail_msg("zlib refuses %zu bytes but crm__gunzip decodes %zu", gz_len, got_len);
        }
        assert_int_equal(rc, CRM_EPARSE);
        assert_null(got);
        assert_non_null(strstr(err.msg, "gzip data is"));
    }
    free(want);
    crm_free(got);
}

static void every_kind_of_block_decodes_as_zlib_wrote_it(void **state)
{
    static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE,
                                      Z_FIXED };
    static const size_t sizes[] = { 0, 1, 2, 7, 100, 258, 1000, 40000, 300000 };
    int cases = 0;
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            uint8_t *data = make_data(kind, sizes[si]);
            for (int level = 0; level <= 9; level++) {
                for (int s = 0; s < 5; s++) {
                    /* small windows and memory levels on the middle sizes only */
                    int window = (level + s) % 3 == 0 && sizes[si] <= 40000 ? 9 + level % 7 : 15;
                    int mem = (level + s) % 2 == 0 ? 9 : 1 + level % 8;
                    size_t gz_len;
                    uint8_t *gz = gzip_with(data, sizes[si], level, window, mem, strategies[s],
                                            NULL, &gz_len);
                    char *got = NULL;
                    size_t got_len = 0;
                    crm_error err;
                    if (crm__gunzip(gz, gz_len, "t.gz", NULL, &got, &got_len, &err) != CRM_OK) {
                        fail_msg("kind %d size %zu level %d strategy %d window %d: %s", kind,
                                 sizes[si], level, s, window, err.msg);
                    }
                    assert_int_equal(got_len, sizes[si]);
                    if (sizes[si] > 0) {
                        assert_memory_equal(got, data, sizes[si]);
                    }
                    crm_free(got);
                    free(gz);
                    cases++;
                }
            }
            free(data);
        }
    }
    assert_int_equal(cases, 4 * 9 * 10 * 5);
}

static void members_padding_and_header_fields(void **state)
{
    uint8_t *a = make_data(1, 5000), *b = make_data(2, 70000);
    size_t la, lb, lc;
    uint8_t *ga = gzip_with(a, 5000, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &la);
    uint8_t *gb = gzip_with(b, 70000, 1, 15, 8, Z_DEFAULT_STRATEGY, NULL, &lb);
    uint8_t extra[5] = { 'A', 'B', 1, 0, 'x' };
    gz_header head;
    uint8_t *gc, *cat;
    char *got = NULL;
    size_t got_len = 0;
    crm_error err;
    (void)state;
    memset(&head, 0, sizeof head);
    head.name = (Bytef *)"baskets.dat";
    head.comment = (Bytef *)"made by the test";
    head.extra = extra;
    head.extra_len = sizeof extra;
    head.hcrc = 1;
    gc = gzip_with(a, 5000, 9, 15, 8, Z_DEFAULT_STRATEGY, &head, &lc);
    /* a, 3 zero bytes, b, c (with every header field), 7 zero bytes */
    cat = calloc(la + 3 + lb + lc + 7, 1);
    assert_non_null(cat);
    memcpy(cat, ga, la);
    memcpy(cat + la + 3, gb, lb);
    memcpy(cat + la + 3 + lb, gc, lc);
    assert_int_equal(crm__gunzip(cat, la + 3 + lb + lc + 7, "t.gz", NULL, &got, &got_len, &err),
                     CRM_OK);
    assert_int_equal(got_len, 5000 + 70000 + 5000);
    assert_memory_equal(got, a, 5000);
    assert_memory_equal(got + 5000, b, 70000);
    assert_memory_equal(got + 75000, a, 5000);
    crm_free(got);
    check_same_as_zlib(cat, la + 3 + lb + lc + 7);
    /* a byte that is not zero after a member is an error, as for zlib */
    cat[la + 1] = 'x';
    assert_int_equal(crm__gunzip(cat, la + 3 + lb + lc + 7, "t.gz", NULL, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_non_null(strstr(err.msg, "corrupt (incorrect header check)"));
    assert_string_equal(err.source, "t.gz");
    check_same_as_zlib(cat, la + 3 + lb + lc + 7);
    /* a few bytes of text after a member: not gzip, not a truncated member */
    cat[la + 1] = 0;
    memcpy(cat + la + 3 + lb + lc, "junk\n", 5);
    assert_int_equal(crm__gunzip(cat, la + 3 + lb + lc + 5, "t.gz", NULL, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_non_null(strstr(err.msg, "corrupt (incorrect header check)"));
    /* the header CRC is checked */
    gc[lc - 9] ^= 1; /* the data's CRC: last member, last 8 bytes are CRC and length */
    assert_int_equal(crm__gunzip(gc, lc, "t.gz", NULL, &got, &got_len, &err), CRM_EPARSE);
    gc[lc - 9] ^= 1;
    gc[lc - 8] ^= 1;
    assert_int_equal(crm__gunzip(gc, lc, "t.gz", NULL, &got, &got_len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "incorrect data check"));
    gc[lc - 8] ^= 1;
    gc[lc - 2] ^= 1;
    assert_int_equal(crm__gunzip(gc, lc, "t.gz", NULL, &got, &got_len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "incorrect length check"));
    gc[lc - 2] ^= 1;
    {
        size_t hcrc_at =
            10 + 2 + sizeof extra + strlen("baskets.dat") + 1 + strlen("made by the test") + 1;
        gc[hcrc_at] ^= 1;
        assert_int_equal(crm__gunzip(gc, lc, "t.gz", NULL, &got, &got_len, &err), CRM_EPARSE);
        assert_non_null(strstr(err.msg, "header crc mismatch"));
        check_same_as_zlib(gc, lc);
    }
    free(cat);
    free(ga);
    free(gb);
    free(gc);
    free(a);
    free(b);
}

static void truncations_and_damage_fail_as_zlib_fails(void **state)
{
    int damaged = 0;
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        for (int level = 0; level <= 9; level += 3) {
            size_t len = 3000, gz_len;
            uint8_t *data = make_data(kind, len);
            uint8_t *gz = gzip_with(data, len, level, 15, 8,
                                    level == 3 ? Z_FIXED : Z_DEFAULT_STRATEGY, NULL, &gz_len);
            for (size_t cut = 0; cut < gz_len; cut++) {
                char *got = NULL;
                size_t got_len;
                crm_error err;
                assert_int_equal(crm__gunzip(gz, cut, "t.gz", NULL, &got, &got_len, &err),
                                 CRM_EPARSE);
                assert_null(got);
                /* cut inside the deflate data or the trailer: it says so */
                if (cut > 10 && cut + 8 <= gz_len) {
                    if (strstr(err.msg, "truncated") == NULL &&
                        strstr(err.msg, "corrupt") == NULL) {
                        fail_msg("cut at %zu: %s", cut, err.msg);
                    }
                }
            }
            for (int t = 0; t < 400; t++) {
                size_t at = 10 + next_rand() % (gz_len - 10);
                uint8_t was = gz[at];
                gz[at] ^= (uint8_t)(1u << (next_rand() % 8));
                if (t % 3 == 0 && at + 1 < gz_len) {
                    gz[at + 1] = (uint8_t)next_rand();
                }
                check_same_as_zlib(gz, gz_len);
                gz[at] = was;
                damaged++;
            }
            free(gz);
            free(data);
        }
    }
    assert_int_equal(damaged, 4 * 4 * 400);
}

/* ---- hand-made streams -------------------------------------------------------------------- */

typedef struct bitw {
    uint8_t b[4096];
    size_t n; /* bits */
} bitw;

static void put(bitw *w, unsigned v, unsigned k)
{
    for (unsigned i = 0; i < k; i++) {
        if ((v >> i) & 1u) {
            w->b[w->n / 8] |= (uint8_t)(1u << (w->n % 8));
        }
        w->n++;
    }
}

/* a Huffman code, most significant bit first */
static void put_code(bitw *w, unsigned code, unsigned len)
{
    for (unsigned i = len; i-- > 0;) {
        put(w, (code >> i) & 1u, 1);
    }
}

/* a gzip member around the deflate bits of w, with the given CRC and length */
static size_t wrap(const bitw *w, uint32_t crc, uint32_t isize, uint8_t *out)
{
    static const uint8_t head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    size_t n = (w->n + 7) / 8;
    memcpy(out, head, 10);
    memcpy(out + 10, w->b, n);
    for (int i = 0; i < 4; i++) {
        out[10 + n + i] = (uint8_t)(crc >> (8 * i));
        out[14 + n + i] = (uint8_t)(isize >> (8 * i));
    }
    return 18 + n;
}

static void expect_corrupt(const bitw *w, uint32_t crc, uint32_t isize, const char *msg)
{
    uint8_t gz[4200];
    size_t len = wrap(w, crc, isize, gz);
    char *got = NULL;
    size_t got_len;
    crm_error err;
    crm_status rc = crm__gunzip(gz, len, "hand.gz", NULL, &got, &got_len, &err);
    if (msg == NULL) {
        if (rc != CRM_OK) {
            fail_msg("expected success: %s", err.msg);
        }
        crm_free(got);
    } else {
        assert_int_equal(rc, CRM_EPARSE);
        if (strstr(err.msg, msg) == NULL) {
            fail_msg("expected \"%s\", got \"%s\"", msg, err.msg);
        }
    }
    check_same_as_zlib(gz, len);
}

static void hand_made_streams(void **state)
{
    bitw w;
    uint32_t crc_a = (uint32_t)crc32(0, (const Bytef *)"a", 1);
    (void)state;
    /* block type 3 */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 3, 2);
    expect_corrupt(&w, 0, 0, "invalid block type");
    /* fixed block: literal 'a' (0x30 + 0x61, 8 bits), end of block (7 zero bits) */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 1, 2);
    put_code(&w, 0x30 + 'a', 8);
    put_code(&w, 0, 7);
    expect_corrupt(&w, crc_a, 1, NULL);
    /* fixed block with literal/length code 286 (11000110) */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 1, 2);
    put_code(&w, 0xc6, 8);
    expect_corrupt(&w, 0, 0, "invalid literal/length code");
    /* fixed block: 'a', then length 3 (code 257 = 0000001) at distance code 30 (11110) */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 1, 2);
    put_code(&w, 0x30 + 'a', 8);
    put_code(&w, 1, 7);
    put_code(&w, 30, 5);
    expect_corrupt(&w, 0, 0, "invalid distance code");
    /* fixed block: 'a', then length 3 at distance 2 (code 1 = 00001): before the start */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 1, 2);
    put_code(&w, 0x30 + 'a', 8);
    put_code(&w, 1, 7);
    put_code(&w, 1, 5);
    expect_corrupt(&w, 0, 0, "invalid distance too far back");
    /* stored block whose LEN and NLEN disagree */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 0, 2);
    w.n = 8;
    put(&w, 1, 16);
    put(&w, 0, 16);
    expect_corrupt(&w, 0, 0, "invalid stored block lengths");
    /* dynamic block with 287 literal/length codes */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 2, 2);
    put(&w, 30, 5);
    put(&w, 0, 5);
    put(&w, 0, 4);
    expect_corrupt(&w, 0, 0, "too many length or distance symbols");
    /* dynamic block whose code-length code has a single 1-bit code: incomplete, refused */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 2, 2);
    put(&w, 0, 5);
    put(&w, 0, 5);
    put(&w, 0, 4); /* 4 code-length codes: 16, 17, 18, 0 */
    put(&w, 0, 3);
    put(&w, 0, 3);
    put(&w, 0, 3);
    put(&w, 1, 3);
    expect_corrupt(&w, 0, 0, "invalid code lengths set");
    /* dynamic block starting with code-length repeat 16: nothing to repeat */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 2, 2);
    put(&w, 0, 5);
    put(&w, 0, 5);
    put(&w, 0, 4); /* 4 code-length codes: 16 and 0 get 1 bit (0 -> code 0, 16 -> code 1) */
    put(&w, 1, 3);
    put(&w, 0, 3);
    put(&w, 0, 3);
    put(&w, 1, 3);
    put_code(&w, 1, 1);
    put(&w, 0, 2);
    expect_corrupt(&w, 0, 0, "invalid bit length repeat");
    /* dynamic block: 'a' and end of block with 1-bit codes, no distance code at all */
    memset(&w, 0, sizeof w);
    put(&w, 1, 1);
    put(&w, 2, 2);
    put(&w, 0, 5);  /* HLIT 257 */
    put(&w, 0, 5);  /* HDIST 1 */
    put(&w, 14, 4); /* 18 code-length codes, in the order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13
                     * 2 14 1: 18 gets 1 bit (code 0), 0 and 1 get 2 bits (10, 11) */
    for (int k = 0; k < 18; k++) {
        put(&w, k == 2 ? 1 : k == 3 || k == 17 ? 2 : 0, 3);
    }
    put_code(&w, 0, 1);
    put(&w, 97 - 11, 7); /* symbols 0-96: zero */
    put_code(&w, 3, 2);  /* 97 'a': 1 */
    put_code(&w, 0, 1);
    put(&w, 138 - 11, 7); /* 98-235: zero */
    put_code(&w, 0, 1);
    put(&w, 20 - 11, 7); /* 236-255: zero */
    put_code(&w, 3, 2);  /* 256: 1 */
    put_code(&w, 2, 2);  /* the one distance code: 0 */
    put_code(&w, 0, 1);  /* 'a' */
    put_code(&w, 1, 1);  /* end of block */
    expect_corrupt(&w, crc_a, 1, NULL);
}

/* ---- hooks -------------------------------------------------------------------------------- */

typedef struct seen {
    size_t calls, last;
    size_t grows, freed;
    size_t cancel_at;
    const uint8_t *want;
} seen;

static int on_advance(void *ctx, const char *out, size_t done, size_t in_used)
{
    seen *s = ctx;
    assert_true(done >= s->last);
    assert_true(in_used > 0);
    assert_memory_equal(out, s->want, done);
    s->last = done;
    s->calls++;
    return s->cancel_at == 0 || s->calls < s->cancel_at;
}

static char *on_grow(void *ctx, char *out, size_t cap)
{
    seen *s = ctx;
    if (cap == 0) {
        s->freed++;
        crm_free(out);
        return NULL;
    }
    s->grows++;
    return crm_realloc(out, cap);
}

static void hooks_see_the_output_grow_in_steps(void **state)
{
    size_t len = 3 * CRM__GUNZIP_STEP + 12345, gz_len, got_len;
    uint8_t *data = make_data(1, len);
    uint8_t *gz = gzip_with(data, len, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &gz_len);
    uint8_t *two = malloc(2 * gz_len);
    seen s;
    crm__gunzip_hooks hooks = { &s, on_advance, on_grow };
    char *got = NULL;
    crm_error err;
    (void)state;
    memset(&s, 0, sizeof s);
    s.want = data;
    assert_int_equal(crm__gunzip(gz, gz_len, "t.gz", &hooks, &got, &got_len, &err), CRM_OK);
    assert_int_equal(got_len, len);
    assert_int_equal(s.last, len);
    assert_true(s.calls >= 4);
    assert_int_equal(s.grows, 1); /* sized once from the trailer */
    crm_free(got);
    /* two members: the trailer's length is the second's only, so the output grows */
    uint8_t *both = malloc(2 * len);
    memcpy(both, data, len);
    memcpy(both + len, data, len);
    memcpy(two, gz, gz_len);
    memcpy(two + gz_len, gz, gz_len);
    memset(&s, 0, sizeof s);
    s.want = both;
    assert_int_equal(crm__gunzip(two, 2 * gz_len, "t.gz", &hooks, &got, &got_len, &err), CRM_OK);
    assert_int_equal(got_len, 2 * len);
    assert_true(s.grows >= 2);
    crm_free(got);
    /* cancelled at the second step */
    memset(&s, 0, sizeof s);
    s.want = data;
    s.cancel_at = 2;
    assert_int_equal(crm__gunzip(gz, gz_len, "t.gz", &hooks, &got, &got_len, &err), CRM_ECANCELLED);
    assert_null(got);
    assert_int_equal(s.freed, 1); /* the output freed through the hook */
    free(both);
    free(two);
    free(gz);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_block_decodes_as_zlib_wrote_it),
        cmocka_unit_test(members_padding_and_header_fields),
        cmocka_unit_test(truncations_and_damage_fail_as_zlib_fails),
        cmocka_unit_test(hand_made_streams),
        cmocka_unit_test(hooks_see_the_output_grow_in_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
