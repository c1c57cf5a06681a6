/* fim_partition.c: frequent itemsets of an input larger than memory, in two passes
 * (Savasere, Omiecinski and Navathe 1995, "An efficient algorithm for mining association rules
 * in large databases"), and the same steps for a distributed run.
 *
 * Pass 1 reads the input in chunks of at most chunk_bytes of text and mines each chunk with the
 * in-memory miner at the minimum support scaled to its share of the transactions, rounded down:
 * an itemset below its share in every chunk is below the minimum support in the whole, so the
 * union of the chunks' itemsets holds every frequent itemset. Pass 2 reads the chunks again and
 * counts every candidate exactly: the chunk's transactions are turned into item tid-lists, and
 * the candidates, sorted as sequences (a prefix before its extensions), are counted by
 * intersecting the tid-list of their prefix (kept on a stack) with that of their last item.
 *
 * Items are known across chunks by their key (the integer of FIMI input, the name of basket
 * input), given a global id in an unfinished database used as a dictionary (its interning). The
 * frequent items make the final dictionary database, whose dense ids are the dictionary order
 * of the whole-file reader, and the result is sorted canonically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_internal.h"

struct crm_fim_part {
    crm_fim_read_options opt;
    crm_fim_params p;
    int64_t chunk_bytes;
    crm_fim_format fmt;  /* AUTO until detected */
    crm_fim_db *keys;    /* unfinished: global ids of item keys, and @ITEM names */
    crm_itemsets *cands; /* itemsets of global ids (sorted), support unused */
    int64_t *counts;     /* n candidates + 1 (transactions) */
    int64_t n_counts;    /* candidates counts are held for */
    int64_t peak;        /* the largest peak of a chunk's mining */
    /* scratch of a chunk */
    int32_t *l2g;
    int64_t l2g_cap;
    int32_t *tmp;
    int64_t tmp_cap;
};

