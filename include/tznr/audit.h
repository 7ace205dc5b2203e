/**
 * @file audit.h
 * @brief Privacy audit of shared encodings: what an attacker holding the Bloom filters alone
 *        (the linkage unit, or anyone who obtains a CLK file or a container) can read from
 *        them, without the secret. Interpretation, thresholds and references: docs/privacy.md.
 *
 * Measures, computed on the encodings only:
 * - **Bit level** (CLKs): filter length, record count, popcount distribution and per-position
 *   set frequency. Popcounts grow with the length of the encoded values; uneven bit
 *   frequencies are what the frequency and pattern-mining attacks exploit (Kuzu, Kantarcioglu,
 *   Durham & Malin, "A constraint satisfaction cryptanalysis of Bloom filters in private
 *   record linkage", PETS 2011; Christen, Schnell, Vatsalan & Ranbaduge, "Efficient
 *   cryptanalysis of Bloom filters for privacy-preserving record linkage", PAKDD 2017;
 *   Christen, Ranbaduge, Vatsalan & Schnell, "Precise and fast cryptanalysis for Bloom filter
 *   based privacy-preserving record linkage", IEEE TKDE 31(11), 2019).
 * - **Duplicate encodings** (CLKs): classes of byte-identical filters. Identical CLKs reveal
 *   identical records; the distribution of class sizes is a k-anonymity-style view
 *   (Sweeney, "k-anonymity: a model for protecting privacy", IJUFKS 10(5), 2002).
 * - **Field-level filters** (containers only): per field, the distribution of distinct
 *   filters. A field-level filter is a deterministic function of one value, so its frequency
 *   distribution is the value's: low-cardinality fields (sex, birth year, postcode) can be
 *   re-identified by aligning encoding frequencies with public value frequencies (Kuzu et al.
 *   2011; Christen et al. 2017). The rule that flags a field as exposed is
 *   ::TZNR_AUDIT_FIELD_EXPOSED.
 *
 * Standard deviations are population standard deviations (divisor n). All measures are exact
 * (no sampling).
 *
 * @par Thread safety
 * Construction has no shared state (distinct calls may run concurrently; the input set or
 * container must not be modified meanwhile). Read-only functions may run concurrently on one
 * audit; freeing needs exclusive use.
 */
#ifndef TZNR_AUDIT_H
#define TZNR_AUDIT_H

#include <tznr/common.h>
#include <tznr/clkset.h>
#include <tznr/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque result of an audit. */
typedef struct tznr_audit tznr_audit_t;

/** A field is flagged as exposed when it has at most this many distinct filters. */
#define TZNR_AUDIT_LOW_CARDINALITY 100
/** Number of most frequent field filters whose counts are reported. */
#define TZNR_AUDIT_TOP 10

/**
 * @brief Whole-set measures, read with tznr_audit_stat(). Bit-level and duplicate measures
 *        are computed on the CLKs (of a CLK file, or of a container's records).
 */
typedef enum tznr_audit_stat {
    TZNR_AUDIT_RECORDS = 0,        /**< Number of records (filters). */
    TZNR_AUDIT_FILTER_BITS = 1,    /**< Filter length in bits. */
    TZNR_AUDIT_POPCOUNT_MIN = 2,   /**< Smallest number of set bits in a filter. */
    TZNR_AUDIT_POPCOUNT_MAX = 3,   /**< Largest number of set bits in a filter. */
    TZNR_AUDIT_POPCOUNT_MEAN = 4,  /**< Mean number of set bits. */
    TZNR_AUDIT_POPCOUNT_SD = 5,    /**< Population standard deviation of the set bits. */
    TZNR_AUDIT_BITFREQ_MIN = 6,    /**< Smallest share of records (0..1) setting a position. */
    TZNR_AUDIT_BITFREQ_MAX = 7,    /**< Largest share of records setting a position. */
    TZNR_AUDIT_BITFREQ_MEAN = 8,   /**< Mean share over the positions (= popcount mean / bits). */
    TZNR_AUDIT_BITFREQ_SD = 9,     /**< Population standard deviation of the shares. */
    TZNR_AUDIT_BITS_NEVER_SET = 10,  /**< Positions set in no record. */
    TZNR_AUDIT_BITS_ALWAYS_SET = 11, /**< Positions set in every record. */
    TZNR_AUDIT_DISTINCT = 12,      /**< Number of distinct filters (classes of identical ones). */
    TZNR_AUDIT_SHARED_2 = 13,      /**< Records whose filter is shared with at least 1 other. */
    TZNR_AUDIT_SHARED_5 = 14,      /**< Records in a class of at least 5 identical filters. */
    TZNR_AUDIT_SHARED_10 = 15,     /**< Records in a class of at least 10 identical filters. */
    TZNR_AUDIT_LARGEST_CLASS = 16  /**< Size of the largest class of identical filters. */
} tznr_audit_stat_t;

