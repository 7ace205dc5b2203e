/* Internal: streaming writer of clkhash CLK JSON (the layout of tznr_clkset_write_json), so
 * the encoder can write CLKs as they are made, in bounded memory. */
#ifndef TZNR_SRC_CLKSET_INTERNAL_H
#define TZNR_SRC_CLKSET_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "tznr/common.h"
typedef struct tznr__clkjson tznr__clkjson;
/* Open path ("-" = standard output) through tznr__out_open: a temporary file renamed by
 * commit. filter_bytes: bytes per CLK. Errors: TZNR_EEXIST, TZNR_EIO, TZNR_ENOMEM. */
tznr_error_t tznr__clkjson_open(tznr__clkjson **out, const char *path, int force,
                                size_t filter_bytes);
/* Append n CLKs (n * filter_bytes bytes). TZNR_EIO on a write error (the writer must then
 * be aborted). */
tznr_error_t tznr__clkjson_write(tznr__clkjson *w, const uint8_t *clks, size_t n);
/* Finish the JSON, flush, fsync and rename; frees the writer whatever the outcome. */
tznr_error_t tznr__clkjson_commit(tznr__clkjson *w);
/* Drop everything written (the temporary file is removed); frees the writer. NULL ok. */
void tznr__clkjson_abort(tznr__clkjson *w);
#endif
