/* svg.c: the report's charts, written as SVG text: pie, horizontal and grouped bars, line
 * charts (k curve, ROC, gains, lift), scatter, confusion heat table and tree diagram.
 *
 * Every chart starts with "<svg " and carries its own width, height and viewBox, a <title>
 * (for screen readers and the browser's tooltip), a white background and a heading. The
 * palette is Okabe and Ito's (2008) eight colours for colour-blind readers, black kept for
 * text and axes. Text widths are estimated (0.66 em per character: capitals are wide), which is
 * enough to size margins for labels in a sans-serif face. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "report_internal.h"

#define FONT_PX   12.0
#define LABEL_MAX 30
#define PI                                                                                         \
    3.14159265358979323846 /* characters of a category label before it is cut with an ellipsis */

static const char *const palette[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                       "#56B4E9", "#D55E00", "#F0E442", "#999999" };

const char *crm__rpt_colour(int32_t i)
{
    int32_t n = (int32_t)(sizeof palette / sizeof palette[0]);
    return palette[((i % n) + n) % n];
}

/* Characters of a UTF-8 text (continuation bytes not counted). */
static int32_t n_chars(const char *s)
{
    int32_t n = 0;
    for (; s && *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static double text_px(const char *s, double font_px)
{
    int32_t n = n_chars(s);
    return 0.66 * font_px * (double)(n > LABEL_MAX ? LABEL_MAX : n);
}

/* s escaped, cut to LABEL_MAX characters with an ellipsis. */
static void esc_label(rpt_buf *b, const char *s)
{
    char cut[4 * LABEL_MAX + 8];
    size_t i = 0;
    int32_t chars = 0;
    if (s == NULL) {
        return;
    }
    if (n_chars(s) <= LABEL_MAX) {
        crm__rpt_esc(b, s);
        return;
    }
    while (s[i] && i + 4 < sizeof cut - 4) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == LABEL_MAX - 1) {
                break;
            }
            chars++;
        }
        cut[i] = s[i];
        i++;
    }
    memcpy(cut + i, "\xE2\x80\xA6", 4); /* U+2026 ellipsis and the NUL */
    crm__rpt_esc(b, cut);
}

static void open_svg(rpt_buf *b, double w, double h, const char *title)
{
    crm__sbuf_printf(b,
                     "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                     "font-family=\"sans-serif\" font-size=\"%.0f\"><title>",
                     w, h, w, h, FONT_PX);
    crm__rpt_esc(b, title);
    crm__sbuf_printf(
        b,
        "</title><rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>"
        "<text x=\"%.1f\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" "
        "font-weight=\"bold\">",
        w, h, w / 2);
    crm__rpt_esc(b, title);
    crm__sbuf_puts(b, "</text>");
}

static void close_svg(rpt_buf *b)
{
    crm__sbuf_puts(b, "</svg>");
}

static void fmt_value(char *out, size_t size, double v, rpt_fmt f, double step)
{
    switch (f) {
    case RPT_PCT:
        crm__rpt_fmt_pct(out, size, v, step > 0 && step < 0.01 ? 1 : 0);
        break;
    case RPT_INT:
        crm__rpt_fmt_int(out, size, (int64_t)llround(v));
        break;
    case RPT_SD: {
        char tmp[40];
        crm__rpt_fmt_fixed(tmp, sizeof tmp, v, 1);
        snprintf(out, size, "%s%.39s", v > 0.05 ? "+" : "", tmp);
        break;
    }
    default:
        if (step > 0) {
            /* ticks: as many decimals as the step needs (2.5 needs one more) */
            int dec = (int)ceil(-log10(step) - 1e-9);
            if (fabs(step * pow(10.0, dec < 0 ? 0 : dec) -
                     round(step * pow(10.0, dec < 0 ? 0 : dec))) > 1e-6) {
                dec++;
            }
            if (fabs(v) < step * 1e-6) {
                v = 0;
            }
            crm__rpt_fmt_fixed(out, size, v, dec < 0 ? 0 : dec > 8 ? 8 : dec);
        } else {
            crm__rpt_fmt_num(out, size, v);
        }
        break;
    }
}

/* A step of 1, 2, 2.5 or 5 times a power of ten giving about `want` intervals over [lo, hi];
 * lo and hi are widened to multiples of it. */
static double nice_range(double *lo, double *hi, int want)
{
    double span;
    double raw;
    double mag;
    double f;
    double step;
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
    }
    if (!(*hi > *lo)) {
        double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= pad;
        *hi += pad;
    }
    span = *hi - *lo;
    raw = span / (double)want;
    mag = pow(10.0, floor(log10(raw)));
    f = raw / mag;
    step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    return step;
}

