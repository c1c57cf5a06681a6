/* crmkit/crmkit.h: umbrella header: every public header of crmkit. Each also compiles alone.
 * Optional parts (SVM) declare their API always and return CRM_EUNSUPPORTED when not built. */
#ifndef CRMKIT_CRMKIT_H
#define CRMKIT_CRMKIT_H
#include <crmkit/alloc.h>
#include <crmkit/c45.h>
#include <crmkit/classify.h>
#include <crmkit/common.h>
#include <crmkit/fim.h>
#include <crmkit/gbt.h>
#include <crmkit/gen.h>
#include <crmkit/hclust.h>
#include <crmkit/io.h>
#include <crmkit/kmeans.h>
#include <crmkit/kmodes.h>
#include <crmkit/knn.h>
#include <crmkit/logreg.h>
#include <crmkit/matrix.h>
#include <crmkit/metrics.h>
#include <crmkit/mlp.h>
#include <crmkit/model.h>
#include <crmkit/nbayes.h>
#include <crmkit/outfile.h>
#include <crmkit/prep.h>
#include <crmkit/profile.h>
#include <crmkit/progress.h>
#include <crmkit/rng.h>
#include <crmkit/rules.h>
#include <crmkit/segment.h>
#include <crmkit/status.h>
#include <crmkit/svm.h>
#include <crmkit/twolayer.h>
#include <crmkit/validity.h>
#include <crmkit/vote.h>
#include <crmkit/xmeans.h>
#endif
