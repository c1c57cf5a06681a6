/* svm_lib.c: LIBSVM opened with dlopen by the first SVM (see svm_lib.h). */
#include "svm_lib.h"

#if CRM_HAVE_LIBSVM
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "core/core_internal.h"

crm__svm_lib crm__svm;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static int load_ok;
static char load_why[256];

static void quiet_print(const char *s)
{
    (void)s;
}

/* dlsym's object pointer into the function pointer at fn (C has no cast between the two). */
static int lookup(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);
    if (sym != NULL) {
        memcpy(fn, &sym, size);
    }
    return sym != NULL;
}

static void load(void)
{
    crm__svm_lib f;
    void (*set_print)(void (*)(const char *));
    void *lib = dlopen("libsvm.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL || !lookup(lib, "svm_train", &f.train, sizeof f.train) ||
        !lookup(lib, "svm_predict", &f.predict, sizeof f.predict) ||
        !lookup(lib, "svm_predict_values", &f.predict_values, sizeof f.predict_values) ||
        !lookup(lib, "svm_predict_probability", &f.predict_probability,
                sizeof f.predict_probability) ||
        !lookup(lib, "svm_check_parameter", &f.check_parameter, sizeof f.check_parameter) ||
        !lookup(lib, "svm_free_and_destroy_model", &f.free_and_destroy_model,
                sizeof f.free_and_destroy_model) ||
        !lookup(lib, "svm_set_print_string_function", &set_print, sizeof set_print)) {
        const char *why = dlerror();
        crm__strlcpy(load_why, why != NULL ? why : "unknown reason", sizeof load_why);
        return;
    }
    /* LIBSVM prints training progress to stdout unless given a hook; it is process-wide. */
    set_print(quiet_print);
    crm__svm = f;
    load_ok = 1;
}

crm_status crm__svm_lib_load(crm_error *err)
{
    (void)pthread_once(&loaded, load);
    if (!load_ok) {
        return crm__error_set(err, CRM_EUNSUPPORTED,
                              "the SVM needs LIBSVM (libsvm.so.3), which cannot be loaded: %s",
                              load_why);
    }
    return CRM_OK;
}

void crm__svm_free_model(struct svm_model **model)
{
    if (crm__svm.free_and_destroy_model != NULL) {
        crm__svm.free_and_destroy_model(model);
    }
}
#endif
