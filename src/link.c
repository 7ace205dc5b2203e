/* Probabilistic linkage on containers: comparison vectors from field-level Dice, EM on
 * pattern counts, links, 1:1 assignment, clusters, posterior-based estimates, report. */
#include "tznr/link.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <xxhash.h>
#include "alloc.h"
#include "error.h"
#include "fileio.h"
#include "fs_internal.h"
#include "json.h"
#include "kernels/kernels.h"

#define MAXF 64
#define PAIR_LIMIT (UINT64_C(1) << 32)
#define PROGRESS_EVERY (UINT64_C(1) << 20)

struct tznr_linker {
    double threshold;
    unsigned max_iter;
    double tol;
    double prefilter;
    tznr_fs_model_t *model;
    int fix_m, fix_u;
    uint64_t u_pairs, seed;
    tznr_progress_fn progress;
    void *user;
    unsigned threads;
    uint64_t max_links;   /* 0: no limit */
};

typedef struct link {
    uint64_t a, b;
    double p, w;
} link_t;

struct tznr_link_result {
    const tznr_container_t *a, *b;
    int dedupe;
    tznr_fs_model_t *model;
    unsigned iters;
    double change;
    int converged;
    uint64_t pairs, patterns;
    link_t *links;
    size_t n_links, cap;
    double threshold, est_precision, est_recall, em_seconds;
    uint64_t *cluster;
    size_t n_rows;
};

tznr_error_t tznr_linker_new(tznr_linker_t **out)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_linker_t *lk = tznr__calloc(1, sizeof *lk);
    if (!lk)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    lk->threshold = 0.5;
    lk->max_iter = 1000;
    lk->tol = 1e-6;
    lk->max_links = TZNR_LINK_DEFAULT_MAX_LINKS;
    *out = lk;
    return TZNR_OK;
}

void tznr_linker_free(tznr_linker_t *lk)
{
    if (!lk)
        return;
    tznr_fs_model_free(lk->model);
    tznr__free(lk);
}

