/* The API's thread-safety statements, tested by concurrent use of shared handles (issue 3,
 * item 5). Each test runs THREADS threads at once on the same handles and checks every
 * thread's result against a single-threaded reference computed first: results must be
 * identical, and ThreadSanitizer (CI: meson suite 'threads') must see no data race.
 *   encoder.h: "any number of threads may encode with one encoder concurrently";
 *   clkset.h:  "read-only functions (count, bits, get, write) may run concurrently on one set";
 *   compare.h: "the filter functions are pure"; a candidate list's "read-only functions may
 *              run concurrently";
 *   common.h:  tznr_last_error_message() "is kept per thread". */
#include <tznr/tznr.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tznr_test.h"

#define THREADS 6
#define ROUNDS 4

typedef struct shared {
    const tznr_schema_t *schema;
    const tznr_encoder_t *enc;
    const tznr_clkset_t *a, *b, *ref_a;
    const tznr_candidates_t *cands, *ref_cands, *ref_links;
    const char *csv;
    const char *dir;
    int failures[THREADS];
    char why[THREADS][256];
} shared;

typedef struct arg {
    shared *s;
    int id;
} arg;

static void run_threads(shared *s, void *(*fn)(void *))
{
    pthread_t th[THREADS];
    arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (arg){s, i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, fn, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(s->failures[i] == 0, "thread %d: %s", i, s->why[i]);
}

#define FAIL_IF(cond, ...)                                                                 \
    do {                                                                                   \
        if (cond) {                                                                        \
            s->failures[a->id]++;                                                          \
            snprintf(s->why[a->id], sizeof s->why[a->id], __VA_ARGS__);                    \
            return NULL;                                                                   \
        }                                                                                  \
    } while (0)

static int same_sets(const tznr_clkset_t *x, const tznr_clkset_t *y)
{
    size_t n = tznr_clkset_count(x), bytes = tznr_clkset_filter_bits(x) / 8;
    if (n != tznr_clkset_count(y) || tznr_clkset_filter_bits(x) != tznr_clkset_filter_bits(y))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(tznr_clkset_get(x, i), tznr_clkset_get(y, i), bytes) != 0)
            return 0;
    return 1;
}

static int same_cands(const tznr_candidates_t *x, const tznr_candidates_t *y)
{
    size_t n = tznr_candidates_count(x);
    if (n != tznr_candidates_count(y))
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t xa, xb, ya, yb;
        double xs, ys;
        if (tznr_candidates_get(x, i, &xa, &xb, &xs) || tznr_candidates_get(y, i, &ya, &yb, &ys))
            return 0;
        if (xa != ya || xb != yb || memcmp(&xs, &ys, sizeof xs) != 0)
            return 0;
    }
    return 1;
}

/* ---- one encoder, many threads: CSV and record encoding ---------------------------- */

static void *encode_worker(void *p)
{
    arg *a = p;
    shared *s = a->s;
    for (int r = 0; r < ROUNDS; r++) {
        tznr_clkset_t *set = NULL;
        tznr_error_t rc = tznr_encoder_encode_csv(s->enc, s->csv, &set);
        FAIL_IF(rc != TZNR_OK, "encode_csv: %s", tznr_last_error_message());
        int same = same_sets(set, s->ref_a);
        tznr_clkset_free(set);
        FAIL_IF(!same, "round %d: CLKs differ from the single-threaded ones", r);
    }
    /* record by record, each thread with its own buffer, against the same reference */
    const char *vals[7] = {"a01", "Éloïse", "Martin", "1987-03-14", "F", "75011", "Paris"};
    size_t lens[7];
    for (int i = 0; i < 7; i++)
        lens[i] = strlen(vals[i]);
    uint8_t clk[128];
    size_t cb = tznr_encoder_clk_bytes(s->enc);
    FAIL_IF(cb > sizeof clk, "clk_bytes %zu", cb);
    for (int r = 0; r < 50; r++) {
        tznr_error_t rc = tznr_encoder_encode_record(s->enc, vals, lens, 7, clk, cb);
        FAIL_IF(rc != TZNR_OK, "encode_record: %s", tznr_last_error_message());
        FAIL_IF(memcmp(clk, tznr_clkset_get(s->ref_a, 0), cb) != 0,
                "encode_record differs from row 1 of people_a.csv");
    }
    return NULL;
}