/* ---- pie ---- */

void crm__rpt_svg_pie(rpt_buf *b,
                      const char *title,
                      int32_t n,
                      const char *const *labels,
                      const double *values)
{
    double total = 0;
    double w;
    double h;
    double cx = 170;
    double cy = 190;
    double rad = 130;
    double a0 = -PI / 2;
    double legend_w = 0;
    double row_h = n > 14 ? 16 : 22;
    for (int32_t i = 0; i < n; i++) {
        total += values[i] > 0 ? values[i] : 0;
        legend_w = fmax(legend_w, text_px(labels[i], FONT_PX) + 70);
    }
    w = 340 + fmax(legend_w, 120) + 20;
    h = fmax(340, 60 + row_h * n + 20);
    open_svg(b, w, h, title);
    if (!(total > 0)) {
        crm__sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#dddddd\"/>", cx, cy,
                         rad);
        close_svg(b);
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        double frac = values[i] > 0 ? values[i] / total : 0;
        double a1 = a0 + frac * 2 * PI;
        if (frac >= 0.999999) {
            crm__sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>", cx, cy,
                             rad, crm__rpt_colour(i));
        } else if (frac > 0) {
            crm__sbuf_printf(b,
                             "<path d=\"M%.2f,%.2f L%.2f,%.2f A%.1f,%.1f 0 %d 1 %.2f,%.2f Z\" "
                             "fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>",
                             cx, cy, cx + rad * cos(a0), cy + rad * sin(a0), rad, rad,
                             frac > 0.5 ? 1 : 0, cx + rad * cos(a1), cy + rad * sin(a1),
                             crm__rpt_colour(i));
        }
        if (frac >= 0.05) {
            char pct[32];
            double am = (a0 + a1) / 2;
            crm__rpt_fmt_pct(pct, sizeof pct, frac, 0);
            crm__sbuf_printf(
                b,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "dominant-baseline=\"middle\" font-weight=\"bold\" fill=\"#000000\" "
                "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">%s</text>",
                cx + rad * 0.66 * cos(am), cy + rad * 0.66 * sin(am), pct);
        }
        a0 = a1;
    }
    for (int32_t i = 0; i < n; i++) {
        char pct[32];
        double y = 60 + row_h * i;
        crm__rpt_fmt_pct(pct, sizeof pct, values[i] > 0 ? values[i] / total : 0, 1);
        crm__sbuf_printf(b,
                         "<rect x=\"330\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                         "<text x=\"348\" y=\"%.1f\">",
                         y, crm__rpt_colour(i), y + 10);
        esc_label(b, labels[i]);
        crm__sbuf_printf(b, " (%s)</text>", pct);
    }
    close_svg(b);
}

/* ---- horizontal bars ---- */

void crm__rpt_svg_hbars(rpt_buf *b,
                        const char *title,
                        int32_t n,
                        const char *const *labels,
                        const double *values,
                        rpt_fmt fmt,
                        int diverging,
                        int32_t colour,
                        const char *xlabel)
{
    double lab_w = 40;
    double lo = 0;
    double hi = 0;
    double row = 22;
    double top = 40;
    double plot_w = 380;
    double step;
    double x0;
    double w;
    double h;
    for (int32_t i = 0; i < n; i++) {
        lab_w = fmax(lab_w, text_px(labels[i], FONT_PX) + 14);
        if (isfinite(values[i])) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    }
    if (diverging) {
        double m = fmax(fabs(lo), fabs(hi));
        lo = -m;
        hi = m;
    }
    step = nice_range(&lo, &hi, 5);
    x0 = lab_w;
    w = x0 + plot_w + 90;
    h = top + row * (n > 0 ? n : 1) + 50;
    open_svg(b, w, h, title);
#define XPOS(v) (x0 + ((v)-lo) / (hi - lo) * plot_w)
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        char txt[48];
        double x = XPOS(t);
        fmt_value(txt, sizeof txt, t, fmt, step);
        crm__sbuf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
            "fill=\"#444444\">%s</text>",
            x, top - 4, x, top + row * n, x, top + row * n + 16, txt);
    }
    for (int32_t i = 0; i < n; i++) {
        char txt[48];
        double v = isfinite(values[i]) ? values[i] : 0;
        double y = top + row * i;
        double xa = XPOS(fmin(0, v));
        double xb = XPOS(fmax(0, v));
        const char *fill = colour >= 0 ? crm__rpt_colour(colour) : crm__rpt_colour(i);
        if (diverging) {
            fill = v < 0 ? crm__rpt_colour(5) : crm__rpt_colour(0);
        }
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6,
                         y + row / 2 + 4);
        esc_label(b, labels[i]);
        crm__sbuf_printf(b,
                         "</text><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                         "fill=\"%s\"/>",
                         xa, y + 3, fmax(xb - xa, 0.5), row - 6, fill);
        fmt_value(txt, sizeof txt, values[i], fmt, 0);
        if (fmt == RPT_NUM && isfinite(values[i])) {
            crm__rpt_fmt_num(txt, sizeof txt, values[i]);
        }
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>",
                         x0 + plot_w + 8, y + row / 2 + 4, txt);
    }
    if (lo < 0 && hi > 0) {
        crm__sbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" "
                         "stroke-width=\"1.2\"/>",
                         XPOS(0), top - 4, XPOS(0), top + row * n + 2);
    }
