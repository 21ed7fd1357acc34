/* ringside/exec_secrets.h -- venue API credentials, held where they cannot
 * leak: locked (mlock), excluded from core dumps (MADV_DONTDUMP), wiped on
 * release.
 *
 * Sources, never the config file:
 *  - a file that must be owned by the effective user and have no group/other
 *    permission bits (0600 or 0400); anything else refuses to start;
 *  - or the environment: RINGSIDE_API_KEY, RINGSIDE_API_SECRET (HMAC) and/or
 *    RINGSIDE_ED25519_PEM (PEM text). The environment strings are wiped in
 *    place after reading, so they do not linger in the process image.
 *
 * File format: `key = value` lines; `#` comments; keys:
 *    api_key       the API key (sent in the X-MBX-APIKEY header / apiKey)
 *    hmac_secret   HMAC-SHA256 secret key (REST / WS API HMAC signing)
 *    ed25519_seed  64 hex chars: the raw Ed25519 private seed
 * and optionally one PEM block (-----BEGIN PRIVATE KEY----- ... -----END
 * PRIVATE KEY-----) holding an Ed25519 PKCS#8 key.
 *
 * Everything here is control path (start-up).
 */
#ifndef RINGSIDE_EXEC_SECRETS_H
#define RINGSIDE_EXEC_SECRETS_H

#include <stddef.h>

#include "ringside/sign.h"

#define RS_API_KEY_MAX 128

typedef struct rs_secrets {
    char api_key[RS_API_KEY_MAX];   /* NUL-terminated; "" if none */
    size_t api_key_len;
    rs_sign_key hmac;                /* kind RS_SIGN_NONE if no HMAC secret */
    rs_sign_key ed25519;             /* kind RS_SIGN_NONE if no Ed25519 key */
} rs_secrets;

/* Map n bytes (rounded up to pages) of locked, non-dumpable, zeroed memory.
 * Returns NULL with rs_err set on failure (mmap); a failing mlock (RLIMIT_MEMLOCK)
 * is logged as a warning and the memory is still MADV_DONTDUMP. */
void *rs_secure_alloc(size_t n);
/* Wipe and unmap memory from rs_secure_alloc (NULL is a no-op). */
void rs_secure_free(void *p, size_t n);

/* Start OpenSSL's secure heap (mlocked, MADV_DONTDUMP) so that OpenSSL keeps
 * private keys there. Idempotent. Returns 0 or -RS_ETLS. */
int rs_secure_heap_init(void);

/* Load credentials into a new rs_secrets in secure memory.
 * path: secrets file, or NULL to use the environment.
 * Returns 0 and *out, or a negative code with a message naming the file and
 * line: -EPERM (file mode/owner), -ENOENT, -EINVAL (syntax, no usable key). */
int rs_secrets_load(const char *path, rs_secrets **out);

/* Wipe every byte, free the OpenSSL keys and unmap. NULL is a no-op. */
void rs_secrets_destroy(rs_secrets *s);

#endif
