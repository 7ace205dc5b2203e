/* Privacy audit (audit.h): bit-level, duplicate and field-level measures on hand-made
 * filters and containers whose values are computed by hand below; malformed inputs through
 * the library and the command (clear error naming the file, no report written). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

#define NEAR(x, y) ck_assert_msg(fabs((x) - (y)) < 1e-9, "%s = %.12g, expected %.12g", #x, (double)(x), (double)(y))
#define ST(a, s) tznr_audit_stat(a, TZNR_AUDIT_##s)
#define FS(a, f, s) tznr_audit_field_stat(a, f, TZNR_AUDIT_FIELD_##s)

/* Four 64-bit filters (clkhash bit order: position p is bit 0x80 >> p%8 of byte p/8):
 *   F0 = FF 00 00 00 00 00 00 00   positions 0-7            popcount 8
 *   F1 = FF 00 00 00 00 00 00 00   (= F0)                   popcount 8
 *   F2 = 80 00 00 00 00 00 00 01   positions 0 and 63       popcount 2
 *   F3 = F0 0F 00 00 00 00 00 00   positions 0-3 and 12-15  popcount 8
 * Popcounts 8, 8, 2, 8: min 2, max 8, mean 26/4 = 6.5; deviations 1.5, 1.5, -4.5, 1.5,
 * squares 2.25 * 3 + 20.25 = 27, population variance 27/4 = 6.75, sd sqrt(6.75).
 * Set counts per position: 0 -> 4 (share 1); 1-3 -> 3 (0.75); 4-7 -> 2 (0.5); 12-15 -> 1
 * (0.25); 63 -> 1 (0.25); the other 64 - 13 = 51 positions -> 0. So min share 0, max 1,
 * never set 51, always set 1, mean share 26 / (4 * 64) = 0.1015625; sum of squared shares
 * 1 + 3 * 0.5625 + 4 * 0.25 + 5 * 0.0625 = 4, variance 4/64 - 0.1015625^2 = 0.05218505859375.
 * Classes of identical filters: {F0, F1}, {F2}, {F3}: 3 distinct, 2 records share theirs,
 * none in classes >= 5 or >= 10, largest class 2; class sizes 1 (two classes), 2 (one). */
static const uint8_t F[4][8] = {
    {0xFF, 0, 0, 0, 0, 0, 0, 0},
    {0xFF, 0, 0, 0, 0, 0, 0, 0},
    {0x80, 0, 0, 0, 0, 0, 0, 0x01},
    {0xF0, 0x0F, 0, 0, 0, 0, 0, 0},
};

