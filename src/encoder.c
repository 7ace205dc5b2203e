/* Encoder: per-feature keys (HKDF), token -> bit positions (doubleHash / blakeHash),
 * CLK assembly, XOR folding; byte-for-byte compatible with clkhash 0.18.3. */
#include "tznr/encoder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "crypto.h"
#include "csv.h"
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
        const uint8_t *key0 = okm + 2 * i * ks, *key1 = okm + (2 * i + 1) * ks;
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

/* big-endian byte string mod m, m < 2^40 */
static uint64_t be_mod(const uint8_t *d, size_t n, uint64_t m)
{
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++)
        r = ((r << 8) | d[i]) % m;
    return r;
}

static void set_bit(uint8_t *bits, uint64_t p) { bits[p >> 3] |= (uint8_t)(0x80u >> (p & 7)); }

static tznr_error_t hash_token(const tznr_encoder_t *enc, const tznr__feature *f,
                               const feature_keys *k, const uint8_t *tok, size_t tlen,
                               size_t kk, uint8_t *bits)
{
    const uint64_t L = enc->hash_bits;
    tznr_error_t rc;
    if (f->hash == TZNR__HASH_DOUBLE) {
        uint8_t d1[20], d2[16];
        if ((rc = tznr__mac_compute(k->sha1, tok, tlen, d1)) ||
            (rc = tznr__mac_compute(k->md5, tok, tlen, d2)))
            return rc;
        uint64_t h1 = be_mod(d1, sizeof d1, L), h2 = be_mod(d2, sizeof d2, L);
        if (f->prevent_singularity && h2 == 0) {
            /* clkhash: re-hash tok || utf8(chr(j)) for j = 0, 1, ... until h2 != 0 */
            uint8_t *m = tznr__malloc(tlen + 4);
            if (!m)
                return tznr__err(TZNR_ENOMEM, "out of memory");
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
                    return rc;
                }
                h2 = be_mod(d2, sizeof d2, L);
            }
            tznr__free_wiped(m, tlen + 4);
        }
        for (uint64_t i = 0; i < kk; i++)
            set_bit(bits, (h1 + i * h2) % L);
        tznr__cleanse(d1, sizeof d1);
        tznr__cleanse(d2, sizeof d2);
    } else {
        uint8_t d[64];
        size_t done = 0;
        for (size_t j = 0; done < kk; j++) {
            if ((rc = tznr__mac_compute(k->blake[j], tok, tlen, d)))
                return rc;
            for (size_t w = 0; w < 32 && done < kk; w++, done++) {
                uint64_t v = (uint64_t)d[2 * w] | ((uint64_t)d[2 * w + 1] << 8); /* little-endian u16 */
                set_bit(bits, v % L);
            }
        }
        tznr__cleanse(d, sizeof d);
    }
    return TZNR_OK;
}

/* Encode into `bits` (hash_bits/8 bytes, zeroed by the caller); tokens is scratch. On
 * EINPUT the detail is "column 'NAME': RULE". */