#undef XPOS
    if (xlabel != NULL) {
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\">",
                         x0 + plot_w / 2, top + row * n + 36);
        crm__rpt_esc(b, xlabel);
        crm__sbuf_puts(b, "</text>");
    }
    close_svg(b);
}

/* ---- legend ---- */

static void legend(rpt_buf *b, double x, double y, int32_t n, const char *const *names, int line)
{
    for (int32_t i = 0; i < n; i++) {
        double yy = y + 20 * i;
        if (names[i] == NULL) {
            continue;
        }
        if (line) {
            crm__sbuf_printf(b,
                             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                             "stroke-width=\"3\"/>",
                             x, yy + 6, x + 16, yy + 6, crm__rpt_colour(i));
        } else {
            crm__sbuf_printf(b,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>",
                             x, yy, crm__rpt_colour(i));
        }
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 20, yy + 10);
        esc_label(b, names[i]);
        crm__sbuf_puts(b, "</text>");
    }
}

static double legend_width(int32_t n, const char *const *names)
{
    double w = 0;
    for (int32_t i = 0; i < n; i++) {
        w = fmax(w, names[i] ? text_px(names[i], FONT_PX) : 0);
    }
    return w > 0 ? w + 34 : 0;
}

/* ---- grouped bars ---- */

void crm__rpt_svg_grouped(rpt_buf *b,
                          const char *title,
                          int32_t n_cat,
                          const char *const *cats,
                          int32_t n_ser,
                          const char *const *series,
                          const double *values,
                          rpt_fmt fmt,
                          const char *ylabel)
{
    double lo = 0;
    double hi = 0;
    double top = 40;
    double left = 64;
    double plot_h = 260;
    double bar_w = n_ser > 6 ? 7 : 10;
    double group_w = bar_w * n_ser + 14;
    double plot_w = fmax(360, group_w * n_cat);
    double cat_h = 20;
    double leg_w = legend_width(n_ser, series);
    double step;
    double w;
    double h;
    double y_base;
    for (int32_t i = 0; i < n_cat * n_ser; i++) {
        if (isfinite(values[i])) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    }
    for (int32_t c = 0; c < n_cat; c++) {
        cat_h = fmax(cat_h, text_px(cats[c], 11) * 0.72 + 16);
    }
    group_w = plot_w / (n_cat > 0 ? n_cat : 1);
    step = nice_range(&lo, &hi, 6);
    w = left + plot_w + 20 + leg_w;
    h = top + plot_h + cat_h + (ylabel ? 10 : 0);
    if (h < top + 20 * n_ser + 20) {
        h = top + 20 * n_ser + 20;
    }
    open_svg(b, w, h, title);
#define YPOS(v) (top + (hi - (v)) / (hi - lo) * plot_h)
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        char txt[48];
        fmt_value(txt, sizeof txt, t, fmt, step);
        crm__sbuf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
            "fill=\"#444444\">%s</text>",
            left, YPOS(t), left + plot_w, YPOS(t), left - 6, YPOS(t) + 4, txt);
    }
    y_base = YPOS(0);
    for (int32_t c = 0; c < n_cat; c++) {
        double gx = left + group_w * c + (group_w - bar_w * n_ser) / 2;
        double lx = left + group_w * (c + 0.5);
        for (int32_t s = 0; s < n_ser; s++) {
            double v = values[(int64_t)s * n_cat + c];
            double ya;
            double yb;
            v = isfinite(v) ? v : 0;
            ya = YPOS(fmax(v, 0));
            yb = YPOS(fmin(v, 0));
            crm__sbuf_printf(b,
                             "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                             "fill=\"%s\"/>",
                             gx + bar_w * s, ya, bar_w - 1, fmax(yb - ya, 0.5), crm__rpt_colour(s));
        }
        crm__sbuf_printf(b,
                         "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
                         "transform=\"rotate(-40 %.1f %.1f)\">",
                         lx, top + plot_h + 14, lx, top + plot_h + 14);
        esc_label(b, cats[c]);
        crm__sbuf_puts(b, "</text>");
    }
    crm__sbuf_printf(b,
                     "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#000000\" "
                     "stroke-width=\"1.2\"/>",
                     left, y_base, left + plot_w, y_base);