crm_status crm_fim_part_new(const crm_fim_read_options *opt,
                            const crm_fim_params *p,
                            int64_t chunk_bytes,
                            crm_fim_part **out,
                            crm_error *err)
{
    crm_fim_part *pt;
    crm_status rc;
    *out = NULL;
    rc = crm_fim_params_check(p, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (opt == NULL || chunk_bytes <= 0) {
        return crm__error_set(err, CRM_EINVAL,
                              "partitioned mining: options and a chunk size are "
                              "required");
    }
    if (opt->format == CRM_FIM_FORMAT_LONG || opt->format == CRM_FIM_FORMAT_VAS) {
        return crm__error_set(err, CRM_EINVAL,
                              "partitioned mining reads FIMI and basket input (a line a "
                              "transaction); long and VAS rows of a customer may lie anywhere in "
                              "the file");
    }
    pt = crm_calloc(1, sizeof *pt);
    if (pt == NULL) {
        return crm__error_nomem(err);
    }
    pt->opt = *opt;
    pt->p = *p;
    pt->chunk_bytes = chunk_bytes;
    pt->fmt = opt->format;
    rc = crm_fim_db_new(&pt->keys, err);
    if (rc == CRM_OK) {
        rc = crm_itemsets_new(0, &pt->cands, err);
    }
    if (rc != CRM_OK) {
        crm_fim_part_free(pt);
        return rc;
    }
    *out = pt;
    return CRM_OK;
}

void crm_fim_part_free(crm_fim_part *pt)
{
    if (pt == NULL) {
        return;
    }
    crm_fim_db_free(pt->keys);
    crm_itemsets_free(pt->cands);
    CRM__FREE(pt->counts, pt->l2g, pt->tmp, pt);
}

int64_t crm_fim_part_n_items(const crm_fim_part *pt)
{
    return pt == NULL ? 0 : pt->keys->n_items;
}

/* ---- reading a range in chunks -------------------------------------------------------------- */

typedef struct chunker {
    crm__reader *whole; /* the file, when a range of it is read */
    crm__reader *r;
    crm__fim_rstate st;
    const char *src;
    int done;
} chunker;

static void chunker_fini(chunker *c)
{
    crm__reader_free(c->r);
    crm__reader_free(c->whole);
    crm_free(c->st.ids);
    c->r = NULL;
    c->whole = NULL;
    c->st.ids = NULL;
}

static crm_status chunker_open(chunker *c,
                               crm_fim_part *pt,
                               const char *path,
                               int64_t begin,
                               int64_t end,
                               int64_t line_base,
                               crm_error *err)
{
    crm__reader_limits lim;
    crm_status rc;
    memset(c, 0, sizeof *c);
    memset(&lim, 0, sizeof lim);
    lim.max_line =
        pt->opt.max_line_bytes > 0 ? (size_t)pt->opt.max_line_bytes : (size_t)CRM__READER_MAX_LINE;
    lim.n_threads = pt->opt.n_threads;
    if (begin == 0 && end < 0) {
        rc = crm__reader_open(path, &lim, &c->r, err);
    } else {
        const char *text;
        size_t len;
        rc = crm__reader_open(path, &lim, &c->whole, err);
        if (rc == CRM_OK && !crm__reader_whole(c->whole, &text, &len)) {
            rc = crm__error_set(err, CRM_EINVAL,
                                "%s: a part of a pipe or of a large gzip file cannot be read on "
                                "its own; give an uncompressed regular file",
                                path);
        }
        if (rc == CRM_OK) {
            size_t b = begin < 0 ? 0 : (size_t)begin;
            size_t e = end < 0 || (size_t)end > len ? len : (size_t)end;
            b = b > e ? e : b;
            rc = crm__reader_open_mem(text + b, e - b, crm__reader_source(c->whole), &lim, &c->r,
                                      err);
        }
    }
    if (rc != CRM_OK) {
        chunker_fini(c);
        return rc;
    }
    c->src = crm__reader_source(c->r);
    c->st.opt = &pt->opt;
    c->st.src = c->src;
    c->st.fmt = pt->fmt;
    c->st.line_base = line_base;
    c->st.chunk_bytes = pt->chunk_bytes;
    {
        /* Parts of equal size where the size is known: a small last part would be mined at a
         * share of the support near 1, where every subset of a basket is a candidate. */
        const char *text;
        size_t len;
        if (crm__reader_whole(c->r, &text, &len) && (int64_t)len > pt->chunk_bytes) {
            int64_t k = ((int64_t)len + pt->chunk_bytes - 1) / pt->chunk_bytes;
            c->st.chunk_bytes = ((int64_t)len + k - 1) / k;
        }
    }
    return CRM_OK;
}

/* The next chunk's finished database into *out, NULL at the end (or when it held no
 * transaction: *out NULL and c->done 0). */
static crm_status chunker_next(chunker *c, crm_fim_part *pt, crm_fim_db **out, crm_error *err)
{
    crm_fim_db *db = NULL;
    crm_status rc;
    *out = NULL;
    if (c->done) {
        return CRM_OK;
    }
    rc = crm_fim_db_new(&db, err);
    if (rc != CRM_OK) {
        return rc;
    }
    db->kind = c->st.fmt == CRM_FIM_FORMAT_BASKET ? FIM_KIND_NAMED : FIM_KIND_NONE;
    c->st.db = db;
    rc = crm__fim_read_chunk(c->r, &c->st, err);
    if (rc == CRM_OK) {
        crm_status ok = crm__reader_intact(c->whole != NULL ? c->whole : c->r, err);
        rc = ok != CRM_OK ? ok : crm__reader_intact(c->r, err);
    }
    pt->fmt = c->st.fmt;
    c->done = !c->st.more;
    if (rc == CRM_OK && db->kind == FIM_KIND_NAMED) {
        db->has_names = 1;
    }
    if (rc == CRM_OK && db->n_trans > 0) {
        rc = crm_fim_db_finish(db, err);
        if (rc == CRM_OK) {
            *out = db;
            return CRM_OK;
        }
    }
    crm_fim_db_free(db);
    return rc;
}

crm_status crm_fim_part_detect(crm_fim_part *pt, const char *path, crm_error *err)
{
    crm_status rc;
    crm__reader *r = NULL;
    const char *line;
    size_t len;
    int got;
    if (pt->fmt != CRM_FIM_FORMAT_AUTO) {
        return CRM_OK;
    }
    rc = crm__reader_open(path, NULL, &r, err);
    if (rc != CRM_OK) {
        return rc;
    }
    while ((got = crm__reader_line(r, &line, &len)) == CRM__READ_OK) {
        crm_fim_format f;
        if (crm__fim_line_format(line, len, &f)) {
            pt->fmt = f; /* a negative item is left for the reader to name */
            break;
        }
    }
    if (got == CRM__READ_FAIL) {
        rc = crm__reader_error(r, err);
    }
    crm__reader_free(r);
    return rc;
}

crm_status crm_fim_part_count(crm_fim_part *pt,
                              const char *path,
                              int64_t begin,
                              int64_t end,
                              int64_t line_base,
                              int64_t *n_trans,
                              crm_error *err)
{
    chunker c;
    crm_status rc = chunker_open(&c, pt, path, begin, end, line_base, err);
    *n_trans = 0;
    while (rc == CRM_OK && !c.done) {
        crm_fim_db *db;
        rc = chunker_next(&c, pt, &db, err);
        if (db != NULL) {
            *n_trans += db->n_trans;
            crm_fim_db_free(db);
        }
    }
    chunker_fini(&c);
    return rc;
}

/* ---- pass 1 ---------------------------------------------------------------------------------- */

/* Global ids of every item of the chunk db into pt->l2g. */
static crm_status map_items(crm_fim_part *pt, const crm_fim_db *db, crm_error *err)
{
    int32_t n = db->n_items;
    if (pt->keys->kind == FIM_KIND_NONE) {
        pt->keys->kind = db->kind;
    } else if (db->kind != pt->keys->kind) {
        return crm__error_set(err, CRM_EINVAL,
                              "parts of the input hold integer items and named items");
    }
    if (n > pt->l2g_cap) {
        int32_t *q = crm_realloc(pt->l2g, (size_t)n * sizeof *q);
        if (q == NULL) {
            return crm__error_nomem(err);
        }
        pt->l2g = q;
        pt->l2g_cap = n;
    }
    for (int32_t i = 0; i < n; i++) {
        crm_status rc;
        if (db->kind == FIM_KIND_INT) {
            rc = crm__fim_db_intern_code(pt->keys, db->codes[i], &pt->l2g[i], err);
        } else {
            const char *s = crm_fim_db_item_name(db, i);
            rc = crm__fim_db_intern_name(pt->keys, s, strlen(s), &pt->l2g[i], err);
        }
        if (rc != CRM_OK) {
            return rc;
        }
    }
    return CRM_OK;
}

static int tmp_reserve(crm_fim_part *pt, int64_t n)
{
    if (n > pt->tmp_cap) {
        int32_t *q = crm_realloc(pt->tmp, (size_t)n * sizeof *q);
        if (q == NULL) {
            return 0;
        }
        pt->tmp = q;
        pt->tmp_cap = n;
    }
    return 1;
}

/* Add the sorted global-id itemset g[0..n) unless held. */
static crm_status add_candidate(crm_fim_part *pt, const int32_t *g, int32_t n, crm_error *err)
{
    crm_itemset_sink s;
    if (crm__itemsets_find(pt->cands, g, n) >= 0) {
        return CRM_OK;
    }
    if (pt->p.max_itemsets > 0 && crm_itemsets_n_itemsets(pt->cands) >= pt->p.max_itemsets) {
        return crm__error_set(err, CRM_ELIMIT,
                              "more than %lld candidate itemsets in the parts of the input; "
                              "raise the minimum support, set a maximum itemset length or "
                              "raise --max-itemsets",
                              (long long)pt->p.max_itemsets);
    }
    if (pt->p.max_memory_bytes > 0 && (crm_itemsets_n_itemsets(pt->cands) & 4095) == 0 &&
        crm__itemsets_bytes(pt->cands) > pt->p.max_memory_bytes) {
        return crm__error_set(err, CRM_ELIMIT,
                              "the candidate itemsets of the parts of the input need more than "
                              "the memory limit of %lld MiB; use larger parts (--partition-mb), "
                              "a higher minimum support or a maximum itemset length",
                              (long long)(pt->p.max_memory_bytes >> 20));
    }
    s = crm_itemsets_sink(pt->cands);
    return s.fn(s.ud, g, n, 0, err);
}

static crm_status cand_sink(void *ud, const int32_t *items, int32_t n, int64_t sup, crm_error *err)
{
    crm_fim_part *pt = ud;
    (void)sup;
    if (!tmp_reserve(pt, n)) {
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n; i++) {
        pt->tmp[i] = pt->l2g[items[i]];
    }
    crm__fim_sort_i32(pt->tmp, n);
    return add_candidate(pt, pt->tmp, n, err);
}

/* minsup_count * n needs more than 64 bits before the division. */
__extension__ typedef __int128 wide_int;

/* The minimum support of a chunk of n transactions, rounded down from its share (never
 * losing an itemset frequent in the whole). */
static int64_t chunk_minsup(const crm_fim_params *p, int64_t n, int64_t n_total)
{
    int64_t t;
    if (p->minsup_count > 0) {
        t = (int64_t)(((wide_int)p->minsup_count * n) / (n_total > 0 ? n_total : 1));
    } else {
        t = (int64_t)(p->minsup * (double)n * (1.0 - 2e-9));
    }
    return t < 1 ? 1 : t;
}

crm_status crm_fim_part_pass1(crm_fim_part *pt,
                              const char *path,
                              int64_t begin,
                              int64_t end,
                              int64_t line_base,
                              int64_t n_total,
                              const crm_progress *progress,
                              crm_error *err)
{
    chunker c;
    crm_status rc;
    if (pt->p.minsup_count > 0 && n_total <= 0) {
        return crm__error_set(err, CRM_EINVAL,
                              "partitioned mining at a support count needs the number of "
                              "transactions first");
    }
    rc = chunker_open(&c, pt, path, begin, end, line_base, err);
    if (rc != CRM_OK) {
        return rc;
    }
    while (rc == CRM_OK && !c.done) {
        crm_fim_db *db;
        crm_fim_params lp = pt->p;
        crm_itemset_sink s;
        crm_fim_stats st;
        rc = chunker_next(&c, pt, &db, err);
        if (db == NULL) {
            continue;
        }
        /* @ITEM names of the chunk are kept for the final dictionary */
        for (int32_t i = 0; rc == CRM_OK && i < db->n_meta; i++) {
            const char *nm = db->names + db->meta_name_off[i];
            rc = crm__fim_db_add_meta_name(pt->keys, db->meta_codes[i], nm, strlen(nm), err);
        }
        if (rc == CRM_OK) {
            rc = map_items(pt, db, err);
        }
        lp.minsup_count = chunk_minsup(&pt->p, db->n_trans, n_total);
        lp.min_len = 1;
        lp.mode = CRM_FIM_ALL;
        lp.max_itemsets = pt->p.max_itemsets;
        s.fn = cand_sink;
        s.ud = pt;
        if (rc == CRM_OK) {
            rc = crm_fim_mine(db, &lp, &s, NULL, &st, err);
            pt->peak = st.peak_memory_bytes > pt->peak ? st.peak_memory_bytes : pt->peak;
            if (rc == CRM_ELIMIT) {
                char why[160];
                snprintf(why, sizeof why, "%.150s", err != NULL ? err->msg : "a limit");
                rc = crm__error_set(err, CRM_ELIMIT,
                                    "%s: a part of %lld transactions mined at its share of the "
                                    "minimum support (%lld) gives too many candidates (%s); use "
                                    "larger parts (--partition-mb), a higher minimum support or a "
                                    "maximum itemset length",
                                    c.src, (long long)db->n_trans, (long long)lp.minsup_count, why);
            }
        }
        crm_fim_db_free(db);
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "pass 1 of 2", crm__reader_fraction(c.r))) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    chunker_fini(&c);
    return rc;
}

