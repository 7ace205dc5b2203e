/* Linkage schema loading: the 9 clkhash vector schemas (values from the clkhash README and
 * the schema files), cases C01/C02/C04/C05, and malformed schemas (error code + JSON path +
 * rule in the detail). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tznr_test.h"
#include "crypto.h"
#include "schema_internal.h"

static tznr_schema_t *load(const char *rel)
{
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_file(&s, tt_data(rel));
    ck_assert_msg(rc == TZNR_OK, "%s: %s", rel, tznr_last_error_message());
    ck_assert_ptr_nonnull(s);
    return s;
}

static const tznr__feature *feat(const tznr_schema_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_features; i++)
        if (strcmp(s->features[i].name, name) == 0)
            return &s->features[i];
    ck_abort_msg("no feature %s", name);
    return NULL;
}

static void assert_names(const tznr_schema_t *s)
{
    static const char *const names[] = {"id", "firstName", "lastName", "dob", "gender",
                                        "postcode", "city"};
    ck_assert_uint_eq(tznr_schema_feature_count(s), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(tznr_schema_feature_name(s, i), names[i]);
    ck_assert_int_eq(tznr_schema_feature_is_ignored(s, 0), 1);
}

/* ---- vector schemas ------------------------------------------------------------------- */

static void check_s1(const char *rel, const char *dob_format)
{
    tznr_schema_t *s = load(rel);
    assert_names(s);
    ck_assert_uint_eq(s->version, 3);
    ck_assert_uint_eq(tznr_schema_filter_bits(s), 1024);
    ck_assert_uint_eq(s->l, 1024);
    ck_assert_uint_eq(s->xor_folds, 0);
    ck_assert_int_eq(s->kdf_md, TZNR__MD_SHA256);
    ck_assert_uint_eq(s->key_size, 64);
    ck_assert_int_eq(s->has_salt, 1);
    ck_assert_uint_eq(s->salt_len, 64);      /* 88 base64 chars with "==" */
    ck_assert_uint_eq(s->salt[0], 0x48);     /* "SCbL" -> 48 26 cb */
    ck_assert_uint_eq(s->salt[1], 0x26);
    ck_assert_uint_eq(s->salt[2], 0xcb);
    ck_assert_uint_eq(s->info_len, 14);
    ck_assert_mem_eq(s->info, "schema_example", 14);
    ck_assert_int_eq(tznr_schema_feature_is_ignored(s, 6), 1);   /* city */
    for (size_t i = 1; i < 6; i++)
        ck_assert_int_eq(tznr_schema_feature_is_ignored(s, i), 0);

    const tznr__feature *f = feat(s, "firstName");
    ck_assert_int_eq(f->fmt, TZNR__FMT_STRING);
    ck_assert_int_eq(f->encoding, TZNR__ENC_UTF8);
    ck_assert_int_eq(f->text_case, TZNR__CASE_MIXED);
    ck_assert_int_eq(f->max_length, 30);
    ck_assert_int_eq(f->min_length, -1);
    ck_assert_ptr_null(f->pattern);
    ck_assert_int_eq(f->cmp, TZNR__CMP_NGRAM);
    ck_assert_uint_eq(f->ngram_n, 2);
    ck_assert_int_eq(f->positional, 0);
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_FEATURE);
    ck_assert_uint_eq(f->strategy_value, 100);
    ck_assert_int_eq(f->hash, TZNR__HASH_BLAKE);
    ck_assert_int_eq(f->has_sentinel, 0);

    f = feat(s, "dob");
    ck_assert_int_eq(f->fmt, TZNR__FMT_DATE);
    ck_assert_str_eq(f->date_format, dob_format);
    ck_assert_uint_eq(f->ngram_n, 1);
    ck_assert_int_eq(f->positional, 1);
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_TOKEN);
    ck_assert_uint_eq(f->strategy_value, 20);
    ck_assert_int_eq(f->hash, TZNR__HASH_DOUBLE);
    ck_assert_int_eq(f->prevent_singularity, 0);
    ck_assert_int_eq(f->has_sentinel, 1);
    ck_assert_str_eq(f->sentinel, "");
    ck_assert_ptr_null(f->replace_with);

    f = feat(s, "gender");
    ck_assert_int_eq(f->fmt, TZNR__FMT_ENUM);
    ck_assert_uint_eq(f->n_enum_values, 3);
    ck_assert_str_eq(f->enum_values[0], "M");
    ck_assert_str_eq(f->enum_values[1], "F");
    ck_assert_str_eq(f->enum_values[2], "O");
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_FEATURE);
    ck_assert_uint_eq(f->strategy_value, 110);

    f = feat(s, "postcode");
    ck_assert_str_eq(f->pattern, "[0-9]{5}");
    ck_assert_ptr_nonnull(f->pattern_code);
    ck_assert_int_eq(f->hash, TZNR__HASH_DOUBLE);
    ck_assert_int_eq(f->prevent_singularity, 1);
    ck_assert_uint_eq(f->strategy_value, 100);
    tznr_schema_free(s);
}

START_TEST(s1_a) { check_s1("vectors/schemas/s1_example.a.json", "%Y-%m-%d"); }
END_TEST
START_TEST(s1_b) { check_s1("vectors/schemas/s1_example.b.json", "%d/%m/%Y"); }
END_TEST

