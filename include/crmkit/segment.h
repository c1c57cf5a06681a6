/* crmkit/segment.h: the segmentation pipeline as one object: clean (crm_prep), cluster
 * (k-means with a given k, or k chosen by X-means or the elbow method), profile and name the
 * segments (crm_profile), and keep what is needed to assign new customers.
 *
 * A fitted segmenter saves to one model file of kind "segmentation" with the sections "prep",
 * "kmeans", "profile", "segmeta" and "driftref" (the training distribution of every feature,
 * for crmkit/drift.h; optional when loading) (docs/formats/model-file.md); a loaded one assigns new
 * customers with exactly the transform and centres of the fit.
 *
 * Thread safety: a fitted or loaded segmenter is read-only; assign may run on many threads
 * at once. fit/free need exclusive access. */
#ifndef CRMKIT_SEGMENT_H
#define CRMKIT_SEGMENT_H
#include <stdint.h>

#include <crmkit/birch.h>
#include <crmkit/common.h>
#include <crmkit/dbscan.h>
#include <crmkit/denclue.h>
#include <crmkit/drift.h>
#include <crmkit/gmm.h>
#include <crmkit/hclust.h>
#include <crmkit/io.h>
#include <crmkit/kmeans.h>
#include <crmkit/kmodes.h>
#include <crmkit/model.h>
#include <crmkit/optigrid.h>
#include <crmkit/prep.h>
#include <crmkit/profile.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

typedef struct crm_segmenter crm_segmenter; /* opaque */

typedef enum crm_segment_method {
    CRM_SEGMENT_FIXED = 0,  /* k given */
    CRM_SEGMENT_XMEANS = 1, /* k chosen by X-means in [kmin, kmax] (BIC splitting) */
    CRM_SEGMENT_ELBOW = 2,  /* k chosen at the knee of the inertia curve over [kmin, kmax] */
    CRM_SEGMENT_AUTO = 3,   /* k chosen by the algorithm's own criterion over [kmin, kmax]:
                               k-means: X-means (the fitted model then reports XMEANS);
                               k-modes, k-prototypes: knee of the cost curve (as ELBOW);
                               hierarchical: the widest gap between merge heights */
    CRM_SEGMENT_SWEEP = 4   /* k-means for every k in [kmin, kmax], scored by SSE, BIC,
                               silhouette, Calinski-Harabasz and Davies-Bouldin; the k with
                               the highest silhouette (ties: fewer segments) */
} crm_segment_method;

/* One row of the k table of CRM_SEGMENT_SWEEP. The criteria are computed on the segments'
 * own rows (outliers left out); silhouette on a seeded sample of 4,000 rows beyond that. */
typedef struct crm_segment_kscore {
    int32_t k;             /* centres k-means was run with */
    int32_t segments;      /* segments left once clusters under min_share became outliers */
    int64_t outliers;      /* rows of those clusters */
    double smallest_share; /* share of all rows in the smallest segment (outliers included) */
    double sse;            /* sum of squared distances to the segment centres */
    double bic;            /* X-means BIC (crm_xmeans_bic; higher is better) */
    double silhouette;     /* higher is better; NaN for one segment */
    double ch;             /* Calinski-Harabasz, higher is better */
    double db;             /* Davies-Bouldin, lower is better */
} crm_segment_kscore;

/* The clustering algorithm. X-means is CRM_SEGMENT_ALGO_KMEANS with method XMEANS (or AUTO). */
typedef enum crm_segment_algo {
    CRM_SEGMENT_ALGO_KMEANS = 0,      /* k-means on the cleaned matrix (default) */
    CRM_SEGMENT_ALGO_KMODES = 1,      /* k-modes on categorical features, raw levels */
    CRM_SEGMENT_ALGO_KPROTOTYPES = 2, /* k-prototypes: numeric features cleaned and scaled,
                                         categorical features as raw levels */
    CRM_SEGMENT_ALGO_HIER = 3,        /* agglomerative hierarchical (crmkit/hclust.h): the
                                         cut gives the clusters' centres, and every row,
                                         training rows included, goes to the nearest one */
    CRM_SEGMENT_ALGO_BIRCH = 4,       /* BIRCH (crmkit/birch.h): k given, or chosen at the
                                         widest gap of the Ward tree of its subclusters */
    CRM_SEGMENT_ALGO_EM = 5,          /* Gaussian mixture by EM (crmkit/gmm.h): k given, or
                                         the k in [kmin, kmax] with the lowest BIC; each row
                                         goes to its most probable component */
    CRM_SEGMENT_ALGO_DBSCAN = 6,      /* DBSCAN (crmkit/dbscan.h): finds its own number of
                                         clusters (k is ignored); the noise rows form one more
                                         segment, the last, always present (it may be empty);
                                         assign: the cluster of the nearest core row within
                                         eps, else the noise segment */
    CRM_SEGMENT_ALGO_OPTIGRID = 7,    /* OptiGrid (crmkit/optigrid.h): finds its own number of
                                         clusters; noise segment last, as DBSCAN */
    CRM_SEGMENT_ALGO_DENCLUE = 8      /* DENCLUE (crmkit/denclue.h): finds its own number of
                                         clusters; noise segment last, as DBSCAN */
} crm_segment_algo;

