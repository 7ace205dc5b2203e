/* One FEBRL line cleaned as a custodian does before encoding (examples/common.sh,
 * prepare_febrl): CRs and line ends removed, leading and trailing spaces removed, spaces
 * around commas removed. Shared by tests/test_encoder.c and bench/bench_encode.c, which build
 * their FEBRL4 inputs in C. Returns the new length. */
#ifndef TZNR_TESTS_FEBRL_CLEAN_H
#define TZNR_TESTS_FEBRL_CLEAN_H
#include <string.h>

static size_t clean_line(char *s)
{
    size_t o = 0, n = strlen(s), i = 0;
    while (i < n && s[i] == ' ')
        i++;
    for (; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n')
            continue;
        if (s[i] == ' ' || s[i] == ',') {
            size_t j = i;
            while (j < n && s[j] == ' ')
                j++;
            if (j < n && s[j] == ',') {
                j++;
                while (j < n && s[j] == ' ')
                    j++;
                s[o++] = ',';
                i = j - 1;
                continue;
            }
        }
        s[o++] = s[i];
    }
    while (o && s[o - 1] == ' ')
        o--;
    s[o] = '\0';
    return o;
}

#endif
