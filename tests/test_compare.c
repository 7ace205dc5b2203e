/* Dice, popcount, exhaustive search, top-k and greedy: hand-computed values, cases C08, C11,
 * C12, and the scalar reference (brute force) on random filters, thresholds included that
 * equal an attained score. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

/* bit string "0101..." (bit 0 leftmost = clkhash order: bit p is 0x80 >> p%8 of byte p/8) */
static size_t parse_bits(uint8_t *out, const char *s)
{
    size_t n = 0;
    for (; s[n] == '0' || s[n] == '1'; n++) {
        if (n % 8 == 0)
            out[n / 8] = 0;
        if (s[n] == '1')
            out[n / 8] |= (uint8_t)(0x80u >> (n % 8));
    }
    return n / 8;
}

/* reads "NAME=bits" lines of a case file into filters[] (in file order) */
static size_t read_bitfile(const char *rel, uint8_t filters[][128], size_t max, size_t *len)
{
    char *text = tt_read(tt_data(rel), NULL), *save = NULL;
    size_t n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq || n == max)
            continue;
        *len = parse_bits(filters[n++], eq + 1);
    }
    free(text);
    return n;
}

START_TEST(dice_hand_values)
{
    uint8_t a[8] = {0xF0}, b[8] = {0xC0}, z[8] = {0};
    double d;
    uint64_t pc;
    ck_assert_int_eq(tznr_filter_popcount(&pc, a, 8), TZNR_OK);
    ck_assert_uint_eq(pc, 4);
    ck_assert_int_eq(tznr_filter_dice(&d, a, b, 8), TZNR_OK);
    ck_assert(d == 2.0 * 2 / 6);             /* |a&b| = 2, |a| = 4, |b| = 2 */
    ck_assert_int_eq(tznr_filter_dice(&d, a, a, 8), TZNR_OK);
    ck_assert(d == 1.0);
    ck_assert_int_eq(tznr_filter_dice(&d, a, z, 8), TZNR_OK);
    ck_assert(d == 0.0);
    ck_assert_int_eq(tznr_filter_dice(&d, a, b, 7), TZNR_EINVAL);
    ck_assert_int_eq(tznr_filter_dice(&d, a, b, 0), TZNR_EINVAL);
    ck_assert_int_eq(tznr_filter_dice(NULL, a, b, 8), TZNR_EINVAL);
}
END_TEST

/* C08: two all-zero filters, and zero vs one bit, score 0.0 through every entry point; with
 * a threshold > 0 neither pair is a candidate. */
START_TEST(c08_empty_filters)
{
    uint8_t f[4][128];
    size_t len = 0;
    size_t n = read_bitfile("cases/C08/pairs.txt", f, 4, &len);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(len, 128);
    for (size_t p = 0; p < 2; p++) {
        double d = -1;
        ck_assert_int_eq(tznr_filter_dice(&d, f[2 * p], f[2 * p + 1], len), TZNR_OK);
        ck_assert(d == 0.0);
        uint64_t id;
        double sc;
        size_t cnt = 9;
        ck_assert_int_eq(tznr_filter_topk(&id, &sc, &cnt, f[2 * p], f[2 * p + 1], NULL, 1, len, 0.0, 1), TZNR_OK);
        ck_assert_uint_eq(cnt, 1);
        ck_assert(sc == 0.0);
        ck_assert_int_eq(tznr_filter_topk(&id, &sc, &cnt, f[2 * p], f[2 * p + 1], NULL, 1, len, 0.1, 1), TZNR_OK);
        ck_assert_uint_eq(cnt, 0);
        tznr_clkset_t *a, *b;
        ck_assert_int_eq(tznr_clkset_new(&a, len * 8), TZNR_OK);
        ck_assert_int_eq(tznr_clkset_new(&b, len * 8), TZNR_OK);
        ck_assert_int_eq(tznr_clkset_append(a, f[2 * p], len), TZNR_OK);
        ck_assert_int_eq(tznr_clkset_append(b, f[2 * p + 1], len), TZNR_OK);
        tznr_candidates_t *c;
        ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, 0.0), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(c), 1);
        ck_assert_int_eq(tznr_candidates_get(c, 0, NULL, NULL, &sc), TZNR_OK);
        ck_assert(sc == 0.0);
        tznr_candidates_free(c);
        ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, 1e-9), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(c), 0);
        tznr_candidates_free(c);
        tznr_clkset_free(a);
        tznr_clkset_free(b);
    }
}
END_TEST

