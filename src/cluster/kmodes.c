/* kmodes.c: k-modes and k-prototypes (crmkit/kmodes.h).
 *
 * One code path for both: a row has n_num numeric values and n_cat category codes; the
 * dissimilarity to a prototype is the squared Euclidean distance on the numeric part plus
 * gamma times the categorical mismatches (k-modes: n_num = 0, gamma 1).
 *
 * A run keeps, per cluster, the count of every level of every attribute, the largest count of
 * each attribute and how many levels reach it, and the numeric sums. From these the exact
 * change of the cost when one row moves from cluster A to cluster B (both prototypes
 * recomputed) costs O(1) per attribute:
 *   categorical, leaving A : the mismatches drop by 1 unless the row's level is A's only
 *                            most frequent level (then the mode keeps its count - 1: no change);
 *   categorical, joining B : +1 unless the row's level already has B's largest count;
 *   numeric (Hartigan)     : - n_A / (n_A - 1) |x - m_A|^2 + n_B / (n_B + 1) |x - m_B|^2.
 * A run alternates batch passes (nearest prototype, then new prototypes) with a pass of such
 * single-row moves, until neither changes a label. */
#include <math.h>
#include <string.h>

#include <crmkit/kmodes.h>
#include <crmkit/rng.h>

#include "cluster_internal.h"
#include "core/core_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define KMODES_SECTION "kmodes"
#define KMODES_VERSION 1u

struct crm_kmodes {
    crm_kmodes_params params;
    int fitted;
    int32_t n_num;
    int32_t n_cat;
    int32_t *n_levels; /* n_cat */
    int32_t *modes;    /* k x n_cat */
    double *means;     /* k x n_num */
    int32_t *labels;   /* n_rows, NULL after load */
    int64_t n_rows;
    double gamma;
    double cost;
    int32_t n_iter;
};

/* ---- data checks and small helpers ---- */

crm_status crm_mixed_check(const crm_mixed *x, crm_error *err)
{
    if (x == NULL || x->n_rows < 0 || x->n_num < 0 || x->n_cat < 0 ||
        (x->n_num > 0 && x->num == NULL) ||
        (x->n_cat > 0 && (x->cat == NULL || x->n_levels == NULL))) {
        return crm__error_set(err, CRM_EDATA, "malformed data for k-modes/k-prototypes");
    }
    if (x->n_num + x->n_cat == 0) {
        return crm__error_set(err, CRM_EDATA, "no columns to cluster");
    }
    for (int32_t a = 0; a < x->n_cat; a++) {
        if (x->n_levels[a] < 1) {
            return crm__error_set(err, CRM_EDATA, "categorical column %d has no level", (int)a + 1);
        }
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        for (int32_t j = 0; j < x->n_num; j++) {
            if (!isfinite(x->num[i * x->n_num + j])) {
                return crm__error_set(err, CRM_EDATA,
                                      "row %lld, numeric column %d: not a finite number",
                                      (long long)i + 1, (int)j + 1);
            }
        }
        for (int32_t a = 0; a < x->n_cat; a++) {
            int32_t c = x->cat[i * x->n_cat + a];
            if (c < 0 || c >= x->n_levels[a]) {
                return crm__error_set(err, CRM_EDATA,
                                      "row %lld, categorical column %d: code %d is not in "
                                      "[0, %d)",
                                      (long long)i + 1, (int)a + 1, (int)c, (int)x->n_levels[a]);
            }
        }
    }
    return CRM_OK;
}

double crm_kmodes_auto_gamma(const crm_mixed *x)
{
    double sum = 0.0;
    if (x->n_num == 0 || x->n_rows == 0) {
        return 1.0;
    }
    for (int32_t j = 0; j < x->n_num; j++) {
        double mean = 0.0;
        double ss = 0.0;
        for (int64_t i = 0; i < x->n_rows; i++) {
            mean += x->num[i * x->n_num + j];
        }
        mean /= (double)x->n_rows;
        for (int64_t i = 0; i < x->n_rows; i++) {
            double d = x->num[i * x->n_num + j] - mean;
            ss += d * d;
        }
        sum += sqrt(ss / (double)x->n_rows);
    }
    sum = 0.5 * sum / (double)x->n_num;
    return sum > 0.0 ? sum : 1.0;
}

/* Dissimilarity of row i to a prototype (numeric part m, modes q). */
static inline double
dissim(const crm_mixed *x, int64_t i, const double *m, const int32_t *q, double gamma)
{
    const double *xn = x->n_num > 0 ? x->num + i * x->n_num : NULL;
    const int32_t *xc = x->n_cat > 0 ? x->cat + i * x->n_cat : NULL;
    double d = 0.0;
    int32_t mis = 0;
    for (int32_t j = 0; j < x->n_num; j++) {
        double t = xn[j] - m[j];
        d += t * t;
    }
    for (int32_t a = 0; a < x->n_cat; a++) {
        mis += xc[a] != q[a];
    }
    return d + gamma * (double)mis;
}

