/* Crypto adapter: the only module that includes OpenSSL (HKDF, HMAC, keyed BLAKE2b, base64,
 * cleanse, constant-time compare). */
#include "crypto.h"
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "alloc.h"
#include "error.h"

static tznr_error_t ossl_fail(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return tznr__err(TZNR_ECRYPTO, "%s failed%s%s", what, e ? ": " : "", buf);
}

tznr_error_t tznr__hkdf(uint8_t *out, size_t out_len, tznr__md md, const uint8_t *ikm,
                        size_t ikm_len, const uint8_t *salt, size_t salt_len,
                        const uint8_t *info, size_t info_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return ossl_fail("HKDF fetch");
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!ctx)
        return ossl_fail("HKDF context");
    OSSL_PARAM params[5], *p = params;
    char *digest = md == TZNR__MD_SHA512 ? "SHA512" : "SHA256";
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)ikm, ikm_len);
    if (salt && salt_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt, salt_len);
    if (info && info_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    if (ok <= 0) {
        OPENSSL_cleanse(out, out_len);
        return ossl_fail("HKDF derive");
    }
    return TZNR_OK;
}

struct tznr__mac {
    EVP_MAC_CTX *tmpl;
    size_t out_len;
};

tznr_error_t tznr__mac_new(tznr__mac **out, tznr__mac_alg alg, const uint8_t *key, size_t key_len,
                           const uint8_t *salt, size_t salt_len)
{
    *out = NULL;
    tznr__mac *m = tznr__calloc(1, sizeof *m);
    if (!m)
        return tznr__err(TZNR_ENOMEM, "out of memory");
    const char *name = alg == TZNR__MAC_BLAKE2B512 ? "BLAKE2BMAC" : "HMAC";
    EVP_MAC *mac = EVP_MAC_fetch(NULL, name, NULL);
    if (!mac) {
        tznr__free(m);
        return ossl_fail("MAC fetch");
    }
    m->tmpl = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (!m->tmpl) {
        tznr__free(m);
        return ossl_fail("MAC context");
    }
    OSSL_PARAM params[4], *p = params;
    size_t size = 64;
    if (alg == TZNR__MAC_BLAKE2B512) {
        *p++ = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
        if (salt && salt_len)
            *p++ = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_SALT, (void *)(uintptr_t)salt, salt_len);
        m->out_len = 64;
    } else {
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                alg == TZNR__MAC_HMAC_SHA1 ? "SHA1" : "MD5", 0);
        m->out_len = alg == TZNR__MAC_HMAC_SHA1 ? 20 : 16;
    }
    *p = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(m->tmpl, key, key_len, params) <= 0) {
        EVP_MAC_CTX_free(m->tmpl);
        tznr__free(m);
        return ossl_fail("MAC init");
    }
    *out = m;
    return TZNR_OK;
}

tznr_error_t tznr__mac_compute(const tznr__mac *m, const uint8_t *msg, size_t len, uint8_t *out)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(m->tmpl);
    if (!c)
        return ossl_fail("MAC dup");
    size_t got = 0;
    int ok = EVP_MAC_update(c, msg, len) > 0 && EVP_MAC_final(c, out, &got, m->out_len) > 0 &&
             got == m->out_len;
    EVP_MAC_CTX_free(c);
    return ok ? TZNR_OK : ossl_fail("MAC compute");
}

void tznr__mac_free(tznr__mac *m)
{
    if (!m)
        return;
    EVP_MAC_CTX_free(m->tmpl);   /* OpenSSL cleanses the key material it holds */
    tznr__free(m);
}

static tznr_error_t one_shot(tznr__mac_alg alg, uint8_t *out, const uint8_t *key, size_t key_len,
                             const uint8_t *salt, size_t salt_len, const uint8_t *msg, size_t len)
{
    tznr__mac *m;
    tznr_error_t rc = tznr__mac_new(&m, alg, key, key_len, salt, salt_len);
    if (rc)
        return rc;
    rc = tznr__mac_compute(m, msg, len, out);
    tznr__mac_free(m);
    return rc;
}

tznr_error_t tznr__hmac_sha1(uint8_t out[20], const uint8_t *key, size_t key_len,
                             const uint8_t *msg, size_t msg_len)
{
    return one_shot(TZNR__MAC_HMAC_SHA1, out, key, key_len, NULL, 0, msg, msg_len);
}

tznr_error_t tznr__hmac_md5(uint8_t out[16], const uint8_t *key, size_t key_len,
                            const uint8_t *msg, size_t msg_len)
{
    return one_shot(TZNR__MAC_HMAC_MD5, out, key, key_len, NULL, 0, msg, msg_len);
}

tznr_error_t tznr__blake2b512(uint8_t out[64], const uint8_t *key, size_t key_len,
                              const uint8_t *salt, size_t salt_len,
                              const uint8_t *msg, size_t msg_len)
{
    return one_shot(TZNR__MAC_BLAKE2B512, out, key, key_len, salt, salt_len, msg, msg_len);
}

size_t tznr__base64_encode(char *out, const uint8_t *in, size_t n)
{
    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    /* EVP_EncodeBlock takes an int length: encode in chunks of a multiple of 3 bytes */
    size_t o = 0;
    const size_t chunk = 3u << 20;
    while (n > 0) {
        size_t take = n > chunk ? chunk : n;
        int w = EVP_EncodeBlock((unsigned char *)out + o, in, (int)take);
        o += (size_t)w;
        in += take;
        n -= take;
    }
    out[o] = '\0';
    return o;
}

static int b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

int tznr__base64_decode(uint8_t *out, size_t *out_len, const char *in, size_t len)
{
    *out_len = 0;
    if (len % 4 != 0)
        return -1;
    if (len == 0)
        return 0;
    size_t pad = 0;
    if (in[len - 1] == '=')
        pad++;
    if (in[len - 2] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++)
        if (!b64_char((unsigned char)in[i]))
            return -1;
    const size_t chunk = 4u << 20;
    size_t o = 0;
    for (size_t i = 0; i < len; i += chunk) {
        size_t take = len - i > chunk ? chunk : len - i;
        int w = EVP_DecodeBlock(out + o, (const unsigned char *)in + i, (int)take);
        if (w < 0)
            return -1;
        o += (size_t)w;
    }
    *out_len = o - pad;
    return 0;
}

void tznr__cleanse(void *p, size_t n) { OPENSSL_cleanse(p, n); }

int tznr__ct_equal(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }

tznr_error_t tznr__random_secret_bytes(uint8_t *out, size_t n)
{
    if (n > INT32_MAX || RAND_priv_bytes(out, (int)n) != 1)
        return ossl_fail("random generator");
    return TZNR_OK;
}

tznr_error_t tznr__sha256(uint8_t out[32], const uint8_t *msg, size_t len)
{
    unsigned int n = 0;
    if (EVP_Digest(msg, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return ossl_fail("SHA-256");
    return TZNR_OK;
}
