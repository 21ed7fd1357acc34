/* The exec thread's venue I/O (see exec_session.h). Like the feed source,
 * everything decided here -- what the venue answered, when, whether a
 * connection came or went -- becomes a record on the venue ring before the
 * exec stage sees it, which is what makes the exec stage replayable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "exec_session.h"
#include "ringside/exec_secrets.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/net.h"
#include "ringside/tls.h"
#include "ringside/tsc.h"
#include "ringside/ws.h"
#include "ringside/ws_client.h"

#define REST_Q_BYTES (256u << 10)
#define REST_Q_MAX 512u
#define REST_RX_BYTES (2u << 20)
#define REST_TIMEOUT_NS 10000000000ll
#define REST_BACKOFF_MIN_NS 100000000ll
#define REST_BACKOFF_MAX_NS 5000000000ll
#define PEND_STATUS_MAX 8

enum { R_CLOSED = 0, R_CONNECTING, R_HANDSHAKE, R_OPEN };

typedef struct rest_conn {
    rs_net_loop *net;
    rs_tls_ctx *tctx;
    rs_tls *tls;
    rs_net_addr addr;
    char host[256];
    bool plain;
    int slot, state;
    /* queued requests: bytes in q (secure memory: they are signed), FIFO */
    uint8_t *q;
    uint32_t q_used;
    uint32_t ids[REST_Q_MAX], lens[REST_Q_MAX];
    uint32_t head, n;
    bool inflight;
    uint32_t inflight_id;
    int64_t sent_mono;
    int64_t retry_at;
    uint32_t fails;
    uint64_t rng;
    uint8_t *rx;          /* decrypted response bytes */
    uint32_t rx_n;
    uint8_t *body;        /* de-chunked response (head + body) */
    int64_t rx_ns;        /* stamp of the read that completed the response */
    uint8_t io[16384];
} rest_conn;

struct rs_exec_session {
    rs_ws_client *ws;
    rest_conn rest;
    rs_emit *emit;        /* set for the duration of a poll */
    rs_vclock clk;
    rs_exec_session_stats st;
    uint8_t pend_status[PEND_STATUS_MAX];   /* WS up/down notices seen outside a poll */
    unsigned n_pend;
};

/* ---- venue records ------------------------------------------------------------- */

static void emit_msg(rs_exec_session *s, uint32_t conn, const uint8_t *d, uint32_t n, int64_t rx_ns)
{
    if (!s->emit) {
        s->st.emit_drops++;
        return;
    }
    if (!rx_ns)
        rx_ns = rs_now_ns();
    if (n > RS_REC_MAX - sizeof(rs_ev_raw)) {
        /* cannot be one record: journal its head as bad input (never silent);
         * the exec stage's timeout asks again */
        uint32_t keep = 4096;
        rs_ev_bad_input *b = (rs_ev_bad_input *)rs_emit_claim(s->emit, RS_EV_BAD_INPUT, (uint32_t)sizeof *b + keep);
        s->st.emit_drops++;
        if (!b)
            return;
        b->source = RS_STREAM_VENUE;
        b->reason = RS_BAD_TOO_LARGE;
        b->conn = conn;
        b->n = keep;
        memcpy(b->field, "venue_msg", 9);
        memcpy(b->data, d, keep);
        b->h.ts = rs_vclock_map(&s->clk, rx_ns);
        rs_emit_commit(s->emit, &b->h);
        return;
    }
    rs_ev_raw *r = (rs_ev_raw *)rs_emit_claim(s->emit, RS_EV_VENUE_MSG, (uint32_t)(sizeof *r + n));
    if (!r) {
        /* the venue ring is full (or the answer is larger than a record):
         * the exec stage's timeouts recover; counted for the supervisor */
        s->st.emit_drops++;
        return;
    }
    r->conn = conn;
    r->n = n;
    memcpy(r->data, d, n);
    r->h.ts = rs_vclock_map(&s->clk, rx_ns);
    rs_emit_commit(s->emit, &r->h);
    r->h.ts_local = rx_ns;
}

static void emit_status(rs_exec_session *s, int up)
{
    uint8_t d[2] = {RS_XCH_WS, (uint8_t)up};
    if (!s->emit) {
        if (s->n_pend < PEND_STATUS_MAX)
            s->pend_status[s->n_pend++] = (uint8_t)up;
        return;
    }
    emit_msg(s, RS_XCONN(RS_XCH_STATUS, 0), d, 2, 0);
}

