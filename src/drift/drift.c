/* drift.c: the drift reference (training distribution of each feature over fixed bins), its
 * model section "driftref", and the population stability index (crmkit/drift.h).
 *
 * Section layout: u32 version (1), i64 n_rows, i32 n_features, then per feature: str name,
 * i32 type (0 numeric, 1 categorical), i32 n_edges, f64s edges[n_edges], i32 n_levels,
 * strs levels[n_levels], i32 n_bins, f64s shares[n_bins]. A numeric feature has n_levels 0 and
 * n_bins = n_edges + 2 (the missing bin last); a categorical one n_edges 0 and
 * n_bins = n_levels + 1 (missing or unseen last). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/dist.h>
#include <crmkit/drift.h>

#include "core/core_internal.h"
#include "core/first_error.h"

#define DRIFT_TAG     "driftref"
#define DRIFT_VERSION 1u
#define MAX_NAME      CRM_MODEL_MAX_NAME

typedef struct drift_feat {
    char *name;
    int32_t type; /* 0 numeric, 1 categorical */
    int32_t n_edges;
    double *edges;
    int32_t n_levels;
    char **levels;
    int32_t n_bins;
    double *shares;
} drift_feat;

struct crm_drift_ref {
    int64_t n_rows;
    int32_t n;
    drift_feat *f;
};

double crm_drift_psi(const double *p, const double *q, int32_t n)
{
    double s = 0;
    for (int32_t b = 0; b < n; b++) {
        double pb = p[b] > CRM_DRIFT_EPS ? p[b] : CRM_DRIFT_EPS;
        double qb = q[b] > CRM_DRIFT_EPS ? q[b] : CRM_DRIFT_EPS;
        s += (qb - pb) * log(qb / pb);
    }
    return s;
}

void crm_drift_ref_free(crm_drift_ref *d)
{
    if (d == NULL) {
        return;
    }
    for (int32_t i = 0; i < d->n; i++) {
        drift_feat *f = &d->f[i];
        crm_free(f->name);
        crm_free(f->edges);
        for (int32_t l = 0; l < f->n_levels && f->levels; l++) {
            crm_free(f->levels[l]);
        }
        crm_free(f->levels);
        crm_free(f->shares);
    }
    crm_free(d->f);
    crm_free(d);
}

