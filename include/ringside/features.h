/* ringside/features.h -- the features stage: per-symbol time bars and the
 * feature vector a model reads, one implementation for live, replay and
 * training (`ringside features` writes the training CSV with this code).
 *
 * Stage contract (stage.h): rs_features_on_event() is a pure function of the
 * input sequence. Inputs: RS_EV_TRADE, RS_EV_TIMER, RS_EV_FRESHNESS (others
 * are ignored). Outputs: RS_EV_BAR and RS_EV_FEATURES (kind 0: bar close,
 * kind 1: intrabar update) and RS_EV_BAD_INPUT (late or invalid trades).
 *
 * Bar clock. One clock for the whole universe: bars are [k*bar_ns,
 * (k+1)*bar_ns) in UTC epoch time. A trade's time is its venue trade time
 * (trade_ms) when set, else rec.ts. The open bar closes -- for EVERY symbol at
 * once, so cross-asset features see aligned bars -- on the first trade at or
 * past its end, or on a timer/freshness event whose rec.ts is at or past
 * end + timer_grace_ns (grace lets trades stamped before the boundary arrive
 * first). Bars skipped by a jump in time are emitted empty (flagged); a jump
 * of more than max_catchup_bars emits nothing for the skipped span and flags
 * the next bar RS_BAR_F_GAP. Symbols that never traded emit nothing.
 *
 * Flags and readiness. RS_BAR_F_EMPTY: no trade (close carried, volume 0).
 * RS_BAR_F_GAP: a freshness event reported STALE/GAP/DISCONNECTED for the
 * symbol (or the connection) while the bar was open; the flag stays on every
 * bar until a RS_FRESH_OK arrives. RS_BAR_F_LATE: a late trade (older than
 * the open bar) arrived while the bar was open; it was emitted as
 * RS_EV_BAD_INPUT/RS_BAD_LATE and counted, never folded in. A feature vector
 * is ready when every feature in the layout is past its warm-up and the bar
 * is not GAP-flagged.
 *
 * Feature values are doubles, never NaN or Inf (zero variance, zero volume
 * and the like give documented defined values, docs/features.md).
 */
#ifndef RINGSIDE_FEATURES_H
#define RINGSIDE_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/bars.h"
#include "ringside/event.h"
#include "ringside/instrument.h"
#include "ringside/stage.h"

#define RS_FEAT_NAME_MAX 32        /* bytes incl. NUL */
#define RS_FEAT_MAX_PERIODS 4      /* per list parameter (ema, sma, rv, mom) */
#define RS_FEAT_WINDOW_MAX 511     /* longest return window / horizon, bars */
#define RS_FEAT_DAY_NS (INT64_C(86400) * 1000000000)
/* A trade whose venue time is more than this ahead of its record's rec.ts is
 * rejected (RS_BAD_RANGE, field trade_ms) instead of moving the bar clock. */
#define RS_FEAT_FUTURE_NS (INT64_C(60) * 1000000000)

/* Parameters (the lead maps the YAML `features:` block onto this). Fill with
 * rs_features_params_default() and override. Periods are in bars. */
typedef struct rs_features_params {
    int64_t bar_ns;              /* bar length; default 5 min; must divide a day
                                    or be a multiple of 1 s */
    int64_t timer_grace_ns;      /* timer closes a bar at end + grace; default 1 s */
    int64_t intrabar_ns;         /* intrabar publish cadence per symbol; 0 = off (default) */
    uint32_t max_catchup_bars;   /* longest run of empty bars emitted after a time jump; 2016 */
    uint32_t n_ema, ema[RS_FEAT_MAX_PERIODS];   /* EMA periods; default {10} */
    uint32_t n_sma, sma[RS_FEAT_MAX_PERIODS];   /* SMA periods; default {10} */
    uint32_t rsi;                /* RSI period (Wilder); 14 */
    uint32_t bb;                 /* Bollinger period; 20 */
    double bb_k;                 /* Bollinger width in population std devs; 2.0 */
    uint32_t macd_fast, macd_slow, macd_signal;  /* 12, 26, 9 */
    uint32_t atr;                /* ATR period (Wilder); 14 */
    uint32_t ret_lags;           /* ret_1..ret_N log returns; 5 (0..64) */
    uint32_t n_rv, rv[RS_FEAT_MAX_PERIODS];     /* realised vol windows; {12, 48} */
    uint32_t vol_z;              /* volume z-score window; 20 */
    uint32_t beta;               /* rolling beta/residual window vs reference; 48 */
    uint32_t corr;               /* average pairwise correlation window; 48 */
    uint32_t n_mom, mom[RS_FEAT_MAX_PERIODS];   /* momentum horizons; {12, 48} */
    uint32_t mom_z;              /* z-score window of each momentum; 48 */
    int32_t ref_sym;             /* reference symbol index; -1: universe ref_sym */
} rs_features_params;

