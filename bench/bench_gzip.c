/* bench_gzip.c: gzip decoding as crmkit's readers do it (crm__io_gunzip: libdeflate, output
 * allocated each time, so its page faults are counted; from 1 MiB of output a second OpenMP
 * thread makes the pages ahead of the decoder, so OMP_NUM_THREADS=1 gives the decoder alone)
 * against zlib's inflate (one inflate() call into an output buffer allocated and faulted in
 * beforehand: its best case), the compressed file in memory, runs interleaved (one of each
 * per round), best of RUNS. Both check the CRC-32; the outputs must be equal.
 *
 * Built with -DBENCH_OLD_GUNZIP and the decoder crmkit carried before libdeflate (commit
 * cca4dd1: src/io/gunzip.c and src/core/crc32.c, linked from that commit's build), it times
 * that one too in the same rounds, for the side-by-side table in bench/RESULTS.md:
 *   cc -O2 -DBENCH_OLD_GUNZIP -Isrc -Iinclude -Ibuild/include bench/bench_gzip.c \
 *      build/libcrmkit.a OLD/build/libcrmkit.a -ldeflate -lz -lm -fopenmp
 *
 * usage: bench_gzip [RUNS] FILE.gz...   (default: the FIMI files in ../shared/data/fimi) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <crmkit/alloc.h>

#include "io/reader.h"
#ifdef BENCH_OLD_GUNZIP
/* The old decoder's entry (commit cca4dd1, src/io/gunzip.c), linked from that build; its
 * hooks argument is passed NULL. */
crm_status crm__gunzip(const void *in,
                       size_t len,
                       const char *source,
                       const void *hooks,
                       char **out,
                       size_t *out_len,
                       crm_error *err);
#endif

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
        fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    *len = b != NULL ? (size_t)n : 0;
    return b;
}

/* zlib: one inflate() of the whole (single-member) file into out[0..cap); bytes or 0. */
static size_t zlib_once(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    size_t n;
    int rc;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        return 0;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    rc = inflate(&zs, Z_FINISH);
    n = cap - zs.avail_out;
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? n : 0;
}

static int bench_file(const char *path, int runs)
{
    size_t len, cap, zn = 0, ln = 0;
    unsigned char *in = slurp(path, &len), *zout;
    double zbest = 1e30, lbest = 1e30, obest = 1e30;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *lout = NULL;
    crm_error err;
    if (in == NULL || len < 18) {
        fprintf(stderr, "bench_gzip: cannot read %s\n", path);
        free(in);
        return 1;
    }
    cap = ((size_t)in[len - 4] | (size_t)in[len - 3] << 8 | (size_t)in[len - 2] << 16 |
           (size_t)in[len - 1] << 24) +
          1024;
    zout = malloc(cap);
    if (zout == NULL) {
        free(in);
        return 1;
    }
    memset(zout, 0, cap);
    for (int r = 0; r < runs; r++) {
        double t = wall();
        zn = zlib_once(in, len, zout, cap);
        t = wall() - t;
        zbest = t < zbest ? t : zbest;
        crm_free(lout);
        t = wall();
        if (crm__io_gunzip(in, len, path, 0, &lout, &ln, &err) != CRM_OK) {
            fprintf(stderr, "bench_gzip: %s\n", err.msg);
            return 1;
        }
        t = wall() - t;
        lbest = t < lbest ? t : lbest;
#ifdef BENCH_OLD_GUNZIP
        {
            char *oout = NULL;
            size_t on = 0;
            t = wall();
            if (crm__gunzip(in, len, path, NULL, &oout, &on, &err) != CRM_OK || on != ln) {
                fprintf(stderr, "bench_gzip: the old decoder fails on %s\n", path);
                return 1;
            }
            t = wall() - t;
            obest = t < obest ? t : obest;
            crm_free(oout);
        }
#endif
    }
    if (zn == 0 || zn != ln || memcmp(zout, lout, zn) != 0) {
        fprintf(stderr, "bench_gzip: %s: zlib and crm__io_gunzip differ\n", path);
        return 1;
    }
    printf("| %s | %.2f | %.2f | %.2f | %.2f | **%.2f** |", name, len / 1e6, zn / 1e6, zbest * 1e3,
           lbest * 1e3, zbest / lbest);
    if (obest < 1e30) {
        printf(" %.2f | **%.2f** |", obest * 1e3, obest / lbest);
    }
    printf("\n");
    free(in);
    free(zout);
    crm_free(lout);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *fimi[] = { "chess", "mushroom", "connect", "retail", "T10I4D100K" };
    int runs = argc > 1 ? atoi(argv[1]) : 0, bad = 0;
    runs = runs > 0 ? runs : 20;
#ifdef BENCH_OLD_GUNZIP
    printf("| file | MB in | MB out | zlib ms | libdeflate ms | zlib / libdeflate | old decoder ms "
           "| old / libdeflate |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
#else
    printf("| file | MB in | MB out | zlib ms | libdeflate ms | zlib / libdeflate |\n"
           "|---|---:|---:|---:|---:|---:|\n");
#endif
    if (argc > 2) {
        for (int i = 2; i < argc; i++) {
            bad |= bench_file(argv[i], runs);
        }
    } else {
        for (size_t i = 0; i < sizeof fimi / sizeof fimi[0]; i++) {
            char path[512];
            snprintf(path, sizeof path, "../shared/data/fimi/%s.dat.gz", fimi[i]);
            bad |= bench_file(path, runs);
        }
    }
    return bad;
}
