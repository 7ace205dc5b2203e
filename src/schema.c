/* Linkage schema: parsing and validation of clkhash linkage schema v3 (plus the documented
 * tznr extensions) into struct tznr_schema. Every rule is checked at load time; the error
 * detail names the JSON path, the rule and the value found. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "crypto.h"
#include "derive.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "schema_internal.h"

#define SCHEMA_FILE_MAX ((size_t)16 << 20)
#define L_MAX 1048576
#define XOR_FOLDS_MAX 10
#define KEY_SIZE_MAX 1024
#define BLAKE_KEY_MAX 64
#define NGRAM_N_MAX 16
#define BITS_MAX 100000
/* Encoding work bounds, so that no schema makes a record cost seconds to encode: k per
 * token, and for numeric comparisons, which give 2 * resolution + 1 tokens per value whatever
 * the data, the tokens and the bits (tokens x bitsPerToken) per record, all features summed. */
#define BITS_PER_TOKEN_MAX 1024
#define NUMERIC_TOKENS_MAX 65536
#define NUMERIC_BITS_MAX 1048576
#define RESOLUTION_MAX 32767
#define PRECISION_MAX 15
#define LENGTH_MAX 1000000000L
#define DATE_FORMAT_MAX 256

enum { PATH_LEN = 320, ESC_LEN = 256, DESC_LEN = 272 };

/* ---- error helpers ------------------------------------------------------------------- */

static tznr_error_t serr(const char *path, const char *fmt, ...) TZNR__PRINTF(2, 3);

static tznr_error_t serr(const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tznr__err(TZNR_ESCHEMA, "%s: %s", path, msg);
}


static tznr_error_t nomem(void)
{
    return tznr__err(TZNR_ENOMEM, "out of memory while loading the linkage schema");
}

/* Short human description of a JSON value, for "(got ...)". */
static const char *describe(const json_t *v, char *buf, size_t n)
{
    char esc[ESC_LEN];
    switch (json_typeof(v)) {
    case JSON_OBJECT: snprintf(buf, n, "an object"); break;
    case JSON_ARRAY: snprintf(buf, n, "an array"); break;
    case JSON_STRING:
        tznr__show(esc, sizeof esc, json_string_value(v), json_string_length(v));
        snprintf(buf, n, "\"%s\"", esc);
        break;
    case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: snprintf(buf, n, "%.17g", json_real_value(v)); break;
    case JSON_TRUE: snprintf(buf, n, "true"); break;
    case JSON_FALSE: snprintf(buf, n, "false"); break;
    default: snprintf(buf, n, "null"); break;
    }
    return buf;
}

static tznr_error_t type_err(const char *path, const char *expected, const json_t *v)
{
    char d[DESC_LEN];
    return serr(path, "expected %s (got %s)", expected, describe(v, d, sizeof d));
}

static tznr_error_t rule_err(const char *path, const char *rule, const json_t *v)
{
    char d[DESC_LEN];
    return serr(path, "%s (got %s)", rule, describe(v, d, sizeof d));
}

/* dst = path "." key (or just key at the top level); keys are escaped for display. */
static void join(char *dst, const char *path, const char *key)
{
    char esc[ESC_LEN];
    tznr__show(esc, sizeof esc, key, strlen(key));
    if (path[0])
        snprintf(dst, PATH_LEN, "%s.%s", path, esc);
    else
        snprintf(dst, PATH_LEN, "%s", esc);
}

/* ---- typed getters --------------------------------------------------------------------- */

static tznr_error_t check_object(const json_t *v, const char *path)
{
    return json_is_object(v) ? TZNR_OK : type_err(path, "an object", v);
}

/* Every key of obj must be in allowed (NULL-terminated). */
static tznr_error_t check_keys(const json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) {
                ok = 1;
                break;
            }
        if (!ok) {
            char p[PATH_LEN], list[256] = "";
            size_t o = 0;
            for (size_t i = 0; allowed[i] && o < sizeof list; i++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", allowed[i]);
            join(p, path, key);
            return serr(p, "unknown key (allowed here: %s)", list);
        }
    }
    return TZNR_OK;
}

/* Integer in [min, max]; rule is the message on a wrong type or range (NULL: generic). */
static tznr_error_t get_int(const json_t *obj, const char *path, const char *key, int required,
                            long long min, long long max, const char *rule, long long *out,
                            int *present)
{
    char p[PATH_LEN], gen[128];
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = v != NULL;
    join(p, path, key);
    if (!v)
        return required ? serr(p, "required key is missing") : TZNR_OK;
    if (!rule) {
        snprintf(gen, sizeof gen, "must be an integer from %lld to %lld", min, max);
        rule = gen;
    }
    if (!json_is_integer(v))
        return rule_err(p, rule, v);
    long long x = (long long)json_integer_value(v);
    if (x < min || x > max)
        return rule_err(p, rule, v);
    *out = x;
    return TZNR_OK;
}

static tznr_error_t get_string(const json_t *obj, const char *path, const char *key,
                               int required, const char **out)
{
    char p[PATH_LEN];
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    join(p, path, key);
    if (!v)
        return required ? serr(p, "required key is missing") : TZNR_OK;
    if (!json_is_string(v))
        return type_err(p, "a string", v);
    *out = json_string_value(v);
    return TZNR_OK;
}

static tznr_error_t get_bool(const json_t *obj, const char *path, const char *key, int *out,
                             int *present)
{
    char p[PATH_LEN];
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return TZNR_OK;
    join(p, path, key);
    if (!json_is_boolean(v))
        return type_err(p, "a boolean (true or false)", v);
    *out = json_is_true(v);
    return TZNR_OK;
}

/* Optional/required sub-object; *out NULL when absent. */
static tznr_error_t get_object(const json_t *obj, const char *path, const char *key,
                               int required, json_t **out)
{
    char p[PATH_LEN];
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    join(p, path, key);
    if (!v)
        return required ? serr(p, "required key is missing") : TZNR_OK;
    if (!json_is_object(v))
        return type_err(p, "an object", v);
    *out = v;
    return TZNR_OK;
}

