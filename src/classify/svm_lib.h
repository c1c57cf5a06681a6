/* svm_lib.h: LIBSVM (linked) set up for crmkit: its printing silenced once, before the first
 * SVM. Private to src/classify; only with LIBSVM. */
#ifndef CRM_CLASSIFY_SVM_LIB_H
#define CRM_CLASSIFY_SVM_LIB_H
#include <crmkit/config.h>
#include <crmkit/status.h>

#if CRM_HAVE_LIBSVM
#include <libsvm/svm.h>

/* Silence LIBSVM's training output (a process-wide hook) once; always CRM_OK. */
crm_status crm__svm_lib_load(crm_error *err);

/* svm_free_and_destroy_model; NULL (or a pointer to NULL) is a no-op. */
void crm__svm_free_model(struct svm_model **model);
#endif

#endif
