/* Derived values (tznr extension features[i].derive, src/derive.c): qualified codes and a
 * code-history table, case C30 (tests/data/cases/C30). Expected values are written by hand
 * from the case's expected.txt and docs/schema.md: the hashed text of a derived feature is
 * QUALIFIER "|" CODE after the history mapping, e.g. "commune|97606". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tznr_test.h"
#include "tznr/tznr.h"
#include "derive.h"
#include "schema_internal.h"

static const uint8_t SECRET[] = "derive secret";

enum { NCOL = 7, CODE = 4 };   /* id,nom,prenom,date_naissance,code_lieu_naissance,type_code,pays */

static tznr_schema_t *load_json(json_t *j)
{
    char *text = json_dumps(j, 0);
    tznr_schema_t *s = NULL;
    ck_assert_msg(tznr_schema_new_from_json(&s, text, strlen(text)) == TZNR_OK, "%s",
                  tznr_last_error_message());
    free(text);
    return s;
}

static json_t *schema_json(const char *rel)
{
    json_error_t e;
    json_t *j = json_load_file(tt_data(rel), 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", rel, e.text);
    return j;
}

static tznr_schema_t *load(const char *rel)
{
    json_t *j = schema_json(rel);
    tznr_schema_t *s = load_json(j);
    json_decref(j);
    return s;
}

/* the derive object of the code feature */
static json_t *derive_of(json_t *root)
{
    return json_object_get(json_array_get(json_object_get(root, "features"), CODE), "derive");
}

/* the rows of a small CSV without quotes: fields split on ',' (caller frees rows[i]) */
static size_t read_rows(const char *rel, char *rows[][NCOL], char **bufs)
{
    char *text = tt_read(rel[0] == '/' ? rel : tt_data(rel), NULL);
    size_t n = 0;
    char *save = NULL;
    strtok_r(text, "\n", &save);   /* header */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *p = line;
        for (int c = 0; c < NCOL; c++) {
            rows[n][c] = p;
            p = strchr(p, ',');
            if (p)
                *p++ = '\0';
            else
                p = line + strlen(line);
        }
        n++;
    }
    *bufs = text;
    return n;
}

/* tznr__derive_value on one row: the derived text, or NULL when missing */
static char *derived(const tznr_schema_t *s, char *const *row, tznr_error_t *rc_out)
{
    const char *v[NCOL];
    size_t l[NCOL];
    for (int c = 0; c < NCOL; c++) {
        v[c] = row[c];
        l[c] = strlen(row[c]);
    }
    char *out = NULL;
    size_t len = 0;
    int missing = 0;
    tznr_error_t rc = tznr__derive_value(s, CODE, v, l, &out, &len, &missing);
    if (rc_out)
        *rc_out = rc;
    else
        ck_assert_msg(rc == TZNR_OK, "%s", tznr_last_error_message());
    if (out) {
        ck_assert_uint_eq(len, strlen(out));
        ck_assert_int_eq(missing, 0);
    } else if (rc == TZNR_OK) {
        ck_assert_int_eq(missing, 1);
    }
    return out;
}

static void expect_rows(const char *schema, const char *csv, const char *const *want, size_t n)
{
    tznr_schema_t *s = load(schema);
    char *rows[16][NCOL], *buf;
    ck_assert_uint_eq(read_rows(csv, rows, &buf), n);
    for (size_t r = 0; r < n; r++) {
        char *got = derived(s, rows[r], NULL);
        if (want[r])
            ck_assert_msg(got && strcmp(got, want[r]) == 0, "%s %s row %zu: got %s, want %s",
                          schema, csv, r + 1, got ? got : "(missing)", want[r]);
        else
            ck_assert_msg(!got, "%s row %zu: got %s, want missing", schema, r + 1, got);
        free(got);
    }
    free(buf);
    tznr_schema_free(s);
}

/* The hashed text of each C30 row, by hand: QUALIFIER|CODE; with the table, 98506 of type
 * commune before 2011-03-30 is Chirongui's current code 97606 (L2 born 1948, L5 born 2005). */