/* ---- candidates as bytes -----------------------------------------------------------------------
 */

static void bput_str(crm__bytes_out *b, const char *s)
{
    crm__bytes_put_str(b, s, strlen(s));
}

#define EXPORT_MAGIC 0x31504d4643LL /* "CFMP1" */

crm_status crm_fim_part_export(const crm_fim_part *pt, char **buf, size_t *len, crm_error *err)
{
    crm__bytes_out b;
    const crm_fim_db *k = pt->keys;
    int64_t n = crm_itemsets_n_itemsets(pt->cands);
    memset(&b, 0, sizeof b);
    crm__bytes_put_i64(&b, EXPORT_MAGIC);
    crm__bytes_put_i64(&b, k->kind);
    crm__bytes_put_i64(&b, k->n_meta);
    for (int32_t i = 0; i < k->n_meta; i++) {
        crm__bytes_put_i64(&b, k->meta_codes[i]);
        bput_str(&b, k->names + k->meta_name_off[i]);
    }
    crm__bytes_put_i64(&b, n);
    for (int64_t i = 0; i < n; i++) {
        const int32_t *g;
        int32_t m = crm_itemsets_get(pt->cands, i, &g, NULL);
        crm__bytes_put_i64(&b, m);
        for (int32_t j = 0; j < m; j++) {
            if (k->kind == FIM_KIND_INT) {
                crm__bytes_put_i64(&b, k->codes[g[j]]);
            } else {
                bput_str(&b, k->names + k->name_off[g[j]]);
            }
        }
    }
    return crm__bytes_out_take(&b, buf, len, err);
}

