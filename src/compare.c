/* Popcount, Dice coefficient, exhaustive candidate search, top-k, greedy 1:1 solver.
 *
 * The single-pair functions and tznr_filter_topk() are the scalar reference (anonlink 0.15
 * semantics). All-pairs search (tznr_match_stream() and the functions built on it) runs the
 * dispatched kernels (src/kernels/) on a cache-blocked layout of B, on worker threads, through
 * the ordered engine below, which delivers each unit's pairs in unit order. */
#include "tznr/compare.h"
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "alloc.h"
#include "error.h"
#include "fileio.h"
#include "kernels/kernels.h"
#include "match_internal.h"

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

/* The one definition of the score (kernels.h): 2c / (pa + pb) in double; 0 when both are
 * empty. */
static double dice_from_counts(uint64_t c, uint64_t pa, uint64_t pb) { return tznr__dice(c, pa, pb); }

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
    tznr_match_options_t o;
    tznr_match_options_init(&o);
    o.threshold = threshold;
    o.threads = 1;
    return tznr_match(out, a, b, &o);
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

/* Open-addressing set of uint64 keys (record indices), hashed with xxHash (non-secret); it
 * grows with the keys inserted (the linked records), not with the candidates. */
typedef struct idset {
    uint64_t *keys;
    unsigned char *used;
    size_t mask, n;
} idset;

static int idset_alloc(idset *s, size_t cap)
{
    s->keys = tznr__calloc(cap, sizeof *s->keys);
    s->used = tznr__calloc(cap, 1);
    s->mask = cap - 1;
    s->n = 0;
    return s->keys && s->used;
}

static void idset_free(idset *s)
{
    tznr__free(s->keys);
    tznr__free(s->used);
    memset(s, 0, sizeof *s);
}

static void idset_put(idset *s, uint64_t key)
{
    size_t h = (size_t)XXH3_64bits(&key, sizeof key) & s->mask;
    while (s->used[h])
        h = (h + 1) & s->mask;
    s->used[h] = 1;
    s->keys[h] = key;
    s->n++;
}

/* insert a key known to be absent; 0 when out of memory */
static int idset_insert(idset *s, uint64_t key)
{
    if (2 * (s->n + 1) > s->mask + 1) {
        idset old = *s;
        if (!idset_alloc(s, 2 * (old.mask + 1))) {
            idset_free(s);
            *s = old;
            return 0;
        }
        for (size_t i = 0; i <= old.mask; i++)
            if (old.used[i])
                idset_put(s, old.keys[i]);
        idset_free(&old);
    }
    idset_put(s, key);
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
    tznr_error_t rc = tznr_candidates_new(&links);
    const cand *v = cands->v;
    size_t in_order = 1;
    for (size_t i = 1; in_order && i < cands->n; i++)
        in_order = cand_cmp(&v[i - 1], &v[i]) <= 0;
    if (!rc && !in_order) {   /* sort a copy; a list already in order (from tznr_match()) is
                                 used as it is, without a second copy of its pairs */
        rc = tznr_candidates_new(&sorted);
        if (!rc && !(sorted->v = tznr__malloc(cands->n * sizeof *sorted->v)))
            rc = tznr__err(TZNR_ENOMEM, "out of memory (%zu candidate pairs)", cands->n);
        if (!rc) {
            memcpy(sorted->v, cands->v, cands->n * sizeof *sorted->v);
            sorted->n = sorted->cap = cands->n;
            tznr_candidates_sort(sorted);   /* global order, whatever the input order */
            v = sorted->v;
        }
    }
    if (!rc && (!idset_alloc(&used_a, 1024) || !idset_alloc(&used_b, 1024)))
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < cands->n; i++) {
        const cand *p = &v[i];
        if (idset_has(&used_a, p->a) || idset_has(&used_b, p->b))
            continue;
        if (!idset_insert(&used_a, p->a) || !idset_insert(&used_b, p->b))
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
        else
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

/* ==================================================================================== */
/* Pair buffers and top-k heaps                                                          */

tznr_error_t tznr__pairbuf_push(tznr__pairbuf *b, uint64_t a, uint64_t bi, double score)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        if (cap > SIZE_MAX / sizeof *b->v)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        tznr_pair_t *v = tznr__realloc(b->v, cap * sizeof *v);
        if (!v)
            return tznr__err(TZNR_ENOMEM, "out of memory (%zu pairs)", b->n);
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = (tznr_pair_t){a, bi, score};
    return TZNR_OK;
}

