/* Unicode adapter: the only module that includes utf8proc. */
#include "unicode.h"
#include <utf8proc.h>

int tznr__utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp < 0) {
            if (bad_offset)
                *bad_offset = i;
            return 0;
        }
        i += (size_t)n;
    }
    return 1;
}

static size_t next_cp(const char *s, size_t len, size_t i, utf8proc_int32_t *cp)
{
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                          (utf8proc_ssize_t)(len - i), cp);
    if (n <= 0) {           /* invalid: treat the byte as one unit (callers validate first) */
        *cp = -1;
        return 1;
    }
    return (size_t)n;
}

size_t tznr__utf8_count(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; count++) {
        utf8proc_int32_t cp;
        i += next_cp(s, len, i, &cp);
    }
    return count;
}

size_t tznr__utf8_offsets(const char *s, size_t len, size_t *offsets)
{
    size_t count = 0, i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        offsets[count++] = i;
        i += next_cp(s, len, i, &cp);
    }
    offsets[count] = len;
    return count;
}

/* Python's str.isupper(): at least one cased character, and no cased character that is
 * lowercase or titlecase. "Cased" = Lu, Ll, Lt (Python also counts Other_Lowercase /
 * Other_Uppercase; utf8proc's case mappings approximate that). */
static int case_check(const char *s, size_t len, int want_upper)
{
    int cased = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        i += next_cp(s, len, i, &cp);
        if (cp < 0)
            return 0;
        int is_up = utf8proc_isupper(cp);
        int is_lo = utf8proc_islower(cp);
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_LT)
            return 0;
        if (is_up || is_lo) {
            cased = 1;
            if (want_upper && is_lo)
                return 0;
            if (!want_upper && is_up)
                return 0;
        }
    }
    return cased;
}

int tznr__utf8_is_upper(const char *s, size_t len) { return case_check(s, len, 1); }
int tznr__utf8_is_lower(const char *s, size_t len) { return case_check(s, len, 0); }

int tznr__is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

static int is_space(utf8proc_int32_t cp)
{
    /* Python str.isspace(): bidirectional class WS, B or S, or category Zs */
    if (cp == 0x09 || cp == 0x0A || cp == 0x0B || cp == 0x0C || cp == 0x0D ||
        (cp >= 0x1C && cp <= 0x1F) || cp == 0x85)
        return 1;
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP)
        return 1;
    return 0;
}

void tznr__utf8_strip(const char *s, size_t len, const char **out, size_t *out_len)
{
    size_t start = 0, end = len;
    while (start < end) {
        utf8proc_int32_t cp;
        size_t n = next_cp(s, len, start, &cp);
        if (cp < 0 || !is_space(cp))
            break;
        start += n;
    }
    /* walk backwards over whole code points */
    while (end > start) {
        size_t b = end - 1;
        while (b > start && ((unsigned char)s[b] & 0xC0) == 0x80)
            b--;
        utf8proc_int32_t cp;
        next_cp(s, len, b, &cp);
        if (cp < 0 || !is_space(cp))
            break;
        end = b;
    }
    *out = s + start;
    *out_len = end - start;
}
