/* fim_writer.c: itemset sinks that write text: SPMF ("1 5 9 #SUP: 123"), CSV and JSON.
 * Millions of itemsets a second are the norm, so each item's text (already escaped for the
 * format) is prepared once, supports are formatted by hand and output goes through a 1 MiB
 * buffer written with one fwrite per block. */
#include <stdio.h>
#include <string.h>

#include "fim_internal.h"

#define OUT_BLOCK (1u << 20)
/* Bytes past the texts and past the output block that put_items may read or write: it copies
 * item texts eight bytes at a time (a library call for the one to five bytes of a FIMI item
 * cost more than the copy: a quarter of writing mushroom's 3.8 million itemsets). */
#define COPY_SLACK 8

struct crm_itemset_writer {
    FILE *fp;
    crm_itemset_format format;
    int64_t n_trans;
    int32_t n_items;
    char *text;        /* item texts, back to back */
    int64_t *text_off; /* n_items + 1 */
    char *buf;
    size_t len;
    int64_t count;
    size_t max_text; /* longest item text */
    int failed;
    int finished;
};

/* SPMF puts one itemset on a line: a control byte inside an item name (a newline, CR, tab)
 * is written as \xHH so that it cannot split or garble the line. Blanks stay as they are
 * (names such as "whole milk" read better that way). */
static int spmf_escaped(unsigned char ch)
{
    return ch < 0x20 || ch == 0x7f;
}

static size_t escaped_len(const char *s, crm_itemset_format f)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (f == CRM_ITEMSET_JSON) {
            n += (ch == '"' || ch == '\\') ? 2 : ch < 0x20 ? 6 : 1;
        } else if (f == CRM_ITEMSET_CSV) {
            n += ch == '"' ? 2 : 1;
        } else {
            n += spmf_escaped(ch) ? 4 : 1;
        }
    }
    return n + 2;
}

static char *put_escaped(char *o, const char *s, crm_itemset_format f, int quote)
{
    static const char hex[] = "0123456789abcdef";
    if (quote) {
        *o++ = '"';
    }
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (f == CRM_ITEMSET_JSON && (ch == '"' || ch == '\\')) {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (f == CRM_ITEMSET_JSON && ch < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[ch >> 4];
            o[5] = hex[ch & 15];
            o += 6;
        } else if (f == CRM_ITEMSET_CSV && ch == '"') {
            *o++ = '"';
            *o++ = '"';
        } else if (f == CRM_ITEMSET_SPMF && spmf_escaped(ch)) {
            memcpy(o, "\\x", 2);
            o[2] = hex[ch >> 4];
            o[3] = hex[ch & 15];
            o += 4;
        } else {
            *o++ = (char)ch;
        }
    }
    if (quote) {
        *o++ = '"';
    }
    return o;
}

static crm_status prepare_texts(crm_itemset_writer *w, const crm_fim_db *db)
{
    size_t total = 0;
    int quote = w->format == CRM_ITEMSET_JSON && crm_fim_db_has_names(db);
    char *o;
    for (int32_t i = 0; i < w->n_items; i++) {
        total += escaped_len(crm_fim_db_item_name(db, i), w->format);
    }
    w->text = crm_malloc(total + 1 + COPY_SLACK);
    w->text_off = crm_mallocarray((size_t)w->n_items + 1, sizeof *w->text_off);
    if (w->text == NULL || w->text_off == NULL) {
        return CRM_ENOMEM;
    }
    o = w->text;
    for (int32_t i = 0; i < w->n_items; i++) {
        w->text_off[i] = o - w->text;
        o = put_escaped(o, crm_fim_db_item_name(db, i), w->format, quote);
    }
    w->text_off[w->n_items] = o - w->text;
    for (int32_t i = 0; i < w->n_items; i++) {
        size_t len = (size_t)(w->text_off[i + 1] - w->text_off[i]);
        w->max_text = len > w->max_text ? len : w->max_text;
    }
    return CRM_OK;
}

static int flush_buf(crm_itemset_writer *w)
{
    if (w->len > 0 && !w->failed) {
        if (fwrite(w->buf, 1, w->len, w->fp) != w->len) {
            w->failed = 1;
        }
    }
    w->len = 0;
    return !w->failed;
}

/* Make room for need bytes; items longer than a block go straight through. */
static int room(crm_itemset_writer *w, size_t need)
{
    if (w->len + need > OUT_BLOCK) {
        return flush_buf(w);
    }
    return 1;
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        *o++ = tmp[--n];
    }
    return o;
}

static char *
put_items(const crm_itemset_writer *w, char *o, const int32_t *items, int32_t n, char sep)
{
    for (int32_t i = 0; i < n; i++) {
        int64_t a = w->text_off[items[i]];
        size_t len = (size_t)(w->text_off[items[i] + 1] - a), k = 0;
        if (i > 0) {
            *o++ = sep;
        }
        do {
            memcpy(o + k, w->text + a + k, COPY_SLACK);
            k += COPY_SLACK;
        } while (k < len);
        o += len;
    }
    return o;
}

