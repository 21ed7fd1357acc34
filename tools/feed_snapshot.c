/* REST depth snapshot fetcher (see feed_snapshot.h). Control-path code on
 * its own thread: blocking sockets with deadlines, one request at a time. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include "feed_snapshot.h"
#include "ringside/atomics.h"
#include "ringside/feed_stage.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/tls.h"
#include "ringside/tsc.h"

#define BODY_CAP ((uint32_t)RS_FEED_MAX_FRAME)
#define RESP_CAP (BODY_CAP + 8192u)
#define TIMEOUT_NS 5000000000ll

struct rs_snap {
    char host[256], sni[256], prefix[256], path[64];
    uint16_t port;
    bool tls;
    int limit;
    uint32_t nsym;
    char sym[RS_MAX_SYMBOLS][RS_SYMBOL_MAX];
    rs_tls_ctx *ctx;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t want;               /* under mu */
    bool stop;                   /* under mu */
    uint32_t fails[RS_MAX_SYMBOLS];
    /* handoff: the fetcher fills res_* then release-stores ready = 1; the
     * feed thread acquire-loads it (rs_snap_take), publishes, and
     * release-stores ready = 0 (rs_snap_release), which the fetcher
     * acquire-loads before writing the next result */
    _Atomic uint32_t ready;
    uint16_t res_sym;
    uint32_t res_n;
    uint8_t *res;
    uint8_t *resp;               /* raw HTTP response (fetcher thread) */
    _Atomic uint64_t n_req, n_ok, n_fail;
    _Atomic int64_t last_ms;
};

/* ---- one HTTPS GET ---------------------------------------------------------- */

static int dial(const char *host, uint16_t port, char *err, size_t ecap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0 || !res) {
        snprintf(err, ecap, "cannot resolve %s", host);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        snprintf(err, ecap, "socket: %s", strerror(errno));
        return -1;
    }
    struct timeval tv = {TIMEOUT_NS / 1000000000ll, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(err, ecap, "connect %s:%u: %s", host, port, strerror(errno));
        freeaddrinfo(res);
        close(fd);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int tls_flush(int fd, rs_tls *t)
{
    uint8_t b[16384];
    size_t k;
    while ((k = rs_tls_take_tx(t, b, sizeof b)) > 0)
        if (send_all(fd, b, k) < 0)
            return -1;
    return 0;
}

/* recv into the TLS engine; 1 got bytes, 0 EOF, -1 error/timeout */
static int tls_pump(int fd, rs_tls *t)
{
    uint8_t b[16384];
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r < 0)
        return errno == EINTR ? 1 : -1;
    if (r == 0)
        return 0;
    size_t off = 0;
    while (off < (size_t)r) {
        size_t k = rs_tls_feed(t, b + off, (size_t)r - off);
        off += k;
        if (off < (size_t)r && k == 0)
            return -1;   /* BIO full mid-handshake: cannot happen with 64 KiB */
    }
    return 1;
}

/* Where the HTTP message ends: content-length, chunked or EOF. Returns the
 * body length when complete (body copied to out), -2 when more is needed,
 * -1 on a malformed response. */
