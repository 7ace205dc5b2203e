/* fuzz_csv: the streaming CSV reader (src/csv.h) and tznr_encoder_encode_csv on arbitrary
 * bytes.
 *
 * Checked on every input:
 *  - the reader returns TZNR_OK, TZNR_EINPUT or TZNR_ELIMIT only, with a detail message that
 *    starts with the file name; an error is sticky; end of file stays end of file;
 *  - every record has 1..TZNR__CSV_MAX_FIELDS fields, each NUL-terminated and at most
 *    TZNR__CSV_MAX_FIELD_BYTES long; record start lines increase strictly and never pass the
 *    number of physical lines;
 *  - when the input has no quote and no NUL byte, the records, fields and line numbers are
 *    exactly those of a plain split on line ends (CR, LF, CRLF; blank lines skipped) and
 *    commas, computed here independently, and a record of more than 4096 fields is refused
 *    with TZNR_ELIMIT;
 *  - tznr_encoder_encode_csv (schema s3_mixed.a of the reference vectors) fails whenever the
 *    reader fails, and when it succeeds gives one CLK per data record, each identical to
 *    tznr_encoder_encode_record on that record's fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz_util.h"
#include "tznr/tznr.h"

typedef struct rec {
    unsigned long line;
    size_t nfields;
    char **fields;
    size_t *lens;
} rec;

typedef struct recs {
    rec *v;
    size_t n, cap;
} recs;

static void recs_free(recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t j = 0; j < rs->v[i].nfields; j++)
            free(rs->v[i].fields[j]);
        free(rs->v[i].fields);
        free(rs->v[i].lens);
    }
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

static rec *recs_push(recs *rs, unsigned long line, size_t nfields)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        FUZZ_CHECK(rs->v != NULL, "out of memory");
    }
    rec *r = &rs->v[rs->n++];
    r->line = line;
    r->nfields = nfields;
    r->fields = calloc(nfields ? nfields : 1, sizeof *r->fields);
    r->lens = calloc(nfields ? nfields : 1, sizeof *r->lens);
    FUZZ_CHECK(r->fields && r->lens, "out of memory");
    return r;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    FUZZ_CHECK(d != NULL, "out of memory");
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Reference for inputs without quotes or NUL bytes. Returns 1 if every record fits the field
 * limit, 0 if record number *n_ok (0-based) is the first with too many fields. */
static int reference_split(const uint8_t *data, size_t size, recs *out, size_t *n_ok)
{
    size_t i = 0;
    unsigned long line = 1;
    if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        i = 3;
    while (i < size) {
        size_t start = i;
        while (i < size && data[i] != '\r' && data[i] != '\n')
            i++;
        if (i > start) {
            size_t nf = 1;
            for (size_t j = start; j < i; j++)
                nf += data[j] == ',';
            if (nf > TZNR__CSV_MAX_FIELDS) {
                *n_ok = out->n;
                return 0;
            }
            rec *r = recs_push(out, line, nf);
            size_t f = 0, fs = start;
            for (size_t j = start; j <= i; j++) {
                if (j == i || data[j] == ',') {
                    r->fields[f] = dup_bytes((const char *)data + fs, j - fs);
                    r->lens[f] = j - fs;
                    f++;
                    fs = j + 1;
                }
            }
        }
        if (i < size) {
            if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
                i++;
            i++;
            line++;
        }
    }
    *n_ok = out->n;
    return 1;
}

static void check_message(const char *path, tznr_error_t rc)
{
    const char *msg = tznr_last_error_message();
    FUZZ_CHECK(msg && strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':',
               "error %d without the file name in its message: \"%s\"", (int)rc, msg ? msg : "");
}

static tznr_schema_t *schema;
static tznr_encoder_t *encoder;

