/* report.c: the report object, the HTML page around the sections, the SVG files, and the
 * dispatch from a model file's kind to the section that shows it. */
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/model.h>
#include <crmkit/outfile.h>
#include <crmkit/report.h>

#include "core/core_internal.h"
#include "report_internal.h"

crm_report_params crm_report_params_default(void)
{
    return (crm_report_params){ .scatter_rows = 1500,
                                .validity_rows = 3000,
                                .top_features = 4,
                                .top_rules = 10,
                                .top_bars = 15 };
}

crm_status crm_report_params_check(const crm_report_params *p, crm_error *err)
{
    if (p == NULL) {
        return crm__error_set(err, CRM_EINVAL, "report params: NULL");
    }
    if (p->scatter_rows < 10) {
        return crm__error_set(err, CRM_EINVAL, "report params: scatter_rows must be >= 10");
    }
    if (p->validity_rows < 10) {
        return crm__error_set(err, CRM_EINVAL, "report params: validity_rows must be >= 10");
    }
    if (p->top_features < 1 || p->top_rules < 1 || p->top_bars < 1) {
        return crm__error_set(err, CRM_EINVAL,
                              "report params: top_features, top_rules and top_bars must be >= 1");
    }
    return CRM_OK;
}

crm_status crm_report_new(const crm_report_params *p, crm_report **out, crm_error *err)
{
    crm_report *r;
    crm_status rc = crm_report_params_check(p, err);
    *out = NULL;
    if (rc != CRM_OK) {
        return rc;
    }
    r = crm_calloc(1, sizeof *r);
    if (r == NULL) {
        return crm__error_nomem(err);
    }
    r->p = *p;
    r->title = crm_strdup(p->title ? p->title : "crmkit report");
    if (r->title == NULL) {
        crm_free(r);
        return crm__error_nomem(err);
    }
    r->p.title = r->title;
    *out = r;
    return CRM_OK;
}

void crm_report_free(crm_report *r)
{
    if (r == NULL) {
        return;
    }
    for (int32_t i = 0; i < r->n_charts; i++) {
        crm_free(r->charts[i].name);
        crm__sbuf_fini(&r->charts[i].svg);
        crm__sbuf_fini(&r->charts[i].file);
    }
    crm_free(r->charts);
    crm__sbuf_fini(&r->body);
    crm__sbuf_fini(&r->toc);
    crm_free(r->title);
    crm_free(r);
}

rpt_buf *crm__rpt_chart_begin(crm_report *r, const char *stem)
{
    char name[96];
    rpt_chart *c;
    if (!crm__grow_items(&r->charts, &r->cap_charts, r->n_charts + 1, sizeof *r->charts, 16)) {
        r->body.failed = 1;
        return NULL;
    }
    snprintf(name, sizeof name, "s%d-%s", (int)r->n_sections, stem);
    c = &r->charts[r->n_charts];
    memset(c, 0, sizeof *c);
    c->name = crm_strdup(name);
    if (c->name == NULL) {
        r->body.failed = 1;
        return NULL;
    }
    r->n_charts++;
    return &c->svg;
}

