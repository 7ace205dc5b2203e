/* Hamming LSH blocking by bit sampling (block.h): the index (sampled positions), the choice
 * of K and lambda for a recall target, and the blocked search run by tznr_match_stream().
 *
 * Search. A and B are first transposed into bit columns (column p holds bit p of 64
 * records per word), so that the keys of a table read only its K columns. One unit per
 * table: the key of each record is obtained by transposing the K column words of each block
 * of 64 records; entries (key, side, popcount, row) packed in 64 bits are scattered by the
 * top bits of the key, and within each bucket (small, in cache) a hash join on the key gives
 * the candidates (A row, B row) with equal keys, skipped when the exact popcount
 * bound makes the threshold unreachable, else scored exactly (with prefetching, in batches),
 * and kept when the score reaches the threshold and no earlier table put the two records in
 * the same bucket: each pair is delivered once, by the first table that finds it, whatever
 * the thread count. Keys too wide to pack are hashed to fit, and the candidates are then
 * checked to agree on the table's bits, so the result is the same. A table whose new pairs
 * reach TZNR__UNIT_CHUNK hands them over in chunks (chunk_out()), so a huge bucket does not
 * hold its pairs in memory. */
#include "tznr/block.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "alloc.h"
#include "error.h"
#include "kernels/kernels.h"
#include "match_internal.h"

struct tznr_lsh {
    size_t bits, words;
    unsigned k, tables, stride;   /* stride: most words one table touches, min(k, words) */
    uint64_t seed;
    uint32_t *pos;       /* tables * k positions, clkhash numbering */
    uint32_t *nw;        /* per table: words touched */
    uint32_t *wi;        /* tables * stride: word indexes, increasing */
    uint64_t *wm;        /* tables * stride: masks of sampled bits in those words */
    unsigned *keybits;   /* per table: distinct positions = bits of the key */
    uint32_t *hpos;      /* tables * k: the distinct positions as host bit indexes (64 * word
                            + bit of the word read in host order), increasing */
};

#define MAX_BITS ((size_t)1 << 20)

/* the host-order 64-bit word mask of clkhash position p within its word p / 64 */
static uint64_t word_mask(uint32_t p)
{
    uint8_t bytes[8] = {0};
    uint64_t m;
    bytes[(p / 8) % 8] = (uint8_t)(0x80u >> (p % 8));
    memcpy(&m, bytes, 8);
    return m;
}

static uint32_t sample(uint64_t seed, uint64_t counter, size_t bits)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(counter >> (8 * i));
    uint64_t h = XXH3_64bits_withSeed(le, sizeof le, seed);
    return (uint32_t)(((h >> 32) * (uint64_t)bits) >> 32);
}

tznr_error_t tznr_lsh_new(tznr_lsh_t **out, size_t filter_bits, unsigned k, unsigned tables,
                          uint64_t seed)
{
    if (out)
        *out = NULL;
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (filter_bits == 0 || filter_bits % 64 != 0 || filter_bits > MAX_BITS)
        return tznr__err(TZNR_EINVAL, "filter length %zu bits is not a positive multiple of 64 "
                         "up to 1048576", filter_bits);
    if (k < 1 || k > TZNR_LSH_MAX_K)
        return tznr__err(TZNR_EINVAL, "LSH K = %u is outside 1..%u", k, TZNR_LSH_MAX_K);
    if (tables < 1 || tables > TZNR_LSH_MAX_TABLES)
        return tznr__err(TZNR_EINVAL, "LSH tables = %u is outside 1..%u", tables,
                         TZNR_LSH_MAX_TABLES);
    tznr_lsh_t *l = tznr__calloc(1, sizeof *l);
    if (!l)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    l->bits = filter_bits;
    l->words = filter_bits / 64;
    l->k = k;
    l->tables = tables;
    l->seed = seed;
    l->stride = k < l->words ? k : (unsigned)l->words;
    l->pos = tznr__calloc((size_t)tables * k, sizeof *l->pos);
    l->nw = tznr__calloc(tables, sizeof *l->nw);
    l->wi = tznr__calloc((size_t)tables * l->stride, sizeof *l->wi);
    l->wm = tznr__calloc((size_t)tables * l->stride, sizeof *l->wm);
    l->keybits = tznr__calloc(tables, sizeof *l->keybits);
    l->hpos = tznr__calloc((size_t)tables * k, sizeof *l->hpos);
    if (!l->pos || !l->nw || !l->wi || !l->wm || !l->keybits || !l->hpos) {
        tznr_lsh_free(l);
        return tznr__err(TZNR_ENOMEM, "out of memory (%u LSH tables)", tables);
    }
    for (unsigned t = 0; t < tables; t++) {
        uint32_t *pos = l->pos + (size_t)t * k, *wi = l->wi + (size_t)t * l->stride;
        uint64_t *wm = l->wm + (size_t)t * l->stride;
        for (unsigned i = 0; i < k; i++)
            pos[i] = sample(seed, (uint64_t)t * k + i, filter_bits);
        /* group by word, words increasing (insertion into the short sorted list) */
        unsigned n = 0;
        for (unsigned i = 0; i < k; i++) {
            uint32_t w = pos[i] / 64;
            unsigned j = 0;
            while (j < n && wi[j] < w)
                j++;
            if (j == n || wi[j] != w) {
                memmove(wi + j + 1, wi + j, (n - j) * sizeof *wi);
                memmove(wm + j + 1, wm + j, (n - j) * sizeof *wm);
                wi[j] = w;
                wm[j] = 0;
                n++;
            }
            wm[j] |= word_mask(pos[i]);
        }
        l->nw[t] = n;
        unsigned kb = 0;
        uint32_t *hp = l->hpos + (size_t)t * k;
        for (unsigned j = 0; j < n; j++)
            for (uint64_t m = wm[j]; m; m &= m - 1)
                hp[kb++] = 64 * wi[j] + (uint32_t)__builtin_ctzll(m);
        l->keybits[t] = kb;
    }
    *out = l;
    return TZNR_OK;
}

