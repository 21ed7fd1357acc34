/* ringside/gate.h -- the gate stage: cost-aware entry gates, exits, sizing,
 * independent risk circuits and portfolio accounting.
 *
 * A pure handler (stage.h): rs_gate_on_event(g, in, out) consumes
 *   RS_EV_PREDICTION  -> one RS_EV_DECISION (every gate's verdict and the
 *                        values it compared), maybe an RS_EV_INTENT
 *   RS_EV_BAR         -> ATR (Wilder) and per-bar sigma, warm-up, bar clock
 *                        (optional: without them the gate builds bar_ns bars
 *                        from the marks' last price)
 *   RS_EV_MARK        -> mark to market, catastrophic-move guard, trailing
 *                        stop, drawdown circuit, market-data age
 *   RS_EV_EXEC_REPORT -> positions, fills, rejects, OCO, fill health
 *   RS_EV_CONTROL     -> kill / pause / resume / flatten
 *   RS_EV_TIMER       -> fill-health queries, kill retries, position records
 *   RS_EV_FRESHNESS   -> feed state (stale / gap / disconnected blocks orders)
 * and emits RS_EV_DECISION, RS_EV_INTENT, RS_EV_RISK, RS_EV_POSITION and RS_EV_ALARM
 * (operator-facing, next to the risk record of a pause, kill, escalation,
 * flip or drawdown cut; code = circuit id).
 * Other record types are ignored (RS_SKIP). It never reads a clock: "now" is
 * the largest input ts seen. Client order ids are (instance << 40) | seq.
 *
 * Output is staged inside the gate and then copied to `out`; if `out` fills
 * up the call returns RS_FULL and the remaining records are delivered by the
 * next call (the retried input is not applied twice), so the handler is
 * restartable as stage.h requires.
 *
 * See docs/gate.md for the rules, every parameter and the scenarios tested.
 */
#ifndef RINGSIDE_GATE_H
#define RINGSIDE_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/event.h"
#include "ringside/instrument.h"
#include "ringside/portfolio.h"
#include "ringside/quantile.h"
#include "ringside/risk.h"
#include "ringside/stage.h"

/* Gate ids in decision verdicts (rs_gate_verdict.gate) and as the decision's
 * reason (the first failing one). Verdicts are listed in this order. */
enum rs_gate_id {
    RS_GATE_NONE = 0,
    RS_GATE_READY = 1,     /* prediction ready and finite (value: ready flag) */
    RS_GATE_WARMUP = 2,    /* bars seen vs needed (ATR and sigma ready) */
    RS_GATE_SIGMA = 3,     /* per-bar sigma bps vs floor */
    RS_GATE_ZEDGE = 4,     /* |z_edge| vs z_min */
    RS_GATE_EV = 5,        /* |expected bps| vs round-trip cost + margin */
    RS_GATE_QUANTILE = 6,  /* prediction vs the tail quantile of its history */
    RS_GATE_VOTE = 7,      /* agreeing directions in the last K vs needed */
    RS_GATE_COOLDOWN = 8,  /* bars since the last exit vs cooldown */
    RS_GATE_RISK = 9,      /* kill / pause / symbol pause (value: state bits) */
    RS_GATE_FRESH_MD = 10, /* market-data age ms vs max (inf when feed not OK) */
    RS_GATE_FRESH_POS = 11,/* orders with an overdue fill vs 0 */
    RS_GATE_POSITION = 12, /* flat and no entry working (value: position qty) */
    RS_GATE_SIZE = 13,     /* sized qty (units) vs the minimum tradable */
    RS_GATE_LIMITS = 14,   /* order limits / collar / rate (value, limit) */
    RS_GATE_COUNT = 15     /* verdicts per decision: RS_GATE_COUNT - 1 */
};

/* Short name of a gate id ("zedge", "ev", ...) or "?" -- for journal
 * printers. Static storage. */
const char *rs_gate_name(uint16_t id);

/* Bits in the RS_GATE_RISK verdict's value. */
#define RS_GATE_RISK_KILLED 1u
#define RS_GATE_RISK_PAUSED 2u
#define RS_GATE_RISK_SYM_PAUSED 4u
#define RS_GATE_RISK_DRAWDOWN 8u   /* informational: entries are scaled, not blocked */

#define RS_GATE_VOTE_MAX 32u
#define RS_GATE_MAX_ORDERS 256u    /* orders (new) tracked in flight */

/* All knobs. rs_gate_params_default() documents the defaults; docs/gate.md
 * explains each. Units: bps = 1e-4; ns for times; quote currency for money.
 * A knob at 0 disables its gate/limit unless stated otherwise. */
