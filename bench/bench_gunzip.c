/* bench_gunzip.c: why crmkit decodes gzip itself. zlib's inflate against crm__gunzip
 * (src/io/gunzip.c) on the same files, single thread, in memory: zlib in one inflate() call
 * into an output buffer allocated and faulted in beforehand (its best case), crm__gunzip as
 * the readers call it (allocating its output each time, so its page faults are counted).
 * Both include the CRC-32. Each time is the best of RUNS; the outputs must be equal.
 *
 * usage: bench_gunzip [RUNS] FILE.gz...   (default: the FIMI files in ../shared/data/fimi)
 * Prints a Markdown table for bench/results/gunzip.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <crmkit/alloc.h>

#include "io/gunzip.h"

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
    size_t len, cap, zn = 0, cn = 0;
    unsigned char *in = slurp(path, &len), *zout;
    double zbest = 1e30, cbest = 1e30;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *cout = NULL;
    crm_error err;
    if (in == NULL || len < 18) {
        fprintf(stderr, "bench_gunzip: cannot read %s\n", path);
        free(in);
        return 1;
    }
    cap = crm__gunzip_size_guess(in, len) + 1024;
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
    }
    for (int r = 0; r < runs; r++) {
        double t;
        crm_free(cout);
        cout = NULL;
        t = wall();
        if (crm__gunzip(in, len, path, NULL, &cout, &cn, &err) != CRM_OK) {
            fprintf(stderr, "bench_gunzip: %s\n", err.msg);
            free(in);
            free(zout);
            return 1;
        }
        t = wall() - t;
        cbest = t < cbest ? t : cbest;
    }
    if (zn == 0 || zn != cn || memcmp(zout, cout, zn) != 0) {
        fprintf(stderr, "bench_gunzip: %s: zlib and crm__gunzip differ\n", path);
        free(in);
        free(zout);
        crm_free(cout);
        return 1;
    }
    printf("| %s | %.2f | %.2f | %.2f | %.0f | %.2f | %.0f | **%.2f** |\n", name, len / 1e6,
           zn / 1e6, zbest * 1e3, zn / zbest / 1e6, cbest * 1e3, zn / cbest / 1e6, zbest / cbest);
    free(in);
    free(zout);
    crm_free(cout);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *fimi[] = { "chess", "mushroom", "connect", "retail", "T10I4D100K" };
    int runs = argc > 1 ? atoi(argv[1]) : 0, bad = 0;
    runs = runs > 0 ? runs : 20;
    printf("| file | MB in | MB out | zlib ms | zlib MB/s | crmkit ms | crmkit MB/s | zlib / "
           "crmkit |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
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