static void check_s2(const char *rel, int prevent, const char *dob_format)
{
    static const char *const names[] = {"firstName", "lastName", "dob", "gender", "postcode",
                                        "city"};
    static const unsigned bpt[] = {15, 15, 30, 60, 10, 10};
    static const unsigned n[] = {2, 2, 1, 1, 2, 2};
    tznr_schema_t *s = load(rel);
    assert_names(s);
    ck_assert_uint_eq(s->l, 1024);
    ck_assert_int_eq(s->kdf_md, TZNR__MD_SHA256);
    ck_assert_uint_eq(s->salt_len, 32);
    ck_assert_uint_eq(s->info_len, 14);
    ck_assert_mem_eq(s->info, "pprl-oracle-s2", 14);
    for (size_t i = 0; i < 6; i++) {
        const tznr__feature *f = feat(s, names[i]);
        ck_assert_int_eq(f->hash, TZNR__HASH_DOUBLE);
        ck_assert_int_eq(f->prevent_singularity, prevent);
        ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_TOKEN);
        ck_assert_uint_eq(f->strategy_value, bpt[i]);
        ck_assert_uint_eq(f->ngram_n, n[i]);
        ck_assert_int_eq(f->positional, i == 2);
    }
    ck_assert_str_eq(feat(s, "dob")->date_format, dob_format);
    tznr_schema_free(s);
}

START_TEST(s2_a) { check_s2("vectors/schemas/s2_doublehash.a.json", 0, "%Y-%m-%d"); }
END_TEST
START_TEST(s2_b) { check_s2("vectors/schemas/s2_doublehash.b.json", 0, "%d/%m/%Y"); }
END_TEST
START_TEST(s2ns_a) { check_s2("vectors/schemas/s2ns_doublehash_nonsingular.a.json", 1, "%Y-%m-%d"); }
END_TEST
START_TEST(s2ns_b) { check_s2("vectors/schemas/s2ns_doublehash_nonsingular.b.json", 1, "%d/%m/%Y"); }
END_TEST

static void check_s3(const char *rel, const char *dob_format)
{
    tznr_schema_t *s = load(rel);
    assert_names(s);
    ck_assert_uint_eq(tznr_schema_filter_bits(s), 1024);
    ck_assert_uint_eq(s->xor_folds, 1);
    ck_assert_int_eq(s->kdf_md, TZNR__MD_SHA512);
    ck_assert_uint_eq(s->key_size, 32);
    ck_assert_int_eq(s->has_salt, 0);
    ck_assert_uint_eq(s->info_len, 0);
    ck_assert_int_eq(tznr_schema_feature_is_ignored(s, 6), 0);   /* city is encoded */

    const tznr__feature *f = feat(s, "firstName");
    ck_assert_uint_eq(f->ngram_n, 3);
    ck_assert_int_eq(f->positional, 0);
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_FEATURE);
    ck_assert_uint_eq(f->strategy_value, 120);
    ck_assert_int_eq(f->hash, TZNR__HASH_BLAKE);
    f = feat(s, "lastName");
    ck_assert_uint_eq(f->ngram_n, 3);
    ck_assert_int_eq(f->positional, 1);
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_TOKEN);
    ck_assert_uint_eq(f->strategy_value, 8);
    f = feat(s, "dob");
    ck_assert_int_eq(f->cmp, TZNR__CMP_EXACT);
    ck_assert_uint_eq(f->strategy_value, 40);
    ck_assert_int_eq(f->hash, TZNR__HASH_BLAKE);
    ck_assert_str_eq(f->date_format, dob_format);
    f = feat(s, "gender");
    ck_assert_int_eq(f->cmp, TZNR__CMP_EXACT);
    ck_assert_int_eq(f->hash, TZNR__HASH_DOUBLE);
    ck_assert_int_eq(f->prevent_singularity, 1);
    ck_assert_str_eq(f->replace_with, "U");
    f = feat(s, "postcode");
    ck_assert_int_eq(f->fmt, TZNR__FMT_INTEGER);
    ck_assert_int_eq(f->has_minimum, 1);
    ck_assert_int_eq(f->minimum, 1000);
    ck_assert_int_eq(f->has_maximum, 1);
    ck_assert_int_eq(f->maximum, 99999);
    ck_assert_uint_eq(f->strategy_value, 60);
    f = feat(s, "city");
    ck_assert_str_eq(f->sentinel, "");
    ck_assert_str_eq(f->replace_with, "INCONNU");
    ck_assert_uint_eq(f->strategy_value, 80);
    tznr_schema_free(s);
}

START_TEST(s3_a) { check_s3("vectors/schemas/s3_mixed.a.json", "%Y-%m-%d"); }
END_TEST
START_TEST(s3_b) { check_s3("vectors/schemas/s3_mixed.b.json", "%d/%m/%Y"); }
END_TEST

START_TEST(s4_numeric)
{
    tznr_schema_t *s = load("vectors/schemas/s4_numeric.json");
    ck_assert_uint_eq(tznr_schema_feature_count(s), 4);
    ck_assert_uint_eq(s->l, 1024);
    ck_assert_uint_eq(s->salt_len, 15);
    ck_assert_mem_eq(s->salt, "numeric-vectors", 15);
    ck_assert_uint_eq(s->info_len, 2);
    ck_assert_mem_eq(s->info, "s4", 2);
    const tznr__feature *f = feat(s, "age");
    ck_assert_int_eq(f->fmt, TZNR__FMT_INTEGER);
    ck_assert_int_eq(f->has_minimum, 0);
    ck_assert_int_eq(f->cmp, TZNR__CMP_NUMERIC);
    ck_assert_double_eq(f->threshold_distance, 5.0);
    ck_assert_uint_eq(f->resolution, 2);
    ck_assert_uint_eq(f->fractional_precision, 0);
    ck_assert_uint_eq(f->strategy_value, 12);
    f = feat(s, "height");
    ck_assert_double_eq(f->threshold_distance, 0.05);
    ck_assert_uint_eq(f->resolution, 3);
    ck_assert_uint_eq(f->fractional_precision, 2);
    ck_assert_int_eq(f->hash, TZNR__HASH_DOUBLE);
    ck_assert_int_eq(f->prevent_singularity, 1);
    f = feat(s, "balance");
    ck_assert_double_eq(f->threshold_distance, 100.0);
    ck_assert_uint_eq(f->resolution, 4);
    ck_assert_uint_eq(f->fractional_precision, 1);
    ck_assert_int_eq(f->strategy, TZNR__STRAT_BITS_PER_FEATURE);
    ck_assert_uint_eq(f->strategy_value, 90);
    tznr_schema_free(s);
}
END_TEST

