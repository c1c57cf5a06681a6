/* rules_io.c: the rules file (a model file of kind "rules") and the CSV export.
 *
 * Sections: "meta" (layout version, sizes, parameters), "items" (the dictionary) and one
 * "set.<i>" per rule set (name, counts, rules, distinctive itemsets). The model container
 * already checks lengths and CRCs; the loader here checks every value again (ids in range,
 * increasing item lists, disjoint sides, counts consistent with each other and with the
 * transaction count, sizes against the bytes left) because a file with a valid CRC can still
 * be forged, and a bad rule must never reach the recommender. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/model.h>
#include <crmkit/outfile.h>
#include <crmkit/rules.h>

#include "core/core_internal.h"
#include "rules_internal.h"

#define RULES_LAYOUT 1u
/* Bytes a rule and a pattern record take in a set section (without items). */
#define RULE_BYTES    (3 * 8 + 2 * 4)
#define PATTERN_BYTES (2 * 8 + 4)

/* ---- saving ---- */

static void put_set(crm_model_out *o, const crm_rules *r, int32_t s)
{
    const crm__rules_set *set = &r->sets[s];
    char tag[CRM_MODEL_TAG_BYTES];
    snprintf(tag, sizeof tag, "set.%d", (int)s);
    crm_model_out_begin(o, tag);
    crm_model_out_name(o, "segment name", set->name);
    crm_model_out_i64(o, set->n_transactions);
    crm_model_out_i64(o, set->min_count);
    for (int32_t i = 0; o->rc == CRM_OK && i < r->n_items; i++) {
        crm_model_out_i64(o, set->item_counts[i]);
    }
    crm_model_out_i64(o, set->n_rules);
    for (int64_t i = 0; o->rc == CRM_OK && i < set->n_rules; i++) {
        const crm__rule_rec *q = &set->rules[i];
        crm_model_out_i64(o, q->count);
        crm_model_out_i64(o, q->lhs_count);
        crm_model_out_i64(o, q->rhs_count);
        crm_model_out_i32(o, q->n_lhs);
        crm_model_out_i32(o, q->n_rhs);
    }
    crm_model_out_i32s(o, set->pool, (size_t)set->pool_len);
    crm_model_out_i64(o, set->n_patterns);
    for (int64_t i = 0; o->rc == CRM_OK && i < set->n_patterns; i++) {
        const crm__pattern_rec *q = &set->patterns[i];
        crm_model_out_i64(o, q->count);
        crm_model_out_i64(o, q->pop_count);
        crm_model_out_i32(o, q->n_items);
    }
    crm_model_out_i32s(o, set->ppool, (size_t)set->ppool_len);
}

static void put_header(crm_model_out *o, const crm_rules *r)
{
    crm_model_out_begin(o, "meta");
    crm_model_out_u32(o, RULES_LAYOUT);
    crm_model_out_i32(o, r->n_items);
    crm_model_out_i32(o, r->n_sets);
    crm_model_out_f64(o, r->params.min_conf);
    crm_model_out_i32(o, (int32_t)r->params.sort);
    crm_model_out_i64(o, r->params.top);
    crm_model_out_f64(o, r->params.distinct_factor);
    crm_model_out_i32(o, r->params.distinct_top);
    crm_model_out_begin(o, "items");
    for (int32_t i = 0; o->rc == CRM_OK && i < r->n_items; i++) {
        crm_model_out_name(o, "item name", r->names[i]);
    }
}

static crm_status encode(const crm_rules *r, crm_model_writer **out, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc;
    *out = NULL;
    if (r == NULL || r->n_sets < 1) {
        return crm__error_set(err, CRM_EINVAL, "no rule set to save");
    }
    rc = crm_model_writer_new("rules", &w, err);
    if (rc == CRM_OK) {
        crm_model_out o = { w, err, CRM_OK };
        put_header(&o, r);
        for (int32_t s = 0; s < r->n_sets; s++) {
            put_set(&o, r, s);
        }
        rc = o.rc;
    }
    if (rc != CRM_OK) {
        crm_model_writer_free(w);
        return rc;
    }
    *out = w;
    return CRM_OK;
}

crm_status crm_rules_save(const crm_rules *r, const char *path, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc = encode(r, &w, err);
    if (rc == CRM_OK) {
        rc = crm_model_writer_save(w, path, err);
    }
    crm_model_writer_free(w);
    return rc;
}

