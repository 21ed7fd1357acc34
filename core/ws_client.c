/* Resilient TLS WebSocket client (see ws_client.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/ws.h"
#include "ringside/ws_client.h"

enum { ST_IDLE = 0, ST_TCP, ST_TLS, ST_UPGRADE, ST_OPEN, ST_CLOSING };

#define MAX_OPEN_MSGS 16
#define OPEN_MSG_BYTES 8192
#define TX_SCRATCH (256 * 1024)
#define CLOSE_TIMEOUT_NS 2000000000ll

typedef struct ws_conn {
    int state;
    int slot;              /* net slot, -1 if none */
    uint32_t id;
    rs_tls *tls;
    int64_t started_ns, opened_ns, last_rx_ns, last_ping_ns, close_sent_ns, first_msg_ns;
    bool got_msg;          /* delivered at least one message (rotation switch-over) */
    bool retiring;         /* the old connection of a rotation */
    bool linger;           /* closing: let queued bytes (close frame) drain, then tear down */
    char why[256];         /* reason reported when a lingering connection is torn down */
    char key[32];
    uint8_t *pt;           /* plaintext: upgrade response, then frames */
    uint32_t pt_len, pt_pos;
    uint8_t *msg;          /* fragmented message assembly */
    uint32_t msg_len;
    int msg_op;            /* opcode of the message being assembled, -1 if none */
} ws_conn;

struct rs_ws_client {
    rs_ws_client_cfg cfg;
    char host[256], path[4096];
    rs_net_addr addr;
    bool have_addr;
    rs_net_loop *net;
    rs_tls_ctx *tls_ctx;
    ws_conn conn[2];
    uint32_t pt_cap;
    bool running;
    uint32_t next_id;
    uint32_t failures;
    int64_t next_attempt_ns;
    int64_t now;
    uint64_t rng;
    uint8_t *tx;           /* frame scratch (masked copy) */
    uint8_t *ctx_buf;      /* ciphertext scratch between BIO and net */
    char open_msgs[OPEN_MSG_BYTES];
    uint32_t open_off[MAX_OPEN_MSGS], open_len[MAX_OPEN_MSGS], n_open, open_used;
    rs_ws_client_stats st;
    char last_err[512];
    int delivered;
};

static uint64_t rng_next(uint64_t *s) { return rs_ws_rng_next(s); }