/**
 * @brief Per-field measures of a container's field-level filters, read with
 *        tznr_audit_field_stat().
 *
 * Records whose field filter has no bit set (a missing value) are counted in
 * ::TZNR_AUDIT_FIELD_EMPTY and left out of every other field measure: the distribution is
 * that of the records holding a value. A field without any value has 0 everywhere else.
 */
typedef enum tznr_audit_field_stat {
    TZNR_AUDIT_FIELD_DISTINCT = 0,  /**< Number of distinct filters of the field. */
    /** Share of the records with a value (0..1) whose filter is the most frequent one. */
    TZNR_AUDIT_FIELD_TOP_SHARE = 1,
    /** Shannon entropy of the filter distribution divided by log2(distinct), in 0..1 (1 when
     *  every filter is equally frequent; 0 when there is a single filter). */
    TZNR_AUDIT_FIELD_ENTROPY = 2,
    TZNR_AUDIT_FIELD_EMPTY = 3,     /**< Records whose field filter has no bit set (missing value). */
    /** Among the ::TZNR_AUDIT_TOP most frequent filters, how many have a count c_i that
     *  differs from the count c_j of each existing rank neighbour (j = i-1, i+1 among all the
     *  field's distinct filters) by more than two standard deviations of the difference of
     *  two Poisson counts, |c_i - c_j| > 2 sqrt(c_i + c_j): the rank of such a filter in a
     *  public frequency table identifies its value. A field with a single filter counts 1. */
    TZNR_AUDIT_FIELD_DISTINGUISHABLE = 4,
    /** 1 when the field is exposed to frequency alignment, else 0: at most
     *  ::TZNR_AUDIT_LOW_CARDINALITY distinct filters, or at least one distinguishable filter
     *  among the most frequent ones (TZNR_AUDIT_FIELD_DISTINGUISHABLE > 0). Remedy: share
     *  no field-level filter for it (schema linkage.compare false: CLK only), or encode it
     *  with other fields. XOR folding (clkConfig.xor_folds) hampers bit-pattern mining but
     *  keeps equal values equal: it does not remove the frequency distribution. */
    TZNR_AUDIT_FIELD_EXPOSED = 5
} tznr_audit_field_stat_t;

/**
 * @brief Audit a set of CLKs (bit-level and duplicate measures; no field measures).
 * @param[out] out  Receives the audit; NULL on failure. Free with tznr_audit_free().
 * @param[in]  set  The filters (not retained). Time O(n b + n log n · b/8) for n filters of
 *                  b bits; memory O(n + b).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or an empty set (nothing to audit).
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_audit_new_from_clkset(tznr_audit_t **out, const tznr_clkset_t *set);

/**
 * @brief Audit a container: the bit-level and duplicate measures of its CLKs, and the
 *        field measures of each field-level filter.
 * @param[out] out  Receives the audit; NULL on failure.
 * @param[in]  c    The container (not retained).
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument, or a container without records.
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_audit_new_from_container(tznr_audit_t **out, const tznr_container_t *c);

/**
 * @brief Read and audit a file: a native container (recognised by its magic bytes) or a
 *        clkhash CLK JSON file.
 *
 * A regular file or standard input is recognised by its first byte ('T' of the container
 * magic "TZNRENC"; JSON cannot start with it). Any other file (a pipe, e.g. a shell's
 * process substitution) is read once only: a name ending in ".tznr" is read as a
 * container, any other as CLK JSON.
 * @param[out] out   Receives the audit; NULL on failure.
 * @param[in]  path  The file, or "-" for standard input.
 * @retval TZNR_OK       Success.
 * @retval TZNR_EINVAL   NULL argument.
 * @retval TZNR_EIO      The file cannot be read.
 * @retval TZNR_EFORMAT  Malformed file, or a file without any record (the detail names the
 *                       file).
 * @retval TZNR_ELIMIT   The file exceeds the reader's size limit.
 * @retval TZNR_ENOMEM   Out of memory.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t tznr_audit_new_from_file(tznr_audit_t **out, const char *path);

/**
 * @brief Free an audit. NULL is accepted.
 * @param[in] a  The audit.
 * @since 0.2
 */