/* Copy a JSON array of strings (non-empty). */
static tznr_error_t get_string_array(const json_t *obj, const char *path, const char *key,
                                     char ***out, size_t *n_out)
{
    char p[PATH_LEN], ep[PATH_LEN + 32];
    json_t *v = json_object_get(obj, key);
    join(p, path, key);
    if (!json_is_array(v))
        return type_err(p, "a non-empty array of strings", v);
    size_t n = json_array_size(v);
    if (n == 0)
        return serr(p, "must be a non-empty array of strings (got an empty array)");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            snprintf(ep, sizeof ep, "%s[%zu]", p, i);
            return type_err(ep, "a string", e);
        }
    }
    char **arr = tznr__calloc(n, sizeof *arr);
    if (!arr)
        return nomem();
    *out = arr;
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        arr[i] = tznr__strndup(json_string_value(e), json_string_length(e));
        if (!arr[i])
            return nomem();   /* caller frees the partial array (NULL entries are fine) */
    }
    return TZNR_OK;
}

static int str_in(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- date formats ---------------------------------------------------------------------- */

/* Supported strptime directives (Python datetime.strptime semantics, see normalise.c). */
static tznr_error_t check_date_format(const char *fmt, const char *path)
{
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!fmt[0])
        return serr(path, "must be a non-empty strptime format (got \"\")");
    if (strlen(fmt) > DATE_FORMAT_MAX)
        return serr(path, "date format is longer than %d bytes", DATE_FORMAT_MAX);
    for (const char *c = fmt; *c; c++) {
        if (*c != '%')
            continue;
        c++;
        int *slot = NULL;
        const char *what = NULL;
        switch (*c) {
        case 'Y': case 'y': slot = &year; what = "year"; break;
        case 'm': case 'b': case 'B': slot = &month; what = "month"; break;
        case 'd': slot = &day; what = "day"; break;
        case 'H': slot = &hour; what = "hour"; break;
        case 'M': slot = &minute; what = "minute"; break;
        case 'S': slot = &second; what = "second"; break;
        case '%': break;
        case '\0':
            return serr(path, "date format ends with a lone %% (write %%%% for a literal %%)");
        default: {
            char d[16], esc[DESC_LEN];
            size_t clen = 1;
            unsigned char u = (unsigned char)*c;
            if (u >= 0xC0)
                clen = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
            tznr__escape(d, sizeof d, c, strnlen(c, clen));
            tznr__show(esc, sizeof esc, fmt, strlen(fmt));
            return serr(path, "unsupported directive %%%s in date format \"%s\" (supported: "
                        "%%Y %%y %%m %%b %%B %%d %%H %%M %%S %%%%)", d, esc);
        }
        }
        if (slot) {
            if (*slot) {
                char esc[ESC_LEN];
                tznr__show(esc, sizeof esc, fmt, strlen(fmt));
                return serr(path, "date format \"%s\" sets the %s twice", esc, what);
            }
            *slot = 1;
        }
    }
    return TZNR_OK;
}

/* for derive.c (features[i].derive.history.dateFormat): the same rule */
tznr_error_t tznr__schema_check_date_format(const char *fmt, const char *path)
{
    return check_date_format(fmt, path);
}

/* ---- features --------------------------------------------------------------------------- */

static void free_strings(char **a, size_t n)
{
    if (!a)
        return;
    for (size_t i = 0; i < n; i++)
        tznr__free(a[i]);
    tznr__free(a);
}

static void free_feature(tznr__feature *f)
{
    tznr__free(f->name);
    tznr__free(f->pattern);
    pcre2_code_free((pcre2_code *)f->pattern_code);
    tznr__free(f->date_format);
    free_strings(f->enum_values, f->n_enum_values);
    tznr__free(f->sentinel);
    free_strings(f->sentinels, f->n_sentinels);
    tznr__free(f->replace_with);
    tznr__derive_free(f->derive);
    tznr__free(f->group);
}

static tznr_error_t compile_pattern(tznr__feature *f, const char *pat, size_t pat_len,
                                    const char *path)
{
    int errcode;
    PCRE2_SIZE erroff;
    /* PCRE2_UCP: \d, \w, \s are Unicode-aware, as in Python 3's re for str patterns. */
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, pat_len, PCRE2_UTF | PCRE2_UCP, &errcode,
                                     &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        char esc[ESC_LEN];
        if (errcode == PCRE2_ERROR_NOMEMORY)
            return nomem();
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", errcode);
        tznr__show(esc, sizeof esc, pat, pat_len);
        return serr(path, "invalid regular expression \"%s\": %s at offset %zu", esc,
                    (const char *)msg, (size_t)erroff);
    }
    f->pattern_code = code;
    f->pattern = tznr__strndup(pat, pat_len);
    return f->pattern ? TZNR_OK : nomem();
}

/* tznr extension format.normalise (string and enum formats): a preset name or an object
 * {"form", "case", "separators", "trim"} (docs/schema.md §2). Absent: nothing changes. */
static tznr_error_t parse_normalise(tznr__feature *f, const json_t *fmt, const char *path)
{
    static const char *const k_norm[] = {"form", "case", "separators", "trim", NULL};
    static const char *const forms[] = {"none", "NFC", "NFKC", "strip-accents", NULL};
    static const char *const cases[] = {"none", "upper", "lower", NULL};
    static const char *const seps[] = {"keep", "space", NULL};
    char p[PATH_LEN], q[PATH_LEN];
    const char *s;
    tznr_error_t rc;
    const json_t *v = json_object_get(fmt, "normalise");
    memset(&f->norm, 0, sizeof f->norm);
    if (!v)
        return TZNR_OK;
    join(p, path, "normalise");
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "name-fr") != 0)
            return rule_err(p, "unknown preset (known: name-fr; or give an object with form, "
                            "case, separators, trim)", v);
        f->norm.form = TZNR__UFORM_STRIP;
        f->norm.text_case = TZNR__UCASE_UPPER;
        f->norm.separators = 1;
        f->norm.trim = 1;
        return TZNR_OK;
    }
    if (!json_is_object(v))
        return type_err(p, "a preset name (\"name-fr\") or an object", v);
    if ((rc = check_keys(v, p, k_norm)))
        return rc;
    if ((rc = get_string(v, p, "form", 0, &s)))
        return rc;
    if (s) {
        join(q, p, "form");
        int i = str_in(s, forms);
        if (i < 0)
            return rule_err(q, "must be one of none, NFC, NFKC, strip-accents",
                            json_object_get(v, "form"));
        f->norm.form = i == 0 ? TZNR__UFORM_NONE : i == 1 ? TZNR__UFORM_NFC
                       : i == 2 ? TZNR__UFORM_NFKC : TZNR__UFORM_STRIP;
    }
    if ((rc = get_string(v, p, "case", 0, &s)))
        return rc;
    if (s) {
        join(q, p, "case");
        int i = str_in(s, cases);
        if (i < 0)
            return rule_err(q, "must be one of none, upper, lower", json_object_get(v, "case"));
        f->norm.text_case = i == 0 ? TZNR__UCASE_NONE : i == 1 ? TZNR__UCASE_UPPER
                            : TZNR__UCASE_LOWER;
    }
    if ((rc = get_string(v, p, "separators", 0, &s)))
        return rc;
    if (s) {
        join(q, p, "separators");
        int i = str_in(s, seps);
        if (i < 0)
            return rule_err(q, "must be one of keep, space", json_object_get(v, "separators"));
        f->norm.separators = i == 1;
    }
    return get_bool(v, p, "trim", &f->norm.trim, NULL);
}

