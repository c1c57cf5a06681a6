/* crmkit/crmkit.h: umbrella header for the core of crmkit. Each module also has its own
 * header, which compiles alone. */
#ifndef CRMKIT_CRMKIT_H
#define CRMKIT_CRMKIT_H
#include <crmkit/alloc.h>
#include <crmkit/common.h>
#include <crmkit/io.h>
#include <crmkit/matrix.h>
#include <crmkit/model.h>
#include <crmkit/outfile.h>
#include <crmkit/prep.h>
#include <crmkit/progress.h>
#include <crmkit/rng.h>
#include <crmkit/status.h>
#endif