void tznr__pairbuf_free(tznr__pairbuf *b)
{
    tznr__free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

static int pair_cmp_ab(const void *x, const void *y)
{
    const tznr_pair_t *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

void tznr__pairs_sort_ab(tznr_pair_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, pair_cmp_ab);
}

/* p is a better match than q: higher score, or equal score and lower b */
static int better(const tznr_pair_t *p, const tznr_pair_t *q)
{
    return p->score > q->score || (p->score == q->score && p->b < q->b);
}

static int pair_cmp_best(const void *x, const void *y)
{
    const tznr_pair_t *p = x, *q = y;
    return better(p, q) ? -1 : better(q, p);
}

tznr_error_t tznr__topk_init(tznr__topk *t, size_t rows, size_t k)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    t->rows = rows;
    t->n = tznr__calloc(rows ? rows : 1, sizeof *t->n);
    t->h = k && rows <= SIZE_MAX / k ? tznr__calloc(rows * k, sizeof *t->h) : NULL;
    if (!t->n || !t->h) {
        tznr__topk_free(t);
        return tznr__err(TZNR_ENOMEM, "out of memory (top-%zu of %zu records)", k, rows);
    }
    return TZNR_OK;
}

void tznr__topk_free(tznr__topk *t)
{
    tznr__free(t->h);
    tznr__free(t->n);
    t->h = NULL;
    t->n = NULL;
}

void tznr__topk_reset(tznr__topk *t) { memset(t->n, 0, t->rows * sizeof *t->n); }

/* heap of the k best with the worst at the root: parents are worse than children */
void tznr__topk_push(tznr__topk *t, size_t row, uint64_t a, uint64_t b, double score)
{
    tznr_pair_t *h = t->h + row * t->k, p = {a, b, score};
    size_t n = t->n[row], i;
    if (n < t->k) {
        for (i = n; i > 0 && better(&h[(i - 1) / 2], &p); i = (i - 1) / 2)
            h[i] = h[(i - 1) / 2];
        h[i] = p;
        t->n[row] = n + 1;
        return;
    }
    if (!better(&p, &h[0]))
        return;
    for (i = 0;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && better(&h[c], &h[c + 1]))
            c++;   /* the worse child */
        if (!better(&p, &h[c]))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = p;
}

tznr_error_t tznr__topk_drain(tznr__topk *t, size_t r0, size_t r1, tznr__pairbuf *out)
{
    for (size_t r = r0; r < r1; r++) {
        tznr_pair_t *h = t->h + r * t->k;
        qsort(h, t->n[r], sizeof *h, pair_cmp_best);
        for (size_t i = 0; i < t->n[r]; i++) {
            tznr_error_t rc = tznr__pairbuf_push(out, h[i].a, h[i].b, h[i].score);
            if (rc)
                return rc;
        }
        t->n[r] = 0;
    }
    return TZNR_OK;
}

/* ==================================================================================== */
/* The ordered parallel engine                                                          */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define PROGRESS_EVERY 0.25   /* seconds between progress calls */

unsigned tznr__threads(unsigned requested, size_t units)
{
    size_t n = requested;
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (size_t)c : 1;
    }
    if (n > 1024)
        n = 1024;
    if (n > units)
        n = units;
    return n ? (unsigned)n : 1u;
}

typedef struct slot {
    tznr__pairbuf buf;
    uint64_t comparisons, candidates;
    int ready;     /* the unit is finished: buf holds its (last) pairs */
    int partial;   /* the unit waits until buf, a chunk of its pairs, is delivered */
} slot;

typedef struct runner {
    const tznr__job *job;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done, cv_part;
    size_t next, emitted, window;
    slot *slots;
    int stop, sink_stop, progress_stop;
    tznr_error_t err;
    char msg[512];
    uint64_t work_done;
    uint64_t *comparisons, *candidates;
    double last;   /* time of the last progress call */
} runner;

typedef struct wthread {
    runner *r;
    unsigned index;
    pthread_t tid;
} wthread;

/* what tznr__unit_flush() needs to know about the buffer of a running unit */
typedef struct flusher {
    const tznr__job *job;
    runner *r;      /* NULL: sequential run */
    size_t unit;
    int caller;     /* the unit runs on the calling thread */
    int stopped;    /* sequential run: the sink asked to stop */
} flusher;

/* stop everything; call with the lock held */
static void stop_all(runner *r)
{
    r->stop = 1;
    pthread_cond_broadcast(&r->cv_work);
    pthread_cond_broadcast(&r->cv_part);
}

/* take the next unit if the window allows; call with the lock held; SIZE_MAX if none */
static size_t take_unit(runner *r)
{
    if (r->stop || r->next >= r->job->units || r->next >= r->emitted + r->window)
        return SIZE_MAX;
    return r->next++;
}

/* On the calling thread, lock held: deliver what the head slot holds, a finished unit or a
 * chunk its unit waits on. 0 if it holds nothing yet. */
