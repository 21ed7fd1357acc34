/* ringside/tls.h -- TLS client over caller-moved bytes (OpenSSL BIO pair).
 *
 * The TLS engine never touches a socket: ciphertext received by io_uring is
 * fed in with rs_tls_feed, ciphertext to send is taken out with
 * rs_tls_take_tx and handed to rs_net_send. The BIO pair has fixed-size
 * buffers allocated at rs_tls_create, so the steady state (rs_tls_feed /
 * rs_tls_read / rs_tls_write) does not grow any buffer.
 *
 * Verification is ON by default: the peer chain must verify against the
 * system trust store (plus cfg.ca_file when given), SNI is set to the host
 * name and SSL_set1_host checks the certificate's names. A failure makes
 * rs_tls_handshake return -RS_ETLS with an rs_err message carrying the X509
 * verify error string (e.g. "hostname mismatch", "certificate has expired",
 * "unable to get local issuer certificate").
 */
#ifndef RINGSIDE_TLS_H
#define RINGSIDE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/common.h"

typedef struct rs_tls_ctx rs_tls_ctx;
typedef struct rs_tls rs_tls;

typedef struct rs_tls_cfg {
    const char *ca_file;   /* extra trusted CA bundle (PEM), e.g. the simulator's CA; NULL: none */
    bool no_system_ca;     /* true: trust only ca_file */
    bool insecure;         /* true: skip verification (logs a warning; never the default) */
    bool tls13;            /* allow TLS 1.3. Default off: TLS 1.2 with ECDHE + AEAD ciphers
                            * only, because OpenSSL 3.0 allocates ~48 bytes per received
                            * TLS 1.3 record (breaks the zero-allocation hot path). */
} rs_tls_cfg;

/* Create a client context (SSL_CTX, TLS >= 1.2). Returns 0 or -RS_ETLS /
 * -ENOMEM with rs_err set (unreadable ca_file names the file). */
int rs_tls_ctx_create(rs_tls_ctx **out, const rs_tls_cfg *cfg);
void rs_tls_ctx_destroy(rs_tls_ctx *c);

/* Create a session for host (SNI + certificate name check). bio_buf sizes
 * each direction of the BIO pair (0: 64 KiB). Returns 0 or negative. */
int rs_tls_create(rs_tls **out, rs_tls_ctx *ctx, const char *host, size_t bio_buf);
void rs_tls_destroy(rs_tls *t);

/* Feed up to n ciphertext bytes received from the network. Returns the
 * number accepted (less than n when the BIO buffer is full: call
 * rs_tls_read to drain, then feed the rest). */
size_t rs_tls_feed(rs_tls *t, const uint8_t *p, size_t n);

/* Advance the handshake. Returns RS_OK when complete, RS_AGAIN when more
 * network bytes are needed (send what rs_tls_take_tx yields first), or
 * -RS_ETLS with rs_err set (verification failure, alert, protocol error). */
int rs_tls_handshake(rs_tls *t);

/* Read decrypted bytes into buf. Returns bytes read (> 0), 0 when nothing is
 * available now, or -RS_ETLS / -EPIPE (peer sent close_notify) with rs_err. */
int rs_tls_read(rs_tls *t, uint8_t *buf, size_t cap);

/* Encrypt n plaintext bytes (all or nothing from the caller's view). Returns
 * RS_OK, RS_FULL (BIO full: drain with rs_tls_take_tx, then call again with
 * the SAME bytes -- OpenSSL may have consumed part of them) or -RS_ETLS. */
int rs_tls_write(rs_tls *t, const uint8_t *p, size_t n);

/* Copy up to cap ciphertext bytes that must go to the network into buf.
 * Returns the number copied (0: nothing pending). */
size_t rs_tls_take_tx(rs_tls *t, uint8_t *buf, size_t cap);

/* Queue a close_notify alert (take it with rs_tls_take_tx). */
void rs_tls_shutdown(rs_tls *t);

/* Negotiated protocol/cipher, for logs ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
const char *rs_tls_version(const rs_tls *t);
const char *rs_tls_cipher(const rs_tls *t);

#endif