/* Every enum value must be its own normalised form, or no record could ever match it. */
static tznr_error_t check_enum_normalised(const tznr__feature *f, const char *path)
{
    if (tznr__unorm_is_identity(&f->norm))
        return TZNR_OK;
    for (size_t i = 0; i < f->n_enum_values; i++) {
        const char *v = f->enum_values[i];
        char *n = NULL;
        size_t nl = 0;
        int r = tznr__utf8_normalise(v, strlen(v), &f->norm, &n, &nl);
        if (r == -1)
            return nomem();
        if (r == 0 && nl == strlen(v) && memcmp(n, v, nl) == 0) {
            tznr__free(n);
            continue;
        }
        char p[PATH_LEN + 32], a[ESC_LEN], b[ESC_LEN];
        snprintf(p, sizeof p, "%s.values[%zu]", path, i);
        tznr__show(a, sizeof a, v, strlen(v));
        tznr__show(b, sizeof b, n ? n : "", n ? nl : 0);
        tznr__free(n);
        return serr(p, "\"%s\" is not in normalised form (format.normalise makes it \"%s\"); "
                    "write the values as normalised, or no value could ever match", a, b);
    }
    return TZNR_OK;
}

static tznr_error_t parse_format(tznr__feature *f, const json_t *fmt, const char *path)
{
    static const char *const types[] = {"string", "integer", "date", "enum", NULL};
    static const char *const k_string[] = {"type", "description", "encoding", "case",
                                           "minLength", "maxLength", "pattern", "normalise",
                                           NULL};
    static const char *const k_integer[] = {"type", "description", "minimum", "maximum", NULL};
    static const char *const k_date[] = {"type", "description", "format", NULL};
    static const char *const k_enum[] = {"type", "description", "values", "normalise", NULL};
    char p[PATH_LEN];
    const char *s;
    tznr_error_t rc;

    if ((rc = check_object(fmt, path)))
        return rc;
    if ((rc = get_string(fmt, path, "type", 1, &s)))
        return rc;
    join(p, path, "type");
    int t = str_in(s, types);
    if (t < 0)
        return rule_err(p, "must be one of string, integer, date, enum",
                        json_object_get(fmt, "type"));
    if ((rc = get_string(fmt, path, "description", 0, &s)))
        return rc;

    f->min_length = f->max_length = -1;
    f->text_case = TZNR__CASE_MIXED;
    f->encoding = TZNR__ENC_UTF8;

    if (t == 0) {
        f->fmt = TZNR__FMT_STRING;
        if ((rc = check_keys(fmt, path, k_string)))
            return rc;
        if ((rc = parse_normalise(f, fmt, path)))
            return rc;
        if ((rc = get_string(fmt, path, "encoding", 0, &s)))
            return rc;
        if (s) {
            join(p, path, "encoding");
            if (strcmp(s, "utf-8") == 0)
                f->encoding = TZNR__ENC_UTF8;
            else if (strcmp(s, "ascii") == 0)
                f->encoding = TZNR__ENC_ASCII;
            else if (strcmp(s, "utf-16") == 0 || strcmp(s, "utf-32") == 0)
                return rule_err(p, "unsupported encoding: tznr supports utf-8 and ascii",
                                json_object_get(fmt, "encoding"));
            else
                return rule_err(p, "must be one of utf-8, ascii",
                                json_object_get(fmt, "encoding"));
        }
        if ((rc = get_string(fmt, path, "case", 0, &s)))
            return rc;
        if (s) {
            static const char *const cases[] = {"mixed", "upper", "lower", NULL};
            int c = str_in(s, cases);
            join(p, path, "case");
            if (c < 0)
                return rule_err(p, "must be one of upper, lower, mixed",
                                json_object_get(fmt, "case"));
            f->text_case = c == 0 ? TZNR__CASE_MIXED : c == 1 ? TZNR__CASE_UPPER
                                                               : TZNR__CASE_LOWER;
        }
        long long v;
        int present;
        if ((rc = get_int(fmt, path, "minLength", 0, 0, LENGTH_MAX,
                          "must be a non-negative integer", &v, &present)))
            return rc;
        if (present)
            f->min_length = (long)v;
        if ((rc = get_int(fmt, path, "maxLength", 0, 0, LENGTH_MAX,
                          "must be a non-negative integer", &v, &present)))
            return rc;
        if (present) {
            f->max_length = (long)v;
            if (f->min_length > f->max_length) {
                join(p, path, "maxLength");
                return serr(p, "must not be less than minLength (got %ld < %ld)",
                            f->max_length, f->min_length);
            }
        }
        json_t *pat = json_object_get(fmt, "pattern");
        if (pat) {
            join(p, path, "pattern");
            if (!json_is_string(pat))
                return type_err(p, "a string (a regular expression)", pat);
            if ((rc = compile_pattern(f, json_string_value(pat), json_string_length(pat), p)))
                return rc;
        }
    } else if (t == 1) {
        f->fmt = TZNR__FMT_INTEGER;
        if ((rc = check_keys(fmt, path, k_integer)))
            return rc;
        long long v;
        int present;
        if ((rc = get_int(fmt, path, "minimum", 0, LLONG_MIN, LLONG_MAX, "must be an integer",
                          &v, &present)))
            return rc;
        if (present) {
            f->has_minimum = 1;
            f->minimum = (int64_t)v;
        }
        if ((rc = get_int(fmt, path, "maximum", 0, LLONG_MIN, LLONG_MAX, "must be an integer",
                          &v, &present)))
            return rc;
        if (present) {
            f->has_maximum = 1;
            f->maximum = (int64_t)v;
            if (f->has_minimum && f->minimum > f->maximum) {
                join(p, path, "maximum");
                return serr(p, "must not be less than minimum (got %lld < %lld)",
                            (long long)f->maximum, (long long)f->minimum);
            }
        }
    } else if (t == 2) {
        f->fmt = TZNR__FMT_DATE;
        if ((rc = check_keys(fmt, path, k_date)))
            return rc;
        if ((rc = get_string(fmt, path, "format", 1, &s)))
            return rc;
        join(p, path, "format");
        if ((rc = check_date_format(s, p)))
            return rc;
        f->date_format = tznr__strndup(s, strlen(s));
        if (!f->date_format)
            return nomem();
    } else {
        f->fmt = TZNR__FMT_ENUM;
        if ((rc = check_keys(fmt, path, k_enum)))
            return rc;
        if (!json_object_get(fmt, "values")) {
            join(p, path, "values");
            return serr(p, "required key is missing (a non-empty array of strings)");
        }
        if ((rc = get_string_array(fmt, path, "values", &f->enum_values, &f->n_enum_values)))
            return rc;
        if ((rc = parse_normalise(f, fmt, path)) || (rc = check_enum_normalised(f, path)))
            return rc;
    }
    return TZNR_OK;
}

