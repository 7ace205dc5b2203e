/* Internal adapter: the only module that includes OpenSSL. */
#ifndef TZNR_SRC_CRYPTO_H
#define TZNR_SRC_CRYPTO_H
#include <stddef.h>
#include <stdint.h>
#include "tznr/common.h"
typedef enum { TZNR__MD_SHA256 = 256, TZNR__MD_SHA512 = 512 } tznr__md;
/* HKDF (RFC 5869) extract+expand. salt may be NULL (HashLen zero bytes). */
tznr_error_t tznr__hkdf(uint8_t *out, size_t out_len, tznr__md md, const uint8_t *ikm,
                        size_t ikm_len, const uint8_t *salt, size_t salt_len,
                        const uint8_t *info, size_t info_len);
/* HMAC-SHA1 (20-byte out) and HMAC-MD5 (16-byte out). */
tznr_error_t tznr__hmac_sha1(uint8_t out[20], const uint8_t *key, size_t key_len,
                             const uint8_t *msg, size_t msg_len);
tznr_error_t tznr__hmac_md5(uint8_t out[16], const uint8_t *key, size_t key_len,
                            const uint8_t *msg, size_t msg_len);
/* Keyed BLAKE2b-512 with a salt (<= 16 bytes, zero padded), as Python hashlib.blake2b. */
tznr_error_t tznr__blake2b512(uint8_t out[64], const uint8_t *key, size_t key_len,
                              const uint8_t *salt, size_t salt_len,
                              const uint8_t *msg, size_t msg_len);
/* Standard base64 with padding. encode: out must hold 4*ceil(n/3)+1 bytes (NUL-terminated);
 * returns the length. decode: strict (padding required, no whitespace); returns 0 on success
 * and the decoded length in *out_len, -1 on malformed input. out must hold 3*(len/4) bytes. */
size_t tznr__base64_encode(char *out, const uint8_t *in, size_t n);
int tznr__base64_decode(uint8_t *out, size_t *out_len, const char *in, size_t len);
/* A keyed MAC prepared once and reused for many messages (the key is copied into OpenSSL's
 * context and wiped with it). Thread-safe for concurrent compute calls: each call duplicates
 * the template context. alg: "HMAC-SHA1", "HMAC-MD5", or "BLAKE2B" (keyed BLAKE2b-512 with
 * the given salt, <= 16 bytes). */
typedef struct tznr__mac tznr__mac;
typedef enum { TZNR__MAC_HMAC_SHA1, TZNR__MAC_HMAC_MD5, TZNR__MAC_BLAKE2B512 } tznr__mac_alg;
tznr_error_t tznr__mac_new(tznr__mac **out, tznr__mac_alg alg, const uint8_t *key, size_t key_len,
                           const uint8_t *salt, size_t salt_len);
/* out must hold 20 (SHA1), 16 (MD5) or 64 (BLAKE2b) bytes. */
tznr_error_t tznr__mac_compute(const tznr__mac *m, const uint8_t *msg, size_t len, uint8_t *out);
void tznr__mac_free(tznr__mac *m);
/* SHA-256 (32-byte out). */
tznr_error_t tznr__sha256(uint8_t out[32], const uint8_t *msg, size_t len);
/* CSPRNG bytes for secrets (RAND_priv_bytes). */
tznr_error_t tznr__random_secret_bytes(uint8_t *out, size_t n);
void tznr__cleanse(void *p, size_t n);
int tznr__ct_equal(const void *a, const void *b, size_t n);   /* constant time; 1 if equal */
#endif
