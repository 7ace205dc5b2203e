/* Internal: quantities of a fitted model over a pattern table. */
#ifndef TZNR_SRC_FS_INTERNAL_H
#define TZNR_SRC_FS_INTERNAL_H
#include "tznr/fs.h"
/* Sum over patterns of count * posterior match probability (expected matches). */
tznr_error_t tznr__fs_expected_matches(const tznr_fs_model_t *model, const tznr_fs_patterns_t *p,
                                       double *out);
#endif
