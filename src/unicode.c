/* Unicode adapter: the only module that includes utf8proc. */
#include "unicode.h"
#include <string.h>
#include <utf8proc.h>
#include "alloc.h"

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

/* ---- normalisation (format.normalise) --------------------------------------------------- */

int tznr__unorm_is_identity(const tznr__unorm *o)
{
    return !o || (o->form == TZNR__UFORM_NONE && o->text_case == TZNR__UCASE_NONE &&
                  !o->separators && !o->trim);
}

static void free_cps(utf8proc_int32_t *p, size_t cap)
{
    tznr__free_wiped(p, cap * sizeof *p);
}

/* Decode s, decomposed and case-folded as opts says, into a new array of *cap >= *n code
 * points. 0, -1 (memory) or -2 (invalid UTF-8). */
static int decode(const char *s, size_t len, utf8proc_option_t opts, utf8proc_int32_t **cps,
                  size_t *n, size_t *cap)
{
    size_t c = len + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        utf8proc_int32_t *buf = tznr__calloc(c, sizeof *buf);
        if (!buf)
            return -1;
        utf8proc_ssize_t r = utf8proc_decompose((const utf8proc_uint8_t *)s,
                                                (utf8proc_ssize_t)len, buf,
                                                (utf8proc_ssize_t)c, opts);
        if (r < 0) {
            free_cps(buf, c);
            return r == UTF8PROC_ERROR_NOMEM || r == UTF8PROC_ERROR_OVERFLOW ? -1 : -2;
        }
        if ((size_t)r <= c) {
            *cps = buf;
            *n = (size_t)r;
            *cap = c;
            return 0;
        }
        free_cps(buf, c);
        c = (size_t)r;          /* the size utf8proc asked for: the second try fits */
    }
    return -1;
}

/* UTF-8 of cps[0..n) into a new NUL-terminated buffer. */
static int encode(const utf8proc_int32_t *cps, size_t n, char **out, size_t *out_len,
                  size_t *out_cap)
{
    size_t cap = 4 * n + 1;
    char *b = tznr__malloc(cap);
    if (!b)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)b + o);
    b[o] = '\0';
    *out = b;
    *out_len = o;
    if (out_cap)
        *out_cap = cap;
    return 0;
}

/* Apostrophes of name data (docs/schema.md §2): ASCII ', the typographic ' ' and reversed 9,
 * the modifier letter apostrophe, the full-width ', and the grave, acute and prime that
 * keyboards substitute for it. */
static int is_apostrophe(utf8proc_int32_t cp)
{
    return cp == 0x27 || cp == 0x2018 || cp == 0x2019 || cp == 0x201B || cp == 0x02BC ||
           cp == 0xFF07 || cp == 0x60 || cp == 0xB4 || cp == 0x2032;
}

static int is_separator(utf8proc_int32_t cp)
{
    return is_space(cp) || utf8proc_category(cp) == UTF8PROC_CATEGORY_PD || cp == 0x2212 ||
           is_apostrophe(cp);
}

int tznr__utf8_normalise(const char *s, size_t len, const tznr__unorm *o, char **out,
                         size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const int compat = o->form == TZNR__UFORM_NFKC || o->form == TZNR__UFORM_STRIP;
    utf8proc_option_t opts = UTF8PROC_STABLE;
    if (o->form != TZNR__UFORM_NONE)
        opts |= UTF8PROC_DECOMPOSE;
    if (compat)
        opts |= UTF8PROC_COMPAT;
    if (o->text_case != TZNR__UCASE_NONE)
        opts |= UTF8PROC_CASEFOLD;

    /* 1. decomposition (NFD/NFKD, canonically ordered) and case folding */
    utf8proc_int32_t *a = NULL, *b = NULL;
    size_t na, capa, nb, capb;
    int rc = decode(s, len, opts, &a, &na, &capa);
    if (rc)
        return rc;
    /* 2. marks, ligatures, upper case: at most 2 code points out per code point in */
    capb = 2 * na + 1;
    b = tznr__calloc(capb, sizeof *b);
    if (!b) {
        free_cps(a, capa);
        return -1;
    }
    nb = 0;
    for (size_t i = 0; i < na; i++) {
        utf8proc_int32_t cp = a[i];
        if (o->form == TZNR__UFORM_STRIP && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN)
            continue;
        if (o->text_case == TZNR__UCASE_UPPER)
            cp = utf8proc_toupper(cp);
        if (o->form == TZNR__UFORM_STRIP) {
            /* the Latin ligatures that have no compatibility decomposition */
            const char *lig = cp == 0x152 ? "OE" : cp == 0x153 ? "oe" : cp == 0xC6 ? "AE"
                              : cp == 0xE6 ? "ae" : NULL;
            if (lig) {
                b[nb++] = (unsigned char)lig[0];
                b[nb++] = (unsigned char)lig[1];
                continue;
            }
        }
        b[nb++] = cp;
    }
    free_cps(a, capa);
    a = NULL;

    /* 3. NFC / NFKC: decompose again (a case mapping may leave a sequence out of canonical
     * order) and compose */
    if (o->form == TZNR__UFORM_NFC || o->form == TZNR__UFORM_NFKC) {
        char *t;
        size_t tl, tcap;
        rc = encode(b, nb, &t, &tl, &tcap);
        free_cps(b, capb);
        b = NULL;
        if (rc)
            return rc;
        rc = decode(t, tl, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0),
                    &b, &nb, &capb);
        tznr__free_wiped(t, tcap);
        if (rc)
            return rc;
        utf8proc_ssize_t r = utf8proc_normalize_utf32(
            b, (utf8proc_ssize_t)nb,
            UTF8PROC_STABLE | UTF8PROC_COMPOSE | (compat ? UTF8PROC_COMPAT : 0));
        if (r < 0) {
            free_cps(b, capb);
            return -1;
        }
        nb = (size_t)r;
    }

    /* 4. separators -> one space, runs collapsed; 5. trim */
    if (o->separators) {
        size_t w = 0;
        for (size_t i = 0; i < nb; i++) {
            if (is_separator(b[i])) {
                if (w > 0 && b[w - 1] == 0x20)
                    continue;
                b[w++] = 0x20;
            } else {
                b[w++] = b[i];
            }
        }
        nb = w;
    }
    size_t start = 0;
    if (o->trim) {
        while (start < nb && is_space(b[start]))
            start++;
        while (nb > start && is_space(b[nb - 1]))
            nb--;
    }
    rc = encode(b + start, nb - start, out, out_len, NULL);
    free_cps(b, capb);
    return rc;
}
