/* svm_lib.c: LIBSVM set up for crmkit (see svm_lib.h). */
#include "svm_lib.h"

#if CRM_HAVE_LIBSVM
#include <pthread.h>

static pthread_once_t quieted = PTHREAD_ONCE_INIT;

static void quiet_print(const char *s)
{
    (void)s;
}

static void quiet(void)
{
    /* LIBSVM prints training progress to stdout unless given a hook; it is process-wide. */
    svm_set_print_string_function(quiet_print);
}

crm_status crm__svm_lib_load(crm_error *err)
{
    (void)err;
    (void)pthread_once(&quieted, quiet);
    return CRM_OK;
}

void crm__svm_free_model(struct svm_model **model)
{
    if (model != NULL && *model != NULL) {
        svm_free_and_destroy_model(model);
    }
}
#endif