/* Dissimilarity between rows i and r. */
static double row_dissim(const crm_mixed *x, int64_t i, int64_t r, double gamma)
{
    return dissim(x, i, x->n_num ? x->num + r * x->n_num : NULL,
                  x->n_cat ? x->cat + r * x->n_cat : NULL, gamma);
}

static int same_row(const crm_mixed *x, int64_t i, int64_t r)
{
    return (x->n_num == 0 || memcmp(x->num + i * x->n_num, x->num + r * x->n_num,
                                    (size_t)x->n_num * sizeof(double)) == 0) &&
           (x->n_cat == 0 || memcmp(x->cat + i * x->n_cat, x->cat + r * x->n_cat,
                                    (size_t)x->n_cat * sizeof(int32_t)) == 0);
}

/* ---- per-cluster statistics ---- */

typedef struct kstate {
    const crm_mixed *x;
    int32_t k;
    double gamma;
    int32_t total_levels;
    int32_t *off;    /* n_cat + 1: level offsets */
    int64_t *counts; /* k x total_levels */
    int64_t *maxc;   /* k x n_cat */
    int32_t *nmax;   /* k x n_cat */
    int32_t *modes;  /* k x n_cat */
    double *sums;    /* k x n_num */
    double *means;   /* k x n_num */
    int64_t *size;   /* k */
    int32_t *labels; /* n */
    double *dist;    /* n */
} kstate;

static void state_free(kstate *s)
{
    CRM__FREE(s->off, s->counts, s->maxc, s->nmax, s->modes, s->sums, s->means, s->size, s->labels,
              s->dist);
    memset(s, 0, sizeof *s);
}

static crm_status state_init(kstate *s, const crm_mixed *x, int32_t k, double gamma, crm_error *err)
{
    size_t kk = (size_t)k;
    size_t nc = x->n_cat > 0 ? (size_t)x->n_cat : 1;
    size_t nn = x->n_num > 0 ? (size_t)x->n_num : 1;
    size_t n = x->n_rows > 0 ? (size_t)x->n_rows : 1;
    memset(s, 0, sizeof *s);
    s->x = x;
    s->k = k;
    s->gamma = gamma;
    s->off = crm_mallocarray(nc + 1, sizeof *s->off);
    if (s->off == NULL) {
        return crm__error_nomem(err);
    }
    s->off[0] = 0;
    for (int32_t a = 0; a < x->n_cat; a++) {
        s->off[a + 1] = s->off[a] + x->n_levels[a];
    }
    s->total_levels = s->off[x->n_cat];
    s->counts =
        crm_calloc(kk * (size_t)(s->total_levels > 0 ? s->total_levels : 1), sizeof *s->counts);
    s->maxc = crm_calloc(kk * nc, sizeof *s->maxc);
    s->nmax = crm_calloc(kk * nc, sizeof *s->nmax);
    s->modes = crm_calloc(kk * nc, sizeof *s->modes);
    s->sums = crm_calloc(kk * nn, sizeof *s->sums);
    s->means = crm_calloc(kk * nn, sizeof *s->means);
    s->size = crm_calloc(kk, sizeof *s->size);
    s->labels = crm_calloc(n, sizeof *s->labels);
    s->dist = crm_calloc(n, sizeof *s->dist);
    if (s->counts == NULL || s->maxc == NULL || s->nmax == NULL || s->modes == NULL ||
        s->sums == NULL || s->means == NULL || s->size == NULL || s->labels == NULL ||
        s->dist == NULL) {
        state_free(s);
        return crm__error_nomem(err);
    }
    return CRM_OK;
}

/* Largest count of attribute a in cluster c, how many levels reach it, the lowest such. */
static void rescan_attr(kstate *s, int32_t c, int32_t a)
{
    const int64_t *cnt = s->counts + (size_t)c * (size_t)s->total_levels + (size_t)s->off[a];
    int32_t nl = s->x->n_levels[a];
    int64_t best = -1;
    int32_t arg = 0;
    int32_t ties = 0;
    for (int32_t l = 0; l < nl; l++) {
        if (cnt[l] > best) {
            best = cnt[l];
            arg = l;
            ties = 1;
        } else if (cnt[l] == best) {
            ties++;
        }
    }
    s->maxc[(size_t)c * (size_t)s->x->n_cat + (size_t)a] = best;
    s->nmax[(size_t)c * (size_t)s->x->n_cat + (size_t)a] = ties;
    s->modes[(size_t)c * (size_t)s->x->n_cat + (size_t)a] = arg;
}

