/* LSH blocking (block.h): the documented sampling formula recomputed here with xxHash, the
 * probabilities by hand, the search against exhaustive search restricted to the pairs that
 * share a key (keys recomputed here from the positions), identical output for every kernel
 * and thread count, pairs of Dice 1.0 always found, and the predicted candidate probability
 * against the measured one on synthetic pairs of known Hamming distance; case C14: huge
 * buckets streamed in bounded chunks, the same for every thread count, and max_pairs. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

#define CHECK(c)                                                                             \
    do {                                                                                     \
        if (!(c))                                                                            \
            ck_abort_msg("line %d: check failed: %s", __LINE__, #c);                         \
    } while (0)

static const char *const KERNELS[] = {"scalar", "avx2", "avx512"};
static const unsigned THREADS[] = {1, 2, 3, 8};
#define N_KERNELS (sizeof KERNELS / sizeof KERNELS[0])
#define N_THREADS (sizeof THREADS / sizeof THREADS[0])

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int get_bit(const uint8_t *f, uint32_t p) { return (f[p / 8] >> (7 - p % 8)) & 1; }
static void flip_bit(uint8_t *f, uint32_t p) { f[p / 8] ^= (uint8_t)(0x80u >> (p % 8)); }

typedef struct stream {
    tznr_pair_t *v;
    size_t n, cap, chunks;
} stream;

static int stream_sink(const tznr_pair_t *p, size_t n, void *user)
{
    stream *s = user;
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        CHECK(s->v != NULL);
    }
    memcpy(s->v + s->n, p, n * sizeof *p);
    s->n += n;
    s->chunks++;
    return 0;
}

/* ------------------------------------------------------------------------------------ */

START_TEST(index_parameters_and_sampling_formula)
{
    tznr_lsh_t *l;
    ck_assert_int_eq(tznr_lsh_new(NULL, 1024, 8, 4, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_new(&l, 1000, 8, 4, 1), TZNR_EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_int_eq(tznr_lsh_new(&l, 0, 8, 4, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_new(&l, 1024, 0, 4, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_new(&l, 1024, 65, 4, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_new(&l, 1024, 8, 0, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_new(&l, 1024, 8, TZNR_LSH_MAX_TABLES + 1, 1), TZNR_EINVAL);
    /* the default seed is "tznr-lsh" read big-endian */
    const char *text = "tznr-lsh";
    uint64_t seed = 0;
    for (int i = 0; i < 8; i++)
        seed = seed << 8 | (uint8_t)text[i];
    ck_assert_uint_eq(seed, TZNR_LSH_DEFAULT_SEED);

    static const size_t bits_list[] = {64, 1024, 1088};
    for (size_t bi = 0; bi < 3; bi++) {
        const size_t bits = bits_list[bi];
        const unsigned k = 20, tables = 7;
        ck_assert_int_eq(tznr_lsh_new(&l, bits, k, tables, TZNR_LSH_DEFAULT_SEED), TZNR_OK);
        ck_assert_uint_eq(tznr_lsh_k(l), k);
        ck_assert_uint_eq(tznr_lsh_tables(l), tables);
        ck_assert_uint_eq(tznr_lsh_seed(l), TZNR_LSH_DEFAULT_SEED);
        ck_assert_uint_eq(tznr_lsh_filter_bits(l), bits);
        for (unsigned t = 0; t < tables; t++)
            for (unsigned i = 0; i < k; i++) {
                /* documented: ((XXH3_64bits_withSeed(le64(t*K + i), seed) >> 32) * L) >> 32 */
                uint64_t ctr = (uint64_t)t * k + i;
                uint8_t le[8];
                for (int x = 0; x < 8; x++)
                    le[x] = (uint8_t)(ctr >> (8 * x));
                uint64_t h = XXH3_64bits_withSeed(le, 8, TZNR_LSH_DEFAULT_SEED);
                uint32_t want = (uint32_t)(((h >> 32) * bits) >> 32), got;
                ck_assert_int_eq(tznr_lsh_position(&got, l, t, i), TZNR_OK);
                ck_assert_uint_eq(got, want);
                ck_assert_uint_lt(got, bits);
            }
        uint32_t p;
        ck_assert_int_eq(tznr_lsh_position(&p, l, tables, 0), TZNR_EINVAL);
        ck_assert_int_eq(tznr_lsh_position(&p, l, 0, k), TZNR_EINVAL);
        ck_assert_int_eq(tznr_lsh_position(NULL, l, 0, 0), TZNR_EINVAL);
        tznr_lsh_free(l);
    }
    tznr_lsh_free(NULL);
    ck_assert_uint_eq(tznr_lsh_k(NULL), 0);
}
END_TEST

START_TEST(probabilities_by_hand)
{
    ck_assert(tznr_lsh_candidate_probability(0.5, 1, 1) == 0.5);
    /* 1 - (1 - 0.25)^2 = 0.4375 */
    ck_assert(fabs(tznr_lsh_candidate_probability(0.5, 2, 2) - 0.4375) < 1e-15);
    /* 1 - (1 - 0.9^3)^4 = 1 - 0.271^4 = 0.994606... */
    ck_assert(fabs(tznr_lsh_candidate_probability(0.9, 3, 4) - (1 - 0.271 * 0.271 * 0.271 * 0.271)) < 1e-14);
    ck_assert(tznr_lsh_candidate_probability(1.0, 30, 1) == 1.0);
    ck_assert(tznr_lsh_candidate_probability(0.0, 3, 100) == 0.0);
    ck_assert(isnan(tznr_lsh_candidate_probability(1.5, 3, 4)));

    double p;
    /* t = 0.8, L = 1024, S = 800: at s = 800 the smallest c with 2c/800 >= 0.8 is 320, so
     * h = 800 - 640 = 160; smaller s give smaller h (s = 799: c = 320, h = 159), so
     * p_min = 1 - 160/1024 = 0.84375 */
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 0.8, 1024, 800), TZNR_OK);
    ck_assert(p == 0.84375);
    /* t = 1: only identical filters, h = 0 */
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 1.0, 1024, 2048), TZNR_OK);
    ck_assert(p == 1.0);
    /* t = 0: every pair counts, c = 0 gives h = s = 256, p = 1 - 256/1024 */
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 0.0, 1024, 256), TZNR_OK);
    ck_assert(p == 0.75);
    /* t = 0.5, S = 3: s = 3 -> c = 1 (2/3 >= 0.5), h = 1; s = 2 -> c = 1, h = 0; s = 1 ->
     * c must be <= 0: 0 < 0.5, no pair; so h_max = 1 */
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 0.5, 64, 3), TZNR_OK);
    ck_assert(p == 1.0 - 1.0 / 64);
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 1.2, 64, 3), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_agreement_bound(&p, 0.5, 64, 129), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_agreement_bound(NULL, 0.5, 64, 3), TZNR_EINVAL);
}
END_TEST

