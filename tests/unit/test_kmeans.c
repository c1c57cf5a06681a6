/* test_kmeans.c: k-means against scikit-learn golden files, properties, determinism across
 * thread counts, bad input, out-of-memory injection and the model-file round trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/kmeans.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

#include "cluster/cluster_internal.h"
#include "core/core_internal.h"
#include "crm_test.h"
#include "golden_cluster.h"

/* Gaussian blobs: n rows, dim columns, n_centres true centres spread by sep. */
static void make_blobs(crm_matrix *x,
                       int64_t n,
                       int64_t dim,
                       int n_centres,
                       double sep,
                       uint64_t seed,
                       int32_t *truth)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, dim, NULL), CRM_OK);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % n_centres);
        for (int64_t d = 0; d < dim; d++) {
            double centre = sep * (double)(((c + 1) * (d + 3) * 7) % 11);
            CRM_ROW(x, i)[d] = centre + crm_rng_normal(&rng);
        }
        if (truth != NULL) {
            truth[i] = c;
        }
    }
}

static void check_golden_case(const char *name)
{
    crm_matrix x;
    crm_matrix init;
    crm_matrix centers;
    char key[128];
    char file[128];
    long n_lab;
    crm_kmeans *km = NULL;
    crm_error err;
    crm_kmeans_params p = crm_kmeans_params_default();
    golden_matrix("lloyd_x.csv", &x);
    golden_matrix("lloyd_init.csv", &init);
    snprintf(file, sizeof file, "lloyd_centers_%s.csv", name);
    golden_matrix(file, &centers);
    snprintf(file, sizeof file, "lloyd_labels_%s.csv", name);
    int32_t *labels = golden_labels(file, &n_lab);
    assert_int_equal(n_lab, x.n_rows);
    p.k = (int32_t)init.n_rows;
    snprintf(key, sizeof key, "lloyd_%s_tol", name);
    p.tol = golden_value(key);
    snprintf(key, sizeof key, "lloyd_%s_max_iter", name);
    p.max_iter = (int32_t)golden_value(key);
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from(km, &x, init.data, NULL, &err), CRM_OK);
    assert_memory_equal(crm_kmeans_labels(km), labels, (size_t)n_lab * sizeof(int32_t));
    snprintf(key, sizeof key, "lloyd_%s_inertia", name);
    crm_assert_close(crm_kmeans_inertia(km), golden_value(key), 1e-9, 0);
    snprintf(key, sizeof key, "lloyd_%s_n_iter", name);
    assert_int_equal(crm_kmeans_n_iter(km), (int)golden_value(key));
    for (int64_t q = 0; q < centers.n_rows * centers.n_cols; q++) {
        crm_assert_close(crm_kmeans_centers(km)[q], centers.data[q], 1e-9, 1e-12);
    }
    crm_kmeans_free(km);
    free(labels);
    crm_matrix_fini(&x);
    crm_matrix_fini(&init);
    crm_matrix_fini(&centers);
}

static void kmeans_lloyd_matches_scikit_learn_from_same_centres(void **state)
{
    (void)state;
    check_golden_case("tol0");
    check_golden_case("tol1e-2");
    check_golden_case("iter3");
}

static void kmeans_inertia_never_increases_across_iterations(void **state)
{
    crm_matrix x;
    crm_kmeans *km = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    int32_t n = 0;
    (void)state;
    golden_matrix("lloyd_x.csv", &x);
    p.k = 9;
    p.tol = 0;
    p.seed = 3;
    p.init = CRM_KMEANS_INIT_RANDOM;
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_fit(km, &x, NULL, NULL), CRM_OK);
    const double *trace = crm_kmeans_inertia_trace(km, &n);
    assert_true(n >= 5);
    for (int32_t i = 1; i < n; i++) {
        assert_true(trace[i] <= trace[i - 1] * (1 + 1e-12));
    }
    assert_true(trace[n - 1] < trace[0]);
    crm_assert_close(crm_kmeans_inertia(km), trace[n - 1], 1e-10, 0);
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

