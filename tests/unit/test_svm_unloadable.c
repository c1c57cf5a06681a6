/* test_svm_unloadable.c: with libsvm.so.3 impossible to open (this program's dlopen, which the
 * library's call binds to, refuses it), making or loading an SVM fails with CRM_EUNSUPPORTED
 * naming the library and dlerror's reason, again on the second try, and never crashes. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <crmkit/config.h>
#include <crmkit/model.h>
#include <crmkit/svm.h>

#include "crm_test.h"

#if CRM_HAVE_LIBSVM

static int libsvm_asked;

/* The real dlopen, given a name that does not exist in place of LIBSVM's. */
void *dlopen(const char *file, int mode)
{
    void *(*real)(const char *, int);
    void *sym = dlsym(RTLD_NEXT, "dlopen");
    memcpy(&real, &sym, sizeof real);
    if (file != NULL && strcmp(file, "libsvm.so.3") == 0) {
        libsvm_asked++;
        file = "libsvm-crmkit-test-absent.so.3";
    }
    return real(file, mode);
}

static void check_unloadable(crm_status rc, const crm_error *err)
{
    assert_int_equal(rc, CRM_EUNSUPPORTED);
    assert_non_null(strstr(err->msg, "libsvm.so.3"));
    assert_non_null(strstr(err->msg, "libsvm-crmkit-test-absent.so.3")); /* dlerror's text */
}

static void svm_new_and_load_fail_cleanly_without_libsvm(void **state)
{
    crm_svm *svm = NULL;
    crm_model_writer *w;
    crm_model_reader *r;
    const unsigned char *bytes;
    size_t len;
    crm_error err;
    (void)state;
    check_unloadable(crm_svm_new(NULL, &svm, &err), &err);
    assert_null(svm);
    crm_error_clear(&err);
    check_unloadable(crm_svm_new(NULL, &svm, &err), &err);
    assert_int_equal(libsvm_asked, 1);
    /* A model file: the section is found, then the SVM cannot be made. */
    assert_int_equal(crm_model_writer_new("classifier", &w, &err), CRM_OK);
    assert_int_equal(crm_model_begin(w, "svm", &err), CRM_OK);
    assert_int_equal(crm_model_put_i32(w, 2, &err), CRM_OK);
    assert_int_equal(crm_model_writer_bytes(w, &bytes, &len, &err), CRM_OK);
    assert_int_equal(crm_model_reader_open_mem(bytes, len, "m.crmc", &r, &err), CRM_OK);
    check_unloadable(crm_svm_load(r, NULL, &svm, &err), &err);
    assert_null(svm);
    crm_model_reader_free(r);
    crm_model_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svm_new_and_load_fail_cleanly_without_libsvm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
    printf("LIBSVM not in this build: nothing to open\n");
    return 0;
}

#endif