/* Bin of a numeric value: the first bin whose upper edge is >= x; the missing bin for NaN. */
static int32_t num_bin(const drift_feat *f, double x)
{
    int32_t lo = 0;
    int32_t hi = f->n_edges;
    if (isnan(x)) {
        return f->n_edges + 1;
    }
    while (lo < hi) { /* first edge >= x */
        int32_t mid = lo + (hi - lo) / 2;
        if (f->edges[mid] >= x) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

/* counts[b] += the values of v[0, n) in numeric bin b (num_bin for each, counted by compares
 * that vectorise: the bin is the number of edges below the value). */
CRM__CLONES
static void count_bins(const drift_feat *f, const double *v, int64_t n, int64_t *counts)
{
    enum {
        CHUNK = 512
    };
    int64_t key[CHUNK];
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t len = n - c0 < CHUNK ? n - c0 : CHUNK;
        const double *x = v + c0;
        for (int64_t i = 0; i < len; i++) {
            key[i] = 0;
        }
        for (int32_t e = 0; e < f->n_edges; e++) {
            double edge = f->edges[e];
            for (int64_t i = 0; i < len; i++) {
                key[i] += edge < x[i];
            }
        }
        for (int64_t i = 0; i < len; i++) {
            counts[isnan(x[i]) ? f->n_edges + 1 : key[i]]++;
        }
    }
}

/* scratch: room for n values (the thread's, reused from feature to feature), or NULL. */
static crm_status fit_numeric(drift_feat *f,
                              const double *v,
                              int64_t n,
                              int32_t n_bins,
                              double *scratch,
                              crm_error *err)
{
    double *s = scratch != NULL ? scratch : crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *s);
    int64_t *counts;
    int64_t ranks[2 * 100];
    double vals[2 * 100];
    int64_t le[100]; /* present values <= each edge */
    crm__os_kept kept;
    int counted = 1;
    int nr = 0;
    int64_t m = 0;
    if (s == NULL) {
        return crm__error_nomem(err);
    }
    m = crm__count_present(v, n);
    f->edges = crm_mallocarray((size_t)n_bins, sizeof *f->edges);
    if (f->edges == NULL) {
        if (s != scratch) {
            crm_free(s);
        }
        return crm__error_nomem(err);
    }
    /* only the order statistics the edges use, each exactly where a sort would put it */
    for (int32_t i = 1; i < n_bins && m > 0; i++) {
        double pos = (double)i / (double)n_bins * (double)(m - 1);
        int64_t lo = (int64_t)floor(pos);
        for (int64_t r = lo; r <= lo + 1 && r < m; r++) {
            if (nr == 0 || r > ranks[nr - 1]) {
                ranks[nr++] = r;
            }
        }
    }
    crm__order_stats_kept(v, n, m, ranks, nr, s, vals, &kept);
    for (int32_t i = 1, r = 0; i < n_bins && m > 0; i++) {
        double pos = (double)i / (double)n_bins * (double)(m - 1); /* numpy "linear" */
        int64_t lo = (int64_t)floor(pos);
        double e;
        while (ranks[r] < lo) {
            r++;
        }
        e = lo + 1 < m ? vals[r] + (pos - (double)lo) * (vals[r + 1] - vals[r]) : vals[r];
        if (f->n_edges == 0 || e > f->edges[f->n_edges - 1]) {
            f->edges[f->n_edges++] = e;
        }
    }
    /* the bins from the copies the order statistics left in s (an edge lies between two
     * of them), else by a pass over the values */
    for (int32_t b = 0; b < f->n_edges && counted; b++) {
        le[b] = crm__os_count_le(&kept, s, f->edges[b]);
        counted = le[b] >= 0;
    }
    if (s != scratch) {
        crm_free(s);
    }
    f->n_bins = f->n_edges + 2;
    f->shares = crm_calloc((size_t)f->n_bins, sizeof *f->shares);
    counts = crm_calloc((size_t)f->n_bins, sizeof *counts);
    if (f->shares == NULL || counts == NULL) {
        crm_free(counts);
        return crm__error_nomem(err);
    }
    if (counted && m > 0) { /* bin b: edges[b - 1] < x <= edges[b] */
        for (int32_t b = 0; b < f->n_edges; b++) {
            counts[b] = le[b] - (b > 0 ? le[b - 1] : 0);
        }
        counts[f->n_edges] = m - (f->n_edges > 0 ? le[f->n_edges - 1] : 0);
        counts[f->n_edges + 1] = n - m;
    } else {
        count_bins(f, v, n, counts);
    }
    for (int32_t b = 0; b < f->n_bins && n > 0; b++) {
        f->shares[b] = (double)counts[b] / (double)n;
    }
    crm_free(counts);
    return CRM_OK;
}

static crm_status fit_categorical(drift_feat *f, const crm_table *t, int32_t j, crm_error *err)
{
    int64_t n = crm_table_n_rows(t);
    const int32_t *codes = crm_table_codes(t, j);
    f->n_levels = crm_table_n_levels(t, j);
    f->levels = crm_calloc((size_t)(f->n_levels > 0 ? f->n_levels : 1), sizeof *f->levels);
    f->n_bins = f->n_levels + 1;
    f->shares = crm_calloc((size_t)f->n_bins, sizeof *f->shares);
    if (f->levels == NULL || f->shares == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t l = 0; l < f->n_levels; l++) {
        f->levels[l] = crm_strdup(crm_table_level(t, j, l));
        if (f->levels[l] == NULL) {
            return crm__error_nomem(err);
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t c = codes[i];
        f->shares[c >= 0 && c < f->n_levels ? c : f->n_levels] += 1;
    }
    for (int32_t b = 0; b < f->n_bins && n > 0; b++) {
        f->shares[b] /= (double)n;
    }
    return CRM_OK;
}

static crm_status fit_feature(const crm_table *t,
                              const char *name,
                              int64_t n_rows,
                              int32_t n_bins,
                              drift_feat *f,
                              double *scratch,
                              crm_error *err)
{
    int32_t j = crm_table_find_col(t, name);
    crm_status rc;
    if (j < 0) {
        char near[160];
        rc = crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0, "no column \"%s\"%s",
                           name, crm_table_did_you_mean(t, name, near, (int32_t)sizeof near));
        crm__error_field(err, name);
        return rc;
    }
    f->name = crm_strdup(name);
    if (f->name == NULL) {
        return crm__error_nomem(err);
    }
    switch (crm_table_col_type(t, j)) {
    case CRM_COL_NUMERIC:
        f->type = 0;
        return fit_numeric(f, crm_table_numeric(t, j), n_rows, n_bins, scratch, err);
    case CRM_COL_CATEGORICAL:
        f->type = 1;
        return fit_categorical(f, t, j, err);
    default:
        rc = crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                           "column \"%s\" is an identifier, not a feature", name);
        crm__error_field(err, name);
        return rc;
    }
}

