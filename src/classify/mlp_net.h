/* mlp_net.h: the fitted network shared by mlp.c (lifecycle, scoring, files) and mlp_train.c
 * (Adam training). Private to src/classify. */
#ifndef CRM_MLP_NET_H
#define CRM_MLP_NET_H
#include <stdint.h>

#include <crmkit/mlp.h>

#define MLP_MAX_LAYERS (CRM_MLP_MAX_HIDDEN + 1) /* weight layers */

struct crm_mlp {
    crm_mlp_params params;
    int32_t n_classes; /* 0 until fitted */
    int64_t d;
    int32_t n_layers;                  /* weight layers: hidden + output */
    int32_t sizes[MLP_MAX_LAYERS + 1]; /* sizes[0] = d, sizes[n_layers] = n_classes */
    int64_t w_off[MLP_MAX_LAYERS];     /* into theta: W_l, sizes[l] x sizes[l+1] row-major */
    int64_t b_off[MLP_MAX_LAYERS];     /* into theta: b_l, sizes[l+1] */
    int64_t n_theta;
    double *theta;
    int32_t n_epochs;
    double loss;
    double best_val;
};

/* Lay out sizes/offsets for d inputs and n_classes outputs from params.hidden. */
void crm__mlp_layout(crm_mlp *m, int64_t d, int32_t n_classes);

/* Forward pass of rows [0, rows) of x (row stride ldx): acts[l] (rows x sizes[l+1]) receives
 * layer l's output; the last holds the softmax probabilities. */
void crm__mlp_forward(const crm_mlp *m,
                      const double *x,
                      int64_t ldx,
                      int64_t rows,
                      double *const *acts);

/* Sum of sizes[1..n_layers]: the activation cells one row needs. */
int64_t crm__mlp_act_cells(const crm_mlp *m);

#endif
