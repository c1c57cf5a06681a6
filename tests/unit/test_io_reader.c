/* test_io_reader.c: io's reader. gzip decoded whole (libdeflate) against zlib: every kind of
 * block zlib writes (levels 0-9, each strategy, small windows and memory levels) on data that
 * makes literals, long matches and overlapping copies of every short distance; several
 * members with zero padding; header fields; every truncation and thousands of damaged
 * streams, which must fail exactly when zlib fails, with zlib's words; hand-made streams zlib
 * never writes. gzip streamed from a pipe (zlib) with the same rules and messages. Lines and
 * CSV records, their limits and messages; a file truncated by another process while it is
 * read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <crmkit/alloc.h>
#include <crmkit/fim.h>
#include <crmkit/io.h>

#include "crm_test.h"
#include "gzip_ref.h"
#include "io/reader.h"

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

/* crm__io_gunzip must succeed when the reference does, with the same bytes, and fail (with
 * "gzip data is ...") where it fails: libdeflate takes a few malformed dynamic-block headers
 * that zlib refuses (the fuzzer found "invalid bit length repeat"), none of them among the
 * streams below. */
static void check_same_as_zlib(const uint8_t *gz, size_t gz_len)
{
    uint8_t *want = NULL;
    size_t want_len = 0;
    char *got = NULL;
    size_t got_len = 0;
    crm_error err;
    int ref = ref_gunzip(gz, gz_len, &want, &want_len);
    crm_status rc = crm__io_gunzip(gz, gz_len, "t.gz", 0, &got, &got_len, &err);
    if (ref == 0) {
        if (rc != CRM_OK) {
            fail_msg("zlib decodes %zu bytes but crm__io_gunzip fails: %s", gz_len, err.msg);
        }
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        assert_int_equal(got[got_len], '\0');
    } else {
        if (rc == CRM_OK) {
            fail_msg("zlib refuses %zu bytes but crm__io_gunzip decodes %zu", gz_len, got_len);
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
                    if (crm__io_gunzip(gz, gz_len, "t.gz", 0, &got, &got_len, &err) != CRM_OK) {
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
    assert_int_equal(crm__io_gunzip(cat, la + 3 + lb + lc + 7, "t.gz", 0, &got, &got_len, &err),
                     CRM_OK);
    assert_int_equal(got_len, 5000 + 70000 + 5000);
    assert_memory_equal(got, a, 5000);
    assert_memory_equal(got + 5000, b, 70000);
    assert_memory_equal(got + 75000, a, 5000);
    crm_free(got);
    check_same_as_zlib(cat, la + 3 + lb + lc + 7);
    /* a byte that is not zero after a member is an error, as for zlib */
    cat[la + 1] = 'x';
    assert_int_equal(crm__io_gunzip(cat, la + 3 + lb + lc + 7, "t.gz", 0, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_non_null(strstr(err.msg, "corrupt (incorrect header check)"));
    assert_string_equal(err.source, "t.gz");
    check_same_as_zlib(cat, la + 3 + lb + lc + 7);
    /* a few bytes of text after a member: not gzip, not a truncated member */
    cat[la + 1] = 0;
    memcpy(cat + la + 3 + lb + lc, "junk\n", 5);
    assert_int_equal(crm__io_gunzip(cat, la + 3 + lb + lc + 5, "t.gz", 0, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_non_null(strstr(err.msg, "corrupt (incorrect header check)"));
    /* the header CRC is checked */
    gc[lc - 9] ^= 1; /* the data's CRC: last member, last 8 bytes are CRC and length */
    assert_int_equal(crm__io_gunzip(gc, lc, "t.gz", 0, &got, &got_len, &err), CRM_EPARSE);
    gc[lc - 9] ^= 1;
    gc[lc - 8] ^= 1;
    assert_int_equal(crm__io_gunzip(gc, lc, "t.gz", 0, &got, &got_len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "incorrect data check"));
    gc[lc - 8] ^= 1;
    gc[lc - 2] ^= 1;
    assert_int_equal(crm__io_gunzip(gc, lc, "t.gz", 0, &got, &got_len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "incorrect length check"));
    gc[lc - 2] ^= 1;
    {
        size_t hcrc_at =
            10 + 2 + sizeof extra + strlen("baskets.dat") + 1 + strlen("made by the test") + 1;
        gc[hcrc_at] ^= 1;
        assert_int_equal(crm__io_gunzip(gc, lc, "t.gz", 0, &got, &got_len, &err), CRM_EPARSE);
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

/* Outputs of a MiB and more are decoded while a second thread makes their pages: the same
 * bytes, and the same errors, as one thread gives; members past the room the last trailer
 * promised are decoded after that thread is done, into a larger block. */
static void large_outputs_decode_with_pages_made_ahead(void **state)
{
    size_t la = 2600000, lb = 1200000, ga_len, gb_len;
    uint8_t *a = make_data(1, la), *b = make_data(2, lb);
    uint8_t *ga = gzip_with(a, la, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &ga_len);
    uint8_t *gb = gzip_with(b, lb, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &gb_len);
    uint8_t *cat = malloc(ga_len + gb_len);
    char *got = NULL;
    size_t got_len = 0;
    crm_error err;
    (void)state;
    assert_non_null(cat);
    /* one member that fits the room its trailer gives */
    assert_int_equal(crm__io_gunzip(ga, ga_len, "a.gz", 2, &got, &got_len, &err), CRM_OK);
    assert_int_equal(got_len, la);
    assert_memory_equal(got, a, la);
    crm_free(got);
    /* a, then b: the room is b's size, a does not fit it */
    memcpy(cat, ga, ga_len);
    memcpy(cat + ga_len, gb, gb_len);
    assert_int_equal(crm__io_gunzip(cat, ga_len + gb_len, "ab.gz", 2, &got, &got_len, &err),
                     CRM_OK);
    assert_int_equal(got_len, la + lb);
    assert_memory_equal(got, a, la);
    assert_memory_equal(got + la, b, lb);
    assert_int_equal(got[got_len], '\0');
    crm_free(got);
    check_same_as_zlib(cat, ga_len + gb_len);
    /* damage in the member decoded beside the second thread, and in the one after it */
    cat[ga_len - 8] ^= 1;
    assert_int_equal(crm__io_gunzip(cat, ga_len + gb_len, "ab.gz", 2, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_string_equal(err.msg, "gzip data is corrupt (incorrect data check)");
    assert_null(got);
    cat[ga_len - 8] ^= 1;
    cat[ga_len + gb_len - 2] ^= 1;
    assert_int_equal(crm__io_gunzip(cat, ga_len + gb_len, "ab.gz", 2, &got, &got_len, &err),
                     CRM_EPARSE);
    assert_null(got);
    cat[ga_len + gb_len - 2] ^= 1;
    /* cut inside the first member: truncated */
    assert_int_equal(crm__io_gunzip(cat, ga_len / 2, "ab.gz", 2, &got, &got_len, &err), CRM_EPARSE);
    assert_string_equal(err.msg, "gzip data is truncated");
    assert_int_equal(crm__io_gunzip(cat, ga_len + gb_len, "ab.gz", 1, &got, &got_len, &err),
                     CRM_OK);
    assert_int_equal(got_len, la + lb);
    assert_memory_equal(got + la, b, lb);
    crm_free(got);
    free(cat);
    free(ga);
    free(gb);
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
                assert_int_equal(crm__io_gunzip(gz, cut, "t.gz", 0, &got, &got_len, &err),
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
    crm_status rc = crm__io_gunzip(gz, len, "hand.gz", 0, &got, &got_len, &err);
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

/* ---- streamed from a pipe ----------------------------------------------------------------- */

/* data[0..len) written to a pipe by a child process and read back through the reader as a
 * stream (zlib for gzip): crm__io_load's status, *out (crm_free) and err. */
static crm_status
load_from_pipe(const void *data, size_t len, char **out, size_t *out_len, crm_error *err)
{
    int fds[2];
    char path[64];
    pid_t pid;
    crm_status rc;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *p = data;
        close(fds[0]);
        while (len > 0) {
            ssize_t w = write(fds[1], p, len > 4096 ? 4096 : len);
            if (w <= 0) {
                _exit(1);
            }
            p += w;
            len -= (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    rc = crm__io_load(path, out, out_len, err);
    close(fds[0]);
    (void)waitpid(pid, NULL, 0);
    return rc;
}

static void pipes_stream_gzip_with_the_same_rules(void **state)
{
    uint8_t *a = make_data(1, 5000), *b = make_data(3, 300000);
    size_t la, lb, n, len;
    uint8_t *ga = gzip_with(a, 5000, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &la);
    uint8_t *gb = gzip_with(b, 300000, 1, 15, 8, Z_DEFAULT_STRATEGY, NULL, &lb);
    uint8_t *cat = calloc(la + 5 + lb + la + 3, 1), *empty;
    size_t le;
    char *got = NULL;
    crm_error err;
    (void)state;
    assert_non_null(cat);
    /* a, 5 zero bytes, b, a, 3 zero bytes */
    memcpy(cat, ga, la);
    memcpy(cat + la + 5, gb, lb);
    memcpy(cat + la + 5 + lb, ga, la);
    n = la + 5 + lb + la + 3;
    assert_int_equal(load_from_pipe(cat, n, &got, &len, &err), CRM_OK);
    assert_int_equal(len, 5000 + 300000 + 5000);
    assert_memory_equal(got, a, 5000);
    assert_memory_equal(got + 5000, b, 300000);
    assert_memory_equal(got + 305000, a, 5000);
    crm_free(got);
    /* cut inside the second member, and inside the last trailer */
    assert_int_equal(load_from_pipe(cat, la + 5 + lb / 2, &got, &len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "gzip data is truncated"));
    assert_null(got);
    assert_int_equal(load_from_pipe(cat, la + 5 + lb + la - 3, &got, &len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "gzip data is truncated"));
    /* text after the last member */
    memcpy(cat + la + 5 + lb + la, "ab\n", 3);
    assert_int_equal(load_from_pipe(cat, n, &got, &len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "gzip data is corrupt (incorrect header check)"));
    /* a damaged CRC-32 in the first member */
    memset(cat + la + 5 + lb + la, 0, 3);
    cat[la - 8] ^= 0x40;
    assert_int_equal(load_from_pipe(cat, n, &got, &len, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "gzip data is corrupt (incorrect data check)"));
    cat[la - 8] ^= 0x40;
    /* a member of nothing is no text at all; plain text in a pipe passes through */
    empty = gzip_with((const uint8_t *)"", 0, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &le);
    assert_int_equal(load_from_pipe(empty, le, &got, &len, &err), CRM_OK);
    assert_int_equal(len, 0);
    crm_free(got);
    assert_int_equal(crm__io_gunzip(empty, le, "e.gz", 0, &got, &len, &err), CRM_OK);
    assert_int_equal(len, 0);
    crm_free(got);
    assert_int_equal(load_from_pipe("1 2\n3\n", 6, &got, &len, &err), CRM_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(got, "1 2\n3\n", 6);
    crm_free(got);
    free(empty);
    free(cat);
    free(ga);
    free(gb);
    free(a);
    free(b);
}

/* ---- files ------------------------------------------------------------------------------ */

static char *write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    FILE *f;
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void files_by_magic_not_by_name(void **state)
{
    char *dir = crm_test_tmpdir();
    const char *text = "a,b\n1,2\n";
    size_t gl, len;
    uint8_t *gz = gzip_with((const uint8_t *)text, 8, 6, 15, 8, Z_DEFAULT_STRATEGY, NULL, &gl);
    char *plain_gz = write_file(dir, "plain.csv.gz", text, 8);
    char *real_gz = write_file(dir, "real.csv", gz, gl);
    char *got = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm__io_load(plain_gz, &got, &len, &err), CRM_OK);
    assert_int_equal(len, 8);
    assert_string_equal(got, text);
    crm_free(got);
    assert_int_equal(crm__io_load(real_gz, &got, &len, &err), CRM_OK);
    assert_string_equal(got, text);
    crm_free(got);
    assert_int_equal(crm__io_load(dir, &got, &len, &err), CRM_ENOTFOUND);
    assert_non_null(strstr(err.msg, "is a directory"));
    /* a truncated .gz file names itself */
    free(real_gz);
    real_gz = write_file(dir, "cut.csv.gz", gz, gl - 5);
    assert_int_equal(crm__io_load(real_gz, &got, &len, &err), CRM_EPARSE);
    assert_string_equal(err.source, real_gz);
    assert_non_null(strstr(err.msg, "gzip data is truncated"));
    free(plain_gz);
    free(real_gz);
    free(gz);
    crm_test_rmdir(dir);
    free(dir);
}

/* The read hook truncates the file from another process after the first read of a file:
 * the reader must say the file changed, never die of SIGBUS as a mapping of it would. */
static const char *truncate_path;
static void truncate_after_first_read(const char *path, size_t bytes_read)
{
    pid_t pid;
    (void)bytes_read;
    if (truncate_path == NULL || strcmp(path, truncate_path) != 0) {
        return;
    }
    truncate_path = NULL;
    pid = fork();
    if (pid == 0) {
        _exit(truncate(path, 1000) == 0 ? 0 : 1);
    }
    assert_true(pid > 0);
    {
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static void a_file_truncated_while_read_is_an_error(void **state)
{
    char *dir = crm_test_tmpdir();
    size_t len = (size_t)3 << 20; /* three reads of a file */
    char *text = malloc(len), *path, *csv;
    crm_fim_db *db = NULL;
    crm_table *t = NULL;
    crm_error err;
    (void)state;
    assert_non_null(text);
    for (size_t i = 0; i < len; i += 8) {
        memcpy(text + i, "1 22 33\n", 8);
    }
    path = write_file(dir, "b.dat", text, len);
    for (size_t i = 0; i < len; i += 8) {
        memcpy(text + i, i == 0 ? "x,y,zz\n\n" : "1,2,33\n\n", 8);
    }
    csv = write_file(dir, "t.csv", text, len);
    crm__reader_read_hook = truncate_after_first_read;
    truncate_path = path;
    if (crm_fim_db_read(path, NULL, NULL, &db, &err) != CRM_EIO) {
        fail_msg("%s", err.msg);
    }
    assert_null(db);
    assert_non_null(strstr(err.msg, "changed while it was read"));
    assert_string_equal(err.source, path);
    truncate_path = csv;
    if (crm_table_read_csv(csv, NULL, NULL, &t, &err) != CRM_EIO) {
        fail_msg("%s", err.msg);
    }
    assert_null(t);
    assert_non_null(strstr(err.msg, "changed while it was read"));
    crm__reader_read_hook = NULL;
    /* read again without the hook: what is left of it (1000 bytes: the header, 124 rows) */
    assert_int_equal(crm_table_read_csv(csv, NULL, NULL, &t, &err), CRM_OK);
    assert_int_equal(crm_table_n_rows(t), 124);
    crm_table_free(t);
    t = NULL;
    free(path);
    free(csv);
    free(text);
    crm_test_rmdir(dir);
    free(dir);
}

/* ---- lines and records ------------------------------------------------------------------ */

static void lines_and_their_limit(void **state)
{
    const char *text = "ab\r\n\ncd";
    crm__reader_limits lim = { 4, 0, 0, 0 };
    crm__reader *r = NULL;
    const char *line;
    size_t len;
    crm_error err;
    (void)state;
    assert_int_equal(crm__reader_open_mem(text, strlen(text), "m", NULL, &r, &err), CRM_OK);
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_OK);
    assert_int_equal(len, 3); /* the \r is kept */
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_OK);
    assert_int_equal(len, 0);
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_OK);
    assert_memory_equal(line, "cd", 2);
    assert_int_equal(crm__reader_line_no(r), 3);
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_EOF);
    crm__reader_free(r);
    assert_int_equal(crm__reader_open_mem("abc\nabcde\n", 10, "m", &lim, &r, &err), CRM_OK);
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_OK);
    assert_int_equal(crm__reader_line(r, &line, &len), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_ELIMIT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "line longer than the limit of 4 bytes"));
    crm__reader_free(r);
}

static crm__reader *mem_reader(const char *text, size_t max_field)
{
    crm__reader_limits lim = { 0, max_field, 0, 0 };
    crm__reader *r = NULL;
    crm_error err;
    assert_int_equal(crm__reader_open_mem(text, strlen(text), "r.csv", &lim, &r, &err), CRM_OK);
    return r;
}

static void csv_records_as_the_table_reader_splits_them(void **state)
{
    crm__reader *r =
        mem_reader("id,\"na,me\",x\r\n\n1,\"say \"\"hi\"\"\",\"two\nlines\"\n2,,\n", 0);
    crm__csv_record rec;
    crm_error err;
    (void)state;
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_OK);
    assert_int_equal(rec.n, 3);
    assert_string_equal(rec.field[1], "na,me");
    assert_string_equal(rec.field[2], "x");
    assert_int_equal(rec.line, 1);
    assert_int_equal(crm__reader_record(r, ',', 3, &rec), CRM__READ_OK);
    assert_int_equal(rec.line, 3);
    assert_string_equal(rec.field[1], "say \"hi\"");
    assert_int_equal(rec.len[1], 8);
    assert_string_equal(rec.field[2], "two\nlines");
    assert_int_equal(crm__reader_record(r, ',', 3, &rec), CRM__READ_OK);
    assert_int_equal(rec.line, 5);
    assert_int_equal(rec.len[1] + rec.len[2], 0);
    assert_int_equal(crm__reader_record(r, ',', 3, &rec), CRM__READ_EOF);
    crm__reader_free(r);
    /* the table reader's messages */
    r = mem_reader("a;b\n1;2;3\n", 0);
    assert_int_equal(crm__reader_record(r, ';', 0, &rec), CRM__READ_OK);
    assert_int_equal(crm__reader_record(r, ';', 2, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_EPARSE);
    assert_string_equal(err.msg, "row has more fields than the 2 of the header");
    assert_int_equal(err.line, 2);
    crm__reader_free(r);
    r = mem_reader("a,b\n1\n", 0);
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_OK);
    assert_int_equal(crm__reader_record(r, ',', 2, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_EPARSE);
    assert_string_equal(err.msg, "row has 1 fields, the header has 2");
    crm__reader_free(r);
    r = mem_reader("a,\"b\n1,2\n", 0);
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "quoted field is not closed"));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 2);
    crm__reader_free(r);
    r = mem_reader("a,b\n\"x\"y,2\n", 0);
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_OK);
    assert_int_equal(crm__reader_record(r, ',', 2, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "unexpected character 'y' after a closing quote"));
    assert_int_equal(err.line, 2);
    crm__reader_free(r);
    r = mem_reader("a,b\nxy\"z,2\n", 0);
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_OK);
    assert_int_equal(crm__reader_record(r, ',', 2, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_EPARSE);
    assert_non_null(strstr(err.msg, "quote character inside an unquoted field"));
    crm__reader_free(r);
    r = mem_reader("a,b\n12345,2\n", 4);
    assert_int_equal(crm__reader_record(r, ',', 0, &rec), CRM__READ_OK);
    assert_int_equal(crm__reader_record(r, ',', 2, &rec), CRM__READ_FAIL);
    assert_int_equal(crm__reader_error(r, &err), CRM_ELIMIT);
    assert_non_null(strstr(err.msg, "field longer than the limit of 4 bytes"));
    assert_int_equal(err.column, 1);
    crm__reader_free(r);
}
/* Blocks of bytes exchanged between processes: what is put reads back, a short block or a
 * count the rest cannot hold makes the cursor bad (and sticky), and nothing left over is
 * "done". */
static void byte_blocks_round_trip_and_refuse_damage(void **state)
{
    crm__bytes_out b;
    crm__bytes_in r;
    char *buf = NULL;
    size_t len = 0;
    size_t n = 0;
    double x = 0;
    const char *str;
    crm_error err;
    (void)state;
    memset(&b, 0, sizeof b);
    b.first_cap = 8; /* grows several times */
    crm__bytes_put_i64(&b, -5);
    crm__bytes_put_str(&b, "basket", 6);
    crm__bytes_put(&b, &(double){ 2.5 }, sizeof(double));
    crm__bytes_put_i64(&b, 3);
    assert_int_equal(crm__bytes_out_take(&b, &buf, &len, &err), CRM_OK);
    assert_int_equal(len, 8 + 8 + 6 + 8 + 8);

    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    assert_int_equal(crm__bytes_get_i64(&r), -5);
    str = crm__bytes_get_str(&r, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(str, "basket", 6);
    crm__bytes_get(&r, &x, sizeof x);
    assert_true(x == 2.5);
    assert_false(crm__bytes_in_done(&r));
    assert_int_equal(crm__bytes_get_count(&r, 1), 0); /* 3 things, nothing left */
    assert_true(r.bad);
    assert_int_equal(crm__bytes_get_i64(&r), 0); /* sticky */
    assert_false(crm__bytes_in_done(&r));

    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    (void)crm__bytes_get_i64(&r);
    (void)crm__bytes_get_str(&r, &n);
    crm__bytes_get(&r, &x, sizeof x);
    assert_int_equal(crm__bytes_get_i64(&r), 3);
    assert_true(crm__bytes_in_done(&r));

    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = 20; /* -5, the string's length, then only 4 of its 6 bytes */
    (void)crm__bytes_get_i64(&r);
    assert_null(crm__bytes_get_str(&r, &n));
    assert_true(r.bad);
    crm_free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_block_decodes_as_zlib_wrote_it),
        cmocka_unit_test(members_padding_and_header_fields),
        cmocka_unit_test(large_outputs_decode_with_pages_made_ahead),
        cmocka_unit_test(truncations_and_damage_fail_as_zlib_fails),
        cmocka_unit_test(hand_made_streams),
        cmocka_unit_test(pipes_stream_gzip_with_the_same_rules),
        cmocka_unit_test(files_by_magic_not_by_name),
        cmocka_unit_test(a_file_truncated_while_read_is_an_error),
        cmocka_unit_test(lines_and_their_limit),
        cmocka_unit_test(csv_records_as_the_table_reader_splits_them),
        cmocka_unit_test(byte_blocks_round_trip_and_refuse_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
