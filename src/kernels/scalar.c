/* Portable scalar kernel (the reference the others are tested against), compiled twice on
 * x86: plain C, and with the POPCNT instruction enabled for the functions (same code, same
 * results; chosen at run time when the CPU has POPCNT). */
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define TZNR__HAVE_POPCNT_VARIANT 1
#endif

/* BODY(SUFFIX, ATTR) defines the kernel functions with a name suffix and a target attribute */
#define SCALAR_BODY(SFX, ATTR)                                                               \
    ATTR static inline uint32_t panel_##SFX##_impl(                                          \
        const tznr__w64 *const rows[TZNR__ROWS_MAX], const uint32_t pa[TZNR__ROWS_MAX],        \
        const uint64_t *panel, const uint32_t pb[TZNR__LANES], size_t words, uint64_t m,       \
        uint64_t counts[TZNR__ROWS_MAX * TZNR__LANES])                                        \
    {                                                                                        \
        const tznr__w64 *r = rows[0];                                                        \
        uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;             \
        for (size_t w = 0; w < words; w++) {                                                 \
            const uint64_t x = r[w], *p = panel + w * TZNR__LANES;                           \
            c0 += (uint64_t)__builtin_popcountll(x & p[0]);                                  \
            c1 += (uint64_t)__builtin_popcountll(x & p[1]);                                  \
            c2 += (uint64_t)__builtin_popcountll(x & p[2]);                                  \
            c3 += (uint64_t)__builtin_popcountll(x & p[3]);                                  \
            c4 += (uint64_t)__builtin_popcountll(x & p[4]);                                  \
            c5 += (uint64_t)__builtin_popcountll(x & p[5]);                                  \
            c6 += (uint64_t)__builtin_popcountll(x & p[6]);                                  \
            c7 += (uint64_t)__builtin_popcountll(x & p[7]);                                  \
        }                                                                                    \
        counts[0] = c0, counts[1] = c1, counts[2] = c2, counts[3] = c3;                      \
        counts[4] = c4, counts[5] = c5, counts[6] = c6, counts[7] = c7;                      \
        uint32_t mask = 0;                                                                   \
        for (unsigned k = 0; k < TZNR__LANES; k++)                                           \
            mask |= (uint32_t)((counts[k] << 25) >= m * ((uint64_t)pa[0] + pb[k])) << k;     \
        return mask;                                                                         \
    }                                                                                        \
    ATTR static uint32_t panel_##SFX##_any(const tznr__w64 *const rows[TZNR__ROWS_MAX],      \
                                           const uint32_t pa[TZNR__ROWS_MAX],                \
                                           const uint64_t *panel,                            \
                                           const uint32_t pb[TZNR__LANES], size_t words,     \
                                           uint64_t m, uint64_t counts[])                    \
    {                                                                                        \
        return panel_##SFX##_impl(rows, pa, panel, pb, words, m, counts);                    \
    }                                                                                        \
    ATTR static uint32_t panel_##SFX##_16(const tznr__w64 *const rows[TZNR__ROWS_MAX],       \
                                          const uint32_t pa[TZNR__ROWS_MAX],                 \
                                          const uint64_t *panel,                             \
                                          const uint32_t pb[TZNR__LANES], size_t words,      \
                                          uint64_t m, uint64_t counts[])                     \
    {                                                                                        \
        (void)words;                                                                         \
        return panel_##SFX##_impl(rows, pa, panel, pb, 16, m, counts);                       \
    }                                                                                        \
    static tznr__panel_fn panel_for_##SFX(size_t words)                                      \
    {                                                                                        \
        return words == 16 ? panel_##SFX##_16 : panel_##SFX##_any;                           \
    }                                                                                        \
    ATTR static uint64_t and_popcount_##SFX(const tznr__w64 *a, const tznr__w64 *b,          \
                                            size_t words)                                    \
    {                                                                                        \
        uint64_t c = 0;                                                                      \
        for (size_t w = 0; w < words; w++)                                                   \
            c += (uint64_t)__builtin_popcountll(a[w] & b[w]);                                \
        return c;                                                                            \
    }                                                                                        \
    ATTR static uint64_t popcount_##SFX(const tznr__w64 *a, const tznr__w64 *b, size_t words) \
    {                                                                                        \
        (void)b;                                                                             \
        uint64_t c = 0;                                                                      \
        for (size_t w = 0; w < words; w++)                                                   \
            c += (uint64_t)__builtin_popcountll(a[w]);                                       \
        return c;                                                                            \
    }

SCALAR_BODY(plain, )

const tznr__kernel tznr__kernel_scalar = {
    "scalar", 1, panel_for_plain, and_popcount_plain, popcount_plain,
};

#ifdef TZNR__HAVE_POPCNT_VARIANT
SCALAR_BODY(popcnt, __attribute__((target("popcnt"))))
const tznr__kernel tznr__kernel_scalar_popcnt = {
    "scalar", 1, panel_for_popcnt, and_popcount_popcnt, popcount_popcnt,
};
#else
const tznr__kernel tznr__kernel_scalar_popcnt = {NULL, 0, NULL, NULL, NULL};
#endif
