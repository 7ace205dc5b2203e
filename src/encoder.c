/* Encoder: per-feature keys (HKDF), token -> bit positions (doubleHash / blakeHash),
 * CLK assembly, XOR folding; byte-for-byte compatible with clkhash 0.18.3.
 * Speed: per-thread, per-call memos (raw value -> the feature's bits, token -> bit
 * positions), bounded and wiped on free; a pool of threads parses and encodes chunks of rows
 * and commits them in input order, so the output never depends on the thread count. */
#include "tznr/encoder.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "alloc.h"
#include "clkset_internal.h"
#include "crypto.h"
#include "csv.h"
#include "derive.h"
#include "error.h"
#include "fileio.h"
#include "normalise.h"
#include "schema_internal.h"
#include "tokenise.h"
#include "unicode.h"

#define MAX_SECRET_FILE (64u * 1024u)
#define MAX_LISTED_ERRORS 50

typedef struct feature_keys {
    tznr__mac *sha1, *md5;      /* doubleHash */
    tznr__mac **blake;          /* blakeHash: one template per salt "0", "1", ... */
    size_t n_blake;
} feature_keys;

struct tznr_encoder {
    const tznr_schema_t *schema;
    size_t hash_bits;           /* L = l << xor_folds */
    size_t clk_bytes;
    feature_keys *keys;         /* one per feature; empty for ignored ones */
};

static void keys_free(feature_keys *k)
{
    tznr__mac_free(k->sha1);
    tznr__mac_free(k->md5);
    for (size_t j = 0; j < k->n_blake; j++)
        tznr__mac_free(k->blake[j]);
    tznr__free(k->blake);
    memset(k, 0, sizeof *k);
}

void tznr_encoder_free(tznr_encoder_t *enc)
{
    if (!enc)
        return;
    if (enc->keys)
        for (size_t i = 0; i < enc->schema->n_features; i++)
            keys_free(&enc->keys[i]);
    tznr__free(enc->keys);
    tznr__free(enc);
}

tznr_error_t tznr_secret_generate(char *out, size_t out_size)
{
    if (!out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (out_size < TZNR_SECRET_TEXT_SIZE)
        return tznr__err(TZNR_EBUFSIZE, "the buffer needs %d bytes", TZNR_SECRET_TEXT_SIZE);
    uint8_t raw[32];
    tznr_error_t rc = tznr__random_secret_bytes(raw, sizeof raw);
    if (!rc)
        tznr__base64_encode(out, raw, sizeof raw);
    tznr__cleanse(raw, sizeof raw);
    return rc;
}

tznr_error_t tznr_secret_generate_file(const char *path, int force)
{
    if (!path || strcmp(path, "-") == 0)
        return tznr__err(TZNR_EINVAL, "a key file path is required (a secret is never written "
                         "to standard output)");
    char text[TZNR_SECRET_TEXT_SIZE];
    tznr_error_t rc = tznr_secret_generate(text, sizeof text);
    if (rc)
        return rc;
    tznr__out o;
    rc = tznr__out_open(&o, path, force);
    if (!rc) {
        if (fputs(text, o.fp) < 0 || fputc('\n', o.fp) == EOF) {
            tznr__out_abort(&o);
            rc = tznr__err(TZNR_EIO, "%s: write failed", path);
        } else {
            rc = tznr__out_commit(&o);
        }
    }
    tznr__cleanse(text, sizeof text);
    return rc;
}

size_t tznr_encoder_clk_bytes(const tznr_encoder_t *enc) { return enc ? enc->clk_bytes : 0; }

static size_t max_k(const tznr__feature *f) { return f->strategy_value; }

tznr_error_t tznr_encoder_new(tznr_encoder_t **out, const tznr_schema_t *schema,
                              const uint8_t *secret, size_t secret_len)
{
    if (out)
        *out = NULL;
    if (!out || !schema || !secret)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (secret_len == 0)
        return tznr__err(TZNR_EINVAL, "the secret is empty");
    const size_t ks = schema->key_size, nf = schema->n_features;
    if (nf == 0 || ks == 0 || nf > SIZE_MAX / 2 / ks)
        return tznr__err(TZNR_EINVAL, "invalid schema key layout");
    const size_t okm_len = nf * 2 * ks;
    const size_t hash_len = schema->kdf_md == TZNR__MD_SHA512 ? 64 : 32;
    if (okm_len > 255 * hash_len)
        return tznr__err(TZNR_ESCHEMA,
                         "clkConfig.kdf: %zu features x 2 keys x %zu bytes = %zu bytes exceeds "
                         "HKDF's limit of %zu bytes (use a smaller keySize or SHA512)",
                         nf, ks, okm_len, 255 * hash_len);

    tznr_encoder_t *enc = tznr__calloc(1, sizeof *enc);
    uint8_t *okm = tznr__malloc(okm_len);
    tznr_error_t rc = TZNR_OK;
    if (!enc || !okm || !(enc->keys = tznr__calloc(nf, sizeof *enc->keys))) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto fail;
    }
    enc->schema = schema;
    enc->hash_bits = schema->l << schema->xor_folds;
    enc->clk_bytes = schema->l / 8;
    rc = tznr__hkdf(okm, okm_len, (tznr__md)schema->kdf_md, secret, secret_len,
                    schema->has_salt ? schema->salt : NULL, schema->salt_len,
                    schema->info, schema->info_len);
    if (rc)
        goto fail;
    for (size_t i = 0; i < nf && !rc; i++) {
        const tznr__feature *f = &schema->features[i];
        /* members of a linkage group share the first member's keys (docs/linkage.md) */
        const size_t ki = !f->ignored && f->group_first >= 0 ? (size_t)f->group_first : i;
        const uint8_t *key0 = okm + 2 * ki * ks, *key1 = okm + (2 * ki + 1) * ks;
        feature_keys *k = &enc->keys[i];
        if (f->ignored)
            continue;
        if (f->hash == TZNR__HASH_DOUBLE) {
            rc = tznr__mac_new(&k->sha1, TZNR__MAC_HMAC_SHA1, key0, ks, NULL, 0);
            if (!rc)
                rc = tznr__mac_new(&k->md5, TZNR__MAC_HMAC_MD5, key1, ks, NULL, 0);
        } else {
            if (ks > 64) {
                rc = tznr__err(TZNR_ESCHEMA, "features[%zu].hashing.hash: blakeHash needs "
                               "clkConfig.kdf.keySize <= 64 (got %zu)", i, ks);
                break;
            }
            if (enc->hash_bits > 65536 || (enc->hash_bits & (enc->hash_bits - 1))) {
                rc = tznr__err(TZNR_ESCHEMA, "features[%zu].hashing.hash: blakeHash needs a "
                               "hashing length (l << xor_folds) that is a power of two <= 65536", i);
                break;
            }
            k->n_blake = (max_k(f) + 31) / 32;
            k->blake = tznr__calloc(k->n_blake, sizeof *k->blake);
            if (!k->blake) {
                rc = tznr__err(TZNR_ENOMEM, "out of memory");
                break;
            }
            for (size_t j = 0; j < k->n_blake && !rc; j++) {
                char salt[24];
                int sl = snprintf(salt, sizeof salt, "%zu", j);
                rc = tznr__mac_new(&k->blake[j], TZNR__MAC_BLAKE2B512, key0, ks,
                                   (const uint8_t *)salt, (size_t)sl);
            }
        }
    }
    if (rc)
        goto fail;
    tznr__free_wiped(okm, okm_len);
    *out = enc;
    return TZNR_OK;
fail:
    tznr__free_wiped(okm, okm ? okm_len : 0);
    tznr_encoder_free(enc);
    return rc;
}

tznr_error_t tznr_encoder_new_from_secret_file(tznr_encoder_t **out, const tznr_schema_t *schema,
                                               const char *path)
{
    if (out)
        *out = NULL;
    if (!out || !schema || !path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    char *buf = NULL;
    size_t len = 0;
    tznr_error_t rc = tznr__read_file(path, MAX_SECRET_FILE, &buf, &len);
    if (rc)
        return rc;
    size_t cap = len + 1;
    if (len && buf[len - 1] == '\n') {
        len--;
        if (len && buf[len - 1] == '\r')
            len--;
    }
    size_t bad;
    if (len == 0)
        rc = tznr__err(TZNR_EINVAL, "%s: the secret file is empty", path);
    else if (!tznr__utf8_valid(buf, len, &bad))
        rc = tznr__err(TZNR_EINVAL, "%s: the secret is not valid UTF-8 (byte offset %zu)", path, bad);
    else if (memchr(buf, '\0', len))
        rc = tznr__err(TZNR_EINVAL, "%s: the secret contains a NUL byte", path);
    else
        rc = tznr_encoder_new(out, schema, (const uint8_t *)buf, len);
    tznr__free_wiped(buf, cap);
    return rc;
}

/* ---- the keyed PRF: token -> bit positions ------------------------------------------- */

/* big-endian byte string mod m, m < 2^40 */
static uint64_t be_mod(const uint8_t *d, size_t n, uint64_t m)
{
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++)
        r = ((r << 8) | d[i]) % m;
    return r;
}

static inline void set_bit(uint8_t *bits, uint64_t p)
{
    bits[p >> 3] |= (uint8_t)(0x80u >> (p & 7));
}

/* doubleHash (clkhash double_hash_encode_ngrams): h1 = HMAC-SHA1 mod L, h2 = HMAC-MD5 mod L,
 * with prevent_singularity's re-hashing of tok || utf8(chr(j)) while h2 == 0. */