/* A: random filters (density ~0.4); B: noisy copies of A rows and fresh filters */
static void make_sets(tznr_clkset_t **a, tznr_clkset_t **b, size_t bits, size_t na, size_t nb)
{
    const size_t len = bits / 8;
    uint8_t *fa = malloc(na * len), *f = malloc(len);
    ck_assert_int_eq(tznr_clkset_new(a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(b, bits), TZNR_OK);
    for (size_t i = 0; i < na; i++) {
        for (size_t w = 0; w < len; w++)
            fa[i * len + w] = (uint8_t)((next() & next()) | (next() & next() & next()));
        ck_assert_int_eq(tznr_clkset_append(*a, fa + i * len, len), TZNR_OK);
    }
    for (size_t j = 0; j < nb; j++) {
        if (j % 3 != 2) {
            memcpy(f, fa + (next() % na) * len, len);
            for (uint64_t e = next() % (bits / 6 + 1); e > 0; e--)
                flip_bit(f, (uint32_t)(next() % bits));
        } else {
            for (size_t w = 0; w < len; w++)
                f[w] = (uint8_t)((next() & next()) | (next() & next() & next()));
        }
        ck_assert_int_eq(tznr_clkset_append(*b, f, len), TZNR_OK);
    }
    free(fa);
    free(f);
}

/* do the two filters agree on every position of some table? (recomputed from the positions
 * in the clkhash numbering) */
static int collide(const tznr_lsh_t *l, const uint8_t *x, const uint8_t *y)
{
    for (unsigned t = 0; t < tznr_lsh_tables(l); t++) {
        unsigned i;
        for (i = 0; i < tznr_lsh_k(l); i++) {
            uint32_t p;
            CHECK(tznr_lsh_position(&p, l, t, i) == TZNR_OK);
            if (get_bit(x, p) != get_bit(y, p))
                break;
        }
        if (i == tznr_lsh_k(l))
            return 1;
    }
    return 0;
}

/* LSH output == the exhaustive pairs that collide, with the same scores, for every kernel
 * and thread count, and the same stream each time */
static void check_lsh_vs_exhaustive(const tznr_clkset_t *a, const tznr_clkset_t *b,
                                    const tznr_lsh_t *l, double t)
{
    const size_t na = tznr_clkset_count(a), nb = tznr_clkset_count(b);
    const size_t len = tznr_clkset_filter_bits(a) / 8;
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = t;
    o.threads = 1;
    ck_assert_int_eq(tznr_cpu_set_kernel("scalar"), TZNR_OK);
    stream ex = {0};
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &ex), TZNR_OK);
    size_t want = 0;
    unsigned char *expect = calloc(na * nb, 1);
    double *score = calloc(na * nb, sizeof *score);
    for (size_t i = 0; i < ex.n; i++) {
        const tznr_pair_t *p = &ex.v[i];
        if (collide(l, tznr_clkset_get(a, p->a), tznr_clkset_get(b, p->b))) {
            expect[p->a * nb + p->b] = 1;
            score[p->a * nb + p->b] = p->score;
            want++;
        }
    }
    /* the exhaustive scores themselves are the reference's */
    for (size_t i = 0; i < ex.n; i += 1 + ex.n / 50) {
        double d;
        ck_assert_int_eq(tznr_filter_dice(&d, tznr_clkset_get(a, ex.v[i].a), tznr_clkset_get(b, ex.v[i].b), len), TZNR_OK);
        ck_assert(d == ex.v[i].score);
    }
    stream ref = {0};
    int have_ref = 0;
    for (size_t k = 0; k < N_KERNELS; k++) {
        if (!tznr_cpu_kernel_supported(KERNELS[k]))
            continue;
        ck_assert_int_eq(tznr_cpu_set_kernel(KERNELS[k]), TZNR_OK);
        for (size_t n = 0; n < N_THREADS; n++) {
            tznr_match_stats_t st;
            o.threads = THREADS[n];
            o.lsh = l;
            o.stats = &st;
            stream s = {0};
            ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_OK);
            ck_assert_uint_eq(st.pairs_out, s.n);
            ck_assert_uint_le(st.comparisons, st.candidates);
            if (!have_ref) {
                ck_assert_uint_eq(s.n, want);
                unsigned char *seen = calloc(na * nb, 1);
                for (size_t i = 0; i < s.n; i++) {
                    const tznr_pair_t *p = &s.v[i];
                    CHECK(p->a < na && p->b < nb);
                    CHECK(expect[p->a * nb + p->b] && !seen[p->a * nb + p->b]);
                    CHECK(p->score == score[p->a * nb + p->b]);
                    seen[p->a * nb + p->b] = 1;
                }
                free(seen);
                ref = s;
                have_ref = 1;
            } else {
                ck_assert_uint_eq(s.n, ref.n);
                ck_assert_uint_eq(s.chunks, ref.chunks);
                for (size_t i = 0; i < s.n; i++)
                    CHECK(s.v[i].a == ref.v[i].a && s.v[i].b == ref.v[i].b &&
                          s.v[i].score == ref.v[i].score);
                free(s.v);
            }
        }
    }
    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);
    free(ref.v);
    free(ex.v);
    free(expect);
    free(score);
}

