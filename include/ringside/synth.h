/* ringside/synth.h -- deterministic synthetic trade generator.
 *
 * Same seed + config -> the same trade sequence, byte for byte, on the same
 * platform (only libm exp/log/sqrt/cos are involved). Used by the venue
 * simulator (`ringside venue-sim`), tests and benchmarks.
 *
 * Model, in market time (not wall time):
 *  - trades arrive as a Poisson process per symbol whose intensity follows
 *    the symbol's volatility (busy markets trade more);
 *  - log prices move by a one-factor model: beta * market shock +
 *    sqrt(1-beta^2) * own shock, so symbols are correlated;
 *  - volatility clustering: each symbol's variance multiplier is a
 *    mean-reverting log process (bursts decay over ~an hour);
 *  - jumps: Poisson arrivals of normally distributed log jumps;
 *  - surges: rare episodes that double a symbol over one day (+100%,
 *    drift ln 2 per day, with elevated volatility and activity);
 *  - regimes: a Markov chain calm / turbulent / trending-up / trending-down
 *    shared by all symbols, scaling volatility, activity and drift.
 * Prices are on the symbol's tick (10^-px_dec), quantities on its lot
 * (10^-qty_dec, at least one lot). The taker side leans with the last move.
 */
#ifndef RINGSIDE_SYNTH_H
#define RINGSIDE_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/common.h"

#define RS_SYNTH_MAX_SYMS 16

typedef struct rs_synth_sym {
    char name[16];      /* upper case, e.g. "BTCUSDT" */
    double px0;         /* initial price */
    int px_dec;         /* tick = 10^-px_dec (0..8) */
    int qty_dec;        /* lot = 10^-qty_dec (0..8) */
    double vol;         /* annualised volatility, e.g. 0.6 */
    double beta;        /* loading on the market factor, [0,1] */
    double rate;        /* baseline trades per second */
    double qty_mean;    /* mean trade quantity */
} rs_synth_sym;

typedef struct rs_synth_cfg {
    uint64_t seed;                /* default 1 */
    int64_t start_ms;             /* market time of t=0 (default 2026-01-01T00:00:00Z) */
    uint32_t nsyms;               /* 0: the default universe (BTC ETH SOL BNB DOGE vs USDT) */
    rs_synth_sym sym[RS_SYNTH_MAX_SYMS];
    double rate_scale;            /* multiplies every symbol's rate (default 1) */
    double jumps_per_day;         /* per symbol (default 3) */
    double jump_sigma;            /* log-jump stdev (default 0.02) */
    double surges_per_day;        /* per symbol (default 0.02) */
    int surge_sym;                /* >= 0: that symbol starts a +100% day at t=0; -1 none (default) */
    double regime_switches_per_day; /* default 2 */
    uint64_t first_trade_id;      /* default 100000000 */
} rs_synth_cfg;

typedef struct rs_synth_trade {
    uint32_t sym;        /* index into cfg.sym */
    uint64_t id;         /* per-symbol trade id, +1 per trade */
    int64_t px;          /* price mantissa at px_dec */
    int64_t qty;         /* quantity mantissa at qty_dec */
    int64_t ts_ms;       /* market time, ms since epoch */
    bool buyer_maker;    /* Binance "m": true = the taker sold */
} rs_synth_trade;

enum rs_synth_regime { RS_SYNTH_CALM = 0, RS_SYNTH_VOLATILE, RS_SYNTH_TREND_UP, RS_SYNTH_TREND_DOWN };

typedef struct rs_synth {
    rs_synth_cfg cfg;
    uint64_t rng[4];
    double t;                              /* seconds since start */
    int regime;
    double logp[RS_SYNTH_MAX_SYMS];
    double logh[RS_SYNTH_MAX_SYMS];        /* log variance multiplier */
    double surge_until[RS_SYNTH_MAX_SYMS]; /* seconds; surge active while t < it */
    double last_move[RS_SYNTH_MAX_SYMS];
    uint64_t next_id[RS_SYNTH_MAX_SYMS];
    int64_t last_px[RS_SYNTH_MAX_SYMS];
    uint64_t count, jumps, surges, regime_changes;
} rs_synth;

/* Fill cfg with defaults (seed 1, default universe). */
void rs_synth_cfg_default(rs_synth_cfg *cfg);

/* Initialise from cfg (copied; zero fields take defaults). Returns 0 or
 * -RS_EBADCFG with rs_err set (bad decimals, price, beta). */
int rs_synth_init(rs_synth *s, const rs_synth_cfg *cfg);

/* Produce the next trade in market-time order. Never fails. */
void rs_synth_next(rs_synth *s, rs_synth_trade *out);

/* Format a Binance `trade` event (spot stream schema, like
 * vectors/exchange/binance/ws_trade.json) into buf: event time E = T.
 * Prices/quantities are printed with 8 decimals as Binance does. Returns
 * the length, or 0 if cap is too small. */
size_t rs_synth_trade_json(const rs_synth *s, const rs_synth_trade *t, char *buf, size_t cap);

/* Format a mantissa with dec decimals, padded to `pad` decimals (>= dec),
 * e.g. (4325001, 2, 8) -> "43250.01000000". Returns length or 0. */
size_t rs_synth_fmt_dec(int64_t m, int dec, int pad, char *buf, size_t cap);

/* Lower-case stream symbol ("btcusdt") of symbol i into buf (>= 16). */
void rs_synth_stream_name(const rs_synth *s, uint32_t i, char *buf);

#endif