/* ---- loading ---- */

typedef struct loader {
    const crm_model_reader *mr;
    const char *source;
    crm_error *err;
} loader;

static crm_status bad(const loader *ld, const char *section, const char *what)
{
    return crm__error_at(ld->err, CRM_EFORMAT, ld->source, 0, 0,
                         "damaged rules file: section \"%s\": %s", section, what);
}

static crm_status get_meta(const loader *ld, crm_rules **out, int32_t *n_sets)
{
    crm_section sec;
    uint32_t layout = 0;
    int32_t n_items = -1;
    int32_t sort = -1;
    crm_rules_params p = crm_rules_params_default();
    crm_status rc = crm_model_section(ld->mr, "meta", &sec, ld->err);
    if (rc != CRM_OK) {
        return CRM_EFORMAT;
    }
    (void)crm_section_get_u32(&sec, &layout);
    (void)crm_section_get_i32(&sec, &n_items);
    (void)crm_section_get_i32(&sec, n_sets);
    (void)crm_section_get_f64(&sec, &p.min_conf);
    (void)crm_section_get_i32(&sec, &sort);
    (void)crm_section_get_i64(&sec, &p.top);
    (void)crm_section_get_f64(&sec, &p.distinct_factor);
    (void)crm_section_get_i32(&sec, &p.distinct_top);
    rc = crm_section_finish(&sec, ld->mr, ld->err);
    if (rc != CRM_OK) {
        return CRM_EFORMAT;
    }
    p.sort = (crm_rules_sort)sort;
    if (layout != RULES_LAYOUT) {
        return bad(ld, "meta", "unknown layout version");
    }
    if (n_items < 0 || n_items > CRM_RULES_MAX_ITEMS || *n_sets < 1 ||
        *n_sets > CRM_RULES_MAX_SETS || *n_sets != crm_model_reader_n_sections(ld->mr) - 2) {
        return bad(ld, "meta", "item or set count out of range");
    }
    if (crm_rules_params_check(&p, NULL) != CRM_OK) {
        return bad(ld, "meta", "parameters out of range");
    }
    rc = crm__rules_alloc(n_items, out, ld->err);
    if (rc == CRM_OK) {
        (*out)->params = p;
    }
    return rc;
}

static crm_status get_items(const loader *ld, crm_rules *r)
{
    crm_section sec;
    crm_status rc = crm_model_section(ld->mr, "items", &sec, ld->err);
    if (rc != CRM_OK) {
        return CRM_EFORMAT;
    }
    if ((size_t)r->n_items > sec.len / 4) {
        return bad(ld, "items", "more items than bytes");
    }
    for (int32_t i = 0; i < r->n_items; i++) {
        rc = crm_section_get_str(&sec, CRM_RULES_MAX_NAME, &r->names[i]);
        if (rc == CRM_ENOMEM) {
            return crm__error_nomem(ld->err);
        }
        if (rc != CRM_OK) {
            break;
        }
    }
    if (crm_section_finish(&sec, ld->mr, ld->err) != CRM_OK) {
        return CRM_EFORMAT;
    }
    if (crm__rules_index_names(r, NULL) != CRM_OK) {
        return bad(ld, "items", "an item name appears twice");
    }
    return CRM_OK;
}

/* Items seq[n] are increasing ids of the dictionary. */
static int ids_ok(const int32_t *seq, int32_t n, int32_t n_items)
{
    for (int32_t k = 0; k < n; k++) {
        if (seq[k] < 0 || seq[k] >= n_items || (k > 0 && seq[k] <= seq[k - 1])) {
            return 0;
        }
    }
    return 1;
}

static int disjoint(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    int32_t i = 0;
    int32_t j = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            return 0;
        }
        if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return 1;
}