static tznr_error_t prf_double(const tznr__feature *f, const feature_keys *k, const uint8_t *tok,
                               size_t tlen, uint64_t L, uint64_t *h1_out, uint64_t *h2_out)
{
    uint8_t d1[20], d2[16];
    tznr_error_t rc;
    if ((rc = tznr__mac_compute(k->sha1, tok, tlen, d1)) ||
        (rc = tznr__mac_compute(k->md5, tok, tlen, d2)))
        goto out;
    uint64_t h1 = be_mod(d1, sizeof d1, L), h2 = be_mod(d2, sizeof d2, L);
    if (f->prevent_singularity && h2 == 0) {
        /* clkhash: re-hash tok || utf8(chr(j)) for j = 0, 1, ... until h2 != 0 */
        uint8_t *m = tznr__malloc(tlen + 4);
        if (!m) {
            rc = tznr__err(TZNR_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(m, tok, tlen);
        for (uint32_t j = 0; h2 == 0 && j < 0x110000; j++) {
            size_t el;
            if (j < 0x80) {
                m[tlen] = (uint8_t)j;
                el = 1;
            } else if (j < 0x800) {
                m[tlen] = (uint8_t)(0xC0 | (j >> 6));
                m[tlen + 1] = (uint8_t)(0x80 | (j & 0x3F));
                el = 2;
            } else {
                if (j >= 0xD800 && j < 0xE000)
                    continue;   /* not encodable; never reached in practice */
                m[tlen] = (uint8_t)(0xE0 | (j >> 12));
                m[tlen + 1] = (uint8_t)(0x80 | ((j >> 6) & 0x3F));
                m[tlen + 2] = (uint8_t)(0x80 | (j & 0x3F));
                el = 3;
            }
            if ((rc = tznr__mac_compute(k->md5, m, tlen + el, d2))) {
                tznr__free_wiped(m, tlen + 4);
                goto out;
            }
            h2 = be_mod(d2, sizeof d2, L);
        }
        tznr__free_wiped(m, tlen + 4);
    }
    *h1_out = h1;
    *h2_out = h2;
out:
    tznr__cleanse(d1, sizeof d1);
    tznr__cleanse(d2, sizeof d2);
    return rc;
}

/* bits (h1 + i*h2) mod L for i < kk; h1, h2 < L <= 2^30 and kk <= 100000, so stepping and
 * subtracting L gives exactly clkhash's (h1 + i*h2) % L */
static void set_double(uint8_t *bits, uint64_t h1, uint64_t h2, size_t kk, uint64_t L)
{
    uint64_t p = h1;
    for (size_t i = 0; i < kk; i++) {
        set_bit(bits, p);
        p += h2;
        if (p >= L)
            p -= L;
    }
}

/* blakeHash (clkhash blake_encode_ngrams): digest j = keyed BLAKE2b-512 with salt str(j);
 * its 32 little-endian 16-bit words mod L (a power of two <= 65536) are 32 positions. */
static tznr_error_t prf_blake(const feature_keys *k, size_t j, const uint8_t *tok, size_t tlen,
                              uint32_t lmask, uint16_t out[32])
{
    uint8_t d[64];
    tznr_error_t rc = tznr__mac_compute(k->blake[j], tok, tlen, d);
    if (!rc)
        for (size_t w = 0; w < 32; w++)
            out[w] = (uint16_t)(((uint32_t)d[2 * w] | ((uint32_t)d[2 * w + 1] << 8)) & lmask);
    tznr__cleanse(d, sizeof d);
    return rc;
}

/* ---- memos ----------------------------------------------------------------------------
 * Two memos per encoded feature and per thread of a call: the token memo (token -> its bit
 * positions: h1, h2 for doubleHash, the 16-bit positions of the digests computed so far for
 * blakeHash) and the value memo (raw value -> the non-zero 64-bit words of the feature's
 * bits before folding). A memo is an open-addressing hash table (linear probing,
 * power-of-two size, load <= 1/2) whose entries (key bytes, then value) live in an arena of
 * blocks. XXH3 with a per-memo random seed only picks the slot, and every hit compares the
 * key bytes: the bits themselves always come from the keyed PRF. Everything a memo holds is
 * derived from personal data and the secret, so it is kept in memory only and wiped with
 * tznr__cleanse when freed (and when an entry is replaced). `limit` bounds table + arena
 * bytes: once reached the memo stops inserting (lookups go on). */

#define MEMO_MIN_SLOTS 256u
#define MEMO_BLOCK ((size_t)64 * 1024)
#define MEMO_KEY_MAX 1024u          /* longer keys are not memoised */
#define VALUE_MEMO_MAX_BITS 65536u  /* value memo only for hashing lengths up to this */

typedef struct memo_entry {
    uint32_t klen;      /* key bytes, stored right after this header */
    uint32_t n;         /* value items: positions (blake tokens) or words (values) */
    uint32_t voff;      /* value offset from the entry start (16-aligned) */
    uint32_t size;      /* bytes of the whole entry */
} memo_entry;

typedef struct memo_slot {
    uint64_t hash;      /* the key's hash; its top 4 bits replaced by the entry's size in
                           cache lines (at most 15), for prefetching */
    memo_entry *e;      /* NULL: empty slot */
} memo_slot;

#define HASH_BITS_MASK (~(uint64_t)0 >> 4)

typedef struct memo_block {
    struct memo_block *next;
    size_t size, used;  /* size: bytes after the header */
} memo_block;

typedef struct memo {
    memo_slot *slots;
    size_t cap, count;
    memo_block *blocks;
    size_t bytes, limit;
    int full;
    uint64_t seed;
} memo;

#define BLOCK_HDR ((sizeof(memo_block) + 15) & ~(size_t)15)

static inline const uint8_t *entry_key(const memo_entry *e) { return (const uint8_t *)(e + 1); }
static inline void *entry_val(memo_entry *e) { return (uint8_t *)e + e->voff; }

static void memo_free(memo *m)
{
    if (m->slots)
        tznr__free_wiped(m->slots, m->cap * sizeof *m->slots);
    for (memo_block *b = m->blocks, *nx; b; b = nx) {
        nx = b->next;
        tznr__free_wiped(b, BLOCK_HDR + b->size);
    }
    memset(m, 0, sizeof *m);
}

static inline uint64_t memo_hash(const memo *m, const void *key, size_t len)
{
    return XXH3_64bits_withSeed(key, len, m->seed) & HASH_BITS_MASK;
}

static inline unsigned slot_lines(const memo_slot *s) { return (unsigned)(s->hash >> 60); }

static inline int entry_is(const memo_entry *e, const void *key, size_t len)
{
    return e->klen == len && memcmp(entry_key(e), key, len) == 0;
}

/* the slot holding key, or the empty slot where it would go; m->cap > 0 */
static inline memo_slot *memo_find(const memo *m, const void *key, size_t len, uint64_t h)
{
    const size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        memo_slot *s = &m->slots[i];
        if (!s->e || ((s->hash & HASH_BITS_MASK) == h && entry_is(s->e, key, len)))
            return s;
    }
}

/* the first slot with hash h or the empty slot ending the probe (the key is not compared:
 * the caller checks it, after prefetching the entry) */
static inline memo_slot *memo_probe(const memo *m, uint64_t h)
{
    const size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        memo_slot *s = &m->slots[i];
        if (!s->e || (s->hash & HASH_BITS_MASK) == h)
            return s;
    }
}

/* lookup: NULL if absent (or the memo is empty) */
static inline memo_entry *memo_get(const memo *m, const void *key, size_t len, uint64_t h)
{
    if (!m->cap)
        return NULL;
    return memo_find(m, key, len, h)->e;
}

/* n bytes, 16-aligned, from the arena; NULL when over the limit or out of memory */
static void *memo_alloc(memo *m, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    memo_block *b = m->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > MEMO_BLOCK ? n : MEMO_BLOCK;
        if (m->bytes + BLOCK_HDR + size > m->limit) {
            size = n;   /* a last, smaller block */
            if (m->bytes + BLOCK_HDR + size > m->limit)
                return NULL;
        }
        b = tznr__malloc(BLOCK_HDR + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = m->blocks;
        m->blocks = b;
        m->bytes += BLOCK_HDR + size;
    }
    void *p = (uint8_t *)b + BLOCK_HDR + b->used;
    b->used += n;
    return p;
}

/* a new entry for key with val_bytes of value space (n = 0); NULL when the memo is full */
static memo_entry *entry_new(memo *m, const void *key, size_t len, size_t val_bytes)
{
    size_t voff = (sizeof(memo_entry) + len + 15) & ~(size_t)15;
    size_t size = voff + val_bytes;
    if (size > UINT32_MAX)
        return NULL;
    memo_entry *e = memo_alloc(m, size);
    if (!e) {
        m->full = 1;    /* what was allocated stays counted and is wiped on free */
        return NULL;
    }
    e->klen = (uint32_t)len;
    e->n = 0;
    e->voff = (uint32_t)voff;
    e->size = (uint32_t)size;
    if (len)
        memcpy((uint8_t *)(e + 1), key, len);
    return e;
}

