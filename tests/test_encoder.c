/* Encoder speed paths (src/encoder.c): memos, threads, streaming CSV and JSON. Every mode and
 * thread count must give byte-identical CLKs: checked against the clkhash 0.18.3 vectors
 * (tests/data/vectors, an independent source) and, on a larger FEBRL4-based input, against
 * the unmemoised single-thread path (itself checked against the vectors). Also: the error
 * listing does not depend on the thread count, progress and cancellation, memo limits, the
 * CSV fast path against libcsv, and the streaming JSON writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "csv.h"
#include "tznr/tznr.h"
#include "tznr_test.h"

static const unsigned THREADS[] = {1, 2, 4, 7};
static const tznr_memo_mode MODES[] = {TZNR_MEMO_ALL, TZNR_MEMO_TOKENS, TZNR_MEMO_OFF};
#define N_THREADS (sizeof THREADS / sizeof *THREADS)
#define N_MODES (sizeof MODES / sizeof *MODES)

static tznr_encoder_t *make_encoder(tznr_schema_t **schema, const char *schema_path,
                                    const char *secret_path)
{
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s", schema_path);
    snprintf(p2, sizeof p2, "%s", secret_path);
    tznr_encoder_t *e = NULL;
    ck_assert_msg(tznr_schema_new_from_file(schema, p1) == TZNR_OK, "%s",
                  tznr_last_error_message());
    ck_assert_msg(tznr_encoder_new_from_secret_file(&e, *schema, p2) == TZNR_OK, "%s",
                  tznr_last_error_message());
    return e;
}

static tznr_encode_options opts_for(unsigned threads, tznr_memo_mode memo, size_t memo_bytes)
{
    tznr_encode_options o;
    tznr_encode_options_init(&o);
    o.threads = threads;
    o.memo = memo;
    o.memo_max_bytes = memo_bytes;
    return o;
}

static tznr_clkset_t *encode_opts(const tznr_encoder_t *e, const char *csv, unsigned threads,
                                  tznr_memo_mode memo, size_t memo_bytes)
{
    tznr_encode_options o = opts_for(threads, memo, memo_bytes);
    tznr_clkset_t *set = NULL;
    tznr_error_t rc = tznr_encoder_encode_csv_opts(e, csv, &o, &set);
    ck_assert_msg(rc == TZNR_OK, "threads %u memo %d: %s", threads, (int)memo,
                  tznr_last_error_message());
    return set;
}

static void assert_same(const tznr_clkset_t *got, const tznr_clkset_t *want, const char *ctx)
{
    ck_assert_msg(tznr_clkset_count(got) == tznr_clkset_count(want), "%s: %zu CLKs, want %zu",
                  ctx, tznr_clkset_count(got), tznr_clkset_count(want));
    ck_assert_uint_eq(tznr_clkset_filter_bits(got), tznr_clkset_filter_bits(want));
    /* plain loops: a Check assertion per element would be slow */
    const size_t bytes = tznr_clkset_filter_bits(want) / 8;
    size_t bad = SIZE_MAX;
    for (size_t i = 0; i < tznr_clkset_count(want) && bad == SIZE_MAX; i++)
        if (memcmp(tznr_clkset_get(got, i), tznr_clkset_get(want, i), bytes) != 0)
            bad = i;
    ck_assert_msg(bad == SIZE_MAX, "%s: CLK %zu differs", ctx, bad);
}

static int files_equal(const char *a, const char *b)
{
    size_t la, lb;
    char *x = tt_read(a, &la), *y = tt_read(b, &lb);
    int eq = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return eq;
}

/* ---- the clkhash vectors, every mode and thread count ---------------------------------- */

static const struct {
    const char *schema, *secret, *csv, *clks;
} V[] = {
    {"s1_example.a", "secret_1.txt", "people_a.csv", "s1_example.a"},
    {"s1_example.b", "secret_1.txt", "people_b.csv", "s1_example.b"},
    {"s2_doublehash.a", "secret_1.txt", "people_a.csv", "s2_doublehash.a"},
    {"s2_doublehash.b", "secret_1.txt", "people_b.csv", "s2_doublehash.b"},
    {"s2ns_doublehash_nonsingular.a", "secret_1.txt", "people_a.csv", "s2ns_doublehash_nonsingular.a"},
    {"s2ns_doublehash_nonsingular.b", "secret_1.txt", "people_b.csv", "s2ns_doublehash_nonsingular.b"},
    {"s3_mixed.a", "secret_2.txt", "people_a.csv", "s3_mixed.a"},
    {"s3_mixed.b", "secret_2.txt", "people_b.csv", "s3_mixed.b"},
    {"s4_numeric", "secret_1.txt", "numeric.csv", "s4_numeric"},
};