int rs_ws_client_create(rs_ws_client **out, const rs_ws_client_cfg *cfg)
{
    if (!cfg || !cfg->host || !cfg->on_msg)
        return rs_err_set(RS_EBADCFG, "ws_client: host and on_msg are required");
    rs_ws_client *c = rs_mem_alloc(sizeof *c, 64, "ws client");
    if (!c)
        return -ENOMEM;
    c->cfg = *cfg;
    snprintf(c->host, sizeof c->host, "%s", cfg->host);
    const char *path = cfg->path && *cfg->path ? cfg->path : "/";
    if (strlen(cfg->host) >= sizeof c->host || strlen(path) >= sizeof c->path) {
        rs_mem_free(c);
        return rs_err_set(RS_EBADCFG, "ws_client: host (max %zu) or path (max %zu bytes) too long",
                          sizeof c->host - 1, sizeof c->path - 1);
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    c->cfg.host = c->host;
    c->cfg.path = c->path;
    rs_ws_client_cfg *k = &c->cfg;
    if (!k->port) k->port = 443;
    if (!k->max_frame) k->max_frame = 1u << 20;
    if (!k->max_msg) k->max_msg = k->max_frame;
    if (!k->connect_timeout_ns) k->connect_timeout_ns = 10000000000ll;
    if (!k->backoff_min_ns) k->backoff_min_ns = 100000000ll;
    if (!k->backoff_max_ns) k->backoff_max_ns = 30000000000ll;
    if (k->backoff_max_ns < k->backoff_min_ns) k->backoff_max_ns = k->backoff_min_ns;
    if (!k->seed) k->seed = 1;
    if (!k->rotate_margin_ns) k->rotate_margin_ns = 600000000000ll;
    if (k->lifetime_ns && k->rotate_margin_ns > k->lifetime_ns / 2) k->rotate_margin_ns = k->lifetime_ns / 2;
    if (!k->overlap_ns) k->overlap_ns = 5000000000ll;
    c->rng = k->seed * 0x9E3779B97F4A7C15ull | 1;
    c->pt_cap = k->max_frame + 14 + 64 * 1024;
    /* 4 slots for 2 logical connections: a closed slot stays busy until
     * its in-flight receive has drained. */
    rs_net_cfg nc = {.max_conns = 4, .rx_buf = 256 * 1024, .tx_buf = 128 * 1024};
    int rc = rs_net_create(&c->net, &nc);
    if (rc < 0)
        goto fail;
    if (!k->plain && (rc = rs_tls_ctx_create(&c->tls_ctx, &k->tls)) < 0)
        goto fail;
    c->tx = rs_mem_alloc(TX_SCRATCH, 64, "ws tx scratch");
    c->ctx_buf = rs_mem_alloc(TX_SCRATCH, 64, "ws ciphertext scratch");
    rc = -ENOMEM;
    if (!c->tx || !c->ctx_buf)
        goto fail;
    for (int i = 0; i < 2; i++) {
        c->conn[i].slot = -1;
        c->conn[i].pt = rs_mem_alloc(c->pt_cap, 64, "ws plaintext buffer");
        c->conn[i].msg = rs_mem_alloc(k->max_msg, 64, "ws message buffer");
        if (!c->conn[i].pt || !c->conn[i].msg)
            goto fail;
    }
    *out = c;
    return 0;
fail:
    rs_ws_client_destroy(c);
    return rc;
}

static void conn_reset(rs_ws_client *c, ws_conn *w)
{
    if (w->slot >= 0)
        rs_net_close(c->net, w->slot);
    if (w->tls)
        rs_tls_destroy(w->tls);
    w->tls = NULL;
    w->slot = -1;
    w->state = ST_IDLE;
    w->pt_len = w->pt_pos = w->msg_len = 0;
    w->msg_op = -1;
    w->got_msg = w->retiring = w->linger = false;
}

void rs_ws_client_destroy(rs_ws_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < 2; i++) {
        conn_reset(c, &c->conn[i]);
        rs_mem_free(c->conn[i].pt);
        rs_mem_free(c->conn[i].msg);
    }
    rs_net_destroy(c->net);
    rs_tls_ctx_destroy(c->tls_ctx);
    rs_mem_free(c->tx);
    rs_mem_free(c->ctx_buf);
    rs_mem_free(c);
}

int rs_ws_client_add_open_msg(rs_ws_client *c, const char *text, uint32_t n)
{
    if (c->n_open >= MAX_OPEN_MSGS || OPEN_MSG_BYTES - c->open_used < n)
        return rs_err_set(ENOSPC, "ws_client: open messages exceed %d messages / %d bytes",
                          MAX_OPEN_MSGS, OPEN_MSG_BYTES);
    memcpy(c->open_msgs + c->open_used, text, n);
    c->open_off[c->n_open] = c->open_used;
    c->open_len[c->n_open++] = n;
    c->open_used += n;
    return 0;
}

static void notify(rs_ws_client *c, ws_conn *w, int ev, const char *reason)
{
    if (c->cfg.on_state)
        c->cfg.on_state(c->cfg.user, w->id, ev, reason);
}

static int64_t backoff_delay(rs_ws_client *c)
{
    return rs_ws_backoff_ns(&c->rng, c->failures ? c->failures : 1, c->cfg.backoff_min_ns, c->cfg.backoff_max_ns);
}

/* A connection failed or ended: tear it down and, unless another one is up,
 * schedule the next attempt. */
static void conn_fail(rs_ws_client *c, ws_conn *w, const char *why)
{
    bool was_open = w->state == ST_OPEN || w->state == ST_CLOSING;
    bool retiring = w->retiring;
    uint32_t id = w->id;
    snprintf(c->last_err, sizeof c->last_err, "%s", why);
    conn_reset(c, w);
    if (!retiring) {
        c->st.failures++;
        c->failures++;
        rs_warn("ws", "%s:%u%s conn %u %s: %s", c->host, c->cfg.port, c->path, id,
                was_open ? "closed" : "failed", why);
    }
    if (c->cfg.on_state)
        c->cfg.on_state(c->cfg.user, id, retiring ? RS_WS_EV_ROTATED : RS_WS_EV_CLOSED, why);
    if (!retiring)
        c->next_attempt_ns = c->now + backoff_delay(c);
}

