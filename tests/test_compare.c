/* Dice, popcount, exhaustive search, top-k and greedy: hand-computed values, cases C08, C11,
 * C12, and the scalar reference (brute force) on random filters, thresholds included that
 * equal an attained score. */
#include <math.h>
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

/* ==================================================================================== */
/* Kernels, threads, streaming, top-k: every kernel this CPU runs, on 1, 2, 3 and 8 threads,
 * against the scalar reference tznr_filter_dice() applied to every pair. */

/* a check for hot loops (Check's ck_assert writes to a pipe on every call) */
#define CHECK(c)                                                                             \
    do {                                                                                     \
        if (!(c))                                                                            \
            ck_abort_msg("line %d: check failed: %s", __LINE__, #c);                         \
    } while (0)

static const char *const KERNELS[] = {"scalar", "avx2", "avx512"};
static const unsigned THREADS[] = {1, 2, 3, 8};
#define N_KERNELS (sizeof KERNELS / sizeof KERNELS[0])
#define N_THREADS (sizeof THREADS / sizeof THREADS[0])

typedef struct stream {
    tznr_pair_t *v;
    size_t n, cap;
    size_t chunks;
    uint64_t chunk_hash;   /* order-sensitive digest of the chunk sizes */
} stream;

static int stream_sink(const tznr_pair_t *p, size_t n, void *user)
{
    stream *s = user;
    CHECK(n > 0);
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        CHECK(s->v != NULL);
    }
    memcpy(s->v + s->n, p, n * sizeof *p);
    s->n += n;
    s->chunks++;
    s->chunk_hash = s->chunk_hash * 1000003u + n;
    return 0;
}

static void stream_check_same(const stream *x, const stream *y)
{
    CHECK((x->n) == (y->n));
    CHECK((x->chunks) == (y->chunks));
    CHECK((x->chunk_hash) == (y->chunk_hash));
    for (size_t i = 0; i < x->n; i++) {
        CHECK((x->v[i].a) == (y->v[i].a));
        CHECK((x->v[i].b) == (y->v[i].b));
        CHECK(x->v[i].score == y->v[i].score);
    }
}

/* A: random filters of density about 1/4 (some empty); B: noisy copies of A rows mixed with
 * fresh ones, and exact duplicates (ties) */