static tznr_error_t parse_comparison(tznr__feature *f, const json_t *cmp, const char *path)
{
    static const char *const types[] = {"ngram", "exact", "numeric", NULL};
    static const char *const k_ngram[] = {"type", "n", "positional", NULL};
    static const char *const k_exact[] = {"type", NULL};
    static const char *const k_numeric[] = {"type", "thresholdDistance", "resolution",
                                            "fractional_precision", NULL};
    char p[PATH_LEN];
    const char *s;
    tznr_error_t rc;
    long long v;

    if ((rc = get_string(cmp, path, "type", 1, &s)))
        return rc;
    int t = str_in(s, types);
    if (t < 0) {
        join(p, path, "type");
        return rule_err(p, "must be one of ngram, exact, numeric", json_object_get(cmp, "type"));
    }
    if (t == 0) {
        f->cmp = TZNR__CMP_NGRAM;
        if ((rc = check_keys(cmp, path, k_ngram)))
            return rc;
        if ((rc = get_int(cmp, path, "n", 1, 1, NGRAM_N_MAX, NULL, &v, NULL)))
            return rc;
        f->ngram_n = (unsigned)v;
        f->positional = 0;
        if ((rc = get_bool(cmp, path, "positional", &f->positional, NULL)))
            return rc;
    } else if (t == 1) {
        f->cmp = TZNR__CMP_EXACT;
        if ((rc = check_keys(cmp, path, k_exact)))
            return rc;
    } else {
        f->cmp = TZNR__CMP_NUMERIC;
        if ((rc = check_keys(cmp, path, k_numeric)))
            return rc;
        json_t *td = json_object_get(cmp, "thresholdDistance");
        join(p, path, "thresholdDistance");
        if (!td)
            return serr(p, "required key is missing (a number > 0)");
        if (!json_is_number(td))
            return type_err(p, "a number > 0", td);
        double d = json_number_value(td);
        if (!(d > 0) || !isfinite(d))
            return rule_err(p, "must be a number > 0", td);
        f->threshold_distance = d;
        if ((rc = get_int(cmp, path, "resolution", 1, 1, RESOLUTION_MAX, NULL, &v, NULL)))
            return rc;
        f->resolution = (unsigned)v;
        int present;
        if ((rc = get_int(cmp, path, "fractional_precision", 0, 0, PRECISION_MAX, NULL, &v,
                          &present)))
            return rc;
        f->fractional_precision = present ? (unsigned)v : 0;
        /* interval = round(thresholdDistance * 10^p), Python round() (half to even) */
        double scaled = d * pow(10.0, (double)f->fractional_precision);
        double interval = nearbyint(scaled);
        if (interval == 0)
            return serr(p, "thresholdDistance * 10^fractional_precision rounds to 0 "
                        "(thresholdDistance %.17g, fractional_precision %u)",
                        d, f->fractional_precision);
        if (!(interval < 9007199254740992.0))   /* 2^53: exact integer arithmetic later */
            return serr(p, "thresholdDistance * 10^fractional_precision is too large "
                        "(at most 2^53; got %.17g)", scaled);
    }
    return TZNR_OK;
}

