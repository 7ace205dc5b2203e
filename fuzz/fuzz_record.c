/* fuzz_record: arbitrary field bytes (invalid UTF-8, huge values, odd dates and numbers)
 * through tznr_encoder_encode_record and tznr_encoder_encode_batch, for a fixed set of
 * schemas: the reference-vector schemas (s1 a/b, s2, s2ns, s3, s4 numeric) and the case
 * schemas C01, C02, C04.
 *
 * Input: byte 0 selects the schema; the rest is split on 0xFF bytes (never part of valid
 * UTF-8) into values, taken n_features at a time as records (the last one padded with empty
 * values), at most MAX_RECORDS records.
 *
 * Checked: the encoder returns TZNR_OK or TZNR_EINPUT (with a message naming the column)
 * and never crashes; a refused record leaves a zeroed CLK; the batch call succeeds exactly
 * when every record does, and then gives byte-identical CLKs; encoding is deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tznr/tznr.h"

static const char *const SCHEMAS[] = {
    "vectors/schemas/s1_example.a.json",
    "vectors/schemas/s1_example.b.json",
    "vectors/schemas/s2_doublehash.a.json",
    "vectors/schemas/s2ns_doublehash_nonsingular.a.json",
    "vectors/schemas/s3_mixed.a.json",
    "vectors/schemas/s4_numeric.json",
    "cases/C01/schema.json",
    "cases/C02/schema.json",
    "cases/C04/schema_with_sentinels.json",
};
#define N_SCHEMAS (sizeof SCHEMAS / sizeof SCHEMAS[0])
#define MAX_RECORDS 64

static tznr_schema_t *schemas[N_SCHEMAS];
static tznr_encoder_t *encoders[N_SCHEMAS];

static void init(void)
{
    if (encoders[0])
        return;
    for (size_t i = 0; i < N_SCHEMAS; i++) {
        size_t len;
        char *json = fuzz_read_data(SCHEMAS[i], &len);
        FUZZ_CHECK(tznr_schema_new_from_json(&schemas[i], json, len) == TZNR_OK, "%s: %s",
                   SCHEMAS[i], tznr_last_error_message());
        free(json);
        FUZZ_CHECK(tznr_encoder_new(&encoders[i], schemas[i], (const uint8_t *)FUZZ_SECRET,
                                    strlen(FUZZ_SECRET)) == TZNR_OK,
                   "%s: %s", SCHEMAS[i], tznr_last_error_message());
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    if (size == 0)
        return 0;
    const size_t s = data[0] % N_SCHEMAS;
    const tznr_encoder_t *enc = encoders[s];
    const size_t nf = tznr_schema_feature_count(schemas[s]), clk_bytes = tznr_encoder_clk_bytes(enc);
    const char *body = (const char *)data + 1;
    const size_t blen = size - 1;

    size_t nvals = 1;
    for (size_t i = 0; i < blen; i++)
        nvals += (uint8_t)body[i] == 0xFF;
    size_t nrec = (nvals + nf - 1) / nf;
    if (nrec > MAX_RECORDS)
        nrec = MAX_RECORDS;
    const size_t nv = nrec * nf;
    const char **vals = calloc(nv, sizeof *vals);
    size_t *lens = calloc(nv, sizeof *lens), *offs = calloc(nv + 1, sizeof *offs);
    uint8_t *clks = calloc(nrec, clk_bytes), *clk = malloc(clk_bytes), *again = malloc(clk_bytes);
    uint8_t *batch = calloc(nrec, clk_bytes);
    FUZZ_CHECK(vals && lens && offs && clks && clk && again && batch, "out of memory");
    /* values point into the input; offsets describe the same values for the batch call,
     * packed into `packed` (the 0xFF separators removed) */
    char *packed = malloc(blen + 1);
    FUZZ_CHECK(packed != NULL, "out of memory");
    size_t k = 0, start = 0, plen = 0;
    for (size_t i = 0; i <= blen && k < nv; i++) {
        if (i == blen || (uint8_t)body[i] == 0xFF) {
            vals[k] = body + start;
            lens[k] = i - start;
            memcpy(packed + plen, body + start, lens[k]);
            plen += lens[k];
            k++;
            start = i + 1;
        }
    }
    for (; k < nv; k++) {
        vals[k] = "";
        lens[k] = 0;
    }
    for (k = 0; k < nv; k++)
        offs[k + 1] = offs[k] + lens[k];

    int all_ok = 1;
    for (size_t r = 0; r < nrec; r++) {
        memset(clk, 0xA5, clk_bytes);
        tznr_error_t rc = tznr_encoder_encode_record(enc, vals + r * nf, lens + r * nf, nf, clk,
                                                     clk_bytes);
        if (rc) {
            const char *msg = tznr_last_error_message();
            FUZZ_CHECK(rc == TZNR_EINPUT, "%s: encode_record returned %d: %s", SCHEMAS[s],
                       (int)rc, msg);
            FUZZ_CHECK(strncmp(msg, "column '", 8) == 0 ||
                           strncmp(msg, "every encoded field is empty", 28) == 0,
                       "%s: EINPUT message does not name the column: \"%s\"", SCHEMAS[s], msg);
            for (size_t b = 0; b < clk_bytes; b++)
                FUZZ_CHECK(clk[b] == 0, "CLK not cleared after an error");
            all_ok = 0;
            continue;
        }
        memcpy(clks + r * clk_bytes, clk, clk_bytes);
        rc = tznr_encoder_encode_record(enc, vals + r * nf, lens + r * nf, nf, again, clk_bytes);
        FUZZ_CHECK(rc == TZNR_OK && memcmp(again, clk, clk_bytes) == 0,
                   "%s: record %zu encodes differently the second time", SCHEMAS[s], r);
    }
    tznr_error_t rc = tznr_encoder_encode_batch(enc, packed, offs, nrec, nf, batch,
                                                nrec * clk_bytes);
    FUZZ_CHECK(all_ok ? rc == TZNR_OK : rc == TZNR_EINPUT,
               "%s: encode_batch returned %d where encode_record %s: %s", SCHEMAS[s], (int)rc,
               all_ok ? "accepted every record" : "refused one", tznr_last_error_message());
    if (all_ok)
        FUZZ_CHECK(memcmp(batch, clks, nrec * clk_bytes) == 0,
                   "%s: encode_batch and encode_record give different CLKs", SCHEMAS[s]);
    else
        for (size_t b = 0; b < nrec * clk_bytes; b++)
            FUZZ_CHECK(batch[b] == 0, "batch CLKs not cleared after an error");

    free(packed);
    free(vals);
    free(lens);
    free(offs);
    free(clks);
    free(clk);
    free(again);
    free(batch);
    return 0;
}