START_TEST(derived_text_by_hand)
{
    static const char *const with_table[] = {"pays_ou_territoire|98506", "commune|97606",
                                             "pays|99243", "commune|97606", "commune|97606"};
    static const char *const no_history[] = {"pays_ou_territoire|98506", "commune|98506",
                                             "pays|99243", "commune|97606", "commune|98506"};
    static const char *const retired[] = {"pays_ou_territoire|98506", NULL, "pays|99243",
                                          "commune|97606", NULL};
    expect_rows("cases/C30/schema.json", "cases/C30/records.csv", with_table, 5);
    expect_rows("cases/C30/schema_no_history.json", "cases/C30/records.csv", no_history, 5);
    expect_rows("cases/C30/schema_retired.json", "cases/C30/records.csv", retired, 5);
    /* codes stay strings: Corsica's 2A/2B and the leading zero of 01053 */
    static const char *const corsica[] = {"commune|2A004", "commune|2B033", "commune|01053"};
    expect_rows("cases/C30/schema.json", "cases/C30/corsica.csv", corsica, 3);
}
END_TEST

/* Periods: `until` is the last day of validity (inclusive); after it the code is not
 * mapped; chains are followed; toType changes the qualifier; a missing date when a dated
 * entry decides -> missing; an undated entry needs no date. */
START_TEST(periods_and_chains)
{
    json_t *j = schema_json("cases/C30/schema.json");
    json_t *t = json_object_get(json_object_get(derive_of(j), "history"), "table");
    json_array_append_new(t, json_pack("{s:s, s:s, s:s, s:s}", "type", "commune", "code",
                                       "11111", "to", "22222", "from", "2000-01-01"));
    json_array_append_new(t, json_pack("{s:s, s:s, s:s}", "type", "commune", "code", "22222",
                                       "to", "33333"));
    json_array_append_new(t, json_pack("{s:s, s:s, s:s, s:s}", "type", "commune", "code",
                                       "91352", "toType", "pays", "to", "99352"));
    tznr_schema_t *s = load_json(j);
    json_decref(j);
    struct { const char *date, *code, *type, *want; } cases[] = {
        {"2011-03-30", "98506", "commune", "commune|97606"},   /* last day: mapped */
        {"2011-03-31", "98506", "commune", "commune|98506"},   /* the day after: as is */
        {"1899-12-31", "98506", "commune", "commune|97606"},   /* open start */
        {"", "98506", "commune", NULL},                        /* no date: cannot tell */
        {"", "97606", "commune", "commune|97606"},             /* no entry: no date needed */
        {"1999-12-31", "11111", "commune", "commune|11111"},   /* before from */
        {"2000-01-01", "11111", "commune", "commune|33333"},   /* chain 11111->22222->33333 */
        {"", "22222", "commune", "commune|33333"},             /* undated entry */
        {"1950-01-01", "91352", "commune", "pays|99352"},      /* toType */
        {"1950-01-01", "98506", "pays", "pays|98506"},         /* other type: no mapping */
        {"1950-01-01", "98506", " commune ", "commune|97606"}, /* qualifier stripped */
        {"1950-01-01", "98506", "", NULL},                     /* no qualifier: missing */
        {"1950-01-01", "", "commune", NULL},                   /* no code: missing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *row[NCOL] = {"x", "N", "P", (char *)cases[i].date, (char *)cases[i].code,
                           (char *)cases[i].type, "F"};
        char *got = derived(s, row, NULL);
        if (cases[i].want)
            ck_assert_msg(got && !strcmp(got, cases[i].want), "case %zu: got %s, want %s", i,
                          got ? got : "(missing)", cases[i].want);
        else
            ck_assert_msg(!got, "case %zu: got %s, want missing", i, got);
        free(got);
    }
    /* per-row errors: an unparseable date when a mapping depends on it; '|' in a qualifier;
     * a code breaking the feature's pattern (1053 lost its leading zero) */
    tznr_error_t rc;
    char *row[NCOL] = {"x", "N", "P", "10/03/1948", "98506", "commune", "F"};
    ck_assert_ptr_null(derived(s, row, &rc));
    ck_assert_int_eq(rc, TZNR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "column 'date_naissance'"));
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "'code_lieu_naissance'"));
    row[4] = "97606";   /* no entry for 97606: the date is not needed by the history */
    char *ok = derived(s, row, &rc);
    ck_assert_int_eq(rc, TZNR_OK);
    ck_assert_str_eq(ok, "commune|97606");
    free(ok);
    row[3] = "1948-03-10";
    row[5] = "commune|x";
    ck_assert_ptr_null(derived(s, row, &rc));
    ck_assert_int_eq(rc, TZNR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "column 'type_code': contains '|'"));
    row[5] = "commune";
    row[4] = "1053";
    ck_assert_ptr_null(derived(s, row, &rc));
    ck_assert_int_eq(rc, TZNR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "column 'code_lieu_naissance'"));
    tznr_schema_free(s);
}
END_TEST

