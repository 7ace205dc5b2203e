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
void tznr__cleanse(void *p, size_t n);
int tznr__ct_equal(const void *a, const void *b, size_t n);   /* constant time; 1 if equal */
#endif
