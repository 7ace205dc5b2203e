/**
 * @file clkset.h
 * @brief A set of equal-length Bloom filters (CLKs) in row order, and its clkhash JSON form
 *        `{"clks": ["<base64>", ...]}`.
 *
 * Bit order follows clkhash (Python bitarray, big-endian): bit position p of a filter is bit
 * `0x80 >> (p % 8)` of byte `p / 8`.
 *
 * @par Thread safety
 * Read-only functions (count, bits, get, write) may run concurrently on one set; appending
 * and freeing need exclusive use.
 */
#ifndef TZNR_CLKSET_H
#define TZNR_CLKSET_H

#include <tznr/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque growable array of filters, all of the same length. */
typedef struct tznr_clkset tznr_clkset_t;

/**
 * @brief Create an empty set of filters of @p filter_bits bits each.
 * @param[out] out          Receives the set; NULL on failure. Free with tznr_clkset_free().
 * @param[in]  filter_bits  Filter length in bits: a positive multiple of 64, at most 1,048,576.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL @p out, or a length that is not a positive multiple of 64.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_clkset_new(tznr_clkset_t **out, size_t filter_bits);

/**
 * @brief Free a set. NULL is accepted.
 * @param[in] set  The set to free.
 * @since 0.1
 */
TZNR_API void tznr_clkset_free(tznr_clkset_t *set);

/**
 * @brief Append a copy of one filter.
 * @param[in,out] set        The set.
 * @param[in]     filter     tznr_clkset_filter_bits(@p set)/8 bytes, clkhash bit order.
 * @param[in]     filter_len Length of @p filter in bytes.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument.
 * @retval TZNR_EBUFSIZE  @p filter_len differs from the set's filter size in bytes.
 * @retval TZNR_ENOMEM    Out of memory.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_clkset_append(tznr_clkset_t *set, const uint8_t *filter, size_t filter_len);

/**
 * @brief Number of filters in the set.
 * @param[in] set  The set; NULL gives 0.
 * @return The count.
 * @since 0.1
 */
TZNR_API size_t tznr_clkset_count(const tznr_clkset_t *set);

/**
 * @brief Filter length in bits.
 * @param[in] set  The set; NULL gives 0.
 * @return Bits per filter (a multiple of 64).
 * @since 0.1
 */
TZNR_API size_t tznr_clkset_filter_bits(const tznr_clkset_t *set);

/**
 * @brief Borrow filter @p index.
 * @param[in] set    The set.
 * @param[in] index  0 .. tznr_clkset_count()-1.
 * @return Pointer to filter_bits/8 bytes valid until the set is modified or freed; NULL if
 *         @p set is NULL or @p index out of range.
 * @since 0.1
 */
TZNR_API const uint8_t *tznr_clkset_get(const tznr_clkset_t *set, size_t index);

/**
 * @brief Read a clkhash JSON file `{"clks": ["<base64>", ...]}`.
 *
 * Every string must be standard base64 (with padding) of the same length, a multiple of 8
 * bytes. Errors name the file and the index of the offending entry.
 *
 * @param[out] out   Receives the set; NULL on failure.
 * @param[in]  path  File to read, or "-" for standard input.
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL argument.
 * @retval TZNR_EIO      The file cannot be read.
 * @retval TZNR_EFORMAT  Not JSON, no "clks" array, bad base64, unequal or invalid lengths.
 * @retval TZNR_ELIMIT   The file exceeds 4 GiB.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_clkset_read_json(tznr_clkset_t **out, const char *path);

/**
 * @brief Write the set as clkhash JSON, atomically.
 *
 * The JSON is written to a temporary file in the destination directory, flushed, and renamed
 * over @p path only when complete, so a failed run never leaves a partial file.
 *
 * @param[in] set    The set.
 * @param[in] path   Destination, or "-" for standard output.
 * @param[in] force  Non-zero to replace an existing file; otherwise TZNR_EEXIST.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  @p path exists and @p force is 0.
 * @retval TZNR_EIO     Writing, flushing or renaming failed (nothing is left at @p path).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_clkset_write_json(const tznr_clkset_t *set, const char *path, int force);

#ifdef __cplusplus
}
#endif
#endif