START_TEST(shared_encoder)
{
    tznr_schema_t *schema = NULL;
    tznr_encoder_t *enc = NULL;
    tznr_clkset_t *ref = NULL, *expected = NULL;
    ck_assert_int_eq(tznr_schema_new_from_file(&schema, tt_data("vectors/schemas/s1_example.a.json")), TZNR_OK);
    ck_assert_int_eq(tznr_encoder_new_from_secret_file(&enc, schema, tt_data("vectors/input/secret_1.txt")), TZNR_OK);
    shared s = {.schema = schema, .enc = enc, .csv = tt_data("vectors/input/people_a.csv")};
    ck_assert_int_eq(tznr_encoder_encode_csv(enc, s.csv, &ref), TZNR_OK);
    /* the reference itself is clkhash's (tests/data/vectors), not only our own output */
    ck_assert_int_eq(tznr_clkset_read_json(&expected, tt_data("vectors/clks/s1_example.a.clks.json")), TZNR_OK);
    ck_assert(same_sets(ref, expected));
    s.ref_a = ref;
    run_threads(&s, encode_worker);
    tznr_clkset_free(expected);
    tznr_clkset_free(ref);
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
}
END_TEST

/* ---- shared CLK sets and candidate lists: search, greedy, reads, writes ------------- */

static void *match_worker(void *p)
{
    arg *a = p;
    shared *s = a->s;
    for (int r = 0; r < ROUNDS; r++) {
        tznr_candidates_t *c = NULL, *l = NULL;
        tznr_error_t rc = tznr_match_all_pairs(&c, s->a, s->b, 0.5);
        FAIL_IF(rc != TZNR_OK, "match_all_pairs: %s", tznr_last_error_message());
        int same = same_cands(c, s->ref_cands);
        tznr_candidates_free(c);
        FAIL_IF(!same, "round %d: candidates differ", r);
        /* greedy on the one shared candidate list (read-only) */
        rc = tznr_solve_greedy(&l, s->cands);
        FAIL_IF(rc != TZNR_OK, "solve_greedy: %s", tznr_last_error_message());
        same = same_cands(l, s->ref_links);
        tznr_candidates_free(l);
        FAIL_IF(!same, "round %d: greedy links differ", r);
    }
    /* Dice through the pure filter function on the shared sets */
    size_t bytes = tznr_clkset_filter_bits(s->a) / 8;
    for (size_t i = 0; i < tznr_candidates_count(s->ref_cands); i++) {
        uint64_t ia, ib;
        double want, got;
        FAIL_IF(tznr_candidates_get(s->ref_cands, i, &ia, &ib, &want) != TZNR_OK, "get");
        FAIL_IF(tznr_filter_dice(&got, tznr_clkset_get(s->a, ia), tznr_clkset_get(s->b, ib), bytes)
                    != TZNR_OK, "dice: %s", tznr_last_error_message());
        FAIL_IF(got != want, "dice(%llu, %llu) = %.17g, candidate list says %.17g",
                (unsigned long long)ia, (unsigned long long)ib, got, want);
    }
    /* every thread writes the shared sets and lists to its own files */
    char path[512];
    snprintf(path, sizeof path, "%s/a%d.json", s->dir, a->id);
    FAIL_IF(tznr_clkset_write_json(s->a, path, 0) != TZNR_OK, "write_json: %s", tznr_last_error_message());
    snprintf(path, sizeof path, "%s/links%d.csv", s->dir, a->id);
    FAIL_IF(tznr_candidates_write_csv(s->cands, path, 0) != TZNR_OK, "write_csv: %s",
            tznr_last_error_message());
    return NULL;
}

