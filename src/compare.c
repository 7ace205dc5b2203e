/* Popcount, Dice coefficient, exhaustive candidate search, top-k, greedy 1:1 solver.
 * Scalar reference implementation (anonlink 0.15 semantics). */
#include "tznr/compare.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "alloc.h"
#include "error.h"
#include "fileio.h"

typedef struct cand {
    uint64_t a, b;
    double score;
} cand;

struct tznr_candidates {
    cand *v;
    size_t n, cap;
};

static uint64_t popcount_words(const uint8_t *f, size_t len)
{
    uint64_t c = 0;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w;
        memcpy(&w, f + i, 8);
        c += (uint64_t)__builtin_popcountll(w);
    }
    return c;
}

static uint64_t and_popcount(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint64_t c = 0;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        c += (uint64_t)__builtin_popcountll(x & y);
    }
    return c;
}

/* The one definition of the score: 2c / (pa + pb) in double; 0 when both are empty. */
static double dice_from_counts(uint64_t c, uint64_t pa, uint64_t pb)
{
    uint64_t s = pa + pb;
    return s ? (double)(2 * c) / (double)s : 0.0;
}

static int bad_len(size_t len) { return len == 0 || len % 8 != 0; }

tznr_error_t tznr_filter_popcount(uint64_t *out, const uint8_t *filter, size_t filter_len)
{
    if (!out || !filter)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (bad_len(filter_len))
        return tznr__err(TZNR_EINVAL, "filter length %zu bytes is not a positive multiple of 8",
                         filter_len);
    *out = popcount_words(filter, filter_len);
    return TZNR_OK;
}

tznr_error_t tznr_filter_dice(double *out, const uint8_t *a, const uint8_t *b, size_t filter_len)
{
    if (!out || !a || !b)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (bad_len(filter_len))
        return tznr__err(TZNR_EINVAL, "filter length %zu bytes is not a positive multiple of 8",
                         filter_len);
    *out = dice_from_counts(and_popcount(a, b, filter_len), popcount_words(a, filter_len),
                            popcount_words(b, filter_len));
    return TZNR_OK;
}

static int bad_threshold(double t) { return !(t >= 0.0 && t <= 1.0); }

/* Order: score descending, then a ascending, then b ascending. */
static int cand_cmp(const void *x, const void *y)
{
    const cand *p = x, *q = y;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return 0;
}

tznr_error_t tznr_candidates_new(tznr_candidates_t **out)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    *out = tznr__calloc(1, sizeof **out);
    return *out ? TZNR_OK : tznr__err(TZNR_ENOMEM, "out of memory");
}

void tznr_candidates_free(tznr_candidates_t *c)
{
    if (!c)
        return;
    tznr__free(c->v);
    tznr__free(c);
}

static tznr_error_t push(tznr_candidates_t *c, uint64_t a, uint64_t b, double s)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof(cand))
            return tznr__err(TZNR_ENOMEM, "out of memory");
        cand *v = tznr__realloc(c->v, cap * sizeof *v);
        if (!v)
            return tznr__err(TZNR_ENOMEM, "out of memory (%zu candidate pairs)", c->n);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (cand){a, b, s};
    return TZNR_OK;
}

tznr_error_t tznr_candidates_add(tznr_candidates_t *c, uint64_t a, uint64_t b, double score)
{
    if (!c)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (bad_threshold(score))
        return tznr__err(TZNR_EINVAL, "score %g is outside [0, 1]", score);
    return push(c, a, b, score);
}

void tznr_candidates_sort(tznr_candidates_t *c)
{
    if (c && c->n > 1)
        qsort(c->v, c->n, sizeof *c->v, cand_cmp);
}

size_t tznr_candidates_count(const tznr_candidates_t *c) { return c ? c->n : 0; }

