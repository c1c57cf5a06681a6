/* train_opts.h: algorithm options of `crmkit train`, one parser per algorithm in its own file
 * tools/crmkit/train_opts_<algo>.c (owned by that algorithm's engineer).
 *
 * `crmkit train` handles its own options (--target, --algo, ...) and offers every other
 * "--name VALUE" (or "--name=VALUE") to each parser in turn, for every algorithm, so that a
 * vote can set its members' options. Every algorithm option takes a value; name them with
 * the algorithm as prefix (--c45-confidence, --svm-kernel, --mlp-hidden, ...).
 *
 * A parser returns 1 when it used the option, 0 when the option is not its own, and -1 when
 * the value is bad, after printing "crmkit train: <message>" on stderr. The help function
 * prints the algorithm's options, one per line, indented by two spaces. */
#ifndef CRM_TRAIN_OPTS_H
#define CRM_TRAIN_OPTS_H
#include <stdio.h>

#include <crmkit/classify.h>

typedef int (*train_opt_fn)(crm_classifier_params *p, const char *name, const char *value);
typedef void (*train_help_fn)(FILE *fp);

int train_opt_c45(crm_classifier_params *p, const char *name, const char *value);
int train_opt_svm(crm_classifier_params *p, const char *name, const char *value);
int train_opt_mlp(crm_classifier_params *p, const char *name, const char *value);
int train_opt_knn(crm_classifier_params *p, const char *name, const char *value);
int train_opt_nb(crm_classifier_params *p, const char *name, const char *value);
int train_opt_logreg(crm_classifier_params *p, const char *name, const char *value);
int train_opt_gbt(crm_classifier_params *p, const char *name, const char *value);
int train_opt_vote(crm_classifier_params *p, const char *name, const char *value);

void train_help_c45(FILE *fp);
void train_help_svm(FILE *fp);
void train_help_mlp(FILE *fp);
void train_help_knn(FILE *fp);
void train_help_nb(FILE *fp);
void train_help_logreg(FILE *fp);
void train_help_gbt(FILE *fp);
void train_help_vote(FILE *fp);

#endif