static tznr_error_t parse_strategy(tznr__feature *f, const json_t *st, const char *path)
{
    static const char *const keys[] = {"bitsPerToken", "bitsPerFeature", NULL};
    static const char *const rule = "must be a positive integer";
    char p[PATH_LEN];
    tznr_error_t rc;
    json_t *bpt = json_object_get(st, "bitsPerToken");
    json_t *bpf = json_object_get(st, "bitsPerFeature");

    if ((rc = check_keys(st, path, keys)))
        return rc;
    if (bpt && bpf)
        return serr(path, "bitsPerToken and bitsPerFeature are mutually exclusive "
                    "(give exactly one)");
    if (!bpt && !bpf)
        return serr(path, "one of bitsPerToken or bitsPerFeature is required");
    const char *key = bpt ? "bitsPerToken" : "bitsPerFeature";
    json_t *v = bpt ? bpt : bpf;
    join(p, path, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return rule_err(p, rule, v);
    if (json_integer_value(v) > BITS_MAX)
        return rule_err(p, "must be a positive integer at most 100000", v);
    if (bpt && json_integer_value(v) > BITS_PER_TOKEN_MAX)
        return rule_err(p, "must be a positive integer at most 1024 (a larger k saturates the "
                        "filter and multiplies the encoding time)", v);
    f->strategy = bpt ? TZNR__STRAT_BITS_PER_TOKEN : TZNR__STRAT_BITS_PER_FEATURE;
    f->strategy_value = (unsigned)json_integer_value(v);
    if (bpt && f->cmp == TZNR__CMP_NUMERIC &&
        (2 * (uint64_t)f->resolution + 1) * f->strategy_value > NUMERIC_BITS_MAX)
        return serr(p, "numeric comparison: (2 * resolution + 1) tokens x bitsPerToken = %llu "
                    "bits per value, more than the limit of %d (use a smaller resolution or "
                    "bitsPerToken, or bitsPerFeature)",
                    (unsigned long long)((2 * (uint64_t)f->resolution + 1) * f->strategy_value),
                    NUMERIC_BITS_MAX);
    return TZNR_OK;
}

static int is_pow2(size_t x) { return x && !(x & (x - 1)); }

static tznr_error_t parse_hash(tznr__feature *f, const json_t *h, const char *path,
                               const struct tznr_schema *s)
{
    static const char *const types[] = {"blakeHash", "doubleHash", NULL};
    static const char *const keys[] = {"type", "prevent_singularity", NULL};
    char p[PATH_LEN];
    const char *str;
    tznr_error_t rc;

    f->hash = TZNR__HASH_BLAKE;
    f->prevent_singularity = 0;
    if (h) {
        if ((rc = check_keys(h, path, keys)))
            return rc;
        if ((rc = get_string(h, path, "type", 1, &str)))
            return rc;
        int t = str_in(str, types);
        join(p, path, "type");
        if (t < 0)
            return rule_err(p, "must be one of blakeHash, doubleHash", json_object_get(h, "type"));
        f->hash = t == 0 ? TZNR__HASH_BLAKE : TZNR__HASH_DOUBLE;
        int present;
        if ((rc = get_bool(h, path, "prevent_singularity", &f->prevent_singularity, &present)))
            return rc;
        if (present && f->hash != TZNR__HASH_DOUBLE) {
            join(p, path, "prevent_singularity");
            return serr(p, "only valid with type doubleHash (type is blakeHash)");
        }
    }
    if (f->hash == TZNR__HASH_BLAKE) {
        size_t hl = s->l << s->xor_folds;
        if (h)
            join(p, path, "type");
        else
            snprintf(p, sizeof p, "%s", path);
        if (!is_pow2(hl))
            return serr(p, "blakeHash (the default) needs a hashing length l * 2^xor_folds that "
                        "is a power of two (got %zu)", hl);
        if (s->key_size > BLAKE_KEY_MAX)
            return serr(p, "blakeHash needs clkConfig.kdf.keySize <= 64 (BLAKE2b key limit; "
                        "got %zu)", s->key_size);
    }
    return TZNR_OK;
}

static tznr_error_t parse_missing(tznr__feature *f, const json_t *mv, const char *path)
{
    static const char *const keys[] = {"sentinel", "sentinels", "replaceWith", NULL};
    tznr_error_t rc;
    const char *str;
    json_t *sv;

    if ((rc = check_keys(mv, path, keys)))
        return rc;
    int has1 = json_object_get(mv, "sentinel") != NULL;
    int hasn = json_object_get(mv, "sentinels") != NULL;
    if (has1 && hasn)
        return serr(path, "sentinel and sentinels are mutually exclusive (give exactly one)");
    if (!has1 && !hasn)
        return serr(path, "one of sentinel or sentinels is required");
    if (has1) {
        if ((rc = get_string(mv, path, "sentinel", 1, &str)))
            return rc;
        sv = json_object_get(mv, "sentinel");
        f->sentinel = tznr__strndup(str, json_string_length(sv));
        if (!f->sentinel)
            return nomem();
        f->has_sentinel = 1;
    } else if ((rc = get_string_array(mv, path, "sentinels", &f->sentinels, &f->n_sentinels))) {
        return rc;
    }
    if ((rc = get_string(mv, path, "replaceWith", 0, &str)))
        return rc;
    if (str) {
        sv = json_object_get(mv, "replaceWith");
        f->replace_with = tznr__strndup(str, json_string_length(sv));
        if (!f->replace_with)
            return nomem();
    }
    return TZNR_OK;
}

static tznr_error_t parse_hashing(tznr__feature *f, const json_t *hj, const char *path,
                                  const struct tznr_schema *s)
{
    static const char *const keys[] = {"comparison", "strategy", "hash", "missingValue", NULL};
    char p[PATH_LEN];
    tznr_error_t rc;
    json_t *o;

    if ((rc = check_object(hj, path)) || (rc = check_keys(hj, path, keys)))
        return rc;
    if ((rc = get_object(hj, path, "comparison", 1, &o)))
        return rc;
    join(p, path, "comparison");
    if ((rc = parse_comparison(f, o, p)))
        return rc;
    if ((rc = get_object(hj, path, "strategy", 1, &o)))
        return rc;
    join(p, path, "strategy");
    if ((rc = parse_strategy(f, o, p)))
        return rc;
    if ((rc = get_object(hj, path, "hash", 0, &o)))
        return rc;
    if (o)
        join(p, path, "hash");
    else
        snprintf(p, sizeof p, "%s", path);
    if ((rc = parse_hash(f, o, p, s)))
        return rc;
    if ((rc = get_object(hj, path, "missingValue", 0, &o)))
        return rc;
    if (o) {
        join(p, path, "missingValue");
        if ((rc = parse_missing(f, o, p)))
            return rc;
    }
    return TZNR_OK;
}

/* tznr extension: features[i].linkage = {"levels": [Dice thresholds, decreasing], "compare": bool,
 * "group": NAME}. The group rules (at least 2 members, same levels, hashing and format) are
 * checked once every feature is parsed, by check_groups. */
static tznr_error_t parse_linkage(tznr__feature *f, const json_t *lk, const char *fpath)
{
    static const char *const keys[] = {"levels", "compare", "group", NULL};
    static const double dflt[] = {1.0, 0.85, 0.7};
    char path[PATH_LEN], p[PATH_LEN];
    const char *group;
    tznr_error_t rc;
    f->compare = 1;
    f->n_levels = 3;
    f->group_first = -1;
    memcpy(f->levels, dflt, sizeof dflt);
    if (!lk)
        return TZNR_OK;
    join(path, fpath, "linkage");
    if ((rc = check_object(lk, path)) || (rc = check_keys(lk, path, keys)))
        return rc;
    if ((rc = get_bool(lk, path, "compare", &f->compare, NULL)))
        return rc;
    if ((rc = get_string(lk, path, "group", 0, &group)))
        return rc;
    if (group) {
        join(p, path, "group");
        if (!group[0] || strlen(group) > 256)
            return rule_err(p, "must be a group name of 1 to 256 bytes",
                            json_object_get(lk, "group"));
        if (!f->compare)
            return serr(p, "not allowed with \"compare\": false (the members of a group are "
                        "compared)");
        if (!(f->group = tznr__strndup(group, strlen(group))))
            return nomem();
    }
    json_t *lv = json_object_get(lk, "levels");
    if (!lv)
        return TZNR_OK;
    join(p, path, "levels");
    if (!json_is_array(lv) || json_array_size(lv) == 0 || json_array_size(lv) > TZNR__MAX_LEVELS)
        return rule_err(p, "must be an array of 1 to 15 Dice thresholds, strictly decreasing, "
                        "in (0, 1]", lv);
    f->n_levels = (unsigned)json_array_size(lv);
    for (size_t i = 0; i < f->n_levels; i++) {
        json_t *x = json_array_get(lv, i);
        double d = json_is_number(x) ? json_number_value(x) : -1.0;
        if (!(d > 0.0 && d <= 1.0) || (i && !(d < f->levels[i - 1]))) {
            char q[PATH_LEN + 24];   /* room for any size_t: no -Wformat-truncation */
            snprintf(q, sizeof q, "%.*s[%zu]", (int)(PATH_LEN - 1), p, i);
            return rule_err(q, "Dice thresholds must be numbers in (0, 1], strictly decreasing", x);
        }
        f->levels[i] = d;
    }
    return TZNR_OK;
}

/* The first difference in what makes two features' tokens and bit positions, or NULL. */
static const char *group_mismatch(const tznr__feature *a, const tznr__feature *b)
{
    if (a->fmt != b->fmt || memcmp(&a->norm, &b->norm, sizeof a->norm) != 0 ||
        a->encoding != b->encoding)
        return "format";   /* type, encoding and normalise make the tokens */
    if (a->cmp != b->cmp || a->ngram_n != b->ngram_n || a->positional != b->positional ||
        a->threshold_distance != b->threshold_distance || a->resolution != b->resolution ||
        a->fractional_precision != b->fractional_precision)
        return "hashing.comparison";
    if (a->strategy != b->strategy || a->strategy_value != b->strategy_value)
        return "hashing.strategy";
    if (a->hash != b->hash || a->prevent_singularity != b->prevent_singularity)
        return "hashing.hash";
    if (a->n_levels != b->n_levels || memcmp(a->levels, b->levels, a->n_levels * sizeof *a->levels))
        return "linkage.levels";
    return NULL;
}

/* tznr extension features[i].linkage.group: every group has at least 2 members, which hash
 * and compare alike (same format type, encoding and normalisation, same hashing, same levels)
 * and share the keys of the first member; a group name is not the identifier of a feature
 * outside the group. */
static tznr_error_t check_groups(struct tznr_schema *s)
{
    for (size_t i = 0; i < s->n_features; i++) {
        tznr__feature *f = &s->features[i];
        if (f->ignored || !f->group || f->group_first >= 0)
            continue;
        char p[PATH_LEN], esc[ESC_LEN];
        tznr__show(esc, sizeof esc, f->group, strlen(f->group));
        snprintf(p, sizeof p, "features[%zu].linkage.group", i);
        size_t members = 0;
        for (size_t j = i; j < s->n_features; j++) {
            tznr__feature *g = &s->features[j];
            if (g->ignored || !g->group || strcmp(g->group, f->group) != 0)
                continue;
            const char *what = group_mismatch(f, g);
            if (what) {
                snprintf(p, sizeof p, "features[%zu].%s", j, what);
                return serr(p, "must be the same as in features[%zu], the first member of "
                            "linkage group \"%s\" (members are compared with each other, so "
                            "their format, hashing and levels must be identical)", i, esc);
            }
            g->group_first = (long)i;
            members++;
        }
        if (members < 2)
            return serr(p, "linkage group \"%s\" has only this member; a group needs at least "
                        "2 compared features (or remove \"group\")", esc);
        for (size_t j = 0; j < s->n_features; j++) {
            const tznr__feature *g = &s->features[j];
            if (strcmp(g->name, f->group) == 0 && (g->ignored || !g->group ||
                                                   strcmp(g->group, f->group) != 0))
                return serr(p, "group name \"%s\" is the identifier of features[%zu], which is "
                            "not a member of the group; use another name", esc, j);
        }
    }
    return TZNR_OK;
}

static tznr_error_t parse_feature(struct tznr_schema *s, size_t idx, const json_t *fj)
{
    static const char *const k_ignored[] = {"identifier", "ignored", "description", NULL};
    static const char *const k_feature[] = {"identifier", "ignored", "description", "format",
                                            "hashing", "linkage", "derive", NULL};
    tznr__feature *f = &s->features[idx];
    char path[PATH_LEN], p[PATH_LEN];
    const char *name, *desc;
    tznr_error_t rc;

    snprintf(path, sizeof path, "features[%zu]", idx);
    if ((rc = check_object(fj, path)))
        return rc;
    if ((rc = get_string(fj, path, "identifier", 1, &name)))
        return rc;
    join(p, path, "identifier");
    if (!name[0])
        return serr(p, "must be a non-empty string (got \"\")");
    for (size_t j = 0; j < idx; j++)
        if (strcmp(s->features[j].name, name) == 0) {
            char esc[ESC_LEN];
            tznr__show(esc, sizeof esc, name, strlen(name));
            return serr(p, "duplicate identifier \"%s\" (also features[%zu].identifier)", esc, j);
        }
    f->name = tznr__strndup(name, strlen(name));
    if (!f->name)
        return nomem();
    if ((rc = get_bool(fj, path, "ignored", &f->ignored, NULL)))
        return rc;
    if ((rc = get_string(fj, path, "description", 0, &desc)))
        return rc;
    if (f->ignored) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)fj, key, val) {
            if (str_in(key, k_ignored) < 0) {
                join(p, path, key);
                if (strcmp(key, "format") == 0 || strcmp(key, "hashing") == 0)
                    return serr(p, "not allowed on an ignored feature (\"ignored\": true)");
                return serr(p, "unknown key (allowed on an ignored feature: identifier, "
                            "ignored, description)");
            }
        }
        return TZNR_OK;
    }
    if ((rc = check_keys(fj, path, k_feature)))
        return rc;
    json_t *fmt = json_object_get(fj, "format");
    json_t *hj = json_object_get(fj, "hashing");
    if (!fmt) {
        join(p, path, "format");
        return serr(p, "required key is missing (or set \"ignored\": true)");
    }
    join(p, path, "format");
    if ((rc = parse_format(f, fmt, p)))
        return rc;
    if (!hj) {
        join(p, path, "hashing");
        return serr(p, "required key is missing (or set \"ignored\": true)");
    }
    join(p, path, "hashing");
    if ((rc = parse_hashing(f, hj, p, s)))
        return rc;
    if ((rc = parse_linkage(f, json_object_get(fj, "linkage"), path)))
        return rc;
    json_t *dj = json_object_get(fj, "derive");   /* tznr extension, src/derive.c */
    if (dj) {
        join(p, path, "derive");
        if ((rc = tznr__derive_parse(f, idx, dj, p)))
            return rc;
    }
    return TZNR_OK;
}