/* Defaults as documented on each field. */
void rs_features_params_default(rs_features_params *p);

/* Check p (ranges, bar length); 0 or -RS_EBADCFG with a message naming the
 * field. Control path. */
int rs_features_params_check(const rs_features_params *p);

/* Feature names of the layout that p produces, in vector order, written to
 * names[0..cap) (each NUL-terminated). Returns the count (which may exceed
 * cap: then only cap names were written), or -RS_EBADCFG for invalid params.
 * Pure; needs no stage state (the model stage can build its layout with it). */
int rs_features_layout_names(const rs_features_params *p, char (*names)[RS_FEAT_NAME_MAX], size_t cap);

/* FNV-1a 64 of the names joined by '\n' (the layout_hash in RS_EV_FEATURES). */
uint64_t rs_features_hash_names(const char (*names)[RS_FEAT_NAME_MAX], size_t n);

typedef struct rs_features rs_features;

/* Bytes of caller memory a stage needs for universe u (>= 1 instrument).
 * Alignment: 64. */
size_t rs_features_memsize(const rs_universe *u);

/* Initialise a stage in mem[memsize] (from rs_features_memsize; 64-byte
 * aligned). The universe is borrowed: it must outlive the stage. p is copied.
 * Returns the stage handle (== mem) via *out and 0, or -RS_EBADCFG (bad
 * params, bad reference symbol, memsize too small) with a message. */
int rs_features_init(void *mem, size_t memsize, const rs_features_params *p, const rs_universe *u,
                     rs_features **out);

/* The stage handler. Returns RS_OK, RS_FULL (an output claim failed: call
 * again later with the SAME record; the handler resumes where it stopped and
 * emits nothing twice) or RS_SKIP (record type not consumed). Never
 * allocates, never logs, never reads a clock. */
int rs_features_on_event(rs_features *f, const rs_rec *in, rs_emit *out);

/* Feed one completed bar from outside the trade path (Binance klines): it
 * replaces the symbol's open-bar aggregates for the bar starting at
 * b->start_ns (advancing the clock, i.e. closing earlier bars, as a trade at
 * that time would). The bar closes on the next event at/past its end
 * (another kline, a timer). Feed all symbols' klines of one bar before the
 * next bar's. Returns like rs_features_on_event; RS_BAD when b is misaligned
 * or older than the open bar (counted as late). Do not mix with trades for
 * the same symbol. */
int rs_features_on_kline(rs_features *f, uint16_t sym, const rs_bar *b, rs_emit *out);

/* ---- layout / names (control path unless stated) ---------------------- */

/* Number of features in the vector (hot-path safe). */
uint32_t rs_features_count(const rs_features *f);
/* Name of feature i, or NULL when i is out of range. Borrowed from f. */
const char *rs_features_name(const rs_features *f, uint32_t i);
/* Index of `name`, or -1. */
int rs_features_index(const rs_features *f, const char *name);
/* Bars feature i needs before it is defined (warm-up), or 0 if out of range. */
uint32_t rs_features_warmup(const rs_features *f, uint32_t i);
/* Hash of the name list (== rs_ev_features.layout_hash). */
uint64_t rs_features_layout_hash(const rs_features *f);

/* Map a model's feature names onto vector indices: idx[k] = index of
 * names[k]. Returns 0, or -RS_EBADCFG when a name is unknown, with a message
 * that names it and lists every available name. */
int rs_features_map(const rs_features *f, const char *const *names, size_t n, uint32_t *idx);

/* ---- counters (read by tools; plain reads from the stage's own thread) -- */
typedef struct rs_features_stats {
    uint64_t trades, late, bad, bars, empty_bars, gap_bars, vectors, intrabar, skipped_bars;
} rs_features_stats;
void rs_features_get_stats(const rs_features *f, rs_features_stats *st);

/* Trades already folded into the open bar of sym (tests, tools). */
uint64_t rs_features_open_count(const rs_features *f, uint16_t sym);

#endif