/* The dgemm distances (first trace value: labels of the initial centres and their clamped
 * BLAS distances) against a plain double loop. */
/* Every distance kernel (the fused one for small k x dim on AVX-512 machines, dgemm tiles
 * otherwise) gives the plain-loop argmin, ties going to the lowest centre index, for shapes
 * with k and dim off the vector widths. */
static void kmeans_distance_kernels_give_the_plain_argmin_on_every_shape(void **state)
{
    static const int32_t shapes[][3] = {
        /* rows, dim, k */
        { 1000, 16, 16 }, { 777, 5, 3 }, { 500, 13, 37 },
        { 300, 70, 64 },  { 257, 1, 2 }, { 9, 8, 24 },
    };
    (void)state;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int32_t n = shapes[s][0];
        int32_t dim = shapes[s][1];
        int32_t k = shapes[s][2];
        crm_matrix x;
        crm_rng rng;
        crm_kmeans *km = NULL;
        crm_kmeans_params p = crm_kmeans_params_default();
        double *c = malloc((size_t)k * (size_t)dim * sizeof(double));
        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
        double *dist = malloc((size_t)n * sizeof(double));
        assert_int_equal(crm_matrix_init(&x, n, dim, NULL), CRM_OK);
        crm_rng_seed(&rng, (uint64_t)s + 11);
        for (int64_t i = 0; i < (int64_t)n * dim; i++) {
            x.data[i] = 10.0 * crm_rng_uniform(&rng) - 5.0;
        }
        for (int32_t j = 0; j < k; j++) {
            /* centres are rows; the last one repeats centre 0, so it must never win */
            int64_t row = j == k - 1 && k > 1 ? 0 : (int64_t)crm_rng_below(&rng, (uint64_t)n);
            memcpy(c + (int64_t)j * dim, CRM_ROW(&x, row), (size_t)dim * sizeof(double));
        }
        if (k > 1) {
            memcpy(c + (int64_t)(k - 1) * dim, c, (size_t)dim * sizeof(double));
        }
        p.k = k;
        assert_int_equal(crm__kmeans_make(&p, dim, c, NULL, 0, 0.0, 0, &km, NULL), CRM_OK);
        assert_int_equal(crm_kmeans_assign(km, &x, lab, dist, NULL), CRM_OK);
        for (int64_t i = 0; i < n; i++) {
            double best = INFINITY;
            int32_t arg = -1;
            for (int32_t j = 0; j < k; j++) {
                double d = crm__sq_dist(CRM_ROW(&x, i), c + (int64_t)j * dim, dim);
                if (d < best) {
                    best = d;
                    arg = j;
                }
            }
            assert_int_equal(lab[i], arg);
            crm_assert_close(dist[i], best, 1e-12, 1e-12);
        }
        crm_kmeans_free(km);
        crm_matrix_fini(&x);
        free(c);
        free(lab);
        free(dist);
    }
}

/* Plain Lloyd for the test below: iters passes of plain-loop argmin and fresh sums, summed
 * per block of CRM_BLOCK_ROWS rows in row order and the blocks added in order (the
 * library's order), into centres c (k x dim, updated). Asserts no cluster empties. */
