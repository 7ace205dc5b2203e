/* Whole-file reads and atomic outputs (src/fileio.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fileio.h"
#include "tznr/common.h"
#include "tznr_test.h"

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Number of directory entries other than . and .. */
static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

START_TEST(read_whole_file)
{
    char path[600];
    snprintf(path, sizeof path, "%s/f.txt", tt_tmpdir());
    write_file(path, "hello\nworld");
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(tznr__read_file(path, 100, &buf, &len), TZNR_OK);
    ck_assert_uint_eq(len, 11);
    ck_assert_str_eq(buf, "hello\nworld");
    tznr__free(buf);
    /* exactly at the limit */
    ck_assert_int_eq(tznr__read_file(path, 11, &buf, &len), TZNR_OK);
    ck_assert_uint_eq(len, 11);
    tznr__free(buf);
    /* over the limit */
    buf = (char *)1;
    ck_assert_int_eq(tznr__read_file(path, 10, &buf, &len), TZNR_ELIMIT);
    ck_assert_ptr_null(buf);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));
    /* empty file */
    write_file(path, "");
    ck_assert_int_eq(tznr__read_file(path, 10, &buf, &len), TZNR_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");
    tznr__free(buf);
    ck_assert_int_eq(tznr__read_file(path, 0, &buf, &len), TZNR_OK);
    tznr__free(buf);
}
END_TEST

START_TEST(read_large_file_limits)
{
    char path[600];
    snprintf(path, sizeof path, "%s/big.bin", tt_tmpdir());
    size_t n = 300000;
    char *data = malloc(n);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
    char *buf;
    size_t len;
    ck_assert_int_eq(tznr__read_file(path, n, &buf, &len), TZNR_OK);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(memcmp(buf, data, n), 0);
    tznr__free(buf);
    ck_assert_int_eq(tznr__read_file(path, n - 1, &buf, &len), TZNR_ELIMIT);
    /* through a non-regular file (no size hint): stdin redirected from a pipe */
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    fflush(stdin);
    int saved = dup(0);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(pfd[0], 0), 0);
    close(pfd[0]);
    const char *msg = "from a pipe";
    ck_assert_int_eq(write(pfd[1], msg, strlen(msg)), (int)strlen(msg));
    close(pfd[1]);
    clearerr(stdin);
    ck_assert_int_eq(tznr__read_file("-", 1000, &buf, &len), TZNR_OK);
    ck_assert_str_eq(buf, msg);
    tznr__free(buf);
    ck_assert_int_eq(dup2(saved, 0), 0);
    close(saved);
    clearerr(stdin);
    free(data);
}
END_TEST

START_TEST(read_errors)
{
    char path[600];
    char *buf = (char *)1;
    size_t len;
    snprintf(path, sizeof path, "%s/missing.txt", tt_tmpdir());
    ck_assert_int_eq(tznr__read_file(path, 100, &buf, &len), TZNR_EIO);
    ck_assert_ptr_null(buf);
    char expect[700];
    snprintf(expect, sizeof expect, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(tznr_last_error_message(), expect);
    /* a directory */
    const char *dir = tt_tmpdir();
    ck_assert_int_eq(tznr__read_file(dir, 100, &buf, &len), TZNR_EIO);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), dir));
}
END_TEST

START_TEST(atomic_commit)
{
    const char *dir = tt_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/out.json", dir);
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, path, 0), TZNR_OK);
    ck_assert_ptr_nonnull(o.fp);
    ck_assert_int_eq(o.is_stdout, 0);
    /* temp file in the destination directory, hidden, named after the destination */
    char prefix[700];
    snprintf(prefix, sizeof prefix, "%s/.out.json.tmp.", dir);
    ck_assert_int_eq(strncmp(o.tmp_path, prefix, strlen(prefix)), 0);
    ck_assert(exists(o.tmp_path));
    ck_assert(!exists(path));
    fputs("content\n", o.fp);
    ck_assert(!exists(path));
    ck_assert_int_eq(tznr__out_commit(&o), TZNR_OK);
    ck_assert_int_eq(dir_entries(dir), 1);
    char *got = tt_read(path, NULL);
    ck_assert_str_eq(got, "content\n");
    free(got);
    tznr__out_abort(&o); /* harmless after commit */
    ck_assert(exists(path));
}
END_TEST

