/* test_gbt.c: histogram gradient-boosted trees: learns nonlinear functions, beats a stump,
 * training loss decreases, thread determinism, missing values, early stopping, class
 * weights, tree limits, save/load, damaged files, bad parameters, out of memory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/gbt.h>
#include <crmkit/model.h>
#include <crmkit/rng.h>

#include "classify/gbt_internal.h"
#include "crm_test.h"

/* Inside a circle of radius 1.2 in [-2, 2]^2 (class 1), plus noise features. */
static void circle(crm_matrix *x, int32_t **y, int64_t n, int32_t p, uint64_t seed)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, p, NULL), CRM_OK);
    *y = malloc((size_t)n * sizeof **y);
    for (int64_t i = 0; i < n; i++) {
        double *r = CRM_ROW(x, i);
        for (int32_t j = 0; j < p; j++) {
            r[j] = 4.0 * crm_rng_uniform(&rng) - 2.0;
        }
        (*y)[i] = r[0] * r[0] + r[1] * r[1] < 1.44;
    }
}

/* Three classes by the angle of (x0, x1); x2 noise; some cells missing. */
static void sectors(crm_matrix *x, int32_t **y, int64_t n, double missing, uint64_t seed)
{
    crm_rng rng;
    crm_rng_seed(&rng, seed);
    assert_int_equal(crm_matrix_init(x, n, 3, NULL), CRM_OK);
    *y = malloc((size_t)n * sizeof **y);
    for (int64_t i = 0; i < n; i++) {
        double *r = CRM_ROW(x, i);
        r[0] = crm_rng_normal(&rng);
        r[1] = crm_rng_normal(&rng);
        r[2] = crm_rng_normal(&rng);
        double a = atan2(r[1], r[0]);
        (*y)[i] = a < -1.0 ? 0 : (a < 1.2 ? 1 : 2);
        if (crm_rng_uniform(&rng) < missing) {
            r[2] = NAN;
        }
        if (crm_rng_uniform(&rng) < missing) {
            r[(int)crm_rng_below(&rng, 2)] = NAN;
        }
    }
}

static double accuracy(const crm_gbt *g, const crm_matrix *x, const int32_t *y)
{
    int32_t *lab = malloc((size_t)x->n_rows * sizeof *lab);
    int64_t ok = 0;
    assert_int_equal(crm_gbt_predict(g, x, lab, NULL), CRM_OK);
    for (int64_t i = 0; i < x->n_rows; i++) {
        ok += lab[i] == y[i];
    }
    free(lab);
    return (double)ok / (double)x->n_rows;
}

static crm_gbt *fit(const crm_gbt_params *p, const crm_matrix *x, const int32_t *y, int32_t k)
{
    crm_gbt *g = NULL;
    crm_error err;
    assert_int_equal(crm_gbt_new(p, &g, &err), CRM_OK);
    crm_status rc = crm_gbt_fit(g, x, y, k, NULL, NULL, &err);
    if (rc != CRM_OK) {
        print_error("fit: %s\n", err.msg);
    }
    assert_int_equal(rc, CRM_OK);
    return g;
}

static void gbt_learns_a_circle_and_beats_a_stump(void **state)
{
    crm_matrix x;
    crm_matrix xt;
    int32_t *y;
    int32_t *yt;
    (void)state;
    circle(&x, &y, 3000, 4, 1);
    circle(&xt, &yt, 2000, 4, 2);
    crm_gbt_params p = crm_gbt_params_default();
    crm_gbt *g = fit(&p, &x, y, 2);
    p.max_iter = 1;
    p.max_leaf_nodes = 2;
    p.learning_rate = 1.0;
    crm_gbt *stump = fit(&p, &x, y, 2);
    double acc = accuracy(g, &xt, yt);
    double acc_stump = accuracy(stump, &xt, yt);
    /* The circle holds 28% of the square: a stump can do little better than "outside". */
    assert_true(acc > 0.95);
    assert_true(acc_stump < 0.80);
    assert_true(acc > acc_stump + 0.15);
    assert_int_equal(crm_gbt_n_iter(g), 100); /* 3000 rows: early stopping is off (auto) */
    assert_null(crm_gbt_validation_loss(g));
    assert_int_equal(crm_gbt_tree_n_leaves(stump, 0), 2);
    crm_gbt_free(g);
    crm_gbt_free(stump);
    crm_matrix_fini(&x);
    crm_matrix_fini(&xt);
    free(y);
    free(yt);
}

static void gbt_training_loss_decreases_every_iteration(void **state)
{
    crm_matrix x;
    int32_t *y;
    (void)state;
    sectors(&x, &y, 2000, 0.1, 3);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 60;
    crm_gbt *g = fit(&p, &x, y, 3);
    const double *loss = crm_gbt_train_loss(g);
    assert_int_equal(crm_gbt_n_iter(g), 60);
    assert_int_equal(crm_gbt_n_trees(g), 180);
    /* Prior: the loss of the class shares, at most log(3). */
    assert_true(loss[0] <= log(3.0) + 1e-12);
    for (int32_t i = 0; i < 60; i++) {
        assert_true(loss[i + 1] < loss[i]);
    }
    assert_true(loss[60] < 0.5 * loss[0]);
    crm_gbt_free(g);
    crm_matrix_fini(&x);
    free(y);
}