START_TEST(vectors_every_mode_and_thread_count)
{
    char schema[256], secret[256], csv[256], clks[256];
    snprintf(schema, sizeof schema, "%s", tt_data("vectors/schemas/"));
    snprintf(schema + strlen(schema), sizeof schema - strlen(schema), "%s.json", V[_i].schema);
    snprintf(secret, sizeof secret, "%s", tt_data("vectors/input/"));
    snprintf(secret + strlen(secret), sizeof secret - strlen(secret), "%s", V[_i].secret);
    snprintf(csv, sizeof csv, "%s", tt_data("vectors/input/"));
    snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%s", V[_i].csv);
    snprintf(clks, sizeof clks, "%s", tt_data("vectors/clks/"));
    snprintf(clks + strlen(clks), sizeof clks - strlen(clks), "%s.clks.json", V[_i].clks);
    tznr_schema_t *s;
    tznr_encoder_t *e = make_encoder(&s, schema, secret);
    tznr_clkset_t *want = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&want, clks), TZNR_OK);
    const char *dir = tt_tmpdir();
    for (size_t m = 0; m < N_MODES; m++) {
        for (size_t t = 0; t < N_THREADS; t++) {
            char ctx[300];
            snprintf(ctx, sizeof ctx, "%s, memo %d, %u threads", V[_i].clks, (int)MODES[m],
                     THREADS[t]);
            tznr_clkset_t *got = encode_opts(e, csv, THREADS[t], MODES[m], 0);
            assert_same(got, want, ctx);
            tznr_clkset_free(got);
            /* streaming CSV -> JSON: the very bytes of clkhash's file */
            char out[512];
            snprintf(out, sizeof out, "%s/out-%zu-%zu.json", dir, m, t);
            tznr_encode_options o = opts_for(THREADS[t], MODES[m], 0);
            ck_assert_msg(tznr_encoder_encode_csv_to_json(e, csv, out, 0, &o) == TZNR_OK, "%s: %s",
                          ctx, tznr_last_error_message());
            ck_assert_msg(files_equal(out, clks), "%s: JSON differs from clkhash's file", ctx);
            ck_assert_int_eq(remove(out), 0);
        }
    }
    tznr_clkset_free(want);
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

/* ---- a larger input: FEBRL4 cleaned as examples/febrl4/run.sh does --------------------- */

#include "febrl_clean.h"   /* clean_line */

typedef struct rows {
    char **v;
    size_t n;
    char *header;
} rows;

static void read_febrl(rows *R, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "../../examples/data/%s", name);
    FILE *fp = fopen(tt_data(rel), "rb");
    ck_assert_ptr_nonnull(fp);
    char buf[4096];
    int first = 1;
    while (fgets(buf, sizeof buf, fp)) {
        size_t n = clean_line(buf);
        if (first) {
            first = 0;
            if (!R->header)
                R->header = strdup(buf);
            continue;
        }
        if (n == 0)
            continue;
        R->v = realloc(R->v, (R->n + 1) * sizeof *R->v);
        ck_assert_ptr_nonnull(R->v);
        R->v[R->n++] = strdup(buf);
    }
    fclose(fp);
}

static void free_rows(rows *R)
{
    for (size_t i = 0; i < R->n; i++)
        free(R->v[i]);
    free(R->v);
    free(R->header);
}

static rows febrl(void)
{
    rows R = {0};
    read_febrl(&R, "dataset4a.csv");
    read_febrl(&R, "dataset4b.csv");
    ck_assert_uint_eq(R.n, 10000);
    return R;
}

/* header + rows[i % period] for i < count, as a file in a fresh directory */
static const char *write_rows_period(const rows *R, size_t count, size_t period,
                                     const char *name);

