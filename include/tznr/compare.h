/**
 * @file compare.h
 * @brief Linkage-unit side: popcount and Dice coefficient on Bloom filters, all-pairs
 *        candidate search above a threshold, top-k search, and the greedy 1:1 solver.
 *
 * None of these functions takes a key: the linkage unit never holds the secret.
 *
 * **Dice coefficient.** For filters a and b, `dice = 2*popcount(a AND b) / (popcount(a) +
 * popcount(b))`, computed in IEEE double precision as one division of two integers. Two
 * all-zero filters score 0.0 (never NaN). A pair is a candidate iff `dice >= threshold`.
 *
 * **Ordering.** Candidate lists are sorted by score descending, then a_index ascending, then
 * b_index ascending: the same order for any input order.
 *
 * @par Thread safety
 * The filter functions are pure. A candidate list needs exclusive use to be modified; its
 * read-only functions may run concurrently.
 *
 * @par References
 * Dice (1945), Measures of the amount of ecologic association between species, Ecology 26(3).
 * Schnell, Bachteler & Reiher (2009) for Dice on Bloom filters. anonlink 0.15 (data61) for
 * the candidate and greedy-solver semantics.
 */
#ifndef TZNR_COMPARE_H
#define TZNR_COMPARE_H

#include <tznr/common.h>
#include <tznr/clkset.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Number of set bits in a filter.
 * @param[out] out         Receives the popcount.
 * @param[in]  filter      @p filter_len bytes.
 * @param[in]  filter_len  Bytes; a positive multiple of 8 (filters are multiples of 64 bits).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or a length that is not a positive multiple of 8.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_filter_popcount(uint64_t *out, const uint8_t *filter, size_t filter_len);

/**
 * @brief Dice coefficient of two filters of equal length.
 * @param[out] out         Receives the score in [0, 1]; 0.0 when both filters are empty.
 * @param[in]  a           @p filter_len bytes.
 * @param[in]  b           @p filter_len bytes.
 * @param[in]  filter_len  Bytes; a positive multiple of 8.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or bad length.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_filter_dice(double *out, const uint8_t *a, const uint8_t *b, size_t filter_len);

/**
 * @brief The k best matches of one query filter among @p n filters (one-against-many).
 *
 * Keeps the filters whose score is >= @p threshold, sorted by score descending; equal scores
 * are ordered by identifier ascending (lowest identifier wins a tie), whatever the order of
 * the input.
 *
 * @param[out] out_ids     Receives up to @p k identifiers (array of @p k).
 * @param[out] out_scores  Receives the matching scores (array of @p k).
 * @param[out] out_count   Receives how many entries were written (<= @p k).
 * @param[in]  query       @p filter_len bytes.
 * @param[in]  filters     @p n filters of @p filter_len bytes each, concatenated.
 * @param[in]  ids         @p n identifiers used for output and tie-breaking, or NULL for 0..n-1.
 * @param[in]  n           Number of filters.
 * @param[in]  filter_len  Bytes per filter; a positive multiple of 8.
 * @param[in]  threshold   Minimum score, in [0, 1].
 * @param[in]  k           Maximum number of results.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument (except @p ids), bad length, threshold outside [0, 1].
 * @retval TZNR_ENOMEM  Out of memory.
 * @par References
 * anonlink PR #126 (deterministic tie-breaking in top-k).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_filter_topk(uint64_t *out_ids, double *out_scores, size_t *out_count,
                 const uint8_t *query, const uint8_t *filters, const uint64_t *ids, size_t n,
                 size_t filter_len, double threshold, size_t k);

/** Opaque list of candidate pairs (a_index, b_index, score). */
typedef struct tznr_candidates tznr_candidates_t;

/**
 * @brief Create an empty candidate list.
 * @param[out] out  Receives the list; NULL on failure. Free with tznr_candidates_free().
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_candidates_new(tznr_candidates_t **out);

/**
 * @brief Free a candidate list. NULL is accepted.
 * @param[in] cands  The list.
 * @since 0.1
 */
TZNR_API void tznr_candidates_free(tznr_candidates_t *cands);

/**
 * @brief Append one pair (for pairs scored elsewhere). The list is not re-sorted.
 * @param[in,out] cands    The list.
 * @param[in]     a_index  Row of the record in A (0-based).
 * @param[in]     b_index  Row of the record in B (0-based).
 * @param[in]     score    Similarity in [0, 1] (not NaN).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL list, or a score outside [0, 1].
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_candidates_add(tznr_candidates_t *cands, uint64_t a_index, uint64_t b_index, double score);

/**
 * @brief Sort by score descending, then a_index, then b_index ascending.
 * @param[in,out] cands  The list; NULL is ignored.
 * @since 0.1
 */
