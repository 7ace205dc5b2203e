/* Whole-file reads with a size limit, and atomic outputs (temporary file + rename). */
#include "fileio.h"
#include <stdatomic.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

tznr_error_t tznr__read_file(const char *path, size_t max_bytes, char **out, size_t *out_len)
{
    if (!path || !out)
        return tznr__err(TZNR_EINVAL, "read_file: NULL argument");
    *out = NULL;
    if (out_len)
        *out_len = 0;
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return tznr__err(TZNR_EIO, "%s: cannot open: %s", name, strerror(e));
    }

    size_t cap = 4096;
    struct stat st;
    if (fstat(fileno(fp), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (!is_stdin)
                fclose(fp);
            return tznr__err(TZNR_EIO, "%s: cannot read: %s", name, strerror(EISDIR));
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
            if ((uintmax_t)st.st_size > (uintmax_t)max_bytes) {
                if (!is_stdin)
                    fclose(fp);
                return tznr__err(TZNR_ELIMIT, "%s: file is larger than the limit of %zu bytes",
                                 name, max_bytes);
            }
            cap = (size_t)st.st_size + 1; /* +1 so that EOF is seen without a realloc */
        }
    }
    if (cap > max_bytes && max_bytes < SIZE_MAX)
        cap = max_bytes + 1;

    char *buf = tznr__malloc(cap + 1);
    if (!buf) {
        if (!is_stdin)
            fclose(fp);
        return tznr__err(TZNR_ENOMEM, "%s: out of memory", name);
    }
    size_t len = 0;
    tznr_error_t rc = TZNR_OK;
    for (;;) {
        if (len == cap) {
            if (len > max_bytes) {
                rc = tznr__err(TZNR_ELIMIT, "%s: file is larger than the limit of %zu bytes",
                               name, max_bytes);
                break;
            }
            size_t ncap = cap <= SIZE_MAX / 2 - 1 ? cap * 2 : SIZE_MAX - 1;
            if (max_bytes < SIZE_MAX - 1 && ncap > max_bytes + 1)
                ncap = max_bytes + 1;
            if (ncap <= cap) {
                rc = tznr__err(TZNR_ELIMIT, "%s: file is too large", name);
                break;
            }
            char *nb = tznr__realloc(buf, ncap + 1);
            if (!nb) {
                rc = tznr__err(TZNR_ENOMEM, "%s: out of memory", name);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0 || len < cap) {
            if (ferror(fp)) {
                int e = errno;
                rc = tznr__err(TZNR_EIO, "%s: cannot read: %s", name, strerror(e));
                break;
            }
            if (feof(fp))
                break;
        }
    }
    if (!rc && len > max_bytes)
        rc = tznr__err(TZNR_ELIMIT, "%s: file is larger than the limit of %zu bytes", name,
                       max_bytes);
    if (is_stdin)
        clearerr(fp);
    else
        fclose(fp);
    if (rc) {
        tznr__free_wiped(buf, cap + 1);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return TZNR_OK;
}

/* Registry of the temporary files being written, so that tznr_abort_outputs() can remove
 * them from a signal handler (unlink is async-signal-safe). A slot is 0 (free), 1 (being
 * filled) or 2 (holds a path). Paths longer than the slot are simply not registered. */
#define PENDING_SLOTS 32
#define PENDING_PATH 4096
static char pending_path[PENDING_SLOTS][PENDING_PATH];
static _Atomic int pending_state[PENDING_SLOTS];

static int pending_add(const char *tmp)
{
    size_t len = strlen(tmp);
    if (len >= PENDING_PATH)
        return -1;
    for (int i = 0; i < PENDING_SLOTS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&pending_state[i], &expected, 1)) {
            memcpy(pending_path[i], tmp, len + 1);
            atomic_store(&pending_state[i], 2);
            return i;
        }
    }
    return -1;
}

static void pending_remove(int slot)
{
    if (slot >= 0 && slot < PENDING_SLOTS)
        atomic_store(&pending_state[slot], 0);
}

void tznr_abort_outputs(void)
{
    for (int i = 0; i < PENDING_SLOTS; i++)
        if (atomic_load(&pending_state[i]) == 2)
            unlink(pending_path[i]);
}

static void out_clear(tznr__out *o)
{
    pending_remove(o->slot);
    o->slot = -1;
    tznr__free(o->path);
    tznr__free(o->tmp_path);
    o->fp = NULL;
    o->path = NULL;
    o->tmp_path = NULL;
    o->is_stdout = 0;
}