/* make room for one more entry (grow the table at load 1/2); 0 if the memo is full */
static int memo_room(memo *m)
{
    if (m->full)
        return 0;
    if (2 * (m->count + 1) <= m->cap)
        return 1;
    size_t ncap = m->cap ? 2 * m->cap : MEMO_MIN_SLOTS;
    size_t nbytes = ncap * sizeof(memo_slot);
    if (m->bytes - m->cap * sizeof(memo_slot) + nbytes > m->limit) {
        m->full = 1;
        return 0;
    }
    memo_slot *ns = tznr__calloc(ncap, sizeof *ns);
    if (!ns) {
        m->full = 1;
        return 0;
    }
    for (size_t i = 0; i < m->cap; i++) {
        const memo_slot *s = &m->slots[i];
        if (!s->e)
            continue;
        size_t j = (size_t)(s->hash & HASH_BITS_MASK) & (ncap - 1);
        while (ns[j].e)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    if (m->slots)
        tznr__free_wiped(m->slots, m->cap * sizeof *m->slots);
    m->bytes = m->bytes - m->cap * sizeof(memo_slot) + nbytes;
    m->slots = ns;
    m->cap = ncap;
    return 1;
}

/* insert a new key (not present) with val_bytes of value space; returns the entry (value to
 * be filled by the caller) or NULL if the memo is full */
static memo_entry *memo_insert(memo *m, const void *key, size_t len, uint64_t h, size_t val_bytes)
{
    if (len > MEMO_KEY_MAX || !memo_room(m))
        return NULL;
    memo_entry *e = entry_new(m, key, len, val_bytes);
    if (!e)
        return NULL;
    memo_slot *s = memo_find(m, key, len, h);
    s->hash = h;
    s->e = e;
    m->count++;
    return e;
}

/* record in key's slot how many cache lines its entry spans (from its start) */
static void memo_set_lines(memo *m, const void *key, size_t len, uint64_t h,
                           const memo_entry *e)
{
    memo_slot *s = memo_find(m, key, len, h);
    size_t used = e->voff + (size_t)e->n * 10;
    size_t lines = ((uintptr_t)e % 64 + used + 63) / 64;
    s->hash = h | ((uint64_t)(lines > 15 ? 15 : lines) << 60);
}

/* replace key's entry by one with val_bytes of value space (the old value is copied, the old
 * entry wiped; its space stays counted); NULL if the memo is full */
static memo_entry *memo_regrow(memo *m, const void *key, size_t len, uint64_t h, size_t val_bytes)
{
    memo_slot *s = memo_find(m, key, len, h);
    memo_entry *old = s->e, *e = entry_new(m, key, len, val_bytes);
    if (!e)
        return NULL;
    size_t old_bytes = old->size - old->voff;
    memcpy(entry_val(e), entry_val(old), old_bytes < val_bytes ? old_bytes : val_bytes);
    e->n = old->n;
    s->e = e;
    tznr__cleanse(old, old->size);
    return e;
}

/* ---- per-thread working state ------------------------------------------------------- */

#define PIPE_RING 5             /* rows in flight in encode_chunk: PIPE_SLOTS + 1 */

typedef struct wctx {
    const tznr_encoder_t *enc;
    memo *vmemo;            /* per feature; NULL = no value memo */
    memo *tmemo;            /* per feature; NULL = no token memo */
    tznr__tokens toks;
    uint8_t *bits;          /* hash_bits/8, one record */
    uint8_t *scratch;       /* hash_bits/8, one feature (value memo misses) */
    uint16_t *pos;          /* positions of one blake token: max n_blake * 32 */
    size_t pos_cap;
    uint64_t *wmask;        /* value memo miss: non-zero words of scratch */
    uint16_t *widx;         /* ... and their indices (hash_bits <= 65536: < 1024 words) */
    uint64_t *vh;           /* per feature: value hashes (value memo) */
    /* the rows in flight in the chunk encoder's pipeline: values, lengths, value hashes */
    const char **ring_vals[PIPE_RING];
    size_t *ring_lens[PIPE_RING];
    uint64_t *ring_vh[PIPE_RING];
} wctx;

static void wctx_free(wctx *w)
{
    if (!w)
        return;
    const tznr_schema_t *s = w->enc->schema;
    const size_t hb = w->enc->hash_bits / 8;
    for (size_t i = 0; i < s->n_features; i++) {
        if (w->vmemo)
            memo_free(&w->vmemo[i]);
        if (w->tmemo)
            memo_free(&w->tmemo[i]);
    }
    tznr__free(w->vmemo);
    tznr__free(w->tmemo);
    tznr__tokens_free(&w->toks);
    tznr__free_wiped(w->bits, w->bits ? hb : 0);
    tznr__free_wiped(w->scratch, w->scratch ? hb : 0);
    tznr__free_wiped(w->pos, w->pos ? w->pos_cap * sizeof *w->pos : 0);
    tznr__free_wiped(w->wmask, w->wmask ? (hb / 8 + 1) * sizeof *w->wmask : 0);
    tznr__free_wiped(w->widx, w->widx ? (hb / 8 + 1) * sizeof *w->widx : 0);
    tznr__free_wiped(w->vh, w->vh ? s->n_features * sizeof *w->vh : 0);
    for (int k = 0; k < PIPE_RING; k++) {
        tznr__free(w->ring_vals[k]);
        tznr__free(w->ring_lens[k]);
        tznr__free_wiped(w->ring_vh[k], w->ring_vh[k] ? s->n_features * sizeof(uint64_t) : 0);
    }
    tznr__free(w);
}

static tznr_error_t wctx_new(wctx **out, const tznr_encoder_t *enc, tznr_memo_mode mode,
                             size_t limit)
{
    *out = NULL;
    const tznr_schema_t *s = enc->schema;
    const size_t nf = s->n_features, hb = enc->hash_bits / 8;
    wctx *w = tznr__calloc(1, sizeof *w);
    if (!w)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    w->enc = enc;
    tznr__tokens_init(&w->toks);
    size_t encoded = 0, max_blake = 0;
    for (size_t i = 0; i < nf; i++) {
        const tznr__feature *f = &s->features[i];
        if (f->ignored)
            continue;
        encoded++;
        if (f->hash == TZNR__HASH_BLAKE && enc->keys[i].n_blake > max_blake)
            max_blake = enc->keys[i].n_blake;
    }
    int value_memo = mode == TZNR_MEMO_ALL && enc->hash_bits <= VALUE_MEMO_MAX_BITS;
    w->pos_cap = max_blake * 32;
    w->bits = tznr__calloc(1, hb);
    w->pos = tznr__calloc(w->pos_cap ? w->pos_cap : 1, sizeof *w->pos);
    int ok = w->bits && w->pos;
    for (int r = 0; ok && r < PIPE_RING; r++)
        ok = (w->ring_vals[r] = tznr__calloc(nf, sizeof **w->ring_vals)) &&
             (w->ring_lens[r] = tznr__calloc(nf, sizeof **w->ring_lens)) &&
             (w->ring_vh[r] = tznr__calloc(nf, sizeof **w->ring_vh));
    if (ok && mode != TZNR_MEMO_OFF) {
        uint64_t seed = 0;
        tznr_error_t rc = tznr__random_secret_bytes((uint8_t *)&seed, sizeof seed);
        if (rc) {
            wctx_free(w);
            return rc;
        }
        size_t per = limit / (encoded ? encoded : 1) / (value_memo ? 2 : 1);
        ok = (w->tmemo = tznr__calloc(nf, sizeof *w->tmemo)) != NULL;
        if (ok && value_memo)
            ok = (w->vmemo = tznr__calloc(nf, sizeof *w->vmemo)) &&
                 (w->vh = tznr__calloc(nf, sizeof *w->vh)) &&
                 (w->scratch = tznr__calloc(1, hb)) &&
                 (w->wmask = tznr__calloc(hb / 8 + 1, sizeof *w->wmask)) &&
                 (w->widx = tznr__calloc(hb / 8 + 1, sizeof *w->widx));
        for (size_t i = 0; ok && i < nf; i++) {
            w->tmemo[i].limit = per;
            w->tmemo[i].seed = seed + 2 * i;
            if (w->vmemo) {
                w->vmemo[i].limit = per;
                w->vmemo[i].seed = seed + 2 * i + 1;
            }
        }
    }
    if (!ok) {
        wctx_free(w);
        return tznr__err(TZNR_ENOMEM, "out of memory");
    }
    *out = w;
    return TZNR_OK;
}

/* the kk positions of one token OR-ed into bits, through the token memo when there is one */
static tznr_error_t encode_token(wctx *w, size_t fi, const uint8_t *tok, size_t tlen, size_t kk,
                                 uint8_t *bits)
{
    const tznr_encoder_t *enc = w->enc;
    const tznr__feature *f = &enc->schema->features[fi];
    const feature_keys *k = &enc->keys[fi];
    const uint64_t L = enc->hash_bits;
    memo *m = w->tmemo ? &w->tmemo[fi] : NULL;
    uint64_t h = 0;
    memo_entry *e = NULL;
    tznr_error_t rc;
    if (m) {
        h = memo_hash(m, tok, tlen);
        e = memo_get(m, tok, tlen, h);
    }
    if (f->hash == TZNR__HASH_DOUBLE) {
        uint64_t h1 = 0, h2 = 0;
        if (e) {
            const uint64_t *v = entry_val(e);
            h1 = v[0];
            h2 = v[1];
        } else {
            if ((rc = prf_double(f, k, tok, tlen, L, &h1, &h2)))
                return rc;
            if (m && (e = memo_insert(m, tok, tlen, h, 2 * sizeof(uint64_t)))) {
                uint64_t *v = entry_val(e);
                v[0] = h1;
                v[1] = h2;
            }
        }
        set_double(bits, h1, h2, kk, L);
        return TZNR_OK;
    }
    const uint32_t lmask = (uint32_t)(L - 1);
    const uint16_t *pos;
    if (e && e->n >= kk) {
        pos = entry_val(e);
    } else {
        /* compute the missing digests; a known token only lacks the later ones */
        const size_t need = (kk + 31) / 32, have = e ? e->n / 32 : 0;
        if (have)
            memcpy(w->pos, entry_val(e), have * 32 * sizeof *w->pos);
        for (size_t j = have; j < need; j++)
            if ((rc = prf_blake(k, j, tok, tlen, lmask, w->pos + 32 * j)))
                return rc;
        if (m) {
            const size_t vb = need * 32 * sizeof(uint16_t);
            e = e ? memo_regrow(m, tok, tlen, h, vb) : memo_insert(m, tok, tlen, h, vb);
            if (e) {
                memcpy(entry_val(e), w->pos, vb);
                e->n = (uint32_t)(need * 32);
            }
        }
        pos = w->pos;
    }
    for (size_t i = 0; i < kk; i++)
        set_bit(bits, pos[i]);
    return TZNR_OK;
}

/* OR n 64-bit words (mask[i] at word idx[i]) into bits */
static inline void or_words(uint8_t *bits, const uint64_t *mask, const uint16_t *idx, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x;
        memcpy(&x, bits + 8 * (size_t)idx[i], 8);
        x |= mask[i];
        memcpy(bits + 8 * (size_t)idx[i], &x, 8);
    }
}

