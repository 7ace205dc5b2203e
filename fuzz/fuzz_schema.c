/* fuzz_schema: tznr_schema_new_from_json on arbitrary bytes. When a schema loads, an encoder
 * is created with a fixed secret and a small fixed set of records is encoded, one record at
 * a time and as one batch, which runs normalise, tokenise and the encoder with arbitrary
 * schema parameters.
 *
 * Checked: only documented statuses, a non-empty detail message on every error, consistent
 * accessors (a positive multiple of 64 bits, at least one feature, names present), and
 * tznr_encoder_encode_batch agreeing with tznr_encoder_encode_record (same status class,
 * byte-identical CLKs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tznr/tznr.h"

/* Values tried in every field: empty, names, dates in several formats, integers, decimals,
 * placeholders, non-ASCII, whitespace. */
static const char *const VALUES[] = {
    "",          "Martin",     "2001-02-03", "03/02/2001", "42",    "-7",  "3.5",
    "N/A",       "\xC3\xA9lo\xC3\xAFse", " 12 ", "19991231", "M",     "1e3", "ABC",
    "29/02/2000", "0",         "-120.5",     "Jean-Baptiste de la Fontaine",
};
#define N_VALUES (sizeof VALUES / sizeof VALUES[0])
#define N_RECORDS 4

static void check_error(tznr_error_t rc, const char *what)
{
    const char *msg = tznr_last_error_message();
    FUZZ_CHECK(msg && msg[0], "%s failed with %d and no detail message", what, (int)rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tznr_schema_t *schema = NULL;
    tznr_error_t rc = tznr_schema_new_from_json(&schema, (const char *)data, size);
    if (rc) {
        FUZZ_CHECK(rc == TZNR_ESCHEMA || rc == TZNR_ELIMIT, "schema_new returned %d: %s",
                   (int)rc, tznr_last_error_message());
        FUZZ_CHECK(schema == NULL, "schema_new failed but returned a schema");
        check_error(rc, "schema_new");
        return 0;
    }
    const size_t bits = tznr_schema_filter_bits(schema), nf = tznr_schema_feature_count(schema);
    FUZZ_CHECK(bits > 0 && bits % 64 == 0, "filter_bits = %zu", bits);
    FUZZ_CHECK(nf >= 1, "no feature");
    size_t encoded = 0;
    for (size_t i = 0; i < nf; i++) {
        const char *name = tznr_schema_feature_name(schema, i);
        FUZZ_CHECK(name && name[0], "feature %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(name, tznr_schema_feature_name(schema, j)) != 0,
                       "duplicate identifier '%s'", name);
        encoded += !tznr_schema_feature_is_ignored(schema, i);
    }
    FUZZ_CHECK(tznr_schema_feature_name(schema, nf) == NULL, "name past the end");

    tznr_encoder_t *enc = NULL;
    rc = tznr_encoder_new(&enc, schema, (const uint8_t *)FUZZ_SECRET, strlen(FUZZ_SECRET));
    if (rc) {
        /* limits only checked with a key: blakeHash L <= 65536, HKDF output length */
        FUZZ_CHECK(rc == TZNR_ESCHEMA, "encoder_new returned %d: %s", (int)rc,
                   tznr_last_error_message());
        FUZZ_CHECK(enc == NULL, "encoder_new failed but returned an encoder");
        check_error(rc, "encoder_new");
        tznr_schema_free(schema);
        return 0;
    }
    const size_t clk_bytes = tznr_encoder_clk_bytes(enc);
    FUZZ_CHECK(clk_bytes * 8 == bits, "clk_bytes %zu for %zu bits", clk_bytes, bits);

    /* the record set: record r, feature i gets VALUES[(r * 7 + i * 3 + data-dependent) % N] */
    unsigned mix = size ? data[size / 2] : 0;
    const char **vals = calloc(N_RECORDS * nf, sizeof *vals);
    size_t *lens = calloc(N_RECORDS * nf, sizeof *lens);
    size_t *offs = calloc(N_RECORDS * nf + 1, sizeof *offs);
    uint8_t *clks = calloc(N_RECORDS, clk_bytes), *clk = calloc(1, clk_bytes);
    FUZZ_CHECK(vals && lens && offs && clks && clk, "out of memory");
    size_t total = 0;
    for (size_t k = 0; k < N_RECORDS * nf; k++) {
        vals[k] = VALUES[(k / nf * 7 + k % nf * 3 + mix) % N_VALUES];
        lens[k] = strlen(vals[k]);
        total += lens[k];
    }
    char *buf = malloc(total + 1);
    FUZZ_CHECK(buf != NULL, "out of memory");
    for (size_t k = 0; k < N_RECORDS * nf; k++) {
        memcpy(buf + offs[k], vals[k], lens[k]);
        offs[k + 1] = offs[k] + lens[k];
    }

    int all_ok = 1;
    for (size_t r = 0; r < N_RECORDS; r++) {
        rc = tznr_encoder_encode_record(enc, vals + r * nf, lens + r * nf, nf, clk, clk_bytes);
        FUZZ_CHECK(rc == TZNR_OK || rc == TZNR_EINPUT, "encode_record returned %d: %s",
                   (int)rc, tznr_last_error_message());
        if (rc) {
            check_error(rc, "encode_record");
            all_ok = 0;
            for (size_t b = 0; b < clk_bytes; b++)
                FUZZ_CHECK(clk[b] == 0, "CLK not cleared after an error");
        } else {
            memcpy(clks + r * clk_bytes, clk, clk_bytes);
        }
    }
    uint8_t *batch = calloc(N_RECORDS, clk_bytes);
    FUZZ_CHECK(batch != NULL, "out of memory");
    rc = tznr_encoder_encode_batch(enc, buf, offs, N_RECORDS, nf, batch, N_RECORDS * clk_bytes);
    FUZZ_CHECK(all_ok ? rc == TZNR_OK : rc == TZNR_EINPUT,
               "encode_batch returned %d where encode_record %s: %s", (int)rc,
               all_ok ? "accepted every record" : "refused one", tznr_last_error_message());
    if (all_ok)
        FUZZ_CHECK(memcmp(batch, clks, N_RECORDS * clk_bytes) == 0,
                   "encode_batch and encode_record give different CLKs");
    (void)encoded;

    free(batch);
    free(buf);
    free(vals);
    free(lens);
    free(offs);
    free(clks);
    free(clk);
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
    return 0;
}
