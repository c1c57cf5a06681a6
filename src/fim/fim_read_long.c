/* fim_read_long.c: baskets from CSV: the long format (one customer,item pair a row) and VAS
 * transaction logs (msg_type, mobile_no, txn_amount, pr_code, record_time, txn_type,
 * target_mobile, topup_type, status, ...). Rows are filtered on a status column, the item is
 * one column or several joined with ':', and rows are grouped by customer in any order:
 * (customer, item) pairs are collected, then counting-sorted into one transaction per
 * customer, in order of each customer's first row. The records (RFC 4180 quoting, quoted
 * line breaks, CRLF) and their errors are io's reader's (crm__reader_record). */
#include <string.h>

#include "fim_internal.h"

typedef struct customers {
    crm__fim_hash hash;
    char *keys;
    int64_t keys_len, keys_cap;
    int64_t *off;
    int64_t n, cap;
} customers;

typedef struct pairs {
    int32_t *cust;
    int32_t *item;
    int64_t n, cap;
} pairs;

/* ---- column selection ---------------------------------------------------------------------- */

typedef struct columns {
    int32_t cust;
    int32_t item[64];
    int32_t n_item;
    int32_t status;
    int32_t n_header;
} columns;

static int32_t find_col(const crm__csv_record *h, const char *name, size_t len)
{
    for (int32_t j = 0; j < h->n; j++) {
        if (h->len[j] == len && memcmp(h->field[j], name, len) == 0) {
            return j;
        }
    }
    return -1;
}

static crm_status need_col(const crm__csv_record *cs,
                           const char *src,
                           const char *name,
                           size_t len,
                           int32_t *out,
                           crm_error *err)
{
    *out = find_col(cs, name, len);
    if (*out < 0) {
        crm_status rc = crm__error_at(err, CRM_ENOTFOUND, src, cs->line, 0,
                                      "no column \"%.*s\" in the header", (int)len, name);
        char fld[64];
        size_t k = len < sizeof fld - 1 ? len : sizeof fld - 1;
        memcpy(fld, name, k);
        fld[k] = '\0';
        crm__error_field(err, fld);
        return rc;
    }
    return CRM_OK;
}

static crm_status pick_columns(const crm__csv_record *cs,
                               const crm_fim_read_options *o,
                               const char *src,
                               columns *c,
                               crm_error *err)
{
    int vas = o->format == CRM_FIM_FORMAT_VAS;
    const char *cust = o->customer_col ? o->customer_col : (vas ? "mobile_no" : NULL);
    const char *item = o->item_col ? o->item_col : (vas ? "pr_code" : NULL);
    const char *status = o->status_col ? o->status_col : (o->status_ok ? "status" : NULL);
    crm_status rc = CRM_OK;
    c->n_header = cs->n;
    c->status = -1;
    c->n_item = 0;
    if (cust == NULL) {
        c->cust = 0;
    } else {
        rc = need_col(cs, src, cust, strlen(cust), &c->cust, err);
    }
    if (rc == CRM_OK && item == NULL) {
        if (cs->n < 2) {
            return crm__error_at(err, CRM_EDATA, src, cs->line, 0,
                                 "long format needs two columns (customer, item)");
        }
        c->item[c->n_item++] = 1;
    } else {
        const char *p = item;
        while (rc == CRM_OK && p != NULL && *p != '\0') {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len > 0) {
                if (c->n_item == 64) {
                    return crm__error_set(err, CRM_EINVAL, "more than 64 item columns");
                }
                rc = need_col(cs, src, p, len, &c->item[c->n_item++], err);
            }
            p = e ? e + 1 : NULL;
        }
        if (rc == CRM_OK && c->n_item == 0) {
            return crm__error_set(err, CRM_EINVAL, "no item column given");
        }
    }
    if (rc == CRM_OK && status != NULL) {
        rc = need_col(cs, src, status, strlen(status), &c->status, err);
    }
    return rc;
}