static int deliver_head(runner *r)
{
    const tznr__job *job = r->job;
    slot *s = &r->slots[r->emitted % r->window];
    if (!s->ready && !s->partial)
        return 0;
    const int done = s->ready;
    pthread_mutex_unlock(&r->mu);
    int cancel = s->buf.n && job->sink(s->buf.v, s->buf.n, job->sink_user);
    if (done) {
        *r->comparisons += s->comparisons;
        *r->candidates += s->candidates;
    } else {
        s->buf.n = 0;   /* its unit waits: it appends again only once partial is cleared */
    }
    pthread_mutex_lock(&r->mu);
    if (done) {
        s->ready = 0;
        r->emitted++;
        pthread_cond_broadcast(&r->cv_work);
    } else {
        s->partial = 0;
        pthread_cond_broadcast(&r->cv_part);
    }
    if (cancel) {
        r->sink_stop = 1;
        stop_all(r);
    }
    return 1;
}

/* On the calling thread, lock held: nothing to deliver, wait a little for the head */
static void wait_head(runner *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 100000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&r->cv_done, &r->mu, &ts);
}

/* On the calling thread, lock held: call the progress callback when due */
static void report_progress(runner *r)
{
    const tznr__job *job = r->job;
    if (!job->progress || r->stop ||
        !(r->emitted == job->units || now_s() - r->last >= PROGRESS_EVERY))
        return;
    uint64_t done = r->emitted == job->units ? job->total_work : r->work_done;
    pthread_mutex_unlock(&r->mu);
    r->last = now_s();
    int stop = job->progress(done, job->total_work, job->progress_user);
    pthread_mutex_lock(&r->mu);
    if (stop) {
        r->progress_stop = 1;
        stop_all(r);
    }
}

tznr_error_t tznr__unit_flush(tznr__pairbuf *out)
{
    flusher *fl = out->fx;
    if (!fl || out->n == 0)
        return TZNR_OK;
    const tznr__job *job = fl->job;
    runner *r = fl->r;
    if (!r) {   /* sequential: straight to the sink */
        int cancel = job->sink(out->v, out->n, job->sink_user);
        out->n = 0;
        if (cancel) {
            fl->stopped = 1;
            return tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
        }
        return TZNR_OK;
    }
    pthread_mutex_lock(&r->mu);
    if (fl->caller) {
        /* deliver every earlier unit (this thread is the only one that can), then the chunk */
        while (r->emitted < fl->unit && !r->stop) {
            if (!deliver_head(r))
                wait_head(r);
            report_progress(r);
        }
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return tznr__err(TZNR_ESTATE, "search stopped");
        int cancel = job->sink(out->v, out->n, job->sink_user);
        out->n = 0;
        if (cancel) {
            pthread_mutex_lock(&r->mu);
            r->sink_stop = 1;
            stop_all(r);
            pthread_mutex_unlock(&r->mu);
            return tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
        }
        return TZNR_OK;
    }
    /* another thread: publish the chunk and wait until the calling thread has delivered it */
    slot *s = &r->slots[fl->unit % r->window];
    s->partial = 1;
    if (fl->unit == r->emitted)
        pthread_cond_signal(&r->cv_done);
    while (s->partial && !r->stop)
        pthread_cond_wait(&r->cv_part, &r->mu);
    int stopped = s->partial;
    s->partial = 0;
    pthread_mutex_unlock(&r->mu);
    if (stopped)
        return tznr__err(TZNR_ESTATE, "search stopped");
    return TZNR_OK;
}

/* compute unit u into its slot (lock not held), then publish it (lock taken and released) */
static void do_unit(runner *r, size_t u, unsigned worker)
{
    const tznr__job *job = r->job;
    slot *s = &r->slots[u % r->window];   /* free: unit u - window was delivered */
    flusher fl = {job, r, u, worker == 0, 0};
    s->buf.n = 0;
    s->buf.fx = &fl;
    s->comparisons = s->candidates = 0;
    tznr_error_t rc = job->fn(job->ctx, u, worker, &s->buf, &s->comparisons, &s->candidates);
    s->buf.fx = NULL;
    uint64_t work = job->unit_work ? job->unit_work(job->ctx, u) : 1;
    pthread_mutex_lock(&r->mu);
    if (rc) {
        if (!r->err && !r->stop) {   /* (a unit told to stop returns an error too) */
            r->err = rc;
            snprintf(r->msg, sizeof r->msg, "%s", tznr_last_error_message());
        }
        stop_all(r);
    }
    s->ready = 1;
    r->work_done += work;
    if (u == r->emitted)
        pthread_cond_signal(&r->cv_done);   /* the caller may be waiting for this one */
    pthread_mutex_unlock(&r->mu);
}

static void *worker_main(void *arg)
{
    wthread *w = arg;
    runner *r = w->r;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t u;
        while ((u = take_unit(r)) == SIZE_MAX && !r->stop && r->next < r->job->units)
            pthread_cond_wait(&r->cv_work, &r->mu);   /* window full */
        pthread_mutex_unlock(&r->mu);
        if (u == SIZE_MAX)
            break;
        do_unit(r, u, w->index);
    }
    return NULL;
}