static tznr_clkset_t *four(void)
{
    tznr_clkset_t *s;
    ck_assert_int_eq(tznr_clkset_new(&s, 64), TZNR_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(tznr_clkset_append(s, F[i], 8), TZNR_OK);
    return s;
}

static void check_four(const tznr_audit_t *a)
{
    NEAR(ST(a, RECORDS), 4);
    NEAR(ST(a, FILTER_BITS), 64);
    NEAR(ST(a, POPCOUNT_MIN), 2);
    NEAR(ST(a, POPCOUNT_MAX), 8);
    NEAR(ST(a, POPCOUNT_MEAN), 6.5);
    NEAR(ST(a, POPCOUNT_SD), sqrt(6.75));
    NEAR(ST(a, BITFREQ_MIN), 0);
    NEAR(ST(a, BITFREQ_MAX), 1);
    NEAR(ST(a, BITFREQ_MEAN), 0.1015625);
    NEAR(ST(a, BITFREQ_SD), sqrt(0.05218505859375));
    NEAR(ST(a, BITS_NEVER_SET), 51);
    NEAR(ST(a, BITS_ALWAYS_SET), 1);
    NEAR(ST(a, DISTINCT), 3);
    NEAR(ST(a, SHARED_2), 2);
    NEAR(ST(a, SHARED_5), 0);
    NEAR(ST(a, SHARED_10), 0);
    NEAR(ST(a, LARGEST_CLASS), 2);
    uint64_t sizes[4], counts[4];
    ck_assert_uint_eq(tznr_audit_class_sizes(a, NULL, NULL, 0), 2);
    ck_assert_uint_eq(tznr_audit_class_sizes(a, sizes, counts, 4), 2);
    ck_assert_uint_eq(sizes[0], 1);
    ck_assert_uint_eq(counts[0], 2);
    ck_assert_uint_eq(sizes[1], 2);
    ck_assert_uint_eq(counts[1], 1);
    ck_assert_uint_eq(tznr_audit_field_count(a), 0);
}

START_TEST(bits_and_duplicates)
{
    tznr_clkset_t *s = four();
    tznr_audit_t *a;
    ck_assert_msg(tznr_audit_new_from_clkset(&a, s) == TZNR_OK, "%s", tznr_last_error_message());
    check_four(a);
    ck_assert(isnan(tznr_audit_stat(a, (tznr_audit_stat_t)99)));
    ck_assert(isnan(tznr_audit_stat(NULL, TZNR_AUDIT_RECORDS)));
    ck_assert_ptr_null(tznr_audit_field_name(a, 0));
    ck_assert(isnan(tznr_audit_field_stat(a, 0, TZNR_AUDIT_FIELD_DISTINCT)));

    /* the same through a CLK JSON file, and its JSON report */
    char path[512], rep[512];
    snprintf(path, sizeof path, "%s/four.json", tt_tmpdir());
    snprintf(rep, sizeof rep, "%s/four.report.json", tt_tmpdir());
    ck_assert_int_eq(tznr_clkset_write_json(s, path, 0), TZNR_OK);
    tznr_audit_t *b;
    ck_assert_msg(tznr_audit_new_from_file(&b, path) == TZNR_OK, "%s", tznr_last_error_message());
    check_four(b);
    ck_assert_int_eq(tznr_audit_write_json(b, rep, 0), TZNR_OK);
    ck_assert_int_eq(tznr_audit_write_json(b, rep, 0), TZNR_EEXIST);
    json_error_t je;
    json_t *r = json_load_file(rep, 0, &je);
    ck_assert_msg(r != NULL, "%s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(r, "kind")), "clks");
    ck_assert_str_eq(json_string_value(json_object_get(r, "source")), path);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "records")), 4);
    json_t *hist = json_object_get(json_object_get(r, "popcount"), "histogram");
    ck_assert_uint_eq(json_array_size(hist), 9);   /* popcounts 0..8 */
    ck_assert_int_eq(json_integer_value(json_array_get(hist, 2)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(hist, 8)), 3);
    json_t *cnt = json_object_get(json_object_get(r, "bit_frequency"), "counts");
    ck_assert_uint_eq(json_array_size(cnt), 64);
    ck_assert_int_eq(json_integer_value(json_array_get(cnt, 0)), 4);
    ck_assert_int_eq(json_integer_value(json_array_get(cnt, 5)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(cnt, 13)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(cnt, 63)), 1);
    json_t *cls = json_object_get(json_object_get(r, "duplicates"), "class_sizes");
    ck_assert_uint_eq(json_array_size(cls), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(cls, 1), 0)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(cls, 1), 1)), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "fields")), 0);
    json_decref(r);
    tznr_audit_free(b);
    tznr_audit_free(a);
    tznr_clkset_free(s);
}
END_TEST

static const char SCHEMA[] =
    "{\"version\": 3, \"clkConfig\": {\"l\": 128},"
    " \"linkage\": {\"idColumn\": \"id\"},"
    " \"features\": [{\"identifier\": \"id\", \"ignored\": true},"
    " {\"identifier\": \"sex\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"exact\"}, \"strategy\": {\"bitsPerToken\": 10}}},"
    " {\"identifier\": \"name\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}}]}";

/* 16-byte field filter or CLK number v (v = 0 gives the empty filter): v in bytes 0-1. */
static void filt(uint8_t *out, unsigned v)
{
    memset(out, 0, 16);
    out[0] = (uint8_t)(v >> 8);
    out[1] = (uint8_t)v;
}

static tznr_container_t *container(size_t n, unsigned (*sex)(size_t), unsigned (*name)(size_t),
                                   unsigned (*clk)(size_t))
{
    tznr_schema_t *s;
    ck_assert_msg(tznr_schema_new_from_json(&s, SCHEMA, strlen(SCHEMA)) == TZNR_OK, "%s",
                  tznr_last_error_message());
    tznr_container_t *c;
    ck_assert_int_eq(tznr_container_new(&c, s), TZNR_OK);
    tznr_schema_free(s);
    ck_assert_uint_eq(tznr_container_field_count(c), 2);
    for (size_t r = 0; r < n; r++) {
        uint8_t fields[32], k[16];
        filt(fields, sex(r));
        filt(fields + 16, name(r));
        filt(k, clk(r));
        char id[32];
        int len = snprintf(id, sizeof id, "r%zu", r);
        ck_assert_int_eq(tznr_container_append(c, id, (size_t)len, fields, 32, k, 16), TZNR_OK);
    }
    return c;
}

