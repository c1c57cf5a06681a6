/* crmkit/mlp.h: multilayer perceptron classifier (ReLU hidden layers, softmax output,
 * cross-entropy loss, mini-batch Adam with L2, early stopping on a validation split).
 *
 * Training follows scikit-learn's MLPClassifier (Glorot-uniform initialisation, Adam with
 * bias correction, L2 term alpha/2 ||W||^2 / batch, the same no-improvement rule), with every
 * matrix product through cblas_dgemm. A mini-batch is cut into fixed row blocks (their size
 * depends on the batch and layer sizes only); each block's forward and backward pass runs on
 * one thread, and the block gradients are summed in block order, so the weights are bit-identical
 * whatever the number of threads. All randomness (initial weights, validation split, batch
 * order) comes from the seed.
 *
 * Thread safety: a fitted model may be read (predict, save, accessors) from any number of
 * threads at once; new/fit/free need exclusive access. */
#ifndef CRMKIT_MLP_H
#define CRMKIT_MLP_H
#include <stdint.h>

#include <crmkit/common.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/progress.h>
#include <crmkit/status.h>

#define CRM_MLP_MAX_HIDDEN 16

typedef struct crm_mlp crm_mlp; /* opaque */

typedef struct crm_mlp_params {
    int32_t hidden[CRM_MLP_MAX_HIDDEN]; /* units per hidden layer, each >= 1; default 64, 32 */
    int32_t n_hidden;                   /* hidden layers, 0..CRM_MLP_MAX_HIDDEN; default 2 */
    double learning_rate;               /* Adam step, > 0; 0.001 */
    double alpha;                       /* L2 penalty, >= 0; 1e-4 */
    int32_t batch_size;                 /* rows per mini-batch; 0 = min(200, n); default 0 */
    int32_t max_epochs;                 /* >= 1; 200 */
    double tol;                         /* improvement that resets the patience; 1e-4 */
    int32_t n_iter_no_change;           /* patience in epochs, >= 1; 10 */
    int32_t early_stopping;             /* 1: stop on validation accuracy (default); 0: on loss */
    double validation_fraction;         /* in (0, 1) when early stopping; 0.1 */
    double beta1;                       /* Adam, in [0, 1); 0.9 */
    double beta2;                       /* Adam, in [0, 1); 0.999 */
    double epsilon;                     /* Adam, > 0; 1e-8 */
    uint64_t seed;                      /* weights, split, batch order */
    int32_t n_threads;                  /* 0 = OpenMP default; never changes results */
} crm_mlp_params;

CRM_API crm_mlp_params crm_mlp_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_mlp_params_check(const crm_mlp_params *p, crm_error *err);

/** Create an unfitted network (p NULL: defaults). *out owns it. */
CRM_API crm_status crm_mlp_new(const crm_mlp_params *p, crm_mlp **out, crm_error *err);
CRM_API void crm_mlp_free(crm_mlp *m); /* NULL is a no-op */

/** Train on x (n x d, finite) and y[n] in [0, n_classes) (progress may be NULL). Errors:
 *  CRM_EINVAL (bad labels), CRM_EDATA (non-finite value, one class, too few rows for the
 *  validation split), CRM_ENOMEM, CRM_ECANCELLED (progress returned false; asked once an
 *  epoch). Cost: epochs x n x (sum of the layer products) multiply-adds. */
CRM_API crm_status crm_mlp_fit(crm_mlp *m,
                               const crm_matrix *x,
                               const int32_t *y,
                               int32_t n_classes,
                               const crm_progress *progress,
                               crm_error *err);

/** Class probabilities into proba[n_rows * n_classes] (caller-owned). Parallel over fixed
 *  row blocks. Errors: CRM_ESTATE (not fitted), CRM_EINVAL (wrong width), CRM_ENOMEM. */
CRM_API crm_status crm_mlp_predict_proba(const crm_mlp *m,
                                         const crm_matrix *x,
                                         double *proba,
                                         crm_error *err);
/** Most probable class per row into labels[n_rows] (ties: lowest index). */
CRM_API crm_status crm_mlp_predict(const crm_mlp *m,
                                   const crm_matrix *x,
                                   int32_t *labels,
                                   crm_error *err);

CRM_API int32_t crm_mlp_n_classes(const crm_mlp *m);
CRM_API int64_t crm_mlp_n_features(const crm_mlp *m);
/** Epochs run, final training loss, and best validation accuracy (NaN without early
 *  stopping). */
CRM_API int32_t crm_mlp_n_epochs(const crm_mlp *m);
CRM_API double crm_mlp_loss(const crm_mlp *m);
CRM_API double crm_mlp_best_validation_score(const crm_mlp *m);
/** All weights and biases, layer by layer (W row-major fan_in x fan_out, then b): borrowed,
 *  *n receives the count. For tests that compare runs bit for bit. */
CRM_API const double *crm_mlp_weights(const crm_mlp *m, int64_t *n);

/** Save into section tag (NULL: "mlp") / load it back; loading checks every size. */
CRM_API crm_status crm_mlp_save(const crm_mlp *m,
                                crm_model_writer *w,
                                const char *tag,
                                crm_error *err);
CRM_API crm_status crm_mlp_load(const crm_model_reader *r,
                                const char *tag,
                                crm_mlp **out,
                                crm_error *err);

#endif
