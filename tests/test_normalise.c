/* Value validation and formatting (clkhash 0.18.3 FieldSpec.format_value semantics plus the
 * tznr `sentinels` extension): the clkhash debug vectors (raw -> formatted), cases C02, C04,
 * C24, and the documented edge cases. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "tznr_test.h"
#include "normalise.h"
#include "schema_internal.h"

static tznr_schema_t *load(const char *rel)
{
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_file(&s, tt_data(rel));
    ck_assert_msg(rc == TZNR_OK, "%s: %s", rel, tznr_last_error_message());
    return s;
}

static tznr_schema_t *from_json(const char *json)
{
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_json(&s, json, strlen(json));
    ck_assert_msg(rc == TZNR_OK, "%s: %s", json, tznr_last_error_message());
    return s;
}

/* One-feature schema: column `name`, the given format object and optional missingValue. */
static tznr_schema_t *one(const char *name, const char *format, const char *missing)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"features\":[{\"identifier\":\"%s\",\"format\":%s,\"hashing\":{\"comparison\":"
             "{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":10}%s%s}}]}",
             name, format, missing ? ",\"missingValue\":" : "", missing ? missing : "");
    return from_json(buf);
}

static const tznr__feature *feat(const tznr_schema_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_features; i++)
        if (strcmp(s->features[i].name, name) == 0)
            return &s->features[i];
    ck_abort_msg("no feature %s", name);
    return NULL;
}