/* 10 records: sex = filter 1 for records 0-6, filter 2 for 7-9; name = filter r+1 for
 * records 0-8 and the empty filter for record 9; CLK = filter r+1, except record 1 whose
 * CLK equals record 0's. */
static unsigned sex10(size_t r) { return r < 7 ? 1 : 2; }
static unsigned name10(size_t r) { return r < 9 ? (unsigned)r + 1 : 0; }
static unsigned clk10(size_t r) { return r == 1 ? 1 : (unsigned)r + 1; }

START_TEST(fields_low_cardinality)
{
    tznr_container_t *c = container(10, sex10, name10, clk10);
    tznr_audit_t *a;
    ck_assert_msg(tznr_audit_new_from_container(&a, c) == TZNR_OK, "%s", tznr_last_error_message());
    /* CLKs: 9 distinct, records 0 and 1 share one */
    NEAR(ST(a, RECORDS), 10);
    NEAR(ST(a, FILTER_BITS), 128);
    NEAR(ST(a, DISTINCT), 9);
    NEAR(ST(a, SHARED_2), 2);
    NEAR(ST(a, LARGEST_CLASS), 2);
    ck_assert_uint_eq(tznr_audit_field_count(a), 2);
    ck_assert_str_eq(tznr_audit_field_name(a, 0), "sex");
    ck_assert_str_eq(tznr_audit_field_name(a, 1), "name");
    /* sex: counts 7 and 3 -> 2 distinct, top share 0.7; entropy H = -(0.7 log2 0.7 + 0.3
     * log2 0.3) = 0.88129..., divided by log2(2) = 1. |7 - 3| = 4 is not > 2 sqrt(10) = 6.32:
     * no distinguishable rank; exposed because 2 <= 100 distinct filters. */
    NEAR(FS(a, 0, DISTINCT), 2);
    NEAR(FS(a, 0, EMPTY), 0);
    NEAR(FS(a, 0, TOP_SHARE), 0.7);
    NEAR(FS(a, 0, ENTROPY), -(0.7 * log2(0.7) + 0.3 * log2(0.3)));
    NEAR(FS(a, 0, DISTINGUISHABLE), 0);
    NEAR(FS(a, 0, EXPOSED), 1);
    uint64_t top[TZNR_AUDIT_TOP];
    ck_assert_uint_eq(tznr_audit_field_top(a, 0, top, TZNR_AUDIT_TOP), 2);
    ck_assert_uint_eq(top[0], 7);
    ck_assert_uint_eq(top[1], 3);
    /* name: 1 empty; 9 values, each once: top share 1/9, entropy log2 9 / log2 9 = 1,
     * top counts nine 1s, no distinguishable rank, exposed (9 <= 100). */
    NEAR(FS(a, 1, EMPTY), 1);
    NEAR(FS(a, 1, DISTINCT), 9);
    NEAR(FS(a, 1, TOP_SHARE), 1.0 / 9);
    NEAR(FS(a, 1, ENTROPY), 1);
    NEAR(FS(a, 1, DISTINGUISHABLE), 0);
    NEAR(FS(a, 1, EXPOSED), 1);
    ck_assert_uint_eq(tznr_audit_field_top(a, 1, top, TZNR_AUDIT_TOP), 9);
    ck_assert_uint_eq(top[8], 1);
    tznr_audit_free(a);
    tznr_container_free(c);
}
END_TEST

/* 300 records: sex = filter 1 for records 0-99 and a distinct filter (r + 1) for each of
 * the other 200; name = a distinct filter for every record; CLKs all distinct. */
static unsigned sex300(size_t r) { return r < 100 ? 1 : (unsigned)r + 1; }
static unsigned name300(size_t r) { return (unsigned)r + 1; }