static long http_complete(const uint8_t *r, size_t n, bool eof, int *status, uint8_t *out, uint32_t cap)
{
    const uint8_t *he = NULL;
    for (size_t i = 3; i < n; i++)
        if (r[i - 3] == '\r' && r[i - 2] == '\n' && r[i - 1] == '\r' && r[i] == '\n') {
            he = r + i + 1;
            break;
        }
    if (!he)
        return eof ? -1 : -2;
    if (sscanf((const char *)r, "HTTP/1.%*d %d", status) != 1)
        return -1;
    long clen = -1;
    bool chunked = false;
    for (const uint8_t *p = r; p < he;) {
        const uint8_t *e = memchr(p, '\n', (size_t)(he - p));
        if (!e)
            break;
        size_t l = (size_t)(e - p);
        if (l > 15 && !strncasecmp((const char *)p, "content-length:", 15))
            clen = strtol((const char *)p + 15, NULL, 10);
        if (l > 18 && !strncasecmp((const char *)p, "transfer-encoding:", 18)) {
            char v[64];
            size_t vl = l - 18 < sizeof v - 1 ? l - 18 : sizeof v - 1;
            memcpy(v, p + 18, vl);
            v[vl] = 0;
            chunked = strcasestr(v, "chunked") != NULL;
        }
        p = e + 1;
    }
    size_t avail = n - (size_t)(he - r);
    if (chunked) {
        const uint8_t *p = he, *end = r + n;
        uint32_t o = 0;
        for (;;) {
            const uint8_t *e = memchr(p, '\n', (size_t)(end - p));
            if (!e)
                return eof ? -1 : -2;
            unsigned long k = strtoul((const char *)p, NULL, 16);
            p = e + 1;
            if (k == 0)
                return o;
            if ((size_t)(end - p) < k + 2)
                return eof ? -1 : -2;
            if (o + k > cap)
                return -1;
            memcpy(out + o, p, k);
            o += (uint32_t)k;
            p += k + 2;
        }
    }
    if (clen >= 0) {
        if (avail < (size_t)clen)
            return eof ? -1 : -2;
        if ((size_t)clen > cap)
            return -1;
        memcpy(out, he, (size_t)clen);
        return clen;
    }
    if (!eof)
        return -2;
    if (avail > cap)
        return -1;
    memcpy(out, he, avail);
    return (long)avail;
}

/* GET path; the body goes to out. Returns the body length, or -1 with err. */
static long https_get(rs_snap *s, const char *path, uint8_t *out, uint32_t cap, int *status, char *err, size_t ecap)
{
    int fd = dial(s->host, s->port, err, ecap);
    if (fd < 0)
        return -1;
    rs_tls *t = NULL;
    long res = -1;
    size_t n = 0;
    int64_t deadline = rs_mono_ns() + TIMEOUT_NS;
    if (s->tls) {
        if (rs_tls_create(&t, s->ctx, s->sni, 0) != 0) {
            snprintf(err, ecap, "%s", rs_err_msg());
            goto out;
        }
        for (;;) {
            int rc = rs_tls_handshake(t);
            if (tls_flush(fd, t) < 0) {
                snprintf(err, ecap, "TLS handshake: send failed");
                goto out;
            }
            if (rc == RS_OK)
                break;
            if (rc != RS_AGAIN) {
                snprintf(err, ecap, "TLS: %s", rs_err_msg());
                goto out;
            }
            if (tls_pump(fd, t) <= 0 || rs_mono_ns() > deadline) {
                snprintf(err, ecap, "TLS handshake with %s:%u failed (closed or timed out)", s->host, s->port);
                goto out;
            }
        }
    }
    char req[1024];
    int rl = snprintf(req, sizeof req,
                      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ringside-feed\r\nAccept: application/json\r\n"
                      "Connection: close\r\n\r\n", path, s->sni);
    if (t) {
        if (rs_tls_write(t, (const uint8_t *)req, (size_t)rl) != RS_OK || tls_flush(fd, t) < 0) {
            snprintf(err, ecap, "sending the request failed");
            goto out;
        }
    } else if (send_all(fd, (const uint8_t *)req, (size_t)rl) < 0) {
        snprintf(err, ecap, "sending the request failed");
        goto out;
    }
    for (;;) {
        bool eof = false;
        if (t) {
            int k;
            while ((k = rs_tls_read(t, s->resp + n, RESP_CAP - n)) > 0)
                n += (size_t)k;
            if (k < 0)
                eof = true;   /* close_notify (or an error: the length check decides) */
        }
        long b = http_complete(s->resp, n, eof, status, out, cap);
        if (b >= 0) {
            res = b;
            goto out;
        }
        if (b == -1 || n >= RESP_CAP) {
            snprintf(err, ecap, "malformed or oversize HTTP response (%zu bytes)", n);
            goto out;
        }
        if (rs_mono_ns() > deadline) {
            snprintf(err, ecap, "timed out after %zu response bytes", n);
            goto out;
        }
        if (t) {
            int p = tls_pump(fd, t);
            if (p < 0) {
                snprintf(err, ecap, "receive failed or timed out");
                goto out;
            }
            if (p == 0) {
                while (rs_tls_read(t, s->resp + n, RESP_CAP - n) > 0) {}
                b = http_complete(s->resp, n, true, status, out, cap);
                if (b >= 0)
                    res = b;
                else
                    snprintf(err, ecap, "connection closed mid-response");
                goto out;
            }
        } else {
            ssize_t r = recv(fd, s->resp + n, RESP_CAP - n, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                b = http_complete(s->resp, n, true, status, out, cap);
                if (b >= 0)
                    res = b;
                else
                    snprintf(err, ecap, r == 0 ? "connection closed mid-response" : "receive failed or timed out");
                goto out;
            }
            n += (size_t)r;
        }
    }
out:
    if (t) {
        rs_tls_shutdown(t);
        tls_flush(fd, t);
        rs_tls_destroy(t);
    }
    close(fd);
    return res;
}