/* Move pending ciphertext from the TLS engine to the socket. */
static int flush_tls(rs_ws_client *c, ws_conn *w)
{
    if (!w->tls || w->slot < 0)
        return 0;
    for (;;) {
        uint32_t room = rs_net_tx_free(c->net, w->slot);
        if (room == 0)
            return RS_FULL;
        size_t n = rs_tls_take_tx(w->tls, c->ctx_buf, room < TX_SCRATCH ? room : TX_SCRATCH);
        if (!n)
            return 0;
        rs_net_send(c->net, w->slot, c->ctx_buf, (uint32_t)n);
    }
}

static int send_bytes(rs_ws_client *c, ws_conn *w, const uint8_t *p, size_t n)
{
    if (c->cfg.plain)
        return rs_net_send(c->net, w->slot, p, (uint32_t)n);
    for (int tries = 0; tries < 4; tries++) {
        int rc = rs_tls_write(w->tls, p, n);
        if (rc == RS_OK) {
            flush_tls(c, w);
            return RS_OK;
        }
        if (rc < 0)
            return RS_BAD;
        if (flush_tls(c, w) == RS_FULL)
            break;
    }
    return RS_FULL;
}

static int send_frame(rs_ws_client *c, ws_conn *w, int op, const uint8_t *p, size_t n)
{
    uint32_t mask = (uint32_t)rng_next(&c->rng);
    size_t fl = rs_ws_frame_write(c->tx, TX_SCRATCH, op, true, p, n, true, mask);
    if (!fl)
        return RS_BAD;
    return send_bytes(c, w, c->tx, fl);
}

static void send_close(rs_ws_client *c, ws_conn *w, uint16_t code, const char *reason)
{
    uint8_t b[125];
    size_t rl = strlen(reason);
    if (rl > 123) rl = 123;
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    memcpy(b + 2, reason, rl);
    send_frame(c, w, RS_WS_CLOSE, b, 2 + rl);
    w->state = ST_CLOSING;
    w->close_sent_ns = c->now;
}

/* End the connection gracefully: the close frame we queued must reach the
 * peer before the socket goes, so teardown waits until the tx drained (or
 * CLOSE_TIMEOUT_NS). Nothing more is parsed or delivered meanwhile. */
static void close_linger(rs_ws_client *c, ws_conn *w, const char *why)
{
    snprintf(w->why, sizeof w->why, "%s", why);
    w->linger = true;
    if (w->state != ST_CLOSING) {
        w->state = ST_CLOSING;
        w->close_sent_ns = c->now;
    }
    flush_tls(c, w);
}

static void start_conn(rs_ws_client *c, ws_conn *w)
{
    conn_reset(c, w);
    w->id = ++c->next_id;
    w->started_ns = w->last_rx_ns = c->now;
    c->st.connects++;
    /* Name lookup blocks: do it on the first attempt and after repeated
     * failures only, never for an ordinary reconnect from the poll loop. */
    if (!c->have_addr || (c->failures && c->failures % 5 == 0)) {
        if (rs_net_resolve(c->host, c->cfg.port, &c->addr) < 0) {
            conn_fail(c, w, rs_err_msg());
            return;
        }
        c->have_addr = true;
    }
    int slot = rs_net_connect_addr(c->net, &c->addr);
    if (slot < 0) {
        conn_fail(c, w, rs_err_msg());
        return;
    }
    w->slot = slot;
    w->state = ST_TCP;
}

static void on_upgraded(rs_ws_client *c, ws_conn *w)
{
    w->state = ST_OPEN;
    w->opened_ns = w->last_ping_ns = c->now;
    c->failures = 0;
    c->st.opens++;
    for (uint32_t i = 0; i < c->n_open; i++)
        send_frame(c, w, RS_WS_TEXT, (const uint8_t *)c->open_msgs + c->open_off[i], c->open_len[i]);
    rs_info("ws", "%s:%u%s conn %u open%s%s", c->host, c->cfg.port, c->path, w->id,
            w->tls ? " " : " (plain)", w->tls ? rs_tls_version(w->tls) : "");
    notify(c, w, RS_WS_EV_OPEN, "");
}

