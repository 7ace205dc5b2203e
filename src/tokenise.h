/* Internal: tokens of a formatted value, with clkhash semantics. */
#ifndef TZNR_SRC_TOKENISE_H
#define TZNR_SRC_TOKENISE_H
#include <stddef.h>
#include "tznr/common.h"
#include "schema_internal.h"

typedef struct tznr__tokens {
    char *buf;          /* all tokens, back to back (encoded bytes) */
    size_t *off;        /* token i is buf[off[i] .. off[i+1]) */
    size_t n;           /* number of tokens */
    size_t cap_buf, cap_off;
} tznr__tokens;

void tznr__tokens_init(tznr__tokens *t);
void tznr__tokens_free(tznr__tokens *t);
/* Replace t's contents with the tokens of `value` (formatted text) for feature f:
 *  ngram n (n-1 spaces of padding each end when n > 1; positional -> "i gram", 1-based),
 *  exact (one token), numeric (Vatsalan & Christen neighbourhood tokens). Empty value -> 0
 *  tokens. Tokens are encoded in f->encoding (ascii rejects non-ASCII: TZNR_EINPUT). */
tznr_error_t tznr__tokenise(tznr__tokens *t, const tznr__feature *f, const char *value, size_t len);
#endif