/* OR a value memo entry (n non-zero words: n masks, then n word indices) into bits */
static inline void apply_words(uint8_t *bits, memo_entry *e)
{
    const uint64_t *mask = entry_val(e);
    or_words(bits, mask, (const uint16_t *)(mask + e->n), e->n);
}

/* Value memo lookups are staged so that their cache misses overlap: the chunk encoders
 * hash a row's values and prefetch their slots two rows ahead (value_hashes), probe the
 * slots and prefetch the entries one row ahead (value_probe), and encode_rec finds
 * everything in cache. Prefetching is only a hint: encode_rec looks every value up again. */
static void value_hashes(const wctx *w, uint64_t *vh, const char *const *values,
                         const size_t *lens, int prefetch)
{
    const tznr_schema_t *s = w->enc->schema;
    for (size_t i = 0; i < s->n_features; i++) {
        if (s->features[i].ignored || s->features[i].derive || lens[i] > MEMO_KEY_MAX)
            continue;
        const memo *vm = &w->vmemo[i];
        vh[i] = memo_hash(vm, values[i] ? values[i] : "", lens[i]);
        if (prefetch && vm->cap)
            __builtin_prefetch(&vm->slots[(size_t)vh[i] & (vm->cap - 1)]);
    }
}

static void value_probe(const wctx *w, const uint64_t *vh, const size_t *lens)
{
    const tznr_schema_t *s = w->enc->schema;
    for (size_t i = 0; i < s->n_features; i++) {
        if (s->features[i].ignored || s->features[i].derive || lens[i] > MEMO_KEY_MAX ||
            !w->vmemo[i].cap)
            continue;
        const memo_slot *sl = memo_probe(&w->vmemo[i], vh[i]);
        if (sl->e) {
            const uint8_t *e = (const uint8_t *)((uintptr_t)sl->e & ~(uintptr_t)63);
            for (unsigned l = 0, n = slot_lines(sl); l < n; l++)
                __builtin_prefetch(e + 64 * l);
        }
    }
}

/* the n tokens in w->toks of feature fi, OR-ed into target */
static tznr_error_t encode_tokens(wctx *w, size_t fi, size_t n, uint8_t *target)
{
    const tznr__feature *f = &w->enc->schema->features[fi];
    const size_t B = f->strategy_value;
    const tznr__tokens *toks = &w->toks;
    for (size_t t = 0; t < n; t++) {
        size_t kk = B;
        if (f->strategy == TZNR__STRAT_BITS_PER_FEATURE)
            kk = B / n + (t < B % n ? 1 : 0);
        if (kk == 0)
            continue;
        tznr_error_t rc = encode_token(w, fi, (const uint8_t *)toks->buf + toks->off[t],
                                       toks->off[t + 1] - toks->off[t], kk, target);
        if (rc)
            return rc;
    }
    return TZNR_OK;
}

/* A value memo miss: w->scratch holds the feature's bits; store its non-zero words under
 * key (hash h) in vm, OR them into bits, and wipe the scratch copies. */
static void value_memo_store(wctx *w, memo *vm, const char *key, size_t klen, uint64_t h,
                             uint8_t *bits)
{
    const size_t hb = w->enc->hash_bits / 8;
    uint8_t *target = w->scratch;
    uint32_t nw = 0;
    for (size_t wi = 0; wi < hb / 8; wi++) {
        uint64_t x;
        memcpy(&x, target + 8 * wi, 8);
        if (x) {
            w->wmask[nw] = x;
            w->widx[nw++] = (uint16_t)wi;
        }
    }
    memo_entry *ve = memo_insert(vm, key, klen, h, (size_t)nw * 10);
    if (ve) {
        memcpy(entry_val(ve), w->wmask, (size_t)nw * 8);
        memcpy((uint64_t *)entry_val(ve) + nw, w->widx, (size_t)nw * 2);
        ve->n = nw;
        memo_set_lines(vm, key, klen, h, ve);
    }
    or_words(bits, w->wmask, w->widx, nw);
    tznr__cleanse(target, hb);
    tznr__cleanse(w->wmask, (size_t)nw * 8);
}

/* A feature with `derive` (src/derive.h): its value is derived from several columns of the
 * row, so the value memo is keyed on the derived value ("QUALIFIER|CODE", after the history
 * mapping), never on the raw code: one raw code gives different bits under different
 * qualifiers or dates. */
static tznr_error_t encode_derived(wctx *w, size_t fi, const char *const *values,
                                   const size_t *lens, uint8_t *bits)
{
    const tznr_encoder_t *enc = w->enc;
    const tznr__feature *f = &enc->schema->features[fi];
    const size_t hb = enc->hash_bits / 8;
    size_t bad;
    if (!tznr__utf8_valid(values[fi] ? values[fi] : "", lens[fi], &bad))
        return tznr__err(TZNR_EINPUT, "column '%s': invalid UTF-8 at byte %zu of the value",
                         f->name, bad);
    char *val = NULL;
    size_t vlen = 0;
    int missing = 0;
    tznr_error_t rc = tznr__derive_value(enc->schema, fi, values, lens, &val, &vlen, &missing);
    if (rc || !val)
        return rc;
    memo *vm = w->vmemo && vlen <= MEMO_KEY_MAX ? &w->vmemo[fi] : NULL;
    uint64_t h = 0;
    if (vm) {
        h = memo_hash(vm, val, vlen);
        memo_entry *ve = memo_get(vm, val, vlen, h);
        if (ve) {
            apply_words(bits, ve);
            tznr__free_wiped(val, vlen + 1);
            return TZNR_OK;
        }
        if (vm->full)
            vm = NULL;
    }
    rc = tznr__tokenise(&w->toks, f, val, vlen);
    if (rc) {
        if (rc == TZNR_EINPUT)
            tznr__err_prefix("column '%s'", f->name);
    } else {
        uint8_t *target = bits;
        if (vm) {
            target = w->scratch;
            memset(target, 0, hb);
        }
        rc = encode_tokens(w, fi, w->toks.n, target);
        if (!rc && vm)
            value_memo_store(w, vm, val, vlen, h, bits);
        if (rc && vm)
            tznr__cleanse(target, hb);
    }
    tznr__free_wiped(val, vlen + 1);
    return rc;
}

/* Encode one record into w->bits (hash_bits/8 bytes, zeroed here). On EINPUT the detail is
 * "column 'NAME': RULE". With a value memo, a raw value seen before (and therefore valid:
 * only values that encoded successfully are stored) gets its bits straight from the memo;
 * validation, formatting and tokenisation depend on the raw bytes alone, so this is exact.
 * vh: the value hashes from value_hashes(), or NULL to compute them here. */
static tznr_error_t encode_rec(wctx *w, const uint64_t *vh, const char *const *values,
                               const size_t *lens)
{
    const tznr_encoder_t *enc = w->enc;
    const tznr_schema_t *s = enc->schema;
    const size_t hb = enc->hash_bits / 8, nf = s->n_features;
    uint8_t *bits = w->bits;
    memset(bits, 0, hb);
    size_t nonempty = 0, encoded = 0;
    for (size_t i = 0; i < nf; i++) {
        if (!s->features[i].ignored) {
            encoded++;
            nonempty += lens[i] != 0;
        }
    }
    if (encoded && nonempty == 0)
        return tznr__err(TZNR_EINPUT, "every encoded field is empty (an empty record would "
                         "get an empty CLK and match nothing)");
    if (w->vmemo && !vh) {
        value_hashes(w, w->vh, values, lens, 0);
        vh = w->vh;
    }
    for (size_t i = 0; i < nf; i++) {
        const tznr__feature *f = &s->features[i];
        if (f->ignored)
            continue;
        if (f->derive) {
            tznr_error_t rc = encode_derived(w, i, values, lens, bits);
            if (rc)
                return rc;
            continue;
        }
        const char *raw = values[i] ? values[i] : "";
        size_t rlen = lens[i], bad;
        memo *vm = w->vmemo && rlen <= MEMO_KEY_MAX ? &w->vmemo[i] : NULL;
        if (vm) {
            memo_entry *ve = memo_get(vm, raw, rlen, vh[i]);
            if (ve) {
                apply_words(bits, ve);
                continue;
            }
            if (vm->full)
                vm = NULL;
        }
        if (!tznr__utf8_valid(raw, rlen, &bad))
            return tznr__err(TZNR_EINPUT, "column '%s': invalid UTF-8 at byte %zu of the value",
                             f->name, bad);
        char *val = NULL;
        size_t vlen = 0;
        int missing = 0;
        tznr_error_t rc = tznr__normalise(f, raw, rlen, &val, &vlen, &missing);
        if (rc)
            return rc;
        size_t n = 0;
        if (!missing && val) {
            rc = tznr__tokenise(&w->toks, f, val, vlen);
            tznr__free_wiped(val, vlen + 1);
            if (rc) {
                if (rc == TZNR_EINPUT)
                    tznr__err_prefix("column '%s'", f->name);
                return rc;
            }
            n = w->toks.n;
        } else {
            tznr__free(val);
        }
        uint8_t *target = bits;
        if (vm) {
            target = w->scratch;
            memset(target, 0, hb);
        }
        if ((rc = encode_tokens(w, i, n, target)))
            return rc;
        if (vm)
            value_memo_store(w, vm, raw, rlen, vh[i], bits);
    }
    /* The same rule after sentinels, normalisation and derivation: a value that is present
     * sets at least one bit (k >= 1 for every token), so bits all zero (before folding, which
     * could cancel them) means every encoded field was missing. */
    if (encoded) {
        size_t k = 0;
        while (k < hb && bits[k] == 0)
            k++;
        if (k == hb)
            return tznr__err(TZNR_EINPUT, "every encoded field is empty or missing after "
                             "sentinels and normalisation (an empty record would get an empty "
                             "CLK and match nothing)");
    }
    return TZNR_OK;
}