/* ---- cases ------------------------------------------------------------------------------ */

START_TEST(cases_load)
{
    tznr_schema_t *s = load("cases/C01/schema.json");
    ck_assert_uint_eq(tznr_schema_feature_count(s), 3);
    ck_assert_uint_eq(s->l, 1024);
    ck_assert_int_eq(s->kdf_md, TZNR__MD_SHA256);   /* defaults: no kdf block */
    ck_assert_uint_eq(s->key_size, 64);
    ck_assert_int_eq(s->has_salt, 0);
    ck_assert_int_eq(feat(s, "given_name")->hash, TZNR__HASH_BLAKE);
    tznr_schema_free(s);

    s = load("cases/C02/schema.json");
    ck_assert_uint_eq(s->version, 3);
    ck_assert_int_eq(feat(s, "postcode")->fmt, TZNR__FMT_INTEGER);
    tznr_schema_free(s);

    s = load("cases/C04/schema_with_sentinels.json");
    const tznr__feature *f = feat(s, "dob");
    ck_assert_int_eq(f->has_sentinel, 0);
    ck_assert_uint_eq(f->n_sentinels, 3);
    ck_assert_str_eq(f->sentinels[0], "");
    ck_assert_str_eq(f->sentinels[1], "N/A");
    ck_assert_str_eq(f->sentinels[2], "null");
    ck_assert_ptr_null(f->replace_with);
    tznr_schema_free(s);
}
END_TEST

static void expect_file_error(const char *rel, const char *path_part, const char *rule1,
                              const char *rule2)
{
    tznr_schema_t *s = (tznr_schema_t *)1;
    const char *path = tt_data(rel);
    ck_assert_int_eq(tznr_schema_new_from_file(&s, path), TZNR_ESCHEMA);
    ck_assert_ptr_null(s);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0, "detail not prefixed by the file: %s",
                  msg);
    ck_assert_msg(strstr(msg, path_part) != NULL, "no '%s' in: %s", path_part, msg);
    ck_assert_msg(strstr(msg, rule1) || (rule2 && strstr(msg, rule2)), "no rule in: %s", msg);
}

START_TEST(c05_rejected)
{
    expect_file_error("cases/C05/schema_bad_string.json",
                      "features[0].hashing.strategy.bitsPerToken", "must be a positive integer",
                      NULL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "\"illegalValue\""));
    expect_file_error("cases/C05/schema_bad_negative.json",
                      "features[0].hashing.strategy.bitsPerToken", "must be a positive integer",
                      NULL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "-3"));
    expect_file_error("cases/C05/schema_bad_both.json", "features[0].hashing.strategy",
                      "mutually exclusive", NULL);
    /* l = 1000 (tznr needs a multiple of 64) and bitsPerToken "illegalValue": either rule */
    tznr_schema_t *s = NULL;
    ck_assert_int_eq(tznr_schema_new_from_file(&s, tt_data("cases/C05/schema_bad_length.json")),
                     TZNR_ESCHEMA);
    const char *msg = tznr_last_error_message();
    ck_assert_msg((strstr(msg, "clkConfig.l") && strstr(msg, "multiple of 64")) ||
                  (strstr(msg, "features[0].hashing.strategy.bitsPerToken") &&
                   strstr(msg, "must be a positive integer")), "%s", msg);
}
END_TEST

/* ---- API edge cases ------------------------------------------------------------------------ */

START_TEST(api_null_and_defaults)
{
    tznr_schema_t *s = NULL;
    ck_assert_int_eq(tznr_schema_new_from_json(NULL, "{}", 2), TZNR_EINVAL);
    ck_assert_int_eq(tznr_schema_new_from_json(&s, NULL, 0), TZNR_EINVAL);
    ck_assert_int_eq(tznr_schema_new_from_file(NULL, "x"), TZNR_EINVAL);
    ck_assert_int_eq(tznr_schema_new_from_file(&s, NULL), TZNR_EINVAL);
    ck_assert_uint_eq(tznr_schema_filter_bits(NULL), 0);
    ck_assert_uint_eq(tznr_schema_feature_count(NULL), 0);
    ck_assert_ptr_null(tznr_schema_feature_name(NULL, 0));
    ck_assert_int_eq(tznr_schema_feature_is_ignored(NULL, 0), -1);
    tznr_schema_free(NULL);

    /* not NUL-terminated: only json_len bytes are read */
    const char *txt = "{\"features\":[{\"identifier\":\"a\",\"ignored\":true}]}GARBAGE";
    ck_assert_int_eq(tznr_schema_new_from_json(&s, txt, strlen(txt) - 7), TZNR_OK);
    ck_assert_uint_eq(s->version, 3);
    ck_assert_uint_eq(s->l, 1024);
    ck_assert_uint_eq(s->xor_folds, 0);
    ck_assert_int_eq(s->kdf_md, TZNR__MD_SHA256);
    ck_assert_uint_eq(s->key_size, 64);
    ck_assert_int_eq(s->has_salt, 0);
    ck_assert_uint_eq(s->info_len, 0);
    ck_assert_uint_eq(tznr_schema_feature_count(s), 1);
    ck_assert_int_eq(tznr_schema_feature_is_ignored(s, 0), 1);
    ck_assert_ptr_null(tznr_schema_feature_name(s, 1));
    ck_assert_int_eq(tznr_schema_feature_is_ignored(s, 1), -1);
    tznr_schema_free(s);
    ck_assert_int_eq(tznr_schema_new_from_json(&s, txt, strlen(txt)), TZNR_ESCHEMA);
    ck_assert_ptr_null(s);
}
END_TEST

