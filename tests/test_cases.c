/* Cases from real bug reports (tests/data/cases, see each expected.txt), through the public
 * encoding API: C01 empty value, C02 numeric identifiers, C04 placeholders for missing
 * values, C07 byte-order mark and CRLF, C14 one huge block (links limit), C30 birth-place
 * codes with type and history.
 * (C05 is in test_schema, C08/C11/C12 in test_compare.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

static const uint8_t SECRET[] = "case secret";

/* Load a schema file, optionally editing one feature with `edit` first. */
static tznr_schema_t *schema_edited(const char *rel, const char *feature,
                                    void (*edit)(json_t *feature))
{
    json_error_t e;
    json_t *j = json_load_file(tt_data(rel), 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", rel, e.text);
    if (edit) {
        json_t *fs = json_object_get(j, "features");
        for (size_t i = 0; i < json_array_size(fs); i++) {
            json_t *f = json_array_get(fs, i);
            if (strcmp(json_string_value(json_object_get(f, "identifier")), feature) == 0)
                edit(f);
        }
    }
    char *text = json_dumps(j, 0);
    tznr_schema_t *s = NULL;
    ck_assert_msg(tznr_schema_new_from_json(&s, text, strlen(text)) == TZNR_OK, "%s: %s", rel,
                  tznr_last_error_message());
    free(text);
    json_decref(j);
    return s;
}

static void make_ignored(json_t *f)
{
    json_object_del(f, "format");
    json_object_del(f, "hashing");
    json_object_set_new(f, "ignored", json_true());
}

static void drop_missing(json_t *f) { json_object_del(json_object_get(f, "hashing"), "missingValue"); }

static void string_pattern(json_t *f)
{
    json_object_set_new(f, "format", json_pack("{s:s, s:s}", "type", "string", "pattern", "[0-9]{5}"));
}

static tznr_error_t encode_file(const tznr_schema_t *s, const char *rel, tznr_clkset_t **out)
{
    tznr_encoder_t *e = NULL;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    tznr_error_t rc = tznr_encoder_encode_csv(e, rel[0] == '/' ? rel : tt_data(rel), out);
    tznr_encoder_free(e);
    return rc;
}

static tznr_clkset_t *encode_ok(const tznr_schema_t *s, const char *rel)
{
    tznr_clkset_t *set = NULL;
    ck_assert_msg(encode_file(s, rel, &set) == TZNR_OK, "%s: %s", rel, tznr_last_error_message());
    return set;
}

static int same(const tznr_clkset_t *x, size_t i, const tznr_clkset_t *y, size_t j)
{
    return memcmp(tznr_clkset_get(x, i), tznr_clkset_get(y, j), tznr_clkset_filter_bits(x) / 8) == 0;
}

/* C01: an empty given name sets no bit (the CLK equals the one made with given_name
 * ignored, which keeps the same keys), and Dice(a1, b1) stays at chance level. */
START_TEST(c01_empty_value_sets_no_bits)
{
    tznr_schema_t *s = schema_edited("cases/C01/schema.json", NULL, NULL);
    tznr_schema_t *dropped = schema_edited("cases/C01/schema.json", "given_name", make_ignored);
    tznr_clkset_t *full = encode_ok(s, "cases/C01/records.csv");
    tznr_clkset_t *without = encode_ok(dropped, "cases/C01/records.csv");
    ck_assert_uint_eq(tznr_clkset_count(full), 3);
    ck_assert(same(full, 0, without, 0));     /* a1 */
    ck_assert(same(full, 1, without, 1));     /* b1 */
    ck_assert(!same(full, 2, without, 2));    /* c1 has a given name: its bits are there */
    double d;
    ck_assert_int_eq(tznr_filter_dice(&d, tznr_clkset_get(full, 0), tznr_clkset_get(full, 1), 128), TZNR_OK);
    ck_assert_msg(d < 0.2, "Dice(a1, b1) = %g: empty values look alike", d);
    tznr_clkset_free(full);
    tznr_clkset_free(without);
    tznr_schema_free(s);
    tznr_schema_free(dropped);
}
END_TEST

/* C02, policy B (clkhash's `integer`): " 75011", "75011 ", "+75011" encode exactly like
 * "75011"; under `string` with pattern [0-9]{5} they are rejected (one error per row, naming
 * the column and the value) and "01220" keeps its leading zero. */
START_TEST(c02_numeric_identifiers)
{
    tznr_schema_t *si = schema_edited("cases/C02/schema.json", NULL, NULL);
    tznr_clkset_t *ints = encode_ok(si, "cases/C02/records.csv");
    ck_assert_uint_eq(tznr_clkset_count(ints), 5);
    for (size_t r = 1; r <= 3; r++)
        ck_assert_msg(same(ints, 0, ints, r), "r%zu differs from r1", r + 1);
    ck_assert(!same(ints, 0, ints, 4));

    tznr_schema_t *ss = schema_edited("cases/C02/schema.json", "postcode", string_pattern);
    tznr_clkset_t *strs = NULL;
    ck_assert_int_eq(encode_file(ss, "cases/C02/records.csv", &strs), TZNR_EINPUT);
    ck_assert_ptr_null(strs);
    const char *msg = tznr_last_error_message();
    ck_assert_ptr_nonnull(strstr(msg, "3 invalid rows"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:3: column 'postcode'"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:4: column 'postcode'"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:5: column 'postcode'"));
    ck_assert_ptr_nonnull(strstr(msg, "+75011"));
    ck_assert_ptr_null(strstr(msg, "records.csv:6:"));   /* 01220 is valid */

    /* the leading zero is kept under `string`, dropped under `integer` (same keys) */
    tznr_encoder_t *ei, *es;
    ck_assert_int_eq(tznr_encoder_new(&ei, si, SECRET, sizeof SECRET - 1), TZNR_OK);
    ck_assert_int_eq(tznr_encoder_new(&es, ss, SECRET, sizeof SECRET - 1), TZNR_OK);
    const char *v[2] = {"r5", "01220"};
    size_t l[2] = {2, 5};
    uint8_t ci[128], cs[128];
    ck_assert_int_eq(tznr_encoder_encode_record(ei, v, l, 2, ci, sizeof ci), TZNR_OK);
    ck_assert_int_eq(tznr_encoder_encode_record(es, v, l, 2, cs, sizeof cs), TZNR_OK);
    ck_assert(memcmp(ci, cs, sizeof ci) != 0);
    ck_assert(memcmp(ci, tznr_clkset_get(ints, 4), sizeof ci) == 0);
    v[1] = "1220";
    l[1] = 4;
    ck_assert_int_eq(tznr_encoder_encode_record(es, v, l, 2, cs, sizeof cs), TZNR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "postcode"));
    tznr_encoder_free(ei);
    tznr_encoder_free(es);
    tznr_clkset_free(ints);
    tznr_schema_free(si);
    tznr_schema_free(ss);
}
END_TEST

/* C04 (a): with `sentinels`, N/A, null, empty and blank dob are missing: no error, and the
 * dob feature sets no bit (CLK == the CLK with dob ignored). (b) without missingValue, each
 * placeholder row is an error naming the row's line, 'dob' and the value; nothing is encoded. */
START_TEST(c04_missing_placeholders)
{
    tznr_schema_t *s = schema_edited("cases/C04/schema_with_sentinels.json", NULL, NULL);
    tznr_schema_t *nodob = schema_edited("cases/C04/schema_with_sentinels.json", "dob", make_ignored);
    tznr_clkset_t *a = encode_ok(s, "cases/C04/records.csv");
    tznr_clkset_t *b = encode_ok(nodob, "cases/C04/records.csv");
    ck_assert_uint_eq(tznr_clkset_count(a), 5);
    ck_assert(!same(a, 0, b, 0));   /* p1's valid date sets bits */
    for (size_t r = 1; r < 5; r++)
        ck_assert_msg(same(a, r, b, r), "p%zu: the placeholder was hashed", r + 1);
    tznr_clkset_free(a);
    tznr_clkset_free(b);

    tznr_schema_t *strict = schema_edited("cases/C04/schema_with_sentinels.json", "dob", drop_missing);
    tznr_clkset_t *none = NULL;
    ck_assert_int_eq(encode_file(strict, "cases/C04/records.csv", &none), TZNR_EINPUT);
    ck_assert_ptr_null(none);
    const char *msg = tznr_last_error_message();
    ck_assert_ptr_nonnull(strstr(msg, "4 invalid rows"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:3: column 'dob'"));
    ck_assert_ptr_nonnull(strstr(msg, "N/A"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:4: column 'dob'"));
    ck_assert_ptr_nonnull(strstr(msg, "null"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:5: column 'dob'"));
    ck_assert_ptr_nonnull(strstr(msg, "records.csv:6: column 'dob'"));
    tznr_schema_free(s);
    tznr_schema_free(nodob);
    tznr_schema_free(strict);
}
END_TEST

static const char C07_SCHEMA[] =
    "{\"version\": 3, \"features\": [{\"identifier\": \"id\", \"ignored\": true},"
    "{\"identifier\": \"nom\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    " {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 20}}},"
    "{\"identifier\": \"prenom\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    " {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 20}}},"
    "{\"identifier\": \"ville\", \"format\": {\"type\": \"string\", \"pattern\": \"[^\\\\r\\\\n]*\"},"
    " \"hashing\": {\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 20}}}]}";

/* C07: BOM + CRLF file and plain file give byte-identical encodings; a header really lacking
 * 'id' is reported with the header shown, invisible characters escaped. */
START_TEST(c07_bom_crlf)
{
    tznr_schema_t *s = NULL;
    ck_assert_msg(tznr_schema_new_from_json(&s, C07_SCHEMA, strlen(C07_SCHEMA)) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_clkset_t *bom = encode_ok(s, "cases/C07/bom_crlf.csv");
    tznr_clkset_t *plain = encode_ok(s, "cases/C07/plain.csv");
    ck_assert_uint_eq(tznr_clkset_count(bom), 3);
    ck_assert_uint_eq(tznr_clkset_count(plain), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert(same(bom, i, plain, i));
    ck_assert(!same(bom, 0, bom, 1));   /* "LEBRUN, dit BERNARD" is not "BERNARD" */

    char path[512];
    snprintf(path, sizeof path, "%s/no_id.csv", tt_tmpdir());
    FILE *fp = fopen(path, "wb");
    fputs("\xEF\xBB\xBFident,nom,prenom,ville\r\na1,BERNARD,\xC3\x89lise,Rennes\r\n", fp);
    fclose(fp);
    tznr_clkset_t *none = NULL;
    ck_assert_int_eq(encode_file(s, path, &none), TZNR_EINPUT);
    const char *msg = tznr_last_error_message();
    ck_assert_ptr_nonnull(strstr(msg, "\"ident\""));
    ck_assert_ptr_nonnull(strstr(msg, "'id'"));
    tznr_clkset_free(bom);
    tznr_clkset_free(plain);
    tznr_schema_free(s);
}
END_TEST

/* A record whose encoded fields are all empty is reported, never encoded as an empty CLK. */
START_TEST(all_empty_record_rejected)
{
    tznr_schema_t *s = schema_edited("cases/C01/schema.json", NULL, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/empty.csv", tt_tmpdir());
    FILE *fp = fopen(path, "w");
    fputs("id,given_name,surname\na1,Ana,MOREAU\na2,,\n", fp);
    fclose(fp);
    tznr_clkset_t *none = NULL;
    ck_assert_int_eq(encode_file(s, path, &none), TZNR_EINPUT);
    ck_assert_ptr_null(none);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "empty.csv:3: every encoded field is empty"));
    tznr_schema_free(s);
}
END_TEST

/* The whole kind: values that are present but missing once read (tznr `sentinels`, a
 * `normalise` that leaves nothing) make an empty record too. */
START_TEST(all_missing_record_rejected)
{
    static const char schema[] =
        "{\"version\": 3, \"clkConfig\": {\"l\": 64}, \"features\": ["
        " {\"identifier\": \"nom\", \"format\": {\"type\": \"string\", \"normalise\": \"name-fr\"},"
        "  \"hashing\": {\"comparison\": {\"type\": \"ngram\", \"n\": 2},"
        "  \"strategy\": {\"bitsPerToken\": 2}}},"
        " {\"identifier\": \"dob\", \"format\": {\"type\": \"date\", \"format\": \"%Y-%m-%d\"},"
        "  \"hashing\": {\"comparison\": {\"type\": \"exact\"}, \"strategy\": {\"bitsPerToken\": 2},"
        "  \"missingValue\": {\"sentinels\": [\"N/A\", \"inconnue\"]}}}]}";
    tznr_schema_t *s = NULL;
    ck_assert_int_eq(tznr_schema_new_from_json(&s, schema, strlen(schema)), TZNR_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/missing.csv", tt_tmpdir());
    /* row 2: a name and a missing date: fine; row 3: "-" normalises to nothing and N/A is a
     * sentinel; row 4: separators only and a sentinel with spaces */
    static const char *const rows[] = {"nom,dob\nANA,N/A\n-,N/A\n", "nom,dob\nANA,N/A\n' -,  inconnue \n"};
    for (size_t r = 0; r < 2; r++) {
        FILE *fp = fopen(path, "w");
        fputs(rows[r], fp);
        fclose(fp);
        tznr_clkset_t *none = NULL;
        ck_assert_int_eq(encode_file(s, path, &none), TZNR_EINPUT);
        ck_assert_ptr_null(none);
        ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "missing.csv:3: every encoded field is empty or missing"));
    }
    tznr_schema_free(s);
}
END_TEST

/* Native containers: identifiers must be unique (results name records by them). */
START_TEST(container_duplicate_ids_rejected)
{
    static const char schema[] =
        "{\"version\": 3, \"clkConfig\": {\"l\": 64}, \"linkage\": {\"idColumn\": \"id\"},"
        " \"features\": [{\"identifier\": \"id\", \"ignored\": true},"
        " {\"identifier\": \"nom\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
        " {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 3}}}]}";
    tznr_schema_t *s = NULL;
    ck_assert_int_eq(tznr_schema_new_from_json(&s, schema, strlen(schema)), TZNR_OK);
    tznr_encoder_t *e = NULL;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/dup.csv", tt_tmpdir());
    FILE *fp = fopen(path, "w");
    fputs("id,nom\na1,X\na2,Y\na1,Z\n", fp);
    fclose(fp);
    tznr_container_t *c = NULL;
    ck_assert_int_eq(tznr_encoder_encode_csv_container(e, path, &c), TZNR_EINPUT);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "dup.csv:4: column 'id': duplicate identifier \"a1\" (also line 2)"));
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST


/* C26/C29 (tznr extension format.normalise, preset name-fr): one schema per case, the columns
 * not under test ignored. */
static tznr_schema_t *names_schema(const char *const *cols, size_t n, const char *encoded)
{
    char buf[2048];
    size_t o = (size_t)snprintf(buf, sizeof buf, "{\"version\": 3, \"features\": [");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cols[i], encoded) == 0)
            o += (size_t)snprintf(buf + o, sizeof buf - o,
                                  "%s{\"identifier\": \"%s\", \"format\": {\"type\": \"string\","
                                  " \"normalise\": \"name-fr\"}, \"hashing\": {\"comparison\":"
                                  " {\"type\": \"ngram\", \"n\": 2}, \"strategy\":"
                                  " {\"bitsPerToken\": 20}}}", i ? ", " : "", cols[i]);
        else
            o += (size_t)snprintf(buf + o, sizeof buf - o,
                                  "%s{\"identifier\": \"%s\", \"ignored\": true}",
                                  i ? ", " : "", cols[i]);
    }
    snprintf(buf + o, sizeof buf - o, "]}");
    tznr_schema_t *s = NULL;
    ck_assert_msg(tznr_schema_new_from_json(&s, buf, strlen(buf)) == TZNR_OK, "%s",
                  tznr_last_error_message());
    return s;
}

