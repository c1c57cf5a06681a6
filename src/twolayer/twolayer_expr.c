/* twolayer_expr.c: the rule expressions of a two-layer spec.
 *
 *   expr  := and ("or" and)*          ("||" is accepted for "or")
 *   and   := unary ("and" unary)*     ("&&" for "and")
 *   unary := "not" unary | "!" unary | "(" expr ")" | cmp
 *   cmp   := column op rhs            op: < <= > >= == != (= means ==)
 *   rhs   := number | mean | median | quantile(P) | column | 'level'
 * Keywords (and, or, not, mean, median, quantile) are read in any case. A column is a name
 * of letters, digits, '_' and '.' not starting with a digit, or any text in
 * double quotes. A statistic (mean, median, quantile) is of the left-hand column, fitted on
 * the training data. A level in single quotes compares a categorical column (== and != only).
 *
 * The parser is a recursive descent over the string with a depth limit; every error names the
 * spec, the field path and the character where it went wrong. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core_internal.h"
#include "twolayer_internal.h"

typedef struct parser {
    const char *s;
    size_t pos;
    int depth;
    const char *source;
    const char *path;
    crm_error *err;
} parser;

void crm__tl_expr_free(tl_expr *e)
{
    if (e == NULL) {
        return;
    }
    crm__tl_expr_free(e->a);
    crm__tl_expr_free(e->b);
    crm_free(e->column);
    crm_free(e->text);
    crm_free(e);
}

static crm_status fail(parser *ps, const char *what)
{
    crm__error_at(ps->err, CRM_EPARSE, ps->source, 0, 0,
                  "malformed expression: %s at character %zu of \"%s\"", what, ps->pos + 1, ps->s);
    crm__error_field(ps->err, ps->path);
    return CRM_EPARSE;
}

static void skip_space(parser *ps)
{
    while (ps->s[ps->pos] != '\0' && isspace((unsigned char)ps->s[ps->pos])) {
        ps->pos++;
    }
}

static int is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* Is the bare word at the cursor w, in any case (AND as and), and not a prefix of a longer
 * name? */
static int at_word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(ps->s + ps->pos, w, n) == 0 && !is_name_char(ps->s[ps->pos + n]);
}

static int eat(parser *ps, const char *tok)
{
    size_t n = strlen(tok);
    skip_space(ps);
    if (is_name_start(tok[0]) ? at_word(ps, tok) : strncmp(ps->s + ps->pos, tok, n) == 0) {
        ps->pos += n;
        return 1;
    }
    return 0;
}

/* A bare or double-quoted name, or a single-quoted level (quote = '\''). */
static crm_status read_name(parser *ps, char quote, char **out)
{
    size_t start;
    *out = NULL;
    skip_space(ps);
    start = ps->pos;
    if (ps->s[start] == quote || (quote == '\'' && ps->s[start] == '"')) {
        char q = ps->s[start];
        const char *end = strchr(ps->s + start + 1, q);
        if (end == NULL) {
            return fail(ps, "unterminated quote");
        }
        *out = crm__strndup(ps->s + start + 1, (size_t)(end - (ps->s + start + 1)));
        ps->pos = (size_t)(end - ps->s) + 1;
    } else if (quote != '\'' && is_name_start(ps->s[start])) {
        while (is_name_char(ps->s[ps->pos])) {
            ps->pos++;
        }
        *out = crm__strndup(ps->s + start, ps->pos - start);
    } else {
        return fail(ps, quote == '\'' ? "expected a quoted level" : "expected a column name");
    }
    return *out == NULL ? crm__error_nomem(ps->err) : CRM_OK;
}

static int read_number(parser *ps, double *v)
{
    size_t start;
    size_t i;
    skip_space(ps);
    start = ps->pos;
    i = start;
    if (ps->s[i] == '+' || ps->s[i] == '-') {
        i++;
    }
    if (!isdigit((unsigned char)ps->s[i]) && ps->s[i] != '.') {
        return 0;
    }
    while (isdigit((unsigned char)ps->s[i]) || ps->s[i] == '.') {
        i++;
    }
    if (ps->s[i] == 'e' || ps->s[i] == 'E') {
        size_t j = i + 1;
        if (ps->s[j] == '+' || ps->s[j] == '-') {
            j++;
        }
        if (isdigit((unsigned char)ps->s[j])) {
            i = j;
            while (isdigit((unsigned char)ps->s[i])) {
                i++;
            }
        }
    }
    if (is_name_char(ps->s[i]) || !crm__parse_double(ps->s + start, i - start, v)) {
        return 0;
    }
    ps->pos = i;
    return 1;
}

static int read_op(parser *ps, tl_op *op)
{
    static const struct {
        const char *tok;
        tl_op op;
    } ops[] = { { "<=", TL_OP_LE }, { ">=", TL_OP_GE }, { "==", TL_OP_EQ }, { "!=", TL_OP_NE },
                { "<>", TL_OP_NE }, { "<", TL_OP_LT },  { ">", TL_OP_GT },  { "=", TL_OP_EQ } };
    skip_space(ps);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].tok);
        if (strncmp(ps->s + ps->pos, ops[i].tok, n) == 0) {
            ps->pos += n;
            *op = ops[i].op;
            return 1;
        }
    }
    return 0;
}

