/**
 * @file link.h
 * @brief Probabilistic linkage on encoded containers (linkage unit): comparison vectors from
 *        field-level Dice similarities, Fellegi–Sunter with EM, match probabilities, 1:1
 *        assignment for two files, clustering for deduplication, and a report.
 *
 * Pipeline: every candidate pair (all pairs, or those whose CLK Dice reaches a prefilter
 * threshold) gets a comparison vector: for each field, the level its field-level Dice falls
 * in (thresholds from the schema, see tznr_schema_feature_levels()), or missing when either
 * field filter is empty. The fields of a linkage group (schema `features[i].linkage.group`,
 * e.g. birth name and usage name) form one entry, a **column**: its Dice is the best over
 * every cross pair of the two records' non-empty member filters, and it is missing only when
 * no such pair exists (tznr_link_column_count()). The model has one field per column. EM (tznr_fs_em()) runs on the counts of distinct vectors. Pairs whose
 * match probability reaches the threshold are links; for two files they go through a greedy
 * 1:1 assignment in decreasing match weight; for deduplication, connected components of the
 * links form clusters.
 *
 * The report estimates precision and recall from the posteriors alone, without truth
 * (Enamorado, Fifield & Imai 2019): expected false links = sum over links of (1 - p), and
 * expected matches = sum over all compared pairs of p.
 *
 * @par Thread safety
 * A linker is configured by one thread, then may run several linkages concurrently. Results
 * are read-only after creation.
 */
#ifndef TZNR_LINK_H
#define TZNR_LINK_H

#include <tznr/common.h>
#include <tznr/container.h>
#include <tznr/fs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque linkage configuration. */
typedef struct tznr_linker tznr_linker_t;

/** Opaque result of a linkage or deduplication run. */
typedef struct tznr_link_result tznr_link_result_t;

/**
 * @brief Create a linker with the defaults: match probability threshold 0.5, EM with at most
 *        1000 iterations and tolerance 1e-6, all pairs compared, EM estimating lambda, m and u.
 * @param[out] out  Receives the linker; NULL on failure.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_linker_new(tznr_linker_t **out);

/**
 * @brief Free a linker. NULL is accepted.
 * @param[in] lk  The linker.
 * @since 0.1
 */
TZNR_API void tznr_linker_free(tznr_linker_t *lk);

/**
 * @brief Match probability a pair needs to be linked.
 * @param[in,out] lk           The linker.
 * @param[in]     probability  In (0, 1).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker or a value outside (0, 1).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_linker_set_threshold(tznr_linker_t *lk, double probability);

/**
 * @brief EM stopping rule.
 * @param[in,out] lk              The linker.
 * @param[in]     max_iterations  At least 1.
 * @param[in]     tolerance       Largest parameter change at convergence, > 0.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  Bad values.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_linker_set_em(tznr_linker_t *lk, unsigned max_iterations, double tolerance);

/**
 * @brief Only compare pairs whose CLK Dice coefficient is at least @p min_dice (a blocking
 *        prefilter; 0 compares every pair).
 * @param[in,out] lk        The linker.
 * @param[in]     min_dice  In [0, 1].
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  Bad value.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_linker_set_prefilter(tznr_linker_t *lk, double min_dice);

/**
 * @brief Start EM from (or keep fixed) the parameters of @p model (copied).
 *
 * The model's field and level counts must match the containers linked later. With
 * @p fix_m / @p fix_u set, EM keeps those probabilities (user-given m, or u estimated
 * elsewhere); lambda is always estimated.
 *
 * @param[in,out] lk     The linker.
 * @param[in]     model  Parameters to copy; NULL returns to the defaults.
 * @param[in]     fix_m  Non-zero to keep m fixed.
 * @param[in]     fix_u  Non-zero to keep u fixed.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_linker_set_model(tznr_linker_t *lk, const tznr_fs_model_t *model, int fix_m, int fix_u);

/**
 * @brief Estimate u from @p n_pairs random pairs before EM and keep it fixed (almost all
 *        random pairs are non-matches). 0 turns the option off.
 *
 * Pairs are drawn with a counter-based generator (XXH3 of a counter) from @p seed, so a run
 * is reproducible.
 *
 * @param[in,out] lk       The linker.
 * @param[in]     n_pairs  Random pairs to draw (0 = off).
 * @param[in]     seed     Generator seed.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_linker_set_u_from_random(tznr_linker_t *lk, uint64_t n_pairs, uint64_t seed);

/**
 * @brief Threads used to compare pairs (0 = all online cores, the default; at most 64).
 *
 * Results are identical for any thread count: links are sorted before assignment, and
 * pattern counts do not depend on the order in which pairs are counted.
 *
 * @param[in,out] lk       The linker.
 * @param[in]     threads  0 .. 64.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker or more than 64.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_linker_set_threads(tznr_linker_t *lk, unsigned threads);

/** Default of tznr_linker_set_max_links(): 10 million links. */
#define TZNR_LINK_DEFAULT_MAX_LINKS UINT64_C(10000000)