void crm__rpt_chart_place(crm_report *r, const char *caption)
{
    rpt_chart *c;
    if (r->n_charts == 0) {
        return;
    }
    c = &r->charts[r->n_charts - 1];
    /* The standalone file: the same text with the XML declaration and the SVG namespace. */
    crm__sbuf_puts(&c->file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    crm__sbuf_puts(&c->file, c->svg.p && c->svg.len > 4 ? c->svg.p + 4 : "");
    crm__sbuf_puts(&c->file, "\n");
    crm__sbuf_printf(&r->body, "<figure id=\"%s\">", c->name);
    crm__sbuf_puts(&r->body, c->svg.p ? c->svg.p : "");
    if (caption != NULL) {
        crm__sbuf_puts(&r->body, "<figcaption>");
        crm__rpt_esc(&r->body, caption);
        crm__sbuf_puts(&r->body, "</figcaption>");
    }
    crm__sbuf_puts(&r->body, "</figure>\n");
}

int32_t crm__rpt_section_begin(crm_report *r, const char *kind, const char *name)
{
    int32_t s = ++r->n_sections;
    crm__sbuf_printf(&r->body, "<section id=\"s%d\"><h2>", (int)s);
    crm__rpt_esc(&r->body, kind);
    if (name != NULL && name[0] != '\0') {
        crm__sbuf_puts(&r->body, ": ");
        crm__rpt_esc(&r->body, name);
    }
    crm__sbuf_puts(&r->body, "</h2>\n");
    crm__sbuf_printf(&r->toc, "<li><a href=\"#s%d\">", (int)s);
    crm__rpt_esc(&r->toc, kind);
    if (name != NULL && name[0] != '\0') {
        crm__sbuf_puts(&r->toc, ": ");
        crm__rpt_esc(&r->toc, name);
    }
    crm__sbuf_puts(&r->toc, "</a></li>");
    return s;
}

void crm__rpt_section_end(crm_report *r)
{
    crm__sbuf_puts(&r->body, "</section>\n");
}

crm_status crm__rpt_check(const crm_report *r, crm_error *err)
{
    int bad = r->body.failed || r->toc.failed;
    for (int32_t i = 0; i < r->n_charts; i++) {
        bad |= r->charts[i].svg.failed | r->charts[i].file.failed;
    }
    return bad ? crm__error_nomem(err) : CRM_OK;
}

crm_status crm_report_add_segmentation(crm_report *r,
                                       const crm_segmenter *seg,
                                       const crm_table *data,
                                       const char *name,
                                       crm_error *err)
{
    crm_status rc = crm__rpt_section_segmentation(r, seg, data, name, err);
    return rc == CRM_OK ? crm__rpt_check(r, err) : rc;
}

crm_status crm_report_add_twolayer(crm_report *r,
                                   const crm_twolayer *tl,
                                   const crm_table *data,
                                   const char *name,
                                   crm_error *err)
{
    crm_status rc = crm__rpt_section_twolayer(r, tl, data, name, err);
    return rc == CRM_OK ? crm__rpt_check(r, err) : rc;
}

crm_status crm_report_add_classifier(crm_report *r,
                                     const crm_classifier *c,
                                     const crm_table *data,
                                     const char *name,
                                     crm_error *err)
{
    crm_status rc = crm__rpt_section_classifier(r, c, data, name, err);
    return rc == CRM_OK ? crm__rpt_check(r, err) : rc;
}

crm_status crm_report_add_comparison(crm_report *r,
                                     const crm_compare_row *rows,
                                     int32_t n,
                                     const char *name,
                                     crm_error *err)
{
    crm_status rc = crm__rpt_section_comparison(r, rows, n, name, err);
    return rc == CRM_OK ? crm__rpt_check(r, err) : rc;
}

crm_status
crm_report_add_rules(crm_report *r, const crm_rules *rules, const char *name, crm_error *err)
{
    crm_status rc = crm__rpt_section_rules(r, rules, name, err);
    return rc == CRM_OK ? crm__rpt_check(r, err) : rc;
}

/* ---- dispatch on the kind of a model file ---- */

static crm_status add_seg_file(crm_report *r,
                               const crm_model_reader *mr,
                               const char *path,
                               const crm_table *data,
                               crm_error *err)
{
    crm_segmenter *seg = NULL;
    crm_status rc = crm_segmenter_read(mr, &seg, err);
    if (rc == CRM_OK) {
        rc = crm_report_add_segmentation(r, seg, data, path, err);
    }
    crm_segmenter_free(seg);
    return rc;
}

static crm_status add_twolayer_file(crm_report *r,
                                    const crm_model_reader *mr,
                                    const char *path,
                                    const crm_table *data,
                                    crm_error *err)
{
    crm_twolayer *tl = NULL;
    crm_status rc = crm_twolayer_read(mr, &tl, err);
    if (rc == CRM_OK) {
        rc = crm_report_add_twolayer(r, tl, data, path, err);
    }
    crm_twolayer_free(tl);
    return rc;
}

static crm_status add_clf_file(crm_report *r,
                               const crm_model_reader *mr,
                               const char *path,
                               const crm_table *data,
                               crm_error *err)
{
    crm_classifier *c = NULL;
    crm_status rc = crm_classifier_load_reader(mr, &c, err);
    if (rc == CRM_OK) {
        rc = crm_report_add_classifier(r, c, data, path, err);
    }
    crm_classifier_free(c);
    return rc;
}

static crm_status add_rules_file(crm_report *r,
                                 const crm_model_reader *mr,
                                 const char *path,
                                 const crm_table *data,
                                 crm_error *err)
{
    crm_rules *rules = NULL;
    crm_status rc = crm_rules_load(path, &rules, err);
    (void)mr;
    (void)data;
    if (rc == CRM_OK) {
        rc = crm_report_add_rules(r, rules, path, err);
    }
    crm_rules_free(rules);
    return rc;
}

/* One entry per kind of model file the report can show. A new kind of model adds its line
 * here and a section writer (sec_<kind>.c). */
static const struct {
    const char *kind;
    crm_status (*add)(crm_report *r,
                      const crm_model_reader *mr,
                      const char *path,
                      const crm_table *data,
                      crm_error *err);
} kinds[] = {
    { "segmentation", add_seg_file },
    { "twolayer", add_twolayer_file },
    { "classifier", add_clf_file },
    { "rules", add_rules_file },
};

crm_status
crm_report_add_file(crm_report *r, const char *path, const crm_table *data, crm_error *err)
{
    crm_model_reader *mr = NULL;
    crm_status rc = crm_model_reader_open(path, &mr, err);
    const char *kind;
    if (rc != CRM_OK) {
        return rc;
    }
    kind = crm_model_reader_kind(mr);
    rc = crm__error_at(err, CRM_EUNSUPPORTED, path, 0, 0,
                       "the report has no section for a \"%s\" model", kind);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kind, kinds[i].kind) == 0) {
            rc = kinds[i].add(r, mr, path, data, err);
            break;
        }
    }
    crm_model_reader_free(mr);
    return rc;
}

