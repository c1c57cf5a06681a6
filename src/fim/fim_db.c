/* fim_db.c: the transaction database: building (first-appearance ids, duplicates removed
 * with a per-item stamp), finishing (recode to dictionary order: integers ascending or names
 * in strcmp order, so output never depends on input order), accessors and subsets.
 *
 * Layout: transactions in CSR form (off[n_trans + 1], items[]), names in one arena with
 * offsets, customers likewise. Hash tables map codes, names and customer keys to ids. */
#include <stdlib.h>
#include <string.h>

#include "fim_internal.h"

/* ---- growth helpers ---------------------------------------------------------------------- */

static int grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    int64_t c = *cap;
    void *q;
    if (need <= c) {
        return 1;
    }
    if (c < 16) {
        c = 16;
    }
    while (c < need) {
        c += c / 2 + 16;
    }
    q = crm_realloc(*p, (size_t)c * elem);
    if (q == NULL) {
        return 0;
    }
    *p = q;
    *cap = c;
    return 1;
}

static const char *name_at(const crm_fim_db *db, int32_t id)
{
    return db->name_off[id] < 0 ? NULL : db->names + db->name_off[id];
}

static crm_status names_append(crm_fim_db *db, const char *s, size_t len, int64_t *off)
{
    if (!grow((void **)&db->names, &db->names_cap, db->names_len + (int64_t)len + 1, 1)) {
        return CRM_ENOMEM;
    }
    memcpy(db->names + db->names_len, s, len);
    db->names[db->names_len + (int64_t)len] = '\0';
    *off = db->names_len;
    db->names_len += (int64_t)len + 1;
    return CRM_OK;
}

/* ---- hash tables --------------------------------------------------------------------------- */

typedef uint64_t (*key_hash_fn)(const crm_fim_db *db, int32_t id);

static uint64_t hash_code(const crm_fim_db *db, int32_t id)
{
    return crm__hash_u64((uint64_t)db->codes[id]);
}

static uint64_t hash_name(const crm_fim_db *db, int32_t id)
{
    const char *s = name_at(db, id);
    return crm__hash_bytes(s, strlen(s));
}

static uint64_t hash_cust(const crm_fim_db *db, int32_t id)
{
    const char *s = db->cust + db->cust_off[id];
    return crm__hash_bytes(s, strlen(s));
}

static void hash_put(crm__fim_hash *h, uint64_t hv, int32_t id)
{
    size_t i = (size_t)hv & h->mask;
    while (h->slot[i] >= 0) {
        i = (i + 1) & h->mask;
    }
    h->slot[i] = id;
    h->n++;
}

static crm_status hash_rebuild(const crm_fim_db *db, crm__fim_hash *h, int32_t n, key_hash_fn fn)
{
    crm__fim_hash_fini(h);
    if (crm__fim_hash_init(h, (size_t)n + 16) != CRM_OK) {
        return CRM_ENOMEM;
    }
    for (int32_t id = 0; id < n; id++) {
        hash_put(h, fn(db, id), id);
    }
    return CRM_OK;
}

static crm_status hash_reserve(crm_fim_db *db, crm__fim_hash *h, key_hash_fn fn)
{
    if ((h->n + 1) * 2 <= h->mask + 1) {
        return CRM_OK;
    }
    return hash_rebuild(db, h, (int32_t)h->n, fn);
}

/* ---- building ------------------------------------------------------------------------------ */

crm_status crm_fim_db_new(crm_fim_db **out, crm_error *err)
{
    crm_fim_db *db;
    *out = NULL;
    db = crm_calloc(1, sizeof *db);
    if (db == NULL) {
        return crm__error_nomem(err);
    }
    db->off = crm_malloc(16 * sizeof *db->off);
    if (db->off == NULL || crm__fim_hash_init(&db->item_hash, 64) != CRM_OK) {
        crm_fim_db_free(db);
        return crm__error_nomem(err);
    }
    db->off_cap = 16;
    db->off[0] = 0;
    *out = db;
    return CRM_OK;
}

void crm_fim_db_free(crm_fim_db *db)
{
    if (db == NULL) {
        return;
    }
    crm__fim_hash_fini(&db->item_hash);
    crm__fim_hash_fini(&db->cust_hash);
    CRM__FREE(db->off, db->items, db->codes, db->name_off, db->names, db->item_sup, db->stamp,
              db->code_dir, db->cust_off, db->cust, db->meta_codes, db->meta_name_off, db);
}