static void update_means(kstate *s, int32_t c)
{
    int32_t nn = s->x->n_num;
    for (int32_t j = 0; j < nn; j++) {
        s->means[(size_t)c * nn + j] =
            s->size[c] > 0 ? s->sums[(size_t)c * nn + j] / (double)s->size[c] : 0.0;
    }
}

/* Statistics and prototypes from the labels. An empty cluster keeps its old prototype. */
static void rebuild(kstate *s)
{
    const crm_mixed *x = s->x;
    int32_t nn = x->n_num;
    int32_t nc = x->n_cat;
    double *old_means = NULL;
    memset(s->counts, 0,
           (size_t)s->k * (size_t)(s->total_levels > 0 ? s->total_levels : 1) * sizeof *s->counts);
    memset(s->sums, 0, (size_t)s->k * (size_t)(nn > 0 ? nn : 1) * sizeof *s->sums);
    memset(s->size, 0, (size_t)s->k * sizeof *s->size);
    (void)old_means;
    for (int64_t i = 0; i < x->n_rows; i++) {
        int32_t c = s->labels[i];
        int64_t *cnt = s->counts + (size_t)c * (size_t)s->total_levels;
        s->size[c]++;
        for (int32_t a = 0; a < nc; a++) {
            cnt[s->off[a] + x->cat[i * nc + a]]++;
        }
        for (int32_t j = 0; j < nn; j++) {
            s->sums[(size_t)c * nn + j] += x->num[i * nn + j];
        }
    }
    for (int32_t c = 0; c < s->k; c++) {
        if (s->size[c] == 0) {
            continue;
        }
        for (int32_t a = 0; a < nc; a++) {
            rescan_attr(s, c, a);
        }
        update_means(s, c);
    }
}

/* Every row to its nearest prototype (ties: lowest index). Returns the number of changes. */
static int64_t assign_all(kstate *s, int nt)
{
    const crm_mixed *x = s->x;
    int64_t changed = 0;
    int64_t n = x->n_rows;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+ : changed) if (n > 4096)
    for (int64_t i = 0; i < n; i++) {
        double best = INFINITY;
        int32_t arg = 0;
        for (int32_t c = 0; c < s->k; c++) {
            double d = dissim(x, i, s->means + (size_t)c * (size_t)x->n_num,
                              s->modes + (size_t)c * (size_t)x->n_cat, s->gamma);
            if (d < best) {
                best = d;
                arg = c;
            }
        }
        changed += arg != s->labels[i];
        s->labels[i] = arg;
        s->dist[i] = best;
    }
    return changed;
}

/* An empty cluster takes the row farthest from its prototype among clusters of two or more
 * rows (ties: first row); returns 1 when some cluster was empty. */
static int fill_empty(kstate *s)
{
    int any = 0;
    for (int32_t c = 0; c < s->k; c++) {
        int64_t far = -1;
        if (s->size[c] > 0) {
            continue;
        }
        for (int64_t i = 0; i < s->x->n_rows; i++) {
            if (s->size[s->labels[i]] > 1 && (far < 0 || s->dist[i] > s->dist[far])) {
                far = i;
            }
        }
        if (far < 0) {
            break;
        }
        s->size[s->labels[far]]--;
        s->labels[far] = c;
        s->size[c] = 1;
        s->dist[far] = 0.0;
        any = 1;
    }
    return any;
}

/* Exact cost change of moving row i from its cluster to cluster b. */
static double move_delta(const kstate *s, int64_t i, int32_t b)
{
    const crm_mixed *x = s->x;
    int32_t a0 = s->labels[i];
    int32_t nc = x->n_cat;
    int32_t nn = x->n_num;
    double na = (double)s->size[a0];
    double nb = (double)s->size[b];
    int64_t mis = 0;
    double da = 0.0;
    double db = 0.0;
    const int64_t *ca = s->counts + (size_t)a0 * (size_t)s->total_levels;
    const int64_t *cb = s->counts + (size_t)b * (size_t)s->total_levels;
    for (int32_t a = 0; a < nc; a++) {
        int32_t v = x->cat[i * nc + a];
        size_t ia = (size_t)a0 * (size_t)nc + (size_t)a;
        size_t ib = (size_t)b * (size_t)nc + (size_t)a;
        int64_t cav = ca[s->off[a] + v];
        int64_t cbv = cb[s->off[a] + v];
        mis -= !(cav == s->maxc[ia] && s->nmax[ia] == 1);
        mis += cbv < s->maxc[ib];
    }
    for (int32_t j = 0; j < nn; j++) {
        double ta = x->num[i * nn + j] - s->means[(size_t)a0 * nn + j];
        double tb = x->num[i * nn + j] - s->means[(size_t)b * nn + j];
        da += ta * ta;
        db += tb * tb;
    }
    return s->gamma * (double)mis - na / (na - 1.0) * da + nb / (nb + 1.0) * db;
}

