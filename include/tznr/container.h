/**
 * @file container.h
 * @brief The native encoded container (`.tznr`): a custodian's pseudonymous record
 *        identifiers, one field-level Bloom filter per compared field, and each record's CLK,
 *        with a self-describing, versioned header. Byte layout: docs/format.md.
 *
 * A container is what a data custodian sends to the linkage unit for probabilistic linkage
 * (tznr link / tznr dedupe). It holds no secret and no clear identifying value: only the
 * custodian's own record keys (from the schema's `linkage.idColumn`) and keyed encodings.
 * Field-level filters leak more than a single CLK to a frequency attack (Christen et al.
 * 2017): use them only within the agreed purpose.
 *
 * @par Thread safety
 * Read-only functions may run concurrently on one container; append and free need
 * exclusive use.
 *
 * @par References
 * Schnell, Bachteler & Reiher (2009) for field-level Bloom filters; Brown et al. (2019),
 * IJPDS 4(1):1095, for field-level similarities in Fellegi–Sunter linkage.
 */
#ifndef TZNR_CONTAINER_H
#define TZNR_CONTAINER_H

#include <tznr/common.h>
#include <tznr/schema.h>
#include <tznr/clkset.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque encoded container: identifiers, field-level filters and CLKs. */
typedef struct tznr_container tznr_container_t;

/** Major version of the container format this library writes and reads. */
#define TZNR_CONTAINER_FORMAT_MAJOR 1
/** Minor version written (readers accept any minor version of their major). */
#define TZNR_CONTAINER_FORMAT_MINOR 0

/**
 * @brief Create an empty container laid out from a schema.
 *
 * Fields are the schema's encoded features that take part in linkage (not ignored, not
 * `"compare": false`), in schema order, with their comparison levels; every field filter and
 * the CLK have tznr_schema_filter_bits() bits. The schema's fingerprint is recorded.
 *
 * @param[out] out     Receives the container; NULL on failure.
 * @param[in]  schema  The schema (not retained).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or the schema has no compared field.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_container_new(tznr_container_t **out, const tznr_schema_t *schema);

/**
 * @brief Free a container. NULL is accepted.
 * @param[in] c  The container.
 * @since 0.1
 */
TZNR_API void tznr_container_free(tznr_container_t *c);

/**
 * @brief Append one record.
 * @param[in,out] c           The container.
 * @param[in]     id          Record identifier, UTF-8, @p id_len bytes (at most 1024).
 * @param[in]     id_len      Bytes of @p id.
 * @param[in]     fields      tznr_container_field_count() filters back to back, each
 *                            tznr_container_field_bits()/8 bytes.
 * @param[in]     fields_len  Bytes of @p fields.
 * @param[in]     clk         tznr_container_clk_bits()/8 bytes.
 * @param[in]     clk_len     Bytes of @p clk.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, invalid UTF-8 or over-long identifier.
 * @retval TZNR_EBUFSIZE  Wrong @p fields_len or @p clk_len.
 * @retval TZNR_ENOMEM    Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_container_append(tznr_container_t *c, const char *id, size_t id_len, const uint8_t *fields,
                      size_t fields_len, const uint8_t *clk, size_t clk_len);

/**
 * @brief Number of records.
 * @param[in] c  The container; NULL gives 0.
 * @return The record count.
 * @since 0.1
 */
TZNR_API size_t tznr_container_count(const tznr_container_t *c);

/**
 * @brief Number of field-level filters per record.
 * @param[in] c  The container; NULL gives 0.
 * @return The field count.
 * @since 0.1
 */
TZNR_API size_t tznr_container_field_count(const tznr_container_t *c);

/**
 * @brief Name of field @p f.
 * @param[in] c  The container.
 * @param[in] f  0 .. field_count-1.
 * @return A NUL-terminated string valid while the container lives, or NULL.
 * @since 0.1
 */
TZNR_API const char *tznr_container_field_name(const tznr_container_t *c, size_t f);

/**
 * @brief Linkage group of field @p f (schema `features[i].linkage.group`).
 *
 * The fields of one group form a single comparison in probabilistic linkage: the best Dice
 * over every cross pair of their filters (see tznr_link_column_count()). Members share the
 * first member's hashing keys, so that a value gives the same bits in any member.
 *
 * @param[in] c  The container.
 * @param[in] f  0 .. field_count-1.
 * @return The group name (NUL-terminated, valid while the container lives), or NULL when the
 *         field is in no group or on bad arguments.
 * @since 0.2
 */