/**
 * @brief The most links (pairs reaching the match probability threshold) a run may keep.
 *
 * Links are held in memory until the end of the run (for the 1:1 assignment, the clusters
 * and tznr_link_result_get()): about 32 bytes each, and 32 more while
 * tznr_link_result_write_links() sorts them. After EM, the exact number of links is known
 * from the pattern counts before any is stored; a run with more stops there with
 * ::TZNR_ELIMIT, and a message naming the records, the pairs compared in the block, the
 * links and this limit (e.g. 20,000 records of one surname and birth year all compared:
 * use a finer blocking, tznr_linker_set_prefilter(), or a higher threshold). The comparison
 * itself needs at most 2 bytes per pair (a cache, only for runs of at most 2^28 pairs) plus
 * the distinct comparison patterns, whatever the number of pairs.
 *
 * @param[in,out] lk         The linker.
 * @param[in]     max_links  The limit; 0 = no limit. Default ::TZNR_LINK_DEFAULT_MAX_LINKS.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker.
 * @par References
 * dedupe issue #899 (one block of a common surname exhausting memory).
 * @since 0.3
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_linker_set_max_links(tznr_linker_t *lk, uint64_t max_links);

/**
 * @brief Set a progress callback (units: candidate pairs compared, two passes).
 * @param[in,out] lk    The linker.
 * @param[in]     fn    Callback, or NULL for none.
 * @param[in]     user  Passed to @p fn.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL linker.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_linker_set_progress(tznr_linker_t *lk, tznr_progress_fn fn, void *user);

/**
 * @brief Link two containers made with the same schema: EM, links above the threshold,
 *        greedy 1:1 assignment in decreasing match weight (ties: lower a row, then b row).
 * @param[out] out  Receives the result; NULL on failure.
 * @param[in]  lk   The linker.
 * @param[in]  a    Container of custodian A.
 * @param[in]  b    Container of custodian B.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, containers with different schema fingerprints or
 *                      layouts, or a model whose shape does not match.
 * @retval TZNR_ELIMIT  More than 2^32 pairs to compare without a prefilter.
 * @retval TZNR_ESTATE  Cancelled by the progress callback.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_two(tznr_link_result_t **out, const tznr_linker_t *lk, const tznr_container_t *a,
              const tznr_container_t *b);

/**
 * @brief Deduplicate one container: EM on all pairs i < j, links above the threshold,
 *        clusters = connected components of the links.
 * @param[out] out  Receives the result; NULL on failure.
 * @param[in]  lk   The linker.
 * @param[in]  a    The container.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or a model whose shape does not match.
 * @retval TZNR_ELIMIT  Too many pairs without a prefilter.
 * @retval TZNR_ESTATE  Cancelled.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_dedupe(tznr_link_result_t **out, const tznr_linker_t *lk, const tznr_container_t *a);

/**
 * @brief Free a result. NULL is accepted.
 * @param[in] res  The result.
 * @since 0.1
 */
TZNR_API void tznr_link_result_free(tznr_link_result_t *res);

/**
 * @brief Number of links (after 1:1 assignment for two files).
 * @param[in] res  The result; NULL gives 0.
 * @return The link count.
 * @since 0.1
 */
TZNR_API size_t tznr_link_result_count(const tznr_link_result_t *res);

/**
 * @brief Read link @p i. Links are sorted by match probability descending, then match
 *        weight descending, then a row, then b row.
 * @param[in]  res          The result.
 * @param[in]  i            0 .. count-1.
 * @param[out] a_row        Receives the row in A (may be NULL).
 * @param[out] b_row        Receives the row in B, or in A for deduplication (may be NULL).
 * @param[out] probability  Receives the match probability (may be NULL).
 * @param[out] weight       Receives the match weight in bits (may be NULL).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL result or @p i out of range.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_get(const tznr_link_result_t *res, size_t i, uint64_t *a_row, uint64_t *b_row,
                     double *probability, double *weight);

/**
 * @brief The fitted model (borrowed; valid while the result lives).
 * @param[in] res  The result.
 * @return The model, or NULL.
 * @since 0.1
 */
TZNR_API const tznr_fs_model_t *tznr_link_result_model(const tznr_link_result_t *res);