static const char *write_rows(const rows *R, size_t count, const char *name)
{
    return write_rows_period(R, count, R->n, name);
}

static const char *write_rows_period(const rows *R, size_t count, size_t period,
                                     const char *name)
{
    static char slots[4][512];
    static unsigned next;
    char *path = slots[next++ % 4];
    snprintf(path, sizeof slots[0], "%s/%s", tt_tmpdir(), name);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "%s\n", R->header);
    for (size_t i = 0; i < count; i++)
        fprintf(fp, "%s\n", R->v[i % period]);
    ck_assert_int_eq(fclose(fp), 0);
    return path;
}

static tznr_encoder_t *febrl_encoder(tznr_schema_t **s)
{
    const char *dir = tt_tmpdir();
    char key[512];
    snprintf(key, sizeof key, "%s/shared.key", dir);
    FILE *fp = fopen(key, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs("a test secret, not a real one\n", fp);
    ck_assert_int_eq(fclose(fp), 0);
    return make_encoder(s, tt_data("../../examples/febrl4/schema.json"), key);
}

/* 6,000 rows (4,000 FEBRL4 rows, then 2,000 of them again: repeated values hit the memos,
 * and the chunks of 2048 rows end at various places) */
START_TEST(febrl_every_mode_and_thread_count)
{
    rows R = febrl();
    const char *csv = write_rows_period(&R, 6000, 4000, "febrl.csv");
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    tznr_clkset_t *ref = encode_opts(e, csv, 1, TZNR_MEMO_OFF, 0);
    ck_assert_uint_eq(tznr_clkset_count(ref), 6000);
    /* a repeated row gets the same CLK as its first occurrence */
    int same = 1;
    for (size_t i = 4000; i < 6000; i++)
        same &= memcmp(tznr_clkset_get(ref, i), tznr_clkset_get(ref, i - 4000), 128) == 0;
    ck_assert(same);
    for (size_t m = 0; m < N_MODES; m++) {
        for (size_t t = 0; t < N_THREADS; t++) {
            /* the slower paths: 1 thread (the reference for OFF) and 7 are enough */
            if ((MODES[m] == TZNR_MEMO_OFF && THREADS[t] != 7) ||
                (MODES[m] == TZNR_MEMO_TOKENS && THREADS[t] != 1 && THREADS[t] != 7))
                continue;
            char ctx[128];
            snprintf(ctx, sizeof ctx, "FEBRL4, memo %d, %u threads", (int)MODES[m], THREADS[t]);
            tznr_clkset_t *got = encode_opts(e, csv, THREADS[t], MODES[m], 0);
            assert_same(got, ref, ctx);
            tznr_clkset_free(got);
        }
    }
    /* every CPU (threads = 0) and the default entry point */
    tznr_clkset_t *got = encode_opts(e, csv, 0, TZNR_MEMO_ALL, 0);
    assert_same(got, ref, "threads 0");
    tznr_clkset_free(got);
    ck_assert_int_eq(tznr_encoder_encode_csv(e, csv, &got), TZNR_OK);
    assert_same(got, ref, "tznr_encoder_encode_csv");
    tznr_clkset_free(got);
    tznr_clkset_free(ref);
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

/* Memo budgets from tiny (nothing fits: every lookup misses) to small (the memos fill up
 * and stop inserting mid-run): same CLKs. */
START_TEST(memo_limits)
{
    rows R = febrl();
    const char *csv = write_rows_period(&R, 3000, 2000, "febrl.csv");
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    tznr_clkset_t *ref = encode_opts(e, csv, 1, TZNR_MEMO_OFF, 0);
    static const size_t limits[] = {1, 65536, 500000};
    for (size_t k = 0; k < sizeof limits / sizeof *limits; k++) {
        for (size_t t = 0; t < 2; t++) {
            char ctx[128];
            snprintf(ctx, sizeof ctx, "memo limit %zu, %u threads", limits[k], THREADS[t * 2]);
            tznr_clkset_t *got = encode_opts(e, csv, THREADS[t * 2], TZNR_MEMO_ALL, limits[k]);
            assert_same(got, ref, ctx);
            tznr_clkset_free(got);
            got = encode_opts(e, csv, THREADS[t * 2], TZNR_MEMO_TOKENS, limits[k]);
            assert_same(got, ref, ctx);
            tznr_clkset_free(got);
        }
    }
    tznr_clkset_free(ref);
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

/* The batch API: every mode and thread count gives what tznr_encoder_encode_record gives. */
START_TEST(batch_every_mode_and_thread_count)
{
    rows R = febrl();
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    const size_t nrec = 3000, nv = tznr_schema_feature_count(s);
    ck_assert_uint_eq(nv, 11);
    /* the cleaned rows have no quotes: split at commas */
    size_t cap = 0, len = 0;
    for (size_t i = 0; i < nrec; i++)
        cap += strlen(R.v[(i * 7) % R.n]);
    char *buf = malloc(cap + 1);
    size_t *off = malloc((nrec * nv + 1) * sizeof *off);
    size_t k = 0;
    off[0] = 0;
    for (size_t i = 0; i < nrec; i++) {
        const char *row = R.v[(i * 7) % R.n];
        size_t fields = 0;
        for (const char *q = row;; q++) {
            if (*q == ',' || *q == '\0') {
                off[++k] = len;
                fields++;
                if (*q == '\0')
                    break;
            } else {
                buf[len++] = *q;
            }
        }
        if (fields != nv)
            ck_abort_msg("row %zu: %zu fields", i, fields);
    }
    uint8_t *want = malloc(nrec * 128), *got = malloc(nrec * 128);
    for (size_t i = 0; i < nrec; i++) {
        const char *vals[11];
        size_t lens[11];
        for (size_t f = 0; f < nv; f++) {
            vals[f] = buf + off[i * nv + f];
            lens[f] = off[i * nv + f + 1] - off[i * nv + f];
        }
        if (tznr_encoder_encode_record(e, vals, lens, nv, want + i * 128, 128) != TZNR_OK)
            ck_abort_msg("record %zu: %s", i, tznr_last_error_message());
    }
    for (size_t m = 0; m < N_MODES; m++) {
        for (size_t t = 0; t < N_THREADS; t++) {
            if (MODES[m] == TZNR_MEMO_OFF && THREADS[t] != 7)
                continue;   /* slow; the reference above is unmemoised already */
            tznr_encode_options o = opts_for(THREADS[t], MODES[m], 0);
            memset(got, 0xAA, nrec * 128);
            ck_assert_msg(tznr_encoder_encode_batch_opts(e, buf, off, nrec, nv, got, nrec * 128,
                                                         &o) == TZNR_OK,
                          "%s", tznr_last_error_message());
            ck_assert_msg(memcmp(got, want, nrec * 128) == 0, "batch, memo %d, %u threads",
                          (int)MODES[m], THREADS[t]);
        }
    }
    /* an invalid record (record 2321's date_of_birth, an integer field, made "x"): the
     * whole batch fails, zeroed, with the record named, for any thread count */
    buf[off[2321 * nv + 9]] = 'x';
    for (size_t t = 0; t < N_THREADS; t++) {
        tznr_encode_options o = opts_for(THREADS[t], TZNR_MEMO_ALL, 0);
        ck_assert_int_eq(tznr_encoder_encode_batch_opts(e, buf, off, nrec, nv, got, nrec * 128,
                                                        &o), TZNR_EINPUT);
        const char *msg = tznr_last_error_message();
        ck_assert_msg(strncmp(msg, "1 invalid record; nothing was encoded:\nrecord 2321: "
                                   "column 'date_of_birth': ", 51) == 0, "%s", msg);
        int zero = 1;
        for (size_t i = 0; i < nrec * 128; i++)
            zero &= got[i] == 0;
        ck_assert(zero);
    }
    free(buf);
    free(off);
    free(want);
    free(got);
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------ */

/* 70 invalid rows spread over three chunks (60 bad integers, 5 rows with a missing field, 5
 * rows with invalid UTF-8) among 4,500: the listing is the first 50 in row order, then a
 * count, whatever the thread count and memo mode; nothing is written. */
START_TEST(error_listing_independent_of_threads)
{
    rows R = febrl();
    const size_t n = 4500;
    char **v = calloc(n, sizeof *v);
    int bad_kind[4500] = {0};
    for (size_t i = 0; i < n; i++)
        v[i] = strdup(R.v[i % R.n]);
    for (size_t j = 0; j < 70; j++) {
        size_t i = 37 + j * 61;
        char tmp[4096], *last, *dob, *gn;
        for (;; i++) {                      /* a row with given_name and dob of 2+ chars */
            snprintf(tmp, sizeof tmp, "%s", R.v[i % R.n]);
            last = strrchr(tmp, ',');       /* ...,date_of_birth,soc_sec_id */
            *last = '\0';
            dob = strrchr(tmp, ',');
            *last = ',';
            gn = strchr(tmp, ',') + 1;
            if (last - dob > 2 && strchr(gn, ',') - gn >= 2)
                break;
        }
        free(v[i]);
        if (j % 14 == 5) {                  /* a field short */
            *last = '\0';
            bad_kind[i] = 2;
        } else if (j % 14 == 9) {           /* invalid UTF-8 in given_name */
            gn[0] = (char)0xC3;
            gn[1] = '(';
            bad_kind[i] = 3;
        } else {                            /* date_of_birth not an integer */
            dob[1] = 'x';
            bad_kind[i] = 1;
        }
        v[i] = strdup(tmp);
    }
    rows B = {v, n, strdup(R.header)};
    const char *csv = write_rows(&B, n, "bad.csv");
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    /* expected: the first 50 bad rows, in order, "FILE:LINE: " + the rule for the kind */
    char *expect = malloc(65536);
    size_t o = (size_t)snprintf(expect, 65536, "70 invalid rows; nothing was encoded:\n");
    size_t listed = 0;
    for (size_t i = 0; i < n && listed < 50; i++) {
        if (!bad_kind[i])
            continue;
        listed++;
        if (bad_kind[i] == 2)
            o += (size_t)snprintf(expect + o, 65536 - o, "%s:%zu: expected 11 fields (as in "
                                  "the header), found 10\n", csv, i + 2);
        else if (bad_kind[i] == 3)
            o += (size_t)snprintf(expect + o, 65536 - o, "%s:%zu: column 'given_name': invalid "
                                  "UTF-8 at byte 0 of the value\n", csv, i + 2);
        else
            o += (size_t)snprintf(expect + o, 65536 - o, "%s:%zu: column 'date_of_birth': \n",
                                  csv, i + 2);  /* a prefix: the rule's text follows */
    }
    char out[600];
    snprintf(out, sizeof out, "%s/out.json", tt_tmpdir());
    char *first = NULL;
    for (size_t m = 0; m < N_MODES; m++) {
        for (size_t t = 0; t < N_THREADS; t++) {
            if (MODES[m] == TZNR_MEMO_OFF && THREADS[t] != 1 && THREADS[t] != 7)
                continue;   /* slow */
            tznr_encode_options opt = opts_for(THREADS[t], MODES[m], 0);
            tznr_clkset_t *set = (tznr_clkset_t *)1;
            ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &opt, &set), TZNR_EINPUT);
            ck_assert_ptr_null(set);
            const char *msg = tznr_last_error_message();
            if (!first) {
                first = strdup(msg);
                /* compare line by line with the expected prefixes */
                const char *p = msg, *q = expect;
                while (*q) {
                    const char *qe = strchr(q, '\n');
                    const char *pe = strchr(p, '\n');
                    ck_assert_ptr_nonnull(pe);
                    size_t ql = (size_t)(qe ? qe - q : (long)strlen(q));
                    if (q[ql - 1] == ' ')   /* a prefix only: the rule text follows */
                        ck_assert_msg(strncmp(p, q, ql) == 0, "got  %.*s\nwant %.*s...",
                                      (int)(pe - p), p, (int)ql, q);
                    else
                        ck_assert_msg((size_t)(pe - p) == ql && strncmp(p, q, ql) == 0,
                                      "got  %.*s\nwant %.*s", (int)(pe - p), p, (int)ql, q);
                    p = pe + 1;
                    q = qe ? qe + 1 : q + ql;
                }
                ck_assert_str_eq(p, "(further errors not listed)\n");
            } else {
                ck_assert_msg(strcmp(msg, first) == 0, "memo %d, %u threads: the listing "
                              "differs:\n%s\n---\n%s", (int)MODES[m], THREADS[t], msg, first);
            }
            /* streaming to a file: the same message, and no file left */
            ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, out, 0, &opt), TZNR_EINPUT);
            ck_assert_str_eq(tznr_last_error_message(), first);
            ck_assert_int_ne(access(out, F_OK), 0);
        }
    }
    free(first);
    free(expect);
    free_rows(&B);
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

/* Malformed CSV after some invalid rows: the CSV error wins (as with one thread), and a
 * header mismatch is reported before anything is read. */
START_TEST(fatal_errors_independent_of_threads)
{
    rows R = febrl();
    R.v[300][2] = 'x';                      /* rec_id is ignored: still valid */
    const char *rest = strchr(strchr(R.v[400], ',') + 1, ',');
    char *bad = malloc(strlen(rest) + 16);
    sprintf(bad, "r,ab\"c%s", rest);        /* a quote inside an unquoted given_name */
    free(R.v[4500]);
    R.v[4500] = bad;
    char *dob = strrchr(R.v[100], ',');
    dob[-1] = 'x';                          /* an invalid date_of_birth before it */
    const char *csv = write_rows(&R, 6000, "bad.csv");
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    char want[256];
    snprintf(want, sizeof want, "%s:4502: malformed CSV", csv);
    for (size_t t = 0; t < N_THREADS; t++) {
        tznr_encode_options o = opts_for(THREADS[t], TZNR_MEMO_ALL, 0);
        tznr_clkset_t *set = NULL;
        ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_EINPUT);
        ck_assert_msg(strncmp(tznr_last_error_message(), want, strlen(want)) == 0, "%s",
                      tznr_last_error_message());
    }
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

/* ---- progress, cancellation, options ----------------------------------------------------- */

typedef struct prog {
    uint64_t calls, last_done, last_total, cancel_at;
    int decreasing;
} prog;

static int on_progress(uint64_t done, uint64_t total, void *user)
{
    prog *p = user;
    if (done < p->last_done)
        p->decreasing = 1;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->cancel_at && p->calls >= p->cancel_at;
}

START_TEST(progress_and_cancel)
{
    rows R = febrl();
    const char *csv = write_rows(&R, 5000, "febrl.csv");
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    for (size_t t = 0; t < N_THREADS; t++) {
        prog p = {0};
        tznr_encode_options o = opts_for(THREADS[t], TZNR_MEMO_ALL, 0);
        o.progress = on_progress;
        o.progress_user = &p;
        tznr_clkset_t *set = NULL;
        ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_OK);
        ck_assert_uint_ge(p.calls, 2);          /* one at the start, one at the end */
        ck_assert_uint_eq(p.last_done, 5000);   /* the final count */
        ck_assert_uint_eq(p.last_total, 0);     /* unknown for CSV */
        ck_assert(!p.decreasing);
        tznr_clkset_free(set);
        /* cancelled at the first call: ESTATE, no set, no file */
        prog c = {.cancel_at = 1};
        o.progress_user = &c;
        set = (tznr_clkset_t *)1;
        tznr_error_t stale = tznr_encoder_encode_csv_opts(NULL, csv, &o, &set); /* a detail */
        ck_assert_int_eq(stale, TZNR_EINVAL);
        ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_ESTATE);
        ck_assert_str_eq(tznr_last_error_message(), "cancelled by the progress callback");
        ck_assert_ptr_null(set);
        char out[600];
        snprintf(out, sizeof out, "%s/out.json", tt_tmpdir());
        c.calls = 0;
        c.last_done = 0;
        ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, out, 0, &o), TZNR_ESTATE);
        ck_assert_str_eq(tznr_last_error_message(), "cancelled by the progress callback");
        ck_assert_int_ne(access(out, F_OK), 0);
        /* cancelled at the final call: still nothing written */
        prog f = {.cancel_at = 0};
        o.progress_user = &f;
        ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_OK);
        prog g = {.cancel_at = f.calls};
        o.progress_user = &g;
        if (f.calls == 2) {     /* deterministic only when the run made exactly two calls */
            ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, out, 0, &o), TZNR_ESTATE);
            ck_assert_int_ne(access(out, F_OK), 0);
        }
        tznr_clkset_free(set);
    }
    /* batch: total = the record count */
    const size_t nv = 11;
    size_t off[3 * 11 + 1];
    const char *row = "r,anna,smith,3,main street,,bega,2000,nsw,19700101,1";
    char buf[256] = "";
    size_t k = 0, len = 0;
    off[0] = 0;
    for (int rep = 0; rep < 3; rep++)
        for (const char *q = row;; q++) {
            if (*q == ',' || *q == '\0') {
                off[++k] = len;
                if (!*q)
                    break;
            } else {
                buf[len++] = *q;
            }
        }
    uint8_t clks[3 * 128];
    prog p = {0};
    tznr_encode_options o = opts_for(2, TZNR_MEMO_ALL, 0);
    o.progress = on_progress;
    o.progress_user = &p;
    ck_assert_int_eq(tznr_encoder_encode_batch_opts(e, buf, off, 3, nv, clks, sizeof clks, &o),
                     TZNR_OK);
    ck_assert_uint_eq(p.last_done, 3);
    ck_assert_uint_eq(p.last_total, 3);
    tznr_encoder_free(e);
    tznr_schema_free(s);
    free_rows(&R);
}
END_TEST