static void gbt_is_bit_identical_with_1_and_2_threads(void **state)
{
    crm_matrix x;
    int32_t *y;
    (void)state;
    /* 12,000 rows: early stopping is on (auto), so the split and validation run too. */
    sectors(&x, &y, 12000, 0.05, 4);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 25;
    p.seed = 99;
    p.n_threads = 1;
    crm_gbt *a = fit(&p, &x, y, 3);
    p.n_threads = 2;
    crm_gbt *b = fit(&p, &x, y, 3);
    assert_non_null(crm_gbt_validation_loss(a));
    assert_int_equal(crm_gbt_n_iter(a), crm_gbt_n_iter(b));
    double *ra = malloc(12000 * 3 * sizeof *ra);
    double *rb = malloc(12000 * 3 * sizeof *rb);
    assert_int_equal(crm_gbt_predict_raw(a, &x, ra, NULL), CRM_OK);
    assert_int_equal(crm_gbt_predict_raw(b, &x, rb, NULL), CRM_OK);
    assert_memory_equal(ra, rb, 12000 * 3 * sizeof *ra);
    assert_memory_equal(crm_gbt_train_loss(a), crm_gbt_train_loss(b),
                        (size_t)(crm_gbt_n_iter(a) + 1) * sizeof(double));
    free(ra);
    free(rb);
    crm_gbt_free(a);
    crm_gbt_free(b);
    crm_matrix_fini(&x);
    free(y);
}

/* The data-parallel path (the one every rank takes under mpirun) in one process: the same
 * bits as the plain fit, model file included; and under the sanitizers, which the mpirun
 * tests skip. */