void crm_fim_part_clear(crm_fim_part *pt)
{
    crm_itemsets *c = NULL;
    if (crm_itemsets_new(0, &c, NULL) == CRM_OK) {
        crm_itemsets_free(pt->cands);
        pt->cands = c;
    }
    crm_free(pt->counts);
    pt->counts = NULL;
    pt->n_counts = 0;
}

crm_status crm_fim_part_import(crm_fim_part *pt, const char *buf, size_t len, crm_error *err)
{
    crm__bytes_in r;
    int64_t kind, n_meta, n;
    crm_status rc = CRM_OK;
    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    if (crm__bytes_get_i64(&r) != EXPORT_MAGIC) {
        return crm__error_set(err, CRM_EPARSE,
                              "candidate itemsets from another process are "
                              "damaged");
    }
    kind = crm__bytes_get_i64(&r);
    n_meta = crm__bytes_get_i64(&r);
    if (kind != FIM_KIND_NONE) {
        if (pt->keys->kind == FIM_KIND_NONE) {
            pt->keys->kind = (int)kind;
        } else if (pt->keys->kind != kind) {
            return crm__error_set(err, CRM_EINVAL,
                                  "parts of the input hold integer items and named items");
        }
    }
    for (int64_t i = 0; rc == CRM_OK && !r.bad && i < n_meta; i++) {
        int64_t code = crm__bytes_get_i64(&r);
        size_t sl = 0;
        const char *s = crm__bytes_get_str(&r, &sl);
        if (!r.bad) {
            rc = crm__fim_db_add_meta_name(pt->keys, code, s, sl, err);
        }
    }
    n = crm__bytes_get_i64(&r);
    for (int64_t i = 0; rc == CRM_OK && !r.bad && i < n; i++) {
        int64_t m = crm__bytes_get_i64(&r);
        if (m < 1 || m > INT32_MAX || !tmp_reserve(pt, m)) {
            r.bad = 1;
            break;
        }
        for (int64_t j = 0; rc == CRM_OK && !r.bad && j < m; j++) {
            if (kind == FIM_KIND_INT) {
                int64_t code = crm__bytes_get_i64(&r);
                if (code < 0 || code > INT32_MAX) {
                    r.bad = 1;
                } else if (!r.bad) {
                    rc = crm__fim_db_intern_code(pt->keys, code, &pt->tmp[j], err);
                }
            } else {
                size_t sl = 0;
                const char *s = crm__bytes_get_str(&r, &sl);
                if (!r.bad) {
                    rc = crm__fim_db_intern_name(pt->keys, s, sl, &pt->tmp[j], err);
                }
            }
        }
        if (rc == CRM_OK && !r.bad) {
            crm__fim_sort_i32(pt->tmp, m);
            rc = add_candidate(pt, pt->tmp, (int32_t)m, err);
        }
    }
    if (rc == CRM_OK && !crm__bytes_in_done(&r)) {
        rc = crm__error_set(err, CRM_EPARSE,
                            "candidate itemsets from another process are "
                            "damaged");
    }
    return rc;
}