START_TEST(options_checked)
{
    tznr_schema_t *s;
    tznr_encoder_t *e = febrl_encoder(&s);
    const char *csv = tt_data("vectors/input/people_a.csv");
    tznr_encode_options o;
    memset(&o, 0, sizeof o);                /* not initialised */
    tznr_clkset_t *set = NULL;
    ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_EINVAL);
    tznr_encode_options_init(&o);
    ck_assert_uint_eq(o.size, sizeof o);
    ck_assert_uint_eq(o.threads, 0);
    ck_assert_int_eq(o.memo, TZNR_MEMO_ALL);
    ck_assert_uint_eq(o.memo_max_bytes, TZNR_MEMO_DEFAULT_BYTES);
    ck_assert_ptr_null(o.progress);
    o.memo = (tznr_memo_mode)7;
    ck_assert_int_eq(tznr_encoder_encode_csv_opts(e, csv, &o, &set), TZNR_EINVAL);
    tznr_encode_options_init(NULL);
    ck_assert_int_eq(tznr_encoder_encode_csv_opts(NULL, csv, NULL, &set), TZNR_EINVAL);
    ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, NULL, 0, NULL), TZNR_EINVAL);
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

/* The streaming writer: an existing output is kept without force, replaced with it; an
 * empty input gives clkhash's empty layout. */