static void gbt_distributed_path_gives_the_same_model(void **state)
{
    crm_matrix x;
    int32_t *y;
    const unsigned char *bytes;
    size_t len[2];
    unsigned char *saved[2];
    (void)state;
    sectors(&x, &y, 12000, 0.05, 8);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 15;
    p.seed = 5;
    for (int k = 0; k < 2; k++) {
        crm_model_writer *w = NULL;
        crm__gbt_force_dist = k;
        crm_gbt *g = fit(&p, &x, y, 3);
        crm__gbt_force_dist = 0;
        assert_non_null(crm_gbt_validation_loss(g));
        assert_int_equal(crm_model_writer_new("test", &w, NULL), CRM_OK);
        assert_int_equal(crm_gbt_save(g, w, NULL, NULL), CRM_OK);
        assert_int_equal(crm_model_writer_bytes(w, &bytes, &len[k], NULL), CRM_OK);
        saved[k] = malloc(len[k]);
        memcpy(saved[k], bytes, len[k]);
        crm_model_writer_free(w);
        crm_gbt_free(g);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(saved[0], saved[1], len[0]);
    free(saved[0]);
    free(saved[1]);
    crm_matrix_fini(&x);
    free(y);
}

/* Learning rate 1 and one-row leaves overshoot until some rows are scored with certainty on
 * the wrong side (p = 1.0 in double: g = 1, h = 0): a node of such rows only must still get
 * a finite leaf (scikit-learn's + 1e-15 in the denominator), and Hessians spanning 0 .. 0.25
 * on the fixed-point grid must keep every score finite. */
static void gbt_tiny_hessians_keep_finite_leaves(void **state)
{
    crm_matrix x;
    int32_t *y;
    (void)state;
    circle(&x, &y, 3000, 2, 3);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 200;
    p.learning_rate = 1.0;
    p.min_samples_leaf = 1;
    p.early_stopping = 0;
    crm_gbt *g = fit(&p, &x, y, 2);
    const double *loss = crm_gbt_train_loss(g);
    int32_t it = crm_gbt_n_iter(g);
    for (int32_t i = 0; i <= it; i++) {
        assert_true(isfinite(loss[i]));
    }
    double *raw = malloc(3000 * sizeof *raw);
    assert_int_equal(crm_gbt_predict_raw(g, &x, raw, NULL), CRM_OK);
    for (int64_t i = 0; i < 3000; i++) {
        assert_true(isfinite(raw[i]));
    }
    free(raw);
    crm_gbt_free(g);
    crm_matrix_fini(&x);
    free(y);
}

static void gbt_learns_from_missingness_and_scores_unseen_missing(void **state)
{
    crm_matrix x;
    crm_rng rng;
    int32_t y[2000];
    double pr[2 * 4];
    (void)state;
    crm_rng_seed(&rng, 5);
    assert_int_equal(crm_matrix_init(&x, 2000, 2, NULL), CRM_OK);
    /* Class 1 iff x0 is missing or x0 > 1; x1 is noise and never missing. */
    for (int i = 0; i < 2000; i++) {
        double *r = CRM_ROW(&x, i);
        r[0] = crm_rng_normal(&rng);
        r[1] = crm_rng_normal(&rng);
        if (crm_rng_uniform(&rng) < 0.3) {
            r[0] = NAN;
        }
        y[i] = isnan(r[0]) || r[0] > 1.0;
    }
    crm_gbt_params p = crm_gbt_params_default();
    crm_gbt *g = fit(&p, &x, y, 2);
    crm_matrix q;
    assert_int_equal(crm_matrix_init(&q, 4, 2, NULL), CRM_OK);
    double rows[4][2] = { { NAN, 0.0 }, { 0.0, 0.0 }, { 2.0, 0.0 }, { 0.0, NAN } };
    for (int i = 0; i < 4; i++) {
        CRM_ROW(&q, i)[0] = rows[i][0];
        CRM_ROW(&q, i)[1] = rows[i][1];
    }
    assert_int_equal(crm_gbt_predict_proba(g, &q, pr, NULL), CRM_OK);
    assert_true(pr[0 * 2 + 1] > 0.95);
    assert_true(pr[1 * 2 + 1] < 0.05);
    assert_true(pr[2 * 2 + 1] > 0.95);
    /* x1 was never missing in training: NaN follows the larger side; x0 = 0 says class 0. */
    assert_true(pr[3 * 2 + 1] < 0.2);
    for (int i = 0; i < 4; i++) {
        crm_assert_close(pr[2 * i] + pr[2 * i + 1], 1.0, 0, 1e-15);
    }
    crm_matrix_fini(&q);
    crm_gbt_free(g);
    crm_matrix_fini(&x);
}

static void gbt_early_stopping_stops_and_reports_validation_loss(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_rng rng;
    (void)state;
    /* Pure noise labels: the validation loss stops improving almost at once. */
    circle(&x, &y, 3000, 3, 6);
    crm_rng_seed(&rng, 7);
    for (int i = 0; i < 3000; i++) {
        y[i] = crm_rng_uniform(&rng) < 0.4;
    }
    crm_gbt_params p = crm_gbt_params_default();
    p.early_stopping = 1;
    p.max_iter = 500;
    crm_gbt *g = fit(&p, &x, y, 2);
    int32_t it = crm_gbt_n_iter(g);
    const double *vl = crm_gbt_validation_loss(g);
    assert_non_null(vl);
    assert_true(it < 100);
    assert_true(it >= p.n_iter_no_change);
    /* The stopping rule held at the end: no loss of the last 10 beat the one before them. */
    for (int32_t j = it - 9; j <= it; j++) {
        assert_false(vl[j] < vl[it - 10] - p.tol);
    }
    crm_gbt_free(g);
    crm_matrix_fini(&x);
    free(y);
}

static void gbt_respects_depth_and_leaf_limits(void **state)
{
    crm_matrix x;
    int32_t *y;
    (void)state;
    circle(&x, &y, 2000, 2, 8);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 10;
    p.max_depth = 1;
    crm_gbt *g = fit(&p, &x, y, 2);
    for (int32_t t = 0; t < crm_gbt_n_trees(g); t++) {
        assert_int_equal(crm_gbt_tree_n_leaves(g, t), 2);
    }
    crm_gbt_free(g);
    p = crm_gbt_params_default();
    p.max_iter = 10;
    p.max_leaf_nodes = 5;
    g = fit(&p, &x, y, 2);
    for (int32_t t = 0; t < crm_gbt_n_trees(g); t++) {
        assert_int_equal(crm_gbt_tree_n_leaves(g, t), 5);
    }
    crm_gbt_free(g);
    p = crm_gbt_params_default();
    p.max_iter = 3;
    p.min_samples_leaf = 900;
    g = fit(&p, &x, y, 2);
    for (int32_t t = 0; t < crm_gbt_n_trees(g); t++) {
        assert_int_equal(crm_gbt_tree_n_leaves(g, t), 2); /* 2000 rows: only one split fits */
    }
    crm_gbt_free(g);
    crm_matrix_fini(&x);
    free(y);
}

static void gbt_balanced_class_weights_raise_minority_scores(void **state)
{
    crm_matrix x;
    int32_t *y;
    (void)state;
    circle(&x, &y, 3000, 3, 9);
    /* Flip most of class 1 to make it a small, noisy minority. */
    for (int i = 0; i < 3000; i++) {
        if (y[i] == 1 && i % 4 != 0) {
            y[i] = 0;
        }
    }
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 30;
    crm_gbt *plain = fit(&p, &x, y, 2);
    p.class_weight_balanced = 1;
    crm_gbt *bal = fit(&p, &x, y, 2);
    double *pa = malloc(3000 * 2 * sizeof *pa);
    double *pb = malloc(3000 * 2 * sizeof *pb);
    double ma = 0;
    double mb = 0;
    assert_int_equal(crm_gbt_predict_proba(plain, &x, pa, NULL), CRM_OK);
    assert_int_equal(crm_gbt_predict_proba(bal, &x, pb, NULL), CRM_OK);
    for (int i = 0; i < 3000; i++) {
        ma += pa[2 * i + 1];
        mb += pb[2 * i + 1];
    }
    assert_true(mb > 2.0 * ma);
    free(pa);
    free(pb);
    crm_gbt_free(plain);
    crm_gbt_free(bal);
    crm_matrix_fini(&x);
    free(y);
}

static void gbt_save_load_round_trip_predicts_identically(void **state)
{
    crm_matrix x;
    int32_t *y;
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_gbt *back = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    sectors(&x, &y, 1500, 0.1, 10);
    crm_gbt_params p = crm_gbt_params_default();
    p.max_iter = 20;
    p.early_stopping = 1;
    crm_gbt *g = fit(&p, &x, y, 3);
    assert_int_equal(crm_model_writer_new("classifier", &w, NULL), CRM_OK);
    assert_int_equal(crm_gbt_save(g, w, "toolongtag", &err), CRM_EINVAL);
    assert_int_equal(crm_gbt_save(g, w, "m0", &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, NULL), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, NULL), CRM_OK);
    assert_int_equal(crm_gbt_load(r, "m0", &back, &err), CRM_OK);
    double *pa = malloc(1500 * 3 * sizeof *pa);
    double *pb = malloc(1500 * 3 * sizeof *pb);
    assert_int_equal(crm_gbt_predict_proba(g, &x, pa, NULL), CRM_OK);
    assert_int_equal(crm_gbt_predict_proba(back, &x, pb, NULL), CRM_OK);
    assert_memory_equal(pa, pb, 1500 * 3 * sizeof *pa);
    assert_int_equal(crm_gbt_n_iter(back), crm_gbt_n_iter(g));
    assert_non_null(crm_gbt_validation_loss(back));
    assert_memory_equal(crm_gbt_train_loss(back), crm_gbt_train_loss(g),
                        (size_t)(crm_gbt_n_iter(g) + 1) * sizeof(double));
    for (int i = 0; i < 1500; i++) {
        crm_assert_close(pa[3 * i] + pa[3 * i + 1] + pa[3 * i + 2], 1.0, 0, 1e-12);
    }
    free(pa);
    free(pb);
    crm_gbt_free(back);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
    crm_gbt_free(g);
    crm_matrix_fini(&x);
    free(y);
}