static void make_sets(tznr_clkset_t **a, tznr_clkset_t **b, size_t bits, size_t na, size_t nb)
{
    const size_t len = bits / 8;
    uint8_t *fa = malloc(na * len), *f = malloc(len);
    ck_assert_int_eq(tznr_clkset_new(a, bits), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(b, bits), TZNR_OK);
    for (size_t i = 0; i < na; i++) {
        for (size_t w = 0; w < len; w++)
            fa[i * len + w] = (uint8_t)(next() & next());
        if (i % 37 == 5)
            memset(fa + i * len, 0, len);
        ck_assert_int_eq(tznr_clkset_append(*a, fa + i * len, len), TZNR_OK);
    }
    for (size_t j = 0; j < nb; j++) {
        uint64_t r = next() % 8;
        if (r < 4) {          /* noisy copy: a few bits flipped */
            memcpy(f, fa + (next() % na) * len, len);
            for (uint64_t e = next() % (bits / 8 + 1); e > 0; e--) {
                uint64_t bit = next() % bits;
                f[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
            }
        } else if (r < 6 && j > 0) {   /* exact duplicate of an earlier B filter: ties */
            memcpy(f, tznr_clkset_get(*b, next() % j), len);
        } else if (r == 6) {
            memset(f, 0, len);
            if (j % 2)
                f[next() % len] = 0x10;
        } else {
            for (size_t w = 0; w < len; w++)
                f[w] = (uint8_t)(next() & next());
        }
        ck_assert_int_eq(tznr_clkset_append(*b, f, len), TZNR_OK);
    }
    free(fa);
    free(f);
}

static double *brute_matrix(const tznr_clkset_t *a, const tznr_clkset_t *b)
{
    size_t na = tznr_clkset_count(a), nb = tznr_clkset_count(b), len = tznr_clkset_filter_bits(a) / 8;
    double *all = malloc(na * nb * sizeof *all);
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            CHECK(tznr_filter_dice(&all[i * nb + j], tznr_clkset_get(a, i),
                                  tznr_clkset_get(b, j), len) == TZNR_OK);
    return all;
}

static int set_kernel(const char *k)
{
    if (!tznr_cpu_kernel_supported(k)) {
        ck_assert_int_eq(tznr_cpu_set_kernel(k), TZNR_EUNSUPPORTED);
        return 0;
    }
    ck_assert_int_eq(tznr_cpu_set_kernel(k), TZNR_OK);
    ck_assert_str_eq(tznr_cpu_kernel(), k);
    return 1;
}

/* the stream holds exactly the pairs with reference score >= t, each once, with the
 * reference score, and every chunk is sorted by (a, b) (checked through the chunk order of
 * tiles: pairs are unique, so sorting the copy must find no duplicate) */
static void check_against_reference(const stream *s, const double *all, size_t na, size_t nb,
                                    double t)
{
    size_t want = 0;
    for (size_t x = 0; x < na * nb; x++)
        want += all[x] >= t;
    CHECK((s->n) == (want));
    unsigned char *seen = calloc(na * nb, 1);
    for (size_t i = 0; i < s->n; i++) {
        const tznr_pair_t *p = &s->v[i];
        CHECK(p->a < na && p->b < nb);
        if (p->score != all[p->a * nb + p->b])
            ck_abort_msg("pair (%llu, %llu): %.17g != %.17g", (unsigned long long)p->a,
                         (unsigned long long)p->b, p->score, all[p->a * nb + p->b]);
        CHECK(p->score >= t);
        CHECK(!seen[p->a * nb + p->b]);
        seen[p->a * nb + p->b] = 1;
    }
    free(seen);
}

/* thresholds: fixed values, two attained scores, and the next double above one of them */
static void pick_thresholds(double th[7], const double *all, size_t n)
{
    double hi = 0, mid = -1;
    for (size_t x = 0; x < n; x++)
        if (all[x] < 1.0 && all[x] > hi)
            hi = all[x];
    for (size_t x = 0; x < n && mid < 0; x++)
        if (all[x] > 0.55 && all[x] < 0.95)
            mid = all[x];
    if (mid < 0)
        mid = 0.6;
    th[0] = 0.0;
    th[1] = 0.5;
    th[2] = mid;
    th[3] = nextafter(mid, 2.0);
    th[4] = hi;
    th[5] = 0.8;
    th[6] = 1.0;
}

static void run_all(const tznr_clkset_t *a, const tznr_clkset_t *b, const double *all,
                    const double *th, size_t nth)
{
    const size_t na = tznr_clkset_count(a), nb = tznr_clkset_count(b);
    for (size_t ti = 0; ti < nth; ti++) {
        stream ref = {0};
        int have_ref = 0;
        for (size_t k = 0; k < N_KERNELS; k++) {
            if (!set_kernel(KERNELS[k]))
                continue;
            for (size_t n = 0; n < N_THREADS; n++) {
                tznr_match_options_t o;
                tznr_match_stats_t st;
                tznr_match_options_init(&o);
                o.threshold = th[ti];
                o.threads = THREADS[n];
                o.stats = &st;
                stream s = {0};
                ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_OK);
                ck_assert_str_eq(st.kernel, KERNELS[k]);
                ck_assert_uint_eq(st.pairs_out, s.n);
                ck_assert_uint_eq(st.pairs_total, (uint64_t)na * nb);
                ck_assert_uint_le(st.comparisons, st.pairs_total);
                ck_assert_uint_le(st.threads, THREADS[n]);
                if (!have_ref) {
                    check_against_reference(&s, all, na, nb, th[ti]);
                    ref = s;
                    have_ref = 1;
                } else {
                    stream_check_same(&ref, &s);
                    free(s.v);
                }
            }
        }
        free(ref.v);
    }
    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);
}

