/* The order side of `ringside venue-sim` (see venue_sim_orders.h). Not a hot
 * path: one thread, non-blocking sockets, a 1 ms poll. What matters here is
 * protocol fidelity (the engine must not be able to tell it from Binance for
 * the requests it makes) and fault injection that is repeatable. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ringside/atomics.h"
#include "ringside/config.h"
#include "ringside/exec_secrets.h"
#include "ringside/log.h"
#include "ringside/synth.h"
#include "ringside/tsc.h"
#include "ringside/venue_binance.h"
#include "ringside/ws.h"
#include "venue_sim_orders.h"

#define MAX_CONNS 32
#define RX_CAP (256u << 10)
#define TX_CAP (2u << 20)
#define REQ_MASK 8191u
#define ACC_MAX 2048
#define SUPPRESS_MAX 64
#define OUT_CAP (1u << 20)

enum { C_FREE = 0, C_HANDSHAKE, C_HTTP, C_WS };

typedef struct vconn {
    int fd;
    SSL *ssl;
    int state;
    uint32_t gen;
    bool authed, subscribed, close_after_flush;
    uint8_t rx[RX_CAP];
    uint32_t rx_n;
    uint8_t *tx;
    uint32_t tx_n;
} vconn;

typedef struct vreq {
    rs_vreq r;        /* as the client sent it (its own req_id) */
    uint8_t ch;       /* 1 WS, 2 REST */
    uint8_t live;
    uint8_t answer_5xx;  /* placed, but the client gets a 503 (5xx_order) */
    uint8_t pad;
    uint16_t conn;
    uint32_t gen;
} vreq;

struct rs_vso {
    rs_vso_cfg cfg;
    rs_config *ecfg;
    rs_universe u;
    rs_secrets *sec;
    rs_bn bn;
    SSL_CTX *ctx;
    int lfd;
    uint16_t port;
    pthread_t th;
    bool started;
    _Atomic int stop;
    pthread_mutex_t mu;       /* sim, faults, counters: the server thread and rs_vso_ctl */
    void *simmem;
    rs_sim *sim;
    rs_synth synth;
    rs_synth_trade next;      /* next trade of the tape (not yet applied) */
    int sym_map[RS_SYNTH_MAX_SYMS];
    double pxs[RS_MAX_SYMBOLS], qtys[RS_MAX_SYMBOLS];
    int64_t start_ms, t0_mono, now_ns;
    vconn *c;                 /* [MAX_CONNS] */
    vreq *req;                /* [REQ_MASK + 1] */
    uint32_t next_sid, gen;
    rs_vevt acc[ACC_MAX];
    int nacc;
    uint64_t suppress[SUPPRESS_MAX];
    unsigned n_suppress;
    uint32_t drop_acks, disconnect_on_order, places_seen, place_5xx;
    int64_t disc_fill_ms;     /* `disconnect_on_fill MS`: armed (> 0) ... */
    uint64_t disc_fill_base;  /* ... until the simulator's fill count passes this */
    int64_t ban_until_ns;     /* market time: an IP ban (418) is in force until then */
    int64_t ws_refuse_until;  /* market ns: WS API upgrades refused (503) before this (`disconnect MS`) */
    int ctl_conn;             /* connection carrying the control command being run (-1: stdin / API) */
    char *out;                /* formatting scratch */
    uint8_t *frame;
    /* counters */
    uint64_t conns_total, ws_sessions, rest_requests, ws_requests, bad_sig, bad_requests, answers, events,
        dropped_acks, disconnects, trades_applied, order_rejects, answers_5xx, answers_unknown, clock_rejects, bans,
        ban_requests, ban_order_requests, ws_refused;
    uint64_t ws_places, rest_places;   /* accepted placements per channel (tests prove the order channel) */
    uint64_t sig_hmac, sig_ed25519;    /* signed requests by the key type that verified them */
};

/* ---- options --------------------------------------------------------------------- */

const char rs_vso_usage[] =
    "order side (Binance WS API /ws-api/v3 + REST /api/v3 over TLS, on its own port):\n"
    "  --orders-port N         serve the order side on port N (0 = ephemeral; off unless given)\n"
    "  --orders-port-file F    write its bound port to F\n"
    "  --orders-config FILE    ringside config: instruments, exec.secrets (the test key), recv window\n"
    "  --orders-secrets FILE   0600 secrets file with the test key (overrides the config's)\n"
    "  --orders-latency-ms MS  simulated latency per leg, market time (default 0)\n"
    "  --orders-clock-tolerance-ms MS  -1021 unless |request time - venue time| <= MS (market time;\n"
    "                        default: recvWindow behind, 1000 ahead, as Binance)\n"
    "  --orders-fee-bps X      taker and maker fee (default 10)\n"
    "  --orders-fault NAME=N   reject, drop_ack, disconnect_on_order, 5xx, 5xx_order, 429, 418, unknown,\n"
    "                          retry_after_ms, skew_ms, drop_fills, drop_fills_silent, dup_fills, delay_fills_ms\n"
    "                          (repeatable)\n"
    "  (stdin control: `orders stats|positions|disconnect [MS]|disconnect_on_fill MS|reject N|drop_ack N|\n"
    "   disconnect_on_order N|5xx N|5xx_order N|429 N [MS]|418 N [MS]|unknown N|skew MS|drop_fills N|\n"
    "   drop_fills_silent N|dup_fills N|delay_fills_ms MS|stream_outage MS`; each changes only its own fault;\n"
    "   times are market ms)\n";

