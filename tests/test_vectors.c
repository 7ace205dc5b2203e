/* Byte-for-byte reference vectors from clkhash 0.18.3 and anonlink 0.15.3
 * (tests/data/vectors, copied from shared/data/clkhash-vectors): CLKs, Dice matrices,
 * candidate pairs at 0.7 and the greedy solver's pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

static const struct {
    const char *schema, *secret;
} S[] = {
    {"s1_example", "secret_1.txt"},
    {"s2_doublehash", "secret_1.txt"},
    {"s2ns_doublehash_nonsingular", "secret_1.txt"},
    {"s3_mixed", "secret_2.txt"},
};

static tznr_clkset_t *encode(const char *schema_rel, const char *secret_rel, const char *csv_rel)
{
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s", tt_data(schema_rel));
    snprintf(p2, sizeof p2, "%s", tt_data(secret_rel));
    tznr_schema_t *s = NULL;
    tznr_encoder_t *e = NULL;
    tznr_clkset_t *set = NULL;
    ck_assert_msg(tznr_schema_new_from_file(&s, p1) == TZNR_OK, "%s", tznr_last_error_message());
    ck_assert_msg(tznr_encoder_new_from_secret_file(&e, s, p2) == TZNR_OK, "%s",
                  tznr_last_error_message());
    ck_assert_msg(tznr_encoder_encode_csv(e, tt_data(csv_rel), &set) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_encoder_free(e);
    tznr_schema_free(s);
    return set;
}

static void compare_with_reference(tznr_clkset_t *got, const char *clks_rel)
{
    tznr_clkset_t *want = NULL;
    ck_assert_msg(tznr_clkset_read_json(&want, tt_data(clks_rel)) == TZNR_OK, "%s",
                  tznr_last_error_message());
    ck_assert_uint_eq(tznr_clkset_count(got), tznr_clkset_count(want));
    ck_assert_uint_eq(tznr_clkset_filter_bits(got), tznr_clkset_filter_bits(want));
    for (size_t i = 0; i < tznr_clkset_count(want); i++)
        ck_assert_msg(memcmp(tznr_clkset_get(got, i), tznr_clkset_get(want, i),
                             tznr_clkset_filter_bits(want) / 8) == 0,
                      "%s: CLK %zu differs from clkhash", clks_rel, i);
    tznr_clkset_free(want);
}

START_TEST(clks_match_clkhash)
{
    for (int side = 0; side < 2; side++) {
        char schema[128], secret[128], clks[128];
        snprintf(schema, sizeof schema, "vectors/schemas/%s.%c.json", S[_i].schema, "ab"[side]);
        snprintf(secret, sizeof secret, "vectors/input/%s", S[_i].secret);
        snprintf(clks, sizeof clks, "vectors/clks/%s.%c.clks.json", S[_i].schema, "ab"[side]);
        tznr_clkset_t *got = encode(schema, secret, side ? "vectors/input/people_b.csv"
                                                         : "vectors/input/people_a.csv");
        compare_with_reference(got, clks);
        tznr_clkset_free(got);
    }
}
END_TEST

START_TEST(numeric_clks_match_clkhash)
{
    tznr_clkset_t *got = encode("vectors/schemas/s4_numeric.json", "vectors/input/secret_1.txt",
                                "vectors/input/numeric.csv");
    compare_with_reference(got, "vectors/clks/s4_numeric.clks.json");
    tznr_clkset_free(got);
}
END_TEST

/* The batch API gives the same CLKs as the CSV path (people_a.csv has no quoted fields);
 * one invalid record makes the whole batch fail with the record named. */
