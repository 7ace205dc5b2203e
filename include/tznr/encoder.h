/**
 * @file encoder.h
 * @brief Data-custodian side: turn records into keyed Bloom-filter encodings (CLKs).
 *
 * An encoder combines a linkage schema with the custodians' shared secret. From the secret it
 * derives two keys per feature with HKDF (RFC 5869); the secret itself is wiped as soon as
 * the keys are derived, and the keys are wiped when the encoder is freed. Each value is
 * validated and formatted, split into tokens (q-grams, exact or numeric tokens), each token is
 * mapped to k bit positions by a keyed PRF (HMAC-SHA1/HMAC-MD5 double hashing or keyed
 * BLAKE2b), the bits of all features are OR-ed into one filter, which is then XOR-folded.
 * The output is byte-for-byte identical to clkhash 0.18.
 *
 * @par Thread safety
 * An encoder is immutable after tznr_encoder_new(): any number of threads may encode with
 * one encoder concurrently, each with its own output buffer. tznr_encoder_free() needs
 * exclusive use. The schema must outlive the encoder. The batch and CSV functions may run
 * worker threads of their own (::tznr_encode_options); their memos are private to one call.
 *
 * @par References
 * Schnell, Bachteler & Reiher (2009), Privacy-preserving record linkage using Bloom filters,
 * BMC Med Inform Decis Mak 9:41. Schnell, Bachteler & Reiher (2011), A novel error-tolerant
 * anonymous linking code (CLK), German RLC WP-GRLC-2011-02. Kirsch & Mitzenmacher (2006),
 * Less hashing, same performance (double hashing). Vatsalan & Christen (2015/2016) for numeric
 * neighbourhood tokens. clkhash 0.18.3 (data61) as the reference implementation.
 */
#ifndef TZNR_ENCODER_H
#define TZNR_ENCODER_H

#include <tznr/common.h>
#include <tznr/schema.h>
#include <tznr/clkset.h>
#include <tznr/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque encoder: a schema plus the per-feature keys derived from the secret. */
typedef struct tznr_encoder tznr_encoder_t;

/**
 * @brief How much the batch and CSV encoders memoise (see ::tznr_encode_options).
 *
 * Every mode gives byte-identical CLKs; they differ only in speed and memory.
 */
typedef enum tznr_memo_mode {
    /** Default. Per feature, a value memo (raw value bytes -> the feature's bits, for
     *  hashing lengths up to 65,536 bits) in front of a token memo (token -> bit positions). */
    TZNR_MEMO_ALL = 0,
    /** Token memo only: every value is validated, formatted and tokenised. */
    TZNR_MEMO_TOKENS = 1,
    /** No memo: every token goes through the keyed PRF (the reference path, for testing). */
    TZNR_MEMO_OFF = 2
} tznr_memo_mode;

/** Default memo budget of one encoding call, all threads together, in bytes (256 MiB). */
#define TZNR_MEMO_DEFAULT_BYTES ((size_t)256 << 20)

/**
 * @brief Options of tznr_encoder_encode_csv_opts() and tznr_encoder_encode_batch_opts().
 *
 * Initialise with tznr_encode_options_init(), then change the fields you need. The memos
 * hold material derived from the secret (token -> bit positions, value -> bits): they live
 * only in memory, belong to one call and one thread, and are wiped (OPENSSL_cleanse) when
 * the call returns. All the memos of a call stay under @c memo_max_bytes (hash tables,
 * keys and values counted): each thread gets an equal share, split equally between the
 * encoded features (and, with ::TZNR_MEMO_ALL, half for values, half for tokens). A full
 * memo stops inserting and keeps serving what it holds, so memory stays bounded whatever
 * the input; only speed depends on the budget, never the output.
 */
