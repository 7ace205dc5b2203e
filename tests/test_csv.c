/* Streaming CSV reader (src/csv.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv.h"
#include "tznr/common.h"
#include "tznr_test.h"

/* Write bytes to a fresh temporary file; returns its path (static slot). */
static const char *tmpfile_with(const void *data, size_t len)
{
    static char slots[4][512];
    static unsigned next;
    char *path = slots[next++ % 4];
    snprintf(path, sizeof slots[0], "%s/in.csv", tt_tmpdir());
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    ck_assert_int_eq(fclose(fp), 0);
    return path;
}

#define TMP_CSV(lit) tmpfile_with(lit, sizeof(lit) - 1)

/* All records of a file, as "f1|f2|...\n" per record with "@LINE:" prefixes. */
static tznr_error_t slurp(const char *path, char *out, size_t cap)
{
    tznr__csv *r = NULL;
    tznr_error_t rc = tznr__csv_open(&r, path);
    if (rc)
        return rc;
    size_t o = 0;
    out[0] = '\0';
    for (;;) {
        int got = 0;
        rc = tznr__csv_next(r, &got);
        if (rc || !got)
            break;
        o += (size_t)snprintf(out + o, cap - o, "@%lu:", tznr__csv_line(r));
        for (size_t i = 0; i < tznr__csv_nfields(r); i++) {
            size_t len;
            const char *f = tznr__csv_field(r, i, &len);
            ck_assert_ptr_nonnull(f);
            ck_assert_uint_eq(strlen(f), len);
            o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "", f);
        }
        o += (size_t)snprintf(out + o, cap - o, "\n");
        ck_assert_uint_lt(o, cap);
    }
    tznr__csv_close(r);
    return rc;
}

static void expect_records(const char *path, const char *expected)
{
    char buf[8192];
    tznr_error_t rc = slurp(path, buf, sizeof buf);
    ck_assert_msg(rc == TZNR_OK, "rc %d: %s", rc, tznr_last_error_message());
    ck_assert_str_eq(buf, expected);
}

static void expect_error(const char *path, tznr_error_t code, const char *needle)
{
    char buf[8192];
    tznr_error_t rc = slurp(path, buf, sizeof buf);
    ck_assert_msg(rc == code, "expected %d, got %d (%s)", code, rc, tznr_last_error_message());
    ck_assert_msg(strstr(tznr_last_error_message(), needle) != NULL,
                  "detail '%s' lacks '%s'", tznr_last_error_message(), needle);
    ck_assert_msg(strstr(tznr_last_error_message(), path) != NULL,
                  "detail '%s' does not name the file", tznr_last_error_message());
}

/* C07: BOM + CRLF and plain LF give the same records; first header is exactly "id". */
START_TEST(c07_bom_crlf)
{
    const char *files[2] = {tt_data("cases/C07/bom_crlf.csv"), tt_data("cases/C07/plain.csv")};
    char out[2][4096];
    for (int k = 0; k < 2; k++) {
        tznr__csv *r = NULL;
        ck_assert_int_eq(tznr__csv_open(&r, files[k]), TZNR_OK);
        int got = 0, nrec = 0;
        size_t o = 0;
        ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_OK);
        ck_assert_int_eq(got, 1);
        ck_assert_uint_eq(tznr__csv_nfields(r), 4);
        size_t len;
        const char *id = tznr__csv_field(r, 0, &len);
        ck_assert_str_eq(id, "id");
        ck_assert_uint_eq(len, 2);
        ck_assert_str_eq(tznr__csv_field(r, 3, NULL), "ville");
        while (tznr__csv_next(r, &got) == TZNR_OK && got) {
            nrec++;
            ck_assert_uint_eq(tznr__csv_nfields(r), 4);
            ck_assert_uint_eq(tznr__csv_line(r), (unsigned long)nrec + 1);
            for (size_t i = 0; i < 4; i++) {
                const char *f = tznr__csv_field(r, i, &len);
                ck_assert_ptr_null(memchr(f, '\r', len));
                o += (size_t)snprintf(out[k] + o, sizeof out[k] - o, "%s\x1f", f);
            }
            if (nrec == 2)
                ck_assert_str_eq(tznr__csv_field(r, 1, NULL), "LEBRUN, dit BERNARD");
            if (nrec == 3)
                ck_assert_str_eq(tznr__csv_field(r, 1, NULL), "O\"NEILL");
        }
        ck_assert_int_eq(got, 0);
        ck_assert_int_eq(nrec, 3);
        /* after the end, next keeps returning got = 0 */
        ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_OK);
        ck_assert_int_eq(got, 0);
        tznr__csv_close(r);
    }
    ck_assert_str_eq(out[0], out[1]);
}
END_TEST