START_TEST(kernels_threads_equal_reference)
{
    static const size_t cfg[][3] = {
        {64, 140, 9000},   /* 3 A blocks x 3 B blocks of 4096 filters */
        {192, 70, 700},    /* generic word count */
        {512, 66, 4200},   /* 2 B blocks */
        {1024, 130, 2100}, /* 2 B blocks */
        {2048, 40, 1100},
        {4096, 20, 600},
        {320, 9, 13},      /* tails: fewer rows than a kernel call, one partial panel */
    };
    const size_t bits = cfg[_i][0], na = cfg[_i][1], nb = cfg[_i][2];
    tznr_clkset_t *a, *b;
    make_sets(&a, &b, bits, na, nb);
    double *all = brute_matrix(a, b), th[7];
    pick_thresholds(th, all, na * nb);
    run_all(a, b, all, th, 7);
    free(all);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* FEBRL4 CLKs (tests/data/febrl4_clks): every kernel and thread count, thresholds around
 * the scores of true pairs, one of them attained */
START_TEST(febrl4_clks_equal_reference)
{
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_read_json(&a, tt_data("febrl4_clks/a.json")), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_read_json(&b, tt_data("febrl4_clks/b.json")), TZNR_OK);
    ck_assert_uint_eq(tznr_clkset_count(a), 400);
    ck_assert_uint_eq(tznr_clkset_count(b), 493);
    double *all = brute_matrix(a, b);
    double attained = 0;
    for (size_t x = 0; x < 400 * 493; x++)
        if (all[x] > 0.75 && all[x] < 0.85) {
            attained = all[x];
            break;
        }
    ck_assert(attained > 0);
    double th[] = {0.7, 0.8, attained, nextafter(attained, 2.0), 0.9, 1.0};
    run_all(a, b, all, th, sizeof th / sizeof th[0]);
    free(all);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* top-k: per record of A, the k best pairs >= t by (score descending, b ascending),
 * records in increasing a: built here from the reference matrix */
static void expected_topk(stream *e, const double *all, size_t na, size_t nb, double t, size_t k)
{
    tznr_pair_t *row = malloc(nb * sizeof *row);
    for (size_t i = 0; i < na; i++) {
        size_t m = 0;
        for (size_t j = 0; j < nb; j++)
            if (all[i * nb + j] >= t)
                row[m++] = (tznr_pair_t){i, j, all[i * nb + j]};
        /* selection of the k best by hand: repeated scans (small inputs) */
        for (size_t r = 0; r < k && r < m; r++) {
            size_t best = r;
            for (size_t x = r + 1; x < m; x++)
                if (row[x].score > row[best].score ||
                    (row[x].score == row[best].score && row[x].b < row[best].b))
                    best = x;
            tznr_pair_t tmp = row[r];
            row[r] = row[best];
            row[best] = tmp;
        }
        size_t w = m < k ? m : k;
        if (w) {
            e->chunks = 0;
            stream_sink(row, w, e);
        }
    }
    free(row);
}

START_TEST(topk_equals_reference)
{
    static const size_t cfg[][3] = {{64, 150, 5000}, {1024, 70, 600}, {256, 5, 40}};
    const size_t bits = cfg[_i][0], na = cfg[_i][1], nb = cfg[_i][2];
    tznr_clkset_t *a, *b;
    make_sets(&a, &b, bits, na, nb);
    double *all = brute_matrix(a, b), th[7];
    pick_thresholds(th, all, na * nb);
    static const size_t ks[] = {1, 3, 10};
    for (size_t ti = 0; ti < 7; ti += 2) {
        for (size_t ki = 0; ki < 3; ki++) {
            stream e = {0};
            expected_topk(&e, all, na, nb, th[ti], ks[ki]);
            for (size_t k = 0; k < N_KERNELS; k++) {
                if (!set_kernel(KERNELS[k]))
                    continue;
                for (size_t n = 0; n < N_THREADS; n++) {
                    tznr_match_options_t o;
                    tznr_match_options_init(&o);
                    o.threshold = th[ti];
                    o.threads = THREADS[n];
                    o.top_k = ks[ki];
                    stream s = {0};
                    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_OK);
                    CHECK((s.n) == (e.n));
                    for (size_t x = 0; x < s.n; x++) {
                        CHECK((s.v[x].a) == (e.v[x].a));
                        CHECK((s.v[x].b) == (e.v[x].b));
                        CHECK(s.v[x].score == e.v[x].score);
                    }
                    free(s.v);
                }
            }
            free(e.v);
        }
    }
    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);
    free(all);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