typedef struct rs_gate_params {
    uint32_t instance;         /* client id = (instance << 40) | seq; < 2^24 */
    double capital;           /* starting equity (quote) for sizing/drawdown */

    /* entry gates */
    double z_min;             /* |z_edge| >= z_min */
    double cost_bps[4];       /* round-trip cost (fees+slippage) per rs_venue */
    double ev_margin_bps;     /* |expected| must exceed (>) cost + margin */
    uint32_t q_window;        /* predictions kept for the quantile filter */
    uint32_t q_min_count;     /* history needed before the filter can pass */
    double q_tail;            /* long needs pred >= Q(1-q_tail), short <= Q(q_tail); 0 off */
    uint32_t warmup_bars;     /* bars before trading (at least atr_n + 1) */
    uint32_t atr_n;           /* ATR period (Wilder), bars */
    uint32_t sigma_n;         /* EWMA span of per-bar returns for sigma, bars */
    double sigma_floor_bps;   /* per-bar sigma must be >= floor */
    uint32_t vote_k;          /* persistence window (1..RS_GATE_VOTE_MAX) */
    uint32_t vote_min;        /* agreeing votes needed in the window (<= vote_k) */
    uint32_t cooldown_bars;   /* bars after an exit before a new entry */

    /* exits */
    double stop_atr;          /* stop-loss distance in entry ATRs; 0: none */
    double tp_atr;            /* take-profit distance in entry ATRs; 0: none */
    uint32_t oco_delay_bars;  /* bars after the entry fill before arming children */
    uint32_t max_hold_bars;   /* timed exit; 0: none */
    double trail_atr;         /* trailing stop distance in ATRs; 0: off */
    double guard_atr;         /* catastrophic guard: adverse move in ATRs; 0: off */
    double guard_pct;         /* catastrophic guard: adverse move fraction; 0: off */
    uint8_t exit_on_signal;   /* exit when an opposite signal passes z and vote */
    uint8_t pad0[7];

    /* sizing */
    double risk_frac;         /* notional = capital * risk_frac * min(edge/sigma, edge_cap) */
    double edge_cap;          /* cap on net edge / sigma */
    double max_weight;        /* |position notional| <= max_weight * equity */
    double min_trade_notional;/* smallest order (quote), on top of the venue minimum */
    double entry_slip_bps;    /* entry limit IOC price = ask/bid +- slip */

    /* limits (rs_limits) and freshness */
    rs_limits lim;
    double max_order_qty[RS_MAX_SYMBOLS]; /* units per symbol; 0: none */
    int64_t md_max_age_ns;    /* mark older than this: market data stale */

    /* circuits */
    uint32_t reject_pause_k;  /* consecutive rejects that pause (default 5) */
    uint32_t kill_max_retries;/* kill attempts after the first */
    int64_t kill_backoff_ns;  /* first retry delay; doubles, capped at 64x */
    int64_t fill_timeout_ns;  /* acked/sent with no fill/cancel within T */
    uint32_t max_queries;     /* reconciliation queries per order before escalating */
    uint8_t kill_on_start;    /* start killed (config kill switch) */
    uint8_t pad1[3];
    double dd_limit;          /* drawdown fraction of peak equity that trips */
    double dd_cut;            /* fraction of each position cut when it trips */
    double dd_recover;        /* drawdown fraction below which trading resumes */
    double dd_kill;           /* drawdown fraction that trips the kill switch; 0: off */

    int64_t pos_period_ns;    /* position records on timers this often; 0: only on fills */
    int64_t bar_ns;           /* bar length of the gate's own bars from marks (used for
                               * ATR/sigma/bar clock while no RS_EV_BAR arrives) */
} rs_gate_params;

/* Fill p with the documented defaults. */
void rs_gate_params_default(rs_gate_params *p);

/* Validate p (ranges, consistency). 0 or -RS_EBADCFG naming the field. */
int rs_gate_params_check(const rs_gate_params *p);

typedef struct rs_gate_stats {
    uint64_t events, predictions, decisions, intents, risk_events, positions;
    uint64_t entries, exits, fills, rejects, cancel_rejects, queries;
    uint64_t bad_input, unknown_orders, dup_close_blocked, skipped;
    uint64_t stage_overflow;   /* records that did not fit the staging buffer */
    uint64_t full_retries;     /* calls that returned RS_FULL */
} rs_gate_stats;

typedef struct rs_gate rs_gate;

/* Bytes of caller memory the gate needs for params p over universe u (about
 * 160 KiB plus 32 x (q_window + 1) per instrument). 0 if p is invalid. */
size_t rs_gate_memsize(const rs_gate_params *p, const rs_universe *u);

/* Initialise the gate in caller memory mem[size] (8-byte aligned, at least
 * rs_gate_memsize). Copies p and u. Returns 0, -RS_EBADCFG (invalid params or
 * universe, message says which field) or -ENOSPC (size too small). */
int rs_gate_init(void *mem, size_t size, const rs_gate_params *p, const rs_universe *u);

/* The handler. Ownership: g is the caller's (single thread: the gate
 * thread); in is borrowed for the call; records go to out. Returns RS_OK,
 * RS_SKIP (type not consumed), RS_BAD (malformed record: counted, risk event
 * emitted), or RS_FULL (out is full: call again with the same input; state
 * already applied is not applied twice, the remaining records are delivered
 * first). Never allocates, locks, logs or reads a clock. */
int rs_gate_on_event(rs_gate *g, const rs_rec *in, rs_emit *out);

/* Read-only views (tests, `ringside top`, the runtime). Borrowed pointers
 * into the gate's memory. */
const rs_gate_stats *rs_gate_get_stats(const rs_gate *g);
const rs_portfolio *rs_gate_portfolio(const rs_gate *g);
/* 1 if the kill switch is latched, 2 once it has finished (no orders, flat). */
int rs_gate_killed(const rs_gate *g);
/* Global pause flag (operator or reject circuit). */
int rs_gate_paused(const rs_gate *g);
/* Per symbol: 1 if the position is stale (a fill is overdue or being
 * reconciled), 0 if not. */
int rs_gate_pos_stale(const rs_gate *g, uint16_t sym);

#endif