#define HASH_OK "{\"comparison\":{\"type\":\"ngram\",\"n\":2},\"strategy\":{\"bitsPerToken\":10}}"
#define FMT_OK "{\"type\":\"string\"}"
#define FEAT(fmt, hashing) "{\"identifier\":\"x\",\"format\":" fmt ",\"hashing\":" hashing "}"
#define SCHEMA(feats) "{\"version\":3,\"features\":[" feats "]}"
#define CFG(cfg) "{\"clkConfig\":" cfg ",\"features\":[" FEAT(FMT_OK, HASH_OK) "]}"
#define WITH_FMT(fmt) SCHEMA(FEAT(fmt, HASH_OK))
#define WITH_HASH(h) SCHEMA(FEAT(FMT_OK, h))
#define CMP(c) WITH_HASH("{\"comparison\":" c ",\"strategy\":{\"bitsPerToken\":10}}")
#define STRAT(st) WITH_HASH("{\"comparison\":{\"type\":\"exact\"},\"strategy\":" st "}")
#define HASHBLK(h) WITH_HASH("{\"comparison\":{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":1},\"hash\":" h "}")
#define MISSING(m) WITH_HASH("{\"comparison\":{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":1},\"missingValue\":" m "}")

static void accept(const char *json)
{
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_json(&s, json, strlen(json));
    ck_assert_msg(rc == TZNR_OK, "%s -> %s", json, tznr_last_error_message());
    tznr_schema_free(s);
}

START_TEST(valid_variants)
{
    accept(SCHEMA(FEAT(FMT_OK, HASH_OK)));
    accept("{\"note\":\"x\",\"metadata\":{\"a\":[1]},\"features\":[" FEAT(FMT_OK, HASH_OK) "]}");
    accept(CFG("{\"l\":2048,\"xor_folds\":2,\"kdf\":{\"type\":\"HKDF\",\"hash\":\"SHA512\","
               "\"keySize\":64}}"));
    /* doubleHash does not need a power-of-two length */
    accept("{\"clkConfig\":{\"l\":192},\"features\":[" FEAT(FMT_OK,
           "{\"comparison\":{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":1},"
           "\"hash\":{\"type\":\"doubleHash\"}}") "]}");
    accept(WITH_FMT("{\"type\":\"string\",\"pattern\":\"[0-9]{5}\",\"minLength\":5,"
                    "\"maxLength\":5,\"case\":\"upper\",\"encoding\":\"ascii\","
                    "\"description\":\"d\"}"));
    accept(WITH_FMT("{\"type\":\"date\",\"format\":\"%d %B %Y %H:%M:%S %%\"}"));
    accept(WITH_FMT("{\"type\":\"integer\",\"minimum\":-5,\"maximum\":-5}"));
    accept(MISSING("{\"sentinels\":[\"N/A\",\"\"],\"replaceWith\":\"\"}"));
    accept(SCHEMA("{\"identifier\":\"i\",\"ignored\":true,\"description\":\"d\"},"
                  FEAT(FMT_OK, HASH_OK)));
    accept(SCHEMA("{\"identifier\":\"x\",\"ignored\":false,\"description\":\"d\",\"format\":"
                  FMT_OK ",\"hashing\":" HASH_OK "}"));

    /* an empty salt is "present, zero bytes" */
    tznr_schema_t *s = NULL;
    const char *j = CFG("{\"kdf\":{\"salt\":\"\",\"info\":\"AAE=\"}}");
    ck_assert_int_eq(tznr_schema_new_from_json(&s, j, strlen(j)), TZNR_OK);
    ck_assert_int_eq(s->has_salt, 1);
    ck_assert_uint_eq(s->salt_len, 0);
    ck_assert_uint_eq(s->info_len, 2);
    ck_assert_uint_eq(s->info[1], 1);
    tznr_schema_free(s);
}
END_TEST

/* ---- malformed schemas ------------------------------------------------------------------------ */

struct bad {
    const char *json, *path, *rule;
};