static tznr_error_t run_sequential(const tznr__job *job, uint64_t *comparisons, uint64_t *candidates)
{
    tznr__pairbuf buf = {0};
    tznr_error_t rc = TZNR_OK;
    uint64_t done = 0;
    double last = now_s();
    for (size_t u = 0; !rc && u < job->units; u++) {
        flusher fl = {job, NULL, u, 1, 0};
        buf.n = 0;
        buf.fx = &fl;
        rc = job->fn(job->ctx, u, 0, &buf, comparisons, candidates);
        buf.fx = NULL;
        if (fl.stopped)
            rc = tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
        if (!rc && buf.n && job->sink(buf.v, buf.n, job->sink_user))
            rc = tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
        done += job->unit_work ? job->unit_work(job->ctx, u) : 1;
        if (!rc && job->progress && (u + 1 == job->units || now_s() - last >= PROGRESS_EVERY)) {
            last = now_s();
            if (job->progress(done, job->total_work, job->progress_user))
                rc = tznr__err(TZNR_ESTATE, "search cancelled by the progress callback");
        }
    }
    tznr__pairbuf_free(&buf);
    return rc;
}

/* The calling thread is worker 0 and the only one to call the sink and the progress
 * callback: between its own units it delivers every finished unit at the head of the window,
 * in order, and the chunks the head unit hands over (tznr__unit_flush()); when it can take no
 * unit (all taken, or the window full) it waits for the head. threads - 1 more threads take
 * units as long as the window allows. Memory: the window's slots, each holding at most what
 * one unit keeps between two flushes. */
tznr_error_t tznr__job_run(const tznr__job *job, uint64_t *comparisons, uint64_t *candidates)
{
    if (job->units == 0) {
        if (job->progress && job->progress(0, job->total_work, job->progress_user))
            return tznr__err(TZNR_ESTATE, "search cancelled by the progress callback");
        return TZNR_OK;
    }
    if (job->threads <= 1 || job->units == 1)
        return run_sequential(job, comparisons, candidates);

    runner r;
    memset(&r, 0, sizeof r);
    r.job = job;
    r.comparisons = comparisons;
    r.candidates = candidates;
    r.window = 4 * (size_t)job->threads;
    r.slots = tznr__calloc(r.window, sizeof *r.slots);
    wthread *ws = tznr__calloc(job->threads, sizeof *ws);
    if (!r.slots || !ws) {
        tznr__free(r.slots);
        tznr__free(ws);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv_work, NULL);
    pthread_cond_init(&r.cv_part, NULL);
    pthread_cond_init(&r.cv_done, &ca);
    pthread_condattr_destroy(&ca);

    unsigned started = 0;
    for (unsigned i = 1; i < job->threads; i++) {
        ws[started].r = &r;
        ws[started].index = started + 1;
        if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) == 0)
            started++;
    }
    tznr_error_t rc = TZNR_OK;
    r.last = now_s();
    pthread_mutex_lock(&r.mu);
    while (r.emitted < job->units && !r.stop) {
        if (!deliver_head(&r)) {
            size_t u = take_unit(&r);
            if (u != SIZE_MAX) {   /* work instead of waiting */
                pthread_mutex_unlock(&r.mu);
                do_unit(&r, u, 0);
                pthread_mutex_lock(&r.mu);
            } else {
                wait_head(&r);
            }
        }
        report_progress(&r);
    }
    stop_all(&r);
    pthread_mutex_unlock(&r.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    if (r.err)   /* a unit failed: its detail was captured on its thread */
        rc = tznr__err(r.err, "%s", r.msg);
    else if (r.sink_stop)
        rc = tznr__err(TZNR_ESTATE, "search stopped by the pair sink");
    else if (r.progress_stop)
        rc = tznr__err(TZNR_ESTATE, "search cancelled by the progress callback");
    for (size_t i = 0; i < r.window; i++)
        tznr__pairbuf_free(&r.slots[i].buf);
    pthread_cond_destroy(&r.cv_done);
    pthread_cond_destroy(&r.cv_part);
    pthread_cond_destroy(&r.cv_work);
    pthread_mutex_destroy(&r.mu);
    tznr__free(r.slots);
    tznr__free(ws);
    return rc;
}

/* ==================================================================================== */
/* Options                                                                              */

void tznr_match_options_init(tznr_match_options_t *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->threshold = NAN;
    opts->max_pairs = TZNR_MATCH_DEFAULT_MAX_PAIRS;
}

tznr_error_t tznr__options_get(tznr_match_options_t *o, const tznr_match_options_t *in)
{
    if (!in)
        return tznr__err(TZNR_EINVAL, "NULL options");
    /* the 0.2 layout ended before max_pairs: a caller built against it keeps the default */
    if (in->size < offsetof(tznr_match_options_t, max_pairs))
        return tznr__err(TZNR_EINVAL, "options not initialised with tznr_match_options_init()");
    tznr_match_options_init(o);
    memcpy(o, in, in->size < sizeof *o ? in->size : sizeof *o);
    o->size = sizeof *o;
    if (bad_threshold(o->threshold))
        return tznr__err(TZNR_EINVAL, "threshold must be a number in [0, 1]");
    return TZNR_OK;
}