static void begin_upgrade(rs_ws_client *c, ws_conn *w)
{
    uint8_t nonce[16];
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        for (int i = 0; i < 16; i++)
            nonce[i] = (uint8_t)rng_next(&c->rng);
    char req[4600];
    int n = rs_ws_client_request(req, sizeof req, c->host, c->cfg.port, c->path, nonce, w->key, sizeof w->key);
    if (n < 0) {
        conn_fail(c, w, rs_err_msg());
        return;
    }
    w->state = ST_UPGRADE;
    if (send_bytes(c, w, (const uint8_t *)req, (size_t)n) != RS_OK)
        conn_fail(c, w, "ws: cannot queue the upgrade request");
}

static void deliver(rs_ws_client *c, ws_conn *w, const uint8_t *p, uint32_t n, int64_t rx_ns, int op)
{
    if (op == RS_WS_TEXT && c->cfg.utf8_check && !rs_ws_utf8_valid(p, n)) {
        c->st.proto_errors++;
        send_close(c, w, 1007, "invalid UTF-8");
        close_linger(c, w, "ws: text message is not valid UTF-8");
        return;
    }
    c->st.msgs++;
    c->st.bytes += n;
    c->delivered++;
    if (!w->got_msg)
        w->first_msg_ns = c->now;
    w->got_msg = true;
    c->cfg.on_msg(c->cfg.user, w->id, p, n, rx_ns, op);
}

/* Parse and act on the frames in the plaintext buffer. Returns false when
 * the connection was torn down. */