/* C26: within each group every spelling (NFC, NFD, case, ligature) gives the same CLK;
 * different groups differ. Rows (names.csv): g1 0-3, g2 4-5, g3 6-8, g4 9-10, g5 11-12,
 * g6 13-14. */
START_TEST(c26_accents_identical_clks)
{
    static const char *const cols[] = {"group", "given_name"};
    static const size_t first[] = {0, 4, 6, 9, 11, 13, 15};
    tznr_schema_t *s = names_schema(cols, 2, "given_name");
    tznr_clkset_t *set = encode_ok(s, "cases/C26/names.csv");
    ck_assert_uint_eq(tznr_clkset_count(set), 15);
    for (size_t g = 0; g < 6; g++)
        for (size_t r = first[g]; r < first[g + 1]; r++) {
            ck_assert_msg(same(set, first[g], set, r), "group g%zu row %zu", g + 1, r);
            if (g > 0)
                ck_assert(!same(set, first[g - 1], set, r));
        }
    tznr_clkset_free(set);
    tznr_schema_free(s);
}
END_TEST

/* C29: h1 (rows 0-3) and h2 (rows 4-6) prenom variants give one CLK each; h3 nom
 * 'MARTIN DUPONT' (7) = 'MARTIN-DUPONT' (8); 'DUPONT' (9) is partial: its bigrams are a subset
 * of the double surname's (so are its bits, with bitsPerToken), and 0 < Dice < 1. */
