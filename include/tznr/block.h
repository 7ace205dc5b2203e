/**
 * @file block.h
 * @brief Blocking for the linkage unit: Hamming locality-sensitive hashing (LSH) by bit
 *        sampling on the CLKs, with parameters chosen for a target recall.
 *
 * Exhaustive search compares |A| x |B| pairs. LSH blocking compares only the pairs whose
 * filters agree on all K sampled bit positions of at least one of lambda *tables*, and then
 * applies the exact Dice check of tznr_match_stream(): every pair it returns is a pair the
 * exhaustive search returns, with the same score, and a pair the exhaustive search returns
 * is missed only with the probability below. It runs on the encodings alone (no key).
 *
 * @par The method
 * A table is K bit positions drawn independently and uniformly (with replacement) from the
 * L positions of the filter; a filter's *key* in that table is its K sampled bits. Records of
 * A and B with equal keys in any table are candidate pairs (Indyk & Motwani 1998, bit
 * sampling for the Hamming space; Karapiperis & Verykios 2015, "An LSH-based blocking
 * approach with a homomorphic matching technique for privacy-preserving record linkage",
 * IEEE TKDE 27(4), the HLSH scheme for Bloom filters).
 *
 * @par Candidate probability
 * For filters x and y at Hamming distance h, one sampled position agrees with probability
 * p = 1 - h/L; the K positions of a table are independent, so the keys are equal with
 * probability p^K; the tables are independent, so the pair is a candidate with probability
 *
 *     P(candidate) = 1 - (1 - p^K)^lambda          (tznr_lsh_candidate_probability()).
 *
 * @par From a Dice threshold to p
 * With c = |x AND y|, h = |x| + |y| - 2c = (|x| + |y|)(1 - Dice). A pair at or above the
 * threshold t whose popcounts sum to at most S therefore has h <= S(1 - t), hence
 * p >= p_min = 1 - h_max/L, where h_max is the largest h for which the exact score
 * (2c/(|x|+|y|) in double, see compare.h) is still >= t with |x| + |y| <= S
 * (tznr_lsh_agreement_bound()). Every such pair is found with probability at least
 * 1 - (1 - p_min^K)^lambda; so a recall r is guaranteed for each of them when
 *
 *     lambda >= ln(1 - r) / ln(1 - p_min^K).
 *
 * @par Two recall goals
 * - ::TZNR_LSH_EVERY_PAIR (a guarantee): with S the largest popcount of A plus the largest
 *   of B, every pair at or above t is a candidate with probability at least
 *   1 - (1 - p_min^K)^lambda.
 * - ::TZNR_LSH_MEAN_AT_THRESHOLD (an estimate for planning): the mean of
 *   1 - (1 - p^K)^lambda over pairs scoring exactly t whose two filters both have popcount
 *   x, x drawn from the popcounts of A and B together (so S = 2x). Pairs above the threshold
 *   only do better. Records with unusually many set bits are rare, and the worst case above
 *   is set by them: at equal recall target this goal needs several times fewer tables; it
 *   promises nothing for an individual pair.
 *
 * tznr_lsh_recall() evaluates both for given K and lambda.
 *
 * @par Choosing K and lambda
 * Larger K makes random pairs rarer but needs more tables. A random pair of filters with
 * bit densities dA, dB agrees on a bit with probability q = dA*dB + (1-dA)(1-dB), so about
 * lambda * E[q^K] * |A||B| pairs are compared, the mean taken over the popcounts of A and B.
 * tznr_lsh_choose() computes, for each K in 1..64, the smallest lambda meeting the goal and
 * keeps the K of lowest estimated cost lambda * ((|A|+|B|) * c_key + E[q^K] |A||B| c_cmp),
 * with c_key = 17 ns and c_cmp = 75 ns the costs of keying and bucketing one record for one
 * table and of one candidate comparison measured on the development machine
 * (bench/README.md). The cost model affects only speed.
 *
 * @par Sampling and reproducibility
 * Positions are not secret (the linkage unit holds no secret): position i of table j is
 * `((XXH3_64bits_withSeed(le64(j*K + i), seed) >> 32) * L) >> 32` (xxHash 0.8, in the
 * clkhash bit numbering of clkset.h; the bias of this reduction is below L/2^32). The same
 * (L, K, lambda, seed) always gives the same positions and the same results; record the
 * seed to reproduce a run. ::TZNR_LSH_DEFAULT_SEED is the documented default.
 *
 * @par Thread safety
 * An index is immutable after tznr_lsh_new(): it may be used by concurrent searches. The
 * other functions are pure.
 */
