/* report_internal.h: the report module's parts: a growable text buffer with XML escaping and
 * number formatting for people (rpt_buf.c), the SVG chart writer (svg.c, svg_xy.c), the PCA
 * projection (pca.c) and the section writers (sec_*.c) called from report.c. */
#ifndef CRM_REPORT_INTERNAL_H
#define CRM_REPORT_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include <crmkit/matrix.h>
#include <crmkit/report.h>

#include "core/core_internal.h"

/* ---- text buffer ---- */

/* The report's text: core's growing buffer (put, puts, printf; a failed allocation sticks). */
typedef crm__sbuf rpt_buf;

/* s with & < > " ' replaced by entities; invalid control characters dropped. */
void crm__rpt_esc(rpt_buf *b, const char *s);

/* Numbers for people: "12,345", "1,234.6", "0.0123", "12.3%". out[size]. */
void crm__rpt_fmt_int(char *out, size_t size, int64_t v);
/* Fixed decimals with thousands separators; "n/a" for NaN, "∞" for infinities. */
void crm__rpt_fmt_fixed(char *out, size_t size, double v, int decimals);
/* Decimals chosen by magnitude: 3 significant digits below 100, none from 1,000 up. */
void crm__rpt_fmt_num(char *out, size_t size, double v);
/* frac * 100 with decimals and a percent sign. */
void crm__rpt_fmt_pct(char *out, size_t size, double frac, int decimals);

/* ---- charts ---- */

/* Colour of series i: the Okabe-Ito palette (black left out), then the same hues again. */
const char *crm__rpt_colour(int32_t i);

/* How an axis or a value label is written. */
typedef enum rpt_fmt {
    RPT_NUM = 0, /* crm__rpt_fmt_num */
    RPT_PCT = 1, /* fraction shown as a percentage */
    RPT_INT = 2, /* whole numbers */
    RPT_SD = 3   /* standard deviations with a sign: "+1.2 sd" */
} rpt_fmt;

/* Pie of n shares (values >= 0, any scale), labelled with names and percentages. */
void crm__rpt_svg_pie(rpt_buf *b,
                      const char *title,
                      int32_t n,
                      const char *const *labels,
                      const double *values);

/* Horizontal bars, one per label, in the given order. Negative values extend left of a zero
 * line (drawn in the second colour when diverging), positive ones right. colour < 0 colours
 * each bar by its index. */
void crm__rpt_svg_hbars(rpt_buf *b,
                        const char *title,
                        int32_t n,
                        const char *const *labels,
                        const double *values,
                        rpt_fmt fmt,
                        int diverging,
                        int32_t colour,
                        const char *xlabel);

/* Vertical grouped bars: n_cat groups of n_ser bars (values[s * n_cat + c]) with a zero line
 * and a legend of the series. */
void crm__rpt_svg_grouped(rpt_buf *b,
                          const char *title,
                          int32_t n_cat,
                          const char *const *cats,
                          int32_t n_ser,
                          const char *const *series,
                          const double *values,
                          rpt_fmt fmt,
                          const char *ylabel);

/* One line of an xy chart. */
typedef struct rpt_line {
    const char *name; /* legend text; NULL = no legend entry */
    const double *x;
    const double *y;
    int64_t n;
    int markers; /* dots at the points */
    int dashed;  /* reference lines */
    int32_t colour;
} rpt_line;

typedef struct rpt_xy {
    const char *title;
    const char *xlabel;
    const char *ylabel;
    rpt_fmt xfmt;
    rpt_fmt yfmt;
    const rpt_line *lines;
    int32_t n_lines;
    double mark_x; /* a vertical marker here (e.g. the chosen k); NaN = none */
    const char *mark_label;
    int square; /* equal axes from 0 to 1 (ROC, gains) */
} rpt_xy;

void crm__rpt_svg_lines(rpt_buf *b, const rpt_xy *c);

/* Points (x[i], y[i]), i < n, coloured by group[i] in [0, n_groups), with a legend of the
 * groups named group_names. */
typedef struct rpt_scatter {
    const char *title;
    int64_t n;
    const double *x;
    const double *y;
    const int32_t *group;
    int32_t n_groups;
    const char *const *group_names;
    const char *xlabel;
    const char *ylabel;
} rpt_scatter;

void crm__rpt_svg_scatter(rpt_buf *b, const rpt_scatter *c);

