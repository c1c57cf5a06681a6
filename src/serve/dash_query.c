/* dash_query.c: the dashboard's customer pages and CSV exports, answered from the store's
 * data table held column by column in memory.
 *
 * Why in memory: a page of one segment filtered on two columns and sorted on a third is, in
 * SQLite, one index range plus a row lookup per candidate: about 2 s of CPU for 150,000
 * candidates of a 1,000,000-customer store. Over arrays the same page is one pass that tests
 * the filters and keeps the best offset + limit rows in a heap: milliseconds. The copy costs
 * about 8 bytes per value (160 MB for 1,000,000 customers x 20 columns) and is built on the
 * first request (a few seconds for 1,000,000 customers); it is read-only after that. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>

#include "core/core_internal.h"
#include "dash_internal.h"

#if CRM_HAVE_SQLITE
#include <sqlite3.h>

typedef struct dash_col {
    double *num;   /* numeric: value per row, NaN = missing; NULL for text */
    int32_t *code; /* text: level per row, -1 = missing */
    char **levels; /* text: the distinct values */
    int32_t *rank; /* text: each level's rank in byte order, for sorting */
    int32_t n_levels;
} dash_col;

struct crm__dash_cache {
    int64_t n;
    char *id_pool; /* ids, NUL-terminated, one after another */
    int64_t *id_at;
    int32_t *id_rank; /* row's rank by id in byte order */
    int32_t *segment; /* -1 = none */
    double *risk;     /* NaN = none */
    int nc;
    int id_col; /* the store column that holds the id (not repeated in pages), or -1 */
    dash_col *col;
};

/* ---- building ---- */

/* Level codes of one text column through an open-addressing hash of the level strings. */
typedef struct level_map {
    int32_t *slot; /* code + 1, 0 = empty */
    uint64_t mask;
    dash_col *c;
    int32_t cap_levels;
} level_map;

static int level_grow(level_map *m)
{
    uint64_t cap = (m->mask + 1) * 2;
    int32_t *slot = crm_calloc(cap, sizeof *slot);
    if (slot == NULL) {
        return 0;
    }
    for (int32_t l = 0; l < m->c->n_levels; l++) {
        uint64_t h = crm__hash_bytes(m->c->levels[l], strlen(m->c->levels[l])) & (cap - 1);
        while (slot[h] != 0) {
            h = (h + 1) & (cap - 1);
        }
        slot[h] = l + 1;
    }
    crm_free(m->slot);
    m->slot = slot;
    m->mask = cap - 1;
    return 1;
}

static int32_t level_code(level_map *m, const char *text)
{
    uint64_t h = crm__hash_bytes(text, strlen(text)) & m->mask;
    while (m->slot[h] != 0) {
        if (strcmp(m->c->levels[m->slot[h] - 1], text) == 0) {
            return m->slot[h] - 1;
        }
        h = (h + 1) & m->mask;
    }
    if (m->c->n_levels == m->cap_levels) {
        int32_t cap = m->cap_levels * 2;
        char **lv = crm_realloc(m->c->levels, (size_t)cap * sizeof *lv);
        if (lv == NULL) {
            return -2;
        }
        m->c->levels = lv;
        m->cap_levels = cap;
    }
    m->c->levels[m->c->n_levels] = crm_strdup(text);
    if (m->c->levels[m->c->n_levels] == NULL) {
        return -2;
    }
    m->slot[h] = ++m->c->n_levels;
    if ((uint64_t)m->c->n_levels * 2 > m->mask && !level_grow(m)) {
        return -2;
    }
    return m->c->n_levels - 1;
}

static const char *const *sort_names;

static int cmp_name_index(const void *a, const void *b)
{
    return strcmp(sort_names[*(const int32_t *)a], sort_names[*(const int32_t *)b]);
}

/* rank[i] = position of names[i] in byte order (ties keep index order). The sort runs under
 * the store's lock (crm__dash_cache_build's caller), so the comparison's global is safe. */