static crm_status
write_itemset(void *ud, const int32_t *items, int32_t n, int64_t support, crm_error *err)
{
    crm_itemset_writer *w = ud;
    size_t need = (size_t)n * (w->max_text + 1) + 96;
    char *o;
    double rel;
    for (int32_t i = 0; i < n; i++) {
        if ((uint32_t)items[i] >= (uint32_t)w->n_items) {
            return crm__error_set(err, CRM_EINVAL, "itemset writer: item %d out of range",
                                  (int)items[i]);
        }
    }
    if (!room(w, need)) {
        return crm__error_set(err, CRM_EIO, "writing itemsets failed");
    }
    if (need > OUT_BLOCK) {
        return crm__error_set(err, CRM_ELIMIT, "itemset text longer than %u bytes", OUT_BLOCK);
    }
    o = w->buf + w->len;
    switch (w->format) {
    case CRM_ITEMSET_SPMF:
        o = put_items(w, o, items, n, ' ');
        memcpy(o, " #SUP: ", 7);
        o = put_u64(o + 7, (uint64_t)support);
        *o++ = '\n';
        break;
    case CRM_ITEMSET_CSV:
        rel = w->n_trans > 0 ? (double)support / (double)w->n_trans : 0.0;
        *o++ = '"';
        *o++ = '{';
        o = put_items(w, o, items, n, ',');
        *o++ = '}';
        *o++ = '"';
        o += snprintf(o, 80, ",%d,%lld,%.10g\n", (int)n, (long long)support, rel);
        break;
    default:
        rel = w->n_trans > 0 ? (double)support / (double)w->n_trans : 0.0;
        if (w->count > 0) {
            *o++ = ',';
            *o++ = '\n';
        }
        memcpy(o, "{\"items\":[", 10);
        o = put_items(w, o + 10, items, n, ',');
        o += snprintf(o, 80, "],\"support\":%lld,\"relative_support\":%.10g}", (long long)support,
                      rel);
        break;
    }
    w->len = (size_t)(o - w->buf);
    w->count++;
    return CRM_OK;
}

crm_status crm_itemset_writer_new(FILE *fp,
                                  crm_itemset_format format,
                                  const crm_fim_db *db,
                                  crm_itemset_writer **out,
                                  crm_error *err)
{
    crm_itemset_writer *w;
    *out = NULL;
    if (fp == NULL || db == NULL || !crm_fim_db_is_finished(db) || format < CRM_ITEMSET_SPMF ||
        format > CRM_ITEMSET_JSON) {
        return crm__error_set(err, CRM_EINVAL, "itemset writer: bad arguments");
    }
    w = crm_calloc(1, sizeof *w);
    if (w == NULL) {
        return crm__error_nomem(err);
    }
    w->fp = fp;
    w->format = format;
    w->n_trans = crm_fim_db_n_transactions(db);
    w->n_items = crm_fim_db_n_items(db);
    w->buf = crm_malloc(OUT_BLOCK + COPY_SLACK);
    if (w->buf == NULL || prepare_texts(w, db) != CRM_OK) {
        crm_itemset_writer_free(w);
        return crm__error_nomem(err);
    }
    if (format == CRM_ITEMSET_CSV) {
        static const char head[] = "items,size,support,relative_support\n";
        memcpy(w->buf, head, sizeof head - 1);
        w->len = sizeof head - 1;
    } else if (format == CRM_ITEMSET_JSON) {
        w->buf[0] = '[';
        w->buf[1] = '\n';
        w->len = 2;
    }
    *out = w;
    return CRM_OK;
}

crm_itemset_sink crm_itemset_writer_sink(crm_itemset_writer *w)
{
    return (crm_itemset_sink){ .fn = write_itemset, .ud = w };
}

crm_status crm_itemset_writer_finish(crm_itemset_writer *w, crm_error *err)
{
    if (w == NULL) {
        return crm__error_set(err, CRM_EINVAL, "itemset writer is NULL");
    }
    if (!w->finished && w->format == CRM_ITEMSET_JSON) {
        if (room(w, 4)) {
            memcpy(w->buf + w->len, w->count > 0 ? "\n]\n" : "]\n", w->count > 0 ? 3 : 2);
            w->len += w->count > 0 ? 3 : 2;
        }
    }
    w->finished = 1;
    if (!flush_buf(w) || fflush(w->fp) != 0) {
        return crm__error_set(err, CRM_EIO, "writing itemsets failed");
    }
    return CRM_OK;
}

void crm_itemset_writer_free(crm_itemset_writer *w)
{
    if (w == NULL) {
        return;
    }
    CRM__FREE(w->text, w->text_off, w->buf, w);
}

void crm_itemset_writer_set_transactions(crm_itemset_writer *w, int64_t n)
{
    if (w != NULL) {
        w->n_trans = n;
    }
}