TZNR_API void tznr_candidates_sort(tznr_candidates_t *cands);

/**
 * @brief Number of pairs in the list.
 * @param[in] cands  The list; NULL gives 0.
 * @return The count.
 * @since 0.1
 */
TZNR_API size_t tznr_candidates_count(const tznr_candidates_t *cands);

/**
 * @brief Read pair @p i.
 * @param[in]  cands    The list.
 * @param[in]  i        0 .. tznr_candidates_count()-1.
 * @param[out] a_index  Receives the A row (may be NULL).
 * @param[out] b_index  Receives the B row (may be NULL).
 * @param[out] score    Receives the score (may be NULL).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL list or @p i out of range.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_candidates_get(const tznr_candidates_t *cands, size_t i,
                    uint64_t *a_index, uint64_t *b_index, double *score);

/**
 * @brief Exhaustive search: every pair (i in A, j in B) with Dice >= @p threshold.
 *
 * Pairs whose popcounts make the threshold unreachable are skipped without computing the
 * intersection; the bound is exact (no pair that reaches the threshold is ever skipped).
 * The result is sorted (see tznr_candidates_sort()). Runs on the calling thread only, with
 * the current kernel; tznr_match() has threads, top-k and blocking.
 *
 * @param[out] out        Receives the candidates; NULL on failure.
 * @param[in]  a          Filters of party A.
 * @param[in]  b          Filters of party B, same length as @p a.
 * @param[in]  threshold  Minimum Dice score, in [0, 1].
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, threshold outside [0, 1] or NaN.
 * @retval TZNR_EBUFSIZE  @p a and @p b have different filter lengths.
 * @retval TZNR_ENOMEM    Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_match_all_pairs(tznr_candidates_t **out, const tznr_clkset_t *a, const tznr_clkset_t *b,
                     double threshold);

/**
 * @brief Greedy 1:1 assignment in global score order.
 *
 * The candidates are taken in sorted order (score descending, then a_index, then b_index,
 * whatever their order in @p cands); a pair is accepted when neither record is linked yet.
 *
 * Memory: the links and two sets of the linked records, plus a sorted copy of @p cands only
 * when it is not already in that order (a list from tznr_match() is used as it is).
 *
 * @param[out] out    Receives the accepted links, sorted; NULL on failure.
 * @param[in]  cands  Candidate pairs (not modified).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_ENOMEM  Out of memory.
 * @par References
 * anonlink greedy_solve (data61/anonlink issue #153: global, not row-wise, order).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_solve_greedy(tznr_candidates_t **out, const tznr_candidates_t *cands);

/**
 * @brief Write a candidate list as CSV `a_index,b_index,score`, atomically.
 *
 * Scores are printed with the fewest significant digits that read back to the same double.
 * Written to a temporary file in the destination directory and renamed when complete.
 *
 * @param[in] cands  The list (written in its current order).
 * @param[in] path   Destination, or "-" for standard output.
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  @p path exists and @p force is 0.
 * @retval TZNR_EIO     Write failure (nothing is left at @p path).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_candidates_write_csv(const tznr_candidates_t *cands, const char *path, int force);

/* ------------------------------------------------------------------------------------ */
/** @name Comparison kernels
 *
 * All-pairs search runs on one of several *kernels* computing AND-popcounts: `"avx512"`
 * (AVX-512 VPOPCNTDQ), `"avx2"` (AVX2 nibble lookup) and `"scalar"` (portable C, using the
 * POPCNT instruction when the CPU has it). The kernel is chosen once per process, on first
 * use: the `TZNR_KERNEL` environment variable when it names a kernel this CPU runs (`scalar`,
 * `avx2` or `avx512`; other values are ignored), else the fastest one the CPU runs. Every
 * kernel gives the same results bit for bit: they compute the same integer counts, and the
 * score of every pair kept is computed by the one definition above.
 * @{ */

/**
 * @brief Name of the comparison kernel in use.
 * @return A static string, `"avx512"`, `"avx2"` or `"scalar"`. Never NULL; do not free.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.2
 */
TZNR_API const char *tznr_cpu_kernel(void);

/**
 * @brief Whether this CPU can run a kernel.
 * @param[in] name  `"scalar"`, `"avx2"`, `"avx512"` or `"auto"` (always runnable).
 * @return 1 if it can, 0 if not or if @p name is unknown or NULL.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.2
 */
TZNR_API int tznr_cpu_kernel_supported(const char *name);