/* The CLK of a derived feature is the CLK of its hand-written text: encode the rows with the
 * C30 schema, and the literal texts with the same schema minus `derive` and the pattern (the
 * keys depend on the feature positions only). */
START_TEST(clk_is_clk_of_the_literal_text)
{
    static const char *const texts[] = {"pays_ou_territoire|98506", "commune|97606",
                                        "pays|99243", "commune|97606", "commune|97606"};
    tznr_schema_t *s = load("cases/C30/schema.json");
    json_t *j = schema_json("cases/C30/schema.json");
    json_t *code = json_array_get(json_object_get(j, "features"), CODE);
    json_object_del(code, "derive");
    json_object_del(json_object_get(code, "format"), "pattern");
    tznr_schema_t *plain = load_json(j);
    json_decref(j);
    tznr_encoder_t *e, *ep;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    ck_assert_int_eq(tznr_encoder_new(&ep, plain, SECRET, sizeof SECRET - 1), TZNR_OK);
    tznr_clkset_t *set = NULL;
    ck_assert_msg(tznr_encoder_encode_csv(e, tt_data("cases/C30/records.csv"), &set) == TZNR_OK,
                  "%s", tznr_last_error_message());
    char *rows[16][NCOL], *buf;
    ck_assert_uint_eq(read_rows("cases/C30/records.csv", rows, &buf), 5);
    for (size_t r = 0; r < 5; r++) {
        const char *v[NCOL];
        size_t l[NCOL];
        for (int c = 0; c < NCOL; c++)
            v[c] = rows[r][c];
        v[CODE] = texts[r];
        for (int c = 0; c < NCOL; c++)
            l[c] = strlen(v[c]);
        uint8_t clk[128];
        ck_assert_int_eq(tznr_encoder_encode_record(ep, v, l, NCOL, clk, sizeof clk), TZNR_OK);
        ck_assert_msg(memcmp(clk, tznr_clkset_get(set, r), sizeof clk) == 0,
                      "row L%zu is not the CLK of \"%s\"", r + 1, texts[r]);
    }
    free(buf);
    tznr_clkset_free(set);
    tznr_encoder_free(e);
    tznr_encoder_free(ep);
    tznr_schema_free(s);
    tznr_schema_free(plain);
}
END_TEST

/* The value memo keys on the derived value, not on the raw code: one raw code 98506 gives
 * three different texts depending on type and date. Output identical with memo all / tokens
 * / off, any thread count, and equal to the record-at-a-time API. */