START_TEST(multiline_quoted_line_numbers)
{
    const char *p = TMP_CSV("h1,h2\n"
                            "a,\"line one\nline two\n\nline four\"\n"
                            "b,c\n"
                            "\"x\ny\",\"p\r\nq\"\r\n"
                            "z,\"\"\n");
    expect_records(p, "@1:h1|h2\n"
                      "@2:a|line one\nline two\n\nline four\n"
                      "@6:b|c\n"
                      "@7:x\ny|p\r\nq\n"
                      "@10:z|\n");
}
END_TEST

START_TEST(crlf_no_final_newline)
{
    expect_records(TMP_CSV("a,b\r\nc,d"), "@1:a|b\n@2:c|d\n");
    expect_records(TMP_CSV("a,b\r\nc,d\r\n"), "@1:a|b\n@2:c|d\n");
    expect_records(TMP_CSV("a,b\r\n\"c\",\"d\""), "@1:a|b\n@2:c|d\n");
    expect_records(TMP_CSV("a,b\r\nc,"), "@1:a|b\n@2:c|\n");
    expect_records(TMP_CSV("a,b\n"), "@1:a|b\n");
}
END_TEST

START_TEST(blank_lines_and_spaces)
{
    expect_records(TMP_CSV("\n\r\na,b\n\n\r\n\nc,d\n\n"), "@3:a|b\n@7:c|d\n");
    /* spaces are data: nothing is trimmed */
    expect_records(TMP_CSV(" a , b \n\t,\" q \"\n"), "@1: a | b \n@2:\t| q \n");
    /* a line holding only a comma is a record of two empty fields */
    expect_records(TMP_CSV(",\n"), "@1:|\n");
    expect_records(TMP_CSV(""), "");
    expect_records(TMP_CSV("\n\n"), "");
}
END_TEST

START_TEST(bom_only_at_start)
{
    expect_records(TMP_CSV("\xEF\xBB\xBFid\n\xEF\xBB\xBFx\n"), "@1:id\n@2:\xEF\xBB\xBFx\n");
    expect_records(TMP_CSV("\xEF\xBB\xBF"), "");
}
END_TEST

START_TEST(utf8_not_checked_here)
{
    expect_records(TMP_CSV("\xff\xfe,\xc3\n"), "@1:\xff\xfe|\xc3\n");
}
END_TEST

START_TEST(unterminated_quote)
{
    const char *p = TMP_CSV("h\nok\n\"never\nclosed\nat all\n");
    expect_error(p, TZNR_EINPUT, ":3: malformed CSV");
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "not terminated"));
    expect_error(TMP_CSV("a,\"b"), TZNR_EINPUT, ":1: malformed CSV");
}
END_TEST

START_TEST(malformed_quoting)
{
    expect_error(TMP_CSV("h\nab\"c\n"), TZNR_EINPUT, ":2: malformed CSV: ");
    expect_error(TMP_CSV("h\n\n\"ab\"c,d\n"), TZNR_EINPUT, ":3: malformed CSV: ");
    /* error on the second physical line of a multi-line record */
    expect_error(TMP_CSV("\"a\nb\"x\n"), TZNR_EINPUT, ":2: malformed CSV: ");
}
END_TEST

START_TEST(errors_are_sticky)
{
    tznr__csv *r = NULL;
    int got = 1;
    ck_assert_int_eq(tznr__csv_open(&r, TMP_CSV("a\"b\nc\n")), TZNR_OK);
    ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_EINPUT);
    ck_assert_int_eq(got, 0);
    ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_EINPUT);
    ck_assert_int_eq(got, 0);
    tznr__csv_close(r);
}
END_TEST

START_TEST(nul_byte)
{
    static const char data[] = "h1,h2\nx,y\na,b\0c\n";
    expect_error(tmpfile_with(data, sizeof data - 1), TZNR_EINPUT, ":3: NUL byte");
}
END_TEST

static char *big_field_csv(size_t field_len, int quoted, size_t *out_len)
{
    size_t cap = field_len + 64;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t o = (size_t)snprintf(buf, cap, "h1,h2\nx,y\na,%s", quoted ? "\"" : "");
    memset(buf + o, 'z', field_len);
    o += field_len;
    o += (size_t)snprintf(buf + o, cap - o, "%s\nb,c\n", quoted ? "\"" : "");
    *out_len = o;
    return buf;
}