/* A hand-written stump whose root names itself as its child must be refused. */
static void gbt_load_rejects_a_looping_tree(void **state)
{
    crm_model_writer *w = NULL;
    crm_model_reader *r = NULL;
    crm_gbt *g = NULL;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        const int32_t ints[6] = { 1, 2, 1, 2, 1, 0 };
        const double dbl[2] = { 0.1, 0.0 };
        const double loss[2] = { 0.6, 0.5 };
        uint32_t kids = variant == 0 ? 0u : (1u << 1);
        int32_t feat = variant == 1 ? 7 : 0;
        assert_int_equal(crm_model_writer_new("classifier", &w, NULL), CRM_OK);
        assert_int_equal(crm_model_begin(w, "gbt", NULL), CRM_OK);
        assert_int_equal(crm_model_put_i32s(w, ints, 6, NULL), CRM_OK);
        assert_int_equal(crm_model_put_i64(w, 3, NULL), CRM_OK);
        assert_int_equal(crm_model_put_f64s(w, dbl, 2, NULL), CRM_OK);
        assert_int_equal(crm_model_put_f64(w, 0.0, NULL), CRM_OK);
        assert_int_equal(crm_model_put_i32(w, 3, NULL), CRM_OK);
        assert_int_equal(crm_model_put_i32(w, 2, NULL), CRM_OK);
        assert_int_equal(crm_model_put_f64s(w, loss, 2, NULL), CRM_OK);
        assert_int_equal(crm_model_begin(w, "gbt.nodes", NULL), CRM_OK);
        assert_int_equal(crm_model_put_f64(w, 0.5, NULL), CRM_OK);
        assert_int_equal(crm_model_put_i32(w, feat, NULL), CRM_OK);
        assert_int_equal(crm_model_put_u32(w, kids, NULL), CRM_OK);
        for (int leaf = 0; leaf < 2; leaf++) {
            assert_int_equal(crm_model_put_f64(w, leaf ? 1.0 : -1.0, NULL), CRM_OK);
            assert_int_equal(crm_model_put_i32(w, -1, NULL), CRM_OK);
            assert_int_equal(crm_model_put_u32(w, 0, NULL), CRM_OK);
        }
        assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, NULL), CRM_OK);
        assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, NULL), CRM_OK);
        crm_status rc = crm_gbt_load(r, NULL, &g, &err);
        if (variant == 2) {
            assert_int_equal(rc, CRM_OK); /* the well-formed stump loads */
            crm_matrix q;
            double pr[2];
            assert_int_equal(crm_matrix_init(&q, 1, 2, NULL), CRM_OK);
            CRM_ROW(&q, 0)[0] = 0.7;
            assert_int_equal(crm_gbt_predict_proba(g, &q, pr, NULL), CRM_OK);
            crm_assert_close(pr[1], 1.0 / (1.0 + exp(-1.0)), 1e-15, 0);
            crm_matrix_fini(&q);
            crm_gbt_free(g);
        } else {
            assert_int_equal(rc, CRM_EFORMAT);
            assert_non_null(strstr(err.msg, "invalid"));
            assert_null(g);
        }
        crm_model_reader_free(r);
        crm_model_writer_free(w);
    }
}