#ifndef TZNR_BLOCK_H
#define TZNR_BLOCK_H

#include <tznr/common.h>
#include <tznr/clkset.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default sampling seed: the ASCII bytes "tznr-lsh" read as a big-endian integer. */
#define TZNR_LSH_DEFAULT_SEED UINT64_C(0x747a6e722d6c7368)

/** Largest K (bits per key). */
#define TZNR_LSH_MAX_K 64u

/** Largest number of tables. */
#define TZNR_LSH_MAX_TABLES 100000u

/** Opaque LSH index: the sampled positions of every table. */
typedef struct tznr_lsh tznr_lsh_t;

/**
 * @brief Draw the positions of @p tables tables of @p k bits for filters of @p filter_bits.
 * @param[out] out          Receives the index; NULL on failure. Free with tznr_lsh_free().
 * @param[in]  filter_bits  Filter length in bits: a positive multiple of 64, <= 1,048,576.
 * @param[in]  k            Bits per key, 1..::TZNR_LSH_MAX_K.
 * @param[in]  tables       Number of tables (lambda), 1..::TZNR_LSH_MAX_TABLES.
 * @param[in]  seed         Sampling seed (e.g. ::TZNR_LSH_DEFAULT_SEED).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out or a parameter out of range.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_lsh_new(tznr_lsh_t **out, size_t filter_bits, unsigned k, unsigned tables, uint64_t seed);

/**
 * @brief Free an index. NULL is accepted.
 * @param[in] lsh  The index.
 * @since 0.2
 */
TZNR_API void tznr_lsh_free(tznr_lsh_t *lsh);

/**
 * @brief Bits per key (K).
 * @param[in] lsh  The index; NULL gives 0.
 * @return K.
 * @since 0.2
 */
TZNR_API unsigned tznr_lsh_k(const tznr_lsh_t *lsh);

/**
 * @brief Number of tables (lambda).
 * @param[in] lsh  The index; NULL gives 0.
 * @return lambda.
 * @since 0.2
 */
TZNR_API unsigned tznr_lsh_tables(const tznr_lsh_t *lsh);

/**
 * @brief Sampling seed of the index.
 * @param[in] lsh  The index; NULL gives 0.
 * @return The seed given to tznr_lsh_new().
 * @since 0.2
 */
TZNR_API uint64_t tznr_lsh_seed(const tznr_lsh_t *lsh);

/**
 * @brief Filter length in bits the index was made for.
 * @param[in] lsh  The index; NULL gives 0.
 * @return Bits.
 * @since 0.2
 */
TZNR_API size_t tznr_lsh_filter_bits(const tznr_lsh_t *lsh);

/**
 * @brief One sampled position (clkhash bit numbering: bit `0x80 >> p%8` of byte `p/8`).
 * @param[out] out    Receives the position, 0..filter_bits-1.
 * @param[in]  lsh    The index.
 * @param[in]  table  0..lambda-1.
 * @param[in]  i      0..K-1.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or index out of range.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_lsh_position(uint32_t *out, const tznr_lsh_t *lsh, unsigned table, unsigned i);

/**
 * @brief Probability that a pair agreeing on a sampled bit with probability @p p becomes a
 *        candidate: 1 - (1 - p^k)^tables.
 * @param[in] p       Per-bit agreement probability, 1 - hamming/filter_bits, in [0, 1].
 * @param[in] k       Bits per key.
 * @param[in] tables  Number of tables.
 * @return The probability in [0, 1]; NaN if @p p is outside [0, 1].
 * @par References
 * Indyk & Motwani (1998), "Approximate nearest neighbors: towards removing the curse of
 * dimensionality", STOC; Karapiperis & Verykios (2015), IEEE TKDE 27(4).
 * @since 0.2
 */