tznr_error_t tznr_candidates_get(const tznr_candidates_t *c, size_t i, uint64_t *a, uint64_t *b,
                                 double *score)
{
    if (!c)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (i >= c->n)
        return tznr__err(TZNR_EINVAL, "index %zu out of range (%zu pairs)", i, c->n);
    if (a)
        *a = c->v[i].a;
    if (b)
        *b = c->v[i].b;
    if (score)
        *score = c->v[i].score;
    return TZNR_OK;
}

/* True iff no pair with these popcounts can reach t: the best possible intersection is
 * min(pa, pb), and the score is monotone in the intersection, so evaluating the very same
 * expression at c = min(pa, pb) is an exact bound (no rounding can drop a true candidate). */
static int unreachable(uint64_t pa, uint64_t pb, double t)
{
    return dice_from_counts(pa < pb ? pa : pb, pa, pb) < t;
}

tznr_error_t tznr_match_all_pairs(tznr_candidates_t **out, const tznr_clkset_t *a,
                                  const tznr_clkset_t *b, double threshold)
{
    if (out)
        *out = NULL;
    if (!out || !a || !b)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (bad_threshold(threshold))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    size_t bits = tznr_clkset_filter_bits(a);
    if (bits != tznr_clkset_filter_bits(b))
        return tznr__err(TZNR_EBUFSIZE, "filters of A have %zu bits, filters of B have %zu",
                         bits, tznr_clkset_filter_bits(b));
    const size_t len = bits / 8, na = tznr_clkset_count(a), nb = tznr_clkset_count(b);
    uint64_t *pb = tznr__calloc(nb ? nb : 1, sizeof *pb);
    tznr_candidates_t *c = NULL;
    tznr_error_t rc = tznr_candidates_new(&c);
    if (!rc && !pb)
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && j < nb; j++)
        pb[j] = popcount_words(tznr_clkset_get(b, j), len);
    for (size_t i = 0; !rc && i < na; i++) {
        const uint8_t *fa = tznr_clkset_get(a, i);
        uint64_t pa = popcount_words(fa, len);
        for (size_t j = 0; !rc && j < nb; j++) {
            if (unreachable(pa, pb[j], threshold))
                continue;
            double s = dice_from_counts(and_popcount(fa, tznr_clkset_get(b, j), len), pa, pb[j]);
            if (s >= threshold)
                rc = push(c, i, j, s);
        }
    }
    tznr__free(pb);
    if (rc) {
        tznr_candidates_free(c);
        return rc;
    }
    tznr_candidates_sort(c);
    *out = c;
    return TZNR_OK;
}

tznr_error_t tznr_filter_topk(uint64_t *out_ids, double *out_scores, size_t *out_count,
                              const uint8_t *query, const uint8_t *filters, const uint64_t *ids,
                              size_t n, size_t filter_len, double threshold, size_t k)
{
    if (out_count)
        *out_count = 0;
    if (!out_count || !query || (!filters && n) || (k && (!out_ids || !out_scores)))
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (bad_len(filter_len))
        return tznr__err(TZNR_EINVAL, "filter length %zu bytes is not a positive multiple of 8",
                         filter_len);
    if (bad_threshold(threshold))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    if (k == 0 || n == 0)
        return TZNR_OK;
    cand *v = tznr__calloc(n, sizeof *v);
    if (!v)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    const uint64_t pq = popcount_words(query, filter_len);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *f = filters + i * filter_len;
        uint64_t pf = popcount_words(f, filter_len);
        if (unreachable(pq, pf, threshold))
            continue;
        double s = dice_from_counts(and_popcount(query, f, filter_len), pq, pf);
        if (s >= threshold)
            v[m++] = (cand){0, ids ? ids[i] : i, s};
    }
    qsort(v, m, sizeof *v, cand_cmp);   /* a is 0 for all: ties fall to the identifier */
    size_t w = m < k ? m : k;
    for (size_t i = 0; i < w; i++) {
        out_ids[i] = v[i].b;
        out_scores[i] = v[i].score;
    }
    *out_count = w;
    tznr__free(v);
    return TZNR_OK;
}