/* C11 through the all-pairs top-k: equal scores, the lower b index wins */
START_TEST(topk_ties_lower_b_wins)
{
    uint8_t f[5][128];
    size_t len = 0;
    ck_assert_uint_eq(read_bitfile("cases/C11/filters.txt", f, 5, &len), 5);
    tznr_clkset_t *a, *b;
    ck_assert_int_eq(tznr_clkset_new(&a, len * 8), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_new(&b, len * 8), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_append(a, f[0], len), TZNR_OK);
    for (int i = 4; i >= 1; i--)   /* B = C3, C2, C1, C0: scores 0.625, 0.75, 0.75, 0.75 */
        ck_assert_int_eq(tznr_clkset_append(b, f[i], len), TZNR_OK);
    for (size_t n = 0; n < N_THREADS; n++) {
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = 0.5;
        o.top_k = 2;
        o.threads = THREADS[n];
        tznr_candidates_t *c;
        ck_assert_int_eq(tznr_match(&c, a, b, &o), TZNR_OK);
        ck_assert_uint_eq(tznr_candidates_count(c), 2);
        uint64_t x, y;
        double s;
        ck_assert_int_eq(tznr_candidates_get(c, 0, &x, &y, &s), TZNR_OK);
        ck_assert(x == 0 && y == 1 && s == 0.75);
        ck_assert_int_eq(tznr_candidates_get(c, 1, &x, &y, &s), TZNR_OK);
        ck_assert(x == 0 && y == 2 && s == 0.75);
        tznr_candidates_free(c);
    }
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

typedef struct prog {
    int calls, cancel_at;
    uint64_t last_done, last_total;
} prog;

static int progress_cb(uint64_t done, uint64_t total, void *user)
{
    prog *p = user;
    p->calls++;
    ck_assert_uint_le(done, total);
    ck_assert_uint_ge(done, p->last_done);
    p->last_done = done;
    p->last_total = total;
    return p->cancel_at && p->calls >= p->cancel_at;
}

static int stop_sink(const tznr_pair_t *p, size_t n, void *user)
{
    (void)p;
    (void)n;
    ++*(int *)user;
    return 1;
}

START_TEST(progress_cancel_and_options)
{
    tznr_clkset_t *a, *b;
    make_sets(&a, &b, 64, 200, 9000);
    for (size_t n = 0; n < N_THREADS; n++) {
        tznr_match_options_t o;
        tznr_match_options_init(&o);
        o.threshold = 0.3;
        o.threads = THREADS[n];
        prog p = {0, 0, 0, 0};
        o.progress = progress_cb;
        o.progress_user = &p;
        tznr_candidates_t *c;
        ck_assert_int_eq(tznr_match(&c, a, b, &o), TZNR_OK);
        ck_assert_int_ge(p.calls, 1);
        ck_assert_uint_eq(p.last_total, 200u * 9000u);
        ck_assert_uint_eq(p.last_done, p.last_total);
        tznr_candidates_free(c);
        /* cancel at the first call: TZNR_ESTATE, no list */
        prog q = {0, 1, 0, 0};
        o.progress_user = &q;
        ck_assert_int_eq(tznr_match(&c, a, b, &o), TZNR_ESTATE);
        ck_assert_ptr_null(c);
        /* a sink asking to stop */
        int calls = 0;
        o.progress = NULL;
        ck_assert_int_eq(tznr_match_stream(a, b, &o, stop_sink, &calls), TZNR_ESTATE);
        ck_assert_int_eq(calls, 1);
    }
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    stream s = {0};
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_EINVAL);   /* NaN */
    o.threshold = 1.5;
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_EINVAL);
    o.threshold = 0.5;
    o.size = 8;
    ck_assert_int_eq(tznr_match_stream(a, b, &o, stream_sink, &s), TZNR_EINVAL);
    ck_assert_int_eq(tznr_match_stream(a, b, NULL, stream_sink, &s), TZNR_EINVAL);
    tznr_match_options_init(&o);
    o.threshold = 0.5;
    ck_assert_int_eq(tznr_match_stream(a, b, &o, NULL, &s), TZNR_EINVAL);
    ck_assert_int_eq(tznr_match_stream(NULL, b, &o, stream_sink, &s), TZNR_EINVAL);
    tznr_clkset_t *c128;
    ck_assert_int_eq(tznr_clkset_new(&c128, 128), TZNR_OK);
    ck_assert_int_eq(tznr_match_stream(a, c128, &o, stream_sink, &s), TZNR_EBUFSIZE);
    /* an empty side: no pairs, success */
    tznr_clkset_t *e64;
    ck_assert_int_eq(tznr_clkset_new(&e64, 64), TZNR_OK);
    ck_assert_int_eq(tznr_match_stream(a, e64, &o, stream_sink, &s), TZNR_OK);
    ck_assert_int_eq(tznr_match_stream(e64, b, &o, stream_sink, &s), TZNR_OK);
    ck_assert_uint_eq(s.n, 0);
    tznr_clkset_free(e64);
    tznr_clkset_free(c128);
    tznr_clkset_free(a);
    tznr_clkset_free(b);
}
END_TEST