static crm_status new_item(crm_fim_db *db, int64_t code, int64_t name_off, int32_t *id)
{
    int64_t cap = db->items_dict_cap;
    int64_t need = (int64_t)db->n_items + 1;
    if (db->n_items == INT32_MAX) {
        return CRM_ELIMIT;
    }
    if (need > cap) {
        int64_t c1 = cap, c2 = cap, c3 = cap;
        if (!grow((void **)&db->codes, &c1, need, sizeof *db->codes) ||
            !grow((void **)&db->name_off, &c2, need, sizeof *db->name_off) ||
            !grow((void **)&db->stamp, &c3, need, sizeof *db->stamp)) {
            return CRM_ENOMEM;
        }
        db->items_dict_cap = (int32_t)(c1 < INT32_MAX ? c1 : INT32_MAX);
    }
    db->codes[db->n_items] = code;
    db->name_off[db->n_items] = name_off;
    db->stamp[db->n_items] = -1;
    *id = db->n_items++;
    return CRM_OK;
}

static crm_status check_kind(crm_fim_db *db, int kind, crm_error *err)
{
    if (db->finished) {
        return crm__error_set(err, CRM_ESTATE, "the transaction database is already finished");
    }
    if (db->kind != FIM_KIND_NONE && db->kind != kind) {
        return crm__error_set(err, CRM_EINVAL,
                              "a database holds either integer items or named items, not both");
    }
    db->kind = kind;
    return CRM_OK;
}

/* Grow the direct table to hold code (below CRM_FIM_CODE_DIR_MAX), refilled from the items
 * seen. */
static int code_dir_grow(crm_fim_db *db, int64_t code)
{
    int64_t cap = crm__fim_dir_cap(db->code_dir_cap, code);
    int32_t *dir = crm_realloc(db->code_dir, (size_t)cap * sizeof *dir);
    if (dir == NULL) {
        return 0;
    }
    memset(dir, 0xff, (size_t)cap * sizeof *dir);
    for (int32_t id = 0; id < db->n_items; id++) {
        if (db->codes[id] >= 0 && db->codes[id] < cap) {
            dir[db->codes[id]] = id;
        }
    }
    db->code_dir = dir;
    db->code_dir_cap = cap;
    return 1;
}

crm_status crm__fim_db_intern_code(crm_fim_db *db, int64_t code, int32_t *id, crm_error *err)
{
    crm__fim_hash *h = &db->item_hash;
    size_t i = (size_t)crm__hash_u64((uint64_t)code) & h->mask;
    crm_status rc;
    if (code >= db->code_dir_cap && code < CRM_FIM_CODE_DIR_MAX && !code_dir_grow(db, code)) {
        return crm__error_nomem(err);
    }
    if (code < db->code_dir_cap) {
        if (db->code_dir[code] >= 0) {
            *id = db->code_dir[code];
            return CRM_OK;
        }
    } else {
        while (h->slot[i] >= 0) {
            if (db->codes[h->slot[i]] == code) {
                *id = h->slot[i];
                return CRM_OK;
            }
            i = (i + 1) & h->mask;
        }
    }
    rc = hash_reserve(db, h, hash_code);
    if (rc == CRM_OK) {
        rc = new_item(db, code, -1, id);
    }
    if (rc != CRM_OK) {
        return rc == CRM_ELIMIT ? crm__error_set(err, rc, "more than 2^31 distinct items")
                                : crm__error_nomem(err);
    }
    hash_put(h, crm__hash_u64((uint64_t)code), *id);
    if (code < db->code_dir_cap) {
        db->code_dir[code] = *id;
    }
    return CRM_OK;
}

crm_status
crm__fim_db_intern_name(crm_fim_db *db, const char *name, size_t len, int32_t *id, crm_error *err)
{
    crm__fim_hash *h = &db->item_hash;
    uint64_t hv = crm__hash_bytes(name, len);
    size_t i = (size_t)hv & h->mask;
    int64_t off;
    crm_status rc;
    while (h->slot[i] >= 0) {
        const char *s = name_at(db, h->slot[i]);
        /* The input may hold NUL bytes: compare lengths first, never read past s. */
        if (strnlen(s, len + 1) == len && memcmp(s, name, len) == 0) {
            *id = h->slot[i];
            return CRM_OK;
        }
        i = (i + 1) & h->mask;
    }
    rc = hash_reserve(db, h, hash_name);
    if (rc == CRM_OK) {
        rc = names_append(db, name, len, &off);
    }
    if (rc == CRM_OK) {
        rc = new_item(db, -1, off, id);
    }
    if (rc != CRM_OK) {
        return rc == CRM_ELIMIT ? crm__error_set(err, rc, "more than 2^31 distinct items")
                                : crm__error_nomem(err);
    }
    hash_put(h, hv, *id);
    return CRM_OK;
}

