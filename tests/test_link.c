/* Probabilistic linkage on containers: comparison levels (case C23: missing is never
 * agreement), EM + 1:1 links on synthetic field filters with known truth, deduplication
 * clusters, outputs and reports; linkage groups (case C27: birth name vs usage name). */
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


/* ---- Case C27: linkage groups (birth name / usage name) ------------------------------ */

static const char C27_SECRET[] = "c27 shared secret for the tests";

static tznr_container_t *c27_encode(const char *schema_file, const char *csv)
{
    char rel[128];
    tznr_schema_t *s;
    snprintf(rel, sizeof rel, "cases/C27/%s", schema_file);
    ck_assert_msg(tznr_schema_new_from_file(&s, tt_data(rel)) == TZNR_OK, "%s", tznr_last_error_message());
    tznr_encoder_t *e;
    ck_assert_int_eq(tznr_encoder_new(&e, s, (const uint8_t *)C27_SECRET, sizeof C27_SECRET - 1), TZNR_OK);
    tznr_container_t *c;
    snprintf(rel, sizeof rel, "cases/C27/%s", csv);
    ck_assert_msg(tznr_encoder_encode_csv_container(e, tt_data(rel), &c) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_encoder_free(e);
    tznr_schema_free(s);
    return c;
}

static void expect_gamma(const tznr_container_t *a, size_t ai, const tznr_container_t *b, size_t bi,
                         const uint8_t *want, size_t n)
{
    uint8_t g[8];
    ck_assert_uint_eq(tznr_link_column_count(a), n);
    ck_assert_msg(tznr_link_compare(g, a, ai, b, bi) == TZNR_OK, "%s", tznr_last_error_message());
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(g[k] == want[k], "%s row %zu vs %s row %zu: column %zu is level %u, expected %u",
                      tznr_container_id(a, ai, NULL), ai, tznr_container_id(b, bi, NULL), bi, k,
                      g[k], want[k]);
}

/* Comparison vectors by hand. Columns: nom = {nom_naissance, nom_usage} (levels [1.0, 0.7]:
 * 0 = Dice 1, 1 = Dice >= 0.7, 2 = else), prenom, date_naissance, sexe ([1.0]: 0 agree, 1 else).
 * B's single name sits in nom_usage; the group compares every cross pair, and members share
 * keys, so A1's nom_naissance DUPONT and B1's nom_usage DUPONT give the same filter: Dice 1.
 * DUPONT vs DURAND: padded bigrams {_D DU UP PO ON NT T_} and {_D DU UR RA AN ND D_} share 2
 * of 7 + 7: Dice 4/14 = 0.29 (the Bloom filters' a little more from collisions, far below
 * 0.7); MARTIN vs DURAND share none: Dice 0. Best 0.29 -> level 2 (else). */
START_TEST(c27_group_comparison_levels)
{
    tznr_container_t *a = c27_encode("schema.json", "file_a.csv");
    tznr_container_t *b = c27_encode("schema.json", "file_b_shared.csv");
    tznr_container_t *b2 = c27_encode("schema.json", "file_b_birth_slot.csv");
    tznr_container_t *am = c27_encode("schema.json", "file_a_missing.csv");
    /* the layout: 5 fields, 4 columns; the group is one column named "nom" */
    ck_assert_uint_eq(tznr_container_field_count(a), 5);
    ck_assert_str_eq(tznr_container_field_group(a, 0), "nom");
    ck_assert_str_eq(tznr_container_field_group(a, 1), "nom");
    ck_assert_ptr_null(tznr_container_field_group(a, 2));
    ck_assert_uint_eq(tznr_link_column_count(a), 4);
    ck_assert_str_eq(tznr_link_column_name(a, 0), "nom");
    ck_assert_str_eq(tznr_link_column_name(a, 1), "prenom");
    ck_assert_str_eq(tznr_link_column_name(a, 3), "sexe");
    ck_assert_ptr_null(tznr_link_column_name(a, 4));
    size_t mem[4];
    ck_assert_uint_eq(tznr_link_column_fields(a, 0, mem, 4), 2);
    ck_assert_uint_eq(mem[0], 0);
    ck_assert_uint_eq(mem[1], 1);
    ck_assert_uint_eq(tznr_link_column_fields(a, 2, mem, 4), 1);
    ck_assert_uint_eq(mem[0], 3);

    static const uint8_t agree[4] = {0, 0, 0, 0}, surname_differs[4] = {2, 0, 0, 0},
                         no_name[4] = {TZNR_FS_MISSING, 0, 0, 0};
    for (int slot = 0; slot < 2; slot++) {   /* B's name in nom_usage, then in nom_naissance */
        const tznr_container_t *bb = slot ? b2 : b;
        expect_gamma(a, 0, bb, 0, agree, 4);            /* A1-B1: birth name DUPONT */
        expect_gamma(a, 0, bb, 1, agree, 4);            /* A1-B2: usage name MARTIN */
        expect_gamma(a, 0, bb, 2, surname_differs, 4);  /* A1-B3: DURAND */
        expect_gamma(am, 0, bb, 0, no_name, 4);         /* A2 has no name at all: missing */
        expect_gamma(am, 1, bb, 0, agree, 4);           /* A3 (DUPONT, no usage name) - B1 */
        expect_gamma(am, 1, bb, 1, surname_differs, 4); /* A3 - B2 MARTIN: Dice 0, not missing */
        /* symmetric: the order of the records does not matter */
        uint8_t g1[4], g2[4];
        for (size_t j = 0; j < 3; j++) {
            ck_assert_int_eq(tznr_link_compare(g1, a, 0, bb, j), TZNR_OK);
            ck_assert_int_eq(tznr_link_compare(g2, bb, j, a, 0), TZNR_OK);
            ck_assert_mem_eq(g1, g2, 4);
        }
    }
    /* members share keys and a CLK is the OR of the field filters: the slot a custodian puts
     * its single name in does not change its CLKs */
    for (size_t j = 0; j < 3; j++)
        ck_assert_mem_eq(tznr_container_clk(b, j), tznr_container_clk(b2, j), 1024 / 8);
    /* a group survives writing and reading the container */
    char path[512];
    snprintf(path, sizeof path, "%s/a.tznr", tt_tmpdir());
    ck_assert_int_eq(tznr_container_write(a, path, 0), TZNR_OK);
    tznr_container_t *r;
    ck_assert_msg(tznr_container_read(&r, path) == TZNR_OK, "%s", tznr_last_error_message());
    ck_assert_str_eq(tznr_container_field_group(r, 1), "nom");
    expect_gamma(r, 0, b, 1, agree, 4);
    tznr_container_free(r);
    tznr_container_free(am);
    tznr_container_free(b2);
    tznr_container_free(b);
    tznr_container_free(a);
}
END_TEST

/* The fault, replayed: without the group, each name is compared with the same column only.
 * B's name is in nom_usage, so A1's birth name DUPONT is never compared with B1's DUPONT:
 * nom_naissance is missing (B's is empty) and nom_usage MARTIN vs DUPONT disagrees. */
START_TEST(c27_without_group_the_fault)
{
    tznr_container_t *a = c27_encode("schema_no_group.json", "file_a.csv");
    tznr_container_t *b = c27_encode("schema_no_group.json", "file_b_shared.csv");
    ck_assert_uint_eq(tznr_link_column_count(a), 5);
    static const uint8_t want[5] = {TZNR_FS_MISSING, 2, 0, 0, 0};
    expect_gamma(a, 0, b, 0, want, 5);
    tznr_container_free(b);
    tznr_container_free(a);
}
END_TEST

/* A fixed model, weights by hand: lambda = 0.01; nom m = (0.9, 0.095, 0.005),
 * u = (0.01, 0.04, 0.95); prenom and date_naissance m = (0.9, 0.1), u = (0.3, 0.7); sexe
 * m = (0.95, 0.05), u = (0.9, 0.1). One m/u per column: the group has one, not one per member. */
static tznr_fs_model_t *c27_model(void)
{
    static const uint8_t L[4] = {3, 2, 2, 2};
    static const double m[] = {0.9, 0.095, 0.005, 0.9, 0.1, 0.9, 0.1, 0.95, 0.05};
    static const double u[] = {0.01, 0.04, 0.95, 0.3, 0.7, 0.3, 0.7, 0.9, 0.1};
    tznr_fs_model_t *md;
    ck_assert_int_eq(tznr_fs_model_new(&md, 4, L), TZNR_OK);
    ck_assert_msg(tznr_fs_model_set_params(md, 0.01, m, u) == TZNR_OK, "%s", tznr_last_error_message());
    return md;
}

static tznr_container_t *c27_subset(const tznr_container_t *src, size_t from, size_t to)
{
    /* an empty container with src's layout, via a schema */
    tznr_schema_t *s;
    ck_assert_int_eq(tznr_schema_new_from_file(&s, tt_data("cases/C27/schema.json")), TZNR_OK);
    tznr_container_t *c;
    ck_assert_int_eq(tznr_container_new(&c, s), TZNR_OK);
    tznr_schema_free(s);
    size_t nf = tznr_container_field_count(src), fb = tznr_container_field_bits(src) / 8;
    uint8_t fields[5 * 128];
    ck_assert_uint_le(nf * fb, sizeof fields);
    for (size_t r = from; r < to; r++) {
        for (size_t f = 0; f < nf; f++)
            memcpy(fields + f * fb, tznr_container_field_filter(src, r, f), fb);
        size_t len;
        const char *id = tznr_container_id(src, r, &len);
        ck_assert_int_eq(tznr_container_append(c, id, len, fields, nf * fb, tznr_container_clk(src, r),
                                               tznr_container_clk_bits(src) / 8), TZNR_OK);
    }
    return c;
}

START_TEST(c27_fixed_model_weights)
{
    const double lam = 0.01;
    const double w_nom0 = log2(0.9 / 0.01), w_nom2 = log2(0.005 / 0.95), w_pre0 = log2(0.9 / 0.3),
                 w_sex0 = log2(0.95 / 0.9), prior = log2(lam / (1 - lam));
    tznr_fs_model_t *md = c27_model();
    tznr_container_t *a = c27_encode("schema.json", "file_a.csv");
    tznr_container_t *b = c27_encode("schema.json", "file_b_shared.csv");
    tznr_container_t *am = c27_encode("schema.json", "file_a_missing.csv");
    struct { const tznr_container_t *a; size_t ai, bi; double w, p; } cases[] = {
        /* A1-B1 and A1-B2: every column agrees; p = lambda prod m / (lambda prod m + (1 -
         * lambda) prod u) = 0.01*0.9*0.9*0.9*0.95 / (that + 0.99*0.01*0.3*0.3*0.9) = 95/106 */
        {a, 0, 0, prior + w_nom0 + 2 * w_pre0 + w_sex0, 95.0 / 106.0},
        {a, 0, 1, prior + w_nom0 + 2 * w_pre0 + w_sex0, 95.0 / 106.0},
        /* A1-B3: surname else: 0.01*0.005*0.9*0.9*0.95 / (that + 0.99*0.95*0.3*0.3*0.9) */
        {a, 0, 2, prior + w_nom2 + 2 * w_pre0 + w_sex0,
         0.01 * 0.005 * 0.81 * 0.95 / (0.01 * 0.005 * 0.81 * 0.95 + 0.99 * 0.95 * 0.09 * 0.9)},
        /* A2 (no name)-B1: the name column is missing and adds 0 */
        {am, 0, 0, prior + 2 * w_pre0 + w_sex0,
         0.01 * 0.81 * 0.95 / (0.01 * 0.81 * 0.95 + 0.99 * 0.09 * 0.9)},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        uint8_t g[4];
        double w, p;
        ck_assert_int_eq(tznr_link_compare(g, cases[k].a, cases[k].ai, b, cases[k].bi), TZNR_OK);
        ck_assert_int_eq(tznr_fs_score(&w, &p, NULL, md, g), TZNR_OK);
        ck_assert_double_eq_tol(w, cases[k].w, 1e-12);
        ck_assert_double_eq_tol(p, cases[k].p, 1e-12);
    }
    ck_assert_double_eq_tol(cases[0].w, 3.1104239896936505, 1e-9);   /* the sums, spelt out */
    ck_assert_double_eq_tol(cases[2].w, -10.951284714966972, 1e-9);

    /* The linkage with m and u fixed (EM estimates lambda only). A1 agrees with B1 and B2
     * equally: 1:1 assignment keeps one, the lower row of B (B1); B3 is never linked. The
     * weight is the estimated prior plus the hand sum of log2(m/u). */
    tznr_linker_t *lk;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    ck_assert_int_eq(tznr_linker_set_model(lk, md, 1, 1), TZNR_OK);
    const tznr_container_t *bs[3];
    tznr_container_t *b23 = c27_subset(b, 1, 3), *b3 = c27_subset(b, 2, 3);
    bs[0] = b;
    bs[1] = b23;
    bs[2] = b3;
    const char *want[3] = {"B1", "B2", NULL};
    for (int k = 0; k < 3; k++) {
        for (unsigned th = 1; th <= 2; th++) {   /* any thread count, same result */
            ck_assert_int_eq(tznr_linker_set_threads(lk, th), TZNR_OK);
            tznr_link_result_t *res;
            ck_assert_msg(tznr_link_two(&res, lk, a, bs[k]) == TZNR_OK, "%s", tznr_last_error_message());
            if (!want[k]) {
                ck_assert_uint_eq(tznr_link_result_count(res), 0);
            } else {
                ck_assert_uint_eq(tznr_link_result_count(res), 1);
                uint64_t ar, br;
                double p, w, lhat, m[9], u[9];
                ck_assert_int_eq(tznr_link_result_get(res, 0, &ar, &br, &p, &w), TZNR_OK);
                ck_assert_uint_eq(ar, 0);
                ck_assert_str_eq(tznr_container_id(bs[k], br, NULL), want[k]);
                ck_assert_int_eq(tznr_fs_model_get_params(tznr_link_result_model(res), &lhat, m, u), TZNR_OK);
                ck_assert_double_eq_tol(m[2], 0.005, 1e-15);   /* kept fixed */
                ck_assert_double_eq_tol(u[0], 0.01, 1e-15);
                ck_assert_double_eq_tol(w - log2(lhat / (1 - lhat)), w_nom0 + 2 * w_pre0 + w_sex0, 1e-9);
                ck_assert(p > 0.5);
            }
            tznr_link_result_free(res);
        }
    }
    tznr_container_free(b3);
    tznr_container_free(b23);
    tznr_linker_free(lk);
    tznr_container_free(am);
    tznr_container_free(b);
    tznr_container_free(a);
    tznr_fs_model_free(md);
}
END_TEST

/* Schema rules of linkage groups: each error names the JSON path and the rule. */
static void group_schema_error(const char *f1_linkage, const char *f2_extra, const char *path,
                               const char *rule)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"version\": 3, \"clkConfig\": {\"l\": 256}, \"features\": ["
             "{\"identifier\": \"id\", \"ignored\": true},"
             "{\"identifier\": \"n1\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
             " {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": %s},"
             "{\"identifier\": \"n2\", %s},"
             "{\"identifier\": \"other\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
             " {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}}]}",
             f1_linkage, f2_extra);
    tznr_schema_t *s = NULL;
    tznr_error_t rc = tznr_schema_new_from_json(&s, json, strlen(json));
    if (!path) {
        ck_assert_msg(rc == TZNR_OK, "%s: %s", json, tznr_last_error_message());
        tznr_schema_free(s);
        return;
    }
    ck_assert_msg(rc == TZNR_ESCHEMA, "accepted: %s", json);
    ck_assert_ptr_null(s);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0 && strstr(msg, rule), "got: %s", msg);
}

