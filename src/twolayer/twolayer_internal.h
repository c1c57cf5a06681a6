/* twolayer_internal.h: the two-layer model's parts, shared by the files of src/twolayer:
 * the parsed spec (derived columns, rule expressions, layer-2 settings), the column frame the
 * rules are evaluated on, and the model object. */
#ifndef CRM_TWOLAYER_INTERNAL_H
#define CRM_TWOLAYER_INTERNAL_H
#include <stdint.h>

#include <crmkit/twolayer.h>

#define TL_RANK_LEVELS 100 /* the rank is a percentile level 0..99 */
#define TL_MAX_DEPTH   64  /* nesting of rule expressions (parser and model reader) */
#define TL_MAX_NAME    256

typedef enum tl_derived_kind {
    TL_D_RANK = 0, /* percentile level 0..99 of one column, fitted cut points */
    TL_D_RATIO = 1,
    TL_D_SUM = 2
} tl_derived_kind;

typedef struct tl_derived {
    char *name;
    tl_derived_kind kind;
    char **inputs; /* rank: 1, ratio: 2 (numerator, denominator), sum: >= 1 */
    int32_t n_inputs;
    int has_on_zero; /* ratio: value when the denominator is 0; else missing */
    double on_zero;
    double cuts[TL_RANK_LEVELS - 1]; /* rank: level(x) = #{L : x > cuts[L-1]}; fitted */
} tl_derived;

typedef enum tl_thr_kind {
    TL_T_NUMBER = 0,
    TL_T_MEAN = 1,
    TL_T_MEDIAN = 2,
    TL_T_QUANTILE = 3, /* p in [0, 1], linear interpolation between order statistics */
    TL_T_COLUMN = 4,   /* another numeric column of the same row */
    TL_T_LEVEL = 5     /* a category level (== and != on a categorical column) */
} tl_thr_kind;

typedef enum tl_op {
    TL_OP_LT = 0,
    TL_OP_LE,
    TL_OP_GT,
    TL_OP_GE,
    TL_OP_EQ,
    TL_OP_NE
} tl_op;

typedef enum tl_node {
    TL_E_CMP = 0,
    TL_E_AND = 1,
    TL_E_OR = 2,
    TL_E_NOT = 3
} tl_node;

typedef struct tl_expr {
    tl_node type;
    /* TL_E_CMP */
    char *column;
    tl_op op;
    tl_thr_kind thr;
    double p;     /* quantile */
    double value; /* the number, or the fitted statistic */
    char *text;   /* TL_T_COLUMN: the column; TL_T_LEVEL: the level */
    /* operands: a (and b for AND/OR) */
    struct tl_expr *a;
    struct tl_expr *b;
} tl_expr;

/* Layer-2 settings of one group. */
typedef struct tl_l2 {
    char **features;
    int32_t n_features;
    char *algo; /* a name from the algorithm table (twolayer_spec.c) */
    int k_auto;
    int32_t k;
    int32_t kmin;
    int32_t kmax;
    uint64_t seed;
    int32_t n_init;
    int32_t max_iter;
    crm_prep_params prep;
    char **names;
    int32_t n_names;
    char *tier_by;
    int linkage;  /* hier: a crm_linkage, or -1 for the segmenter's default */
    double gamma; /* kprototypes: > 0, or -1 for the automatic one */
} tl_l2;

typedef struct tl_group {
    char *name;
    tl_expr *when; /* NULL: every row no earlier group took ("otherwise") */
    int rest;      /* added for the rows no rule takes (not a group the spec lists) */
    tl_l2 l2;
    /* fitted */
    int64_t size;
    int32_t k;
    crm_segmenter *seg; /* NULL when not clustered */
    char **seg_names;   /* k names */
} tl_group;

struct crm_twolayer {
    char *spec_text;
    char *spec_source;
    int32_t n_threads;
    tl_derived *derived;
    int32_t n_derived;
    tl_group *groups;
    int32_t n_groups;
    /* fitted */
    int fitted;
    crm_profile *profile;
    int32_t *l1;
    int32_t *l2;
    int64_t n_rows;
    char **warnings;
    int32_t n_warnings;
    char *source;
    double seconds;
};

/* ---- spec (twolayer_spec.c) ---- */
crm_status crm__tl_parse_spec(crm_twolayer *tl, crm_error *err);
/* Parse a rule expression; path names it in messages. */
crm_status crm__tl_parse_expr(const char *text,
                              const char *source,
                              const char *path,
                              tl_expr **out,
                              crm_error *err);
void crm__tl_expr_free(tl_expr *e);
void crm__tl_l2_fini(tl_l2 *c);
/* The segmenter's parameters for a group's layer-2 settings. */
crm_status crm__tl_algo_params(const tl_l2 *c, crm_segment_params *p, crm_error *err);
char **crm__tl_strdup_list(char *const *list, int32_t n);
void crm__tl_free_list(char **list, int32_t n);

/* ---- frame and rules (twolayer_rules.c) ---- */
typedef struct tl_col {
    const char *name;
    const double *num;    /* numeric values, or NULL */
    const int32_t *codes; /* categorical codes, or NULL */
    int32_t tcol;         /* column of the table, or -1 for a derived column */
} tl_col;

typedef struct tl_frame {
    const crm_table *t;
    int64_t n_rows;
    tl_col *cols; /* the table's columns, then the derived ones */
    int32_t n_cols;
    double **owned; /* values of the derived columns */
    int32_t n_owned;
} tl_frame;

/* The table plus the derived columns; fit = 1 fits the rank cut points into tl. */
crm_status crm__tl_frame_build(crm_twolayer *tl_fit,
                               const crm_twolayer *tl,
                               const crm_table *t,
                               tl_frame *f,
                               crm_error *err);
void crm__tl_frame_fini(tl_frame *f);
/* Column by name, or NULL with CRM_ENOTFOUND (closest name suggested); what names the use. */
const tl_col *
crm__tl_frame_col(const tl_frame *f, const char *name, const char *what, crm_error *err);
/* Fit the statistics of every group's rule on f (training). */
crm_status crm__tl_fit_rules(crm_twolayer *tl, const tl_frame *f, crm_error *err);
/* Group of every row (first match; rows no rule takes go to the last group). */
crm_status
crm__tl_eval_groups(const crm_twolayer *tl, const tl_frame *f, int32_t *l1, crm_error *err);
/* A new table with the named columns of f, for the rows where l1 == g (all rows if g < 0). */
crm_status crm__tl_subtable(const tl_frame *f,
                            char *const *names,
                            int32_t n_names,
                            const int32_t *l1,
                            int32_t g,
                            crm_table **out,
                            crm_error *err);
/* Linear-interpolation quantile of sorted[n] (numpy's default). */
double crm__tl_quantile(const double *sorted, int64_t n, double p);

#endif
