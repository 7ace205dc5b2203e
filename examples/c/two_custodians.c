/* Thin example: privacy-preserving record linkage between two data custodians, through the
 * public C API only (the `tznr` CLI does the same with more options).
 *
 *   1. Custodians A and B hold the same linkage schema and a shared secret (key file); each
 *      encodes its own CSV file into CLKs (keyed Bloom filters, clkhash-compatible).
 *   2. The linkage unit, which never sees the secret or a clear identifier, receives the two
 *      CLK sets, finds every pair with Dice >= THRESHOLD and keeps a greedy 1:1 assignment.
 *
 * In production the two encodings run on the custodians' own machines and only the CLK files
 * travel (tznr_clkset_write_json / tznr_clkset_read_json); here all three roles run in one
 * process to keep the example short.
 *
 * Usage: two_custodians SCHEMA KEY_FILE A.csv B.csv [THRESHOLD]
 * Writes the links to standard output as CSV `a_index,b_index,score` (0-based data rows),
 * a summary to standard error. Exit status: 0 success, 1 error, 2 usage.
 *
 * Build against an installed library: cc two_custodians.c $(pkg-config --cflags --libs tznr)
 */
#include <stdio.h>
#include <stdlib.h>
#include <tznr/tznr.h>

static int fail(const char *what, tznr_error_t rc)
{
    /* the detail names the file, line, column and rule; it never contains the secret */
    fprintf(stderr, "two_custodians: %s: %s: %s\n", what, tznr_strerror(rc),
            tznr_last_error_message());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: two_custodians SCHEMA KEY_FILE A.csv B.csv [THRESHOLD]\n");
        return 2;
    }
    double threshold = 0.8;
    if (argc == 6) {
        char *end;
        threshold = strtod(argv[5], &end);
        if (*end || !(threshold >= 0.0 && threshold <= 1.0)) {
            fprintf(stderr, "two_custodians: THRESHOLD must be a number in [0, 1]\n");
            return 2;
        }
    }

    tznr_schema_t *schema = NULL;
    tznr_encoder_t *enc = NULL;
    tznr_clkset_t *a = NULL, *b = NULL;
    tznr_candidates_t *cands = NULL, *links = NULL;
    tznr_error_t rc;
    int status = 1;

    /* 1. each custodian: schema + shared secret -> encoder; its CSV -> CLKs */
    if ((rc = tznr_schema_new_from_file(&schema, argv[1]))) {
        status = fail("schema", rc);
        goto done;
    }
    if ((rc = tznr_encoder_new_from_secret_file(&enc, schema, argv[2]))) {
        status = fail("key file", rc);
        goto done;
    }
    if ((rc = tznr_encoder_encode_csv(enc, argv[3], &a))) {
        status = fail("custodian A", rc);
        goto done;
    }
    if ((rc = tznr_encoder_encode_csv(enc, argv[4], &b))) {
        status = fail("custodian B", rc);
        goto done;
    }
    tznr_encoder_free(enc);   /* wipes the derived keys: the linkage unit has none */
    enc = NULL;

    /* 2. the linkage unit: every pair with Dice >= threshold, then greedy 1:1 */
    tznr_match_options_t opts;
    tznr_match_stats_t stats;
    tznr_match_options_init(&opts);
    opts.threshold = threshold;
    opts.stats = &stats;   /* threads: 0 = all CPUs; results do not depend on it */
    if ((rc = tznr_match(&cands, a, b, &opts))) {
        status = fail("match", rc);
        goto done;
    }
    if ((rc = tznr_solve_greedy(&links, cands))) {
        status = fail("greedy 1:1", rc);
        goto done;
    }
    if ((rc = tznr_candidates_write_csv(links, "-", 0))) {
        status = fail("writing the links", rc);
        goto done;
    }
    fprintf(stderr, "A: %zu records, B: %zu records, %zu-bit CLKs; %zu candidate pairs with "
            "Dice >= %g (kernel %s, %u threads); %zu links after greedy 1:1\n",
            tznr_clkset_count(a), tznr_clkset_count(b), tznr_clkset_filter_bits(a),
            tznr_candidates_count(cands), threshold, stats.kernel, stats.threads,
            tznr_candidates_count(links));
    status = 0;
done:
    tznr_candidates_free(links);
    tznr_candidates_free(cands);
    tznr_clkset_free(b);
    tznr_clkset_free(a);
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
    return status;
}
