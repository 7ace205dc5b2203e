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
#endif