TZNR_API void tznr_audit_free(tznr_audit_t *a);

/**
 * @brief One whole-set measure.
 * @param[in] a  The audit.
 * @param[in] s  Which measure.
 * @return Its value (counts are whole numbers); NaN for a NULL audit or an unknown @p s.
 * @since 0.2
 */
TZNR_API double tznr_audit_stat(const tznr_audit_t *a, tznr_audit_stat_t s);

/**
 * @brief Class-size histogram of identical filters.
 * @param[in]  a       The audit.
 * @param[out] sizes   Receives up to @p cap class sizes, increasing (may be NULL).
 * @param[out] counts  Receives the number of classes of each size (may be NULL).
 * @param[in]  cap     Capacity of both arrays.
 * @return The number of distinct class sizes (call with @p cap 0 to size the arrays); 0 for
 *         a NULL audit.
 * @since 0.2
 */
TZNR_API size_t tznr_audit_class_sizes(const tznr_audit_t *a, uint64_t *sizes, uint64_t *counts,
                                       size_t cap);

/**
 * @brief Number of audited field-level fields (0 for a CLK file).
 * @param[in] a  The audit; NULL gives 0.
 * @return The field count.
 * @since 0.2
 */
TZNR_API size_t tznr_audit_field_count(const tznr_audit_t *a);

/**
 * @brief Name of field @p f.
 * @param[in] a  The audit.
 * @param[in] f  0 .. field_count-1.
 * @return A NUL-terminated string valid while the audit lives, or NULL on bad arguments.
 * @since 0.2
 */
TZNR_API const char *tznr_audit_field_name(const tznr_audit_t *a, size_t f);

/**
 * @brief One measure of field @p f.
 * @param[in] a  The audit.
 * @param[in] f  0 .. field_count-1.
 * @param[in] s  Which measure.
 * @return Its value; NaN on bad arguments.
 * @since 0.2
 */
TZNR_API double tznr_audit_field_stat(const tznr_audit_t *a, size_t f, tznr_audit_field_stat_t s);

/**
 * @brief Counts of the most frequent filters of field @p f (never the filters themselves).
 * @param[in]  a       The audit.
 * @param[in]  f       0 .. field_count-1.
 * @param[out] counts  Receives up to @p cap counts, decreasing (may be NULL).
 * @param[in]  cap     Capacity of @p counts.
 * @return The number of counts available: min(::TZNR_AUDIT_TOP, distinct filters); 0 on bad
 *         arguments.
 * @since 0.2
 */
TZNR_API size_t tznr_audit_field_top(const tznr_audit_t *a, size_t f, uint64_t *counts, size_t cap);

/**
 * @brief Write the audit as a JSON report, atomically (temporary file + rename).
 *
 * Keys: "source" (file name or null), "kind" ("clks" or "container"), "records",
 * "filter_bits", "popcount" {min, max, mean, sd, histogram: [count of filters with 0, 1, ...
 * bits set up to max]}, "bit_frequency" {min, max, mean, sd, never_set, always_set,
 * counts: [records setting each position]}, "duplicates" {distinct, shared_2, shared_5,
 * shared_10, largest_class, class_sizes: [[size, classes], ...]}, "fields" [{name, distinct,
 * top_share, top_counts, normalised_entropy, empty, distinguishable_top, exposed,
 * recommendation}], "thresholds" {low_cardinality, top}.
 *
 * @param[in] a      The audit.
 * @param[in] path   Destination, or "-" for standard output.
 * @param[in] force  Non-zero to replace an existing file.
 * @retval TZNR_OK      Success.
 * @retval TZNR_EINVAL  NULL argument.
 * @retval TZNR_EEXIST  @p path exists and @p force is 0.
 * @retval TZNR_EIO     Write failure (nothing is left at @p path).
 * @retval TZNR_ENOMEM  Out of memory.
 * @since 0.2
 */
TZNR_API TZNR_NODISCARD tznr_error_t
tznr_audit_write_json(const tznr_audit_t *a, const char *path, int force);

#ifdef __cplusplus
}
#endif
#endif
