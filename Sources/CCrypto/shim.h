#ifndef POUR_CCRYPTO_SHIM_H
#define POUR_CCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/// OpenSSL's atexit handler can race handle clean-up at process exit; opt out once at start-up.
static inline int pour_openssl_init_no_atexit(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}
#endif