static void plain_lloyd(const crm_matrix *x, int32_t k, int32_t iters, double *c)
{
    int64_t n = x->n_rows;
    int64_t dim = x->n_cols;
    double *sums = calloc((size_t)(k * dim), sizeof(double));
    double *bsum = calloc((size_t)(k * dim), sizeof(double));
    int64_t *cnt = calloc((size_t)k, sizeof(int64_t));
    for (int32_t t = 0; t < iters; t++) {
        memset(sums, 0, (size_t)(k * dim) * sizeof(double));
        memset(cnt, 0, (size_t)k * sizeof(int64_t));
        for (int64_t r0 = 0; r0 < n; r0 += CRM_BLOCK_ROWS) {
            memset(bsum, 0, (size_t)(k * dim) * sizeof(double));
            for (int64_t i = r0; i < n && i < r0 + CRM_BLOCK_ROWS; i++) {
                double best = INFINITY;
                int32_t a = 0;
                for (int32_t j = 0; j < k; j++) {
                    double d = crm__sq_dist(CRM_ROW(x, i), c + (int64_t)j * dim, dim);
                    if (d < best) {
                        best = d;
                        a = j;
                    }
                }
                for (int64_t d = 0; d < dim; d++) {
                    bsum[a * dim + d] += CRM_ROW(x, i)[d];
                }
                cnt[a]++;
            }
            for (int64_t q = 0; q < k * dim; q++) {
                sums[q] += bsum[q];
            }
        }
        for (int32_t j = 0; j < k; j++) {
            assert_true(cnt[j] > 0);
            for (int64_t d = 0; d < dim; d++) {
                c[j * dim + d] = sums[j * dim + d] / (double)cnt[j];
            }
        }
    }
    free(sums);
    free(bsum);
    free(cnt);
}

/* The Lloyd passes (on AVX-512 machines the float screening kernel, whose near ties fall
 * back to double; the fused double kernel and dgemm tiles for larger shapes) move the centres
 * exactly as plain double Lloyd does: bit for bit after the first pass (fresh sums in the same
 * order), to 1e-12 after five and nine (later passes add the moves of changed rows; nine is
 * past CRM__KM_COPY_MIN_PASSES, so those passes screen), with one or two threads alike. The
 * last centre sits 1e-6 from centre 0, so every row near those two is a near tie in float;
 * some shapes are scaled past the float range or down near its underflow. */
static void kmeans_lloyd_passes_match_plain_double_lloyd(void **state)
{
    static const int32_t shapes[][3] = {
        /* rows, dim, k */
        { 1000, 16, 16 }, { 777, 5, 3 }, { 500, 13, 37 }, { 9000, 8, 24 },
        { 300, 70, 50 },  { 257, 1, 2 }, { 800, 4, 80 }, /* k > 64: the fused double kernel */
        { 640, 70, 64 },                                 /* k x dim > 4096: dgemm tiles */
    };
    /* beyond the float range (the double kernel takes over) and near the float underflow
     * (every row falls back), besides ordinary values */
    static const double scale[3] = { 1.0, 1e20, 1e-25 };
    (void)state;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int32_t n = shapes[s][0];
        int32_t dim = shapes[s][1];
        int32_t k = shapes[s][2];
        size_t csize = (size_t)k * (size_t)dim * sizeof(double);
        crm_matrix x;
        crm_rng rng;
        double *c0 = malloc(csize);
        double *want = malloc(csize);
        double *got = malloc(csize);
        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
        assert_int_equal(crm_matrix_init(&x, n, dim, NULL), CRM_OK);
        crm_rng_seed(&rng, (uint64_t)s + 101);
        for (int64_t i = 0; i < (int64_t)n * dim; i++) {
            x.data[i] = (10.0 * crm_rng_uniform(&rng) - 5.0) * scale[s % 3];
        }
        for (int32_t j = 0; j < k; j++) { /* distinct rows */
            int64_t row = (int64_t)j * (n / k) + (int64_t)crm_rng_below(&rng, (uint64_t)(n / k));
            memcpy(c0 + (int64_t)j * dim, CRM_ROW(&x, row), (size_t)dim * sizeof(double));
        }
        memcpy(c0 + (int64_t)(k - 1) * dim, c0, (size_t)dim * sizeof(double));
        c0[(int64_t)(k - 1) * dim] += 1e-6 * scale[s % 3];
        for (int32_t iters = 1; iters <= 9; iters += 4) {
            memcpy(want, c0, csize);
            plain_lloyd(&x, k, iters, want);
            for (int nt = 1; nt <= 2; nt++) {
                crm__lloyd_opts o = { iters, 0.0, nt, NULL, 0.0, 1.0 };
                crm__lloyd_out out = { lab, NULL, 0, 0.0 };
                memcpy(got, c0, csize);
                crm__km_rows rows = crm__km_rows_of(&x);
                assert_int_equal(crm__lloyd(&rows, k, got, NULL, &o, &out, NULL), CRM_OK);
                assert_true(out.n_iter >= 1 && out.n_iter <= iters); /* stops once stable */
                for (int64_t q = 0; q < (int64_t)k * dim; q++) {
                    if (iters == 1) {
                        assert_true(got[q] == want[q]);
                    } else {
                        crm_assert_close(got[q], want[q], 1e-12, 1e-12 * scale[s % 3]);
                    }
                }
            }
        }
        crm_matrix_fini(&x);
        free(c0);
        free(want);
        free(got);
        free(lab);
    }
}