/* ---- pass 2 -----------------------------------------------------------------------------------
 */

typedef struct counter {
    int64_t n_cands;
    int64_t *order; /* candidates as sequences of global ids, a prefix before its extensions */
    int32_t *g2l;   /* chunk id of each global id, -1 */
    int64_t g2l_cap;
    int64_t *toff; /* tid-lists of the chunk's items */
    int32_t *tids;
    int32_t **lvl; /* intersections along the current candidate */
    int64_t *lvl_len, *lvl_cap;
    int32_t n_lvl;
} counter;

static void counter_fini(counter *k)
{
    for (int32_t i = 0; i < k->n_lvl; i++) {
        crm_free(k->lvl[i]);
    }
    CRM__FREE(k->order, k->g2l, k->toff, k->tids, k->lvl, k->lvl_len, k->lvl_cap);
}

static crm_status counter_init(counter *k, crm_fim_part *pt, crm_error *err)
{
    int64_t n = crm_itemsets_n_itemsets(pt->cands), total = 0;
    int32_t maxlen = 1;
    int64_t *off, *tmp;
    int32_t *items;
    memset(k, 0, sizeof *k);
    k->n_cands = n;
    for (int64_t i = 0; i < n; i++) {
        int32_t m = crm_itemsets_get(pt->cands, i, NULL, NULL);
        total += m;
        maxlen = m > maxlen ? m : maxlen;
    }
    off = crm_mallocarray((size_t)n + 1, sizeof *off);
    items = crm_mallocarray((size_t)total + 1, sizeof *items);
    tmp = crm_mallocarray(3 * (size_t)n + 1, sizeof *tmp);
    k->order = crm_mallocarray((size_t)n + 1, sizeof *k->order);
    k->lvl = crm_calloc((size_t)maxlen, sizeof *k->lvl);
    k->lvl_len = crm_calloc((size_t)maxlen, sizeof *k->lvl_len);
    k->lvl_cap = crm_calloc((size_t)maxlen, sizeof *k->lvl_cap);
    k->n_lvl = maxlen;
    if (off == NULL || items == NULL || tmp == NULL || k->order == NULL || k->lvl == NULL ||
        k->lvl_len == NULL || k->lvl_cap == NULL) {
        CRM__FREE(off, items, tmp);
        counter_fini(k);
        return crm__error_nomem(err);
    }
    off[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *g;
        int32_t m = crm_itemsets_get(pt->cands, i, &g, NULL);
        memcpy(items + off[i], g, (size_t)m * sizeof *g);
        off[i + 1] = off[i] + m;
        k->order[i] = i;
    }
    crm__fim_lex_sort(off, items, pt->keys->n_items > 0 ? pt->keys->n_items : 1, k->order, tmp, n);
    CRM__FREE(off, items, tmp);
    return CRM_OK;
}

