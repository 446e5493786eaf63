// OpenSSL's libcrypto headers used by the project (hashing, HMAC, random).
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// The plain SHA256_CTX functions (deprecated in OpenSSL 3, still shipped) let a
// SHA-256 state be copied as a value: AWSSigV4's HMACKeySchedule relies on it.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif
