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
#include "tokenise.h"

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


/* ---- format.normalise (tznr extension; cases C26, C29) -------------------------------------- */

static const char NAME_FR[] = "{\"type\":\"string\",\"normalise\":\"name-fr\"}";

/* "group,col1,col2..." files of tests/data/cases: column `col` (1-based) of every data row is
 * normalised by f and must give want(group). */
static void replay_names(const tznr__feature *f, const char *rel, int col,
                         const char *(*want)(const char *group))
{
    FILE *fp = fopen(tt_data(rel), "rb");
    ck_assert_msg(fp != NULL, "%s", rel);
    char line[512];
    int n = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));   /* header */
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[4] = {0};
        int k = 0;
        for (char *p = line, *c; k < 4; p = c + 1) {
            fields[k++] = p;
            if (!(c = strchr(p, ',')))
                break;
            *c = '\0';
        }
        ck_assert_int_gt(k, col);
        ok(f, fields[col], want(fields[0]));
        n++;
    }
    fclose(fp);
    ck_assert_int_ge(n, 10);
}

/* C26 expected.txt: g1 HELENE, g2 MUNOZ, g3 OENONE, g4 LAETITIA, g5 JOAO, g6 FRANCOISE */
static const char *c26_want(const char *g)
{
    static const char *const w[] = {"HELENE", "MUNOZ", "OENONE", "LAETITIA", "JOAO", "FRANCOISE"};
    ck_assert_msg(g[0] == 'g' && g[1] >= '1' && g[1] <= '6' && !g[2], "group %s", g);
    return w[g[1] - '1'];
}

/* C29 expected.txt: h1 prenom variants of Anne-Laure, h2 of Jean-Pierre, one separator */
static const char *c29_prenom(const char *g)
{
    return strcmp(g, "h1") == 0 ? "ANNE LAURE" : strcmp(g, "h2") == 0 ? "JEAN PIERRE" : "SOPHIE";
}

START_TEST(c26_accents_any_form)
{
    tznr_schema_t *s = one("given_name", NAME_FR, NULL);
    replay_names(feat(s, "given_name"), "cases/C26/names.csv", 1, c26_want);
    const tznr__feature *f = feat(s, "given_name");
    /* the faults of the report, each kind: ñ/ã kept as letters, NFD marks dropped, ligatures */
    ok(f, "Mu\xC3\xB1oz", "MUNOZ");
    ok(f, "Mun\xCC\x83oz", "MUNOZ");                       /* n + U+0303 */
    ok(f, "\xC3\x86SCHYLE \xC5\x93uvre", "AESCHYLE OEUVRE");
    ok(f, "Stra\xC3\x9F" "e \xE1\xBA\x9E", "STRASSE SS");   /* ß, capital sharp s U+1E9E */
    ok(f, "Nguy\xE1\xBB\x85n", "NGUYEN");                   /* ễ: two marks */
    ok(f, "Nguye\xCC\x82\xCC\x83n", "NGUYEN");              /* the same in NFD */
    ok(f, "\xC3\x87", "C");
    ok(f, "\xC7\xBD", "AE");                                /* ǽ: NFKD -> æ + acute */
    ok(f, "\xEF\xAC\x81lon", "FILON");                      /* ﬁ ligature: NFKD -> fi */
    /* letters without a decomposition stay letters (never a space, never dropped) */
    ok(f, "\xC5\x81ukasz S\xC3\xB8ren", "\xC5\x81UKASZ S\xC3\x98REN");   /* Ł, ø -> Ø */
    /* non-Latin letters: decomposed, marks dropped, upper-cased as utf8proc does */
    ok(f, "\xCE\x95\xCE\xBB\xCE\xAD\xCE\xBD\xCE\xB7", "\xCE\x95\xCE\x9B\xCE\x95\xCE\x9D\xCE\x97");
    ok(f, "\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E", "\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E");
    ok(f, "\xE0\xA4\x95\xE0\xA5\x80", "\xE0\xA4\x95\xE0\xA5\x80");   /* क + ी (Mc): kept */
    tznr_schema_free(s);
}
END_TEST