/* ---- clkConfig ------------------------------------------------------------------------- */

static tznr_error_t decode_b64(const json_t *kdf, const char *path, const char *key,
                               uint8_t **out, size_t *out_len, int *present)
{
    char p[PATH_LEN];
    const char *str;
    tznr_error_t rc;
    *present = 0;
    if ((rc = get_string(kdf, path, key, 0, &str)))
        return rc;
    if (!str)
        return TZNR_OK;
    *present = 1;
    size_t len = strlen(str);
    uint8_t *buf = tznr__malloc(3 * (len / 4) + 3);
    if (!buf)
        return nomem();
    *out = buf;
    *out_len = 0;
    if (len == 0)
        return TZNR_OK;
    if (tznr__base64_decode(buf, out_len, str, len) != 0) {
        join(p, path, key);
        return rule_err(p, "not valid base64 (standard alphabet, with padding, no whitespace)",
                        json_object_get(kdf, key));
    }
    return TZNR_OK;
}

static tznr_error_t parse_clk_config(struct tznr_schema *s, const json_t *cfg)
{
    static const char *const keys[] = {"l", "xor_folds", "kdf", NULL};
    static const char *const k_kdf[] = {"type", "hash", "salt", "info", "keySize", NULL};
    const char *path = "clkConfig";
    char p[PATH_LEN];
    tznr_error_t rc;
    long long v;
    int present;

    if (!cfg)
        return TZNR_OK;
    if ((rc = check_object(cfg, path)) || (rc = check_keys(cfg, path, keys)))
        return rc;
    if ((rc = get_int(cfg, path, "l", 0, LLONG_MIN, LLONG_MAX,
                      "must be a positive multiple of 64", &v, &present)))
        return rc;
    if (present) {
        join(p, path, "l");
        if (v <= 0 || v % 64 != 0)
            return rule_err(p, "must be a positive multiple of 64", json_object_get(cfg, "l"));
        if (v > L_MAX)
            return rule_err(p, "must be at most 1048576", json_object_get(cfg, "l"));
        s->l = (size_t)v;
    }
    if ((rc = get_int(cfg, path, "xor_folds", 0, 0, XOR_FOLDS_MAX, NULL, &v, &present)))
        return rc;
    if (present)
        s->xor_folds = (unsigned)v;

    json_t *kdf;
    if ((rc = get_object(cfg, path, "kdf", 0, &kdf)))
        return rc;
    if (!kdf)
        return TZNR_OK;
    join(p, path, "kdf");
    char kp[PATH_LEN];
    memcpy(kp, p, sizeof kp);
    if ((rc = check_keys(kdf, kp, k_kdf)))
        return rc;
    const char *str;
    if ((rc = get_string(kdf, kp, "type", 0, &str)))
        return rc;
    if (str && strcmp(str, "HKDF") != 0) {
        join(p, kp, "type");
        return rule_err(p, "must be HKDF", json_object_get(kdf, "type"));
    }
    if ((rc = get_string(kdf, kp, "hash", 0, &str)))
        return rc;
    if (str) {
        join(p, kp, "hash");
        if (strcmp(str, "SHA256") == 0)
            s->kdf_md = TZNR__MD_SHA256;
        else if (strcmp(str, "SHA512") == 0)
            s->kdf_md = TZNR__MD_SHA512;
        else
            return rule_err(p, "must be one of SHA256, SHA512", json_object_get(kdf, "hash"));
    }
    if ((rc = decode_b64(kdf, kp, "salt", &s->salt, &s->salt_len, &s->has_salt)))
        return rc;
    if ((rc = decode_b64(kdf, kp, "info", &s->info, &s->info_len, &present)))
        return rc;
    if ((rc = get_int(kdf, kp, "keySize", 0, 1, KEY_SIZE_MAX, NULL, &v, &present)))
        return rc;
    if (present)
        s->key_size = (size_t)v;
    return TZNR_OK;
}

