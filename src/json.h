/* Internal adapter: the only header that includes the JSON library (jansson). Modules that
 * parse or emit JSON (schema, clkset) include this header, never <jansson.h> directly. */
#ifndef TZNR_SRC_JSON_H
#define TZNR_SRC_JSON_H
#include <jansson.h>
#include "tznr/common.h"
/* Parse a buffer: TZNR_OK with the root in *out, or `code` (syntax error; the detail is
 * "<what>: JSON syntax error at line L, column C: TEXT") or TZNR_ENOMEM, with *out = NULL.
 * Callers must use this status, never the message text, which quotes the input. */
tznr_error_t tznr__json_load(json_t **out, const char *buf, size_t len, const char *what,
                             tznr_error_t code);
#endif