/* A numeric feature's reference for the ranks that did not compute it: its edges and
 * shares. */
typedef struct drift_share {
    crm_drift_ref *d;
    const char *const *features;
} drift_share;

static crm_status pack_numeric(void *ctx, int32_t i, void **blob, size_t *len, crm_error *err)
{
    const drift_feat *f = &((drift_share *)ctx)->d->f[i];
    size_t n = 2 + (size_t)f->n_edges + (size_t)f->n_bins;
    double *v = crm_mallocarray(n, sizeof *v);
    if (v == NULL) {
        return crm__error_nomem(err);
    }
    v[0] = (double)f->n_edges;
    v[1] = (double)f->n_bins;
    if (f->n_edges > 0) {
        memcpy(v + 2, f->edges, (size_t)f->n_edges * sizeof *v);
    }
    memcpy(v + 2 + f->n_edges, f->shares, (size_t)f->n_bins * sizeof *v);
    *blob = v;
    *len = n * sizeof *v;
    return CRM_OK;
}

static crm_status unpack_numeric(void *ctx, int32_t i, const void *blob, size_t len, crm_error *err)
{
    drift_share *sh = ctx;
    drift_feat *f = &sh->d->f[i];
    double head[2];
    size_t n_edges;
    size_t n_bins;
    if (i < 0 || i >= sh->d->n || len < sizeof head) {
        return crm__error_set(err, CRM_EINTERNAL,
                              "drift reference: a rank sent a malformed result");
    }
    memcpy(head, blob, sizeof head);
    n_edges = (size_t)head[0];
    n_bins = (size_t)head[1];
    if (len != (2 + n_edges + n_bins) * sizeof(double)) {
        return crm__error_set(err, CRM_EINTERNAL,
                              "drift reference: a rank sent a malformed result");
    }
    f->type = 0;
    f->n_edges = (int32_t)n_edges;
    f->n_bins = (int32_t)n_bins;
    f->name = crm_strdup(sh->features[i]);
    f->edges = crm_mallocarray(n_edges > 0 ? n_edges : 1, sizeof *f->edges);
    f->shares = crm_mallocarray(n_bins > 0 ? n_bins : 1, sizeof *f->shares);
    if (f->name == NULL || f->edges == NULL || f->shares == NULL) {
        return crm__error_nomem(err);
    }
    memcpy(f->edges, (const double *)blob + 2, n_edges * sizeof(double));
    memcpy(f->shares, (const double *)blob + 2 + n_edges, n_bins * sizeof(double));
    return CRM_OK;
}