/* ---- WS API ----------------------------------------------------------------------- */

static void ws_on_msg(void *user, uint32_t conn, const uint8_t *data, uint32_t n, int64_t rx_ns, int opcode)
{
    (void)conn;
    rs_exec_session *s = user;
    if (opcode != RS_WS_TEXT)
        return;
    s->st.ws_msgs++;
    s->st.bytes_in += n;
    emit_msg(s, RS_XCONN(RS_XCH_WS, 0), data, n, rx_ns);
}

static void ws_on_state(void *user, uint32_t conn, int event, const char *reason)
{
    rs_exec_session *s = user;
    if (event == RS_WS_EV_ROTATED)
        return;
    if (event == RS_WS_EV_OPEN) {
        s->st.ws_opens++;
        rs_info("exec", "WS API connection %u open", conn);
    } else {
        s->st.ws_closes++;
        rs_warn("exec", "WS API connection %u closed: %s", conn, reason && *reason ? reason : "(no reason)");
    }
    emit_status(s, event == RS_WS_EV_OPEN);
}

/* ---- REST: one keep-alive HTTP/1.1 connection, one request in flight ------------- */

static void rest_close(rest_conn *r, int64_t now, bool failed)
{
    if (r->slot >= 0)
        rs_net_close(r->net, r->slot);
    r->slot = -1;
    if (r->tls)
        rs_tls_destroy(r->tls);
    r->tls = NULL;
    r->state = R_CLOSED;
    r->rx_n = 0;
    if (failed) {
        r->fails++;
        r->retry_at = now + rs_ws_backoff_ns(&r->rng, r->fails, REST_BACKOFF_MIN_NS, REST_BACKOFF_MAX_NS);
    }
}

static void rest_lose_inflight(rs_exec_session *s)
{
    if (s->rest.inflight) {
        s->rest.inflight = false;
        s->st.rest_lost++;   /* the exec stage's query timeout asks again */
    }
}

static int rest_flush(rest_conn *r)
{
    if (r->plain || !r->tls)
        return 0;
    for (;;) {
        uint32_t room = rs_net_tx_free(r->net, r->slot);
        if (!room)
            return 0;
        size_t n = rs_tls_take_tx(r->tls, r->io, room < sizeof r->io ? room : sizeof r->io);
        if (!n)
            return 0;
        if (rs_net_send(r->net, r->slot, r->io, (uint32_t)n) != RS_OK)
            return -1;
    }
}

static void rest_q_pop(rest_conn *r)
{
    uint32_t len = r->lens[r->head % REST_Q_MAX];
    OPENSSL_cleanse(r->q, len);
    memmove(r->q, r->q + len, r->q_used - len);
    r->q_used -= len;
    r->head++;
    r->n--;
}

/* Send the head of the queue if nothing is in flight. */
static void rest_send_next(rs_exec_session *s, int64_t now)
{
    rest_conn *r = &s->rest;
    if (r->state != R_OPEN || r->inflight || !r->n)
        return;
    uint32_t len = r->lens[r->head % REST_Q_MAX];
    if (r->plain) {
        if (rs_net_send(r->net, r->slot, r->q, len) != RS_OK)
            return;   /* tx full: next poll */
    } else {
        int rc = rs_tls_write(r->tls, r->q, len);
        if (rc == RS_FULL) {
            rest_flush(r);
            return;
        }
        if (rc != RS_OK) {
            s->st.rest_fails++;
            rest_close(r, now, true);
            return;
        }
        rest_flush(r);
    }
    r->inflight = true;
    r->inflight_id = r->ids[r->head % REST_Q_MAX];
    r->sent_mono = now;
    s->st.rest_sent++;
    s->st.bytes_out += len;
    rest_q_pop(r);
}

static const char *find_hdr_end(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 3; i < n; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return (const char *)p + i + 1;
    return NULL;
}

/* Value of header `name` in [p, e) (head only), or NULL. */
static const char *hdr_val(const char *p, const char *e, const char *name, const char **ve)
{
    size_t nl = strlen(name);
    for (const char *l = p; l < e;) {
        const char *le = memchr(l, '\n', (size_t)(e - l));
        if (!le)
            le = e;
        if ((size_t)(le - l) > nl && l[nl] == ':' && !strncasecmp(l, name, nl)) {
            const char *v = l + nl + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            const char *x = le;
            while (x > v && (x[-1] == '\r' || x[-1] == ' '))
                x--;
            *ve = x;
            return v;
        }
        l = le + 1;
    }
    return NULL;
}