/* XOR-fold `bits` (hash_bits/8 bytes) xor_folds times into clk (l/8 bytes). */
static void fold(const tznr_encoder_t *enc, uint8_t *bits, uint8_t *clk)
{
    size_t nbytes = enc->hash_bits / 8;
    for (unsigned r = 0; r < enc->schema->xor_folds; r++) {
        nbytes /= 2;
        for (size_t i = 0; i < nbytes; i++)
            bits[i] ^= bits[i + nbytes];
    }
    memcpy(clk, bits, enc->clk_bytes);
}

tznr_error_t tznr_encoder_encode_record(const tznr_encoder_t *enc, const char *const *values,
                                        const size_t *value_lens, size_t n_values,
                                        uint8_t *clk, size_t clk_len)
{
    if (!enc || !values || !value_lens || !clk)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (n_values != enc->schema->n_features)
        return tznr__err(TZNR_EINVAL, "expected %zu values (one per schema feature), got %zu",
                         enc->schema->n_features, n_values);
    if (clk_len != enc->clk_bytes)
        return tznr__err(TZNR_EBUFSIZE, "CLK buffer is %zu bytes, expected %zu", clk_len,
                         enc->clk_bytes);
    for (size_t i = 0; i < n_values; i++)
        if (!values[i] && value_lens[i])
            return tznr__err(TZNR_EINVAL, "value %zu is NULL with a non-zero length", i);
    wctx *w;
    tznr_error_t rc = wctx_new(&w, enc, TZNR_MEMO_OFF, 0);
    if (rc)
        return rc;
    rc = encode_rec(w, NULL, values, value_lens);
    if (rc)
        memset(clk, 0, clk_len);
    else
        fold(enc, w->bits, clk);
    wctx_free(w);
    return rc;
}

/* ---- error lists ---------------------------------------------------------------------- */

typedef struct err_list {
    char *text;
    size_t len, cap, count, listed;
} err_list;

static void err_add(err_list *e, const char *line)
{
    e->count++;
    if (e->listed >= MAX_LISTED_ERRORS)
        return;
    size_t n = strlen(line);
    if (e->len + n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1024;
        while (cap < e->len + n + 2)
            cap *= 2;
        char *t = tznr__realloc(e->text, cap);
        if (!t)
            return;
        e->text = t;
        e->cap = cap;
    }
    memcpy(e->text + e->len, line, n);
    e->len += n;
    e->text[e->len++] = '\n';
    e->text[e->len] = '\0';
    e->listed++;
}

/* append chunk list `from` (its first lines, its count) to `to`, in order */
static void err_merge(err_list *to, const err_list *from)
{
    const char *p = from->text;
    for (size_t i = 0; i < from->listed; i++) {
        const char *nl = strchr(p, '\n');
        char line[1100];
        size_t n = (size_t)(nl - p);
        if (n >= sizeof line)
            n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
        err_add(to, line);
        p = nl + 1;
    }
    to->count += from->count - from->listed;
}

static void err_reset(err_list *e)
{
    e->len = e->count = e->listed = 0;
    if (e->text)
        e->text[0] = '\0';
}

/* ---- the chunk runner: parallel encoding, in-order commit ----------------------------
 * Every thread (the caller included) loops: commit the chunks that are done, in order; fill
 * the next chunk from the source (one thread at a time: CSV parsing is sequential); or
 * encode a filled chunk. A bounded pool of chunks keeps the input memory bounded. Fatal
 * errors are recorded in their chunk and reported when the commit reaches it, so the first
 * error in input order wins whatever the thread timing. */

#define CHUNK_ROWS 2048u
#define CHUNK_BYTES ((size_t)4 << 20)
#define MAX_THREADS 256u

enum { CH_FREE, CH_FILLED, CH_RUNNING, CH_DONE };

typedef struct chunk {
    int state;
    size_t seq, first, n;
    /* CSV: the schema columns of each row, copied out of the parser */
    char *arena;
    size_t arena_len, arena_cap;
    size_t *voff, *vlen;        /* n * n_features */
    unsigned long *line;        /* n */
    size_t *nfields;            /* n: fields found (row error if != header's) */
    size_t rows_cap;
    uint8_t *clks;              /* CSV: CHUNK_ROWS CLKs */
    /* results */
    err_list errs;
    tznr_error_t rc;            /* fatal error while encoding this chunk */
    char *msg;
    tznr_error_t fill_rc;       /* the source failed right after this chunk's rows */
    char *fill_msg;
} chunk;

typedef struct runner runner;
struct runner {
    const tznr_encoder_t *enc;
    unsigned threads;
    tznr_memo_mode memo;
    size_t memo_bytes;          /* for the whole call: each thread gets its share */
    tznr_progress_fn progress;
    void *progress_user;
    uint64_t total;

    tznr_error_t (*fill)(runner *, chunk *);
    void (*encode)(runner *, wctx *, chunk *);
    tznr_error_t (*commit)(runner *, chunk *);

    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk *pool;
    size_t npool, next_seq, commit_seq, filled;
    int filling, committing, source_done, stop;
    int src_eof;                /* set by fill(), read by the filling thread only */
    uint64_t committed;
    tznr_error_t rc;
    char *msg;
    err_list errs;

    /* batch source */
    const char *buf;
    const size_t *offsets;
    size_t n_records, next_record;
    uint8_t *out_clks;

    /* CSV source */
    tznr__csv *csv;
    const char *file;
    const size_t *col;
    size_t ncols;
    tznr_clkset_t *set;         /* CLKs go to the set ... */
    tznr__clkjson *json;        /* ... or straight to a JSON file */
};

static char *dup_msg(void)
{
    const char *m = tznr_last_error_message();
    return tznr__strndup(m, strlen(m));
}

static void chunk_free(runner *r, chunk *c)
{
    tznr__free_wiped(c->arena, c->arena_cap);
    tznr__free(c->voff);
    tznr__free(c->vlen);
    tznr__free(c->line);
    tznr__free(c->nfields);
    if (c->clks)
        tznr__free_wiped(c->clks, (size_t)CHUNK_ROWS * r->enc->clk_bytes);
    tznr__free(c->errs.text);
    tznr__free(c->msg);
    tznr__free(c->fill_msg);
    memset(c, 0, sizeof *c);
}

static void set_fatal(runner *r, tznr_error_t rc, char *msg)
{
    if (!r->rc) {
        r->rc = rc;
        r->msg = msg;
    } else {
        tznr__free(msg);
    }
    r->stop = 1;
}

static void set_cancelled(runner *r)
{
    tznr_error_t rc = tznr__err(TZNR_ESTATE, "cancelled by the progress callback");
    set_fatal(r, rc, dup_msg());   /* after tznr__err: argument order is unspecified */
}

/* under the lock: commit the done chunks that are next in order. One thread commits at a
 * time (r->committing); it releases the lock while it writes, so the others go on encoding. */
