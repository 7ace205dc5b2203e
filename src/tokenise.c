/* Tokenisation with clkhash 0.18 semantics: q-grams over code points (padded, optionally
 * positional), exact tokens, and numeric neighbourhood tokens (Vatsalan & Christen). */
#include "tokenise.h"
#include <errno.h>
#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "error.h"
#include "unicode.h"

void tznr__tokens_init(tznr__tokens *t) { memset(t, 0, sizeof *t); }

void tznr__tokens_free(tznr__tokens *t)
{
    /* tokens are derived from personal data: wipe before release */
    tznr__free_wiped(t->buf, t->cap_buf);
    tznr__free(t->off);
    memset(t, 0, sizeof *t);
}

static tznr_error_t reserve(tznr__tokens *t, size_t ntok, size_t nbytes)
{
    if (ntok + 1 > t->cap_off) {
        size_t cap = t->cap_off ? t->cap_off : 16;
        while (cap < ntok + 1)
            cap *= 2;
        size_t *o = tznr__realloc(t->off, cap * sizeof *o);
        if (!o)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        t->off = o;
        t->cap_off = cap;
    }
    if (nbytes > t->cap_buf) {
        size_t cap = t->cap_buf ? t->cap_buf : 256;
        while (cap < nbytes)
            cap *= 2;
        char *b = tznr__malloc(cap);
        if (!b)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        if (t->buf) {
            memcpy(b, t->buf, t->off ? t->off[t->n] : 0);
            tznr__free_wiped(t->buf, t->cap_buf);
        }
        t->buf = b;
        t->cap_buf = cap;
    }
    return TZNR_OK;
}

static tznr_error_t push(tznr__tokens *t, const char *a, size_t alen, const char *b, size_t blen)
{
    size_t start = t->off[t->n];
    tznr_error_t rc = reserve(t, t->n + 1, start + alen + blen);
    if (rc)
        return rc;
    if (alen)
        memcpy(t->buf + start, a, alen);
    if (blen)
        memcpy(t->buf + start + alen, b, blen);
    t->n++;
    t->off[t->n] = start + alen + blen;
    return TZNR_OK;
}

static tznr_error_t ngrams(tznr__tokens *t, const tznr__feature *f, const char *v, size_t len)
{
    size_t ncp = tznr__utf8_count(v, len);
    if (ncp == 0)
        return TZNR_OK;   /* clkhash PR #274: an empty value has no q-grams, not a padding-only one */
    size_t n = f->ngram_n, pad = n > 1 ? n - 1 : 0;
    /* padded text: pad spaces + value + pad spaces */
    size_t plen = len + 2 * pad;
    char *p = tznr__malloc(plen);
    size_t *offs = tznr__calloc(ncp + 2 * pad + 1, sizeof *offs);
    tznr_error_t rc = TZNR_OK;
    if (!p || !offs) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    memset(p, ' ', pad);
    memcpy(p + pad, v, len);
    memset(p + pad + len, ' ', pad);
    size_t total = tznr__utf8_offsets(p, plen, offs);
    if (total < n)
        goto done;
    for (size_t i = 0; i + n <= total && !rc; i++) {
        const char *g = p + offs[i];
        size_t glen = offs[i + n] - offs[i];
        if (f->positional) {
            char prefix[32];
            int pl = snprintf(prefix, sizeof prefix, "%zu ", i + 1);
            rc = push(t, prefix, (size_t)pl, g, glen);
        } else {
            rc = push(t, g, glen, NULL, 0);
        }
    }
done:
    tznr__free_wiped(p, p ? plen : 0);
    tznr__free(offs);
    return rc;
}

/* Python int(s, 10) restricted to ASCII: optional surrounding whitespace, optional sign,
 * decimal digits (underscores between digits allowed, as in Python). */