typedef struct crm_segment_params { /* transparent; start from crm_segment_params_default() */
    const char *const *features;    /* n_features column names; NULL = the default features */
    int32_t n_features;
    crm_prep_params prep;      /* cleaning (default: mean imputation, z-score) */
    int32_t k;                 /* >= 1 with CRM_SEGMENT_FIXED; ignored otherwise */
    crm_segment_method method; /* default CRM_SEGMENT_FIXED */
    int32_t kmin;              /* for X-means and elbow (default 2) */
    int32_t kmax;              /* (default 12) */
    crm_kmeans_params kmeans;  /* seed, n_init, max_iter, tol, n_threads (k ignored) */
    /* Initial centres in the features' original units (a table with a column per feature and
     * one row per centre); they go through the fitted cleaning like any customer. NULL = seed
     * with k-means++. Only with CRM_SEGMENT_FIXED; the row count must equal k. */
    const crm_table *init_centers;
    const char *tier_by;      /* name segments by tiers of this column's mean; or NULL */
    const char *const *names; /* k names in label order; or NULL */
    int32_t n_names;
    /* ---- the algorithm (fields added after the k-means-only version; all default) ---- */
    crm_segment_algo algo;    /* default CRM_SEGMENT_ALGO_KMEANS. With another algorithm, method
                                 is FIXED (k given) or ELBOW/AUTO (k chosen in [kmin, kmax]);
                                 seed, n_init, max_iter and n_threads come from kmeans */
    crm_kmodes_params kmodes; /* k-modes / k-prototypes: init and gamma (its k, seed, n_init,
                                 max_iter, n_threads are ignored) */
    crm_hclust_params hclust; /* hierarchical: linkage, memory guard, micro-clusters (its seed
                                 and n_threads are ignored) */
    double cut_height;        /* hierarchical: > 0 cuts the tree at this height instead of at
                                 k clusters (method must be FIXED; k is then ignored);
                                 default 0 */
    /* Minimum segment share when k is chosen (X-means, elbow, sweep; default 0.01): X-means
     * splits no cluster into a part below it, and a cluster below it is removed from the
     * segments: its rows are flagged outliers (crm_segmenter_outliers) and take the segment
     * of their nearest centre. 0 turns this off (X-means exactly as the paper). */
    double min_share;
    /* ---- fields added with BIRCH, EM and DBSCAN (defaults from their modules) ---- */
    crm_birch_params birch;       /* threshold, branching (its k, kmin, kmax, n_threads are set from
                                     the fields above) */
    crm_gmm_params gmm;           /* covariance type, max_iter, tol, reg_covar (its k, seed and
                                     n_threads come from the fields above) */
    crm_dbscan_params dbscan;     /* eps, min_samples */
    crm_optigrid_params optigrid; /* bins, noise level, min_size, max_depth */
    crm_denclue_params denclue;   /* h, xi, tol, max_iter */
    /* Large tables (k-means without given centres only): when the table has more than
     * sample rows, k is chosen and the centres are found on a seeded uniform sample of that
     * many rows (at least 3 k-means++ seedings there, the best kept), then Lloyd iterations
     * over every row refine them (the final full pass).
     * Clusters under min_share are removed on the sample; every row of the table then takes
     * its nearest segment (no outlier rows). 0 = automatic: CRM_SEGMENT_SAMPLE_ROWS rows once
     * the table has more than CRM_SEGMENT_SAMPLE_FROM; -1 = never sample. */
    int64_t sample;
    /* With a sample: refine its centres by mini-batch k-means (crmkit/minibatch.h) over every
     * row before the Lloyd iterations over every row (default 0 = off). */
    int32_t minibatch;
    /* k-means only: keep the cleaned matrix as float (4 bytes a cell instead of 8), filled
     * from the table a slice of rows at a time. k is chosen (or the centres found) on the
     * sample as a double matrix (with no sample: on every row, widened to double), then the
     * Lloyd iterations over every row run on the float rows with every sum, distance and the
     * inertia in double (crm_kmeans_fit_from_f32); every row takes its nearest segment (no
     * outlier rows), as with a sample. Not with init_centers or minibatch. Default 0. */
    int32_t float32;
    /* k-means with a sample, float64 storage (no float32, no minibatch), imputation on and
     * one process: 0 (default) = no cleaned matrix is stored; the Lloyd passes over every
     * row clean the rows from the table a block at a time (crm_kmeans_fit_from_rows), so the
     * peak memory is the table's instead of the table's plus the n x features doubles of
     * the matrix, at the cost of one cleaning of the rows per pass. 1 = store the matrix
     * (faster when the passes are many). The same bits either way. */
    int32_t keep_matrix;
} crm_segment_params;