/* ---- top level ------------------------------------------------------------------------- */

static tznr_error_t parse_schema(struct tznr_schema *s, const json_t *root)
{
    static const char *const keys[] = {"version", "clkConfig", "features", "note", "metadata",
                                       "linkage", NULL};
    tznr_error_t rc;
    long long v;
    int present;

    if (!json_is_object(root))
        return type_err("(top level)", "a JSON object", root);
    if ((rc = check_keys(root, "", keys)))
        return rc;
    if ((rc = get_int(root, "", "version", 0, 3, 3, "must be 3 (linkage schema v3)", &v,
                      &present)))
        return rc;
    if ((rc = parse_clk_config(s, json_object_get(root, "clkConfig"))))
        return rc;

    json_t *feats = json_object_get(root, "features");
    if (!feats)
        return serr("features", "required key is missing (a non-empty array of features)");
    if (!json_is_array(feats))
        return type_err("features", "a non-empty array", feats);
    size_t n = json_array_size(feats);
    if (n == 0)
        return serr("features", "must be a non-empty array (got an empty array)");
    s->features = tznr__calloc(n, sizeof *s->features);
    if (!s->features)
        return nomem();
    s->n_features = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_feature(s, i, json_array_get(feats, i))))
            return rc;
    if ((rc = tznr__derive_resolve(s)))   /* derive names other features */
        return rc;
    if ((rc = check_groups(s)))   /* linkage.group: needs every feature */
        return rc;

    /* tznr extension: linkage = {"idColumn": NAME} names the column of record identifiers */
    s->id_index = -1;
    json_t *lk = json_object_get(root, "linkage");
    if (lk) {
        static const char *const lkeys[] = {"idColumn", NULL};
        const char *idc;
        if ((rc = check_object(lk, "linkage")) || (rc = check_keys(lk, "linkage", lkeys)) ||
            (rc = get_string(lk, "linkage", "idColumn", 0, &idc)))
            return rc;
        if (idc) {
            for (size_t i = 0; i < n; i++)
                if (strcmp(s->features[i].name, idc) == 0)
                    s->id_index = (long)i;
            if (s->id_index < 0)
                return rule_err("linkage.idColumn", "must name one of the features",
                                json_object_get(lk, "idColumn"));
        }
    }

    /* HKDF (RFC 5869) can derive at most 255 * HashLen bytes; clkhash derives 2 keys of
     * keySize bytes per feature, ignored ones included. */
    size_t hash_len = s->kdf_md == TZNR__MD_SHA512 ? 64 : 32;
    if (n > (255 * hash_len) / (2 * s->key_size))
        return serr("clkConfig.kdf.keySize", "%zu features * 2 keys * keySize %zu = %zu bytes "
                    "exceeds the HKDF limit of 255 * %zu = %zu bytes (use a smaller keySize or "
                    "SHA512)", n, s->key_size, n * 2 * s->key_size, hash_len, 255 * hash_len);

    /* encoding work of the numeric features, per record (see NUMERIC_TOKENS_MAX) */
    uint64_t ntok = 0, nbits = 0;
    for (size_t i = 0; i < n; i++) {
        const tznr__feature *f = &s->features[i];
        if (f->ignored || f->cmp != TZNR__CMP_NUMERIC)
            continue;
        uint64_t t = 2 * (uint64_t)f->resolution + 1;
        ntok += t;
        nbits += f->strategy == TZNR__STRAT_BITS_PER_TOKEN ? t * f->strategy_value
                                                           : f->strategy_value;
    }
    if (ntok > NUMERIC_TOKENS_MAX || nbits > NUMERIC_BITS_MAX)
        return serr("features", "the numeric features give %llu tokens and %llu bits per "
                    "record; the limits are %d tokens (the sum of 2 * resolution + 1) and %d "
                    "bits (the sum of tokens x bitsPerToken, or bitsPerFeature)",
                    (unsigned long long)ntok, (unsigned long long)nbits, NUMERIC_TOKENS_MAX,
                    NUMERIC_BITS_MAX);
    return TZNR_OK;
}