static bool process_frames(rs_ws_client *c, ws_conn *w, int64_t rx_ns)
{
    char err[256];
    for (;;) {
        rs_ws_frame f;
        size_t used;
        int rc = rs_ws_frame_parse(w->pt + w->pt_pos, w->pt_len - w->pt_pos, c->cfg.max_frame, false, &f, &used);
        if (rc == RS_AGAIN)
            break;
        if (rc == RS_BAD) {
            c->st.proto_errors++;
            if (f.err == RS_WS_ERR_TOO_BIG)
                snprintf(err, sizeof err, "ws: frame of %llu bytes exceeds max_frame %u",
                         (unsigned long long)f.len, c->cfg.max_frame);
            else
                snprintf(err, sizeof err, "ws: protocol error: %s", rs_ws_err_str(f.err));
            send_close(c, w, f.err == RS_WS_ERR_TOO_BIG ? 1009 : 1002, f.err == RS_WS_ERR_TOO_BIG ? "too big" : "protocol error");
            close_linger(c, w, err);
            return false;
        }
        w->pt_pos += (uint32_t)used;
        c->st.frames++;
        const uint8_t *p = f.payload;
        uint32_t n = (uint32_t)f.len;
        switch (f.opcode) {
        case RS_WS_TEXT: case RS_WS_BINARY:
            if (w->msg_op >= 0) {
                c->st.proto_errors++;
                conn_fail(c, w, "ws: protocol error: new data frame inside a fragmented message");
                return false;
            }
            if (f.fin) {
                if (w->state == ST_OPEN || w->state == ST_CLOSING)
                    deliver(c, w, p, n, rx_ns, f.opcode);
            } else {
                if (n > c->cfg.max_msg) goto too_big;
                memcpy(w->msg, p, n);
                w->msg_len = n;
                w->msg_op = f.opcode;
            }
            break;
        case RS_WS_CONT:
            if (w->msg_op < 0) {
                c->st.proto_errors++;
                conn_fail(c, w, "ws: protocol error: continuation frame without a message");
                return false;
            }
            if (n > c->cfg.max_msg - w->msg_len) goto too_big;
            memcpy(w->msg + w->msg_len, p, n);
            w->msg_len += n;
            if (f.fin) {
                int op = w->msg_op;
                w->msg_op = -1;
                if (w->state == ST_OPEN || w->state == ST_CLOSING)
                    deliver(c, w, w->msg, w->msg_len, rx_ns, op);
                w->msg_len = 0;
            }
            break;
        case RS_WS_PING:
            c->st.pings_rx++;
            if (w->state == ST_OPEN && send_frame(c, w, RS_WS_PONG, p, n) == RS_OK)
                c->st.pongs_tx++;
            break;
        case RS_WS_PONG:
            c->st.pongs_rx++;
            break;
        case RS_WS_CLOSE: {
            uint16_t code = n >= 2 ? (uint16_t)((p[0] << 8) | p[1]) : 1005;
            if (n == 1 || (n > 2 && !rs_ws_utf8_valid(p + 2, n - 2))) {
                send_close(c, w, 1002, "bad close frame");
            } else if (w->state != ST_CLOSING) {
                /* Echo the status code (RFC 6455 5.5.1). */
                uint8_t b[2] = {p[0], n >= 2 ? p[1] : 0};
                send_frame(c, w, RS_WS_CLOSE, b, n >= 2 ? 2 : 0);
            }
            if (w->state == ST_CLOSING && !w->linger)
                snprintf(err, sizeof err, "%s", w->retiring ? "retired after rotation" : "closed by us");
            else
                snprintf(err, sizeof err, "ws: server closed the connection (code %u%s%.*s)", code,
                         n > 2 ? ", reason: " : "", n > 2 ? (int)(n - 2 > 100 ? 100 : n - 2) : 0,
                         n > 2 ? (const char *)p + 2 : "");
            close_linger(c, w, err);
            return false;
        }
        }
        if (w->state == ST_IDLE || w->linger)
            return false;
    }
    /* Keep the unparsed tail at the front: the caller has seen every
     * delivered frame by now, so nothing borrowed is moved underneath it. */
    if (w->pt_pos) {
        memmove(w->pt, w->pt + w->pt_pos, w->pt_len - w->pt_pos);
        w->pt_len -= w->pt_pos;
        w->pt_pos = 0;
    }
    return true;
too_big:
    c->st.proto_errors++;
    snprintf(err, sizeof err, "ws: fragmented message exceeds max_msg %u", c->cfg.max_msg);
    send_close(c, w, 1009, "too big");
    close_linger(c, w, err);
    return false;
}

/* Plaintext arrived: handle the upgrade response, then frames. */
static bool process_plain(rs_ws_client *c, ws_conn *w, int64_t rx_ns)
{
    if (w->state == ST_UPGRADE) {
        int hl = rs_ws_check_response((const char *)w->pt, w->pt_len, w->key);
        if (hl < 0) {
            c->st.proto_errors++;
            conn_fail(c, w, rs_err_msg());
            return false;
        }
        if (hl == 0) {
            if (w->pt_len > 16384) {
                conn_fail(c, w, "ws: upgrade response header larger than 16 KiB");
                return false;
            }
            return true;
        }
        w->pt_pos = (uint32_t)hl;
        on_upgraded(c, w);
    }
    return process_frames(c, w, rx_ns);
}

static void on_data(rs_ws_client *c, ws_conn *w, const uint8_t *p, uint32_t n, int64_t rx_ns)
{
    c->st.rx_chunks++;
    w->last_rx_ns = c->now;
    while (w->state != ST_IDLE && !w->linger) {
        if (c->cfg.plain) {
            uint32_t room = c->pt_cap - w->pt_len;
            uint32_t k = n < room ? n : room;
            memcpy(w->pt + w->pt_len, p, k);
            w->pt_len += k;
            p += k;
            n -= k;
            if (!process_plain(c, w, rx_ns))
                return;
            if (!n)
                return;
            if (k == 0) {
                conn_fail(c, w, "ws: plaintext buffer full");
                return;
            }
            continue;
        }
        size_t fed = rs_tls_feed(w->tls, p, n);
        p += fed;
        n -= (uint32_t)fed;
        if (w->state == ST_TLS) {
            int rc = rs_tls_handshake(w->tls);
            flush_tls(c, w);
            if (rc < 0) {
                conn_fail(c, w, rs_err_msg());
                return;
            }
            if (rc == RS_AGAIN) {
                if (!n) return;
                if (!fed) { conn_fail(c, w, "tls: handshake stalled"); return; }
                continue;
            }
            begin_upgrade(c, w);
            if (w->state == ST_IDLE)
                return;
        }
        int got = 0;
        for (;;) {
            uint32_t room = c->pt_cap - w->pt_len;
            if (!room)
                break;
            int r = rs_tls_read(w->tls, w->pt + w->pt_len, room);
            if (r < 0) {
                conn_fail(c, w, rs_err_msg());
                return;
            }
            if (r == 0)
                break;
            w->pt_len += (uint32_t)r;
            got += r;
            if (!process_plain(c, w, rx_ns))
                return;
        }
        flush_tls(c, w);   /* TLS 1.3 may answer key updates */
        if (!n)
            return;
        if (!fed && !got) {
            conn_fail(c, w, "tls: receive path stalled (BIO full)");
            return;
        }
    }
}

