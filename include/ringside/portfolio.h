/* ringside/portfolio.h -- positions, average price, PnL and fees.
 *
 * Per instrument: signed position (fixed point, the instrument's qty_exp),
 * average entry price, realised PnL (closed quantity x (exit - avg)), fees
 * paid, the last mark and the unrealised PnL at that mark. Totals: realised,
 * unrealised, fees, gross exposure (sum |qty| x mark), equity
 * (capital + realised - fees + unrealised) and its running peak.
 *
 * All money is in the quote currency (USDT) as double; quantities stay exact
 * integers. Average price is the quantity-weighted mean of the fills that
 * built the position; a reducing fill leaves it unchanged; a fill that flips
 * the sign closes the old position at the fill price and opens the remainder
 * at the fill price. Pure arithmetic: no allocation, no clock; deterministic
 * for a given fill/mark sequence.
 */
#ifndef RINGSIDE_PORTFOLIO_H
#define RINGSIDE_PORTFOLIO_H

#include <stdint.h>

#include "ringside/event.h"
#include "ringside/instrument.h"

typedef struct rs_pos {
    int64_t qty;          /* signed, fixed point (qty_exp) */
    double avg_px;        /* quote per unit; 0 when flat */
    double mark_px;       /* last mark; 0 before the first */
    double realized;      /* quote */
    double unrealized;    /* quote, at mark_px */
    double fees;          /* quote, paid (positive) */
    uint64_t n_fills;
} rs_pos;

typedef struct rs_portfolio {
    const rs_universe *u; /* borrowed; must outlive the portfolio */
    uint16_t n;           /* instruments tracked (u->n) */
    uint16_t pad[3];
    double capital;       /* starting equity, quote */
    double realized, unrealized, fees, gross;
    double equity, peak_equity;
    rs_pos pos[RS_MAX_SYMBOLS];
} rs_portfolio;

/* Initialise over universe u (borrowed) with starting capital (quote). */
void rs_portfolio_init(rs_portfolio *p, const rs_universe *u, double capital);

/* Apply a fill: side RS_SIDE_BUY/SELL, px (fixed point px_exp) and qty
 * (fixed point qty_exp, > 0), fee in quote (may be negative for rebates).
 * Returns RS_OK, or RS_BAD (unknown sym, bad side, qty <= 0, px <= 0,
 * non-finite fee) leaving the portfolio unchanged. Updates totals. */
int rs_portfolio_fill(rs_portfolio *p, uint16_t sym, uint8_t side, int64_t px, int64_t qty, double fee);

/* Mark sym at mark_px (quote per unit, finite > 0; others are ignored and
 * return RS_BAD). Recomputes unrealised PnL, totals, equity and peak. */
int rs_portfolio_mark(rs_portfolio *p, uint16_t sym, double mark_px);

/* Recompute the totals from the per-symbol rows (done by fill and mark). */
void rs_portfolio_totals(rs_portfolio *p);

/* Position in units (double) and its notional at the mark (signed). */
double rs_portfolio_units(const rs_portfolio *p, uint16_t sym);
double rs_portfolio_notional(const rs_portfolio *p, uint16_t sym);

/* Fill an rs_ev_position payload (header untouched) for sym, or the
 * portfolio total when sym == 0xffff (qty 0, avg/mark 0). */
void rs_portfolio_record(const rs_portfolio *p, uint16_t sym, rs_ev_position *out);

#endif