START_TEST(c29_separators)
{
    tznr_schema_t *s = one("prenom", NAME_FR, NULL);
    const tznr__feature *f = feat(s, "prenom");
    replay_names(f, "cases/C29/names.csv", 1, c29_prenom);
    ok(f, "MARTIN DUPONT", "MARTIN DUPONT");
    ok(f, "MARTIN-DUPONT", "MARTIN DUPONT");
    ok(f, "Martin\xE2\x80\x94" "Dupont", "MARTIN DUPONT");             /* em dash */
    ok(f, "Martin\xE2\x88\x92" "Dupont", "MARTIN DUPONT");          /* U+2212 minus */
    ok(f, "\tAnne\xC2\xA0-\xE2\x80\xAF Laure \n", "ANNE LAURE");    /* tab, NBSP, U+202F */
    /* apostrophes: one separator, like a hyphen (docs/schema.md §5) */
    ok(f, "D'Artagnan", "D ARTAGNAN");
    ok(f, "d\xE2\x80\x99" "artagnan", "D ARTAGNAN");                /* ’ */
    ok(f, "D\xCA\xBC" "ARTAGNAN", "D ARTAGNAN");                    /* ʼ U+02BC */
    ok(f, "L\xE2\x80\x99Hermite", "L HERMITE");
    ok(f, "D ARTAGNAN", "D ARTAGNAN");
    ok(f, "O'Neil-Le Gall", "O NEIL LE GALL");
    /* a value of separators only normalises to nothing: missing */
    missing(f, "");
    missing(f, " - \xE2\x80\x93 '\t");
    tznr_schema_free(s);
}
END_TEST

/* C29 h3: the double surname shares every bigram of the single one. Padded bigrams by hand:
 * "MARTIN DUPONT" -> _M MA AR RT TI IN N_ _D DU UP PO ON NT T_ (14, distinct; _ = space),
 * "DUPONT" -> _D DU UP PO ON NT T_ (7), all in the first: set Dice = 2*7/(14+7) = 2/3. */
START_TEST(c29_bigram_dice)
{
    static const char schema[] =
        "{\"features\":[{\"identifier\":\"nom\",\"format\":{\"type\":\"string\",\"normalise\":"
        "\"name-fr\"},\"hashing\":{\"comparison\":{\"type\":\"ngram\",\"n\":2},\"strategy\":"
        "{\"bitsPerToken\":20}}}]}";
    static const char *const want_a[] = {" M", "MA", "AR", "RT", "TI", "IN", "N ", " D", "DU",
                                         "UP", "PO", "ON", "NT", "T "};
    static const char *const want_b[] = {" D", "DU", "UP", "PO", "ON", "NT", "T "};
    tznr_schema_t *s = from_json(schema);
    const tznr__feature *f = feat(s, "nom");
    const char *raw[2] = {"Martin\xE2\x80\x93" "dupont", "Dupont"};
    const char *const *want[2] = {want_a, want_b};
    const size_t nwant[2] = {14, 7};
    tznr__tokens t;
    tznr__tokens_init(&t);
    for (int v = 0; v < 2; v++) {
        char *out = NULL;
        size_t len = 0;
        int m = 0;
        ck_assert_int_eq(tznr__normalise(f, raw[v], strlen(raw[v]), &out, &len, &m), TZNR_OK);
        ck_assert_int_eq(tznr__tokenise(&t, f, out, len), TZNR_OK);
        free(out);
        ck_assert_uint_eq(t.n, nwant[v]);
        for (size_t i = 0; i < t.n; i++)
            ck_assert_msg(t.off[i + 1] - t.off[i] == 2 &&
                          memcmp(t.buf + t.off[i], want[v][i], 2) == 0, "token %zu", i);
    }
    tznr__tokens_free(&t);
    size_t common = 0;
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 14; j++)
            common += strcmp(want_b[i], want_a[j]) == 0;
    ck_assert_uint_eq(common, 7);
    ck_assert(2.0 * (double)common / (14 + 7) == 2.0 / 3.0);
    tznr_schema_free(s);
}
END_TEST