START_TEST(lsh_equals_colliding_exhaustive_pairs)
{
    static const struct { size_t bits, na, nb; unsigned k, tables; double t; } cfg[] = {
        {256, 300, 400, 8, 4, 0.5},
        {1024, 200, 300, 16, 12, 0.6},
        {1024, 200, 300, 30, 40, 0.8},
        {64, 500, 500, 4, 3, 0.0},
        {192, 100, 100, 64, 2, 0.3},
        {1024, 300, 3000, 64, 3, 0.5},   /* ~62 distinct bits > 51 bits of room: hashed keys */
    };
    tznr_clkset_t *a, *b;
    make_sets(&a, &b, cfg[_i].bits, cfg[_i].na, cfg[_i].nb);
    tznr_lsh_t *l;
    ck_assert_int_eq(tznr_lsh_new(&l, cfg[_i].bits, cfg[_i].k, cfg[_i].tables, 1000 + _i), TZNR_OK);
    check_lsh_vs_exhaustive(a, b, l, cfg[_i].t);
    tznr_lsh_free(l);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

START_TEST(lsh_on_febrl4_clks)
{
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_read_json(&a, tt_data("febrl4_clks/a.json")), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_read_json(&b, tt_data("febrl4_clks/b.json")), TZNR_OK);
    unsigned k, tables;
    double bound;
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, 0.8, 0.99, TZNR_LSH_EVERY_PAIR), TZNR_OK);
    ck_assert_int_eq(tznr_lsh_recall(&bound, NULL, a, b, 0.8, k, tables), TZNR_OK);
    ck_assert(bound >= 0.99);
    tznr_lsh_t *l;
    ck_assert_int_eq(tznr_lsh_new(&l, 1024, k, tables, TZNR_LSH_DEFAULT_SEED), TZNR_OK);
    check_lsh_vs_exhaustive(a, b, l, 0.8);
    tznr_lsh_free(l);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* identical filters agree on every sampled bit: a pair of Dice 1.0 is found by any index,
 * so at threshold 1 LSH returns exactly what exhaustive search returns */