START_TEST(batch_matches_clkhash)
{
    char p1[512];
    snprintf(p1, sizeof p1, "%s", tt_data("vectors/schemas/s1_example.a.json"));
    tznr_schema_t *s = NULL;
    tznr_encoder_t *e = NULL;
    ck_assert_int_eq(tznr_schema_new_from_file(&s, p1), TZNR_OK);
    ck_assert_int_eq(tznr_encoder_new_from_secret_file(&e, s, tt_data("vectors/input/secret_1.txt")), TZNR_OK);
    size_t len;
    char *text = tt_read(tt_data("vectors/input/people_a.csv"), &len);
    char *body = strchr(text, '\n') + 1;      /* skip the header */
    size_t offsets[20 * 7 + 1], nv = 0, nrec = 0;
    char *buf = malloc(len);
    size_t o = 0;
    offsets[0] = 0;
    for (char *q = body; *q; q++) {
        if (*q == ',' || *q == '\n') {
            offsets[++nv] = o;
            if (*q == '\n')
                nrec++;
        } else {
            buf[o++] = *q;
        }
    }
    ck_assert_uint_eq(nrec, 20);
    ck_assert_uint_eq(nv, 140);
    uint8_t *clks = malloc(20 * 128);
    ck_assert_msg(tznr_encoder_encode_batch(e, buf, offsets, 20, 7, clks, 20 * 128) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_clkset_t *want = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&want, tt_data("vectors/clks/s1_example.a.clks.json")), TZNR_OK);
    for (size_t i = 0; i < 20; i++)
        ck_assert_msg(memcmp(clks + 128 * i, tznr_clkset_get(want, i), 128) == 0, "record %zu", i);
    /* record 2's dob (value 3) made invalid */
    offsets[2 * 7 + 4] = offsets[2 * 7 + 3] + 1;
    ck_assert_int_eq(tznr_encoder_encode_batch(e, buf, offsets, 20, 7, clks, 20 * 128), TZNR_EINPUT);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "record 2: column 'dob'"));
    ck_assert_int_eq(tznr_encoder_encode_batch(e, buf, offsets, 20, 6, clks, 20 * 128), TZNR_EINVAL);
    ck_assert_int_eq(tznr_encoder_encode_batch(e, buf, offsets, 20, 7, clks, 20 * 128 - 1), TZNR_EBUFSIZE);
    tznr_clkset_free(want);
    free(clks);
    free(buf);
    free(text);
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

static json_t *load_json(const char *rel)
{
    json_error_t e;
    json_t *j = json_load_file(tt_data(rel), 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", rel, e.text);
    return j;
}

static void load_pair(tznr_clkset_t **a, tznr_clkset_t **b, const char *schema)
{
    char p[128];
    snprintf(p, sizeof p, "vectors/clks/%s.a.clks.json", schema);
    ck_assert_int_eq(tznr_clkset_read_json(a, tt_data(p)), TZNR_OK);
    snprintf(p, sizeof p, "vectors/clks/%s.b.clks.json", schema);
    ck_assert_int_eq(tznr_clkset_read_json(b, tt_data(p)), TZNR_OK);
}

START_TEST(dice_matrix_matches_anonlink)
{
    tznr_clkset_t *a, *b;
    load_pair(&a, &b, S[_i].schema);
    char p[128];
    snprintf(p, sizeof p, "vectors/anonlink/%s.dice_matrix.json", S[_i].schema);
    json_t *m = load_json(p);
    json_t *dice = json_object_get(m, "dice"), *pa = json_object_get(m, "popcounts_a");
    size_t len = tznr_clkset_filter_bits(a) / 8;
    ck_assert_uint_eq(json_array_size(dice), tznr_clkset_count(a));
    for (size_t i = 0; i < tznr_clkset_count(a); i++) {
        uint64_t pc;
        ck_assert_int_eq(tznr_filter_popcount(&pc, tznr_clkset_get(a, i), len), TZNR_OK);
        ck_assert_uint_eq(pc, (uint64_t)json_integer_value(json_array_get(pa, i)));
        json_t *row = json_array_get(dice, i);
        ck_assert_uint_eq(json_array_size(row), tznr_clkset_count(b));
        for (size_t j = 0; j < tznr_clkset_count(b); j++) {
            double d;
            ck_assert_int_eq(tznr_filter_dice(&d, tznr_clkset_get(a, i), tznr_clkset_get(b, j), len), TZNR_OK);
            ck_assert_msg(d == json_number_value(json_array_get(row, j)),
                          "%s dice[%zu][%zu] = %.17g, anonlink %.17g", S[_i].schema, i, j, d,
                          json_number_value(json_array_get(row, j)));
        }
    }
    /* threshold 0: every pair is a candidate, with the same score */
    tznr_candidates_t *c;
    ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, 0.0), TZNR_OK);
    ck_assert_uint_eq(tznr_candidates_count(c), tznr_clkset_count(a) * tznr_clkset_count(b));
    tznr_candidates_free(c);
    json_decref(m);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