START_TEST(memo_and_threads_identical)
{
    tznr_schema_t *s = load("cases/C30/schema.json");
    tznr_encoder_t *e;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/many.csv", tt_tmpdir());
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    static const char *const types[] = {"commune", "pays_ou_territoire", "pays"};
    static const char *const codes[] = {"98506", "97606", "2A004", "01053"};
    static const char *const dates[] = {"1948-03-10", "2011-03-30", "2011-03-31", "2020-01-01"};
    const size_t N = 9000;
    fputs("id,nom,prenom,date_naissance,code_lieu_naissance,type_code,pays_naissance\n", fp);
    for (size_t i = 0; i < N; i++)
        fprintf(fp, "r%zu,N%zu,P,%s,%s,%s,X\n", i, i % 7, dates[(i / 3) % 4], codes[(i / 12) % 4],
                types[i % 3]);
    fclose(fp);
    tznr_clkset_t *ref = NULL;
    const tznr_memo_mode modes[] = {TZNR_MEMO_OFF, TZNR_MEMO_TOKENS, TZNR_MEMO_ALL};
    const unsigned threads[] = {1, 2, 4};
    for (size_t m = 0; m < 3; m++)
        for (size_t t = 0; t < 3; t++) {
            tznr_encode_options o;
            tznr_encode_options_init(&o);
            o.memo = modes[m];
            o.threads = threads[t];
            tznr_clkset_t *set = NULL;
            ck_assert_msg(tznr_encoder_encode_csv_opts(e, path, &o, &set) == TZNR_OK, "%s",
                          tznr_last_error_message());
            ck_assert_uint_eq(tznr_clkset_count(set), N);
            if (!ref) {
                ref = set;
                continue;
            }
            for (size_t r = 0; r < N; r++)
                ck_assert_msg(memcmp(tznr_clkset_get(set, r), tznr_clkset_get(ref, r), 128) == 0,
                              "memo %d threads %u: row %zu differs", (int)modes[m], threads[t], r);
            tznr_clkset_free(set);
        }
    /* each row alone (no memo at all) */
    for (size_t i = 0; i < N; i += 97) {
        char id[16], nom[16];
        snprintf(id, sizeof id, "r%zu", i);
        snprintf(nom, sizeof nom, "N%zu", i % 7);
        const char *v[NCOL] = {id, nom, "P", dates[(i / 3) % 4], codes[(i / 12) % 4], types[i % 3], "X"};
        size_t l[NCOL];
        for (int c = 0; c < NCOL; c++)
            l[c] = strlen(v[c]);
        uint8_t clk[128];
        ck_assert_int_eq(tznr_encoder_encode_record(e, v, l, NCOL, clk, sizeof clk), TZNR_OK);
        ck_assert_msg(memcmp(clk, tznr_clkset_get(ref, i), sizeof clk) == 0, "row %zu", i);
    }
    /* and the raw code 98506 does give three different CLKs for one name and date */
    ck_assert(memcmp(tznr_clkset_get(ref, 0), tznr_clkset_get(ref, 1), 128) != 0);
    tznr_clkset_free(ref);
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

/* Malformed `derive`: rejected at load time with the JSON path and the rule. Each case is a
 * JSON patch of the derive object of the C30 schema. */
static void expect_schema_error(const char *derive_json, const char *path, const char *rule)
{
    json_t *j = schema_json("cases/C30/schema.json");
    json_error_t e;
    json_t *d = json_loads(derive_json, 0, &e);
    ck_assert_msg(d != NULL, "%s: %s", derive_json, e.text);
    json_object_set_new(json_array_get(json_object_get(j, "features"), CODE), "derive", d);
    char *text = json_dumps(j, 0);
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_json(&s, text, strlen(text));
    const char *msg = tznr_last_error_message();
    ck_assert_msg(rc == TZNR_ESCHEMA, "%s: accepted (rc %d)", derive_json, (int)rc);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(msg, path) && strstr(msg, rule), "%s: message \"%s\" lacks \"%s\" / \"%s\"",
                  derive_json, msg, path, rule);
    free(text);
    json_decref(j);
}

#define H(tab) "{\"qualifier\": \"type_code\", \"history\": {\"dateColumn\": \"date_naissance\", \"table\": [" tab "]}}"
#define E98 "{\"type\": \"commune\", \"code\": \"98506\", \"until\": \"2011-03-30\", \"to\": \"97606\"}"