#undef YPOS
    if (ylabel != NULL) {
        crm__sbuf_printf(b,
                         "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\" "
                         "transform=\"rotate(-90 14 %.1f)\">",
                         top + plot_h / 2, top + plot_h / 2);
        crm__rpt_esc(b, ylabel);
        crm__sbuf_puts(b, "</text>");
    }
    legend(b, left + plot_w + 20, top, n_ser, series, 0);
    close_svg(b);
}

/* ---- xy frame shared by lines and scatter ---- */

typedef struct frame {
    double left, top, pw, ph;
    double xlo, xhi, ylo, yhi;
    double xstep, ystep;
} frame;

static double fx(const frame *f, double x)
{
    return f->left + (x - f->xlo) / (f->xhi - f->xlo) * f->pw;
}

static double fy(const frame *f, double y)
{
    return f->top + (f->yhi - y) / (f->yhi - f->ylo) * f->ph;
}

static void draw_frame(rpt_buf *b,
                       const frame *f,
                       rpt_fmt xfmt,
                       rpt_fmt yfmt,
                       const char *xlabel,
                       const char *ylabel)
{
    for (double t = f->xlo; t <= f->xhi + f->xstep * 1e-6; t += f->xstep) {
        char txt[48];
        fmt_value(txt, sizeof txt, t, xfmt, f->xstep);
        crm__sbuf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
            "fill=\"#444444\">%s</text>",
            fx(f, t), f->top, fx(f, t), f->top + f->ph, fx(f, t), f->top + f->ph + 16, txt);
    }
    for (double t = f->ylo; t <= f->yhi + f->ystep * 1e-6; t += f->ystep) {
        char txt[48];
        fmt_value(txt, sizeof txt, t, yfmt, f->ystep);
        crm__sbuf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
            "fill=\"#444444\">%s</text>",
            f->left, fy(f, t), f->left + f->pw, fy(f, t), f->left - 6, fy(f, t) + 4, txt);
    }
    crm__sbuf_printf(b,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                     "stroke=\"#888888\"/>",
                     f->left, f->top, f->pw, f->ph);
    if (xlabel != NULL) {
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\">",
                         f->left + f->pw / 2, f->top + f->ph + 36);
        crm__rpt_esc(b, xlabel);
        crm__sbuf_puts(b, "</text>");
    }
    if (ylabel != NULL) {
        crm__sbuf_printf(b,
                         "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\" "
                         "transform=\"rotate(-90 16 %.1f)\">",
                         f->top + f->ph / 2, f->top + f->ph / 2);
        crm__rpt_esc(b, ylabel);
        crm__sbuf_puts(b, "</text>");
    }
}

/* ---- lines ---- */

