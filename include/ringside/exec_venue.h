/* ringside/exec_venue.h -- the venue-neutral request/response vocabulary of
 * the exec stage.
 *
 * The order state machine (exec_orders.h, exec_stage.h) speaks only these two
 * structs. A venue adapter turns an rs_vreq into wire bytes (venue_binance.h)
 * and venue bytes back into rs_vevt; the in-process simulated venue
 * (sim_venue.h) consumes rs_vreq and produces rs_vevt directly. Paper,
 * backtest and live therefore run the same state machine and differ only in
 * where the rs_vevt come from.
 *
 * All prices/quantities are fixed point in the instrument's px_exp/qty_exp.
 * Plain data; no ownership.
 */
#ifndef RINGSIDE_EXEC_VENUE_H
#define RINGSIDE_EXEC_VENUE_H

#include <stdint.h>

#include "ringside/event.h"

/* What the exec stage asks a venue to do. */
enum rs_vreq_kind {
    RS_VREQ_PLACE = 1,        /* new order (client id is the idempotency key) */
    RS_VREQ_CANCEL = 2,       /* cancel by client id */
    RS_VREQ_STATUS = 3,       /* query one order by client id */
    RS_VREQ_OPEN_ORDERS = 4,  /* all open orders of a symbol */
    RS_VREQ_MY_TRADES = 5,    /* our trades of a symbol from from_trade_id */
    RS_VREQ_TIME = 6,         /* venue server time (clock offset) */
    RS_VREQ_LOGON = 7,        /* authenticate the WS API session (Ed25519) */
    RS_VREQ_USER_SUB = 8,     /* subscribe to account events on the session */
    RS_VREQ_KIND_MAX = 9
};

typedef struct rs_vreq {
    uint8_t kind;             /* enum rs_vreq_kind */
    uint8_t side;             /* enum rs_side (place) */
    uint8_t ord_type;         /* enum rs_ord_type (place) */
    uint8_t tif;              /* 0 GTC, 1 IOC, 2 FOK (limit orders) */
    uint16_t sym;             /* instrument index */
    uint16_t pad;
    uint32_t req_id;          /* the exec stage's request id, echoed back */
    uint32_t pad2;
    int64_t from_ms;          /* my-trades without from_trade_id: startTime (venue ms, 0: none) */
    uint64_t client_id;       /* order's client id (place/cancel/status) */
    int64_t px;               /* limit or trigger price */
    int64_t qty;
    uint64_t from_trade_id;   /* my-trades: first trade id wanted (0: recent) */
    int64_t ts_ms;            /* request timestamp on the VENUE clock (signed) */
} rs_vreq;

/* What came back from a venue, normalised. */
enum rs_vevt_kind {
    RS_VEVT_ACK = 1,          /* order accepted (venue_order_id known) */
    RS_VEVT_REJECT = 2,       /* order / cancel refused; code says why */
    RS_VEVT_FILL = 3,         /* one execution: trade_id, px, qty, fee */
    RS_VEVT_STATUS = 4,       /* snapshot: state + cum_qty (no trade detail) */
    RS_VEVT_NOT_FOUND = 5,    /* the venue does not know the client id */
    RS_VEVT_ERROR = 6,        /* transport-level answer: http 5xx/429/418, -1007 */
    RS_VEVT_TIME = 7,         /* venue_ms = server time */
    RS_VEVT_LIST_END = 8,     /* end of an open-orders or my-trades answer */
    RS_VEVT_STREAM_DOWN = 9,  /* account-event stream lost */
    RS_VEVT_STREAM_UP = 10,   /* account-event stream (re)established */
    RS_VEVT_LOGON_OK = 11,    /* session authenticated / user data subscribed */
    RS_VEVT_RATE = 12,        /* rate-limit counters only (no order meaning) */
    RS_VEVT_KIND_MAX = 13
};

enum rs_vsrc {                /* where an rs_vevt came from (exec report .source) */
    RS_VSRC_WS = 0,           /* WS API response or account stream */
    RS_VSRC_REST = 1,         /* REST answer (reconciliation poll) */
    RS_VSRC_SIM = 2,          /* in-process simulated venue */
};

/* Answer classification an adapter attaches to RS_VEVT_ERROR. */
enum rs_verr {
    RS_VERR_NONE = 0,
    RS_VERR_UNKNOWN = 1,      /* 5xx, -1007/-1006 timeout: execution status unknown */
    RS_VERR_RATE = 2,         /* 429 / -1003 / -1015: back off */
    RS_VERR_BANNED = 3,       /* 418: banned until retry_after_ms */
    RS_VERR_CLOCK = 4,        /* -1021: timestamp outside recvWindow */
    RS_VERR_AUTH = 5,         /* -1022 / -2014 / -2015 / 401 / 403 */
    RS_VERR_OTHER = 6,
};

typedef struct rs_vevt {
    uint8_t kind;             /* enum rs_vevt_kind */
    uint8_t state;            /* enum rs_ord_state (ack/status/fill/reject), 0 if n/a */
    uint8_t side;             /* enum rs_side, 0 if unknown */
    uint8_t liquidity;        /* fills: 0 unknown, 1 maker, 2 taker */
    uint8_t source;           /* enum rs_vsrc */
    uint8_t err;              /* enum rs_verr (RS_VEVT_ERROR / REJECT) */
    uint8_t list_kind;        /* LIST_END: RS_VREQ_OPEN_ORDERS or RS_VREQ_MY_TRADES */
    uint8_t venue;            /* enum rs_venue */
    uint16_t sym;             /* instrument index, 0xffff if unknown */
    int16_t http;             /* http(-like) status, 0 if none */
    int32_t code;             /* venue error code, 0 if none */
    uint32_t req_id;          /* request answered, 0 for unsolicited events */
    uint64_t client_id;       /* 0: not one of ours (external order) */
    uint64_t venue_order_id;
    uint64_t trade_id;        /* fills */
    int64_t px, qty;          /* fills: last px/qty; status: limit px, orig qty */
    int64_t cum_qty;          /* venue's cumulative filled qty, -1 if unknown */
    double fee;               /* fills: fee in quote currency */
    int64_t venue_ms;         /* venue transaction/server time, 0 if unknown */
    int64_t retry_after_ms;   /* ERROR rate/banned: wait this long (relative ms) */
    int32_t weight_used, weight_limit;   /* request weight in its window, 0 unknown */
    int32_t orders_used, orders_limit;   /* order count in the short window, 0 unknown */
} rs_vevt;

/* Trades per my-trades page (the request's limit; the simulator serves at
 * most this many): 200 trades (~52 KB of Binance JSON) keep one answer
 * inside one journal record (RS_REC_MAX); a full page makes the exec stage
 * ask for the next one. */
#define RS_VREQ_TRADES_PAGE 200

/* Wire client order id: "rs" + 16 lowercase hex digits of the 64-bit client
 * id (18 chars; Binance allows [.A-Za-z0-9:/_-]{1,36}). */
#define RS_CLID_LEN 18
/* Writes exactly RS_CLID_LEN chars + NUL into out[RS_CLID_LEN + 1]. */
void rs_clid_format(uint64_t client_id, char *out);
/* Parse a wire client id; returns the id, or 0 when s is not one of ours. */
uint64_t rs_clid_parse(const char *s, size_t n);

#endif