START_TEST(malformed_derive)
{
    const char *P = "features[4].derive";
    expect_schema_error("[]", P, "expected an object");
    expect_schema_error("{\"history\": {}}", "features[4].derive.qualifier", "required key is missing");
    expect_schema_error("{\"qualifier\": \"type\"}", "features[4].derive.qualifier",
                        "must name one of the features (got \"type\")");
    expect_schema_error("{\"qualifier\": \"code_lieu_naissance\"}", "features[4].derive.qualifier",
                        "must name another feature");
    expect_schema_error("{\"qualifier\": \"type_code\", \"separator\": \"/\"}",
                        "features[4].derive.separator", "unknown key");
    expect_schema_error("{\"qualifier\": \"type_code\", \"history\": {\"dateColumn\": \"naissance\", "
                        "\"table\": [" E98 "]}}", "features[4].derive.history.dateColumn",
                        "must name one of the features (got \"naissance\")");
    expect_schema_error("{\"qualifier\": \"type_code\", \"history\": {\"table\": [" E98 "]}}",
                        "features[4].derive.history.dateColumn", "required key is missing");
    expect_schema_error("{\"qualifier\": \"type_code\", \"history\": {\"dateColumn\": \"nom\", "
                        "\"table\": [" E98 "]}}", "features[4].derive.history.dateFormat",
                        "column 'nom' is not a date feature");
    expect_schema_error("{\"qualifier\": \"type_code\", \"history\": {\"dateColumn\": \"nom\", "
                        "\"dateFormat\": \"%d/%m/%Q\", \"table\": [" E98 "]}}",
                        "features[4].derive.history.dateFormat", "unsupported directive %Q");
    expect_schema_error("{\"qualifier\": \"type_code\", \"history\": {\"dateColumn\": \"date_naissance\"}}",
                        "features[4].derive.history.table", "required key is missing");
    expect_schema_error(H(""), "features[4].derive.history.table", "array of 1 to");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"98506\", \"until\": \"2011-02-30\", \"to\": \"97606\"}"),
                        "features[4].derive.history.table[0].until",
                        "must be a calendar date YYYY-MM-DD (got \"2011-02-30\")");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"98506\", \"until\": \"30/03/2011\"}"),
                        "features[4].derive.history.table[0].until", "calendar date");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"98506\", \"from\": \"2012-01-01\", \"until\": \"2011-01-01\"}"),
                        "features[4].derive.history.table[0]", "from is after until");
    expect_schema_error(H(E98 ", {\"type\": \"commune\", \"code\": \"98506\", \"from\": \"2011-03-30\", \"to\": \"97607\"}"),
                        "features[4].derive.history.table[1]",
                        "contradictory entry for type \"commune\" code \"98506\": its period overlaps that of table[0]");
    expect_schema_error(H(E98 ", " E98), "features[4].derive.history.table[1]", "duplicate entry");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"11111\", \"to\": \"22222\"}, "
                          "{\"type\": \"commune\", \"code\": \"22222\", \"to\": \"11111\"}"),
                        "features[4].derive.history.table[", "the mappings form a cycle");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"11111\", \"to\": \"22222\"}, "
                          "{\"type\": \"commune\", \"code\": \"22222\", \"to\": \"33333\"}, "
                          "{\"type\": \"commune\", \"code\": \"33333\", \"to\": \"11111\", \"until\": \"1990-01-01\"}"),
                        "features[4].derive.history.table[", "the mappings form a cycle");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"11111\", \"to\": \"11111\"}"),
                        "features[4].derive.history.table[0]", "maps a code to itself");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"1053\", \"to\": \"01053\"}"),
                        "features[4].derive.history.table[0].code", "does not match pattern");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": 98506}"),
                        "features[4].derive.history.table[0].code", "expected a string");
    expect_schema_error(H("{\"type\": \"com|mune\", \"code\": \"98506\"}"),
                        "features[4].derive.history.table[0].type", "without '|'");
    expect_schema_error(H("{\"code\": \"98506\"}"), "features[4].derive.history.table[0].type",
                        "required key is missing");
    expect_schema_error(H("{\"type\": \"commune\", \"code\": \"98506\", \"until\": \"2011-03-30\", \"too\": \"1\"}"),
                        "features[4].derive.history.table[0].too", "unknown key");
    /* the qualifier's own format checks the table's types (when it is encoded) */
    json_t *j = schema_json("cases/C30/schema.json");
    json_t *tc = json_array_get(json_object_get(j, "features"), 5);
    json_object_del(tc, "ignored");
    json_object_set_new(tc, "format", json_pack("{s:s, s:[s,s,s]}", "type", "enum", "values",
                                                "commune", "pays", "pays_ou_territoire"));
    json_object_set_new(tc, "hashing", json_pack("{s:{s:s}, s:{s:i}}", "comparison", "type",
                                                 "exact", "strategy", "bitsPerToken", 10));
    json_object_set_new(json_array_get(json_object_get(json_object_get(derive_of(j), "history"), "table"), 0),
                        "type", json_string("communes"));
    char *text = json_dumps(j, 0);
    tznr_schema_t *s = NULL;
    ck_assert_int_eq(tznr_schema_new_from_json(&s, text, strlen(text)), TZNR_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "features[4].derive.history.table[0].type"));
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "not one of commune"));
    free(text);
    json_decref(j);
    /* a derive on an ignored feature is an unknown key there */
    j = schema_json("cases/C30/schema.json");
    json_object_set_new(json_array_get(json_object_get(j, "features"), 6), "derive",
                        json_pack("{s:s}", "qualifier", "type_code"));
    text = json_dumps(j, 0);
    ck_assert_int_eq(tznr_schema_new_from_json(&s, text, strlen(text)), TZNR_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "features[6].derive"));
    free(text);
    json_decref(j);
}
END_TEST