TZNR_API const char *tznr_container_field_group(const tznr_container_t *c, size_t f);

/**
 * @brief Bits of each field-level filter (all fields have the same length).
 * @param[in] c  The container; NULL gives 0.
 * @return Bits per field filter, a multiple of 64.
 * @since 0.1
 */
TZNR_API size_t tznr_container_field_bits(const tznr_container_t *c);

/**
 * @brief Comparison levels (Dice thresholds) of field @p f, as in the schema.
 * @param[in]  c           The container.
 * @param[in]  f           0 .. field_count-1.
 * @param[out] thresholds  Receives up to @p cap thresholds (may be NULL).
 * @param[in]  cap         Capacity of @p thresholds.
 * @return The number of thresholds, 0 on bad arguments.
 * @since 0.1
 */
TZNR_API size_t tznr_container_field_levels(const tznr_container_t *c, size_t f,
                                            double *thresholds, size_t cap);

/**
 * @brief Bits of each CLK.
 * @param[in] c  The container; NULL gives 0.
 * @return Bits per CLK.
 * @since 0.1
 */
TZNR_API size_t tznr_container_clk_bits(const tznr_container_t *c);

/**
 * @brief Identifier of record @p r.
 * @param[in]  c    The container.
 * @param[in]  r    0 .. count-1.
 * @param[out] len  Receives its length in bytes (may be NULL).
 * @return The identifier (NUL-terminated, valid while the container lives), or NULL.
 * @since 0.1
 */
TZNR_API const char *tznr_container_id(const tznr_container_t *c, size_t r, size_t *len);

/**
 * @brief Field filter @p f of record @p r.
 * @param[in] c  The container.
 * @param[in] r  Record index.
 * @param[in] f  Field index.
 * @return field_bits/8 bytes valid until the container is modified or freed, or NULL.
 * @since 0.1
 */
TZNR_API const uint8_t *tznr_container_field_filter(const tznr_container_t *c, size_t r, size_t f);

/**
 * @brief CLK of record @p r.
 * @param[in] c  The container.
 * @param[in] r  Record index.
 * @return clk_bits/8 bytes valid until the container is modified or freed, or NULL.
 * @since 0.1
 */
TZNR_API const uint8_t *tznr_container_clk(const tznr_container_t *c, size_t r);

/**
 * @brief The schema fingerprint recorded in the container (see tznr_schema_fingerprint()).
 * @param[in]  c        The container.
 * @param[out] out      Receives 32 bytes.
 * @param[in]  out_len  Must be 32.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument.
 * @retval TZNR_EBUFSIZE  @p out_len is not 32.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_container_fingerprint(const tznr_container_t *c, uint8_t *out, size_t out_len);

/**
 * @brief Copy the CLKs into a new clkset (for Dice matching or blocking).
 * @param[in]  c    The container.
 * @param[out] out  Receives the set; NULL on failure.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_container_clks(const tznr_container_t *c, tznr_clkset_t **out);

/**
 * @brief Write the container (format in docs/format.md), atomically.
 * @param[in] c      The container.
 * @param[in] path   Destination, or "-" for standard output.
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  @p path exists and @p force is 0.
 * @retval TZNR_EIO     Write failure (nothing is left at @p path).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_container_write(const tznr_container_t *c, const char *path, int force);

/**
 * @brief Read and verify a container.
 *
 * Checks the magic, the format version (major must be ::TZNR_CONTAINER_FORMAT_MAJOR), the
 * header (JSON: every required key, types, limits), the section sizes against the file size,
 * every identifier (UTF-8), and the SHA-256 checksum over the whole file; errors name the file
 * and what is wrong (offset, key, record).
 *
 * @param[out] out   Receives the container; NULL on failure.
 * @param[in]  path  File to read, or "-" for standard input (at most 16 GiB).
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL argument.
 * @retval TZNR_EIO      The file cannot be read.
 * @retval TZNR_EFORMAT  Malformed, truncated, corrupted, or of another major version.
 * @retval TZNR_ELIMIT   Larger than the limit.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_container_read(tznr_container_t **out, const char *path);

#ifdef __cplusplus
}
#endif
#endif