static ws_conn *by_slot(rs_ws_client *c, int slot)
{
    for (int i = 0; i < 2; i++)
        if (c->conn[i].state != ST_IDLE && c->conn[i].slot == slot)
            return &c->conn[i];
    return NULL;
}

static void timers(rs_ws_client *c)
{
    int64_t now = c->now;
    ws_conn *a = &c->conn[0], *b = &c->conn[1];
    for (int i = 0; i < 2; i++) {
        ws_conn *w = &c->conn[i];
        if (w->state == ST_IDLE)
            continue;
        if (w->tls)
            flush_tls(c, w);   /* ciphertext left behind when the socket's tx buffer was full */
        if (w->state < ST_OPEN && now - w->started_ns > c->cfg.connect_timeout_ns) {
            char e[128];
            snprintf(e, sizeof e, "connect/handshake timeout after %lld ms",
                     (long long)(c->cfg.connect_timeout_ns / 1000000));
            conn_fail(c, w, e);
            continue;
        }
        if (w->linger && ((flush_tls(c, w) == 0 && rs_net_tx_pending(c->net, w->slot) == 0) ||
                          now - w->close_sent_ns > CLOSE_TIMEOUT_NS)) {
            conn_fail(c, w, w->why);
            continue;
        }
        if (w->state == ST_CLOSING && now - w->close_sent_ns > CLOSE_TIMEOUT_NS) {
            conn_fail(c, w, w->retiring ? "retired after rotation" : "close handshake timed out");
            continue;
        }
        if (w->state == ST_OPEN && c->cfg.idle_timeout_ns && now - w->last_rx_ns > c->cfg.idle_timeout_ns) {
            char e[128];
            snprintf(e, sizeof e, "no data for %lld ms (half-open connection?)",
                     (long long)((now - w->last_rx_ns) / 1000000));
            c->st.idle_timeouts++;
            conn_fail(c, w, e);
            continue;
        }
        if (w->state == ST_OPEN && c->cfg.ping_interval_ns && now - w->last_ping_ns > c->cfg.ping_interval_ns) {
            w->last_ping_ns = now;
            send_frame(c, w, RS_WS_PING, (const uint8_t *)"rs", 2);
        }
    }
    if (!c->running)
        return;
    /* Planned rotation: open a replacement before the venue cuts us off. */
    if (c->cfg.lifetime_ns) {
        for (int i = 0; i < 2; i++) {
            ws_conn *w = &c->conn[i], *o = &c->conn[i ^ 1];
            if (w->state == ST_OPEN && !w->retiring && o->state == ST_IDLE &&
                now - w->opened_ns >= c->cfg.lifetime_ns - c->cfg.rotate_margin_ns) {
                rs_info("ws", "conn %u: planned rotation (age %lld s)", w->id,
                        (long long)((now - w->opened_ns) / 1000000000ll));
                w->retiring = true;
                start_conn(c, o);
            }
            /* Retire the old connection only after both have delivered for
             * overlap_ns: the venue may feed the two at different paces. */
            if (w->state == ST_OPEN && w->retiring && o->state == ST_OPEN &&
                ((o->got_msg && now - o->first_msg_ns >= c->cfg.overlap_ns) ||
                 now - o->opened_ns > 2 * c->cfg.overlap_ns)) {
                c->st.rotations++;
                send_close(c, w, 1000, "rotation");
                flush_tls(c, w);
            }
            if (w->retiring && o->state == ST_IDLE && w->state == ST_OPEN && now >= c->next_attempt_ns) {
                /* The replacement failed: try again (backoff applies). */
                start_conn(c, o);
            }
        }
    }
    if (a->state == ST_IDLE && b->state == ST_IDLE && now >= c->next_attempt_ns)
        start_conn(c, a);
}