void crm__rpt_svg_lines(rpt_buf *b, const rpt_xy *c)
{
    frame f = { 72, 40, 440, 280, INFINITY, -INFINITY, INFINITY, -INFINITY, 0, 0 };
    const char *names[16] = { 0 };
    int32_t n_names = c->n_lines < 16 ? c->n_lines : 16;
    double leg_w;
    for (int32_t i = 0; i < n_names; i++) {
        names[i] = c->lines[i].name;
    }
    leg_w = legend_width(n_names, names);
    for (int32_t l = 0; l < c->n_lines; l++) {
        for (int64_t i = 0; i < c->lines[l].n; i++) {
            if (isfinite(c->lines[l].x[i]) && isfinite(c->lines[l].y[i])) {
                f.xlo = fmin(f.xlo, c->lines[l].x[i]);
                f.xhi = fmax(f.xhi, c->lines[l].x[i]);
                f.ylo = fmin(f.ylo, c->lines[l].y[i]);
                f.yhi = fmax(f.yhi, c->lines[l].y[i]);
            }
        }
    }
    if (c->square) {
        f.xlo = f.ylo = 0;
        f.xhi = f.yhi = 1;
        f.pw = f.ph = 320;
    }
    if (c->xfmt == RPT_INT && f.xhi > f.xlo && f.xhi - f.xlo <= 12) {
        f.xstep = 1.0; /* every whole x (a k curve) gets its tick */
    } else {
        f.xstep = nice_range(&f.xlo, &f.xhi, 6);
    }
    f.ystep = nice_range(&f.ylo, &f.yhi, 5);
    open_svg(b, f.left + f.pw + 24 + leg_w, f.top + f.ph + 50, c->title);
    draw_frame(b, &f, c->xfmt, c->yfmt, c->xlabel, c->ylabel);
    if (isfinite(c->mark_x)) {
        crm__sbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#D55E00\" "
                         "stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
                         fx(&f, c->mark_x), f.top, fx(&f, c->mark_x), f.top + f.ph);
        if (c->mark_label != NULL) {
            crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#D55E00\">",
                             fx(&f, c->mark_x) + 4, f.top + 14);
            crm__rpt_esc(b, c->mark_label);
            crm__sbuf_puts(b, "</text>");
        }
    }
    for (int32_t l = 0; l < c->n_lines; l++) {
        const rpt_line *ln = &c->lines[l];
        const char *col = ln->colour >= 0 ? crm__rpt_colour(ln->colour) : "#666666";
        int started = 0;
        crm__sbuf_puts(b, "<polyline fill=\"none\" points=\"");
        for (int64_t i = 0; i < ln->n; i++) {
            if (isfinite(ln->x[i]) && isfinite(ln->y[i])) {
                crm__sbuf_printf(b, "%s%.2f,%.2f", started ? " " : "", fx(&f, ln->x[i]),
                                 fy(&f, ln->y[i]));
                started = 1;
            }
        }
        crm__sbuf_printf(b, "\" stroke=\"%s\" stroke-width=\"%s\"%s/>", col,
                         ln->dashed ? "1.2" : "2.2", ln->dashed ? " stroke-dasharray=\"5 4\"" : "");
        if (ln->markers) {
            for (int64_t i = 0; i < ln->n; i++) {
                if (isfinite(ln->x[i]) && isfinite(ln->y[i])) {
                    crm__sbuf_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.2\" fill=\"%s\"/>",
                                     fx(&f, ln->x[i]), fy(&f, ln->y[i]), col);
                }
            }
        }
    }
    /* Legend with each line's own colour (legend() colours by index). */
    for (int32_t l = 0, row = 0; l < c->n_lines; l++) {
        const rpt_line *ln = &c->lines[l];
        double x = f.left + f.pw + 24;
        double y = f.top + 20 * row;
        if (ln->name == NULL) {
            continue;
        }
        crm__sbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                         "stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\">",
                         x, y + 6, x + 16, y + 6,
                         ln->colour >= 0 ? crm__rpt_colour(ln->colour) : "#666666",
                         ln->dashed ? " stroke-dasharray=\"5 4\"" : "", x + 20, y + 10);
        esc_label(b, ln->name);
        crm__sbuf_puts(b, "</text>");
        row++;
    }
    close_svg(b);
}

/* ---- scatter ---- */

void crm__rpt_svg_scatter(rpt_buf *b, const rpt_scatter *c)
{
    frame f = { 72, 40, 440, 340, INFINITY, -INFINITY, INFINITY, -INFINITY, 0, 0 };
    double leg_w = legend_width(c->n_groups, c->group_names);
    for (int64_t i = 0; i < c->n; i++) {
        if (isfinite(c->x[i]) && isfinite(c->y[i])) {
            f.xlo = fmin(f.xlo, c->x[i]);
            f.xhi = fmax(f.xhi, c->x[i]);
            f.ylo = fmin(f.ylo, c->y[i]);
            f.yhi = fmax(f.yhi, c->y[i]);
        }
    }
    f.xstep = nice_range(&f.xlo, &f.xhi, 6);
    f.ystep = nice_range(&f.ylo, &f.yhi, 6);
    open_svg(b, f.left + f.pw + 24 + leg_w, fmax(f.top + f.ph + 50, 60 + 20 * c->n_groups),
             c->title);
    draw_frame(b, &f, RPT_NUM, RPT_NUM, c->xlabel, c->ylabel);
    for (int32_t g = 0; g < c->n_groups; g++) {
        crm__sbuf_printf(b, "<g fill=\"%s\" fill-opacity=\"0.75\">", crm__rpt_colour(g));
        for (int64_t i = 0; i < c->n; i++) {
            if (c->group[i] == g && isfinite(c->x[i]) && isfinite(c->y[i])) {
                crm__sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\"/>", fx(&f, c->x[i]),
                                 fy(&f, c->y[i]));
            }
        }
        crm__sbuf_puts(b, "</g>");
    }
    legend(b, f.left + f.pw + 24, f.top, c->n_groups, c->group_names, 0);
    close_svg(b);
}

/* ---- confusion heat table ---- */