START_TEST(c29_compound_names)
{
    static const char *const cols[] = {"group", "prenom", "nom"};
    tznr_schema_t *sp = names_schema(cols, 3, "prenom");
    tznr_schema_t *sn = names_schema(cols, 3, "nom");
    tznr_clkset_t *p = encode_ok(sp, "cases/C29/names.csv");
    tznr_clkset_t *n = encode_ok(sn, "cases/C29/names.csv");
    ck_assert_uint_eq(tznr_clkset_count(p), 10);
    for (size_t r = 1; r < 4; r++)
        ck_assert_msg(same(p, 0, p, r), "h1 row %zu", r);
    for (size_t r = 5; r < 7; r++)
        ck_assert_msg(same(p, 4, p, r), "h2 row %zu", r);
    ck_assert(!same(p, 0, p, 4));
    ck_assert(same(n, 7, n, 8));
    const size_t len = tznr_clkset_filter_bits(n) / 8;
    const uint8_t *dbl = tznr_clkset_get(n, 7), *one = tznr_clkset_get(n, 9);
    for (size_t i = 0; i < len; i++)
        ck_assert_uint_eq(dbl[i] & one[i], one[i]);
    double d = -1;
    ck_assert_int_eq(tznr_filter_dice(&d, dbl, one, len), TZNR_OK);
    ck_assert_msg(d > 0.0 && d < 1.0, "Dice %g", d);
    tznr_clkset_free(p);
    tznr_clkset_free(n);
    tznr_schema_free(sp);
    tznr_schema_free(sn);
}
END_TEST

