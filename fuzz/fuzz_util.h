/* Shared helpers of the fuzz harnesses (test code, not part of the library).
 *
 * Each harness defines LLVMFuzzerTestOneInput(). Built with -Dfuzzing=true (clang) it links
 * libFuzzer; otherwise it links replay.c, whose main() runs every file of the corpus
 * directories given on the command line (the `fuzz-replay` test suite). */
#ifndef TZNR_FUZZ_UTIL_H
#define TZNR_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant is a finding: print it and abort (libFuzzer and the sanitizers then
 * report a crash and save the input). */
#define FUZZ_CHECK(cond, ...)                                                                 \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                \
    } while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A file whose contents the harness replaces on every input: a memfd reached through
 * /proc/self/fd (no disk I/O), or a temporary file when memfd is unavailable. fuzz_file_set
 * writes the bytes and returns the path to open. */
const char *fuzz_file_set(const uint8_t *data, size_t size);

/* The input file of the container-shaped harnesses: byte 0 even = the other bytes as they
 * are; odd = the other bytes with their SHA-256 appended (the container trailer), so that
 * parsing gets past the checksum. NULL for an empty input; otherwise as fuzz_file_set. */
const char *fuzz_file_set_checksummed(const uint8_t *data, size_t size);

/* A private temporary directory (on /dev/shm when available), removed at exit with the
 * files named through fuzz_tmp_path. */
const char *fuzz_tmp_path(const char *name);

/* Read a whole file under tests/data (path relative to it); aborts on failure. The caller
 * frees. *len may be NULL. */
char *fuzz_read_data(const char *rel, size_t *len);

/* Fixed 44-character secret used by the encoder harnesses (not a real key). */
#define FUZZ_SECRET "ZnV6ei1zZWNyZXQtbm90LWEtcmVhbC1rZXktLS0tLS0="
#endif