static void ok_n(const tznr__feature *f, const char *raw, size_t raw_len, const char *want)
{
    char *out = (char *)1;
    size_t out_len = 99;
    int missing = 7;
    tznr_error_t rc = tznr__normalise(f, raw, raw_len, &out, &out_len, &missing);
    ck_assert_msg(rc == TZNR_OK, "%s: '%s' rejected: %s", f->name, raw,
                  tznr_last_error_message());
    ck_assert_int_eq(missing, 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(out_len == strlen(want) && memcmp(out, want, out_len) == 0 &&
                  out[out_len] == '\0', "%s: '%s' -> '%s', want '%s'", f->name, raw, out, want);
    free(out);
}

static void ok(const tznr__feature *f, const char *raw, const char *want)
{
    ok_n(f, raw, strlen(raw), want);
}

static void missing(const tznr__feature *f, const char *raw)
{
    char *out = (char *)1;
    size_t out_len = 99;
    int is_missing = 0;
    tznr_error_t rc = tznr__normalise(f, raw, strlen(raw), &out, &out_len, &is_missing);
    ck_assert_msg(rc == TZNR_OK, "%s: '%s': %s", f->name, raw, tznr_last_error_message());
    ck_assert_msg(is_missing == 1, "%s: '%s' not missing", f->name, raw);
    ck_assert_ptr_null(out);
}

/* Rejected with TZNR_EINPUT; the detail contains every given substring (NULL-terminated). */
static void bad(const tznr__feature *f, const char *raw, ...)
{
    char *out = (char *)1;
    size_t out_len = 0;
    int is_missing = 0;
    tznr_error_t rc = tznr__normalise(f, raw, strlen(raw), &out, &out_len, &is_missing);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(rc == TZNR_EINPUT, "%s: '%s' accepted (rc %d, out '%s')", f->name, raw, rc,
                  rc == TZNR_OK && out ? out : "");
    ck_assert_ptr_null(out);
    char col[256];
    snprintf(col, sizeof col, "column '%s': ", f->name);
    ck_assert_msg(strncmp(msg, col, strlen(col)) == 0, "no column in: %s", msg);
    va_list ap;
    va_start(ap, raw);
    for (const char *sub; (sub = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(msg, sub) != NULL, "no '%s' in: %s", sub, msg);
    va_end(ap);
}

/* ---- clkhash vectors: every raw value -> clkhash's formatted value ------------------------ */

static void replay_debug(const char *schema_rel, const char *debug_rel)
{
    tznr_schema_t *s = load(schema_rel);
    json_error_t jerr;
    json_t *d = json_load_file(tt_data(debug_rel), 0, &jerr);
    ck_assert_msg(d != NULL, "%s: %s", debug_rel, jerr.text);
    json_t *recs = json_object_get(d, "records");
    size_t n = 0;
    for (size_t r = 0; r < json_array_size(recs); r++) {
        json_t *fs = json_object_get(json_array_get(recs, r), "features");
        for (size_t i = 0; i < json_array_size(fs); i++) {
            json_t *fj = json_array_get(fs, i);
            const tznr__feature *f =
                feat(s, json_string_value(json_object_get(fj, "identifier")));
            json_t *raw = json_object_get(fj, "raw");
            ok_n(f, json_string_value(raw), json_string_length(raw),
                 json_string_value(json_object_get(fj, "formatted")));
            n++;
        }
    }
    ck_assert_uint_ge(n, 100);
    json_decref(d);
    tznr_schema_free(s);
}

START_TEST(vectors_s1) { replay_debug("vectors/schemas/s1_example.a.json", "vectors/debug/s1_example.a.debug.json"); }
END_TEST
START_TEST(vectors_s3) { replay_debug("vectors/schemas/s3_mixed.a.json", "vectors/debug/s3_mixed.a.debug.json"); }
END_TEST

/* README traps: unpadded "17/8/1973" (b06), 29 Feb 2004 (a11/b08), integer postcodes. */
START_TEST(vectors_traps)
{
    tznr_schema_t *s = load("vectors/schemas/s3_mixed.b.json");
    ok(feat(s, "dob"), "17/8/1973", "19730817");
    ok(feat(s, "dob"), "29/02/2004", "20040229");
    ok(feat(s, "dob"), "02/11/1979", "19791102");
    ok(feat(s, "postcode"), "06000", "6000");
    ok(feat(s, "postcode"), "01000", "1000");
    /* clkhash sentinel "" with replaceWith: replaced, not missing, not validated */
    ok(feat(s, "gender"), "", "U");
    ok(feat(s, "city"), "", "INCONNU");
    ok(feat(s, "postcode"), "", "");          /* sentinel "" without replaceWith: itself */
    ok(feat(s, "dob"), "", "");
    bad(feat(s, "dob"), " ", "not a valid date", NULL);  /* " " is not the sentinel "" */
    bad(feat(s, "postcode"), "999", "below minimum 1000", "\"999\"", NULL);
    bad(feat(s, "postcode"), "100000", "above maximum 99999", NULL);
    bad(feat(s, "gender"), "X", "not one of M, F, O", "\"X\"", NULL);
    bad(feat(s, "gender"), "m", "not one of M, F, O", NULL);
    ok(feat(s, "gender"), "F", "F");
    /* NFD "Anaïs" (b15) is kept byte for byte: no Unicode normalisation */
    ok(feat(s, "firstName"), "Ana\xCC\x88is", "Ana\xCC\x88is");
    ok(feat(s, "lastName"), "FOURNIER", "FOURNIER");
    tznr_schema_free(s);

    s = load("vectors/schemas/s1_example.a.json");
    ok(feat(s, "dob"), "2004-02-29", "20040229");
    ok(feat(s, "postcode"), "06000", "06000");     /* string with pattern keeps the zero */
    ok(feat(s, "postcode"), "", "");
    bad(feat(s, "postcode"), "6000", "does not match pattern [0-9]{5}", NULL);
    ok(feat(s, "firstName"), "Éloïse", "Éloïse");
    bad(feat(s, "firstName"), "Abcdefghijklmnopqrstuvwxyzabcde", "longer than maxLength 30",
        NULL);
    tznr_schema_free(s);
}
END_TEST

/* ---- C02: integer vs string-with-pattern postcodes ----------------------------------------- */

START_TEST(c02_integer)
{
    tznr_schema_t *s = load("cases/C02/schema.json");
    const tznr__feature *f = feat(s, "postcode");
    ok(f, "75011", "75011");
    ok(f, " 75011", "75011");
    ok(f, "75011 ", "75011");
    ok(f, "+75011", "75011");
    ok(f, "01220", "1220");
    ok(f, "\t 42\r\n", "42");
    ok(f, "\xC2\xA0" "42" "\xE3\x80\x80", "42");      /* Python int() strips Unicode spaces */
    ok(f, "-0", "0");
    ok(f, "+0000", "0");
    ok(f, "-007", "-7");
    ok(f, "9223372036854775807", "9223372036854775807");
    ok(f, "-9223372036854775808", "-9223372036854775808");
    bad(f, "75O11", "not an integer", "(value \"75O11\")", NULL);
    bad(f, "", "not an integer", NULL);
    bad(f, "  ", "not an integer", NULL);
    bad(f, "+", "not an integer", NULL);
    bad(f, "-", "not an integer", NULL);
    bad(f, "++1", "not an integer", NULL);
    bad(f, "- 1", "not an integer", NULL);
    bad(f, "1 000", "not an integer", NULL);
    bad(f, "1_000", "not an integer", NULL);
    bad(f, "1.0", "not an integer", NULL);
    bad(f, "1e3", "not an integer", NULL);
    bad(f, "0x10", "not an integer", NULL);
    bad(f, "\xEF\xBC\x91\xEF\xBC\x92", "not an integer", NULL);   /* fullwidth digits */
    bad(f, "9223372036854775808", "out of range", NULL);
    bad(f, "-9223372036854775809", "out of range", NULL);
    bad(f, "123456789012345678901234567890", "out of range", NULL);
    tznr_schema_free(s);
}
END_TEST

START_TEST(c02_string_pattern)
{
    tznr_schema_t *s = one("postcode", "{\"type\":\"string\",\"pattern\":\"[0-9]{5}\"}", NULL);
    const tznr__feature *f = feat(s, "postcode");
    ok(f, "75011", "75011");
    ok(f, "01220", "01220");
    bad(f, " 75011", "does not match pattern [0-9]{5}", "(value \" 75011\")", NULL);
    bad(f, "+75011", "does not match pattern [0-9]{5}", "(value \"+75011\")", NULL);
    bad(f, "75011 ", "does not match pattern", NULL);
    bad(f, "7501", "does not match pattern", NULL);
    bad(f, "750111", "does not match pattern", NULL);   /* full match, not a prefix */
    bad(f, "", "does not match pattern", NULL);
    tznr_schema_free(s);

    /* full match tries every alternative (Python re.fullmatch) */
    s = one("c", "{\"type\":\"string\",\"pattern\":\"a|ab\"}", NULL);
    ok(feat(s, "c"), "ab", "ab");
    ok(feat(s, "c"), "a", "a");
    bad(feat(s, "c"), "abb", "does not match", NULL);
    tznr_schema_free(s);
    /* \d and \w are Unicode-aware, as in Python 3 */
    s = one("c", "{\"type\":\"string\",\"pattern\":\"\\\\d+\\\\w\"}", NULL);
    ok(feat(s, "c"), "\xD9\xA3" "1é", "\xD9\xA3" "1é");
    tznr_schema_free(s);
}
END_TEST

/* ---- C04: placeholder strings ------------------------------------------------------------------ */

START_TEST(c04_sentinels)
{
    tznr_schema_t *s = load("cases/C04/schema_with_sentinels.json");
    const tznr__feature *f = feat(s, "dob");
    missing(f, "N/A");
    missing(f, "null");
    missing(f, "");
    missing(f, "  ");
    missing(f, " N/A\t");
    ok(f, "1990-05-17", "19900517");
    bad(f, "n/a", "not a valid date", NULL);        /* compare is case-sensitive */
    bad(f, "NULL", "not a valid date", NULL);
    ok(feat(s, "given_name"), "Inès", "Inès");
    tznr_schema_free(s);

    /* (b) the same schema without the missingValue block */
    json_error_t jerr;
    json_t *root = json_load_file(tt_data("cases/C04/schema_with_sentinels.json"), 0, &jerr);
    ck_assert_ptr_nonnull(root);
    json_t *hashing = json_object_get(json_array_get(json_object_get(root, "features"), 2),
                                      "hashing");
    ck_assert_int_eq(json_object_del(hashing, "missingValue"), 0);
    char *text = json_dumps(root, 0);
    json_decref(root);
    s = from_json(text);
    free(text);
    f = feat(s, "dob");
    bad(f, "N/A", "column 'dob'", "(value \"N/A\")", "not a valid date for format %Y-%m-%d", NULL);
    bad(f, "null", "column 'dob'", "(value \"null\")", NULL);
    bad(f, "", "column 'dob'", NULL);              /* blank: an error without missingValue */
    bad(f, "  ", "column 'dob'", NULL);
    ok(f, "1990-05-17", "19900517");
    tznr_schema_free(s);

    /* sentinels + replaceWith: replaced, not missing */
    s = one("g", "{\"type\":\"enum\",\"values\":[\"M\",\"F\"]}",
            "{\"sentinels\":[\" ?? \",\"-\"],\"replaceWith\":\"U\"}");
    ok(feat(s, "g"), "??", "U");
    ok(feat(s, "g"), " - ", "U");
    ok(feat(s, "g"), "M", "M");
    bad(feat(s, "g"), "", "not one of M, F", NULL);
    tznr_schema_free(s);
}
END_TEST

/* clkhash `sentinel`: byte-exact, replaced (default: itself), never validated */
START_TEST(clkhash_sentinel)
{
    tznr_schema_t *s = one("n", "{\"type\":\"integer\",\"minimum\":5}",
                           "{\"sentinel\":\"N/A\",\"replaceWith\":\"not-a-number\"}");
    const tznr__feature *f = feat(s, "n");
    ok(f, "N/A", "not-a-number");
    bad(f, " N/A", "not an integer", NULL);
    bad(f, "n/a", "not an integer", NULL);
    ok(f, "7", "7");
    tznr_schema_free(s);
    s = one("e", "{\"type\":\"enum\",\"values\":[\"a\"]}", "{\"sentinel\":\"?\"}");
    ok(feat(s, "e"), "?", "?");
    tznr_schema_free(s);
}
END_TEST

/* ---- C24 and other dates --------------------------------------------------------------------- */

START_TEST(c24_dates)
{
    tznr_schema_t *s = one("dob", "{\"type\":\"date\",\"format\":\"%Y-%m-%d\"}", NULL);
    const tznr__feature *f = feat(s, "dob");
    char *csv = tt_read(tt_data("cases/C24/dates.csv"), NULL);
    int n = 0;
    for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
        char *comma = strchr(line, ',');
        ck_assert_ptr_nonnull(comma);
        *comma = '\0';
        const char *id = line, *val = comma + 1;
        if (strcmp(id, "id") == 0)
            continue;
        n++;
        if (strcmp(id, "d4") == 0)
            ok(f, val, "20000229");
        else if (strcmp(id, "d8") == 0)
            ok(f, val, "19850630");
        else
            bad(f, val, "not a valid date for format %Y-%m-%d", NULL);
    }
    ck_assert_int_eq(n, 8);
    free(csv);

    /* exact message */
    char *out = NULL;
    size_t len;
    int m;
    ck_assert_int_eq(tznr__normalise(f, "2001-02-29", 10, &out, &len, &m), TZNR_EINPUT);
    ck_assert_str_eq(tznr_last_error_message(),
                     "column 'dob': not a valid date for format %Y-%m-%d (value \"2001-02-29\")");
    tznr_schema_free(s);

    /* d7 (empty) is missing under a sentinels list */
    s = one("dob", "{\"type\":\"date\",\"format\":\"%Y-%m-%d\"}", "{\"sentinels\":[\"\"]}");
    missing(feat(s, "dob"), "");
    bad(feat(s, "dob"), "1985-06-31", "not a valid date", NULL);
    tznr_schema_free(s);
}
END_TEST

static void date_case(const char *fmt, const char *raw, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"type\":\"date\",\"format\":\"%s\"}", fmt);
    tznr_schema_t *s = one("d", buf, NULL);
    if (want)
        ok(feat(s, "d"), raw, want);
    else
        bad(feat(s, "d"), raw, "not a valid date for format", NULL);
    tznr_schema_free(s);
}