/* ---- the fetcher thread -------------------------------------------------------- */

static void publish(rs_snap *s, uint16_t sym, const uint8_t *p, uint32_t n)
{
    /* wait until the feed thread took the previous result; partner: the
     * release store in rs_snap_release */
    for (;;) {
        if (rs_load_acquire(&s->ready) == 0)
            break;
        pthread_mutex_lock(&s->mu);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            return;
        usleep(1000);
    }
    if (p != s->res)
        memcpy(s->res, p, n);
    s->res_sym = sym;
    s->res_n = n;
    /* partner: the acquire load in rs_snap_take */
    rs_store_release(&s->ready, 1u);
}

static void *fetcher_main(void *arg)
{
    rs_snap *s = arg;
    uint8_t *body = rs_mem_alloc(BODY_CAP, 64, "snapshot body");
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->want && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->stop) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        uint16_t sym = (uint16_t)__builtin_ctzll(s->want);
        s->want &= ~(1ull << sym);
        uint32_t fails = s->fails[sym];
        pthread_mutex_unlock(&s->mu);
        if (fails) {
            /* back off while this venue fails us: 100 ms doubling, capped;
             * a stop request cuts it short */
            int64_t ms = 100ll << (fails < 6 ? fails - 1 : 5);
            if (ms > 5000)
                ms = 5000;
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t ns = until.tv_nsec + ms * 1000000ll;
            until.tv_sec += ns / 1000000000ll;
            until.tv_nsec = ns % 1000000000ll;
            pthread_mutex_lock(&s->mu);
            while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {}
            bool stop = s->stop;
            pthread_mutex_unlock(&s->mu);
            if (stop)
                break;
        }
        char path[512], err[1024] = "";
        snprintf(path, sizeof path, "%s%s?symbol=%s&limit=%d", s->prefix, s->path, s->sym[sym], s->limit);
        int status = 0;
        long n = body ? https_get(s, path, body, BODY_CAP, &status, err, sizeof err) : -1;
        rs_store_relaxed(&s->last_ms, rs_now_ns() / 1000000);
        if (n >= 0 && status == 200) {
            s->fails[sym] = 0;
            rs_add_relaxed(&s->n_ok, 1);
            rs_debug("feed", "depth snapshot %s: %ld bytes", s->sym[sym], n);
            publish(s, sym, body, (uint32_t)n);
        } else {
            s->fails[sym]++;
            rs_add_relaxed(&s->n_fail, 1);
            char msg[1200];
            if (n >= 0)
                snprintf(err, sizeof err, "HTTP %d: %.*s", status, (int)(n < 160 ? n : 160), (const char *)body);
            rs_warn("feed", "depth snapshot %s from %s:%u%s failed: %s", s->sym[sym], s->host, s->port, path, err);
            /* journaled like a response: the stage rejects it and asks again */
            int m = snprintf(msg, sizeof msg, "{\"error\":\"");
            for (const char *q = err; *q && m < (int)sizeof msg - 4; q++)
                msg[m++] = *q == '"' || *q == '\\' || (unsigned char)*q < 0x20 ? '\'' : *q;
            msg[m++] = '"';
            msg[m++] = '}';
            publish(s, sym, (const uint8_t *)msg, (uint32_t)m);
        }
    }
    rs_mem_free(body);
    return NULL;
}

/* ---- API -------------------------------------------------------------------------- */

