/* ringside/sim_venue.h -- an in-process simulated venue: deterministic
 * matching against the market trade stream, a latency model, fees,
 * slippage, partial/VWAP fills and fault injection.
 *
 * Pure: no clock, no randomness but its own seeded PRNG (xoshiro256**), no
 * allocation after init. Time is whatever the caller passes (event time), so
 * the same calls in the same order produce the same events, bit for bit.
 * Used by the exec stage in paper / what-if mode (exec_stage.h) and meant to
 * be driven by the TLS venue-sim server later (which parses the Binance
 * protocol into rs_vreq with venue_binance.h and formats the rs_vevt back).
 *
 * Model:
 *  - A request submitted at time t reaches the matching engine at
 *    t + latency; its answer (ack, reject, error) and any account events go
 *    out at processing time + latency. CONST / UNIFORM: each leg drawn
 *    separately. TABLE / SEQ (measured latencies, lat_table.h): one sample
 *    per request is its ROUND TRIP -- the request leg gets half of it, its
 *    answer and the account events it causes the rest, so the request is
 *    answered exactly one sample after it was sent; a fill on arrival goes
 *    out at t + lat_fill_table[k] when that sample has one (else with the
 *    answer). Events not caused by a request (a resting order filled by a
 *    later trade) take the answer half of a fresh sample.
 *  - Market orders fill at once against the reference price (best ask/bid
 *    from marks, else the last trade) moved adversely by slippage_bps, for at
 *    most max_instant_qty; the remainder fills against later market trades at
 *    participation x their quantity and price (+ slippage), so a large order
 *    gets a VWAP fill over the tape.
 *  - Limit orders that cross on arrival fill like market orders capped at
 *    the limit; resting ones fill (maker) when a trade prints through their
 *    price, participation x trade qty at the limit price. IOC/FOK expire what
 *    does not fill at once. Quotes (marks) fill resting orders whole only
 *    while no trade has been seen for the symbol; once there is a tape,
 *    sizes come from the prints.
 *  - Fees: taker_fee_bps / maker_fee_bps of notional, in quote currency.
 *  - Venue clock = caller time + faults.clock_skew_ms; a request whose ts_ms
 *    is off by more than recv_window_ms is refused with -1021.
 * Output: rs_vevt with source RS_VSRC_SIM, pulled with rs_sim_poll().
 */
#ifndef RINGSIDE_SIM_VENUE_H
#define RINGSIDE_SIM_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/exec_venue.h"

enum rs_sim_lat {
    RS_SIM_LAT_CONST = 0,    /* every leg = lat_ns */
    RS_SIM_LAT_UNIFORM = 1,  /* uniform in [lat_min_ns, lat_max_ns] */
    RS_SIM_LAT_TABLE = 2,    /* round trip drawn uniformly from lat_table (an empirical distribution)
                                with the sim's seeded PRNG */
    RS_SIM_LAT_SEQ = 3,      /* lat_table[i % n] for the i-th order placed (per-order latencies from a
                                journal, in order); other requests and asynchronous events cycle
                                through the table on cursors of their own */
};

/* Fault injection. Counters count down as faults fire; 0 disables. */
typedef struct rs_sim_faults {
    uint32_t drop_fills;       /* drop the next N fill events on the account stream; the order's
                                  status events (cum qty) still arrive -- the recorded incident */
    uint32_t dup_fills;        /* deliver the next N fill events twice */
    int64_t fill_delay_ns;     /* extra delay on every fill event (0: none) */
    uint32_t reject_orders;    /* reject the next N new orders (-2010) */
    uint32_t http_5xx;         /* answer the next N requests with HTTP 503 (execution status unknown) */
    uint8_t place_on_5xx;      /* 1 (default): a 5xx'd order WAS placed anyway (the worst case) */
    uint8_t drop_silent;       /* 1: a dropped fill sends no status event either: only REST
                                  (order status, my trades) shows the execution */
    uint8_t pad[2];
    uint32_t http_429;         /* answer the next N requests with 429 + Retry-After */
    uint32_t http_418;         /* answer the next N requests with 418 (banned) + retry after */
    int64_t retry_after_ms;    /* Retry-After for 429/418 (default 1000) */
    uint32_t status_unknown;   /* answer the next N orders with -1007 "status unknown" (order IS placed) */
    uint32_t pad2;
    int64_t disconnect_at_ns;  /* account stream down from this time (0: never) ... */
    int64_t disconnect_for_ns; /* ... for this long; events in the window are LOST */
    int64_t clock_skew_ms;     /* venue clock = caller clock + skew */
} rs_sim_faults;

