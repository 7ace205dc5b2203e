/* Validation and formatting of one raw value for one feature: clkhash 0.18 semantics
 * (FieldSpec.format_value / validate) plus the documented tznr extensions. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "normalise.h"
#include "unicode.h"

enum { SHOW_LEN = 256 };


/* "column 'NAME': RULE (value \"...\")" */
static tznr_error_t verr(const tznr__feature *f, const char *raw, size_t raw_len,
                         const char *fmt, ...) TZNR__PRINTF(4, 5);

static tznr_error_t verr(const tznr__feature *f, const char *raw, size_t raw_len,
                         const char *fmt, ...)
{
    char rule[1024], name[SHOW_LEN], val[SHOW_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    tznr__show(name, sizeof name, f->name ? f->name : "", f->name ? strlen(f->name) : 0);
    tznr__show(val, sizeof val, raw, raw_len);
    return tznr__err(TZNR_EINPUT, "column '%s': %s (value \"%s\")", name, rule, val);
}

static tznr_error_t emit(const char *s, size_t len, char **out, size_t *out_len)
{
    char *d = tznr__strndup(s, len);
    if (!d)
        return tznr__err(TZNR_ENOMEM, "out of memory while formatting a value");
    *out = d;
    *out_len = len;
    return TZNR_OK;
}

/* ---- integer: Python str(int(v, 10)), ASCII digits only --------------------------------- */

static tznr_error_t norm_integer(const tznr__feature *f, const char *raw, size_t raw_len,
                                 char **out, size_t *out_len)
{
    const char *p;
    size_t n;
    tznr__utf8_strip(raw, raw_len, &p, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    if (i == n)
        return verr(f, raw, raw_len, "not an integer");
    uint64_t mag = 0;
    int overflow = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return verr(f, raw, raw_len, "not an integer");
        unsigned d = (unsigned)(p[i] - '0');
        if (mag > (limit - d) / 10)
            overflow = 1;
        else
            mag = mag * 10 + d;
    }
    if (overflow)
        return verr(f, raw, raw_len, "integer out of range (must fit in 64 bits)");
    int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                    : (int64_t)mag;
    if (f->has_minimum && v < f->minimum)
        return verr(f, raw, raw_len, "below minimum %lld", (long long)f->minimum);
    if (f->has_maximum && v > f->maximum)
        return verr(f, raw, raw_len, "above maximum %lld", (long long)f->maximum);
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return emit(buf, (size_t)len, out, out_len);
}

/* ---- date: Python datetime.strptime(v, fmt).strftime("%Y%m%d") ---------------------------
 * Python's _strptime turns the format into a regular expression (compiled with IGNORECASE)
 * that is matched at the start of the value (first successful alternative, with
 * backtracking); any unconsumed rest is an error. Each directive is one alternation, tried
 * in Python's order: */
static const char *const ALT_Y[] = {"D|D|D|D", NULL};
static const char *const ALT_y[] = {"D|D", NULL};
static const char *const ALT_m[] = {"1|012", "0|123456789", "123456789", NULL};
static const char *const ALT_d[] = {"3|01", "12|D", "0|123456789", "123456789", " |123456789",
                                    NULL};
static const char *const ALT_H[] = {"2|0123", "01|D", "D", NULL};
static const char *const ALT_M[] = {"012345|D", "D", NULL};
static const char *const ALT_S[] = {"6|01", "012345|D", "D", NULL};
static const char *const MONTHS[] = {"january", "february", "march", "april", "may", "june",
                                     "july", "august", "september", "october", "november",
                                     "december"};

struct dt {
    int year4, year2, month, day, hour, minute, second;   /* -1 = not given */
};

/* Length of alternative alt ("set|set|..."; D = any ASCII digit) matched at s, or 0. Sets
 * the numeric value. */
static size_t match_alt(const char *alt, const char *s, size_t avail, int *value)
{
    size_t k = 0;
    int v = 0;
    const char *set = alt;
    for (;;) {
        const char *bar = strchr(set, '|');
        size_t set_len = bar ? (size_t)(bar - set) : strlen(set);
        if (k >= avail)
            return 0;
        char c = s[k];
        int ok;
        if (set_len == 1 && set[0] == 'D')
            ok = c >= '0' && c <= '9';
        else
            ok = c != '\0' && memchr(set, c, set_len) != NULL;
        if (!ok)
            return 0;
        if (c >= '0' && c <= '9')
            v = v * 10 + (c - '0');
        k++;
        if (!bar)
            break;
        set = bar + 1;
    }
    *value = v;
    return k;
}

static size_t cp_len(const char *s, size_t avail)
{
    unsigned char u = (unsigned char)s[0];
    size_t n = u < 0x80 ? 1 : u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
    return n <= avail ? n : avail;
}

/* Length of the whitespace code point at s (Python str.isspace), or 0. */
static size_t space_at(const char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    size_t n = cp_len(s, avail);
    const char *t;
    size_t tl;
    tznr__utf8_strip(s, n, &t, &tl);
    return tl == 0 ? n : 0;
}

static int lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Match fmt (from fi) against s (from si); on success *end is where the value match ended. */
static int match_date(const char *fmt, size_t fi, const char *s, size_t len, size_t si,
                      struct dt *d, size_t *end)
{
    if (fmt[fi] == '\0') {
        *end = si;
        return 1;
    }
    size_t fsp = space_at(fmt + fi, strlen(fmt + fi));
    if (fsp) {
        /* a run of whitespace in the format is \s+ (greedy, then backtrack) */
        while (fsp) {
            fi += fsp;
            fsp = space_at(fmt + fi, strlen(fmt + fi));
        }
        size_t ends[256], n = 0, p = si, w;
        while (n < 256 && (w = space_at(s + p, len - p)) > 0) {
            p += w;
            ends[n++] = p;
        }
        while (n > 0)
            if (match_date(fmt, fi, s, len, ends[--n], d, end))
                return 1;
        return 0;
    }
    if (fmt[fi] != '%' || fmt[fi + 1] == '%') {
        /* literal (IGNORECASE: ASCII letters compare case-insensitively) */
        size_t step = fmt[fi] == '%' ? 2 : 1;
        if (si >= len || lower_ascii((unsigned char)s[si]) != lower_ascii((unsigned char)fmt[fi]))
            return 0;
        return match_date(fmt, fi + step, s, len, si + 1, d, end);
    }
    char dir = fmt[fi + 1];
    const char *const *alts = NULL;
    int *slot = NULL;
    switch (dir) {
    case 'Y': alts = ALT_Y; slot = &d->year4; break;
    case 'y': alts = ALT_y; slot = &d->year2; break;
    case 'm': alts = ALT_m; slot = &d->month; break;
    case 'd': alts = ALT_d; slot = &d->day; break;
    case 'H': alts = ALT_H; slot = &d->hour; break;
    case 'M': alts = ALT_M; slot = &d->minute; break;
    case 'S': alts = ALT_S; slot = &d->second; break;
    case 'b':
    case 'B':
        for (int m = 0; m < 12; m++) {
            size_t ml = dir == 'b' ? 3 : strlen(MONTHS[m]), k;
            if (len - si < ml)
                continue;
            for (k = 0; k < ml; k++)
                if (lower_ascii((unsigned char)s[si + k]) != MONTHS[m][k])
                    break;
            if (k < ml)
                continue;
            int saved = d->month;
            d->month = m + 1;
            if (match_date(fmt, fi + 2, s, len, si + ml, d, end))
                return 1;
            d->month = saved;
        }
        return 0;
    default:
        return 0;   /* the schema accepts no other directive */
    }
    for (size_t a = 0; alts[a]; a++) {
        int v;
        size_t k = match_alt(alts[a], s + si, len - si, &v);
        if (!k)
            continue;
        int saved = *slot;
        *slot = v;
        if (match_date(fmt, fi + 2, s, len, si + k, d, end))
            return 1;
        *slot = saved;
    }
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static tznr_error_t norm_date(const tznr__feature *f, const char *raw, size_t raw_len,
                              char **out, size_t *out_len)
{
    struct dt d = {-1, -1, -1, -1, -1, -1, -1};
    size_t end = 0;
    const char *fmt = f->date_format ? f->date_format : "";
    int ok = match_date(fmt, 0, raw, raw_len, 0, &d, &end) && end == raw_len;
    int year = 1900, month = 1, day = 1;
    if (ok) {
        if (d.year4 >= 0)
            year = d.year4;
        else if (d.year2 >= 0)
            year = d.year2 < 69 ? 2000 + d.year2 : 1900 + d.year2;
        if (d.month >= 0)
            month = d.month;
        if (d.day >= 0)
            day = d.day;
        ok = year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
             day <= days_in_month(year, month) && d.second < 60;
    }
    if (!ok) {
        char esc[SHOW_LEN];
        tznr__show(esc, sizeof esc, fmt, strlen(fmt));
        return verr(f, raw, raw_len, "not a valid date for format %s", esc);
    }
    char buf[16];
    /* Python strftime("%Y") on glibc does not pad years below 1000 ("999"), and clkhash
     * hashes that text: keep the same bytes. */
    int len = snprintf(buf, sizeof buf, "%d%02d%02d", year, month, day);
    return emit(buf, (size_t)len, out, out_len);
}

/* ---- string ----------------------------------------------------------------------------- */

/* clkhash checks case as str.upper() == s (resp. lower): no cased character of the other
 * case. Appending one cased character of the wanted case turns that into Python's
 * isupper()/islower() (which also require at least one cased character). */
static int case_ok(const char *s, size_t len, int upper, int *oom)
{
    char *tmp = tznr__malloc(len + 1);
    if (!tmp) {
        *oom = 1;
        return 0;
    }
    if (len)
        memcpy(tmp, s, len);
    tmp[len] = upper ? 'A' : 'a';
    int r = upper ? tznr__utf8_is_upper(tmp, len + 1) : tznr__utf8_is_lower(tmp, len + 1);
    tznr__free(tmp);
    return r;
}

static tznr_error_t norm_string(const tznr__feature *f, const char *raw, size_t raw_len,
                                char **out, size_t *out_len)
{
    if (f->encoding == TZNR__ENC_ASCII && !tznr__is_ascii(raw, raw_len))
        return verr(f, raw, raw_len, "not ASCII (the declared encoding is ascii)");
    if (f->pattern_code) {
        pcre2_code *code = (pcre2_code *)f->pattern_code;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
        if (!md)
            return tznr__err(TZNR_ENOMEM, "out of memory while matching a pattern");
        int rc = pcre2_match(code, (PCRE2_SPTR)raw, raw_len, 0,
                             PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
        pcre2_match_data_free(md);
        char pat[SHOW_LEN];
        tznr__show(pat, sizeof pat, f->pattern ? f->pattern : "", f->pattern ? strlen(f->pattern) : 0);
        if (rc == PCRE2_ERROR_NOMATCH)
            return verr(f, raw, raw_len, "does not match pattern %s", pat);
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
                snprintf((char *)msg, sizeof msg, "error %d", rc);
            return verr(f, raw, raw_len, "cannot be matched against pattern %s: %s", pat,
                        (const char *)msg);
        }
    }
    if (f->min_length >= 0 || f->max_length >= 0) {
        size_t n = tznr__utf8_count(raw, raw_len);
        if (f->min_length >= 0 && n < (size_t)f->min_length)
            return verr(f, raw, raw_len, "shorter than minLength %ld (length %zu)",
                        f->min_length, n);
        if (f->max_length >= 0 && n > (size_t)f->max_length)
            return verr(f, raw, raw_len, "longer than maxLength %ld (length %zu)",
                        f->max_length, n);
    }
    if (f->text_case != TZNR__CASE_MIXED && raw_len > 0) {
        int upper = f->text_case == TZNR__CASE_UPPER, oom = 0;
        int ok = case_ok(raw, raw_len, upper, &oom);
        if (oom)
            return tznr__err(TZNR_ENOMEM, "out of memory while checking case");
        if (!ok)
            return verr(f, raw, raw_len, "not %s case", upper ? "upper" : "lower");
    }
    return emit(raw, raw_len, out, out_len);
}

/* ---- enum -------------------------------------------------------------------------------- */

static tznr_error_t norm_enum(const tznr__feature *f, const char *raw, size_t raw_len,
                              char **out, size_t *out_len)
{
    for (size_t i = 0; i < f->n_enum_values; i++) {
        const char *v = f->enum_values[i];
        if (strlen(v) == raw_len && memcmp(v, raw, raw_len) == 0)
            return emit(raw, raw_len, out, out_len);
    }
    char list[512], esc[SHOW_LEN];
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < f->n_enum_values; i++) {
        tznr__show(esc, sizeof esc, f->enum_values[i], strlen(f->enum_values[i]));
        size_t need = strlen(esc) + (i ? 2 : 0);
        if (o + need + 4 >= sizeof list || o > 200) {
            memcpy(list + o, ", ...", 6);
            break;
        }
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", esc);
    }
    return verr(f, raw, raw_len, "not one of %s", list);
}

/* ---- entry point ------------------------------------------------------------------------- */

tznr_error_t tznr__normalise(const tznr__feature *f, const char *raw, size_t raw_len,
                             char **out, size_t *out_len, int *is_missing)
{
    size_t dummy_len;
    int dummy_missing;
    if (!out_len)
        out_len = &dummy_len;
    if (!is_missing)
        is_missing = &dummy_missing;
    if (!f || !out || (!raw && raw_len))
        return tznr__err(TZNR_EINVAL, "tznr__normalise: NULL argument");
    if (!raw)
        raw = "";
    *out = NULL;
    *out_len = 0;
    *is_missing = 0;

    if (f->ignored)
        return emit(raw, raw_len, out, out_len);

    /* clkhash missingValue.sentinel: exact compare, replaced (not validated) */
    if (f->has_sentinel && f->sentinel && strlen(f->sentinel) == raw_len &&
        memcmp(f->sentinel, raw, raw_len) == 0) {
        const char *r = f->replace_with ? f->replace_with : f->sentinel;
        return emit(r, strlen(r), out, out_len);
    }
    /* tznr missingValue.sentinels: compare after stripping whitespace */
    if (f->n_sentinels) {
        const char *v;
        size_t vl;
        tznr__utf8_strip(raw, raw_len, &v, &vl);
        for (size_t i = 0; i < f->n_sentinels; i++) {
            const char *sv;
            size_t sl;
            tznr__utf8_strip(f->sentinels[i], strlen(f->sentinels[i]), &sv, &sl);
            if (sl == vl && memcmp(sv, v, vl) == 0) {
                if (f->replace_with)
                    return emit(f->replace_with, strlen(f->replace_with), out, out_len);
                *is_missing = 1;
                return TZNR_OK;
            }
        }
    }

    switch (f->fmt) {
    case TZNR__FMT_INTEGER: return norm_integer(f, raw, raw_len, out, out_len);
    case TZNR__FMT_DATE: return norm_date(f, raw, raw_len, out, out_len);
    case TZNR__FMT_ENUM:
    case TZNR__FMT_STRING: break;
    }
    if (tznr__unorm_is_identity(&f->norm))
        return f->fmt == TZNR__FMT_ENUM ? norm_enum(f, raw, raw_len, out, out_len)
                                        : norm_string(f, raw, raw_len, out, out_len);

    /* tznr format.normalise: validation and tokens see the normalised text */
    char *nv = NULL;
    size_t nl = 0;
    int r = tznr__utf8_normalise(raw, raw_len, &f->norm, &nv, &nl);
    if (r == -1)
        return tznr__err(TZNR_ENOMEM, "out of memory while normalising a value");
    if (r)
        return verr(f, raw, raw_len, "invalid UTF-8");
    /* tznr sentinels also match after normalisation of both sides ("inconnu" = "INCONNU") */
    for (size_t i = 0; i < f->n_sentinels; i++) {
        char *ns = NULL;
        size_t nsl = 0;
        r = tznr__utf8_normalise(f->sentinels[i], strlen(f->sentinels[i]), &f->norm, &ns, &nsl);
        int same = r == 0 && nsl == nl && memcmp(ns, nv, nl) == 0;
        tznr__free(ns);
        if (r == -1 || same) {
            tznr__free_wiped(nv, nl + 1);
            if (r == -1)
                return tznr__err(TZNR_ENOMEM, "out of memory while normalising a value");
            if (f->replace_with)
                return emit(f->replace_with, strlen(f->replace_with), out, out_len);
            *is_missing = 1;
            return TZNR_OK;
        }
    }
    tznr_error_t rc = f->fmt == TZNR__FMT_ENUM ? norm_enum(f, nv, nl, out, out_len)
                                               : norm_string(f, nv, nl, out, out_len);
    if (rc == TZNR_EINPUT && (nl != raw_len || memcmp(nv, raw, nl) != 0)) {
        char msg[1024], val[SHOW_LEN];
        snprintf(msg, sizeof msg, "%s", tznr_last_error_message());
        tznr__show(val, sizeof val, raw, raw_len);
        tznr__err(rc, "%s, normalised from \"%s\"", msg, val);
    }
    tznr__free_wiped(nv, nl + 1);
    if (!rc && *out_len == 0) {
        /* a value that normalises to nothing (only separators or white space) is missing */
        tznr__free(*out);
        *out = NULL;
        *is_missing = 1;
    }
    return rc;
}
