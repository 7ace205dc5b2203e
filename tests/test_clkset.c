/* Filter sets and their clkhash JSON form (src/clkset.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tznr/clkset.h"
#include "tznr_test.h"

static const struct {
    const char *file;
    size_t count;
} VECTORS[] = {
    {"vectors/clks/s1_example.a.clks.json", 20},
    {"vectors/clks/s1_example.b.clks.json", 15},
    {"vectors/clks/s2_doublehash.a.clks.json", 20},
    {"vectors/clks/s2_doublehash.b.clks.json", 15},
    {"vectors/clks/s2ns_doublehash_nonsingular.a.clks.json", 20},
    {"vectors/clks/s2ns_doublehash_nonsingular.b.clks.json", 15},
    {"vectors/clks/s3_mixed.a.clks.json", 20},
    {"vectors/clks/s3_mixed.b.clks.json", 15},
    {"vectors/clks/s4_numeric.clks.json", 8},
};
#define N_VECTORS (sizeof VECTORS / sizeof VECTORS[0])

static const char *tmp_path(const char *name)
{
    static char slots[4][600];
    static unsigned next;
    char *p = slots[next++ % 4];
    snprintf(p, sizeof slots[0], "%s/%s", tt_tmpdir(), name);
    return p;
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
    return p;
}

START_TEST(new_append_get)
{
    tznr_clkset_t *s = NULL;
    ck_assert_int_eq(tznr_clkset_new(&s, 0), TZNR_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(tznr_clkset_new(&s, 100), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_new(&s, (1u << 20) + 64), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_new(NULL, 64), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_new(&s, 1u << 20), TZNR_OK);
    tznr_clkset_free(s);
    ck_assert_int_eq(tznr_clkset_new(&s, 128), TZNR_OK);
    ck_assert_uint_eq(tznr_clkset_filter_bits(s), 128);
    ck_assert_uint_eq(tznr_clkset_count(s), 0);
    ck_assert_ptr_null(tznr_clkset_get(s, 0));
    uint8_t f[16];
    for (int i = 0; i < 100; i++) {
        memset(f, i, sizeof f);
        ck_assert_int_eq(tznr_clkset_append(s, f, sizeof f), TZNR_OK);
    }
    ck_assert_int_eq(tznr_clkset_append(s, f, 8), TZNR_EBUFSIZE);
    ck_assert_int_eq(tznr_clkset_append(s, NULL, 16), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_append(NULL, f, 16), TZNR_EINVAL);
    ck_assert_uint_eq(tznr_clkset_count(s), 100);
    for (int i = 0; i < 100; i++) {
        const uint8_t *g = tznr_clkset_get(s, (size_t)i);
        ck_assert_ptr_nonnull(g);
        ck_assert_uint_eq(g[0], (unsigned)i);
        ck_assert_uint_eq(g[15], (unsigned)i);
    }
    ck_assert_ptr_null(tznr_clkset_get(s, 100));
    ck_assert_ptr_null(tznr_clkset_get(NULL, 0));
    ck_assert_uint_eq(tznr_clkset_count(NULL), 0);
    ck_assert_uint_eq(tznr_clkset_filter_bits(NULL), 0);
    tznr_clkset_free(s);
    tznr_clkset_free(NULL);
}
END_TEST

START_TEST(read_vectors_and_roundtrip)
{
    for (size_t v = 0; v < N_VECTORS; v++) {
        const char *path = tt_data(VECTORS[v].file);
        tznr_clkset_t *s = NULL;
        tznr_error_t rc = tznr_clkset_read_json(&s, path);
        ck_assert_msg(rc == TZNR_OK, "%s: %s", path, tznr_last_error_message());
        ck_assert_uint_eq(tznr_clkset_count(s), VECTORS[v].count);
        ck_assert_uint_eq(tznr_clkset_filter_bits(s), 1024);
        /* written back byte for byte like clkhash */
        const char *out = tmp_path("out.json");
        ck_assert_int_eq(tznr_clkset_write_json(s, out, 0), TZNR_OK);
        size_t la, lb;
        char *a = tt_read(path, &la), *b = tt_read(out, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_msg(memcmp(a, b, la) == 0, "%s differs after write", path);
        free(a);
        free(b);
        /* and reads back to the same filters */
        tznr_clkset_t *s2 = NULL;
        ck_assert_int_eq(tznr_clkset_read_json(&s2, out), TZNR_OK);
        ck_assert_uint_eq(tznr_clkset_count(s2), tznr_clkset_count(s));
        for (size_t i = 0; i < tznr_clkset_count(s); i++)
            ck_assert_int_eq(memcmp(tznr_clkset_get(s, i), tznr_clkset_get(s2, i), 128), 0);
        tznr_clkset_free(s2);
        tznr_clkset_free(s);
    }
}
END_TEST

START_TEST(write_exists_and_force)
{
    tznr_clkset_t *s = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&s, tt_data(VECTORS[8].file)), TZNR_OK);
    const char *out = write_tmp("o.json", "old");
    ck_assert_int_eq(tznr_clkset_write_json(s, out, 0), TZNR_EEXIST);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), out));
    char *got = tt_read(out, NULL);
    ck_assert_str_eq(got, "old");
    free(got);
    ck_assert_int_eq(tznr_clkset_write_json(s, out, 1), TZNR_OK);
    size_t la, lb;
    char *a = tt_read(tt_data(VECTORS[8].file), &la), *b = tt_read(out, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert_int_eq(memcmp(a, b, la), 0);
    free(a);
    free(b);
    ck_assert_int_eq(tznr_clkset_write_json(NULL, out, 1), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_write_json(s, NULL, 1), TZNR_EINVAL);
    tznr_clkset_free(s);
}
END_TEST