typedef struct rs_sim_params {
    uint64_t seed;             /* PRNG seed (default 1) */
    uint16_t n_syms;           /* instruments (default RS_MAX_SYMBOLS) */
    uint8_t venue;             /* venue id stamped on events (default RS_VENUE_SIM) */
    uint8_t lat_model;         /* enum rs_sim_lat (default CONST) */
    uint32_t max_orders;       /* live orders held (default 1024) */
    uint32_t max_trades;       /* our trades kept for my-trades queries (default 16384) */
    uint32_t max_events;       /* scheduled events in flight (default 4096) */
    int64_t lat_ns;            /* CONST latency per leg (default 500 us) */
    int64_t lat_min_ns, lat_max_ns;   /* UNIFORM bounds */
    const int64_t *lat_table;  /* TABLE/SEQ round trips, ns >= 0 (borrowed, must outlive the sim) */
    const int64_t *lat_fill_table; /* NULL, or [lat_table_n]: request -> first fill of the same sample,
                                  ns, -1 = not measured (borrowed) */
    uint32_t lat_table_n;
    uint32_t pad;
    double taker_fee_bps;      /* default 10 */
    double maker_fee_bps;      /* default 10 */
    double slippage_bps;       /* adverse move on taker fills (default 0) */
    double participation;      /* share of each market trade our resting/VWAP order gets (default 1.0) */
    int64_t max_instant_qty;   /* taker fill cap at arrival, fixed qty (0: unlimited) */
    int64_t recv_window_ms;    /* clock check window (default 5000) */
    int64_t ahead_ms;          /* a request stamped more than this ahead of the venue clock is
                                  refused too (0: Binance's 1000) */
    const double *px_scale;    /* per-sym 10^px_exp for notional/fees (NULL: 1.0) */
    const double *qty_scale;   /* per-sym 10^qty_exp (NULL: 1.0) */
    rs_sim_faults faults;
} rs_sim_params;

typedef struct rs_sim rs_sim;

/* Documented defaults (above); faults all off except place_on_5xx=1 and
 * retry_after_ms=1000. */
void rs_sim_params_default(rs_sim_params *p);
/* Bytes of caller memory for a sim with these params (8-byte aligned). */
size_t rs_sim_memsize(const rs_sim_params *p);
/* Initialise in mem[rs_sim_memsize(p)]. Returns 0 / -EINVAL with a message. */
int rs_sim_init(void *mem, const rs_sim_params *p, rs_sim **out);
/* Replace the fault settings (counters restart) -- tests, the venue-sim CLI.
 * The account-stream outage (disconnect_at_ns/for_ns) is scheduled only when
 * the window differs from the current one, so changing another fault through
 * get/modify/set does not repeat an outage. */
void rs_sim_set_faults(rs_sim *s, const rs_sim_faults *f);
/* The fault settings now (counters as they have counted down). */
void rs_sim_get_faults(const rs_sim *s, rs_sim_faults *f);

/* Submit a request at time now_ns. RS_OK, or RS_FULL when the event queue is
 * full (the request is then answered as lost: the caller's timeout fires). */
int rs_sim_request(rs_sim *s, int64_t now_ns, const rs_vreq *r);
/* Market data, applied at now_ns after everything due by then. */
void rs_sim_on_trade(rs_sim *s, int64_t now_ns, uint16_t sym, int64_t px, int64_t qty, uint64_t trade_id);
void rs_sim_on_quote(rs_sim *s, int64_t now_ns, uint16_t sym, int64_t bid, int64_t ask, int64_t last);
/* Advance to now_ns (process arrivals) and pop the next event due by now_ns.
 * RS_OK with *e filled, or RS_EMPTY. */
int rs_sim_poll(rs_sim *s, int64_t now_ns, rs_vevt *e);

/* The venue's view, for tests: net position (signed, fixed qty) from our
 * trades, and counters. */
int64_t rs_sim_position(const rs_sim *s, uint16_t sym);
typedef struct rs_sim_stats {
    uint64_t requests, orders_placed, fills, fills_dropped, fills_duplicated, rejects, errors, lost_events,
        duplicate_client_ids;
} rs_sim_stats;
void rs_sim_get_stats(const rs_sim *s, rs_sim_stats *st);

#endif