int rs_ws_client_poll(rs_ws_client *c, int64_t now_ns)
{
    rs_net_ev evs[16];
    c->now = now_ns;
    c->delivered = 0;
    int n = rs_net_poll(c->net, evs, 16);
    for (int i = 0; i < n; i++) {
        ws_conn *w = by_slot(c, evs[i].conn);
        if (!w)
            continue;
        switch (evs[i].type) {
        case RS_NET_EV_CONNECTED:
            if (evs[i].err < 0) {
                char e[512];
                snprintf(e, sizeof e, "tcp connect to %s:%u: %s", c->host, c->cfg.port, strerror(-evs[i].err));
                w->slot = -1;   /* the loop already freed it */
                conn_fail(c, w, e);
                break;
            }
            if (c->cfg.plain) {
                begin_upgrade(c, w);
                break;
            }
            if (rs_tls_create(&w->tls, c->tls_ctx, c->host, 0) < 0) {
                conn_fail(c, w, rs_err_msg());
                break;
            }
            w->state = ST_TLS;
            rs_tls_handshake(w->tls);   /* produces the ClientHello */
            flush_tls(c, w);
            break;
        case RS_NET_EV_DATA:
            on_data(c, w, evs[i].data, evs[i].len, evs[i].rx_ns);
            break;
        case RS_NET_EV_CLOSED: {
            char e[160];
            snprintf(e, sizeof e, "connection closed by peer%s%s", evs[i].err ? ": " : " (EOF)",
                     evs[i].err ? strerror(-evs[i].err) : "");
            w->slot = -1;
            conn_fail(c, w, w->linger ? w->why : e);
            break;
        }
        }
    }
    timers(c);
    return c->delivered;
}

void rs_ws_client_wait(rs_ws_client *c, int64_t timeout_ns)
{
    rs_net_wait(c->net, timeout_ns);
}

void rs_ws_client_start(rs_ws_client *c)
{
    if (!c->running) {
        c->running = true;
        c->next_attempt_ns = 0;
    }
}

void rs_ws_client_stop(rs_ws_client *c)
{
    c->running = false;
    for (int i = 0; i < 2; i++) {
        ws_conn *w = &c->conn[i];
        if (w->state == ST_OPEN) {
            send_close(c, w, 1000, "bye");
            flush_tls(c, w);
        } else if (w->state != ST_IDLE && w->state != ST_CLOSING) {
            conn_reset(c, w);
        }
    }
}

void rs_ws_client_reconnect(rs_ws_client *c, const char *why)
{
    for (int i = 0; i < 2; i++)
        if (c->conn[i].state != ST_IDLE)
            conn_fail(c, &c->conn[i], why);
}

int rs_ws_client_send(rs_ws_client *c, int opcode, const uint8_t *data, uint32_t n)
{
    ws_conn *best = NULL;
    for (int i = 0; i < 2; i++) {
        ws_conn *w = &c->conn[i];
        if (w->state == ST_OPEN && (!best || w->id > best->id))
            best = w;
    }
    if (!best || rs_ws_header_len(n, true) + n > TX_SCRATCH)
        return RS_BAD;
    return send_frame(c, best, opcode, data, n);
}

bool rs_ws_client_is_open(const rs_ws_client *c)
{
    return c->conn[0].state == ST_OPEN || c->conn[1].state == ST_OPEN;
}

const rs_ws_client_stats *rs_ws_client_stats_get(const rs_ws_client *c) { return &c->st; }

const char *rs_ws_client_last_error(const rs_ws_client *c) { return c->last_err; }
