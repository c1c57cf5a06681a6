/* crmkit/common.h: export macro and version numbers shared by every public header. */
#ifndef CRMKIT_COMMON_H
#define CRMKIT_COMMON_H

#if defined(__GNUC__) || defined(__clang__)
#define CRM_API __attribute__((visibility("default")))
#else
#define CRM_API
#endif

#define CRMKIT_VERSION_MAJOR  0
#define CRMKIT_VERSION_MINOR  1
#define CRMKIT_VERSION_PATCH  0
#define CRMKIT_VERSION_STRING "0.1.0"

#endif