static void commit_ready(runner *r)
{
    while (!r->committing && !r->stop) {
        chunk *c = NULL;
        for (size_t i = 0; i < r->npool; i++)
            if (r->pool[i].state == CH_DONE && r->pool[i].seq == r->commit_seq)
                c = &r->pool[i];
        if (!c)
            return;
        if (c->rc) {
            set_fatal(r, c->rc, c->msg);
            c->msg = NULL;
            return;
        }
        r->committing = 1;
        pthread_mutex_unlock(&r->mu);
        err_merge(&r->errs, &c->errs);      /* r->errs: the committing thread's only */
        tznr_error_t rc = r->commit ? r->commit(r, c) : TZNR_OK;
        char *msg = rc ? dup_msg() : NULL;
        pthread_mutex_lock(&r->mu);
        r->committing = 0;
        pthread_cond_broadcast(&r->cv);
        if (rc) {
            set_fatal(r, rc, msg);
            return;
        }
        if (c->fill_rc) {
            set_fatal(r, c->fill_rc, c->fill_msg);
            c->fill_msg = NULL;
            return;
        }
        r->committed += c->n;
        r->commit_seq++;
        c->state = CH_FREE;
        err_reset(&c->errs);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct worker_arg {
    runner *r;
    pthread_t tid;
    int started;
} worker_arg;

static void run_worker(runner *r, int is_caller)
{
    wctx *w = NULL;
    tznr_error_t wrc = wctx_new(&w, r->enc, r->memo, r->memo_bytes / r->threads);
    double last = -1.0;         /* the first progress report comes at once */
    pthread_mutex_lock(&r->mu);
    if (wrc)
        set_fatal(r, wrc, dup_msg());
    for (;;) {
        if (is_caller && r->progress && !r->stop) {
            double t = now_s();
            if (t - last >= 0.25) {
                last = t;
                uint64_t done = r->committed;
                pthread_mutex_unlock(&r->mu);
                int cancel = r->progress(done, r->total, r->progress_user);
                pthread_mutex_lock(&r->mu);
                if (cancel)
                    set_cancelled(r);
            }
        }
        commit_ready(r);
        if (r->stop || (r->source_done && r->commit_seq == r->next_seq))
            break;
        chunk *free_c = NULL, *filled_c = NULL;
        for (size_t i = 0; i < r->npool; i++) {
            chunk *c = &r->pool[i];
            if (c->state == CH_FREE && !free_c)
                free_c = c;
            else if (c->state == CH_FILLED && (!filled_c || c->seq < filled_c->seq))
                filled_c = c;
        }
        int can_fill = !r->filling && !r->source_done && free_c;
        if (can_fill && (!filled_c || r->filled < r->threads)) {
            r->filling = 1;
            free_c->state = CH_RUNNING;
            pthread_mutex_unlock(&r->mu);
            free_c->n = 0;
            free_c->rc = free_c->fill_rc = TZNR_OK;
            tznr_error_t rc = r->fill(r, free_c);
            pthread_mutex_lock(&r->mu);
            r->filling = 0;
            if (r->src_eof)
                r->source_done = 1;
            if (rc) {
                free_c->fill_rc = rc;
                free_c->fill_msg = dup_msg();
                r->source_done = 1;
            }
            if (free_c->n || free_c->fill_rc) {
                free_c->seq = r->next_seq++;
                free_c->state = CH_FILLED;
                r->filled++;
            } else {
                r->source_done = 1;
                free_c->state = CH_FREE;
            }
            pthread_cond_broadcast(&r->cv);
        } else if (filled_c) {
            filled_c->state = CH_RUNNING;
            r->filled--;
            pthread_mutex_unlock(&r->mu);
            filled_c->rc = TZNR_OK;
            if (w)
                r->encode(r, w, filled_c);
            pthread_mutex_lock(&r->mu);
            filled_c->state = CH_DONE;
            pthread_cond_broadcast(&r->cv);
        } else if (is_caller && r->progress) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        } else {
            pthread_cond_wait(&r->cv, &r->mu);
        }
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    wctx_free(w);
}

static void *worker_main(void *arg)
{
    run_worker(((worker_arg *)arg)->r, 0);
    return NULL;
}

static unsigned resolve_threads(unsigned requested)
{
    if (requested == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        requested = n > 0 ? (unsigned)n : 1;
    }
    return requested > MAX_THREADS ? MAX_THREADS : requested;
}

/* Run the pool. On return the detail (on the calling thread) describes r->rc. */
static tznr_error_t run(runner *r, size_t max_chunks_needed)
{
    if (r->threads > max_chunks_needed)
        r->threads = max_chunks_needed ? (unsigned)max_chunks_needed : 1;
    r->npool = 2 * (size_t)r->threads + 1;
    r->pool = tznr__calloc(r->npool, sizeof *r->pool);
    if (!r->pool)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    worker_arg *wa = NULL;
    if (r->threads > 1) {
        wa = tznr__calloc(r->threads - 1, sizeof *wa);
        if (!wa)
            r->threads = 1;
    }
    for (unsigned t = 0; t + 1 < r->threads; t++) {
        wa[t].r = r;
        wa[t].started = pthread_create(&wa[t].tid, NULL, worker_main, &wa[t]) == 0;
    }
    run_worker(r, 1);
    for (unsigned t = 0; t + 1 < r->threads; t++)
        if (wa[t].started)
            pthread_join(wa[t].tid, NULL);
    tznr__free(wa);
    /* every worker has left: a last progress report, with the final count */
    if (!r->rc && r->progress && r->progress(r->committed, r->total, r->progress_user))
        set_cancelled(r);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    for (size_t i = 0; i < r->npool; i++)
        chunk_free(r, &r->pool[i]);
    tznr__free(r->pool);
    r->pool = NULL;
    tznr_error_t rc = r->rc;
    if (rc)
        tznr__err(rc, "%s", r->msg ? r->msg : tznr_strerror(rc));
    tznr__free(r->msg);
    r->msg = NULL;
    return rc;
}

static tznr_error_t runner_init(runner *r, const tznr_encoder_t *enc,
                                const tznr_encode_options *opts)
{
    memset(r, 0, sizeof *r);
    tznr_encode_options def;
    tznr_encode_options_init(&def);
    if (!opts)
        opts = &def;
    if (opts->size != sizeof *opts)
        return tznr__err(TZNR_EINVAL, "the options were not initialised with "
                         "tznr_encode_options_init()");
    if (opts->memo != TZNR_MEMO_ALL && opts->memo != TZNR_MEMO_TOKENS &&
        opts->memo != TZNR_MEMO_OFF)
        return tznr__err(TZNR_EINVAL, "unknown memo mode %d", (int)opts->memo);
    r->enc = enc;
    r->threads = resolve_threads(opts->threads);
    r->memo = opts->memo;
    r->memo_bytes = opts->memo_max_bytes ? opts->memo_max_bytes : TZNR_MEMO_DEFAULT_BYTES;
    r->progress = opts->progress;
    r->progress_user = opts->progress_user;
    return TZNR_OK;
}

void tznr_encode_options_init(tznr_encode_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->threads = 0;
    opts->memo = TZNR_MEMO_ALL;
    opts->memo_max_bytes = TZNR_MEMO_DEFAULT_BYTES;
}

/* ---- batches ---------------------------------------------------------------------------- */

static tznr_error_t batch_fill(runner *r, chunk *c)
{
    size_t left = r->n_records - r->next_record;
    c->first = r->next_record;
    c->n = left < CHUNK_ROWS ? left : CHUNK_ROWS;
    r->next_record += c->n;
    if (r->next_record == r->n_records)
        r->src_eof = 1;
    return TZNR_OK;
}

/* The values of row `row` of chunk c into vals/lens; 0 if the row has the wrong number of
 * fields (CSV) */
static int row_values(const runner *r, const chunk *c, size_t row, const char **vals,
                      size_t *lens)
{
    const size_t nv = r->enc->schema->n_features;
    if (r->csv) {
        if (c->nfields[row] != r->ncols)
            return 0;
        for (size_t i = 0; i < nv; i++) {
            vals[i] = c->arena + c->voff[row * nv + i];
            lens[i] = c->vlen[row * nv + i];
        }
        return 1;
    }
    const size_t rec = c->first + row;
    for (size_t f = 0; f < nv; f++) {
        size_t k = rec * nv + f;
        vals[f] = r->buf ? r->buf + r->offsets[k] : "";
        lens[f] = r->offsets[k + 1] - r->offsets[k];
    }
    return 1;
}

/* Encode the rows of a chunk: CLKs into place, invalid rows listed in c->errs, a fatal error
 * in c->rc. Rows go through a pipeline that overlaps the value memo's cache misses: a row's
 * values are hashed and their slots prefetched PIPE_SLOTS rows before it is encoded, the
 * slots probed and the entries prefetched PIPE_ENTRIES rows before (see value_hashes). */
#define PIPE_SLOTS 4
#define PIPE_ENTRIES 2

static void encode_chunk(runner *r, wctx *w, chunk *c)
{
    const tznr_encoder_t *enc = r->enc;
    const int vm = w->vmemo != NULL;
    int ok[PIPE_RING] = {0};
    char line[1024];
    for (size_t t = 0; t < c->n + PIPE_SLOTS; t++) {
        if (t < c->n) {
            const size_t k = t % PIPE_RING;
            ok[k] = row_values(r, c, t, w->ring_vals[k], w->ring_lens[k]);
            if (ok[k] && vm)
                value_hashes(w, w->ring_vh[k], w->ring_vals[k], w->ring_lens[k], 1);
        }
        if (vm && t >= PIPE_SLOTS - PIPE_ENTRIES && t - (PIPE_SLOTS - PIPE_ENTRIES) < c->n) {
            const size_t k = (t - (PIPE_SLOTS - PIPE_ENTRIES)) % PIPE_RING;
            if (ok[k])
                value_probe(w, w->ring_vh[k], w->ring_lens[k]);
        }
        if (t < PIPE_SLOTS)
            continue;
        const size_t row = t - PIPE_SLOTS, k = row % PIPE_RING;
        if (!ok[k]) {
            snprintf(line, sizeof line, "%s:%lu: expected %zu fields (as in the header), found %zu",
                     r->file, c->line[row], r->ncols, c->nfields[row]);
            err_add(&c->errs, line);
            continue;
        }
        if (r->csv) {
            /* ignored columns must be UTF-8 too: a file in another encoding (Latin-1...) is
             * reported even when only unused columns show it (encode_rec checks the others) */
            const tznr_schema_t *s = enc->schema;
            size_t fi = 0, bad_at = 0;
            while (fi < s->n_features && !(s->features[fi].ignored &&
                   !tznr__utf8_valid(w->ring_vals[k][fi], w->ring_lens[k][fi], &bad_at)))
                fi++;
            if (fi < s->n_features) {
                snprintf(line, sizeof line, "%s:%lu: column '%s': invalid UTF-8 at byte %zu of "
                         "the value", r->file, c->line[row], s->features[fi].name, bad_at);
                err_add(&c->errs, line);
                continue;
            }
        }
        tznr_error_t rc = encode_rec(w, vm ? w->ring_vh[k] : NULL, w->ring_vals[k],
                                     w->ring_lens[k]);
        if (rc == TZNR_EINPUT) {
            if (r->csv)
                snprintf(line, sizeof line, "%s:%lu: %s", r->file, c->line[row],
                         tznr_last_error_message());
            else
                snprintf(line, sizeof line, "record %zu: %s", c->first + row,
                         tznr_last_error_message());
            err_add(&c->errs, line);
            continue;
        }
        if (rc) {
            c->rc = rc;
            c->msg = dup_msg();
            return;
        }
        fold(enc, w->bits, r->csv ? c->clks + row * enc->clk_bytes
                                  : r->out_clks + (c->first + row) * enc->clk_bytes);
    }
    /* the values are personal data: do not keep them once encoded */
    if (r->csv)
        tznr__cleanse(c->arena, c->arena_len);
}

tznr_error_t tznr_encoder_encode_batch_opts(const tznr_encoder_t *enc, const char *buf,
                                            const size_t *offsets, size_t n_records,
                                            size_t n_values, uint8_t *clks, size_t clks_len,
                                            const tznr_encode_options *opts)
{
    if (!enc || !offsets || (!clks && n_records))
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (n_values != enc->schema->n_features)
        return tznr__err(TZNR_EINVAL, "expected %zu values per record (one per schema feature), "
                         "got %zu", enc->schema->n_features, n_values);
    if (n_records && clks_len / n_records != enc->clk_bytes)
        return tznr__err(TZNR_EBUFSIZE, "the CLK buffer is %zu bytes, expected %zu x %zu",
                         clks_len, n_records, enc->clk_bytes);
    if (n_records && n_values > SIZE_MAX / n_records - 1)
        return tznr__err(TZNR_EINVAL, "too many values");
    const size_t nv = n_records * n_values;
    if (offsets[0] != 0)
        return tznr__err(TZNR_EINVAL, "offsets[0] must be 0");
    for (size_t i = 0; i < nv; i++)
        if (offsets[i + 1] < offsets[i])
            return tznr__err(TZNR_EINVAL, "offsets[%zu] < offsets[%zu]", i + 1, i);
    if (!buf && offsets[nv] != 0)
        return tznr__err(TZNR_EINVAL, "NULL buffer with non-empty values");
    runner r;
    tznr_error_t rc = runner_init(&r, enc, opts);
    if (rc)
        return rc;
    r.total = n_records;
    r.fill = batch_fill;
    r.encode = encode_chunk;
    r.buf = buf;
    r.offsets = offsets;
    r.n_records = n_records;
    r.out_clks = clks;
    rc = run(&r, (n_records + CHUNK_ROWS - 1) / CHUNK_ROWS);
    if (!rc && r.errs.count)
        rc = tznr__err(TZNR_EINPUT, "%zu invalid record%s; nothing was encoded:\n%s%s",
                       r.errs.count, r.errs.count == 1 ? "" : "s",
                       r.errs.text ? r.errs.text : "",
                       r.errs.count > MAX_LISTED_ERRORS ? "(further errors not listed)\n" : "");
    if (rc && clks)
        memset(clks, 0, clks_len);
    tznr__free(r.errs.text);
    return rc;
}

tznr_error_t tznr_encoder_encode_batch(const tznr_encoder_t *enc, const char *buf,
                                       const size_t *offsets, size_t n_records, size_t n_values,
                                       uint8_t *clks, size_t clks_len)
{
    return tznr_encoder_encode_batch_opts(enc, buf, offsets, n_records, n_values, clks,
                                          clks_len, NULL);
}

/* ---- CSV -------------------------------------------------------------------------------- */

static tznr_error_t map_header(const tznr_encoder_t *enc, tznr__csv *r, size_t *col_of_feature)
{
    const tznr_schema_t *s = enc->schema;
    const char *file = tznr__csv_path(r);
    size_t nf = tznr__csv_nfields(r);
    char shown[512], tmp[200];
    size_t o = 0;
    shown[0] = '\0';
    for (size_t c = 0; c < nf && o + 4 < sizeof shown; c++) {
        size_t len;
        const char *h = tznr__csv_field(r, c, &len);
        tznr__escape(tmp, sizeof tmp, h, len);
        o += (size_t)snprintf(shown + o, sizeof shown - o, "%s\"%s\"", c ? ", " : "", tmp);
    }
    for (size_t i = 0; i < s->n_features; i++)
        col_of_feature[i] = SIZE_MAX;
    char unknown[512] = "", missing[512] = "";
    size_t uo = 0, mo = 0;
    for (size_t c = 0; c < nf; c++) {
        size_t len;
        const char *h = tznr__csv_field(r, c, &len);
        size_t found = SIZE_MAX;
        for (size_t i = 0; i < s->n_features; i++)
            if (strlen(s->features[i].name) == len && memcmp(s->features[i].name, h, len) == 0)
                found = i;
        tznr__escape(tmp, sizeof tmp, h, len);
        if (found == SIZE_MAX) {
            if (uo + 8 < sizeof unknown)
                uo += (size_t)snprintf(unknown + uo, sizeof unknown - uo, "%s\"%s\"",
                                       uo ? ", " : "", tmp);
            continue;
        }
        if (col_of_feature[found] != SIZE_MAX)
            return tznr__err(TZNR_EINPUT, "%s:%lu: column \"%s\" appears twice in the header",
                             file, tznr__csv_line(r), tmp);
        col_of_feature[found] = c;
    }
    for (size_t i = 0; i < s->n_features; i++)
        if (col_of_feature[i] == SIZE_MAX && mo + 8 < sizeof missing)
            mo += (size_t)snprintf(missing + mo, sizeof missing - mo, "%s'%s'", mo ? ", " : "",
                                   s->features[i].name);
    if (mo || uo)
        return tznr__err(TZNR_EINPUT, "%s:%lu: the header does not match the schema:%s%s%s%s%s "
                         "(every column must be a schema feature; list unused ones with "
                         "\"ignored\": true); header as read: %s",
                         file, tznr__csv_line(r), mo ? " missing column(s) " : "", missing,
                         mo && uo ? ";" : "", uo ? " column(s) not in the schema " : "", unknown,
                         shown);
    return TZNR_OK;
}

/* grow a buffer holding personal data: the old copy is wiped, never left to realloc */
static int grow_wiped(char **p, size_t *cap, size_t used, size_t need)
{
    size_t ncap = *cap ? *cap : 64 * 1024;
    while (ncap < need)
        ncap *= 2;
    char *n = tznr__malloc(ncap);
    if (!n)
        return 0;
    if (used)
        memcpy(n, *p, used);
    tznr__free_wiped(*p, *cap);
    *p = n;
    *cap = ncap;
    return 1;
}

static tznr_error_t csv_fill(runner *r, chunk *c)
{
    const size_t nfeat = r->enc->schema->n_features;
    if (!c->rows_cap) {
        c->voff = tznr__calloc((size_t)CHUNK_ROWS * nfeat, sizeof *c->voff);
        c->vlen = tznr__calloc((size_t)CHUNK_ROWS * nfeat, sizeof *c->vlen);
        c->line = tznr__calloc(CHUNK_ROWS, sizeof *c->line);
        c->nfields = tznr__calloc(CHUNK_ROWS, sizeof *c->nfields);
        c->clks = tznr__calloc(CHUNK_ROWS, r->enc->clk_bytes);
        if (!c->voff || !c->vlen || !c->line || !c->nfields || !c->clks)
            return tznr__err(TZNR_ENOMEM, "out of memory");
        c->rows_cap = CHUNK_ROWS;
    }
    c->arena_len = 0;
    while (c->n < CHUNK_ROWS && c->arena_len < CHUNK_BYTES) {
        int got = 0;
        tznr_error_t rc = tznr__csv_next(r->csv, &got);
        if (rc)
            return rc;
        if (!got) {
            r->src_eof = 1;
            break;
        }
        const size_t row = c->n, nf = tznr__csv_nfields(r->csv);
        c->line[row] = tznr__csv_line(r->csv);
        c->nfields[row] = nf;
        if (nf == r->ncols && nf > 0) {
            /* the reader keeps a record's fields back to back: copy them in one go */
            size_t last_len;
            const char *base = tznr__csv_field(r->csv, 0, NULL);
            const char *last = tznr__csv_field(r->csv, nf - 1, &last_len);
            const size_t bytes = (size_t)(last - base) + last_len + 1;
            if (c->arena_cap - c->arena_len < bytes &&
                !grow_wiped(&c->arena, &c->arena_cap, c->arena_len, c->arena_len + bytes))
                return tznr__err(TZNR_ENOMEM, "out of memory");
            memcpy(c->arena + c->arena_len, base, bytes);
            for (size_t i = 0; i < nfeat; i++) {
                size_t len;
                const char *v = tznr__csv_field(r->csv, r->col[i], &len);
                c->voff[row * nfeat + i] = c->arena_len + (size_t)(v - base);
                c->vlen[row * nfeat + i] = len;
            }
            c->arena_len += bytes;
        }
        c->n++;
    }
    return TZNR_OK;
}

static tznr_error_t csv_commit(runner *r, chunk *c)
{
    if (r->errs.count)
        return TZNR_OK;   /* keep validating, but stop storing CLKs */
    if (r->json)
        return tznr__clkjson_write(r->json, c->clks, c->n);
    for (size_t row = 0; row < c->n; row++) {
        tznr_error_t rc = tznr_clkset_append(r->set, c->clks + row * r->enc->clk_bytes,
                                             r->enc->clk_bytes);
        if (rc)
            return rc;
    }
    return TZNR_OK;
}

/* CSV -> CLKs into *set_out (json_path NULL) or into the JSON file json_path */
static tznr_error_t encode_csv(const tznr_encoder_t *enc, const char *path,
                               const tznr_encode_options *opts, tznr_clkset_t **set_out,
                               const char *json_path, int force)
{
    runner r;
    tznr_error_t rc = runner_init(&r, enc, opts);
    if (rc)
        return rc;
    const size_t nfeat = enc->schema->n_features;
    tznr__csv *csv = NULL;
    tznr_clkset_t *set = NULL;
    tznr__clkjson *json = NULL;
    size_t *col = tznr__calloc(nfeat, sizeof *col);
    if (!col) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = tznr__csv_open(&csv, path)))
        goto done;
    const char *file = tznr__csv_path(csv);
    int got = 0;
    if ((rc = tznr__csv_next(csv, &got)))
        goto done;
    if (!got) {
        rc = tznr__err(TZNR_EINPUT, "%s: the file is empty (a header row is required)", file);
        goto done;
    }
    if ((rc = map_header(enc, csv, col)))
        goto done;
    if (json_path)
        rc = tznr__clkjson_open(&json, json_path, force, enc->clk_bytes);
    else
        rc = tznr_clkset_new(&set, enc->schema->l);
    if (rc)
        goto done;
    r.fill = csv_fill;
    r.encode = encode_chunk;
    r.commit = csv_commit;
    r.csv = csv;
    r.file = file;
    r.col = col;
    r.ncols = tznr__csv_nfields(csv);
    r.set = set;
    r.json = json;
    rc = run(&r, SIZE_MAX);
    if (!rc && r.errs.count)
        rc = tznr__err(TZNR_EINPUT, "%zu invalid row%s; nothing was encoded:\n%s%s",
                       r.errs.count, r.errs.count == 1 ? "" : "s",
                       r.errs.text ? r.errs.text : "",
                       r.errs.count > MAX_LISTED_ERRORS ? "(further errors not listed)\n" : "");
    if (!rc && json) {
        rc = tznr__clkjson_commit(json);
        json = NULL;
    }
    if (!rc && set_out) {
        *set_out = set;
        set = NULL;
    }
done:
    tznr__clkjson_abort(json);
    tznr_clkset_free(set);
    tznr__csv_close(csv);
    tznr__free(col);
    tznr__free(r.errs.text);
    return rc;
}