/**
 * @brief Force the comparison kernel for the whole process (for tests and benchmarks).
 *
 * Searches started afterwards use it; a search already running keeps the kernel it started
 * with. Results do not depend on the kernel.
 *
 * @param[in] name  `"scalar"`, `"avx2"`, `"avx512"`, or `"auto"` for the fastest this CPU
 *                  runs (ignoring `TZNR_KERNEL`).
 * @retval TZNR_OK           Success.
 * @retval TZNR_EINVAL       NULL or unknown name.
 * @retval TZNR_EUNSUPPORTED This CPU cannot run that kernel (the kernel is unchanged).
 * @par Thread safety
 * Safe from any thread (the choice is an atomic pointer).
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_cpu_set_kernel(const char *name);
/** @} */

/* ------------------------------------------------------------------------------------ */
/** @name Multithreaded search with options, streaming and top-k
 * @{ */

/** Opaque LSH blocking index (see block.h). */
typedef struct tznr_lsh tznr_lsh_t;

/** One candidate pair, as delivered to a ::tznr_pair_sink_fn. */
typedef struct tznr_pair {
    uint64_t a;    /**< Row of the record in A (0-based). */
    uint64_t b;    /**< Row of the record in B (0-based). */
    double score;  /**< Dice score, >= the threshold. */
} tznr_pair_t;

/**
 * @brief Receives candidate pairs, a chunk at a time, from tznr_match_stream().
 *
 * Called on the thread that called tznr_match_stream(), never concurrently, with chunks in
 * an order that depends only on the inputs and options (never on the thread count or the
 * kernel); see tznr_match_stream() for the order. The chunk is only valid during the call.
 *
 * @param[in] pairs  @p n pairs.
 * @param[in] n      Number of pairs, >= 1.
 * @param[in] user   The pointer given to tznr_match_stream().
 * @return 0 to continue; non-zero to stop the search (tznr_match_stream() then returns
 *         ::TZNR_ESTATE).
 */
typedef int (*tznr_pair_sink_fn)(const tznr_pair_t *pairs, size_t n, void *user);

/** Counters of one search, filled in when tznr_match_options_t::stats is set. */
typedef struct tznr_match_stats {
    uint64_t pairs_total;   /**< |A| x |B|: the pairs of an exhaustive search. */
    uint64_t comparisons;   /**< AND-popcounts computed (pairs skipped by the exact popcount
                                 bound are not counted; with LSH, a pair proposed by several
                                 tables counts each time). */
    uint64_t candidates;    /**< With LSH: pairs proposed by the tables, counting repeats;
                                 exhaustive: equals tznr_match_stats_t::comparisons. */
    uint64_t pairs_out;     /**< Pairs delivered (score >= threshold, after top-k). */
    unsigned threads;       /**< Worker threads used. */
    const char *kernel;     /**< Kernel used (static string). */
} tznr_match_stats_t;

/**
 * @brief Options of tznr_match_stream() and tznr_match().
 *
 * Initialise with tznr_match_options_init() and then set fields: later versions may append
 * fields, and the library reads only the first tznr_match_options_t::size bytes (fields
 * beyond them keep their defaults; a size from before tznr_match_options_t::max_pairs is
 * accepted).
 */
typedef struct tznr_match_options {
    size_t size;                 /**< sizeof(tznr_match_options_t), set by tznr_match_options_init(). */
    double threshold;            /**< Minimum Dice score in [0, 1]. No default: NaN after
                                      init, which the search rejects. */
    unsigned threads;            /**< Worker threads; 0 (default) = the number of online CPUs. */
    size_t top_k;                /**< Keep only the k best pairs of each record of A (score
                                      descending, lower b index first on ties); 0 (default)
                                      = every pair >= the threshold. */
    const tznr_lsh_t *lsh;       /**< LSH blocking index (block.h), or NULL (default) for
                                      exhaustive search. Borrowed for the call. */
    tznr_progress_fn progress;   /**< Progress callback or NULL. Units: pairs (exhaustive) or
                                      LSH tables. Returning non-zero cancels. */
    void *progress_user;         /**< Passed to tznr_match_options_t::progress. */
    tznr_match_stats_t *stats;   /**< If not NULL, receives the counters (also on failure). */
    uint64_t max_pairs;          /**< tznr_match() only: the most pairs it collects (about 24
                                      bytes each); one more stops the search with
                                      ::TZNR_ELIMIT and no list, before memory runs out.
                                      0 = no limit. Default
                                      ::TZNR_MATCH_DEFAULT_MAX_PAIRS. tznr_match_stream()
                                      holds a bounded number of pairs whatever their count
                                      and ignores it. @since 0.3 */
} tznr_match_options_t;

/** Default of tznr_match_options_t::max_pairs: 20 million pairs (about 480 MB of list). */
#define TZNR_MATCH_DEFAULT_MAX_PAIRS UINT64_C(20000000)