static int rank_names(const char *const *names, int64_t n, int32_t *rank)
{
    int32_t *order = crm_mallocarray((size_t)n + 1, sizeof *order);
    if (order == NULL) {
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        order[i] = (int32_t)i;
    }
    sort_names = names;
    qsort(order, (size_t)n, sizeof *order, cmp_name_index);
    sort_names = NULL;
    for (int64_t i = 0; i < n; i++) {
        rank[order[i]] = (int32_t)i;
    }
    crm_free(order);
    return 1;
}

void crm__dash_cache_free(crm__dash_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (int j = 0; c->col && j < c->nc; j++) {
        for (int32_t l = 0; l < c->col[j].n_levels; l++) {
            crm_free(c->col[j].levels[l]);
        }
        crm_free(c->col[j].levels);
        crm_free(c->col[j].rank);
        crm_free(c->col[j].code);
        crm_free(c->col[j].num);
    }
    crm_free(c->col);
    crm_free(c->id_pool);
    crm_free(c->id_at);
    crm_free(c->id_rank);
    crm_free(c->segment);
    crm_free(c->risk);
    crm_free(c);
}

static crm_status oom(crm__dash_cache *c, level_map *maps, int nc, crm_error *err)
{
    for (int j = 0; maps && j < nc; j++) {
        crm_free(maps[j].slot);
    }
    crm_free(maps);
    crm__dash_cache_free(c);
    return crm__serve_fail(err, CRM_ENOMEM, NULL,
                           "out of memory for the dashboard's copy of "
                           "the customers");
}

crm_status crm__dash_cache_build(crm__store *st, sqlite3 *db, crm__dash_cache **out, crm_error *err)
{
    crm__dash_cache *c = crm_calloc(1, sizeof *c);
    level_map *maps = NULL;
    sqlite3_stmt *q = NULL;
    size_t pool_len = 0;
    size_t pool_cap = 1 << 16;
    int64_t cap = 1024;
    int64_t n = 0;
    crm__sbuf sql;
    *out = NULL;
    if (c == NULL) {
        return oom(c, maps, 0, err);
    }
    c->nc = crm__store_n_columns(st);
    c->id_col = crm__store_id_column(st);
    c->col = crm_calloc((size_t)c->nc + 1, sizeof *c->col);
    maps = crm_calloc((size_t)c->nc + 1, sizeof *maps);
    c->id_pool = crm_malloc(pool_cap);
    c->id_at = crm_mallocarray((size_t)cap, sizeof *c->id_at);
    c->segment = crm_mallocarray((size_t)cap, sizeof *c->segment);
    c->risk = crm_mallocarray((size_t)cap, sizeof *c->risk);
    if (c->col == NULL || maps == NULL || c->id_pool == NULL || c->id_at == NULL ||
        c->segment == NULL || c->risk == NULL) {
        return oom(c, maps, c->nc, err);
    }
    for (int j = 0; j < c->nc; j++) {
        if (crm__store_column_numeric(st, j)) {
            c->col[j].num = crm_mallocarray((size_t)cap, sizeof(double));
        } else {
            c->col[j].code = crm_mallocarray((size_t)cap, sizeof(int32_t));
            c->col[j].levels = crm_mallocarray(16, sizeof(char *));
            maps[j] = (level_map){ crm_calloc(64, sizeof(int32_t)), 63, &c->col[j], 16 };
            if (c->col[j].levels == NULL || maps[j].slot == NULL) {
                return oom(c, maps, c->nc, err);
            }
        }
        if (c->col[j].num == NULL && c->col[j].code == NULL) {
            return oom(c, maps, c->nc, err);
        }
    }
    crm__sbuf_init(&sql);
    crm__sbuf_puts(&sql, "SELECT id, segment, risk");
    for (int j = 0; j < c->nc; j++) {
        crm__sbuf_printf(&sql, ", c%d", j);
    }
    crm__sbuf_puts(&sql, " FROM data ORDER BY rowid");
    if (sql.failed || sqlite3_prepare_v2(db, sql.p, -1, &q, NULL) != SQLITE_OK) {
        crm__sbuf_fini(&sql);
        crm__serve_fail(err, CRM_EIO, NULL,
                        "the store has no dashboard table (made by an "
                        "older crmkit load?): %s",
                        sqlite3_errmsg(db));
        for (int j = 0; j < c->nc; j++) {
            crm_free(maps[j].slot);
        }
        crm_free(maps);
        crm__dash_cache_free(c);
        return CRM_EIO;
    }
    crm__sbuf_fini(&sql);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        size_t len = strlen(id ? id : "") + 1;
        if (n == cap) {
            int64_t ncap = cap * 2;
            int64_t *ia = crm_realloc(c->id_at, (size_t)ncap * sizeof *ia);
            int32_t *sg = ia ? crm_realloc(c->segment, (size_t)ncap * sizeof *sg) : NULL;
            double *rk = sg ? crm_realloc(c->risk, (size_t)ncap * sizeof *rk) : NULL;
            if (ia) {
                c->id_at = ia;
            }
            if (sg) {
                c->segment = sg;
            }
            if (rk) {
                c->risk = rk;
            }
            if (rk == NULL) {
                sqlite3_finalize(q);
                return oom(c, maps, c->nc, err);
            }
            for (int j = 0; j < c->nc; j++) {
                void **p = c->col[j].num ? (void **)&c->col[j].num : (void **)&c->col[j].code;
                size_t w = c->col[j].num ? sizeof(double) : sizeof(int32_t);
                void *np = crm_realloc(*p, (size_t)ncap * w);
                if (np == NULL) {
                    sqlite3_finalize(q);
                    return oom(c, maps, c->nc, err);
                }
                *p = np;
            }
            cap = ncap;
        }
        while (pool_len + len > pool_cap) {
            char *np = crm_realloc(c->id_pool, pool_cap * 2);
            if (np == NULL) {
                sqlite3_finalize(q);
                return oom(c, maps, c->nc, err);
            }
            c->id_pool = np;
            pool_cap *= 2;
        }
        memcpy(c->id_pool + pool_len, id ? id : "", len);
        c->id_at[n] = (int64_t)pool_len;
        pool_len += len;
        c->segment[n] =
            sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : (int32_t)sqlite3_column_int64(q, 1);
        c->risk[n] =
            sqlite3_column_type(q, 2) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(q, 2);
        for (int j = 0; j < c->nc; j++) {
            int null = sqlite3_column_type(q, 3 + j) == SQLITE_NULL;
            if (c->col[j].num) {
                c->col[j].num[n] = null ? (double)NAN : sqlite3_column_double(q, 3 + j);
            } else {
                int32_t code =
                    null ? -1 : level_code(&maps[j], (const char *)sqlite3_column_text(q, 3 + j));
                if (code == -2) {
                    sqlite3_finalize(q);
                    return oom(c, maps, c->nc, err);
                }
                c->col[j].code[n] = code;
            }
        }
        n++;
    }
    sqlite3_finalize(q);
    c->n = n;
    for (int j = 0; j < c->nc; j++) {
        crm_free(maps[j].slot);
        maps[j].slot = NULL;
        if (c->col[j].code) {
            c->col[j].rank = crm_mallocarray((size_t)c->col[j].n_levels + 1, sizeof(int32_t));
            if (c->col[j].rank == NULL || !rank_names((const char *const *)c->col[j].levels,
                                                      c->col[j].n_levels, c->col[j].rank)) {
                return oom(c, maps, c->nc, err);
            }
        }
    }
    crm_free(maps);
    maps = NULL;
    {
        const char **ids = crm_mallocarray((size_t)n + 1, sizeof *ids);
        c->id_rank = crm_mallocarray((size_t)n + 1, sizeof *c->id_rank);
        if (ids == NULL || c->id_rank == NULL) {
            crm_free(ids);
            return oom(c, maps, c->nc, err);
        }
        for (int64_t i = 0; i < n; i++) {
            ids[i] = c->id_pool + c->id_at[i];
        }
        if (!rank_names(ids, n, c->id_rank)) {
            crm_free(ids);
            return oom(c, maps, c->nc, err);
        }
        crm_free(ids);
    }
    *out = c;
    return CRM_OK;
}

/* ---- queries ---- */

/* A column of the query: j >= 0 a store column, or one of these. */
enum {
    COL_ID = -1,
    COL_SEGMENT = -2,
    COL_RISK = -3,
    COL_NONE = -4
};