/* ---- accessors and output ---- */

int32_t crm_report_n_sections(const crm_report *r)
{
    return r->n_sections;
}

int32_t crm_report_n_charts(const crm_report *r)
{
    return r->n_charts;
}

const char *crm_report_chart_name(const crm_report *r, int32_t i)
{
    return i >= 0 && i < r->n_charts ? r->charts[i].name : NULL;
}

const char *crm_report_chart_svg(const crm_report *r, int32_t i)
{
    return i >= 0 && i < r->n_charts ? r->charts[i].file.p : NULL;
}

static const char CSS[] =
    "body{font-family:sans-serif;color:#222;max-width:1100px;margin:0 auto;padding:16px 24px;"
    "line-height:1.4}"
    "h1{font-size:26px;margin:8px 0}h2{font-size:21px;border-bottom:2px solid #0072B2;"
    "padding-bottom:4px;margin-top:36px}h3{font-size:16px;margin:20px 0 8px}"
    "figure{margin:12px 0;display:inline-block;vertical-align:top;max-width:100%}"
    "figure svg{max-width:100%;height:auto}"
    "figcaption{font-size:13px;color:#555;max-width:640px}"
    "table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#f0f4f8}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".swatch{display:inline-block;width:11px;height:11px;margin-right:6px;vertical-align:-1px}"
    ".meta{color:#555;font-size:13px}nav ol{columns:2}"
    "@media print{nav{display:none}section{break-before:page}figure,table{break-inside:avoid}"
    "body{max-width:none;padding:0}}\n";

crm_status crm_report_write_html(const crm_report *r, const char *path, crm_error *err)
{
    crm_outfile *of = NULL;
    FILE *fp;
    crm_status rc = crm__rpt_check(r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = crm_outfile_open(path, &of, err);
    if (rc != CRM_OK) {
        return rc;
    }
    fp = crm_outfile_stream(of);
    {
        rpt_buf head = { 0 };
        crm__sbuf_puts(&head, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<meta name=\"viewport\" content=\"width=device-width\"><title>");
        crm__rpt_esc(&head, r->title);
        crm__sbuf_printf(&head, "</title><style>%s</style></head><body>\n<header><h1>", CSS);
        crm__rpt_esc(&head, r->title);
        crm__sbuf_printf(&head,
                         "</h1><p class=\"meta\">Written by crmkit %s: %d section%s, %d chart%s. "
                         "This page is self-contained and can be printed to PDF.</p></header>\n"
                         "<nav><h2>Contents</h2><ol>",
                         CRMKIT_VERSION_STRING, (int)r->n_sections, r->n_sections == 1 ? "" : "s",
                         (int)r->n_charts, r->n_charts == 1 ? "" : "s");
        if (head.failed) {
            crm__sbuf_fini(&head);
            crm_outfile_abort(of);
            return crm__error_nomem(err);
        }
        fputs(head.p, fp);
        crm__sbuf_fini(&head);
    }
    fputs(r->toc.p ? r->toc.p : "", fp);
    fputs("</ol></nav>\n", fp);
    fputs(r->body.p ? r->body.p : "", fp);
    fputs("</body></html>\n", fp);
    return crm_outfile_commit(of, err);
}

crm_status crm_report_write_svgs(const crm_report *r, const char *dir, crm_error *err)
{
    for (int32_t i = 0; i < r->n_charts; i++) {
        char path[4096];
        crm_outfile *of = NULL;
        const char *svg = crm_report_chart_svg(r, i);
        crm_status rc;
        if (svg == NULL) {
            return crm__error_nomem(err);
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s.svg", dir, r->charts[i].name) >=
            sizeof path) {
            return crm__error_set(err, CRM_EINVAL, "%s: folder name too long", dir);
        }
        rc = crm_outfile_open(path, &of, err);
        if (rc != CRM_OK) {
            return rc;
        }
        fputs(svg, crm_outfile_stream(of));
        rc = crm_outfile_commit(of, err);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}