static int parse_py_int(const char *s, size_t len, int64_t *out)
{
    const char *b;
    size_t n;
    tznr__utf8_strip(s, len, &b, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (b[i] == '+' || b[i] == '-'))
        neg = b[i++] == '-';
    if (i >= n)
        return 0;
    uint64_t v = 0;
    int prev_digit = 0;
    for (; i < n; i++) {
        char c = b[i];
        if (c == '_' && prev_digit && i + 1 < n && b[i + 1] >= '0' && b[i + 1] <= '9') {
            prev_digit = 0;
            continue;
        }
        if (c < '0' || c > '9')
            return 0;
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(c - '0');
        prev_digit = 1;
    }
    if (!prev_digit)
        return 0;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/* Python float(s) for decimal notation: [sign] (digits [. digits] | . digits) [e [sign] digits].
 * inf/nan are rejected (clkhash cannot make tokens of them either). */
static int parse_py_float(const char *s, size_t len, double *out)
{
    const char *b;
    size_t n;
    tznr__utf8_strip(s, len, &b, &n);
    if (n == 0 || n > 512)
        return 0;
    char buf[520];
    size_t o = 0, i = 0;
    if (b[i] == '+' || b[i] == '-')
        buf[o++] = b[i++];
    size_t digits = 0;
    while (i < n && ((b[i] >= '0' && b[i] <= '9') || b[i] == '_')) {
        if (b[i] != '_') {
            buf[o++] = b[i];
            digits++;
        }
        i++;
    }
    if (i < n && b[i] == '.') {
        buf[o++] = b[i++];
        while (i < n && b[i] >= '0' && b[i] <= '9') {
            buf[o++] = b[i++];
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (i < n && (b[i] == 'e' || b[i] == 'E')) {
        buf[o++] = b[i++];
        if (i < n && (b[i] == '+' || b[i] == '-'))
            buf[o++] = b[i++];
        size_t ed = 0;
        while (i < n && b[i] >= '0' && b[i] <= '9') {
            buf[o++] = b[i++];
            ed++;
        }
        if (ed == 0)
            return 0;
    }
    if (i != n)
        return 0;
    buf[o] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (!isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int mul_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_mul_overflow(a, b, r); }
static int add_ovf(int64_t a, int64_t b, int64_t *r) { return __builtin_add_overflow(a, b, r); }

/* round-half-even of a double to int64 (Python round() on floats) */
static int round_even(double x, int64_t *out)
{
    if (!(x > -9.2e18 && x < 9.2e18))
        return 0;
    int mode = fegetround();
    fesetround(FE_TONEAREST);
    double r = nearbyint(x);
    fesetround(mode);
    *out = (int64_t)r;
    return 1;
}

static tznr_error_t numeric(tznr__tokens *t, const tznr__feature *f, const char *v, size_t len)
{
    if (len == 0)
        return TZNR_OK;
    const unsigned p = f->fractional_precision;
    int64_t scale = 1;
    for (unsigned i = 0; i < p; i++)
        scale *= 10;
    int64_t value;
    int r = parse_py_int(v, len, &value);
    if (r == -1)
        return tznr__err(TZNR_EINPUT, "number out of range");
    if (r == 1) {
        if (mul_ovf(value, scale, &value))
            return tznr__err(TZNR_EINPUT, "number out of range");
    } else {
        double d;
        if (!parse_py_float(v, len, &d))
            return tznr__err(TZNR_EINPUT, "not a number");
        if (p > 0) {
            if (!round_even(d * (double)scale, &value))
                return tznr__err(TZNR_EINPUT, "number out of range");
        } else {
            if (!(d > -9.2e18 && d < 9.2e18))
                return tznr__err(TZNR_EINPUT, "number out of range");
            value = (int64_t)d;   /* int(float): truncation toward zero */
        }
    }
    int64_t interval;
    if (!round_even(f->threshold_distance * (double)scale, &interval) || interval <= 0)
        return tznr__err(TZNR_EINPUT, "thresholdDistance * 10^fractional_precision must round to a positive integer");
    int64_t res = (int64_t)f->resolution;
    if (mul_ovf(value, 2 * res, &value))
        return tznr__err(TZNR_EINPUT, "number out of range");
    int64_t residue = value % interval;
    if (residue < 0)
        residue += interval;   /* Python's floored modulo */
    int64_t snapped = value - residue;
    if ((double)residue >= (double)interval / 2.0 && add_ovf(snapped, interval, &snapped))
        return tznr__err(TZNR_EINPUT, "number out of range");
    for (int64_t i = -res; i <= res; i++) {
        int64_t tok, step;
        if (mul_ovf(i, interval, &step) || add_ovf(snapped, step, &tok))
            return tznr__err(TZNR_EINPUT, "number out of range");
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" PRId64, tok);
        tznr_error_t rc = push(t, buf, (size_t)n, NULL, 0);
        if (rc)
            return rc;
    }
    return TZNR_OK;
}

tznr_error_t tznr__tokenise(tznr__tokens *t, const tznr__feature *f, const char *value, size_t len)
{
    tznr_error_t rc = reserve(t, 0, 0);
    if (rc)
        return rc;
    t->n = 0;
    t->off[0] = 0;
    if (f->encoding == TZNR__ENC_ASCII && !tznr__is_ascii(value, len))
        return tznr__err(TZNR_EINPUT, "value is not ASCII, as the feature's encoding requires");
    switch (f->cmp) {
    case TZNR__CMP_NGRAM:
        return ngrams(t, f, value, len);
    case TZNR__CMP_EXACT:
        return len ? push(t, value, len, NULL, 0) : TZNR_OK;
    case TZNR__CMP_NUMERIC:
        return numeric(t, f, value, len);
    }
    return tznr__err(TZNR_EINVAL, "unknown comparison type");
}