static const char *check_rules(const crm__rules_set *set, int32_t n_items)
{
    int64_t at = 0;
    for (int64_t i = 0; i < set->n_rules; i++) {
        crm__rule_rec *q = &set->rules[i];
        int64_t n = set->n_transactions;
        /* each side bounded before the sum: two counts near INT32_MAX must not overflow */
        if (q->n_lhs < 1 || q->n_rhs < 1 || q->n_lhs > CRM_RULES_MAX_LEN ||
            q->n_rhs > CRM_RULES_MAX_LEN - q->n_lhs) {
            return "a rule side is empty or too long";
        }
        q->off = at;
        at += q->n_lhs + q->n_rhs;
        if (at > set->pool_len) {
            return "rule items run past their array";
        }
        if (!ids_ok(set->pool + q->off, q->n_lhs, n_items) ||
            !ids_ok(set->pool + q->off + q->n_lhs, q->n_rhs, n_items) ||
            !disjoint(set->pool + q->off, q->n_lhs, set->pool + q->off + q->n_lhs, q->n_rhs)) {
            return "a rule has bad item ids";
        }
        if (q->count < 0 || q->lhs_count < 1 || q->rhs_count < 1 || q->count > q->lhs_count ||
            q->count > q->rhs_count || q->lhs_count > n || q->rhs_count > n) {
            return "a rule has inconsistent counts";
        }
    }
    return at == set->pool_len ? NULL : "rule items do not fill their array";
}

static const char *check_patterns(const crm__rules_set *set, int32_t n_items, int64_t pop_n)
{
    int64_t at = 0;
    for (int64_t i = 0; i < set->n_patterns; i++) {
        crm__pattern_rec *q = &set->patterns[i];
        if (q->n_items < 1 || q->n_items > CRM_RULES_MAX_LEN) {
            return "a pattern is empty or too long";
        }
        q->off = at;
        at += q->n_items;
        if (at > set->ppool_len) {
            return "pattern items run past their array";
        }
        if (!ids_ok(set->ppool + q->off, q->n_items, n_items)) {
            return "a pattern has bad item ids";
        }
        if (q->count < 0 || q->count > set->n_transactions || q->pop_count < 0 ||
            q->pop_count > pop_n) {
            return "a pattern has counts out of range";
        }
    }
    return at == set->ppool_len ? NULL : "pattern items do not fill their array";
}

/* Read a count-prefixed run of records, refusing counts the bytes left cannot hold. */
static int64_t get_count(crm_section *sec, size_t rec_bytes)
{
    int64_t n = -1;
    (void)crm_section_get_i64(sec, &n);
    if (!crm_section_fits(sec, n, rec_bytes)) {
        sec->failed = 1;
        return -1;
    }
    return n;
}

static int64_t sum_sides(const crm__rules_set *set)
{
    int64_t total = 0;
    for (int64_t i = 0; i < set->n_rules; i++) {
        total += (int64_t)set->rules[i].n_lhs + set->rules[i].n_rhs;
    }
    return total;
}

static crm_status get_rules(crm_section *sec, crm__rules_set *set, crm_error *err)
{
    set->n_rules = get_count(sec, RULE_BYTES);
    if (set->n_rules < 0) {
        return CRM_EFORMAT;
    }
    set->rules = crm_calloc((size_t)set->n_rules + 1, sizeof *set->rules);
    if (set->rules == NULL) {
        return crm__error_nomem(err);
    }
    for (int64_t i = 0; i < set->n_rules; i++) {
        crm__rule_rec *q = &set->rules[i];
        (void)crm_section_get_i64(sec, &q->count);
        (void)crm_section_get_i64(sec, &q->lhs_count);
        (void)crm_section_get_i64(sec, &q->rhs_count);
        (void)crm_section_get_i32(sec, &q->n_lhs);
        (void)crm_section_get_i32(sec, &q->n_rhs);
        /* each side bounded before the sum: two counts near INT32_MAX must not overflow */
        if (q->n_lhs < 1 || q->n_rhs < 1 || q->n_lhs > CRM_RULES_MAX_LEN ||
            q->n_rhs > CRM_RULES_MAX_LEN - q->n_lhs) {
            sec->failed = 1;
        }
    }
    if (sec->failed) {
        return CRM_EFORMAT;
    }
    set->pool_len = sum_sides(set);
    if ((uint64_t)set->pool_len > (sec->len - sec->pos) / 4) {
        return CRM_EFORMAT;
    }
    set->pool = crm_calloc((size_t)set->pool_len + 1, sizeof *set->pool);
    if (set->pool == NULL) {
        return crm__error_nomem(err);
    }
    return crm_section_get_i32s(sec, set->pool, (size_t)set->pool_len);
}