static void kmeans_blas_distances_equal_plain_loop(void **state)
{
    crm_matrix x;
    crm_matrix init;
    crm_kmeans *km = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    int32_t n = 0;
    double plain = 0.0;
    int32_t *lab;
    double *dist;
    (void)state;
    golden_matrix("lloyd_x.csv", &x);
    golden_matrix("lloyd_init.csv", &init);
    p.k = (int32_t)init.n_rows;
    p.max_iter = 1;
    lab = malloc((size_t)x.n_rows * sizeof(int32_t));
    dist = malloc((size_t)x.n_rows * sizeof(double));
    for (int64_t i = 0; i < x.n_rows; i++) {
        double best = INFINITY;
        for (int32_t j = 0; j < p.k; j++) {
            double d = crm__sq_dist(CRM_ROW(&x, i), CRM_ROW(&init, j), x.n_cols);
            if (d < best) {
                best = d;
                lab[i] = j;
            }
        }
        plain += best;
    }
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from(km, &x, init.data, NULL, NULL), CRM_OK);
    crm_assert_close(crm_kmeans_inertia_trace(km, &n)[0], plain, 1e-12, 0);
    assert_int_equal(n, 1);
    /* assign() through BLAS on the initial centres gives the plain argmin and distance. */
    crm_kmeans_free(km);
    p.max_iter = 1;
    assert_int_equal(crm__kmeans_make(&p, (int32_t)x.n_cols, init.data, NULL, 0, 0.0, 0, &km, NULL),
                     CRM_OK);
    {
        int32_t *l2 = malloc((size_t)x.n_rows * sizeof(int32_t));
        assert_int_equal(crm_kmeans_assign(km, &x, l2, dist, NULL), CRM_OK);
        assert_memory_equal(l2, lab, (size_t)x.n_rows * sizeof(int32_t));
        for (int64_t i = 0; i < x.n_rows; i++) {
            double d = crm__sq_dist(CRM_ROW(&x, i), CRM_ROW(&init, lab[i]), x.n_cols);
            crm_assert_close(dist[i], d, 1e-12, 0);
        }
        free(l2);
    }
    crm_kmeans_free(km);
    free(lab);
    free(dist);
    crm_matrix_fini(&x);
    crm_matrix_fini(&init);
}

static crm_kmeans *fit_threads(const crm_matrix *x, int32_t n_threads)
{
    crm_kmeans *km = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    p.k = 7;
    p.n_init = 3;
    p.seed = 11;
    p.n_threads = n_threads;
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_fit(km, x, NULL, NULL), CRM_OK);
    return km;
}