#define N2(fmt, hashing, linkage)                                                               \
    "\"format\": " fmt ", \"hashing\": " hashing ", \"linkage\": " linkage
#define STR "{\"type\": \"string\"}"
#define HASH "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}"

START_TEST(group_schema_rules)
{
    /* valid: two members; group named like one of its members */
    group_schema_error("{\"group\": \"nom\"}", N2(STR, HASH, "{\"group\": \"nom\"}"), NULL, NULL);
    group_schema_error("{\"group\": \"n2\"}", N2(STR, HASH, "{\"group\": \"n2\"}"), NULL, NULL);
    /* a group of one (also what a misspelt group name gives) */
    group_schema_error("{\"group\": \"nom\"}", N2(STR, HASH, "{\"group\": \"nmo\"}"),
                       "features[1].linkage.group", "has only this member");
    group_schema_error("{\"group\": \"nom\"}", N2(STR, HASH, "{}"),
                       "features[1].linkage.group", "at least 2 compared features");
    /* members must compare alike */
    group_schema_error("{\"group\": \"nom\"}", N2(STR, HASH, "{\"group\": \"nom\", \"levels\": [1.0, 0.8]}"),
                       "features[2].linkage.levels", "must be the same as in features[1]");
    group_schema_error("{\"group\": \"nom\", \"levels\": [0.9]}", N2(STR, HASH, "{\"group\": \"nom\", \"levels\": [0.8]}"),
                       "features[2].linkage.levels", "first member of linkage group \"nom\"");
    group_schema_error("{\"group\": \"nom\"}",
                       N2(STR, "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 20}}",
                          "{\"group\": \"nom\"}"),
                       "features[2].hashing.strategy", "must be the same as in features[1]");
    group_schema_error("{\"group\": \"nom\"}",
                       N2(STR, "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerFeature\": 10}}",
                          "{\"group\": \"nom\"}"),
                       "features[2].hashing.strategy", "identical");
    group_schema_error("{\"group\": \"nom\"}",
                       N2(STR, "{\"comparison\": {\"type\": \"ngram\", \"n\": 3}, \"strategy\": {\"bitsPerToken\": 10}}",
                          "{\"group\": \"nom\"}"),
                       "features[2].hashing.comparison", "must be the same");
    group_schema_error("{\"group\": \"nom\"}",
                       N2(STR, "{\"comparison\": {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}, \"hash\": {\"type\": \"doubleHash\"}}",
                          "{\"group\": \"nom\"}"),
                       "features[2].hashing.hash", "must be the same");
    group_schema_error("{\"group\": \"nom\"}", N2("{\"type\": \"integer\"}", HASH, "{\"group\": \"nom\"}"),
                       "features[2].format", "must be the same");
    /* values of the key */
    group_schema_error("{\"group\": \"\"}", N2(STR, HASH, "{\"group\": \"\"}"),
                       "features[1].linkage.group", "must be a group name of 1 to 256 bytes (got \"\")");
    group_schema_error("{\"group\": 3}", N2(STR, HASH, "{}"),
                       "features[1].linkage.group", "expected a string (got 3)");
    group_schema_error("{\"group\": \"nom\", \"compare\": false}", N2(STR, HASH, "{\"group\": \"nom\"}"),
                       "features[1].linkage.group", "not allowed with \"compare\": false");
    group_schema_error("{\"group\": \"other\"}", N2(STR, HASH, "{\"group\": \"other\"}"),
                       "features[1].linkage.group", "is the identifier of features[3], which is not a member");
    group_schema_error("{\"group\": \"id\"}", N2(STR, HASH, "{\"group\": \"id\"}"),
                       "features[1].linkage.group", "is the identifier of features[0]");
    group_schema_error("{\"groups\": \"nom\"}", N2(STR, HASH, "{}"),
                       "features[1].linkage.groups", "unknown key");
}
END_TEST