void tznr_lsh_free(tznr_lsh_t *l)
{
    if (!l)
        return;
    tznr__free(l->pos);
    tznr__free(l->nw);
    tznr__free(l->wi);
    tznr__free(l->wm);
    tznr__free(l->keybits);
    tznr__free(l->hpos);
    tznr__free(l);
}

unsigned tznr_lsh_k(const tznr_lsh_t *l) { return l ? l->k : 0; }
unsigned tznr_lsh_tables(const tznr_lsh_t *l) { return l ? l->tables : 0; }
uint64_t tznr_lsh_seed(const tznr_lsh_t *l) { return l ? l->seed : 0; }
size_t tznr_lsh_filter_bits(const tznr_lsh_t *l) { return l ? l->bits : 0; }

tznr_error_t tznr_lsh_position(uint32_t *out, const tznr_lsh_t *l, unsigned table, unsigned i)
{
    if (!out || !l)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (table >= l->tables || i >= l->k)
        return tznr__err(TZNR_EINVAL, "position %u of table %u out of range (%u tables of %u)",
                         i, table, l->tables, l->k);
    *out = l->pos[(size_t)table * l->k + i];
    return TZNR_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Probabilities and the choice of parameters                                            */

double tznr_lsh_candidate_probability(double p, unsigned k, unsigned tables)
{
    if (!(p >= 0.0 && p <= 1.0))
        return NAN;
    double pk = pow(p, (double)k);
    if (pk >= 1.0)
        return 1.0;
    /* 1 - (1 - pk)^tables, accurate for small pk */
    return -expm1((double)tables * log1p(-pk));
}

/* largest Hamming distance s - 2c of a pair with popcount sum s whose exact score reaches t,
 * or -1 if no c in [0, s/2] reaches it (the score depends on s and c only) */
static int64_t hamming_at(uint64_t s, double t)
{
    uint64_t lo = 0, hi = s / 2 + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (tznr__dice(mid, s - s / 2, s / 2) >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo <= s / 2 ? (int64_t)(s - 2 * lo) : -1;
}

tznr_error_t tznr_lsh_agreement_bound(double *out, double threshold, size_t filter_bits,
                                      uint64_t max_popcount_sum)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    if (filter_bits == 0 || filter_bits > MAX_BITS || max_popcount_sum > 2 * (uint64_t)filter_bits)
        return tznr__err(TZNR_EINVAL, "filter length %zu bits or popcount sum %llu out of range",
                         filter_bits, (unsigned long long)max_popcount_sum);
    int64_t hmax = 0;
    for (uint64_t s = 0; s <= max_popcount_sum; s++) {
        int64_t h = hamming_at(s, threshold);
        if (h > hmax)
            hmax = h;
    }
    double p = 1.0 - (double)hmax / (double)filter_bits;
    *out = p < 0.0 ? 0.0 : p;
    return TZNR_OK;
}

/* popcount histograms of A and B */
typedef struct popstats {
    size_t bits;
    uint64_t na, nb, maxa, maxb;
    uint64_t *ha, *hb;   /* bits + 1 bins each */
} popstats;

static void popstats_free(popstats *ps)
{
    tznr__free(ps->ha);
    tznr__free(ps->hb);
}

static tznr_error_t popstats_get(popstats *ps, const tznr_clkset_t *a, const tznr_clkset_t *b)
{
    memset(ps, 0, sizeof *ps);
    if (!a || !b)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    size_t bits = tznr_clkset_filter_bits(a);
    if (bits != tznr_clkset_filter_bits(b))
        return tznr__err(TZNR_EBUFSIZE, "filters of A have %zu bits, filters of B have %zu",
                         bits, tznr_clkset_filter_bits(b));
    ps->na = tznr_clkset_count(a);
    ps->nb = tznr_clkset_count(b);
    if (bits == 0 || ps->na == 0 || ps->nb == 0)
        return tznr__err(TZNR_EINVAL, "no filters to choose LSH parameters from");
    ps->bits = bits;
    ps->ha = tznr__calloc(bits + 1, sizeof *ps->ha);
    ps->hb = tznr__calloc(bits + 1, sizeof *ps->hb);
    if (!ps->ha || !ps->hb) {
        popstats_free(ps);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    const tznr__kernel *kern = tznr__kernel_get();
    const size_t words = bits / 64;
    for (size_t i = 0; i < ps->na; i++) {
        uint64_t p = kern->popcount((const tznr__w64 *)(const void *)tznr_clkset_get(a, i), NULL, words);
        ps->ha[p]++;
        ps->maxa = p > ps->maxa ? p : ps->maxa;
    }
    for (size_t j = 0; j < ps->nb; j++) {
        uint64_t p = kern->popcount((const tznr__w64 *)(const void *)tznr_clkset_get(b, j), NULL, words);
        ps->hb[p]++;
        ps->maxb = p > ps->maxb ? p : ps->maxb;
    }
    return TZNR_OK;
}

/* the mean-at-threshold model: per popcount x, the weight of x in A and B together and the
 * agreement probability of a pair at the threshold with popcounts (x, x); x with no such
 * pair are left out */
typedef struct mean_model {
    size_t n;
    double *w, *p;
} mean_model;

static tznr_error_t mean_model_get(mean_model *mm, const popstats *ps, double t)
{
    mm->n = 0;
    mm->w = tznr__calloc(ps->bits + 1, sizeof *mm->w);
    mm->p = tznr__calloc(ps->bits + 1, sizeof *mm->p);
    if (!mm->w || !mm->p)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    double total = 0;
    for (size_t x = 0; x <= ps->bits; x++) {
        uint64_t cnt = ps->ha[x] + ps->hb[x];
        int64_t h = cnt ? hamming_at(2 * (uint64_t)x, t) : -1;
        if (h < 0)
            continue;
        mm->w[mm->n] = (double)cnt;
        double p = 1.0 - (double)h / (double)ps->bits;
        mm->p[mm->n++] = p < 0 ? 0 : p;
        total += (double)cnt;
    }
    for (size_t i = 0; i < mm->n; i++)
        mm->w[i] /= total;
    return TZNR_OK;
}

static double mean_recall(const mean_model *mm, unsigned k, unsigned tables)
{
    double r = 0;
    for (size_t i = 0; i < mm->n; i++)
        r += mm->w[i] * tznr_lsh_candidate_probability(mm->p[i], k, tables);
    return mm->n ? r : 1.0;   /* no pair can reach the threshold: nothing to miss */
}

tznr_error_t tznr_lsh_recall(double *every_pair, double *mean_at_threshold,
                             const tznr_clkset_t *a, const tznr_clkset_t *b, double threshold,
                             unsigned k, unsigned tables)
{
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    if (k < 1 || k > TZNR_LSH_MAX_K || tables < 1)
        return tznr__err(TZNR_EINVAL, "LSH K = %u or tables = %u out of range", k, tables);
    popstats ps;
    tznr_error_t rc = popstats_get(&ps, a, b);
    if (rc)
        return rc;
    double pmin;
    rc = tznr_lsh_agreement_bound(&pmin, threshold, ps.bits, ps.maxa + ps.maxb);
    if (!rc && every_pair)
        *every_pair = tznr_lsh_candidate_probability(pmin, k, tables);
    if (!rc && mean_at_threshold) {
        mean_model mm = {0, NULL, NULL};
        rc = mean_model_get(&mm, &ps, threshold);
        if (!rc)
            *mean_at_threshold = mean_recall(&mm, k, tables);
        tznr__free(mm.w);
        tznr__free(mm.p);
    }
    popstats_free(&ps);
    return rc;
}

/* Measured costs on the development machine (bench/README.md), in ns: keying and bucketing
 * one record for one table, and one comparison of a candidate pair. */
#define COST_RECORD 17.0
#define COST_COMPARE 75.0

/* smallest number of tables reaching `recall` with per-table probability pk, or 0 if more
 * than the maximum */
static unsigned tables_for(double pk, double recall)
{
    if (pk >= 1.0)
        return 1;
    if (pk <= 0.0)
        return 0;
    double l = ceil(log1p(-recall) / log1p(-pk));
    if (!(l <= TZNR_LSH_MAX_TABLES))
        return 0;
    unsigned n = l < 1 ? 1 : (unsigned)l;
    /* guard against rounding in the logarithms: step until the bound holds */
    while (n > 1 && tznr_lsh_candidate_probability(pk, 1, n - 1) >= recall)
        n--;
    while (n <= TZNR_LSH_MAX_TABLES && tznr_lsh_candidate_probability(pk, 1, n) < recall)
        n++;
    return n <= TZNR_LSH_MAX_TABLES ? n : 0;
}

/* smallest number of tables whose mean recall reaches `recall`, or 0 */
static unsigned tables_for_mean(const mean_model *mm, unsigned k, double recall)
{
    if (mean_recall(mm, k, TZNR_LSH_MAX_TABLES) < recall)
        return 0;
    unsigned lo = 1, hi = TZNR_LSH_MAX_TABLES;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (mean_recall(mm, k, mid) >= recall)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* E[q^K] for K = 1..64 over random pairs, q = dA dB + (1-dA)(1-dB), from the histograms
 * merged into at most 256 bins a side */
static void random_agreement(double eq[TZNR_LSH_MAX_K + 1], const popstats *ps)
{
    enum { BINS = 256 };
    double wa[BINS] = {0}, wb[BINS] = {0}, da[BINS] = {0}, db[BINS] = {0};
    const size_t width = ps->bits / BINS + 1;
    for (size_t x = 0; x <= ps->bits; x++) {
        wa[x / width] += (double)ps->ha[x];
        da[x / width] += (double)ps->ha[x] * (double)x;
        wb[x / width] += (double)ps->hb[x];
        db[x / width] += (double)ps->hb[x] * (double)x;
    }
    for (int i = 0; i < BINS; i++) {   /* mean density of each bin */
        da[i] = wa[i] > 0 ? da[i] / wa[i] / (double)ps->bits : 0;
        db[i] = wb[i] > 0 ? db[i] / wb[i] / (double)ps->bits : 0;
    }
    for (unsigned k = 0; k <= TZNR_LSH_MAX_K; k++)
        eq[k] = 0;
    const double norm = (double)ps->na * (double)ps->nb;
    for (int i = 0; i < BINS; i++) {
        if (wa[i] == 0)
            continue;
        for (int j = 0; j < BINS; j++) {
            if (wb[j] == 0)
                continue;
            double q = da[i] * db[j] + (1 - da[i]) * (1 - db[j]), w = wa[i] * wb[j] / norm, pw = 1;
            for (unsigned k = 1; k <= TZNR_LSH_MAX_K; k++) {
                pw *= q;
                eq[k] += w * pw;
            }
        }
    }
}

tznr_error_t tznr_lsh_choose(unsigned *k, unsigned *tables, const tznr_clkset_t *a,
                             const tznr_clkset_t *b, double threshold, double recall,
                             tznr_lsh_goal_t goal)
{
    if (!k || !tables)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    if (!(recall > 0.0 && recall < 1.0))
        return tznr__err(TZNR_EINVAL, "target recall must be a number in (0, 1)");
    if (goal != TZNR_LSH_EVERY_PAIR && goal != TZNR_LSH_MEAN_AT_THRESHOLD)
        return tznr__err(TZNR_EINVAL, "unknown LSH goal %d", (int)goal);
    popstats ps;
    tznr_error_t rc = popstats_get(&ps, a, b);
    if (rc)
        return rc;
    double pmin = 0, eq[TZNR_LSH_MAX_K + 1];
    mean_model mm = {0, NULL, NULL};
    rc = tznr_lsh_agreement_bound(&pmin, threshold, ps.bits, ps.maxa + ps.maxb);
    if (!rc && goal == TZNR_LSH_MEAN_AT_THRESHOLD)
        rc = mean_model_get(&mm, &ps, threshold);
    random_agreement(eq, &ps);
    double best_cost = INFINITY;
    unsigned best_k = 0, best_l = 0;
    for (unsigned kk = 1; !rc && kk <= TZNR_LSH_MAX_K; kk++) {
        unsigned l = goal == TZNR_LSH_EVERY_PAIR ? tables_for(pow(pmin, (double)kk), recall)
                                                 : tables_for_mean(&mm, kk, recall);
        if (!l)
            continue;
        double cost = (double)l * ((double)(ps.na + ps.nb) * COST_RECORD +
                                   (double)ps.na * (double)ps.nb * eq[kk] * COST_COMPARE);
        if (cost < best_cost) {
            best_cost = cost;
            best_k = kk;
            best_l = l;
        }
    }
    tznr__free(mm.w);
    tznr__free(mm.p);
    popstats_free(&ps);
    if (rc)
        return rc;
    if (!best_k)
        return tznr__err(TZNR_EINVAL, "no LSH parameters reach recall %g at threshold %g with at "
                         "most %u tables (per-bit agreement bound %.4f): use exhaustive search",
                         recall, threshold, TZNR_LSH_MAX_TABLES, pmin);
    *k = best_k;
    *tables = best_l;
    return TZNR_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Search                                                                               */

/* a[r] bit k <- a[k] bit r (Warren, Hacker's Delight, 2nd ed., section 7-3, for 64 bits) */
static void transpose64(uint64_t a[64])
{
    uint64_t m = 0x00000000FFFFFFFFull;
    for (unsigned j = 32; j; j >>= 1, m ^= m << j)
        for (unsigned k = 0; k < 64; k = (k + j + 1) & ~j) {
            uint64_t t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
        }
}

/* bit columns of n filters: col[hb * nblk + blk] bit r = host bit hb of filter 64 blk + r */
typedef struct columns {
    uint64_t *col;
    size_t n, nblk;
} columns;

typedef struct col_job {
    columns *c;
    const uint8_t *data;
    size_t words, bytes;
} col_job;

static void *build_columns(void *arg)
{
    col_job *j = arg;
    columns *c = j->c;
    uint64_t a[8][64];
    for (size_t g = 0; g < c->nblk; g += 8) {   /* 8 blocks at a time: 64-byte writes */
        size_t nbk = c->nblk - g < 8 ? c->nblk - g : 8;
        for (size_t w = 0; w < j->words; w++) {
            for (size_t bk = 0; bk < nbk; bk++) {
                for (size_t r = 0; r < 64; r++) {
                    size_t i = (g + bk) * 64 + r;
                    if (i < c->n)
                        memcpy(&a[bk][r], j->data + i * j->bytes + 8 * w, 8);
                    else
                        a[bk][r] = 0;
                }
                transpose64(a[bk]);
            }
            for (size_t bit = 0; bit < 64; bit++) {
                uint64_t *dst = c->col + (64 * w + bit) * c->nblk + g;
                for (size_t bk = 0; bk < nbk; bk++)
                    dst[bk] = a[bk][bit];
            }
        }
    }
    return NULL;
}

typedef struct worker_scratch {
    uint64_t *ent, *tmp;   /* na + nb entries each */
    uint32_t *cand;        /* CAND_BATCH (a, b, popcount a, popcount b) */
    size_t *start;         /* 2 << MSD_BITS + 1 bucket offsets */
    uint32_t *head;        /* hash join: 2 (na + nb) slot heads */
    uint32_t *chain;       /* hash join: na + nb links */
} worker_scratch;

#define CAND_BATCH 4096
#define PREFETCH_AHEAD 16

typedef struct lsh_ctx {
    const tznr_lsh_t *lsh;
    const tznr__kernel *kern;
    const uint8_t *adata, *bdata;
    size_t na, nb, bytes, words;
    double t;
    unsigned rowbits, popbits, keyroom;   /* entry fields (popbits 0: popcounts not packed) */
    int gfni;              /* keys transposed with GFNI (with the avx512 kernel only) */
    columns ca, cb;
    uint32_t *pa, *pb;     /* popcounts */
    uint32_t *ylo, *yhi;   /* exact popcount bound (tznr__reach_tables) */
    worker_scratch *scratch;
} lsh_ctx;

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_GFNI_VARIANT 1
#define TGFNI __attribute__((target("avx512f,avx512bw,avx512vbmi,gfni")))
/* transpose64() with AVX-512 VBMI and GFNI: the 64 x 64 bit matrix as 8 x 8 tiles of 8 x 8
 * bits. VPERMB gathers each tile into a 64-bit lane (rows reversed), GF2P8AFFINEQB with the
 * unit vectors transposes the bits of each tile (the lane is the matrix of the affine map),
 * an 8 x 8 transpose of lanes across the 8 registers moves the tiles, and VPERMB puts the
 * bytes of each output row in order. About one instruction per row instead of eighteen. */
TGFNI __attribute__((always_inline)) static inline void transpose64_gfni(uint64_t a[64])
{
    /* [8J + i] = 8(7 - i) + J */
    static const uint8_t gather[64] = {
        56, 48, 40, 32, 24, 16, 8, 0, 57, 49, 41, 33, 25, 17, 9, 1,
        58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3,
        60, 52, 44, 36, 28, 20, 12, 4, 61, 53, 45, 37, 29, 21, 13, 5,
        62, 54, 46, 38, 30, 22, 14, 6, 63, 55, 47, 39, 31, 23, 15, 7
    };
    /* [8i + J] = 8J + i */
    static const uint8_t order[64] = {
        0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57,
        2, 10, 18, 26, 34, 42, 50, 58, 3, 11, 19, 27, 35, 43, 51, 59,
        4, 12, 20, 28, 36, 44, 52, 60, 5, 13, 21, 29, 37, 45, 53, 61,
        6, 14, 22, 30, 38, 46, 54, 62, 7, 15, 23, 31, 39, 47, 55, 63
    };
    const __m512i p1 = _mm512_loadu_si512((const void *)gather);
    const __m512i p2 = _mm512_loadu_si512((const void *)order);
    const __m512i unit = _mm512_set1_epi64((long long)0x8040201008040201ull);   /* bytes 1 << m */
    __m512i z[8], p[8], r[8], u[8];
    for (int i = 0; i < 8; i++)
        z[i] = _mm512_gf2p8affine_epi64_epi8(unit,
                   _mm512_permutexvar_epi8(p1, _mm512_loadu_si512((const void *)(a + 8 * i))), 0);
    for (int i = 0; i < 8; i += 2) {
        p[i] = _mm512_unpacklo_epi64(z[i], z[i + 1]);
        p[i + 1] = _mm512_unpackhi_epi64(z[i], z[i + 1]);
    }
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int i = 0; i < 8; i++)
        if (!(i & 2)) {
            r[i] = _mm512_permutex2var_epi64(p[i], lo, p[i + 2]);
            r[i + 2] = _mm512_permutex2var_epi64(p[i], hi, p[i + 2]);
        }
    for (int i = 0; i < 4; i++) {
        u[i] = _mm512_shuffle_i64x2(r[i], r[i + 4], 0x44);
        u[i + 4] = _mm512_shuffle_i64x2(r[i], r[i + 4], 0xEE);
    }
    for (int j = 0; j < 8; j++)
        _mm512_storeu_si512((void *)(a + 8 * j), _mm512_permutexvar_epi8(p2, u[j]));
}
#endif

/* packed entry: key << (popbits + rowbits + 1) | side << (popbits + rowbits) |
 * popcount << rowbits | row (the popcount field only when popbits > 0); counts the entries
 * per value of bits [hs, hs + log2(dmask + 1)) in hist */
#define MAKE_KEYS_BODY(TRANSPOSE)                                                             \
    const tznr_lsh_t *l = c->lsh;                                                             \
    const unsigned nd = l->keybits[t];                                                        \
    const uint32_t *hp = l->hpos + t * l->k;                                                  \
    const unsigned sh = c->popbits + c->rowbits + 1;                                          \
    const uint64_t pmask = c->popbits ? ~(uint64_t)0 : 0;                                     \
    const int hashed = nd > c->keyroom;                                                       \
    uint64_t a[64];                                                                           \
    for (size_t blk = 0; blk < cs->nblk; blk++) {                                             \
        for (unsigned k = 0; k < nd; k++)                                                     \
            a[k] = cs->col[(size_t)hp[k] * cs->nblk + blk];                                   \
        for (unsigned k = nd; k < 64; k++)                                                    \
            a[k] = 0;                                                                         \
        TRANSPOSE(a);                                                                         \
        size_t r0 = blk * 64, rn = cs->n - r0 < 64 ? cs->n - r0 : 64;                         \
        for (size_t r = 0; r < rn; r++) {                                                     \
            uint64_t key = hashed ? (a[r] * 0x9E3779B97F4A7C15ull) >> (64 - c->keyroom) : a[r]; \
            uint64_t v = key << sh | side << (sh - 1) |                                       \
                         ((pop[r0 + r] & pmask) << c->rowbits) | (r0 + r);                    \
            ent[r0 + r] = v;                                                                  \
            hist[(v >> hs) & dmask]++;                                                        \
        }                                                                                     \
    }

static void make_keys_plain(const lsh_ctx *c, size_t t, const columns *cs, uint64_t side,
                            const uint32_t *pop, uint64_t *ent, size_t *hist, unsigned hs,
                            uint64_t dmask)
{
    MAKE_KEYS_BODY(transpose64)
}

#ifdef HAVE_GFNI_VARIANT
TGFNI static void make_keys_gfni(const lsh_ctx *c, size_t t, const columns *cs, uint64_t side,
                                 const uint32_t *pop, uint64_t *ent, size_t *hist, unsigned hs,
                                 uint64_t dmask)
{
    MAKE_KEYS_BODY(transpose64_gfni)
}
#endif

static void make_keys(const lsh_ctx *c, size_t t, const columns *cs, uint64_t side,
                      const uint32_t *pop, uint64_t *ent, size_t *hist, unsigned hs,
                      uint64_t dmask)
{
#ifdef HAVE_GFNI_VARIANT
    if (c->gfni) {
        make_keys_gfni(c, t, cs, side, pop, ent, hist, hs, dmask);
        return;
    }
#endif
    make_keys_plain(c, t, cs, side, pop, ent, hist, hs, dmask);
}

#define MSD_BITS 10

/* do x and y agree on every sampled bit of table u? */
static int agree(const tznr_lsh_t *l, size_t u, const tznr__w64 *x, const tznr__w64 *y)
{
    const uint32_t *wi = l->wi + u * l->stride;
    const uint64_t *wm = l->wm + u * l->stride;
    uint64_t diff = 0;
    for (uint32_t j = 0; j < l->nw[u]; j++)
        diff |= (x[wi[j]] ^ y[wi[j]]) & wm[j];
    return diff == 0;
}

/* The 8 words of x starting at its first 64-byte boundary, if they lie inside the filter:
 * the part of a pair read first. */
static size_t part_start(const void *x, size_t words)
{
    size_t w0 = (size_t)(-(uintptr_t)x & 63) / 8;
    return words >= 16 && w0 + 8 <= words ? w0 : SIZE_MAX;
}

/* Score a batch of candidates (a, b, pa, pb) of table t; keep the new pairs >= t. Random
 * pairs are rejected from one cache line of each filter: with c8 the AND-popcount of 8
 * words and x8, y8 their popcounts, c <= c8 + min(pa - x8, pb - y8), and the score is
 * monotone in c, so a bound below t is exact. The lines are prefetched a few pairs ahead. */
static tznr_error_t verify(const lsh_ctx *c, size_t t, const uint32_t *cand, size_t m,
                           int hashed, tznr__pairbuf *out, uint64_t *comps)
{
    const tznr_lsh_t *l = c->lsh;
    const size_t words = c->words;
    for (size_t i = 0; i < m; i++) {
        if (i + PREFETCH_AHEAD < m) {
            const uint8_t *px = c->adata + (size_t)cand[4 * (i + PREFETCH_AHEAD)] * c->bytes;
            const uint8_t *py = c->bdata + (size_t)cand[4 * (i + PREFETCH_AHEAD) + 1] * c->bytes;
            size_t w0 = part_start(px, words);
            if (w0 == SIZE_MAX) {
                __builtin_prefetch(px);
                __builtin_prefetch(py);
            } else {
                __builtin_prefetch(px + 8 * w0);
                __builtin_prefetch(py + 8 * w0);
                __builtin_prefetch(py + 8 * w0 + 63);
            }
        }
        const uint32_t ai = cand[4 * i], bi = cand[4 * i + 1], pa = cand[4 * i + 2], pb = cand[4 * i + 3];
        const tznr__w64 *x = (const tznr__w64 *)(const void *)(c->adata + (size_t)ai * c->bytes);
        const tznr__w64 *y = (const tznr__w64 *)(const void *)(c->bdata + (size_t)bi * c->bytes);
        ++*comps;
        size_t w0 = part_start(x, words);
        if (w0 != SIZE_MAX) {
            uint64_t c8 = c->kern->and_popcount(x + w0, y + w0, 8);
            uint64_t x8 = c->kern->popcount(x + w0, NULL, 8), y8 = c->kern->popcount(y + w0, NULL, 8);
            uint64_t rx = pa - x8, ry = pb - y8;
            if (tznr__dice(c8 + (rx < ry ? rx : ry), pa, pb) < c->t)
                continue;
        }
        if (hashed && !agree(l, t, x, y))
            continue;   /* equal hashed keys, different keys: not a candidate */
        double sc = tznr__dice(c->kern->and_popcount(x, y, words), pa, pb);
        if (!(sc >= c->t))
            continue;
        int seen = 0;
        for (size_t u = 0; u < t && !seen; u++)
            seen = agree(l, u, x, y);
        if (seen)
            continue;   /* delivered by an earlier table */
        tznr_error_t rc = tznr__pairbuf_push(out, ai, bi, sc);
        if (rc)
            return rc;
    }
    return TZNR_OK;
}

/* Once a table holds TZNR__UNIT_CHUNK new pairs or more (checked after each batch), they
 * are sorted by a then b and handed over as one chunk: one huge bucket (thousands of equal
 * filters) cannot make a table's output, and the memory of the search, grow with the number
 * of its pairs. The batches, hence the chunks, depend only on the data and the index. */
static tznr_error_t chunk_out(tznr__pairbuf *out)
{
    if (out->n < TZNR__UNIT_CHUNK)
        return TZNR_OK;
    tznr__pairs_sort_ab(out->v, out->n);
    return tznr__unit_flush(out);
}

/* The candidates of one bucket e[0, n) (A entries first, then B, as scattered): the A
 * entries are chained in a small hash table on their key, and each B entry walks its chain
 * for equal keys; every (A, B) pair the popcount bound allows is verified, in batches. */
static tznr_error_t join_bucket(const lsh_ctx *c, size_t t, const uint64_t *e, size_t n,
                                int hashed, worker_scratch *ws, size_t *m, tznr__pairbuf *out,
                                uint64_t *cands, uint64_t *comps)
{
    const unsigned low = c->popbits + c->rowbits, sh = low + 1;
    const uint64_t rowmask = ((uint64_t)1 << c->rowbits) - 1;
    const uint64_t popmask = ((uint64_t)1 << c->popbits) - 1;
    size_t na = 0;
    while (na < n && !((e[na] >> low) & 1))
        na++;
    if (na == 0 || na == n)
        return TZNR_OK;   /* one side only */
    unsigned hb = 1;   /* 2 na slots or more, within the 2 (|A| + |B|) allocated */
    while (((size_t)1 << hb) < 2 * na && ((size_t)2 << hb) <= 2 * (c->na + c->nb))
        hb++;
    const size_t slots = (size_t)1 << hb;
    uint32_t *head = ws->head, *chain = ws->chain;
    memset(head, 0xff, slots * sizeof *head);
    for (size_t i = na; i-- > 0;) {   /* chains list A entries in increasing position */
        size_t h = (size_t)(((e[i] >> sh) * 0x9E3779B97F4A7C15ull) >> (64 - hb));
        chain[i] = head[h];
        head[h] = (uint32_t)i;
    }
    uint64_t nc = 0;
    tznr_error_t rc = TZNR_OK;
    for (size_t j = na; !rc && j < n; j++) {
        const uint64_t key = e[j] >> sh;
        const size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - hb));
        for (uint32_t i = head[h]; !rc && i != UINT32_MAX; i = chain[i]) {
            if (e[i] >> sh != key)
                continue;
            nc++;
            const uint32_t ai = (uint32_t)(e[i] & rowmask), bi = (uint32_t)(e[j] & rowmask);
            const uint32_t pav = c->popbits ? (uint32_t)((e[i] >> c->rowbits) & popmask) : c->pa[ai];
            const uint32_t pbv = c->popbits ? (uint32_t)((e[j] >> c->rowbits) & popmask) : c->pb[bi];
            if (pbv < c->ylo[pav] || pbv > c->yhi[pav])
                continue;   /* exact popcount bound: cannot reach t */
            uint32_t *q = ws->cand + 4 * *m;
            q[0] = ai;
            q[1] = bi;
            q[2] = pav;
            q[3] = pbv;
            if (++*m == CAND_BATCH) {
                rc = verify(c, t, ws->cand, *m, hashed, out, comps);
                *m = 0;
                if (!rc)
                    rc = chunk_out(out);
            }
        }
    }
    *cands += nc;
    return rc;
}

/* One table: keys and a histogram of their top bits; one scatter pass by those bits into
 * buckets that stay in cache; then a hash join of A and B within each bucket. */
static tznr_error_t lsh_unit(void *vctx, size_t t, unsigned worker, tznr__pairbuf *out,
                             uint64_t *comparisons, uint64_t *candidates)
{
    const lsh_ctx *c = vctx;
    const tznr_lsh_t *l = c->lsh;
    const size_t n = c->na + c->nb;
    worker_scratch *ws = &c->scratch[worker];
    const int hashed = l->keybits[t] > c->keyroom;
    const unsigned low = c->popbits + c->rowbits;
    const unsigned kbits = hashed ? c->keyroom : l->keybits[t];
    /* the digit takes key bits only: both sides of a key must land in one bucket */
    const unsigned d = kbits < MSD_BITS ? kbits : MSD_BITS, hs = low + 1 + kbits - d;
    const size_t nbk = (size_t)1 << d;
    const uint64_t dmask = nbk - 1;
    size_t *start = ws->start, *next = ws->start + nbk + 1;
    memset(next, 0, nbk * sizeof *next);
    make_keys(c, t, &c->ca, 0, c->pa, ws->ent, next, hs, dmask);
    make_keys(c, t, &c->cb, 1, c->pb, ws->ent + c->na, next, hs, dmask);
    start[0] = 0;
    for (size_t k = 0; k < nbk; k++) {
        start[k + 1] = start[k] + next[k];
        next[k] = start[k];
    }
    for (size_t i = 0; i < n; i++)   /* stable: A entries stay before B in each bucket */
        ws->tmp[next[(ws->ent[i] >> hs) & dmask]++] = ws->ent[i];
    uint64_t cands = 0, comps = 0;
    size_t m = 0;
    tznr_error_t rc = TZNR_OK;
    for (size_t k = 0; !rc && k < nbk; k++) {
        size_t s0 = start[k], cnt = start[k + 1] - s0;
        if (cnt >= 2)
            rc = join_bucket(c, t, ws->tmp + s0, cnt, hashed, ws, &m, out, &cands, &comps);
    }
    if (!rc && m)
        rc = verify(c, t, ws->cand, m, hashed, out, &comps);
    *candidates += cands;
    *comparisons += comps;
    if (!rc)
        tznr__pairs_sort_ab(out->v, out->n);
    return rc;
}

static uint64_t one(void *ctx, size_t unit)
{
    (void)ctx;
    (void)unit;
    return 1;
}

/* with top-k: every table's pairs go to per-record heaps, delivered at the end */
static int topk_collect(const tznr_pair_t *pairs, size_t n, void *user)
{
    tznr__topk *h = user;
    for (size_t i = 0; i < n; i++)
        tznr__topk_push(h, pairs[i].a, pairs[i].a, pairs[i].b, pairs[i].score);
    return 0;
}

static tznr_error_t columns_alloc(columns *cs, size_t n, size_t bits)
{
    cs->n = n;
    cs->nblk = (n + 63) / 64;
    if (cs->nblk > SIZE_MAX / 8 / bits)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    cs->col = tznr__malloc(cs->nblk * bits * 8);
    return cs->col ? TZNR_OK : tznr__err(TZNR_ENOMEM, "out of memory (bit columns of %zu filters)", n);
}

tznr_error_t tznr__lsh_search(const tznr_clkset_t *a, const tznr_clkset_t *b,
                              const tznr_match_options_t *o, tznr_pair_sink_fn sink,
                              void *user, tznr_match_stats_t *st)
{
    const tznr_lsh_t *l = o->lsh;
    const size_t bits = tznr_clkset_filter_bits(a);
    lsh_ctx c;
    memset(&c, 0, sizeof c);
    c.lsh = l;
    c.kern = tznr__kernel_get();
    st->kernel = c.kern->name;
    if (l->bits != bits)
        return tznr__err(TZNR_EINVAL, "the LSH index is for %zu-bit filters, the CLKs have %zu bits",
                         l->bits, bits);
    c.na = tznr_clkset_count(a);
    c.nb = tznr_clkset_count(b);
    if (c.na > UINT32_MAX || c.nb > UINT32_MAX)
        return tznr__err(TZNR_ELIMIT, "LSH blocking handles at most 2^32-1 records a side");
    if (c.na == 0 || c.nb == 0)
        return TZNR_OK;
    c.bytes = bits / 8;
    c.words = bits / 64;
    c.t = o->threshold;
    c.adata = tznr_clkset_get(a, 0);
    c.bdata = tznr_clkset_get(b, 0);
    size_t maxn = c.na > c.nb ? c.na : c.nb;
    c.rowbits = maxn > 1 ? 64u - (unsigned)__builtin_clzll((uint64_t)maxn - 1) : 1u;
    /* popcounts go into the entries when the widest key still fits beside them */
    unsigned maxkb = 0;
    for (unsigned t = 0; t < l->tables; t++)
        maxkb = l->keybits[t] > maxkb ? l->keybits[t] : maxkb;
    c.popbits = 64u - (unsigned)__builtin_clzll((uint64_t)bits);
    if (c.rowbits + c.popbits + 1 + maxkb > 64)
        c.popbits = 0;
    c.keyroom = 64 - 1 - c.rowbits - c.popbits;
#ifdef HAVE_GFNI_VARIANT
    /* tied to the kernel choice, so that forcing another kernel also tests the plain path */
    __builtin_cpu_init();
    c.gfni = strcmp(c.kern->name, "avx512") == 0 && __builtin_cpu_supports("gfni") &&
             __builtin_cpu_supports("avx512vbmi");
#endif
    unsigned threads = tznr__threads(o->threads, l->tables);
    st->threads = threads;
    const size_t n = c.na + c.nb;
    tznr__topk heaps;
    memset(&heaps, 0, sizeof heaps);
    tznr_error_t rc = TZNR_OK;
    c.pa = tznr__calloc(c.na, sizeof *c.pa);
    c.pb = tznr__calloc(c.nb, sizeof *c.pb);
    c.ylo = tznr__calloc(bits + 1, sizeof *c.ylo);
    c.yhi = tznr__calloc(bits + 1, sizeof *c.yhi);
    c.scratch = tznr__calloc(threads, sizeof *c.scratch);
    if (!c.pa || !c.pb || !c.ylo || !c.yhi || !c.scratch)
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
    for (unsigned w = 0; !rc && w < threads; w++) {
        worker_scratch *ws = &c.scratch[w];
        ws->ent = n <= SIZE_MAX / 16 ? tznr__malloc(n * 8) : NULL;
        ws->tmp = n <= SIZE_MAX / 16 ? tznr__malloc(n * 8) : NULL;
        ws->cand = tznr__malloc(4 * CAND_BATCH * sizeof *ws->cand);
        ws->start = tznr__malloc(((2u << MSD_BITS) + 1) * sizeof *ws->start);
        ws->head = n <= SIZE_MAX / 16 ? tznr__malloc(2 * n * sizeof *ws->head) : NULL;
        ws->chain = n <= SIZE_MAX / 16 ? tznr__malloc(n * sizeof *ws->chain) : NULL;
        if (!ws->ent || !ws->tmp || !ws->cand || !ws->start || !ws->head || !ws->chain)
            rc = tznr__err(TZNR_ENOMEM, "out of memory (LSH buckets of %zu records)", n);
    }
    if (!rc)
        rc = columns_alloc(&c.ca, c.na, bits);
    if (!rc)
        rc = columns_alloc(&c.cb, c.nb, bits);
    if (!rc && o->top_k)
        rc = tznr__topk_init(&heaps, c.na, o->top_k);
    if (!rc) {
        for (size_t i = 0; i < c.na; i++)
            c.pa[i] = (uint32_t)c.kern->popcount((const tznr__w64 *)(const void *)(c.adata + i * c.bytes), NULL, c.words);
        for (size_t j = 0; j < c.nb; j++)
            c.pb[j] = (uint32_t)c.kern->popcount((const tznr__w64 *)(const void *)(c.bdata + j * c.bytes), NULL, c.words);
        tznr__reach_tables(c.ylo, c.yhi, bits, c.t, c.pa, c.na);
        /* the columns of B on a second thread while this one does A */
        col_job ja = {&c.ca, c.adata, c.words, c.bytes}, jb = {&c.cb, c.bdata, c.words, c.bytes};
        pthread_t tid;
        int second = threads > 1 && pthread_create(&tid, NULL, build_columns, &jb) == 0;
        build_columns(&ja);
        if (second)
            pthread_join(tid, NULL);
        else
            build_columns(&jb);
        tznr__job job = {
            .units = l->tables,
            .threads = threads,
            .fn = lsh_unit,
            .ctx = &c,
            .unit_work = one,
            .total_work = l->tables,
            .progress = o->progress,
            .progress_user = o->progress_user,
            .sink = o->top_k ? topk_collect : sink,
            .sink_user = o->top_k ? (void *)&heaps : user,
        };
        rc = tznr__job_run(&job, &st->comparisons, &st->candidates);
    }
    if (!rc && o->top_k) {   /* deliver the heaps, a block of records at a time */
        tznr__pairbuf buf = {0};
        for (size_t r0 = 0; !rc && r0 < c.na; r0 += 4096) {
            size_t r1 = c.na - r0 < 4096 ? c.na : r0 + 4096;
            buf.n = 0;
            rc = tznr__topk_drain(&heaps, r0, r1, &buf);
            if (!rc && buf.n && sink(buf.v, buf.n, user))
                rc = tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
        }
        tznr__pairbuf_free(&buf);
    }
    tznr__topk_free(&heaps);
    if (c.scratch)
        for (unsigned w = 0; w < threads; w++) {
            tznr__free(c.scratch[w].ent);
            tznr__free(c.scratch[w].tmp);
            tznr__free(c.scratch[w].cand);
            tznr__free(c.scratch[w].start);
            tznr__free(c.scratch[w].head);
            tznr__free(c.scratch[w].chain);
        }
    tznr__free(c.scratch);
    tznr__free(c.ca.col);
    tznr__free(c.cb.col);
    tznr__free(c.pa);
    tznr__free(c.pb);
    tznr__free(c.ylo);
    tznr__free(c.yhi);
    return rc;
}