/* ==================================================================================== */
/* Exhaustive search                                                                     */

#define TILE_ROWS 256   /* rows of A per tile */

typedef struct exh {
    const tznr__kernel *kern;
    tznr__panel_fn panel_fn;
    size_t words, bytes, na, nb, npanels;
    const uint8_t *adata;
    uint64_t *panels;        /* npanels * words * LANES, 64-byte aligned */
    void *panels_raw;
    uint32_t *pb;            /* npanels * LANES popcounts in sorted order (padding 0) */
    uint64_t *perm;          /* sorted position -> row of B */
    uint32_t *pa;            /* popcounts of A */
    uint32_t *ylo, *yhi;     /* reachable popcounts of B for a popcount x of A */
    double t;
    uint64_t m;
    size_t panels_per_tile, ablocks, bblocks, topk;
    tznr__topk *heaps;       /* per worker (top-k only) */
} exh;

static size_t minz(size_t x, size_t y) { return x < y ? x : y; }

static unsigned lanes_in(const exh *x, size_t q)
{
    size_t rest = x->nb - q * TZNR__LANES;
    return rest >= TZNR__LANES ? TZNR__LANES : (unsigned)rest;
}

/* first panel in [q0, q1) whose largest popcount is >= y */
static size_t first_panel(const exh *x, size_t q0, size_t q1, uint32_t y)
{
    while (q0 < q1) {
        size_t mid = q0 + (q1 - q0) / 2;
        if (x->pb[mid * TZNR__LANES + lanes_in(x, mid) - 1] >= y)
            q1 = mid;
        else
            q0 = mid + 1;
    }
    return q0;
}

/* first panel in [q0, q1) whose smallest popcount is > y */
static size_t end_panel(const exh *x, size_t q0, size_t q1, uint32_t y)
{
    while (q0 < q1) {
        size_t mid = q0 + (q1 - q0) / 2;
        if (x->pb[mid * TZNR__LANES] > y)
            q1 = mid;
        else
            q0 = mid + 1;
    }
    return q0;
}

/* rows [i, i + nr) of A against panels [q0, q1) */
static tznr_error_t exh_rows(const exh *x, size_t i, size_t nr, size_t q0, size_t q1,
                             tznr__pairbuf *out, tznr__topk *tk, size_t row0, uint64_t *comps)
{
    const tznr__w64 *rows[TZNR__ROWS_MAX];
    uint32_t pa[TZNR__ROWS_MAX];
    uint32_t ylo = UINT32_MAX, yhi = 0;
    for (size_t r = 0; r < TZNR__ROWS_MAX; r++) {
        size_t ri = i + (r < nr ? r : nr - 1);
        rows[r] = (const tznr__w64 *)(const void *)(x->adata + ri * x->bytes);
        pa[r] = x->pa[ri];
        if (r < nr && x->ylo[pa[r]] <= x->yhi[pa[r]]) {
            if (x->ylo[pa[r]] < ylo)
                ylo = x->ylo[pa[r]];
            if (x->yhi[pa[r]] > yhi)
                yhi = x->yhi[pa[r]];
        }
    }
    if (ylo > yhi)
        return TZNR_OK;   /* no row can reach the threshold with any filter */
    q0 = first_panel(x, q0, q1, ylo);
    q1 = end_panel(x, q0, q1, yhi);
    const uint32_t rowmask = nr >= 4 ? 0xffffffffu : (1u << (8 * nr)) - 1;
    uint64_t counts[TZNR__ROWS_MAX * TZNR__LANES];
    for (size_t q = q0; q < q1; q++) {
        const uint32_t *pb = x->pb + q * TZNR__LANES;
        unsigned lanes = lanes_in(x, q);
        uint32_t lanemask = (1u << lanes) - 1;
        uint32_t mask = x->panel_fn(rows, pa, x->panels + q * x->words * TZNR__LANES, pb,
                                    x->words, x->m, counts);
        *comps += (uint64_t)nr * lanes;
        mask &= rowmask & (lanemask * 0x01010101u);
        while (mask) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            mask &= mask - 1;
            unsigned r = bit / TZNR__LANES, k = bit % TZNR__LANES;
            double s = tznr__dice(counts[bit], pa[r], pb[k]);
            if (!(s >= x->t))
                continue;
            uint64_t brow = x->perm[q * TZNR__LANES + k];
            if (tk) {
                tznr__topk_push(tk, i + r - row0, i + r, brow, s);
            } else {
                tznr_error_t rc = tznr__pairbuf_push(out, i + r, brow, s);
                if (rc)
                    return rc;
            }
        }
    }
    return TZNR_OK;
}

