/* ringside/risk.h -- risk circuit ids, actions and the pure pre-trade checks
 * the gate stage runs before any order leaves it.
 *
 * Each circuit trip is published as an RS_EV_RISK record (event.h) carrying
 * the circuit id below, the action taken, the compared value and limit, and
 * a short fixed text. The checks here are pure functions of their inputs (no
 * state, no clock); the stateful circuits (kill switch, reject pause,
 * fill health, drawdown) live in the gate (gate.h) and use these ids.
 */
#ifndef RINGSIDE_RISK_H
#define RINGSIDE_RISK_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/event.h"

enum rs_circuit_id {
    RS_CIRC_NONE = 0,
    RS_CIRC_KILL = 1,          /* kill switch: cancel all + flatten */
    RS_CIRC_REJECTS = 2,       /* K consecutive rejects -> pause */
    RS_CIRC_PAUSE = 3,         /* paused (operator or circuit): order blocked */
    RS_CIRC_FRESH_MD = 4,      /* market data too old / feed not OK */
    RS_CIRC_FRESH_POS = 5,     /* position stale (fill overdue / reconciling) */
    RS_CIRC_FLIP = 6,          /* unintended position sign flip -> symbol pause */
    RS_CIRC_DUP_CLOSE = 7,     /* a close is already in flight */
    RS_CIRC_FILL_HEALTH = 8,   /* acked, no fill/cancel within T -> reconcile */
    RS_CIRC_DRAWDOWN = 9,      /* peak-to-trough past limit -> cut exposure */
    RS_CIRC_ORDER_QTY = 10,
    RS_CIRC_ORDER_NOTIONAL = 11,
    RS_CIRC_POSITION = 12,     /* max position notional per symbol */
    RS_CIRC_GROSS = 13,        /* max gross exposure */
    RS_CIRC_COLLAR = 14,       /* price too far from the last trade */
    RS_CIRC_RATE_SEC = 15,
    RS_CIRC_RATE_MIN = 16,
    RS_CIRC_GUARD = 17,        /* catastrophic move against a position */
    RS_CIRC_ORDER_TABLE = 18,  /* too many orders in flight to track */
    RS_CIRC_UNKNOWN_ORDER = 19,/* exec report for an order the gate never sent */
    RS_CIRC_BAD_INPUT = 20,    /* malformed input record (counted) */
    RS_CIRC_CANCEL_REJECT = 21,/* venue rejected a cancel */
    RS_CIRC_RECONCILED = 22,   /* a missing fill was applied from a poll report */
    RS_CIRC_MAX
};

enum rs_risk_action {
    RS_RISK_INFO = 0, RS_RISK_PAUSE = 1, RS_RISK_KILL = 2, RS_RISK_CUT = 3,
    RS_RISK_RESUME = 4, RS_RISK_ESCALATE = 5, RS_RISK_BLOCK = 6
};

/* Short name of a circuit ("kill", "rejects", ...) or "?". Static storage. */
const char *rs_circuit_name(uint16_t id);
/* Short name of an enum rs_risk_action ("pause", "block", ...) or "?". */
const char *rs_risk_action_name(uint8_t action);

/* ---- message-rate throttle (event time) ---------------------------------- */

#define RS_RATE_CAP 1024u      /* largest per-minute limit it can enforce */
typedef struct rs_rate {
    int64_t ts[RS_RATE_CAP];   /* send times, ring, oldest overwritten */
    uint32_t head, n;
} rs_rate;

void rs_rate_init(rs_rate *r);
/* Record a send at time now (ns; callers pass non-decreasing times). */
void rs_rate_add(rs_rate *r, int64_t now);
/* Sends in (now - window_ns, now]; counts at most RS_RATE_CAP. */
uint32_t rs_rate_count(const rs_rate *r, int64_t now, int64_t window_ns);
/* Hot path: true when at least k sends are in (now - window_ns, now], i.e.
 * rs_rate_count(...) >= k, in O(1) (reads the k-th newest send). */
bool rs_rate_reached(const rs_rate *r, int64_t now, int64_t window_ns, uint32_t k);

/* ---- static order limits --------------------------------------------------- */

typedef struct rs_limits {
    double max_order_notional;   /* quote; 0: no limit */
    double max_pos_notional;     /* quote, |position after| per symbol; 0: none */
    double max_gross_notional;   /* quote, sum |positions| after; 0: none */
    double collar_bps;           /* |px - last| / last in bps; 0: none */
    uint32_t max_per_sec;        /* 0: none */
    uint32_t max_per_min;        /* 0: none; <= RS_RATE_CAP */
} rs_limits;

/* The inputs of one order check. */
typedef struct rs_order_check {
    double qty;              /* units (> 0) */
    double max_qty;          /* units, per-symbol limit; 0: none */
    double px;               /* order price (limit) or the reference price */
    double last_px;          /* last trade (collar reference) */
    double pos_after;        /* |position notional| after the order fills */
    double gross_after;      /* gross exposure after the order fills */
    uint8_t has_px;          /* priced order: apply the collar */
    uint8_t reduce_only;     /* reduce-only: skip size/position/gross checks */
} rs_order_check;

/* Check an order against the static limits. Returns RS_CIRC_NONE when it
 * passes, else the first failing circuit with *value / *limit set to what was
 * compared (a failed check on NaN input fails closed). */
uint16_t rs_risk_check_order(const rs_limits *l, const rs_order_check *c, double *value, double *limit);

/* Rate check: returns RS_CIRC_NONE, RS_CIRC_RATE_SEC or RS_CIRC_RATE_MIN
 * (the count and the limit in *value / *limit) for one more send at now. */
uint16_t rs_risk_check_rate(const rs_limits *l, const rs_rate *r, int64_t now, double *value, double *limit);

#endif
