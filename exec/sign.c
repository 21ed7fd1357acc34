/* HMAC-SHA256 and Ed25519 request signing (OpenSSL EVP). */
#include <errno.h>
#include <string.h>

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3.0 but are the only
 * allocation-free way to reuse precomputed HMAC states (see sign.h). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ringside/common.h"
#include "ringside/sign.h"

void rs_hex(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

static_assert(sizeof(SHA256_CTX) <= 128, "rs_sign_key.hst too small for SHA256_CTX");

int rs_sign_init_hmac(rs_sign_key *k, const void *secret, size_t n)
{
    memset(k, 0, sizeof *k);
    if (n > 4096)
        return rs_err_set(EINVAL, "sign.c: HMAC secret too long (%zu bytes)", n);
    uint8_t key[64], pad[64];
    memset(key, 0, sizeof key);
    if (n > 64)
        SHA256(secret, n, key); /* RFC 2104: long keys are hashed first */
    else
        memcpy(key, secret, n);
    SHA256_CTX *in = (SHA256_CTX *)k->hst[0], *out = (SHA256_CTX *)k->hst[1];
    for (int i = 0; i < 64; i++)
        pad[i] = key[i] ^ 0x36;
    SHA256_Init(in);
    SHA256_Update(in, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] = key[i] ^ 0x5c;
    SHA256_Init(out);
    SHA256_Update(out, pad, 64);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(pad, sizeof pad);
    k->kind = RS_SIGN_HMAC;
    return 0;
}

int rs_sign_init_ed25519(rs_sign_key *k, const void *src, size_t n, int raw)
{
    memset(k, 0, sizeof *k);
    EVP_PKEY *pk = NULL;
    if (raw) {
        if (n != 32)
            return rs_err_set(EINVAL, "sign.c: raw Ed25519 seed must be 32 bytes, got %zu", n);
        pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, src, 32);
    } else {
        BIO *b = BIO_new_mem_buf(src, (int)n);
        if (b) {
            pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
            BIO_free(b);
        }
    }
    if (!pk)
        return rs_err_set(RS_ETLS, "sign.c: cannot load Ed25519 private key (%s)",
                          raw ? "raw seed" : "PEM PRIVATE KEY block");
    if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pk);
        return rs_err_set(RS_ETLS, "sign.c: private key is not Ed25519");
    }
    k->pkey = pk;
    k->kind = RS_SIGN_ED25519;
    return 0;
}

void rs_sign_fini(rs_sign_key *k)
{
    if (k->pkey)
        EVP_PKEY_free(k->pkey);
    OPENSSL_cleanse(k, sizeof *k);
}

static int hmac_raw(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, uint8_t mac[32])
{
    SHA256_CTX c;
    uint8_t inner[32];
    memcpy(&c, k->hst[0], sizeof c);
    SHA256_Update(&c, a, na);
    if (nb)
        SHA256_Update(&c, b, nb);
    SHA256_Final(inner, &c);
    memcpy(&c, k->hst[1], sizeof c);
    SHA256_Update(&c, inner, 32);
    SHA256_Final(mac, &c);
    OPENSSL_cleanse(inner, sizeof inner);
    OPENSSL_cleanse(&c, sizeof c);
    return 0;
}

static int ed_raw(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, uint8_t sig[64])
{
    /* Ed25519 is one-shot (PureEdDSA hashes the message twice), so a split
     * payload must be joined first; REST with a body is the only caller. */
    uint8_t join[8192];
    const uint8_t *msg = a;
    size_t n = na;
    if (nb) {
        if (na + nb > sizeof join)
            return -1;
        memcpy(join, a, na);
        memcpy(join + na, b, nb);
        msg = join;
        n = na + nb;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t slen = 64;
    int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
             EVP_DigestSign(md, sig, &slen, msg, n) == 1 && slen == 64;
    EVP_MD_CTX_free(md);
    if (nb)
        OPENSSL_cleanse(join, n);
    return ok ? 0 : -1;
}

int rs_sign(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, char *out, size_t cap)
{
    if (k->kind == RS_SIGN_HMAC) {
        uint8_t mac[32];
        if (cap < RS_SIGN_HMAC_HEX + 1 || hmac_raw(k, a, na, b, nb, mac))
            return -1;
        rs_hex(mac, 32, out);
        OPENSSL_cleanse(mac, sizeof mac);
        return RS_SIGN_HMAC_HEX;
    }
    if (k->kind == RS_SIGN_ED25519) {
        uint8_t sig[64];
        if (cap < RS_SIGN_ED25519_B64 + 1 || ed_raw(k, a, na, b, nb, sig))
            return -1;
        int n = EVP_EncodeBlock((unsigned char *)out, sig, 64);
        OPENSSL_cleanse(sig, sizeof sig);
        return n;
    }
    return -1;
}

int rs_sign_verify(rs_sign_key *k, const void *a, size_t na, const void *b, size_t nb, const char *sig, size_t nsig)
{
    if (k->kind == RS_SIGN_HMAC) {
        char mine[RS_SIGN_MAX];
        int n = rs_sign(k, a, na, b, nb, mine, sizeof mine);
        if (n < 0 || (size_t)n != nsig)
            return 0;
        int ok = 1;
        /* Binance treats hex case-insensitively. */
        for (int i = 0; i < n; i++) {
            char c = sig[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            ok &= c == mine[i];
        }
        OPENSSL_cleanse(mine, sizeof mine);
        return ok;
    }
    if (k->kind == RS_SIGN_ED25519) {
        uint8_t raw[72];
        if (nsig != RS_SIGN_ED25519_B64)
            return 0;
        if (EVP_DecodeBlock(raw, (const unsigned char *)sig, (int)nsig) < 64)
            return 0;
        uint8_t join[8192];
        const uint8_t *msg = a;
        size_t n = na;
        if (nb) {
            if (na + nb > sizeof join)
                return 0;
            memcpy(join, a, na);
            memcpy(join + na, b, nb);
            msg = join;
            n = na + nb;
        }
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
                 EVP_DigestVerify(md, raw, 64, msg, n) == 1;
        EVP_MD_CTX_free(md);
        return ok;
    }
    return 0;
}
