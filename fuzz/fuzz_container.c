/* fuzz_container: tznr_container_read on arbitrary bytes. The first input byte picks the
 * mode: even = the bytes as they are (checks the magic, version and checksum paths); odd =
 * the rest of the bytes with a correct SHA-256 trailer appended, so that the header, the
 * identifiers and the section sizes are reached past the checksum.
 *
 * Checked: only TZNR_OK or TZNR_EFORMAT/TZNR_ELIMIT, with a detail naming the file and no
 * container returned on failure; a loaded container is self-consistent (every id, field
 * filter and CLK reachable, nothing past the end), and writes then reads back identical. */
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
    tznr_container_t *c = (tznr_container_t *)&c;   /* must be reset to NULL on failure */
    tznr_error_t rc = tznr_container_read(&c, path);
    if (rc) {
        const char *msg = tznr_last_error_message();
        FUZZ_CHECK(rc == TZNR_EFORMAT || rc == TZNR_ELIMIT, "read returned %d: %s", (int)rc, msg);
        FUZZ_CHECK(c == NULL, "read failed but returned a container");
        FUZZ_CHECK(strstr(msg, path) != NULL, "message without the file name: %s", msg);
        return 0;
    }
    const size_t count = tznr_container_count(c), nf = tznr_container_field_count(c);
    FUZZ_CHECK(nf >= 1 && nf <= 64, "%zu fields", nf);
    FUZZ_CHECK(tznr_container_field_bits(c) % 64 == 0 && tznr_container_clk_bits(c) % 64 == 0,
               "filter lengths");
    for (size_t f = 0; f < nf; f++) {
        FUZZ_CHECK(tznr_container_field_name(c, f) != NULL, "field %zu has no name", f);
        FUZZ_CHECK(tznr_container_field_levels(c, f, NULL, 0) >= 1, "field %zu has no level", f);
    }
    for (size_t r = 0; r < count; r++) {
        size_t len;
        const char *id = tznr_container_id(c, r, &len);
        FUZZ_CHECK(id != NULL && strlen(id) == len, "record %zu: identifier", r);
        FUZZ_CHECK(tznr_container_clk(c, r) != NULL, "record %zu: CLK", r);
        FUZZ_CHECK(tznr_container_field_filter(c, r, nf - 1) != NULL, "record %zu: field", r);
    }
    FUZZ_CHECK(tznr_container_clk(c, count) == NULL, "a CLK past the end");
    const char *out = fuzz_tmp_path("roundtrip.tznr");
    FUZZ_CHECK(tznr_container_write(c, out, 1) == TZNR_OK, "write: %s", tznr_last_error_message());
    tznr_container_t *d = NULL;
    FUZZ_CHECK(tznr_container_read(&d, out) == TZNR_OK, "read back: %s", tznr_last_error_message());
    FUZZ_CHECK(tznr_container_count(d) == count && tznr_container_field_count(d) == nf,
               "round trip changed the shape");
    for (size_t r = 0; r < count; r++)
        FUZZ_CHECK(memcmp(tznr_container_clk(c, r), tznr_container_clk(d, r),
                          tznr_container_clk_bits(c) / 8) == 0 &&
                   strcmp(tznr_container_id(c, r, NULL), tznr_container_id(d, r, NULL)) == 0,
                   "round trip changed record %zu", r);
    tznr_container_free(d);
    tznr_container_free(c);
    return 0;
}