/* Tid-lists of the chunk's items, and each global id's chunk id. */
static crm_status counter_chunk(counter *k, crm_fim_part *pt, const crm_fim_db *db, crm_error *err)
{
    int32_t n = db->n_items;
    int64_t ng = pt->keys->n_items, *pos;
    crm_status rc = map_items(pt, db, err);
    if (rc != CRM_OK) {
        return rc;
    }
    if (ng > k->g2l_cap) {
        int32_t *q = crm_realloc(k->g2l, (size_t)ng * sizeof *q);
        if (q == NULL) {
            return crm__error_nomem(err);
        }
        k->g2l = q;
        k->g2l_cap = ng;
    }
    memset(k->g2l, 0xff, (size_t)ng * sizeof *k->g2l);
    for (int32_t i = 0; i < n; i++) {
        k->g2l[pt->l2g[i]] = i;
    }
    crm_free(k->toff);
    crm_free(k->tids);
    k->toff = crm_calloc((size_t)n + 1, sizeof *k->toff);
    k->tids = crm_mallocarray((size_t)db->off[db->n_trans] + 1, sizeof *k->tids);
    pos = crm_mallocarray((size_t)n + 1, sizeof *pos);
    if (k->toff == NULL || k->tids == NULL || pos == NULL) {
        crm_free(pos);
        return crm__error_nomem(err);
    }
    for (int32_t i = 0; i < n; i++) {
        k->toff[i + 1] = k->toff[i] + db->item_sup[i];
    }
    memcpy(pos, k->toff, (size_t)n * sizeof *pos);
    for (int64_t t = 0; t < db->n_trans; t++) {
        for (int64_t j = db->off[t]; j < db->off[t + 1]; j++) {
            k->tids[pos[db->items[j]]++] = (int32_t)t;
        }
    }
    crm_free(pos);
    return CRM_OK;
}

static int lvl_reserve(counter *k, int32_t d, int64_t n)
{
    if (n > k->lvl_cap[d]) {
        int32_t *q = crm_realloc(k->lvl[d], (size_t)(n > 0 ? n : 1) * sizeof *q);
        if (q == NULL) {
            return 0;
        }
        k->lvl[d] = q;
        k->lvl_cap[d] = n;
    }
    return 1;
}

/* Add the support in the chunk of every candidate to counts. */
static crm_status count_chunk(counter *k, crm_fim_part *pt, int64_t *counts, crm_error *err)
{
    const int32_t *prev = NULL;
    int32_t prev_n = 0;
    for (int64_t o = 0; o < k->n_cands; o++) {
        int64_t ci = k->order[o];
        const int32_t *g;
        int32_t m = crm_itemsets_get(pt->cands, ci, &g, NULL), common = 0;
        while (common < m - 1 && common < prev_n && prev[common] == g[common]) {
            common++;
        }
        for (int32_t d = common; d < m; d++) {
            int32_t l = k->g2l[g[d]];
            const int32_t *a = l >= 0 ? k->tids + k->toff[l] : NULL;
            int64_t na = l >= 0 ? k->toff[l + 1] - k->toff[l] : 0;
            if (d == 0) {
                if (!lvl_reserve(k, 0, na)) {
                    return crm__error_nomem(err);
                }
                if (na > 0) {
                    memcpy(k->lvl[0], a, (size_t)na * sizeof *a);
                }
                k->lvl_len[0] = na;
            } else {
                const int32_t *b = k->lvl[d - 1];
                int64_t nb = k->lvl_len[d - 1], i = 0, j = 0, c = 0;
                int32_t *out;
                if (!lvl_reserve(k, d, na < nb ? na : nb)) {
                    return crm__error_nomem(err);
                }
                out = k->lvl[d];
                while (i < na && j < nb) {
                    if (a[i] < b[j]) {
                        i++;
                    } else if (a[i] > b[j]) {
                        j++;
                    } else {
                        out[c++] = a[i];
                        i++;
                        j++;
                    }
                }
                k->lvl_len[d] = c;
            }
        }
        counts[ci] += k->lvl_len[m - 1];
        prev = g;
        prev_n = m;
    }
    return CRM_OK;
}

