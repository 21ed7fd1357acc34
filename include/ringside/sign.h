/* ringside/sign.h -- request signing for venue APIs (HMAC-SHA256, Ed25519),
 * via OpenSSL.
 *
 * An rs_sign_key lives in CALLER memory; put it in locked, non-dumpable
 * memory (rs_secure_alloc, exec_secrets.h) because the HMAC variant holds
 * key-derived hash states. The Ed25519 private key is held by OpenSSL; it is placed
 * in OpenSSL's secure heap (mlocked, MADV_DONTDUMP) when rs_secure_heap_init()
 * ran first (rs_secrets_load does that).
 *
 * Hot path: HMAC signing allocates nothing: the inner/outer SHA-256 states
 * are computed once at init (OpenSSL's SHA256_* block functions, which
 * OpenSSL 3.0 marks deprecated but still ships, with its SHA-NI/AVX2 code),
 * then copied per signature -- two compressions fewer than HMAC() and no
 * EVP context churn (EVP_DigestInit_ex allocates 224 bytes a call in 3.0).
 * rs_sign_ed25519_b64 creates an OpenSSL EVP_MD_CTX per signature (OpenSSL
 * 3.0 cannot reuse an Ed25519 DigestSign context), so it allocates inside
 * libcrypto; this is measured in `ringside bench exec`. A WS API session that
 * is logged on (session.logon) needs no per-order signature at all.
 */
#ifndef RINGSIDE_SIGN_H
#define RINGSIDE_SIGN_H

#include <stddef.h>
#include <stdint.h>

enum rs_sign_kind { RS_SIGN_NONE = 0, RS_SIGN_HMAC = 1, RS_SIGN_ED25519 = 2 };

#define RS_SIGN_HMAC_HEX 64           /* chars of an HMAC-SHA256 hex signature */
#define RS_SIGN_ED25519_B64 88        /* chars of a base64 Ed25519 signature */
#define RS_SIGN_MAX 96                /* buffer for any signature text + NUL */

typedef struct rs_sign_key {
    int kind;                         /* enum rs_sign_kind */
    int pad;
    /* HMAC: SHA-256 states after absorbing key^ipad and key^opad (OpenSSL
     * SHA256_CTX, opaque here). Key-derived: keep in secure memory. */
    _Alignas(16) uint8_t hst[2][128];
    void *pkey;                       /* Ed25519: EVP_PKEY, owned */
} rs_sign_key;

/* Initialise an HMAC-SHA256 key from secret[0..n) (n <= 4096; longer keys
 * are hashed first as RFC 2104 says). Returns 0, or -ENOMEM / -RS_ETLS with a
 * message. The caller may wipe `secret` afterwards. */
int rs_sign_init_hmac(rs_sign_key *k, const void *secret, size_t n);

/* Initialise an Ed25519 key from a PEM "PRIVATE KEY" block (PKCS#8, as made
 * by `openssl genpkey -algorithm ed25519`) or from a raw 32-byte seed when
 * pem_len == 32 and raw == 1. Returns 0 or -RS_ETLS / -EINVAL with a message. */
int rs_sign_init_ed25519(rs_sign_key *k, const void *pem_or_seed, size_t n, int raw);

/* Wipe the pads and release OpenSSL objects. Safe on a zeroed key. */
void rs_sign_fini(rs_sign_key *k);

/* Sign the concatenation a[0..na) || b[0..nb) (b may be NULL) and write the
 * signature text into out[cap] (NUL-terminated): lowercase hex for HMAC,
 * standard base64 for Ed25519. Returns the text length, or -1 when the key is
 * not initialised, cap is too small or OpenSSL fails (hot path: no message). */
int rs_sign(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, char *out, size_t cap);

/* Verify a signature text made by rs_sign (used by the simulator and tests).
 * Returns 1 if valid, 0 if not. */
int rs_sign_verify(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, const char *sig, size_t nsig);

/* Lowercase hex of in[0..n) into out (2n chars + NUL). */
void rs_hex(const uint8_t *in, size_t n, char *out);

#endif