static int column_of(const crm__dash_cache *c, crm__store *st, const char *name, size_t len)
{
    static const char *const special[4] = { "id", "segment", "risk", "churn_risk" };
    static const int code[4] = { COL_ID, COL_SEGMENT, COL_RISK, COL_RISK };
    for (int j = 0; j < c->nc; j++) {
        const char *cn = crm__store_column(st, j);
        if (strlen(cn) == len && memcmp(cn, name, len) == 0) {
            return j == c->id_col ? COL_ID : j;
        }
    }
    for (int s = 0; s < 4; s++) {
        if (strlen(special[s]) == len && memcmp(special[s], name, len) == 0) {
            return code[s];
        }
    }
    return COL_NONE;
}

/* One filter: a range of a number, or a set of values (levels of a text column, numbers, or
 * ids). */
typedef struct pred {
    int col;
    int is_range;
    int has_lo;
    int has_hi;
    double lo;
    double hi;
    unsigned char *level_in; /* text column: [n_levels] */
    double *nums;            /* numeric set */
    int n_nums;
    const char *ids; /* id set: the filter text after ":=", values separated by '|' */
} pred;

static int parse_number(const char *s, size_t len, double *v)
{
    char buf[64];
    char *end;
    if (len == 0 || len >= sizeof buf) {
        return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    *v = strtod(buf, &end);
    return *end == '\0' && isfinite(*v);
}

static crm_status
parse_pred(const crm__dash_cache *c, crm__store *st, const char *f, pred *p, crm_error *err)
{
    const char *colon = strchr(f, ':');
    memset(p, 0, sizeof *p);
    if (colon == NULL) {
        return crm__serve_fail(err, CRM_EDATA, "filter",
                               "filter \"%s\": expected COLUMN:LOW..HIGH or COLUMN:=V1|V2", f);
    }
    p->col = column_of(c, st, f, (size_t)(colon - f));
    if (p->col == COL_NONE) {
        return crm__serve_fail(err, CRM_EDATA, "filter", "filter \"%s\": no column \"%.*s\"", f,
                               (int)(colon - f), f);
    }
    if (colon[1] == '=') {
        const char *v = colon + 2;
        if (p->col == COL_ID) {
            p->ids = v;
            return CRM_OK;
        }
        if (p->col >= 0 && c->col[p->col].code != NULL) {
            const dash_col *dc = &c->col[p->col];
            p->level_in = crm_calloc((size_t)dc->n_levels + 1, 1);
            if (p->level_in == NULL) {
                return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
            for (const char *s = v;;) {
                const char *bar = strchr(s, '|');
                size_t len = bar ? (size_t)(bar - s) : strlen(s);
                for (int32_t l = 0; l < dc->n_levels; l++) {
                    if (strlen(dc->levels[l]) == len && memcmp(dc->levels[l], s, len) == 0) {
                        p->level_in[l] = 1;
                    }
                }
                if (bar == NULL) {
                    break;
                }
                s = bar + 1;
            }
            return CRM_OK;
        }
        for (const char *s = v;;) {
            const char *bar = strchr(s, '|');
            size_t len = bar ? (size_t)(bar - s) : strlen(s);
            double x;
            double *nv;
            if (!parse_number(s, len, &x)) {
                return crm__serve_fail(err, CRM_EDATA, "filter",
                                       "filter \"%s\": \"%.*s\" is not a number", f, (int)len, s);
            }
            nv = crm_realloc(p->nums, (size_t)(p->n_nums + 1) * sizeof *nv);
            if (nv == NULL) {
                return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
            }
            p->nums = nv;
            p->nums[p->n_nums++] = x;
            if (bar == NULL) {
                break;
            }
            s = bar + 1;
        }
        return CRM_OK;
    }
    {
        const char *lo = colon + 1;
        const char *dots = strstr(lo, "..");
        int numeric = p->col == COL_SEGMENT || p->col == COL_RISK ||
                      (p->col >= 0 && c->col[p->col].num != NULL);
        if (dots == NULL || !numeric) {
            return crm__serve_fail(err, CRM_EDATA, "filter",
                                   numeric ? "filter \"%s\": expected COLUMN:LOW..HIGH"
                                           : "filter \"%s\": a text column takes COLUMN:=V1|V2",
                                   f);
        }
        p->is_range = 1;
        p->has_lo = dots > lo;
        p->has_hi = dots[2] != '\0';
        if ((p->has_lo && !parse_number(lo, (size_t)(dots - lo), &p->lo)) ||
            (p->has_hi && !parse_number(dots + 2, strlen(dots + 2), &p->hi)) ||
            (!p->has_lo && !p->has_hi)) {
            return crm__serve_fail(err, CRM_EDATA, "filter",
                                   "filter \"%s\": bounds must be numbers", f);
        }
    }
    return CRM_OK;
}

static double num_value(const crm__dash_cache *c, int col, int64_t i)
{
    switch (col) {
    case COL_SEGMENT:
        return c->segment[i] < 0 ? (double)NAN : (double)c->segment[i];
    case COL_RISK:
        return c->risk[i];
    default:
        return c->col[col].num[i];
    }
}

static int id_in(const char *id, const char *set)
{
    size_t len = strlen(id);
    for (const char *s = set;;) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        if (n == len && memcmp(s, id, n) == 0) {
            return 1;
        }
        if (bar == NULL) {
            return 0;
        }
        s = bar + 1;
    }
}

static int matches(const crm__dash_cache *c, const pred *p, int64_t i)
{
    if (p->ids != NULL) {
        return id_in(c->id_pool + c->id_at[i], p->ids);
    }
    if (p->level_in != NULL) {
        int32_t code = c->col[p->col].code[i];
        return code >= 0 && p->level_in[code];
    }
    {
        double v = num_value(c, p->col, i);
        if (isnan(v)) {
            return 0;
        }
        if (p->is_range) {
            return (!p->has_lo || v >= p->lo) && (!p->has_hi || v <= p->hi);
        }
        for (int k = 0; k < p->n_nums; k++) {
            if (v == p->nums[k]) {
                return 1;
            }
        }
        return 0;
    }
}

/* A row's sort key: missing sorts last in either direction; ties by row. */
typedef struct keyed {
    double key;
    int64_t row;
} keyed;

static double sort_key(const crm__dash_cache *c, int col, int64_t i)
{
    if (col == COL_ID) {
        return (double)c->id_rank[i];
    }
    if (col >= 0 && c->col[col].code != NULL) {
        int32_t code = c->col[col].code[i];
        return code < 0 ? (double)NAN : (double)c->col[col].rank[code];
    }
    return num_value(c, col, i);
}

/* a comes before b */
static int before(const keyed *a, const keyed *b, int desc)
{
    int ma = isnan(a->key);
    int mb = isnan(b->key);
    if (ma != mb) {
        return mb;
    }
    if (!ma && a->key != b->key) {
        return desc ? a->key > b->key : a->key < b->key;
    }
    return a->row < b->row;
}

/* Max-heap by "comes later": the root is the last of the rows kept. */
static void sift_down(keyed *h, int64_t n, int64_t at, int desc)
{
    for (;;) {
        int64_t l = 2 * at + 1;
        int64_t r = l + 1;
        int64_t m = at;
        if (l < n && before(&h[m], &h[l], desc)) {
            m = l;
        }
        if (r < n && before(&h[m], &h[r], desc)) {
            m = r;
        }
        if (m == at) {
            return;
        }
        keyed t = h[at];
        h[at] = h[m];
        h[m] = t;
        at = m;
    }
}

static void sift_up(keyed *h, int64_t at, int desc)
{
    while (at > 0) {
        int64_t parent = (at - 1) / 2;
        if (!before(&h[parent], &h[at], desc)) {
            return;
        }
        keyed t = h[at];
        h[at] = h[parent];
        h[parent] = t;
        at = parent;
    }
}

static void put_double(crm__sbuf *b, double v)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    crm__sbuf_puts(b, buf);
}