/* C30 (datagouv/decoupage-administratif #13): birth-place codes compared as (type, code,
 * period) with the tznr `derive` extension (docs/schema.md); the field-level filters of
 * code_lieu_naissance, per expected.txt: L1-L2 (same text 98506, pays_ou_territoire vs
 * commune) and L1-L3 (Indochina 98506 vs Viet Nam 99243) never agree; L4-L5 (97606 vs the
 * old code 98506, born 2005) agree with the history table, and without it are either
 * declared retired (neutral: an empty filter, the missing level) or plainly different. */
/* C14: one block of 1,500 records of one surname and birth year (first rows of
 * gen_records.py 20000); expected values by hand in tests/data/cases/C14/expected.txt */
static tznr_link_result_t *c14_dedupe(const tznr_container_t *c, unsigned threads,
                                      uint64_t max_links, tznr_error_t want)
{
    tznr_linker_t *lk = NULL;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    ck_assert_int_eq(tznr_linker_set_threads(lk, threads), TZNR_OK);
    if (max_links != UINT64_MAX)
        ck_assert_int_eq(tznr_linker_set_max_links(lk, max_links), TZNR_OK);
    tznr_link_result_t *res = NULL;
    tznr_error_t rc = tznr_link_dedupe(&res, lk, c);
    ck_assert_msg(rc == want, "rc %d: %s", rc, tznr_last_error_message());
    ck_assert(rc ? res == NULL : res != NULL);
    tznr_linker_free(lk);
    return res;
}