START_TEST(dice_one_always_found)
{
    const size_t bits = 512, len = bits / 8, n = 300;
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, bits), TZNR_OK);
    uint8_t *f = malloc(n * len);
    for (size_t i = 0; i < n * len; i++)
        f[i] = (uint8_t)next();
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(tznr_clkset_append(a, f + i * len, len), TZNR_OK);
    for (size_t j = 0; j < n; j++) {   /* B: A reversed, every third row perturbed */
        uint8_t g[64];
        memcpy(g, f + (n - 1 - j) * len, len);
        if (j % 3 == 0)
            flip_bit(g, (uint32_t)(next() % bits));
        ck_assert_int_eq(tznr_clkset_append(b, g, len), TZNR_OK);
    }
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = 1.0;
    tznr_candidates_t *ex, *ls;
    ck_assert_int_eq(tznr_match(&ex, a, b, &o), TZNR_OK);
    ck_assert_uint_eq(tznr_candidates_count(ex), n - (n + 2) / 3);
    static const unsigned ks[] = {1, 7, 33, 64}, ls_tables[] = {1, 2, 5, 1};
    for (int x = 0; x < 4; x++) {
        for (uint64_t seed = 0; seed < 5; seed++) {
            tznr_lsh_t *l;
            ck_assert_int_eq(tznr_lsh_new(&l, bits, ks[x], ls_tables[x], seed), TZNR_OK);
            o.lsh = l;
            o.threads = (unsigned)seed % 3;
            ck_assert_int_eq(tznr_match(&ls, a, b, &o), TZNR_OK);
            ck_assert_uint_eq(tznr_candidates_count(ls), tznr_candidates_count(ex));
            for (size_t i = 0; i < tznr_candidates_count(ex); i++) {
                uint64_t a1, b1, a2, b2;
                double s1, s2;
                ck_assert_int_eq(tznr_candidates_get(ex, i, &a1, &b1, &s1), TZNR_OK);
                ck_assert_int_eq(tznr_candidates_get(ls, i, &a2, &b2, &s2), TZNR_OK);
                ck_assert(a1 == a2 && b1 == b2 && s1 == 1.0 && s2 == 1.0);
            }
            tznr_candidates_free(ls);
            tznr_lsh_free(l);
        }
    }
    tznr_candidates_free(ex);
    free(f);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* Predicted vs measured candidate probability. Record i of B is record i of A with exactly
 * h_i distinct bits flipped, so the pair agrees on a uniformly drawn position with
 * probability p_i = 1 - h_i/L. At threshold 0 every candidate pair is returned, so the
 * number of planted pairs found over many seeds is a sum of independent Bernoulli(P_i)
 * with P_i = 1 - (1 - p_i^K)^lambda: it must lie within 5 standard deviations of its
 * expectation. */
START_TEST(recall_predicted_vs_measured)
{
    static const struct { unsigned k, tables; } cfg[] = {{8, 3}, {16, 10}, {24, 40}};
    const size_t bits = 256, len = bits / 8, n = 300;
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, bits), TZNR_OK);
    double *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        uint8_t f[32], g[32];
        for (size_t w = 0; w < len; w++)
            f[w] = (uint8_t)(next() & (next() | next()));
        memcpy(g, f, len);
        uint32_t h = (uint32_t)(5 + i % 60);   /* Hamming distance 5..64 */
        unsigned char flipped[256] = {0};
        for (uint32_t e = 0; e < h;) {
            uint32_t bit = (uint32_t)(next() % bits);
            if (flipped[bit])
                continue;
            flipped[bit] = 1;
            flip_bit(g, bit);
            e++;
        }
        p[i] = 1.0 - (double)h / (double)bits;
        ck_assert_int_eq(tznr_clkset_append(a, f, len), TZNR_OK);
        ck_assert_int_eq(tznr_clkset_append(b, g, len), TZNR_OK);
    }
    for (size_t c = 0; c < 3; c++) {
        double expect = 0, var = 0;
        uint64_t found = 0;
        for (uint64_t seed = 1; seed <= 20; seed++) {
            tznr_lsh_t *l;
            ck_assert_int_eq(tznr_lsh_new(&l, bits, cfg[c].k, cfg[c].tables, seed * 7919), TZNR_OK);
            tznr_match_options_t o;
            tznr_match_options_init(&o);
            o.threshold = 0.0;
            o.lsh = l;
            stream s = {0};
            ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_OK);
            for (size_t i = 0; i < s.n; i++)
                found += s.v[i].a == s.v[i].b;
            for (size_t i = 0; i < n; i++) {
                double q = tznr_lsh_candidate_probability(p[i], cfg[c].k, cfg[c].tables);
                expect += q;
                var += q * (1 - q);
            }
            free(s.v);
            tznr_lsh_free(l);
        }
        double sd = sqrt(var);
        ck_assert_msg(fabs((double)found - expect) <= 5 * sd + 1e-9,
                      "K=%u lambda=%u: found %llu planted pairs, predicted %.1f (sd %.1f)",
                      cfg[c].k, cfg[c].tables, (unsigned long long)found, expect, sd);
        /* and the prediction is informative: neither all nor nothing */
        ck_assert(expect > 0.05 * 20 * n && expect < 0.99 * 20 * n);
    }
    free(p);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* score descending, then b ascending */