/**
 * @brief Set every option to its default (threshold NaN: must be set; max_pairs
 *        ::TZNR_MATCH_DEFAULT_MAX_PAIRS).
 * @param[out] opts  The options; NULL is ignored.
 * @since 0.2
 */
TZNR_API void tznr_match_options_init(tznr_match_options_t *opts);

/**
 * @brief Cache-blocked, multithreaded candidate search, streaming its output.
 *
 * Computes every pair (i in A, j in B) with Dice >= threshold — or, with
 * tznr_match_options_t::lsh, every such pair whose filters agree on the sampled bits of at
 * least one LSH table — and hands them to @p sink in chunks. The pairs, their scores and
 * their order are the same for every thread count and every kernel.
 *
 * **Order and memory.** Without top-k, exhaustive search cuts A x B into fixed tiles (256
 * rows of A against a block of B of about 256 KiB, at most 4096 filters: sizes depending
 * only on the filter length) and delivers tile after tile, A block by A block; memory stays
 * bounded (at most 4 x threads tiles' pairs at once, each tile at most 256 x 4096 pairs)
 * whatever the number of pairs. LSH delivers table after table the pairs first found in that
 * table (memory: at most 4 x threads tables' new pairs, plus bit-column copies of the
 * filters, as large as the filters, and about 28 bytes per record and thread); a table
 * whose new pairs reach 2^18 hands them over in chunks of about 2^18 pairs as it goes, so
 * that one huge bucket (thousands of equal filters, all pairs above the threshold) holds no
 * more than 4 x threads x (2^18 + 4096) pairs in memory (24 bytes each) whatever its number
 * of pairs. Within a chunk, pairs are sorted by a then b. With top-k, chunks hold whole records of A in
 * increasing a, each record's pairs best first (score descending, then b ascending); memory
 * is O(|A| k) with LSH and O(threads x 256 x k) otherwise.
 *
 * **Work.** B is sorted by popcount into blocks; a block of B that the exact popcount bound
 * (see tznr_match_all_pairs()) shows cannot reach the threshold for a group of rows is
 * skipped, and no pair that can reach it is ever skipped. Within blocks, a kernel computes
 * the counts and an integer prefilter that is a necessary condition of the threshold; each
 * surviving pair is then decided by the exact score.
 *
 * @param[in] a     Filters of party A.
 * @param[in] b     Filters of party B, same length.
 * @param[in] opts  Options (see tznr_match_options_t).
 * @param[in] sink  Receives the pairs (on the calling thread).
 * @param[in] user  Passed to @p sink.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, uninitialised options, threshold outside [0, 1] or
 *                        NaN, an LSH index for another filter length.
 * @retval TZNR_EBUFSIZE  @p a and @p b have different filter lengths.
 * @retval TZNR_ESTATE    Cancelled by the sink or the progress callback (pairs already
 *                        delivered stay delivered).
 * @retval TZNR_ENOMEM    Out of memory.
 * @par Thread safety
 * Reentrant; @p a, @p b and the LSH index are only read. The sink and progress callbacks
 * run on the calling thread; worker threads are joined before returning.
 * @par References
 * The popcount bound is anonlink's length filter made exact; cache blocking as in dense
 * linear algebra (Goto & van de Geijn 2008, ACM TOMS 34(3)).
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_match_stream(const tznr_clkset_t *a, const tznr_clkset_t *b,
                  const tznr_match_options_t *opts, tznr_pair_sink_fn sink, void *user);

/**
 * @brief As tznr_match_stream(), collecting the pairs into a sorted candidate list.
 *
 * The list is sorted by score descending, then a_index, then b_index (as
 * tznr_candidates_sort()); it is identical for every thread count and kernel. Memory is
 * that of the list, about 24 bytes a pair, bounded by tznr_match_options_t::max_pairs: a
 * search that finds more pairs stops with ::TZNR_ELIMIT (the message gives the limit and
 * the blocking) as soon as the limit is passed. Use tznr_match_stream() to process any
 * number of pairs in bounded memory.
 *
 * @param[out] out   Receives the list; NULL on failure.
 * @param[in]  a     Filters of party A.
 * @param[in]  b     Filters of party B.
 * @param[in]  opts  Options.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    As tznr_match_stream().
 * @retval TZNR_EBUFSIZE  Different filter lengths.
 * @retval TZNR_ESTATE    Cancelled by the progress callback (no list).
 * @retval TZNR_ELIMIT    More pairs than tznr_match_options_t::max_pairs (no list).
 * @retval TZNR_ENOMEM    Out of memory.
 * @par Thread safety
 * As tznr_match_stream().
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_match(tznr_candidates_t **out, const tznr_clkset_t *a, const tznr_clkset_t *b,
           const tznr_match_options_t *opts);
/** @} */

#ifdef __cplusplus
}
#endif
#endif