static void assert_pairs(const tznr_candidates_t *c, json_t *pairs, int with_score, const char *ctx)
{
    ck_assert_msg(tznr_candidates_count(c) == json_array_size(pairs), "%s: %zu pairs, anonlink %zu",
                  ctx, tznr_candidates_count(c), json_array_size(pairs));
    for (size_t k = 0; k < json_array_size(pairs); k++) {
        json_t *p = json_array_get(pairs, k);
        uint64_t a, b;
        double s;
        ck_assert_int_eq(tznr_candidates_get(c, k, &a, &b, &s), TZNR_OK);
        ck_assert_uint_eq(a, (uint64_t)json_integer_value(json_object_get(p, "a_index")));
        ck_assert_uint_eq(b, (uint64_t)json_integer_value(json_object_get(p, "b_index")));
        if (with_score)
            ck_assert(s == json_number_value(json_object_get(p, "score")));
    }
}

START_TEST(candidates_and_greedy_match_anonlink)
{
    tznr_clkset_t *a, *b;
    load_pair(&a, &b, S[_i].schema);
    char p[128];
    snprintf(p, sizeof p, "vectors/anonlink/%s.candidates_t0.7.json", S[_i].schema);
    json_t *cj = load_json(p);
    snprintf(p, sizeof p, "vectors/anonlink/%s.greedy_t0.7.json", S[_i].schema);
    json_t *gj = load_json(p);
    tznr_candidates_t *c, *g;
    ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, 0.7), TZNR_OK);
    assert_pairs(c, json_object_get(cj, "pairs"), 1, "candidates");
    ck_assert_int_eq(tznr_solve_greedy(&g, c), TZNR_OK);
    /* anonlink's pairs are sorted by a_index: compare as a set via a_index order */
    json_t *gp = json_object_get(gj, "pairs");
    ck_assert_uint_eq(tznr_candidates_count(g), json_array_size(gp));
    for (size_t k = 0; k < json_array_size(gp); k++) {
        uint64_t wa = (uint64_t)json_integer_value(json_object_get(json_array_get(gp, k), "a_index"));
        uint64_t wb = (uint64_t)json_integer_value(json_object_get(json_array_get(gp, k), "b_index"));
        int found = 0;
        for (size_t i = 0; i < tznr_candidates_count(g); i++) {
            uint64_t x, y;
            ck_assert_int_eq(tznr_candidates_get(g, i, &x, &y, NULL), TZNR_OK);
            found += x == wa && y == wb;
        }
        ck_assert_msg(found == 1, "%s: greedy pair (%llu,%llu) missing", S[_i].schema,
                      (unsigned long long)wa, (unsigned long long)wb);
    }
    tznr_candidates_free(c);
    tznr_candidates_free(g);
    json_decref(cj);
    json_decref(gj);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vectors");
    TCase *tc = tcase_create("clkhash");
    tcase_add_loop_test(tc, clks_match_clkhash, 0, 4);
    tcase_add_test(tc, numeric_clks_match_clkhash);
    tcase_add_test(tc, batch_matches_clkhash);
    suite_add_tcase(s, tc);
    TCase *ta = tcase_create("anonlink");
    tcase_add_loop_test(ta, dice_matrix_matches_anonlink, 0, 4);
    tcase_add_loop_test(ta, candidates_and_greedy_match_anonlink, 0, 4);
    suite_add_tcase(s, ta);
    return tt_run(s);
}
