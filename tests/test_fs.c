/* Fellegi–Sunter EM: cases C16 (0/1 starting values), C18 (prior from a rule), C19 (honest
 * convergence status), C21 (a single-valued column), against the reference values written
 * in each case's expected.txt (computed by an independent reference EM). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tznr_test.h"
#include "tznr/fs.h"

/* Reads "f1,f2,...,count" lines (1 = agree -> level 0, 0 = disagree -> level 1). */
static tznr_fs_patterns_t *read_binary_counts(const char *rel, size_t nf)
{
    char *text = tt_read(tt_data(rel), NULL), *save = NULL;
    tznr_fs_patterns_t *p;
    ck_assert_int_eq(tznr_fs_patterns_new(&p, nf), TZNR_OK);
    strtok_r(text, "\n", &save);
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        uint8_t g[8];
        char *q = line;
        for (size_t f = 0; f < nf; f++) {
            g[f] = strtol(q, &q, 10) == 1 ? 0 : 1;
            ck_assert_int_eq(*q, ',');
            q++;
        }
        ck_assert_int_eq(tznr_fs_patterns_add(p, g, strtoull(q, NULL, 10)), TZNR_OK);
    }
    free(text);
    return p;
}

static tznr_fs_model_t *binary_model(size_t nf)
{
    uint8_t levels[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    tznr_fs_model_t *m;
    ck_assert_int_eq(tznr_fs_model_new(&m, nf, levels), TZNR_OK);
    return m;
}

/* init: lambda, then per field m_agree, u_agree */
static tznr_error_t set_binary(tznr_fs_model_t *md, double lambda, const double *m_agree,
                               const double *u_agree, size_t nf)
{
    double m[16], u[16];
    for (size_t f = 0; f < nf; f++) {
        m[2 * f] = m_agree[f];
        m[2 * f + 1] = 1 - m_agree[f];
        u[2 * f] = u_agree[f];
        u[2 * f + 1] = 1 - u_agree[f];
    }
    return tznr_fs_model_set_params(md, lambda, m, u);
}

START_TEST(c16_zero_start_rejected_and_mle_reached)
{
    tznr_fs_patterns_t *p = read_binary_counts("cases/C16/gamma_counts.csv", 3);
    ck_assert_uint_eq(tznr_fs_patterns_total(p), 10002);
    ck_assert_uint_eq(tznr_fs_patterns_distinct(p), 8);
    tznr_fs_model_t *md = binary_model(3);
    const double m0[3] = {0.9, 0.9, 0.9}, ubad[3] = {0.0, 0.1, 0.1}, ugood[3] = {0.05, 0.1, 0.1};
    /* (a): exactly 0 is rejected with a clear error naming the field */
    ck_assert_int_eq(set_binary(md, 0.05, m0, ubad, 3), TZNR_EINVAL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "u for field 0 level 0 is 0"));
    ck_assert_int_eq(set_binary(md, 0.05, m0, ugood, 3), TZNR_OK);
    unsigned it;
    double change;
    int conv;
    ck_assert_int_eq(tznr_fs_em(md, p, 500, 1e-10, &it, &change, &conv), TZNR_OK);
    ck_assert_int_eq(conv, 1);
    double lambda, m[6], u[6];
    ck_assert_int_eq(tznr_fs_model_get_params(md, &lambda, m, u), TZNR_OK);
    /* expected.txt: lambda ~ 0.0101, m ~ (0.946, 0.899, 0.848), u ~ (0.0200, 0.0100, 0.0500) */
    ck_assert_double_eq_tol(lambda, 0.0101, 0.002);
    ck_assert_double_eq_tol(m[0], 0.946, 0.01);
    ck_assert_double_eq_tol(m[2], 0.899, 0.01);
    ck_assert_double_eq_tol(m[4], 0.848, 0.01);
    ck_assert_double_eq_tol(u[0], 0.0200, 0.002);
    ck_assert_double_eq_tol(u[2], 0.0100, 0.002);
    ck_assert_double_eq_tol(u[4], 0.0500, 0.002);
    for (size_t f = 0; f < 3; f++)
        for (uint8_t l = 0; l < 2; l++) {
            double w;
            ck_assert_int_eq(tznr_fs_level_weight(&w, md, f, l), TZNR_OK);
            ck_assert(isfinite(w));
        }
    tznr_fs_model_free(md);
    tznr_fs_patterns_free(p);
}
END_TEST