typedef struct tznr_encode_options {
    /** sizeof(tznr_encode_options), set by tznr_encode_options_init() (for ABI checks). */
    size_t size;
    /** Encoding threads, the calling thread included; 0 (the default) = all online CPUs.
     *  At most 256 are used. The output does not depend on it. */
    unsigned threads;
    /** Memoisation, ::TZNR_MEMO_ALL by default. The output does not depend on it. */
    tznr_memo_mode memo;
    /** Memo budget of the call in bytes, all threads together; 0 = ::TZNR_MEMO_DEFAULT_BYTES. */
    size_t memo_max_bytes;
    /** Optional progress callback: records committed so far (total = the record count for
     *  batches, 0 for CSV), from the calling thread only: once at the start, then at most
     *  four times a second, and once at the end with the final count. A non-zero return
     *  cancels the call (::TZNR_ESTATE; nothing is returned or written). */
    tznr_progress_fn progress;
    /** Passed to the @c progress callback. */
    void *progress_user;
} tznr_encode_options;

/**
 * @brief Fill @p opts with the defaults: all CPUs, ::TZNR_MEMO_ALL, default memo budget,
 *        no progress callback.
 * @param[out] opts  The options to initialise; NULL is ignored.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.2
 */
TZNR_API void tznr_encode_options_init(tznr_encode_options *opts);

/**
 * @brief Create an encoder from a schema and the shared secret.
 *
 * The secret is used as HKDF input keying material exactly as given (clkhash encodes its
 * secret string as UTF-8). It is not retained: only the derived keys are, and they are wiped
 * (OPENSSL_cleanse) by tznr_encoder_free() and on every error path.
 *
 * @param[out] out         Receives the encoder; NULL on failure. Free with tznr_encoder_free().
 * @param[in]  schema      A schema; borrowed, must outlive the encoder.
 * @param[in]  secret      Secret bytes, @p secret_len long (not NUL-terminated).
 * @param[in]  secret_len  Length in bytes; at least 1.
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL argument or empty secret.
 * @retval TZNR_ECRYPTO  HKDF failed.
 * @retval TZNR_ENOMEM   Out of memory.
 * @par References
 * RFC 5869 (HKDF). clkhash key derivation: `L = features * 2 * keySize` bytes, ignored
 * features included; feature i uses bytes [2i*ks, (2i+1)*ks) and [(2i+1)*ks, (2i+2)*ks).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_new(tznr_encoder_t **out, const tznr_schema_t *schema,
                 const uint8_t *secret, size_t secret_len);

/**
 * @brief Create an encoder, reading the secret from a key file.
 *
 * The file must hold valid UTF-8; one trailing newline ("\n" or "\r\n") is stripped. The
 * bytes read are wiped from memory once the keys are derived. The secret never appears in
 * an error message.
 *
 * @param[out] out     Receives the encoder; NULL on failure.
 * @param[in]  schema  A schema; borrowed, must outlive the encoder.
 * @param[in]  path    Key file path (at most 64 KiB).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, empty secret, or the file is not valid UTF-8.
 * @retval TZNR_EIO     The file cannot be read.
 * @retval TZNR_ELIMIT  The file is larger than 64 KiB.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_new_from_secret_file(tznr_encoder_t **out, const tznr_schema_t *schema,
                                  const char *path);

/** Size of the text written by tznr_secret_generate(), terminating NUL included. */
#define TZNR_SECRET_TEXT_SIZE 45

/**
 * @brief Generate a new shared secret, as text suitable for a key file.
 *
 * 32 bytes (256 bits) from OpenSSL's CSPRNG (RAND_priv_bytes), written as standard base64
 * (44 characters) and a terminating NUL. The data custodians share this text over a secure
 * channel; it must never reach the linkage unit. Wipe the buffer (e.g. with a volatile
 * memset) once it has been stored.
 *
 * @param[out] out       Receives the NUL-terminated text.
 * @param[in]  out_size  Size of @p out in bytes; at least ::TZNR_SECRET_TEXT_SIZE.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL @p out.
 * @retval TZNR_EBUFSIZE  @p out_size is too small.
 * @retval TZNR_ECRYPTO   The random generator failed.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_secret_generate(char *out, size_t out_size);

/**
 * @brief Generate a new shared secret (see tznr_secret_generate()) into a key file.
 *
 * The file holds the 44-character base64 text and a newline, is created with mode 0600,
 * written to a temporary file in the destination directory and renamed when complete.
 * The secret is never written anywhere else (standard output is refused) and is wiped from
 * memory before return.
 *
 * @param[in] path   Destination path (not "-").
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL or "-" @p path.
 * @retval TZNR_EEXIST   @p path exists and @p force is 0.
 * @retval TZNR_EIO      The file cannot be written (nothing is left at @p path).
 * @retval TZNR_ECRYPTO  The random generator failed.
 * @par Thread safety
 * Safe from any thread.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_secret_generate_file(const char *path, int force);

/**
 * @brief Free an encoder and wipe its keys. NULL is accepted.
 * @param[in] enc  The encoder; must not be in use by another thread.
 * @since 0.1
 */
