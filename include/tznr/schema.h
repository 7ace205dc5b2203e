/**
 * @file schema.h
 * @brief The linkage schema: which fields are encoded, how they are validated, formatted,
 *        tokenised and hashed (clkhash linkage schema v3, plus documented tznr extensions).
 *
 * See docs/schema.md for every key, its default and its exact semantics.
 *
 * @par Thread safety
 * A schema is immutable once created: it may be shared by any number of threads. Only
 * tznr_schema_free() needs exclusive use.
 *
 * @par References
 * clkhash linkage schema v3 (data61/clkhash, docs/schema.rst, clkhash/schemas/v3.json).
 */
#ifndef TZNR_SCHEMA_H
#define TZNR_SCHEMA_H

#include <tznr/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque, immutable linkage schema. */
typedef struct tznr_schema tznr_schema_t;

/**
 * @brief Parse and validate a linkage schema from JSON text.
 *
 * The whole schema is checked before anything is returned: unknown keys, wrong types,
 * out-of-range values, invalid regular expressions, mutually exclusive options. The detail
 * message (tznr_last_error_message()) names the JSON path, e.g.
 * `features[1].hashing.strategy.bitsPerToken`, and the rule broken.
 *
 * @param[out] out       Receives the new schema; set to NULL on failure. Free with tznr_schema_free().
 * @param[in]  json      UTF-8 JSON text, @p json_len bytes, not necessarily NUL-terminated.
 * @param[in]  json_len  Length of @p json in bytes.
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   @p out or @p json is NULL.
 * @retval TZNR_ESCHEMA  The text is not JSON, or breaks a schema rule.
 * @retval TZNR_ENOMEM   Out of memory.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_schema_new_from_json(tznr_schema_t **out, const char *json, size_t json_len);

/**
 * @brief Read, parse and validate a linkage schema file.
 * @param[out] out   Receives the new schema; NULL on failure. Free with tznr_schema_free().
 * @param[in]  path  Path of a UTF-8 JSON file (at most 16 MiB).
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL argument.
 * @retval TZNR_EIO      The file cannot be read (the detail names it).
 * @retval TZNR_ESCHEMA  Invalid schema (the detail names the file, JSON path and rule).
 * @retval TZNR_ELIMIT   The file is larger than 16 MiB.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_schema_new_from_file(tznr_schema_t **out, const char *path);

/**
 * @brief Free a schema. NULL is accepted and ignored.
 * @param[in] schema  Schema to free; must not be in use by another thread.
 * @since 0.1
 */
TZNR_API void tznr_schema_free(tznr_schema_t *schema);

/**
 * @brief Length of the CLKs this schema produces, in bits (`clkConfig.l`, after XOR folding).
 * @param[in] schema  A schema; NULL gives 0.
 * @return Filter length in bits (a multiple of 64), or 0 for NULL.
 * @since 0.1
 */
TZNR_API size_t tznr_schema_filter_bits(const tznr_schema_t *schema);

/**
 * @brief Number of features (columns) in the schema, ignored ones included.
 * @param[in] schema  A schema; NULL gives 0.
 * @return The number of entries of `features`.
 * @since 0.1
 */
TZNR_API size_t tznr_schema_feature_count(const tznr_schema_t *schema);

/**
 * @brief Identifier (column name) of feature @p index.
 * @param[in] schema  A schema.
 * @param[in] index   0 .. tznr_schema_feature_count()-1.
 * @return A NUL-terminated UTF-8 string valid until the schema is freed, or NULL if
 *         @p schema is NULL or @p index is out of range.
 * @since 0.1
 */
TZNR_API const char *tznr_schema_feature_name(const tznr_schema_t *schema, size_t index);

/**
 * @brief Whether feature @p index is ignored (read from the input but not encoded).
 * @param[in] schema  A schema.
 * @param[in] index   0 .. tznr_schema_feature_count()-1.
 * @return 1 if ignored, 0 if encoded, -1 if @p schema is NULL or @p index out of range.
 * @since 0.1
 */
TZNR_API int tznr_schema_feature_is_ignored(const tznr_schema_t *schema, size_t index);

/**
 * @brief Index of the record-identifier column (tznr extension `linkage.idColumn`).
 *
 * Identifiers are the custodian's own pseudonymous record keys, carried in native encoded
 * containers so that results can be returned to each custodian; they are never hashed.
 *
 * @param[in] schema  A schema.
 * @return The feature index, or -1 if the schema names none (or @p schema is NULL).
 * @since 0.1
 */
TZNR_API long tznr_schema_id_column(const tznr_schema_t *schema);

/**
 * @brief SHA-256 fingerprint of the schema, to check that two encodings used the same one.
 *
 * Computed over the canonical JSON of the schema (keys sorted, compact, non-ASCII escaped,
 * the free-text `note` removed), so formatting differences do not change it.
 *
 * @param[in]  schema   A schema.
 * @param[out] out      Receives 32 bytes.
 * @param[in]  out_len  Must be 32.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument.
 * @retval TZNR_EBUFSIZE  @p out_len is not 32.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_schema_fingerprint(const tznr_schema_t *schema, uint8_t *out, size_t out_len);

/**
 * @brief Linkage group of a feature (tznr extension `features[i].linkage.group`).
 *
 * The features of one group (at least two, with identical format, hashing and levels) form a
 * single comparison in probabilistic linkage, the best Dice over every cross pair of their
 * values, and are hashed with the keys of the group's first member (docs/linkage.md).
 *
 * @param[in] schema  A schema.
 * @param[in] index   Feature index.
 * @return The group name (valid while the schema lives), or NULL if the feature is in no
 *         group, ignored, or the arguments are bad.
 * @since 0.2
 */
TZNR_API const char *tznr_schema_feature_group(const tznr_schema_t *schema, size_t index);

/**
 * @brief Comparison levels of a feature for probabilistic linkage (tznr extension
 *        `features[i].linkage.levels`).
 *
 * Level i (0-based) holds pairs whose field-level Dice is >= thresholds[i] (and below the
 * previous threshold); one more level holds the rest ("else"); a separate missing level
 * holds pairs where either value is empty. Default thresholds: 1.0, 0.85, 0.7.
 *
 * @param[in]  schema      A schema.
 * @param[in]  index       Feature index.
 * @param[out] thresholds  Receives up to @p cap thresholds, decreasing (may be NULL).
 * @param[in]  cap         Capacity of @p thresholds.
 * @return The number of thresholds (so the field has that many plus one levels), or 0 if the
 *         feature is ignored, excluded with `"compare": false`, or the arguments are bad.
 * @since 0.1
 */
TZNR_API size_t tznr_schema_feature_levels(const tznr_schema_t *schema, size_t index,
                                           double *thresholds, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
