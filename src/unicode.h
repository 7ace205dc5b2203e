/* Internal adapter: the only module that includes utf8proc. */
#ifndef TZNR_SRC_UNICODE_H
#define TZNR_SRC_UNICODE_H
#include <stddef.h>
#include <stdint.h>
/* 1 if s[0..len) is valid UTF-8 (no surrogates, no overlongs), else 0; *bad_offset gets the
 * byte offset of the first invalid sequence (may be NULL). */
int tznr__utf8_valid(const char *s, size_t len, size_t *bad_offset);
/* Number of code points of valid UTF-8. */
size_t tznr__utf8_count(const char *s, size_t len);
/* Byte offsets of each code point start: offsets[0..count], offsets[count] == len.
 * Caller provides count+1 slots. Returns count. */
size_t tznr__utf8_offsets(const char *s, size_t len, size_t *offsets);
/* Python str.isupper()/islower() semantics on valid UTF-8: at least one cased character and
 * every cased character upper (resp. lower). */
int tznr__utf8_is_upper(const char *s, size_t len);
int tznr__utf8_is_lower(const char *s, size_t len);
/* 1 if every code point is ASCII. */
int tznr__is_ascii(const char *s, size_t len);
/* Python str.strip() whitespace (Unicode White_Space incl. ASCII); returns trimmed view. */
void tznr__utf8_strip(const char *s, size_t len, const char **out, size_t *out_len);
/* Text normalisation of the schema's format.normalise (tznr extension, docs/schema.md §2
 * "format.normalise"). Steps, in this order:
 *  1. form: none | NFC | NFKC | strip-accents (NFKD, then every code point of category Mn
 *     dropped, then the four ligatures NFKD keeps expanded: U+0152/U+0153 -> OE/oe,
 *     U+00C6/U+00E6 -> AE/ae); case none | upper | lower: lower = Unicode full case folding
 *     (utf8proc CASEFOLD: "ß" -> "ss"), upper = case folding then each code point's simple
 *     uppercase (utf8proc_toupper), so "ß" -> "SS" as Python's str.upper(). NFC/NFKC are
 *     re-composed after the case mapping.
 *  2. separators: every white-space code point (Python str.isspace()), every dash (category
 *     Pd, and U+2212 MINUS SIGN) and every apostrophe (' U+2018 U+2019 U+201B U+02BC U+FF07
 *     ` U+00B4 U+2032) becomes one U+0020; runs collapse to one.
 *  3. trim: surrounding white space removed. */
enum { TZNR__UFORM_NONE, TZNR__UFORM_NFC, TZNR__UFORM_NFKC, TZNR__UFORM_STRIP };
enum { TZNR__UCASE_NONE, TZNR__UCASE_UPPER, TZNR__UCASE_LOWER };
typedef struct tznr__unorm {
    int form;           /* TZNR__UFORM_* */
    int text_case;      /* TZNR__UCASE_* */
    int separators;     /* 1: separators -> one space */
    int trim;           /* 1: strip surrounding white space */
} tznr__unorm;
/* 1 if o changes nothing. */
int tznr__unorm_is_identity(const tznr__unorm *o);
/* Normalise valid UTF-8 s[0..len) by o. On success returns 0 and *out is a tznr__malloc'd
 * NUL-terminated string (caller frees, wiped: it holds record data) of *out_len bytes.
 * Returns -1 when out of memory, -2 when s is not valid UTF-8 (callers validate first).
 * Intermediate buffers are wiped before they are freed. */
int tznr__utf8_normalise(const char *s, size_t len, const tznr__unorm *o, char **out,
                         size_t *out_len);
#endif