static const struct bad BAD[] = {
    /* JSON level */
    {"{", "JSON syntax error at line 1", "column"},
    {"", "JSON syntax error", "linkage schema"},
    {"{\"features\":[],\"features\":[]}", "JSON syntax error", "duplicate"},
    {"[]", "(top level)", "expected a JSON object"},
    {"{\"version\":3,\"feature\":[]}", "feature", "unknown key"},
    /* top level */
    {"{\"version\":2,\"features\":[" FEAT(FMT_OK, HASH_OK) "]}", "version", "must be 3"},
    {"{\"version\":\"3\",\"features\":[" FEAT(FMT_OK, HASH_OK) "]}", "version", "must be 3"},
    {"{\"version\":3}", "features", "required key is missing"},
    {"{\"features\":[]}", "features", "non-empty"},
    {"{\"features\":{}}", "features", "expected a non-empty array"},
    /* clkConfig */
    {CFG("[]"), "clkConfig", "expected an object"},
    {CFG("{\"l\":1000}"), "clkConfig.l", "must be a positive multiple of 64 (got 1000)"},
    {CFG("{\"l\":0}"), "clkConfig.l", "positive multiple of 64"},
    {CFG("{\"l\":-1024}"), "clkConfig.l", "positive multiple of 64"},
    {CFG("{\"l\":1024.0}"), "clkConfig.l", "positive multiple of 64"},
    {CFG("{\"l\":\"1024\"}"), "clkConfig.l", "(got \"1024\")"},
    {CFG("{\"l\":2097152}"), "clkConfig.l", "at most 1048576"},
    {CFG("{\"xor_folds\":11}"), "clkConfig.xor_folds", "from 0 to 10"},
    {CFG("{\"xor_folds\":-1}"), "clkConfig.xor_folds", "from 0 to 10"},
    {CFG("{\"xorFolds\":1}"), "clkConfig.xorFolds", "unknown key"},
    {CFG("{\"kdf\":\"HKDF\"}"), "clkConfig.kdf", "expected an object"},
    {CFG("{\"kdf\":{\"type\":\"PBKDF2\"}}"), "clkConfig.kdf.type", "must be HKDF"},
    {CFG("{\"kdf\":{\"hash\":\"MD5\"}}"), "clkConfig.kdf.hash", "SHA256, SHA512"},
    {CFG("{\"kdf\":{\"salt\":\"abc\"}}"), "clkConfig.kdf.salt", "base64"},
    {CFG("{\"kdf\":{\"salt\":\"ab!=\"}}"), "clkConfig.kdf.salt", "base64"},
    {CFG("{\"kdf\":{\"salt\":\"YWJj ZA==\"}}"), "clkConfig.kdf.salt", "base64"},
    {CFG("{\"kdf\":{\"info\":42}}"), "clkConfig.kdf.info", "expected a string (got 42)"},
    {CFG("{\"kdf\":{\"keySize\":0}}"), "clkConfig.kdf.keySize", "from 1 to 1024"},
    {CFG("{\"kdf\":{\"keySize\":1025}}"), "clkConfig.kdf.keySize", "from 1 to 1024"},
    {CFG("{\"kdf\":{\"keySize\":128}}"), "features[0].hashing", "keySize <= 64"},
    {CFG("{\"kdf\":{\"iterations\":5}}"), "clkConfig.kdf.iterations", "unknown key"},
    {CFG("{\"l\":1088}"), "features[0].hashing", "power of two (got 1088)"},
    {"{\"clkConfig\":{\"l\":192},\"features\":[" FEAT(FMT_OK,
     "{\"comparison\":{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":1},"
     "\"hash\":{\"type\":\"blakeHash\"}}") "]}", "features[0].hashing.hash.type", "power of two"},
    /* features[i] */
    {SCHEMA("\"x\""), "features[0]", "expected an object (got \"x\")"},
    {SCHEMA("{\"format\":" FMT_OK ",\"hashing\":" HASH_OK "}"), "features[0].identifier",
     "required key is missing"},
    {SCHEMA("{\"identifier\":\"\",\"ignored\":true}"), "features[0].identifier", "non-empty"},
    {SCHEMA("{\"identifier\":5,\"ignored\":true}"), "features[0].identifier", "expected a string"},
    {SCHEMA(FEAT(FMT_OK, HASH_OK) "," FEAT(FMT_OK, HASH_OK)), "features[1].identifier",
     "duplicate identifier \"x\""},
    {SCHEMA("{\"identifier\":\"x\",\"ignored\":\"yes\"}"), "features[0].ignored", "boolean"},
    {SCHEMA("{\"identifier\":\"x\",\"ignored\":true,\"format\":" FMT_OK "}"),
     "features[0].format", "not allowed on an ignored feature"},
    {SCHEMA("{\"identifier\":\"x\",\"hashing\":" HASH_OK "}"), "features[0].format",
     "required key is missing"},
    {SCHEMA("{\"identifier\":\"x\",\"format\":" FMT_OK "}"), "features[0].hashing",
     "required key is missing"},
    {SCHEMA("{\"identifier\":\"x\",\"colour\":1,\"format\":" FMT_OK ",\"hashing\":" HASH_OK "}"),
     "features[0].colour", "unknown key"},
    {SCHEMA("{\"identifier\":\"x\",\"description\":7,\"ignored\":true}"),
     "features[0].description", "expected a string"},
    /* format */
    {WITH_FMT("\"string\""), "features[0].format", "expected an object"},
    {WITH_FMT("{\"encoding\":\"utf-8\"}"), "features[0].format.type", "required key is missing"},
    {WITH_FMT("{\"type\":\"float\"}"), "features[0].format.type",
     "must be one of string, integer, date, enum (got \"float\")"},
    {WITH_FMT("{\"type\":\"string\",\"regex\":\"x\"}"), "features[0].format.regex", "unknown key"},
    {WITH_FMT("{\"type\":\"string\",\"encoding\":\"utf-16\"}"), "features[0].format.encoding",
     "unsupported encoding"},
    {WITH_FMT("{\"type\":\"string\",\"encoding\":\"latin-1\"}"), "features[0].format.encoding",
     "must be one of utf-8, ascii"},
    {WITH_FMT("{\"type\":\"string\",\"case\":\"title\"}"), "features[0].format.case",
     "upper, lower, mixed"},
    {WITH_FMT("{\"type\":\"string\",\"minLength\":-1}"), "features[0].format.minLength",
     "non-negative integer"},
    {WITH_FMT("{\"type\":\"string\",\"maxLength\":\"5\"}"), "features[0].format.maxLength",
     "non-negative integer"},
    {WITH_FMT("{\"type\":\"string\",\"minLength\":5,\"maxLength\":3}"),
     "features[0].format.maxLength", "less than minLength"},
    {WITH_FMT("{\"type\":\"string\",\"pattern\":\"[0-9\"}"), "features[0].format.pattern",
     "invalid regular expression"},
    {WITH_FMT("{\"type\":\"string\",\"pattern\":\"a(b\"}"), "features[0].format.pattern",
     "at offset"},
    {WITH_FMT("{\"type\":\"string\",\"pattern\":5}"), "features[0].format.pattern",
     "expected a string"},
    {WITH_FMT("{\"type\":\"integer\",\"minimum\":10,\"maximum\":9}"), "features[0].format.maximum",
     "less than minimum"},
    {WITH_FMT("{\"type\":\"integer\",\"minimum\":1.5}"), "features[0].format.minimum",
     "must be an integer"},
    {WITH_FMT("{\"type\":\"integer\",\"pattern\":\"x\"}"), "features[0].format.pattern",
     "unknown key"},
    {WITH_FMT("{\"type\":\"date\"}"), "features[0].format.format", "required key is missing"},
    {WITH_FMT("{\"type\":\"date\",\"format\":\"\"}"), "features[0].format.format", "non-empty"},
    {WITH_FMT("{\"type\":\"date\",\"format\":\"%Y-%m-%d %Z\"}"), "features[0].format.format",
     "unsupported directive %Z"},
    {WITH_FMT("{\"type\":\"date\",\"format\":\"%s\"}"), "features[0].format.format",
     "unsupported directive %s"},
    {WITH_FMT("{\"type\":\"date\",\"format\":\"%Y %y\"}"), "features[0].format.format",
     "sets the year twice"},
    {WITH_FMT("{\"type\":\"date\",\"format\":\"%Y-%\"}"), "features[0].format.format", "lone %"},
    {WITH_FMT("{\"type\":\"enum\"}"), "features[0].format.values", "required key is missing"},
    {WITH_FMT("{\"type\":\"enum\",\"values\":[]}"), "features[0].format.values", "non-empty"},
    {WITH_FMT("{\"type\":\"enum\",\"values\":[\"a\",1]}"), "features[0].format.values[1]",
     "expected a string (got 1)"},
    {WITH_FMT("{\"type\":\"enum\",\"values\":\"M\"}"), "features[0].format.values",
     "array of strings"},
    /* hashing */
    {WITH_HASH("[]"), "features[0].hashing", "expected an object"},
    {WITH_HASH("{\"ngram\":2,\"strategy\":{\"bitsPerToken\":1}}"), "features[0].hashing.ngram",
     "unknown key"},
    {WITH_HASH("{\"strategy\":{\"bitsPerToken\":1}}"), "features[0].hashing.comparison",
     "required key is missing"},
    {CMP("{\"type\":\"soundex\"}"), "features[0].hashing.comparison.type",
     "ngram, exact, numeric"},
    {CMP("{\"n\":2}"), "features[0].hashing.comparison.type", "required key is missing"},
    {CMP("{\"type\":\"ngram\"}"), "features[0].hashing.comparison.n", "required key is missing"},
    {CMP("{\"type\":\"ngram\",\"n\":0}"), "features[0].hashing.comparison.n", "from 1 to 16"},
    {CMP("{\"type\":\"ngram\",\"n\":17}"), "features[0].hashing.comparison.n", "from 1 to 16"},
    {CMP("{\"type\":\"ngram\",\"n\":2,\"positional\":\"true\"}"),
     "features[0].hashing.comparison.positional", "boolean"},
    {CMP("{\"type\":\"exact\",\"n\":2}"), "features[0].hashing.comparison.n", "unknown key"},
    {CMP("{\"type\":\"numeric\",\"resolution\":2}"),
     "features[0].hashing.comparison.thresholdDistance", "required key is missing"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":0,\"resolution\":2}"),
     "features[0].hashing.comparison.thresholdDistance", "must be a number > 0"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":\"5\",\"resolution\":2}"),
     "features[0].hashing.comparison.thresholdDistance", "expected a number"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":5}"),
     "features[0].hashing.comparison.resolution", "required key is missing"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":5,\"resolution\":0}"),
     "features[0].hashing.comparison.resolution", "from 1 to"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":5,\"resolution\":1,"
         "\"fractional_precision\":16}"),
     "features[0].hashing.comparison.fractional_precision", "from 0 to 15"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":0.004,\"resolution\":1,"
         "\"fractional_precision\":2}"),
     "features[0].hashing.comparison.thresholdDistance", "rounds to 0"},
    {CMP("{\"type\":\"numeric\",\"thresholdDistance\":0.4,\"resolution\":1}"),
     "features[0].hashing.comparison.thresholdDistance", "rounds to 0"},
    {WITH_HASH("{\"comparison\":{\"type\":\"exact\"}}"), "features[0].hashing.strategy",
     "required key is missing"},
    {STRAT("{}"), "features[0].hashing.strategy", "one of bitsPerToken or bitsPerFeature"},
    {STRAT("{\"bitsPerToken\":0}"), "features[0].hashing.strategy.bitsPerToken",
     "must be a positive integer (got 0)"},
    {STRAT("{\"bitsPerToken\":2.5}"), "features[0].hashing.strategy.bitsPerToken",
     "must be a positive integer (got 2.5)"},
    {STRAT("{\"bitsPerFeature\":true}"), "features[0].hashing.strategy.bitsPerFeature",
     "must be a positive integer (got true)"},
    {STRAT("{\"bitsPerFeature\":null}"), "features[0].hashing.strategy.bitsPerFeature",
     "must be a positive integer (got null)"},
    {STRAT("{\"bitsPerFeature\":100001}"), "features[0].hashing.strategy.bitsPerFeature",
     "at most 100000"},
    {STRAT("{\"k\":20}"), "features[0].hashing.strategy.k", "unknown key"},
    {HASHBLK("{\"type\":\"sha1\"}"), "features[0].hashing.hash.type", "blakeHash, doubleHash"},
    {HASHBLK("{}"), "features[0].hashing.hash.type", "required key is missing"},
    {HASHBLK("\"blakeHash\""), "features[0].hashing.hash", "expected an object"},
    {HASHBLK("{\"type\":\"blakeHash\",\"prevent_singularity\":true}"),
     "features[0].hashing.hash.prevent_singularity", "only valid with type doubleHash"},
    {HASHBLK("{\"type\":\"blakeHash\",\"prevent_singularity\":false}"),
     "features[0].hashing.hash.prevent_singularity", "only valid with type doubleHash"},
    {HASHBLK("{\"type\":\"doubleHash\",\"prevent_singularity\":\"no\"}"),
     "features[0].hashing.hash.prevent_singularity", "boolean"},
    {HASHBLK("{\"type\":\"doubleHash\",\"salt\":\"x\"}"), "features[0].hashing.hash.salt",
     "unknown key"},
    {MISSING("{\"sentinel\":\"\",\"sentinels\":[\"\"]}"), "features[0].hashing.missingValue",
     "mutually exclusive"},
    {MISSING("{}"), "features[0].hashing.missingValue", "one of sentinel or sentinels"},
    {MISSING("{\"replaceWith\":\"U\"}"), "features[0].hashing.missingValue",
     "one of sentinel or sentinels"},
    {MISSING("{\"sentinel\":5}"), "features[0].hashing.missingValue.sentinel",
     "expected a string"},
    {MISSING("{\"sentinels\":\"N/A\"}"), "features[0].hashing.missingValue.sentinels",
     "array of strings"},
    {MISSING("{\"sentinels\":[]}"), "features[0].hashing.missingValue.sentinels", "non-empty"},
    {MISSING("{\"sentinel\":\"\",\"replaceWith\":null}"),
     "features[0].hashing.missingValue.replaceWith", "expected a string (got null)"},
    {MISSING("{\"sentinel\":\"\",\"default\":\"x\"}"), "features[0].hashing.missingValue.default",
     "unknown key"},
    /* the index names the right feature */
    {SCHEMA("{\"identifier\":\"a\",\"ignored\":true}," FEAT(FMT_OK,
            "{\"comparison\":{\"type\":\"exact\"},\"strategy\":{\"bitsPerToken\":\"illegalValue\"}}")),
     "features[1].hashing.strategy.bitsPerToken", "must be a positive integer (got \"illegalValue\")"},
};

