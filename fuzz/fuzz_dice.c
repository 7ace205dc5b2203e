/* fuzz_dice: differential harness for the comparison functions. Arbitrary bytes become two
 * sets of filters; tznr_filter_popcount, tznr_filter_dice, tznr_match_all_pairs,
 * tznr_filter_topk and tznr_solve_greedy are compared with a straightforward reference
 * computed here: popcount bit by bit, Dice = 2*popcount(a AND b) / (popcount(a) +
 * popcount(b)) as one double division (0 when both filters are empty), candidates sorted by
 * score descending then a ascending then b ascending, top-k ties by identifier ascending,
 * greedy 1:1 in that order. Scores must agree bit for bit, lists element for element.
 *
 * Input: byte 0 -> filter length (1..40 words of 64 bits), byte 1 -> threshold (a grid of
 * values in [0, 1], or exactly the score of one pair, or the next double above it, to hit
 * the boundary of the popcount bound), byte 2 -> how many filters go to A, byte 3 -> k, the
 * top-k identifier layout and the thread count; the rest -> the filters (whole filters
 * only, at most 64).
 *
 * tznr_match (the blocked, multithreaded search; 1 or 2 threads, with and without top-k) is
 * checked against the same reference. Every comparison kernel the CPU runs (scalar, avx2,
 * avx512) is forced in turn with tznr_cpu_set_kernel() and must give identical results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tznr/tznr.h"

/* The kernels to compare (include/tznr/compare.h): each one this CPU runs is forced in turn
 * and must give the reference results; a kernel the CPU lacks is skipped. */
static const char *const KERNELS[] = {"scalar", "avx2", "avx512"};
#define N_KERNELS (sizeof KERNELS / sizeof KERNELS[0])
static int select_kernel(const char *name)
{
    if (!name)
        return tznr_cpu_set_kernel("auto") == TZNR_OK;
    if (!tznr_cpu_kernel_supported(name))
        return 0;
    FUZZ_CHECK(tznr_cpu_set_kernel(name) == TZNR_OK, "cannot force the supported kernel %s",
               name);
    FUZZ_CHECK(strcmp(tznr_cpu_kernel(), name) == 0, "kernel %s forced, %s in use", name,
               tznr_cpu_kernel());
    return 1;
}

#define MAX_FILTERS 64

static uint64_t ref_popcount(const uint8_t *f, size_t len)
{
    uint64_t c = 0;
    for (size_t i = 0; i < len; i++)
        for (unsigned b = 0; b < 8; b++)
            c += (f[i] >> b) & 1u;
    return c;
}

static uint64_t ref_and_popcount(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint64_t c = 0;
    for (size_t i = 0; i < len; i++)
        for (unsigned k = 0; k < 8; k++)
            c += ((a[i] & b[i]) >> k) & 1u;
    return c;
}

static double ref_dice(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint64_t pa = ref_popcount(a, len), pb = ref_popcount(b, len);
    if (pa + pb == 0)
        return 0.0;
    return (double)(2 * ref_and_popcount(a, b, len)) / (double)(pa + pb);
}

static int same_double(double x, double y) { return memcmp(&x, &y, sizeof x) == 0; }

typedef struct cand {
    uint64_t a, b;
    double s;
} cand;

/* score descending, then a ascending, then b ascending */
static int cand_before(const cand *p, const cand *q)
{
    if (p->s != q->s)
        return p->s > q->s;
    if (p->a != q->a)
        return p->a < q->a;
    return p->b < q->b;
}