/* One complete response at the start of rx? Returns its length in rx (> 0),
 * 0 if incomplete, -1 if malformed. out, out_n: the bytes to journal (head +
 * de-chunked body). */
static int rest_take_response(rest_conn *r, const uint8_t **out, uint32_t *out_n, bool *close_after)
{
    const char *he = find_hdr_end(r->rx, r->rx_n);
    if (!he)
        return r->rx_n >= REST_RX_BYTES ? -1 : 0;
    const char *h = (const char *)r->rx;
    uint32_t head = (uint32_t)(he - h);
    const char *ve;
    const char *v = hdr_val(h, he, "Connection", &ve);
    *close_after = v && (size_t)(ve - v) == 5 && !strncasecmp(v, "close", 5);
    v = hdr_val(h, he, "Transfer-Encoding", &ve);
    if (v && (size_t)(ve - v) >= 7 && !strncasecmp(ve - 7, "chunked", 7)) {
        /* de-chunk into body[]: the parser wants the plain body */
        memcpy(r->body, h, head);
        uint32_t bn = head, pos = head;
        for (;;) {
            const uint8_t *p = r->rx + pos;
            uint32_t left = r->rx_n - pos;
            const uint8_t *nl = memchr(p, '\n', left);
            if (!nl)
                return 0;
            unsigned long sz = strtoul((const char *)p, NULL, 16);
            uint32_t hdr = (uint32_t)(nl - p) + 1;
            if (sz > REST_RX_BYTES)
                return -1;
            if (left < hdr + sz + 2)
                return 0;
            if (sz == 0) {
                /* trailers end with an empty line */
                const char *te = find_hdr_end(nl - 1, left - hdr + 2);
                uint32_t tot = te ? (uint32_t)((const uint8_t *)te - r->rx) : pos + hdr + 2;
                *out = r->body;
                *out_n = bn;
                return (int)tot;
            }
            if (bn + sz > REST_RX_BYTES)
                return -1;
            memcpy(r->body + bn, p + hdr, sz);
            bn += (uint32_t)sz;
            pos += hdr + (uint32_t)sz + 2;
        }
    }
    uint64_t cl = 0;
    v = hdr_val(h, he, "Content-Length", &ve);
    if (v)
        cl = strtoull(v, NULL, 10);
    else if (!*close_after)
        cl = 0;   /* no length, keep-alive: an empty body (e.g. 204) */
    if (head + cl > REST_RX_BYTES)
        return -1;
    if (r->rx_n < head + cl)
        return 0;
    *out = r->rx;
    *out_n = head + (uint32_t)cl;
    return (int)(head + cl);
}

static void rest_on_plain(rs_exec_session *s, int64_t now)
{
    rest_conn *r = &s->rest;
    for (;;) {
        const uint8_t *m = NULL;   /* set whenever k > 0; initialised for -Wmaybe-uninitialized */
        uint32_t mn = 0;
        bool close_after = false;
        int k = rest_take_response(r, &m, &mn, &close_after);
        if (k == 0)
            return;
        if (k < 0) {
            rs_warn("exec", "REST %s: malformed or oversized HTTP response: connection reset", r->host);
            s->st.rest_fails++;
            rest_lose_inflight(s);
            rest_close(r, now, true);
            return;
        }
        if (r->inflight) {
            s->st.rest_msgs++;
            s->st.bytes_in += mn;
            emit_msg(s, RS_XCONN(RS_XCH_REST, r->inflight_id), m, mn, r->rx_ns);
            r->inflight = false;
        }
        memmove(r->rx, r->rx + k, r->rx_n - (uint32_t)k);
        r->rx_n -= (uint32_t)k;
        r->fails = 0;
        if (close_after) {
            rest_close(r, now, false);
            return;
        }
        rest_send_next(s, now);
    }
}

