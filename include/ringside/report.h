/* ringside/report.h -- performance evaluation of a journaled session:
 * equity curve on the market clock, end-of-day metrics, trades, per-symbol
 * PnL, incident attribution, per-stage latency samples. What it computes and
 * why: docs/report.md. Used by `ringside report` (tools/cmd_report.c), which
 * writes the CSV files; the plots and the HTML page come from
 * tools/python/report_plots.py.
 *
 * Time is rs_rec.ts (the market clock), never ts_local: days are UTC days of
 * the market clock, so a replay of a session yields the same rows as the run.
 * Records are processed in (ts, gseq) order, because the journal's global
 * order interleaves streams in recorder batches and is not causal.
 *
 * Money: the quote currency (USDT), doubles. Equity is reconstructed from the
 * journaled fills (RS_EV_EXEC_REPORT with is_fill, applied by cumulative
 * quantity per client id like the gate) and the marks (RS_EV_MARK on the
 * mark stream, last price) with the same rs_portfolio arithmetic the gate
 * uses, so it is net of fees (the reports' fee) and of slippage (fills at
 * their executed prices). Returns are on a fixed capital base (the config's
 * gate.capital, or --capital): r_day = (E_eod(d) - E_eod(d-1)) / capital.
 *
 * Control-path code: it allocates (rs_mem_alloc) as the data grows, reads no
 * clock, and is deterministic for a given record sequence.
 */
#ifndef RINGSIDE_REPORT_H
#define RINGSIDE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ringside/event.h"
#include "ringside/instrument.h"

#define RS_REPORT_DAY_NS 86400000000000ll

/* ---- pure metrics (unit-tested with hand-computed values) ------------------- */

/* Metrics of a series of daily returns (fractions of the capital base).
 * NaN marks "undefined", never a crash: vol/Sharpe/Sortino need n >= 2;
 * Sharpe needs a non-zero standard deviation; Sortino needs at least one
 * losing day (downside deviation > 0); Calmar needs a drawdown > 0. */
typedef struct rs_perf {
    uint32_t n_days;
    double total_return;     /* sum of the daily returns (fixed capital base) */
    double mean_return;      /* mean daily return; NaN when n == 0 */
    double ann_return;       /* mean x 365 */
    double vol_ann;          /* sample std (n - 1) x sqrt(365) */
    double sharpe;           /* mean / std x sqrt(365), zero risk-free rate */
    double sortino;          /* mean / sqrt(sum(min(r,0)^2) / n) x sqrt(365) */
} rs_perf;

/* Fill *out from n daily returns r[0..n). r may be NULL when n == 0. */
void rs_report_perf(const double *r, size_t n, rs_perf *out);

/* Calmar ratio: ann_return / max_dd; NaN when max_dd <= 0 or either is NaN. */
double rs_report_calmar(double ann_return, double max_dd);

/* Running drawdown of an equity curve, fed point by point in time order.
 * Drawdown = (peak - equity) / peak, peak = the running maximum (starting
 * at the capital). Duration = time from a peak until the equity is back at
 * or above it (or until the last point, while still under water). */
typedef struct rs_ddtrack {
    double peak;
    int64_t peak_ts;
    int64_t last_ts;
    double max_dd;           /* fraction of the peak, >= 0 */
    int64_t max_dur_ns;      /* longest completed or current under-water spell */
    int under;               /* 1 while below the peak */
} rs_ddtrack;

/* Start at equity `capital` at time ts0 (the first point of the curve). */
void rs_report_dd_init(rs_ddtrack *d, double capital, int64_t ts0);
/* Add a point (ts non-decreasing). */
void rs_report_dd_add(rs_ddtrack *d, int64_t ts, double equity);
/* Current drawdown (fraction) and max duration including the current spell. */
double rs_report_dd_current(const rs_ddtrack *d, double equity);
int64_t rs_report_dd_max_duration(const rs_ddtrack *d);

/* ---- the report over a journal ------------------------------------------------ */

typedef struct rs_report_opts {
    double capital;          /* return base, quote, > 0 */
    int64_t curve_step_ns;   /* spacing of mark points in the exported curve (0: 60 s);
                                fills and day ends are always exported */
    uint32_t latency_cap;    /* samples kept per stage (0: 200000); beyond it
                                every 2nd, 4th... sample is kept (deterministic) */
} rs_report_opts;

/* One end-of-day (or total) row. */
typedef struct rs_report_row {
    int64_t day;             /* UTC day number (ts / 1 day); -1 for total rows */
    int64_t last_ts;         /* market time of the last event counted */
    double equity;           /* end of day */
    double pnl, ret, cum_ret;
    double vol_ann, sharpe, sortino;        /* over the days up to this one */
    double max_dd, max_dd_days, calmar;     /* up to this one */
    double hit_rate, turnover, gross_pnl, fees, slippage;
    uint64_t trades, fills, hits;
    double avg_hold_s;
    double strategy_pnl, incident_pnl;
} rs_report_row;