static tznr_error_t exh_unit(void *ctx, size_t u, unsigned worker, tznr__pairbuf *out,
                             uint64_t *comparisons, uint64_t *candidates)
{
    const exh *x = ctx;
    size_t ab = x->topk ? u : u / x->bblocks;
    size_t i0 = ab * TILE_ROWS, i1 = minz(x->na, i0 + TILE_ROWS);
    size_t p0 = 0, p1 = x->npanels;
    if (!x->topk) {
        p0 = (u % x->bblocks) * x->panels_per_tile;
        p1 = minz(x->npanels, p0 + x->panels_per_tile);
    }
    tznr__topk *tk = x->topk ? &x->heaps[worker] : NULL;
    const size_t step = x->kern->rows;
    uint64_t comps = 0;
    tznr_error_t rc = TZNR_OK;
    for (size_t q0 = p0; !rc && q0 < p1; q0 += x->panels_per_tile) {
        size_t q1 = minz(p1, q0 + x->panels_per_tile);
        for (size_t i = i0; !rc && i < i1; i += step)
            rc = exh_rows(x, i, minz(step, i1 - i), q0, q1, out, tk, i0, &comps);
    }
    *comparisons += comps;
    *candidates += comps;
    if (rc)
        return rc;
    if (tk)
        return tznr__topk_drain(tk, 0, i1 - i0, out);
    tznr__pairs_sort_ab(out->v, out->n);
    return TZNR_OK;
}

static uint64_t exh_unit_work(void *ctx, size_t u)
{
    const exh *x = ctx;
    size_t ab = x->topk ? u : u / x->bblocks;
    uint64_t rows = minz(x->na, ab * TILE_ROWS + TILE_ROWS) - ab * TILE_ROWS;
    if (x->topk)
        return rows * x->nb;
    size_t f0 = (u % x->bblocks) * x->panels_per_tile * TZNR__LANES;
    return rows * (minz(x->nb, f0 + x->panels_per_tile * TZNR__LANES) - f0);
}

static void exh_free(exh *x, unsigned workers)
{
    tznr__free(x->panels_raw);
    tznr__free(x->pb);
    tznr__free(x->perm);
    tznr__free(x->pa);
    tznr__free(x->ylo);
    tznr__free(x->yhi);
    if (x->heaps)
        for (unsigned w = 0; w < workers; w++)
            tznr__topk_free(&x->heaps[w]);
    tznr__free(x->heaps);
}

/* reachable popcounts y of B for a popcount x of A: the exact bound of unreachable() is
 * monotone on each side of y = x, so the reachable y form one interval (empty for x = 0
 * when t > 0), found by binary search on each side */
static void reach_one(uint32_t *ylo, uint32_t *yhi, size_t xv, size_t bits, double t)
{
    if (xv == 0) {
        ylo[0] = t <= 0.0 ? 0 : 1;
        yhi[0] = t <= 0.0 ? (uint32_t)bits : 0;
        return;
    }
    size_t lo = 0, hi = xv;   /* smallest reachable y in [0, x] (y = x reaches 1) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (unreachable(xv, mid, t))
            lo = mid + 1;
        else
            hi = mid;
    }
    ylo[xv] = (uint32_t)lo;
    lo = xv;
    hi = bits;                /* largest reachable y in [x, bits] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (unreachable(xv, mid, t))
            hi = mid - 1;
        else
            lo = mid;
    }
    yhi[xv] = (uint32_t)lo;
}

void tznr__reach_tables(uint32_t *ylo, uint32_t *yhi, size_t bits, double t,
                        const uint32_t *pops, size_t n)
{
    for (size_t xv = 0; xv <= bits; xv++) {   /* not computed yet: lo > hi */
        ylo[xv] = 1;
        yhi[xv] = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (pops[i] == 0 || ylo[pops[i]] > yhi[pops[i]])
            reach_one(ylo, yhi, pops[i], bits, t);
}