/* C11: Q vs C0..C3: Dice 0.75, 0.75, 0.75, 0.625 (hand count: |Q|=8, |Ci|=8, |Q&Ci|=6 for
 * i<3, 5 for C3). k=2 -> C0, C1 whatever the order of the candidates; k=4 -> C0..C3. */
START_TEST(c11_topk_ties)
{
    uint8_t f[5][128];
    size_t len = 0;
    ck_assert_uint_eq(read_bitfile("cases/C11/filters.txt", f, 5, &len), 5);
    ck_assert_uint_eq(len, 8);
    uint8_t fwd[32], rev[32];
    uint64_t ids_fwd[4] = {0, 1, 2, 3}, ids_rev[4] = {3, 2, 1, 0};
    for (int i = 0; i < 4; i++) {
        memcpy(fwd + 8 * i, f[1 + i], 8);
        memcpy(rev + 8 * i, f[4 - i], 8);
    }
    for (int run = 0; run < 100; run++) {
        for (int order = 0; order < 2; order++) {
            uint64_t id[4];
            double sc[4];
            size_t cnt;
            const uint8_t *fl = order ? rev : fwd;
            const uint64_t *ids = order ? ids_rev : ids_fwd;
            ck_assert_int_eq(tznr_filter_topk(id, sc, &cnt, f[0], fl, ids, 4, 8, 0.5, 2), TZNR_OK);
            ck_assert_uint_eq(cnt, 2);
            ck_assert_uint_eq(id[0], 0);
            ck_assert_uint_eq(id[1], 1);
            ck_assert(sc[0] == 0.75 && sc[1] == 0.75);
            ck_assert_int_eq(tznr_filter_topk(id, sc, &cnt, f[0], fl, ids, 4, 8, 0.5, 4), TZNR_OK);
            ck_assert_uint_eq(cnt, 4);
            for (uint64_t i = 0; i < 4; i++)
                ck_assert_uint_eq(id[i], i);
            ck_assert(sc[3] == 0.625);
        }
    }
}
END_TEST

/* C12: greedy in global score order: A1-B0 (0.95) and A0-B1 (0.70), never A0-B0, for both
 * input orders of the candidate file. */
START_TEST(c12_greedy_global_order)
{
    static const char *files[] = {"cases/C12/candidates.csv", "cases/C12/candidates_shuffled.csv"};
    for (int f = 0; f < 2; f++) {
        char *text = tt_read(tt_data(files[f]), NULL), *save = NULL;
        tznr_candidates_t *c, *g;
        ck_assert_int_eq(tznr_candidates_new(&c), TZNR_OK);
        strtok_r(text, "\n", &save);   /* header */
        for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            unsigned a, b;
            double s;
            ck_assert_int_eq(sscanf(line, "A%u,B%u,%lf", &a, &b, &s), 3);
            ck_assert_int_eq(tznr_candidates_add(c, a, b, s), TZNR_OK);
        }
        free(text);
        ck_assert_int_eq(tznr_solve_greedy(&g, c), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(g), 2);
        uint64_t a, b;
        double s;
        ck_assert_int_eq(tznr_candidates_get(g, 0, &a, &b, &s), TZNR_OK);
        ck_assert(a == 1 && b == 0 && s == 0.95);
        ck_assert_int_eq(tznr_candidates_get(g, 1, &a, &b, &s), TZNR_OK);
        ck_assert(a == 0 && b == 1 && s == 0.70);
        tznr_candidates_free(g);
        tznr_candidates_free(c);
    }
}
END_TEST