crm_status crm_drift_ref_fit(const crm_table *t,
                             const char *const *features,
                             int32_t n_features,
                             int32_t n_bins,
                             crm_drift_ref **out,
                             crm_error *err)
{
    crm_drift_ref *d;
    crm_status rc = CRM_OK;
    *out = NULL;
    if (n_bins < 2 || n_bins > 100) {
        return crm__error_set(err, CRM_EINVAL, "drift reference: n_bins must be in [2, 100]");
    }
    if (features == NULL || n_features < 1) {
        return crm__error_set(err, CRM_EINVAL, "drift reference: no feature");
    }
    d = crm_calloc(1, sizeof *d);
    if (d == NULL || (d->f = crm_calloc((size_t)n_features, sizeof *d->f)) == NULL) {
        crm_free(d);
        return crm__error_nomem(err);
    }
    d->n_rows = crm_table_n_rows(t);
    d->n = n_features; /* the slots are zeroed: a failure frees what each one took */
    {
        crm_status *rcs = crm_calloc((size_t)n_features, sizeof *rcs);
        crm_error *errs = crm_calloc((size_t)n_features, sizeof *errs);
        if (rcs == NULL || errs == NULL) {
            rc = crm__error_nomem(err);
            if (crm_dist_replicated()) { /* the others wait in crm_dist_share_items */
                crm_error e1 = *err;
                rc = crm_dist_share_items(&rc, &e1, 1, NULL, 0, NULL, NULL, NULL, err);
            }
        } else {
            /* features are independent: two at a time on two cores; the first failure in
             * feature order is the one reported, whatever the threads. Under mpirun with
             * the same table on every rank, the numeric ones are dealt out to the ranks. */
            int split = crm_dist_replicated();
            int32_t *mine = split ? crm_calloc((size_t)n_features, sizeof *mine) : NULL;
            char *theirs = split ? crm_calloc((size_t)n_features, 1) : NULL;
            int32_t n_mine = 0;
            if (split && (mine == NULL || theirs == NULL)) {
                rcs[0] = crm__error_nomem(&errs[0]);
                split = 0; /* every feature here; the error agreed below */
            }
            for (int32_t i = 0, i_num = 0; split && i < n_features; i++) {
                int32_t j = crm_table_find_col(t, features[i]);
                if (j >= 0 && crm_table_col_type(t, j) == CRM_COL_NUMERIC) {
                    if (crm_dist_deals(i_num++)) {
                        mine[n_mine++] = i;
                    } else {
                        theirs[i] = 1; /* another rank's: not computed here */
                    }
                }
            }
#pragma omp parallel if (d->n_rows >= 100000)
            {
                /* one scratch a thread for every feature it takes (without the memory
                 * each feature takes its own, or fails alone) */
                size_t bytes = (size_t)(d->n_rows > 0 ? d->n_rows : 1) * sizeof(double);
                double *scratch = crm_malloc(bytes);
#pragma omp for schedule(dynamic, 1)
                for (int32_t i = 0; i < n_features; i++) {
                    if (rcs[i] == CRM_OK && (theirs == NULL || !theirs[i])) {
                        rcs[i] = fit_feature(t, features[i], d->n_rows, n_bins, &d->f[i], scratch,
                                             &errs[i]);
                    }
                }
                crm_free(scratch);
            }
            if (crm_dist_replicated()) {
                drift_share ctx = { d, features };
                rc = crm_dist_share_items(rcs, errs, n_features, mine, n_mine, pack_numeric,
                                          unpack_numeric, &ctx, err);
            } else {
                rc = crm__first_error(rcs, errs, n_features, err);
            }
            crm_free(mine);
            crm_free(theirs);
        }
        crm_free(rcs);
        crm_free(errs);
    }
    if (rc != CRM_OK) {
        crm_drift_ref_free(d);
        return rc;
    }
    *out = d;
    return CRM_OK;
}

int32_t crm_drift_ref_n_features(const crm_drift_ref *d)
{
    return d->n;
}

const char *crm_drift_ref_feature(const crm_drift_ref *d, int32_t f)
{
    return f >= 0 && f < d->n ? d->f[f].name : NULL;
}

int64_t crm_drift_ref_n_rows(const crm_drift_ref *d)
{
    return d->n_rows;
}

int32_t crm_drift_ref_n_bins(const crm_drift_ref *d, int32_t f)
{
    return f >= 0 && f < d->n ? d->f[f].n_bins : 0;
}

const double *crm_drift_ref_shares(const crm_drift_ref *d, int32_t f)
{
    return f >= 0 && f < d->n ? d->f[f].shares : NULL;
}

const double *crm_drift_ref_edges(const crm_drift_ref *d, int32_t f, int32_t *n)
{
    if (f < 0 || f >= d->n || d->f[f].type != 0) {
        if (n != NULL) {
            *n = 0;
        }
        return NULL;
    }
    if (n != NULL) {
        *n = d->f[f].n_edges;
    }
    return d->f[f].edges;
}