static tznr_error_t exh_prepare(exh *x, const tznr_clkset_t *a, const tznr_clkset_t *b,
                                const tznr_match_options_t *o, unsigned *threads)
{
    const size_t bits = tznr_clkset_filter_bits(a);
    x->kern = tznr__kernel_get();
    x->words = bits / 64;
    x->bytes = bits / 8;
    x->na = tznr_clkset_count(a);
    x->nb = tznr_clkset_count(b);
    x->npanels = (x->nb + TZNR__LANES - 1) / TZNR__LANES;
    x->panel_fn = x->kern->panel_for(x->words);
    x->adata = x->na ? tznr_clkset_get(a, 0) : NULL;
    x->t = o->threshold;
    x->m = tznr__prefilter_m(o->threshold);
    x->topk = o->top_k;
    size_t tile_filters = ((size_t)1 << 18) / x->bytes;
    tile_filters = tile_filters < 64 ? 64 : tile_filters > 4096 ? 4096 : tile_filters;
    x->panels_per_tile = tile_filters / TZNR__LANES;
    x->ablocks = (x->na + TILE_ROWS - 1) / TILE_ROWS;
    x->bblocks = (x->npanels + x->panels_per_tile - 1) / x->panels_per_tile;
    size_t units = x->topk ? x->ablocks : x->ablocks * x->bblocks;
    *threads = tznr__threads(o->threads, units);

    const size_t slots = x->npanels * TZNR__LANES;
    if (x->words && slots > SIZE_MAX / 8 / x->words - 8)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    x->panels_raw = tznr__malloc(slots * x->words * 8 + 64);
    x->pb = tznr__calloc(slots ? slots : 1, sizeof *x->pb);
    x->perm = tznr__calloc(slots ? slots : 1, sizeof *x->perm);
    x->pa = tznr__calloc(x->na ? x->na : 1, sizeof *x->pa);
    x->ylo = tznr__calloc(bits + 1, sizeof *x->ylo);
    x->yhi = tznr__calloc(bits + 1, sizeof *x->yhi);
    uint64_t *count = tznr__calloc(bits + 2, sizeof *count);
    uint32_t *pop = tznr__calloc(x->nb ? x->nb : 1, sizeof *pop);
    if (x->topk) {
        x->heaps = tznr__calloc(*threads, sizeof *x->heaps);
        for (unsigned w = 0; x->heaps && w < *threads; w++)
            if (tznr__topk_init(&x->heaps[w], TILE_ROWS, x->topk))
                break;
    }
    if (!x->panels_raw || !x->pb || !x->perm || !x->pa || !x->ylo || !x->yhi || !count ||
        !pop || (x->topk && (!x->heaps || !x->heaps[*threads - 1].h))) {
        tznr__free(count);
        tznr__free(pop);
        return tznr__err(TZNR_ENOMEM, "out of memory (%zu x %zu filters of %zu bits)", x->na,
                         x->nb, bits);
    }
    x->panels = (uint64_t *)(((uintptr_t)x->panels_raw + 63) & ~(uintptr_t)63);
    for (size_t i = 0; i < x->na; i++)
        x->pa[i] = (uint32_t)x->kern->popcount((const tznr__w64 *)(const void *)(x->adata + i * x->bytes), NULL, x->words);
    /* B sorted by (popcount, row): counting sort */
    const uint8_t *bdata = x->nb ? tznr_clkset_get(b, 0) : NULL;
    for (size_t j = 0; j < x->nb; j++) {
        pop[j] = (uint32_t)x->kern->popcount((const tznr__w64 *)(const void *)(bdata + j * x->bytes), NULL, x->words);
        count[pop[j] + 1]++;
    }
    for (size_t v = 1; v <= bits + 1; v++)
        count[v] += count[v - 1];
    for (size_t j = 0; j < x->nb; j++)
        x->perm[count[pop[j]]++] = j;
    /* transpose into panels; padding lanes are empty filters (masked out by lanes_in) */
    memset(x->panels, 0, slots * x->words * 8);
    for (size_t s = 0; s < x->nb; s++) {
        const uint8_t *f = bdata + x->perm[s] * x->bytes;
        uint64_t *dst = x->panels + (s / TZNR__LANES) * x->words * TZNR__LANES + s % TZNR__LANES;
        x->pb[s] = pop[x->perm[s]];
        for (size_t w = 0; w < x->words; w++)
            memcpy(&dst[w * TZNR__LANES], f + 8 * w, 8);
    }
    tznr__free(count);
    tznr__free(pop);
    tznr__reach_tables(x->ylo, x->yhi, bits, x->t, x->pa, x->na);
    return TZNR_OK;
}

static tznr_error_t exhaustive(const tznr_clkset_t *a, const tznr_clkset_t *b,
                               const tznr_match_options_t *o, tznr_pair_sink_fn sink,
                               void *user, tznr_match_stats_t *st)
{
    exh x;
    memset(&x, 0, sizeof x);
    unsigned threads = 1;
    tznr_error_t rc = exh_prepare(&x, a, b, o, &threads);
    st->kernel = x.kern->name;
    st->threads = threads;
    if (!rc) {
        tznr__job job = {
            .units = x.topk ? x.ablocks : x.ablocks * x.bblocks,
            .threads = threads,
            .fn = exh_unit,
            .ctx = &x,
            .unit_work = exh_unit_work,
            .total_work = (uint64_t)x.na * x.nb,
            .progress = o->progress,
            .progress_user = o->progress_user,
            .sink = sink,
            .sink_user = user,
        };
        rc = tznr__job_run(&job, &st->comparisons, &st->candidates);
    }
    exh_free(&x, threads);
    return rc;
}

/* ==================================================================================== */
/* Public entry points                                                                  */

typedef struct counting_sink {
    tznr_pair_sink_fn sink;
    void *user;
    uint64_t n;
} counting_sink;