START_TEST(candidates_validation)
{
    tznr_candidates_t *c;
    ck_assert_int_eq(tznr_candidates_new(&c), TZNR_OK);
    ck_assert_int_eq(tznr_candidates_add(c, 0, 0, 1.5), TZNR_EINVAL);
    ck_assert_int_eq(tznr_candidates_add(c, 0, 0, -0.1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_candidates_add(c, 0, 0, 0.0 / 0.0), TZNR_EINVAL);
    ck_assert_int_eq(tznr_candidates_get(c, 0, NULL, NULL, NULL), TZNR_EINVAL);
    tznr_candidates_free(c);
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_new(&a, 64), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, 128), TZNR_OK);
    ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, 0.5), TZNR_EBUFSIZE);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(tznr_match_all_pairs(&c, a, a, 1.01), TZNR_EINVAL);
    ck_assert_int_eq(tznr_match_all_pairs(&c, a, a, 0.0 / 0.0), TZNR_EINVAL);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* xorshift, for reproducible random filters */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Exhaustive search == brute force over every pair, at thresholds that are attained scores
 * (the boundary case of the popcount bound), for several filter lengths. */
START_TEST(all_pairs_equals_brute_force)
{
    static const size_t bits_list[] = {64, 512, 1024, 2048, 192};
    const size_t bits = bits_list[_i], len = bits / 8, na = 120, nb = 90;
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, bits), TZNR_OK);
    uint8_t *f = malloc(len), *base = malloc(len);
    for (size_t i = 0; i < na + nb; i++) {
        if (i % 3 == 0)
            for (size_t w = 0; w < len; w++)
                base[w] = (uint8_t)(next() & next());   /* ~25 % density */
        for (size_t w = 0; w < len; w++)
            f[w] = base[w] ^ (uint8_t)((next() & next() & next() & next()) & 0xFF);  /* noise */
        if (i == 5)
            memset(f, 0, len);   /* an empty filter */
        ck_assert_int_eq(tznr_clkset_append(i < na ? a : b, f, len), TZNR_OK);
    }
    double *all = malloc(na * nb * sizeof *all);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            ck_assert_int_eq(tznr_filter_dice(&all[i * nb + j], tznr_clkset_get(a, i), tznr_clkset_get(b, j), len), TZNR_OK);
    double thresholds[6] = {0.0, 0.3, 0.5, 0.8, all[7 * nb + 3], 1.0};
    for (int t = 0; t < 6; t++) {
        tznr_candidates_t *c;
        ck_assert_int_eq(tznr_match_all_pairs(&c, a, b, thresholds[t]), TZNR_OK);
        size_t k = 0;
        /* expected: every pair >= t, in (score desc, a, b) order: check membership + order */
        size_t want = 0;
        for (size_t x = 0; x < na * nb; x++)
            want += all[x] >= thresholds[t];
        ck_assert_uint_eq(tznr_candidates_count(c), want);
        double prev = 2.0;
        uint64_t pa = 0, pb = 0;
        for (k = 0; k < tznr_candidates_count(c); k++) {
            uint64_t x, y;
            double s;
            ck_assert_int_eq(tznr_candidates_get(c, k, &x, &y, &s), TZNR_OK);
            ck_assert(s == all[x * nb + y]);
            ck_assert(s >= thresholds[t]);
            ck_assert(s < prev || (s == prev && (x > pa || (x == pa && y > pb))));
            prev = s;
            pa = x;
            pb = y;
        }
        tznr_candidates_free(c);
    }
    free(all);
    free(f);
    free(base);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("dice");
    tcase_add_test(tc, dice_hand_values);
    tcase_add_test(tc, c08_empty_filters);
    tcase_add_test(tc, c11_topk_ties);
    tcase_add_test(tc, c12_greedy_global_order);
    tcase_add_test(tc, candidates_validation);
    tcase_add_loop_test(tc, all_pairs_equals_brute_force, 0, 5);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