START_TEST(malformed)
{
    const struct bad *b = &BAD[_i];
    tznr_schema_t *s = (tznr_schema_t *)1;
    tznr_error_t rc = tznr_schema_new_from_json(&s, b->json, strlen(b->json));
    const char *msg = tznr_last_error_message();
    ck_assert_msg(rc == TZNR_ESCHEMA, "#%d %s: rc %d (%s)", _i, b->json, rc, msg);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(msg, b->path) != NULL, "#%d %s: no path '%s' in: %s", _i, b->json,
                  b->path, msg);
    ck_assert_msg(strstr(msg, b->rule) != NULL, "#%d %s: no rule '%s' in: %s", _i, b->json,
                  b->rule, msg);
}
END_TEST

/* HKDF can derive at most 255 * HashLen bytes: 2 keys of keySize bytes per feature. */
START_TEST(hkdf_output_limit)
{
    char buf[8192];
    for (int n = 63; n <= 64; n++) {
        size_t o = (size_t)snprintf(buf, sizeof buf, "{\"features\":[");
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{\"identifier\":\"f%d\",\"ignored\":true}",
                                  i ? "," : "", i);
        snprintf(buf + o, sizeof buf - o, "]}");
        tznr_schema_t *s = NULL;
        tznr_error_t rc = tznr_schema_new_from_json(&s, buf, strlen(buf));
        if (n == 63) {   /* 63 * 128 = 8064 <= 8160 */
            ck_assert_msg(rc == TZNR_OK, "%s", tznr_last_error_message());
            ck_assert_uint_eq(tznr_schema_feature_count(s), 63);
            tznr_schema_free(s);
        } else {         /* 64 * 128 = 8192 > 8160 */
            ck_assert_int_eq(rc, TZNR_ESCHEMA);
            ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "clkConfig.kdf.keySize"));
            ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "HKDF limit"));
        }
    }
}
END_TEST