tznr_error_t tznr_linker_set_threshold(tznr_linker_t *lk, double p)
{
    if (!lk || !(p > 0.0 && p < 1.0))
        return tznr__err(TZNR_EINVAL, "the match probability threshold must be in (0, 1)");
    lk->threshold = p;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_em(tznr_linker_t *lk, unsigned max_iterations, double tolerance)
{
    if (!lk || max_iterations == 0 || !(tolerance > 0))
        return tznr__err(TZNR_EINVAL, "max_iterations must be >= 1 and tolerance > 0");
    lk->max_iter = max_iterations;
    lk->tol = tolerance;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_prefilter(tznr_linker_t *lk, double min_dice)
{
    if (!lk || !(min_dice >= 0.0 && min_dice <= 1.0))
        return tznr__err(TZNR_EINVAL, "the prefilter Dice threshold must be in [0, 1]");
    lk->prefilter = min_dice;
    return TZNR_OK;
}

static tznr_error_t copy_model(tznr_fs_model_t **out, const tznr_fs_model_t *src)
{
    size_t nf = tznr_fs_model_fields(src), np = 0;
    uint8_t L[MAXF];
    for (size_t f = 0; f < nf; f++)
        np += L[f] = (uint8_t)tznr_fs_model_levels(src, f);
    double lambda, *m = tznr__calloc(np, sizeof *m), *u = tznr__calloc(np, sizeof *u);
    tznr_error_t rc = !m || !u ? tznr__err(TZNR_ENOMEM, "out of memory") : TZNR_OK;
    if (!rc)
        rc = tznr_fs_model_get_params(src, &lambda, m, u);
    if (!rc)
        rc = tznr_fs_model_new(out, nf, L);
    if (!rc && (rc = tznr_fs_model_set_params(*out, lambda, m, u))) {
        tznr_fs_model_free(*out);
        *out = NULL;
    }
    tznr__free(m);
    tznr__free(u);
    return rc;
}

tznr_error_t tznr_linker_set_model(tznr_linker_t *lk, const tznr_fs_model_t *model, int fix_m, int fix_u)
{
    if (!lk)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_fs_model_free(lk->model);
    lk->model = NULL;
    lk->fix_m = lk->fix_u = 0;
    if (!model)
        return TZNR_OK;
    tznr_error_t rc = copy_model(&lk->model, model);
    if (rc)
        return rc;
    lk->fix_m = fix_m != 0;
    lk->fix_u = fix_u != 0;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_u_from_random(tznr_linker_t *lk, uint64_t n_pairs, uint64_t seed)
{
    if (!lk)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    lk->u_pairs = n_pairs;
    lk->seed = seed;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_threads(tznr_linker_t *lk, unsigned threads)
{
    if (!lk || threads > 64)
        return tznr__err(TZNR_EINVAL, "threads must be 0 (all cores) to 64");
    lk->threads = threads;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_max_links(tznr_linker_t *lk, uint64_t max_links)
{
    if (!lk)
        return tznr__err(TZNR_EINVAL, "NULL linker");
    lk->max_links = max_links;
    return TZNR_OK;
}

tznr_error_t tznr_linker_set_progress(tznr_linker_t *lk, tznr_progress_fn fn, void *user)
{
    if (!lk)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    lk->progress = fn;
    lk->user = user;
    return TZNR_OK;
}

/* ---- comparison ---------------------------------------------------------------------- */

typedef struct side {
    const tznr_container_t *c;
    size_t n, nf, flen, clen;
    uint32_t *pop;      /* n * nf field popcounts */
    uint32_t *cpop;     /* n CLK popcounts */
} side;

/* Comparison columns: one per field, except that the fields of a linkage group form one
 * column (columns in the order of their first field). */
typedef struct layout {
    size_t nf;                      /* columns (entries of a comparison vector) */
    double thr[MAXF][TZNR_FS_MAX_LEVELS];
    unsigned nthr[MAXF];
    int grouped;                    /* some column has several fields */
    unsigned nmem[MAXF];            /* fields of each column */
    uint8_t mem[MAXF][MAXF];        /* their indices, in field order */
} layout;

/* AND-popcounts through the dispatched kernel (src/kernels: scalar, POPCNT, AVX2, AVX-512) */
static uint64_t popc(const uint8_t *f, size_t len)
{
    return tznr__kernel_get()->popcount((const tznr__w64 *)f, (const tznr__w64 *)f, len / 8);
}

static uint64_t and_popc(const uint8_t *a, const uint8_t *b, size_t len)
{
    return tznr__kernel_get()->and_popcount((const tznr__w64 *)a, (const tznr__w64 *)b, len / 8);
}

static tznr_error_t side_init(side *s, const tznr_container_t *c)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->n = tznr_container_count(c);
    s->nf = tznr_container_field_count(c);
    s->flen = tznr_container_field_bits(c) / 8;
    s->clen = tznr_container_clk_bits(c) / 8;
    s->pop = tznr__calloc(s->n * s->nf + 1, sizeof *s->pop);
    s->cpop = tznr__calloc(s->n + 1, sizeof *s->cpop);
    if (!s->pop || !s->cpop)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t r = 0; r < s->n; r++) {
        for (size_t f = 0; f < s->nf; f++)
            s->pop[r * s->nf + f] = (uint32_t)popc(tznr_container_field_filter(c, r, f), s->flen);
        s->cpop[r] = (uint32_t)popc(tznr_container_clk(c, r), s->clen);
    }
    return TZNR_OK;
}

static void side_free(side *s)
{
    tznr__free(s->pop);
    tznr__free(s->cpop);
}

static unsigned level_of(const layout *L, size_t col, double d)
{
    unsigned l = 0;
    while (l < L->nthr[col] && d < L->thr[col][l])
        l++;
    return l;
}

/* A column of several fields: the best Dice over every cross pair (a.x, b.y) of its fields
 * where both filters are non-empty; missing when there is no such pair. */
static uint8_t compare_group(const layout *L, size_t col, const side *A, size_t i, const side *B,
                             size_t j)
{
    const uint32_t *pa = A->pop + i * A->nf, *pb = B->pop + j * B->nf;
    double best = -1.0;
    for (unsigned x = 0; x < L->nmem[col]; x++) {
        unsigned fx = L->mem[col][x];
        if (!pa[fx])
            continue;
        const uint8_t *fa = tznr_container_field_filter(A->c, i, fx);
        for (unsigned y = 0; y < L->nmem[col]; y++) {
            unsigned fy = L->mem[col][y];
            if (!pb[fy])
                continue;
            uint64_t c = and_popc(fa, tznr_container_field_filter(B->c, j, fy), A->flen);
            double d = (double)(2 * c) / (double)(pa[fx] + pb[fy]);
            if (d > best)
                best = d;
        }
        if (best >= L->thr[col][0])
            break;   /* the top level: no other pair can do better */
    }
    return best < 0 ? TZNR_FS_MISSING : (uint8_t)level_of(L, col, best);
}

/* kept out of line: the loop without groups below stays as small as it was */
__attribute__((noinline)) static void compare_pair_grouped(uint8_t *g, const layout *L,
                                                           const side *A, size_t i,
                                                           const side *B, size_t j)
{
    for (size_t col = 0; col < L->nf; col++) {
        if (L->nmem[col] > 1) {
            g[col] = compare_group(L, col, A, i, B, j);
            continue;
        }
        unsigned f = L->mem[col][0];
        uint32_t pa = A->pop[i * A->nf + f], pb = B->pop[j * B->nf + f];
        if (!pa || !pb) {
            g[col] = TZNR_FS_MISSING;
            continue;
        }
        uint64_t c = and_popc(tznr_container_field_filter(A->c, i, f),
                              tznr_container_field_filter(B->c, j, f), A->flen);
        g[col] = (uint8_t)level_of(L, col, (double)(2 * c) / (double)(pa + pb));
    }
}

static void compare_pair(uint8_t *g, const layout *L, const side *A, size_t i, const side *B, size_t j)
{
    if (__builtin_expect(L->grouped, 0)) {
        compare_pair_grouped(g, L, A, i, B, j);
        return;
    }
    for (size_t f = 0; f < L->nf; f++) {
        uint32_t pa = A->pop[i * A->nf + f], pb = B->pop[j * B->nf + f];
        if (!pa || !pb) {   /* an empty field filter is a missing value: never agreement */
            g[f] = TZNR_FS_MISSING;
            continue;
        }
        uint64_t c = and_popc(tznr_container_field_filter(A->c, i, f),
                              tznr_container_field_filter(B->c, j, f), A->flen);
        double d = (double)(2 * c) / (double)(pa + pb);
        unsigned l = 0;
        while (l < L->nthr[f] && d < L->thr[f][l])
            l++;
        g[f] = (uint8_t)l;
    }
}

static int passes_prefilter(double min, const side *A, size_t i, const side *B, size_t j)
{
    if (min <= 0)
        return 1;
    uint32_t s = A->cpop[i] + B->cpop[j];
    if (!s)
        return 0;
    uint64_t c = and_popc(tznr_container_clk(A->c, i), tznr_container_clk(B->c, j), A->clen);
    return (double)(2 * c) / (double)s >= min;
}

/* the comparison columns of a container (fields grouped by linkage group) */
static tznr_error_t columns_of(layout *L, const tznr_container_t *c)
{
    size_t nfield = tznr_container_field_count(c);
    memset(L, 0, sizeof *L);
    if (nfield == 0 || nfield > MAXF)
        return tznr__err(TZNR_EINVAL, "%zu fields: a container has 1 to %d", nfield, MAXF);
    for (size_t f = 0; f < nfield; f++) {
        const char *g = tznr_container_field_group(c, f);
        size_t col = L->nf;
        for (size_t k = 0; g && k < L->nf; k++) {
            const char *h = tznr_container_field_group(c, L->mem[k][0]);
            if (h && strcmp(g, h) == 0)
                col = k;
        }
        if (col == L->nf) {
            L->nf++;
            L->nthr[col] = (unsigned)tznr_container_field_levels(c, f, L->thr[col], TZNR_FS_MAX_LEVELS);
            if (L->nthr[col] == 0 || L->nthr[col] + 1 > TZNR_FS_MAX_LEVELS)
                return tznr__err(TZNR_EINVAL, "field %zu: bad level count", f);
        } else {
            L->grouped = 1;
        }
        L->mem[col][L->nmem[col]++] = (uint8_t)f;
    }
    return TZNR_OK;
}

static tznr_error_t check_layouts(layout *L, const tznr_container_t *a, const tznr_container_t *b)
{
    uint8_t fa[32], fb[32];
    if (tznr_container_fingerprint(a, fa, 32) || tznr_container_fingerprint(b, fb, 32))
        return tznr__err(TZNR_EINVAL, "NULL container");
    if (memcmp(fa, fb, 32) != 0)
        return tznr__err(TZNR_EINVAL, "the two containers were made with different linkage "
                         "schemas (schema fingerprints differ)");
    size_t nfield = tznr_container_field_count(a);
    if (nfield != tznr_container_field_count(b) || nfield > MAXF ||
        tznr_container_field_bits(a) != tznr_container_field_bits(b) ||
        tznr_container_clk_bits(a) != tznr_container_clk_bits(b))
        return tznr__err(TZNR_EINVAL, "the two containers have different layouts");
    for (size_t f = 0; f < nfield; f++) {
        const char *ga = tznr_container_field_group(a, f), *gb = tznr_container_field_group(b, f);
        if (!ga != !gb || (ga && strcmp(ga, gb) != 0))
            return tznr__err(TZNR_EINVAL, "the two containers have different linkage groups "
                             "(field %zu)", f);
    }
    return columns_of(L, a);
}

size_t tznr_link_column_count(const tznr_container_t *c)
{
    layout L;
    if (!c || columns_of(&L, c))
        return 0;
    return L.nf;
}

const char *tznr_link_column_name(const tznr_container_t *c, size_t col)
{
    layout L;
    if (!c || columns_of(&L, c) || col >= L.nf)
        return NULL;
    size_t f = L.mem[col][0];
    return L.nmem[col] > 1 ? tznr_container_field_group(c, f) : tznr_container_field_name(c, f);
}

size_t tznr_link_column_fields(const tznr_container_t *c, size_t col, size_t *fields, size_t cap)
{
    layout L;
    if (!c || columns_of(&L, c) || col >= L.nf)
        return 0;
    for (size_t k = 0; fields && k < L.nmem[col] && k < cap; k++)
        fields[k] = L.mem[col][k];
    return L.nmem[col];
}

tznr_error_t tznr_link_compare(uint8_t *gamma, const tznr_container_t *a, size_t ai,
                               const tznr_container_t *b, size_t bi)
{
    if (!gamma || !a || !b)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (ai >= tznr_container_count(a) || bi >= tznr_container_count(b))
        return tznr__err(TZNR_EINVAL, "row out of range");
    layout L;
    tznr_error_t rc = check_layouts(&L, a, b);
    if (rc)
        return rc;
    side A = {0}, B = {0};
    /* single pair: popcounts of just these rows */
    size_t nfield = tznr_container_field_count(a);
    uint32_t pa[MAXF], pb[MAXF], ca = 0, cb = 0;
    for (size_t f = 0; f < nfield; f++) {
        pa[f] = (uint32_t)popc(tznr_container_field_filter(a, ai, f), tznr_container_field_bits(a) / 8);
        pb[f] = (uint32_t)popc(tznr_container_field_filter(b, bi, f), tznr_container_field_bits(b) / 8);
    }
    A.c = a;
    A.nf = B.nf = nfield;
    A.flen = B.flen = tznr_container_field_bits(a) / 8;
    B.c = b;
    /* point the popcount tables so that row ai / bi land on pa / pb */
    A.pop = pa - ai * nfield;
    B.pop = pb - bi * nfield;
    A.cpop = &ca;
    B.cpop = &cb;
    compare_pair(gamma, &L, &A, ai, &B, bi);
    return TZNR_OK;
}

/* ---- the run ------------------------------------------------------------------------- */

/* Dense local pattern table of one worker: gamma -> id (0, 1, ...), with counts. */
typedef struct ptab {
    size_t nf, n, cap, dcap;
    uint8_t *keys;      /* cap * nf (hash slots) */
    uint32_t *slot;     /* cap: 0 = empty, else id + 1 */
    uint8_t *pat;       /* dcap * nf: gamma of each id */
    uint64_t *cnt;      /* dcap */
} ptab;

static void ptab_free(ptab *t)
{
    tznr__free(t->keys);
    tznr__free(t->slot);
    tznr__free(t->pat);
    tznr__free(t->cnt);
    memset(t, 0, sizeof *t);
}

static int ptab_grow(ptab *t)
{
    size_t cap = t->cap ? 2 * t->cap : 1024;
    uint8_t *keys = tznr__calloc(cap, t->nf);
    uint32_t *slot = tznr__calloc(cap, sizeof *slot);
    if (!keys || !slot) {
        tznr__free(keys);
        tznr__free(slot);
        return 0;
    }
    for (size_t id = 0; id < t->n; id++) {
        const uint8_t *g = t->pat + id * t->nf;
        size_t h = (size_t)XXH3_64bits(g, t->nf) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)id + 1;
        memcpy(keys + h * t->nf, g, t->nf);
    }
    tznr__free(t->keys);
    tznr__free(t->slot);
    t->keys = keys;
    t->slot = slot;
    t->cap = cap;
    return 1;
}

/* id of gamma, inserted with count 0 when new; UINT32_MAX when out of memory */
static uint32_t ptab_id(ptab *t, const uint8_t *g)
{
    if (2 * (t->n + 1) > t->cap && !ptab_grow(t))
        return UINT32_MAX;
    size_t h = (size_t)XXH3_64bits(g, t->nf) & (t->cap - 1);
    while (t->slot[h]) {
        if (memcmp(t->keys + h * t->nf, g, t->nf) == 0)
            return t->slot[h] - 1;
        h = (h + 1) & (t->cap - 1);
    }
    if (t->n == t->dcap) {
        size_t dcap = t->dcap ? 2 * t->dcap : 256;
        uint8_t *pat = tznr__realloc(t->pat, dcap * t->nf);
        if (!pat)
            return UINT32_MAX;
        t->pat = pat;
        uint64_t *cnt = tznr__realloc(t->cnt, dcap * sizeof *cnt);
        if (!cnt)
            return UINT32_MAX;
        t->cnt = cnt;
        t->dcap = dcap;
    }
    uint32_t id = (uint32_t)t->n++;
    memcpy(t->pat + (size_t)id * t->nf, g, t->nf);
    t->cnt[id] = 0;
    t->slot[h] = id + 1;
    memcpy(t->keys + h * t->nf, g, t->nf);
    return id;
}

#define CACHE_FILTERED UINT16_MAX            /* pair left out by the prefilter */
#define CACHE_MAX_PAIRS (UINT64_C(1) << 28)  /* 512 MiB of uint16 at most */

typedef struct run run;

typedef struct worker {
    run *r;
    size_t i0, i1;          /* rows of A */
    ptab pt;
    uint64_t compared;
    int cache_ok;           /* every id of this worker fitted in the uint16 cache */
    double *prob, *weight;  /* per local id (pass 2) */
    link_t *links;
    size_t n_links, cap_links;
    tznr_error_t rc;
    char err[512];
} worker;

struct run {
    const tznr_linker_t *lk;
    const layout *L;
    const side *A, *B;
    int dedupe;
    uint64_t total;
    uint16_t *cache;        /* one entry per pair, or NULL */
    double threshold;
    _Atomic uint64_t done;
    _Atomic int cancel;
    unsigned nthreads;
    worker *w;
};

static uint64_t pair_index(const run *r, size_t i, size_t j)
{
    if (!r->dedupe)
        return (uint64_t)i * r->B->n + j;
    uint64_t n = r->A->n;
    return (uint64_t)i * n - (uint64_t)i * (i + 1) / 2 + (j - i - 1);
}

static void worker_fail(worker *w, tznr_error_t rc)
{
    w->rc = rc;
    snprintf(w->err, sizeof w->err, "%s", tznr_last_error_message());
    w->r->cancel = 1;
}

/* pass 1 (mode 0): count patterns; pass 2 (mode 1): links above the threshold */
static void worker_pass(worker *w, int mode)
{
    run *r = w->r;
    uint8_t g[MAXF];
    uint64_t since = 0;
    const double pre = r->lk->prefilter;
    for (size_t i = w->i0; i < w->i1 && !w->rc; i++) {
        if (r->cancel)
            return;
        size_t j0 = r->dedupe ? i + 1 : 0;
        uint64_t k = r->cache ? pair_index(r, i, j0) : 0;
        for (size_t j = j0; j < r->B->n; j++, k++) {
            uint32_t id;
            if (mode == 1 && r->cache && w->cache_ok) {
                uint16_t c = r->cache[k];
                if (c == CACHE_FILTERED)
                    continue;
                id = c;
            } else {
                if (!passes_prefilter(pre, r->A, i, r->B, j)) {
                    if (mode == 0 && r->cache)
                        r->cache[k] = CACHE_FILTERED;
                    continue;
                }
                compare_pair(g, r->L, r->A, i, r->B, j);
                id = ptab_id(&w->pt, g);
                if (id == UINT32_MAX) {
                    worker_fail(w, tznr__err(TZNR_ENOMEM, "out of memory"));
                    return;
                }
            }
            if (mode == 0) {
                w->pt.cnt[id]++;
                w->compared++;
                if (r->cache) {
                    if (id >= CACHE_FILTERED)
                        w->cache_ok = 0;
                    else
                        r->cache[k] = (uint16_t)id;
                }
            } else if (w->prob[id] >= r->threshold) {
                if (w->n_links == w->cap_links) {   /* counted exactly in pass 1 */
                    worker_fail(w, tznr__err(TZNR_ESTATE, "internal error: more links than counted"));
                    return;
                }
                w->links[w->n_links++] = (link_t){i, j, w->prob[id], w->weight[id]};
            }
        }
        since += r->B->n - j0;
        if (since >= 4096) {
            r->done += since;
            since = 0;
        }
    }
    r->done += since;
}

typedef struct pass_arg {
    worker *w;
    int mode;
} pass_arg;

static void *pass_main(void *arg)
{
    pass_arg *a = arg;
    worker_pass(a->w, a->mode);
    return NULL;
}

/* run one pass on all workers; the calling thread runs worker 0 and reports progress */
static tznr_error_t run_pass(run *r, int mode)
{
    pthread_t th[64];
    pass_arg args[64];
    unsigned started = 0;
    for (unsigned t = 1; t < r->nthreads; t++) {
        args[t] = (pass_arg){&r->w[t], mode};
        if (pthread_create(&th[t], NULL, pass_main, &args[t]) != 0)
            break;
        started = t;
    }
    /* rows of workers that could not be started are done by worker 0 afterwards */
    worker_pass(&r->w[0], mode);
    for (unsigned t = started + 1; t < r->nthreads && !r->cancel; t++)
        worker_pass(&r->w[t], mode);
    if (r->lk->progress && r->lk->progress(r->done, 2 * r->total, r->lk->user))
        r->cancel = 1;
    for (unsigned t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    for (unsigned t = 0; t < r->nthreads; t++)
        if (r->w[t].rc)
            return tznr__err(r->w[t].rc, "%s", r->w[t].err);
    if (r->cancel)
        return tznr__err(TZNR_ESTATE, "cancelled by the progress callback");
    return TZNR_OK;
}

static void split_rows(run *r)
{
    /* equal numbers of pairs per worker (dedupe rows have fewer pairs as i grows) */
    size_t n = r->A->n, t = 0, i = 0;
    uint64_t per = r->total / r->nthreads + 1, acc = 0;
    r->w[0].i0 = 0;
    for (i = 0; i < n && t + 1 < r->nthreads; i++) {
        acc += r->dedupe ? n - i - 1 : r->B->n;
        if (acc >= per * (t + 1)) {
            r->w[t].i1 = i + 1;
            r->w[++t].i0 = i + 1;
        }
    }
    r->w[t].i1 = n;
    for (unsigned k = t + 1; k < r->nthreads; k++)
        r->w[k].i0 = r->w[k].i1 = n;
}

static unsigned pick_threads(unsigned requested)
{
    long n = requested ? (long)requested : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* Before pass 2, from the pattern counts of pass 1 and the probabilities: the exact number
 * of links, refused early (nothing allocated for them) beyond the linker's limit; then one
 * array of exactly that many in the result, each worker filling its own slice, in order. */
static tznr_error_t links_alloc(run *r, tznr_link_result_t *res)
{
    uint64_t total = 0;
    for (unsigned t = 0; t < r->nthreads; t++) {
        worker *w = &r->w[t];
        uint64_t n = 0;
        for (size_t id = 0; id < w->pt.n; id++)
            if (w->prob[id] >= r->threshold)
                n += w->pt.cnt[id];
        w->cap_links = (size_t)n;
        total += n;
    }
    const uint64_t max = r->lk->max_links;
    if (max && total > max) {
        char what[160];
        if (r->dedupe)
            snprintf(what, sizeof what, "deduplication of %zu records", r->A->n);
        else
            snprintf(what, sizeof what, "linkage of %zu x %zu records", r->A->n, r->B->n);
        return tznr__err(TZNR_ELIMIT, "%s: %llu of the %llu pairs compared in one block "
                         "(CLK Dice prefilter %g) reach match probability %g: more than the "
                         "limit of %llu links (max links, about 64 bytes each); use a finer "
                         "blocking (a higher prefilter) or a higher threshold, or raise the "
                         "limit", what, (unsigned long long)total,
                         (unsigned long long)res->pairs, r->lk->prefilter, r->threshold,
                         (unsigned long long)max);
    }
    if (total > SIZE_MAX / sizeof *res->links - 1)
        return tznr__err(TZNR_ENOMEM, "out of memory (%llu links)", (unsigned long long)total);
    res->links = tznr__malloc(((size_t)total + 1) * sizeof *res->links);
    if (!res->links)
        return tznr__err(TZNR_ENOMEM, "out of memory (%llu links)", (unsigned long long)total);
    res->cap = (size_t)total;
    size_t off = 0;
    for (unsigned t = 0; t < r->nthreads; t++) {
        r->w[t].links = res->links + off;
        off += r->w[t].cap_links;
    }
    return TZNR_OK;
}

/* Both passes. Fills res->pairs, res->patterns, the model (EM), the links and `expected`. */
static tznr_error_t run_linkage(run *r, tznr_link_result_t *res, tznr_fs_patterns_t *pat,
                                double *expected)
{
    tznr_error_t rc = TZNR_OK;
    r->nthreads = pick_threads(r->lk->threads);
    if (r->A->n < 2 * r->nthreads)
        r->nthreads = 1;
    r->w = tznr__calloc(r->nthreads, sizeof *r->w);
    if (!r->w)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (unsigned t = 0; t < r->nthreads; t++) {
        r->w[t].r = r;
        r->w[t].pt.nf = r->L->nf;
        r->w[t].cache_ok = 1;
    }
    split_rows(r);
    if (r->total <= CACHE_MAX_PAIRS)
        r->cache = tznr__malloc(r->total * sizeof *r->cache);   /* optional: NULL = recompute */
    if ((rc = run_pass(r, 0)))
        goto done;
    for (unsigned t = 0; t < r->nthreads && !rc; t++) {
        res->pairs += r->w[t].compared;
        for (size_t id = 0; id < r->w[t].pt.n && !rc; id++)
            rc = tznr_fs_patterns_add(pat, r->w[t].pt.pat + id * r->L->nf, r->w[t].pt.cnt[id]);
    }
    if (rc)
        goto done;
    res->patterns = tznr_fs_patterns_distinct(pat);
    if (res->pairs == 0) {
        rc = tznr__err(TZNR_EINVAL, "no candidate pair to compare");
        goto done;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = tznr_fs_em(res->model, pat, r->lk->max_iter, r->lk->tol, &res->iters, &res->change,
                    &res->converged);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->em_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc ||
        (rc = tznr__fs_expected_matches(res->model, pat, expected)))
        goto done;
    /* probability and weight of every local pattern */
    for (unsigned t = 0; t < r->nthreads && !rc; t++) {
        worker *w = &r->w[t];
        w->prob = tznr__calloc(w->pt.n + 1, sizeof *w->prob);
        w->weight = tznr__calloc(w->pt.n + 1, sizeof *w->weight);
        if (!w->prob || !w->weight)
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
        for (size_t id = 0; id < w->pt.n && !rc; id++)
            rc = tznr_fs_score(&w->weight[id], &w->prob[id], NULL, res->model,
                               w->pt.pat + id * r->L->nf);
    }
    if (rc || (rc = links_alloc(r, res)) || (rc = run_pass(r, 1)))
        goto done;
    for (unsigned t = 0; t < r->nthreads && !rc; t++) {
        if (r->w[t].n_links != r->w[t].cap_links)
            rc = tznr__err(TZNR_ESTATE, "internal error: fewer links than counted");
        res->n_links += r->w[t].n_links;
    }
done:
    for (unsigned t = 0; t < r->nthreads; t++) {
        ptab_free(&r->w[t].pt);
        tznr__free(r->w[t].prob);
        tznr__free(r->w[t].weight);   /* (links: slices of res->links) */
    }
    tznr__free(r->w);
    tznr__free(r->cache);
    return rc;
}

/* u from random pairs (counter-based generator: XXH3 of a counter, seeded) */
static tznr_error_t u_from_random(run *r, tznr_fs_model_t *md)
{
    const size_t nf = r->L->nf;
    double cnt[MAXF][TZNR_FS_MAX_LEVELS] = {{0}}, tot[MAXF] = {0};
    uint8_t g[MAXF];
    if (r->A->n == 0 || r->B->n == 0 || (r->dedupe && r->A->n < 2))
        return tznr__err(TZNR_EINVAL, "not enough records to draw random pairs");
    for (uint64_t k = 0; k < r->lk->u_pairs; k++) {
        uint64_t x = XXH3_64bits_withSeed(&k, sizeof k, r->lk->seed);
        size_t i = (size_t)((x >> 32) % r->A->n), j = (size_t)((x & 0xffffffffu) % r->B->n);
        if (r->dedupe && i == j)
            continue;
        compare_pair(g, r->L, r->A, i, r->B, j);
        for (size_t f = 0; f < nf; f++)
            if (g[f] != TZNR_FS_MISSING) {
                cnt[f][g[f]] += 1;
                tot[f] += 1;
            }
    }
    size_t np = 0;
    for (size_t f = 0; f < nf; f++)
        np += tznr_fs_model_levels(md, f);
    double *u = tznr__calloc(np, sizeof *u), lambda;
    if (!u)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    size_t o = 0;
    for (size_t f = 0; f < nf; f++) {
        size_t Lf = tznr_fs_model_levels(md, f);
        for (size_t l = 0; l < Lf; l++)
            u[o + l] = (cnt[f][l] + 0.5) / (tot[f] + 0.5 * (double)Lf);   /* Jeffreys prior */
        o += Lf;
    }
    tznr_error_t rc = tznr_fs_model_get_params(md, &lambda, NULL, NULL);
    if (!rc)
        rc = tznr_fs_model_set_params(md, lambda, NULL, u);
    if (!rc)
        rc = tznr_fs_model_fix(md, r->lk->model ? r->lk->fix_m : 0, 1);
    tznr__free(u);
    return rc;
}

static int link_cmp_weight(const void *x, const void *y)
{
    const link_t *p = x, *q = y;
    if (p->w != q->w)
        return p->w > q->w ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

static uint64_t uf_find(uint64_t *parent, uint64_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static tznr_error_t do_link(tznr_link_result_t **out, const tznr_linker_t *lk,
                            const tznr_container_t *a, const tznr_container_t *b, int dedupe)
{
    if (out)
        *out = NULL;
    if (!out || !lk || !a || !b)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    layout L;
    tznr_error_t rc = check_layouts(&L, a, b);
    if (rc)
        return rc;
    side A, B;
    tznr_link_result_t *res = tznr__calloc(1, sizeof *res);
    tznr_fs_patterns_t *pat = NULL;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    if (!res) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    res->a = a;
    res->b = b;
    res->dedupe = dedupe;
    res->threshold = lk->threshold;
    if ((rc = side_init(&A, a)) || (!dedupe && (rc = side_init(&B, b))))
        goto done;
    const side *Bp = dedupe ? &A : &B;
    run r;
    memset(&r, 0, sizeof r);
    r.lk = lk;
    r.L = &L;
    r.A = &A;
    r.B = Bp;
    r.dedupe = dedupe;
    r.threshold = lk->threshold;
    r.total = dedupe ? (uint64_t)A.n * (A.n ? A.n - 1 : 0) / 2 : (uint64_t)A.n * Bp->n;
    if (r.total > PAIR_LIMIT && lk->prefilter <= 0) {
        rc = tznr__err(TZNR_ELIMIT, "%llu pairs to compare: more than 2^32 without blocking; set "
                       "a CLK Dice prefilter", (unsigned long long)r.total);
        goto done;
    }
    /* the model: given by the user, or defaults with the containers' level counts */
    uint8_t nl[MAXF];
    for (size_t f = 0; f < L.nf; f++)
        nl[f] = (uint8_t)(L.nthr[f] + 1);
    if (lk->model) {
        if (tznr_fs_model_fields(lk->model) != L.nf) {
            rc = tznr__err(TZNR_EINVAL, "the model has %zu fields, the containers %zu",
                           tznr_fs_model_fields(lk->model), L.nf);
            goto done;
        }
        for (size_t f = 0; f < L.nf; f++)
            if (tznr_fs_model_levels(lk->model, f) != nl[f]) {
                rc = tznr__err(TZNR_EINVAL, "field %zu: the model has %zu levels, the schema %u",
                               f, tznr_fs_model_levels(lk->model, f), nl[f]);
                goto done;
            }
        if ((rc = copy_model(&res->model, lk->model)) ||
            (rc = tznr_fs_model_fix(res->model, lk->fix_m, lk->fix_u)))
            goto done;
    } else if ((rc = tznr_fs_model_new(&res->model, L.nf, nl))) {
        goto done;
    }
    if (lk->u_pairs && (rc = u_from_random(&r, res->model)))
        goto done;
    double expected = 0;
    if ((rc = tznr_fs_patterns_new(&pat, L.nf)) || (rc = run_linkage(&r, res, pat, &expected)))
        goto done;
    qsort(res->links, res->n_links, sizeof *res->links, link_cmp_weight);
    if (!dedupe) {
        /* greedy 1:1 in decreasing weight */
        unsigned char *ua = tznr__calloc(A.n + 1, 1), *ub = tznr__calloc(Bp->n + 1, 1);
        if (!ua || !ub) {
            tznr__free(ua);
            tznr__free(ub);
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto done;
        }
        size_t w = 0;
        for (size_t k = 0; k < res->n_links; k++) {
            link_t *l = &res->links[k];
            if (ua[l->a] || ub[l->b])
                continue;
            ua[l->a] = ub[l->b] = 1;
            res->links[w++] = *l;
        }
        res->n_links = w;
        tznr__free(ua);
        tznr__free(ub);
    } else {
        res->n_rows = A.n;
        res->cluster = tznr__calloc(A.n + 1, sizeof *res->cluster);
        if (!res->cluster) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < A.n; k++)
            res->cluster[k] = k;
        for (size_t k = 0; k < res->n_links; k++) {
            uint64_t x = uf_find(res->cluster, res->links[k].a), y = uf_find(res->cluster, res->links[k].b);
            if (x != y) {   /* the lower row becomes the root: representative = first record */
                if (x < y)
                    res->cluster[y] = x;
                else
                    res->cluster[x] = y;
            }
        }
        for (size_t k = 0; k < A.n; k++)
            res->cluster[k] = uf_find(res->cluster, k);
    }
    double fp = 0, tp = 0;
    for (size_t k = 0; k < res->n_links; k++) {
        fp += 1.0 - res->links[k].p;
        tp += res->links[k].p;
    }
    res->est_precision = res->n_links ? 1.0 - fp / (double)res->n_links : 1.0;
    res->est_recall = expected > 0 ? fmin(1.0, tp / expected) : 0.0;
    if (lk->progress)
        lk->progress(2 * r.total, 2 * r.total, lk->user);
    *out = res;
    res = NULL;
done:
    tznr_fs_patterns_free(pat);
    side_free(&A);
    side_free(&B);
    tznr_link_result_free(res);
    return rc;
}

tznr_error_t tznr_link_two(tznr_link_result_t **out, const tznr_linker_t *lk,
                           const tznr_container_t *a, const tznr_container_t *b)
{
    return do_link(out, lk, a, b, 0);
}

tznr_error_t tznr_link_dedupe(tznr_link_result_t **out, const tznr_linker_t *lk,
                              const tznr_container_t *a)
{
    return do_link(out, lk, a, a, 1);
}

void tznr_link_result_free(tznr_link_result_t *res)
{
    if (!res)
        return;
    tznr_fs_model_free(res->model);
    tznr__free(res->links);
    tznr__free(res->cluster);
    tznr__free(res);
}

size_t tznr_link_result_count(const tznr_link_result_t *res) { return res ? res->n_links : 0; }

tznr_error_t tznr_link_result_get(const tznr_link_result_t *res, size_t i, uint64_t *a_row,
                                  uint64_t *b_row, double *probability, double *weight)
{
    if (!res || i >= res->n_links)
        return tznr__err(TZNR_EINVAL, "NULL result or index out of range");
    const link_t *l = &res->links[i];
    if (a_row)
        *a_row = l->a;
    if (b_row)
        *b_row = l->b;
    if (probability)
        *probability = l->p;
    if (weight)
        *weight = l->w;
    return TZNR_OK;
}

const tznr_fs_model_t *tznr_link_result_model(const tznr_link_result_t *res)
{
    return res ? res->model : NULL;
}

tznr_error_t tznr_link_result_stats(const tznr_link_result_t *res, unsigned *iterations,
                                    double *last_change, int *converged, uint64_t *pairs,
                                    uint64_t *patterns)
{
    if (!res)
        return tznr__err(TZNR_EINVAL, "NULL result");
    if (iterations)
        *iterations = res->iters;
    if (last_change)
        *last_change = res->change;
    if (converged)
        *converged = res->converged;
    if (pairs)
        *pairs = res->pairs;
    if (patterns)
        *patterns = res->patterns;
    return TZNR_OK;
}

tznr_error_t tznr_link_result_estimates(const tznr_link_result_t *res, double *precision,
                                        double *recall)
{
    if (!res)
        return tznr__err(TZNR_EINVAL, "NULL result");
    if (precision)
        *precision = res->est_precision;
    if (recall)
        *recall = res->est_recall;
    return TZNR_OK;
}

uint64_t tznr_link_result_cluster(const tznr_link_result_t *res, uint64_t row)
{
    if (!res || !res->cluster || row >= res->n_rows)
        return UINT64_MAX;
    return res->cluster[row];
}

/* output order: probability descending, then a_id, then b_id (byte order) */
typedef struct out_link {
    const char *ida, *idb;
    double p, w;
} out_link;

static int link_cmp_output(const void *x, const void *y)
{
    const out_link *p = x, *q = y;
    if (p->p != q->p)
        return p->p > q->p ? -1 : 1;
    int c = strcmp(p->ida, q->ida);
    return c ? c : strcmp(p->idb, q->idb);
}

/* CSV field: quoted when it holds a comma, quote or line break (RFC 4180) */
static int put_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return fputs(s, fp) >= 0;
    if (fputc('"', fp) == EOF)
        return 0;
    for (; *s; s++)
        if ((*s == '"' && fputc('"', fp) == EOF) || fputc(*s, fp) == EOF)
            return 0;
    return fputc('"', fp) != EOF;
}

static void fmt_double(char *buf, size_t n, double x)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
}

tznr_error_t tznr_link_result_write_links(const tznr_link_result_t *res, const char *path, int force)
{
    if (!res || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    out_link *v = tznr__malloc((res->n_links + 1) * sizeof *v);
    if (!v)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t k = 0; k < res->n_links; k++)
        v[k] = (out_link){tznr_container_id(res->a, res->links[k].a, NULL),
                          tznr_container_id(res->b, res->links[k].b, NULL), res->links[k].p,
                          res->links[k].w};
    qsort(v, res->n_links, sizeof *v, link_cmp_output);
    tznr__out o;
    tznr_error_t rc = tznr__out_open(&o, path, force);
    if (rc) {
        tznr__free(v);
        return rc;
    }
    int ok = fputs("a_id,b_id,match_probability,match_weight\n", o.fp) >= 0;
    for (size_t k = 0; ok && k < res->n_links; k++) {
        char p[40], w[40];
        fmt_double(p, sizeof p, v[k].p);
        fmt_double(w, sizeof w, v[k].w);
        ok = put_field(o.fp, v[k].ida) && fputc(',', o.fp) != EOF && put_field(o.fp, v[k].idb) &&
             fprintf(o.fp, ",%s,%s\n", p, w) > 0;
    }
    tznr__free(v);
    if (!ok) {
        tznr__out_abort(&o);
        return tznr__err(TZNR_EIO, "%s: write failed", path);
    }
    return tznr__out_commit(&o);
}

tznr_error_t tznr_link_result_write_clusters(const tznr_link_result_t *res, const char *path, int force)
{
    if (!res || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (!res->dedupe)
        return tznr__err(TZNR_EINVAL, "clusters exist only for a deduplication");
    tznr__out o;
    tznr_error_t rc = tznr__out_open(&o, path, force);
    if (rc)
        return rc;
    int ok = fputs("id,cluster_id\n", o.fp) >= 0;
    for (size_t r = 0; ok && r < res->n_rows; r++)
        ok = put_field(o.fp, tznr_container_id(res->a, r, NULL)) && fputc(',', o.fp) != EOF &&
             put_field(o.fp, tznr_container_id(res->a, res->cluster[r], NULL)) &&
             fputc('\n', o.fp) != EOF;
    if (!ok) {
        tznr__out_abort(&o);
        return tznr__err(TZNR_EIO, "%s: write failed", path);
    }
    return tznr__out_commit(&o);
}

tznr_error_t tznr_link_result_write_report(const tznr_link_result_t *res, const char *path, int force)
{
    if (!res || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    const tznr_container_t *c = res->a;
    double lambda;
    size_t nf = tznr_fs_model_fields(res->model), np = 0;
    for (size_t f = 0; f < nf; f++)
        np += tznr_fs_model_levels(res->model, f);
    double *m = tznr__calloc(np + 1, sizeof *m), *u = tznr__calloc(np + 1, sizeof *u);
    json_t *root = NULL, *fields = NULL;
    tznr_error_t rc = (!m || !u) ? tznr__err(TZNR_ENOMEM, "out of memory") : TZNR_OK;
    if (!rc)
        rc = tznr_fs_model_get_params(res->model, &lambda, m, u);
    if (!rc && !(fields = json_array()))
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
    layout L;
    if (!rc && (rc = columns_of(&L, c)) == TZNR_OK && L.nf != nf)
        rc = tznr__err(TZNR_EINVAL, "the model has %zu fields, the containers %zu", nf, L.nf);
    size_t o = 0;
    for (size_t f = 0; !rc && f < nf; f++) {
        const double *thr = L.thr[f];
        size_t nt = L.nthr[f];
        json_t *levels = json_array();
        for (size_t l = 0; levels && l <= nt; l++) {
            char label[48];
            if (l < nt)
                snprintf(label, sizeof label, "dice >= %g", thr[l]);
            else
                snprintf(label, sizeof label, "else");
            double w = log2(m[o + l] / u[o + l]);
            json_array_append_new(levels, json_pack("{s:s, s:f, s:f, s:f}", "level", label,
                                                    "m", m[o + l], "u", u[o + l], "match_weight", w));
        }
        json_array_append_new(levels, json_pack("{s:s, s:f}", "level", "missing", "match_weight", 0.0));
        json_t *members = NULL;   /* a linkage group: the fields compared together */
        for (unsigned k = 0; L.nmem[f] > 1 && k < L.nmem[f]; k++) {
            if (!members)
                members = json_array();
            json_array_append_new(members, json_string(tznr_container_field_name(c, L.mem[f][k])));
        }
        json_array_append_new(fields, json_pack("{s:s, s:b, s:o, s:o*}", "name",
                                                tznr_link_column_name(c, f), "informative",
                                                tznr_fs_model_field_informative(res->model, f) == 1,
                                                "levels", levels, "members", members));
        o += nt + 1;
    }
    if (!rc) {
        root = json_pack("{s:s, s:f, s:f, s:f, s:{s:i, s:f, s:b, s:f}, s:I, s:I, s:I, s:{s:f, s:f}, s:o}",
                         "task", res->dedupe ? "dedupe" : "link",
                         "match_probability_threshold", res->threshold,
                         "lambda", lambda, "prior_match_weight", log2(lambda / (1 - lambda)),
                         "em", "iterations", (int)res->iters, "final_change", res->change,
                         "converged", res->converged, "seconds", res->em_seconds,
                         "pairs_compared", (json_int_t)res->pairs,
                         "distinct_patterns", (json_int_t)res->patterns,
                         "links", (json_int_t)res->n_links,
                         "estimated", "precision", res->est_precision, "recall", res->est_recall,
                         "fields", fields);
        fields = NULL;
        if (!root)
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
    }
    json_decref(fields);
    tznr__free(m);
    tznr__free(u);
    if (rc) {
        json_decref(root);
        return rc;
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    tznr__out out;
    if ((rc = tznr__out_open(&out, path, force))) {
        free(text);
        return rc;
    }
    int ok = fputs(text, out.fp) >= 0 && fputc('\n', out.fp) != EOF;
    free(text);
    if (!ok) {
        tznr__out_abort(&out);
        return tznr__err(TZNR_EIO, "%s: write failed", path);
    }
    return tznr__out_commit(&out);
}