void crm__rpt_svg_heat(rpt_buf *b,
                       const char *title,
                       int32_t n,
                       const char *const *labels,
                       const int64_t *counts,
                       const char *row_title,
                       const char *col_title)
{
    double lab_w = 40;
    double cell_w = 92;
    double cell_h = 44;
    double left;
    double top = 76;
    for (int32_t i = 0; i < n; i++) {
        lab_w = fmax(lab_w, text_px(labels[i], FONT_PX) + 14);
        cell_w = fmax(cell_w, text_px(labels[i], FONT_PX) + 12);
    }
    left = lab_w + 30;
    open_svg(b, left + cell_w * n + 20, top + cell_h * n + 20, title);
    crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"44\" text-anchor=\"middle\" fill=\"#444444\">",
                     left + cell_w * n / 2);
    crm__rpt_esc(b, col_title);
    crm__sbuf_printf(b,
                     "</text><text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\" "
                     "transform=\"rotate(-90 14 %.1f)\">",
                     top + cell_h * n / 2, top + cell_h * n / 2);
    crm__rpt_esc(b, row_title);
    crm__sbuf_puts(b, "</text>");
    for (int32_t j = 0; j < n; j++) {
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                         left + cell_w * (j + 0.5), top - 8);
        esc_label(b, labels[j]);
        crm__sbuf_puts(b, "</text>");
    }
    for (int32_t i = 0; i < n; i++) {
        int64_t row_sum = 0;
        for (int32_t j = 0; j < n; j++) {
            row_sum += counts[(int64_t)i * n + j];
        }
        crm__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 8,
                         top + cell_h * (i + 0.5) + 4);
        esc_label(b, labels[i]);
        crm__sbuf_puts(b, "</text>");
        for (int32_t j = 0; j < n; j++) {
            int64_t v = counts[(int64_t)i * n + j];
            double share = row_sum > 0 ? (double)v / (double)row_sum : 0;
            /* white to #0072B2 (0, 114, 178) by the share of the row */
            int rr = (int)lround(255 - share * 255);
            int gg = (int)lround(255 - share * (255 - 114));
            int bb = (int)lround(255 - share * (255 - 178));
            const char *ink = share > 0.5 ? "#ffffff" : "#000000";
            char cnt[32];
            char pct[32];
            double x = left + cell_w * j;
            double y = top + cell_h * i;
            crm__rpt_fmt_int(cnt, sizeof cnt, v);
            crm__rpt_fmt_pct(pct, sizeof pct, share, 1);
            crm__sbuf_printf(b,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                             "fill=\"#%02x%02x%02x\" stroke=\"#888888\"/>"
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\" "
                             "font-weight=\"bold\">%s</text>"
                             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\" "
                             "font-size=\"11\">%s</text>",
                             x, y, cell_w, cell_h, rr, gg, bb, x + cell_w / 2, y + 19, ink, cnt,
                             x + cell_w / 2, y + 34, ink, pct);
        }
    }
    close_svg(b);
}

/* ---- tree ---- */