/* A round trip: from flat to flat (a flip closes one and opens another). */
typedef struct rs_report_trade {
    uint16_t sym;
    int8_t dir;              /* +1 long, -1 short */
    uint8_t open;            /* still open at the end of the data (marked) */
    uint8_t incident;        /* an incident covering its symbol was open during it */
    uint8_t pad[3];
    int64_t open_ts, close_ts;
    double qty_max;          /* largest |position|, units */
    double entry_notional;   /* sum of |qty x px| of the fills that opened/added */
    double exit_notional;    /* ... that reduced */
    double entry_qty, exit_qty;   /* units */
    double pnl;              /* net: realised (or marked) - fees of its fills */
    double fees;
    double ret;              /* pnl / entry_notional */
} rs_report_trade;

typedef struct rs_report_incident {
    uint16_t scope;          /* symbol, or 0xffff: all */
    uint8_t kill;            /* a kill: ends only when flat */
    uint8_t open;            /* still open at the end of the data */
    uint16_t circuit;        /* risk circuit of the trip (risk.h); 0xfffd operator
                                (ctl), 0xfffe a risk record without a circuit */
    uint16_t pad;
    int64_t start_ts, end_ts;
    double pnl;              /* PnL of the symbols in scope while it was open */
    char trigger[80];        /* "risk kill: ...", "ctl pause" */
    char end_reason[24];     /* "resume", "flat", "end of data" */
} rs_report_incident;

/* Counts of what was read and what was refused (never silently dropped). */
typedef struct rs_report_counts {
    uint64_t records, marks, fills, dup_fills, bad, risk, control, positions;
    uint64_t latency_samples;
    int have_gate_pos;       /* a portfolio-wide RS_EV_POSITION was seen */
    double gate_realized, gate_fees, gate_equity;   /* the last one */
    int64_t gate_ts;
    double realized_at_gate, fees_at_gate;          /* ours at that ts */
} rs_report_counts;

typedef struct rs_report rs_report;

/* Create a report over universe u (copied) with options o (copied).
 * Allocates; release with rs_report_destroy. Returns 0, -EINVAL (capital
 * not > 0, u NULL or empty) or -ENOMEM, with a message. */
int rs_report_create(rs_report **rp, const rs_universe *u, const rs_report_opts *o);
void rs_report_destroy(rs_report *r);

/* Add one record (any type; the ones the report does not use are counted
 * and ignored). `rec` is BORROWED and must stay valid until
 * rs_report_finish: journal records from rs_journal_next point into the
 * reader's mapping, which lives until rs_journal_close. gseq orders records
 * with equal ts. Returns 0 or -ENOMEM. */
int rs_report_add(rs_report *r, const rs_rec *rec, uint64_t gseq);

/* Sort by (ts, gseq), replay the fills/marks/risk/control records, build the
 * rows, trades, incidents and latency samples. Call once. Returns 0 or
 * -ENOMEM. A journal without any fill yields rows (if it has marks) and
 * zero trades: that is not an error. */
int rs_report_finish(rs_report *r);

/* Results (borrowed, valid until destroy). Rows: one per UTC day from the
 * first to the last event's day (days without events carry the equity), then
 * `total` and `strategy` (the same metrics over the strategy-only series:
 * incident PnL removed, trades/fills touched by an incident left out). */
const rs_report_row *rs_report_days(const rs_report *r, size_t *n);
const rs_report_row *rs_report_total(const rs_report *r);
const rs_report_row *rs_report_strategy(const rs_report *r);
const rs_report_trade *rs_report_trades(const rs_report *r, size_t *n);
const rs_report_incident *rs_report_incidents(const rs_report *r, size_t *n);
const rs_report_counts *rs_report_get_counts(const rs_report *r);
double rs_report_capital(const rs_report *r);

/* Write the CSV files into dir (must exist): equity_curve.csv,
 * symbol_pnl.csv, trades.csv, incidents.csv, latency.csv, days.csv (the
 * rows, same columns as the summary). Returns 0 or -errno naming the file. */
int rs_report_write_series(const rs_report *r, const char *dir);

/* Write the summary rows of this run (days, total, strategy) to f, with
 * `label` in the first column; rs_report_write_summary_header first. */
void rs_report_write_summary_header(FILE *f);
void rs_report_write_summary(const rs_report *r, FILE *f, const char *label);

/* ---- synthetic journals (tests, docs) ---------------------------------------- */

typedef struct rs_report_synth_opts {
    const char *dir;         /* journal directory to create */
    uint64_t seed;           /* deterministic from it */
    int days;                /* market days (default 14) */
    int64_t start_ns;        /* first day (0: 2026-01-25T00:00:00Z, so a month boundary is crossed) */
    int no_trades;           /* marks only: a report must say "no trades" */
    int incidents;           /* 1: an operator pause/resume, a reject pause and a kill */
} rs_report_synth_opts;

/* Write a journal of `days` market days for two symbols (BTCUSDT, ETHUSDT):
 * marks every minute, bars/features/predictions/decisions every 5 minutes,
 * entries and exits with intents, orders, exec reports (a partial fill and
 * a duplicate report among them), position records from rs_portfolio, and
 * local stamps with per-stage delays, plus the embedded config. Not
 * reentrant (one static generator state; a tool/test helper). Returns 0
 * or a negative code with a message. */
int rs_report_synth(const rs_report_synth_opts *o);

#endif
