/* ringside/exec_stage.h -- the exec stage: order intents in, orders on the
 * wire and execution reports out.
 *
 *   int rs_exec_on_event(rs_exec *x, const rs_rec *in, rs_emit *out);
 *
 * Inputs (pure: time only from in->ts):
 *   RS_EV_INTENT     new / cancel / cancel-all / query (query with target_id 0
 *                    = run reconciliation now)
 *   RS_EV_VENUE_MSG  raw venue bytes (rs_ev_raw), journaled by the runtime;
 *                    rs_ev_raw.conn = RS_XCONN(channel, req_id):
 *                      RS_XCH_WS     one WS API text frame (responses carry
 *                                    their id; account events none)
 *                      RS_XCH_REST   one HTTP response to request req_id
 *                      RS_XCH_STATUS transport notice: data[0] = channel,
 *                                    data[1] = 1 up / 0 down
 *   RS_EV_TIMER      timeouts, re-queries, reconciliation and clock cadence
 *   RS_EV_TRADE, RS_EV_MARK  market data for the simulated venue
 * Outputs (through `out`):
 *   RS_EV_ORDER        every request put on the wire (place, cancel, query);
 *                      wire_bytes = bytes queued in the outbox less the
 *                      credentials (API key, signature), 0 for sim
 *   RS_EV_EXEC_REPORT  every order state change and every fill (once)
 *   RS_EV_RISK         external fills, position drift, rate limits, bans,
 *                      clock problems, stream loss (circuit RS_XRISK_*)
 *   RS_EV_BAD_INPUT    a venue message that did not parse (first 256 bytes)
 *
 * Wire bytes: in Binance mode every request is formatted (and signed) into
 * an outbox inside the state; the transport drains it with
 * rs_exec_outbox_peek/pop on the exec thread right after on_event. Outbox
 * bytes can hold signatures and the API key: allocate the state with
 * rs_secure_alloc (exec_secrets.h) in live mode. Records never contain them.
 *
 * Venue modes: RS_VENUE_SIM runs the in-process simulated venue (paper,
 * replay --what-if): requests go to it, its answers are applied at the event
 * times they are due. RS_VENUE_BINANCE formats Binance WS API / REST bytes.
 *
 * Restartable: when `out` is full mid-way, the handler keeps the remaining
 * outputs and returns RS_FULL; calling it again with the SAME input only
 * flushes them (state is not changed twice).
 */
#ifndef RINGSIDE_EXEC_STAGE_H
#define RINGSIDE_EXEC_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/exec_orders.h"
#include "ringside/exec_secrets.h"
#include "ringside/exec_venue.h"
#include "ringside/instrument.h"
#include "ringside/sim_venue.h"
#include "ringside/stage.h"
#include "ringside/venue_binance.h"

enum rs_xch { RS_XCH_WS = 1, RS_XCH_REST = 2, RS_XCH_STATUS = 3 };
#define RS_XCONN(ch, req_id) (((uint32_t)(ch) << 28) | ((uint32_t)(req_id) & 0x0fffffffu))
#define RS_XCONN_CH(conn) ((conn) >> 28)
#define RS_XCONN_REQ(conn) ((conn) & 0x0fffffffu)

/* rs_ev_risk.circuit values raised by the exec stage (the gate's risk.h ids
 * stay below 100). */
enum rs_xrisk {
    RS_XRISK_EXTERNAL_FILL = 100,  /* fill for an order we do not know: adopted */
    RS_XRISK_DRIFT = 101,          /* reconciliation back-filled qty (value = qty, units) */
    RS_XRISK_RATE = 102,           /* 429 / weight headroom: backing off (value = ms) */
    RS_XRISK_BANNED = 103,         /* 418: order traffic stopped (value = ms) */
    RS_XRISK_CLOCK = 104,          /* -1021: orders blocked until re-sync (value = offset ms) */
    RS_XRISK_STREAM = 105,         /* account stream down (action 1) / up (4) */
    RS_XRISK_UNRESOLVED = 106,     /* unknown order gave up after N queries */
    RS_XRISK_FILL_GAP = 107,       /* venue cum qty > our fills: back-filling */
    RS_XRISK_EXTERNAL_ORDER = 108, /* open order at the venue we do not know */
    RS_XRISK_OUTBOX = 109,         /* outbox / output queue full */
};

/* Local reject codes in rs_ev_exec_report.reject_code (venue codes are the
 * venue's own, negative for Binance). */
enum rs_xrej {
    RS_XREJ_INVALID = -10001,      /* bad intent (symbol, qty, price, side) */
    RS_XREJ_RATE = -10002,         /* backing off after 429 / weight headroom */
    RS_XREJ_BANNED = -10003,       /* 418 ban in force */
    RS_XREJ_CLOCK = -10004,        /* clock offset not trusted (-1021) */
    RS_XREJ_FULL = -10005,         /* order table full */
    RS_XREJ_DUP = -10006,          /* client id already used: never re-sent */
    RS_XREJ_OUTBOX = -10007,       /* outbox full: nothing was sent */
    RS_XREJ_UNKNOWN_ORDER = -10008,/* cancel/query of a client id we do not know */
};