START_TEST(fields_distinguishable)
{
    tznr_container_t *c = container(300, sex300, name300, name300);
    char path[512];
    snprintf(path, sizeof path, "%s/c.tznr", tt_tmpdir());
    ck_assert_int_eq(tznr_container_write(c, path, 0), TZNR_OK);
    tznr_container_free(c);
    tznr_audit_t *a;
    ck_assert_msg(tznr_audit_new_from_file(&a, path) == TZNR_OK, "%s", tznr_last_error_message());
    NEAR(ST(a, DISTINCT), 300);
    NEAR(ST(a, SHARED_2), 0);
    NEAR(ST(a, LARGEST_CLASS), 1);
    /* "sex": counts 100, then 200 x 1: 201 distinct (> 100), top share 1/3. Rank 1: |100 -
     * 1| = 99 > 2 sqrt(101) = 20.1, distinguishable; rank 2: |1 - 100| yes but |1 - 1| = 0
     * no; ranks 3-10 likewise no. 1 distinguishable rank -> exposed. Entropy
     * H = (1/3) log2 3 + 200 (1/300) log2 300 = 6.01420 bits, / log2 201. */
    NEAR(FS(a, 0, DISTINCT), 201);
    NEAR(FS(a, 0, TOP_SHARE), 1.0 / 3);
    NEAR(FS(a, 0, DISTINGUISHABLE), 1);
    NEAR(FS(a, 0, EXPOSED), 1);
    NEAR(FS(a, 0, ENTROPY), ((1.0 / 3) * log2(3) + (200.0 / 300) * log2(300)) / log2(201));
    /* "name": 300 distinct singletons: not exposed (300 > 100, no distinguishable rank) */
    NEAR(FS(a, 1, DISTINCT), 300);
    NEAR(FS(a, 1, DISTINGUISHABLE), 0);
    NEAR(FS(a, 1, EXPOSED), 0);
    NEAR(FS(a, 1, ENTROPY), 1);
    char rep[512];
    snprintf(rep, sizeof rep, "%s/c.report.json", tt_tmpdir());
    ck_assert_int_eq(tznr_audit_write_json(a, rep, 0), TZNR_OK);
    json_error_t je;
    json_t *r = json_load_file(rep, 0, &je);
    ck_assert_msg(r != NULL, "%s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(r, "kind")), "container");
    json_t *f0 = json_array_get(json_object_get(r, "fields"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f0, "name")), "sex");
    ck_assert(json_is_true(json_object_get(f0, "exposed")));
    ck_assert(json_is_string(json_object_get(f0, "recommendation")));
    json_t *tc = json_object_get(f0, "top_counts");
    ck_assert_uint_eq(json_array_size(tc), 10);
    ck_assert_int_eq(json_integer_value(json_array_get(tc, 0)), 100);
    ck_assert_int_eq(json_integer_value(json_array_get(tc, 9)), 1);
    json_t *f1 = json_array_get(json_object_get(r, "fields"), 1);
    ck_assert(json_is_false(json_object_get(f1, "exposed")));
    ck_assert(json_is_null(json_object_get(f1, "recommendation")));
    json_decref(r);
    tznr_audit_free(a);
}
END_TEST

/* Standard output of a shell command (malloc'd), and its exit status in *status. */
static char *cli_out(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t k;
    while (len + 1 < cap && (k = fread(buf + len, 1, cap - 1 - len, p)) > 0)
        len += k;
    buf[len] = '\0';
    *status = pclose(p);
    return buf;
}

/* The command on a CLK file and a container given as a path, on standard input ("-") and
 * through a pipe (/dev/stdin of a pipeline: not a regular file, recognised by its name). */