/* A group over synthetic filters: tznr_link_compare against a direct computation (best Dice
 * over the cross pairs of non-empty members, levels [0.9, 0.6]), and the same links and
 * model for any thread count. */
static tznr_container_t *grouped_container(void)
{
    /* f0 and f1 form group "g"; f2, f3 stay single */
    char json[sizeof SCHEMA + 64];
    const char *at = strstr(SCHEMA, "\"f2\"");
    ck_assert_ptr_nonnull(at);
    size_t head = (size_t)(at - SCHEMA);
    char first[sizeof SCHEMA];
    memcpy(first, SCHEMA, head);
    first[head] = '\0';
    /* in the part before f2 (f0 and f1), "levels": [0.9, 0.6]} -> ..., "group": "g"} */
    char *o = json;
    const char *p = first, *q;
    while ((q = strstr(p, "[0.9, 0.6]}"))) {
        memcpy(o, p, (size_t)(q - p) + 10);
        o += (q - p) + 10;
        o += sprintf(o, ", \"group\": \"g\"}");
        p = q + 11;
    }
    o += sprintf(o, "%s%s", p, at);
    tznr_schema_t *s;
    ck_assert_msg(tznr_schema_new_from_json(&s, json, strlen(json)) == TZNR_OK, "%s: %s", json,
                  tznr_last_error_message());
    ck_assert_str_eq(tznr_schema_feature_group(s, 1), "g");
    ck_assert_str_eq(tznr_schema_feature_group(s, 2), "g");
    ck_assert_ptr_null(tznr_schema_feature_group(s, 3));
    ck_assert_ptr_null(tznr_schema_feature_group(s, 0));   /* ignored */
    tznr_container_t *c;
    ck_assert_int_eq(tznr_container_new(&c, s), TZNR_OK);
    tznr_schema_free(s);
    return c;
}

