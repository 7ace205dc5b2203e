/* UTF-8 validation, code point counting, Python str.strip()/isupper()/islower() semantics. */
#include <string.h>
#include "tznr_test.h"
#include "unicode.h"

struct seq {
    const char *s;
    size_t len;
    size_t bad;   /* first invalid byte offset, (size_t)-1 = valid */
};
#define V(lit) {lit, sizeof lit - 1, (size_t)-1}
#define I(lit, off) {lit, sizeof lit - 1, off}

static const struct seq SEQ[] = {
    V(""), V("abc"), V("\x00"), V("\x7F"),
    V("\xC2\x80"), V("\xC3\xA9"), V("\xDF\xBF"),                 /* 2 bytes */
    V("\xE0\xA0\x80"), V("\xE1\xBB\x85"), V("\xED\x9F\xBF"),     /* 3 bytes, U+D7FF */
    V("\xEE\x80\x80"), V("\xEF\xBB\xBF"), V("\xEF\xBF\xBF"),     /* U+E000, BOM, U+FFFF */
    V("\xF0\x90\x80\x80"), V("\xF0\x9F\x98\x80"), V("\xF4\x8F\xBF\xBF"),   /* to U+10FFFF */
    V("Nguy\xE1\xBB\x85n \xC3\x89lo\xC3\xAFse"),
    I("\xC0\x80", 0), I("\xC1\xBF", 0),                        /* overlong 2-byte */
    I("\xE0\x80\x80", 0), I("\xE0\x9F\xBF", 0),                /* overlong 3-byte */
    I("\xF0\x80\x80\x80", 0), I("\xF0\x8F\xBF\xBF", 0),        /* overlong 4-byte */
    I("\xED\xA0\x80", 0), I("\xED\xBF\xBF", 0),                /* surrogates */
    I("\xED\xA0\xBD\xED\xB8\x80", 0),                          /* CESU-8 pair */
    I("\xF4\x90\x80\x80", 0), I("\xF5\x80\x80\x80", 0),        /* > U+10FFFF */
    I("\xF8\x88\x80\x80\x80", 0), I("\xFE", 0), I("\xFF", 0),
    I("\x80", 0), I("a\xBF", 1),                               /* lone continuation */
    I("\xC3", 0), I("a\xC3", 1), I("\xE1\xBB", 0), I("\xF0\x9F\x98", 0),   /* truncated */
    I("\xC3\x41", 0), I("\xE1\x41\x85", 0),                    /* bad continuation */
    I("abc\xED\xA0\x80xyz", 3), I("\xC3\xA9\xC3\xA9\xFF", 4),
};

START_TEST(valid)
{
    const struct seq *q = &SEQ[_i];
    size_t off = 12345;
    int r = tznr__utf8_valid(q->s, q->len, &off);
    if (q->bad == (size_t)-1) {
        ck_assert_msg(r == 1, "#%d should be valid", _i);
    } else {
        ck_assert_msg(r == 0, "#%d should be invalid", _i);
        ck_assert_msg(off == q->bad, "#%d: bad offset %zu, want %zu", _i, off, q->bad);
        ck_assert_int_eq(tznr__utf8_valid(q->s, q->len, NULL), 0);
    }
}
END_TEST

START_TEST(counts)
{
    ck_assert_uint_eq(tznr__utf8_count("", 0), 0);
    ck_assert_uint_eq(tznr__utf8_count("abc", 3), 3);
    ck_assert_uint_eq(tznr__utf8_count("\xC3\x89lo\xC3\xAFse", 8), 6);    /* Éloïse */
    ck_assert_uint_eq(tznr__utf8_count("Ana\xCC\x88is", 7), 6);          /* NFD Anaïs */
    ck_assert_uint_eq(tznr__utf8_count("\xE1\xBB\x85", 3), 1);
    ck_assert_uint_eq(tznr__utf8_count("\xF0\x9F\x98\x80" "a", 5), 2);
    size_t off[8];
    ck_assert_uint_eq(tznr__utf8_offsets("a\xC3\xA9\xF0\x9F\x98\x80z", 8, off), 4);
    ck_assert_uint_eq(off[0], 0);
    ck_assert_uint_eq(off[1], 1);
    ck_assert_uint_eq(off[2], 3);
    ck_assert_uint_eq(off[3], 7);
    ck_assert_uint_eq(off[4], 8);
    ck_assert_uint_eq(tznr__utf8_offsets("", 0, off), 0);
    ck_assert_uint_eq(off[0], 0);
}
END_TEST