START_TEST(atomic_abort)
{
    const char *dir = tt_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, path, 0), TZNR_OK);
    fputs("partial", o.fp);
    tznr__out_abort(&o);
    ck_assert(!exists(path));
    ck_assert_int_eq(dir_entries(dir), 0);
    tznr__out_abort(&o); /* twice is harmless */
    /* abort with force over an existing file leaves it untouched */
    write_file(path, "old\n");
    ck_assert_int_eq(tznr__out_open(&o, path, 1), TZNR_OK);
    fputs("new", o.fp);
    tznr__out_abort(&o);
    char *got = tt_read(path, NULL);
    ck_assert_str_eq(got, "old\n");
    free(got);
    ck_assert_int_eq(dir_entries(dir), 1);
}
END_TEST

START_TEST(exists_and_force)
{
    const char *dir = tt_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    write_file(path, "old\n");
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, path, 0), TZNR_EEXIST);
    ck_assert_ptr_null(o.fp);
    char expect[700];
    snprintf(expect, sizeof expect, "%s: exists (use --force to overwrite)", path);
    ck_assert_str_eq(tznr_last_error_message(), expect);
    tznr__out_abort(&o); /* harmless after a failed open */
    ck_assert_int_eq(dir_entries(dir), 1);
    char *got = tt_read(path, NULL);
    ck_assert_str_eq(got, "old\n");
    free(got);
    ck_assert_int_eq(tznr__out_open(&o, path, 1), TZNR_OK);
    fputs("new\n", o.fp);
    ck_assert_int_eq(tznr__out_commit(&o), TZNR_OK);
    got = tt_read(path, NULL);
    ck_assert_str_eq(got, "new\n");
    free(got);
    ck_assert_int_eq(dir_entries(dir), 1);
}
END_TEST

START_TEST(relative_path)
{
    const char *dir = tt_tmpdir();
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, "rel.txt", 0), TZNR_OK);
    ck_assert_int_eq(strncmp(o.tmp_path, ".rel.txt.tmp.", 13), 0);
    fputs("x", o.fp);
    ck_assert_int_eq(tznr__out_commit(&o), TZNR_OK);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(dir_entries(dir), 1);
}
END_TEST

START_TEST(open_errors)
{
    const char *dir = tt_tmpdir();
    char path[600];
    tznr__out o;
    /* the destination directory does not exist */
    snprintf(path, sizeof path, "%s/nodir/out.csv", dir);
    ck_assert_int_eq(tznr__out_open(&o, path, 0), TZNR_EIO);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));
    ck_assert_ptr_null(o.fp);
    /* a directory as the destination */
    ck_assert_int_eq(tznr__out_open(&o, dir, 1), TZNR_EIO);
    ck_assert_int_eq(tznr__out_open(&o, dir, 0), TZNR_EEXIST);
    snprintf(path, sizeof path, "%s/", dir);
    ck_assert_int_eq(tznr__out_open(&o, path, 1), TZNR_EIO);
}
END_TEST

START_TEST(commit_rename_failure)
{
    /* the destination becomes a non-empty directory while writing: rename fails, the
     * temporary file is removed and EIO names the path */
    const char *dir = tt_tmpdir();
    char path[600], inner[700];
    snprintf(path, sizeof path, "%s/out", dir);
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, path, 0), TZNR_OK);
    fputs("x", o.fp);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(inner, sizeof inner, "%s/f", path);
    write_file(inner, "y");
    ck_assert_int_eq(tznr__out_commit(&o), TZNR_EIO);
    ck_assert_ptr_nonnull(strstr(tznr_last_error_message(), path));
    ck_assert_int_eq(dir_entries(dir), 1);
    ck_assert_ptr_null(o.fp);
    tznr__out_abort(&o);
}
END_TEST

START_TEST(stdout_output)
{
    tznr__out o;
    ck_assert_int_eq(tznr__out_open(&o, "-", 0), TZNR_OK);
    ck_assert_int_eq(o.is_stdout, 1);
    ck_assert_ptr_eq(o.fp, stdout);
    ck_assert_int_eq(tznr__out_commit(&o), TZNR_OK);
    ck_assert_int_eq(tznr__out_open(&o, "-", 0), TZNR_OK);
    tznr__out_abort(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fileio");
    TCase *tc = tcase_create("fileio");
    tcase_add_test(tc, read_whole_file);
    tcase_add_test(tc, read_large_file_limits);
    tcase_add_test(tc, read_errors);
    tcase_add_test(tc, atomic_commit);
    tcase_add_test(tc, atomic_abort);
    tcase_add_test(tc, exists_and_force);
    tcase_add_test(tc, relative_path);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, commit_rename_failure);
    tcase_add_test(tc, stdout_output);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