static void move_row(kstate *s, int64_t i, int32_t b)
{
    const crm_mixed *x = s->x;
    int32_t a0 = s->labels[i];
    int32_t nc = x->n_cat;
    int32_t nn = x->n_num;
    for (int32_t a = 0; a < nc; a++) {
        int32_t v = x->cat[i * nc + a];
        s->counts[(size_t)a0 * (size_t)s->total_levels + (size_t)(s->off[a] + v)]--;
        s->counts[(size_t)b * (size_t)s->total_levels + (size_t)(s->off[a] + v)]++;
        rescan_attr(s, a0, a);
        rescan_attr(s, b, a);
    }
    for (int32_t j = 0; j < nn; j++) {
        s->sums[(size_t)a0 * nn + j] -= x->num[i * nn + j];
        s->sums[(size_t)b * nn + j] += x->num[i * nn + j];
    }
    s->size[a0]--;
    s->size[b]++;
    s->labels[i] = b;
    update_means(s, a0);
    update_means(s, b);
}

/* One pass of single-row moves in row order; returns the number of moves. */
static int64_t move_pass(kstate *s)
{
    int64_t moves = 0;
    for (int64_t i = 0; i < s->x->n_rows; i++) {
        int32_t a0 = s->labels[i];
        double best = 0.0;
        int32_t arg = -1;
        if (s->size[a0] < 2) {
            continue;
        }
        for (int32_t b = 0; b < s->k; b++) {
            double d;
            if (b == a0) {
                continue;
            }
            d = move_delta(s, i, b);
            if (d < best) {
                best = d;
                arg = b;
            }
        }
        /* strictly lower, beyond rounding of the numeric terms */
        if (arg >= 0 && best < -1e-12 * (1.0 + s->dist[i])) {
            move_row(s, i, arg);
            moves++;
        }
    }
    return moves;
}

/* ---- initialisation ---- */

static crm_status too_few_rows(int32_t k, crm_error *err)
{
    return crm__error_set(err, CRM_EDATA, "fewer than %d distinct rows: cannot make %d clusters",
                          (int)k, (int)k);
}