START_TEST(streaming_json_output)
{
    tznr_schema_t *s;
    char schema[512];
    snprintf(schema, sizeof schema, "%s", tt_data("vectors/schemas/s1_example.a.json"));
    tznr_encoder_t *e = make_encoder(&s, schema, tt_data("vectors/input/secret_1.txt"));
    const char *dir = tt_tmpdir();
    char out[512], hdr_only[512];
    snprintf(out, sizeof out, "%s/out.json", dir);
    FILE *fp = fopen(out, "wb");
    fputs("keep me\n", fp);
    fclose(fp);
    const char *csv = tt_data("vectors/input/people_a.csv");
    ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, out, 0, NULL), TZNR_EEXIST);
    char *kept = tt_read(out, NULL);
    ck_assert_str_eq(kept, "keep me\n");
    free(kept);
    ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, csv, out, 1, NULL), TZNR_OK);
    ck_assert(files_equal(out, tt_data("vectors/clks/s1_example.a.clks.json")));
    /* a header and no rows: {"clks": []} */
    snprintf(hdr_only, sizeof hdr_only, "%s/hdr.csv", dir);
    fp = fopen(hdr_only, "wb");
    fputs("id,firstName,lastName,dob,gender,postcode,city\n", fp);
    fclose(fp);
    ck_assert_int_eq(tznr_encoder_encode_csv_to_json(e, hdr_only, out, 1, NULL), TZNR_OK);
    kept = tt_read(out, NULL);
    ck_assert_str_eq(kept, "{\n \"clks\": []\n}\n");
    free(kept);
    tznr_encoder_free(e);
    tznr_schema_free(s);
}
END_TEST