static size_t put_utf8(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Every letter of Latin-1 Supplement, Latin Extended-A, -B and Additional against Python's
 * unicodedata (tests/data/normalise/gen_latin.py: upper(drop Mn(NFKD(c)))). The documented
 * exceptions: Æ and Œ in that result are written AE and OE, and ẞ (U+1E9E, which Python's
 * upper() keeps) is SS like ß, because tznr upper-cases the case-folded text. */
START_TEST(latin_letters)
{
    tznr_schema_t *s = one("n", "{\"type\":\"string\",\"normalise\":{\"form\":\"strip-accents\","
                                "\"case\":\"upper\"}}", NULL);
    const tznr__feature *f = feat(s, "n");
    FILE *fp = fopen(tt_data("normalise/latin_letters.tsv"), "r");
    ck_assert_ptr_nonnull(fp);
    char line[256];
    int n = 0, a1 = 0, ext_a = 0, exceptions = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        char *p = line;
        unsigned long cp = strtoul(p, &p, 16);
        char in[8], want[64];
        in[put_utf8(in, cp)] = '\0';
        size_t w = 0;
        for (char *e; (cp = strtoul(p, &e, 16)) != 0 || e != p; p = e) {
            if (cp == 0x1E9E) {                     /* ẞ: tznr upper-cases the case-folded */
                w += (size_t)snprintf(want + w, sizeof want - w, "SS");   /* text, as for ß */
                exceptions++;
            } else if (cp == 0xC6 || cp == 0x152) { /* Æ, Œ: no decomposition -> AE, OE */
                w += (size_t)snprintf(want + w, sizeof want - w, cp == 0xC6 ? "AE" : "OE");
                exceptions++;
            } else {
                w += put_utf8(want + w, cp);
            }
        }
        want[w] = '\0';
        ck_assert_uint_gt(w, 0);                    /* no letter normalises to nothing */
        ok(f, in, want);
        n++;
        a1 += in[0] == '\xC2' || in[0] == '\xC3';
        ext_a += in[0] == '\xC4' || in[0] == '\xC5';
    }
    fclose(fp);
    ck_assert_int_eq(a1, 65);          /* ª µ º and U+00C0..U+00FF less × ÷ */
    ck_assert_int_eq(ext_a, 128);      /* U+0100..U+017F: all letters */
    ck_assert_int_eq(exceptions, 9);   /* Æ æ Œ œ, Ǣ ǣ Ǽ ǽ (NFKD: Æ/æ + a mark), ẞ */
    ck_assert_int_ge(n, 600);
    tznr_schema_free(s);
}
END_TEST

/* Every white-space and dash code point (Python's list, tests/data/normalise/separators.tsv),
 * the minus sign and the documented apostrophes: one separator, runs collapsed. */
START_TEST(separators_all)
{
    static const unsigned long extra[] = {0x2212, 0x27, 0x2018, 0x2019, 0x201B, 0x2BC, 0xFF07,
                                          0x60, 0xB4, 0x2032};
    tznr_schema_t *s = one("n", NAME_FR, NULL);
    tznr_schema_t *keep = one("n", "{\"type\":\"string\",\"normalise\":{\"separators\":\"space\"}}",
                              NULL);
    const tznr__feature *f = feat(s, "n"), *k = feat(keep, "n");
    unsigned long cps[128];
    size_t n = 0;
    FILE *fp = fopen(tt_data("normalise/separators.tsv"), "r");
    ck_assert_ptr_nonnull(fp);
    char line[128];
    while (fgets(line, sizeof line, fp))
        if (line[0] != '#' && n < 100)
            cps[n++] = strtoul(line, NULL, 16);
    fclose(fp);
    ck_assert_uint_ge(n, 50);
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        cps[n++] = extra[i];
    for (size_t i = 0; i < n; i++) {
        char sep[8], in[64];
        sep[put_utf8(sep, cps[i])] = '\0';
        snprintf(in, sizeof in, "anne%slaure", sep);
        ok(f, in, "ANNE LAURE");
        ok(k, in, "anne laure");            /* separators alone: nothing else changes */
        snprintf(in, sizeof in, "%s%sx%s %sy%s", sep, sep, sep, sep, sep);
        ok(f, in, "X Y");
        ok(k, in, " x y ");                 /* without trim, the ends stay (one space) */
    }
    tznr_schema_free(keep);
    tznr_schema_free(s);
}
END_TEST

