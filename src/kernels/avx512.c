/* AVX-512 kernel: VPOPCNTQ on a panel of 8 filters held transposed, so that one 512-bit
 * vector holds word w of the 8 filters: each row word is broadcast, ANDed with the vector,
 * popcounted and accumulated, giving 8 counts per vector with no horizontal sums. Four rows
 * share each panel load. Functions carry their own target attribute: this file is compiled
 * with the project's default flags and only run on CPUs with AVX-512F/BW/VL/VPOPCNTDQ. */
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,popcnt")))
#define ROWS 4

T512 __attribute__((always_inline)) static inline uint32_t
panel_impl(const tznr__w64 *const rows[TZNR__ROWS_MAX], const uint32_t pa[TZNR__ROWS_MAX],
           const uint64_t *panel, const uint32_t pb[TZNR__LANES], size_t words, uint64_t m,
           uint64_t counts[TZNR__ROWS_MAX * TZNR__LANES])
{
    const tznr__w64 *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
#pragma GCC unroll 2
    for (size_t w = 0; w < words; w++) {
        const __m512i v = _mm512_load_si512((const void *)(panel + w * TZNR__LANES));
        a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(_mm512_and_si512(v, _mm512_set1_epi64((long long)r0[w]))));
        a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(_mm512_and_si512(v, _mm512_set1_epi64((long long)r1[w]))));
        a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(_mm512_and_si512(v, _mm512_set1_epi64((long long)r2[w]))));
        a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(_mm512_and_si512(v, _mm512_set1_epi64((long long)r3[w]))));
    }
    /* prefilter (c << 25) >= m * (pa + pb): products of 32-bit values, exact in 64 bits */
    const __m512i pbv = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const void *)pb));
    const __m512i mv = _mm512_set1_epi64((long long)m);
    __mmask8 k0 = _mm512_cmpge_epu64_mask(_mm512_slli_epi64(a0, 25),
        _mm512_mul_epu32(_mm512_add_epi64(pbv, _mm512_set1_epi64(pa[0])), mv));
    __mmask8 k1 = _mm512_cmpge_epu64_mask(_mm512_slli_epi64(a1, 25),
        _mm512_mul_epu32(_mm512_add_epi64(pbv, _mm512_set1_epi64(pa[1])), mv));
    __mmask8 k2 = _mm512_cmpge_epu64_mask(_mm512_slli_epi64(a2, 25),
        _mm512_mul_epu32(_mm512_add_epi64(pbv, _mm512_set1_epi64(pa[2])), mv));
    __mmask8 k3 = _mm512_cmpge_epu64_mask(_mm512_slli_epi64(a3, 25),
        _mm512_mul_epu32(_mm512_add_epi64(pbv, _mm512_set1_epi64(pa[3])), mv));
    uint32_t mask = (uint32_t)k0 | (uint32_t)k1 << 8 | (uint32_t)k2 << 16 | (uint32_t)k3 << 24;
    if (mask) {
        _mm512_storeu_si512((void *)(counts + 0), a0);
        _mm512_storeu_si512((void *)(counts + 8), a1);
        _mm512_storeu_si512((void *)(counts + 16), a2);
        _mm512_storeu_si512((void *)(counts + 24), a3);
    }
    return mask;
}

TZNR__PANEL_VARIANTS(T512)

/* one pair: 8 words per vector, tail by mask */
T512 static uint64_t and_popcount(const tznr__w64 *a, const tznr__w64 *b, size_t words)
{
    __m512i acc = _mm512_setzero_si512();
    size_t w = 0;
    for (; w + 8 <= words; w += 8)
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(
                  _mm512_loadu_si512((const void *)(a + w)), _mm512_loadu_si512((const void *)(b + w)))));
    if (w < words) {
        __mmask8 k = (__mmask8)((1u << (words - w)) - 1);
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(
                  _mm512_maskz_loadu_epi64(k, (const void *)(a + w)),
                  _mm512_maskz_loadu_epi64(k, (const void *)(b + w)))));
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc);
}

T512 static uint64_t popcount(const tznr__w64 *a, const tznr__w64 *b, size_t words)
{
    (void)b;
    __m512i acc = _mm512_setzero_si512();
    size_t w = 0;
    for (; w + 8 <= words; w += 8)
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_loadu_si512((const void *)(a + w))));
    if (w < words) {
        __mmask8 k = (__mmask8)((1u << (words - w)) - 1);
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_maskz_loadu_epi64(k, (const void *)(a + w))));
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc);
}

const tznr__kernel tznr__kernel_avx512 = {"avx512", ROWS, panel_for, and_popcount, popcount};
#else
const tznr__kernel tznr__kernel_avx512 = {NULL, 0, NULL, NULL, NULL};
#endif