static tznr_error_t encode_into(const tznr_encoder_t *enc, const char *const *values,
                                const size_t *lens, uint8_t *bits, tznr__tokens *toks)
{
    const tznr_schema_t *s = enc->schema;
    size_t nonempty = 0, encoded = 0;
    for (size_t i = 0; i < s->n_features; i++) {
        if (!s->features[i].ignored) {
            encoded++;
            nonempty += lens[i] != 0;
        }
    }
    if (encoded && nonempty == 0)
        return tznr__err(TZNR_EINPUT, "every encoded field is empty (an empty record would "
                         "get an empty CLK and match nothing)");
    for (size_t i = 0; i < s->n_features; i++) {
        const tznr__feature *f = &s->features[i];
        if (f->ignored)
            continue;
        const char *raw = values[i] ? values[i] : "";
        size_t rlen = lens[i], bad;
        if (!tznr__utf8_valid(raw, rlen, &bad))
            return tznr__err(TZNR_EINPUT, "column '%s': invalid UTF-8 at byte %zu of the value",
                             f->name, bad);
        char *val = NULL;
        size_t vlen = 0;
        int missing = 0;
        tznr_error_t rc = tznr__normalise(f, raw, rlen, &val, &vlen, &missing);
        if (rc)
            return rc;
        if (missing || !val) {
            tznr__free(val);
            continue;
        }
        rc = tznr__tokenise(toks, f, val, vlen);
        tznr__free_wiped(val, vlen + 1);
        if (rc) {
            if (rc == TZNR_EINPUT)
                tznr__err_prefix("column '%s'", f->name);
            return rc;
        }
        const size_t n = toks->n, B = f->strategy_value;
        for (size_t t = 0; t < n; t++) {
            size_t kk = B;
            if (f->strategy == TZNR__STRAT_BITS_PER_FEATURE)
                kk = B / n + (t < B % n ? 1 : 0);
            if (kk == 0)
                continue;
            rc = hash_token(enc, f, &enc->keys[i], (const uint8_t *)toks->buf + toks->off[t],
                            toks->off[t + 1] - toks->off[t], kk, bits);
            if (rc)
                return rc;
        }
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
    const size_t hb = enc->hash_bits / 8;
    uint8_t *bits = tznr__calloc(1, hb);
    if (!bits)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    tznr__tokens toks;
    tznr__tokens_init(&toks);
    tznr_error_t rc = encode_into(enc, values, value_lens, bits, &toks);
    if (rc)
        memset(clk, 0, clk_len);
    else
        fold(enc, bits, clk);
    tznr__tokens_free(&toks);
    tznr__free_wiped(bits, hb);
    return rc;
}

/* ---- batches and CSV ---------------------------------------------------------------- */

typedef struct err_list {
    char *text;
    size_t len, cap, count;
} err_list;

static void err_add(err_list *e, const char *line)
{
    e->count++;
    if (e->count > MAX_LISTED_ERRORS)
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
}

tznr_error_t tznr_encoder_encode_batch(const tznr_encoder_t *enc, const char *buf,
                                       const size_t *offsets, size_t n_records, size_t n_values,
                                       uint8_t *clks, size_t clks_len)
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
    const size_t hb = enc->hash_bits / 8;
    uint8_t *bits = tznr__calloc(1, hb);
    const char **vals = tznr__calloc(n_values, sizeof *vals);
    size_t *lens = tznr__calloc(n_values, sizeof *lens);
    tznr__tokens toks;
    tznr__tokens_init(&toks);
    err_list errs = {0};
    tznr_error_t rc = TZNR_OK;
    if (!bits || !vals || !lens)
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
    for (size_t r = 0; !rc && r < n_records; r++) {
        for (size_t f = 0; f < n_values; f++) {
            size_t k = r * n_values + f;
            vals[f] = buf ? buf + offsets[k] : "";
            lens[f] = offsets[k + 1] - offsets[k];
        }
        memset(bits, 0, hb);
        rc = encode_into(enc, vals, lens, bits, &toks);
        if (rc == TZNR_EINPUT) {
            char line[1024];
            snprintf(line, sizeof line, "record %zu: %s", r, tznr_last_error_message());
            err_add(&errs, line);
            rc = TZNR_OK;
            continue;
        }
        if (!rc)
            fold(enc, bits, clks + r * enc->clk_bytes);
    }
    if (!rc && errs.count)
        rc = tznr__err(TZNR_EINPUT, "%zu invalid record%s; nothing was encoded:\n%s%s",
                       errs.count, errs.count == 1 ? "" : "s", errs.text ? errs.text : "",
                       errs.count > MAX_LISTED_ERRORS ? "(further errors not listed)\n" : "");
    if (rc && clks)
        memset(clks, 0, clks_len);
    tznr__tokens_free(&toks);
    tznr__free_wiped(bits, bits ? hb : 0);
    tznr__free(vals);
    tznr__free(lens);
    tznr__free(errs.text);
    return rc;
}

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

tznr_error_t tznr_encoder_encode_csv(const tznr_encoder_t *enc, const char *path,
                                     tznr_clkset_t **out)
{
    if (out)
        *out = NULL;
    if (!enc || !path || !out)
        return tznr__err(TZNR_EINVAL, "NULL argument");
    const size_t nfeat = enc->schema->n_features, hb = enc->hash_bits / 8;
    tznr__csv *r = NULL;
    tznr_clkset_t *set = NULL;
    size_t *col = tznr__calloc(nfeat, sizeof *col);
    const char **vals = tznr__calloc(nfeat, sizeof *vals);
    size_t *lens = tznr__calloc(nfeat, sizeof *lens);
    uint8_t *bits = tznr__calloc(1, hb), *clk = tznr__calloc(1, enc->clk_bytes);
    tznr__tokens toks;
    tznr__tokens_init(&toks);
    err_list errs = {0};
    tznr_error_t rc;
    if (!col || !vals || !lens || !bits || !clk) {
        rc = tznr__err(TZNR_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = tznr__csv_open(&r, path)))
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
    if ((rc = tznr_clkset_new(&set, enc->schema->l)))
        goto done;
    for (;;) {
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
        memset(bits, 0, hb);
        rc = encode_into(enc, vals, lens, bits, &toks);
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
            continue;   /* keep validating, but stop storing CLKs */
        fold(enc, bits, clk);
        if ((rc = tznr_clkset_append(set, clk, enc->clk_bytes)))
            goto done;
    }
    if (errs.count) {
        rc = tznr__err(TZNR_EINPUT, "%zu invalid row%s; nothing was encoded:\n%s%s",
                       errs.count, errs.count == 1 ? "" : "s", errs.text ? errs.text : "",
                       errs.count > MAX_LISTED_ERRORS ? "(further errors not listed)\n" : "");
        goto done;
    }
    *out = set;
    set = NULL;
done:
    tznr_clkset_free(set);
    tznr__csv_close(r);
    tznr__tokens_free(&toks);
    tznr__free_wiped(bits, bits ? hb : 0);
    tznr__free_wiped(clk, clk ? enc->clk_bytes : 0);
    tznr__free(col);
    tznr__free(vals);
    tznr__free(lens);
    tznr__free(errs.text);
    return rc;
}