/* insertion sort: obviously correct, and the lists are small */
static void ref_sort(cand *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        cand x = v[i];
        size_t j = i;
        while (j > 0 && cand_before(&x, &v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void check_candidates(const tznr_candidates_t *got, const cand *want, size_t n,
                             const char *what, const char *kernel)
{
    FUZZ_CHECK(tznr_candidates_count(got) == n, "[%s] %s: %zu pairs, expected %zu", kernel,
               what, tznr_candidates_count(got), n);
    for (size_t i = 0; i < n; i++) {
        uint64_t a, b;
        double s;
        FUZZ_CHECK(tznr_candidates_get(got, i, &a, &b, &s) == TZNR_OK, "get");
        FUZZ_CHECK(a == want[i].a && b == want[i].b && same_double(s, want[i].s),
                   "[%s] %s: pair %zu is (%llu, %llu, %.17g), expected (%llu, %llu, %.17g)",
                   kernel, what, i, (unsigned long long)a, (unsigned long long)b, s,
                   (unsigned long long)want[i].a, (unsigned long long)want[i].b, want[i].s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const size_t len = 8 * (1 + data[0] % 40);
    const uint8_t tsel = data[1], asel = data[2], ksel = data[3];
    const uint8_t *body = data + 4;
    size_t nfil = (size - 4) / len;
    if (nfil > MAX_FILTERS)
        nfil = MAX_FILTERS;
    if (nfil == 0)
        return 0;
    const size_t na = asel % (nfil + 1), nb = nfil - na;
    const uint8_t *A = body, *B = body + na * len;

    /* threshold */
    double t;
    if (tsel < 101) {
        t = tsel / 100.0;
    } else if (na && nb) {
        size_t i = (tsel * 7u) % na, j = (tsel * 13u) % nb;
        t = ref_dice(A + i * len, B + j * len, len);
        if (tsel >= 200 && t < 1.0)
            t = nextafter(t, 2.0);   /* just above a reachable score */
    } else {
        t = tsel >= 200 ? 1.0 : 0.0;
    }

    /* reference results */
    cand *all = malloc((na * nb + 1) * sizeof *all);
    FUZZ_CHECK(all != NULL, "out of memory");
    size_t nall = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double s = ref_dice(A + i * len, B + j * len, len);
            if (s >= t)
                all[nall++] = (cand){i, j, s};
        }
    ref_sort(all, nall);
    cand *greedy = malloc((nall ? nall : 1) * sizeof *greedy);
    unsigned char used_a[MAX_FILTERS] = {0}, used_b[MAX_FILTERS] = {0};
    FUZZ_CHECK(greedy != NULL, "out of memory");
    size_t ngreedy = 0;
    for (size_t i = 0; i < nall; i++)
        if (!used_a[all[i].a] && !used_b[all[i].b]) {
            used_a[all[i].a] = used_b[all[i].b] = 1;
            greedy[ngreedy++] = all[i];
        }

    /* top-k of the search: per row a, its best pairs (score descending, b ascending) */
    const size_t k = ksel % 9, kk = k ? k : 1;
    const unsigned idmode = (ksel / 9) % 3, threads = 1 + (ksel / 27) % 2;
    cand *topk_all = malloc((nall + 1) * sizeof *topk_all);
    FUZZ_CHECK(topk_all != NULL, "out of memory");
    size_t ntopk_all = 0;
    {
        size_t per_a[MAX_FILTERS] = {0};
        /* `all` is sorted by score then a then b, so each row's pairs come best first */
        for (size_t i = 0; i < nall; i++)
            if (per_a[all[i].a]++ < kk)
                topk_all[ntopk_all++] = all[i];
    }

    tznr_clkset_t *sa = NULL, *sb = NULL;
    FUZZ_CHECK(tznr_clkset_new(&sa, len * 8) == TZNR_OK && tznr_clkset_new(&sb, len * 8) == TZNR_OK,
               "clkset_new");
    for (size_t i = 0; i < na; i++)
        FUZZ_CHECK(tznr_clkset_append(sa, A + i * len, len) == TZNR_OK, "append");
    for (size_t j = 0; j < nb; j++)
        FUZZ_CHECK(tznr_clkset_append(sb, B + j * len, len) == TZNR_OK, "append");

    /* top-k layout: k in 0..8; identifiers 0..nb-1 (NULL), reversed, or interleaved */
    uint64_t ids[MAX_FILTERS], out_ids[9];
    double out_scores[9];
    for (size_t j = 0; j < nb; j++)
        ids[j] = idmode == 1 ? nb - 1 - j : (j % 2 ? j / 2 : nb - 1 - j / 2);

    for (size_t kern = 0; kern < N_KERNELS; kern++) {
        const char *kn = KERNELS[kern];
        if (!select_kernel(kn))
            continue;
        /* popcount and pairwise Dice */
        for (size_t i = 0; i < nfil; i++) {
            uint64_t pc;
            FUZZ_CHECK(tznr_filter_popcount(&pc, body + i * len, len) == TZNR_OK, "popcount");
            FUZZ_CHECK(pc == ref_popcount(body + i * len, len), "[%s] popcount of filter %zu",
                       kn, i);
        }
        for (size_t i = 0; i < nfil; i++)
            for (size_t j = i; j < nfil && j < i + 8; j++) {
                double s, s2, want = ref_dice(body + i * len, body + j * len, len);
                FUZZ_CHECK(tznr_filter_dice(&s, body + i * len, body + j * len, len) == TZNR_OK &&
                               tznr_filter_dice(&s2, body + j * len, body + i * len, len) == TZNR_OK,
                           "dice");
                FUZZ_CHECK(same_double(s, want) && same_double(s2, want),
                           "[%s] dice(%zu, %zu) = %.17g / %.17g, expected %.17g", kn, i, j, s, s2,
                           want);
            }
        /* all pairs and greedy */
        tznr_candidates_t *c = NULL, *g = NULL;
        FUZZ_CHECK(tznr_match_all_pairs(&c, sa, sb, t) == TZNR_OK, "match_all_pairs: %s",
                   tznr_last_error_message());
        check_candidates(c, all, nall, "match_all_pairs", kn);
        FUZZ_CHECK(tznr_solve_greedy(&g, c) == TZNR_OK, "solve_greedy: %s",
                   tznr_last_error_message());
        check_candidates(g, greedy, ngreedy, "solve_greedy", kn);
        tznr_candidates_free(g);
        tznr_candidates_free(c);
        /* the blocked, multithreaded search: every pair, then the k best of each row of A */
        for (int with_k = 0; with_k < 2; with_k++) {
            tznr_match_options_t opts;
            tznr_match_options_init(&opts);
            opts.threshold = t;
            opts.threads = threads;
            opts.top_k = with_k ? (k ? k : 1) : 0;
            tznr_candidates_t *m = NULL;
            FUZZ_CHECK(tznr_match(&m, sa, sb, &opts) == TZNR_OK, "match: %s",
                       tznr_last_error_message());
            if (with_k)
                check_candidates(m, topk_all, ntopk_all, "match (top-k)", kn);
            else
                check_candidates(m, all, nall, "match", kn);
            tznr_candidates_free(m);
        }
        /* top-k of each query of A (at most 8 queries) against B */
        for (size_t i = 0; i < na && i < 8; i++) {
            cand want[MAX_FILTERS];
            size_t nw = 0;
            for (size_t j = 0; j < nb; j++) {
                double s = ref_dice(A + i * len, B + j * len, len);
                if (s >= t)
                    want[nw++] = (cand){0, idmode ? ids[j] : j, s};
            }
            ref_sort(want, nw);   /* a is 0 for all: score desc, then identifier asc */
            size_t got = 99;
            FUZZ_CHECK(tznr_filter_topk(out_ids, out_scores, &got, A + i * len, nb ? B : A,
                                        idmode ? ids : NULL, nb, len, t, k) == TZNR_OK,
                       "topk: %s", tznr_last_error_message());
            size_t expect = nw < k ? nw : k;
            FUZZ_CHECK(got == expect, "[%s] topk(query %zu, k %zu): %zu results, expected %zu",
                       kn, i, k, got, expect);
            for (size_t r = 0; r < got; r++)
                FUZZ_CHECK(out_ids[r] == want[r].b && same_double(out_scores[r], want[r].s),
                           "[%s] topk(query %zu) result %zu: (%llu, %.17g), expected (%llu, %.17g)",
                           kn, i, r, (unsigned long long)out_ids[r], out_scores[r],
                           (unsigned long long)want[r].b, want[r].s);
        }
    }
    select_kernel(NULL);
    tznr_clkset_free(sa);
    tznr_clkset_free(sb);
    free(all);
    free(greedy);
    free(topk_all);
    return 0;
}