START_TEST(c19_convergence_reported_truthfully)
{
    tznr_fs_patterns_t *p = read_binary_counts("cases/C19/gamma_counts.csv", 3);
    const double m0[3] = {0.9, 0.9, 0.9}, u0[3] = {0.05, 0.1, 0.1};
    tznr_fs_model_t *md = binary_model(3);
    ck_assert_int_eq(set_binary(md, 0.05, m0, u0, 3), TZNR_OK);
    unsigned it;
    double change;
    int conv;
    ck_assert_int_eq(tznr_fs_em(md, p, 1, 1e-4, &it, &change, &conv), TZNR_OK);
    ck_assert_int_eq(conv, 0);
    ck_assert_uint_eq(it, 1);
    ck_assert_msg(change > 0.05 && change < 0.1 + 1e-9, "largest change %g, expected.txt says 0.05-0.1", change);
    ck_assert_int_eq(set_binary(md, 0.05, m0, u0, 3), TZNR_OK);
    ck_assert_int_eq(tznr_fs_em(md, p, 200, 1e-4, &it, &change, &conv), TZNR_OK);
    ck_assert_int_eq(conv, 1);
    ck_assert_uint_lt(it, 50);
    ck_assert(change < 1e-4);
    double lambda, m[6], u[6];
    ck_assert_int_eq(tznr_fs_model_get_params(md, &lambda, m, u), TZNR_OK);
    ck_assert_double_eq_tol(lambda, 0.0101, 0.002);
    ck_assert_double_eq_tol(u[0], 0.020, 0.002);
    ck_assert_double_eq_tol(u[2], 0.010, 0.002);
    ck_assert_double_eq_tol(u[4], 0.050, 0.002);
    tznr_fs_model_free(md);
    tznr_fs_patterns_free(p);
}
END_TEST

START_TEST(c21_single_valued_column)
{
    tznr_fs_patterns_t *p = read_binary_counts("cases/C21/vectors.csv", 4);
    tznr_fs_model_t *md = binary_model(4);
    unsigned it;
    double change;
    int conv;
    ck_assert_int_eq(tznr_fs_em(md, p, 1000, 1e-8, &it, &change, &conv), TZNR_OK);
    ck_assert_int_eq(conv, 1);
    /* sex (field 3) always agrees: reported uninformative, weight ~ 0 */
    ck_assert_int_eq(tznr_fs_model_field_informative(md, 3), 0);
    for (size_t f = 0; f < 3; f++)
        ck_assert_int_eq(tznr_fs_model_field_informative(md, f), 1);
    double w;
    ck_assert_int_eq(tznr_fs_level_weight(&w, md, 3, 0), TZNR_OK);
    ck_assert_double_eq_tol(w, 0.0, 1e-3);
    ck_assert_int_eq(tznr_fs_level_weight(&w, md, 3, 1), TZNR_OK);
    ck_assert(isfinite(w));
    double m[8], u[8];
    ck_assert_int_eq(tznr_fs_model_get_params(md, NULL, m, u), TZNR_OK);
    for (size_t f = 0; f < 3; f++)
        ck_assert_msg(m[2 * f] > u[2 * f], "field %zu: m_agree %g <= u_agree %g", f, m[2 * f], u[2 * f]);
    const uint8_t all_agree[4] = {0, 0, 0, 0};
    double prob;
    ck_assert_int_eq(tznr_fs_score(&w, &prob, NULL, md, all_agree), TZNR_OK);
    ck_assert(isfinite(w));
    ck_assert_msg(prob > 0.5, "all-agree pattern probability %g", prob);
    tznr_fs_model_free(md);
    tznr_fs_patterns_free(p);
}
END_TEST

/* C18: 200 records all named Solène: the rule matches all 19,900 pairs; recall 0.7 gives
 * 1.43 > 1: a clear error with the minimum consistent recall (1); zero pairs -> error. */
START_TEST(c18_prior_from_rule)
{
    /* count the pairs from the case file: every record has the same given name */
    char *text = tt_read(tt_data("cases/C18/records.csv"), NULL);
    uint64_t n = 0;
    for (char *q = strchr(text, '\n'); q && q[1]; q = strchr(q + 1, '\n'))
        n++;
    free(text);
    ck_assert_uint_eq(n, 200);
    uint64_t pairs = n * (n - 1) / 2, rule = pairs;
    double prior;
    ck_assert_int_eq(tznr_fs_prior_from_rule(&prior, rule, 0.7, pairs), TZNR_EINVAL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "1.429"));
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "at least 1"));
    ck_assert_int_eq(tznr_fs_prior_from_rule(&prior, 0, 0.7, pairs), TZNR_EINVAL);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "matched no pair"));
    ck_assert_int_eq(tznr_fs_prior_from_rule(&prior, 199, 0.5, pairs), TZNR_OK);
    ck_assert_double_eq_tol(prior, 199.0 / 0.5 / 19900.0, 1e-15);
}
END_TEST

