/* The native container: round trip, header contents, and rejection of malformed,
 * truncated, corrupted and other-version files (each with a message naming the file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tznr_test.h"
#include "tznr/tznr.h"

static const char SCHEMA[] =
    "{\"version\": 3, \"clkConfig\": {\"l\": 128},"
    " \"linkage\": {\"idColumn\": \"id\"},"
    " \"features\": [{\"identifier\": \"id\", \"ignored\": true},"
    " {\"identifier\": \"nom\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}},"
    "  \"linkage\": {\"levels\": [0.95, 0.8]}},"
    " {\"identifier\": \"ville\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"ngram\", \"n\": 2}, \"strategy\": {\"bitsPerToken\": 10}}},"
    " {\"identifier\": \"note_interne\", \"format\": {\"type\": \"string\"}, \"hashing\": {\"comparison\":"
    "  {\"type\": \"exact\"}, \"strategy\": {\"bitsPerToken\": 10}}, \"linkage\": {\"compare\": false}}]}";

static tznr_container_t *make(size_t n)
{
    tznr_schema_t *s;
    ck_assert_msg(tznr_schema_new_from_json(&s, SCHEMA, strlen(SCHEMA)) == TZNR_OK, "%s", tznr_last_error_message());
    tznr_container_t *c;
    ck_assert_int_eq(tznr_container_new(&c, s), TZNR_OK);
    uint8_t fp1[32], fp2[32];
    ck_assert_int_eq(tznr_schema_fingerprint(s, fp1, 32), TZNR_OK);
    ck_assert_int_eq(tznr_container_fingerprint(c, fp2, 32), TZNR_OK);
    ck_assert_mem_eq(fp1, fp2, 32);
    tznr_schema_free(s);
    ck_assert_uint_eq(tznr_container_field_count(c), 2);   /* id ignored, note_interne not compared */
    ck_assert_str_eq(tznr_container_field_name(c, 0), "nom");
    ck_assert_str_eq(tznr_container_field_name(c, 1), "ville");
    ck_assert_uint_eq(tznr_container_field_bits(c), 128);
    for (size_t r = 0; r < n; r++) {
        uint8_t fields[32], clk[16];
        for (size_t i = 0; i < 32; i++)
            fields[i] = (uint8_t)(r * 31 + i);
        for (size_t i = 0; i < 16; i++)
            clk[i] = (uint8_t)(r * 7 + i * 3);
        char id[32];
        int len = snprintf(id, sizeof id, "rec-%zu-é", r);
        ck_assert_int_eq(tznr_container_append(c, id, (size_t)len, fields, 32, clk, 16), TZNR_OK);
    }
    return c;
}

START_TEST(round_trip)
{
    tznr_container_t *c = make(50);
    char path[512];
    snprintf(path, sizeof path, "%s/a.tznr", tt_tmpdir());
    ck_assert_int_eq(tznr_container_write(c, path, 0), TZNR_OK);
    ck_assert_int_eq(tznr_container_write(c, path, 0), TZNR_EEXIST);
    tznr_container_t *d;
    ck_assert_msg(tznr_container_read(&d, path) == TZNR_OK, "%s", tznr_last_error_message());
    ck_assert_uint_eq(tznr_container_count(d), 50);
    ck_assert_uint_eq(tznr_container_field_count(d), 2);
    double thr[4];
    ck_assert_uint_eq(tznr_container_field_levels(d, 0, thr, 4), 2);
    ck_assert(thr[0] == 0.95 && thr[1] == 0.8);
    ck_assert_uint_eq(tznr_container_field_levels(d, 1, thr, 4), 3);   /* default 1.0, 0.85, 0.7 */
    ck_assert(thr[0] == 1.0 && thr[1] == 0.85 && thr[2] == 0.7);
    for (size_t r = 0; r < 50; r++) {
        size_t l1, l2;
        ck_assert_str_eq(tznr_container_id(c, r, &l1), tznr_container_id(d, r, &l2));
        ck_assert_uint_eq(l1, l2);
        ck_assert_mem_eq(tznr_container_field_filter(c, r, 1), tznr_container_field_filter(d, r, 1), 16);
        ck_assert_mem_eq(tznr_container_clk(c, r), tznr_container_clk(d, r), 16);
    }
    tznr_clkset_t *clks;
    ck_assert_int_eq(tznr_container_clks(d, &clks), TZNR_OK);
    ck_assert_uint_eq(tznr_clkset_count(clks), 50);
    ck_assert_mem_eq(tznr_clkset_get(clks, 7), tznr_container_clk(d, 7), 16);
    tznr_clkset_free(clks);
    tznr_container_free(c);
    tznr_container_free(d);
}
END_TEST

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

static void expect_format_error(const char *path, const char *needle)
{
    tznr_container_t *d = NULL;
    ck_assert_int_eq(tznr_container_read(&d, path), TZNR_EFORMAT);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(tznr_last_error_message(), path) != NULL, "no file name in: %s", tznr_last_error_message());
    ck_assert_msg(strstr(tznr_last_error_message(), needle) != NULL, "'%s' not in: %s", needle,
                  tznr_last_error_message());
}

START_TEST(malformed_rejected)
{
    tznr_container_t *c = make(5);
    const char *dir = tt_tmpdir();
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s/good.tznr", dir);
    snprintf(bad, sizeof bad, "%s/bad.tznr", dir);
    ck_assert_int_eq(tznr_container_write(c, good, 0), TZNR_OK);
    size_t n;
    uint8_t *img = (uint8_t *)tt_read(good, &n);

    write_bytes(bad, img, 10);                       /* truncated inside the preamble */
    expect_format_error(bad, "not a tznr container");
    write_bytes(bad, img, n - 1);                    /* truncated at the end */
    expect_format_error(bad, "checksum");
    uint8_t *copy = malloc(n);
    memcpy(copy, img, n);
    copy[n - 40] ^= 1;                               /* one bit flipped in the data */
    write_bytes(bad, copy, n);
    expect_format_error(bad, "checksum");
    memcpy(copy, img, n);
    copy[0] = 'X';                                   /* magic */
    write_bytes(bad, copy, n);
    expect_format_error(bad, "bad magic");
    memcpy(copy, img, n);
    copy[8] = 2;                                     /* another major version */
    write_bytes(bad, copy, n);
    expect_format_error(bad, "version 2");
    write_bytes(bad, (const uint8_t *)"", 0);        /* empty */
    expect_format_error(bad, "not a tznr container");
    tznr_container_t *d = NULL;
    ck_assert_int_eq(tznr_container_read(&d, "/nonexistent/x.tznr"), TZNR_EIO);
    free(copy);
    free(img);
    tznr_container_free(c);
}
END_TEST

START_TEST(append_checks)
{
    tznr_container_t *c = make(0);
    uint8_t f[32] = {0}, k[16] = {0};
    ck_assert_int_eq(tznr_container_append(c, "a", 1, f, 31, k, 16), TZNR_EBUFSIZE);
    ck_assert_int_eq(tznr_container_append(c, "a", 1, f, 32, k, 15), TZNR_EBUFSIZE);
    ck_assert_int_eq(tznr_container_append(c, "\xff", 1, f, 32, k, 16), TZNR_EINVAL);
    ck_assert_int_eq(tznr_container_append(c, "a\0b", 3, f, 32, k, 16), TZNR_EINVAL);
    ck_assert_uint_eq(tznr_container_count(c), 0);
    tznr_container_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("container");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, malformed_rejected);
    tcase_add_test(tc, append_checks);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