tznr_error_t tznr_schema_new_from_json(tznr_schema_t **out, const char *json, size_t json_len)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "tznr_schema_new_from_json: out is NULL");
    *out = NULL;
    if (!json)
        return tznr__err(TZNR_EINVAL, "tznr_schema_new_from_json: json is NULL");

    json_t *root = NULL;
    tznr_error_t prc = tznr__json_load(&root, json, json_len, "linkage schema", TZNR_ESCHEMA);
    if (prc)
        return prc;   /* never inferred from the message, which quotes the input */

    struct tznr_schema *s = tznr__calloc(1, sizeof *s);
    if (!s) {
        json_decref(root);
        return nomem();
    }
    s->version = 3;
    s->l = 1024;
    s->xor_folds = 0;
    s->kdf_md = TZNR__MD_SHA256;
    s->key_size = 64;

    tznr_error_t rc = parse_schema(s, root);
    if (!rc) {
        /* fingerprint: SHA-256 of the canonical form (sorted keys, compact, no "note") */
        json_t *canon = json_deep_copy(root);
        char *text = NULL;
        if (canon) {
            json_object_del(canon, "note");
            text = json_dumps(canon, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
        }
        rc = text ? tznr__sha256(s->fingerprint, (const uint8_t *)text, strlen(text)) : nomem();
        free(text);
        json_decref(canon);
    }
    json_decref(root);
    if (rc) {
        tznr_schema_free(s);
        return rc;
    }
    *out = s;
    return TZNR_OK;
}

tznr_error_t tznr_schema_new_from_file(tznr_schema_t **out, const char *path)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "tznr_schema_new_from_file: out is NULL");
    *out = NULL;
    if (!path)
        return tznr__err(TZNR_EINVAL, "tznr_schema_new_from_file: path is NULL");

    char *buf = NULL;
    size_t len = 0;
    tznr_error_t rc = tznr__read_file(path, SCHEMA_FILE_MAX, &buf, &len);
    if (rc) {
        if (!strstr(tznr_last_error_message(), path))
            tznr__err_prefix("%s", path);
        return rc;
    }
    rc = tznr_schema_new_from_json(out, buf, len);
    tznr__free(buf);
    if (rc)
        tznr__err_prefix("%s", path);
    return rc;
}

void tznr_schema_free(tznr_schema_t *schema)
{
    if (!schema)
        return;
    for (size_t i = 0; i < schema->n_features; i++)
        free_feature(&schema->features[i]);
    tznr__free(schema->features);
    tznr__free(schema->salt);
    tznr__free(schema->info);
    tznr__free(schema);
}

size_t tznr_schema_filter_bits(const tznr_schema_t *schema)
{
    return schema ? schema->l : 0;
}

size_t tznr_schema_feature_count(const tznr_schema_t *schema)
{
    return schema ? schema->n_features : 0;
}

const char *tznr_schema_feature_name(const tznr_schema_t *schema, size_t index)
{
    if (!schema || index >= schema->n_features)
        return NULL;
    return schema->features[index].name;
}

int tznr_schema_feature_is_ignored(const tznr_schema_t *schema, size_t index)
{
    if (!schema || index >= schema->n_features)
        return -1;
    return schema->features[index].ignored ? 1 : 0;
}

long tznr_schema_id_column(const tznr_schema_t *schema)
{
    return schema ? schema->id_index : -1;
}

tznr_error_t tznr_schema_fingerprint(const tznr_schema_t *schema, uint8_t *out, size_t out_len)
{
    if (!schema || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (out_len != 32)
        return tznr__err(TZNR_EBUFSIZE, "a fingerprint is 32 bytes (got %zu)", out_len);
    memcpy(out, schema->fingerprint, 32);
    return TZNR_OK;
}

size_t tznr_schema_feature_levels(const tznr_schema_t *schema, size_t index, double *thresholds,
                                  size_t cap)
{
    if (!schema || index >= schema->n_features)
        return 0;
    const tznr__feature *f = &schema->features[index];
    if (f->ignored || !f->compare)
        return 0;
    for (size_t i = 0; i < f->n_levels && i < cap && thresholds; i++)
        thresholds[i] = f->levels[i];
    return f->n_levels;
}

const char *tznr_schema_feature_group(const tznr_schema_t *schema, size_t index)
{
    if (!schema || index >= schema->n_features || schema->features[index].ignored)
        return NULL;
    return schema->features[index].group;
}
