/* fuzz_audit: tznr_audit_new_from_file on arbitrary bytes: the reader's file typing (a
 * container starts with "TZNRENC", anything else is read as a CLK JSON file) and every
 * measure of the privacy audit. The first input byte picks the mode, as in fuzz_container:
 * even = the bytes as they are; odd = the rest with a correct SHA-256 trailer appended, so
 * that container headers and field filters are reached past the checksum.
 *
 * Checked: only TZNR_OK or TZNR_EFORMAT/TZNR_ELIMIT, with a detail naming the file and no
 * audit returned on failure; on success the measures are consistent with each other (by
 * definition, docs/privacy.md): popcount min <= mean <= max <= filter bits, shares in
 * [0, 1], never + always set <= bits, the classes of identical filters add up to the
 * records (sum of size x count) and to the distinct count (sum of counts), shared-record
 * counts nested (>= 10 within >= 5 within >= 2), field top counts non-increasing and within
 * the records; and the JSON report writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tznr/tznr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_set_checksummed(data, size);
    if (!path)
        return 0;
    tznr_audit_t *a = (tznr_audit_t *)&a;   /* must be reset to NULL on failure */
    tznr_error_t rc = tznr_audit_new_from_file(&a, path);
    if (rc) {
        const char *msg = tznr_last_error_message();
        FUZZ_CHECK(rc == TZNR_EFORMAT || rc == TZNR_ELIMIT, "audit returned %d: %s", (int)rc, msg);
        FUZZ_CHECK(a == NULL, "audit failed but returned a result");
        FUZZ_CHECK(strstr(msg, path) != NULL, "message without the file name: %s", msg);
        return 0;
    }
    const double R = tznr_audit_stat(a, TZNR_AUDIT_RECORDS), bits = tznr_audit_stat(a, TZNR_AUDIT_FILTER_BITS);
    const double pmin = tznr_audit_stat(a, TZNR_AUDIT_POPCOUNT_MIN), pmax = tznr_audit_stat(a, TZNR_AUDIT_POPCOUNT_MAX);
    const double pmean = tznr_audit_stat(a, TZNR_AUDIT_POPCOUNT_MEAN);
    FUZZ_CHECK(R >= 1 && bits >= 64 && fmod(bits, 64) == 0, "records %g, bits %g", R, bits);
    FUZZ_CHECK(pmin <= pmean + 1e-9 && pmean <= pmax + 1e-9 && pmax <= bits, "popcounts %g %g %g",
               pmin, pmean, pmax);
    FUZZ_CHECK(tznr_audit_stat(a, TZNR_AUDIT_POPCOUNT_SD) >= 0, "popcount sd");
    const double fmin = tznr_audit_stat(a, TZNR_AUDIT_BITFREQ_MIN), fmax = tznr_audit_stat(a, TZNR_AUDIT_BITFREQ_MAX);
    FUZZ_CHECK(fmin >= 0 && fmin <= fmax && fmax <= 1, "bit shares %g %g", fmin, fmax);
    FUZZ_CHECK(fabs(tznr_audit_stat(a, TZNR_AUDIT_BITFREQ_MEAN) - pmean / bits) < 1e-9,
               "mean share != mean popcount / bits");
    FUZZ_CHECK(tznr_audit_stat(a, TZNR_AUDIT_BITS_NEVER_SET) + tznr_audit_stat(a, TZNR_AUDIT_BITS_ALWAYS_SET) <= bits,
               "never + always set > bits");
    const double distinct = tznr_audit_stat(a, TZNR_AUDIT_DISTINCT);
    const double s2 = tznr_audit_stat(a, TZNR_AUDIT_SHARED_2), s5 = tznr_audit_stat(a, TZNR_AUDIT_SHARED_5);
    const double s10 = tznr_audit_stat(a, TZNR_AUDIT_SHARED_10), big = tznr_audit_stat(a, TZNR_AUDIT_LARGEST_CLASS);
    FUZZ_CHECK(distinct >= 1 && distinct <= R && big >= 1 && big <= R, "distinct %g, largest %g", distinct, big);
    FUZZ_CHECK(s10 <= s5 && s5 <= s2 && s2 <= R, "shared %g %g %g", s2, s5, s10);
    size_t nc = tznr_audit_class_sizes(a, NULL, NULL, 0);
    uint64_t *sizes = calloc(nc + 1, sizeof *sizes), *counts = calloc(nc + 1, sizeof *counts);
    FUZZ_CHECK(sizes && counts, "out of memory");
    FUZZ_CHECK(tznr_audit_class_sizes(a, sizes, counts, nc) == nc, "class sizes");
    double recs = 0, classes = 0;
    for (size_t i = 0; i < nc; i++) {
        recs += (double)sizes[i] * (double)counts[i];
        classes += (double)counts[i];
        FUZZ_CHECK(sizes[i] <= big, "a class larger than the largest");
    }
    FUZZ_CHECK(recs == R && classes == distinct, "classes: %g records, %g classes", recs, classes);
    free(sizes);
    free(counts);
    for (size_t f = 0; f < tznr_audit_field_count(a); f++) {
        FUZZ_CHECK(tznr_audit_field_name(a, f) != NULL, "field %zu has no name", f);
        FUZZ_CHECK(tznr_audit_field_stat(a, f, TZNR_AUDIT_FIELD_DISTINCT) <= R &&
                   tznr_audit_field_stat(a, f, TZNR_AUDIT_FIELD_EMPTY) <= R, "field %zu counts", f);
        uint64_t top[TZNR_AUDIT_TOP];
        size_t nt = tznr_audit_field_top(a, f, top, TZNR_AUDIT_TOP);
        for (size_t i = 0; i < nt; i++)
            FUZZ_CHECK(top[i] <= R && (i == 0 || top[i] <= top[i - 1]), "field %zu top %zu", f, i);
    }
    const char *out = fuzz_tmp_path("audit.json");
    FUZZ_CHECK(tznr_audit_write_json(a, out, 1) == TZNR_OK, "write: %s", tznr_last_error_message());
    tznr_audit_free(a);
    return 0;
}