START_TEST(command_inputs)
{
    const char *cli = getenv("TZNR_CLI");
    if (!cli)
        return;
    const char *dir = tt_tmpdir();
    char clks[512], cont[512], cmd[2048];
    snprintf(clks, sizeof clks, "%s/four.json", dir);
    snprintf(cont, sizeof cont, "%s/ten.tznr", dir);
    tznr_clkset_t *s = four();
    ck_assert_int_eq(tznr_clkset_write_json(s, clks, 0), TZNR_OK);
    tznr_clkset_free(s);
    tznr_container_t *c = container(10, sex10, name10, clk10);
    ck_assert_int_eq(tznr_container_write(c, cont, 0), TZNR_OK);
    tznr_container_free(c);
    static const char *const forms[] = {"'%s' audit '%s'", "'%s' audit - < '%s'",
                                        "cat '%s' | '%s' audit /dev/stdin"};
    for (int f = 0; f < 3; f++) {
        for (int k = 0; k < 2; k++) {
            const char *in = k ? cont : clks;
            if (f == 2)
                snprintf(cmd, sizeof cmd, forms[f], in, cli);
            else
                snprintf(cmd, sizeof cmd, forms[f], cli, in);
            if (f == 2 && k == 1)   /* a pipe named /dev/stdin is read as CLK JSON */
                continue;
            int st;
            char *out = cli_out(cmd, &st);
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %d", cmd, st);
            /* 4 records: popcounts 2..8, mean 6.5; 10 records: field sex exposed */
            ck_assert_msg(strstr(out, k ? "10 records, 128-bit filters" : "4 records, 64-bit filters"),
                          "%s: %s", cmd, out);
            ck_assert_msg(!k || strstr(out, "field sex: 0 empty; 2 distinct"), "%s", out);
            ck_assert_msg(k || strstr(out, "popcount: min 2, max 8, mean 6.50"), "%s", out);
            free(out);
        }
    }
    /* --report - : the JSON on standard output, the summary on standard error */
    snprintf(cmd, sizeof cmd, "'%s' audit --report - '%s' 2>/dev/null", cli, clks);
    int st;
    char *out = cli_out(cmd, &st);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    json_error_t je;
    json_t *r = json_loads(out, 0, &je);
    ck_assert_msg(r != NULL, "%s", je.text);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "records")), 4);
    json_decref(r);
    free(out);
    /* usage errors */
    snprintf(cmd, sizeof cmd, "'%s' audit >/dev/null 2>&1", cli);
    st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    snprintf(cmd, sizeof cmd, "'%s' audit '%s' '%s' >/dev/null 2>&1", cli, clks, clks);
    st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}
END_TEST

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

START_TEST(malformed)
{
    const char *dir = tt_tmpdir();
    static const struct { const char *name, *text, *what; } cases[] = {
        {"empty.json", "", "the file is empty"},
        {"text.json", "hello, world\n", "text.json"},
        {"none.json", "{\"clks\": []}\n", "no encodings"},
        {"badb64.json", "{\"clks\": [\"!!!\"]}\n", "clks[0]"},
        {"bad.tznr", "TZNRXXX garbage", "not a tznr container"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], rep[600], cmd[2048];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].name);
        snprintf(rep, sizeof rep, "%s.report.json", path);
        write_text(path, cases[i].text);
        tznr_audit_t *a = (tznr_audit_t *)1;
        ck_assert_int_eq(tznr_audit_new_from_file(&a, path), TZNR_EFORMAT);
        ck_assert_ptr_null(a);
        const char *msg = tznr_last_error_message();
        ck_assert_msg(strstr(msg, cases[i].name) && strstr(msg, cases[i].what), "%s: %s",
                      cases[i].name, msg);
        /* the command: exit status 1 (invalid input data), the file named, no report */
        const char *cli = getenv("TZNR_CLI");
        if (cli) {
            snprintf(cmd, sizeof cmd, "'%s' audit --report '%s' '%s' >/dev/null 2>'%s.err'", cli,
                     rep, path, path);
            int st = system(cmd);
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "%s: status %d", cases[i].name, st);
            ck_assert(!exists(rep));
            char err[600];
            snprintf(err, sizeof err, "%s.err", path);
            char *text = tt_read(err, NULL);
            ck_assert_msg(strstr(text, cases[i].name), "%s", text);
            free(text);
        }
    }
    char missing[512];
    snprintf(missing, sizeof missing, "%s/does-not-exist.json", dir);
    tznr_audit_t *a;
    ck_assert_int_eq(tznr_audit_new_from_file(&a, missing), TZNR_EIO);
    ck_assert(strstr(tznr_last_error_message(), "does-not-exist.json"));
    ck_assert_int_eq(tznr_audit_new_from_file(NULL, missing), TZNR_EINVAL);
    ck_assert_int_eq(tznr_audit_new_from_clkset(&a, NULL), TZNR_EINVAL);
    tznr_clkset_t *s;
    ck_assert_int_eq(tznr_clkset_new(&s, 64), TZNR_OK);
    ck_assert_int_eq(tznr_audit_new_from_clkset(&a, s), TZNR_EINVAL);
    tznr_clkset_free(s);
    tznr_audit_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("measures");
    tcase_add_test(tc, bits_and_duplicates);
    tcase_add_test(tc, fields_low_cardinality);
    tcase_add_test(tc, fields_distinguishable);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, command_inputs);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