static void kmeans_same_seed_is_bit_identical_with_1_and_2_threads(void **state)
{
    crm_matrix x;
    crm_kmeans *a;
    crm_kmeans *b;
    double ia;
    double ib;
    (void)state;
    make_blobs(&x, 3 * CRM_BLOCK_ROWS + 123, 5, 7, 1.0, 5, NULL); /* several blocks */
    a = fit_threads(&x, 1);
    b = fit_threads(&x, 2);
    ia = crm_kmeans_inertia(a);
    ib = crm_kmeans_inertia(b);
    assert_memory_equal(&ia, &ib, sizeof ia);
    assert_int_equal(crm_kmeans_n_iter(a), crm_kmeans_n_iter(b));
    assert_memory_equal(crm_kmeans_centers(a), crm_kmeans_centers(b), 7 * 5 * sizeof(double));
    assert_memory_equal(crm_kmeans_labels(a), crm_kmeans_labels(b),
                        (size_t)x.n_rows * sizeof(int32_t));
    crm_kmeans_free(a);
    crm_kmeans_free(b);
    crm_matrix_fini(&x);
}

static void kmeans_plusplus_finds_separated_blobs(void **state)
{
    crm_matrix x;
    int32_t truth[600];
    crm_kmeans *km = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    int32_t map[4] = { -1, -1, -1, -1 };
    (void)state;
    make_blobs(&x, 600, 3, 4, 10.0, 2, truth);
    p.k = 4;
    p.seed = 1;
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_fit(km, &x, NULL, NULL), CRM_OK);
    /* Same partition as the truth, up to renaming. */
    for (int i = 0; i < 600; i++) {
        int32_t l = crm_kmeans_labels(km)[i];
        if (map[truth[i]] < 0) {
            map[truth[i]] = l;
        }
        assert_int_equal(map[truth[i]], l);
    }
    assert_true(crm_kmeans_inertia(km) < 600 * 3 * 1.3);
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