static void init_encoder(void)
{
    if (encoder)
        return;
    size_t len;
    char *json = fuzz_read_data("vectors/schemas/s3_mixed.a.json", &len);
    FUZZ_CHECK(tznr_schema_new_from_json(&schema, json, len) == TZNR_OK, "schema: %s",
               tznr_last_error_message());
    free(json);
    FUZZ_CHECK(tznr_encoder_new(&encoder, schema, (const uint8_t *)FUZZ_SECRET,
                                strlen(FUZZ_SECRET)) == TZNR_OK,
               "encoder: %s", tznr_last_error_message());
}

/* encode_csv against the records the reader returned (read_rc: the reader's final status). */
static void check_encode_csv(const char *path, const recs *rs, tznr_error_t read_rc)
{
    init_encoder();
    tznr_clkset_t *set = NULL;
    tznr_error_t rc = tznr_encoder_encode_csv(encoder, path, &set);
    FUZZ_CHECK(rc == TZNR_OK || rc == TZNR_EINPUT || rc == TZNR_ELIMIT,
               "encode_csv returned %d: %s", (int)rc, tznr_last_error_message());
    if (rc) {
        FUZZ_CHECK(set == NULL, "encode_csv failed but returned a set");
        FUZZ_CHECK(strstr(tznr_last_error_message(), path) != NULL,
                   "encode_csv error %d without the file name: \"%s\"", (int)rc,
                   tznr_last_error_message());
        return;
    }
    FUZZ_CHECK(read_rc == TZNR_OK, "encode_csv succeeded where the reader failed with %d",
               (int)read_rc);
    FUZZ_CHECK(rs->n >= 1, "encode_csv succeeded on a file without a header");
    FUZZ_CHECK(set != NULL && tznr_clkset_count(set) == rs->n - 1,
               "encode_csv gave %zu CLKs for %zu data records", tznr_clkset_count(set),
               rs->n - 1);
    /* map features to header columns, as documented: by exact name, in any order */
    const size_t nf = tznr_schema_feature_count(schema), clk_bytes = tznr_encoder_clk_bytes(encoder);
    size_t col[64];
    FUZZ_CHECK(nf <= 64, "schema too large for the harness");
    for (size_t i = 0; i < nf; i++) {
        const char *name = tznr_schema_feature_name(schema, i);
        col[i] = SIZE_MAX;
        for (size_t c = 0; c < rs->v[0].nfields; c++)
            if (strlen(name) == rs->v[0].lens[c] && memcmp(name, rs->v[0].fields[c], rs->v[0].lens[c]) == 0)
                col[i] = c;
        FUZZ_CHECK(col[i] != SIZE_MAX, "encode_csv accepted a header without column '%s'", name);
    }
    uint8_t *clk = malloc(clk_bytes);
    FUZZ_CHECK(clk != NULL, "out of memory");
    for (size_t r = 1; r < rs->n; r++) {
        const char *vals[64];
        size_t lens[64];
        FUZZ_CHECK(rs->v[r].nfields == rs->v[0].nfields,
                   "encode_csv accepted record %zu with %zu fields (header: %zu)", r,
                   rs->v[r].nfields, rs->v[0].nfields);
        for (size_t i = 0; i < nf; i++) {
            vals[i] = rs->v[r].fields[col[i]];
            lens[i] = rs->v[r].lens[col[i]];
        }
        tznr_error_t erc = tznr_encoder_encode_record(encoder, vals, lens, nf, clk, clk_bytes);
        FUZZ_CHECK(erc == TZNR_OK, "encode_csv accepted record %zu that encode_record refuses: %s",
                   r, tznr_last_error_message());
        FUZZ_CHECK(memcmp(clk, tznr_clkset_get(set, r - 1), clk_bytes) == 0,
                   "record %zu: encode_csv and encode_record give different CLKs", r);
    }
    free(clk);
    tznr_clkset_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_set(data, size);
    tznr__csv *r = NULL;
    FUZZ_CHECK(tznr__csv_open(&r, path) == TZNR_OK, "csv_open: %s", tznr_last_error_message());
    FUZZ_CHECK(strcmp(tznr__csv_path(r), path) == 0, "csv_path is not the path given");

    unsigned long phys_lines = 1;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' ? !(i > 0 && data[i - 1] == '\r') : data[i] == '\r')
            phys_lines++;

    recs got_recs = {0};
    size_t total_bytes = 0;
    unsigned long prev_line = 0;
    tznr_error_t rc;
    for (;;) {
        int got = -1;
        rc = tznr__csv_next(r, &got);
        if (rc) {
            FUZZ_CHECK(rc == TZNR_EINPUT || rc == TZNR_ELIMIT, "csv_next returned %d: %s",
                       (int)rc, tznr_last_error_message());
            FUZZ_CHECK(got == 0, "error with a record");
            check_message(path, rc);
            int got2 = -1;
            FUZZ_CHECK(tznr__csv_next(r, &got2) != TZNR_OK && got2 == 0, "error not sticky");
            break;
        }
        FUZZ_CHECK(got == 0 || got == 1, "got = %d", got);
        if (!got) {
            int got2 = -1;
            FUZZ_CHECK(tznr__csv_next(r, &got2) == TZNR_OK && got2 == 0, "EOF not sticky");
            break;
        }
        size_t nf = tznr__csv_nfields(r);
        unsigned long line = tznr__csv_line(r);
        FUZZ_CHECK(nf >= 1 && nf <= TZNR__CSV_MAX_FIELDS, "record with %zu fields", nf);
        FUZZ_CHECK(line > prev_line && line <= phys_lines,
                   "record line %lu after %lu (the file has %lu lines)", line, prev_line,
                   phys_lines);
        prev_line = line;
        rec *rr = recs_push(&got_recs, line, nf);
        for (size_t i = 0; i < nf; i++) {
            size_t len = (size_t)-1;
            const char *f = tznr__csv_field(r, i, &len);
            FUZZ_CHECK(f != NULL && len <= TZNR__CSV_MAX_FIELD_BYTES && f[len] == '\0',
                       "field %zu of line %lu", i, line);
            total_bytes += len;
            rr->fields[i] = dup_bytes(f, len);
            rr->lens[i] = len;
        }
        FUZZ_CHECK(tznr__csv_field(r, nf, NULL) == NULL, "field past the end");
        FUZZ_CHECK(total_bytes <= size, "more field bytes (%zu) than input bytes (%zu)",
                   total_bytes, size);
    }
    tznr__csv_close(r);

    if (!memchr(data, '"', size) && !memchr(data, '\0', size)) {
        recs ref = {0};
        size_t n_ok = 0;
        int all_ok = reference_split(data, size, &ref, &n_ok);
        FUZZ_CHECK(all_ok ? rc == TZNR_OK : rc == TZNR_ELIMIT,
                   "status %d, expected %s", (int)rc, all_ok ? "OK" : "ELIMIT (too many fields)");
        FUZZ_CHECK(got_recs.n == n_ok, "%zu records, expected %zu", got_recs.n, n_ok);
        for (size_t i = 0; i < n_ok; i++) {
            const rec *a = &got_recs.v[i], *b = &ref.v[i];
            FUZZ_CHECK(a->line == b->line, "record %zu: line %lu, expected %lu", i, a->line,
                       b->line);
            FUZZ_CHECK(a->nfields == b->nfields, "record %zu (line %lu): %zu fields, expected %zu",
                       i, a->line, a->nfields, b->nfields);
            for (size_t j = 0; j < a->nfields; j++)
                FUZZ_CHECK(a->lens[j] == b->lens[j] &&
                               memcmp(a->fields[j], b->fields[j], a->lens[j]) == 0,
                           "record %zu (line %lu) field %zu differs", i, a->line, j);
        }
        recs_free(&ref);
    }

    check_encode_csv(path, &got_recs, rc);
    recs_free(&got_recs);
    return 0;
}