START_TEST(shared_sets_and_candidates)
{
    tznr_clkset_t *a = NULL, *b = NULL;
    tznr_candidates_t *cands = NULL, *links = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&a, tt_data("vectors/clks/s3_mixed.a.clks.json")), TZNR_OK);
    ck_assert_int_eq(tznr_clkset_read_json(&b, tt_data("vectors/clks/s3_mixed.b.clks.json")), TZNR_OK);
    ck_assert_int_eq(tznr_match_all_pairs(&cands, a, b, 0.5), TZNR_OK);
    ck_assert_int_eq(tznr_solve_greedy(&links, cands), TZNR_OK);
    ck_assert_uint_gt(tznr_candidates_count(cands), tznr_candidates_count(links));
    ck_assert_uint_gt(tznr_candidates_count(links), 0);
    shared s = {.a = a, .b = b, .cands = cands, .ref_cands = cands, .ref_links = links,
                .dir = tt_tmpdir()};
    run_threads(&s, match_worker);
    /* the files written concurrently are all identical to one written alone */
    char ref_path[512], path[512];
    snprintf(ref_path, sizeof ref_path, "%s/ref.json", s.dir);
    ck_assert_int_eq(tznr_clkset_write_json(a, ref_path, 0), TZNR_OK);
    size_t ref_len, len;
    char *ref = tt_read(ref_path, &ref_len);
    for (int i = 0; i < THREADS; i++) {
        snprintf(path, sizeof path, "%s/a%d.json", s.dir, i);
        char *got = tt_read(path, &len);
        ck_assert_msg(len == ref_len && memcmp(got, ref, len) == 0, "%s differs", path);
        free(got);
    }
    free(ref);
    snprintf(ref_path, sizeof ref_path, "%s/links0.csv", s.dir);
    ref = tt_read(ref_path, &ref_len);
    for (int i = 1; i < THREADS; i++) {
        snprintf(path, sizeof path, "%s/links%d.csv", s.dir, i);
        char *got = tt_read(path, &len);
        ck_assert_msg(len == ref_len && memcmp(got, ref, len) == 0, "%s differs", path);
        free(got);
    }
    free(ref);
    tznr_candidates_free(links);
    tznr_candidates_free(cands);
    tznr_clkset_free(b);
    tznr_clkset_free(a);
}
END_TEST

/* ---- the detail message is per thread ---------------------------------------------- */

static void *error_worker(void *p)
{
    arg *a = p;
    shared *s = a->s;
    char missing[512];
    snprintf(missing, sizeof missing, "%s/missing-%d.json", s->dir, a->id);
    for (int r = 0; r < 200; r++) {
        tznr_clkset_t *set = NULL;
        tznr_error_t rc = tznr_clkset_read_json(&set, missing);
        FAIL_IF(rc != TZNR_EIO, "read of a missing file gave %d", (int)rc);
        const char *msg = tznr_last_error_message();
        /* another thread's failure (another file name) must never show here */
        FAIL_IF(strstr(msg, missing) == NULL, "round %d: message '%.100s' lacks its file", r,
                msg);
        FAIL_IF(strcmp(tznr_strerror(rc), tznr_strerror(TZNR_EIO)) != 0, "strerror");
    }
    return NULL;
}

START_TEST(per_thread_error_message)
{
    shared s = {.dir = tt_tmpdir()};
    run_threads(&s, error_worker);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("threads");
    TCase *tc = tcase_create("shared handles");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, shared_encoder);
    tcase_add_test(tc, shared_sets_and_candidates);
    tcase_add_test(tc, per_thread_error_message);
    suite_add_tcase(su, tc);
    return tt_run(su);
}