/* Python datetime.strptime semantics (regex per directive, matched from the start, rest must
 * be empty), then a calendar check. */
START_TEST(dates_python_semantics)
{
    const char *iso = "%Y-%m-%d";
    date_case(iso, "2000-02-29", "20000229");
    date_case(iso, "2004-02-29", "20040229");
    date_case(iso, "2001-02-29", NULL);
    date_case(iso, "1900-02-29", NULL);
    date_case(iso, "2100-02-29", NULL);
    date_case(iso, "2000-04-31", NULL);
    date_case(iso, "2000-12-31", "20001231");
    date_case(iso, "0001-01-01", "10101")   /* unpadded year, as clkhash on glibc */;
    date_case(iso, "0999-05-06", "9990506");   /* clkhash on glibc: strftime %Y is unpadded */
    date_case(iso, "9999-12-31", "99991231");
    date_case(iso, "0000-01-01", NULL);          /* year 0 is outside datetime's range */
    date_case(iso, "2000-1-5", "20000105");      /* Python accepts one-digit %m and %d */
    date_case(iso, "2000-00-10", NULL);
    date_case(iso, "2000-13-10", NULL);
    date_case(iso, "2000-01-32", NULL);
    date_case(iso, " 2000-01-01", NULL);
    date_case(iso, "2000-01-01 ", NULL);
    date_case(iso, "2000-01-01x", NULL);
    date_case(iso, "200-01-01", NULL);           /* %Y needs exactly 4 digits */
    date_case(iso, "20000-01-01", NULL);
    date_case(iso, "+2000-01-01", NULL);
    date_case(iso, "2000/01/01", NULL);
    date_case(iso, "", NULL);
    date_case("%d/%m/%Y", "17/8/1973", "19730817");
    date_case("%d/%m/%Y", "17/08/1973", "19730817");
    date_case("%d/%m/%Y", " 7/08/1973", "19730807");   /* %d also accepts " [1-9]" */
    date_case("%d/%m/%Y", "17/8/73", NULL);
    date_case("%d/%m/%Y", "31/12/1999", "19991231");
    date_case("%d/%m/%y", "17/8/73", "19730817");
    date_case("%d/%m/%y", "1/1/68", "20680101");
    date_case("%d/%m/%y", "1/1/69", "19690101");
    date_case("%d%m%Y", "1122000", "20000211");         /* first successful alternatives */
    date_case("%m%d", "110", "19000110");                /* backtracking: m=1, d=10 */
    date_case("%m-%d", "02-29", NULL);                   /* default year 1900 */
    date_case("%Y", "1999", "19990101");
    date_case("%d %B %Y", "5 March 2001", "20010305");
    date_case("%d %B %Y", "05 MARCH 2001", "20010305");
    date_case("%d %B %Y", "5  march \t 2001", "20010305");   /* format space = \s+ */
    date_case("%d %B %Y", "5March 2001", NULL);
    date_case("%d %B %Y", "5 Mar 2001", NULL);
    date_case("%d %b %Y", "5 mar 2001", "20010305");
    date_case("%d %b %Y", "31 Sep 2001", NULL);
    date_case("%Y-%m-%dT%H:%M:%S", "2000-01-01t23:59:59", "20000101");
    date_case("%Y-%m-%d %H:%M:%S", "2000-01-01 23:59:60", NULL);
    date_case("%Y-%m-%d %H:%M:%S", "2000-01-01 24:00:00", NULL);
    date_case("%Y-%m-%d %H:%M", "2000-01-01 9:5", "20000101");
    date_case("%Y%%", "2000%", "20000101");
    date_case("%d\xC2\xB7%m\xC2\xB7%Y", "01\xC2\xB7" "02\xC2\xB7" "2000", "20000201");
}
END_TEST