static crm_status parse_rhs(parser *ps, tl_expr *e)
{
    skip_space(ps);
    if (ps->s[ps->pos] == '\'') {
        e->thr = TL_T_LEVEL;
        return read_name(ps, '\'', &e->text);
    }
    if (read_number(ps, &e->value)) {
        e->thr = TL_T_NUMBER;
        return CRM_OK;
    }
    if (eat(ps, "mean")) {
        e->thr = TL_T_MEAN;
        return CRM_OK;
    }
    if (eat(ps, "median")) {
        e->thr = TL_T_MEDIAN;
        return CRM_OK;
    }
    if (eat(ps, "quantile")) {
        e->thr = TL_T_QUANTILE;
        if (!eat(ps, "(")) {
            return fail(ps, "expected \"(\" after quantile");
        }
        if (!read_number(ps, &e->p) || !(e->p >= 0 && e->p <= 1)) {
            return fail(ps, "quantile needs a number from 0 to 1");
        }
        if (!eat(ps, ")")) {
            return fail(ps, "expected \")\" after the quantile");
        }
        return CRM_OK;
    }
    skip_space(ps);
    if (ps->s[ps->pos] == '"' || is_name_start(ps->s[ps->pos])) {
        e->thr = TL_T_COLUMN;
        return read_name(ps, '"', &e->text);
    }
    return fail(ps, "expected a number, mean, median, quantile(P), a column or a 'level'");
}

static crm_status parse_or(parser *ps, tl_expr **out);

static crm_status parse_cmp(parser *ps, tl_expr **out)
{
    tl_expr *e = crm_calloc(1, sizeof *e);
    crm_status rc;
    if (e == NULL) {
        return crm__error_nomem(ps->err);
    }
    e->type = TL_E_CMP;
    rc = read_name(ps, '"', &e->column);
    if (rc == CRM_OK && !read_op(ps, &e->op)) {
        rc = fail(ps, "expected a comparison operator (< <= > >= == !=)");
    }
    if (rc == CRM_OK) {
        rc = parse_rhs(ps, e);
    }
    if (rc == CRM_OK && e->thr == TL_T_LEVEL && e->op != TL_OP_EQ && e->op != TL_OP_NE) {
        rc = fail(ps, "a 'level' is compared with == or != only");
    }
    if (rc != CRM_OK) {
        crm__tl_expr_free(e);
        return rc;
    }
    *out = e;
    return CRM_OK;
}

static crm_status parse_unary(parser *ps, tl_expr **out)
{
    crm_status rc;
    *out = NULL;
    if (++ps->depth > TL_MAX_DEPTH) {
        return fail(ps, "expression nested too deeply");
    }
    if (eat(ps, "not") || (eat(ps, "!") && ps->s[ps->pos] != '=')) {
        tl_expr *e = crm_calloc(1, sizeof *e);
        if (e == NULL) {
            return crm__error_nomem(ps->err);
        }
        e->type = TL_E_NOT;
        rc = parse_unary(ps, &e->a);
        if (rc != CRM_OK) {
            crm__tl_expr_free(e);
            return rc;
        }
        *out = e;
    } else if (eat(ps, "(")) {
        rc = parse_or(ps, out);
        if (rc == CRM_OK && !eat(ps, ")")) {
            crm__tl_expr_free(*out);
            *out = NULL;
            return fail(ps, "expected \")\"");
        }
        if (rc != CRM_OK) {
            return rc;
        }
    } else {
        rc = parse_cmp(ps, out);
        if (rc != CRM_OK) {
            return rc;
        }
    }
    ps->depth--;
    return CRM_OK;
}

static crm_status parse_chain(parser *ps,
                              tl_node type,
                              const char *word,
                              const char *sym,
                              crm_status (*next)(parser *, tl_expr **),
                              tl_expr **out)
{
    tl_expr *left = NULL;
    crm_status rc = next(ps, &left);
    while (rc == CRM_OK && (eat(ps, word) || eat(ps, sym))) {
        tl_expr *e = crm_calloc(1, sizeof *e);
        if (e == NULL) {
            rc = crm__error_nomem(ps->err);
            break;
        }
        e->type = type;
        e->a = left;
        left = e;
        rc = next(ps, &e->b);
    }
    if (rc != CRM_OK) {
        crm__tl_expr_free(left);
        *out = NULL;
        return rc;
    }
    *out = left;
    return CRM_OK;
}

static crm_status parse_and(parser *ps, tl_expr **out)
{
    return parse_chain(ps, TL_E_AND, "and", "&&", parse_unary, out);
}

static crm_status parse_or(parser *ps, tl_expr **out)
{
    return parse_chain(ps, TL_E_OR, "or", "||", parse_and, out);
}

crm_status crm__tl_parse_expr(const char *text,
                              const char *source,
                              const char *path,
                              tl_expr **out,
                              crm_error *err)
{
    parser ps = { text, 0, 0, source, path, err };
    crm_status rc;
    *out = NULL;
    skip_space(&ps);
    if (text[ps.pos] == '\0') {
        return fail(&ps, "empty condition");
    }
    rc = parse_or(&ps, out);
    skip_space(&ps);
    if (rc == CRM_OK && text[ps.pos] != '\0') {
        crm__tl_expr_free(*out);
        *out = NULL;
        return fail(&ps, "unexpected text (expected and, or or the end)");
    }
    return rc;
}