int rs_snap_create(rs_snap **out, const rs_config *cfg, int limit)
{
    *out = NULL;
    const rs_cfg_feed *fc = &cfg->feed;
    if (!fc->rest_url_parsed.set)
        return rs_err_set(RS_EBADCFG, "feed.rest_url is not set: depth snapshots need it");
    rs_snap *s = rs_mem_alloc(sizeof *s, 64, "snapshot fetcher");
    if (!s)
        return -ENOMEM;
    memset(s, 0, sizeof *s);
    s->res = rs_mem_alloc(BODY_CAP, 64, "snapshot result");
    s->resp = rs_mem_alloc(RESP_CAP, 64, "snapshot response");
    if (!s->res || !s->resp) {
        rs_snap_destroy(s);
        return -ENOMEM;
    }
    snprintf(s->host, sizeof s->host, "%s", fc->rest_url_parsed.host);
    snprintf(s->sni, sizeof s->sni, "%s", fc->tls.server_name[0] ? fc->tls.server_name : fc->rest_url_parsed.host);
    const char *pre = fc->rest_url_parsed.path;
    size_t pl = strlen(pre);
    while (pl && pre[pl - 1] == '/')
        pl--;
    snprintf(s->prefix, sizeof s->prefix, "%.*s", (int)pl, pre);
    snprintf(s->path, sizeof s->path, "%s",
             fc->venue == RS_CFG_VENUE_BINANCE_FUT ? "/fapi/v1/depth" : "/api/v3/depth");
    s->port = fc->rest_url_parsed.port;
    s->tls = fc->rest_url_parsed.tls;
    s->limit = limit > 0 ? limit : 100;
    s->nsym = cfg->instruments_count < RS_MAX_SYMBOLS ? cfg->instruments_count : RS_MAX_SYMBOLS;
    for (uint32_t i = 0; i < s->nsym; i++)
        snprintf(s->sym[i], RS_SYMBOL_MAX, "%s", cfg->instruments[i].symbol);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (s->tls) {
        rs_tls_cfg tc = {.ca_file = fc->tls.ca_file[0] ? fc->tls.ca_file : NULL, .no_system_ca = !fc->tls.system_ca,
                         .insecure = !fc->tls.verify, .tls13 = fc->tls.tls13};
        int rc = rs_tls_ctx_create(&s->ctx, &tc);
        if (rc) {
            rs_snap_destroy(s);
            return rc;
        }
    }
    int rc = pthread_create(&s->th, NULL, fetcher_main, s);
    if (rc) {
        rs_snap_destroy(s);
        return rs_err_set(rc, "feed: cannot start the snapshot fetcher thread");
    }
    s->started = true;
    *out = s;
    return 0;
}

void rs_snap_destroy(rs_snap *s)
{
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->th, NULL);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    if (s->ctx)
        rs_tls_ctx_destroy(s->ctx);
    rs_mem_free(s->res);
    rs_mem_free(s->resp);
    rs_mem_free(s);
}

void rs_snap_request(rs_snap *s, uint64_t mask)
{
    uint64_t valid = s->nsym >= 64 ? ~0ull : (1ull << s->nsym) - 1;
    mask &= valid;
    if (!mask)
        return;
    rs_add_relaxed(&s->n_req, (uint64_t)__builtin_popcountll(mask));
    pthread_mutex_lock(&s->mu);
    s->want |= mask;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int rs_snap_take(rs_snap *s, uint16_t *sym, const uint8_t **body, uint32_t *n)
{
    /* partner: the release store in publish() */
    if (!rs_load_acquire(&s->ready))
        return 0;
    *sym = s->res_sym;
    *body = s->res;
    *n = s->res_n;
    return 1;
}

void rs_snap_release(rs_snap *s)
{
    /* partner: the acquire load in publish() */
    rs_store_release(&s->ready, 0u);
}

void rs_snap_stats_get(const rs_snap *s, rs_snap_stats *o)
{
    o->requests = rs_load_relaxed(&s->n_req);
    o->fetched = rs_load_relaxed(&s->n_ok);
    o->failed = rs_load_relaxed(&s->n_fail);
    o->last_ms = rs_load_relaxed(&s->last_ms);
}
