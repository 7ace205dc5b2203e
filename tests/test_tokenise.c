/* Tokenisation: every token clkhash 0.18.3 produced for the vector records (debug files),
 * numeric neighbourhood tokens (s4), and case C01 (empty value -> no q-gram). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "tznr_test.h"
#include "normalise.h"
#include "schema_internal.h"
#include "tokenise.h"

static tznr_schema_t *load_schema(const char *rel)
{
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_file(&s, tt_data(rel));
    ck_assert_msg(rc == TZNR_OK, "%s: %s", rel, tznr_last_error_message());
    return s;
}

static const tznr__feature *feature(const tznr_schema_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_features; i++)
        if (strcmp(s->features[i].name, name) == 0)
            return &s->features[i];
    ck_abort_msg("no feature %s", name);
    return NULL;
}

/* normalise + tokenise `raw`; compare with the expected token array (json strings) */
static void check_tokens(const tznr__feature *f, const char *raw, json_t *want, const char *ctx)
{
    char *val = NULL;
    size_t vlen = 0;
    int missing = 0;
    ck_assert_msg(tznr__normalise(f, raw, strlen(raw), &val, &vlen, &missing) == TZNR_OK,
                  "%s: %s", ctx, tznr_last_error_message());
    tznr__tokens t;
    tznr__tokens_init(&t);
    if (!missing)
        ck_assert_msg(tznr__tokenise(&t, f, val, vlen) == TZNR_OK, "%s: %s", ctx,
                      tznr_last_error_message());
    ck_assert_msg(t.n == json_array_size(want), "%s: %zu tokens, clkhash has %zu", ctx, t.n,
                  json_array_size(want));
    for (size_t i = 0; i < t.n; i++) {
        json_t *w = json_array_get(want, i);
        const char *ws = json_is_string(w) ? json_string_value(w)
                                           : json_string_value(json_object_get(w, "token"));
        size_t len = t.off[i + 1] - t.off[i];
        ck_assert_msg(len == strlen(ws) && memcmp(t.buf + t.off[i], ws, len) == 0,
                      "%s: token %zu is '%.*s', clkhash has '%s'", ctx, i, (int)len,
                      t.buf + t.off[i], ws);
    }
    tznr__tokens_free(&t);
    free(val);
}

static void check_debug_file(const char *schema_rel, const char *debug_rel)
{
    tznr_schema_t *s = load_schema(schema_rel);
    json_error_t jerr;
    json_t *d = json_load_file(tt_data(debug_rel), 0, &jerr);
    ck_assert_msg(d != NULL, "%s: %s", debug_rel, jerr.text);
    json_t *recs = json_object_get(d, "records");
    size_t checked = 0;
    for (size_t r = 0; r < json_array_size(recs); r++) {
        json_t *feats = json_object_get(json_array_get(recs, r), "features");
        for (size_t i = 0; i < json_array_size(feats); i++) {
            json_t *fe = json_array_get(feats, i);
            const char *name = json_string_value(json_object_get(fe, "identifier"));
            const char *raw = json_string_value(json_object_get(fe, "raw"));
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s record %zu %s", debug_rel, r, name);
            check_tokens(feature(s, name), raw, json_object_get(fe, "tokens"), ctx);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 50);
    json_decref(d);
    tznr_schema_free(s);
}

START_TEST(s1_tokens) { check_debug_file("vectors/schemas/s1_example.a.json", "vectors/debug/s1_example.a.debug.json"); }
END_TEST

START_TEST(s3_tokens) { check_debug_file("vectors/schemas/s3_mixed.a.json", "vectors/debug/s3_mixed.a.debug.json"); }
END_TEST

START_TEST(s4_numeric_tokens)
{
    tznr_schema_t *s = load_schema("vectors/schemas/s4_numeric.json");
    json_error_t jerr;
    json_t *d = json_load_file(tt_data("vectors/s4_numeric.tokens.json"), 0, &jerr);
    ck_assert_ptr_nonnull(d);
    static const char *fields[] = {"age", "height", "balance"};
    for (size_t r = 0; r < json_array_size(d); r++) {
        json_t *rec = json_array_get(d, r);
        for (int k = 0; k < 3; k++) {
            json_t *fe = json_object_get(rec, fields[k]);
            char ctx[64];
            snprintf(ctx, sizeof ctx, "numeric record %zu %s", r, fields[k]);
            check_tokens(feature(s, fields[k]), json_string_value(json_object_get(fe, "value")),
                         json_object_get(fe, "tokens"), ctx);
        }
    }
    json_decref(d);
    tznr_schema_free(s);
}
END_TEST

/* C01: an empty value gives no q-gram (not a padding-only one); "A" gives pad+A, A+pad. */
START_TEST(c01_empty_value)
{
    tznr_schema_t *s = load_schema("cases/C01/schema.json");
    const tznr__feature *f = feature(s, "given_name");
    tznr__tokens t;
    tznr__tokens_init(&t);
    ck_assert_int_eq(tznr__tokenise(&t, f, "", 0), TZNR_OK);
    ck_assert_uint_eq(t.n, 0);
    ck_assert_int_eq(tznr__tokenise(&t, f, "A", 1), TZNR_OK);
    ck_assert_uint_eq(t.n, 2);
    ck_assert_mem_eq(t.buf + t.off[0], " A", 2);
    ck_assert_mem_eq(t.buf + t.off[1], "A ", 2);
    tznr__tokens_free(&t);
    tznr_schema_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokenise");
    TCase *tc = tcase_create("clkhash");
    tcase_add_test(tc, s1_tokens);
    tcase_add_test(tc, s3_tokens);
    tcase_add_test(tc, s4_numeric_tokens);
    tcase_add_test(tc, c01_empty_value);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