crm_status
crm_kmodes_init_cao(const crm_mixed *x, int32_t k, double gamma, int64_t *rows, crm_error *err)
{
    int64_t n = x->n_rows;
    int32_t nc = x->n_cat;
    int64_t *dens = NULL; /* sum over attributes of the level's count */
    double *mind = NULL;  /* dissimilarity to the nearest chosen row */
    int64_t *freq = NULL;
    int32_t total = 0;
    crm_status rc = CRM_OK;
    if (k < 1 || n < k) {
        return crm__error_set(err, CRM_EDATA, "%lld rows cannot make %d clusters", (long long)n,
                              (int)k);
    }
    for (int32_t a = 0; a < nc; a++) {
        total += x->n_levels[a];
    }
    dens = crm_calloc((size_t)n, sizeof *dens);
    mind = crm_mallocarray((size_t)n, sizeof *mind);
    freq = crm_calloc(total > 0 ? (size_t)total : 1, sizeof *freq);
    if (dens == NULL || mind == NULL || freq == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t off = 0;
        for (int32_t a = 0; a < nc; a++) {
            freq[off + x->cat[i * nc + a]]++;
            off += x->n_levels[a];
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t off = 0;
        for (int32_t a = 0; a < nc; a++) {
            dens[i] += freq[off + x->cat[i * nc + a]];
            off += x->n_levels[a];
        }
        mind[i] = INFINITY;
    }
    /* The densest row first: Dens(i) = dens[i] / (n * n_cat); without categorical
     * attributes every row has the same density (1). */
    {
        int64_t arg = 0;
        for (int64_t i = 1; i < n; i++) {
            if (dens[i] > dens[arg]) {
                arg = i;
            }
        }
        rows[0] = arg;
    }
    for (int32_t c = 1; c < k; c++) {
        double best = 0.0;
        int64_t arg = -1;
        int64_t last = rows[c - 1];
        for (int64_t i = 0; i < n; i++) {
            double d = row_dissim(x, i, last, gamma);
            double score;
            if (d < mind[i]) {
                mind[i] = d;
            }
            score = mind[i] * (nc > 0 ? (double)dens[i] : 1.0);
            if (score > best) {
                best = score;
                arg = i;
            }
        }
        if (arg < 0) {
            rc = too_few_rows(k, err);
            goto done;
        }
        rows[c] = arg;
    }
done:
    CRM__FREE(dens, mind, freq);
    return rc;
}

/* Is row i equal to one of rows[0..m)? */
static int among(const crm_mixed *x, int64_t i, const int64_t *rows, int32_t m)
{
    for (int32_t c = 0; c < m; c++) {
        if (rows[c] == i || same_row(x, i, rows[c])) {
            return 1;
        }
    }
    return 0;
}

static crm_status
init_random(const crm_mixed *x, int32_t k, crm_rng *rng, int64_t *rows, crm_error *err)
{
    int64_t n = x->n_rows;
    int64_t *idx = crm_mallocarray((size_t)n, sizeof *idx);
    int32_t m = 0;
    if (idx == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    crm_rng_shuffle(rng, idx, n);
    for (int64_t t = 0; t < n && m < k; t++) {
        if (!among(x, idx[t], rows, m)) {
            rows[m++] = idx[t];
        }
    }
    crm_free(idx);
    if (m < k) {
        return crm__error_set(err, CRM_EDATA, "only %d distinct rows: cannot make %d clusters",
                              (int)m, (int)k);
    }
    return CRM_OK;
}

/* Huang: each centre's levels drawn by frequency (and the numeric part of a random row), then
 * replaced by the nearest row not equal to a centre already chosen (ties: first row). */
static crm_status
init_huang(const crm_mixed *x, int32_t k, double gamma, crm_rng *rng, int64_t *rows, crm_error *err)
{
    int64_t n = x->n_rows;
    int32_t nc = x->n_cat;
    int32_t nn = x->n_num;
    int32_t total = 0;
    int64_t *freq;
    int32_t *q = crm_mallocarray((size_t)(nc > 0 ? nc : 1), sizeof *q);
    crm_status rc = CRM_OK;
    for (int32_t a = 0; a < nc; a++) {
        total += x->n_levels[a];
    }
    freq = crm_calloc(total > 0 ? (size_t)total : 1, sizeof *freq);
    if (q == NULL || freq == NULL) {
        crm_free(q);
        crm_free(freq);
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t off = 0;
        for (int32_t a = 0; a < nc; a++) {
            freq[off + x->cat[i * nc + a]]++;
            off += x->n_levels[a];
        }
    }
    for (int32_t c = 0; c < k && rc == CRM_OK; c++) {
        int32_t off = 0;
        int64_t r = (int64_t)crm_rng_below(rng, (uint64_t)n);
        const double *m = nn > 0 ? x->num + r * nn : NULL;
        double best = INFINITY;
        int64_t arg = -1;
        for (int32_t a = 0; a < nc; a++) {
            int64_t u = (int64_t)crm_rng_below(rng, (uint64_t)n);
            int32_t l = 0;
            while (l + 1 < x->n_levels[a] && u >= freq[off + l]) {
                u -= freq[off + l];
                l++;
            }
            q[a] = l;
            off += x->n_levels[a];
        }
        for (int64_t i = 0; i < n; i++) {
            double d = dissim(x, i, m, q, gamma);
            if (d < best && !among(x, i, rows, c)) {
                best = d;
                arg = i;
            }
        }
        if (arg < 0) {
            rc = too_few_rows(k, err);
        } else {
            rows[c] = arg;
        }
    }
    crm_free(q);
    crm_free(freq);
    return rc;
}

/* ---- one run ---- */

static crm_status
run_once(kstate *s, const crm_kmodes_params *p, int run, int nt, int32_t *n_iter, crm_error *err)
{
    const crm_mixed *x = s->x;
    int32_t k = s->k;
    int32_t nn = x->n_num;
    int32_t nc = x->n_cat;
    int64_t *rows = crm_mallocarray((size_t)k, sizeof *rows);
    crm_rng rng;
    crm_status rc;
    int32_t it = 0;
    if (rows == NULL) {
        return crm__error_nomem(err);
    }
    crm_rng_seed_stream(&rng, p->seed, (uint64_t)run);
    if (p->init == CRM_KMODES_INIT_CAO) {
        rc = crm_kmodes_init_cao(x, k, s->gamma, rows, err);
    } else if (p->init == CRM_KMODES_INIT_HUANG) {
        rc = init_huang(x, k, s->gamma, &rng, rows, err);
    } else {
        rc = init_random(x, k, &rng, rows, err);
    }
    if (rc == CRM_OK) {
        for (int32_t c = 0; c < k; c++) {
            if (nn > 0) {
                memcpy(s->means + (size_t)c * nn, x->num + rows[c] * nn,
                       (size_t)nn * sizeof(double));
            }
            if (nc > 0) {
                memcpy(s->modes + (size_t)c * nc, x->cat + rows[c] * nc,
                       (size_t)nc * sizeof(int32_t));
            }
        }
        for (int64_t i = 0; i < x->n_rows; i++) {
            s->labels[i] = -1;
        }
        for (;;) {
            /* batch passes until the labels stand still */
            while (it < p->max_iter) {
                int64_t changed = assign_all(s, nt);
                int emptied;
                it++;
                memset(s->size, 0, (size_t)k * sizeof *s->size);
                for (int64_t i = 0; i < x->n_rows; i++) {
                    s->size[s->labels[i]]++;
                }
                emptied = fill_empty(s);
                rebuild(s);
                if (changed == 0 && !emptied) {
                    break;
                }
            }
            if (it >= p->max_iter || move_pass(s) == 0) {
                break;
            }
        }
    }
    *n_iter = it;
    crm_free(rows);
    return rc;
}

/* ---- the object ---- */

crm_status crm_kmodes_new(const crm_kmodes_params *p, crm_kmodes **out, crm_error *err)
{
    crm_status rc = crm_kmodes_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    *out = crm_calloc(1, sizeof **out);
    if (*out == NULL) {
        return crm__error_nomem(err);
    }
    (*out)->params = *p;
    (*out)->cost = (double)NAN;
    return CRM_OK;
}

static void clear_fit(crm_kmodes *km)
{
    CRM__FREE(km->n_levels, km->modes, km->means, km->labels);
    km->n_levels = NULL;
    km->modes = NULL;
    km->means = NULL;
    km->labels = NULL;
    km->fitted = 0;
    km->cost = (double)NAN;
}

void crm_kmodes_free(crm_kmodes *km)
{
    if (km == NULL) {
        return;
    }
    clear_fit(km);
    crm_free(km);
}

crm_status crm_kmodes_cost(const crm_mixed *x,
                           const int32_t *labels,
                           int32_t k,
                           double gamma,
                           double *cost,
                           crm_error *err)
{
    kstate s;
    crm_status rc;
    double total = 0.0;
    *cost = (double)NAN;
    if (k < 1) {
        return crm__error_set(err, CRM_EINVAL, "k must be at least 1");
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        if (labels[i] < 0 || labels[i] >= k) {
            return crm__error_set(err, CRM_EINVAL, "label %d of row %lld is not in [0, %d)",
                                  (int)labels[i], (long long)i + 1, (int)k);
        }
    }
    rc = state_init(&s, x, k, gamma, err);
    if (rc != CRM_OK) {
        return rc;
    }
    memcpy(s.labels, labels, (size_t)x->n_rows * sizeof *labels);
    rebuild(&s);
    for (int64_t i = 0; i < x->n_rows; i++) {
        int32_t c = labels[i];
        total += dissim(x, i, s.means + (size_t)c * (size_t)x->n_num,
                        s.modes + (size_t)c * (size_t)x->n_cat, gamma);
    }
    state_free(&s);
    *cost = total;
    return CRM_OK;
}

crm_status
crm_kmodes_fit(crm_kmodes *km, const crm_mixed *x, const crm_progress *progress, crm_error *err)
{
    const crm_kmodes_params *p = &km->params;
    int32_t k = p->k;
    int nt = crm__cluster_threads(p->n_threads);
    int n_runs = p->init == CRM_KMODES_INIT_CAO ? 1 : p->n_init;
    double gamma;
    kstate s;
    crm_status rc;
    clear_fit(km);
    rc = crm_mixed_check(x, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (x->n_rows < k) {
        return crm__error_set(err, CRM_EDATA, "%lld rows cannot make %d clusters",
                              (long long)x->n_rows, (int)k);
    }
    gamma = x->n_num == 0 ? 1.0 : (p->gamma >= 0.0 ? p->gamma : crm_kmodes_auto_gamma(x));
    km->n_num = x->n_num;
    km->n_cat = x->n_cat;
    km->n_rows = x->n_rows;
    km->gamma = gamma;
    km->n_levels = crm_mallocarray((size_t)(x->n_cat > 0 ? x->n_cat : 1), sizeof *km->n_levels);
    km->modes = crm_calloc((size_t)k * (size_t)(x->n_cat > 0 ? x->n_cat : 1), sizeof *km->modes);
    km->means = crm_calloc((size_t)k * (size_t)(x->n_num > 0 ? x->n_num : 1), sizeof *km->means);
    km->labels = crm_mallocarray((size_t)x->n_rows, sizeof *km->labels);
    if (km->n_levels == NULL || km->modes == NULL || km->means == NULL || km->labels == NULL) {
        clear_fit(km);
        return crm__error_nomem(err);
    }
    if (x->n_cat > 0) {
        memcpy(km->n_levels, x->n_levels, (size_t)x->n_cat * sizeof *x->n_levels);
    }
    rc = state_init(&s, x, k, gamma, err);
    if (rc != CRM_OK) {
        clear_fit(km);
        return rc;
    }
    for (int run = 0; run < n_runs && rc == CRM_OK; run++) {
        int32_t it = 0;
        double cost = 0.0;
        if (!crm_progress_report(progress, "k-modes", (double)run / n_runs)) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
            break;
        }
        rc = run_once(&s, p, run, nt, &it, err);
        if (rc != CRM_OK) {
            break;
        }
        for (int64_t i = 0; i < x->n_rows; i++) {
            int32_t c = s.labels[i];
            cost += dissim(x, i, s.means + (size_t)c * (size_t)x->n_num,
                           s.modes + (size_t)c * (size_t)x->n_cat, gamma);
        }
        if (run == 0 || cost < km->cost) {
            km->cost = cost;
            km->n_iter = it;
            memcpy(km->labels, s.labels, (size_t)x->n_rows * sizeof *s.labels);
            if (x->n_cat > 0) {
                memcpy(km->modes, s.modes, (size_t)k * (size_t)x->n_cat * sizeof *s.modes);
            }
            if (x->n_num > 0) {
                memcpy(km->means, s.means, (size_t)k * (size_t)x->n_num * sizeof *s.means);
            }
        }
    }
    state_free(&s);
    if (rc != CRM_OK) {
        clear_fit(km);
        return rc;
    }
    (void)crm_progress_report(progress, "k-modes", 1.0);
    km->fitted = 1;
    return CRM_OK;
}

crm_status crm_kmodes_assign(const crm_kmodes *km,
                             const crm_mixed *x,
                             int32_t *labels,
                             double *dist,
                             crm_error *err)
{
    int nt;
    int64_t n;
    if (!km->fitted) {
        return crm__error_set(err, CRM_ESTATE, "the k-modes model is not fitted");
    }
    if (x->n_num != km->n_num || x->n_cat != km->n_cat) {
        return crm__error_set(err, CRM_EINVAL,
                              "the data has %d numeric and %d categorical columns, the model %d "
                              "and %d",
                              (int)x->n_num, (int)x->n_cat, (int)km->n_num, (int)km->n_cat);
    }
    for (int64_t i = 0; i < x->n_rows; i++) {
        for (int32_t j = 0; j < x->n_num; j++) {
            if (!isfinite(x->num[i * x->n_num + j])) {
                return crm__error_set(err, CRM_EDATA, "row %lld: not a finite number",
                                      (long long)i + 1);
            }
        }
    }
    nt = crm__cluster_threads(km->params.n_threads);
    n = x->n_rows;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n > 4096)
    for (int64_t i = 0; i < n; i++) {
        double best = INFINITY;
        int32_t arg = 0;
        for (int32_t c = 0; c < km->params.k; c++) {
            double d = dissim(x, i, km->means + (size_t)c * (size_t)km->n_num,
                              km->modes + (size_t)c * (size_t)km->n_cat, km->gamma);
            if (d < best) {
                best = d;
                arg = c;
            }
        }
        labels[i] = arg;
        if (dist != NULL) {
            dist[i] = best;
        }
    }
    return CRM_OK;
}

/* ---- accessors ---- */

int crm_kmodes_is_fitted(const crm_kmodes *km)
{
    return km->fitted;
}
int32_t crm_kmodes_k(const crm_kmodes *km)
{
    return km->params.k;
}
int32_t crm_kmodes_n_num(const crm_kmodes *km)
{
    return km->n_num;
}
int32_t crm_kmodes_n_cat(const crm_kmodes *km)
{
    return km->n_cat;
}
double crm_kmodes_gamma(const crm_kmodes *km)
{
    return km->gamma;
}
double crm_kmodes_cost_value(const crm_kmodes *km)
{
    return km->cost;
}
int32_t crm_kmodes_n_iter(const crm_kmodes *km)
{
    return km->n_iter;
}
const int32_t *crm_kmodes_modes(const crm_kmodes *km)
{
    return km->fitted ? km->modes : NULL;
}
const double *crm_kmodes_means(const crm_kmodes *km)
{
    return km->fitted ? km->means : NULL;
}
const int32_t *crm_kmodes_labels(const crm_kmodes *km)
{
    return km->labels;
}
int64_t crm_kmodes_n_rows(const crm_kmodes *km)
{
    return km->n_rows;
}

/* ---- persistence ----
 * Section "kmodes": u32 version, i32 k, i32 init, i32 n_init, i32 max_iter, i64 seed,
 * f64 gamma, f64 cost, i32 n_iter, i64 n_rows, i32 n_num, i32 n_cat, i32s n_levels[n_cat],
 * i32s modes[k * n_cat], f64s means[k * n_num]. Save and load share the lists below (the
 * model's own counts once loaded: n_num, n_cat and the params are checked first). */
#define KMODES_HEAD(p, km, version, init, seed, n_num, n_cat)                                      \
    CRM_FIELD(version), CRM_FIELD(&(p)->k), CRM_FIELD(init), CRM_FIELD(&(p)->n_init),              \
        CRM_FIELD(&(p)->max_iter), CRM_FIELD(seed), CRM_FIELD(&(km)->gamma),                       \
        CRM_FIELD(&(km)->cost), CRM_FIELD(&(km)->n_iter), CRM_FIELD(&(km)->n_rows),                \
        CRM_FIELD(n_num), CRM_FIELD(n_cat)
#define KMODES_BODY(km)                                                                            \
    CRM_FIELDS((km)->n_levels, (km)->n_cat),                                                       \
        CRM_FIELDS((km)->modes, (int64_t)(km)->params.k * km->n_cat),                              \
        CRM_FIELDS((km)->means, (int64_t)(km)->params.k * km->n_num)

crm_status crm_kmodes_save(const crm_kmodes *km, crm_model_writer *w, crm_error *err)
{
    const uint32_t version = KMODES_VERSION;
    const int32_t init = (int32_t)km->params.init;
    const int64_t seed = (int64_t)km->params.seed;
    const crm_field f[] = { KMODES_HEAD(&km->params, km, &version, &init, &seed, &km->n_num,
                                        &km->n_cat),
                            KMODES_BODY(km) };
    crm_status rc;
    if (!km->fitted) {
        return crm__error_set(err, CRM_ESTATE, "the k-modes model is not fitted");
    }
    rc = crm_model_begin(w, KMODES_SECTION, err);
    return rc == CRM_OK ? crm_model_put_fields(w, f, CRM_N_FIELDS(f), err) : rc;
}

crm_status crm_kmodes_load(const crm_model_reader *r, crm_kmodes **out, crm_error *err)
{
    crm_section s;
    crm_kmodes_params p = crm_kmodes_params_default();
    crm_kmodes *km;
    uint32_t version = 0;
    int32_t init = 0;
    int64_t seed = 0;
    int32_t n_num = -1;
    int32_t n_cat = -1;
    size_t left;
    crm_status rc = crm_model_section(r, KMODES_SECTION, &s, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    km = crm_calloc(1, sizeof *km);
    if (km == NULL) {
        return crm__error_nomem(err);
    }
    {
        const crm_field head[] = { KMODES_HEAD(&p, km, &version, &init, &seed, &n_num, &n_cat) };
        (void)crm_section_get_fields(&s, head, CRM_N_FIELDS(head));
    }
    p.init = (crm_kmodes_init)init;
    p.seed = (uint64_t)seed;
    left = s.len - s.pos;
    if (s.failed || version != KMODES_VERSION || p.k < 1 || p.k > 1000000 || n_num < 0 ||
        n_cat < 0 || n_num + n_cat == 0 || (unsigned)init > CRM_KMODES_INIT_RANDOM ||
        !isfinite(km->gamma) || km->gamma < 0 ||
        ((size_t)n_cat * 4 + (size_t)p.k * ((size_t)n_cat * 4 + (size_t)n_num * 8)) != left) {
        crm_free(km);
        return crm_model_malformed(r, KMODES_SECTION, err);
    }
    km->params = p;
    km->n_num = n_num;
    km->n_cat = n_cat;
    km->n_levels = crm_mallocarray((size_t)(n_cat > 0 ? n_cat : 1), sizeof *km->n_levels);
    km->modes = crm_mallocarray((size_t)p.k * (size_t)(n_cat > 0 ? n_cat : 1), sizeof *km->modes);
    km->means = crm_mallocarray((size_t)p.k * (size_t)(n_num > 0 ? n_num : 1), sizeof *km->means);
    if (km->n_levels == NULL || km->modes == NULL || km->means == NULL) {
        crm_kmodes_free(km);
        return crm__error_nomem(err);
    }
    {
        const crm_field body[] = { KMODES_BODY(km) };
        (void)crm_section_get_fields(&s, body, CRM_N_FIELDS(body));
    }
    for (int32_t a = 0; a < n_cat && !s.failed; a++) {
        if (km->n_levels[a] < 1) {
            s.failed = 1;
        }
        for (int32_t c = 0; c < p.k; c++) {
            int32_t q = km->modes[(size_t)c * (size_t)n_cat + (size_t)a];
            if (q < 0 || q >= km->n_levels[a]) {
                s.failed = 1;
            }
        }
    }
    for (size_t j = 0; j < (size_t)p.k * (size_t)n_num && !s.failed; j++) {
        if (!isfinite(km->means[j])) {
            s.failed = 1;
        }
    }
    if (s.failed) {
        crm_kmodes_free(km);
        return crm_model_malformed(r, KMODES_SECTION, err);
    }

    rc = crm_section_finish(&s, r, err);
    if (rc != CRM_OK) {
        crm_kmodes_free(km);
        return rc;
    }
    km->fitted = 1;
    *out = km;
    return CRM_OK;
}
