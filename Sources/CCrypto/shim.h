#ifndef POUR_CCRYPTO_SHIM_H
#define POUR_CCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

/// OpenSSL's atexit handler can race handle clean-up at process exit; opt out once at start-up.
static inline int pour_openssl_init_no_atexit(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}
/// RSA-PSS (SHA-512, MGF1-SHA-512, 64-byte salt) verification of a SHA-512 `digest` already
/// computed over the signing input, against a PEM public key: the JWS "PS512" algorithm with the
/// hashing done by the caller, so a 30 MB payload can be hashed as it streams instead of being
/// held whole. Returns 1 valid, 0 invalid signature, -1 unusable key.
static inline int pour_ps512_verify_digest(const char *pem, size_t pem_len,
                                           const unsigned char *digest, size_t digest_len,
                                           const unsigned char *signature, size_t signature_len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    if (bio == NULL) return -1;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) { EVP_PKEY_free(key); ERR_clear_error(); return -1; }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    int result = 0;
    if (ctx != NULL
        && EVP_PKEY_verify_init(ctx) == 1
        && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0
        && EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha512()) > 0
        && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha512()) > 0
        && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 64) > 0) {
        result = EVP_PKEY_verify(ctx, signature, signature_len, digest, digest_len) == 1 ? 1 : 0;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return result;
}

/// Signs `message` with PS512 using a PEM private key (test catalogues only). Writes at most
/// `capacity` bytes to `out`; returns the signature length, or -1.
static inline long pour_ps512_sign(const char *pem, size_t pem_len,
                                   const unsigned char *message, size_t message_len,
                                   unsigned char *out, size_t capacity) {
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    if (bio == NULL) return -1;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) { ERR_clear_error(); return -1; }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    long result = -1;
    size_t length = capacity;
    if (md != NULL
        && EVP_DigestSignInit(md, &pctx, EVP_sha512(), NULL, key) == 1
        && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
        && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) > 0
        && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 64) > 0
        && EVP_DigestSign(md, out, &length, message, message_len) == 1) {
        result = (long)length;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return result;
}

/// Generates an RSA key pair (test catalogues only). On success returns 1 and sets `*private_pem`
/// and `*public_pem` to malloc'd NUL-terminated PEM text the caller frees with `free`.
static inline int pour_rsa_generate_pem(int bits, char **private_pem, char **public_pem) {
    EVP_PKEY *key = EVP_RSA_gen((unsigned int)bits);
    if (key == NULL) return 0;
    int ok = 0;
    BIO *priv = BIO_new(BIO_s_mem());
    BIO *pub = BIO_new(BIO_s_mem());
    if (priv && pub && PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL) == 1
        && PEM_write_bio_PUBKEY(pub, key) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(priv, &data);
        *private_pem = (char *)calloc((size_t)n + 1, 1);
        if (*private_pem) memcpy(*private_pem, data, (size_t)n);
        n = BIO_get_mem_data(pub, &data);
        *public_pem = (char *)calloc((size_t)n + 1, 1);
        if (*public_pem) memcpy(*public_pem, data, (size_t)n);
        ok = (*private_pem && *public_pem) ? 1 : 0;
    }
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}
#endif
