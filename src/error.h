/* Internal: setting the per-thread error detail. */
#ifndef TZNR_SRC_ERROR_H
#define TZNR_SRC_ERROR_H
#include <stdarg.h>
#include "tznr/common.h"

#if defined(__GNUC__)
#define TZNR__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TZNR__PRINTF(a, b)
/* tznr__escape of at most the first ~60 bytes of s, cut at a code point boundary, with
 * "..." appended when cut. Returns dst. */
char *tznr__show(char *dst, size_t dst_size, const char *s, size_t len);
#endif

/* Replace this thread's detail message and return `code` (so: return tznr__err(...)). */
tznr_error_t tznr__err(tznr_error_t code, const char *fmt, ...) TZNR__PRINTF(2, 3);
/* Prefix the current detail with "prefix: " (used by callers adding file/row context). */
void tznr__err_prefix(const char *fmt, ...) TZNR__PRINTF(1, 2);
/* Clear the detail. */
void tznr__err_clear(void);
/* Escape bytes for display in a message: control chars, invalid UTF-8, BOM and quotes as
 * \xNN / \uFEFF / \"; truncated to max_out-1 chars with "..." . Returns dst. */
char *tznr__escape(char *dst, size_t max_out, const char *src, size_t len);
/* tznr__escape of at most the first ~60 bytes of s, cut at a code point boundary, with
 * "..." appended when cut. Returns dst. */
char *tznr__show(char *dst, size_t dst_size, const char *s, size_t len);
#endif
