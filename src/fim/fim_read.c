/* fim_read.c: transaction readers: FIMI/SPMF integers, baskets of names (R arules
 * read.transactions(format = "basket")), long CSV (customer, item) and VAS logs (long CSV with
 * a status filter and items from one or more columns). Every format takes .gz.
 *
 * The bytes come through io's reader (io/reader.h): a regular file, or a gzip file up to its
 * bound, is held whole in memory; a larger gzip file and a pipe are streamed line by line.
 * The FIMI path is the hot one (millions of items). Whole text is cut at line ends into one
 * part per thread, each parsed into raw codes in one shared store, and the database built
 * from the parts in parallel (crm__fim_db_from_raw); what the parts decline goes to the serial
 * reader: a line reader, digits parsed inline, item codes interned through a direct table or a
 * hash, which gives the errors with their lines and columns. */
#include <string.h>

#include "fim_internal.h"

#define DEFAULT_MAX_LINE ((int64_t)CRM__READER_MAX_LINE)

crm_fim_read_options crm_fim_read_options_default(void)
{
    crm_fim_read_options o;
    memset(&o, 0, sizeof o);
    o.format = CRM_FIM_FORMAT_AUTO;
    o.sep = ',';
    o.skip_empty = false;
    o.max_line_bytes = DEFAULT_MAX_LINE;
    return o;
}

/* ---- FIMI ---------------------------------------------------------------------------------- */

int crm__fim_ids_reserve(crm__fim_rstate *st, int64_t n)
{
    return crm__grow_items(&st->ids, &st->ids_cap, n, sizeof *st->ids, 256);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* "@ITEM=code=name" names an item; other "@" lines are SPMF metadata and are skipped. */
static crm_status
fimi_meta(crm__fim_rstate *st, const char *s, size_t n, int64_t line_no, crm_error *err)
{
    size_t i = 6;
    int64_t code = 0;
    if (n < 6 || memcmp(s, "@ITEM=", 6) != 0) {
        return CRM_OK;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        code = code * 10 + (s[i] - '0');
        if (code > INT32_MAX) {
            break;
        }
        i++;
    }
    if (i == 6 || i >= n || s[i] != '=' || code > INT32_MAX) {
        return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                             "expected \"@ITEM=<integer>=<name>\"");
    }
    i++;
    while (n > i && s[n - 1] == '\r') {
        n--;
    }
    return crm__fim_db_add_meta_name(st->db, code, s + i, n - i, err);
}

static crm_status fimi_bad_token(crm__fim_rstate *st,
                                 const char *s,
                                 size_t n,
                                 size_t i,
                                 int64_t line_no,
                                 crm_error *err)
{
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && j - i < 40) {
        j++;
    }
    if (s[i] >= '0' && s[i] <= '9') {
        return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                             "item \"%.*s\" is not an integer in 0..2147483647", (int)(j - i),
                             s + i);
    }
    return crm__error_at(err, CRM_EPARSE, st->src, line_no, (int64_t)i + 1,
                         "expected a non-negative integer item, got \"%.*s\" (FIMI format; "
                         "use --format basket for named items)",
                         (int)(j - i), s + i);
}

static crm_status
fimi_line(crm__fim_rstate *st, const char *s, size_t n, int64_t line_no, crm_error *err)
{
    int32_t m = 0;
    size_t i = 0;
    crm_status rc;
    if (n > 0 && s[0] == '@') {
        return fimi_meta(st, s, n, line_no, err);
    }
    if (!crm__fim_ids_reserve(st, (int64_t)n / 2 + 1)) {
        return crm__error_nomem(err);
    }
    while (i < n) {
        int64_t v = 0;
        size_t start;
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && v <= INT32_MAX) {
            v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == start || v > INT32_MAX || (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')) {
            return fimi_bad_token(st, s, n, start, line_no, err);
        }
        /* the direct table inline: most codes were seen before */
        if (v < st->db->code_dir_cap && st->db->code_dir[v] >= 0) {
            st->ids[m++] = st->db->code_dir[v];
            continue;
        }
        rc = crm__fim_db_intern_code(st->db, v, &st->ids[m], err);
        if (rc != CRM_OK) {
            return rc;
        }
        m++;
    }
    return crm__fim_db_push_ids(st->db, st->ids, m, NULL, 0, err);
}

/* ---- baskets of names --------------------------------------------------------------------- */