START_TEST(c14_one_huge_block)
{
    static const uint64_t counts[] = {172, 159, 152, 152, 151, 149, 145, 144, 139, 137};
    uint64_t want_links = 0;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        want_links += counts[i] * (counts[i] - 1) / 2;
    ck_assert_uint_eq(want_links, 112213);
    tznr_schema_t *s = schema_edited("cases/C14/schema_fs.json", NULL, NULL);
    tznr_encoder_t *e = NULL;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    tznr_container_t *c = NULL;
    ck_assert_msg(tznr_encoder_encode_csv_container(e, tt_data("cases/C14/records_1500.csv"),
                                                    &c) == TZNR_OK, "%s", tznr_last_error_message());
    tznr_encoder_free(e);
    tznr_schema_free(s);
    ck_assert_uint_eq(tznr_container_count(c), 1500);

    /* default limit: all links kept, the same for every thread count */
    tznr_link_result_t *ref = c14_dedupe(c, 1, UINT64_MAX, TZNR_OK);
    uint64_t pairs = 0;
    ck_assert_int_eq(tznr_link_result_stats(ref, NULL, NULL, NULL, &pairs, NULL), TZNR_OK);
    ck_assert_uint_eq(pairs, 1500u * 1499u / 2);
    ck_assert_uint_eq(tznr_link_result_count(ref), want_links);
    for (unsigned th = 2; th <= 4; th += 2) {
        tznr_link_result_t *r = c14_dedupe(c, th, UINT64_MAX, TZNR_OK);
        ck_assert_uint_eq(tznr_link_result_count(r), want_links);
        for (size_t i = 0; i < want_links; i++) {
            uint64_t a0, b0, a1, b1;
            double p0, p1;
            ck_assert_int_eq(tznr_link_result_get(ref, i, &a0, &b0, &p0, NULL), TZNR_OK);
            ck_assert_int_eq(tznr_link_result_get(r, i, &a1, &b1, &p1, NULL), TZNR_OK);
            ck_assert(a0 == a1 && b0 == b1 && p0 == p1);
        }
        tznr_link_result_free(r);
    }
    tznr_link_result_free(ref);
    /* a limit of exactly the count passes; one less stops, naming block, pairs and limit */
    tznr_link_result_free(c14_dedupe(c, 2, want_links, TZNR_OK));
    tznr_link_result_free(c14_dedupe(c, 2, want_links - 1, TZNR_ELIMIT));
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, "1500 records") && strstr(msg, "112213 of the 1124250 pairs") &&
                  strstr(msg, "limit of 112212 links") && strstr(msg, "finer blocking"),
                  "message: %s", msg);
    /* 0 = no limit */
    tznr_link_result_t *r = c14_dedupe(c, 2, 0, TZNR_OK);
    ck_assert_uint_eq(tznr_link_result_count(r), want_links);
    tznr_link_result_free(r);
    tznr_container_free(c);
}
END_TEST