static crm_status get_patterns(crm_section *sec, crm__rules_set *set, crm_error *err)
{
    set->n_patterns = get_count(sec, PATTERN_BYTES);
    if (set->n_patterns < 0) {
        return CRM_EFORMAT;
    }
    set->patterns = crm_calloc((size_t)set->n_patterns + 1, sizeof *set->patterns);
    if (set->patterns == NULL) {
        return crm__error_nomem(err);
    }
    set->ppool_len = 0;
    for (int64_t i = 0; i < set->n_patterns; i++) {
        crm__pattern_rec *q = &set->patterns[i];
        (void)crm_section_get_i64(sec, &q->count);
        (void)crm_section_get_i64(sec, &q->pop_count);
        (void)crm_section_get_i32(sec, &q->n_items);
        if (q->n_items < 1 || q->n_items > CRM_RULES_MAX_LEN) {
            sec->failed = 1;
            return CRM_EFORMAT;
        }
        set->ppool_len += q->n_items;
    }
    if (sec->failed || (uint64_t)set->ppool_len > (sec->len - sec->pos) / 4) {
        return CRM_EFORMAT;
    }
    set->ppool = crm_calloc((size_t)set->ppool_len + 1, sizeof *set->ppool);
    if (set->ppool == NULL) {
        return crm__error_nomem(err);
    }
    return crm_section_get_i32s(sec, set->ppool, (size_t)set->ppool_len);
}

static crm_status
get_set_body(const loader *ld, crm_section *sec, crm_rules *r, crm__rules_set *set)
{
    crm_status rc;
    (void)crm_section_get_i64(sec, &set->n_transactions);
    (void)crm_section_get_i64(sec, &set->min_count);
    if (sec->failed || set->n_transactions < 0 || (size_t)r->n_items > (sec->len - sec->pos) / 8) {
        return CRM_EFORMAT;
    }
    for (int32_t i = 0; i < r->n_items; i++) {
        (void)crm_section_get_i64(sec, &set->item_counts[i]);
        if (set->item_counts[i] < 0 || set->item_counts[i] > set->n_transactions) {
            sec->failed = 1;
        }
    }
    if (sec->failed) {
        return CRM_EFORMAT;
    }
    rc = get_rules(sec, set, ld->err);
    if (rc == CRM_OK) {
        rc = get_patterns(sec, set, ld->err);
    }
    return rc;
}

static crm_status get_set(const loader *ld, crm_rules *r, int32_t s)
{
    crm_section sec;
    char tag[CRM_MODEL_TAG_BYTES];
    char *name = NULL;
    crm__rules_set *set;
    const char *why;
    int32_t got = -1;
    crm_status rc;
    snprintf(tag, sizeof tag, "set.%d", (int)s);
    rc = crm_model_section(ld->mr, tag, &sec, ld->err);
    if (rc != CRM_OK) {
        return CRM_EFORMAT;
    }
    rc = crm_section_get_str(&sec, CRM_RULES_MAX_NAME, &name);
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(ld->err);
    }
    if (rc != CRM_OK) {
        return bad(ld, tag, "set name unreadable");
    }
    rc = crm__rules_push_set(r, name, &got, NULL);
    crm_free(name);
    if (rc == CRM_ENOMEM) {
        return crm__error_nomem(ld->err);
    }
    if (rc != CRM_OK) {
        return bad(ld, tag, "set name empty or repeated");
    }
    set = &r->sets[got];
    rc = get_set_body(ld, &sec, r, set);
    if (rc == CRM_ENOMEM) {
        return rc;
    }
    if (rc != CRM_OK || crm_section_finish(&sec, ld->mr, NULL) != CRM_OK) {
        return bad(ld, tag, "truncated or malformed");
    }
    why = check_rules(set, r->n_items);
    if (why == NULL) {
        why = check_patterns(set, r->n_items, r->sets[0].n_transactions);
    }
    return why == NULL ? CRM_OK : bad(ld, tag, why);
}

