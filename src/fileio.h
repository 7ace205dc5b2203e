/* Internal: whole-file reads with limits, atomic outputs (temp file + rename). */
#ifndef TZNR_SRC_FILEIO_H
#define TZNR_SRC_FILEIO_H
#include <stdio.h>
#include "tznr/common.h"
/* Read a whole file ("-" = stdin) into a malloc'd NUL-terminated buffer. Errors: TZNR_EIO
 * (detail names the file and errno text), TZNR_ELIMIT when larger than max_bytes. */
tznr_error_t tznr__read_file(const char *path, size_t max_bytes, char **out, size_t *out_len);

/* Atomic output. open: "-" writes to stdout directly; otherwise creates PATH.tmp.XXXXXX in
 * the destination directory (TZNR_EEXIST if path exists and !force). commit: flush, fsync,
 * close, rename. abort: close and unlink the temp file. Both are safe to call once. */
typedef struct tznr__out {
    FILE *fp;
    char *path;
    char *tmp_path;
    int is_stdout;
    int slot;          /* index in the registry of pending temporary files, or -1 */
} tznr__out;
tznr_error_t tznr__out_open(tznr__out *o, const char *path, int force);
tznr_error_t tznr__out_commit(tznr__out *o);
void tznr__out_abort(tznr__out *o);
#endif
