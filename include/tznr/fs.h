/**
 * @file fs.h
 * @brief Fellegi–Sunter probabilistic linkage: comparison patterns, EM estimation of the
 *        prior and of the m/u probabilities, match weights and match probabilities.
 *
 * A **comparison vector** (gamma) holds, for each field, the index of the comparison level
 * the pair falls in: level 0 is the strongest agreement, the last level is disagreement,
 * and ::TZNR_FS_MISSING means the value is missing on either side. Missing values carry no
 * evidence (weight 0, as in fastLink's missing-at-random treatment): they are never counted
 * as agreement or disagreement.
 *
 * The model is the latent-class mixture of Fellegi & Sunter with conditional independence:
 * P(gamma) = lambda * prod_f m_f[gamma_f] + (1 - lambda) * prod_f u_f[gamma_f], where
 * lambda is the proportion of matches among the compared pairs, m_f[l] = P(level l | match)
 * and u_f[l] = P(level l | non-match). EM runs on the counts of distinct patterns
 * (Enamorado, Fifield & Imai 2019), so its cost does not grow with the number of pairs.
 * A pseudo-count of 1e-6 per level keeps every estimate strictly inside (0, 1), so that every
 * weight stays finite even for levels never observed.
 *
 * The **match weight** of a pair is the log2 of the posterior odds:
 * `log2(lambda / (1 - lambda)) + sum_f log2(m_f[gamma_f] / u_f[gamma_f])` (missing fields add
 * 0), and the **match probability** is `2^w / (1 + 2^w)`.
 *
 * @par Thread safety
 * A model may be read (weights, probabilities, parameters) from any number of threads at
 * once; setters, EM and _free need exclusive use. Pattern tables likewise.
 *
 * @par References
 * Fellegi & Sunter (1969), A theory for record linkage, JASA 64(328). Winkler (1988), Using
 * the EM algorithm for weight computation in the Fellegi–Sunter model of record linkage.
 * Enamorado, Fifield & Imai (2019), Using a probabilistic model to assist merging of
 * large-scale administrative records, APSR 113(2) (fastLink). Brown et al. (2019), IJPDS
 * 4(1):1095 (Fellegi–Sunter on Bloom-filter similarities).
 */
#ifndef TZNR_FS_H
#define TZNR_FS_H

#include <tznr/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Value of a comparison-vector entry when the field is missing on either side. */
#define TZNR_FS_MISSING 255

/** Most comparison levels a field may have (missing not counted). */
#define TZNR_FS_MAX_LEVELS 16

/** Opaque Fellegi–Sunter model: lambda and m/u per field and level. */
typedef struct tznr_fs_model tznr_fs_model_t;

/** Opaque table of distinct comparison patterns with their counts. */
typedef struct tznr_fs_patterns tznr_fs_patterns_t;

/**
 * @brief Create a model with default starting values.
 *
 * Defaults: lambda = 1e-4; for a field with L levels, m decreases from 0.9 at level 0 to
 * the remainder spread over the others, u increases from 0.01 at level 0 to most mass on the
 * last (disagreement) level. Use tznr_fs_model_set_params() for other starting values.
 *
 * @param[out] out       Receives the model; NULL on failure.
 * @param[in]  n_fields  Number of fields, 1 .. 64.
 * @param[in]  n_levels  @p n_fields level counts, each 2 .. ::TZNR_FS_MAX_LEVELS.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or a count out of range.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_model_new(tznr_fs_model_t **out, size_t n_fields, const uint8_t *n_levels);

/**
 * @brief Free a model. NULL is accepted.
 * @param[in] model  The model.
 * @since 0.1
 */
TZNR_API void tznr_fs_model_free(tznr_fs_model_t *model);

/**
 * @brief Number of fields of the model.
 * @param[in] model  The model; NULL gives 0.
 * @return The field count.
 * @since 0.1
 */
TZNR_API size_t tznr_fs_model_fields(const tznr_fs_model_t *model);

/**
 * @brief Number of levels of field @p field (missing not counted).
 * @param[in] model  The model.
 * @param[in] field  0 .. fields-1.
 * @return The level count, or 0 for a NULL model or a field out of range.
 * @since 0.1
 */
TZNR_API size_t tznr_fs_model_levels(const tznr_fs_model_t *model, size_t field);

/**
 * @brief Set lambda and every m and u probability (starting values for EM, or fixed values).
 *
 * Probabilities must lie strictly inside (0, 1): a starting value of exactly 0 or 1 can
 * never move under EM (splink issue #161), so it is rejected rather than silently kept.
 * Each field's m (and u) values must sum to 1 within 1e-6.
 *
 * @param[in,out] model   The model.
 * @param[in]     lambda  Prior proportion of matches among compared pairs, in (0, 1).
 * @param[in]     m       Sum of levels doubles: field 0's levels, then field 1's, ...
 *                        May be NULL to keep the current m.
 * @param[in]     u       Same layout as @p m; may be NULL to keep the current u.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  A value outside (0, 1) or a field whose values do not sum to 1 (the
 *                      detail names the field and level).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_model_set_params(tznr_fs_model_t *model, double lambda, const double *m, const double *u);

/**
 * @brief Read lambda and the m and u probabilities.
 * @param[in]  model   The model.
 * @param[out] lambda  Receives lambda (may be NULL).
 * @param[out] m       Receives sum-of-levels doubles (may be NULL).
 * @param[out] u       Receives sum-of-levels doubles (may be NULL).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL model.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_model_get_params(const tznr_fs_model_t *model, double *lambda, double *m, double *u);

/**
 * @brief Keep m and/or u fixed during EM (e.g. u estimated from random pairs, or m given
 *        by the user). lambda is always estimated.
 * @param[in,out] model    The model.
 * @param[in]     fix_m    Non-zero to keep m fixed.
 * @param[in]     fix_u    Non-zero to keep u fixed.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL model.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_model_fix(tznr_fs_model_t *model, int fix_m, int fix_u);

/**
 * @brief Whether a field carried information in the last EM run.
 *
 * A field whose non-missing comparisons all fell in one level (for example "sex agrees"
 * after blocking on sex) cannot separate matches from non-matches: its m and u coincide
 * and its weight is about 0. Such a field is reported here rather than breaking the fit.
 *
 * @param[in] model  The model.
 * @param[in] field  0 .. fields-1.
 * @return 1 if informative, 0 if not (one observed level or none), -1 on bad arguments.
 * @since 0.1
 */
