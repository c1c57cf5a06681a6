/* fuzz_db_source.c: the text of a database source (postgresql://..., sqlite:...). Any text
 * must be refused with a status that says why or give one statement to run, in which a
 * table's name stays inside double quotes (each quote in it doubled): no text of a table=
 * parameter gets out of the identifier. Read as an output, the text names a table and a known
 * if_exists=, or is refused with a reason. The first byte picks the scheme; the rest is the
 * text after it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crmkit/alloc.h>
#include <crmkit/status.h>

#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when c is "name" or "a"."b"... to its end, each quote inside a name doubled. */
static int quoted_names(const char *c)
{
    for (;;) {
        if (*c++ != '"') {
            return 0;
        }
        for (;;) {
            if (*c == '\0') {
                return 0;
            }
            if (*c == '"' && c[1] == '"') {
                c += 2;
            } else if (*c++ == '"') {
                break;
            }
        }
        if (*c == '\0') {
            return 1;
        }
        if (*c++ != '.') {
            return 0;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const schemes[] = { "postgresql://", "postgres://", "sqlite:" };
    const char *scheme;
    size_t n;
    char *text;
    char *select = NULL;
    crm_error err;
    if (size == 0 || memchr(data, '\0', size) != NULL) {
        return 0;
    }
    scheme = schemes[data[0] % 3];
    n = strlen(scheme);
    text = malloc(n + size);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, scheme, n);
    memcpy(text + n, data + 1, size - 1);
    text[n + size - 1] = '\0';
    if (crm__database_source_check(text, &select, &err) == CRM_OK) {
        static const char head[] = "SELECT * FROM ";
        if (select[0] == '\0') {
            abort(); /* table= and query= are never empty */
        }
        if (strstr(text, "table=") != NULL && strstr(text, "query=") == NULL &&
            (strncmp(select, head, sizeof head - 1) != 0 ||
             !quoted_names(select + sizeof head - 1))) {
            abort(); /* a table name always stays inside its quotes */
        }
        crm_free(select);
    } else if (err.msg[0] == '\0') {
        abort(); /* a refusal always says why */
    }
    {
        /* the same text as an output: a table and a known if_exists=, or a reason */
        crm__db_source out;
        if (crm__db_parse_source(text, 1, &out, &err) == CRM_OK) {
            if (out.table == NULL || out.query != NULL || out.if_exists < CRM__DB_REPLACE ||
                out.if_exists > CRM__DB_FAIL) {
                abort();
            }
            crm__db_source_fini(&out);
        } else if (err.msg[0] == '\0') {
            abort();
        }
    }
    free(text);
    return 0;
}