static crm_status basket_line(crm__fim_rstate *st, const char *s, size_t n, crm_error *err)
{
    char sep = st->opt->sep;
    int32_t m = 0;
    size_t i = 0;
    crm_status rc;
    while (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (!crm__fim_ids_reserve(st, (int64_t)n / 2 + 1)) {
        return crm__error_nomem(err);
    }
    while (i <= n) {
        size_t j = i;
        if (sep == ' ') {
            while (j < n && s[j] != ' ' && s[j] != '\t') {
                j++;
            }
        } else {
            while (j < n && s[j] != sep) {
                j++;
            }
        }
        if (j > i) {
            rc = crm__fim_db_intern_name(st->db, s + i, j - i, &st->ids[m], err);
            if (rc != CRM_OK) {
                return rc;
            }
            m++;
        }
        i = j + 1;
    }
    return crm__fim_db_push_ids(st->db, st->ids, m, NULL, 0, err);
}

/* ---- the line loop for FIMI and baskets ---------------------------------------------------- */

static int looks_integer(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == ' ' || c == '\t' || c == '\r' || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/* Integers separated by blanks, at least one of them negative ("1 -2 3"): FIMI with a
 * negative item, not a basket of one item named "1 -2 3". */
static int looks_signed_integers(const char *s, size_t n)
{
    int minus = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9' &&
            (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
            minus = 1;
        } else if (!(c == ' ' || c == '\t' || c == '\r' || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return minus;
}

static crm_status
read_lines(crm__reader *lr, crm__fim_rstate *st, const crm_progress *progress, crm_error *err)
{
    crm_fim_format fmt = st->fmt;
    const char *line;
    size_t len;
    int64_t used = 0;
    int rc;
    st->more = 0;
    while ((rc = crm__reader_line(lr, &line, &len)) == CRM__READ_OK) {
        crm_status s;
        used += (int64_t)len + 1;
        if (st->chunk_bytes > 0 && used >= st->chunk_bytes) {
            st->more = 1; /* this line is the chunk's last */
        }
        if (is_blank(line, len)) {
            if (!st->opt->skip_empty) {
                s = crm__fim_db_push_ids(st->db, NULL, 0, NULL, 0, err);
                if (s != CRM_OK) {
                    return s;
                }
            }
            if (st->more) {
                break;
            }
            continue;
        }
        if (fmt == CRM_FIM_FORMAT_AUTO && line[0] != '@') {
            if (looks_signed_integers(line, len)) {
                return crm__error_at(err, CRM_EPARSE, st->src,
                                     st->line_base + crm__reader_line_no(lr), 0,
                                     "a negative item in a line of integers: FIMI items are "
                                     "whole numbers >= 0 (give --format basket if each line "
                                     "is one item name)");
            }
            fmt = looks_integer(line, len) ? CRM_FIM_FORMAT_FIMI : CRM_FIM_FORMAT_BASKET;
            st->fmt = fmt;
        }
        if (fmt == CRM_FIM_FORMAT_BASKET) {
            s = basket_line(st, line, len, err);
        } else {
            s = fimi_line(st, line, len, st->line_base + crm__reader_line_no(lr), err);
        }
        if (s != CRM_OK) {
            return s;
        }
        if (st->opt->max_transactions > 0 && st->db->n_trans > st->opt->max_transactions) {
            return crm__error_at(err, CRM_ELIMIT, st->src, st->line_base + crm__reader_line_no(lr),
                                 0, "more than %lld transactions",
                                 (long long)st->opt->max_transactions);
        }
        if ((crm__reader_line_no(lr) & 0xffff) == 0 &&
            !crm_progress_report(progress, "reading", crm__reader_fraction(lr))) {
            return crm__error_set(err, CRM_ECANCELLED, "cancelled");
        }
        if (st->more) {
            break;
        }
    }
    if (!st->more && rc != CRM__READ_EOF) {
        return crm__reader_error(lr, err);
    }
    if (fmt == CRM_FIM_FORMAT_BASKET && st->db->kind == FIM_KIND_NONE) {
        st->db->kind = FIM_KIND_NAMED;
    }
    return CRM_OK;
}

crm_status crm__fim_read_chunk(crm__reader *lr, crm__fim_rstate *st, crm_error *err)
{
    return read_lines(lr, st, NULL, err);
}

int crm__fim_line_format(const char *line, size_t len, crm_fim_format *fmt)
{
    if (is_blank(line, len) || line[0] == '@' || looks_signed_integers(line, len)) {
        return 0;
    }
    *fmt = looks_integer(line, len) ? CRM_FIM_FORMAT_FIMI : CRM_FIM_FORMAT_BASKET;
    return 1;
}

/* ---- FIMI text in parts, one thread each --------------------------------------------------- */

/* Smaller inputs are parsed on one thread unless more are asked for. */
#define PART_MIN_BYTES ((size_t)256 << 10)

/* Note code v (from CRM_FIM_CODE_DIR_MAX up, or beyond the seen table); 0: out of memory. */
static int raw_see(crm__fim_raw *r, int64_t v)
{
    int64_t cap;
    uint32_t *seen;
    if (v >= CRM_FIM_CODE_DIR_MAX) {
        return crm__fim_cmap_add(&r->big, (int32_t)v, 0);
    }
    cap = crm__fim_dir_cap(r->seen_cap, v);
    seen = crm_realloc(r->seen, (size_t)cap * sizeof *seen);
    if (seen == NULL) {
        return 0;
    }
    memset(seen + r->seen_cap, 0, (size_t)(cap - r->seen_cap) * sizeof *seen);
    seen[v]++;
    r->seen = seen;
    r->seen_cap = cap;
    return 1;
}

/* Parse the whole lines of p[0..e) into r, the codes (kept as they are, the dictionary being
 * merged later in file order) into codes[0..(e - p) / 2 + 1): every code takes a digit and a
 * separator but the last, so no bound is checked below. 0 when a line needs the serial reader:
 * anything but integers and blanks (a bad item, "@" metadata, baskets to detect), a line over the
 * limit, or no memory. That reader then gives the errors, lines and columns of old. */
static int raw_parse(crm__fim_raw *r,
                     const char *p,
                     const char *e,
                     int32_t *codes,
                     int skip_empty,
                     size_t max_line)
{
    uint32_t *seen;
    int64_t seen_cap, m = 0;
    int ascending = 1;
    r->codes = codes;
    r->off_cap = (e - p) / 64 + 16;
    r->off = crm_mallocarray((size_t)r->off_cap, sizeof *r->off);
    if (r->off == NULL) {
        return 0;
    }
    r->off[0] = 0;
    seen = r->seen;
    seen_cap = r->seen_cap;
    while (p < e) {
        const char *line = p;
        int64_t m0 = m;
        while (p < e && *p != '\n') {
            unsigned d = (unsigned)(*p - '0');
            if (d < 10) {
                int64_t v = d;
                p++;
                while (p < e && (d = (unsigned)(*p - '0')) < 10 && v <= INT32_MAX) {
                    v = v * 10 + d;
                    p++;
                }
                if (v > INT32_MAX ||
                    (p < e && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')) {
                    return 0;
                }
                ascending &= m == m0 || codes[m - 1] < v;
                if (v < seen_cap) {
                    seen[v]++;
                } else {
                    if (!raw_see(r, v)) {
                        return 0;
                    }
                    seen = r->seen;
                    seen_cap = r->seen_cap;
                }
                codes[m++] = (int32_t)v;
            } else if (*p == ' ' || *p == '\t' || *p == '\r') {
                p++;
            } else {
                return 0;
            }
        }
        if ((size_t)(p - line) > max_line) {
            return 0;
        }
        p += p < e;
        if (m == m0 && skip_empty) {
            continue;
        }
        if (r->n_lines + 2 > r->off_cap) {
            int64_t *off = crm_realloc(r->off, 2 * (size_t)r->off_cap * sizeof *off);
            if (off == NULL) {
                return 0;
            }
            r->off = off;
            r->off_cap *= 2;
        }
        r->off[++r->n_lines] = m;
    }
    r->n_codes = m;
    r->ascending = ascending;
    return 1;
}

static void raw_free(crm__fim_raw *parts, int n)
{
    for (int k = 0; parts != NULL && k < n; k++) {
        crm_free(parts[k].off);
        crm_free(parts[k].seen);
        crm__fim_cmap_fini(&parts[k].big);
    }
    crm_free(parts);
}

/* Codes a store needs for the parts of len bytes of text cut into n (see parse_parts). */
static size_t store_need(size_t len, int n)
{
    return len / 2 + (size_t)n + 1;
}

/* Cut text[from..to) at line ends into at most n parts (*used of them) and parse them in
 * parallel into parts[0..*used), their codes into store[0..store_need(to - from, n)), a place
 * for each part by where its text starts. 0 when a part declines (see raw_parse). */
static int parse_parts(const char *text,
                       size_t from,
                       size_t to,
                       int n,
                       crm__fim_raw *parts,
                       int32_t *store,
                       const crm_fim_read_options *opt,
                       int *used)
{
    size_t max_line = opt->max_line_bytes > 0 ? (size_t)opt->max_line_bytes : DEFAULT_MAX_LINE;
    size_t cut[65];
    int ok = 1;
    n = n < 64 ? n : 64;
    n = (size_t)n > to - from ? (int)(to - from) : n;
    n = n > 0 ? n : 1;
    *used = n;
    cut[0] = from;
    cut[n] = to;
    for (int k = 1; k < n; k++) {
        size_t pos = from + (to - from) / (size_t)n * (size_t)k;
        const char *nl;
        pos = pos > cut[k - 1] ? pos : cut[k - 1] + 1;
        nl = pos <= to ? memchr(text + pos - 1, '\n', to - pos + 1) : NULL;
        cut[k] = nl != NULL ? (size_t)(nl - text) + 1 : to;
    }
#pragma omp parallel for num_threads(n) schedule(static, 1) reduction(& : ok) if (n > 1)
    for (int k = 0; k < n; k++) {
        ok &= raw_parse(&parts[k], text + cut[k], text + cut[k + 1],
                        store + (cut[k] - from) / 2 + (size_t)k, opt->skip_empty, max_line);
    }
    return ok;
}

/* One database from parsed parts (taken and freed) and their store (taken): the one the
 * serial reader gives. *out stays NULL (CRM_OK) when the serial reader must read the text
 * instead. */
static crm_status parts_to_db(crm__fim_raw *parts,
                              int n,
                              int ok,
                              int32_t *store,
                              size_t store_cap,
                              const crm_fim_read_options *opt,
                              const crm_progress *progress,
                              crm_fim_db **out,
                              crm_error *err)
{
    crm_fim_db *db = NULL;
    int64_t lines = 0;
    crm_status rc;
    for (int k = 0; k < n; k++) {
        lines += parts[k].n_lines;
    }
    if (!ok || lines == 0 || (opt->max_transactions > 0 && lines > opt->max_transactions)) {
        raw_free(parts, n);
        crm_free(store);
        return CRM_OK;
    }
    if (!crm_progress_report(progress, "reading", 1.0)) {
        raw_free(parts, n);
        crm_free(store);
        return crm__error_set(err, CRM_ECANCELLED, "cancelled");
    }
    rc = crm_fim_db_new(&db, err);
    if (rc == CRM_OK) {
        rc = crm__fim_db_from_raw(db, parts, n, crm__n_threads(opt->n_threads), store,
                                  (int64_t)store_cap, err);
    } else {
        crm_free(store);
    }
    raw_free(parts, n);
    if (rc != CRM_OK) {
        crm_fim_db_free(db);
        return rc;
    }
    *out = db;
    return CRM_OK;
}

/* FIMI text data[0..len) cut at line ends into parts parsed in parallel, then one database
 * built from them; *out stays NULL when the serial reader must read the text instead. */
static crm_status read_fimi_parts(const char *data,
                                  size_t len,
                                  const crm_fim_read_options *opt,
                                  const crm_progress *progress,
                                  crm_fim_db **out,
                                  crm_error *err)
{
    int nt = crm__n_threads(opt->n_threads);
    int n = opt->n_threads > 0 || len / PART_MIN_BYTES + 1 >= (size_t)nt
                ? nt
                : (int)(len / PART_MIN_BYTES) + 1;
    crm__fim_raw *parts = crm_calloc((size_t)n, sizeof *parts);
    size_t cap = store_need(len, n);
    int32_t *store = crm_mallocarray(cap, sizeof *store);
    int ok;
    if (parts == NULL || store == NULL) {
        crm_free(parts);
        crm_free(store);
        return crm__error_nomem(err);
    }
    crm__advise_huge(store, cap * sizeof *store);
    ok = parse_parts(data, 0, len, n, parts, store, opt, &n);
    return parts_to_db(parts, n, ok, store, cap, opt, progress, out, err);
}

/* ---- entry points ------------------------------------------------------------------------- */

static crm_status check_options(const crm_fim_read_options *opt, crm_error *err)
{
    if (opt->format < CRM_FIM_FORMAT_AUTO || opt->format > CRM_FIM_FORMAT_VAS) {
        return crm__error_set(err, CRM_EINVAL, "unknown transaction format %d", (int)opt->format);
    }
    if (opt->sep == '\0' || opt->sep == '\n' || opt->sep == '"') {
        return crm__error_set(err, CRM_EINVAL, "bad separator");
    }
    if (opt->max_transactions < 0 || opt->max_line_bytes < 0) {
        return crm__error_set(err, CRM_EINVAL, "negative limits");
    }
    return CRM_OK;
}

static crm_status read_any(crm__reader *lr,
                           const char *src,
                           const crm_fim_read_options *opt,
                           const crm_progress *progress,
                           crm_fim_db **out,
                           crm_error *err)
{
    crm__fim_rstate st;
    crm_fim_db *db = NULL;
    crm_status rc;
    memset(&st, 0, sizeof st);
    rc = crm_fim_db_new(&db, err);
    if (rc != CRM_OK) {
        return rc;
    }
    st.db = db;
    st.opt = opt;
    st.src = src;
    st.fmt = opt->format;
    if (opt->format == CRM_FIM_FORMAT_LONG || opt->format == CRM_FIM_FORMAT_VAS) {
        rc = crm__fim_read_long(lr, &st, progress, err);
    } else {
        db->kind = opt->format == CRM_FIM_FORMAT_BASKET ? FIM_KIND_NAMED : FIM_KIND_NONE;
        if (opt->format == CRM_FIM_FORMAT_BASKET) {
            db->has_names = 1;
        }
        rc = read_lines(lr, &st, progress, err);
        if (rc == CRM_OK && db->kind == FIM_KIND_NAMED) {
            db->has_names = 1;
        }
    }
    if (rc == CRM_OK && db->n_trans == 0) {
        rc = crm__error_at(err, CRM_EDATA, src, 0, 0, "no transactions in the input");
    }
    if (rc == CRM_OK) {
        rc = crm_fim_db_finish(db, err);
    }
    crm_free(st.ids);
    if (rc != CRM_OK) {
        crm_fim_db_free(db);
        return rc;
    }
    *out = db;
    return CRM_OK;
}

static crm__reader_limits limits_of(const crm_fim_read_options *opt)
{
    crm__reader_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_line = opt->max_line_bytes > 0 ? (size_t)opt->max_line_bytes : (size_t)DEFAULT_MAX_LINE;
    lim.n_threads = opt->n_threads;
    return lim;
}

/* The database of the input r: FIMI text held whole is parsed in parts, anything else (and
 * what the parts decline) by the serial reader. */
static crm_status read_reader(crm__reader *r,
                              const crm_fim_read_options *opt,
                              const crm_progress *progress,
                              crm_fim_db **out,
                              crm_error *err)
{
    const char *text;
    size_t len;
    if ((opt->format == CRM_FIM_FORMAT_AUTO || opt->format == CRM_FIM_FORMAT_FIMI) &&
        crm__reader_whole(r, &text, &len) && len > 0) {
        crm_status rc = read_fimi_parts(text, len, opt, progress, out, err);
        if (rc != CRM_OK || *out != NULL) {
            return rc;
        }
    }
    return read_any(r, crm__reader_source(r), opt, progress, out, err);
}

/* The database of the file at path, or of data[0..len) named source when path is NULL. */
static crm_status read_input(const char *path,
                             const char *data,
                             size_t len,
                             const char *source,
                             const crm_fim_read_options *opt,
                             const crm_progress *progress,
                             crm_fim_db **out,
                             crm_error *err)
{
    crm_fim_read_options def = crm_fim_read_options_default();
    crm__reader_limits lim;
    crm__reader *r = NULL;
    crm_status rc;
    *out = NULL;
    rc = check_options(opt != NULL ? opt : &def, err);
    if (rc != CRM_OK) {
        return rc;
    }
    opt = opt != NULL ? opt : &def;
    lim = limits_of(opt);
    rc = path != NULL ? crm__reader_open(path, &lim, &r, err)
                      : crm__reader_open_mem(data, len, source, &lim, &r, err);
    if (rc == CRM_OK) {
        rc = read_reader(r, opt, progress, out, err);
    }
    if (r != NULL && crm__reader_intact(r, NULL) != CRM_OK) {
        /* read from a file that changed under it (whatever error the zeros gave) */
        crm_fim_db_free(*out);
        *out = NULL;
        rc = crm__reader_intact(r, err);
    }
    crm__reader_free(r);
    return rc;
}

crm_status crm_fim_db_read(const char *path,
                           const crm_fim_read_options *opt,
                           const crm_progress *progress,
                           crm_fim_db **out,
                           crm_error *err)
{
    if (out == NULL || path == NULL) {
        return crm__error_set(err, CRM_EINVAL, "read: path and out are required");
    }
    return read_input(path, NULL, 0, NULL, opt, progress, out, err);
}

crm_status crm_fim_db_read_mem(const char *data,
                               size_t len,
                               const char *source,
                               const crm_fim_read_options *opt,
                               crm_fim_db **out,
                               crm_error *err)
{
    if (out == NULL || (data == NULL && len > 0)) {
        return crm__error_set(err, CRM_EINVAL, "read_mem: bad arguments");
    }
    return read_input(NULL, data, len, source != NULL ? source : "<memory>", opt, NULL, out, err);
}
