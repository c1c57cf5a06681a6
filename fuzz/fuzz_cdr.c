/* fuzz_cdr.c: crmkit cdr on arbitrary bytes (plain or gzip). The input is written to a file
 * and read with 1 and 2 threads: both must give the same features or the same error at the
 * same line and column, and features must keep their invariants (counts whole and >= 0,
 * shares in [0, 1], the summary's counts adding up). Anything else, and any sanitizer
 * report, is a bug. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crmkit/cdr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_features(const crm_cdr_features *f)
{
    crm_cdr_summary s = crm_cdr_features_summary(f);
    if (s.n_voice + s.n_sms + s.n_data != s.n_used || s.n_used > s.n_records ||
        s.n_customers != crm_cdr_features_n_customers(f) || s.n_customers < 1 ||
        s.first_day > s.last_day) {
        abort();
    }
    for (int64_t i = 0; i < s.n_customers; i++) {
        if (i > 0 && strcmp(crm_cdr_features_id(f, i - 1), crm_cdr_features_id(f, i)) >= 0) {
            abort();
        }
        for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
            double v = crm_cdr_features_value(f, i, j);
            const char *name = crm_cdr_feature_name(j);
            if (!isfinite(v) || v < 0) {
                abort();
            }
            if (strstr(name, "share") != NULL && v > 1.0 + 1e-12) {
                abort();
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    crm_cdr_features *f[2] = { NULL, NULL };
    crm_status rc[2];
    crm_error err[2];
    FILE *fp;
    snprintf(path, sizeof path, "/tmp/fuzz_cdr_%ld.csv", (long)getpid());
    fp = fopen(path, "wb");
    if (fp == NULL) {
        return 0;
    }
    if (size > 0 && fwrite(data, 1, size, fp) != size) {
        fclose(fp);
        return 0;
    }
    fclose(fp);
    for (int k = 0; k < 2; k++) {
        crm_cdr_params p = crm_cdr_params_default();
        p.n_threads = k + 1;
        if (size > 0 && (data[0] & 1)) { /* a window on some inputs */
            p.has_from = true;
            p.from_day = 19723 + (data[0] >> 4);
        }
        crm_error_clear(&err[k]);
        rc[k] = crm_cdr_aggregate(path, &p, NULL, &f[k], &err[k]);
        if ((rc[k] == CRM_OK) != (f[k] != NULL)) {
            abort();
        }
    }
    unlink(path);
    if (rc[0] != rc[1]) {
        abort();
    }
    if (rc[0] != CRM_OK) {
        if (err[0].line != err[1].line || err[0].column != err[1].column ||
            strcmp(err[0].msg, err[1].msg) != 0) {
            abort();
        }
    } else {
        check_features(f[0]);
        if (crm_cdr_features_n_customers(f[0]) != crm_cdr_features_n_customers(f[1])) {
            abort();
        }
        for (int64_t i = 0; i < crm_cdr_features_n_customers(f[0]); i++) {
            for (int32_t j = 0; j < CRM_CDR_N_FEATURES; j++) {
                if (crm_cdr_features_value(f[0], i, j) != crm_cdr_features_value(f[1], i, j)) {
                    abort();
                }
            }
        }
    }
    crm_cdr_features_free(f[0]);
    crm_cdr_features_free(f[1]);
    return 0;
}