static crm_status push_customer(crm_fim_db *db, const char *customer, size_t len)
{
    int64_t t = db->n_trans;
    if (customer == NULL && !db->has_customers) {
        return CRM_OK;
    }
    if (!db->has_customers) {
        /* First key: earlier transactions get the empty key. */
        if (!grow((void **)&db->cust_off, &db->cust_off_cap, t + 2, sizeof *db->cust_off) ||
            !grow((void **)&db->cust, &db->cust_cap, 1, 1)) {
            return CRM_ENOMEM;
        }
        db->cust[0] = '\0';
        db->cust_len = 1;
        for (int64_t i = 0; i <= t; i++) {
            db->cust_off[i] = 0;
        }
        db->has_customers = 1;
    }
    if (customer == NULL) {
        len = 0;
    }
    if (!grow((void **)&db->cust_off, &db->cust_off_cap, t + 2, sizeof *db->cust_off) ||
        !grow((void **)&db->cust, &db->cust_cap, db->cust_len + (int64_t)len + 1, 1)) {
        return CRM_ENOMEM;
    }
    if (len > 0) {
        memcpy(db->cust + db->cust_len, customer, len);
    }
    db->cust[db->cust_len + (int64_t)len] = '\0';
    db->cust_off[t] = db->cust_len;
    db->cust_len += (int64_t)len + 1;
    return CRM_OK;
}

crm_status crm__fim_db_push_ids(crm_fim_db *db,
                                const int32_t *ids,
                                int32_t n,
                                const char *customer,
                                size_t cust_len,
                                crm_error *err)
{
    int64_t base = db->off[db->n_trans];
    int64_t k = base;
    if (!grow((void **)&db->off, &db->off_cap, db->n_trans + 2, sizeof *db->off) ||
        !grow((void **)&db->items, &db->items_cap, base + n, sizeof *db->items) ||
        push_customer(db, customer, cust_len) != CRM_OK) {
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (db->stamp[id] != db->n_trans) {
            db->stamp[id] = db->n_trans;
            db->items[k++] = id;
        }
    }
    db->n_trans++;
    db->off[db->n_trans] = k;
    return CRM_OK;
}

crm_status crm__fim_db_add_meta_name(crm_fim_db *db,
                                     int64_t code,
                                     const char *name,
                                     size_t len,
                                     crm_error *err)
{
    int64_t off;
    if (db->n_meta == db->meta_cap) {
        int64_t c1 = db->meta_cap;
        int64_t c2 = c1;
        if (!grow((void **)&db->meta_codes, &c1, db->n_meta + 1, sizeof *db->meta_codes) ||
            !grow((void **)&db->meta_name_off, &c2, db->n_meta + 1, sizeof *db->meta_name_off)) {
            return crm__error_nomem(err);
        }
        db->meta_cap = (int32_t)(c1 < INT32_MAX ? c1 : INT32_MAX);
    }
    if (names_append(db, name, len, &off) != CRM_OK) {
        return crm__error_nomem(err);
    }
    db->meta_codes[db->n_meta] = code;
    db->meta_name_off[db->n_meta] = off;
    db->n_meta++;
    return CRM_OK;
}

