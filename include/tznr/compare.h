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
 * The result is sorted (see tznr_candidates_sort()).
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

#ifdef __cplusplus
}
#endif
#endif