/* ---- the CSV fast path gives what libcsv gives ------------------------------------------- */

/* every record (line and fields) or the error, as text */
static char *csv_dump(const char *path, int fast)
{
    size_t cap = (size_t)1 << 20, o = 0;
    char *out = malloc(cap);
    tznr__csv *r = NULL;
    tznr_error_t rc = tznr__csv_open(&r, path);
    if (rc)
        ck_abort_msg("%s", tznr_last_error_message());
    tznr__csv_set_fast_path(r, fast);
    for (;;) {
        int got = 0;
        rc = tznr__csv_next(r, &got);
        if (rc || !got)
            break;
        o += (size_t)snprintf(out + o, cap - o, "@%lu:", tznr__csv_line(r));
        for (size_t i = 0; i < tznr__csv_nfields(r); i++) {
            size_t len;
            const char *f = tznr__csv_field(r, i, &len);
            if (o + len + 8 >= cap)
                ck_abort_msg("csv_dump: output too long");
            out[o++] = '[';
            memcpy(out + o, f, len);
            o += len;
            out[o++] = ']';
        }
        out[o++] = '\n';
        if (o + 64 >= cap)
            ck_abort_msg("csv_dump: output too long");
    }
    if (rc)
        o += (size_t)snprintf(out + o, cap - o, "error %d: %s\n", (int)rc,
                              tznr_last_error_message());
    out[o] = '\0';
    tznr__csv_close(r);
    return out;
}