tznr_error_t tznr__out_open(tznr__out *o, const char *path, int force)
{
    if (!o)
        return tznr__err(TZNR_EINVAL, "out_open: NULL argument");
    o->slot = -1;
    o->fp = NULL;
    o->path = NULL;
    o->tmp_path = NULL;
    o->is_stdout = 0;
    if (!path)
        return tznr__err(TZNR_EINVAL, "out_open: NULL path");
    if (strcmp(path, "-") == 0) {
        o->path = tznr__strndup("<stdout>", 8);
        if (!o->path)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        o->fp = stdout;
        o->is_stdout = 1;
        return TZNR_OK;
    }
    size_t plen = strlen(path);
    if (plen == 0)
        return tznr__err(TZNR_EINVAL, "output path is empty");
    if (path[plen - 1] == '/')
        return tznr__err(TZNR_EIO, "%s: cannot create: %s", path, strerror(EISDIR));

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!force)
            return tznr__err(TZNR_EEXIST, "%s: exists (use --force to overwrite)", path);
        if (S_ISDIR(st.st_mode))
            return tznr__err(TZNR_EIO, "%s: cannot replace: %s", path, strerror(EISDIR));
        /* the rename would replace a device, FIFO, socket or symbolic link (not its target)
         * with a regular file: e.g. --force -o /dev/null would delete the device node */
        if (!S_ISREG(st.st_mode))
            return tznr__err(TZNR_EIO, "%s: cannot replace: not a regular file (outputs are "
                             "written to a temporary file renamed over the destination; use "
                             "'-' for standard output)", path);
    }

    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    /* "<dir>/.<base>.tmp.XXXXXX"; dir "" for the current directory, "/" for the root */
    size_t tlen = dlen + 1 + 1 + blen + 11 + 1;
    char *tmp = tznr__malloc(tlen);
    char *pcopy = tznr__strndup(path, plen);
    if (!tmp || !pcopy) {
        tznr__free(tmp);
        tznr__free(pcopy);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    if (slash)
        snprintf(tmp, tlen, "%.*s/.%s.tmp.XXXXXX", (int)dlen, path, base);
    else
        snprintf(tmp, tlen, ".%s.tmp.XXXXXX", base);

    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        tznr_error_t rc = tznr__err(TZNR_EIO, "%s: cannot create a temporary file next to it: %s",
                                    path, strerror(e));
        tznr__free(tmp);
        tznr__free(pcopy);
        return rc;
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmp);
        tznr_error_t rc = tznr__err(TZNR_EIO, "%s: cannot open: %s", path, strerror(e));
        tznr__free(tmp);
        tznr__free(pcopy);
        return rc;
    }
    o->fp = fp;
    o->path = pcopy;
    o->tmp_path = tmp;
    o->slot = pending_add(tmp);
    return TZNR_OK;
}

/* fsync the directory holding path so the rename is durable; errors are ignored (some file
 * systems do not support it, and the data itself is already synced). */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = tznr__strndup(".", 1);
    else if (slash == path)
        dir = tznr__strndup("/", 1);
    else
        dir = tznr__strndup(path, (size_t)(slash - path));
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    tznr__free(dir);
}

tznr_error_t tznr__out_commit(tznr__out *o)
{
    if (!o)
        return tznr__err(TZNR_EINVAL, "out_commit: NULL argument");
    if (!o->fp)
        return tznr__err(TZNR_ESTATE, "out_commit: output is not open");
    if (o->is_stdout) {
        tznr_error_t rc = TZNR_OK;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            int e = errno;
            rc = tznr__err(TZNR_EIO, "<stdout>: write error: %s", strerror(e));
        }
        out_clear(o);
        return rc;
    }
    const char *what = NULL;
    int e = 0;
    if (fflush(o->fp) != 0) {
        e = errno;
        what = "write error";
    } else if (ferror(o->fp)) {
        e = EIO;
        what = "write error";
    } else if (fsync(fileno(o->fp)) != 0) {
        e = errno;
        what = "cannot sync";
    }
    int close_rc = fclose(o->fp);
    o->fp = NULL;
    if (!what && close_rc != 0) {
        e = errno;
        what = "cannot close";
    }
    if (!what && rename(o->tmp_path, o->path) != 0) {
        e = errno;
        what = "cannot rename the temporary file";
    }
    if (what) {
        tznr_error_t rc = tznr__err(TZNR_EIO, "%s: %s: %s", o->path, what, strerror(e));
        unlink(o->tmp_path);
        out_clear(o);
        return rc;
    }
    sync_dir(o->path);
    out_clear(o);
    return TZNR_OK;
}

void tznr__out_abort(tznr__out *o)
{
    if (!o)
        return;
    if (o->is_stdout) {
        if (o->fp)
            (void)fflush(stdout);
    } else {
        if (o->fp)
            fclose(o->fp);
        if (o->tmp_path)
            unlink(o->tmp_path);
    }
    out_clear(o);
}