static void rest_on_data(rs_exec_session *s, const uint8_t *d, uint32_t n, int64_t rx_ns, int64_t now)
{
    rest_conn *r = &s->rest;
    r->rx_ns = rx_ns;
    if (r->plain) {
        uint32_t take = n < REST_RX_BYTES - r->rx_n ? n : REST_RX_BYTES - r->rx_n;
        memcpy(r->rx + r->rx_n, d, take);
        r->rx_n += take;
        rest_on_plain(s, now);
        return;
    }
    while (n && r->state != R_CLOSED) {
        size_t fed = rs_tls_feed(r->tls, d, n);
        d += fed;
        n -= (uint32_t)fed;
        if (r->state == R_HANDSHAKE) {
            int rc = rs_tls_handshake(r->tls);
            rest_flush(r);
            if (rc < 0) {
                rs_warn("exec", "REST %s: %s", r->host, rs_err_msg());
                s->st.rest_fails++;
                rest_close(r, now, true);
                return;
            }
            if (rc == RS_OK) {
                r->state = R_OPEN;
                s->st.rest_conns++;
                rest_send_next(s, now);
            }
        }
        if (r->state == R_OPEN) {
            for (;;) {
                if (r->rx_n >= REST_RX_BYTES) {
                    rest_on_plain(s, now);
                    if (r->state != R_OPEN || r->rx_n >= REST_RX_BYTES)
                        break;
                }
                int k = rs_tls_read(r->tls, r->rx + r->rx_n, REST_RX_BYTES - r->rx_n);
                if (k < 0) {
                    rest_lose_inflight(s);
                    rest_close(r, now, k != -EPIPE);
                    return;
                }
                if (k == 0)
                    break;
                r->rx_n += (uint32_t)k;
            }
            rest_on_plain(s, now);
            rest_flush(r);
        }
        if (!fed && n)
            break;   /* BIO full and nothing decrypted: should not happen */
    }
}

static int rest_poll(rs_exec_session *s, int64_t now)
{
    rest_conn *r = &s->rest;
    int work = 0;
    if (r->state == R_CLOSED && r->n && now >= r->retry_at) {
        int slot = rs_net_connect_addr(r->net, &r->addr);
        if (slot < 0) {
            s->st.rest_fails++;
            r->fails++;
            r->retry_at = now + rs_ws_backoff_ns(&r->rng, r->fails, REST_BACKOFF_MIN_NS, REST_BACKOFF_MAX_NS);
        } else {
            r->slot = slot;
            r->state = R_CONNECTING;
            r->rx_n = 0;
        }
    }
    if (r->inflight && now - r->sent_mono > REST_TIMEOUT_NS) {
        rs_warn("exec", "REST %s: no answer in %lld s: reconnecting", r->host,
                (long long)(REST_TIMEOUT_NS / 1000000000ll));
        s->st.rest_timeouts++;
        rest_lose_inflight(s);
        rest_close(r, now, true);
    }
    rs_net_ev ev[8];
    int k = rs_net_poll(r->net, ev, 8);
    for (int i = 0; i < k; i++) {
        const rs_net_ev *e = &ev[i];
        if (e->conn != r->slot)
            continue;
        work++;
        if (e->type == RS_NET_EV_CONNECTED) {
            if (e->err < 0) {
                rs_warn("exec", "REST %s: connect failed: %s", r->host, strerror(-e->err));
                s->st.rest_fails++;
                r->slot = -1;   /* the loop freed the slot */
                rest_close(r, now, true);
                continue;
            }
            if (r->plain) {
                r->state = R_OPEN;
                s->st.rest_conns++;
                rest_send_next(s, now);
                continue;
            }
            if (rs_tls_create(&r->tls, r->tctx, r->host, 0) < 0) {
                rs_warn("exec", "REST %s: %s", r->host, rs_err_msg());
                rest_close(r, now, true);
                continue;
            }
            r->state = R_HANDSHAKE;
            rs_tls_handshake(r->tls);   /* the ClientHello */
            rest_flush(r);
        } else if (e->type == RS_NET_EV_DATA) {
            rest_on_data(s, e->data, e->len, e->rx_ns, now);
        } else if (e->type == RS_NET_EV_CLOSED) {
            r->slot = -1;   /* the loop freed the slot */
            bool had = r->inflight;
            rest_lose_inflight(s);
            rest_close(r, now, had || r->state != R_OPEN);
        }
    }
    if (r->state == R_OPEN) {
        rest_send_next(s, now);
        rest_flush(r);
    }
    return work;
}

