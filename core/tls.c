/* TLS client over a BIO pair: io_uring moves the ciphertext (see tls.h). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/tls.h"

struct rs_tls_ctx {
    SSL_CTX *ctx;
    bool insecure;
};

struct rs_tls {
    SSL *ssl;
    BIO *net;     /* our end of the pair: ciphertext in and out */
    char host[256];
};

static void ssl_errors(char *buf, size_t cap)
{
    buf[0] = 0;
    unsigned long e;
    size_t off = 0;
    while ((e = ERR_get_error()) != 0 && off + 2 < cap) {
        char one[256];
        ERR_error_string_n(e, one, sizeof one);
        int w = snprintf(buf + off, cap - off, "%s%s", off ? "; " : "", one);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

int rs_tls_ctx_create(rs_tls_ctx **out, const rs_tls_cfg *cfg_in)
{
    rs_tls_cfg cfg = cfg_in ? *cfg_in : (rs_tls_cfg){0};
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return rs_err_set(RS_ETLS, "tls: SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (!cfg.tls13) {
        /* OpenSSL 3.0 allocates a small MAC buffer for every TLS 1.3 record
         * it decrypts; TLS 1.2 with an AEAD cipher allocates nothing in the
         * steady state (measured in test_venue_sim_md). */
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
        if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
            SSL_CTX_free(ctx);
            return rs_err_set(RS_ETLS, "tls: no ECDHE+AEAD cipher available");
        }
    }
    /* Buffers are kept for the life of the connection: no malloc/free per record. */
    SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (cfg.insecure) {
        rs_warn("tls", "certificate verification DISABLED (insecure)");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (!cfg.no_system_ca && SSL_CTX_set_default_verify_paths(ctx) != 1)
            rs_warn("tls", "cannot load the system trust store");
        if (cfg.ca_file && SSL_CTX_load_verify_locations(ctx, cfg.ca_file, NULL) != 1) {
            char e[512];
            ssl_errors(e, sizeof e);
            SSL_CTX_free(ctx);
            return rs_err_set(RS_ETLS, "tls: cannot load ca_file '%s': %s", cfg.ca_file, e);
        }
    }
    rs_tls_ctx *c = rs_mem_alloc(sizeof *c, 16, "tls ctx");
    if (!c) {
        SSL_CTX_free(ctx);
        return -ENOMEM;
    }
    c->ctx = ctx;
    c->insecure = cfg.insecure;
    *out = c;
    return 0;
}

void rs_tls_ctx_destroy(rs_tls_ctx *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    rs_mem_free(c);
}

int rs_tls_create(rs_tls **out, rs_tls_ctx *ctx, const char *host, size_t bio_buf)
{
    if (!bio_buf)
        bio_buf = 64 * 1024;
    rs_tls *t = rs_mem_alloc(sizeof *t, 16, "tls session");
    if (!t)
        return -ENOMEM;
    snprintf(t->host, sizeof t->host, "%s", host);
    t->ssl = SSL_new(ctx->ctx);
    BIO *inner = NULL;
    if (!t->ssl || BIO_new_bio_pair(&inner, bio_buf, &t->net, bio_buf) != 1) {
        if (t->ssl) SSL_free(t->ssl);
        rs_mem_free(t);
        return rs_err_set(RS_ETLS, "tls: cannot create session for %s", host);
    }
    SSL_set_bio(t->ssl, inner, inner);
    SSL_set_connect_state(t->ssl);
    /* SNI is only sent for names, not for address literals (RFC 6066). */
    bool is_ip = strspn(host, "0123456789.") == strlen(host) || strchr(host, ':');
    if (!is_ip)
        SSL_set_tlsext_host_name(t->ssl, host);
    if (!ctx->insecure) {
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host)
                       : SSL_set1_host(t->ssl, host);
        if (ok != 1) {
            rs_tls_destroy(t);
            return rs_err_set(RS_ETLS, "tls: cannot set the expected peer name '%s'", host);
        }
    }
    *out = t;
    return 0;
}

void rs_tls_destroy(rs_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);   /* frees the inner BIO */
    BIO_free(t->net);
    rs_mem_free(t);
}

size_t rs_tls_feed(rs_tls *t, const uint8_t *p, size_t n)
{
    size_t room = BIO_ctrl_get_write_guarantee(t->net);
    if (n > room)
        n = room;
    if (!n)
        return 0;
    int w = BIO_write(t->net, p, (int)n);
    return w > 0 ? (size_t)w : 0;
}

size_t rs_tls_take_tx(rs_tls *t, uint8_t *buf, size_t cap)
{
    size_t pend = BIO_ctrl_pending(t->net);
    if (!pend)
        return 0;
    if (pend > cap)
        pend = cap;
    int r = BIO_read(t->net, buf, (int)pend);
    return r > 0 ? (size_t)r : 0;
}

static int tls_fail(rs_tls *t, const char *what, int rc)
{
    long vr = SSL_get_verify_result(t->ssl);
    char e[512];
    ssl_errors(e, sizeof e);
    if (vr != X509_V_OK)
        return rs_err_set(RS_ETLS, "tls: %s with %s: certificate verification failed: %s (X509 error %ld)",
                          what, t->host, X509_verify_cert_error_string(vr), vr);
    return rs_err_set(RS_ETLS, "tls: %s with %s failed (SSL error %d): %s", what, t->host,
                      SSL_get_error(t->ssl, rc), e[0] ? e : "connection closed or protocol error");
}

int rs_tls_handshake(rs_tls *t)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1)
        return RS_OK;
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return RS_AGAIN;
    return tls_fail(t, "handshake", rc);
}

int rs_tls_read(rs_tls *t, uint8_t *buf, size_t cap)
{
    size_t got = 0;
    int rc = SSL_read_ex(t->ssl, buf, cap, &got);
    if (rc == 1)
        return (int)got;
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e == SSL_ERROR_ZERO_RETURN)
        return rs_err_set(EPIPE, "tls: %s sent close_notify", t->host);
    return tls_fail(t, "read", rc);
}

int rs_tls_write(rs_tls *t, const uint8_t *p, size_t n)
{
    size_t w = 0;
    if (!n)
        return RS_OK;
    int rc = SSL_write_ex(t->ssl, p, n, &w);
    if (rc == 1)
        return RS_OK;
    int e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
        return RS_FULL;
    return tls_fail(t, "write", rc);
}

void rs_tls_shutdown(rs_tls *t)
{
    SSL_shutdown(t->ssl);
}

const char *rs_tls_version(const rs_tls *t) { return SSL_get_version(t->ssl); }

const char *rs_tls_cipher(const rs_tls *t) { return SSL_get_cipher_name(t->ssl); }