static const uint8_t *c30_field(const tznr_container_t *c, size_t row)
{
    for (size_t f = 0; f < tznr_container_field_count(c); f++)
        if (strcmp(tznr_container_field_name(c, f), "code_lieu_naissance") == 0)
            return tznr_container_field_filter(c, row, f);
    ck_abort_msg("no field code_lieu_naissance");
    return NULL;
}

static tznr_container_t *c30_encode(const char *schema, const char *csv)
{
    tznr_schema_t *s = schema_edited(schema, NULL, NULL);
    tznr_encoder_t *e = NULL;
    ck_assert_int_eq(tznr_encoder_new(&e, s, SECRET, sizeof SECRET - 1), TZNR_OK);
    tznr_container_t *c = NULL;
    ck_assert_msg(tznr_encoder_encode_csv_container(e, tt_data(csv), &c) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_encoder_free(e);
    tznr_schema_free(s);
    return c;
}

static double c30_dice(const tznr_container_t *c, size_t i, size_t j)
{
    double d = -1;
    ck_assert_int_eq(tznr_filter_dice(&d, c30_field(c, i), c30_field(c, j),
                                      tznr_container_field_bits(c) / 8), TZNR_OK);
    return d;
}

static uint64_t c30_bits(const tznr_container_t *c, size_t i)
{
    uint64_t n = 0;
    ck_assert_int_eq(tznr_filter_popcount(&n, c30_field(c, i), tznr_container_field_bits(c) / 8),
                     TZNR_OK);
    return n;
}

START_TEST(c30_birth_place_codes)
{
    enum { L1, L2, L3, L4, L5 };
    tznr_container_t *t = c30_encode("cases/C30/schema.json", "cases/C30/records.csv");
    ck_assert_uint_eq(tznr_container_count(t), 5);
    ck_assert_double_lt(c30_dice(t, L1, L2), 1.0);
    ck_assert_double_lt(c30_dice(t, L1, L3), 1.0);
    ck_assert_double_eq(c30_dice(t, L4, L5), 1.0);
    size_t fb = tznr_container_field_bits(t) / 8;
    ck_assert(memcmp(c30_field(t, L4), c30_field(t, L5), fb) == 0);
    ck_assert_uint_gt(c30_bits(t, L5), 0);
    tznr_container_free(t);

    tznr_container_t *n = c30_encode("cases/C30/schema_no_history.json", "cases/C30/records.csv");
    ck_assert_double_lt(c30_dice(n, L1, L2), 1.0);
    ck_assert_double_lt(c30_dice(n, L4, L5), 1.0);
    tznr_container_free(n);

    tznr_container_t *r = c30_encode("cases/C30/schema_retired.json", "cases/C30/records.csv");
    ck_assert_uint_eq(c30_bits(r, L5), 0);   /* retired: missing, neutral in linkage */
    ck_assert_uint_eq(c30_bits(r, L2), 0);
    ck_assert_uint_gt(c30_bits(r, L4), 0);
    ck_assert_double_lt(c30_dice(r, L1, L3), 1.0);
    tznr_container_free(r);

    /* codes stay strings: 2A004, 2B033 and 01053 are valid and distinct; "1053" is not */
    tznr_container_t *k = c30_encode("cases/C30/schema.json", "cases/C30/corsica.csv");
    ck_assert_uint_eq(tznr_container_count(k), 3);
    ck_assert_double_lt(c30_dice(k, 0, 1), 1.0);
    ck_assert_uint_gt(c30_bits(k, 2), 0);
    tznr_container_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("encoding");
    tcase_set_timeout(tc, 300);   /* C14 deduplicates 1,500 records five times */
    tcase_add_test(tc, c01_empty_value_sets_no_bits);
    tcase_add_test(tc, c02_numeric_identifiers);
    tcase_add_test(tc, c04_missing_placeholders);
    tcase_add_test(tc, c07_bom_crlf);
    tcase_add_test(tc, all_empty_record_rejected);
    tcase_add_test(tc, all_missing_record_rejected);
    tcase_add_test(tc, container_duplicate_ids_rejected);
    tcase_add_test(tc, c30_birth_place_codes);
    tcase_add_test(tc, c26_accents_identical_clks);
    tcase_add_test(tc, c29_compound_names);
    tcase_add_test(tc, c14_one_huge_block);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