static int best_first(const void *x, const void *y)
{
    const tznr_pair_t *p = x, *q = y;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* top-k with LSH == the k best of each record among the LSH pairs (selected here) */
START_TEST(lsh_topk)
{
    tznr_clkset_t *a, *b;
    make_sets(&a, &b, 256, 200, 600);
    tznr_lsh_t *l;
    ck_assert_int_eq(tznr_lsh_new(&l, 256, 10, 6, 77), TZNR_OK);
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = 0.3;
    o.lsh = l;
    stream all = {0};
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &all), TZNR_OK);
    for (size_t k = 1; k <= 4; k += 3) {
        /* expected: group by a (stream is per table: collect per record) */
        stream e = {0};
        tznr_pair_t *row = malloc(all.n * sizeof *row + 1);
        for (uint64_t r = 0; r < 200; r++) {
            size_t m = 0;
            for (size_t i = 0; i < all.n; i++)
                if (all.v[i].a == r)
                    row[m++] = all.v[i];
            qsort(row, m, sizeof *row, best_first);
            if (m)
                stream_sink(row, m < k ? m : k, &e);
        }
        free(row);
        for (size_t n = 0; n < N_THREADS; n++) {
            o.top_k = k;
            o.threads = THREADS[n];
            stream s = {0};
            ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_OK);
            ck_assert_uint_eq(s.n, e.n);
            for (size_t i = 0; i < s.n; i++)
                CHECK(s.v[i].a == e.v[i].a && s.v[i].b == e.v[i].b && s.v[i].score == e.v[i].score);
            free(s.v);
        }
        free(e.v);
    }
    free(all.v);
    tznr_lsh_free(l);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* the pooled popcount histogram model of TZNR_LSH_MEAN_AT_THRESHOLD, recomputed here */
static double mean_model_here(const tznr_clkset_t *a, const tznr_clkset_t *b, double t,
                              unsigned k, unsigned tables)
{
    const size_t bits = tznr_clkset_filter_bits(a), len = bits / 8;
    const tznr_clkset_t *sets[2] = {a, b};
    double sum = 0, w = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < tznr_clkset_count(sets[s]); i++) {
            uint64_t x;
            ck_assert_int_eq(tznr_filter_popcount(&x, tznr_clkset_get(sets[s], i), len), TZNR_OK);
            /* a pair (x, x) at the threshold: the smallest c with 2c/2x >= t, h = 2x - 2c */
            uint64_t c = 0;
            while (c <= x && !((double)(2 * c) / (double)(2 * x) >= t))
                c++;
            if (x == 0 || c > x)
                continue;
            double p = 1.0 - (double)(2 * x - 2 * c) / (double)bits;
            sum += 1 - pow(1 - pow(p, k), tables);
            w += 1;
        }
    return sum / w;
}

