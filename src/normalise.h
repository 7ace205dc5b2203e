/* Internal: validation and formatting of one raw value for one feature (clkhash semantics
 * plus the documented tznr extensions). */
#ifndef TZNR_SRC_NORMALISE_H
#define TZNR_SRC_NORMALISE_H
#include <stddef.h>
#include "tznr/common.h"
#include "schema_internal.h"

/* Turn raw bytes into the text that is tokenised.
 *  - Missing handling first: clkhash `sentinel` (exact compare; replaced by replaceWith or the
 *    sentinel itself, not validated), tznr `sentinels` (compare after whitespace strip;
 *    missing -> *is_missing = 1 and *out = NULL, unless replaceWith is set).
 *  - Otherwise, for string and enum formats with format.normalise (tznr extension), the
 *    value is normalised first (tznr__utf8_normalise) and everything below applies to the
 *    normalised text; a normalised value that is empty and valid is missing.
 *  - Validate by format type and format: date -> "%Y%m%d" (calendar-valid dates
 *    only), integer -> canonical decimal (str(int(v))), string/enum -> unchanged.
 * On success *out is a malloc'd NUL-terminated string (caller frees) or NULL when missing.
 * On failure returns TZNR_EINPUT with the detail "column 'NAME': RULE (value \"...\")".
 * The raw value must be valid UTF-8 (the caller checks). */
tznr_error_t tznr__normalise(const tznr__feature *f, const char *raw, size_t raw_len,
                             char **out, size_t *out_len, int *is_missing);
#endif
