/* ringside/ws_client.h -- a resilient TLS WebSocket client for one URL:
 * io_uring TCP (net.h) + OpenSSL over a BIO pair (tls.h) + RFC 6455 (ws.h).
 *
 * Delivery: rs_ws_client_poll() runs the loop once without blocking and
 * calls cfg.on_msg for every complete text/binary message, with the kernel
 * receive stamp of the socket read that completed it:
 *     on_msg(user, conn_id, bytes, n, rx_ns, opcode)
 * `bytes` is borrowed for the duration of the call only. conn_id identifies
 * the physical connection (it increases with every connection attempt), so
 * a consumer can tell the two connections apart during a rotation overlap.
 * Messages are delivered in arrival order per connection; during a rotation
 * overlap both connections deliver (the consumer deduplicates by venue ids).
 *
 * Lifecycle (all automatic once started):
 *   connect (TCP) -> TLS handshake (verified) -> HTTP upgrade (key/accept
 *   checked) -> OPEN: the registered open messages (e.g. SUBSCRIBE) are
 *   sent -> frames. Pings are answered with a pong carrying the ping's
 *   payload; a close frame is answered and the connection is re-made.
 *   Any failure closes the connection and schedules a reconnect after a
 *   capped exponential backoff with jitter from a seeded PRNG:
 *       delay = min(backoff_max, backoff_min * 2^(failures-1)) * (0.5 + 0.5*u),
 *   u uniform in [0,1) from xorshift(seed). Failures reset once a connection
 *   reaches OPEN.
 *   Planned rotation: when lifetime_ns is set (Binance: 24 h), a second
 *   connection is opened rotate_margin_ns before the lifetime ends; once it
 *   has been delivering for overlap_ns (or 2*overlap_ns after it opened if
 *   it stays silent) the old one is closed with code 1000 and reported as
 *   RS_WS_EV_ROTATED. No gap: both deliver during the overlap, and the old
 *   one keeps delivering until its close handshake completes.
 *   Half-open detection: no bytes for idle_timeout_ns -> reconnect.
 *
 * Memory: all buffers are allocated by rs_ws_client_create. OpenSSL
 * allocates its session at each connection attempt (control path); the
 * steady state allocates nothing.
 * Threading: one thread owns a client (create/poll/send/destroy).
 */
#ifndef RINGSIDE_WS_CLIENT_H
#define RINGSIDE_WS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/common.h"
#include "ringside/net.h"
#include "ringside/tls.h"

typedef struct rs_ws_client rs_ws_client;

enum rs_ws_conn_event {
    RS_WS_EV_OPEN = 1,     /* connection ready (open messages sent) */
    RS_WS_EV_CLOSED = 2,   /* connection gone; reason says why */
    RS_WS_EV_ROTATED = 3,  /* the old connection was retired after a planned rotation */
};

typedef void (*rs_ws_msg_fn)(void *user, uint32_t conn_id, const uint8_t *data, uint32_t n,
                             int64_t rx_ns, int opcode);
/* Control-path notification (may log). reason: "" for OPEN. */
typedef void (*rs_ws_state_fn)(void *user, uint32_t conn_id, int event, const char *reason);

typedef struct rs_ws_client_cfg {
    const char *host;          /* required; also the TLS SNI / verified name */
    uint16_t port;             /* default 443 */
    const char *path;          /* e.g. "/ws/btcusdt@trade" or "/stream?streams=a/b"; default "/" */
    bool plain;                /* no TLS (tests against plain servers only) */
    rs_tls_cfg tls;            /* ca_file, insecure, ... */
    uint32_t max_frame;        /* max payload per frame, default 1 MiB (error + close 1009 above) */
    uint32_t max_msg;          /* max assembled fragmented message, default = max_frame */
    bool utf8_check;           /* validate text messages as UTF-8 (default off: decoders validate) */
    int64_t connect_timeout_ns;/* TCP+TLS+upgrade, default 10 s */
    int64_t backoff_min_ns;    /* default 100 ms */
    int64_t backoff_max_ns;    /* default 30 s */
    uint64_t seed;             /* jitter + masking PRNG seed (default 1) */
    int64_t lifetime_ns;       /* venue connection lifetime; 0 = none */
    int64_t rotate_margin_ns;  /* default 10 min, at most lifetime/2 */
    int64_t overlap_ns;        /* rotation overlap, default 5 s (see above) */
    int64_t idle_timeout_ns;   /* 0 = off */
    int64_t ping_interval_ns;  /* client-initiated pings; 0 = off */
    rs_ws_msg_fn on_msg;       /* required */
    rs_ws_state_fn on_state;   /* optional */
    void *user;
} rs_ws_client_cfg;

typedef struct rs_ws_client_stats {
    uint64_t msgs, bytes, frames, pings_rx, pongs_tx, pongs_rx;
    uint64_t connects, opens, failures, rotations, idle_timeouts, proto_errors;
    uint64_t rx_chunks;        /* socket reads */
} rs_ws_client_stats;

/* Create a client (allocates everything; does not connect). The strings in
 * cfg are copied. Returns 0 or negative with rs_err set. */
int rs_ws_client_create(rs_ws_client **out, const rs_ws_client_cfg *cfg);
void rs_ws_client_destroy(rs_ws_client *c);

/* Register a text message sent on every new connection right after the
 * upgrade (e.g. a SUBSCRIBE request), in registration order. Up to 16
 * messages, 8 KiB in total. Returns 0 or -ENOSPC. */
int rs_ws_client_add_open_msg(rs_ws_client *c, const char *text, uint32_t n);

/* Start (or keep) connecting; the first attempt happens at the next poll. */
void rs_ws_client_start(rs_ws_client *c);

/* Close every connection (close frame 1000) and stop reconnecting. */
void rs_ws_client_stop(rs_ws_client *c);

/* Drop the current connection(s) now and reconnect after the backoff
 * (e.g. the feed's staleness watchdog saw a silent stream). why is logged. */
void rs_ws_client_reconnect(rs_ws_client *c, const char *why);

/* Run once without blocking: complete I/O, deliver messages via on_msg,
 * run timers against now_ns (CLOCK_MONOTONIC ns, supplied by the caller).
 * Returns the number of messages delivered. Hot path: no allocation except
 * when a new connection attempt starts. */
int rs_ws_client_poll(rs_ws_client *c, int64_t now_ns);

/* Block up to timeout_ns for I/O (polite idle / tools / tests). */
void rs_ws_client_wait(rs_ws_client *c, int64_t timeout_ns);

/* Send a text (RS_WS_TEXT) or binary message on the newest OPEN
 * connection. Returns RS_OK, RS_FULL (no room: retry later), or RS_BAD (no
 * open connection / too big). */
int rs_ws_client_send(rs_ws_client *c, int opcode, const uint8_t *data, uint32_t n);

/* True when at least one connection is OPEN. */
bool rs_ws_client_is_open(const rs_ws_client *c);

const rs_ws_client_stats *rs_ws_client_stats_get(const rs_ws_client *c);

/* The last failure's message ("" if none). */
const char *rs_ws_client_last_error(const rs_ws_client *c);

#endif