START_TEST(choose_parameters)
{
    tznr_clkset_t *a, *b, *c;
    make_sets(&a, &b, 1024, 300, 300);
    unsigned k, tables;
    double every, mean;
    static const double targets[][2] = {{0.8, 0.995}, {0.9, 0.9}, {0.6, 0.99}};
    for (int x = 0; x < 3; x++) {
        double t = targets[x][0], r = targets[x][1];
        /* every pair: the bound is the formula at p_min from the largest popcounts */
        ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, t, r, TZNR_LSH_EVERY_PAIR), TZNR_OK);
        ck_assert(k >= 1 && k <= TZNR_LSH_MAX_K && tables >= 1);
        uint64_t ma = 0, mb = 0, pc;
        for (size_t i = 0; i < 300; i++) {
            ck_assert_int_eq(tznr_filter_popcount(&pc, tznr_clkset_get(a, i), 128), TZNR_OK);
            ma = pc > ma ? pc : ma;
            ck_assert_int_eq(tznr_filter_popcount(&pc, tznr_clkset_get(b, i), 128), TZNR_OK);
            mb = pc > mb ? pc : mb;
        }
        double pmin;
        ck_assert_int_eq(tznr_lsh_agreement_bound(&pmin, t, 1024, ma + mb), TZNR_OK);
        ck_assert_int_eq(tznr_lsh_recall(&every, &mean, a, b, t, k, tables), TZNR_OK);
        ck_assert(every == tznr_lsh_candidate_probability(pmin, k, tables));
        ck_assert(every >= r);
        if (tables > 1)   /* the smallest lambda for this K */
            ck_assert(tznr_lsh_candidate_probability(pmin, k, tables - 1) < r);
        ck_assert(mean >= every);
        /* mean at the threshold: the model recomputed here */
        ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, t, r, TZNR_LSH_MEAN_AT_THRESHOLD), TZNR_OK);
        ck_assert_int_eq(tznr_lsh_recall(NULL, &mean, a, b, t, k, tables), TZNR_OK);
        ck_assert_msg(fabs(mean - mean_model_here(a, b, t, k, tables)) < 1e-9, "%.12f vs %.12f",
                      mean, mean_model_here(a, b, t, k, tables));
        ck_assert(mean >= r);
        if (tables > 1) {
            double less;
            ck_assert_int_eq(tznr_lsh_recall(NULL, &less, a, b, t, k, tables - 1), TZNR_OK);
            ck_assert(less < r);
        }
    }
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, 0.8, 1.0, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, 0.8, 0.0, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, -0.1, 0.9, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_choose(NULL, &tables, a, b, 0.8, 0.9, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, b, 0.8, 0.9, (tznr_lsh_goal_t)7), TZNR_EINVAL);
    ck_assert_int_eq(tznr_lsh_recall(&every, NULL, a, b, 0.8, 0, 3), TZNR_EINVAL);
    /* threshold 0 on full filters: every pair counts, even one at Hamming distance L whose
     * bits never agree (p_min = 0), so no parameters can reach the recall */
    uint8_t ones[128];
    memset(ones, 0xff, sizeof ones);
    ck_assert_int_eq(tznr_clkset_new(&c, 1024), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_append(c, ones, sizeof ones), TZNR_OK);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, c, c, 0.0, 0.9, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    tznr_clkset_free(c);
    ck_assert_int_eq(tznr_clkset_new(&c, 512), TZNR_OK);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, a, c, 0.8, 0.9, TZNR_LSH_EVERY_PAIR), TZNR_EBUFSIZE);
    ck_assert_int_eq(tznr_lsh_choose(&k, &tables, c, c, 0.8, 0.9, TZNR_LSH_EVERY_PAIR), TZNR_EINVAL);
    /* an index for another filter length is refused by the search */
    tznr_lsh_t *l;
    ck_assert_int_eq(tznr_lsh_new(&l, 512, 8, 2, 1), TZNR_OK);
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = 0.8;
    o.lsh = l;
    stream s = {0};
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_EINVAL);
    tznr_lsh_free(l);
    tznr_clkset_free(c);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Case C14 (dedupe #899): one huge bucket. 3,000 identical filters in A and in B share
 * every key, so one table proposes all 3000 x 3000 = 9,000,000 pairs, every one at Dice 1.
 * The stream must deliver each pair exactly once, in chunks of bounded size (compare.h:
 * about 2^18 pairs, a batch more at most), in the same order for every thread count and
 * kernel; tznr_match() must stop with TZNR_ELIMIT once max_pairs is passed. */

#define HUGE_N 3000u

typedef struct huge_sink {
    uint8_t *seen;        /* HUGE_N * HUGE_N bits */
    uint64_t n, chunks, hash;
    size_t max_chunk;
    int bad;
} huge_sink;

static int huge_collect(const tznr_pair_t *p, size_t n, void *user)
{
    huge_sink *h = user;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = p[i].a * HUGE_N + p[i].b;
        if (p[i].a >= HUGE_N || p[i].b >= HUGE_N || p[i].score != 1.0 ||
            (h->seen[k / 8] >> (k % 8) & 1))
            h->bad = 1;
        else
            h->seen[k / 8] |= (uint8_t)(1u << (k % 8));
    }
    h->n += n;
    h->chunks++;
    h->max_chunk = n > h->max_chunk ? n : h->max_chunk;
    h->hash = XXH3_64bits_withSeed(p, n * sizeof *p, h->hash ^ n);
    return 0;
}

static huge_sink huge_run(const tznr_clkset_t *a, const tznr_lsh_t *l, unsigned threads)
{
    huge_sink h = {calloc((size_t)HUGE_N * HUGE_N / 8 + 1, 1), 0, 0, 0, 0, 0};
    CHECK(h.seen != NULL);
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = 0.9;
    o.threads = threads;
    o.lsh = l;
    ck_assert_msg(tznr_match_stream(a, a, &o, huge_collect, &h) == TZNR_OK, "%s",
                  tznr_last_error_message());
    free(h.seen);
    h.seen = NULL;
    CHECK(!h.bad);
    return h;
}