crm_status
crm_drift_ref_bin(const crm_drift_ref *d, int32_t fi, const crm_table *t, double *q, crm_error *err)
{
    const drift_feat *f;
    int32_t j;
    int64_t n = crm_table_n_rows(t);
    if (fi < 0 || fi >= d->n) {
        return crm__error_set(err, CRM_EINVAL, "drift: feature %d out of range", (int)fi);
    }
    f = &d->f[fi];
    j = crm_table_find_col(t, f->name);
    if (j < 0) {
        char near[160];
        crm__error_at(err, CRM_ENOTFOUND, crm_table_source(t), 0, 0,
                      "no column \"%s\" (a feature of the model)%s", f->name,
                      crm_table_did_you_mean(t, f->name, near, (int32_t)sizeof near));
        crm__error_field(err, f->name);
        return CRM_ENOTFOUND;
    }
    if ((f->type == 0) != (crm_table_col_type(t, j) == CRM_COL_NUMERIC)) {
        crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0,
                      "column \"%s\" is %s here but was %s in the training data", f->name,
                      f->type == 0 ? "not numeric" : "numeric",
                      f->type == 0 ? "numeric" : "categorical");
        crm__error_field(err, f->name);
        return CRM_EDATA;
    }
    for (int32_t b = 0; b < f->n_bins; b++) {
        q[b] = 0;
    }
    if (f->type == 0) {
        const double *v = crm_table_numeric(t, j);
        for (int64_t i = 0; i < n; i++) {
            q[num_bin(f, v[i])] += 1;
        }
    } else {
        const int32_t *codes = crm_table_codes(t, j);
        int32_t nl = crm_table_n_levels(t, j);
        int32_t *map = crm_mallocarray((size_t)(nl > 0 ? nl : 1), sizeof *map);
        if (map == NULL) {
            return crm__error_nomem(err);
        }
        for (int32_t l = 0; l < nl; l++) { /* this table's level -> the reference's bin */
            const char *name = crm_table_level(t, j, l);
            map[l] = f->n_levels;
            for (int32_t r = 0; r < f->n_levels; r++) {
                if (strcmp(name, f->levels[r]) == 0) {
                    map[l] = r;
                    break;
                }
            }
        }
        for (int64_t i = 0; i < n; i++) {
            q[codes[i] >= 0 && codes[i] < nl ? map[codes[i]] : f->n_levels] += 1;
        }
        crm_free(map);
    }
    for (int32_t b = 0; b < f->n_bins && n > 0; b++) {
        q[b] /= (double)n;
    }
    return CRM_OK;
}

crm_status
crm_drift_ref_psi(const crm_drift_ref *d, const crm_table *t, double *psi, crm_error *err)
{
    int32_t max_bins = 1;
    double *q;
    crm_status rc = CRM_OK;
    if (crm_table_n_rows(t) < 1) {
        return crm__error_at(err, CRM_EDATA, crm_table_source(t), 0, 0, "no data rows");
    }
    for (int32_t f = 0; f < d->n; f++) {
        max_bins = d->f[f].n_bins > max_bins ? d->f[f].n_bins : max_bins;
    }
    q = crm_mallocarray((size_t)max_bins, sizeof *q);
    if (q == NULL) {
        return crm__error_nomem(err);
    }
    for (int32_t f = 0; f < d->n && rc == CRM_OK; f++) {
        rc = crm_drift_ref_bin(d, f, t, q, err);
        if (rc == CRM_OK) {
            psi[f] = crm_drift_psi(d->f[f].shares, q, d->f[f].n_bins);
        }
    }
    crm_free(q);
    return rc;
}

/* ---- the model section ---- */

crm_status crm_drift_ref_save(const crm_drift_ref *d, crm_model_writer *w, crm_error *err)
{
    crm_model_out o = { w, err, CRM_OK };
    crm_model_out_begin(&o, DRIFT_TAG);
    crm_model_out_u32(&o, DRIFT_VERSION);
    crm_model_out_i64(&o, d->n_rows);
    crm_model_out_i32(&o, d->n);
    for (int32_t i = 0; i < d->n && o.rc == CRM_OK; i++) {
        const drift_feat *f = &d->f[i];
        crm_model_out_str(&o, f->name);
        crm_model_out_i32(&o, f->type);
        crm_model_out_i32(&o, f->n_edges);
        if (f->n_edges > 0) {
            crm_model_out_f64s(&o, f->edges, (size_t)f->n_edges);
        }
        crm_model_out_i32(&o, f->n_levels);
        for (int32_t l = 0; l < f->n_levels; l++) {
            crm_model_out_str(&o, f->levels[l]);
        }
        crm_model_out_i32(&o, f->n_bins);
        crm_model_out_f64s(&o, f->shares, (size_t)f->n_bins);
    }
    return o.rc;
}