static void put_csv_text(crm__sbuf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        crm__sbuf_puts(b, s);
        return;
    }
    crm__sbuf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        crm__sbuf_put(b, p, 1);
        if (*p == '"') {
            crm__sbuf_puts(b, "\"");
        }
    }
    crm__sbuf_puts(b, "\"");
}

static void put_text(crm__sbuf *b, const char *s, int csv)
{
    if (csv) {
        put_csv_text(b, s);
    } else {
        crm__sbuf_json_str(b, s);
    }
}

/* Output columns: the id, segment (CSV: number and name), risk, then the other columns. */
static void put_header(crm__sbuf *b, const crm__dash_cache *c, crm__store *st, int csv)
{
    put_text(b, c->id_col >= 0 ? crm__store_column(st, c->id_col) : "id", csv);
    crm__sbuf_puts(b, csv ? ",segment,segment_name,churn_risk" : ",\"segment\",\"churn_risk\"");
    for (int j = 0; j < c->nc; j++) {
        if (j != c->id_col) {
            crm__sbuf_puts(b, ",");
            put_text(b, crm__store_column(st, j), csv);
        }
    }
}

static void
put_row(crm__sbuf *b, const crm__dash_cache *c, int64_t i, const crm__store_names *names, int csv)
{
    const char *name = NULL;
    crm__sbuf_puts(b, csv ? "" : "[");
    put_text(b, c->id_pool + c->id_at[i], csv);
    crm__sbuf_puts(b, ",");
    if (c->segment[i] >= 0) {
        name = names && names->fn ? names->fn(names->ud, c->segment[i]) : NULL;
        if (csv) {
            crm__sbuf_printf(b, "%d,", (int)c->segment[i]);
            put_csv_text(b, name ? name : "");
        } else if (name) {
            crm__sbuf_json_str(b, name);
        } else {
            crm__sbuf_printf(b, "%d", (int)c->segment[i]);
        }
    } else {
        crm__sbuf_puts(b, csv ? "," : "null");
    }
    crm__sbuf_puts(b, ",");
    if (isnan(c->risk[i])) {
        crm__sbuf_puts(b, csv ? "" : "null");
    } else {
        put_double(b, c->risk[i]);
    }
    for (int j = 0; j < c->nc; j++) {
        const dash_col *dc = &c->col[j];
        if (j == c->id_col) {
            continue;
        }
        crm__sbuf_puts(b, ",");
        if (dc->num != NULL) {
            if (isnan(dc->num[i])) {
                crm__sbuf_puts(b, csv ? "" : "null");
            } else {
                put_double(b, dc->num[i]);
            }
        } else if (dc->code[i] < 0) {
            crm__sbuf_puts(b, csv ? "" : "null");
        } else {
            put_text(b, dc->levels[dc->code[i]], csv);
        }
    }
    crm__sbuf_puts(b, csv ? "\n" : "]");
}