START_TEST(kernel_selection_api)
{
    const char *def = tznr_cpu_kernel();
    ck_assert(strcmp(def, "scalar") == 0 || strcmp(def, "avx2") == 0 || strcmp(def, "avx512") == 0);
    ck_assert(tznr_cpu_kernel_supported("scalar"));
    ck_assert(tznr_cpu_kernel_supported("auto"));
    ck_assert(!tznr_cpu_kernel_supported("sse9"));
    ck_assert(!tznr_cpu_kernel_supported(NULL));
    ck_assert_int_eq(tznr_cpu_set_kernel("sse9"), TZNR_EINVAL);
    ck_assert_int_eq(tznr_cpu_set_kernel(NULL), TZNR_EINVAL);
    for (size_t k = 0; k < N_KERNELS; k++)
        set_kernel(KERNELS[k]);
    ck_assert_int_eq(tznr_cpu_set_kernel("auto"), TZNR_OK);
    /* the best kernel: avx512 if supported, else avx2 if supported, else scalar */
    const char *best = tznr_cpu_kernel_supported("avx512") ? "avx512"
                       : tznr_cpu_kernel_supported("avx2") ? "avx2" : "scalar";
    ck_assert_str_eq(tznr_cpu_kernel(), best);
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
    TCase *tk = tcase_create("kernels");
    tcase_set_timeout(tk, 600);
    tcase_add_test(tk, kernel_selection_api);
    tcase_add_loop_test(tk, kernels_threads_equal_reference, 0, 7);
    tcase_add_test(tk, febrl4_clks_equal_reference);
    tcase_add_loop_test(tk, topk_equals_reference, 0, 3);
    tcase_add_test(tk, topk_ties_lower_b_wins);
    tcase_add_test(tk, progress_cancel_and_options);
    suite_add_tcase(s, tk);
    return tt_run(s);
}
