/* Cases from real bug reports (tests/data/cases, see each expected.txt), through the public
 * encoding API: C01 empty value, C02 numeric identifiers, C04 placeholders for missing
 * values, C07 byte-order mark and CRLF. (C05 is in test_schema, C08/C11/C12 in test_compare.) */
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

int main(void)
{
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("encoding");
    tcase_add_test(tc, c01_empty_value_sets_no_bits);
    tcase_add_test(tc, c02_numeric_identifiers);
    tcase_add_test(tc, c04_missing_placeholders);
    tcase_add_test(tc, c07_bom_crlf);
    tcase_add_test(tc, all_empty_record_rejected);
    tcase_add_test(tc, container_duplicate_ids_rejected);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