START_TEST(huge_bucket_streams_in_bounded_chunks)
{
    const size_t bits = 1024, len = bits / 8;
    uint8_t f[128];
    for (size_t w = 0; w < len; w++)
        f[w] = (uint8_t)(next() & next());
    tznr_clkset_t *a = NULL;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    for (unsigned i = 0; i < HUGE_N; i++)
        ck_assert_int_eq(tznr_clkset_append(a, f, len), TZNR_OK);
    tznr_lsh_t *l = NULL;
    ck_assert_int_eq(tznr_lsh_new(&l, bits, 16, 2, TZNR_LSH_DEFAULT_SEED), TZNR_OK);

    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);
    huge_sink ref = huge_run(a, l, 1);
    ck_assert_uint_eq(ref.n, (uint64_t)HUGE_N * HUGE_N);   /* by hand: n^2, each once */
    ck_assert_uint_le(ref.max_chunk, ((size_t)1 << 18) + 4096);
    ck_assert_uint_ge(ref.chunks, (uint64_t)HUGE_N * HUGE_N / (((size_t)1 << 18) + 4096));
    static const unsigned threads[] = {2, 3, 8};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        huge_sink h = huge_run(a, l, threads[t]);
        ck_assert_msg(h.n == ref.n && h.chunks == ref.chunks && h.hash == ref.hash,
                      "%u threads: a different stream", threads[t]);
    }
    for (size_t k = 0; k < N_KERNELS; k++) {
        if (!tznr_cpu_kernel_supported(KERNELS[k]))
            continue;
        ck_assert_int_eq(tznr_cpu_set_kernel(KERNELS[k]), TZNR_OK);
        huge_sink h = huge_run(a, l, 2);
        ck_assert_msg(h.n == ref.n && h.chunks == ref.chunks && h.hash == ref.hash,
                      "kernel %s: a different stream", KERNELS[k]);
    }
    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);

    /* collecting them all: refused past max_pairs, no list, a message naming the limit */
    for (unsigned th = 1; th <= 2; th++) {
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        ck_assert_uint_eq(o.max_pairs, TZNR_MATCH_DEFAULT_MAX_PAIRS);
        o.threshold = 0.9;
        o.threads = th;
        o.lsh = l;
        o.max_pairs = 1000000;
        tznr_candidates_t *c = (tznr_candidates_t *)&o;   /* must be reset to NULL */
        ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_ELIMIT);
        CHECK(c == NULL);
        const char *msg = tznr_last_error_message();
        ck_assert_msg(strstr(msg, "more than 1000000 candidate pairs") &&
                      strstr(msg, "3000 x 3000 records") && strstr(msg, "finer blocking"),
                      "message: %s", msg);
    }
    tznr_lsh_free(l);
    tznr_clkset_free(a);
}
END_TEST

/* Several tables each with a huge bucket of new pairs, so that units running at once on
 * different threads all hand over chunks, the calling thread included while an earlier
 * table is still running: A = 3,000 copies of f; B = 600 copies of each g_t, t = 0..3, where
 * g_t is f with, for every earlier table u < t, one bit flipped that table u samples and
 * table t does not. Then g_t and f have different keys in tables 0..t-1 and equal keys in
 * table t: table t delivers 3000 x 600 new pairs, and in all 3000 x 2400 = 7,200,000 pairs
 * (by hand), each once, whatever the thread count. */
#define MULTI_T 4u
#define MULTI_B 600u

static int has_pos(const tznr_lsh_t *l, unsigned t, uint32_t p)
{
    for (unsigned i = 0; i < tznr_lsh_k(l); i++) {
        uint32_t q;
        ck_assert_int_eq(tznr_lsh_position(&q, l, t, i), TZNR_OK);
        if (q == p)
            return 1;
    }
    return 0;
}

static int multi_collect(const tznr_pair_t *p, size_t n, void *user)
{
    huge_sink *h = user;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = p[i].a * (MULTI_T * MULTI_B) + p[i].b;
        if (p[i].a >= HUGE_N || p[i].b >= MULTI_T * MULTI_B || !(p[i].score >= 0.95) ||
            (h->seen[k / 8] >> (k % 8) & 1))
            h->bad = 1;
        else
            h->seen[k / 8] |= (uint8_t)(1u << (k % 8));
    }
    h->n += n;
    h->chunks++;
    h->max_chunk = n > h->max_chunk ? n : h->max_chunk;
    h->hash = XXH3_64bits_withSeed(p, n * sizeof *p, h->hash ^ n);
    return 0;
}

typedef struct stop_sink {
    uint64_t n, stop_at;
} stop_sink;

static int stop_after(const tznr_pair_t *p, size_t n, void *user)
{
    (void)p;
    stop_sink *s = user;
    CHECK(s->n < s->stop_at);   /* never called again once it asked to stop */
    s->n += n;
    return s->n >= s->stop_at;
}