typedef struct rs_exec_params {
    uint8_t venue;                 /* RS_VENUE_SIM (default) or RS_VENUE_BINANCE */
    uint8_t order_channel;         /* Binance order entry: RS_XCH_WS (default) or RS_XCH_REST;
                                      reconciliation always uses REST */
    uint8_t ws_sign;               /* the API key's type, for every signed request (WebSocket
                                      API and REST): RS_SIGN_ED25519 (default when the key
                                      exists, enables session.logon) or RS_SIGN_HMAC */
    uint8_t pad;
    uint32_t max_orders;           /* live + recent orders (default 1024) */
    uint32_t max_fills;            /* remembered trade ids (default 65536) */
    uint32_t max_reqs;             /* requests in flight, rounded to a power of two (default 1024) */
    uint32_t outbox_bytes;         /* default 256 KiB */
    uint32_t max_pending_out;      /* output records held when `out` is full (default 4096) */
    int64_t ack_timeout_ns;        /* no answer to a place -> UNKNOWN (default 2 s) */
    int64_t query_timeout_ns;      /* no answer to a query/cancel -> ask again (default 2 s) */
    int64_t unknown_retry_ns;      /* first re-query of an UNKNOWN order; doubles (default 250 ms) */
    uint32_t unknown_max_queries;  /* "not found" this many times -> REJECTED (default 4) */
    uint32_t pad2;
    int64_t recon_interval_ns;     /* reconciliation cadence (default 10 s; 0 = only on request) */
    int64_t backoff_ns;            /* 429 without Retry-After: first backoff, doubles to 60 s (default 1 s) */
    int64_t time_sync_ns;          /* clock re-sync cadence (default 60 s) */
    int64_t terminal_keep_ns;      /* keep terminal orders at least this long (default 60 s) */
    double weight_headroom;        /* hold non-kill traffic above this share of a limit (default 0.9) */
    const rs_universe *u;          /* instruments (required; borrowed) */
    rs_bn_params bn;               /* Binance adapter params (bn.u is set from u) */
    rs_secrets *secrets;           /* Binance: credentials (borrowed; NULL: unsigned, tests only) */
    rs_sim_params sim;             /* RS_VENUE_SIM: the simulated venue */
} rs_exec_params;

typedef struct rs_exec_stats {
    uint64_t intents, places, cancels, queries, recons, fills, dup_fills, external_fills, backfilled,
        reports, local_rejects, unknowns, resolved_unknowns, bad_msgs, outbox_full, out_overflow,
        rate_backoffs, bans, clock_resyncs, stream_downs;
} rs_exec_stats;

typedef struct rs_exec rs_exec;

/* Wire message waiting in the outbox. */
typedef struct rs_exec_wire {
    uint8_t channel;               /* RS_XCH_WS or RS_XCH_REST */
    uint8_t pad[3];
    uint32_t req_id;               /* tag REST responses with RS_XCONN(RS_XCH_REST, req_id) */
    uint32_t len;
    const uint8_t *data;           /* valid until rs_exec_outbox_pop */
} rs_exec_wire;

/* Documented defaults (above); u and secrets NULL, sim = rs_sim_params_default. */
void rs_exec_params_default(rs_exec_params *p);
/* Bytes of caller memory for this configuration (sim included). */
size_t rs_exec_memsize(const rs_exec_params *p);
/* Initialise in mem[rs_exec_memsize(p)] (64-byte aligned). Returns 0 or
 * -EINVAL (no universe, Binance without keys for signing, bad sizes) with a
 * message. Borrowed: p->u, p->secrets (must outlive x). */
int rs_exec_init(void *mem, const rs_exec_params *p, rs_exec **out);
/* Wipe the outbox (it may hold signatures). Memory stays the caller's. */
void rs_exec_fini(rs_exec *x);

/* The stage handler. RS_OK, RS_FULL (retry the same input), or RS_BAD (a
 * record this stage does not take; counted, reported as bad input). */
int rs_exec_on_event(rs_exec *x, const rs_rec *in, rs_emit *out);

/* Outbox (same thread as on_event). RS_OK with *w, or RS_EMPTY. */
int rs_exec_outbox_peek(rs_exec *x, rs_exec_wire *w);
/* Release the message returned by the last peek (its bytes are wiped). */
void rs_exec_outbox_pop(rs_exec *x);

/* Read-only views for tests, `top` and the runtime. */
const rs_exec_stats *rs_exec_get_stats(const rs_exec *x);
const rs_order *rs_exec_order(rs_exec *x, uint64_t client_id);
/* Our position from applied fills (signed, fixed qty). */
int64_t rs_exec_position(const rs_exec *x, uint16_t sym);
/* The simulated venue (RS_VENUE_SIM), else NULL. */
rs_sim *rs_exec_sim(rs_exec *x);
/* Current venue clock offset estimate, ms (venue - local) and whether trusted. */
int64_t rs_exec_clock_offset_ms(const rs_exec *x, int *ok);

#endif