static void gbt_rejects_bad_params_and_data(void **state)
{
    crm_gbt *g = NULL;
    crm_error err;
    crm_matrix x;
    int32_t y[40];
    double pr[80];
    (void)state;
    struct {
        const char *field;
        void (*set)(crm_gbt_params *p);
    } cases[] = {
        { "learning_rate", NULL },
        { "max_iter", NULL },
        { "max_leaf_nodes", NULL },
        { "max_depth", NULL },
        { "min_samples_leaf", NULL },
        { "l2_regularization", NULL },
        { "max_bins", NULL },
        { "early_stopping", NULL },
        { "validation_fraction", NULL },
        { "n_iter_no_change", NULL },
        { "tol", NULL },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        crm_gbt_params p = crm_gbt_params_default();
        switch (c) {
        case 0:
            p.learning_rate = 0;
            break;
        case 1:
            p.max_iter = 0;
            break;
        case 2:
            p.max_leaf_nodes = 1;
            break;
        case 3:
            p.max_depth = -1;
            break;
        case 4:
            p.min_samples_leaf = 0;
            break;
        case 5:
            p.l2_regularization = -1;
            break;
        case 6:
            p.max_bins = 256;
            break;
        case 7:
            p.early_stopping = 2;
            break;
        case 8:
            p.validation_fraction = 1.0;
            break;
        case 9:
            p.n_iter_no_change = 0;
            break;
        default:
            p.tol = NAN;
            break;
        }
        assert_int_equal(crm_gbt_new(&p, &g, &err), CRM_EINVAL);
        assert_non_null(strstr(err.msg, cases[c].field));
        assert_null(g);
    }
    crm_gbt_params p = crm_gbt_params_default();
    assert_int_equal(crm_gbt_new(&p, &g, &err), CRM_OK);
    assert_int_equal(crm_matrix_init(&x, 40, 2, NULL), CRM_OK);
    for (int i = 0; i < 40; i++) {
        CRM_ROW(&x, i)[0] = i;
        y[i] = 1;
    }
    assert_int_equal(crm_gbt_predict_proba(g, &x, pr, &err), CRM_ESTATE);
    assert_int_equal(crm_gbt_fit(g, &x, y, 2, NULL, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "one class"));
    y[3] = 2;
    assert_int_equal(crm_gbt_fit(g, &x, y, 2, NULL, NULL, &err), CRM_EINVAL);
    y[3] = 0;
    CRM_ROW(&x, 5)[1] = INFINITY;
    assert_int_equal(crm_gbt_fit(g, &x, y, 2, NULL, NULL, &err), CRM_EDATA);
    assert_non_null(strstr(err.msg, "row 6, column 2"));
    CRM_ROW(&x, 5)[1] = NAN;
    assert_int_equal(crm_gbt_fit(g, &x, y, 2, NULL, NULL, &err), CRM_OK);
    crm_matrix narrow = x;
    narrow.n_cols = 1;
    assert_int_equal(crm_gbt_predict_proba(g, &narrow, pr, &err), CRM_EINVAL);
    crm_gbt_free(g);
    crm_gbt_free(NULL);
    crm_matrix_fini(&x);
}

static void gbt_fit_returns_enomem_without_leaks(void **state)
{
    crm_matrix x;
    int32_t *y;
    int ok = 0;
    (void)state;
    sectors(&x, &y, 300, 0.1, 11);
    for (long k = 0; k < 400 && !ok; k++) {
        crm_gbt *g = NULL;
        crm_gbt_params p = crm_gbt_params_default();
        p.max_iter = 3;
        p.early_stopping = 1;
        crm_test_fail_after(k);
        crm_status rc = crm_gbt_new(&p, &g, NULL);
        if (rc == CRM_OK) {
            rc = crm_gbt_fit(g, &x, y, 3, NULL, NULL, NULL);
        }
        crm_gbt_free(g);
        long live = crm_test_alloc_live();
        crm_test_alloc_reset();
        assert_int_equal(live, 0);
        if (rc == CRM_OK) {
            ok = 1;
        } else {
            assert_int_equal(rc, CRM_ENOMEM);
        }
    }
    assert_true(ok);
    crm_matrix_fini(&x);
    free(y);
}