static int status_ok(const char *list, const char *f, size_t n)
{
    const char *p = list;
    if (list == NULL) {
        return 1;
    }
    while (p != NULL) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, f, len) == 0) {
            return 1;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* ---- customers and pairs -------------------------------------------------------------------- */

static crm_status customer_id(customers *cu, const char *key, size_t len, int32_t *id)
{
    uint64_t hv = crm__hash_bytes(key, len);
    size_t i = (size_t)hv & cu->hash.mask;
    while (cu->hash.slot[i] >= 0) {
        const char *k = cu->keys + cu->off[cu->hash.slot[i]];
        if (strnlen(k, len + 1) == len && memcmp(k, key, len) == 0) {
            *id = cu->hash.slot[i];
            return CRM_OK;
        }
        i = (i + 1) & cu->hash.mask;
    }
    if (cu->n == INT32_MAX) {
        return CRM_ELIMIT;
    }
    if ((cu->hash.n + 1) * 2 > cu->hash.mask + 1) {
        crm__fim_hash nh;
        if (crm__fim_hash_init(&nh, (size_t)cu->n * 2 + 16) != CRM_OK) {
            return CRM_ENOMEM;
        }
        for (int64_t c = 0; c < cu->n; c++) {
            const char *k = cu->keys + cu->off[c];
            size_t j = (size_t)crm__hash_bytes(k, strlen(k)) & nh.mask;
            while (nh.slot[j] >= 0) {
                j = (j + 1) & nh.mask;
            }
            nh.slot[j] = (int32_t)c;
            nh.n++;
        }
        crm__fim_hash_fini(&cu->hash);
        cu->hash = nh;
        i = (size_t)hv & cu->hash.mask;
        while (cu->hash.slot[i] >= 0) {
            i = (i + 1) & cu->hash.mask;
        }
    }
    if (cu->n == cu->cap &&
        !crm__grow_items(&cu->off, &cu->cap, cu->n + 1, sizeof *cu->off, 1024)) {
        return CRM_ENOMEM;
    }
    {
        size_t kc = (size_t)cu->keys_cap;
        if (!crm__grow_bytes(&cu->keys, &kc, (size_t)cu->keys_len + len + 1)) {
            return CRM_ENOMEM;
        }
        cu->keys_cap = (int64_t)kc;
    }
    memcpy(cu->keys + cu->keys_len, key, len);
    cu->keys[cu->keys_len + (int64_t)len] = '\0';
    cu->off[cu->n] = cu->keys_len;
    cu->keys_len += (int64_t)len + 1;
    cu->hash.slot[i] = (int32_t)cu->n;
    cu->hash.n++;
    *id = (int32_t)cu->n++;
    return CRM_OK;
}

static crm_status pairs_push(pairs *pr, int32_t c, int32_t it)
{
    if (pr->n == pr->cap) {
        int64_t cap = pr->cap ? pr->cap * 2 : 4096;
        int32_t *a = crm_realloc(pr->cust, (size_t)cap * sizeof *a);
        int32_t *b;
        if (a == NULL) {
            return CRM_ENOMEM;
        }
        pr->cust = a;
        b = crm_realloc(pr->item, (size_t)cap * sizeof *b);
        if (b == NULL) {
            return CRM_ENOMEM;
        }
        pr->item = b;
        pr->cap = cap;
    }
    pr->cust[pr->n] = c;
    pr->item[pr->n] = it;
    pr->n++;
    return CRM_OK;
}

/* One transaction per customer, in order of first appearance (counting sort). */
static crm_status
group_pairs(crm__fim_rstate *st, const customers *cu, const pairs *pr, crm_error *err)
{
    int64_t *start = crm_calloc((size_t)cu->n + 1, sizeof *start);
    int32_t *sorted = crm_mallocarray((size_t)pr->n + 1, sizeof *sorted);
    crm_status rc = CRM_OK;
    if (start == NULL || sorted == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    for (int64_t k = 0; k < pr->n; k++) {
        start[pr->cust[k] + 1]++;
    }
    for (int64_t c = 0; c < cu->n; c++) {
        start[c + 1] += start[c];
    }
    for (int64_t k = 0; k < pr->n; k++) {
        sorted[start[pr->cust[k]]++] = pr->item[k];
    }
    for (int64_t c = cu->n; c > 0; c--) {
        start[c] = start[c - 1];
    }
    start[0] = 0;
    for (int64_t c = 0; c < cu->n && rc == CRM_OK; c++) {
        const char *key = cu->keys + cu->off[c];
        rc = crm__fim_db_push_ids(st->db, sorted + start[c], (int32_t)(start[c + 1] - start[c]),
                                  key, strlen(key), err);
    }
done:
    crm_free(start);
    crm_free(sorted);
    return rc;
}

/* ---- the row loop ---------------------------------------------------------------------------- */

static crm_status item_of_row(crm__fim_rstate *st,
                              const crm__csv_record *cs,
                              const columns *c,
                              char **buf,
                              size_t *cap,
                              int32_t *id,
                              crm_error *err)
{
    size_t len = 0;
    int any = 0;
    for (int32_t k = 0; k < c->n_item; k++) {
        const char *f = cs->field[c->item[k]];
        size_t n = cs->len[c->item[k]];
        if (!crm__grow_bytes(buf, cap, len + n + 2)) {
            return crm__error_nomem(err);
        }
        if (k > 0) {
            (*buf)[len++] = ':';
        }
        memcpy(*buf + len, f, n);
        len += n;
        any |= n > 0;
    }
    if (!any) {
        *id = -1;
        return CRM_OK;
    }
    return crm__fim_db_intern_name(st->db, *buf, len, id, err);
}

static crm_status row_loop(crm__reader *lr,
                           crm__fim_rstate *st,
                           const columns *c,
                           customers *cu,
                           pairs *pr,
                           const crm_progress *progress,
                           crm_error *err)
{
    char *item_buf = NULL;
    size_t item_cap = 0;
    crm_status rc = CRM_OK;
    crm__csv_record rec;
    int lrc;
    while (rc == CRM_OK &&
           (lrc = crm__reader_record(lr, st->opt->sep, c->n_header, &rec)) == CRM__READ_OK) {
        int32_t item, cust;
        if (c->status >= 0 &&
            !status_ok(st->opt->status_ok, rec.field[c->status], rec.len[c->status])) {
            continue;
        }
        if (rec.len[c->cust] == 0) {
            continue;
        }
        rc = item_of_row(st, &rec, c, &item_buf, &item_cap, &item, err);
        if (rc != CRM_OK || item < 0) {
            continue;
        }
        rc = customer_id(cu, rec.field[c->cust], rec.len[c->cust], &cust);
        if (rc == CRM_OK) {
            rc = pairs_push(pr, cust, item);
        }
        if (rc != CRM_OK) {
            rc = rc == CRM_ELIMIT ? crm__error_set(err, rc, "more than 2^31 customers")
                                  : crm__error_nomem(err);
        } else if ((crm__reader_line_no(lr) & 0xffff) == 0 &&
                   !crm_progress_report(progress, "reading", crm__reader_fraction(lr))) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    crm_free(item_buf);
    if (rc == CRM_OK && lrc != CRM__READ_EOF) {
        rc = crm__reader_error(lr, err);
    }
    return rc;
}

crm_status crm__fim_read_long(crm__reader *lr,
                              crm__fim_rstate *st,
                              const crm_progress *progress,
                              crm_error *err)
{
    customers cu;
    pairs pr;
    columns c;
    crm__csv_record head;
    crm_status rc = CRM_OK;
    int lrc;
    memset(&cu, 0, sizeof cu);
    memset(&pr, 0, sizeof pr);
    st->db->kind = FIM_KIND_NAMED;
    st->db->has_names = 1;
    if (crm__fim_hash_init(&cu.hash, 1024) != CRM_OK) {
        return crm__error_nomem(err);
    }
    lrc = crm__reader_record(lr, st->opt->sep, 0, &head);
    if (lrc == CRM__READ_EOF) {
        rc = crm__error_at(err, CRM_EDATA, st->src, 0, 0, "empty file: no header row");
    } else if (lrc != CRM__READ_OK) {
        rc = crm__reader_error(lr, err);
    } else {
        /* the header's fields live until the next record: the columns are picked first */
        rc = pick_columns(&head, st->opt, st->src, &c, err);
    }
    if (rc == CRM_OK) {
        rc = row_loop(lr, st, &c, &cu, &pr, progress, err);
    }
    if (rc == CRM_OK && st->opt->max_transactions > 0 && cu.n > st->opt->max_transactions) {
        rc = crm__error_set(err, CRM_ELIMIT, "%s: more than %lld customers (transactions)", st->src,
                            (long long)st->opt->max_transactions);
    }
    if (rc == CRM_OK) {
        rc = group_pairs(st, &cu, &pr, err);
    }
    crm__fim_hash_fini(&cu.hash);
    CRM__FREE(cu.keys, cu.off, pr.cust, pr.item);
    return rc;
}
