/* cmd_show.c: `crmkit show`: print a model file in readable form (a classifier as its rules,
 * any other kind as its sections). */
#include <string.h>

#include <crmkit/classify.h>
#include <crmkit/model.h>

#include "cli.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: crmkit show MODEL.crmc\n\n"
                "Print a model file in readable form: a classifier's algorithm, classes and\n"
                "features, and for C4.5 the tree as rules (J48's layout: each leaf shows the\n"
                "class, the training rows reaching it and how many of them are not of that\n"
                "class). Other model kinds are listed by section.\n\n"
                "exit status: 0 ok, 64 usage, 65 damaged model file, 66 no such file.\n");
}

static void print_line(void *ud, const char *line)
{
    fprintf((FILE *)ud, "%s\n", line);
}

int cmd_show(int argc, char **argv)
{
    const char *path = NULL;
    crm_model_reader *r = NULL;
    crm_classifier *c = NULL;
    crm_error err;
    crm_status st;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_EX_OK;
        }
        if (argv[i][0] == '-' || path != NULL) {
            return cli_usage_error("show", "unexpected argument \"%s\"", argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return cli_usage_error("show", "no model file");
    }
    st = crm_model_reader_open(path, &r, &err);
    if (st == CRM_OK && strcmp(crm_model_reader_kind(r), "classifier") == 0) {
        st = crm_classifier_load_reader(r, &c, &err);
        if (st == CRM_OK) {
            st = crm_classifier_describe(c, print_line, stdout, &err);
        }
    } else if (st == CRM_OK) {
        printf("model kind \"%s\", %d sections:\n", crm_model_reader_kind(r),
               crm_model_reader_n_sections(r));
        for (int32_t i = 0; i < crm_model_reader_n_sections(r) && st == CRM_OK; i++) {
            crm_section s;
            st = crm_model_section_at(r, i, &s, &err);
            if (st == CRM_OK) {
                printf("  %-16s %zu bytes\n", s.tag, s.len);
            }
        }
    }
    if (st != CRM_OK) {
        rc = cli_fail(&err);
    }
    crm_classifier_free(c);
    crm_model_reader_free(r);
    return rc;
}