/* n x n counts (row = true, column = predicted) as a table of cells shaded by the share of
 * their row, each holding its count and that share. */
void crm__rpt_svg_heat(rpt_buf *b,
                       const char *title,
                       int32_t n,
                       const char *const *labels,
                       const int64_t *counts,
                       const char *row_title,
                       const char *col_title);

/* A tree drawn left to right (the root at the left, a column per level, the leaves one per
 * row, so wide trees stay readable): node i has parent[i] (-1 for the root, which must be node 0; a
 * parent comes before its children), a label and a second line (may be NULL). */
void crm__rpt_svg_tree(rpt_buf *b,
                       const char *title,
                       int32_t n,
                       const int32_t *parent,
                       const char *const *labels,
                       const char *const *sublabels);

/* The top of a hierarchical clustering tree: z holds the n_leaves - 1 merges in scipy's
 * linkage form (a, b, height, size; ids >= n_leaves are earlier merges). Only the last
 * max_show - 1 merges are drawn (scipy's truncate_mode "lastp"); a truncated branch ends in a
 * leaf labelled with its number of rows. cut (NaN = none) draws the height of the cut;
 * branches below it are coloured, those above grey. */
void crm__rpt_svg_dendrogram(rpt_buf *b,
                             const char *title,
                             int64_t n_leaves,
                             const double *z,
                             double cut,
                             int32_t max_show);

/* ---- PCA ---- */

/* The two leading principal axes of x (rows centred by their mean) by power iteration with
 * deflation on the covariance matrix: axes[2 * dim], mean[dim], var[2] their variances and
 * *total the total variance. Each axis's largest-magnitude coordinate is made positive, so
 * the result does not depend on the start vector. Errors: CRM_ENOMEM. */
crm_status crm__rpt_pca2(const crm_matrix *x,
                         double *axes,
                         double *mean,
                         double *var,
                         double *total,
                         crm_error *err);

/* ---- the report ---- */

typedef struct rpt_chart {
    char *name;   /* file stem */
    rpt_buf svg;  /* inline form: starts with "<svg " (no namespace) */
    rpt_buf file; /* standalone form (XML declaration, namespace); made by _chart_place */
} rpt_chart;

struct crm_report {
    crm_report_params p;
    char *title;
    rpt_buf body; /* the sections' HTML */
    rpt_buf toc;  /* list items of the contents */
    int32_t n_sections;
    rpt_chart *charts;
    int32_t n_charts;
    int64_t cap_charts;
};

/* Start a new chart called "s<section>-<stem>"; its buffer, or NULL when out of memory. */
rpt_buf *crm__rpt_chart_begin(crm_report *r, const char *stem);
/* Put the last chart into the body inside a figure with a caption (may be NULL). */
void crm__rpt_chart_place(crm_report *r, const char *caption);
/* Open a section: heading, anchor and contents entry. Returns its number (1-based). */
int32_t crm__rpt_section_begin(crm_report *r, const char *kind, const char *name);
void crm__rpt_section_end(crm_report *r);
/* CRM_ENOMEM when any buffer failed. */
crm_status crm__rpt_check(const crm_report *r, crm_error *err);

/* The content of a segmentation section without its heading: charts named prefix + stem and
 * titled "label: ..." (label may be NULL), for a section that shows several segmenters. */
crm_status crm__rpt_segmentation_body(crm_report *r,
                                      const crm_segmenter *seg,
                                      const crm_table *data,
                                      const char *prefix,
                                      const char *label,
                                      crm_error *err);
crm_status crm__rpt_section_twolayer(crm_report *r,
                                     const crm_twolayer *tl,
                                     const crm_table *data,
                                     const char *name,
                                     crm_error *err);
crm_status crm__rpt_section_segmentation(crm_report *r,
                                         const crm_segmenter *seg,
                                         const crm_table *data,
                                         const char *name,
                                         crm_error *err);
crm_status crm__rpt_section_classifier(crm_report *r,
                                       const crm_classifier *c,
                                       const crm_table *data,
                                       const char *name,
                                       crm_error *err);
crm_status crm__rpt_section_comparison(crm_report *r,
                                       const crm_compare_row *rows,
                                       int32_t n,
                                       const char *name,
                                       crm_error *err);
crm_status
crm__rpt_section_rules(crm_report *r, const crm_rules *rules, const char *name, crm_error *err);

#endif
