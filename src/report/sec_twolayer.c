/* sec_twolayer.c: the report's section for a two-layer model (crmkit/twolayer.h): the tree of
 * groups (layer 1) and their segments (layer 2), the group sizes and profiles, then each
 * clustered group's segmentation as in a segmentation section. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/twolayer.h>

#include "core/core_internal.h"
#include "report_internal.h"

/* Nodes of the tree: the root, each group, each segment of a clustered group. */
static crm_status tree(crm_report *r, const crm_twolayer *tl, crm_error *err)
{
    int32_t n_groups = crm_twolayer_n_groups(tl);
    int32_t n = 1;
    int32_t *parent;
    char **text;
    const char **labels;
    const char **subs;
    int64_t total = 0;
    crm_status rc = CRM_OK;
    rpt_buf *b;
    for (int32_t g = 0; g < n_groups; g++) {
        n += 1 + (crm_twolayer_group_segmenter(tl, g) ? crm_twolayer_group_k(tl, g) : 0);
        total += crm_twolayer_group_size(tl, g);
    }
    parent = crm_calloc((size_t)n, sizeof *parent);
    text = crm_calloc((size_t)n, sizeof *text);
    labels = crm_calloc((size_t)n, sizeof *labels);
    subs = crm_calloc((size_t)n, sizeof *subs);
    if (parent == NULL || text == NULL || labels == NULL || subs == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    {
        char cnt[32];
        int32_t i = 1;
        crm__rpt_fmt_int(cnt, sizeof cnt, total);
        parent[0] = -1;
        labels[0] = "All customers";
        text[0] = crm_malloc(48);
        if (text[0] != NULL) {
            snprintf(text[0], 48, "%s", cnt);
        }
        subs[0] = text[0];
        for (int32_t g = 0; g < n_groups; g++) {
            const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
            int64_t gsize = crm_twolayer_group_size(tl, g);
            int32_t gi = i++;
            char pct[32];
            crm__rpt_fmt_int(cnt, sizeof cnt, gsize);
            crm__rpt_fmt_pct(pct, sizeof pct, total > 0 ? (double)gsize / (double)total : 0, 1);
            parent[gi] = 0;
            labels[gi] = crm_twolayer_group_name(tl, g);
            text[gi] = crm_malloc(80);
            if (text[gi] != NULL) {
                snprintf(text[gi], 80, "%s (%s)", cnt, pct);
            }
            subs[gi] = text[gi];
            for (int32_t s = 0; seg != NULL && s < crm_twolayer_group_k(tl, g); s++) {
                const crm_profile *pr = crm_segmenter_profile(seg);
                int32_t si = i++;
                crm__rpt_fmt_int(cnt, sizeof cnt, crm_profile_size(pr, s));
                crm__rpt_fmt_pct(pct, sizeof pct, crm_profile_share(pr, s), 1);
                parent[si] = gi;
                labels[si] = crm_twolayer_segment_name(tl, g, s);
                text[si] = crm_malloc(80);
                if (text[si] != NULL) {
                    snprintf(text[si], 80, "%s (%s)", cnt, pct);
                }
                subs[si] = text[si];
            }
        }
    }
    b = crm__rpt_chart_begin(r, "tree");
    if (b != NULL) {
        crm__rpt_svg_tree(b, "Layer 1 groups and their layer 2 segments", n, parent, labels, subs);
        crm__rpt_chart_place(r, "Expert rules put each customer into a group (layer 1); each "
                                "clustered group is segmented on its own features (layer 2). "
                                "Sizes are training customers.");
    }
    for (int32_t i = 0; i < n; i++) {
        if (text[i] == NULL) {
            r->body.failed = 1;
        }
        crm_free(text[i]);
    }
done:
    CRM__FREE(parent, text, labels, subs);
    return rc;
}

/* Group sizes (pie) and the groups' profile against the population (grouped bars). */
static crm_status groups(crm_report *r, const crm_twolayer *tl, crm_error *err)
{
    const crm_profile *pr = crm_twolayer_profile(tl);
    int32_t k = pr ? crm_profile_k(pr) : 0;
    int32_t nf = pr ? crm_profile_n_features(pr) : 0;
    const char **names = crm_mallocarray((size_t)(k > 0 ? k : 1), sizeof *names);
    const char **feats = crm_mallocarray((size_t)(nf > 0 ? nf : 1), sizeof *feats);
    int32_t *fi = crm_mallocarray((size_t)(nf > 0 ? nf : 1), sizeof *fi);
    double *v = crm_mallocarray((size_t)(k > 0 ? k : 1) * (size_t)(nf > 0 ? nf : 1), sizeof *v);
    int32_t n_num = 0;
    crm_status rc = CRM_OK;
    rpt_buf *b;
    if (names == NULL || feats == NULL || fi == NULL || v == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int32_t g = 0; g < k; g++) {
        names[g] = crm_profile_name(pr, g);
        v[g] = (double)crm_profile_size(pr, g);
    }
    if (k > 0 && (b = crm__rpt_chart_begin(r, "groups")) != NULL) {
        crm__rpt_svg_pie(b, "Layer 1 group sizes", k, names, v);
        crm__rpt_chart_place(r, "Share of the customers in each group of the rules.");
    }
    for (int32_t f = 0; f < nf; f++) {
        if (!crm_profile_is_categorical(pr, f)) {
            feats[n_num] = crm_profile_feature(pr, f);
            fi[n_num++] = f;
        }
    }
    for (int32_t g = 0; g < k; g++) {
        for (int32_t j = 0; j < n_num; j++) {
            v[(int64_t)g * n_num + j] = crm_profile_std_diff(pr, g, fi[j]);
        }
    }
    if (k > 0 && n_num > 0 && (b = crm__rpt_chart_begin(r, "group-profiles")) != NULL) {
        crm__rpt_svg_grouped(b, "Layer 1 groups against the population", n_num, feats, k, names, v,
                             RPT_SD, "standardised difference (sd)");
        crm__rpt_chart_place(r, "Each group's mean of the rules' and layer 2's columns against "
                                "the population, in population standard deviations.");
    }
done:
    CRM__FREE(names, feats, fi, v);
    return rc;
}

crm_status crm__rpt_section_twolayer(crm_report *r,
                                     const crm_twolayer *tl,
                                     const crm_table *data,
                                     const char *name,
                                     crm_error *err)
{
    int32_t n_groups = crm_twolayer_n_groups(tl);
    int32_t n_seg = 0;
    char rows[32];
    crm_status rc;
    (void)data; /* the groups' customers would have to be picked out of it: not shown yet */
    for (int32_t g = 0; g < n_groups; g++) {
        n_seg += crm_twolayer_group_k(tl, g);
    }
    crm__rpt_section_begin(r, "Two-layer segmentation", name);
    crm__rpt_fmt_int(rows, sizeof rows, crm_twolayer_n_rows(tl));
    crm__sbuf_printf(&r->body, "<p>%d groups from the spec's rules, %d segments in all",
                     (int)n_groups, (int)n_seg);
    if (crm_twolayer_n_rows(tl) > 0) {
        crm__sbuf_printf(&r->body, ", fitted on %s customers", rows);
    }
    if (crm_twolayer_source(tl) != NULL && crm_twolayer_source(tl)[0] != '\0') {
        crm__sbuf_puts(&r->body, " (");
        crm__rpt_esc(&r->body, crm_twolayer_source(tl));
        crm__sbuf_puts(&r->body, ")");
    }
    crm__sbuf_puts(&r->body, ". In the tree a segment's share is of its group.</p>\n");
    rc = tree(r, tl, err);
    if (rc == CRM_OK) {
        rc = groups(r, tl, err);
    }
    for (int32_t g = 0; rc == CRM_OK && g < n_groups; g++) {
        const crm_segmenter *seg = crm_twolayer_group_segmenter(tl, g);
        char prefix[32];
        if (seg == NULL) {
            continue;
        }
        snprintf(prefix, sizeof prefix, "g%d-", (int)(g + 1));
        crm__sbuf_puts(&r->body, "<h3>Group ");
        crm__rpt_esc(&r->body, crm_twolayer_group_name(tl, g));
        crm__sbuf_puts(&r->body, " (layer 2: ");
        crm__rpt_esc(&r->body, crm_twolayer_group_algo(tl, g));
        crm__sbuf_puts(&r->body, ")</h3>\n");
        rc = crm__rpt_segmentation_body(r, seg, NULL, prefix, crm_twolayer_group_name(tl, g), err);
    }
    crm__rpt_section_end(r);
    return rc;
}