static void kmeans_rejects_bad_params_and_data(void **state)
{
    crm_kmeans_params p = crm_kmeans_params_default();
    crm_kmeans *km = NULL;
    crm_matrix x;
    crm_error err;
    (void)state;
    p.k = 0;
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_EINVAL);
    assert_string_equal(err.field, "k");
    assert_null(km);
    p = crm_kmeans_params_default();
    p.tol = NAN;
    assert_int_equal(crm_kmeans_params_check(&p, &err), CRM_EINVAL);
    p = crm_kmeans_params_default();
    p.max_iter = 0;
    assert_int_equal(crm_kmeans_params_check(&p, &err), CRM_EINVAL);
    p = crm_kmeans_params_default();
    p.n_init = 0;
    assert_int_equal(crm_kmeans_params_check(&p, &err), CRM_EINVAL);

    /* 10 rows with 3 distinct values. */
    assert_int_equal(crm_matrix_init(&x, 10, 2, NULL), CRM_OK);
    for (int i = 0; i < 10; i++) {
        CRM_ROW(&x, i)[0] = (double)(i % 3);
        CRM_ROW(&x, i)[1] = 1.0;
    }
    p = crm_kmeans_params_default();
    p.k = 4;
    for (int init = 0; init < 2; init++) {
        p.init = (crm_kmeans_init)init;
        assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
        assert_int_equal(crm_kmeans_fit(km, &x, NULL, &err), CRM_EDATA);
        assert_non_null(strstr(err.msg, "only 3 distinct rows"));
        assert_false(crm_kmeans_is_fitted(km));
        crm_kmeans_free(km);
    }
    p.init = CRM_KMEANS_INIT_PLUSPLUS;
    p.k = 11;
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit(km, &x, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "larger than the number of rows"));
    crm_kmeans_free(km);
    /* Given centres with 4 clusters but 3 distinct rows: an empty cluster cannot be filled. */
    {
        double c[8] = { 0, 1, 1, 1, 2, 1, 50, 50 };
        p.k = 4;
        assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
        assert_int_equal(crm_kmeans_fit_from(km, &x, c, NULL, &err), CRM_EDATA);
        assert_non_null(strstr(err.msg, "distinct rows"));
        c[7] = NAN;
        assert_int_equal(crm_kmeans_fit_from(km, &x, c, NULL, &err), CRM_EINVAL);
        crm_kmeans_free(km);
    }
    /* Non-finite data. */
    p.k = 2;
    CRM_ROW(&x, 4)[1] = INFINITY;
    assert_int_equal(crm_kmeans_new(&p, &km, &err), CRM_OK);
    assert_int_equal(crm_kmeans_fit(km, &x, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 5, column 2"));
    {
        int32_t lab[10];
        assert_int_equal(crm_kmeans_assign(km, &x, lab, NULL, &err), CRM_ESTATE);
    }
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

static void kmeans_reseeds_an_empty_cluster_from_the_farthest_row(void **state)
{
    crm_matrix x;
    crm_kmeans *km = NULL;
    crm_kmeans_params p = crm_kmeans_params_default();
    /* Rows on a line 0..9 and 100; third centre far away never gets a row at first. */
    double c[3] = { 1.0, 2.0, 1000.0 };
    int64_t count[3] = { 0, 0, 0 };
    (void)state;
    assert_int_equal(crm_matrix_init(&x, 11, 1, NULL), CRM_OK);
    for (int i = 0; i < 10; i++) {
        CRM_ROW(&x, i)[0] = (double)i;
    }
    CRM_ROW(&x, 10)[0] = 100.0;
    p.k = 3;
    p.tol = 0;
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_fit_from(km, &x, c, NULL, NULL), CRM_OK);
    for (int i = 0; i < 11; i++) {
        count[crm_kmeans_labels(km)[i]]++;
    }
    assert_true(count[0] > 0 && count[1] > 0 && count[2] > 0);
    /* The far row 100 ends alone in its cluster. */
    assert_int_equal(count[crm_kmeans_labels(km)[10]], 1);
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

/* Rows [r0, r1) of the matrix in ctx, as a table cleaned on demand would give them; a call
 * for rows that were given stored is counted as a fault. */
typedef struct rows_src {
    const crm_matrix *x;
    int64_t stored;
    int faults;
} rows_src;

static void copy_rows(void *ctx, int64_t r0, int64_t r1, double *out)
{
    rows_src *s = ctx;
    if (r0 < s->stored || r1 > s->x->n_rows || r1 - r0 > CRM_BLOCK_ROWS) {
        __atomic_store_n(&s->faults, 1, __ATOMIC_RELAXED);
    }
    memcpy(out, CRM_ROW(s->x, r0), (size_t)((r1 - r0) * s->x->n_cols) * sizeof(double));
}

static void kmeans_fit_from_rows_is_bit_identical_to_the_stored_matrix(void **state)
{
    /* n, dim, k: several blocks with a short last one; wide rows; many clusters, some far
     * away so that clusters empty and take the farthest row */
    static const int32_t shapes[][3] = { { 10007, 5, 6 }, { 9000, 20, 4 }, { 12288, 3, 40 } };
    (void)state;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int32_t n = shapes[s][0], dim = shapes[s][1], k = shapes[s][2];
        crm_matrix x;
        crm_rng rng;
        double *c0 = malloc((size_t)k * (size_t)dim * sizeof(double));
        assert_int_equal(crm_matrix_init(&x, n, dim, NULL), CRM_OK);
        crm_rng_seed(&rng, (uint64_t)s + 7);
        for (int64_t i = 0; i < (int64_t)n * dim; i++) {
            x.data[i] = 3.0 * (double)(i / dim % 5) + crm_rng_uniform(&rng);
        }
        for (int64_t q = 0; q < (int64_t)k * dim; q++) {
            c0[q] = q / dim < k / 2 ? x.data[(q / dim) * 97 * dim + q % dim] : 50.0 + (double)q;
        }
        for (int variant = 0; variant < 8; variant++) {
            crm_kmeans_params p = crm_kmeans_params_default();
            crm_kmeans *want = NULL;
            crm_kmeans *got = NULL;
            int64_t head_rows = variant % 3 == 0 ? 0 : variant % 3 == 1 ? CRM_BLOCK_ROWS : n;
            crm_matrix head = crm_matrix_rows(&x, 0, head_rows);
            rows_src src = { &x, head_rows, 0 };
            int32_t nw, ng;
            const double *tg, *tw;
            p.k = k;
            p.n_threads = 1 + variant % 2;
            p.tol = variant < 4 ? 1e-4 : 0.0;
            p.max_iter = variant == 7 ? 2 : 300;
            assert_int_equal(crm_kmeans_new(&p, &want, NULL), CRM_OK);
            assert_int_equal(crm_kmeans_new(&p, &got, NULL), CRM_OK);
            assert_int_equal(crm_kmeans_fit_from(want, &x, c0, NULL, NULL), CRM_OK);
            assert_int_equal(crm_kmeans_fit_from_rows(got, variant % 3 == 0 ? NULL : &head, n, dim,
                                                      copy_rows, &src, c0, NULL, NULL),
                             CRM_OK);
            assert_int_equal(src.faults, 0);
            assert_int_equal(crm_kmeans_n_iter(got), crm_kmeans_n_iter(want));
            assert_true(crm_kmeans_inertia(got) == crm_kmeans_inertia(want));
            assert_memory_equal(crm_kmeans_centers(got), crm_kmeans_centers(want),
                                (size_t)k * (size_t)dim * sizeof(double));
            assert_memory_equal(crm_kmeans_labels(got), crm_kmeans_labels(want),
                                (size_t)n * sizeof(int32_t));
            tg = crm_kmeans_inertia_trace(got, &ng);
            tw = crm_kmeans_inertia_trace(want, &nw);
            assert_int_equal(ng, nw);
            assert_memory_equal(tg, tw, (size_t)nw * sizeof(double));
            crm_kmeans_free(want);
            crm_kmeans_free(got);
        }
        /* a non-finite value among the rows made on demand: the stored matrix's error */
        {
            crm_kmeans_params p = crm_kmeans_params_default();
            crm_kmeans *km = NULL;
            rows_src src = { &x, 0, 0 };
            crm_error e1, e2;
            CRM_ROW(&x, n - 3)[dim - 1] = NAN;
            p.k = k;
            assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
            assert_int_equal(crm_kmeans_fit_from(km, &x, c0, NULL, &e1), CRM_EDATA);
            assert_int_equal(
                crm_kmeans_fit_from_rows(km, NULL, n, dim, copy_rows, &src, c0, NULL, &e2),
                CRM_EDATA);
            assert_string_equal(e2.msg, e1.msg);
            assert_false(crm_kmeans_is_fitted(km));
            /* stored rows must be whole blocks */
            {
                crm_matrix bad = crm_matrix_rows(&x, 0, 100);
                assert_int_equal(
                    crm_kmeans_fit_from_rows(km, &bad, n, dim, copy_rows, &src, c0, NULL, &e2),
                    CRM_EINVAL);
            }
            crm_kmeans_free(km);
        }
        crm_matrix_fini(&x);
        free(c0);
    }
}

static void kmeans_fit_survives_every_allocation_failure(void **state)
{
    crm_matrix x;
    int finished = 0;
    (void)state;
    make_blobs(&x, 300, 3, 3, 5.0, 9, NULL);
    for (long n = 0; n < 200 && !finished; n++) {
        crm_kmeans_params p = crm_kmeans_params_default();
        crm_kmeans *km = NULL;
        crm_error err;
        crm_status st;
        p.k = 3;
        p.n_init = 2;
        crm_test_fail_after(n);
        st = crm_kmeans_new(&p, &km, &err);
        if (st == CRM_OK) {
            st = crm_kmeans_fit(km, &x, NULL, &err);
        }
        if (st == CRM_OK) {
            finished = 1;
        } else {
            assert_int_equal(st, CRM_ENOMEM);
        }
        crm_kmeans_free(km);
        assert_int_equal(crm_test_alloc_live(), 0);
        crm_test_alloc_reset();
    }
    assert_true(finished);
    crm_matrix_fini(&x);
}

static bool cancel_at_second(void *ud, const char *stage, double frac)
{
    int *calls = ud;
    (void)stage;
    assert_true(frac >= 0.0 && frac <= 1.0);
    return ++*calls < 2;
}

static void kmeans_save_load_round_trip_and_cancel(void **state)
{
    crm_matrix x;
    crm_kmeans *km = NULL;
    crm_kmeans *back = NULL;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_kmeans_params p = crm_kmeans_params_default();
    int32_t *la;
    int32_t *lb;
    int calls = 0;
    crm_progress prog = { cancel_at_second, &calls };
    crm_error err;
    (void)state;
    make_blobs(&x, 500, 4, 5, 3.0, 4, NULL);
    p.k = 5;
    p.tol = 0;
    assert_int_equal(crm_kmeans_new(&p, &km, NULL), CRM_OK);
    assert_int_equal(crm_kmeans_save(km, NULL, &err), CRM_ESTATE);
    assert_int_equal(crm_kmeans_fit(km, &x, &prog, &err), CRM_ECANCELLED);
    assert_false(crm_kmeans_is_fitted(km));
    assert_int_equal(crm_kmeans_fit(km, &x, NULL, &err), CRM_OK);
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_kmeans_save(km, w, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_kmeans_load(r, &back, &err), CRM_OK);
    assert_int_equal(crm_kmeans_k(back), 5);
    assert_int_equal(crm_kmeans_dim(back), 4);
    assert_memory_equal(crm_kmeans_centers(back), crm_kmeans_centers(km), 20 * sizeof(double));
    crm_assert_close(crm_kmeans_inertia(back), crm_kmeans_inertia(km), 0, 0);
    la = malloc(500 * sizeof(int32_t));
    lb = malloc(500 * sizeof(int32_t));
    assert_int_equal(crm_kmeans_assign(km, &x, la, NULL, &err), CRM_OK);
    assert_int_equal(crm_kmeans_assign(back, &x, lb, NULL, &err), CRM_OK);
    assert_memory_equal(la, lb, 500 * sizeof(int32_t));
    assert_memory_equal(la, crm_kmeans_labels(km), 500 * sizeof(int32_t));
    free(la);
    free(lb);
    crm_kmeans_free(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    /* A model file without the section is refused. */
    assert_int_equal(crm_model_writer_new("segmentation", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "other", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, &err), CRM_OK);
    assert_int_equal(crm_kmeans_load(r, &back, &err), CRM_EFORMAT);
    assert_null(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_kmeans_free(km);
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmeans_lloyd_matches_scikit_learn_from_same_centres),
        cmocka_unit_test(kmeans_inertia_never_increases_across_iterations),
        cmocka_unit_test(kmeans_blas_distances_equal_plain_loop),
        cmocka_unit_test(kmeans_distance_kernels_give_the_plain_argmin_on_every_shape),
        cmocka_unit_test(kmeans_lloyd_passes_match_plain_double_lloyd),
        cmocka_unit_test(kmeans_same_seed_is_bit_identical_with_1_and_2_threads),
        cmocka_unit_test(kmeans_plusplus_finds_separated_blobs),
        cmocka_unit_test(kmeans_rejects_bad_params_and_data),
        cmocka_unit_test(kmeans_reseeds_an_empty_cluster_from_the_farthest_row),
        cmocka_unit_test(kmeans_fit_from_rows_is_bit_identical_to_the_stored_matrix),
        cmocka_unit_test(kmeans_fit_survives_every_allocation_failure),
        cmocka_unit_test(kmeans_save_load_round_trip_and_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