/* Open-addressing set of uint64 keys (record indices), hashed with xxHash (non-secret). */
typedef struct idset {
    uint64_t *keys;
    unsigned char *used;
    size_t mask;
} idset;

static int idset_init(idset *s, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2 + 1)
        cap *= 2;
    s->keys = tznr__calloc(cap, sizeof *s->keys);
    s->used = tznr__calloc(cap, 1);
    s->mask = cap - 1;
    return s->keys && s->used;
}

static void idset_free(idset *s)
{
    tznr__free(s->keys);
    tznr__free(s->used);
}

/* returns 1 if inserted, 0 if already present */
static int idset_insert(idset *s, uint64_t key)
{
    size_t h = (size_t)XXH3_64bits(&key, sizeof key) & s->mask;
    while (s->used[h]) {
        if (s->keys[h] == key)
            return 0;
        h = (h + 1) & s->mask;
    }
    s->used[h] = 1;
    s->keys[h] = key;
    return 1;
}

static int idset_has(const idset *s, uint64_t key)
{
    size_t h = (size_t)XXH3_64bits(&key, sizeof key) & s->mask;
    while (s->used[h]) {
        if (s->keys[h] == key)
            return 1;
        h = (h + 1) & s->mask;
    }
    return 0;
}

tznr_error_t tznr_solve_greedy(tznr_candidates_t **out, const tznr_candidates_t *cands)
{
    if (out)
        *out = NULL;
    if (!out || !cands)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_candidates_t *sorted = NULL, *links = NULL;
    idset used_a = {0}, used_b = {0};
    tznr_error_t rc = tznr_candidates_new(&sorted);
    if (!rc)
        rc = tznr_candidates_new(&links);
    if (!rc && cands->n) {
        sorted->v = tznr__malloc(cands->n * sizeof *sorted->v);
        if (!sorted->v || !idset_init(&used_a, cands->n) || !idset_init(&used_b, cands->n))
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
        else {
            memcpy(sorted->v, cands->v, cands->n * sizeof *sorted->v);
            sorted->n = sorted->cap = cands->n;
            tznr_candidates_sort(sorted);   /* global order, whatever the input order */
        }
    }
    for (size_t i = 0; !rc && i < sorted->n; i++) {
        const cand *p = &sorted->v[i];
        if (idset_has(&used_a, p->a) || idset_has(&used_b, p->b))
            continue;
        idset_insert(&used_a, p->a);
        idset_insert(&used_b, p->b);
        rc = push(links, p->a, p->b, p->score);
    }
    idset_free(&used_a);
    idset_free(&used_b);
    tznr_candidates_free(sorted);
    if (rc) {
        tznr_candidates_free(links);
        return rc;
    }
    *out = links;
    return TZNR_OK;
}

/* Fewest significant digits that read back to the same double (like Python's repr). */
static void format_score(char *buf, size_t n, double x)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (!strpbrk(buf, ".en"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

tznr_error_t tznr_candidates_write_csv(const tznr_candidates_t *c, const char *path, int force)
{
    if (!c || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr__out o;
    tznr_error_t rc = tznr__out_open(&o, path, force);
    if (rc)
        return rc;
    int ok = fputs("a_index,b_index,score\n", o.fp) >= 0;
    for (size_t i = 0; ok && i < c->n; i++) {
        char s[40];
        format_score(s, sizeof s, c->v[i].score);
        ok = fprintf(o.fp, "%llu,%llu,%s\n", (unsigned long long)c->v[i].a,
                     (unsigned long long)c->v[i].b, s) > 0;
    }
    if (!ok) {
        tznr__out_abort(&o);
        return tznr__err(TZNR_EIO, "%s: write failed", path);
    }
    return tznr__out_commit(&o);
}