static int cmp_keyed_asc(const void *a, const void *b)
{
    return before(a, b, 0) ? -1 : before(b, a, 0) ? 1 : 0;
}

static int cmp_keyed_desc(const void *a, const void *b)
{
    return before(a, b, 1) ? -1 : before(b, a, 1) ? 1 : 0;
}

crm_status crm__dash_customers(crm__store *st,
                               const crm__dash_query *q,
                               const crm__store_names *names,
                               int csv,
                               char **out,
                               size_t *len,
                               crm_error *err)
{
    const crm__dash_cache *c;
    pred preds[CRM_DASH_MAX_FILTERS];
    int np = 0;
    int32_t want_seg = -2; /* -2 = every customer */
    int sort_col = COL_NONE;
    int desc = 0;
    keyed *kept = NULL;
    int64_t n_kept = 0;
    int64_t cap;
    int64_t total = 0;
    crm_status rc = crm__store_dash_cache(st, &c, err);
    crm__sbuf b;
    *out = NULL;
    *len = 0;
    if (rc != CRM_OK) {
        return rc;
    }
    if (q->segment != NULL && strcmp(q->segment, "all") != 0) {
        double v;
        if (!parse_number(q->segment, strlen(q->segment), &v) || v != floor(v) || v < 0 ||
            v > 1e9) {
            return crm__serve_fail(err, CRM_EDATA, "segment",
                                   "segment must be a number or \"all\", got \"%s\"", q->segment);
        }
        want_seg = (int32_t)v;
    }
    if (q->sort != NULL && *q->sort != '\0') {
        desc = q->sort[0] == '-';
        sort_col = column_of(c, st, q->sort + desc, strlen(q->sort + desc));
        if (sort_col == COL_NONE) {
            return crm__serve_fail(err, CRM_EDATA, "sort", "cannot sort by \"%s\": no such column",
                                   q->sort + desc);
        }
    }
    for (; np < q->n_filters && np < CRM_DASH_MAX_FILTERS; np++) {
        rc = parse_pred(c, st, q->filters[np], &preds[np], err);
        if (rc != CRM_OK) {
            np++;
            break;
        }
    }
    /* Rows kept: every match for CSV; else the first offset + limit in sort order. */
    cap = csv ? 1024 : q->offset + q->limit;
    if (rc == CRM_OK) {
        kept = crm_mallocarray((size_t)cap + 1, sizeof *kept);
        if (kept == NULL) {
            rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
        }
    }
    for (int64_t i = 0; rc == CRM_OK && i < c->n; i++) {
        int ok = want_seg == -2 || c->segment[i] == want_seg;
        keyed k;
        for (int p = 0; ok && p < np; p++) {
            ok = matches(c, &preds[p], i);
        }
        if (!ok) {
            continue;
        }
        total++;
        k = (keyed){ sort_col == COL_NONE ? 0.0 : sort_key(c, sort_col, i), i };
        if (csv) {
            if (n_kept == cap) {
                keyed *nk = crm_realloc(kept, (size_t)cap * 2 * sizeof *nk);
                if (nk == NULL) {
                    rc = crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
                    break;
                }
                kept = nk;
                cap *= 2;
            }
            kept[n_kept++] = k;
        } else if (n_kept < cap) {
            kept[n_kept] = k;
            sift_up(kept, n_kept++, desc);
        } else if (cap > 0 && before(&k, &kept[0], desc)) {
            kept[0] = k;
            sift_down(kept, n_kept, 0, desc);
        }
    }
    for (int p = 0; p < np; p++) {
        crm_free(preds[p].level_in);
        crm_free(preds[p].nums);
    }
    if (rc != CRM_OK) {
        crm_free(kept);
        return rc;
    }
    qsort(kept, (size_t)n_kept, sizeof *kept, desc ? cmp_keyed_desc : cmp_keyed_asc);
    crm__sbuf_init(&b);
    if (csv) {
        put_header(&b, c, st, 1);
        crm__sbuf_puts(&b, "\n");
        for (int64_t r = 0; r < n_kept; r++) {
            put_row(&b, c, kept[r].row, names, 1);
        }
    } else {
        crm__sbuf_printf(&b, "{\"total\":%lld,\"offset\":%lld,\"limit\":%lld,\"columns\":[",
                         (long long)total, (long long)q->offset, (long long)q->limit);
        put_header(&b, c, st, 0);
        crm__sbuf_puts(&b, "],\"rows\":[");
        for (int64_t r = q->offset; r < n_kept; r++) {
            crm__sbuf_puts(&b, r > q->offset ? "," : "");
            put_row(&b, c, kept[r].row, names, 0);
        }
        crm__sbuf_puts(&b, "]}\n");
    }
    crm_free(kept);
    if (b.failed) {
        crm__sbuf_fini(&b);
        return crm__serve_fail(err, CRM_ENOMEM, NULL, "out of memory");
    }
    *out = b.p;
    *len = b.len;
    return CRM_OK;
}

#else

void crm__dash_cache_free(crm__dash_cache *c)
{
    (void)c;
}

crm_status crm__dash_customers(crm__store *st,
                               const crm__dash_query *q,
                               const crm__store_names *names,
                               int csv,
                               char **out,
                               size_t *len,
                               crm_error *err)
{
    (void)st;
    (void)q;
    (void)names;
    (void)csv;
    *out = NULL;
    *len = 0;
    return crm__serve_fail(err, CRM_EUNSUPPORTED, NULL, "no SQLite in this build");
}
#endif