/* C15: pair counts beyond 32 bits stay exact and positive (expected values from the case's
 * counts.json); a total past 2^64 is a clear error, never a wrap-around. */
START_TEST(c15_counts_are_64_bit)
{
    const uint64_t link = UINT64_C(3000000) * UINT64_C(1500000);
    ck_assert_uint_eq(link, UINT64_C(4500000000000));
    const uint64_t d100k = UINT64_C(100000) * 99999 / 2, d70k = UINT64_C(70000) * 69999 / 2,
                   b80k = UINT64_C(80000) * 79999 / 2;
    ck_assert_uint_eq(d100k, UINT64_C(4999950000));
    ck_assert_uint_eq(d70k, UINT64_C(2449965000));
    ck_assert_uint_eq(b80k, UINT64_C(3199960000));
    double prior;
    ck_assert_int_eq(tznr_fs_prior_from_rule(&prior, UINT64_C(1400000), 0.9, link), TZNR_OK);
    ck_assert(prior > 0 && prior < 1);
    ck_assert_double_eq_tol(prior, 1400000.0 / 0.9 / 4.5e12, 1e-18);
    ck_assert_int_eq(tznr_fs_prior_from_rule(&prior, d70k / 2, 0.7, d70k), TZNR_OK);
    ck_assert(prior > 0 && prior < 1);
    /* pattern counts: a total beyond 2^64 - 1 is refused */
    tznr_fs_patterns_t *p;
    ck_assert_int_eq(tznr_fs_patterns_new(&p, 1), TZNR_OK);
    const uint8_t g0[1] = {0}, g1[1] = {1};
    ck_assert_int_eq(tznr_fs_patterns_add(p, g0, link), TZNR_OK);
    ck_assert_int_eq(tznr_fs_patterns_add(p, g1, b80k), TZNR_OK);
    ck_assert_uint_eq(tznr_fs_patterns_total(p), link + b80k);
    ck_assert_int_eq(tznr_fs_patterns_add(p, g1, UINT64_MAX), TZNR_ELIMIT);
    ck_assert_uint_eq(tznr_fs_patterns_total(p), link + b80k);
    tznr_fs_patterns_free(p);
}
END_TEST

/* Hand calculation: lambda = 0.5, one binary field m = (0.8, 0.2), u = (0.1, 0.9):
 * agree -> weight log2(0.8/0.1) = 3 bits, probability 8/9; missing -> 0 bits, 1/2. */
START_TEST(score_hand_values)
{
    uint8_t L[1] = {2};
    tznr_fs_model_t *md;
    ck_assert_int_eq(tznr_fs_model_new(&md, 1, L), TZNR_OK);
    const double m[2] = {0.8, 0.2}, u[2] = {0.1, 0.9};
    ck_assert_int_eq(tznr_fs_model_set_params(md, 0.5, m, u), TZNR_OK);
    uint8_t g[1] = {0};
    double w, p, c;
    ck_assert_int_eq(tznr_fs_score(&w, &p, &c, md, g), TZNR_OK);
    ck_assert_double_eq_tol(w, 3.0, 1e-12);
    ck_assert_double_eq_tol(p, 8.0 / 9.0, 1e-12);
    g[0] = TZNR_FS_MISSING;
    ck_assert_int_eq(tznr_fs_score(&w, &p, &c, md, g), TZNR_OK);
    ck_assert_double_eq_tol(w, 0.0, 1e-12);
    ck_assert_double_eq_tol(p, 0.5, 1e-12);
    g[0] = 2;
    ck_assert_int_eq(tznr_fs_score(&w, &p, NULL, md, g), TZNR_EINVAL);
    const double bad[2] = {0.5, 0.6};
    ck_assert_int_eq(tznr_fs_model_set_params(md, 0.5, bad, NULL), TZNR_EINVAL);
    ck_assert_int_eq(tznr_fs_model_set_params(md, 1.0, NULL, NULL), TZNR_EINVAL);
    tznr_fs_model_free(md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fs");
    TCase *tc = tcase_create("em");
    tcase_add_test(tc, c16_zero_start_rejected_and_mle_reached);
    tcase_add_test(tc, c19_convergence_reported_truthfully);
    tcase_add_test(tc, c21_single_valued_column);
    tcase_add_test(tc, c18_prior_from_rule);
    tcase_add_test(tc, score_hand_values);
    tcase_add_test(tc, c15_counts_are_64_bit);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