#define CRM_SEGMENT_SAMPLE_FROM INT64_C(1000000)

/** 1 when a fit of n_rows rows with p keeps only half the cleaned matrix, cleaning the other
 *  half from the table on each pass over every row (keep_matrix): k-means with a sample and
 *  float64 storage, in one process (under mpirun the ranks split a stored matrix). */
CRM_API int crm_segment_keeps_half_matrix(const crm_segment_params *p, int64_t n_rows);
#define CRM_SEGMENT_SAMPLE_ROWS INT64_C(200000)
/* Largest k a segmentation takes: at most this many, and a k above CRM_SEGMENT_K_SMALL at
 * most half the rows (segments of one or two customers are not segments; below it, k past
 * the distinct rows is the algorithm's CRM_EDATA as before). Refused before any work. */
#define CRM_SEGMENT_K_MAX   10000
#define CRM_SEGMENT_K_SMALL 100

/** Defaults: default features, crm_prep_params_default() with the log transform on skewed
 *  features (CRM_TRANSFORM_AUTO), k 8 fixed, kmin 2, kmax 12, crm_kmeans_params_default(), no
 *  centres, no names, algorithm k-means, crm_kmodes_params_default(),
 *  crm_hclust_params_default(), no cut height, min_share 0.01. */
CRM_API crm_segment_params crm_segment_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_segment_params_check(const crm_segment_params *p, crm_error *err);

/** The default features of t: every numeric column except identifiers, a churn flag (a
 *  column whose name contains "churn", any case) and a column called "segment". *out is a
 *  new array of borrowed names (crm_free it; the names belong to t). CRM_EDATA when there
 *  is none. */
CRM_API crm_status crm_segment_default_features(const crm_table *t,
                                                const char ***out,
                                                int32_t *n,
                                                crm_error *err);

/** Clean, cluster, profile. t is borrowed for the call. *out owns a new fitted segmenter.
 *  Errors: CRM_EINVAL (params; k larger than the number of rows), CRM_ENOTFOUND (a feature
 *  or the tier column is absent), CRM_EDATA (a column is unusable; missing values with
 *  imputation "none"; fewer distinct customers than k), CRM_ENOMEM, CRM_ECANCELLED. Each
 *  message names the file and the column or row at fault. */
CRM_API crm_status crm_segmenter_fit(const crm_table *t,
                                     const crm_segment_params *p,
                                     const crm_progress *progress,
                                     crm_segmenter **out,
                                     crm_error *err);
CRM_API void crm_segmenter_free(crm_segmenter *seg); /* NULL is a no-op */

/** Label each row of t (found by column name, any order, extra columns ignored) with its
 *  segment; labels[n_rows of t] is caller-owned; dist (may be NULL) gets the squared distance
 *  to the centre in the scaled space; n_unseen (may be NULL) counts category levels not seen
 *  in training. Errors: CRM_ENOTFOUND (a feature column is absent), CRM_EDATA (a column has
 *  another type, missing values when the model does not impute), CRM_ENOMEM. */
CRM_API crm_status crm_segmenter_assign(const crm_segmenter *seg,
                                        const crm_table *t,
                                        int32_t *labels,
                                        double *dist,
                                        int64_t *n_unseen,
                                        crm_error *err);

/** Save atomically to path as a "segmentation" model (temporary file, fsync, rename). */
CRM_API crm_status crm_segmenter_save(const crm_segmenter *seg, const char *path, crm_error *err);
/** Write the sections into an open writer (for embedding in other models). */
CRM_API crm_status crm_segmenter_write(const crm_segmenter *seg,
                                       crm_model_writer *w,
                                       crm_error *err);
/** Load a "segmentation" model file. Errors: CRM_ENOTFOUND, CRM_EIO, CRM_EFORMAT (damaged,
 *  foreign, another version, or another kind of model), CRM_ENOMEM. */
CRM_API crm_status crm_segmenter_load(const char *path, crm_segmenter **out, crm_error *err);
CRM_API crm_status crm_segmenter_read(const crm_model_reader *r,
                                      crm_segmenter **out,
                                      crm_error *err);

/* ---- results (borrowed; valid until _free) ---- */
CRM_API int32_t crm_segmenter_k(const crm_segmenter *seg);
CRM_API crm_segment_method crm_segmenter_method(const crm_segmenter *seg);
CRM_API crm_segment_algo crm_segmenter_algo(const crm_segmenter *seg);
/** "kmeans", "kmodes", "kprototypes", "hier", "birch", "em", "dbscan",
 *  "optigrid", "denclue"; NULL for an unknown
 *  value. */