static crm_status read_feat(crm_section *s, drift_feat *f)
{
    if (crm_section_get_str(s, MAX_NAME, &f->name) == CRM_ENOMEM) {
        return CRM_ENOMEM;
    }
    (void)crm_section_get_i32(s, &f->type);
    (void)crm_section_get_i32(s, &f->n_edges);
    if (f->name == NULL || (f->type != 0 && f->type != 1) || !crm_section_fits(s, f->n_edges, 8) ||
        (f->type == 1 && f->n_edges != 0)) {
        return CRM_EFORMAT;
    }
    f->edges = crm_mallocarray((size_t)(f->n_edges > 0 ? f->n_edges : 1), sizeof *f->edges);
    if (f->edges == NULL) {
        return CRM_ENOMEM;
    }
    (void)crm_section_get_f64s(s, f->edges, (size_t)f->n_edges);
    for (int32_t e = 0; e < f->n_edges; e++) {
        if (!isfinite(f->edges[e]) || (e > 0 && !(f->edges[e] > f->edges[e - 1]))) {
            return CRM_EFORMAT;
        }
    }
    (void)crm_section_get_i32(s, &f->n_levels);
    if (!crm_section_fits(s, f->n_levels, 4) || (f->type == 0 && f->n_levels != 0)) {
        return CRM_EFORMAT;
    }
    f->levels = crm_calloc((size_t)(f->n_levels > 0 ? f->n_levels : 1), sizeof *f->levels);
    if (f->levels == NULL) {
        return CRM_ENOMEM;
    }
    for (int32_t l = 0; l < f->n_levels; l++) {
        if (crm_section_get_str(s, MAX_NAME, &f->levels[l]) == CRM_ENOMEM) {
            return CRM_ENOMEM;
        }
        if (f->levels[l] == NULL) {
            return CRM_EFORMAT;
        }
    }
    (void)crm_section_get_i32(s, &f->n_bins);
    if (!crm_section_fits(s, f->n_bins, 8) ||
        f->n_bins != (f->type == 0 ? f->n_edges + 2 : f->n_levels + 1)) {
        return CRM_EFORMAT;
    }
    f->shares = crm_mallocarray((size_t)f->n_bins, sizeof *f->shares);
    if (f->shares == NULL) {
        return CRM_ENOMEM;
    }
    (void)crm_section_get_f64s(s, f->shares, (size_t)f->n_bins);
    for (int32_t b = 0; b < f->n_bins; b++) {
        if (!(f->shares[b] >= 0 && f->shares[b] <= 1)) {
            return CRM_EFORMAT;
        }
    }
    return s->failed ? CRM_EFORMAT : CRM_OK;
}

crm_status crm_drift_ref_load(const crm_model_reader *r, crm_drift_ref **out, crm_error *err)
{
    crm_section s;
    uint32_t version = 0;
    crm_drift_ref *d;
    crm_status rc;
    *out = NULL;
    rc = crm_model_section(r, DRIFT_TAG, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    d = crm_calloc(1, sizeof *d);
    if (d == NULL) {
        return crm__error_nomem(err);
    }
    (void)crm_section_get_u32(&s, &version);
    (void)crm_section_get_i64(&s, &d->n_rows);
    (void)crm_section_get_i32(&s, &d->n);
    if (version != DRIFT_VERSION || d->n_rows < 0 || !crm_section_fits(&s, d->n, 20)) {
        d->n = 0;
        crm_drift_ref_free(d);
        return crm_model_malformed(r, DRIFT_TAG, err);
    }
    d->f = crm_calloc((size_t)(d->n > 0 ? d->n : 1), sizeof *d->f);
    if (d->f == NULL) {
        d->n = 0;
        crm_drift_ref_free(d);
        return crm__error_nomem(err);
    }
    rc = CRM_OK;
    for (int32_t i = 0; i < d->n && rc == CRM_OK; i++) {
        rc = read_feat(&s, &d->f[i]);
    }
    if (rc == CRM_OK) {
        rc = crm_section_finish(&s, r, err);
    } else {
        rc = rc == CRM_ENOMEM ? crm__error_nomem(err) : crm_model_malformed(r, DRIFT_TAG, err);
    }
    if (rc != CRM_OK) {
        crm_drift_ref_free(d);
        return rc;
    }
    *out = d;
    return CRM_OK;
}