START_TEST(file_errors)
{
    tznr_schema_t *s = (tznr_schema_t *)1;
    char path[512];
    snprintf(path, sizeof path, "%s/does-not-exist.json", tt_tmpdir());
    ck_assert_int_eq(tznr_schema_new_from_file(&s, path), TZNR_EIO);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));

    /* larger than 16 MiB */
    snprintf(path, sizeof path, "%s/huge.json", tt_tmpdir());
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)(17 << 20)), 0);
    close(fd);
    ck_assert_int_eq(tznr_schema_new_from_file(&s, path), TZNR_ELIMIT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));
    unlink(path);

    /* syntax error in a file: detail starts with the path */
    snprintf(path, sizeof path, "%s/bad.json", tt_tmpdir());
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("{\n  \"features\": [,]\n}\n", fp);
    fclose(fp);
    ck_assert_int_eq(tznr_schema_new_from_file(&s, path), TZNR_ESCHEMA);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0, "%s", msg);
    ck_assert_msg(strstr(msg, "JSON syntax error at line 2") != NULL, "%s", msg);
    unlink(path);
}
END_TEST

/* fuzz_schema finding (fuzz/corpus/schema/crash-json-error-quotes-out-of-memory): a syntax
 * error whose quoted input contains "out of memory" was reported as TZNR_ENOMEM, because the
 * status was inferred from the message text. */
