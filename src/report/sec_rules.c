/* sec_rules.c: the report's section for a rules file: how often each item is taken (overall
 * and per segment) and the top rules of every set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "report_internal.h"

typedef struct item_count {
    int64_t count;
    int32_t id;
    const char *name;
} item_count;

static int cmp_items(const void *a, const void *b)
{
    const item_count *x = a;
    const item_count *y = b;
    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static void items_text(rpt_buf *b, const crm_rules *rules, const int32_t *ids, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        crm__sbuf_puts(b, i ? ", " : "");
        crm__rpt_esc(b, crm_rules_item_name(rules, ids[i]));
    }
}

static void rules_table(crm_report *r, const crm_rules *rules, int32_t s)
{
    rpt_buf *b = &r->body;
    int64_t n = crm_rules_n_rules(rules, s);
    int64_t m = n < r->p.top_rules ? n : r->p.top_rules;
    char tr[32];
    char all[32];
    crm__rpt_fmt_int(tr, sizeof tr, crm_rules_set_n_transactions(rules, s));
    crm__rpt_fmt_int(all, sizeof all, n);
    crm__sbuf_puts(b, s == 0 ? "<h3>Rules over all customers (" : "<h3>Rules of segment ");
    crm__rpt_esc(b, crm_rules_set_name(rules, s));
    crm__sbuf_puts(b, s == 0 ? ")" : "");
    crm__sbuf_printf(b, "</h3>\n<p>%s baskets, %s rules", tr, all);
    if (m < n) {
        crm__sbuf_printf(b, " (the first %d shown)", (int)m);
    }
    crm__sbuf_puts(b, ".</p>\n");
    if (m == 0) {
        return;
    }
    crm__sbuf_puts(b, "<table><tr><th>customers who have</th><th>also take</th><th>support</th>"
                      "<th>confidence</th><th>lift</th><th>baskets</th></tr>\n");
    for (int64_t i = 0; i < m; i++) {
        crm_rule rule;
        char sup[32];
        char conf[32];
        char lift[32];
        char cnt[32];
        if (crm_rules_rule(rules, s, i, &rule, NULL) != CRM_OK) {
            break;
        }
        crm__rpt_fmt_pct(sup, sizeof sup, rule.support, 2);
        crm__rpt_fmt_pct(conf, sizeof conf, rule.confidence, 1);
        crm__rpt_fmt_fixed(lift, sizeof lift, rule.lift, 2);
        crm__rpt_fmt_int(cnt, sizeof cnt, rule.count);
        crm__sbuf_puts(b, "<tr><td>");
        items_text(b, rules, rule.lhs, rule.n_lhs);
        crm__sbuf_puts(b, "</td><td>");
        items_text(b, rules, rule.rhs, rule.n_rhs);
        crm__sbuf_printf(
            b,
            "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td class=\"n\">%s</td></tr>\n",
            sup, conf, lift, cnt);
    }
    crm__sbuf_puts(b, "</table>\n");
}

crm_status
crm__rpt_section_rules(crm_report *r, const crm_rules *rules, const char *name, crm_error *err)
{
    int32_t n_items = crm_rules_n_items(rules);
    int32_t n_sets = crm_rules_n_sets(rules);
    int64_t n_tr = n_sets > 0 ? crm_rules_set_n_transactions(rules, 0) : 0;
    item_count *it = crm_mallocarray((size_t)(n_items > 0 ? n_items : 1), sizeof *it);
    const char **names = crm_mallocarray((size_t)(n_items > 0 ? n_items : 1), sizeof *names);
    const char **set_names = crm_mallocarray((size_t)(n_sets > 0 ? n_sets : 1), sizeof *set_names);
    double *v = crm_mallocarray(
        (size_t)(n_items > 0 ? n_items : 1) * (size_t)(n_sets > 0 ? n_sets : 1), sizeof *v);
    int32_t m;
    char tr[32];
    crm_status rc = CRM_OK;
    if (it == NULL || names == NULL || set_names == NULL || v == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    crm__rpt_section_begin(r, "Basket rules", name);
    crm__rpt_fmt_int(tr, sizeof tr, n_tr);
    crm__sbuf_printf(&r->body,
                     "<p>%d services, %s baskets, rules for the whole population and %d "
                     "segment%s.</p>\n",
                     (int)n_items, tr, (int)(n_sets > 0 ? n_sets - 1 : 0), n_sets == 2 ? "" : "s");
    for (int32_t i = 0; i < n_items; i++) {
        it[i].count = n_sets > 0 ? crm_rules_set_item_count(rules, 0, i) : 0;
        it[i].id = i;
        it[i].name = crm_rules_item_name(rules, i);
    }
    qsort(it, (size_t)n_items, sizeof *it, cmp_items);
    m = n_items < r->p.top_bars ? n_items : r->p.top_bars;
    for (int32_t i = 0; i < m; i++) {
        names[i] = crm_rules_item_name(rules, it[i].id);
        v[i] = n_tr > 0 ? (double)it[i].count / (double)n_tr : 0;
    }
    if (m > 0) {
        rpt_buf *b = crm__rpt_chart_begin(r, "items");
        if (b != NULL) {
            crm__rpt_svg_hbars(b, "How often each service is taken", m, names, v, RPT_PCT, 0, 2,
                               "share of the baskets holding it");
            crm__rpt_chart_place(r, "The most frequent services over all baskets.");
        }
    }
    if (n_sets > 1 && m > 0) {
        int32_t mm = m < 8 ? m : 8;
        for (int32_t s = 0; s < n_sets; s++) {
            int64_t ns = crm_rules_set_n_transactions(rules, s);
            set_names[s] = crm_rules_set_name(rules, s);
            for (int32_t i = 0; i < mm; i++) {
                v[(int64_t)s * mm + i] =
                    ns > 0 ? (double)crm_rules_set_item_count(rules, s, it[i].id) / (double)ns : 0;
            }
        }
        {
            rpt_buf *b = crm__rpt_chart_begin(r, "items-by-set");
            if (b != NULL) {
                crm__rpt_svg_grouped(b, "Service take-up by segment", mm, names, n_sets, set_names,
                                     v, RPT_PCT, "share of the baskets");
                crm__rpt_chart_place(r, "The most frequent services, their share in each "
                                        "segment's baskets.");
            }
        }
    }
    for (int32_t s = 0; s < n_sets; s++) {
        rules_table(r, rules, s);
    }
    crm__rpt_section_end(r);
done:
    CRM__FREE(it, names, set_names, v);
    return rc;
}