/* ---- strings and enums ------------------------------------------------------------------------ */

START_TEST(strings)
{
    tznr_schema_t *s = one("n", "{\"type\":\"string\",\"encoding\":\"ascii\"}", NULL);
    ok(feat(s, "n"), "Eloise", "Eloise");
    ok(feat(s, "n"), "", "");
    bad(feat(s, "n"), "Éloïse", "not ASCII", NULL);
    tznr_schema_free(s);

    s = one("n", "{\"type\":\"string\",\"minLength\":6,\"maxLength\":6}", NULL);
    ok(feat(s, "n"), "Éloïse", "Éloïse");         /* 6 code points, 8 bytes */
    ok(feat(s, "n"), "Nguyễn", "Nguyễn");
    bad(feat(s, "n"), "Eloïs", "shorter than minLength 6 (length 5)", NULL);
    bad(feat(s, "n"), "Éloïses", "longer than maxLength 6 (length 7)", NULL);
    bad(feat(s, "n"), "", "shorter than minLength 6 (length 0)", NULL);
    tznr_schema_free(s);

    /* clkhash checks case as s.upper() == s (resp. lower); the empty string passes */
    s = one("n", "{\"type\":\"string\",\"case\":\"upper\"}", NULL);
    ok(feat(s, "n"), "FOURNIER", "FOURNIER");
    ok(feat(s, "n"), "O'CONNOR-DE LA FONTAINE", "O'CONNOR-DE LA FONTAINE");
    ok(feat(s, "n"), "ÉLOÏSE", "ÉLOÏSE");
    ok(feat(s, "n"), "", "");
    ok(feat(s, "n"), "123", "123");
    bad(feat(s, "n"), "Fournier", "not upper case", NULL);
    bad(feat(s, "n"), "ÉLOÏSe", "not upper case", NULL);
    bad(feat(s, "n"), "\xC7\x85", "not upper case", NULL);       /* U+01C5 titlecase */
    tznr_schema_free(s);
    s = one("n", "{\"type\":\"string\",\"case\":\"lower\"}", NULL);
    ok(feat(s, "n"), "éloïse", "éloïse");
    ok(feat(s, "n"), "", "");
    ok(feat(s, "n"), "42-b", "42-b");
    bad(feat(s, "n"), "Éloïse", "not lower case", NULL);
    tznr_schema_free(s);

    /* tznr allows pattern and lengths together: all rules apply */
    s = one("n", "{\"type\":\"string\",\"pattern\":\"[A-Z]+\",\"maxLength\":3}", NULL);
    ok(feat(s, "n"), "ABC", "ABC");
    bad(feat(s, "n"), "ABCD", "longer than maxLength 3", NULL);
    bad(feat(s, "n"), "AB1", "does not match pattern [A-Z]+", NULL);
    tznr_schema_free(s);
}
END_TEST

