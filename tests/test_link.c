/* Probabilistic linkage on containers: comparison levels (case C23: missing is never
 * agreement), EM + 1:1 links on synthetic field filters with known truth, deduplication
 * clusters, outputs and reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

static const char SCHEMA[] =
    "{\"version\": 3, \"clkConfig\": {\"l\": 256}, \"linkage\": {\"idColumn\": \"id\"},"
    " \"features\": [{\"identifier\": \"id\", \"ignored\": true},"
    " {\"identifier\": \"f0\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": {\"levels\": [0.9, 0.6]}},"
    " {\"identifier\": \"f1\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": {\"levels\": [0.9, 0.6]}},"
    " {\"identifier\": \"f2\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": {\"levels\": [0.9, 0.6]}},"
    " {\"identifier\": \"f3\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": {\"levels\": [0.9, 0.6]}}]}";

enum { NF = 4, FB = 32 };   /* 4 fields, 256-bit filters */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static tznr_container_t *empty_container(void)
{
    tznr_schema_t *s;
    ck_assert_msg(tznr_schema_new_from_json(&s, SCHEMA, strlen(SCHEMA)) == TZNR_OK, "%s", tznr_last_error_message());
    tznr_container_t *c;
    ck_assert_int_eq(tznr_container_new(&c, s), TZNR_OK);
    tznr_schema_free(s);
    return c;
}

/* entity e's field f: a random ~20 %-dense filter; noise flips a few bits */
static void entity_fields(uint8_t *out, uint64_t e, int noise)
{
    uint64_t save = rng;
    rng = 0x1234567ull + e * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < NF * FB; i++)
        out[i] = (uint8_t)(next() & next() & 0xFF) | (uint8_t)(next() & next() & next() & 0xFF);
    rng = save;
    for (int k = 0; k < noise; k++) {
        size_t f = next() % NF, bit = next() % (FB * 8);
        out[f * FB + bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
    }
}

static void append(tznr_container_t *c, const char *id, const uint8_t *fields)
{
    uint8_t clk[FB] = {0};
    for (size_t f = 0; f < NF; f++)
        for (size_t i = 0; i < FB; i++)
            clk[i] |= fields[f * FB + i];
    ck_assert_int_eq(tznr_container_append(c, id, strlen(id), fields, NF * FB, clk, FB), TZNR_OK);
}

/* C23: an empty field filter (empty, whitespace-only or NULL value) on either side is the
 * missing level, never agreement; equal non-empty filters are level 0. */
START_TEST(c23_missing_is_not_agreement)
{
    tznr_container_t *c = empty_container();
    uint8_t f[NF * FB];
    memset(f, 0, sizeof f);
    append(c, "p1", f);                 /* all fields empty */
    entity_fields(f, 7, 0);
    append(c, "p2", f);                 /* all fields present */
    memset(f + FB, 0, FB);
    append(c, "p3", f);                 /* field 1 empty */
    uint8_t g[NF];
    ck_assert_int_eq(tznr_link_compare(g, c, 0, c, 0), TZNR_OK);   /* '' vs '' */
    for (int k = 0; k < NF; k++)
        ck_assert_uint_eq(g[k], TZNR_FS_MISSING);
    ck_assert_int_eq(tznr_link_compare(g, c, 0, c, 1), TZNR_OK);   /* '' vs value */
    for (int k = 0; k < NF; k++)
        ck_assert_uint_eq(g[k], TZNR_FS_MISSING);
    ck_assert_int_eq(tznr_link_compare(g, c, 1, c, 1), TZNR_OK);   /* value vs same value */
    for (int k = 0; k < NF; k++)
        ck_assert_uint_eq(g[k], 0);
    ck_assert_int_eq(tznr_link_compare(g, c, 2, c, 1), TZNR_OK);
    ck_assert_uint_eq(g[0], 0);
    ck_assert_uint_eq(g[1], TZNR_FS_MISSING);
    tznr_container_free(c);
}
END_TEST

/* 300 entities in A; B holds noisy copies of the first 200 plus 100 others. EM without
 * labels must find the 200 true pairs with at most a handful of errors. */