/* Each option alone, and the order of steps (docs/schema.md §2 format.normalise). */
START_TEST(normalise_options)
{
    static const char *const nfd = "He\xCC\x81le\xCC\x80ne \xEF\xAC\x81 Stra\xC3\x9F" "e";
    static const struct { const char *norm, *want; } t[] = {
        {"{}", "He\xCC\x81le\xCC\x80ne \xEF\xAC\x81 Stra\xC3\x9F" "e"},
        {"{\"form\":\"none\",\"case\":\"none\",\"separators\":\"keep\",\"trim\":false}",
         "He\xCC\x81le\xCC\x80ne \xEF\xAC\x81 Stra\xC3\x9F" "e"},
        {"{\"form\":\"NFC\"}", "H\xC3\xA9l\xC3\xA8ne \xEF\xAC\x81 Stra\xC3\x9F" "e"},
        {"{\"form\":\"NFKC\"}", "H\xC3\xA9l\xC3\xA8ne fi Stra\xC3\x9F" "e"},
        {"{\"form\":\"strip-accents\"}", "Helene fi Stra\xC3\x9F" "e"},
        {"{\"case\":\"lower\"}", "he\xCC\x81le\xCC\x80ne fi strasse"},      /* full folding: U+FB01 -> fi */
        {"{\"case\":\"upper\"}", "HE\xCC\x81LE\xCC\x80NE FI STRASSE"},
        {"{\"form\":\"NFC\",\"case\":\"upper\"}", "H\xC3\x89L\xC3\x88NE FI STRASSE"},
        {"{\"form\":\"strip-accents\",\"case\":\"lower\"}", "helene fi strasse"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char fmt[256];
        snprintf(fmt, sizeof fmt, "{\"type\":\"string\",\"normalise\":%s}", t[i].norm);
        tznr_schema_t *s = one("n", fmt, NULL);
        ok(feat(s, "n"), nfd, t[i].want);
        tznr_schema_free(s);
    }
    /* ligatures in both cases without case mapping */
    tznr_schema_t *s = one("n", "{\"type\":\"string\",\"normalise\":{\"form\":\"strip-accents\"}}",
                           NULL);
    ok(feat(s, "n"), "\xC5\x92none \xC5\x93uvre \xC3\x86 \xC3\xA6", "OEnone oeuvre AE ae");
    tznr_schema_free(s);
    /* trim alone: white space only, dashes stay */
    s = one("n", "{\"type\":\"string\",\"normalise\":{\"trim\":true}}", NULL);
    ok(feat(s, "n"), " \xC2\xA0-a  b-\t", "-a  b-");
    tznr_schema_free(s);
}
END_TEST

/* Validation applies to the normalised value; the message also shows the raw one. */
START_TEST(normalise_then_validate)
{
    tznr_schema_t *s = one("nom", "{\"type\":\"string\",\"encoding\":\"ascii\",\"case\":\"upper\","
                                  "\"pattern\":\"[A-Z]+( [A-Z]+)*\",\"maxLength\":5,"
                                  "\"normalise\":\"name-fr\"}", NULL);
    const tznr__feature *f = feat(s, "nom");
    bad(f, "h\xC3\xA9l\xC3\xA8ne", "longer than maxLength 5 (length 6)", "(value \"HELENE\")",
        NULL);                                                  /* lengths count after */
    tznr_schema_free(s);
    s = one("nom", "{\"type\":\"string\",\"encoding\":\"ascii\",\"case\":\"upper\","
                   "\"pattern\":\"[A-Z]+( [A-Z]+)*\",\"maxLength\":6,\"normalise\":\"name-fr\"}",
            NULL);
    f = feat(s, "nom");
    ok(f, "h\xC3\xA9l\xC3\xA8ne", "HELENE");                     /* ascii, upper, pattern ok */
    ok(f, " le  gal ", "LE GAL");
    bad(f, "j0hn", "does not match pattern", "(value \"J0HN\")", "normalised from \"j0hn\"",
        NULL);
    bad(f, "\xC5\x92" "dipes", "longer than maxLength 6 (length 7)", NULL);  /* OEDIPES */
    bad(f, "--", "does not match pattern", NULL);            /* empty, and the pattern wants a letter */
    bad(f, "\xE7\x8E\x8B", "not ASCII", NULL);
    tznr_schema_free(s);
}
END_TEST

/* Sentinels: compared raw first, then normalised on both sides; clkhash `sentinel` stays
 * exact. Enum values must be written normalised. */
START_TEST(normalise_missing_and_enum)
{
    tznr_schema_t *s = one("n", NAME_FR, "{\"sentinels\":[\"Inconnu\",\"N/A\"]}");
    const tznr__feature *f = feat(s, "n");
    missing(f, "Inconnu");
    missing(f, " INCONNU ");
    missing(f, "inconnu");
    missing(f, "n/a");
    ok(f, "Inconnue", "INCONNUE");
    tznr_schema_free(s);
    s = one("n", NAME_FR, "{\"sentinel\":\"NC\"}");
    ok(feat(s, "n"), "NC", "NC");       /* clkhash sentinel: replaced by itself, not validated */
    ok(feat(s, "n"), "nc", "NC");
    tznr_schema_free(s);

    s = one("g", "{\"type\":\"enum\",\"values\":[\"HOMME\",\"FEMME\"],\"normalise\":\"name-fr\"}",
            NULL);
    f = feat(s, "g");
    ok(f, "homme", "HOMME");
    ok(f, " Femme ", "FEMME");
    bad(f, "F", "not one of HOMME, FEMME", NULL);
    tznr_schema_free(s);
}
END_TEST


/* Malformed format.normalise: a schema error naming the JSON path and the rule. */
START_TEST(normalise_schema_errors)
{
    static const struct { const char *format, *msg; } t[] = {
        {"{\"type\":\"string\",\"normalise\":\"name-de\"}",
         "features[0].format.normalise: unknown preset (known: name-fr; or give an object with "
         "form, case, separators, trim) (got \"name-de\")"},
        {"{\"type\":\"string\",\"normalise\":true}",
         "features[0].format.normalise: expected a preset name (\"name-fr\") or an object (got true)"},
        {"{\"type\":\"string\",\"normalise\":{\"form\":\"NFD\"}}",
         "features[0].format.normalise.form: must be one of none, NFC, NFKC, strip-accents (got \"NFD\")"},
        {"{\"type\":\"string\",\"normalise\":{\"case\":\"fold\"}}",
         "features[0].format.normalise.case: must be one of none, upper, lower (got \"fold\")"},
        {"{\"type\":\"string\",\"normalise\":{\"case\":1}}",
         "features[0].format.normalise.case: expected a string (got 1)"},
        {"{\"type\":\"string\",\"normalise\":{\"separators\":\"hyphen\"}}",
         "features[0].format.normalise.separators: must be one of keep, space (got \"hyphen\")"},
        {"{\"type\":\"string\",\"normalise\":{\"trim\":\"yes\"}}",
         "features[0].format.normalise.trim: expected a boolean (true or false) (got \"yes\")"},
        {"{\"type\":\"string\",\"normalise\":{\"accents\":\"strip\"}}",
         "features[0].format.normalise.accents: unknown key (allowed here: form, case, separators, trim)"},
        {"{\"type\":\"integer\",\"normalise\":\"name-fr\"}",
         "features[0].format.normalise: unknown key (allowed here: type, description, minimum, maximum)"},
        {"{\"type\":\"date\",\"format\":\"%Y\",\"normalise\":\"name-fr\"}",
         "features[0].format.normalise: unknown key"},
        {"{\"type\":\"enum\",\"values\":[\"HOMME\",\"Femme\"],\"normalise\":\"name-fr\"}",
         "features[0].format.values[1]: \"Femme\" is not in normalised form (format.normalise "
         "makes it \"FEMME\")"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "{\"features\":[{\"identifier\":\"n\",\"format\":%s,\"hashing\":{\"comparison\":"
                 "{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":10}}}]}", t[i].format);
        tznr_schema_t *s = NULL;
        ck_assert_int_eq(tznr_schema_new_from_json(&s, buf, strlen(buf)), TZNR_ESCHEMA);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(tznr_last_error_message(), t[i].msg) != NULL, "case %zu: %s", i,
                      tznr_last_error_message());
    }
}
END_TEST