START_TEST(enums)
{
    tznr_schema_t *s = one("g", "{\"type\":\"enum\",\"values\":[\"M\",\"F\",\"O\",\"\"]}", NULL);
    const tznr__feature *f = feat(s, "g");
    ok(f, "M", "M");
    ok(f, "", "");
    bad(f, "M ", "not one of M, F, O, ", NULL);
    bad(f, "MF", "not one of", NULL);
    tznr_schema_free(s);
}
END_TEST

/* The value in messages is escaped and cut to about 60 bytes on a code point boundary. */
START_TEST(error_value_display)
{
    tznr_schema_t *s = one("n\\\"q", "{\"type\":\"integer\"}", NULL);
    const tznr__feature *f = feat(s, "n\"q");
    char raw[300];
    memset(raw, 'x', sizeof raw - 1);
    raw[sizeof raw - 1] = '\0';
    memcpy(raw, "\"a\nb\x01", 5);
    memcpy(raw + 59, "é", 2);           /* straddles byte 60: cut before it */
    char *out = NULL;
    size_t len;
    int m;
    ck_assert_int_eq(tznr__normalise(f, raw, strlen(raw), &out, &len, &m), TZNR_EINPUT);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, "column 'n\\\"q'") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "(value \"\\\"a\\nb\\x01") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "x...\")") != NULL, "%s", msg);
    ck_assert_msg(strchr(msg, '\xC3') == NULL, "%s", msg);
    ck_assert_uint_lt(strlen(msg), 200);
    tznr_schema_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("normalise");
    TCase *tc = tcase_create("clkhash");
    tcase_add_test(tc, vectors_s1);
    tcase_add_test(tc, vectors_s3);
    tcase_add_test(tc, vectors_traps);
    tcase_add_test(tc, clkhash_sentinel);
    suite_add_tcase(s, tc);
    tc = tcase_create("cases");
    tcase_add_test(tc, c02_integer);
    tcase_add_test(tc, c02_string_pattern);
    tcase_add_test(tc, c04_sentinels);
    tcase_add_test(tc, c24_dates);
    suite_add_tcase(s, tc);
    tc = tcase_create("formats");
    tcase_add_test(tc, dates_python_semantics);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, enums);
    tcase_add_test(tc, error_value_display);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