/* The table is part of the schema's fingerprint: custodians with different tables notice. */
START_TEST(fingerprint_covers_the_table)
{
    tznr_schema_t *a = load("cases/C30/schema.json");
    tznr_schema_t *b = load("cases/C30/schema_no_history.json");
    tznr_schema_t *c = load("cases/C30/schema_retired.json");
    uint8_t fa[32], fb[32], fc[32];
    ck_assert_int_eq(tznr_schema_fingerprint(a, fa, 32), TZNR_OK);
    ck_assert_int_eq(tznr_schema_fingerprint(b, fb, 32), TZNR_OK);
    ck_assert_int_eq(tznr_schema_fingerprint(c, fc, 32), TZNR_OK);
    ck_assert(memcmp(fa, fb, 32) != 0);
    ck_assert(memcmp(fa, fc, 32) != 0);
    tznr_schema_free(a);
    tznr_schema_free(b);
    tznr_schema_free(c);
}
END_TEST

/* Row errors through the CSV encoder name the file, line and columns; nothing encoded. */
START_TEST(row_error_names_row_and_column)
{
    json_t *j = schema_json("cases/C30/schema.json");
    /* date column ignored: only the history reads it (dateFormat given) */
    json_t *dn = json_array_get(json_object_get(j, "features"), 3);
    json_object_del(dn, "format");
    json_object_del(dn, "hashing");
    json_object_set_new(dn, "ignored", json_true());
    tznr_schema_t *s = load_json(j);
    json_decref(j);
    char path[512];
    snprintf(path, sizeof path, "%s/bad_date.csv", tt_tmpdir());
    FILE *fp = fopen(path, "w");
    fputs("id,nom,prenom,date_naissance,code_lieu_naissance,type_code,pays_naissance\n"
          "A1,X,Y,10/03/1948,97606,commune,F\n"       /* date not needed: fine */
          "A2,X,Y,10/03/1948,98506,commune,F\n", fp); /* needed: error */
    fclose(fp);
    tznr_encoder_t *e;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    tznr_clkset_t *set = NULL;
    ck_assert_int_eq(tznr_encoder_encode_csv(e, path, &set), TZNR_EINPUT);
    ck_assert_ptr_null(set);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, "1 invalid row") && strstr(msg, "bad_date.csv:3: ") &&
                  strstr(msg, "column 'date_naissance'") && strstr(msg, "'code_lieu_naissance'") &&
                  strstr(msg, "10/03/1948"), "%s", msg);
    tznr_container_t *c = NULL;
    ck_assert_int_eq(tznr_encoder_encode_csv_container(e, path, &c), TZNR_EINPUT);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "bad_date.csv:3: "));
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("derive");
    TCase *tc = tcase_create("derive");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, derived_text_by_hand);
    tcase_add_test(tc, periods_and_chains);
    tcase_add_test(tc, clk_is_clk_of_the_literal_text);
    tcase_add_test(tc, memo_and_threads_identical);
    tcase_add_test(tc, malformed_derive);
    tcase_add_test(tc, fingerprint_covers_the_table);
    tcase_add_test(tc, row_error_names_row_and_column);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