static int count_and_forward(const tznr_pair_t *pairs, size_t n, void *user)
{
    counting_sink *c = user;
    c->n += n;
    return c->sink(pairs, n, c->user);
}

tznr_error_t tznr_match_stream(const tznr_clkset_t *a, const tznr_clkset_t *b,
                               const tznr_match_options_t *opts, tznr_pair_sink_fn sink,
                               void *user)
{
    tznr_match_options_t o;
    tznr_match_stats_t st;
    memset(&st, 0, sizeof st);
    st.kernel = tznr_cpu_kernel();
    st.threads = 1;
    if (opts && opts->size >= offsetof(tznr_match_options_t, max_pairs) && opts->stats)
        *opts->stats = st;
    if (!a || !b || !sink)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_error_t rc = tznr__options_get(&o, opts);
    if (rc)
        return rc;
    size_t bits = tznr_clkset_filter_bits(a);
    if (bits != tznr_clkset_filter_bits(b))
        return tznr__err(TZNR_EBUFSIZE, "filters of A have %zu bits, filters of B have %zu",
                         bits, tznr_clkset_filter_bits(b));
    st.pairs_total = (uint64_t)tznr_clkset_count(a) * tznr_clkset_count(b);
    counting_sink cs = {sink, user, 0};
    if (o.lsh)
        rc = tznr__lsh_search(a, b, &o, count_and_forward, &cs, &st);
    else if (st.pairs_total)
        rc = exhaustive(a, b, &o, count_and_forward, &cs, &st);
    st.pairs_out = cs.n;
    if (o.stats)
        *o.stats = st;
    return rc;
}

typedef struct collector {
    tznr_candidates_t *c;
    uint64_t max;   /* 0: no limit */
    int nomem, over;
} collector;

static int collect(const tznr_pair_t *pairs, size_t n, void *user)
{
    collector *col = user;
    tznr_candidates_t *c = col->c;
    if (col->max && n > col->max - c->n) {   /* stop before growing past the limit */
        col->over = 1;
        return 1;
    }
    if (col->max && c->cap - c->n < n && 2 * (uint64_t)c->cap > col->max) {
        /* the last growth: to the limit, not to twice the list */
        cand *v = tznr__realloc(c->v, (size_t)col->max * sizeof *v);
        if (!v) {
            col->nomem = 1;
            return 1;
        }
        c->v = v;
        c->cap = (size_t)col->max;
    }
    for (size_t i = 0; i < n; i++)
        if (push(c, pairs[i].a, pairs[i].b, pairs[i].score)) {
            col->nomem = 1;
            return 1;
        }
    return 0;
}

tznr_error_t tznr_match(tznr_candidates_t **out, const tznr_clkset_t *a, const tznr_clkset_t *b,
                        const tznr_match_options_t *opts)
{
    if (out)
        *out = NULL;
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    tznr_candidates_t *c = NULL;
    tznr_match_options_t o;
    tznr_error_t rc = tznr__options_get(&o, opts);
    if (!rc)
        rc = tznr_candidates_new(&c);
    collector col = {c, o.max_pairs, 0, 0};
    if (!rc)
        rc = tznr_match_stream(a, b, opts, collect, &col);
    if (rc == TZNR_ESTATE && col.nomem)
        rc = tznr__err(TZNR_ENOMEM, "out of memory (%zu candidate pairs)", c->n);
    if (rc == TZNR_ESTATE && col.over) {
        uint64_t na = tznr_clkset_count(a), nb = tznr_clkset_count(b);
        if (o.lsh)
            rc = tznr__err(TZNR_ELIMIT, "more than %llu candidate pairs reach the threshold %g "
                           "(limit max_pairs = %llu, about 24 bytes a pair) with LSH blocking "
                           "(K = %u bits, %u tables) of %llu x %llu records: a bucket of equal "
                           "filters is too large; use a finer blocking (more LSH bits per key), "
                           "a higher threshold or top-k, or raise the limit",
                           (unsigned long long)o.max_pairs, o.threshold,
                           (unsigned long long)o.max_pairs, tznr_lsh_k(o.lsh),
                           tznr_lsh_tables(o.lsh), (unsigned long long)na,
                           (unsigned long long)nb);
        else
            rc = tznr__err(TZNR_ELIMIT, "more than %llu candidate pairs reach the threshold %g "
                           "(limit max_pairs = %llu, about 24 bytes a pair) in one block of "
                           "%llu x %llu records (no blocking): use a blocking (LSH), a higher "
                           "threshold or top-k, or raise the limit",
                           (unsigned long long)o.max_pairs, o.threshold,
                           (unsigned long long)o.max_pairs, (unsigned long long)na,
                           (unsigned long long)nb);
    }
    if (rc) {
        tznr_candidates_free(c);
        return rc;
    }
    tznr_candidates_sort(c);
    *out = c;
    return TZNR_OK;
}
