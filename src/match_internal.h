/* Internal: the ordered parallel search engine shared by exhaustive search (compare.c) and
 * LSH blocking (block.c), pair buffers and per-record top-k heaps. */
#ifndef TZNR_SRC_MATCH_INTERNAL_H
#define TZNR_SRC_MATCH_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "tznr/block.h"
#include "tznr/compare.h"

/* growable array of pairs; `fx` is set by tznr__job_run() on the buffer a unit fills (NULL
 * elsewhere: tznr__unit_flush() then keeps the pairs) */
typedef struct tznr__pairbuf {
    tznr_pair_t *v;
    size_t n, cap;
    void *fx;
} tznr__pairbuf;
tznr_error_t tznr__pairbuf_push(tznr__pairbuf *b, uint64_t a, uint64_t bi, double score);
void tznr__pairbuf_free(tznr__pairbuf *b);
/* sort by a, then b */
void tznr__pairs_sort_ab(tznr_pair_t *v, size_t n);

/* One unit of work: fill `out` (empty on entry) with the unit's pairs in delivery order and
 * add the AND-popcounts computed to *comparisons and the pairs proposed to *candidates.
 * `worker` (0..threads-1) indexes per-worker scratch. Runs on worker threads: it must only
 * read shared state. On failure it returns the status with the thread's error detail set. */
typedef tznr_error_t (*tznr__unit_fn)(void *ctx, size_t unit, unsigned worker,
                                      tznr__pairbuf *out, uint64_t *comparisons,
                                      uint64_t *candidates);

typedef struct tznr__job {
    size_t units;
    unsigned threads;              /* >= 1 */
    tznr__unit_fn fn;
    void *ctx;
    uint64_t (*unit_work)(void *ctx, size_t unit);   /* progress units of a unit */
    uint64_t total_work;
    tznr_progress_fn progress;
    void *progress_user;
    tznr_pair_sink_fn sink;        /* called on the calling thread, in unit order */
    void *sink_user;
} tznr__job;

/* Pairs a unit may hold before handing them over with tznr__unit_flush(): a unit whose
 * output can be large (an LSH table with a huge bucket) flushes whenever it holds this many,
 * so that the memory of a search does not depend on the number of pairs. */
#define TZNR__UNIT_CHUNK ((size_t)1 << 18)

/* Called by a unit on its `out` buffer: deliver the pairs in it now, as one chunk, before
 * the rest of the unit's pairs (waiting until every earlier unit is delivered), and empty
 * it. Chunk boundaries must depend only on the inputs, so that the order stays the same
 * for every thread count. Returns TZNR_ESTATE when the search is stopping (the unit must
 * then return that status at once). A no-op on a buffer not filled for tznr__job_run(). */
tznr_error_t tznr__unit_flush(tznr__pairbuf *out);

/* Run the units on `threads` threads (the calling thread is one of them and the only one
 * calling the sink and the progress callback), delivering each unit's pairs to the sink in
 * unit order, with at most 4*threads units' outputs alive at once. Adds to the counters. */
tznr_error_t tznr__job_run(const tznr__job *job, uint64_t *comparisons, uint64_t *candidates);

/* threads to use for a request (0 = online CPUs), at most `units` (and >= 1) */
unsigned tznr__threads(unsigned requested, size_t units);

/* Validated options: copies the caller's (size-checked) into *o. */
tznr_error_t tznr__options_get(tznr_match_options_t *o, const tznr_match_options_t *in);

/* Per-record top-k: heaps of k pairs for `rows` records (worst at the root). */
typedef struct tznr__topk {
    size_t k, rows;
    tznr_pair_t *h;   /* rows * k */
    size_t *n;        /* rows */
} tznr__topk;
tznr_error_t tznr__topk_init(tznr__topk *t, size_t rows, size_t k);
void tznr__topk_free(tznr__topk *t);
void tznr__topk_reset(tznr__topk *t);
void tznr__topk_push(tznr__topk *t, size_t row, uint64_t a, uint64_t b, double score);
/* append the pairs of heap rows [r0, r1), each best first, then empty them */
tznr_error_t tznr__topk_drain(tznr__topk *t, size_t r0, size_t r1, tznr__pairbuf *out);

/* ylo[x]..yhi[x] (arrays of bits + 1) = the popcounts y for which a pair with popcounts
 * (x, y) can reach t by the exact bound (ylo > yhi: none), for x in pops[0, n) */
void tznr__reach_tables(uint32_t *ylo, uint32_t *yhi, size_t bits, double t,
                        const uint32_t *pops, size_t n);

/* LSH search (block.c): same contract as tznr_match_stream() with o->lsh set. */
tznr_error_t tznr__lsh_search(const tznr_clkset_t *a, const tznr_clkset_t *b,
                              const tznr_match_options_t *o, tznr_pair_sink_fn sink,
                              void *user, tznr_match_stats_t *st);
#endif
