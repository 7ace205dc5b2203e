/* Internal: the AND-popcount comparison kernels and their one-time dispatch (src/cpu.c).
 *
 * A kernel compares up to TZNR__ROWS_MAX filters of A ("rows", row-major, as stored in a
 * clkset) with one *panel* of TZNR__LANES filters of B stored transposed: 64-bit word w of
 * lane k is panel[w * TZNR__LANES + k]. Words are the filter's bytes read 8 at a time in
 * host order; AND-popcount does not depend on the bit order, so no conversion is needed.
 *
 * For each row r and lane k the kernel computes c = popcount(row_r AND lane_k) into
 * counts[r * TZNR__LANES + k] and sets bit r * TZNR__LANES + k of the result when
 *
 *     (c << 25) >= m * (pa[r] + pb[k])      with m = floor(threshold * 2^24)
 *
 * This *prefilter* is a necessary condition for `2c/(pa+pb) >= threshold` in double
 * precision (see tznr__prefilter_m()), so the caller re-checks only the survivors with the
 * one exact definition of the score, tznr__dice(). Every kernel computes the same counts
 * and the same prefilter; the results are therefore identical bit for bit by construction,
 * and the tests check it.
 *
 * Rows beyond nrows are ignored: kernels may compute them (callers pass nrows pointers
 * that are all valid; padding rows repeat the last row). */
#ifndef TZNR_SRC_KERNELS_H
#define TZNR_SRC_KERNELS_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define TZNR__LANES 8      /* filters of B per panel */
#define TZNR__ROWS_MAX 4   /* filters of A per kernel call */

/* A 64-bit word that may alias anything and sit at any address (filters given by users). */
#if defined(__GNUC__)
typedef uint64_t tznr__w64 __attribute__((may_alias, aligned(1)));
#else
typedef uint64_t tznr__w64;
#endif

typedef uint32_t (*tznr__panel_fn)(const tznr__w64 *const rows[TZNR__ROWS_MAX],
                                   const uint32_t pa[TZNR__ROWS_MAX], const uint64_t *panel,
                                   const uint32_t pb[TZNR__LANES], size_t words, uint64_t m,
                                   uint64_t counts[TZNR__ROWS_MAX * TZNR__LANES]);

/* In a SIMD kernel file that defines panel_impl(rows, pa, panel, pb, words, m, counts) with
 * the target attribute TARGET: panel_8/16/32/64 (the word count a compile-time constant, so
 * the loop unrolls), panel_any, and panel_for(words) choosing among them. */
#define TZNR__PANEL_VARIANT(TARGET, W)                                                        \
    TARGET static uint32_t panel_##W(const tznr__w64 *const rows[TZNR__ROWS_MAX],            \
                                     const uint32_t pa[TZNR__ROWS_MAX], const uint64_t *panel, \
                                     const uint32_t pb[TZNR__LANES], size_t words, uint64_t m, \
                                     uint64_t counts[])                                       \
    {                                                                                         \
        (void)words;                                                                          \
        return panel_impl(rows, pa, panel, pb, W, m, counts);                                 \
    }
#define TZNR__PANEL_VARIANTS(TARGET)                                                          \
    TZNR__PANEL_VARIANT(TARGET, 8)                                                            \
    TZNR__PANEL_VARIANT(TARGET, 16)                                                           \
    TZNR__PANEL_VARIANT(TARGET, 32)                                                           \
    TZNR__PANEL_VARIANT(TARGET, 64)                                                           \
    TARGET static uint32_t panel_any(const tznr__w64 *const rows[TZNR__ROWS_MAX],             \
                                     const uint32_t pa[TZNR__ROWS_MAX], const uint64_t *panel, \
                                     const uint32_t pb[TZNR__LANES], size_t words, uint64_t m, \
                                     uint64_t counts[])                                       \
    {                                                                                         \
        return panel_impl(rows, pa, panel, pb, words, m, counts);                             \
    }                                                                                         \
    static tznr__panel_fn panel_for(size_t words)                                             \
    {                                                                                         \
        switch (words) {                                                                      \
        case 8: return panel_8;                                                               \
        case 16: return panel_16;                                                             \
        case 32: return panel_32;                                                             \
        case 64: return panel_64;                                                             \
        default: return panel_any;                                                            \
        }                                                                                     \
    }
typedef uint64_t (*tznr__pair_fn)(const tznr__w64 *a, const tznr__w64 *b, size_t words);

typedef struct tznr__kernel {
    const char *name;          /* "scalar", "avx2", "avx512" */
    unsigned rows;             /* rows computed per call, 1..TZNR__ROWS_MAX */
    /* the panel function for filters of `words` 64-bit words (fast paths for 8/16/32/64) */
    tznr__panel_fn (*panel_for)(size_t words);
    tznr__pair_fn and_popcount;   /* popcount(a AND b) of one pair */
    tznr__pair_fn popcount;       /* popcount(a) (b ignored) */
} tznr__kernel;

/* Each kernel file defines its table; avx2/avx512 tables are NULL-named on other ISAs. */
extern const tznr__kernel tznr__kernel_scalar;
extern const tznr__kernel tznr__kernel_scalar_popcnt;   /* same code, POPCNT instruction */
extern const tznr__kernel tznr__kernel_avx2;
extern const tznr__kernel tznr__kernel_avx512;

/* The kernel in use (first call: TZNR_KERNEL from the environment, else the best the CPU
 * runs; thread-safe). Never NULL. */
const tznr__kernel *tznr__kernel_get(void);

/* The one definition of the score: 2c / (pa + pb) in double; 0 when both are empty. */
static inline double tznr__dice(uint64_t c, uint64_t pa, uint64_t pb)
{
    uint64_t s = pa + pb;
    return s ? (double)(2 * c) / (double)s : 0.0;
}

/* m = floor(t * 2^24) for t in [0, 1]. Proof that the prefilter never drops a candidate:
 * let s = pa + pb > 0 and u = 2^-53. fl(2c/s) >= t implies 2c/s >= t/(1+u) (round to
 * nearest has relative error <= u), so 2^25 c (1+u) >= 2^24 t s >= m s. Both 2^25 c and m s
 * are integers and 2^25 c u < 1 (c <= 2^20), hence 2^25 c >= m s. For s = 0 (c = 0) the
 * prefilter reads 0 >= 0 and passes: the exact check decides. */
static inline uint64_t tznr__prefilter_m(double t) { return (uint64_t)floor(ldexp(t, 24)); }
#endif
