/* fuzz_clks: tznr_clkset_read_json on arbitrary bytes (written to a file first, as the API
 * reads files), then, when the file loads, a write/read round trip.
 *
 * Checked: only TZNR_OK or TZNR_EFORMAT (plus TZNR_ELIMIT for oversized input), with a
 * detail naming the file; a loaded set has filters of a positive multiple of 64 bits (or is
 * empty with 0 bits) and every filter is reachable; tznr_clkset_write_json writes clkhash's
 * layout and reading it back gives the same filters, in the same order; writing refuses to
 * replace the file without force and leaves it unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tznr/tznr.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    FUZZ_CHECK(fp != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    FUZZ_CHECK(buf != NULL, "out of memory");
    for (;;) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
        FUZZ_CHECK(buf != NULL, "out of memory");
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_set(data, size);
    tznr_clkset_t *set = (tznr_clkset_t *)&set;   /* must be reset to NULL on failure */
    tznr_error_t rc = tznr_clkset_read_json(&set, path);
    if (rc) {
        const char *msg = tznr_last_error_message();
        FUZZ_CHECK(rc == TZNR_EFORMAT || rc == TZNR_ELIMIT, "read_json returned %d: %s",
                   (int)rc, msg);
        FUZZ_CHECK(set == NULL, "read_json failed but returned a set");
        FUZZ_CHECK(strncmp(msg, path, strlen(path)) == 0, "message without the file name: %s",
                   msg);
        return 0;
    }
    FUZZ_CHECK(set != NULL, "no set");
    const size_t n = tznr_clkset_count(set), bits = tznr_clkset_filter_bits(set);
    if (n == 0)
        FUZZ_CHECK(bits == 0, "an empty set with %zu bits", bits);
    else
        FUZZ_CHECK(bits > 0 && bits % 64 == 0 && bits <= ((size_t)1 << 20),
                   "filters of %zu bits", bits);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(tznr_clkset_get(set, i) != NULL, "filter %zu missing", i);
    FUZZ_CHECK(tznr_clkset_get(set, n) == NULL, "filter past the end");

    const char *out = fuzz_tmp_path("roundtrip.json");
    rc = tznr_clkset_write_json(set, out, 1);
    FUZZ_CHECK(rc == TZNR_OK, "write_json: %s", tznr_last_error_message());
    size_t wlen;
    char *written = slurp(out, &wlen);
    if (n == 0) {
        FUZZ_CHECK(strcmp(written, "{\n \"clks\": []\n}\n") == 0, "empty set written as %s",
                   written);
    } else {
        static const char head[] = "{\n \"clks\": [\n  \"", tail[] = "\"\n ]\n}\n";
        FUZZ_CHECK(wlen > strlen(head) + strlen(tail) &&
                       memcmp(written, head, strlen(head)) == 0 &&
                       strcmp(written + wlen - strlen(tail), tail) == 0,
                   "unexpected layout of the written file");
    }
    /* without force the existing file is kept, untouched */
    rc = tznr_clkset_write_json(set, out, 0);
    FUZZ_CHECK(rc == TZNR_EEXIST, "write_json without force returned %d", (int)rc);
    size_t wlen2;
    char *written2 = slurp(out, &wlen2);
    FUZZ_CHECK(wlen2 == wlen && memcmp(written, written2, wlen) == 0,
               "a refused write changed the file");
    free(written2);
    free(written);

    tznr_clkset_t *back = NULL;
    rc = tznr_clkset_read_json(&back, out);
    FUZZ_CHECK(rc == TZNR_OK, "reading back: %s", tznr_last_error_message());
    FUZZ_CHECK(tznr_clkset_count(back) == n && tznr_clkset_filter_bits(back) == bits,
               "round trip: %zu x %zu bits became %zu x %zu bits", n, bits,
               tznr_clkset_count(back), tznr_clkset_filter_bits(back));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(memcmp(tznr_clkset_get(set, i), tznr_clkset_get(back, i), bits / 8) == 0,
                   "round trip: filter %zu changed", i);
    tznr_clkset_free(back);
    tznr_clkset_free(set);
    return 0;
}