TZNR_API int tznr_fs_model_field_informative(const tznr_fs_model_t *model, size_t field);

/**
 * @brief Match weight of one level of one field: log2(m / u).
 * @param[out] out    Receives the weight in bits (finite).
 * @param[in]  model  The model.
 * @param[in]  field  0 .. fields-1.
 * @param[in]  level  0 .. levels-1, or ::TZNR_FS_MISSING (weight 0).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  Bad arguments.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_level_weight(double *out, const tznr_fs_model_t *model, size_t field, uint8_t level);

/**
 * @brief Match weight and match probability of one comparison vector.
 * @param[out] weight         Receives the match weight in bits (posterior log2 odds); may be NULL.
 * @param[out] probability    Receives the match probability in [0, 1]; may be NULL.
 * @param[out] contributions  Receives each field's log2(m/u) (fields doubles); may be NULL.
 * @param[in]  model          The model.
 * @param[in]  gamma          fields level indices (or ::TZNR_FS_MISSING).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument or a level out of range.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_score(double *weight, double *probability, double *contributions,
              const tznr_fs_model_t *model, const uint8_t *gamma);

/**
 * @brief Create an empty pattern table.
 * @param[out] out       Receives the table; NULL on failure.
 * @param[in]  n_fields  Entries per comparison vector, 1 .. 64.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out or bad @p n_fields.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_fs_patterns_new(tznr_fs_patterns_t **out, size_t n_fields);

/**
 * @brief Free a pattern table. NULL is accepted.
 * @param[in] patterns  The table.
 * @since 0.1
 */
TZNR_API void tznr_fs_patterns_free(tznr_fs_patterns_t *patterns);

/**
 * @brief Add @p count pairs with comparison vector @p gamma.
 * @param[in,out] patterns  The table.
 * @param[in]     gamma     n_fields entries.
 * @param[in]     count     Number of pairs (64-bit: exact for any realistic pair count).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_ELIMIT  The total count would overflow 64 bits.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_patterns_add(tznr_fs_patterns_t *patterns, const uint8_t *gamma, uint64_t count);

/**
 * @brief Number of distinct patterns in the table.
 * @param[in] patterns  The table; NULL gives 0.
 * @return Distinct patterns.
 * @since 0.1
 */
TZNR_API size_t tznr_fs_patterns_distinct(const tznr_fs_patterns_t *patterns);

/**
 * @brief Total number of pairs added.
 * @param[in] patterns  The table; NULL gives 0.
 * @return Sum of counts.
 * @since 0.1
 */
TZNR_API uint64_t tznr_fs_patterns_total(const tznr_fs_patterns_t *patterns);

/**
 * @brief Estimate lambda (and m, u unless fixed) by EM on the pattern counts.
 *
 * Starts from the model's current parameters. Stops when the largest absolute change of any
 * parameter between two iterations is below @p tolerance (converged), or after
 * @p max_iterations iterations (not converged: the parameters reached are kept, and
 * @p converged says so — it never claims convergence it did not reach).
 *
 * @param[in,out] model           The model (levels must match the table's vectors).
 * @param[in]     patterns        Pattern counts (at least one pair).
 * @param[in]     max_iterations  At least 1.
 * @param[in]     tolerance       Convergence threshold on parameter changes, > 0.
 * @param[out]    iterations      Receives the iterations run (may be NULL).
 * @param[out]    last_change     Receives the largest parameter change of the last iteration (may be NULL).
 * @param[out]    converged       Receives 1 if converged, 0 otherwise (may be NULL).
 * @retval TZNR_OK      Success (converged or not).
 * @retval TZNR_EINVAL  NULL argument, empty table, bad options, or a level out of range in
 *                      the table (the detail names the field).
 * @par References
 * Winkler (1988); Enamorado, Fifield & Imai (2019).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_em(tznr_fs_model_t *model, const tznr_fs_patterns_t *patterns, unsigned max_iterations,
           double tolerance, unsigned *iterations, double *last_change, int *converged);

/**
 * @brief Prior match probability from a deterministic rule and its assumed recall.
 *
 * prior = rule_pairs / recall / total_pairs (Splink's estimate_probability_two_random_records_match).
 * An estimate above 1 means the assumed recall is inconsistent with the data: the detail
 * gives the estimate and the minimum consistent recall (rule_pairs / total_pairs).
 *
 * @param[out] prior        Receives the estimate in (0, 1).
 * @param[in]  rule_pairs   Pairs matched by the rule.
 * @param[in]  recall       Assumed recall of the rule, in (0, 1].
 * @param[in]  total_pairs  Pairs compared in all (> 0).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p prior, recall outside (0, 1], zero total, no pair matched by
 *                      the rule (the estimate would be 0), or an estimate >= 1.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_fs_prior_from_rule(double *prior, uint64_t rule_pairs, double recall, uint64_t total_pairs);

#ifdef __cplusplus
}
#endif
#endif
