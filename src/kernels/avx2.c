/* AVX2 kernel: the panel of 8 transposed filters is two 256-bit vectors per word; popcounts
 * use the nibble lookup (VPSHUFB) of Mula, Kurz & Lemire (2018, "Faster population counts
 * using AVX2 instructions", Computer Journal 61(1)), accumulated in bytes and widened with
 * VPSADBW every 31 words (a byte then holds at most 31 * 8 = 248). Two rows share each
 * panel load. Compiled with function-level target attributes; run only on AVX2 CPUs. */
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define TAVX2 __attribute__((target("avx2,popcnt")))
#define ROWS 2

TAVX2 __attribute__((always_inline)) static inline __m256i nibble_count(__m256i x)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, low)),
                           _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
}

TAVX2 __attribute__((always_inline)) static inline uint32_t
lanes_mask(__m256i c_lo, __m256i c_hi, uint32_t pa, const uint32_t pb[TZNR__LANES], uint64_t m)
{
    /* (c << 25) >= m * (pa + pb), all values < 2^46: signed 64-bit compares are exact */
    const __m256i mv = _mm256_set1_epi64x((long long)m), pav = _mm256_set1_epi64x(pa);
    const __m256i pb_lo = _mm256_cvtepu32_epi64(_mm_loadu_si128((const void *)pb));
    const __m256i pb_hi = _mm256_cvtepu32_epi64(_mm_loadu_si128((const void *)(pb + 4)));
    __m256i p_lo = _mm256_mul_epu32(_mm256_add_epi64(pb_lo, pav), mv);
    __m256i p_hi = _mm256_mul_epu32(_mm256_add_epi64(pb_hi, pav), mv);
    /* x >= y  <=>  !(y > x) */
    __m256i lt_lo = _mm256_cmpgt_epi64(p_lo, _mm256_slli_epi64(c_lo, 25));
    __m256i lt_hi = _mm256_cmpgt_epi64(p_hi, _mm256_slli_epi64(c_hi, 25));
    uint32_t lt = (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(lt_lo)) |
                  (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(lt_hi)) << 4;
    return ~lt & 0xffu;
}

TAVX2 __attribute__((always_inline)) static inline uint32_t
panel_impl(const tznr__w64 *const rows[TZNR__ROWS_MAX], const uint32_t pa[TZNR__ROWS_MAX],
           const uint64_t *panel, const uint32_t pb[TZNR__LANES], size_t words, uint64_t m,
           uint64_t counts[TZNR__ROWS_MAX * TZNR__LANES])
{
    const tznr__w64 *r0 = rows[0], *r1 = rows[1];
    const __m256i zero = _mm256_setzero_si256();
    __m256i s0lo = zero, s0hi = zero, s1lo = zero, s1hi = zero;   /* 64-bit sums */
    for (size_t w0 = 0; w0 < words; w0 += 31) {
        size_t end = words - w0 < 31 ? words : w0 + 31;
        __m256i b0lo = zero, b0hi = zero, b1lo = zero, b1hi = zero;   /* byte sums */
#pragma GCC unroll 4
        for (size_t w = w0; w < end; w++) {
            const __m256i vlo = _mm256_load_si256((const void *)(panel + w * TZNR__LANES));
            const __m256i vhi = _mm256_load_si256((const void *)(panel + w * TZNR__LANES + 4));
            const __m256i x0 = _mm256_set1_epi64x((long long)r0[w]);
            const __m256i x1 = _mm256_set1_epi64x((long long)r1[w]);
            b0lo = _mm256_add_epi8(b0lo, nibble_count(_mm256_and_si256(vlo, x0)));
            b0hi = _mm256_add_epi8(b0hi, nibble_count(_mm256_and_si256(vhi, x0)));
            b1lo = _mm256_add_epi8(b1lo, nibble_count(_mm256_and_si256(vlo, x1)));
            b1hi = _mm256_add_epi8(b1hi, nibble_count(_mm256_and_si256(vhi, x1)));
        }
        s0lo = _mm256_add_epi64(s0lo, _mm256_sad_epu8(b0lo, zero));
        s0hi = _mm256_add_epi64(s0hi, _mm256_sad_epu8(b0hi, zero));
        s1lo = _mm256_add_epi64(s1lo, _mm256_sad_epu8(b1lo, zero));
        s1hi = _mm256_add_epi64(s1hi, _mm256_sad_epu8(b1hi, zero));
    }
    uint32_t mask = lanes_mask(s0lo, s0hi, pa[0], pb, m) | lanes_mask(s1lo, s1hi, pa[1], pb, m) << 8;
    if (mask) {
        _mm256_storeu_si256((void *)(counts + 0), s0lo);
        _mm256_storeu_si256((void *)(counts + 4), s0hi);
        _mm256_storeu_si256((void *)(counts + 8), s1lo);
        _mm256_storeu_si256((void *)(counts + 12), s1hi);
    }
    return mask;
}

TZNR__PANEL_VARIANTS(TAVX2)

/* one pair: hardware POPCNT per word (AVX2 CPUs have it) */
TAVX2 static uint64_t and_popcount(const tznr__w64 *a, const tznr__w64 *b, size_t words)
{
    uint64_t c0 = 0, c1 = 0;
    size_t w = 0;
    for (; w + 2 <= words; w += 2) {
        c0 += (uint64_t)__builtin_popcountll(a[w] & b[w]);
        c1 += (uint64_t)__builtin_popcountll(a[w + 1] & b[w + 1]);
    }
    if (w < words)
        c0 += (uint64_t)__builtin_popcountll(a[w] & b[w]);
    return c0 + c1;
}

TAVX2 static uint64_t popcount(const tznr__w64 *a, const tznr__w64 *b, size_t words)
{
    (void)b;
    uint64_t c = 0;
    for (size_t w = 0; w < words; w++)
        c += (uint64_t)__builtin_popcountll(a[w]);
    return c;
}

const tznr__kernel tznr__kernel_avx2 = {"avx2", ROWS, panel_for, and_popcount, popcount};
#else
const tznr__kernel tznr__kernel_avx2 = {NULL, 0, NULL, NULL, NULL};
#endif