/* Bin edges: at most 255 bins, strictly increasing, each value in the bin the edges say,
 * NaN in the missing bin; low-cardinality columns get one bin per distinct value. */
static void gbt_bins_are_quantiles_and_consistent(void **state)
{
    crm_matrix x;
    crm_rng rng;
    crm__gbt_mapper m;
    crm__gbt_binned b;
    const int64_t n = 5000;
    (void)state;
    crm_rng_seed(&rng, 12);
    assert_int_equal(crm_matrix_init(&x, n, 3, NULL), CRM_OK);
    for (int64_t i = 0; i < n; i++) {
        double *r = CRM_ROW(&x, i);
        r[0] = crm_rng_normal(&rng);                                        /* continuous */
        r[1] = (double)crm_rng_below(&rng, 7);                              /* 7 levels */
        r[2] = i % 10 == 0 ? NAN : (double)(crm_rng_below(&rng, 3000) / 3); /* ties, NaN */
    }
    assert_int_equal(crm__gbt_mapper_fit(&x, NULL, n, 255, &rng, 2, &m, NULL), CRM_OK);
    assert_int_equal(crm__gbt_bin(&m, &x, NULL, n, 2, &b, NULL), CRM_OK);
    assert_int_equal(m.n_bins[1], 7);
    crm_assert_close(m.thr[255 + 0], 0.5, 0, 0);
    crm_assert_close(m.thr[255 + 5], 5.5, 0, 0);
    int64_t per_bin[256] = { 0 };
    for (int32_t f = 0; f < 3; f++) {
        const double *thr = m.thr + f * 255;
        assert_true(m.n_bins[f] >= 2 && m.n_bins[f] <= 255);
        for (int32_t k = 1; k < m.n_bins[f] - 1; k++) {
            assert_true(thr[k] > thr[k - 1]);
        }
        for (int64_t i = 0; i < n; i++) {
            double v = CRM_ROW(&x, i)[f];
            uint8_t bin = b.bins[f * n + i];
            if (isnan(v)) {
                assert_int_equal(bin, CRM__GBT_MISSING_BIN);
                continue;
            }
            assert_true(bin < m.n_bins[f]);
            assert_true(bin == m.n_bins[f] - 1 || v <= thr[bin]);
            assert_true(bin == 0 || v > thr[bin - 1]);
            if (f == 0) {
                per_bin[bin]++;
            }
        }
    }
    /* Quantile bins of a continuous column hold about n / 255 rows each. */
    assert_int_equal(m.n_bins[0], 255);
    for (int k = 0; k < 255; k++) {
        assert_true(per_bin[k] >= 15 && per_bin[k] <= 25);
    }
    crm__gbt_binned_fini(&b);
    crm__gbt_mapper_fini(&m);
    crm_matrix_fini(&x);
}

static double next_num(char **cur)
{
    char *end;
    double v = strtod(*cur, &end);
    assert_true(end != *cur);
    *cur = end;
    return v;
}

/* scikit-learn's HistGradientBoostingClassifier with the same defaults (golden file from
 * scripts/golden/make_boost_golden.py). It keeps gradients in float32, so a near-tie can
 * pick another split now and then (crmkit keeps them in float32 too, but sums them in another
 * order): compare mean and worst differences of probabilities and
 * the predicted classes. */
static void
check_gbt_golden(const char *name, double mean_tol, double max_tol, int32_t max_label_diff)
{
    char rel[128];
    snprintf(rel, sizeof rel, "golden/boost/gbt_%s.txt", name);
    char *path = crm_test_path(rel);
    char *text = crm_test_read_file(path, NULL);
    assert_non_null(text);
    char *cur = text;
    int64_t ntr = (int64_t)next_num(&cur);
    int64_t nte = (int64_t)next_num(&cur);
    int32_t p = (int32_t)next_num(&cur);
    int32_t k = (int32_t)next_num(&cur);
    int32_t iters = (int32_t)next_num(&cur);
    crm_matrix xtr;
    crm_matrix xte;
    int32_t *y = malloc((size_t)ntr * sizeof *y);
    double *want = malloc((size_t)(nte * k) * sizeof *want);
    double *got = malloc((size_t)(nte * k) * sizeof *got);
    assert_int_equal(crm_matrix_init(&xtr, ntr, p, NULL), CRM_OK);
    assert_int_equal(crm_matrix_init(&xte, nte, p, NULL), CRM_OK);
    for (int64_t i = 0; i < ntr; i++) {
        for (int32_t j = 0; j < p; j++) {
            CRM_ROW(&xtr, i)[j] = next_num(&cur);
        }
        y[i] = (int32_t)next_num(&cur);
    }
    for (int64_t i = 0; i < nte; i++) {
        for (int32_t j = 0; j < p; j++) {
            CRM_ROW(&xte, i)[j] = next_num(&cur);
        }
        for (int32_t c = 0; c < k; c++) {
            want[i * k + c] = next_num(&cur);
        }
    }
    crm_gbt_params gp = crm_gbt_params_default();
    gp.max_iter = iters;
    gp.early_stopping = 0;
    crm_gbt *g = fit(&gp, &xtr, y, k);
    assert_int_equal(crm_gbt_predict_proba(g, &xte, got, NULL), CRM_OK);
    double sum = 0;
    double worst = 0;
    int32_t label_diff = 0;
    for (int64_t i = 0; i < nte; i++) {
        int32_t a = 0;
        int32_t b = 0;
        for (int32_t c = 0; c < k; c++) {
            double d = fabs(got[i * k + c] - want[i * k + c]);
            sum += d;
            worst = d > worst ? d : worst;
            a = got[i * k + c] > got[i * k + a] ? c : a;
            b = want[i * k + c] > want[i * k + b] ? c : b;
        }
        label_diff += a != b;
    }
    print_message("gbt_%s: mean |dp| %.3g, max %.3g, labels differing %d of %lld\n", name,
                  sum / (double)(nte * k), worst, (int)label_diff, (long long)nte);
    assert_true(sum / (double)(nte * k) <= mean_tol);
    assert_true(worst <= max_tol);
    assert_true(label_diff <= max_label_diff);
    crm_gbt_free(g);
    crm_matrix_fini(&xtr);
    crm_matrix_fini(&xte);
    free(y);
    free(want);
    free(got);
    free(text);
    free(path);
}

