/* sec_compare.c: the report's section comparing clustering algorithms on the same data: the
 * table and one bar chart per validity index. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "report_internal.h"

typedef struct index_def {
    const char *stem;
    const char *title;
    const char *reading;
    rpt_fmt fmt;
} index_def;

static double value_of(const crm_compare_row *row, int which)
{
    switch (which) {
    case 0:
        return (double)row->k;
    case 1:
        return row->v.cp;
    case 2:
        return row->v.sp;
    case 3:
        return row->v.db;
    case 4:
        return row->v.dunn;
    case 5:
        return row->v.silhouette;
    case 6:
        return row->v.ch;
    default:
        return row->fit_seconds;
    }
}

crm_status crm__rpt_section_comparison(crm_report *r,
                                       const crm_compare_row *rows,
                                       int32_t n,
                                       const char *name,
                                       crm_error *err)
{
    static const index_def defs[] = {
        { "k", "Clusters found", "k: the number of segments each algorithm found or was given",
          RPT_INT },
        { "cp", "Compactness (CP)", "mean distance to the centroid: lower is better", RPT_NUM },
        { "sp", "Separation (SP)", "mean distance between centroids: higher is better", RPT_NUM },
        { "db", "Davies-Bouldin", "lower is better", RPT_NUM },
        { "dunn", "Dunn index", "higher is better", RPT_NUM },
        { "silhouette", "Silhouette", "higher is better, in [-1, 1]", RPT_NUM },
        { "ch", "Calinski-Harabasz", "higher is better", RPT_NUM },
        { "seconds", "Fit time (s)", "seconds spent clustering", RPT_NUM },
    };
    const char **names = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *names);
    double *v = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *v);
    rpt_buf *b = &r->body;
    if (names == NULL || v == NULL) {
        crm_free(names);
        crm_free(v);
        return crm__error_nomem(err);
    }
    crm__rpt_section_begin(r, "Clusterer comparison", name);
    if (n > 0) {
        char rows_txt[32];
        crm__rpt_fmt_int(rows_txt, sizeof rows_txt, rows[0].v.n_rows);
        crm__sbuf_printf(b,
                         "<p>%d algorithms on the same %s customers, the same cleaning and the "
                         "same scaled features; every index is computed on that one matrix.</p>\n",
                         (int)n, rows_txt);
    }
    crm__sbuf_puts(b, "<table><tr><th>algorithm</th><th>k</th><th>CP</th><th>SP</th>"
                      "<th>Davies-Bouldin</th><th>Dunn</th><th>silhouette</th>"
                      "<th>Calinski-Harabasz</th><th>fit (s)</th></tr>\n");
    for (int32_t i = 0; i < n; i++) {
        names[i] = rows[i].algo;
        crm__sbuf_puts(b, "<tr><td>");
        crm__rpt_esc(b, rows[i].algo);
        crm__sbuf_puts(b, "</td>");
        for (int w = 0; w < 8; w++) {
            char txt[48];
            double x = value_of(&rows[i], w);
            if (w == 0) {
                crm__rpt_fmt_int(txt, sizeof txt, (int64_t)x);
            } else if (w == 6) {
                crm__rpt_fmt_fixed(txt, sizeof txt, x, 1);
            } else {
                crm__rpt_fmt_fixed(txt, sizeof txt, x, w == 7 ? 3 : 4);
            }
            crm__sbuf_printf(b, "<td class=\"n\">%s</td>", txt);
        }
        crm__sbuf_puts(b, "</tr>\n");
    }
    crm__sbuf_puts(b, "</table>\n");
    for (int w = 0; w < 8 && n > 0; w++) {
        rpt_buf *c = crm__rpt_chart_begin(r, defs[w].stem);
        for (int32_t i = 0; i < n; i++) {
            v[i] = value_of(&rows[i], w);
        }
        if (c != NULL) {
            crm__rpt_svg_hbars(c, defs[w].title, n, names, v, defs[w].fmt, 0, -1, defs[w].reading);
            crm__rpt_chart_place(r, NULL);
        }
    }
    crm__rpt_section_end(r);
    crm_free(names);
    crm_free(v);
    return CRM_OK;
}