static double dice_bytes(const uint8_t *a, const uint8_t *b, int *missing)
{
    unsigned pa = 0, pb = 0, both = 0;
    for (size_t i = 0; i < FB; i++) {
        pa += (unsigned)__builtin_popcount(a[i]);
        pb += (unsigned)__builtin_popcount(b[i]);
        both += (unsigned)__builtin_popcount(a[i] & b[i]);
    }
    *missing = !pa || !pb;
    return *missing ? 0 : 2.0 * both / (pa + pb);
}

START_TEST(group_synthetic_direct_and_threads)
{
    tznr_container_t *a = grouped_container(), *b = grouped_container();
    ck_assert_uint_eq(tznr_link_column_count(a), 3);
    ck_assert_str_eq(tznr_link_column_name(a, 0), "g");
    enum { N = 120 };
    uint8_t fa[N][NF * FB], fb[N][NF * FB];
    for (size_t e = 0; e < N; e++) {
        entity_fields(fa[e], e, 0);
        /* B: the same entity with noise, its two group members swapped for a third of the
         * records, a member emptied on either side for some */
        entity_fields(fb[e], e % 3 == 2 ? e + 1000 : e, 6);
        if (e % 3 == 0) {
            uint8_t t[FB];
            memcpy(t, fb[e], FB);
            memcpy(fb[e], fb[e] + FB, FB);
            memcpy(fb[e] + FB, t, FB);
        }
        if (e % 5 == 1)
            memset(fa[e] + FB, 0, FB);
        if (e % 7 == 3)
            memset(fb[e], 0, FB);
        if (e % 11 == 4)
            memset(fa[e], 0, 2 * FB);   /* no member at all: missing */
        char id[16];
        snprintf(id, sizeof id, "a%zu", e);
        append(a, id, fa[e]);
        snprintf(id, sizeof id, "b%zu", e);
        append(b, id, fb[e]);
    }
    static const double thr[2] = {0.9, 0.6};
    size_t missing_seen = 0, swapped_agree = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j += 7) {
            uint8_t g[3];
            ck_assert_int_eq(tznr_link_compare(g, a, i, b, j), TZNR_OK);
            double best = -1;
            for (int x = 0; x < 2; x++)
                for (int y = 0; y < 2; y++) {
                    int miss;
                    double d = dice_bytes(fa[i] + x * FB, fb[j] + y * FB, &miss);
                    if (!miss && d > best)
                        best = d;
                }
            unsigned want = best < 0 ? TZNR_FS_MISSING : best >= thr[0] ? 0 : best >= thr[1] ? 1 : 2;
            ck_assert_msg(g[0] == want, "a%zu b%zu: level %u, expected %u (best Dice %g)", i, j,
                          g[0], want, best);
            for (int f = 2; f < 4; f++) {   /* single fields: columns 1 and 2 */
                int miss;
                double d = dice_bytes(fa[i] + f * FB, fb[j] + f * FB, &miss);
                unsigned w1 = miss ? TZNR_FS_MISSING : d >= thr[0] ? 0 : d >= thr[1] ? 1 : 2;
                ck_assert_uint_eq(g[f - 1], w1);
            }
            missing_seen += g[0] == TZNR_FS_MISSING;
            swapped_agree += i == j && i % 3 == 0 && g[0] == 0;
        }
    ck_assert_uint_gt(missing_seen, 0);
    ck_assert_uint_gt(swapped_agree, 0);

    /* the same links, weights and parameters with 1 and 3 threads */
    tznr_linker_t *lk;
    ck_assert_int_eq(tznr_linker_new(&lk), TZNR_OK);
    tznr_link_result_t *res[2];
    for (int t = 0; t < 2; t++) {
        ck_assert_int_eq(tznr_linker_set_threads(lk, t ? 3 : 1), TZNR_OK);
        ck_assert_msg(tznr_link_two(&res[t], lk, a, b) == TZNR_OK, "%s", tznr_last_error_message());
    }
    ck_assert_uint_gt(tznr_link_result_count(res[0]), N / 2);
    ck_assert_uint_eq(tznr_link_result_count(res[0]), tznr_link_result_count(res[1]));
    for (size_t k = 0; k < tznr_link_result_count(res[0]); k++) {
        uint64_t a0, b0, a1, b1;
        double p0, w0, p1, w1;
        ck_assert_int_eq(tznr_link_result_get(res[0], k, &a0, &b0, &p0, &w0), TZNR_OK);
        ck_assert_int_eq(tznr_link_result_get(res[1], k, &a1, &b1, &p1, &w1), TZNR_OK);
        ck_assert(a0 == a1 && b0 == b1 && p0 == p1 && w0 == w1);
    }
    double l0, l1, m0[10], m1[10];
    ck_assert_int_eq(tznr_fs_model_get_params(tznr_link_result_model(res[0]), &l0, m0, NULL), TZNR_OK);
    ck_assert_int_eq(tznr_fs_model_get_params(tznr_link_result_model(res[1]), &l1, m1, NULL), TZNR_OK);
    ck_assert(l0 == l1 && memcmp(m0, m1, 9 * sizeof *m0) == 0);
    ck_assert_uint_eq(tznr_fs_model_fields(tznr_link_result_model(res[0])), 3);
    tznr_link_result_free(res[0]);
    tznr_link_result_free(res[1]);
    tznr_linker_free(lk);
    tznr_container_free(b);
    tznr_container_free(a);
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
    tcase_add_test(tc, c27_group_comparison_levels);
    tcase_add_test(tc, c27_without_group_the_fault);
    tcase_add_test(tc, c27_fixed_model_weights);
    tcase_add_test(tc, group_schema_rules);
    tcase_add_test(tc, group_synthetic_direct_and_threads);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