static void gbt_binary_matches_sklearn_hist_gradient_boosting(void **state)
{
    (void)state;
    check_gbt_golden("binary", 1e-4, 1e-3, 0);
}

static void gbt_multiclass_matches_sklearn_hist_gradient_boosting(void **state)
{
    (void)state;
    check_gbt_golden("multiclass", 5e-3, 0.1, 3);
}

/* Brute force of the boosting the learner does on a tiny set (every distinct value its own
 * bin, min_samples_leaf 1, no regularisation): gradients and Hessians of the log-loss,
 * leaf-wise growth splitting the leaf with the largest gain, every threshold of every feature
 * tried. gain_out[f] sums half the gain of the splits on f. */
typedef struct bf_leaf {
    int32_t rows[64];
    int32_t n;
    double gain; /* best split's gain */
    int32_t feat;
    double thr;
} bf_leaf;

static void bf_best(const crm_matrix *x, const float *g, const float *h, bf_leaf *lf)
{
    double G = 0;
    double H = 0;
    lf->gain = 0;
    lf->feat = -1;
    for (int32_t k = 0; k < lf->n; k++) {
        G += g[lf->rows[k]];
        H += h[lf->rows[k]];
    }
    for (int32_t f = 0; f < (int32_t)x->n_cols; f++) {
        for (int32_t a = 0; a < lf->n; a++) {
            double thr = CRM_ROW(x, lf->rows[a])[f];
            double gl = 0;
            double hl = 0;
            int32_t nl = 0;
            for (int32_t k = 0; k < lf->n; k++) {
                if (CRM_ROW(x, lf->rows[k])[f] <= thr) {
                    gl += g[lf->rows[k]];
                    hl += h[lf->rows[k]];
                    nl++;
                }
            }
            if (nl == 0 || nl == lf->n) {
                continue;
            }
            double gain = gl * gl / hl + (G - gl) * (G - gl) / (H - hl) - G * G / H;
            if (gain > lf->gain) {
                lf->gain = gain;
                lf->feat = f;
                lf->thr = thr;
            }
        }
    }
}

static void bf_boost(const crm_matrix *x,
                     const int32_t *y,
                     int32_t iters,
                     int32_t leaves,
                     double lr,
                     double *gain_out)
{
    const int32_t n = (int32_t)x->n_rows;
    double raw[64];
    float g[64];
    float h[64];
    bf_leaf lf[16];
    double pos = 0;
    for (int32_t i = 0; i < n; i++) {
        pos += y[i];
    }
    for (int32_t i = 0; i < n; i++) {
        raw[i] = log((pos / n) / (1.0 - pos / n));
    }
    for (int32_t it = 0; it < iters; it++) {
        for (int32_t i = 0; i < n; i++) {
            double pr = 1.0 / (1.0 + exp(-raw[i]));
            g[i] = (float)(pr - y[i]);
            h[i] = (float)(pr * (1.0 - pr));
        }
        int32_t nl = 1;
        lf[0].n = n;
        for (int32_t i = 0; i < n; i++) {
            lf[0].rows[i] = i;
        }
        bf_best(x, g, h, &lf[0]);
        while (nl < leaves) {
            int32_t b = -1;
            for (int32_t l = 0; l < nl; l++) {
                if (lf[l].gain > 0 && (b < 0 || lf[l].gain > lf[b].gain)) {
                    b = l;
                }
            }
            if (b < 0) {
                break;
            }
            gain_out[lf[b].feat] += 0.5 * lf[b].gain;
            bf_leaf left = { .n = 0 };
            bf_leaf right = { .n = 0 };
            for (int32_t k = 0; k < lf[b].n; k++) {
                int32_t r = lf[b].rows[k];
                if (CRM_ROW(x, r)[lf[b].feat] <= lf[b].thr) {
                    left.rows[left.n++] = r;
                } else {
                    right.rows[right.n++] = r;
                }
            }
            bf_best(x, g, h, &left);
            bf_best(x, g, h, &right);
            lf[b] = left;
            lf[nl++] = right;
        }
        for (int32_t l = 0; l < nl; l++) {
            double G = 0;
            double H = 0;
            for (int32_t k = 0; k < lf[l].n; k++) {
                G += g[lf[l].rows[k]];
                H += h[lf[l].rows[k]];
            }
            for (int32_t k = 0; k < lf[l].n; k++) {
                raw[lf[l].rows[k]] += -lr * G / H;
            }
        }
    }
}