TZNR_API void tznr_encoder_free(tznr_encoder_t *enc);

/**
 * @brief Size of one CLK in bytes (tznr_schema_filter_bits() / 8).
 * @param[in] enc  An encoder; NULL gives 0.
 * @return Bytes per CLK.
 * @since 0.1
 */
TZNR_API size_t tznr_encoder_clk_bytes(const tznr_encoder_t *enc);

/**
 * @brief Encode one record into a CLK.
 *
 * @param[in]  enc        An encoder.
 * @param[in]  values     @p n_values pointers to UTF-8 values, one per schema feature in
 *                        schema order (ignored features included; their values are not read).
 *                        A value may be NULL only if its length is 0.
 * @param[in]  value_lens Byte lengths of the values.
 * @param[in]  n_values   Must equal tznr_schema_feature_count().
 * @param[out] clk        Output filter, @p clk_len bytes, overwritten (clkhash bit order).
 * @param[in]  clk_len    Must equal tznr_encoder_clk_bytes().
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument or wrong @p n_values.
 * @retval TZNR_EBUFSIZE  Wrong @p clk_len.
 * @retval TZNR_EINPUT    A value breaks its feature's format rule (the detail names the
 *                        feature, the rule and the value); @p clk is zeroed.
 * @retval TZNR_ECRYPTO   A PRF call failed.
 * @par Thread safety
 * Safe concurrently on one encoder with distinct @p clk buffers.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_record(const tznr_encoder_t *enc, const char *const *values,
                           const size_t *value_lens, size_t n_values,
                           uint8_t *clk, size_t clk_len);

/**
 * @brief Encode many records at once from one packed buffer (the batch API for bindings).
 *
 * Same as tznr_encoder_encode_batch_opts() with default options (all CPUs, memo on).
 *
 * Value f of record r is the byte range `buf[offsets[r*n_values+f] .. offsets[r*n_values+f+1])`
 * of UTF-8 text: @p offsets has `n_records*n_values + 1` non-decreasing entries, the first one
 * 0 and the last one the length of @p buf. Values follow schema feature order, ignored
 * features included. Every record is checked: if any is invalid, @p clks is zeroed and the
 * detail lists each failure as `record R: column 'NAME': RULE` (R 0-based; the first 50, then
 * a count).
 *
 * @param[in]  enc        An encoder.
 * @param[in]  buf        Concatenated values (may be NULL if every value is empty).
 * @param[in]  offsets    `n_records*n_values + 1` byte offsets into @p buf.
 * @param[in]  n_records  Number of records.
 * @param[in]  n_values   Values per record; must equal tznr_schema_feature_count().
 * @param[out] clks       `n_records` CLKs of tznr_encoder_clk_bytes() bytes, back to back.
 * @param[in]  clks_len   Size of @p clks; must equal n_records * tznr_encoder_clk_bytes().
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, wrong @p n_values, or offsets not non-decreasing.
 * @retval TZNR_EBUFSIZE  Wrong @p clks_len.
 * @retval TZNR_EINPUT    At least one record is invalid (see the detail).
 * @par Thread safety
 * Safe concurrently on one encoder with distinct output buffers.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_batch(const tznr_encoder_t *enc, const char *buf, const size_t *offsets,
                          size_t n_records, size_t n_values, uint8_t *clks, size_t clks_len);

/**
 * @brief Encode many records from one packed buffer, with options (threads, memo, progress).
 *
 * The layout, validation and errors are those of tznr_encoder_encode_batch(). Records are
 * split into chunks of 2048 encoded by @c opts->threads threads; each CLK is written at its
 * record's place, so the output is byte-identical for any thread count and memo mode.
 *
 * @param[in]  enc        An encoder.
 * @param[in]  buf        Concatenated values (may be NULL if every value is empty).
 * @param[in]  offsets    `n_records*n_values + 1` byte offsets into @p buf.
 * @param[in]  n_records  Number of records.
 * @param[in]  n_values   Values per record; must equal tznr_schema_feature_count().
 * @param[out] clks       `n_records` CLKs of tznr_encoder_clk_bytes() bytes, back to back.
 * @param[in]  clks_len   Size of @p clks; must equal n_records * tznr_encoder_clk_bytes().
 * @param[in]  opts       Options from tznr_encode_options_init(), or NULL for the defaults.
 *                        The progress unit is records, with total @p n_records.
 * @retval TZNR_OK        Success.
 * @retval TZNR_EINVAL    NULL argument, wrong @p n_values, offsets not non-decreasing, or
 *                        @p opts not initialised by tznr_encode_options_init().
 * @retval TZNR_EBUFSIZE  Wrong @p clks_len.
 * @retval TZNR_EINPUT    At least one record is invalid (see the detail); @p clks is zeroed.
 * @retval TZNR_ESTATE    The progress callback cancelled the call; @p clks is zeroed.
 * @retval TZNR_ENOMEM    Out of memory.
 * @retval TZNR_ECRYPTO   A PRF call failed.
 * @par Thread safety
 * Safe concurrently on one encoder with distinct output buffers. Worker threads are created
 * and joined inside the call.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_batch_opts(const tznr_encoder_t *enc, const char *buf,
                               const size_t *offsets, size_t n_records, size_t n_values,
                               uint8_t *clks, size_t clks_len, const tznr_encode_options *opts);

/**
 * @brief Encode every data row of a CSV file, in row order.
 *
 * Same as tznr_encoder_encode_csv_opts() with default options (all CPUs, memo on).
 *
 * The file is RFC 4180 CSV, UTF-8, with a header row; a UTF-8 byte-order mark is skipped,
 * LF and CRLF line ends are accepted, quoted fields may hold commas, doubled quotes and line
 * breaks. Columns are matched to schema features by header name (any order); every feature
 * must have exactly one column and every column must be a feature (list unused columns as
 * `"ignored": true`). Every row is checked: if any row is invalid nothing is returned, and
 * the detail lists each failure as `FILE:LINE: column 'NAME': RULE` (the first 50, then a
 * count).
 *
 * @param[in]  enc   An encoder.
 * @param[in]  path  CSV path, or "-" for standard input.
 * @param[out] out   Receives one CLK per data row; NULL on failure. Free with tznr_clkset_free().
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EIO     The file cannot be read.
 * @retval TZNR_EINPUT  Malformed CSV, header mismatch, or invalid values (see the detail).
 * @retval TZNR_ELIMIT  A field over 1 MiB or a row over 4096 fields.
 * @par Thread safety
 * Safe concurrently on one encoder.
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_csv(const tznr_encoder_t *enc, const char *path, tznr_clkset_t **out);

/**
 * @brief Encode every data row of a CSV file, in row order, with options (threads, memo,
 *        progress).
 *
 * The format, checks and error listing are those of tznr_encoder_encode_csv(). The file is
 * read as a stream: the calling thread and @c opts->threads - 1 workers take turns parsing
 * chunks of up to 2048 rows (or 4 MiB of values) and encoding parsed chunks; CLKs are
 * appended in row order, so the output is byte-identical for any thread count and memo mode.
 * Input memory stays bounded by the chunks in flight (2 x threads + 1); the CLKs themselves
 * are returned in memory. If any row is invalid, every invalid row is still listed (the
 * first 50, then a count) in row order, and nothing is returned.
 *
 * @param[in]  enc   An encoder.
 * @param[in]  path  CSV path, or "-" for standard input.
 * @param[in]  opts  Options from tznr_encode_options_init(), or NULL for the defaults. The
 *                   progress unit is data rows, with total 0 (unknown).
 * @param[out] out   Receives one CLK per data row; NULL on failure. Free with tznr_clkset_free().
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or @p opts not initialised by tznr_encode_options_init().
 * @retval TZNR_EIO     The file cannot be read.
 * @retval TZNR_EINPUT  Malformed CSV, header mismatch, or invalid values (see the detail).
 * @retval TZNR_ELIMIT  A field over 1 MiB or a row over 4096 fields.
 * @retval TZNR_ESTATE  The progress callback cancelled the call.
 * @retval TZNR_ENOMEM  Out of memory.
 * @retval TZNR_ECRYPTO A PRF call failed.
 * @par Thread safety
 * Safe concurrently on one encoder. Worker threads are created and joined inside the call.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_csv_opts(const tznr_encoder_t *enc, const char *path,
                             const tznr_encode_options *opts, tznr_clkset_t **out);

/**
 * @brief Encode every data row of a CSV file straight into a clkhash JSON file, in bounded
 *        memory (what `tznr encode` does).
 *
 * The output is byte-for-byte what tznr_encoder_encode_csv_opts() followed by
 * tznr_clkset_write_json() gives, and the checks and error listing are the same, but the
 * CLKs are written as their chunk of rows is committed, so memory stays bounded whatever the
 * number of rows. They go to a temporary file in the destination directory, renamed over
 * @p json_path only when every row was valid and everything was written; on any failure
 * (an invalid row, a cancelled progress callback, an I/O error) the temporary file is
 * removed and nothing is left at @p json_path. With @p json_path "-" (standard output, which
 * cannot be taken back) every row is encoded in memory first and written only on success.
 *
 * @param[in] enc        An encoder.
 * @param[in] csv_path   CSV path, or "-" for standard input.
 * @param[in] json_path  Output path, or "-" for standard output.
 * @param[in] force      Non-zero to replace an existing @p json_path; otherwise TZNR_EEXIST
 *                       (checked before any row is read).
 * @param[in] opts       Options from tznr_encode_options_init(), or NULL for the defaults.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or @p opts not initialised by tznr_encode_options_init().
 * @retval TZNR_EEXIST  @p json_path exists and @p force is 0.
 * @retval TZNR_EIO     The input cannot be read, or the output cannot be written.
 * @retval TZNR_EINPUT  Malformed CSV, header mismatch, or invalid values (see the detail).
 * @retval TZNR_ELIMIT  A field over 1 MiB or a row over 4096 fields.
 * @retval TZNR_ESTATE  The progress callback cancelled the call.
 * @retval TZNR_ENOMEM  Out of memory.
 * @retval TZNR_ECRYPTO A PRF call failed.
 * @par Thread safety
 * Safe concurrently on one encoder (with distinct output paths). Worker threads are created
 * and joined inside the call.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_csv_to_json(const tznr_encoder_t *enc, const char *csv_path,
                                const char *json_path, int force,
                                const tznr_encode_options *opts);

/**
 * @brief Encode every data row of a CSV file into a native container: each record's
 *        identifier, one field-level Bloom filter per compared field, and its CLK.
 *
 * The CLK and the validation of every row are exactly those of tznr_encoder_encode_csv()
 * (same errors, listed per row; nothing returned if any row is invalid). Each field filter
 * holds the bits its field alone sets, folded like the CLK. A value that is empty or only
 * white space, or missing by the schema's `sentinels`, gives an empty field filter (a
 * missing value for the linkage, never an agreement). Identifiers come from the schema's
 * `linkage.idColumn` (at most 1024 bytes each), or are the 1-based data row numbers when the
 * schema names none. Format: docs/format.md.
 *
 * @param[in]  enc   An encoder.
 * @param[in]  path  CSV path, or "-" for standard input.
 * @param[out] out   Receives the container; NULL on failure. Free with tznr_container_free().
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or a schema with no compared field.
 * @retval TZNR_EIO     The file cannot be read.
 * @retval TZNR_EINPUT  Malformed CSV, header mismatch, invalid values or identifiers.
 * @retval TZNR_ELIMIT  A field over 1 MiB or a row over 4096 fields.
 * @par Thread safety
 * Safe concurrently on one encoder.
 * @par References
 * Schnell, Bachteler & Reiher (2009) (field-level Bloom filters); Brown et al. (2019).
 * @since 0.1
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_encoder_encode_csv_container(const tznr_encoder_t *enc, const char *path,
                                  tznr_container_t **out);

#ifdef __cplusplus
}
#endif
#endif