START_TEST(huge_buckets_in_several_tables)
{
    const size_t bits = 1024, len = bits / 8;
    tznr_lsh_t *l = NULL;
    ck_assert_int_eq(tznr_lsh_new(&l, bits, 12, MULTI_T, 99), TZNR_OK);
    uint8_t f[128], g[128];
    for (size_t w = 0; w < len; w++)
        f[w] = (uint8_t)(next() & next());
    tznr_clkset_t *a = NULL, *b = NULL;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, bits), TZNR_OK);
    for (unsigned i = 0; i < HUGE_N; i++)
        ck_assert_int_eq(tznr_clkset_append(a, f, len), TZNR_OK);
    for (unsigned t = 0; t < MULTI_T; t++) {
        memcpy(g, f, len);
        for (unsigned u = 0; u < t; u++) {
            int flipped = 0;
            for (unsigned i = 0; i < tznr_lsh_k(l) && !flipped; i++) {
                uint32_t p;
                ck_assert_int_eq(tznr_lsh_position(&p, l, u, i), TZNR_OK);
                if (!has_pos(l, t, p) && get_bit(g, p) == get_bit(f, p)) {
                    flip_bit(g, p);
                    flipped = 1;
                }
            }
            CHECK(flipped);
        }
        for (unsigned j = 0; j < MULTI_B; j++)
            ck_assert_int_eq(tznr_clkset_append(b, g, len), TZNR_OK);
    }
    huge_sink ref = {0};
    for (unsigned th = 1; th <= 8; th++) {
        huge_sink h = {calloc((size_t)HUGE_N * MULTI_T * MULTI_B / 8 + 1, 1), 0, 0, 0, 0, 0};
        CHECK(h.seen != NULL);
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = 0.95;
        o.threads = th;
        o.lsh = l;
        ck_assert_msg(tznr_match_stream(a, b, &o, multi_collect, &h) == TZNR_OK, "%s",
                      tznr_last_error_message());
        free(h.seen);
        CHECK(!h.bad);
        ck_assert_uint_eq(h.n, (uint64_t)HUGE_N * MULTI_T * MULTI_B);
        ck_assert_uint_le(h.max_chunk, ((size_t)1 << 18) + 4096);
        if (th == 1)
            ref = h;
        ck_assert_msg(h.chunks == ref.chunks && h.hash == ref.hash,
                      "%u threads: a different stream", th);
        if (th == 3)
            th = 7;   /* 1, 2, 3, 8 */
    }
    /* a sink that stops in the middle of a chunked table stops the search at once */
    for (unsigned th = 1; th <= 8; th *= 2) {
        stop_sink st = {0, 1000000};
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = 0.95;
        o.threads = th;
        o.lsh = l;
        ck_assert_int_eq(tznr_match_stream(a, b, &o, stop_after, &st), TZNR_ESTATE);
        ck_assert_msg(st.n >= st.stop_at && st.n <= st.stop_at + ((size_t)1 << 18) + 4096,
                      "%u threads: %llu pairs delivered", th, (unsigned long long)st.n);
    }
    tznr_lsh_free(l);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* max_pairs at the boundary: exactly the count passes, one less is refused (300 identical
 * filters: 90,000 pairs by hand), with and without LSH */
START_TEST(max_pairs_boundary)
{
    const size_t bits = 512, len = bits / 8;
    uint8_t f[64];
    for (size_t w = 0; w < len; w++)
        f[w] = (uint8_t)next();
    tznr_clkset_t *a = NULL;
    ck_assert_int_eq(tznr_clkset_new(&a, bits), TZNR_OK);
    for (unsigned i = 0; i < 300; i++)
        ck_assert_int_eq(tznr_clkset_append(a, f, len), TZNR_OK);
    tznr_lsh_t *l = NULL;
    ck_assert_int_eq(tznr_lsh_new(&l, bits, 8, 3, 7), TZNR_OK);
    for (int with_lsh = 0; with_lsh < 2; with_lsh++) {
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = 1.0;
        o.threads = 2;
        o.lsh = with_lsh ? l : NULL;
        o.max_pairs = 90000;
        tznr_candidates_t *c = NULL;
        ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(c), 90000);
        tznr_candidates_free(c);
        o.max_pairs = 89999;
        ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_ELIMIT);
        CHECK(c == NULL);
        o.max_pairs = 0;   /* no limit */
        ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(c), 90000);
        tznr_candidates_free(c);
    }
    /* options from before max_pairs (the 0.2 layout) keep the default */
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.size = offsetof(tznr_match_options_t, max_pairs);
    o.threshold = 1.0;
    tznr_candidates_t *c = NULL;
    ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_OK);
    ck_assert_uint_eq(tznr_candidates_count(c), 90000);
    tznr_candidates_free(c);
    o.size = offsetof(tznr_match_options_t, max_pairs) - 1;
    ck_assert_int_eq(tznr_match(&c, a, a, &o), TZNR_EINVAL);
    tznr_lsh_free(l);
    tznr_clkset_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("lsh");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, index_parameters_and_sampling_formula);
    tcase_add_test(tc, probabilities_by_hand);
    tcase_add_loop_test(tc, lsh_equals_colliding_exhaustive_pairs, 0, 6);
    tcase_add_test(tc, lsh_on_febrl4_clks);
    tcase_add_test(tc, dice_one_always_found);
    tcase_add_test(tc, recall_predicted_vs_measured);
    tcase_add_test(tc, lsh_topk);
    tcase_add_test(tc, choose_parameters);
    tcase_add_test(tc, huge_bucket_streams_in_bounded_chunks);
    tcase_add_test(tc, max_pairs_boundary);
    tcase_add_test(tc, huge_buckets_in_several_tables);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