/* ---- public --------------------------------------------------------------------- */

int rs_exec_session_create(rs_exec_session **out, const rs_config *cfg, rs_vclock clk)
{
    *out = NULL;
    const rs_cfg_exec *xc = &cfg->exec;
    if (!xc->ws_api_url_parsed.set || !xc->rest_url_parsed.set)
        return rs_err_set(RS_EBADCFG, "exec.mode live needs exec.ws_api_url and exec.rest_url");
    rs_exec_session *s = rs_mem_alloc(sizeof *s, 64, "exec session");
    if (!s)
        return -ENOMEM;
    memset(s, 0, sizeof *s);
    s->clk = clk;
    rest_conn *r = &s->rest;
    r->slot = -1;
    r->rng = 0x9e3779b97f4a7c15ull;
    const char *name = xc->tls.server_name[0] ? xc->tls.server_name : NULL;
    rs_tls_cfg tc = {.ca_file = xc->tls.ca_file[0] ? xc->tls.ca_file : NULL, .no_system_ca = !xc->tls.system_ca,
                     .insecure = !xc->tls.verify, .tls13 = xc->tls.tls13};
    int rc;
    /* REST */
    snprintf(r->host, sizeof r->host, "%s", name ? name : xc->rest_url_parsed.host);
    r->plain = !xc->rest_url_parsed.tls;
    r->q = rs_secure_alloc(REST_Q_BYTES);
    r->rx = rs_mem_alloc(REST_RX_BYTES, 64, "exec REST rx");
    r->body = rs_mem_alloc(REST_RX_BYTES, 64, "exec REST body");
    if (!r->q || !r->rx || !r->body) {
        rs_exec_session_destroy(s);
        return -ENOMEM;
    }
    rs_net_cfg nc = {.max_conns = 2, .rx_buf = 256u << 10, .tx_buf = 256u << 10};
    if ((rc = rs_net_create(&r->net, &nc)) < 0 ||
        (rc = rs_net_resolve(xc->rest_url_parsed.host, xc->rest_url_parsed.port, &r->addr)) < 0 ||
        (!r->plain && (rc = rs_tls_ctx_create(&r->tctx, &tc)) < 0)) {
        rs_exec_session_destroy(s);
        return rc;
    }
    /* WS API */
    rs_ws_client_cfg wc;
    memset(&wc, 0, sizeof wc);
    wc.host = name ? name : xc->ws_api_url_parsed.host;
    wc.port = xc->ws_api_url_parsed.port;
    wc.path = xc->ws_api_url_parsed.path[0] ? xc->ws_api_url_parsed.path : "/ws-api/v3";
    wc.plain = !xc->ws_api_url_parsed.tls;
    wc.tls = tc;
    wc.max_frame = 1u << 20;
    wc.backoff_min_ns = 100000000ll;
    wc.backoff_max_ns = 5000000000ll;
    wc.seed = 7;
    wc.connect_timeout_ns = 10000000000ll;
    /* no planned rotation: a session (logon, subscription) lives on one
     * connection; the venue's 24 h close is an ordinary reconnect */
    wc.on_msg = ws_on_msg;
    wc.on_state = ws_on_state;
    wc.user = s;
    if ((rc = rs_ws_client_create(&s->ws, &wc)) < 0) {
        rs_exec_session_destroy(s);
        return rc;
    }
    rs_ws_client_start(s->ws);
    rs_info("exec", "live session: WS API %s://%s:%u%s, REST %s://%s:%u (TLS verification %s)",
            wc.plain ? "ws" : "wss", wc.host, wc.port, wc.path, r->plain ? "http" : "https", r->host,
            xc->rest_url_parsed.port, xc->tls.verify ? "on" : "OFF");
    *out = s;
    return 0;
}

void rs_exec_session_destroy(rs_exec_session *s)
{
    if (!s)
        return;
    if (s->ws) {
        rs_ws_client_stop(s->ws);
        rs_ws_client_destroy(s->ws);
    }
    rest_conn *r = &s->rest;
    if (r->tls)
        rs_tls_destroy(r->tls);
    rs_tls_ctx_destroy(r->tctx);
    rs_net_destroy(r->net);
    if (r->q)
        rs_secure_free(r->q, REST_Q_BYTES);
    rs_mem_free(r->rx);
    rs_mem_free(r->body);
    rs_mem_free(s);
}