START_TEST(link_synthetic_truth)
{
    tznr_container_t *a = empty_container(), *b = empty_container();
    uint8_t f[NF * FB];
    char id[32];
    for (uint64_t e = 0; e < 300; e++) {
        entity_fields(f, e, 0);
        snprintf(id, sizeof id, "a%llu", (unsigned long long)e);
        append(a, id, f);
    }
    for (uint64_t e = 0; e < 300; e++) {
        uint64_t ent = e < 200 ? e : 1000 + e;
        entity_fields(f, ent, (int)(next() % 12));
        if (e % 17 == 0)
            memset(f + 2 * FB, 0, FB);   /* some missing values */
        snprintf(id, sizeof id, "b%llu", (unsigned long long)e);
        append(b, id, f);
    }
    tznr_linker_t *lk;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    tznr_link_result_t *res;
    ck_assert_msg(tznr_link_two(&res, lk, a, b) == TZNR_OK, "%s", tznr_last_error_message());
    unsigned it;
    int conv;
    uint64_t pairs, pats;
    ck_assert_int_eq(tznr_link_result_stats(res, &it, NULL, &conv, &pairs, &pats), TZNR_OK);
    ck_assert_int_eq(conv, 1);
    ck_assert_uint_eq(pairs, 300 * 300);
    size_t tp = 0, n = tznr_link_result_count(res);
    for (size_t k = 0; k < n; k++) {
        uint64_t x, y;
        double p, w;
        ck_assert_int_eq(tznr_link_result_get(res, k, &x, &y, &p, &w), TZNR_OK);
        ck_assert(p >= 0.5);
        tp += x == y && x < 200;
    }
    ck_assert_msg(tp >= 198 && n - tp <= 2, "links %zu, true %zu", n, tp);
    double ep, er;
    ck_assert_int_eq(tznr_link_result_estimates(res, &ep, &er), TZNR_OK);
    ck_assert_double_eq_tol(ep, (double)tp / (double)n, 0.02);
    ck_assert_double_eq_tol(er, (double)tp / 200.0, 0.02);
    /* outputs */
    const char *dir = tt_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/links.csv", dir);
    snprintf(p2, sizeof p2, "%s/report.json", dir);
    ck_assert_int_eq(tznr_link_result_write_links(res, p1, 0), TZNR_OK);
    ck_assert_int_eq(tznr_link_result_write_report(res, p2, 0), TZNR_OK);
    ck_assert_int_eq(tznr_link_result_write_links(res, p1, 0), TZNR_EEXIST);
    ck_assert_int_eq(tznr_link_result_write_clusters(res, p1, 1), TZNR_EINVAL);
    char *csv = tt_read(p1, NULL);
    ck_assert(strncmp(csv, "a_id,b_id,match_probability,match_weight\n", 41) == 0);
    free(csv);
    char *rep = tt_read(p2, NULL);
    ck_assert_ptr_nonnull(strstr(rep, "\"converged\": true"));
    ck_assert_ptr_nonnull(strstr(rep, "\"lambda\""));
    free(rep);
    tznr_link_result_free(res);
    tznr_linker_free(lk);
    tznr_container_free(a);
    tznr_container_free(b);
}
END_TEST

/* Dedupe: 100 entities with 1 to 3 noisy copies each; clusters = entities. */
START_TEST(dedupe_synthetic_clusters)
{
    tznr_container_t *c = empty_container();
    uint8_t f[NF * FB];
    char id[32];
    uint64_t ent_of[400];
    size_t n = 0;
    for (uint64_t e = 0; e < 100; e++) {
        int copies = 1 + (int)(e % 3);
        for (int k = 0; k < copies; k++) {
            entity_fields(f, e, k ? (int)(next() % 10) : 0);
            snprintf(id, sizeof id, "r%zu", n);
            ent_of[n++] = e;
            append(c, id, f);
        }
    }
    tznr_linker_t *lk;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    tznr_link_result_t *res;
    ck_assert_msg(tznr_link_dedupe(&res, lk, c) == TZNR_OK, "%s", tznr_last_error_message());
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int same_cluster = tznr_link_result_cluster(res, i) == tznr_link_result_cluster(res, j);
            wrong += same_cluster != (ent_of[i] == ent_of[j]);
        }
    ck_assert_msg(wrong <= 3, "%zu pairs misclustered", wrong);
    ck_assert_uint_eq(tznr_link_result_cluster(res, 0), 0);
    ck_assert_uint_eq(tznr_link_result_cluster(res, n), UINT64_MAX);
    tznr_link_result_free(res);
    tznr_linker_free(lk);
    tznr_container_free(c);
}
END_TEST

START_TEST(link_argument_checks)
{
    tznr_linker_t *lk;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    ck_assert_int_eq(tznr_linker_set_threshold(lk, 0.0), TZNR_EINVAL);
    ck_assert_int_eq(tznr_linker_set_threshold(lk, 1.0), TZNR_EINVAL);
    ck_assert_int_eq(tznr_linker_set_em(lk, 0, 1e-6), TZNR_EINVAL);
    ck_assert_int_eq(tznr_linker_set_prefilter(lk, 1.5), TZNR_EINVAL);
    tznr_container_t *c = empty_container();
    tznr_link_result_t *res = NULL;
    ck_assert_int_eq(tznr_link_dedupe(&res, lk, c), TZNR_EINVAL);   /* no pair */
    ck_assert_ptr_null(res);
    /* a model whose shape does not match the containers */
    uint8_t L[2] = {2, 2};
    tznr_fs_model_t *md;
    ck_assert_int_eq(tznr_fs_model_new(&md, 2, L), TZNR_OK);
    ck_assert_int_eq(tznr_linker_set_model(lk, md, 0, 0), TZNR_OK);
    uint8_t f[NF * FB];
    entity_fields(f, 1, 0);
    append(c, "x", f);
    append(c, "y", f);
    ck_assert_int_eq(tznr_link_dedupe(&res, lk, c), TZNR_EINVAL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "fields"));
    tznr_fs_model_free(md);
    tznr_container_free(c);
    tznr_linker_free(lk);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("link");
    TCase *tc = tcase_create("fs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, c23_missing_is_not_agreement);
    tcase_add_test(tc, link_synthetic_truth);
    tcase_add_test(tc, dedupe_synthetic_clusters);
    tcase_add_test(tc, link_argument_checks);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