void crm__rpt_svg_tree(rpt_buf *b,
                       const char *title,
                       int32_t n,
                       const int32_t *parent,
                       const char *const *labels,
                       const char *const *sublabels)
{
    double *xs = crm_calloc((size_t)(n > 0 ? n : 1), sizeof *xs);
    int32_t *depth = crm_calloc((size_t)(n > 0 ? n : 1), sizeof *depth);
    int32_t *n_kids = crm_calloc((size_t)(n > 0 ? n : 1), sizeof *n_kids);
    double box_w = 120;
    double box_h = 38;
    double gap_x = 40; /* between levels (left to right) */
    double gap_y = 10; /* between siblings (top to bottom) */
    int32_t max_depth = 0;
    double next_leaf = 0;
    if (xs == NULL || depth == NULL || n_kids == NULL) {
        b->failed = 1;
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        box_w = fmax(box_w, text_px(labels[i], FONT_PX) + 16);
        if (sublabels && sublabels[i]) {
            box_w = fmax(box_w, text_px(sublabels[i], 11) + 16);
        }
        if (i > 0 && parent[i] >= 0 && parent[i] < i) {
            depth[i] = depth[parent[i]] + 1;
            n_kids[parent[i]]++;
        }
        max_depth = depth[i] > max_depth ? depth[i] : max_depth;
    }
    /* Leaves left to right in index order within a parent (a depth-first order when the
     * children of a node are listed in order); a parent centred over its children. Nodes are
     * placed from the last to the first, so children are placed before their parent. */
    {
        int32_t *order = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *order);
        int32_t *stack = crm_mallocarray((size_t)(n > 0 ? n : 1), sizeof *stack);
        int32_t n_order = 0;
        int32_t sp = 0;
        if (order == NULL || stack == NULL) {
            crm_free(order);
            crm_free(stack);
            b->failed = 1;
            goto done;
        }
        if (n > 0) {
            stack[sp++] = 0;
        }
        while (sp > 0) {
            int32_t v = stack[--sp];
            order[n_order++] = v;
            for (int32_t c = n - 1; c > v; c--) { /* children pushed last-first */
                if (parent[c] == v) {
                    stack[sp++] = c;
                }
            }
        }
        for (int32_t i = 0; i < n_order; i++) {
            if (n_kids[order[i]] == 0) {
                xs[order[i]] = next_leaf++;
            }
        }
        for (int32_t i = n_order - 1; i >= 0; i--) {
            int32_t v = order[i];
            if (n_kids[v] > 0) {
                double lo = INFINITY;
                double hi = -INFINITY;
                for (int32_t c = v + 1; c < n; c++) {
                    if (parent[c] == v) {
                        lo = fmin(lo, xs[c]);
                        hi = fmax(hi, xs[c]);
                    }
                }
                xs[v] = (lo + hi) / 2;
            }
        }
        crm_free(order);
        crm_free(stack);
    }
    {
        double w = 10 + (max_depth + 1) * (box_w + gap_x) - gap_x + 10;
        double h = 40 + fmax(next_leaf, 1) * (box_h + gap_y) - gap_y + 10;
        open_svg(b, fmax(w, 240), h, title);
        /* left to right: the root at the left, each level a column, leaves one per row */
#define NX(i) (10 + depth[i] * (box_w + gap_x))
#define NY(i) (40 + xs[i] * (box_h + gap_y))
        for (int32_t i = 1; i < n; i++) {
            if (parent[i] >= 0 && parent[i] < i) {
                double x0 = NX(parent[i]) + box_w;
                double y0 = NY(parent[i]) + box_h / 2;
                double x1 = NX(i);
                double y1 = NY(i) + box_h / 2;
                crm__sbuf_printf(b,
                                 "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
                                 "fill=\"none\" stroke=\"#888888\" stroke-width=\"1.5\"/>",
                                 x0, y0, x0 + gap_x / 2, y0, x1 - gap_x / 2, y1, x1, y1);
            }
        }
        for (int32_t i = 0; i < n; i++) {
            int has_sub = sublabels && sublabels[i];
            crm__sbuf_printf(
                b,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"5\" "
                "fill=\"%s\" fill-opacity=\"0.18\" stroke=\"%s\" stroke-width=\"1.5\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "font-weight=\"bold\">",
                NX(i), NY(i), box_w, box_h, crm__rpt_colour(depth[i]), crm__rpt_colour(depth[i]),
                NX(i) + box_w / 2, NY(i) + (has_sub ? 16 : 23));
            esc_label(b, labels[i]);
            crm__sbuf_puts(b, "</text>");
            if (has_sub) {
                crm__sbuf_printf(b,
                                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                                 "font-size=\"11\" fill=\"#444444\">",
                                 NX(i) + box_w / 2, NY(i) + 31);
                esc_label(b, sublabels[i]);
                crm__sbuf_puts(b, "</text>");
            }
        }
#undef NX
#undef NY
        close_svg(b);
    }
done:
    CRM__FREE(xs, depth, n_kids);
}

/* ---- dendrogram ---- */

typedef struct dendro {
    int64_t n;       /* leaves of the whole tree */
    const double *z; /* merges */
    int64_t first;   /* first merge drawn; ids below n + first are drawn as leaves */
    double *x;       /* [n_show * 2]: x slot of each drawn node, by drawn index */
    int64_t n_slots;
} dendro;

/* x slot of cluster id: the view's leaves get slots 0, 1, ... in depth-first order (first
 * child first) and are listed in leaf_ids; a merge sits midway between its children. The
 * recursion is at most max_show deep. */
static double dendro_place(dendro *d, int64_t id, int64_t *leaf_ids, int64_t *n_leaf)
{
    int64_t j = id - d->n;
    double xa;
    double xb;
    if (id < d->n + d->first) {
        leaf_ids[*n_leaf] = id;
        (*n_leaf)++;
        return (double)d->n_slots++;
    }
    xa = dendro_place(d, (int64_t)d->z[j * 4], leaf_ids, n_leaf);
    xb = dendro_place(d, (int64_t)d->z[j * 4 + 1], leaf_ids, n_leaf);
    d->x[j - d->first] = (xa + xb) / 2;
    return (xa + xb) / 2;
}