/* The schema fingerprint (containers check it) changes with every normalise option. */
START_TEST(normalise_fingerprint)
{
    static const char *const norms[] = {
        NULL, "\"name-fr\"", "{}", "{\"form\":\"NFC\"}", "{\"form\":\"NFKC\"}",
        "{\"form\":\"strip-accents\"}", "{\"case\":\"upper\"}", "{\"case\":\"lower\"}",
        "{\"separators\":\"space\"}", "{\"trim\":true}",
        "{\"form\":\"strip-accents\",\"case\":\"upper\",\"separators\":\"space\",\"trim\":true}"};
    enum { N = sizeof norms / sizeof norms[0] };
    uint8_t fp[N][32];
    for (size_t i = 0; i < N; i++) {
        char fmt[256];
        if (norms[i])
            snprintf(fmt, sizeof fmt, "{\"type\":\"string\",\"normalise\":%s}", norms[i]);
        else
            snprintf(fmt, sizeof fmt, "{\"type\":\"string\"}");
        tznr_schema_t *s = one("n", fmt, NULL);
        ck_assert_int_eq(tznr_schema_fingerprint(s, fp[i], 32), TZNR_OK);
        tznr_schema_free(s);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(memcmp(fp[i], fp[j], 32) != 0, "%zu and %zu", i, j);
    }
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
    tc = tcase_create("normalise");
    tcase_add_test(tc, c26_accents_any_form);
    tcase_add_test(tc, c29_separators);
    tcase_add_test(tc, c29_bigram_dice);
    tcase_add_test(tc, latin_letters);
    tcase_add_test(tc, separators_all);
    tcase_add_test(tc, normalise_options);
    tcase_add_test(tc, normalise_then_validate);
    tcase_add_test(tc, normalise_missing_and_enum);
    tcase_add_test(tc, normalise_schema_errors);
    tcase_add_test(tc, normalise_fingerprint);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
