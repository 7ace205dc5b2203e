/* Crypto adapter: known-answer tests from RFC 5869 (HKDF), RFC 2202 (HMAC-SHA1/MD5), the
 * BLAKE2 reference KAT (keyed BLAKE2b-512), RFC 4648 (base64), and the feature keys that
 * clkhash 0.18.3 derived for schema s1 (tests/data/vectors/debug). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "tznr_test.h"
#include "crypto.h"

static size_t unhex(uint8_t *out, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

START_TEST(hkdf_rfc5869)
{
    uint8_t ikm[22], salt[13], info[10], okm[42], want[42];
    memset(ikm, 0x0b, sizeof ikm);
    for (int i = 0; i < 13; i++) salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++) info[i] = (uint8_t)(0xf0 + i);
    /* RFC 5869 A.1 */
    ck_assert_int_eq(tznr__hkdf(okm, 42, TZNR__MD_SHA256, ikm, 22, salt, 13, info, 10), TZNR_OK);
    unhex(want, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    ck_assert_mem_eq(okm, want, 42);
    /* RFC 5869 A.3: no salt, no info */
    ck_assert_int_eq(tznr__hkdf(okm, 42, TZNR__MD_SHA256, ikm, 22, NULL, 0, NULL, 0), TZNR_OK);
    unhex(want, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    ck_assert_mem_eq(okm, want, 42);
}
END_TEST

START_TEST(hmac_rfc2202)
{
    uint8_t key[20], out[20], want[20];
    memset(key, 0x0b, sizeof key);
    ck_assert_int_eq(tznr__hmac_sha1(out, key, 20, (const uint8_t *)"Hi There", 8), TZNR_OK);
    unhex(want, "b617318655057264e28bc0b6fb378c8ef146be00");
    ck_assert_mem_eq(out, want, 20);
    ck_assert_int_eq(tznr__hmac_md5(out, key, 16, (const uint8_t *)"Hi There", 8), TZNR_OK);
    unhex(want, "9294727a3638bb1c13f48ef8158bfc9d");
    ck_assert_mem_eq(out, want, 16);
    /* RFC 2202 test 2: key "Jefe" */
    ck_assert_int_eq(tznr__hmac_sha1(out, (const uint8_t *)"Jefe", 4,
                                     (const uint8_t *)"what do ya want for nothing?", 28), TZNR_OK);
    unhex(want, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    ck_assert_mem_eq(out, want, 20);
}
END_TEST

START_TEST(blake2b_keyed_kat)
{
    /* BLAKE2 reference blake2b-kat.txt, keyed: in = (empty), key = 00..3f */
    uint8_t key[64], out[64], want[64];
    for (int i = 0; i < 64; i++) key[i] = (uint8_t)i;
    ck_assert_int_eq(tznr__blake2b512(out, key, 64, NULL, 0, (const uint8_t *)"", 0), TZNR_OK);
    unhex(want, "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
                "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568");
    ck_assert_mem_eq(out, want, 64);
}
END_TEST

START_TEST(base64_rfc4648)
{
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n;
        ck_assert_uint_eq(tznr__base64_encode(enc, (const uint8_t *)in[i], strlen(in[i])), strlen(b64[i]));
        ck_assert_str_eq(enc, b64[i]);
        ck_assert_int_eq(tznr__base64_decode(dec, &n, b64[i], strlen(b64[i])), 0);
        ck_assert_uint_eq(n, strlen(in[i]));
        ck_assert_mem_eq(dec, in[i], n);
    }
    uint8_t dec[16];
    size_t n;
    ck_assert_int_eq(tznr__base64_decode(dec, &n, "Zm9", 3), -1);        /* length */
    ck_assert_int_eq(tznr__base64_decode(dec, &n, "Zm9v\n", 5), -1);     /* whitespace */
    ck_assert_int_eq(tznr__base64_decode(dec, &n, "Zm*v", 4), -1);       /* alphabet */
    ck_assert_int_eq(tznr__base64_decode(dec, &n, "Z=9v", 4), -1);       /* inner padding */
}
END_TEST

START_TEST(hkdf_clkhash_feature_keys)
{
    json_error_t jerr;
    json_t *d = json_load_file(tt_data("vectors/debug/s1_example.a.debug.json"), 0, &jerr);
    ck_assert_ptr_nonnull(d);
    json_t *kdf = json_object_get(d, "kdf");
    uint8_t secret[256], salt[256], info[256];
    size_t sl = unhex(secret, json_string_value(json_object_get(kdf, "secret_utf8_hex")));
    size_t tl = unhex(salt, json_string_value(json_object_get(kdf, "salt_hex")));
    size_t il = unhex(info, json_string_value(json_object_get(kdf, "info_hex")));
    json_t *keys = json_object_get(d, "feature_keys");
    size_t nf = json_array_size(keys), ks = 64;
    ck_assert_uint_eq(nf, 7);
    uint8_t *okm = malloc(nf * 2 * ks);
    ck_assert_int_eq(tznr__hkdf(okm, nf * 2 * ks, TZNR__MD_SHA256, secret, sl, salt, tl, info, il), TZNR_OK);
    for (size_t i = 0; i < nf; i++) {
        uint8_t k0[64], k1[64];
        unhex(k0, json_string_value(json_object_get(json_array_get(keys, i), "key0_hex")));
        unhex(k1, json_string_value(json_object_get(json_array_get(keys, i), "key1_hex")));
        ck_assert_mem_eq(okm + 2 * i * ks, k0, ks);
        ck_assert_mem_eq(okm + (2 * i + 1) * ks, k1, ks);
    }
    free(okm);
    json_decref(d);
}
END_TEST

START_TEST(ct_equal)
{
    ck_assert_int_eq(tznr__ct_equal("abcd", "abcd", 4), 1);
    ck_assert_int_eq(tznr__ct_equal("abcd", "abce", 4), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("kat");
    tcase_add_test(tc, hkdf_rfc5869);
    tcase_add_test(tc, hmac_rfc2202);
    tcase_add_test(tc, blake2b_keyed_kat);
    tcase_add_test(tc, base64_rfc4648);
    tcase_add_test(tc, hkdf_clkhash_feature_keys);
    tcase_add_test(tc, ct_equal);
    suite_add_tcase(s, tc);
    return tt_run(s);
}