static int set_fault(rs_vso_cfg *c, rs_sim_faults *f, uint32_t *drop_acks, uint32_t *disc, const char *name,
                     long long v, uint32_t *place_5xx)
{
    if (v < 0 && strcmp(name, "skew_ms") && strcmp(name, "skew"))
        return -1;
    (void)c;
    if (!strcmp(name, "reject")) f->reject_orders = (uint32_t)v;
    else if (!strcmp(name, "drop_ack")) *drop_acks = (uint32_t)v;
    else if (!strcmp(name, "disconnect_on_order")) *disc = (uint32_t)v;
    else if (!strcmp(name, "5xx")) f->http_5xx = (uint32_t)v;
    else if (!strcmp(name, "5xx_order")) *place_5xx = (uint32_t)v;
    else if (!strcmp(name, "429")) f->http_429 = (uint32_t)v;
    else if (!strcmp(name, "418")) f->http_418 = (uint32_t)v;
    else if (!strcmp(name, "unknown")) f->status_unknown = (uint32_t)v;
    else if (!strcmp(name, "retry_after_ms")) f->retry_after_ms = v;
    else if (!strcmp(name, "skew_ms") || !strcmp(name, "skew")) f->clock_skew_ms = v;
    else if (!strcmp(name, "drop_fills")) f->drop_fills = (uint32_t)v;
    else if (!strcmp(name, "drop_fills_silent")) f->drop_fills = (uint32_t)v, f->drop_silent = 1;
    else if (!strcmp(name, "dup_fills")) f->dup_fills = (uint32_t)v;
    else if (!strcmp(name, "delay_fills_ms")) f->fill_delay_ns = v * 1000000ll;
    else return -1;
    return 0;
}

int rs_vso_args(rs_vso_cfg *c, int *argc, char **argv)
{
    rs_sim_params sp;
    rs_sim_params_default(&sp);
    if (!c->faults.retry_after_ms) {
        c->faults = sp.faults;
        c->taker_fee_bps = c->maker_fee_bps = 10;
        c->seed = 1;
    }
    int o = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--orders-", 9)) {
            argv[o++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "ringside venue-sim: %s needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--orders-port")) c->enabled = true, c->port = (uint16_t)atoi(v);
        else if (!strcmp(a, "--orders-port-file")) c->port_file = v;
        else if (!strcmp(a, "--orders-config")) c->config = v;
        else if (!strcmp(a, "--orders-secrets")) c->secrets = v;
        else if (!strcmp(a, "--orders-latency-ms")) c->latency_ms = atoll(v);
        else if (!strcmp(a, "--orders-clock-tolerance-ms")) c->clock_tolerance_ms = atoll(v);
        else if (!strcmp(a, "--orders-fee-bps")) c->taker_fee_bps = c->maker_fee_bps = atof(v);
        else if (!strcmp(a, "--orders-fault")) {
            const char *eq = strchr(v, '=');
            char name[64];
            if (!eq || (size_t)(eq - v) >= sizeof name) {
                fprintf(stderr, "ringside venue-sim: --orders-fault takes NAME=N, got '%s'\n", v);
                return -1;
            }
            snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
            char *end;
            long long n = strtoll(eq + 1, &end, 10);
            if (*end || set_fault(c, &c->faults, &c->drop_acks, &c->disconnect_on_order, name, n, &c->place_5xx)) {
                fprintf(stderr, "ringside venue-sim: --orders-fault: unknown fault or bad value '%s'\n", v);
                return -1;
            }
        } else {
            fprintf(stderr, "ringside venue-sim: unknown option '%s'\n", a);
            return -1;
        }
    }
    argv[o] = NULL;
    *argc = o;
    return 0;
}

/* ---- market clock and tape ------------------------------------------------------ */

static int64_t market_ns(const rs_vso *v)
{
    double sp = v->cfg.speed > 0 ? v->cfg.speed : 1.0;
    int64_t el = v->cfg.origin_real_ns ? rs_now_ns() - v->cfg.origin_real_ns : rs_mono_ns() - v->t0_mono;
    return v->start_ms * 1000000ll + (int64_t)((double)el * sp);
}

static int64_t rescale(int64_t m, int from, int to)
{
    while (from < to) m *= 10, from++;
    while (from > to) m /= 10, from--;
    return m;
}

/* Apply the tape up to market time now (the same trades the md side streams). */
static void advance_market(rs_vso *v, int64_t now)
{
    while (v->next.ts_ms * 1000000ll <= now) {
        const rs_synth_trade *t = &v->next;
        int s = t->sym < RS_SYNTH_MAX_SYMS ? v->sym_map[t->sym] : -1;
        if (s >= 0) {
            const rs_synth_sym *ss = &v->synth.cfg.sym[t->sym];
            const rs_instrument *in = &v->u.ins[s];
            int64_t px = rescale(t->px, ss->px_dec, in->px_exp);
            int64_t tick = rescale(1, ss->px_dec, in->px_exp);
            if (tick < 1) tick = 1;
            int64_t qty = rescale(t->qty, ss->qty_dec, in->qty_exp);
            int64_t ts = t->ts_ms * 1000000ll;
            if (ts < v->now_ns)
                ts = v->now_ns;
            v->now_ns = ts;
            /* the md side's bookTicker: printed at the touch, one tick wide */
            int64_t bid = t->buyer_maker ? px : px - tick, ask = t->buyer_maker ? px + tick : px;
            rs_sim_on_quote(v->sim, ts, (uint16_t)s, bid, ask, px);
            if (qty > 0)
                rs_sim_on_trade(v->sim, ts, (uint16_t)s, px, qty, t->id);
            v->trades_applied++;
        }
        rs_synth_next(&v->synth, &v->next);
    }
    if (now > v->now_ns)
        v->now_ns = now;
}

/* ---- connections ------------------------------------------------------------------- */

static void conn_close(rs_vso *v, int i)
{
    vconn *c = &v->c[i];
    if (c->state == C_FREE)
        return;
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    close(c->fd);
    c->fd = -1;
    c->state = C_FREE;
    c->rx_n = c->tx_n = 0;
    c->authed = c->subscribed = c->close_after_flush = false;
}

static void conn_out(vconn *c, const void *p, size_t n)
{
    if (c->state == C_FREE || c->tx_n + n > TX_CAP)
        return;   /* a client that does not read: it loses the answer, like a dead socket */
    memcpy(c->tx + c->tx_n, p, n);
    c->tx_n += (uint32_t)n;
}

