/* Shared helpers of the fuzz harnesses. */
#define _GNU_SOURCE 1
#include "fuzz_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/evp.h>

#ifndef TZNR_FUZZ_DATA
#error "TZNR_FUZZ_DATA (the tests/data directory) must be defined by the build"
#endif

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nFUZZ FINDING at %s:%d: check failed: %s\n  ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

static int file_fd = -1;
static char file_path[64];

const char *fuzz_file_set(const uint8_t *data, size_t size)
{
    if (file_fd < 0) {
        file_fd = memfd_create("tznr-fuzz", MFD_CLOEXEC);
        if (file_fd >= 0) {
            snprintf(file_path, sizeof file_path, "/proc/self/fd/%d", file_fd);
            if (access(file_path, R_OK) != 0) {   /* no /proc: use a real file */
                close(file_fd);
                file_fd = -1;
            }
        }
        if (file_fd < 0) {
            const char *p = fuzz_tmp_path("input");
            snprintf(file_path, sizeof file_path, "%s", p);
            file_fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        }
        FUZZ_CHECK(file_fd >= 0, "cannot create the input file: %s", strerror(errno));
    }
    FUZZ_CHECK(ftruncate(file_fd, 0) == 0, "ftruncate: %s", strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(file_fd, data + done, size - done, (off_t)done);
        FUZZ_CHECK(w > 0, "pwrite: %s", strerror(errno));
        done += (size_t)w;
    }
    return file_path;
}

const char *fuzz_file_set_checksummed(const uint8_t *data, size_t size)
{
    if (size == 0)
        return NULL;
    const int fix = data[0] & 1;
    data++;
    size--;
    uint8_t *buf = malloc(size + 32);
    FUZZ_CHECK(buf != NULL, "out of memory");
    if (size)
        memcpy(buf, data, size);
    size_t n = size;
    if (fix) {
        unsigned int dl = 0;
        FUZZ_CHECK(EVP_Digest(buf, size, buf + size, &dl, EVP_sha256(), NULL) == 1 && dl == 32,
                   "SHA-256 failed");
        n += 32;
    }
    const char *path = fuzz_file_set(buf, n);
    free(buf);
    return path;
}

static char tmp_dir[256];
static char tmp_names[8][300];
static int n_tmp_names;

static void tmp_cleanup(void)
{
    for (int i = 0; i < n_tmp_names; i++)
        unlink(tmp_names[i]);
    if (tmp_dir[0])
        rmdir(tmp_dir);
}

const char *fuzz_tmp_path(const char *name)
{
    if (!tmp_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        if (!base || !base[0])
            base = "/tmp";
        snprintf(tmp_dir, sizeof tmp_dir, "%s/tznr-fuzz.XXXXXX", base);
        FUZZ_CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp %s: %s", tmp_dir, strerror(errno));
        atexit(tmp_cleanup);
    }
    for (int i = 0; i < n_tmp_names; i++) {
        const char *slash = strrchr(tmp_names[i], '/');
        if (strcmp(slash + 1, name) == 0)
            return tmp_names[i];
    }
    FUZZ_CHECK(n_tmp_names < 8, "too many temporary names");
    snprintf(tmp_names[n_tmp_names], sizeof tmp_names[0], "%s/%s", tmp_dir, name);
    return tmp_names[n_tmp_names++];
}

char *fuzz_read_data(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TZNR_FUZZ_DATA, rel);
    FILE *fp = fopen(path, "rb");
    FUZZ_CHECK(fp != NULL, "%s: %s", path, strerror(errno));
    FUZZ_CHECK(fseek(fp, 0, SEEK_END) == 0, "%s: seek", path);
    long n = ftell(fp);
    FUZZ_CHECK(n >= 0, "%s: ftell", path);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    FUZZ_CHECK(buf != NULL, "out of memory");
    FUZZ_CHECK(fread(buf, 1, (size_t)n, fp) == (size_t)n, "%s: short read", path);
    fclose(fp);
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}
