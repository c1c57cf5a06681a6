/* crmkit/report.h: a self-contained HTML report with charts for the people who act on a
 * segmentation, a churn model or basket rules.
 *
 * The report is one HTML file: inline CSS, inline SVG charts drawn here (no script, no font,
 * image or style sheet fetched from anywhere), readable on screen and printable to PDF. Each
 * chart can also be written as its own SVG file. Colours come from the Okabe-Ito palette, which
 * colour-blind readers can tell apart; numbers carry thousands separators and shares are
 * percentages; every text taken from a model or a table is escaped for XML.
 *
 * A report is built by adding models one at a time; each adds one section:
 *   segmentation  segment sizes (pie), each segment's profile against the population as
 *                 standardised differences (bars), the curve that chose k (elbow models),
 *                 the most distinctive features of each segment in words; with data: a 2-D
 *                 PCA projection of a sample coloured by segment and the validity indices;
 *   twolayer      the tree of layer-1 groups and layer-2 segments (crmkit/twolayer.h), group
 *                 sizes and profiles, each clustered group as a segmentation;
 *   classifier    feature importances (C4.5, boosted trees) or coefficients (logistic
 *                 regression); with data holding the target: ROC curve, cumulative gains,
 *                 lift and the confusion matrix;
 *   rules         item frequencies (bars) and the top rules of every set (population and
 *                 segments);
 *   comparison    clustering algorithms side by side (crmkit/compare.h): a bar chart per
 *                 validity index.
 * crm_report_add_file dispatches on the kind written in a model file's header, so a new kind
 * of model needs one entry in that table (src/report/report.c) and its section writer.
 *
 * Thread safety: one crm_report per thread; the models and tables added are only read. */
#ifndef CRMKIT_REPORT_H
#define CRMKIT_REPORT_H
#include <stdint.h>

#include <crmkit/classify.h>
#include <crmkit/common.h>
#include <crmkit/compare.h>
#include <crmkit/io.h>
#include <crmkit/rules.h>
#include <crmkit/segment.h>
#include <crmkit/status.h>
#include <crmkit/twolayer.h>

typedef struct crm_report crm_report; /* opaque */

typedef struct crm_report_params { /* transparent; start from crm_report_params_default() */
    const char *title;             /* page title (copied); NULL = "crmkit report" */
    int64_t scatter_rows;          /* points in the PCA scatter (default 1500), >= 10 */
    int64_t validity_rows;         /* silhouette and Dunn on at most this many rows (3000) */
    int32_t top_features;          /* distinctive features per segment in words (default 4) */
    int32_t top_rules;             /* rules per set in the rules tables (default 10) */
    int32_t top_bars;              /* bars in importance / item-frequency charts (default 15) */
    uint64_t seed;                 /* samples for the scatter and the validity indices (0) */
} crm_report_params;

CRM_API crm_report_params crm_report_params_default(void);
/** CRM_EINVAL naming the first bad field. */
CRM_API crm_status crm_report_params_check(const crm_report_params *p, crm_error *err);

/** A new empty report. Errors: CRM_EINVAL (params), CRM_ENOMEM. */
CRM_API crm_status crm_report_new(const crm_report_params *p, crm_report **out, crm_error *err);
CRM_API void crm_report_free(crm_report *r); /* NULL is a no-op */

/** Add a section for a segmentation model. data (may be NULL; borrowed for the call) is a
 *  customer table holding the model's features: its rows are assigned to the segments for
 *  the PCA scatter and the validity indices. name labels the section (e.g. the file name).
 *  Errors: CRM_ENOTFOUND (a feature absent from data), CRM_EDATA, CRM_ENOMEM. */
CRM_API crm_status crm_report_add_segmentation(crm_report *r,
                                               const crm_segmenter *seg,
                                               const crm_table *data,
                                               const char *name,
                                               crm_error *err);
/** Add a section for a two-layer model: the tree of layer-1 groups and layer-2 segments, the
 *  group sizes and profiles, then each clustered group as a segmentation (sizes, profiles,
 *  k curve, distinctive features). data is not used yet (may be NULL). Errors: CRM_ENOMEM. */
CRM_API crm_status crm_report_add_twolayer(crm_report *r,
                                           const crm_twolayer *tl,
                                           const crm_table *data,
                                           const char *name,
                                           crm_error *err);
/** Add a section for a classifier. data (may be NULL) with the target column gives the ROC,
 *  gains, lift and confusion charts; without the target column they are left out. Errors:
 *  CRM_ENOTFOUND (a feature absent from data), CRM_EDATA, CRM_ENOMEM. */
CRM_API crm_status crm_report_add_classifier(crm_report *r,
                                             const crm_classifier *c,
                                             const crm_table *data,
                                             const char *name,
                                             crm_error *err);
/** Add a section for a rules file. Errors: CRM_ENOMEM. */
CRM_API crm_status crm_report_add_rules(crm_report *r,
                                        const crm_rules *rules,
                                        const char *name,
                                        crm_error *err);
/** Add a section comparing clustering algorithms (rows[n] from crm_compare_run): the table
 *  and one bar chart per index (k, CP, SP, Davies-Bouldin, Dunn, silhouette,
 *  Calinski-Harabasz, fit time), each saying which way is better. Errors: CRM_ENOMEM. */
CRM_API crm_status crm_report_add_comparison(crm_report *r,
                                             const crm_compare_row *rows,
                                             int32_t n,
                                             const char *name,
                                             crm_error *err);
/** Load the model file at path and add the section for its kind ("segmentation",
 *  "classifier", "rules"). Errors: those of the loaders (CRM_ENOTFOUND, CRM_EIO,
 *  CRM_EFORMAT), CRM_EUNSUPPORTED (a kind the report has no section for: the message names
 *  it), and those of the add function. */
CRM_API crm_status crm_report_add_file(crm_report *r,
                                       const char *path,
                                       const crm_table *data,
                                       crm_error *err);

/** Sections and charts added so far. */
CRM_API int32_t crm_report_n_sections(const crm_report *r);
CRM_API int32_t crm_report_n_charts(const crm_report *r);
/** File stem of chart i ("s1-pie"), NULL out of range; borrowed until the next add or free. */
CRM_API const char *crm_report_chart_name(const crm_report *r, int32_t i);
/** The SVG text of chart i as a standalone document (with the XML declaration and the SVG
 *  namespace); borrowed until the next add or free; NULL out of range. */
CRM_API const char *crm_report_chart_svg(const crm_report *r, int32_t i);

/** Write the HTML page atomically to path ("-" = standard output). Errors: CRM_EIO,
 *  CRM_ENOMEM. */
CRM_API crm_status crm_report_write_html(const crm_report *r, const char *path, crm_error *err);
/** Write every chart as dir/<name>.svg (the folder must exist), each atomically. Errors:
 *  CRM_EIO, CRM_ENOMEM. */
CRM_API crm_status crm_report_write_svgs(const crm_report *r, const char *dir, crm_error *err);

#endif
