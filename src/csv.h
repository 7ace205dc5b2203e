/* Internal adapter: the only module that includes libcsv. Streaming RFC 4180 reader with
 * line numbers, BOM skipping, CRLF, strict quoting and limits. */
#ifndef TZNR_SRC_CSV_H
#define TZNR_SRC_CSV_H
#include <stddef.h>
#include "tznr/common.h"
typedef struct tznr__csv tznr__csv;
#define TZNR__CSV_MAX_FIELD_BYTES (1u << 20)
#define TZNR__CSV_MAX_FIELDS 4096
/* Open path ("-" = stdin). TZNR_EIO on failure. */
tznr_error_t tznr__csv_open(tznr__csv **out, const char *path);
void tznr__csv_close(tznr__csv *r);
/* Next record. Returns TZNR_OK with *got = 1 and the fields available through
 * tznr__csv_nfields/field, or *got = 0 at end of file. Errors: TZNR_EINPUT (malformed quoting,
 * with the line), TZNR_ELIMIT (field or field count over the limits), TZNR_EIO. The detail
 * names file and line. Field bytes are NUL-terminated and valid until the next call. Blank
 * lines are skipped. A UTF-8 BOM at the start of the file is skipped. */
tznr_error_t tznr__csv_next(tznr__csv *r, int *got);
size_t tznr__csv_nfields(const tznr__csv *r);
const char *tznr__csv_field(const tznr__csv *r, size_t i, size_t *len);
/* 1-based physical line where the current record starts. */
unsigned long tznr__csv_line(const tznr__csv *r);
const char *tznr__csv_path(const tznr__csv *r);   /* as given, "<stdin>" for "-" */
/* Fast path for whole quote-free lines (on by default); off = every line through libcsv
 * (for tests comparing the two). */
void tznr__csv_set_fast_path(tznr__csv *r, int on);
#endif