START_TEST(csv_fast_path_matches_libcsv)
{
    static const char alphabet[] = {'a', 'b', ' ', ',', ',', '"', '\r', '\n', '\n', '\t',
                                    (char)0xC3, (char)0xA9};
    const char *dir = tt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    unsigned seed = 12345;
    for (int iter = 0; iter < 1500; iter++) {
        char text[400];
        size_t n = (size_t)(rand_r(&seed) % 300);
        int no_quotes = iter % 2;           /* half the inputs have no quote at all */
        for (size_t i = 0; i < n; i++) {
            char c = alphabet[rand_r(&seed) % sizeof alphabet];
            text[i] = (no_quotes && c == '"') ? 'q' : c;
        }
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(text, 1, n, fp) != n || fclose(fp) != 0)
            ck_abort_msg("cannot write %s", path);
        char *a = csv_dump(path, 1), *b = csv_dump(path, 0);
        if (strcmp(a, b) != 0)
            ck_abort_msg("input %d differs:\nfast:\n%s\nlibcsv:\n%s", iter, a, b);
        free(a);
        free(b);
    }
    /* long lines spanning read chunks, and the field-count limit */
    size_t big = (size_t)3 * 64 * 1024 + 17;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++)
        text[i] = i % 50 == 49 ? '\n' : (i % 3 == 0 ? ',' : 'x');
    FILE *fp = fopen(path, "wb");
    fwrite(text, 1, big, fp);
    fclose(fp);
    char *a = csv_dump(path, 1), *b = csv_dump(path, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    memset(text, ',', 10000);
    text[10000] = '\n';
    fp = fopen(path, "wb");
    fwrite(text, 1, 10001, fp);
    fclose(fp);
    a = csv_dump(path, 1);
    b = csv_dump(path, 0);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "more than 4096 fields"));
    free(a);
    free(b);
    free(text);
}
END_TEST

Suite *encoder_suite(void);
Suite *encoder_suite(void)
{
    Suite *s = suite_create("encoder");
    TCase *tv = tcase_create("vectors");
    tcase_add_loop_test(tv, vectors_every_mode_and_thread_count, 0, sizeof V / sizeof *V);
    TCase *tf = tcase_create("febrl");
    tcase_add_test(tf, febrl_every_mode_and_thread_count);
    tcase_add_test(tf, memo_limits);
    tcase_add_test(tf, batch_every_mode_and_thread_count);
    TCase *te = tcase_create("errors");
    tcase_add_test(te, error_listing_independent_of_threads);
    tcase_add_test(te, fatal_errors_independent_of_threads);
    TCase *tp = tcase_create("api");
    tcase_add_test(tp, progress_and_cancel);
    tcase_add_test(tp, options_checked);
    tcase_add_test(tp, streaming_json_output);
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, csv_fast_path_matches_libcsv);
    TCase *all[] = {tv, tf, te, tp, tc};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        tcase_set_timeout(all[i], 600);
        suite_add_tcase(s, all[i]);
    }
    return s;
}

int main(void) { return tt_run(encoder_suite()); }