START_TEST(empty_set)
{
    tznr_clkset_t *s = NULL;
    ck_assert_int_eq(tznr_clkset_new(&s, 64), TZNR_OK);
    const char *out = tmp_path("e.json");
    ck_assert_int_eq(tznr_clkset_write_json(s, out, 0), TZNR_OK);
    char *got = tt_read(out, NULL);
    ck_assert_str_eq(got, "{\n \"clks\": []\n}\n");
    free(got);
    tznr_clkset_free(s);
    s = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&s, out), TZNR_OK);
    ck_assert_uint_eq(tznr_clkset_count(s), 0);
    tznr_clkset_free(s);
}
END_TEST

START_TEST(small_filters)
{
    /* 8-byte filters, any layout of whitespace, extra keys ignored */
    const char *p = write_tmp("s.json", "{\"other\": 1, \"clks\":[\"AAAAAAAAAAA=\",\n\"//////////8=\"]}");
    tznr_clkset_t *s = NULL;
    ck_assert_int_eq(tznr_clkset_read_json(&s, p), TZNR_OK);
    ck_assert_uint_eq(tznr_clkset_count(s), 2);
    ck_assert_uint_eq(tznr_clkset_filter_bits(s), 64);
    ck_assert_uint_eq(tznr_clkset_get(s, 1)[7], 0xff);
    ck_assert_uint_eq(tznr_clkset_get(s, 0)[7], 0x00);
    const char *out = tmp_path("o.json");
    ck_assert_int_eq(tznr_clkset_write_json(s, out, 0), TZNR_OK);
    char *got = tt_read(out, NULL);
    ck_assert_str_eq(got, "{\n \"clks\": [\n  \"AAAAAAAAAAA=\",\n  \"//////////8=\"\n ]\n}\n");
    free(got);
    tznr_clkset_free(s);
}
END_TEST

/* a 128-byte filter in base64: 172 characters */
#define B64_128 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static void expect_format_error(const char *name, const char *text, const char *needle)
{
    const char *p = write_tmp(name, text);
    tznr_clkset_t *s = (tznr_clkset_t *)1;
    tznr_error_t rc = tznr_clkset_read_json(&s, p);
    ck_assert_msg(rc == TZNR_EFORMAT, "%s: expected EFORMAT, got %d (%s)", name, rc,
                  tznr_last_error_message());
    ck_assert_ptr_null(s);
    const char *msg = tznr_last_error_message();
    ck_assert_msg(strstr(msg, p) != NULL, "%s: detail '%s' does not name the file", name, msg);
    ck_assert_msg(strstr(msg, needle) != NULL, "%s: detail '%s' lacks '%s'", name, msg, needle);
}

START_TEST(malformed)
{
    expect_format_error("notjson.json", "this is not JSON", "");
    expect_format_error("empty.json", "", "");
    expect_format_error("array.json", "[\"" B64_128 "\"]", "not a JSON object");
    expect_format_error("nokey.json", "{\"clk\": [\"" B64_128 "\"]}", "no \"clks\" key");
    expect_format_error("notarray.json", "{\"clks\": \"" B64_128 "\"}", "\"clks\" is not an array");
    expect_format_error("nonstring.json", "{\"clks\": [\"" B64_128 "\", 12]}", "clks[1]: not a string");
    expect_format_error("badb64.json", "{\"clks\": [\"" B64_128 "\", \"" B64_128 "\", \"@@@@\"]}",
                        "clks[2]: not valid base64");
    expect_format_error("nopad.json", "{\"clks\": [\"AAAAAAAAAAA\"]}", "clks[0]: not valid base64");
    expect_format_error("space.json", "{\"clks\": [\"AAAA AAAAAAA=\"]}", "clks[0]: not valid base64");
    expect_format_error("emptystr.json", "{\"clks\": [\"\"]}", "clks[0]");
    expect_format_error("unequal.json", "{\"clks\": [\"" B64_128 "\", \"AAAAAAAAAAA=\"]}",
                        "clks[1]: a filter of 8 bytes, but clks[0] has 128");
    expect_format_error("notmult8.json", "{\"clks\": [\"AAAAAAAAAAAAAA==\"]}",
                        "clks[0]: a filter of 10 bytes");
    expect_format_error("truncated.json", "{\"clks\": [\"" B64_128 "\", \"AAAA", "");
    expect_format_error("trailing.json", "{\"clks\": []} x", "");
}
END_TEST

START_TEST(read_errors)
{
    tznr_clkset_t *s = NULL;
    const char *p = tmp_path("missing.json");
    ck_assert_int_eq(tznr_clkset_read_json(&s, p), TZNR_EIO);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), p));
    ck_assert_int_eq(tznr_clkset_read_json(NULL, p), TZNR_EINVAL);
    ck_assert_int_eq(tznr_clkset_read_json(&s, NULL), TZNR_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clkset");
    TCase *tc = tcase_create("clkset");
    tcase_add_test(tc, new_append_get);
    tcase_add_test(tc, read_vectors_and_roundtrip);
    tcase_add_test(tc, write_exists_and_force);
    tcase_add_test(tc, empty_set);
    tcase_add_test(tc, small_filters);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, read_errors);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