TZNR_API double tznr_lsh_candidate_probability(double p, unsigned k, unsigned tables);

/**
 * @brief Smallest per-bit agreement probability of a pair whose Dice score reaches
 *        @p threshold and whose popcounts sum to at most @p max_popcount_sum.
 *
 * p_min = 1 - h_max / filter_bits, with h_max the largest Hamming distance
 * |x| + |y| - 2c over sums s = |x| + |y| <= @p max_popcount_sum and intersections c for
 * which the exact score 2c/s (in double) is >= @p threshold.
 *
 * @param[out] out               Receives p_min in [0, 1] (1 if no such pair exists).
 * @param[in]  threshold         Dice threshold in [0, 1].
 * @param[in]  filter_bits       Filter length in bits (> 0).
 * @param[in]  max_popcount_sum  Upper bound of |x| + |y|, at most 2 * @p filter_bits.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out or a parameter out of range.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_lsh_agreement_bound(double *out, double threshold, size_t filter_bits,
                         uint64_t max_popcount_sum);

/** What tznr_lsh_choose() aims at (see the file description). */
typedef enum tznr_lsh_goal {
    TZNR_LSH_EVERY_PAIR = 0,        /**< Guaranteed probability for every pair >= threshold. */
    TZNR_LSH_MEAN_AT_THRESHOLD = 1  /**< Mean probability over pairs at the threshold. */
} tznr_lsh_goal_t;

/**
 * @brief Recall of K and lambda for the pairs of @p a x @p b at a Dice threshold.
 *
 * @param[out] every_pair  Receives the guaranteed probability for every pair >= threshold
 *                         (::TZNR_LSH_EVERY_PAIR); may be NULL.
 * @param[out] mean_at_threshold  Receives the mean over pairs at the threshold
 *                         (::TZNR_LSH_MEAN_AT_THRESHOLD); may be NULL.
 * @param[in]  a           Filters of A.
 * @param[in]  b           Filters of B (same length).
 * @param[in]  threshold   Dice threshold in [0, 1].
 * @param[in]  k           Bits per key, 1..::TZNR_LSH_MAX_K.
 * @param[in]  tables      Number of tables, >= 1.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL set, parameter out of range, or a set without filters.
 * @retval TZNR_EBUFSIZE  Different filter lengths.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_lsh_recall(double *every_pair, double *mean_at_threshold, const tznr_clkset_t *a,
                const tznr_clkset_t *b, double threshold, unsigned k, unsigned tables);

/**
 * @brief Choose K and lambda reaching @p recall under @p goal for @p a x @p b at a Dice
 *        threshold, at the lowest estimated cost.
 *
 * See the file description for the derivation and the cost model.
 *
 * @param[out] k          Receives K.
 * @param[out] tables     Receives lambda (the smallest for that K).
 * @param[in]  a          Filters of A.
 * @param[in]  b          Filters of B (same length).
 * @param[in]  threshold  Dice threshold in [0, 1].
 * @param[in]  recall     Target probability in (0, 1), e.g. 0.995.
 * @param[in]  goal       ::TZNR_LSH_EVERY_PAIR or ::TZNR_LSH_MEAN_AT_THRESHOLD.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, parameter out of range, a set without filters, or
 *                        no K <= 64 reaches the recall with at most ::TZNR_LSH_MAX_TABLES
 *                        tables (e.g. at a very low threshold: use exhaustive search).
 * @retval TZNR_EBUFSIZE  Different filter lengths.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_lsh_choose(unsigned *k, unsigned *tables, const tznr_clkset_t *a, const tznr_clkset_t *b,
                double threshold, double recall, tznr_lsh_goal_t goal);

#ifdef __cplusplus
}
#endif
#endif
