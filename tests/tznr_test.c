#include "tznr_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tt_data(const char *rel)
{
    static char slots[8][4096];
    static unsigned next;
    const char *root = getenv("TZNR_TEST_DATA");
    char *buf = slots[next++ % 8];
    ck_assert_msg(root != NULL, "TZNR_TEST_DATA is not set (run through meson test)");
    snprintf(buf, sizeof slots[0], "%s/%s", root, rel);
    return buf;
}

char *tt_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(fp);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *tt_tmpdir(void)
{
    static char slots[4][256];
    static unsigned next;
    char *buf = slots[next++ % 4];
    const char *base = getenv("TMPDIR");
    snprintf(buf, sizeof slots[0], "%s/tznr-test-XXXXXX", base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(buf));
    return buf;
}

int tt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