int rs_exec_session_poll(void *ctx, rs_emit *emit, int64_t now_ns)
{
    (void)now_ns;
    rs_exec_session *s = ctx;
    s->emit = emit;
    for (unsigned i = 0; i < s->n_pend; i++)
        emit_status(s, s->pend_status[i]);
    s->n_pend = 0;
    int64_t mono = rs_mono_ns();
    int n = rs_ws_client_poll(s->ws, mono);
    n += rest_poll(s, mono);
    s->emit = NULL;
    return n;
}

void rs_exec_session_sink(void *ctx, rs_exec *x)
{
    rs_exec_session *s = ctx;
    rs_exec_wire w;
    while (rs_exec_outbox_peek(x, &w) == RS_OK) {
        if (w.channel == RS_XCH_WS) {
            int rc = rs_ws_client_send(s->ws, RS_WS_TEXT, w.data, w.len);
            if (rc == RS_FULL)
                return;   /* stays in the outbox: next call */
            if (rc == RS_OK) {
                s->st.ws_sent++;
                s->st.bytes_out += w.len;
            } else {
                s->st.ws_dropped++;   /* no connection: the stage's timeout handles it */
            }
        } else {
            rest_conn *r = &s->rest;
            if (r->n >= REST_Q_MAX || r->q_used + w.len > REST_Q_BYTES)
                return;
            memcpy(r->q + r->q_used, w.data, w.len);
            r->q_used += w.len;
            r->ids[(r->head + r->n) % REST_Q_MAX] = w.req_id;
            r->lens[(r->head + r->n) % REST_Q_MAX] = w.len;
            r->n++;
            rest_send_next(s, rs_mono_ns());
        }
        rs_exec_outbox_pop(x);
    }
}

const rs_exec_session_stats *rs_exec_session_stats_get(const rs_exec_session *s) { return &s->st; }

int rs_exec_session_attach(rs_exec_session **out, const rs_config *cfg, rs_vclock clk, rs_pipeline *p,
                           rs_engine_def *d)
{
    *out = NULL;
    if (cfg->exec.mode != RS_EXEC_LIVE)
        return 0;
    int t = -1;
    for (unsigned i = 0; i < d->n_threads && t < 0; i++)
        for (unsigned k = 0; k < d->threads[i].n_stages; k++)
            if (d->threads[i].stages[k] == RS_SID_EXEC)
                t = (int)i;
    if (t < 0 || d->threads[t].n_sources >= RS_THREAD_MAX_SOURCES ||
        d->n_sources >= RS_MAX_THREADS * RS_THREAD_MAX_SOURCES)
        return rs_err_set(RS_EBADCFG, "exec.mode live: no thread runs the exec stage (engine.threads) "
                                      "or it has no room for the venue source");
    rs_exec_session *s;
    int rc = rs_exec_session_create(&s, cfg, clk);
    if (rc)
        return rc;
    p->xa.sink = rs_exec_session_sink;
    p->xa.sink_ctx = s;
    d->sources[d->n_sources] = (rs_source_def){"venue", s, rs_exec_session_poll, RS_STREAM_VENUE};
    d->threads[t].sources[d->threads[t].n_sources++] = d->n_sources++;
    *out = s;
    return 0;
}

void rs_exec_session_summary(const rs_exec_session *s, char *buf, size_t cap)
{
    if (!s) {
        if (cap)
            buf[0] = 0;
        return;
    }
    const rs_exec_session_stats *t = &s->st;
    snprintf(buf, cap,
             "venue session: WS API sent %llu received %llu (opens %llu, closes %llu, dropped offline %llu); "
             "REST sent %llu answered %llu (connections %llu, failures %llu, timeouts %llu, lost %llu); "
             "records lost to a full ring %llu",
             (unsigned long long)t->ws_sent, (unsigned long long)t->ws_msgs, (unsigned long long)t->ws_opens,
             (unsigned long long)t->ws_closes, (unsigned long long)t->ws_dropped, (unsigned long long)t->rest_sent,
             (unsigned long long)t->rest_msgs, (unsigned long long)t->rest_conns, (unsigned long long)t->rest_fails,
             (unsigned long long)t->rest_timeouts, (unsigned long long)t->rest_lost,
             (unsigned long long)t->emit_drops);
}