static void gbt_importance_is_the_loss_reduction_of_the_splits(void **state)
{
    (void)state;
    crm_matrix x;
    int32_t y[40];
    crm_rng rng;
    crm_rng_seed(&rng, 15);
    assert_int_equal(crm_matrix_init(&x, 40, 3, NULL), CRM_OK);
    for (int64_t i = 0; i < 40; i++) {
        double *r = CRM_ROW(&x, i);
        r[0] = crm_rng_uniform(&rng);
        r[1] = crm_rng_uniform(&rng);
        r[2] = crm_rng_uniform(&rng);
        y[i] = (r[0] > 0.6) != (r[1] < 0.25 && crm_rng_uniform(&rng) < 0.8);
    }
    for (int32_t leaves = 2; leaves <= 4; leaves++) {
        crm_gbt_params p = crm_gbt_params_default();
        double want[3] = { 0, 0, 0 };
        double got[3] = { -1, -1, -1 };
        double splits[3];
        p.max_iter = 3;
        p.max_leaf_nodes = leaves;
        p.min_samples_leaf = 1;
        p.early_stopping = 0;
        p.learning_rate = 0.5;
        crm_gbt *g = fit(&p, &x, y, 2);
        bf_boost(&x, y, 3, leaves, 0.5, want);
        assert_true(crm_gbt_feature_gain(g, got));
        crm_gbt_feature_splits(g, splits);
        for (int32_t f = 0; f < 3; f++) {
            assert_true(fabs(got[f] - want[f]) <= 1e-9 * (1.0 + want[f]));
            assert_true((got[f] > 0) == (splits[f] > 0));
        }
        assert_true(want[0] > 0 && want[1] > 0);
        /* kept in the file */
        crm_model_writer *w = NULL;
        crm_model_reader *r = NULL;
        crm_gbt *back = NULL;
        double again[3];
        const unsigned char *bytes = NULL;
        size_t len = 0;
        assert_int_equal(crm_model_writer_new("classifier", &w, NULL), CRM_OK);
        assert_int_equal(crm_gbt_save(g, w, NULL, NULL), CRM_OK);
        assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, NULL), CRM_OK);
        assert_int_equal(crm_model_reader_open_mem(bytes, len, "mem", &r, NULL), CRM_OK);
        assert_int_equal(crm_gbt_load(r, NULL, &back, NULL), CRM_OK);
        assert_true(crm_gbt_feature_gain(back, again));
        assert_memory_equal(again, got, sizeof got);
        crm_gbt_free(back);
        crm_model_reader_free(r);
        crm_model_writer_free(w);
        crm_gbt_free(g);
    }
    crm_matrix_fini(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gbt_bins_are_quantiles_and_consistent),
        cmocka_unit_test(gbt_binary_matches_sklearn_hist_gradient_boosting),
        cmocka_unit_test(gbt_multiclass_matches_sklearn_hist_gradient_boosting),
        cmocka_unit_test(gbt_learns_a_circle_and_beats_a_stump),
        cmocka_unit_test(gbt_training_loss_decreases_every_iteration),
        cmocka_unit_test(gbt_is_bit_identical_with_1_and_2_threads),
        cmocka_unit_test(gbt_distributed_path_gives_the_same_model),
        cmocka_unit_test(gbt_tiny_hessians_keep_finite_leaves),
        cmocka_unit_test(gbt_learns_from_missingness_and_scores_unseen_missing),
        cmocka_unit_test(gbt_early_stopping_stops_and_reports_validation_loss),
        cmocka_unit_test(gbt_respects_depth_and_leaf_limits),
        cmocka_unit_test(gbt_balanced_class_weights_raise_minority_scores),
        cmocka_unit_test(gbt_save_load_round_trip_predicts_identically),
        cmocka_unit_test(gbt_importance_is_the_loss_reduction_of_the_splits),
        cmocka_unit_test(gbt_load_rejects_a_looping_tree),
        cmocka_unit_test(gbt_rejects_bad_params_and_data),
        cmocka_unit_test(gbt_fit_returns_enomem_without_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