CRM_API const char *crm_segment_algo_name(crm_segment_algo a);
/** The fitted k-modes / k-prototypes model, or NULL for another algorithm. */
CRM_API const crm_kmodes *crm_segmenter_kmodes(const crm_segmenter *seg);
/** The fitted tree (merges, cut), or NULL for another algorithm. */
CRM_API const crm_hclust *crm_segmenter_hclust(const crm_segmenter *seg);
/** The fitted BIRCH, mixture or DBSCAN model, or NULL for another algorithm. */
CRM_API const crm_birch *crm_segmenter_birch(const crm_segmenter *seg);
CRM_API const crm_gmm *crm_segmenter_gmm(const crm_segmenter *seg);
CRM_API const crm_dbscan *crm_segmenter_dbscan(const crm_segmenter *seg);
CRM_API const crm_optigrid *crm_segmenter_optigrid(const crm_segmenter *seg);
CRM_API const crm_denclue *crm_segmenter_denclue(const crm_segmenter *seg);
/** The segment that holds the noise rows (DBSCAN, OptiGrid, DENCLUE: the last one), or -1. */
CRM_API int32_t crm_segmenter_noise_segment(const crm_segmenter *seg);
CRM_API const crm_prep *crm_segmenter_prep(const crm_segmenter *seg);
/** The fitted k-means model; NULL when the algorithm is not k-means. */
CRM_API const crm_kmeans *crm_segmenter_kmeans(const crm_segmenter *seg);
CRM_API const crm_profile *crm_segmenter_profile(const crm_segmenter *seg);
/** Training labels (crm_segmenter_n_rows of them); NULL for a loaded model. */
CRM_API const int32_t *crm_segmenter_labels(const crm_segmenter *seg);
CRM_API int64_t crm_segmenter_n_rows(const crm_segmenter *seg);
/** Sum of squared distances to the centres in the scaled space (k-means inertia; for
 *  hierarchical, to the clusters' centres; for k-modes / k-prototypes, their cost). */
CRM_API double crm_segmenter_inertia(const crm_segmenter *seg);
/** Lloyd iterations of the final k-means run. */
CRM_API int32_t crm_segmenter_n_iter(const crm_segmenter *seg);
/** BIC of the final model (X-means only; NaN otherwise). */
CRM_API double crm_segmenter_bic(const crm_segmenter *seg);
/** Elbow curve (inertia for k = kmin..kmax, *n entries; k-modes / k-prototypes with k chosen:
 *  their cost for each k); NULL otherwise. */
/** The k table of CRM_SEGMENT_SWEEP (*n rows, k = kmin upwards) and in *chosen the row picked;
 *  NULL for other methods and loaded models. */
CRM_API const crm_segment_kscore *
crm_segmenter_k_table(const crm_segmenter *seg, int32_t *n, int32_t *chosen);
/** Outlier flags of the training rows (1 = the row's cluster was under min_share), or NULL
 *  when there is none or the model was loaded; *n_outliers (may be NULL) gets their count. */
CRM_API const uint8_t *crm_segmenter_outliers(const crm_segmenter *seg, int64_t *n_outliers);
/** Elbow curve (inertia for k = kmin..kmax, *n entries; NULL unless elbow was used). */
CRM_API const double *crm_segmenter_curve(const crm_segmenter *seg, int32_t *kmin, int32_t *n);
/** Seconds spent in cleaning, clustering and profiling during fit (0 for a loaded model). */
CRM_API double crm_segmenter_seconds(const crm_segmenter *seg, const char *stage);
/* Stages: "prep", "cluster" (all of the clustering, which with a sample is "choose_k" on the
 * sample and then "full_pass" over every row), "profile", "drift" (the drift reference),
 * "total". */
/** Rows of the sample k was chosen on (0: every row was used; see crm_segment_params.sample). */
CRM_API int64_t crm_segmenter_sample_rows(const crm_segmenter *seg);
/** Source (file) the model was fitted on; borrowed, "" if unknown. */
CRM_API const char *crm_segmenter_source(const crm_segmenter *seg);
/** Distribution of the training data over fixed bins, for crmkit/drift.h; NULL for a model
 *  file written before models kept it. Borrowed. */
CRM_API const crm_drift_ref *crm_segmenter_drift_ref(const crm_segmenter *seg);

/** Rename the segments (n == k names in label order, copied; see crm_profile_set_names).
 *  Errors: CRM_EINVAL, CRM_ENOMEM. */
CRM_API crm_status crm_segmenter_set_names(crm_segmenter *seg,
                                           const char *const *names,
                                           int32_t n,
                                           crm_error *err);

#endif
