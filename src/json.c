/* JSON adapter: the only module (with json.h) that talks to jansson directly. */
#include "json.h"
#include "error.h"

tznr_error_t tznr__json_load(json_t **out, const char *buf, size_t len, const char *what,
                             tznr_error_t code)
{
    json_error_t jerr;
    *out = NULL;
    if (!what)
        what = "JSON";
    if (!buf)
        return tznr__err(TZNR_EINVAL, "%s: no JSON text", what);
    /* Duplicate keys are an error (jansson would keep the last one silently). NUL bytes in
     * strings are rejected (JSON_ALLOW_NUL not set), so every string is a C string. */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return tznr__err(TZNR_ENOMEM, "%s: out of memory while parsing JSON", what);
        return tznr__err(code, "%s: JSON syntax error at line %d, column %d: %s", what,
                         jerr.line, jerr.column, jerr.text);
    }
    *out = root;
    return TZNR_OK;
}