START_TEST(fuzz_syntax_error_quoting_out_of_memory)
{
    static const char json[] = "{\"features\": [\"out of memory\nx\"]}";
    tznr_schema_t *s = (tznr_schema_t *)&s;
    ck_assert_int_eq(tznr_schema_new_from_json(&s, json, sizeof json - 1), TZNR_ESCHEMA);
    ck_assert_ptr_null(s);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, "JSON syntax error at line 1") != NULL, "%s", msg);
}
END_TEST

/* Encoding-work limits (fuzz_schema review: a schema with a numeric comparison of resolution
 * 100000 and bitsPerToken 100000 made one value cost minutes). Expected bounds by hand:
 * bitsPerToken <= 1024; per numeric feature (2r+1) * k <= 1048576, so r = 511, k = 1024 gives
 * 1023 * 1024 = 1047552 (accepted) and r = 512 gives 1025 * 1024 = 1049600 (refused);
 * resolution <= 32767; over the schema, sum of (2r+1) <= 65536, so two features of r = 16383
 * give 2 * 32767 = 65534 tokens (accepted) and two of r = 16384 give 65538 (refused). */
#define NUMF(id, r, strat) "{\"identifier\":\"" id "\",\"format\":{\"type\":\"string\"}," \
    "\"hashing\":{\"comparison\":{\"type\":\"numeric\",\"thresholdDistance\":1," \
    "\"resolution\":" #r "},\"strategy\":" strat "}}"

static void refuse(const char *json, const char *path, const char *rule)
{
    tznr_schema_t *s = (tznr_schema_t *)&s;
    ck_assert_msg(tznr_schema_new_from_json(&s, json, strlen(json)) == TZNR_ESCHEMA, "%s", json);
    ck_assert_ptr_null(s);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, path) && strstr(msg, rule), "%s -> %s", json, msg);
}

START_TEST(fuzz_encoding_work_limits)
{
    accept(STRAT("{\"bitsPerToken\":1024}"));
    refuse(STRAT("{\"bitsPerToken\":1025}"), "features[0].hashing.strategy.bitsPerToken",
           "at most 1024 (a larger k");
    accept(STRAT("{\"bitsPerFeature\":100000}"));
    accept(SCHEMA(NUMF("x", 511, "{\"bitsPerToken\":1024}")));
    refuse(SCHEMA(NUMF("x", 512, "{\"bitsPerToken\":1024}")),
           "features[0].hashing.strategy.bitsPerToken", "= 1049600 bits per value");
    refuse(SCHEMA(NUMF("x", 100000, "{\"bitsPerToken\":100000}")),
           "features[0].hashing.comparison.resolution", "from 1 to 32767");
    refuse(SCHEMA(NUMF("x", 100, "{\"bitsPerToken\":100000}")),
           "features[0].hashing.strategy.bitsPerToken", "at most 1024");
    accept(SCHEMA(NUMF("x", 32767, "{\"bitsPerFeature\":100000}")));
    refuse(SCHEMA(NUMF("x", 32768, "{\"bitsPerToken\":1}")),
           "features[0].hashing.comparison.resolution", "from 1 to 32767");
    accept(SCHEMA(NUMF("x", 16383, "{\"bitsPerToken\":16}") "," NUMF("y", 16383, "{\"bitsPerToken\":16}")));
    refuse(SCHEMA(NUMF("x", 16384, "{\"bitsPerToken\":1}") "," NUMF("y", 16384, "{\"bitsPerToken\":1}")),
           "features: the numeric features give 65538 tokens and 65538 bits", "65536 tokens");
    /* bits over the schema: 3 features of (2*255+1) * 1024 = 523264 bits each */
    refuse(SCHEMA(NUMF("x", 255, "{\"bitsPerToken\":1024}") "," NUMF("y", 255, "{\"bitsPerToken\":1024}")
                  "," NUMF("z", 255, "{\"bitsPerToken\":1024}")),
           "features: the numeric features give 1533 tokens and 1569792 bits", "1048576 bits");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, s1_a);
    tcase_add_test(tc, s1_b);
    tcase_add_test(tc, s2_a);
    tcase_add_test(tc, s2_b);
    tcase_add_test(tc, s2ns_a);
    tcase_add_test(tc, s2ns_b);
    tcase_add_test(tc, s3_a);
    tcase_add_test(tc, s3_b);
    tcase_add_test(tc, s4_numeric);
    suite_add_tcase(s, tc);

    tc = tcase_create("cases");
    tcase_add_test(tc, cases_load);
    tcase_add_test(tc, c05_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("validation");
    tcase_add_test(tc, api_null_and_defaults);
    tcase_add_test(tc, valid_variants);
    tcase_add_loop_test(tc, malformed, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, hkdf_output_limit);
    tcase_add_test(tc, file_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_add_test(tc, fuzz_syntax_error_quoting_out_of_memory);
    tcase_add_test(tc, fuzz_encoding_work_limits);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
