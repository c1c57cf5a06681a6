/* segment_names.c: renaming the segments of a fitted segmenter (its profile holds the names),
 * for models that embed segmenters and name segments their own way (crmkit/twolayer.h). */
#include <crmkit/segment.h>

#include "segment_internal.h"

crm_status
crm_segmenter_set_names(crm_segmenter *seg, const char *const *names, int32_t n, crm_error *err)
{
    return crm_profile_set_names(seg->profile, names, n, err);
}