void crm__rpt_svg_dendrogram(rpt_buf *b,
                             const char *title,
                             int64_t n_leaves,
                             const double *z,
                             double cut,
                             int32_t max_show)
{
    int64_t n_merge_show;
    int64_t *leaf_ids;
    int64_t n_leaf = 0;
    dendro d;
    frame f = { 72, 40, 560, 300, 0, 1, 0, 1, 1, 1 };
    if (n_leaves < 2) {
        open_svg(b, 300, 80, title);
        close_svg(b);
        return;
    }
    n_merge_show = (max_show < n_leaves ? max_show : n_leaves) - 1;
    if (n_merge_show < 1) {
        n_merge_show = 1;
    }
    d.n = n_leaves;
    d.z = z;
    d.first = (n_leaves - 1) - n_merge_show;
    d.n_slots = 0;
    d.x = crm_calloc((size_t)n_merge_show, sizeof *d.x);
    leaf_ids = crm_calloc((size_t)n_merge_show + 1, sizeof *leaf_ids);
    if (d.x == NULL || leaf_ids == NULL) {
        b->failed = 1;
        goto done;
    }
    (void)dendro_place(&d, 2 * n_leaves - 2, leaf_ids, &n_leaf);
    f.xlo = -0.5;
    f.xhi = (double)n_leaf - 0.5;
    f.ylo = 0;
    f.yhi = z[(n_leaves - 2) * 4 + 2];
    if (isfinite(cut) && cut > f.yhi) {
        f.yhi = cut;
    }
    f.ystep = nice_range(&f.ylo, &f.yhi, 5);
    f.pw = fmax(300, fmin(760, 22.0 * (double)n_leaf));
    open_svg(b, f.left + f.pw + 20, f.top + f.ph + 70, title);
    for (double t = f.ylo; t <= f.yhi + f.ystep * 1e-6; t += f.ystep) {
        char txt[48];
        fmt_value(txt, sizeof txt, t, RPT_NUM, f.ystep);
        crm__sbuf_printf(
            b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
            "fill=\"#444444\">%s</text>",
            f.left, fy(&f, t), f.left + f.pw, fy(&f, t), f.left - 6, fy(&f, t) + 4, txt);
    }
    crm__sbuf_printf(b,
                     "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\" "
                     "transform=\"rotate(-90 16 %.1f)\">merge height</text>",
                     f.top + f.ph / 2, f.top + f.ph / 2);
    /* One U per drawn merge: each child's vertical from its own height up to the merge. */
    for (int64_t m = 0; m < n_merge_show; m++) {
        int64_t j = d.first + m;
        double h = z[j * 4 + 2];
        double xs[2];
        double hs[2];
        const char *col = isfinite(cut) && h <= cut ? crm__rpt_colour(0) : "#777777";
        for (int c = 0; c < 2; c++) {
            int64_t id = (int64_t)z[j * 4 + c];
            if (id >= n_leaves + d.first) {
                xs[c] = d.x[id - n_leaves - d.first];
                hs[c] = z[(id - n_leaves) * 4 + 2];
            } else {
                xs[c] = 0;
                for (int64_t l = 0; l < n_leaf; l++) {
                    if (leaf_ids[l] == id) {
                        xs[c] = (double)l;
                    }
                }
                hs[c] = 0;
            }
        }
        crm__sbuf_printf(b,
                         "<path d=\"M%.2f,%.2f V%.2f H%.2f V%.2f\" fill=\"none\" stroke=\"%s\" "
                         "stroke-width=\"1.6\"/>",
                         fx(&f, xs[0]), fy(&f, hs[0]), fy(&f, h), fx(&f, xs[1]), fy(&f, hs[1]),
                         col);
    }
    for (int64_t l = 0; l < n_leaf; l++) {
        int64_t id = leaf_ids[l];
        double size = id < n_leaves ? 1 : z[(id - n_leaves) * 4 + 3];
        char txt[48];
        crm__rpt_fmt_int(txt, sizeof txt, (int64_t)size);
        crm__sbuf_printf(b,
                         "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                         "transform=\"rotate(-60 %.1f %.1f)\">(%s)</text>",
                         fx(&f, (double)l), f.top + f.ph + 12, fx(&f, (double)l), f.top + f.ph + 12,
                         txt);
    }
    if (isfinite(cut)) {
        crm__sbuf_printf(b,
                         "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#D55E00\" "
                         "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>"
                         "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\" fill=\"#D55E00\">cut"
                         "</text>",
                         f.left, fy(&f, cut), f.left + f.pw, fy(&f, cut), f.left + f.pw - 4,
                         fy(&f, cut) - 4);
    }
done:
    crm_free(d.x);
    crm_free(leaf_ids);
    close_svg(b);
}