static void strip_case(const char *in, const char *want)
{
    const char *o;
    size_t n;
    tznr__utf8_strip(in, strlen(in), &o, &n);
    ck_assert_msg(n == strlen(want) && memcmp(o, want, n) == 0, "strip('%s') = '%.*s', want '%s'",
                  in, (int)n, o, want);
    ck_assert(o >= in && o + n <= in + strlen(in));
}

START_TEST(strip)
{
    strip_case("", "");
    strip_case("abc", "abc");
    strip_case("  a b  ", "a b");
    strip_case(" \t\n\r\v\f x \t\n\r\v\f", "x");
    strip_case("\x1C\x1D\x1E\x1Fx\x1F", "x");                        /* Python isspace */
    strip_case("\xC2\x85x\xC2\xA0", "x");                            /* NEL, NBSP */
    strip_case("\xE3\x80\x80x\xE2\x80\x83\xE2\x80\xA8\xE2\x80\xA9", "x");   /* U+3000 U+2003 U+2028/9 */
    strip_case("\xE1\x9A\x80" "a\xE2\x80\xAF", "a");                 /* U+1680, U+202F */
    strip_case("\xE2\x80\x8Bx\xE2\x80\x8B", "\xE2\x80\x8Bx\xE2\x80\x8B");   /* ZWSP: not space */
    strip_case("\xEF\xBB\xBFx", "\xEF\xBB\xBFx");                   /* BOM: not space */
    strip_case("   ", "");
    strip_case("\xC2\xA0", "");
    strip_case("\xC3\xA9 ", "\xC3\xA9");
    strip_case(" N/A\t", "N/A");
    strip_case("\x00", "");   /* strlen 0 */
}
END_TEST

START_TEST(case_tests)
{
#define UP(s) tznr__utf8_is_upper(s, strlen(s))
#define LO(s) tznr__utf8_is_lower(s, strlen(s))
    /* Python: "ABC".isupper() True, "ABC1" True, "123" False, "" False, "Abc" False */
    ck_assert_int_eq(UP("ABC"), 1);
    ck_assert_int_eq(UP("ABC1 -'"), 1);
    ck_assert_int_eq(UP("123"), 0);
    ck_assert_int_eq(UP(""), 0);
    ck_assert_int_eq(UP("Abc"), 0);
    ck_assert_int_eq(UP("\xC3\x89LO\xC3\x8FSE"), 1);        /* ÉLOÏSE */
    ck_assert_int_eq(UP("\xC3\x89LO\xC3\xAFSE"), 0);        /* ÉLOïSE */
    ck_assert_int_eq(UP("\xC7\x85"), 0);                    /* U+01C5 Dž titlecase */
    ck_assert_int_eq(UP("\xC7\x84"), 1);                    /* U+01C4 DŽ */
    ck_assert_int_eq(LO("abc"), 1);
    ck_assert_int_eq(LO("abc1"), 1);
    ck_assert_int_eq(LO("123"), 0);
    ck_assert_int_eq(LO(""), 0);
    ck_assert_int_eq(LO("aBc"), 0);
    ck_assert_int_eq(LO("\xC3\xA9lo\xC3\xAFse"), 1);        /* éloïse */
    ck_assert_int_eq(LO("\xC3\x9F"), 1);                    /* ß is lowercase */
    ck_assert_int_eq(LO("\xC7\x85"), 0);
    ck_assert_int_eq(LO("\xC7\x86"), 1);                    /* U+01C6 dž */
    ck_assert_int_eq(UP("\xCE\xA3\xCE\x9F"), 1);            /* ΣΟ */
    ck_assert_int_eq(LO("\xCF\x83\xCE\xBF\xCF\x82"), 1);    /* σος */
    ck_assert_int_eq(LO("\xE2\x85\xB0"), 1);                /* U+2170 small roman numeral one (Nl) */
    ck_assert_int_eq(UP("\xE2\x85\xA0"), 1);                /* U+2160 */
    ck_assert_int_eq(LO("\xC2\xAA"), 1);                    /* ª: Other_Lowercase */
#undef UP
#undef LO
}
END_TEST

START_TEST(ascii)
{
    ck_assert_int_eq(tznr__is_ascii("", 0), 1);
    ck_assert_int_eq(tznr__is_ascii("abc\x7F\x01", 5), 1);
    ck_assert_int_eq(tznr__is_ascii("ab\xC3\xA9", 4), 0);
    ck_assert_int_eq(tznr__is_ascii("\x80", 1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unicode");
    TCase *tc = tcase_create("utf8");
    tcase_add_loop_test(tc, valid, 0, (int)(sizeof SEQ / sizeof SEQ[0]));
    tcase_add_test(tc, counts);
    tcase_add_test(tc, strip);
    tcase_add_test(tc, case_tests);
    tcase_add_test(tc, ascii);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