/**
 * @brief EM convergence and run statistics.
 * @param[in]  res          The result.
 * @param[out] iterations   EM iterations run (may be NULL).
 * @param[out] last_change  Largest parameter change in the last iteration (may be NULL).
 * @param[out] converged    1 if EM converged (may be NULL).
 * @param[out] pairs        Candidate pairs compared (may be NULL).
 * @param[out] patterns     Distinct comparison vectors (may be NULL).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL result.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_stats(const tznr_link_result_t *res, unsigned *iterations, double *last_change,
                       int *converged, uint64_t *pairs, uint64_t *patterns);

/**
 * @brief Precision and recall estimated from the posteriors (no truth needed).
 * @param[in]  res        The result.
 * @param[out] precision  Receives 1 - (sum over links of (1 - p)) / links (may be NULL).
 * @param[out] recall     Receives (sum over links of p) / (sum over all compared pairs of p),
 *                        before 1:1 assignment's removals (may be NULL).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL result.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_estimates(const tznr_link_result_t *res, double *precision, double *recall);

/**
 * @brief Cluster of record @p row (deduplication results only).
 * @param[in] res  The result.
 * @param[in] row  Record row.
 * @return The row of the cluster's first record (its representative), or UINT64_MAX for a
 *         linkage of two files or a row out of range.
 * @since 0.1
 */
TZNR_API uint64_t tznr_link_result_cluster(const tznr_link_result_t *res, uint64_t row);

/**
 * @brief Write the links as CSV `a_id,b_id,match_probability,match_weight` (identifiers
 *        from the containers), sorted by probability descending, then a_id, then b_id;
 *        atomically.
 * @param[in] res    The result.
 * @param[in] path   Destination or "-".
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  Exists and @p force is 0.
 * @retval TZNR_EIO     Write failure.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_write_links(const tznr_link_result_t *res, const char *path, int force);

/**
 * @brief Write the clusters of a deduplication as CSV `id,cluster_id` (cluster_id = the id of
 *        the cluster's first record), one row per record in row order; atomically.
 * @param[in] res    A deduplication result.
 * @param[in] path   Destination or "-".
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or not a deduplication result.
 * @retval TZNR_EEXIST  Exists and @p force is 0.
 * @retval TZNR_EIO     Write failure.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_write_clusters(const tznr_link_result_t *res, const char *path, int force);

/**
 * @brief Write the report as JSON: lambda, m, u and match weight per field and level,
 *        informative fields, EM convergence, pairs, patterns, links, threshold and the
 *        estimated precision and recall; atomically.
 * @param[in] res    The result.
 * @param[in] path   Destination or "-".
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  Exists and @p force is 0.
 * @retval TZNR_EIO     Write failure.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_result_write_report(const tznr_link_result_t *res, const char *path, int force);

/**
 * @brief Number of comparison columns of a container's layout: one per field, except that
 *        the fields of one linkage group (tznr_container_field_group()) make a single column.
 *
 * Columns are the entries of a comparison vector and the fields of the Fellegi–Sunter model
 * (tznr_fs_model_new()), in the order of their first field. Without groups there is one
 * column per field, in field order.
 *
 * @param[in] c  The container.
 * @return The column count, 0 for NULL.
 * @since 0.2
 */
TZNR_API size_t tznr_link_column_count(const tznr_container_t *c);

/**
 * @brief Name of comparison column @p col: the field's name, or the group's name for a
 *        linkage group (also the name used in the report).
 * @param[in] c    The container.
 * @param[in] col  0 .. tznr_link_column_count()-1.
 * @return A NUL-terminated string valid while the container lives, or NULL on bad arguments.
 * @since 0.2
 */
TZNR_API const char *tznr_link_column_name(const tznr_container_t *c, size_t col);

/**
 * @brief Fields (indices into the container's fields) compared in column @p col.
 * @param[in]  c       The container.
 * @param[in]  col     0 .. tznr_link_column_count()-1.
 * @param[out] fields  Receives up to @p cap field indices, in field order (may be NULL).
 * @param[in]  cap     Capacity of @p fields.
 * @return The number of fields of the column (1, or the group's size), 0 on bad arguments.
 * @since 0.2
 */
TZNR_API size_t tznr_link_column_fields(const tznr_container_t *c, size_t col, size_t *fields,
                                        size_t cap);

/**
 * @brief Comparison vector of one pair of records (the levels used by the model).
 *
 * Entry k is the level of column k (tznr_link_column_count()): for a single field, the level
 * of the Dice of the two field filters, missing when either is empty; for a linkage group,
 * the level of the best Dice over every pair (a's member x, b's member y) whose filters are
 * both non-empty, missing when there is none.
 *
 * @param[out] gamma  Receives tznr_link_column_count() levels (or ::TZNR_FS_MISSING); without
 *                    linkage groups, that is tznr_container_field_count().
 * @param[in]  a      Container of the first record.
 * @param[in]  ai     Its row.
 * @param[in]  b      Container of the second record (may equal @p a).
 * @param[in]  bi     Its row.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, rows out of range, or different layouts.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_link_compare(uint8_t *gamma, const tznr_container_t *a, size_t ai, const tznr_container_t *b,
                  size_t bi);

#ifdef __cplusplus
}
#endif
#endif