static crm_status decode(crm_model_reader *mr, const char *source, crm_rules **out, crm_error *err)
{
    loader ld = { mr, source, err };
    crm_rules *r = NULL;
    int32_t n_sets = 0;
    crm_status rc;
    if (strcmp(crm_model_reader_kind(mr), "rules") != 0) {
        return crm__error_at(err, CRM_EFORMAT, source, 0, 0,
                             "not a rules file (the model file holds \"%s\")",
                             crm_model_reader_kind(mr));
    }
    rc = get_meta(&ld, &r, &n_sets);
    if (rc == CRM_OK) {
        rc = get_items(&ld, r);
    }
    for (int32_t s = 0; rc == CRM_OK && s < n_sets; s++) {
        rc = get_set(&ld, r, s);
    }
    if (rc != CRM_OK) {
        crm_rules_free(r);
        return rc;
    }
    *out = r;
    return CRM_OK;
}

crm_status crm_rules_load(const char *path, crm_rules **out, crm_error *err)
{
    crm_model_reader *mr = NULL;
    crm_status rc;
    *out = NULL;
    rc = crm_model_reader_open(path, &mr, err);
    if (rc == CRM_OK) {
        rc = decode(mr, path, out, err);
    }
    crm_model_reader_free(mr);
    return rc;
}

crm_status crm_rules_load_mem(const void *data,
                              size_t len,
                              const char *source,
                              crm_rules **out,
                              crm_error *err)
{
    crm_model_reader *mr = NULL;
    crm_status rc;
    *out = NULL;
    rc = crm_model_reader_open_mem(data, len, source, &mr, err);
    if (rc == CRM_OK) {
        rc = decode(mr, source ? source : "(memory)", out, err);
    }
    crm_model_reader_free(mr);
    return rc;
}

/* ---- CSV ---- */

static void put_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', fp);
        }
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* Items joined by ';' as one CSV field, quoted (RFC 4180) when a name needs it. */
static void put_items(FILE *fp, const crm_rules *r, const int32_t *ids, int32_t n)
{
    int quote = 0;
    for (int32_t i = 0; i < n; i++) {
        quote |= strpbrk(r->names[ids[i]], ",\"\r\n") != NULL;
    }
    if (quote) {
        fputc('"', fp);
    }
    for (int32_t i = 0; i < n; i++) {
        if (i > 0) {
            fputc(';', fp);
        }
        for (const char *c = r->names[ids[i]]; *c; c++) {
            if (*c == '"') {
                fputc('"', fp);
            }
            fputc(*c, fp);
        }
    }
    if (quote) {
        fputc('"', fp);
    }
}

static void put_num(FILE *fp, double v)
{
    if (isinf(v)) {
        fputs(v > 0 ? "inf" : "-inf", fp);
    } else {
        fprintf(fp, "%.10g", v);
    }
}

static void write_set(FILE *fp, const crm_rules *r, int32_t s, int with_name)
{
    for (int64_t i = 0; i < r->sets[s].n_rules; i++) {
        crm_rule q;
        (void)crm_rules_rule(r, s, i, &q, NULL);
        if (with_name) {
            put_field(fp, r->sets[s].name);
            fputc(',', fp);
        }
        put_items(fp, r, q.lhs, q.n_lhs);
        fputc(',', fp);
        put_items(fp, r, q.rhs, q.n_rhs);
        fputc(',', fp);
        put_num(fp, q.support);
        fputc(',', fp);
        put_num(fp, q.confidence);
        fputc(',', fp);
        put_num(fp, q.lift);
        fputc(',', fp);
        put_num(fp, q.leverage);
        fputc(',', fp);
        put_num(fp, q.conviction);
        fprintf(fp, ",%lld,%lld,%lld\n", (long long)q.count, (long long)q.lhs_count,
                (long long)q.rhs_count);
    }
}

crm_status crm_rules_write_csv(const crm_rules *r, int32_t s, const char *path, crm_error *err)
{
    crm_outfile *f = NULL;
    FILE *fp;
    crm_status rc;
    if (r == NULL || s >= r->n_sets) {
        return crm__error_set(err, CRM_EINVAL, "no such rule set");
    }
    rc = crm_outfile_open(path, &f, err);
    if (rc != CRM_OK) {
        return rc;
    }
    fp = crm_outfile_stream(f);
    fprintf(fp,
            "%santecedent,consequent,support,confidence,lift,leverage,conviction,count,"
            "antecedent_count,consequent_count\n",
            s < 0 ? "segment," : "");
    if (s >= 0) {
        write_set(fp, r, s, 0);
    } else {
        for (int32_t k = 0; k < r->n_sets; k++) {
            write_set(fp, r, k, 1);
        }
    }
    return crm_outfile_commit(f, err);
}