static void ws_text(rs_vso *v, vconn *c, const char *s, size_t n)
{
    size_t k = rs_ws_frame_write(v->frame, OUT_CAP + 16, RS_WS_TEXT, true, (const uint8_t *)s, n, false, 0);
    if (k)
        conn_out(c, v->frame, k);
}

static void conn_flush(rs_vso *v, int i)
{
    vconn *c = &v->c[i];
    while (c->tx_n) {
        int k = c->ssl ? SSL_write(c->ssl, c->tx, (int)c->tx_n) : (int)write(c->fd, c->tx, c->tx_n);
        if (k <= 0) {
            if (c->ssl) {
                int e = SSL_get_error(c->ssl, k);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    return;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            conn_close(v, i);
            return;
        }
        memmove(c->tx, c->tx + k, c->tx_n - (uint32_t)k);
        c->tx_n -= (uint32_t)k;
    }
    if (c->close_after_flush)
        conn_close(v, i);
}

/* ---- requests ---------------------------------------------------------------------- */

static void answer(rs_vso *v, const vreq *q, const rs_vevt *ev, int n)
{
    vconn *c = &v->c[q->conn];
    if (c->state == C_FREE || c->gen != q->gen)
        return;   /* the connection is gone: the answer is lost, as on a real venue */
    const rs_vevt *last = &ev[n - 1];
    rs_vevt e503;
    if (q->answer_5xx) {
        /* The order went through; the gateway answers 503 anyway and the
         * account stream stays silent about it: only a query by client id
         * (or a reconciliation pass) can find it. */
        v->suppress[v->n_suppress++ % SUPPRESS_MAX] = q->r.client_id;
        memset(&e503, 0, sizeof e503);
        e503.kind = RS_VEVT_ERROR;
        e503.err = RS_VERR_UNKNOWN;
        e503.http = 503;
        e503.req_id = last->req_id;
        e503.sym = q->r.sym;
        e503.cum_qty = -1;
        last = &e503;
        ev = &e503;
        n = 1;
    }
    if (last->kind == RS_VEVT_ERROR && last->http == 418 && v->now_ns >= v->ban_until_ns) {
        /* like Binance: a 418 is an IP ban for its Retry-After */
        v->bans++;
        v->ban_until_ns = v->now_ns + last->retry_after_ms * 1000000ll;
    }
    if (last->kind == RS_VEVT_ERROR && last->http >= 500)
        v->answers_5xx++;
    if (last->code == -1007)
        v->answers_unknown++;
    if (last->code == -1021)
        v->clock_rejects++;
    if (q->r.kind == RS_VREQ_PLACE && q->ch == 1 && v->drop_acks && last->kind != RS_VEVT_ERROR &&
        last->kind != RS_VEVT_REJECT) {
        v->drop_acks--;
        v->dropped_acks++;
        v->suppress[v->n_suppress++ % SUPPRESS_MAX] = q->r.client_id;
        return;
    }
    int len = rs_bn_srv_answer(&v->bn, &q->r, q->ch, ev, n, v->out, OUT_CAP);
    if (len <= 0)
        return;
    v->answers++;
    if (q->r.kind == RS_VREQ_PLACE && last->kind == RS_VEVT_REJECT && last->code == -2010)
        v->order_rejects++;
    if (q->ch == 1) {
        if (last->kind == RS_VEVT_LOGON_OK && q->r.kind == RS_VREQ_LOGON)
            c->authed = true;
        if (last->kind == RS_VEVT_LOGON_OK && q->r.kind == RS_VREQ_USER_SUB)
            c->subscribed = true;
        ws_text(v, c, v->out, (size_t)len);
    } else {
        conn_out(c, v->out, (size_t)len);
    }
}

static bool suppressed(const rs_vso *v, uint64_t cid)
{
    unsigned n = v->n_suppress < SUPPRESS_MAX ? v->n_suppress : SUPPRESS_MAX;
    for (unsigned i = 0; i < n; i++)
        if (cid && v->suppress[i] == cid)
            return true;
    return false;
}

/* Simulated-venue events due by now -> answers and account events. */
static void pump(rs_vso *v)
{
    rs_vevt e;
    while (rs_sim_poll(v->sim, v->now_ns, &e) == RS_OK) {
        if (e.req_id) {
            vreq *q = &v->req[e.req_id & REQ_MASK];
            if (!q->live)
                continue;
            if (q->r.kind == RS_VREQ_OPEN_ORDERS || q->r.kind == RS_VREQ_MY_TRADES) {
                if (v->nacc < ACC_MAX)
                    v->acc[v->nacc++] = e;
                if (e.kind != RS_VEVT_LIST_END && e.kind != RS_VEVT_ERROR && e.kind != RS_VEVT_REJECT)
                    continue;
                answer(v, q, v->acc, v->nacc);
                v->nacc = 0;
            } else {
                answer(v, q, &e, 1);
            }
            q->live = 0;
            continue;
        }
        if (e.kind == RS_VEVT_STREAM_UP) {
            /* the outage is over: clients must log on and subscribe again */
            for (int i = 0; i < MAX_CONNS; i++)
                if (v->c[i].state == C_WS)
                    conn_close(v, i);
            continue;
        }
        if (suppressed(v, e.client_id))
            continue;
        int len = rs_bn_srv_event(&v->bn, &e, v->out, OUT_CAP);
        if (len <= 0)
            continue;
        for (int i = 0; i < MAX_CONNS; i++)
            if (v->c[i].state == C_WS && v->c[i].subscribed) {
                ws_text(v, &v->c[i], v->out, (size_t)len);
                v->events++;
                if (e.kind == RS_VEVT_STREAM_DOWN)
                    v->c[i].subscribed = false;
            }
    }
}

static void refuse(rs_vso *v, int ci, const rs_bn_srv_req *q, uint8_t ch, int32_t code, int http)
{
    rs_vevt e;
    memset(&e, 0, sizeof e);
    e.kind = RS_VEVT_ERROR;
    e.err = RS_VERR_AUTH;
    e.code = code;
    e.http = (int16_t)http;
    e.req_id = q->r.req_id;
    e.sym = q->r.sym;
    vreq tmp = {.r = q->r, .ch = ch, .live = 1, .conn = (uint16_t)ci, .gen = v->c[ci].gen};
    answer(v, &tmp, &e, 1);
}

static void on_request(rs_vso *v, int ci, const char *s, size_t n, uint8_t ch)
{
    vconn *c = &v->c[ci];
    rs_bn_srv_req q;
    rs_sign_key *key;
    int rc;
    if (ch == 1) {
        v->ws_requests++;
        key = v->sec->ed25519.kind ? &v->sec->ed25519 : &v->sec->hmac;
        rc = rs_bn_srv_parse_ws(&v->bn, s, n, key, &q);
        if (rc == RS_OK && q.has_sig && !q.sig_ok && key == &v->sec->ed25519 && v->sec->hmac.kind)
            rc = rs_bn_srv_parse_ws(&v->bn, s, n, key = &v->sec->hmac, &q);   /* an HMAC-signing client */
    } else {
        v->rest_requests++;
        key = v->sec->hmac.kind ? &v->sec->hmac : &v->sec->ed25519;
        rc = rs_bn_srv_parse_rest(&v->bn, s, n, key, &q);
        if (rc == RS_OK && q.has_sig && !q.sig_ok && key == &v->sec->hmac && v->sec->ed25519.kind)
            rc = rs_bn_srv_parse_rest(&v->bn, s, n, key = &v->sec->ed25519, &q);   /* an Ed25519-signing client */
    }
    if (rc != RS_OK) {
        v->bad_requests++;
        if (ch == 1) {
            uint32_t id = rs_bn_ws_id(s, n);
            int k = snprintf(v->out, OUT_CAP,
                             "{\"id\":%u,\"status\":400,\"error\":{\"code\":-1102,\"msg\":\"Malformed request.\"}}", id);
            ws_text(v, c, v->out, (size_t)k);
        } else {
            static const char r400[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 44\r\n\r\n{\"code\":-1102,\"msg\":\"Malformed request.\"} ";
            conn_out(c, r400, sizeof r400 - 1);
        }
        return;
    }
    bool needs_sig = q.r.kind != RS_VREQ_TIME && q.r.kind != RS_VREQ_USER_SUB;
    if (q.has_sig && q.sig_ok)
        *(key == &v->sec->hmac ? &v->sig_hmac : &v->sig_ed25519) += 1;
    if (needs_sig && ((q.has_sig && !q.sig_ok) || (!q.has_sig && !(ch == 1 && c->authed)))) {
        v->bad_sig++;
        refuse(v, ci, &q, ch, -1022, 400);
        return;
    }
    if (q.r.kind == RS_VREQ_USER_SUB && !c->authed) {
        refuse(v, ci, &q, ch, -2015, 401);
        return;
    }
    if (v->now_ns < v->ban_until_ns) {
        /* banned: every request is refused again (and would extend a real
         * ban); counted so a test can prove the client kept quiet */
        v->ban_requests++;
        if (q.r.kind == RS_VREQ_PLACE || q.r.kind == RS_VREQ_CANCEL)
            v->ban_order_requests++;
        rs_vevt e;
        memset(&e, 0, sizeof e);
        e.kind = RS_VEVT_ERROR;
        e.err = RS_VERR_BANNED;
        e.code = -1003;
        e.http = 418;
        e.req_id = q.r.req_id;
        e.sym = q.r.sym;
        e.venue_ms = v->now_ns / 1000000;
        e.retry_after_ms = (v->ban_until_ns - v->now_ns + 999999) / 1000000;
        vreq tmp = {.r = q.r, .ch = ch, .live = 1, .conn = (uint16_t)ci, .gen = c->gen};
        answer(v, &tmp, &e, 1);
        return;
    }
    uint32_t sid = ++v->next_sid & REQ_MASK;
    if (!sid)
        sid = ++v->next_sid & REQ_MASK;
    vreq *slot = &v->req[sid];
    *slot = (vreq){.r = q.r, .ch = ch, .live = 1, .conn = (uint16_t)ci, .gen = c->gen};
    if (q.r.kind == RS_VREQ_PLACE && v->place_5xx) {
        v->place_5xx--;
        slot->answer_5xx = 1;
    }
    rs_vreq r = q.r;
    r.req_id = sid;
    if (ch == 2)
        slot->r.req_id = 0;
    rs_sim_request(v->sim, v->now_ns, &r);
    if (q.r.kind == RS_VREQ_PLACE)
        *(ch == 1 ? &v->ws_places : &v->rest_places) += 1;
    if (q.r.kind == RS_VREQ_PLACE && ch == 1 && v->disconnect_on_order) {
        if (++v->places_seen >= v->disconnect_on_order) {
            /* placed, then the connection drops before any answer */
            v->disconnect_on_order = 0;
            v->disconnects++;
            conn_close(v, ci);
        }
    }
}

/* ---- HTTP / WebSocket framing ------------------------------------------------------ */

static const char *hdr(const char *h, const char *e, const char *name, size_t *vn)
{
    size_t nl = strlen(name);
    for (const char *l = h; l < e;) {
        const char *le = memchr(l, '\n', (size_t)(e - l));
        if (!le)
            le = e;
        if ((size_t)(le - l) > nl && l[nl] == ':' && !strncasecmp(l, name, nl)) {
            const char *p = l + nl + 1;
            while (p < le && *p == ' ')
                p++;
            const char *x = le;
            while (x > p && (x[-1] == '\r' || x[-1] == ' '))
                x--;
            *vn = (size_t)(x - p);
            return p;
        }
        l = le + 1;
    }
    return NULL;
}

static void http_reply(vconn *c, int code, const char *status, const char *body, bool close)
{
    char h[512];
    int k = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                     code, status, strlen(body), close ? "Connection: close\r\n" : "");
    conn_out(c, h, (size_t)k);
    conn_out(c, body, strlen(body));
    c->close_after_flush = close;
}

static int ctl_locked(rs_vso *v, const char *cmd, char *reply, size_t cap);

/* Returns bytes consumed (0: need more). */
static size_t on_http(rs_vso *v, int ci)
{
    vconn *c = &v->c[ci];
    const char *b = (const char *)c->rx;
    const char *he = NULL;
    for (uint32_t i = 3; i < c->rx_n; i++)
        if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
            he = b + i + 1;
            break;
        }
    if (!he) {
        if (c->rx_n >= RX_CAP)
            conn_close(v, ci);
        return 0;
    }
    size_t head = (size_t)(he - b), vn = 0;
    const char *cl = hdr(b, he, "Content-Length", &vn);
    size_t body = cl ? (size_t)strtoul(cl, NULL, 10) : 0;
    if (head + body > RX_CAP) {
        conn_close(v, ci);
        return 0;
    }
    if (c->rx_n < head + body)
        return 0;
    const char *sp = memchr(b, ' ', head);
    const char *path = sp ? sp + 1 : "";
    if (!strncmp(path, "/ws-api/v3", 10)) {
        if (v->now_ns < v->ws_refuse_until) {
            v->ws_refused++;
            http_reply(c, 503, "Service Unavailable", "WS API unavailable (disconnect window)\n", true);
            return head + body;
        }
        size_t kn = 0;
        const char *key = hdr(b, he, "Sec-WebSocket-Key", &kn);
        char k[64], acc[32];
        if (!key || kn >= sizeof k) {
            http_reply(c, 400, "Bad Request", "missing Sec-WebSocket-Key\n", true);
            return head + body;
        }
        snprintf(k, sizeof k, "%.*s", (int)kn, key);
        rs_ws_accept_key(k, acc, sizeof acc);
        char r[256];
        int n = snprintf(r, sizeof r,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
        conn_out(c, r, (size_t)n);
        c->state = C_WS;
        v->ws_sessions++;
        return head + body;
    }
    if (!strncmp(path, "/api/v3/", 8)) {
        on_request(v, ci, b, head + body, 2);
        return head + body;
    }
    if (!strncmp(path, "/ctl/", 5)) {
        char cmd[512], reply[4096];
        const char *pe = memchr(path, ' ', (size_t)(he - path));
        size_t pn = pe ? (size_t)(pe - path - 5) : 0;
        snprintf(cmd, sizeof cmd, "%.*s", (int)(pn < sizeof cmd ? pn : sizeof cmd - 1), path + 5);
        for (char *p = cmd; *p; p++)
            if (*p == '/')
                *p = ' ';
        v->ctl_conn = ci;
        int rc = ctl_locked(v, cmd, reply, sizeof reply);
        v->ctl_conn = -1;
        strncat(reply, "\n", sizeof reply - strlen(reply) - 1);
        http_reply(c, rc ? 400 : 200, rc ? "Bad Request" : "OK", reply, true);
        return head + body;
    }
    http_reply(c, 404, "Not Found", "order side: /ws-api/v3, /api/v3/..., /ctl/...\n", true);
    return head + body;
}

static size_t on_ws(rs_vso *v, int ci)
{
    vconn *c = &v->c[ci];
    rs_ws_frame f;
    size_t used = 0;
    int rc = rs_ws_frame_parse(c->rx, c->rx_n, RX_CAP - 16, true, &f, &used);
    if (rc == RS_AGAIN)
        return 0;
    if (rc != RS_OK) {
        conn_close(v, ci);
        return 0;
    }
    uint8_t *p = (uint8_t *)f.payload;
    rs_ws_mask(p, f.len, f.mask, 0);
    switch (f.opcode) {
    case RS_WS_TEXT:
        on_request(v, ci, (const char *)p, f.len, 1);
        break;
    case RS_WS_PING: {
        size_t k = rs_ws_frame_write(v->frame, OUT_CAP, RS_WS_PONG, true, p, f.len, false, 0);
        conn_out(c, v->frame, k);
        break;
    }
    case RS_WS_CLOSE: {
        size_t k = rs_ws_frame_write(v->frame, OUT_CAP, RS_WS_CLOSE, true, p, f.len < 2 ? f.len : 2, false, 0);
        conn_out(c, v->frame, k);
        c->close_after_flush = true;
        break;
    }
    default:
        break;
    }
    return used;
}

static void conn_io(rs_vso *v, int ci)
{
    vconn *c = &v->c[ci];
    if (c->state == C_HANDSHAKE) {
        int k = SSL_accept(c->ssl);
        if (k != 1) {
            int e = SSL_get_error(c->ssl, k);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                conn_close(v, ci);
            return;
        }
        c->state = C_HTTP;
    }
    for (;;) {
        if (c->state == C_FREE || c->close_after_flush)
            return;
        if (c->rx_n < RX_CAP) {
            int k = c->ssl ? SSL_read(c->ssl, c->rx + c->rx_n, (int)(RX_CAP - c->rx_n))
                           : (int)read(c->fd, c->rx + c->rx_n, RX_CAP - c->rx_n);
            if (k <= 0) {
                bool again = c->ssl ? (SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_READ ||
                                       SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_WRITE)
                                    : (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
                if (!again) {
                    conn_close(v, ci);
                    return;
                }
            } else {
                c->rx_n += (uint32_t)k;
            }
        }
        size_t used, total = 0;
        while (c->state != C_FREE && !c->close_after_flush && c->rx_n &&
               (used = c->state == C_WS ? on_ws(v, ci) : on_http(v, ci)) > 0) {
            if (c->state == C_FREE)
                return;
            memmove(c->rx, c->rx + used, c->rx_n - used);
            c->rx_n -= (uint32_t)used;
            total += used;
        }
        if (!total && !(c->ssl && SSL_pending(c->ssl)))
            return;
    }
}

static void do_accept(rs_vso *v)
{
    for (;;) {
        int fd = accept(v->lfd, NULL, NULL);
        if (fd < 0)
            return;
        int i = 0;
        while (i < MAX_CONNS && v->c[i].state != C_FREE)
            i++;
        if (i == MAX_CONNS) {
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        vconn *c = &v->c[i];
        c->fd = fd;
        c->gen = ++v->gen;
        c->rx_n = c->tx_n = 0;
        c->authed = c->subscribed = c->close_after_flush = false;
        if (v->ctx) {
            c->ssl = SSL_new(v->ctx);
            SSL_set_fd(c->ssl, fd);
            SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
            c->state = C_HANDSHAKE;
        } else {
            c->state = C_HTTP;
        }
        v->conns_total++;
    }
}

/* Close every order connection but the one running a control command; the
 * WS API refuses upgrades for ms of market time (0: not at all). */
static int disconnect_all(rs_vso *v, long long ms)
{
    if (ms > 0)
        v->ws_refuse_until = v->now_ns + ms * 1000000ll;
    int n = 0;
    for (int i = 0; i < MAX_CONNS; i++)
        if (v->c[i].state != C_FREE && i != v->ctl_conn)   /* the command's own connection gets its answer */
            conn_close(v, i), n++;
    v->disconnects++;
    return n;
}

static void disconnect_if_filled(rs_vso *v)
{
    rs_sim_stats ss;
    rs_sim_get_stats(v->sim, &ss);
    if (ss.fills <= v->disc_fill_base)
        return;
    long long ms = v->disc_fill_ms;
    v->disc_fill_ms = 0;
    disconnect_all(v, ms);
}

static void *server_main(void *arg)
{
    rs_vso *v = arg;
    struct pollfd pf[MAX_CONNS + 1];
    while (!rs_load_relaxed(&v->stop)) {
        int n = 0;
        pf[n++] = (struct pollfd){.fd = v->lfd, .events = POLLIN};
        for (int i = 0; i < MAX_CONNS; i++)
            if (v->c[i].state != C_FREE)
                pf[n++] = (struct pollfd){.fd = v->c[i].fd, .events = (short)(POLLIN | (v->c[i].tx_n ? POLLOUT : 0))};
        poll(pf, (nfds_t)n, 1);
        pthread_mutex_lock(&v->mu);
        do_accept(v);
        advance_market(v, market_ns(v));
        for (int i = 0; i < MAX_CONNS; i++)
            if (v->c[i].state != C_FREE)
                conn_io(v, i);
        if (v->disc_fill_ms)
            disconnect_if_filled(v);
        pump(v);
        for (int i = 0; i < MAX_CONNS; i++)
            if (v->c[i].state != C_FREE)
                conn_flush(v, i);
        pthread_mutex_unlock(&v->mu);
    }
    return NULL;
}

/* ---- control ------------------------------------------------------------------------ */

static int ctl_locked(rs_vso *v, const char *cmd, char *reply, size_t cap)
{
    char w0[64] = "", w1[64] = "", w2[64] = "";
    sscanf(cmd, "%63s %63s %63s", w0, w1, w2);
    if (!strcmp(w0, "orders")) {   /* the stdin prefix, also accepted here */
        memmove(w0, w1, sizeof w0);
        memmove(w1, w2, sizeof w1);
        w2[0] = 0;
        sscanf(cmd, "%*s %*s %*s %63s", w2);
    }
    if (!strcmp(w0, "stats") || !strcmp(w0, "positions")) {
        rs_sim_stats ss;
        rs_sim_get_stats(v->sim, &ss);
        int k = snprintf(reply, cap,
                         "{\"connections\":%llu,\"ws_sessions\":%llu,\"ws_requests\":%llu,\"rest_requests\":%llu,"
                         "\"bad_signatures\":%llu,\"bad_requests\":%llu,\"answers\":%llu,\"events\":%llu,"
                         "\"dropped_acks\":%llu,\"disconnects\":%llu,\"orders_placed\":%llu,\"fills\":%llu,"
                         "\"rejects\":%llu,\"order_rejects\":%llu,\"errors\":%llu,\"duplicate_client_ids\":%llu,"
                         "\"trades_applied\":%llu,\"answers_5xx\":%llu,\"answers_unknown\":%llu,"
                         "\"clock_rejects\":%llu,\"bans\":%llu,\"banned\":%d,\"ban_requests\":%llu,"
                         "\"ban_order_requests\":%llu,\"fills_dropped\":%llu,\"fills_duplicated\":%llu,"
                         "\"account_events_lost\":%llu,\"ws_refused\":%llu,\"ws_places\":%llu,\"rest_places\":%llu,"
                         "\"sig_hmac\":%llu,\"sig_ed25519\":%llu,"
                         "\"positions\":{",
                         (unsigned long long)v->conns_total, (unsigned long long)v->ws_sessions,
                         (unsigned long long)v->ws_requests, (unsigned long long)v->rest_requests,
                         (unsigned long long)v->bad_sig, (unsigned long long)v->bad_requests,
                         (unsigned long long)v->answers, (unsigned long long)v->events,
                         (unsigned long long)v->dropped_acks, (unsigned long long)v->disconnects,
                         (unsigned long long)ss.orders_placed, (unsigned long long)ss.fills,
                         (unsigned long long)ss.rejects, (unsigned long long)v->order_rejects,
                         (unsigned long long)ss.errors,
                         (unsigned long long)ss.duplicate_client_ids, (unsigned long long)v->trades_applied,
                         (unsigned long long)v->answers_5xx, (unsigned long long)v->answers_unknown,
                         (unsigned long long)v->clock_rejects, (unsigned long long)v->bans,
                         v->now_ns < v->ban_until_ns, (unsigned long long)v->ban_requests,
                         (unsigned long long)v->ban_order_requests, (unsigned long long)ss.fills_dropped,
                         (unsigned long long)ss.fills_duplicated, (unsigned long long)ss.lost_events,
                         (unsigned long long)v->ws_refused, (unsigned long long)v->ws_places,
                         (unsigned long long)v->rest_places, (unsigned long long)v->sig_hmac,
                         (unsigned long long)v->sig_ed25519);
        for (uint16_t s = 0; s < v->u.n && k > 0 && (size_t)k < cap; s++)
            k += snprintf(reply + k, cap - (size_t)k, "%s\"%s\":%lld", s ? "," : "", v->u.ins[s].symbol,
                          (long long)rs_sim_position(v->sim, s));
        if (k > 0 && (size_t)k < cap)
            snprintf(reply + k, cap - (size_t)k, "}}");
        return 0;
    }
    if (!strcmp(w0, "disconnect")) {
        /* optional MS (market time): the WS API stays unavailable that long (REST keeps working) */
        int n = disconnect_all(v, w1[0] ? atoll(w1) : 0);
        snprintf(reply, cap, "disconnected %d order connections", n);
        return 0;
    }
    if (!strcmp(w0, "disconnect_on_fill")) {
        /* `disconnect MS` at the next execution, in the same service pass: with delay_fills_ms set, its
         * fill event is still in flight and is lost with the session (a test's own reaction to the
         * execution could come after the event went out on a loaded box) */
        long long ms = w1[0] ? atoll(w1) : 0;
        rs_sim_stats ss;
        rs_sim_get_stats(v->sim, &ss);
        v->disc_fill_ms = ms > 0 ? ms : 1;
        v->disc_fill_base = ss.fills;
        snprintf(reply, cap, "armed: disconnect at the next execution (after fill %llu)",
                 (unsigned long long)ss.fills);
        return 0;
    }
    long long a = w1[0] ? atoll(w1) : -1;
    /* Each command changes its own fault only: the others keep counting
     * down, so faults can be stacked (drop fills during a stream outage). */
    rs_sim_faults f;
    rs_sim_get_faults(v->sim, &f);
    bool sim_fault = true;
    if (a < 0 && strcmp(w0, "skew")) {
        snprintf(reply, cap, "error: '%s' needs a number (orders stats|positions|disconnect [MS]|disconnect_on_fill MS|"
                             "reject N|drop_ack N|"
                             "disconnect_on_order N|5xx N|5xx_order N|429 N [MS]|418 N [MS]|unknown N|skew MS|"
                             "drop_fills N|drop_fills_silent N|dup_fills N|delay_fills_ms MS|stream_outage MS)", w0);
        return -RS_EUSAGE;
    }
    if (!strcmp(w0, "drop_ack")) v->drop_acks = (uint32_t)a, sim_fault = false;
    else if (!strcmp(w0, "5xx_order")) v->place_5xx = (uint32_t)a, sim_fault = false;
    else if (!strcmp(w0, "disconnect_on_order")) v->disconnect_on_order = (uint32_t)a, v->places_seen = 0, sim_fault = false;
    else if (!strcmp(w0, "reject")) f.reject_orders = (uint32_t)a;
    else if (!strcmp(w0, "5xx")) f.http_5xx = (uint32_t)a;
    else if (!strcmp(w0, "429")) f.http_429 = (uint32_t)a, f.retry_after_ms = w2[0] ? atoll(w2) : 1000;
    else if (!strcmp(w0, "418")) f.http_418 = (uint32_t)a, f.retry_after_ms = w2[0] ? atoll(w2) : 1000;
    else if (!strcmp(w0, "unknown")) f.status_unknown = (uint32_t)a;
    else if (!strcmp(w0, "skew")) f.clock_skew_ms = atoll(w1);
    else if (!strcmp(w0, "drop_fills")) f.drop_fills = (uint32_t)a, f.drop_silent = 0;
    else if (!strcmp(w0, "drop_fills_silent")) f.drop_fills = (uint32_t)a, f.drop_silent = 1;
    else if (!strcmp(w0, "dup_fills")) f.dup_fills = (uint32_t)a;
    else if (!strcmp(w0, "delay_fills_ms")) f.fill_delay_ns = a * 1000000ll;
    else if (!strcmp(w0, "stream_outage")) {
        /* account stream down from now for MS of market time: eventStreamTerminated, account events in
         * the window lost, then every WS API connection closed (clients log on and subscribe again) */
        if (a <= 0) {
            snprintf(reply, cap, "error: stream_outage needs a duration in market ms > 0");
            return -RS_EUSAGE;
        }
        f.disconnect_at_ns = v->now_ns;
        f.disconnect_for_ns = a * 1000000ll;
    } else {
        snprintf(reply, cap, "error: unknown order-side command '%s'", w0);
        return -RS_EUSAGE;
    }
    if (sim_fault)
        rs_sim_set_faults(v->sim, &f);
    snprintf(reply, cap, "ok: %s", cmd);
    return 0;
}

int rs_vso_ctl(rs_vso *v, const char *cmd, char *reply, size_t cap)
{
    pthread_mutex_lock(&v->mu);
    int rc = ctl_locked(v, cmd, reply, cap);
    pthread_mutex_unlock(&v->mu);
    return rc;
}

/* ---- life cycle --------------------------------------------------------------------- */

int rs_vso_start_with(rs_vso **out, rs_vso_cfg *k, const rs_mdsim_cfg *md)
{
    *out = NULL;
    if (!k->config)
        return rs_err_set(RS_EUSAGE, "venue-sim: --orders-port needs --orders-config (instruments + test key)");
    rs_vso *v = calloc(1, sizeof *v);
    if (!v)
        return -ENOMEM;
    v->lfd = -1;
    v->ctl_conn = -1;
    pthread_mutex_init(&v->mu, NULL);
    k->cert = md->cert;
    k->key = md->key;
    k->plain = md->plain;
    k->synth = md->synth;
    k->speed = md->speed_set && md->speed > 0 ? md->speed : 1.0;
    k->origin_real_ns = md->origin_real_ns;
    if (!k->bind)
        k->bind = md->bind ? md->bind : "127.0.0.1";
    v->cfg = *k;
    int rc;
    if ((rc = rs_config_load(&v->ecfg, k->config)) || (rc = rs_config_universe(v->ecfg, &v->u)))
        goto fail;
    const char *sf = k->secrets ? k->secrets : v->ecfg->exec.secrets.file[0] ? v->ecfg->exec.secrets.file : NULL;
    if ((rc = rs_secrets_load(sf, &v->sec)))
        goto fail;
    rs_bn_params bp;
    rs_bn_params_default(&bp);
    bp.u = &v->u;
    if ((rc = rs_bn_init(&v->bn, &bp, "", NULL, NULL)))
        goto fail;
    rs_sim_params sp;
    rs_sim_params_default(&sp);
    sp.seed = k->seed ? k->seed : 1;
    sp.n_syms = v->u.n;
    sp.venue = RS_VENUE_BINANCE;
    sp.lat_model = RS_SIM_LAT_CONST;
    sp.lat_ns = k->latency_ms * 1000000ll;
    sp.taker_fee_bps = k->taker_fee_bps;
    sp.maker_fee_bps = k->maker_fee_bps;
    sp.slippage_bps = k->slippage_bps;
    sp.recv_window_ms = v->ecfg->exec.recv_window_ms ? v->ecfg->exec.recv_window_ms : 5000;
    if (k->clock_tolerance_ms > 0)
        sp.recv_window_ms = sp.ahead_ms = k->clock_tolerance_ms;
    for (uint16_t i = 0; i < v->u.n; i++) {
        v->pxs[i] = rs_pow10_tab[v->u.ins[i].px_exp];
        v->qtys[i] = rs_pow10_tab[v->u.ins[i].qty_exp];
    }
    sp.px_scale = v->pxs;
    sp.qty_scale = v->qtys;
    sp.faults = k->faults;
    v->drop_acks = k->drop_acks;
    v->disconnect_on_order = k->disconnect_on_order;
    v->place_5xx = k->place_5xx;
    v->simmem = aligned_alloc(64, (rs_sim_memsize(&sp) + 63) & ~(size_t)63);
    if (!v->simmem) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = rs_sim_init(v->simmem, &sp, &v->sim)))
        goto fail;
    if ((rc = rs_synth_init(&v->synth, &k->synth)))
        goto fail;
    for (unsigned i = 0; i < RS_SYNTH_MAX_SYMS; i++) {
        v->sym_map[i] = -1;
        for (uint16_t s = 0; i < v->synth.cfg.nsyms && s < v->u.n; s++)
            if (!strcasecmp(v->synth.cfg.sym[i].name, v->u.ins[s].symbol))
                v->sym_map[i] = s;
    }
    v->start_ms = v->synth.cfg.start_ms;
    rs_synth_next(&v->synth, &v->next);
    v->c = calloc(MAX_CONNS, sizeof *v->c);
    v->req = calloc(REQ_MASK + 1, sizeof *v->req);
    v->out = malloc(OUT_CAP);
    v->frame = malloc(OUT_CAP + 16);
    if (!v->c || !v->req || !v->out || !v->frame) {
        rc = -ENOMEM;
        goto fail;
    }
    for (int i = 0; i < MAX_CONNS; i++) {
        v->c[i].fd = -1;
        if (!(v->c[i].tx = malloc(TX_CAP))) {
            rc = -ENOMEM;
            goto fail;
        }
    }
    if (!k->plain) {
        v->ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(v->ctx, TLS1_2_VERSION);
        if (SSL_CTX_use_certificate_chain_file(v->ctx, k->cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(v->ctx, k->key, SSL_FILETYPE_PEM) != 1) {
            rc = rs_err_set(RS_ETLS, "venue-sim orders: cannot load certificate '%s' / key '%s'", k->cert, k->key);
            goto fail;
        }
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(k->port)};
    if (inet_pton(AF_INET, k->bind, &a.sin_addr) != 1) {
        rc = rs_err_set(RS_EUSAGE, "venue-sim orders: bind address '%s' is not an IPv4 address", k->bind);
        goto fail;
    }
    v->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(v->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v->lfd < 0 || bind(v->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(v->lfd, 64) < 0) {
        rc = rs_err_set(errno, "venue-sim orders: cannot listen on %s:%u: %s", k->bind, k->port, strerror(errno));
        goto fail;
    }
    socklen_t al = sizeof a;
    getsockname(v->lfd, (struct sockaddr *)&a, &al);
    v->port = ntohs(a.sin_port);
    v->t0_mono = rs_mono_ns();
    if (pthread_create(&v->th, NULL, server_main, v)) {
        rc = rs_err_set(EAGAIN, "venue-sim orders: cannot start the server thread");
        goto fail;
    }
    v->started = true;
    if (k->port_file) {
        FILE *f = fopen(k->port_file, "w");
        if (f) {
            fprintf(f, "%u\n", v->port);
            fclose(f);
        }
    }
    rs_info("venue-sim", "order side on %s:%u (%s): WS API /ws-api/v3, REST /api/v3, %u instruments, key %s%s",
            k->bind, v->port, k->plain ? "plain" : "TLS", v->u.n,
            v->sec->ed25519.kind ? "ed25519" : "", v->sec->hmac.kind ? (v->sec->ed25519.kind ? "+hmac" : "hmac") : "");
    *out = v;
    return 0;
fail:
    rs_vso_destroy(v);
    return rc < 0 ? rc : -rc;
}

uint16_t rs_vso_port(const rs_vso *v) { return v->port; }

void rs_vso_destroy(rs_vso *v)
{
    if (!v)
        return;
    if (v->started) {
        rs_store_relaxed(&v->stop, 1);
        pthread_join(v->th, NULL);
    }
    if (v->c)
        for (int i = 0; i < MAX_CONNS; i++) {
            conn_close(v, i);
            free(v->c[i].tx);
        }
    if (v->lfd >= 0)
        close(v->lfd);
    if (v->ctx)
        SSL_CTX_free(v->ctx);
    if (v->sec)
        rs_secrets_destroy(v->sec);
    rs_config_destroy(v->ecfg);
    free(v->simmem);
    free(v->c);
    free(v->req);
    free(v->out);
    free(v->frame);
    pthread_mutex_destroy(&v->mu);
    free(v);
}