crm_status crm_fim_db_add_transaction(crm_fim_db *db,
                                      const int32_t *items,
                                      int32_t n,
                                      const char *customer,
                                      crm_error *err)
{
    int32_t stack_ids[64];
    int32_t *ids = stack_ids;
    crm_status rc;
    if (db == NULL || n < 0 || (n > 0 && items == NULL)) {
        return crm__error_set(err, CRM_EINVAL, "add_transaction: bad arguments");
    }
    rc = check_kind(db, FIM_KIND_INT, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (n > 64) {
        ids = crm_mallocarray((size_t)n, sizeof *ids);
        if (ids == NULL) {
            return crm__error_nomem(err);
        }
    }
    for (int32_t i = 0; i < n && rc == CRM_OK; i++) {
        if (items[i] < 0) {
            rc = crm__error_set(err, CRM_EINVAL, "item %d is negative; items must be >= 0",
                                (int)items[i]);
        } else {
            rc = crm__fim_db_intern_code(db, items[i], &ids[i], err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm__fim_db_push_ids(db, ids, n, customer, customer ? strlen(customer) : 0, err);
    }
    if (ids != stack_ids) {
        crm_free(ids);
    }
    return rc;
}

crm_status crm_fim_db_add_named(crm_fim_db *db,
                                const char *const *names,
                                int32_t n,
                                const char *customer,
                                crm_error *err)
{
    int32_t stack_ids[64];
    int32_t *ids = stack_ids;
    int32_t m = 0;
    crm_status rc;
    if (db == NULL || n < 0 || (n > 0 && names == NULL)) {
        return crm__error_set(err, CRM_EINVAL, "add_named: bad arguments");
    }
    rc = check_kind(db, FIM_KIND_NAMED, err);
    if (rc != CRM_OK) {
        return rc;
    }
    db->has_names = 1;
    if (n > 64) {
        ids = crm_mallocarray((size_t)n, sizeof *ids);
        if (ids == NULL) {
            return crm__error_nomem(err);
        }
    }
    for (int32_t i = 0; i < n && rc == CRM_OK; i++) {
        if (names[i] != NULL && names[i][0] != '\0') {
            rc = crm__fim_db_intern_name(db, names[i], strlen(names[i]), &ids[m++], err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm__fim_db_push_ids(db, ids, m, customer, customer ? strlen(customer) : 0, err);
    }
    if (ids != stack_ids) {
        crm_free(ids);
    }
    return rc;
}

/* ---- finishing ------------------------------------------------------------------------------ */

typedef struct sort_ctx_item {
    int32_t id;
    int64_t code;
    const char *name;
} sort_ctx_item;

static int cmp_by_code(const void *a, const void *b)
{
    const sort_ctx_item *x = a, *y = b;
    return (x->code > y->code) - (x->code < y->code);
}

static int cmp_by_name(const void *a, const void *b)
{
    const sort_ctx_item *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static crm_status apply_meta_names(crm_fim_db *db)
{
    const crm__fim_hash *h = &db->item_hash;
    if (db->kind != FIM_KIND_INT) {
        return CRM_OK;
    }
    for (int32_t m = 0; m < db->n_meta; m++) {
        size_t i = (size_t)crm__hash_u64((uint64_t)db->meta_codes[m]) & h->mask;
        while (h->slot[i] >= 0) {
            if (db->codes[h->slot[i]] == db->meta_codes[m]) {
                db->name_off[h->slot[i]] = db->meta_name_off[m];
                db->has_names = 1;
                break;
            }
            i = (i + 1) & h->mask;
        }
    }
    return CRM_OK;
}

/* Digits written by hand: snprintf per item showed in reading sets of many items. */
static crm_status decimal_names(crm_fim_db *db)
{
    for (int32_t id = 0; id < db->n_items; id++) {
        if (db->name_off[id] < 0) {
            char buf[24];
            size_t k = sizeof buf;
            uint64_t v = (uint64_t)db->codes[id]; /* INT kind: codes are >= 0 */
            do {
                buf[--k] = (char)('0' + v % 10);
                v /= 10;
            } while (v > 0);
            if (names_append(db, buf + k, sizeof buf - k, &db->name_off[id]) != CRM_OK) {
                return CRM_ENOMEM;
            }
        }
    }
    return CRM_OK;
}

/* Recode items to dictionary order and sort every transaction. */
static crm_status recode(crm_fim_db *db)
{
    int32_t n = db->n_items;
    sort_ctx_item *tmp = crm_mallocarray((size_t)n + 1, sizeof *tmp);
    int32_t *new_of_old = crm_mallocarray((size_t)n + 1, sizeof *new_of_old);
    int64_t *codes = crm_mallocarray((size_t)n + 1, sizeof *codes);
    int64_t *name_off = crm_mallocarray((size_t)n + 1, sizeof *name_off);
    crm_status rc = CRM_ENOMEM;
    if (tmp == NULL || new_of_old == NULL || codes == NULL || name_off == NULL) {
        goto done;
    }
    for (int32_t id = 0; id < n; id++) {
        tmp[id].id = id;
        tmp[id].code = db->codes[id];
        tmp[id].name = db->kind == FIM_KIND_NAMED ? name_at(db, id) : NULL;
    }
    qsort(tmp, (size_t)n, sizeof *tmp, db->kind == FIM_KIND_NAMED ? cmp_by_name : cmp_by_code);
    for (int32_t k = 0; k < n; k++) {
        new_of_old[tmp[k].id] = k;
        codes[k] = db->codes[tmp[k].id];
        name_off[k] = db->name_off[tmp[k].id];
    }
    memcpy(db->codes, codes, (size_t)n * sizeof *codes);
    memcpy(db->name_off, name_off, (size_t)n * sizeof *name_off);
    for (int64_t t = 0; t < db->n_trans; t++) {
        int32_t *it = db->items + db->off[t];
        int64_t len = db->off[t + 1] - db->off[t];
        int sorted = 1;
        for (int64_t k = 0; k < len; k++) {
            it[k] = new_of_old[it[k]];
            sorted &= k == 0 || it[k - 1] < it[k];
        }
        if (!sorted) { /* FIMI files list items ascending: most are sorted already */
            crm__fim_sort_i32(it, len);
        }
    }
    rc = CRM_OK;
done:
    CRM__FREE(tmp, new_of_old, codes, name_off);
    return rc;
}

static crm_status count_supports(crm_fim_db *db)
{
    int64_t nn = db->off[db->n_trans];
    crm_free(db->item_sup);
    db->item_sup = crm_calloc((size_t)db->n_items + 1, sizeof *db->item_sup);
    if (db->item_sup == NULL) {
        return CRM_ENOMEM;
    }
    for (int64_t k = 0; k < nn; k++) {
        db->item_sup[db->items[k]]++;
    }
    return CRM_OK;
}

static crm_status build_indexes(crm_fim_db *db)
{
    if (hash_rebuild(db, &db->item_hash, db->n_items, hash_name) != CRM_OK) {
        return CRM_ENOMEM;
    }
    if (!db->has_customers) {
        return CRM_OK;
    }
    crm__fim_hash_fini(&db->cust_hash);
    if (db->n_trans > INT32_MAX ||
        crm__fim_hash_init(&db->cust_hash, (size_t)db->n_trans + 16) != CRM_OK) {
        return CRM_ENOMEM;
    }
    for (int64_t t = 0; t < db->n_trans; t++) {
        const char *key = db->cust + db->cust_off[t];
        if (key[0] != '\0' && crm_fim_db_find_customer(db, key) < 0) {
            hash_put(&db->cust_hash, hash_cust(db, (int32_t)t), (int32_t)t);
        }
    }
    return CRM_OK;
}

crm_status crm_fim_db_finish(crm_fim_db *db, crm_error *err)
{
    crm_status rc;
    if (db == NULL) {
        return crm__error_set(err, CRM_EINVAL, "finish: db is NULL");
    }
    if (db->finished) {
        return CRM_OK;
    }
    if (db->kind == FIM_KIND_NONE) {
        db->kind = FIM_KIND_INT;
    }
    rc = apply_meta_names(db);
    if (rc == CRM_OK) {
        rc = recode(db);
    }
    if (rc == CRM_OK && db->kind == FIM_KIND_INT) {
        rc = decimal_names(db);
    }
    if (rc == CRM_OK) {
        rc = count_supports(db);
    }
    if (rc == CRM_OK) {
        db->finished = 1; /* find_customer in build_indexes reads the finished layout */
        rc = build_indexes(db);
        if (rc != CRM_OK) {
            db->finished = 0;
        }
    }
    if (rc != CRM_OK) {
        return crm__error_nomem(err);
    }
    crm_free(db->stamp);
    db->stamp = NULL;
    crm_free(db->code_dir);
    db->code_dir = NULL;
    db->code_dir_cap = 0;
    return CRM_OK;
}

/* ---- building from parsed parts ------------------------------------------------------------ */

/* The dictionary recode would give, straight from the codes the parts hold: dense ids in code
 * order, codes below *dir_cap through dir, the others through big. */
static crm_status raw_dictionary(crm_fim_db *db,
                                 const crm__fim_raw *parts,
                                 int n_parts,
                                 int32_t **dir_out,
                                 int64_t *dir_cap,
                                 crm__fim_cmap *big,
                                 crm_error *err)
{
    int64_t cap = 0, n_big = 0, n = 0, u = 0;
    int32_t *dir, *bigs;
    for (int k = 0; k < n_parts; k++) {
        cap = parts[k].seen_cap > cap ? parts[k].seen_cap : cap;
        n_big += (int64_t)parts[k].big.n;
    }
    dir = crm_mallocarray((size_t)cap + 1, sizeof *dir);
    bigs = crm_mallocarray((size_t)n_big + 1, sizeof *bigs);
    if (dir == NULL || bigs == NULL) {
        crm_free(dir);
        crm_free(bigs);
        return crm__error_nomem(err);
    }
    /* the codes any part saw, one part at a time (a loop over the codes with one over the
     * parts inside was a tenth of building the database from 17 parts) */
    memset(dir, 0, (size_t)cap * sizeof *dir);
    for (int k = 0; k < n_parts; k++) {
        for (int64_t c = 0; c < parts[k].seen_cap; c++) {
            dir[c] |= parts[k].seen[c] != 0;
        }
    }
    for (int64_t c = 0; c < cap; c++) {
        dir[c] = dir[c] ? (int32_t)n++ : -1;
    }
    n_big = 0;
    for (int k = 0; k < n_parts; k++) {
        const crm__fim_cmap *m = &parts[k].big;
        for (size_t i = 0; m->n > 0 && i <= m->mask; i++) {
            if (m->key[i] >= 0) {
                bigs[n_big++] = m->key[i];
            }
        }
    }
    crm__fim_sort_i32(bigs, n_big);
    for (int64_t i = 0; i < n_big; i++) {
        if (u == 0 || bigs[i] != bigs[u - 1]) {
            bigs[u++] = bigs[i];
        }
    }
    *dir_out = dir;
    *dir_cap = cap;
    if (n + u >= INT32_MAX) { /* the dictionary holds n_items + 1 entries */
        crm_free(bigs);
        return crm__error_set(err, CRM_ELIMIT, "2^31 - 1 or more distinct items");
    }
    db->n_items = (int32_t)(n + u);
    db->items_dict_cap = db->n_items + 1;
    db->codes = crm_mallocarray((size_t)db->n_items + 1, sizeof *db->codes);
    db->name_off = crm_mallocarray((size_t)db->n_items + 1, sizeof *db->name_off);
    if (db->codes == NULL || db->name_off == NULL) {
        crm_free(bigs);
        return crm__error_nomem(err);
    }
    for (int64_t c = 0; c < cap; c++) {
        if (dir[c] >= 0) {
            db->codes[dir[c]] = c;
        }
    }
    for (int64_t i = 0; i < u; i++) {
        db->codes[n + i] = bigs[i];
        if (!crm__fim_cmap_add(big, bigs[i], (int32_t)(n + i))) {
            crm_free(bigs);
            return crm__error_nomem(err);
        }
    }
    for (int32_t id = 0; id < db->n_items; id++) {
        db->name_off[id] = -1;
    }
    crm_free(bigs);
    return CRM_OK;
}

/* One part's lines in dense ids, each sorted with its duplicates dropped, into dst (src may
 * be dst: it is read ahead of the writes), counting supports into sup; end[t] is the end of
 * line t in the database, dst being at base. Returns the items kept. */
static int64_t raw_recode(const crm__fim_raw *r,
                          const int32_t *src,
                          int32_t *dst,
                          int64_t base,
                          int64_t *end,
                          const int32_t *dir,
                          int64_t dir_cap,
                          const crm__fim_cmap *big,
                          int64_t *sup)
{
    int64_t w = 0;
    for (int64_t t = 0; t < r->n_lines; t++) {
        int64_t w0 = w;
        int sorted = 1;
        for (int64_t k = r->off[t]; k < r->off[t + 1]; k++) {
            int32_t c = src[k];
            int32_t id = c < dir_cap ? dir[c] : crm__fim_cmap_get(big, c);
            sorted &= w == w0 || dst[w - 1] < id;
            dst[w++] = id;
        }
        if (!sorted) { /* FIMI files list items ascending: most lines are sorted already */
            int64_t u = 1;
            crm__fim_sort_i32(dst + w0, w - w0);
            for (int64_t k = w0 + 1; k < w; k++) {
                if (dst[k] != dst[w0 + u - 1]) {
                    dst[w0 + u++] = dst[k];
                }
            }
            w = w0 + u;
        }
        for (int64_t k = w0; k < w; k++) {
            sup[dst[k]]++;
        }
        end[t] = base + w;
    }
    return w;
}

crm_status crm__fim_db_from_raw(crm_fim_db *db,
                                crm__fim_raw *parts,
                                int n_parts,
                                int n_threads,
                                int32_t *store,
                                int64_t store_cap,
                                crm_error *err)
{
    /* supports counted per thread, added up after (integers: in any order the same) */
    int np = n_threads < 1 ? 1 : n_threads < n_parts ? n_threads : n_parts;
    int64_t *base = crm_mallocarray(3 * ((size_t)n_parts + 1), sizeof *base);
    int64_t **sup = crm_calloc((size_t)np, sizeof *sup);
    int64_t *lbase, *kept;
    int64_t total = 0, lines = 0, w;
    int32_t *dir = NULL;
    int64_t dir_cap = 0;
    crm__fim_cmap big;
    int identity;
    crm_status rc = CRM_OK;
    /* the parts' store becomes the items, recoded in place: no second array to fault in */
    crm_free(db->items);
    db->items = store;
    db->items_cap = store_cap;
    memset(&big, 0, sizeof big);
    if (base == NULL || sup == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    lbase = base + n_parts + 1;
    kept = lbase + n_parts + 1;
    for (int k = 0; k < n_parts; k++) {
        base[k] = total;
        lbase[k] = lines;
        total += parts[k].n_codes;
        lines += parts[k].n_lines;
    }
    rc = raw_dictionary(db, parts, n_parts, &dir, &dir_cap, &big, err);
    if (rc != CRM_OK) {
        goto done;
    }
    crm_free(db->off);
    db->off = crm_mallocarray((size_t)lines + 1, sizeof *db->off);
    db->item_sup = crm_calloc((size_t)db->n_items + 1, sizeof *db->item_sup);
    if (db->off == NULL || db->item_sup == NULL) {
        rc = crm__error_nomem(err);
        goto done;
    }
    db->off_cap = lines + 1;
    /* The codes seen are 0..n_items - 1 (dense ids in code order are the codes) and every
     * line is ascending without duplicates, as FIMI files are (retail's are): the parts'
     * codes are the items already and the supports their counts, so nothing is recoded. */
    identity = big.n == 0 && db->n_items > 0 && db->n_items <= dir_cap &&
               dir[db->n_items - 1] == db->n_items - 1;
    for (int k = 0; k < n_parts; k++) {
        identity &= parts[k].ascending;
    }
    if (identity) {
        for (int k = 0; k < n_parts; k++) {
            int64_t m = parts[k].seen_cap < db->n_items ? parts[k].seen_cap : db->n_items;
            for (int64_t c = 0; c < m; c++) {
                db->item_sup[c] += parts[k].seen[c];
            }
            for (int64_t t = 0; t < parts[k].n_lines; t++) {
                db->off[lbase[k] + 1 + t] = base[k] + parts[k].off[t + 1];
            }
            kept[k] = parts[k].n_codes;
        }
    } else {
        sup[0] = db->item_sup;
        for (int k = 1; k < np; k++) {
            sup[k] = crm_calloc((size_t)db->n_items + 1, sizeof *sup[k]);
            if (sup[k] == NULL) {
                rc = crm__error_nomem(err);
                goto done;
            }
        }
        /* each part recoded in its own place (a part's writes stay behind its reads), the
         * offsets as if every part started at base[k] */
#pragma omp parallel for num_threads(np) schedule(static, 1)
        for (int j = 0; j < np; j++) {
            for (int k = j; k < n_parts; k += np) {
                kept[k] = raw_recode(&parts[k], parts[k].codes, parts[k].codes, base[k],
                                     db->off + lbase[k] + 1, dir, dir_cap, &big, sup[j]);
            }
        }
        for (int j = 1; j < np; j++) {
            for (int32_t id = 0; id < db->n_items; id++) {
                db->item_sup[id] += sup[j][id];
            }
        }
    }
    /* then moved together, closing the gaps between the parts' places and those that
     * dropped duplicates left */
    w = 0;
    for (int k = 0; k < n_parts; k++) {
        if (db->items + w != parts[k].codes) {
            memmove(db->items + w, parts[k].codes, (size_t)kept[k] * sizeof *db->items);
        }
        if (w != base[k]) {
            for (int64_t t = lbase[k] + 1; t <= lbase[k] + parts[k].n_lines; t++) {
                db->off[t] -= base[k] - w;
            }
        }
        w += kept[k];
    }
    db->off[0] = 0;
    db->n_trans = lines;
    db->kind = FIM_KIND_INT;
    if (decimal_names(db) != CRM_OK) {
        rc = crm__error_nomem(err);
        goto done;
    }
    db->finished = 1; /* as in crm_fim_db_finish */
    if (build_indexes(db) != CRM_OK) {
        db->finished = 0;
        rc = crm__error_nomem(err);
    }
done:
    for (int k = 0; k < n_parts; k++) {
        parts[k].codes = NULL; /* in store, now the db's */
    }
    for (int k = 1; sup != NULL && k < np; k++) {
        crm_free(sup[k]);
    }
    CRM__FREE(sup, base, dir);
    crm__fim_cmap_fini(&big);
    return rc;
}

/* ---- subsets -------------------------------------------------------------------------------- */

static crm_status copy_dictionary(const crm_fim_db *db, crm_fim_db *s)
{
    size_t n = (size_t)db->n_items + 1;
    s->kind = db->kind;
    s->has_names = db->has_names;
    s->n_items = db->n_items;
    s->items_dict_cap = db->n_items + 1;
    s->codes = crm_mallocarray(n, sizeof *s->codes);
    s->name_off = crm_mallocarray(n, sizeof *s->name_off);
    s->names = crm_malloc((size_t)db->names_len + 1);
    if (s->codes == NULL || s->name_off == NULL || s->names == NULL) {
        return CRM_ENOMEM;
    }
    memcpy(s->codes, db->codes, (size_t)db->n_items * sizeof *s->codes);
    memcpy(s->name_off, db->name_off, (size_t)db->n_items * sizeof *s->name_off);
    memcpy(s->names, db->names, (size_t)db->names_len);
    s->names_len = db->names_len;
    s->names_cap = db->names_len + 1;
    return CRM_OK;
}

static crm_status copy_rows(const crm_fim_db *db, crm_fim_db *s, const int64_t *rows, int64_t n)
{
    int64_t total = 0;
    for (int64_t r = 0; r < n; r++) {
        total += db->off[rows[r] + 1] - db->off[rows[r]];
    }
    if (!grow((void **)&s->off, &s->off_cap, n + 1, sizeof *s->off) ||
        !grow((void **)&s->items, &s->items_cap, total + 1, sizeof *s->items)) {
        return CRM_ENOMEM;
    }
    s->off[0] = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t len = db->off[rows[r] + 1] - db->off[rows[r]];
        memcpy(s->items + s->off[r], db->items + db->off[rows[r]], (size_t)len * sizeof(int32_t));
        s->off[r + 1] = s->off[r] + len;
        if (db->has_customers) {
            const char *key = db->cust + db->cust_off[rows[r]];
            if (push_customer(s, key, strlen(key)) != CRM_OK) {
                return CRM_ENOMEM;
            }
        }
        s->n_trans = r + 1;
    }
    return CRM_OK;
}

crm_status crm_fim_db_subset(const crm_fim_db *db,
                             const int64_t *rows,
                             int64_t n,
                             crm_fim_db **out,
                             crm_error *err)
{
    crm_fim_db *s = NULL;
    crm_status rc;
    *out = NULL;
    if (db == NULL || n < 0 || (n > 0 && rows == NULL)) {
        return crm__error_set(err, CRM_EINVAL, "subset: bad arguments");
    }
    if (!db->finished) {
        return crm__error_set(err, CRM_ESTATE, "subset: the database is not finished");
    }
    for (int64_t r = 0; r < n; r++) {
        if (rows[r] < 0 || rows[r] >= db->n_trans) {
            return crm__error_set(err, CRM_EINVAL, "subset: row %lld out of range [0, %lld)",
                                  (long long)rows[r], (long long)db->n_trans);
        }
    }
    rc = crm_fim_db_new(&s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = copy_dictionary(db, s);
    if (rc == CRM_OK) {
        rc = copy_rows(db, s, rows, n);
    }
    if (rc == CRM_OK) {
        rc = count_supports(s);
    }
    if (rc == CRM_OK) {
        s->finished = 1;
        rc = build_indexes(s);
    }
    if (rc != CRM_OK) {
        crm_fim_db_free(s);
        return crm__error_nomem(err);
    }
    *out = s;
    return CRM_OK;
}

/* ---- accessors ------------------------------------------------------------------------------ */

bool crm_fim_db_is_finished(const crm_fim_db *db)
{
    return db != NULL && db->finished;
}

int64_t crm_fim_db_n_transactions(const crm_fim_db *db)
{
    return db == NULL ? 0 : db->n_trans;
}

int32_t crm_fim_db_n_items(const crm_fim_db *db)
{
    return db == NULL ? 0 : db->n_items;
}

int64_t crm_fim_db_n_entries(const crm_fim_db *db)
{
    return db == NULL ? 0 : db->off[db->n_trans];
}

bool crm_fim_db_has_names(const crm_fim_db *db)
{
    return db != NULL && db->has_names;
}

int32_t crm_fim_db_transaction(const crm_fim_db *db, int64_t i, const int32_t **items)
{
    if (db == NULL || !db->finished || i < 0 || i >= db->n_trans) {
        if (items != NULL) {
            *items = NULL;
        }
        return 0;
    }
    if (items != NULL) {
        *items = db->items + db->off[i];
    }
    return (int32_t)(db->off[i + 1] - db->off[i]);
}

const char *crm_fim_db_customer(const crm_fim_db *db, int64_t i)
{
    if (db == NULL || !db->has_customers || i < 0 || i >= db->n_trans) {
        return NULL;
    }
    return db->cust + db->cust_off[i];
}

int64_t crm_fim_db_find_customer(const crm_fim_db *db, const char *customer)
{
    const crm__fim_hash *h;
    size_t i;
    if (db == NULL || customer == NULL || !db->finished || !db->has_customers) {
        return -1;
    }
    h = &db->cust_hash;
    i = (size_t)crm__hash_bytes(customer, strlen(customer)) & h->mask;
    while (h->slot[i] >= 0) {
        if (strcmp(db->cust + db->cust_off[h->slot[i]], customer) == 0) {
            return h->slot[i];
        }
        i = (i + 1) & h->mask;
    }
    return -1;
}

const char *crm_fim_db_item_name(const crm_fim_db *db, int32_t item)
{
    if (db == NULL || !db->finished || item < 0 || item >= db->n_items) {
        return NULL;
    }
    return name_at(db, item);
}

int64_t crm_fim_db_item_code(const crm_fim_db *db, int32_t item)
{
    if (db == NULL || db->kind != FIM_KIND_INT || item < 0 || item >= db->n_items) {
        return -1;
    }
    return db->codes[item];
}

int32_t crm_fim_db_find_item(const crm_fim_db *db, const char *name)
{
    const crm__fim_hash *h;
    size_t i;
    if (db == NULL || name == NULL || !db->finished) {
        return -1;
    }
    h = &db->item_hash;
    i = (size_t)crm__hash_bytes(name, strlen(name)) & h->mask;
    while (h->slot[i] >= 0) {
        if (strcmp(name_at(db, h->slot[i]), name) == 0) {
            return h->slot[i];
        }
        i = (i + 1) & h->mask;
    }
    return -1;
}

int64_t crm_fim_db_item_support(const crm_fim_db *db, int32_t item)
{
    if (db == NULL || !db->finished || item < 0 || item >= db->n_items) {
        return 0;
    }
    return db->item_sup[item];
}
