/* Status-code texts and the per-thread detail message. */
#include "error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_MAX 16384

static _Thread_local char detail[DETAIL_MAX];

const char *tznr_strerror(tznr_error_t err)
{
    switch (err) {
    case TZNR_OK: return "success";
    case TZNR_EINVAL: return "invalid argument";
    case TZNR_ENOMEM: return "out of memory";
    case TZNR_EBUFSIZE: return "buffer has the wrong size";
    case TZNR_ESTATE: return "call not allowed in the current state";
    case TZNR_ECRYPTO: return "cryptographic library failure";
    case TZNR_EUNSUPPORTED: return "unsupported option";
    case TZNR_EIO: return "input/output error";
    case TZNR_ESCHEMA: return "invalid linkage schema";
    case TZNR_EINPUT: return "invalid input record";
    case TZNR_EFORMAT: return "malformed encoded file";
    case TZNR_EEXIST: return "output file exists";
    case TZNR_ELIMIT: return "size limit exceeded";
    }
    return "unknown error";
}

const char *tznr_last_error_message(void) { return detail; }

tznr_error_t tznr__err(tznr_error_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return code;
}

void tznr__err_prefix(const char *fmt, ...)
{
    char prefix[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix), dlen = strlen(detail);
    if (plen + 2 >= sizeof detail)
        return;
    if (plen + 2 + dlen >= sizeof detail)
        dlen = sizeof detail - plen - 3;
    memmove(detail + plen + 2, detail, dlen);
    memcpy(detail, prefix, plen);
    detail[plen] = ':';
    detail[plen + 1] = ' ';
    detail[plen + 2 + dlen] = '\0';
}

void tznr__err_clear(void) { detail[0] = '\0'; }

char *tznr__escape(char *dst, size_t max_out, const char *src, size_t len)
{
    size_t o = 0;
    if (max_out == 0)
        return dst;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        char tmp[16];
        size_t tl;
        if (c == 0xEF && i + 2 < len && (unsigned char)src[i + 1] == 0xBB &&
            (unsigned char)src[i + 2] == 0xBF) {
            memcpy(tmp, "\\uFEFF", 7);
            tl = 6;
            i += 2;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\r': memcpy(tmp, "\\r", 3); break;
            case '\n': memcpy(tmp, "\\n", 3); break;
            case '\t': memcpy(tmp, "\\t", 3); break;
            default: snprintf(tmp, sizeof tmp, "\\x%02X", c); break;
            }
            tl = strlen(tmp);
        } else if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tl = 2;
        } else {
            tmp[0] = (char)c;
            tl = 1;
        }
        if (o + tl + 4 >= max_out) {
            if (o + 3 < max_out) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(dst + o, tmp, tl);
        o += tl;
    }
    dst[o] = '\0';
    return dst;
}

/* Escape s for a message, cut to about 60 bytes at a code point boundary ("..." appended). */
char *tznr__show(char *dst, size_t dst_size, const char *s, size_t len)
{
    size_t cut = len;
    if (cut > 60) {
        cut = 60;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    tznr__escape(dst, dst_size, s, cut);
    if (cut < len) {
        size_t o = strlen(dst);
        if (o + 4 <= dst_size)
            memcpy(dst + o, "...", 4);
    }
    return dst;
}