START_TEST(field_limit)
{
    for (int quoted = 0; quoted < 2; quoted++) {
        size_t len;
        /* exactly at the limit: accepted */
        char *data = big_field_csv(TZNR__CSV_MAX_FIELD_BYTES, quoted, &len);
        const char *p = tmpfile_with(data, len);
        free(data);
        tznr__csv *r = NULL;
        int got, n = 0;
        ck_assert_int_eq(tznr__csv_open(&r, p), TZNR_OK);
        while (tznr__csv_next(r, &got) == TZNR_OK && got) {
            n++;
            if (n == 3) {
                size_t flen;
                tznr__csv_field(r, 1, &flen);
                ck_assert_uint_eq(flen, TZNR__CSV_MAX_FIELD_BYTES);
            }
        }
        ck_assert_int_eq(n, 4);
        tznr__csv_close(r);
        /* one byte more, and far more: refused with the line */
        size_t sizes[] = {TZNR__CSV_MAX_FIELD_BYTES + 1, 3 * TZNR__CSV_MAX_FIELD_BYTES};
        for (int k = 0; k < 2; k++) {
            data = big_field_csv(sizes[k], quoted, &len);
            p = tmpfile_with(data, len);
            free(data);
            expect_error(p, TZNR_ELIMIT, ":3: field longer than 1 MiB");
        }
    }
}
END_TEST

START_TEST(too_many_fields)
{
    size_t cap = 3 * (TZNR__CSV_MAX_FIELDS + 2) + 16;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (int extra = 0; extra < 2; extra++) {
        size_t o = (size_t)snprintf(buf, cap, "h\n");
        for (int i = 0; i < TZNR__CSV_MAX_FIELDS + extra; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%sx", i ? "," : "");
        o += (size_t)snprintf(buf + o, cap - o, "\n");
        const char *p = tmpfile_with(buf, o);
        if (!extra) {
            tznr__csv *r = NULL;
            int got;
            ck_assert_int_eq(tznr__csv_open(&r, p), TZNR_OK);
            ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_OK);
            ck_assert_int_eq(tznr__csv_next(r, &got), TZNR_OK);
            ck_assert_int_eq(got, 1);
            ck_assert_uint_eq(tznr__csv_nfields(r), TZNR__CSV_MAX_FIELDS);
            tznr__csv_close(r);
        } else {
            expect_error(p, TZNR_ELIMIT, ":2: record has more than 4096 fields");
        }
    }
    free(buf);
}
END_TEST

START_TEST(open_errors)
{
    tznr__csv *r = (tznr__csv *)1;
    char path[600];
    snprintf(path, sizeof path, "%s/missing.csv", tt_tmpdir());
    ck_assert_int_eq(tznr__csv_open(&r, path), TZNR_EIO);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), "cannot open"));
    tznr__csv_close(NULL);
}
END_TEST

START_TEST(long_file_across_chunks)
{
    /* many records, some quoted fields straddling the 64 KiB read chunks */
    size_t cap = 1 << 22, o = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    int n = 20000;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%d,\"q%d\r\nv\",%s\r\n", i, i,
                              i % 7 ? "plain" : "");
    const char *p = tmpfile_with(buf, o);
    free(buf);
    tznr__csv *r = NULL;
    int got, k = 0;
    ck_assert_int_eq(tznr__csv_open(&r, p), TZNR_OK);
    while (tznr__csv_next(r, &got) == TZNR_OK && got) {
        char exp[64];
        ck_assert_uint_eq(tznr__csv_nfields(r), 3);
        snprintf(exp, sizeof exp, "%d", k);
        ck_assert_str_eq(tznr__csv_field(r, 0, NULL), exp);
        snprintf(exp, sizeof exp, "q%d\r\nv", k);
        ck_assert_str_eq(tznr__csv_field(r, 1, NULL), exp);
        ck_assert_str_eq(tznr__csv_field(r, 2, NULL), k % 7 ? "plain" : "");
        ck_assert_uint_eq(tznr__csv_line(r), 2ul * (unsigned long)k + 1);
        k++;
    }
    ck_assert_int_eq(k, n);
    tznr__csv_close(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("csv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, c07_bom_crlf);
    tcase_add_test(tc, multiline_quoted_line_numbers);
    tcase_add_test(tc, crlf_no_final_newline);
    tcase_add_test(tc, blank_lines_and_spaces);
    tcase_add_test(tc, bom_only_at_start);
    tcase_add_test(tc, utf8_not_checked_here);
    tcase_add_test(tc, unterminated_quote);
    tcase_add_test(tc, malformed_quoting);
    tcase_add_test(tc, errors_are_sticky);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, field_limit);
    tcase_add_test(tc, too_many_fields);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, long_file_across_chunks);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