crm_status crm_fim_part_pass2(crm_fim_part *pt,
                              const char *path,
                              int64_t begin,
                              int64_t end,
                              int64_t line_base,
                              const crm_progress *progress,
                              crm_error *err)
{
    chunker c;
    counter k;
    int64_t n = crm_itemsets_n_itemsets(pt->cands);
    crm_status rc;
    if (pt->counts == NULL || pt->n_counts != n) {
        int64_t *q = crm_calloc((size_t)n + 1, sizeof *q);
        if (q == NULL) {
            return crm__error_nomem(err);
        }
        crm_free(pt->counts);
        pt->counts = q;
        pt->n_counts = n;
    }
    rc = counter_init(&k, pt, err);
    if (rc != CRM_OK) {
        return rc;
    }
    rc = chunker_open(&c, pt, path, begin, end, line_base, err);
    if (rc != CRM_OK) {
        counter_fini(&k);
        return rc;
    }
    while (rc == CRM_OK && !c.done) {
        crm_fim_db *db;
        rc = chunker_next(&c, pt, &db, err);
        if (db == NULL) {
            continue;
        }
        rc = counter_chunk(&k, pt, db, err);
        if (rc == CRM_OK) {
            rc = count_chunk(&k, pt, pt->counts, err);
        }
        pt->counts[n] += db->n_trans;
        crm_fim_db_free(db);
        if (rc == CRM_OK &&
            !crm_progress_report(progress, "pass 2 of 2", crm__reader_fraction(c.r))) {
            rc = crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
    }
    chunker_fini(&c);
    counter_fini(&k);
    return rc;
}

int64_t crm_fim_part_n_counts(const crm_fim_part *pt)
{
    return crm_itemsets_n_itemsets(pt->cands) + 1;
}

int64_t *crm_fim_part_counts(crm_fim_part *pt)
{
    int64_t n = crm_itemsets_n_itemsets(pt->cands);
    if (pt->counts == NULL || pt->n_counts != n) {
        int64_t *q = crm_calloc((size_t)n + 1, sizeof *q);
        if (q == NULL) {
            return NULL;
        }
        crm_free(pt->counts);
        pt->counts = q;
        pt->n_counts = n;
    }
    return pt->counts;
}

/* ---- the result ---------------------------------------------------------------------------------
 */

static const crm_fim_part *sort_pt; /* qsort has no context; result is not reentrant per process */

static int cmp_gid(const void *a, const void *b)
{
    const crm_fim_db *k = sort_pt->keys;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (k->kind == FIM_KIND_INT) {
        return k->codes[x] < k->codes[y] ? -1 : k->codes[x] > k->codes[y];
    }
    return strcmp(k->names + k->name_off[x], k->names + k->name_off[y]);
}

crm_status crm_fim_part_result(crm_fim_part *pt,
                               crm_fim_db **dict,
                               crm_itemsets **sets,
                               crm_fim_stats *stats,
                               crm_error *err)
{
    const crm_fim_db *k = pt->keys;
    int64_t n = crm_itemsets_n_itemsets(pt->cands), n_trans, minsup, n_freq = 0;
    int32_t *freq = NULL, *g2d = NULL, *buf = NULL;
    crm_fim_db *d = NULL;
    crm_itemsets *c = NULL;
    crm_status rc = CRM_OK;
    int64_t *counts = crm_fim_part_counts(pt);
    *dict = NULL;
    *sets = NULL;
    if (counts == NULL) {
        return crm__error_nomem(err);
    }
    n_trans = counts[n];
    if (n_trans <= 0) {
        return crm__error_set(err, CRM_EDATA, "no transactions in the input");
    }
    minsup = crm_fim_minsup_count(&pt->p, n_trans);
    g2d = crm_mallocarray((size_t)k->n_items + 1, sizeof *g2d);
    freq = crm_mallocarray((size_t)k->n_items + 1, sizeof *freq);
    buf = crm_mallocarray((size_t)k->n_items + 1, sizeof *buf);
    if (g2d == NULL || freq == NULL || buf == NULL) {
        rc = crm__error_nomem(err);
        goto out;
    }
    memset(g2d, 0xff, ((size_t)k->n_items + 1) * sizeof *g2d);
    for (int64_t i = 0; i < n; i++) {
        const int32_t *g;
        int32_t m = crm_itemsets_get(pt->cands, i, &g, NULL);
        if (m == 1 && counts[i] >= minsup) {
            freq[n_freq++] = g[0];
        }
    }
    sort_pt = pt;
    qsort(freq, (size_t)n_freq, sizeof *freq, cmp_gid);
    for (int64_t i = 0; i < n_freq; i++) {
        g2d[freq[i]] = (int32_t)i;
    }
    /* the dictionary: @ITEM names, then one transaction of the frequent items */
    rc = crm_fim_db_new(&d, err);
    for (int32_t i = 0; rc == CRM_OK && i < k->n_meta; i++) {
        const char *nm = k->names + k->meta_name_off[i];
        rc = crm__fim_db_add_meta_name(d, k->meta_codes[i], nm, strlen(nm), err);
    }
    if (rc == CRM_OK && k->kind == FIM_KIND_NAMED) {
        const char **names = crm_mallocarray((size_t)n_freq + 1, sizeof *names);
        if (names == NULL) {
            rc = crm__error_nomem(err);
        } else {
            for (int64_t i = 0; i < n_freq; i++) {
                names[i] = k->names + k->name_off[freq[i]];
            }
            rc = crm_fim_db_add_named(d, names, (int32_t)n_freq, NULL, err);
            crm_free(names);
        }
    } else if (rc == CRM_OK) {
        for (int64_t i = 0; i < n_freq; i++) {
            buf[i] = (int32_t)k->codes[freq[i]];
        }
        rc = crm_fim_db_add_transaction(d, buf, (int32_t)n_freq, NULL, err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_db_finish(d, err);
    }
    if (rc == CRM_OK && crm_fim_db_n_items(d) != n_freq) {
        rc = crm__error_set(err, CRM_EINTERNAL,
                            "partitioned mining: the dictionary has %d items "
                            "for %lld frequent ones",
                            (int)crm_fim_db_n_items(d), (long long)n_freq);
    }
    if (rc == CRM_OK) {
        rc = crm_itemsets_new(n_trans, &c, err);
    }
    for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
        const int32_t *g;
        int32_t m = crm_itemsets_get(pt->cands, i, &g, NULL), ok = 1;
        crm_itemset_sink s;
        if (counts[i] < minsup || (pt->p.max_len > 0 && m > pt->p.max_len)) {
            continue;
        }
        for (int32_t j = 0; j < m; j++) {
            buf[j] = g2d[g[j]];
            ok &= buf[j] >= 0;
        }
        if (!ok) {
            rc = crm__error_set(err, CRM_EINTERNAL,
                                "partitioned mining: a frequent itemset holds an infrequent item");
            break;
        }
        crm__fim_sort_i32(buf, m);
        s = crm_itemsets_sink(c);
        rc = s.fn(s.ud, buf, m, counts[i], err);
    }
    if (rc == CRM_OK) {
        rc = crm_itemsets_sort(c, err);
    }
    if (stats != NULL) {
        memset(stats, 0, sizeof *stats);
        stats->minsup_count = minsup;
        stats->n_frequent_items = (int32_t)n_freq;
        stats->n_transactions = n_trans;
        stats->peak_memory_bytes = pt->peak;
    }
out:
    CRM__FREE(g2d, freq, buf);
    if (rc != CRM_OK) {
        crm_fim_db_free(d);
        crm_itemsets_free(c);
        return rc;
    }
    *dict = d;
    *sets = c;
    return CRM_OK;
}

crm_status crm_itemsets_emit(const crm_itemsets *c,
                             const crm_fim_params *p,
                             const crm_itemset_sink *sink,
                             crm_fim_stats *stats,
                             crm_error *err)
{
    crm_fim_stats st;
    crm_status rc = CRM_OK;
    memset(&st, 0, sizeof st);
    if (p->mode != CRM_FIM_ALL) {
        rc = crm__fim_filter_emit(c, p->mode, p, sink, &st, err);
    } else {
        int64_t n = crm_itemsets_n_itemsets(c);
        for (int64_t i = 0; rc == CRM_OK && i < n; i++) {
            const int32_t *items;
            int64_t sup;
            int32_t len = crm_itemsets_get(c, i, &items, &sup);
            if (len < p->min_len) {
                continue;
            }
            rc = sink->fn(sink->ud, items, len, sup, err);
            st.n_itemsets++;
            st.max_len = len > st.max_len ? len : st.max_len;
        }
    }
    if (stats != NULL) {
        stats->n_itemsets = st.n_itemsets;
        stats->max_len = st.max_len;
    }
    return rc;
}

crm_status crm_fim_mine_partitioned(const char *path,
                                    const crm_fim_read_options *opt,
                                    const crm_fim_params *p,
                                    int64_t chunk_bytes,
                                    const crm_progress *progress,
                                    crm_fim_db **dict,
                                    crm_itemsets **sets,
                                    crm_fim_stats *stats,
                                    crm_error *err)
{
    crm_fim_part *pt = NULL;
    int64_t n_total = 0;
    double t0 = crm__now_seconds();
    crm_status rc = crm_fim_part_new(opt, p, chunk_bytes, &pt, err);
    *dict = NULL;
    *sets = NULL;
    if (rc == CRM_OK) {
        rc = crm_fim_part_detect(pt, path, err);
    }
    if (rc == CRM_OK && p->minsup_count > 0) {
        rc = crm_fim_part_count(pt, path, 0, -1, 0, &n_total, err);
        if (rc == CRM_OK && n_total == 0) {
            rc = crm__error_at(err, CRM_EDATA, path, 0, 0, "no transactions in the input");
        }
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_pass1(pt, path, 0, -1, 0, n_total, progress, err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_pass2(pt, path, 0, -1, 0, progress, err);
    }
    if (rc == CRM_OK) {
        rc = crm_fim_part_result(pt, dict, sets, stats, err);
    }
    if (stats != NULL && rc == CRM_OK) {
        stats->seconds = crm__now_seconds() - t0;
    }
    crm_fim_part_free(pt);
    return rc;
}