tznr_error_t tznr_encoder_encode_csv_opts(const tznr_encoder_t *enc, const char *path,
                                          const tznr_encode_options *opts, tznr_clkset_t **out)
{
    if (out)
        *out = NULL;
    if (!enc || !path || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    return encode_csv(enc, path, opts, out, NULL, 0);
}

tznr_error_t tznr_encoder_encode_csv_to_json(const tznr_encoder_t *enc, const char *csv_path,
                                             const char *json_path, int force,
                                             const tznr_encode_options *opts)
{
    if (!enc || !csv_path || !json_path)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    if (strcmp(json_path, "-") != 0)
        return encode_csv(enc, csv_path, opts, NULL, json_path, force);
    /* standard output cannot be taken back: validate and encode everything first */
    tznr_clkset_t *set = NULL;
    tznr_error_t rc = encode_csv(enc, csv_path, opts, &set, NULL, 0);
    if (!rc)
        rc = tznr_clkset_write_json(set, json_path, force);
    tznr_clkset_free(set);
    return rc;
}

tznr_error_t tznr_encoder_encode_csv(const tznr_encoder_t *enc, const char *path,
                                     tznr_clkset_t **out)
{
    return tznr_encoder_encode_csv_opts(enc, path, NULL, out);
}

/* ---- native containers: field-level filters ----------------------------------------- */

/* The bits feature fi alone sets, before folding, into fb (hash_bits/8 bytes, zeroed here).
 * A value that is empty or only white space, or missing by the schema's sentinels, gives no
 * bit: the linkage reads an empty field filter as a missing value. Validation errors are the
 * same as in encode_rec (which runs first on the same values). */
static tznr_error_t field_bits(wctx *w, size_t fi, const char *const *vals, const size_t *lens,
                               uint8_t *fb)
{
    const tznr_encoder_t *enc = w->enc;
    const tznr__feature *f = &enc->schema->features[fi];
    const char *raw = vals[fi];
    size_t rlen = lens[fi];
    memset(fb, 0, enc->hash_bits / 8);
    if (f->derive)   /* the derived value, as in the CLK (no value memo here) */
        return encode_derived(w, fi, vals, lens, fb);
    const char *sv;
    size_t sl;
    tznr__utf8_strip(raw, rlen, &sv, &sl);
    if (sl == 0)
        return TZNR_OK;
    char *val = NULL;
    size_t vlen = 0;
    int missing = 0;
    tznr_error_t rc = tznr__normalise(f, raw, rlen, &val, &vlen, &missing);
    if (rc || missing || !val) {
        tznr__free(val);
        return rc;
    }
    rc = tznr__tokenise(&w->toks, f, val, vlen);
    tznr__free_wiped(val, vlen + 1);
    const size_t n = w->toks.n, B = f->strategy_value;
    for (size_t t = 0; !rc && t < n; t++) {
        size_t kk = f->strategy == TZNR__STRAT_BITS_PER_FEATURE ? B / n + (t < B % n) : B;
        if (kk)
            rc = encode_token(w, fi, (const uint8_t *)w->toks.buf + w->toks.off[t],
                              w->toks.off[t + 1] - w->toks.off[t], kk, fb);
    }
    return rc;
}

typedef struct id_line {
    const char *id;
    unsigned long line;
} id_line;

static int id_line_cmp(const void *x, const void *y)
{
    const id_line *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* Identifiers must be unique: results name records by them. Adds one error per repeat. */
static tznr_error_t check_unique_ids(const tznr_container_t *c, const unsigned long *lines,
                                     const char *file, const char *column, err_list *errs)
{
    size_t n = tznr_container_count(c);
    id_line *v = tznr__calloc(n + 1, sizeof *v);
    if (!v)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++)
        v[r] = (id_line){tznr_container_id(c, r, NULL), lines[r]};
    qsort(v, n, sizeof *v, id_line_cmp);
    for (size_t r = 1; r < n; r++)
        if (strcmp(v[r].id, v[r - 1].id) == 0) {
            char line[1024], esc[200];
            tznr__escape(esc, sizeof esc, v[r].id, strlen(v[r].id));
            snprintf(line, sizeof line, "%s:%lu: column '%s': duplicate identifier \"%s\" (also "
                     "line %lu); identifiers must be unique", file, v[r].line, column, esc,
                     v[r - 1].line);
            err_add(errs, line);
        }
    tznr__free(v);
    return TZNR_OK;
}

tznr_error_t tznr_encoder_encode_csv_container(const tznr_encoder_t *enc, const char *path,
                                               tznr_container_t **out)
{
    if (out)
        *out = NULL;
    if (!enc || !path || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    const tznr_schema_t *s = enc->schema;
    const size_t nfeat = s->n_features, hb = enc->hash_bits / 8, cb = enc->clk_bytes;
    tznr__csv *r = NULL;
    tznr_container_t *c = NULL;
    wctx *w = NULL;
    err_list errs = {0};
    size_t *col = tznr__calloc(nfeat, sizeof *col);
    const char **vals = tznr__calloc(nfeat, sizeof *vals);
    size_t *lens = tznr__calloc(nfeat, sizeof *lens);
    uint8_t *pre = tznr__calloc(1, hb), *clk = tznr__calloc(1, cb);
    uint8_t *fields = NULL;
    size_t nfields = 0, nlines = 0, cap_lines = 0;
    unsigned long *lines = NULL;
    tznr_error_t rc;
    if (!col || !vals || !lens || !pre || !clk) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = tznr_container_new(&c, s)))
        goto done;
    nfields = tznr_container_field_count(c);
    if (!(fields = tznr__calloc(nfields, cb))) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = wctx_new(&w, enc, TZNR_MEMO_TOKENS, TZNR_MEMO_DEFAULT_BYTES)) ||
        (rc = tznr__csv_open(&r, path)))
        goto done;
    const char *file = tznr__csv_path(r);
    int got = 0;
    if ((rc = tznr__csv_next(r, &got)))
        goto done;
    if (!got) {
        rc = tznr__err(TZNR_EINPUT, "%s: the file is empty (a header row is required)", file);
        goto done;
    }
    if ((rc = map_header(enc, r, col)))
        goto done;
    const size_t ncols = tznr__csv_nfields(r);
    for (unsigned long row = 1;; row++) {
        if ((rc = tznr__csv_next(r, &got)))
            goto done;
        if (!got)
            break;
        char line[1024];
        size_t nf = tznr__csv_nfields(r);
        if (nf != ncols) {
            snprintf(line, sizeof line, "%s:%lu: expected %zu fields (as in the header), found %zu",
                     file, tznr__csv_line(r), ncols, nf);
            err_add(&errs, line);
            continue;
        }
        for (size_t i = 0; i < nfeat; i++)
            vals[i] = tznr__csv_field(r, col[i], &lens[i]);
        /* the CLK, exactly as tznr_encoder_encode_csv makes it (and its validation) */
        rc = encode_rec(w, NULL, vals, lens);
        if (rc == TZNR_EINPUT) {
            snprintf(line, sizeof line, "%s:%lu: %s", file, tznr__csv_line(r),
                     tznr_last_error_message());
            err_add(&errs, line);
            rc = TZNR_OK;
            continue;
        }
        if (rc)
            goto done;
        if (errs.count)
            continue;   /* keep validating, stop storing */
        fold(enc, w->bits, clk);
        size_t k = 0;
        for (size_t i = 0; i < nfeat && !rc; i++) {
            const tznr__feature *f = &s->features[i];
            if (f->ignored || !f->compare)
                continue;
            if (!(rc = field_bits(w, i, vals, lens, pre)))
                fold(enc, pre, fields + k++ * cb);
        }
        if (rc)
            goto done;
        char num[32];
        const char *id = num;
        size_t idlen;
        if (s->id_index >= 0) {
            id = vals[s->id_index];
            idlen = lens[s->id_index];
        } else {
            idlen = (size_t)snprintf(num, sizeof num, "%lu", row);
        }
        if (nlines == cap_lines) {
            size_t ncap = cap_lines ? 2 * cap_lines : 1024;
            unsigned long *nl = tznr__realloc(lines, ncap * sizeof *nl);
            if (!nl) {
                rc = tznr__err(TZNR_ENOMEM, "out of memory");
                goto done;
            }
            lines = nl;
            cap_lines = ncap;
        }
        if ((rc = tznr_container_append(c, id, idlen, fields, nfields * cb, clk, cb))) {
            if (rc == TZNR_EINVAL) {
                snprintf(line, sizeof line, "%s:%lu: column '%s': %s", file, tznr__csv_line(r),
                         s->features[s->id_index].name, tznr_last_error_message());
                err_add(&errs, line);
                rc = TZNR_OK;
                continue;
            }
            goto done;
        }
        lines[nlines++] = tznr__csv_line(r);
    }
    if (!errs.count && s->id_index >= 0 &&
        (rc = check_unique_ids(c, lines, file, s->features[s->id_index].name, &errs)))
        goto done;
    if (errs.count) {
        rc = tznr__err(TZNR_EINPUT, "%zu invalid row%s; nothing was encoded:\n%s%s",
                       errs.count, errs.count == 1 ? "" : "s", errs.text ? errs.text : "",
                       errs.count > MAX_LISTED_ERRORS ? "(further errors not listed)\n" : "");
        goto done;
    }
    *out = c;
    c = NULL;
done:
    tznr__free(lines);
    tznr_container_free(c);
    tznr__csv_close(r);
    wctx_free(w);
    tznr__free_wiped(pre, pre ? hb : 0);
    tznr__free_wiped(clk, clk ? cb : 0);
    tznr__free_wiped(fields, fields ? nfields * cb : 0);
    tznr__free(col);
    tznr__free(vals);
    tznr__free(lens);
    tznr__free(errs.text);
    return rc;
}
